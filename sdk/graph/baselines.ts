// Two sparsifiers without a spectral guarantee, kept as baselines to measure resistance
// sampling against (the comparisons of Calandriello, Koutis, Lazaric & Valko, ICML 2018, §5,
// and of Sadhanala, Wang & Tibshirani, AISTATS 2016):
//
//   uniformSparsify: keep s of the m edges, chosen uniformly without replacement, each at
//       weight w·m/s — E[L_H] = L_G, but an edge of high effective resistance (a bridge, the
//       only edge of a sparse region) is dropped with probability 1 − s/m, so the spectral
//       error approaches 1 as s falls (a dropped bridge disconnects H: ε = 1).
//   knnSparsify: every node keeps its k edges of highest priority (by default the heaviest —
//       for a k-nearest-neighbour or Gaussian graph, the closest), an edge staying when either
//       endpoint keeps it; then the kept edges are reweighted so that weighted degrees are
//       about those of G. It keeps every node connected to something and is a strong
//       heuristic for smooth signals, but has no guarantee on the quadratic form (on the
//       random geometric graph of Calandriello et al.'s protocol its spectral error is
//       0.6–1.0).
//
// Both are deterministic given their inputs (the uniform one through the engine's seeded
// generator), so the comparisons in the tests and in BENCHMARKS.md are reproducible.
import { ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer, oneOf, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { Graph } from "./graph.js";

/** Options of `uniformSparsify`: give `edges` or `fraction`. */
export interface UniformSparsifyOptions {
  /** Number of edges to keep, in [0, m]. */
  edges?: number;
  /** Share of the edges to keep, in [0, 1] (rounded to the nearest count). */
  fraction?: number;
  /** Seed of the choice (default 0). */
  seed?: number;
}

/**
 * Uniform edge sampling: keep `edges` of G's m edges, every subset of that size equally likely
 * (the edges with the smallest of m seeded uniform keys), each at weight w·m/edges, so that
 * E[L_H] = L_G. The baseline a resistance-based sparsifier must beat at the same size: it
 * ignores which edges carry the graph's connectivity. Cost O(m log m).
 *
 * @example
 * const h = uniformSparsify(erdosRenyi(300, 0.5, { seed: 1 }), { fraction: 0.25, seed: 2 });
 */
export function uniformSparsify(graph: Graph, options: UniformSparsifyOptions): Graph {
  const where = "uniformSparsify";
  const o = checkOptions<UniformSparsifyOptions>(options, where, ["edges", "fraction", "seed"]);
  const g = graphArg(graph, where);
  const m = g.m;
  const s = keptCount(o.edges, o.fraction, m, where);
  const seed = checkSeed(o.seed ?? 0, `${where}: seed`);
  let chosen: Int32Array;
  if (s === m) chosen = Int32Array.from({ length: m }, (_, e) => e);
  else {
    const rng = new Rng(seed);
    let key: Float64Array;
    try {
      key = rng.uniform(m);
    } finally {
      rng.dispose();
    }
    const order = Int32Array.from({ length: m }, (_, e) => e).sort((a, b) => key[a] - key[b] || a - b);
    chosen = order.subarray(0, s).sort();
  }
  const scale = s > 0 ? m / s : 0;
  return subgraph(g, chosen, (e) => g.w[e] * scale);
}

/** Options of `knnSparsify`: give `k` or `edges`. */
export interface KnnSparsifyOptions {
  /** Edges each node keeps (its k of highest priority); an edge stays when either endpoint
   *  keeps it. */
  k?: number;
  /** Number of edges to keep instead: the edges of lowest rank (see `knnSparsify`), which
   *  interpolates between k and k + 1 to reach any size exactly. */
  edges?: number;
  /** One number per edge, in edge order: a node keeps its edges of highest priority first
   *  (ties: the smaller neighbour); finite numbers. Default: the weights (the heaviest first). For a graph
   *  built from points with unit weights, pass minus the distances (the closest first). */
  priority?: ArrayLike<number>;
  /** How the kept edges are weighted: "degree" (default) w·½(d_G(u)/d_K(u) + d_G(v)/d_K(v)),
   *  with d_K the degrees of the kept edges at their original weights, so that weighted
   *  degrees stay near G's; "total": w·Σ_G w / Σ_K w (the total weight is kept); "none": the
   *  original weights. */
  reweight?: "degree" | "total" | "none";
}

/**
 * The k-neighbour sparsifier: each node ranks its edges by priority (the heaviest first by
 * default) and keeps its first k; an edge is kept when one of its endpoints keeps it, i.e.
 * when its rank r_e = min(rank at u, rank at v) is below k. With `edges` instead of k, the
 * `edges` edges of smallest rank are kept (ties: higher priority, then edge order) — the same
 * graph as some k when the count matches it. The kept edges are reweighted (`reweight`). No
 * spectral guarantee: it keeps every non-isolated node attached, but not the graph's cuts.
 * Cost O(m log m).
 *
 * @example
 * const h = knnSparsify(randomGeometric(500, 0.2, { seed: 1 }), { k: 8 });
 */
export function knnSparsify(graph: Graph, options: KnnSparsifyOptions): Graph {
  const where = "knnSparsify";
  const o = checkOptions<KnnSparsifyOptions>(options, where, ["k", "edges", "priority", "reweight"]);
  const g = graphArg(graph, where);
  const m = g.m, n = g.n;
  if ((o.k === undefined) === (o.edges === undefined)) throw new ValueError(`${where}: give k (edges per node) or edges (the total to keep), not ${o.k === undefined ? "neither" : "both"}`);
  const reweight = oneOf(o.reweight ?? "degree", `${where}: reweight`, ["degree", "total", "none"] as const);
  let prio: ArrayLike<number> = g.w;
  if (o.priority !== undefined) {
    const p = o.priority;
    if (p === null || typeof p !== "object" || typeof p.length !== "number") throw new ValueError(`${where}: priority must be an array of numbers, one per edge`);
    if (p.length !== m) throw new ShapeError(`${where}: priority has ${p.length} entries but the graph has ${m} edges`);
    for (let e = 0; e < m; e++) if (typeof p[e] !== "number" || !Number.isFinite(p[e])) throw new ValueError(`${where}: priority[${e}] is ${String(p[e])}; expected a finite number`);
    prio = p;
  }
  // rank[e] = min over both endpoints of e's position in that endpoint's list (highest
  // priority first; ties: the smaller neighbour — CSR rows are in neighbour order and the
  // sort is stable).
  const { rowPtr, col, edge } = g.csr();
  const rank = new Int32Array(m).fill(2 ** 31 - 1);
  for (let i = 0; i < n; i++) {
    const a = rowPtr[i], b = rowPtr[i + 1];
    const entries = Array.from({ length: b - a }, (_, t) => a + t);
    entries.sort((x, y) => prio[edge[y]] - prio[edge[x]] || col[x] - col[y]);
    entries.forEach((p, r) => {
      const e = edge[p];
      if (r < rank[e]) rank[e] = r;
    });
  }
  let chosen: Int32Array;
  if (o.k !== undefined) {
    const k = integer(o.k, `${where}: k`, 0);
    const keep: number[] = [];
    for (let e = 0; e < m; e++) if (rank[e] < k) keep.push(e);
    chosen = Int32Array.from(keep);
  } else {
    const s = keptCount(o.edges, undefined, m, where);
    const order = Int32Array.from({ length: m }, (_, e) => e).sort((a, b) => rank[a] - rank[b] || prio[b] - prio[a] || a - b);
    chosen = order.subarray(0, s).sort();
  }
  if (reweight === "none") return subgraph(g, chosen, (e) => g.w[e]);
  if (reweight === "total") {
    let kept = 0;
    for (const e of chosen) kept += g.w[e];
    const scale = kept > 0 ? g.totalWeight() / kept : 0;
    return subgraph(g, chosen, (e) => g.w[e] * scale);
  }
  const dG = g.degrees();
  const dK = new Float64Array(n);
  for (const e of chosen) {
    dK[g.u[e]] += g.w[e];
    dK[g.v[e]] += g.w[e];
  }
  return subgraph(g, chosen, (e) => g.w[e] * 0.5 * (dG[g.u[e]] / dK[g.u[e]] + dG[g.v[e]] / dK[g.v[e]]));
}

function graphArg(g: unknown, where: string): Graph {
  if (!(g instanceof Graph)) throw new ValueError(`${where}: graph must be a Graph, got ${g === null ? "null" : typeof g}`);
  return g;
}

/** The number of edges to keep from `edges` or `fraction` (exactly one given). */
function keptCount(edges: number | undefined, fraction: number | undefined, m: number, where: string): number {
  if ((edges === undefined) === (fraction === undefined)) throw new ValueError(`${where}: give edges (a count) or fraction (a share of the ${m} edges), not ${edges === undefined ? "neither" : "both"}`);
  if (edges !== undefined) return integer(edges, `${where}: edges`, 0, m);
  if (typeof fraction !== "number" || !(fraction >= 0 && fraction <= 1)) throw new ValueError(`${where}: fraction must be a number in [0, 1], got ${String(fraction)}`);
  return Math.round(fraction * m);
}

/** The graph on g's nodes (and ids) with the edges `chosen` (ascending) at weights weight(e). */
function subgraph(g: Graph, chosen: Int32Array, weight: (e: number) => number): Graph {
  const s = chosen.length;
  const u = new Int32Array(s), v = new Int32Array(s), w = new Float64Array(s);
  for (let t = 0; t < s; t++) {
    const e = chosen[t];
    u[t] = g.u[e];
    v[t] = g.v[e];
    w[t] = weight(e);
  }
  return Graph.fromEdges(u, v, w, g.nodeIds ? { n: g.n, nodeIds: g.nodeIds } : { n: g.n });
}
