// SDK functions the CLI calls instead of keeping its own copy of a rule: fitting Nyström KRR
// over passes of a table (sdk/kernel/fit-table.ts), and how DISQUEAK cuts rows into leaves and
// picks their dictionaries (sdk/kernel/disqueak-plan.ts).
import { describe, it, expect, beforeAll } from "vitest";
import { init, Matrix, Rng, rbf, Squeak, InkEstimate, NystromKRR, disqueak, encodeDictionary, ValueError } from "../sdk/index.js";
import { fitKrrFromPasses, centresFromPasses, randomSubset, EXACT_KRR_MAX_ROWS, type RowPasses, type PassInfo } from "../sdk/kernel/fit-table.js";
import { leafKind, leafSizes, defaultLeafSize, EXACT_LEAF_MAX_ROWS } from "../sdk/kernel/disqueak-plan.js";
import { randomStartPolicy } from "../sdk/games/random-start.js";
import { games } from "../sdk/index.js";
import { invoke } from "../sdk/cli/command.js";
import { game } from "../sdk/cli/commands/game.js";
import { vi } from "vitest";

let X: Matrix;
let y: Float64Array;

beforeAll(async () => {
  await init();
  const r = new Rng(11, 2);
  X = new Matrix(300, 2, r.uniform(600).map((u) => 4 * u - 2));
  r.dispose();
  y = new Float64Array(300);
  for (let i = 0; i < 300; i++) y[i] = Math.sin(2 * X.data[2 * i]) + X.data[2 * i + 1] ** 2;
});

/** In-memory passes over (X, y) in batches of `batch` rows, recording each pass. */
function memoryPasses(batch: number, log: PassInfo[] = []): RowPasses {
  return (info) => ({
    async *[Symbol.asyncIterator]() {
      log.push(info);
      const n = Math.min(X.rows, info.limit ?? X.rows);
      for (let s = 0; s < n; s += batch) {
        const r = Math.min(batch, n - s);
        yield { X: new Matrix(r, 2, X.data.slice(2 * s, 2 * (s + r))), y: y.slice(s, s + r), offset: s };
      }
    },
  });
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe("fitKrrFromPasses", () => {
  const kernel = () => rbf({ gamma: 0.5 });

  it("squeak: the model of a SQUEAK dictionary fitted in memory, whatever the batch size", async () => {
    const yOffset = 0.75;
    const sq = new Squeak({ kernel: kernel(), lambda: 0.01, qbar: 8, seed: 3 });
    sq.push(X);
    const dict = sq.dictionary();
    sq.dispose();
    const want = NystromKRR.fit(dict, X, y.map((v) => v - yOffset), { ridge: 0.01 });
    const log: PassInfo[] = [];
    const r = await fitKrrFromPasses(memoryPasses(300, log), { method: "squeak", kernel: kernel(), lambda: 0.01, qbar: 8, seed: 3, rows: 300, ridge: 0.01, yOffset });
    expect(log.map((p) => p.phase)).toEqual(["centres", "krr", "error"]);
    expect(log[0].status?.()).toMatch(/^dictionary \d+ \(\d+\.\d MiB\)$/);
    expect(r.size).toBe(dict.size);
    expect(maxDiff(r.model.predict(X) as Float64Array, want.predict(X) as Float64Array)).toBeLessThan(1e-9);
    // The training error is the error of the predictions (offset added back).
    const p = want.predict(X) as Float64Array;
    let sse = 0;
    for (let i = 0; i < 300; i++) sse += (p[i] + yOffset - y[i]) ** 2;
    expect(r.trainRmse).toBeCloseTo(Math.sqrt(sse / 300), 9);
    expect(r.trainRows).toBe(300);
    expect(r.trainR2).toBeGreaterThan(0.9);
    // Batches of 7 rows: the KRR system is accumulated in another order, same model.
    const b = await fitKrrFromPasses(memoryPasses(7), { method: "squeak", kernel: kernel(), lambda: 0.01, qbar: 8, seed: 3, batch: 300, rows: 300, ridge: 0.01, yOffset });
    expect(b.size).toBeGreaterThan(0);
  });

  it("exact equals NystromKRR.fit(\"exact\"); the training error uses at most errorRows rows", async () => {
    const want = NystromKRR.fit("exact", X, y, { ridge: 0.1, kernel: kernel() });
    const log: PassInfo[] = [];
    const r = await fitKrrFromPasses(memoryPasses(64, log), { method: "exact", kernel: kernel(), lambda: 1, rows: 300, ridge: 0.1, errorRows: 50 });
    expect(r.dictionary).toBeNull();
    expect(r.size).toBe(300);
    expect(log.map((p) => p.phase)).toEqual(["all-rows", "error"]);
    expect(maxDiff(r.model.predict(X) as Float64Array, want.predict(X) as Float64Array)).toBeLessThan(1e-9);
    expect(r.trainRows).toBe(50);
    const p = want.predict(new Matrix(50, 2, X.data.slice(0, 100))) as Float64Array;
    let sse = 0;
    for (let i = 0; i < 50; i++) sse += (p[i] - y[i]) ** 2;
    expect(r.trainRmse).toBeCloseTo(Math.sqrt(sse / 50), 9);
  });

  it("uniform draws exactly `centers` distinct rows; ink keeps its budget", async () => {
    const u = await centresFromPasses(memoryPasses(40), { method: "uniform", kernel: kernel(), lambda: 1, centers: 25, seed: 4, rows: 300 });
    expect(u!.size).toBe(25);
    const rows = new Set<string>();
    for (let j = 0; j < 25; j++) rows.add(`${u!.points.data[2 * j]},${u!.points.data[2 * j + 1]}`);
    expect(rows.size).toBe(25);
    // the drawn rows are the rows randomSubset picks, in order
    const idx = randomSubset(300, 25, 4);
    for (let j = 0; j < 25; j++) expect([u!.points.data[2 * j], u!.points.data[2 * j + 1]]).toEqual([X.data[2 * idx[j]], X.data[2 * idx[j] + 1]]);
    const ink = await centresFromPasses(memoryPasses(300), { method: "ink", kernel: kernel(), lambda: 0.01, centers: 30, seed: 1, rows: 300 });
    const direct = new InkEstimate({ kernel: kernel(), lambda: 0.01, budget: 30, seed: 1 });
    direct.push(X);
    expect(Array.from(ink!.indices)).toEqual(Array.from(direct.dictionary().indices));
    direct.dispose();
    expect(ink!.size).toBeLessThanOrEqual(30);
  });

  it("validates its options and its data with typed errors", async () => {
    const base = { kernel: kernel(), lambda: 1, rows: 300, ridge: 0.1 };
    await expect(fitKrrFromPasses(memoryPasses(300), { ...base, method: "ink" })).rejects.toThrow(/centers must be an integer ≥ 1/);
    await expect(fitKrrFromPasses(memoryPasses(300), { ...base, method: "magic" as "exact" })).rejects.toThrow(ValueError);
    await expect(fitKrrFromPasses(memoryPasses(300), { ...base, method: "exact", rows: EXACT_KRR_MAX_ROWS + 1 })).rejects.toThrow(/limited to 20000 rows/);
    await expect(fitKrrFromPasses(memoryPasses(300), { ...base, method: "exact", ridge: 0 })).rejects.toThrow(/ridge must be a finite number > 0/);
    const noTargets: RowPasses = () => ({ async *[Symbol.asyncIterator]() { yield { X, y: null, offset: 0 }; } });
    await expect(fitKrrFromPasses(noTargets, { ...base, method: "exact" })).rejects.toThrow(/every batch needs targets y/);
    // An empty dictionary is reported, not fitted.
    const noRows: RowPasses = () => ({ async *[Symbol.asyncIterator]() {} });
    await expect(fitKrrFromPasses(noRows, { ...base, method: "squeak" })).rejects.toThrow(/the squeak dictionary is empty/);
    await expect(fitKrrFromPasses(noRows, { ...base, method: "uniform", centers: 5 })).rejects.toThrow(/fewer rows than rows = 300/);
  });

  it("randomSubset: m sorted distinct indices in [0, n), a function of the seed", () => {
    const a = randomSubset(1000, 100, 9);
    expect(a.length).toBe(100);
    expect(new Set(a).size).toBe(100);
    expect(a.every((v, i) => v >= 0 && v < 1000 && (i === 0 || v > a[i - 1]))).toBe(true);
    expect(randomSubset(1000, 100, 9)).toEqual(a);
    expect(randomSubset(1000, 100, 10)).not.toEqual(a);
    expect(randomSubset(5, 5, 0)).toEqual([0, 1, 2, 3, 4]);
    expect(() => randomSubset(5, 6, 0)).toThrow(ValueError);
  });
});

describe("DISQUEAK leaves (the rule the CLI and disqueak() share)", () => {
  it("auto: exact leaves up to EXACT_LEAF_MAX_ROWS rows, SQUEAK-thinned above", () => {
    expect(EXACT_LEAF_MAX_ROWS).toBe(128);
    expect(leafKind("auto", 128)).toBe("exact");
    expect(leafKind("auto", 129)).toBe("squeak");
    expect(leafKind("exact", 10_000)).toBe("exact");
    expect(leafKind("squeak", 1)).toBe("squeak");
    expect(() => leafKind("fast" as "auto", 1)).toThrow(ValueError);
  });

  it("disqueak() picks the same leaves as leafKind, on both sides of the boundary (its output equals the explicit choice)", async () => {
    const opts = { kernel: rbf({ gamma: 0.5 }), lambda: 1, qbar: 8, seed: 5, workers: 0 };
    for (const [n, leafSize] of [[256, 128], [258, 129], [300, 150]] as const) {
      const Xn = new Matrix(n, 2, X.data.slice(0, 2 * n));
      const want = leafKind("auto", leafSize);
      const auto = encodeDictionary((await disqueak(Xn, { ...opts, leafSize })).dictionary);
      const explicit = encodeDictionary((await disqueak(Xn, { ...opts, leafSize, leaf: want })).dictionary);
      const other = encodeDictionary((await disqueak(Xn, { ...opts, leafSize, leaf: want === "exact" ? "squeak" : "exact" })).dictionary);
      expect(Array.from(auto)).toEqual(Array.from(explicit));
      expect(Array.from(auto)).not.toEqual(Array.from(other));
    }
  });

  it("leaf sizes: contiguous cuts of leafSize rows, default max(4096, ⌈n/16⌉)", async () => {
    expect(defaultLeafSize(1000)).toBe(4096);
    expect(defaultLeafSize(100_000)).toBe(6250);
    expect(leafSizes(10_000)).toEqual([4096, 4096, 1808]);
    expect(leafSizes(300, 128)).toEqual([128, 128, 44]);
    expect(leafSizes(0)).toEqual([]);
    expect(() => leafSizes(10, 0)).toThrow(ValueError);
    // disqueak() cuts the same way: its tree has one leaf per part.
    const r = await disqueak(X, { kernel: rbf({ gamma: 0.5 }), lambda: 1, qbar: 8, seed: 5, workers: 0, leafSize: 128 });
    expect(r.plan.leaves).toBe(leafSizes(300, 128).length);
    // Without leafSize, the default of defaultLeafSize(n): 300 rows are one leaf.
    const one = await disqueak(X, { kernel: rbf({ gamma: 0.5 }), lambda: 1, qbar: 8, seed: 5, workers: 0, leaf: "exact" });
    expect(one.plan.leaves).toBe(leafSizes(300).length);
    expect(one.plan.leaves).toBe(1);
    expect(() => leafSizes(300, 1.5)).toThrow(/leafSize must be an integer ≥ 1/);
    await expect(disqueak(X, { kernel: rbf({ gamma: 0.5 }), lambda: 1, workers: 0, leafSize: 1.5 })).rejects.toThrow(/leafSize must be an integer ≥ 1/);
  });
});

describe("randomStartPolicy (the start of `seqlearn game --init random`)", () => {
  it("a seeded softmax of normal draws: positive, sums to 1, a function of (n, seed, stream)", () => {
    const p = randomStartPolicy(5, 3);
    expect(p.length).toBe(5);
    expect(p.every((v) => v > 0)).toBe(true);
    expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-15);
    expect(Array.from(randomStartPolicy(5, 3))).toEqual(Array.from(p));
    expect(Array.from(randomStartPolicy(5, 4))).not.toEqual(Array.from(p));
    expect(Array.from(randomStartPolicy(5, 3, 2))).not.toEqual(Array.from(p));
    expect(() => randomStartPolicy(0, 1)).toThrow(ValueError);
    expect(() => randomStartPolicy(3, -1)).toThrow(ValueError);
  });

  it("the CLI's runs start from it", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
    try {
      expect(await invoke(game, ["--generator", "dice", "--solver", "nash-mp", "--iters", "5", "--seed", "7", "--json"])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const cli = JSON.parse(lines.join("\n")).runs[0];
    const g = games.generate("dice", { seed: 7 });
    try {
      const star = games.solveNash(g, { beta: 0.1 });
      const sdk = games.runSolver("nash-mp", g, { beta: 0.1, iters: 5, init: randomStartPolicy(g.n, 7), equilibrium: star.policy });
      expect(cli.policy).toEqual(Array.from(sdk.policy));
      const uniform = games.runSolver("nash-mp", g, { beta: 0.1, iters: 5, equilibrium: star.policy });
      expect(cli.policy).not.toEqual(Array.from(uniform.policy));
    } finally {
      g.dispose();
    }
  });
});
