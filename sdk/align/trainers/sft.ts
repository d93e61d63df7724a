// Supervised fine-tuning: the negative log-likelihood of the trained tokens (completions,
// assistant turns, text), averaged over every trained token of the step (TRL's SFTTrainer).
import { ValueError } from "../../core/errors.js";
import { checkOptions } from "../../core/options.js";
import { LanguageModel } from "../model.js";
import { type Dataset, type Example, type PaddedBatch, type SequenceExample } from "../data.js";
import { COMMON_KEYS, Trainer, examplesOf, checkLayouts, type TrainerOptions, type MetricSums } from "./common.js";
import { padRows, promptIdsOf, maskCounts } from "./batches.js";
import { runStep, type StepSpec } from "./steps.js";

/** Configuration of SftTrainer. */
export interface SftConfig extends TrainerOptions {
  /** Examples of layout "completion", "messages" or "text" (or "preference": the chosen
   *  responses, TRL's SFT on winners / Best-of-2; or "unpaired": the desirable completions). */
  data: Dataset | readonly Example[];
}

const KEYS = [...COMMON_KEYS, "data"] as const;

/** An SFT micro-batch. @internal */
export interface SftMicro {
  rows: PaddedBatch;
  promptIds: Int32Array | null;
  tokens: number;
}

/** The (prompt, trained response) of an example for SFT. @internal */
function sftPart(e: Example): [Example["prompt"], SequenceExample["completion"]] | null {
  switch (e.layout) {
    case "preference": return [e.prompt, e.chosen];
    case "unpaired": return e.label ? [e.prompt, e.completion] : null;
    default: return [e.prompt, e.completion];
  }
}

/**
 * Supervised fine-tuning: −Σ log p(trained tokens) / Σ trained tokens over each step (TRL's
 * `sft` loss, token-mean over the whole step, also across micro-batches). Metrics: `loss`,
 * `tokens`, `lr`, `grad_norm`.
 *
 * ```ts
 * const trainer = new SftTrainer(model, { data, batchSize: 16, epochs: 3, optimizer: { lr: 3e-3 } });
 * await trainer.train();
 * ```
 */
export class SftTrainer extends Trainer {
  private readonly data: Example[];
  private readonly evalData: Example[] | null;

  constructor(model: LanguageModel, config: SftConfig) {
    const c = checkOptions<SftConfig>(config, "SftTrainer", KEYS);
    super("SftTrainer", model, c);
    try {
      const ex = examplesOf(c.data, "SftTrainer: data");
      checkLayouts(ex, ["completion", "messages", "text", "preference", "unpaired"], "SftTrainer");
      this.data = ex.filter((e) => sftPart(e) !== null);
      if (this.data.length === 0) throw new ValueError("SftTrainer: data has no examples to train on");
      this.evalData = c.evalData === undefined ? null : examplesOf(c.evalData, "SftTrainer: evalData").filter((e) => sftPart(e) !== null);
    } catch (e) {
      super.dispose();
      throw e;
    }
  }

  private micro(ex: readonly Example[]): SftMicro {
    const rows = padRows(ex.map((e) => sftPart(e)!), ex.map((e) => e.line), this.pad, this.model.context);
    return { rows, promptIds: promptIdsOf(ex, this.opts.promptId, this.model.config.promptVocab), tokens: maskCounts(rows).reduce((a, b) => a + b, 0) };
  }

  /** @internal */
  protected async nextBatch(): Promise<SftMicro[] | null> {
    const idx = this.nextIndices(this.data.length);
    if (!idx) return null;
    return this.chunk(Array.from(idx, (i) => this.data[i])).map((ex) => this.micro(ex));
  }

  /** @internal */
  protected denominators(micro: readonly SftMicro[]): Record<string, number> {
    return { tokens: micro.reduce((a, m) => a + m.tokens, 0) };
  }

  /** @internal */
  protected microStep(mb: SftMicro, denom: Record<string, number>, backward: boolean): MetricSums {
    return runStep(this.stepSpec(), this.stepModels(), mb, denom, backward);
  }

  /** @internal */
  protected stepSpec(): StepSpec {
    return { kind: "sft" };
  }

  /** @internal */
  protected evalBatches(): SftMicro[][] | null {
    if (!this.evalData?.length) return null;
    const out: SftMicro[][] = [];
    for (let s = 0; s < this.evalData.length; s += this.common.batchSize) out.push(this.chunk(this.evalData.slice(s, s + this.common.batchSize)).map((ex) => this.micro(ex)));
    return out;
  }

  /** @internal */
  protected plannedSteps(): number {
    return Math.min(this.common.maxSteps, Math.ceil(this.data.length / this.common.batchSize) * this.common.epochs);
  }
}
