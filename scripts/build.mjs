#!/usr/bin/env node
// Builds everything `npm install` needs: the SIMD module, the WASI module, the SDK bundles
// and the type declarations. `--wasm-only` stops after the modules; `--sdk-only` skips them
// when they exist.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
const wasmOnly = process.argv.includes("--wasm-only");
// `--sdk-only`: keep the modules in build/ (for work on the SDK alone).
const sdkOnly = process.argv.includes("--sdk-only") && existsSync("build/seqlearn.wasm") && existsSync("build/seqlearn.wasi.wasm");
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
if (!sdkOnly) run(bin("asc"), ["assembly/index.ts", "--config", "asconfig.json", "--target", "release"], "build/seqlearn.wasm");
if (!sdkOnly) run(bin("asc"), ["assembly/index.ts", "--config", "asconfig.wasi.json", "--target", "release"], "build/seqlearn.wasi.wasm");
if (wasmOnly) process.exit(0);

const esbuild = await import("esbuild");
const { bundleSdk, SUBPATHS, TARGETS, denoTypesHeader } = await import("./bundle.mjs");
rmSync("dist", { recursive: true, force: true });
let t = Date.now();
// One build per runtime target (scripts/bundle.mjs): dist/node/, dist/web/, dist/workerd/, each
// with index.js, the subpath entries (kernel.js, …), the worker entry and their shared chunks.
for (const target of Object.keys(TARGETS)) {
  await bundleSdk({ root, outdir: join("dist", TARGETS[target].dir), target, sourcemap: target !== "workerd" });
}
// `require("seqlearn")`: the ES module itself, through require(esm) (Node ≥ 20.19 and 22.12),
// so that a program that both imports and requires the package holds one engine. Older Node
// versions cannot require an ES module: say so, and what to do instead.
writeFileSync("dist/node/require.cjs", `"use strict";
// require("seqlearn") in Node: the package is ES modules; Node >= 20.19 (and >= 22.12) loads
// them with require(), giving the same module (and engine) as \`import\`.
try {
  module.exports = require("./index.js");
} catch (e) {
  if (e && e.code === "ERR_REQUIRE_ESM") {
    throw new Error("seqlearn is an ES module package: this Node (" + process.version + ") cannot require() it. " +
      "Use Node >= 20.19 or >= 22.12, or load it with: const seqlearn = await import('seqlearn')", { cause: e });
  }
  throw e;
}
`);
// The CLI: one self-contained file for Node, in dist/node/ like the Node build (so the module
// is at ../../build/seqlearn.wasm from it too); dist/cli.js, the `bin`, starts it.
await esbuild.build({
  entryPoints: ["sdk/cli/main.ts"],
  outfile: "dist/node/cli.js",
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  // The map points stack traces at sdk/ files and lines; the sources themselves are not
  // shipped, and embedding them (sourcesContent) would make this one map most of the tarball.
  sourcesContent: false,
  external: ["node:*"],
  logLevel: "warning",
  platform: "node",
});
writeFileSync("dist/cli.js", `#!/usr/bin/env node\n// The \`seqlearn\` command (sdk/cli/main.ts, bundled as dist/node/cli.js).\nimport "./node/cli.js";\n`);
chmodSync("dist/cli.js", 0o755);
console.log(`build: dist bundles (${Date.now() - t} ms)`);
run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], "dist/types (tsc)");

// Deno reads the types of a file imported by path from its `// @ts-self-types` header, and
// resolves the imports of declaration files exactly as written, so it needs "./x.d.ts" where
// TypeScript needs "./x.js": dist/types-deno/ is dist/types/ with those specifiers. The web
// entries (what a path import of the package reaches) carry the header.
t = Date.now();
copyTree("dist/types", "dist/types-deno", (text) => text.replace(/((?:from|import)\s*\(?\s*["']\.{1,2}\/[^"']*?)\.js(["'])/g, "$1.d.ts$2"));
for (const name of ["index", ...SUBPATHS]) {
  const file = join("dist", "web", `${name}.js`);
  writeFileSync(file, denoTypesHeader(join("dist", "web"), name, join("dist", "types-deno")) + readFileSync(file, "utf8"));
  const map = `${file}.map`;
  if (existsSync(map)) {
    const m = JSON.parse(readFileSync(map, "utf8"));
    m.mappings = `;${m.mappings}`; // the header is one more line before the code
    writeFileSync(map, JSON.stringify(m));
  }
}
console.log(`build: dist/types-deno and the Deno type headers (${Date.now() - t} ms)`);

// The interactive demo (examples/demo/): the pages (index.html: SQUEAK, KRR, games; align.html: a
// language model trained in a Web Worker) and their workers, bundled from the SDK's
// sources for the browser (the web target's files), into dist/demo/, two levels below the root
// like the package's builds, so the engine is at ../../build/seqlearn.wasm. Not in the tarball.
t = Date.now();
const { variantsPlugin } = await import("./bundle.mjs");
await esbuild.build({
  entryPoints: ["examples/demo/demo.js", "examples/demo/squeak-worker.js", "examples/demo/align.js", "examples/demo/align-worker.js"],
  outdir: "dist/demo",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  plugins: [variantsPlugin(TARGETS.web.variants)],
  logLevel: "warning",
});
writeFileSync("dist/demo/index.html", readFileSync("examples/demo/index.html", "utf8"));
writeFileSync("dist/demo/align.html", readFileSync("examples/demo/align.html", "utf8"));
console.log(`build: dist/demo, the interactive demo (${Date.now() - t} ms)`);

function copyTree(from, to, transform) {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const a = join(from, e.name), b = join(to, e.name);
    if (e.isDirectory()) copyTree(a, b, transform);
    else if (e.name.endsWith(".d.ts")) writeFileSync(b, transform(readFileSync(a, "utf8")));
  }
}
