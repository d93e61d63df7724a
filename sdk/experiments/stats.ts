// Statistics over seeds: the mean and spread of a per-seed contrast, two confidence intervals
// for its mean, and the acceptance rule that turns them into a verdict.
//
// Two intervals are computed for every contrast, and the report shows both:
//   - Student's t-interval, mean ± t_{ν}·s/√n with ν = n − 1 (Student 1908). This is the one the
//     verdict uses: with the handful of seeds a CPU study affords (5 is typical) it is exact for
//     normal per-seed values and honest about how little 5 numbers say (t₄ = 2.776);
//   - the percentile bootstrap (Efron 1979; Efron & Tibshirani 1993, ch. 13): the means of B
//     resamples drawn with replacement by the engine's seeded generator, so the same values give
//     the same interval in every runtime. At n = 5 it can never reach beyond the smallest and
//     largest seed and is known to be too narrow, which is why it is shown, not used.
//
// Every number here comes from + − × ÷, comparisons, Math.sqrt (IEEE-754's correctly rounded
// square root) and the engine's generator, in a fixed order: identical in every runtime.
import { ValueError } from "../core/errors.js";
import { integer, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";

/** The verdict on a contrast, or on an experiment. */
export type Verdict = "reproduced" | "not reproduced" | "inconclusive";

/** The sign a paper predicts for a contrast: "positive" (> 0) or "negative" (< 0). */
export type Direction = "positive" | "negative";

/** Student's t-interval for a mean. */
export interface TInterval {
  /** Lower end. */
  lo: number;
  /** Upper end. */
  hi: number;
  /** Confidence level (0.95). */
  level: number;
  /** Degrees of freedom, n − 1. */
  df: number;
  /** The two-sided quantile t with P(|T_df| ≤ t) = level. */
  t: number;
  /** Standard error s/√n. */
  se: number;
}

/** A percentile-bootstrap interval for a mean. */
export interface BootstrapInterval {
  /** Lower end: the k-th smallest resample mean (0-based index k = round(B·(1 − level)/2)). */
  lo: number;
  /** Upper end: the k-th largest resample mean (index B − 1 − k). */
  hi: number;
  /** Confidence level (0.95). */
  level: number;
  /** Number of resamples B. */
  resamples: number;
  /** Seed of the generator. */
  seed: number;
  /** Stream of the generator. */
  stream: number;
}

/** Options of `bootstrapInterval`. */
export interface BootstrapOptions {
  /** Confidence level, in (0, 1). Default 0.95. */
  level?: number;
  /** Resamples B (≥ 100). Default 10,000. */
  resamples?: number;
  /** Seed of the generator. Default 0. */
  seed?: number;
  /** Stream of the generator (`new Rng(seed, stream)`). Default 0. */
  stream?: number;
}

function values(v: ArrayLike<number>, where: string): number[] {
  if (!v || typeof v.length !== "number") throw new ValueError(`${where}: expected an array of numbers`);
  const out = Array.from(v);
  out.forEach((x, i) => {
    if (typeof x !== "number" || !Number.isFinite(x)) throw new ValueError(`${where}: values[${i}] must be a finite number, got ${x}`);
  });
  return out;
}

function level(l: number | undefined, where: string): number {
  const v = l ?? 0.95;
  if (typeof v !== "number" || !(v > 0 && v < 1)) throw new ValueError(`${where}: level must be in (0, 1), got ${v}`);
  return v;
}

/** The mean of finite values (summed in order). NaN for none. */
export function mean(v: ArrayLike<number>): number {
  const x = values(v, "mean");
  let s = 0;
  for (const a of x) s += a;
  return x.length ? s / x.length : NaN;
}

/** The sample standard deviation (denominator n − 1). NaN for fewer than 2 values. */
export function sampleSd(v: ArrayLike<number>): number {
  const x = values(v, "sampleSd");
  if (x.length < 2) return NaN;
  const m = mean(x);
  let s = 0;
  for (const a of x) s += (a - m) * (a - m);
  return Math.sqrt(s / (x.length - 1));
}

/** atan(x) from + − × ÷ and √ (two half-angle reductions, then the odd Taylor series on
 *  |y| ≤ tan(π/16) ≈ 0.199, whose 20th term is below 1e-29). */
function atan(x: number): number {
  if (x < 0) return -atan(-x);
  const invert = x > 1;
  let y = invert ? 1 / x : x;
  y = y / (1 + Math.sqrt(1 + y * y)); // atan(x) = 2·atan(x / (1 + √(1 + x²)))
  y = y / (1 + Math.sqrt(1 + y * y));
  const y2 = y * y;
  let term = y;
  let sum = 0;
  for (let k = 0; k < 20; k++) {
    sum += (k % 2 === 0 ? term : -term) / (2 * k + 1);
    term *= y2;
  }
  const r = 4 * sum;
  return invert ? Math.PI / 2 - r : r;
}

/** P(|T| ≤ t) for Student's t with `df` degrees of freedom (an integer ≥ 1), by the finite
 *  series of Abramowitz & Stegun 26.7.3–26.7.4 in θ = atan(t/√df):
 *    df even: sin θ·(1 + ½cos²θ + (1·3)/(2·4)cos⁴θ + … + (1·3…(df−3))/(2·4…(df−2))cos^{df−2}θ)
 *    df odd:  (2/π)·(θ + sin θ·cos θ·(1 + ⅔cos²θ + … + (2·4…(df−3))/(3·5…(df−2))cos^{df−3}θ)). */
export function studentTwoSided(t: number, df: number): number {
  integer(df, "df", 1);
  if (!(t > 0)) return 0;
  if (t === Infinity) return 1;
  const r = Math.sqrt(df + t * t);
  const sin = t / r;
  const cos2 = df / (t * t + df);
  let sum = 1;
  let term = 1;
  if (df % 2 === 0) {
    for (let k = 1; k <= (df - 2) / 2; k++) {
      term *= (cos2 * (2 * k - 1)) / (2 * k);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return sin * sum;
  }
  const theta = atan(t / Math.sqrt(df));
  if (df === 1) return (2 / Math.PI) * theta;
  for (let k = 1; k <= (df - 3) / 2; k++) {
    term *= (cos2 * 2 * k) / (2 * k + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / Math.PI) * (theta + sin * Math.sqrt(cos2) * sum);
}

/** The two-sided Student quantile: the t > 0 with P(|T_df| ≤ t) = level (t₄ = 2.7764… at
 *  0.95). Bisection on `studentTwoSided` down to adjacent doubles. */
export function studentQuantile(levelValue: number, df: number): number {
  const p = level(levelValue, "studentQuantile");
  integer(df, "df", 1);
  let lo = 0;
  let hi = 1;
  while (studentTwoSided(hi, df) < p) {
    lo = hi;
    hi *= 2;
  }
  for (;;) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) return hi;
    if (studentTwoSided(mid, df) < p) lo = mid;
    else hi = mid;
  }
}

/** Student's t-interval for the mean of `v` (at least 2 finite values). */
export function tInterval(v: ArrayLike<number>, levelValue = 0.95): TInterval {
  const x = values(v, "tInterval");
  const l = level(levelValue, "tInterval");
  if (x.length < 2) throw new ValueError(`tInterval: needs at least 2 values, got ${x.length}`);
  const m = mean(x);
  const se = sampleSd(x) / Math.sqrt(x.length);
  const t = studentQuantile(l, x.length - 1);
  return { lo: m - t * se, hi: m + t * se, level: l, df: x.length - 1, t, se };
}

/** The percentile-bootstrap interval for the mean of `v` (at least 1 finite value): B
 *  resamples of n values each, drawn with replacement as index ⌊u·n⌋ from uniforms u of
 *  `new Rng(seed, stream)` taken in order (resample 0's n draws first), each resample's mean
 *  summed in draw order; the interval is the k-th smallest and k-th largest of the B means,
 *  k = round(B·(1 − level)/2). */
export function bootstrapInterval(v: ArrayLike<number>, options: BootstrapOptions = {}): BootstrapInterval {
  const x = values(v, "bootstrapInterval");
  if (x.length < 1) throw new ValueError("bootstrapInterval: needs at least 1 value");
  const l = level(options.level, "bootstrapInterval");
  const B = integer(options.resamples ?? 10_000, "bootstrapInterval: resamples", 100, 10_000_000);
  const seed = checkSeed(options.seed ?? 0, "bootstrapInterval: seed");
  const stream = checkSeed(options.stream ?? 0, "bootstrapInterval: stream");
  const n = x.length;
  const means = new Float64Array(B);
  const rng = new Rng(seed, stream);
  try {
    const perChunk = Math.max(1, Math.floor(65536 / n));
    for (let b0 = 0; b0 < B; b0 += perChunk) {
      const count = Math.min(perChunk, B - b0);
      const u = rng.uniform(count * n);
      for (let b = 0; b < count; b++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += x[Math.floor(u[b * n + i] * n)];
        means[b0 + b] = s / n;
      }
    }
  } finally {
    rng.dispose();
  }
  means.sort();
  const k = Math.round((B * (1 - l)) / 2);
  return { lo: means[k], hi: means[B - 1 - k], level: l, resamples: B, seed, stream };
}

// ---- acceptance ------------------------------------------------------------------------------

/** What an acceptance rule sees about one contrast. */
export interface ContrastEvidence {
  /** The sign the paper predicts. */
  expected: Direction;
  /** The per-seed values (NaN where a seed gave none), in seed order. */
  values: readonly number[];
  /** Number of seeds with a finite value. */
  n: number;
  /** Mean of the finite values (NaN when none). */
  mean: number;
  /** Sample standard deviation of the finite values (NaN below 2). */
  sd: number;
  /** Student's t-interval (null below 2 finite values): the one verdicts use. */
  t: TInterval | null;
  /** The percentile-bootstrap interval (null when no finite value). */
  bootstrap: BootstrapInterval | null;
  /** Seeds whose value has the expected sign, strictly (0 and NaN do not count). */
  agree: number;
  /** Seeds that must agree: ⌈4N/5⌉ for N seeds (4 of 5, 8 of 10, 3 of 3). */
  needed: number;
}

/** A verdict with its reason in words. */
export interface Decision {
  /** Reproduced, not reproduced, or inconclusive. */
  verdict: Verdict;
  /** Why, with the numbers. */
  reason: string;
}

/** Turns the evidence on a contrast into a verdict. */
export type AcceptanceRule = (e: ContrastEvidence) => Decision;

/** Seeds that must agree out of `seeds`: ⌈4N/5⌉, the "4 of 5" of the acceptance rule scaled to N. */
export function seedsNeeded(seeds: number): number {
  integer(seeds, "seeds", 0);
  return Math.ceil((4 * seeds) / 5);
}

const fmt = (v: number): string => (Number.isFinite(v) ? String(+v.toPrecision(3)) : String(v));
const ci = (t: TInterval): string => `[${fmt(t.lo)}, ${fmt(t.hi)}]`;

/** The standard rule: **reproduced** when at least ⌈4N/5⌉ of the N seeds have the expected
 *  sign and the 95 % t-interval of the mean excludes 0 on that side; **not reproduced** when
 *  the evidence points the other way — the t-interval excludes 0 on the wrong side, or at
 *  least ⌈4N/5⌉ seeds do not have the expected sign (a tie counts against the claim); otherwise
 *  (fewer than 2 values, an interval straddling 0, seeds split) **inconclusive**. */
export const standardAcceptance: AcceptanceRule = (e) => {
  const N = e.values.length;
  const sign = e.expected === "positive" ? 1 : -1;
  const side = e.expected === "positive" ? "> 0" : "< 0";
  if (e.t === null) return { verdict: "inconclusive", reason: `a confidence interval needs at least 2 seeds with a value; ${e.n} of ${N} gave one` };
  const seeds = `${e.agree} of ${N} seeds ${side} (${e.needed} needed)`;
  const excludes = sign > 0 ? e.t.lo > 0 : e.t.hi < 0;
  const wrongSide = sign > 0 ? e.t.hi < 0 : e.t.lo > 0;
  if (e.agree >= e.needed && excludes) return { verdict: "reproduced", reason: `${seeds}, and the 95 % t-interval ${ci(e.t)} excludes 0` };
  if (wrongSide) return { verdict: "not reproduced", reason: `the 95 % t-interval ${ci(e.t)} lies on the other side of 0; ${seeds}` };
  if (N - e.agree >= e.needed) return { verdict: "not reproduced", reason: `${N - e.agree} of ${N} seeds are not ${side} (${e.needed} would have to be); 95 % t-interval ${ci(e.t)}` };
  if (!excludes) return { verdict: "inconclusive", reason: `the 95 % t-interval ${ci(e.t)} contains 0; ${seeds}` };
  return { verdict: "inconclusive", reason: `${seeds}, although the 95 % t-interval ${ci(e.t)} excludes 0` };
};

/** The rule for a directional hypothesis stated as "≥ 0" (or "≤ 0"): **reproduced** when at
 *  least ⌈4N/5⌉ seeds are on the expected side or exactly 0 and the mean is too (no interval
 *  needed: a small or null effect is enough); **not reproduced** when at least ⌈4N/5⌉ seeds
 *  are strictly on the other side, or the t-interval lies there; otherwise inconclusive. */
export const directionalAcceptance: AcceptanceRule = (e) => {
  const N = e.values.length;
  const sign = e.expected === "positive" ? 1 : -1;
  const side = e.expected === "positive" ? "≥ 0" : "≤ 0";
  if (e.n === 0) return { verdict: "inconclusive", reason: `no seed gave a value` };
  let weak = 0;
  let against = 0;
  for (const v of e.values) {
    if (!Number.isFinite(v)) continue;
    if (sign * v >= 0) weak++;
    else against++;
  }
  const tail = e.t ? `; 95 % t-interval ${ci(e.t)}` : "";
  if (against >= e.needed || (e.t !== null && (sign > 0 ? e.t.hi < 0 : e.t.lo > 0))) {
    return { verdict: "not reproduced", reason: `${against} of ${N} seeds are on the other side of 0 (${e.needed} needed for "${side}")${tail}` };
  }
  if (weak >= e.needed && sign * e.mean >= 0) return { verdict: "reproduced", reason: `${weak} of ${N} seeds ${side} (${e.needed} needed) and the mean ${fmt(e.mean)} ${side}${tail}` };
  return { verdict: "inconclusive", reason: `${weak} of ${N} seeds ${side} (${e.needed} needed), mean ${fmt(e.mean)}${tail}` };
};

/** The evidence on one contrast: mean, spread, both intervals and the count of agreeing seeds.
 *  Non-finite values count as seeds without a value. */
export function contrastEvidence(perSeed: ArrayLike<number>, expected: Direction, bootstrap: BootstrapOptions = {}): ContrastEvidence {
  if (expected !== "positive" && expected !== "negative") throw new ValueError(`expected must be "positive" or "negative", got ${JSON.stringify(expected)}`);
  const all = Array.from(perSeed, (v) => (typeof v === "number" ? v : NaN));
  const finite = all.filter((v) => Number.isFinite(v));
  const sign = expected === "positive" ? 1 : -1;
  return {
    expected,
    values: all,
    n: finite.length,
    mean: finite.length ? mean(finite) : NaN,
    sd: sampleSd(finite),
    t: finite.length >= 2 ? tInterval(finite, bootstrap.level ?? 0.95) : null,
    bootstrap: finite.length >= 1 ? bootstrapInterval(finite, bootstrap) : null,
    agree: finite.filter((v) => sign * v > 0).length,
    needed: seedsNeeded(all.length),
  };
}

/** The verdict of an experiment from those of its primary contrasts: reproduced when all are,
 *  not reproduced when any is not, inconclusive otherwise (or when there is none). */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length === 0) return "inconclusive";
  if (verdicts.includes("not reproduced")) return "not reproduced";
  return verdicts.every((v) => v === "reproduced") ? "reproduced" : "inconclusive";
}
