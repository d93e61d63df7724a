// Learning over the Laplacian: smoothing and the harmonic functions against dense solves,
// harmonicity at the unlabelled nodes, the G-vs-sparsifier bounds (smoothing within
// ε/(1 − ε)·‖y‖, soft HFS within ε/(1 − ε) in the A-norm, with H from exact-resistance
// Spielman–Srivastava sampling), classification accuracy on a stochastic block model on G and
// on H, and the spectral embedding against eigh (dense and LOBPCG paths, several components).
import { describe, it, expect, beforeAll } from "vitest";
import { init, Matrix } from "../sdk/index.js";
import { ShapeError, ValueError } from "../sdk/core/errors.js";
import * as linalg from "../sdk/linalg/index.js";
import {
  Graph, laplacianSmoothing, harmonicFunction, softHarmonicFunction, harmonicClassify, accuracy, spectralEmbedding,
  smoothingGap, softHarmonicGap, embeddingGap, spectralError, grid, erdosRenyi, randomGeometric, stochasticBlockModel,
  blockLabels, disjointUnion, path, ringOfCliques, withLogUniformWeights,
} from "../sdk/graph/index.js";
import { denseSolveShift, ssSparsify } from "./graph-oracle.js";

beforeAll(async () => {
  await init();
});

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
}

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const r = lcg(seed);
  return new Matrix(rows, cols, Float64Array.from({ length: rows * cols }, () => 2 * r() - 1));
}

function relErr(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe("Laplacian smoothing", () => {
  it("equals the dense (I + λL)⁻¹·y for a vector and for a block of signals", () => {
    const g = disjointUnion([withLogUniformWeights(grid(12, 10), 0.1, 10, { seed: 1 }), path(9)]);
    for (const lambda of [0.05, 1, 40]) {
      const Y = randomMatrix(g.n, 3, 2);
      const ref = denseSolveShift(g, new Float64Array(g.n).fill(1 / lambda), new Matrix(g.n, 3, Y.data.map((v) => v / lambda)));
      const block = laplacianSmoothing(g, Y, { lambda, tol: 1e-12 });
      expect(block.converged).toBe(true);
      expect(relErr(block.f.data, ref.data)).toBeLessThan(1e-9);
      const one = laplacianSmoothing(g, Y.col(1), { lambda, tol: 1e-12 });
      expect(relErr(one.f, ref.col(1))).toBeLessThan(1e-9);
    }
    expect(() => laplacianSmoothing(g, new Float64Array(3), { lambda: 1 })).toThrow(ShapeError);
    expect(() => laplacianSmoothing(g, new Float64Array(g.n), { lambda: 0 })).toThrow(ValueError);
    expect(() => laplacianSmoothing(g, new Float64Array(g.n), { lamda: 1 } as never)).toThrow(/did you mean "lambda"/);
  });

  it("on an (ε, 1/λ)-sparsifier stays within ε/(1 − ε)·‖y‖ of the smoothing on G", () => {
    const g = randomGeometric(800, 0.25, { seed: 3 });
    for (const lambda of [0.01, 0.1]) {
      const { H } = ssSparsify(g, 0.5, { gamma: 1 / lambda, seed: 2 });
      expect(H.m).toBeLessThan(g.m);
      const y = randomMatrix(g.n, 1, 5).data;
      const gap = smoothingGap(g, H, y, { lambda, tol: 1e-10 });
      const eps = spectralError(g, H, { gamma: 1 / lambda }).epsilon;
      expect(gap.epsilon).toBe(eps);
      expect(eps).toBeLessThan(0.5);
      expect(gap.bound).toBeCloseTo(eps / (1 - eps), 14);
      expect(gap.difference).toBeGreaterThan(0);
      expect(gap.withinBound).toBe(true);
      expect(gap.difference).toBeLessThanOrEqual(gap.bound);
      // A given ε replaces the measured one.
      expect(smoothingGap(g, H, y, { lambda, epsilon: 0.2 }).bound).toBeCloseTo(0.25, 14);
    }
  });
});

describe("harmonic functions", () => {
  it("hard HFS equals the dense solution of L_UU·f_U = −L_US·y_S, keeps y_S, and is harmonic on U", () => {
    const g = withLogUniformWeights(randomGeometric(200, 0.15, { seed: 4 }), 0.2, 5, { seed: 5 });
    expect(g.components().count).toBe(1);
    const labeled = [3, 50, 77, 120, 199];
    const values = Float64Array.of(1, -1, 0.5, 2, -0.25);
    const r = harmonicFunction(g, labeled, values, { tol: 1e-12 });
    expect(r.converged).toBe(true);
    expect(r.unreached).toBe(0);
    labeled.forEach((i, t) => expect(r.f[i]).toBe(values[t]));
    // Dense: L_UU f_U = −L_US y_S.
    const n = g.n, L = g.laplacianDense();
    const U = Array.from({ length: n }, (_, i) => i).filter((i) => !labeled.includes(i));
    const Luu = new Matrix(U.length, U.length), rhs = new Float64Array(U.length);
    U.forEach((i, a) => {
      U.forEach((j, b) => (Luu.data[a * U.length + b] = L.data[i * n + j]));
      labeled.forEach((s, t) => (rhs[a] -= L.data[i * n + s] * values[t]));
    });
    const fU = linalg.solveSPD(Luu, rhs) as Float64Array;
    expect(relErr(U.map((i) => r.f[i]), fU)).toBeLessThan(1e-10);
    // Harmonic: f_i = Σ_j w_ij f_j / d_i on U.
    const { rowPtr, col, val } = g.csr();
    const d = g.degrees();
    let worst = 0;
    for (const i of U) {
      let acc = 0;
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) acc += val[p] * r.f[col[p]];
      worst = Math.max(worst, Math.abs(acc / d[i] - r.f[i]));
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it("hard HFS: a block of columns equals the columns alone; unlabelled components get 0", () => {
    const g = disjointUnion([grid(6, 7), path(5)]);
    const labeled = [0, 41, 20];
    const Y = new Matrix(3, 2, Float64Array.of(1, 0, 0, 1, 1, 0));
    const block = harmonicFunction(g, labeled, Y, { tol: 1e-12 });
    expect(block.unreached).toBe(5);
    for (let i = 42; i < 47; i++) expect(Array.from(block.f.row(i))).toEqual([0, 0]);
    const col0 = harmonicFunction(g, labeled, Y.col(0), { tol: 1e-12 });
    expect(relErr(block.f.col(0), col0.f)).toBeLessThan(1e-12);
    // Scores of one-hot labels sum to 1 on reached nodes.
    for (let i = 0; i < 42; i++) expect(block.f.get(i, 0) + block.f.get(i, 1)).toBeCloseTo(1, 9);
    expect(() => harmonicFunction(g, [0, 0], [1, 2])).toThrow(/labelled twice/);
    expect(() => harmonicFunction(g, [0, 99], [1, 2])).toThrow(/labeled\[1\] is 99/);
    expect(() => harmonicFunction(g, [0, 1], [1, 2, 3])).toThrow(ShapeError);
  });

  it("soft HFS equals the dense (I_S + λ(L + γI))⁻¹·I_S·y", () => {
    const g = disjointUnion([withLogUniformWeights(erdosRenyi(80, 0.08, { seed: 6 }), 0.5, 2, { seed: 1 }), path(10)]);
    const labeled = [1, 17, 33, 60, 85];
    const values = Float64Array.of(1, -1, 1, -1, 2);
    for (const [lambda, gamma] of [[0.3, 0], [2, 0.1]]) {
      const r = softHarmonicFunction(g, labeled, values, { lambda, gamma, tol: 1e-12 });
      const s = new Float64Array(g.n).fill(gamma);
      const rhs = new Float64Array(g.n);
      labeled.forEach((i, t) => {
        s[i] += 1 / lambda;
        rhs[i] = values[t] / lambda;
      });
      const ref = denseSolveShift(g, s, new Matrix(g.n, 1, rhs));
      expect(relErr(r.f, ref.data)).toBeLessThan(1e-9);
    }
  });

  it("soft HFS on a sparsifier stays within ε/(1 − ε) of G's in the A-norm", () => {
    const g = erdosRenyi(600, 0.25, { seed: 7 });
    for (const gamma of [0, 0.5]) {
      const { H } = ssSparsify(g, 0.5, { gamma, seed: 3 });
      const labeled = Array.from({ length: 30 }, (_, t) => t * 20);
      const values = Float64Array.from(labeled, (i) => (i % 40 === 0 ? 1 : -1));
      const gap = softHarmonicGap(g, H, labeled, values, { lambda: 0.5, gamma, tol: 1e-11 });
      expect(gap.epsilon).toBeLessThan(0.5);
      expect(gap.difference).toBeGreaterThan(0);
      expect(gap.withinBound).toBe(true);
    }
  });

  it("classifies a stochastic block model on a sparsifier within 2 points of G", () => {
    const sizes = [300, 300, 400];
    const truth = blockLabels(sizes);
    // (pIn, pOut, every how many nodes one is labelled, method)
    const cases = [[0.3, 0.02, 20, "hard"], [0.3, 0.05, 10, "hard"], [0.3, 0.02, 20, "soft"]] as const;
    for (const [pIn, pOut, step, method] of cases) {
      const name = `${method}, pIn ${pIn}, pOut ${pOut}, 1 label in ${step}`;
      const g = stochasticBlockModel(sizes, pIn, pOut, { seed: 11 });
      const { H } = ssSparsify(g, 0.5, { seed: 8 });
      expect(H.m, name).toBeLessThan(0.9 * g.m);
      const labeled: number[] = [], classes: number[] = [];
      for (let i = 7; i < g.n; i += step) {
        labeled.push(i);
        classes.push(truth[i]);
      }
      const unl = Array.from({ length: g.n }, (_, i) => i).filter((i) => !labeled.includes(i));
      const opts = method === "soft" ? { method, lambda: 0.003, gamma: 0.1 } : { method };
      const onG = harmonicClassify(g, labeled, classes, opts);
      const onH = harmonicClassify(H, labeled, classes, opts);
      const aG = accuracy(onG.predictions, truth, unl), aH = accuracy(onH.predictions, truth, unl);
      expect(aG, name).toBeGreaterThan(0.95);
      expect(Math.abs(aG - aH), `${name}: ${aG} vs ${aH}`).toBeLessThanOrEqual(0.02);
      labeled.forEach((i, t) => expect(onH.predictions[i]).toBe(classes[t]));
    }
    const g = stochasticBlockModel(sizes, 0.3, 0.02, { seed: 11 });
    expect(() => harmonicClassify(g, [0, 1], [0, 1], { lambda: 1 })).toThrow(/method "soft" only/);
    expect(() => harmonicClassify(g, [0, 1], [0])).toThrow(ShapeError);
    expect(accuracy([0, 1, 2, 2], [0, 1, 1, 2])).toBe(0.75);
    expect(accuracy([0, 1, 2, 2], [0, 1, 1, 2], [2, 3])).toBe(0.5);
  });

  it("class mass normalisation corrects the pull of the larger class when labels are few", () => {
    const sizes = [300, 300, 400];
    const g = stochasticBlockModel(sizes, 0.05, 0.005, { seed: 1 });
    const truth = blockLabels(sizes);
    const labeled: number[] = [], classes: number[] = [];
    for (let i = 0; i < g.n; i += 25) {
      labeled.push(i);
      classes.push(truth[i]);
    }
    const raw = accuracy(harmonicClassify(g, labeled, classes, { normalize: "none" }).predictions, truth);
    const cmn = accuracy(harmonicClassify(g, labeled, classes).predictions, truth);
    expect(cmn).toBeGreaterThan(raw + 0.15);
  });
});

describe("spectral embedding", () => {
  /** The k smallest nontrivial eigenvalues from eigh of the dense L. */
  function reference(g: Graph, k: number): Float64Array {
    const vals = linalg.eigvalsh(g.laplacianDense());
    return vals.slice(g.components().count, g.components().count + k);
  }

  it("dense and LOBPCG eigenvalues match eigh, with several components", () => {
    const cases: Array<[string, Graph, number]> = [
      ["grid 20×25", grid(20, 25), 5],
      ["weighted RGG", withLogUniformWeights(randomGeometric(400, 0.1, { seed: 2 }), 0.5, 2, { seed: 3 }), 4],
      ["union", disjointUnion([ringOfCliques(6, 8), erdosRenyi(60, 0.2, { seed: 4 }), path(12)]), 6],
    ];
    for (const [name, g, k] of cases) {
      const ref = reference(g, k);
      const dense = spectralEmbedding(g, k, { method: "dense" });
      const lob = spectralEmbedding(g, k, { method: "lobpcg", tol: 1e-8 });
      expect(lob.converged, name).toBe(true);
      for (let j = 0; j < k; j++) {
        expect(Math.abs(dense.values[j] - ref[j]) / ref[j], `${name} dense ${j}`).toBeLessThan(1e-9);
        expect(Math.abs(lob.values[j] - ref[j]) / ref[j], `${name} lobpcg ${j}`).toBeLessThan(1e-9);
      }
      // Orthonormal and orthogonal to every component's constants.
      const { labels, count } = g.components();
      const VtV = linalg.gemm(lob.vectors, lob.vectors, { transA: true });
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) expect(VtV.get(a, b)).toBeCloseTo(a === b ? 1 : 0, 9);
      for (let c = 0; c < count; c++) {
        for (let j = 0; j < k; j++) {
          let s = 0;
          for (let i = 0; i < g.n; i++) if (labels[i] === c) s += lob.vectors.get(i, j);
          expect(Math.abs(s)).toBeLessThan(1e-9);
        }
      }
      for (const r of lob.residuals) expect(r).toBeLessThan(1e-6);
    }
  });

  it("LOBPCG's subspace matches eigh's when the gap after λ_k is large; same seed, same bits", () => {
    // A ring of 8 cliques: 7 small eigenvalues (the ring), then a gap to the cliques' ~size.
    const g = ringOfCliques(8, 12);
    const k = 7;
    const dense = spectralEmbedding(g, k, { method: "dense" });
    const lob = spectralEmbedding(g, k, { method: "lobpcg", seed: 5 });
    const C = linalg.gemm(dense.vectors, lob.vectors, { transA: true });
    const cos2 = linalg.eigvalsh(linalg.gemm(C, C, { transA: true }));
    expect(Math.sqrt(1 - cos2[0])).toBeLessThan(1e-5);
    const again = spectralEmbedding(g, k, { method: "lobpcg", seed: 5 });
    expect(Array.from(again.vectors.data)).toEqual(Array.from(lob.vectors.data));
    expect(() => spectralEmbedding(path(5), 5)).toThrow(/only 4 nontrivial eigenvalues/);
  });

  it("on a sparsifier: eigenvalues within ε and a small angle when the gap is large", () => {
    const g = disjointUnion([ringOfCliques(6, 40)]);
    const { H } = ssSparsify(g, 0.5, { seed: 6 });
    const gap = embeddingGap(g, H, 5);
    expect(gap.epsilon).toBeLessThan(0.6);
    expect(gap.eigenvalueError).toBeLessThanOrEqual(gap.epsilon);
    expect(gap.relativeGap).toBeGreaterThan(0.9);
    expect(gap.subspaceSine).toBeLessThan(0.2);
  });
});
