/**
 * Alignment training: small language models trained in the engine (a decoder-only
 * transformer and the MLP language models, AdamW, schedules, clipping, accumulation, per-token
 * log-probabilities, sampling with a KV cache and the Nash-MD geometric mixture), the
 * preference, unpaired, reward and distillation losses (each written once, in the engine, with
 * TRL's names and metrics), byte-level and BPE tokenizers, the TRL JSON-lines dataset layouts
 * with per-role loss masks, and safetensors model files.
 *
 * @module
 */
// Alignment domain. Models: Radford et al. 2019 (GPT-2 shape), Bengio et al. 2003 (MLP LM);
// optimiser: Loshchilov & Hutter 2019 (AdamW), 2017 (cosine schedule); sampling: Holtzman et al.
// 2020 (nucleus), Munos et al. 2024 (Nash-MD's geometric mixture).
export { LanguageModel, normalizeConfig, configInput, shiftTokens } from "./model.js";
export type {
  ModelConfigInput, TransformerConfig, MlpConfig, NormalizedModelConfig, ModelKindName, ActivationName,
  TensorSpec, TokenBatch, ShiftedBatch, Tokens, LmBatch, LogProbs, OutputGradients,
} from "./model.js";
export { AdamW, scheduledLr, sgdStep } from "./optim.js";
export type { AdamWOptions, ResolvedAdamWOptions, Schedule, ConstantSchedule, WarmupSchedule, CosineSchedule, StepInfo, AdamWState } from "./optim.js";
export { sample } from "./sample.js";
export type { SampleOptions, SampleResult } from "./sample.js";
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
  lmBatch, stackPadded,
} from "./data.js";
export type {
  Layout, Message, Turns, DatasetErrorCode, DataRecord, PreferenceRecord, UnpairedRecord, RewardRecord, CompletionRecord,
  MessagesRecord, TextRecord, Segment, Example, PreferenceExample, UnpairedExample, RewardExample, SequenceExample,
  ReadOptions, TokenizeOptions, Dataset, LoadOptions, PaddedBatch, DataBatch, PairDataBatch, LabelDataBatch, RewardDataBatch,
  SequenceDataBatch, CollateOptions, BatchOptions,
} from "./data.js";
export {
  LM_FORMAT, MODEL_FILES, MAX_HEADER_BYTES, ModelFileError, encodeSafetensors, inspectSafetensors, decodeSafetensors,
  encodeModelFile, decodeModelFile, saveModel, loadModel,
} from "./modelfile.js";
export { modelFile, modelFromFile } from "./saved.js";
export type { ModelFileErrorCode, Dtype, TensorData, Tensor, TensorInfo, DecodeOptions, ModelFile, SafetensorsHeader, Safetensors } from "./modelfile.js";
export { sequenceKl } from "./metrics.js";
export type { SequenceKlOptions, SequenceKl } from "./metrics.js";
export { LMPolicy } from "./policy.js";
export type { LMPrompt, LMPolicyOptions, PromptWithId } from "./policy.js";
export {
  Trainer, TreeSum, treeRanges, combineMetrics, CHECKPOINT_FORMAT, SftTrainer, PreferenceTrainer, UnpairedTrainer, DistillTrainer,
  OnlineTrainer, replayDataset, MultiTurnTrainer,
} from "./trainers/index.js";
export type {
  TrainerOptions, OptimizerOptions, ReferenceOptions, MetricsRow, TrainProgress, TrainRunOptions, TrainResult, EvalContext, MetricSums, MicroBatch, MetricsFileOptions,
  PairLossConfig, SftConfig, PreferenceConfig, UnpairedConfig, UnpairedTrainerLoss, DistillConfig, DistillSource, OnlineConfig, OnlinePrompt,
  PairSelection, JudgeFeedback, ReplayEntry, ReplayData, MultiTurnConfig, Environment, EnvContext, EnvStep, Trajectory,
} from "./trainers/index.js";
// Environments for multi-turn training: the interface (exported as MultiTurnEnvironment here:
// `Environment` is the MultiTurnTrainer's per-step function type) and its implementations.
export {
  EnvironmentError, isEnvironmentError, trainerEnvironment, EnvRandom, episodeSeed, CalculatorEnv, CALC, CALCULATOR_PROBLEMS, calculatorAnswer,
  calculatorPrompt, calculatorProblemAt, calculatorProblemFromSeed, parseCalculatorTurn, calculatorPolicyMask, passAtK,
  EducationDialogueEnv, dialogueGame, REACTIONS,
} from "./envs/index.js";
export type {
  Environment as MultiTurnEnvironment, EnvTransition, EnvironmentErrorCode, CalculatorProblem, CalculatorTurn,
  StudentType, StudentState, DialogueOutcome, EducationDialogueOptions, DialogueGame,
} from "./envs/index.js";
export { trainConversations, rolloutConversations, turnLogRatios } from "./trainers/mtpo.js";
export type { Conversation, TurnSpan, ConversationMethod, ConversationTrainOptions, ConversationMetrics } from "./trainers/mtpo.js";
