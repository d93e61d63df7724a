/**
 * Preference games: games and generators, exact tabular solvers (Nash-MD, Nash Mirror Prox,
 * online IPO, IPO-MD), metrics, stochastic policy-gradient trainers, and MTPO. The `games`
 * namespace of the package, also its subpath `seqlearn/games`.
 *
 * @module
 */
// Preference games: preference models, generators, exact tabular solvers (Wasm), stochastic
// policy-gradient trainers and MTPO. Papers: Munos et al. 2024 (Nash-MD, NLHF), Calandriello et
// al. 2024 (online IPO, IPO-MD), Tiapkin et al. 2025 (Nash Mirror Prox), Shani et al. 2024 (MTPO).
export { PreferenceGame, klDivergence, fitBradleyTerry, rlhfPolicy } from "./preference.js";
export type { GameKind, DenseOptions } from "./preference.js";
export { uTriangle, skewLogit, bradleyTerry, rps, dice, threeType, sineGame, lowRankSkew, generate, GENERATORS } from "./generators.js";
export type { GeneratorName, SeedOption } from "./generators.js";
export {
  nashMD, nashMirrorProx, onlineIpo, ipoMD, multiplicativeWeights, extragradient, runSolver, runSolverAsync,
  solveNash, bestResponse, gameMetrics, maxIpoStep, SOLVERS, solveContextual,
} from "./solvers.js";
export type { SolverName, GameOptions, SolverOptions, AsyncSolverOptions, MetricsLog, GameRun, NashSolution, PolicyMetrics, ContextualRun } from "./solvers.js";
export type { LongWorkOptions, WorkProgress } from "../core/work.js";
export { mtpo, mtpoExploitability, trajectoryKl, treeEnvironment, checkMdp } from "./mtpo.js";
export type { LayeredMdp, LayeredPolicy, MtpoOptions, MtpoRun, TreeEnvironment } from "./mtpo.js";
export { TabularPolicy, SequencePolicy } from "./policy.js";
export type { Policy } from "./policy.js";
export { trainNashMP, trainNashMD, trainOnlineIpo, judgeFromGame, symmetricJudge, scoreFunctionUpdate, ipoExpectedWeights, ipoPairSlope } from "./stochastic.js";
export type { Judge, Feedback, TrainerOptions, TrainLog, NashMPPGOptions, NashMDPGOptions, OnlineIpoOptions } from "./stochastic.js";
// Option types named for users (added with the issue-8 renames).
export type { BradleyTerryFitOptions, RlhfOptions } from "./preference.js";
export type { SkewLogitOptions, LowRankSkewOptions, GenerateOptions } from "./generators.js";
export type { IpoMdOptions, ContextualOptions, SolveNashOptions, MetricsOptions } from "./solvers.js";
export type { MtpoGameOptions, TreeEnvironmentOptions } from "./mtpo.js";
export type { PolicyMix } from "./policy.js";
export { contextualMtpo, contextualExploitability, contextualValue, contextualKl, checkContextualMdp } from "./mtpo-contexts.js";
export type { ContextualMdp, ContextualMtpoOptions, ContextualMtpoGameOptions, ContextualMtpoRun } from "./mtpo-contexts.js";
