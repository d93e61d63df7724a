// Nyström kernel ridge regression from a data set too large to hold, read in passes (a file, a
// database query): one pass picks the centres, one pass accumulates the m×m system, and one
// pass over a leading window measures the training error. Memory stays O(m² + batch).
//
// Centres: SQUEAK (Calandriello, Lazaric & Valko, AISTATS 2017, Alg. 1), INK-Estimate (same
// authors, UAI 2016), m rows drawn uniformly (Williams & Seeger, NIPS 2001) by index with Floyd's
// sampling algorithm (Bentley & Floyd, CACM 1987), or every row (exact KRR, small n). The
// regression is NystromKRR's m-parameter form of Calandriello et al. (2017), Eq. 8.
import { Matrix } from "../core/matrix.js";
import { NumericalError, ValueError } from "../core/errors.js";
import { finite, integer, oneOf, positive } from "../core/validate.js";
import { checkOptions } from "../core/options.js";
import { Rng } from "../random/rng.js";
import type { Kernel } from "./kernels.js";
import { checkDictionary, type RlsDictionary } from "./dictionary.js";
import { Squeak } from "./squeak.js";
import { InkEstimate } from "./ink.js";
import { uniformNystrom } from "./rls.js";
import { NystromKRR } from "./krr.js";

export const CENTRE_METHODS = ["squeak", "ink", "uniform", "exact"] as const;
export type CentreMethod = (typeof CENTRE_METHODS)[number];

/** Exact KRR keeps all n rows and solves an n×n system: O(n²) memory, O(n³) time. */
export const EXACT_KRR_MAX_ROWS = 20000;

/** The training error is measured on at most this many leading rows (default). */
export const TRAIN_ERROR_ROWS = 20000;

/** A block of consecutive rows: features, targets (null when absent), rows before it. */
export interface TableBatch {
  X: Matrix;
  y: Float64Array | null;
  offset: number;
}

/** What a pass is for, so that the caller can show progress. */
export interface PassInfo {
  /** "centres" (SQUEAK / INK-Estimate / uniform draw), "all-rows" (exact: gather every row),
   *  "krr" (accumulate the system), "error" (training error on the leading rows). */
  phase: "centres" | "all-rows" | "krr" | "error";
  /** A short description, e.g. "SQUEAK pass" or "KRR pass (37 centres)". */
  label: string;
  /** Live facts for a progress line (e.g. "dictionary 37"). */
  status?: () => string;
  /** Stop after this many rows (the pass may also yield more; they are ignored). */
  limit?: number;
}

/** A data set that can be read again: each call starts a new pass over the same rows, in the
 *  same order, with offsets counting from 0. */
export type RowPasses = (info: PassInfo) => AsyncIterable<TableBatch>;

/** Options of `centresFromPasses`. */
export interface CentreOptions {
  /** How the centres are chosen: "squeak", "ink", "uniform" or "exact". */
  method: CentreMethod;
  /** The kernel. */
  kernel: Kernel;
  /** Absolute ridge λ > 0 of the leverage scores (squeak, ink; the papers' γ). */
  lambda?: number;
  /** The leverage-score ridge under its old name.
   *  @deprecated renamed `lambda`; removed in the next release. */
  gamma?: number;
  /** Accuracy ε ∈ (0, 1) (squeak, ink). Default 0.5. */
  eps?: number;
  /** Copies per point q̄ (squeak). */
  qbar?: number;
  /** Points between dictionary updates (squeak, ink). */
  batch?: number;
  /** Seed of the sampling. Default 0. */
  seed?: number;
  /** Budget on the dictionary size (squeak). */
  maxDictionary?: number;
  /** uniform: the number of centres; ink: its budget. Required for both. */
  centers?: number;
  /** Rows in the data set (every pass yields exactly these). */
  rows: number;
}

const CENTRE_OPTIONS = ["method", "kernel", "lambda", "eps", "qbar", "batch", "seed", "maxDictionary", "centers", "rows"] as const;
const FIT_OPTIONS = [...CENTRE_OPTIONS, "ridge", "yOffset", "errorRows", "centres"] as const;

/** Options of `fitKrrFromPasses`: the centres' options and the regression's. */
export interface FitTableOptions extends CentreOptions {
  /** KRR ridge μ > 0 (absolute; scikit-learn KernelRidge alpha). Required; optional in the
   *  type only while its old name `mu` is accepted (this release, with a warning). */
  ridge?: number;
  /** The KRR ridge under its old name.
   *  @deprecated renamed `ridge`; removed in the next release. */
  mu?: number;
  /** Subtracted from every target before fitting: add it back to the predictions. Default 0. */
  yOffset?: number;
  /** Rows the training error is measured on. Default TRAIN_ERROR_ROWS. */
  errorRows?: number;
  /** Centres given as a dictionary (e.g. read from a file a DISQUEAK tree wrote): no centre
   *  pass is run, and `method` is not read. Its λ is the leverage-score ridge of the fit. */
  centres?: RlsDictionary;
}

export interface FitTableResult {
  model: NystromKRR;
  /** The centres' dictionary, or null for exact KRR. */
  dictionary: RlsDictionary | null;
  /** Number of centres. */
  size: number;
  /** The dictionary's estimate of d_eff(λ), when it has one. */
  deff: number | null;
  trainRmse: number;
  trainR2: number;
  /** Rows the training error was measured on: min(rows, errorRows). */
  trainRows: number;
}

/** Uniformly random m-subset of [0, n), sorted (Floyd's algorithm: m draws, O(m) memory). */
export function randomSubset(n: number, m: number, seed: number): number[] {
  integer(n, "n", 0);
  integer(m, "m", 0, n);
  const rng = new Rng(seed);
  const S = new Set<number>();
  try {
    for (let j = n - m; j < n; j++) {
      const t = rng.below(j + 1);
      S.add(S.has(t) ? j : t);
    }
  } finally {
    rng.dispose();
  }
  return [...S].sort((a, b) => a - b);
}

function checkCentres(o: CentreOptions): void {
  oneOf(o.method, "method", CENTRE_METHODS);
  integer(o.rows, "rows", 1);
  if (o.method === "uniform" || o.method === "ink") integer(o.centers, "centers", 1);
  if (o.method === "exact" && o.rows > EXACT_KRR_MAX_ROWS) {
    throw new ValueError(`method "exact" keeps all ${o.rows} rows and solves an n×n system; it is limited to ${EXACT_KRR_MAX_ROWS} rows (use "squeak")`);
  }
}

/** The centres in one pass: a SQUEAK or INK-Estimate stream, or the uniformly drawn rows; null
 *  for "exact" (every row is a centre: use fitKrrFromPasses). */
export async function centresFromPasses(passes: RowPasses, options: CentreOptions): Promise<RlsDictionary | null> {
  if (!options || typeof options !== "object") throw new ValueError("options { method, kernel, lambda, rows, ... } are required");
  const o = checkOptions<CentreOptions>(options, "centresFromPasses", CENTRE_OPTIONS, { gamma: "lambda" });
  checkCentres(o);
  const seed = o.seed ?? 0;
  if (o.method === "squeak" || o.method === "ink") {
    const sq = o.method === "squeak"
      ? new Squeak({ kernel: o.kernel, lambda: o.lambda, eps: o.eps, qbar: o.qbar, batch: o.batch, seed, maxDictionary: o.maxDictionary })
      : new InkEstimate({ kernel: o.kernel, lambda: o.lambda, eps: o.eps, budget: o.centers!, batch: o.batch, seed });
    try {
      const info = {
        phase: "centres" as const, label: `${o.method === "squeak" ? "SQUEAK" : "INK-Estimate"} pass`,
        status: () => `dictionary ${sq.size} (${(sq.memoryBytes / 2 ** 20).toFixed(1)} MiB)`,
      };
      for await (const b of passes(info)) sq.push(b.X);
      return sq.dictionary();
    } finally {
      sq.dispose();
    }
  }
  if (o.method === "uniform") {
    const m = Math.min(o.centers!, o.rows);
    const chosen = randomSubset(o.rows, m, seed);
    let d = 0;
    let P: Float64Array | null = null;
    let k = 0;
    for await (const b of passes({ phase: "centres", label: `drawing ${m} uniform centres` })) {
      d = b.X.cols;
      P ??= new Float64Array(m * d);
      while (k < m && chosen[k] < b.offset + b.X.rows) {
        const r = chosen[k] - b.offset;
        P.set(b.X.data.subarray(r * d, (r + 1) * d), k * d);
        k++;
      }
    }
    if (k < m) throw new ValueError(`the passes yielded fewer rows than rows = ${o.rows}`);
    // The m drawn rows are all centres, with λ = 0: standard Nyström KRR (scikit-learn's
    // Nystroem + Ridge).
    return uniformNystrom(new Matrix(m, d, P!), m, { kernel: o.kernel, seed });
  }
  return null;
}

/** Fit Nyström KRR over passes: the centres (centresFromPasses, or every row for "exact"), the
 *  system accumulated in one more pass, and the training error on the first `errorRows` rows.
 *  Targets are centred by `yOffset`. */
export async function fitKrrFromPasses(passes: RowPasses, options: FitTableOptions): Promise<FitTableResult> {
  if (!options || typeof options !== "object") throw new ValueError("options { method, kernel, lambda, rows, ridge, ... } are required");
  const o = checkOptions<FitTableOptions>(options, "fitKrrFromPasses", FIT_OPTIONS, { gamma: "lambda", mu: "ridge" });
  if (o.centres === undefined) checkCentres(o);
  else {
    checkDictionary(o.centres, "centres");
    integer(o.rows, "rows", 1);
  }
  const ridge = positive(o.ridge, "ridge");
  const yOffset = finite(o.yOffset ?? 0, "yOffset");
  const errorRows = integer(o.errorRows ?? TRAIN_ERROR_ROWS, "errorRows", 1);
  const targets = (b: TableBatch): Float64Array => {
    if (!b.y) throw new ValueError("fitKrrFromPasses: every batch needs targets y");
    return b.y;
  };
  const { ridge: _r, yOffset: _y, errorRows: _e, centres, ...centreOptions } = o;
  const dict = centres ?? await centresFromPasses(passes, centreOptions);
  let model: NystromKRR;
  if (dict === null) {
    let X: Matrix | null = null;
    const y = new Float64Array(o.rows);
    for await (const b of passes({ phase: "all-rows", label: `reading all ${o.rows} rows` })) {
      const t = targets(b);
      X ??= new Matrix(o.rows, b.X.cols);
      X.data.set(b.X.data, b.offset * b.X.cols);
      for (let i = 0; i < b.X.rows; i++) y[b.offset + i] = t[i] - yOffset;
    }
    model = NystromKRR.fit("exact", X!, y, { ridge, kernel: o.kernel });
  } else {
    if (dict.size === 0) throw new ValueError(`the ${centres ? "given" : o.method} dictionary is empty (every point was dropped); raise qbar or lower the leverage-score ridge lambda`);
    const acc = NystromKRR.accumulator(dict, centres && o.lambda !== undefined ? { ridge, lambda: o.lambda } : { ridge });
    try {
      for await (const b of passes({ phase: "krr", label: `KRR pass (${dict.size} centres)` })) {
        const t = targets(b);
        const y = new Float64Array(t.length);
        for (let i = 0; i < y.length; i++) y[i] = t[i] - yOffset;
        acc.add(b.X, y);
      }
      model = acc.finish();
    } finally {
      acc.dispose();
    }
  }
  // Training error: predictions on the leading rows, streaming (Welford's update for the
  // variance of the targets, for R²).
  let sse = 0, n = 0, mean = 0, m2 = 0;
  for await (const b of passes({ phase: "error", label: "training error", limit: errorRows })) {
    const t = targets(b);
    const rows = Math.min(b.X.rows, errorRows - n);
    if (rows <= 0) break;
    const X = rows === b.X.rows ? b.X : new Matrix(rows, b.X.cols, b.X.data.subarray(0, rows * b.X.cols));
    const p = model.predict(X) as Float64Array;
    for (let i = 0; i < rows; i++) {
      const yi = t[i];
      const e = p[i] + yOffset - yi;
      sse += e * e;
      n++;
      const dlt = yi - mean;
      mean += dlt / n;
      m2 += dlt * (yi - mean);
    }
  }
  if (!Number.isFinite(sse)) {
    throw new NumericalError(`the training error overflows double precision (Σ(prediction − y)² = ${sse}): the targets or the predictions are too large; rescale the target (e.g. standardise it)`);
  }
  return {
    model,
    dictionary: dict,
    size: dict ? dict.size : o.rows,
    deff: dict?.params.deff ?? null,
    trainRmse: Math.sqrt(sse / n),
    trainR2: m2 > 0 ? 1 - sse / m2 : NaN,
    trainRows: n,
  };
}
