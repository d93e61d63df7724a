// The kernel dictionary: one type, RlsDictionary, for every dictionary the SDK makes or reads
// (SQUEAK, INK-Estimate, DISQUEAK, uniform and full dictionaries, decoded files), and its JSON
// form. The representation is the weighted dictionary {(i, p̃_i, q_i)} of Calandriello,
// Lazaric & Valko (AISTATS 2017, §2–3) with the stored points. Its binary form is in codec.ts.
import { ShapeError, ValueError } from "../engine/errors.js";
import { Matrix, asMatrix, asVector } from "../core/matrix.js";
import { asKernel, type KernelSpec } from "./kernels.js";

/** Parameters a dictionary was built with (stored with it, so it is self-describing). */
export interface DictionaryParams {
  /** How the dictionary was made: "squeak", "ink", "uniform", "exact", "disqueak", ... */
  method: string;
  /** The kernel, as its JSON spec. */
  kernel: KernelSpec;
  /** Absolute ridge γ of the leverage scores (K + γI). 0 for uniform dictionaries built without one. */
  gamma: number;
  /** Accuracy parameter ε of the estimator (0 when not applicable). */
  eps: number;
  /** Copies per point q̄ (INK-Estimate: the budget of slots). */
  qbar: number;
  /** γ multiplier inside the estimator: 1 (SQUEAK) or 1 + ε (DISQUEAK). */
  c: number;
  /** Prefactor divisor: 1 (the form printed in Calandriello et al. 2017, Eq. 5) or c (the
   *  form their proof of Thm 2 analyses). */
  cPref: number;
  /** Probability scale s: p̃ = min(1, s·τ̃). 1 unless a budget bound (or INK's 1/d̃). */
  scale: number;
  /** Root seed of the randomness that built it (null when none was used). */
  seed: number | null;
  /** Number of stream points the dictionary summarises. */
  n: number;
  /** Input dimension. */
  d: number;
  /** Horvitz–Thompson estimate of d_eff(γ) from the last update, Σ_j w_j τ̃_j/(1−ε). */
  deff: number | null;
  /** Budget on the number of distinct points, when one was set. */
  maxDictionary: number | null;
}

/** A weighted dictionary {(i, p̃_i, q_i)} with its stored points (Calandriello et al. 2017,
 *  §2–3). Plain data: it owns no engine memory. Weight w_j = q_j/(q̄·p̃_j). */
export interface RlsDictionary {
  /** m, the number of stored points. */
  readonly size: number;
  /** Stream indices of the stored points (0-based, integers stored as f64). */
  readonly indices: Float64Array;
  /** The stored points, m×d. */
  readonly points: Matrix;
  /** Current per-copy probabilities p̃_j ∈ (0, 1] (non-increasing over the stream). */
  readonly pTilde: Float64Array;
  /** Surviving copies q_j ∈ {1..q̄}. */
  readonly copies: Int32Array;
  /** Importance weights w_j = q_j/(q̄·p̃_j). */
  readonly weights: Float64Array;
  /** The last estimate τ̃_j of each stored point (null when not available). */
  readonly tau: Float64Array | null;
  /** The parameters it was built with. */
  readonly params: Readonly<DictionaryParams>;
}

/** Build a dictionary object, computing the size and the weights. @internal */
export function makeDictionary(parts: {
  indices: Float64Array; points: Matrix; pTilde: Float64Array; copies: Int32Array; tau: Float64Array | null; params: DictionaryParams;
}): RlsDictionary {
  const m = parts.indices.length;
  const w = new Float64Array(m);
  const qbar = parts.params.qbar;
  for (let j = 0; j < m; j++) w[j] = parts.copies[j] / (qbar * parts.pTilde[j]);
  return Object.freeze({ size: m, ...parts, weights: w, params: Object.freeze({ ...parts.params }) });
}

/** Validate a dictionary-like argument (shapes, ranges). @internal */
export function checkDictionary(dict: RlsDictionary, name = "dictionary"): RlsDictionary {
  if (!dict || typeof dict !== "object" || !(dict.points instanceof Matrix) || !dict.params) {
    throw new ValueError(`${name} must be a dictionary from Squeak.dictionary(), InkEstimate.dictionary(), uniformNystrom() or dictionaryFromJSON()`);
  }
  const m = dict.points.rows;
  for (const [k, len] of [["indices", dict.indices?.length], ["pTilde", dict.pTilde?.length], ["copies", dict.copies?.length], ["weights", dict.weights?.length]] as const) {
    if (len !== m) throw new ShapeError(`${name}.${k} has length ${len}, expected ${m} (one per stored point)`);
  }
  for (let j = 0; j < m; j++) {
    if (!(dict.pTilde[j] > 0 && dict.pTilde[j] <= 1)) throw new ValueError(`${name}.pTilde[${j}] is ${dict.pTilde[j]}; expected a probability in (0, 1]`);
    if (!(dict.copies[j] >= 1)) throw new ValueError(`${name}.copies[${j}] is ${dict.copies[j]}; expected an integer ≥ 1`);
  }
  return dict;
}

/** JSON form of a dictionary (typed arrays as plain arrays; numbers round-trip exactly). */
export function dictionaryToJSON(dict: RlsDictionary): object {
  checkDictionary(dict);
  return {
    format: "seqlearn.dictionary/1",
    params: dict.params,
    indices: Array.from(dict.indices),
    points: { rows: dict.points.rows, cols: dict.points.cols, data: Array.from(dict.points.data) },
    pTilde: Array.from(dict.pTilde),
    copies: Array.from(dict.copies),
    tau: dict.tau ? Array.from(dict.tau) : null,
  };
}

/** Rebuild (and validate) a dictionary from dictionaryToJSON output. */
export function dictionaryFromJSON(obj: unknown): RlsDictionary {
  if (!obj || typeof obj !== "object") throw new ValueError("dictionary JSON must be an object");
  const o = obj as Record<string, any>;
  if (o.format !== "seqlearn.dictionary/1") throw new ValueError(`dictionary JSON: unknown format ${JSON.stringify(o.format)}; expected "seqlearn.dictionary/1"`);
  const p = o.params as DictionaryParams;
  if (!p || typeof p !== "object") throw new ValueError("dictionary JSON: missing params");
  asKernel(p.kernel, "params.kernel");
  const points = asMatrix(o.points, "points");
  const m = points.rows;
  const indices = asVector(o.indices, "indices", { length: m });
  const pTilde = asVector(o.pTilde, "pTilde", { length: m });
  const copies = Int32Array.from(asVector(o.copies, "copies", { length: m }));
  const tau = o.tau ? asVector(o.tau, "tau", { length: m }) : null;
  return checkDictionary(makeDictionary({ indices, points, pTilde, copies, tau, params: { ...p } }), "dictionary");
}
