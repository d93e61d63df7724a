// Quality of a sparsifier: spectralError against hand-built H = (1 ± δ)·G (ε = δ exactly),
// against an independent dense computation of the generalised eigenvalues, and — the Lanczos
// estimate — against the exact value on mid-size sparsifiers and against a closed form on a
// large graph (one reweighted edge: λ_max = 1 + Δw·r_e); the certificates of sparsifierQuality
// (weight, degrees, cuts, resistances, size) on scaled graphs and on Spielman–Srivastava
// sparsifiers; errors.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Matrix } from "../sdk/index.js";
import { ShapeError, ValueError } from "../sdk/core/errors.js";
import * as linalg from "../sdk/linalg/index.js";
import {
  Graph, LaplacianSolver, spectralError, sparsifierQuality, grid, erdosRenyi, randomGeometric, barbell, disjointUnion, path,
  withLogUniformWeights,
} from "../sdk/graph/index.js";
import { ssSparsify } from "./graph-oracle.js";

beforeAll(async () => {
  await init();
});

function scaled(g: Graph, f: number): Graph {
  return g.withWeights(Array.from(g.w, (w) => w * f));
}

/** Generalised eigenvalues of (L_H + γI + J, L_G + γI + J) (J: Σ_c 1_c1_cᵀ/|c| when γ = 0)
 *  through the eigendecomposition of A = L_G + …: A^{-1/2}·Ã·A^{-1/2}, an independent route
 *  from spectralError's Cholesky. */
function bruteForce(G: Graph, H: Graph, gamma: number): Float64Array {
  const n = G.n;
  const { labels, sizes } = G.components();
  const dense = (g: Graph) => {
    const A = g.laplacianDense();
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) A.data[i * n + j] += gamma;
        if (gamma === 0 && labels[i] === labels[j]) A.data[i * n + j] += 1 / sizes[labels[i]];
      }
    }
    return A;
  };
  const { values, vectors } = linalg.eigh(dense(G));
  const S = vectors.clone(); // A^{-1/2} = V·diag(λ^{-1/2})·Vᵀ
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) S.data[i * n + k] /= Math.sqrt(values[k]);
  const Ainvh = linalg.gemm(S, vectors, { transB: true });
  const M = linalg.matmul(linalg.matmul(Ainvh, dense(H)), Ainvh);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) M.data[i * n + j] = M.data[j * n + i] = 0.5 * (M.data[i * n + j] + M.data[j * n + i]);
  return linalg.eigvalsh(M);
}

describe("spectralError: exact", () => {
  it("H = (1 + δ)·G and (1 − δ)·G give ε = δ exactly at γ = 0, also with several components", () => {
    const g = disjointUnion([withLogUniformWeights(grid(8, 9), 0.1, 10, { seed: 2 }), path(7), Graph.fromEdges([], [], null, { n: 1 })]);
    for (const delta of [0.05, 0.3]) {
      const up = spectralError(g, scaled(g, 1 + delta));
      expect(up.method).toBe("exact");
      expect(up.lambdaMax).toBeCloseTo(1 + delta, 12);
      expect(up.lambdaMin).toBeCloseTo(1, 12);
      expect(up.epsilon).toBeCloseTo(delta, 12);
      const down = spectralError(g, scaled(g, 1 - delta));
      expect(down.lambdaMin).toBeCloseTo(1 - delta, 12);
      expect(down.epsilon).toBeCloseTo(delta, 12);
    }
  });

  it("with γ > 0, (1 + δ)·G gives ε = δ·λ_max(L)/(λ_max(L) + γ)", () => {
    const g = withLogUniformWeights(erdosRenyi(60, 0.15, { seed: 4 }), 0.5, 2, { seed: 5 });
    const lmax = linalg.eigvalsh(g.laplacianDense())[g.n - 1];
    const lmin = 0;
    for (const gamma of [0.1, 3]) {
      const r = spectralError(g, scaled(g, 1.2), { gamma });
      expect(r.epsilon).toBeCloseTo((0.2 * lmax) / (lmax + gamma), 10);
      expect(r.lambdaMin).toBeCloseTo(1 + (0.2 * lmin) / (lmin + gamma), 10); // the constants: ratio 1
    }
  });

  it("matches brute-force generalised eigenvalues (γ = 0 and γ > 0, sampled sparsifiers)", () => {
    const g = withLogUniformWeights(randomGeometric(150, 0.2, { seed: 6 }), 0.2, 5, { seed: 7 });
    expect(g.components().count).toBe(1);
    const { H } = ssSparsify(g, 0.8, { seed: 3, C: 1 });
    for (const gamma of [0, 0.5]) {
      if (gamma === 0 && H.components().count !== 1) continue;
      const r = spectralError(g, H, { gamma });
      const ref = bruteForce(g, H, gamma);
      // γ = 0: the brute force includes the constant direction (ratio 1), as spectralError does.
      expect(r.lambdaMin).toBeCloseTo(ref[0], 9);
      expect(r.lambdaMax).toBeCloseTo(ref[ref.length - 1], 9);
      expect(r.epsilon).toBeGreaterThan(0.05);
    }
    // Two components, γ = 0.
    const two = disjointUnion([g, erdosRenyi(40, 0.3, { seed: 8 })]);
    const twoH = disjointUnion([H, erdosRenyi(40, 0.3, { seed: 8 })]);
    const r2 = spectralError(two, twoH);
    const ref2 = bruteForce(two, twoH, 0);
    expect(r2.lambdaMin).toBeCloseTo(ref2[0], 9);
    expect(r2.lambdaMax).toBeCloseTo(ref2[ref2.length - 1], 9);
  });

  it("rejects H with other components at γ = 0 (naming the nodes) or another node count", () => {
    const g = path(6);
    const cut = Graph.fromEdges([0, 1, 3, 4], [1, 2, 4, 5], null, { n: 6 }); // drops 2–3
    expect(() => spectralError(g, cut)).toThrow(ValueError);
    expect(() => spectralError(g, cut)).toThrow(/nodes 0 and 3 are connected in G but not in H/);
    const joined = Graph.fromEdges([0, 1, 3, 4, 2], [1, 2, 4, 5, 3], null, { n: 6 });
    const gTwo = cut;
    expect(() => spectralError(gTwo, joined)).toThrow(/connected in H but not in G/);
    // With γ > 0 the error is finite: dropping the bridge lowers λ_min.
    const r = spectralError(g, cut, { gamma: 0.01 });
    expect(r.lambdaMin).toBeLessThan(0.5);
    expect(() => spectralError(g, path(7))).toThrow(ShapeError);
    expect(() => spectralError(g, g, { gama: 1 } as never)).toThrow(/did you mean "gamma"/);
    expect(() => spectralError(g, g, { gamma: -1 })).toThrow(ValueError);
    expect(() => spectralError(g, g, { method: "dense" as never })).toThrow(ValueError);
  });
});

describe("spectralError: Lanczos estimate", () => {
  it("is within 0.01 of the exact ε on mid-size sparsifiers, never above it, and deterministic", () => {
    const cases: Array<[string, Graph, number, number]> = [
      ["ER(600, 0.2)", erdosRenyi(600, 0.2, { seed: 1 }), 0.5, 0],
      ["RGG(1000)", randomGeometric(1000, 0.08, { seed: 2 }), 0.5, 0],
      ["RGG(1000), γ = 1", randomGeometric(1000, 0.08, { seed: 2 }), 0.5, 1],
      ["barbell 2×K40 + path", barbell(40, { path: 20 }), 0.6, 0],
    ];
    for (const [name, g, eps, gamma] of cases) {
      const { H } = ssSparsify(g, eps, { gamma, seed: 5, C: 2 });
      const exact = spectralError(g, H, { gamma, method: "exact" });
      const est = spectralError(g, H, { gamma, method: "estimate", seed: 3 });
      expect(est.method).toBe("estimate");
      expect(est.converged, name).toBe(true);
      expect(Math.abs(est.epsilon - exact.epsilon), `${name}: ${est.epsilon} vs ${exact.epsilon}`).toBeLessThan(0.01);
      expect(est.lambdaMax).toBeLessThanOrEqual(exact.lambdaMax + 1e-9);
      expect(est.lambdaMin).toBeGreaterThanOrEqual(exact.lambdaMin - 1e-9);
      expect(est.bounds!.lambdaMax).toBeLessThanOrEqual(1e-3 * est.lambdaMax);
      const again = spectralError(g, H, { gamma, method: "estimate", seed: 3 });
      expect(again.lambdaMax).toBe(est.lambdaMax);
      expect(again.steps).toBe(est.steps);
    }
  });

  it("finds λ_max = 1 + Δw·r_e for one reweighted edge of a 150×150 grid (n = 22,500)", () => {
    const g = grid(150, 150);
    const e = 11234;
    const bump = 0.4;
    const w = Float64Array.from(g.w);
    w[e] += bump;
    const h = g.withWeights(w);
    // r_e by one solve.
    const s = new LaplacianSolver(g, { tol: 1e-12 });
    const b = new Float64Array(g.n);
    b[g.u[e]] = 1;
    b[g.v[e]] = -1;
    const { x } = s.solve(b);
    s.dispose();
    const r = x[g.u[e]] - x[g.v[e]];
    const est = spectralError(g, h, { maxSteps: 60 });
    expect(est.method).toBe("estimate");
    expect(est.lambdaMax).toBeCloseTo(1 + bump * r, 6);
    expect(est.lambdaMin).toBeGreaterThan(1 - 1e-8);
    expect(est.epsilon).toBeCloseTo(bump * r, 6);
    const progress: number[] = [];
    const ac = new AbortController();
    // (The rank-one change leaves two distinct eigenvalues: Lanczos ends after two steps.)
    expect(est.steps).toBeLessThanOrEqual(3);
    expect(() => spectralError(g, h, { signal: ac.signal, onProgress: (p) => { progress.push(p.step); ac.abort(new Error("halt")); } })).toThrow("halt");
    expect(progress).toEqual([1]);
  });
});

describe("sparsifierQuality", () => {
  it("on H = (1 + δ)·G every ratio is 1 + δ (resistances 1/(1 + δ)); with γ the cuts move toward 1", () => {
    const g = withLogUniformWeights(randomGeometric(300, 0.15, { seed: 9 }), 0.5, 2, { seed: 1 });
    const h = scaled(g, 1.25);
    const q = sparsifierQuality(g, h, { qbar: 10, deff: g.n - 1, cuts: 20, pairs: 8 });
    expect(q.weightRatio).toBeCloseTo(1.25, 12);
    expect(q.degrees.min).toBeCloseTo(1.25, 12);
    expect(q.degrees.max).toBeCloseTo(1.25, 12);
    expect(q.cuts.count).toBe(20);
    expect(q.cuts.min).toBeCloseTo(1.25, 12);
    expect(q.cuts.max).toBeCloseTo(1.25, 12);
    expect(q.resistances.count).toBe(8);
    expect(q.resistances.min).toBeCloseTo(0.8, 8);
    expect(q.resistances.max).toBeCloseTo(0.8, 8);
    expect(q.spectral!.epsilon).toBeCloseTo(0.25, 10);
    expect(q.size).toEqual({ qbar: 10, deff: g.n - 1, bound: 10 * (g.n - 1), ratio: g.m / (10 * (g.n - 1)), withinHighProbabilityBound: g.m <= 30 * (g.n - 1) });
    const r = sparsifierQuality(g, h, { gamma: 2, cuts: 20, pairs: 8, spectral: false });
    expect(r.spectral).toBeNull();
    expect(r.cuts.max).toBeLessThan(1.25);
    expect(r.cuts.min).toBeGreaterThan(1);
    expect(r.resistances.max).toBeLessThan(1);
    expect(r.resistances.min).toBeGreaterThan(0.8);
  });

  it("keeps weight, degrees, cuts and resistances of a Spielman–Srivastava sparsifier within its measured ε", () => {
    const g = erdosRenyi(500, 0.5, { seed: 2 });
    const { H, q, deff } = ssSparsify(g, 0.5, { seed: 4, C: 3 });
    expect(H.m).toBeLessThan(0.6 * g.m);
    const rep = sparsifierQuality(g, H, { qbar: q / deff, deff, seed: 1 });
    const eps = rep.spectral!.epsilon;
    expect(eps).toBeLessThan(0.6);
    expect(rep.size!.withinHighProbabilityBound).toBe(true);
    for (const [what, st] of [["degrees", rep.degrees], ["cuts", rep.cuts]] as const) {
      expect(st.min, what).toBeGreaterThanOrEqual(1 - eps);
      expect(st.max, what).toBeLessThanOrEqual(1 + eps);
    }
    expect(Math.abs(rep.weightRatio - 1)).toBeLessThanOrEqual(eps);
    expect(rep.resistances.min).toBeGreaterThanOrEqual(1 / (1 + eps));
    expect(rep.resistances.max).toBeLessThanOrEqual(1 / (1 - eps));
    // Random balanced cuts are averages of many edges: far tighter than ε.
    expect(rep.cuts.max - rep.cuts.min).toBeLessThan(eps / 2);
    expect(() => sparsifierQuality(g, H, { qbar: 3 })).toThrow(/both qbar and deff/);
  });
});
