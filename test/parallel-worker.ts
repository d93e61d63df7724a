// A worker entry of one's own (for test/parallel-pool.test.ts): it serves the package's tasks,
// the test tasks and one task of its own, with no `modules` option. Bundled by
// test/runtime/pool-bundle.mjs and started through the pool's `workerUrl`.
import { TASKS, taskTable, parallel } from "../sdk/index.js";
import { tasks } from "./parallel-tasks.js";

await parallel.serveWorker(taskTable(TASKS, tasks, {
  "test.entry": () => "served by test/parallel-worker.ts",
}));
