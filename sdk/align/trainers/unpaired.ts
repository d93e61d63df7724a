// Training on single responses with a label or a reward: KTO and APO-zero on thumbs up/down
// (Ethayarajh et al. 2024; D'Oosterlinck et al. 2024) and DRO-V on scalar rewards (Richemond et
// al. 2024), TRL's KTOTrainer in shape.
import { ValueError } from "../../core/errors.js";
import { checkOptions } from "../../core/options.js";
import { LanguageModel, configInput, type ModelConfigInput, type NormalizedModelConfig } from "../model.js";
import { AdamW } from "../optim.js";
import { ktoMismatchedPairs, ktoWeightBand, lossType } from "../losses.js";
import { type Dataset, type Example, type PaddedBatch, type Segment } from "../data.js";
import type { Tensor } from "../modelfile.js";
import { COMMON_KEYS, Trainer, examplesOf, checkLayouts, type TrainerOptions, type ReferenceOptions, type OptimizerOptions, type MetricSums, type Trained } from "./common.js";
import { Reference, type RowKey } from "./reference.js";
import { padRows, promptIdsOf } from "./batches.js";
import { runStep, type StepSpec, type StepModels } from "./steps.js";

/** The losses of UnpairedTrainer. */
export type UnpairedTrainerLoss = "kto" | "apo_zero_unpaired" | "dro";

/** Configuration of UnpairedTrainer. */
export interface UnpairedConfig extends TrainerOptions {
  /** Examples: "unpaired" {prompt, completion, label} (KTO, APO; for DRO the label is the
   *  reward 1/0), "reward" {prompt, completion, reward} (DRO), or "preference" pairs, split
   *  into a desirable and an undesirable example (as TRL's KTOTrainer does). */
  data: Dataset | readonly Example[];
  /** The loss: `kto` (default; alias `m-kto`), `apo_zero_unpaired`, or `dro` (DRO-V; alias `dro-v`). */
  loss?: UnpairedTrainerLoss | "m-kto" | "dro-v";
  /** β of KTO and APO (TRL `beta`). Default 0.1. Not for DRO (its coefficient is `tau`). */
  beta?: number;
  /** λ_D, KTO's weight of desirable examples (TRL `desirable_weight`). Default 1. */
  desirableWeight?: number;
  /** λ_U (TRL `undesirable_weight`). Default 1. */
  undesirableWeight?: number;
  /** τ of DRO: the KL regularisation (≈ the reward scale; 1 for {0, 1} rewards). Default 1. */
  tau?: number;
  /** DRO: divide the policy gradient by τ (the paper's practice). Default true. */
  rescale?: boolean;
  /** DRO: ρ per token (changes the fixed point; the paper sums). Default false. */
  lengthNorm?: boolean;
  /** DRO: V(x) from a separate value model ("separate", default: the paper's best, with its own
   *  optimizer) or from the policy's own value head ("shared": the single-net ablation). */
  value?: "separate" | "shared";
  /** DRO "separate": the value model (a LanguageModel with a value head). Default: a new model
   *  of the policy's configuration with `valueHead: true`, initialised from `seed`. */
  valueModel?: LanguageModel;
  /** DRO "separate": the value model's AdamW (default: the policy's `optimizer` options). */
  valueOptimizer?: OptimizerOptions;
  /** The reference policy (default: a frozen copy of the model). */
  reference?: ReferenceOptions;
}

const KEYS = [...COMMON_KEYS, "data", "loss", "beta", "desirableWeight", "undesirableWeight", "tau", "rescale", "lengthNorm", "value", "valueModel", "valueOptimizer", "reference"] as const;

/** One example as the trainer uses it. @internal */
export interface Item {
  example: Example;
  prompt: Segment;
  completion: Segment;
  /** 1/0 (KTO, APO) or the reward (DRO). */
  label: number;
  /** Stable index for the reference cache. */
  index: number;
}

/** @internal */
export interface UnpairedMicro {
  rows: PaddedBatch;
  kl: PaddedBatch | null;
  promptIds: Int32Array | null;
  labels: Float64Array;
  keys: RowKey[];
  klKeys: RowKey[];
  positions: Int32Array;
}

function itemsOf(ex: readonly Example[], dro: boolean, where: string): Item[] {
  const out: Item[] = [];
  ex.forEach((e) => {
    if (e.layout === "unpaired") out.push({ example: e, prompt: e.prompt, completion: e.completion, label: e.label ? 1 : 0, index: out.length });
    else if (e.layout === "reward") {
      if (!dro) throw new ValueError(`${where}: line ${e.line} has a reward; KTO and APO read labels (layout "unpaired"), DRO reads rewards`);
      out.push({ example: e, prompt: e.prompt, completion: e.completion, label: e.reward, index: out.length });
    } else if (e.layout === "preference") {
      out.push({ example: e, prompt: e.prompt, completion: e.chosen, label: 1, index: out.length });
      out.push({ example: e, prompt: e.prompt, completion: e.rejected, label: 0, index: out.length });
    }
  });
  return out;
}

/** The input form of a model's configuration, with a value head. */
function valueConfig(c: NormalizedModelConfig): ModelConfigInput {
  return { ...configInput(c), valueHead: true };
}

/** The micro-batch of unpaired items (with KTO's mismatched rows). @internal */
export function unpairedMicro(items: readonly Item[], kto: boolean, pad: number, model: LanguageModel, promptId: ((e: Example) => number) | undefined): UnpairedMicro {
  const lines = items.map((i) => i.example.line);
  const m = items.length;
  const j = kto ? ktoMismatchedPairs(m) : null;
  let T = 1;
  for (let i = 0; i < m; i++) {
    T = Math.max(T, items[i].prompt.tokens.length + items[i].completion.tokens.length - 1);
    if (j) T = Math.max(T, items[i].prompt.tokens.length + items[j[i]].completion.tokens.length - 1);
  }
  const rows = padRows(items.map((i) => [i.prompt, i.completion] as const), lines, pad, model.context, T);
  const kl = j ? padRows(items.map((it, i) => [it.prompt, items[j[i]].completion] as const), lines, pad, model.context, T) : null;
  return {
    rows, kl, promptIds: promptIdsOf(items.map((i) => i.example), promptId, model.config.promptVocab),
    labels: Float64Array.from(items, (i) => i.label),
    keys: items.map((i) => ({ example: i.example, part: i.example.layout === "preference" ? (i.label ? "chosen" : "rejected") : "completion", key: `${i.index}` } as RowKey)),
    klKeys: j ? items.map((it, i) => ({ example: null, part: "completion", key: `${it.index}:kl:${items[j[i]].index}` } as RowKey)) : [],
    positions: Int32Array.from(items, (i) => i.prompt.tokens.length - 1),
  };
}

/**
 * Unpaired training. `kto` (default): desirable examples cost λ_D·(1 − σ(β(ρ − z0))),
 * undesirable ones λ_U·(1 − σ(β(z0 − ρ))), with z0 = max(0, mean KL estimate) from mismatched
 * pairs inside each micro-batch (prompt i with the completion of example i − 1: TRL's rotation;
 * micro-batches hold ≥ 2 examples, a lone last example joins the previous micro-batch);
 * `apo_zero_unpaired` without z0; `dro`: DRO-V, ½(r − V(x) − τρ)² over the policy and a value
 * model with its own optimizer (its `lr` and `grad_norm` are logged as `value/lr`,
 * `value/grad_norm`). Mean over all examples of the step. Metrics: `loss`, `kl` (z0),
 * `rewards/chosen`, `rewards/rejected`, `rewards/margins`, `logps/chosen`, `logps/rejected`;
 * DRO: `loss`, `dro/mse`, `values/mean`, `rewards/mean`, `rewards/implied`.
 *
 * ```ts
 * const kto = new UnpairedTrainer(model, { data, loss: "kto", beta: 0.1, batchSize: 8 });
 * const dro = new UnpairedTrainer(model, { data: rewards, loss: "dro", tau: 1, valueOptimizer: { lr: 5e-3 } });
 * ```
 */
export class UnpairedTrainer extends Trainer {
  /** The loss. */
  readonly loss: UnpairedTrainerLoss;
  /** Warnings about the configuration (KTO's weight balance band). */
  readonly warnings: string[] = [];
  /** DRO "separate": the value model. */
  readonly valueModel: LanguageModel | null = null;
  private readonly ref: Reference;
  private readonly items: Item[];
  private readonly evalItems: Item[] | null;
  private readonly beta: number;
  private readonly wD: number;
  private readonly wU: number;
  private readonly tau: number;
  private readonly rescale: boolean;
  private readonly lengthNorm: boolean;
  private readonly shared: boolean;
  private readonly valueOpt: AdamW | null = null;
  private readonly ownsValue: boolean = false;

  constructor(model: LanguageModel, config: UnpairedConfig) {
    const c = checkOptions<UnpairedConfig>(config, "UnpairedTrainer", KEYS);
    super("UnpairedTrainer", model, c);
    try {
      const name = c.loss === undefined ? "kto" : lossType(String(c.loss));
      if (name !== "kto" && name !== "apo_zero_unpaired" && name !== "dro") throw new ValueError(`UnpairedTrainer: loss must be "kto", "apo_zero_unpaired" or "dro", got ${JSON.stringify(c.loss)}`);
      this.loss = name;
      const dro = name === "dro";
      const onlyDro = ["tau", "rescale", "lengthNorm", "value", "valueModel", "valueOptimizer"] as const;
      const onlyKto = ["beta", "desirableWeight", "undesirableWeight"] as const;
      for (const k of dro ? onlyKto : onlyDro) if (c[k] !== undefined) throw new ValueError(`UnpairedTrainer: ${k} applies to ${dro ? '"kto" / "apo_zero_unpaired"' : '"dro"'}, not "${name}"${k === "beta" ? " (DRO's coefficient is tau)" : k === "tau" ? " (KTO's coefficient is beta)" : ""}`);
      const pos = (v: number | undefined, d: number, n: string) => {
        if (v === undefined) return d;
        if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) throw new ValueError(`UnpairedTrainer: ${n} must be a finite number > 0, got ${String(v)}`);
        return v;
      };
      this.beta = pos(c.beta, 0.1, "beta");
      this.wD = pos(c.desirableWeight, 1, "desirableWeight");
      this.wU = pos(c.undesirableWeight, 1, "undesirableWeight");
      this.tau = pos(c.tau, 1, "tau");
      this.rescale = c.rescale ?? true;
      this.lengthNorm = c.lengthNorm ?? false;
      const ex = examplesOf(c.data, "UnpairedTrainer: data");
      checkLayouts(ex, dro ? ["unpaired", "reward"] : ["unpaired", "preference"], "UnpairedTrainer");
      this.items = itemsOf(ex, dro, "UnpairedTrainer");
      if (this.items.length < 2) throw new ValueError("UnpairedTrainer: data needs at least 2 examples");
      if (!dro && this.common.microBatchSize < 2) throw new ValueError("UnpairedTrainer: KTO estimates z0 inside each micro-batch: microBatchSize must be ≥ 2");
      this.evalItems = c.evalData === undefined ? null : itemsOf(examplesOf(c.evalData, "UnpairedTrainer: evalData"), dro, "UnpairedTrainer: evalData");
      if (name === "kto") {
        const nD = this.items.filter((i) => i.label).length;
        const band = ktoWeightBand(nD, this.items.length - nD, { desirableWeight: this.wD, undesirableWeight: this.wU });
        if (band.message) this.warnings.push(band.message);
      }
      this.shared = (c.value ?? "separate") === "shared";
      if (c.value !== undefined && c.value !== "separate" && c.value !== "shared") throw new ValueError(`UnpairedTrainer: value must be "separate" or "shared", got ${JSON.stringify(c.value)}`);
      if (dro && this.shared) {
        if (c.valueModel !== undefined || c.valueOptimizer !== undefined) throw new ValueError('UnpairedTrainer: value "shared" reads the policy\'s own value head; valueModel and valueOptimizer are for "separate"');
        if (!model.config.valueHead) throw new ValueError('UnpairedTrainer: value "shared" needs a policy with a value head (valueHead: true)');
      }
      if (dro && !this.shared) {
        if (c.valueModel !== undefined) {
          if (!(c.valueModel instanceof LanguageModel) || !c.valueModel.config.valueHead) throw new ValueError("UnpairedTrainer: valueModel must be a LanguageModel with a value head");
          if (c.valueModel === model) throw new ValueError('UnpairedTrainer: valueModel is the policy; use value: "shared" for a shared network');
          this.valueModel = c.valueModel;
        } else {
          this.valueModel = LanguageModel.create(valueConfig(model.config), { seed: this.common.seed });
          this.ownsValue = true;
        }
        const vo = c.valueOptimizer === undefined ? (c.optimizer ?? {}) : checkOptions<OptimizerOptions>(c.valueOptimizer, "UnpairedTrainer: valueOptimizer", ["lr", "beta1", "beta2", "eps", "weightDecay", "decay", "schedule", "clip"]);
        this.valueOpt = new AdamW(this.valueModel, { ...vo, accumulate: 1 });
      }
      this.ref = new Reference(model, c.reference, "UnpairedTrainer");
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  private micro(items: readonly Item[]): UnpairedMicro {
    return unpairedMicro(items, this.loss === "kto", this.pad, this.model, this.opts.promptId);
  }

  /** Micro-batches of a step's items; KTO never leaves one example alone. */
  private split(items: Item[]): UnpairedMicro[] {
    const parts = this.chunk(items);
    if (this.loss === "kto" && parts.length > 1 && parts[parts.length - 1].length < 2) parts[parts.length - 2].push(...parts.pop()!);
    return parts.map((p) => this.micro(p));
  }

  /** @internal */
  protected async nextBatch(): Promise<UnpairedMicro[] | null> {
    const idx = this.nextIndices(this.items.length, this.loss === "kto" ? 2 : 1);
    if (!idx) return null;
    return this.split(Array.from(idx, (i) => this.items[i]));
  }

  /** @internal */
  protected denominators(micro: readonly UnpairedMicro[]): Record<string, number> {
    return { examples: micro.reduce((a, m) => a + m.rows.rows, 0) };
  }

  /** @internal */
  protected microStep(mb: UnpairedMicro, denom: Record<string, number>, backward: boolean): MetricSums {
    return runStep(this.stepSpec(), this.stepModels(), mb, denom, backward);
  }

  /** @internal */
  protected stepSpec(): StepSpec {
    if (this.loss === "dro") return { kind: "dro", loss: { tau: this.tau, rescale: this.rescale, lengthNorm: this.lengthNorm, shared: this.shared } };
    return { kind: "kto", loss: { loss: this.loss, beta: this.beta, desirableWeight: this.wD, undesirableWeight: this.wU } };
  }

  /** @internal */
  protected stepModels(): StepModels {
    return { ...super.stepModels(), value: this.valueModel, reference: this.ref };
  }

  /** @internal */
  protected wireMicro(mb: UnpairedMicro): UnpairedMicro {
    return { ...mb, keys: this.ref.wireKeys(mb.keys), klKeys: this.ref.wireKeys(mb.klKeys) };
  }

  /** @internal */
  protected evalBatches(): UnpairedMicro[][] | null {
    if (!this.evalItems?.length) return null;
    const out: UnpairedMicro[][] = [];
    for (let s = 0; s < this.evalItems.length; s += this.common.batchSize) {
      const part = this.evalItems.slice(s, s + this.common.batchSize).map((i) => ({ ...i, index: -1 - i.index }));
      if (this.loss === "kto" && part.length < 2) break;
      out.push(this.split(part));
    }
    return out;
  }

  /** @internal */
  protected trained(): Trained[] {
    const t = super.trained();
    if (this.valueModel && this.valueOpt) t.push({ name: "value", model: this.valueModel, optimizer: this.valueOpt });
    return t;
  }

  /** @internal */
  protected afterStep(): void {
    if (this.ref.mode === "previous" && this.steps % this.ref.syncEvery === 0) this.ref.sync(this.model);
  }

  /** @internal */
  protected saveExtra(): { json: Record<string, unknown>; tensors: Record<string, Tensor> } {
    return this.ref.save();
  }

  /** @internal */
  protected loadExtra(json: Record<string, unknown>, tensors: Record<string, Tensor>): void {
    this.ref.load(json, tensors);
  }

  /** @internal */
  protected plannedSteps(): number {
    return Math.min(this.common.maxSteps, Math.ceil(this.items.length / this.common.batchSize) * this.common.epochs);
  }

  /** @internal */
  protected releaseExtra(): void {
    this.ref?.dispose();
    if (this.ownsValue) this.valueModel?.dispose();
  }
}
