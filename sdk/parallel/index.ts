/**
 * Worker pools and merge trees: named tasks run on engines in other threads (or inline), with
 * retries, cancellation and deterministic per-node random streams.
 *
 * @module
 */
// Worker pool and merge-tree driver. Knows nothing of kernels or graphs: domain code
// registers named tasks, the pool runs them on engines in other threads.
export { WorkerPool, InlinePool, rebuildError } from "./pool.js";
export type { Executor, PoolOptions, RunOptions, TaskStats, FaultEvent } from "./pool.js";
export { registerTask, getTask, listTasks } from "./registry.js";
export type { TaskContext, TaskFn } from "./registry.js";
export { planTree, runMergeTree, nodeStream, MAX_TREE_LEAVES } from "./tree.js";
export type { TreeShape, TreePlan, MergeStep, LeafInput, MergeInput, LevelTiming, MergeTreeOptions, MergeTreeResult } from "./tree.js";
export { TaskError, WorkerLostError, TaskAbortedError, PoolClosedError, WorkerStartError, UnknownTaskError } from "./errors.js";
export type { RemoteErrorInfo, WorkerLossReason } from "./errors.js";
export { collectTransferables } from "./transfer.js";
