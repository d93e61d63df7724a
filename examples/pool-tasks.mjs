// Task module for WorkerPool / runMergeTree examples (docs/guide/distribution.md). Every worker
// of a pool created with `modules: [<this file's URL>]` imports it, so the same tasks are
// registered in each worker.
//   "examples.kernelRowSums": X (rows) → the row sums of its RBF kernel matrix
//   "examples.leafMean" / "examples.mergeMean": a merge tree that averages seeded normals;
//   each node draws from its own stream, so the result is the same on any pool.
import { registerTask, rbf, Rng } from "seqlearn";

registerTask("examples.kernelRowSums", (X, ctx) => {
  ctx.progress(`worker ${ctx.workerId}: ${X.length} rows`);
  const K = rbf({ gamma: 0.5 }).matrix(X);
  const sums = new Float64Array(K.rows);
  for (let i = 0; i < K.rows; i++) for (let j = 0; j < K.cols; j++) sums[i] += K.get(i, j);
  return sums; // typed arrays in a result are moved to the caller, not copied
});

registerTask("examples.leafMean", ({ seed, stream, leaf }) => {
  const rng = new Rng(seed, stream);
  const x = rng.normal(leaf.count);
  rng.dispose();
  return { sum: x.reduce((a, b) => a + b, 0), count: leaf.count };
});

registerTask("examples.mergeMean", ({ left, right }) => ({ sum: left.sum + right.sum, count: left.count + right.count }));
