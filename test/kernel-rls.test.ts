// Exact ridge leverage scores (Calandriello, Lazaric & Valko, AISTATS 2017, Def. 2, Eq. 3), the
// dictionary estimator (their Eq. 4/5) and DICT-UPDATE (their Alg. 1), checked against dense
// references.
import { describe, it, expect, beforeAll } from "vitest";
import * as S from "../sdk/index.js";
import { blob, coherentMixture } from "./kernel/data.js";

beforeAll(async () => {
  await S.init();
});

/** Dense reference τ_i = (k_ii − k_iᵀ(K + γI)⁻¹k_i)/γ (kernel-trick form), by an SPD solve. */
function rlsKernelTrick(X: S.Matrix, kernel: S.Kernel, lambda: number): Float64Array {
  const n = X.rows;
  const K = kernel.matrix(X);
  const A = K.clone();
  for (let i = 0; i < n; i++) A.data[i * n + i] += lambda;
  const Z = S.linalg.solveSPD(A, K) as S.Matrix; // (K+γI)⁻¹K
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += K.data[i * n + j] * Z.data[j * n + i];
    out[i] = (K.data[i * n + i] - s) / lambda;
  }
  return out;
}

function rows(X: S.Matrix, r0: number, r1: number): S.Matrix {
  return new S.Matrix(r1 - r0, X.cols, X.data.slice(r0 * X.cols, r1 * X.cols));
}

describe("exactRls", () => {
  const kernel = S.rbf({ gamma: 0.5 });
  const X = blob(80, 3, 11);

  it("scores lie in [0, 1), sum to d_eff, and match the spectral and kernel-trick forms", () => {
    const lambda = 0.3;
    const { scores, deff } = S.exactRls(X, kernel, lambda);
    let sum = 0;
    for (const t of scores) {
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThan(1);
      sum += t;
    }
    expect(Math.abs(sum - deff)).toBeLessThan(1e-12);
    const { values, vectors } = S.linalg.eigh(kernel.matrix(X));
    let spectral = 0;
    for (const l of values) spectral += Math.max(l, 0) / (Math.max(l, 0) + lambda);
    expect(Math.abs(deff - spectral)).toBeLessThan(1e-9);
    // τ_i = Σ_k λ_k/(λ_k+γ)·U_ik²
    const n = X.rows;
    for (let i = 0; i < n; i += 7) {
      let t = 0;
      for (let k = 0; k < n; k++) {
        const l = Math.max(values[k], 0);
        t += (l / (l + lambda)) * vectors.data[i * n + k] ** 2;
      }
      expect(Math.abs(t - scores[i])).toBeLessThan(1e-9);
    }
    const kt = rlsKernelTrick(X, kernel, lambda);
    for (let i = 0; i < n; i++) expect(Math.abs(kt[i] - scores[i])).toBeLessThan(1e-9);
  });

  it("sequential facts (Lemma 1): adding a point never increases a score and at most halves it; d_eff grows", () => {
    const lambda = 0.5;
    let prev = S.exactRls(rows(X, 0, 20), kernel, lambda);
    for (let t = 21; t <= 40; t++) {
      const cur = S.exactRls(rows(X, 0, t), kernel, lambda);
      expect(cur.deff).toBeGreaterThanOrEqual(prev.deff - 1e-12);
      for (let i = 0; i < t - 1; i++) {
        const a = prev.scores[i], b = cur.scores[i];
        expect(b).toBeLessThanOrEqual(a + 1e-12);
        expect(b).toBeGreaterThanOrEqual(a / (1 + a) - 1e-12);
      }
      prev = cur;
    }
  });

  it("disjoint data sets (Lemma 3): τ_{i,D} ≥ τ_{i,D∪D′} and d_eff(D) + d_eff(D′) ∈ [d_eff(D∪D′), 2·d_eff(D∪D′)]", () => {
    const lambda = 0.4;
    const A = rows(X, 0, 35), B = rows(X, 35, 80);
    const a = S.exactRls(A, kernel, lambda), b = S.exactRls(B, kernel, lambda), ab = S.exactRls(X, kernel, lambda);
    for (let i = 0; i < 35; i++) expect(a.scores[i]).toBeGreaterThanOrEqual(ab.scores[i] - 1e-12);
    for (let i = 0; i < 45; i++) expect(b.scores[i]).toBeGreaterThanOrEqual(ab.scores[35 + i] - 1e-12);
    expect(a.deff + b.deff).toBeGreaterThanOrEqual(ab.deff - 1e-9);
    expect(a.deff + b.deff).toBeLessThanOrEqual(2 * ab.deff + 1e-9);
  });

  it("duplicates: an isolated point's score drops from 1/(1+γ) to 1/(2+γ) when doubled", () => {
    const lambda = 0.7;
    const far = S.Matrix.fromRows([[0, 0], [100, 100], [100, 100], [-100, 50]]);
    const { scores } = S.exactRls(far, S.rbf({ gamma: 1 }), lambda);
    expect(Math.abs(scores[0] - 1 / (1 + lambda))).toBeLessThan(1e-12);
    expect(Math.abs(scores[1] - 1 / (2 + lambda))).toBeLessThan(1e-12);
    expect(Math.abs(scores[2] - 1 / (2 + lambda))).toBeLessThan(1e-12);
  });

  it("rejects bad input with typed errors naming the argument", () => {
    expect(() => S.exactRls(X, kernel, 0)).toThrow(/lambda/);
    expect(() => S.exactRls(X, kernel, -1)).toThrow(S.ValueError);
    expect(() => S.exactRls([[1, 2], [Number.NaN, 1]], kernel, 1)).toThrow(/X\[1, 0\]/);
    expect(() => S.exactRls([[1, 2], [1]], kernel, 1)).toThrow(S.ShapeError);
    expect(S.exactRls([], kernel, 1).deff).toBe(0);
  });
});

describe("estimator and DICT-UPDATE", () => {
  const kernel = S.rbf({ gamma: 0.5 });
  const X = blob(120, 2, 5);
  const n = X.rows;

  it("with the full data as dictionary (unit weights) the estimate is exactly (1−ε)·τ, in both forms", () => {
    for (const [lambda, eps] of [[1, 0.5], [0.2, 0.1], [3, 0.9]]) {
      const exact = S.exactRls(X, kernel, lambda).scores;
      // In-dictionary shortcut (engine DICT-UPDATE): fresh entries p̃ = 1, q = q̄.
      const qbar = 6;
      const rng = new S.Rng(3);
      const res = S.dictUpdate({ points: X, pTilde: new Float64Array(n).fill(1), copies: new Int32Array(n).fill(qbar) },
        { kernel, lambda, eps, qbar, rng });
      rng.dispose();
      // Out-of-dictionary form (estimateRls) from the full dictionary.
      const full = S.fullDictionary(X, { kernel, lambda });
      const est = S.estimateRls(full, X, { eps });
      for (let i = 0; i < n; i++) {
        expect(Math.abs(res.tau[i] - (1 - eps) * exact[i])).toBeLessThan(1e-10);
        expect(Math.abs(est[i] - (1 - eps) * exact[i])).toBeLessThan(1e-10);
      }
      // Horvitz–Thompson d_eff estimate with unit weights is Σ τ̃/(1−ε) = d_eff exactly.
      const deff = exact.reduce((a, b) => a + b, 0);
      expect(Math.abs(res.deff - deff)).toBeLessThan(1e-8);
    }
  });

  it("DISQUEAK prefactors: c = 1+ε with the proof-consistent prefactor gives (1−ε)·τ(cγ); the printed one c times that", () => {
    const lambda = 0.8, eps = 0.4, c = 1 + eps;
    const exactC = S.exactRls(X, kernel, c * lambda).scores;
    for (const cPref of [c, 1]) {
      const rng = new S.Rng(9);
      const res = S.dictUpdate({ points: X, pTilde: new Float64Array(n).fill(1), copies: new Int32Array(n).fill(4) },
        { kernel, lambda, eps, qbar: 4, c, cPref, rng });
      rng.dispose();
      for (let i = 0; i < n; i++) expect(Math.abs(res.tau[i] - Math.min(1, (1 - eps) * (c / cPref) * exactC[i]))).toBeLessThan(1e-10);
    }
  });

  it("the shortcut equals the direct formula for a weighted dictionary (random p̃, q)", () => {
    const lambda = 0.5, eps = 0.3, qbar = 5;
    const u = Array.from({ length: 40 }, (_, i) => 0.2 + 0.8 * ((i * 37) % 40) / 40);
    const P = rows(X, 0, 40);
    const pTilde = Float64Array.from(u);
    const copies = Int32Array.from(u, (_, i) => 1 + (i % qbar));
    // Direct: τ̃_j = (1−ε)/γ·(k_jj − k_jᵀ(K + γ·diag(1/w))⁻¹k_j)
    const K = kernel.matrix(P);
    const A = K.clone();
    for (let j = 0; j < 40; j++) A.data[j * 40 + j] += lambda * qbar * pTilde[j] / copies[j];
    const Z = S.linalg.solveSPD(A, K) as S.Matrix;
    const rng = new S.Rng(1);
    const res = S.dictUpdate({ points: P, pTilde, copies }, { kernel, lambda, eps, qbar, rng });
    rng.dispose();
    for (let j = 0; j < 40; j++) {
      let s = 0;
      for (let i = 0; i < 40; i++) s += K.data[j * 40 + i] * Z.data[i * 40 + j];
      const direct = Math.min(1, Math.max(0, ((1 - eps) / lambda) * (K.data[j * 41] - s)));
      expect(Math.abs(res.tau[j] - direct)).toBeLessThan(1e-10);
    }
    // The updated entries obey p̃_new = min(p̃_old, τ̃) and q_new ≤ q_old.
    const d = res.dictionary;
    for (let k = 0; k < d.size; k++) {
      const j = d.indices[k];
      expect(d.pTilde[k]).toBe(Math.min(pTilde[j], res.tau[j]));
      expect(d.copies[k]).toBeLessThanOrEqual(copies[j]);
      expect(d.copies[k]).toBeGreaterThanOrEqual(1);
      expect(d.weights[k]).toBe(d.copies[k] / (qbar * d.pTilde[k]));
    }
  });

  it("thinning is Binomial(q, p̃_new/p̃_old): mean surviving copies over many seeds", () => {
    const lambda = 1, eps = 0.5, qbar = 8;
    const P = rows(X, 0, 30);
    const exact = S.exactRls(P, kernel, lambda).scores;
    let total = 0, expected = 0;
    const R = 200;
    for (let r = 0; r < R; r++) {
      const rng = new S.Rng(1000 + r);
      const res = S.dictUpdate({ points: P, pTilde: new Float64Array(30).fill(1), copies: new Int32Array(30).fill(qbar) }, { kernel, lambda, eps, qbar, rng });
      rng.dispose();
      for (const c of res.dictionary.copies) total += c;
    }
    for (const t of exact) expected += R * qbar * (1 - eps) * t;
    // Sum of independent binomials: variance ≤ mean.
    expect(Math.abs(total - expected)).toBeLessThan(5 * Math.sqrt(expected));
  });

  it("RlsEstimator factors once and gives the same scores batch by batch", () => {
    const s = new S.Squeak({ kernel, lambda: 0.5, qbar: 6, seed: 2 });
    const d = s.push(X).dictionary();
    s.dispose();
    const all = S.estimateRls(d, X);
    const est = new S.kernel.RlsEstimator(d);
    const parts = [est.estimate(rows(X, 0, 50)), est.estimate(rows(X, 50, 120))];
    est.dispose();
    expect(Array.from([...parts[0], ...parts[1]])).toEqual(Array.from(all));
    expect(() => est.estimate(X)).toThrow(S.EngineStateError);
    // A practical q̄ gives no per-point guarantee; the mean ratio τ̃/τ should still sit near
    // the (1−ε)-scaled band [(1−ε)/(1+ε), 1].
    const exact = S.exactRls(X, kernel, 0.5).scores;
    let ratio = 0;
    for (let i = 0; i < n; i++) ratio += all[i] / exact[i] / n;
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(1.2);
  });

  it("estimateRls validates its arguments", () => {
    const full = S.fullDictionary(X, { kernel, lambda: 1 });
    expect(() => S.estimateRls(full, [[1, 2, 3]])).toThrow(S.ShapeError);
    expect(() => S.estimateRls(full, [[1, Number.NaN]])).toThrow(/X\[0, 1\]/);
    expect(() => S.estimateRls({} as S.RlsDictionary, X)).toThrow(S.ValueError);
    const plain = S.fullDictionary(X, { kernel });
    expect(() => S.estimateRls(plain, X)).toThrow(/lambda > 0/);
  });

  it("dictUpdate validates candidates", () => {
    const rng = new S.Rng(1);
    const base = { kernel, lambda: 1, eps: 0.5, qbar: 4, rng };
    expect(() => S.dictUpdate({ points: [[0, 0]], pTilde: [1.5], copies: [1] }, base)).toThrow(/pTilde\[0\]/);
    expect(() => S.dictUpdate({ points: [[0, 0]], pTilde: [1], copies: [5] }, base)).toThrow(/copies\[0\]/);
    expect(() => S.dictUpdate({ points: [[0, 0]], pTilde: [1], copies: [1] }, { ...base, eps: 1 })).toThrow(/eps/);
    expect(() => S.dictUpdate({ points: [[0, 0]], pTilde: [1], copies: [1] }, { ...base, lambda: 0 })).toThrow(/lambda/);
    rng.dispose();
  });
});

describe("coherent mixture sanity", () => {
  it("exact d_eff(1) of the 2-D mixture is about 65 (as a numpy prototype of the same mixture gives)", () => {
    const X = coherentMixture(2000, 2, 1);
    const { deff } = S.exactRls(X, S.rbf({ gamma: 0.5 }), 1);
    expect(deff).toBeGreaterThan(55);
    expect(deff).toBeLessThan(75);
  });
});
