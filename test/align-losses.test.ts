// The alignment losses against closed forms, the published test vectors (values and
// gradients), fixed points of small bandits, and central finite differences in f64.
import { describe, it, expect, beforeAll } from "vitest";
import { init, getEngine, ValueError, ShapeError, NumericalError } from "../sdk/index.js";
import * as A from "../sdk/align/index.js";

beforeAll(async () => {
  await init();
});

// ---- helpers -------------------------------------------------------------------------------

/** |a − b| ≤ rel·max(|b|, floor). */
function near(a: number, b: number, rel = 1e-9, floor = 1e-12): void {
  const tol = rel * Math.max(Math.abs(b), floor);
  if (!(Math.abs(a - b) <= tol)) throw new Error(`expected ${b}, got ${a} (diff ${Math.abs(a - b)}, tol ${tol})`);
}
/** `a` agrees with a value printed to `decimals` decimals: within one unit of the last one
 *  (the published tables round some entries and truncate others). */
function printed(a: number, shown: number, decimals: number): void {
  const tol = 10 ** -decimals * (1 + 1e-9);
  if (!(Math.abs(a - shown) <= tol)) throw new Error(`expected ${shown} (to ${decimals} decimals), got ${a}`);
}
const sp = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
const sig = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** A small seeded generator for test data (mulberry32). */
function rand(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Central difference of f at x along coordinate i. */
function fd(f: (x: Float64Array) => number, x: Float64Array, i: number, h = 1e-6): number {
  const a = Float64Array.from(x), b = Float64Array.from(x);
  a[i] += h;
  b[i] -= h;
  return (f(a) - f(b)) / (2 * h);
}
/** Compare an analytic gradient with central differences (spec: ε = 1e-6, 1e-7 relative). */
function fdCheck(f: (x: Float64Array) => number, x: Float64Array, grad: ArrayLike<number>, rel = 1e-7, abs = 1e-9): void {
  for (let i = 0; i < x.length; i++) {
    const n = fd(f, x, i);
    const tol = rel * Math.max(Math.abs(n), Math.abs(grad[i])) + abs;
    if (!(Math.abs(n - grad[i]) <= tol)) throw new Error(`coordinate ${i}: analytic ${grad[i]}, finite difference ${n} (tol ${tol})`);
  }
}

// The pair of spec §10: S_w = −10, S_l = −12, S_ref(w) = −11, S_ref(l) = −11.5 → ρ_w = 1,
// ρ_l = −0.5, h = 1.5; N_w = 5, N_l = 4 for the length-normalised rows.
const PAIR = { chosen: [-10], rejected: [-12], refChosen: [-11], refRejected: [-11.5], chosenTokens: [5], rejectedTokens: [4] };

describe("pair losses: the published vectors (β = τ = 0.1)", () => {
  const rows: Array<[string, A.PairLossType, A.PairLossOptions, A.PairScores, number, number, number, number, number]> = [
    // name, kind, options, scores, value, ∂/∂S_w, ∂/∂S_l, decimals of the printed value, of the gradients
    ["DPO sigmoid", "sigmoid", {}, PAIR, 0.6209570478, -0.0462570155, 0.0462570155, 10, 10],
    ["cDPO ε = 0.1", "cdpo", { labelSmoothing: 0.1 }, PAIR, 0.6359570478, -0.0362570155, 0.0362570155, 10, 10],
    ["robust DPO ε = 0.1", "robust", { labelSmoothing: 0.1 }, PAIR, 0.6022070478, -0.0587570155, 0.0587570155, 10, 10],
    ["IPO (sum)", "ipo", { lengthNorm: false }, PAIR, 12.25, -7, 7, 10, 10],
    ["IPO (token mean)", "ipo", {}, PAIR, 21.855625, -1.87, 2.3375, 10, 10],
    ["sigmoid_norm", "sigmoid_norm", {}, PAIR, 0.677029206, -0.0098375143, 0.0122968929, 10, 10],
    ["hinge", "hinge", {}, PAIR, 0.85, -0.1, 0.1, 10, 10],
    ["SLiC-HF δ = 3, no reference", "slic", { delta: 3 }, { chosen: [-10], rejected: [-12] }, 1, -1, 1, 10, 10],
    ["sppo_hard", "sppo_hard", {}, PAIR, 36.25, -8, 9, 10, 10],
    ["bco_pair", "bco_pair", {}, PAIR, 1.3128563081, -0.0475020812, 0.0487502604, 10, 10],
  ];
  for (const [name, kind, opts, sc, v, gw, gl, dv, dg] of rows) {
    it(name, () => {
      const r = A.pairLoss(kind, sc, opts);
      printed(r.loss, v, dv);
      printed(r.gChosen[0], gw, dg);
      printed(r.gRejected[0], gl, dg);
    });
  }

  it("agree with the closed forms to 1e-12 relative", () => {
    const b = 0.1, h = 1.5, z = b * h;
    near(A.pairLoss("sigmoid", PAIR).loss, sp(-z), 1e-12);
    near(A.pairLoss("sigmoid", PAIR).gChosen[0], -b * sig(-z), 1e-12);
    near(A.pairLoss("cdpo", PAIR, { labelSmoothing: 0.1 }).loss, 0.9 * sp(-z) + 0.1 * sp(z), 1e-12);
    near(A.pairLoss("robust", PAIR, { labelSmoothing: 0.1 }).loss, (0.9 * sp(-z) - 0.1 * sp(z)) / 0.8, 1e-12);
    near(A.pairLoss("robust", PAIR, { labelSmoothing: 0.1 }).gChosen[0], b * (sig(z) - 0.9 / 0.8), 1e-12);
    near(A.pairLoss("cdpo", PAIR, { labelSmoothing: 0.1 }).gChosen[0], b * (sig(z) - 0.9), 1e-12);
    const zw = b * 1, zl = b * -0.5;
    near(A.pairLoss("nca_pair", PAIR).loss, sp(-zw) + 0.5 * sp(zw) + 0.5 * sp(zl), 1e-12);
    near(A.pairLoss("nca_pair", PAIR).gChosen[0], b * (0.5 * sig(zw) - sig(-zw)), 1e-12);
    near(A.pairLoss("nca_pair", PAIR).gRejected[0], 0.5 * b * sig(zl), 1e-12);
  });

  it("the reference carries no gradient and the rewards are logged under TRL's names", () => {
    const r = A.pairLoss("sigmoid", PAIR);
    expect(Object.keys(r.metrics).sort()).toEqual(["logps/chosen", "logps/rejected", "loss", "rewards/accuracies", "rewards/chosen", "rewards/margins", "rewards/rejected"]);
    near(r.metrics["rewards/chosen"], 0.1, 1e-12);
    near(r.metrics["rewards/rejected"], -0.05, 1e-12);
    near(r.metrics["rewards/margins"], 0.15, 1e-12);
    expect(r.metrics["rewards/accuracies"]).toBe(1);
    expect(r.metrics["logps/chosen"]).toBe(-10);
    // IPO logs rewards on summed log-ratios, as TRL does, even when the loss averages per token
    near(A.pairLoss("ipo", PAIR).metrics["rewards/margins"], 0.15, 1e-12);
  });

  it("SLiC-HF's λ regulariser adds −λ·S_w, and a list of losses adds them with weights (TRL loss_weights)", () => {
    const sc = { chosen: [-10], rejected: [-12] };
    const r = A.pairLoss("slic", sc, { delta: 3, sftWeight: 0.5 });
    near(r.loss, 1 + 0.5 * 10, 1e-14);
    near(r.gChosen[0], -1.5, 1e-14);
    const mpo = A.pairLoss(["sigmoid", "bco_pair", "sft"], PAIR, { weights: [0.8, 0.2, 1] });
    const parts = ["sigmoid", "bco_pair"].map((k) => A.pairLoss(k as A.PairLossType, PAIR));
    const sft = A.sftLoss({ scores: [-10], tokens: [5] });
    near(mpo.loss, 0.8 * parts[0].loss + 0.2 * parts[1].loss + sft.loss, 1e-14);
    near(mpo.gChosen[0], 0.8 * parts[0].gChosen[0] + 0.2 * parts[1].gChosen[0] + sft.g[0], 1e-14);
    near(mpo.metrics["loss/sft"], 2, 1e-14); // −(−10)/5
  });
});

describe("token level", () => {
  it("back-propagation through log-softmax and gather: the published check", () => {
    for (const logits of [new Float64Array([2, 1, 0]), new Float32Array([2, 1, 0])]) {
      const t = A.tokenLogProbs(logits, [0], { vocab: 3 });
      const lse = Math.log(Math.exp(2) + Math.exp(1) + 1);
      near(t.lse[0], lse, 1e-14);
      near(t.logp[0], 2 - lse, 1e-14);
      const dz = A.logitsBackward([-0.0462570154], logits, t.lse, [0], { vocab: 3 });
      expect(dz).toBeInstanceOf(logits.constructor);
      const p = [0.66524096, 0.24472847, 0.09003057];
      const want = [-0.01548495, 0.01132041, 0.00416455];
      const exact = [-0.0462570154 * (1 - Math.exp(2 - lse)), 0.0462570154 * Math.exp(1 - lse), 0.0462570154 * Math.exp(-lse)];
      for (let v = 0; v < 3; v++) {
        printed(Math.exp([2, 1, 0][v] - t.lse[0]), p[v], 8);
        printed(dz[v], want[v], 8);
        near(dz[v], exact[v], logits instanceof Float64Array ? 1e-12 : 1e-7);
      }
    }
  });

  it("temperature, negative targets, accumulate, and f32 vs f64 agreement", () => {
    const r = rand(3);
    const V = 7, R = 5;
    const z = Float64Array.from({ length: R * V }, () => 4 * r() - 2);
    const tg = [0, 6, -1, 3, 2];
    const a = A.tokenLogProbs(z, tg, { vocab: V, temperature: 2 });
    for (let i = 0; i < R; i++) {
      let s = 0;
      for (let v = 0; v < V; v++) s += Math.exp(z[i * V + v] / 2);
      near(a.lse[i], Math.log(s), 1e-13);
      if (tg[i] >= 0) near(a.logp[i], z[i * V + tg[i]] / 2 - Math.log(s), 1e-12);
      else expect(a.logp[i]).toBe(0);
    }
    const dl = [0.3, -1, 5, 0, 2];
    const d1 = A.logitsBackward(dl, z, a.lse, tg, { vocab: V, temperature: 2 }) as Float64Array;
    for (let v = 0; v < V; v++) expect(d1[2 * V + v]).toBe(0); // no target: no gradient
    for (let v = 0; v < V; v++) expect(d1[3 * V + v]).toBe(0); // dℓ = 0
    // finite differences of Σ dl·logp w.r.t. the logits (temperature 2 included)
    const f = (x: Float64Array) => {
      const t = A.tokenLogProbs(x, tg, { vocab: V, temperature: 2 });
      return t.logp.reduce((s, l, i) => s + dl[i] * l, 0);
    };
    fdCheck(f, z, d1);
    const acc = Float64Array.from(d1);
    A.logitsBackward(dl, z, a.lse, tg, { vocab: V, temperature: 2, into: acc, accumulate: true });
    for (let i = 0; i < acc.length; i++) expect(acc[i]).toBe(2 * d1[i]);
    const z32 = Float32Array.from(z);
    const b = A.tokenLogProbs(z32, tg, { vocab: V, temperature: 2 });
    for (let i = 0; i < R; i++) near(b.logp[i], A.tokenLogProbs(Float64Array.from(z32), tg, { vocab: V, temperature: 2 }).logp[i], 1e-13, 1e-13);
    const d2 = A.logitsBackward(dl, z32, b.lse, tg, { vocab: V, temperature: 2 });
    expect(d2).toBeInstanceOf(Float32Array);
    for (let i = 0; i < d2.length; i++) expect(Math.abs(d2[i] - d1[i])).toBeLessThan(1e-6);
  });

  it("works on logits in engine memory without a copy", () => {
    const eng = getEngine();
    const buf = eng.f32(6).set([1, 2, 3, 0, 0, 5]);
    const grad = eng.f32(6);
    const t = A.tokenLogProbs(buf, [2, 1], { vocab: 3 });
    const out = A.logitsBackward([1, 1], buf, t.lse, [2, 1], { vocab: 3, into: grad });
    expect(out).toBe(grad.view);
    const ref = A.logitsBackward([1, 1], Float32Array.from([1, 2, 3, 0, 0, 5]), t.lse, [2, 1], { vocab: 3 });
    expect(Array.from(grad.view)).toEqual(Array.from(ref));
    buf.dispose();
    grad.dispose();
  });

  it("masked sums accumulate in f64 and the scatter gives every trained token g (or g/N)", () => {
    const T = 4;
    const l = [-1, -2, -3, -4, -0.5, -0.25, 0, 0];
    const m = [0, 1, 1, 0, 1, 1, 0, 0];
    const s = A.sequenceScores(l, m, { cols: T });
    expect(Array.from(s.scores)).toEqual([-5, -0.75]);
    expect(Array.from(s.tokens)).toEqual([2, 2]);
    expect(Array.from(A.scatterSequenceGrad([3, -1], m, { cols: T }))).toEqual([0, 3, 3, 0, -1, -1, 0, 0]);
    expect(Array.from(A.scatterSequenceGrad([3, -1], m, { cols: T, tokens: s.tokens }))).toEqual([0, 1.5, 1.5, 0, -0.5, -0.5, 0, 0]);
    // a long sequence of small f32 log-probabilities: the f64 sum has no f32 drift
    const n = 10000;
    const ll = new Float64Array(n).fill(Math.fround(-0.1));
    const big = A.sequenceScores(ll, new Uint8Array(n).fill(1), { cols: n });
    near(big.scores[0], n * Math.fround(-0.1), 1e-12);
  });

  it("bad targets and non-finite rows are typed errors", () => {
    expect(() => A.tokenLogProbs(new Float64Array([1, 2, 3]), [3], { vocab: 3 })).toThrow(/targets\[0\] = 3/);
    expect(() => A.tokenLogProbs(new Float64Array([1, 2, 3]), [1.5], { vocab: 3 })).toThrow(ValueError);
    expect(() => A.tokenLogProbs(new Float64Array([1, 2, 3, 4]), [1], { vocab: 3 })).toThrow(ShapeError);
    expect(() => A.tokenLogProbs(new Float64Array([1, 2, 3, 1, NaN, 0]), [1, 1], { vocab: 3 })).toThrow(NumericalError);
    expect(() => A.tokenLogProbs(new Float64Array([-Infinity, -Infinity]), [0], { vocab: 2 })).toThrow(/row 0/);
    expect(() => A.tokenLogProbs(new Float64Array([1, 2]), [0], { vocab: 2, temprature: 1 } as never)).toThrow(/did you mean "temperature"/);
    expect(() => A.sequenceScores([1, 2], [1, 2], { cols: 2 })).toThrow(/mask\[1\] must be 0 or 1/);
  });
});

describe("M-DPO masking (multi-turn: observations stay in the context, out of the sums)", () => {
  // Tokens [P, P, A, A, O, O, A] (prompt, action, observation).
  const mask = [0, 0, 1, 1, 0, 0, 1];
  const pol = [-1, -2, -0.5, -0.7, -3, -4, -0.2];
  const ref = [-1.1, -1.9, -0.6, -0.9, -2.0, -4.5, -0.3];
  it("ρ over the action tokens is 0.4; including the observations would give −0.1", () => {
    const a = A.sequenceScores(pol, mask, { cols: 7 }), b = A.sequenceScores(ref, mask, { cols: 7 });
    near(a.scores[0] - b.scores[0], 0.4, 1e-12);
    const all = [1, 1, 1, 1, 1, 1, 1].map((x, i) => (i >= 2 ? x : 0));
    const c = A.sequenceScores(pol, all, { cols: 7 }), d = A.sequenceScores(ref, all, { cols: 7 });
    near(c.scores[0] - d.scores[0], -0.1, 1e-12);
  });
  it("the loss and the per-token gradients: 0.6443966601, ∓0.0475020813 on action tokens, 0 elsewhere", () => {
    // loser with ρ = −0.6 on the same layout
    const loserPol = [-1, -2, -0.9, -0.8, -3, -4, -0.6];
    const loserRef = [-1, -2, -0.6, -0.7, -3, -4, -0.4];
    const r = A.pairLossTokens("sigmoid", {
      chosen: { logps: pol, refLogps: ref, mask, cols: 7 },
      rejected: { logps: loserPol, refLogps: loserRef, mask, cols: 7 },
    }, { beta: 0.1 });
    printed(r.loss, 0.6443966601, 10);
    near(r.loss, sp(-0.1), 1e-12);
    for (let t = 0; t < 7; t++) {
      if (mask[t]) {
        printed(r.dChosen[t], -0.0475020813, 10);
        printed(r.dRejected[t], 0.0475020813, 10);
      } else {
        expect(r.dChosen[t]).toBe(0);
        expect(r.dRejected[t]).toBe(0);
      }
    }
  });
  it("M-KTO is the KTO kernel over masked sums", () => {
    const r = A.unpairedLossTokens("kto", { logps: pol, refLogps: ref, mask, cols: 7, labels: [1], z0: 0.1 }, { beta: 0.1 });
    const direct = A.unpairedLoss("kto", { scores: [-1.4], refScores: [-1.8], labels: [1], z0: 0.1 }, { beta: 0.1 });
    near(r.loss, direct.loss, 1e-14);
    for (let t = 0; t < 7; t++) expect(r.dlogps[t]).toBe(mask[t] ? direct.g[0] : 0);
  });
});

describe("KTO", () => {
  const batch = {
    scores: [-10, -8, -12, -9], refScores: [-11, -8.5, -11.5, -9], labels: [1, 1, 0, 0],
    klScores: [-20, -15, -18, -16], klRefScores: [-20.5, -15.2, -18.1, -16],
  };
  it("the published vector: z0 = 0.2, per-example losses, mean and gradients", () => {
    const r = A.unpairedLoss("kto", batch, { beta: 0.1 });
    near(r.z0, 0.2, 1e-12);
    const losses = [0.4800106598, 0.4925005624, 0.4825071423, 0.4950001667];
    const grads = [-0.0062400107, -0.006248594, 0.00624235, 0.006249375];
    for (let i = 0; i < 4; i++) {
      printed(r.losses[i], losses[i], 10);
      printed(r.g[i], grads[i], 10);
    }
    printed(r.loss, 0.4875046328, 10);
    expect(r.metrics.kl).toBe(r.z0);
    near(r.metrics["rewards/chosen"], (0.1 + 0.05) / 2, 1e-12);
    near(r.metrics["rewards/rejected"], (-0.05 + 0) / 2, 1e-12);
    near(r.metrics["rewards/margins"], 0.075 + 0.025, 1e-12);
  });
  it("z0 is a constant: clamped at 0, no gradient through the mismatched pairs, equal to a given z0", () => {
    const r = A.unpairedLoss("kto", batch);
    const same = A.unpairedLoss("kto", { ...batch, klScores: undefined, klRefScores: undefined, z0: r.z0 });
    expect(Array.from(same.g)).toEqual(Array.from(r.g));
    const neg = A.unpairedLoss("kto", { ...batch, klScores: [-21, -16, -19, -17] });
    expect(neg.z0).toBe(0); // the mean KL estimate is −0.65 → clamped
    // finite differences on the scores with z0 held fixed reproduce g
    const f = (x: Float64Array) => A.unpairedLoss("kto", { ...batch, klScores: undefined, klRefScores: undefined, scores: x, z0: r.z0 }).loss;
    fdCheck(f, Float64Array.from(batch.scores), r.g);
  });
  it("weights λ_D, λ_U multiply each class; the mean is over all examples (TRL nanmean of the concatenation)", () => {
    const w = A.unpairedLoss("kto", batch, { desirableWeight: 2, undesirableWeight: 0.5 });
    const u = A.unpairedLoss("kto", batch);
    near(w.losses[0], 2 * u.losses[0], 1e-14);
    near(w.losses[3], 0.5 * u.losses[3], 1e-14);
    near(w.loss, (2 * (u.losses[0] + u.losses[1]) + 0.5 * (u.losses[2] + u.losses[3])) / 4, 1e-14);
    const s = A.unpairedLoss("kto", batch, { reduction: "sum" });
    near(s.loss, 4 * u.loss, 1e-14);
    near(s.g[2], 4 * u.g[2], 1e-14);
  });
  it("mismatched pairs rotate by one (odd sizes too), and a batch of one is refused", () => {
    expect(Array.from(A.ktoMismatchedPairs(3))).toEqual([2, 0, 1]);
    expect(Array.from(A.ktoMismatchedPairs(4))).toEqual([3, 0, 1, 2]);
    for (const m of [2, 3, 5, 8]) {
      const j = A.ktoMismatchedPairs(m);
      expect(new Set(j).size).toBe(m); // every completion used once
      for (let i = 0; i < m; i++) expect(j[i]).not.toBe(i); // never the matched one
    }
    expect(() => A.ktoMismatchedPairs(1)).toThrow(/m ≥ 2/);
    expect(() => A.unpairedLoss("kto", { scores: [-1], refScores: [-1], labels: [1], klScores: [-1], klRefScores: [-1] })).toThrow(/m ≥ 2/);
  });
  it("the balance band: λ_D·n_D/(λ_U·n_U) in [1, 4/3], with TRL's recommended ranges", () => {
    expect(A.ktoWeightBand(100, 100).ok).toBe(true);
    const b = A.ktoWeightBand(100, 300);
    expect(b.ok).toBe(false);
    expect(b.desirable).toEqual([3, 3.99]);
    expect(b.undesirable).toEqual([0.25, 0.33]);
    expect(b.message).toMatch(/desirableWeight in \[3, 3.99\]/);
    expect(A.ktoWeightBand(100, 300, { desirableWeight: 3.5 }).ok).toBe(true);
    expect(A.ktoWeightBand(100, 300, { undesirableWeight: 0.3 }).ok).toBe(true);
  });
  it("apo_zero_unpaired: λ_D(1 − σ(βρ)) and λ_U σ(βρ), no z0", () => {
    const r = A.unpairedLoss("apo_zero_unpaired", { scores: [-10, -12], refScores: [-11, -11.5], labels: [true, false] });
    near(r.losses[0], sig(-0.1), 1e-12);
    near(r.losses[1], sig(-0.05), 1e-12);
    expect(r.z0).toBe(0);
    fdCheck((x) => A.unpairedLoss("apo_zero_unpaired", { scores: x, refScores: [-11, -11.5], labels: [true, false] }).loss, Float64Array.from([-10, -12]), r.g);
    expect(() => A.unpairedLoss("apo_zero_unpaired", { scores: [-10, -12], refScores: [-11, -11.5], labels: [1, 0], z0: 0.1 })).toThrow(/no KL reference point/);
  });
  it("errors: no reference point, bad labels, unknown kind", () => {
    expect(() => A.unpairedLoss("kto", { scores: [-1, -2], refScores: [-1, -2], labels: [1, 0] })).toThrow(/reference point/);
    expect(() => A.unpairedLoss("kto", { scores: [-1, -2], refScores: [-1, -2], labels: [1, 2], z0: 0 })).toThrow(/labels\[1\]/);
    expect(() => A.unpairedLoss("kot" as never, { scores: [-1], refScores: [-1], labels: [1], z0: 0 })).toThrow(/did you mean "kto"/);
    expect(() => A.unpairedLoss("kto", { scores: [-1, -2], refScores: [-1, -2], labels: [1, 0], z0: -0.1 })).toThrow(/z0/);
  });
});

describe("DRO", () => {
  it("the published vectors (τ = 1 and τ = 0.5)", () => {
    const b = { scores: [-10], refScores: [-10.5], rewards: [1], values: [0.3] };
    const r1 = A.droLoss(b, { tau: 1 });
    near(r1.loss, 0.02, 1e-12);
    near(r1.g[0], -0.2, 1e-12);
    near(r1.gValue[0], -0.2, 1e-12);
    near(A.droLoss(b, { tau: 1, rescale: false }).g[0], -0.2, 1e-12);
    const r2 = A.droLoss(b, { tau: 0.5 });
    near(r2.loss, 0.10125, 1e-12);
    near(r2.g[0], -0.45, 1e-12); // rescaled by 1/τ
    near(r2.gValue[0], -0.45, 1e-12);
    near(A.droLoss(b, { tau: 0.5, rescale: false }).g[0], -0.225, 1e-12);
    near(r2.metrics["dro/mse"], 0.45 * 0.45, 1e-12);
    near(r2.metrics["rewards/implied"], 0.25, 1e-12);
  });

  it("gradient descent on the expected loss of a bandit converges to π* and V* (to 1e-8)", () => {
    const ref = [0.5, 0.3, 0.2], r = [0.2, 0.5, 0.9], tau = 0.5;
    // π* ∝ π_ref·e^{r/τ}, V* = τ·log Σ π_ref e^{r/τ}
    const w = ref.map((p, i) => p * Math.exp(r[i] / tau));
    const Z = w.reduce((a, b) => a + b, 0);
    const star = w.map((x) => x / Z), vStar = tau * Math.log(Z);
    [0.26915355, 0.29425785, 0.43658859].forEach((p, i) => printed(star[i], p, 8));
    printed(vStar, 0.50966302, 8);
    // softmax policy θ and scalar V; data y ∼ μ = π_ref (expectation taken exactly)
    const theta = new Float64Array(3);
    let V = 0;
    const logRef = ref.map(Math.log);
    for (let it = 0; it < 4000; it++) {
      const m = Math.max(...theta);
      const lse = m + Math.log(theta.reduce((s, t) => s + Math.exp(t - m), 0));
      const logp = Array.from(theta, (t) => t - lse);
      const res = A.droLoss({ scores: logp, refScores: logRef, rewards: r, values: [V, V, V] }, { tau, reduction: "sum" });
      // expected loss Σ_y μ_y ℓ_y: ∂/∂θ_k = Σ_y μ_y g_y (1[y = k] − π_k), ∂/∂V = Σ_y μ_y gv_y
      let gs = 0, gV = 0;
      for (let y = 0; y < 3; y++) {
        gs += ref[y] * res.g[y];
        gV += ref[y] * res.gValue[y];
      }
      for (let k = 0; k < 3; k++) theta[k] -= 1.0 * (ref[k] * res.g[k] - Math.exp(logp[k]) * gs);
      V -= 1.0 * gV;
    }
    const m = Math.max(...theta);
    const z = theta.reduce((s, t) => s + Math.exp(t - m), 0);
    for (let k = 0; k < 3; k++) expect(Math.abs(Math.exp(theta[k] - m) / z - star[k])).toBeLessThan(1e-8);
    expect(Math.abs(V - vStar)).toBeLessThan(1e-8);
  });

  it("finite differences for the policy score and the value; length normalisation is an explicit option", () => {
    const rr = rand(11);
    const B = 6;
    const s = Float64Array.from({ length: B }, () => -20 * rr());
    const ref = Float64Array.from({ length: B }, () => -20 * rr());
    const rewards = Float64Array.from({ length: B }, () => (rr() < 0.5 ? 1 : 0));
    const values = Float64Array.from({ length: B }, () => rr());
    const tokens = Float64Array.from({ length: B }, () => 1 + Math.floor(10 * rr()));
    for (const lengthNorm of [false, true]) {
      const o = { tau: 0.7, rescale: false, lengthNorm };
      const r = A.droLoss({ scores: s, refScores: ref, rewards, values, tokens }, o);
      fdCheck((x) => A.droLoss({ scores: x, refScores: ref, rewards, values, tokens }, o).loss, s, r.g);
      fdCheck((x) => A.droLoss({ scores: s, refScores: ref, rewards, values: x, tokens }, o).loss, values, r.gValue);
      const resc = A.droLoss({ scores: s, refScores: ref, rewards, values, tokens }, { ...o, rescale: true });
      for (let i = 0; i < B; i++) near(resc.g[i], r.g[i] / 0.7, 1e-12);
    }
    expect(() => A.droLoss({ scores: s, refScores: ref, rewards, values }, { lengthNorm: true })).toThrow(/token counts/);
    expect(() => A.droLoss({ scores: s, refScores: ref, rewards, values }, { beta: 1 } as never)).toThrow(/unknown option "beta"/);
  });
});

describe("IPO: the bandit fixed point", () => {
  for (const [tau, want] of [[0.5, 0.7310585786], [0.1, 0.9933071491]] as const) {
    it(`τ = ${tau}: π(y1) → σ(1/(2τ)) = ${want}; DPO on the same data keeps pushing`, () => {
      const run = (kind: "ipo" | "sigmoid", iters: number, lr: number) => {
        const th = [0, 0];
        for (let i = 0; i < iters; i++) {
          const m = Math.max(th[0], th[1]);
          const lse = m + Math.log(Math.exp(th[0] - m) + Math.exp(th[1] - m));
          const l = [th[0] - lse, th[1] - lse];
          const r = A.pairLoss(kind, { chosen: [l[0]], rejected: [l[1]], refChosen: [Math.log(0.5)], refRejected: [Math.log(0.5)] }, { beta: tau, lengthNorm: kind === "ipo" ? false : undefined });
          const p = [Math.exp(l[0]), Math.exp(l[1])];
          const g = r.gChosen[0] + r.gRejected[0];
          th[0] -= lr * (r.gChosen[0] - p[0] * g);
          th[1] -= lr * (r.gRejected[0] - p[1] * g);
        }
        return 1 / (1 + Math.exp(th[1] - th[0]));
      };
      const p = run("ipo", 3000, 0.2);
      expect(Math.abs(p - sig(1 / (2 * tau)))).toBeLessThan(1e-10);
      printed(p, want, 10);
      const d1 = run("sigmoid", 500, 1), d2 = run("sigmoid", 2000, 1);
      expect(d2).toBeGreaterThan(d1);
      expect(d2).toBeGreaterThan(want === 0.7310585786 ? 0.99 : 0.999);
    });
  }
});

describe("finite differences for every loss (f64, ε = 1e-6)", () => {
  const rr = rand(5);
  const B = 5;
  const draw = (lo: number, hi: number) => Float64Array.from({ length: B }, () => lo + (hi - lo) * rr());
  const sw = draw(-30, -5), sl = draw(-30, -5), rw = draw(-30, -5), rl = draw(-30, -5);
  const nw = Float64Array.from({ length: B }, () => 1 + Math.floor(20 * rr())), nl = Float64Array.from({ length: B }, () => 1 + Math.floor(20 * rr()));
  const opts: Record<A.PairLossType, A.PairLossOptions> = {
    sigmoid: {}, cdpo: { labelSmoothing: 0.2 }, robust: { labelSmoothing: 0.3 }, ipo: { beta: 0.3 }, hinge: { beta: 0.05 }, slic: { delta: 0.5, sftWeight: 0.1 },
    sigmoid_norm: { beta: 1 }, sppo_hard: {}, nca_pair: { beta: 0.2 }, bco_pair: {},
  };
  for (const kind of A.PAIR_LOSSES) {
    for (const reduction of ["mean", "sum"] as const) {
      it(`${kind} (${reduction})`, () => {
        const o = { ...opts[kind], reduction };
        const sc = (a: Float64Array, b: Float64Array) => ({ chosen: a, rejected: b, refChosen: kind === "slic" ? null : rw, refRejected: kind === "slic" ? null : rl, chosenTokens: nw, rejectedTokens: nl });
        const r = A.pairLoss(kind, sc(sw, sl), o);
        // the hinge losses must be away from their kink for a derivative to exist
        if (kind === "hinge" || kind === "slic") expect(r.losses.some((l) => l > 1e-3)).toBe(true);
        fdCheck((x) => A.pairLoss(kind, sc(x, sl), o).loss, sw, r.gChosen);
        fdCheck((x) => A.pairLoss(kind, sc(sw, x), o).loss, sl, r.gRejected);
        const sum = r.losses.reduce((a, b) => a + b, 0);
        near(r.loss, reduction === "mean" ? sum / B : sum, 1e-14);
      });
    }
  }
  it("kto and apo_zero_unpaired", () => {
    const labels = [1, 0, 1, 1, 0];
    for (const kind of A.UNPAIRED_LOSSES) {
      const z = kind === "kto" ? { z0: 0.3 } : {};
      const o = { beta: 0.4, desirableWeight: 1.2, undesirableWeight: 0.8 };
      const r = A.unpairedLoss(kind, { scores: sw, refScores: rw, labels, ...z }, o);
      fdCheck((x) => A.unpairedLoss(kind, { scores: x, refScores: rw, labels, ...z }, o).loss, sw, r.g);
    }
  });
  it("sft (token mean, per-sequence mean, sum)", () => {
    for (const o of [{}, { reduction: "mean" as const, lengthNorm: true }, { reduction: "sum" as const }]) {
      const r = A.sftLoss({ scores: sw, tokens: nw }, o);
      fdCheck((x) => A.sftLoss({ scores: x, tokens: nw }, o).loss, sw, r.g);
    }
    const t = A.sftLoss({ scores: sw, tokens: nw });
    near(t.loss, -sw.reduce((a, b) => a + b, 0) / nw.reduce((a, b) => a + b, 0), 1e-14);
  });
  it("divergences w.r.t. the student logits (with temperature and a mask)", () => {
    const V = 6, R = 4;
    const s = Float64Array.from({ length: R * V }, () => 6 * rr() - 3);
    const t = Float64Array.from({ length: R * V }, () => 6 * rr() - 3);
    const mask = [1, 0, 1, 1];
    for (const [kind, beta] of [["fkl", undefined], ["rkl", undefined], ["gjsd", 0.3], ["gjsd", 0.5], ["gjsd", 0]] as const) {
      const o = { vocab: V, mask, temperature: 1.7, ...(beta !== undefined ? { beta } : {}) };
      const r = A.tokenDivergence(kind, s, t, o);
      expect(r.tokens).toBe(3);
      for (let v = 0; v < V; v++) expect(r.dlogits[V + v]).toBe(0);
      fdCheck((x) => A.tokenDivergence(kind, x, t, o).loss, s, r.dlogits);
    }
  });
  it("the whole chain: logits → log-probs → masked sums → DPO → scatter → dlogits", () => {
    const V = 5, T = 3;
    const zw = Float64Array.from({ length: T * V }, () => 4 * rr() - 2), zl = Float64Array.from({ length: T * V }, () => 4 * rr() - 2);
    const yw = [1, 4, 0], yl = [2, 2, 3];
    const mask = [0, 1, 1];
    const refs = { refChosen: [-2.5], refRejected: [-3] };
    const loss = (a: Float64Array, b: Float64Array) => {
      const la = A.tokenLogProbs(a, yw, { vocab: V }), lb = A.tokenLogProbs(b, yl, { vocab: V });
      const sa = A.sequenceScores(la.logp, mask, { cols: T }), sb = A.sequenceScores(lb.logp, mask, { cols: T });
      return { la, lb, r: A.pairLoss("sigmoid", { chosen: sa.scores, rejected: sb.scores, ...refs }, { beta: 0.5 }) };
    };
    const { la, lb, r } = loss(zw, zl);
    const dw = A.logitsBackward(A.scatterSequenceGrad(r.gChosen, mask, { cols: T }), zw, la.lse, yw, { vocab: V });
    const dl = A.logitsBackward(A.scatterSequenceGrad(r.gRejected, mask, { cols: T }), zl, lb.lse, yl, { vocab: V });
    fdCheck((x) => loss(x, zl).r.loss, zw, dw);
    fdCheck((x) => loss(zw, x).r.loss, zl, dl);
  });
});

describe("divergences: the JSD table (T = [0.7, 0.2, 0.1], S = [0.5, 0.3, 0.2])", () => {
  const T = Float64Array.from([0.7, 0.2, 0.1], Math.log), S = Float64Array.from([0.5, 0.3, 0.2], Math.log);
  const table: Array<[string, A.DivergenceType, number | undefined, number, number[]]> = [
    ["β = 0 (forward KL)", "gjsd", 0, 0.085122826, [-0.2, 0.1, 0.1]],
    ["forward KL", "fkl", undefined, 0.085122826, [-0.2, 0.1, 0.1]],
    ["β = 0.1", "gjsd", 0.1, 0.0076946877, [-0.01801777, 0.00893235, 0.00908541]],
    ["β = 0.5", "gjsd", 0.5, 0.021901179, [-0.05084842, 0.02418742, 0.026661]],
    ["β = 0.9", "gjsd", 0.9, 0.0081847558, [-0.01901561, 0.00851542, 0.01050019]],
    ["β = 1 (reverse KL)", "gjsd", 1, 0.0920328502, [-0.21425254, 0.09402968, 0.12022287]],
    ["reverse KL", "rkl", undefined, 0.0920328502, [-0.21425254, 0.09402968, 0.12022287]],
  ];
  for (const [name, kind, beta, value, grad] of table) {
    it(name, () => {
      const r = A.tokenDivergence(kind, S, T, { vocab: 3, ...(beta !== undefined ? { beta } : {}) });
      printed(r.loss, value, 10);
      for (let v = 0; v < 3; v++) printed(r.dlogits[v], grad[v], 8);
    });
  }
  it("closed forms to 1e-12, the endpoints are discontinuous in β, 0·log 0 = 0", () => {
    const t = [0.7, 0.2, 0.1], s = [0.5, 0.3, 0.2];
    const kl = (p: number[], q: number[]) => p.reduce((a, pv, i) => a + (pv > 0 ? pv * Math.log(pv / q[i]) : 0), 0);
    near(A.tokenDivergence("fkl", S, T, { vocab: 3 }).loss, kl(t, s), 1e-12);
    near(A.tokenDivergence("rkl", S, T, { vocab: 3 }).loss, kl(s, t), 1e-12);
    const m = t.map((x, i) => 0.5 * x + 0.5 * s[i]);
    near(A.tokenDivergence("gjsd", S, T, { vocab: 3 }).loss, 0.5 * kl(t, m) + 0.5 * kl(s, m), 1e-12);
    // β → 0 tends to 0, not to KL(T‖S): the endpoint is a special case (TRL's convention)
    expect(A.tokenDivergence("gjsd", S, T, { vocab: 3, beta: 1e-9 }).loss).toBeLessThan(1e-8);
    // a teacher with a zero: FKL ignores it, RKL clamps the teacher's log, no NaN anywhere
    const T0 = Float64Array.from([Math.log(0.8), Math.log(0.2), -Infinity]);
    const f = A.tokenDivergence("fkl", S, T0, { vocab: 3 });
    near(f.loss, 0.8 * Math.log(0.8 / 0.5) + 0.2 * Math.log(0.2 / 0.3), 1e-12);
    const rk = A.tokenDivergence("rkl", S, T0, { vocab: 3 });
    expect(Number.isFinite(rk.loss)).toBe(true);
    expect(rk.loss).toBeGreaterThan(0.2 * 80); // 0.2·(log 0.2 − log FLT_MIN) ≈ 17.1
    const j = A.tokenDivergence("gjsd", S, T0, { vocab: 3, beta: 0.5 });
    expect(Array.from(j.dlogits).every(Number.isFinite)).toBe(true);
  });
  it("options: beta only for gjsd and in [0, 1]; f32 logits agree with f64", () => {
    expect(() => A.tokenDivergence("fkl", S, T, { vocab: 3, beta: 0.5 })).toThrow(/has none/);
    expect(() => A.tokenDivergence("gjsd", S, T, { vocab: 3, beta: 1.5 })).toThrow(/\[0, 1\]/);
    expect(() => A.tokenDivergence("jsd" as never, S, T, { vocab: 3 })).toThrow(/did you mean/);
    const r32 = A.tokenDivergence("gjsd", Float32Array.from(S), Float32Array.from(T), { vocab: 3 });
    expect(r32.dlogits).toBeInstanceOf(Float32Array);
    expect(Math.abs(r32.loss - 0.021901179)).toBeLessThan(1e-7);
    expect(() => A.tokenDivergence("fkl", Float32Array.from(S), T, { vocab: 3 })).toThrow(ShapeError);
  });
});

describe("sequence-level KL by the chain rule", () => {
  it("vocab {a, b}, length 2: Σ of exact per-token KLs along P equals the enumeration (0.0775594461)", () => {
    // P(a) = 0.6, P(a|a) = 0.7, P(a|b) = 0.4; Q uniform everywhere. Rows: first step, then
    // the second step after a and after b.
    const P = Float64Array.from([0.6, 0.4, 0.7, 0.3, 0.4, 0.6], Math.log);
    const Q = new Float64Array(6); // uniform logits
    const r = A.tokenDivergence("fkl", Q, P, { vocab: 2, reduction: "sum" });
    printed(r.perToken[0], 0.0201355136, 10);
    const chain = r.perToken[0] + 0.6 * r.perToken[1] + 0.4 * r.perToken[2];
    let enumerated = 0;
    const p1 = [0.6, 0.4], p2 = [[0.7, 0.3], [0.4, 0.6]];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) enumerated += p1[a] * p2[a][b] * Math.log((p1[a] * p2[a][b]) / 0.25);
    near(chain, enumerated, 1e-13);
    printed(chain, 0.0775594461, 10);
  });
});

describe("numerical extremes (z = ±50, ±500)", () => {
  for (const z of [50, -50, 500, -500, 700, -700]) {
    it(`z = ${z}: softplus, log σ and σ stay exact and finite`, () => {
      // DPO with β = 1 and h = z: loss softplus(−z), ∂/∂S_w = −σ(−z)
      const r = A.pairLoss("sigmoid", { chosen: [z], rejected: [0], refChosen: [0], refRejected: [0] }, { beta: 1 });
      const want = z > 0 ? Math.exp(-z) : -z + Math.log1p(Math.exp(z)); // softplus(−z)
      near(r.loss, z > 0 ? Math.log1p(Math.exp(-z)) : want, 1e-14, 1e-320);
      near(-r.gChosen[0], z > 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z)), 1e-14, 1e-320);
      expect(Number.isFinite(r.loss) && Number.isFinite(r.gChosen[0])).toBe(true);
      for (const kind of A.PAIR_LOSSES) {
        const x = A.pairLoss(kind, { chosen: [z], rejected: [-z], refChosen: [0], refRejected: [0], chosenTokens: [3], rejectedTokens: [2] }, { beta: 1, labelSmoothing: 0.1 });
        expect(Number.isFinite(x.loss) && Number.isFinite(x.gChosen[0]) && Number.isFinite(x.gRejected[0]), kind).toBe(true);
      }
      const k = A.unpairedLoss("kto", { scores: [z, z], refScores: [0, 0], labels: [1, 0], z0: 0 }, { beta: 1 });
      expect(Array.from(k.g).every(Number.isFinite) && Array.from(k.losses).every(Number.isFinite)).toBe(true);
      if (Math.abs(z) === 500) {
        // the saturated side of KTO: the gradient underflows to ~e^{−500}, not to NaN
        expect(Math.abs(k.g[z > 0 ? 0 : 1])).toBeLessThan(1e-200);
      }
      const logits = Float64Array.from([z, 0, -z]);
      const t = A.tokenLogProbs(logits, [2], { vocab: 3 });
      // log-softmax is exact to the rounding of lse (≈ |z|), as in every framework
      near(t.logp[0], z >= 0 ? -2 * z - Math.log1p(Math.exp(-z) + Math.exp(-2 * z)) : -Math.log1p(Math.exp(z) + Math.exp(2 * z)), 1e-14, Math.abs(z));
    });
  }
});

describe("options and errors", () => {
  it("unknown keys name the closest option; ranges are checked", () => {
    expect(() => A.pairLoss("sigmoid", PAIR, { bta: 0.1 } as never)).toThrow(/did you mean "beta"/);
    expect(() => A.pairLoss("robust", PAIR, { labelSmoothing: 0.5 })).toThrow(/\[0, 0.5\)/);
    expect(() => A.pairLoss("cdpo", PAIR, { labelSmoothing: 0.6 })).toThrow(/\[0, 0.5\]/);
    expect(() => A.pairLoss("sigmoid", PAIR, { beta: 0 })).toThrow(/beta/);
    expect(() => A.pairLoss("sigmoid", { chosen: [-1], rejected: [-2] })).toThrow(/refChosen and refRejected are required/);
    expect(() => A.pairLoss("ipo", { ...PAIR, chosenTokens: null })).toThrow(/lengthNorm: false/);
    expect(() => A.pairLoss("sigmoid_norm", PAIR, { lengthNorm: false })).toThrow(/contradicts/);
    expect(() => A.pairLoss("dpo" as never, PAIR)).toThrow(/unknown pairwise loss "dpo"/);
    expect(() => A.pairLoss("sigmoid", { ...PAIR, rejected: [1, 2] })).toThrow(ShapeError);
    expect(() => A.pairLoss("sigmoid", { ...PAIR, chosen: [NaN] })).toThrow(/chosen/);
    expect(() => A.pairLoss("sigmoid", { chosen: [], rejected: [] })).toThrow(/empty/);
    expect(() => A.pairLoss(["sigmoid", "sft"], PAIR, { weights: [1] })).toThrow(/one per loss/);
    expect(() => A.sftLoss({ scores: [-1] }, { reduction: "tokens" })).toThrow(/token counts/);
  });
  it("lossType resolves aliases and suggests", () => {
    expect(A.lossType("dpo")).toBe("sigmoid");
    expect(A.lossType("m-kto")).toBe("kto");
    expect(A.lossType("ipo")).toBe("ipo");
    expect(() => A.lossType("ipoo")).toThrow(/did you mean "ipo"/);
    for (const k of A.LOSS_TYPES) expect(A.LOSSES[k].formula.length).toBeGreaterThan(5);
  });
});
