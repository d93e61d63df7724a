// Dense oracles for the graph tests (not a test file): effective resistances from an
// eigendecomposition (independent of the Cholesky route the SDK takes), and the spectral error
// of a sparsifier from generalized eigenvalues (Spielman & Teng's definition; the check of
// Laplacians.jl's `approxQual`, done densely):
//   γ > 0: A = L_G + γI, Ã = L_H + γI;   γ = 0: both shifted by P = Σ_c 1_c1_cᵀ/|c| over the
//   components of G (the common null space gets ratio exactly 1);
//   A = CCᵀ (Cholesky), λ = eig(C⁻¹ÃC⁻ᵀ), ε_emp = max(1 − λ_min, λ_max − 1).
import { Matrix } from "../sdk/index.js";
import * as linalg from "../sdk/linalg/index.js";
import type { Graph } from "../sdk/graph/index.js";

/** L⁺ (γ = 0) or (L + γI)⁻¹ from an eigendecomposition of L. */
export function denseInverse(g: Graph, gamma: number): Matrix {
  const n = g.n;
  const { values, vectors } = linalg.eigh(g.laplacianDense());
  const V = vectors!;
  const out = new Matrix(n, n);
  const scale = Math.max(1, ...Array.from(values, Math.abs));
  for (let k = 0; k < n; k++) {
    const lam = values[k] + gamma;
    if (gamma === 0 && Math.abs(values[k]) < 1e-9 * scale) continue; // null space
    const f = 1 / lam;
    for (let i = 0; i < n; i++) {
      const vi = V.data[i * n + k] * f;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) out.data[i * n + j] += vi * V.data[j * n + k];
    }
  }
  return out;
}

/** Resistances of node pairs from a dense inverse. */
export function pairResistances(inv: Matrix, a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const n = inv.rows;
  const r = new Float64Array(a.length);
  for (let t = 0; t < a.length; t++) {
    const x = a[t], y = b[t];
    r[t] = inv.data[x * n + x] + inv.data[y * n + y] - 2 * inv.data[x * n + y];
  }
  return r;
}

/** Generalized eigenvalues of (L_H + γI, L_G + γI) (γ = 0: with the per-component shift of G). */
export function spectralError(G: Graph, H: Graph, gamma: number): { lo: number; hi: number; err: number } {
  const n = G.n;
  const A = G.laplacianDense(), B = H.laplacianDense();
  if (gamma > 0) {
    for (let i = 0; i < n; i++) {
      A.data[i * n + i] += gamma;
      B.data[i * n + i] += gamma;
    }
  } else {
    const { labels, sizes } = G.components();
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (labels[i] !== labels[j]) continue;
        const x = 1 / sizes[labels[i]];
        A.data[i * n + j] += x;
        B.data[i * n + j] += x;
      }
    }
  }
  const C = linalg.cholesky(A).L;
  const Y = linalg.solveTriangular(C, B) as Matrix; // C⁻¹Ã
  const Yt = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Yt.data[i * n + j] = Y.data[j * n + i];
  const X = linalg.solveTriangular(C, Yt) as Matrix; // C⁻¹ÃC⁻ᵀ
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const s = (X.data[i * n + j] + X.data[j * n + i]) / 2;
      X.data[i * n + j] = X.data[j * n + i] = s;
    }
  }
  const ev = linalg.eigvalsh(X);
  let lo = Infinity, hi = -Infinity;
  for (const x of ev) {
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  return { lo, hi, err: Math.max(1 - lo, hi - 1) };
}

/** Sorted copy. */
export function sorted(x: ArrayLike<number>): number[] {
  return Array.from(x).sort((p, q) => p - q);
}

/** The q-quantile of a sorted array. */
export function quantile(s: readonly number[], q: number): number {
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
