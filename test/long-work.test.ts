// Long work: the async variants (Squeak.pushAsync / consume, NystromKRR.fitAsync / fitStream,
// exactRlsAsync, games.runSolverAsync) give exactly the results of their one-call versions,
// report progress between chunks, yield to the event loop, and stop with the signal's reason.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Matrix, Squeak, InkEstimate, NystromKRR, exactRls, exactRlsAsync, rbf, uniformNystrom, encodeDictionary, games, type WorkProgress, type DictionaryProgress } from "../sdk/index.js";

beforeAll(async () => {
  await init();
});

function data(n: number, d = 2, seed = 7): Matrix {
  const X = new Matrix(n, d);
  let s = seed;
  for (let i = 0; i < n * d; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    X.data[i] = (s / 4294967296) * 6 - 3;
  }
  return X;
}
const bytes = (a: Float64Array | Uint8Array): number[] => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
/** A signal that fires after the k-th progress report, and the progress callback. */
const abortAfter = (k: number): { signal: AbortSignal; onProgress: (p: WorkProgress) => void } => {
  const ac = new AbortController();
  let seen = 0;
  return { signal: ac.signal, onProgress: () => { if (++seen === k) ac.abort(new Error("stop here")); } };
};

describe("Squeak and InkEstimate", () => {
  const kernel = rbf({ gamma: 0.5 });
  const X = data(1500);

  it("pushAsync gives push()'s dictionary bit for bit, with progress by rows", async () => {
    const a = new Squeak({ kernel, lambda: 1, qbar: 4, seed: 3 });
    a.push(X);
    const b = new Squeak({ kernel, lambda: 1, qbar: 4, seed: 3 });
    const seen: DictionaryProgress[] = [];
    const sizes: number[] = [];
    await b.pushAsync(X, { chunkRows: 400, onProgress: (p) => { seen.push(p); sizes.push(b.size); } });
    // Each event carries the dictionary as it was then: its size and its engine memory.
    expect(seen.map((p) => p.dictionarySize)).toEqual(sizes);
    expect(seen.every((p) => p.memoryBytes > 0)).toBe(true);
    expect(seen.at(-1)!.memoryBytes).toBe(b.memoryBytes);
    expect(bytes(encodeDictionary(b.dictionary()))).toEqual(bytes(encodeDictionary(a.dictionary())));
    expect(seen.map((p) => p.done)).toEqual([400, 800, 1200, 1500]);
    expect(seen.every((p) => p.total === 1500 && p.unit === "rows" && p.elapsedMs >= 0 && p.etaMs !== null)).toBe(true);
    expect(seen.at(-1)!.etaMs).toBe(0);
    a.dispose();
    b.dispose();
  });

  it("pushAsync stops with the signal's reason; the rows before stay pushed", async () => {
    const s = new InkEstimate({ kernel, lambda: 1, budget: 40, seed: 1 });
    const stop = abortAfter(2);
    await expect(s.pushAsync(X, { chunkRows: 300, ...stop })).rejects.toThrow("stop here");
    expect(s.seen).toBe(600);
    s.dispose();
    // an already-aborted signal stops before any work
    const t = new Squeak({ kernel, lambda: 1, seed: 1 });
    await expect(t.pushAsync(X, { signal: AbortSignal.abort(new Error("early")) })).rejects.toThrow("early");
    expect(t.seen).toBe(0);
    t.dispose();
  });

  it("consume takes { signal, onProgress } and gives push()'s dictionary", async () => {
    const a = new Squeak({ kernel, lambda: 1, qbar: 4, seed: 3 });
    a.push(X);
    const b = new Squeak({ kernel, lambda: 1, qbar: 4, seed: 3 });
    async function* batches() {
      for (let r = 0; r < X.rows; r += 500) yield new Matrix(Math.min(500, X.rows - r), 2, X.data.subarray(r * 2, Math.min(X.rows, r + 500) * 2));
    }
    const seen: WorkProgress[] = [];
    await b.consume(batches(), { onProgress: (p) => seen.push(p) });
    expect(bytes(encodeDictionary(b.dictionary()))).toEqual(bytes(encodeDictionary(a.dictionary())));
    expect(seen.map((p) => [p.done, p.total])).toEqual([[500, null], [1000, null], [1500, null]]);
    await expect(b.consume(batches(), abortAfter(1))).rejects.toThrow("stop here");
    await expect(b.consume(batches(), { sginal: AbortSignal.abort() } as never)).rejects.toThrow(/did you mean "signal"/);
    a.dispose();
    b.dispose();
  });
});

describe("NystromKRR", () => {
  const kernel = rbf({ gamma: 0.5 });
  const X = data(3000);
  const y = Float64Array.from({ length: X.rows }, (_, i) => X.get(i, 0) * X.get(i, 1) - X.get(i, 0));

  it("fitAsync gives fit()'s coefficients bit for bit (vector and matrix targets), with progress", async () => {
    const dict = uniformNystrom(X, 60, { kernel, seed: 2 });
    const a = NystromKRR.fit(dict, X, y, { ridge: 1e-3 });
    const seen: WorkProgress[] = [];
    const b = await NystromKRR.fitAsync(dict, X, y, { ridge: 1e-3, onProgress: (p) => seen.push(p) });
    expect(bytes(b.alpha.data)).toEqual(bytes(a.alpha.data));
    const p: Float64Array = b.predict([[0.5, 0.5]]);
    expect(p).toBeDefined();
    expect(seen.map((s) => s.done)).toEqual([1024, 2048, 3000]);
    const Y = new Matrix(X.rows, 2);
    for (let i = 0; i < X.rows; i++) Y.set(i, 0, y[i]), Y.set(i, 1, -y[i]);
    const c = NystromKRR.fit({ uniform: 50, seed: 4 }, X, Y, { ridge: 1e-2, kernel, chunk: 700 });
    const d = await NystromKRR.fitAsync({ uniform: 50, seed: 4 }, X, Y, { ridge: 1e-2, kernel, chunk: 700 });
    expect(bytes(d.alpha.data)).toEqual(bytes(c.alpha.data));
    expect(d.predict(X)).toBeInstanceOf(Matrix);
  });

  it("fitAsync and fitStream stop with the signal's reason", async () => {
    const dict = uniformNystrom(X, 40, { kernel, seed: 2 });
    await expect(NystromKRR.fitAsync(dict, X, y, { ridge: 1e-3, ...abortAfter(1) })).rejects.toThrow("stop here");
    function* batches() {
      for (let r = 0; r < X.rows; r += 1000) yield { X: new Matrix(1000, 2, X.data.subarray(r * 2, (r + 1000) * 2)), y: y.subarray(r, r + 1000) };
    }
    const seen: WorkProgress[] = [];
    const m = await NystromKRR.fitStream(dict, batches(), { ridge: 1e-3, onProgress: (p) => seen.push(p) });
    expect(seen.map((s) => s.done)).toEqual([1000, 2000, 3000]);
    expect(m.n).toBe(3000);
    await expect(NystromKRR.fitStream(dict, batches(), { ridge: 1e-3, ...abortAfter(2) })).rejects.toThrow("stop here");
  });
});

describe("exactRlsAsync", () => {
  it("gives exactRls's scores, reports its three phases, and stops between them", async () => {
    const X = data(300);
    const kernel = rbf({ gamma: 0.5 });
    const a = exactRls(X, kernel, 1);
    const seen: WorkProgress[] = [];
    const b = await exactRlsAsync(X, kernel, 1, { onProgress: (p) => seen.push(p) });
    expect(bytes(b.scores)).toEqual(bytes(a.scores));
    expect(b.deff).toBe(a.deff);
    expect(seen.map((p) => [p.done, p.total, p.unit])).toEqual([[1, 3, "phases"], [2, 3, "phases"], [3, 3, "phases"]]);
    await expect(exactRlsAsync(X, kernel, 1, abortAfter(1))).rejects.toThrow("stop here");
  });
});

describe("games.runSolverAsync", () => {
  const dense = () => games.skewLogit(12, { seed: 5 });
  const lowRank = () => games.lowRankSkew(30, 2, { seed: 6 });
  const cases: [games.SolverName, Record<string, number>][] = [
    ["nash-md", {}], ["nash-md", { eta: 0.5 }], ["nash-mp", {}], ["online-ipo", {}], ["ipo-md", { mixture: 0.25 }], ["mwu", {}], ["extragradient", {}],
  ];

  it("every solver, dense and low-rank games: the policy and the metrics of runSolver, bit for bit", async () => {
    for (const make of [dense, lowRank]) {
      const game = make();
      for (const [name, extra] of cases) {
        for (const logEvery of [0, 7]) {
          const opts = { beta: 0.5, iters: 300, logEvery, ...extra };
          const a = games.runSolver(name, game, opts);
          const b = await games.runSolverAsync(name, game, { ...opts, chunkIters: 50 });
          const what = `${name} ${JSON.stringify(extra)} ${game.kind} logEvery ${logEvery}`;
          expect(bytes(b.logPolicy), what).toEqual(bytes(a.logPolicy));
          expect(b.queries, what).toBe(a.queries);
          for (const k of Object.keys(a.metrics) as (keyof typeof a.metrics)[]) expect(bytes(b.metrics[k]), `${what} metrics.${k}`).toEqual(bytes(a.metrics[k]));
        }
      }
      game.dispose();
    }
  });

  it("reports iterations, and stops with the signal's reason", async () => {
    const game = dense();
    const seen: WorkProgress[] = [];
    await games.runSolverAsync("nash-mp", game, { beta: 0.5, iters: 1000, logEvery: 10, chunkIters: 256, onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.done)).toEqual([250, 500, 750, 1000]); // chunks are multiples of logEvery
    expect(seen.every((p) => p.total === 1000 && p.unit === "iterations")).toBe(true);
    await expect(games.runSolverAsync("nash-md", game, { beta: 0.5, iters: 1000, chunkIters: 100, ...abortAfter(3) })).rejects.toThrow("stop here");
    await expect(games.runSolverAsync("nash-md", game, { beta: 0.5, itters: 3 } as never)).rejects.toThrow(/did you mean "iters"/);
    game.dispose();
  });
});
