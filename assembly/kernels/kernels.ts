// Kernel functions and kernel blocks K(X, Y) for row-major X (n×d), Y (m×d).
//   kind 0 linear      k = x·y
//   kind 1 rbf         k = exp(−γ‖x−y‖²)                      p0 = γ
//   kind 2 laplacian   k = exp(−γ‖x−y‖₁)   (L1, as scikit-learn) p0 = γ
//   kind 3 polynomial  k = (γ·x·y + c₀)^deg                      p0 = γ, p1 = c₀, p2 = deg
//   kind 4 matern32    k = (1 + √3·r/ℓ)·exp(−√3·r/ℓ), r = ‖x−y‖  p0 = 1/ℓ
//   kind 5 matern52    k = (1 + √5·r/ℓ + 5r²/(3ℓ²))·exp(−√5·r/ℓ) p0 = 1/ℓ
//   kind 6 matern12    k = exp(−r/ℓ)  (the "exponential" kernel)  p0 = 1/ℓ
// Squared distances use ‖x‖² + ‖y‖² − 2·x·y through GEMM, clamped at 0 against round-off;
// when X and Y are the same buffer with n == m the diagonal distance is exactly 0.
import { ld, st, ptr } from "../core/mem";
import { dot } from "../linalg/blas1";
import { gemm, gemmWith, syrk, syrkRow, mirrorLower, SYRK_BS } from "../linalg/gemm";
import { expNonPos } from "../core/vmath";
import { parallelism, tasksFor, fork, setArg, arg, argI, argP, planGrid, gridRows, gridCols } from "../core/threads";

/** Kernel kind codes (the `kind` argument of kernel_block / kernel_diag; cfg slot KIND of the
 *  rls exports). The SDK's kernel names are these names in lower case. */
export const enum KernelCode {
  LINEAR = 0,
  RBF = 1,
  LAPLACIAN = 2,
  POLYNOMIAL = 3,
  MATERN32 = 4,
  MATERN52 = 5,
  MATERN12 = 6,
}

@inline function powInt(b: f64, e: f64): f64 {
  const ei = <i32>e;
  if (<f64>ei == e && ei >= 0 && ei <= 64) {
    let r = 1.0, x = b, k = ei;
    while (k > 0) {
      if (k & 1) r *= x;
      x *= x;
      k >>= 1;
    }
    return r;
  }
  return Math.pow(b, e);
}

// Distance kernels (rbf, matern*) are computed in one sweep: GEMM writes −2·X·Yᵀ block by
// block, and while each MC×NC block is still in cache an epilogue completes the squared
// distances (‖x‖² + ‖y‖² − 2x·y, clamped at 0 against round-off) and applies the kernel.
// When X and Y are the same buffer with n == m, only the lower block rows are computed (syrk)
// and mirrored, the distance of a point to itself is exactly 0 and so k(x, x) is exactly 1.

// Parameters of the running distance-kernel sweep, read by the epilogue. Globals are per
// instance, hence per thread: each task of a threaded sweep sets them on its own thread.
let eKind: i32 = 0;
let eP0: f64 = 0;
let eNx: usize = 0;
let eNy: usize = 0;
let eSame: bool = false;

// Finish rows i0..i0+mc, columns j0..j0+nc of the distance kernel (c points at [i0, j0]).
function finishDistanceBlock(c: usize, ldc: i32, i0: i32, j0: i32, mc: i32, nc: i32): void {
  const kind = eKind;
  const zero = f64x2.splat(0);
  const g = f64x2.splat(-eP0);
  const cm = kind == KernelCode.MATERN32 ? Math.sqrt(3.0) * eP0 : kind == KernelCode.MATERN52 ? Math.sqrt(5.0) * eP0 : eP0;
  const cv = f64x2.splat(cm);
  const one = f64x2.splat(1.0);
  const third = f64x2.splat(1.0 / 3.0);
  const ny = eNy + (<usize>j0 << 3);
  for (let ii = 0; ii < mc; ii++) {
    const row = c + (<usize>(ii * ldc) << 3);
    const xs = ld(eNx, i0 + ii);
    const xi = f64x2.splat(xs);
    let j = 0;
    // Same association in the vector body and the scalar tail (xi + ny_j, then + g), so a
    // symmetric block stays exactly symmetric.
    if (kind == KernelCode.RBF) {
      for (; j + 8 <= nc; j += 8) {
        const p = row + (<usize>j << 3);
        const q = ny + (<usize>j << 3);
        const d0 = f64x2.pmax(f64x2.add(v128.load(p), f64x2.add(xi, v128.load(q))), zero);
        const d1 = f64x2.pmax(f64x2.add(v128.load(p, 16), f64x2.add(xi, v128.load(q, 16))), zero);
        const d2 = f64x2.pmax(f64x2.add(v128.load(p, 32), f64x2.add(xi, v128.load(q, 32))), zero);
        const d3 = f64x2.pmax(f64x2.add(v128.load(p, 48), f64x2.add(xi, v128.load(q, 48))), zero);
        v128.store(p, expNonPos(f64x2.mul(g, d0)));
        v128.store(p, expNonPos(f64x2.mul(g, d1)), 16);
        v128.store(p, expNonPos(f64x2.mul(g, d2)), 32);
        v128.store(p, expNonPos(f64x2.mul(g, d3)), 48);
      }
      for (; j + 2 <= nc; j += 2) {
        const p = row + (<usize>j << 3);
        const d2 = f64x2.pmax(f64x2.add(v128.load(p), f64x2.add(xi, v128.load(ny + (<usize>j << 3)))), zero);
        v128.store(p, expNonPos(f64x2.mul(g, d2)));
      }
    } else {
      for (; j + 4 <= nc; j += 4) {
        const p = row + (<usize>j << 3);
        const q = ny + (<usize>j << 3);
        const s0 = f64x2.mul(cv, f64x2.sqrt(f64x2.pmax(f64x2.add(v128.load(p), f64x2.add(xi, v128.load(q))), zero)));
        const s1 = f64x2.mul(cv, f64x2.sqrt(f64x2.pmax(f64x2.add(v128.load(p, 16), f64x2.add(xi, v128.load(q, 16))), zero)));
        const e0 = expNonPos(f64x2.neg(s0));
        const e1 = expNonPos(f64x2.neg(s1));
        let poly0: v128, poly1: v128;
        if (kind == KernelCode.MATERN32) {
          poly0 = f64x2.add(one, s0);
          poly1 = f64x2.add(one, s1);
        } else if (kind == KernelCode.MATERN52) {
          poly0 = f64x2.add(f64x2.add(one, s0), f64x2.mul(third, f64x2.mul(s0, s0)));
          poly1 = f64x2.add(f64x2.add(one, s1), f64x2.mul(third, f64x2.mul(s1, s1)));
        } else {
          poly0 = one;
          poly1 = one;
        }
        v128.store(p, f64x2.mul(poly0, e0));
        v128.store(p, f64x2.mul(poly1, e1), 16);
      }
      for (; j + 2 <= nc; j += 2) {
        const p = row + (<usize>j << 3);
        const d2 = f64x2.pmax(f64x2.add(v128.load(p), f64x2.add(xi, v128.load(ny + (<usize>j << 3)))), zero);
        const s = f64x2.mul(cv, f64x2.sqrt(d2));
        const e = expNonPos(f64x2.neg(s));
        let poly: v128;
        if (kind == KernelCode.MATERN32) poly = f64x2.add(one, s);
        else if (kind == KernelCode.MATERN52) poly = f64x2.add(f64x2.add(one, s), f64x2.mul(third, f64x2.mul(s, s)));
        else poly = one;
        v128.store(p, f64x2.mul(poly, e));
      }
    }
    for (; j < nc; j++) {
      const d2 = max(0.0, ld(row, j) + (xs + ld(ny, j)));
      let v: f64;
      if (kind == KernelCode.RBF) {
        v = f64x2.extract_lane(expNonPos(f64x2.splat(-eP0 * d2)), 0);
      } else {
        const s = cm * Math.sqrt(d2);
        const e = f64x2.extract_lane(expNonPos(f64x2.splat(-s)), 0);
        v = (kind == KernelCode.MATERN32 ? 1.0 + s : kind == KernelCode.MATERN52 ? 1.0 + s + s * s / 3.0 : 1.0) * e;
      }
      st(row, j, v);
    }
    // k(x, x) = 1 for every distance kernel: the distance to itself is exactly 0.
    if (eSame) {
      const i = i0 + ii;
      if (i >= j0 && i < j0 + nc) st(row, i - j0, 1.0);
    }
  }
}

// Threads: the sweep's output is split into tasks — block rows for the symmetric case (then
// the mirror), a grid of blocks otherwise — and each task runs the serial GEMM + epilogue on its
// block after setting the epilogue's parameters on its own thread. The epilogue is element-wise
// and GEMM's elements do not depend on the blocking, so every entry is bit-identical to one
// thread's (the norms are computed once, before the fork, in the serial order).
function distanceKernel(kind: i32, p0: f64, x: usize, n: i32, y: usize, m: i32, d: i32, out: usize, work: usize): void {
  const same = x == y && n == m;
  const nx = work, ny = same ? work : work + (<usize>n << 3);
  for (let i = 0; i < n; i++) {
    const r = x + (<usize>(i * d) << 3);
    st(nx, i, dot(r, r, d));
  }
  if (!same) {
    for (let j = 0; j < m; j++) {
      const r = y + (<usize>(j * d) << 3);
      st(ny, j, dot(r, r, d));
    }
  }
  // The epilogue (exp, or sqrt + exp for Matérn) costs about as much as d = 16 multiply-adds.
  const work_ = <f64>n * <f64>m * <f64>(d + 16) * (same ? 0.5 : 1.0);
  const threads = parallelism();
  const rows = (n + SYRK_BS - 1) / SYRK_BS;
  const tasks = threads > 1 ? tasksFor(work_, threads, same ? rows : ((n + 3) >> 2) * ((m + 3) >> 2)) : 1;
  if (tasks > 1) {
    setArg(0, <f64>kind); setArg(1, p0); setArg(2, <f64>x); setArg(3, <f64>n); setArg(4, <f64>y); setArg(5, <f64>m);
    setArg(6, <f64>d); setArg(7, <f64>out); setArg(8, <f64>nx); setArg(9, <f64>ny);
    if (same) {
      setArg(10, <f64>rows);
      fork(rows, changetype<usize>(distanceRowTask));
      mirrorLower(n, out, m);
    } else {
      const blocks = planGrid(n, m, tasks, 4, 4);
      setArg(10, <f64>gridRows()); setArg(11, <f64>gridCols());
      fork(blocks, changetype<usize>(distanceBlockTask));
    }
    return;
  }
  eKind = kind; eP0 = p0; eNx = nx; eNy = ny; eSame = same;
  if (same) {
    for (let r = 0; r < rows; r++) syrkRow(r, n, d, -2.0, x, d, 0.0, out, m, load<u32>(changetype<usize>(finishDistanceBlock)), true);
    mirrorLower(n, out, m);
  } else {
    gemmWith(0, 1, n, m, d, -2.0, x, d, y, d, 0.0, out, m, load<u32>(changetype<usize>(finishDistanceBlock)), true);
  }
}

// Task of a threaded symmetric sweep: block row rows−1−t of K(X, X) (longest first).
function distanceRowTask(t: i32): void {
  const x = argP(2), n = argI(3), d = argI(6), out = argP(7), rows = argI(10);
  eKind = argI(0); eP0 = arg(1); eNx = argP(8); eNy = argP(9); eSame = true;
  syrkRow(rows - 1 - t, n, d, -2.0, x, d, 0.0, out, n, load<u32>(changetype<usize>(finishDistanceBlock)), true);
}

// Task of a threaded K(X, Y) sweep: block t of the grid over the n×m output.
function distanceBlockTask(t: i32): void {
  const x = argP(2), n = argI(3), y = argP(4), m = argI(5), d = argI(6), out = argP(7);
  const rows = argI(10), cols = argI(11);
  eKind = argI(0); eP0 = arg(1); eNx = argP(8); eNy = argP(9); eSame = false;
  const perRow = (m + cols - 1) / cols;
  const i0 = (t / perRow) * rows, j0 = (t % perRow) * cols;
  gemmWith(0, 1, min(rows, n - i0), min(cols, m - j0), d, -2.0, x + (<usize>(i0 * d) << 3), d, y + (<usize>(j0 * d) << 3), d,
    0.0, out + (<usize>(i0 * m + j0) << 3), m, load<u32>(changetype<usize>(finishDistanceBlock)), true, i0, j0);
}

// Apply the polynomial kernel's map to rows [r0, r1) of an n×m block of inner products.
function mapPolynomial(p0: f64, p1: f64, p2: f64, out: usize, m: i32, r0: i32, r1: i32): void {
  const end = r1 * m;
  for (let i = r0 * m; i < end; i++) st(out, i, powInt(p0 * ld(out, i) + p1, p2));
}

// Rows [r0, r1) of the Laplacian (L1) kernel block: each entry alone, in a fixed order.
function laplacianRows(p0: f64, x: usize, y: usize, m: i32, d: i32, out: usize, r0: i32, r1: i32): void {
  const g = f64x2.splat(-p0);
  for (let i = r0; i < r1; i++) {
    const xi = x + (<usize>(i * d) << 3);
    const row = out + (<usize>(i * m) << 3);
    for (let j = 0; j < m; j++) {
      const yj = y + (<usize>(j * d) << 3);
      let acc = f64x2.splat(0);
      let t = 0;
      for (; t + 2 <= d; t += 2) {
        acc = f64x2.add(acc, f64x2.abs(f64x2.sub(v128.load(xi + (<usize>t << 3)), v128.load(yj + (<usize>t << 3)))));
      }
      let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      for (; t < d; t++) s += Math.abs(ld(xi, t) - ld(yj, t));
      st(row, j, s);
    }
    let j = 0;
    for (; j + 2 <= m; j += 2) {
      const p = row + (<usize>j << 3);
      v128.store(p, expNonPos(f64x2.mul(g, v128.load(p))));
    }
    for (; j < m; j++) st(row, j, f64x2.extract_lane(expNonPos(f64x2.splat(-p0 * ld(row, j))), 0));
  }
}

// Row-wise passes (the L1 kernel, the polynomial map) with several threads: strips of rows.
const PASS_POLY: i32 = 0;
const PASS_L1: i32 = 1;

function rowPass(pass: i32, p0: f64, p1: f64, p2: f64, x: usize, n: i32, y: usize, m: i32, d: i32, out: usize): void {
  const threads = parallelism();
  const perRow = pass == PASS_POLY ? 8.0 * <f64>m : <f64>m * <f64>(d + 8);
  const tasks = threads > 1 ? tasksFor(perRow * <f64>n, threads, n) : 1;
  if (tasks > 1) {
    setArg(0, <f64>pass); setArg(1, p0); setArg(2, p1); setArg(3, p2); setArg(4, <f64>x); setArg(5, <f64>n);
    setArg(6, <f64>y); setArg(7, <f64>m); setArg(8, <f64>d); setArg(9, <f64>out); setArg(10, <f64>tasks);
    fork(tasks, changetype<usize>(rowPassTask));
  } else if (pass == PASS_POLY) {
    mapPolynomial(p0, p1, p2, out, m, 0, n);
  } else {
    laplacianRows(p0, x, y, m, d, out, 0, n);
  }
}

// Task t of a row pass: rows [t·n/tasks, (t+1)·n/tasks).
function rowPassTask(t: i32): void {
  const pass = argI(0), p0 = arg(1), p1 = arg(2), p2 = arg(3), x = argP(4), n = argI(5);
  const y = argP(6), m = argI(7), d = argI(8), out = argP(9), tasks = argI(10);
  const r0 = <i32>(<i64>t * n / tasks), r1 = <i32>(<i64>(t + 1) * n / tasks);
  if (pass == PASS_POLY) mapPolynomial(p0, p1, p2, out, m, r0, r1);
  else laplacianRows(p0, x, y, m, d, out, r0, r1);
}

/** out (n×m) ← K(X, Y). work holds n + m f64. With several threads the product, the map and
 *  the distance sweep are split over rows or blocks of the output, bit-identical to one thread. */
export function kernel_block(kind: KernelCode, p0: f64, p1: f64, p2: f64,
  x: ptr<f64>, n: i32, y: ptr<f64>, m: i32, d: i32, out: ptr<f64>, work: ptr<f64>): void {
  if (n <= 0 || m <= 0) return;
  if (kind == KernelCode.LINEAR || kind == KernelCode.POLYNOMIAL) {
    if (x == y && n == m) syrk(n, d, 1.0, x, d, 0.0, out, m);
    else gemm(0, 1, n, m, d, 1.0, x, d, y, d, 0.0, out, m);
    if (kind == KernelCode.POLYNOMIAL) rowPass(PASS_POLY, p0, p1, p2, x, n, y, m, d, out);
    return;
  }
  if (kind == KernelCode.LAPLACIAN) {
    rowPass(PASS_L1, p0, p1, p2, x, n, y, m, d, out);
    return;
  }
  distanceKernel(kind, p0, x, n, y, m, d, out, work);
}

/** out[i] = k(x_i, x_i). */
export function kernel_diag(kind: KernelCode, p0: f64, p1: f64, p2: f64, x: ptr<f64>, n: i32, d: i32, out: ptr<f64>): void {
  for (let i = 0; i < n; i++) {
    const r = x + (<usize>(i * d) << 3);
    let v = 1.0;
    if (kind == KernelCode.LINEAR) v = dot(r, r, d);
    else if (kind == KernelCode.POLYNOMIAL) v = powInt(p0 * dot(r, r, d) + p1, p2);
    st(out, i, v);
  }
}
