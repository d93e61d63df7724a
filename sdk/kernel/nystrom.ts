// Nyström approximations from any dictionary (the regularised form is Calandriello, Lazaric &
// Valko, AISTATS 2017, Lemma 5 / Eq. 6, with λ the leverage-score ridge, their γ; the plain form
// is the Nyström method of Williams & Seeger, NIPS 2001):
//   regularised  K̃ = K S (Sᵀ K_DD S + λI)⁻¹ Sᵀ K,  features z(x) = L⁻¹ S k_D(x), L Lᵀ = S K_DD S + λI
//   plain        K̃ = K_nD K_DD⁺ K_Dn,            features z(x) = L⁻¹ k_D(x),   L Lᵀ = K_DD + δI
// (δ = a tiny relative jitter, 1e-10·mean diag by default, standing in for the pseudo-inverse).
import { getEngine, input, inout } from "../engine/index.js";
import { ShapeError, ValueError } from "../core/errors.js";
import { Matrix, asMatrix, type MatrixLike } from "../core/matrix.js";
import { integer, oneOf, positive, seed as checkSeed } from "../core/validate.js";
import { checkOptions } from "../core/options.js";
import { cholesky } from "../linalg/index.js";
import { Rng } from "../random/rng.js";
import { asKernel, type Kernel } from "./kernels.js";
import { checkDictionary, type RlsDictionary } from "./dictionary.js";

/** "regularized": K̃ = K S(SᵀK_DD S + λI)⁻¹SᵀK (weights matter); "plain": K̃ = K_nD K_DD⁻¹ K_Dn. */
export type NystromMode = "regularized" | "plain";

/** Options of `NystromFeatures`. */
export interface NystromOptions {
  /** "regularized" (SQUEAK's form, uses the weights and λ; default) or "plain". */
  mode?: NystromMode;
  /** Plain form: relative jitter added to K_DD's diagonal. Default 1e-10. */
  jitter?: number;
}

/** Options of `approximationError` / `nystromError`. */
export interface ErrorOptions {
  /** Size of the random subset the error is measured on. Default 2000. */
  subset?: number;
  /** Power iterations. Default 200. */
  iters?: number;
  /** Relative change at which to stop. Default 1e-7. */
  tol?: number;
  /** Seed of the random subset and the power iteration. Default 0. */
  seed?: number;
}

const NYSTROM_OPTIONS = ["mode", "jitter"] as const;
const ERROR_OPTIONS = ["subset", "iters", "tol", "seed"] as const;

/** Nyström features of a dictionary: `transform(X)` gives n×m features Z with Z·Zᵀ = K̃, for
 * any linear method downstream; `approximationError(X)` estimates ‖K − K̃‖₂. */
export class NystromFeatures {
  /** The dictionary's kernel. */
  readonly kernel: Kernel;
  /** Which Nyström form. */
  readonly mode: NystromMode;
  /** Number of features (dictionary size). */
  readonly m: number;
  /** Input dimension d. */
  readonly d: number;
  private readonly centres: Matrix;
  private readonly L: Matrix;
  private readonly colScale: Float64Array | null;

  constructor(dict: RlsDictionary, options: NystromOptions = {}) {
    const opts = checkOptions<NystromOptions>(options, "NystromFeatures", NYSTROM_OPTIONS);
    checkDictionary(dict);
    if (dict.size === 0) throw new ValueError("NystromFeatures: the dictionary is empty (no points were kept); push data first, or raise qbar");
    this.kernel = asKernel(dict.params.kernel, "dictionary.params.kernel");
    this.mode = oneOf(opts.mode ?? "regularized", "mode", ["regularized", "plain"] as const);
    this.m = dict.size;
    this.d = dict.points.cols;
    this.centres = dict.points;
    const m = this.m;
    const B = this.kernel.matrix(this.centres);
    if (this.mode === "regularized") {
      const lambda = dict.params.lambda;
      if (!(lambda > 0)) throw new ValueError("NystromFeatures: the regularised form needs a dictionary with lambda > 0, the leverage-score ridge (pass lambda to uniformNystrom), or use mode: \"plain\"");
      const s = new Float64Array(m);
      for (let j = 0; j < m; j++) s[j] = Math.sqrt(dict.weights[j]);
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) B.data[i * m + j] *= s[i] * s[j];
      for (let i = 0; i < m; i++) B.data[i * m + i] += lambda;
      this.colScale = s;
      this.L = cholesky(B, { jitter: 1e-14 }).L;
    } else {
      const rel = positive(opts.jitter ?? 1e-10, "jitter");
      let mean = 0;
      for (let i = 0; i < m; i++) mean += B.data[i * m + i];
      mean = mean > 0 ? mean / m : 1;
      for (let i = 0; i < m; i++) B.data[i * m + i] += rel * mean;
      this.colScale = null;
      this.L = cholesky(B, { jitter: rel }).L;
    }
  }

  /** Features Z (n×m) with Z·Zᵀ = K̃ on X. */
  transform(X: MatrixLike): Matrix {
    const x = asMatrix(X, "X");
    if (x.rows > 0 && x.cols !== this.d) throw new ShapeError(`X has ${x.cols} columns but the dictionary's points have ${this.d}`);
    const Z = this.kernel.matrix(x.rows > 0 ? x : new Matrix(0, this.d), this.centres);
    if (x.rows === 0) return Z;
    const m = this.m;
    if (this.colScale) {
      const s = this.colScale;
      for (let i = 0; i < x.rows; i++) for (let j = 0; j < m; j++) Z.data[i * m + j] *= s[j];
    }
    getEngine().call("trsm_right_lower_t", { m: x.rows, n: m, l: input(this.L.data), ldl: m, b: inout(Z.data), ldb: m });
    return Z;
  }

  /** ‖K − K̃‖₂ on a random subset of X (at most `subset` rows), by power iteration on the
   *  dense difference (K − K̃ is positive semi-definite for both forms). */
  approximationError(X: MatrixLike, options: ErrorOptions = {}): number {
    const opts = checkOptions<ErrorOptions>(options, "approximationError", ERROR_OPTIONS);
    const x = asMatrix(X, "X");
    const n = x.rows;
    if (n === 0) throw new ValueError("approximationError: X has no rows");
    const s = Math.min(n, integer(opts.subset ?? 2000, "subset", 1));
    const iters = integer(opts.iters ?? 200, "iters", 1);
    const tol = positive(opts.tol ?? 1e-7, "tol");
    const seed = checkSeed(opts.seed ?? 0, "seed");
    let xs = x;
    const rng = new Rng(seed);
    try {
      if (s < n) {
        const perm = Int32Array.from({ length: n }, (_, i) => i);
        for (let i = 0; i < s; i++) {
          const j = i + rng.below(n - i);
          const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
        }
        xs = new Matrix(s, x.cols);
        for (let r = 0; r < s; r++) xs.data.set(x.data.subarray(perm[r] * x.cols, (perm[r] + 1) * x.cols), r * x.cols);
      }
      const K = this.kernel.matrix(xs);
      const Z = this.transform(xs);
      const eng = getEngine();
      // E = K − Z·Zᵀ in engine memory, then power iteration with gemv.
      const E = eng.f64(s * s);
      const v = eng.f64(s), w = eng.f64(s);
      try {
        E.view.set(K.data);
        eng.call("gemm", { transA: 0, transB: 1, m: s, n: s, k: this.m, alpha: -1, a: input(Z.data), lda: this.m, b: input(Z.data), ldb: this.m, beta: 1, c: E, ldc: s });
        v.view.set(rng.normal(s));
        let top = 0; // the Rayleigh quotient: the estimate of the largest eigenvalue
        for (let it = 0; it < iters; it++) {
          const vv = v.view;
          let nv = 0;
          for (let i = 0; i < s; i++) nv += vv[i] * vv[i];
          nv = Math.sqrt(nv);
          if (nv === 0) return 0;
          for (let i = 0; i < s; i++) vv[i] /= nv;
          eng.call("gemv", { m: s, n: s, a: E, lda: s, x: v, y: w });
          const wv = w.view, v2 = v.view;
          let rq = 0;
          for (let i = 0; i < s; i++) rq += v2[i] * wv[i];
          v2.set(wv);
          const done = it > 5 && Math.abs(rq - top) <= tol * Math.abs(rq);
          top = rq;
          if (done) break;
        }
        return Math.abs(top);
      } finally {
        E.dispose(); v.dispose(); w.dispose();
      }
    } finally {
      rng.dispose();
    }
  }
}

/** Convenience: ‖K − K̃‖₂ of a dictionary's Nyström approximation on (a subset of) X. */
export function nystromError(dict: RlsDictionary, X: MatrixLike, opts: ErrorOptions & NystromOptions = {}): number {
  const o = checkOptions<ErrorOptions & NystromOptions>(opts, "nystromError", [...NYSTROM_OPTIONS, ...ERROR_OPTIONS]);
  return new NystromFeatures(dict, { mode: o.mode, jitter: o.jitter }).approximationError(X, { subset: o.subset, iters: o.iters, tol: o.tol, seed: o.seed });
}
