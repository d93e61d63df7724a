import { describe, it, expect, beforeAll, afterAll } from "vitest";
import {
  init, Rng, Matrix, rbf, Squeak, dictUpdate, exactRls, uniformNystrom, nystromError, planTree,
  WorkerPool, InlinePool, TASKS, disqueak, encodeDictionary, ValueError, TaskAbortedError,
  type RlsDictionary,
} from "../sdk/index.js";
import { disqueakMerge, disqueakLeaf, disqueakParams } from "../sdk/kernel/index.js";
import { nodeStream, MAX_TREE_LEAVES } from "../sdk/random/index.js";
import { nodeSeed } from "../sdk/random/streams.js";

// A small high-coherence set: a Gaussian blob plus tight far-away clusters of 5 points, the
// regime where leverage-score sampling keeps the clusters that uniform sampling misses.
function mixture(seed: number, blob: number, clusters: number): Matrix {
  const r = new Rng(seed, 3);
  const g = r.normal(2 * blob + 2 * 5 * clusters);
  const u = r.uniform(2 * clusters);
  r.dispose();
  const n = blob + 5 * clusters;
  const X = new Matrix(n, 2);
  for (let i = 0; i < 2 * blob; i++) X.data[i] = g[i];
  for (let c = 0; c < clusters; c++) {
    for (let k = 0; k < 5; k++) {
      const i = blob + 5 * c + k;
      X.data[2 * i] = 60 * u[2 * c] - 30 + 0.05 * g[2 * i];
      X.data[2 * i + 1] = 60 * u[2 * c + 1] - 30 + 0.05 * g[2 * i + 1];
    }
  }
  // Interleave so that every part of a contiguous partition sees blob and clusters.
  const perm = Array.from({ length: n }, (_, i) => i).sort((a, b) => ((a * 7919) % n) - ((b * 7919) % n));
  return Matrix.fromRows(perm.map((i) => [X.data[2 * i], X.data[2 * i + 1]]));
}

const kernel = rbf({ gamma: 0.5 }); // σ = 1
const base = { kernel, lambda: 1, eps: 0.5, qbar: 8, seed: 3 };

function checkValid(dict: RlsDictionary, n: number, qbar: number): void {
  const seen = new Set<number>();
  for (let j = 0; j < dict.size; j++) {
    const i = dict.indices[j];
    expect(Number.isInteger(i) && i >= 0 && i < n).toBe(true);
    expect(seen.has(i)).toBe(false);
    seen.add(i);
    expect(dict.pTilde[j] > 0 && dict.pTilde[j] <= 1).toBe(true);
    expect(dict.copies[j] >= 1 && dict.copies[j] <= qbar).toBe(true);
  }
}

let X: Matrix;
let pool2: WorkerPool;
beforeAll(async () => {
  await init();
  X = mixture(1, 700, 20); // n = 800
  pool2 = await WorkerPool.create({ size: 2 });
});
afterAll(async () => {
  await pool2?.close();
});

describe("DISQUEAK", () => {
  it("gives byte-identical dictionaries inline and with 1, 2 and 4 workers", async () => {
    const opts = { ...base, leafSize: 100 };
    const ref = encodeDictionary((await disqueak(X, { ...opts, workers: 0 })).dictionary);
    const pool1 = await WorkerPool.create({ size: 1 });
    const pool4 = await WorkerPool.create({ size: 4 });
    try {
      for (const pool of [pool1, pool2, pool4]) {
        const r = await disqueak(X, { ...opts, pool });
        expect(Array.from(encodeDictionary(r.dictionary))).toEqual(Array.from(ref));
        expect(r.levels.map((l) => l.nodes)).toEqual([8, 4, 2, 1]);
      }
    } finally {
      await pool1.close();
      await pool4.close();
    }
    const other = encodeDictionary((await disqueak(X, { ...opts, seed: 4, workers: 0 })).dictionary);
    expect(Array.from(other)).not.toEqual(Array.from(ref));
    // An inline pool of one's own runs the package's tasks when given their table.
    const own = await disqueak(X, { ...opts, pool: new InlinePool(TASKS) });
    expect(Array.from(encodeDictionary(own.dictionary))).toEqual(Array.from(ref));
    await expect(disqueak(X, { ...opts, pool: new InlinePool() })).rejects.toThrow(/no task named "seqlearn\.disqueak\.leaf"/);
  });

  it("a worker killed during a merge changes nothing in the result", async () => {
    const opts = { ...base, leafSize: 100, leaf: "exact" as const };
    const ref = encodeDictionary((await disqueak(X, { ...opts, workers: 0 })).dictionary);
    let killed = 0;
    const off = pool2.on("start", (s) => {
      if (s.task === "seqlearn.disqueak.merge" && killed === 0) {
        killed = s.workerId;
        pool2.terminateWorker(s.workerId);
      }
    });
    const faults: string[] = [];
    const off2 = pool2.on("fault", (f) => faults.push(`${f.kind}:${f.task}:${f.willRetry}`));
    try {
      const r = await disqueak(X, { ...opts, pool: pool2 });
      expect(killed).toBeGreaterThan(0);
      expect(faults).toEqual(["worker-lost:seqlearn.disqueak.merge:true"]);
      expect(Array.from(encodeDictionary(r.dictionary))).toEqual(Array.from(ref));
    } finally {
      off();
      off2();
    }
  });

  it("balanced and chain trees, exact or SQUEAK leaves, match SQUEAK's size and accuracy on the coherent mixture", async () => {
    const { deff } = exactRls(X, kernel, base.lambda);
    const sq = new Squeak({ ...base });
    sq.push(X);
    const sqDict = sq.dictionary();
    sq.dispose();
    const plain = { seed: 1, mode: "plain" as const };
    const sqErr = nystromError(sqDict, X, plain);
    const runs: Array<[string, RlsDictionary]> = [];
    for (const [shape, leafSize, leaf] of [["balanced", 50, "exact"], ["chain", 100, "exact"], ["balanced", 200, "squeak"]] as const) {
      const r = await disqueak(X, { ...base, shape, leafSize, leaf, pool: pool2 });
      runs.push([`${shape}/${leaf}`, r.dictionary]);
    }
    for (const [name, dict] of runs) {
      checkValid(dict, X.rows, base.qbar);
      expect(dict.params.method).toBe("disqueak");
      expect(dict.params.n).toBe(X.rows);
      expect(dict.size, name).toBeLessThanOrEqual(3 * base.qbar * deff);
      expect(dict.size / sqDict.size, name).toBeGreaterThan(0.5);
      expect(dict.size / sqDict.size, name).toBeLessThan(2.5);
      // Plain Nyström error ‖K − K_nD K_DD⁺ K_Dn‖₂: as small as SQUEAK's (within a small
      // factor), and far below uniform sampling at the same size, which misses the clusters.
      const err = nystromError(dict, X, plain);
      const uni = nystromError(uniformNystrom(X, dict.size, { kernel, lambda: base.lambda, seed: 9 }), X, plain);
      expect(err, name).toBeLessThan(Math.max(3 * sqErr, 0.05));
      expect(err, name).toBeLessThan(uni / 10);
    }
  });

  it("over several seeds, balanced trees keep SQUEAK's size and accuracy statistics", async () => {
    const plain = { seed: 1, mode: "plain" as const };
    let sizeRatio = 0, errDq = 0, errSq = 0;
    const seeds = [11, 12, 13, 14];
    for (const seed of seeds) {
      const sq = new Squeak({ ...base, seed });
      sq.push(X);
      const s = sq.dictionary();
      sq.dispose();
      const d = (await disqueak(X, { ...base, seed, leafSize: 100, pool: pool2 })).dictionary;
      sizeRatio += d.size / s.size / seeds.length;
      errDq += nystromError(d, X, plain) / seeds.length;
      errSq += nystromError(s, X, plain) / seeds.length;
    }
    expect(sizeRatio).toBeGreaterThan(0.7);
    expect(sizeRatio).toBeLessThan(2);
    expect(errDq).toBeLessThan(Math.max(2 * errSq, 0.05));
  });

  it("a chain of single-point leaves with the SQUEAK estimator is SQUEAK's Algorithm 1 (Expand, then DICT-UPDATE)", async () => {
    const n = 40;
    const Y = new Matrix(n, 2, X.data.slice(0, 2 * n));
    const r = await disqueak(Y, { ...base, leafSize: 1, leaf: "exact", shape: "chain", estimator: "squeak", workers: 0 });
    expect(r.plan.depth).toBe(n - 1);
    // Algorithm 1 by hand: start from the fresh point x_0; at step t append x_t with p̃ = 1,
    // q = q̄ and run the shared DICT-UPDATE (A = K_DD + γ·G), drawing from the stream of the
    // chain node that covers leaves 0..t.
    let cur: { points: Matrix; pTilde: Float64Array; copies: Int32Array; indices: Float64Array } = { points: new Matrix(1, 2, Y.data.slice(0, 2)), pTilde: Float64Array.of(1), copies: Int32Array.of(base.qbar), indices: Float64Array.of(0) };
    for (let t = 1; t < n; t++) {
      const m = cur.indices.length;
      const pts = new Float64Array(2 * (m + 1));
      pts.set(cur.points.data.subarray(0, 2 * m));
      pts.set(Y.data.subarray(2 * t, 2 * t + 2), 2 * m);
      expect(r.plan.merges[t - 1].stream).toBe(nodeStream(0, t + 1));
      const rng = new Rng(base.seed, nodeStream(0, t + 1));
      const next = dictUpdate(
        { points: { rows: m + 1, cols: 2, data: pts }, pTilde: [...cur.pTilde, 1], copies: [...cur.copies, base.qbar], indices: [...cur.indices, t] },
        { kernel, lambda: base.lambda, eps: base.eps, qbar: base.qbar, c: 1, rng },
      ).dictionary;
      rng.dispose();
      cur = { points: next.points, pTilde: next.pTilde, copies: next.copies, indices: next.indices };
    }
    expect(Array.from(r.dictionary.indices)).toEqual(Array.from(cur.indices));
    expect(Array.from(r.dictionary.pTilde)).toEqual(Array.from(cur.pTilde));
    expect(Array.from(r.dictionary.copies)).toEqual(Array.from(cur.copies));
    expect(r.dictionary.params.c).toBe(1);
    expect(r.dictionary.size).toBeLessThan(n); // something was thinned: the test is not vacuous
  });

  // Calandriello, Lazaric & Valko (AISTATS 2017): DISQUEAK (Alg. 2) on a fully unbalanced
  // tree of single-point leaves is SQUEAK (Alg. 1).
  it("a chain of single-point leaves is new Squeak({ mode: \"exact\" }) with the same seed, bit for bit", async () => {
    const n = 56;
    const Y = new Matrix(n, 2, X.data.slice(0, 2 * n));
    const fields = (d: RlsDictionary) => ({ indices: Array.from(d.indices), pTilde: Array.from(d.pTilde), copies: Array.from(d.copies), points: Array.from(d.points.data) });
    const chain = { ...base, leafSize: 1, leaf: "exact" as const, shape: "chain" as const };
    for (const [estimator, seed] of [["squeak", 3], ["squeak", 21], ["disqueak", 5]] as const) {
      const sq = new Squeak({ ...base, seed, estimator, mode: "exact" });
      sq.push(Y);
      const ref = sq.dictionary();
      expect(sq.updates).toBe(n - 1);
      sq.dispose();
      expect(ref.size, "something was thinned: the comparison is not vacuous").toBeLessThan(n);
      expect(ref.copies.some((q) => q < base.qbar), "some copies were thinned").toBe(true);
      for (const workers of [0, 2]) {
        const r = await disqueak(Y, { ...chain, seed, estimator, workers });
        expect(r.plan.depth).toBe(n - 1);
        expect(fields(r.dictionary), `${estimator}, seed ${seed}, ${workers} workers`).toEqual(fields(ref));
        expect(r.dictionary.params.c).toBe(ref.params.c);
      }
    }
    // The lazy mode is a different (cheaper) algorithm: same seed, another dictionary.
    const lazy = new Squeak({ ...base, batch: 8 });
    lazy.push(Y);
    const ex = new Squeak({ ...base, mode: "exact" });
    ex.push(Y);
    expect(fields(lazy.dictionary())).not.toEqual(fields(ex.dictionary()));
    lazy.dispose();
    ex.dispose();
  });

  it("merges validate their inputs; the proof prefactor gives smaller dictionaries", async () => {
    const p = disqueakParams(base, "exact");
    const part = (start: number, n: number) => ({ data: X.data.slice(start * 2, (start + n) * 2), n, d: 2, start });
    const a = disqueakLeaf(part(0, 40), p, 3, 0);
    const b = disqueakLeaf(part(40, 40), p, 3, 1);
    const ab = disqueakMerge(a, b, p, 3, 2);
    expect(ab.params.n).toBe(80);
    expect(ab.params.c).toBe(1.5);
    expect(ab.params.cPref).toBe(1);
    checkValid(ab, 80, 8);
    expect(() => disqueakMerge(a, a, p, 3, 2)).toThrow(/both dictionaries hold point 0/);
    expect(() => disqueakMerge(a, { ...b, params: { ...b.params, lambda: 2 } }, p, 3, 2)).toThrow(/different lambda: 1 vs 2/);
    const printed = (await disqueak(X, { ...base, leafSize: 100, workers: 0 })).dictionary;
    const proof = (await disqueak(X, { ...base, leafSize: 100, workers: 0, prefactor: "proof" })).dictionary;
    expect(proof.params.cPref).toBe(1.5);
    expect(proof.size).toBeLessThan(printed.size);
    await expect(disqueak(X, { ...base, partition: [100, 100] })).rejects.toThrow(/partition sizes sum to 200, but X has 800 rows/);
    await expect(disqueak(X, { ...base, eps: 1 })).rejects.toThrow(ValueError);
    // Cancellation: an aborted signal stops the tree with TaskAbortedError; the pool survives.
    const ac = new AbortController();
    const p2 = disqueak(X, { ...base, leafSize: 50, leaf: "exact", pool: pool2, signal: ac.signal });
    setTimeout(() => ac.abort(new Error("stop")), 5);
    await expect(p2).rejects.toBeInstanceOf(TaskAbortedError);
    expect((await disqueak(X, { ...base, leafSize: 400, pool: pool2 })).dictionary.params.n).toBe(800);
  });
});

describe("merge-tree node streams", () => {
  it("depend only on the leaves a node covers, and are distinct within any tree", () => {
    // Leaf i: [i, i]; a node over a contiguous range: first·2^26 + size; 0..t: t + 1.
    expect(nodeStream(0, 1)).toBe(1);
    expect(nodeStream(3, 1)).toBe(3 * 2 ** 26 + 1);
    expect(nodeStream(0, 8)).toBe(8);
    expect(nodeStream(MAX_TREE_LEAVES - 1, 1)).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
    for (const shape of ["balanced", "chain"] as const) {
      for (const k of [1, 2, 5, 9, 16]) {
        const plan = planTree(k, shape);
        expect(new Set(plan.streams).size).toBe(2 * k - 1);
        for (let i = 0; i < k; i++) expect(plan.streams[i]).toBe(nodeStream(i, 1));
        // The leaves under each node, collected independently of the planner's bookkeeping.
        const under: number[][] = Array.from({ length: k }, (_, i) => [i]);
        for (const m of plan.merges) {
          under[m.node] = [...under[m.left], ...under[m.right]];
          expect(m.first).toBe(Math.min(...under[m.node]));
          expect(m.count).toBe(under[m.node].length);
          expect(m.stream).toBe(m.first * 2 ** 26 + m.count);
          expect(plan.streams[m.node]).toBe(m.stream);
        }
      }
    }
    // The chain's merge over leaves 0..t has the same stream whatever the number of leaves.
    const short = planTree(5, "chain"), long = planTree(12, "chain");
    for (let t = 1; t < 5; t++) expect(long.merges[t - 1].stream).toBe(short.merges[t - 1].stream);
    // A balanced tree shares with the chain exactly the nodes covering the same leaves.
    const b = planTree(4, "balanced"); // [0,1], [2,3], [0..3]
    expect(b.merges.map((m) => [m.first, m.count])).toEqual([[0, 2], [2, 2], [0, 4]]);
    expect(b.merges[0].stream).toBe(short.merges[0].stream);
    expect(b.merges[2].stream).toBe(planTree(4, "chain").merges[2].stream);
    // Non-contiguous user pairings: {0, 2} then {0, 1, 2} share their smallest and largest
    // leaf but not their size, so their streams still differ.
    const u = planTree(3, [[0, 2], [3, 1]]);
    expect(u.merges.map((m) => [m.first, m.count])).toEqual([[0, 2], [0, 3]]);
    expect(new Set(u.streams).size).toBe(5);
    expect(() => planTree(MAX_TREE_LEAVES + 1)).toThrow(/leaves must be an integer in \[1, 67108864\]/);
    expect(() => nodeStream(2, 0)).toThrow(/count/);
    expect(() => nodeStream(-1, 1)).toThrow(/first/);
  });

  it("nodeSeed keeps its values (SQUEAK leaves and the CLI's merges are seeded by them)", () => {
    // Values of the implementation as it was before it moved to sdk/random/streams.ts.
    expect(nodeSeed(0, 0)).toBe(3860219105561013);
    expect(nodeSeed(3, nodeStream(3, 1))).toBe(7239333152950827);
    expect(nodeSeed(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).toBe(7425104539945186);
    expect(nodeSeed(3, 1)).not.toBe(nodeSeed(3, 2));
  });
});
