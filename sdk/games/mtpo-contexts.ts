// MTPO and MTPO-τ with contexts (Shani et al., NeurIPS 2024, "Multi-turn reinforcement learning
// from preference human feedback": the contextual finite-horizon MDP of their §3, c ~ ρ, and the
// updates of Theorem 4.2 and its τ variant), tabular and exact, on the host.
//
// `mtpo()` (mtpo.ts) has a single initial state. Here a context c is drawn from ρ at the start
// of every episode; it may be hidden from the policy: the agent's states are observation
// histories (a tree shared by all contexts), each context has its own transition probabilities
// and its own preference over end states, and two conversations are compared only with the
// same context, P(π ≻ π′) = Σ_c ρ(c)·E[P_c(x_{H+1} ≻ x′_{H+1})]. For a fixed opponent the agent
// faces an MDP over histories whose terminal reward is E_{c | x}[P_c(x ≻ π′)], with the posterior
// b(c | x) ∝ ρ(c)·p_c(x) (p_c: the environment's probabilities along the path, the policy's
// cancel in a tree); so the preference-based Q function is, per history,
//   Q(x, y) = Σ_c b(c | x)·Σ_{x′} p_c(x′ | x, y)·V_c(x′),
// with V_c the value conditional on the context (backward induction per context), and the
// per-state MTPO / MTPO-τ updates apply unchanged. When every context is visible (the initial
// states of different contexts differ), each context's game is solved independently and the
// iterates equal those of `mtpo()` run per context.
import { ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer, positive, oneOf } from "../core/validate.js";
import { exp, log } from "../core/detmath.js";
import type { LayeredPolicy } from "./mtpo.js";

/**
 * A contextual layered MDP over observation histories (a tree): levels 0 … H−1 of agent states
 * (level 0: the first observations), level H the end states. From state x at level h, action y
 * leads with probability probs[c][h][(x·A + y)·K + k] to child next[h][(x·A + y)·K + k] (K
 * environment replies per (state, action); each child has exactly one parent entry). The end
 * states are compared, within a context c, through a class map and a preference matrix:
 * P_c(x ≻ x′) = prefs[c][endClass[c][x]·n_c + endClass[c][x′]].
 */
export interface ContextualMdp {
  /** Turns H. */
  horizon: number;
  /** Agent actions per state. */
  actions: number;
  /** Environment replies K per (state, action). */
  branching: number;
  /** Number of states per level 0 … H. */
  states: number[];
  /** Per level h < H: S_h·A·K child indices into level h + 1. */
  next: Int32Array[];
  /** ρ(c): the context distribution. */
  contexts: Float64Array;
  /** Per context: the distribution of the level-0 state (the first observation). */
  initial: Float64Array[];
  /** Per context and level: S_h·A·K reply probabilities, each (x, y) block summing to 1. */
  probs: Float64Array[][];
  /** Per context: the class (0 … n_c − 1) of every end state. */
  endClass: Int32Array[];
  /** Per context: n_c × n_c preference matrix over classes, P + Pᵀ = 1. */
  prefs: Float64Array[];
}

/** Options of the contextual MTPO functions. */
export interface ContextualMtpoGameOptions {
  /** KL coefficient β > 0 (α in Shani et al. 2024). */
  beta: number;
  /** Reference policy μ per level (S_h × A, every entry > 0); default uniform. */
  refPolicy?: LayeredPolicy;
}

/** Options of `contextualMtpo()`. */
export interface ContextualMtpoOptions extends ContextualMtpoGameOptions {
  /** Iterations. Default 100. */
  iters?: number;
  /** "mtpo" or "mtpo-tau". Default "mtpo". */
  variant?: "mtpo" | "mtpo-tau";
  /** Log the exploitability every this many iterations (and at the last); 0: never. Default 1. */
  logEvery?: number;
}

/** What `contextualMtpo()` returns. */
export interface ContextualMtpoRun {
  /** The last iterate π_T. */
  policy: LayeredPolicy;
  /** The iteration of each logged row. */
  iteration: Float64Array;
  /** E_β(π_t) = max_π′ P_β(π′ ≻ π_t) − ½ (over history policies). */
  exploitability: Float64Array;
}

const GAME_KEYS = ["beta", "refPolicy"] as const;
const RUN_KEYS = [...GAME_KEYS, "iters", "variant", "logEvery"] as const;

/** Check the shapes, the tree structure, the probabilities and the preference matrices. */
export function checkContextualMdp(g: ContextualMdp): void {
  if (!g || typeof g !== "object") throw new ValueError("expected a ContextualMdp { horizon, actions, branching, states, next, contexts, initial, probs, endClass, prefs }");
  const H = integer(g.horizon, "horizon", 1), A = integer(g.actions, "actions", 1), K = integer(g.branching, "branching", 1);
  if (!Array.isArray(g.states) || g.states.length !== H + 1) throw new ShapeError(`states must list H + 1 = ${H + 1} level sizes`);
  g.states.forEach((s, h) => integer(s, `states[${h}]`, 1));
  const C = g.contexts?.length ?? 0;
  if (C < 1) throw new ShapeError("contexts must hold at least one probability");
  let sc = 0;
  for (let c = 0; c < C; c++) {
    if (!(g.contexts[c] >= 0)) throw new ValueError(`contexts[${c}] = ${g.contexts[c]}; expected ≥ 0`);
    sc += g.contexts[c];
  }
  if (Math.abs(sc - 1) > 1e-9) throw new ValueError(`contexts sum to ${sc}, expected 1`);
  if (!Array.isArray(g.next) || g.next.length !== H) throw new ShapeError(`next must have H = ${H} levels`);
  for (let h = 0; h < H; h++) {
    const n = g.states[h] * A * K, nx = g.next[h];
    if (!nx || nx.length !== n) throw new ShapeError(`next[${h}] must have S_h·A·K = ${n} entries`);
    const seen = new Uint8Array(g.states[h + 1]);
    for (let i = 0; i < n; i++) {
      const ch = nx[i];
      if (!Number.isInteger(ch) || ch < 0 || ch >= g.states[h + 1]) throw new ValueError(`next[${h}][${i}] = ${ch} is not a state of level ${h + 1}`);
      if (seen[ch]) throw new ValueError(`next[${h}]: state ${ch} of level ${h + 1} has two parents; the states must form a tree of histories`);
      seen[ch] = 1;
    }
  }
  const arr = (a: unknown, name: string) => {
    if (!Array.isArray(a) || a.length !== C) throw new ShapeError(`${name} must have one entry per context (${C})`);
  };
  arr(g.initial, "initial");
  arr(g.probs, "probs");
  arr(g.endClass, "endClass");
  arr(g.prefs, "prefs");
  for (let c = 0; c < C; c++) {
    const i0 = g.initial[c];
    if (!i0 || i0.length !== g.states[0]) throw new ShapeError(`initial[${c}] must have S_0 = ${g.states[0]} entries`);
    let s = 0;
    for (const v of i0) s += v;
    if (Math.abs(s - 1) > 1e-9 || i0.some((v) => !(v >= 0))) throw new ValueError(`initial[${c}] is not a probability vector`);
    if (!Array.isArray(g.probs[c]) || g.probs[c].length !== H) throw new ShapeError(`probs[${c}] must have H = ${H} levels`);
    for (let h = 0; h < H; h++) {
      const P = g.probs[c][h];
      if (!P || P.length !== g.states[h] * A * K) throw new ShapeError(`probs[${c}][${h}] must have S_h·A·K entries`);
      for (let xy = 0; xy < g.states[h] * A; xy++) {
        let t = 0;
        for (let k = 0; k < K; k++) {
          const v = P[xy * K + k];
          if (!(v >= 0)) throw new ValueError(`probs[${c}][${h}][${xy * K + k}] = ${v}; expected ≥ 0`);
          t += v;
        }
        if (Math.abs(t - 1) > 1e-9) throw new ValueError(`probs[${c}][${h}]: state ${Math.floor(xy / A)}, action ${xy % A} sums to ${t}, expected 1`);
      }
    }
    const cls = g.endClass[c], pr = g.prefs[c];
    if (!cls || cls.length !== g.states[H]) throw new ShapeError(`endClass[${c}] must have S_H = ${g.states[H]} entries`);
    const n = Math.round(Math.sqrt(pr?.length ?? 0));
    if (!pr || n * n !== pr.length || n < 1) throw new ShapeError(`prefs[${c}] must be a square matrix`);
    for (const k of cls) if (!Number.isInteger(k) || k < 0 || k >= n) throw new ValueError(`endClass[${c}] holds ${k}, outside [0, ${n})`);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const v = pr[i * n + j];
      if (!(v >= 0 && v <= 1) || Math.abs(v + pr[j * n + i] - 1) > 1e-9) throw new ValueError(`prefs[${c}][${i}, ${j}] = ${v}: expected a probability with P + Pᵀ = 1`);
    }
  }
}

function uniform(g: ContextualMdp): LayeredPolicy {
  return g.states.slice(0, g.horizon).map((S) => new Float64Array(S * g.actions).fill(1 / g.actions));
}

function checkPolicy(g: ContextualMdp, p: LayeredPolicy, name: string, strict: boolean): void {
  if (!Array.isArray(p) || p.length !== g.horizon) throw new ShapeError(`${name} must have H = ${g.horizon} levels`);
  const A = g.actions;
  for (let h = 0; h < g.horizon; h++) {
    if (!p[h] || p[h].length !== g.states[h] * A) throw new ShapeError(`${name}[${h}] must have S_h·A = ${g.states[h] * A} entries`);
    for (let x = 0; x < g.states[h]; x++) {
      let s = 0;
      for (let y = 0; y < A; y++) {
        const v = p[h][x * A + y];
        if (strict ? !(v > 0) : !(v >= 0)) throw new ValueError(`${name}[${h}][${x}, ${y}] = ${v}; expected ${strict ? "> 0" : "≥ 0"}`);
        s += v;
      }
      if (Math.abs(s - 1) > 1e-9) throw new ValueError(`${name}[${h}] state ${x} sums to ${s}, expected 1`);
    }
  }
}

/** Reach probabilities per level of `pol` in context c (level 0 from `initial[c]`); with
 *  pol = null, the environment's probabilities only (every action weighted 1). */
function reach(g: ContextualMdp, c: number, pol: LayeredPolicy | null): Float64Array[] {
  const A = g.actions, K = g.branching;
  const out: Float64Array[] = [Float64Array.from(g.initial[c])];
  for (let h = 0; h < g.horizon; h++) {
    const nxt = new Float64Array(g.states[h + 1]);
    const P = g.probs[c][h], N = g.next[h];
    for (let x = 0; x < g.states[h]; x++) {
      const r = out[h][x];
      if (r === 0) continue;
      for (let y = 0; y < A; y++) {
        const w = pol ? r * pol[h][x * A + y] : r;
        if (w === 0) continue;
        const o = (x * A + y) * K;
        for (let k = 0; k < K; k++) nxt[N[o + k]] += w * P[o + k];
      }
    }
    out.push(nxt);
  }
  return out;
}

function stateKl(p: Float64Array, q: Float64Array, x: number, A: number): number {
  let s = 0;
  for (let y = 0; y < A; y++) {
    const v = p[x * A + y];
    if (v > 0) s += v * log(v / q[x * A + y]);
  }
  return s;
}

/** Terminal values per context: g_c(x) = P_c(x ≻ opponent), the opponent's end states drawn
 *  from `opp` in the same context. */
function terminal(g: ContextualMdp, opp: LayeredPolicy): Float64Array[] {
  const H = g.horizon;
  return Array.from(g.contexts, (_, c) => {
    const rEnd = reach(g, c, opp)[H];
    const cls = g.endClass[c], pr = g.prefs[c], n = Math.round(Math.sqrt(pr.length));
    const d = new Float64Array(n);
    for (let x = 0; x < rEnd.length; x++) d[cls[x]] += rEnd[x];
    const byClass = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += pr[i * n + j] * d[j];
      byClass[i] = s;
    }
    return Float64Array.from(cls, (k) => byClass[k]);
  });
}

/** Posterior weights ρ(c)·p_c(x) of every state (environment probabilities only). */
function posteriors(g: ContextualMdp): Float64Array[][] {
  return Array.from(g.contexts, (rho, c) => reach(g, c, null).map((a) => a.map((v) => v * rho)));
}

/** Backward induction against fixed terminal values. With `play`, evaluates it (Q, and V_c per
 *  context); with play = null, the regularised best response (soft values). Returns the
 *  history-level Q of every level and the context-conditional values at level 0. */
function backward(g: ContextualMdp, mu: LayeredPolicy, beta: number, term: Float64Array[], post: Float64Array[][], play: LayeredPolicy | null) {
  const H = g.horizon, A = g.actions, K = g.branching, C = g.contexts.length;
  let V = term.map((t) => Float64Array.from(t));
  const Q: Float64Array[] = new Array(H);
  for (let h = H - 1; h >= 0; h--) {
    const S = g.states[h];
    const Qc = Array.from({ length: C }, () => new Float64Array(S * A));
    for (let c = 0; c < C; c++) {
      const P = g.probs[c][h], N = g.next[h], v = V[c], q = Qc[c];
      for (let xy = 0; xy < S * A; xy++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += P[xy * K + k] * v[N[xy * K + k]];
        q[xy] = s;
      }
    }
    const Qh = new Float64Array(S * A);
    const newV = Array.from({ length: C }, () => new Float64Array(S));
    const pol = new Float64Array(A);
    for (let x = 0; x < S; x++) {
      let wsum = 0;
      for (let c = 0; c < C; c++) wsum += post[c][h][x];
      if (wsum > 0) {
        for (let y = 0; y < A; y++) {
          let s = 0;
          for (let c = 0; c < C; c++) s += post[c][h][x] * Qc[c][x * A + y];
          Qh[x * A + y] = s / wsum;
        }
      }
      // The policy played at x: `play`, or the soft best response μ·e^{Q/β}, normalised.
      if (play) for (let y = 0; y < A; y++) pol[y] = play[h][x * A + y];
      else {
        let m = -Infinity;
        for (let y = 0; y < A; y++) m = Math.max(m, Qh[x * A + y] / beta);
        let z = 0;
        for (let y = 0; y < A; y++) z += pol[y] = mu[h][x * A + y] * exp(Qh[x * A + y] / beta - m);
        for (let y = 0; y < A; y++) pol[y] /= z;
      }
      let kl = 0;
      for (let y = 0; y < A; y++) if (pol[y] > 0) kl += pol[y] * log(pol[y] / mu[h][x * A + y]);
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let y = 0; y < A; y++) s += pol[y] * Qc[c][x * A + y];
        newV[c][x] = s - beta * kl;
      }
    }
    // Q of the paper includes −β·KL(play‖μ)[x] (constant in y; it does not move the update).
    Q[h] = Qh;
    V = newV;
  }
  let value = 0;
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let x = 0; x < g.states[0]; x++) s += g.initial[c][x] * V[c][x];
    value += g.contexts[c] * s;
  }
  return { Q, value };
}

/** KL_p(π‖π′) averaged over contexts: Σ_c ρ(c)·E_{π,c}[Σ_h KL(π‖π′)[x_h]]. */
export function contextualKl(g: ContextualMdp, pi: LayeredPolicy, piPrime: LayeredPolicy): number {
  checkContextualMdp(g);
  checkPolicy(g, pi, "pi", false);
  checkPolicy(g, piPrime, "piPrime", false);
  return klp(g, pi, piPrime);
}

function klp(g: ContextualMdp, pi: LayeredPolicy, piPrime: LayeredPolicy): number {
  let s = 0;
  for (let c = 0; c < g.contexts.length; c++) {
    if (g.contexts[c] === 0) continue;
    const R = reach(g, c, pi);
    let t = 0;
    for (let h = 0; h < g.horizon; h++) for (let x = 0; x < g.states[h]; x++) if (R[h][x] > 0) t += R[h][x] * stateKl(pi[h], piPrime[h], x, g.actions);
    s += g.contexts[c] * t;
  }
  return s;
}

function gameOptions(options: unknown, where: string, keys: readonly string[], g: ContextualMdp) {
  if (!options || typeof options !== "object") throw new ValueError(`${where}: options { beta, ... } are required`);
  const o = checkOptions<ContextualMtpoOptions>(options, where, keys);
  const beta = positive(o.beta, "beta");
  const mu = o.refPolicy ?? uniform(g);
  checkPolicy(g, mu, "refPolicy", true);
  return { o, beta, mu };
}

/**
 * The regularised preference P_β(π ≻ π′) = P(π ≻ π′) − β·KL_p(π‖μ) + β·KL_p(π′‖μ) of the
 * contextual game, by backward induction per context against π′'s end-state distribution.
 */
export function contextualValue(g: ContextualMdp, pi: LayeredPolicy, piPrime: LayeredPolicy, options: ContextualMtpoGameOptions): number {
  checkContextualMdp(g);
  const { beta, mu } = gameOptions(options, "contextualValue", GAME_KEYS, g);
  checkPolicy(g, pi, "pi", false);
  checkPolicy(g, piPrime, "piPrime", false);
  const { value } = backward(g, mu, beta, terminal(g, piPrime), posteriors(g), pi);
  return value + beta * klp(g, piPrime, mu);
}

/** E_β(π) = max_π′ P_β(π′ ≻ π) − ½ over policies of the histories (soft value iteration: the
 *  best response sees the histories, not the context). Zero exactly at the equilibrium. */
export function contextualExploitability(g: ContextualMdp, pi: LayeredPolicy, options: ContextualMtpoGameOptions): number {
  checkContextualMdp(g);
  const { beta, mu } = gameOptions(options, "contextualExploitability", GAME_KEYS, g);
  checkPolicy(g, pi, "policy", false);
  return exploitability(g, mu, beta, pi, posteriors(g));
}

function exploitability(g: ContextualMdp, mu: LayeredPolicy, beta: number, pi: LayeredPolicy, post: Float64Array[][]): number {
  const { value } = backward(g, mu, beta, terminal(g, pi), post, null);
  return value + beta * klp(g, pi, mu) - 0.5;
}

/**
 * MTPO or MTPO-τ on a contextual game (Shani et al. 2024, Thm 4.2 and the τ variant), with
 * η_s = 2/(β(s+2)), s = 0, 1, …, from π₀ = μ (the schedule of mtpo()):
 *   MTPO:   π_{t+1}(·|x) ∝ μ^{βη}·π_t^{1−βη}·exp(η·Q^{π_t,π_t}(x,·)),
 *   MTPO-τ: π_{t+1}(·|x) ∝ π_t^β(·|x)·exp(η·Q^{π_t^β,π_t^β}(x,·)), π_t^β ∝ π_t^{1−βη}·μ^{βη},
 * where Q is the history-level preference Q function (the posterior mixture of the
 * per-context Q functions; see the file's header).
 */
export function contextualMtpo(g: ContextualMdp, options: ContextualMtpoOptions): ContextualMtpoRun {
  checkContextualMdp(g);
  const { o, beta, mu } = gameOptions(options, "contextualMtpo", RUN_KEYS, g);
  const iters = integer(o.iters ?? 100, "iters", 0);
  const every = integer(o.logEvery ?? 1, "logEvery", 0);
  const variant = oneOf(o.variant ?? "mtpo", "variant", ["mtpo", "mtpo-tau"] as const);
  const H = g.horizon, A = g.actions;
  const post = posteriors(g);
  const logMu = mu.map((a) => a.map((v) => log(v)));
  let logPi: Float64Array[] = logMu.map((a) => Float64Array.from(a));
  const probs = (l: Float64Array[]) => l.map((a) => a.map((v) => exp(v)));
  const normalise = (l: Float64Array) => {
    for (let x = 0; x < l.length / A; x++) {
      let m = -Infinity;
      for (let y = 0; y < A; y++) m = Math.max(m, l[x * A + y]);
      let z = 0;
      for (let y = 0; y < A; y++) z += exp(l[x * A + y] - m);
      const lz = m + log(z);
      for (let y = 0; y < A; y++) l[x * A + y] -= lz;
    }
    return l;
  };
  const its: number[] = [], ex: number[] = [];
  const logRow = (t: number) => {
    its.push(t);
    ex.push(exploitability(g, mu, beta, probs(logPi), post));
  };
  if (every > 0) logRow(0);
  for (let t = 1; t <= iters; t++) {
    // η for the t-th update: 2/(β(t + 1)), i.e. η_s = 2/(β(s + 2)) for s = t − 1 = 0, 1, … as
    // in mtpo() (the first step, βη = 1, is a regularised best response to μ).
    const eta = 2 / (beta * (t + 1));
    const be = beta * eta;
    const logPlay = variant === "mtpo-tau" ? logPi.map((a, h) => normalise(a.map((v, i) => (1 - be) * v + be * logMu[h][i]))) : logPi;
    const play = probs(logPlay);
    const { Q } = backward(g, mu, beta, terminal(g, play), post, play);
    const nextPi: Float64Array[] = [];
    for (let h = 0; h < H; h++) {
      const l = new Float64Array(logPi[h].length);
      for (let i = 0; i < l.length; i++) {
        l[i] = variant === "mtpo-tau" ? logPlay[h][i] + eta * Q[h][i] : be * logMu[h][i] + (1 - be) * logPi[h][i] + eta * Q[h][i];
      }
      nextPi.push(normalise(l));
    }
    logPi = nextPi;
    if (every > 0 && (t % every === 0 || t === iters)) logRow(t);
  }
  return { policy: probs(logPi), iteration: Float64Array.from(its), exploitability: Float64Array.from(ex) };
}
