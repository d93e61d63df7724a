// MTPO (Shani et al., NeurIPS 2024, "Multi-turn reinforcement learning from preference human
// feedback"): multi-turn preference optimisation on a layered finite-horizon MDP whose final
// states are compared by a preference model. Tabular and exact:
// forward reach probabilities, preference-based Q functions by backward induction, and the
// per-state mirror-descent update (MTPO) or its geometric-mixture form (MTPO-τ).
// Per iteration the work is O(Σ_h S_h·A·S_{h+1}) plus one product P·d over the end states
// (in the engine, through PreferenceGame.apply).
import { getEngine, input, inout, output, scratch, Status, MtpoVariant, MtpoMetric, type Engine } from "../engine/index.js";
import { NumericalError, ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer, positive, oneOf, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { exp, log } from "../core/detmath.js";
import { PreferenceGame, KIND_CODE } from "./preference.js";
import { skewLogit } from "./generators.js";
import { REF_POLICY, EQUILIBRIUM, KL_BETA, deprecatedField } from "./deprecated.js";

/**
 * A layered MDP: levels h = 0..H−1 of agent states, then the end states (level H).
 * states[h] = S_h (states[0] = 1: one initial state x₁), states[H] = number of end states.
 * transitions[h] is S_h × A × S_{h+1}, row-major: p(x′ | x, y), each (x, y) row summing to 1.
 */
export interface LayeredMdp {
  /** Number of turns H. */
  horizon: number;
  /** Number of agent actions per state. */
  actions: number;
  /** Number of states at each level 0…H (the last level holds the end states). */
  states: number[];
  /** Per level h < H: transition probabilities p(x′ | x, a), an S_h·A × S_{h+1} row-major array. */
  transitions: Float64Array[];
}

/** A tabular policy: per level h, S_h × A probabilities. */
export type LayeredPolicy = Float64Array[];

/** Options of `mtpoExploitability()`. */
export interface MtpoGameOptions {
  /** KL coefficient β > 0 (α in Shani et al. 2024; TRL `beta`). Required: optional in the
   *  type only while the deprecated `alpha` is accepted. */
  beta?: number;
  /** The KL coefficient under its old name.
   *  @deprecated renamed `beta` (as in every other games function); removed in the next release. */
  alpha?: number;
  /** Reference policy μ, per level an S_h × A table; default uniform. Every entry must be > 0. */
  refPolicy?: LayeredPolicy;
  /** The reference policy under its old name.
   *  @deprecated renamed `refPolicy`; removed in the next release. */
  mu?: LayeredPolicy;
}

/** Options of `mtpo()`. */
export interface MtpoOptions extends MtpoGameOptions {
  /** Iterations. Default 100. */
  iters?: number;
  /** "mtpo" (self-play on Q^{π_t,π_t}) or "mtpo-tau" (Nash-MD lifted: plays the mixture
   *  π_t^β). Default "mtpo". */
  variant?: "mtpo" | "mtpo-tau";
  /** Log metrics every this many iterations (and at the last). Default 1. */
  logEvery?: number;
  /** The equilibrium π*_β for the metric KL_p(π*‖π_t); null skips it. Default null. */
  equilibrium?: LayeredPolicy | null;
  /** The equilibrium under its old name.
   *  @deprecated renamed `equilibrium`; removed in the next release. */
  reference?: LayeredPolicy | null;
}

/** What `mtpo()` returns: the last policy and the logged metrics (columns of equal length). */
export interface MtpoRun {
  /** The final policy, per level an S_h × A table of probabilities. */
  policy: LayeredPolicy;
  /** Iteration number of each logged row. */
  iteration: Float64Array;
  /** E_β(π_t) = max_π′ P_β(π′ ≻ π_t) − ½. */
  exploitability: Float64Array;
  /** KL_p(π*‖π_t) (NaN without `equilibrium`). */
  kl: Float64Array;
}

const MTPO_GAME_KEYS = ["beta", "refPolicy"] as const;
const MTPO_KEYS = [...MTPO_GAME_KEYS, "iters", "variant", "logEvery", "equilibrium"] as const;

/** Check a layered MDP's shapes and that every transition row is a probability vector;
 * throws ShapeError / ValueError naming the level and the row. */
export function checkMdp(env: LayeredMdp): void {
  if (!env || typeof env !== "object") throw new ValueError("env must be a layered MDP object { horizon, actions, states, transitions, ... }");
  const H = integer(env.horizon, "env.horizon", 1);
  const A = integer(env.actions, "env.actions", 1);
  if (!Array.isArray(env.states) || env.states.length !== H + 1) throw new ShapeError(`env.states must list H + 1 = ${H + 1} level sizes, got ${env.states?.length}`);
  env.states.forEach((s, h) => integer(s, `env.states[${h}]`, 1));
  if (env.states[0] !== 1) throw new ValueError(`env.states[0] must be 1 (a single initial state), got ${env.states[0]}`);
  if (!Array.isArray(env.transitions) || env.transitions.length !== H) throw new ShapeError(`env.transitions must have H = ${H} levels`);
  for (let h = 0; h < H; h++) {
    const S = env.states[h], S2 = env.states[h + 1], T = env.transitions[h];
    if (!T || T.length !== S * A * S2) throw new ShapeError(`env.transitions[${h}] must have S_h·A·S_{h+1} = ${S * A * S2} entries, got ${T?.length}`);
    for (let xy = 0; xy < S * A; xy++) {
      let s = 0;
      for (let k = 0; k < S2; k++) {
        const v = T[xy * S2 + k];
        if (!(v >= 0)) throw new ValueError(`env.transitions[${h}][${Math.floor(xy / A)}, ${xy % A}, ${k}] = ${v}; transition probabilities must be ≥ 0`);
        s += v;
      }
      if (Math.abs(s - 1) > 1e-9) throw new ValueError(`env.transitions[${h}] row (state ${Math.floor(xy / A)}, action ${xy % A}) sums to ${s}, expected 1`);
    }
  }
}

function uniformPolicy(env: LayeredMdp): LayeredPolicy {
  return env.states.slice(0, env.horizon).map((S) => new Float64Array(S * env.actions).fill(1 / env.actions));
}

function checkPolicy(env: LayeredMdp, p: LayeredPolicy, name: string, strict: boolean): void {
  if (!Array.isArray(p) || p.length !== env.horizon) throw new ShapeError(`${name} must have H = ${env.horizon} levels`);
  const A = env.actions;
  for (let h = 0; h < env.horizon; h++) {
    const S = env.states[h];
    if (!p[h] || p[h].length !== S * A) throw new ShapeError(`${name}[${h}] must have S_h·A = ${S * A} entries`);
    for (let x = 0; x < S; x++) {
      let s = 0;
      for (let y = 0; y < A; y++) {
        const v = p[h][x * A + y];
        if (strict ? !(v > 0) : !(v >= 0)) throw new ValueError(`${name}[${h}][${x}, ${y}] = ${v}; expected ${strict ? "> 0 (full support)" : "≥ 0"}`);
        s += v;
      }
      if (Math.abs(s - 1) > 1e-9) throw new ValueError(`${name}[${h}] state ${x} sums to ${s}, expected 1`);
    }
  }
}

/** Probability of reaching each state of every level under `pol` (level H = end states). */
function reach(env: LayeredMdp, pol: LayeredPolicy): Float64Array[] {
  const A = env.actions;
  const out: Float64Array[] = [Float64Array.of(1)];
  for (let h = 0; h < env.horizon; h++) {
    const S = env.states[h], S2 = env.states[h + 1], T = env.transitions[h];
    const nxt = new Float64Array(S2);
    for (let x = 0; x < S; x++) {
      const rx = out[h][x];
      if (rx === 0) continue;
      for (let y = 0; y < A; y++) {
        const w = rx * pol[h][x * A + y];
        if (w === 0) continue;
        const row = (x * A + y) * S2;
        for (let k = 0; k < S2; k++) nxt[k] += w * T[row + k];
      }
    }
    out.push(nxt);
  }
  return out;
}

function stateKl(pol: LayeredPolicy, mu: LayeredPolicy, h: number, x: number, A: number): number {
  let s = 0;
  for (let y = 0; y < A; y++) {
    const p = pol[h][x * A + y];
    if (p > 0) s += p * log(p / mu[h][x * A + y]);
  }
  return s;
}

/** KL_p(π‖π′) = E_π[Σ_h KL(π(·|x_h)‖π′(·|x_h))] (the trajectory KL, Shani et al. 2024,
 *  Lemma 3.1). */
export function trajectoryKl(env: LayeredMdp, pi: LayeredPolicy, piPrime: LayeredPolicy): number {
  checkMdp(env);
  checkPolicy(env, pi, "pi", false);
  checkPolicy(env, piPrime, "piPrime", false);
  const R = reach(env, pi);
  let s = 0;
  for (let h = 0; h < env.horizon; h++) for (let x = 0; x < env.states[h]; x++) if (R[h][x] > 0) s += R[h][x] * stateKl(pi, piPrime, h, x, env.actions);
  return s;
}

function checkPref(env: LayeredMdp, pref: PreferenceGame): void {
  if (!(pref instanceof PreferenceGame)) throw new ValueError("pref must be a PreferenceGame over the end states");
  pref.check();
  if (pref.n !== env.states[env.horizon]) throw new ShapeError(`pref compares ${pref.n} end states but the MDP has ${env.states[env.horizon]}`);
}

/** Pack the MDP, μ and a policy for the engine (levels concatenated). */
function pack(env: LayeredMdp, mu: LayeredPolicy, pi: LayeredPolicy) {
  let nt = 0;
  for (const t of env.transitions) nt += t.length;
  const trans = new Float64Array(nt);
  let o = 0;
  for (const t of env.transitions) trans.set(t, o), (o += t.length);
  const flat = (p: LayeredPolicy) => {
    let n = 0;
    for (const a of p) n += a.length;
    const out = new Float64Array(n);
    let k = 0;
    for (const a of p) for (let i = 0; i < a.length; i++) out[k++] = log(a[i]);
    return out;
  };
  return { states: Int32Array.from(env.states), trans, logMu: flat(mu), logPi: flat(pi) };
}

/** f64 slots of the engine's workspace for this MDP and preference operator. */
function workLen(eng: Engine, env: LayeredMdp, states: Int32Array, pref: PreferenceGame): number {
  return eng.call("mtpo_workspace_size", { H: env.horizon, A: env.actions, states: input(states), r: pref.rank }).ret;
}

function unflat(env: LayeredMdp, l: Float64Array): LayeredPolicy {
  const out: LayeredPolicy = [];
  let k = 0;
  for (let h = 0; h < env.horizon; h++) {
    const n = env.states[h] * env.actions;
    out.push(Float64Array.from(l.subarray(k, k + n), exp));
    k += n;
  }
  return out;
}

/** The options object of an MTPO call, under the new names. */
function mtpoOptions<T extends object>(opts: unknown, where: string, keys: readonly string[], renames: Record<string, string>): T {
  if (!opts || typeof opts !== "object") throw new ValueError(`${where}: options { beta, ... } are required`);
  return checkOptions<T>(opts, where, keys, renames);
}

/**
 * Regularised exploitability E_β(π) = max_π′ P_β(π′ ≻ π) − ½, by soft value iteration
 * against π's end-state distribution: V(end) = P(end ≻ π), Q(x, y) = E V(x′),
 * V(x) = β·log Σ_y μ(y|x)·e^{Q(x,y)/β}; E_β = V(x₁) + β·KL_p(π‖μ) − ½ (the regularised best
 * response of Shani et al. 2024, where β is α). In the engine.
 */
export function mtpoExploitability(env: LayeredMdp, pref: PreferenceGame, pi: LayeredPolicy, options: MtpoGameOptions): number {
  checkMdp(env);
  checkPref(env, pref);
  const opts = mtpoOptions<MtpoGameOptions>(options, "mtpoExploitability", MTPO_GAME_KEYS, { ...KL_BETA, ...REF_POLICY });
  const beta = positive(opts.beta, "beta");
  const mu = opts.refPolicy ?? uniformPolicy(env);
  checkPolicy(env, mu, "refPolicy", true);
  checkPolicy(env, pi, "policy", false);
  const pk = pack(env, mu, pi);
  const eng = getEngine();
  const r = eng.call("mtpo_exploitability", {
    H: env.horizon, A: env.actions, states: input(pk.states), trans: input(pk.trans), kind: KIND_CODE[pref.kind], a: pref.buf, r: pref.rank,
    logMu: input(pk.logMu), logPi: input(pk.logPi), alpha: beta, out: output(2), work: scratch(workLen(eng, env, pk.states, pref)),
  });
  if (r.ret !== Status.OK) throw new ValueError(`mtpoExploitability: the engine rejected the arguments (status ${r.ret})`);
  return r.output("out")[0];
}

/**
 * Run MTPO or MTPO-τ (Shani et al. 2024, Theorem 4.2 and its τ variant) with
 * η_t = 2/(β(t+2)) from π₁ = μ, in the engine (β is the paper's α). MTPO:
 *   π_{t+1}(·|x) ∝ μ^{βη_t}·π_t^{1−βη_t}·exp(η_t·Q^{π_t,π_t}(x,·));
 * MTPO-τ: π_{t+1}(·|x) ∝ π_t^β(·|x)·exp(η_t·Q^{π_t^β,π_t^β}(x,·)), π_t^β ∝ π_t^{1−βη_t}·μ^{βη_t}.
 * Q is the preference-based Q function of Shani et al. 2024 (backward induction from
 * V(end) = P(end ≻ play)).
 */
export function mtpo(env: LayeredMdp, pref: PreferenceGame, options: MtpoOptions): MtpoRun {
  checkMdp(env);
  checkPref(env, pref);
  const opts = mtpoOptions<MtpoOptions>(options, "mtpo", MTPO_KEYS, { ...KL_BETA, ...REF_POLICY, ...EQUILIBRIUM });
  const beta = positive(opts.beta, "beta");
  const iters = integer(opts.iters ?? 100, "iters", 0);
  const every = integer(opts.logEvery ?? 1, "logEvery", 0);
  const variant = oneOf(opts.variant ?? "mtpo", "variant", ["mtpo", "mtpo-tau"] as const);
  const mu = opts.refPolicy ?? uniformPolicy(env);
  checkPolicy(env, mu, "refPolicy", true);
  const ref = opts.equilibrium ?? null;
  if (ref) checkPolicy(env, ref, "equilibrium", false);
  const pk = pack(env, mu, mu);
  const logStar = ref ? pack(env, mu, ref).logPi : null;
  const rows = every > 0 ? Math.floor(iters / every) + 1 + (iters % every !== 0 ? 1 : 0) : 0;
  const logPi = pk.logPi;
  const eng = getEngine();
  const r = eng.call("mtpo_run", {
    H: env.horizon, A: env.actions, states: input(pk.states), trans: input(pk.trans), kind: KIND_CODE[pref.kind], a: pref.buf, r: pref.rank,
    logMu: input(pk.logMu), logPi: inout(logPi), logStar: logStar && input(logStar), alpha: beta, T: iters,
    variant: variant === "mtpo-tau" ? MtpoVariant.MTPO_TAU : MtpoVariant.MTPO, every,
    metrics: output(Math.max(1, rows * MtpoMetric.COLS)), work: scratch(workLen(eng, env, pk.states, pref)),
  });
  if (r.ret === Status.NON_FINITE) throw new NumericalError(`mtpo: the policy became non-finite at iteration ${eng.statusArgs()[0]}`, { iteration: eng.statusArgs()[0] });
  if (r.ret !== Status.OK) throw new ValueError(`mtpo: the engine rejected the arguments (status ${r.ret})`);
  const m = r.output("metrics");
  const col = (c: number) => Float64Array.from({ length: rows }, (_, i) => m[i * MtpoMetric.COLS + c]);
  return { policy: unflat(env, logPi), iteration: col(MtpoMetric.ITERATION), exploitability: col(MtpoMetric.EXPLOITABILITY), kl: col(MtpoMetric.KL) };
}

/** A random layered environment from `treeEnvironment()`. */
export interface TreeEnvironment {
  /** The layered MDP. */
  env: LayeredMdp;
  /** The reference policy μ (Dirichlet(1) per state). */
  refPolicy: LayeredPolicy;
  /** The reference policy under its old name (the same arrays; not enumerable).
   *  @deprecated renamed `refPolicy`; removed in the next release. */
  readonly mu: LayeredPolicy;
  /** Skew-logit preferences over the end states (owns engine memory: dispose it). */
  pref: PreferenceGame;
}

/** Options of `treeEnvironment()`. */
export interface TreeEnvironmentOptions {
  /** Turns H (1…8). Default 3. */
  horizon?: number;
  /** Agent actions per turn (1…16). Default 3. */
  actions?: number;
  /** Environment replies per (state, action) (1…16). Default 2. */
  outcomes?: number;
  /** Scale σ of the skew-logit preferences over the end states. Default 2. */
  sigma?: number;
  /** Seed of the engine PRNG. Default 0. */
  seed?: number;
}

/** Dirichlet(1, …, 1) vectors by normalised exponentials of engine uniforms. */
function dirichletRows(rng: Rng, rows: number, k: number): Float64Array {
  const u = rng.uniform(rows * k);
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += out[r * k + j] = Math.max(-log(1 - u[r * k + j]), 1e-300);
    for (let j = 0; j < k; j++) out[r * k + j] /= s;
  }
  return out;
}

/**
 * A random tree environment for tests and examples: H turns, `actions` agent actions and `outcomes`
 * environment replies per turn, so (actions·outcomes)^H end states (216 for 3, 3, 2).
 * Each (state, action) moves to one of its own `outcomes` children with Dirichlet(1)
 * probabilities; μ(·|x) is Dirichlet(1); the end states are compared by a skew-logit game.
 */
export function treeEnvironment(options: TreeEnvironmentOptions = {}): TreeEnvironment {
  const opts = checkOptions<TreeEnvironmentOptions>(options, "treeEnvironment", ["horizon", "actions", "outcomes", "sigma", "seed"]);
  const H = integer(opts.horizon ?? 3, "horizon", 1, 8);
  const A = integer(opts.actions ?? 3, "actions", 1, 16);
  const O = integer(opts.outcomes ?? 2, "outcomes", 1, 16);
  const seed = checkSeed(opts.seed ?? 0);
  const states = [1];
  for (let h = 0; h < H; h++) states.push(states[h] * A * O);
  if (states[H] > 20000) throw new ValueError(`the tree has ${states[H]} end states; at most 20000 are supported`);
  const rng = new Rng(seed);
  try {
    const transitions: Float64Array[] = [];
    const mu: LayeredPolicy = [];
    for (let h = 0; h < H; h++) {
      const S = states[h], S2 = states[h + 1];
      const T = new Float64Array(S * A * S2);
      const p = dirichletRows(rng, S * A, O);
      for (let xy = 0; xy < S * A; xy++) for (let o = 0; o < O; o++) T[xy * S2 + xy * O + o] = p[xy * O + o];
      transitions.push(T);
      mu.push(dirichletRows(rng, S, A));
    }
    const env: LayeredMdp = { horizon: H, actions: A, states, transitions };
    const pref = skewLogit(states[H], { seed: seed + 1, sigma: opts.sigma ?? 2 });
    return deprecatedField({ env, refPolicy: mu, pref } as TreeEnvironment, "mu", "refPolicy", "TreeEnvironment");
  } finally {
    rng.dispose();
  }
}
