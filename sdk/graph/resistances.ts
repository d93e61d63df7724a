// Effective resistances of a graph: exact (dense, for small graphs — the test oracle) and by
// Johnson–Lindenstrauss sketches with one block solve (Spielman & Srivastava, "Graph
// sparsification by effective resistances", SIAM J. Comput. 40(6), 2011, Section 4), for all
// edges or any list of node pairs, with a ridge γ ≥ 0:
//
//   r_γ(u, v) = (χ_u − χ_v)ᵀ (L + γI)⁻¹ (χ_u − χ_v)      (γ = 0: the pseudo-inverse L⁺)
//   τ_e = w_e·r_γ(e)  (edge leverage),   d_eff(γ) = Σ_e τ_e = Σ_i λ_i/(λ_i + γ)  (= n − c at γ = 0)
//
// The sketch (assembly/graph/jl.ts) is Y = Fᵀ Sᵀ with F = [W^{1/2}B ; √γ·I], so that FᵀF = L + γI
// and ‖Z_u − Z_v‖²/k with Z = (L + γI)⁻¹Y is an unbiased estimate of r_γ(u, v) also for γ > 0;
// the solve goes through LaplacianSolver, so the sketch uses whatever preconditioner the
// solver picks. The k columns are solved in blocks of at most 32 (memory n × block), rebuilt
// from one saved generator state each, and their squared differences are summed column after
// column in order: the result depends on the seed and k only, not on the blocking.
import { getEngine, input, output, type Engine, type WasmBuffer } from "../engine/index.js";
import { Status } from "../engine/abi.js";
import { NumericalError, ShapeError, ValueError } from "../core/errors.js";
import { Matrix } from "../core/matrix.js";
import { checkOptions } from "../core/options.js";
import { integer, nonNegative, positive, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { cholesky, choSolve } from "../linalg/index.js";
import { Graph, MAX_DENSE_NODES } from "./graph.js";
import { LaplacianSolver, type LaplacianPreconditioner, type LaplacianSolveProgress } from "./solver.js";

/** How `effectiveResistances` computes: `"exact"` (dense Cholesky of L + γI, or of L plus the
 *  projector onto the constants of each component when γ = 0; n ≤ 4096, O(n³)), `"jl"` (a JL
 *  sketch with k columns and one block solve; any size), or `"auto"` (exact for n ≤ 1000, else
 *  JL). */
export type ResistanceMethod = "auto" | "exact" | "jl";

/** Node pairs: two arrays of node ids, pair t is (u[t], v[t]). */
export interface NodePairs {
  /** First node of each pair. */
  u: ArrayLike<number>;
  /** Second node of each pair. */
  v: ArrayLike<number>;
}

/** Progress of a JL resistance estimate, reported after each block of sketch columns. */
export interface ResistanceProgress {
  /** Sketch columns solved so far. */
  columns: number;
  /** Columns in all (k). */
  k: number;
  /** Products with L + γI the solves have computed so far. */
  products: number;
}

/** Options of `effectiveResistances`. */
export interface ResistanceOptions {
  /** Ridge γ ≥ 0: resistances in L + γI (the ridge resistances of Calandriello, Koutis,
   *  Lazaric & Valko, ICML 2018). Default 0 (the usual effective resistance, via L⁺). */
  gamma?: number;
  /** "auto" (default), "exact" or "jl"; see ResistanceMethod. */
  method?: ResistanceMethod;
  /** The node pairs to estimate, as `{ u, v }` arrays or `[[u, v], …]`. Default: every edge
   *  of the graph, in edge order (then `leverage` and `deff` are reported too). */
  pairs?: NodePairs | ReadonlyArray<readonly [number, number]>;
  /** JL accuracy ε ∈ (0, 1]: k = ⌈4·ln n / ε²⌉ columns (see `jlVectors`). Default 0.5. */
  eps?: number;
  /** JL columns k (overrides eps). */
  k?: number;
  /** Seed of the JL signs (stream 0 of this seed). Default 0. */
  seed?: number;
  /** Relative residual of the block solve (default 1e-3: the JL error dominates). */
  tol?: number;
  /** Iterations per column (default: the solver's). */
  maxIter?: number;
  /** Preconditioner of the solve (default "auto"). */
  preconditioner?: LaplacianPreconditioner;
  /** Stops a JL estimate between chunks of solver iterations (the reason is thrown). */
  signal?: AbortSignal;
  /** Called after each block of JL columns. */
  onProgress?: (p: ResistanceProgress) => void;
}

/** What `effectiveResistances` returns. */
export interface ResistanceResult {
  /** r_γ of each pair (or edge), in order; Infinity for a pair in two different components
   *  when γ = 0, 0 for a pair (u, u). */
  resistances: Float64Array;
  /** Edge leverage τ_e = w_e·r_γ(e) when the pairs are the graph's edges, else null. */
  leverage: Float64Array | null;
  /** d_eff(γ) = Σ_e τ_e (summed in edge order) when the pairs are the edges, else null. */
  deff: number | null;
  /** The method used ("auto" resolved). */
  method: "exact" | "jl";
  /** The ridge γ. */
  gamma: number;
  /** JL columns k (null for exact). */
  k: number | null;
  /** The ε that gave k (null for exact or when k was given). */
  eps: number | null;
  /** Connected components of the graph. */
  components: number;
  /** JL: the most iterations any column took (0 for exact). */
  iterations: number;
  /** JL: whether every column reached the tolerance (true for exact). */
  converged: boolean;
}

const OPTION_KEYS = ["gamma", "method", "pairs", "eps", "k", "seed", "tol", "maxIter", "preconditioner", "signal", "onProgress"] as const;
/** Largest n for which method "auto" computes exactly. */
export const EXACT_AUTO_MAX_NODES = 1000;
/** Most JL columns (each one a solve). */
export const MAX_JL_VECTORS = 1 << 16;
/** Columns per block solve, at most; fewer on very large graphs (the block and the solver's
 *  work take about 6·8·n bytes per column). */
const JL_BLOCK = 32;
const JL_BLOCK_BYTES = 2 ** 28;

/**
 * JL columns for accuracy ε on a graph with n nodes: k = ⌈4·ln n / ε²⌉ (at least 1; ln 2 for
 * n < 2). Each estimate is a scaled χ²_k variable, relative standard deviation √(2/k) =
 * ε/√(2·ln n), so an estimate is off by more than a factor 1 ± ε with probability about 1/n (a
 * normal approximation of the tail) — across the n − 1 … m estimates of a graph, a handful do.
 * Laplacians.jl's `sparsify` uses 4·ln n columns, the ε = 1 case of this rule; Spielman &
 * Srivastava's proof takes 24·ln m/ε² to bound every estimate at once.
 */
export function jlVectors(n: number, eps: number): number {
  integer(n, "n", 0);
  if (typeof eps !== "number" || !(eps > 0 && eps <= 1)) throw new ValueError(`eps must be in (0, 1], got ${String(eps)}`);
  return Math.min(MAX_JL_VECTORS, Math.max(1, Math.ceil((4 * Math.log(Math.max(n, 2))) / (eps * eps))));
}

/**
 * Effective resistances of node pairs (default: every edge), exact or by a JL sketch, with a
 * ridge γ ≥ 0. For the edges it also returns the leverages τ_e = w_e·r_e and their sum
 * d_eff(γ) (n − c at γ = 0, c the number of components: a check of any estimate).
 *
 * Exact (n ≤ 4096): one Cholesky factorisation of L + γI — for γ = 0 of L + P, P the projector
 * onto the constants of each component, whose inverse is L⁺ + P — and the inverse from it:
 * O(n³) time and O(n²) memory. JL: k right-hand sides (k = ⌈4·ln n/ε²⌉ by default) solved in
 * blocks by LaplacianSolver to relative residual `tol`, then O(k) per pair; time about
 * k × (one solve's iterations) × 2m products, memory O(m + n·32). Seeded: the same seed gives
 * the same bits in every runtime.
 *
 * @example
 * const g = Graph.fromEdges([0, 1, 2], [1, 2, 0]);        // a triangle
 * effectiveResistances(g).resistances;                   // [2/3, 2/3, 2/3]
 */
export function effectiveResistances(graph: Graph, options?: ResistanceOptions): ResistanceResult {
  const o = checkOptions<ResistanceOptions>(options, "effectiveResistances", OPTION_KEYS);
  if (!(graph instanceof Graph)) throw new ValueError(`effectiveResistances: graph must be a Graph (build one with Graph.fromEdges), got ${graph === null ? "null" : typeof graph}`);
  const gamma = o.gamma === undefined ? 0 : nonNegative(o.gamma, "effectiveResistances: gamma");
  if (!Number.isFinite(gamma)) throw new ValueError(`effectiveResistances: gamma must be finite, got ${gamma}`);
  const method = o.method ?? "auto";
  if (method !== "auto" && method !== "exact" && method !== "jl") throw new ValueError(`effectiveResistances: method must be "auto", "exact" or "jl", got ${JSON.stringify(method)}`);
  const n = graph.n;
  const pairs = o.pairs === undefined ? null : pairArrays(o.pairs, n, "effectiveResistances: pairs");
  const a = pairs ? pairs.u : graph.u, b = pairs ? pairs.v : graph.v;
  const use = method === "auto" ? (n <= EXACT_AUTO_MAX_NODES ? "exact" : "jl") : method;
  if (o.eps !== undefined && o.k !== undefined) throw new ValueError("effectiveResistances: give eps or k, not both (k = ⌈4·ln n/ε²⌉)");
  if (use === "exact" && (o.k !== undefined || o.eps !== undefined || o.seed !== undefined)) {
    if (method === "exact") throw new ValueError("effectiveResistances: eps, k and seed apply to method \"jl\" only");
  }
  const comps = graph.components();
  let r: Float64Array;
  let k: number | null = null, eps: number | null = null, iterations = 0, converged = true;
  if (use === "exact") {
    r = exactPairs(graph, gamma, a, b);
  } else {
    if (o.k !== undefined) k = integer(o.k, "effectiveResistances: k", 1, MAX_JL_VECTORS);
    else {
      eps = o.eps ?? 0.5;
      if (typeof eps !== "number" || !(eps > 0 && eps <= 1)) throw new ValueError(`effectiveResistances: eps must be in (0, 1], got ${String(eps)}`);
      k = jlVectors(n, eps);
    }
    const seed = checkSeed(o.seed ?? 0, "effectiveResistances: seed");
    const tol = positive(o.tol ?? 1e-3, "effectiveResistances: tol");
    const solver = new LaplacianSolver(graph, { shift: gamma, tol, maxIter: o.maxIter, preconditioner: o.preconditioner });
    const rng = new Rng(seed, 0);
    try {
      const s = sketchResistances(solver, gamma, a, b, k, rng, { signal: o.signal, onProgress: o.onProgress });
      iterations = s.iterations;
      converged = s.converged;
      r = s.sums;
      for (let t = 0; t < r.length; t++) r[t] /= k;
    } finally {
      rng.dispose();
      solver.dispose();
    }
  }
  if (gamma === 0) {
    const lab = comps.labels;
    for (let t = 0; t < r.length; t++) if (lab[a[t]] !== lab[b[t]]) r[t] = Infinity;
  }
  for (let t = 0; t < r.length; t++) if (a[t] === b[t]) r[t] = 0;
  let leverage: Float64Array | null = null, deff: number | null = null;
  if (pairs === null) {
    leverage = new Float64Array(graph.m);
    let s = 0;
    for (let e = 0; e < graph.m; e++) {
      leverage[e] = graph.w[e] * r[e];
      s += leverage[e];
    }
    deff = s;
  }
  return { resistances: r, leverage, deff, method: use, gamma, k, eps, components: comps.count, iterations, converged };
}

/** Pairs as two validated Int32Arrays. */
export function pairArrays(pairs: NodePairs | ReadonlyArray<readonly [number, number]>, n: number, where: string): { u: Int32Array; v: Int32Array } {
  let u: ArrayLike<number>, v: ArrayLike<number>;
  if (Array.isArray(pairs)) {
    const len = pairs.length;
    const uu = new Int32Array(len), vv = new Int32Array(len);
    for (let t = 0; t < len; t++) {
      const p = pairs[t];
      if (!Array.isArray(p) || p.length !== 2) throw new ValueError(`${where}[${t}] must be a pair [u, v] of node ids`);
      uu[t] = checkNode(p[0], n, `${where}[${t}][0]`);
      vv[t] = checkNode(p[1], n, `${where}[${t}][1]`);
    }
    return { u: uu, v: vv };
  }
  if (pairs === null || typeof pairs !== "object" || !isArrayLike((pairs as NodePairs).u) || !isArrayLike((pairs as NodePairs).v)) {
    throw new ValueError(`${where} must be { u, v } (two arrays of node ids) or an array of [u, v] pairs`);
  }
  u = (pairs as NodePairs).u;
  v = (pairs as NodePairs).v;
  if (u.length !== v.length) throw new ShapeError(`${where}: u has ${u.length} entries but v has ${v.length}`);
  const uu = new Int32Array(u.length), vv = new Int32Array(u.length);
  for (let t = 0; t < u.length; t++) {
    uu[t] = checkNode(u[t], n, `${where}.u[${t}]`);
    vv[t] = checkNode(v[t], n, `${where}.v[${t}]`);
  }
  return { u: uu, v: vv };
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return x !== null && typeof x === "object" && typeof (x as ArrayLike<number>).length === "number";
}

function checkNode(x: unknown, n: number, name: string): number {
  if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x >= n) throw new ValueError(`${name} is ${String(x)}; node ids must be integers in [0, ${n})`);
  return x;
}

/** Exact r_γ of the pairs from the inverse of L + γI (γ > 0) or L + P (γ = 0). */
function exactPairs(graph: Graph, gamma: number, a: Int32Array, b: Int32Array): Float64Array {
  const n = graph.n;
  if (n > MAX_DENSE_NODES) throw new ShapeError(`effectiveResistances: method "exact" needs the dense n×n Laplacian, and n = ${n} is above ${MAX_DENSE_NODES}; use method "jl"`);
  const out = new Float64Array(a.length);
  if (n === 0) return out;
  const M = graph.laplacianDense();
  const d = M.data;
  if (gamma > 0) {
    for (let i = 0; i < n; i++) d[i * n + i] += gamma;
  } else {
    // + P = Σ_c 1_c 1_cᵀ / |c|: the null space of L gets eigenvalue 1, the rest is untouched,
    // and (L + P)⁻¹ = L⁺ + P; b_uv is orthogonal to P for u, v in one component.
    const { labels, sizes, count } = graph.components();
    const members: number[][] = Array.from({ length: count }, () => []);
    for (let i = 0; i < n; i++) members[labels[i]].push(i);
    for (const list of members) {
      const x = 1 / list.length;
      for (const i of list) for (const j of list) d[i * n + j] += x;
    }
  }
  let L: Matrix;
  try {
    L = cholesky(M).L;
  } catch (e) {
    if (e instanceof NumericalError) throw new NumericalError(`effectiveResistances: L ${gamma > 0 ? "+ γI" : "+ P"} is not numerically positive definite (weights spanning too many orders of magnitude?); use method "jl"`);
    throw e;
  }
  const inv = (choSolve(L, Matrix.identity(n)) as Matrix).data;
  for (let t = 0; t < a.length; t++) {
    const x = a[t], y = b[t];
    out[t] = inv[x * n + x] + inv[y * n + y] - inv[x * n + y] - inv[y * n + x];
  }
  return out;
}

/** @internal Options of sketchResistances. */
export interface SketchOptions {
  /** Columns per block solve (default: at most 32; the result does not depend on it). */
  blockColumns?: number;
  signal?: AbortSignal;
  onProgress?: (p: ResistanceProgress) => void;
}

/** @internal What sketchResistances returns. */
export interface SketchResult {
  /** Per pair, Σ_j (Z[a, j] − Z[b, j])² over the k columns (divide by k for r̂). */
  sums: Float64Array;
  /** Most iterations of any column. */
  iterations: number;
  /** Whether every column converged. */
  converged: boolean;
  /** Products with L + γI computed. */
  products: number;
}

/** @internal The JL sketch of the solver's graph with ridge γ (F = [W^{1/2}B ; √γ·I]; the
 *  solver must have been built with `shift: gamma`), solved in blocks of columns and
 *  accumulated over the pairs (a, b). Draws (m + (γ > 0 ? n : 0))·⌈k/64⌉ words from `rng` and
 *  leaves it after them. */
export function sketchResistances(solver: LaplacianSolver, gamma: number, a: Int32Array, b: Int32Array, k: number, rng: Rng, opts: SketchOptions = {}): SketchResult {
  const graph = solver.graph;
  const n = graph.n, m = graph.m;
  const eng: Engine = getEngine();
  const count = a.length;
  const kb = opts.blockColumns ?? Math.min(k, Math.max(4, Math.min(JL_BLOCK, Math.floor(JL_BLOCK_BYTES / (48 * Math.max(1, n))))));
  const start = rng.getState();
  const bufs: Array<WasmBuffer<Int32Array> | WasmBuffer<Float64Array>> = [];
  const keep = <T extends WasmBuffer<Int32Array> | WasmBuffer<Float64Array>>(x: T): T => {
    bufs.push(x);
    return x;
  };
  let iterations = 0, converged = true, products = 0;
  try {
    const eu = keep(eng.i32(Math.max(1, m))).set(graph.u);
    const ev = keep(eng.i32(Math.max(1, m))).set(graph.v);
    const ew = graph.w.every((x) => x === 1) ? null : keep(eng.f64(Math.max(1, m))).set(graph.w);
    const pa = keep(eng.i32(Math.max(1, count))).set(a);
    const pb = keep(eng.i32(Math.max(1, count))).set(b);
    const acc = keep(eng.f64(Math.max(1, count)));
    acc.view.fill(0);
    if (n === 0) return { sums: new Float64Array(count), iterations: 0, converged: true, products: 0 };
    for (let col0 = 0; col0 < k; col0 += kb) {
      const w = Math.min(kb, k - col0);
      rng.setState(start);
      const call = eng.call("graph_jl_rhs", { n, m, u: eu, v: ev, w: ew, gamma, k, col0, kb: w, rng: rng.stateBuffer, y: output(n * w) });
      if (call.ret !== Status.OK) throw new ValueError("sketchResistances: the engine rejected the sketch's arguments (a bug in seqlearn's validation)");
      const Y = new Matrix(n, w, call.output("y"));
      const res = solver.solve(Y, {
        signal: opts.signal,
        onProgress: opts.onProgress ? (p: LaplacianSolveProgress) => opts.onProgress!({ columns: col0, k, products: products + p.products }) : undefined,
      });
      iterations = Math.max(iterations, res.iterations);
      converged &&= res.converged;
      products += res.products;
      const st = eng.call("graph_jl_accumulate", { n, kb: w, z: input(res.x.data), count, a: pa, b: pb, acc }).ret;
      if (st !== Status.OK) throw new ValueError("sketchResistances: a pair names a node outside the graph");
      opts.onProgress?.({ columns: col0 + w, k, products });
      opts.signal?.throwIfAborted();
    }
    // Every block drew the whole sketch's words, so the generator is now after the sketch,
    // whatever the blocking was.
    return { sums: acc.toArray().slice(0, count), iterations, converged, products };
  } finally {
    for (const x of bufs) x.dispose();
  }
}

