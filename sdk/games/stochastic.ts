// Stochastic (sampled-preference) trainers: Nash-MD-PG (Munos et al. 2024), online
// IPO and IPO-MD (Calandriello et al. 2024) and Nash-MP with policy-gradient
// half-steps (Tiapkin et al. 2025),
// written only against the Policy interface (sample → judge → weights → applyGradient), so the
// same orchestration drives a tabular softmax policy today and a language model later.
//
// Every trainer draws its randomness (contexts, responses, Bernoulli labels) from one engine
// Rng seeded by `seed`: the same seed gives bit-identical runs.
import { ShapeError, ValueError } from "../core/errors.js";
import { checkOptions, type Renames } from "../core/options.js";
import { integer, positive, probability, oneOf, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { exp } from "../core/detmath.js";
import { getEngine, input, output, Status } from "../engine/index.js";
import type { Policy } from "./policy.js";
import { PreferenceGame } from "./preference.js";
import { MIXTURE } from "./deprecated.js";

/** A preference oracle: P(y ≻ y′ | x) ∈ [0, 1] (a probability, or a 0/1 outcome). */
export type Judge<X = number, Y = number> = (x: X, y: Y, yPrime: Y) => number;

/**
 * How a judge's probability p becomes the label of a sampled pair:
 * "soft" uses p itself, "bernoulli" draws 1 with probability p, "argmax" uses 1[p > ½] (½ on
 * ties; what TRL's online trainers do with reward scores, and it changes the game: the
 * equilibrium is that of the hard 0/1 preference). "exact" (tabular policies only) replaces
 * sampling by the exact expectation over both responses.
 */
export type Feedback = "soft" | "bernoulli" | "argmax" | "exact";
const FEEDBACK: readonly Feedback[] = ["soft", "bernoulli", "argmax", "exact"];

/** Remove position bias: average the judge over both presentation orders,
 *  ½·(judge(x, y, y′) + 1 − judge(x, y′, y)). */
export function symmetricJudge<X, Y>(judge: Judge<X, Y>): Judge<X, Y> {
  return (x, y, y2) => 0.5 * (judge(x, y, y2) + 1 - judge(x, y2, y));
}

/** A judge reading a tabular game (one game, or one per context). */
export function judgeFromGame(game: PreferenceGame | PreferenceGame[]): Judge<number, number> {
  const games = Array.isArray(game) ? game : [game];
  games.forEach((g, i) => {
    if (!(g instanceof PreferenceGame)) throw new ValueError(`game[${i}] must be a PreferenceGame`);
  });
  return (x, y, y2) => {
    const g = games.length === 1 ? games[0] : games[x];
    if (!g) throw new ValueError(`judge: no game for context ${x}`);
    g.check();
    return g.entry(y, y2);
  };
}

/** Options shared by the stochastic trainers. */
export interface TrainerOptions<X> {
  /** KL coefficient β > 0. */
  beta: number;
  /** Contexts to draw batches from, uniformly. Default [0]. */
  contexts?: readonly X[];
  /** Pairs per gradient step. Default 64. */
  batch?: number;
  /** Learning rate of applyGradient. */
  lr?: number;
  /** Label mode. Default "bernoulli". */
  feedback?: Feedback;
  /** Seed of the engine PRNG. Default 0. */
  seed?: number;
  /** Called after every outer iteration (Nash-MP) or step (others); its number is logged. */
  evaluate?: (policy: Policy<X, any>, iteration: number) => number;
}

/** What a stochastic trainer returns: one row per logged iteration. */
export interface TrainLog {
  /** Iteration (Nash-MP: outer iteration; others: gradient step) of each logged row. */
  iteration: Float64Array;
  /** evaluate(policy) at each logged iteration (NaN without evaluate). */
  value: Float64Array;
  /** Judge calls so far. */
  queries: Float64Array;
}

interface Ctx<X> {
  rng: Rng;
  contexts: readonly X[];
  batch: number;
  lr: number;
  feedback: Feedback;
  beta: number;
  queries: number;
}

const TRAINER_KEYS = ["beta", "contexts", "batch", "lr", "feedback", "seed", "evaluate"] as const;

/** A trainer's options under their new names, with the keys checked. */
function trainerOptions<T extends object>(opts: unknown, where: string, own: readonly string[], renames: Renames = {}): T {
  if (!opts || typeof opts !== "object") throw new ValueError(`${where}: trainer options { beta, ... } are required`);
  return checkOptions<T>(opts, where, [...TRAINER_KEYS, ...own], renames);
}

/** The shared trainer state; validates the shared options, then creates the generator (last,
 *  so that a rejected option leaks no engine memory). */
function setup<X>(opts: TrainerOptions<X>, defaultLr: number): Ctx<X> {
  const contexts = opts.contexts ?? ([0] as unknown as X[]);
  if (!Array.isArray(contexts) || contexts.length === 0) throw new ValueError("contexts must be a non-empty array");
  const batch = integer(opts.batch ?? 64, "batch", 1);
  const lr = positive(opts.lr ?? defaultLr, "lr");
  const feedback = oneOf(opts.feedback ?? "bernoulli", "feedback", FEEDBACK);
  const beta = positive(opts.beta, "beta");
  const seed = checkSeed(opts.seed ?? 0);
  if (opts.evaluate !== undefined && typeof opts.evaluate !== "function") throw new ValueError(`evaluate must be a function (policy, iteration) => number, got ${typeof opts.evaluate}`);
  return { rng: new Rng(seed), contexts, batch, lr, feedback, beta, queries: 0 };
}

function drawContexts<X>(c: Ctx<X>): X[] {
  if (c.contexts.length === 1) return new Array(c.batch).fill(c.contexts[0]);
  const u = c.rng.uniform(c.batch);
  return Array.from(u, (v) => c.contexts[Math.min(c.contexts.length - 1, Math.floor(v * c.contexts.length))]);
}

/** Labels for sampled pairs from judge probabilities. */
function labels<X, Y>(c: Ctx<X>, judge: Judge<X, Y>, xs: X[], ys: Y[], y2: Y[]): Float64Array {
  const p = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = judge(xs[i], ys[i], y2[i]);
    if (!(v >= 0 && v <= 1)) throw new ValueError(`judge returned ${v} for a pair; expected a probability in [0, 1]`);
    p[i] = v;
  }
  c.queries += xs.length;
  if (c.feedback === "bernoulli") {
    const u = c.rng.uniform(xs.length);
    for (let i = 0; i < p.length; i++) p[i] = u[i] < p[i] ? 1 : 0;
  } else if (c.feedback === "argmax") {
    for (let i = 0; i < p.length; i++) p[i] = p[i] > 0.5 ? 1 : p[i] < 0.5 ? 0 : 0.5;
  }
  return p;
}

function needSupport<X, Y>(policy: Policy<X, Y>, what: string): (x: X) => Y[] {
  if (!policy.support) throw new ValueError(`${what}: feedback "exact" needs a policy with support() (a tabular policy)`);
  return policy.support.bind(policy);
}

/** Exact label of (y, y′) under a label mode (the expectation of the sampled label). */
function exactLabel(mode: Feedback, p: number): number {
  return mode === "argmax" ? (p > 0.5 ? 1 : p < 0.5 ? 0 : 0.5) : p;
}

/** The trainers' log: log(k) records iteration k, opts.evaluate(policy, k) (NaN without it) and
 *  the queries so far; finish() returns the TrainLog. */
function trainLogger<X>(c: Ctx<X>, policy: Policy<X, any>, evaluate: TrainerOptions<X>["evaluate"]): { log: (k: number) => void; finish: () => TrainLog } {
  const it: number[] = [], val: number[] = [], q: number[] = [];
  return {
    log(k: number): void {
      it.push(k);
      val.push(evaluate ? evaluate(policy, k) : NaN);
      q.push(c.queries);
    },
    finish(): TrainLog {
      return { iteration: Float64Array.from(it), value: Float64Array.from(val), queries: Float64Array.from(q) };
    },
  };
}

// ---- Nash-MP with policy-gradient half-steps (Tiapkin et al. 2025) -----------------------------

/** Options of `trainNashMP` (Nash Mirror Prox with policy-gradient half-steps). */
export interface NashMPPGOptions<X> extends TrainerOptions<X> {
  /** Prox step η (0 < η ≤ 2). Default 2. */
  eta?: number;
  /** Outer iterations. Default 40. */
  outer?: number;
  /** Optimiser steps per half-step (M). Default 20. */
  inner?: number;
  /** If set, the prox centre is an exponential moving average of the policy with this decay
   *  (refreshed once per outer iteration) instead of a snapshot. */
  emaDecay?: number;
}

/**
 * Approximate Nash Mirror Prox: each half-step maximises
 * E_{y∼π_θ}[P(y ≻ opp)] − β·KL(π_θ‖μ) − (1/η)·KL(π_θ‖π_c) by `inner` steps of the
 * score-function gradient ∇log π_θ(y)·(p − ½ − β·log(π_θ/μ)(y) − (1/η)·log(π_θ/π_c)(y)),
 * y ∼ π_θ, y′ ∼ opp; the extrapolation plays opp = π_c, the update opp = π_{k+½}, both
 * restarting from the centre π_c. `policy` is updated in place; `refPolicy` is μ (never
 * modified).
 */
export function trainNashMP<X, Y>(policy: Policy<X, Y>, refPolicy: Policy<X, Y>, judge: Judge<X, Y>, options: NashMPPGOptions<X>): TrainLog {
  const opts = trainerOptions<NashMPPGOptions<X>>(options, "trainNashMP", ["eta", "outer", "inner", "emaDecay"]);
  const ref = refPolicy;
  const eta = positive(opts.eta ?? 2, "eta");
  if (eta > 2) throw new ValueError(`eta must be in (0, 2] (the mirror-prox guarantee needs η·L ≤ 1 with L = ½), got ${eta}`);
  const outer = integer(opts.outer ?? 40, "outer", 0);
  const inner = integer(opts.inner ?? 20, "inner", 1);
  const ema = opts.emaDecay === undefined ? null : probability(opts.emaDecay, "emaDecay");
  if (ema !== null && !policy.blend) throw new ValueError("emaDecay needs a policy with blend()");
  const c = setup(opts, 1);
  const { log, finish } = trainLogger(c, policy, opts.evaluate);
  let centre: Policy<X, Y> | null = null;
  try {
    centre = policy.snapshot();
    log(0);
    for (let k = 0; k < outer; k++) {
      if (ema === null) centre.copyFrom(policy);
      else if (k > 0) centre.blend!(policy, ema);
      const half = centre.snapshot();
      try {
        halfStep(c, half, centre, centre, ref, judge, eta, inner);
        const upd = centre.snapshot();
        try {
          halfStep(c, upd, half, centre, ref, judge, eta, inner);
          policy.copyFrom(upd);
        } finally {
          upd.dispose?.();
        }
      } finally {
        half.dispose?.();
      }
      log(k + 1);
    }
    return finish();
  } finally {
    centre?.dispose?.();
    c.rng.dispose();
  }
}

function halfStep<X, Y>(c: Ctx<X>, cur: Policy<X, Y>, opp: Policy<X, Y>, centre: Policy<X, Y>, ref: Policy<X, Y>,
  judge: Judge<X, Y>, eta: number, steps: number): void {
  const b = 1 / eta;
  for (let s = 0; s < steps; s++) {
    if (c.feedback === "exact") {
      exactStep(c, cur, (xs, ys) => opp.logProbs(xs, ys), judge, (xs, ys) => {
        const lc = cur.logProbs(xs, ys), lm = ref.logProbs(xs, ys), lk = centre.logProbs(xs, ys);
        return Float64Array.from(lc, (l, i) => -c.beta * (l - lm[i]) - b * (l - lk[i]));
      });
      continue;
    }
    const xs = drawContexts(c);
    const ys = cur.sample(xs, c.rng), y2 = opp.sample(xs, c.rng);
    const p = labels(c, judge, xs, ys, y2);
    scoreFunctionUpdate(cur, xs, ys, p, [{ ref, coef: c.beta }, { ref: centre, coef: b }], c.lr);
  }
}

/**
 * The score-function step shared by the sampled trainers:
 *   θ ← θ + lr·(1/B)·Σ_i ∇log π_θ(y_i|x_i)·(p_i − ½ − Σ_k coef_k·log(π_θ/ref_k)(y_i|x_i)).
 * When the policy and every ref expose per-token log-probabilities (tokenLogProbs and
 * applyTokenGradient), the KL parts use reward-to-go: the score of token t is weighted by
 * Σ_{m≥t} log(π_θ/ref_k)(y_m | prefix), not by the whole sequence's log-ratio (same
 * expectation, less variance, as in Munos et al. 2024's Nash-MD-PG; unlike TRL's same-token
 * form, unbiased).
 */
export function scoreFunctionUpdate<X, Y>(policy: Policy<X, Y>, xs: X[], ys: Y[], labels: Float64Array,
  kl: Array<{ ref: Policy<X, Y>; coef: number }>, lr: number): void {
  const B = xs.length;
  if (policy.tokenLogProbs && policy.applyTokenGradient && kl.every((k) => k.ref.tokenLogProbs)) {
    const lc = policy.tokenLogProbs(xs, ys);
    const refs = kl.map((k) => k.ref.tokenLogProbs!(xs, ys));
    policy.applyTokenGradient(xs, ys, rewardToGo(lc, refs, kl.map((k) => k.coef), labels, B), lr);
    return;
  }
  const lc = policy.logProbs(xs, ys);
  const lrefs = kl.map((k) => k.ref.logProbs(xs, ys));
  const w = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    let pen = 0;
    for (let k = 0; k < kl.length; k++) pen += kl[k].coef * (lc[i] - lrefs[k][i]);
    w[i] = (labels[i] - 0.5 - pen) / B;
  }
  policy.applyGradient(xs, ys, w, lr);
}

/** The per-token weights of scoreFunctionUpdate, computed by the engine (loss_reward_to_go):
 *  w_it = (label_i − ½ − Σ_{m≥t} Σ_k coef_k·(ℓ_im − ℓ^k_im))/B, each sum from the last token
 *  back (the same additions, in the same order, as a loop over the tokens would make). */
function rewardToGo(lc: Float64Array[], refs: Float64Array[][], coefs: number[], labels: Float64Array, B: number): Float64Array[] {
  const offsets = new Int32Array(lc.length + 1);
  for (let i = 0; i < lc.length; i++) {
    for (let k = 0; k < refs.length; k++) {
      if (!refs[k][i] || refs[k][i].length !== lc[i].length) throw new ShapeError(`scoreFunctionUpdate: reference ${k} gives ${refs[k][i]?.length} token log-probabilities for sequence ${i}, the policy ${lc[i].length}`);
    }
    offsets[i + 1] = offsets[i] + lc[i].length;
  }
  const total = offsets[lc.length];
  const flat = new Float64Array(total), rflat = new Float64Array(Math.max(1, refs.length * total));
  lc.forEach((row, i) => flat.set(row, offsets[i]));
  refs.forEach((rows, k) => rows.forEach((row, i) => rflat.set(row, k * total + offsets[i])));
  const r = getEngine().call("loss_reward_to_go", {
    logp: input(flat), refs: input(rflat), coefs: input(Float64Array.from(coefs.length ? coefs : [0])), K: refs.length,
    labels: input(labels), offsets: input(offsets), batch: lc.length, denom: B, w: output(Math.max(1, total)),
  });
  if (r.ret !== Status.OK) throw new ValueError("scoreFunctionUpdate: the engine rejected the token layout");
  const w = r.output("w");
  return lc.map((_, i) => w.slice(offsets[i], offsets[i + 1]));
}

/**
 * One exact policy-gradient step for enumerable policies: weights π(y|x)·(P(y ≻ opp|x) − ½ + extra(y))
 * over every response y and every context (averaged over contexts); `oppLogProbs` gives the
 * opponent's log-probabilities (the distribution its samples would come from).
 */
function exactStep<X, Y>(c: Ctx<X>, cur: Policy<X, Y>, oppLogProbs: (xs: X[], ys: Y[]) => Float64Array, judge: Judge<X, Y>,
  extra: (xs: X[], ys: Y[]) => Float64Array): void {
  const support = needSupport(cur, "trainer");
  const xs: X[] = [], ys: Y[] = [];
  for (const x of c.contexts) for (const y of support(x)) xs.push(x), ys.push(y);
  const lp = cur.logProbs(xs, ys), lo = oppLogProbs(xs, ys);
  const ex = extra(xs, ys);
  const w = new Float64Array(xs.length);
  let start = 0;
  for (const x of c.contexts) {
    const n = support(x).length;
    for (let a = 0; a < n; a++) {
      let win = 0;
      for (let b2 = 0; b2 < n; b2++) win += exp(lo[start + b2]) * exactLabel(c.feedback, judge(x, ys[start + a], ys[start + b2]));
      w[start + a] = (exp(lp[start + a]) * (win - 0.5 + ex[start + a])) / c.contexts.length;
    }
    c.queries += n * n;
    start += n;
  }
  cur.applyGradient(xs, ys, w, c.lr);
}

// ---- Nash-MD-PG (Munos et al. 2024) ------------------------------------------------------------

/** Options of `trainNashMD` (Nash-MD-PG). */
export interface NashMDPGOptions<X> extends TrainerOptions<X> {
  /** Weight γ of μ in the opponent's geometric mixture π_θ^{1−γ}·μ^γ, in [0, 1] (β in Munos et
   *  al. 2024; TRL `mixture_coef`). Default 0.125. */
  mixture?: number;
  /** The mixture weight under its old name.
   *  @deprecated renamed `mixture`; removed in the next release. */
  gamma?: number;
  /** Gradient steps. Default 1000. */
  iters?: number;
  /** Log every this many steps. Default 100. */
  logEvery?: number;
  /** Nash-EMA-PG: if set, the opponent is an exponential moving average of the policy's
   *  parameters (updated after every step with this decay, e.g. 0.999) instead of the
   *  geometric mixture; `mixture` is then ignored. Needs a policy with blend(). */
  opponentEma?: number;
}

/**
 * Nash-MD-PG (Munos et al. 2024): y ∼ π_θ, y′ ∼ π_θ^{1−γ}·μ^γ (no gradient) with γ =
 * `mixture`, p = label(y ≻ y′), and the step ∇log π_θ(y)·(p − ½ − β·log(π_θ/μ)(y)). γ = 0 is
 * self-play, γ = 1 the best response to μ. `refPolicy` is μ (never modified).
 */
export function trainNashMD<X, Y>(policy: Policy<X, Y>, refPolicy: Policy<X, Y>, judge: Judge<X, Y>, options: NashMDPGOptions<X>): TrainLog {
  const opts = trainerOptions<NashMDPGOptions<X>>(options, "trainNashMD", ["mixture", "iters", "logEvery", "opponentEma"], MIXTURE);
  const ref = refPolicy;
  const mixture = probability(opts.mixture ?? 0.125, "mixture");
  const iters = integer(opts.iters ?? 1000, "iters", 0);
  const every = integer(opts.logEvery ?? 100, "logEvery", 1);
  const emaDecay = opts.opponentEma === undefined ? null : probability(opts.opponentEma, "opponentEma");
  if (emaDecay !== null && !policy.blend) throw new ValueError("opponentEma needs a policy with blend()");
  const c = setup(opts, 1);
  let ema: Policy<X, Y> | null = null;
  const { log, finish } = trainLogger(c, policy, opts.evaluate);
  try {
    ema = emaDecay === null ? null : policy.snapshot();
    log(0);
    for (let t = 0; t < iters; t++) {
      if (c.feedback === "exact") {
        exactStep(c, policy, (xs, ys) => opponentLogProbs(policy, ema, ref, mixture, xs, ys), judge, (xs, ys) => {
          const lc = policy.logProbs(xs, ys), lm = ref.logProbs(xs, ys);
          return Float64Array.from(lc, (l, i) => -c.beta * (l - lm[i]));
        });
      } else {
        const xs = drawContexts(c);
        const ys = policy.sample(xs, c.rng);
        const y2 = ema ? ema.sample(xs, c.rng) : policy.sample(xs, c.rng, { ref, mixture });
        const p = labels(c, judge, xs, ys, y2);
        scoreFunctionUpdate(policy, xs, ys, p, [{ ref, coef: c.beta }], c.lr);
      }
      if (ema) ema.blend!(policy, emaDecay!);
      if ((t + 1) % every === 0 || t + 1 === iters) log(t + 1);
    }
    return finish();
  } finally {
    ema?.dispose?.();
    c.rng.dispose();
  }
}

/** Log-probabilities of the Nash-MD opponent's distribution: the EMA policy's, or the geometric
 *  mixture of `pol` and `ref` that `pol.sample(…, { ref, mixture })` draws from — through
 *  sampleLogProbs (per token for sequence policies), or, for a policy without it but with
 *  blend(), through a snapshot with logits (1−γ)·θ + γ·θ_ref (exactly π^{1−γ}μ^γ for a softmax
 *  policy). */
function opponentLogProbs<X, Y>(pol: Policy<X, Y>, ema: Policy<X, Y> | null, ref: Policy<X, Y>, mixture: number, xs: X[], ys: Y[]): Float64Array {
  if (ema) return ema.logProbs(xs, ys);
  if (mixture === 0) return pol.logProbs(xs, ys);
  if (pol.sampleLogProbs) return pol.sampleLogProbs(xs, ys, { ref, mixture });
  if (mixture > 0 && pol.tokenLogProbs) throw new ValueError("feedback \"exact\" with a mixture: a sequence policy needs sampleLogProbs() (its samples follow the per-token mixture)");
  if (!pol.blend) throw new ValueError("feedback \"exact\" with a mixture needs a policy with sampleLogProbs() or blend()");
  const opp = pol.snapshot();
  try {
    opp.blend!(ref, 1 - mixture);
    return opp.logProbs(xs, ys);
  } finally {
    opp.dispose?.();
  }
}

// ---- Online IPO / IPO-MD (Calandriello et al. 2024) --------------------------------------------

/** dL/dh of the per-pair IPO loss p·(h − c)² + (1 − p)·(−h − c)², c = 1/(2β). */
export function ipoPairSlope(h: number, p: number, beta: number): number {
  return 2 * h + (1 - 2 * p) / beta;
}

/** Options of `trainOnlineIpo` (online IPO, and IPO-MD with a mixture weight > 0). */
export interface OnlineIpoOptions<X> extends TrainerOptions<X> {
  /** Weight γ of μ in the sampling mixture π_θ^{1−γ}·μ^γ (IPO-MD), in [0, 1]; 0 is online IPO.
   *  Default 0. */
  mixture?: number;
  /** The mixture weight under its old name.
   *  @deprecated renamed `mixture`; removed in the next release. */
  gamma?: number;
  /** Gradient steps. Default 1000. */
  iters?: number;
  /** Log every this many steps. Default 100. */
  logEvery?: number;
}

/**
 * Online IPO (γ = `mixture` = 0) and IPO-MD (γ > 0): both responses from q = π_θ^{1−γ}·μ^γ (no
 * gradient through sampling), label p, and gradient descent on the per-pair loss
 * p·(h − 1/(2β))² + (1 − p)·(−h − 1/(2β))², h = log(π_θ/μ)(y) − log(π_θ/μ)(y′).
 * Its expected direction is (4/β)× the self-play policy gradient (Calandriello et al. 2024,
 * Prop. 4.2); the minimiser is π*_β for γ = 0 (their Prop. 4.1). Soft or Bernoulli labels
 * target the game P; argmax labels the hard game. `refPolicy` is μ (never modified).
 */
export function trainOnlineIpo<X, Y>(policy: Policy<X, Y>, refPolicy: Policy<X, Y>, judge: Judge<X, Y>, options: OnlineIpoOptions<X>): TrainLog {
  const opts = trainerOptions<OnlineIpoOptions<X>>(options, "trainOnlineIpo", ["mixture", "iters", "logEvery"], MIXTURE);
  const ref = refPolicy;
  const mixture = probability(opts.mixture ?? 0, "mixture");
  const iters = integer(opts.iters ?? 1000, "iters", 0);
  const every = integer(opts.logEvery ?? 100, "logEvery", 1);
  const c = setup(opts, 0.01);
  const { log, finish } = trainLogger(c, policy, opts.evaluate);
  try {
    log(0);
    for (let t = 0; t < iters; t++) {
      if (c.feedback === "exact") {
        const g = ipoExpectedWeights(policy, ref, judge, c.contexts, c.beta, mixture, c.feedback);
        c.queries += g.queries;
        policy.applyGradient(g.xs, g.ys, g.w, c.lr);
      } else {
        const xs = drawContexts(c);
        const mix = mixture > 0 ? { ref, mixture } : undefined;
        const ys = policy.sample(xs, c.rng, mix), y2 = policy.sample(xs, c.rng, mix);
        const p = labels(c, judge, xs, ys, y2);
        // both responses of every pair in one batch, (y_i, y′_i) at 2i, 2i + 1: one pass of the
        // policy, which applyGradient may reuse (a language model keeps its forward pass)
        const B = xs.length;
        const xx: X[] = new Array(2 * B), yy: Y[] = new Array(2 * B), w = new Float64Array(2 * B);
        for (let i = 0; i < B; i++) {
          xx[2 * i] = xs[i], yy[2 * i] = ys[i];
          xx[2 * i + 1] = xs[i], yy[2 * i + 1] = y2[i];
        }
        const lm = ref.logProbs(xx, yy), lp = policy.logProbs(xx, yy);
        for (let i = 0; i < B; i++) {
          const d = ipoPairSlope(lp[2 * i] - lm[2 * i] - (lp[2 * i + 1] - lm[2 * i + 1]), p[i], c.beta) / B;
          w[2 * i] = -d;
          w[2 * i + 1] = d;
        }
        policy.applyGradient(xx, yy, w, c.lr);
      }
      if ((t + 1) % every === 0 || t + 1 === iters) log(t + 1);
    }
    return finish();
  } finally {
    c.rng.dispose();
  }
}

/**
 * The exact expectation of the sampled online-IPO step for enumerable policies: weights w(y)
 * such that Σ_y w(y)·∇log π_θ(y|x) = −E_{y,y′∼q}[dL/dh·(∇log π_θ(y) − ∇log π_θ(y′))], i.e. minus
 * the gradient of the population loss with q held fixed (averaged over contexts), where q is the
 * distribution the sampled trainer draws from: π^{1−γ}μ^γ (γ = `mixture`, μ = `refPolicy`),
 * mixed per token for sequence policies (Policy.sampleLogProbs), as their sample() mixes.
 */
export function ipoExpectedWeights<X, Y>(policy: Policy<X, Y>, refPolicy: Policy<X, Y>, judge: Judge<X, Y>, contexts: readonly X[],
  beta: number, mixture: number, feedback: Feedback = "soft"): {
  /** Context of each pair. */ xs: X[];
  /** Response of each pair. */ ys: Y[];
  /** Expected weight of each pair's score. */ w: Float64Array;
  /** Judge calls made. */ queries: number;
} {
  const support = needSupport(policy, "ipoExpectedWeights");
  const xs: X[] = [], ys: Y[] = [];
  for (const x of contexts) for (const y of support(x)) xs.push(x), ys.push(y);
  const lp = policy.logProbs(xs, ys), lm = refPolicy.logProbs(xs, ys);
  // q: what the sampled trainer draws both responses from, policy.sample(…, { ref, mixture }) —
  // per token for a sequence policy (sampleLogProbs), which is not the sequence-level mixture
  // π^{1−γ}μ^γ; the sequence-level form serves policies that sample it exactly (one step).
  let lmix: Float64Array | null = null;
  if (mixture > 0) {
    if (policy.sampleLogProbs) lmix = policy.sampleLogProbs(xs, ys, { ref: refPolicy, mixture });
    else if (policy.tokenLogProbs) throw new ValueError("ipoExpectedWeights: a sequence policy (with tokenLogProbs) needs sampleLogProbs() for a mixture weight > 0: it samples the per-token mixture, not the sequence-level one");
  }
  const w = new Float64Array(xs.length);
  let start = 0, queries = 0;
  for (const x of contexts) {
    const n = support(x).length;
    // q ∝ exp(lq), normalised over the support
    const lq = new Float64Array(n);
    let m = -Infinity;
    for (let a = 0; a < n; a++) m = Math.max(m, (lq[a] = lmix ? lmix[start + a] : (1 - mixture) * lp[start + a] + mixture * lm[start + a]));
    let z = 0;
    for (let a = 0; a < n; a++) z += exp(lq[a] - m);
    const qv = Float64Array.from(lq, (v) => exp(v - m) / z);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        const p = exactLabel(feedback, judge(x, ys[start + a], ys[start + b]));
        const h = lp[start + a] - lm[start + a] - (lp[start + b] - lm[start + b]);
        const d = (qv[a] * qv[b] * ipoPairSlope(h, p, beta)) / contexts.length;
        w[start + a] -= d;
        w[start + b] += d;
      }
    }
    queries += n * n;
    start += n;
  }
  return { xs, ys, w, queries };
}
