// What the language-model commands (lm train, align, distill) share: the flag groups of a model
// configuration, a tokenizer and a training run; reading a data file and a model directory;
// running a trainer with a progress line on stderr (loss, tokens/s, ETA), its rows as JSON lines
// and an SVG of the curves; writing the output directory. Every output is checked before any work
// and written through a temporary file (files.ts): a failed run leaves nothing half-written.
import { existsSync, lstatSync, mkdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { init } from "../engine/index.js";
import { WorkerPool } from "../parallel/pool.js";
import { ValueError } from "../core/errors.js";
import { linePlot } from "../io/svg.js";
import {
  LanguageModel, Tokenizer, DatasetError, loadDataset, decodeModelFile, encodeModelFile, modelFile, modelFromFile, MODEL_FILES, LM_FORMAT,
  type Dataset, type Layout, type Trainer, type MetricsRow, type TrainProgress, type ModelConfigInput, type OptimizerOptions, type Schedule,
} from "../align/index.js";
import { boolean, choice, group, number, string, UsageError, type Values } from "./flags.js";
import { FileError, OutputFile, checkOutput, checkNotInput, fsReason, writeFileAtomic } from "./files.js";
import { formatCount, formatDuration } from "./progress.js";
import { err } from "./term.js";

// ---- flags -------------------------------------------------------------------------------------

/** A model from scratch (without --model). */
export const MODEL_CONFIG = group("model (from scratch)", {
  kind: choice(["transformer", "window-mlp", "full-context-mlp"], { default: "transformer", help: "the model family" }),
  layers: number({ int: true, min: 0, max: 1024, metavar: "<n>", help: "transformer blocks", defaultText: "2" }),
  heads: number({ int: true, min: 1, metavar: "<n>", help: "attention heads (width / heads a multiple of 4)", defaultText: "4" }),
  width: number({ int: true, min: 1, metavar: "<d>", help: "model width (transformer) or embedding size (MLPs)", defaultText: "64 (transformer), 16 (MLPs)" }),
  hidden: number({ int: true, min: 1, metavar: "<h>", help: "MLP width", defaultText: "4·width (transformer), 128 (MLPs)" }),
  context: number({ int: true, min: 2, max: 65536, metavar: "<T>", help: "context length: the longest sequence (prompt and response) the model reads", defaultText: "128" }),
  window: number({ int: true, min: 1, metavar: "<k>", help: "window-mlp: tokens the input sees", defaultText: "4" }),
  bpe: number({ int: true, min: 265, metavar: "<V>", help: "train a byte-level BPE tokenizer of V tokens on the training data (default: bytes and specials, 264 tokens)" }),
});

/** The training run. */
export const TRAINING = group("training", {
  epochs: number({ int: true, min: 1, default: 1, metavar: "<n>", help: "passes over the data" }),
  batchSize: number({ int: true, min: 1, default: 8, metavar: "<B>", help: "examples per optimizer step" }),
  microBatchSize: number({ int: true, min: 1, metavar: "<b>", help: "examples per forward/backward pass (gradient accumulation; with --workers, each worker takes whole micro-batches)", defaultText: "the batch size, or batch / workers with --workers" }),
  maxSteps: number({ int: true, min: 1, metavar: "<n>", help: "stop after this many optimizer steps" }),
  lr: number({ gt: 0, default: 1e-3, metavar: "<η>", help: "peak learning rate (AdamW)" }),
  schedule: choice(["constant", "warmup", "cosine"], { default: "constant", help: "learning-rate schedule (cosine decays to 0 at the last step)" }),
  warmup: number({ int: true, min: 0, default: 0, metavar: "<steps>", help: "linear warm-up steps (warmup, cosine)" }),
  weightDecay: number({ min: 0, default: 0.01, metavar: "<λ>", help: "AdamW's decoupled weight decay (weight matrices and embeddings)" }),
  clip: number({ min: 0, default: 1, metavar: "<c>", help: "clip the global gradient norm (0: no clipping)" }),
  seed: number({ int: true, min: 0, default: 0, metavar: "<s>", help: "seed of the data order, of sampling and of a new model's initialisation" }),
  maxLength: number({ int: true, min: 2, metavar: "<tokens>", help: "longest tokenised example (longer lines are a data error naming the line)", defaultText: "the model's context + 1" }),
  eval: string({ metavar: "<file.jsonl>", help: "held-out examples (same layout): their loss is logged as eval/loss" }),
  evalEvery: number({ int: true, min: 1, metavar: "<steps>", help: "evaluate every this many steps (and at the end)", defaultText: "at the end only, with --eval" }),
  workers: number({ int: true, min: 0, max: 256, default: 0, metavar: "<n>", help: "data-parallel worker threads (0: this thread); the parameters are identical for any number" }),
});

/** The output directory and what goes to the terminal. */
export const LM_OUTPUT = group("output", {
  output: string({ metavar: "<dir>", aliases: ["o"], required: "(the model directory to write)", help: "the model directory: model.safetensors, config.json, metrics.jsonl, curves.svg" }),
  force: boolean({ help: "replace the files of an existing model directory (without it they are never replaced)" }),
  json: boolean({ help: "print a JSON summary on stdout (nothing else goes to stdout)" }),
  quiet: boolean({ help: "no progress line on stderr" }),
});

/** The files of an output model directory. */
export const OUTPUT_FILES = { ...MODEL_FILES, metrics: "metrics.jsonl", curves: "curves.svg" } as const;

// ---- inputs -------------------------------------------------------------------------------------

/** Check an output model directory before any work: a folder (or a new name in an existing
 *  folder), none of its files an input, none existing unless --force. Creates nothing. */
export function checkOutputDir(dir: string, inputs: readonly string[], force: boolean): void {
  let st: ReturnType<typeof lstatSync> | null = null;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") throw new FileError(`-o ${dir}: ${fsReason(e)}`);
  }
  if (st && !st.isDirectory()) throw new FileError(`-o ${dir}: ${st.isSymbolicLink() ? "a symbolic link" : "a file"} of that name exists; the output is a model directory`);
  if (!st) {
    checkOutput(dir, { flag: "-o" }); // the parent folder exists and can be written
    return;
  }
  for (const f of Object.values(OUTPUT_FILES)) checkOutput(join(dir, f), { inputs, force, flag: "-o" });
  for (const i of inputs) if (i !== "-") checkNotInput(dir, [i], "-o");
}

/** Read a JSON-lines data file with `tok` (DatasetError names the file and the line). */
export async function readData(path: string, tok: Tokenizer, maxLength: number): Promise<Dataset> {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new FileError(`${path}: it is a folder, not a data file`);
  } catch (e) {
    if (e instanceof FileError) throw e;
    throw new FileError(`${path}: ${fsReason(e)}`);
  }
  return loadDataset(path, tok, { maxLength });
}

/** Check a dataset's layout against what the command trains on (DatasetError naming the file
 *  and the first line). */
export function checkLayout(ds: Dataset, path: string, allowed: readonly Layout[], what: string): void {
  if (!allowed.includes(ds.layout)) {
    throw new DatasetError("wrong-layout", `the lines have the ${ds.layout} layout; ${what} reads ${allowed.join(" or ")} lines`, { line: ds.examples[0]?.line ?? 1, source: path });
  }
}

/** A model directory's model (ModelFileError for a bad file): the model and its tokenizer. */
export function readModelDir(dir: string, flag: string): { model: LanguageModel; tokenizer: Tokenizer } {
  const file = join(dir, MODEL_FILES.weights);
  let bytes: Uint8Array;
  try {
    if (!statSync(dir).isDirectory()) throw new FileError(`${flag} ${dir}: not a model directory (a folder with ${MODEL_FILES.weights})`);
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof FileError) throw e;
    throw new FileError(`${flag} ${dir}: ${(e as { code?: string }).code === "ENOENT" ? `no ${MODEL_FILES.weights} there (not a model directory)` : fsReason(e)}`);
  }
  const m = decodeModelFile(bytes);
  return { model: modelFromFile(m), tokenizer: m.tokenizer };
}

/** A new model's configuration from the flags (vocabulary: the tokenizer's). */
export function configFromFlags(v: Values<typeof MODEL_CONFIG>, vocab: number): ModelConfigInput {
  const kind = v.kind;
  if (kind === "transformer") {
    if (v.window !== undefined) throw new UsageError("--window applies to --kind window-mlp");
    return { kind, vocab, context: v.context ?? 128, layers: v.layers ?? 2, heads: v.heads ?? 4, width: v.width ?? 64, ...(v.hidden !== undefined ? { hidden: v.hidden } : {}) };
  }
  for (const k of ["layers", "heads"] as const) if (v[k] !== undefined) throw new UsageError(`--${k} applies to --kind transformer`);
  if (kind === "full-context-mlp" && v.window !== undefined) throw new UsageError("--window applies to --kind window-mlp");
  return { kind, vocab, context: v.context ?? 128, width: v.width ?? 16, hidden: v.hidden ?? 128, ...(kind === "window-mlp" ? { window: v.window ?? 4 } : {}) };
}

/** The flags of MODEL_CONFIG given on the command line (they clash with --model). */
export function modelFlagsGiven(given: ReadonlySet<string>, spelled: Record<string, string>): string[] {
  return Object.keys(MODEL_CONFIG).filter((k) => given.has(k)).map((k) => spelled[k] ?? `--${k}`);
}

/** Text of the data file for a BPE tokenizer: every string field of every line. */
export function bpeCorpus(path: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      walk(JSON.parse(line));
    } catch {
      /* the dataset reader reports bad lines, naming them */
    }
  }
  return out;
}

// ---- the run ------------------------------------------------------------------------------------

/** The trainer options of the TRAINING flags (batch sizes, epochs, optimizer, seed). */
export function trainerOptions(v: Values<typeof TRAINING>, examples: number, workers: number): {
  batchSize: number; microBatchSize: number; epochs: number; maxSteps?: number; seed: number; optimizer: OptimizerOptions; evalEvery?: number;
} {
  const batchSize = v.batchSize;
  const micro = v.microBatchSize ?? (workers > 1 ? Math.max(1, Math.ceil(batchSize / workers)) : batchSize);
  if (micro > batchSize) throw new UsageError(`--micro-batch-size ${micro} is larger than --batch-size ${batchSize}`);
  const planned = Math.min(v.maxSteps ?? Infinity, Math.ceil(examples / batchSize) * v.epochs);
  let schedule: Schedule = "constant";
  if (v.schedule === "warmup") {
    if (v.warmup < 1) throw new UsageError("--schedule warmup needs --warmup <steps> ≥ 1");
    schedule = { kind: "warmup", warmupSteps: v.warmup };
  } else if (v.schedule === "cosine") {
    const total = Number.isFinite(planned) ? Math.max(1, planned) : 1;
    if (v.warmup >= total) throw new UsageError(`--warmup ${v.warmup} must be below the run's ${total} steps`);
    schedule = { kind: "cosine", totalSteps: total, warmupSteps: v.warmup };
  } else if (v.warmup > 0) throw new UsageError("--warmup applies to --schedule warmup or cosine");
  return {
    batchSize, microBatchSize: micro, epochs: v.epochs, ...(v.maxSteps !== undefined ? { maxSteps: v.maxSteps } : {}), seed: v.seed,
    optimizer: { lr: v.lr, weightDecay: v.weightDecay, clip: v.clip > 0 ? v.clip : null, schedule },
    ...(v.evalEvery !== undefined ? { evalEvery: v.evalEvery } : {}),
  };
}

/** The text of a training progress line: step, loss, tokens/s and the time left. */
export function progressText(label: string, p: TrainProgress): string {
  const parts = [`step ${p.step}${Number.isFinite(p.totalSteps) ? `/${p.totalSteps}` : ""}`, `loss ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : "–"}`, `${formatCount(p.tokensPerSecond)} tokens/s`];
  if (Number.isFinite(p.etaMs)) parts.push(`ETA ${formatDuration(p.etaMs)}`);
  return `${label}: ${parts.join(" · ")}`;
}

/** A progress line on stderr: rewritten in place on a terminal, a line every 5 s otherwise. */
class StepLine {
  private last = -Infinity;
  private shown = false;
  private width = 0;
  private readonly tty: boolean;
  constructor(private readonly label: string, private readonly enabled: boolean) {
    this.tty = !!(globalThis as { process?: { stderr?: { isTTY?: boolean } } }).process?.stderr?.isTTY;
  }
  update(p: TrainProgress, final: boolean): void {
    // nothing for a run that ends within a second; then a line per interval, and the last step
    if (!this.enabled || (final ? !this.shown : p.elapsedMs < 1000 || p.elapsedMs - this.last < (this.tty ? 200 : 5000))) return;
    this.last = p.elapsedMs;
    const s = progressText(this.label, p);
    if (this.tty) {
      (globalThis as unknown as { process: { stderr: { write(s: string): void } } }).process.stderr.write(`\r${s}${" ".repeat(Math.max(0, this.width - s.length))}`);
      this.width = s.length;
    } else err(s);
    this.shown = true;
  }
  done(): void {
    if (this.shown && this.tty) (globalThis as unknown as { process: { stderr: { write(s: string): void } } }).process.stderr.write("\n");
  }
}

/** What a training command reports. */
export interface RunSummary {
  steps: number;
  epochs: number;
  seconds: number;
  tokens: number;
  tokensPerSecond: number;
  workers: number;
  last: MetricsRow | null;
  eval: MetricsRow | null;
}

/** Train with progress on stderr and, when `workers` > 0, on a pool of that many threads. */
export async function runTraining(label: string, trainer: Trainer, o: { workers: number; quiet: boolean }): Promise<RunSummary> {
  const line = new StepLine(label, !o.quiet);
  const pool = o.workers > 0 ? await WorkerPool.create({ size: o.workers }) : undefined;
  const t0 = performance.now();
  let tokens = 0, lastP: TrainProgress | null = null;
  try {
    const r = await trainer.train({
      ...(pool ? { pool } : {}),
      onProgress: (p) => {
        lastP = p;
        line.update(p, false);
      },
    });
    if (lastP) line.update(lastP, true);
    for (const row of r.history) tokens += row.tokens ?? 0;
    const seconds = (performance.now() - t0) / 1000;
    const evals = r.history.filter((h) => "eval/loss" in h);
    return { steps: r.steps, epochs: r.epochs, seconds, tokens, tokensPerSecond: seconds > 0 ? tokens / seconds : 0, workers: o.workers, last: r.last, eval: evals.length ? evals[evals.length - 1] : null };
  } finally {
    line.done();
    await pool?.close();
  }
}

/** The JSON line of a metrics row (non-finite numbers as null). */
export function metricsLine(row: MetricsRow): string {
  return JSON.stringify(row, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)) + "\n";
}

/** An SVG of the training curves: `loss` (and `eval/loss`) against the step, plus the given
 *  extra metrics on the same axes. */
export function curvesSvg(title: string, history: readonly MetricsRow[], extra: readonly string[] = []): string {
  const train = history.filter((h) => !("eval/loss" in h) && "loss" in h);
  const evals = history.filter((h) => "eval/loss" in h);
  const series = [{ name: "loss", x: train.map((h) => h.step), y: train.map((h) => h.loss), markers: train.length <= 60 }];
  if (evals.length) series.push({ name: "eval/loss", x: evals.map((h) => h.step), y: evals.map((h) => h["eval/loss"]), markers: true });
  for (const k of extra) if (train.some((h) => Number.isFinite(h[k]))) series.push({ name: k, x: train.map((h) => h.step), y: train.map((h) => h[k]), markers: train.length <= 60 });
  return linePlot({ title, xLabel: "optimizer step", yLabel: "loss", series });
}

/** Write the model directory's model.safetensors, config.json and curves.svg (withOutputDir
 *  created the folder and commits the metrics file). */
export function writeModelDir(dir: string, model: LanguageModel, tokenizer: Tokenizer, curves: string, o: { force: boolean; inputs: readonly string[]; metadata?: Record<string, string> }): void {
  const file = modelFile(model, tokenizer, o.metadata ?? {});
  const bytes = encodeModelFile(file);
  const config = JSON.stringify({ format: LM_FORMAT, config: file.config, tokenizer: tokenizer.toJSON() }, null, 1) + "\n";
  const opts = { force: o.force, inputs: o.inputs, flag: "-o" };
  writeFileAtomic(join(dir, OUTPUT_FILES.weights), bytes, opts);
  writeFileAtomic(join(dir, OUTPUT_FILES.config), config, opts);
  writeFileAtomic(join(dir, OUTPUT_FILES.curves), curves, opts);
}

/** Run `body` with the output directory's metrics file open: the directory is created when
 *  missing, the metrics file committed when `body` succeeds; on failure the metrics file is
 *  removed, and so is the directory when this call created it. */
export async function withOutputDir<T>(dir: string, force: boolean, inputs: readonly string[], body: (metrics: OutputFile) => Promise<T>): Promise<T> {
  let created = false;
  if (!existsSync(dir)) {
    try {
      mkdirSync(dir);
      created = true;
    } catch (e) {
      throw new FileError(`-o ${dir}: ${fsReason(e)}`);
    }
  }
  let metrics: OutputFile | null = null;
  try {
    metrics = new OutputFile(join(dir, OUTPUT_FILES.metrics), { force, inputs, flag: "-o" });
    const r = await body(metrics);
    metrics.commit();
    return r;
  } catch (e) {
    metrics?.abort();
    if (created) {
      try {
        rmdirSync(dir); // only when empty: nothing of this run was committed
      } catch {
        /* it holds files: keep them */
      }
    }
    throw e;
  }
}

/** Start the engine (the commands call it after their checks). */
export async function start(): Promise<void> {
  await init();
}

/** A one-line human summary of a run. */
export function summaryLine(what: string, s: RunSummary, dir: string): string {
  const loss = s.last?.loss;
  const ev = s.eval?.["eval/loss"];
  return `${what}: ${s.steps} steps (${s.epochs} epoch${s.epochs === 1 ? "" : "s"}) in ${s.seconds.toFixed(1)} s, ${formatCount(s.tokensPerSecond)} tokens/s${s.workers > 0 ? ` on ${s.workers} worker${s.workers === 1 ? "" : "s"}` : ""}; ` +
    `last loss ${loss !== undefined ? loss.toFixed(4) : "–"}${ev !== undefined ? `, eval/loss ${ev.toFixed(4)}` : ""}; model written to ${dir}`;
}

/** A ValueError as a usage problem of a flag (for option values the SDK rejects). */
export function flagError(e: unknown): never {
  if (e instanceof ValueError) throw new UsageError(e.message);
  throw e;
}
