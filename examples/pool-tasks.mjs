// Task module for the WorkerPool / runMergeTree examples (docs/guide/distribution.md). A task
// module exports its table as `tasks`; every worker of a pool created with
// `modules: [<this file's URL>]` imports it and adds these tasks to the package's own, and
// `new InlinePool(taskTable(TASKS, tasks))` runs the same table in the calling thread.
//   "examples.kernelRowSums": X (rows) → the row sums of its RBF kernel matrix
//   "examples.leafMean" / "examples.mergeMean": a merge tree that averages seeded normals;
//   each node draws from its own stream, so the result is the same on any pool.
// It imports the package by name, so that in a worker its tasks use the worker's engine.
import { taskTable, rbf, Rng } from "seqlearn";

export const tasks = taskTable({
  "examples.kernelRowSums": (X, ctx) => {
    ctx.progress(`worker ${ctx.workerId}: ${X.length} rows`);
    const K = rbf({ gamma: 0.5 }).matrix(X);
    const sums = new Float64Array(K.rows);
    for (let i = 0; i < K.rows; i++) for (let j = 0; j < K.cols; j++) sums[i] += K.get(i, j);
    return sums; // typed arrays in a result are moved to the caller, not copied
  },

  "examples.leafMean": ({ seed, stream, leaf }) => {
    const rng = new Rng(seed, stream);
    const x = rng.normal(leaf.count);
    rng.dispose();
    return { sum: x.reduce((a, b) => a + b, 0), count: leaf.count };
  },

  "examples.mergeMean": ({ left, right }) => ({ sum: left.sum + right.sum, count: left.count + right.count }),
});
