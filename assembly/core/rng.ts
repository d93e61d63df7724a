// One seeded generator: xoshiro256** (Blackman & Vigna), seeded through splitmix64.
// State is 4 × u64 = 32 bytes in linear memory, owned by the SDK, so any number of
// independent streams can exist (one per merge-tree node, per worker...).
// Every sampler below uses only integer ops and AssemblyScript's own Math (compiled to
// Wasm), so a given seed yields bit-identical streams in every runtime.
import { ptr } from "./mem";
import { Status, setStatusArg } from "./status";

@inline function rotl(x: u64, k: u64): u64 {
  return (x << k) | (x >> (64 - k));
}

function splitmix(state: u64): u64 {
  let z = state + 0x9E3779B97F4A7C15;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

/** Seed the stream at `s` from a 64-bit seed given as two u32 halves and a 64-bit stream id. */
export function rng_seed(s: ptr<u64>, seedLo: u32, seedHi: u32, streamLo: u32, streamHi: u32): void {
  let x: u64 = (<u64>seedHi << 32) | <u64>seedLo;
  const stream: u64 = (<u64>streamHi << 32) | <u64>streamLo;
  // Mix the stream id in through a second splitmix chain so (seed, id) pairs do not collide
  // the way seed ^ id would.
  x = splitmix(x) ^ splitmix(stream ^ 0xD1B54A32D192ED03);
  let z: u64 = x;
  for (let i = 0; i < 4; i++) {
    z += 0x9E3779B97F4A7C15;
    store<u64>(s + (<usize>i << 3), splitmix(z));
  }
  // An all-zero state is the one forbidden state; splitmix outputs make it practically
  // impossible, but guard anyway.
  if ((load<u64>(s) | load<u64>(s, 8) | load<u64>(s, 16) | load<u64>(s, 24)) == 0) store<u64>(s, 1);
}

@inline export function next_u64(s: usize): u64 {
  const s0 = load<u64>(s), s1 = load<u64>(s, 8), s2 = load<u64>(s, 16), s3 = load<u64>(s, 24);
  const result = rotl(s1 * 5, 7) * 9;
  const t = s1 << 17;
  let n2 = s2 ^ s0;
  let n3 = s3 ^ s1;
  const n1 = s1 ^ n2;
  const n0 = s0 ^ n3;
  n2 ^= t;
  n3 = rotl(n3, 45);
  store<u64>(s, n0);
  store<u64>(s, n1, 8);
  store<u64>(s, n2, 16);
  store<u64>(s, n3, 24);
  return result;
}

/** Uniform on [0, 1) with 53 random bits. */
@inline export function next_f64(s: usize): f64 {
  return <f64>(next_u64(s) >> 11) * 1.1102230246251565e-16; // 2^-53
}

/** Uniform on (0, 1): never returns 0, safe under log. */
@inline function next_open(s: usize): f64 {
  return (<f64>(next_u64(s) >> 11) + 0.5) * 1.1102230246251565e-16;
}

/** Fill out[0..n) with raw u32 values (low word of the stream is discarded). */
export function rng_fill_u32(s: ptr<u64>, out: ptr<u32>, n: i32): void {
  for (let i = 0; i < n; i++) store<u32>(out + (<usize>i << 2), <u32>(next_u64(s) >> 32));
}

export function rng_fill_uniform(s: ptr<u64>, out: ptr<f64>, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), next_f64(s));
}

/** Unbiased integer in [0, bound) (Lemire's multiply-and-reject on 32 bits). */
export function rng_below(s: ptr<u64>, bound: u32): u32 {
  if (bound <= 1) return 0;
  let x = <u32>(next_u64(s) >> 32);
  let m = <u64>x * <u64>bound;
  let l = <u32>m;
  if (l < bound) {
    const t: u32 = (<u32>0 - bound) % bound;
    while (l < t) {
      x = <u32>(next_u64(s) >> 32);
      m = <u64>x * <u64>bound;
      l = <u32>m;
    }
  }
  return <u32>(m >> 32);
}

/** Standard normals by Marsaglia's polar method (two per accepted pair, no caching, so the
 *  stream position after n draws depends only on n). */
export function rng_fill_normal(s: ptr<u64>, out: ptr<f64>, n: i32): void {
  let i = 0;
  while (i < n) {
    let u: f64, v: f64, r: f64;
    do {
      u = 2.0 * next_f64(s) - 1.0;
      v = 2.0 * next_f64(s) - 1.0;
      r = u * u + v * v;
    } while (r >= 1.0 || r == 0.0);
    const f = Math.sqrt(-2.0 * Math.log(r) / r);
    store<f64>(out + (<usize>i << 3), u * f);
    i++;
    if (i < n) {
      store<f64>(out + (<usize>i << 3), v * f);
      i++;
    }
  }
}

/** True when p is a probability: 0 ≤ p ≤ 1 (false for NaN). Every sampler below checks its
 *  probability with it before drawing, so that no sampling loop ever runs on a NaN. */
@inline export function isProbability(p: f64): bool {
  return p >= 0.0 && p <= 1.0;
}

/** One Bernoulli(p) draw (0 or 1); −1, without drawing, when p is not in [0, 1] (or NaN). */
export function rng_bernoulli(s: ptr<u64>, p: f64): i32 {
  if (!isProbability(p)) return -1;
  return next_f64(s) < p ? 1 : 0;
}

/** Fill out[0..n) (as i32) with Bernoulli(p) draws. Status.BAD_ARG, without drawing, when p
 *  is not in [0, 1] (or NaN). */
export function rng_fill_bernoulli(s: ptr<u64>, out: ptr<i32>, n: i32, p: f64): Status {
  if (!isProbability(p)) {
    setStatusArg(p);
    return Status.BAD_ARG;
  }
  for (let i = 0; i < n; i++) store<i32>(out + (<usize>i << 2), next_f64(s) < p ? 1 : 0);
  return Status.OK;
}

// ---- Binomial(n, p), exact -------------------------------------------------------------
// Small means: inversion by walking the CDF from 0 (exact up to rounding of the pmf
// recurrence). Large means: BTRD, Hormann's transformed rejection with decomposition
// (W. Hormann, "The generation of binomial random variates", J. Stat. Comput. Simul. 1993),
// which samples the exact distribution. Symmetry p > 1/2 → n − Binomial(n, 1 − p).

/** log(k!) via Stirling's series with exact table for small k. */
function logFactorial(k: f64): f64 {
  if (k < 10.0) {
    let r = 0.0;
    for (let i = 2.0; i <= k; i += 1.0) r += Math.log(i);
    return r;
  }
  const k1 = k + 1.0;
  const ik = 1.0 / k1;
  const ik2 = ik * ik;
  // log Γ(k+1) Stirling series
  return (k1 - 0.5) * Math.log(k1) - k1 + 0.9189385332046728 +
    ik * (1.0 / 12.0 - ik2 * (1.0 / 360.0 - ik2 * (1.0 / 1260.0 - ik2 / 1680.0)));
}

/** Stirling correction term fc(k) = log(k!) − [(k+½)log(k+1) − (k+1) + ½log(2π)]. */
function stirlingTail(k: f64): f64 {
  if (k < 10.0) {
    return logFactorial(k) - ((k + 0.5) * Math.log(k + 1.0) - (k + 1.0) + 0.9189385332046728);
  }
  const kp1sq = (k + 1.0) * (k + 1.0);
  return (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / kp1sq) / kp1sq) / (k + 1.0);
}

function binomialInversion(s: usize, n: i64, p: f64): i64 {
  const q = 1.0 - p;
  const ratio = p / q;
  const nf = <f64>n;
  let pk = Math.pow(q, nf); // P(X = 0)
  let u = next_f64(s);
  let k: i64 = 0;
  // Walk the CDF. The mean is small (< 14) so this loop is short; the bound n guards
  // against u landing in the rounding gap at the top of the CDF.
  while (u > pk && k < n) {
    u -= pk;
    k++;
    pk *= ratio * (nf - <f64>k + 1.0) / <f64>k;
    if (pk == 0.0) {
      // Rounding exhausted the tail: restart with a fresh uniform (exactness preserved).
      u = next_f64(s);
      k = 0;
      pk = Math.pow(q, nf);
    }
  }
  return k;
}

function binomialBtrd(s: usize, n: i64, p: f64): i64 {
  const nf = <f64>n;
  const q = 1.0 - p;
  const spq = Math.sqrt(nf * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = nf * p + 0.5;
  const alpha = (2.83 + 5.1 / b) * spq;
  const vr = 0.92 - 4.2 / b;
  const urvr = 0.86 * vr;
  const m = Math.floor((nf + 1.0) * p);
  const r = p / q;
  const nr = (nf + 1.0) * r;
  for (;;) {
    let v = next_f64(s);
    let u: f64;
    if (v <= urvr) {
      u = v / vr - 0.43;
      return <i64>Math.floor((2.0 * a / (0.5 - Math.abs(u)) + b) * u + c);
    }
    if (v >= vr) {
      u = next_f64(s) - 0.5;
    } else {
      u = v / vr - 0.93;
      u = (u < 0 ? -0.5 : 0.5) - u;
      v = next_f64(s) * vr;
    }
    const us = 0.5 - Math.abs(u);
    const kf = Math.floor((2.0 * a / us + b) * u + c);
    if (kf < 0.0 || kf > nf) continue;
    v = v * alpha / (a / (us * us) + b);
    const km = Math.abs(kf - m);
    if (km <= 15.0) {
      // Recursive evaluation of f(k)/f(m).
      let f = 1.0;
      if (m < kf) {
        for (let i = m + 1.0; i <= kf; i += 1.0) f *= nr / i - r;
      } else if (m > kf) {
        for (let i = kf + 1.0; i <= m; i += 1.0) v *= nr / i - r;
      }
      if (v <= f) return <i64>kf;
      continue;
    }
    // Squeeze using upper and lower bounds on log(f(k)).
    v = Math.log(v);
    const rho = (km / (nf * p * q)) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / (nf * p * q) + 0.5);
    const t = -km * km / (2.0 * nf * p * q);
    if (v < t - rho) return <i64>kf;
    if (v > t + rho) continue;
    const nm = nf - m + 1.0;
    const h = (m + 0.5) * Math.log((m + 1.0) / (r * nm)) + stirlingTail(m) + stirlingTail(nf - m);
    const nk = nf - kf + 1.0;
    if (v <= h + (nf + 1.0) * Math.log(nm / nk) + (kf + 0.5) * Math.log(nk * r / (kf + 1.0)) -
      stirlingTail(kf) - stirlingTail(nf - kf)) return <i64>kf;
  }
  return 0; // not reached: the loop only exits by returning
}

/** One exact Binomial(n, p) draw; n ≥ 0 (up to 2^53), p in [0, 1]. Returns −1, without
 *  drawing, when p is not in [0, 1] (NaN included) or n is not a count: the rejection loop of
 *  BTRD below would never accept a draw for p = NaN, so this check is what bounds it. */
export function rng_binomial(s: ptr<u64>, n: f64, p: f64): f64 {
  if (!isProbability(p) || !(n >= 0.0 && n <= 9007199254740992.0)) return -1;
  const ni = <i64>n;
  if (ni <= 0 || p <= 0.0) return 0;
  if (p >= 1.0) return n;
  if (p > 0.5) return n - <f64>sampleBinomial(s, ni, 1.0 - p);
  return <f64>sampleBinomial(s, ni, p);
}

function sampleBinomial(s: usize, n: i64, p: f64): i64 {
  if (<f64>n * p < 14.0) return binomialInversion(s, n, p);
  return binomialBtrd(s, n, p);
}

/** Thin counts in place: counts[i] ← Binomial(counts[i], probs[i]). Counts are i32.
 *  Status.BAD_ARG, with status_arg() = i, at the first i whose probability is not in [0, 1]
 *  (or NaN) or whose count is negative; counts before i are thinned, the rest untouched. */
export function rng_binomial_thin(s: ptr<u64>, counts: ptr<i32>, probs: ptr<f64>, n: i32): Status {
  for (let i = 0; i < n; i++) {
    const c = load<i32>(counts + (<usize>i << 2));
    const pr = load<f64>(probs + (<usize>i << 3));
    const k = rng_binomial(s, <f64>c, pr);
    if (k < 0.0) {
      setStatusArg(<f64>i, pr);
      return Status.BAD_ARG;
    }
    store<i32>(counts + (<usize>i << 2), <i32>k);
  }
  return Status.OK;
}

/** Fill out[0..count) with Binomial(n, p) draws. Status.BAD_ARG, without drawing, when p is
 *  not in [0, 1] (or NaN) or n is not a count. */
export function rng_fill_binomial(s: ptr<u64>, out: ptr<f64>, count: i32, n: f64, p: f64): Status {
  if (!isProbability(p) || !(n >= 0.0 && n <= 9007199254740992.0)) {
    setStatusArg(p, n);
    return Status.BAD_ARG;
  }
  for (let i = 0; i < count; i++) store<f64>(out + (<usize>i << 3), rng_binomial(s, n, p));
  return Status.OK;
}
