// The micro-batch steps of the trainers, written once: forward, the micro-batch's share of the
// step's loss and (with `backward`) the backward pass into the trained models' gradients. A
// trainer's microStep is `runStep(this.stepSpec(), this.stepModels(), …)`, and a data-parallel
// worker (sdk/align/tasks.ts) runs the same function on replicas of the same models, built from
// the same StepSpec: the gradients a worker returns are, bit for bit, the ones the trainer would
// have computed in its own thread.
//
// A StepSpec is plain JSON (it travels to workers once per trainer); StepModels are the models
// (and the reference) a step reads.
import { LanguageModel } from "../model.js";
import { unpairedLoss, droLoss, scatterSequenceGrad, tokenDivergence, type DivergenceType } from "../losses.js";
import { lmBatch } from "../data.js";
import { addMean, type MetricSums } from "./common.js";
import { pairMicroStep, type PairLossSpec, type PairMicro } from "./pairs.js";
import type { Reference } from "./reference.js";
import type { UnpairedMicro } from "./unpaired.js";
import type { SftMicro } from "./sft.js";
import type { DistillMicro } from "./distill.js";

/** KTO / APO-zero options of a step. @internal */
export interface KtoStepOptions {
  loss: "kto" | "apo_zero_unpaired";
  beta: number;
  desirableWeight: number;
  undesirableWeight: number;
}

/** DRO-V options of a step. @internal */
export interface DroStepOptions {
  tau: number;
  rescale: boolean;
  lengthNorm: boolean;
  /** V(x) from the policy's own value head (else from the separate value model). */
  shared: boolean;
}

/** Distillation options of a step. @internal */
export interface DistillStepOptions {
  divergence: DivergenceType;
  beta?: number;
  temperature: number;
}

/** What a trainer's micro-batch step computes (plain JSON). @internal */
export type StepSpec =
  | { kind: "sft" }
  | { kind: "pair"; loss: PairLossSpec }
  | { kind: "kto"; loss: KtoStepOptions }
  | { kind: "dro"; loss: DroStepOptions }
  | { kind: "distill"; loss: DistillStepOptions }
  | { kind: "multiturn"; pair: PairLossSpec | null; kto: KtoStepOptions | null };

/** The models a step reads (the policy is trained; `value` too, when there is one). @internal */
export interface StepModels {
  policy: LanguageModel;
  value: LanguageModel | null;
  reference: Reference | null;
  teacher: LanguageModel | null;
}

/** One micro-batch of any trainer (its concrete type follows the spec's kind). @internal */
type AnyMicro = SftMicro | PairMicro | UnpairedMicro | DistillMicro | { pair?: PairMicro; kto?: UnpairedMicro };

/** The micro-batch step of `spec` on `models`. @internal */
export function runStep(spec: StepSpec, models: StepModels, mb: AnyMicro, denom: Record<string, number>, backward: boolean): MetricSums {
  switch (spec.kind) {
    case "sft":
      return sftMicroStep(models.policy, mb as SftMicro, denom, backward);
    case "pair":
      return pairMicroStep(models.policy, models.reference, spec.loss, mb as PairMicro, denom, backward);
    case "kto":
      return ktoMicroStep(models.policy, models.reference!, spec.loss, mb as UnpairedMicro, denom, backward);
    case "dro":
      return droMicroStep(models.policy, models.value, models.reference!, spec.loss, mb as UnpairedMicro, denom, backward);
    case "distill":
      return distillMicroStep(models.policy, models.teacher!, spec.loss, mb as DistillMicro, denom, backward);
    case "multiturn": {
      const m = mb as { pair?: PairMicro; kto?: UnpairedMicro };
      if (m.kto) return ktoMicroStep(models.policy, models.reference!, spec.kto!, m.kto, denom, backward);
      return pairMicroStep(models.policy, models.reference, spec.pair!, m.pair!, denom, backward);
    }
  }
}

/** SFT: −Σ log p(trained tokens) / (the step's trained tokens). @internal */
export function sftMicroStep(model: LanguageModel, mb: SftMicro, denom: Record<string, number>, backward: boolean): MetricSums {
  const lp = model.logProbs(lmBatch(mb.rows, mb.promptIds ?? undefined));
  const N = Math.max(denom.tokens, 1);
  let s = 0;
  for (let i = 0; i < lp.sums.length; i++) s += lp.sums[i];
  if (backward) {
    const d = -1 / N;
    model.backward({ dlogp: Float64Array.from(mb.rows.mask, (m) => (m ? d : 0)) });
  }
  return { sums: { loss: -s / N, tokens: mb.tokens }, counts: {} };
}

/** KTO / APO-zero on one micro-batch: z0 from its mismatched rows (KTO; no gradient), the loss
 *  (its share of the step's mean over `denom.examples`), and with `backward` dℓ = m·g. @internal */
export function ktoMicroStep(model: LanguageModel, ref: Reference, o: KtoStepOptions, mb: UnpairedMicro, denom: Record<string, number>, backward: boolean): MetricSums {
  const m: MetricSums = { sums: {}, counts: {} };
  const N = denom.examples, B = mb.rows.rows;
  const batch = lmBatch(mb.rows, mb.promptIds ?? undefined);
  let z0: number | undefined;
  if (o.loss === "kto") {
    // z0 from the mismatched pairs, no gradient (their pass is not back-propagated)
    const klRef = ref.scores(mb.kl!, mb.promptIds, mb.klKeys);
    const s = model.logProbs(lmBatch(mb.kl!, mb.promptIds ?? undefined)).sums;
    let acc = 0;
    for (let i = 0; i < s.length; i++) acc += s[i] - klRef[i];
    z0 = Math.max(0, acc / s.length);
    addMean(m, "kl", z0, 1);
  }
  const refScores = ref.scores(mb.rows, mb.promptIds, mb.keys);
  const lp = model.logProbs(batch);
  const r = unpairedLoss(o.loss, { scores: lp.sums, refScores, labels: mb.labels, ...(z0 !== undefined ? { z0 } : {}) },
    { beta: o.beta, desirableWeight: o.desirableWeight, undesirableWeight: o.undesirableWeight, reduction: "sum" });
  m.sums.loss = r.loss / N;
  const nC = mb.labels.reduce((a, l) => a + (l ? 1 : 0), 0), nR = B - nC;
  addMean(m, "rewards/chosen", r.metrics["rewards/chosen"], nC);
  addMean(m, "rewards/rejected", r.metrics["rewards/rejected"], nR);
  addMean(m, "logps/chosen", r.metrics["logps/chosen"], nC);
  addMean(m, "logps/rejected", r.metrics["logps/rejected"], nR);
  m.sums.tokens = lp.counts.reduce((a, b) => a + b, 0);
  if (backward) model.backward({ dlogp: scatterSequenceGrad(r.g.map((g) => g / N), mb.rows.mask, { cols: mb.rows.cols }) });
  return m;
}

/** DRO-V on one micro-batch: ½(r − V(x) − τρ)² over the policy and the value model (`value`,
 *  or the policy's own value head when `o.shared`), its share of the step's mean. @internal */
export function droMicroStep(model: LanguageModel, value: LanguageModel | null, ref: Reference, o: DroStepOptions, mb: UnpairedMicro, denom: Record<string, number>, backward: boolean): MetricSums {
  const m: MetricSums = { sums: {}, counts: {} };
  const N = denom.examples, B = mb.rows.rows;
  const batch = lmBatch(mb.rows, mb.promptIds ?? undefined);
  let values: Float32Array;
  const refScores = ref.scores(mb.rows, mb.promptIds, mb.keys);
  if (!o.shared) values = value!.values(batch.inputs, mb.positions, value!.config.promptVocab > 0 ? { promptIds: batch.promptIds } : {});
  const lp = model.logProbs(batch);
  if (o.shared) values = model.values(null, mb.positions, { reuse: true });
  const r = droLoss({ scores: lp.sums, refScores, rewards: mb.labels, values: values!, tokens: lp.counts }, { tau: o.tau, rescale: o.rescale, lengthNorm: o.lengthNorm, reduction: "sum" });
  m.sums.loss = r.loss / N;
  for (const k of ["dro/mse", "values/mean", "rewards/mean", "rewards/implied"]) addMean(m, k, r.metrics[k], B);
  m.sums.tokens = lp.counts.reduce((a, b) => a + b, 0);
  if (backward) {
    const dlogp = scatterSequenceGrad(r.g.map((g) => g / N), mb.rows.mask, { cols: mb.rows.cols });
    const dvalues = r.gValue.map((g) => g / N);
    if (o.shared) model.backward({ dlogp, dvalues });
    else {
      model.backward({ dlogp });
      value!.backward({ dvalues });
    }
  }
  return m;
}

const SOURCES = ["dataset", "teacher", "student"] as const;

/** Distillation on one micro-batch: the token-level divergence between the teacher's and the
 *  student's next-token distributions at every trained position, summed and divided by the
 *  step's trained tokens. @internal */
export function distillMicroStep(student: LanguageModel, teacher: LanguageModel, o: DistillStepOptions, mb: DistillMicro, denom: Record<string, number>, backward: boolean): MetricSums {
  const N = Math.max(denom.tokens, 1);
  const sp = student.config.promptVocab > 0 && mb.promptIds ? { promptIds: mb.promptIds } : {};
  const tp = teacher.config.promptVocab > 0 && mb.promptIds ? { promptIds: mb.promptIds } : {};
  const inputs = lmBatch(mb.rows).inputs;
  const S = student.forward(inputs, { ...sp, logits: true })!;
  const T = teacher.logits(inputs, tp);
  const r = tokenDivergence(o.divergence, S, T, {
    vocab: student.vocab, mask: mb.rows.mask, temperature: o.temperature, reduction: "sum", ...(o.beta !== undefined ? { beta: o.beta } : {}),
  });
  const m: MetricSums = { sums: { loss: r.loss / N, tokens: mb.tokens }, counts: {} };
  for (const s of SOURCES) addMean(m, `source/${s}`, s === mb.source ? 1 : 0, 1);
  if (backward) {
    const d = r.dlogits as Float32Array;
    const inv = 1 / N;
    for (let i = 0; i < d.length; i++) d[i] *= inv;
    student.backward({ dlogits: d });
  }
  return m;
}
