#!/usr/bin/env node
// Benchmark runner: `npm run bench [-- --only id[,id]] [--quick] [--out FILE] [--no-write]`.
// Runs every bench/cases/*.mjs (sorted by `order`) in this process against the built SDK
// (dist/node/index.js) and the peers, and writes BENCHMARKS.md: a header describing the machine,
// then one section per case. A case is `export default { id, title, order, async run(ctx) }`
// returning markdown (the runner adds the "## title" heading). ctx has:
//   sl            the seqlearn module (dist/node/index.js), initialised
//   time(fn, { minReps = 3, minMs = 300, warmup = true })   median ms per call
//   python(code, input?, { threads })  runs code in a numpy-capable python3, single-threaded
//                 unless `threads` says otherwise (a count, or "default"); `input` is the dict
//                 INPUT, bench_ms(fn) gives a median ms; returns the JSON object printed on the
//                 last stdout line, or null when python / a module is missing
//   The engine runs on one thread (init({ threads: 1 })); a case that measures threads sets
//   them with sl.getEngine().setThreads(n) and puts them back.
//   peers         { numpy, scipy, sklearn, mlMatrix, mlKernel }: versions or null
//   quick, log(msg), summary (push { case, what, value, target } rows for the header)
//
// A full run rewrites BENCHMARKS.md. With --only, the named cases' sections are replaced in
// the existing file (other sections and their dates are kept). --quick (smaller sizes, a
// smoke run) prints to stdout and writes nothing unless --out is given.
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { time } from "./lib/timing.mjs";
import { runPython, pythonPeers, findPython } from "./lib/python.mjs";
import { machine, npmVersion, loadAverage } from "./lib/machine.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
  const i = argv.findIndex((a) => a === name || a.startsWith(name + "="));
  if (i < 0) return undefined;
  return argv[i].includes("=") ? argv[i].slice(name.length + 1) : argv[i + 1];
};
if (flag("--help") || flag("-h")) {
  console.log("usage: node bench/run.mjs [--only id[,id]] [--quick] [--out FILE] [--no-write]");
  process.exit(0);
}
const quick = flag("--quick");
const only = option("--only")?.split(",").map((s) => s.trim()).filter(Boolean);
const outFile = option("--out") ?? (quick ? null : join(root, "BENCHMARKS.md"));
const write = !flag("--no-write") && outFile !== null;

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

// ---- cases ---------------------------------------------------------------------------
const caseDir = join(root, "bench", "cases");
const cases = [];
for (const f of readdirSync(caseDir).filter((f) => f.endsWith(".mjs")).sort()) {
  const mod = await import(pathToFileURL(join(caseDir, f)).href);
  const c = mod.default;
  if (!c || typeof c.run !== "function" || typeof c.id !== "string") {
    log(`skipping ${f}: no default export { id, title, order, run }`);
    continue;
  }
  cases.push({ order: 0, title: c.id, ...c, file: f });
}
cases.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
// Ids starting with "_" (the header) always run.
const selected = cases.filter((c) => c.id.startsWith("_") || !only || only.includes(c.id));
if (only) {
  const unknown = only.filter((id) => !cases.some((c) => c.id === id));
  if (unknown.length) {
    console.error(`unknown case id(s): ${unknown.join(", ")}; known: ${cases.filter((c) => !c.id.startsWith("_")).map((c) => c.id).join(", ")}`);
    process.exit(2);
  }
}

// ---- context -------------------------------------------------------------------------
const distEntry = join(root, "dist", "node", "index.js");
if (!existsSync(distEntry)) {
  console.error("dist/node/index.js is missing: run `npm run build` first");
  process.exit(2);
}
const sl = await import(pathToFileURL(distEntry).href);
await sl.init({ threads: 1 });

log("looking for peers");
const py = findPython() ? pythonPeers() : null;
const peers = {
  numpy: py?.numpy ?? null,
  scipy: py?.scipy ?? null,
  sklearn: py?.sklearn ?? null,
  mlMatrix: npmVersion(root, "ml-matrix"),
  mlKernel: npmVersion(root, "ml-kernel"),
};
const loadStart = loadAverage();
const started = new Date();

const ctx = {
  sl,
  time,
  python: (code, input, options) => runPython(code, input, options),
  peers,
  quick,
  log: (msg) => log(msg),
  // Optional: cases may push { case, what, value, target } rows; the header lists them.
  summary: [],
  // For the header case only.
  meta: { machine: machine(), py, started, loadStart, only, quick, seqlearnVersion: sl.version ?? null },
};

// ---- run -----------------------------------------------------------------------------
const sections = [];
let failed = 0;
for (const c of selected) {
  log(`${c.id}: ${c.title}`);
  const t0 = performance.now();
  let body;
  try {
    body = await c.run(ctx);
  } catch (e) {
    failed++;
    body = `**benchmark failed:** ${String(e?.stack ?? e).split("\n").slice(0, 3).join(" ")}`;
    log(`${c.id} failed: ${e?.message ?? e}`);
  }
  const secs = (performance.now() - t0) / 1000;
  log(`${c.id}: done in ${secs.toFixed(1)} s`);
  sections.push({ id: c.id, title: c.title, body: String(body ?? "").trim() });
}
ctx.meta.loadEnd = loadAverage();

function render(s) {
  const heading = s.id.startsWith("_") ? "" : `## ${s.title}\n\n`;
  return `<!-- bench:${s.id} -->\n${heading}${s.body}\n<!-- /bench:${s.id} -->`;
}

// A partial run keeps the target rows of the cases it did not run (from the existing file),
// so the header's summary still covers every case.
if (only && existsSync(outFile)) {
  const old = readFileSync(outFile, "utf8");
  const block = old.split("### Targets")[1]?.split("<!-- /bench:")[0] ?? "";
  const kept = [];
  for (const line of block.split("\n")) {
    const cells = line.trim().replace(/^\|/, "").replace(/\|$/, "").split(" | ").map((x) => x.trim());
    if (cells.length !== 4 || cells[0] === "case" || cells[0].startsWith("---")) continue;
    if (!only.includes(cells[0])) kept.push({ case: cells[0], what: cells[1], value: cells[2], target: cells[3] });
  }
  const rank = (id) => { const i = cases.findIndex((c) => c.id === id); return i < 0 ? cases.length : i; };
  ctx.summary.push(...kept);
  ctx.summary.sort((a, b) => rank(a.case) - rank(b.case));
}

// The header case may use loadEnd: render it last.
const header = cases.find((c) => c.id.startsWith("_"));
if (header && typeof header.finish === "function") {
  const i = sections.findIndex((s) => s.id === header.id);
  if (i >= 0) sections[i].body = String(await header.finish(ctx)).trim();
}

let text;
if (only && write && existsSync(outFile)) {
  text = readFileSync(outFile, "utf8");
  for (const s of sections) {
    const re = new RegExp(`<!-- bench:${s.id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} -->[\\s\\S]*?<!-- /bench:${s.id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} -->`);
    if (re.test(text)) text = text.replace(re, () => render(s));
    else text = text.trimEnd() + "\n\n" + render(s) + "\n";
  }
} else {
  text = sections.map(render).join("\n\n") + "\n";
}

if (write) {
  writeFileSync(outFile, text);
  log(`wrote ${outFile}`);
}
if (!write || quick) process.stdout.write(text);
if (failed) {
  log(`${failed} case(s) failed`);
  process.exitCode = 1;
}
