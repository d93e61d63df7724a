// Preconditioned conjugate gradient for SPD A·x = b (dense A, row-major).
import { ld, st, ptr, opt_ptr } from "../core/mem";
import { Status, setStatusArg } from "../core/status";
import { dot, axpy, gemv, nrm2 } from "./blas1";
import { trsm_lower, trsm_lower_t } from "./chol";

/** Preconditioners of cg (its `kind` argument). */
export const enum CgPreconditioner {
  /** None: z = r. */
  NONE = 0,
  /** Jacobi: z = r / diag(A). */
  JACOBI = 1,
  /** A given diagonal M⁻¹ (the array `pre`, n entries): z = pre ⊙ r. */
  DIAGONAL = 2,
  /** M = L·Lᵀ from a lower Cholesky factor `pre` (n×n), applied by two triangular solves. */
  CHOLESKY = 3,
}

function applyPrec(kind: CgPreconditioner, a: usize, n: i32, pre: usize, r: usize, z: usize): void {
  if (kind == CgPreconditioner.NONE) {
    memory.copy(z, r, <usize>n << 3);
  } else if (kind == CgPreconditioner.JACOBI) {
    for (let i = 0; i < n; i++) st(z, i, ld(r, i) / ld(a, i * n + i));
  } else if (kind == CgPreconditioner.DIAGONAL) {
    for (let i = 0; i < n; i++) st(z, i, ld(r, i) * ld(pre, i));
  } else {
    memory.copy(z, r, <usize>n << 3);
    trsm_lower(n, 1, pre, n, z, 1);
    trsm_lower_t(n, 1, pre, n, z, 1);
  }
}

/** Solve A·x = b; x holds the initial guess and receives the solution. `work` holds 4n f64.
 *  Stops when ‖r‖ ≤ tol·‖b‖. status_arg = iterations, status_arg2 = final relative residual. */
export function cg(n: i32, a: ptr<f64>, b: ptr<f64>, x: ptr<f64>, tol: f64, maxIter: i32, kind: CgPreconditioner, pre: opt_ptr<f64>, work: ptr<f64>): Status {
  const r = work;
  const z = work + (<usize>n << 3);
  const p = work + (<usize>(2 * n) << 3);
  const q = work + (<usize>(3 * n) << 3);
  const bn = nrm2(b, n);
  if (bn == 0.0) {
    memory.fill(x, 0, <usize>n << 3);
    setStatusArg(0, 0);
    return Status.OK;
  }
  gemv(n, n, a, n, x, q);
  for (let i = 0; i < n; i++) st(r, i, ld(b, i) - ld(q, i));
  let rel = nrm2(r, n) / bn;
  if (rel <= tol) {
    setStatusArg(0, rel);
    return Status.OK;
  }
  applyPrec(kind, a, n, pre, r, z);
  memory.copy(p, z, <usize>n << 3);
  let rz = dot(r, z, n);
  for (let it = 1; it <= maxIter; it++) {
    gemv(n, n, a, n, p, q);
    const pq = dot(p, q, n);
    if (!(pq > 0.0) || !isFinite(pq)) {
      setStatusArg(<f64>it, rel);
      return Status.NON_FINITE;
    }
    const alpha = rz / pq;
    axpy(alpha, p, x, n);
    axpy(-alpha, q, r, n);
    rel = nrm2(r, n) / bn;
    if (rel <= tol) {
      setStatusArg(<f64>it, rel);
      return Status.OK;
    }
    applyPrec(kind, a, n, pre, r, z);
    const rz1 = dot(r, z, n);
    const beta = rz1 / rz;
    rz = rz1;
    for (let i = 0; i < n; i++) st(p, i, ld(z, i) + beta * ld(p, i));
  }
  setStatusArg(<f64>maxIter, rel);
  return Status.NO_CONVERGENCE;
}
