// Exact ridge leverage scores (the oracle) and uniform Nyström dictionaries (the baseline),
// with the same dictionary shape as SQUEAK's so every comparison is like for like.
import { ValueError } from "../core/errors.js";
import { Matrix, asMatrix, type MatrixLike } from "../core/matrix.js";
import { integer, positive, seed as checkSeed } from "../core/validate.js";
import { checkOptions } from "../core/options.js";
import { Work, type LongWorkOptions } from "../core/work.js";
import { cholesky, diagInverse } from "../linalg/index.js";
import { Rng } from "../random/rng.js";
import { asKernel, type Kernel, type KernelSpec } from "./kernels.js";
import { makeDictionary, type RlsDictionary } from "./dictionary.js";

/** Exact ridge leverage scores from `exactRls`. */
export interface ExactRls {
  /** τ_i = [K(K + λI)⁻¹]_ii ∈ [0, 1). */
  scores: Float64Array;
  /** d_eff(λ) = Σ τ_i = tr(K(K + λI)⁻¹). */
  deff: number;
}

/** Exact ridge leverage scores τ_i = 1 − λ·[(K + λI)⁻¹]_ii through a Cholesky factor of
 *  K + λI (O(n³), memory n²: for n up to a few thousand). `lambda` is the absolute ridge of
 *  the leverage scores (γ in Calandriello et al. 2017, λ in Musco & Musco 2017). */
export function exactRls(X: MatrixLike, kernel: Kernel | KernelSpec, lambda: number): ExactRls {
  const job = exactRlsJob(X, kernel, lambda);
  for (const phase of job.phases) phase();
  return job.result();
}

/** `exactRls` as long work: its three engine phases (the kernel matrix, the Cholesky factor,
 *  the diagonal of the inverse) run one per turn of the event loop, with `onProgress` after
 *  each ({ done, total: 3, unit: "phases" }) and a stop with the signal's reason between them;
 *  the scores are those of `exactRls`. Each phase is one O(n²)–O(n³) engine call. */
export async function exactRlsAsync(X: MatrixLike, kernel: Kernel | KernelSpec, lambda: number, options: LongWorkOptions = {}): Promise<ExactRls> {
  const opts = checkOptions<LongWorkOptions>(options, "exactRlsAsync", ["signal", "onProgress"]);
  const job = exactRlsJob(X, kernel, lambda);
  const work = new Work(opts, job.phases.length, "phases");
  for (const phase of job.phases) {
    phase();
    await work.step(1);
  }
  return job.result();
}

function exactRlsJob(X: MatrixLike, kernel: Kernel | KernelSpec, lambda: number): { phases: (() => void)[]; result: () => ExactRls } {
  const k = asKernel(kernel);
  const g = positive(lambda, "lambda");
  const x = asMatrix(X, "X");
  const n = x.rows;
  if (n === 0) return { phases: [], result: () => ({ scores: new Float64Array(0), deff: 0 }) };
  if (n > 20000) throw new ValueError(`exactRls: n = ${n} is too large for a dense O(n³) computation (limit 20000); use Squeak`);
  let K: Matrix, L: Matrix, dinv: Float64Array;
  const phases = [
    () => {
      K = k.matrix(x);
      for (let i = 0; i < n; i++) K.data[i * n + i] += g;
    },
    () => void ({ L } = cholesky(K, { jitter: 1e-14 })),
    () => void (dinv = diagInverse(L)),
  ];
  const result = (): ExactRls => {
    const scores = new Float64Array(n);
    let deff = 0;
    for (let i = 0; i < n; i++) {
      const t = Math.min(1, Math.max(0, 1 - g * dinv[i]));
      scores[i] = t;
      deff += t;
    }
    return { scores, deff };
  };
  return { phases, result };
}

/** Options of `uniformNystrom`. */
export interface UniformOptions {
  /** The kernel, e.g. rbf({ gamma: 0.5 }). */
  kernel: Kernel | KernelSpec;
  /** Ridge λ stored with the dictionary (used by regularised features and the KRR's
   *  μλ·diag(1/w) term). Default 0: plain Nyström. */
  lambda?: number;
  /** The leverage-score ridge under its old name.
   *  @deprecated renamed `lambda`; removed in the next release. */
  gamma?: number;
  /** Seed of the draw. Default 0. */
  seed?: number;
}

/** m centres drawn uniformly without replacement, as a dictionary with p̃ = m/n, one copy
 *  and q̄ = 1, so weights are n/m (the Horvitz–Thompson weights of uniform sampling). */
export function uniformNystrom(X: MatrixLike, m: number, options: UniformOptions): RlsDictionary {
  if (!options || typeof options !== "object") throw new ValueError("uniformNystrom: options { kernel, seed } are required");
  const opts = checkOptions<UniformOptions>(options, "uniformNystrom", ["kernel", "lambda", "seed"], { gamma: "lambda" });
  const kernel = asKernel(opts.kernel);
  const x = asMatrix(X, "X");
  const n = x.rows;
  integer(m, "m", 1, Math.max(1, n));
  if (n === 0) throw new ValueError("uniformNystrom: X has no rows");
  const lambda = opts.lambda === undefined || opts.lambda === 0 ? 0 : positive(opts.lambda, "lambda");
  const seed = checkSeed(opts.seed ?? 0, "seed");
  const rng = new Rng(seed);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  try {
    for (let i = 0; i < m; i++) {
      const j = i + rng.below(n - i);
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
  } finally {
    rng.dispose();
  }
  const chosen = Array.from(perm.subarray(0, m)).sort((a, b) => a - b);
  return subsetDictionary(x, chosen, m / n, { method: "uniform", kernel, lambda, seed, n });
}

/** The whole data set as a dictionary (p̃ = 1, one copy, weights 1): the exact reference.
 *  `lambda` is the ridge λ stored with it (its estimator, regularised features, the KRR's
 *  μλ·diag(1/w) term; default 0); its old name `gamma` still works for one release. */
export function fullDictionary(X: MatrixLike, options: {
  /** The kernel. */ kernel: Kernel | KernelSpec;
  /** The ridge λ stored with the dictionary. Default 0. */ lambda?: number;
  /** @deprecated renamed `lambda`; removed in the next release. */ gamma?: number;
}): RlsDictionary {
  if (!options || typeof options !== "object") throw new ValueError("fullDictionary: options { kernel, lambda? } are required");
  const opts = checkOptions<{ kernel: Kernel | KernelSpec; lambda?: number }>(options, "fullDictionary", ["kernel", "lambda"], { gamma: "lambda" });
  const kernel = asKernel(opts.kernel);
  const x = asMatrix(X, "X");
  if (x.rows === 0) throw new ValueError("fullDictionary: X has no rows");
  const lambda = opts.lambda === undefined || opts.lambda === 0 ? 0 : positive(opts.lambda, "lambda");
  return subsetDictionary(x, Array.from({ length: x.rows }, (_, i) => i), 1, { method: "exact", kernel, lambda, seed: null, n: x.rows });
}

function subsetDictionary(x: Matrix, chosen: number[], p: number, o: { method: string; kernel: Kernel; lambda: number; seed: number | null; n: number }): RlsDictionary {
  const m = chosen.length, d = x.cols;
  const points = new Matrix(m, d);
  chosen.forEach((i, r) => points.data.set(x.data.subarray(i * d, (i + 1) * d), r * d));
  return makeDictionary({
    indices: Float64Array.from(chosen),
    points,
    pTilde: new Float64Array(m).fill(p),
    copies: new Int32Array(m).fill(1),
    tau: null,
    params: { method: o.method, kernel: o.kernel.toJSON(), lambda: o.lambda, eps: 0, qbar: 1, c: 1, cPref: 1, scale: 1, seed: o.seed, n: o.n, d, deff: null, maxDictionary: null },
  });
}
