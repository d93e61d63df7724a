#!/usr/bin/env node
// `npm test`: builds what is missing or stale, runs vitest over test/**/*.test.ts (which
// includes the runtime matrix: the core suite in Deno, headless Chromium and WASI), then
// prints a summary ending with the line `N passed, N failed`. Exits non-zero on any failure.
//
//   node scripts/test.mjs                     everything
//   node scripts/test.mjs test/engine.test.ts a subset (arguments go to vitest)
//   node scripts/test.mjs --only deno|browser|wasi   one runtime of the matrix
//   node scripts/test.mjs --no-build          skip the freshness check
//   node scripts/test.mjs --no-typecheck      skip `tsc -p tsconfig.json` (the SDK and the tests)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

const ONLY = { deno: "Deno", browser: "Chromium", chromium: "Chromium", wasi: "WASI" };
const argv = process.argv.slice(2);
const vitestArgs = [];
let build = true, typecheck = true;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--no-build") build = false;
  else if (argv[i] === "--no-typecheck") typecheck = false;
  else if (argv[i] === "--only") {
    const which = argv[++i];
    if (!ONLY[which]) {
      console.error(`test: --only expects one of ${Object.keys(ONLY).join(", ")}, got ${which}`);
      process.exit(2);
    }
    vitestArgs.push("test/runtimes.test.ts", "-t", ONLY[which]);
  } else vitestArgs.push(argv[i]);
}

// 1. Build when an artifact is missing or older than a source it is built from.
// dist/node/worker.js is among them because the tests that run a pool from the TypeScript
// sources start it in their workers (sdk/platform.ts): it must be built from the current sources.
const { SUBPATHS, TARGETS } = await import("./bundle.mjs");
const ARTIFACTS = [
  "build/seqlearn.wasm", "build/seqlearn.wasi.wasm", "build/seqlearn.threads.wasm", "build/seqlearn.threads.wat", "dist/cli.js", "dist/node/cli.js", "dist/node/require.cjs",
  "dist/types/index.d.ts", "dist/types-deno/index.d.ts",
  // every entry of every target (scripts/bundle.mjs)
  ...Object.values(TARGETS).flatMap((t) => ["index", ...SUBPATHS, ...(t.worker ? ["worker"] : [])].map((e) => `dist/${t.dir}/${e}.js`)),
];
const SOURCES = ["assembly", "sdk", "scripts/build.mjs", "scripts/bundle.mjs", "asconfig.json", "asconfig.wasi.json", "asconfig.threads.json", "tsconfig.json", "tsconfig.build.json"];

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const e of readdirSync(path)) m = Math.max(m, newest(join(path, e)));
  return m;
}

if (build) {
  const missing = ARTIFACTS.filter((a) => !existsSync(a));
  const oldest = missing.length ? 0 : Math.min(...ARTIFACTS.map((a) => statSync(a).mtimeMs));
  const stale = SOURCES.filter((s) => newest(s) > oldest);
  if (missing.length || stale.length) {
    console.log(`test: building (${missing.length ? `missing ${missing.join(", ")}` : `changed since the last build: ${stale.join(", ")}`})`);
    const r = spawnSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
    if (r.status !== 0) {
      console.error("test: the build failed, no tests were run");
      console.log("0 passed, 1 failed");
      process.exit(1);
    }
  }
}

// 1b. Type check: tsconfig.json covers sdk/ and test/ and emits nothing. Each type error counts
// as one failure in the summary; a clean check counts as one passed check. vitest runs either
// way (it strips types without checking them).
const typeErrors = [];
if (typecheck) {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const t = Date.now();
  const tc = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json", "--pretty", "false"], { encoding: "utf8" });
  const out = `${tc.stdout ?? ""}${tc.stderr ?? ""}`;
  for (const l of out.split("\n")) if (/error TS\d+/.test(l)) typeErrors.push(l.trim());
  if (tc.status !== 0 && typeErrors.length === 0) typeErrors.push(`tsc exited with status ${tc.status ?? tc.signal}${tc.error ? ` (${tc.error.message})` : ""}`);
  if (typeErrors.length) process.stdout.write(`test: typecheck (tsc -p tsconfig.json) found ${typeErrors.length} error(s):\n${out}`);
  else console.log(`test: typecheck (tsc -p tsconfig.json): no errors (${Date.now() - t} ms)`);
}

// 2. vitest, with the default reporter on the terminal and a JSON report for the summary.
mkdirSync("dist-test", { recursive: true });
const jsonFile = join("dist-test", "vitest-report.json");
const matrixFile = join("dist-test", "runtime-matrix.json");
rmSync(jsonFile, { force: true });
rmSync(matrixFile, { force: true });
const started = Date.now();
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
const r = spawnSync(process.execPath, [vitest, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${jsonFile}`, ...vitestArgs], { stdio: "inherit" });
const seconds = ((Date.now() - started) / 1000).toFixed(1);

// 3. Summary.
let report = null;
try {
  report = JSON.parse(readFileSync(jsonFile, "utf8"));
} catch {
  console.error(`test: vitest wrote no report (exit status ${r.status ?? r.signal})`);
  console.log(`0 passed, ${1 + typeErrors.length} failed`);
  process.exit(1);
}

const failures = [], skips = [];
let passed = 0, failed = 0, skipped = 0;
if (typecheck && typeErrors.length === 0) passed++;
for (const e of typeErrors) {
  failed++;
  failures.push(`typecheck › ${e}`);
}
for (const file of report.testResults ?? []) {
  const name = relative(root, file.name);
  const results = file.assertionResults ?? [];
  for (const a of results) {
    if (a.status === "passed") passed++;
    else if (a.status === "failed") {
      failed++;
      failures.push(`${name} › ${a.fullName}`);
    } else {
      skipped++;
      skips.push(`${name} › ${a.fullName}`);
    }
  }
  // A file that failed to load or whose hooks threw has no failed test to count it by.
  if (file.status === "failed" && !results.some((a) => a.status === "failed")) {
    failed++;
    failures.push(`${name} (${(file.message || "suite failed").split("\n")[0]})`);
  }
}

const line = "─".repeat(72);
console.log(`\n${line}\nseqlearn test summary (${seconds} s)`);
if (existsSync(matrixFile)) {
  const { runtimes } = JSON.parse(readFileSync(matrixFile, "utf8"));
  console.log("runtime matrix (core suite + determinism digest):");
  for (const [rt, m] of Object.entries(runtimes)) {
    const counts = m.passed !== undefined ? `${m.passed} passed, ${m.failed} failed` : "";
    console.log(`  ${rt.padEnd(9)} ${m.status.padEnd(8)} ${counts.padEnd(20)} ${m.status === "skipped" ? m.detail : m.digest ?? ""}`);
  }
  const digests = Object.values(runtimes).filter((m) => m.digest).map((m) => m.digest);
  if (digests.length > 1) {
    console.log(`  digests ${new Set(digests).size === 1 ? `identical in ${digests.length} runtimes` : "DIFFER between runtimes"}`);
  }
}
if (skipped) {
  console.log(`${skipped} skipped${skipped > 12 ? "" : ":"}`);
  if (skipped <= 12) for (const s of skips) console.log(`  - ${s}`);
}
if (failures.length) {
  console.log("failed:");
  for (const f of failures) console.log(`  ✗ ${f}`);
}
console.log(line);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || r.status !== 0 ? 1 : 0);
