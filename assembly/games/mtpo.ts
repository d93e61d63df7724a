// MTPO and MTPO-τ (Shani et al., NeurIPS 2024: the closed-form per-state updates, with the
// step η_t = 2/(α(t+2)) of their Thm 4.2) on a layered finite-horizon MDP whose end states
// are compared by a preference operator (dense or low rank, see pref.ts).
//
// Layout (all concatenated over levels h = 0..H−1, row-major inside a level):
//   states  i32[H+1]               S_0 = 1, …, S_H = number of end states
//   trans   f64[Σ_h S_h·A·S_{h+1}]  p(x′ | x, y)
//   logMu, logPi   f64[Σ_h S_h·A]   log μ(y|x), log π(y|x) (normalised per state)
// Metrics rows (MtpoMetric.COLS): [t, E_α(π_t), KL_p(π*‖π_t) or NaN].
import { ld, st, ptr, opt_ptr } from "../core/mem";
import { Status, setStatusArg } from "../core/status";
import { prefApply, PreferenceKind } from "./pref";

/** The `variant` argument of mtpo_run. */
export const enum MtpoVariant {
  /** MTPO: the played policy is π_t. */
  MTPO = 0,
  /** MTPO-τ: the played policy is the geometric mixture π_t^{1−αη}μ^{αη}. */
  MTPO_TAU = 1,
}

/** Columns of an mtpo_run metrics row. */
export const enum MtpoMetric {
  /** Iteration t. */
  ITERATION = 0,
  /** E_α(π_t). */
  EXPLOITABILITY = 1,
  /** KL_p(π*‖π_t) (NaN without π*). */
  KL = 2,
  /** Number of columns. */
  COLS = 3,
}

@inline function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** Offsets of level h in the concatenated policy (S·A) and transition arrays. */
function polOffset(states: usize, A: i32, h: i32): i32 {
  let o = 0;
  for (let k = 0; k < h; k++) o += ldi(states, k) * A;
  return o;
}
function transOffset(states: usize, A: i32, h: i32): i32 {
  let o = 0;
  for (let k = 0; k < h; k++) o += ldi(states, k) * A * ldi(states, k + 1);
  return o;
}

/** Per-state softmax of log-weights l (S·A) into probabilities p; l is normalised in place. */
function softmaxRows(l: usize, p: usize, S: i32, A: i32): void {
  for (let x = 0; x < S; x++) {
    const b = x * A;
    let m = -Infinity;
    for (let y = 0; y < A; y++) m = Math.max(m, ld(l, b + y));
    let z = 0.0;
    for (let y = 0; y < A; y++) {
      const e = Math.exp(ld(l, b + y) - m);
      st(p, b + y, e);
      z += e;
    }
    const lz = m + Math.log(z);
    for (let y = 0; y < A; y++) {
      st(p, b + y, ld(p, b + y) / z);
      st(l, b + y, ld(l, b + y) - lz);
    }
  }
}

/** KL(π(·|x)‖μ(·|x)) from log-probabilities (terms with π = 0 skipped). */
@inline function stateKl(lp: usize, p: usize, lm: usize, b: i32, A: i32): f64 {
  let s = 0.0;
  for (let y = 0; y < A; y++) {
    const q = ld(p, b + y);
    if (q > 0) s += q * (ld(lp, b + y) - ld(lm, b + y));
  }
  return s;
}

/** Reach probabilities of every state under policy p; reach has Σ_{h≤H} S_h entries. */
function reachProbs(H: i32, A: i32, states: usize, trans: usize, p: usize, reach: usize): void {
  st(reach, 0, 1.0);
  let ro = 0, po = 0, to = 0;
  for (let h = 0; h < H; h++) {
    const S = ldi(states, h), S2 = ldi(states, h + 1);
    const ro2 = ro + S;
    for (let k = 0; k < S2; k++) st(reach, ro2 + k, 0.0);
    for (let x = 0; x < S; x++) {
      const rx = ld(reach, ro + x);
      if (rx == 0) continue;
      for (let y = 0; y < A; y++) {
        const w = rx * ld(p, po + x * A + y);
        if (w == 0) continue;
        const row = to + (x * A + y) * S2;
        for (let k = 0; k < S2; k++) st(reach, ro2 + k, ld(reach, ro2 + k) + w * ld(trans, row + k));
      }
    }
    ro = ro2;
    po += S * A;
    to += S * A * S2;
  }
}

/** KL_p(π‖π′) = Σ_h Σ_x reach_π(x)·KL(π(·|x)‖π′(·|x)). */
function trajKl(H: i32, A: i32, states: usize, lp: usize, p: usize, lq: usize, reach: usize): f64 {
  let s = 0.0, ro = 0, po = 0;
  for (let h = 0; h < H; h++) {
    const S = ldi(states, h);
    for (let x = 0; x < S; x++) {
      const rx = ld(reach, ro + x);
      if (rx > 0) s += rx * stateKl(lp, p, lq, po + x * A, A);
    }
    ro += S;
    po += S * A;
  }
  return s;
}

/** E_α(π) by soft value iteration against π's end-state distribution. vA, vB: max_h S_h. */
function exploitability(H: i32, A: i32, states: usize, trans: usize, kind: i32, a: usize, r: i32,
  lp: usize, p: usize, lmu: usize, alpha: f64, reach: usize, vA: usize, vB: usize, acc: usize): f64 {
  reachProbs(H, A, states, trans, p, reach);
  const SH = ldi(states, H);
  let endOff = 0;
  for (let h = 0; h < H; h++) endOff += ldi(states, h);
  prefApply(kind, a, r, SH, reach + (<usize>endOff << 3), vA, acc);
  let V = vA, W = vB;
  for (let h = H - 1; h >= 0; h--) {
    const S = ldi(states, h), S2 = ldi(states, h + 1);
    const po = polOffset(states, A, h), to = transOffset(states, A, h);
    for (let x = 0; x < S; x++) {
      let m = -Infinity;
      // first pass: max of Q/α + log μ, second: log-sum-exp
      for (let y = 0; y < A; y++) {
        const row = to + (x * A + y) * S2;
        let e = 0.0;
        for (let k = 0; k < S2; k++) e += ld(trans, row + k) * ld(V, k);
        m = Math.max(m, e / alpha + ld(lmu, po + x * A + y));
      }
      let z = 0.0;
      for (let y = 0; y < A; y++) {
        const row = to + (x * A + y) * S2;
        let e = 0.0;
        for (let k = 0; k < S2; k++) e += ld(trans, row + k) * ld(V, k);
        z += Math.exp(e / alpha + ld(lmu, po + x * A + y) - m);
      }
      st(W, x, alpha * (m + Math.log(z)));
    }
    const t = V;
    V = W;
    W = t;
  }
  return ld(V, 0) + alpha * trajKl(H, A, states, lp, p, lmu, reach) - 0.5;
}

/** f64 slots of the `work` block of mtpo_run and mtpo_exploitability for an MDP with H levels,
 *  A actions and `states` (H + 1 level sizes), and a preference operator of rank r (0: dense):
 *  6·Σ_h S_h·A + 2·Σ_{h≤H} S_h + 2·max S + 4r + 8. */
export function mtpo_workspace_size(H: i32, A: i32, states: ptr<i32>, r: i32): f64 {
  let SA = 0.0, Sall = 0.0, Smax = 0.0;
  for (let h = 0; h < H; h++) SA += <f64>ldi(states, h) * <f64>A;
  for (let h = 0; h <= H; h++) {
    Sall += <f64>ldi(states, h);
    Smax = Math.max(Smax, <f64>ldi(states, h));
  }
  return 6.0 * SA + 2.0 * Sall + 2.0 * Smax + 4.0 * <f64>r + 8.0;
}

/**
 * Run T iterations of MTPO or MTPO-τ (`variant`) with η_t = 2/(α(t+2)) from logPi
 * (overwritten with the last iterate). every > 0 logs rows of MtpoMetric.COLS at
 * t = 0, every, …, T. logStar (or 0): log π* for KL_p(π*‖π_t).
 * work: mtpo_workspace_size(H, A, states, r) f64.
 */
export function mtpo_run(H: i32, A: i32, states: ptr<i32>, trans: ptr<f64>, kind: PreferenceKind, a: ptr<f64>, r: i32,
  logMu: ptr<f64>, logPi: ptr<f64>, logStar: opt_ptr<f64>, alpha: f64, T: i32, variant: MtpoVariant, every: i32,
  metrics: ptr<f64>, work: ptr<f64>): Status {
  if (H < 1 || A < 1 || !(alpha > 0) || T < 0) return Status.BAD_ARG;
  let SA = 0, Sall = 0, Smax = 0;
  for (let h = 0; h < H; h++) SA += ldi(states, h) * A;
  for (let h = 0; h <= H; h++) {
    Sall += ldi(states, h);
    Smax = max(Smax, ldi(states, h));
  }
  const pi = work, play = pi + (<usize>SA << 3), lplay = play + (<usize>SA << 3), Q = lplay + (<usize>SA << 3);
  const pstar = Q + (<usize>SA << 3), lstar = pstar + (<usize>SA << 3);
  const reach = lstar + (<usize>SA << 3), reach2 = reach + (<usize>Sall << 3);
  const vA = reach2 + (<usize>Sall << 3), vB = vA + (<usize>Smax << 3), acc = vB + (<usize>Smax << 3);
  const hasStar = logStar != 0;
  if (hasStar) {
    memory.copy(lstar, logStar, <usize>SA << 3);
    let o = 0;
    for (let h = 0; h < H; h++) {
      const S = ldi(states, h);
      softmaxRows(lstar + (<usize>o << 3), pstar + (<usize>o << 3), S, A);
      o += S * A;
    }
  }
  // normalise the starting policy per state
  {
    let o = 0;
    for (let h = 0; h < H; h++) {
      const S = ldi(states, h);
      softmaxRows(logPi + (<usize>o << 3), pi + (<usize>o << 3), S, A);
      o += S * A;
    }
  }
  const SH = ldi(states, H);
  const endOff = Sall - SH;
  let row = 0;
  for (let t = 0; t <= T; t++) {
    if (every > 0 && (t % every == 0 || t == T)) {
      const out = metrics + ((<usize>row * <usize>MtpoMetric.COLS) << 3);
      st(out, MtpoMetric.ITERATION, <f64>t);
      st(out, MtpoMetric.EXPLOITABILITY, exploitability(H, A, states, trans, kind, a, r, logPi, pi, logMu, alpha, reach2, vA, vB, acc));
      if (hasStar) {
        reachProbs(H, A, states, trans, pstar, reach2);
        st(out, MtpoMetric.KL, trajKl(H, A, states, lstar, pstar, logPi, reach2));
      } else st(out, MtpoMetric.KL, NaN);
      row++;
    }
    if (t == T) break;
    const eta = 2.0 / (alpha * (<f64>t + 2.0));
    const w = alpha * eta;
    // the policy that is played (and compared against): π_t, or the mixture π_t^α
    if (variant == MtpoVariant.MTPO_TAU) {
      for (let k = 0; k < SA; k++) st(lplay, k, (1.0 - w) * ld(logPi, k) + w * ld(logMu, k));
      let o = 0;
      for (let h = 0; h < H; h++) {
        const S = ldi(states, h);
        softmaxRows(lplay + (<usize>o << 3), play + (<usize>o << 3), S, A);
        o += S * A;
      }
    } else {
      memory.copy(lplay, logPi, <usize>SA << 3);
      memory.copy(play, pi, <usize>SA << 3);
    }
    // Q^{play, play} by backward induction; V(end) = P(end ≻ play)
    reachProbs(H, A, states, trans, play, reach);
    prefApply(kind, a, r, SH, reach + (<usize>endOff << 3), vA, acc);
    let V = vA, W = vB;
    for (let h = H - 1; h >= 0; h--) {
      const S = ldi(states, h), S2 = ldi(states, h + 1);
      const po = polOffset(states, A, h), to = transOffset(states, A, h);
      for (let x = 0; x < S; x++) {
        const b = po + x * A;
        const kl = alpha * stateKl(lplay, play, logMu, b, A);
        let vx = 0.0;
        for (let y = 0; y < A; y++) {
          const rr = to + (x * A + y) * S2;
          let e = 0.0;
          for (let k = 0; k < S2; k++) e += ld(trans, rr + k) * ld(V, k);
          const q = e - kl;
          st(Q, b + y, q);
          vx += ld(play, b + y) * q;
        }
        st(W, x, vx);
      }
      const tmp = V;
      V = W;
      W = tmp;
    }
    // per-state mirror-descent update
    for (let k = 0; k < SA; k++) {
      const base = variant == MtpoVariant.MTPO_TAU ? ld(lplay, k) : w * ld(logMu, k) + (1.0 - w) * ld(logPi, k);
      st(logPi, k, base + eta * ld(Q, k));
    }
    let o = 0;
    for (let h = 0; h < H; h++) {
      const S = ldi(states, h);
      softmaxRows(logPi + (<usize>o << 3), pi + (<usize>o << 3), S, A);
      o += S * A;
    }
    if (!isFinite(ld(logPi, 0))) {
      setStatusArg(<f64>t, 0);
      return Status.NON_FINITE;
    }
  }
  return Status.OK;
}

/** E_α(π) and KL_p(π‖μ) for one policy: out = [E_α, KL_p(π‖μ)].
 *  work: mtpo_workspace_size(H, A, states, r) f64. */
export function mtpo_exploitability(H: i32, A: i32, states: ptr<i32>, trans: ptr<f64>, kind: PreferenceKind, a: ptr<f64>, r: i32,
  logMu: ptr<f64>, logPi: ptr<f64>, alpha: f64, out: ptr<f64>, work: ptr<f64>): Status {
  if (H < 1 || A < 1 || !(alpha > 0)) return Status.BAD_ARG;
  let SA = 0, Sall = 0, Smax = 0;
  for (let h = 0; h < H; h++) SA += ldi(states, h) * A;
  for (let h = 0; h <= H; h++) {
    Sall += ldi(states, h);
    Smax = max(Smax, ldi(states, h));
  }
  const pi = work, reach = pi + (<usize>SA << 3);
  const vA = reach + (<usize>Sall << 3), vB = vA + (<usize>Smax << 3), acc = vB + (<usize>Smax << 3);
  let o = 0;
  for (let h = 0; h < H; h++) {
    const S = ldi(states, h);
    softmaxRows(logPi + (<usize>o << 3), pi + (<usize>o << 3), S, A);
    o += S * A;
  }
  st(out, 0, exploitability(H, A, states, trans, kind, a, r, logPi, pi, logMu, alpha, reach, vA, vB, acc));
  st(out, 1, trajKl(H, A, states, logPi, pi, logMu, reach));
  return Status.OK;
}
