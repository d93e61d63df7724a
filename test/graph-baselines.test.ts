// The baselines without a guarantee (uniform edge sampling, the k-neighbour sparsifier), the
// size-targeted one-shot sparsifier (`sparsify({ edges })`), and the comparison they exist for:
// at the same number of kept edges, resistance sampling keeps the graph's cuts where uniform
// sampling drops bridges and the k-neighbour heuristic distorts the quadratic form.
import { describe, it, expect, beforeAll } from "vitest";
import { init, ValueError, ShapeError } from "../sdk/index.js";
import {
  Graph, uniformSparsify, knnSparsify, sparsify, gsqueak, spectralError, ringOfCliques, erdosRenyi, star, path,
  randomGeometric, withLogUniformWeights,
} from "../sdk/graph/index.js";

beforeAll(async () => {
  await init();
});

const key = (g: Graph, e: number): string => `${g.u[e]}-${g.v[e]}`;
const edgeSet = (g: Graph): Set<string> => new Set(Array.from({ length: g.m }, (_, e) => key(g, e)));
/** The spectral error, or 1 when H has lost a connection of G (an unbounded relative error at γ = 0, capped). */
function errorOf(G: Graph, H: Graph, gamma = 0): number {
  if (gamma === 0 && H.components().count !== G.components().count) return 1;
  return spectralError(G, H, { gamma }).epsilon;
}

describe("uniformSparsify", () => {
  it("keeps exactly the asked number of G's edges, each at weight w·m/s, the same subset for the same seed", () => {
    const g = withLogUniformWeights(erdosRenyi(200, 0.2, { seed: 1 }), 0.5, 2, { seed: 2 });
    const gw = new Map(Array.from({ length: g.m }, (_, e) => [key(g, e), g.w[e]] as const));
    for (const s of [0, 1, 17, Math.floor(g.m / 3), g.m]) {
      const h = uniformSparsify(g, { edges: s, seed: 3 });
      expect(h.n).toBe(g.n);
      expect(h.m).toBe(s);
      for (let e = 0; e < h.m; e++) {
        const w0 = gw.get(key(h, e));
        expect(w0).toBeDefined();
        expect(h.w[e]).toBeCloseTo((w0! * g.m) / s, 12);
      }
    }
    const a = uniformSparsify(g, { fraction: 0.25, seed: 4 });
    expect(a.m).toBe(Math.round(0.25 * g.m));
    const b = uniformSparsify(g, { fraction: 0.25, seed: 4 });
    expect(Array.from(b.u)).toEqual(Array.from(a.u));
    expect(Array.from(b.v)).toEqual(Array.from(a.v));
    const c = uniformSparsify(g, { fraction: 0.25, seed: 5 });
    expect(edgeSet(c)).not.toEqual(edgeSet(a));
    // Unbiased: the average over seeds of the kept weight of one edge is its weight.
    const unit = erdosRenyi(60, 0.3, { seed: 6 });
    let total = 0;
    const hits = new Float64Array(unit.m);
    const runs = 300;
    for (let s = 0; s < runs; s++) {
      const h = uniformSparsify(unit, { fraction: 0.2, seed: s });
      total += h.totalWeight();
      const set = edgeSet(h);
      for (let e = 0; e < unit.m; e++) if (set.has(key(unit, e))) hits[e] += 1;
    }
    expect(total / runs).toBeCloseTo(unit.m, 6); // every run: s edges at weight m/s
    const share = Array.from(hits, (x) => x / runs);
    const mean = share.reduce((x, y) => x + y, 0) / share.length;
    expect(mean).toBeCloseTo(Math.round(0.2 * unit.m) / unit.m, 10);
    expect(Math.max(...share) - Math.min(...share)).toBeLessThan(0.2); // no edge favoured (binomial spread ±0.07)
  });

  it("rejects a missing or double size, sizes out of range, unknown options and non-graphs", () => {
    const g = path(10);
    expect(() => uniformSparsify(g, {})).toThrow(/give edges .* or fraction/);
    expect(() => uniformSparsify(g, { edges: 2, fraction: 0.5 })).toThrow(/not both/);
    expect(() => uniformSparsify(g, { edges: 10 })).toThrow(ValueError);
    expect(() => uniformSparsify(g, { edges: -1 })).toThrow(ValueError);
    expect(() => uniformSparsify(g, { fraction: 1.5 })).toThrow(/fraction must be a number in \[0, 1\]/);
    expect(() => uniformSparsify(g, { edge: 3 } as never)).toThrow(/did you mean "edges"/);
    expect(() => uniformSparsify({} as never, { edges: 1 })).toThrow(/must be a Graph/);
  });
});

describe("knnSparsify", () => {
  it("each node keeps its k heaviest edges; an edge stays when either end keeps it", () => {
    // Node 0 has edges of weight 5 (to 1), 4 (to 2), 3 (to 3), 1 (to 4); 1–2 has weight 0.5.
    const g = Graph.fromEdges([0, 0, 0, 0, 1], [1, 2, 3, 4, 2], [5, 4, 3, 1, 0.5]);
    const k1 = knnSparsify(g, { k: 1, reweight: "none" });
    // 0 keeps 0–1; 1 keeps 0–1; 2 keeps 0–2; 3 keeps 0–3; 4 keeps 0–4: 1–2 is nobody's first.
    expect([...edgeSet(k1)].sort()).toEqual(["0-1", "0-2", "0-3", "0-4"]);
    expect(Array.from(k1.w)).toEqual([5, 4, 3, 1]);
    // A star: every leaf's only edge is its first, whatever k.
    expect(knnSparsify(star(12), { k: 1 }).m).toBe(11);
    // priority reverses the order: node 0 now prefers its lightest edge.
    const light = knnSparsify(g, { k: 1, priority: Array.from(g.w, (w) => -w), reweight: "none" });
    expect(edgeSet(light).has("1-2")).toBe(true);
  });

  it("reaches any size with `edges`; every non-isolated node keeps an edge; the reweightings", () => {
    const g = withLogUniformWeights(randomGeometric(300, 0.2, { seed: 2 }), 0.5, 2, { seed: 3 });
    const deg = g.degrees();
    for (const s of [g.n, Math.floor(g.m / 4), g.m]) {
      const h = knnSparsify(g, { edges: s });
      expect(h.m).toBe(s);
      if (s >= g.n) {
        const dh = h.degrees();
        for (let i = 0; i < g.n; i++) if (deg[i] > 0) expect(dh[i]).toBeGreaterThan(0);
      }
    }
    // The same graph as a k when the count matches it.
    const k3 = knnSparsify(g, { k: 3, reweight: "none" });
    expect(edgeSet(knnSparsify(g, { edges: k3.m, reweight: "none" }))).toEqual(edgeSet(k3));
    const total = knnSparsify(g, { k: 3, reweight: "total" });
    expect(total.totalWeight()).toBeCloseTo(g.totalWeight(), 9);
    // "degree": w·½(d_G(u)/d_K(u) + d_G(v)/d_K(v)) with d_K the kept degrees at the original weights.
    const dk = k3.degrees();
    const h = knnSparsify(g, { k: 3 });
    for (let e = 0; e < h.m; e++) {
      const a = h.u[e], b = h.v[e];
      expect(h.w[e]).toBeCloseTo(k3.w[e] * 0.5 * (deg[a] / dk[a] + deg[b] / dk[b]), 10);
    }
  });

  it("rejects bad k, priorities and options", () => {
    const g = path(6);
    expect(() => knnSparsify(g, {})).toThrow(/give k .* or edges/);
    expect(() => knnSparsify(g, { k: 1, edges: 2 })).toThrow(/not both/);
    expect(() => knnSparsify(g, { k: -1 })).toThrow(ValueError);
    expect(() => knnSparsify(g, { k: 1, priority: [1, 2] })).toThrow(ShapeError);
    expect(() => knnSparsify(g, { k: 1, priority: [1, 2, NaN, 4, 5] })).toThrow(/priority\[2\]/);
    expect(() => knnSparsify(g, { k: 1, priority: [1, 2, 3, -Infinity, 5] })).toThrow(/priority\[3\] is -Infinity; expected a finite number/);
    expect(() => knnSparsify(g, { k: 1, reweight: "mean" as never })).toThrow(ValueError);
    expect(() => knnSparsify(g, { kk: 1 } as never)).toThrow(/did you mean "k"/);
  });
});

describe("sparsify({ edges }): one-shot sampling at a given expected size", () => {
  it("the probabilities min(1, c·τ) sum to the target, and the kept count is near it", () => {
    const g = randomGeometric(500, 0.25, { seed: 4 });
    for (const target of [1000, Math.floor(g.m / 2), g.m - 5]) {
      const r = sparsify(g, { edges: target, seed: 2, resistances: "exact" });
      const sum = r.probabilities.reduce((x, y) => x + y, 0);
      expect(sum).toBeCloseTo(target, 6);
      expect(Math.max(...r.probabilities)).toBeLessThanOrEqual(1);
      const sd = Math.sqrt(r.probabilities.reduce((x, p) => x + p * (1 - p), 0));
      expect(Math.abs(r.graph.m - target)).toBeLessThanOrEqual(4 * sd + 1);
    }
    expect(sparsify(g, { edges: g.m, seed: 1, resistances: "exact" }).graph.m).toBe(g.m);
    expect(() => sparsify(g, { edges: 10, oversampling: 3 })).toThrow(/not both/);
    expect(() => sparsify(g, { edges: 10, sampling: "replacement" })).toThrow(/applies to sampling "bernoulli"/);
    expect(() => sparsify(g, { edges: g.m + 1 })).toThrow(ValueError);
  });
});

describe("resistance sampling against the baselines at the same number of edges", () => {
  it("a ring of cliques: uniform sampling cuts the ring; GSQUEAK and one-shot stay within ε", async () => {
    const g = ringOfCliques(8, 40);
    const r = await gsqueak(g, { eps: 0.5, seed: 3, workers: 0 });
    const s = r.graph.m;
    expect(s).toBeLessThan(g.m);
    const eG = errorOf(g, r.graph);
    const eS = errorOf(g, sparsify(g, { eps: 0.5, edges: s, seed: 3 }).graph);
    expect(eG).toBeLessThanOrEqual(0.5);
    expect(eS).toBeLessThanOrEqual(0.5);
    // Uniform sampling at this size keeps each of the 8 ring edges with probability s/m: on
    // most seeds it loses one (the ring becomes a path, its smallest eigenvalues fall about
    // fourfold) and its error is far above ε; resistance sampling keeps them (τ ≈ 1/2 each).
    const ringEdges = (h: Graph): number => {
      let c = 0;
      for (let e = 0; e < h.m; e++) if (Math.floor(h.u[e] / 40) !== Math.floor(h.v[e] / 40)) c++;
      return c;
    };
    expect(ringEdges(r.graph)).toBe(8);
    let lost = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const h = uniformSparsify(g, { edges: s, seed });
      const eU = errorOf(g, h);
      if (ringEdges(h) < 8) {
        lost++;
        expect(eU).toBeGreaterThan(0.6);
      }
    }
    expect(lost).toBeGreaterThanOrEqual(5);
  });

  it("a random geometric graph: the k-neighbour sparsifier has no guarantee (ε > 1), GSQUEAK has", async () => {
    const g = randomGeometric(500, 0.3, { seed: 1 });
    const r = await gsqueak(g, { eps: 0.5, seed: 1, workers: 0 });
    const eG = errorOf(g, r.graph);
    expect(eG).toBeLessThanOrEqual(0.5);
    expect(errorOf(g, knnSparsify(g, { edges: r.graph.m }))).toBeGreaterThan(1);
  });

  it("log-uniform weights: uniform sampling ignores them; resistance sampling does not", async () => {
    const g = withLogUniformWeights(erdosRenyi(400, 0.3, { seed: 5 }), 1e-2, 1e2, { seed: 6 });
    const r = await gsqueak(g, { eps: 0.5, seed: 1, workers: 0 });
    const s = r.graph.m;
    const eG = errorOf(g, r.graph);
    expect(eG).toBeLessThanOrEqual(0.5);
    for (const seed of [1, 2, 3]) expect(errorOf(g, uniformSparsify(g, { edges: s, seed }))).toBeGreaterThan(eG);
  });
});
