// The kernel domain's names and file versions (docs/conventions.md): the leverage-score ridge is
// `lambda` (formerly `gamma`), the KRR ridge `ridge` (formerly `mu`); the old names still work
// for one release with exactly one warning and give identical results; giving both is an error;
// a typo names the closest valid key. Old dictionary and KRR JSON files load into the same
// objects. Objects that own engine memory raise EngineStateError once disposed.
import { describe, it, expect, beforeAll, afterEach, vi, type MockInstance } from "vitest";
import * as S from "../sdk/index.js";
import { centresFromPasses, fitKrrFromPasses, type RowPasses } from "../sdk/kernel/fit-table.js";
import { coherentMixture } from "./kernel/data.js";

let X: S.Matrix;
let y: Float64Array;
const kernel = () => S.rbf({ gamma: 0.5 });
let warn: MockInstance;

beforeAll(async () => {
  await S.init();
  X = coherentMixture(240, 2, 3, 8, 4);
  y = Float64Array.from({ length: 240 }, (_, i) => Math.sin(X.data[2 * i]) + 0.5 * X.data[2 * i + 1]);
});

afterEach(() => warn?.mockRestore());

function spyWarnings(): MockInstance {
  warn = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
  return warn;
}

const bytesOf = (d: S.RlsDictionary) => Array.from(S.encodeDictionary(d));
const squeakDict = (o: object) => {
  const sq = new S.Squeak({ kernel: kernel(), qbar: 6, seed: 4, ...o });
  try {
    return bytesOf(sq.push(X).dictionary());
  } finally {
    sq.dispose();
  }
};
const passes: RowPasses = () => ({
  async *[Symbol.asyncIterator]() {
    yield { X, y, offset: 0 };
  },
});

/** One renamed option of one call: run it with the new name, then with the old one. */
interface Rename {
  call: string;
  oldKey: string;
  newKey: string;
  value: number;
  run: (opts: Record<string, unknown>) => unknown;
  typo: string;
}

const RENAMES: Rename[] = [
  { call: "Squeak", oldKey: "gamma", newKey: "lambda", value: 0.2, typo: "lamda", run: (o) => squeakDict(o) },
  {
    call: "InkEstimate", oldKey: "gamma", newKey: "lambda", value: 0.2, typo: "lambd",
    run: (o) => {
      const ink = new S.InkEstimate({ kernel: kernel(), budget: 30, seed: 2, ...o });
      try {
        return bytesOf(ink.push(X).dictionary());
      } finally {
        ink.dispose();
      }
    },
  },
  { call: "uniformNystrom", oldKey: "gamma", newKey: "lambda", value: 0.3, typo: "lamba", run: (o) => bytesOf(S.uniformNystrom(X, 20, { kernel: kernel(), seed: 1, ...o })) },
  { call: "fullDictionary", oldKey: "gamma", newKey: "lambda", value: 0.3, typo: "Lambda", run: (o) => bytesOf(S.fullDictionary(X, { kernel: kernel(), ...o })) },
  {
    call: "dictUpdate", oldKey: "gamma", newKey: "lambda", value: 0.5, typo: "lambada",
    run: (o) => {
      const rng = new S.Rng(3, 1);
      try {
        const m = 60;
        const cand = { points: new S.Matrix(m, 2, X.data.slice(0, 2 * m)), pTilde: new Float64Array(m).fill(1), copies: new Int32Array(m).fill(5) };
        return bytesOf(S.dictUpdate(cand, { kernel: kernel(), eps: 0.5, qbar: 5, rng, ...o } as S.DictUpdateOptions).dictionary);
      } finally {
        rng.dispose();
      }
    },
  },
  {
    call: "disqueak", oldKey: "gamma", newKey: "lambda", value: 1, typo: "lamdba",
    run: async (o) => bytesOf((await S.disqueak(X, { kernel: kernel(), qbar: 6, seed: 5, leafSize: 60, workers: 0, ...o })).dictionary),
  },
  { call: "disqueakParams", oldKey: "gamma", newKey: "lambda", value: 1, typo: "lambdaa", run: (o) => S.kernel.disqueakParams({ kernel: kernel(), ...o }, "exact") },
  {
    call: "NystromKRR.fit", oldKey: "mu", newKey: "ridge", value: 0.05, typo: "rigde",
    run: (o) => Array.from(S.NystromKRR.fit({ uniform: 25, seed: 2 }, X, y, { kernel: kernel(), ...o }).predict(X) as Float64Array),
  },
  {
    call: "NystromKRR.fit centres", oldKey: "gamma", newKey: "lambda", value: 0.01, typo: "lamda",
    run: (o) => Array.from(S.NystromKRR.fit({ uniform: 25, seed: 2, ...o } as S.Centres, X, y, { kernel: kernel(), ridge: 0.05 }).predict(X) as Float64Array),
  },
  {
    call: "NystromKRR.accumulator", oldKey: "gamma", newKey: "lambda", value: 0, typo: "lamda",
    run: (o) => {
      const d = S.fullDictionary(new S.Matrix(30, 2, X.data.slice(0, 60)), { kernel: kernel(), lambda: 0.5 });
      return Array.from(S.NystromKRR.accumulator(d, { ridge: 0.1, ...o }).add(X, y).finish().predict(X) as Float64Array);
    },
  },
  {
    call: "NystromKRR.fitStream", oldKey: "mu", newKey: "ridge", value: 0.1, typo: "ridg",
    run: async (o) => {
      const d = S.fullDictionary(new S.Matrix(30, 2, X.data.slice(0, 60)), { kernel: kernel(), lambda: 0.5 });
      return Array.from((await S.NystromKRR.fitStream(d, [{ X, y }], o as S.KrrOptions)).predict(X) as Float64Array);
    },
  },
  {
    call: "centresFromPasses", oldKey: "gamma", newKey: "lambda", value: 0.2, typo: "lamda",
    run: async (o) => bytesOf((await centresFromPasses(passes, { method: "squeak", kernel: kernel(), qbar: 6, seed: 4, rows: 240, ...o }))!),
  },
  {
    call: "fitKrrFromPasses", oldKey: "mu", newKey: "ridge", value: 0.05, typo: "rdge",
    run: async (o) => Array.from((await fitKrrFromPasses(passes, { method: "squeak", kernel: kernel(), lambda: 0.2, qbar: 6, seed: 4, rows: 240, ...o })).model.predict(X) as Float64Array),
  },
];

describe("renamed options: lambda (was gamma) and ridge (was mu)", () => {
  for (const r of RENAMES) {
    it(`${r.call}: ${r.newKey} works; ${r.oldKey} gives the same result with one warning; both, or a typo, is a ValueError`, async () => {
      const w = spyWarnings();
      const fresh = await r.run({ [r.newKey]: r.value });
      expect(w).not.toHaveBeenCalled();
      const old = await r.run({ [r.oldKey]: r.value });
      expect(old).toEqual(fresh);
      expect(w).toHaveBeenCalledTimes(1);
      expect(String(w.mock.calls[0][0])).toContain(`the option "${r.oldKey}" is deprecated`);
      expect(String(w.mock.calls[0][0])).toContain(`use "${r.newKey}"`);
      expect(w.mock.calls[0][1]).toMatchObject({ type: "DeprecationWarning" });
      await r.run({ [r.oldKey]: r.value }); // once per process
      expect(w).toHaveBeenCalledTimes(1);
      // A different value under the new name gives a different result (the option is read).
      if (r.call !== "disqueakParams") expect(await r.run({ [r.newKey]: r.value * 2 + 0.01 })).not.toEqual(fresh);
      const both = (async () => r.run({ [r.newKey]: r.value, [r.oldKey]: r.value }))();
      await expect(both).rejects.toThrow(S.ValueError);
      await expect((async () => r.run({ [r.newKey]: r.value, [r.oldKey]: r.value }))()).rejects.toThrow(`give "${r.newKey}" or its deprecated name "${r.oldKey}", not both`);
      await expect((async () => r.run({ [r.typo]: r.value }))()).rejects.toThrow(new RegExp(`unknown option "${r.typo}"; did you mean "${r.newKey}"\\?`));
      expect(w).toHaveBeenCalledTimes(1);
    });
  }

  it("the renamed fields still read under their old names, with one warning each, and are not written", () => {
    const w = spyWarnings();
    const sq = new S.Squeak({ kernel: kernel(), lambda: 0.25, qbar: 6, seed: 1 });
    const d = sq.push(X).dictionary();
    const ink = new S.InkEstimate({ kernel: kernel(), lambda: 0.75, budget: 20 });
    const model = S.NystromKRR.fit(d, X, y, { ridge: 0.125 });
    expect(w).not.toHaveBeenCalled();
    expect([sq.lambda, ink.lambda, d.params.lambda, model.ridge, model.lambda]).toEqual([0.25, 0.75, 0.25, 0.125, 0.25]);
    expect(sq.gamma).toBe(0.25);
    expect(ink.gamma).toBe(0.75);
    expect(model.mu).toBe(0.125);
    expect(model.gamma).toBe(0.25);
    expect(d.params.gamma).toBe(0.25);
    expect(w).toHaveBeenCalledTimes(5);
    expect(sq.gamma + (d.params.gamma ?? 0)).toBe(0.5);
    expect(w).toHaveBeenCalledTimes(5);
    // The old name of the params is neither enumerable nor written to files.
    expect(Object.keys(d.params)).not.toContain("gamma");
    expect(JSON.stringify(S.dictionaryToJSON(d))).not.toContain('"gamma":0.25');
    expect(JSON.stringify(model.toJSON())).not.toMatch(/"mu"|"gamma":0\.25/);
    sq.dispose();
    ink.dispose();
  });

  it("unknown option keys of every kernel and linear-algebra call name the closest valid key", () => {
    const A = new S.Matrix(3, 3, Float64Array.of(4, 1, 0, 1, 3, 1, 0, 1, 2));
    const d = S.fullDictionary(X, { kernel: kernel(), lambda: 0.5 });
    const cases: [() => unknown, RegExp][] = [
      [() => S.rbf({ gama: 0.5 } as never), /rbf: unknown option "gama"; did you mean "gamma"\?/],
      [() => S.laplacian({ gamma: 1, sigma: 1 } as never), /laplacian: unknown option "sigma"/],
      [() => S.polynomial({ degre: 2 } as never), /did you mean "degree"\?/],
      [() => S.matern32({ lengthscale: 1 } as never), /did you mean "lengthScale"\?/],
      [() => S.kernelFromSpec({ name: "rbf", gamma: 1, degre: 2 } as never), /kernel spec: unknown option "degre"; did you mean "degree"\?/],
      [() => new S.Squeak({ kernel: kernel(), lambda: 1, qbr: 4 } as never), /Squeak: unknown option "qbr"; did you mean "qbar"\?/],
      [() => new S.Squeak({ kernel: kernel(), lambda: 1, maxDictonary: 4 } as never), /did you mean "maxDictionary"\?/],
      [() => new S.InkEstimate({ kernel: kernel(), lambda: 1, budget: 9, bugdet: 4 } as never), /did you mean "budget"\?/],
      [() => S.estimateRls(d, X, { esp: 0.1 } as never), /estimateRls: unknown option "esp"; did you mean "eps"\?/],
      [() => new S.kernel.RlsEstimator(d, { chunck: 4 } as never), /did you mean "chunk"\?/],
      [() => new S.NystromFeatures(d, { mdoe: "plain" } as never), /did you mean "mode"\?/],
      [() => S.nystromError(d, X, { subet: 10 } as never), /nystromError: unknown option "subet"; did you mean "subset"\?/],
      [() => new S.NystromFeatures(d).approximationError(X, { iter: 3 } as never), /did you mean "iters"\?/],
      [() => S.NystromKRR.fit(d, X, y, { ridge: 1, chunks: 8 } as never), /did you mean "chunk"\?/],
      [() => S.linalg.gemm(A, A, { transa: true } as never), /gemm: unknown option "transa"; did you mean "transA"\?/],
      [() => S.linalg.cholesky(A, { jiter: 1e-10 } as never), /cholesky: unknown option "jiter"; did you mean "jitter"\?/],
      [() => S.linalg.solveSPD(A, [1, 2, 3], { maxtries: 2 } as never), /did you mean "maxTries"\?/],
      [() => S.linalg.solveTriangular(A, [1, 2, 3], { transposed: true } as never), /did you mean "transpose"\?/],
      [() => S.linalg.cg(A, [1, 2, 3], { maxiter: 5 } as never), /cg: unknown option "maxiter"; did you mean "maxIter"\?/],
      [() => S.linalg.eigh(A, { vector: false } as never), /eigh: unknown option "vector"; did you mean "vectors"\?/],
      [() => S.linalg.eigvalsh(A, { symmetrytol: 1 } as never), /did you mean "symmetryTol"\?/],
    ];
    for (const [f, re] of cases) {
      expect(f).toThrow(S.ValueError);
      expect(f).toThrow(re);
    }
    // Known keys still pass, and the checked options are the ones used.
    expect(S.linalg.gemm(A, A, { transA: true, alpha: 2 }).data[0]).toBe(2 * (16 + 1));
  });

  it("disqueak() and disqueakParams() refuse unknown keys, and disqueakParams accepts a whole disqueak() options object", async () => {
    await expect(S.disqueak(X, { kernel: kernel(), lambda: 1, workers: 0, leafsize: 40 } as never)).rejects.toThrow(/disqueak: unknown option "leafsize"; did you mean "leafSize"\?/);
    const opts = { kernel: kernel(), lambda: 1, qbar: 6, seed: 5, leafSize: 60, workers: 0 };
    expect(S.kernel.disqueakParams(opts, "exact")).toEqual(S.kernel.disqueakParams({ kernel: kernel(), lambda: 1, qbar: 6 }, "exact"));
    expect(() => S.kernel.disqueakParams({ kernel: kernel(), lambda: 1, prefacter: "proof" } as never, "exact")).toThrow(/did you mean "prefactor"\?/);
    expect(() => S.kernel.disqueakParams({ kernel: kernel(), lambda: 1 }, "fast" as never)).toThrow(/leaf must be one of "exact", "squeak"/);
  });

  it("dictUpdate's third argument (the params of the result) is checked too, and may be a dictionary's params", () => {
    const d = S.fullDictionary(new S.Matrix(20, 2, X.data.slice(0, 40)), { kernel: kernel(), lambda: 0.5 });
    const rng = new S.Rng(5);
    try {
      const cand = { points: d.points, pTilde: d.pTilde, copies: d.copies };
      const opts = { kernel: kernel(), lambda: 0.5, eps: 0.5, qbar: 1, rng };
      expect(S.dictUpdate(cand, opts, { ...d.params, method: "mine", seed: 9 }).dictionary.params).toMatchObject({ method: "mine", seed: 9, n: 20 });
      expect(() => S.dictUpdate(cand, opts, { methd: "x" } as never)).toThrow(/dictUpdate params: unknown option "methd"; did you mean "method"\?/);
    } finally {
      rng.dispose();
    }
  });

  it("error messages use the new names", () => {
    expect(() => new S.Squeak({ kernel: kernel(), lambda: 0 })).toThrow(/^lambda must be a finite number > 0, got 0$/);
    expect(() => new S.Squeak({ kernel: kernel() })).toThrow(/lambda must be a finite number > 0, got undefined/);
    expect(() => S.exactRls(X, kernel(), -1)).toThrow(/^lambda must be/);
    expect(() => S.NystromKRR.fit(S.fullDictionary(X, { kernel: kernel(), lambda: 1 }), X, y, {} as S.KrrOptions)).toThrow(/^ridge must be a finite number > 0/);
    expect(() => S.estimateRls(S.fullDictionary(X, { kernel: kernel() }), X)).toThrow(/needs a dictionary with lambda > 0/);
    expect(() => new S.NystromFeatures(S.uniformNystrom(X, 10, { kernel: kernel() }))).toThrow(/lambda > 0.*pass lambda to uniformNystrom/);
    expect(() => new S.InkEstimate({ kernel: kernel(), budget: 5 })).toThrow(/^lambda must be/);
    expect(() => S.dictUpdate({ points: [[0]], pTilde: [1], copies: [1] }, { kernel: kernel(), eps: 0.5, qbar: 1, rng: null as never })).toThrow(/^lambda must be/);
  });
});

describe("old file versions", () => {
  // A dictionary as the first release's dictionaryToJSON wrote it (seqlearn.dictionary/1: the
  // leverage-score ridge is params.gamma).
  const DICT_V1 = `{"format":"seqlearn.dictionary/1","params":{"method":"squeak","seed":7,"n":5,"maxDictionary":null,
    "kernel":{"name":"rbf","gamma":0.5},"gamma":0.25,"eps":0.5,"qbar":4,"c":1,"cPref":1,"scale":1,"deff":1.5,"d":2},
    "indices":[1,3],"points":{"rows":2,"cols":2,"data":[0.5,-1,2,0.25]},"pTilde":[1,0.5],"copies":[4,1],"tau":[0.75,0.5]}`;

  it("a seqlearn.dictionary/1 file loads with params.lambda, the same dictionary the current format gives", () => {
    const d1 = S.dictionaryFromJSON(JSON.parse(DICT_V1));
    expect(d1.params.lambda).toBe(0.25);
    expect(Object.keys(d1.params)).not.toContain("gamma");
    expect(Array.from(d1.weights)).toEqual([4 / (4 * 1), 1 / (4 * 0.5)]);
    const v2 = S.dictionaryToJSON(d1) as { format: string; params: Record<string, unknown> };
    expect(v2.format).toBe("seqlearn.dictionary/2");
    expect(v2.params.lambda).toBe(0.25);
    expect("gamma" in v2.params).toBe(false);
    // The keys keep their order, the ridge taking the old key's place.
    expect(Object.keys(v2.params)).toEqual(["method", "seed", "n", "maxDictionary", "kernel", "lambda", "eps", "qbar", "c", "cPref", "scale", "deff", "d"]);
    const d2 = S.dictionaryFromJSON(JSON.parse(JSON.stringify(v2)));
    expect(d2).toEqual(d1);
    expect(bytesOf(d2)).toEqual(bytesOf(d1));
    // The binary file is unchanged: the ridge sits at byte 72 whatever the SDK calls it.
    const bytes = S.encodeDictionary(d1);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getFloat64(72, true)).toBe(0.25);
    expect(S.decodeDictionary(bytes).params.lambda).toBe(0.25);
    expect(S.kernel.inspectDictionaryFile(bytes).params.lambda).toBe(0.25);
  });

  it("encodeDictionary reads a hand-made record whose params still name the ridge gamma (one warning), into the same bytes", () => {
    const d = S.dictionaryFromJSON(JSON.parse(DICT_V1));
    const { lambda, ...rest } = { ...d.params };
    const w = spyWarnings();
    const old = S.encodeDictionary({ ...d, params: { ...rest, gamma: lambda } } as unknown as S.RlsDictionary);
    expect(w).toHaveBeenCalledTimes(1);
    expect(String(w.mock.calls[0][0])).toMatch(/params.gamma is deprecated/);
    expect(Array.from(old)).toEqual(bytesOf(d));
    expect(() => S.encodeDictionary({ ...d, params: { ...rest } } as unknown as S.RlsDictionary)).toThrow(/lambda is undefined; expected a finite number ≥ 0/);
  });

  it("a seqlearn.dictionary/1 file of a real run loads into the dictionary that run made", () => {
    const sq = new S.Squeak({ kernel: kernel(), lambda: 0.2, qbar: 6, seed: 4 });
    const d = sq.push(X).dictionary();
    sq.dispose();
    const v2 = JSON.parse(JSON.stringify(S.dictionaryToJSON(d)));
    const { lambda, ...rest } = v2.params;
    const v1 = { ...v2, format: "seqlearn.dictionary/1", params: { ...rest, gamma: lambda } };
    const back = S.dictionaryFromJSON(v1);
    expect(bytesOf(back)).toEqual(bytesOf(d));
    expect(Array.from(S.estimateRls(back, X))).toEqual(Array.from(S.estimateRls(d, X)));
  });

  it("dictionary JSON: newer versions, unknown tags and a missing ridge are refused", () => {
    const v2 = JSON.parse(JSON.stringify(S.dictionaryToJSON(S.dictionaryFromJSON(JSON.parse(DICT_V1)))));
    expect(() => S.dictionaryFromJSON({ ...v2, format: "seqlearn.dictionary/3" })).toThrow(/newer than this seqlearn reads \(≤ 2\); upgrade/);
    expect(() => S.dictionaryFromJSON({ ...v2, format: "seqlearn.dict/2" })).toThrow(/unknown format "seqlearn.dict\/2"; expected "seqlearn.dictionary\/2"/);
    expect(() => S.dictionaryFromJSON({ ...v2, format: "seqlearn.dictionary/0" })).toThrow(/unknown format/);
    // Each version reads its own name of the ridge, not the other's.
    const { lambda, ...rest } = v2.params;
    expect(() => S.dictionaryFromJSON({ ...v2, params: { ...rest, gamma: lambda } })).toThrow(/params.lambda \(the leverage-score ridge\) must be a finite number ≥ 0, got undefined/);
    expect(() => S.dictionaryFromJSON({ ...v2, format: "seqlearn.dictionary/1" })).toThrow(/params.gamma \(the leverage-score ridge\)/);
    expect(() => S.dictionaryFromJSON({ ...v2, params: { ...v2.params, lambda: -1 } })).toThrow(S.ValueError);
  });

  // A model as the first release's NystromKRR.toJSON wrote it (seqlearn.krr/1: mu and gamma).
  const KRR_V1 = { format: "seqlearn.krr/1", kernel: { name: "rbf", gamma: 0.5 }, mu: 0.1, gamma: 0.01, method: "squeak", n: 40, vector: true,
    centres: { rows: 2, cols: 2, data: [0, 0, 1, 1] }, alpha: { rows: 2, cols: 1, data: [0.5, -0.25] } };

  it("a seqlearn.krr/1 model loads with ridge and lambda and predicts as before", () => {
    const m1 = S.NystromKRR.fromJSON(KRR_V1);
    expect([m1.ridge, m1.lambda, m1.method, m1.n]).toEqual([0.1, 0.01, "squeak", 40]);
    const p = m1.predict([[0.5, 0.5], [2, 0]]) as Float64Array;
    const k = (a: number[], b: number[]) => Math.exp(-0.5 * ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2));
    expect(p[0]).toBeCloseTo(0.5 * k([0.5, 0.5], [0, 0]) - 0.25 * k([0.5, 0.5], [1, 1]), 14);
    const v2 = m1.toJSON();
    expect(v2).toMatchObject({ format: "seqlearn.krr/2", ridge: 0.1, lambda: 0.01 });
    expect("mu" in v2 || "gamma" in v2).toBe(false);
    const m2 = S.NystromKRR.fromJSON(JSON.parse(JSON.stringify(v2)));
    expect(Array.from(m2.predict([[0.5, 0.5], [2, 0]]) as Float64Array)).toEqual(Array.from(p));
    // A fitted model round-trips through the old format to the same predictions.
    const fit = S.NystromKRR.fit({ uniform: 20, seed: 3, lambda: 0.02 }, X, y, { kernel: kernel(), ridge: 0.05 });
    const { ridge, lambda, ...rest } = JSON.parse(JSON.stringify(fit.toJSON()));
    const old = S.NystromKRR.fromJSON({ ...rest, format: "seqlearn.krr/1", mu: ridge, gamma: lambda });
    expect(Array.from(old.predict(X) as Float64Array)).toEqual(Array.from(fit.predict(X) as Float64Array));
    expect([old.ridge, old.lambda]).toEqual([0.05, 0.02]);
  });

  it("KRR JSON: newer versions, unknown tags and each version's missing ridge are refused", () => {
    expect(() => S.NystromKRR.fromJSON({ ...KRR_V1, format: "seqlearn.krr/3" })).toThrow(/newer than this seqlearn reads \(≤ 2\); upgrade/);
    expect(() => S.NystromKRR.fromJSON({ ...KRR_V1, format: "krr" })).toThrow(/unknown format "krr"; expected "seqlearn.krr\/2"/);
    expect(() => S.NystromKRR.fromJSON({ ...KRR_V1, format: "seqlearn.krr/2" })).toThrow(/^ridge must be a finite number > 0, got undefined/);
    const { mu: _m, ...noMu } = KRR_V1;
    expect(() => S.NystromKRR.fromJSON(noMu)).toThrow(/^mu must be a finite number > 0/);
    expect(() => S.NystromKRR.fromJSON({ ...KRR_V1, gamma: -1 })).toThrow(/^gamma must be a finite number ≥ 0/);
  });
});

describe("use after dispose", () => {
  const isStateError = (f: () => unknown, what: string) => {
    expect(f).toThrow(S.EngineStateError);
    expect(f).toThrow(new RegExp(`this ${what} was disposed`));
  };

  it("Squeak and InkEstimate: disposed, then every use is an EngineStateError; dispose twice is harmless", async () => {
    for (const make of [
      () => new S.Squeak({ kernel: kernel(), lambda: 0.5, seed: 1 }),
      () => new S.InkEstimate({ kernel: kernel(), lambda: 0.5, budget: 10 }),
    ]) {
      const o = make();
      const what = o instanceof S.Squeak ? "Squeak" : "InkEstimate";
      o.push(X);
      expect(o.disposed).toBe(false);
      o[Symbol.dispose]();
      expect(o.disposed).toBe(true);
      o.dispose();
      isStateError(() => o.push(X), what);
      isStateError(() => o.dictionary(), what);
      await expect(o.consume([X])).rejects.toThrow(S.EngineStateError);
      expect(o.memoryBytes).toBe(0);
    }
  });

  it("RlsEstimator, KrrAccumulator and Rng raise EngineStateError once disposed", () => {
    const d = S.fullDictionary(new S.Matrix(30, 2, X.data.slice(0, 60)), { kernel: kernel(), lambda: 0.5 });
    const est = new S.kernel.RlsEstimator(d);
    est.estimate(X);
    est.dispose();
    expect(est.disposed).toBe(true);
    isStateError(() => est.estimate(X), "RlsEstimator");

    const acc = S.NystromKRR.accumulator(d, { ridge: 0.1 });
    acc.add(X, y);
    acc.dispose();
    isStateError(() => acc.add(X, y), "KrrAccumulator");
    isStateError(() => acc.finish(), "KrrAccumulator");
    // finish() frees the memory too: later calls say so, with the same error type.
    const acc2 = S.NystromKRR.accumulator(d, { ridge: 0.1 }).add(X, y);
    acc2.finish();
    expect(acc2.disposed).toBe(true);
    expect(() => acc2.add(X, y)).toThrow(S.EngineStateError);
    expect(() => acc2.finish()).toThrow(/finish\(\) was already called/);

    const rng = new S.Rng(1, 2);
    const first = rng.uniform(3);
    rng.dispose();
    rng.dispose();
    expect(rng.disposed).toBe(true);
    isStateError(() => rng.uniform(3), "Rng");
    isStateError(() => rng.below(10), "Rng");
    isStateError(() => rng.getState(), "Rng");
    isStateError(() => rng.thin(new Int32Array(1), new Float64Array(1)), "Rng");
    // A disposed generator cannot be handed to the engine either.
    isStateError(() => S.dictUpdate({ points: d.points, pTilde: d.pTilde, copies: d.copies }, { kernel: kernel(), lambda: 0.5, eps: 0.5, qbar: 1, rng }), "Rng");
    const again = new S.Rng(1, 2);
    expect(Array.from(again.uniform(3))).toEqual(Array.from(first));
    again.dispose();
  });
});
