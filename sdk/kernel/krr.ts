// Nyström kernel ridge regression from a dictionary (Calandriello, Lazaric & Valko, AISTATS
// 2017, Eq. 8), in m parameters, with μ the KRR ridge (`ridge`) and λ the leverage-score ridge
// (`lambda`, the paper's γ):
//   α = (K_Dn K_nD + μ K_DD + μλ·diag(1/w))⁻¹ K_Dn y,     f(x) = Σ_j α_j k(x_j, x)
// K_Dn K_nD (m×m) and K_Dn y (m×k) are accumulated in one streaming pass, O(m² + mk) memory.
// Without the μλ·diag(1/w) term (λ = 0) this is standard Nyström KRR (Williams & Seeger, NIPS
// 2001; with leverage-score centres, Rudi, Camoriano & Rosasco, NeurIPS 2015); the term is
// SQUEAK's data-driven ridge. "exact" solves (K + μI)α = y on all points (small n only).
//
// JSON versions (the tag carries the version; fromJSON reads every one):
//   "seqlearn.krr/2"   current: the ridges are `ridge` (μ) and `lambda` (λ)
//   "seqlearn.krr/1"   first release: the same ridges were `mu` and `gamma`
import { getEngine, input, output, scratch, type Engine, type WasmBuffer } from "../engine/index.js";
import { EngineStateError, NumericalError, ShapeError, ValueError } from "../core/errors.js";
import { EngineResource } from "../engine/resource.js";
import { Matrix, asMatrix, asVector, type MatrixLike, type VectorLike } from "../core/matrix.js";
import { integer, nonNegative, positive, seed as checkSeed } from "../core/validate.js";
import { checkOptions, deprecationWarning } from "../core/options.js";
import { Work, type LongWorkOptions } from "../core/work.js";
import { cholesky, choSolve } from "../linalg/index.js";
import { Kernel, asKernel, checkKernelRows, kernelFromSpec, type KernelSpec } from "./kernels.js";
import { checkDictionary, type RlsDictionary } from "./dictionary.js";
import { uniformNystrom } from "./rls.js";

/** Options of `NystromKRR.fit`, `accumulator` and `fitStream`. */
export interface KrrOptions {
  /** KRR ridge μ > 0, absolute: the loss is ‖y − Kα‖² + μ·αᵀKα (scikit-learn KernelRidge
   *  alpha = μ; FALKON penalty = μ/n). Required; optional in the type only while its old name
   *  `mu` is accepted (this release, with a warning). */
  ridge?: number;
  /** The KRR ridge under its old name.
   *  @deprecated renamed `ridge`; removed in the next release. */
  mu?: number;
  /** Kernel for "exact" and { uniform } centres (dictionaries carry their own). */
  kernel?: Kernel | KernelSpec;
  /** Leverage-score ridge λ of the μλ·diag(1/w) term. Default: the dictionary's λ. 0 = standard
   *  Nyström KRR. */
  lambda?: number;
  /** The leverage-score ridge under its old name.
   *  @deprecated renamed `lambda`; removed in the next release. */
  gamma?: number;
  /** Rows per engine call. Default 1024. */
  chunk?: number;
}

const KRR_OPTIONS = ["ridge", "kernel", "lambda", "chunk"] as const;
const KRR_ASYNC_OPTIONS = [...KRR_OPTIONS, "signal", "onProgress"] as const;

/** Options of `NystromKRR.fitAsync` and `fitStream`: the fit's, a signal and a progress callback. */
export interface KrrAsyncOptions extends KrrOptions, LongWorkOptions {}
const KRR_RENAMES = { mu: "ridge", gamma: "lambda" } as const;

/** Where `NystromKRR.fit` takes its centres from: a dictionary, `"exact"` (every point), or
 * `{ uniform: m, seed, lambda }` (m rows of X uniformly without replacement). */
export type Centres = RlsDictionary | "exact" | {
  /** Number of centres m. */ uniform: number;
  /** Seed of the draw. Default 0. */ seed?: number;
  /** Ridge λ of the μλ·diag(1/w) term. Default 0. */ lambda?: number;
  /** @deprecated renamed `lambda`; removed in the next release. */ gamma?: number;
};

/** Scores from `NystromKRR.score`. */
export interface KrrScore {
  /** Root mean squared error. */
  rmse: number;
  /** Coefficient of determination R² (NaN when y is constant). */
  r2: number;
  /** Fraction of sign(prediction) == y, when every target is ±1. */
  accuracy?: number;
}

type Targets = { Y: Matrix; vector: boolean };

/** The right-hand side K_Dn·y (before the solve) and the coefficients α (after it) must be
 *  finite: with finite inputs anything else means the targets are too large for double
 *  precision. */
function checkCoefficients(what: "right-hand side K_Dn·y" | "coefficients α", values: Matrix): void {
  let acc = 0;
  for (let i = 0; i < values.data.length; i++) acc += values.data[i] * 0;
  if (acc === 0) return;
  throw new NumericalError(
    `NystromKRR: the ${what} of the fit ${what.startsWith("c") ? "are" : "is"} not finite (it overflows double precision): ` +
    "the targets are too large; rescale y (e.g. standardise it) and fit again",
  );
}

function isVectorTarget(y: VectorLike | MatrixLike): boolean {
  return ArrayBuffer.isView(y) || (Array.isArray(y) && (y.length === 0 || typeof y[0] === "number"));
}

function asTargets(y: VectorLike | MatrixLike, n: number): Targets {
  const isVec = isVectorTarget(y);
  if (isVec) {
    const v = asVector(y as VectorLike, "y", { length: n });
    return { Y: new Matrix(n, 1, v), vector: true };
  }
  const Y = asMatrix(y as MatrixLike, "y", { rows: n });
  if (Y.cols < 1) throw new ShapeError("y must have at least one column");
  return { Y, vector: false };
}

/** Streaming accumulator of K_Dn K_nD and K_Dn y for fixed centres (O(m² + mk) memory).
 *  Owns engine memory until `finish()` (which frees it) or `dispose()`. */
export class KrrAccumulator extends EngineResource {
  /** The kernel (the dictionary's). */
  readonly kernel: Kernel;
  /** Number of centres m. */
  readonly m: number;
  /** Input dimension d. */
  readonly d: number;
  private k: number | null = null;
  private vector = true;
  private n = 0;
  private readonly eng: Engine;
  private readonly P: WasmBuffer<Float64Array>;
  private readonly H: WasmBuffer<Float64Array>;
  private R: WasmBuffer<Float64Array> | null = null;
  private Kb: WasmBuffer<Float64Array> | null = null;
  private readonly chunk: number;
  private finished = false;
  private readonly ridge: number;
  /** The centres. */
  readonly dictionary: RlsDictionary;
  /** The fit's options (with their current names). */
  readonly opts: KrrOptions;

  /** Use `NystromKRR.accumulator(dict, opts)`.
   * @param dictionary The centres.
   * @param options The fit's options. */
  constructor(dictionary: RlsDictionary, options: KrrOptions) {
    super();
    if (!options || typeof options !== "object") throw new ValueError("NystromKRR.accumulator: options { ridge } are required");
    const opts = checkOptions<KrrOptions>(options, "NystromKRR.accumulator", KRR_OPTIONS, KRR_RENAMES);
    checkDictionary(dictionary);
    if (dictionary.size === 0) throw new ValueError("NystromKRR: the dictionary is empty; push data first, or raise qbar");
    this.ridge = positive(opts.ridge, "ridge");
    if (opts.lambda !== undefined) nonNegative(opts.lambda, "lambda");
    this.dictionary = dictionary;
    this.opts = opts;
    this.kernel = asKernel(dictionary.params.kernel, "dictionary.params.kernel");
    this.m = dictionary.size;
    this.d = dictionary.points.cols;
    this.chunk = integer(opts.chunk ?? 1024, "chunk", 1);
    checkKernelRows(dictionary.points.data, this.m, this.d, "dictionary.points");
    this.eng = getEngine();
    this.P = this.eng.f64(this.m * this.d).set(dictionary.points.data);
    try {
      this.H = this.eng.f64(this.m * this.m);
    } catch (e) {
      this.P.dispose(); // (e.g. EngineMemoryError): nothing half-made stays behind
      throw e;
    }
    this.H.view.fill(0);
  }

  /** Number of rows seen. */
  get rows(): number {
    return this.n;
  }

  /** Add a batch of rows X (b×d) with targets y (length b, or b×k). */
  add(X: MatrixLike, y: VectorLike | MatrixLike): this {
    this.assertUsable();
    const x = asMatrix(X, "X");
    if (x.rows === 0) return this;
    if (x.cols !== this.d) throw new ShapeError(`X has ${x.cols} columns but the centres have ${this.d}`);
    checkKernelRows(x.data, x.rows, x.cols, "X");
    const { Y, vector } = asTargets(y, x.rows);
    if (this.k === null) {
      this.k = Y.cols;
      this.vector = vector;
      this.R = this.eng.f64(this.m * this.k);
      this.R.view.fill(0);
      this.Kb = this.eng.f64(Math.min(this.chunk, Math.max(x.rows, 64)) * this.m);
    } else if (Y.cols !== this.k) {
      throw new ShapeError(`y has ${Y.cols} outputs but earlier batches had ${this.k}`);
    }
    const kind = this.kernel.code, [p0, p1, p2] = this.kernel.p;
    const m = this.m, k = this.k, d = this.d;
    const cap = this.Kb!.length / m;
    for (let r0 = 0; r0 < x.rows; r0 += cap) {
      const nb = Math.min(cap, x.rows - r0);
      const xin = input(x.data.subarray(r0 * d, (r0 + nb) * d));
      this.eng.call("kernel_block", { kind, p0, p1, p2, x: xin, n: nb, y: this.P, m, d, out: this.Kb!, work: scratch(nb + m + 16) });
      // H += Kbᵀ·Kb: syrk_t computes the lower half and mirrors it, the same bits as the full product.
      this.eng.call("syrk_t", { n: m, k: nb, alpha: 1, a: this.Kb!, lda: m, beta: 1, c: this.H, ldc: m });
      this.eng.call("gemm", { transA: 1, transB: 0, m, n: k, k: nb, alpha: 1, a: this.Kb!, lda: m, b: input(Y.data.subarray(r0 * k, (r0 + nb) * k)), ldb: k, beta: 1, c: this.R!, ldc: k });
    }
    this.n += x.rows;
    return this;
  }

  /** Solve for α and return the model; frees the engine buffers. */
  finish(): NystromKRR {
    this.assertUsable();
    if (this.n === 0 || this.R === null) {
      this.dispose();
      throw new ValueError("NystromKRR: no training rows were given (empty stream)");
    }
    const m = this.m, k = this.k!;
    const ridge = this.ridge;
    const lambda = this.opts.lambda === undefined ? this.dictionary.params.lambda : this.opts.lambda;
    const A = new Matrix(m, m, this.H.view.slice());
    const R = new Matrix(m, k, this.R.view.slice());
    this.finished = true;
    this.dispose();
    const Kdd = this.kernel.matrix(this.dictionary.points);
    for (let i = 0; i < m * m; i++) A.data[i] += ridge * Kdd.data[i];
    for (let j = 0; j < m; j++) A.data[j * m + j] += ridge * lambda / this.dictionary.weights[j];
    checkCoefficients("right-hand side K_Dn·y", R);
    const { L } = cholesky(A, { jitter: 1e-13 });
    const alpha = choSolve(L, R) as Matrix;
    checkCoefficients("coefficients α", alpha);
    return new NystromKRR({ kernel: this.kernel, centres: this.dictionary.points, alpha, ridge, lambda, vector: this.vector, method: this.dictionary.params.method, n: this.n });
  }

  /** Frees the engine buffers. @internal */
  protected release(): void {
    this.P.dispose();
    this.H.dispose();
    this.R?.dispose();
    this.Kb?.dispose();
  }

  protected override get resourceName(): string {
    return "KrrAccumulator";
  }

  // After finish() the buffers are freed too: say which call ended the accumulator.
  private assertUsable(): void {
    if (this.finished) throw new EngineStateError("KrrAccumulator: finish() was already called (it frees the accumulator's engine memory); start a new accumulator");
    this.assertLive();
  }
}

interface ModelParts {
  kernel: Kernel;
  centres: Matrix;
  alpha: Matrix;
  ridge: number;
  lambda: number;
  vector: boolean;
  method: string;
  n: number;
}

/** A matrix as JSON data. */
export interface JSONMatrix {
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
  cols: number;
  /** The entries, row-major (length rows·cols). */
  data: number[];
}

/** A fitted model as JSON data (`NystromKRR.toJSON()`, format `seqlearn.krr/2`). */
export interface KrrJSON {
  /** Always "seqlearn.krr/2". */
  format: "seqlearn.krr/2";
  /** The kernel. */
  kernel: KernelSpec;
  /** The KRR ridge μ. */
  ridge: number;
  /** The leverage-score ridge λ. */
  lambda: number;
  /** How the centres were chosen. */
  method: string;
  /** Training rows. */
  n: number;
  /** Whether the model was fitted with a vector y (predict returns a Float64Array). */
  vector: boolean;
  /** The centres (m×d). */
  centres: JSONMatrix;
  /** The coefficients α (m×k). */
  alpha: JSONMatrix;
}

/** Nyström kernel ridge regression: f(x) = Σⱼ αⱼ k(xⱼ, x) over m centres, fitted with
 * α = (K_Dn K_nD + μK_DD + μλ·diag(1/w))⁻¹K_Dn y (Calandriello, Lazaric & Valko 2017, Eq. 8),
 * μ = `ridge`, λ = `lambda`. Build one with `fit`, `accumulator` / `fitStream`, or `fromJSON`.
 * `P` is what `predict` returns: `Float64Array` for a model fitted with a vector y, `Matrix`
 * (n×k) for one fitted with a matrix Y; `fit` infers it from y. */
export class NystromKRR<P extends Float64Array | Matrix = Float64Array | Matrix> {
  /** The kernel. */
  readonly kernel: Kernel;
  /** Centres x_j (m×d). */
  readonly centres: Matrix;
  /** Coefficients α (m×k). */
  readonly alpha: Matrix;
  /** The KRR ridge μ. */
  readonly ridge: number;
  /** The leverage-score ridge λ of the μλ·diag(1/w) term (0: standard Nyström KRR). */
  readonly lambda: number;
  /** How the centres were chosen ("squeak", "uniform", "exact", ...). */
  readonly method: string;
  /** Training rows. */
  readonly n: number;
  private readonly vector: boolean;

  /** @internal use NystromKRR.fit / accumulator / fromJSON */
  constructor(p: ModelParts) {
    this.kernel = p.kernel;
    this.centres = p.centres;
    this.alpha = p.alpha;
    this.ridge = p.ridge;
    this.lambda = p.lambda;
    this.vector = p.vector;
    this.method = p.method;
    this.n = p.n;
  }

  /** @deprecated The KRR ridge is `ridge`; `mu` is its old name (one release). */
  get mu(): number {
    deprecationWarning("NystromKRR.mu", "NystromKRR.mu is deprecated and will be removed in the next release; read .ridge (the KRR ridge)");
    return this.ridge;
  }

  /** @deprecated The leverage-score ridge is `lambda`; `gamma` is its old name (one release). */
  get gamma(): number {
    deprecationWarning("NystromKRR.gamma", "NystromKRR.gamma is deprecated and will be removed in the next release; read .lambda (the leverage-score ridge)");
    return this.lambda;
  }

  /** Number of outputs k. */
  get outputs(): number {
    return this.alpha.cols;
  }

  /** Fit on X (n×d), y (length n or n×k). Centres: a dictionary, { uniform: m, seed } or
   *  "exact" (all points, (K + μI)α = y; small n). */
  static fit(centres: Centres, X: MatrixLike, y: VectorLike, options: KrrOptions): NystromKRR<Float64Array>;
  static fit(centres: Centres, X: MatrixLike, y: MatrixLike, options: KrrOptions): NystromKRR<Matrix>;
  static fit(centres: Centres, X: MatrixLike, y: VectorLike | MatrixLike, options: KrrOptions): NystromKRR;
  static fit(centres: Centres, X: MatrixLike, y: VectorLike | MatrixLike, options: KrrOptions): NystromKRR {
    if (!options || typeof options !== "object") throw new ValueError("NystromKRR.fit: options { ridge } are required");
    const opts = checkOptions<KrrOptions>(options, "NystromKRR.fit", KRR_OPTIONS, KRR_RENAMES);
    const ridge = positive(opts.ridge, "ridge");
    const x = asMatrix(X, "X");
    if (x.rows === 0) throw new ValueError("NystromKRR.fit: X has no rows");
    if (centres === "exact") {
      const kernel = asKernel(opts.kernel, "opts.kernel");
      const { Y, vector } = asTargets(y, x.rows);
      const K = kernel.matrix(x);
      for (let i = 0; i < x.rows; i++) K.data[i * x.rows + i] += ridge;
      const { L } = cholesky(K, { jitter: 1e-14 });
      const alpha = choSolve(L, Y) as Matrix;
      checkCoefficients("coefficients α", alpha);
      return new NystromKRR({ kernel, centres: x.clone(), alpha, ridge, lambda: 0, vector, method: "exact", n: x.rows });
    }
    let dict: RlsDictionary;
    if (centres && typeof centres === "object" && "uniform" in centres && !("points" in centres)) {
      const kernel = asKernel(opts.kernel, "opts.kernel");
      const u = checkOptions<{ uniform: number; seed?: number; lambda?: number }>(centres, "NystromKRR.fit centres", ["uniform", "seed", "lambda"], { gamma: "lambda" });
      dict = uniformNystrom(x, u.uniform, { kernel, seed: checkSeed(u.seed ?? 0, "seed"), lambda: u.lambda ?? 0 });
    } else {
      dict = centres as RlsDictionary;
    }
    const acc = new KrrAccumulator(dict, opts);
    try {
      acc.add(x, y);
      return acc.finish();
    } finally {
      acc.dispose();
    }
  }

  /** `fit` as long work: the rows go through the accumulator in chunks of `chunk` rows (the
   *  engine's own block size, so α is bit for bit that of `fit`), with `onProgress` after each
   *  ({ done, total, unit: "rows" }), a yield to the event loop, and a stop with the signal's
   *  reason once `signal` fires. "exact" centres are one factorisation: checked before and after. */
  static async fitAsync(centres: Centres, X: MatrixLike, y: VectorLike, options: KrrAsyncOptions): Promise<NystromKRR<Float64Array>>;
  static async fitAsync(centres: Centres, X: MatrixLike, y: MatrixLike, options: KrrAsyncOptions): Promise<NystromKRR<Matrix>>;
  static async fitAsync(centres: Centres, X: MatrixLike, y: VectorLike | MatrixLike, options: KrrAsyncOptions): Promise<NystromKRR>;
  static async fitAsync(centres: Centres, X: MatrixLike, y: VectorLike | MatrixLike, options: KrrAsyncOptions): Promise<NystromKRR> {
    if (!options || typeof options !== "object") throw new ValueError("NystromKRR.fitAsync: options { ridge } are required");
    const { signal, onProgress, ...fit } = checkOptions<KrrAsyncOptions>(options, "NystromKRR.fitAsync", KRR_ASYNC_OPTIONS, KRR_RENAMES);
    const x = asMatrix(X, "X");
    const work = new Work({ signal, onProgress }, x.rows, "rows");
    if (centres === "exact" || x.rows <= (fit.chunk ?? 1024)) {
      const model = NystromKRR.fit(centres, x, y, fit);
      await work.step(x.rows);
      return model;
    }
    positive(fit.ridge, "ridge");
    let dict: RlsDictionary;
    if (centres && typeof centres === "object" && "uniform" in centres && !("points" in centres)) {
      const kernel = asKernel(fit.kernel, "opts.kernel");
      const u = checkOptions<{ uniform: number; seed?: number; lambda?: number }>(centres, "NystromKRR.fitAsync centres", ["uniform", "seed", "lambda"], { gamma: "lambda" });
      dict = uniformNystrom(x, u.uniform, { kernel, seed: checkSeed(u.seed ?? 0, "seed"), lambda: u.lambda ?? 0 });
    } else {
      dict = centres as RlsDictionary;
    }
    const { Y } = asTargets(y, x.rows);
    const chunk = integer(fit.chunk ?? 1024, "chunk", 1);
    const acc = new KrrAccumulator(dict, fit);
    try {
      const d = x.cols, k = Y.cols;
      for (let r0 = 0; r0 < x.rows; r0 += chunk) {
        const nb = Math.min(chunk, x.rows - r0);
        const ys = Y.data.subarray(r0 * k, (r0 + nb) * k);
        acc.add(new Matrix(nb, d, x.data.subarray(r0 * d, (r0 + nb) * d)), isVectorTarget(y) ? ys : new Matrix(nb, k, ys));
        await work.step(nb);
      }
      return acc.finish();
    } finally {
      acc.dispose();
    }
  }

  /** A streaming accumulator for fixed centres (O(m²) memory): add(X, y) batches, then finish(). */
  static accumulator(dict: RlsDictionary, opts: KrrOptions): KrrAccumulator {
    return new KrrAccumulator(dict, opts);
  }

  /** Fit from an (async) iterable of { X, y } batches in one pass. */
  static async fitStream(dict: RlsDictionary, source: AsyncIterable<{ X: MatrixLike; y: VectorLike | MatrixLike }> | Iterable<{ X: MatrixLike; y: VectorLike | MatrixLike }>, opts: KrrAsyncOptions): Promise<NystromKRR> {
    const iterable = source as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null;
    if (!iterable || (typeof iterable[Symbol.asyncIterator] !== "function" && typeof iterable[Symbol.iterator] !== "function")) {
      throw new ValueError("NystromKRR.fitStream: source must be an iterable or async iterable of { X, y } batches");
    }
    const { signal, onProgress, ...fit } = checkOptions<KrrAsyncOptions>(opts, "NystromKRR.fitStream", KRR_ASYNC_OPTIONS, KRR_RENAMES);
    const work = new Work({ signal, onProgress }, null, "rows");
    const acc = new KrrAccumulator(dict, fit);
    try {
      for await (const b of source as AsyncIterable<{ X: MatrixLike; y: VectorLike | MatrixLike }>) {
        if (!b || typeof b !== "object" || !("X" in b) || !("y" in b)) throw new ValueError("NystromKRR.fitStream: every item must be { X, y }");
        const before = acc.rows;
        acc.add(b.X, b.y);
        await work.step(acc.rows - before);
      }
      return acc.finish();
    } finally {
      acc.dispose();
    }
  }

  /** Predictions: a Float64Array when fitted with a vector y, else an n×k Matrix. */
  predict(X: MatrixLike): P {
    const x = asMatrix(X, "X");
    const d = this.centres.cols;
    if (x.rows > 0 && x.cols !== d) throw new ShapeError(`X has ${x.cols} columns but the model was fitted with ${d}`);
    const k = this.alpha.cols, m = this.centres.rows;
    const out = new Matrix(x.rows, k);
    const chunk = Math.max(1, Math.floor(4_000_000 / Math.max(1, m)));
    const eng = getEngine();
    for (let r0 = 0; r0 < x.rows; r0 += chunk) {
      const nb = Math.min(chunk, x.rows - r0);
      const K = this.kernel.matrix(new Matrix(nb, d, x.data.subarray(r0 * d, (r0 + nb) * d)), this.centres);
      const part = out.data.subarray(r0 * k, (r0 + nb) * k);
      eng.call("gemm", { transA: 0, transB: 0, m: nb, n: k, k: m, alpha: 1, a: input(K.data), lda: m, b: input(this.alpha.data), ldb: k, beta: 0, c: output(nb * k, part), ldc: k });
    }
    return (this.vector ? out.data : out) as P;
  }

  /** RMSE and R² (pooled over outputs); accuracy of sign(prediction) when y ∈ {−1, +1}. */
  score(X: MatrixLike, y: VectorLike | MatrixLike): KrrScore {
    const x = asMatrix(X, "X");
    const { Y } = asTargets(y, x.rows);
    if (Y.cols !== this.outputs) throw new ShapeError(`y has ${Y.cols} outputs but the model has ${this.outputs}`);
    const p: Float64Array | Matrix = this.predict(x);
    const pd = p instanceof Matrix ? p.data : p;
    const n = Y.data.length;
    if (n === 0) throw new ValueError("score: no rows");
    let sse = 0, mean = 0, pm = true, hits = 0;
    for (let i = 0; i < n; i++) mean += Y.data[i];
    mean /= n;
    let sst = 0;
    for (let i = 0; i < n; i++) {
      const e = pd[i] - Y.data[i];
      sse += e * e;
      sst += (Y.data[i] - mean) * (Y.data[i] - mean);
      if (Y.data[i] !== 1 && Y.data[i] !== -1) pm = false;
      else if ((pd[i] >= 0 ? 1 : -1) === Y.data[i]) hits++;
    }
    const out: KrrScore = { rmse: Math.sqrt(sse / n), r2: sst > 0 ? 1 - sse / sst : NaN };
    if (pm) out.accuracy = hits / n;
    return out;
  }

  /** The model as plain JSON data (`"format": "seqlearn.krr/2"`); numbers round-trip exactly. */
  toJSON(): KrrJSON {
    return {
      format: `${KRR_JSON_KIND}/${KRR_JSON_VERSION}`,
      kernel: this.kernel.toJSON(),
      ridge: this.ridge,
      lambda: this.lambda,
      method: this.method,
      n: this.n,
      vector: this.vector,
      centres: { rows: this.centres.rows, cols: this.centres.cols, data: Array.from(this.centres.data) },
      alpha: { rows: this.alpha.rows, cols: this.alpha.cols, data: Array.from(this.alpha.data) },
    };
  }

  /** Rebuild (and validate) a model from `toJSON()` output: the current version
   *  (`seqlearn.krr/2`, ridges `ridge` and `lambda`) or an older one (`seqlearn.krr/1`, the
   *  same ridges named `mu` and `gamma`). */
  static fromJSON(obj: unknown): NystromKRR {
    if (!obj || typeof obj !== "object") throw new ValueError("NystromKRR.fromJSON: expected an object");
    const o = obj as Record<string, any>;
    const version = krrVersion(o.format);
    // Version 1 named the ridges mu and gamma.
    const [ridgeKey, lambdaKey] = version === 1 ? ["mu", "gamma"] : ["ridge", "lambda"];
    const kernel = kernelFromSpec(o.kernel);
    const centres = asMatrix(o.centres, "centres");
    const alpha = asMatrix(o.alpha, "alpha", { rows: centres.rows });
    return new NystromKRR({
      kernel, centres, alpha, ridge: positive(o[ridgeKey], ridgeKey), lambda: nonNegative(o[lambdaKey] ?? 0, lambdaKey),
      vector: !!o.vector, method: String(o.method ?? "unknown"), n: Number(o.n ?? 0),
    });
  }
}

/** The JSON format tag `NystromKRR.toJSON` writes. @internal */
export const KRR_JSON_KIND = "seqlearn.krr" as const;
/** The JSON format version `NystromKRR.toJSON` writes; `fromJSON` reads it and every older one. @internal */
export const KRR_JSON_VERSION = 2 as const;

/** N for "seqlearn.krr/N" (1 ≤ N ≤ KRR_JSON_VERSION); a ValueError for anything else. */
function krrVersion(format: unknown): number {
  const current = `${KRR_JSON_KIND}/${KRR_JSON_VERSION}`;
  const m = typeof format === "string" ? /^seqlearn\.krr\/(\d+)$/.exec(format) : null;
  if (!m || Number(m[1]) < 1) throw new ValueError(`NystromKRR.fromJSON: unknown format ${JSON.stringify(format)}; expected "${current}" (or an older version)`);
  const v = Number(m[1]);
  if (v > KRR_JSON_VERSION) throw new ValueError(`NystromKRR.fromJSON: format ${JSON.stringify(format)} is newer than this seqlearn reads (≤ ${KRR_JSON_VERSION}); upgrade seqlearn`);
  return v;
}
