// seqlearn public API: re-exports only.
export {
  init, initSync, getEngine, isInitialised, defaultWasmUrl,
  Engine, WasmBuffer,
  SeqlearnError, ShapeError, ValueError, NumericalError, EngineTrapError, EngineStateError,
} from "./engine/index.js";
export type { InitOptions, WasmSource } from "./engine/index.js";
export { Matrix } from "./core/matrix.js";
export type { MatrixLike, VectorLike } from "./core/matrix.js";
export * as linalg from "./linalg/index.js";
export type { CholeskyResult, CgResult, CgOptions, GemmOptions, Preconditioner } from "./linalg/index.js";
export type { EighOptions, EighResult } from "./linalg/index.js";
export * as kernels from "./kernel/index.js";
export { Kernel, rbf, laplacian, linear, polynomial, matern12, matern32, matern52, kernelFromSpec } from "./kernel/index.js";
export type { KernelSpec, KernelName } from "./kernel/index.js";
export {
  exactRls, uniformNystrom, fullDictionary, dictUpdate, estimateRls, RlsEstimator, dictionaryToJSON, dictionaryFromJSON,
  Squeak, InkEstimate, NystromFeatures, nystromError, NystromKRR, KrrAccumulator,
} from "./kernel/index.js";
export type {
  ExactRls, UniformOptions, RlsDictionary, DictionaryParams, DictUpdateOptions, DictUpdateResult, EstimateOptions,
  SqueakOptions, Rows, RowSource, InkOptions, NystromMode, NystromOptions, ErrorOptions, KrrOptions, KrrScore, Centres,
} from "./kernel/index.js";
export { Rng } from "./random/rng.js";
export { version } from "./version.js";
export * as games from "./games/index.js";
export { PreferenceGame, nashMD, nashMirrorProx, onlineIpo, ipoMD, solveNash, mtpo } from "./games/index.js";
export * as parallel from "./parallel/index.js";
export { WorkerPool, InlinePool, taskTable, runMergeTree, planTree, TaskError, WorkerLostError, TaskAbortedError, PoolClosedError, WorkerStartError, UnknownTaskError } from "./parallel/index.js";
export { TASKS } from "./tasks.js";
export { nodeStream, nodeSeed, MAX_TREE_LEAVES } from "./random/streams.js";
export type { Executor, PoolOptions, RunOptions, TaskContext, TaskFn, TaskTable, FaultEvent, TreeShape, TreePlan, LeafInput, MergeInput, LevelTiming, MergeTreeResult } from "./parallel/index.js";
export { encodeDictionary, decodeDictionary, inspectDictionaryFile, isDictionaryFile, encodedDictionarySize, DictionaryFormatError, DICTIONARY_FORMAT_VERSION } from "./kernel/codec.js";
export type { DictionaryRecord, DictionaryRecordParams, DecodedDictionary, DictionaryFileInfo, DictionaryFormatErrorCode } from "./kernel/codec.js";
export * as io from "./io/index.js";
export { DataError, readTable, streamTable, linePlot } from "./io/index.js";
export type { TableOptions, TableFormat, RowBatch, Table, TextSource, Progress, LinePlotOptions, PlotSeries } from "./io/index.js";
export { disqueak, disqueakMerge, disqueakLeaf, disqueakParams, DISQUEAK_LEAF_TASK, DISQUEAK_MERGE_TASK } from "./kernel/disqueak.js";
export type { DisqueakOptions, DisqueakResult, DisqueakParams, DisqueakLeaf } from "./kernel/disqueak.js";
