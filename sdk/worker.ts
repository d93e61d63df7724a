// The worker entry (bundled as dist/node/worker.js and dist/web/worker.js): the engine plus the
// package's task table.
// A pool starts this script in each worker and posts it the compiled engine module, which
// serveWorker instantiates; the worker then runs TASKS, plus the tasks of the pool's task
// modules (the `modules` option). Built by
// scripts/build.mjs as another entry of the same esbuild build as index.js (per target), with code
// splitting, so that a task module importing "seqlearn" shares this worker's engine.
import { serveWorker } from "./parallel/runtime.js";
import { TASKS } from "./tasks.js";

await serveWorker(TASKS);
