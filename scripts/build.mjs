#!/usr/bin/env node
// Builds everything `npm install` needs: the SIMD module, the WASI module, the SDK bundles
// and the type declarations. `--wasm-only` stops after the modules.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
const wasmOnly = process.argv.includes("--wasm-only");
const bin = (name) => join(root, "node_modules", ".bin", name);

function run(cmd, args, label) {
  const t = Date.now();
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`build: ${label} failed`);
    process.exit(r.status ?? 1);
  }
  console.log(`build: ${label} (${Date.now() - t} ms)`);
}

mkdirSync("build", { recursive: true });
run(process.execPath, [join(root, "scripts", "abi.mjs")], "sdk/engine/abi.ts from assembly/ (scripts/abi.mjs)");
run(bin("asc"), ["assembly/index.ts", "--config", "asconfig.json", "--target", "release"], "build/seqlearn.wasm");
run(bin("asc"), ["assembly/index.ts", "--config", "asconfig.wasi.json", "--target", "release"], "build/seqlearn.wasi.wasm");
if (wasmOnly) process.exit(0);

const esbuild = await import("esbuild");
const { bundleSdk } = await import("./bundle.mjs");
rmSync("dist", { recursive: true, force: true });
let t = Date.now();
// dist/index.js, the subpath entries (dist/kernel.js, …) and the worker entry dist/worker.js
// (one build, shared chunks: scripts/bundle.mjs).
await bundleSdk({ root, outdir: "dist" });
// The CLI: one self-contained file for Node.
await esbuild.build({
  entryPoints: ["sdk/cli/main.ts"],
  outfile: "dist/cli.js",
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  external: ["node:*"],
  define: { __SEQLEARN_WASM_REL__: JSON.stringify("../build/seqlearn.wasm") },
  logLevel: "warning",
  platform: "node",
  banner: { js: "#!/usr/bin/env node" },
});
console.log(`build: dist bundles (${Date.now() - t} ms)`);
run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], "dist/types (tsc)");
