// Bad input at the public boundary: each call must throw a typed seqlearn error whose message
// names the offending argument, never a TypeError/RangeError from deep inside, a Wasm trap or
// a silent NaN. One line per probe; the ones marked "was:" failed this way before.
import { describe, it, expect, beforeAll } from "vitest";
import * as S from "../sdk/index.js";
import { sineGame } from "../sdk/games/generators.js";
import { nodeSeed } from "../sdk/random/streams.js";

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
