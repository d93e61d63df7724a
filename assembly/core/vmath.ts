// Vectorised exp for f64x2, used by the kernels and the games.
// Range reduction x = k·ln2 + r, |r| ≤ ln2/2, with k found by the round-to-nearest "shifter"
// trick (x/ln2 + 1.5·2^52 leaves k in the low mantissa bits, which also gives 2^k without a
// float→int conversion), ln2 split in a high part with trailing zeros (k·LN2_HI is exact)
// and a low part. exp(r) = 1 + (r + r²·q(r)) with q a degree-9 polynomial fit of
// (eʳ − 1 − r)/r² (so degree 11 overall), evaluated by Estrin's scheme (short dependency
// chains) and the leading terms added last for accuracy.
// 2^k is applied as 2^⌊k/2⌋·2^(k−⌊k/2⌋) so that k = 1024 does not overflow the exponent
// field; arguments are clamped to [−708.39, 710], so the result overflows to +Inf exactly
// when exp(x) > DBL_MAX (x > 709.7827). Arguments below −708.39 give exactly 0 (no subnormal
// results), NaN gives NaN (the same NaN). The test suite measures the error against
// Math.exp over [−708.39, 709.78]: 1 ulp (see test/core/engine.cases.ts).
import { ptr } from "./mem";

const LN2_HI: f64 = 6.93147180369123816490e-01; // 0x3FE62E42FEE00000
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.44269504088896338700e+00;
const SHIFTER: f64 = 6755399441055744.0; // 1.5·2^52
const LO: f64 = -708.39;
const HI: f64 = 710.0; // k = 1024 here: p·2^1024 overflows exactly when exp(x) > DBL_MAX

// exp(r) for |r| ≤ ln2/2: 1 + (r + r²·q(r)), with q ≈ (eʳ − 1 − r)/r² a degree-9 Chebyshev
// fit on [−ln2/2, ln2/2] (fitted in 50-digit arithmetic; with the coefficients rounded to
// double its error adds < 0.08 ulp to exp), evaluated by Estrin's scheme.
const Q0: f64 = 0.5000000000000001;
const Q1: f64 = 0.16666666666666669;
const Q2: f64 = 0.041666666666624164;
const Q3: f64 = 0.008333333333330065;
const Q4: f64 = 0.001388888891719689;
const Q5: f64 = 0.00019841269863040675;
const Q6: f64 = 2.480152132210459e-05;
const Q7: f64 = 2.7557268480106926e-06;
const Q8: f64 = 2.762007600563138e-07;
const Q9: f64 = 2.5100375929185925e-08;

@inline function expPoly(r: v128): v128 {
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const r8 = f64x2.mul(r4, r4);
  const e0 = f64x2.add(f64x2.splat(Q0), f64x2.mul(r, f64x2.splat(Q1)));
  const e1 = f64x2.add(f64x2.splat(Q2), f64x2.mul(r, f64x2.splat(Q3)));
  const e2 = f64x2.add(f64x2.splat(Q4), f64x2.mul(r, f64x2.splat(Q5)));
  const e3 = f64x2.add(f64x2.splat(Q6), f64x2.mul(r, f64x2.splat(Q7)));
  const e4 = f64x2.add(f64x2.splat(Q8), f64x2.mul(r, f64x2.splat(Q9)));
  const f0 = f64x2.add(e0, f64x2.mul(r2, e1));
  const f1 = f64x2.add(e2, f64x2.mul(r2, e3));
  const q = f64x2.add(f64x2.add(f0, f64x2.mul(r4, f1)), f64x2.mul(r8, e4));
  return f64x2.add(f64x2.splat(1.0), f64x2.add(r, f64x2.mul(r2, q)));
}

// r = xc − k·ln2 (two-part ln2) from the shifted value t = xc/ln2 + SHIFTER.
@inline function expReduce(xc: v128, t: v128): v128 {
  const kf = f64x2.sub(t, f64x2.splat(SHIFTER));
  return f64x2.sub(f64x2.sub(xc, f64x2.mul(kf, f64x2.splat(LN2_HI))), f64x2.mul(kf, f64x2.splat(LN2_LO)));
}

@inline export function expv(x: v128): v128 {
  const lo = f64x2.splat(LO);
  // Clamp (pmax/pmin are single instructions; a NaN lane passes through as NaN).
  const xc = f64x2.pmin(f64x2.pmax(x, lo), f64x2.splat(HI));
  const t = f64x2.add(f64x2.mul(xc, f64x2.splat(INV_LN2)), f64x2.splat(SHIFTER)); // bits(t) = bits(SHIFTER) + k
  const p = expPoly(expReduce(xc, t));
  // 2^k with k ∈ [−1022, 1024]: u = k + 2048 ≥ 0, h = ⌊u/2⌋ = ⌊k/2⌋ + 1024;
  // scale 1 = 2^(h−1024) has biased exponent h − 1, scale 2 = 2^(k−⌊k/2⌋) has u − h − 1.
  const u = i64x2.add(t, i64x2.splat(2048 - 0x4338000000000000));
  const h = i64x2.shr_u(u, 1);
  const one = i64x2.splat(1);
  const s1 = i64x2.shl(i64x2.sub(h, one), 52);
  const s2 = i64x2.shl(i64x2.sub(i64x2.sub(u, h), one), 52);
  let y = f64x2.mul(f64x2.mul(p, s1), s2);
  y = v128.andnot(y, f64x2.lt(x, lo)); // exact 0 below the cut
  y = v128.bitselect(x, y, f64x2.ne(x, x)); // NaN in, the same NaN out
  return y;
}

/** exp for arguments x ≤ 0 (what every kernel needs): the same reduction and polynomial as
 *  expv, so the same accuracy, but k ∈ [−1022, 0] needs a single scale and no upper clamp.
 *  Exactly 0 below −708.39; a NaN lane gives a NaN. Positive x must not be passed. */
@inline export function expNonPos(x: v128): v128 {
  const lo = f64x2.splat(LO);
  const xc = f64x2.pmax(x, lo);
  const t = f64x2.add(f64x2.mul(xc, f64x2.splat(INV_LN2)), f64x2.splat(SHIFTER));
  const p = expPoly(expReduce(xc, t));
  const s = i64x2.shl(i64x2.add(t, i64x2.splat(1023 - 0x4338000000000000)), 52); // 2^k
  return v128.andnot(f64x2.mul(p, s), f64x2.lt(x, lo));
}

/** Elementwise exp over an array (exported for testing and for the SDK). */
export function vexp(x: ptr<f64>, out: ptr<f64>, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) v128.store(out + (<usize>i << 3), expv(v128.load(x + (<usize>i << 3))));
  if (i < n) {
    const v = expv(f64x2.splat(load<f64>(x + (<usize>i << 3))));
    store<f64>(out + (<usize>i << 3), f64x2.extract_lane(v, 0));
  }
}
