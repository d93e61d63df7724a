// The page bundled by esbuild (--platform=browser), which follows neither `new URL(…,
// import.meta.url)` nor `new Worker(…)`: the .wasm file is imported through the `file` loader
// (its URL in the output), and the package's worker entry is a second entry point of the same
// build, so it lands next to the page's bundle as worker.js, where the package starts it.
import * as sl from "seqlearn";
import wasmUrl from "seqlearn/seqlearn.wasm";
import { compute } from "../compute.mjs";

const out = document.getElementById("out");
compute(sl, { workers: 2, source: new URL(wasmUrl, import.meta.url) }).then(
  (r) => { window.__result = r; out.textContent = JSON.stringify(r, null, 1); },
  (e) => { window.__result = { error: String((e && e.stack) || e) }; out.textContent = String(e); },
);
