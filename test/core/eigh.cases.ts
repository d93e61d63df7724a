// Symmetric eigensolver cases: residuals and orthogonality on random matrices, closed-form
// spectra, repeated and graded eigenvalues, edge cases and input validation.
import * as S from "../../sdk/index.js";
import { ok, close, maxAbsDiff, throwsType, fingerprint } from "./assert.js";
import { lcgData, randomMatrix, naiveMatmul } from "./engine.cases.js";

import type { Case } from "./suite.js";

/** A random symmetric matrix (lower triangle from an LCG, mirrored). */
function randomSymmetric(n: number, seed: number): S.Matrix {
  const r = randomMatrix(n, n, seed);
  const a = new S.Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      a.data[i * n + j] = r.data[i * n + j];
      a.data[j * n + i] = r.data[i * n + j];
    }
  }
  return a;
}

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/** max |A·V − V·diag(λ)| and max |VᵀV − I|. */
function residuals(A: S.Matrix, values: Float64Array, V: S.Matrix): { res: number; orth: number } {
  const n = A.rows;
  const AV = naiveMatmul(A, V);
  let res = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) res = Math.max(res, Math.abs(AV.data[i * n + j] - values[j] * V.data[i * n + j]));
  const VtV = naiveMatmul(V.transpose(), V);
  let orth = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) orth = Math.max(orth, Math.abs(VtV.data[i * n + j] - (i === j ? 1 : 0)));
  return { res, orth };
}

function checkDecomposition(A: S.Matrix, values: Float64Array, V: S.Matrix, label: string, tolScale = 1e-12): void {
  const n = A.rows;
  ok(values.length === n && V.rows === n && V.cols === n, `${label}: shapes`);
  for (let i = 1; i < n; i++) ok(values[i - 1] <= values[i], `${label}: values ascending at ${i}`);
  const { res, orth } = residuals(A, values, V);
  const a = Math.max(maxAbs(A.data), Number.MIN_VALUE);
  ok(res <= tolScale * n * a, `${label}: ‖AV − VΛ‖ = ${res} > ${tolScale}·n·max|A|`);
  ok(orth <= tolScale * n, `${label}: ‖VᵀV − I‖ = ${orth}`);
  // Σλ = trace(A) and Σλ² = ‖A‖²_F: references that do not depend on the vectors.
  let tr = 0, fro = 0, s1 = 0, s2 = 0;
  for (let i = 0; i < n; i++) tr += A.data[i * n + i];
  for (const v of A.data) fro += v * v;
  for (const l of values) { s1 += l; s2 += l * l; }
  close(s1, tr, tolScale * n * a, `${label}: Σλ = trace`);
  close(s2, fro, tolScale * n * n * a * a, `${label}: Σλ² = ‖A‖²_F`);
}

/** Householder Q = I − 2·u·uᵀ/‖u‖² and A = Q·diag(λ)·Qᵀ (symmetrised exactly). */
function fromSpectrum(lambda: number[], seed: number): { A: S.Matrix; Q: S.Matrix } {
  const n = lambda.length;
  const u = lcgData(n, seed);
  let uu = 0;
  for (const x of u) uu += x * x;
  const Q = new S.Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Q.data[i * n + j] = (i === j ? 1 : 0) - 2 * u[i] * u[j] / uu;
  const A = new S.Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += Q.data[i * n + k] * lambda[k] * Q.data[j * n + k];
      A.data[i * n + j] = s;
      A.data[j * n + i] = s;
    }
  }
  return { A, Q };
}

function tridiagonal(n: number, diag: number, off: number): S.Matrix {
  const A = new S.Matrix(n, n);
  for (let i = 0; i < n; i++) {
    A.data[i * n + i] = diag;
    if (i > 0) A.data[i * n + i - 1] = A.data[(i - 1) * n + i] = off;
  }
  return A;
}

export const cases: Case[] = [
  {
    name: "eigh: A·V = V·Λ, VᵀV = I on random symmetric matrices (divide and conquer and QL)",
    fn: () => {
      for (const n of [1, 2, 3, 17, 25, 64, 150]) {
        const A = randomSymmetric(n, 1000 + n);
        const dc = S.linalg.eigh(A);
        checkDecomposition(A, dc.values, dc.vectors, `dc n=${n}`);
        const ql = S.linalg.eigh(A, { method: "ql" });
        checkDecomposition(A, ql.values, ql.vectors, `ql n=${n}`);
        const vals = S.linalg.eigvalsh(A);
        const tol = 1e-12 * n * maxAbs(A.data);
        ok(maxAbsDiff(dc.values, ql.values) <= tol, `dc and ql eigenvalues agree, n=${n}`);
        ok(maxAbsDiff(dc.values, vals) <= tol, `eigvalsh agrees with eigh, n=${n}`);
        // Reconstruction A = V·Λ·Vᵀ.
        const VL = dc.vectors.clone();
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) VL.data[i * n + j] *= dc.values[j];
        ok(maxAbsDiff(naiveMatmul(VL, dc.vectors.transpose()).data, A.data) <= tol, `V·Λ·Vᵀ = A, n=${n}`);
      }
    },
  },
  {
    name: "eigh: n = 780 (blocked tridiagonalisation, deep divide and conquer), sampled residuals",
    fn: () => {
      const n = 780;
      const A = randomSymmetric(n, 4242);
      const { values, vectors: V } = S.linalg.eigh(A);
      const a = maxAbs(A.data);
      let res = 0, orth = 0;
      for (let j = 0; j < n; j += 26) {
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += A.data[i * n + k] * V.data[k * n + j];
          res = Math.max(res, Math.abs(s - values[j] * V.data[i * n + j]));
        }
        for (let j2 = 0; j2 < n; j2 += 11) {
          let s = 0;
          for (let k = 0; k < n; k++) s += V.data[k * n + j] * V.data[k * n + j2];
          orth = Math.max(orth, Math.abs(s - (j === j2 ? 1 : 0)));
        }
      }
      ok(res <= 1e-12 * n * a, `‖Av − λv‖ = ${res}`);
      ok(orth <= 1e-12 * n, `‖VᵀV − I‖ = ${orth}`);
      let tr = 0, fro = 0, s1 = 0, s2 = 0;
      for (let i = 0; i < n; i++) tr += A.data[i * n + i];
      for (const v of A.data) fro += v * v;
      for (const l of values) { s1 += l; s2 += l * l; }
      close(s1, tr, 1e-12 * n * a, "Σλ = trace");
      close(s2, fro, 1e-12 * n * n * a * a, "Σλ² = ‖A‖²_F");
      for (let i = 1; i < n; i++) ok(values[i - 1] <= values[i], `ascending at ${i}`);
      const vals = S.linalg.eigvalsh(A);
      ok(maxAbsDiff(vals, values) <= 1e-12 * n * a, "eigvalsh agrees");
    },
  },
  {
    name: "eigh: closed-form spectra ([−1, 2, −1] tridiagonal, path-graph Laplacian, diagonal)",
    fn: () => {
      for (const n of [5, 40, 120]) {
        const T = tridiagonal(n, 2, -1);
        const r = S.linalg.eigh(T);
        for (let k = 1; k <= n; k++) close(r.values[k - 1], 2 - 2 * Math.cos(k * Math.PI / (n + 1)), 1e-13 * n, `[−1,2,−1] n=${n} λ_${k}`);
        // the eigenvectors are sin(j·k·π/(n+1)), up to sign and normalisation
        for (const k of [1, n]) {
          const v = r.vectors.col(k - 1);
          let dotp = 0, nn = 0;
          for (let j = 0; j < n; j++) {
            const s = Math.sin((j + 1) * k * Math.PI / (n + 1));
            dotp += s * v[j];
            nn += s * s;
          }
          close(Math.abs(dotp) / Math.sqrt(nn), 1, 1e-10, `[−1,2,−1] n=${n} eigenvector ${k}`);
        }
        // path graph: L = D − A has eigenvalues 2 − 2cos(kπ/n), k = 0..n−1
        const L = tridiagonal(n, 2, -1);
        L.data[0] = 1;
        L.data[n * n - 1] = 1;
        const lv = S.linalg.eigh(L);
        for (let k = 0; k < n; k++) close(lv.values[k], 2 - 2 * Math.cos(k * Math.PI / n), 1e-13 * n, `path Laplacian n=${n} λ_${k}`);
        checkDecomposition(L, lv.values, lv.vectors, `path Laplacian n=${n}`);
        close(Math.abs(lv.vectors.col(0)[0]), 1 / Math.sqrt(n), 1e-12, "Laplacian null vector is constant");
      }
      // diagonal: the values sorted, the vectors a signed permutation
      const d = [3, -1, 7, 0, -1, 2.5, 1e-3];
      const n = d.length;
      const D = new S.Matrix(n, n);
      d.forEach((x, i) => (D.data[i * n + i] = x));
      const r = S.linalg.eigh(D);
      const sorted = d.slice().sort((a, b) => a - b);
      for (let i = 0; i < n; i++) ok(r.values[i] === sorted[i], `diagonal λ_${i} exact`);
      for (let j = 0; j < n; j++) {
        const c = r.vectors.col(j);
        const nz = Array.from(c).filter((x) => x !== 0);
        ok(nz.length === 1 && Math.abs(nz[0]) === 1, `diagonal: eigenvector ${j} is a unit coordinate vector`);
        ok(d[c.findIndex((x) => x !== 0)] === r.values[j], `diagonal: eigenvector ${j} matches its value`);
      }
    },
  },
  {
    name: "eigh: repeated eigenvalues (I + u·uᵀ, all-ones, block-diagonal copies) stay orthogonal",
    fn: () => {
      const n = 90;
      const u = lcgData(n, 77);
      let uu = 0;
      for (const x of u) uu += x * x;
      const A = new S.Matrix(n, n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A.data[i * n + j] = (i === j ? 1 : 0) + u[i] * u[j];
      const r = S.linalg.eigh(A);
      checkDecomposition(A, r.values, r.vectors, "I + u·uᵀ");
      for (let i = 0; i < n - 1; i++) close(r.values[i], 1, 1e-13 * n, `I + u·uᵀ: λ_${i} = 1`);
      close(r.values[n - 1], 1 + uu, 1e-13 * n, "I + u·uᵀ: λ_max = 1 + ‖u‖²");
      const ones = new S.Matrix(64, 64, new Float64Array(64 * 64).fill(1));
      const o = S.linalg.eigh(ones);
      checkDecomposition(ones, o.values, o.vectors, "all-ones");
      close(o.values[63], 64, 1e-12, "all-ones: λ_max = n");
      ok(maxAbs(o.values.subarray(0, 63)) <= 1e-12, "all-ones: the other eigenvalues are 0");
      // the same 30×30 block three times: every eigenvalue has multiplicity 3
      const B = randomSymmetric(30, 5);
      const C = new S.Matrix(90, 90);
      for (let b = 0; b < 3; b++) for (let i = 0; i < 30; i++) for (let j = 0; j < 30; j++) C.data[(30 * b + i) * 90 + 30 * b + j] = B.data[i * 30 + j];
      const c = S.linalg.eigh(C);
      checkDecomposition(C, c.values, c.vectors, "block-diagonal copies");
      const bv = S.linalg.eigh(B).values;
      for (let i = 0; i < 90; i++) close(c.values[i], bv[Math.floor(i / 3)], 1e-13 * 90, `block copies λ_${i}`);
    },
  },
  {
    name: "eigh: Q·diag(λ)·Qᵀ with λ from 1e-12 to 1e4 (ill-conditioned) recovers λ and Q",
    fn: () => {
      const n = 80;
      const lambda = Array.from({ length: n }, (_, k) => Math.pow(10, -12 + 16 * k / (n - 1)));
      // shuffle the order deterministically so the reference Q columns are not sorted
      const perm = Array.from({ length: n }, (_, k) => (k * 37) % n);
      const lam = perm.map((k) => lambda[k]);
      const { A, Q } = fromSpectrum(lam, 3);
      for (const method of ["dc", "ql"] as const) {
        const r = S.linalg.eigh(A, { method });
        checkDecomposition(A, r.values, r.vectors, `graded ${method}`);
        for (let k = 0; k < n; k++) close(r.values[k], lambda[k], 1e-13 * n * 1e4, `graded ${method} λ_${k}`);
        // well-separated eigenvalues (λ ≥ 1: relative gaps ≥ 0.5) give the columns of Q up to sign
        for (let k = 0; k < n; k++) {
          if (lambda[k] < 1) continue;
          const src = perm.indexOf(k);
          let dotp = 0;
          for (let i = 0; i < n; i++) dotp += Q.data[i * n + src] * r.vectors.data[i * n + k];
          close(Math.abs(dotp), 1, 1e-10, `graded ${method}: eigenvector of λ = ${lambda[k].toExponential(2)}`);
        }
      }
    },
  },
  {
    name: "eigh: scaling by powers of two is exact; tiny and huge entries; only the lower triangle is used",
    fn: () => {
      const A = randomSymmetric(50, 9);
      const r = S.linalg.eigh(A);
      for (const s of [Math.pow(2, -900), Math.pow(2, -40), Math.pow(2, 30), Math.pow(2, 1000)]) {
        const As = new S.Matrix(50, 50, A.data.map((x) => x * s));
        const rs = S.linalg.eigh(As);
        for (let i = 0; i < 50; i++) ok(rs.values[i] === r.values[i] * s, `λ(2^k·A) = 2^k·λ(A) exactly (scale ${s})`);
        ok(maxAbsDiff(rs.vectors.data, r.vectors.data) === 0, `vectors unchanged by scaling (scale ${s})`);
      }
      // upper triangle perturbed within the symmetry tolerance: identical result
      const P = A.clone();
      for (let i = 0; i < 50; i++) for (let j = i + 1; j < 50; j++) P.data[i * 50 + j] *= 1 + 1e-12;
      const rp = S.linalg.eigh(P);
      ok(maxAbsDiff(rp.values, r.values) === 0 && maxAbsDiff(rp.vectors.data, r.vectors.data) === 0, "only the lower triangle is read");
    },
  },
  {
    name: "eigh: 1×1, 2×2, zero, 0×0 and vectors: false",
    fn: () => {
      const one = S.linalg.eigh([[-3.5]]);
      ok(one.values[0] === -3.5 && Math.abs(one.vectors.data[0]) === 1, "1×1");
      const two = S.linalg.eigh([[2, 1], [1, 2]]);
      close(two.values[0], 1, 1e-15, "2×2 λ_0");
      close(two.values[1], 3, 1e-15, "2×2 λ_1");
      close(Math.abs(two.vectors.get(0, 1)), Math.SQRT1_2, 1e-15, "2×2 eigenvector");
      const z = S.linalg.eigh(new S.Matrix(6, 6));
      ok(z.values.every((x) => x === 0), "zero matrix: eigenvalues 0");
      ok(maxAbsDiff(z.vectors.data, S.Matrix.identity(6).data) === 0, "zero matrix: vectors = I");
      const e = S.linalg.eigh(new S.Matrix(0, 0));
      ok(e.values.length === 0 && e.vectors.rows === 0, "0×0");
      const nv = S.linalg.eigh(randomSymmetric(10, 1), { vectors: false });
      ok(nv.vectors === null && nv.values.length === 10, "vectors: false returns values only");
    },
  },
  {
    name: "eigh: bad input is rejected with typed errors naming the argument and index",
    fn: () => {
      throwsType(() => S.linalg.eigh([[1, 2, 3], [4, 5, 6]]), S.ShapeError, /square/, "non-square");
      throwsType(() => S.linalg.eigh([[1, 2], [2, NaN]]), S.ValueError, /A\[1, 1\].*finite/, "NaN");
      throwsType(() => S.linalg.eigh([[1, Infinity], [Infinity, 1]]), S.ValueError, /A\[0, 1\]/, "Infinity");
      throwsType(() => S.linalg.eigh([[1, 2, 0], [2, 1, 0], [0, 1e-3, 1]]), S.ValueError, /not symmetric: A\[2, 1\]/, "non-symmetric");
      throwsType(() => S.linalg.eigvalsh([[0, 1], [-1, 0]]), S.ValueError, /^eigvalsh: A is not symmetric: A\[1, 0\]/, "eigvalsh non-symmetric");
      throwsType(() => S.linalg.eigh([[1]], { method: "jacobi" as "dc" }), S.ValueError, /method/, "bad method");
      throwsType(() => S.linalg.eigh([[1]], { symmetryTol: -1 }), S.ValueError, /symmetryTol/, "bad symmetryTol");
      // eigenvalues beyond the f64 range: an error, not ±Infinity
      throwsType(() => S.linalg.eigh([[1.5e308, 1.5e308], [1.5e308, 1.5e308]]), S.NumericalError, /exceed the f64 range/, "overflowing eigenvalues");
      // a looser tolerance accepts a slightly asymmetric matrix
      const r = S.linalg.eigh([[1, 2], [2 + 1e-6, 1]], { symmetryTol: 1e-5 });
      close(r.values[1], 3 + 1e-6, 1e-12, "symmetryTol accepts a small asymmetry; the lower triangle is used");
    },
  },
];

/** Fingerprints of a fixed 40×40 decomposition: identical bits in every runtime. */
export function digest(): Record<string, string> {
  const A = randomSymmetric(40, 4040);
  const r = S.linalg.eigh(A);
  return { eigh40: fingerprint(r.values), eigh40vectors: fingerprint(r.vectors.data) };
}
