// Laplacian solver: (L + diag(s))·X = B for a graph Laplacian L and a shift s ≥ 0, by block
// preconditioned conjugate gradient in the engine (assembly/graph/pcg.ts). The solver holds the
// graph's CSR, the shift and the component labels in engine memory; each solve allocates its
// blocks, runs the engine in chunks (so an AbortSignal and progress callbacks are honoured
// between chunks) and frees them. One interface, several preconditioners behind it, chosen by
// the caller or by default — the shape of Laplacians.jl's solvers.
import { getEngine, output, EngineResource, type Engine, type WasmBuffer } from "../engine/index.js";
import { ApproxCholRun, GraphPreconditioner, PcgRun, Status } from "../engine/abi.js";
import { NumericalError, ShapeError, ValueError } from "../core/errors.js";
import { Matrix, asMatrix, asVector, type MatrixLike, type VectorLike } from "../core/matrix.js";
import { checkOptions } from "../core/options.js";
import { integer, positive, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { Graph } from "./graph.js";

/**
 * Preconditioner of a LaplacianSolver:
 * - `"jacobi"`: z_i = r_i / (d_i + s_i) — the diagonal of L + diag(s); cheap, and enough when the
 *   shift is not tiny or the graph is an expander;
 * - `"approxchol"`: a randomized approximate Cholesky factorisation of L + diag(s) (Gao, Kyng &
 *   Spielman 2023, the preconditioner of Laplacians.jl's `approxchol_lap`), built once when the
 *   solver is constructed (seeded by `seed`); each iteration costs about 3–5 Jacobi
 *   iterations, but the iteration count hardly grows with the graph's diameter or the
 *   weights' range — the choice for γ = 0 or tiny shifts on large, poorly connected graphs
 *   (meshes, geometric graphs, paths, trees, barbells);
 * - `"none"`: plain conjugate gradient;
 * - `"auto"` (default): `"jacobi"` for graphs with fewer than `AUTO_APPROXCHOL_NODES` nodes
 *   and when the shift dominates (every component shifted and Σ s_i ≥ `AUTO_SHIFT_SHARE`·
 *   Σ (d_i + s_i), which bounds Jacobi's condition number by about 2/AUTO_SHIFT_SHARE);
 *   otherwise a probe measures the conditioning: `AUTO_PROBE_ITERATIONS` Jacobi-PCG iterations
 *   on a seeded random right-hand side, and `"jacobi"` if they reduced the residual below
 *   `AUTO_PROBE_TOL` (an expander: Jacobi will finish in a few dozen iterations), else
 *   `"approxchol"` (meshes, geometric graphs, long paths: Jacobi would need hundreds to
 *   thousands).
 */
export type LaplacianPreconditioner = "auto" | "jacobi" | "approxchol" | "none";

/** Options of `new LaplacianSolver(graph, options)`. */
export interface LaplacianSolverOptions {
  /** The shift s: a number γ ≥ 0 (solve (L + γI)·X = B) or one value s_i ≥ 0 per node (solve
   *  (L + diag(s))·X = B: I + λL = λ(L + I/λ), soft labels I_S + λ(L + γI) divided by λ,
   *  grounded / Dirichlet systems). Default 0: on each connected component where s = 0 the
   *  system is singular, so the right-hand side is projected onto the vectors summing to 0 on
   *  it and the minimum-norm solution L⁺·b is returned. */
  shift?: number | ArrayLike<number>;
  /** The preconditioner (default "auto"). */
  preconditioner?: LaplacianPreconditioner;
  /** Relative residual to reach, ‖b − (L + diag(s))·x‖ ≤ tol·‖b‖ per column (default 1e-8). */
  tol?: number;
  /** Iterations allowed per column (default max(1000, 20·⌈√n⌉): enough for 2-D meshes with
   *  Jacobi; long paths and trees may need up to n). */
  maxIter?: number;
  /** Throw NumericalError when a column does not converge (default false: the result says
   *  `converged: false`). */
  throwOnNoConvergence?: boolean;
  /** Seed of the approximate-Cholesky factorisation's random choices (default 0): the same
   *  seed gives the same factor, iterations and solutions, bit for bit, in every runtime.
   *  Ignored by the other preconditioners. */
  seed?: number;
}

/** Progress of a solve, reported between chunks of iterations. */
export interface LaplacianSolveProgress {
  /** Products with L + diag(s) computed so far (one per block iteration, plus the checks). */
  products: number;
  /** The largest current relative residual over the columns. */
  residual: number;
}

/** Options of `LaplacianSolver.solve` (each overrides the solver's own setting for this call). */
export interface LaplacianSolveOptions {
  /** Relative residual to reach (default: the solver's tol). */
  tol?: number;
  /** Iterations allowed per column (default: the solver's maxIter). */
  maxIter?: number;
  /** Initial guess, of the shape of b (default zeros). */
  x0?: VectorLike | MatrixLike;
  /** Stops the solve between chunks of iterations (the abort reason is thrown). A synchronous
   *  solve sees an abort made from `onProgress`; use `solveAsync` to let timers and other
   *  events abort it. */
  signal?: AbortSignal;
  /** Called between chunks of iterations (roughly every 20 ms of work). */
  onProgress?: (progress: LaplacianSolveProgress) => void;
  /** Throw NumericalError when a column does not converge (default: the solver's setting). */
  throwOnNoConvergence?: boolean;
}

/** Per-column details of a solve. */
export interface LaplacianColumnReport {
  /** Iterations of each column. */
  iterations: Int32Array;
  /** Final relative residual ‖b − M·x‖ / ‖b‖ of each column (b projected where s = 0 on a
   *  component). */
  residuals: Float64Array;
  /** Whether each column reached the tolerance. */
  converged: boolean[];
}

/** What a solve returns. For one right-hand side `x` is a Float64Array; for a matrix B it is
 *  an n×k Matrix, and the scalar fields summarise the columns (largest iterations and
 *  residual, all converged). */
export interface LaplacianSolveResult<X extends Float64Array | Matrix = Float64Array | Matrix> {
  /** The solution(s). */
  x: X;
  /** Iterations (the most over the columns). */
  iterations: number;
  /** Final relative residual (the largest over the columns). */
  residual: number;
  /** Whether every column reached the tolerance. */
  converged: boolean;
  /** Per-column iterations, residuals and convergence. */
  columns: LaplacianColumnReport;
  /** Connected components of the graph. */
  components: number;
  /** Components with zero shift, on which b was projected and x is the minimum-norm
   *  solution. */
  projected: number;
  /** Products with L + diag(s) the solve computed (block iterations plus residual checks). */
  products: number;
}

const SOLVER_KEYS = ["shift", "preconditioner", "tol", "maxIter", "throwOnNoConvergence", "seed"] as const;
const SOLVE_KEYS = ["tol", "maxIter", "x0", "signal", "onProgress", "throwOnNoConvergence"] as const;
const PRECONDITIONERS: Readonly<Record<Exclude<LaplacianPreconditioner, "auto">, GraphPreconditioner>> = {
  jacobi: GraphPreconditioner.JACOBI,
  approxchol: GraphPreconditioner.APPROXCHOL,
  none: GraphPreconditioner.NONE,
};
/** `"auto"` picks `"approxchol"` only for graphs with at least this many nodes (below it a
 *  Jacobi solve takes milliseconds whatever the conditioning). */
export const AUTO_APPROXCHOL_NODES = 5000;
/** `"auto"` keeps `"jacobi"` when every component is shifted and the shift's share of the
 *  diagonal, Σ s_i / Σ (d_i + s_i), is at least this. */
export const AUTO_SHIFT_SHARE = 1e-3;
/** Jacobi-PCG iterations of `"auto"`'s conditioning probe. */
export const AUTO_PROBE_ITERATIONS = 40;
/** Relative residual the probe must reach for `"auto"` to keep `"jacobi"`. */
export const AUTO_PROBE_TOL = 1e-3;
/** Eliminations per engine call while building an approximate-Cholesky factor. */
const FACTOR_STEPS = 1 << 12;
/** Work per engine call, in (stored entries + n) × columns: about 20 ms. */
const CHUNK_WORK = 2e7;
const MAX_I32 = 2 ** 31 - 1;

/**
 * Solves (L + diag(s))·X = B for the Laplacian L of a graph and a shift s ≥ 0 (a number γ or
 * one value per node), for one right-hand side or many at once, by preconditioned conjugate
 * gradient in the engine. Many right-hand sides (the columns of a Matrix) share one pass over
 * the graph per iteration, and each column gives bit for bit what it gives alone.
 *
 * Cost per iteration: one pass over the 2m stored adjacency entries for all k columns, plus
 * O(n·k); iterations grow like √κ(P⁻¹M)·log(1/tol), κ the condition number (with Jacobi and
 * γ > 0, κ ≤ (2·d_max + γ)/γ).
 *
 * Zero shift: on each connected component where s = 0 the system is singular; the solver
 * projects b onto the vectors that sum to 0 on that component and returns the minimum-norm
 * solution x = L⁺·b there (the result reports how many components were projected).
 *
 * Owns engine memory: call `dispose()` (or declare it with `using`) when done.
 *
 * @example
 * const g = Graph.fromEdges([0, 1, 2], [1, 2, 3]);           // a path on 4 nodes
 * using solver = new LaplacianSolver(g, { shift: 0.5 });
 * const { x, converged } = solver.solve([1, 0, 0, 0]);
 */
export class LaplacianSolver extends EngineResource {
  /** The graph (its CSR lives in engine memory while the solver does). */
  readonly graph: Graph;
  /** Number of nodes. */
  readonly n: number;
  /** The preconditioner in use ("auto" resolved). */
  readonly preconditioner: "jacobi" | "approxchol" | "none";
  /** Entries of the approximate-Cholesky factor (0 for the other preconditioners): its memory
   *  is 12 bytes per entry plus 12 per node. */
  readonly factorEntries: number;
  /** Default relative residual of solves. */
  readonly tol: number;
  /** Default iteration limit per column. */
  readonly maxIter: number;
  /** Connected components of the graph. */
  readonly components: number;
  /** Components where the shift is 0 everywhere (singular; right-hand sides are projected). */
  readonly projected: number;
  readonly #throw: boolean;
  readonly #code: GraphPreconditioner;
  readonly #eng: Engine;
  readonly #nnz: number;
  readonly #rowPtr: WasmBuffer<Int32Array>;
  readonly #col: WasmBuffer<Int32Array>;
  readonly #val: WasmBuffer<Float64Array> | null;
  readonly #shift: WasmBuffer<Float64Array>;
  readonly #comp: WasmBuffer<Int32Array> | null;
  #factor: WasmBuffer<Float64Array> | null = null;
  #factorIndex: WasmBuffer<Int32Array> | null = null;

  /** A solver for `graph` with the given shift, preconditioner and defaults. Throws
   *  ValueError for a negative or non-finite shift (naming the node), an unknown
   *  preconditioner, or a bad tol / maxIter; ShapeError for a shift array of the wrong
   *  length. */
  constructor(graph: Graph, options?: LaplacianSolverOptions) {
    super();
    const o = checkOptions<LaplacianSolverOptions>(options, "LaplacianSolver", SOLVER_KEYS);
    if (!(graph instanceof Graph)) throw new ValueError(`LaplacianSolver: graph must be a Graph (build one with Graph.fromEdges), got ${graph === null ? "null" : typeof graph}`);
    const n = graph.n;
    this.graph = graph;
    this.n = n;
    const pre = o.preconditioner ?? "auto";
    if (typeof pre !== "string" || (pre !== "auto" && !Object.prototype.hasOwnProperty.call(PRECONDITIONERS, pre))) {
      throw new ValueError(`LaplacianSolver: preconditioner must be "auto", "jacobi", "approxchol" or "none", got ${JSON.stringify(pre)}`);
    }
    this.tol = positive(o.tol ?? 1e-8, "LaplacianSolver: tol");
    this.maxIter = integer(o.maxIter ?? defaultMaxIter(n), "LaplacianSolver: maxIter", 0, MAX_I32);
    this.#throw = flagOption(o.throwOnNoConvergence, false, "LaplacianSolver: throwOnNoConvergence");
    const seed = checkSeed(o.seed ?? 0, "LaplacianSolver: seed");
    const s = shiftVector(o.shift ?? 0, n);
    // Components whose shift is 0 everywhere are singular: number them 0..projected−1.
    const comps = graph.components();
    this.components = comps.count;
    const shifted = new Uint8Array(comps.count);
    for (let i = 0; i < n; i++) if (s[i] > 0) shifted[comps.labels[i]] = 1;
    const index = new Int32Array(comps.count).fill(-1);
    let projected = 0;
    for (let c = 0; c < comps.count; c++) if (!shifted[c]) index[c] = projected++;
    this.projected = projected;
    const plan = pre === "auto" ? autoPlan(graph, s, projected) : pre;
    const { rowPtr, col, val } = graph.csr();
    this.#nnz = col.length;
    const eng = getEngine();
    this.#eng = eng;
    const owned: Array<WasmBuffer<Int32Array> | WasmBuffer<Float64Array>> = [];
    try {
      this.#rowPtr = track(owned, eng.i32(n + 1)).set(rowPtr);
      this.#col = track(owned, eng.i32(col.length)).set(col);
      // Unit weights (every w = 1) need no weight array: the engine's unit-weight loops give
      // the same bits without reading it.
      this.#val = graph.w.every((x) => x === 1) ? null : track(owned, eng.f64(val.length)).set(val);
      this.#shift = track(owned, eng.f64(n)).set(s);
      if (projected > 0) {
        const comp = new Int32Array(n);
        for (let i = 0; i < n; i++) comp[i] = index[comps.labels[i]];
        this.#comp = track(owned, eng.i32(n)).set(comp);
      } else this.#comp = null;
      const choice = plan === "probe" ? this.#probe(seed) : plan;
      this.#code = PRECONDITIONERS[choice];
      this.preconditioner = choice;
      if (this.#code === GraphPreconditioner.APPROXCHOL && n > 0) {
        const f = buildFactor(eng, n, col.length, this.#rowPtr, this.#col, this.#val, this.#shift, s, seed);
        this.#factor = f.factor;
        this.#factorIndex = f.index;
        owned.push(f.factor, f.index);
        this.factorEntries = f.entries;
      } else this.factorEntries = 0;
    } catch (err) {
      for (const b of owned) b.dispose();
      throw err;
    }
  }

  /** `"auto"`'s conditioning probe: a few Jacobi-PCG iterations on a seeded random right-hand
   *  side; Jacobi when they reached AUTO_PROBE_TOL. */
  #probe(seed: number): "jacobi" | "approxchol" {
    const rng = new Rng(seed, 1);
    let b: Float64Array;
    try {
      b = rng.normal(this.n);
    } finally {
      rng.dispose();
    }
    const run = new SolveRun({
      eng: this.#eng, n: this.n, k: 1, vector: true, b, x0: null, tol: AUTO_PROBE_TOL, maxIter: AUTO_PROBE_ITERATIONS,
      passes: AUTO_PROBE_ITERATIONS + 8, throwOnFail: false, signal: undefined, onProgress: undefined, where: "LaplacianSolver",
      code: GraphPreconditioner.JACOBI, rowPtr: this.#rowPtr, col: this.#col, val: this.#val, shift: this.#shift, comp: this.#comp,
      factor: null, factorIndex: null, components: this.components, projected: this.projected,
    });
    try {
      for (;;) if (run.step()) return run.finish().converged ? "jacobi" : "approxchol";
    } finally {
      run.free();
    }
  }

  /** Y = (L + diag(s))·X for a vector (returns a Float64Array) or an n×k matrix (returns a
   *  Matrix), computed in the engine in the same order the solver uses. */
  multiply(X: VectorLike): Float64Array;
  multiply(X: MatrixLike): Matrix;
  multiply(X: VectorLike | MatrixLike): Float64Array | Matrix {
    this.assertLive();
    const { data, k, vector } = rhsBlock(X, this.n, "LaplacianSolver.multiply: X");
    if (this.n === 0 || k === 0) return vector ? new Float64Array(this.n) : new Matrix(this.n, k);
    const eng = this.#eng;
    const x = eng.f64(this.n * k);
    try {
      x.set(data);
      const out = eng.call("graph_spmm", { n: this.n, k, rowPtr: this.#rowPtr, col: this.#col, val: this.#val, s: this.#shift, x, y: output(this.n * k) }).output("y");
      return vector ? out : new Matrix(this.n, k, out);
    } finally {
      x.dispose();
    }
  }

  /** Solve (L + diag(s))·x = b for one right-hand side (a vector of length n) or
   *  (L + diag(s))·X = B for the k columns of an n×k matrix. Throws ShapeError / ValueError
   *  for a b or x0 of the wrong shape or with non-finite entries, NumericalError on a
   *  breakdown (a non-finite value) and, when asked (`throwOnNoConvergence`), when a column
   *  misses the tolerance; rethrows the abort reason of `signal`. */
  solve(b: VectorLike, options?: LaplacianSolveOptions): LaplacianSolveResult<Float64Array>;
  solve(B: MatrixLike, options?: LaplacianSolveOptions): LaplacianSolveResult<Matrix>;
  solve(b: VectorLike | MatrixLike, options?: LaplacianSolveOptions): LaplacianSolveResult {
    const run = this.#start(b, options, "LaplacianSolver.solve");
    try {
      for (;;) if (run.step()) return run.finish();
    } finally {
      run.free();
    }
  }

  /** As `solve`, but yields to the event loop between chunks of iterations, so that timers,
   *  I/O and an AbortSignal fired by them can interrupt a long solve. */
  solveAsync(b: VectorLike, options?: LaplacianSolveOptions): Promise<LaplacianSolveResult<Float64Array>>;
  solveAsync(B: MatrixLike, options?: LaplacianSolveOptions): Promise<LaplacianSolveResult<Matrix>>;
  async solveAsync(b: VectorLike | MatrixLike, options?: LaplacianSolveOptions): Promise<LaplacianSolveResult> {
    const run = this.#start(b, options, "LaplacianSolver.solveAsync");
    try {
      for (;;) {
        if (run.step()) return run.finish();
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
      }
    } finally {
      run.free();
    }
  }

  /** Free the engine memory. */
  protected release(): void {
    this.#rowPtr.dispose();
    this.#col.dispose();
    this.#val?.dispose();
    this.#shift.dispose();
    this.#comp?.dispose();
    this.#factor?.dispose();
    this.#factorIndex?.dispose();
  }

  #start(b: VectorLike | MatrixLike, options: LaplacianSolveOptions | undefined, where: string): SolveRun {
    this.assertLive();
    const o = checkOptions<LaplacianSolveOptions>(options, where, SOLVE_KEYS);
    const tol = o.tol === undefined ? this.tol : positive(o.tol, `${where}: tol`);
    const maxIter = o.maxIter === undefined ? this.maxIter : integer(o.maxIter, `${where}: maxIter`, 0, MAX_I32);
    const throwOnFail = flagOption(o.throwOnNoConvergence, this.#throw, `${where}: throwOnNoConvergence`);
    if (o.signal !== undefined && !isAbortSignal(o.signal)) throw new ValueError(`${where}: signal must be an AbortSignal`);
    if (o.onProgress !== undefined && typeof o.onProgress !== "function") throw new ValueError(`${where}: onProgress must be a function`);
    const rhs = rhsBlock(b, this.n, `${where}: b`);
    let x0: Float64Array | null = null;
    if (o.x0 !== undefined) {
      const g = rhsBlock(o.x0, this.n, `${where}: x0`);
      if (g.k !== rhs.k || g.vector !== rhs.vector) throw new ShapeError(`${where}: x0 must have the shape of b (${rhs.vector ? `a vector of length ${this.n}` : `${this.n}×${rhs.k}`})`);
      x0 = g.data;
    }
    o.signal?.throwIfAborted();
    const k = rhs.k;
    // Always in chunks: besides letting the signal and onProgress in, returning to JavaScript
    // lets the engine's code be optimised — V8 compiles a hot Wasm function with its optimising
    // tier in the background and switches at the next call, never inside a running call.
    const passes = Math.max(1, Math.min(MAX_I32, Math.floor(CHUNK_WORK / Math.max(1, (this.#nnz + this.n) * k))));
    return new SolveRun({
      eng: this.#eng, n: this.n, k, vector: rhs.vector, b: rhs.data, x0, tol, maxIter, passes, throwOnFail,
      signal: o.signal, onProgress: o.onProgress, where, code: this.#code,
      rowPtr: this.#rowPtr, col: this.#col, val: this.#val, shift: this.#shift, comp: this.#comp,
      factor: this.#factor, factorIndex: this.#factorIndex,
      components: this.components, projected: this.projected,
    });
  }
}

interface RunSetup {
  eng: Engine;
  n: number;
  k: number;
  vector: boolean;
  b: Float64Array;
  x0: Float64Array | null;
  tol: number;
  maxIter: number;
  passes: number;
  throwOnFail: boolean;
  signal: AbortSignal | undefined;
  onProgress: ((p: LaplacianSolveProgress) => void) | undefined;
  where: string;
  code: GraphPreconditioner;
  rowPtr: WasmBuffer<Int32Array>;
  col: WasmBuffer<Int32Array>;
  val: WasmBuffer<Float64Array> | null;
  shift: WasmBuffer<Float64Array>;
  comp: WasmBuffer<Int32Array> | null;
  factor: WasmBuffer<Float64Array> | null;
  factorIndex: WasmBuffer<Int32Array> | null;
  components: number;
  projected: number;
}

/** One solve in progress: its engine blocks and the resumable engine call. */
class SolveRun {
  readonly #s: RunSetup;
  readonly #bufs: Array<WasmBuffer<Float64Array> | WasmBuffer<Int32Array>> = [];
  #b: WasmBuffer<Float64Array> | null = null;
  #x: WasmBuffer<Float64Array> | null = null;
  #its: WasmBuffer<Int32Array> | null = null;
  #res: WasmBuffer<Float64Array> | null = null;
  #status: WasmBuffer<Int32Array> | null = null;
  #work: WasmBuffer<Float64Array> | null = null;
  #factorWork: WasmBuffer<Float64Array> | null = null;
  #started = false;
  #products = 0;
  #empty: boolean;

  constructor(setup: RunSetup) {
    this.#s = setup;
    this.#empty = setup.n === 0 || setup.k === 0;
    if (this.#empty) return;
    const { eng, n, k } = setup;
    try {
      this.#b = this.#keep(eng.f64(n * k)).set(setup.b);
      this.#x = this.#keep(eng.f64(n * k));
      if (setup.x0 !== null) this.#x.set(setup.x0);
      else this.#x.view.fill(0);
      this.#its = this.#keep(eng.i32(k));
      this.#res = this.#keep(eng.f64(k));
      this.#status = this.#keep(eng.i32(k));
      const size = eng.call("graph_pcg_workspace_size", { n, k, ncomp: setup.projected }).ret;
      this.#work = this.#keep(eng.f64(size));
      if (setup.factor !== null) this.#factorWork = this.#keep(eng.f64(eng.call("graph_approxchol_apply_workspace_size", { n, k }).ret));
    } catch (err) {
      this.free();
      throw err;
    }
  }

  #keep<T extends WasmBuffer<Float64Array> | WasmBuffer<Int32Array>>(b: T): T {
    this.#bufs.push(b);
    return b;
  }

  /** Run one chunk; true when the solve is finished. */
  step(): boolean {
    if (this.#empty) return true;
    const s = this.#s;
    const ret = s.eng.call("graph_pcg", {
      n: s.n, k: s.k, rowPtr: s.rowPtr, col: s.col, val: s.val, shift: s.shift, comp: s.comp, ncomp: s.projected,
      precond: s.code, tol: s.tol, maxIter: s.maxIter, b: this.#b!, x: this.#x!, iterations: this.#its!,
      residuals: this.#res!, colStatus: this.#status!, maxPasses: s.passes, resume: this.#started, work: this.#work!,
      factor: s.factor, factorIndex: s.factorIndex, factorWork: this.#factorWork,
    }).ret;
    this.#started = true;
    this.#products = s.eng.statusArgs()[1];
    if (ret === PcgRun.BAD_ARG) throw new ValueError(`${s.where}: the engine rejected the solver's arguments (a bug in seqlearn's validation)`);
    if (ret === PcgRun.DONE) return true;
    if (s.onProgress) {
      let worst = 0;
      for (const r of this.#res!.view) worst = Math.max(worst, r);
      s.onProgress({ products: this.#products, residual: worst });
    }
    s.signal?.throwIfAborted();
    return false;
  }

  finish(): LaplacianSolveResult {
    const s = this.#s;
    if (this.#empty) {
      const x = s.vector ? new Float64Array(s.n) : new Matrix(s.n, s.k);
      return {
        x, iterations: 0, residual: 0, converged: true,
        columns: { iterations: new Int32Array(s.k), residuals: new Float64Array(s.k), converged: new Array<boolean>(s.k).fill(true) },
        components: s.components, projected: s.projected, products: 0,
      };
    }
    const its = this.#its!.toArray(), res = this.#res!.toArray(), status = this.#status!.toArray();
    const data = this.#x!.toArray();
    let iterations = 0, residual = 0, converged = true;
    const conv: boolean[] = [];
    for (let j = 0; j < s.k; j++) {
      if (status[j] === Status.NON_FINITE) {
        throw new NumericalError(`${s.where}: conjugate gradient broke down in column ${j} after ${its[j]} iterations (a non-finite value or pᵀMp ≤ 0; check the weights and the shift for extreme values)`, { column: j, iterations: its[j], residual: res[j] });
      }
      const ok = status[j] === Status.OK;
      conv.push(ok);
      converged &&= ok;
      iterations = Math.max(iterations, its[j]);
      residual = Math.max(residual, res[j]);
    }
    if (!converged && s.throwOnFail) {
      const j = conv.indexOf(false);
      throw new NumericalError(`${s.where}: column ${j} did not reach the relative residual ${s.tol} (reached ${res[j].toExponential(3)} after ${its[j]} iterations); raise maxIter or tol, or use a stronger preconditioner`, { column: j, iterations: its[j], residual: res[j] });
    }
    return {
      x: s.vector ? data : new Matrix(s.n, s.k, data),
      iterations, residual, converged,
      columns: { iterations: its, residuals: res, converged: conv },
      components: s.components, projected: s.projected, products: this.#products,
    };
  }

  free(): void {
    for (const b of this.#bufs) b.dispose();
    this.#bufs.length = 0;
  }
}

/** Options of `solveLaplacian`: those of the solver and of one solve. */
export interface SolveLaplacianOptions extends LaplacianSolverOptions, LaplacianSolveOptions {}

/**
 * Solve (L + diag(s))·x = b once: builds a LaplacianSolver for `graph`, solves, and frees it.
 * `b` is a vector (x comes back as a Float64Array) or an n×k matrix (x is a Matrix). Options
 * are those of the solver (shift, preconditioner, tol, maxIter, throwOnNoConvergence) and of
 * one solve (x0, signal, onProgress).
 *
 * @example
 * const g = Graph.fromEdges([0, 1], [1, 2]);
 * const { x } = solveLaplacian(g, [1, 0, -1]);   // L⁺·b on the path 0 – 1 – 2
 */
export function solveLaplacian(graph: Graph, b: VectorLike, options?: SolveLaplacianOptions): LaplacianSolveResult<Float64Array>;
export function solveLaplacian(graph: Graph, B: MatrixLike, options?: SolveLaplacianOptions): LaplacianSolveResult<Matrix>;
export function solveLaplacian(graph: Graph, b: VectorLike | MatrixLike, options?: SolveLaplacianOptions): LaplacianSolveResult {
  const o = checkOptions<SolveLaplacianOptions>(options, "solveLaplacian", [...new Set([...SOLVER_KEYS, ...SOLVE_KEYS])]);
  const solver = new LaplacianSolver(graph, {
    shift: o.shift, preconditioner: o.preconditioner, tol: o.tol, maxIter: o.maxIter, throwOnNoConvergence: o.throwOnNoConvergence,
  });
  try {
    return solver.solve(b as MatrixLike, { x0: o.x0, signal: o.signal, onProgress: o.onProgress });
  } finally {
    solver.dispose();
  }
}

/** What "auto" does (see LaplacianPreconditioner): Jacobi by size or shift, or a probe. */
function autoPlan(graph: Graph, s: Float64Array, projected: number): "jacobi" | "probe" {
  if (graph.n < AUTO_APPROXCHOL_NODES || graph.m === 0) return "jacobi";
  if (projected > 0) return "probe";
  let shiftSum = 0;
  for (let i = 0; i < s.length; i++) shiftSum += s[i];
  const degreeSum = 2 * graph.totalWeight();
  return shiftSum < AUTO_SHIFT_SHARE * (degreeSum + shiftSum) ? "probe" : "jacobi";
}

/** Build the approximate-Cholesky factor of L + diag(s) in the engine: eliminations in chunks,
 *  the factor's blocks grown when the engine asks for more room. */
function buildFactor(eng: Engine, n: number, nnz: number, rowPtr: WasmBuffer<Int32Array>, col: WasmBuffer<Int32Array>,
  val: WasmBuffer<Float64Array> | null, shift: WasmBuffer<Float64Array>, s: Float64Array, seed: number):
  { factor: WasmBuffer<Float64Array>; index: WasmBuffer<Int32Array>; entries: number } {
  let shifted = 0;
  for (let i = 0; i < n; i++) if (s[i] > 0) shifted++;
  let cap = eng.call("graph_approxchol_capacity_hint", { n, nnz, shifted }).ret;
  const sized = (c: number) => {
    const factor = eng.f64(eng.call("graph_approxchol_factor_size", { n, shifted, cap: c }).ret);
    try {
      return { factor, index: eng.i32(eng.call("graph_approxchol_index_size", { n, shifted, cap: c }).ret) };
    } catch (err) {
      factor.dispose();
      throw err;
    }
  };
  let blocks: { factor: WasmBuffer<Float64Array>; index: WasmBuffer<Int32Array> } | null = null;
  let work: WasmBuffer<Float64Array> | null = null;
  const rng = new Rng(seed);
  try {
    work = eng.f64(eng.call("graph_approxchol_workspace_size", { n, nnz, shifted }).ret);
    blocks = sized(cap);
    let resume = false;
    for (;;) {
      const ret = eng.call("graph_approxchol", {
        n, nnz, rowPtr, col, val, shift, shifted, rng: rng.stateBuffer, cap, factor: blocks.factor, index: blocks.index,
        maxSteps: FACTOR_STEPS, resume, work,
      }).ret;
      resume = true;
      if (ret === ApproxCholRun.DONE) return { ...blocks, entries: eng.statusArgs()[0] };
      if (ret === ApproxCholRun.BAD_ARG) throw new ValueError("LaplacianSolver: the engine rejected the factorisation's arguments (a bug in seqlearn's validation)");
      if (ret === ApproxCholRun.FULL) {
        // The entries come last in both blocks: the old blocks are prefixes of the new ones.
        cap = Math.max(eng.statusArgs()[0], Math.ceil(cap * 1.5));
        const grown = sized(cap);
        grown.factor.view.set(blocks.factor.view);
        grown.index.view.set(blocks.index.view);
        blocks.factor.dispose();
        blocks.index.dispose();
        blocks = grown;
      }
    }
  } catch (err) {
    blocks?.factor.dispose();
    blocks?.index.dispose();
    throw err;
  } finally {
    work?.dispose();
    rng.dispose();
  }
}

function defaultMaxIter(n: number): number {
  return Math.max(1000, 20 * Math.ceil(Math.sqrt(n)));
}

function flagOption(v: unknown, dflt: boolean, name: string): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw new ValueError(`${name} must be true or false, got ${String(v)}`);
  return v;
}

function isAbortSignal(x: unknown): x is AbortSignal {
  return typeof AbortSignal !== "undefined" ? x instanceof AbortSignal : typeof (x as AbortSignal)?.throwIfAborted === "function";
}

function track<T extends WasmBuffer<Int32Array> | WasmBuffer<Float64Array>>(list: Array<WasmBuffer<Int32Array> | WasmBuffer<Float64Array>>, b: T): T {
  list.push(b);
  return b;
}

/** The shift as one value per node, validated. */
function shiftVector(shift: unknown, n: number): Float64Array {
  if (typeof shift === "number") {
    if (!Number.isFinite(shift) || shift < 0) throw new ValueError(`LaplacianSolver: shift must be a finite number ≥ 0 (or one such value per node), got ${shift}`);
    return new Float64Array(n).fill(shift);
  }
  if (shift === null || typeof shift !== "object" || typeof (shift as ArrayLike<number>).length !== "number") {
    throw new ValueError(`LaplacianSolver: shift must be a number γ ≥ 0 or an array of n = ${n} values ≥ 0, got ${shift === null ? "null" : typeof shift}`);
  }
  const a = shift as ArrayLike<number>;
  if (a.length !== n) throw new ShapeError(`LaplacianSolver: shift has ${a.length} values; give one per node (n = ${n}) or a single number`);
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new ValueError(`LaplacianSolver: shift[${i}] is ${String(v)}; every shift must be a finite number ≥ 0`);
    s[i] = v;
  }
  return s;
}

/** A right-hand side as a row-major n×k block: vectors (typed arrays, number[]) have k = 1;
 *  matrices (Matrix, number[][], { rows, cols, data }) give their columns. */
function rhsBlock(b: VectorLike | MatrixLike, n: number, name: string): { data: Float64Array; k: number; vector: boolean } {
  if (b instanceof Matrix || (b !== null && typeof b === "object" && "rows" in b && "cols" in b && "data" in b) ||
    (Array.isArray(b) && b.length > 0 && typeof b[0] === "object" && b[0] !== null)) {
    const m = asMatrix(b as MatrixLike, name);
    if (m.rows !== n) throw new ShapeError(`${name}: expected ${n} rows (one per node), got ${m.rows}`);
    return { data: m.data, k: m.cols, vector: false };
  }
  if (b === null || typeof b !== "object" || typeof (b as ArrayLike<number>).length !== "number") {
    throw new ShapeError(`${name}: expected a vector of length ${n} or an ${n}×k matrix, got ${b === null ? "null" : typeof b}`);
  }
  const v = asVector(b as VectorLike, name, { length: n });
  return { data: v, k: 1, vector: true };
}
