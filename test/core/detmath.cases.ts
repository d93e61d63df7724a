// Deterministic elementary functions (sdk/core/detmath.ts) in the cross-runtime core suite:
// correctly rounded references (mpmath, 200 bits) must be met to within one ulp in every
// runtime, special values exactly, and the digest of exp/log/sin/cos over a fixed input set
// must be byte-identical in Node, Deno, Chromium and WASI (unlike Math.exp/log/sin, whose
// last bit is engine-defined).
import { exp, log, sin, cos, logSumExp, softmaxInPlace } from "../../sdk/core/detmath.js";
import { ok, fingerprint } from "./assert.js";
import type { Case } from "./suite.js";

const F = new Float64Array(1);
const U = new Uint32Array(F.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Ulp distance for finite doubles of the same sign (enough for the references below). */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  if (!(a === a) || !(b === b) || a < 0 !== b < 0) return Infinity;
  F[0] = a;
  const ah = U[HI], al = U[1 - HI];
  F[0] = b;
  const bh = U[HI], bl = U[1 - HI];
  return Math.abs((ah - bh) * 4294967296 + (al - bl));
}

const EXP_REF: [number, number][] = [
  [-745.1332191019411, 5e-324], [-708.4, 2.217119081664265e-308], [-20.5, 1.2501528663867426e-9], [-1.0, 0.36787944117144233],
  [1e-10, 1.0000000001], [0.5, 1.6487212707001282], [1.0, 2.718281828459045], [10.0, 22026.465794806718],
  [500.0, 1.4035922178528375e217], [709.782712893384, 1.7976931348622732e308],
];
const LOG_REF: [number, number][] = [
  [5e-324, -744.4400719213812], [0.1, -2.3025850929940455], [0.9999999999999999, -1.1102230246251565e-16],
  [1.0000000000000002, 2.2204460492503128e-16], [1.5, 0.4054651081081644], [10.0, 2.302585092994046],
  [1.7976931348623157e308, 709.782712893384], [0.7071067811865476, -0.3465735902799726],
];
const SIN_REF: [number, number][] = [
  [1, 0.8414709848078965], [3, 0.1411200080598672], [22, -0.008851309290403876], [355, -3.014435335948845e-5], [1e5, 0.03574879797201651],
];

/** The fixed input set of the digest: an LCG over several ranges (plain integer arithmetic). */
function inputs(): { e: Float64Array; l: Float64Array; t: Float64Array } {
  let s = 20261128;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const N = 2048;
  const e = new Float64Array(N), l = new Float64Array(N), t = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    e[i] = i % 4 === 0 ? -746 + 1456 * u() : i % 4 === 1 ? 4 * (u() - 0.5) : i % 4 === 2 ? -745.2 + 40 * u() : (u() - 0.5) * 1e-6;
    // log: mantissa × 2^j over the whole exponent range, including subnormals and near 1
    const j = Math.floor(u() * 2098) - 1074;
    let p = 1;
    if (j >= 0) for (let k = 0; k < j; k++) p *= 2;
    else for (let k = 0; k < -j; k++) p *= 0.5;
    l[i] = i % 3 === 0 ? 1 + (u() - 0.5) * 1e-3 : (1 + u()) * p;
    t[i] = i % 2 === 0 ? 20 * (u() - 0.5) : Math.floor(u() * 1e5);
  }
  return { e, l, t };
}

export const cases: Case[] = [
  {
    name: "exp/log/sin within 1 ulp of correctly rounded references",
    fn: () => {
      for (const [x, y] of EXP_REF) ok(ulps(exp(x), y) <= 1, `exp(${x}) = ${exp(x)}, reference ${y}`);
      for (const [x, y] of LOG_REF) ok(ulps(log(x), y) <= 1, `log(${x}) = ${log(x)}, reference ${y}`);
      for (const [x, y] of SIN_REF) ok(ulps(sin(x), y) <= 1, `sin(${x}) = ${sin(x)}, reference ${y}`);
      ok(ulps(cos(2), -0.4161468365471424) <= 1, `cos(2) = ${cos(2)}`);
    },
  },
  {
    name: "special values: ±0, ±∞, NaN, overflow and underflow thresholds",
    fn: () => {
      ok(exp(0) === 1 && exp(-0) === 1, "exp(±0) = 1");
      ok(exp(Infinity) === Infinity && Object.is(exp(-Infinity), 0), "exp(±∞)");
      ok(exp(NaN) !== exp(NaN), "exp(NaN) = NaN");
      ok(exp(709.782712893384) === 1.7976931348622732e308 && exp(709.7827128933841) === Infinity, "exp overflow threshold");
      ok(exp(-745.1332191019411) === 5e-324 && Object.is(exp(-745.1332191019412), 0), "exp underflow threshold");
      ok(log(0) === -Infinity && log(-0) === -Infinity, "log(±0) = −∞");
      ok(log(-1) !== log(-1) && log(NaN) !== log(NaN) && log(-Infinity) !== log(-Infinity), "log of negatives / NaN is NaN");
      ok(log(Infinity) === Infinity && Object.is(log(1), 0), "log(+∞) = +∞, log(1) = +0");
      ok(Object.is(sin(-0), -0) && cos(0) === 1 && sin(Infinity) !== sin(Infinity), "sin/cos specials");
    },
  },
  {
    name: "log inverts exp and logSumExp/softmax agree",
    fn: () => {
      const { t } = inputs();
      for (let i = 0; i < 512; i++) {
        const x = t[2 * i] * 30; // even entries are uniform on [−10, 10): |x| ≤ 300
        const r = log(exp(x));
        ok(Math.abs(r - x) <= 4e-16 * Math.max(1, Math.abs(x)) * 2, `log(exp(${x})) = ${r}`);
      }
      const a = new Float64Array([0.5, -2, 3, 1000, 999]);
      const lse = logSumExp(a);
      const p = softmaxInPlace(Float64Array.from(a));
      let sum = 0;
      for (let i = 0; i < a.length; i++) {
        sum += p[i];
        ok(Math.abs(p[i] - exp(a[i] - lse)) <= 1e-12, `softmax[${i}] = exp(a − lse)`); // lse ≈ 1000 carries ~1e-13
      }
      ok(Math.abs(sum - 1) <= 1e-15, `softmax sums to 1 (${sum})`);
    },
  },
];

export function digest(): Record<string, string> {
  const { e, l, t } = inputs();
  return {
    exp: fingerprint(e.map(exp)),
    log: fingerprint(l.map(log)),
    sincos: fingerprint(t.map(sin), t.map(cos)),
  };
}
