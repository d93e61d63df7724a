// Dense oracles for the graph-quality and graph-learning tests: Spielman–Srivastava sampling
// with exact (ridge) effective resistances from a dense inverse, and dense solves. For graphs of
// at most a few thousand nodes; independent of the solver and of the sparsifiers under test.
import { Matrix, Rng } from "../sdk/index.js";
import * as linalg from "../sdk/linalg/index.js";
import { Graph } from "../sdk/graph/index.js";

/** (L + γI)⁻¹, or L⁺ for γ = 0 (from the eigendecomposition), as a dense matrix. */
export function denseInverse(g: Graph, gamma: number): Matrix {
  const n = g.n;
  const A = g.laplacianDense();
  if (gamma > 0) {
    for (let i = 0; i < n; i++) A.data[i * n + i] += gamma;
    const I = new Matrix(n, n);
    for (let i = 0; i < n; i++) I.data[i * n + i] = 1;
    return linalg.solveSPD(A, I) as Matrix;
  }
  const { values, vectors } = linalg.eigh(A);
  const top = Math.max(...Array.from(values, Math.abs));
  // L⁺ = V·diag(1/λ)·Vᵀ over the non-zero eigenvalues.
  const scaled = vectors.clone();
  for (let k = 0; k < n; k++) {
    const inv = Math.abs(values[k]) <= 1e-9 * top ? 0 : 1 / values[k];
    for (let i = 0; i < n; i++) scaled.data[i * n + k] *= inv;
  }
  return linalg.gemm(scaled, vectors, { transB: true });
}

/** Leverage scores τ_e(γ) = w_e·(e_u − e_v)ᵀ(L + γI)⁻¹(e_u − e_v) of every edge. */
export function exactLeverage(g: Graph, gamma: number): Float64Array {
  const P = denseInverse(g, gamma);
  const n = g.n, tau = new Float64Array(g.m);
  for (let e = 0; e < g.m; e++) {
    const a = g.u[e], b = g.v[e];
    tau[e] = g.w[e] * (P.data[a * n + a] + P.data[b * n + b] - 2 * P.data[a * n + b]);
  }
  return tau;
}

/**
 * Spielman–Srivastava sampling (SICOMP 2011) with exact ridge leverage scores: q = ⌈C·d_eff·ln n /
 * ε²⌉ draws with replacement, edge e with probability p_e = τ_e/d_eff, each draw adding
 * w_e/(q·p_e). Returns H on G's nodes (duplicates merged) and the sampling parameters.
 */
export function ssSparsify(g: Graph, eps: number, opts: { gamma?: number; C?: number; seed?: number } = {}): { H: Graph; q: number; deff: number } {
  const gamma = opts.gamma ?? 0, C = opts.C ?? 4;
  const tau = exactLeverage(g, gamma);
  let deff = 0;
  for (const t of tau) deff += t;
  const q = Math.ceil((C * deff * Math.log(g.n)) / (eps * eps));
  const cum = new Float64Array(g.m);
  let acc = 0;
  for (let e = 0; e < g.m; e++) cum[e] = acc += tau[e];
  const rng = new Rng(opts.seed ?? 0, 77);
  const draws = rng.uniform(q);
  rng.dispose();
  const count = new Float64Array(g.m);
  for (const x of draws) {
    const r = x * acc;
    let lo = 0, hi = g.m - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    count[lo]++;
  }
  const u: number[] = [], v: number[] = [], w: number[] = [];
  for (let e = 0; e < g.m; e++) {
    if (count[e] === 0) continue;
    u.push(g.u[e]);
    v.push(g.v[e]);
    w.push((g.w[e] * count[e] * deff) / (q * tau[e]));
  }
  return { H: Graph.fromEdges(u, v, w, { n: g.n }), q, deff };
}

/** (L + diag(s))⁺·B dense (B: n×k). */
export function denseSolveShift(g: Graph, s: ArrayLike<number>, B: Matrix): Matrix {
  const n = g.n;
  const A = g.laplacianDense();
  for (let i = 0; i < n; i++) A.data[i * n + i] += s[i];
  const { values, vectors } = linalg.eigh(A);
  const top = Math.max(...Array.from(values, Math.abs));
  // V·diag(1/λ)·Vᵀ·B on the non-null part.
  const VtB = linalg.gemm(vectors, B, { transA: true });
  for (let k = 0; k < n; k++) {
    const inv = Math.abs(values[k]) <= 1e-10 * top ? 0 : 1 / values[k];
    for (let j = 0; j < B.cols; j++) VtB.data[k * B.cols + j] *= inv;
  }
  return linalg.matmul(vectors, VtB);
}
