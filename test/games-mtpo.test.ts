// MTPO on layered MDPs (Shani et al. 2024, "Multi-turn reinforcement learning from preference
// human feedback": Theorem 4.2, Lemmas 3.1 and B.5).
import { describe, it, expect, beforeAll } from "vitest";
import { maxAbsDiff } from "./core/assert.js";
import { init, ValueError, ShapeError, EngineStateError } from "../sdk/index.js";
import * as G from "../sdk/games/index.js";

beforeAll(async () => {
  await init();
});

/** Largest |a_i − b_i|; fails on a length mismatch, NaN propagates. */
const maxDiff = maxAbsDiff;

describe("MTPO", () => {
  it("one turn with deterministic outcomes reduces to the matrix game: same E_β, and MTPO-τ = Nash-MD", () => {
    const { env, refPolicy } = G.treeEnvironment({ horizon: 1, actions: 6, outcomes: 1, seed: 4 });
    const pref = G.skewLogit(6, { seed: 8, sigma: 2 });
    const beta = 0.1;
    const run = G.mtpo(env, pref, { beta, refPolicy, iters: 30, variant: "mtpo-tau", logEvery: 30 });
    const md = G.nashMD(pref, { beta, refPolicy: refPolicy[0], iters: 30, logEvery: 30, equilibrium: null });
    expect(maxDiff(run.policy[0], md.policy)).toBeLessThan(1e-12);
    expect(Math.abs(run.exploitability[1] - md.metrics.exploitability[1])).toBeLessThan(1e-12);
    const pol = [Float64Array.from([0.3, 0.1, 0.1, 0.2, 0.2, 0.1])];
    const e = G.mtpoExploitability(env, pref, pol, { beta, refPolicy });
    expect(Math.abs(e - G.gameMetrics(pref, pol[0], { beta, refPolicy: refPolicy[0] }).exploitability)).toBeLessThan(1e-13);
  });

  it("tree with 216 end states: E_β(π_t) → 0 for β ∈ {0.05, 0.2}; KL_p bounds of Thm 4.2 and Lemma B.5 hold", () => {
    const { env, refPolicy, pref } = G.treeEnvironment({ seed: 1 });
    expect(env.states).toEqual([1, 6, 36, 216]);
    const H = env.horizon;
    let muMin = Infinity;
    for (const m of refPolicy) for (const v of m) muMin = Math.min(muMin, v);
    for (const beta of [0.05, 0.2]) {
      // ground truth: MTPO run long (its exploitability is then at rounding level)
      const star = G.mtpo(env, pref, { beta, refPolicy, iters: 1000, logEvery: 0 }).policy;
      expect(G.mtpoExploitability(env, pref, star, { beta, refPolicy })).toBeLessThan(1e-11);
      expect(G.trajectoryKl(env, star, refPolicy)).toBeLessThanOrEqual(1 / (2 * beta));
      for (const variant of ["mtpo", "mtpo-tau"] as const) {
        const run = G.mtpo(env, pref, { beta, refPolicy, iters: 100, variant, equilibrium: star });
        const E = run.exploitability, K = run.kl;
        for (const e of E) expect(e).toBeGreaterThanOrEqual(-1e-14);
        expect(E[100]).toBeLessThan(variant === "mtpo" ? 1e-7 : 1e-5);
        expect(E[100]).toBeLessThan(1e-3 * E[0]);
        const c = 32 * H * Math.max(1 / beta ** 2, H * H * Math.log(muMin) ** 2);
        for (let t = 0; t < K.length; t++) expect(K[t]).toBeLessThanOrEqual(c / (t + 1));
        expect(K[100]).toBeLessThan(1e-3 * K[0]);
        // the engine's KL_p column against the plain-JS trajectory KL
        expect(Math.abs(K[100] - G.trajectoryKl(env, star, run.policy))).toBeLessThan(1e-14 + 1e-9 * K[100]);
        expect(Math.abs(E[100] - G.mtpoExploitability(env, pref, run.policy, { beta, refPolicy }))).toBeLessThan(1e-15);
      }
    }
  });

  it("exploitability is ≥ 0 for arbitrary policies and 0 only at the equilibrium", () => {
    const { env, refPolicy, pref } = G.treeEnvironment({ horizon: 2, actions: 2, outcomes: 3, seed: 3 });
    const rng = new (class { s = 7; next() { this.s = (this.s * 16807) % 2147483647; return this.s / 2147483647; } })();
    for (let k = 0; k < 20; k++) {
      const pol = env.states.slice(0, env.horizon).map((S) => {
        const p = new Float64Array(S * 2);
        for (let x = 0; x < S; x++) { const a = rng.next(); p[2 * x] = a; p[2 * x + 1] = 1 - a; }
        return p;
      });
      expect(G.mtpoExploitability(env, pref, pol, { beta: 0.1, refPolicy })).toBeGreaterThan(0);
    }
  });

  it("bad input", () => {
    const { env, refPolicy, pref } = G.treeEnvironment({ horizon: 2, actions: 2, outcomes: 2, seed: 3 });
    expect(() => G.mtpo(env, pref, { beta: 0 })).toThrow(/beta must be a finite number > 0/);
    expect(() => G.mtpo(env, pref, {})).toThrow(/beta must be a finite number > 0/);
    expect(() => G.mtpo(env, G.rps(), { beta: 0.1 })).toThrow(ShapeError);
    const bad = { ...env, transitions: env.transitions.map((t) => t.map((v) => v * 2)) };
    expect(() => G.mtpo(bad, pref, { beta: 0.1 })).toThrow(/sums to 2/);
    const mu0 = refPolicy.map((m) => m.slice());
    mu0[1][0] = 0;
    mu0[1][1] = 1;
    expect(() => G.mtpo(env, pref, { beta: 0.1, refPolicy: mu0 })).toThrow(ValueError);
    expect(() => G.mtpo(env, pref, { beta: 0.1, refPolicy: mu0 })).toThrow(/refPolicy\[1\]\[0, 0\] = 0/);
    expect(() => G.mtpo(env, pref, { beta: 0.1, variant: "x" as never })).toThrow(/variant must be one of/);
    // a disposed preference game is refused before any engine work
    const gone = G.treeEnvironment({ horizon: 1, actions: 2, outcomes: 2, seed: 5 });
    gone.pref.dispose();
    expect(() => G.mtpo(gone.env, gone.pref, { beta: 0.1 })).toThrow(EngineStateError);
    expect(() => G.mtpoExploitability(gone.env, gone.pref, gone.refPolicy, { beta: 0.1 })).toThrow(EngineStateError);
  });
});
