// WASI driver: runs the core suite against build/seqlearn.wasi.wasm under node:wasi and
// prints one JSON SuiteReport. Run in its own process, so the default engine is the WASI one.
//
// The AssemblyScript wasi-shim module is a WASI *command*: it exports `_start` (which runs
// the module's start-up code and returns), so it is started with wasi.start(), not
// wasi.initialize(). A WASI object can start only one instance, and the engine
// re-instantiates the module after a trap, so every instance gets a fresh WASI object; the
// import object forwards to whichever is current.
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";
import { runSuite, sdk } from "../../dist-test/suite/core-suite.js";

const bytes = await readFile(new URL("../../build/seqlearn.wasi.wasm", import.meta.url));
const module = await WebAssembly.compile(bytes);

let current = null;
const names = WebAssembly.Module.imports(module).filter((i) => i.module === "wasi_snapshot_preview1").map((i) => i.name);
const forward = Object.fromEntries(names.map((n) => [n, (...args) => current.wasiImport[n](...args)]));
let instances = 0;

const report = await runSuite({
  source: module,
  imports: { wasi_snapshot_preview1: forward },
  onInstance(instance) {
    current = new WASI({ version: "preview1", args: [], env: {}, returnOnExit: true });
    const code = current.start(instance);
    if (code !== undefined && code !== 0) throw new Error(`WASI _start exited with code ${code}`);
    instances++;
  },
});
// A trap must reset the engine (a new instance, started by a fresh WASI object) and leave it
// working: compare a Cholesky factor computed after the reset with one from before.
const trap = { ok: false };
try {
  const A = sdk.Matrix.fromRows([[4, 2], [2, 3]]);
  const before = sdk.linalg.cholesky(A).L.data.slice();
  const eng = sdk.getEngine();
  const kept = eng.f64(4);
  const generation = eng.generation;
  let caught = null;
  try {
    eng.call("dot", { x: 0xfffffff0, y: 0, n: 64 }); // out-of-bounds read: a trap
  } catch (e) {
    caught = e;
  }
  const after = sdk.linalg.cholesky(A).L.data;
  let staleRejected = false;
  try { kept.view; } catch (e) { staleRejected = e instanceof sdk.EngineStateError; }
  trap.ok = caught instanceof sdk.EngineTrapError && eng.generation === generation + 1 && staleRejected &&
    after.every((v, i) => Object.is(v, before[i]));
  trap.error = caught ? `${caught.name}: ${caught.message}` : "no error thrown";
} catch (e) {
  trap.error = `${e?.name}: ${e?.message}`;
}
report.trapRecovery = trap;
report.runtime = `wasi (node ${process.versions.node}, node:wasi preview1)`;
report.wasiInstances = instances;
console.log(JSON.stringify(report));
