// Core cases: engine loading, linear algebra, kernels and the PRNG, written against the
// public API only, with no test-framework dependency (see suite.ts).
import * as S from "../../sdk/index.js";
import { ok, close, maxAbsDiff, throwsType, fingerprint } from "./assert.js";

import type { Case } from "./suite.js";

// Deterministic test data without the engine (so the data itself never depends on the code
// under test): a small LCG.
export function lcgData(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

export function randomMatrix(rows: number, cols: number, seed: number): S.Matrix {
  return new S.Matrix(rows, cols, lcgData(rows * cols, seed));
}

export function naiveMatmul(a: S.Matrix, b: S.Matrix): S.Matrix {
  const c = new S.Matrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      for (let j = 0; j < b.cols; j++) c.data[i * b.cols + j] += aik * b.data[k * b.cols + j];
    }
  }
  return c;
}

/** A random SPD matrix B·Bᵀ + shift·I. */
export function spd(n: number, seed: number, shift = 1): S.Matrix {
  const b = randomMatrix(n, n, seed);
  const a = naiveMatmul(b, b.transpose());
  for (let i = 0; i < n; i++) a.data[i * n + i] += shift;
  return a;
}

export const cases: Case[] = [
  {
    name: "engine loads and reports memory",
    fn: () => {
      ok(S.isInitialised(), "init() completed");
      ok(S.getEngine().memoryBytes >= 65536, "engine has linear memory");
    },
  },
  {
    name: "gemm matches the naive product, all transpose variants and odd sizes",
    fn: () => {
      for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [17, 33, 9], [70, 300, 65], [130, 7, 260]]) {
        const A = randomMatrix(m, k, m * 7 + k), B = randomMatrix(k, n, n * 13 + 1);
        const ref = naiveMatmul(A, B);
        const tol = 1e-12 * k;
        ok(maxAbsDiff(S.linalg.gemm(A, B).data, ref.data) < tol, `gemm NN ${m}x${k}x${n}`);
        ok(maxAbsDiff(S.linalg.gemm(A.transpose(), B, { transA: true }).data, ref.data) < tol, `gemm TN ${m}x${k}x${n}`);
        ok(maxAbsDiff(S.linalg.gemm(A, B.transpose(), { transB: true }).data, ref.data) < tol, `gemm NT ${m}x${k}x${n}`);
        ok(maxAbsDiff(S.linalg.gemm(A.transpose(), B.transpose(), { transA: true, transB: true }).data, ref.data) < tol, `gemm TT ${m}x${k}x${n}`);
        const C = randomMatrix(m, n, 99);
        const acc = S.linalg.gemm(A, B, { alpha: 2, beta: -0.5, C });
        const want = ref.data.map((v, i) => 2 * v - 0.5 * C.data[i]);
        ok(maxAbsDiff(acc.data, want) < 2 * tol, `gemm alpha/beta ${m}x${k}x${n}`);
      }
    },
  },
  {
    name: "cholesky reconstructs A and solves SPD systems",
    fn: () => {
      for (const n of [1, 2, 5, 63, 64, 65, 150]) {
        const A = spd(n, n + 3);
        const { L, jitter } = S.linalg.cholesky(A);
        ok(jitter === 0, "no jitter for a well-conditioned matrix");
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) ok(L.get(i, j) === 0, "upper triangle zeroed");
        const LLt = naiveMatmul(L, L.transpose());
        ok(maxAbsDiff(LLt.data, A.data) < 1e-10 * n, `L·Lᵀ = A for n=${n}`);
        const xTrue = lcgData(n, 5);
        const b = new Float64Array(n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] += A.get(i, j) * xTrue[j];
        const x = S.linalg.choSolve(L, b) as Float64Array;
        ok(maxAbsDiff(x, xTrue) < 1e-8, `cho_solve n=${n}`);
      }
    },
  },
  {
    name: "cholesky rejects an indefinite matrix, and jitter rescues a singular one",
    fn: () => {
      const indef = S.Matrix.fromRows([[1, 2], [2, 1]]);
      const err = throwsType(() => S.linalg.cholesky(indef), S.NumericalError, /pivot 1/, "indefinite");
      ok((err as S.NumericalError).details.pivot === 1, "pivot reported");
      // rank-1 PSD matrix: singular; jitter makes it factorable and reports the shift.
      const v = [1, 2, 3];
      const sing = S.Matrix.fromRows(v.map((a) => v.map((b) => a * b)));
      throwsType(() => S.linalg.cholesky(sing), S.NumericalError, /not positive definite/, "singular without jitter");
      const r = S.linalg.cholesky(sing, { jitter: 1e-10 });
      ok(r.jitter > 0 && r.jitter < 1e-3, `jitter reported (${r.jitter})`);
      const LLt = naiveMatmul(r.L, r.L.transpose());
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) close(LLt.get(i, j), sing.get(i, j) + (i === j ? r.jitter : 0), 1e-9, "jittered reconstruction");
    },
  },
  {
    name: "triangular solves with many right-hand sides and diag(A⁻¹)",
    fn: () => {
      const n = 130, r = 7;
      const A = spd(n, 11);
      const { L } = S.linalg.cholesky(A);
      const B = randomMatrix(n, r, 3);
      const X = S.linalg.solveTriangular(L, B) as S.Matrix;
      ok(maxAbsDiff(naiveMatmul(L, X).data, B.data) < 1e-10, "L·X = B");
      const Y = S.linalg.solveTriangular(L, B, { transpose: true }) as S.Matrix;
      ok(maxAbsDiff(naiveMatmul(L.transpose(), Y).data, B.data) < 1e-10, "Lᵀ·Y = B");
      const d = S.linalg.diagInverse(L);
      const inv = S.linalg.choSolve(L, S.Matrix.identity(n)) as S.Matrix;
      for (let i = 0; i < n; i++) close(d[i], inv.get(i, i), 1e-10, `diag(A⁻¹)[${i}]`);
    },
  },
  {
    name: "conjugate gradient: plain, Jacobi, Cholesky-preconditioned and operator form",
    fn: () => {
      const n = 80;
      const A = spd(n, 21, 5);
      const xTrue = lcgData(n, 8);
      const b = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] += A.get(i, j) * xTrue[j];
      const plain = S.linalg.cg(A, b, { tol: 1e-12 });
      ok(plain.converged && maxAbsDiff(plain.x, xTrue) < 1e-8, "plain cg");
      const jac = S.linalg.cg(A, b, { tol: 1e-12, precond: "jacobi" });
      ok(jac.converged && maxAbsDiff(jac.x, xTrue) < 1e-8, "jacobi cg");
      const { L } = S.linalg.cholesky(A);
      const exact = S.linalg.cg(A, b, { tol: 1e-12, precond: { cholesky: L } });
      ok(exact.iterations <= 2, `exact preconditioner converges at once (${exact.iterations} iterations)`);
      const op = S.linalg.cg((v) => naiveMatmul(A, new S.Matrix(n, 1, v)).data, b, { tol: 1e-12 });
      ok(op.converged && maxAbsDiff(op.x, xTrue) < 1e-8, "operator cg");
      throwsType(() => S.linalg.cg(A, b, { maxIter: 2 }), S.NumericalError, /did not reach/, "iteration limit");
    },
  },
  {
    name: "kernels match their formulas, diag, and the distance guard",
    fn: () => {
      const X = randomMatrix(23, 5, 1), Y = randomMatrix(17, 5, 2);
      const sq = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);
      const l1 = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0);
      const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
      const refs: Array<[S.Kernel, (a: Float64Array, b: Float64Array) => number]> = [
        [S.rbf({ gamma: 0.7 }), (a, b) => Math.exp(-0.7 * sq(a, b))],
        [S.rbf({ sigma: 2 }), (a, b) => Math.exp(-sq(a, b) / 8)],
        [S.laplacian({ gamma: 0.3 }), (a, b) => Math.exp(-0.3 * l1(a, b))],
        [S.linear(), dot],
        [S.polynomial({ gamma: 0.5, coef0: 1, degree: 3 }), (a, b) => (0.5 * dot(a, b) + 1) ** 3],
        [S.matern12({ lengthScale: 0.8 }), (a, b) => Math.exp(-Math.sqrt(sq(a, b)) / 0.8)],
        [S.matern32({ lengthScale: 0.8 }), (a, b) => { const s = Math.sqrt(3 * sq(a, b)) / 0.8; return (1 + s) * Math.exp(-s); }],
        [S.matern52({ lengthScale: 0.8 }), (a, b) => { const r = Math.sqrt(sq(a, b)) / 0.8; const s = Math.sqrt(5) * r; return (1 + s + 5 * r * r / 3) * Math.exp(-s); }],
      ];
      for (const [k, f] of refs) {
        const K = k.matrix(X, Y);
        ok(K.rows === 23 && K.cols === 17, "shape");
        for (let i = 0; i < 23; i++) for (let j = 0; j < 17; j++) close(K.get(i, j), f(X.row(i), Y.row(j)), 1e-12, `${k} [${i},${j}]`);
        const KK = k.matrix(X);
        const dg = k.diag(X);
        for (let i = 0; i < 23; i++) {
          close(KK.get(i, i), f(X.row(i), X.row(i)), 1e-12, `${k} self diag`);
          close(dg[i], f(X.row(i), X.row(i)), 1e-12, `${k}.diag`);
          for (let j = 0; j < i; j++) ok(KK.get(i, j) === KK.get(j, i), `${k} symmetric`);
        }
      }
      // Far-apart and identical points: the GEMM distance identity must not go negative.
      const big = S.Matrix.fromRows([[1e8, 1e8 + 1], [1e8, 1e8 + 1]]);
      const Kb = S.rbf({ gamma: 1 }).matrix(big, S.Matrix.fromRows([[1e8, 1e8 + 1]]));
      ok(Kb.get(0, 0) <= 1 && Kb.get(1, 0) <= 1 && Kb.get(0, 0) > 0, "no value above 1 from round-off");
    },
  },
  {
    name: "PRNG: uniform, normal, Bernoulli and exact binomial moments",
    fn: () => {
      const rng = new S.Rng(42);
      const u = rng.uniform(200000);
      let mu = 0;
      for (const v of u) { ok(v >= 0 && v < 1, "uniform in [0,1)"); mu += v; }
      close(mu / u.length, 0.5, 0.005, "uniform mean");
      const z = rng.normal(200001);
      let m1 = 0, m2 = 0;
      for (const v of z) { m1 += v; m2 += v * v; }
      close(m1 / z.length, 0, 0.01, "normal mean");
      close(m2 / z.length, 1, 0.015, "normal variance");
      for (const [n, p] of [[10, 0.3], [1000, 0.02], [1000, 0.5], [100000, 0.9], [7, 1], [7, 0]]) {
        const draws = rng.binomial(n, p, 20000);
        let s = 0, s2 = 0;
        for (const v of draws) { ok(Number.isInteger(v) && v >= 0 && v <= n, "binomial support"); s += v; s2 += v * v; }
        const mean = s / draws.length, variance = s2 / draws.length - mean * mean;
        const sd = Math.sqrt(n * p * (1 - p));
        close(mean, n * p, 5 * sd / Math.sqrt(draws.length) + 1e-12, `binomial(${n},${p}) mean`);
        close(variance, n * p * (1 - p), 0.06 * n * p * (1 - p) + 1e-12, `binomial(${n},${p}) variance`);
      }
      rng.dispose();
    },
  },
  {
    name: "bad input is rejected with typed errors naming the argument",
    fn: () => {
      throwsType(() => S.linalg.gemm([[1, 2]], [[1, 2]]), S.ShapeError, /inner dimensions/, "gemm shape");
      throwsType(() => S.linalg.gemm([[1, NaN]], [[1], [2]]), S.ValueError, /A\[0, 1\] is NaN/, "NaN input");
      throwsType(() => S.linalg.cholesky([[1, 2, 3]]), S.ShapeError, /square/, "non-square");
      throwsType(() => S.rbf({ gamma: 0 }), S.ValueError, /gamma must be a finite number > 0/, "gamma 0");
      throwsType(() => S.rbf({ gamma: -1 }), S.ValueError, /gamma/, "gamma < 0");
      throwsType(() => S.matern32({ lengthScale: Infinity }), S.ValueError, /lengthScale/, "lengthScale inf");
      throwsType(() => S.rbf({ gamma: 1 }).matrix([[1, 2]], [[1, 2, 3]]), S.ShapeError, /columns/, "kernel width mismatch");
      throwsType(() => S.linalg.cholesky([[1, 2], [3]] as number[][]), S.ShapeError, /row 1 has length 1/, "ragged");
      throwsType(() => new S.Rng(-1), S.ValueError, /seed/, "negative seed");
      throwsType(() => new S.Rng(1).binomial(10, 1.5), S.ValueError, /\bp must be a probability/, "p > 1");
    },
  },
  {
    // The engine's vectorised exp (export vexp; the kernels and the games use it). Measured
    // bound: max relative error 2.22e-16 (1 ulp) against Math.exp over [−708.39, 709.78];
    // asserted ≤ 3.4e-16 (1.5 ulp).
    name: "vectorised exp: ≤ 1.5 ulp against Math.exp, exact 0 below the cut, Inf above, NaN kept",
    fn: () => {
      const xs: number[] = [];
      const grid = 150001;
      for (let i = 0; i < grid; i++) xs.push(-708.39 + (708.39 * i) / (grid - 1)); // [−708.39, 0]
      const rnd = lcgData(20000, 77);
      for (const v of rnd) xs.push((v + 0.5) * 709.78); // [0, 709.78)
      for (const v of rnd) xs.push(v * 0.7); // |r| ≤ ln2/2 neighbourhood, both signs
      xs.push(0, -0, 1e-300, -1e-300, Math.LN2 / 2, -Math.LN2 / 2, 1, -1, 709.78, -708.39, 5e-324);
      const nAcc = xs.length;
      const special = [-708.4, -709, -745, -1e4, -Infinity, 709.8, 710, 1e4, Infinity, NaN];
      xs.push(...special, 0.5); // odd length: exercises the scalar tail
      const eng = S.getEngine();
      const xb = eng.f64(xs.length).set(xs), yb = eng.f64(xs.length);
      eng.call("vexp", { x: xb, out: yb, n: xs.length });
      const y = yb.toArray();
      xb.dispose();
      yb.dispose();
      let worst = 0, at = 0;
      for (let i = 0; i < nAcc; i++) {
        const want = Math.exp(xs[i]);
        const rel = Math.abs(y[i] - want) / want;
        if (!(rel <= worst)) { worst = rel; at = xs[i]; }
      }
      ok(worst <= 3.4e-16, `max relative error ${worst} at x = ${at} (bound 3.4e-16)`);
      for (let i = 0; i < special.length; i++) {
        const x = special[i], v = y[nAcc + i];
        if (Number.isNaN(x)) ok(Number.isNaN(v), "NaN in, NaN out");
        else if (x < -708.39) ok(v === 0 && !Object.is(v, -0), `exp(${x}) is exactly +0, got ${v}`);
        else ok(v === Infinity, `exp(${x}) overflows to Infinity, got ${v}`);
      }
      ok(y[xs.length - 1] === y[xs.length - 1] && Math.abs(y[xs.length - 1] / Math.exp(0.5) - 1) <= 3.4e-16, "scalar tail");
      ok(y[xs.indexOf(0)] === 1 && y[xs.indexOf(-0)] === 1, "exp(±0) is exactly 1");
      // The kernels use a variant for arguments ≤ 0 (same reduction and polynomial). With
      // x = 0, y = t and γ = 1 the RBF entry is exactly that exp at −fl(t²).
      const ts = Array.from({ length: 30001 }, (_, i) => i / 1000); // −t² from 0 to −900
      const K = S.rbf({ gamma: 1 }).matrix([[0]], ts.map((t) => [t]));
      let worstK = 0, atK = 0;
      for (let j = 0; j < ts.length; j++) {
        const arg = -(ts[j] * ts[j]);
        if (arg < -708.39) { ok(K.data[j] === 0, `rbf entry at −t² = ${arg} is exactly 0`); continue; }
        const rel = Math.abs(K.data[j] - Math.exp(arg)) / Math.exp(arg);
        if (!(rel <= worstK)) { worstK = rel; atK = arg; }
      }
      ok(worstK <= 3.4e-16, `kernel exp: max relative error ${worstK} at ${atK} (bound 3.4e-16)`);
    },
  },
  {
    name: "gemm wider than one packed column panel (n = 2053), all transposes, α and β",
    fn: () => {
      const [m, k, n] = [6, 6, 2053]; // k ≡ 2 (mod 4): the micro-kernel exits mid-group
      const A = randomMatrix(m, k, 51), B = randomMatrix(k, n, 52), C = randomMatrix(m, n, 53);
      const ref = naiveMatmul(A, B);
      ok(maxAbsDiff(S.linalg.gemm(A, B).data, ref.data) < 1e-12, "NN");
      ok(maxAbsDiff(S.linalg.gemm(A.transpose(), B.transpose(), { transA: true, transB: true }).data, ref.data) < 1e-12, "TT");
      const acc = S.linalg.gemm(A, B, { alpha: -1.5, beta: 0.25, C });
      ok(maxAbsDiff(acc.data, ref.data.map((v, i) => -1.5 * v + 0.25 * C.data[i])) < 1e-12, "alpha/beta");
    },
  },
  {
    name: "syrk matches A·Aᵀ over several block rows and is exactly symmetric (also the linear self-kernel)",
    fn: () => {
      const A = randomMatrix(130, 37, 61);
      const ref = naiveMatmul(A, A.transpose());
      const C = S.linalg.syrk(A);
      ok(maxAbsDiff(C.data, ref.data) < 1e-12, `syrk vs naive (max diff ${maxAbsDiff(C.data, ref.data)})`);
      const K = S.linear().matrix(A);
      ok(maxAbsDiff(K.data, ref.data) < 1e-12, "linear self-kernel vs naive");
      for (let i = 0; i < 130; i++) for (let j = 0; j < i; j++) {
        ok(C.data[i * 130 + j] === C.data[j * 130 + i] && K.data[i * 130 + j] === K.data[j * 130 + i], `exactly symmetric at [${i}, ${j}]`);
      }
    },
  },
  {
    // Blocked Cholesky: panels of 96 columns with odd row counts (the two-row substitution's
    // scalar tail) and recursive panel splits, against a plain column Cholesky in JavaScript.
    name: "cholesky matches an unblocked reference across panel sizes (n = 97, 131, 250)",
    fn: () => {
      for (const n of [97, 131, 250]) {
        const A = spd(n, n + 11);
        const ref = new Float64Array(n * n);
        for (let j = 0; j < n; j++) {
          let d = A.data[j * n + j];
          for (let t = 0; t < j; t++) d -= ref[j * n + t] ** 2;
          const ljj = Math.sqrt(d);
          ref[j * n + j] = ljj;
          for (let i = j + 1; i < n; i++) {
            let v = A.data[i * n + j];
            for (let t = 0; t < j; t++) v -= ref[i * n + t] * ref[j * n + t];
            ref[i * n + j] = v / ljj;
          }
        }
        const { L } = S.linalg.cholesky(A);
        ok(maxAbsDiff(L.data, ref) < 1e-10, `L matches the reference for n=${n} (max diff ${maxAbsDiff(L.data, ref)})`);
      }
    },
  },
  {
    name: "kernel blocks larger than one GEMM block: fused distance epilogue, exact symmetry and unit diagonal",
    fn: () => {
      // 200 × 2051 spans several row blocks and two column panels (the second of odd width);
      // X with itself at n = 300 spans several syrk block rows.
      const X = randomMatrix(200, 3, 41), Y = randomMatrix(2051, 3, 42), Z = randomMatrix(300, 3, 43);
      const sq = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);
      const refs: Array<[S.Kernel, (r2: number) => number]> = [
        [S.rbf({ gamma: 0.7 }), (r2) => Math.exp(-0.7 * r2)],
        [S.matern52({ lengthScale: 0.8 }), (r2) => { const r = Math.sqrt(r2) / 0.8; const s = Math.sqrt(5) * r; return (1 + s + 5 * r * r / 3) * Math.exp(-s); }],
        [S.matern12({ lengthScale: 0.5 }), (r2) => Math.exp(-Math.sqrt(r2) / 0.5)],
      ];
      for (const [k, f] of refs) {
        const K = k.matrix(X, Y);
        let err = 0;
        for (let i = 0; i < 200; i++) for (let j = 0; j < 2051; j++) err = Math.max(err, Math.abs(K.data[i * 2051 + j] - f(sq(X.row(i), Y.row(j)))));
        ok(err < 1e-12, `${k.name} X·Y block: max error ${err}`);
        const KZ = k.matrix(Z);
        err = 0;
        for (let i = 0; i < 300; i++) {
          ok(KZ.data[i * 300 + i] === 1, `${k.name} k(x, x) is exactly 1`);
          for (let j = 0; j < 300; j++) {
            if (j < i) ok(KZ.data[i * 300 + j] === KZ.data[j * 300 + i], `${k.name} exactly symmetric at [${i}, ${j}]`);
            err = Math.max(err, Math.abs(KZ.data[i * 300 + j] - f(sq(Z.row(i), Z.row(j)))));
          }
        }
        ok(err < 1e-12, `${k.name} X·X block: max error ${err}`);
      }
    },
  },
];

/** Fingerprints of seeded and deterministic computations; equal across runtimes. */
export function digest(): Record<string, string> {
  const rng = new S.Rng(2024, 7);
  const u = rng.uniform(1000), z = rng.normal(1000), b = rng.binomial(500, 0.37, 200), w = rng.u32(100);
  rng.dispose();
  const A = spd(96, 5);
  const { L } = S.linalg.cholesky(A);
  const X = randomMatrix(64, 32, 9), Y = randomMatrix(40, 32, 10);
  const K = S.rbf({ gamma: 0.25 }).matrix(X, Y);
  const M = S.matern52({ lengthScale: 1.5 }).matrix(X);
  const G = S.linalg.gemm(randomMatrix(70, 90, 1), randomMatrix(90, 50, 2));
  return {
    rng: fingerprint(u, z, b, w),
    cholesky: fingerprint(L.data),
    kernel: fingerprint(K.data, M.data),
    gemm: fingerprint(G.data),
  };
}
