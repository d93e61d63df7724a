// DICT-UPDATE as a primitive on candidate entries (Calandriello, Lazaric & Valko, AISTATS
// 2017, Alg. 1; DISQUEAK's merge, their Alg. 2, runs it on the union of two dictionaries).
// The arithmetic is the engine's rls_update, the same routine SQUEAK streams into.
import { ValueError } from "../core/errors.js";
import { asMatrix, asVector, type MatrixLike } from "../core/matrix.js";
import { integer } from "../core/validate.js";
import { checkOptions } from "../core/options.js";
import type { Rng } from "../random/rng.js";
import { asKernel, checkKernelRows, type Kernel, type KernelSpec } from "./kernels.js";
import type { DictionaryParams, RlsDictionary } from "./dictionary.js";
import { DictState, engineConfig, MAX_CAPACITY } from "./state.js";

/** Options of `dictUpdate`. */
export interface DictUpdateOptions {
  /** The kernel, e.g. rbf({ gamma: 0.5 }). */
  kernel: Kernel | KernelSpec;
  /** Absolute ridge λ > 0 of the leverage scores (γ in Calandriello et al. 2017). Required;
   *  optional in the type only while its old name `gamma` is accepted (this release). */
  lambda?: number;
  /** The leverage-score ridge under its old name.
   *  @deprecated renamed `lambda`; removed in the next release. */
  gamma?: number;
  /** Accuracy ε ∈ (0, 1) of the estimator. */
  eps: number;
  /** Copies per point q̄ (integer ≥ 1); every candidate has 1 … q̄ copies. */
  qbar: number;
  /** λ multiplier in A = K_DD + cλ·diag(1/w): 1 for SQUEAK, 1 + ε for DISQUEAK. Default 1. */
  c?: number;
  /** Prefactor divisor: 1 = the conservative form printed in Calandriello et al. 2017, Eq. 5;
   *  c = the form their proof of Thm 2 analyses. Default 1. */
  cPref?: number;
  /** Probability scale s (p̃ ← min(p̃, min(1, s·τ̃))). Default 1. */
  scale?: number;
  /** Thin until at most this many distinct points remain. */
  maxDictionary?: number;
  /** The generator (its stream advances). */
  rng: Rng;
  /** Relative jitter for the Cholesky retry ladder. Default 1e-13. */
  jitter?: number;
}

const DICT_UPDATE_OPTIONS = ["kernel", "lambda", "eps", "qbar", "c", "cPref", "scale", "maxDictionary", "rng", "jitter"] as const;

const PARAMS_KEYS = ["method", "kernel", "lambda", "eps", "qbar", "c", "cPref", "scale", "seed", "n", "d", "deff", "maxDictionary"] as const;

/** What `dictUpdate` returns. */
export interface DictUpdateResult {
  /** The updated dictionary (entries with q = 0 removed). */
  dictionary: RlsDictionary;
  /** The estimates τ̃ of all candidates, in candidate order, before thinning. */
  tau: Float64Array;
  /** Horvitz–Thompson estimate of d_eff(λ) from the candidates. */
  deff: number;
  /** Probability scale after the update (changes only when maxDictionary binds). */
  scale: number;
}

/** DICT-UPDATE on a set of candidate entries (Calandriello et al. 2017, Alg. 1): estimate τ̃
 *  for every candidate from the candidates themselves (in-dictionary shortcut,
 *  A = K_DD + cλ·diag(1/w)), then p̃ ← min(p̃, min(1, s·τ̃)), q ← Binomial(q, p̃_new/p̃_old),
 *  drop q = 0. For DISQUEAK, pass the union of two dictionaries' entries and c = 1 + ε. Fresh
 *  points enter with p̃ = 1, q = q̄. */
export function dictUpdate(candidates: { points: MatrixLike; pTilde: ArrayLike<number>; copies: ArrayLike<number>; indices?: ArrayLike<number> }, options: DictUpdateOptions, params: Partial<DictionaryParams> = {}): DictUpdateResult {
  if (!options || typeof options !== "object") throw new ValueError("dictUpdate: options { kernel, lambda, eps, qbar, rng, ... } are required");
  const opts = checkOptions<DictUpdateOptions>(options, "dictUpdate", DICT_UPDATE_OPTIONS, { gamma: "lambda" });
  // Only method, seed and n are read from `params`; the other keys of DictionaryParams are
  // allowed (a dictionary's params may be passed whole) but anything else is a typo.
  checkOptions(params, "dictUpdate params", PARAMS_KEYS, { gamma: "lambda" });
  const kernel = asKernel(opts.kernel);
  if (!candidates || typeof candidates !== "object") throw new ValueError("dictUpdate: candidates must be { points, pTilde, copies, indices? }");
  // Limits before allocation: the update factors an m×m matrix.
  const rowsGiven = (candidates.points as { rows?: unknown })?.rows ?? (candidates.points as ArrayLike<unknown>)?.length;
  if (typeof rowsGiven === "number" && rowsGiven > MAX_CAPACITY) {
    throw new ValueError(`dictUpdate: ${rowsGiven} candidates; a dictionary update holds at most ${MAX_CAPACITY} points (it factors an m×m matrix: 8·m² bytes, m³/3 flops); thin the parts first (maxDictionary) or raise lambda`);
  }
  const pts = asMatrix(candidates.points, "candidates.points");
  const m = pts.rows;
  checkKernelRows(pts.data, m, pts.cols, "candidates.points");
  const pTilde = asVector(candidates.pTilde, "candidates.pTilde", { length: m }).slice();
  const copiesIn = asVector(candidates.copies, "candidates.copies", { length: m });
  const qbar = integer(opts.qbar, "qbar", 1, 1e9);
  const copies = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    if (!(pTilde[j] > 0 && pTilde[j] <= 1)) throw new ValueError(`candidates.pTilde[${j}] is ${pTilde[j]}; expected a probability in (0, 1]`);
    const c = copiesIn[j];
    if (!Number.isInteger(c) || c < 1 || c > qbar) throw new ValueError(`candidates.copies[${j}] is ${c}; expected an integer in [1, qbar = ${qbar}]`);
    copies[j] = c;
  }
  const indices = candidates.indices ? asVector(candidates.indices, "candidates.indices", { length: m }).slice() : Float64Array.from({ length: m }, (_, i) => i);
  const cfg = engineConfig({ kernel, d: pts.cols, qbar, lambda: opts.lambda, eps: opts.eps, c: opts.c, cPref: opts.cPref, scale: opts.scale, budget: opts.maxDictionary, jitter: opts.jitter });
  if (!opts.rng || typeof (opts.rng as Rng).stateBuffer !== "object") throw new ValueError("dictUpdate: opts.rng must be an Rng");
  const st = new DictState(cfg, Math.max(1, m));
  try {
    st.load(pts.data, pTilde, copies, indices);
    const tau = new Float64Array(m);
    st.update(opts.rng, tau, true);
    const dictionary = st.snapshot({ method: params.method ?? "disqueak", seed: params.seed ?? null, n: params.n ?? m, maxDictionary: opts.maxDictionary ?? null });
    return { dictionary, tau, deff: st.lastDeff ?? 0, scale: st.cfg.scale };
  } finally {
    st.dispose();
  }
}
