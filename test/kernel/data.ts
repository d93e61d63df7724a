// Test data for the kernel-dictionary tests, generated without the engine (a small LCG and
// Box–Muller) so the data never depends on the code under test.
import { Matrix } from "../../sdk/index.js";

export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
}

export function gauss(u: () => number): number {
  return Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** The coherent mixture (this project's test design: the high-coherence regime of Alaoui &
 *  Mahoney 2015, where leverage scores beat uniform sampling): nBlob points ~ N(0, I_d) plus `clusters` tight
 *  clusters of `per` points (σ = 0.05) with centres uniform in [−30, 30]^d, shuffled. */
export function coherentMixture(n: number, d: number, seed: number, clusters = 40, per = 5): Matrix {
  const u = lcg(seed);
  const nClust = clusters * per;
  const nBlob = n - nClust;
  const X = new Matrix(n, d);
  const rows: Float64Array[] = [];
  for (let i = 0; i < nBlob; i++) rows.push(Float64Array.from({ length: d }, () => gauss(u)));
  for (let c = 0; c < clusters; c++) {
    const centre = Float64Array.from({ length: d }, () => -30 + 60 * u());
    for (let p = 0; p < per; p++) rows.push(Float64Array.from(centre, (v) => v + 0.05 * gauss(u)));
  }
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  rows.forEach((r, i) => X.data.set(r, i * d));
  return X;
}

/** A plain Gaussian blob n×d. */
export function blob(n: number, d: number, seed: number, scale = 1): Matrix {
  const u = lcg(seed);
  return new Matrix(n, d, Float64Array.from({ length: n * d }, () => scale * gauss(u)));
}

/** Cyclic Jacobi eigen-decomposition of a symmetric matrix (dense reference, small n). */
export function jacobiEigen(A: Matrix, sweeps = 30): { values: Float64Array; vectors: Matrix } {
  const n = A.rows;
  const a = A.data.slice();
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: new Matrix(n, n, v) };
}
