// The SDK's ES-module bundles, in one esbuild build: the public entry (index.js), one entry per
// subpath of the package (kernel.js for "seqlearn/kernel", games.js, parallel.js, io.js,
// linalg.js, random.js: each its folder's index.ts) and the worker entry (worker.js), with code
// splitting, so that the code they share (the engine above all, and the task tables) lives in
// shared chunks next to them. `import { init } from "seqlearn"` and a function imported from
// "seqlearn/kernel" therefore use one engine, and a worker that runs worker.js and then imports
// a task module that imports index.js (as "seqlearn") holds one copy of the engine, the one
// worker.js initialised; separate bundles would each carry their own. No plugin: the split is
// esbuild's own.
//
// Used by scripts/build.mjs (dist/) and by the tests that bundle the SDK elsewhere
// (dist-test/), optionally with extra entries (e.g. a test task module), so that they test
// exactly the layout that ships. Every output file lands directly in `outdir`, so each finds
// the SIMD module at the same `wasmRel` and the worker script at ./worker.js.
import { join } from "node:path";

/** The package's subpaths ("seqlearn/<name>"), each the index.ts of its SDK folder. The
 *  `exports` map of package.json lists the same names (test/subpaths.test.ts checks both). */
export const SUBPATHS = ["kernel", "games", "parallel", "io", "linalg", "random", "graph", "align"];

/** @param {{ root: string, outdir: string, wasmRel?: string, extraEntries?: Record<string, string>, sourcemap?: boolean }} o
 *  `extraEntries`: output name → source path (relative to root), e.g. { "test-tasks": "test/parallel-tasks.ts" }. */
export async function bundleSdk({ root, outdir, wasmRel = "../build/seqlearn.wasm", extraEntries = {}, sourcemap = true }) {
  const esbuild = await import("esbuild");
  const entries = { index: "sdk/index.ts", ...Object.fromEntries(SUBPATHS.map((s) => [s, `sdk/${s}/index.ts`])), worker: "sdk/worker.ts", ...extraEntries };
  await esbuild.build({
    entryPoints: Object.entries(entries).map(([out, src]) => ({ in: join(root, src), out })),
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    sourcemap,
    external: ["node:*"],
    define: { __SEQLEARN_WASM_REL__: JSON.stringify(wasmRel) },
    logLevel: "warning",
  });
}
