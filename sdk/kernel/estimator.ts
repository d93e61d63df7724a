// The ridge-leverage-score estimator of a fixed dictionary for arbitrary points: the
// estimator of Calandriello, Lazaric & Valko (AISTATS 2017), Eq. 4 (c = 1) and Eq. 5
// (c = 1 + ε), computed in the engine (rls_factor once, rls_estimate per batch of rows).
import { getEngine, input, output, scratch, Status, RlsConfig, type Engine, type WasmBuffer } from "../engine/index.js";
import { NumericalError, ShapeError, ValueError } from "../core/errors.js";
import { asMatrix, type MatrixLike } from "../core/matrix.js";
import { integer } from "../core/validate.js";
import { checkOptions } from "../core/options.js";
import { EngineResource } from "../engine/resource.js";
import { asKernel, checkKernelRows } from "./kernels.js";
import { checkDictionary, type RlsDictionary } from "./dictionary.js";
import { cfgArray, engineConfig } from "./state.js";

/** Options of `estimateRls` and `RlsEstimator`. */
export interface EstimateOptions {
  /** Estimator ε (default: the dictionary's, or 0.5 when it has none). */
  eps?: number;
  /** Multiplier c of the ridge inside A = K_DD + cλ·diag(1/w): 1 (SQUEAK, Calandriello et al.
   *  2017, Eq. 4) or 1 + ε (DISQUEAK, Eq. 5). Default: the dictionary's c. */
  c?: number;
  /** Prefactor divisor c_pref of (1−ε)/(c_pref·λ): 1 (the printed form of Eq. 5) or c (the
   *  form the proof of their Thm 2 analyses). Default: the dictionary's cPref. */
  cPref?: number;
  /** Rows per engine call (memory: rows × m f64). Default 1024. */
  chunk?: number;
}

const ESTIMATE_OPTIONS = ["eps", "c", "cPref", "chunk"] as const;

/** The RLS estimator of a fixed dictionary, factored once (m³/3) and applied to any number
 *  of row batches (m² per row): τ̃_i = (1−ε)/(c_pref·λ)·(k_ii − k_Diᵀ(K_DD + cλ·diag(1/w))⁻¹k_Di).
 *  Owns engine memory (the factor): dispose() when done (or declare it with `using`). */
export class RlsEstimator extends EngineResource {
  /** m, the number of dictionary points. */
  readonly size: number;
  /** The input dimension d of the dictionary's points. */
  readonly d: number;
  private readonly eng: Engine;
  private readonly cfgA: Float64Array;
  private readonly L: WasmBuffer<Float64Array>;
  private readonly P: WasmBuffer<Float64Array>;
  private readonly chunk: number;

  /** Factor the estimator of `dict` (its points, weights, λ, ε, c and c_pref).
   * @param dict a dictionary with λ > 0.
   * @param options overrides of the dictionary's ε, c and c_pref, and the rows per engine call. */
  constructor(dict: RlsDictionary, options: EstimateOptions = {}) {
    super();
    const opts = checkOptions<EstimateOptions>(options, "RlsEstimator", ESTIMATE_OPTIONS);
    checkDictionary(dict);
    const kernel = asKernel(dict.params.kernel, "dictionary.params.kernel");
    const m = dict.size, d = dict.points.cols;
    const lambda = dict.params.lambda;
    if (!(lambda > 0)) throw new ValueError(`estimateRls needs a dictionary with lambda > 0 (the leverage-score ridge), got ${lambda}`);
    const cfg = engineConfig({ kernel, d: Math.max(1, d), qbar: dict.params.qbar, lambda, eps: opts.eps ?? (dict.params.eps || 0.5), c: opts.c ?? dict.params.c ?? 1, cPref: opts.cPref ?? dict.params.cPref ?? 1 });
    this.cfgA = cfgArray(cfg);
    this.size = m;
    this.d = d;
    this.chunk = integer(opts.chunk ?? 1024, "chunk", 1);
    checkKernelRows(dict.points.data, m, d, "dictionary.points");
    this.eng = getEngine();
    const g = new Float64Array(m);
    for (let j = 0; j < m; j++) g[j] = 1 / dict.weights[j];
    this.L = this.eng.f64(Math.max(1, m * m));
    try {
      this.P = this.eng.f64(Math.max(1, m * d));
    } catch (e) {
      this.L.dispose(); // (e.g. EngineMemoryError): nothing half-made stays behind
      throw e;
    }
    this.P.view.set(dict.points.data);
    if (m > 0) {
      const work = this.eng.call("rls_factor_workspace_size", { m }).ret;
      const st = this.eng.call("rls_factor", { cfg: input(this.cfgA), pts: this.P, m, g: input(g), L: this.L, work: scratch(work) }).ret;
      if (st !== Status.OK) {
        this.dispose();
        throw new NumericalError("estimateRls: K_DD + cλ·diag(1/w) is not numerically positive definite (or its entries overflow)", {});
      }
    }
  }

  /** τ̃ for every row of X. */
  estimate(X: MatrixLike): Float64Array {
    this.assertLive();
    const x = asMatrix(X, "X");
    const m = this.size;
    if (x.rows > 0 && m > 0 && x.cols !== this.d) throw new ShapeError(`X has ${x.cols} columns but the dictionary's points have ${this.d}`);
    const out = new Float64Array(x.rows);
    if (x.rows === 0) return out;
    checkKernelRows(x.data, x.rows, x.cols, "X");
    const cfgA = this.cfgA.slice();
    cfgA[RlsConfig.D] = x.cols; // equal to the dictionary's when it is not empty
    for (let r0 = 0; r0 < x.rows; r0 += this.chunk) {
      const nb = Math.min(this.chunk, x.rows - r0);
      const work = this.eng.call("rls_estimate_workspace_size", { m, rows: nb }).ret;
      this.eng.call("rls_estimate", {
        cfg: input(cfgA), pts: this.P, m, L: this.L, X: input(x.data.subarray(r0 * x.cols, (r0 + nb) * x.cols)), n: nb,
        out: output(nb, out.subarray(r0, r0 + nb)), work: scratch(work),
      });
    }
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i])) {
        throw new NumericalError(`estimateRls: the estimate of X row ${i} is ${out[i]}: its kernel values against the dictionary overflow (the inputs are too large for the kernel, or its parameters make its values overflow)`, { row: i });
      }
    }
    return out;
  }

  /** Frees the factor and the points. @internal */
  protected release(): void {
    this.L.dispose();
    this.P.dispose();
  }

  protected override get resourceName(): string {
    return "RlsEstimator";
  }
}

/** Approximate ridge leverage scores of the points X from a dictionary (Calandriello et al.
 *  2017, Eq. 4/5): τ̃_i = (1−ε)/(c_pref·λ)·(k_ii − k_Diᵀ(K_DD + cλ·diag(1/w))⁻¹k_Di). With the
 *  full data as the dictionary and unit weights this is exactly (1−ε)·τ_i. For many batches
 *  against one dictionary, an RlsEstimator factors once. */
export function estimateRls(dict: RlsDictionary, X: MatrixLike, opts: EstimateOptions = {}): Float64Array {
  const est = new RlsEstimator(dict, checkOptions<EstimateOptions>(opts, "estimateRls", ESTIMATE_OPTIONS));
  try {
    return est.estimate(X);
  } finally {
    est.dispose();
  }
}
