// Graph generators: the deterministic families with closed-form resistances (complete, path,
// cycle, star, grid and its powers, barbell, ring of cliques) and the seeded random models the
// sparsifier tests run on (Erdős–Rényi, random geometric, stochastic block model,
// Barabási–Albert), plus log-uniform random weights and disjoint unions.
//
// Randomness: every random generator draws from `new Rng(seed, 0)` (the engine's xoshiro256**),
// consumed through uniforms in a fixed order, and uses only IEEE basic operations and the
// deterministic log/exp of sdk/core/detmath.ts on them — so a seed gives the same graph, bit
// for bit, in Node, Deno, browsers and WASI. Random weights come from a second stream,
// `new Rng(seed, 1)`, one uniform per edge in the final edge order (u < v sorted by (u, v)):
// the structure of a seeded graph is the same with and without `weights`.
//
// Cost: O(n + m) for every generator (geometric skipping for the Bernoulli models, a cell grid
// for the geometric graph), so sparse graphs with millions of nodes are cheap.
import { ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { Matrix } from "../core/matrix.js";
import { integer, probability, seed as checkSeed } from "../core/validate.js";
import { exp as detExp, log as detLog } from "../core/detmath.js";
import { Rng } from "../random/rng.js";
import { Graph } from "./graph.js";

/** Options shared by every generator. */
export interface GeneratorOptions {
  /** Root seed (a non-negative safe integer). Default 0. Deterministic generators use it only
   *  for `weights`. */
  seed?: number;
  /** Log-uniform random weights in [lo, hi] (w = lo·(hi/lo)^U, U uniform on [0, 1), stream 1 of
   *  the seed), e.g. [1e-3, 1e3]. Default: every weight 1. */
  weights?: readonly [lo: number, hi: number];
}

const BASE_KEYS = ["seed", "weights"] as const;
/** Most edges a generator builds (16 bytes each: 4 GiB). */
const MAX_EDGES = 2 ** 28;

/** Uniforms from a stream, drawn from the engine in blocks (the sequence does not depend on the
 *  block size: the engine fills consecutive draws). */
class Uniforms {
  private buf: Float64Array = new Float64Array(0);
  private i = 0;
  constructor(private readonly rng: Rng) {}
  next(): number {
    if (this.i === this.buf.length) {
      this.buf = this.rng.uniform(4096);
      this.i = 0;
    }
    return this.buf[this.i++];
  }
}

/** A growable edge list. */
class Edges {
  u = new Int32Array(1024);
  v = new Int32Array(1024);
  m = 0;
  constructor(private readonly where: string) {}
  push(a: number, b: number): void {
    if (this.m === this.u.length) {
      const cap = this.u.length * 2;
      if (cap > MAX_EDGES * 2) throw new ValueError(`${this.where}: more than ${MAX_EDGES} edges; choose a smaller graph`);
      const u2 = new Int32Array(cap), v2 = new Int32Array(cap);
      u2.set(this.u);
      v2.set(this.v);
      this.u = u2;
      this.v = v2;
    }
    this.u[this.m] = a;
    this.v[this.m] = b;
    this.m++;
  }
}

function checkWeights(w: unknown, where: string): readonly [number, number] | null {
  if (w === undefined) return null;
  if (!Array.isArray(w) || w.length !== 2) throw new ValueError(`${where}: weights must be [lo, hi] (log-uniform weights), got ${JSON.stringify(w)}`);
  const [lo, hi] = w as number[];
  if (!(typeof lo === "number" && lo > 0 && lo < Infinity) || !(typeof hi === "number" && hi >= lo && hi < Infinity)) {
    throw new ValueError(`${where}: weights must be [lo, hi] with 0 < lo ≤ hi < ∞, got ${JSON.stringify(w)}`);
  }
  return [lo, hi];
}

/** Parse the shared options (plus `extra` keys) and return them with the checked seed. */
function options<T extends GeneratorOptions>(opts: unknown, where: string, extra: readonly string[] = []): { o: T; seed: number; weights: readonly [number, number] | null } {
  const o = checkOptions<T>(opts, where, [...BASE_KEYS, ...extra]);
  return { o, seed: checkSeed(o.seed ?? 0, `${where}: seed`), weights: checkWeights(o.weights, where) };
}

/** Log-uniform weights in [lo, hi] for `m` edges from stream 1 of `seed`. */
function logUniform(m: number, lo: number, hi: number, seed: number): Float64Array {
  const w = new Float64Array(m);
  if (lo === hi) return w.fill(lo);
  const rng = new Rng(seed, 1);
  try {
    const a = detLog(lo), span = detLog(hi) - a;
    for (let off = 0; off < m; off += 1 << 16) {
      const k = Math.min(1 << 16, m - off);
      const U = rng.uniform(k);
      for (let e = 0; e < k; e++) {
        const x = detExp(a + U[e] * span);
        w[off + e] = x < lo ? lo : x > hi ? hi : x; // rounding must not leave [lo, hi]
      }
    }
  } finally {
    rng.dispose();
  }
  return w;
}

function finish(n: number, E: Edges, weights: readonly [number, number] | null, seed: number): Graph {
  const g = Graph.fromEdges(E.u.subarray(0, E.m), E.v.subarray(0, E.m), null, { n });
  if (!weights) return g;
  return Graph.fromEdges(g.u, g.v, logUniform(g.m, weights[0], weights[1], seed), { n });
}

/** Give a graph log-uniform random weights in [lo, hi] (same edges, same nodes): stream 1 of
 *  `seed`, one uniform per edge in edge order, as the generators' `weights` option. */
export function withLogUniformWeights(graph: Graph, lo: number, hi: number, opts: { seed?: number } = {}): Graph {
  const o = checkOptions<{ seed?: number }>(opts, "withLogUniformWeights", ["seed"]);
  const [a, b] = checkWeights([lo, hi], "withLogUniformWeights")!;
  const w = logUniform(graph.m, a, b, checkSeed(o.seed ?? 0));
  return Graph.fromEdges(graph.u, graph.v, w, graph.nodeIds ? { n: graph.n, nodeIds: graph.nodeIds } : { n: graph.n });
}

/** log(1 − p) for p in (0, 1), accurate for small p too (a series where 1 − p would round). */
function log1mp(p: number): number {
  if (p < 1e-3) {
    // −Σ p^k/k to k = 6: truncation below p^7/7 < 2e-22, relative < 2e-19
    const p2 = p * p, p3 = p2 * p;
    return -(p + p2 / 2 + p3 / 3 + p2 * p2 / 4 + p2 * p3 / 5 + p3 * p3 / 6);
  }
  return detLog(1 - p);
}

/** Keep each cell (i, j), 0 ≤ j < len(i), of `rows` rows independently with probability p,
 *  in row-major order. Geometric skipping (Batagelj & Brandes 2005, "Efficient generation of
 *  large random networks", Algorithm 1): the number of cells skipped before the next kept one
 *  is Geometric(p), ⌊log(1 − U)/log(1 − p)⌋, so the cost is O(rows + kept) draws, not O(cells). */
function bernoulliCells(rows: number, len: (i: number) => number, p: number, U: Uniforms, emit: (i: number, j: number) => void): void {
  if (rows <= 0 || !(p > 0)) return;
  if (p >= 1) {
    for (let i = 0; i < rows; i++) for (let j = 0, L = len(i); j < L; j++) emit(i, j);
    return;
  }
  const lq = log1mp(p); // < 0, never 0 or NaN: p ∈ (0, 1)
  const CAP = 2 ** 52; // keeps j an exact integer; any skip this long ends every row anyway
  let i = 0, j = -1, L = len(0);
  for (;;) {
    const s = Math.floor(detLog(1 - U.next()) / lq); // 1 − U ∈ (0, 1] exactly, so s ≥ 0
    j += 1 + (s < CAP ? s : CAP);
    while (j >= L) {
      j -= L;
      if (++i >= rows) return;
      L = len(i);
    }
    emit(i, j);
  }
}

// ---------------------------------------------------------------------------------------------
// Deterministic families

/** The complete graph K_n: every pair of the n nodes, n(n−1)/2 edges. Effective resistance
 *  2/n on every edge. */
export function complete(n: number, opts: GeneratorOptions = {}): Graph {
  const { seed, weights } = options(opts, "complete");
  integer(n, "complete: n", 0);
  if ((n * (n - 1)) / 2 > MAX_EDGES) throw new ValueError(`complete: n = ${n} gives ${(n * (n - 1)) / 2} edges, more than ${MAX_EDGES}`);
  const E = new Edges("complete");
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) E.push(i, j);
  return finish(n, E, weights, seed);
}

/** The path 0 – 1 – … – (n−1): n − 1 edges, every one a bridge. */
export function path(n: number, opts: GeneratorOptions = {}): Graph {
  const { seed, weights } = options(opts, "path");
  integer(n, "path: n", 0);
  const E = new Edges("path");
  for (let i = 0; i + 1 < n; i++) E.push(i, i + 1);
  return finish(n, E, weights, seed);
}

/** The cycle C_n (n ≥ 3): n edges, effective resistance (n − 1)/n on each. */
export function cycle(n: number, opts: GeneratorOptions = {}): Graph {
  const { seed, weights } = options(opts, "cycle");
  integer(n, "cycle: n", 3);
  const E = new Edges("cycle");
  for (let i = 0; i < n; i++) E.push(i, (i + 1) % n);
  return finish(n, E, weights, seed);
}

/** The star on n nodes: centre 0 joined to 1, …, n − 1 (n − 1 bridges). */
export function star(n: number, opts: GeneratorOptions = {}): Graph {
  const { seed, weights } = options(opts, "star");
  integer(n, "star: n", 1);
  const E = new Edges("star");
  for (let i = 1; i < n; i++) E.push(0, i);
  return finish(n, E, weights, seed);
}

/** Options of `grid`. */
export interface GridOptions extends GeneratorOptions {
  /** Join nodes at lattice (Manhattan) distance ≤ power: the graph power G^k of the grid, as
   *  Laplacians.jl's `power(grid2(…), k)`. Default 1 (the plain grid). */
  power?: number;
}

/** The rows × cols 2-D grid: node r·cols + c at lattice point (r, c), joined to its 4
 *  neighbours; rows·(cols − 1) + cols·(rows − 1) edges. With `power: k`, every pair at
 *  Manhattan distance ≤ k. */
export function grid(rows: number, cols: number, opts: GridOptions = {}): Graph {
  const { o, seed, weights } = options<GridOptions>(opts, "grid", ["power"]);
  integer(rows, "grid: rows", 0);
  integer(cols, "grid: cols", 0);
  const k = integer(o.power ?? 1, "grid: power", 1);
  if (rows * cols > 2147483647) throw new ValueError(`grid: ${rows}×${cols} has more than 2³¹ − 1 nodes`);
  const E = new Edges("grid");
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      for (let dc = 1; dc <= k && c + dc < cols; dc++) E.push(i, i + dc); // same row
      for (let dr = 1; dr <= k && r + dr < rows; dr++) {
        const span = k - dr;
        const c0 = Math.max(0, c - span), c1 = Math.min(cols - 1, c + span);
        for (let cc = c0; cc <= c1; cc++) E.push(i, (r + dr) * cols + cc);
      }
    }
  }
  return finish(rows * cols, E, weights, seed);
}

/** Options of `barbell`. */
export interface BarbellOptions extends GeneratorOptions {
  /** Nodes on the path between the two cliques (0: one bridge edge joins them). Default 0. */
  path?: number;
}

/** Two complete graphs K_k joined by a bridge (or a path of `path` extra nodes): nodes 0..k−1
 *  and k+path..2k+path−1 are the cliques, and k−1 – k – … – k+path the bridge path; k(k−1) +
 *  path + 1 edges. Every bridge edge has leverage 1; λ₂ is tiny (ill-conditioned). */
export function barbell(k: number, opts: BarbellOptions = {}): Graph {
  const { o, seed, weights } = options<BarbellOptions>(opts, "barbell", ["path"]);
  integer(k, "barbell: k", 2);
  const p = integer(o.path ?? 0, "barbell: path", 0);
  const E = new Edges("barbell");
  const b0 = k + p;
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) {
    E.push(i, j);
    E.push(b0 + i, b0 + j);
  }
  for (let i = k - 1; i < b0; i++) E.push(i, i + 1);
  return finish(2 * k + p, E, weights, seed);
}

/** A ring of `cliques` complete graphs K_size (cliques ≥ 2, size ≥ 2): clique c holds nodes
 *  c·size … c·size + size − 1, and its last node is joined to the first node of clique
 *  c + 1 (mod cliques); cliques·size(size−1)/2 + cliques edges. */
export function ringOfCliques(cliques: number, size: number, opts: GeneratorOptions = {}): Graph {
  const { seed, weights } = options(opts, "ringOfCliques");
  integer(cliques, "ringOfCliques: cliques", 2);
  integer(size, "ringOfCliques: size", 2);
  const n = cliques * size;
  const E = new Edges("ringOfCliques");
  for (let c = 0; c < cliques; c++) {
    const s = c * size;
    for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) E.push(s + i, s + j);
    E.push(s + size - 1, ((c + 1) % cliques) * size);
  }
  return finish(n, E, weights, seed);
}

/** The disjoint union of graphs: the nodes of graphs[1] follow those of graphs[0], and so on
 *  (node i of graphs[t] becomes i + Σ_{s<t} n_s); weights kept; nodeIds dropped (null), since
 *  ids of different graphs may collide. */
export function disjointUnion(graphs: readonly Graph[]): Graph {
  if (!Array.isArray(graphs)) throw new ValueError("disjointUnion: expected an array of graphs");
  let n = 0, m = 0;
  graphs.forEach((g, t) => {
    if (!g || !(g.u instanceof Int32Array)) throw new ValueError(`disjointUnion: graphs[${t}] is not a Graph`);
    n += g.n;
    m += g.m;
  });
  if (n > 2147483647) throw new ValueError(`disjointUnion: ${n} nodes, more than 2³¹ − 1`);
  const u = new Int32Array(m), v = new Int32Array(m), w = new Float64Array(m);
  let off = 0, e0 = 0;
  for (const g of graphs) {
    for (let e = 0; e < g.m; e++) {
      u[e0 + e] = g.u[e] + off;
      v[e0 + e] = g.v[e] + off;
    }
    w.set(g.w, e0);
    off += g.n;
    e0 += g.m;
  }
  return Graph.fromEdges(u, v, w, { n });
}

// ---------------------------------------------------------------------------------------------
// Random models

function withUniforms<T>(seed: number, f: (U: Uniforms) => T): T {
  const rng = new Rng(seed, 0);
  try {
    return f(new Uniforms(rng));
  } finally {
    rng.dispose();
  }
}

/** Erdős–Rényi G(n, p): each of the n(n−1)/2 pairs is an edge independently with probability
 *  p, so m ~ Binomial(n(n−1)/2, p). O(n + m) by geometric skipping (Batagelj & Brandes 2005).
 *  Connected with high probability for p ≥ (1 + δ) ln n / n. */
export function erdosRenyi(n: number, p: number, opts: GeneratorOptions = {}): Graph {
  const { seed, weights } = options(opts, "erdosRenyi");
  integer(n, "erdosRenyi: n", 0);
  probability(p, "erdosRenyi: p");
  const E = new Edges("erdosRenyi");
  // row i holds the pairs (j, i) with j < i
  withUniforms(seed, (U) => bernoulliCells(n, (i) => i, p, U, (i, j) => E.push(j, i)));
  return finish(n, E, weights, seed);
}

/** n points uniform in the unit cube [0, 1)^d, as an n×d Matrix: row i is drawn from uniforms
 *  i·d … i·d + d − 1 of stream 0 of `seed`. These are the points of `randomGeometric`. */
export function randomPoints(n: number, d: number, opts: { seed?: number } = {}): Matrix {
  const o = checkOptions<{ seed?: number }>(opts, "randomPoints", ["seed"]);
  integer(n, "randomPoints: n", 0);
  integer(d, "randomPoints: d", 1);
  const seed = checkSeed(o.seed ?? 0, "randomPoints: seed");
  const rng = new Rng(seed, 0);
  try {
    return new Matrix(n, d, n * d > 0 ? rng.uniform(n * d) : new Float64Array(0));
  } finally {
    rng.dispose();
  }
}

/** Random geometric graph: n points uniform in the unit square (`randomPoints(n, 2, { seed })`),
 *  joined when their Euclidean distance is ≤ radius ((xᵢ − xⱼ)² + (yᵢ − yⱼ)² ≤ radius², in
 *  doubles). Connected with high probability for radius ≳ √(2 ln n/(π n)). O(n + m): points
 *  are bucketed in a grid of cells wider than the radius, and each point is compared with its
 *  own and the neighbouring cells only. */
export function randomGeometric(n: number, radius: number, opts: GeneratorOptions = {}): Graph {
  const { seed, weights } = options(opts, "randomGeometric");
  integer(n, "randomGeometric: n", 0);
  if (!(typeof radius === "number" && radius > 0 && radius < Infinity)) throw new ValueError(`randomGeometric: radius must be a finite number > 0, got ${String(radius)}`);
  const P = randomPoints(n, 2, { seed }).data;
  // g cells per side, each wider than the radius (the margin keeps 1/g > radius despite rounding)
  const g = Math.max(1, Math.min(Math.floor((1 / radius) * (1 - 1e-9)), Math.ceil(Math.sqrt(n))));
  const cellOf = (i: number) => {
    const cx = Math.min(g - 1, Math.floor(P[2 * i] * g)), cy = Math.min(g - 1, Math.floor(P[2 * i + 1] * g));
    return cy * g + cx;
  };
  // counting sort of the points by cell
  const start = new Int32Array(g * g + 1);
  const cell = new Int32Array(n);
  for (let i = 0; i < n; i++) start[(cell[i] = cellOf(i)) + 1]++;
  for (let c = 0; c < g * g; c++) start[c + 1] += start[c];
  const order = new Int32Array(n);
  const fill = start.slice(0, g * g);
  for (let i = 0; i < n; i++) order[fill[cell[i]]++] = i;
  const r2 = radius * radius;
  const E = new Edges("randomGeometric");
  const near = (i: number, j: number) => {
    const dx = P[2 * i] - P[2 * j], dy = P[2 * i + 1] - P[2 * j + 1];
    if (dx * dx + dy * dy <= r2) E.push(i, j);
  };
  // each unordered pair once: within a cell (t > s), and with the 4 "forward" neighbour cells
  const FWD = [[1, 0], [-1, 1], [0, 1], [1, 1]];
  for (let cy = 0; cy < g; cy++) {
    for (let cx = 0; cx < g; cx++) {
      const c = cy * g + cx;
      for (let s = start[c]; s < start[c + 1]; s++) {
        const i = order[s];
        for (let t = s + 1; t < start[c + 1]; t++) near(i, order[t]);
        for (const [dx, dy] of FWD) {
          const nx = cx + dx, ny = cy + dy;
          if (nx < 0 || nx >= g || ny >= g) continue;
          const c2 = ny * g + nx;
          for (let t = start[c2]; t < start[c2 + 1]; t++) near(i, order[t]);
        }
      }
    }
  }
  return finish(n, E, weights, seed);
}

/** The block of each node of `stochasticBlockModel(sizes, …)`: nodes are numbered block by
 *  block, so node i is in block b for Σ_{c<b} sizes[c] ≤ i < Σ_{c≤b} sizes[c]. */
export function blockLabels(sizes: readonly number[]): Int32Array {
  if (!Array.isArray(sizes)) throw new ValueError("blockLabels: sizes must be an array of block sizes");
  let n = 0;
  sizes.forEach((s, b) => (n += integer(s, `sizes[${b}]`, 0)));
  const labels = new Int32Array(n);
  let i = 0;
  sizes.forEach((s, b) => {
    labels.fill(b, i, i + s);
    i += s;
  });
  return labels;
}

/** Stochastic block model (planted partition): blocks of the given sizes (nodes numbered block
 *  by block, see `blockLabels`); two nodes of one block are joined with probability pIn, of
 *  different blocks with probability pOut, independently. O(n + m) by geometric skipping over
 *  each block pair. */
export function stochasticBlockModel(sizes: readonly number[], pIn: number, pOut: number, opts: GeneratorOptions = {}): Graph {
  const { seed, weights } = options(opts, "stochasticBlockModel");
  const labels = blockLabels(sizes);
  probability(pIn, "stochasticBlockModel: pIn");
  probability(pOut, "stochasticBlockModel: pOut");
  const n = labels.length;
  const starts: number[] = [];
  let s = 0;
  for (const b of sizes) {
    starts.push(s);
    s += b;
  }
  const E = new Edges("stochasticBlockModel");
  withUniforms(seed, (U) => {
    for (let a = 0; a < sizes.length; a++) {
      const sa = starts[a];
      bernoulliCells(sizes[a], (i) => i, pIn, U, (i, j) => E.push(sa + j, sa + i));
      for (let b = a + 1; b < sizes.length; b++) {
        const sb = starts[b], nb = sizes[b];
        bernoulliCells(sizes[a], () => nb, pOut, U, (i, j) => E.push(sa + i, sb + j));
      }
    }
  });
  return finish(n, E, weights, seed);
}

/** Barabási–Albert preferential attachment (Barabási & Albert 1999): start from a star on
 *  attach + 1 nodes (centre 0), then each new node t = attach + 1, …, n − 1 joins `attach`
 *  distinct earlier nodes, each drawn with probability proportional to its degree (uniformly
 *  from the list of edge endpoints, as networkx's barabasi_albert_graph). attach·(n − attach)
 *  edges; degrees follow a power law with exponent 3. */
export function barabasiAlbert(n: number, attach: number, opts: GeneratorOptions = {}): Graph {
  const { seed, weights } = options(opts, "barabasiAlbert");
  integer(attach, "barabasiAlbert: attach", 1);
  integer(n, "barabasiAlbert: n", attach + 1);
  const total = attach * (n - attach);
  if (total > MAX_EDGES) throw new ValueError(`barabasiAlbert: ${total} edges, more than ${MAX_EDGES}`);
  const E = new Edges("barabasiAlbert");
  const ends = new Int32Array(2 * total); // every edge's two endpoints: a node appears deg times
  let len = 0;
  for (let i = 1; i <= attach; i++) {
    E.push(0, i);
    ends[len++] = 0;
    ends[len++] = i;
  }
  const mark = new Int32Array(n).fill(-1); // mark[x] = t when x is already a target of node t
  const chosen = new Int32Array(attach);
  withUniforms(seed, (U) => {
    for (let t = attach + 1; t < n; t++) {
      let c = 0;
      while (c < attach) {
        const x = ends[Math.floor(U.next() * len)];
        if (mark[x] === t) continue;
        mark[x] = t;
        chosen[c++] = x;
      }
      for (let q = 0; q < attach; q++) {
        E.push(chosen[q], t);
        ends[len++] = chosen[q];
        ends[len++] = t;
      }
    }
  });
  return finish(n, E, weights, seed);
}
