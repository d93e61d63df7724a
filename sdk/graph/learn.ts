// Learning over the Laplacian of a graph: Laplacian smoothing (Sadhanala, Wang & Tibshirani,
// AISTATS 2016), the harmonic-function solution of semi-supervised learning (Zhu, Ghahramani &
// Lafferty, ICML 2003) and its regularised ("soft") form (Belkin, Matveeva & Niyogi, COLT 2004),
// one-vs-rest classification from it, and the spectral embedding (the smallest nontrivial
// eigenvectors, by LOBPCG — Knyazev, SIAM J. Sci. Comput. 23(2), 2001 — with the Laplacian
// solver as preconditioner). Every estimator is f = A⁻¹c with A built from L, so it runs on a
// graph G or on a spectral sparsifier H of G unchanged; the *Gap helpers compare the two
// against the bounds that the sparsifier's spectral error ε implies (Calandriello, Koutis,
// Lazaric & Valko, ICML 2018): for A ≻ 0 and (1 − ε)A ⪯ Ã ⪯ (1 + ε)A,
//   ‖Ã⁻¹c − A⁻¹c‖_A ≤ ε/(1 − ε)·‖A⁻¹c‖_A,     ‖x‖_A² = xᵀAx,
// since Ã⁻¹c − A⁻¹c = Ã⁻¹(A − Ã)A⁻¹c, and in A^{1/2}-coordinates the first factor has norm
// ≤ 1/(1 − ε) and the second ≤ ε.
import { Matrix, asMatrix, asVector, type MatrixLike, type VectorLike } from "../core/matrix.js";
import { ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer, nonNegative, oneOf, positive, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import * as linalg from "../linalg/index.js";
import { Graph } from "./graph.js";
import { LaplacianSolver, type LaplacianPreconditioner } from "./solver.js";
import { spectralError, type SpectralErrorResult } from "./quality.js";

/** Solver settings shared by the learning functions. */
export interface LearnSolverOptions {
  /** Relative residual of the solves (default 1e-8). */
  tol?: number;
  /** Iterations allowed per solve (default: the solver's). */
  maxIter?: number;
  /** Preconditioner of the solves (default "auto"). */
  preconditioner?: LaplacianPreconditioner;
  /** Seed of the approximate-Cholesky preconditioner (default 0). */
  seed?: number;
}

/** What a learning solve returns: the estimate and how the solve went. */
export interface LearnResult<F extends Float64Array | Matrix = Float64Array | Matrix> {
  /** The estimate: a Float64Array for a vector of values, an n×k Matrix for k columns. */
  f: F;
  /** Iterations of the solve (the most over the columns). */
  iterations: number;
  /** Final relative residual of the solve (the largest over the columns). */
  residual: number;
  /** Whether every column reached the tolerance. */
  converged: boolean;
}

const SOLVER_KEYS = ["tol", "maxIter", "preconditioner", "seed"] as const;

function solverOptions(o: LearnSolverOptions): { tol: number; maxIter?: number; preconditioner?: LaplacianPreconditioner; seed?: number } {
  return { tol: o.tol ?? 1e-8, ...(o.maxIter !== undefined ? { maxIter: o.maxIter } : {}), preconditioner: o.preconditioner, seed: o.seed };
}

/** A vector or a matrix of values with `rows` rows, as row-major data and a column count. */
function valuesBlock(y: VectorLike | MatrixLike, rows: number, name: string): { data: Float64Array; k: number; vector: boolean } {
  if (y instanceof Matrix || (y !== null && typeof y === "object" && "rows" in y && "cols" in y && "data" in y) ||
    (Array.isArray(y) && y.length > 0 && typeof y[0] === "object" && y[0] !== null)) {
    const m = asMatrix(y as MatrixLike, name);
    if (m.rows !== rows) throw new ShapeError(`${name}: expected ${rows} rows, got ${m.rows}`);
    return { data: m.data, k: m.cols, vector: false };
  }
  return { data: asVector(y as VectorLike, name, { length: rows }), k: 1, vector: true };
}

function graphArg(g: unknown, where: string): Graph {
  if (!(g instanceof Graph)) throw new ValueError(`${where}: graph must be a Graph, got ${g === null ? "null" : typeof g}`);
  return g;
}

// ---------------------------------------------------------------------------------------
// Laplacian smoothing.

/** Options of `laplacianSmoothing`. */
export interface SmoothingOptions extends LearnSolverOptions {
  /** Smoothing strength λ > 0 in argmin_f ‖y − f‖² + λ·fᵀLf (default 1). The matching ridge
   *  of a sparsifier is γ = 1/λ. */
  lambda?: number;
}

const SMOOTHING_KEYS = ["lambda", ...SOLVER_KEYS] as const;

/**
 * Laplacian smoothing: f = (I + λL)⁻¹·y = argmin_f ‖y − f‖² + λ·fᵀLf (Sadhanala, Wang &
 * Tibshirani 2016), for a signal y on the nodes (a vector, or an n×k matrix of k signals solved
 * in one block). Solved as (L + I/λ)·f = y/λ with the LaplacianSolver (shift γ = 1/λ: an
 * (ε, 1/λ)-sparsifier H gives ‖f_H − f_G‖ ≤ ε/(1 − ε)·‖y‖, see `smoothingGap`).
 *
 * @example
 * const g = graph.path(5);
 * laplacianSmoothing(g, [0, 0, 10, 0, 0], { lambda: 1 }).f;   // the spike spread to its neighbours
 */
export function laplacianSmoothing(graph: Graph, y: VectorLike, options?: SmoothingOptions): LearnResult<Float64Array>;
export function laplacianSmoothing(graph: Graph, y: MatrixLike, options?: SmoothingOptions): LearnResult<Matrix>;
export function laplacianSmoothing(graph: Graph, y: VectorLike | MatrixLike, options?: SmoothingOptions): LearnResult {
  const where = "laplacianSmoothing";
  const o = checkOptions<SmoothingOptions>(options, where, SMOOTHING_KEYS);
  const g = graphArg(graph, where);
  const lambda = positive(o.lambda ?? 1, `${where}: lambda`);
  const { data, k, vector } = valuesBlock(y, g.n, `${where}: y`);
  const rhs = Float64Array.from(data, (v) => v / lambda);
  const solver = new LaplacianSolver(g, { shift: 1 / lambda, ...solverOptions(o) });
  try {
    const r = vector ? solver.solve(rhs) : solver.solve(new Matrix(g.n, k, rhs));
    return { f: r.x, iterations: r.iterations, residual: r.residual, converged: r.converged };
  } finally {
    solver.dispose();
  }
}

// ---------------------------------------------------------------------------------------
// Harmonic functions (semi-supervised learning).

/** The labelled nodes as distinct integers in [0, n), and a membership mask. */
function labelledNodes(labeled: ArrayLike<number>, n: number, where: string): { nodes: Int32Array; inS: Uint8Array } {
  if (labeled === null || typeof labeled !== "object" || typeof labeled.length !== "number") {
    throw new ValueError(`${where}: labeled must be an array of node indices`);
  }
  const nodes = new Int32Array(labeled.length);
  const inS = new Uint8Array(n);
  for (let t = 0; t < labeled.length; t++) {
    const i = labeled[t];
    if (typeof i !== "number" || !Number.isInteger(i) || i < 0 || i >= n) throw new ValueError(`${where}: labeled[${t}] is ${String(i)}; node indices must be integers in [0, ${n})`);
    if (inS[i]) throw new ValueError(`${where}: node ${i} is labelled twice (labeled[${t}])`);
    inS[i] = 1;
    nodes[t] = i;
  }
  return { nodes, inS };
}

/** Options of `harmonicFunction`. */
export type HarmonicOptions = LearnSolverOptions;

/** What `harmonicFunction` returns. */
export interface HarmonicResult<F extends Float64Array | Matrix = Float64Array | Matrix> extends LearnResult<F> {
  /** Unlabelled nodes in components without any labelled node: the harmonic extension is not
   *  determined there, and f is 0. */
  unreached: number;
}

/**
 * The harmonic-function solution of Zhu, Ghahramani & Lafferty (2003): f equals the given
 * values on the labelled nodes S and is harmonic on the others U (each f_i the weighted mean of
 * its neighbours' values), i.e. L_UU·f_U = −L_US·y_S. L_UU is the Laplacian of the subgraph
 * induced by U plus, on each node, its total weight to S: an SDDM system, solved with the
 * LaplacianSolver on that subgraph with a per-node shift (Laplacians.jl's `harmonic_interp`
 * does the same). `values` has one row per labelled node, in the order of `labeled`: a vector,
 * or an l×k matrix (e.g. one-hot classes, solved as one block).
 *
 * Unlabelled nodes whose component holds no labelled node get f = 0 (counted in `unreached`).
 */
export function harmonicFunction(graph: Graph, labeled: ArrayLike<number>, values: VectorLike, options?: HarmonicOptions): HarmonicResult<Float64Array>;
export function harmonicFunction(graph: Graph, labeled: ArrayLike<number>, values: MatrixLike, options?: HarmonicOptions): HarmonicResult<Matrix>;
export function harmonicFunction(graph: Graph, labeled: ArrayLike<number>, values: VectorLike | MatrixLike, options?: HarmonicOptions): HarmonicResult {
  const where = "harmonicFunction";
  const o = checkOptions<HarmonicOptions>(options, where, SOLVER_KEYS);
  const g = graphArg(graph, where);
  const n = g.n;
  const { nodes, inS } = labelledNodes(labeled, n, where);
  const { data: y, k, vector } = valuesBlock(values, nodes.length, `${where}: values`);
  // Values of the labelled nodes by node.
  const yAt = new Float64Array(n * k);
  for (let t = 0; t < nodes.length; t++) for (let j = 0; j < k; j++) yAt[nodes[t] * k + j] = y[t * k + j];
  // Unlabelled nodes, renumbered 0..nu−1 in node order.
  const local = new Int32Array(n).fill(-1);
  const unl: number[] = [];
  for (let i = 0; i < n; i++) if (!inS[i]) local[i] = unl.push(i) - 1;
  const nu = unl.length;
  const f = new Float64Array(n * k);
  f.set(yAt);
  if (nu === 0) return { f: vector ? f : new Matrix(n, k, f), iterations: 0, residual: 0, converged: true, unreached: 0 };
  // The induced subgraph on U; shift s_i = Σ_{j∈S} w_ij; right-hand side Σ_{j∈S} w_ij·y_j.
  const su: number[] = [], sv: number[] = [], sw: number[] = [];
  const shift = new Float64Array(nu);
  const rhs = new Float64Array(nu * k);
  for (let e = 0; e < g.m; e++) {
    const a = g.u[e], b = g.v[e], w = g.w[e];
    const la = local[a], lb = local[b];
    if (la >= 0 && lb >= 0) {
      su.push(la);
      sv.push(lb);
      sw.push(w);
    } else if (la >= 0) {
      shift[la] += w;
      for (let j = 0; j < k; j++) rhs[la * k + j] += w * yAt[b * k + j];
    } else if (lb >= 0) {
      shift[lb] += w;
      for (let j = 0; j < k; j++) rhs[lb * k + j] += w * yAt[a * k + j];
    }
  }
  const sub = Graph.fromEdges(su, sv, sw, { n: nu });
  const solver = new LaplacianSolver(sub, { shift, ...solverOptions(o) });
  try {
    const r = k === 1 && vector ? solver.solve(rhs) : solver.solve(new Matrix(nu, k, rhs));
    const x = r.x instanceof Matrix ? r.x.data : r.x;
    for (let t = 0; t < nu; t++) for (let j = 0; j < k; j++) f[unl[t] * k + j] = x[t * k + j];
    // Unreached: unlabelled components (of the subgraph) without any shift.
    const comps = sub.components();
    const touched = new Uint8Array(comps.count);
    for (let t = 0; t < nu; t++) if (shift[t] > 0) touched[comps.labels[t]] = 1;
    let unreached = 0;
    for (let t = 0; t < nu; t++) if (!touched[comps.labels[t]]) unreached++;
    return { f: vector ? f : new Matrix(n, k, f), iterations: r.iterations, residual: r.residual, converged: r.converged, unreached };
  } finally {
    solver.dispose();
  }
}

/** Options of `softHarmonicFunction`. */
export interface SoftHarmonicOptions extends LearnSolverOptions {
  /** Weight λ > 0 of the smoothness term λ·fᵀ(L + γI)f against the fit on the labelled
   *  nodes (default 1). */
  lambda?: number;
  /** Ridge γ ≥ 0 added to L (default 0); γ > 0 makes the system definite even on components
   *  without labels, and is the γ of the (ε, γ)-sparsifier the estimate tolerates. */
  gamma?: number;
}

const SOFT_KEYS = ["lambda", "gamma", ...SOLVER_KEYS] as const;

/**
 * The regularised harmonic function (Belkin, Matveeva & Niyogi 2004): f = argmin_f
 * Σ_{i∈S}(f_i − y_i)² + λ·fᵀ(L + γI)f = (I_S + λ(L + γI))⁻¹·I_S·y, I_S the indicator of the
 * labelled nodes. Solved as (L + diag(γ + [i ∈ S]/λ))·f = I_S·y/λ with the LaplacianSolver.
 * `values` as for `harmonicFunction`. With γ = 0, components without labels get f = 0.
 */
export function softHarmonicFunction(graph: Graph, labeled: ArrayLike<number>, values: VectorLike, options?: SoftHarmonicOptions): LearnResult<Float64Array>;
export function softHarmonicFunction(graph: Graph, labeled: ArrayLike<number>, values: MatrixLike, options?: SoftHarmonicOptions): LearnResult<Matrix>;
export function softHarmonicFunction(graph: Graph, labeled: ArrayLike<number>, values: VectorLike | MatrixLike, options?: SoftHarmonicOptions): LearnResult {
  const where = "softHarmonicFunction";
  const o = checkOptions<SoftHarmonicOptions>(options, where, SOFT_KEYS);
  const g = graphArg(graph, where);
  const { lambda, gamma } = softParams(o, where);
  const { nodes } = labelledNodes(labeled, g.n, where);
  const { data: y, k, vector } = valuesBlock(values, nodes.length, `${where}: values`);
  const { shift, rhs } = softSystem(g.n, nodes, y, k, lambda, gamma);
  const solver = new LaplacianSolver(g, { shift, ...solverOptions(o) });
  try {
    const r = vector ? solver.solve(rhs) : solver.solve(new Matrix(g.n, k, rhs));
    return { f: r.x, iterations: r.iterations, residual: r.residual, converged: r.converged };
  } finally {
    solver.dispose();
  }
}

function softParams(o: SoftHarmonicOptions, where: string): { lambda: number; gamma: number } {
  return { lambda: positive(o.lambda ?? 1, `${where}: lambda`), gamma: nonNegative(o.gamma ?? 0, `${where}: gamma`) };
}

/** Shift γ + [i ∈ S]/λ and right-hand side I_S·y/λ of the soft system (divided by λ). */
function softSystem(n: number, nodes: Int32Array, y: Float64Array, k: number, lambda: number, gamma: number): { shift: Float64Array; rhs: Float64Array } {
  const shift = new Float64Array(n).fill(gamma);
  const rhs = new Float64Array(n * k);
  for (let t = 0; t < nodes.length; t++) {
    const i = nodes[t];
    shift[i] += 1 / lambda;
    for (let j = 0; j < k; j++) rhs[i * k + j] = y[t * k + j] / lambda;
  }
  return { shift, rhs };
}

/** Options of `harmonicClassify`. */
export interface HarmonicClassifyOptions extends SoftHarmonicOptions {
  /** "hard" (default): the harmonic function; "soft": the regularised one (uses lambda, gamma). */
  method?: "hard" | "soft";
  /** Number of classes K (default: the largest class + 1). */
  classes?: number;
  /** "mass" (default): class mass normalisation (Zhu, Ghahramani & Lafferty 2003) — each
   *  class's scores are scaled so that their total over the unlabelled nodes matches the
   *  class's share of the labels before the argmax, which corrects the pull of the larger
   *  classes when labels are few; "none": the raw argmax. */
  normalize?: "mass" | "none";
}

/** What `harmonicClassify` returns. */
export interface HarmonicClassification {
  /** Predicted class of every node: the labelled nodes keep theirs; nodes whose scores are all
   *  0 (no labelled node in their component) get −1. */
  predictions: Int32Array;
  /** n×K scores, one column per class: the one-vs-rest harmonic functions of the one-hot labels
   *  (before the class mass normalisation). */
  scores: Matrix;
  /** Iterations of the block solve. */
  iterations: number;
  /** Whether the solve converged. */
  converged: boolean;
}

const CLASSIFY_KEYS = ["method", "classes", "normalize", ...SOFT_KEYS] as const;

/**
 * Semi-supervised classification, one-vs-rest: the one-hot labels of the labelled nodes
 * (`classes[t]` ∈ [0, K) for node `labeled[t]`) are extended by the harmonic function (or its
 * regularised form) as one block of K columns, and each node takes the class of its largest
 * score (ties: the smaller class), after class mass normalisation unless `normalize: "none"`.
 * Hard harmonic scores are the probabilities that a random walk from the node first reaches a
 * node of each class (Zhu, Ghahramani & Lafferty 2003).
 */
export function harmonicClassify(graph: Graph, labeled: ArrayLike<number>, classes: ArrayLike<number>, options?: HarmonicClassifyOptions): HarmonicClassification {
  const where = "harmonicClassify";
  const o = checkOptions<HarmonicClassifyOptions>(options, where, CLASSIFY_KEYS);
  const g = graphArg(graph, where);
  const method = oneOf(o.method ?? "hard", `${where}: method`, ["hard", "soft"] as const);
  const normalize = oneOf(o.normalize ?? "mass", `${where}: normalize`, ["mass", "none"] as const);
  if (method === "hard" && (o.lambda !== undefined || o.gamma !== undefined)) throw new ValueError(`${where}: lambda and gamma apply to method "soft" only`);
  if (classes === null || typeof classes !== "object" || typeof classes.length !== "number") throw new ValueError(`${where}: classes must be an array of class indices`);
  if (classes.length !== labeled.length) throw new ShapeError(`${where}: classes has ${classes.length} entries but labeled has ${labeled.length}`);
  let K = 0;
  for (let t = 0; t < classes.length; t++) {
    const c = classes[t];
    if (typeof c !== "number" || !Number.isInteger(c) || c < 0) throw new ValueError(`${where}: classes[${t}] is ${String(c)}; classes must be integers ≥ 0`);
    K = Math.max(K, c + 1);
  }
  if (o.classes !== undefined) {
    const given = integer(o.classes, `${where}: classes (option)`, 1);
    if (given < K) throw new ValueError(`${where}: option classes = ${given} but the labels go up to ${K - 1}`);
    K = given;
  }
  if (K === 0) throw new ValueError(`${where}: no labelled nodes`);
  const Y = new Matrix(classes.length, K);
  for (let t = 0; t < classes.length; t++) Y.data[t * K + classes[t]] = 1;
  const solve = { tol: o.tol, maxIter: o.maxIter, preconditioner: o.preconditioner, seed: o.seed };
  const r = method === "hard"
    ? harmonicFunction(g, labeled, Y, solve)
    : softHarmonicFunction(g, labeled, Y, { ...solve, lambda: o.lambda, gamma: o.gamma });
  const scores = r.f;
  // Class mass normalisation: weight_c = q_c / Σ_{i ∈ U} f_c(i), q_c the share of class c
  // among the labels (0 for a class whose scores are all 0).
  const weight = new Float64Array(K).fill(1);
  if (normalize === "mass") {
    const mass = new Float64Array(K), share = new Float64Array(K);
    const labelledMask = new Uint8Array(g.n);
    for (let t = 0; t < labeled.length; t++) {
      labelledMask[labeled[t]] = 1;
      share[classes[t]] += 1 / labeled.length;
    }
    for (let i = 0; i < g.n; i++) if (!labelledMask[i]) for (let c = 0; c < K; c++) mass[c] += scores.data[i * K + c];
    for (let c = 0; c < K; c++) weight[c] = mass[c] > 0 ? share[c] / mass[c] : 0;
  }
  const predictions = new Int32Array(g.n);
  for (let i = 0; i < g.n; i++) {
    let best = -1, bv = 0;
    for (let c = 0; c < K; c++) {
      const v = weight[c] * scores.data[i * K + c];
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    predictions[i] = best;
  }
  for (let t = 0; t < labeled.length; t++) predictions[labeled[t]] = classes[t];
  return { predictions, scores, iterations: r.iterations, converged: r.converged };
}

/** The fraction of `nodes` (default: all) where `predicted` equals `truth`. */
export function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>, nodes?: ArrayLike<number>): number {
  if (predicted.length !== truth.length) throw new ShapeError(`accuracy: predicted has ${predicted.length} entries but truth has ${truth.length}`);
  const idx = nodes ?? Array.from({ length: truth.length }, (_, i) => i);
  if (idx.length === 0) throw new ValueError("accuracy: no nodes to score");
  let hit = 0;
  for (let t = 0; t < idx.length; t++) {
    const i = idx[t];
    if (!Number.isInteger(i) || i < 0 || i >= truth.length) throw new ValueError(`accuracy: nodes[${t}] is ${i}; expected an index in [0, ${truth.length})`);
    if (predicted[i] === truth[i]) hit++;
  }
  return hit / idx.length;
}

// ---------------------------------------------------------------------------------------
// Spectral embedding.

/** spectralEmbedding's "auto" method uses the dense eigensolver up to this many nodes. */
export const DENSE_EMBEDDING_NODES = 1000;

/** Options of `spectralEmbedding`. */
export interface EmbeddingOptions {
  /** "dense" (eigh of the dense Laplacian, n ≤ 4096), "lobpcg", or "auto" (default): dense up
   *  to `DENSE_EMBEDDING_NODES` nodes. */
  method?: "auto" | "dense" | "lobpcg";
  /** Seed of LOBPCG's start block and of the preconditioner (default 0). */
  seed?: number;
  /** LOBPCG stops when every ‖L·x_j − λ_j·x_j‖ ≤ tol·λ_j (default 1e-6). */
  tol?: number;
  /** Most LOBPCG iterations (default 500). */
  maxIter?: number;
  /** Preconditioner of the inner solves (default "auto"). */
  preconditioner?: LaplacianPreconditioner;
  /** Relative residual of the inner solve L·w = r that preconditions each step (default 1e-2). */
  innerTol?: number;
}

/** What `spectralEmbedding` returns. */
export interface Embedding {
  /** The k smallest nontrivial eigenvalues of L, ascending. */
  values: Float64Array;
  /** n×k, column j the unit eigenvector of values[j]: orthogonal to the constants of every
   *  component; its largest-magnitude entry (the first such) is positive. */
  vectors: Matrix;
  /** "dense" or "lobpcg". */
  method: "dense" | "lobpcg";
  /** LOBPCG iterations (0 for dense). */
  iterations: number;
  /** Whether LOBPCG met tol (true for dense). */
  converged: boolean;
  /** ‖L·x_j − λ_j·x_j‖ per column. */
  residuals: Float64Array;
}

const EMBEDDING_KEYS = ["method", "seed", "tol", "maxIter", "preconditioner", "innerTol"] as const;

/**
 * The spectral embedding: the eigenvectors of the k smallest nontrivial eigenvalues of L. The
 * trivial eigenvectors are the constants of each component (eigenvalue 0); the embedding is
 * computed on the vectors that sum to 0 on every component, so a graph with c components has
 * n − c nontrivial eigenvalues (ValueError if k exceeds that). Dense (eigh of L with
 * σ·Σ_c 1_c1_cᵀ/|c| added, σ above L's spectrum) for small graphs; otherwise LOBPCG (Knyazev
 * 2001) on a block of k vectors from a seeded start, each step preconditioned by an inexact solve
 * with L (LaplacianSolver, tolerance `innerTol`), with Rayleigh–Ritz on [X, W, P].
 *
 * Eigenvectors of repeated or close eigenvalues are not individually determined; the span of
 * the k vectors is, when λ_{k+1} is well above λ_k.
 */
export function spectralEmbedding(graph: Graph, k: number, options?: EmbeddingOptions): Embedding {
  const where = "spectralEmbedding";
  const o = checkOptions<EmbeddingOptions>(options, where, EMBEDDING_KEYS);
  const g = graphArg(graph, where);
  const { count: c } = g.components();
  integer(k, `${where}: k`, 1);
  if (k > g.n - c) throw new ValueError(`${where}: k = ${k} but the graph has only ${g.n - c} nontrivial eigenvalues (n = ${g.n}, ${c} components)`);
  const method = oneOf(o.method ?? "auto", `${where}: method`, ["auto", "dense", "lobpcg"] as const);
  const seed = checkSeed(o.seed ?? 0, `${where}: seed`);
  const tol = positive(o.tol ?? 1e-6, `${where}: tol`);
  const maxIter = integer(o.maxIter ?? 500, `${where}: maxIter`, 1);
  const innerTol = positive(o.innerTol ?? 1e-2, `${where}: innerTol`);
  const dense = method === "dense" || (method === "auto" && g.n <= DENSE_EMBEDDING_NODES);
  const res = dense ? denseEmbedding(g, k) : lobpcg(g, k, { seed, tol, maxIter, innerTol, preconditioner: o.preconditioner });
  normaliseSigns(res.vectors);
  return res;
}

/** Flip each column so that its first entry of largest magnitude is positive. */
function normaliseSigns(V: Matrix): void {
  const { rows, cols, data } = V;
  for (let j = 0; j < cols; j++) {
    let best = 0, at = 0;
    for (let i = 0; i < rows; i++) {
      const a = Math.abs(data[i * cols + j]);
      if (a > best) {
        best = a;
        at = i;
      }
    }
    if (data[at * cols + j] < 0) for (let i = 0; i < rows; i++) data[i * cols + j] = -data[i * cols + j];
  }
}

function residualNorms(g: Graph, V: Matrix, values: Float64Array): Float64Array {
  const s = new LaplacianSolver(g, { preconditioner: "none" });
  try {
    const LV = s.multiply(V);
    const k = V.cols, out = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      let acc = 0;
      for (let i = 0; i < g.n; i++) acc += (LV.data[i * k + j] - values[j] * V.data[i * k + j]) ** 2;
      out[j] = Math.sqrt(acc);
    }
    return out;
  } finally {
    s.dispose();
  }
}

function denseEmbedding(g: Graph, k: number): Embedding {
  const n = g.n;
  const A = g.laplacianDense();
  const { labels, sizes } = g.components();
  const deg = g.degrees();
  let dmax = 0;
  for (const d of deg) dmax = Math.max(dmax, d);
  const sigma = 4 * dmax + 1; // > 2·d_max ≥ λ_max(L): the constants move above the spectrum
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (labels[i] === labels[j]) A.data[i * n + j] += sigma / sizes[labels[i]];
  const { values, vectors } = linalg.eigh(A);
  const V = new Matrix(n, k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) V.data[i * k + j] = vectors.data[i * n + j];
  const vals = values.slice(0, k);
  return { values: vals, vectors: V, method: "dense", iterations: 0, converged: true, residuals: residualNorms(g, V, vals) };
}

interface LobpcgSettings {
  seed: number;
  tol: number;
  maxIter: number;
  innerTol: number;
  preconditioner: LaplacianPreconditioner | undefined;
}

/** Columns side by side. */
function hcat(blocks: Matrix[]): Matrix {
  const rows = blocks[0].rows;
  let cols = 0;
  for (const b of blocks) cols += b.cols;
  const out = new Matrix(rows, cols);
  let off = 0;
  for (const b of blocks) {
    for (let i = 0; i < rows; i++) out.data.set(b.data.subarray(i * b.cols, (i + 1) * b.cols), i * cols + off);
    off += b.cols;
  }
  return out;
}

/** Subtract each column's mean over every component. */
function projectColumns(M: Matrix, labels: Int32Array, sizes: Int32Array): void {
  const { rows, cols, data } = M;
  const sums = new Float64Array(sizes.length * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sums[labels[i] * cols + j] += data[i * cols + j];
  for (let c = 0; c < sizes.length; c++) for (let j = 0; j < cols; j++) sums[c * cols + j] /= sizes[c];
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] -= sums[labels[i] * cols + j];
}

/** An orthonormal basis of the columns of S (and L·S mapped along): S·T with T from the
 *  eigenvectors of SᵀS, directions with a Gram eigenvalue below 1e-12 of the largest dropped;
 *  done twice, as the first pass leaves an orthogonality error of order √ε_mach·κ(S). */
function orthonormalBasis(S: Matrix, LS: Matrix): { Q: Matrix; LQ: Matrix } {
  let Q = S, LQ = LS;
  for (let pass = 0; pass < 2; pass++) {
    const G = linalg.gemm(Q, Q, { transA: true });
    symmetrise(G);
    const { values, vectors } = linalg.eigh(G);
    const m = values.length;
    const top = values[m - 1];
    const keep: number[] = [];
    for (let j = 0; j < m; j++) if (values[j] > 1e-12 * top) keep.push(j);
    const T = new Matrix(m, keep.length);
    keep.forEach((j, c) => {
      const s = 1 / Math.sqrt(values[j]);
      for (let i = 0; i < m; i++) T.data[i * keep.length + c] = vectors.data[i * m + j] * s;
    });
    Q = linalg.matmul(Q, T);
    LQ = linalg.matmul(LQ, T);
  }
  return { Q, LQ };
}

function symmetrise(M: Matrix): void {
  const n = M.rows, d = M.data;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) d[i * n + j] = d[j * n + i] = 0.5 * (d[i * n + j] + d[j * n + i]);
}

function normaliseColumns(M: Matrix): void {
  const { rows, cols, data } = M;
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += data[i * cols + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let i = 0; i < rows; i++) data[i * cols + j] *= inv;
  }
}

/** LOBPCG (Knyazev 2001) for the k smallest eigenpairs of L on the vectors summing to 0 on every
 *  component. Each iteration: residuals R = L·X − X·Λ; W = an inexact solve L·W = R (the
 *  preconditioner), made orthogonal to X; Rayleigh–Ritz on span[X, W, P] (orthonormalised, with
 *  L·[X, W, P] recomputed by one block product); P = the part of the new X outside the old. */
function lobpcg(g: Graph, k: number, s: LobpcgSettings): Embedding {
  const n = g.n;
  const { labels, sizes } = g.components();
  const solver = new LaplacianSolver(g, { tol: s.innerTol, preconditioner: s.preconditioner, seed: s.seed });
  const rng = new Rng(s.seed, 3);
  try {
    let X = new Matrix(n, k, rng.normal(n * k));
    projectColumns(X, labels, sizes);
    ({ Q: X } = orthonormalBasis(X, X));
    let LX = solver.multiply(X);
    let P: Matrix | null = null;
    let values = new Float64Array(k);
    let residuals = new Float64Array(k);
    // Rayleigh–Ritz on X alone.
    {
      const Hm = linalg.gemm(X, LX, { transA: true });
      symmetrise(Hm);
      const { values: th, vectors: Y } = linalg.eigh(Hm);
      X = linalg.matmul(X, Y);
      LX = linalg.matmul(LX, Y);
      values = th.slice(0, k);
    }
    let converged = false, it = 0;
    for (; it < s.maxIter; it++) {
      const R = new Matrix(n, k);
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) R.data[i * k + j] = LX.data[i * k + j] - values[j] * X.data[i * k + j];
      residuals = new Float64Array(k);
      for (let i = 0; i < n * k; i++) residuals[i % k] += R.data[i] ** 2;
      converged = true;
      for (let j = 0; j < k; j++) {
        residuals[j] = Math.sqrt(residuals[j]);
        if (!(residuals[j] <= s.tol * values[j])) converged = false;
      }
      if (converged) break;
      const W = solver.solve(R).x;
      projectColumns(W, labels, sizes);
      // W ← W − X·(Xᵀ·W)
      const XtW = linalg.gemm(X, W, { transA: true });
      const Wn = linalg.gemm(X, XtW, { alpha: -1, beta: 1, C: W });
      normaliseColumns(Wn);
      const blocks = P ? [X, Wn, P] : [X, Wn];
      const S = hcat(blocks);
      // Rounding leaves traces of the constants; orthonormalising would magnify them (the
      // new directions are small near convergence) and Rayleigh–Ritz would pick them up.
      projectColumns(S, labels, sizes);
      const { Q, LQ } = orthonormalBasis(S, solver.multiply(S));
      const Hm = linalg.gemm(Q, LQ, { transA: true });
      symmetrise(Hm);
      const { values: th, vectors: Yall } = linalg.eigh(Hm);
      const m = Hm.rows;
      const Y = new Matrix(m, k);
      for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) Y.data[i * k + j] = Yall.data[i * m + j];
      const Xn = linalg.matmul(Q, Y);
      const LXn = linalg.matmul(LQ, Y);
      // P = Xn − X·(Xᵀ·Xn): the new directions.
      const XtXn = linalg.gemm(X, Xn, { transA: true });
      P = linalg.gemm(X, XtXn, { alpha: -1, beta: 1, C: Xn });
      normaliseColumns(P);
      X = Xn;
      LX = LXn;
      values = th.slice(0, k);
    }
    // Residuals of the returned pairs, with a fresh product.
    projectColumns(X, labels, sizes);
    return { values, vectors: X, method: "lobpcg", iterations: it, converged, residuals: residualNorms(g, X, values) };
  } finally {
    solver.dispose();
    rng.dispose();
  }
}

// ---------------------------------------------------------------------------------------
// G against a sparsifier H.

/** Options of the *Gap helpers. */
export interface GapOptions extends LearnSolverOptions {
  /** The spectral error ε to bound with (e.g. the sparsifier's target); by default it is
   *  measured with `spectralError` (exact up to 2,000 nodes, a Lanczos estimate — from below —
   *  above). */
  epsilon?: number;
}

/** What `smoothingGap` returns. */
export interface SmoothingGap {
  /** The estimate on G. */
  fG: Float64Array | Matrix;
  /** The estimate on H. */
  fH: Float64Array | Matrix;
  /** ‖f_H − f_G‖ / ‖y‖ (Frobenius norms for several signals). */
  difference: number;
  /** The ε used: the spectral error of H against G at γ = 1/λ. */
  epsilon: number;
  /** ε/(1 − ε) (Infinity for ε ≥ 1). */
  bound: number;
  /** difference ≤ bound. */
  withinBound: boolean;
  /** The spectral error measured (null when `epsilon` was given). */
  spectral: SpectralErrorResult | null;
}

function norm(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

function flat(f: Float64Array | Matrix): Float64Array {
  return f instanceof Matrix ? f.data : f;
}

function gapEpsilon(G: Graph, H: Graph, gamma: number, o: GapOptions, where: string): { epsilon: number; spectral: SpectralErrorResult | null } {
  if (o.epsilon !== undefined) return { epsilon: nonNegative(o.epsilon, `${where}: epsilon`), spectral: null };
  const spectral = spectralError(G, H, { gamma, seed: o.seed, preconditioner: o.preconditioner });
  return { epsilon: spectral.epsilon, spectral };
}

/**
 * Laplacian smoothing on G and on a sparsifier H, and the difference against its bound: with ε
 * the spectral error of H at γ = 1/λ (so that (1 − ε)(I + λL_G) ⪯ I + λL_H ⪯ (1 + ε)(I + λL_G)),
 * ‖f_H − f_G‖ ≤ ε/(1 − ε)·‖y‖ (the lemma above with A = I + λL_G ⪰ I and ‖f_G‖_A ≤ ‖y‖).
 */
export function smoothingGap(G: Graph, H: Graph, y: VectorLike | MatrixLike, options?: SmoothingOptions & GapOptions): SmoothingGap {
  const where = "smoothingGap";
  const o = checkOptions<SmoothingOptions & GapOptions>(options, where, [...SMOOTHING_KEYS, "epsilon"]);
  graphArg(G, where);
  graphArg(H, where);
  if (G.n !== H.n) throw new ShapeError(`${where}: H has ${H.n} nodes but G has ${G.n}`);
  const lambda = positive(o.lambda ?? 1, `${where}: lambda`);
  const solve = { lambda, tol: o.tol, maxIter: o.maxIter, preconditioner: o.preconditioner, seed: o.seed };
  const fG = laplacianSmoothing(G, y as MatrixLike, solve).f;
  const fH = laplacianSmoothing(H, y as MatrixLike, solve).f;
  const a = flat(fG), b = flat(fH);
  const d = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) d[i] = b[i] - a[i];
  const yv = valuesBlock(y, G.n, `${where}: y`).data;
  const difference = norm(d) / norm(yv);
  const { epsilon, spectral } = gapEpsilon(G, H, 1 / lambda, o, where);
  const bound = epsilon < 1 ? epsilon / (1 - epsilon) : Infinity;
  return { fG, fH, difference, epsilon, bound, withinBound: difference <= bound, spectral };
}

/** What `softHarmonicGap` returns. */
export interface SoftHarmonicGap {
  /** The estimate on G. */
  fG: Float64Array | Matrix;
  /** The estimate on H. */
  fH: Float64Array | Matrix;
  /** ‖f_H − f_G‖_A / ‖f_G‖_A, A = I_S + λ(L_G + γI) (summed over columns). */
  difference: number;
  /** The ε used: the spectral error of H against G at γ. */
  epsilon: number;
  /** ε/(1 − ε). */
  bound: number;
  /** difference ≤ bound. */
  withinBound: boolean;
  /** The spectral error measured (null when `epsilon` was given). */
  spectral: SpectralErrorResult | null;
}

/**
 * The regularised harmonic function on G and on a sparsifier H, and the difference in the norm
 * of A = I_S + λ(L_G + γI) against its bound: an (ε, γ)-sparsifier gives
 * (1 − ε)A ⪯ Ã ⪯ (1 + ε)A (I_S is common to both), hence ‖f_H − f_G‖_A ≤ ε/(1 − ε)·‖f_G‖_A.
 */
export function softHarmonicGap(G: Graph, H: Graph, labeled: ArrayLike<number>, values: VectorLike | MatrixLike, options?: SoftHarmonicOptions & GapOptions): SoftHarmonicGap {
  const where = "softHarmonicGap";
  const o = checkOptions<SoftHarmonicOptions & GapOptions>(options, where, [...SOFT_KEYS, "epsilon"]);
  graphArg(G, where);
  graphArg(H, where);
  if (G.n !== H.n) throw new ShapeError(`${where}: H has ${H.n} nodes but G has ${G.n}`);
  const { lambda, gamma } = softParams(o, where);
  const solve = { lambda, gamma, tol: o.tol, maxIter: o.maxIter, preconditioner: o.preconditioner, seed: o.seed };
  const fG = softHarmonicFunction(G, labeled, values as MatrixLike, solve).f;
  const fH = softHarmonicFunction(H, labeled, values as MatrixLike, solve).f;
  const { nodes } = labelledNodes(labeled, G.n, where);
  const k = fG instanceof Matrix ? fG.cols : 1;
  const { shift } = softSystem(G.n, nodes, new Float64Array(nodes.length * k), k, lambda, gamma);
  const A = new LaplacianSolver(G, { shift, preconditioner: "jacobi" });
  let difference: number;
  try {
    const a = flat(fG), b = flat(fH);
    const d = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) d[i] = b[i] - a[i];
    // ‖x‖_A² = λ·xᵀ(L + diag(shift))x.
    const sq = (x: Float64Array) => {
      const Ax = k === 1 ? A.multiply(x) : A.multiply(new Matrix(G.n, k, x)).data;
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i] * Ax[i];
      return lambda * s;
    };
    const nf = Math.sqrt(sq(a));
    difference = nf > 0 ? Math.sqrt(Math.max(sq(d), 0)) / nf : 0;
  } finally {
    A.dispose();
  }
  const { epsilon, spectral } = gapEpsilon(G, H, gamma, o, where);
  const bound = epsilon < 1 ? epsilon / (1 - epsilon) : Infinity;
  return { fG, fH, difference, epsilon, bound, withinBound: difference <= bound, spectral };
}

/** What `embeddingGap` returns. */
export interface EmbeddingGap {
  /** The embedding of G. */
  embeddingG: Embedding;
  /** The embedding of H. */
  embeddingH: Embedding;
  /** max_j |λ_j(H)/λ_j(G) − 1| over the k eigenvalues (Courant–Fischer: ≤ ε). */
  eigenvalueError: number;
  /** The ε used (the spectral error of H at γ = 0). */
  epsilon: number;
  /** sin of the largest principal angle between the two k-dimensional embeddings. */
  subspaceSine: number;
  /** Relative gap (λ_{k+1} − λ_k)/λ_{k+1} of G: the subspace is stable when it is ≫ ε. */
  relativeGap: number;
  /** The spectral error measured (null when `epsilon` was given). */
  spectral: SpectralErrorResult | null;
}

/**
 * The spectral embeddings of G and of a sparsifier H: the eigenvalue error, bounded by ε
 * (each λ_j(H) ∈ [(1 − ε)λ_j(G), (1 + ε)λ_j(G)] for an ε-sparsifier), and the largest
 * principal angle between the spanned subspaces, which an ε-sparsifier keeps small only when
 * the relative gap (λ_{k+1} − λ_k)/λ_{k+1} is large next to ε (no bound is claimed for it).
 */
export function embeddingGap(G: Graph, H: Graph, k: number, options?: EmbeddingOptions & { epsilon?: number }): EmbeddingGap {
  const where = "embeddingGap";
  const o = checkOptions<EmbeddingOptions & { epsilon?: number }>(options, where, [...EMBEDDING_KEYS, "epsilon"]);
  graphArg(G, where);
  graphArg(H, where);
  if (G.n !== H.n) throw new ShapeError(`${where}: H has ${H.n} nodes but G has ${G.n}`);
  const { epsilon: eps0, ...emb } = o;
  const kk = integer(k, `${where}: k`, 1);
  const nontrivial = G.n - G.components().count;
  const withNext = kk < nontrivial ? kk + 1 : kk;
  const eG = spectralEmbedding(G, withNext, emb);
  const eH = spectralEmbedding(H, kk, emb);
  const trim = (e: Embedding): Embedding => {
    if (e.values.length === kk) return e;
    const V = new Matrix(G.n, kk);
    for (let i = 0; i < G.n; i++) for (let j = 0; j < kk; j++) V.data[i * kk + j] = e.vectors.data[i * withNext + j];
    return { ...e, values: e.values.slice(0, kk), vectors: V, residuals: e.residuals.slice(0, kk) };
  };
  const relativeGap = withNext > kk ? (eG.values[kk] - eG.values[kk - 1]) / eG.values[kk] : NaN;
  const gE = trim(eG);
  let eigenvalueError = 0;
  for (let j = 0; j < kk; j++) eigenvalueError = Math.max(eigenvalueError, Math.abs(eH.values[j] / gE.values[j] - 1));
  // cos² of the principal angles: eigenvalues of (V_Gᵀ V_H)ᵀ(V_Gᵀ V_H).
  const C = linalg.gemm(gE.vectors, eH.vectors, { transA: true });
  const CtC = linalg.gemm(C, C, { transA: true });
  symmetrise(CtC);
  const cos2 = linalg.eigvalsh(CtC);
  const subspaceSine = Math.sqrt(Math.max(0, 1 - Math.min(1, cos2[0])));
  let epsilon: number, spectral: SpectralErrorResult | null = null;
  if (eps0 !== undefined) epsilon = nonNegative(eps0, `${where}: epsilon`);
  else {
    spectral = spectralError(G, H, { gamma: 0, seed: o.seed, preconditioner: o.preconditioner });
    epsilon = spectral.epsilon;
  }
  return { embeddingG: gE, embeddingH: eH, eigenvalueError, epsilon, subspaceSine, relativeGap, spectral };
}
