// Knowledge distillation with token-level divergences along a data source (Agarwal et al. 2024,
// GKD; Tiapkin et al. 2025, teacher hacking): forward KL, reverse KL or the generalised JSD
// between the teacher's and the student's next-token distributions, at every trained position
// of sequences from a fixed dataset, from the teacher (sequence-level KD), from the student
// (on-policy, GKD's λ), or a per-step mixture of the three.
import { ValueError } from "../../core/errors.js";
import { checkOptions } from "../../core/options.js";
import { integer, nonNegative } from "../../core/validate.js";
import { LanguageModel } from "../model.js";
import { sample } from "../sample.js";
import { tokenDivergence, lossType, type DivergenceType } from "../losses.js";
import { type Dataset, type Example, type PaddedBatch, type Segment } from "../data.js";
import type { Tensor } from "../modelfile.js";
import { COMMON_KEYS, Trainer, examplesOf, checkLayouts, parameterCrc, type TrainerOptions, type MetricSums } from "./common.js";
import { padRows, promptIdsOf, maskCounts } from "./batches.js";
import { runStep, type StepSpec, type StepModels } from "./steps.js";

/** Where the sequences of a distillation step come from. */
export type DistillSource = "dataset" | "teacher" | "student";

/** Configuration of DistillTrainer. */
export interface DistillConfig extends TrainerOptions {
  /** The teacher (frozen; same vocabulary as the student). */
  teacher: LanguageModel;
  /** Prompts, with completions for the "dataset" source: layouts "completion", "messages",
   *  "text" (prompt BOS), "preference" (chosen), "unpaired". */
  data: Dataset | readonly Example[];
  /** The divergence, named by direction (T the teacher, S the student): `fkl` KL(T‖S), `rkl`
   *  KL(S‖T), `gjsd` β·KL(T‖M) + (1−β)·KL(S‖M) (aliases `forward-kl`, `reverse-kl`, `jsd`).
   *  Default "gjsd" with β = 0.5 (TRL's GKD). */
  loss?: DivergenceType | "forward-kl" | "reverse-kl" | "jsd";
  /** β of `gjsd` in [0, 1] (0: forward KL, 1: reverse KL). Default 0.5. */
  beta?: number;
  /** Softmax temperature of both models inside the loss (TRL GKD `temperature`). Default 1. */
  temperature?: number;
  /** The data source of every step: one of "dataset" (default; the data's completions, fixed),
   *  "teacher" (fresh teacher samples), "student" (fresh student samples, on-policy), or the
   *  weights of a mixture drawn per step, e.g. { student: 0.5, dataset: 0.5 } (GKD's λ = 0.5). */
  source?: DistillSource | Partial<Record<DistillSource, number>>;
  /** Tokens sampled per completion (teacher / student sources). Default: the context minus the prompt. */
  maxNewTokens?: number;
  /** Sampling temperature of generated completions (TRL GKD: 0.9). Default 1. */
  sampleTemperature?: number;
  /** End-of-sequence id of generated completions (default: the tokenizer's EOS, else none). */
  eos?: number | null;
}

const KEYS = [...COMMON_KEYS, "teacher", "data", "loss", "beta", "temperature", "source", "maxNewTokens", "sampleTemperature", "eos"] as const;
const SOURCES: readonly DistillSource[] = ["dataset", "teacher", "student"];

/** @internal */
export interface DistillMicro {
  rows: PaddedBatch;
  promptIds: Int32Array | null;
  tokens: number;
  source: DistillSource;
}

function completionOf(e: Example): Segment | null {
  switch (e.layout) {
    case "preference": return e.chosen;
    case "unpaired": return e.label ? e.completion : null;
    default: return e.completion;
  }
}

/**
 * Distillation: each step takes `batchSize` prompts in the seeded order, gets their sequences
 * from the step's source (the data's completions, or completions sampled now from the teacher or
 * the student with the trainer's generator — no gradient through sampling), teacher-forces both
 * models on them and minimises the token-level divergence over the full vocabulary at every
 * trained position, averaged over the step's trained tokens (GKD's reduction). Metrics: `loss`,
 * `tokens`, `source/dataset`, `source/teacher`, `source/student` (the fraction of steps), `lr`,
 * `grad_norm`.
 *
 * ```ts
 * const trainer = new DistillTrainer(student, { teacher, data, loss: "fkl", source: { student: 0.5, dataset: 0.5 } });
 * await trainer.train();
 * ```
 */
export class DistillTrainer extends Trainer {
  /** The teacher. */
  readonly teacher: LanguageModel;
  private readonly divergence: DivergenceType;
  private readonly beta: number | undefined;
  private readonly temperature: number;
  private readonly weights: Record<DistillSource, number>;
  private readonly data: Example[];
  private readonly evalData: Example[] | null;
  private readonly maxNew: number | undefined;
  private readonly sampleTemp: number;
  private readonly eos: number | null;
  private readonly teacherCrc: number;

  constructor(student: LanguageModel, config: DistillConfig) {
    const c = checkOptions<DistillConfig>(config, "DistillTrainer", KEYS);
    super("DistillTrainer", student, c);
    try {
      if (!(c.teacher instanceof LanguageModel)) throw new ValueError("DistillTrainer: teacher must be a LanguageModel");
      c.teacher.check();
      if (c.teacher === student) throw new ValueError("DistillTrainer: the teacher is the student");
      if (c.teacher.vocab !== student.vocab) throw new ValueError(`DistillTrainer: the teacher's vocabulary (${c.teacher.vocab}) differs from the student's (${student.vocab})`);
      if (c.teacher.config.promptVocab > 0 && !c.promptId) throw new ValueError("DistillTrainer: the teacher has a prompt embedding; give promptId");
      this.teacher = c.teacher;
      this.teacherCrc = parameterCrc(c.teacher);
      const name = c.loss === undefined ? "gjsd" : lossType(String(c.loss));
      if (name !== "fkl" && name !== "rkl" && name !== "gjsd") throw new ValueError(`DistillTrainer: loss must be "fkl", "rkl" or "gjsd", got ${JSON.stringify(c.loss)}`);
      this.divergence = name;
      if (c.beta !== undefined && name !== "gjsd") throw new ValueError(`DistillTrainer: beta is the mixture weight of "gjsd"; "${name}" has none`);
      this.beta = name === "gjsd" ? (c.beta ?? 0.5) : undefined;
      if (this.beta !== undefined && !(this.beta >= 0 && this.beta <= 1)) throw new ValueError(`DistillTrainer: beta must be in [0, 1], got ${this.beta}`);
      this.temperature = c.temperature ?? 1;
      const src = c.source ?? "dataset";
      if (typeof src === "string") {
        if (!SOURCES.includes(src)) throw new ValueError(`DistillTrainer: source must be one of ${SOURCES.join(", ")} or { dataset, teacher, student } weights, got ${JSON.stringify(src)}`);
        this.weights = { dataset: 0, teacher: 0, student: 0, [src]: 1 };
      } else {
        const w = checkOptions<Partial<Record<DistillSource, number>>>(src, "DistillTrainer: source", SOURCES);
        this.weights = { dataset: nonNegative(w.dataset ?? 0, "source.dataset"), teacher: nonNegative(w.teacher ?? 0, "source.teacher"), student: nonNegative(w.student ?? 0, "source.student") };
        if (!(this.weights.dataset + this.weights.teacher + this.weights.student > 0)) throw new ValueError("DistillTrainer: the source weights must not all be 0");
      }
      const ex = examplesOf(c.data, "DistillTrainer: data");
      checkLayouts(ex, ["completion", "messages", "text", "preference", "unpaired"], "DistillTrainer");
      this.data = ex.filter((e) => completionOf(e) !== null || this.weights.dataset === 0);
      if (this.data.length === 0) throw new ValueError("DistillTrainer: data has no examples");
      this.evalData = c.evalData === undefined ? null : examplesOf(c.evalData, "DistillTrainer: evalData").filter((e) => completionOf(e) !== null);
      this.maxNew = c.maxNewTokens === undefined ? undefined : integer(c.maxNewTokens, "maxNewTokens", 1);
      this.sampleTemp = c.sampleTemperature === undefined ? 1 : nonNegative(c.sampleTemperature, "sampleTemperature");
      this.eos = c.eos === undefined ? (c.tokenizer?.eos ?? null) : c.eos;
      // validate the loss options once
      tokenDivergence(this.divergence, new Float32Array(2), new Float32Array(2), { vocab: 2, temperature: this.temperature, ...(this.beta !== undefined ? { beta: this.beta } : {}) });
    } catch (e) {
      super.dispose();
      throw e;
    }
  }

  private pickSource(): DistillSource {
    const w = this.weights;
    const total = w.dataset + w.teacher + w.student;
    const active = SOURCES.filter((s) => w[s] > 0);
    if (active.length === 1) return active[0];
    const u = this.rng.uniform(1)[0] * total;
    let c = 0;
    for (const s of SOURCES) {
      c += w[s];
      if (u < c) return s;
    }
    return active[active.length - 1];
  }

  private micro(ex: readonly Example[], completions: Segment[], source: DistillSource): DistillMicro {
    const rows = padRows(ex.map((e, i) => [e.prompt, completions[i]] as const), ex.map((e) => e.line), this.pad, Math.min(this.model.context, this.teacher.context));
    return { rows, promptIds: promptIdsOf(ex, this.opts.promptId, Math.max(this.model.config.promptVocab, this.teacher.config.promptVocab)), tokens: maskCounts(rows).reduce((a, b) => a + b, 0), source };
  }

  /** @internal */
  protected async nextBatch(): Promise<DistillMicro[] | null> {
    const idx = this.nextIndices(this.data.length);
    if (!idx) return null;
    const ex = Array.from(idx, (i) => this.data[i]);
    const source = this.pickSource();
    let completions: Segment[];
    if (source === "dataset") completions = ex.map((e) => completionOf(e)!);
    else {
      const gen = source === "teacher" ? this.teacher : this.model;
      const ctx = Math.min(this.model.context, this.teacher.context);
      const maxPrompt = Math.max(...ex.map((e) => e.prompt.tokens.length));
      const maxNew = Math.min(this.maxNew ?? ctx - maxPrompt, ctx - maxPrompt);
      if (maxNew < 1) throw new ValueError(`DistillTrainer: a prompt of ${maxPrompt} tokens leaves no room for a completion in the context`);
      const pids = promptIdsOf(ex, this.opts.promptId, gen.config.promptVocab);
      const r = sample(gen, ex.map((e) => e.prompt.tokens), {
        rng: this.rng, maxNewTokens: maxNew, temperature: this.sampleTemp, eos: this.eos, ...(pids ? { promptIds: pids } : {}),
      });
      completions = r.completions.map((y) => ({ tokens: y, trained: new Uint8Array(y.length).fill(1) }));
    }
    return this.chunk(ex.map((e, i) => i)).map((ids) => this.micro(ids.map((i) => ex[i]), ids.map((i) => completions[i]), source));
  }

  /** @internal */
  protected denominators(micro: readonly DistillMicro[]): Record<string, number> {
    return { tokens: micro.reduce((a, m) => a + m.tokens, 0) };
  }

  /** @internal */
  protected microStep(mb: DistillMicro, denom: Record<string, number>, backward: boolean): MetricSums {
    return runStep(this.stepSpec(), this.stepModels(), mb, denom, backward);
  }

  /** @internal */
  protected stepSpec(): StepSpec {
    return { kind: "distill", loss: { divergence: this.divergence, temperature: this.temperature, ...(this.beta !== undefined ? { beta: this.beta } : {}) } };
  }

  /** @internal */
  protected stepModels(): StepModels {
    return { ...super.stepModels(), teacher: this.teacher };
  }

  /** @internal */
  protected evalBatches(): DistillMicro[][] | null {
    if (!this.evalData?.length) return null;
    const out: DistillMicro[][] = [];
    for (let s = 0; s < this.evalData.length; s += this.common.batchSize) {
      const ex = this.evalData.slice(s, s + this.common.batchSize);
      out.push(this.chunk(ex).map((part) => this.micro(part, part.map((e) => completionOf(e)!), "dataset")));
    }
    return out;
  }

  /** @internal */
  protected saveExtra(): { json: Record<string, unknown>; tensors: Record<string, Tensor> } {
    return { json: { teacherCrc: this.teacherCrc }, tensors: {} };
  }

  /** @internal */
  protected loadExtra(json: Record<string, unknown>): void {
    if (json.teacherCrc !== parameterCrc(this.teacher)) throw new ValueError("restore: the teacher given differs from the one the checkpoint was trained with");
  }

  /** @internal */
  protected plannedSteps(): number {
    return Math.min(this.common.maxSteps, Math.ceil(this.data.length / this.common.batchSize) * this.common.epochs);
  }
}
