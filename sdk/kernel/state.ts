// The engine-side state of a dictionary: its points, the Cholesky factor of
// A = K_DD + cλ·diag(1/w) (λ the leverage-score ridge, the paper's γ) and the per-point
// arrays in engine memory, updated by the engine's rls_stream (new points against the kept
// factor) and rls_update (DICT-UPDATE, Calandriello, Lazaric & Valko, AISTATS 2017, Alg. 1).
// Squeak and InkEstimate stream into one; dictUpdate runs one update on a state loaded with
// candidate entries.
import { getEngine, input, scratch, Status, RlsConfig, RlsInfo, type Engine, type WasmBuffer } from "../engine/index.js";
import { EngineStateError, NumericalError, ValueError } from "../core/errors.js";
import { EngineResource } from "../engine/resource.js";
import { Matrix } from "../core/matrix.js";
import { inOpenUnit, integer, positive } from "../core/validate.js";
import type { Kernel } from "./kernels.js";
import type { Rng } from "../random/rng.js";
import { makeDictionary, type DictionaryParams, type RlsDictionary } from "./dictionary.js";

/** Scalar configuration of the engine routines (the RlsConfig slots of `cfg`). */
export interface EngineConfig {
  kernel: Kernel;
  d: number;
  qbar: number;
  /** The leverage-score ridge λ (the paper's γ). */
  lambda: number;
  eps: number;
  c: number;
  cPref: number;
  scale: number;
  budget: number;
  normalise: boolean;
  jitter: number;
}

/** @internal The `cfg` block of the rls exports. */
export function cfgArray(c: EngineConfig, maxPending = 0, pending = 0, final = false): Float64Array {
  const a = new Float64Array(RlsConfig.SLOTS);
  a[RlsConfig.KIND] = c.kernel.code;
  a[RlsConfig.P0] = c.kernel.p[0];
  a[RlsConfig.P1] = c.kernel.p[1];
  a[RlsConfig.P2] = c.kernel.p[2];
  a[RlsConfig.D] = c.d;
  a[RlsConfig.QBAR] = c.qbar;
  a[RlsConfig.LAMBDA] = c.lambda;
  a[RlsConfig.EPS] = c.eps;
  a[RlsConfig.C] = c.c;
  a[RlsConfig.CPREF] = c.cPref;
  a[RlsConfig.SCALE] = c.scale;
  a[RlsConfig.BUDGET] = c.budget;
  a[RlsConfig.NORMALISE] = c.normalise ? 1 : 0;
  a[RlsConfig.JITTER] = c.jitter;
  a[RlsConfig.MAX_PENDING] = maxPending;
  a[RlsConfig.PENDING] = pending;
  a[RlsConfig.FINAL] = final ? 1 : 0;
  return a;
}

/** @internal validated engine configuration. */
export function engineConfig(o: { kernel: Kernel; d: number; qbar: number; lambda: unknown; eps?: unknown; c?: unknown; cPref?: unknown; scale?: unknown; budget?: unknown; normalise?: boolean; jitter?: unknown }): EngineConfig {
  const lambda = positive(o.lambda, "lambda");
  const eps = inOpenUnit(o.eps ?? 0.5, "eps");
  const c = o.c === undefined ? 1 : positive(o.c, "c");
  const cPref = o.cPref === undefined ? 1 : positive(o.cPref, "cPref");
  const scale = o.scale === undefined ? 1 : positive(o.scale, "scale");
  const budget = o.budget === undefined || o.budget === null ? 0 : integer(o.budget, "maxDictionary", 1, MAX_CAPACITY);
  const jitter = o.jitter === undefined ? 1e-13 : positive(o.jitter, "jitter");
  integer(o.d, "d (number of features)", 1);
  return { kernel: o.kernel, d: o.d, qbar: o.qbar, lambda, eps, c, cPref, scale, budget, normalise: !!o.normalise, jitter };
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
export class DictState extends EngineResource {
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
  private pts!: WasmBuffer<Float64Array>;
  private L!: WasmBuffer<Float64Array>;
  private ptil!: WasmBuffer<Float64Array>;
  private q!: WasmBuffer<Int32Array>;
  private idx!: WasmBuffer<Float64Array>;
  private tau!: WasmBuffer<Float64Array>;
  /** f64 slots of the engine's workspace for rls_stream and rls_update at this capacity (its
   *  layout is the engine's). It is not held between calls: each call gets it as a temporary
   *  block, freed when the call returns, so an idle state holds only its dictionary. */
  private workSize = 0;
  private readonly stage: WasmBuffer<Float64Array>;
  private readonly info: WasmBuffer<Float64Array>;
  /** Set when an engine call reported a non-finite estimate: the state is unusable. */
  private failure: NumericalError | null = null;

  constructor(cfg: EngineConfig, initialCap = 64) {
    super();
    // Limits before allocation: the factor alone is 8·cap² bytes.
    if (!Number.isInteger(initialCap) || initialCap < 1 || initialCap > MAX_CAPACITY) {
      throw new ValueError(`a dictionary holds at most ${MAX_CAPACITY} points (its Cholesky factor takes 8·m² bytes), got ${initialCap}; set maxDictionary, raise lambda or lower qbar`);
    }
    this.eng = getEngine();
    this.cfg = cfg;
    this.stage = this.eng.f64(CHUNK * cfg.d);
    this.info = this.eng.f64(RlsInfo.SLOTS);
    try {
      this.allocate(initialCap);
    } catch (e) {
      this.stage.dispose();
      this.info.dispose();
      throw e;
    }
  }

  protected override get resourceName(): string {
    return "dictionary state";
  }

  /** Bytes of engine memory this state holds between calls (its workspace, a temporary of
   *  each call, is not counted). */
  get bytes(): number {
    let f64s = 0;
    for (const buf of [this.pts, this.L, this.ptil, this.idx, this.tau, this.stage, this.info]) f64s += buf.length;
    return 8 * f64s + 4 * this.q.length;
  }

  private allocate(cap: number): void {
    const e = this.eng, d = this.cfg.d;
    const old = this.cap > 0 ? { pts: this.pts, L: this.L, ptil: this.ptil, q: this.q, idx: this.idx, tau: this.tau } : null;
    const made: WasmBuffer<Float64Array | Int32Array>[] = [];
    const f64 = (n: number) => {
      const b = e.f64(n);
      made.push(b);
      return b;
    };
    let fresh;
    try {
      const L = f64(cap * cap);
      const q = e.i32(cap);
      made.push(q);
      fresh = { pts: f64(cap * d), L, ptil: f64(cap), q, idx: f64(cap), tau: f64(cap) };
    } catch (err) {
      for (const b of made) b.dispose();
      throw err;
    }
    this.workSize = e.call("rls_workspace_size", { cap, rows: CHUNK }).ret;
    if (old) {
      const m = this.m;
      fresh.pts.view.set(old.pts.view.subarray(0, m * d));
      fresh.ptil.view.set(old.ptil.view.subarray(0, m));
      fresh.q.view.set(old.q.view.subarray(0, m));
      fresh.idx.view.set(old.idx.view.subarray(0, m));
      fresh.tau.view.set(old.tau.view.subarray(0, m));
      e.call("rls_regrow", { m, oldCap: this.cap, newCap: cap, lOld: old.L, lNew: fresh.L });
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
        throw new ValueError(`the dictionary would need more than ${MAX_CAPACITY} points (d_eff(λ) is too large for lambda = ${this.cfg.lambda}); raise lambda, lower qbar, or set maxDictionary`);
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
    this.assertLive();
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
    this.assertLive();
    while (this.staged > 0) {
      const need = this.chunkNeed(rng, ctl);
      this.runChunk(Math.min(need, this.staged), rng, ctl);
    }
    if (this.dirty) this.update(rng);
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
    const status = this.eng.call("rls_stream", {
      cfg: input(cfg), X: this.stage, n: nb, idx0: this.processed,
      pts: this.pts, L: this.L, cap: this.cap, m: this.m, ptil: this.ptil, q: this.q, idx: this.idx, tau: this.tau,
      rng: rng.stateBuffer, info: this.info, work: scratch(this.workSize),
    }).ret;
    if (status === Status.NON_FINITE) this.fail(this.eng.statusArgs()[0], "its kernel values against the dictionary overflow");
    const info = this.info.view;
    const consumed = info[RlsInfo.CONSUMED];
    this.m = info[RlsInfo.M];
    this.pending = info[RlsInfo.PENDING];
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
    this.assertLive();
    if (this.m === 0 && this.pending === 0) {
      this.sinceUpdate = 0;
      return;
    }
    const cfg = cfgArray(this.cfg, 0, 0, final);
    const tmp = tauAll ? this.eng.f64(Math.max(1, this.m)) : null;
    try {
      const st = this.eng.call("rls_update", {
        cfg: input(cfg), pts: this.pts, L: this.L, cap: this.cap, m: this.m,
        ptil: this.ptil, q: this.q, idx: this.idx, tau: this.tau, rng: rng.stateBuffer, info: this.info, tauAll: tmp, work: scratch(this.workSize),
      }).ret;
      if (st === Status.NON_FINITE) this.fail(this.eng.statusArgs()[0], "the dictionary's kernel matrix or its factor overflows");
      const info = this.info.view;
      if (st === Status.NOT_SPD) {
        const jitter = info[RlsInfo.JITTER];
        throw new NumericalError(`dictionary update: K_DD + cλ·diag(1/w) is not numerically positive definite even after a jitter of ${jitter.toExponential(3)}; the kernel may not be positive semi-definite`, { jitter });
      }
      if (tauAll && tmp) tauAll.set(tmp.view.subarray(0, tauAll.length));
      this.m = info[RlsInfo.M];
      this.lastDeff = info[RlsInfo.DEFF];
      this.cfg = { ...this.cfg, scale: info[RlsInfo.SCALE] };
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
    this.assertLive();
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

  snapshot(params: Omit<DictionaryParams, "scale" | "deff" | "qbar" | "c" | "cPref" | "lambda" | "eps" | "kernel" | "d">): RlsDictionary {
    this.assertLive();
    const m = this.m, d = this.cfg.d;
    return makeDictionary({
      indices: this.idx.view.slice(0, m),
      points: new Matrix(m, d, this.pts.view.slice(0, m * d)),
      pTilde: this.ptil.view.slice(0, m),
      copies: this.q.view.slice(0, m),
      tau: this.tau.view.slice(0, m),
      params: {
        ...params,
        kernel: this.cfg.kernel.toJSON(), lambda: this.cfg.lambda, eps: this.cfg.eps, qbar: this.cfg.qbar,
        c: this.cfg.c, cPref: this.cfg.cPref, scale: this.cfg.scale, deff: this.lastDeff, d,
      },
    });
  }

  protected release(): void {
    for (const b of [this.pts, this.L, this.ptil, this.q, this.idx, this.tau, this.stage, this.info]) b?.dispose();
  }

  /** A non-finite estimate: the state cannot go on (its arrays are half-updated). Throws the
   *  NumericalError naming the point, and every later use throws it again. */
  private fail(point: number, why: string): never {
    this.failure = new NumericalError(
      `the leverage-score estimate of point ${point} (0-based stream index) is not a finite number: ${why}. ` +
      "The inputs are too large for the kernel (rescale or standardise the features), or the kernel's parameters make its values overflow",
      { point },
    );
    throw this.failure;
  }

  /** Throws when disposed, or when an earlier call failed with a non-finite estimate. */
  protected override assertLive(): void {
    super.assertLive();
    if (this.failure) throw new EngineStateError(`this dictionary state stopped at an earlier error and cannot be used: ${this.failure.message}`);
  }
}
