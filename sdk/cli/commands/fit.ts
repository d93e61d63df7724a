// seqlearn fit: stream a CSV / JSON-lines file, build a kernel dictionary (SQUEAK, INK-Estimate,
// uniform centres, or every point for exact KRR), fit Nyström kernel ridge regression and
// write a versioned model file. Also exports the option parsing shared by `rls` and `tour`.
import { writeFileSync } from "node:fs";
import {
  init, version, Matrix, Rng, kernelFromSpec, Squeak, InkEstimate, NystromKRR, uniformNystrom,
  type Kernel, type KernelSpec, type RlsDictionary,
} from "../../index.js";
import { UsageError, type Command, type ParsedArgs } from "../command.js";
import { streamTable, readHeader, type TableFormat, type TableOptions, type RowBatch } from "../../io/table.js";
import { RunningStats, applyScaling, type Scaling } from "../../io/scaling.js";
import { ProgressLine, formatCount } from "../../io/progress.js";
import { encodeModel } from "../../io/modelfile.js";
import { DataError } from "../../io/errors.js";

export const METHODS = ["squeak", "ink", "uniform", "exact"] as const;
export type Method = (typeof METHODS)[number];

export interface DictionaryOptions {
  method: Method;
  kernel: Kernel;
  /** Ridge γ of the leverage scores. */
  gamma: number;
  eps: number;
  qbar?: number;
  batch?: number;
  seed: number;
  maxDictionary?: number;
  /** uniform: number of centres; ink: the budget. */
  centers?: number;
}

// ---- flag handling shared by fit / rls / tour ------------------------------------------

/** Throw a UsageError for any flag not in `allowed`. */
export function checkFlags(args: ParsedArgs, allowed: readonly string[]): void {
  for (const k of Object.keys(args.flags)) {
    if (!allowed.includes(k)) {
      const near = allowed.filter((a) => a.startsWith(k.slice(0, 3)));
      throw new UsageError(`unknown option ${k.length === 1 ? "-" : "--"}${k}${near.length ? ` (did you mean ${near.map((n) => (n.length === 1 ? "-" : "--") + n).join(" or ")}?)` : ""}`);
    }
  }
}

function flagValue(args: ParsedArgs, names: string[]): string | undefined {
  let out: string | undefined;
  let from = "";
  for (const n of names) {
    const v = args.flags[n];
    if (v === undefined) continue;
    if (typeof v !== "string") throw new UsageError(`${n.length === 1 ? "-" : "--"}${n} expects a value`);
    if (out !== undefined && out !== v) throw new UsageError(`--${from} and --${n} are the same option; give one`);
    out = v;
    from = n;
  }
  return out;
}

/** A numeric option (first of `names` is the documented one, the rest aliases). */
export function num(args: ParsedArgs, names: string | string[], check: { min?: number; max?: number; int?: boolean; gt?: number; lt?: number } = {}): number | undefined {
  const ns = Array.isArray(names) ? names : [names];
  const v = flagValue(args, ns);
  if (v === undefined) return undefined;
  const x = Number(v);
  const flag = `--${ns[0]}`;
  if (v.trim() === "" || !Number.isFinite(x)) throw new UsageError(`${flag} expects a number, got ${JSON.stringify(v)}`);
  if (check.int && !Number.isInteger(x)) throw new UsageError(`${flag} expects an integer, got ${v}`);
  if (check.gt !== undefined && !(x > check.gt)) throw new UsageError(`${flag} must be > ${check.gt}, got ${v}`);
  if (check.lt !== undefined && !(x < check.lt)) throw new UsageError(`${flag} must be < ${check.lt}, got ${v}`);
  if (check.min !== undefined && x < check.min) throw new UsageError(`${flag} must be ≥ ${check.min}, got ${v}`);
  if (check.max !== undefined && x > check.max) throw new UsageError(`${flag} must be ≤ ${check.max}, got ${v}`);
  return x;
}

export function str(args: ParsedArgs, names: string | string[]): string | undefined {
  return flagValue(args, Array.isArray(names) ? names : [names]);
}

function list(args: ParsedArgs, name: string): string[] | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  const parts = v.split(",").map((s) => s.trim());
  if (parts.some((p) => p === "")) throw new UsageError(`--${name} expects a comma-separated list of column names, got ${JSON.stringify(v)}`);
  return parts;
}

export const KERNEL_NAMES = ["rbf", "laplacian", "matern12", "matern32", "matern52", "linear", "polynomial"] as const satisfies readonly KernelSpec["name"][];

/** --kernel and its parameters → a kernel spec. Default: rbf with gamma = 1/d. */
export function kernelSpecFromFlags(args: ParsedArgs, d: number): KernelSpec {
  const name = (str(args, "kernel") ?? "rbf") as KernelSpec["name"];
  if (!KERNEL_NAMES.includes(name as (typeof KERNEL_NAMES)[number])) throw new UsageError(`--kernel must be one of ${KERNEL_NAMES.join(", ")}, got ${JSON.stringify(name)}`);
  const gamma = num(args, "gamma", { gt: 0 });
  const sigma = num(args, "sigma", { gt: 0 });
  const ls = num(args, "length-scale", { gt: 0 });
  if (gamma !== undefined && sigma !== undefined) throw new UsageError("give --gamma or --sigma, not both (gamma = 1/(2·sigma²))");
  if (sigma !== undefined && name !== "rbf") throw new UsageError("--sigma applies to --kernel rbf only");
  if (ls !== undefined && !name.startsWith("matern")) throw new UsageError("--length-scale applies to the matern kernels only");
  if (gamma !== undefined && !(name === "rbf" || name === "laplacian" || name === "polynomial")) throw new UsageError(`--gamma does not apply to --kernel ${name}`);
  const degree = num(args, "degree", { int: true, min: 1, max: 64 });
  const coef0 = num(args, "coef0");
  if ((degree !== undefined || coef0 !== undefined) && name !== "polynomial") throw new UsageError("--degree and --coef0 apply to --kernel polynomial only");
  switch (name) {
    case "rbf":
      return { name, gamma: gamma ?? (sigma !== undefined ? 1 / (2 * sigma * sigma) : 1 / d) };
    case "laplacian":
      return { name, gamma: gamma ?? 1 / d };
    case "polynomial":
      return { name, gamma: gamma ?? 1 / d, degree: degree ?? 3, coef0: coef0 ?? 1 };
    case "linear":
      return { name };
    default:
      return { name, lengthScale: ls ?? Math.sqrt(d) };
  }
}

/** Data-reading flags → TableOptions (format from the extension unless --format; else CSV). */
export function tableOptions(args: ParsedArgs, _path: string): TableOptions {
  const format = str(args, "format") as TableFormat | undefined;
  if (format !== undefined && !["csv", "tsv", "jsonl"].includes(format)) throw new UsageError(`--format must be csv, tsv or jsonl, got ${JSON.stringify(format)}`);
  const delimiter = str(args, "delimiter");
  if (delimiter !== undefined && delimiter.length !== 1 && delimiter !== "\\t") throw new UsageError(`--delimiter expects one character, got ${JSON.stringify(delimiter)}`);
  const features = list(args, "features");
  const ignore = list(args, "ignore");
  if (features && ignore) throw new UsageError("give --features or --ignore, not both");
  return { format, delimiter: delimiter === "\\t" ? "\t" : delimiter, features, ignore, target: str(args, "target"), batchSize: 2048 };
}

/** Dictionary flags → DictionaryOptions (the kernel is filled in by the caller). */
export function dictionaryFlags(args: ParsedArgs, defaults: { mu: number }): Omit<DictionaryOptions, "kernel"> {
  const method = (str(args, "method") ?? "squeak") as Method;
  if (!METHODS.includes(method)) throw new UsageError(`--method must be one of ${METHODS.join(", ")}, got ${JSON.stringify(method)}`);
  const centers = num(args, ["centers", "m"], { int: true, min: 1 });
  if (method === "uniform" && centers === undefined) throw new UsageError("--method uniform needs --centers <m> (the number of centres)");
  if (method === "ink" && centers === undefined) throw new UsageError("--method ink needs --centers <m> (its fixed budget of centres)");
  if (method === "exact" && centers !== undefined) throw new UsageError("--centers does not apply to --method exact (every point is a centre)");
  if (method === "squeak" && centers !== undefined) throw new UsageError("--centers does not apply to --method squeak (the size follows d_eff; use --qbar, --lambda-gamma or --max-dictionary)");
  const gamma = num(args, ["lambda-gamma", "rls-ridge"], { gt: 0 }) ?? defaults.mu;
  return {
    method,
    gamma,
    eps: num(args, "eps", { gt: 0, lt: 1 }) ?? 0.5,
    qbar: num(args, "qbar", { int: true, min: 1 }),
    batch: num(args, "batch", { int: true, min: 1 }),
    seed: num(args, "seed", { int: true, min: 0 }) ?? 0,
    maxDictionary: num(args, "max-dictionary", { int: true, min: 1 }),
    centers,
  };
}

/** A re-readable source: a file path. "-" (stdin) is read into memory once. */
export interface Rows {
  /** Stream the rows again (each call is a new pass). */
  pass(onBatch?: (p: { rows: number; bytes: number; totalBytes?: number; elapsedMs: number }) => void, limit?: number): AsyncIterable<RowBatch>;
}

export async function openRows(path: string, opts: TableOptions): Promise<Rows> {
  if (path !== "-") {
    return { pass: (onProgress, limit) => streamTable(path, { ...opts, onProgress, limit }) };
  }
  const chunks: Uint8Array[] = [];
  for await (const c of process.stdin as AsyncIterable<Uint8Array>) chunks.push(c);
  return { pass: (onProgress, limit) => streamTable(chunks, { ...opts, format: opts.format ?? "csv", onProgress, limit }) };
}

/** Pass over the data computing column means / deviations (and the target's). */
export async function scanStats(rows: Rows, d: number, label: string, quiet: boolean): Promise<{ stats: RunningStats; n: number }> {
  const stats = new RunningStats(d);
  const bar = new ProgressLine({ label, enabled: !quiet });
  for await (const b of rows.pass((p) => bar.update(p))) stats.push(b.X, b.y);
  bar.done();
  return { stats, n: stats.n };
}

const FIT_FLAGS = [
  "target", "features", "ignore", "format", "delimiter", "kernel", "gamma", "sigma", "length-scale", "degree", "coef0",
  "mu", "ridge", "lambda-gamma", "rls-ridge", "qbar", "eps", "seed", "batch", "max-dictionary", "method", "centers", "m",
  "scale", "o", "output", "quiet", "json",
] as const;
const FIT_BOOLEANS = ["quiet", "json"] as const;

export const fit: Command = {
  name: "fit",
  summary: "fit Nyström kernel ridge regression on a CSV / JSON-lines file and write a model file",
  usage: [
    "seqlearn fit <data.csv|data.jsonl|-> --target <column> -o <model.json> [options]",
    "",
    "data:    --features a,b,c | --ignore a,b   --format csv|tsv|jsonl   --delimiter <char>",
    "         --scale standard|none (default standard: z-score every feature)",
    "kernel:  --kernel rbf|laplacian|matern12|matern32|matern52|linear|polynomial (default rbf)",
    "         --gamma <g>   rbf exp(-g·‖x−y‖²), laplacian exp(-g·‖x−y‖₁), as scikit-learn (default 1/d)",
    "         --sigma <s>   rbf width instead of --gamma (g = 1/(2s²));  --length-scale <l> (matern)",
    "ridge:   --mu <μ>      KRR ridge, absolute: (K + μI); = scikit-learn KernelRidge(alpha=μ) (default 1)",
    "         --lambda-gamma <γ>  ridge of the leverage scores that pick the centres (default μ)",
    "centres: --method squeak|ink|uniform|exact (default squeak)   --centers <m> (uniform; ink budget)",
    "         --qbar <q̄> (default 10)  --eps <ε> (default 0.5)  --batch <B>  --max-dictionary <m>  --seed <s> (default 0)",
    "output:  -o <model.json>   --json (print the summary as JSON)   --quiet (no progress on stderr)",
  ].join("\n"),
  booleans: FIT_BOOLEANS,
  async run(args) {
    checkFlags(args, FIT_FLAGS);
    if (args.positional.length !== 1) throw new UsageError(args.positional.length === 0 ? "missing the data file" : `expected one data file, got ${args.positional.length}: ${args.positional.join(" ")}`);
    const path = args.positional[0];
    const target = str(args, "target");
    if (target === undefined) throw new UsageError("--target <column> is required");
    const out = str(args, ["o", "output"]);
    if (out === undefined) throw new UsageError("-o <model.json> is required");
    const scale = str(args, "scale") ?? "standard";
    if (scale !== "standard" && scale !== "none") throw new UsageError(`--scale must be standard or none, got ${JSON.stringify(scale)}`);
    const mu = num(args, ["mu", "ridge"], { gt: 0 }) ?? 1;
    const quiet = !!args.flags.quiet;
    const topts = tableOptions(args, path);
    const dflags = dictionaryFlags(args, { mu });
    await init();

    const header = path === "-" ? null : await readHeader(path, topts);
    const rows = await openRows(path, topts);
    const t0 = performance.now();
    // Pass 1: column statistics (standardisation, target offset, row count).
    let d = header?.features.length ?? 0;
    let features = header?.features ?? [];
    if (!header) {
      for await (const b of rows.pass()) {
        d = b.features.length;
        features = b.features;
        break;
      }
      if (d === 0) throw new DataError("no data rows", { source: "<stdin>" });
    }
    const kernelSpec = kernelSpecFromFlags(args, d);
    const kernel: Kernel = kernelFromSpec(kernelSpec);
    const { stats, n } = await scanStats(rows, d, "fit: scanning", quiet);
    if (n === 0) throw new DataError("no data rows after the header", { source: path === "-" ? "<stdin>" : path });
    const scaling: Scaling | null = scale === "standard" ? stats.scaling() : null;
    const yOffset = stats.target().mean;

    const res = await fitModel(rows, { ...dflags, kernel }, { mu, scaling, yOffset, n, quiet });
    const modelJson = res.model.toJSON();
    const seconds = (performance.now() - t0) / 1000;
    const training = {
      rows: n,
      seconds: +seconds.toFixed(3),
      dictionarySize: res.size,
      deffEstimate: res.deff,
      trainRmse: res.trainRmse,
      trainR2: res.trainR2,
      trainErrorRows: res.trainRows,
    };
    writeFileSync(out, encodeModel({
      createdBy: `seqlearn ${version}`,
      createdAt: new Date().toISOString(),
      features,
      target,
      scaling,
      yOffset,
      method: dflags.method,
      params: { kernel: kernelSpec, mu, gamma: dflags.gamma, eps: dflags.eps, qbar: res.dictionary?.params.qbar ?? dflags.qbar ?? null, seed: dflags.seed, batch: dflags.batch ?? null, maxDictionary: dflags.maxDictionary ?? null, centers: dflags.centers ?? null, scale },
      training,
      model: modelJson,
    }));
    if (args.flags.json) console.log(JSON.stringify({ model: out, ...training }, null, 2));
    else {
      console.log(`fitted ${dflags.method} Nyström KRR on ${formatCount(n)} rows × ${d} features in ${seconds.toFixed(2)} s`);
      console.log(`kernel ${kernel.toString()}, μ = ${mu}${dflags.method === "exact" ? "" : `, dictionary size ${res.size}`}${res.deff != null ? `, d_eff ≈ ${res.deff.toFixed(1)}` : ""}`);
      console.log(`training RMSE ${res.trainRmse.toPrecision(4)}, R² ${res.trainR2.toFixed(4)}${res.trainRows < n ? ` (on the first ${formatCount(res.trainRows)} rows)` : ""}`);
      console.log(`model written to ${out}`);
    }
    return 0;
  },
};

// ---- dictionary + KRR over re-readable row passes ----------------------------------------

/** Scaled copy of a batch's features. */
function scaled(b: RowBatch, scaling: Scaling | null): Matrix {
  return scaling ? applyScaling(new Matrix(b.X.rows, b.X.cols, b.X.data.slice()), scaling) : b.X;
}

/** Uniformly random m-subset of [0, n) (Floyd's algorithm), sorted. */
function randomSubset(n: number, m: number, seed: number): number[] {
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

export interface FitContext {
  mu: number;
  scaling: Scaling | null;
  yOffset: number;
  /** Data rows (from the first pass). */
  n: number;
  quiet: boolean;
  /** Progress label prefix (default "fit"). */
  label?: string;
}

export interface FitResult {
  model: NystromKRR;
  dictionary: RlsDictionary | null;
  size: number;
  deff: number | null;
  trainRmse: number;
  trainR2: number;
  /** Rows the training error was measured on (the first min(n, 20000)). */
  trainRows: number;
}

/** The training error is measured on at most this many leading rows (one more pass). */
export const TRAIN_ERROR_ROWS = 20000;

/** Build the dictionary in one pass (SQUEAK / INK-Estimate stream; uniform draws its rows by
 *  index; exact keeps every row). Returns null for exact. */
export async function buildDictionary(rows: Rows, o: DictionaryOptions, ctx: FitContext): Promise<{ dict: RlsDictionary | null; all?: { X: Matrix; y: Float64Array } }> {
  const label = ctx.label ?? "fit";
  if (o.method === "squeak" || o.method === "ink") {
    const sq = o.method === "squeak"
      ? new Squeak({ kernel: o.kernel, gamma: o.gamma, eps: o.eps, qbar: o.qbar, batch: o.batch, seed: o.seed, maxDictionary: o.maxDictionary })
      : new InkEstimate({ kernel: o.kernel, gamma: o.gamma, eps: o.eps, budget: o.centers!, batch: o.batch, seed: o.seed });
    try {
      const bar = new ProgressLine({ label: `${label}: ${o.method === "squeak" ? "SQUEAK" : "INK-Estimate"} pass`, enabled: !ctx.quiet });
      for await (const b of rows.pass((p) => bar.update(p, `dictionary ${sq.size}`))) sq.push(scaled(b, ctx.scaling));
      bar.done();
      return { dict: sq.dictionary() };
    } finally {
      sq.dispose();
    }
  }
  if (o.method === "uniform") {
    const m = Math.min(o.centers!, ctx.n);
    const chosen = randomSubset(ctx.n, m, o.seed);
    let d = 0;
    let P: Float64Array | null = null;
    let k = 0;
    const bar = new ProgressLine({ label: `${label}: drawing ${m} uniform centres`, enabled: !ctx.quiet });
    for await (const b of rows.pass((p) => bar.update(p))) {
      d = b.X.cols;
      P ??= new Float64Array(m * d);
      const X = scaled(b, ctx.scaling);
      while (k < m && chosen[k] < b.offset + b.X.rows) {
        const r = chosen[k] - b.offset;
        P.set(X.data.subarray(r * d, (r + 1) * d), k * d);
        k++;
      }
    }
    bar.done();
    // All m drawn rows as centres; γ = 0: standard Nyström KRR (as scikit-learn's Nystroem + Ridge).
    return { dict: uniformNystrom(new Matrix(m, d, P!), m, { kernel: o.kernel, seed: o.seed }) };
  }
  // exact: keep every row.
  if (ctx.n > 20000) throw new UsageError(`--method exact keeps all ${ctx.n} rows and solves an n×n system; it is limited to 20000 rows (use --method squeak)`);
  let X: Matrix | null = null;
  const y = new Float64Array(ctx.n);
  for await (const b of rows.pass()) {
    X ??= new Matrix(ctx.n, b.X.cols);
    X.data.set(scaled(b, ctx.scaling).data, b.offset * b.X.cols);
    for (let i = 0; i < b.X.rows; i++) y[b.offset + i] = b.y![i] - ctx.yOffset;
  }
  return { dict: null, all: { X: X!, y } };
}

/** Dictionary pass, KRR accumulation pass, and a training-error pass. */
export async function fitModel(rows: Rows, o: DictionaryOptions, ctx: FitContext): Promise<FitResult> {
  const label = ctx.label ?? "fit";
  const { dict, all } = await buildDictionary(rows, o, ctx);
  let model: NystromKRR;
  if (dict === null) {
    model = NystromKRR.fit("exact", all!.X, all!.y, { mu: ctx.mu, kernel: o.kernel });
  } else {
    if (dict.size === 0) throw new DataError(`the ${o.method} dictionary is empty (every point was dropped); raise --qbar or lower --lambda-gamma`);
    const acc = NystromKRR.accumulator(dict, { mu: ctx.mu });
    try {
      const bar = new ProgressLine({ label: `${label}: KRR pass (${dict.size} centres)`, enabled: !ctx.quiet });
      for await (const b of rows.pass((p) => bar.update(p))) {
        const y = new Float64Array(b.y!.length);
        for (let i = 0; i < y.length; i++) y[i] = b.y![i] - ctx.yOffset;
        acc.add(scaled(b, ctx.scaling), y);
      }
      bar.done();
      model = acc.finish();
    } finally {
      acc.dispose();
    }
  }
  // Training error (predictions on the first TRAIN_ERROR_ROWS rows, streaming).
  let sse = 0, n = 0, mean = 0, m2 = 0;
  for await (const b of rows.pass(undefined, TRAIN_ERROR_ROWS)) {
    const p = model.predict(scaled(b, ctx.scaling)) as Float64Array;
    for (let i = 0; i < p.length; i++) {
      const yi = b.y![i];
      const e = p[i] + ctx.yOffset - yi;
      sse += e * e;
      n++;
      const dlt = yi - mean;
      mean += dlt / n;
      m2 += dlt * (yi - mean);
    }
  }
  return {
    model,
    dictionary: dict,
    size: dict ? dict.size : ctx.n,
    deff: dict?.params.deff ?? null,
    trainRmse: Math.sqrt(sse / n),
    trainR2: m2 > 0 ? 1 - sse / m2 : NaN,
    trainRows: n,
  };
}
