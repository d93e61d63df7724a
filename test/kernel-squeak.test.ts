// SQUEAK and INK-Estimate: invariants, size and accuracy guarantees, Nyström quality on the
// coherent mixture, determinism, streaming inputs, bad input (SQUEAK: Calandriello, Lazaric &
// Valko, AISTATS 2017, Alg. 1 and Thm 1; INK-Estimate: the same authors, UAI 2016).
import { describe, it, expect, beforeAll } from "vitest";
import * as S from "../sdk/index.js";
import { blob, coherentMixture } from "./kernel/data.js";

beforeAll(async () => {
  await S.init();
});

function rows(X: S.Matrix, r0: number, r1: number): S.Matrix {
  return new S.Matrix(r1 - r0, X.cols, X.data.slice(r0 * X.cols, r1 * X.cols));
}

/** ‖P − P̃‖₂ (ε-accuracy, Calandriello et al. 2017, Def. 1) by dense eigen-decompositions: Ψ = U·diag(√(λ/(λ+γ)))·Uᵀ and the
 *  norm of Ψ(I − diag(s))Ψ, with s the weights (0 outside the dictionary). */
function accuracyGap(X: S.Matrix, kernel: S.Kernel, lambda: number, dict: S.RlsDictionary): number {
  const n = X.rows;
  const { values, vectors: U } = S.linalg.eigh(kernel.matrix(X));
  const f = Float64Array.from(values, (l) => Math.sqrt(Math.max(l, 0) / (Math.max(l, 0) + lambda)));
  const psi = new S.Matrix(n, n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
    const uik = U.data[i * n + k] * f[k];
    if (uik === 0) continue;
    for (let j = 0; j < n; j++) psi.data[i * n + j] += uik * U.data[j * n + k];
  }
  const s = new Float64Array(n);
  dict.indices.forEach((idx, k) => (s[idx] = dict.weights[k]));
  const B = psi.clone();
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) B.data[i * n + j] *= 1 - s[j];
  const M = S.linalg.gemm(B, psi);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
    const a = 0.5 * (M.data[i * n + j] + M.data[j * n + i]);
    M.data[i * n + j] = a;
    M.data[j * n + i] = a;
  }
  const ev = S.linalg.eigvalsh(M);
  return Math.max(Math.abs(ev[0]), Math.abs(ev[n - 1]));
}

describe("Squeak", () => {
  const kernel = S.rbf({ gamma: 0.5 });

  it("p̃ never increases, q ≤ q̄, dropped points never return, weights are q/(q̄·p̃)", () => {
    const X = blob(900, 2, 3, 2);
    const qbar = 6;
    const sq = new S.Squeak({ kernel, lambda: 0.5, qbar, seed: 4, batch: 64 });
    let prev: S.RlsDictionary | null = null;
    const everDropped = new Set<number>();
    for (let r = 0; r < X.rows; r += 100) {
      sq.push(rows(X, r, r + 100));
      const d = sq.dictionary();
      expect(d.params.n).toBe(r + 100);
      const here = new Map<number, number>();
      d.indices.forEach((idx, k) => here.set(idx, k));
      for (let k = 0; k < d.size; k++) {
        expect(d.copies[k]).toBeGreaterThanOrEqual(1);
        expect(d.copies[k]).toBeLessThanOrEqual(qbar);
        expect(d.pTilde[k]).toBeGreaterThan(0);
        expect(d.pTilde[k]).toBeLessThanOrEqual(1);
        expect(d.weights[k]).toBe(d.copies[k] / (qbar * d.pTilde[k]));
        expect(everDropped.has(d.indices[k])).toBe(false);
        expect(d.indices[k]).toBeLessThan(r + 100);
        // Points are stored verbatim.
        for (let c = 0; c < 2; c++) expect(d.points.data[k * 2 + c]).toBe(X.data[d.indices[k] * 2 + c]);
      }
      if (prev) {
        prev.indices.forEach((idx, k) => {
          const j = here.get(idx);
          if (j === undefined) everDropped.add(idx);
          else {
            expect(d.pTilde[j]).toBeLessThanOrEqual(prev!.pTilde[k]);
            expect(d.copies[j]).toBeLessThanOrEqual(prev!.copies[k]);
          }
        });
      }
      prev = d;
    }
    expect(everDropped.size).toBeGreaterThan(0);
    sq.dispose();
  });

  it("mode \"exact\" is Algorithm 1: each point is appended (p̃ = 1, q = q̄), then one DICT-UPDATE of the whole dictionary", () => {
    const X = blob(48, 2, 3, 2);
    const qbar = 6, seed = 9, lambda = 0.5;
    const sq = new S.Squeak({ kernel, lambda, qbar, seed, mode: "exact" });
    expect(sq.mode).toBe("exact");
    // Reference step by step with the public dictUpdate primitive on (previous dictionary + x_t).
    let prev: S.RlsDictionary | null = null;
    let thinned = false;
    for (let t = 0; t < X.rows; t++) {
      sq.push(rows(X, t, t + 1));
      const d = sq.dictionary();
      expect(d.params.n).toBe(t + 1);
      expect(sq.updates).toBe(t);
      if (prev === null) {
        expect([Array.from(d.indices), Array.from(d.pTilde), Array.from(d.copies)]).toEqual([[0], [1], [qbar]]);
      } else {
        const m = prev.size;
        const pts = new Float64Array(2 * (m + 1));
        pts.set(prev.points.data);
        pts.set(X.data.subarray(2 * t, 2 * t + 2), 2 * m);
        const rng = new S.Rng(seed, t + 1); // the stream of a chain node covering leaves 0..t
        const ref = S.dictUpdate(
          { points: { rows: m + 1, cols: 2, data: pts }, pTilde: [...prev.pTilde, 1], copies: [...prev.copies, qbar], indices: [...prev.indices, t] },
          { kernel, lambda, eps: 0.5, qbar, rng },
        ).dictionary;
        rng.dispose();
        expect(Array.from(d.indices)).toEqual(Array.from(ref.indices));
        expect(Array.from(d.pTilde)).toEqual(Array.from(ref.pTilde));
        expect(Array.from(d.copies)).toEqual(Array.from(ref.copies));
        expect(Array.from(d.tau!)).toEqual(Array.from(ref.tau!));
        // Monotone: p̃ and q never increase for a surviving point.
        const at = new Map<number, number>();
        prev.indices.forEach((idx, k) => at.set(idx, k));
        d.indices.forEach((idx, j) => {
          const k = at.get(idx);
          if (k === undefined) return;
          expect(d.pTilde[j]).toBeLessThanOrEqual(prev!.pTilde[k]);
          expect(d.copies[j]).toBeLessThanOrEqual(prev!.copies[k]);
          if (d.copies[j] < prev!.copies[k]) thinned = true;
        });
      }
      prev = d;
    }
    expect(thinned).toBe(true);
    expect(prev!.size).toBeLessThan(X.rows);
    // How the rows are split into push calls does not matter; another seed draws differently.
    const whole = new S.Squeak({ kernel, lambda, qbar, seed, mode: "exact" });
    whole.push(X);
    expect(Array.from(whole.dictionary().copies)).toEqual(Array.from(prev!.copies));
    const other = new S.Squeak({ kernel, lambda, qbar, seed: seed + 1, mode: "exact" });
    other.push(X);
    const o = other.dictionary();
    expect([Array.from(o.indices), Array.from(o.copies)]).not.toEqual([Array.from(prev!.indices), Array.from(prev!.copies)]);
    for (const x of [sq, whole, other]) x.dispose();
    expect(() => new S.Squeak({ kernel, lambda, mode: "fast" as never })).toThrow(/mode must be one of/);
    expect(() => new S.Squeak({ kernel, lambda, mode: "exact", batch: 16 })).toThrow(/batch applies to mode "lazy" only/);
  });

  it("dictionary size stays below 3·q̄·d_eff, and the d_eff estimate is close to the exact one", () => {
    const X = coherentMixture(1500, 2, 2);
    const lambda = 1;
    const { deff } = S.exactRls(X, kernel, lambda);
    for (const qbar of [4, 8, 16]) {
      const sq = new S.Squeak({ kernel, lambda, qbar, seed: qbar });
      sq.push(X);
      const d = sq.dictionary();
      expect(d.size).toBeLessThanOrEqual(3 * qbar * deff);
      expect(d.size).toBeGreaterThan(deff / 2);
      expect(Math.abs(d.params.deff! - deff) / deff).toBeLessThan(0.35);
      sq.dispose();
    }
  });

  it("ε-accuracy ‖P − P̃‖ ≤ ε at a large q̄ on small n (most seeds)", () => {
    const X = coherentMixture(300, 2, 9, 10, 5);
    const lambda = 1, eps = 0.5;
    let ok = 0;
    const gaps: number[] = [];
    for (let seed = 1; seed <= 4; seed++) {
      const sq = new S.Squeak({ kernel, lambda, eps, qbar: 96, seed, batch: 50 });
      sq.push(X);
      const d = sq.dictionary();
      const gap = accuracyGap(X, kernel, lambda, d);
      gaps.push(gap);
      if (gap <= eps) ok++;
      sq.dispose();
    }
    expect(ok, `‖P − P̃‖ per seed: ${gaps.map((g) => g.toFixed(3)).join(", ")}`).toBeGreaterThanOrEqual(3);
  });

  it("estimator bounds from an ε-accurate dictionary (Lemma 2): τ·(1−ε)/(1+ε) ≤ τ̃ ≤ τ", () => {
    const X = coherentMixture(300, 2, 9, 10, 5);
    const lambda = 1, eps = 0.5;
    const exact = S.exactRls(X, kernel, lambda).scores;
    let checked = 0;
    for (let seed = 1; seed <= 4 && checked < 2; seed++) {
      const sq = new S.Squeak({ kernel, lambda, eps, qbar: 96, seed, batch: 50 });
      const d = sq.push(X).dictionary();
      sq.dispose();
      if (accuracyGap(X, kernel, lambda, d) > eps) continue;
      checked++;
      const est = S.estimateRls(d, X);
      for (let i = 0; i < X.rows; i++) {
        expect(est[i]).toBeLessThanOrEqual(exact[i] * (1 + 1e-9));
        expect(est[i]).toBeGreaterThanOrEqual(exact[i] * ((1 - eps) / (1 + eps)) * (1 - 1e-9));
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("regularised Nyström from an ε-accurate dictionary: 0 ⪯ K − K̃ ⪯ γ/(1−ε)·I", () => {
    const X = coherentMixture(300, 2, 9, 10, 5);
    const lambda = 1, eps = 0.5;
    const sq = new S.Squeak({ kernel, lambda, eps, qbar: 96, seed: 2, batch: 50 });
    sq.push(X);
    const d = sq.dictionary();
    sq.dispose();
    const Z = new S.NystromFeatures(d).transform(X);
    const E = S.linalg.gemm(Z, Z, { transB: true, alpha: -1, beta: 1, C: kernel.matrix(X) });
    for (let i = 0; i < X.rows; i++) for (let j = 0; j < i; j++) E.data[j * X.rows + i] = E.data[i * X.rows + j];
    const ev = S.linalg.eigvalsh(E);
    expect(ev[0]).toBeGreaterThan(-1e-9);
    // The bound needs an ε-accurate dictionary; this seed gives one, so the check always runs.
    expect(accuracyGap(X, kernel, lambda, d)).toBeLessThanOrEqual(eps);
    expect(ev[ev.length - 1]).toBeLessThanOrEqual(lambda / (1 - eps) + 1e-9);
  });

  it("coherent mixture: Nyström error at q̄ = 16 is ≥ 5× smaller than uniform's at the same size", () => {
    const X = coherentMixture(2000, 2, 1);
    const sq = new S.Squeak({ kernel, lambda: 1, qbar: 16, seed: 1 });
    sq.push(X);
    const d = sq.dictionary();
    sq.dispose();
    const eS = S.nystromError(d, X, { mode: "plain", subset: 2000 });
    const eU = S.nystromError(S.uniformNystrom(X, d.size, { kernel, seed: 1, lambda: 1 }), X, { mode: "plain", subset: 2000 });
    expect(eS * 5, `SQUEAK ${eS} at m = ${d.size} vs uniform ${eU}`).toBeLessThan(eU);
  });

  it("same seed → bit-identical dictionaries, independent of how the stream is split", async () => {
    const X = coherentMixture(700, 3, 5, 10, 5);
    const make = () => new S.Squeak({ kernel, lambda: 0.5, qbar: 8, seed: 42, batch: 100 });
    const a = make();
    a.push(X);
    const b = make();
    for (let r = 0; r < X.rows; r += 37) b.push(rows(X, r, Math.min(X.rows, r + 37)));
    const c = make();
    async function* gen() {
      for (let r = 0; r < X.rows; r++) yield Array.from(X.row(r));
    }
    await c.consume(gen());
    const e = make();
    const stream = new ReadableStream<Float64Array>({
      start(ctl) {
        for (let r = 0; r < X.rows; r += 100) ctl.enqueue(X.data.slice(r * 3, Math.min(X.rows, r + 100) * 3));
        ctl.close();
      },
    });
    await e.consume(stream, 3);
    const da = a.dictionary();
    for (const o of [b, c, e]) {
      const d = o.dictionary();
      expect(Array.from(d.indices)).toEqual(Array.from(da.indices));
      expect(Array.from(d.pTilde)).toEqual(Array.from(da.pTilde));
      expect(Array.from(d.copies)).toEqual(Array.from(da.copies));
    }
    const other = new S.Squeak({ kernel, lambda: 0.5, qbar: 8, seed: 43, batch: 100 }).push(X).dictionary();
    expect(Array.from(other.indices)).not.toEqual(Array.from(da.indices));
    for (const o of [a, b, c, e]) o.dispose();
  });

  it("accepts flat typed arrays with d, and the 'disqueak' estimator (printed prefactor) over-samples moderately", () => {
    const X = blob(600, 2, 8, 2);
    const a = new S.Squeak({ kernel, lambda: 0.5, qbar: 8, seed: 1 }).push(X.data, 2).dictionary();
    const b = new S.Squeak({ kernel, lambda: 0.5, qbar: 8, seed: 1 }).push(X).dictionary();
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    let sq = 0, dq = 0;
    for (let s = 0; s < 4; s++) {
      sq += new S.Squeak({ kernel, lambda: 0.5, qbar: 8, seed: s }).push(X).dictionary().size;
      dq += new S.Squeak({ kernel, lambda: 0.5, qbar: 8, seed: s, estimator: "disqueak" }).push(X).dictionary().size;
    }
    // The printed DISQUEAK prefactor (Calandriello et al. 2017, Eq. 5) over-samples by up to (1+ε).
    expect(dq).toBeGreaterThanOrEqual(sq * 0.95);
    expect(dq).toBeLessThanOrEqual(sq * 1.6);
  });

  it("every kernel family: size within 3·q̄·d_eff and a full-data estimator equal to (1−ε)·τ", () => {
    const X = coherentMixture(400, 3, 12, 10, 5);
    const scaled = new S.Matrix(400, 3, X.data.map((v) => v / 10));
    for (const [k, data] of [
      [S.laplacian({ gamma: 0.5 }), X], [S.matern32({ lengthScale: 1 }), X], [S.matern12({ lengthScale: 2 }), X],
      [S.polynomial({ degree: 2, gamma: 1, coef0: 1 }), scaled], [S.linear(), scaled],
    ] as const) {
      const lambda = 0.5, qbar = 8;
      const { deff, scores } = S.exactRls(data, k, lambda);
      const sq = new S.Squeak({ kernel: k, lambda, qbar, seed: 3 });
      const d = sq.push(data).dictionary();
      sq.dispose();
      expect(d.size, `${k}`).toBeGreaterThan(0);
      expect(d.size, `${k}`).toBeLessThanOrEqual(3 * qbar * deff);
      const est = S.estimateRls(S.fullDictionary(data, { kernel: k, lambda }), data, { eps: 0.5 });
      for (let i = 0; i < 400; i += 13) expect(Math.abs(est[i] - 0.5 * scores[i]), `${k} τ̃[${i}]`).toBeLessThan(1e-8);
    }
  });

  it("bad input: clear errors", () => {
    expect(() => new S.Squeak({ kernel, lambda: 0 })).toThrow(/lambda/);
    expect(() => new S.Squeak({ kernel, lambda: -1 })).toThrow(S.ValueError);
    expect(() => new S.Squeak({ kernel, lambda: 1, eps: 0 })).toThrow(/eps/);
    expect(() => new S.Squeak({ kernel, lambda: 1, eps: 1 })).toThrow(/eps/);
    expect(() => new S.Squeak({ kernel, lambda: 1, eps: 1.5 })).toThrow(/eps/);
    expect(() => new S.Squeak({ kernel, lambda: 1, qbar: 0 })).toThrow(/qbar/);
    expect(() => new S.Squeak({ kernel, lambda: 1, qbar: 2.5 })).toThrow(/qbar/);
    expect(() => new S.Squeak({ kernel, lambda: 1, batch: 0 })).toThrow(/batch/);
    expect(() => new S.Squeak({ kernel, lambda: 1, seed: -1 })).toThrow(/seed/);
    expect(() => new S.Squeak({ kernel: "rbf" as unknown as S.Kernel, lambda: 1 })).toThrow(/kernel/);
    const sq = new S.Squeak({ kernel, lambda: 1, seed: 1 });
    expect(() => sq.push([[0, 1], [Number.NaN, 2]])).toThrow(/rows\[1, 0\]/);
    expect(() => sq.push([[0, 1], [2]])).toThrow(S.ShapeError);
    sq.push([[0, 1], [1, 2]]);
    expect(() => sq.push([[0, 1, 2]])).toThrow(/3 columns but the stream started with 2/);
    expect(() => sq.push(new Float64Array(5), 2)).toThrow(S.ShapeError);
    expect(() => sq.push(Float64Array.of(1, Infinity))).toThrow(/rows\[0, 1\]/);
    // A rejected push changes nothing.
    expect(sq.seen).toBe(2);
    sq.dispose();
    expect(() => sq.push([[0, 1]])).toThrow(S.EngineStateError);
  });

  it("empty stream: an empty dictionary, and downstream users say so", async () => {
    const sq = new S.Squeak({ kernel, lambda: 1 });
    await sq.consume((async function* () {})());
    const d = sq.dictionary();
    expect(d.size).toBe(0);
    expect(d.params.n).toBe(0);
    expect(() => new S.NystromFeatures(d)).toThrow(/empty/);
    expect(() => S.NystromKRR.fit(d, [[0]], [1], { ridge: 1 })).toThrow(/empty/);
    await expect(sq.consume(42 as unknown as S.RowSource)).rejects.toThrow(/iterable/);
    sq.dispose();
  });

  it("duplicate points: no numerical failure, few points kept, exact Nyström on the duplicates", () => {
    const X = new S.Matrix(600, 2);
    for (let i = 0; i < 600; i++) X.data.set(i % 3 === 0 ? [5, 5] : i % 3 === 1 ? [-5, 0] : [0.1, 0.2], i * 2);
    const sq = new S.Squeak({ kernel, lambda: 0.1, qbar: 8, seed: 3 });
    sq.push(X);
    const d = sq.dictionary();
    sq.dispose();
    expect(d.size).toBeGreaterThanOrEqual(3);
    expect(d.size).toBeLessThan(100);
    expect(S.nystromError(d, X, { mode: "plain" })).toBeLessThan(1e-6);
  });

  it("guard against collapse: q̄ = 1 with a large γ never leaves an empty dictionary", () => {
    const X = blob(400, 2, 6, 3);
    const sq = new S.Squeak({ kernel, lambda: 50, qbar: 1, seed: 5, batch: 20 });
    for (let r = 0; r < 400; r += 20) {
      sq.push(rows(X, r, r + 20));
      expect(sq.dictionary().size).toBeGreaterThanOrEqual(1);
    }
    sq.dispose();
  });

  it("maxDictionary is a hard budget after every update", () => {
    const X = coherentMixture(1500, 2, 4);
    const sq = new S.Squeak({ kernel, lambda: 1, qbar: 16, seed: 7, maxDictionary: 60 });
    for (let r = 0; r < X.rows; r += 250) {
      sq.push(rows(X, r, r + 250));
      const d = sq.dictionary();
      expect(d.size).toBeLessThanOrEqual(60);
      expect(d.params.scale).toBeLessThanOrEqual(1);
    }
    expect(sq.dictionary().params.scale).toBeLessThan(1);
    sq.dispose();
  });
});

describe("InkEstimate", () => {
  const kernel = S.rbf({ gamma: 0.5 });

  it("the budget holds at every snapshot and its Nyström error is comparable to SQUEAK's at the same size", () => {
    const X = coherentMixture(2000, 2, 1);
    const budget = 200;
    const ink = new S.InkEstimate({ kernel, lambda: 1, budget, seed: 1 });
    for (let r = 0; r < X.rows; r += 400) {
      ink.push(rows(X, r, r + 400));
      expect(ink.dictionary().size).toBeLessThanOrEqual(budget);
    }
    const di = ink.dictionary();
    ink.dispose();
    expect(di.params.method).toBe("ink");
    expect(di.size).toBeGreaterThan(budget / 3);
    const { deff } = S.exactRls(X, kernel, 1);
    expect(Math.abs(di.params.deff! - deff) / deff).toBeLessThan(0.35);
    const sq = new S.Squeak({ kernel, lambda: 1, qbar: 16, seed: 1, maxDictionary: di.size });
    sq.push(X);
    const ds = sq.dictionary();
    sq.dispose();
    const eI = S.nystromError(di, X, { mode: "plain" });
    const eS = S.nystromError(ds, X, { mode: "plain" });
    const eU = S.nystromError(S.uniformNystrom(X, di.size, { kernel, seed: 1 }), X, { mode: "plain" });
    expect(eI, `INK ${eI} vs SQUEAK ${eS} at ≈${di.size} points`).toBeLessThan(Math.max(10 * eS, 0.05));
    expect(eI * 5).toBeLessThan(eU);
  });

  it("validates its budget", () => {
    expect(() => new S.InkEstimate({ kernel, lambda: 1, budget: 0 })).toThrow(/budget/);
    expect(() => new S.InkEstimate({ kernel, lambda: 1 } as S.InkOptions)).toThrow(/budget/);
  });
});
