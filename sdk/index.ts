/**
 * seqlearn: provably accurate streaming sketches and preference games in a WebAssembly
 * engine. The root export holds what a user needs first — loading the engine, the typed
 * errors, `Matrix` and `Rng`, and the main entry point of each domain — and one namespace per
 * folder of the SDK (`linalg`, `kernel`, `graph`, `games`, `align`, `experiments`, `parallel`,
 * `io`, `random`), each also a subpath of the package (`seqlearn/kernel`, …) that shares this
 * module's engine.
 *
 * @module seqlearn
 */
// The public API: re-exports only. Every namespace is its folder's index.ts; the names at the
// root are a selection of them, not a second definition. Internals (the task functions, the
// engine-side state, helpers of the CLI) are imported by path by tasks.ts, worker.ts and cli/.

// Loading the engine, and what it is.
export { init, initSync, getEngine, isInitialised, defaultWasmUrl } from "./engine/loader.js";
export type { InitOptions, WasmSource } from "./engine/loader.js";
export { Engine, WasmBuffer } from "./engine/engine.js";
export type { Typed } from "./engine/engine.js";
export { version } from "./version.js";

// The typed errors, every one the SDK throws on purpose.
export { SeqlearnError, ShapeError, ValueError, NumericalError, EngineTrapError, EngineStateError, EngineMemoryError } from "./core/errors.js";
export { DataError, ManifestError } from "./io/errors.js";
export { DictionaryFormatError } from "./kernel/codec.js";
export { SparsifierFormatError } from "./graph/codec.js";
export {
  TaskError, WorkerLostError, TaskAbortedError, PoolClosedError, WorkerStartError, UnknownTaskError, JobFailedError, MissingDependencyError, RedisConnectionError,
} from "./parallel/errors.js";

// Data and randomness.
export { Matrix } from "./core/matrix.js";
export type { MatrixLike, VectorLike } from "./core/matrix.js";
export { Rng } from "./random/rng.js";

// The namespaces, one per folder (also the subpaths seqlearn/<name>).
export * as linalg from "./linalg/index.js";
export * as kernel from "./kernel/index.js";
export * as games from "./games/index.js";
export * as parallel from "./parallel/index.js";
export * as io from "./io/index.js";
export * as random from "./random/index.js";
export * as graph from "./graph/index.js";
export * as align from "./align/index.js";
export * as experiments from "./experiments/index.js";
/** @deprecated Renamed `kernel`, after its folder (and the subpath "seqlearn/kernel"); this
 *  alias is removed in the next release. */
export * as kernels from "./kernel/index.js";

// Kernel dictionaries and Nyström methods: the kernels, the dictionary builders, the codec.
export { Kernel, rbf, laplacian, linear, polynomial, matern12, matern32, matern52, kernelFromSpec } from "./kernel/index.js";
export type { KernelSpec, KernelName } from "./kernel/index.js";
export {
  exactRls, exactRlsAsync, uniformNystrom, fullDictionary, dictUpdate, Squeak, InkEstimate, disqueak, disqueakManifest, estimateRls,
  NystromFeatures, nystromError, NystromKRR,
  dictionaryToJSON, dictionaryFromJSON, encodeDictionary, decodeDictionary,
} from "./kernel/index.js";
export type {
  RlsDictionary, DictionaryParams, ExactRls, UniformOptions, SqueakOptions, Rows, RowSource, InkOptions,
  DictUpdateOptions, DictUpdateResult, DisqueakOptions, DisqueakResult, DisqueakManifestOptions, EstimateOptions, NystromMode, NystromOptions, ErrorOptions,
  KrrOptions, KrrAsyncOptions, KrrScore, KrrJSON, JSONMatrix, Centres, StreamOptions, DictionaryProgress, LongWorkOptions, WorkProgress,
} from "./kernel/index.js";

// Preference games: the game and the main solvers.
export { PreferenceGame, nashMD, nashMirrorProx, onlineIpo, ipoMD, solveNash, mtpo } from "./games/index.js";
export type {
  GameKind, DenseOptions, GameOptions, SolverOptions, GameRun, MetricsLog, NashSolution, PolicyMetrics,
  LayeredMdp, LayeredPolicy, MtpoOptions, MtpoRun,
} from "./games/index.js";

// Graphs: the graph type, the Laplacian solver, resistances and sparsifiers, sparsifier quality
// and learning over the Laplacian.
export { Graph, LaplacianSolver, solveLaplacian, effectiveResistances, sparsify, gsqueak, Gsqueak } from "./graph/index.js";
export { spectralError, sparsifierQuality, laplacianSmoothing, harmonicFunction, harmonicClassify, spectralEmbedding } from "./graph/index.js";
export type {
  GraphParts, GraphStats, LaplacianSolverOptions, LaplacianSolveOptions, LaplacianSolveResult, LaplacianPreconditioner,
  ResistanceOptions, ResistanceResult, SparsifyOptions, SparsifyResult, GsqueakOptions, GsqueakResult, GsqueakStreamOptions,
} from "./graph/index.js";

// Distribution: pools, task tables and merge trees.
export { WorkerPool, InlinePool, taskTable, runMergeTree, planTree, bullmqExecutor, serveBullmqWorker } from "./parallel/index.js";
export { TASKS } from "./tasks.js";
export type {
  Executor, PoolOptions, PoolEvents, RunOptions, TaskStats, FaultEvent, TaskContext, TaskFn, TaskTable,
  TreeShape, TreePlan, MergeStep, LeafInput, MergeInput, LevelTiming, MergeTreeOptions, MergeTreeResult, NodeEvent,
  RemoteErrorInfo, WorkerLossReason, BullmqExecutorOptions, BullmqWorkerOptions, RedisConnection,
} from "./parallel/index.js";

// Tables.
export { readTable, streamTable } from "./io/index.js";
export type { TextSource, TableFormat, TableOptions, RowBatch, Table, TableHeader, Progress } from "./io/index.js";
