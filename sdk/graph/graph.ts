// STAND-IN for the `Graph` class of the graph work package G1 (GRAPH.md, "Shared data model"):
// only what the readers and generators of G2 need, written against the shared API so that G2
// compiles and its tests run on its own branch. The coordinator keeps G1's sdk/graph/graph.ts
// on merge; nothing in G2 depends on anything here beyond that API.
import { ValueError } from "../core/errors.js";

/** Counts of what `Graph.fromEdges` did to its input edges. */
export interface GraphStats {
  /** Edges given (before dropping self-loops and merging duplicates). */
  inputEdges: number;
  /** Self-loops (u = v) dropped. */
  selfLoops: number;
  /** Input edges merged into an earlier edge with the same endpoints (weights summed). */
  duplicatesMerged: number;
}

/** The plain-data parts of a graph (structured-cloneable, for workers and codecs). */
export interface GraphParts {
  /** Number of nodes. */
  n: number;
  /** Smaller endpoint of each edge. */
  u: Int32Array;
  /** Larger endpoint of each edge. */
  v: Int32Array;
  /** Weight of each edge (> 0, finite). */
  w: Float64Array;
  /** External node ids, or null. */
  nodeIds: readonly string[] | null;
}

/** A weighted undirected simple graph on nodes 0..n−1 (stand-in; see the file header). */
export class Graph {
  /** Number of nodes. */
  readonly n: number;
  /** Number of undirected edges after merging duplicates. */
  readonly m: number;
  /** Smaller endpoint of each edge; edges sorted by (u, v). */
  readonly u: Int32Array;
  /** Larger endpoint of each edge. */
  readonly v: Int32Array;
  /** Edge weights, each > 0 and finite. */
  readonly w: Float64Array;
  /** External node ids when built from string ids, else null. */
  readonly nodeIds: readonly string[] | null;
  /** What building the graph did to its input. */
  readonly stats: GraphStats;
  private deg: Float64Array | null = null;

  private constructor(n: number, u: Int32Array, v: Int32Array, w: Float64Array, nodeIds: readonly string[] | null, stats: GraphStats) {
    this.n = n;
    this.m = u.length;
    this.u = u;
    this.v = v;
    this.w = w;
    this.nodeIds = nodeIds;
    this.stats = stats;
  }

  /** Build from edge arrays: self-loops dropped and counted, duplicates merged by summing
   *  weights (in input order), edges stored as u < v sorted by (u, v). Missing `w` means unit
   *  weights. ValueError names the first bad edge. */
  static fromEdges(u: ArrayLike<number>, v: ArrayLike<number>, w?: ArrayLike<number> | null, opts: { n?: number; nodeIds?: readonly string[] } = {}): Graph {
    const len = u.length;
    if (v.length !== len) throw new ValueError(`Graph.fromEdges: u has ${len} entries but v has ${v.length}`);
    if (w != null && w.length !== len) throw new ValueError(`Graph.fromEdges: u has ${len} entries but w has ${w.length}`);
    const nodeIds = opts.nodeIds ?? null;
    let n = opts.n ?? (nodeIds ? nodeIds.length : -1);
    if (nodeIds && n !== nodeIds.length) throw new ValueError(`Graph.fromEdges: n = ${n} but nodeIds has ${nodeIds.length} entries`);
    if (n === -1) {
      n = 0;
      for (let e = 0; e < len; e++) {
        const a = u[e], b = v[e];
        if (a >= n) n = a + 1;
        if (b >= n) n = b + 1;
      }
    }
    if (!Number.isInteger(n) || n < 0 || n > 2147483647) throw new ValueError(`Graph.fromEdges: n must be an integer in [0, 2147483647], got ${n}`);
    // canonical endpoints, validated; self-loops dropped
    const cu = new Int32Array(len), cv = new Int32Array(len), cw = new Float64Array(len);
    let k = 0, loops = 0;
    for (let e = 0; e < len; e++) {
      const a = u[e], b = v[e];
      if (!Number.isInteger(a) || a < 0 || a >= n) throw new ValueError(`Graph.fromEdges: u[${e}] = ${a} is not a node id in [0, ${n})`);
      if (!Number.isInteger(b) || b < 0 || b >= n) throw new ValueError(`Graph.fromEdges: v[${e}] = ${b} is not a node id in [0, ${n})`);
      const x = w == null ? 1 : w[e];
      if (!(x > 0 && x < Infinity)) throw new ValueError(`Graph.fromEdges: w[${e}] = ${x}; every weight must be a finite number > 0`);
      if (a === b) {
        loops++;
        continue;
      }
      cu[k] = a < b ? a : b;
      cv[k] = a < b ? b : a;
      cw[k] = x;
      k++;
    }
    // stable counting sort by v, then by u: order (u, v), ties in input order
    const order = sortPairs(cu, cv, k, n);
    const ou = new Int32Array(k), ov = new Int32Array(k), ow = new Float64Array(k);
    let m = 0;
    for (let t = 0; t < k; t++) {
      const e = order[t];
      if (m > 0 && ou[m - 1] === cu[e] && ov[m - 1] === cv[e]) ow[m - 1] += cw[e];
      else {
        ou[m] = cu[e];
        ov[m] = cv[e];
        ow[m] = cw[e];
        m++;
      }
    }
    return new Graph(n, ou.slice(0, m), ov.slice(0, m), ow.slice(0, m), nodeIds ? nodeIds.slice() : null, {
      inputEdges: len,
      selfLoops: loops,
      duplicatesMerged: k - m,
    });
  }

  /** Rebuild from `toParts()` (validated). */
  static fromParts(parts: GraphParts): Graph {
    return Graph.fromEdges(parts.u, parts.v, parts.w, { n: parts.n, ...(parts.nodeIds ? { nodeIds: parts.nodeIds } : {}) });
  }

  /** The plain-data parts (copies). */
  toParts(): GraphParts {
    return { n: this.n, u: this.u.slice(), v: this.v.slice(), w: this.w.slice(), nodeIds: this.nodeIds ? this.nodeIds.slice() : null };
  }

  /** Weighted degree of every node (cached). */
  degrees(): Float64Array {
    if (!this.deg) {
      const d = new Float64Array(this.n);
      for (let e = 0; e < this.m; e++) {
        d[this.u[e]] += this.w[e];
        d[this.v[e]] += this.w[e];
      }
      this.deg = d;
    }
    return this.deg;
  }
}

/** Indices 0..k−1 ordered by (a, b), stably: two counting-sort passes, O(k + n). */
function sortPairs(a: Int32Array, b: Int32Array, k: number, n: number): Int32Array {
  const count = new Int32Array(n + 1);
  const tmp = new Int32Array(k), out = new Int32Array(k);
  for (let e = 0; e < k; e++) count[b[e] + 1]++;
  for (let i = 0; i < n; i++) count[i + 1] += count[i];
  for (let e = 0; e < k; e++) tmp[count[b[e]]++] = e;
  count.fill(0);
  for (let e = 0; e < k; e++) count[a[e] + 1]++;
  for (let i = 0; i < n; i++) count[i + 1] += count[i];
  for (let t = 0; t < k; t++) {
    const e = tmp[t];
    out[count[a[e]]++] = e;
  }
  return out;
}
