// Exact tabular solvers of the β-regularised preference game
//   J_β(π, π′) = P(π ≻ π′) − β·KL(π‖μ) + β·KL(π′‖μ)
// (Munos et al. 2024, Nash-MD; Calandriello et al. 2024, online IPO and IPO-MD;
// Tiapkin et al. 2025, Nash Mirror Prox). Every update runs in the engine, in log space.
import { getEngine, input, inout, output, scratch, Status, SolverCode, GamesParam, GamesMetric, type WasmBuffer } from "../engine/index.js";
import { Work, type LongWorkOptions } from "../core/work.js";
import { NumericalError, ValueError } from "../core/errors.js";
import { checkOptions, type Renames } from "../core/options.js";
import { asVector, type VectorLike } from "../core/matrix.js";
import { integer, positive, probability, shown } from "../core/validate.js";
import { PreferenceGame, KIND_CODE, logPolicyArg, probsFromLog } from "./preference.js";
import { REF_POLICY, EQUILIBRIUM, MIXTURE, deprecatedField } from "./deprecated.js";

/** Names of the exact solvers, as `runSolver` and `seqlearn game --solver` accept them. */
export const SOLVERS = ["nash-md", "nash-mp", "online-ipo", "ipo-md", "mwu", "extragradient"] as const;
/** One of `SOLVERS`. */
export type SolverName = (typeof SOLVERS)[number];

const ALGO = {
  "nash-md": SolverCode.NASH_MD, "nash-md-const": SolverCode.NASH_MD_CONST, "nash-mp": SolverCode.NASH_MP,
  "online-ipo": SolverCode.ONLINE_IPO, "ipo-md": SolverCode.IPO_MD, mwu: SolverCode.MWU, extragradient: SolverCode.EXTRAGRADIENT,
} as const;
const COLS = GamesMetric.COLS;

/** Options every game function takes: the KL coefficient β and the reference policy μ. */
export interface GameOptions {
  /** KL coefficient β > 0 (τ in Munos et al. 2024 and Calandriello et al. 2024, α in Shani et
   *  al. 2024; TRL `beta`). */
  beta: number;
  /** Reference policy μ (probabilities, every entry > 0; TRL `ref_model`). Default uniform. */
  refPolicy?: VectorLike;
  /** The reference policy under its old name.
   *  @deprecated renamed `refPolicy`; removed in the next release. */
  mu?: VectorLike;
}

/** Options of the exact solvers (`nashMD`, `nashMirrorProx`, `onlineIpo`, `ipoMD`, …). */
export interface SolverOptions extends GameOptions {
  /** Iterations. Default 100. */
  iters?: number;
  /** Step size; its meaning and stable range depend on the solver (see each function). */
  eta?: number;
  /** Starting policy (probabilities, full support). Default μ. */
  init?: VectorLike;
  /** Log metrics every this many iterations (and at the last); 0 logs nothing. Default 1. */
  logEvery?: number;
  /** The equilibrium π*_β for the KL and span metrics: a policy, "solve" (computed with
   *  solveNash, which costs a few hundred products for moderate β), or null (those metrics are
   *  NaN). Default "solve" when metrics are logged, null when logEvery = 0. */
  equilibrium?: VectorLike | "solve" | null;
  /** The equilibrium option under its old name.
   *  @deprecated renamed `equilibrium`; removed in the next release. */
  reference?: VectorLike | "solve" | null;
  /** Offset of the iteration counter (resumes the Nash-MD schedule). Default 0. */
  t0?: number;
}

/** Options of `ipoMD`, and of `runSolver` (whose other solvers ignore `mixture`). */
export interface IpoMdOptions extends SolverOptions {
  /** Weight γ of μ in the geometric mixture π^{1−γ}μ^γ both samples are drawn from, in [0, 1]
   *  (β in Munos et al. 2024 and Calandriello et al. 2024; TRL `mixture_coef`). 0 is online IPO.
   *  Default 0.125. */
  mixture?: number;
  /** The mixture weight under its old name.
   *  @deprecated renamed `mixture`; removed in the next release. */
  gamma?: number;
}

/** Options of `solveContextual`: a solver's options plus the context weights and, optionally,
 *  one reference policy per context. */
export interface ContextualOptions extends IpoMdOptions {
  /** Context weights ρ (≥ 0, normalised here). Default uniform. */
  weights?: VectorLike;
  /** One reference policy μ(·|x) per context (instead of one `refPolicy` for all). */
  refPolicies?: VectorLike[];
  /** The per-context reference policies under their old name.
   *  @deprecated renamed `refPolicies`; removed in the next release. */
  mus?: VectorLike[];
}

/** Options of `solveNash`. */
export interface SolveNashOptions extends GameOptions {
  /** Fixed-point residual to reach. Default max(1e-13, 1e-15/β). */
  tol?: number;
  /** Iterations at most. Default 10⁶. */
  maxIter?: number;
  /** Starting policy (probabilities, full support). Default μ. */
  init?: VectorLike;
}

/** Options of `gameMetrics`. */
export interface MetricsOptions extends GameOptions {
  /** The equilibrium π*_β, for the KL and span metrics (NaN without it). */
  equilibrium?: VectorLike;
  /** The equilibrium under its old name.
   *  @deprecated renamed `equilibrium`; removed in the next release. */
  reference?: VectorLike;
}

/** Metrics per logged iterate (columns of equal length). */
export interface MetricsLog {
  /** Iteration number of each logged row. */
  iteration: Float64Array;
  /** Preference queries (products P·x) spent by the solver so far. */
  queries: Float64Array;
  /** KL(π*_β ‖ π_k). */
  kl: Float64Array;
  /** Regularised exploitability E_β(π_k) = max_π′ J_β(π′, π_k) − ½. */
  exploitability: Float64Array;
  /** Unregularised exploitability E_0(π_k) = max_y P(y ≻ π_k) − ½. */
  exploitability0: Float64Array;
  /** Duality gap max_π′ J_β(π′, π_k) − min_π′ J_β(π_k, π′) = 2·E_β. */
  gap: Float64Array;
  /** Span seminorm max(log π_k − log π*) − min(·). */
  span: Float64Array;
  /** Win rate P(π_k ≻ μ). */
  winRate: Float64Array;
}

/** What an exact solver returns: the last iterate, the equilibrium used for the metrics, the
 * logged metrics and the number of preference queries. */
export interface GameRun {
  /** The solver that ran. */
  solver: SolverName;
  /** The KL coefficient β of the run. */
  beta: number;
  /** Last iterate, probabilities and log-probabilities. */
  policy: Float64Array;
  /** Log-probabilities of the last iterate. */
  logPolicy: Float64Array;
  /** The equilibrium π*_β used for the metrics, or null. */
  equilibrium: Float64Array | null;
  /** The equilibrium under its old name (the same array; not enumerable).
   *  @deprecated renamed `equilibrium`; removed in the next release. */
  readonly reference: Float64Array | null;
  /** The logged metrics (one row per logged iterate). */
  metrics: MetricsLog;
  /** Total preference queries. */
  queries: number;
}

// The option keys of each kind of call, and the old names they replace.
const GAME_KEYS = ["beta", "refPolicy"] as const;
const SOLVER_KEYS = [...GAME_KEYS, "iters", "eta", "init", "logEvery", "equilibrium", "t0"] as const;
const SOLVER_RENAMES: Renames = { ...REF_POLICY, ...EQUILIBRIUM };
const IPO_MD_KEYS = [...SOLVER_KEYS, "mixture"] as const;
const IPO_MD_RENAMES: Renames = { ...SOLVER_RENAMES, ...MIXTURE };

function requireOptions(opts: unknown, where: string): void {
  if (!opts || typeof opts !== "object") throw new ValueError(`${where}: options must be an object like { beta: 0.1, iters: 100 }, got ${shown(opts)}`);
}

function checkGame(game: PreferenceGame): void {
  if (!(game instanceof PreferenceGame)) throw new ValueError("game must be a PreferenceGame (see PreferenceGame.fromMatrix, games.rps(), …)");
  game.check();
}

/** Check the game and the option keys of a call; returns the options under their new names. */
function gameCall<T extends object>(game: PreferenceGame, opts: unknown, where: string, keys: readonly string[], renames: Renames): T {
  checkGame(game);
  requireOptions(opts, where);
  return checkOptions<T>(opts, where, keys, renames);
}

function workLen(game: PreferenceGame): number {
  return getEngine().call("games_workspace_size", { n: game.n, r: game.rank }).ret;
}

function splitMetrics(m: Float64Array, rows: number): MetricsLog {
  const col = (c: number) => {
    const a = new Float64Array(rows);
    for (let i = 0; i < rows; i++) a[i] = m[i * COLS + c];
    return a;
  };
  return {
    iteration: col(GamesMetric.ITERATION), queries: col(GamesMetric.QUERIES), kl: col(GamesMetric.KL),
    exploitability: col(GamesMetric.EXPLOITABILITY), exploitability0: col(GamesMetric.EXPLOITABILITY0),
    gap: col(GamesMetric.GAP), span: col(GamesMetric.SPAN), winRate: col(GamesMetric.WIN_RATE),
  };
}

interface RunSpec {
  solver: SolverName;
  algo: number;
  eta: number;
  mixture: number;
  perIter: number;
}

/** A prepared run: everything the engine call needs, the iterate carried between chunks. */
interface Job {
  spec: RunSpec;
  beta: number;
  iters: number;
  every: number;
  t0: number;
  rows: number;
  logMu: Float64Array;
  logPi: Float64Array;
  logStar: Float64Array | null;
  equilibrium: Float64Array | null;
  params: Float64Array;
  metrics: Float64Array;
  row: number;
}

function prepare(game: PreferenceGame, opts: SolverOptions, spec: RunSpec): Job {
  const beta = positive(opts.beta, "beta");
  const n = game.n;
  const iters = integer(opts.iters ?? 100, "iters", 0);
  const every = integer(opts.logEvery ?? 1, "logEvery", 0);
  const t0 = integer(opts.t0 ?? 0, "t0", 0);
  const logMu = logPolicyArg(opts.refPolicy, n, "refPolicy");
  const logPi = opts.init === undefined ? logMu.slice() : logPolicyArg(opts.init, n, "init");
  let equilibrium: Float64Array | null = null;
  let logStar: Float64Array | null = null;
  const star = opts.equilibrium === undefined ? (every > 0 ? "solve" : null) : opts.equilibrium;
  if (star === "solve") {
    const sol = solveNash(game, { beta, refPolicy: opts.refPolicy });
    equilibrium = sol.policy;
    logStar = sol.logPolicy;
  } else if (star !== null) {
    logStar = logPolicyArg(star, n, "equilibrium", true);
    equilibrium = Float64Array.from(star);
  }
  const rows = every > 0 ? Math.floor(iters / every) + 1 + (iters % every !== 0 ? 1 : 0) : 0;
  if (rows * COLS * 8 > 2 ** 30 - 64) throw new ValueError(`iters = ${iters} with logEvery = ${every} logs ${rows} rows, more than the metrics table can hold; raise logEvery (0 logs nothing) or lower iters`);
  const params = new Float64Array(GamesParam.SLOTS);
  params[GamesParam.ALGO] = spec.algo;
  params[GamesParam.ETA] = spec.eta;
  params[GamesParam.BETA] = beta;
  params[GamesParam.GAMMA] = spec.mixture;
  params[GamesParam.EVERY] = every;
  return { spec, beta, iters, every, t0, rows, logMu, logPi, logStar, equilibrium, params, metrics: new Float64Array(Math.max(1, rows * COLS)), row: 0 };
}

/** Run iterations [from, from + k) of the job (k = iters − from for all of them at once). A
 *  chunk after the first continues the previous one in place (GamesParam.RESUME, the same
 *  `work`), and its first metrics row, the previous chunk's last, is not repeated. */
function advance(job: Job, game: PreferenceGame, from: number, k: number, work: WasmBuffer<Float64Array> | number): void {
  const eng = getEngine();
  const p = job.params;
  p[GamesParam.ITERS] = k;
  p[GamesParam.T0] = job.t0 + from;
  p[GamesParam.RESUME] = from > 0 ? 1 : 0;
  const rows = job.every > 0 ? Math.floor(k / job.every) + 1 + (k % job.every !== 0 ? 1 : 0) : 0;
  const r = eng.call("games_run", {
    kind: KIND_CODE[game.kind], a: game.buf, r: game.rank, n: game.n, logMu: input(job.logMu), logPi: inout(job.logPi),
    logStar: job.logStar && input(job.logStar), params: input(p), metrics: output(Math.max(1, rows * COLS)),
    work: typeof work === "number" ? scratch(work) : work,
  });
  if (r.ret === Status.NON_FINITE) {
    const [it] = eng.statusArgs();
    throw new NumericalError(`${job.spec.solver}: the policy became non-finite at iteration ${from + it}; reduce eta`, { iteration: from + it });
  }
  if (r.ret !== Status.OK) throw new ValueError(`${job.spec.solver}: the engine rejected the arguments (status ${r.ret})`);
  const m = r.output("metrics");
  for (let i = from > 0 ? 1 : 0; i < rows; i++, job.row++) {
    job.metrics.set(m.subarray(i * COLS, (i + 1) * COLS), job.row * COLS);
    job.metrics[job.row * COLS + GamesMetric.QUERIES] += job.spec.perIter * from;
  }
}

function finish(job: Job): GameRun {
  const result = {
    solver: job.spec.solver,
    beta: job.beta,
    policy: probsFromLog(job.logPi),
    logPolicy: job.logPi,
    equilibrium: job.equilibrium,
    metrics: splitMetrics(job.metrics, job.rows),
    queries: job.spec.perIter * job.iters,
  };
  return deprecatedField(result, "reference", "equilibrium", "GameRun") as GameRun;
}

function run(game: PreferenceGame, opts: SolverOptions, spec: RunSpec): GameRun {
  if (capture) {
    capture(game, opts, spec);
    return null as unknown as GameRun; // (runSolverAsync runs the job itself)
  }
  const job = prepare(game, opts, spec);
  advance(job, game, 0, job.iters, workLen(game));
  return finish(job);
}

/** Set by runSolverAsync around its call of the sync solver: run() then hands over the
 *  validated options and the solver's spec instead of running (one synchronous call, so no
 *  other solver can meet it), and every solver's option checks stay in one place. */
let capture: ((game: PreferenceGame, opts: SolverOptions, spec: RunSpec) => void) | null = null;

function stepIn(eta: unknown, name: string, lo: number, hi: number, why: string): number {
  if (typeof eta !== "number" || !(eta > lo && eta <= hi)) {
    throw new ValueError(`${name}: eta must be in (${lo}, ${hi}] (${why}), got ${shown(eta)}`);
  }
  return eta;
}

/**
 * Nash-MD (Munos et al.): π_{t+1} ∝ π^μ_t·exp(η_t·P·π^μ_t) with the geometric mixture
 * π^μ_t ∝ π_t^{1−η_tβ}·μ^{η_tβ}. Without `eta` it uses the schedule η_t = 2/(β(t+2)), for which
 * KL(π*‖π_T) ≤ 8/(β²(T+1)); with a constant `eta` (0 < ηβ ≤ 1) it converges to a biased
 * fixed point. One query per iteration.
 */
export function nashMD(game: PreferenceGame, options: SolverOptions): GameRun {
  const opts = gameCall<SolverOptions>(game, options, "nashMD", SOLVER_KEYS, SOLVER_RENAMES);
  const beta = positive(opts.beta, "beta");
  if (opts.eta === undefined) return run(game, opts, { solver: "nash-md", algo: ALGO["nash-md"], eta: 0, mixture: 0, perIter: 1 });
  const eta = stepIn(opts.eta, "nashMD", 0, 1 / beta, "the mixture weight η·β must be ≤ 1");
  return run(game, opts, { solver: "nash-md", algo: ALGO["nash-md-const"], eta, mixture: 0, perIter: 1 });
}

/**
 * Nash Mirror Prox: two regularised half-steps from the same prox centre π_k,
 *   ℓ_{k+½} = c·(ℓ_k + ηβ·log μ + η·P·π_k) − log Z,   ℓ_{k+1} = c·(ℓ_k + ηβ·log μ + η·P·π_{k+½}) − log Z,
 * c = 1/(1+ηβ). For 0 < η ≤ 2, KL(π*‖π_{k+1}) ≤ KL(π*‖π_k)/(1+ηβ). Default η = 2.
 * Two queries per iteration.
 */
export function nashMirrorProx(game: PreferenceGame, options: SolverOptions): GameRun {
  const opts = gameCall<SolverOptions>(game, options, "nashMirrorProx", SOLVER_KEYS, SOLVER_RENAMES);
  const eta = stepIn(opts.eta ?? 2, "nashMirrorProx", 0, 2, "the mirror-prox guarantee needs η·L ≤ 1 with L = ½");
  return run(game, opts, { solver: "nash-mp", algo: ALGO["nash-mp"], eta, mixture: 0, perIter: 2 });
}

/** The largest stable policy-gradient step for online IPO / IPO-MD: η·(β + ½) ≤ 2. */
export function maxIpoStep(beta: number): number {
  return 2 / (beta + 0.5);
}

/**
 * Online IPO, exact population version: gradient steps on the softmax logits along the
 * expected online-IPO direction, which equals the self-play policy gradient
 *   Δθ = η·π ⊙ (f − ⟨π, f⟩),   f = P·π − β·log(π/μ)
 * (the IPO loss gradient is −(4/β)× this, so η corresponds to an IPO learning rate η·β/4).
 * Its minimiser is π*_β. Stable for 0 < η·(β + ½) ≤ 2; default η = 1/(β + ½). One query per
 * iteration. The sampled version is games.trainOnlineIpo.
 */
export function onlineIpo(game: PreferenceGame, options: SolverOptions): GameRun {
  const opts = gameCall<SolverOptions>(game, options, "onlineIpo", SOLVER_KEYS, SOLVER_RENAMES);
  const beta = positive(opts.beta, "beta");
  const eta = stepIn(opts.eta ?? 1 / (beta + 0.5), "onlineIpo", 0, maxIpoStep(beta), "policy-gradient stability needs η·(β + ½) ≤ 2");
  return run(game, opts, { solver: "online-ipo", algo: ALGO["online-ipo"], eta, mixture: 0, perIter: 1 });
}

/**
 * IPO-MD(γ), exact population version (Calandriello et al. 2024): both samples from the
 * geometric mixture q ∝ π^{1−γ}·μ^γ with γ = `mixture` (default 0.125),
 * Δθ = η·(q ⊙ h − π·⟨q, h⟩), h = P·q − ½ − β·(log(π/μ) − E_q log(π/μ)).
 * Stationary point π ∝ μ·exp(P·q/β) (their Eq. 13; not π*_β unless γ = 0). γ = 0 is online IPO.
 */
export function ipoMD(game: PreferenceGame, options: IpoMdOptions): GameRun {
  const opts = gameCall<IpoMdOptions>(game, options, "ipoMD", IPO_MD_KEYS, IPO_MD_RENAMES);
  const beta = positive(opts.beta, "beta");
  const mixture = probability(opts.mixture ?? 0.125, "mixture");
  const eta = stepIn(opts.eta ?? 1 / (beta + 0.5), "ipoMD", 0, maxIpoStep(beta), "policy-gradient stability needs η·(β + ½) ≤ 2");
  return run(game, opts, { solver: "ipo-md", algo: ALGO["ipo-md"], eta, mixture, perIter: 1 });
}

/** Unregularised multiplicative weights self-play ℓ ← ℓ + η·P·π (baseline; its last iterate
 *  cycles on intransitive games). β is used only for the metrics. Default η = 0.1. */
export function multiplicativeWeights(game: PreferenceGame, options: SolverOptions): GameRun {
  const opts = gameCall<SolverOptions>(game, options, "multiplicativeWeights", SOLVER_KEYS, SOLVER_RENAMES);
  const eta = stepIn(opts.eta ?? 0.1, "multiplicativeWeights", 0, Infinity, "a positive step");
  return run(game, opts, { solver: "mwu", algo: ALGO.mwu, eta, mixture: 0, perIter: 1 });
}

/** Unregularised extragradient (mirror prox with β = 0 in the update), 0 < η ≤ 2; its last
 *  iterate approaches the unregularised Nash equilibrium. β is used only for the metrics.
 *  Default η = 1. */
export function extragradient(game: PreferenceGame, options: SolverOptions): GameRun {
  const opts = gameCall<SolverOptions>(game, options, "extragradient", SOLVER_KEYS, SOLVER_RENAMES);
  const eta = stepIn(opts.eta ?? 1, "extragradient", 0, 2, "the mirror-prox guarantee needs η·L ≤ 1 with L = ½");
  return run(game, opts, { solver: "extragradient", algo: ALGO.extragradient, eta, mixture: 0, perIter: 2 });
}

/** Run a solver by name (the CLI's --solver). The options are those of the solver; `mixture`
 *  is read by "ipo-md" only (the others ignore it, so one set of options serves every solver). */
export function runSolver(name: SolverName, game: PreferenceGame, options: IpoMdOptions): GameRun {
  requireOptions(options, "runSolver");
  const { mixture, ...rest } = checkOptions<IpoMdOptions>(options, "runSolver", IPO_MD_KEYS, IPO_MD_RENAMES);
  const opts: IpoMdOptions = name === "ipo-md" && mixture !== undefined ? { ...rest, mixture } : rest;
  switch (name) {
    case "nash-md": return nashMD(game, opts);
    case "nash-mp": return nashMirrorProx(game, opts);
    case "online-ipo": return onlineIpo(game, opts);
    case "ipo-md": return ipoMD(game, opts);
    case "mwu": return multiplicativeWeights(game, opts);
    case "extragradient": return extragradient(game, opts);
    default:
      throw new ValueError(`unknown solver ${JSON.stringify(name)}; expected one of ${SOLVERS.join(", ")}`);
  }
}

/** Options of `runSolverAsync`: the solver's options, a signal, a progress callback, and
 *  the iterations per chunk between two yields to the event loop. */
export interface AsyncSolverOptions extends IpoMdOptions, LongWorkOptions {
  /** Iterations per engine call (rounded down to a multiple of `logEvery`). Default 256. */
  chunkIters?: number;
}

/** `runSolver` as long work: the same iterations, run in chunks of `chunkIters` that continue
 *  each other in place in the engine, so the policy and the metrics are bit for bit those of
 *  `runSolver`; between chunks it reports `{ done, total, unit: "iterations" }` to `onProgress`,
 *  yields to the event loop, and stops with the signal's reason once `signal` fires. */
export async function runSolverAsync(name: SolverName, game: PreferenceGame, options: AsyncSolverOptions): Promise<GameRun> {
  requireOptions(options, "runSolverAsync");
  const { signal, onProgress, chunkIters, ...rest } = checkOptions<AsyncSolverOptions>(options, "runSolverAsync", [...IPO_MD_KEYS, "signal", "onProgress", "chunkIters"], IPO_MD_RENAMES);
  let got: [PreferenceGame, SolverOptions, RunSpec] | null = null;
  capture = (g, o, s) => void (got = [g, o, s]);
  try {
    runSolver(name, game, rest);
  } finally {
    capture = null;
  }
  const [g, o, spec] = got!;
  const job = prepare(g, o, spec);
  const progress = new Work({ signal, onProgress }, job.iters, "iterations");
  let chunk = integer(chunkIters ?? 256, "chunkIters", 1);
  if (job.every > 0) chunk = Math.max(job.every, chunk - (chunk % job.every));
  const work = getEngine().f64(workLen(g));
  try {
    let from = 0;
    do {
      const k = Math.min(chunk, job.iters - from);
      advance(job, g, from, k, work);
      from += k;
      await progress.step(k);
    } while (from < job.iters);
  } finally {
    work.dispose();
  }
  return finish(job);
}

/** What `solveNash` returns: the regularised equilibrium π*_β. */
export interface NashSolution {
  /** π*_β as probabilities. */
  policy: Float64Array;
  /** log π*_β. */
  logPolicy: Float64Array;
  /** Nash-MP iterations it took to reach the tolerance. */
  iterations: number;
  /** max_y |π − softmax(log μ + P·π/β)| at the end. */
  residual: number;
}

/**
 * The ground-truth equilibrium π*_β: Nash-MP with η = 2 from μ until the fixed-point residual
 * max_y |π − softmax(log μ + P·π/β)| < tol (default max(1e-13, 1e-15/β): rounding in P·π/β
 * sets a floor near 1e-16/β). Converges at rate 1/(1+2β) per iteration; throws NumericalError
 * after maxIter (default 10⁶) iterations.
 */
export function solveNash(game: PreferenceGame, options: SolveNashOptions): NashSolution {
  const opts = gameCall<SolveNashOptions>(game, options, "solveNash", [...GAME_KEYS, "tol", "maxIter", "init"], REF_POLICY);
  const beta = positive(opts.beta, "beta");
  const tol = positive(opts.tol ?? Math.max(1e-13, 1e-15 / beta), "tol");
  const maxIter = integer(opts.maxIter ?? 1_000_000, "maxIter", 0);
  const logMu = logPolicyArg(opts.refPolicy, game.n, "refPolicy");
  const logPi = opts.init === undefined ? logMu.slice() : logPolicyArg(opts.init, game.n, "init");
  const eng = getEngine();
  const r = eng.call("games_solve", {
    kind: KIND_CODE[game.kind], a: game.buf, r: game.rank, n: game.n, logMu: input(logMu), logPi: inout(logPi), beta, tol, maxIter, work: scratch(workLen(game)),
  });
  const [iterations, residual] = eng.statusArgs();
  if (r.ret !== Status.OK) {
    throw new NumericalError(`solveNash: no convergence to tol ${tol} in ${iterations} iterations (residual ${residual.toExponential(3)}); raise maxIter or tol`, { iterations, residual });
  }
  return { policy: probsFromLog(logPi), logPolicy: logPi, iterations, residual };
}

/** Regularised best response BR_β(π′) = softmax(log μ + P·π′/β). */
export function bestResponse(game: PreferenceGame, opponent: VectorLike, options: GameOptions): Float64Array {
  const opts = gameCall<GameOptions>(game, options, "bestResponse", GAME_KEYS, REF_POLICY);
  const beta = positive(opts.beta, "beta");
  const logMu = logPolicyArg(opts.refPolicy, game.n, "refPolicy");
  const opp = asVector(opponent, "opponent", { length: game.n });
  let s = 0;
  for (let i = 0; i < opp.length; i++) {
    if (!(opp[i] >= 0)) throw new ValueError(`opponent[${i}] = ${opp[i]}; a policy has non-negative entries`);
    s += opp[i];
  }
  if (Math.abs(s - 1) > 1e-9) throw new ValueError(`opponent must sum to 1 (a probability vector), got sum ${s}`);
  const r = getEngine().call("games_best_response", {
    kind: KIND_CODE[game.kind], a: game.buf, r: game.rank, n: game.n, logMu: input(logMu), opp: input(opp), beta, out: output(game.n), work: scratch(workLen(game)),
  });
  return probsFromLog(r.output("out"));
}

/** Metrics of one policy (`gameMetrics`); the same quantities as a `MetricsLog` row. */
export interface PolicyMetrics {
  /** KL(π*_β ‖ π), when the equilibrium is given (NaN otherwise). */
  kl: number;
  /** Regularised exploitability E_β(π) = max_π′ J_β(π′, π) − ½. */
  exploitability: number;
  /** Unregularised exploitability max_y P(y ≻ π) − ½. */
  exploitability0: number;
  /** Duality gap, 2·E_β. */
  gap: number;
  /** Span seminorm of log π − log π* (NaN without the equilibrium). */
  span: number;
  /** Win rate P(π ≻ μ). */
  winRate: number;
}

/** The metrics of one policy (KL and span need `equilibrium` = π*_β). Zero entries are allowed
 *  (KL(π*‖π) is then +∞ where π* > 0 = π). */
export function gameMetrics(game: PreferenceGame, policy: VectorLike, options: MetricsOptions): PolicyMetrics {
  const opts = gameCall<MetricsOptions>(game, options, "gameMetrics", [...GAME_KEYS, "equilibrium"], { ...REF_POLICY, ...EQUILIBRIUM });
  const beta = positive(opts.beta, "beta");
  const logMu = logPolicyArg(opts.refPolicy, game.n, "refPolicy");
  const logPi = logPolicyArg(policy, game.n, "policy", true);
  const logStar = opts.equilibrium === undefined ? null : logPolicyArg(opts.equilibrium, game.n, "equilibrium", true);
  const m = getEngine().call("games_metrics", {
    kind: KIND_CODE[game.kind], a: game.buf, r: game.rank, n: game.n, logMu: input(logMu), logPi: input(logPi),
    logStar: logStar && input(logStar), beta, out: output(COLS), work: scratch(workLen(game)),
  }).output("out");
  return {
    kl: m[GamesMetric.KL], exploitability: m[GamesMetric.EXPLOITABILITY], exploitability0: m[GamesMetric.EXPLOITABILITY0],
    gap: m[GamesMetric.GAP], span: m[GamesMetric.SPAN], winRate: m[GamesMetric.WIN_RATE],
  };
}

/** What `solveContextual` returns: per-context policies and ρ-averaged metrics. */
export interface ContextualRun {
  /** The solver that ran. */
  solver: SolverName;
  /** One run per context. */
  runs: GameRun[];
  /** Context weights ρ (normalised). */
  weights: Float64Array;
  /** Metrics averaged over contexts with weights ρ; queries summed over contexts. */
  metrics: MetricsLog;
}

/**
 * Contextual games: one preference matrix per context x ~ ρ (and optionally one μ(·|x) per
 * context, `refPolicies`). The tabular game separates across contexts, so each context runs the
 * same solver; the logged metrics are ρ-averages (the contextual Nash-MD / Nash-MP bounds hold
 * for the averaged KL).
 */
export function solveContextual(solver: SolverName, games: PreferenceGame[], options: ContextualOptions): ContextualRun {
  if (!Array.isArray(games) || games.length === 0) throw new ValueError("games must be a non-empty array of PreferenceGame (one per context)");
  requireOptions(options, "solveContextual");
  const { weights, refPolicies, ...opts } = checkOptions<ContextualOptions>(options, "solveContextual", [...IPO_MD_KEYS, "weights", "refPolicies"], { ...IPO_MD_RENAMES, mus: "refPolicies" });
  const c = games.length;
  const w = weights === undefined ? new Float64Array(c).fill(1 / c) : asVector(weights, "weights", { length: c });
  let s = 0;
  for (let i = 0; i < c; i++) {
    if (!(w[i] >= 0)) throw new ValueError(`weights[${i}] = ${w[i]}; context weights must be ≥ 0`);
    s += w[i];
  }
  if (!(s > 0)) throw new ValueError("weights must not all be 0");
  const rho = w.map((v) => v / s);
  if (refPolicies !== undefined) {
    if (!Array.isArray(refPolicies) || refPolicies.length !== c) throw new ValueError(`refPolicies must have one policy per context (${c}), got ${Array.isArray(refPolicies) ? refPolicies.length : String(refPolicies)}`);
    if (opts.refPolicy !== undefined) throw new ValueError("solveContextual: give refPolicy (one μ for every context) or refPolicies (one per context), not both");
  }
  const runs = games.map((g, i) => runSolver(solver, g, refPolicies ? { ...opts, refPolicy: refPolicies[i] } : opts));
  const rows = runs[0].metrics.iteration.length;
  const avg = (key: keyof MetricsLog, sum = false) => {
    const out = new Float64Array(rows);
    for (let i = 0; i < c; i++) for (let k = 0; k < rows; k++) out[k] += (sum ? 1 : rho[i]) * runs[i].metrics[key][k];
    return out;
  };
  return {
    solver,
    runs,
    weights: rho,
    metrics: {
      iteration: runs[0].metrics.iteration.slice(), queries: avg("queries", true), kl: avg("kl"), exploitability: avg("exploitability"),
      exploitability0: avg("exploitability0"), gap: avg("gap"), span: avg("span"), winRate: avg("winRate"),
    },
  };
}
