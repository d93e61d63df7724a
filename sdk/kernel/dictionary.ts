// Ridge-leverage-score dictionaries: the shared data type, the engine-side state that SQUEAK
// and INK-Estimate stream into, the merge-ready DICT-UPDATE primitive (for DISQUEAK), and the
// RLS estimator for arbitrary points. Spec: kernel.md §1.3–1.4, §2.2.
import { getEngine, input, output, scratch, Status, type Engine, type WasmBuffer } from "../engine/index.js";
import { NumericalError, ShapeError, ValueError } from "../engine/errors.js";
import { Matrix, asMatrix, asVector, type MatrixLike } from "../core/matrix.js";
import { inOpenUnit, integer, positive } from "../core/validate.js";
import { Kernel, kernelFromSpec, type KernelSpec } from "./kernels.js";
import type { Rng } from "../random/rng.js";

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
  /** Prefactor divisor: 1 (printed form) or c (proof-consistent form), spec §1.4. */
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

/** A weighted dictionary {(i, p̃_i, q_i)} with its stored points (spec §1.3). Plain data:
 *  it owns no engine memory. Weight w_j = q_j/(q̄·p̃_j). */
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

const KIND: Record<string, number> = { linear: 0, rbf: 1, laplacian: 2, polynomial: 3, matern32: 4, matern52: 5, matern12: 6 };

/** @internal engine kernel code and parameters of a Kernel. */
export function kernelCode(k: Kernel): [number, number, number, number] {
  return [KIND[k.name], k.p[0], k.p[1], k.p[2]];
}

/** @internal */
export function asKernel(k: unknown, name = "kernel"): Kernel {
  if (k instanceof Kernel) return k;
  if (k && typeof k === "object" && "name" in (k as object)) return kernelFromSpec(k as KernelSpec);
  throw new ValueError(`${name} must be a Kernel (e.g. rbf({ gamma: 0.5 })) or a kernel spec like { name: "rbf", gamma: 0.5 }, got ${String(k)}`);
}

/** Build a dictionary object, computing the weights. @internal */
export function makeDictionary(parts: {
  indices: Float64Array; points: Matrix; pTilde: Float64Array; copies: Int32Array; tau: Float64Array | null; params: DictionaryParams;
}): RlsDictionary {
  const m = parts.indices.length;
  const w = new Float64Array(m);
  const qbar = parts.params.qbar;
  for (let j = 0; j < m; j++) w[j] = parts.copies[j] / (qbar * parts.pTilde[j]);
  return Object.freeze({ size: m, ...parts, weights: w, params: Object.freeze({ ...parts.params }) });
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

// ---- Engine-side state ----------------------------------------------------------------

/** Scalar configuration of the engine routines (layout of `cfg` in assembly/rls/rls.ts). */
export interface EngineConfig {
  kernel: Kernel;
  d: number;
  qbar: number;
  gamma: number;
  eps: number;
  c: number;
  cPref: number;
  scale: number;
  budget: number;
  normalise: boolean;
  jitter: number;
}

function cfgArray(c: EngineConfig, maxPending = 0, pending = 0, final = false): Float64Array {
  const [kind, p0, p1, p2] = kernelCode(c.kernel);
  return Float64Array.of(kind, p0, p1, p2, c.d, c.qbar, c.gamma, c.eps, c.c, c.cPref, c.scale, c.budget, c.normalise ? 1 : 0, c.jitter, maxPending, pending, final ? 1 : 0);
}

/** When the streaming state runs a full DICT-UPDATE (functions of the dictionary size
 *  right after the previous update). */
export interface StreamControl {
  batch(mBase: number): number;
  maxPending(mBase: number): number;
}

/** Number of rows the engine streams per call. */
const CHUNK = 256;
/** Largest dictionary the engine state will hold (the factor L: 8·m² bytes). */
export const MAX_CAPACITY = 8192;

/** @internal A dictionary held in engine memory (points, Cholesky factor of A, workspace),
 *  updated by the engine's rls_stream / rls_update. Owned by Squeak / InkEstimate. */
export class DictState {
  readonly eng: Engine;
  cfg: EngineConfig;
  cap = 0;
  m = 0;
  pending = 0;
  /** Stream points since the last full update, and the size right after it. */
  sinceUpdate = 0;
  mBase = 0;
  /** Stream rows handed to the engine so far, and rows waiting in the stage. */
  processed = 0;
  private staged = 0;
  updates = 0;
  lastDeff: number | null = null;
  lastJitter = 0;
  private pts!: WasmBuffer<Float64Array>;
  private L!: WasmBuffer<Float64Array>;
  private W!: WasmBuffer<Float64Array>;
  private ptil!: WasmBuffer<Float64Array>;
  private q!: WasmBuffer<Int32Array>;
  private idx!: WasmBuffer<Float64Array>;
  private tau!: WasmBuffer<Float64Array>;
  private blkK!: WasmBuffer<Float64Array>;
  private blkL!: WasmBuffer<Float64Array>;
  private vecK!: WasmBuffer<Float64Array>;
  private vecL!: WasmBuffer<Float64Array>;
  private kwork!: WasmBuffer<Float64Array>;
  private readonly kdiag: WasmBuffer<Float64Array>;
  private readonly stage: WasmBuffer<Float64Array>;
  private readonly info: WasmBuffer<Float64Array>;
  private disposed = false;

  constructor(cfg: EngineConfig, initialCap = 64) {
    this.eng = getEngine();
    this.cfg = cfg;
    this.kdiag = this.eng.f64(CHUNK);
    this.stage = this.eng.f64(CHUNK * cfg.d);
    this.info = this.eng.f64(8);
    this.allocate(initialCap);
  }

  /** Bytes of engine memory this state holds. */
  get bytes(): number {
    const c = this.cap, d = this.cfg.d;
    return 8 * (c * c + 64 * c + c * d + 3 * c + 2 * CHUNK * c + 2 * c + (2 * c + CHUNK + 16) + CHUNK * d + CHUNK + 8) + 4 * c;
  }

  private allocate(cap: number): void {
    const e = this.eng, d = this.cfg.d;
    const old = this.cap > 0 ? { pts: this.pts, L: this.L, W: this.W, ptil: this.ptil, q: this.q, idx: this.idx, tau: this.tau, blkK: this.blkK, blkL: this.blkL, vecK: this.vecK, vecL: this.vecL, kwork: this.kwork } : null;
    const fresh = {
      pts: e.f64(cap * d), L: e.f64(cap * cap), W: e.f64(cap * 64),
      ptil: e.f64(cap), q: e.i32(cap), idx: e.f64(cap), tau: e.f64(cap),
      blkK: e.f64(CHUNK * cap), blkL: e.f64(CHUNK * cap), vecK: e.f64(cap), vecL: e.f64(cap), kwork: e.f64(2 * cap + CHUNK + 16),
    };
    if (old) {
      const m = this.m;
      fresh.pts.view.set(old.pts.view.subarray(0, m * d));
      fresh.ptil.view.set(old.ptil.view.subarray(0, m));
      fresh.q.view.set(old.q.view.subarray(0, m));
      fresh.idx.view.set(old.idx.view.subarray(0, m));
      fresh.tau.view.set(old.tau.view.subarray(0, m));
      e.call("rls_regrow", m, this.cap, cap, old.L, fresh.L);
      for (const b of Object.values(old)) b.dispose();
    }
    Object.assign(this, fresh);
    this.cap = cap;
  }

  private ensureCapacity(need: number): void {
    if (need <= this.cap) return;
    // Grow by 1.5× (rounded to 16): memory tracks the dictionary closely.
    let cap = this.cap;
    while (cap < need) cap = Math.ceil((cap * 1.5) / 16) * 16;
    if (cap > MAX_CAPACITY) {
      if (need > MAX_CAPACITY) {
        throw new ValueError(`the dictionary would need more than ${MAX_CAPACITY} points (d_eff(γ) is too large for γ = ${this.cfg.gamma}); raise gamma, lower qbar, or set maxDictionary`);
      }
      cap = MAX_CAPACITY;
    }
    this.allocate(cap);
  }

  /** Feed n points (row-major n×d). Rows are staged and handed to the engine in chunks
   *  whose boundaries depend only on stream positions (every CHUNK rows, or a batch
   *  boundary, or a stop after `maxPending` appended points), so results are bit-identical
   *  however the caller splits the stream. A full DICT-UPDATE runs whenever `ctl.batch`
   *  stream points have passed since the last one or `ctl.maxPending` new points were
   *  appended (both read from the size right after the last update). */
  stream(X: Float64Array, n: number, rng: Rng, ctl: StreamControl): void {
    const d = this.cfg.d;
    let off = 0;
    while (off < n) {
      const need = this.chunkNeed(rng, ctl);
      const take = Math.min(need - this.staged, n - off);
      this.stage.view.set(X.subarray(off * d, (off + take) * d), this.staged * d);
      this.staged += take;
      off += take;
      if (this.staged === need) this.runChunk(need, rng, ctl);
    }
  }

  /** Process every staged row, then run a DICT-UPDATE if anything arrived since the last. */
  flush(rng: Rng, ctl: StreamControl): void {
    while (this.staged > 0) {
      const need = this.chunkNeed(rng, ctl);
      this.runChunk(Math.min(need, this.staged), rng, ctl);
    }
    if (this.dirty) this.update(rng);
  }

  /** Rows staged but not yet processed. */
  get stagedRows(): number {
    return this.staged;
  }

  // Size of the next engine chunk; runs a due update first.
  private chunkNeed(rng: Rng, ctl: StreamControl): number {
    let room = ctl.batch(this.mBase) - this.sinceUpdate;
    if (room <= 0) {
      this.update(rng);
      room = ctl.batch(this.mBase);
    }
    return Math.min(CHUNK, room);
  }

  private runChunk(nb: number, rng: Rng, ctl: StreamControl): void {
    const d = this.cfg.d;
    if (this.m >= this.cap) this.ensureCapacity(this.m + 1);
    const maxPending = ctl.maxPending(this.mBase);
    const cfg = cfgArray(this.cfg, maxPending, this.pending);
    this.eng.call("rls_stream", input(cfg), this.stage, nb, this.processed,
      this.pts, this.L, this.cap, this.m, this.ptil, this.q, this.idx, this.tau,
      rng.stateBuffer, this.blkK, this.blkL, this.vecK, this.vecL, this.kwork, this.kdiag, this.info);
    const info = this.info.view;
    const consumed = info[4];
    this.m = info[0];
    this.pending = info[5];
    this.processed += consumed;
    this.sinceUpdate += consumed;
    // Shift the unconsumed rows to the front of the stage.
    const rest = this.staged - consumed;
    if (rest > 0) this.stage.view.copyWithin(0, consumed * d, this.staged * d);
    this.staged = rest;
    if (this.pending >= maxPending) this.update(rng);
  }

  /** Whether points arrived since the last full update. */
  get dirty(): boolean {
    return this.pending > 0 || this.sinceUpdate > 0;
  }

  /** Full DICT-UPDATE. `tauAll` receives the pre-thinning estimates of all entries. With
   *  `final`, the state is not streamed into again (one-shot merges): the engine skips the
   *  fresh factor of the new A, and the state may only be snapshotted or disposed. */
  update(rng: Rng, tauAll?: Float64Array, final = false): void {
    if (this.m === 0 && this.pending === 0) {
      this.sinceUpdate = 0;
      return;
    }
    const cfg = cfgArray(this.cfg, 0, 0, final);
    const tmp = tauAll ? this.eng.f64(Math.max(1, this.m)) : null;
    try {
      const st = this.eng.call("rls_update", input(cfg), this.pts, this.L, this.W, this.cap, this.m,
        this.ptil, this.q, this.idx, this.tau, rng.stateBuffer, this.info, tmp ?? 0, this.kwork).ret;
      const info = this.info.view;
      if (st === Status.NOT_SPD) {
        throw new NumericalError(`dictionary update: K_DD + cγ·diag(1/w) is not numerically positive definite even after a jitter of ${info[3].toExponential(3)}; the kernel may not be positive semi-definite`, { jitter: info[3] });
      }
      if (tauAll && tmp) tauAll.set(tmp.view.subarray(0, tauAll.length));
      this.m = info[0];
      this.lastDeff = info[1];
      this.cfg = { ...this.cfg, scale: info[2] };
      this.lastJitter = info[3];
      this.pending = 0;
      this.sinceUpdate = 0;
      this.mBase = this.m;
      this.updates++;
    } finally {
      tmp?.dispose();
    }
  }

  /** Load candidate entries (for dictUpdate): points, p̃, q, indices. */
  load(points: Float64Array, pTilde: Float64Array, copies: Int32Array, indices: Float64Array): void {
    const m = pTilde.length, d = this.cfg.d;
    this.ensureCapacity(Math.max(m, 1));
    this.pts.view.set(points.subarray(0, m * d));
    this.ptil.view.set(pTilde);
    this.q.view.set(copies);
    this.idx.view.set(indices);
    this.tau.view.fill(0, 0, m);
    this.m = m;
    this.pending = m;
  }

  snapshot(params: Omit<DictionaryParams, "scale" | "deff" | "qbar" | "c" | "cPref" | "gamma" | "eps" | "kernel" | "d">): RlsDictionary {
    const m = this.m, d = this.cfg.d;
    return makeDictionary({
      indices: this.idx.view.slice(0, m),
      points: new Matrix(m, d, this.pts.view.slice(0, m * d)),
      pTilde: this.ptil.view.slice(0, m),
      copies: this.q.view.slice(0, m),
      tau: this.tau.view.slice(0, m),
      params: {
        ...params,
        kernel: this.cfg.kernel.toJSON(), gamma: this.cfg.gamma, eps: this.cfg.eps, qbar: this.cfg.qbar,
        c: this.cfg.c, cPref: this.cfg.cPref, scale: this.cfg.scale, deff: this.lastDeff, d,
      },
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of [this.pts, this.L, this.W, this.ptil, this.q, this.idx, this.tau, this.blkK, this.blkL, this.vecK, this.vecL, this.kwork, this.kdiag, this.stage, this.info]) b?.dispose();
  }
}

// ---- The merge-ready primitive -----------------------------------------------------------

/** Options of `dictUpdate`. */
export interface DictUpdateOptions {
  /** The kernel. */
  kernel: Kernel | KernelSpec;
  /** Ridge λ of the leverage scores (`lambda` from the next release on). */
  gamma: number;
  /** Accuracy ε ∈ (0, 1). */
  eps: number;
  /** Copies per point q̄. */
  qbar: number;
  /** γ multiplier in A = K_DD + cγ·diag(1/w): 1 for SQUEAK, 1 + ε for DISQUEAK. Default 1. */
  c?: number;
  /** Prefactor divisor (spec §1.4): 1 = the printed, conservative form; c = the
   *  proof-consistent form. Default 1. */
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

/** What `dictUpdate` returns. */
export interface DictUpdateResult {
  /** The updated dictionary (entries with q = 0 removed). */
  dictionary: RlsDictionary;
  /** The estimates τ̃ of all candidates, in candidate order, before thinning. */
  tau: Float64Array;
  /** Horvitz–Thompson estimate of d_eff from the candidates. */
  deff: number;
  /** Probability scale after the update (changes only when maxDictionary binds). */
  scale: number;
}

/** DICT-UPDATE on a set of candidate entries (spec §2.2): estimate τ̃ for every candidate
 *  from the candidates themselves (in-dictionary shortcut, A = K_DD + cγ·diag(1/w)), then
 *  p̃ ← min(p̃, min(1, s·τ̃)), q ← Binomial(q, p̃_new/p̃_old), drop q = 0. For DISQUEAK, pass
 *  the union of two dictionaries' entries and c = 1 + ε. Fresh points enter with p̃ = 1,
 *  q = q̄. */
export function dictUpdate(candidates: { points: MatrixLike; pTilde: ArrayLike<number>; copies: ArrayLike<number>; indices?: ArrayLike<number> }, opts: DictUpdateOptions, params: Partial<DictionaryParams> = {}): DictUpdateResult {
  const kernel = asKernel(opts.kernel);
  const pts = asMatrix(candidates.points, "candidates.points");
  const m = pts.rows;
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
  const cfg = engineConfig({ kernel, d: pts.cols, qbar, gamma: opts.gamma, eps: opts.eps, c: opts.c, cPref: opts.cPref, scale: opts.scale, budget: opts.maxDictionary, jitter: opts.jitter });
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

/** @internal validated engine configuration. */
export function engineConfig(o: { kernel: Kernel; d: number; qbar: number; gamma: unknown; eps?: unknown; c?: unknown; cPref?: unknown; scale?: unknown; budget?: unknown; normalise?: boolean; jitter?: unknown }): EngineConfig {
  const gamma = positive(o.gamma, "gamma");
  const eps = inOpenUnit(o.eps ?? 0.5, "eps");
  const c = o.c === undefined ? 1 : positive(o.c, "c");
  const cPref = o.cPref === undefined ? 1 : positive(o.cPref, "cPref");
  const scale = o.scale === undefined ? 1 : positive(o.scale, "scale");
  const budget = o.budget === undefined || o.budget === null ? 0 : integer(o.budget, "maxDictionary", 1, MAX_CAPACITY);
  const jitter = o.jitter === undefined ? 1e-13 : positive(o.jitter, "jitter");
  integer(o.d, "d (number of features)", 1);
  return { kernel: o.kernel, d: o.d, qbar: o.qbar, gamma, eps, c, cPref, scale, budget, normalise: !!o.normalise, jitter };
}

// ---- The estimator for arbitrary points -------------------------------------------------

/** Options of `estimateRls` / `RlsEstimator`; each defaults to the dictionary's own. */
export interface EstimateOptions {
  /** Estimator ε (default: the dictionary's). */
  eps?: number;
  /** γ multiplier (default: the dictionary's c). */
  c?: number;
  /** Prefactor divisor (1: the printed form; c: the form the proof analyses). */
  cPref?: number;
  /** Rows per engine call (memory: rows × m f64). Default 1024. */
  chunk?: number;
}

/** The RLS estimator of a fixed dictionary, factored once (m³/3) and applied to any number
 *  of row batches (m² per row): τ̃_i = (1−ε)/(c_pref·γ)·(k_ii − k_Diᵀ(K_DD + cγ·diag(1/w))⁻¹k_Di).
 *  Owns engine memory (the factor): dispose() when done. */
export class RlsEstimator {
  /** m, the dictionary size. */
  readonly size: number;
  /** d, the input dimension. */
  readonly d: number;
  private readonly eng: Engine;
  private readonly cfgA: Float64Array;
  private readonly L: WasmBuffer<Float64Array>;
  private readonly P: WasmBuffer<Float64Array>;
  private readonly chunk: number;
  private freed = false;

  constructor(dict: RlsDictionary, opts: EstimateOptions = {}) {
    checkDictionary(dict);
    const kernel = asKernel(dict.params.kernel, "dictionary.params.kernel");
    const m = dict.size, d = dict.points.cols;
    const gamma = dict.params.gamma;
    if (!(gamma > 0)) throw new ValueError(`estimateRls needs a dictionary with gamma > 0, got ${gamma}`);
    const cfg = engineConfig({ kernel, d: Math.max(1, d), qbar: dict.params.qbar, gamma, eps: opts.eps ?? (dict.params.eps || 0.5), c: opts.c ?? dict.params.c ?? 1, cPref: opts.cPref ?? dict.params.cPref ?? 1 });
    this.cfgA = cfgArray(cfg);
    this.size = m;
    this.d = d;
    this.chunk = integer(opts.chunk ?? 1024, "chunk", 1);
    this.eng = getEngine();
    const g = new Float64Array(m);
    for (let j = 0; j < m; j++) g[j] = 1 / dict.weights[j];
    this.L = this.eng.f64(Math.max(1, m * m));
    this.P = this.eng.f64(Math.max(1, m * d));
    this.P.view.set(dict.points.data);
    if (m > 0) {
      const st = this.eng.call("rls_factor", input(this.cfgA), this.P, m, input(g), this.L, scratch(m * m), scratch(2 * m + 16)).ret;
      if (st !== Status.OK) {
        this.dispose();
        throw new NumericalError("estimateRls: K_DD + cγ·diag(1/w) is not numerically positive definite", {});
      }
    }
  }

  /** τ̃ for every row of X. */
  estimate(X: MatrixLike): Float64Array {
    if (this.freed) throw new ValueError("this RlsEstimator was disposed");
    const x = asMatrix(X, "X");
    const m = this.size;
    if (x.rows > 0 && m > 0 && x.cols !== this.d) throw new ShapeError(`X has ${x.cols} columns but the dictionary's points have ${this.d}`);
    const out = new Float64Array(x.rows);
    if (x.rows === 0) return out;
    const cfgA = this.cfgA.slice();
    cfgA[4] = x.cols; // d (equal to the dictionary's when it is not empty)
    for (let r0 = 0; r0 < x.rows; r0 += this.chunk) {
      const nb = Math.min(this.chunk, x.rows - r0);
      this.eng.call("rls_estimate", input(cfgA), this.P, m, this.L, input(x.data.subarray(r0 * x.cols, (r0 + nb) * x.cols)), nb,
        output(nb, out.subarray(r0, r0 + nb)), scratch(Math.max(1, nb * m)), scratch(nb + m + 16));
    }
    return out;
  }

  /** Free the engine memory. Safe to call twice. */
  dispose(): void {
    if (this.freed) return;
    this.freed = true;
    this.L.dispose();
    this.P.dispose();
  }

  /** Same as dispose(), for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Approximate ridge leverage scores of the points X from a dictionary (spec §1.4):
 *  τ̃_i = (1−ε)/(c_pref·γ)·(k_ii − k_Diᵀ(K_DD + cγ·diag(1/w))⁻¹k_Di). With the full data as
 *  the dictionary and unit weights this is exactly (1−ε)·τ_i. For many batches against one
 *  dictionary, an RlsEstimator factors once. */
export function estimateRls(dict: RlsDictionary, X: MatrixLike, opts: EstimateOptions = {}): Float64Array {
  const est = new RlsEstimator(dict, opts);
  try {
    return est.estimate(X);
  } finally {
    est.dispose();
  }
}
