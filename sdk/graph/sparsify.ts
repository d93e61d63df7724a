// One-shot spectral sparsification by effective resistances (Spielman & Srivastava, "Graph
// sparsification by effective resistances", SIAM J. Comput. 40(6), 2011) — the baseline that
// Laplacians.jl's `sparsify` offers, with the ridge variant of Calandriello, Koutis, Lazaric &
// Valko (ICML 2018): resistances r_γ in L + γI, leverages τ_e = w_e·r_γ(e).
//
//   "bernoulli" (default; Laplacians.jl's form): keep edge e independently with probability
//       p_e = min(1, C·ln n·τ_e/ε²), with weight w_e/p_e — E[L_H] = L_G, E[#edges] ≤ C·ln n·d_eff/ε².
//   "replacement" (the paper's Algorithm 1): draw N = ⌈C·ln n·d_eff/ε²⌉ edges with replacement,
//       edge e with probability p_e = τ_e/d_eff; an edge drawn c_e times gets weight
//       c_e·w_e/(N·p_e) — also unbiased, with exactly N samples.
// Both need the whole graph and its resistances (JL by default); GSQUEAK (gsqueak.ts) is the
// streaming and distributed alternative. Seeded: the resistances draw from stream 0 of the
// seed, the sampling from stream 1.
import { getEngine, input, outputI32, scratch } from "../engine/index.js";
import { EdgeSampling, Status } from "../engine/abi.js";
import { ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { asVector } from "../core/matrix.js";
import { integer, positive, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { Graph } from "./graph.js";
import { effectiveResistances, type ResistanceMethod, type ResistanceProgress, type ResistanceResult } from "./resistances.js";

/** Options of `sparsify`. */
export interface SparsifyOptions {
  /** Accuracy ε > 0. Default 0.5. */
  eps?: number;
  /** Ridge γ ≥ 0 of the resistances. Default 0. */
  gamma?: number;
  /** "bernoulli" (default) or "replacement" (see the module notes). */
  sampling?: "bernoulli" | "replacement";
  /** The oversampling constant C in C·ln n·τ_e/ε² (Laplacians.jl's matrixConcConst). Default 4. */
  oversampling?: number;
  /** "bernoulli" only, instead of `oversampling`: the expected number of kept edges. The
   *  probabilities become p_e = min(1, c·τ_e) with the c for which Σ_e p_e = edges (to compare
   *  sparsifiers at the same size); ε then only sets the resistances' JL accuracy. */
  edges?: number;
  /** How the resistances are computed (see effectiveResistances; default "auto"), or the
   *  edge resistances themselves (one r_γ(e) per edge, in edge order). */
  resistances?: ResistanceMethod | ArrayLike<number>;
  /** JL columns of the resistance estimate (default ⌈4·ln n/ε_JL²⌉ with ε_JL = min(ε, 1)). */
  k?: number;
  /** Relative residual of the resistance solves (default 1e-3). */
  tol?: number;
  /** Root seed. Default 0. */
  seed?: number;
  /** Stops the resistance estimate (the reason is thrown). */
  signal?: AbortSignal;
  /** Progress of the resistance estimate. */
  onProgress?: (p: ResistanceProgress) => void;
}

/** What `sparsify` returns. */
export interface SparsifyResult {
  /** The sparsifier H (same nodes and node ids; the kept edges, reweighted). */
  graph: Graph;
  /** Sampling probability of every edge of the input (bernoulli: p_e; replacement:
   *  τ_e/d_eff per draw). */
  probabilities: Float64Array;
  /** Draws made (bernoulli: edges kept; replacement: N). */
  samples: number;
  /** The leverages' sum Σ_e τ_e (d_eff(γ), estimated). */
  deff: number;
  /** The resistance computation (null when resistances were given). */
  resistances: ResistanceResult | null;
}

const KEYS = ["eps", "gamma", "sampling", "oversampling", "edges", "resistances", "k", "tol", "seed", "signal", "onProgress"] as const;

/**
 * Spielman–Srivastava sparsification of a graph: resistances (exact or JL), then independent
 * Bernoulli sampling with p_e = min(1, C·ln n·w_e·r_e/ε²) and weight w/p ("bernoulli"), or
 * N = ⌈C·ln n·d_eff/ε²⌉ draws with replacement ∝ w_e·r_e ("replacement"). With C = 4 and ε ≤ 1
 * the result is an ε-spectral sparsifier (an (ε, γ) one for γ > 0) with high probability; the
 * graph must fit in memory. Cost: the resistances (see effectiveResistances) plus O(m).
 *
 * @example
 * const h = sparsify(erdosRenyi(400, 0.5, { seed: 2 }), { eps: 0.5, seed: 1 }).graph;
 */
export function sparsify(graph: Graph, options: SparsifyOptions = {}): SparsifyResult {
  const o = checkOptions<SparsifyOptions>(options, "sparsify", KEYS);
  if (!(graph instanceof Graph)) throw new ValueError(`sparsify: graph must be a Graph, got ${graph === null ? "null" : typeof graph}`);
  const eps = positive(o.eps ?? 0.5, "sparsify: eps");
  if (!Number.isFinite(eps)) throw new ValueError("sparsify: eps must be finite");
  const gamma = o.gamma ?? 0;
  if (typeof gamma !== "number" || !(gamma >= 0 && gamma < Infinity)) throw new ValueError(`sparsify: gamma must be a finite number ≥ 0, got ${String(gamma)}`);
  const sampling = o.sampling ?? "bernoulli";
  if (sampling !== "bernoulli" && sampling !== "replacement") throw new ValueError(`sparsify: sampling must be "bernoulli" or "replacement", got ${JSON.stringify(sampling)}`);
  const C = positive(o.oversampling ?? 4, "sparsify: oversampling");
  if (o.edges !== undefined) {
    if (sampling !== "bernoulli") throw new ValueError('sparsify: edges (a target size) applies to sampling "bernoulli"');
    if (o.oversampling !== undefined) throw new ValueError("sparsify: give oversampling or edges (a target size), not both");
    integer(o.edges, "sparsify: edges", 0, graph.m);
  }
  const seed = checkSeed(o.seed ?? 0, "sparsify: seed");
  const n = graph.n, m = graph.m;
  let r: Float64Array;
  let res: ResistanceResult | null = null;
  if (o.resistances !== undefined && typeof o.resistances !== "string") {
    if (o.k !== undefined || o.tol !== undefined) throw new ValueError("sparsify: k and tol apply when the resistances are computed, not given");
    r = asVector(o.resistances, "sparsify: resistances", { length: m });
    for (let e = 0; e < m; e++) if (!(r[e] > 0 && r[e] < Infinity)) throw new ValueError(`sparsify: resistances[${e}] is ${r[e]}; resistances of edges are finite and > 0`);
  } else {
    const method = o.resistances ?? "auto";
    const jl = method === "exact" ? {} : { seed, ...(o.k !== undefined ? { k: o.k } : { eps: Math.min(eps, 1) }) };
    res = effectiveResistances(graph, {
      gamma, method, ...jl, ...(o.tol !== undefined ? { tol: o.tol } : {}), signal: o.signal, onProgress: o.onProgress,
    });
    r = res.resistances;
  }
  const tau = new Float64Array(m);
  let deff = 0;
  for (let e = 0; e < m; e++) {
    tau[e] = graph.w[e] * r[e];
    deff += tau[e];
  }
  const scale = (C * Math.log(Math.max(n, 2))) / (eps * eps);
  const prob = new Float64Array(m);
  let total = 0;
  if (sampling === "bernoulli") {
    const c = o.edges !== undefined ? scaleForSize(tau, o.edges) : scale;
    for (let e = 0; e < m; e++) prob[e] = Math.min(1, c * tau[e]);
  }
  else {
    total = m === 0 ? 0 : Math.ceil(scale * deff);
    for (let e = 0; e < m; e++) prob[e] = deff > 0 ? tau[e] / deff : 0;
  }
  const rng = new Rng(seed, 1);
  let counts: Int32Array;
  try {
    const call = getEngine().call("graph_sample_edges", {
      mode: sampling === "bernoulli" ? EdgeSampling.BERNOULLI : EdgeSampling.MULTINOMIAL, m, prob: input(prob), total,
      rng: rng.stateBuffer, counts: outputI32(Math.max(1, m)), work: scratch(Math.max(1, m)),
    });
    if (call.ret !== Status.OK) throw new ValueError("sparsify: the engine rejected the sampling probabilities (a bug in seqlearn's validation)");
    counts = call.output("counts").subarray(0, m);
  } finally {
    rng.dispose();
  }
  const u: number[] = [], v: number[] = [], w: number[] = [];
  let samples = 0;
  for (let e = 0; e < m; e++) {
    const c = counts[e];
    if (c === 0) continue;
    u.push(graph.u[e]);
    v.push(graph.v[e]);
    w.push(sampling === "bernoulli" ? graph.w[e] / prob[e] : (c * graph.w[e]) / (total * prob[e]));
    samples += c;
  }
  const h = Graph.fromEdges(u, v, w, graph.nodeIds ? { n, nodeIds: graph.nodeIds } : { n });
  return { graph: h, probabilities: prob, samples, deff, resistances: res };
}

/** The c ≥ 0 with Σ_e min(1, c·τ_e) = target (τ_e > 0; Infinity when target is every edge).
 *  With τ sorted in decreasing order and the j largest saturated (c·τ ≥ 1), the rest sum to
 *  c·S_j, S_j = Σ_{i>j} τ_i, so c = (target − j)/S_j for the first j where that c leaves τ_{j+1}
 *  unsaturated. */
function scaleForSize(tau: Float64Array, target: number): number {
  const m = tau.length;
  if (target >= m) return Infinity;
  if (target <= 0) return 0;
  const t = Float64Array.from(tau).sort().reverse();
  const tail = new Float64Array(m + 1); // tail[j] = Σ_{i ≥ j} t[i]
  for (let i = m - 1; i >= 0; i--) tail[i] = tail[i + 1] + t[i];
  // At j = target − 1, c·t[j] = t[j]/tail[j] < 1 (tail[j] includes t[target] > 0): the loop
  // always returns.
  let j = 0;
  while (j < target - 1 && !((target - j) * t[j] < tail[j])) j++;
  return (target - j) / tail[j];
}
