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
import { runSuite } from "../../dist-test/core-suite.js";

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
report.runtime = `wasi (node ${process.versions.node}, node:wasi preview1)`;
report.wasiInstances = instances;
console.log(JSON.stringify(report));
