// The kernel dictionary: one type, RlsDictionary, for every dictionary the SDK makes or reads
// (SQUEAK, INK-Estimate, DISQUEAK, uniform and full dictionaries, decoded files), and its JSON
// form. The representation is the weighted dictionary {(i, p̃_i, q_i)} of Calandriello,
// Lazaric & Valko (AISTATS 2017, §2–3) with the stored points. Its binary form is in codec.ts.
//
// JSON versions (the tag carries the version; the reader accepts every one):
//   "seqlearn.dictionary/2"   current: the leverage-score ridge is params.lambda
//   "seqlearn.dictionary/1"   first release: the same ridge was params.gamma
import { ShapeError, ValueError } from "../core/errors.js";
import { Matrix, asMatrix, asVector } from "../core/matrix.js";
import { deprecationWarning } from "../core/options.js";
import { asKernel, type KernelSpec } from "./kernels.js";

/** The JSON format tag `dictionaryToJSON` writes; `dictionaryFromJSON` reads it and every older
 *  version. @internal */
export const DICTIONARY_JSON_KIND = "seqlearn.dictionary";
/** The JSON format version `dictionaryToJSON` writes. @internal */
export const DICTIONARY_JSON_VERSION = 2;

/** Parameters a dictionary was built with (stored with it, so it is self-describing). */
export interface DictionaryParams {
  /** How the dictionary was made: "squeak", "ink", "uniform", "exact", "disqueak", ... */
  method: string;
  /** The kernel, as its JSON spec. */
  kernel: KernelSpec;
  /** Absolute ridge λ of the leverage scores, τ = diag(K(K + λI)⁻¹) (γ in Calandriello et al.
   *  2017; λ·n in the BLESS paper's notation). 0 for uniform dictionaries built without one.
   *  Called `gamma` in version 1 of the dictionary JSON format. */
  lambda: number;
  /** The leverage-score ridge under its first name: a non-enumerable getter on the params of
   *  every dictionary (not written to files, not copied by spreads).
   *  @deprecated renamed `lambda`; removed in the next release. */
  readonly gamma?: number;
  /** Accuracy parameter ε of the estimator (0 when not applicable). */
  eps: number;
  /** Copies per point q̄ (INK-Estimate: the budget of slots). */
  qbar: number;
  /** λ multiplier inside the estimator: 1 (SQUEAK) or 1 + ε (DISQUEAK). */
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
  /** Horvitz–Thompson estimate of d_eff(λ) from the last update, Σ_j w_j τ̃_j/(1−ε). */
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
  return Object.freeze({ size: m, ...parts, weights: w, params: frozenParams(parts.params) });
}

/** A frozen copy of the params, with the first release's name of the ridge (`gamma`) as a
 *  non-enumerable, deprecated getter: JavaScript code that still reads `params.gamma` gets λ
 *  and one warning; it is not written to files and not copied by `{ ...params }`. */
function frozenParams(p: DictionaryParams): Readonly<DictionaryParams> {
  const out = { ...p };
  Object.defineProperty(out, "gamma", {
    enumerable: false,
    get(): number {
      deprecationWarning("DictionaryParams.gamma", "dictionary.params.gamma is deprecated and will be removed in the next release; read params.lambda (the leverage-score ridge)");
      return out.lambda;
    },
  });
  return Object.freeze(out);
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

/** JSON form of a dictionary, `"format": "seqlearn.dictionary/2"` (typed arrays as plain
 *  arrays; numbers round-trip exactly). */
export function dictionaryToJSON(dict: RlsDictionary): object {
  checkDictionary(dict);
  return {
    format: `${DICTIONARY_JSON_KIND}/${DICTIONARY_JSON_VERSION}`,
    params: { ...dict.params },
    indices: Array.from(dict.indices),
    points: { rows: dict.points.rows, cols: dict.points.cols, data: Array.from(dict.points.data) },
    pTilde: Array.from(dict.pTilde),
    copies: Array.from(dict.copies),
    tau: dict.tau ? Array.from(dict.tau) : null,
  };
}

/** The version of a dictionary JSON tag: N for "seqlearn.dictionary/N"; a ValueError for
 *  anything else, or for a version newer than this build writes. */
function jsonVersion(format: unknown): number {
  const current = `${DICTIONARY_JSON_KIND}/${DICTIONARY_JSON_VERSION}`;
  const m = typeof format === "string" ? /^seqlearn\.dictionary\/(\d+)$/.exec(format) : null;
  if (!m || Number(m[1]) < 1) throw new ValueError(`dictionary JSON: unknown format ${JSON.stringify(format)}; expected "${current}" (or an older version)`);
  const v = Number(m[1]);
  if (v > DICTIONARY_JSON_VERSION) throw new ValueError(`dictionary JSON: format ${JSON.stringify(format)} is newer than this seqlearn reads (≤ ${DICTIONARY_JSON_VERSION}); upgrade seqlearn`);
  return v;
}

/** Rebuild (and validate) a dictionary from dictionaryToJSON output: the current version
 *  (`seqlearn.dictionary/2`, ridge `params.lambda`) or an older one (`seqlearn.dictionary/1`,
 *  ridge `params.gamma`). */
export function dictionaryFromJSON(obj: unknown): RlsDictionary {
  if (!obj || typeof obj !== "object") throw new ValueError("dictionary JSON must be an object");
  const o = obj as Record<string, any>;
  const version = jsonVersion(o.format);
  const raw = o.params as Record<string, unknown>;
  if (!raw || typeof raw !== "object") throw new ValueError("dictionary JSON: missing params");
  // Version 1 called the leverage-score ridge `gamma`; version 2 calls it `lambda`.
  const ridgeKey = version === 1 ? "gamma" : "lambda";
  const lambda = raw[ridgeKey];
  if (typeof lambda !== "number" || !Number.isFinite(lambda) || lambda < 0) {
    throw new ValueError(`dictionary JSON: params.${ridgeKey} (the leverage-score ridge) must be a finite number ≥ 0, got ${JSON.stringify(lambda)}`);
  }
  // The ridge takes the place of the old key, so the params keep their order.
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (key === ridgeKey) fields.lambda = lambda;
    else if (key !== "gamma" && key !== "lambda") fields[key] = raw[key];
  }
  const p = fields as unknown as DictionaryParams;
  asKernel(p.kernel, "params.kernel");
  const points = asMatrix(o.points, "points");
  const m = points.rows;
  const indices = asVector(o.indices, "indices", { length: m });
  const pTilde = asVector(o.pTilde, "pTilde", { length: m });
  const copies = Int32Array.from(asVector(o.copies, "copies", { length: m }));
  const tau = o.tau ? asVector(o.tau, "tau", { length: m }) : null;
  return checkDictionary(makeDictionary({ indices, points, pTilde, copies, tau, params: { ...p } }), "dictionary");
}
