/**
 * Experiments: the papers' findings as runnable studies. An experiment declares two presets
 * (`smoke`, `full`), a per-seed run that returns curves and scalars, the contrasts the paper
 * makes a claim about, and its plots; `runExperiment` runs the seeds in parallel on the worker
 * pool, puts Student-t and bootstrap 95 % intervals on every contrast, decides whether the
 * finding was reproduced, and writes report.md, metrics.jsonl, summary.json and the SVG plots.
 * The `experiments` namespace of the package, also its subpath `seqlearn/experiments`.
 *
 * @module
 */
// The runner and its statistics know nothing of any particular experiment; the experiments
// (demo-bandit, and the papers' studies) are listed in registry.ts, and their per-seed task in
// tasks.ts (part of the package's task table, sdk/tasks.ts).
export { runExperiment, getExperiment, applyOverrides, resolveSeeds, ExperimentError, ExperimentFileError, EXPERIMENT_FORMAT } from "./runner.js";
export type { ExperimentRunOptions, ExperimentRun, ExperimentProgress, AppliedOverrides } from "./runner.js";
export { defineExperiment, experimentTable, PRESETS } from "./experiment.js";
export type {
  Experiment, ExperimentTable, ExperimentContext, Preset, JsonValue, CurveRow, SeedOutput, SeedResult, Contrast, ContrastSummary,
  PlotSpec, CurvesPlot, CurveSeries, CustomPlot,
} from "./experiment.js";
export { EXPERIMENTS } from "./registry.js";
export {
  mean, sampleSd, studentTwoSided, studentQuantile, tInterval, bootstrapInterval, contrastEvidence, seedsNeeded, standardAcceptance,
  directionalAcceptance, combineVerdicts,
} from "./stats.js";
export type { Verdict, Direction, TInterval, BootstrapInterval, BootstrapOptions, ContrastEvidence, Decision, AcceptanceRule } from "./stats.js";
export { canonicalJson, configHash, fnv1a64 } from "./report.js";
export { demoBandit, banditFixedPoint } from "./demo-bandit.js";
export type { DemoBanditConfig } from "./demo-bandit.js";
export { onlineVsOffline, upperFrontier, frontierGap } from "./online-vs-offline.js";
export type { OnlineVsOfflineConfig, FrontierPoint, FrontierGap } from "./online-vs-offline.js";
export { droVsKto, droBandit } from "./dro-vs-kto.js";
export type { DroVsKtoConfig, DroBanditSettings, DroBanditOptions, DroBanditResult } from "./dro-vs-kto.js";
export { mdpoCalculator, MDPO_ARMS } from "./mdpo-calculator.js";
export type { MdpoCalculatorConfig, MdpoArm } from "./mdpo-calculator.js";
export { mtpoDialogue, fitBradleyTerryFeatures, POLICIES as MTPO_DIALOGUE_POLICIES } from "./mtpo-dialogue.js";
export type { MtpoDialogueConfig } from "./mtpo-dialogue.js";
export { teacherHacking, detectDeparture } from "./teacher-hacking.js";
export type { TeacherHackingConfig, DepartureOptions, Departure } from "./teacher-hacking.js";
export { nashLm, nashLmPreferences, preferenceCycle } from "./nash-lm.js";
export type { NashLmConfig, PreferenceCycle } from "./nash-lm.js";
