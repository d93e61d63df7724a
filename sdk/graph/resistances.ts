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
import { LaplacianSolver, type LaplacianPreconditioner, type LaplacianSolveResult } from "./solver.js";
import { Work, type WorkProgress } from "../core/work.js";

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

/** Progress of a JL resistance estimate, reported after each block of sketch columns: `done`
 *  and `total` count sketch columns (unit "columns"); `etaMs` is the time left at the rate so
 *  far. */
export interface ResistanceProgress extends WorkProgress {
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
  /** Stops a JL estimate between chunks of solver iterations (the reason is thrown). The
   *  synchronous call only sees an abort made from `onProgress`; `effectiveResistancesAsync`
   *  yields to the event loop, so timers and other events can abort it. */
  signal?: AbortSignal;
  /** Called after each block of JL columns (at most 32 columns). */
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
  const plan = planResistances(graph, options, "effectiveResistances");
  if (plan.use === "exact") return plan.finish(exactPairs(graph, plan.gamma, plan.a, plan.b), 0, true);
  const job = plan.sketch();
  try {
    while (!job.stepSync()) { /* one block of columns per step */ }
    return plan.finish(job.resistances(), job.iterations, job.converged);
  } finally {
    job.free();
  }
}

/**
 * As `effectiveResistances`, but a JL estimate yields to the event loop between blocks of
 * columns and inside each block's solve, so that a page stays responsive and `signal` can be
 * fired by a timer or a button; the result is bit for bit the synchronous one. (The exact
 * method runs in one call.)
 */
export async function effectiveResistancesAsync(graph: Graph, options?: ResistanceOptions): Promise<ResistanceResult> {
  const plan = planResistances(graph, options, "effectiveResistancesAsync");
  if (plan.use === "exact") return plan.finish(exactPairs(graph, plan.gamma, plan.a, plan.b), 0, true);
  const job = plan.sketch();
  try {
    while (!(await job.stepAsync())) { /* one block of columns per step */ }
    return plan.finish(job.resistances(), job.iterations, job.converged);
  } finally {
    job.free();
  }
}

/** A validated resistance computation: what to compute, and how to finish the result. */
interface ResistancePlan {
  use: "exact" | "jl";
  gamma: number;
  a: Int32Array;
  b: Int32Array;
  /** Start the JL sketch (owns a solver and a generator until free()). */
  sketch(): SketchJob;
  /** The result from the raw resistances. */
  finish(r: Float64Array, iterations: number, converged: boolean): ResistanceResult;
}

function planResistances(graph: Graph, options: ResistanceOptions | undefined, where: string): ResistancePlan {
  const o = checkOptions<ResistanceOptions>(options, where, OPTION_KEYS);
  if (!(graph instanceof Graph)) throw new ValueError(`${where}: graph must be a Graph (build one with Graph.fromEdges), got ${graph === null ? "null" : typeof graph}`);
  const gamma = o.gamma === undefined ? 0 : nonNegative(o.gamma, `${where}: gamma`);
  if (!Number.isFinite(gamma)) throw new ValueError(`${where}: gamma must be finite, got ${gamma}`);
  const method = o.method ?? "auto";
  if (method !== "auto" && method !== "exact" && method !== "jl") throw new ValueError(`${where}: method must be "auto", "exact" or "jl", got ${JSON.stringify(method)}`);
  const n = graph.n;
  const pairs = o.pairs === undefined ? null : pairArrays(o.pairs, n, `${where}: pairs`);
  const a = pairs ? pairs.u : graph.u, b = pairs ? pairs.v : graph.v;
  const use = method === "auto" ? (n <= EXACT_AUTO_MAX_NODES ? "exact" : "jl") : method;
  if (o.eps !== undefined && o.k !== undefined) throw new ValueError(`${where}: give eps or k, not both (k = ⌈4·ln n/ε²⌉)`);
  if (method === "exact" && (o.k !== undefined || o.eps !== undefined || o.seed !== undefined)) throw new ValueError(`${where}: eps, k and seed apply to method "jl" only`);
  let k: number | null = null, eps: number | null = null;
  if (use === "jl") {
    if (o.k !== undefined) k = integer(o.k, `${where}: k`, 1, MAX_JL_VECTORS);
    else {
      eps = o.eps ?? 0.5;
      if (typeof eps !== "number" || !(eps > 0 && eps <= 1)) throw new ValueError(`${where}: eps must be in (0, 1], got ${String(eps)}`);
      k = jlVectors(n, eps);
    }
  }
  const seed = checkSeed(o.seed ?? 0, `${where}: seed`);
  const tol = positive(o.tol ?? 1e-3, `${where}: tol`);
  // Checks signal and onProgress up front, also for the exact method (and throws the reason of
  // a signal that has already fired).
  new Work({ signal: o.signal, onProgress: o.onProgress }, k, "columns");
  return {
    use, gamma, a, b,
    sketch: () => {
      const solver = new LaplacianSolver(graph, { shift: gamma, tol, maxIter: o.maxIter, preconditioner: o.preconditioner });
      let rng: Rng;
      try {
        rng = new Rng(seed, 0);
      } catch (e) {
        solver.dispose();
        throw e;
      }
      return new SketchJob(solver, gamma, a, b, k!, rng, { signal: o.signal, onProgress: o.onProgress }, () => {
        rng.dispose();
        solver.dispose();
      });
    },
    finish: (r, iterations, converged) => {
      const comps = graph.components();
      if (gamma === 0) {
        const lab = comps.labels;
        for (let t = 0; t < r.length; t++) if (lab[a[t]] !== lab[b[t]]) r[t] = Infinity;
      }
      for (let t = 0; t < r.length; t++) if (a[t] === b[t]) r[t] = 0;
      let leverage: Float64Array | null = null, deff: number | null = null;
      if (pairs === null) {
        leverage = new Float64Array(graph.m);
        let sum = 0;
        for (let e = 0; e < graph.m; e++) {
          leverage[e] = graph.w[e] * r[e];
          sum += leverage[e];
        }
        deff = sum;
      }
      return { resistances: r, leverage, deff, method: use, gamma, k, eps, components: comps.count, iterations, converged };
    },
  };
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

/** @internal The JL sketch of a solver's graph with ridge γ (F = [W^{1/2}B ; √γ·I]; the solver
 *  must have been built with `shift: gamma`), solved block by block and accumulated over the
 *  pairs (a, b): `stepSync()` / `stepAsync()` run one block of columns and say whether the
 *  sketch is complete. Every block rebuilds its columns from one saved generator state and
 *  draws the whole sketch's (m + (γ > 0 ? n : 0))·⌈k/64⌉ words, so the generator ends after the
 *  sketch and the sums do not depend on the blocking. `free()` releases the job's engine
 *  blocks and calls `onFree`. */
export class SketchJob {
  /** Most iterations of any column so far. */
  iterations = 0;
  /** Whether every column so far reached the tolerance. */
  converged = true;
  /** Products with L + γI so far. */
  products = 0;
  /** Columns done. */
  col0 = 0;
  readonly #solver: LaplacianSolver;
  readonly #gamma: number;
  readonly #k: number;
  readonly #kb: number;
  readonly #count: number;
  readonly #rng: Rng;
  readonly #start: Uint8Array;
  readonly #eng: Engine;
  readonly #bufs: Array<WasmBuffer<Int32Array> | WasmBuffer<Float64Array>> = [];
  readonly #work: Work;
  readonly #signal: AbortSignal | undefined;
  readonly #onFree: (() => void) | undefined;
  #eu!: WasmBuffer<Int32Array>;
  #ev!: WasmBuffer<Int32Array>;
  #ew: WasmBuffer<Float64Array> | null = null;
  #pa!: WasmBuffer<Int32Array>;
  #pb!: WasmBuffer<Int32Array>;
  #acc!: WasmBuffer<Float64Array>;
  #freed = false;

  constructor(solver: LaplacianSolver, gamma: number, a: Int32Array, b: Int32Array, k: number, rng: Rng, opts: SketchOptions = {}, onFree?: () => void) {
    this.#solver = solver;
    this.#gamma = gamma;
    this.#k = k;
    this.#rng = rng;
    this.#onFree = onFree;
    this.#signal = opts.signal;
    const n = solver.graph.n, m = solver.graph.m;
    this.#kb = opts.blockColumns ?? Math.min(k, Math.max(4, Math.min(JL_BLOCK, Math.floor(JL_BLOCK_BYTES / (48 * Math.max(1, n))))));
    this.#count = a.length;
    this.#start = rng.getState();
    this.#eng = getEngine();
    this.#work = new Work({ signal: opts.signal, onProgress: opts.onProgress }, k, "columns", () => ({ products: this.products }));
    const eng = this.#eng;
    const keep = <T extends WasmBuffer<Int32Array> | WasmBuffer<Float64Array>>(x: T): T => {
      this.#bufs.push(x);
      return x;
    };
    try {
      const g = solver.graph;
      this.#eu = keep(eng.i32(Math.max(1, m))).set(g.u);
      this.#ev = keep(eng.i32(Math.max(1, m))).set(g.v);
      this.#ew = g.w.every((x) => x === 1) ? null : keep(eng.f64(Math.max(1, m))).set(g.w);
      this.#pa = keep(eng.i32(Math.max(1, a.length))).set(a);
      this.#pb = keep(eng.i32(Math.max(1, b.length))).set(b);
      this.#acc = keep(eng.f64(Math.max(1, a.length)));
      this.#acc.view.fill(0);
    } catch (e) {
      this.free();
      throw e;
    }
    if (n === 0) this.col0 = k;
  }

  /** The next block's right-hand sides Y (n × w). */
  #block(): { Y: Matrix; w: number } {
    const g = this.#solver.graph, n = g.n, m = g.m;
    const w = Math.min(this.#kb, this.#k - this.col0);
    this.#rng.setState(this.#start);
    const call = this.#eng.call("graph_jl_rhs", {
      n, m, u: this.#eu, v: this.#ev, w: this.#ew, gamma: this.#gamma, k: this.#k, col0: this.col0, kb: w, rng: this.#rng.stateBuffer, y: output(n * w),
    });
    if (call.ret !== Status.OK) throw new ValueError("sketchResistances: the engine rejected the sketch's arguments (a bug in seqlearn's validation)");
    return { Y: new Matrix(n, w, call.output("y")), w };
  }

  /** Add the block's squared differences. */
  #accumulate(res: LaplacianSolveResult<Matrix>, w: number): void {
    this.iterations = Math.max(this.iterations, res.iterations);
    this.converged &&= res.converged;
    this.products += res.products;
    const st = this.#eng.call("graph_jl_accumulate", { n: this.#solver.graph.n, kb: w, z: input(res.x.data), count: this.#count, a: this.#pa, b: this.#pb, acc: this.#acc }).ret;
    if (st !== Status.OK) throw new ValueError("sketchResistances: a pair names a node outside the graph");
    this.col0 += w;
  }

  /** Run one block of columns (synchronously); true when the sketch is complete. */
  stepSync(): boolean {
    if (this.col0 >= this.#k) return true;
    const { Y, w } = this.#block();
    this.#accumulate(this.#solver.solve(Y, { signal: this.#signal }), w);
    this.#work.done = this.col0;
    this.#work.report();
    this.#work.check();
    return this.col0 >= this.#k;
  }

  /** Run one block of columns, yielding to the event loop inside its solve and after it. */
  async stepAsync(): Promise<boolean> {
    if (this.col0 >= this.#k) return true;
    const { Y, w } = this.#block();
    this.#accumulate(await this.#solver.solveAsync(Y, { signal: this.#signal }), w);
    await this.#work.step(w);
    return this.col0 >= this.#k;
  }

  /** Per pair, Σ_j (Z[a, j] − Z[b, j])² over the columns done. */
  sums(): Float64Array {
    return this.#acc.toArray().slice(0, this.#count);
  }

  /** Per pair, the estimate r̂ = sums / k (the sketch must be complete). */
  resistances(): Float64Array {
    const r = this.sums();
    for (let t = 0; t < r.length; t++) r[t] /= this.#k;
    return r;
  }

  /** Free the engine blocks (and what onFree releases). Safe to call twice. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    for (const x of this.#bufs) x.dispose();
    this.#bufs.length = 0;
    this.#onFree?.();
  }
}

/** @internal The whole JL sketch in one call (see SketchJob): the per-pair sums of squared
 *  differences over the k columns. */
export function sketchResistances(solver: LaplacianSolver, gamma: number, a: Int32Array, b: Int32Array, k: number, rng: Rng, opts: SketchOptions = {}): SketchResult {
  const job = new SketchJob(solver, gamma, a, b, k, rng, opts);
  try {
    while (!job.stepSync()) { /* one block of columns per step */ }
    return { sums: job.sums(), iterations: job.iterations, converged: job.converged, products: job.products };
  } finally {
    job.free();
  }
}
