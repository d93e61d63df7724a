/**
 * Dense linear algebra in the engine on row-major f64 matrices: GEMM, A·Aᵀ, Cholesky with a
 * jitter ladder, triangular and SPD solves, diag(A⁻¹), log-determinants, conjugate gradient,
 * symmetric eigendecomposition. The `linalg` namespace of the package, also its subpath
 * `seqlearn/linalg`.
 *
 * @module
 */
// Dense linear algebra over the engine: GEMM, A·Aᵀ, Cholesky with jitter, triangular
// solves, diag(A⁻¹), SPD solves, conjugate gradient, symmetric eigensolver. Row-major f64
// throughout.
import { getEngine, input, output, inout, scratch, Status, CgPreconditioner, EighMethod, type Ptr } from "../engine/index.js";
import { NumericalError, ShapeError, ValueError } from "../core/errors.js";
import { Matrix, asMatrix, asVector, type MatrixLike, type VectorLike } from "../core/matrix.js";
import { nonNegative, integer, positive } from "../core/validate.js";
import { checkOptions } from "../core/options.js";
import { log as detLog } from "../core/detmath.js";

/** Options of `gemm`. */
export interface GemmOptions {
  /** Use Aᵀ instead of A. Default false. */
  transA?: boolean;
  /** Use Bᵀ instead of B. Default false. */
  transB?: boolean;
  /** Scale of the product. Default 1. */
  alpha?: number;
  /** Scale of C (when C is given). Default 0. */
  beta?: number;
  /** Accumulate into this matrix (it is not modified; the result is a new Matrix). */
  C?: MatrixLike;
}

/** α·op(A)·op(B) + β·C. */
export function gemm(A: MatrixLike, B: MatrixLike, options: GemmOptions = {}): Matrix {
  const opts = checkOptions<GemmOptions>(options, "gemm", ["transA", "transB", "alpha", "beta", "C"]);
  const a = asMatrix(A, "A"), b = asMatrix(B, "B");
  const ta = !!opts.transA, tb = !!opts.transB;
  const m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols;
  const kb = tb ? b.cols : b.rows, n = tb ? b.rows : b.cols;
  if (k !== kb) throw new ShapeError(`gemm: inner dimensions differ: op(A) is ${m}×${k}, op(B) is ${kb}×${n}`);
  const alpha = opts.alpha ?? 1, beta = opts.beta ?? 0;
  if (!Number.isFinite(alpha)) throw new ValueError(`gemm: alpha must be finite, got ${alpha}`);
  if (!Number.isFinite(beta)) throw new ValueError(`gemm: beta must be finite, got ${beta}`);
  if (m === 0 || n === 0) return new Matrix(m, n);
  const eng = getEngine();
  if (opts.C !== undefined) {
    const c = asMatrix(opts.C, "C", { rows: m, cols: n });
    const out = c.data.slice();
    eng.call("gemm", { transA: ta, transB: tb, m, n, k, alpha, a: input(a.data), lda: a.cols, b: input(b.data), ldb: b.cols, beta, c: inout(out), ldc: n });
    return new Matrix(m, n, out);
  }
  // Without C the output is write-only: nothing is copied in, and it leaves by slice().
  const res = eng.call("gemm", { transA: ta, transB: tb, m, n, k, alpha, a: input(a.data), lda: a.cols, b: input(b.data), ldb: b.cols, beta: 0, c: output(m * n), ldc: n });
  return new Matrix(m, n, res.output("c"));
}

/** A·B (shorthand for gemm(A, B)). */
export function matmul(A: MatrixLike, B: MatrixLike): Matrix {
  return gemm(A, B);
}

/** A·Aᵀ (symmetric, computed on the lower triangle and mirrored). */
export function syrk(A: MatrixLike): Matrix {
  const a = asMatrix(A, "A");
  if (a.rows === 0) return new Matrix(0, 0);
  const res = getEngine().call("syrk", { n: a.rows, k: a.cols, alpha: 1, a: input(a.data), lda: a.cols, beta: 0, c: output(a.rows * a.rows), ldc: a.rows });
  return new Matrix(a.rows, a.rows, res.output("c"));
}

const CHOLESKY_OPTIONS = ["jitter", "maxTries"] as const;

/** Options of `cholesky` and `solveSPD`. */
export interface CholeskyOptions {
  /** Initial jitter, relative to the mean diagonal, added when A is not numerically
   *  positive definite; multiplied by 10 on each retry. Default 0 (no retry): a matrix
   *  that is not SPD throws NumericalError. A typical value is 1e-10. */
  jitter?: number;
  /** Retries with growing jitter before giving up. Default 6 when jitter > 0. */
  maxTries?: number;
}

/** What `cholesky` returns. */
export interface CholeskyResult {
  /** Lower-triangular factor, A + jitter·I = L·Lᵀ. */
  L: Matrix;
  /** Absolute amount added to every diagonal entry (0 if none was needed). */
  jitter: number;
  /** Number of retries used. */
  retries: number;
}

/** Cholesky factorisation of a symmetric positive-definite matrix (only the lower
 *  triangle is read). With `jitter`, retries with a growing diagonal shift and reports it. */
export function cholesky(A: MatrixLike, options: CholeskyOptions = {}): CholeskyResult {
  const opts = checkOptions<CholeskyOptions>(options, "cholesky", CHOLESKY_OPTIONS);
  const a = asMatrix(A, "A", { square: true });
  const n = a.rows;
  const L = a.clone();
  const jitter0 = nonNegative(opts.jitter ?? 0, "jitter");
  const eng = getEngine();
  if (n === 0) return { L, jitter: 0, retries: 0 };
  let status: number;
  if (jitter0 > 0) {
    const tries = integer(opts.maxTries ?? 6, "maxTries", 0, 30);
    status = eng.call("cholesky_jitter", { a: inout(L.data), n, lda: n, work: scratch(n * n), jitter0, maxTries: tries }).ret;
  } else {
    status = eng.call("cholesky", { a: inout(L.data), n, lda: n }).ret;
  }
  const [arg, arg2] = eng.statusArgs();
  if (status === Status.NOT_SPD) {
    if (jitter0 > 0) {
      throw new NumericalError(`cholesky: A is not positive definite even with jitter ${arg.toExponential(3)} added to the diagonal after ${arg2} retries`, { jitter: arg, retries: arg2 });
    }
    throw new NumericalError(`cholesky: A is not positive definite (pivot ${arg} is not positive); pass { jitter: 1e-10 } to retry with a diagonal shift`, { pivot: arg });
  }
  return { L, jitter: jitter0 > 0 ? arg : 0, retries: jitter0 > 0 ? arg2 : 0 };
}

/** Options of `solveTriangular`. */
export interface TriangularOptions {
  /** Solve with Lᵀ instead of L. Default false. */
  transpose?: boolean;
}

/** Solve L·X = B (or Lᵀ·X = B) for lower-triangular L; B may be a vector (the result is a
 *  Float64Array) or a matrix (the result is a Matrix). */
export function solveTriangular(L: MatrixLike, B: VectorLike, options?: TriangularOptions): Float64Array;
export function solveTriangular(L: MatrixLike, B: MatrixLike, options?: TriangularOptions): Matrix;
export function solveTriangular(L: MatrixLike, B: MatrixLike | VectorLike, options?: TriangularOptions): Matrix | Float64Array;
export function solveTriangular(L: MatrixLike, B: MatrixLike | VectorLike, options: TriangularOptions = {}): Matrix | Float64Array {
  const opts = checkOptions<TriangularOptions>(options, "solveTriangular", ["transpose"]);
  const l = asMatrix(L, "L", { square: true });
  const n = l.rows;
  checkTriangularDiag(l);
  const isVec = isVector(B);
  const b = isVec ? new Matrix(n, 1, asVector(B as VectorLike, "B", { length: n }).slice()) : asMatrix(B as MatrixLike, "B", { rows: n }).clone();
  if (n > 0 && b.cols > 0) {
    getEngine().call(opts.transpose ? "trsm_lower_t" : "trsm_lower", { n, r: b.cols, l: input(l.data), ldl: n, b: inout(b.data), ldb: b.cols });
  }
  return isVec ? b.data : b;
}

/** Solve A·X = B given the Cholesky factor L of A (a Float64Array for a vector B, a Matrix
 *  for a matrix B). */
export function choSolve(L: MatrixLike, B: VectorLike): Float64Array;
export function choSolve(L: MatrixLike, B: MatrixLike): Matrix;
export function choSolve(L: MatrixLike, B: MatrixLike | VectorLike): Matrix | Float64Array;
export function choSolve(L: MatrixLike, B: MatrixLike | VectorLike): Matrix | Float64Array {
  const l = asMatrix(L, "L", { square: true });
  const y = solveTriangular(l, B);
  return solveTriangular(l, y, { transpose: true });
}

/** Solve A·X = B for symmetric positive-definite A (Cholesky; throws NumericalError if A
 *  is not SPD unless `jitter` is given). */
export function solveSPD(A: MatrixLike, B: VectorLike, opts?: CholeskyOptions): Float64Array;
export function solveSPD(A: MatrixLike, B: MatrixLike, opts?: CholeskyOptions): Matrix;
export function solveSPD(A: MatrixLike, B: MatrixLike | VectorLike, opts?: CholeskyOptions): Matrix | Float64Array;
export function solveSPD(A: MatrixLike, B: MatrixLike | VectorLike, opts: CholeskyOptions = {}): Matrix | Float64Array {
  const { L } = cholesky(A, checkOptions<CholeskyOptions>(opts, "solveSPD", CHOLESKY_OPTIONS));
  return choSolve(L, B);
}

/** diag(A⁻¹) from the Cholesky factor L of A, in O(n³/3). */
export function diagInverse(L: MatrixLike): Float64Array {
  const l = asMatrix(L, "L", { square: true });
  checkTriangularDiag(l);
  const n = l.rows;
  if (n === 0) return new Float64Array(0);
  const eng = getEngine();
  const work = eng.call("chol_diag_inv_workspace_size", { n }).ret;
  return eng.call("chol_diag_inv", { n, l: input(l.data), ldl: n, out: output(n), work: scratch(work) }).output("out");
}

/** log det(A) from its Cholesky factor L (A = L·Lᵀ): 2·Σ log L_ii. A Cholesky factor has a
 *  positive diagonal: a zero or negative L_ii (not a factor of a positive definite A) is a
 *  ValueError naming it. */
export function logDet(L: MatrixLike): number {
  const l = asMatrix(L, "L", { square: true });
  let s = 0;
  for (let i = 0; i < l.rows; i++) {
    const v = l.data[i * l.rows + i];
    if (!(v > 0)) throw new ValueError(`logDet: L[${i}, ${i}] is ${v}; a Cholesky factor has a positive diagonal (is L the factor of a positive definite matrix?)`);
    s += detLog(v); // same bits in every JS engine
  }
  return 2 * s;
}

/** A preconditioner for `cg`: "none", "jacobi" (inverse diagonal of a dense A),
 * `{ diagonal: d }` (M⁻¹ = diag(d)), `{ cholesky: L }` (M = L·Lᵀ) or a function r ↦ M⁻¹·r. */
export type Preconditioner =
  | "none"
  | "jacobi"
  /** M⁻¹ as a diagonal. */
  | {
      /** M⁻¹ = diag(diagonal). */
      diagonal: VectorLike;
    }
  /** M = L·Lᵀ given by its lower Cholesky factor. */
  | {
      /** A Cholesky factor L, with M = L·Lᵀ. */
      cholesky: MatrixLike;
    }
  /** Any function z = M⁻¹·r (operator form only; runs in JavaScript). */
  | ((r: Float64Array) => Float64Array);

/** Options of `cg`. */
export interface CgOptions {
  /** Stop when ‖b − A·x‖ ≤ tol·‖b‖. Default 1e-8. */
  tol?: number;
  /** Iteration limit. Default 10·n. */
  maxIter?: number;
  /** Initial guess. Default zeros. */
  x0?: VectorLike;
  /** Preconditioner. Default "none". */
  precond?: Preconditioner;
  /** Throw NumericalError when not converged (default true); otherwise return converged: false. */
  throwOnFail?: boolean;
}

/** What `cg` returns. */
export interface CgResult {
  /** The last iterate. */
  x: Float64Array;
  /** Iterations run. */
  iterations: number;
  /** Final relative residual ‖b − A·x‖ / ‖b‖. */
  residual: number;
  /** Whether ‖b − A·x‖ ≤ tol·‖b‖ was reached. */
  converged: boolean;
}

/** Conjugate gradient for symmetric positive-definite systems. `A` is a dense matrix (the
 *  iteration runs in Wasm) or a function x ↦ A·x (the iteration runs in JavaScript). */
export function cg(A: MatrixLike | ((x: Float64Array) => Float64Array), b: VectorLike, options: CgOptions = {}): CgResult {
  const opts = checkOptions<CgOptions>(options, "cg", ["tol", "maxIter", "x0", "precond", "throwOnFail"]);
  const bv = asVector(b, "b");
  const n = bv.length;
  const tol = positive(opts.tol ?? 1e-8, "tol");
  const maxIter = integer(opts.maxIter ?? Math.max(10 * n, 10), "maxIter", 1);
  const x = opts.x0 !== undefined ? asVector(opts.x0, "x0", { length: n }).slice() : new Float64Array(n);
  const pre = opts.precond ?? "none";
  const throwOnFail = opts.throwOnFail ?? true;
  let res: CgResult;
  if (typeof A === "function") {
    res = cgOperator(A, bv, x, tol, maxIter, pre);
  } else {
    const a = asMatrix(A, "A", { rows: n, cols: n });
    let kind: CgPreconditioner = CgPreconditioner.NONE;
    let preArg: Ptr<Float64Array> | null = null;
    if (pre === "jacobi") {
      for (let i = 0; i < n; i++) if (!(a.data[i * n + i] > 0)) throw new ValueError(`cg: Jacobi preconditioner needs a positive diagonal, A[${i}, ${i}] = ${a.data[i * n + i]}`);
      kind = CgPreconditioner.JACOBI;
    } else if (typeof pre === "object" && "diagonal" in pre) {
      kind = CgPreconditioner.DIAGONAL;
      preArg = input(asVector(pre.diagonal, "precond.diagonal", { length: n }));
    } else if (typeof pre === "object" && "cholesky" in pre) {
      kind = CgPreconditioner.CHOLESKY;
      const l = asMatrix(pre.cholesky, "precond.cholesky", { rows: n, cols: n });
      checkTriangularDiag(l);
      preArg = input(l.data);
    } else if (typeof pre === "function") {
      res = cgOperator((v) => gemvJs(a, v), bv, x, tol, maxIter, pre);
      return finishCg(res, throwOnFail);
    } else if (pre !== "none") {
      throw new ValueError(`cg: precond must be "none", "jacobi", { diagonal }, { cholesky } or a function`);
    }
    const eng = getEngine();
    const status = eng.call("cg", { n, a: input(a.data), b: input(bv), x: inout(x), tol, maxIter, kind, pre: preArg, work: scratch(4 * n) }).ret;
    const [it, rel] = eng.statusArgs();
    if (status === Status.NON_FINITE) {
      throw new NumericalError(`cg: breakdown at iteration ${it} (pᵀAp ≤ 0): A is not positive definite`, { iterations: it });
    }
    res = { x, iterations: it, residual: rel, converged: status === Status.OK };
  }
  return finishCg(res, throwOnFail);
}

function finishCg(res: CgResult, throwOnFail: boolean): CgResult {
  if (!res.converged && throwOnFail) {
    throw new NumericalError(`cg: did not reach the tolerance in ${res.iterations} iterations (relative residual ${res.residual.toExponential(3)}); raise maxIter, use a preconditioner, or pass throwOnFail: false`, { iterations: res.iterations, residual: res.residual });
  }
  return res;
}

function gemvJs(a: Matrix, v: Float64Array): Float64Array {
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    const o = i * a.cols;
    for (let j = 0; j < a.cols; j++) s += a.data[o + j] * v[j];
    out[i] = s;
  }
  return out;
}

function dotJs(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// CG with A and the preconditioner as JavaScript functions; same stopping rule as the Wasm one.
function cgOperator(op: (x: Float64Array) => Float64Array, b: Float64Array, x: Float64Array, tol: number, maxIter: number, pre: Preconditioner): CgResult {
  const n = b.length;
  const apply = (r: Float64Array): Float64Array => {
    if (pre === "none") return r.slice();
    if (typeof pre === "function") {
      const z = pre(r);
      if (!z || z.length !== n) throw new ShapeError(`cg: the preconditioner returned length ${z?.length}, expected ${n}`);
      return z;
    }
    if (typeof pre === "object" && "diagonal" in pre) {
      const d = asVector(pre.diagonal, "precond.diagonal", { length: n });
      return r.map((v, i) => v * d[i]);
    }
    if (typeof pre === "object" && "cholesky" in pre) return choSolve(pre.cholesky, r) as Float64Array;
    throw new ValueError(`cg: with an operator A, precond must be "none", { diagonal }, { cholesky } or a function ("jacobi" needs the matrix)`);
  };
  const call = (v: Float64Array): Float64Array => {
    const y = op(v);
    if (!y || y.length !== n) throw new ShapeError(`cg: A(x) returned length ${y?.length}, expected ${n}`);
    return y;
  };
  const bn = Math.sqrt(dotJs(b, b));
  if (bn === 0) return { x: new Float64Array(n), iterations: 0, residual: 0, converged: true };
  const ax = call(x);
  const r = b.map((v, i) => v - ax[i]);
  let rel = Math.sqrt(dotJs(r, r)) / bn;
  if (rel <= tol) return { x, iterations: 0, residual: rel, converged: true };
  let z = apply(r);
  const p = z.slice();
  let rz = dotJs(r, z);
  for (let it = 1; it <= maxIter; it++) {
    const q = call(p);
    const pq = dotJs(p, q);
    if (!(pq > 0) || !Number.isFinite(pq)) throw new NumericalError(`cg: breakdown at iteration ${it} (pᵀAp ≤ 0): A is not positive definite`, { iterations: it });
    const alpha = rz / pq;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
    }
    rel = Math.sqrt(dotJs(r, r)) / bn;
    if (rel <= tol) return { x, iterations: it, residual: rel, converged: true };
    z = apply(r);
    const rz1 = dotJs(r, z);
    const beta = rz1 / rz;
    rz = rz1;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
  }
  return { x, iterations: maxIter, residual: rel, converged: false };
}

function isVector(x: unknown): boolean {
  if (x instanceof Matrix) return false;
  if (ArrayBuffer.isView(x)) return true;
  return Array.isArray(x) && (x.length === 0 || typeof x[0] === "number");
}

function checkTriangularDiag(l: Matrix): void {
  for (let i = 0; i < l.rows; i++) {
    const d = l.data[i * l.rows + i];
    if (!(d !== 0) || !Number.isFinite(d)) throw new ValueError(`L[${i}, ${i}] is ${d}; a triangular factor needs a finite, non-zero diagonal`);
  }
}

/** Options of `eigh`. */
export interface EighOptions {
  /** Compute the eigenvectors too (default true). Without them only O(n²) work follows the
   *  O(n³) reduction to tridiagonal form. */
  vectors?: boolean;
  /** Eigensolver for the tridiagonal matrix when vectors are wanted: "dc" divide and conquer
   *  (default, fastest) or "ql" implicit QL (slower; a cross-check). */
  method?: "dc" | "ql";
  /** A is rejected when some |A_ij − A_ji| > symmetryTol · max|A| (default 1e-10). */
  symmetryTol?: number;
}

/** What `eigh` returns. */
export interface EighResult {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /** n×n, column j is the unit eigenvector of values[j] (as numpy.linalg.eigh); null when
   *  `vectors: false`. */
  vectors: Matrix | null;
}

/** Eigen-decomposition A = V·diag(values)·Vᵀ of a symmetric matrix: Householder reduction to
 *  tridiagonal form, divide and conquer (or QL), blocked back-transformation, all in Wasm.
 *  A must be square, finite and symmetric to within `symmetryTol`; after that check only
 *  its lower triangle is used. Throws ShapeError / ValueError on bad input, NumericalError
 *  if the iteration fails to converge (not observed in practice). */
export function eigh(A: MatrixLike, opts?: EighOptions & { vectors?: true }): EighResult & {
  /** The eigenvectors, one per column. */
  vectors: Matrix;
};
export function eigh(A: MatrixLike, opts: EighOptions & { vectors: false }): EighResult & {
  /** null: eigenvectors were not asked for. */
  vectors: null;
};
export function eigh(A: MatrixLike, opts?: EighOptions): EighResult;
export function eigh(A: MatrixLike, opts: EighOptions = {}): EighResult {
  return eighImpl(A, checkOptions<EighOptions>(opts, "eigh", ["vectors", "method", "symmetryTol"]), "eigh");
}

function eighImpl(A: MatrixLike, opts: EighOptions, fn: string): EighResult {
  const a = asMatrix(A, "A", { square: true });
  const n = a.rows;
  const wantVectors = opts.vectors ?? true;
  if (typeof wantVectors !== "boolean") throw new ValueError(`${fn}: vectors must be true or false, got ${String(wantVectors)}`);
  const method = opts.method ?? "dc";
  if (method !== "dc" && method !== "ql") throw new ValueError(`${fn}: method must be "dc" or "ql", got ${JSON.stringify(method)}`);
  const symTol = nonNegative(opts.symmetryTol ?? 1e-10, "symmetryTol");
  checkSymmetric(a, symTol, fn);
  if (n === 0) return { values: new Float64Array(0), vectors: wantVectors ? new Matrix(0, 0) : null };
  const eng = getEngine();
  const work = eng.call("eigh_workspace_size", { n, vectors: wantVectors }).ret;
  const res = eng.call("eigh", {
    a: input(a.data), n, w: output(n), z: wantVectors ? output(n * n) : null,
    vectors: wantVectors, method: method === "ql" ? EighMethod.QL : EighMethod.DIVIDE_AND_CONQUER, work: scratch(work),
  });
  if (res.ret === Status.NO_CONVERGENCE) {
    const [index] = eng.statusArgs();
    throw new NumericalError(`${fn}: the tridiagonal QL iteration did not converge for eigenvalue ${index}`, { index });
  }
  const values = res.output("w");
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) {
      throw new NumericalError(`${fn}: eigenvalue ${i} is ${values[i]}: the eigenvalues of A exceed the f64 range (max|A| = ${maxAbsOf(a.data).toExponential(3)}); scale A down`, { index: i });
    }
  }
  return { values, vectors: wantVectors ? new Matrix(n, n, res.output("z")) : null };
}

function maxAbsOf(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/** Eigenvalues of a symmetric matrix, ascending (eigh without vectors). */
export function eigvalsh(A: MatrixLike, opts: Omit<EighOptions, "vectors" | "method"> = {}): Float64Array {
  return eighImpl(A, { ...checkOptions<Omit<EighOptions, "vectors" | "method">>(opts, "eigvalsh", ["symmetryTol"]), vectors: false }, "eigvalsh").values;
}

// ValueError naming the first [i, j] (i > j, row-major order) where A is not symmetric.
function checkSymmetric(a: Matrix, relTol: number, fn: string): void {
  const n = a.rows, x = a.data;
  let amax = 0;
  for (let i = 0; i < x.length; i++) amax = Math.max(amax, Math.abs(x[i]));
  const tol = relTol * amax;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const d = Math.abs(x[i * n + j] - x[j * n + i]);
      if (d > tol) {
        throw new ValueError(`${fn}: A is not symmetric: A[${i}, ${j}] = ${x[i * n + j]} but A[${j}, ${i}] = ${x[j * n + i]} (difference ${d.toExponential(3)} > ${relTol} · max|A| = ${tol.toExponential(3)})`);
      }
    }
  }
}
