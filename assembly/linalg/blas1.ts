// Level-1 kernels with f64x2 SIMD. Pointers are f64 addresses, n the element count.
import { ld, st, ldv, stv, ptr } from "../core/mem";

/** x · y */
export function dot(x: ptr<f64>, y: ptr<f64>, n: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 = f64x2.add(a0, f64x2.mul(ldv(x, i), ldv(y, i)));
    a1 = f64x2.add(a1, f64x2.mul(ldv(x, i + 2), ldv(y, i + 2)));
  }
  const a = f64x2.add(a0, a1);
  let r = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (; i < n; i++) r += ld(x, i) * ld(y, i);
  return r;
}

/** y ← a·x + y */
export function axpy(a: f64, x: ptr<f64>, y: ptr<f64>, n: i32): void {
  const av = f64x2.splat(a);
  let i = 0;
  for (; i + 2 <= n; i += 2) stv(y, i, f64x2.add(ldv(y, i), f64x2.mul(av, ldv(x, i))));
  for (; i < n; i++) st(y, i, ld(y, i) + a * ld(x, i));
}

/** x ← a·x */
export function scal(a: f64, x: ptr<f64>, n: i32): void {
  const av = f64x2.splat(a);
  let i = 0;
  for (; i + 2 <= n; i += 2) stv(x, i, f64x2.mul(av, ldv(x, i)));
  for (; i < n; i++) st(x, i, a * ld(x, i));
}

/** out ← a·x + b·y (out may alias x or y) */
export function axpby(a: f64, x: ptr<f64>, b: f64, y: ptr<f64>, out: ptr<f64>, n: i32): void {
  const av = f64x2.splat(a), bv = f64x2.splat(b);
  let i = 0;
  for (; i + 2 <= n; i += 2) stv(out, i, f64x2.add(f64x2.mul(av, ldv(x, i)), f64x2.mul(bv, ldv(y, i))));
  for (; i < n; i++) st(out, i, a * ld(x, i) + b * ld(y, i));
}

/** Σ x_i */
export function sum(x: ptr<f64>, n: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 = f64x2.add(a0, ldv(x, i));
    a1 = f64x2.add(a1, ldv(x, i + 2));
  }
  const a = f64x2.add(a0, a1);
  let r = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (; i < n; i++) r += ld(x, i);
  return r;
}

/** ‖x‖₂ with scaling against overflow/underflow. */
export function nrm2(x: ptr<f64>, n: i32): f64 {
  let amax = 0.0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(ld(x, i));
    if (v > amax) amax = v;
  }
  if (amax == 0.0 || !isFinite(amax)) return amax;
  if (amax > 1e-150 && amax < 1e150) return Math.sqrt(dot(x, x, n));
  const inv = 1.0 / amax;
  let s = 0.0;
  for (let i = 0; i < n; i++) {
    const v = ld(x, i) * inv;
    s += v * v;
  }
  return amax * Math.sqrt(s);
}

/** 1 if every entry is finite, else 0. */
export function all_finite(x: ptr<f64>, n: i32): i32 {
  let acc = f64x2.splat(0);
  let i = 0;
  // x − x is 0 for finite x and NaN for ±Inf/NaN; NaN is sticky under addition.
  for (; i + 2 <= n; i += 2) {
    const v = ldv(x, i);
    acc = f64x2.add(acc, f64x2.sub(v, v));
  }
  let r = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) {
    const v = ld(x, i);
    r += v - v;
  }
  return r == 0.0 ? 1 : 0;
}

/** y ← A·x for row-major A (m×n, leading dimension lda). */
export function gemv(m: i32, n: i32, a: ptr<f64>, lda: i32, x: ptr<f64>, y: ptr<f64>): void {
  for (let i = 0; i < m; i++) st(y, i, dot(a + (<usize>(i * lda) << 3), x, n));
}

/** y ← Aᵀ·x for row-major A (m×n): y has length n. */
export function gemv_t(m: i32, n: i32, a: ptr<f64>, lda: i32, x: ptr<f64>, y: ptr<f64>): void {
  memory.fill(y, 0, <usize>n << 3);
  for (let i = 0; i < m; i++) axpy(ld(x, i), a + (<usize>(i * lda) << 3), y, n);
}
