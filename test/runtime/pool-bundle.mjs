// The worker pool's test bundle: the SDK bundled exactly as scripts/build.mjs bundles dist/
// (scripts/bundle.mjs: index.js and worker.js with shared chunks), plus the test task module
// and a test worker entry as extra entries of the same build, into dist-test/pool/. Node
// cannot run the TypeScript test tasks in a worker, and the shipped code has no build step,
// so the tests that run those tasks on workers use this bundle (`workerUrl`, `modules`).
// Because the extra entries share the build's chunks, the tasks use the worker's engine,
// as a user's task module importing "seqlearn" does with dist/.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { root } from "./bundle.mjs";
import { bundleSdk } from "../../scripts/bundle.mjs";

export const poolDir = join(root, "dist-test", "pool");

/** Bundle, then return the URLs of the outputs. */
export async function bundlePool() {
  rmSync(poolDir, { recursive: true, force: true });
  await bundleSdk({
    root,
    outdir: poolDir,
    target: "node",
    sourcemap: false,
    extraEntries: {
      "test-tasks": "test/parallel-tasks.ts",
      "test-tasks-broken": "test/parallel-tasks-broken.ts",
      "test-worker": "test/parallel-worker.ts",
    },
  });
  const url = (name) => pathToFileURL(join(poolDir, `${name}.js`));
  return { worker: url("worker"), tasks: url("test-tasks"), broken: url("test-tasks-broken"), customWorker: url("test-worker") };
}
