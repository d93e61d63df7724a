// SQUEAK: one pass over a stream keeps a small weighted dictionary whose Nyström
// approximation is ε-accurate (Calandriello, Lazaric & Valko, AISTATS 2017, Alg. 1, Thm 1).
// The arithmetic (estimator, thinning, compaction, bordered Cholesky) is in the engine
// (assembly/rls/rls.ts); this file validates input, feeds the stream and takes snapshots.
// Two modes: "lazy" (default) scores new points against the current dictionary and runs a
// full DICT-UPDATE every `batch` points; "exact" is the paper's Algorithm 1 — every point is
// appended with p̃ = 1, q = q̄ and followed by a full DICT-UPDATE — with the randomness of
// the update at point t taken from the stream a DISQUEAK merge-tree node covering leaves 0..t
// uses, so a chain of single-point leaves reproduces it exactly.
import { ShapeError, ValueError } from "../core/errors.js";
import { Matrix, asMatrix, checkFinite, numbers, type MatrixLike } from "../core/matrix.js";
import { integer, oneOf, seed as checkSeed } from "../core/validate.js";
import { checkOptions, deprecationWarning, emitWarning } from "../core/options.js";
import { EngineResource } from "../engine/resource.js";
import { Work, type LongWorkOptions, type WorkProgress } from "../core/work.js";
import { Rng } from "../random/rng.js";
import { nodeStream } from "../random/streams.js";
import { asKernel, checkKernelRows, type Kernel, type KernelSpec } from "./kernels.js";
import { makeDictionary, type RlsDictionary } from "./dictionary.js";
import { DictState, engineConfig, type EngineConfig, type StreamControl } from "./state.js";

/** Rows accepted by push(): an array of rows, a Matrix / {data, rows, cols}, or a flat
 *  numeric array (Float64Array, number[]) holding whole rows of width d. */
export type Rows = MatrixLike | Float64Array | ArrayLike<number>;

/** Any source consume() accepts: (async) iterables or a Web ReadableStream of Rows. */
export type RowSource = AsyncIterable<Rows> | Iterable<Rows> | ReadableStream<Rows>;

/** Options of `Squeak`. */
export interface SqueakOptions {
  /** The kernel, e.g. rbf({ gamma: 0.5 }). */
  kernel: Kernel | KernelSpec;
  /** Absolute ridge λ > 0 of the leverage scores τ = diag(K(K + λI)⁻¹): γ in Calandriello et
   *  al. 2017; λ·n in the BLESS paper's notation. Not the kernel's width (`rbf({ gamma })`). Required; optional in the
   *  type only while its old name `gamma` is accepted (this release, with a warning). */
  lambda?: number;
  /** The leverage-score ridge under its old name.
   *  @deprecated renamed `lambda`; removed in the next release. */
  gamma?: number;
  /** Accuracy ε ∈ (0, 1); the estimator is scaled by (1 − ε). Default 0.5. */
  eps?: number;
  /** Copies per point q̄ (an oversampling factor; integer ≥ 1). Default 10. */
  qbar?: number;
  /** Stream points between full dictionary updates; default "auto" = max(256, 4·m). Lazy mode only. */
  batch?: number | "auto";
  /** Seed of the thinning stream. Default 0. */
  seed?: number;
  /** "lazy" (default, fast): new points are scored against the current dictionary and a full
   *  DICT-UPDATE runs every `batch` points. "exact": the paper's Algorithm 1 — each point t ≥ 1
   *  is appended with p̃ = 1, q = q̄ (Expand), then every entry is re-estimated and thinned by a
   *  full DICT-UPDATE (the engine routine dictUpdate runs) drawing from the stream
   *  (seed, nodeStream(0, t + 1)) = (seed, t + 1). O(n·m³) time: for reference and small
   *  streams. Its dictionary is bit-identical to disqueak() over the same rows with
   *  `leafSize: 1, leaf: "exact", shape: "chain", estimator` equal to this one, and the same
   *  seed (without maxDictionary, whose probability scale a chain restarts at every merge). */
  mode?: "lazy" | "exact";
  /** Budget on the number of stored points (see README: what remains guaranteed). */
  maxDictionary?: number;
  /** "squeak" (A = K_DD + λ·G, default) or "disqueak" (A = K_DD + (1+ε)λ·G). */
  estimator?: "squeak" | "disqueak";
}

/** Without a maxDictionary, a streaming dictionary warns once when it passes this many points
 *  (its size follows d_eff(λ), which the user may not know in advance). */
export const GROWTH_WARNING_SIZE = 2048;

/** The options Squeak accepts, and the old names that map onto them. @internal */
export const SQUEAK_OPTIONS = ["kernel", "lambda", "eps", "qbar", "batch", "seed", "mode", "maxDictionary", "estimator"] as const;
/** The leverage-score ridge's first name (`gamma`), accepted for one release. @internal */
export const LAMBDA_RENAME = { gamma: "lambda" } as const;

/** What Squeak's and InkEstimate's progress events carry: the rows so far, and the dictionary
 *  they have built (its size and the engine memory it holds). */
export interface DictionaryProgress extends WorkProgress {
  /** Points in the dictionary now. */
  dictionarySize: number;
  /** Bytes of engine memory the dictionary holds now. */
  memoryBytes: number;
}

/** Options of `pushAsync` and `consume`. */
export interface StreamOptions extends LongWorkOptions<DictionaryProgress> {
  /** Columns per row, for flat arrays holding several rows. */
  d?: number;
  /** Rows per chunk of pushAsync (between two yields). Default 1024. */
  chunkRows?: number;
}
const STREAM_KEYS = ["d", "chunkRows", "signal", "onProgress"] as const;

/** Shared streaming machinery of Squeak and InkEstimate. Owns engine memory (the dictionary's
 *  state): `dispose()` it, or declare it with `using`. */
export abstract class StreamingDictionary extends EngineResource {
  /** Size past which a dictionary without maxDictionary warns (GROWTH_WARNING_SIZE; tests
   *  lower it). @internal */
  static growthWarningSize = GROWTH_WARNING_SIZE;
  /** The kernel. */
  readonly kernel: Kernel;
  /** Seed of the thinning stream. */
  readonly seed: number;
  protected readonly cfgBase: Omit<EngineConfig, "d">;
  protected readonly batchOpt: number | "auto";
  protected readonly limit: number | null;
  protected abstract readonly method: string;
  /** Algorithm 1 exactly: Expand, then a full DICT-UPDATE after every point (Squeak mode "exact"). */
  protected exactUpdates = false;
  private state: DictState | null = null;
  private rng: Rng | null = null;
  private seenCount = 0;
  private dim: number | null = null;
  private grewWarned = false;

  protected constructor(cfg: Omit<EngineConfig, "d">, seed: number, batch: number | "auto", budget: number | null) {
    super();
    this.kernel = cfg.kernel;
    this.cfgBase = cfg;
    this.seed = seed;
    this.batchOpt = batch;
    this.limit = budget;
  }

  /** Number of stream points pushed so far. */
  get seen(): number {
    return this.seenCount;
  }
  /** Input dimension (null before the first row). */
  get d(): number | null {
    return this.dim;
  }
  /** Points currently stored (including those appended since the last full update; rows
   *  still staged for the next engine chunk, at most 256, are not yet counted). */
  get size(): number {
    return this.state?.m ?? 0;
  }
  /** Full dictionary updates run so far. */
  get updates(): number {
    return this.state?.updates ?? 0;
  }
  /** Horvitz–Thompson estimate of d_eff(λ) from the last update (null before one ran). */
  get deffEstimate(): number | null {
    return this.state?.lastDeff ?? null;
  }
  /** Engine bytes held by this object between calls (its dictionary state and its generator;
   *  grows with the dictionary, never with the stream). */
  get memoryBytes(): number {
    return (this.state?.bytes ?? 0) + (this.rng ? 32 : 0);
  }

  private progressFacts(): { dictionarySize: number; memoryBytes: number } {
    return { dictionarySize: this.size, memoryBytes: this.memoryBytes };
  }

  private control(): StreamControl {
    const batch = this.batchOpt;
    const budget = this.limit;
    return {
      batch: (m) => (batch === "auto" ? Math.max(256, 4 * m) : batch),
      maxPending: (m) => {
        let p = Math.max(32, Math.ceil(m / 2));
        if (budget !== null) p = Math.min(p, Math.max(8, Math.ceil(budget / 4)));
        return p;
      },
    };
  }

  /** Add rows to the stream. `d` is needed only for flat arrays holding several rows. */
  push(rows: Rows, d?: number): this {
    this.assertLive();
    const { data, n, cols } = this.toBlock(rows, d);
    if (n === 0) return this;
    if (this.state === null) {
      const state = new DictState({ ...this.cfgBase, d: cols });
      let rng: Rng | null = null;
      try {
        if (!this.exactUpdates) rng = new Rng(this.seed);
      } catch (e) {
        state.dispose(); // (e.g. EngineMemoryError): nothing half-made stays behind
        throw e;
      }
      this.dim = cols;
      this.state = state;
      this.rng = rng;
    }
    if (this.exactUpdates) {
      for (let r = 0; r < n; r++) this.expandAndUpdate(data.subarray(r * cols, (r + 1) * cols));
      return this;
    }
    this.state.stream(data, n, this.rng!, this.control());
    this.seenCount += n;
    this.checkGrowth();
    return this;
  }

  // Without a budget the dictionary grows with d_eff(λ): say so once, with what it costs.
  private checkGrowth(): void {
    if (this.grewWarned || this.limit !== null || this.size < (this.constructor as typeof StreamingDictionary).growthWarningSize) return;
    this.grewWarned = true;
    emitWarning(
      `${this.resourceName}: the dictionary has grown to ${this.size} points (${(this.memoryBytes / 2 ** 20).toFixed(1)} MiB of engine memory) ` +
      `after ${this.seenCount} rows, and keeps growing with d_eff(λ = ${this.cfgBase.lambda}); every update costs O(m³). ` +
      "Set maxDictionary to bound it, or raise lambda / lower qbar (this warning is shown once)",
      "SeqlearnWarning", "SEQLEARN_DICTIONARY_GROWTH",
    );
  }

  // Algorithm 1, one point: append x_t with p̃ = 1 and q = q̄ to the dictionary, then (t ≥ 1)
  // run the full DICT-UPDATE on all entries with the stream of the merge-tree node that
  // covers leaves 0..t. Point 0 alone is the first dictionary, as a single-point leaf is.
  private expandAndUpdate(row: Float64Array): void {
    const st = this.state!;
    const t = this.seenCount;
    const d = row.length;
    const cur = st.snapshot({ method: this.method, seed: this.seed, n: t, maxDictionary: this.limit });
    const m = cur.size;
    const pts = new Float64Array((m + 1) * d);
    pts.set(cur.points.data);
    pts.set(row, m * d);
    const pTilde = new Float64Array(m + 1);
    pTilde.set(cur.pTilde);
    pTilde[m] = 1;
    const copies = new Int32Array(m + 1);
    copies.set(cur.copies);
    copies[m] = this.cfgBase.qbar;
    const indices = new Float64Array(m + 1);
    indices.set(cur.indices);
    indices[m] = t;
    st.load(pts, pTilde, copies, indices);
    if (t > 0) {
      const rng = new Rng(this.seed, nodeStream(0, t + 1));
      try {
        st.update(rng);
      } finally {
        rng.dispose();
      }
    }
    this.seenCount = t + 1;
  }

  /** push() as long work: the rows go in chunks of `chunkRows` (the dictionary is the one
   *  push() gives, bit for bit: how a stream is split does not matter), with `onProgress`
   *  after each chunk ({ done, total, unit: "rows" }), a yield to the event loop, and a stop
   *  with the signal's reason once `signal` fires (the rows pushed so far stay pushed). */
  async pushAsync(rows: Rows, options: StreamOptions = {}): Promise<this> {
    this.assertLive();
    const opts = checkOptions<StreamOptions>(options, "pushAsync", STREAM_KEYS);
    const { data, n, cols } = this.toBlock(rows, opts.d);
    const chunk = integer(opts.chunkRows ?? 1024, "chunkRows", 1);
    const work = new Work(opts, n, "rows", () => this.progressFacts());
    for (let r0 = 0; r0 < n; r0 += chunk) {
      const k = Math.min(chunk, n - r0);
      this.push(new Matrix(k, cols, data.subarray(r0 * cols, (r0 + k) * cols)));
      await work.step(k);
    }
    return this;
  }

  /** Push every item of an (async) iterable or a Web ReadableStream; each item is a row or a
   *  batch of rows (anything push() accepts). Resolves to this. The second argument is `d`
   *  (for flat arrays holding several rows) or { d, signal, onProgress }: between items the
   *  rows so far are reported ({ done, total: null, unit: "rows" }) and the signal checked. */
  async consume(source: RowSource, dOrOptions?: number | StreamOptions): Promise<this> {
    this.assertLive();
    const opts: StreamOptions = typeof dOrOptions === "object" && dOrOptions !== null
      ? checkOptions<StreamOptions>(dOrOptions, "consume", STREAM_KEYS)
      : { d: dOrOptions };
    const d = opts.d;
    const work = new Work(opts, null, "rows", () => this.progressFacts());
    const add = async (item: Rows): Promise<void> => {
      const before = this.seenCount;
      this.push(item, d);
      await work.step(this.seenCount - before);
    };
    if (source && typeof (source as ReadableStream<Rows>).getReader === "function") {
      const reader = (source as ReadableStream<Rows>).getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await add(value);
        }
      } finally {
        reader.releaseLock();
      }
      return this;
    }
    const s = source as AsyncIterable<Rows> & Iterable<Rows>;
    if (!s || (typeof s[Symbol.asyncIterator] !== "function" && typeof s[Symbol.iterator] !== "function")) {
      throw new ValueError("consume: source must be an async iterable, an iterable or a ReadableStream of rows");
    }
    for await (const item of s) await add(item);
    return this;
  }

  /** A snapshot of the dictionary (plain data; the object keeps streaming). Points that
   *  arrived since the last full update are first folded in by a DICT-UPDATE, so the call
   *  advances the random stream: identical call sequences give identical dictionaries. */
  dictionary(): RlsDictionary {
    this.assertLive();
    const params = { method: this.method, seed: this.seed, n: this.seenCount, maxDictionary: this.limit };
    if (this.state === null) {
      return makeDictionary({
        indices: new Float64Array(0), points: new Matrix(0, this.dim ?? 0), pTilde: new Float64Array(0), copies: new Int32Array(0), tau: new Float64Array(0),
        params: { ...params, kernel: this.kernel.toJSON(), lambda: this.cfgBase.lambda, eps: this.cfgBase.eps, qbar: this.cfgBase.qbar, c: this.cfgBase.c, cPref: this.cfgBase.cPref, scale: this.cfgBase.scale, deff: 0, d: this.dim ?? 0 },
      });
    }
    if (!this.exactUpdates) this.state.flush(this.rng!, this.control());
    this.checkGrowth();
    return this.state.snapshot(params);
  }

  /** Frees the dictionary's state and the generator. @internal */
  protected release(): void {
    this.state?.dispose();
    this.rng?.dispose();
    this.state = null;
    this.rng = null;
  }

  private toBlock(rows: Rows, dArg?: number): { data: Float64Array; n: number; cols: number } {
    if (dArg !== undefined) integer(dArg, "d", 1);
    const isFlat = ArrayBuffer.isView(rows) || (Array.isArray(rows) && (rows.length === 0 || typeof rows[0] === "number"));
    let data: Float64Array, n: number, cols: number;
    if (isFlat) {
      const a = rows as ArrayLike<number>;
      cols = dArg ?? this.dim ?? a.length;
      const src = a instanceof Float64Array ? a : numbers(a, "rows", cols);
      if (src.length === 0) return { data: src, n: 0, cols };
      if (cols === 0 || src.length % cols !== 0) {
        throw new ShapeError(`rows: a flat array of length ${src.length} does not hold whole rows of width d = ${cols}`);
      }
      checkFinite(src, "rows", cols);
      data = src;
      n = src.length / cols;
    } else {
      const m = asMatrix(rows as MatrixLike, "rows");
      data = m.data;
      n = m.rows;
      cols = m.cols;
      if (n === 0) return { data, n: 0, cols };
      if (dArg !== undefined && dArg !== cols) throw new ShapeError(`rows have ${cols} columns but d = ${dArg} was given`);
    }
    if (cols < 1) throw new ShapeError("rows must have at least one column");
    if (this.dim !== null && cols !== this.dim) {
      throw new ShapeError(`rows have ${cols} columns but the stream started with ${this.dim}; every row must have the same number of features`);
    }
    checkKernelRows(data, n, cols, "rows");
    return { data, n, cols };
  }
}

/** SQUEAK (sequential RLS sampling; Calandriello et al. 2017, Alg. 1). One pass, memory O(m²) with m ≤ 3·q̄·d_eff
 *  (w.h.p. under the theory's q̄). */
export class Squeak extends StreamingDictionary {
  protected readonly method = "squeak";
  /** "lazy" or "exact" (the paper's Algorithm 1). */
  readonly mode: "lazy" | "exact";
  /** Ridge λ of the leverage scores. */
  readonly lambda: number;
  /** Accuracy ε. */
  readonly eps: number;
  /** Copies per point q̄. */
  readonly qbar: number;
  /** Stream points between full dictionary updates, or "auto". */
  readonly batch: number | "auto";
  /** Budget on the stored points, or null. */
  readonly maxDictionary: number | null;
  /** Which estimator the full updates use. */
  readonly estimator: "squeak" | "disqueak";

  constructor(options: SqueakOptions) {
    if (!options || typeof options !== "object") throw new ValueError("Squeak: options { kernel, lambda, ... } are required");
    const opts = checkOptions<SqueakOptions>(options, "Squeak", SQUEAK_OPTIONS, LAMBDA_RENAME);
    const kernel = asKernel(opts.kernel);
    const qbar = integer(opts.qbar ?? 10, "qbar", 1, 1e6);
    const estimator = oneOf(opts.estimator ?? "squeak", "estimator", ["squeak", "disqueak"] as const);
    const eps = opts.eps ?? 0.5;
    const mode = oneOf(opts.mode ?? "lazy", "mode", ["lazy", "exact"] as const);
    const batch = opts.batch === undefined || opts.batch === "auto" ? "auto" : integer(opts.batch, "batch", 1);
    if (mode === "exact" && batch !== "auto") throw new ValueError(`batch applies to mode "lazy" only (mode "exact" runs a full dictionary update after every point), got batch = ${batch}`);
    const seed = checkSeed(opts.seed ?? 0, "seed");
    const budget = opts.maxDictionary === undefined ? null : integer(opts.maxDictionary, "maxDictionary", 1);
    const cfg = engineConfig({ kernel, d: 1, qbar, lambda: opts.lambda, eps, c: estimator === "disqueak" ? 1 + (eps as number) : 1, budget });
    const { d: _d, ...base } = cfg;
    super(base, seed, batch, budget);
    this.exactUpdates = mode === "exact";
    this.mode = mode;
    this.lambda = cfg.lambda;
    this.eps = cfg.eps;
    this.qbar = qbar;
    this.batch = batch;
    this.maxDictionary = budget;
    this.estimator = estimator;
  }

  /** @deprecated The leverage-score ridge is `lambda`; `gamma` is its old name (one release). */
  get gamma(): number {
    deprecationWarning("Squeak.gamma", "Squeak.gamma is deprecated and will be removed in the next release; read .lambda (the leverage-score ridge)");
    return this.lambda;
  }

  protected override get resourceName(): string {
    return "Squeak";
  }
}
