// Bad input at the public boundary: each call must throw a typed seqlearn error whose message
// names the offending argument, never a TypeError/RangeError from deep inside, a Wasm trap or
// a silent NaN. One line per probe; the ones marked "was:" failed this way before.
import { describe, it, expect, beforeAll, vi } from "vitest";
import { readFileSync } from "node:fs";
import * as S from "../sdk/index.js";
import { sineGame } from "../sdk/games/generators.js";
import { nodeSeed } from "../sdk/random/streams.js";
import { output, Status } from "../sdk/engine/index.js";

beforeAll(async () => {
  await S.init();
});

type ErrorClass = typeof S.ShapeError | typeof S.ValueError;

/** fn must throw an instance of cls (not merely a SeqlearnError) with `word` in its message. */
function rejects(fn: () => unknown, cls: ErrorClass, word: string | RegExp): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected a throw").toBeInstanceOf(cls);
  expect((caught as Error).message).toMatch(word);
}

const I2 = [[2, 0], [0, 2]];
const X = [[0, 0], [1, 0], [0, 1], [1, 1]];
const bad = <T>(v: unknown) => v as T; // lets a probe pass what the types forbid

describe("linalg", () => {
  it("rejects NaN, wrong shapes and non-matrices", () => {
    rejects(() => S.linalg.gemm([[NaN, 1], [1, 1]], I2), S.ValueError, /A/);
    rejects(() => S.linalg.gemm([[1, 2, 3]], I2), S.ShapeError, /B|A/);
    rejects(() => S.linalg.gemm(bad("abc"), I2), S.ShapeError, /A/);
    rejects(() => S.linalg.gemm(bad(undefined), I2), S.ShapeError, /A/);
    rejects(() => S.linalg.gemm([[1, 2], [3]], I2), S.ShapeError, /A/);
    rejects(() => S.linalg.cholesky([[1, 2, 3], [1, 2, 3]]), S.ShapeError, /A/);
    rejects(() => S.linalg.solveSPD(I2, [1]), S.ShapeError, /B|length/);
    rejects(() => S.linalg.solveSPD(I2, [NaN, 1]), S.ValueError, /B/);
    rejects(() => S.linalg.cg(I2, [1, 1], { tol: -1 }), S.ValueError, /tol/);
    rejects(() => S.linalg.cg(I2, [1, 1], { maxIter: 1.5 }), S.ValueError, /maxIter/);
    rejects(() => S.linalg.eigh([[1, 2]]), S.ShapeError, /A/);
    rejects(() => S.linalg.eigh(I2, bad({ method: "foo" })), S.ValueError, /method/);
  });
});

describe("Matrix", () => {
  it("rejects bad sizes with a typed error", () => {
    rejects(() => new S.Matrix(-1, 2), S.ShapeError, /rows and cols/);
    rejects(() => new S.Matrix(1.5, 2), S.ShapeError, /rows and cols/);
    rejects(() => new S.Matrix(bad("2"), 2), S.ShapeError, /rows and cols/);
    rejects(() => new S.Matrix(2, 2, new Float64Array(3)), S.ShapeError, /data/);
    rejects(() => new S.Matrix(1e9, 1e9), S.ValueError, /1000000000×1000000000/); // was: RangeError
  });
});

describe("kernels", () => {
  it("rejects missing or invalid options", () => {
    rejects(() => S.rbf(bad(undefined)), S.ValueError, /rbf/); // was: TypeError
    rejects(() => S.laplacian(bad(undefined)), S.ValueError, /laplacian/); // was: TypeError
    rejects(() => S.matern12(bad(undefined)), S.ValueError, /matern12/); // was: TypeError
    rejects(() => S.matern32(bad(null)), S.ValueError, /matern32/); // was: TypeError
    rejects(() => S.matern52(bad(3)), S.ValueError, /matern52/); // was: TypeError
    rejects(() => S.rbf({ gamma: NaN }), S.ValueError, /gamma/);
    rejects(() => S.rbf({}), S.ValueError, /gamma/);
    rejects(() => S.polynomial({ degree: 0 }), S.ValueError, /degree/);
    rejects(() => S.kernelFromSpec(bad({ name: "foo" })), S.ValueError, /unknown kernel/);
    const k = S.rbf({ gamma: 1 });
    rejects(() => k.matrix([[NaN, 1]]), S.ValueError, /X/);
    rejects(() => k.matrix([[1, 1]], [[1, 2, 3]]), S.ShapeError, /Y/);
  });

  it("dictionary entry points reject bad arguments", () => {
    const k = S.rbf({ gamma: 1 });
    rejects(() => S.fullDictionary(X, bad(undefined)), S.ValueError, /kernel/); // was: TypeError
    rejects(() => S.exactRls(X, k, NaN), S.ValueError, /lambda/);
    rejects(() => S.exactRls([[NaN, 0]], k, 1), S.ValueError, /X/);
    rejects(() => S.uniformNystrom(X, -1, { kernel: k, seed: 1 }), S.ValueError, /m/);
    rejects(() => S.uniformNystrom(X, 2, { kernel: k, seed: bad("a") }), S.ValueError, /seed/);
    const D = S.fullDictionary(X, { kernel: k, lambda: 1 });
    rejects(() => S.estimateRls(D, [[1, 2, 3]]), S.ShapeError, /X/);
    rejects(() => S.estimateRls(D, [[NaN, 2]]), S.ValueError, /X/);
    rejects(() => new S.Squeak({ kernel: k, lambda: NaN, seed: 1 }), S.ValueError, /lambda/);
    rejects(() => new S.Squeak({ kernel: k, lambda: 1, eps: 5, seed: 1 }), S.ValueError, /eps/);
    rejects(() => S.NystromKRR.fit(D, X, [1], { ridge: 1 }), S.ShapeError, /y/);
    rejects(() => S.NystromKRR.fit(D, X, [1, 2, 3, 4], { ridge: NaN }), S.ValueError, /ridge/);
  });

  it("NystromKRR.fitStream rejects a source that is not iterable", async () => {
    const D = S.fullDictionary(X, { kernel: S.rbf({ gamma: 1 }), lambda: 1 });
    await expect(S.NystromKRR.fitStream(D, bad(null), { ridge: 1 })).rejects.toThrow(/source/); // was: TypeError
    await expect(S.NystromKRR.fitStream(D, bad(null), { ridge: 1 })).rejects.toBeInstanceOf(S.ValueError);
  });
});

describe("Rng", () => {
  it("rejects bad seeds and thin() arguments", () => {
    rejects(() => new S.Rng(NaN), S.ValueError, /seed/);
    rejects(() => new S.Rng(-1), S.ValueError, /seed/);
    const rng = new S.Rng(1);
    try {
      rejects(() => rng.thin(bad([1, 2]), new Float64Array(2)), S.ValueError, /counts/); // was: TypeError
      rejects(() => rng.thin(new Int32Array(2), bad(undefined)), S.ValueError, /probs/); // was: TypeError
      rejects(() => rng.thin(new Int32Array(2), new Float64Array([0.5, 2])), S.ValueError, /probs\[1\]/);
      rejects(() => rng.uniform(-1), S.ValueError, /n|length/);
    } finally {
      rng.dispose();
    }
  });
});

describe("games", () => {
  it("rejects missing options, bad games and oversized generators", () => {
    const g = S.games.bradleyTerry([0, 1, 2]);
    rejects(() => S.nashMD(g, bad(undefined)), S.ValueError, /options/); // was: TypeError
    rejects(() => S.onlineIpo(g, bad("x")), S.ValueError, /options/); // was: TypeError
    rejects(() => S.solveNash(g, bad(undefined)), S.ValueError, /options/); // was: TypeError
    rejects(() => S.nashMD(g, { beta: NaN, iters: 10 }), S.ValueError, /beta/);
    rejects(() => S.nashMD(g, { beta: 0.1, iters: -1 }), S.ValueError, /iters/);
    rejects(() => S.nashMD(g, { beta: 0.1, iters: 1e12 }), S.ValueError, /logEvery/); // was: an engine-memory message naming neither
    rejects(() => S.nashMD(bad(null), { beta: 0.1 }), S.ValueError, /game/);
    rejects(() => S.games.bradleyTerry([NaN, 1]), S.ValueError, /rewards/);
    rejects(() => sineGame(1e9), S.ValueError, /n = 1000000000/); // was: RangeError
    rejects(() => S.games.uTriangle(0), S.ValueError, /n/);
    rejects(() => S.mtpo(bad(null), g, bad({ beta: 1 })), S.ValueError, /env/); // was: TypeError
    rejects(() => new S.games.TabularPolicy(1e9, 1e9), S.ValueError, /too large/); // was: RangeError
    rejects(() => S.games.fitBradleyTerry(bad(undefined)), S.ValueError, /game/); // was: TypeError
    rejects(() => S.games.rlhfPolicy([1, 2], bad(undefined)), S.ValueError, /beta/); // was: TypeError
    const pol = new S.games.TabularPolicy(1, 3);
    const judge = () => 0.5;
    rejects(() => S.games.trainNashMD(pol, pol, judge, bad(undefined)), S.ValueError, /options/); // was: TypeError
    rejects(() => S.games.trainOnlineIpo(pol, pol, judge, bad(undefined)), S.ValueError, /options/); // was: TypeError
    rejects(() => S.games.treeEnvironment(bad(null)), S.ValueError, /options/); // was: TypeError
    const tree = S.games.treeEnvironment({ horizon: 1, actions: 2, outcomes: 2, seed: 1 });
    rejects(() => S.games.trajectoryKl(bad(null), tree.refPolicy, tree.refPolicy), S.ValueError, /env/); // was: TypeError
    rejects(() => S.games.trajectoryKl(tree.env, tree.refPolicy, [new Float64Array(1)]), S.ShapeError, /piPrime/); // was: TypeError
    rejects(() => S.mtpo(tree.env, tree.pref, bad(undefined)), S.ValueError, /options/); // was: TypeError
  });

  it("rejects unknown option keys, naming the closest valid one", () => {
    const g = S.games.rps();
    const pol = new S.games.TabularPolicy(1, 3);
    const judge = () => 0.5;
    const tree = S.games.treeEnvironment({ horizon: 1, actions: 2, outcomes: 2, seed: 1 });
    // [call, the misspelt key, the key it suggests]
    const cases: Array<[() => unknown, string, string]> = [
      [() => S.nashMD(g, bad({ beta: 0.1, iter: 10 })), "iter", "iters"],
      [() => S.nashMirrorProx(g, bad({ beta: 0.1, refPolicyy: [1 / 3, 1 / 3, 1 / 3] })), "refPolicyy", "refPolicy"],
      [() => S.onlineIpo(g, bad({ beta: 0.1, equilibrum: null })), "equilibrum", "equilibrium"],
      [() => S.ipoMD(g, bad({ beta: 0.1, mixtur: 0.2 })), "mixtur", "mixture"],
      [() => S.games.runSolver("ipo-md", g, bad({ beta: 0.1, mixtre: 0.2 })), "mixtre", "mixture"],
      [() => S.games.solveContextual("nash-mp", [g], bad({ beta: 0.1, weigths: [1] })), "weigths", "weights"],
      [() => S.solveNash(g, bad({ beta: 0.1, maxIters: 5 })), "maxIters", "maxIter"],
      [() => S.games.bestResponse(g, [1, 0, 0], bad({ bta: 0.1 })), "bta", "beta"],
      [() => S.games.gameMetrics(g, [1, 0, 0], bad({ beta: 0.1, equilibirum: [1, 0, 0] })), "equilibirum", "equilibrium"],
      [() => S.games.fitBradleyTerry(g, bad({ iter: 5 })), "iter", "iters"],
      [() => S.games.rlhfPolicy([0, 1, 2], bad({ beta: 0.1, refpolicy: [1 / 3, 1 / 3, 1 / 3] })), "refpolicy", "refPolicy"],
      [() => S.PreferenceGame.fromMatrix([[0.5]], bad({ toll: 1e-9 })), "toll", "tol"],
      [() => S.games.uTriangle(3, bad({ sed: 1 })), "sed", "seed"],
      [() => S.games.skewLogit(3, bad({ sigm: 1 })), "sigm", "sigma"],
      [() => S.games.lowRankSkew(10, 2, bad({ scal: 1 })), "scal", "scale"],
      [() => S.games.generate("rps", bad({ eps: 0.1, seeds: 1 })), "seeds", "seed"],
      [() => S.games.treeEnvironment(bad({ horizn: 2 })), "horizn", "horizon"],
      [() => S.mtpo(tree.env, tree.pref, bad({ beta: 0.1, varient: "mtpo" })), "varient", "variant"],
      [() => S.games.mtpoExploitability(tree.env, tree.pref, tree.refPolicy, bad({ beta: 0.1, refPolicies: tree.refPolicy })), "refPolicies", "refPolicy"],
      [() => S.games.trainNashMP(pol, pol, judge, bad({ beta: 0.1, outter: 2 })), "outter", "outer"],
      [() => S.games.trainNashMD(pol, pol, judge, bad({ beta: 0.1, mixure: 0.2 })), "mixure", "mixture"],
      [() => S.games.trainOnlineIpo(pol, pol, judge, bad({ beta: 0.1, bacth: 8 })), "bacth", "batch"],
      [() => pol.sample([0], bad(null), bad({ ref: pol, mixtrue: 0.5 })), "mixtrue", "mixture"],
    ];
    for (const [call, key, near] of cases) {
      let err: unknown = null;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err, key).toBeInstanceOf(S.ValueError);
      expect((err as Error).message, key).toContain(`unknown option "${key}"; did you mean "${near}"?`);
    }
    tree.pref.dispose();
    g.dispose();
  });
});

describe("parallel and io", () => {
  it("rejects non-integer seeds and missing plot options", () => {
    rejects(() => nodeSeed(NaN, 0), S.ValueError, /seed/); // was: RangeError from BigInt
    rejects(() => nodeSeed(1, 0.5), S.ValueError, /stream/); // was: RangeError from BigInt
    rejects(() => S.io.linePlot(bad(null)), S.ValueError, /linePlot/); // was: TypeError
    rejects(() => S.io.linePlot({ series: [] }), S.ValueError, /series/);
  });

  it("readTable rejects bad options before reading", async () => {
    const src = () => ["a,b,y\n1,2,3\n4,5,6\n"];
    await expect(S.readTable(src(), { target: "y", limit: -1 })).rejects.toThrow(/limit/); // was: silently 0 rows
    await expect(S.readTable(src(), { target: "y", limit: NaN })).rejects.toThrow(/limit/); // was: silently ignored
    await expect(S.readTable(src(), { target: "y", features: bad("a") })).rejects.toThrow(/features/); // was: TypeError
    await expect(S.readTable(src(), { target: "y", ignore: bad(5) })).rejects.toBeInstanceOf(S.ValueError); // was: TypeError
    await expect(S.readTable(src(), { target: "y", batchSize: 0 })).rejects.toThrow(/batchSize/);
    const t = await S.readTable(src(), { target: "y", limit: 1 });
    expect([t.X.rows, t.X.cols, ...t.X.data, ...t.y!]).toEqual([1, 2, 1, 2, 3]);
  });

  it("dictionary serialisation and the merge tree reject missing arguments", async () => {
    rejects(() => S.dictionaryToJSON(bad(null)), S.ValueError, /dictionary/); // was: TypeError
    await expect(S.runMergeTree(bad(null), bad<never>(undefined))).rejects.toThrow(/executor/); // was: TypeError
    await expect(S.runMergeTree(new S.InlinePool(), bad<never>(undefined))).rejects.toThrow(/options/); // was: TypeError
    await expect(S.disqueak([[1, 2]], bad(undefined))).rejects.toBeInstanceOf(S.ValueError);
    const params = S.kernel.disqueakParams({ kernel: S.rbf({ gamma: 1 }), lambda: 1 }, "exact");
    rejects(() => S.kernel.disqueakLeaf(bad(null), params, 1, 0), S.ValueError, /part/); // was: TypeError
    rejects(() => S.kernel.disqueakLeaf({ data: new Float64Array(3), n: 2, d: 2, start: 0 }, params, 1, 0), S.ShapeError, /part\.data/); // was: a silently short leaf
    rejects(() => S.kernel.disqueakLeaf({ data: new Float64Array(4), n: 2, d: 2, start: -1 }, params, 1, 0), S.ValueError, /part\.start/);
    const leaf = S.kernel.disqueakLeaf({ data: new Float64Array([0, 0, 1, 1]), n: 2, d: 2, start: 0 }, params, 1, 0);
    rejects(() => S.kernel.disqueakMerge(leaf, bad(null), params, 1, 1), S.ValueError, /\bb\b/); // was: TypeError
  });
});

// ---- issue 14: no hang on any finite input, the same checks for every format, memory --------
// Each probe below failed before the fix as its "was:" comment says (a hang, a silent NaN or 0,
// an untyped error, a misleading message); those marked "hang" never returned.

/** fn must throw an instance of cls (any SeqlearnError class) whose message matches `word`. */
function throwsClass(fn: () => unknown, cls: new (...a: never[]) => Error, word: string | RegExp): Error {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected a throw").toBeInstanceOf(cls);
  expect((caught as Error).message).toMatch(word);
  return caught as Error;
}

describe("large finite values never hang (issue 14)", () => {
  const k = S.rbf({ gamma: 1 });

  it("the binomial sampler refuses p outside [0, 1] and NaN instead of looping", () => {
    const eng = S.getEngine();
    const rng = new S.Rng(1);
    try {
      for (const p of [NaN, -0.5, 1.5, Infinity, -Infinity]) {
        // was: hang for NaN (BTRD's rejection loop never accepts); silently 0 or n otherwise
        expect(eng.call("rng_binomial", { s: rng.stateBuffer, n: 100, p }).ret, `p = ${p}`).toBe(-1);
        expect(eng.call("rng_fill_binomial", { s: rng.stateBuffer, out: output(1), count: 1, n: 100, p }).ret, `p = ${p}`).toBe(Status.BAD_ARG);
        expect(eng.call("rng_bernoulli", { s: rng.stateBuffer, p }).ret, `p = ${p}`).toBe(-1);
      }
      // Valid probabilities draw as before (a draw within [0, n]).
      const x = eng.call("rng_binomial", { s: rng.stateBuffer, n: 100, p: 0.3 }).ret;
      expect(x >= 0 && x <= 100 && Number.isInteger(x)).toBe(true);
    } finally {
      rng.dispose();
    }
  });

  it("Squeak rejects rows whose squared norm overflows, naming the row", () => {
    for (const big of [1e154, 1e200, 1e300, -1.7e308]) {
      const sq = new S.Squeak({ kernel: k, lambda: 1, seed: 1 });
      try {
        // was: hang in push() + dictionary() for |x| ≳ 1e154
        const e = throwsClass(() => sq.push([[0, 1], [1, 0], [big, 1], [big, 2]]).dictionary(), S.ValueError, /rows: row 2 is too large for a kernel/);
        expect(e.message).toMatch(/squared norm/);
      } finally {
        sq.dispose();
      }
    }
    const ok = new S.Squeak({ kernel: k, lambda: 1, seed: 1 });
    try {
      expect(ok.push([[1e150, 0], [0, 1], [1e150, 1]]).dictionary().size).toBeGreaterThan(0); // still fine
    } finally {
      ok.dispose();
    }
  });

  it("a kernel whose own values overflow stops the stream with NumericalError naming the point", () => {
    // Norms are small, but (γ·x·y + 1)^64 overflows: the engine reports the point instead of
    // sampling with p = NaN (was: hang).
    const poly = S.polynomial({ gamma: 1e10, degree: 64 });
    const sq = new S.Squeak({ kernel: poly, lambda: 1, seed: 1 });
    try {
      const e = throwsClass(() => sq.push([[0.001, 0], [10, 10], [3, 4]]).dictionary(), S.NumericalError, /point 1 \(0-based stream index\) is not a finite number/);
      expect((e as S.NumericalError).details.point).toBe(1);
      // The state is unusable afterwards, and says why.
      throwsClass(() => sq.push([[1, 1]]), S.EngineStateError, /stopped at an earlier error/);
    } finally {
      sq.dispose();
    }
    // The out-of-dictionary estimator and the kernel matrix say the same.
    const D = S.fullDictionary([[0.001, 0]], { kernel: poly, lambda: 1 });
    throwsClass(() => S.estimateRls(D, [[10, 10]]), S.NumericalError, /row 0/);
    throwsClass(() => poly.matrix([[10, 10]], [[3, 4]]), S.NumericalError, /k\(x_0, y_0\) is Infinity/); // was: Infinity in the result
  });

  it("rbf().matrix on huge rows and logDet of a bad factor raise typed errors", () => {
    throwsClass(() => k.matrix([[1e200, 0], [1e200, 1]]), S.ValueError, /X: row 0 is too large/); // was: NaN
    throwsClass(() => k.matrix([[0, 0]], [[1e200, 1]]), S.ValueError, /Y: row 0 is too large/); // was: NaN
    throwsClass(() => k.diag([[1, 1], [1e300, 0]]), S.ValueError, /X: row 1/);
    throwsClass(() => S.linalg.logDet([[-1, 0], [0, 2]]), S.ValueError, /L\[0, 0\] is -1/); // was: NaN
    throwsClass(() => S.linalg.logDet([[1, 0], [0, 0]]), S.ValueError, /L\[1, 1\] is 0/); // was: -Infinity
    expect(S.linalg.logDet([[2, 0], [1, 3]])).toBeCloseTo(2 * Math.log(6), 12);
  });

  it("KRR with targets beyond double precision fails instead of returning non-finite coefficients", () => {
    const X = [[0], [0.001], [0.002], [0.003]];
    const D = S.fullDictionary(X, { kernel: k, lambda: 1e-3 });
    // was: α = Infinity/NaN silently (K_Dn·y overflows)
    throwsClass(() => S.NystromKRR.fit(D, X, [1.7e308, 1.7e308, 1.7e308, 1.7e308], { ridge: 1e-9 }), S.NumericalError, /targets are too large/);
  });
});

describe("every matrix reader rejects null and strings (issue 14)", () => {
  it("null or a string in a matrix, a vector or a pushed row is a ValueError naming the entry", () => {
    throwsClass(() => S.linalg.matmul(bad([[null, 1]]), [[1], [1]]), S.ValueError, /A\[0, 0\] is null/); // was: read as 0
    throwsClass(() => S.linalg.matmul([[1, 2]], bad([[1], ["0.5"]])), S.ValueError, /B\[1, 0\] is the string "0.5"/); // was: read as 0.5
    throwsClass(() => S.linalg.gemm(bad({ rows: 1, cols: 2, data: [1, null] }), [[1], [1]]), S.ValueError, /A\[0, 1\] is null/); // was: 0
    throwsClass(() => S.Matrix.fromRows(bad([[1, null]])), S.ValueError, /\[0, 1\] is null/); // was: 0
    const sq = new S.Squeak({ kernel: S.rbf({ gamma: 1 }), lambda: 1 });
    try {
      throwsClass(() => sq.push(bad([[null, 1]])), S.ValueError, /rows\[0, 0\] is null/); // was: 0
      throwsClass(() => sq.push(bad([1, null]), 2), S.ValueError, /rows\[0, 1\] is null/); // was: 0
      expect(sq.seen).toBe(0);
    } finally {
      sq.dispose();
    }
    throwsClass(() => S.linalg.solveSPD([[2, 0], [0, 2]], bad([1, null])), S.ValueError, /B\[1\] is null/); // was: 0
  });

  it("a model with null in its coefficients or centres is refused", () => {
    const X = [[0, 0], [1, 0], [0, 1], [1, 1]];
    const m = S.NystromKRR.fit(S.fullDictionary(X, { kernel: S.rbf({ gamma: 1 }), lambda: 1 }), X, [1, 2, 3, 4], { ridge: 1 });
    const json = m.toJSON() as { alpha: { data: (number | null)[] }; centres: { data: (number | null)[] } };
    const a = structuredClone(json);
    a.alpha.data[2] = null;
    throwsClass(() => S.NystromKRR.fromJSON(a), S.ValueError, /alpha\[2, 0\] is null/); // was: α₂ = 0
    const c = structuredClone(json);
    c.centres.data[1] = null;
    throwsClass(() => S.NystromKRR.fromJSON(c), S.ValueError, /centres\[0, 1\] is null/); // was: 0
  });
});

describe("one validation routine for JSON and binary dictionaries (issue 14)", () => {
  const X = [[0, 0], [1, 0], [0, 1], [1, 1], [2, 2]];
  const dict = () => {
    const sq = new S.Squeak({ kernel: S.rbf({ gamma: 0.5 }), lambda: 0.1, qbar: 4, seed: 3 });
    try {
      return sq.push(X).dictionary();
    } finally {
      sq.dispose();
    }
  };

  it("what the binary decoder rejects, the JSON reader rejects, naming the same field", () => {
    const d = dict();
    expect(d.size).toBeGreaterThan(2);
    const base = S.dictionaryToJSON(d) as Record<string, any>;
    const cases: Array<[string, (j: Record<string, any>) => void, RegExp]> = [
      ["copies 1.7", (j) => (j.copies[0] = 1.7), /copies\[0\] is 1\.7; expected an integer/], // was: read as 1
      ["copies 2^32 + 1", (j) => (j.copies[1] = 2 ** 32 + 1), /copies\[1\] is 4294967297/], // was: read as 1
      ["copies above q̄", (j) => (j.copies[0] = 5), /copies\[0\] is 5; expected an integer in \[1, q̄ = 4\]/], // was: accepted
      ["null point", (j) => (j.points.data[3] = null), /points\[1, 1\] is null/], // was: read as 0
      ["duplicate index", (j) => (j.indices[1] = j.indices[0]), /indices\[1\] is \d+; expected distinct/], // was: accepted
      ["negative index", (j) => (j.indices[0] = -1), /indices\[0\] is -1; expected a non-negative/], // was: accepted
      ["tau above 1", (j) => (j.tau[0] = 1.5), /tau\[0\] is 1\.5/], // was: accepted
      ["n below m", (j) => (j.params.n = 1), /params\.n is 1; expected an integer ≥ m/], // was: accepted
      ["eps 1", (j) => (j.params.eps = 1), /params\.eps is 1/], // was: accepted
    ];
    for (const [what, patch, msg] of cases) {
      const j = structuredClone(base);
      patch(j);
      throwsClass(() => S.dictionaryFromJSON(j), S.ValueError, msg);
    }
    // The binary decoder's own checks of the same values (through the encoder, which runs them).
    const bin = S.decodeDictionary(S.encodeDictionary(d));
    expect(bin.size).toBe(d.size);
    throwsClass(() => S.encodeDictionary({ ...d, copies: Int32Array.from(d.copies, (c, i) => (i === 0 ? 5 : c)) }), S.ValueError, /copies\[0\] is 5; expected an integer in \[1, q̄ = 4\]/);
    throwsClass(() => S.encodeDictionary({ ...d, indices: Float64Array.from(d.indices, (x, i) => (i === 1 ? d.indices[0] : x)) }), S.ValueError, /indices\[1\] .*distinct/);
    // And a valid JSON form reads back as the same dictionary.
    const back = S.dictionaryFromJSON(structuredClone(base));
    expect(Array.from(S.encodeDictionary(back))).toEqual(Array.from(S.encodeDictionary(d)));
  });
});

describe("limits before allocation, messages, symmetric merges (issue 14)", () => {
  const params = () => S.kernel.disqueakParams({ kernel: S.rbf({ gamma: 1 }), lambda: 1, qbar: 2 }, "exact");
  const leafOf = (n: number, start: number) => S.kernel.disqueakLeaf({ data: Float64Array.from({ length: n }, (_, i) => Math.sin(i + start)), n, d: 1, start }, params(), 1, 0);

  it("a merge beyond the capacity fails before it allocates, naming the limit", () => {
    const eng = S.getEngine();
    const a = leafOf(5000, 0), b = leafOf(4000, 5000);
    const live = eng.liveBytes;
    // was: a WasmBuffer-length message from deep inside, after allocating
    throwsClass(() => S.kernel.disqueakMerge(a, b, params(), 1, 1), S.ValueError, /5000 and 4000 points: a merge holds at most 8192/);
    const rng = new S.Rng(1);
    throwsClass(() => S.dictUpdate({ points: new S.Matrix(9000, 1), pTilde: new Float64Array(9000).fill(1), copies: new Int32Array(9000).fill(1) }, { kernel: S.rbf({ gamma: 1 }), lambda: 1, eps: 0.5, qbar: 1, rng }), S.ValueError, /9000 candidates; a dictionary update holds at most 8192/);
    rng.dispose();
    expect(eng.liveBytes).toBe(live);
  });

  it("merging is symmetric: merge(b, a) gives the bytes of merge(a, b)", () => {
    const a = leafOf(40, 0), b = leafOf(30, 40);
    const ab = S.encodeDictionary(S.kernel.disqueakMerge(a, b, params(), 1, 7));
    const ba = S.encodeDictionary(S.kernel.disqueakMerge(b, a, params(), 1, 7)); // was: different bytes
    expect(Array.from(ba)).toEqual(Array.from(ab));
  });

  it("a string given for a number is shown as a string; long text is cut", () => {
    // was: "eps must be in the open interval (0, 1), got 0.5" for the string "0.5"
    throwsClass(() => new S.Squeak({ kernel: S.rbf({ gamma: 1 }), lambda: 1, eps: bad("0.5") }), S.ValueError, /eps must be in the open interval \(0, 1\), got the string "0\.5"/);
    throwsClass(() => S.kernel.disqueakParams({ kernel: S.rbf({ gamma: 1 }), lambda: 1, eps: bad("0.5") }, "exact"), S.ValueError, /got the string "0\.5"/);
    throwsClass(() => S.rbf({ gamma: bad("2") }), S.ValueError, /gamma must be a finite number > 0, got the string "2"/);
    const long = "x".repeat(65536);
    const e = throwsClass(() => S.kernelFromSpec(bad({ name: "rbf", gamma: long })), S.ValueError, /65536 characters/);
    expect(e.message.length).toBeLessThan(300); // was: the whole 64 KiB echoed
  });

  it("tables: a JSON array file and an over-long field get short, accurate messages", async () => {
    // was: "Unexpected end of JSON input"
    await expect(S.readTable(['[\n  {"x": 1, "y": 2},\n  {"x": 3, "y": 4}\n]\n'], { format: "jsonl" })).rejects.toThrow(/JSON array.*one object per line/);
    await expect(S.readTable(['[{"x": 1, "y": 2}]\n'], { format: "jsonl" })).rejects.toThrow(/JSON array/);
    const wide = "c".repeat(65536);
    let msg = "";
    try {
      await S.readTable([`${wide},y\n1,2\n`], { target: "z" });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/no target column "z"; the columns are "c+… \(65536 characters\)", "y"/);
    expect(msg.length).toBeLessThan(300); // was: the 64 KiB column name echoed whole
    try {
      await S.readTable([`x,y\n${wide},2\n`], { target: "y" });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/expected a number, got "c+… \(65536 characters\)"/);
    expect(msg.length).toBeLessThan(300);
  });
});

describe("engine memory (issue 14)", () => {
  it("an undisposed Squeak holds its dictionary, not a streaming workspace", () => {
    const eng = S.getEngine();
    const before = eng.liveBytes;
    const sq = new S.Squeak({ kernel: S.rbf({ gamma: 1 }), lambda: 1, seed: 1 });
    sq.push([[0, 0], [1, 0], [0, 1]]);
    const held = eng.liveBytes - before;
    // was: ≈ 330 KB per idle object (the 256-row workspace lived as long as the object): 10,000
    // undisposed Squeaks took 3.2 GiB
    expect(held).toBeLessThan(64 * 1024);
    expect(held).toBe(sq.memoryBytes);
    sq.dispose();
    expect(eng.liveBytes).toBe(before);
  });

  it("a memory limit raises EngineMemoryError with advice, and the engine keeps working", () => {
    const bytes = readFileSync(new URL("../build/seqlearn.wasm", import.meta.url));
    const eng = S.initSync(bytes);
    try {
      eng.memoryLimit = 4 * 2 ** 20;
      const kept: S.Squeak[] = [];
      let err: unknown = null;
      try {
        for (let i = 0; i < 1000; i++) {
          const sq = new S.Squeak({ kernel: S.rbf({ gamma: 1 }), lambda: 1, seed: i });
          kept.push(sq.push([[i, 0], [0, i], [1, 1]]));
        }
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(S.EngineMemoryError); // was: unbounded growth (3.2 GiB, then GC thrash)
      expect((err as Error).message).toMatch(/dispose\(\).*`using`.*memoryLimit/s);
      expect((err as S.EngineMemoryError).limit).toBe(4 * 2 ** 20);
      expect(eng.liveBytes).toBeLessThanOrEqual(4 * 2 ** 20);
      for (const sq of kept) sq.dispose();
      expect(eng.liveBytes).toBe(0);
      const sq = new S.Squeak({ kernel: S.rbf({ gamma: 1 }), lambda: 1 });
      expect(sq.push([[1, 2]]).dictionary().size).toBe(1);
      sq.dispose();
      expect(() => (eng.memoryLimit = 10)).toThrow(S.ValueError);
    } finally {
      S.initSync(bytes); // a fresh default engine, without the limit, for the next tests
    }
  });

  it("memory is given back after large transient work", () => {
    const bytes = readFileSync(new URL("../build/seqlearn.wasm", import.meta.url));
    const eng = S.initSync(bytes);
    const initial = eng.memoryBytes;
    const r1 = new S.Rng(1);
    const X = new S.Matrix(2000, 2, r1.uniform(4000));
    r1.dispose();
    const K = S.rbf({ gamma: 0.1 }).matrix(X); // 32 MB out
    expect(K.rows).toBe(2000);
    expect(eng.memoryBytes).toBeGreaterThan(initial + 30e6); // was: kept for the life of the process
    const rng = new S.Rng(2); // a live block: nothing can be released
    expect(eng.releaseMemory()).toBe(0);
    rng.dispose();
    expect(eng.releaseMemory()).toBeGreaterThan(30e6);
    expect(eng.memoryBytes).toBe(initial);
    expect(S.rbf({ gamma: 0.1 }).matrix([[0, 0], [1, 1]]).get(0, 1)).toBeCloseTo(Math.exp(-0.2), 14); // and works on
  });

  it("a dictionary growing without a budget warns once; disqueak's progress reports sizes", async () => {
    const warnings: string[] = [];
    const spy = vi.spyOn(process, "emitWarning").mockImplementation(((m: string) => void warnings.push(String(m))) as never);
    const old = S.kernel.Squeak.growthWarningSize;
    S.kernel.Squeak.growthWarningSize = 8;
    try {
      const sq = new S.Squeak({ kernel: S.rbf({ gamma: 10 }), lambda: 1e-3, qbar: 4, seed: 1 });
      for (let i = 0; i < 4; i++) sq.push(Array.from({ length: 100 }, (_, j) => [Math.sin(100 * i + j), Math.cos(7 * (100 * i + j))]));
      sq.dictionary();
      expect(sq.size).toBeGreaterThanOrEqual(8);
      sq.dispose();
      const growth = warnings.filter((w) => /dictionary has grown to \d+ points \(.* MiB of engine memory\)/.test(w));
      expect(growth.length).toBe(1); // was: no word, however large it grew
      expect(growth[0]).toMatch(/maxDictionary/);
      const bounded = new S.Squeak({ kernel: S.rbf({ gamma: 10 }), lambda: 1e-3, qbar: 4, seed: 1, maxDictionary: 50 });
      bounded.push(Array.from({ length: 400 }, (_, j) => [Math.sin(j), Math.cos(7 * j)])).dictionary();
      bounded.dispose();
      expect(warnings.filter((w) => /has grown/.test(w)).length).toBe(1); // a budget the user set: no warning
    } finally {
      S.kernel.Squeak.growthWarningSize = old;
      spy.mockRestore();
    }
    const events: S.kernel.DisqueakProgress[] = [];
    const X = Array.from({ length: 120 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
    const r = await S.disqueak(X, { kernel: S.rbf({ gamma: 1 }), lambda: 1, qbar: 4, leafSize: 40, workers: 0, onProgress: (e) => events.push(e) });
    expect(events.length).toBe(5);
    const root = events.find((e) => e.node === r.plan.root)!;
    expect(root.size).toBe(r.dictionary.size); // was: no size in the events
    expect(root.bytes).toBe(S.encodeDictionary(r.dictionary).length);
  });
});
