// Vectorised single-precision exp and tanh (f32x4) for the neural networks: softmax rows,
// attention weights and GELU / tanh activations. Pure SIMD128 integer and float operations, so
// every runtime computes the same bits; each lane is computed independently of the others, so
// an element's value does not depend on where it falls in a vector (a KV-cache step and the full
// recomputation agree bit for bit).
//
// exp: x = k·ln2 + r, |r| ≤ ln2/2, k found by the "shifter" trick (x/ln2 + 1.5·2²³ leaves k in
// the low mantissa bits, which also gives 2ᵏ without a float→int conversion); ln2 is split into
// a high part with trailing zeros (k·LN2_HI is exact for |k| ≤ 127) and a low part;
// eʳ = 1 + r + r²·q(r) with q a degree-4 least-squares fit of (eʳ − 1 − r)/r² on Chebyshev nodes
// (relative error of the polynomial 1.0e-8, below half an f32 ulp). Arguments are clamped to
// [−87, 88]: results below e⁻⁸⁷ are exactly 0, above e⁸⁸ saturate at e⁸⁸ (softmax rows never
// get there: they subtract the row maximum first). A NaN lane gives NaN.
// tanh(u) = 1 − 2/(e^{2u} + 1): exact limits ±1 and tanh(0) = 0; the absolute error is about
// one f32 ulp of 1 (6e-8), so tiny |u| has a relative error above f32's — irrelevant for the
// networks' activations, and the finite-difference tests state it.

const LN2_HI: f32 = 0.693145751953125; // 0x3F317200: 15 significant bits
const LN2_LO: f32 = 1.428606765330187e-6;
const INV_LN2: f32 = 1.4426950408889634;
const SHIFTER: f32 = 12582912.0; // 1.5·2^23
const SHIFTER_BITS: i32 = 0x4B400000;
const XLO: f32 = -87.0;
const XHI: f32 = 88.0;
const Q0: f32 = 0.500000001346223;
const Q1: f32 = 0.16666577003160257;
const Q2: f32 = 0.04166646497608743;
const Q3: f32 = 0.008363175565466426;
const Q4: f32 = 0.0013933643525358233;

/** eˣ lane by lane. */
@inline export function expf4(x: v128): v128 {
  const lo = f32x4.splat(XLO);
  const xc = f32x4.pmin(f32x4.pmax(x, lo), f32x4.splat(XHI));
  const t = f32x4.add(f32x4.mul(xc, f32x4.splat(INV_LN2)), f32x4.splat(SHIFTER));
  const kf = f32x4.sub(t, f32x4.splat(SHIFTER));
  const r = f32x4.sub(f32x4.sub(xc, f32x4.mul(kf, f32x4.splat(LN2_HI))), f32x4.mul(kf, f32x4.splat(LN2_LO)));
  const r2 = f32x4.mul(r, r);
  // q(r) = Q0 + Q1 r + Q2 r² + Q3 r³ + Q4 r⁴ (Estrin)
  const e0 = f32x4.add(f32x4.splat(Q0), f32x4.mul(r, f32x4.splat(Q1)));
  const e1 = f32x4.add(f32x4.splat(Q2), f32x4.mul(r, f32x4.splat(Q3)));
  const q = f32x4.add(e0, f32x4.mul(r2, f32x4.add(e1, f32x4.mul(r2, f32x4.splat(Q4)))));
  const p = f32x4.add(f32x4.splat(1.0), f32x4.add(r, f32x4.mul(r2, q)));
  // 2ᵏ: bits(t) − bits(SHIFTER) = k ∈ [−126, 127]; biased exponent k + 127 ∈ [1, 254].
  const s = i32x4.shl(i32x4.add(t, i32x4.splat(127 - SHIFTER_BITS)), 23);
  let y = f32x4.mul(p, s);
  y = v128.andnot(y, f32x4.lt(x, lo)); // exactly 0 below the cut
  return v128.bitselect(x, y, f32x4.ne(x, x)); // NaN in, NaN out
}

/** tanh lane by lane, as 1 − 2/(e^{2u} + 1). */
@inline export function tanhf4(u: v128): v128 {
  const e = expf4(f32x4.add(u, u));
  const one = f32x4.splat(1.0);
  return f32x4.sub(one, f32x4.div(f32x4.splat(2.0), f32x4.add(e, one)));
}

/** Scalar eˣ through the vector code (same bits as a lane of expf4). */
@inline export function expf1(x: f32): f32 {
  return f32x4.extract_lane(expf4(f32x4.splat(x)), 0);
}

/** Load n < 4 floats at p into the low lanes of a vector (the rest 0). */
@inline export function loadPartial(p: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Store the low n < 4 lanes of v at p. */
@inline export function storePartial(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** Horizontal sum of the four lanes in a fixed order: (l0 + l1) + (l2 + l3). */
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Horizontal maximum of the four lanes. */
@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** Sum of the four lanes of v as f64, added to the f64x2 accumulator acc: lanes (0, 1) and
 *  (2, 3) are promoted pairwise. */
@inline export function accumulateF64(acc: v128, v: v128): v128 {
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 0, 1));
  return f64x2.add(acc, f64x2.add(lo, hi));
}

/** Address of element i of an f32 block. */
@inline export function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}
