/**
 * Alignment: small language models trained in the engine — a decoder-only transformer and the
 * MLP language models — with AdamW, learning-rate schedules, clipping, gradient accumulation,
 * per-token log-probabilities, and sampling (KV cache, temperature, top-k, top-p, and the
 * per-token geometric mixture of a policy and a reference used by Nash-MD).
 *
 * @module
 */
// Alignment domain. Models: Radford et al. 2019 (GPT-2 shape), Bengio et al. 2003 (MLP LM);
// optimiser: Loshchilov & Hutter 2019 (AdamW), 2017 (cosine schedule); sampling: Holtzman et al.
// 2020 (nucleus), Munos et al. 2024 (Nash-MD's geometric mixture).
export { LanguageModel, normalizeConfig, shiftTokens } from "./model.js";
export type {
  ModelConfigInput, TransformerConfig, MlpConfig, NormalizedModelConfig, ModelKindName, ActivationName,
  TensorSpec, TokenBatch, ShiftedBatch, Tokens, LmBatch, LogProbs, OutputGradients,
} from "./model.js";
export { AdamW, scheduledLr } from "./optim.js";
export type { AdamWOptions, ResolvedAdamWOptions, Schedule, ConstantSchedule, WarmupSchedule, CosineSchedule, StepInfo, AdamWState } from "./optim.js";
export { sample } from "./sample.js";
export type { SampleOptions, SampleResult } from "./sample.js";
