// sdk/core/detmath.ts: deterministic exp/log/sin/cos built from IEEE basic operations only.
// Accuracy is measured in ulps (distance between bit patterns) against the host's Math.* on
// ~1e6 points and against correctly rounded values computed offline with mpmath (200-bit
// precision); special values must match Math.* exactly.
import { describe, expect, it } from "vitest";
import { exp, log, sin, cos, logSumExp, softmaxInPlace } from "../sdk/core/detmath.js";

const F = new Float64Array(1);
const B = new BigInt64Array(F.buffer);

/** Position of x on the ordered line of doubles (so ulp distance = difference). */
function ord(x: number): bigint {
  F[0] = x;
  const b = B[0];
  return b < 0n ? -(b & 0x7fffffffffffffffn) : b;
}

/** Bit distance in ulps; 0 for identical values (including two NaNs), ∞ if only one is NaN. */
function ulps(a: number, b: number): number {
  if (Object.is(a, b) || (a !== a && b !== b)) return 0;
  if (a !== a || b !== b) return Infinity;
  const d = ord(a) - ord(b);
  return Number(d < 0n ? -d : d);
}

function fromBits(b: bigint): number {
  B[0] = b;
  return F[0];
}

/** xorshift64* — a local, seeded source of random bit patterns. */
function bitsSource(seed: bigint): () => bigint {
  let s = seed;
  return () => {
    s ^= s >> 12n;
    s ^= (s << 25n) & 0xffffffffffffffffn;
    s ^= s >> 27n;
    return BigInt.asIntN(64, (s * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn);
  };
}

/** Uniform in [0, 1) from a 32-bit LCG (fast enough for 1e6 draws). */
function uniformSource(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const t = s;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (t * 2 ** 21 + (s >>> 11)) / 2 ** 53;
  };
}

interface Stats {
  n: number;
  max: number;
  equal: number;
  worst: number;
}

function measure(f: (x: number) => number, ref: (x: number) => number, xs: Iterable<number>): Stats {
  const st: Stats = { n: 0, max: 0, equal: 0, worst: NaN };
  for (const x of xs) {
    const e = ulps(f(x), ref(x));
    st.n++;
    if (e === 0) st.equal++;
    if (e > st.max) {
      st.max = e;
      st.worst = x;
    }
  }
  return st;
}

function* take(n: number, gen: () => number): Generator<number> {
  for (let i = 0; i < n; i++) yield gen();
}

const report: string[] = [];
function check(name: string, st: Stats, maxUlps = 1): void {
  report.push(`${name}: n=${st.n} max=${st.max} ulp${st.max ? ` (x=${st.worst})` : ""} equal=${((100 * st.equal) / st.n).toFixed(3)}%`);
  expect(st.max, `${name}: worst x = ${st.worst}`).toBeLessThanOrEqual(maxUlps);
}

describe("detmath exp", () => {
  it("special values exactly like Math.exp", () => {
    const NEXT_MAX = fromBits(0x40862e42fefa39f0n); // the double after the overflow threshold
    const specials = [NaN, 0, -0, Infinity, -Infinity, 709.782712893384, NEXT_MAX, -745.1332191019411, -745.1332191019412, 1e-300, -1e-300, 5e-324, -5e-324, 1e308, -1e308, 2 ** -28, -(2 ** -28), 2 ** -29];
    for (const x of specials) expect(ulps(exp(x), Math.exp(x)), `exp(${x})`).toBe(0);
    expect(exp(NaN)).toBeNaN();
    expect(exp(0)).toBe(1);
    expect(exp(-0)).toBe(1);
    expect(exp(Infinity)).toBe(Infinity);
    expect(Object.is(exp(-Infinity), 0)).toBe(true);
    expect(exp(709.782712893384)).toBe(1.7976931348622732e308);
    expect(exp(NEXT_MAX)).toBe(Infinity);
    expect(exp(-745.1332191019411)).toBe(5e-324);
    expect(Object.is(exp(-745.1332191019412), 0)).toBe(true);
  });

  it("within 1 ulp of correctly rounded values (mpmath, 200 bits)", () => {
    const golden: [number, number][] = [
      [-745.1332191019411, 5e-324], [-744.0, 1e-323], [-708.4, 2.217119081664265e-308], [-700.0, 9.85967654375977e-305],
      [-20.5, 1.2501528663867426e-9], [-1.0, 0.36787944117144233], [-0.34657359027997264, 0.7071067811865476],
      [-1e-10, 0.9999999999], [1e-10, 1.0000000001], [0.25, 1.2840254166877414], [0.5, 1.6487212707001282],
      [1.0, 2.718281828459045], [2.0, 7.38905609893065], [10.0, 22026.465794806718], [88.7, 3.325986980250579e38],
      [500.0, 1.4035922178528375e217], [709.0, 8.218407461554972e307], [709.782712893384, 1.7976931348622732e308],
    ];
    for (const [x, y] of golden) expect(ulps(exp(x), y), `exp(${x})`).toBeLessThanOrEqual(1);
  });

  it("≤ 1 ulp from Math.exp on ~5e5 points (whole range, |x| small, near thresholds, subnormal results)", () => {
    const u = uniformSource(1);
    const bits = bitsSource(0x9e3779b97f4a7c15n);
    check("exp uniform [-746, 710]", measure(exp, Math.exp, take(200000, () => -746 + 1456 * u())));
    check("exp uniform [-2, 2]", measure(exp, Math.exp, take(100000, () => -2 + 4 * u())));
    check("exp tiny |x| (2^-60..1)", measure(exp, Math.exp, take(50000, () => (u() - 0.5) * 2 ** (-60 * u()))));
    check("exp subnormal results [-745.2, -708]", measure(exp, Math.exp, take(50000, () => -745.2 + 37.2 * u())));
    check("exp near overflow [700, 709.79]", measure(exp, Math.exp, take(50000, () => 700 + 9.79 * u())));
    check("exp random bit patterns", measure(exp, Math.exp, take(50000, () => fromBits(bits()))));
  });
});

describe("detmath log", () => {
  it("special values exactly like Math.log", () => {
    const specials = [NaN, 0, -0, Infinity, -Infinity, -1, -5e-324, 1, 5e-324, 1e-310, 2.2250738585072014e-308, 1.7976931348623157e308, 2, 0.5, 4];
    for (const x of specials) expect(ulps(log(x), Math.log(x)), `log(${x})`).toBe(0);
    expect(log(0)).toBe(-Infinity);
    expect(log(-0)).toBe(-Infinity);
    expect(log(-1)).toBeNaN();
    expect(log(-Infinity)).toBeNaN();
    expect(log(NaN)).toBeNaN();
    expect(log(Infinity)).toBe(Infinity);
    expect(Object.is(log(1), 0)).toBe(true);
  });

  it("within 1 ulp of correctly rounded values (mpmath, 200 bits)", () => {
    const golden: [number, number][] = [
      [1e-300, -690.7755278982137], [5e-324, -744.4400719213812], [2.2250738585072014e-308, -708.3964185322641],
      [0.1, -2.3025850929940455], [0.5, -0.6931471805599453], [0.9999999999999999, -1.1102230246251565e-16],
      [1.0000000000000002, 2.2204460492503128e-16], [1.5, 0.4054651081081644], [2.0, 0.6931471805599453],
      [3.0, 1.0986122886681098], [10.0, 2.302585092994046], [1e10, 23.025850929940457],
      [1.7976931348623157e308, 709.782712893384], [0.7071067811865476, -0.3465735902799726],
      [1.4142135623730951, 0.3465735902799727], [123.456, 4.815884817283264], [1e-5, -11.512925464970229],
    ];
    for (const [x, y] of golden) expect(ulps(log(x), y), `log(${x})`).toBeLessThanOrEqual(1);
  });

  it("≤ 1 ulp from Math.log on ~5e5 points (all exponents, near 1, subnormals)", () => {
    const u = uniformSource(2);
    const bits = bitsSource(0x2545f4914f6cdd1dn);
    const positive = () => {
      const b = bits() & 0x7fffffffffffffffn;
      return b >= 0x7ff0000000000000n ? 1 : fromBits(b);
    };
    check("log random positive bit patterns", measure(log, Math.log, take(200000, positive)));
    check("log uniform [0.5, 2]", measure(log, Math.log, take(100000, () => 0.5 + 1.5 * u())));
    check("log near 1 (1 ± 2^-50..2^-1)", measure(log, Math.log, take(100000, () => 1 + (u() - 0.5) * 2 ** (-50 * u()))));
    check("log subnormals", measure(log, Math.log, take(50000, () => fromBits(bits() & 0x000fffffffffffffn) || 5e-324)));
    check("log random bit patterns (any sign)", measure(log, Math.log, take(50000, () => fromBits(bits()))));
  });
});

describe("detmath sin/cos", () => {
  it("special values and the golden sine-game arguments", () => {
    for (const x of [NaN, Infinity, -Infinity]) {
      expect(sin(x)).toBeNaN();
      expect(cos(x)).toBeNaN();
    }
    expect(Object.is(sin(-0), -0)).toBe(true);
    expect(Object.is(sin(0), 0)).toBe(true);
    expect(cos(0)).toBe(1);
    const golden: [number, number][] = [
      [1, 0.8414709848078965], [2, 0.9092974268256817], [3, 0.1411200080598672], [7, 0.6569865987187891],
      [22, -0.008851309290403876], [355, -3.014435335948845e-5], [1e5, 0.03574879797201651], [0.5, 0.479425538604203],
      [-4, 0.7568024953079282], [12, -0.5365729180004349], [33, 0.9999118601072672],
    ];
    for (const [x, y] of golden) expect(ulps(sin(x), y), `sin(${x})`).toBeLessThanOrEqual(1);
  });

  it("≤ 1 ulp from Math.sin/Math.cos for |x| ≤ 2^20·π/2", () => {
    const u = uniformSource(3);
    check("sin [-10, 10]", measure(sin, Math.sin, take(50000, () => 20 * (u() - 0.5))));
    check("cos [-10, 10]", measure(cos, Math.cos, take(50000, () => 20 * (u() - 0.5))));
    check("sin [-1.6e6, 1.6e6]", measure(sin, Math.sin, take(25000, () => 3.2e6 * (u() - 0.5))));
    check("cos [-1.6e6, 1.6e6]", measure(cos, Math.cos, take(25000, () => 3.2e6 * (u() - 0.5))));
    check("sin integers 0..1e5", measure(sin, Math.sin, take(25000, () => Math.floor(1e5 * u()))));
  });
});

describe("detmath vector helpers", () => {
  it("logSumExp equals log Σ e^a without overflow, and handles −∞ / empty / NaN", () => {
    const a = [0.3, -1.2, 2.5, 0.7];
    const direct = log(a.reduce((s, v) => s + exp(v), 0));
    expect(ulps(logSumExp(a), direct)).toBeLessThanOrEqual(2);
    const shifted = a.map((v) => v + 1000);
    expect(Math.abs(logSumExp(shifted) - (direct + 1000))).toBeLessThan(1e-12);
    expect(logSumExp([])).toBe(-Infinity);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(logSumExp([-Infinity, 0])).toBe(0);
    expect(logSumExp([1, NaN])).toBeNaN();
    expect(logSumExp([1, Infinity])).toBe(Infinity);
    expect(ulps(logSumExp([9, 1, 2, 3], 1, 3), logSumExp([1, 2]))).toBe(0);
  });

  it("softmaxInPlace gives probabilities ∝ e^a summing to 1 on the given range only", () => {
    const a = new Float64Array([5, 797.5, 800, 799, 796, 7]);
    softmaxInPlace(a, 1, 5);
    expect(a[0]).toBe(5);
    expect(a[5]).toBe(7);
    expect(Math.abs(a[1] + a[2] + a[3] + a[4] - 1)).toBeLessThan(1e-15);
    expect(Math.abs(a[3] / a[2] - Math.exp(-1))).toBeLessThan(1e-15);
    expect(a[1]).toBeGreaterThan(0);
  });

  it("prints the measured accuracy", () => {
    // (Runs last in this file: the figures collected above.)
    console.log(report.join("\n"));
    expect(report.length).toBeGreaterThan(10);
  });
});
