// Graphs from points: the k-nearest-neighbour graph and the ε-graph of the rows of an n×d
// matrix, with unit or Gaussian weights — the usual way to turn a data set into a graph for
// Laplacian smoothing, semi-supervised learning and spectral embeddings.
//
// Squared distances come from the engine's GEMM, a block of rows at a time:
// ‖xᵢ − xⱼ‖² = ‖xᵢ‖² + ‖xⱼ‖² − 2·xᵢ·xⱼ with the Gram block X_B·Xᵀ, so memory is one
// blockRows × n block (about 32 MiB by default) whatever n, and the arithmetic runs in Wasm
// SIMD. That expansion loses accuracy to cancellation for points much closer to each other
// than to the origin, so it only selects: kNN ranks candidates by it, and the ε-graph keeps a
// pair when it is within a rounding bound of ε² and then checks Σₖ (xᵢₖ − xⱼₖ)² ≤ ε² exactly as
// written. Edge weights always use that direct sum. Everything is deterministic (GEMM has a
// fixed summation order; exp is sdk/core/detmath.ts's), so a data set gives the same graph in
// every runtime.
import { ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { Matrix, asMatrix, type MatrixLike } from "../core/matrix.js";
import { integer } from "../core/validate.js";
import { exp as detExp } from "../core/detmath.js";
import { gemm } from "../linalg/index.js";
import { Graph } from "./graph.js";

/** Options of `knnGraph` and `epsilonGraph`. */
export interface NeighborOptions {
  /** "unit" (every weight 1, the default) or "gaussian": w = exp(−‖xᵢ − xⱼ‖² / (2σ²)). */
  weights?: "unit" | "gaussian";
  /** Bandwidth σ of the Gaussian weights. Default for kNN: the median distance from a point
   *  to its k-th neighbour (the lower median, over all points); for the ε-graph: ε. */
  sigma?: number;
  /** Rows of X per GEMM block (memory blockRows·n doubles). Default: ⌊2²²/n⌋, at least 1. */
  blockRows?: number;
}

/** Options of `knnGraph`. */
export interface KnnOptions extends NeighborOptions {
  /** "union" (default): i ~ j when j is among the k nearest of i or i among those of j, so
   *  every node has at least k neighbours; "mutual": when both hold. */
  symmetrize?: "union" | "mutual";
}

const NEIGHBOR_KEYS = ["weights", "sigma", "blockRows"] as const;
const EPS = 2 ** -52;

function prepare(points: MatrixLike, o: NeighborOptions, where: string) {
  const X = asMatrix(points, `${where}: points`);
  const { rows: n, cols: d } = X;
  if (n > 2 ** 26) throw new ValueError(`${where}: at most 2²⁶ points, got ${n}`);
  const weights = o.weights ?? "unit";
  if (weights !== "unit" && weights !== "gaussian") throw new ValueError(`${where}: weights must be "unit" or "gaussian", got ${JSON.stringify(weights)}`);
  if (o.sigma !== undefined && !(typeof o.sigma === "number" && o.sigma > 0 && o.sigma < Infinity)) throw new ValueError(`${where}: sigma must be a finite number > 0, got ${String(o.sigma)}`);
  if (o.sigma !== undefined && weights !== "gaussian") throw new ValueError(`${where}: sigma applies to weights: "gaussian"`);
  const blockRows = o.blockRows === undefined ? Math.max(1, Math.floor(2 ** 22 / Math.max(1, n))) : integer(o.blockRows, `${where}: blockRows`, 1);
  const x = X.data;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] * x[i * d + k];
    norms[i] = s;
  }
  /** Σₖ (xᵢₖ − xⱼₖ)², in k order. */
  const dist2 = (i: number, j: number): number => {
    let s = 0;
    for (let k = 0; k < d; k++) {
      const t = x[i * d + k] - x[j * d + k];
      s += t * t;
    }
    return s;
  };
  return { X, n, d, weights, blockRows, norms, dist2 };
}

/** Gaussian weights exp(−d²/(2σ²)); ValueError when one underflows to 0. */
function gaussian(d2: Float64Array, sigma2: number, u: Int32Array, v: Int32Array, where: string): Float64Array {
  const w = new Float64Array(d2.length);
  const s = 1 / (2 * sigma2);
  for (let e = 0; e < d2.length; e++) {
    w[e] = detExp(-d2[e] * s);
    if (!(w[e] > 0)) {
      throw new ValueError(`${where}: the Gaussian weight of edge (${u[e]}, ${v[e]}) underflows to 0 (squared distance ${d2[e]}, σ² = ${sigma2}); use a larger sigma`);
    }
  }
  return w;
}

/** Unique pairs i < j from keys i·n + j (sorted in place), with how often each occurred. */
function uniquePairs(keys: Float64Array, n: number): { u: Int32Array; v: Int32Array; count: Int32Array } {
  keys.sort();
  let m = 0;
  for (let t = 0; t < keys.length; t++) if (t === 0 || keys[t] !== keys[t - 1]) m++;
  const u = new Int32Array(m), v = new Int32Array(m), count = new Int32Array(m);
  let e = -1;
  for (let t = 0; t < keys.length; t++) {
    if (t === 0 || keys[t] !== keys[t - 1]) {
      e++;
      const i = Math.floor(keys[t] / n);
      u[e] = i;
      v[e] = keys[t] - i * n;
    }
    count[e]++;
  }
  return { u, v, count };
}

/** The symmetrised k-nearest-neighbour graph of the rows of `points` (n×d): j is a neighbour
 *  of i when it is among the k points closest to xᵢ (other than i itself; ties broken by the
 *  smaller index), ranked by squared Euclidean distance computed blockwise with GEMM. With
 *  `symmetrize: "union"` (default) every node has at least k neighbours. Weights 1, or
 *  Gaussian exp(−‖xᵢ − xⱼ‖²/(2σ²)) with σ the median k-th-neighbour distance unless given.
 *  Cost O(n²d) time (GEMM), O(blockRows·n + nk) memory. */
export function knnGraph(points: MatrixLike, k: number, opts: KnnOptions = {}): Graph {
  const o = checkOptions<KnnOptions>(opts, "knnGraph", [...NEIGHBOR_KEYS, "symmetrize"]);
  const { X, n, d, weights, blockRows, norms, dist2 } = prepare(points, o, "knnGraph");
  integer(k, "knnGraph: k", 1, Math.max(1, n - 1));
  if (n < 2) return Graph.fromEdges([], [], null, { n });
  const sym = o.symmetrize ?? "union";
  if (sym !== "union" && sym !== "mutual") throw new ValueError(`knnGraph: symmetrize must be "union" or "mutual", got ${JSON.stringify(sym)}`);
  const nbr = new Int32Array(n * k); // the k nearest of each point, nearest first
  const bd = new Float64Array(k), bj = new Int32Array(k);
  for (let r0 = 0; r0 < n; r0 += blockRows) {
    const r1 = Math.min(n, r0 + blockRows);
    const G = gemm(new Matrix(r1 - r0, d, X.data.subarray(r0 * d, r1 * d)), X, { transB: true }).data;
    for (let i = r0; i < r1; i++) {
      const row = (i - r0) * n;
      let filled = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        let s = norms[i] + norms[j] - 2 * G[row + j];
        if (!(s > 0)) s = 0;
        if (filled === k && !(s < bd[k - 1])) continue; // j ascending: a tie never displaces
        let t = filled < k ? filled++ : k - 1;
        while (t > 0 && s < bd[t - 1]) {
          bd[t] = bd[t - 1];
          bj[t] = bj[t - 1];
          t--;
        }
        bd[t] = s;
        bj[t] = j;
      }
      nbr.set(bj, i * k);
    }
  }
  const keys = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < k; q++) {
      const j = nbr[i * k + q];
      keys[i * k + q] = i < j ? i * n + j : j * n + i;
    }
  }
  let { u, v, count } = uniquePairs(keys, n);
  if (sym === "mutual") {
    const keep: number[] = [];
    for (let e = 0; e < u.length; e++) if (count[e] === 2) keep.push(e);
    u = Int32Array.from(keep, (e) => u[e]);
    v = Int32Array.from(keep, (e) => v[e]);
  }
  if (weights === "unit") return Graph.fromEdges(u, v, null, { n });
  let sigma2: number;
  if (o.sigma !== undefined) sigma2 = o.sigma * o.sigma;
  else {
    const kth = new Float64Array(n);
    for (let i = 0; i < n; i++) kth[i] = dist2(i, nbr[i * k + k - 1]);
    kth.sort();
    sigma2 = kth[(n - 1) >> 1];
    if (!(sigma2 > 0)) throw new ValueError(`knnGraph: the median distance to the k-th neighbour is 0 (repeated points); give sigma`);
  }
  const d2 = Float64Array.from(u, (a, e) => dist2(a, v[e]));
  return Graph.fromEdges(u, v, gaussian(d2, sigma2, u, v, "knnGraph"), { n });
}

/** The ε-graph of the rows of `points` (n×d): i ~ j when ‖xᵢ − xⱼ‖ ≤ eps, i.e.
 *  Σₖ (xᵢₖ − xⱼₖ)² ≤ eps² as computed in that order (GEMM preselects the candidates). Weights
 *  1, or Gaussian with σ = eps unless given. Cost O(n²d) time, O(blockRows·n + m) memory.
 *  For points in the plane, `randomGeometric`'s cell grid is O(n + m). */
export function epsilonGraph(points: MatrixLike, eps: number, opts: NeighborOptions = {}): Graph {
  const o = checkOptions<NeighborOptions>(opts, "epsilonGraph", NEIGHBOR_KEYS);
  const { X, n, d, weights, blockRows, norms, dist2 } = prepare(points, o, "epsilonGraph");
  if (!(typeof eps === "number" && eps > 0 && eps < Infinity)) throw new ValueError(`epsilonGraph: eps must be a finite number > 0, got ${String(eps)}`);
  const e2 = eps * eps;
  // |computed − exact| ≤ (2d + 3)·u·(‖xᵢ‖² + ‖xⱼ‖²) for the expansion; twice that as margin
  const slack = (4 * d + 8) * EPS;
  let cap = 1024, m = 0;
  let U = new Int32Array(cap), V = new Int32Array(cap), D2 = new Float64Array(cap);
  for (let r0 = 0; r0 < n; r0 += blockRows) {
    const r1 = Math.min(n, r0 + blockRows);
    // only columns j ≥ r0 (pairs i < j)
    const tail = new Matrix(n - r0, d, X.data.subarray(r0 * d));
    const G = gemm(new Matrix(r1 - r0, d, X.data.subarray(r0 * d, r1 * d)), tail, { transB: true }).data;
    const w = n - r0;
    for (let i = r0; i < r1; i++) {
      const row = (i - r0) * w - r0;
      for (let j = i + 1; j < n; j++) {
        const s = norms[i] + norms[j] - 2 * G[row + j];
        if (!(s <= e2 + slack * (norms[i] + norms[j]))) continue;
        const exact = dist2(i, j);
        if (!(exact <= e2)) continue;
        if (m === cap) {
          cap *= 2;
          const u2 = new Int32Array(cap), v2 = new Int32Array(cap), d2 = new Float64Array(cap);
          u2.set(U);
          v2.set(V);
          d2.set(D2);
          U = u2;
          V = v2;
          D2 = d2;
        }
        U[m] = i;
        V[m] = j;
        D2[m] = exact;
        m++;
      }
    }
  }
  const u = U.slice(0, m), v = V.slice(0, m);
  if (weights === "unit") return Graph.fromEdges(u, v, null, { n });
  const sigma = o.sigma ?? eps;
  return Graph.fromEdges(u, v, gaussian(D2.slice(0, m), sigma * sigma, u, v, "epsilonGraph"), { n });
}
