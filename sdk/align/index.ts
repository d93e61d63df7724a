/**
 * Alignment training: the preference, unpaired, reward and distillation losses (each written
 * once, in the engine, with TRL's names and metrics), the byte-level and BPE tokenizers, the
 * TRL JSON-lines dataset layouts with per-role loss masks, and safetensors model files.
 *
 * @module
 */
export {
  PAIR_LOSSES, UNPAIRED_LOSSES, DIVERGENCES, LOSS_TYPES, LOSSES, LOSS_ALIASES, lossType,
  pairLoss, sftLoss, unpairedLoss, droLoss, ktoMismatchedPairs, ktoReferencePoint, ktoWeightBand,
  tokenLogProbs, sequenceScores, scatterSequenceGrad, logitsBackward, tokenDivergence, pairLossTokens, unpairedLossTokens,
} from "./losses.js";
export type {
  PairLossType, UnpairedLossType, DivergenceType, LossType, Reduction, LossInfo, LossMetrics, PairLossResult, PointLossResult,
  UnpairedLossResult, DroLossResult, PairScores, PairLossKind, PairLossOptions, SftLossOptions, UnpairedBatch, UnpairedLossOptions,
  DroBatch, DroLossOptions, Logits, TokenOptions, LogitsBackwardOptions, DivergenceOptions, TokenScores,
  KtoWeightBand, TokenLogProbs, SequenceScores, DivergenceResult, PairLossTokensResult, UnpairedLossTokensResult,
} from "./losses.js";
export { Tokenizer, TokenizerError, TOKENIZER_FORMAT, SPECIAL_TOKENS, ROLES } from "./tokenizer.js";
export type { TokenizerJSON, TokenizerErrorCode, SpecialToken, Role } from "./tokenizer.js";
export {
  LAYOUTS, DatasetError, detectLayout, parseRecord, readJsonl, tokenizeRecord, loadDataset, shuffledOrder, padSequences, collate, batches,
} from "./data.js";
export type {
  Layout, Message, Turns, DatasetErrorCode, DataRecord, PreferenceRecord, UnpairedRecord, RewardRecord, CompletionRecord,
  MessagesRecord, TextRecord, Segment, Example, PreferenceExample, UnpairedExample, RewardExample, SequenceExample,
  ReadOptions, TokenizeOptions, Dataset, LoadOptions, TokenBatch, DataBatch, PairDataBatch, LabelDataBatch, RewardDataBatch,
  SequenceDataBatch, CollateOptions, BatchOptions,
} from "./data.js";
export {
  LM_FORMAT, MODEL_FILES, MAX_HEADER_BYTES, ModelFileError, encodeSafetensors, inspectSafetensors, decodeSafetensors,
  encodeModelFile, decodeModelFile, saveModel, loadModel,
} from "./modelfile.js";
export type { ModelFileErrorCode, Dtype, TensorData, Tensor, TensorInfo, DecodeOptions, ModelFile, SafetensorsHeader, Safetensors } from "./modelfile.js";
