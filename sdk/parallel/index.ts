/**
 * Worker pools and merge trees: named tasks from an explicit task table run on engines in
 * other threads (or inline), or as BullMQ jobs on worker processes of many machines through
 * Redis (`bullmqExecutor`, `serveBullmqWorker`), with retries, cancellation and progress. The
 * `parallel` namespace of the package, also its subpath `seqlearn/parallel`.
 *
 * @module
 */
// Worker pool and merge-tree driver. Knows nothing of kernels, graphs or models: a pool runs
// named tasks from an explicit task table (sdk/tasks.ts holds the package's; a user's task
// module exports its own as `tasks`), on engines in other threads or inline. The stream ids of
// a tree's nodes (nodeStream, MAX_TREE_LEAVES) belong to the random namespace; the wire
// protocol, the worker locator and the error rebuilder stay internal.
export { WorkerPool, InlinePool } from "./pool.js";
export type { Executor, PoolOptions, PoolEvents, RunOptions, TaskStats, FaultEvent } from "./pool.js";
export { taskTable } from "./task-table.js";
export type { TaskContext, TaskFn, TaskTable } from "./task-table.js";
export { serveWorker } from "./runtime.js";
export { planTree, runMergeTree } from "./tree.js";
export type { TreeShape, TreePlan, MergeStep, LeafInput, MergeInput, LevelTiming, MergeTreeOptions, MergeTreeResult, NodeEvent, TreeExecutor, TreeRun, TreeRunHooks } from "./tree.js";
export { bullmqExecutor, BullmqExecutor, serveBullmqWorker } from "./bullmq.js";
export type { BullmqExecutorOptions, BullmqWorkerOptions, BullmqWorkerEvent, BullmqWorker, RedisConnection, RedisOptions, RedisClient } from "./bullmq.js";
export { encodeValue, decodeValue } from "./wire.js";
export { INLINE_MAX_BYTES, REDIS_MAX_BYTES, STORE_TTL_SECONDS } from "./store.js";
export { TaskError, WorkerLostError, TaskAbortedError, PoolClosedError, WorkerStartError, UnknownTaskError, JobFailedError, MissingDependencyError, RedisConnectionError } from "./errors.js";
export type { RemoteErrorInfo, WorkerLossReason } from "./errors.js";
