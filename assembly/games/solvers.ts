// Exact tabular solvers for the β-regularised preference game, in log space: Nash-MD (Munos
// et al., ICML 2024), online IPO and IPO-MD (Calandriello et al., ICML 2024), Nash mirror prox
// (Tiapkin et al. 2025), and two unregularised baselines. Policies are log-probabilities ℓ,
// renormalised (stable log-sum-exp) after every step.
//
// One query = one product P·x. Per iteration: Nash-MD 1, Nash-MP 2, online IPO 1, IPO-MD 1,
// multiplicative weights 1, extragradient 2.
//
// Metrics of an iterate π (given g = P·π): one row of GamesMetric.COLS values (below).
import { ld, st, ptr, opt_ptr } from "../core/mem";
import { Status, setStatusArg } from "../core/status";
import { prefApply, normalize, vmax, logSumExp, expShift, PreferenceKind, lowRankT, lowRankN, lowRankCoef, lowRankHalfStep } from "./pref";
import { dot, axpby } from "../linalg/blas1";

/** Solver codes (slot ALGO of the games_run parameters). */
export const enum SolverCode {
  /** Nash-MD with η_t = 2/(β(t+2)). */
  NASH_MD = 0,
  /** Nash-MD with a constant η, ηβ ≤ 1. */
  NASH_MD_CONST = 1,
  /** Nash mirror prox, η ≤ 2. */
  NASH_MP = 2,
  /** Exact self-play policy gradient on the logits. */
  ONLINE_IPO = 3,
  /** Exact IPO-MD gradient, samples from π^{1−γ}μ^γ. */
  IPO_MD = 4,
  /** Unregularised multiplicative weights (self-play). */
  MWU = 5,
  /** Unregularised mirror prox. */
  EXTRAGRADIENT = 6,
}

/** Slots of the f64 `params` block of games_run. */
export const enum GamesParam {
  /** A SolverCode. */
  ALGO = 0,
  /** Step size η (unused by NASH_MD, whose schedule is fixed). */
  ETA = 1,
  /** KL coefficient β > 0. */
  BETA = 2,
  /** Mixture weight γ of IPO-MD's π^{1−γ}μ^γ. */
  GAMMA = 3,
  /** Iterations. */
  ITERS = 4,
  /** Log metrics every this many iterations (0: none). */
  EVERY = 5,
  /** Offset of the iteration counter (resumes the Nash-MD schedule). */
  T0 = 6,
  /** 1: continue an earlier call in place: logPi is its normalised last iterate and `work`
   *  still holds its π, so neither is recomputed (a run split into chunks then gives the bits
   *  of one call); 0: start from logPi. */
  RESUME = 7,
  /** Number of slots. */
  SLOTS = 8,
}

/** Columns of a metrics row. */
export const enum GamesMetric {
  /** Iteration k. */
  ITERATION = 0,
  /** Preference queries (products P·x) so far. */
  QUERIES = 1,
  /** KL(π*‖π) (NaN without π*). */
  KL = 2,
  /** Regularised exploitability E_β(π). */
  EXPLOITABILITY = 3,
  /** Unregularised exploitability E_0(π). */
  EXPLOITABILITY0 = 4,
  /** Duality gap = 2·E_β. */
  GAP = 5,
  /** span(ℓ − ℓ*) (NaN without π*). */
  SPAN = 6,
  /** Win rate P(π ≻ μ). */
  WIN_RATE = 7,
  /** Number of columns. */
  COLS = 8,
}

// Work layout (n-vectors), then 8r + 8 scratch for the low-rank accumulators.
const W_PI = 0, W_G = 1, W_PMU = 2, W_PSTAR = 3, W_LSTAR = 4, W_LMU = 5, W_T1 = 6, W_T2 = 7, W_T3 = 8, W_BASE = 9;
const WORK_VECS: i32 = 10;

/** f64 slots of the `work` block of every games export, for n actions and rank r (0 for a
 *  dense operator). */
export function games_workspace_size(n: i32, r: i32): f64 {
  return <f64>WORK_VECS * <f64>n + 8.0 * <f64>r + 136.0;
}

@inline function vec(work: usize, n: i32, k: i32): usize {
  return work + ((<usize>k * <usize>n) << 3);
}

/** Write one metrics row for the normalised iterate (l, pi) with g = P·pi. */
function metricsRow(n: i32, l: usize, pi: usize, g: usize, lmu: usize, pmu: usize,
  lstar: usize, pstar: usize, hasStar: bool, beta: f64, k: f64, queries: f64, tmp: usize, out: usize): void {
  st(out, GamesMetric.ITERATION, k);
  st(out, GamesMetric.QUERIES, queries);
  // KL(π*‖π) and the span seminorm of ℓ − ℓ*
  if (hasStar) {
    // terms with π*(y) = 0 do not count (0·log 0 = 0, and the span is taken over supp π*)
    let kl = 0.0, hi = -Infinity, lo = Infinity;
    for (let i = 0; i < n; i++) {
      if (ld(pstar, i) == 0) continue;
      const d = ld(lstar, i) - ld(l, i);
      kl += ld(pstar, i) * d;
      if (-d > hi) hi = -d;
      if (-d < lo) lo = -d;
    }
    st(out, GamesMetric.KL, kl > 0 ? kl : 0.0);
    st(out, GamesMetric.SPAN, hi - lo);
  } else {
    st(out, GamesMetric.KL, NaN);
    st(out, GamesMetric.SPAN, NaN);
  }
  // E_β(π) = β·log Σ μ e^{g/β} + β·KL(π‖μ) − ½
  const ib = 1.0 / beta;
  axpby(1.0, lmu, ib, g, tmp, n);
  const lse = logSumExp(tmp, tmp, n);
  let klmu = 0.0;
  for (let i = 0; i < n; i++) if (ld(pi, i) != 0) klmu += ld(pi, i) * (ld(l, i) - ld(lmu, i));
  const eb = beta * lse + beta * klmu - 0.5;
  st(out, GamesMetric.EXPLOITABILITY, eb);
  st(out, GamesMetric.EXPLOITABILITY0, vmax(g, n) - 0.5);
  st(out, GamesMetric.GAP, 2.0 * eb);
  st(out, GamesMetric.WIN_RATE, dot(pi, pmu, n));
}

/**
 * Run `iters` iterations of `algo` from the log-policy `logPi` (normalised in place, and
 * overwritten with the last iterate).
 * params (f64, GamesParam.SLOTS): the GamesParam slots [algo, eta, beta, gamma, iters, every, t0,
 *   resume]. every > 0 logs metrics at k = 0, every, 2·every, … and at k = iters into `metrics`
 *   (rows of GamesMetric.COLS); every = 0 logs nothing. t0 offsets the Nash-MD schedule and the
 *   iteration column (to resume a run); resume = 1 continues the previous call on the same
 *   logPi and work in place (chunked runs equal one call bit for bit).
 * logStar (or 0): the log of π*, for KL and span. work: games_workspace_size(n, r) f64.
 * Returns Status.OK, Status.BAD_ARG, or Status.NON_FINITE (status_arg = the iteration).
 */
export function games_run(kind: PreferenceKind, a: ptr<f64>, r: i32, n: i32, logMu: ptr<f64>, logPi: ptr<f64>,
  logStar: opt_ptr<f64>, params: ptr<f64>, metrics: ptr<f64>, work: ptr<f64>): Status {
  const algo = <i32>ld(params, GamesParam.ALGO);
  const eta = ld(params, GamesParam.ETA), beta = ld(params, GamesParam.BETA), gamma = ld(params, GamesParam.GAMMA);
  const iters = <i32>ld(params, GamesParam.ITERS), every = <i32>ld(params, GamesParam.EVERY), t0 = ld(params, GamesParam.T0);
  const resume = ld(params, GamesParam.RESUME) != 0.0;
  if (n < 1 || !(beta > 0) || algo < SolverCode.NASH_MD || algo > SolverCode.EXTRAGRADIENT) return Status.BAD_ARG;
  const pi = vec(work, n, W_PI), g = vec(work, n, W_G), pmu = vec(work, n, W_PMU);
  const pstar = vec(work, n, W_PSTAR), lstar = vec(work, n, W_LSTAR), lmu = vec(work, n, W_LMU);
  const t1 = vec(work, n, W_T1), t2 = vec(work, n, W_T2), t3 = vec(work, n, W_T3), base = vec(work, n, W_BASE);
  const acc = vec(work, n, WORK_VECS);
  if (kind == PreferenceKind.LOWRANK && algo == SolverCode.NASH_MP) return runMpLowRank(a, r, n, logMu, logPi, logStar, eta, beta, iters, every, t0, resume, metrics, work);

  memory.copy(lmu, logMu, <usize>n << 3);
  normalize(lmu, t1, n);
  if (!resume) normalize(logPi, pi, n);
  const hasStar = logStar != 0;
  if (every > 0) {
    prefApply(kind, a, r, n, t1, pmu, acc); // P·μ, for the win rate
    if (hasStar) {
      memory.copy(lstar, logStar, <usize>n << 3);
      normalize(lstar, pstar, n);
    }
  }
  let queries = 0.0;
  let gValid = false;
  let row = 0;
  for (let k = 0; k <= iters; k++) {
    if (every > 0 && (k % every == 0 || k == iters)) {
      if (!gValid) {
        prefApply(kind, a, r, n, pi, g, acc);
        gValid = true;
      }
      metricsRow(n, logPi, pi, g, lmu, pmu, lstar, pstar, hasStar, beta, t0 + <f64>k, queries, t1,
        metrics + ((<usize>row * <usize>GamesMetric.COLS) << 3));
      row++;
    }
    if (k == iters) break;
    switch (algo) {
      case SolverCode.NASH_MD:
      case SolverCode.NASH_MD_CONST: {
        const et = algo == SolverCode.NASH_MD ? 2.0 / (beta * (t0 + <f64>k + 2.0)) : eta;
        const w = et * beta;
        axpby(1.0 - w, logPi, w, lmu, t1, n);   // ℓ^μ = (1−ηβ)ℓ + ηβ·log μ
        normalize(t1, t2, n);                  // π^μ
        prefApply(kind, a, r, n, t2, t3, acc); // P·π^μ
        axpby(1.0, t1, et, t3, logPi, n);
        normalize(logPi, pi, n);
        queries += 1;
        gValid = false;
        break;
      }
      case SolverCode.NASH_MP: {
        const c = 1.0 / (1.0 + eta * beta);
        if (!gValid) prefApply(kind, a, r, n, pi, g, acc);
        axpby(c, logPi, c * eta * beta, lmu, base, n); // c·(ℓ_k + ηβ·log μ)
        axpby(1.0, base, c * eta, g, t1, n);           // extrapolation against π_k
        normalize(t1, t2, n);
        prefApply(kind, a, r, n, t2, t3, acc);        // P·π_{k+½}
        axpby(1.0, base, c * eta, t3, logPi, n);       // update against π_{k+½}
        normalize(logPi, pi, n);
        queries += 2;
        gValid = false;
        break;
      }
      case SolverCode.ONLINE_IPO: {
        if (!gValid) prefApply(kind, a, r, n, pi, g, acc);
        // f = P·π − β·(ℓ − log μ); ℓ += η·π ⊙ (f − ⟨π, f⟩)
        let fbar = 0.0;
        for (let i = 0; i < n; i++) {
          const f = ld(g, i) - beta * (ld(logPi, i) - ld(lmu, i));
          st(t1, i, f);
          fbar += ld(pi, i) * f;
        }
        for (let i = 0; i < n; i++) st(logPi, i, ld(logPi, i) + eta * ld(pi, i) * (ld(t1, i) - fbar));
        normalize(logPi, pi, n);
        queries += 1;
        gValid = false;
        break;
      }
      case SolverCode.IPO_MD: {
        axpby(1.0 - gamma, logPi, gamma, lmu, t1, n); // q = π^{1−γ}μ^γ
        normalize(t1, t2, n);
        prefApply(kind, a, r, n, t2, t3, acc);       // P·q
        let lrq = 0.0;
        for (let i = 0; i < n; i++) lrq += ld(t2, i) * (ld(logPi, i) - ld(lmu, i));
        // h = P·q − ½ − β(lr − E_q lr); ℓ += η·(q ⊙ h − π·⟨q, h⟩)
        let qh = 0.0;
        for (let i = 0; i < n; i++) {
          const h = ld(t3, i) - 0.5 - beta * (ld(logPi, i) - ld(lmu, i) - lrq);
          st(t3, i, h);
          qh += ld(t2, i) * h;
        }
        for (let i = 0; i < n; i++) st(logPi, i, ld(logPi, i) + eta * (ld(t2, i) * ld(t3, i) - ld(pi, i) * qh));
        normalize(logPi, pi, n);
        queries += 1;
        gValid = false;
        break;
      }
      case SolverCode.MWU: {
        if (!gValid) prefApply(kind, a, r, n, pi, g, acc);
        axpby(1.0, logPi, eta, g, logPi, n);
        normalize(logPi, pi, n);
        queries += 1;
        gValid = false;
        break;
      }
      case SolverCode.EXTRAGRADIENT: {
        if (!gValid) prefApply(kind, a, r, n, pi, g, acc);
        axpby(1.0, logPi, eta, g, t1, n);
        normalize(t1, t2, n);
        prefApply(kind, a, r, n, t2, t3, acc);
        axpby(1.0, logPi, eta, t3, logPi, n);
        normalize(logPi, pi, n);
        queries += 2;
        gValid = false;
        break;
      }
      default:
        return Status.BAD_ARG;
    }
    if (!isFinite(ld(logPi, 0)) || !isFinite(ld(pi, 0))) {
      setStatusArg(<f64>k, 0);
      return Status.NON_FINITE;
    }
  }
  return Status.OK;
}

/**
 * Nash-MP on the low-rank operator with fused passes: each half-step reads W once
 * (lowRankHalfStep computes P·π for the opponent, the new log-policy, and the coefficients
 * of the new policy for the next product together). Same iterates as the generic path up to
 * rounding; P·π_k comes out of the extrapolation pass, so logging metrics costs O(n).
 */
function runMpLowRank(W: usize, r: i32, n: i32, logMu: usize, logPi: usize, logStar: usize, eta: f64, beta: f64,
  iters: i32, every: i32, t0: f64, resume: bool, metrics: usize, work: usize): i32 {
  const pi = vec(work, n, W_PI), g = vec(work, n, W_G), pmu = vec(work, n, W_PMU);
  const pstar = vec(work, n, W_PSTAR), lstar = vec(work, n, W_LSTAR), lmu = vec(work, n, W_LMU);
  const t1 = vec(work, n, W_T1), base = vec(work, n, W_BASE);
  const coefK = vec(work, n, WORK_VECS), coefH = coefK + (<usize>(2 * r) << 3);
  const acc = coefH + (<usize>(2 * r) << 3);           // 4r (prefApply) / 2r + block (half-steps)
  memory.copy(lmu, logMu, <usize>n << 3);
  normalize(lmu, t1, n);
  if (!resume) normalize(logPi, pi, n);
  const hasStar = logStar != 0;
  if (every > 0) {
    prefApply(PreferenceKind.LOWRANK, W, r, n, t1, pmu, acc);
    if (hasStar) {
      memory.copy(lstar, logStar, <usize>n << 3);
      normalize(lstar, pstar, n);
    }
  }
  // The iterate is carried as the coefficients coefK of Wᵀπ (in `work`): a resumed run keeps them.
  if (!resume) {
    lowRankT(W, r, n, pi, acc);
    lowRankCoef(acc, r, 1.0, coefK);
  }
  const c = 1.0 / (1.0 + eta * beta), s = c * eta;
  let queries = 0.0;
  let row = 0;
  for (let k = 0; k <= iters; k++) {
    const logging = every > 0 && (k % every == 0 || k == iters);
    if (k == iters) {
      if (logging) {
        lowRankN(W, r, n, coefK, 0.5, g);
        expShift(logPi, 0.0, pi, n);
        metricsRow(n, logPi, pi, g, lmu, pmu, lstar, pstar, hasStar, beta, t0 + <f64>k, queries, t1,
          metrics + ((<usize>row * <usize>GamesMetric.COLS) << 3));
      }
      break;
    }
    axpby(c, logPi, c * eta * beta, lmu, base, n);
    const shift = vmax(base, n) + s;
    lowRankHalfStep(W, r, n, coefK, base, s, shift, t1, logging ? g : 0, acc, coefH);
    if (logging) {
      expShift(logPi, 0.0, pi, n);
      metricsRow(n, logPi, pi, g, lmu, pmu, lstar, pstar, hasStar, beta, t0 + <f64>k, queries, t1,
        metrics + ((<usize>row * <usize>GamesMetric.COLS) << 3));
      row++; // (metricsRow overwrote t1, the extrapolated log-policy; only coefH is needed next)
    }
    lowRankHalfStep(W, r, n, coefH, base, s, shift, logPi, 0, acc, coefK);
    queries += 2;
    if (!isFinite(ld(logPi, 0))) {
      setStatusArg(<f64>k, 0);
      return Status.NON_FINITE;
    }
  }
  return Status.OK;
}

/**
 * Ground truth π*_β: Nash-MP with η = 2 from `logPi` (normalised in place; overwritten with
 * the solution) until max_y |π − softmax(log μ + P·π/β)| < tol. status_arg = iterations,
 * status_arg2 = final residual. Returns Status.OK or Status.NO_CONVERGENCE. work as games_run.
 */
export function games_solve(kind: PreferenceKind, a: ptr<f64>, r: i32, n: i32, logMu: ptr<f64>, logPi: ptr<f64>,
  beta: f64, tol: f64, maxIter: i32, work: ptr<f64>): Status {
  if (n < 1 || !(beta > 0)) return Status.BAD_ARG;
  const pi = vec(work, n, W_PI), g = vec(work, n, W_G), lmu = vec(work, n, W_LMU);
  const t1 = vec(work, n, W_T1), t2 = vec(work, n, W_T2), t3 = vec(work, n, W_T3), base = vec(work, n, W_BASE);
  const acc = vec(work, n, WORK_VECS);
  memory.copy(lmu, logMu, <usize>n << 3);
  normalize(lmu, t1, n);
  normalize(logPi, pi, n);
  const eta = 2.0, c = 1.0 / (1.0 + eta * beta), ib = 1.0 / beta;
  let res = Infinity;
  for (let k = 0; k <= maxIter; k++) {
    prefApply(kind, a, r, n, pi, g, acc);
    // residual against the best response to π
    axpby(1.0, lmu, ib, g, t1, n);
    normalize(t1, t2, n);
    res = 0.0;
    for (let i = 0; i < n; i++) res = Math.max(res, Math.abs(ld(pi, i) - ld(t2, i)));
    if (!isFinite(res)) {
      setStatusArg(<f64>k, res);
      return Status.NON_FINITE;
    }
    if (res < tol) {
      setStatusArg(<f64>k, res);
      return Status.OK;
    }
    if (k == maxIter) break;
    axpby(c, logPi, c * eta * beta, lmu, base, n);
    axpby(1.0, base, c * eta, g, t1, n);
    normalize(t1, t2, n);
    prefApply(kind, a, r, n, t2, t3, acc);
    axpby(1.0, base, c * eta, t3, logPi, n);
    normalize(logPi, pi, n);
  }
  setStatusArg(<f64>maxIter, res);
  return Status.NO_CONVERGENCE;
}

/** One metrics row for the policy `logPi` (normalised in place). work: games_workspace_size(n, r) f64. */
export function games_metrics(kind: PreferenceKind, a: ptr<f64>, r: i32, n: i32, logMu: ptr<f64>, logPi: ptr<f64>,
  logStar: opt_ptr<f64>, beta: f64, out: ptr<f64>, work: ptr<f64>): Status {
  if (n < 1 || !(beta > 0)) return Status.BAD_ARG;
  const pi = vec(work, n, W_PI), g = vec(work, n, W_G), pmu = vec(work, n, W_PMU);
  const pstar = vec(work, n, W_PSTAR), lstar = vec(work, n, W_LSTAR), lmu = vec(work, n, W_LMU);
  const t1 = vec(work, n, W_T1);
  const acc = vec(work, n, WORK_VECS);
  memory.copy(lmu, logMu, <usize>n << 3);
  normalize(lmu, t1, n);
  prefApply(kind, a, r, n, t1, pmu, acc);
  normalize(logPi, pi, n);
  prefApply(kind, a, r, n, pi, g, acc);
  const hasStar = logStar != 0;
  if (hasStar) {
    memory.copy(lstar, logStar, <usize>n << 3);
    normalize(lstar, pstar, n);
  }
  metricsRow(n, logPi, pi, g, lmu, pmu, lstar, pstar, hasStar, beta, 0, 0, t1, out);
  return Status.OK;
}

/** out ← log BR_β(opp) = log softmax(log μ + P·opp/β), with opp given as probabilities.
 *  work: games_workspace_size(n, r) f64 (2n + 4r + 4 are used). */
export function games_best_response(kind: PreferenceKind, a: ptr<f64>, r: i32, n: i32, logMu: ptr<f64>, opp: ptr<f64>,
  beta: f64, out: ptr<f64>, work: ptr<f64>): Status {
  if (n < 1 || !(beta > 0)) return Status.BAD_ARG;
  const g = work, tmp = work + (<usize>n << 3), acc = work + (<usize>(2 * n) << 3);
  prefApply(kind, a, r, n, opp, g, acc);
  axpby(1.0, logMu, 1.0 / beta, g, out, n);
  normalize(out, tmp, n);
  return Status.OK;
}

/** out ← P·x for any vector x. work: games_workspace_size(n, r) f64 (4r + 4 are used). */
export function games_apply(kind: PreferenceKind, a: ptr<f64>, r: i32, n: i32, x: ptr<f64>, out: ptr<f64>, work: ptr<f64>): void {
  prefApply(kind, a, r, n, x, out, work);
}
