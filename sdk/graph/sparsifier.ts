// The GSQUEAK dictionary ("sparsifier dictionary"): the state a streaming or distributed
// sparsifier keeps (Calandriello, Koutis, Lazaric & Valko, ICML 2018; the dictionary of SQUEAK,
// Calandriello, Lazaric & Valko, AISTATS 2017, on the edge kernel). Plain data — typed arrays
// and numbers — with one validator that the binary codec (codec.ts) and the JSON reader share,
// so every encoding of a dictionary is checked the same way.
//
// Entry i is an input edge u_i–v_i with its ORIGINAL weight a_i, its sampling probability
// p̃_i ∈ (0, 1] and its surviving copies q_i ∈ {1, …, q̄}; `index` is its position in the input
// stream. The sparsifier it encodes has the edges u_i–v_i with weights a_i·q_i/(q̄·p̃_i) (an
// edge given twice in the input is two entries; its weights add up in the graph).
import { ValueError } from "../core/errors.js";
import { Graph } from "./graph.js";

/** The hyper-parameters stored with a dictionary (the same for every node of a tree). */
export interface SparsifierParams {
  /** Nodes of the graph. */
  n: number;
  /** Accuracy ε ∈ (0, 1): the target is (1−ε)(L_G + γI) ⪯ L_H + γI ⪯ (1+ε)(L_G + γI). */
  eps: number;
  /** Ridge γ ≥ 0 (0: an ordinary spectral sparsifier). */
  gamma: number;
  /** Copies per edge q̄ (integer ≥ 1). */
  qbar: number;
  /** JL columns per update. */
  k: number;
  /** Relative residual of the solves of an update. */
  tol: number;
  /** Root seed of the tree (or of the stream). */
  seed: number;
  /** Input edges the dictionary summarises (self-loops included). */
  edges: number;
  /** Estimate of d_eff(γ) of those edges from the last update (null for an exact leaf). */
  deff: number | null;
}

/** A GSQUEAK dictionary: `size` entries as parallel arrays, and its parameters. */
export interface SparsifierDictionary {
  /** The parameters. */
  readonly params: SparsifierParams;
  /** Number of entries. */
  readonly size: number;
  /** First node of each entry. */
  readonly u: Int32Array;
  /** Second node of each entry (u ≠ v). */
  readonly v: Int32Array;
  /** Original weight a of each entry (finite, > 0). */
  readonly a: Float64Array;
  /** Sampling probability p̃ of each entry, in (0, 1]. */
  readonly p: Float64Array;
  /** Surviving copies q of each entry, in [1, q̄]. */
  readonly q: Int32Array;
  /** Position of each entry's edge in the input stream (distinct non-negative integers). */
  readonly index: Float64Array;
}

/** The JSON form's format tag. */
export const SPARSIFIER_JSON_FORMAT = "seqlearn.sparsifier/1";

/** A dictionary failed a check (shared by the binary and the JSON readers); `field` names the
 *  parameter or the entry array. */
export class SparsifierCheckError extends ValueError {
  /** Always "ValueError": a failed check is a ValueError (`field` says which). */
  override name = "ValueError";
  /** The parameter ("eps", …) or entry array ("p", …) that failed. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

const isInt = (x: number, lo: number, hi = Number.MAX_SAFE_INTEGER): boolean => Number.isInteger(x) && x >= lo && x <= hi;

/** Check the parameters (SparsifierCheckError naming the field). */
export function checkSparsifierParams(p: SparsifierParams, size: number): void {
  const bad = (f: string, x: unknown, what: string): never => {
    throw new SparsifierCheckError(f, `params.${f} is ${String(x)}; expected ${what}`);
  };
  if (!isInt(p.n, 1, 2 ** 31 - 1)) bad("n", p.n, "an integer in [1, 2^31−1]");
  if (!(typeof p.eps === "number" && p.eps > 0 && p.eps < 1)) bad("eps", p.eps, "a number in (0, 1)");
  if (!(typeof p.gamma === "number" && p.gamma >= 0 && p.gamma < Infinity)) bad("gamma", p.gamma, "a finite number ≥ 0");
  if (!isInt(p.qbar, 1, 2 ** 31 - 1)) bad("qbar", p.qbar, "an integer in [1, 2^31−1]");
  if (!isInt(p.k, 1, 1 << 16)) bad("k", p.k, "an integer in [1, 65536]");
  if (!(typeof p.tol === "number" && p.tol > 0 && p.tol < Infinity)) bad("tol", p.tol, "a finite number > 0");
  if (!isInt(p.seed, 0)) bad("seed", p.seed, "a non-negative safe integer");
  if (!isInt(p.edges, size)) bad("edges", p.edges, `an integer ≥ the number of entries (${size})`);
  if (p.deff !== null && !(typeof p.deff === "number" && p.deff >= 0 && p.deff < Infinity)) bad("deff", p.deff, "null or a finite number ≥ 0");
}

/** Check the entries against the parameters (SparsifierCheckError naming the entry). */
export function checkSparsifierEntries(d: Pick<SparsifierDictionary, "u" | "v" | "a" | "p" | "q" | "index">, size: number, n: number, qbar: number): void {
  const bad = (f: string, i: number, x: unknown, what: string): never => {
    throw new SparsifierCheckError(f, `${f}[${i}] is ${String(x)}; expected ${what}`);
  };
  for (let i = 0; i < size; i++) {
    const x = d.u[i], y = d.v[i];
    if (!(x >= 0 && x < n)) bad("u", i, x, `a node id in [0, ${n})`);
    if (!(y >= 0 && y < n)) bad("v", i, y, `a node id in [0, ${n})`);
    if (x === y) bad("v", i, y, `a node other than u[${i}] (no self-loops)`);
    const a = d.a[i];
    if (!(a > 0 && a < Infinity)) bad("a", i, a, "a finite weight > 0");
    const p = d.p[i];
    if (!(p > 0 && p <= 1)) bad("p", i, p, "a probability in (0, 1]");
    const q = d.q[i];
    if (!(q >= 1 && q <= qbar)) bad("q", i, q, `an integer in [1, q̄ = ${qbar}]`);
  }
  let increasing = true;
  for (let i = 0; i < size; i++) {
    const x = d.index[i];
    if (!(Number.isSafeInteger(x) && x >= 0)) bad("index", i, x, "a non-negative safe integer");
    if (i > 0 && !(x > d.index[i - 1])) increasing = false;
  }
  if (!increasing) {
    const seen = new Set<number>();
    for (let i = 0; i < size; i++) {
      if (seen.has(d.index[i])) bad("index", i, d.index[i], "distinct edge positions (it repeats an earlier entry's)");
      seen.add(d.index[i]);
    }
  }
}

/** A validated dictionary from its parts (the arrays are used as given, not copied). Throws
 *  SparsifierCheckError (a ValueError) naming the first bad field. */
export function makeSparsifier(parts: {
  params: SparsifierParams; u: Int32Array; v: Int32Array; a: Float64Array; p: Float64Array; q: Int32Array; index: Float64Array;
}): SparsifierDictionary {
  const { params } = parts;
  if (params === null || typeof params !== "object") throw new SparsifierCheckError("params", "params must be an object");
  const size = parts.u?.length;
  const arrays = [["u", Int32Array], ["v", Int32Array], ["a", Float64Array], ["p", Float64Array], ["q", Int32Array], ["index", Float64Array]] as const;
  for (const [name, C] of arrays) {
    const x = parts[name] as unknown;
    if (!(x instanceof C) || x.length !== size) throw new SparsifierCheckError(name, `${name} must be a ${C.name} of length ${size} (one per entry)`);
  }
  const p: SparsifierParams = {
    n: params.n, eps: params.eps, gamma: params.gamma, qbar: params.qbar, k: params.k, tol: params.tol, seed: params.seed,
    edges: params.edges, deff: params.deff ?? null,
  };
  checkSparsifierParams(p, size);
  checkSparsifierEntries(parts, size, p.n, p.qbar);
  return Object.freeze({ params: Object.freeze(p), size, u: parts.u, v: parts.v, a: parts.a, p: parts.p, q: parts.q, index: parts.index });
}

/** Weights ã_i = a_i·q_i / (q̄·p̃_i) of the entries: always from the original a (never
 *  compounded), so E[ã_i] = a_i for a fixed p̃. */
export function sparsifierWeights(d: SparsifierDictionary): Float64Array {
  const qbar = d.params.qbar;
  const w = new Float64Array(d.size);
  for (let i = 0; i < d.size; i++) w[i] = (d.a[i] * d.q[i]) / (qbar * d.p[i]);
  return w;
}

/** The sparsifier a dictionary encodes, as a reweighted Graph on its n nodes (entries
 *  between the same two nodes merged, their weights summed in entry order). */
export function sparsifierGraph(d: SparsifierDictionary, nodeIds?: readonly string[] | null): Graph {
  return Graph.fromEdges(d.u, d.v, sparsifierWeights(d), nodeIds ? { n: d.params.n, nodeIds } : { n: d.params.n });
}

/** Σ q over the entries. */
export function sparsifierCopies(d: SparsifierDictionary): number {
  let s = 0;
  for (let i = 0; i < d.size; i++) s += d.q[i];
  return s;
}

/** The JSON form of a dictionary: `{ format: "seqlearn.sparsifier/1", params, entries: { u,
 *  v, a, p, q, index } }` with plain number arrays (exact: JSON numbers round-trip f64). */
export function sparsifierToJSON(d: SparsifierDictionary): object {
  return {
    format: SPARSIFIER_JSON_FORMAT,
    params: { ...d.params },
    entries: {
      u: Array.from(d.u), v: Array.from(d.v), a: Array.from(d.a), p: Array.from(d.p), q: Array.from(d.q), index: Array.from(d.index),
    },
  };
}

/** Read the JSON form (`sparsifierToJSON`, or the output of `seqlearn inspect --json`), with the
 *  checks of the binary reader. Throws SparsifierCheckError (a ValueError). */
export function sparsifierFromJSON(obj: unknown): SparsifierDictionary {
  if (obj === null || typeof obj !== "object") throw new SparsifierCheckError("format", "a sparsifier in JSON form must be an object");
  const o = obj as { format?: unknown; params?: unknown; entries?: unknown };
  if (o.format !== SPARSIFIER_JSON_FORMAT) throw new SparsifierCheckError("format", `format is ${JSON.stringify(o.format)}; expected ${JSON.stringify(SPARSIFIER_JSON_FORMAT)}`);
  if (o.params === null || typeof o.params !== "object") throw new SparsifierCheckError("params", "params must be an object");
  if (o.entries === null || typeof o.entries !== "object") throw new SparsifierCheckError("entries", "entries must be { u, v, a, p, q, index }");
  const e = o.entries as Record<string, unknown>;
  const arr = <T extends Int32Array | Float64Array>(name: string, C: { from(x: ArrayLike<number>): T }, integerOnly: boolean): T => {
    const x = e[name];
    if (!Array.isArray(x)) throw new SparsifierCheckError(name, `entries.${name} must be an array of numbers`);
    for (let i = 0; i < x.length; i++) {
      if (typeof x[i] !== "number" || (integerOnly && !Number.isInteger(x[i]))) throw new SparsifierCheckError(name, `entries.${name}[${i}] is ${JSON.stringify(x[i])}; expected ${integerOnly ? "an integer" : "a number"}`);
      if (integerOnly && (x[i] < -(2 ** 31) || x[i] >= 2 ** 31)) throw new SparsifierCheckError(name, `entries.${name}[${i}] is ${x[i]}; out of the 32-bit range`);
    }
    return C.from(x as number[]);
  };
  const p = o.params as Record<string, unknown>;
  const keys = ["n", "eps", "gamma", "qbar", "k", "tol", "seed", "edges", "deff"];
  for (const key of Object.keys(p)) if (!keys.includes(key)) throw new SparsifierCheckError(key, `params.${key} is not a sparsifier parameter (expected ${keys.join(", ")})`);
  return makeSparsifier({
    params: p as unknown as SparsifierParams,
    u: arr("u", Int32Array, true), v: arr("v", Int32Array, true), a: arr("a", Float64Array, false), p: arr("p", Float64Array, false),
    q: arr("q", Int32Array, true), index: arr("index", Float64Array, false),
  });
}
