// Learning over GSQUEAK sparsifiers against the full graph (Calandriello, Koutis, Lazaric &
// Valko, ICML 2018, §4–5): Laplacian smoothing on an (ε, 1/λ)-sparsifier within ε/(1 − ε)·‖y‖
// of the smoothing on G, and as close to a smooth target as G's; the soft harmonic function on
// an (ε, γ)-sparsifier within ε/(1 − ε) in the A-norm; harmonic classification of a stochastic
// block model within 2 points of G's accuracy — for the balanced tree, the chain (the streaming
// sparsifier) and the streaming class fed in batches.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Rng } from "../sdk/index.js";
import {
  Graph, gsqueak, Gsqueak, sparsifierGraph, laplacianSmoothing, smoothingGap, softHarmonicGap, harmonicClassify, accuracy,
  spectralError, spectralEmbedding, randomGeometric, stochasticBlockModel, blockLabels, erdosRenyi,
} from "../sdk/graph/index.js";

beforeAll(async () => {
  await init();
});

/** q̄ where a test asserts the bound strictly: ⌈6·ln n/ε²⌉. */
const strictQbar = (n: number, eps: number): number => Math.ceil((6 * Math.log(n)) / (eps * eps));

function relErr(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Every 20th node labelled (offset 7), with its block. */
function labelsOf(truth: Int32Array, step: number): { labeled: number[]; classes: number[]; unlabeled: number[] } {
  const labeled: number[] = [], classes: number[] = [];
  for (let i = 7; i < truth.length; i += step) {
    labeled.push(i);
    classes.push(truth[i]);
  }
  const set = new Set(labeled);
  return { labeled, classes, unlabeled: Array.from({ length: truth.length }, (_, i) => i).filter((i) => !set.has(i)) };
}

describe("Laplacian smoothing on a GSQUEAK sparsifier", () => {
  it("an (ε, 1/λ)-sparsifier: ‖f_H − f_G‖ ≤ ε/(1 − ε)·‖y‖, and the error to a smooth target is G's", async () => {
    // The protocol of the paper's smoothing experiment on a geometric graph: f* the Fiedler
    // vector, y = f* + 0.3·noise·‖f*‖/√n.
    const g = randomGeometric(700, 0.3, { seed: 3 });
    const fstar = spectralEmbedding(g, 1).vectors.col(0);
    const rng = new Rng(9);
    const noise = rng.normal(g.n);
    rng.dispose();
    const scale = 0.3 / Math.sqrt(g.n);
    const y = fstar.map((f, i) => f + scale * noise[i]);
    for (const lambda of [0.01, 0.1]) {
      const gamma = 1 / lambda, eps = 0.5;
      const r = await gsqueak(g, { eps, gamma, qbar: strictQbar(g.n, eps), seed: 4, workers: 0, blockSize: Math.ceil(g.m / 6) });
      const H = r.graph;
      expect(H.m, `λ = ${lambda}`).toBeLessThan(0.8 * g.m);
      const gap = smoothingGap(g, H, y, { lambda, tol: 1e-10 });
      expect(gap.epsilon, `λ = ${lambda}`).toBeLessThanOrEqual(eps);
      expect(gap.epsilon).toBe(spectralError(g, H, { gamma }).epsilon);
      expect(gap.withinBound).toBe(true);
      expect(gap.difference).toBeLessThanOrEqual(gap.epsilon / (1 - gap.epsilon));
      // The error to the target: the sparsifier's within 0.05 of G's (§7.3 of the prototype: 0.309 vs 0.307).
      const eG = relErr(gap.fG as Float64Array, fstar), eH = relErr(gap.fH as Float64Array, fstar);
      expect(Math.abs(eH - eG), `λ = ${lambda}: ${eH} vs ${eG}`).toBeLessThan(0.05);
    }
  });

  it("a larger γ = 1/λ (lighter smoothing) needs a smaller sparsifier", async () => {
    const g = erdosRenyi(500, 0.4, { seed: 2 });
    const sizes: number[] = [];
    for (const lambda of [1, 0.01, 0.002]) {
      const r = await gsqueak(g, { eps: 0.5, gamma: 1 / lambda, seed: 1, workers: 0 });
      const y = Float64Array.from({ length: g.n }, (_, i) => Math.sin(i));
      expect(smoothingGap(g, r.graph, y, { lambda }).withinBound).toBe(true);
      sizes.push(r.copies);
    }
    expect(sizes[1]).toBeLessThan(sizes[0]);
    expect(sizes[2]).toBeLessThan(sizes[1]);
  });
});

describe("semi-supervised learning on a GSQUEAK sparsifier", () => {
  const sizes = [300, 300, 400];
  const truth = blockLabels(sizes);

  it("harmonic classification of a block model: within 2 points of G (balanced tree, chain, stream)", async () => {
    const g = stochasticBlockModel(sizes, 0.3, 0.02, { seed: 11 });
    const { labeled, classes, unlabeled } = labelsOf(truth, 20);
    const balanced = (await gsqueak(g, { eps: 0.5, seed: 5, workers: 0, blockSize: 8000 })).graph;
    const chain = (await gsqueak(g, { eps: 0.5, seed: 5, workers: 0, blockSize: 8000, shape: "chain" })).graph;
    // The streaming class, fed the edges in a shuffled order in uneven batches.
    const rng = new Rng(3);
    const order = Int32Array.from({ length: g.m }, (_, e) => e);
    for (let i = g.m - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    rng.dispose();
    const s = new Gsqueak({ n: g.n, eps: 0.5, seed: 5, blockSize: 8000 });
    for (let a = 0; a < g.m; a += 3001) {
      const idx = order.subarray(a, Math.min(g.m, a + 3001));
      s.push(Int32Array.from(idx, (e) => g.u[e]), Int32Array.from(idx, (e) => g.v[e]), Float64Array.from(idx, (e) => g.w[e]));
    }
    const streamed = sparsifierGraph(s.finish());
    for (const method of ["hard", "soft"] as const) {
      const opts = method === "soft" ? { method, lambda: 0.003, gamma: 0.1 } : { method };
      const aG = accuracy(harmonicClassify(g, labeled, classes, opts).predictions, truth, unlabeled);
      expect(aG).toBeGreaterThan(0.95);
      for (const [name, H] of [["balanced", balanced], ["chain", chain], ["stream", streamed]] as Array<[string, Graph]>) {
        expect(H.m, name).toBeLessThan(0.8 * g.m);
        const aH = accuracy(harmonicClassify(H, labeled, classes, opts).predictions, truth, unlabeled);
        expect(Math.abs(aG - aH), `${method}, ${name}: ${aH} vs ${aG}`).toBeLessThanOrEqual(0.02);
      }
    }
  });

  it("soft harmonic function on an (ε, γ)-sparsifier: within ε/(1 − ε) of G's in the A-norm", async () => {
    const g = stochasticBlockModel(sizes, 0.2, 0.03, { seed: 4 });
    const { labeled, classes } = labelsOf(truth, 25);
    const values = Float64Array.from(classes, (c) => (c === 0 ? 1 : -1));
    for (const gamma of [0, 1]) {
      const eps = 0.5;
      const H = (await gsqueak(g, { eps, gamma, qbar: strictQbar(g.n, eps), seed: 2, workers: 0 })).graph;
      const gap = softHarmonicGap(g, H, labeled, values, { lambda: 0.2, gamma, tol: 1e-11 });
      expect(gap.epsilon, `γ = ${gamma}`).toBeLessThanOrEqual(eps);
      expect(gap.difference).toBeGreaterThan(0);
      expect(gap.withinBound, `γ = ${gamma}`).toBe(true);
    }
  });

  it("smoothing one block's indicator: the sparsifier's estimate ranks the nodes as G's does", async () => {
    const g = stochasticBlockModel(sizes, 0.3, 0.02, { seed: 8 });
    const y = Float64Array.from(truth, (t) => (t === 0 ? 1 : 0));
    const lambda = 0.05;
    const H = (await gsqueak(g, { eps: 0.5, gamma: 1 / lambda, seed: 3, workers: 0 })).graph;
    const fG = laplacianSmoothing(g, y, { lambda }).f, fH = laplacianSmoothing(H, y, { lambda }).f;
    const cls = (f: Float64Array) => Array.from(f, (x) => (x > 0.5 ? 1 : 0));
    expect(accuracy(cls(fH), cls(fG))).toBeGreaterThan(0.98);
  });
});
