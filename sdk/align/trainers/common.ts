// The loop every trainer shares (TRL's shape: one config object per trainer, the loss chosen by
// an explicit enum, metrics under stable names), written once:
//
//   for each optimizer step:
//     batch  ← nextBatch()                    data order from `seed`, or fresh samples (online)
//     micro  ← split(batch)                   micro-batches of ≤ microBatchSize examples
//     grads  ← gradients(micro)               THE SEAM (below)
//     optimizer steps (AdamW; a value model has its own), metrics row, evaluation, checkpoint
//
// The seam: `gradients(micro)` computes, for every micro-batch i in order, the gradient g_i of
// its share of the step's loss (each micro-batch's loss is scaled by its share of the step's
// denominator — examples, pairs or tokens — so Σ_i g_i is the gradient of the step's loss) and
// sums them in a fixed binary tree over the micro-batch indices: a range [a, b) of n leaves is
// the sum of [a, a + 2^k) and [a + 2^k, b), 2^k the largest power of two below n. A
// data-parallel executor gives each worker a range that is a node of this tree (say the two
// halves of 8 micro-batches, or its quarters), has the worker return `microBatchGradients` of
// its range (the same function), and adds the workers' sums by the same rule: the parameters
// are then bit-identical for any number of workers, because every addition is the one the
// single-worker tree makes. `TreeSum` is the accumulator; `treeRanges` lists the nodes.
//
// Determinism: the data order is shuffledOrder(n, seed, epoch), sampling draws from one Rng
// seeded by `seed` (stream 0x5452 "TR"), and nothing reads a clock. A checkpoint holds the
// parameters, the optimizers' moments and step counters, the generator's state, the reference
// (when the trainer made it) and the position in the data, so a resumed run is bit-identical
// to an uninterrupted one.
import { NumericalError, ValueError } from "../../core/errors.js";
import { checkOptions } from "../../core/options.js";
import { integer, seed as checkSeed } from "../../core/validate.js";
import { crc32 } from "../../core/crc32.js";
import { Rng } from "../../random/rng.js";
import { LanguageModel, type NormalizedModelConfig } from "../model.js";
import { AdamW, type AdamWOptions, type StepInfo } from "../optim.js";
import { Tokenizer } from "../tokenizer.js";
import { shuffledOrder, type Dataset, type Example } from "../data.js";
import { encodeSafetensors, decodeSafetensors, writeFileSafely, ModelFileError, type Tensor } from "../modelfile.js";
import { openAppendFile, pathKind, readFileBytes, removeFile, type AppendFile } from "../../platform.js";
import type { Executor } from "../../parallel/pool.js";
import type { StepSpec, StepModels } from "./steps.js";

// ---- public types -------------------------------------------------------------------------------

/** AdamW's options for a trainer (`accumulate` is the trainer's: `microBatchSize`). */
export type OptimizerOptions = Omit<AdamWOptions, "accumulate">;

/** One logged row: `step`, `epoch`, the loss's metrics under TRL's names (`loss`,
 *  `rewards/chosen`, …), `lr`, `grad_norm`, `tokens`, and `eval/…` after an evaluation. Every
 *  value is a number (NaN when a batch has no data for it). */
export type MetricsRow = Record<string, number>;

/** A progress event, after every optimizer step. */
export interface TrainProgress {
  /** Steps done. */
  step: number;
  /** Steps planned (NaN when not known in advance, e.g. an online run without maxSteps). */
  totalSteps: number;
  /** The epoch the step belongs to (0-based). */
  epoch: number;
  /** The step's loss. */
  loss: number;
  /** Trained tokens per second of wall-clock time since train() started. */
  tokensPerSecond: number;
  /** Milliseconds since train() started. */
  elapsedMs: number;
  /** Estimated milliseconds to the last planned step (NaN when unknown). */
  etaMs: number;
}

/** Options of `train()`. */
export interface TrainRunOptions {
  /** Stops the run between two steps: train() then rejects with the signal's reason, and the
   *  trainer holds the state after the last completed step (checkpoint() resumes from it). A
   *  step handed to workers is finished first. */
  signal?: AbortSignal;
  /** Called after every step. */
  onProgress?: (e: TrainProgress) => void;
  /** Data-parallel training: each step's micro-batches are split into `pool.size` tree-aligned
   *  ranges (treeRanges), each worker computes its range's summed gradient, and the trainer adds
   *  them in the tree's order (TreeSum) and takes the optimizer step. The parameters are bit-
   *  identical to a run without a pool, for any number of workers. A WorkerPool (Node worker
   *  threads, Web Workers) or `new InlinePool(TASKS)`; a failed worker's range is retried by the
   *  pool. Use a `microBatchSize` that gives each worker a share (batchSize / microBatchSize ≥
   *  pool.size). */
  pool?: Executor;
}

/** What `train()` returns. */
export interface TrainResult {
  /** Optimizer steps taken in total (including before a restore). */
  steps: number;
  /** Epochs begun. */
  epochs: number;
  /** The rows logged by this call, in order. */
  history: MetricsRow[];
  /** The last logged row (training metrics), or null. */
  last: MetricsRow | null;
}

/** What an evaluation callback receives. */
export interface EvalContext {
  /** The trainer's policy model. */
  model: LanguageModel;
  /** The optimizer steps taken. */
  step: number;
}

/** Where the reference π_ref comes from (TRL: `ref_model`, `precompute_ref_log_probs`,
 *  `sync_ref_model`). */
export interface ReferenceOptions {
  /** "frozen" (default): a fixed model — `model`, or a copy of the policy when training starts;
   *  "precomputed": the same, with each example's reference scores computed once and cached (the
   *  same numbers: a row's score does not depend on its batch); "previous": the previous iterate,
   *  π_ref ← π_θ every `syncEvery` steps (online and multi-turn: at every iteration), the
   *  reference of iterative M-DPO (Xiong et al. 2024). */
  mode?: "frozen" | "precomputed" | "previous";
  /** The reference model (same vocabulary); default: a copy of the policy, owned by the trainer
   *  and saved in its checkpoints. */
  model?: LanguageModel;
  /** "previous": steps between syncs (offline trainers; default 1). */
  syncEvery?: number;
  /** Precomputed reference scores S_ref supplied by the caller (TRL's precomputed columns):
   *  (example, part) → the summed log-probability of that example's sequence under π_ref, with
   *  the same mask the policy's score uses. Replaces the model for matched sequences. */
  scores?: (example: Example, part: "chosen" | "rejected" | "completion") => number;
}

/** Where a trainer writes its metrics rows as JSON lines. */
export interface MetricsFileOptions {
  /** The file. */
  path: string;
  /** Replace an existing file (default false: an existing file is an error). */
  overwrite?: boolean;
}

/** Options every trainer accepts. */
export interface TrainerOptions {
  /** Examples (pairs, prompts) per optimizer step. Default 8. */
  batchSize?: number;
  /** Examples per micro-batch (one forward/backward; gradient accumulation). Default batchSize. */
  microBatchSize?: number;
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Stop after this many optimizer steps (counting from 0, also across a restore). */
  maxSteps?: number;
  /** Seed of the data order, of sampling and of models the trainer creates. Default 0. */
  seed?: number;
  /** Shuffle the data every epoch (shuffledOrder(n, seed, epoch)). Default true. */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** AdamW for the policy (default lr 1e-3, clip 1.0, constant schedule). */
  optimizer?: OptimizerOptions;
  /** Log every this many steps (rows go to the history, `onMetrics`, `metricsFile`). Default 1. */
  logEvery?: number;
  /** Receives every logged row. */
  onMetrics?: (row: MetricsRow) => void;
  /** Write the rows as JSON lines (Node, Deno): created exclusively (an existing file is an error
   *  unless `overwrite`), never through a symlink; a restored run keeps the rows up to its step
   *  and appends. */
  metricsFile?: string | MetricsFileOptions;
  /** Evaluate every this many steps, and after the last (0: never). Default 0. */
  evalEvery?: number;
  /** Held-out data for the built-in held-out loss (`eval/loss` and the loss's metrics). */
  evalData?: Dataset | readonly Example[];
  /** A user evaluation; its values are logged as `eval/<name>`. */
  evaluate?: (ctx: EvalContext) => Record<string, number> | Promise<Record<string, number>>;
  /** Make a checkpoint every this many steps (0: never). Default 0. */
  checkpointEvery?: number;
  /** Receives each checkpoint's bytes. */
  onCheckpoint?: (bytes: Uint8Array, step: number) => void | Promise<void>;
  /** Write each checkpoint here (Node, Deno; replaced atomically). */
  checkpointPath?: string;
  /** The prompt id of an example, for a model with a prompt embedding. */
  promptId?: (example: Example) => number;
  /** The tokenizer (its PAD pads batches; text prompts of the online trainers). */
  tokenizer?: Tokenizer;
}

export const COMMON_KEYS = [
  "batchSize", "microBatchSize", "epochs", "maxSteps", "seed", "shuffle", "dropLast", "optimizer", "logEvery", "onMetrics",
  "metricsFile", "evalEvery", "evalData", "evaluate", "checkpointEvery", "onCheckpoint", "checkpointPath", "promptId", "tokenizer",
] as const;

/** The format tag of trainer checkpoints (safetensors bytes). */
export const CHECKPOINT_FORMAT = "seqlearn.checkpoint/1";

// ---- the fixed reduction tree ----------------------------------------------------------------------

/** Sums Float32Arrays pushed in order by the fixed tree of the trainers' seam: a range of n
 *  leaves is (its first 2^k) + (the rest), 2^k the largest power of two below n. Kept as a stack
 *  of complete power-of-two blocks (log₂ n arrays at most), merged as they complete; the partial
 *  blocks are merged right to left at the end. Every addition is elementwise f32 (IEEE, the same
 *  in every runtime). */
export class TreeSum {
  private readonly stack: Array<{ size: number; data: Float32Array }> = [];

  /** Add the next leaf (not copied: do not modify it afterwards). `size`: how many leaves it
   *  already sums, when it is a data-parallel worker's node of the tree (treeRanges), pushed in
   *  order. */
  push(leaf: Float32Array, size = 1): void {
    let node = { size: integer(size, "size", 1), data: leaf };
    while (this.stack.length && this.stack[this.stack.length - 1].size === node.size) {
      const left = this.stack.pop()!;
      node = { size: left.size * 2, data: addF32(left.data, node.data) };
    }
    this.stack.push(node);
  }

  /** The sum of every leaf pushed (null when none). */
  result(): Float32Array | null {
    if (!this.stack.length) return null;
    let acc = this.stack[this.stack.length - 1].data;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = addF32(this.stack[i].data, acc);
    return acc;
  }
}

function addF32(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length !== b.length) throw new ValueError(`gradient blocks of ${a.length} and ${b.length} values cannot be added`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

/** The gradients of `micro` (in order) summed in the tree's order into each model's gradient
 *  block: `step(mb)` back-propagates one micro-batch into zeroed gradients. Returns the steps'
 *  metric sums in order. The trainers' seam, and what a data-parallel worker runs on its range.
 *  @internal */
export function treeGradients<T>(models: readonly LanguageModel[], micro: readonly T[], step: (mb: T) => MetricSums): MetricSums[] {
  const out: MetricSums[] = [];
  if (micro.length === 1) {
    for (const m of models) m.zeroGrad();
    out.push(step(micro[0]));
    return out;
  }
  const sums = models.map(() => new TreeSum());
  for (const mb of micro) {
    for (const m of models) m.zeroGrad();
    out.push(step(mb));
    models.forEach((m, k) => sums[k].push(m.getGradients()));
  }
  models.forEach((m, k) => m.setGradients(sums[k].result()!));
  return out;
}

/** `parts` (at most; fewer when n < parts) nodes of the reduction tree over `n` micro-batches:
 *  contiguous [from, to) ranges, in order, found by splitting the largest node (the first of
 *  equal ones) by the tree's rule until there are `parts`. Each is a subtree, so per-range sums
 *  pushed in order into a TreeSum with their sizes equal the single-worker sum bit for bit. */
export function treeRanges(n: number, parts: number): Array<[number, number]> {
  integer(n, "n", 1);
  integer(parts, "parts", 1);
  const nodes: Array<[number, number]> = [[0, n]];
  while (nodes.length < parts) {
    let best = -1;
    for (let i = 0; i < nodes.length; i++) if (nodes[i][1] - nodes[i][0] > 1 && (best < 0 || nodes[i][1] - nodes[i][0] > nodes[best][1] - nodes[best][0])) best = i;
    if (best < 0) break;
    const [a, b] = nodes[best];
    let k = 1;
    while (k * 2 < b - a) k *= 2;
    nodes.splice(best, 1, [a, a + k], [a + k, b]);
  }
  return nodes;
}

// ---- the data-parallel task's messages -------------------------------------------------------------

/** The task that computes a range of a step's micro-batch gradients on a worker
 *  (sdk/align/tasks.ts). */
export const ALIGN_GRADIENTS_TASK = "seqlearn.align.gradients";

/** What a worker needs to rebuild a trainer's micro-batch step: the step (plain JSON) and the
 *  configurations of the models it reads, by role. @internal */
export interface ReplicaSetup {
  /** The trainer's kind (for messages). */
  kind: string;
  step: StepSpec;
  /** Model configurations by role: "policy", "value" (trained), "reference", "teacher". */
  configs: Record<string, NormalizedModelConfig>;
  /** The roles whose gradients the worker returns, in the trainer's order. */
  trained: string[];
  /** The reference's mode (null: no reference). */
  referenceMode: "frozen" | "precomputed" | "previous" | null;
}

/** The input of ALIGN_GRADIENTS_TASK. @internal */
export interface GradientTaskInput {
  /** The trainer's id: the worker keeps the replica it built between steps. */
  session: string;
  /** Sent with the first step, and again to a worker that does not know the session. */
  setup?: ReplicaSetup;
  /** Parameters by role: the trained models' with every step, the frozen models' (reference,
   *  teacher) only when their version moved or the worker asks for them. */
  params: Record<string, { version: number; data?: Float32Array }>;
  /** The worker's range of the step's micro-batches. */
  micro: readonly MicroBatch[];
  /** The step's denominators (over all its micro-batches). */
  denom: Record<string, number>;
}

/** The output of ALIGN_GRADIENTS_TASK: the range's summed gradients by trained role and each
 *  micro-batch's metric sums, or `missing` when the worker lacks the session or a frozen
 *  model's current parameters (the trainer then sends them). @internal */
export type GradientTaskOutput = { missing: string } | { grads: Record<string, Float32Array>; metrics: MetricSums[] };

function sessionId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID ? c.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

// ---- metrics --------------------------------------------------------------------------------------

/** A trainer's micro-batch: token rows, masks, labels or weights (typed arrays and plain
 *  objects). Opaque: the trainer makes it and takes it back in `microBatchGradients`. */
export type MicroBatch = object;

/** Per-micro-batch metric sums and their counts: a step's metric is Σ sums / Σ counts, or
 *  Σ sums for a metric without a count (`tokens`, `examples`). */
export interface MetricSums {
  /** Sum of each metric over the micro-batch's items (or one value with count 1). */
  sums: Record<string, number>;
  /** What each sum is divided by (absent: the metric is a total). */
  counts: Record<string, number>;
}

/** Combine micro-batch metric sums in order. */
export function combineMetrics(parts: readonly MetricSums[]): Record<string, number> {
  const s: Record<string, number> = {}, c: Record<string, number> = {};
  for (const p of parts) {
    for (const k of Object.keys(p.sums)) {
      s[k] = (s[k] ?? 0) + p.sums[k];
      if (k in p.counts) c[k] = (c[k] ?? 0) + p.counts[k];
    }
  }
  const out: Record<string, number> = {};
  for (const k of Object.keys(s)) out[k] = k in c ? (c[k] > 0 ? s[k] / c[k] : NaN) : s[k];
  return out;
}

/** Add `value·count` as a metric with `count` items (a mean over `count` items). */
export function addMean(m: MetricSums, name: string, mean: number, count: number): void {
  if (!(count > 0) || !Number.isFinite(mean)) {
    if (!(name in m.sums)) {
      m.sums[name] = 0;
      m.counts[name] = 0;
    }
    return;
  }
  m.sums[name] = (m.sums[name] ?? 0) + mean * count;
  m.counts[name] = (m.counts[name] ?? 0) + count;
}

/** Append-only JSON-lines writer of metrics rows (Node, Deno). */
class MetricsFile {
  private handle: AppendFile | null = null;
  constructor(readonly path: string, readonly overwrite: boolean) {}

  async open(resumeStep: number | null): Promise<void> {
    const io = (e: unknown): never => {
      if ((e as { code?: string }).code === "ENOSYS") throw new ValueError("metricsFile needs a file system (Node or Deno); elsewhere use onMetrics");
      throw new ModelFileError("io", `cannot write ${this.path}: ${(e as Error).message}`);
    };
    const kind = await pathKind(this.path).catch(io);
    if (kind === "symlink") throw new ModelFileError("io", `${this.path} is a symbolic link; refusing to write metrics through it`);
    if (kind === "directory") throw new ModelFileError("io", `${this.path} is a directory`);
    const exists = kind !== "missing";
    if (exists && resumeStep !== null) {
      // a restored run: keep the rows up to its step, then append
      const text = new TextDecoder().decode(await readFileBytes(this.path).catch(io));
      const keep = text.split("\n").filter((l) => {
        if (!l.trim()) return false;
        try {
          return (JSON.parse(l) as { step?: number }).step! <= resumeStep;
        } catch {
          return false;
        }
      });
      await writeFileSafely(this.path, keep.map((l) => l + "\n").join(""), true);
      this.handle = await openAppendFile(this.path, "append").catch(io);
      return;
    }
    if (exists && !this.overwrite) throw new ModelFileError("io", `${this.path} exists; pass metricsFile: { path, overwrite: true } to replace it`);
    if (exists) await removeFile(this.path).catch(io);
    this.handle = await openAppendFile(this.path, "create").catch(io);
  }

  async write(row: MetricsRow): Promise<void> {
    await this.handle?.append(JSON.stringify(row, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)) + "\n");
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }
}

// ---- data order -------------------------------------------------------------------------------------

/** The examples of a Dataset or an array of them. */
export function examplesOf(data: Dataset | readonly Example[] | undefined, what: string): Example[] {
  if (data === undefined) throw new ValueError(`${what} is required`);
  const ex = Array.isArray(data) ? (data as Example[]) : (data as Dataset)?.examples;
  if (!Array.isArray(ex)) throw new ValueError(`${what} must be a Dataset (loadDataset) or an array of tokenised examples`);
  return ex;
}

/** Check that every example has one of `layouts`; DatasetError-like ValueError naming the line. */
export function checkLayouts(ex: readonly Example[], layouts: readonly string[], where: string): void {
  for (const e of ex) {
    if (!e || typeof e !== "object" || !layouts.includes(e.layout)) {
      throw new ValueError(`${where}: line ${e?.line ?? "?"} has layout ${JSON.stringify(e?.layout)}; this trainer reads ${layouts.join(" or ")}`);
    }
  }
}

// ---- the base trainer -------------------------------------------------------------------------------

/** A model the trainer updates, with its optimizer. @internal */
export interface Trained {
  /** Checkpoint name ("policy", "value"). */
  name: string;
  model: LanguageModel;
  optimizer: AdamW;
}

/** The resolved common options. @internal */
export interface Common {
  batchSize: number;
  microBatchSize: number;
  epochs: number;
  maxSteps: number;
  seed: number;
  shuffle: boolean;
  dropLast: boolean;
  logEvery: number;
  evalEvery: number;
  checkpointEvery: number;
}

/** The position in the data: epoch and offset into that epoch's order. */
interface Position {
  epoch: number;
  offset: number;
}

/**
 * The shared trainer: data order, the gradient seam, optimizer steps, metrics, evaluation,
 * checkpoints. Subclasses supply the batches and the loss of a micro-batch.
 */
export abstract class Trainer<MB extends MicroBatch = MicroBatch> {
  /** The policy being trained. */
  readonly model: LanguageModel;
  /** The policy's optimizer. */
  readonly optimizer: AdamW;
  /** The rows logged so far (all train() calls). */
  readonly history: MetricsRow[] = [];
  /** @internal */ protected readonly common: Common;
  /** @internal */ protected readonly opts: TrainerOptions;
  /** @internal */ protected readonly rng: Rng;
  /** @internal */ protected stepCount = 0;
  /** @internal */ protected pos: Position = { epoch: 0, offset: 0 };
  /** @internal */ protected readonly kind: string;
  /** @internal */ protected readonly pad: number;
  private orderCache: { epoch: number; order: Int32Array } | null = null;
  private disposedFlag = false;
  private lastEval = -1;
  /** The data-parallel session: its id, and the frozen models' versions the workers were sent. */
  private remote: { session: string; sent: Record<string, number> | null } | null = null;

  /** @internal */
  /** @param promptIdNeeded whether the trainer reads examples whose prompt ids must come from
   *  `promptId` when the model has a prompt embedding (false: the trainer checks itself, e.g.
   *  OnlineTrainer, whose prompts may carry their ids). */
  protected constructor(kind: string, model: LanguageModel, opts: TrainerOptions, promptIdNeeded = true) {
    if (!(model instanceof LanguageModel)) throw new ValueError(`${kind}: the first argument must be a LanguageModel`);
    model.check();
    this.kind = kind;
    this.opts = opts;
    const batchSize = integer(opts.batchSize ?? 8, `${kind}: batchSize`, 1);
    const micro = integer(opts.microBatchSize ?? batchSize, `${kind}: microBatchSize`, 1, batchSize);
    const maxSteps = opts.maxSteps === undefined ? Infinity : integer(opts.maxSteps, `${kind}: maxSteps`, 0);
    this.common = {
      batchSize, microBatchSize: micro,
      epochs: integer(opts.epochs ?? 1, `${kind}: epochs`, 1), maxSteps,
      seed: checkSeed(opts.seed ?? 0, `${kind}: seed`),
      shuffle: bool(opts.shuffle, `${kind}: shuffle`, true), dropLast: bool(opts.dropLast, `${kind}: dropLast`, false),
      logEvery: integer(opts.logEvery ?? 1, `${kind}: logEvery`, 1),
      evalEvery: integer(opts.evalEvery ?? 0, `${kind}: evalEvery`, 0),
      checkpointEvery: integer(opts.checkpointEvery ?? 0, `${kind}: checkpointEvery`, 0),
    };
    for (const [k, v] of [["onMetrics", opts.onMetrics], ["evaluate", opts.evaluate], ["onCheckpoint", opts.onCheckpoint], ["promptId", opts.promptId]] as const) {
      if (v !== undefined && typeof v !== "function") throw new ValueError(`${kind}: ${k} must be a function`);
    }
    if (opts.tokenizer !== undefined && !(opts.tokenizer instanceof Tokenizer)) throw new ValueError(`${kind}: tokenizer must be a Tokenizer`);
    if (opts.checkpointPath !== undefined && (typeof opts.checkpointPath !== "string" || !opts.checkpointPath)) throw new ValueError(`${kind}: checkpointPath must be a file path`);
    if (opts.metricsFile !== undefined) metricsFileOf(opts.metricsFile, kind);
    if (promptIdNeeded && model.config.promptVocab > 0 && !opts.promptId) throw new ValueError(`${kind}: the model has a prompt embedding; give promptId: (example) => id`);
    const o = opts.optimizer === undefined ? {} : checkOptions<OptimizerOptions>(opts.optimizer, `${kind}: optimizer`, ["lr", "beta1", "beta2", "eps", "weightDecay", "decay", "schedule", "clip"]);
    this.pad = opts.tokenizer?.pad ?? model.config.pad;
    this.model = model;
    this.optimizer = new AdamW(model, { ...o, accumulate: 1 });
    this.rng = new Rng(this.common.seed, 0x5452);
  }

  // ---- what subclasses supply ----

  /** The next step's batch (null: the data are exhausted). @internal */
  protected abstract nextBatch(): Promise<MB[] | null>;
  /** Denominators of the step's loss over all its micro-batches. @internal */
  protected abstract denominators(micro: readonly MB[]): Record<string, number>;
  /** Forward, loss (scaled by the micro-batch's share of `denom`) and, with `backward`, the
   *  backward pass into the trained models' gradients; the metric sums. @internal */
  protected abstract microStep(mb: MB, denom: Record<string, number>, backward: boolean): MetricSums;
  /** Held-out micro-batches (null: no built-in held-out loss). @internal */
  protected evalBatches(): MB[][] | null {
    return null;
  }
  /** The micro-batch step as a data-parallel worker rebuilds it (null: no data-parallel path).
   *  @internal */
  protected stepSpec(): StepSpec | null {
    return null;
  }
  /** The models the micro-batch step reads. @internal */
  protected stepModels(): StepModels {
    return { policy: this.model, value: null, reference: null, teacher: null };
  }
  /** A micro-batch as it travels to a worker (examples dropped, known reference scores
   *  resolved). @internal */
  protected wireMicro(mb: MB): MB {
    return mb;
  }
  /** Models updated by the optimizer steps (the policy first). @internal */
  protected trained(): Trained[] {
    return [{ name: "policy", model: this.model, optimizer: this.optimizer }];
  }
  /** After each optimizer step (reference syncs). @internal */
  protected afterStep(): void {}
  /** Step-level metrics of the last nextBatch (pairs built, …), merged into the row. @internal */
  protected takeStepMetrics(): Record<string, number> | null {
    return null;
  }
  /** Trainer-specific checkpoint state (JSON) and tensors. @internal */
  protected saveExtra(): { json: Record<string, unknown>; tensors: Record<string, Tensor> } {
    return { json: {}, tensors: {} };
  }
  /** Restore what saveExtra saved. @internal */
  protected loadExtra(_json: Record<string, unknown>, _tensors: Record<string, Tensor>): void {}
  /** Steps planned, when known. @internal */
  protected plannedSteps(): number {
    return this.common.maxSteps;
  }
  /** Free what the subclass owns. @internal */
  protected releaseExtra(): void {}

  // ---- data order (offline trainers and prompt sets) ----

  /** The next batch of indices into `n` items (epochs, shuffle, dropLast), or null at the end.
   *  `minSize`: a smaller last batch is dropped (KTO needs pairs). @internal */
  protected nextIndices(n: number, minSize = 1, groups?: ArrayLike<number>): Int32Array | null {
    const c = this.common;
    for (;;) {
      if (this.pos.epoch >= c.epochs) return null;
      const order = this.order(n);
      if (this.pos.offset >= n) {
        this.pos = { epoch: this.pos.epoch + 1, offset: 0 };
        continue;
      }
      let end = Math.min(n, this.pos.offset + c.batchSize);
      if (groups) {
        end = this.pos.offset + 1;
        const g = groups[order[this.pos.offset]];
        while (end < n && groups[order[end]] === g) end++;
      }
      const idx = order.slice(this.pos.offset, end);
      if (!groups && ((idx.length < c.batchSize && c.dropLast) || idx.length < minSize)) {
        this.pos = { epoch: this.pos.epoch + 1, offset: 0 };
        continue;
      }
      this.pos = { epoch: this.pos.epoch, offset: end };
      return idx;
    }
  }

  private order(n: number): Int32Array {
    if (this.orderCache && this.orderCache.epoch === this.pos.epoch && this.orderCache.order.length === n) return this.orderCache.order;
    const order = this.common.shuffle ? shuffledOrder(n, this.common.seed, this.pos.epoch) : Int32Array.from({ length: n }, (_, i) => i);
    this.orderCache = { epoch: this.pos.epoch, order };
    return order;
  }

  /** Split a step's items into micro-batches of ≤ microBatchSize (equal sizes but the last). @internal */
  protected chunk<T>(items: readonly T[]): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += this.common.microBatchSize) out.push(items.slice(i, i + this.common.microBatchSize));
    return out;
  }

  // ---- the seam ----

  /**
   * Gradients of the step's loss over `micro` (all of a step's micro-batches, or a data-parallel
   * worker's tree-aligned range of them), summed in the fixed tree order into each trained
   * model's gradient block (which it overwrites). `denom`: the step's denominators
   * (`denominators` over ALL the step's micro-batches, also on a worker). Returns each
   * micro-batch's metric sums, in order.
   */
  microBatchGradients(batches: readonly MicroBatch[], denom: Record<string, number>): MetricSums[] {
    return treeGradients(this.trained().map((t) => t.model), batches as readonly MB[], (mb) => this.microStep(mb, denom, true));
  }

  /** microBatchGradients over a pool: tree-aligned ranges on the workers, their sums added in
   *  the tree's order here. */
  private async poolGradients(pool: Executor, micro: readonly MB[], denom: Record<string, number>): Promise<MetricSums[]> {
    const step = this.stepSpec();
    if (step === null) throw new ValueError(`${this.kind}: this trainer has no data-parallel path (train it without a pool)`);
    const sm = this.stepModels();
    const trained = this.trained();
    const frozen: Array<{ role: string; model: LanguageModel; version: number }> = [];
    if (sm.reference) frozen.push({ role: "reference", model: sm.reference.model!, version: sm.reference.version });
    if (sm.teacher) frozen.push({ role: "teacher", model: sm.teacher, version: 0 });
    const r = (this.remote ??= { session: sessionId(), sent: null });
    const setup: ReplicaSetup = {
      kind: this.kind, step, trained: trained.map((t) => t.name), referenceMode: sm.reference ? sm.reference.mode : null,
      configs: Object.fromEntries([...trained.map((t) => [t.name, t.model.config]), ...frozen.map((f) => [f.role, f.model.config])]),
    };
    const lean: GradientTaskInput["params"] = {}, full: GradientTaskInput["params"] = {};
    for (const t of trained) lean[t.name] = full[t.name] = { version: this.stepCount, data: t.model.getParameters() };
    for (const f of frozen) {
      const data = r.sent?.[f.role] === f.version ? null : f.model.getParameters();
      lean[f.role] = data ? { version: f.version, data } : { version: f.version };
      full[f.role] = { version: f.version, data: data ?? f.model.getParameters() };
    }
    const first = r.sent === null;
    const ranges = treeRanges(micro.length, pool.size);
    const wire = micro.map((mb) => this.wireMicro(mb));
    const run = async ([a, b]: [number, number]): Promise<{ grads: Record<string, Float32Array>; metrics: MetricSums[] }> => {
      const base = { session: r.session, micro: wire.slice(a, b), denom };
      let out = await pool.run<GradientTaskOutput>(ALIGN_GRADIENTS_TASK, { ...base, ...(first ? { setup } : {}), params: lean } satisfies GradientTaskInput);
      // a worker that has not seen this trainer (or a replacement after a failure) asks for it
      if ("missing" in out) out = await pool.run<GradientTaskOutput>(ALIGN_GRADIENTS_TASK, { ...base, setup, params: full } satisfies GradientTaskInput);
      if ("missing" in out) throw new ValueError(`${this.kind}: a worker could not rebuild the trainer's step (missing ${out.missing})`);
      return out;
    };
    const outs = await Promise.all(ranges.map(run));
    r.sent = Object.fromEntries(frozen.map((f) => [f.role, f.version]));
    for (const t of trained) {
      const sum = new TreeSum();
      outs.forEach((o, i) => sum.push(o.grads[t.name], ranges[i][1] - ranges[i][0]));
      t.model.setGradients(sum.result()!);
    }
    return outs.flatMap((o) => o.metrics);
  }

  // ---- the loop ----

  /** Steps taken. */
  get steps(): number {
    return this.stepCount;
  }

  /** Run optimizer steps until the data (epochs) or `maxSteps` run out. */
  async train(run: TrainRunOptions = {}): Promise<TrainResult> {
    this.live();
    const r = checkOptions<TrainRunOptions>(run, `${this.kind}.train`, ["signal", "onProgress", "pool"]);
    if (r.signal !== undefined && typeof (r.signal as AbortSignal)?.throwIfAborted !== "function") throw new ValueError(`${this.kind}.train: signal must be an AbortSignal`);
    const pool = r.pool;
    if (pool !== undefined) {
      if (!pool || typeof pool.run !== "function" || !Number.isInteger(pool.size) || pool.size < 1) throw new ValueError(`${this.kind}.train: pool must be a WorkerPool or an InlinePool (an Executor: run(task, input) and size)`);
      if (this.stepSpec() === null) throw new ValueError(`${this.kind}.train: this trainer has no data-parallel path; train it without a pool`);
    }
    if (r.onProgress !== undefined && typeof r.onProgress !== "function") throw new ValueError(`${this.kind}.train: onProgress must be a function`);
    const c = this.common;
    const file = this.opts.metricsFile === undefined ? null : metricsFileOf(this.opts.metricsFile, this.kind);
    const writer = file ? new MetricsFile(file.path, file.overwrite) : null;
    await writer?.open(this.stepCount > 0 ? this.stepCount : null);
    const history: MetricsRow[] = [];
    const t0 = now();
    let tokens = 0, startStep = this.stepCount, lastYield = t0;
    const emit = async (row: MetricsRow) => {
      history.push(row);
      this.history.push(row);
      this.opts.onMetrics?.(row);
      await writer?.write(row);
    };
    try {
      for (;;) {
        // a macrotask now and then (every ~20 ms): timers, messages and abort events get to run
        if (now() - lastYield >= 20) {
          await yieldTask();
          lastYield = now();
        }
        r.signal?.throwIfAborted();
        if (this.stepCount >= c.maxSteps) break;
        const micro = await this.nextBatch();
        if (micro === null) break;
        // once a batch is drawn (the data position and the generator have moved), the step is
        // completed: the signal is honoured between steps only, so a checkpoint is always resumable
        let metrics: Record<string, number> = {};
        let infos: Array<{ name: string; info: StepInfo }> = [];
        if (micro.length > 0) { // an online step may find nothing to train on (all ties)
          const denom = this.denominators(micro);
          metrics = combineMetrics(pool ? await this.poolGradients(pool, micro, denom) : this.microBatchGradients(micro, denom));
          infos = this.stepOptimizers();
        }
        Object.assign(metrics, this.takeStepMetrics());
        this.stepCount++;
        this.afterStep();
        tokens += metrics.tokens ?? 0;
        const row = this.row(metrics, infos);
        if (this.stepCount % c.logEvery === 0) await emit(row);
        if (c.evalEvery > 0 && this.stepCount % c.evalEvery === 0) await emit(await this.evalRow());
        if (c.checkpointEvery > 0 && this.stepCount % c.checkpointEvery === 0) await this.saveCheckpoint();
        if (r.onProgress) {
          const el = now() - t0, done = this.stepCount - startStep, total = this.plannedSteps();
          r.onProgress({
            step: this.stepCount, totalSteps: Number.isFinite(total) ? total : NaN, epoch: this.pos.epoch, loss: row.loss ?? NaN,
            tokensPerSecond: el > 0 ? (tokens * 1000) / el : 0, elapsedMs: el,
            etaMs: Number.isFinite(total) && done > 0 ? ((total - this.stepCount) * el) / done : NaN,
          });
        }
      }
      if (c.evalEvery > 0 && this.lastEval !== this.stepCount && this.stepCount > startStep) await emit(await this.evalRow());
    } finally {
      await writer?.close();
    }
    return { steps: this.stepCount, epochs: Math.min(this.pos.epoch + 1, c.epochs), history, last: [...history].reverse().find((h) => !("eval/loss" in h) && h.loss !== undefined) ?? null };
  }

  private stepOptimizers(): Array<{ name: string; info: StepInfo }> {
    return this.trained().map((t) => {
      const info = t.optimizer.step();
      if (!Number.isFinite(info.gradNorm)) throw new NumericalError(`${this.kind}: the ${t.name}'s gradient is not finite at step ${this.stepCount + 1}`);
      return { name: t.name, info };
    });
  }

  private row(metrics: Record<string, number>, infos: Array<{ name: string; info: StepInfo }>): MetricsRow {
    const row: MetricsRow = { step: this.stepCount, epoch: this.pos.epoch };
    for (const [k, v] of Object.entries(metrics)) row[k] = v;
    for (const { name, info } of infos) {
      const p = name === "policy" ? "" : `${name}/`;
      row[`${p}lr`] = info.lr;
      row[`${p}grad_norm`] = info.gradNorm;
    }
    return row;
  }

  /** Evaluate now: the built-in held-out loss on `evalData` (`eval/loss` and the loss's metrics,
   *  no gradient) and the user's `evaluate` (`eval/<name>`). */
  async evaluate(): Promise<MetricsRow> {
    this.live();
    const out: MetricsRow = {};
    const batches = this.evalBatches();
    if (batches && batches.length) {
      const micro = batches.flat();
      const denom = this.denominators(micro);
      const m = combineMetrics(micro.map((mb) => this.microStep(mb, denom, false)));
      for (const [k, v] of Object.entries(m)) out[`eval/${k}`] = v;
    }
    if (this.opts.evaluate) {
      const u = await this.opts.evaluate({ model: this.model, step: this.stepCount });
      if (!u || typeof u !== "object") throw new ValueError(`${this.kind}: evaluate must return { name: number }`);
      for (const [k, v] of Object.entries(u)) {
        if (typeof v !== "number") throw new ValueError(`${this.kind}: evaluate returned ${k} = ${String(v)}; expected a number`);
        out[`eval/${k}`] = v;
      }
    }
    return out;
  }

  private async evalRow(): Promise<MetricsRow> {
    this.lastEval = this.stepCount;
    return { step: this.stepCount, epoch: this.pos.epoch, ...(await this.evaluate()) };
  }

  // ---- checkpoints ----

  /** The trainer's state as bytes (safetensors with a `seqlearn.checkpoint/1` tag): parameters
   *  and optimizer state of every trained model, the generator, the data position, the reference
   *  when the trainer owns it. `restore` on a trainer built with the same configuration resumes
   *  bit for bit. */
  checkpoint(): Uint8Array {
    this.live();
    const tensors: Record<string, Tensor> = {};
    const steps: Record<string, number> = {};
    for (const t of this.trained()) {
      const s = t.optimizer.getState();
      tensors[t.name] = { dtype: "F32", shape: [t.model.parameterCount], data: t.model.getParameters() };
      tensors[`${t.name}.adam.m`] = { dtype: "F32", shape: [s.m.length], data: s.m };
      tensors[`${t.name}.adam.v`] = { dtype: "F32", shape: [s.v.length], data: s.v };
      steps[t.name] = s.step;
    }
    tensors.rng = { dtype: "U8", shape: [32], data: this.rng.getState() };
    const extra = this.saveExtra();
    for (const [k, v] of Object.entries(extra.tensors)) tensors[`extra.${k}`] = v;
    const state = {
      kind: this.kind, step: this.stepCount, epoch: this.pos.epoch, offset: this.pos.offset, optimizerSteps: steps,
      models: Object.fromEntries(this.trained().map((t) => [t.name, t.model.config])), extra: extra.json,
    };
    return encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, "seqlearn.trainer": JSON.stringify(state) });
  }

  /** Resume from checkpoint() bytes (of a trainer of the same kind and model configurations). */
  restore(bytes: Uint8Array): void {
    this.live();
    const { tensors, metadata } = decodeSafetensors(bytes);
    if (metadata.format !== CHECKPOINT_FORMAT) throw new ModelFileError("bad-metadata", `not a trainer checkpoint: format ${JSON.stringify(metadata.format)}, expected "${CHECKPOINT_FORMAT}"`);
    let st: { kind: string; step: number; epoch: number; offset: number; optimizerSteps: Record<string, number>; models: Record<string, unknown>; extra: Record<string, unknown> };
    try {
      st = JSON.parse(metadata["seqlearn.trainer"] ?? "null");
    } catch (e) {
      throw new ModelFileError("bad-metadata", `seqlearn.trainer is not valid JSON (${(e as Error).message})`);
    }
    if (!st || st.kind !== this.kind) throw new ValueError(`restore: the checkpoint is a ${st?.kind} trainer's, this is a ${this.kind}`);
    for (const t of this.trained()) {
      if (JSON.stringify(st.models?.[t.name]) !== JSON.stringify(t.model.config)) throw new ValueError(`restore: the ${t.name} model's configuration differs from the checkpoint's`);
      const p = tensors[t.name], m = tensors[`${t.name}.adam.m`], v = tensors[`${t.name}.adam.v`];
      if (!p || !m || !v) throw new ModelFileError("bad-metadata", `the checkpoint has no ${t.name} tensors`);
      t.model.setParameters(p.data as Float32Array);
      t.optimizer.setState({ step: st.optimizerSteps[t.name], m: m.data as Float32Array, v: v.data as Float32Array });
    }
    const rs = tensors.rng;
    if (!rs || !(rs.data instanceof Uint8Array)) throw new ModelFileError("bad-metadata", "the checkpoint has no generator state");
    this.rng.setState(rs.data);
    const extra: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(tensors)) if (k.startsWith("extra.")) extra[k.slice(6)] = v;
    this.loadExtra(st.extra ?? {}, extra);
    this.stepCount = st.step;
    this.pos = { epoch: st.epoch, offset: st.offset };
    this.lastEval = -1;
  }

  private async saveCheckpoint(): Promise<void> {
    if (!this.opts.onCheckpoint && !this.opts.checkpointPath) return;
    const bytes = this.checkpoint();
    await this.opts.onCheckpoint?.(bytes, this.stepCount);
    if (this.opts.checkpointPath) await writeFileSafely(this.opts.checkpointPath, bytes, true);
  }

  /** Free the optimizers, the generator and what the trainer created (reference copies, value
   *  models it made); not the models passed in. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    for (const t of this.trained()) t.optimizer.dispose();
    this.rng.dispose();
    this.releaseExtra();
  }

  /** Same as dispose(), for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal */
  protected live(): void {
    if (this.disposedFlag) throw new ValueError(`${this.kind}: this trainer was disposed`);
  }
}

function bool(v: unknown, name: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw new ValueError(`${name} must be true or false, got ${String(v)}`);
  return v;
}

function metricsFileOf(v: TrainerOptions["metricsFile"], kind: string): { path: string; overwrite: boolean } {
  if (typeof v === "string" && v) return { path: v, overwrite: false };
  if (v && typeof v === "object") {
    const o = checkOptions<{ path: string; overwrite?: boolean }>(v, `${kind}: metricsFile`, ["path", "overwrite"]);
    if (typeof o.path === "string" && o.path) return { path: o.path, overwrite: bool(o.overwrite, `${kind}: metricsFile.overwrite`, false) };
  }
  throw new ValueError(`${kind}: metricsFile must be a path or { path, overwrite }`);
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

/** Yield to the event loop with an ordinary task, behind the messages already queued (a worker's
 *  "stop" message, a timer): setImmediate in Node, a MessageChannel message elsewhere. Not
 *  `scheduler.yield()`, whose continuation Chromium runs ahead of pending tasks of the same
 *  priority, so that a Web Worker's trainer would never see a message that aborts it. @internal */
export function yieldTask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === "function") return new Promise((r) => g.setImmediate!(r));
  if (typeof g.MessageChannel === "function") {
    return new Promise((r) => {
      const c = new g.MessageChannel!();
      c.port1.onmessage = () => {
        c.port1.close(); // a closed channel keeps no runtime alive
        r();
      };
      c.port2.postMessage(0);
    });
  }
  return new Promise((r) => setTimeout(r, 0));
}

/** CRC-32 of a model's parameters (to recognise a reference model on restore). @internal */
export function parameterCrc(model: LanguageModel): number {
  const p = model.getParameters();
  return crc32(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
}
