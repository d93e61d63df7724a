// Distribution tests for the engine's PRNG samplers (Node only; the core suite checks
// moments in every runtime). Chi-square goodness of fit against exact pmfs computed here
// in JavaScript; seeds are fixed, so each test is deterministic.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Rng } from "../sdk/index.js";

// log Γ(x) by the Lanczos approximation (g = 7, 9 terms), accurate to ~1e-15 relative.
const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}
function binomPmf(n: number, p: number, k: number): number {
  return Math.exp(lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/** Chi-square statistic and degrees of freedom, bins merged until expected ≥ 5. */
function chiSquare(counts: Map<number, number>, pmf: (k: number) => number, lo: number, hi: number, total: number): { stat: number; df: number } {
  let stat = 0, df = -1, obs = 0, exp = 0;
  let seenMass = 0;
  for (let k = lo; k <= hi; k++) {
    const e = pmf(k) * total;
    seenMass += pmf(k);
    obs += counts.get(k) ?? 0;
    exp += e;
    if (exp >= 5) {
      stat += (obs - exp) ** 2 / exp;
      df++;
      obs = 0;
      exp = 0;
    }
  }
  // Everything outside [lo, hi] plus the unflushed remainder forms the last bin.
  let outside = 0;
  for (const [k, c] of counts) if (k < lo || k > hi) outside += c;
  obs += outside;
  exp += (1 - seenMass) * total;
  if (exp > 0) {
    stat += (obs - exp) ** 2 / exp;
    df++;
  }
  return { stat, df };
}

describe("PRNG distributions", () => {
  beforeAll(async () => {
    await init();
  });

  const cases: Array<[number, number]> = [
    [20, 0.3], // inversion
    [1000, 0.004], // inversion, small mean
    [60, 0.4], // BTRD (mean 24)
    [1000, 0.5], // BTRD
    [100000, 0.13], // BTRD, large n
    [50, 0.93], // symmetry p > 1/2
  ];
  for (const [n, p] of cases) {
    it(`Binomial(${n}, ${p}) passes a chi-square test against the exact pmf`, () => {
      const rng = new Rng(12345, n);
      const N = 200000;
      const draws = rng.binomial(n, p, N);
      rng.dispose();
      const counts = new Map<number, number>();
      for (const v of draws) counts.set(v, (counts.get(v) ?? 0) + 1);
      const mean = n * p, sd = Math.sqrt(n * p * (1 - p));
      const lo = Math.max(0, Math.floor(mean - 8 * sd)), hi = Math.min(n, Math.ceil(mean + 8 * sd));
      const { stat, df } = chiSquare(counts, (k) => binomPmf(n, p, k), lo, hi, N);
      // Under H0, stat ~ χ²(df): mean df, sd √(2df). 6 sd is far beyond any reasonable seed
      // while a wrong sampler (e.g. a normal approximation) fails by orders of magnitude.
      expect(df).toBeGreaterThan(3);
      expect(stat).toBeLessThan(df + 6 * Math.sqrt(2 * df));
    });
  }

  it("a normal approximation would fail the same test (the test has power)", () => {
    const n = 60, p = 0.4, N = 200000;
    const rng = new Rng(7);
    const z = rng.normal(N);
    rng.dispose();
    const counts = new Map<number, number>();
    for (const v of z) {
      const k = Math.min(n, Math.max(0, Math.round(n * p + v * Math.sqrt(n * p * (1 - p)))));
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const { stat, df } = chiSquare(counts, (k) => binomPmf(n, p, k), 0, n, N);
    expect(stat).toBeGreaterThan(df + 6 * Math.sqrt(2 * df));
  });

  it("the same (seed, stream) gives the same stream; different streams differ", () => {
    const a = new Rng(99, 1), b = new Rng(99, 1), c = new Rng(99, 2), d = new Rng(100, 1);
    const ua = a.uniform(64), ub = b.uniform(64), uc = c.uniform(64), ud = d.uniform(64);
    expect(Array.from(ua)).toEqual(Array.from(ub));
    expect(Array.from(ua)).not.toEqual(Array.from(uc));
    expect(Array.from(ua)).not.toEqual(Array.from(ud));
    const s = a.getState();
    const next = a.uniform(8);
    a.setState(s);
    expect(Array.from(a.uniform(8))).toEqual(Array.from(next));
    for (const r of [a, b, c, d]) r.dispose();
  });

  it("below(bound) is unbiased over a small range", () => {
    const rng = new Rng(3);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70000; i++) counts[rng.below(7)]++;
    rng.dispose();
    const { stat, df } = chiSquare(new Map(counts.map((c, k) => [k, c])), () => 1 / 7, 0, 6, 70000);
    expect(stat).toBeLessThan(df + 6 * Math.sqrt(2 * df));
  });

  it("thin() keeps counts within [0, c] and thins at the requested rate", () => {
    const rng = new Rng(5);
    const counts = new Int32Array(10000).fill(16);
    const probs = new Float64Array(10000).fill(0.25);
    rng.thin(counts, probs);
    rng.dispose();
    let s = 0;
    for (const c of counts) {
      expect(c >= 0 && c <= 16).toBe(true);
      s += c;
    }
    expect(Math.abs(s / 10000 - 4)).toBeLessThan(0.05);
  });
});
