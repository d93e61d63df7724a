// GSQUEAK: the spectral guarantee (dense generalized eigenvalues) on every generator for γ = 0
// and γ > 0, intermediate tree nodes included; bridges kept; sizes against q̄·d_eff; p̃ never
// increasing and weights from the original a; unbiasedness over 200 seeds; the same thresholds
// for 1, 2, 8 and 64 leaves, chain and balanced; bytes independent of the worker count and of
// how a stream is pushed; the streaming sparsifier (any-time snapshots, bounded memory, files);
// the sparsifier codec (round trips, a fuzz test, the JSON form); the CLI (leaf / merge / tree
// --graph equal to the SDK, resistances, bad edge lists rejected with nothing written).
import { describe, it, expect, beforeAll, vi } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, Rng, ValueError, ShapeError, planTree, WorkerPool, SparsifierFormatError, DataError } from "../sdk/index.js";
import {
  Graph, gsqueak, Gsqueak, gsqueakParams, gsqueakLeaf, gsqueakMerge, blockSizes, edgeBlocks, effectiveResistances, defaultQbar,
  encodeSparsifier, decodeSparsifier, sparsifierGraph, sparsifierWeights, sparsifierCopies, sparsifierToJSON, sparsifierFromJSON,
  inspectSparsifierFile, isSparsifierFile, makeSparsifier, streamEdges, formatEdges, SPARSIFIER_MAGIC,
  erdosRenyi, randomGeometric, stochasticBlockModel, barbell, ringOfCliques, complete, grid, barabasiAlbert, disjointUnion, path,
  type SparsifierDictionary,
} from "../sdk/graph/index.js";
import { gsqueakUpdate } from "../sdk/graph/gsqueak.js";
import { invoke, type Command } from "../sdk/cli/command.js";
import { runCli } from "../sdk/cli/app.js";
import { graphLeaf, graphMerge, graphTree, resistances as resistancesCmd } from "../sdk/cli/commands/gsqueak.js";
import { crc32 } from "../sdk/core/crc32.js";
import { spectralError } from "./graph-spectral.js";

beforeAll(async () => {
  await init();
});

/** q̄ where a test asserts the bound strictly: ⌈6·ln n/ε²⌉. */
const strictQbar = (n: number, eps: number): number => Math.ceil((6 * Math.log(n)) / (eps * eps));
const deffOf = (g: Graph, gamma: number): number => effectiveResistances(g, { method: "exact", gamma }).deff!;
const hex = (b: Uint8Array): string => crc32(b.subarray(0, b.length - 4)).toString(16) + ":" + b.length;

/** The union graph of some blocks (for checking intermediate tree nodes). */
function unionOf(n: number, blocks: { u: Int32Array; v: Int32Array; w: Float64Array | null }[]): Graph {
  const u: number[] = [], v: number[] = [], w: number[] = [];
  for (const b of blocks) for (let t = 0; t < b.u.length; t++) {
    u.push(b.u[t]);
    v.push(b.v[t]);
    w.push(b.w ? b.w[t] : 1);
  }
  return Graph.fromEdges(u, v, w, { n });
}

describe("spectral guarantee: (1−ε)(L_G + γI) ⪯ L_H + γI ⪯ (1+ε)(L_G + γI)", () => {
  const generators: Array<[string, () => Graph]> = [
    ["Erdős–Rényi", () => erdosRenyi(200, 0.5, { seed: 1 })],
    ["random geometric", () => randomGeometric(200, 0.4, { seed: 2 })],
    ["stochastic block model", () => stochasticBlockModel([100, 100], 0.6, 0.05, { seed: 3 })],
    ["barbell", () => barbell(70)],
    ["ring of cliques", () => ringOfCliques(4, 45)],
    ["complete", () => complete(150)],
    ["grid⁵", () => grid(14, 14, { power: 5 })],
    ["Barabási–Albert", () => barabasiAlbert(200, 25, { seed: 4 })],
    ["log-uniform weights", () => erdosRenyi(200, 0.5, { seed: 5, weights: [1e-2, 1e2] })],
    ["disconnected", () => disjointUnion([erdosRenyi(120, 0.5, { seed: 6 }), complete(60)])],
  ];
  for (const [name, make] of generators) {
    it(`${name}: ε = 0.5, γ ∈ {0, 10}; fewer edges; Σq ≤ 3·q̄·d_eff`, async () => {
      const g = make();
      for (const gamma of [0, 10]) {
        const eps = 0.5, qbar = strictQbar(g.n, eps);
        const r = await gsqueak(g, { eps, gamma, qbar, seed: 7, workers: 0, blockSize: Math.ceil(g.m / 4) });
        const { err } = spectralError(g, r.graph, gamma);
        expect(err, `${name}, γ = ${gamma}`).toBeLessThanOrEqual(eps);
        expect(r.graph.m).toBeLessThan(g.m);
        expect(r.graph.components().count).toBe(g.components().count);
        expect(r.copies).toBeLessThanOrEqual(3 * qbar * deffOf(g, gamma));
      }
    });
  }

  it("ε = 0.3 on a dense graph, and a large ridge γ keeps fewer edges (d_eff(γ) is smaller)", async () => {
    const g = complete(260);
    const eps = 0.3, qbar = strictQbar(g.n, eps);
    const r0 = await gsqueak(g, { eps, qbar, seed: 2, workers: 0, blockSize: 9000 });
    expect(spectralError(g, r0.graph, 0).err).toBeLessThanOrEqual(eps);
    expect(r0.graph.m).toBeLessThan(0.9 * g.m);
    const gamma = 260; // the median eigenvalue of L(K_n) is n
    const r1 = await gsqueak(g, { eps, gamma, qbar, seed: 2, workers: 0, blockSize: 9000 });
    expect(spectralError(g, r1.graph, gamma).err).toBeLessThanOrEqual(eps);
    expect(r1.copies).toBeLessThan(0.7 * r0.copies);
    expect(r1.deff!).toBeLessThan(0.6 * r0.deff!);
  });

  it("every intermediate node of a tree is a sparsifier of the blocks below it", () => {
    const g = erdosRenyi(160, 0.6, { seed: 9 });
    const eps = 0.5;
    const p = gsqueakParams(g.n, { eps, qbar: strictQbar(g.n, eps), gamma: 2 });
    const blocks = edgeBlocks({ n: g.n, u: g.u, v: g.v, w: g.w }, blockSizes(g.m, Math.ceil(g.m / 8)));
    const plan = planTree(blocks.length, "balanced");
    const vals: SparsifierDictionary[] = blocks.map((b, i) => gsqueakLeaf(b, p, 4, plan.streams[i]));
    const covered: number[][] = blocks.map((_, i) => [i]);
    for (const m of plan.merges) {
      vals[m.node] = gsqueakMerge(vals[m.left], vals[m.right], p, 4, m.stream);
      covered[m.node] = [...covered[m.left], ...covered[m.right]];
    }
    for (const node of [0, 5, plan.merges[0].node, plan.merges[5].node, plan.root]) {
      const gh = unionOf(g.n, covered[node].map((i) => blocks[i]));
      expect(spectralError(gh, sparsifierGraph(vals[node]), 2).err, `node ${node}`).toBeLessThanOrEqual(eps);
      expect(vals[node].params.edges).toBe(covered[node].reduce((s, i) => s + blocks[i].u.length, 0));
    }
  });
});

describe("dictionary mechanics", () => {
  it("barbell bridges are kept at γ = 0 with weight in [0.8, 1.25] for 20 of 20 seeds", async () => {
    const g = barbell(60);
    const eps = 0.5, qbar = strictQbar(g.n, eps);
    for (let seed = 0; seed < 20; seed++) {
      const r = await gsqueak(g, { eps, qbar, seed, workers: 0, blockSize: Math.ceil(g.m / 4) });
      const e = r.graph.u.findIndex((x, i) => x === 59 && r.graph.v[i] === 60);
      expect(e, `seed ${seed}: bridge kept`).toBeGreaterThanOrEqual(0);
      expect(r.graph.w[e]).toBeGreaterThanOrEqual(0.8);
      expect(r.graph.w[e]).toBeLessThanOrEqual(1.25);
    }
  });

  it("size: Σq ≤ 3·q̄·d_eff on every seed, ≈ (1 − ε)·q̄·d_eff on average", async () => {
    const g = erdosRenyi(150, 0.7, { seed: 12 });
    for (const gamma of [0, 30]) {
      const deff = deffOf(g, gamma);
      const qbar = defaultQbar(g.n, 0.5);
      let sum = 0;
      for (let seed = 0; seed < 8; seed++) {
        const r = await gsqueak(g, { eps: 0.5, gamma, seed, workers: 0, blockSize: 2000 });
        expect(r.copies).toBeLessThanOrEqual(3 * qbar * deff);
        sum += r.copies;
        expect(Math.abs(r.deff! / deff - 1)).toBeLessThan(0.15); // the root's Horvitz–Thompson estimate
      }
      const ratio = sum / 8 / (qbar * deff);
      expect(ratio).toBeGreaterThan(0.35);
      expect(ratio).toBeLessThan(0.65);
    }
  });

  it("p̃ never increases, p̃_new = min(τ̃, p̃_old), and weights are a·q/(q̄·p̃) from the original a", () => {
    const g = erdosRenyi(120, 0.6, { seed: 14, weights: [0.5, 2] });
    const p = gsqueakParams(g.n, { eps: 0.5, qbar: 30, k: 40 });
    const blocks = edgeBlocks({ n: g.n, u: g.u, v: g.v, w: g.w }, blockSizes(g.m, 600));
    let d = gsqueakLeaf(blocks[0], p, 1, 1);
    const seen = new Map<number, number>();
    const record = (x: SparsifierDictionary): void => {
      for (let i = 0; i < x.size; i++) {
        const before = seen.get(x.index[i]);
        expect(x.p[i] > 0 && x.p[i] <= 1).toBe(true);
        if (before !== undefined) expect(x.p[i]).toBeLessThanOrEqual(before);
        seen.set(x.index[i], x.p[i]);
        expect(x.a[i]).toBe(g.w[x.index[i]]); // the original weight, never compounded
      }
    };
    record(d);
    for (let t = 1; t < blocks.length; t++) {
      d = gsqueakMerge(d, gsqueakLeaf(blocks[t], p, 1, 100 + t), p, 1, 200 + t);
      record(d);
    }
    const w = sparsifierWeights(d);
    for (let i = 0; i < d.size; i++) expect(w[i]).toBe((d.a[i] * d.q[i]) / (p.qbar * d.p[i]));
    // One update by hand: the estimates τ̃ and the rule p̃_new = min(τ̃, p̃_old).
    const e = { u: d.u.slice(), v: d.v.slice(), a: d.a.slice(), p: d.p.slice(), q: d.q.slice(), index: d.index.slice() };
    const tau = new Float64Array(d.size);
    const rng = new Rng(3, 7);
    const out = gsqueakUpdate(e, p, rng, { tauOut: tau }).entries;
    rng.dispose();
    let j = 0;
    for (let i = 0; i < d.size; i++) {
      if (j < out.index.length && out.index[j] === d.index[i]) {
        expect(out.p[j]).toBe(Math.min(tau[i], d.p[i]));
        expect(out.q[j]).toBeLessThanOrEqual(d.q[i]);
        j++;
      }
    }
    expect(j).toBe(out.index.length);
  });

  it("unbiased: the mean sparsifier over 200 seeds is L_G (per-edge z-scores)", async () => {
    const g = erdosRenyi(30, 0.7, { seed: 15, weights: [0.5, 2] });
    const R = 200;
    const sum = new Float64Array(g.m), sq = new Float64Array(g.m);
    const key = (a: number, b: number): number => a * g.n + b;
    const pos = new Map<number, number>();
    for (let e = 0; e < g.m; e++) pos.set(key(g.u[e], g.v[e]), e);
    let kept = 0;
    for (let seed = 0; seed < R; seed++) {
      const r = await gsqueak(g, { eps: 0.5, qbar: 3, k: 16, seed, workers: 0, blockSize: Math.ceil(g.m / 3) });
      kept += r.graph.m;
      for (let e = 0; e < r.graph.m; e++) {
        const i = pos.get(key(r.graph.u[e], r.graph.v[e]))!;
        sum[i] += r.graph.w[e];
        sq[i] += r.graph.w[e] ** 2;
      }
    }
    expect(kept / R).toBeLessThan(0.7 * g.m); // really random: most edges are dropped in some runs
    let zsum = 0, zmax = 0;
    for (let e = 0; e < g.m; e++) {
      const mean = sum[e] / R;
      const sd = Math.sqrt(Math.max(sq[e] / R - mean * mean, 1e-300));
      const z = (mean - g.w[e]) / (sd / Math.sqrt(R));
      zsum += z;
      zmax = Math.max(zmax, Math.abs(z));
    }
    expect(Math.abs(zsum / g.m)).toBeLessThan(0.5);
    expect(zmax).toBeLessThan(5);
  });
});

describe("tree shapes, leaves and workers", () => {
  it("1, 2, 8 and 64 leaves, chain and balanced: the same thresholds", async () => {
    const g = erdosRenyi(200, 0.5, { seed: 16 });
    const eps = 0.5, qbar = strictQbar(g.n, eps), deff = deffOf(g, 0);
    for (const leaves of [1, 2, 8, 64]) {
      for (const shape of ["balanced", "chain"] as const) {
        if (leaves === 1 && shape === "chain") continue;
        const r = await gsqueak(g, { eps, qbar, seed: 3, workers: 0, blockSize: Math.ceil(g.m / leaves), shape });
        expect(r.plan.leaves).toBe(leaves);
        expect(spectralError(g, r.graph, 0).err, `${leaves} leaves, ${shape}`).toBeLessThanOrEqual(eps);
        expect(r.copies).toBeLessThanOrEqual(3 * qbar * deff);
        expect(r.graph.m).toBeLessThan(g.m);
      }
    }
  });

  it("bit-identical for any number of workers (fixed tree), and the streaming sparsifier equals the chain", async () => {
    const g = erdosRenyi(180, 0.4, { seed: 17 });
    const opts = { eps: 0.5, seed: 21, blockSize: 700 };
    const files: string[] = [];
    for (const workers of [0, 1, 2, 3]) files.push(hex(encodeSparsifier((await gsqueak(g, { ...opts, workers })).dictionary)));
    const pool = await WorkerPool.create({ size: 2 });
    try {
      files.push(hex(encodeSparsifier((await gsqueak(g, { ...opts, pool })).dictionary)));
    } finally {
      await pool.close();
    }
    expect(new Set(files).size).toBe(1);
    const chain = hex(encodeSparsifier((await gsqueak(g, { ...opts, workers: 0, shape: "chain" })).dictionary));
    expect(chain).not.toBe(files[0]);
    for (const step of [1, 333, 700, 5000]) {
      const s = new Gsqueak({ n: g.n, ...opts });
      for (let i = 0; i < g.m; i += step) s.push({ u: g.u.subarray(i, i + step), v: g.v.subarray(i, i + step), w: g.w.subarray(i, i + step) });
      expect(hex(encodeSparsifier(s.finish()))).toBe(chain);
    }
  });

  it("explicit shapes and partitions; edges in stream order (duplicates are separate entries)", async () => {
    const g = erdosRenyi(100, 0.5, { seed: 18 });
    const r = await gsqueak(g, { eps: 0.5, seed: 1, workers: 0, partition: [1000, 500, g.m - 1500], shape: [[1, 2], [0, 3]] });
    expect(r.plan.leaves).toBe(3);
    expect(r.dictionary.params.edges).toBe(g.m);
    // The same edges given twice: the sparsifier of the doubled multigraph (weights ≈ 2w).
    const u = [...g.u, ...g.u], v = [...g.v, ...g.v];
    const d = await gsqueak({ n: g.n, u, v }, { eps: 0.5, seed: 1, workers: 0, blockSize: g.m });
    expect(d.dictionary.params.edges).toBe(2 * g.m);
    const doubled = g.withWeights(new Float64Array(g.m).fill(2));
    expect(spectralError(doubled, d.graph, 0).err).toBeLessThanOrEqual(0.5);
  });
});

describe("streaming sparsifier", () => {
  it("any-time snapshots are sparsifiers of what was pushed; memory follows the dictionary", () => {
    const g = erdosRenyi(150, 0.8, { seed: 19 });
    const eps = 0.5, qbar = strictQbar(g.n, eps);
    const sizes: number[] = [];
    const s = new Gsqueak({ n: g.n, eps, qbar, seed: 5, blockSize: 1500, onProgress: (p) => sizes.push(p.entries) });
    const half = Math.floor(g.m / 2) + 321;
    s.push(g.u.subarray(0, half), g.v.subarray(0, half));
    expect(s.edges).toBe(half);
    expect(s.blocks).toBe(Math.floor(half / 1500));
    const seen = Graph.fromEdges(g.u.subarray(0, half), g.v.subarray(0, half), null, { n: g.n });
    const snap = s.dictionary();
    expect(spectralError(seen, snap, 0).err).toBeLessThanOrEqual(eps);
    expect(s.sparsifier().params.edges).toBe(half);
    s.push(g.u.subarray(half), g.v.subarray(half));
    const d = s.finish();
    expect(d).toBe(s.finish());
    expect(spectralError(g, sparsifierGraph(d), 0).err).toBeLessThanOrEqual(eps);
    // The dictionary stays bounded while the stream grows: ≤ 3·q̄·(n − 1) copies at every block.
    expect(sizes.length).toBe(Math.ceil(g.m / 1500));
    for (const x of sizes) expect(x).toBeLessThanOrEqual(3 * qbar * (g.n - 1));
    expect(Math.max(...sizes.slice(2))).toBeLessThan(0.75 * g.m);
    expect(() => s.push([0], [1])).toThrow(/finished/);
  });

  it("pushAll from streamEdges (an edge-list file read in batches) equals pushing the arrays", async () => {
    const g = erdosRenyi(90, 0.5, { seed: 20 });
    const text = formatEdges(g);
    const a = new Gsqueak({ n: g.n, seed: 2, blockSize: 400 });
    await a.pushAll(streamEdges([text], { n: g.n, batchSize: 77 }));
    const b = new Gsqueak({ n: g.n, seed: 2, blockSize: 400 });
    b.push(g.u, g.v, g.w);
    expect(hex(encodeSparsifier(a.finish()))).toBe(hex(encodeSparsifier(b.finish())));
  });

  it("rejects bad edges (naming their position) and bad options", () => {
    const s = new Gsqueak({ n: 5 });
    s.push([0, 1], [1, 2]);
    expect(() => s.push([3, 1], [4, 9])).toThrow(/edge 3 \(1, 9\) has a node id outside \[0, n = 5\)/);
    expect(() => s.push([0], [1], [-1])).toThrow(/weight -1/);
    expect(() => s.push([0, 1], [1])).toThrow(ShapeError);
    expect(() => new Gsqueak({ n: 5, esp: 0.3 } as never)).toThrow(/did you mean "eps"/);
    expect(() => new Gsqueak({} as never)).toThrow(/n \(the number of nodes\) is required/);
    expect(() => new Gsqueak({ n: 5, eps: 1 })).toThrow(/eps must be in the open interval/);
    expect(() => new Gsqueak({ n: 5, gamma: -1 })).toThrow(/gamma must be/);
    // An empty stream gives an empty dictionary.
    const empty = new Gsqueak({ n: 3 }).finish();
    expect(empty.size).toBe(0);
    expect(sparsifierGraph(empty).m).toBe(0);
  });
});

describe("merges and validation", () => {
  it("refuses overlapping blocks and mismatched parameters; gsqueak() checks its options", async () => {
    const g = erdosRenyi(40, 0.5, { seed: 22 });
    const p = gsqueakParams(g.n, { eps: 0.5 });
    const [b0, b1] = edgeBlocks({ n: g.n, u: g.u, v: g.v, w: g.w }, blockSizes(g.m, 200));
    const l0 = gsqueakLeaf(b0, p, 0, 1), l1 = gsqueakLeaf(b1, p, 0, 2);
    expect(() => gsqueakMerge(l0, l0, p, 0, 3)).toThrow(/both dictionaries hold input edge/);
    const other = gsqueakParams(g.n, { eps: 0.4 });
    expect(() => gsqueakMerge(l0, gsqueakLeaf(b1, other, 0, 2), p, 0, 3)).toThrow(/eps = 0.4, this merge uses eps = 0.5/);
    expect(gsqueakMerge(l0, l1, p, 0, 3).params.edges).toBe(b0.u.length + b1.u.length);
    await expect(gsqueak(g, { eps: 0.5, blocksize: 10 } as never)).rejects.toThrow(/did you mean "blockSize"/);
    await expect(gsqueak(g, { workers: 0, partition: [1, 2] })).rejects.toThrow(/sum to 3/);
    await expect(gsqueak({ n: 3, u: [0, 1], v: [1, 3] }, { workers: 0 })).rejects.toThrow(/edge 1 \(1, 3\) has a node id outside/);
    await expect(gsqueak({ n: 3, u: [0, 1], v: [1, 2], w: [1, 0] }, { workers: 0 })).rejects.toThrow(/weight 0/);
  });
});

describe("sparsifier files", () => {
  let d: SparsifierDictionary;
  let bytes: Uint8Array;
  beforeAll(async () => {
    d = (await gsqueak(erdosRenyi(60, 0.5, { seed: 23 }), { seed: 1, workers: 0, gamma: 0.5, blockSize: 300 })).dictionary;
    bytes = encodeSparsifier(d);
  });

  it("round trip (binary and JSON), header facts, the magic", () => {
    expect(isSparsifierFile(bytes)).toBe(true);
    expect(Array.from(bytes.subarray(0, 8))).toEqual(Array.from(SPARSIFIER_MAGIC));
    const back = decodeSparsifier(bytes);
    expect(Array.from(encodeSparsifier(back))).toEqual(Array.from(bytes));
    const info = inspectSparsifierFile(bytes);
    expect(info).toMatchObject({ version: 1, bytes: bytes.length, size: d.size, params: { ...d.params } });
    const json = sparsifierToJSON(d) as { format: string; params: Record<string, unknown>; entries: Record<string, unknown> };
    expect(json.format).toBe("seqlearn.sparsifier/1");
    expect(Array.from(encodeSparsifier(sparsifierFromJSON(JSON.parse(JSON.stringify(json)))))).toEqual(Array.from(bytes));
    expect(() => sparsifierFromJSON({ ...json, format: "seqlearn.sparsifier/2" })).toThrow(/format/);
    expect(() => sparsifierFromJSON({ ...json, params: { ...json.params, lambda: 1 } })).toThrow(/params.lambda is not a sparsifier parameter/);
    expect(() => sparsifierFromJSON({ ...json, entries: { ...json.entries, p: (json.entries.p as number[]).map(() => 2) } })).toThrow(/p\[0\] is 2/);
    expect(() => decodeSparsifier(new TextEncoder().encode(JSON.stringify(json)))).toThrow(/JSON form/);
    expect(() => makeSparsifier({ ...d, q: d.q.map(() => d.params.qbar + 1) })).toThrow(/q\[0\]/);
    expect(sparsifierCopies(back)).toBe(sparsifierCopies(d));
  });

  it("sizes are checked before anything is allocated", () => {
    const huge = bytes.slice(0, 100);
    const v = new DataView(huge.buffer);
    v.setUint32(28, 2 ** 31 - 1, true); // s
    const total = 100 + 36 * (2 ** 31 - 1);
    v.setUint32(16, total % 2 ** 32, true);
    v.setUint32(20, Math.floor(total / 2 ** 32), true);
    const t = performance.now();
    expect(() => decodeSparsifier(huge)).toThrow(/truncated: the header says/);
    expect(performance.now() - t).toBeLessThan(50);
  });

  it("fuzz: every damaged file is a SparsifierFormatError, anything accepted re-encodes to itself", () => {
    const rng = new Rng(77, 0);
    const U = rng.uniform(40000);
    rng.dispose();
    let ui = 0;
    const int = (k: number): number => Math.floor(U[ui++ % U.length] * k);
    const fixCrc = (c: Uint8Array): void => new DataView(c.buffer, c.byteOffset).setUint32(c.length - 4, crc32(c.subarray(0, c.length - 4)), true);
    const outcomes: Record<string, number> = {};
    for (let trial = 0; trial < 2000; trial++) {
      let c = bytes.slice();
      const kind = int(6);
      if (kind === 0) c[int(c.length)] ^= 1 << int(8);
      else if (kind === 1) c = c.slice(0, int(c.length));
      else if (kind === 2) {
        const extra = new Uint8Array(c.length + 1 + int(64));
        extra.set(c);
        c = extra;
      } else if (kind === 3 || kind === 4) {
        const field = [8, 10, 12, 16, 20, 24, 28][int(7)];
        const value = [0, 1, 2, 0xffffffff, 0x7fffffff, int(2 ** 32), c.length, 1 << 20][int(8)];
        if (field === 8 || field === 10) new DataView(c.buffer).setUint16(field, value & 0xffff, true);
        else new DataView(c.buffer).setUint32(field, value >>> 0, true);
        if (kind === 4) fixCrc(c);
      } else {
        c[int(c.length - 4)] = int(256);
        fixCrc(c);
      }
      let code: string;
      try {
        const x = decodeSparsifier(c);
        expect(Array.from(encodeSparsifier(x))).toEqual(Array.from(c));
        code = "accepted";
      } catch (e) {
        expect(e).toBeInstanceOf(SparsifierFormatError);
        code = (e as SparsifierFormatError).code;
      }
      outcomes[code] = (outcomes[code] ?? 0) + 1;
    }
    for (const code of ["checksum", "truncated", "trailing-bytes", "bad-header", "bad-value"]) expect(outcomes[code], code).toBeGreaterThan(10);
    expect(() => decodeSparsifier("x" as never)).toThrow(SparsifierFormatError);
  });
});

describe("CLI: leaf / merge / tree --graph, inspect, resistances", () => {
  let dir = "";
  let g: Graph;
  const errs: string[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "seqlearn-gsq-"));
    g = erdosRenyi(70, 0.5, { seed: 30, weights: [0.5, 2] });
    writeFileSync(join(dir, "all.csv"), formatEdges(g));
    // Four blocks of 300 edges (the last shorter) as separate files.
    const sizes = blockSizes(g.m, 300);
    let s = 0;
    sizes.forEach((k, i) => {
      const part = Graph.fromEdges(g.u.subarray(s, s + k), g.v.subarray(s, s + k), g.w.subarray(s, s + k), { n: g.n });
      writeFileSync(join(dir, `part${i}.csv`), formatEdges(part));
      s += k;
    });
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void errs.push(a.join(" ")));
    vi.spyOn(console, "log").mockImplementation(() => {});
  });
  const common = ["--eps", "0.5", "--qbar", "20", "--jl", "24", "--seed", "5"];
  const file = (f: string) => Array.from(readFileSync(join(dir, f)));

  it("tree --graph equals gsqueak() in the SDK, and leaf + merge one at a time equal tree", async () => {
    const sdk = await gsqueak({ n: g.n, u: g.u, v: g.v, w: g.w }, { eps: 0.5, qbar: 20, k: 24, seed: 5, blockSize: 300, workers: 0 });
    expect(await invoke(graphTree, ["--graph", join(dir, "all.csv"), "--block-size", "300", "--workers", "2", "-o", join(dir, "t.spar"), "--edges-out", join(dir, "t.csv"), "--quiet", ...common])).toBe(0);
    expect(file("t.spar")).toEqual(Array.from(encodeSparsifier(sdk.dictionary)));
    // The edge list it wrote is the sparsifier's graph.
    expect(readFileSync(join(dir, "t.csv"), "utf8")).toBe(formatEdges(sdk.graph));
    const k = blockSizes(g.m, 300).length;
    let start = 0;
    for (let i = 0; i < k; i++) {
      expect(await invoke(graphLeaf, ["--graph", join(dir, `part${i}.csv`), "--nodes", String(g.n), "--start", String(start), "--node", String(i), "-o", join(dir, `n${i}.spar`), "--quiet", ...common])).toBe(0);
      start += 300;
    }
    for (const m of planTree(k, "balanced").merges) {
      expect(await invoke(graphMerge, [join(dir, `n${m.left}.spar`), join(dir, `n${m.right}.spar`), "--leaves", `${m.first}..${m.first + m.count - 1}`, "-o", join(dir, `n${m.node}.spar`), "--quiet"])).toBe(0);
    }
    expect(file(`n${2 * k - 2}.spar`)).toEqual(file("t.spar"));
    // Several files: each file a leaf, the same tree.
    expect(await invoke(graphTree, ["--graph", ...Array.from({ length: k }, (_, i) => join(dir, `part${i}.csv`)), "--nodes", String(g.n), "--workers", "0", "-o", join(dir, "t2.spar"), "--quiet", ...common])).toBe(0);
    expect(file("t2.spar")).toEqual(file("t.spar"));
    // --keep writes every node's sparsifier file: the files leaf and merge wrote one at a time.
    const keep = join(dir, "kept");
    const keepArgs = ["--graph", join(dir, "all.csv"), "--block-size", "300", "--workers", "0", "-o", join(dir, "t3.spar"), "--keep", keep, "--quiet", ...common];
    expect(await invoke(graphTree, keepArgs)).toBe(0);
    expect(readdirSync(keep).sort()).toEqual(Array.from({ length: 2 * k - 1 }, (_, i) => `node-${i}.spar`).sort());
    for (let i = 0; i < 2 * k - 1; i++) expect(file(`kept/node-${i}.spar`), `node ${i}`).toEqual(file(`n${i}.spar`));
    // A second run does not write over them (nor over -o) unless asked, and says so before any work.
    const quiet = { out: () => {}, err: (m: string) => void errs.push(m) };
    rmSync(join(dir, "t3.spar"));
    expect(await runCli(["tree", ...keepArgs], quiet)).toBe(1);
    expect(errs.at(-1)).toMatch(/node-0\.spar.*exists/);
    expect(existsSync(join(dir, "t3.spar"))).toBe(false);
    expect(await runCli(["tree", ...keepArgs, "--force"], quiet)).toBe(0);
    expect(file("kept/node-0.spar")).toEqual(file("n0.spar"));
  });

  it("the dispatcher: --graph picks the graph variants, merge and inspect recognise sparsifier files", async () => {
    const out: string[] = [];
    const io = { out: (s: string) => void out.push(s), err: (s: string) => void out.push(s) };
    expect(await runCli(["merge", join(dir, "n0.spar"), join(dir, "n1.spar"), "--leaves", "0..1", "-o", join(dir, "d4.spar"), "--quiet"], io)).toBe(0);
    expect(file("d4.spar")).toEqual(file("n4.spar"));
    expect(await runCli(["inspect", join(dir, "n0.spar")], io)).toBe(0);
    // The JSON form is recognised too, and merges to the same bytes.
    out.length = 0;
    expect(await runCli(["inspect", join(dir, "n0.spar"), "--json"], io)).toBe(0);
    writeFileSync(join(dir, "n0.json"), out[0]);
    expect(await runCli(["merge", join(dir, "n0.json"), join(dir, "n1.spar"), "--leaves", "0..1", "-o", join(dir, "j4.spar"), "--quiet"], io)).toBe(0);
    expect(file("j4.spar")).toEqual(file("n4.spar"));
    expect(await runCli(["leaf", "--graph", join(dir, "part0.csv"), "--nodes", String(g.n), "--node", "0", "-o", join(dir, "l0.spar"), "--quiet", ...common], io)).toBe(0);
    expect(file("l0.spar")).toEqual(file("n0.spar"));
    out.length = 0;
    expect(await runCli(["help", "leaf", "--graph"], io)).toBe(0);
    expect(out.join("\n")).toMatch(/GSQUEAK leaf/);
    out.length = 0;
    expect(await runCli(["help", "leaf"], io)).toBe(0);
    expect(out.join("\n")).toMatch(/DISQUEAK leaf[\s\S]*seqlearn help leaf --graph/);
    // A kernel leaf without --graph is still the kernel command (which needs --lambda).
    expect(await runCli(["leaf", join(dir, "part0.csv"), "-o", join(dir, "k.dict")], io)).toBe(2);
  });

  it("resistances: the SDK's numbers, node pairs, and ids as in the input", async () => {
    expect(await invoke(resistancesCmd, [join(dir, "all.csv"), "-o", join(dir, "r.csv"), "--quiet"])).toBe(0);
    const rows = readFileSync(join(dir, "r.csv"), "utf8").trim().split("\n");
    expect(rows[0]).toBe("source,target,weight,resistance,leverage");
    const ex = effectiveResistances(g, { method: "exact" });
    expect(rows.length).toBe(g.m + 1);
    const [u, v, w, r, tau] = rows[5].split(",").map(Number);
    expect([u, v, w]).toEqual([g.u[4], g.v[4], g.w[4]]);
    expect(r).toBe(ex.resistances[4]);
    expect(tau).toBe(ex.leverage![4]);
    writeFileSync(join(dir, "pairs.csv"), "0,69\n3,3\n5,6\n");
    expect(await invoke(resistancesCmd, [join(dir, "all.csv"), "--pairs", join(dir, "pairs.csv"), "--method", "jl", "--jl", "64", "-o", join(dir, "p.csv"), "--quiet"])).toBe(0);
    const p = readFileSync(join(dir, "p.csv"), "utf8").trim().split("\n");
    expect(p[0]).toBe("source,target,resistance");
    expect(p.length).toBe(3); // (3, 3) skipped
    const jl = effectiveResistances(g, { method: "jl", k: 64, pairs: [[0, 69], [5, 6]] });
    expect(Number(p[1].split(",")[2])).toBe(jl.resistances[0]);
    // String ids come back as strings, quoted when needed.
    writeFileSync(join(dir, "named.csv"), "source,target\nparis,\"lyon, fr\"\nlyon,paris\n\"lyon, fr\",lyon\n");
    expect(await invoke(resistancesCmd, [join(dir, "named.csv"), "-o", join(dir, "named-r.csv"), "--quiet"])).toBe(0);
    const named = readFileSync(join(dir, "named-r.csv"), "utf8").trim().split("\n");
    expect(named[1]).toMatch(/^paris,"lyon, fr",1,0\.666666666666666\d*,0\.666666666666666\d*$/);
  });

  it("every bad edge list is rejected with a typed error, and nothing is written", async () => {
    const bad: Array<[string, string, RegExp]> = [
      ["weight.csv", "0,1,1\n1,2,-2\n", /line 2, column 3: weight must be a finite number > 0/],
      ["nan.csv", "0,1,1\n1,2,nan\n", /line 2, column 3/],
      ["id.csv", "0,1\n1,x\n", /line 2/],
      ["range.csv", "0,1\n1,99\n", /node id 99 is outside/],
    ];
    for (const [name, text, msg] of bad) {
      writeFileSync(join(dir, name), text);
      const runs: Array<[Command<any>, string[]]> = [
        [resistancesCmd, [join(dir, name), "--nodes", "50", "-o", join(dir, `${name}.out`)]],
        [graphTree, ["--graph", join(dir, name), "--nodes", "50", "--workers", "0", "-o", join(dir, `${name}.spar`)]],
        [graphLeaf, ["--graph", join(dir, name), "--nodes", "50", "-o", join(dir, `${name}.leaf`)]],
      ];
      for (const [cmd, args] of runs) {
        const err = await invoke(cmd, [...args]).then(() => null, (e: unknown) => e);
        expect(err, `${name}: ${cmd.name}`).toBeInstanceOf(DataError);
        expect(String((err as Error).message)).toMatch(msg);
      }
      for (const suffix of [".out", ".spar", ".leaf"]) expect(existsSync(join(dir, `${name}${suffix}`))).toBe(false);
    }
    // A damaged sparsifier file: a typed error, no output.
    const damaged = readFileSync(join(dir, "n0.spar"));
    damaged[120] ^= 1;
    writeFileSync(join(dir, "bad.spar"), damaged);
    await expect(invoke(graphMerge, [join(dir, "bad.spar"), join(dir, "n1.spar"), "-o", join(dir, "x.spar")])).rejects.toThrow(SparsifierFormatError);
    expect(existsSync(join(dir, "x.spar"))).toBe(false);
    await expect(invoke(graphMerge, [join(dir, "n0.spar"), join(dir, "n0.spar"), "-o", join(dir, "x.spar")])).rejects.toThrow(ValueError);
    expect(existsSync(join(dir, "x.spar"))).toBe(false);
    expect(await runCli(["leaf", "--graph", join(dir, "part0.csv"), "-o", join(dir, "x.spar")], { out: () => {}, err: () => {} })).toBe(2); // --nodes missing
  });
});
