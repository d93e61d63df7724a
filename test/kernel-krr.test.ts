// Nyström features (regularised / plain; Calandriello, Lazaric & Valko, AISTATS 2017, Lemma 5)
// and Nyström kernel ridge regression (their Eq. 8), against dense references.
import { describe, it, expect, beforeAll } from "vitest";
import { maxAbsDiff } from "./core/assert.js";
import * as S from "../sdk/index.js";
import { blob, coherentMixture, lcg, gauss } from "./kernel/data.js";

beforeAll(async () => {
  await S.init();
});

/** Largest |a_i − b_i|; fails on a length mismatch, NaN propagates. */
const maxAbs = maxAbsDiff;

function rows(X: S.Matrix, r0: number, r1: number): S.Matrix {
  return new S.Matrix(r1 - r0, X.cols, X.data.slice(r0 * X.cols, r1 * X.cols));
}

describe("NystromFeatures", () => {
  const kernel = S.rbf({ gamma: 0.5 });
  const X = blob(150, 2, 21, 1.5);
  const sq = () => {
    const s = new S.Squeak({ kernel, lambda: 0.3, qbar: 6, seed: 2 });
    const d = s.push(X).dictionary();
    s.dispose();
    return d;
  };

  it("regularised features reproduce K S (Sᵀ K_DD S + γI)⁻¹ Sᵀ K, and K − K̃ ⪰ 0", () => {
    const d = sq();
    const m = d.size, n = X.rows, lambda = d.params.lambda;
    const Z = new S.NystromFeatures(d).transform(X);
    expect([Z.rows, Z.cols]).toEqual([n, m]);
    const approx = S.linalg.gemm(Z, Z, { transB: true });
    // Dense reference.
    const KnD = kernel.matrix(X, d.points);
    const s = Float64Array.from(d.weights, Math.sqrt);
    const C = KnD.clone();
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) C.data[i * m + j] *= s[j];
    const W = kernel.matrix(d.points);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) W.data[i * m + j] *= s[i] * s[j];
    for (let i = 0; i < m; i++) W.data[i * m + i] += lambda;
    const sol = S.linalg.solveSPD(W, C.transpose()) as S.Matrix; // m×n
    const ref = S.linalg.gemm(C, sol);
    expect(maxAbs(approx.data, ref.data)).toBeLessThan(1e-10);
    const E = S.linalg.gemm(Z, Z, { transB: true, alpha: -1, beta: 1, C: kernel.matrix(X) });
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) E.data[j * n + i] = E.data[i * n + j];
    expect(S.linalg.eigvalsh(E)[0]).toBeGreaterThan(-1e-9);
  });

  it("plain features reproduce K_nD K_DD⁻¹ K_Dn (weights cancel) and are exact on the centres", () => {
    const d = sq();
    const m = d.size;
    const Z = new S.NystromFeatures(d, { mode: "plain" }).transform(X);
    const KnD = kernel.matrix(X, d.points);
    const sol = S.linalg.solveSPD(kernel.matrix(d.points), KnD.transpose()) as S.Matrix;
    const ref = S.linalg.gemm(KnD, sol);
    const approx = S.linalg.gemm(Z, Z, { transB: true });
    expect(maxAbs(approx.data, ref.data)).toBeLessThan(1e-6);
    const Zc = new S.NystromFeatures(d, { mode: "plain" }).transform(d.points);
    const Kc = S.linalg.gemm(Zc, Zc, { transB: true });
    expect(maxAbs(Kc.data, kernel.matrix(d.points).data)).toBeLessThan(1e-6);
    expect(m).toBeGreaterThan(0);
  });

  it("approximationError matches a dense eigenvalue computation", () => {
    const d = sq();
    const f = new S.NystromFeatures(d, { mode: "plain" });
    const Z = f.transform(X);
    const E = S.linalg.gemm(Z, Z, { transB: true, alpha: -1, beta: 1, C: kernel.matrix(X) });
    const n = X.rows;
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) E.data[j * n + i] = E.data[i * n + j];
    const ev = S.linalg.eigvalsh(E);
    const ref = Math.max(Math.abs(ev[0]), Math.abs(ev[n - 1]));
    const est = f.approximationError(X, { iters: 2000, tol: 1e-12 });
    expect(Math.abs(est - ref) / ref).toBeLessThan(1e-3);
  });

  it("validates arguments", () => {
    const d = sq();
    expect(() => new S.NystromFeatures(d, { mode: "x" as S.NystromMode })).toThrow(/mode/);
    expect(() => new S.NystromFeatures(d).transform([[1, 2, 3]])).toThrow(S.ShapeError);
    expect(() => new S.NystromFeatures(d).transform([[1, Number.NaN]])).toThrow(/X\[0, 1\]/);
    const u = S.uniformNystrom(X, 10, { kernel });
    expect(() => new S.NystromFeatures(u)).toThrow(/lambda/);
    expect(new S.NystromFeatures(u, { mode: "plain" }).transform(X).cols).toBe(10);
  });
});

describe("uniformNystrom", () => {
  it("draws m distinct points with weights n/m, deterministically per seed", () => {
    const X = blob(200, 3, 1);
    const kernel = S.rbf({ gamma: 1 });
    const a = S.uniformNystrom(X, 50, { kernel, seed: 3 });
    const b = S.uniformNystrom(X, 50, { kernel, seed: 3 });
    const c = S.uniformNystrom(X, 50, { kernel, seed: 4 });
    expect(new Set(a.indices).size).toBe(50);
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(Array.from(a.indices)).not.toEqual(Array.from(c.indices));
    for (const w of a.weights) expect(w).toBeCloseTo(200 / 50, 12);
    expect(a.params.method).toBe("uniform");
    expect(() => S.uniformNystrom(X, 0, { kernel })).toThrow(/m must be/);
    expect(() => S.uniformNystrom(X, 201, { kernel })).toThrow(/m must be/);
  });
});

describe("NystromKRR", () => {
  const kernel = S.rbf({ gamma: 0.5 });

  function regression(n: number, seed: number): { X: S.Matrix; y: Float64Array } {
    const X = blob(n, 2, seed, 1.5);
    const u = lcg(seed + 100);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = Math.hypot(X.data[2 * i], X.data[2 * i + 1]);
      y[i] = Math.sin(2 * r) + 0.3 * X.data[2 * i] + 0.1 * gauss(u);
    }
    return { X, y };
  }

  it("m-parameter form equals the paper's form (K̃ + μI)⁻¹y on the training points", () => {
    const { X, y } = regression(160, 3);
    const s = new S.Squeak({ kernel, lambda: 0.2, qbar: 5, seed: 1 });
    const d = s.push(X).dictionary();
    s.dispose();
    const ridge = 0.05;
    const model = S.NystromKRR.fit(d, X, y, { ridge });
    const pred = model.predict(X) as Float64Array;
    // Paper form: f = K̃ (K̃ + μI)⁻¹ y with K̃ = Z Zᵀ (regularised features).
    const Z = new S.NystromFeatures(d).transform(X);
    const n = X.rows;
    const A = S.linalg.gemm(Z, Z, { transB: true });
    for (let i = 0; i < n; i++) A.data[i * n + i] += ridge;
    const w = S.linalg.solveSPD(A, y) as Float64Array;
    const ref = S.linalg.gemm(Z, S.linalg.gemm(Z, new S.Matrix(n, 1, w), { transA: true })).data;
    expect(maxAbs(pred, ref)).toBeLessThan(1e-8);
  });

  it("exact mode equals dense KRR (K + μI)⁻¹y", () => {
    const { X, y } = regression(100, 5);
    const ridge = 0.1;
    const model = S.NystromKRR.fit("exact", X, y, { ridge, kernel });
    const K = kernel.matrix(X);
    const A = K.clone();
    for (let i = 0; i < 100; i++) A.data[i * 101] += ridge;
    const alpha = S.linalg.solveSPD(A, y) as Float64Array;
    const Xt = blob(30, 2, 77);
    const ref = S.linalg.gemm(kernel.matrix(Xt, X), new S.Matrix(100, 1, alpha)).data;
    expect(maxAbs(model.predict(Xt) as Float64Array, ref)).toBeLessThan(1e-10);
  });

  it("test RMSE within 5% of exact KRR at n = 2000 (SQUEAK centres, γ ≲ μ)", () => {
    const { X, y } = regression(2000, 11);
    const { X: Xt, y: yt } = regression(500, 12);
    const ridge = 0.1;
    const exact = S.NystromKRR.fit("exact", X, y, { ridge, kernel }).score(Xt, yt);
    // γ = μ/5 (Calandriello et al. 2017, Cor. 1: the risk is within (1 + γ/(μ(1−ε)))² of exact KRR's; measured: the
    // μγ·diag(1/w) term costs ≈ 2% here at γ = μ/5 and ≈ 5% at γ = μ).
    const s = new S.Squeak({ kernel, lambda: ridge / 5, qbar: 8, seed: 1 });
    const d = s.push(X).dictionary();
    s.dispose();
    const approx = S.NystromKRR.fit(d, X, y, { ridge }).score(Xt, yt);
    expect(approx.rmse, `SQUEAK-KRR RMSE ${approx.rmse} (m = ${d.size}) vs exact ${exact.rmse}`).toBeLessThan(1.05 * exact.rmse);
    expect(approx.r2).toBeGreaterThan(0.5);
    // Standard Nyström KRR on the same centres (no μγ·diag(1/w) term) is within 1%.
    const plain = S.NystromKRR.fit(d, X, y, { ridge, lambda: 0 }).score(Xt, yt);
    expect(plain.rmse).toBeLessThan(1.01 * exact.rmse);
    const uni = S.NystromKRR.fit({ uniform: d.size, seed: 1 }, X, y, { ridge, kernel }).score(Xt, yt);
    expect(uni.rmse).toBeGreaterThan(0);
  });

  it("streaming accumulation over batches equals a one-shot fit; multi-output equals separate fits", async () => {
    const { X, y } = regression(600, 7);
    const s = new S.Squeak({ kernel, lambda: 0.1, qbar: 6, seed: 3 });
    const d = s.push(X).dictionary();
    s.dispose();
    const ridge = 0.1;
    const one = S.NystromKRR.fit(d, X, y, { ridge });
    async function* batches() {
      for (let r = 0; r < 600; r += 123) yield { X: rows(X, r, Math.min(600, r + 123)), y: y.slice(r, Math.min(600, r + 123)) };
    }
    const streamed = await S.NystromKRR.fitStream(d, batches(), { ridge });
    expect(maxAbs(one.alpha.data, streamed.alpha.data)).toBeLessThan(1e-9);
    // Two outputs: y and 2y − 1.
    const Y = new S.Matrix(600, 2);
    for (let i = 0; i < 600; i++) Y.data.set([y[i], 2 * y[i] - 1], 2 * i);
    const multi = S.NystromKRR.fit(d, X, Y, { ridge });
    const y2 = Float64Array.from(y, (v) => 2 * v - 1);
    const second = S.NystromKRR.fit(d, X, y2, { ridge });
    const P = multi.predict(X) as S.Matrix;
    expect(P).toBeInstanceOf(S.Matrix);
    expect(maxAbs(P.col(0), one.predict(X) as Float64Array)).toBeLessThan(1e-9);
    expect(maxAbs(P.col(1), second.predict(X) as Float64Array)).toBeLessThan(1e-9);
  });

  it("accuracy for ±1 labels, and a JSON round trip predicts identically", () => {
    const X = coherentMixture(800, 2, 3, 10, 5);
    const y = Float64Array.from({ length: 800 }, (_, i) => (X.data[2 * i] + 0.5 * X.data[2 * i + 1] > 0 ? 1 : -1));
    const s = new S.Squeak({ kernel, lambda: 0.05, qbar: 8, seed: 9 });
    const d = s.push(X).dictionary();
    s.dispose();
    const model = S.NystromKRR.fit(d, X, y, { ridge: 0.05 });
    const sc = model.score(X, y);
    expect(sc.accuracy).toBeGreaterThan(0.9);
    const back = S.NystromKRR.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect(Array.from(back.predict(X) as Float64Array)).toEqual(Array.from(model.predict(X) as Float64Array));
    const dj = S.dictionaryFromJSON(JSON.parse(JSON.stringify(S.dictionaryToJSON(d))));
    expect(Array.from(dj.weights)).toEqual(Array.from(d.weights));
    expect(Array.from(dj.points.data)).toEqual(Array.from(d.points.data));
    expect(() => S.NystromKRR.fromJSON({ format: "nope" })).toThrow(/format/);
    expect(() => S.dictionaryFromJSON({ format: "nope" })).toThrow(/format/);
  });

  it("bad input: clear errors", () => {
    const { X, y } = regression(50, 1);
    const d = S.uniformNystrom(X, 10, { kernel, lambda: 0.1 });
    expect(() => S.NystromKRR.fit(d, X, y, { ridge: 0 })).toThrow(/ridge/);
    expect(() => S.NystromKRR.fit(d, X, y.slice(0, 49), { ridge: 1 })).toThrow(/y: expected length 50/);
    expect(() => S.NystromKRR.fit(d, X, Float64Array.from(y, (v, i) => (i === 3 ? Number.NaN : v)), { ridge: 1 })).toThrow(/y\[3\]/);
    expect(() => S.NystromKRR.fit("exact", X, y, { ridge: 1 })).toThrow(/kernel/);
    const model = S.NystromKRR.fit(d, X, y, { ridge: 1 });
    expect(() => model.predict([[1, 2, 3]])).toThrow(S.ShapeError);
    const acc = S.NystromKRR.accumulator(d, { ridge: 1 });
    expect(() => acc.finish()).toThrow(/no training rows/);
  });
});

describe("engine memory", () => {
  it("no engine allocation outlives its owner (Squeak, InkEstimate, dictUpdate, estimators, KRR, features)", async () => {
    const kernel = S.rbf({ gamma: 0.5 });
    const X = coherentMixture(600, 2, 5, 10, 5);
    const y = Float64Array.from({ length: 600 }, (_, i) => X.data[2 * i]);
    const eng = S.getEngine();
    const before = eng.liveAllocations;
    const sq = new S.Squeak({ kernel, lambda: 0.5, qbar: 8, seed: 1 });
    sq.push(X);
    const d = sq.dictionary();
    sq.dispose();
    const ink = new S.InkEstimate({ kernel, lambda: 0.5, budget: 50, seed: 1 });
    await ink.consume([X]);
    ink.dictionary();
    ink.dispose();
    const rng = new S.Rng(1);
    S.dictUpdate({ points: d.points, pTilde: d.pTilde, copies: d.copies }, { kernel, lambda: 0.5, eps: 0.5, qbar: 8, rng });
    rng.dispose();
    S.estimateRls(d, X);
    S.NystromKRR.fit(d, X, y, { ridge: 0.1 }).predict(X);
    const acc = S.NystromKRR.accumulator(d, { ridge: 0.1 });
    acc.add(X, y);
    acc.finish();
    S.nystromError(d, X, { subset: 200 });
    expect(() => S.NystromKRR.accumulator(d, { ridge: 0.1 }).finish()).toThrow(/no training rows/);
    expect(eng.liveAllocations).toBe(before);
  });
});

