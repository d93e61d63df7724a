// The trainers of the alignment domain: one class and one config object per trainer.
export { Trainer, TreeSum, treeRanges, combineMetrics, CHECKPOINT_FORMAT } from "./common.js";
export type {
  TrainerOptions, OptimizerOptions, ReferenceOptions, MetricsRow, TrainProgress, TrainRunOptions, TrainResult, EvalContext, MetricSums, MicroBatch, MetricsFileOptions,
} from "./common.js";
export type { PairLossConfig } from "./pairs.js";
export { SftTrainer } from "./sft.js";
export type { SftConfig } from "./sft.js";
export { PreferenceTrainer } from "./preference.js";
export type { PreferenceConfig } from "./preference.js";
export { UnpairedTrainer } from "./unpaired.js";
export type { UnpairedConfig, UnpairedTrainerLoss } from "./unpaired.js";
export { DistillTrainer } from "./distill.js";
export type { DistillConfig, DistillSource } from "./distill.js";
export { OnlineTrainer, replayDataset } from "./online.js";
export type { OnlineConfig, OnlinePrompt, PairSelection, JudgeFeedback, ReplayEntry, ReplayData } from "./online.js";
export { MultiTurnTrainer } from "./multiturn.js";
export type { MultiTurnConfig, Environment, EnvContext, EnvStep, Trajectory } from "./multiturn.js";
