// Offline preference training on {prompt, chosen, rejected} pairs (Rafailov et al. 2023, DPO;
// Azar et al. 2024, IPO; and the other pairwise losses): TRL's DPOTrainer in shape.
import { ValueError } from "../../core/errors.js";
import { checkOptions } from "../../core/options.js";
import { LanguageModel } from "../model.js";
import type { Dataset, Example, PreferenceExample } from "../data.js";
import type { Tensor } from "../modelfile.js";
import { COMMON_KEYS, Trainer, examplesOf, checkLayouts, type TrainerOptions, type ReferenceOptions, type MetricSums } from "./common.js";
import { Reference, type RowKey } from "./reference.js";
import { PAIR_CONFIG_KEYS, pairLossSpec, pairDenominators, type PairLossConfig, type PairLossSpec, type PairMicro } from "./pairs.js";
import { padRows, promptIdsOf } from "./batches.js";
import { runStep, type StepSpec, type StepModels } from "./steps.js";

/** Configuration of PreferenceTrainer. */
export interface PreferenceConfig extends TrainerOptions, PairLossConfig {
  /** Preference pairs (layout "preference"; conversations keep their per-role masks: with
   *  multi-turn chosen / rejected transcripts this is M-DPO, Xiong et al. 2024). */
  data: Dataset | readonly Example[];
  /** The reference policy (default: a frozen copy of the model). */
  reference?: ReferenceOptions;
  /** A weight per example (default 1): the step's loss is Σ w·ℓ / Σ w (soft labels; the online
   *  trainer's replay log carries them). */
  weights?: ArrayLike<number>;
  /** A batch id per example: consecutive examples (in data order) with the same id form one
   *  step, instead of batchSize (the steps of an online run's replay log). Needs shuffle: false. */
  groups?: ArrayLike<number>;
}

const KEYS = [...COMMON_KEYS, ...PAIR_CONFIG_KEYS, "data", "reference", "weights", "groups"] as const;

/** Build the pairwise micro-batch of preference examples. @internal */
export function preferenceMicro(ex: readonly PreferenceExample[], index: ArrayLike<number>, weights: ArrayLike<number> | null, pad: number, model: LanguageModel,
  promptId: ((e: Example) => number) | undefined): PairMicro {
  let T = 1;
  for (const e of ex) T = Math.max(T, e.prompt.tokens.length + Math.max(e.chosen.tokens.length, e.rejected.tokens.length) - 1);
  const lines = ex.map((e) => e.line);
  const chosen = padRows(ex.map((e) => [e.prompt, e.chosen] as const), lines, pad, model.context, T);
  const rejected = padRows(ex.map((e) => [e.prompt, e.rejected] as const), lines, pad, model.context, T);
  const keys: RowKey[] = [
    ...ex.map((e, i) => ({ example: e as Example, part: "chosen" as const, key: `${index[i]}:c` })),
    ...ex.map((e, i) => ({ example: e as Example, part: "rejected" as const, key: `${index[i]}:r` })),
  ];
  return {
    chosen, rejected, promptIds: promptIdsOf(ex, promptId, model.config.promptVocab), keys,
    weights: weights ? Float64Array.from(ex, (_, i) => weights[index[i]]) : new Float64Array(ex.length).fill(1),
  };
}

/**
 * Offline preference training: each step takes `batchSize` pairs in the seeded order, scores
 * chosen and rejected responses under the policy (one forward pass over both) and the reference
 * (same masks), applies the pairwise loss chosen by `loss` (DPO `sigmoid` by default; IPO with
 * τ = `beta`, per-token averages unless `lengthNorm: false`; a weighted list such as MPO's
 * `["sigmoid", "bco_pair", "sft"]`), and takes an AdamW step. Metrics (TRL's names): `loss`,
 * `rewards/chosen`, `rewards/rejected`, `rewards/accuracies`, `rewards/margins`,
 * `logps/chosen`, `logps/rejected`, `tokens`, `lr`, `grad_norm`.
 *
 * ```ts
 * const trainer = new PreferenceTrainer(model, { data, loss: "ipo", beta: 0.1, batchSize: 8, seed: 1 });
 * await trainer.train();
 * ```
 */
export class PreferenceTrainer extends Trainer {
  /** The reference policy. @internal */
  protected readonly ref: Reference;
  private readonly spec: PairLossSpec;
  private readonly data: PreferenceExample[];
  private readonly weights: Float64Array | null;
  private readonly groups: ArrayLike<number> | null;
  private readonly evalData: PreferenceExample[] | null;

  constructor(model: LanguageModel, config: PreferenceConfig) {
    const c = checkOptions<PreferenceConfig>(config, "PreferenceTrainer", KEYS);
    super("PreferenceTrainer", model, c);
    try {
      this.spec = pairLossSpec(c, "PreferenceTrainer");
      const ex = examplesOf(c.data, "PreferenceTrainer: data");
      if (ex.length === 0) throw new ValueError("PreferenceTrainer: data has no examples");
      checkLayouts(ex, ["preference"], "PreferenceTrainer");
      this.data = ex as PreferenceExample[];
      this.weights = c.weights === undefined ? null : Float64Array.from(c.weights);
      if (this.weights) {
        if (this.weights.length !== ex.length) throw new ValueError(`PreferenceTrainer: weights has ${this.weights.length} entries for ${ex.length} examples`);
        this.weights.forEach((w, i) => {
          if (!(w >= 0 && Number.isFinite(w))) throw new ValueError(`PreferenceTrainer: weights[${i}] = ${w}; expected a finite number ≥ 0`);
        });
      }
      this.groups = c.groups ?? null;
      if (this.groups) {
        if (this.groups.length !== ex.length) throw new ValueError(`PreferenceTrainer: groups has ${this.groups.length} entries for ${ex.length} examples`);
        if (this.common.shuffle && c.shuffle !== false) throw new ValueError("PreferenceTrainer: groups keep the data's order: set shuffle: false");
      }
      this.evalData = c.evalData === undefined ? null : (examplesOf(c.evalData, "PreferenceTrainer: evalData") as PreferenceExample[]);
      if (this.evalData) checkLayouts(this.evalData, ["preference"], "PreferenceTrainer: evalData");
      this.ref = new Reference(model, c.reference, "PreferenceTrainer");
    } catch (e) {
      super.dispose();
      throw e;
    }
  }

  /** @internal */
  protected async nextBatch(): Promise<PairMicro[] | null> {
    const idx = this.nextIndices(this.data.length, 1, this.groups ?? undefined);
    if (!idx) return null;
    return this.chunk(Array.from(idx)).map((ids) => preferenceMicro(ids.map((i) => this.data[i]), ids, this.weights, this.pad, this.model, this.opts.promptId));
  }

  /** @internal */
  protected denominators(micro: readonly PairMicro[]): Record<string, number> {
    return pairDenominators(micro);
  }

  /** @internal */
  protected microStep(mb: PairMicro, denom: Record<string, number>, backward: boolean): MetricSums {
    return runStep(this.stepSpec(), this.stepModels(), mb, denom, backward);
  }

  /** @internal */
  protected stepSpec(): StepSpec {
    return { kind: "pair", loss: this.spec };
  }

  /** @internal */
  protected stepModels(): StepModels {
    return { ...super.stepModels(), reference: this.ref };
  }

  /** @internal */
  protected wireMicro(mb: PairMicro): PairMicro {
    return { ...mb, keys: this.ref.wireKeys(mb.keys) };
  }

  /** @internal */
  protected evalBatches(): PairMicro[][] | null {
    if (!this.evalData) return null;
    const out: PairMicro[][] = [];
    for (let s = 0; s < this.evalData.length; s += this.common.batchSize) {
      const ids = Array.from({ length: Math.min(this.common.batchSize, this.evalData.length - s) }, (_, k) => s + k);
      out.push(this.chunk(ids).map((c) => preferenceMicro(c.map((i) => this.evalData![i]), c.map((i) => -1 - i), null, this.pad, this.model, this.opts.promptId)));
    }
    return out;
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
    const per = Math.ceil(this.data.length / this.common.batchSize);
    return Math.min(this.common.maxSteps, this.groups ? NaN : per * this.common.epochs);
  }

  /** @internal */
  protected releaseExtra(): void {
    this.ref?.dispose();
  }
}
