// Graph generators (sdk/graph/generators.ts, neighbors.ts): exact edge counts and edge sets of
// the deterministic families; the random models checked against their distributions (binomial
// 4σ bands, pair frequencies over many seeds) and against brute force (random geometric graph,
// kNN, ε-graph); seeds reproduce graphs; weights are log-uniform and leave the structure alone.
import { describe, it, expect, beforeAll } from "vitest";
import { init } from "../sdk/index.js";
import { ValueError } from "../sdk/core/errors.js";
import { Matrix } from "../sdk/core/matrix.js";
import {
  Graph, complete, path, cycle, star, grid, barbell, ringOfCliques, disjointUnion, erdosRenyi, randomPoints,
  randomGeometric, stochasticBlockModel, blockLabels, barabasiAlbert, withLogUniformWeights, knnGraph, epsilonGraph,
} from "../sdk/graph/index.js";

beforeAll(async () => {
  await init();
});

const pairs = (g: Graph) => Array.from(g.u, (a, e) => `${a}-${g.v[e]}`);
const key = (a: number, b: number) => (a < b ? `${a}-${b}` : `${b}-${a}`);
const same = (a: Graph, b: Graph) => {
  expect(a.n).toBe(b.n);
  expect(Array.from(a.u)).toEqual(Array.from(b.u));
  expect(Array.from(a.v)).toEqual(Array.from(b.v));
  expect(Array.from(a.w)).toEqual(Array.from(b.w));
};
/** Binomial(N, p) count within 4 standard deviations of its mean. */
const within4sigma = (count: number, N: number, p: number, what: string) => {
  const mean = N * p, sd = Math.sqrt(N * p * (1 - p));
  expect(Math.abs(count - mean), `${what}: ${count} vs mean ${mean} ± 4·${sd.toFixed(1)}`).toBeLessThanOrEqual(4 * sd);
};
/** Every edge is canonical (u < v), sorted, unique, unit weight unless said. */
const canonical = (g: Graph) => {
  let bad = -1;
  for (let e = 0; e < g.m && bad < 0; e++) {
    if (!(g.u[e] < g.v[e] && g.v[e] < g.n && g.u[e] >= 0 && g.w[e] > 0)) bad = e;
    if (e > 0 && !(g.u[e - 1] < g.u[e] || (g.u[e - 1] === g.u[e] && g.v[e - 1] < g.v[e]))) bad = e;
  }
  expect(bad, "first edge out of canonical order").toBe(-1);
};

describe("deterministic families", () => {
  it("complete, path, cycle, star: exact edge sets", () => {
    expect(pairs(complete(4))).toEqual(["0-1", "0-2", "0-3", "1-2", "1-3", "2-3"]);
    expect(complete(50).m).toBe(1225);
    expect(pairs(path(4))).toEqual(["0-1", "1-2", "2-3"]);
    expect(pairs(cycle(4))).toEqual(["0-1", "0-3", "1-2", "2-3"]);
    expect(pairs(star(4))).toEqual(["0-1", "0-2", "0-3"]);
    expect([path(1).n, path(1).m, path(0).n, star(1).m, complete(1).m]).toEqual([1, 0, 0, 0, 0]);
    expect(Array.from(cycle(7).degrees())).toEqual(new Array(7).fill(2));
    expect(() => cycle(2)).toThrow(/cycle: n must be an integer ≥ 3, got 2/);
  });

  it("grid: rows·(cols−1) + cols·(rows−1) edges between lattice neighbours; powers = pairs at Manhattan distance ≤ k", () => {
    const g = grid(3, 4);
    expect([g.n, g.m]).toEqual([12, 3 * 3 + 4 * 2]);
    for (let e = 0; e < g.m; e++) {
      const [a, b] = [g.u[e], g.v[e]];
      expect(Math.abs(Math.floor(a / 4) - Math.floor(b / 4)) + Math.abs((a % 4) - (b % 4))).toBe(1);
    }
    for (const [r, c, k] of [[5, 7, 2], [4, 4, 3], [1, 9, 4], [6, 3, 10]]) {
      const brute: string[] = [];
      for (let a = 0; a < r * c; a++) for (let b = a + 1; b < r * c; b++) {
        const d = Math.abs(Math.floor(a / c) - Math.floor(b / c)) + Math.abs((a % c) - (b % c));
        if (d <= k) brute.push(`${a}-${b}`);
      }
      expect(pairs(grid(r, c, { power: k })), `${r}×${c}, power ${k}`).toEqual(brute);
    }
    expect(grid(0, 5).n).toBe(0);
  });

  it("barbell: two K_k and a bridge (or a path); ring of cliques: cliques joined in a cycle", () => {
    const b = barbell(4);
    expect([b.n, b.m]).toEqual([8, 4 * 3 + 1]);
    expect(pairs(b)).toContain("3-4");
    const bp = barbell(5, { path: 3 });
    expect([bp.n, bp.m]).toEqual([13, 20 + 4]);
    for (const p of ["4-5", "5-6", "6-7", "7-8"]) expect(pairs(bp)).toContain(p);
    const deg = bp.degrees();
    expect([deg[5], deg[6], deg[7]]).toEqual([2, 2, 2]);
    const r = ringOfCliques(4, 3);
    expect([r.n, r.m]).toEqual([12, 4 * 3 + 4]);
    for (const p of ["2-3", "5-6", "8-9", "0-11"]) expect(pairs(r)).toContain(p);
    expect(ringOfCliques(2, 2).m).toBe(4); // two edges inside, two between: a 4-cycle
  });

  it("disjoint union: nodes shifted, edges and weights kept, ids dropped", () => {
    const a = path(3), b = Graph.fromEdges([0], [1], [2.5], { nodeIds: ["x", "y"] });
    const u = disjointUnion([a, b, cycle(3)]);
    expect([u.n, u.m, u.nodeIds]).toEqual([8, 6, null]);
    expect(pairs(u)).toEqual(["0-1", "1-2", "3-4", "5-6", "5-7", "6-7"]);
    expect(Array.from(u.w)).toEqual([1, 1, 2.5, 1, 1, 1]);
    expect(disjointUnion([]).n).toBe(0);
    expect(() => disjointUnion([a, {} as Graph])).toThrow(/graphs\[1\] is not a Graph/);
  });
});

describe("Erdős–Rényi", () => {
  it("edge count within a binomial 4σ band, dense and very sparse; p = 0 and p = 1 exact", () => {
    for (const [n, p, seed] of [[2000, 0.01, 1], [1000, 0.3, 2], [100_000, 2e-5, 3], [5000, 1e-9, 4]] as const) {
      const g = erdosRenyi(n, p, { seed });
      canonical(g);
      expect(g.n).toBe(n);
      expect(g.stats.duplicatesMerged).toBe(0);
      within4sigma(g.m, (n * (n - 1)) / 2, p, `G(${n}, ${p})`);
    }
    expect(erdosRenyi(100, 0).m).toBe(0);
    same(erdosRenyi(30, 1, { seed: 9 }), complete(30));
  });

  it("every pair is equally likely (pair frequencies over 2000 seeds), including the first and last pairs", () => {
    const n = 9, p = 0.2, runs = 2000;
    const count = new Map<string, number>();
    for (let s = 0; s < runs; s++) for (const k of pairs(erdosRenyi(n, p, { seed: s }))) count.set(k, (count.get(k) ?? 0) + 1);
    expect(count.size).toBe((n * (n - 1)) / 2);
    for (const [k, c] of count) within4sigma(c, runs, p, `pair ${k}`);
  });

  it("same seed, same graph; another seed, another graph", () => {
    same(erdosRenyi(500, 0.02, { seed: 7 }), erdosRenyi(500, 0.02, { seed: 7 }));
    expect(pairs(erdosRenyi(500, 0.02, { seed: 8 }))).not.toEqual(pairs(erdosRenyi(500, 0.02, { seed: 7 })));
  });
});

describe("random geometric graph", () => {
  it("every edge within the radius and none missing (brute force over the same points), for radii around the cell sizes", () => {
    for (const [n, r, seed] of [[400, 0.1, 1], [300, 1 / 3, 2], [500, 0.05, 3], [200, 0.5, 4], [50, 2, 5], [600, 0.013, 6], [1, 0.1, 7]] as const) {
      const g = randomGeometric(n, r, { seed });
      const P = randomPoints(n, 2, { seed }).data;
      const brute: string[] = [];
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
        const dx = P[2 * i] - P[2 * j], dy = P[2 * i + 1] - P[2 * j + 1];
        if (dx * dx + dy * dy <= r * r) brute.push(`${i}-${j}`);
      }
      expect(pairs(g), `n = ${n}, r = ${r}`).toEqual(brute);
    }
    expect(randomGeometric(40, 1.5).m).toBe(780); // radius above √2: complete
  });

  it("edge count near n(n−1)/2 · πr² (boundary effects aside) and points uniform in the square", () => {
    const n = 20_000, r = 0.01;
    const g = randomGeometric(n, r, { seed: 11 });
    // P(|x − y| ≤ r) for uniform points in the unit square: πr² − (8/3)r³ + r⁴/2
    const q = Math.PI * r * r - (8 / 3) * r ** 3 + r ** 4 / 2;
    expect(Math.abs(g.m / ((n * (n - 1)) / 2) / q - 1)).toBeLessThan(0.03);
    const P = randomPoints(n, 2, { seed: 11 }).data;
    const mean = P.reduce((s, x) => s + x, 0) / P.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / P.length));
  });
});

describe("stochastic block model", () => {
  it("block densities within 4σ: pIn inside every block, pOut between every pair of blocks", () => {
    const sizes = [300, 200, 100];
    const [pIn, pOut] = [0.1, 0.01];
    const g = stochasticBlockModel(sizes, pIn, pOut, { seed: 5 });
    canonical(g);
    const lab = blockLabels(sizes);
    expect(Array.from(lab.slice(298, 302))).toEqual([0, 0, 1, 1]);
    const cnt = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    for (let e = 0; e < g.m; e++) {
      const [a, b] = [lab[g.u[e]], lab[g.v[e]]].sort();
      cnt[a][b]++;
    }
    for (let a = 0; a < 3; a++) {
      within4sigma(cnt[a][a], (sizes[a] * (sizes[a] - 1)) / 2, pIn, `block ${a}`);
      for (let b = a + 1; b < 3; b++) within4sigma(cnt[a][b], sizes[a] * sizes[b], pOut, `blocks ${a}, ${b}`);
    }
    expect(stochasticBlockModel([3, 4], 1, 0).m).toBe(3 + 6);
    expect(stochasticBlockModel([3, 4], 0, 1).m).toBe(12);
    same(stochasticBlockModel([5, 0, 7], 0.5, 0.2, { seed: 1 }), stochasticBlockModel([5, 0, 7], 0.5, 0.2, { seed: 1 }));
  });

  it("pairs across blocks are equally likely (frequencies over 2000 seeds)", () => {
    const runs = 2000, sizes = [3, 4];
    const count = new Map<string, number>();
    for (let s = 0; s < runs; s++) for (const k of pairs(stochasticBlockModel(sizes, 0.3, 0.1, { seed: s }))) count.set(k, (count.get(k) ?? 0) + 1);
    const lab = blockLabels(sizes);
    expect(count.size).toBe(21);
    for (const [k, c] of count) {
      const [a, b] = k.split("-").map(Number);
      within4sigma(c, runs, lab[a] === lab[b] ? 0.3 : 0.1, `pair ${k}`);
    }
  });
});

describe("Barabási–Albert", () => {
  it("attach·(n − attach) edges, degree sum twice that, every later node with degree ≥ attach, heavy tail", () => {
    const n = 10_000, attach = 3;
    const g = barabasiAlbert(n, attach, { seed: 2 });
    expect(g.m).toBe(attach * (n - attach));
    expect(g.stats.duplicatesMerged).toBe(0);
    const deg = g.degrees();
    expect(deg.reduce((s, x) => s + x, 0)).toBe(2 * attach * (n - attach));
    let low = 0;
    for (let i = attach + 1; i < n; i++) if (deg[i] < attach) low++;
    expect(low).toBe(0);
    expect(Math.min(...deg)).toBeGreaterThanOrEqual(1); // the first star's leaves start at degree 1
    const sorted = Float64Array.from(deg).sort();
    expect(sorted[n - 1]).toBeGreaterThan(20 * 2 * attach); // hubs: power law, not Poisson
    // P(deg ≥ 4·attach) ≈ (attach/(4·attach))² ≈ 1/16 for exponent 3; a Poisson tail would be ≈ 0
    const tail = deg.filter((x) => x >= 4 * attach).length / n;
    expect(tail).toBeGreaterThan(0.03);
    expect(tail).toBeLessThan(0.12);
    same(barabasiAlbert(300, 2, { seed: 4 }), barabasiAlbert(300, 2, { seed: 4 }));
    expect(barabasiAlbert(4, 3).m).toBe(3);
    expect(() => barabasiAlbert(3, 3)).toThrow(/n must be an integer ≥ 4/);
  });
});

describe("weights", () => {
  it("log-uniform in [lo, hi] from their own stream: the structure is the one without weights", () => {
    const g = erdosRenyi(2000, 0.01, { seed: 6, weights: [1e-3, 1e3] });
    const plain = erdosRenyi(2000, 0.01, { seed: 6 });
    expect(pairs(g)).toEqual(pairs(plain));
    let s = 0, s2 = 0;
    expect(g.w.every((x) => x >= 1e-3 && x <= 1e3)).toBe(true);
    for (const x of g.w) {
      const l = Math.log10(x);
      s += l;
      s2 += l * l;
    }
    const mean = s / g.m, varc = s2 / g.m - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(4 * Math.sqrt(3 / g.m)); // log10 w ~ U[−3, 3]: variance 3
    expect(Math.abs(varc - 3)).toBeLessThan(0.2);
    same(withLogUniformWeights(plain, 1e-3, 1e3, { seed: 6 }), g);
    expect(Array.from(grid(2, 2, { weights: [2, 2] }).w)).toEqual([2, 2, 2, 2]);
    expect(cycle(5, { seed: 1, weights: [0.5, 4] }).w).not.toEqual(cycle(5, { seed: 2, weights: [0.5, 4] }).w);
  });
});

describe("kNN and ε-graphs from points", () => {
  /** Exact squared distances, for brute force. */
  const d2 = (X: Float64Array, d: number, i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += (X[i * d + k] - X[j * d + k]) ** 2;
    return s;
  };

  it("kNN (union): symmetric, every node has ≥ k neighbours, and the edges are exactly the brute-force k-nearest pairs", () => {
    const n = 300, d = 4, k = 6;
    const X = randomPoints(n, d, { seed: 21 });
    const g = knnGraph(X, k);
    canonical(g);
    const nbrs: Set<number>[] = Array.from({ length: n }, () => new Set());
    for (let e = 0; e < g.m; e++) {
      nbrs[g.u[e]].add(g.v[e]);
      nbrs[g.v[e]].add(g.u[e]);
    }
    const knn: number[][] = [];
    for (let i = 0; i < n; i++) {
      const order = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).sort((a, b) => d2(X.data, d, i, a) - d2(X.data, d, i, b) || a - b);
      knn.push(order.slice(0, k));
      expect(nbrs[i].size).toBeGreaterThanOrEqual(k);
    }
    const brute = new Set<string>();
    for (let i = 0; i < n; i++) for (const j of knn[i]) brute.add(key(i, j));
    expect(pairs(g)).toEqual([...brute].sort((a, b) => {
      const [a1, a2] = a.split("-").map(Number), [b1, b2] = b.split("-").map(Number);
      return a1 - b1 || a2 - b2;
    }));
    // mutual: j in kNN(i) and i in kNN(j)
    const mutual = knnGraph(X, k, { symmetrize: "mutual" });
    for (const p of pairs(mutual)) {
      const [a, b] = p.split("-").map(Number);
      expect(knn[a].includes(b) && knn[b].includes(a)).toBe(true);
    }
    let mutualBrute = 0;
    for (let i = 0; i < n; i++) for (const j of knn[i]) if (j > i && knn[j].includes(i)) mutualBrute++;
    expect(mutual.m).toBe(mutualBrute);
  });

  it("the block size changes nothing; Gaussian weights use the median k-th-neighbour distance; ties go to the smaller index", () => {
    const X = randomPoints(257, 3, { seed: 5 });
    const g = knnGraph(X, 5, { weights: "gaussian" });
    for (const blockRows of [1, 7, 1000]) same(knnGraph(X, 5, { weights: "gaussian", blockRows }), g);
    // σ² = lower median of the squared distance to the 5th neighbour
    const kth: number[] = [];
    for (let i = 0; i < 257; i++) {
      const ds: number[] = [];
      for (let j = 0; j < 257; j++) if (j !== i) ds.push(d2(X.data, 3, i, j));
      kth.push(ds.sort((a, b) => a - b)[4]);
    }
    const sigma2 = kth.sort((a, b) => a - b)[128];
    for (let e = 0; e < g.m; e++) {
      const want = Math.exp(-d2(X.data, 3, g.u[e], g.v[e]) / (2 * sigma2));
      expect(Math.abs(g.w[e] - want)).toBeLessThanOrEqual(1e-14 * want);
    }
    const s = knnGraph(X, 5, { weights: "gaussian", sigma: 0.5 });
    expect(s.w[0]).toBeCloseTo(Math.exp(-d2(X.data, 3, s.u[0], s.v[0]) / 0.5), 14);
    // the corners of a unit square, k = 1: every corner has two nearest at distance 1 and takes
    // the smaller index (0 → 1, 1 → 0, 2 → 0, 3 → 1)
    const sq = knnGraph([[0, 0], [1, 0], [0, 1], [1, 1]], 1);
    expect(pairs(sq)).toEqual(["0-1", "0-2", "1-3"]);
  });

  it("ε-graph: exactly the pairs with Σ(xᵢ − xⱼ)² ≤ ε², also far from the origin (no cancellation error)", () => {
    const n = 400, d = 3, eps = 0.15;
    const X = randomPoints(n, d, { seed: 8 });
    const far = new Matrix(n, d, X.data.map((x) => x + 1e6));
    for (const [P, label] of [[X, "unit cube"], [far, "offset by 10⁶"]] as const) {
      const brute: string[] = [];
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (d2(P.data, d, i, j) <= eps * eps) brute.push(`${i}-${j}`);
      expect(brute.length).toBeGreaterThan(100);
      const g = epsilonGraph(P, eps);
      expect(pairs(g), label).toEqual(brute);
      same(epsilonGraph(P, eps, { blockRows: 13 }), g);
    }
    const gw = epsilonGraph(X, eps, { weights: "gaussian" });
    for (let e = 0; e < gw.m; e++) expect(gw.w[e]).toBeCloseTo(Math.exp(-d2(X.data, d, gw.u[e], gw.v[e]) / (2 * eps * eps)), 14);
    // a 2-D ε-graph of randomPoints is the random geometric graph
    const P2 = randomPoints(300, 2, { seed: 3 });
    expect(pairs(epsilonGraph(P2, 0.1))).toEqual(pairs(randomGeometric(300, 0.1, { seed: 3 })));
  });

  it("bad inputs are typed errors", () => {
    const X = randomPoints(10, 2);
    expect(() => knnGraph(X, 10)).toThrow(/k must be an integer in \[1, 9\]/);
    expect(() => knnGraph(X, 2, { sigma: 1 })).toThrow(/sigma applies to weights: "gaussian"/);
    expect(() => knnGraph(X, 2, { weights: "gaussian", sigma: -1 })).toThrow(ValueError);
    expect(() => knnGraph([[0, 0], [0, 0], [0, 0]], 1, { weights: "gaussian" })).toThrow(/is 0 \(repeated points\); give sigma/);
    expect(() => knnGraph([[0], [1e3]], 1, { weights: "gaussian", sigma: 1 })).toThrow(/underflows to 0.*larger sigma/);
    expect(() => knnGraph([[0, NaN]], 1)).toThrow(/finite/);
    expect(() => knnGraph(X, 2, { symetrize: "mutual" } as object)).toThrow(/did you mean "symmetrize"/);
    expect(() => epsilonGraph(X, 0)).toThrow(/eps must be a finite number > 0/);
    expect(knnGraph([[1, 2]], 1).m).toBe(0);
  });
});

describe("options and arguments", () => {
  it("unknown option keys name the closest valid key; bad values are ValueErrors naming the argument", () => {
    expect(() => erdosRenyi(10, 0.5, { sead: 1 } as object)).toThrow(/erdosRenyi: unknown option "sead"; did you mean "seed"/);
    expect(() => grid(3, 3, { powr: 2 } as object)).toThrow(/did you mean "power"/);
    expect(() => barbell(3, { paths: 1 } as object)).toThrow(/did you mean "path"/);
    expect(() => erdosRenyi(10, 1.5)).toThrow(/erdosRenyi: p must be a probability in \[0, 1\], got 1.5/);
    expect(() => erdosRenyi(10, 0.5, { seed: -1 })).toThrow(/seed must be a non-negative safe integer/);
    expect(() => erdosRenyi(10, 0.5, { weights: [2, 1] })).toThrow(/0 < lo ≤ hi/);
    expect(() => randomGeometric(10, 0)).toThrow(/radius must be a finite number > 0/);
    expect(() => stochasticBlockModel([3, -1], 0.5, 0.1)).toThrow(/sizes\[1\] must be an integer ≥ 0/);
    expect(() => complete(100_000)).toThrow(/more than/);
    expect(() => ringOfCliques(1, 3)).toThrow(/cliques must be an integer ≥ 2/);
    expect(() => withLogUniformWeights(path(3), 0, 1)).toThrow(ValueError);
  });
});
