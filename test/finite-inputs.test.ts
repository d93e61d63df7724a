// Property: random finite inputs over the whole double range never hang and never escape as
// anything but a typed seqlearn error. Each call is bounded by construction, not by a timer:
// the engine's samplers refuse a probability that is NaN or outside [0, 1] (so the rejection
// loop of BTRD never runs on NaN), a non-finite leverage-score estimate stops a stream with
// NumericalError naming the point, every other loop of the engine has a fixed bound, and rows
// whose squared norm would overflow the kernels' ‖x‖² + ‖y‖² − 2·x·y are rejected where they
// enter the SDK. So every call below returns; the test checks how: a finite result, or a
// SeqlearnError (ValueError, NumericalError, ...) — never a TypeError, a RangeError, a trap,
// or a silent NaN. Before the fix, rows with |x| ≳ 1e154 made the SQUEAK calls loop forever.
import { describe, it, expect, beforeAll } from "vitest";
import * as S from "../sdk/index.js";

beforeAll(async () => {
  await S.init();
});

/** A seeded stream of 32-bit words (an LCG: plain integer arithmetic, the same everywhere). */
function words(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** Finite doubles over the whole range: uniform random bits, with the all-ones exponent
 *  (Infinity, NaN) redrawn. Every magnitude from 5e-324 to 1.8e308 and both signs occur. */
function anyFinite(next: () => number): number {
  const v = new DataView(new ArrayBuffer(8));
  for (;;) {
    v.setUint32(0, next());
    v.setUint32(4, next());
    const x = v.getFloat64(0);
    if (Number.isFinite(x)) return x;
  }
}

/** A value for a data matrix: from the whole range, near the kernels' limit, or ordinary.
 *  `wild` is the share (out of 16) drawn from the whole range. */
function entry(next: () => number, wild = 6): number {
  const r = next() % 16;
  if (r < wild) return anyFinite(next);
  if (r < wild + 2) return (next() / 2 ** 32 - 0.5) * 2e153; // around the largest rows the kernels take
  if (r < wild + 4) return (next() / 2 ** 32 - 0.5) * 1e-300; // tiny
  return (next() / 2 ** 32 - 0.5) * 4;
}

/** A positive parameter from the whole range (finite, > 0). */
function positiveAny(next: () => number): number {
  for (;;) {
    const x = Math.abs(anyFinite(next));
    if (x > 0) return x;
  }
}

function kernelOf(next: () => number): S.Kernel {
  const which = next() % 7;
  const g = next() % 2 ? positiveAny(next) : 10 ** ((next() % 13) - 6);
  switch (which) {
    case 0: return S.rbf({ gamma: g });
    case 1: return S.laplacian({ gamma: g });
    case 2: return S.linear();
    case 3: return S.polynomial({ gamma: g, degree: 1 + (next() % 64), coef0: anyFinite(next) });
    case 4: return S.matern12({ lengthScale: g });
    case 5: return S.matern32({ lengthScale: g });
    default: return S.matern52({ lengthScale: g });
  }
}

/** Run fn: it must return (then `check` the result) or throw a SeqlearnError. */
function bounded<T>(what: string, fn: () => T, check: (r: T) => void, tally: Record<string, number>): void {
  let r: T;
  try {
    r = fn();
  } catch (e) {
    expect(e, `${what}: ${(e as Error)?.stack ?? e}`).toBeInstanceOf(S.SeqlearnError);
    tally[(e as Error).name] = (tally[(e as Error).name] ?? 0) + 1;
    return;
  }
  check(r);
  tally.ok = (tally.ok ?? 0) + 1;
}

const finiteArray = (a: ArrayLike<number>, what: string) => {
  for (let i = 0; i < a.length; i++) expect(Number.isFinite(a[i]), `${what}[${i}] = ${a[i]}`).toBe(true);
};

describe("random finite inputs over the whole double range", () => {
  it("SQUEAK, the estimator, kernel matrices, DISQUEAK merges and KRR return or throw a typed error", async () => {
    const tally: Record<string, number> = {};
    for (let trial = 0; trial < 150; trial++) {
      const next = words(1000 + trial);
      const n = 1 + (next() % 24), d = 1 + (next() % 3);
      const X = new S.Matrix(n, d);
      // A third of the trials draw from the whole range, the others mostly ordinary values
      // with a few extreme ones, so that both the refusals and the arithmetic are exercised.
      const wild = trial % 3 === 0 ? 8 : trial % 3 === 1 ? 1 : 0;
      for (let i = 0; i < n * d; i++) X.data[i] = entry(next, wild);
      const kernel = kernelOf(next);
      const lambda = next() % 2 ? positiveAny(next) : 10 ** ((next() % 9) - 4);
      const qbar = 1 + (next() % 12);
      const where = `trial ${trial} (${kernel}, λ = ${lambda}, n = ${n}, d = ${d})`;

      bounded(`${where}: Squeak`, () => {
        const sq = new S.Squeak({ kernel, lambda, qbar, seed: trial, batch: 1 + (next() % 8) });
        try {
          return sq.push(X).dictionary();
        } finally {
          sq.dispose();
        }
      }, (dict) => {
        finiteArray(dict.weights, `${where}: weights`);
        finiteArray(dict.pTilde, `${where}: pTilde`);
      }, tally);

      bounded(`${where}: kernel matrix`, () => kernel.matrix(X), (K) => finiteArray(K.data, `${where}: K`), tally);

      const D = S.fullDictionary(X, { kernel, lambda });
      bounded(`${where}: estimateRls`, () => S.estimateRls(D, X), (t) => finiteArray(t, `${where}: τ`), tally);

      const p = S.kernel.disqueakParams({ kernel, lambda, qbar, estimator: next() % 2 ? "squeak" : "disqueak" }, "exact");
      const half = Math.max(1, n >> 1);
      bounded(`${where}: disqueakMerge`, () => {
        const a = S.kernel.disqueakLeaf({ data: X.data.slice(0, half * d), n: half, d, start: 0 }, p, trial, 0);
        const b = S.kernel.disqueakLeaf({ data: X.data.slice(half * d), n: n - half, d, start: half }, p, trial, 1);
        return S.kernel.disqueakMerge(a, b, p, trial, 2);
      }, (dict) => finiteArray(dict.weights, `${where}: merged weights`), tally);

      const y = Float64Array.from({ length: n }, () => entry(next, wild));
      bounded(`${where}: NystromKRR`, () => S.NystromKRR.fit({ uniform: Math.max(1, n >> 1), seed: trial }, X, y, { ridge: positiveAny(next), kernel }), (m) => {
        finiteArray(m.alpha.data, `${where}: α`);
      }, tally);
    }
    // The probes reached every outcome: plenty of accepted inputs and each kind of refusal.
    expect(tally.ok).toBeGreaterThan(100);
    expect(tally.ValueError).toBeGreaterThan(50);
    expect(tally.NumericalError ?? 0).toBeGreaterThan(0);
  });

  it("the sampler returns for any probability and count, valid or not", () => {
    const rng = new S.Rng(3);
    const eng = S.getEngine();
    const next = words(77);
    try {
      for (let i = 0; i < 2000; i++) {
        const p = i % 3 === 0 ? anyFinite(next) : i % 3 === 1 ? next() / 2 ** 32 : [NaN, Infinity, -Infinity, -0, 1, 0.5][i % 6];
        const n = i % 2 ? next() % 10000 : Math.abs(anyFinite(next));
        const k = eng.call("rng_binomial", { s: rng.stateBuffer, n, p }).ret;
        if (p >= 0 && p <= 1 && n <= 2 ** 53) expect(k >= 0 && k <= n, `Binomial(${n}, ${p}) = ${k}`).toBe(true);
        else expect(k, `Binomial(${n}, ${p})`).toBe(-1);
      }
    } finally {
      rng.dispose();
    }
  });
});
