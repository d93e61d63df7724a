// Vite: nothing is needed for `vite build`, which emits the .wasm file and the worker the
// package points at. The dev server pre-bundles dependencies into node_modules/.vite/, where
// the package's relative URLs no longer hold: leave seqlearn out of the pre-bundling.
import { defineConfig } from "vite";

export default defineConfig({
  optimizeDeps: { exclude: ["seqlearn"] },
  worker: { format: "es" },
});
