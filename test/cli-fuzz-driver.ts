// The driver of test/cli-fuzz.test.ts, bundled and run in a child process (so that a hang is
// a timeout of that process, not of the test runner): seeded random mutations of valid CSV,
// TSV, JSON-lines, model and dictionary files, each run through the CLI's readers (fit, rls,
// predict, inspect, merge, fit --dictionary) in this process. For every run it records the
// exit code, whether anything but one-line messages reached stderr (a stack trace), whether
// an input changed, and whether the output file was clobbered: an earlier output must survive
// a failed run byte for byte, and no temporary file may remain. Prints one JSON report.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../sdk/cli/app.js";
import { init } from "../sdk/engine/index.js";

interface Failure { kind: string; argv: string[]; detail: string }

const seed = Number(process.argv[2] ?? 1);
const cases = Number(process.argv[3] ?? 400);
let s = seed >>> 0;
const next = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
const below = (n: number): number => next() % n;
const pick = <T>(a: readonly T[]): T => a[below(a.length)];

const dir = mkdtempSync(join(tmpdir(), "seqlearn-fuzz-"));
const at = (f: string) => join(dir, f);
const hash = (f: string) => (existsSync(f) ? createHash("sha256").update(readFileSync(f)).digest("hex") : "absent");

function table(n: number, sep: string): string {
  let t = `x1${sep}x2${sep}y\n`;
  for (let i = 0; i < n; i++) {
    const x1 = Math.sin(i * 1.3), x2 = Math.cos(i * 0.7);
    t += `${x1}${sep}${x2}${sep}${x1 * x1 - x2}\n`;
  }
  return t;
}
function jsonl(n: number): string {
  let t = "";
  for (let i = 0; i < n; i++) t += JSON.stringify({ x1: Math.sin(i * 1.3), x2: Math.cos(i * 0.7), y: Math.sin(i) }) + "\n";
  return t;
}

// Values that break readers: extremes, non-numbers, structure.
const NASTY = ["1e300", "-1e308", "1e154", "5e-324", "NaN", "Infinity", "null", "\"0.5\"", "", "\"", ",", "\n", "\r", "{", "[", "]", "}", "-", "0x1f", "1e400", "true", " ", "\u0000", "\uFEFF", "é", "x".repeat(70000)];

// Finite values at the edges of double precision (a 1e300 cell made `fit` loop forever).
const EXTREME = ["1e300", "-1e308", "1e154", "-2e200", "1.7976931348623157e308", "4e-320"];

/** Replace the k-th number of the text (k random) with `by`. */
function replaceNumber(t: string, by: string): string {
  const spans = [...t.matchAll(/-?\d+(\.\d+)?(e-?\d+)?/g)];
  if (spans.length === 0) return t;
  const m = spans[below(spans.length)];
  return t.slice(0, m.index!) + by + t.slice(m.index! + m[0].length);
}

/** One random mutation of a text. */
function mutateText(t: string): string {
  const i = below(t.length + 1), j = Math.min(t.length, i + below(40));
  switch (below(10)) {
    case 8:
    case 9: return replaceNumber(t, pick(EXTREME)); // a value at the edge of double precision
    case 0: return t.slice(0, i) + pick(NASTY) + t.slice(j); // replace a span
    case 1: return t.slice(0, i) + pick(NASTY) + t.slice(i); // insert
    case 2: return t.slice(0, i) + t.slice(j); // delete
    case 3: return t.slice(0, i); // truncate
    case 4: { // duplicate a line
      const lines = t.split("\n");
      const k = below(lines.length);
      lines.splice(k, 0, lines[k]);
      return lines.join("\n");
    }
    case 5: return replaceNumber(t, pick(NASTY)); // a number becomes something else
    case 6: return t.slice(0, i) + String.fromCharCode(below(128)) + t.slice(i + 1); // one character
    default: return `[${t}]`; // wrap
  }
}

/** One random mutation of bytes (a dictionary file), sometimes with its checksum fixed so that
 *  the mutation reaches the value checks behind it. */
function mutateBytes(b: Uint8Array, crc: (x: Uint8Array) => number): Uint8Array {
  const out = b.slice();
  const n = 1 + below(4);
  for (let k = 0; k < n; k++) {
    const i = below(out.length);
    switch (below(4)) {
      case 0: out[i] ^= 1 << below(8); break;
      case 1: out[i] = below(256); break;
      case 2: out.fill(0xff, i, Math.min(out.length, i + 8)); break;
      default: out.fill(0, i, Math.min(out.length, i + 8));
    }
  }
  if (below(3) > 0 && out.length >= 4) {
    const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
    v.setUint32(out.length - 4, crc(out.subarray(0, out.length - 4)), true);
  }
  return below(10) === 0 ? out.subarray(0, below(out.length)) : out;
}

async function cli(argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await runCli(argv, { write: () => {}, out: () => {}, err: (m) => void err.push(m), warn: (m) => void err.push(m), warned: new Set() });
  return { code, err: err.join("\n") };
}

async function main(): Promise<void> {
  await init();
  const { crc32 } = await import("../sdk/core/crc32.js");
  writeFileSync(at("good.csv"), table(40, ","));
  writeFileSync(at("good.tsv"), table(40, "\t"));
  writeFileSync(at("good.jsonl"), jsonl(40));
  const FIT = ["--target", "y", "--gamma", "0.5", "--ridge", "0.1", "--lambda", "0.1", "--qbar", "4", "--quiet"];
  const base = async (argv: string[]) => {
    const r = await cli(argv);
    if (r.code !== 0) throw new Error(`setup failed: ${argv.join(" ")}: ${r.err}`);
  };
  await base(["fit", at("good.csv"), ...FIT, "-o", at("good-model.json")]);
  await base(["leaf", at("good.csv"), "--lambda", "1", "--target", "y", "--start", "0", "-o", at("good-a.dict"), "--quiet"]);
  await base(["leaf", at("good.csv"), "--lambda", "1", "--target", "y", "--start", "40", "-o", at("good-b.dict"), "--quiet"]);
  await base(["inspect", at("good-a.dict"), "--json"]);
  const goodDictJson = await (async () => {
    const out: string[] = [];
    await runCli(["inspect", at("good-a.dict"), "--json"], { out: (m) => void out.push(m), err: () => {} });
    return out.join("\n");
  })();
  const texts: Record<string, string> = {
    csv: readFileSync(at("good.csv"), "utf8"), tsv: readFileSync(at("good.tsv"), "utf8"), jsonl: readFileSync(at("good.jsonl"), "utf8"),
    model: readFileSync(at("good-model.json"), "utf8"), dictjson: goodDictJson,
  };
  const dictBytes = new Uint8Array(readFileSync(at("good-a.dict")));

  const failures: Failure[] = [];
  const codes: Record<string, number> = {};
  const sentinel = "an earlier output that a failed run must leave as it is\n";
  for (let c = 0; c < cases; c++) {
    const kind = pick(["csv", "tsv", "jsonl", "model", "dict", "dictjson"] as const);
    let input: string;
    let runs: string[][];
    const out = at(`out-${c % 7}`);
    if (kind === "dict") {
      input = at(`m${c}.dict`);
      writeFileSync(input, mutateBytes(dictBytes, crc32));
      runs = [
        ["inspect", input],
        ["merge", input, at("good-b.dict"), "-o", out, "--force", "--quiet"],
        ["fit", at("good.csv"), "--target", "y", "--dictionary", input, "-o", out, "--force", "--quiet"],
      ];
    } else {
      const ext = kind === "model" ? "json" : kind === "dictjson" ? "dict.json" : kind;
      input = at(`m${c}.${ext}`);
      let t = texts[kind];
      for (let k = 1 + below(3); k > 0; k--) t = mutateText(t);
      writeFileSync(input, t);
      if (kind === "model") runs = [["predict", input, at("good.csv"), "-o", out, "--force", "--quiet"]];
      else if (kind === "dictjson") runs = [
        ["merge", input, at("good-b.dict"), "-o", out, "--force", "--quiet"],
        ["fit", at("good.csv"), "--target", "y", "--dictionary", input, "-o", out, "--force", "--quiet"],
      ];
      else runs = [
        ["fit", input, ...FIT, "-o", out, "--force", pick([[], ["--scale", "none"], ["--method", "uniform", "--centers", "5"]])].flat(),
        ["rls", input, "--target", "y", "--lambda", "0.5", "-o", out, "--force", "--quiet", ...(below(2) ? ["--exact"] : [])],
        ["predict", at("good-model.json"), input, "-o", out, "--force", "--quiet"],
      ];
    }
    const before = hash(input);
    for (const argv of runs) {
      writeFileSync(out, sentinel);
      let r: { code: number; err: string };
      try {
        r = await cli(argv);
      } catch (e) {
        failures.push({ kind: "uncaught", argv, detail: String((e as Error)?.stack ?? e).slice(0, 2000) });
        continue;
      }
      codes[r.code] = (codes[r.code] ?? 0) + 1;
      if (![0, 1, 2].includes(r.code)) failures.push({ kind: "exit code", argv, detail: `${r.code}: ${r.err}` });
      if (/\n\s+at .*[(:]\d+/.test(r.err)) failures.push({ kind: "stack trace", argv, detail: r.err.slice(0, 2000) });
      if (r.err.length > 4000) failures.push({ kind: "long message", argv, detail: `${r.err.length} characters: ${r.err.slice(0, 300)}` });
      if (r.code !== 0 && readFileSync(out, "utf8") !== sentinel) failures.push({ kind: "clobbered output", argv, detail: r.err });
      if (hash(input) !== before) failures.push({ kind: "input changed", argv, detail: "" });
    }
    rmSync(input, { force: true });
  }
  const temps = readdirSync(dir).filter((f) => f.endsWith(".tmp"));
  if (temps.length) failures.push({ kind: "temporary files left", argv: [], detail: temps.join(", ") });
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ seed, cases, codes, failures }) + "\n");
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ seed, cases, codes: {}, failures: [{ kind: "driver", argv: [], detail: String(e?.stack ?? e) }] }) + "\n");
});
