// Kernel functions and kernel blocks K(X, Y) for row-major X (n×d), Y (m×d).
//   kind 0 linear      k = x·y
//   kind 1 rbf         k = exp(−γ‖x−y‖²)                      p0 = γ
//   kind 2 laplacian   k = exp(−γ‖x−y‖₁)   (L1, as scikit-learn) p0 = γ
//   kind 3 polynomial  k = (γ·x·y + c₀)^deg                      p0 = γ, p1 = c₀, p2 = deg
//   kind 4 matern32    k = (1 + √3·r/ℓ)·exp(−√3·r/ℓ), r = ‖x−y‖  p0 = 1/ℓ
//   kind 5 matern52    k = (1 + √5·r/ℓ + 5r²/(3ℓ²))·exp(−√5·r/ℓ) p0 = 1/ℓ
//   kind 6 matern12    k = exp(−r/ℓ)  (the "exponential" kernel)  p0 = 1/ℓ
// Squared distances use ‖x‖² + ‖y‖² − 2·x·y through GEMM, clamped at 0 against round-off;
// when X and Y are the same buffer with n == m the diagonal distance is set to exactly 0.
import { ld, st } from "../core/mem";
import { dot } from "../linalg/blas1";
import { gemm, syrk } from "../linalg/gemm";
import { expv } from "../core/vmath";

export const LINEAR: i32 = 0;
export const RBF: i32 = 1;
export const LAPLACIAN: i32 = 2;
export const POLYNOMIAL: i32 = 3;
export const MATERN32: i32 = 4;
export const MATERN52: i32 = 5;
export const MATERN12: i32 = 6;

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

// Squared distances into out (n×m). work holds n + m f64.
function sqdist(x: usize, n: i32, y: usize, m: i32, d: i32, out: usize, work: usize): void {
  const same = x == y && n == m;
  if (same) syrk(n, d, -2.0, x, d, 0.0, out, m);
  else gemm(0, 1, n, m, d, -2.0, x, d, y, d, 0.0, out, m);
  const nx = work, ny = work + (<usize>n << 3);
  for (let i = 0; i < n; i++) {
    const r = x + (<usize>(i * d) << 3);
    st(nx, i, dot(r, r, d));
  }
  for (let j = 0; j < m; j++) {
    const r = y + (<usize>(j * d) << 3);
    st(ny, j, dot(r, r, d));
  }
  const zero = f64x2.splat(0);
  for (let i = 0; i < n; i++) {
    const row = out + (<usize>(i * m) << 3);
    const xi = f64x2.splat(ld(nx, i));
    let j = 0;
    for (; j + 2 <= m; j += 2) {
      const p = row + (<usize>j << 3);
      v128.store(p, f64x2.max(zero, f64x2.add(v128.load(p), f64x2.add(xi, v128.load(ny + (<usize>j << 3))))));
    }
    for (; j < m; j++) st(row, j, max(0.0, ld(row, j) + (ld(nx, i) + ld(ny, j)))); // same association as the SIMD lanes, so K stays exactly symmetric
    if (same) st(row, i, 0.0);
  }
}

// Apply f elementwise to a block of squared distances (or inner products for kinds 0/3).
function mapBlock(kind: i32, p0: f64, p1: f64, p2: f64, out: usize, len: i32): void {
  let i = 0;
  if (kind == RBF) {
    const g = f64x2.splat(-p0);
    for (; i + 2 <= len; i += 2) {
      const p = out + (<usize>i << 3);
      v128.store(p, expv(f64x2.mul(g, v128.load(p))));
    }
    for (; i < len; i++) st(out, i, f64x2.extract_lane(expv(f64x2.splat(-p0 * ld(out, i))), 0));
  } else if (kind == MATERN32 || kind == MATERN52 || kind == MATERN12) {
    const c = kind == MATERN32 ? Math.sqrt(3.0) * p0 : kind == MATERN52 ? Math.sqrt(5.0) * p0 : p0;
    const cv = f64x2.splat(c);
    const one = f64x2.splat(1.0);
    const third = f64x2.splat(1.0 / 3.0);
    for (; i + 2 <= len; i += 2) {
      const p = out + (<usize>i << 3);
      const s = f64x2.mul(cv, f64x2.sqrt(v128.load(p)));
      const e = expv(f64x2.neg(s));
      let poly: v128;
      if (kind == MATERN32) poly = f64x2.add(one, s);
      else if (kind == MATERN52) poly = f64x2.add(f64x2.add(one, s), f64x2.mul(third, f64x2.mul(s, s)));
      else poly = one;
      v128.store(p, f64x2.mul(poly, e));
    }
    for (; i < len; i++) {
      const s = c * Math.sqrt(ld(out, i));
      const e = f64x2.extract_lane(expv(f64x2.splat(-s)), 0);
      const poly = kind == MATERN32 ? 1.0 + s : kind == MATERN52 ? 1.0 + s + s * s / 3.0 : 1.0;
      st(out, i, poly * e);
    }
  } else if (kind == POLYNOMIAL) {
    for (; i < len; i++) st(out, i, powInt(p0 * ld(out, i) + p1, p2));
  }
}

/** out (n×m) ← K(X, Y). work holds n + m f64. */
export function kernel_block(kind: i32, p0: f64, p1: f64, p2: f64,
  x: usize, n: i32, y: usize, m: i32, d: i32, out: usize, work: usize): void {
  if (n <= 0 || m <= 0) return;
  if (kind == LINEAR || kind == POLYNOMIAL) {
    if (x == y && n == m) syrk(n, d, 1.0, x, d, 0.0, out, m);
    else gemm(0, 1, n, m, d, 1.0, x, d, y, d, 0.0, out, m);
    if (kind == POLYNOMIAL) mapBlock(kind, p0, p1, p2, out, n * m);
    return;
  }
  if (kind == LAPLACIAN) {
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
        v128.store(p, expv(f64x2.mul(g, v128.load(p))));
      }
      for (; j < m; j++) st(row, j, f64x2.extract_lane(expv(f64x2.splat(-p0 * ld(row, j))), 0));
    }
    return;
  }
  sqdist(x, n, y, m, d, out, work);
  mapBlock(kind, p0, p1, p2, out, n * m);
}

/** out[i] = k(x_i, x_i). */
export function kernel_diag(kind: i32, p0: f64, p1: f64, p2: f64, x: usize, n: i32, d: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const r = x + (<usize>(i * d) << 3);
    let v = 1.0;
    if (kind == LINEAR) v = dot(r, r, d);
    else if (kind == POLYNOMIAL) v = powInt(p0 * dot(r, r, d) + p1, p2);
    st(out, i, v);
  }
}
