#!/usr/bin/env node
// Generates sdk/engine/abi.ts, the typed boundary between the SDK and the engine, from the
// AssemblyScript sources:
//   - assembly/index.ts lists the exports of the module (`export { a, b } from "./file"`);
//   - each export's signature and doc comment are read from its file: parameter names, their
//     types (i32 / u32 / f64 / usize scalars, `flag`, an `export const enum` name, or the address
//     types `ptr<T>` / `opt_ptr<T>` of assembly/core/mem.ts) and the return type;
//   - every `export const enum` under assembly/ is a table of constants shared with the SDK.
// The output is deterministic (same sources, same bytes), so test/abi.test.ts can regenerate it
// and compare. The build (scripts/build.mjs) runs this before compiling the module.
//
//   node scripts/abi.mjs            write sdk/engine/abi.ts
//   node scripts/abi.mjs --check    exit 1 if sdk/engine/abi.ts is not what assembly/ gives
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const OUTPUT = "sdk/engine/abi.ts";

const SCALARS = new Set(["i32", "u32", "f64", "usize"]);
const UNSIGNED = new Set(["u32", "usize"]);
/** Element type of an address parameter → the typed arrays the SDK may pass for it. */
const ELEMENTS = { f64: "Float64Array", f32: "Float32Array", i32: "Int32Array", u32: "Uint32Array", u8: "Uint8Array", u64: "Typed" };

class AbiError extends Error {}

const posix = (p) => p.split(sep).join("/");
const lineOf = (text, index) => text.slice(0, index).split("\n").length;

/** The `/** … *\/` comment that ends right before `index` (blank lines not allowed between). */
function docBefore(text, index) {
  const head = text.slice(0, index);
  const before = head.replace(/\s*$/, "");
  if (!before.endsWith("*/") || (head.slice(before.length).match(/\n/g) ?? []).length > 1) return null;
  const start = before.lastIndexOf("/**");
  if (start < 0) return null;
  const between = before.slice(before.lastIndexOf("\n", start) + 1, start);
  if (between.trim() !== "") return null;
  // First line after "/**", continuation lines after " *": drop the common indentation of
  // the continuation lines (they align under the first line's text), keep any deeper one.
  const [first, ...rest] = before.slice(start + 3, before.length - 2).split("\n");
  const cont = rest.map((l) => l.replace(/^\s*\*?/, "").replace(/\s+$/, ""));
  const indent = Math.min(...cont.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length), 99);
  return [first.trim(), ...cont.map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))].join("\n").trim();
}

/** Split a doc comment into its text and its `@param name text` entries. */
function splitDoc(doc) {
  const params = {};
  if (!doc) return { text: "", params };
  const text = [];
  let current = null;
  for (const line of doc.split("\n")) {
    const m = /^@param\s+(\w+)\s*(.*)$/.exec(line.trim());
    if (m) {
      current = m[1];
      params[current] = m[2];
    } else if (current !== null && line.trim() !== "" && !line.trim().startsWith("@")) {
      params[current] += ` ${line.trim()}`;
    } else {
      current = null;
      text.push(line);
    }
  }
  return { text: text.join("\n").trim(), params };
}

/** Split at commas that are not inside <> or (). */
function splitTop(s) {
  const out = [];
  let depth = 0, cur = "";
  for (const ch of s) {
    if (ch === "<" || ch === "(") depth++;
    else if (ch === ">" || ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== "");
}

function readExports(root) {
  const index = readFileSync(join(root, "assembly/index.ts"), "utf8");
  const out = [];
  const re = /export\s*\{([^}]*)\}\s*from\s*"([^"]+)"\s*;/g;
  let m;
  while ((m = re.exec(index)) !== null) {
    const file = posix(join("assembly", `${m[2]}.ts`));
    for (const name of splitTop(m[1])) {
      if (!/^\w+$/.test(name)) throw new AbiError(`assembly/index.ts: re-export "${name}" must be a plain name (no "as")`);
      out.push({ name, file });
    }
  }
  const names = new Set();
  for (const e of out) {
    if (names.has(e.name)) throw new AbiError(`assembly/index.ts exports ${e.name} twice`);
    names.add(e.name);
  }
  return out;
}

function parseFunction(root, name, file, cache) {
  if (!cache.has(file)) cache.set(file, readFileSync(join(root, file), "utf8"));
  const text = cache.get(file);
  const m = new RegExp(`^export function ${name}\\s*\\(`, "m").exec(text);
  if (!m) throw new AbiError(`${file}: no \`export function ${name}(\` (assembly/index.ts re-exports it from there)`);
  let i = m.index + m[0].length, depth = 1;
  const open = i;
  for (; i < text.length && depth > 0; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
  }
  const paramText = text.slice(open, i - 1);
  const rm = /^\s*:\s*([\w<>]+)\s*\{/.exec(text.slice(i));
  if (!rm) throw new AbiError(`${file}: ${name} needs an explicit return type`);
  const { text: doc, params: paramDocs } = splitDoc(docBefore(text, m.index));
  const params = splitTop(paramText.replace(/\/\/[^\n]*/g, "")).map((p) => {
    const pm = /^(\w+)\s*:\s*([\w<>]+)\s*(=.*)?$/.exec(p.replace(/\s+/g, " "));
    if (!pm) throw new AbiError(`${file}: cannot read parameter "${p}" of ${name}`);
    if (pm[3]) throw new AbiError(`${file}: parameter ${pm[1]} of the export ${name} has a default value; exports take every argument`);
    return { name: pm[1], type: pm[2], doc: paramDocs[pm[1]] ?? "" };
  });
  for (const k of Object.keys(paramDocs)) {
    if (!params.some((p) => p.name === k)) throw new AbiError(`${file}: @param ${k} of ${name} names no parameter`);
  }
  return { name, file, line: lineOf(text, m.index), doc, params, returns: rm[1] };
}

function assemblyFiles(root, dir = "assembly") {
  const out = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = posix(join(dir, e.name));
    if (e.isDirectory()) out.push(...assemblyFiles(root, p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Index of the `}` that closes a block opened just before `from` (comments skipped). */
function closingBrace(text, from) {
  for (let i = from; i < text.length; i++) {
    if (text.startsWith("/*", i)) i = text.indexOf("*/", i + 2) + 1;
    else if (text.startsWith("//", i)) i = text.indexOf("\n", i);
    else if (text[i] === "}") return i;
    if (i <= 0) break;
  }
  throw new AbiError(`unterminated enum at offset ${from}`);
}

function readEnums(root) {
  const enums = [];
  for (const file of assemblyFiles(root)) {
    const text = readFileSync(join(root, file), "utf8");
    const re = /^export const enum (\w+)\s*\{/gm;
    let m;
    while ((m = re.exec(text)) !== null) {
      const end = closingBrace(text, re.lastIndex);
      const body = text.slice(re.lastIndex, end);
      const members = [];
      const mre = /(\/\*\*[\s\S]*?\*\/\s*)?(\w+)\s*=\s*(-?\d+)\s*,?[ \t]*(?:\/\/[ \t]*(.*))?/g;
      let mm;
      const stripped = body.replace(/^\s*\/\/.*$/gm, "");
      while ((mm = mre.exec(stripped)) !== null) {
        const doc = mm[1] ? docBefore(mm[1].trimEnd(), mm[1].trimEnd().length) : mm[4]?.trim() ?? "";
        members.push({ name: mm[2], value: Number(mm[3]), doc: doc ?? "" });
      }
      const rest = stripped.replace(mre, "").replace(/\/\*\*[\s\S]*?\*\//g, "").trim();
      if (rest !== "") throw new AbiError(`${file}: enum ${m[1]}: members must be NAME = integer (cannot read "${rest.slice(0, 40)}")`);
      if (members.length === 0) throw new AbiError(`${file}: enum ${m[1]} has no members`);
      enums.push({ name: m[1], file, line: lineOf(text, m.index), doc: docBefore(text, m.index) ?? "", members });
    }
  }
  const seen = new Map();
  for (const e of enums) {
    if (seen.has(e.name)) throw new AbiError(`enum ${e.name} is declared in ${seen.get(e.name)} and ${e.file}`);
    seen.set(e.name, e.file);
  }
  return enums;
}

/** How a parameter type crosses the boundary. */
function classify(type, enumNames, where) {
  if (SCALARS.has(type)) return { kind: "scalar", ts: "number" };
  if (type === "flag") return { kind: "scalar", ts: "boolean | 0 | 1" };
  if (enumNames.has(type)) return { kind: "scalar", ts: type };
  const pm = /^(opt_ptr|ptr)<(\w+)>$/.exec(type);
  if (pm) {
    const el = ELEMENTS[pm[2]];
    if (!el) throw new AbiError(`${where}: no SDK element type for ${type}; known: ${Object.keys(ELEMENTS).join(", ")}`);
    return { kind: pm[1], ts: `Ptr<${el}>` };
  }
  throw new AbiError(`${where}: parameter type ${type} cannot cross the boundary (use i32, u32, f64, usize, flag, an export const enum, ptr<T> or opt_ptr<T>)`);
}

function returnType(type, enumNames, where) {
  if (type === "void") return "void";
  if (SCALARS.has(type)) return "number";
  if (enumNames.has(type)) return type;
  throw new AbiError(`${where}: return type ${type} cannot cross the boundary`);
}

function jsdoc(lines, indent) {
  const body = lines.flatMap((l) => l.split("\n"));
  while (body.length && body[body.length - 1] === "") body.pop();
  if (body.length === 1) return `${indent}/** ${body[0]} */\n`;
  return `${indent}/**\n${body.map((l) => (l === "" ? `${indent} *` : `${indent} * ${l}`)).join("\n")}\n${indent} */\n`;
}

const link = (file, line) => `[${file}:${line}](../../${file}#L${line})`;

/** The text of sdk/engine/abi.ts for the sources under `root`. */
export function generateAbi(root = ROOT) {
  const enums = readEnums(root);
  const enumNames = new Set(enums.map((e) => e.name));
  const cache = new Map();
  const fns = readExports(root).map((e) => parseFunction(root, e.name, e.file, cache));
  for (const f of fns) {
    f.where = `${f.file}:${f.line} (${f.name})`;
    for (const p of f.params) Object.assign(p, classify(p.type, enumNames, f.where));
    f.ts = returnType(f.returns, enumNames, f.where);
  }

  let o = "";
  o += "// GENERATED by scripts/abi.mjs from assembly/ — do not edit. The build regenerates this file\n";
  o += "// before it compiles the module, and test/abi.test.ts fails when it and assembly/ disagree.\n";
  o += "// What it holds: the constants every `export const enum` in assembly/ defines, the raw exports\n";
  o += "// of seqlearn.wasm (WasmExports), the named arguments Engine.call takes for each export\n";
  o += "// (AbiArgs), and the order the export takes them in (ABI_PARAMS). docs/internals/engine-abi.md\n";
  o += "// explains the boundary.\n";
  o += 'import type { Ptr, Typed } from "./engine.js";\n\n';
  o += "// ---- Constants ---------------------------------------------------------------------------\n\n";
  for (const e of enums) {
    o += jsdoc([...(e.doc ? [e.doc, ""] : []), `Defined in ${link(e.file, e.line)}.`], "");
    o += `export const ${e.name} = {\n`;
    for (const m of e.members) o += (m.doc ? jsdoc([m.doc], "  ") : "") + `  ${m.name}: ${m.value},\n`;
    o += "} as const;\n";
    o += `export type ${e.name} = (typeof ${e.name})[keyof typeof ${e.name}];\n\n`;
  }

  o += "// ---- The module's exports ------------------------------------------------------------------\n\n";
  o += "/** The exports of seqlearn.wasm as WebAssembly hands them out: addresses are plain numbers. */\n";
  o += "export interface WasmExports {\n  readonly memory: WebAssembly.Memory;\n";
  for (const f of fns) {
    o += jsdoc([...(f.doc ? [f.doc, ""] : []), `${link(f.file, f.line)}`], "  ");
    const ps = f.params.map((p) => `${p.name}: number`).join(", ");
    o += `  ${f.name}(${ps}): ${f.ts === "void" ? "void" : "number"};\n`;
  }
  o += "}\n\n";

  o += "/** Every export's name. */\nexport type ExportName = keyof AbiArgs;\n\n";
  o += "/**\n * The named arguments of each export, as Engine.call takes them. Address parameters take a\n";
  o += " * WasmBuffer or a copy-in / copy-out / scratch descriptor of the right element type (`Ptr<…>`);\n";
  o += " * optional ones (opt_ptr in assembly/) may be left out or null, which passes address 0.\n */\n";
  o += "export interface AbiArgs {\n";
  for (const f of fns) {
    o += jsdoc([...(f.doc ? [f.doc, ""] : []), `Engine side: ${link(f.file, f.line)}.`], "  ");
    if (f.params.length === 0) {
      o += `  ${f.name}: Record<string, never>;\n`;
      continue;
    }
    o += `  ${f.name}: {\n`;
    for (const p of f.params) {
      const decl = p.kind === "opt_ptr" ? `${p.name}?: ${p.ts} | null;` : `${p.name}: ${p.ts};`;
      o += `    /** \`${p.type}\`${p.doc ? ` — ${p.doc}` : ""} */ ${decl}\n`;
    }
    o += "  };\n";
  }
  o += "}\n\n";

  o += "/** What each export returns (`void` for none). */\nexport interface AbiReturns {\n";
  for (const f of fns) o += `  ${f.name}: ${f.ts};\n`;
  o += "}\n\n";

  o += "/** The parameter names of each export, in the order the export takes them. */\n";
  o += "export const ABI_PARAMS: { readonly [K in ExportName]: readonly (keyof AbiArgs[K])[] } = {\n";
  for (const f of fns) o += `  ${f.name}: [${f.params.map((p) => JSON.stringify(p.name)).join(", ")}],\n`;
  o += "};\n\n";

  o += "/** Parameters that may be left out (address 0). */\n";
  o += "export const ABI_OPTIONAL: { readonly [K in ExportName]?: readonly (keyof AbiArgs[K])[] } = {\n";
  for (const f of fns) {
    const opt = f.params.filter((p) => p.kind === "opt_ptr");
    if (opt.length) o += `  ${f.name}: [${opt.map((p) => JSON.stringify(p.name)).join(", ")}],\n`;
  }
  o += "};\n\n";

  o += "/** Exports whose result is unsigned (u32, usize): Engine.call returns it as a number ≥ 0. */\n";
  o += `export const ABI_UNSIGNED: readonly ExportName[] = [${fns.filter((f) => UNSIGNED.has(f.returns)).map((f) => JSON.stringify(f.name)).join(", ")}];\n`;
  return o;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes("--check");
  try {
    const text = generateAbi(ROOT);
    const path = join(ROOT, OUTPUT);
    let old = null;
    try {
      old = readFileSync(path, "utf8");
    } catch {}
    if (check) {
      if (old !== text) {
        console.error(`abi: ${OUTPUT} is out of date with assembly/; run node scripts/abi.mjs`);
        process.exit(1);
      }
    } else if (old !== text) {
      writeFileSync(path, text);
      console.log(`abi: wrote ${relative(process.cwd(), path) || OUTPUT}`);
    }
  } catch (e) {
    if (e instanceof AbiError) {
      console.error(`abi: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}
