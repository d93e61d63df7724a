// GSQUEAK: single-pass, distributed spectral sparsification by ridge effective resistances
// (Calandriello, Koutis, Lazaric & Valko, "Improved large-scale graph learning through ridge
// spectral sparsification", ICML 2018, whose text calls the algorithm DiSRe; the dictionary
// mechanics are those of SQUEAK/DISQUEAK, Calandriello, Lazaric & Valko, AISTATS 2017, Alg. 1
// and 2, on the edge kernel). The edges are cut into blocks; each block becomes a leaf
// dictionary (every edge with p̃ = 1 and q = q̄, then one update), and dictionaries are merged
// pairwise along a tree, each merge concatenating two dictionaries and running the update on
// the union — with the union's own sparsifier as the approximation of the union's graph. A
// chain of merges is the streaming sparsifier; a balanced tree runs ⌈log₂ #leaves⌉ rounds on a
// worker pool. Guarantee (per tree node, with high probability): (1−ε)(L_G + γI) ⪯ L_H + γI ⪯
// (1+ε)(L_G + γI) with Σq = O(q̄·d_eff(γ)) copies.
//
// The update (one function, `gsqueakUpdate`, for leaves, merges and the stream):
//   1. the dictionary's sparsifier L_D: entries u–v with weights a·q/(q̄·p̃) (original a);
//   2. r̂_i ≈ b_iᵀ(L_D + γI)⁻¹b_i for every entry, by the JL sketch of resistances.ts (k columns,
//      the √γ·I rows included so that the ridge estimate is unbiased), solved by LaplacianSolver;
//   3. in the engine (graph_dict_update, assembly/graph/gsqueak.ts): τ̃ = (1−ε)·a·r̂,
//      p̃ ← min(τ̃, p̃), q ← Binomial(q, p̃_new/p̃_old), entries with q = 0 dropped.
// Estimator: the "clean" form τ̃ = (1−ε)·a·bᵀ(L_D + γI)⁻¹b (not SQUEAK's kernel form with
// (1+ε)γ inside the inverse): if L_D is an (ε, γ)-sparsifier of the edges it summarises,
// τ/α ≤ τ̃ ≤ τ with α = (1+ε)/(1−ε), so the estimate never overshoots (sizes stay bounded)
// and undershoots by at most α (absorbed by q̄).
//
// Randomness: a tree node covering `count` leaves from leaf `first` draws from the stream
// (seed, nodeStream(first, count)) — the JL signs, then the binomials — so a result depends on
// the edges, the partition, the tree shape and the seed only: bit-identical for any number of
// workers, in every runtime. Node values travel as sparsifier files (codec.ts).
import { getEngine, input, inout, output, type Engine } from "../engine/index.js";
import { GsqConfig, GsqInfo, Status } from "../engine/abi.js";
import { NumericalError, ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { nodeStream } from "../random/streams.js";
import { WorkerPool, InlinePool, type Executor } from "../parallel/pool.js";
import { runMergeTree, type TreeShape, type LeafInput, type MergeInput, type LevelTiming, type TreePlan } from "../parallel/tree.js";
import { Graph } from "./graph.js";
import { LaplacianSolver, type LaplacianPreconditioner } from "./solver.js";
import { sketchResistances, jlVectors, MAX_JL_VECTORS } from "./resistances.js";
import { makeSparsifier, sparsifierGraph, sparsifierCopies, type SparsifierDictionary, type SparsifierParams } from "./sparsifier.js";
import { encodeSparsifier, decodeSparsifier, inspectSparsifierFile } from "./codec.js";
import { Work, yieldToEventLoop, type WorkProgress } from "../core/work.js";

/** Hyper-parameters of every node of a GSQUEAK tree (plain data: sent to workers). */
export interface GsqueakParams {
  /** Nodes of the graph. */
  n: number;
  /** Accuracy ε ∈ (0, 1). */
  eps: number;
  /** Ridge γ ≥ 0. */
  gamma: number;
  /** Copies per edge q̄. */
  qbar: number;
  /** JL columns per update. */
  k: number;
  /** Relative residual of the update's solves. */
  tol: number;
  /** Iterations per column of the update's solves (null: the solver's default). */
  maxIter: number | null;
  /** Whether each leaf runs an update on its own block before it is merged (default true). */
  leafUpdate: boolean;
  /** Preconditioner of the update's solves (LaplacianSolver's; default "auto"). */
  preconditioner: LaplacianPreconditioner;
}

/** The options that set GsqueakParams (shared by `gsqueak`, `Gsqueak` and the CLI). */
export interface GsqueakParamOptions {
  /** Accuracy ε ∈ (0, 1). Default 0.5. */
  eps?: number;
  /** Ridge γ ≥ 0 of the resistances (the learner's regularisation: γ = 1/λ for Laplacian
   *  smoothing (I + λL)f = y). Default 0: an ordinary spectral sparsifier. */
  gamma?: number;
  /** Copies per edge q̄. Default ⌈4·ln n / ε²⌉ (`defaultQbar`). */
  qbar?: number;
  /** JL columns per update. Default ⌈4·ln n / max(ε, 0.5)²⌉ (`jlVectors(n, max(eps, 0.5))`,
   *  16·ln n for ε ≤ 0.5): below ε = 0.5 more columns barely change the sparsifier, whose
   *  accuracy comes from q̄ (on the test graphs, 8·ln n and 44·ln n columns at ε = 0.3 gave
   *  errors of 0.17 and 0.14). */
  k?: number;
  /** Relative residual of the solves of an update. Default 1e-3. */
  tol?: number;
  /** Iterations per column of those solves. Default: LaplacianSolver's. */
  maxIter?: number;
  /** Run an update on each leaf before merging it (default true): leaves shrink before they
   *  are sent, and a one-leaf tree still sparsifies. */
  leafUpdate?: boolean;
  /** Preconditioner of the update's solves (default "auto": LaplacianSolver's choice). */
  preconditioner?: LaplacianPreconditioner;
}

const PARAM_KEYS = ["eps", "gamma", "qbar", "k", "tol", "maxIter", "leafUpdate", "preconditioner"] as const;

/** q̄ = ⌈4·ln n / ε²⌉: the oversampling Laplacians.jl's `sparsify` uses (its matrixConcConst
 *  4 times ln n); the spectral tests of this package meet ε with it, and use ⌈6·ln n/ε²⌉ where
 *  they assert the bound strictly. */
export function defaultQbar(n: number, eps: number): number {
  integer(n, "n", 1);
  if (typeof eps !== "number" || !(eps > 0 && eps < 1)) throw new ValueError(`eps must be in (0, 1), got ${String(eps)}`);
  return Math.max(1, Math.ceil((4 * Math.log(Math.max(n, 2))) / (eps * eps)));
}

/** Validated GSQUEAK parameters for a graph with n nodes. `where` names the caller in errors. */
export function gsqueakParams(n: number, options: GsqueakParamOptions = {}, where = "gsqueak"): GsqueakParams {
  integer(n, `${where}: n (nodes)`, 1, 2 ** 31 - 1);
  const o = options;
  const eps = o.eps ?? 0.5;
  if (typeof eps !== "number" || !(eps > 0 && eps < 1)) throw new ValueError(`${where}: eps must be in the open interval (0, 1), got ${String(eps)}`);
  const gamma = o.gamma ?? 0;
  if (typeof gamma !== "number" || !(gamma >= 0 && gamma < Infinity)) throw new ValueError(`${where}: gamma must be a finite number ≥ 0, got ${String(gamma)}`);
  const qbar = o.qbar === undefined ? defaultQbar(n, eps) : integer(o.qbar, `${where}: qbar`, 1, 2 ** 31 - 1);
  const k = o.k === undefined ? jlVectors(n, Math.max(eps, 0.5)) : integer(o.k, `${where}: k`, 1, MAX_JL_VECTORS);
  const tol = o.tol ?? 1e-3;
  if (typeof tol !== "number" || !(tol > 0 && tol < Infinity)) throw new ValueError(`${where}: tol must be a finite number > 0, got ${String(tol)}`);
  const maxIter = o.maxIter === undefined ? null : integer(o.maxIter, `${where}: maxIter`, 1, 2 ** 31 - 1);
  const leafUpdate = o.leafUpdate ?? true;
  if (typeof leafUpdate !== "boolean") throw new ValueError(`${where}: leafUpdate must be true or false, got ${String(leafUpdate)}`);
  const preconditioner = o.preconditioner ?? "auto";
  if (typeof preconditioner !== "string") throw new ValueError(`${where}: preconditioner must be a name such as "auto" or "jacobi", got ${String(preconditioner)}`);
  return { n, eps, gamma, qbar, k, tol, maxIter, leafUpdate, preconditioner };
}

/** The default block (leaf) size for n nodes: max(4096, ⌈(1−ε)·q̄·n⌉) edges — about the
 *  expected number of copies a sparsifier keeps at γ = 0, so that an update runs on at most
 *  about twice a dictionary (the rule of the paper's streaming variant). A function of the
 *  parameters only, never of the number of workers. */
export function defaultBlockSize(params: Pick<GsqueakParams, "n" | "eps" | "qbar">): number {
  return Math.max(4096, Math.ceil((1 - params.eps) * params.qbar * params.n));
}

/** A block of input edges (a tree leaf): edge t joins u[t] and v[t] with weight w[t] (unit
 *  weights when w is null) and is edge `start + t` of the whole input. */
export interface GsqueakBlock {
  /** First endpoint of each edge. */
  u: Int32Array;
  /** Second endpoint of each edge. */
  v: Int32Array;
  /** Weight of each edge (finite, > 0), or null for unit weights. */
  w: Float64Array | null;
  /** Position of the block's first edge in the input. */
  start: number;
}

/** Mutable entry arrays of a dictionary being updated. */
interface Entries {
  u: Int32Array;
  v: Int32Array;
  a: Float64Array;
  p: Float64Array;
  q: Int32Array;
  index: Float64Array;
}

/** What one update did. */
export interface GsqueakUpdateStats {
  /** Entries before and after. */
  before: number;
  /** Entries after the update. */
  after: number;
  /** Σ q after. */
  copies: number;
  /** Horvitz–Thompson estimate of d_eff(γ) of the edges summarised. */
  deff: number;
  /** Most iterations of the solve's columns. */
  iterations: number;
  /** Whether every column of the solve reached the tolerance. */
  converged: boolean;
}

/**
 * One GSQUEAK update of a list of entries (the union of two dictionaries, or a leaf): JL
 * resistances in the entries' own sparsifier L_D + γI, then τ̃ = (1−ε)·a·r̂, p̃ ← min(τ̃, p̃),
 * q ← Binomial(q, p̃_new/p̃_old) in the engine, entries with q = 0 dropped. Draws from `rng`:
 * the JL signs ((m_D + (γ > 0 ? n : 0))·⌈k/64⌉ words, m_D the distinct edges of L_D), then one
 * binomial per entry whose p̃ fell. `tauOut` receives the estimates τ̃ of the entries before
 * thinning. @internal
 */
export function gsqueakUpdate(e: Entries, params: GsqueakParams, rng: Rng, opts: { signal?: AbortSignal; tauOut?: Float64Array } = {}): { entries: Entries; stats: GsqueakUpdateStats } {
  const s = e.u.length;
  if (s === 0) return { entries: e, stats: { before: 0, after: 0, copies: 0, deff: 0, iterations: 0, converged: true } };
  const { n, qbar, gamma, k } = params;
  // 1. The dictionary's sparsifier: weights from the original a, never compounded.
  const w = new Float64Array(s);
  for (let i = 0; i < s; i++) w[i] = (e.a[i] * e.q[i]) / (qbar * e.p[i]);
  const gd = Graph.fromEdges(e.u, e.v, w, { n });
  // 2. r̂_i·k = Σ_j (Z_u − Z_v)² with Z = (L_D + γI)⁻¹·Y.
  const solver = new LaplacianSolver(gd, {
    shift: gamma, tol: params.tol, preconditioner: params.preconditioner, ...(params.maxIter !== null ? { maxIter: params.maxIter } : {}),
  });
  let sketch;
  try {
    sketch = sketchResistances(solver, gamma, e.u, e.v, k, rng, { signal: opts.signal });
  } finally {
    solver.dispose();
  }
  // 3. τ̃, min-update, binomial thinning, compaction.
  const eng: Engine = getEngine();
  const cfg = new Float64Array(GsqConfig.SLOTS);
  cfg[GsqConfig.EPS] = params.eps;
  cfg[GsqConfig.QBAR] = qbar;
  cfg[GsqConfig.K] = k;
  const call = eng.call("graph_dict_update", {
    cfg: input(cfg), s, u: inout(e.u), v: inout(e.v), a: inout(e.a), p: inout(e.p), q: inout(e.q), idx: inout(e.index),
    rsum: input(sketch.sums), rng: rng.stateBuffer, info: output(GsqInfo.SLOTS), tauOut: opts.tauOut ? output(s, opts.tauOut) : null,
  });
  if (call.ret === Status.NON_FINITE) throw new NumericalError("gsqueak: a resistance estimate is not finite (the solve broke down; check the weights for extreme values)");
  if (call.ret !== Status.OK) throw new ValueError("gsqueak: the engine rejected the dictionary (a bug in seqlearn's validation)");
  const info = call.output("info");
  const live = info[GsqInfo.LIVE];
  const out: Entries = {
    u: e.u.slice(0, live), v: e.v.slice(0, live), a: e.a.slice(0, live), p: e.p.slice(0, live), q: e.q.slice(0, live), index: e.index.slice(0, live),
  };
  return {
    entries: out,
    stats: { before: s, after: live, copies: info[GsqInfo.COPIES], deff: info[GsqInfo.DEFF], iterations: sketch.iterations, converged: sketch.converged },
  };
}

function dictParams(p: GsqueakParams, seed: number, edges: number, deff: number | null): SparsifierParams {
  return { n: p.n, eps: p.eps, gamma: p.gamma, qbar: p.qbar, k: p.k, tol: p.tol, seed, edges, deff };
}

/** Validate a block's edges (ids in [0, n), weights finite and > 0) and return its entries
 *  (self-loops dropped). */
function leafEntries(block: GsqueakBlock, params: GsqueakParams, where: string): Entries {
  if (block === null || typeof block !== "object") throw new ValueError(`${where}: a block must be { u, v, w, start }`);
  const { u, v, w } = block;
  if (!(u instanceof Int32Array) || !(v instanceof Int32Array)) throw new ShapeError(`${where}: block.u and block.v must be Int32Arrays`);
  if (u.length !== v.length) throw new ShapeError(`${where}: block.u has ${u.length} entries but block.v has ${v.length}`);
  if (w !== null && w !== undefined && (!(w instanceof Float64Array) || w.length !== u.length)) throw new ShapeError(`${where}: block.w must be null or a Float64Array of length ${u.length}`);
  const start = integer(block.start, `${where}: block.start`, 0, Number.MAX_SAFE_INTEGER - u.length);
  const n = params.n, len = u.length;
  let kept = 0;
  for (let t = 0; t < len; t++) {
    const x = u[t], y = v[t];
    if (!(x >= 0 && x < n) || !(y >= 0 && y < n)) throw new ValueError(`${where}: edge ${start + t} (${x}, ${y}) has a node id outside [0, n = ${n})`);
    const wt = w ? w[t] : 1;
    if (!(wt > 0 && wt < Infinity)) throw new ValueError(`${where}: edge ${start + t} (${x}, ${y}) has weight ${wt}; weights must be finite and > 0`);
    if (x !== y) kept++;
  }
  const e: Entries = {
    u: new Int32Array(kept), v: new Int32Array(kept), a: new Float64Array(kept), p: new Float64Array(kept).fill(1),
    q: new Int32Array(kept).fill(params.qbar), index: new Float64Array(kept),
  };
  let i = 0;
  for (let t = 0; t < len; t++) {
    if (u[t] === v[t]) continue;
    e.u[i] = u[t];
    e.v[i] = v[t];
    e.a[i] = w ? w[t] : 1;
    e.index[i] = start + t;
    i++;
  }
  return e;
}

/** A leaf dictionary (LEAF of the tree): the block's edges with p̃ = 1 and q = q̄ (exact: its
 *  sparsifier is the block's graph), then — with params.leafUpdate — one update drawn from the
 *  stream (seed, stream); for leaf i of a tree, stream = nodeStream(i, 1). Throws ValueError
 *  naming the edge for an id outside [0, n) or a weight that is not finite and > 0. */
export function gsqueakLeaf(block: GsqueakBlock, params: GsqueakParams, seed: number, stream: number, opts: { signal?: AbortSignal } = {}): SparsifierDictionary {
  let e = leafEntries(block, params, "gsqueakLeaf");
  let deff: number | null = null;
  if (params.leafUpdate && e.u.length > 0) {
    const rng = new Rng(seed, stream);
    try {
      const r = gsqueakUpdate(e, params, rng, opts);
      e = r.entries;
      deff = r.stats.deff;
    } finally {
      rng.dispose();
    }
  }
  return makeSparsifier({ params: dictParams(params, seed, block.u.length, deff), ...e });
}

/** Check that two dictionaries can be merged under `params` (same n, ε, γ, q̄, k, tol;
 *  disjoint edge positions). */
export function checkMergeable(x: SparsifierDictionary, y: SparsifierDictionary, params: GsqueakParams): void {
  for (const [d, name] of [[x, "left"], [y, "right"]] as const) {
    if (d === null || typeof d !== "object" || !d.params || !(d.u instanceof Int32Array)) throw new ValueError(`${name} must be a sparsifier dictionary (a GSQUEAK leaf or merge, or a decoded sparsifier file)`);
    for (const key of ["n", "eps", "gamma", "qbar", "k", "tol"] as const) {
      if (d.params[key] !== params[key]) throw new ValueError(`cannot merge: the ${name} dictionary was built with ${key} = ${d.params[key]}, this merge uses ${key} = ${params[key]}`);
    }
  }
  // Disjoint edge positions: both lists are usually increasing (leaves number edges in input
  // order); sort copies otherwise.
  const a = isIncreasing(x.index) ? x.index : x.index.slice().sort();
  const b = isIncreasing(y.index) ? y.index : y.index.slice().sort();
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) throw new ValueError(`cannot merge: both dictionaries hold input edge ${a[i]} (the blocks of a GSQUEAK tree must be disjoint)`);
    if (a[i] < b[j]) i++;
    else j++;
  }
}

function isIncreasing(x: Float64Array): boolean {
  for (let i = 1; i < x.length; i++) if (!(x[i] > x[i - 1])) return false;
  return true;
}

/** MERGE then UPDATE: the concatenation of two dictionaries (left's entries first), updated
 *  with randomness from the stream (seed, stream); in a tree, stream = nodeStream(first, count)
 *  of the leaves the merged node covers. */
export function gsqueakMerge(x: SparsifierDictionary, y: SparsifierDictionary, params: GsqueakParams, seed: number, stream: number, opts: { signal?: AbortSignal } = {}): SparsifierDictionary {
  checkMergeable(x, y, params);
  const cat = <T extends Int32Array | Float64Array>(p: T, q: T, C: new (len: number) => T): T => {
    const out = new C(p.length + q.length);
    out.set(p);
    out.set(q, p.length);
    return out;
  };
  let e: Entries = {
    u: cat(x.u, y.u, Int32Array), v: cat(x.v, y.v, Int32Array), a: cat(x.a, y.a, Float64Array),
    p: cat(x.p, y.p, Float64Array), q: cat(x.q, y.q, Int32Array), index: cat(x.index, y.index, Float64Array),
  };
  let deff: number | null = null;
  if (e.u.length > 0) {
    const rng = new Rng(seed, stream);
    try {
      const r = gsqueakUpdate(e, params, rng, opts);
      e = r.entries;
      deff = r.stats.deff;
    } finally {
      rng.dispose();
    }
  }
  return makeSparsifier({ params: dictParams(params, seed, x.params.edges + y.params.edges, deff), ...e });
}

/** Task name of a GSQUEAK leaf in the package's task table. */
export const GSQUEAK_LEAF_TASK = "seqlearn.gsqueak.leaf";
/** Task name of a GSQUEAK merge in the package's task table. */
export const GSQUEAK_MERGE_TASK = "seqlearn.gsqueak.merge";

/** The GSQUEAK leaf task (GSQUEAK_LEAF_TASK): a block's dictionary, as a sparsifier file. A
 *  leaf input without a stream id is leaf `node` of a tree. */
export function gsqueakLeafTask(inp: LeafInput<GsqueakBlock, GsqueakParams>): Uint8Array {
  return encodeSparsifier(gsqueakLeaf(inp.leaf, inp.params, inp.seed, inp.stream ?? nodeStream(inp.node, 1)));
}

/** The GSQUEAK merge task (GSQUEAK_MERGE_TASK): two sparsifier files merged, as a file. */
export function gsqueakMergeTask(inp: MergeInput<Uint8Array, GsqueakParams>): Uint8Array {
  return encodeSparsifier(gsqueakMerge(decodeSparsifier(inp.left), decodeSparsifier(inp.right), inp.params, inp.seed, inp.stream));
}

/** Edges in stream order (duplicates allowed: each is its own entry; self-loops are dropped). */
export interface EdgeArrays {
  /** Number of nodes: ids are in [0, n). */
  n: number;
  /** First endpoint of each edge. */
  u: ArrayLike<number>;
  /** Second endpoint of each edge. */
  v: ArrayLike<number>;
  /** Weight of each edge (finite, > 0); unit weights when absent or null. */
  w?: ArrayLike<number> | null;
}

/** Options of `gsqueak`. */
export interface GsqueakOptions extends GsqueakParamOptions {
  /** Root seed; a tree node covering `count` leaves from leaf `first` on draws from the stream
   *  (seed, nodeStream(first, count)). Default 0. */
  seed?: number;
  /** Edges per leaf (contiguous blocks in input order; the last may be shorter). Default
   *  `defaultBlockSize(params)`. */
  blockSize?: number;
  /** Explicit block sizes (summing to the number of edges), instead of blockSize. */
  partition?: readonly number[];
  /** Merge-tree shape: "balanced" (default), "chain" (the streaming sparsifier), or explicit
   *  merges (see planTree). */
  shape?: TreeShape;
  /** Where to run: a pool you own (not closed by this call). */
  pool?: Executor;
  /** Worker threads of a pool created (and closed) for this call; 0 runs in this thread.
   *  Default: the available cores. */
  workers?: number;
  /** Cancels the call (pending and running tasks). */
  signal?: AbortSignal;
  /** Called as each tree node completes, with the size of its dictionary. */
  onProgress?: (info: GsqueakTreeProgress) => void;
}

/** What `gsqueak`'s onProgress receives as each tree node completes. */
export interface GsqueakTreeProgress {
  /** The node's id (leaves 0..k−1, then the merges). */
  node: number;
  /** Its level (0 = leaves). */
  level: number;
  /** Nodes completed so far, this one included. */
  done: number;
  /** Nodes in the tree. */
  total: number;
  /** Entries in the node's dictionary. */
  size: number;
  /** Bytes of the node's sparsifier file (what moves between workers). */
  bytes: number;
}

/** What `gsqueak` returns. */
export interface GsqueakResult {
  /** The sparsifier H: the input's nodes, the kept edges with weights a·q/(q̄·p̃) (node ids
   *  kept when the input is a Graph with ids). */
  graph: Graph;
  /** The root's dictionary (write it with encodeSparsifier). */
  dictionary: SparsifierDictionary;
  /** The parameters every node used (defaults resolved). */
  params: GsqueakParams;
  /** Σ q of the root. */
  copies: number;
  /** The root update's estimate of d_eff(γ) of the whole input (null for a single exact
   *  leaf). */
  deff: number | null;
  /** The merge tree that ran. */
  plan: TreePlan;
  /** Per tree level: nodes, wall time and summed compute time (ms). */
  levels: LevelTiming[];
  /** Wall time of the whole call (ms). */
  wallMs: number;
}

const GSQUEAK_KEYS = [...PARAM_KEYS, "seed", "blockSize", "partition", "shape", "pool", "workers", "signal", "onProgress"] as const;

/** Cut edges into contiguous blocks (copies). Ids that are not integers in the 32-bit range
 *  are a ValueError naming the edge (the leaves check the range [0, n)). */
export function edgeBlocks(edges: EdgeArrays, sizes: readonly number[]): GsqueakBlock[] {
  const blocks: GsqueakBlock[] = [];
  let start = 0;
  for (const s of sizes) {
    const u = new Int32Array(s), v = new Int32Array(s);
    const w = edges.w ? new Float64Array(s) : null;
    for (let t = 0; t < s; t++) {
      const x = edges.u[start + t], y = edges.v[start + t];
      if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x > 2 ** 31 - 1 || y > 2 ** 31 - 1) {
        throw new ValueError(`gsqueak: edge ${start + t} (${String(x)}, ${String(y)}) has a node id outside [0, n = ${edges.n})`);
      }
      u[t] = x;
      v[t] = y;
      if (w) w[t] = edges.w![start + t];
    }
    blocks.push({ u, v, w, start });
    start += s;
  }
  return blocks;
}

/** Sizes of contiguous blocks of `m` edges cut every `blockSize` (at least one block). */
export function blockSizes(m: number, blockSize: number): number[] {
  integer(m, "m", 0);
  integer(blockSize, "blockSize", 1);
  const out: number[] = [];
  for (let s = 0; s < m; s += blockSize) out.push(Math.min(blockSize, m - s));
  if (out.length === 0) out.push(0);
  return out;
}

/**
 * GSQUEAK spectral sparsification of a graph (or of edges in stream order) on a merge tree:
 * leaves are contiguous blocks of edges, merges run the shared update (see the top of this
 * file). The result H satisfies (1−ε)(L_G + γI) ⪯ L_H + γI ⪯ (1+ε)(L_G + γI) with high
 * probability and keeps Σq ≈ (1−ε)·q̄·d_eff(γ) copies; it depends only on the edges, the
 * partition, the tree shape and the seed — never on the number of workers. Cost per node of
 * size s: k block-solve columns on a graph of s edges (see effectiveResistances); the
 * ⌈log₂ #leaves⌉ levels of a balanced tree run in parallel on the pool.
 *
 * @example
 * const g = erdosRenyi(300, 0.5, { seed: 1 });
 * const { graph, copies } = await gsqueak(g, { eps: 0.5, seed: 7, workers: 0 });
 */
export async function gsqueak(input: Graph | EdgeArrays, options: GsqueakOptions = {}): Promise<GsqueakResult> {
  const o = checkOptions<GsqueakOptions>(options, "gsqueak", GSQUEAK_KEYS);
  let edges: EdgeArrays;
  let nodeIds: readonly string[] | null = null;
  if (input instanceof Graph) {
    edges = { n: input.n, u: input.u, v: input.v, w: input.w };
    nodeIds = input.nodeIds;
  } else {
    if (input === null || typeof input !== "object" || typeof (input as EdgeArrays).n !== "number") throw new ValueError("gsqueak: input must be a Graph or { n, u, v, w } edge arrays");
    edges = input;
    if (!isArrayLike(edges.u) || !isArrayLike(edges.v) || edges.u.length !== edges.v.length) throw new ShapeError("gsqueak: u and v must be arrays of the same length");
    if (edges.w !== undefined && edges.w !== null && (!isArrayLike(edges.w) || edges.w.length !== edges.u.length)) throw new ShapeError(`gsqueak: w must have one weight per edge (${edges.u.length})`);
  }
  const params = gsqueakParams(edges.n, o, "gsqueak");
  const seed = checkSeed(o.seed ?? 0, "gsqueak: seed");
  const m = edges.u.length;
  let sizes: number[];
  if (o.partition !== undefined) {
    if (o.blockSize !== undefined) throw new ValueError("gsqueak: give blockSize or partition, not both");
    if (!Array.isArray(o.partition) || o.partition.length === 0) throw new ValueError("gsqueak: partition must be a non-empty array of block sizes");
    sizes = o.partition.map((x, i) => integer(x, `gsqueak: partition[${i}]`, 0));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== m) throw new ValueError(`gsqueak: partition sizes sum to ${total}, but there are ${m} edges`);
  } else {
    sizes = blockSizes(m, o.blockSize === undefined ? defaultBlockSize(params) : integer(o.blockSize, "gsqueak: blockSize", 1));
  }
  const leaves = edgeBlocks(edges, sizes);
  let pool: Executor;
  let own: WorkerPool | null = null;
  if (o.pool) pool = o.pool;
  else if (o.workers === 0) pool = new InlinePool({ [GSQUEAK_LEAF_TASK]: gsqueakLeafTask, [GSQUEAK_MERGE_TASK]: gsqueakMergeTask });
  else {
    own = await WorkerPool.create(o.workers === undefined ? {} : { size: integer(o.workers, "gsqueak: workers", 0, 1024) });
    pool = own;
  }
  try {
    const r = await runMergeTree<GsqueakBlock, Uint8Array, GsqueakParams>(pool, {
      leaves, leafTask: GSQUEAK_LEAF_TASK, mergeTask: GSQUEAK_MERGE_TASK, shape: o.shape ?? "balanced", seed, params,
      signal: o.signal,
      onNode: o.onProgress ? (e) => {
        const value = e.value as Uint8Array;
        o.onProgress!({ node: e.node, level: e.level, done: e.done, total: e.total, size: inspectSparsifierFile(value).size, bytes: value.length });
      } : undefined,
      leafCost: (b) => b.u.length,
    });
    const dictionary = decodeSparsifier(r.value);
    return {
      graph: sparsifierGraph(dictionary, nodeIds), dictionary, params, copies: sparsifierCopies(dictionary), deff: dictionary.params.deff,
      plan: r.plan, levels: r.levels, wallMs: r.wallMs,
    };
  } finally {
    await own?.close();
  }
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return x !== null && typeof x === "object" && typeof (x as ArrayLike<number>).length === "number";
}

/** Options of the streaming sparsifier `Gsqueak`. */
export interface GsqueakStreamOptions extends GsqueakParamOptions {
  /** Number of nodes: every id must be in [0, n). Required (q̄'s default depends on it). */
  n: number;
  /** Root seed (the chain's node over leaves 0..t draws from (seed, nodeStream(0, t + 1)),
   *  leaf t from (seed, nodeStream(t, 1))). Default 0. */
  seed?: number;
  /** Edges per block: a block is merged into the dictionary when it is full. Default
   *  `defaultBlockSize(params)`. */
  blockSize?: number;
  /** Checked between blocks and between chunks of each solve (the reason is thrown). */
  signal?: AbortSignal;
  /** Called after each block is merged. */
  onProgress?: (p: GsqueakProgress) => void;
}

/** Progress of a streaming sparsifier, after each block: `done` counts the edges pushed (unit
 *  "edges"; `total` is null, a stream's length being unknown). */
export interface GsqueakProgress extends WorkProgress {
  /** Edges pushed so far (= done). */
  edges: number;
  /** Blocks merged so far. */
  blocks: number;
  /** Entries of the dictionary. */
  entries: number;
  /** Σ q of the dictionary. */
  copies: number;
}

const STREAM_KEYS = [...PARAM_KEYS, "n", "seed", "blockSize", "signal", "onProgress"] as const;

/**
 * The streaming GSQUEAK sparsifier: push edges in batches of any size; every `blockSize` edges
 * the block becomes a leaf and is merged into the dictionary (one update on the union) — a
 * chain merge tree, so the result equals `gsqueak(sameEdges, { shape: "chain", blockSize })`
 * bit for bit, however the pushes are split. Memory: the dictionary (O(q̄·d_eff) entries of 36
 * bytes) and one block, never the whole input. `dictionary()` is an any-time snapshot.
 *
 * @example
 * const s = new Gsqueak({ n: 300, eps: 0.5, blockSize: 20000, seed: 1 });
 * for (const batch of batches) s.push(batch);
 * const h = s.finish();            // the sparsifier's dictionary; s.dictionary() its Graph
 */
export class Gsqueak {
  /** The parameters (defaults resolved). */
  readonly params: GsqueakParams;
  /** The root seed. */
  readonly seed: number;
  /** Edges per block. */
  readonly blockSize: number;
  #dict: SparsifierDictionary | null = null;
  #bu: Int32Array;
  #bv: Int32Array;
  #bw: Float64Array;
  #fill = 0;
  #edges = 0;
  #blocks = 0;
  #finished = false;
  #lastDeff: number | null = null;
  readonly #signal: AbortSignal | undefined;
  readonly #work: Work;

  /** A streaming sparsifier for a graph on n nodes. Throws ValueError for a bad option (an
   *  unknown key names the closest valid one). */
  constructor(options: GsqueakStreamOptions) {
    if (options === null || typeof options !== "object") throw new ValueError("Gsqueak: options { n, eps, ... } are required");
    const o = checkOptions<GsqueakStreamOptions>(options, "Gsqueak", STREAM_KEYS);
    if (o.n === undefined) throw new ValueError("Gsqueak: n (the number of nodes) is required");
    this.params = gsqueakParams(o.n, o, "Gsqueak");
    this.seed = checkSeed(o.seed ?? 0, "Gsqueak: seed");
    this.blockSize = o.blockSize === undefined ? defaultBlockSize(this.params) : integer(o.blockSize, "Gsqueak: blockSize", 1, 2 ** 28);
    const cap = Math.min(this.blockSize, 1 << 16);
    this.#bu = new Int32Array(cap);
    this.#bv = new Int32Array(cap);
    this.#bw = new Float64Array(cap);
    this.#work = new Work({ signal: o.signal, onProgress: o.onProgress }, null, "edges", () => {
      const d = this.#dict;
      const facts: Record<string, number> = { edges: this.#edges, blocks: this.#blocks, entries: d?.size ?? 0, copies: d ? sparsifierCopies(d) : 0 };
      return facts;
    });
    this.#signal = o.signal;
  }

  /** Edges pushed so far (self-loops included). */
  get edges(): number {
    return this.#edges;
  }

  /** Blocks merged into the dictionary so far. */
  get blocks(): number {
    return this.#blocks;
  }

  /** Push edges: `push(u, v, w?)` with arrays of node ids (and weights), or `push(batch)` with
   *  `{ u, v, w }` (e.g. an EdgeBatch of streamEdges). Full blocks are merged right away
   *  (synchronously). Throws ValueError naming the edge's position in the stream for an id
   *  outside [0, n) or a weight that is not finite and > 0 (the edges before it in the same
   *  call are kept). */
  push(u: ArrayLike<number> | { u: ArrayLike<number>; v: ArrayLike<number>; w?: ArrayLike<number> | null }, v?: ArrayLike<number>, w?: ArrayLike<number> | null): void {
    if (this.#finished) throw new ValueError("Gsqueak.push: the stream was finished; create a new Gsqueak");
    let uu: ArrayLike<number>, vv: ArrayLike<number>, ww: ArrayLike<number> | null | undefined;
    if (v === undefined && u !== null && typeof u === "object" && "u" in u && "v" in u) {
      uu = u.u;
      vv = u.v;
      ww = u.w;
    } else {
      uu = u as ArrayLike<number>;
      vv = v as ArrayLike<number>;
      ww = w;
    }
    if (!isArrayLike(uu) || !isArrayLike(vv)) throw new ShapeError("Gsqueak.push: expected arrays u and v (or one { u, v, w } batch)");
    if (uu.length !== vv.length) throw new ShapeError(`Gsqueak.push: u has ${uu.length} entries but v has ${vv.length}`);
    if (ww !== undefined && ww !== null && (!isArrayLike(ww) || ww.length !== uu.length)) throw new ShapeError(`Gsqueak.push: w must have one weight per edge (${uu.length})`);
    const n = this.params.n;
    for (let t = 0; t < uu.length; t++) {
      const x = uu[t], y = vv[t], wt = ww ? ww[t] : 1;
      if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x >= n || typeof y !== "number" || !Number.isInteger(y) || y < 0 || y >= n) {
        throw new ValueError(`Gsqueak.push: edge ${this.#edges} (${String(x)}, ${String(y)}) has a node id outside [0, n = ${n})`);
      }
      if (typeof wt !== "number" || !(wt > 0 && wt < Infinity)) throw new ValueError(`Gsqueak.push: edge ${this.#edges} (${x}, ${y}) has weight ${String(wt)}; weights must be finite and > 0`);
      if (this.#fill === this.#bu.length) this.#grow();
      this.#bu[this.#fill] = x;
      this.#bv[this.#fill] = y;
      this.#bw[this.#fill] = wt;
      this.#fill++;
      this.#edges++;
      if (this.#fill === this.blockSize) this.#merge();
    }
  }

  /** Push every batch of an async (or sync) iterable, e.g. `streamEdges(file, { n })`;
   *  yields to the event loop between batches, so that `signal` can stop it (the edges pushed
   *  before stay pushed). */
  async pushAll(batches: AsyncIterable<{ u: ArrayLike<number>; v: ArrayLike<number>; w?: ArrayLike<number> | null }> | Iterable<{ u: ArrayLike<number>; v: ArrayLike<number>; w?: ArrayLike<number> | null }>): Promise<void> {
    for await (const b of batches as AsyncIterable<{ u: ArrayLike<number>; v: ArrayLike<number>; w?: ArrayLike<number> | null }>) {
      this.#work.check();
      this.push(b);
      await yieldToEventLoop();
    }
    this.#work.check();
  }

  /** Merge the last, partial block and return the final dictionary. Further pushes throw;
   *  finish() may be called again (same result). */
  finish(): SparsifierDictionary {
    if (!this.#finished) {
      if (this.#fill > 0 || this.#blocks === 0) this.#merge();
      this.#finished = true;
    }
    return this.#dict!;
  }

  /** The dictionary so far (an any-time snapshot: the merged blocks' dictionary plus the
   *  pending block as exact entries with p̃ = 1, q = q̄), without running an update. */
  sparsifier(): SparsifierDictionary {
    const d = this.#dict, f = this.#fill, q = this.params.qbar;
    const base = d ?? null;
    let kept = 0;
    for (let t = 0; t < f; t++) if (this.#bu[t] !== this.#bv[t]) kept++;
    const s = (base?.size ?? 0) + kept;
    const e: Entries = { u: new Int32Array(s), v: new Int32Array(s), a: new Float64Array(s), p: new Float64Array(s), q: new Int32Array(s), index: new Float64Array(s) };
    let i = 0;
    if (base) {
      e.u.set(base.u);
      e.v.set(base.v);
      e.a.set(base.a);
      e.p.set(base.p);
      e.q.set(base.q);
      e.index.set(base.index);
      i = base.size;
    }
    const start = this.#edges - f;
    for (let t = 0; t < f; t++) {
      if (this.#bu[t] === this.#bv[t]) continue;
      e.u[i] = this.#bu[t];
      e.v[i] = this.#bv[t];
      e.a[i] = this.#bw[t];
      e.p[i] = 1;
      e.q[i] = q;
      e.index[i] = start + t;
      i++;
    }
    return makeSparsifier({ params: dictParams(this.params, this.seed, this.#edges, f > 0 ? null : this.#lastDeff), ...e });
  }

  /** The sparsifier so far as a reweighted Graph on the n nodes (see `sparsifier()`). */
  dictionary(): Graph {
    return sparsifierGraph(this.sparsifier());
  }

  #grow(): void {
    const cap = Math.min(this.blockSize, this.#bu.length * 2);
    const u = new Int32Array(cap), v = new Int32Array(cap), w = new Float64Array(cap);
    u.set(this.#bu);
    v.set(this.#bv);
    w.set(this.#bw);
    this.#bu = u;
    this.#bv = v;
    this.#bw = w;
  }

  /** The pending block becomes leaf t and is merged into the chain. */
  #merge(): void {
    this.#signal?.throwIfAborted();
    const t = this.#blocks, f = this.#fill;
    const block: GsqueakBlock = { u: this.#bu.slice(0, f), v: this.#bv.slice(0, f), w: this.#bw.slice(0, f), start: this.#edges - f };
    const leaf = gsqueakLeaf(block, this.params, this.seed, nodeStream(t, 1), { signal: this.#signal });
    this.#dict = t === 0 ? leaf : gsqueakMerge(this.#dict!, leaf, this.params, this.seed, nodeStream(0, t + 1), { signal: this.#signal });
    this.#fill = 0;
    this.#blocks++;
    this.#lastDeff = this.#dict.params.deff;
    this.#work.done = this.#edges;
    this.#work.report();
  }
}
