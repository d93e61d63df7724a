// The graph data model of the graph domain: a weighted undirected simple graph on nodes
// 0..n−1, stored as a canonical edge list (u < v, sorted by (u, v), no duplicates, weights
// finite and > 0) with its degrees, CSR adjacency and connected components computed on first
// use. Plain data: it owns no engine memory, and toParts() / fromParts() carry it to workers
// and codecs as structured-cloneable typed arrays.
import { ShapeError, ValueError } from "../core/errors.js";
import { Matrix } from "../core/matrix.js";
import { checkOptions } from "../core/options.js";

/** Largest n accepted: node ids are 32-bit integers. */
export const MAX_NODES = 2 ** 31 - 1;
/** Largest n for which `laplacianDense()` builds the dense n×n matrix (128 MiB of f64). */
export const MAX_DENSE_NODES = 4096;

/** What building a graph did to its input edges. */
export interface GraphStats {
  /** Edges given (before dropping self-loops and merging duplicates). */
  readonly inputEdges: number;
  /** Self-loops (u = v) dropped: they do not change a Laplacian. */
  readonly selfLoops: number;
  /** Input edges merged into an earlier edge between the same two nodes (weights summed). */
  readonly duplicatesMerged: number;
}

/** The parts of a Graph, as plain typed arrays (structured-cloneable: post them to a worker,
 *  write them to a file) — what `toParts()` returns and `Graph.fromParts()` takes. */
export interface GraphParts {
  /** Number of nodes. */
  n: number;
  /** First endpoint of each edge; u[e] < v[e], edges sorted by (u, v), no repeats. */
  u: Int32Array;
  /** Second endpoint of each edge. */
  v: Int32Array;
  /** Weight of each edge, finite and > 0. */
  w: Float64Array;
  /** External node ids (node i is nodeIds[i]), or null. */
  nodeIds: readonly string[] | null;
  /** How the graph was built (optional; fromParts assumes a clean input when absent). */
  stats?: GraphStats;
}

/** Options of `Graph.fromEdges`. */
export interface FromEdgesOptions {
  /** Number of nodes. Default: nodeIds.length when given, else 1 + the largest id. Nodes
   *  without edges are allowed (isolated nodes). */
  n?: number;
  /** External ids of the nodes 0..n−1 (distinct strings), kept for output. */
  nodeIds?: readonly string[];
}

/** CSR adjacency of a graph: both directions of every edge. */
export interface GraphCsr {
  /** n + 1 offsets: the neighbours of node i are col[rowPtr[i] .. rowPtr[i+1]). */
  readonly rowPtr: Int32Array;
  /** Neighbour of each entry, ascending within a row. */
  readonly col: Int32Array;
  /** Weight of each entry (the edge's weight). */
  readonly val: Float64Array;
  /** Index of the edge (into u, v, w) each entry comes from. */
  readonly edge: Int32Array;
}

/** Connected components of a graph. */
export interface GraphComponents {
  /** Number of components (isolated nodes count as one each). */
  readonly count: number;
  /** Component of each node, numbered in order of their smallest node (node 0 is in
   *  component 0). */
  readonly labels: Int32Array;
  /** Number of nodes in each component. */
  readonly sizes: Int32Array;
}

/**
 * A weighted undirected graph on the nodes 0..n−1, without self-loops or parallel edges.
 *
 * Edges are stored once, canonically: `u[e] < v[e]`, sorted by (u, v), weights `w[e]` finite
 * and > 0. Build one with `Graph.fromEdges` (validates, drops self-loops, merges duplicate
 * edges by summing their weights, and reports what it did in `stats`). Its Laplacian is
 * L = D − A, with A the weighted adjacency and D = diag(degrees()). The arrays are shared,
 * not copied: treat them as read-only. Disconnected graphs and isolated nodes are allowed.
 *
 * @example
 * const g = Graph.fromEdges([0, 1, 2], [1, 2, 0], [1, 2, 3]);
 * g.degrees(); // Float64Array [4, 3, 5]
 */
export class Graph {
  /** Number of nodes. */
  readonly n: number;
  /** Number of edges (after dropping self-loops and merging duplicates). */
  readonly m: number;
  /** First endpoint of each edge (u[e] < v[e]). */
  readonly u: Int32Array;
  /** Second endpoint of each edge. */
  readonly v: Int32Array;
  /** Weight of each edge, finite and > 0. */
  readonly w: Float64Array;
  /** External ids of the nodes (node i is nodeIds[i]), or null when the graph was built from
   *  integer ids. */
  readonly nodeIds: readonly string[] | null;
  /** What building the graph did to its input edges. */
  readonly stats: GraphStats;

  #degrees: Float64Array | null = null;
  #csr: GraphCsr | null = null;
  #components: GraphComponents | null = null;

  private constructor(n: number, u: Int32Array, v: Int32Array, w: Float64Array, nodeIds: readonly string[] | null, stats: GraphStats) {
    this.n = n;
    this.m = u.length;
    this.u = u;
    this.v = v;
    this.w = w;
    this.nodeIds = nodeIds;
    this.stats = stats;
  }

  /**
   * Build a graph from edge arrays: edge e joins `u[e]` and `v[e]` with weight `w[e]` (unit
   * weights when `w` is omitted or null). Ids are integers in [0, n). Self-loops are dropped
   * and counted; edges given more than once (in either direction) are merged into one edge
   * whose weight is the sum of theirs, added in input order. Throws ShapeError when the arrays
   * differ in length, and ValueError naming the edge index for an id outside [0, n) or not an
   * integer, or a weight that is not finite and > 0 (also on a self-loop).
   */
  static fromEdges(u: ArrayLike<number>, v: ArrayLike<number>, w?: ArrayLike<number> | null, opts?: FromEdgesOptions): Graph {
    const o = checkOptions<FromEdgesOptions>(opts, "Graph.fromEdges", ["n", "nodeIds"]);
    if (!isArrayLike(u)) throw new ShapeError(`Graph.fromEdges: u must be an array of node ids, got ${typeName(u)}`);
    if (!isArrayLike(v)) throw new ShapeError(`Graph.fromEdges: v must be an array of node ids, got ${typeName(v)}`);
    const len = u.length;
    if (v.length !== len) throw new ShapeError(`Graph.fromEdges: u has ${len} entries but v has ${v.length}; they must have one entry per edge`);
    if (w !== undefined && w !== null) {
      if (!isArrayLike(w)) throw new ShapeError(`Graph.fromEdges: w must be an array of weights (or null for unit weights), got ${typeName(w)}`);
      if (w.length !== len) throw new ShapeError(`Graph.fromEdges: w has ${w.length} entries but u and v have ${len}; give one weight per edge`);
    }
    const nodeIds = o.nodeIds === undefined ? null : checkNodeIds(o.nodeIds, "Graph.fromEdges: nodeIds");
    let n: number;
    if (o.n !== undefined) {
      if (typeof o.n !== "number" || !Number.isInteger(o.n) || o.n < 0 || o.n > MAX_NODES) {
        throw new ValueError(`Graph.fromEdges: n must be an integer in [0, ${MAX_NODES}], got ${String(o.n)}`);
      }
      n = o.n;
      if (nodeIds !== null && nodeIds.length !== n) throw new ValueError(`Graph.fromEdges: nodeIds has ${nodeIds.length} entries but n = ${n}`);
    } else if (nodeIds !== null) {
      n = nodeIds.length;
    } else {
      n = 0;
      for (let e = 0; e < len; e++) {
        checkId(u[e], e, "u", MAX_NODES);
        checkId(v[e], e, "v", MAX_NODES);
        n = Math.max(n, u[e] + 1, v[e] + 1);
      }
    }
    // Validate every edge, drop self-loops, orient u < v.
    const a = new Int32Array(len), b = new Int32Array(len), ww = new Float64Array(len);
    let kept = 0, loops = 0;
    for (let e = 0; e < len; e++) {
      const x = u[e], y = v[e];
      checkId(x, e, "u", n);
      checkId(y, e, "v", n);
      const wt = w === undefined || w === null ? 1 : w[e];
      if (typeof wt !== "number" || !(wt > 0) || wt === Infinity) {
        throw new ValueError(`Graph.fromEdges: edge ${e} (${x}, ${y}) has weight ${String(wt)}; weights must be finite and > 0`);
      }
      if (x === y) {
        loops++;
        continue;
      }
      a[kept] = x < y ? x : y;
      b[kept] = x < y ? y : x;
      ww[kept] = wt;
      kept++;
    }
    // Sort by (a, b), stably (so duplicate weights are summed in input order): a counting sort
    // on b, then a stable counting sort on a. O(m + n).
    const byB = countingOrder(b, kept, n, null);
    const order = countingOrder(a, kept, n, byB);
    const su = new Int32Array(kept), sv = new Int32Array(kept), sw = new Float64Array(kept);
    let m = 0;
    for (let t = 0; t < kept; t++) {
      const e = order[t];
      if (m > 0 && su[m - 1] === a[e] && sv[m - 1] === b[e]) {
        sw[m - 1] += ww[e];
        if (sw[m - 1] === Infinity) throw new ValueError(`Graph.fromEdges: the merged weight of the edges between ${a[e]} and ${b[e]} overflows to Infinity`);
      } else {
        su[m] = a[e];
        sv[m] = b[e];
        sw[m] = ww[e];
        m++;
      }
    }
    const stats: GraphStats = { inputEdges: len, selfLoops: loops, duplicatesMerged: kept - m };
    return new Graph(n, su.slice(0, m), sv.slice(0, m), sw.slice(0, m), nodeIds, stats);
  }

  /**
   * Rebuild a graph from `toParts()` output (e.g. received from a worker or read by a codec).
   * The parts are checked, not repaired: ids in [0, n), u[e] < v[e], edges strictly increasing
   * in (u, v), weights finite and > 0, otherwise ValueError naming the edge. The arrays are
   * used as given (not copied).
   */
  static fromParts(parts: GraphParts): Graph {
    if (parts === null || typeof parts !== "object") throw new ValueError(`Graph.fromParts: expected { n, u, v, w, nodeIds }, got ${typeName(parts)}`);
    const { n } = parts;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > MAX_NODES) throw new ValueError(`Graph.fromParts: n must be an integer in [0, ${MAX_NODES}], got ${String(n)}`);
    if (!(parts.u instanceof Int32Array) || !(parts.v instanceof Int32Array)) throw new ShapeError("Graph.fromParts: u and v must be Int32Arrays");
    if (!(parts.w instanceof Float64Array)) throw new ShapeError("Graph.fromParts: w must be a Float64Array");
    const { u, v, w } = parts;
    const m = u.length;
    if (v.length !== m || w.length !== m) throw new ShapeError(`Graph.fromParts: u, v and w must have the same length, got ${m}, ${v.length}, ${w.length}`);
    for (let e = 0; e < m; e++) {
      const x = u[e], y = v[e];
      if (x < 0 || y >= n || !(x < y)) throw new ValueError(`Graph.fromParts: edge ${e} (${x}, ${y}) must have 0 ≤ u < v < n = ${n}`);
      if (e > 0 && (x < u[e - 1] || (x === u[e - 1] && y <= v[e - 1]))) {
        throw new ValueError(`Graph.fromParts: edge ${e} (${x}, ${y}) is not after edge ${e - 1} (${u[e - 1]}, ${v[e - 1]}); edges must be sorted by (u, v) without repeats (build with Graph.fromEdges to sort and merge)`);
      }
      if (!(w[e] > 0) || w[e] === Infinity) throw new ValueError(`Graph.fromParts: edge ${e} (${x}, ${y}) has weight ${w[e]}; weights must be finite and > 0`);
    }
    const nodeIds = parts.nodeIds === null || parts.nodeIds === undefined ? null : checkNodeIds(parts.nodeIds, "Graph.fromParts: nodeIds");
    if (nodeIds !== null && nodeIds.length !== n) throw new ValueError(`Graph.fromParts: nodeIds has ${nodeIds.length} entries but n = ${n}`);
    let stats: GraphStats = { inputEdges: m, selfLoops: 0, duplicatesMerged: 0 };
    if (parts.stats !== undefined) {
      const s = parts.stats;
      for (const key of ["inputEdges", "selfLoops", "duplicatesMerged"] as const) {
        const x = s?.[key];
        if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) throw new ValueError(`Graph.fromParts: stats.${key} must be a non-negative integer, got ${String(x)}`);
      }
      stats = { inputEdges: s.inputEdges, selfLoops: s.selfLoops, duplicatesMerged: s.duplicatesMerged };
    }
    return new Graph(n, u, v, w, nodeIds, stats);
  }

  /** The graph as plain parts (copies of the arrays, so posting them with a transfer list
   *  leaves this graph intact). `Graph.fromParts(g.toParts())` rebuilds it. */
  toParts(): GraphParts {
    return { n: this.n, u: this.u.slice(), v: this.v.slice(), w: this.w.slice(), nodeIds: this.nodeIds, stats: { ...this.stats } };
  }

  /** The same edges with new weights (length m, finite and > 0), e.g. a reweighted
   *  sparsifier. Node ids are kept. */
  withWeights(w: ArrayLike<number>): Graph {
    if (!isArrayLike(w) || w.length !== this.m) throw new ShapeError(`Graph.withWeights: expected ${this.m} weights (one per edge), got ${isArrayLike(w) ? w.length : typeName(w)}`);
    const out = new Float64Array(this.m);
    for (let e = 0; e < this.m; e++) {
      const x = w[e];
      if (typeof x !== "number" || !(x > 0) || x === Infinity) throw new ValueError(`Graph.withWeights: edge ${e} (${this.u[e]}, ${this.v[e]}) gets weight ${String(x)}; weights must be finite and > 0`);
      out[e] = x;
    }
    return new Graph(this.n, this.u, this.v, out, this.nodeIds, { inputEdges: this.m, selfLoops: 0, duplicatesMerged: 0 });
  }

  /** Weighted degree of every node, d_i = Σ_{e ∋ i} w_e (summed in edge order). Cached;
   *  treat as read-only. */
  degrees(): Float64Array {
    if (this.#degrees === null) {
      const d = new Float64Array(this.n);
      for (let e = 0; e < this.m; e++) {
        d[this.u[e]] += this.w[e];
        d[this.v[e]] += this.w[e];
      }
      this.#degrees = d;
    }
    return this.#degrees;
  }

  /** Total edge weight Σ_e w_e (= trace(L) / 2). */
  totalWeight(): number {
    let s = 0;
    for (let e = 0; e < this.m; e++) s += this.w[e];
    return s;
  }

  /** CSR adjacency with both directions of every edge (2m entries), neighbours ascending
   *  within each row. Cached; treat as read-only. */
  csr(): GraphCsr {
    if (this.#csr === null) {
      const n = this.n, m = this.m;
      const rowPtr = new Int32Array(n + 1);
      for (let e = 0; e < m; e++) {
        rowPtr[this.u[e] + 1]++;
        rowPtr[this.v[e] + 1]++;
      }
      for (let i = 0; i < n; i++) rowPtr[i + 1] += rowPtr[i];
      const next = rowPtr.slice(0, n);
      const col = new Int32Array(2 * m), val = new Float64Array(2 * m), edge = new Int32Array(2 * m);
      // In edge order, row i receives first its neighbours j < i (as the v of edges (j, i),
      // ascending in j), then those j > i (edges (i, j), ascending): each row comes out sorted.
      for (let e = 0; e < m; e++) {
        const a = this.u[e], b = this.v[e];
        let p = next[a]++;
        col[p] = b;
        val[p] = this.w[e];
        edge[p] = e;
        p = next[b]++;
        col[p] = a;
        val[p] = this.w[e];
        edge[p] = e;
      }
      this.#csr = { rowPtr, col, val, edge };
    }
    return this.#csr;
  }

  /** Connected components (breadth-first search over the CSR). Cached. */
  components(): GraphComponents {
    if (this.#components === null) {
      const n = this.n;
      const { rowPtr, col } = this.csr();
      const labels = new Int32Array(n).fill(-1);
      const queue = new Int32Array(n);
      const sizes: number[] = [];
      let count = 0;
      for (let s = 0; s < n; s++) {
        if (labels[s] >= 0) continue;
        let head = 0, tail = 0;
        queue[tail++] = s;
        labels[s] = count;
        while (head < tail) {
          const i = queue[head++];
          for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
            const j = col[p];
            if (labels[j] < 0) {
              labels[j] = count;
              queue[tail++] = j;
            }
          }
        }
        sizes.push(tail);
        count++;
      }
      this.#components = { count, labels, sizes: Int32Array.from(sizes) };
    }
    return this.#components;
  }

  /** The dense Laplacian L = D − A as an n×n Matrix (a test oracle and a tool for small
   *  graphs). ShapeError when n > 4096 (the matrix would take more than 128 MiB). */
  laplacianDense(): Matrix {
    const n = this.n;
    if (n > MAX_DENSE_NODES) throw new ShapeError(`Graph.laplacianDense: n = ${n} is above ${MAX_DENSE_NODES}; the dense Laplacian is meant for small graphs (use a LaplacianSolver for products and solves)`);
    const L = new Matrix(n, n);
    const d = this.degrees();
    for (let i = 0; i < n; i++) L.data[i * n + i] = d[i];
    for (let e = 0; e < this.m; e++) {
      const a = this.u[e], b = this.v[e];
      L.data[a * n + b] -= this.w[e];
      L.data[b * n + a] -= this.w[e];
    }
    return L;
  }
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return x !== null && typeof x === "object" && typeof (x as ArrayLike<number>).length === "number";
}

function typeName(x: unknown): string {
  return x === null ? "null" : Array.isArray(x) ? "an array" : typeof x;
}

function checkId(x: unknown, e: number, which: "u" | "v", n: number): void {
  if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x >= n) {
    throw new ValueError(`Graph.fromEdges: edge ${e} has ${which} = ${String(x)}; node ids must be integers in [0, ${n})`);
  }
}

function checkNodeIds(ids: unknown, where: string): readonly string[] {
  if (!Array.isArray(ids)) throw new ValueError(`${where} must be an array of strings, got ${typeName(ids)}`);
  const seen = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (typeof id !== "string") throw new ValueError(`${where}[${i}] must be a string, got ${typeName(id)}`);
    const before = seen.get(id);
    if (before !== undefined) throw new ValueError(`${where}[${i}] = ${JSON.stringify(id)} repeats nodeIds[${before}]; node ids must be distinct`);
    seen.set(id, i);
  }
  return Object.freeze(ids.slice()) as readonly string[];
}

/** Stable counting sort of the first `len` entries by key[] ∈ [0, n): the positions in sorted
 *  order. With `within`, sorts that order (stable), so a second call refines the first. */
function countingOrder(key: Int32Array, len: number, n: number, within: Int32Array | null): Int32Array {
  const count = new Int32Array(n + 1);
  for (let t = 0; t < len; t++) count[key[t] + 1]++;
  for (let i = 0; i < n; i++) count[i + 1] += count[i];
  const out = new Int32Array(len);
  for (let t = 0; t < len; t++) {
    const e = within === null ? t : within[t];
    out[count[key[e]]++] = e;
  }
  return out;
}
