// Exact tabular solvers: closed forms, golden numbers (reproduced by an independent numpy
// implementation), the papers' bounds — Munos et al. 2024 (Nash-MD, Theorem 1), Tiapkin et al.
// 2025 (Nash Mirror Prox, linear rate), Calandriello et al. 2024 (online IPO, IPO-MD) — and bad
// input.
import { describe, it, expect, beforeAll } from "vitest";
import { maxAbsDiff } from "./core/assert.js";
import { init, ValueError, ShapeError, EngineStateError, Matrix } from "../sdk/index.js";
import * as G from "../sdk/games/index.js";

const sigmoid = (s: number) => 1 / (1 + Math.exp(-s));
const uniform = (n: number) => new Float64Array(n).fill(1 / n);
const kl = (p: ArrayLike<number>, q: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) s += p[i] * Math.log(p[i] / q[i]);
  return s;
};
/** Largest |a_i − b_i|; fails on a length mismatch, NaN propagates. */
const maxDiff = maxAbsDiff;
/** Dense reference P·x in plain JS. */
function naiveApply(P: Matrix, x: ArrayLike<number>): Float64Array {
  const n = P.rows, out = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i] += P.data[i * n + j] * x[j];
  return out;
}
/** E_β(π) straight from its definition max_π′ J_β(π′, π) − ½, in plain JS. */
function exploitabilityRef(P: Matrix, pi: ArrayLike<number>, mu: ArrayLike<number>, beta: number): number {
  const g = naiveApply(P, pi);
  let m = -Infinity;
  for (let i = 0; i < g.length; i++) m = Math.max(m, g[i] / beta);
  let z = 0;
  for (let i = 0; i < g.length; i++) z += mu[i] * Math.exp(g[i] / beta - m);
  return beta * (m + Math.log(z)) + beta * kl(pi, mu) - 0.5;
}

beforeAll(async () => {
  await init();
});

describe("preference operators", () => {
  it("dense P·x (upper-triangle kernel) matches the naive product for odd and even n", () => {
    for (const n of [1, 2, 3, 4, 5, 7, 16, 33, 100]) {
      const g = G.uTriangle(n, { seed: n });
      const P = g.toMatrix();
      const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 1.7) + 0.3);
      expect(maxDiff(g.apply(x), naiveApply(P, x))).toBeLessThan(1e-13 * n);
      g.dispose();
    }
  });

  it("low-rank skew P·x matches its dense form, and solvers agree on both paths", () => {
    for (const [n, r] of [[7, 1], [30, 2], [50, 3], [64, 8], [40, 5], [301, 8], [259, 3]]) {
      const lr = G.lowRankSkew(n, r, { seed: 3 });
      const P = lr.toMatrix();
      let worst = 0, lo = 1, hi = 0;
      for (let i = 0; i < n; i++) {
        expect(P.data[i * n + i]).toBe(0.5);
        for (let j = 0; j < n; j++) {
          worst = Math.max(worst, Math.abs(P.data[i * n + j] + P.data[j * n + i] - 1));
          lo = Math.min(lo, P.data[i * n + j]);
          hi = Math.max(hi, P.data[i * n + j]);
        }
      }
      expect(worst).toBeLessThan(1e-15);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      const dense = G.PreferenceGame.fromMatrix(P);
      const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i) + 1.1);
      expect(maxDiff(lr.apply(x), naiveApply(P, x))).toBeLessThan(2e-15 * n);
      const a = G.nashMirrorProx(lr, { beta: 0.1, iters: 20, equilibrium: null });
      const b = G.nashMirrorProx(dense, { beta: 0.1, iters: 20, equilibrium: null });
      expect(maxDiff(a.logPolicy, b.logPolicy)).toBeLessThan(1e-11);
      lr.dispose();
      dense.dispose();
    }
  });

  it("PreferenceGame.lowRank(U, V) equals ½ + UVᵀ − VUᵀ entry by entry", () => {
    const U = [[0.1, -0.2], [0.3, 0.05], [-0.2, 0.1], [0.0, 0.25]];
    const V = [[0.2, 0.1], [-0.1, 0.3], [0.15, -0.05], [0.3, 0.0]];
    const g = G.PreferenceGame.lowRank(U, V);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        let s = 0.5;
        for (let k = 0; k < 2; k++) s += U[i][k] * V[j][k] - V[i][k] * U[j][k];
        expect(g.prob(i, j)).toBeCloseTo(s, 15);
      }
    }
  });

  it("generators: RPS, dice (5/9 edges), Bradley–Terry", () => {
    expect(G.dice().toMatrix().toArray()).toEqual([[0.5, 5 / 9, 4 / 9], [4 / 9, 0.5, 5 / 9], [5 / 9, 4 / 9, 0.5]]);
    const bt = G.bradleyTerry([0, 1, -2]);
    expect(bt.prob(1, 2)).toBeCloseTo(sigmoid(3), 15);
    expect(G.rps().prob(0, 2)).toBe(1); // rock beats scissors
  });
});

describe("two-action closed form: π* = softmax(log μ + P·π*/β)", () => {
  const game = () => G.PreferenceGame.fromMatrix([[0.5, 0.7], [0.3, 0.5]]);
  for (const [beta, pi1, ebMu] of [[1, 0.549834, 0.004992], [0.1, 0.880797, 0.043378]]) {
    it(`β = ${beta}: π*₁ = σ(0.2/β), E_β(μ) = ${ebMu}`, () => {
      const g = game();
      const s = G.solveNash(g, { beta });
      expect(Math.abs(s.policy[0] - sigmoid(0.2 / beta))).toBeLessThan(1e-9);
      expect(Math.abs(s.policy[0] - pi1)).toBeLessThan(1e-6);
      const m = G.gameMetrics(g, [0.5, 0.5], { beta, equilibrium: s.policy });
      // closed form: β·log(½e^{0.6/β} + ½e^{0.4/β}) − ½
      expect(Math.abs(m.exploitability - (beta * Math.log(0.5 * Math.exp(0.6 / beta) + 0.5 * Math.exp(0.4 / beta)) - 0.5))).toBeLessThan(1e-9);
      expect(Math.abs(m.exploitability - ebMu)).toBeLessThan(1e-6);
      expect(m.gap).toBeCloseTo(2 * m.exploitability, 14);
      // offline IPO at any behaviour policy ν = best response to ν = the online answer
      for (const nu of [[0.5, 0.5], [0.9, 0.1], [0.05, 0.95]]) {
        expect(Math.abs(G.bestResponse(g, nu, { beta })[0] - s.policy[0])).toBeLessThan(1e-12);
      }
      const ipo = G.onlineIpo(g, { beta, iters: 3000, logEvery: 0 });
      expect(Math.abs(ipo.policy[0] - s.policy[0])).toBeLessThan(1e-9);
    });
  }
});

describe("intransitive cycles (rock-paper-scissors, dice; the three-type game of Munos et al. 2024)", () => {
  for (const [name, make] of [["rps", G.rps], ["dice", G.dice]] as const) {
    it(`${name}: π* is uniform for uniform μ and any β; E_β(uniform) = 0`, () => {
      const g = make();
      for (const beta of [0.001, 0.01, 0.1, 1, 10]) {
        const s = G.solveNash(g, { beta });
        expect(maxDiff(s.policy, uniform(3))).toBeLessThan(1e-9);
        const m = G.gameMetrics(g, uniform(3), { beta, equilibrium: s.policy });
        expect(Math.abs(m.exploitability)).toBeLessThan(1e-12);
        expect(Math.abs(m.exploitability0)).toBeLessThan(1e-12);
      }
    });
  }

  it("three-type ε-game: π* ≈ (0.3843, 0.3823, 0.2333) at β = 1e-3 and → the unregularised Nash; a Bradley–Terry fit prefers y0", () => {
    const g = G.threeType(0.1);
    const s = G.solveNash(g, { beta: 1e-3, tol: 1e-12 });
    expect(maxDiff(s.policy, [0.3843, 0.3823, 0.2333])).toBeLessThan(1e-4);
    const s2 = G.solveNash(g, { beta: 1e-5, tol: 1e-11, maxIter: 5_000_000 });
    expect(maxDiff(s2.policy, [1 / 3 + 0.05, 1 / 3 + 0.05, 1 / 3 - 0.1])).toBeLessThan(2e-4);
    // the reward-model route: BT fit then μ·e^{r/β}, concentrates on y0 as β → 0
    const r = G.fitBradleyTerry(g);
    expect(r[0]).toBeGreaterThan(r[1]);
    expect(r[0]).toBeGreaterThan(r[2]);
    const rl = G.rlhfPolicy(r, { beta: 1e-3 });
    expect(rl[0]).toBeGreaterThan(0.999);
    // and it is far more exploitable in the preference game than the Nash policy
    const e = (p: Float64Array) => G.gameMetrics(g, p.map((x) => Math.max(x, 1e-300)), { beta: 1e-3 }).exploitability0;
    expect(e(rl)).toBeGreaterThan(0.05);
    expect(e(s.policy)).toBeLessThan(1e-3 * Math.log(3) + 1e-9); // E_0(π*_β) ≤ β·log n
  });
});

describe("deterministic sine game (golden numbers)", () => {
  const golden = {
    0.1: { pi: [0.251803, 0.118637, 0.254203, 0.116163, 0.259194], klMu: 0.061086, ebMu: 0.014905, e0: 0.019817 },
    0.01: { pi: [0.297585, 0.103489, 0.139206, 0.117952, 0.341768], klMu: 0.120469, ebMu: 0.076888, e0: 0.004153 },
  } as const;
  for (const [b, gold] of Object.entries(golden)) {
    const beta = Number(b);
    it(`β = ${beta}`, () => {
      const g = G.sineGame();
      const s = G.solveNash(g, { beta });
      expect(maxDiff(s.policy, gold.pi)).toBeLessThan(1e-6);
      expect(Math.abs(kl(s.policy, uniform(5)) - gold.klMu)).toBeLessThan(1e-6);
      const m = G.gameMetrics(g, uniform(5), { beta, equilibrium: s.policy });
      expect(Math.abs(m.exploitability - gold.ebMu)).toBeLessThan(1e-6);
      expect(Math.abs(m.exploitability - exploitabilityRef(g.toMatrix(), uniform(5), uniform(5), beta))).toBeLessThan(1e-13);
      expect(Math.abs(m.kl - gold.klMu)).toBeLessThan(1e-6);
      const ms = G.gameMetrics(g, s.policy, { beta, equilibrium: s.policy });
      expect(Math.abs(ms.exploitability0 - gold.e0)).toBeLessThan(1e-6);
      expect(Math.abs(ms.exploitability)).toBeLessThan(1e-12);
      expect(ms.kl).toBeLessThan(1e-15);
      // KL(π*_β‖μ) ≤ 1/(2β) (Shani et al. 2024, Lemma B.5) and E_0(π*_β) ≤ β·log(1/μ_min)
      expect(kl(s.policy, uniform(5))).toBeLessThanOrEqual(1 / (2 * beta));
      expect(ms.exploitability0).toBeLessThanOrEqual(beta * Math.log(5));
    });
  }

  it("Nash-MP (η = 2, from μ, β = 0.1): KL at k = 1, 5, 10 = 4.0004e-2, 7.6369e-3, 1.0059e-3", () => {
    const g = G.sineGame();
    const run = G.nashMirrorProx(g, { beta: 0.1, iters: 10 });
    expect(run.metrics.kl[0]).toBeCloseTo(0.061086, 6);
    expect(Math.abs(run.metrics.kl[1] / 4.0004e-2 - 1)).toBeLessThan(1e-4);
    expect(Math.abs(run.metrics.kl[5] / 7.6369e-3 - 1)).toBeLessThan(1e-4);
    expect(Math.abs(run.metrics.kl[10] / 1.0059e-3 - 1)).toBeLessThan(1e-4);
    expect(Array.from(run.metrics.queries)).toEqual(Array.from({ length: 11 }, (_, k) => 2 * k));
  });

  it("μ ∝ (1, 2, 3, 4, 5), β = 0.1: π* golden", () => {
    const refPolicy = [1, 2, 3, 4, 5].map((x) => x / 15);
    const s = G.solveNash(G.sineGame(), { beta: 0.1, refPolicy });
    expect(maxDiff(s.policy, [0.192182, 0.055355, 0.291264, 0.201138, 0.260062])).toBeLessThan(1e-6);
  });

  it("every logged metric matches its plain-JS definition", () => {
    const g = G.skewLogit(12, { seed: 5, sigma: 2 });
    const P = g.toMatrix();
    const mu = Float64Array.from({ length: 12 }, (_, i) => i + 1);
    const z = mu.reduce((a, b) => a + b);
    mu.forEach((v, i) => (mu[i] = v / z));
    const beta = 0.05;
    const run = G.nashMD(g, { beta, refPolicy: mu, iters: 7, logEvery: 7 });
    const pi = run.policy, star = run.equilibrium!;
    const m = G.gameMetrics(g, pi, { beta, refPolicy: mu, equilibrium: star });
    const gpi = naiveApply(P, pi), gmu = naiveApply(P, mu);
    expect(m.kl).toBeCloseTo(kl(star, pi), 13);
    expect(m.exploitability).toBeCloseTo(exploitabilityRef(P, pi, mu, beta), 13);
    expect(m.exploitability0).toBeCloseTo(Math.max(...gpi) - 0.5, 14);
    const d = Array.from(pi, (p, i) => Math.log(p) - Math.log(star[i]));
    expect(m.span).toBeCloseTo(Math.max(...d) - Math.min(...d), 12);
    expect(m.winRate).toBeCloseTo(pi.reduce((s, p, i) => s + p * gmu[i], 0), 14);
    // duality gap from its definition: max_π′ J_β(π′, π) − min_π′ J_β(π, π′), the min in closed
    // form −β·KL(π‖μ) − β·log Σ μ·e^{−(Pᵀπ)/β}
    const Pt = P.transpose();
    const gt = naiveApply(Pt, pi);
    const klpm = kl(pi, mu);
    const lseNeg = Math.log(gt.reduce((s, v, i) => s + mu[i] * Math.exp(-v / beta), 0));
    const minJ = -beta * klpm - beta * lseNeg;
    const maxJ = exploitabilityRef(P, pi, mu, beta) + 0.5;
    expect(m.gap).toBeCloseTo(maxJ - minJ, 12);
    // the run's last row is the same iterate
    expect(run.metrics.kl[1]).toBeCloseTo(m.kl, 14);
    expect(run.metrics.exploitability[1]).toBeCloseTo(m.exploitability, 14);
  });
});

describe("Nash-MP contraction on random games (Tiapkin et al. 2025)", () => {
  it("KL_{k+1} ≤ KL_k/(1+ηβ) and KL_k ≤ (1+ηβ)^(−k)/(2β); E_β and the span seminorm decay geometrically", () => {
    let checked = 0;
    for (const gen of ["u-triangle", "skew-logit"] as const) {
      for (const n of [10, 100]) {
        const g = G.generate(gen, { n, seed: n + 1 });
        for (const beta of [0.01, 0.1, 1]) {
          const star = G.solveNash(g, { beta }).policy;
          for (const eta of [0.5, 1, 2]) {
            const iters = Math.min(300, Math.ceil(Math.log(1e12) / Math.log(1 + eta * beta)));
            const run = G.nashMirrorProx(g, { beta, eta, iters, equilibrium: star });
            const K = run.metrics.kl, E = run.metrics.exploitability;
            const c = 1 + eta * beta;
            for (let k = 0; k + 1 < K.length; k++) {
              expect(K[k + 1]).toBeLessThanOrEqual(K[k] / c + 1e-12);
              expect(K[k]).toBeLessThanOrEqual(Math.pow(c, -k) / (2 * beta) + 1e-12);
              checked++;
            }
            // slopes of log E_β and of log span(ℓ_k − ℓ*) against k, where they are ≫ rounding
            for (const [series, floor] of [[E, 1e-11], [run.metrics.span, 1e-8]] as const) {
              const ks: number[] = [], ys: number[] = [];
              for (let k = 0; k < series.length; k++) if (series[k] > floor) ks.push(k), ys.push(Math.log(series[k]));
              if (ks.length >= 5) {
                const mk = ks.reduce((a, b) => a + b) / ks.length, my = ys.reduce((a, b) => a + b) / ys.length;
                let sxy = 0, sxx = 0;
                for (let i = 0; i < ks.length; i++) sxy += (ks[i] - mk) * (ys[i] - my), sxx += (ks[i] - mk) ** 2;
                expect(sxy / sxx).toBeLessThan(-0.5 * Math.log(c));
              }
            }
          }
        }
        g.dispose();
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });
});

describe("Nash-MD (Munos et al. 2024, Theorem 1 and its step schedule)", () => {
  it("schedule η_t = 2/(β(t+2)): KL(π*‖π_T) ≤ 8/(β²(T+1)) for T ≤ 2000; sine game β = 0.1, T = 100: KL ≈ 1.72e-5", () => {
    for (const [g, beta] of [[G.sineGame(), 0.1], [G.sineGame(), 0.01], [G.skewLogit(20, { seed: 2 }), 0.05], [G.uTriangle(50, { seed: 4 }), 0.3]] as const) {
      const run = G.nashMD(g, { beta, iters: 2000 });
      const K = run.metrics.kl;
      for (let T = 0; T < K.length; T++) expect(K[T]).toBeLessThanOrEqual(8 / (beta * beta * (T + 1)));
    }
    const run = G.nashMD(G.sineGame(), { beta: 0.1, iters: 100, logEvery: 100 });
    expect(Math.abs(run.metrics.kl[1] / 1.72e-5 - 1)).toBeLessThan(5e-3);
    // the first step (η_0·β = 1) is the best response to μ
    const one = G.nashMD(G.sineGame(), { beta: 0.1, iters: 1, equilibrium: null });
    expect(maxDiff(one.policy, G.bestResponse(G.sineGame(), uniform(5), { beta: 0.1 }))).toBeLessThan(1e-14);
  });

  it("one-step inequality KL_{t+1} ≤ (1 − η_tβ)·KL_t + 2η_t² along the schedule", () => {
    const g = G.skewLogit(30, { seed: 9 }), beta = 0.1;
    const K = G.nashMD(g, { beta, iters: 500 }).metrics.kl;
    for (let t = 0; t + 1 < K.length; t++) {
      const et = 2 / (beta * (t + 2));
      expect(K[t + 1]).toBeLessThanOrEqual((1 - et * beta) * K[t] + 2 * et * et + 1e-12);
    }
  });

  it("constant step: converges to a biased fixed point π̄ ≠ π*, with KL(π*‖π̄) > 1e-6 growing with η", () => {
    const g = G.skewLogit(20, { seed: 1, sigma: 2 }), beta = 0.05; // measured bias 1.4e-6, 3.5e-5, 1.4e-4
    const star = G.solveNash(g, { beta }).policy;
    const P = g.toMatrix();
    const bias: number[] = [];
    for (const eta of [0.1, 0.5, 1]) {
      const run = G.nashMD(g, { beta, eta, iters: 20000, logEvery: 20000, equilibrium: star });
      const pbar = run.policy;
      // π̄ solves its own fixed-point equation π̄ = softmax(log μ + P·π̄^μ/β), π̄^μ ∝ π̄^{1−ηβ}μ^{ηβ}
      const w = eta * beta;
      const mix = Array.from(pbar, (p) => Math.pow(p, 1 - w) * Math.pow(1 / 20, w));
      const zm = mix.reduce((a, b) => a + b);
      const gm = naiveApply(P, mix.map((x) => x / zm));
      const fp = Array.from(gm, (x) => Math.exp(x / beta));
      const zf = fp.reduce((a, b) => a + b);
      expect(maxDiff(pbar, fp.map((x) => x / zf))).toBeLessThan(1e-10);
      bias.push(run.metrics.kl[1]);
    }
    expect(bias[0]).toBeGreaterThan(1e-6);
    expect(bias[1]).toBeGreaterThan(bias[0]);
    expect(bias[2]).toBeGreaterThan(bias[1]);
  });

  it("Nash-MP beats Nash-MD at equal query budgets N ≥ 100 on 40 random games", () => {
    let cases = 0;
    for (let s = 0; s < 10; s++) {
      const g = s % 2 === 0 ? G.uTriangle(10, { seed: 100 + s }) : G.skewLogit(10, { seed: 100 + s });
      for (const beta of [0.05, 0.1, 0.3, 1]) {
        const star = G.solveNash(g, { beta }).policy;
        const mp = G.nashMirrorProx(g, { beta, iters: 500, equilibrium: star }).metrics.kl;
        const md = G.nashMD(g, { beta, iters: 1000, equilibrium: star }).metrics.kl;
        for (const N of [100, 400, 1000]) {
          expect(mp[N / 2]).toBeLessThan(md[N]);
          cases++;
        }
      }
      g.dispose();
    }
    expect(cases).toBe(120);
  });
});

describe("IPO-MD and baselines", () => {
  it("IPO-MD(γ) stationary point: π ∝ μ·exp(P·q/β) with q ∝ π^{1−γ}μ^γ; two actions: π₁ = σ(2), q₁ = σ(1)", () => {
    const g2 = G.PreferenceGame.fromMatrix([[0.5, 0.7], [0.3, 0.5]]);
    const run = G.ipoMD(g2, { beta: 0.1, mixture: 0.5, iters: 5000, logEvery: 0, equilibrium: null });
    expect(Math.abs(run.policy[0] - sigmoid(2))).toBeLessThan(1e-9);
    const q = [Math.sqrt(run.policy[0] * 0.5), Math.sqrt(run.policy[1] * 0.5)];
    expect(Math.abs(q[0] / (q[0] + q[1]) - sigmoid(1))).toBeLessThan(1e-9);
    const g = G.skewLogit(8, { seed: 11 }), beta = 0.2, gamma = 0.25;
    const r = G.ipoMD(g, { beta, mixture: gamma, iters: 20000, logEvery: 0, equilibrium: null });
    const mix = Array.from(r.policy, (p) => Math.pow(p, 1 - gamma) * Math.pow(1 / 8, gamma));
    const zq = mix.reduce((a, b) => a + b);
    const gq = g.apply(mix.map((x) => x / zq));
    const fp = Array.from(gq, (x) => Math.exp(x / beta));
    const zf = fp.reduce((a, b) => a + b);
    expect(maxDiff(r.policy, fp.map((x) => x / zf))).toBeLessThan(1e-9);
    // γ = 0 is online IPO and reaches π*_β
    const r0 = G.ipoMD(g, { beta, mixture: 0, iters: 20000, logEvery: 20000 });
    expect(r0.metrics.kl[1]).toBeLessThan(1e-12);
  });

  it("online IPO (exact) converges to π*_β with one query per iteration", () => {
    const g = G.skewLogit(20, { seed: 6 });
    const run = G.onlineIpo(g, { beta: 0.1, iters: 8000, logEvery: 8000 });
    expect(run.metrics.kl[1]).toBeLessThan(1e-10);
    expect(run.metrics.queries[1]).toBe(8000);
  });

  it("on RPS, extragradient's last iterate reaches the unregularised Nash; multiplicative weights' does not", () => {
    const g = G.rps();
    const init = [0.6, 0.3, 0.1];
    const eg = G.extragradient(g, { beta: 0.1, eta: 1, iters: 2000, init, logEvery: 2000, equilibrium: null });
    expect(eg.metrics.exploitability0[1]).toBeLessThan(1e-6);
    const mw = G.multiplicativeWeights(g, { beta: 0.1, eta: 0.1, iters: 2000, init, logEvery: 100, equilibrium: null });
    expect(Math.min(...mw.metrics.exploitability0)).toBeGreaterThan(0.05);
  });
});

describe("determinism", () => {
  it("same seed → bit-identical games and iterates", () => {
    const a = G.skewLogit(40, { seed: 7 }), b = G.skewLogit(40, { seed: 7 }), c = G.skewLogit(40, { seed: 8 });
    expect(a.toMatrix().data).toEqual(b.toMatrix().data);
    expect(maxDiff(a.toMatrix().data, c.toMatrix().data)).toBeGreaterThan(0);
    const ra = G.nashMirrorProx(a, { beta: 0.1, iters: 30 }), rb = G.nashMirrorProx(b, { beta: 0.1, iters: 30 });
    expect(new Uint8Array(ra.logPolicy.buffer)).toEqual(new Uint8Array(rb.logPolicy.buffer));
    const la = G.lowRankSkew(1000, 4, { seed: 1 }), lb = G.lowRankSkew(1000, 4, { seed: 1 });
    expect(la.buf.toArray()).toEqual(lb.buf.toArray());
  });
});

describe("bad input", () => {
  it("an invalid preference matrix is rejected with a clear error", () => {
    expect(() => G.PreferenceGame.fromMatrix([[0.5, 0.7], [0.4, 0.5]])).toThrow(/P\[0, 1\] \+ P\[1, 0\] = 1\.1/);
    expect(() => G.PreferenceGame.fromMatrix([[0.5, 1.2], [-0.2, 0.5]])).toThrow(ValueError);
    expect(() => G.PreferenceGame.fromMatrix([[0.4, 0.5], [0.5, 0.5]])).toThrow(/P\[0, 0\]/);
    expect(() => G.PreferenceGame.fromMatrix([[0.5, NaN], [0.5, 0.5]])).toThrow(/finite/);
    expect(() => G.PreferenceGame.fromMatrix([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]])).toThrow(ShapeError);
    expect(() => G.PreferenceGame.lowRank([[1, 0], [0, 1], [1, 1]], [[0, 1], [1, 0], [-1, 1]])).toThrow(/outside \[0, 1\]/);
  });

  it("β ≤ 0 and steps outside the stable range are rejected", () => {
    const g = G.rps();
    for (const beta of [0, -1, NaN, Infinity]) {
      expect(() => G.nashMirrorProx(g, { beta })).toThrow(/beta must be a finite number > 0/);
      expect(() => G.solveNash(g, { beta })).toThrow(ValueError);
    }
    expect(() => G.nashMirrorProx(g, { beta: 0.1, eta: 2.5 })).toThrow(/eta must be in \(0, 2\]/);
    expect(() => G.nashMD(g, { beta: 0.1, eta: 11 })).toThrow(/eta must be in \(0, 10\]/);
    expect(() => G.onlineIpo(g, { beta: 0.1, eta: 4 })).toThrow(/eta must be in/);
    expect(() => G.extragradient(g, { beta: 0.1, eta: 0 })).toThrow(/eta must be in/);
    expect(() => G.ipoMD(g, { beta: 0.1, mixture: 1.5 })).toThrow(/mixture must be a probability/);
  });

  it("bad policies: zero in μ, wrong length, not summing to 1", () => {
    const g = G.rps();
    expect(() => G.nashMD(g, { beta: 0.1, refPolicy: [0.5, 0.5, 0] })).toThrow(/refPolicy\[2\] = 0/);
    expect(() => G.nashMD(g, { beta: 0.1, refPolicy: [0.5, 0.5] })).toThrow(ShapeError);
    expect(() => G.nashMD(g, { beta: 0.1, init: [0.5, 0.6, 0.1] })).toThrow(/init must sum to 1/);
    // A pure opponent is a valid policy: BR_β(e₀) ∝ exp(P[:, 0]/β) = exp([5, 10, 0]) with uniform μ.
    const br = G.bestResponse(g, [1, 0, 0], { beta: 0.1 });
    const z = Math.exp(5) + Math.exp(10) + 1;
    expect(maxDiff(br, [Math.exp(5) / z, Math.exp(10) / z, 1 / z])).toBeLessThan(1e-15);
    expect(() => G.nashMD(g, { beta: 0.1, iters: -1 })).toThrow(/iters/);
  });

  it("a disposed game cannot be used: every use raises EngineStateError", () => {
    const g = G.rps();
    expect(g.disposed).toBe(false);
    g.dispose();
    expect(g.disposed).toBe(true);
    g.dispose(); // a second dispose() is a no-op
    const uses: Array<[string, () => unknown]> = [
      ["nashMD", () => G.nashMD(g, { beta: 0.1 })],
      ["runSolver", () => G.runSolver("ipo-md", g, { beta: 0.1 })],
      ["solveNash", () => G.solveNash(g, { beta: 0.1 })],
      ["bestResponse", () => G.bestResponse(g, uniform(3), { beta: 0.1 })],
      ["gameMetrics", () => G.gameMetrics(g, uniform(3), { beta: 0.1 })],
      ["solveContextual", () => G.solveContextual("nash-mp", [g], { beta: 0.1 })],
      ["prob", () => g.prob(0, 1)],
      ["apply", () => g.apply(uniform(3))],
      ["winRate", () => g.winRate(uniform(3), uniform(3))],
      ["toMatrix", () => g.toMatrix()],
      ["fitBradleyTerry", () => G.fitBradleyTerry(g)],
      ["judgeFromGame", () => G.judgeFromGame(g)(0, 0, 1)],
    ];
    for (const [what, use] of uses) {
      let err: unknown = null;
      try {
        use();
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(EngineStateError);
      expect((err as Error).name, what).toBe("EngineStateError");
      expect((err as Error).message, what).toMatch(/PreferenceGame was disposed/);
    }
    // the same through `using`: the game is disposed when its block ends
    let kept: G.PreferenceGame;
    {
      using h = G.dice();
      kept = h;
      expect(h.prob(0, 1)).toBeCloseTo(5 / 9, 15);
    }
    expect(kept.disposed).toBe(true);
    expect(() => kept.prob(0, 1)).toThrow(EngineStateError);
  });
});

describe("contextual games and the mirror-step lemma", () => {
  it("per-context matrices: metrics are ρ-averages; the averaged Nash-MD bound holds", () => {
    const gs = [G.sineGame(), G.skewLogit(5, { seed: 1 }), G.uTriangle(5, { seed: 2 })];
    const weights = [0.5, 0.3, 0.2], beta = 0.1;
    const refPolicies = [[0.2, 0.2, 0.2, 0.2, 0.2], [0.1, 0.2, 0.3, 0.2, 0.2], [0.3, 0.3, 0.2, 0.1, 0.1]];
    const run = G.solveContextual("nash-md", gs, { beta, iters: 300, weights, refPolicies });
    for (let i = 0; i < 3; i++) {
      const own = G.nashMD(gs[i], { beta, iters: 300, refPolicy: refPolicies[i] });
      expect(maxDiff(run.runs[i].policy, own.policy)).toBe(0);
    }
    for (let t = 0; t < run.metrics.kl.length; t++) {
      const avg = weights.reduce((s, w, i) => s + w * run.runs[i].metrics.kl[t], 0);
      expect(run.metrics.kl[t]).toBeCloseTo(avg, 15);
      expect(run.metrics.kl[t]).toBeLessThanOrEqual(8 / (beta * beta * (t + 1)));
    }
    expect(run.metrics.queries[300]).toBe(900);
    expect(() => G.solveContextual("nash-md", gs, { beta, weights: [1, 1] })).toThrow(ShapeError);
    expect(() => G.solveContextual("nash-md", gs, { beta, refPolicies: refPolicies.slice(1) })).toThrow(/refPolicies must have one policy per context \(3\), got 2/);
    expect(() => G.solveContextual("nash-md", gs, { beta, refPolicies, refPolicy: refPolicies[0] })).toThrow(/refPolicy .* or refPolicies .*, not both/);
  });

  it("mirror-step lemma (Munos et al. 2024, Lemma 2): KL(π‖π⁺) ≤ KL(π‖π⁻) − ⟨π − π⁻, δ⟩ + 2‖δ‖²_∞ for π⁺ ∝ π⁻·e^δ", () => {
    let s = 12345;
    const u = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 500; trial++) {
      const n = 2 + (trial % 9);
      const rand = () => { const v = Array.from({ length: n }, () => u() + 1e-3); const z = v.reduce((a, b) => a + b); return v.map((x) => x / z); };
      const pm = rand(), p = rand();
      const scale = [0.01, 0.3, 2][trial % 3];
      const delta = Array.from({ length: n }, () => scale * (2 * u() - 1));
      const e = pm.map((v, i) => v * Math.exp(delta[i]));
      const z = e.reduce((a, b) => a + b);
      const pp = e.map((v) => v / z);
      const inner = p.reduce((acc, v, i) => acc + (v - pm[i]) * delta[i], 0);
      const dinf = Math.max(...delta.map(Math.abs));
      expect(G.klDivergence(p, pp)).toBeLessThanOrEqual(G.klDivergence(p, pm) - inner + 2 * dinf * dinf + 1e-15);
    }
  });
});

describe("solveNash at small β", () => {
  it("β = 1e-4 converges with the default tolerance and satisfies the fixed point", () => {
    const g = G.skewLogit(5, { seed: 5 });
    const s = G.solveNash(g, { beta: 1e-4 });
    expect(s.residual).toBeLessThan(1e-11);
    expect(maxDiff(G.bestResponse(g, s.policy, { beta: 1e-4 }), s.policy)).toBeLessThan(1e-10);
    expect(G.gameMetrics(g, s.policy, { beta: 1e-4 }).exploitability0).toBeLessThanOrEqual(1e-4 * Math.log(5) + 1e-9);
  });
});
