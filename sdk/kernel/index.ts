/**
 * Kernels and kernel dictionaries: kernel functions, ridge-leverage-score sampling (exact,
 * uniform, SQUEAK, INK-Estimate, DISQUEAK), the estimator, Nyström features and Nyström
 * kernel ridge regression. The `kernel` namespace of the package, also its subpath
 * `seqlearn/kernel`.
 *
 * @module
 */
// The kernel domain's public API, and nothing else: the engine-side state (state.ts), the
// CLI's table driver (fit-table.ts) and tree planning (disqueak-plan.ts), the worker tasks
// (tasks.ts) and the helpers below are imported by path where they are needed.
export { Kernel, rbf, laplacian, linear, polynomial, matern12, matern32, matern52, kernelFromSpec, KERNEL_NAMES } from "./kernels.js";
export type { KernelSpec, KernelName } from "./kernels.js";
export { exactRls, exactRlsAsync, uniformNystrom, fullDictionary } from "./rls.js";
export type { ExactRls, UniformOptions } from "./rls.js";
export { dictionaryToJSON, dictionaryFromJSON } from "./dictionary.js";
export type { RlsDictionary, DictionaryParams } from "./dictionary.js";
export {
  encodeDictionary, decodeDictionary, inspectDictionaryFile, isDictionaryFile, encodedDictionarySize,
  DictionaryFormatError, DICTIONARY_FORMAT_VERSION,
} from "./codec.js";
export type { DictionaryFileInfo, DictionaryFormatErrorCode, DictionaryRecord, DictionaryRecordParams, DecodedDictionary } from "./codec.js";
export { estimateRls, RlsEstimator } from "./estimator.js";
export type { EstimateOptions } from "./estimator.js";
export { dictUpdate } from "./update.js";
export type { DictUpdateOptions, DictUpdateResult } from "./update.js";
export { Squeak } from "./squeak.js";
export type { SqueakOptions, StreamOptions, DictionaryProgress, Rows, RowSource } from "./squeak.js";
export { InkEstimate } from "./ink.js";
export type { InkOptions } from "./ink.js";
export { disqueak, disqueakLeaf, disqueakMerge, disqueakParams } from "./disqueak.js";
export type { DisqueakOptions, DisqueakResult, DisqueakParams, DisqueakLeaf, DisqueakProgress } from "./disqueak.js";
export { disqueakManifest, DISQUEAK_PART_LEAF_TASK } from "./disqueak-manifest.js";
export type { DisqueakManifestOptions, DisqueakPartLeaf } from "./disqueak-manifest.js";
export { NystromFeatures, nystromError } from "./nystrom.js";
export type { NystromMode, NystromOptions, ErrorOptions } from "./nystrom.js";
export { NystromKRR, KrrAccumulator } from "./krr.js";
export type { KrrOptions, KrrAsyncOptions, KrrScore, KrrJSON, JSONMatrix, Centres } from "./krr.js";
export type { LongWorkOptions, WorkProgress } from "../core/work.js";
