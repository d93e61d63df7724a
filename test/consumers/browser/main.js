// A bundled page (Vite, webpack): the package is imported by name and init() is given no
// source, so the bundler must have emitted the .wasm file the package points at with
// `new URL(…, import.meta.url)`, and the worker entry it starts with `new Worker(new URL(…))`.
import * as sl from "seqlearn";
import { compute } from "../compute.mjs";

const out = document.getElementById("out");
compute(sl, { workers: 2 }).then(
  (r) => { window.__result = r; out.textContent = JSON.stringify(r, null, 1); },
  (e) => { window.__result = { error: String((e && e.stack) || e) }; out.textContent = String(e); },
);
