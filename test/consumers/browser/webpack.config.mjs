// webpack 5: its defaults follow `new URL("…", import.meta.url)` (the .wasm becomes an asset)
// and `new Worker(new URL("…", import.meta.url))` (the worker becomes a chunk of its own).
import { fileURLToPath } from "node:url";

export default {
  mode: "production",
  entry: "./main.js",
  output: { path: fileURLToPath(new URL("../out/webpack/", import.meta.url)), clean: true },
  performance: { hints: false },
};
