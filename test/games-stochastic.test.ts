// Stochastic trainers: Nash-MD-PG (Munos et al. 2024, App. F), online IPO and IPO-MD
// (Calandriello et al. 2024, Props. 4.1–4.2 and Eq. 13), Nash-MP with policy-gradient half-steps
// (Tiapkin et al. 2025), label modes, sequence policies.
import { describe, it, expect, beforeAll } from "vitest";
import { maxAbsDiff } from "./core/assert.js";
import { init, Matrix, ValueError } from "../sdk/index.js";
import * as G from "../sdk/games/index.js";

beforeAll(async () => {
  await init();
});

const softmax = (t: ArrayLike<number>) => {
  const m = Math.max(...Array.from(t));
  const e = Array.from(t, (v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b);
  return e.map((v) => v / z);
};
/** Largest |a_i − b_i|; fails on a length mismatch, NaN propagates. */
const maxDiff = maxAbsDiff;

describe("online-IPO gradient identity (Calandriello et al. 2024, Prop. 4.2)", () => {
  // population loss with the sampling distribution q held fixed (stop-gradient)
  function popLoss(theta: number[], P: Matrix, logMu: number[], q: number[], beta: number): number {
    const n = theta.length, c = 1 / (2 * beta);
    const lp = softmax(theta).map(Math.log);
    let L = 0;
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        const h = lp[a] - logMu[a] - (lp[b] - logMu[b]);
        const p = P.data[a * n + b];
        L += q[a] * q[b] * (p * (h - c) ** 2 + (1 - p) * (-h - c) ** 2);
      }
    }
    return L;
  }

  for (const [beta, gamma] of [[0.5, 0], [0.5, 0.3], [0.2, 0], [1, 0.7]]) {
    it(`β = ${beta}, γ = ${gamma}: finite differences = −(4/β)·E_q[∇log π·(P(y≻q) − ½ − β(lr − E_q lr))] = the trainer's expected step`, () => {
      const n = 6;
      const game = G.skewLogit(n, { seed: 13 });
      const P = game.toMatrix();
      const theta = [0.3, -0.2, 0.5, 0.1, -0.6, 0.2];
      const muP = [0.1, 0.2, 0.15, 0.25, 0.2, 0.1];
      const logMu = muP.map(Math.log);
      const pi = softmax(theta);
      const lp = pi.map(Math.log);
      const qRaw = lp.map((l, i) => Math.exp((1 - gamma) * l + gamma * logMu[i]));
      const zq = qRaw.reduce((a, b) => a + b);
      const q = qRaw.map((v) => v / zq);
      // finite differences
      const fd = theta.map((_, k) => {
        const hstep = 1e-5;
        const tp = theta.slice(), tm = theta.slice();
        tp[k] += hstep;
        tm[k] -= hstep;
        return (popLoss(tp, P, logMu, q, beta) - popLoss(tm, P, logMu, q, beta)) / (2 * hstep);
      });
      // the identity
      const lr = lp.map((l, i) => l - logMu[i]);
      const eqLr = q.reduce((s, v, i) => s + v * lr[i], 0);
      const Pq = Array.from({ length: n }, (_, y) => q.reduce((s, v, j) => s + v * P.data[y * n + j], 0));
      const ident = theta.map((_, k) => {
        let s = 0;
        for (let y = 0; y < n; y++) s += q[y] * ((y === k ? 1 : 0) - pi[k]) * (Pq[y] - 0.5 - beta * (lr[y] - eqLr));
        return (-4 / beta) * s;
      });
      const scale = Math.max(1, ...fd.map(Math.abs));
      expect(maxDiff(fd, ident) / scale).toBeLessThan(1e-8);
      // the trainer's exact expected weights: Σ_y w_y (e_y − π) = −∇L
      const pol = new G.TabularPolicy(1, n, theta);
      const mu = G.TabularPolicy.fromProbs(muP);
      const { w, ys } = G.ipoExpectedWeights(pol, mu, G.judgeFromGame(game), [0], beta, gamma);
      const sw = w.reduce((a, b) => a + b, 0);
      const fromTrainer = theta.map((_, k) => -(w[ys.indexOf(k)] - pi[k] * sw));
      expect(maxDiff(fd, fromTrainer) / scale).toBeLessThan(1e-8);
    });
  }

  it("stationary points: online IPO (γ = 0) reaches π*_β; IPO-MD and Nash-MD-PG share π ∝ μ·exp(P·q/β)", () => {
    const game = G.skewLogit(5, { seed: 17 });
    const beta = 0.3, judge = G.judgeFromGame(game);
    const mu = G.TabularPolicy.fromProbs([0.3, 0.1, 0.2, 0.25, 0.15]);
    const star = G.solveNash(game, { beta, refPolicy: mu.probs() }).policy;
    const a = mu.snapshot();
    G.trainOnlineIpo(a, mu, judge, { beta, feedback: "exact", lr: 0.05, iters: 4000 });
    expect(maxDiff(a.probs(), star)).toBeLessThan(1e-9);
    const mixture = 0.4;
    const ref = G.ipoMD(game, { beta, mixture, refPolicy: mu.probs(), iters: 20000, logEvery: 0, equilibrium: null }).policy;
    const b = mu.snapshot();
    G.trainOnlineIpo(b, mu, judge, { beta, mixture, feedback: "exact", lr: 0.05, iters: 6000 });
    expect(maxDiff(b.probs(), ref)).toBeLessThan(1e-8);
    const c = mu.snapshot();
    G.trainNashMD(c, mu, judge, { beta, mixture, feedback: "exact", lr: 2, iters: 6000 });
    expect(maxDiff(c.probs(), ref)).toBeLessThan(1e-8);
  });
});

describe("approximate Nash-MP with policy-gradient half-steps (Tiapkin et al. 2025)", () => {
  const setup = () => {
    const game = G.skewLogit(10, { seed: 21 });
    const beta = 0.1;
    const star = G.solveNash(game, { beta }).policy;
    const mu = G.TabularPolicy.fromProbs(new Float64Array(10).fill(0.1));
    return { game, beta, star, mu, judge: G.judgeFromGame(game), ev: (p: G.Policy) => G.klDivergence(star, (p as G.TabularPolicy).probs(0)) };
  };

  it("exact-gradient inner loops (M = 20, lr 5): KL < 1e-5 after 40 outer iterations (10 actions, β = 0.1)", () => {
    const { mu, judge, beta, ev } = setup();
    const pol = mu.snapshot();
    const log = G.trainNashMP(pol, mu, judge, { beta, feedback: "exact", inner: 20, lr: 5, outer: 40, evaluate: ev });
    expect(log.value[0]).toBeGreaterThan(0.05);
    expect(log.value[40]).toBeLessThan(1e-5);
    // an EMA prox centre also converges (more slowly)
    const e = mu.snapshot();
    const le = G.trainNashMP(e, mu, judge, { beta, feedback: "exact", inner: 20, lr: 5, outer: 40, emaDecay: 0.5, evaluate: ev });
    expect(le.value[40]).toBeLessThan(1e-3);
  });

  it("Bernoulli feedback: KL settles at a noise floor that shrinks with the batch", () => {
    const { mu, judge, beta, ev } = setup();
    const floor = (batch: number, seed: number) => {
      const pol = mu.snapshot();
      const log = G.trainNashMP(pol, mu, judge, { beta, feedback: "bernoulli", batch, inner: 100, lr: 1, outer: 30, evaluate: ev, seed });
      const tail = Array.from(log.value.slice(-10));
      return tail.reduce((a, b) => a + b) / tail.length;
    };
    const f64 = floor(64, 1), f256 = floor(256, 2);
    // measured: ≈ 5e-3 at batch 64 (an independent numpy run also gave ≈ 5e-3 with M = 200),
    // ≈ 1e-3 at batch 256
    expect(f64).toBeGreaterThan(1e-3);
    expect(f64).toBeLessThan(2e-2);
    expect(f256).toBeLessThan(f64 / 2);
  });

  it("same seed → bit-identical runs", () => {
    const { mu, judge, beta } = setup();
    const a = mu.snapshot(), b = mu.snapshot(), c = mu.snapshot();
    G.trainNashMP(a, mu, judge, { beta, batch: 16, inner: 10, outer: 3, seed: 5 });
    G.trainNashMP(b, mu, judge, { beta, batch: 16, inner: 10, outer: 3, seed: 5 });
    G.trainNashMP(c, mu, judge, { beta, batch: 16, inner: 10, outer: 3, seed: 6 });
    expect(new Uint8Array(a.logits.buffer)).toEqual(new Uint8Array(b.logits.buffer));
    expect(maxDiff(a.logits, c.logits)).toBeGreaterThan(0);
  });
});

describe("label modes", () => {
  it("on a Bradley–Terry game, soft and Bernoulli labels reach π*(σ(Δr)); argmax labels reach π* of the hard 0/1 game", () => {
    const r = [0, 0.3, 0.5, 1.0], n = r.length, beta = 0.5;
    const soft = G.bradleyTerry(r);
    const hardM = new Matrix(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) hardM.data[i * n + j] = r[i] > r[j] ? 1 : r[i] < r[j] ? 0 : 0.5;
    const hard = G.PreferenceGame.fromMatrix(hardM);
    const sS = G.solveNash(soft, { beta }).policy, sH = G.solveNash(hard, { beta }).policy;
    const gap = G.klDivergence(sS, sH);
    expect(gap).toBeGreaterThan(0.03); // the two equilibria differ
    const mu = G.TabularPolicy.fromProbs(new Float64Array(n).fill(1 / n));
    const judge = G.judgeFromGame(soft);
    const end: Record<string, Float64Array> = {};
    for (const feedback of ["soft", "bernoulli", "argmax"] as const) {
      const pol = mu.snapshot();
      G.trainOnlineIpo(pol, mu, judge, { beta, feedback, batch: 64, lr: 0.01, iters: 2000, seed: 2 });
      end[feedback] = pol.probs();
    }
    expect(G.klDivergence(sS, end.soft)).toBeLessThan(1e-6);
    expect(G.klDivergence(sS, end.bernoulli)).toBeLessThan(1e-3);
    expect(G.klDivergence(sH, end.argmax)).toBeLessThan(1e-3);
    expect(G.klDivergence(sS, end.argmax)).toBeGreaterThan(gap / 2);
    expect(G.klDivergence(sH, end.bernoulli)).toBeGreaterThan(gap / 2);
  });
});

describe("trainer input checks", () => {
  it("bad options and judges give clear errors", () => {
    const game = G.rps(), judge = G.judgeFromGame(game);
    const mu = G.TabularPolicy.fromProbs([1 / 3, 1 / 3, 1 / 3]);
    expect(() => G.trainNashMP(mu.snapshot(), mu, judge, { beta: 0.1, eta: 3 })).toThrow(/eta must be in \(0, 2\]/);
    expect(() => G.trainNashMP(mu.snapshot(), mu, judge, { beta: 0 })).toThrow(/beta/);
    expect(() => G.trainOnlineIpo(mu.snapshot(), mu, judge, { beta: 0.1, batch: 0 })).toThrow(/batch/);
    expect(() => G.trainOnlineIpo(mu.snapshot(), mu, judge, { beta: 0.1, feedback: "hard" as never })).toThrow(/feedback must be one of/);
    expect(() => G.trainOnlineIpo(mu.snapshot(), mu, () => 1.5, { beta: 0.1, iters: 1 })).toThrow(/judge returned 1.5/);
    expect(() => G.trainNashMD(mu.snapshot(), mu, judge, { beta: 0.1, mixture: 2 })).toThrow(/mixture must be a probability/);
    expect(() => G.trainOnlineIpo(mu.snapshot(), mu, judge, { beta: 0.1, mixture: -0.5 })).toThrow(/mixture must be a probability/);
    expect(() => G.TabularPolicy.fromProbs([0.5, 0.5, 0])).toThrow(ValueError);
    expect(() => mu.snapshot().applyGradient([0], [3], Float64Array.of(1), 1)).toThrow(/response 3 is out of range/);
  });
});

describe("contexts and judges", () => {
  it("a contextual tabular policy trained with per-context games reaches each context's equilibrium", () => {
    const gs = [G.sineGame(), G.skewLogit(5, { seed: 3 })];
    const beta = 0.2;
    const stars = gs.map((g) => G.solveNash(g, { beta }).policy);
    const mu = new G.TabularPolicy(2, 5); // uniform logits in both contexts
    const pol = mu.snapshot();
    G.trainNashMP(pol, mu, G.judgeFromGame(gs), { beta, contexts: [0, 1], feedback: "exact", inner: 20, lr: 5, outer: 40 });
    expect(G.klDivergence(stars[0], pol.probs(0))).toBeLessThan(1e-6);
    expect(G.klDivergence(stars[1], pol.probs(1))).toBeLessThan(1e-6);
  });

  it("symmetricJudge removes a position bias", () => {
    const game = G.sineGame();
    const fair = G.judgeFromGame(game);
    const biased: G.Judge = (x, y, y2) => Math.min(1, fair(x, y, y2) + 0.1);
    const sym = G.symmetricJudge(biased);
    for (let y = 0; y < 5; y++) for (let y2 = 0; y2 < 5; y2++) {
      const p = fair(0, y, y2);
      if (p + 0.1 <= 1 && 1 - p + 0.1 <= 1) expect(sym(0, y, y2)).toBeCloseTo(p, 14);
    }
  });
});

describe("sampling", () => {
  it("TabularPolicy.sample draws from π, and with mix from the geometric mixture π^{1−γ}μ^γ", async () => {
    const { Rng } = await import("../sdk/index.js");
    const pol = G.TabularPolicy.fromProbs([0.5, 0.3, 0.15, 0.05]);
    const mu = G.TabularPolicy.fromProbs([0.1, 0.2, 0.3, 0.4]);
    const rng = new Rng(77);
    const N = 200_000, xs = new Array(N).fill(0);
    const gamma = 0.4;
    const mixRaw = [0.5, 0.3, 0.15, 0.05].map((p, i) => Math.pow(p, 1 - gamma) * Math.pow([0.1, 0.2, 0.3, 0.4][i], gamma));
    const zm = mixRaw.reduce((a, b) => a + b);
    for (const [target, draw] of [
      [[0.5, 0.3, 0.15, 0.05], () => pol.sample(xs, rng)],
      [mixRaw.map((v) => v / zm), () => pol.sample(xs, rng, { ref: mu, mixture: gamma })],
    ] as const) {
      const ys = draw();
      const counts = [0, 0, 0, 0];
      for (const y of ys) counts[y]++;
      for (let y = 0; y < 4; y++) {
        const p = target[y], sd = Math.sqrt((p * (1 - p)) / N);
        expect(Math.abs(counts[y] / N - p)).toBeLessThan(5 * sd);
      }
    }
    rng.dispose();
  });

  it("sampled Nash-MD-PG settles near its stationary point π ∝ μ·exp(P·q/β), q = π^{1−γ}μ^γ", () => {
    const game = G.skewLogit(5, { seed: 17 });
    const beta = 0.3, mixture = 0.25;
    const mu = G.TabularPolicy.fromProbs([0.3, 0.1, 0.2, 0.25, 0.15]);
    const target = G.ipoMD(game, { beta, mixture, refPolicy: mu.probs(), iters: 20000, logEvery: 0, equilibrium: null }).policy;
    const pol = mu.snapshot();
    const log = G.trainNashMD(pol, mu, G.judgeFromGame(game), { beta, mixture, batch: 64, lr: 0.5, iters: 3000, logEvery: 1000, seed: 4,
      evaluate: (p) => G.klDivergence(target, (p as G.TabularPolicy).probs()) });
    expect(log.value[0]).toBeGreaterThan(1e-2);
    expect(log.value[3]).toBeLessThan(2e-3);
    expect(log.queries[3]).toBe(3000 * 64);
  });
});

describe("sequence policies (the LM-shaped Policy)", () => {
  const idx = (y: number[], V: number) => y.reduce((a, t) => a * V + t, 0);

  it("a one-token SequencePolicy trains exactly like a TabularPolicy", () => {
    const game = G.skewLogit(6, { seed: 2 });
    const judgeT = G.judgeFromGame(game);
    const judgeS: G.Judge<number, number[]> = (x, y, y2) => judgeT(x, y[0], y2[0]);
    const logits = [0.2, -0.1, 0.4, 0, -0.3, 0.1];
    const t = new G.TabularPolicy(1, 6, logits), s = new G.SequencePolicy(1, 6, 1, logits);
    const muT = new G.TabularPolicy(1, 6), muS = new G.SequencePolicy(1, 6, 1);
    G.trainNashMP(t, muT, judgeT, { beta: 0.1, feedback: "exact", inner: 10, lr: 3, outer: 10 });
    G.trainNashMP(s, muS, judgeS, { beta: 0.1, feedback: "exact", inner: 10, lr: 3, outer: 10 });
    expect(maxDiff(t.logits, s.logits)).toBeLessThan(1e-12);
  });

  it("Nash-MP-PG on two-token sequences reaches the sequence-level equilibrium", () => {
    const V = 3, L = 2, n = V ** L;
    const game = G.skewLogit(n, { seed: 31 });
    const judge: G.Judge<number, number[]> = (_x, y, y2) => game.entry(idx(y, V), idx(y2, V));
    const mu = new G.SequencePolicy(1, V, L, [0.3, -0.2, 0.1, 0.5, 0, -0.4, 0.2, 0.2, -0.1, -0.3, 0.4, 0]);
    const seqs = mu.support(0);
    const muSeq = Array.from(mu.logProbs(seqs.map(() => 0), seqs), Math.exp);
    const beta = 0.2;
    const star = G.solveNash(game, { beta, refPolicy: muSeq }).policy;
    const dist = (p: G.Policy<number, number[]>) => Array.from(p.logProbs(seqs.map(() => 0), seqs), Math.exp);
    const pol = mu.snapshot();
    G.trainNashMP(pol, mu, judge, { beta, feedback: "exact", inner: 20, lr: 3, outer: 60 });
    expect(G.klDivergence(star, dist(pol))).toBeLessThan(1e-6);
    const noisy = mu.snapshot();
    const log = G.trainNashMP(noisy, mu, judge, { beta, feedback: "bernoulli", batch: 64, inner: 50, lr: 0.5, outer: 20, seed: 3,
      evaluate: (p) => G.klDivergence(star, dist(p)) });
    expect(log.value[20]).toBeLessThan(0.1 * log.value[0]);
  });

  it("per-token mixing (Munos et al. 2024, App. F.1; TRL's mixture wrapper) samples softmax(γ·z_ref + (1−γ)·z_θ) at each step, which is not the sequence-level geometric mixture", async () => {
    const { Rng } = await import("../sdk/index.js");
    const V = 2, L = 2, gamma = 0.5;
    const pol = new G.SequencePolicy(1, V, L, [1.5, -0.5, 2, 0, -1, 1]);
    const mu = new G.SequencePolicy(1, V, L, [-1, 1, 0, 0.5, 1, -1]);
    const seqs = pol.support(0), xs = seqs.map(() => 0);
    const mix = pol.snapshot();
    mix.blend(mu, 1 - gamma); // logits (1−γ)·θ + γ·θ_ref at every prefix
    const perToken = Array.from(mix.logProbs(xs, seqs), Math.exp);
    const lp = pol.logProbs(xs, seqs), lm = mu.logProbs(xs, seqs);
    const raw = seqs.map((_, k) => Math.exp((1 - gamma) * lp[k] + gamma * lm[k]));
    const z = raw.reduce((a, b) => a + b);
    const seqLevel = raw.map((v) => v / z);
    // the sampler follows the per-token mixture …
    const rng = new Rng(5);
    const N = 100_000;
    const ys = pol.sample(new Array(N).fill(0), rng, { ref: mu, mixture: gamma });
    rng.dispose();
    const counts = new Array(seqs.length).fill(0);
    for (const y of ys) counts[idx(y, V)]++;
    for (let k = 0; k < seqs.length; k++) {
      const sd = Math.sqrt((perToken[k] * (1 - perToken[k])) / N);
      expect(Math.abs(counts[k] / N - perToken[k])).toBeLessThan(5 * sd);
    }
    // … which differs from the normalised sequence-level mixture (prefix-dependent normalisers)
    expect(maxDiff(perToken, seqLevel)).toBeGreaterThan(1e-2);
  });
});

describe("reward-to-go score-function estimator", () => {
  it("its expectation over sampled pairs equals the exact policy gradient (sequence policy, 3 tokens)", () => {
    const V = 2, L = 3, n = V ** L;
    const game = G.skewLogit(n, { seed: 41 });
    const idx = (y: number[]) => y.reduce((a, t) => a * V + t, 0);
    const mk = (seed: number) => new G.SequencePolicy(1, V, L, Array.from({ length: 14 }, (_, k) => Math.sin(seed * 7.3 + k * 1.9)));
    const cur = mk(1), ref = mk(2), centre = mk(3), opp = mk(4);
    const beta = 0.3, b = 0.5;
    const seqs = cur.support(0), xs0 = seqs.map(() => 0);
    const pc = Array.from(cur.logProbs(xs0, seqs), Math.exp), po = Array.from(opp.logProbs(xs0, seqs), Math.exp);
    const kl = [{ ref, coef: beta }, { ref: centre, coef: b }];
    // expectation of the sampled update (batch of one pair, lr 1)
    const expected = new Float64Array(cur.logits.length);
    for (let a = 0; a < n; a++) {
      for (let c = 0; c < n; c++) {
        const s = cur.snapshot();
        G.scoreFunctionUpdate(s, [0], [seqs[a]], Float64Array.of(game.entry(idx(seqs[a]), idx(seqs[c]))), kl, 1);
        for (let k = 0; k < expected.length; k++) expected[k] += pc[a] * po[c] * (s.logits[k] - cur.logits[k]);
      }
    }
    // the exact gradient E_y[∇log π(y)·(P(y ≻ opp) − ½ − β·log(π/μ)(y) − b·log(π/π_c)(y))]
    const lc = cur.logProbs(xs0, seqs), lm = ref.logProbs(xs0, seqs), lk = centre.logProbs(xs0, seqs);
    const w = Float64Array.from(seqs, (y, a) => {
      let win = 0;
      for (let c = 0; c < n; c++) win += po[c] * game.entry(idx(y), idx(seqs[c]));
      return pc[a] * (win - 0.5 - beta * (lc[a] - lm[a]) - b * (lc[a] - lk[a]));
    });
    const e = cur.snapshot();
    e.applyGradient(xs0, seqs, w, 1);
    const exact = e.logits.map((v, k) => v - cur.logits[k]);
    expect(maxDiff(expected, exact)).toBeLessThan(1e-13);
    // while a single sample's reward-to-go update differs from the whole-sequence one
    const s1 = cur.snapshot(), s2 = cur.snapshot();
    G.scoreFunctionUpdate(s1, [0], [seqs[5]], Float64Array.of(1), kl, 1);
    const whole = Float64Array.of(1 - 0.5 - beta * (lc[5] - lm[5]) - b * (lc[5] - lk[5]));
    s2.applyGradient([0], [seqs[5]], whole, 1);
    expect(maxDiff(s1.logits, s2.logits)).toBeGreaterThan(1e-3);
  });
});

describe("Nash-EMA-PG", () => {
  it("decay 0 reproduces self-play (γ = 0) bit for bit; decay 0.99 trains toward the equilibrium", () => {
    const game = G.skewLogit(6, { seed: 8 });
    const judge = G.judgeFromGame(game), beta = 0.2;
    const mu = new G.TabularPolicy(1, 6);
    const a = mu.snapshot(), b = mu.snapshot();
    G.trainNashMD(a, mu, judge, { beta, mixture: 0, batch: 16, lr: 0.5, iters: 200, seed: 9 });
    G.trainNashMD(b, mu, judge, { beta, opponentEma: 0, batch: 16, lr: 0.5, iters: 200, seed: 9 });
    expect(new Uint8Array(a.logits.buffer)).toEqual(new Uint8Array(b.logits.buffer));
    const star = G.solveNash(game, { beta }).policy;
    const e = mu.snapshot();
    const log = G.trainNashMD(e, mu, judge, { beta, opponentEma: 0.99, batch: 64, lr: 0.5, iters: 3000, logEvery: 3000, seed: 2,
      evaluate: (p) => G.klDivergence(star, (p as G.TabularPolicy).probs()) });
    expect(log.value[1]).toBeLessThan(0.2 * log.value[0]);
  });
});
