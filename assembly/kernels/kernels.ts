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
import { gemm, gemmWith, syrk, syrkWith } from "../linalg/gemm";
import { expNonPos } from "../core/vmath";

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

// Parameters of the running distance-kernel sweep, read by the epilogue.
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
  eKind = kind; eP0 = p0; eNx = nx; eNy = ny; eSame = same;
  if (same) syrkWith(n, d, -2.0, x, d, out, m, finishDistanceBlock);
  else gemmWith(0, 1, n, m, d, -2.0, x, d, y, d, 0.0, out, m, finishDistanceBlock, true);
}

// Apply the polynomial kernel's map to a block of inner products.
function mapPolynomial(p0: f64, p1: f64, p2: f64, out: usize, len: i32): void {
  for (let i = 0; i < len; i++) st(out, i, powInt(p0 * ld(out, i) + p1, p2));
}

/** out (n×m) ← K(X, Y). work holds n + m f64. */
export function kernel_block(kind: KernelCode, p0: f64, p1: f64, p2: f64,
  x: ptr<f64>, n: i32, y: ptr<f64>, m: i32, d: i32, out: ptr<f64>, work: ptr<f64>): void {
  if (n <= 0 || m <= 0) return;
  if (kind == KernelCode.LINEAR || kind == KernelCode.POLYNOMIAL) {
    if (x == y && n == m) syrk(n, d, 1.0, x, d, 0.0, out, m);
    else gemm(0, 1, n, m, d, 1.0, x, d, y, d, 0.0, out, m);
    if (kind == KernelCode.POLYNOMIAL) mapPolynomial(p0, p1, p2, out, n * m);
    return;
  }
  if (kind == KernelCode.LAPLACIAN) {
    const g = f64x2.splat(-p0);
    for (let i = 0; i < n; i++) {
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
