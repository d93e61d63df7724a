// Deterministic elementary functions for host-side (JavaScript) numerics.
//
// Math.exp / Math.log / Math.pow / Math.sin are implemented by each engine's own libm port and
// the ECMAScript spec only asks for "an implementation-approximated value", so two engines (or
// two versions of one engine) may disagree in the last bit. The functions here use nothing but
// IEEE-754 basic operations (+ − × ÷, comparisons, which every conforming engine rounds
// identically) and exact reads/writes of a double's bit pattern, so a given input produces the
// same bits in Node, Deno, browsers and anywhere else. All are faithfully rounded (error below
// one ulp; the test suite measures the maximum against the host's Math.*).
//
// Derivations (standard argument reductions; polynomial coefficients are Taylor coefficients,
// with enough terms that truncation is far below the rounding error):
//
// exp:  x = k·ln2 + r with k = round(x/ln2), |r| ≤ ln2/2, computed as r = hi − lo with
//       hi = x − k·LN2_HI (exact: LN2_HI has 32 significant bits) and lo = k·LN2_LO.
//       On the reduced interval we use the even function R(r) = r·coth(r/2)
//       = 2 + Σ_{n≥1} 2·B_{2n}/(2n)!·r^{2n} (B = Bernoulli numbers), because
//       e^r = (R + r)/(R − r) = 1 + 2r/(R − r). Writing c = r − (R − 2) gives
//       e^r = 1 + r + r·c/(2 − c) = 1 − ((lo − r·c/(2 − c)) − hi), where the only large
//       rounding is the final addition to 1. Terms up to r^14 leave a truncation error
//       below 1e-19. Then e^x = 2^k·e^r (2^k from a table built by exact doubling).
// log:  x = 2^k·m, m ∈ [√2/2, √2), f = m − 1 (exact), s = f/(2 + f), so that
//       log(1 + f) = log((1 + s)/(1 − s)) = 2s + 2s³/3 + 2s⁵/5 + … = 2s + s·R(s²),
//       R(z) = Σ_{n≥1} 2/(2n+1)·z^n. With |s| ≤ 0.1716 (z ≤ 0.0295) ten terms leave a
//       truncation error below 1e-18 relative. Since 2s = f − s·f and s·f = hf − s·hf with
//       hf = f²/2, log(1 + f) = f − (hf − s·(hf + R)), which keeps f exact and the
//       correction small; finally add k·LN2_HI (exact) and k·LN2_LO.
// sin/cos: x = k·π/2 + r with a three-part Cody–Waite split of π/2 (33 + 33 + 53 bits), accurate
//       for |x| ≤ 2^20·π/2 ≈ 1.6e6 (beyond that the reduction loses bits; the result is still
//       bit-reproducible but no longer faithfully rounded). Taylor kernels on |r| ≤ π/4 (to r^19 and r^18: truncation below 1e-21).

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
// Index of the word holding sign + exponent + top of the significand.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

// 2^k for integer k in [−1022, 1023] (index k + 1022), by exact repeated doubling/halving.
const POW2 = new Float64Array(2046);
POW2[1022] = 1;
for (let k = 1; k <= 1023; k++) POW2[1022 + k] = POW2[1021 + k] * 2;
for (let k = 1; k <= 1022; k++) POW2[1022 - k] = POW2[1023 - k] * 0.5;
function pow2(k: number): number {
  return POW2[k + 1022];
}

// ln 2 = LN2_HI + LN2_LO; LN2_HI keeps 32 significant bits, so k·LN2_HI is exact for |k| < 2^21.
const LN2_HI = 6.93147180369123816490e-1; // 0x3FE62E42FEE00000
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.4426950408889634;
// e^x overflows above EXP_MAX (= the largest double whose exp rounds to a finite value) and
// rounds to +0 below EXP_MIN.
const EXP_MAX = 709.782712893383973096;
const EXP_MIN = -745.13321910194110842;

// 2·B_{2n}/(2n)!, n = 1..7.
const E1 = 1 / 6;
const E2 = -1 / 360;
const E3 = 1 / 15120;
const E4 = -1 / 604800;
const E5 = 1 / 23950080;
const E6 = -691 / 653837184000;
const E7 = 1 / 37362124800;

const TWO54 = 18014398509481984;
const TWO_M1000 = 9.332636185032189e-302; // 2^-1000

/** e^x, faithfully rounded, identical in every conforming JavaScript engine. */
export function exp(x: number): number {
  if (!(x === x)) return x; // NaN
  if (x > EXP_MAX) return Infinity;
  if (x < EXP_MIN) return 0;
  const ax = x < 0 ? -x : x;
  if (ax < 3.725290298461914e-9) return 1 + x; // |x| < 2^-28: e^x = 1 + x to within half an ulp
  let hi: number, lo: number, k: number;
  if (ax < 0.34657359027997264) {
    // |x| < ln2/2: no reduction
    hi = x;
    lo = 0;
    k = 0;
  } else {
    // round(x/ln2) by truncation toward zero of x/ln2 ± ½ (|x/ln2| < 1076 fits an int32)
    k = (x * INV_LN2 + (x < 0 ? -0.5 : 0.5)) | 0;
    hi = x - k * LN2_HI;
    lo = k * LN2_LO;
  }
  const r = hi - lo;
  const z = r * r;
  const c = r - z * (E1 + z * (E2 + z * (E3 + z * (E4 + z * (E5 + z * (E6 + z * E7))))));
  const y = 1 - ((lo - (r * c) / (2 - c)) - hi);
  if (k === 0) return y;
  if (k > 1023) return y * 2 * pow2(k - 1); // only k = 1024 (x close to EXP_MAX)
  if (k < -1021) return y * pow2(k + 1000) * TWO_M1000; // subnormal or near-subnormal result
  return y * pow2(k);
}

// 2/(2n+1), n = 1..10.
const L1 = 2 / 3;
const L2 = 2 / 5;
const L3 = 2 / 7;
const L4 = 2 / 9;
const L5 = 2 / 11;
const L6 = 2 / 13;
const L7 = 2 / 15;
const L8 = 2 / 17;
const L9 = 2 / 19;
const L10 = 2 / 21;
const SQRT2 = 1.4142135623730951;

/** Natural logarithm, faithfully rounded, identical in every conforming JavaScript engine.
 *  log(±0) = −∞, log(x < 0) = NaN, log(+∞) = +∞, log(1) = +0. */
export function log(x: number): number {
  if (!(x > 0)) {
    if (x === 0) return -Infinity;
    return NaN; // negative or NaN
  }
  if (x === Infinity) return x;
  let k = 0;
  if (x < 2.2250738585072014e-308) {
    x *= TWO54; // subnormal: scale into the normal range (exact)
    k = -54;
  }
  // Split x = 2^e·m with m ∈ [1, 2) by rewriting the exponent field.
  F64[0] = x;
  const h = U32[HI];
  k += ((h >>> 20) & 0x7ff) - 1023;
  U32[HI] = (h & 0x000fffff) | 0x3ff00000;
  let m = F64[0];
  if (m > SQRT2) {
    m *= 0.5; // exact
    k += 1;
  }
  const f = m - 1; // exact (Sterbenz)
  if (f === 0) return k === 0 ? 0 : k * LN2_HI + k * LN2_LO;
  const s = f / (2 + f);
  const z = s * s;
  const R = z * (L1 + z * (L2 + z * (L3 + z * (L4 + z * (L5 + z * (L6 + z * (L7 + z * (L8 + z * (L9 + z * L10)))))))));
  const hf = 0.5 * f * f;
  if (k === 0) return f - (hf - s * (hf + R));
  return k * LN2_HI - ((hf - (s * (hf + R) + k * LN2_LO)) - f);
}

// π/2 = P1 + P2 + P3 (+ tail); P1 and P2 keep 33 significant bits so k·P1, k·P2 are exact for
// |k| < 2^20.
const PIO2_1 = 1.5707963267341256; // 0x3FF921FB54400000
const PIO2_2 = 6.077100506303966e-11; // 0x3DD0B4611A600000
const PIO2_3 = 2.0222662487959506e-21; // π/2 − PIO2_1 − PIO2_2, rounded
const INV_PIO2 = 6.36619772367581382433e-1;

// Taylor coefficients (−1)^n/(2n+1)! and (−1)^n/(2n)!.
const S1 = -1 / 6, S2 = 1 / 120, S3 = -1 / 5040, S4 = 1 / 362880, S5 = -1 / 39916800, S6 = 1 / 6227020800, S7 = -1 / 1307674368000,
  S8 = 1 / 355687428096000, S9 = -1 / 121645100408832000;
const C2 = 1 / 24, C3 = -1 / 720, C4 = 1 / 40320, C5 = -1 / 3628800, C6 = 1 / 479001600, C7 = -1 / 87178291200, C8 = 1 / 20922789888000,
  C9 = -1 / 6402373705728000;

/** sin on |r| ≤ π/4 (+ tail rt of the reduced argument). */
function kSin(r: number, rt: number): number {
  const z = r * r;
  const p = z * (S2 + z * (S3 + z * (S4 + z * (S5 + z * (S6 + z * (S7 + z * (S8 + z * S9)))))));
  // sin r ≈ r + r·z·(S1 + p); the tail enters linearly as rt·cos r ≈ rt·(1 − z/2).
  return r + ((-(r * z) / 6 + r * z * p) + (rt - 0.5 * z * rt));
}

/** cos on |r| ≤ π/4 (+ tail rt). */
function kCos(r: number, rt: number): number {
  // r² / 2 as a (exact) head plus a small remainder: split r = rh + rl with rh of 26 bits
  // (Dekker), so rh²/2 is exact and 1 − rh²/2 can be formed with its rounding error recovered.
  const c = 134217729 * r;
  const rh = c - (c - r);
  const rl = r - rh;
  const a = 0.5 * rh * rh;
  const b = rh * rl + 0.5 * rl * rl;
  const w = 1 - a;
  const err = (1 - w) - a; // exact rounding error of 1 − a
  const z = r * r;
  const q = z * z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * (C6 + z * (C7 + z * (C8 + z * C9))))))) - r * rt;
  return w + ((err - b) + q);
}

// Reduction result (shared scratch to avoid allocation): x = n·π/2 + (rHi + rLo).
let rHi = 0, rLo = 0;
function reduce(x: number): number {
  const n = Math.round(x * INV_PIO2); // Math.round is exact (specified), so deterministic
  let w = x - n * PIO2_1;
  let t = n * PIO2_2;
  let y = w - t;
  let tail = (w - y) - t;
  // third term
  const t3 = n * PIO2_3;
  const y2 = y - t3;
  tail += (y - y2) - t3;
  w = y2 + tail;
  rLo = tail - (w - y2);
  rHi = w;
  return n;
}

/** sin x, identical in every conforming JavaScript engine; faithfully rounded for
 *  |x| ≤ 2^20·π/2 (larger arguments are still reproducible but less accurate). */
export function sin(x: number): number {
  if (!(x === x) || x === Infinity || x === -Infinity) return NaN;
  const ax = x < 0 ? -x : x;
  if (ax < 7.450580596923828e-9) return x; // |x| < 2^-27 (keeps −0)
  if (ax <= 0.7853981633974483) return kSin(x, 0);
  const n = reduce(x);
  switch (n & 3) {
    case 0: return kSin(rHi, rLo);
    case 1: return kCos(rHi, rLo);
    case 2: return -kSin(rHi, rLo);
    default: return -kCos(rHi, rLo);
  }
}

/** cos x, identical in every conforming JavaScript engine (same accuracy range as sin). */
export function cos(x: number): number {
  if (!(x === x) || x === Infinity || x === -Infinity) return NaN;
  const ax = x < 0 ? -x : x;
  if (ax < 7.450580596923828e-9) return 1;
  if (ax <= 0.7853981633974483) return kCos(x, 0);
  const n = reduce(x);
  switch (n & 3) {
    case 0: return kCos(rHi, rLo);
    case 1: return -kSin(rHi, rLo);
    case 2: return -kCos(rHi, rLo);
    default: return kSin(rHi, rLo);
  }
}

/** log Σ_i e^{a_i} over a[from..to), shifted by the maximum (−∞ for an empty or all −∞ range). */
export function logSumExp(a: ArrayLike<number>, from = 0, to = a.length): number {
  let m = -Infinity;
  for (let i = from; i < to; i++) if (a[i] > m || a[i] !== a[i]) m = a[i];
  if (m === -Infinity || m !== m) return m;
  if (m === Infinity) return Infinity;
  let z = 0;
  for (let i = from; i < to; i++) z += exp(a[i] - m);
  return m + log(z);
}

/** Replace logits a[from..to) by softmax probabilities in place; returns a. */
export function softmaxInPlace<T extends { [i: number]: number; length: number }>(a: T, from = 0, to = a.length): T {
  let m = -Infinity;
  for (let i = from; i < to; i++) if (a[i] > m) m = a[i];
  let z = 0;
  for (let i = from; i < to; i++) z += a[i] = exp(a[i] - m);
  const inv = 1 / z;
  for (let i = from; i < to; i++) a[i] *= inv;
  return a;
}
