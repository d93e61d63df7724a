// MTPO and MTPO-τ with contexts (Shani et al. 2024, the contextual MDP of §3, Theorem 4.2), tabular:
// with one context it is the engine's mtpo() iterate for iterate; with visible contexts it solves
// each context's game independently; with hidden contexts (the dialogue world's student types) the
// regularised value by backward induction per context equals a brute-force enumeration of
// conversations, and the exploitability goes to zero (exact oracle).
import { describe, it, expect, beforeAll } from "vitest";
import { init, ValueError, ShapeError } from "../sdk/index.js";
import * as G from "../sdk/games/index.js";
import { contextualMtpo, contextualExploitability, contextualValue, contextualKl, checkContextualMdp, type ContextualMdp } from "../sdk/games/mtpo-contexts.js";
import { EducationDialogueEnv, dialogueGame } from "../sdk/align/envs/dialogue.js";

beforeAll(async () => {
  await init();
});

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Several tree environments as the visible contexts of one contextual game: level-h states are
 *  the trees' level-h states side by side; context c starts in state c of level 0. */
function visible(trees: G.TreeEnvironment[], rho: number[]): { game: ContextualMdp; offsets: number[][] } {
  const H = trees[0].env.horizon, A = trees[0].env.actions;
  const O = trees[0].env.states[1] / A; // outcomes per (state, action)
  const offsets = trees.map(() => [] as number[]);
  const states: number[] = [];
  for (let h = 0; h <= H; h++) {
    let o = 0;
    trees.forEach((t, c) => {
      offsets[c].push(o);
      o += t.env.states[h];
    });
    states.push(o);
  }
  const next: Int32Array[] = [];
  for (let h = 0; h < H; h++) {
    const nx = new Int32Array(states[h] * A * O);
    trees.forEach((t, c) => {
      for (let x = 0; x < t.env.states[h]; x++) for (let y = 0; y < A; y++) for (let k = 0; k < O; k++) {
        nx[((offsets[c][h] + x) * A + y) * O + k] = offsets[c][h + 1] + (x * A + y) * O + k;
      }
    });
    next.push(nx);
  }
  const probs = trees.map((t, c) => Array.from({ length: H }, (_, h) => {
    const p = new Float64Array(states[h] * A * O);
    // Every block must be a distribution: the other contexts' states get a uniform placeholder.
    p.fill(1 / O);
    const S2 = t.env.states[h + 1];
    for (let x = 0; x < t.env.states[h]; x++) for (let y = 0; y < A; y++) for (let k = 0; k < O; k++) {
      p[((offsets[c][h] + x) * A + y) * O + k] = t.env.transitions[h][(x * A + y) * S2 + (x * A + y) * O + k];
    }
    return p;
  }));
  const nEnd = states[H];
  const endClass = trees.map((t, c) => Int32Array.from({ length: nEnd }, (_, x) => {
    const i = x - offsets[c][H];
    return i >= 0 && i < t.env.states[H] ? i : 0;
  }));
  const prefs = trees.map((t) => Float64Array.from(t.pref.toMatrix().data));
  const initial = trees.map((_, c) => Float64Array.from({ length: states[0] }, (_, x) => (x === c ? 1 : 0)));
  const game: ContextualMdp = { horizon: H, actions: A, branching: O, states, next, contexts: Float64Array.from(rho), initial, probs, endClass, prefs };
  return { game, offsets };
}

/** A context-c sub-policy of a contextual layered policy. */
const slice = (pol: Float64Array[], tree: G.TreeEnvironment, off: number[], A: number) =>
  pol.map((p, h) => p.slice(off[h] * A, (off[h] + tree.env.states[h]) * A));

/** Brute force: every conversation of every context, with its probability under π and π′;
 *  P_β(π ≻ π′) = Σ_c ρ(c)·Σ_{x,x′} π(x|c)·π′(x′|c)·P_c(x ≻ x′) − β·KL_p(π‖μ) + β·KL_p(π′‖μ). */
function bruteValue(g: ContextualMdp, pi: Float64Array[], pi2: Float64Array[], mu: Float64Array[], beta: number): number {
  const A = g.actions, K = g.branching, H = g.horizon;
  let total = 0;
  for (let c = 0; c < g.contexts.length; c++) {
    const n = Math.round(Math.sqrt(g.prefs[c].length));
    const d1 = new Float64Array(n), d2 = new Float64Array(n);
    let kl1 = 0, kl2 = 0;
    const walk = (h: number, x: number, p1: number, p2: number, k1: number, k2: number) => {
      if (h === H) {
        d1[g.endClass[c][x]] += p1;
        d2[g.endClass[c][x]] += p2;
        kl1 += p1 * k1;
        kl2 += p2 * k2;
        return;
      }
      let s1 = 0, s2 = 0;
      for (let y = 0; y < A; y++) {
        const a = pi[h][x * A + y], b = pi2[h][x * A + y], m = mu[h][x * A + y];
        if (a > 0) s1 += a * Math.log(a / m);
        if (b > 0) s2 += b * Math.log(b / m);
      }
      for (let y = 0; y < A; y++) for (let k = 0; k < K; k++) {
        const i = (x * A + y) * K + k, q = g.probs[c][h][i];
        if (q === 0) continue;
        walk(h + 1, g.next[h][i], p1 * pi[h][x * A + y] * q, p2 * pi2[h][x * A + y] * q, k1 + s1, k2 + s2);
      }
    };
    for (let x = 0; x < g.states[0]; x++) if (g.initial[c][x] > 0) walk(0, x, g.initial[c][x], g.initial[c][x], 0, 0);
    let p = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) p += d1[i] * d2[j] * g.prefs[c][i * n + j];
    total += g.contexts[c] * (p - beta * kl1 + beta * kl2);
  }
  return total;
}

/** A random full-support layered policy (deterministic). */
function randomPolicy(g: ContextualMdp, seed: number): Float64Array[] {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return g.states.slice(0, g.horizon).map((S) => {
    const p = new Float64Array(S * g.actions);
    for (let x = 0; x < S; x++) {
      let z = 0;
      for (let y = 0; y < g.actions; y++) z += p[x * g.actions + y] = 0.05 + u();
      for (let y = 0; y < g.actions; y++) p[x * g.actions + y] /= z;
    }
    return p;
  });
}

describe("MTPO with contexts (tabular)", () => {
  it("one context: the same iterates and exploitability as the engine's mtpo()", () => {
    const tree = G.treeEnvironment({ seed: 3 });
    const { game, offsets } = visible([tree], [1]);
    checkContextualMdp(game);
    for (const variant of ["mtpo", "mtpo-tau"] as const) {
      const ours = contextualMtpo(game, { beta: 0.1, refPolicy: tree.refPolicy, iters: 25, variant, logEvery: 25 });
      const eng = G.mtpo(tree.env, tree.pref, { beta: 0.1, refPolicy: tree.refPolicy, iters: 25, variant, logEvery: 25 });
      const pol = slice(ours.policy, tree, offsets[0], 3);
      for (let h = 0; h < 3; h++) expect(maxDiff(pol[h], eng.policy[h])).toBeLessThan(1e-9);
      expect(Math.abs(ours.exploitability[1] - eng.exploitability[1])).toBeLessThan(1e-9);
    }
    tree.pref.dispose();
  });

  it("visible contexts: each context's game is solved independently (= mtpo() per context), E_β = Σ_c ρ(c)·E_β,c", () => {
    const trees = [G.treeEnvironment({ seed: 5, horizon: 2 }), G.treeEnvironment({ seed: 6, horizon: 2 }), G.treeEnvironment({ seed: 7, horizon: 2 })];
    const rho = [0.5, 0.3, 0.2];
    const { game, offsets } = visible(trees, rho);
    const mu = trees[0].refPolicy.map((_, h) => {
      const out = new Float64Array(game.states[h] * 3);
      trees.forEach((t, c) => out.set(t.refPolicy[h], offsets[c][h] * 3));
      return out;
    });
    const run = contextualMtpo(game, { beta: 0.2, refPolicy: mu, iters: 15, logEvery: 15 });
    let e = 0;
    trees.forEach((t, c) => {
      const eng = G.mtpo(t.env, t.pref, { beta: 0.2, refPolicy: t.refPolicy, iters: 15, logEvery: 15 });
      const pol = slice(run.policy, t, offsets[c], 3);
      for (let h = 0; h < 2; h++) expect(maxDiff(pol[h], eng.policy[h])).toBeLessThan(1e-9);
      e += rho[c] * eng.exploitability[1];
    });
    expect(Math.abs(run.exploitability[1] - e)).toBeLessThan(1e-9);
    trees.forEach((t) => t.pref.dispose());
  });

  it("hidden contexts (dialogue world): the value by backward induction per context equals a brute-force enumeration", () => {
    const env = new EducationDialogueEnv({ styles: 2, levels: 2, turns: 2 });
    const { game } = dialogueGame(env);
    checkContextualMdp(game);
    expect(game.contexts.length).toBe(4);
    // Different contexts share the teacher's states: the type is hidden.
    expect(game.initial[0][0] > 0 && game.initial[2][0] > 0).toBe(true);
    const mu = randomPolicy(game, 11);
    for (const [a, b] of [[1, 2], [3, 4], [5, 5]]) {
      const pi = randomPolicy(game, a), pi2 = randomPolicy(game, b);
      const beta = 0.07;
      const v = contextualValue(game, pi, pi2, { beta, refPolicy: mu });
      expect(Math.abs(v - bruteValue(game, pi, pi2, mu, beta))).toBeLessThan(1e-12);
      // Antisymmetry of the regularised game: P_β(π ≻ π′) + P_β(π′ ≻ π) = 1.
      expect(Math.abs(v + contextualValue(game, pi2, pi, { beta, refPolicy: mu }) - 1)).toBeLessThan(1e-12);
      // The exploitability bounds every policy's regularised win rate against π.
      const e = contextualExploitability(game, pi2, { beta, refPolicy: mu });
      expect(v - 0.5).toBeLessThanOrEqual(e + 1e-12);
    }
    // KL_p by the same enumeration: P_β(μ ≻ π) − P_0(μ ≻ π) = β·KL_p(π‖μ).
    const pi = randomPolicy(game, 9);
    const kl = contextualKl(game, pi, mu);
    expect(Math.abs(bruteValue(game, mu, pi, mu, 0.3) - bruteValue(game, mu, pi, mu, 0) - 0.3 * kl)).toBeLessThan(1e-12);
  });

  it("hidden contexts: E_β(π_t) → 0 for MTPO and MTPO-τ (exact oracle), and the limit is a regularised best response to itself", () => {
    const env = new EducationDialogueEnv({ styles: 2, levels: 2, turns: 3 });
    const { game } = dialogueGame(env);
    expect(game.states).toEqual([2, 40, 800, 16000]);
    const beta = 0.1;
    for (const variant of ["mtpo", "mtpo-tau"] as const) {
      const run = contextualMtpo(game, { beta, iters: 300, variant, logEvery: 100 });
      const e = Array.from(run.exploitability);
      expect(e[0]).toBeGreaterThan(1e-3); // μ (uniform) is exploitable
      for (let i = 1; i < e.length; i++) expect(e[i]).toBeLessThan(e[i - 1]);
      expect(e.at(-1)!).toBeLessThan(variant === "mtpo" ? 1e-5 : 1e-4);
      expect(e.at(-1)!).toBeGreaterThanOrEqual(-1e-12);
      // π* beats μ (regularised), by at most the KL bound.
      const uniform = game.states.slice(0, 3).map((S) => new Float64Array(S * game.actions).fill(1 / game.actions));
      const v = contextualValue(game, run.policy, uniform, { beta });
      expect(v).toBeGreaterThan(0.5);
    }
  });

  it("rejects malformed games and options with typed errors", () => {
    const env = new EducationDialogueEnv({ styles: 2, levels: 1, turns: 1 });
    const { game } = dialogueGame(env);
    expect(() => checkContextualMdp({ ...game, contexts: Float64Array.of(0.5, 0.4, 0.1) })).toThrow(ShapeError);
    expect(() => checkContextualMdp({ ...game, contexts: Float64Array.of(0.6, 0.6) })).toThrow(ValueError);
    const next = game.next.map((a) => a.slice());
    next[0][1] = next[0][0];
    expect(() => checkContextualMdp({ ...game, next })).toThrow(/two parents/);
    expect(() => contextualMtpo(game, { beta: 0.1, itres: 3 } as never)).toThrow(/iters/);
    expect(() => contextualMtpo(game, { beta: -1 })).toThrow(ValueError);
  });
});
