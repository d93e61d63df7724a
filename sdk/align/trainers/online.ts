// Online preference training (TRL's OnlineDPOTrainer; RLHFlow's iterative DPO; online IPO of
// Calandriello et al. 2024 and Tang et al. 2024): every step samples k responses per prompt
// from the current policy, labels them (a reward function, a batched or asynchronous scorer,
// another model's value head, or a pairwise judge), builds pairs by a selection rule, and takes
// one step of any pairwise loss on them — the same pairwise step as the offline trainer. The
// pairs go to a replay log, which the offline trainer can replay (in order: the same run, bit
// for bit; shuffled: the coverage ablation of Tang et al. 2024).
import { ShapeError, ValueError } from "../../core/errors.js";
import { checkOptions } from "../../core/options.js";
import { integer, nonNegative, probability } from "../../core/validate.js";
import { LanguageModel } from "../model.js";
import { sample } from "../sample.js";
import type { Dataset, Example, PreferenceExample, Segment } from "../data.js";
import type { Tensor } from "../modelfile.js";
import { COMMON_KEYS, Trainer, examplesOf, checkLayouts, parameterCrc, type TrainerOptions, type ReferenceOptions, type MetricSums } from "./common.js";
import { Reference } from "./reference.js";
import { PAIR_CONFIG_KEYS, pairLossSpec, pairDenominators, type PairLossConfig, type PairLossSpec, type PairMicro } from "./pairs.js";
import { preferenceMicro } from "./preference.js";
import { runStep, type StepSpec, type StepModels } from "./steps.js";
import type { PromptWithId } from "../policy.js";

/** A prompt of the online trainers: a tokenised example (its prompt segment), text (BOS + the
 *  tokenizer's encoding), token ids, or either with a prompt id. */
export type OnlinePrompt = Example | string | ArrayLike<number> | PromptWithId;

/** How pairs are built from k scored responses of one prompt (RLHFlow's `run_dpo.py` rules):
 *  `max_min` best vs worst, `max_random` best vs a random other, `max_max` best vs second best,
 *  `random` two random responses ordered by score. Ties give no pair. */
export type PairSelection = "max_min" | "max_random" | "random" | "max_max";

/** How a pairwise judge's probability p = P(a ≻ b) becomes training pairs: `bernoulli` draws
 *  the label (default), `argmax` takes 1[p > ½] (½: both orders at weight ½, TRL-style hard
 *  labels), `soft` trains both orders with weights p and 1 − p (the soft labels of
 *  Calandriello et al. 2024). */
export type JudgeFeedback = "bernoulli" | "argmax" | "soft";

/** One entry of the replay log. */
export interface ReplayEntry {
  /** The step whose update used the pair (1-based). */
  step: number;
  /** Index of the prompt in the prompt set. */
  promptIndex: number;
  /** Prompt token ids. */
  prompt: Int32Array;
  /** Prompt id (models with a prompt embedding), or null. */
  promptId: number | null;
  /** The preferred response's tokens. */
  chosen: Int32Array;
  /** The other response's tokens. */
  rejected: Int32Array;
  /** The pair's weight (1, or the soft label). */
  weight: number;
}

/** Configuration of OnlineTrainer. */
export interface OnlineConfig extends TrainerOptions, PairLossConfig {
  /** The prompts; `batchSize` of them per step, in the seeded order, `epochs` passes. */
  prompts: Dataset | readonly OnlinePrompt[];
  /** Responses sampled per prompt. Default 2. */
  k?: number;
  /** Pair selection from k scored responses. Default "max_min". */
  selection?: PairSelection;
  /** A reward for one response (sync or async). */
  reward?: (prompt: Int32Array, completion: Int32Array, promptIndex: number) => number | Promise<number>;
  /** Rewards for a whole step's responses at once (sync or async), in order. */
  rewards?: (items: ReadonlyArray<{ prompt: Int32Array; completion: Int32Array; promptIndex: number }>) => ArrayLike<number> | Promise<ArrayLike<number>>;
  /** A reward model: another LanguageModel with a value head, read at each response's last token. */
  rewardModel?: LanguageModel;
  /** A pairwise judge P(a ≻ b | prompt) ∈ [0, 1] (sync or async); needs k = 2. */
  judge?: (prompt: Int32Array, a: Int32Array, b: Int32Array, promptIndex: number) => number | Promise<number>;
  /** The judge's labels. Default "bernoulli". */
  feedback?: JudgeFeedback;
  /** Subtracted from the score of a response that did not end with EOS (TRL
   *  `missing_eos_penalty`; checked on the response only). Default 0. */
  missingEosPenalty?: number;
  /** Tokens per sampled response (default: the context minus the prompt). */
  maxNewTokens?: number;
  /** Sampling temperature (default 1). */
  temperature?: number;
  /** End-of-sequence id (default: the tokenizer's EOS, else none). */
  eos?: number | null;
  /** The reference policy: "frozen" (default) or "previous" (synced every `syncEvery` steps). */
  reference?: ReferenceOptions;
  /** Keep the replay log (`replayLog`). Default true. */
  replay?: boolean;
}

const KEYS = [
  ...COMMON_KEYS, ...PAIR_CONFIG_KEYS, "prompts", "k", "selection", "reward", "rewards", "rewardModel", "judge", "feedback", "missingEosPenalty",
  "maxNewTokens", "temperature", "eos", "reference", "replay",
] as const;

/** A prompt, normalised. @internal */
export interface PromptItem {
  tokens: Int32Array;
  promptId: number | null;
  index: number;
}

/** Normalise a prompt set. @internal */
export function promptItems(prompts: Dataset | readonly OnlinePrompt[], model: LanguageModel, opts: TrainerOptions, where: string): PromptItem[] {
  const list: readonly OnlinePrompt[] = Array.isArray(prompts) ? prompts : examplesOf(prompts as Dataset, `${where}: prompts`);
  if (!Array.isArray(list) || list.length === 0) throw new ValueError(`${where}: prompts must be a non-empty array (or a Dataset)`);
  const PV = model.config.promptVocab;
  return list.map((p, i) => {
    let tokens: Int32Array, promptId: number | null = null;
    if (p && typeof p === "object" && "layout" in p && "prompt" in p) {
      tokens = (p as Example).prompt.tokens;
      if (PV > 0) {
        if (!opts.promptId) throw new ValueError(`${where}: the model has a prompt embedding; prompts[${i}] is an example, so give promptId: (example) => id (or pass { tokens, promptId })`);
        promptId = integer(opts.promptId((p as Example)), `${where}: promptId(line ${(p as Example).line})`, 0, PV - 1);
      }
    } else {
      let t: string | ArrayLike<number>;
      if (p && typeof p === "object" && "tokens" in p) {
        t = p.tokens;
        if (p.promptId !== undefined) promptId = integer(p.promptId, `${where}: prompts[${i}].promptId`, 0, Math.max(PV - 1, 0));
      } else t = p as string | ArrayLike<number>;
      if (typeof t === "string") {
        if (!opts.tokenizer) throw new ValueError(`${where}: text prompts need a tokenizer`);
        const e = opts.tokenizer.encode(t);
        tokens = new Int32Array(e.length + 1);
        tokens[0] = opts.tokenizer.bos;
        tokens.set(e, 1);
      } else if (t && typeof (t as ArrayLike<number>).length === "number") tokens = Int32Array.from(t as ArrayLike<number>);
      else throw new ValueError(`${where}: prompts[${i}] is not a prompt (an example, text, token ids, or { tokens, promptId })`);
      if (PV > 0 && promptId === null) throw new ValueError(`${where}: the model has a prompt embedding; prompts[${i}] needs { tokens, promptId }`);
    }
    if (tokens.length === 0) throw new ShapeError(`${where}: prompts[${i}] is empty`);
    for (let t = 0; t < tokens.length; t++) if (!(tokens[t] >= 0 && tokens[t] < model.vocab)) throw new ValueError(`${where}: prompts[${i}] token ${t} = ${tokens[t]} is outside the vocabulary [0, ${model.vocab})`);
    return { tokens, promptId, index: i };
  });
}

/** A preference example of a prompt and two responses (generated rows). @internal */
export function pairExample(prompt: Int32Array, chosen: Int32Array, rejected: Int32Array, line: number): PreferenceExample {
  const seg = (t: Int32Array, f: number): Segment => ({ tokens: t, trained: new Uint8Array(t.length).fill(f) });
  return { layout: "preference", line, prompt: seg(prompt, 0), chosen: seg(chosen, 1), rejected: seg(rejected, 1) };
}

/** Order k scores and pick pairs by a selection rule (indices into the k responses); ties give
 *  none. Draws from `rng` only for the random rules. @internal */
export function selectPair(scores: ArrayLike<number>, rule: PairSelection, below: (n: number) => number): [number, number] | null {
  const k = scores.length;
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b); // best first, stable
  let a: number, b: number;
  if (rule === "max_min") [a, b] = [order[0], order[k - 1]];
  else if (rule === "max_max") [a, b] = [order[0], order[1]];
  else if (rule === "max_random") {
    const r = below(k - 1);
    [a, b] = [order[0], order[1 + r]];
  } else {
    const i = below(k);
    let j = below(k - 1);
    if (j >= i) j++;
    [a, b] = scores[i] >= scores[j] ? [i, j] : [j, i];
  }
  return scores[a] > scores[b] ? [a, b] : null;
}

/**
 * Online preference training: each step samples `k` responses for each of `batchSize` prompts
 * from the current policy (the trainer's generator: seeded, checkpointed), scores them (`reward`,
 * `rewards`, `rewardModel`) and builds one pair per prompt by `selection`, or asks `judge` about
 * the two responses (k = 2) and labels them by `feedback`; then one step of the pairwise loss
 * (`loss`: online DPO `sigmoid`, online IPO `ipo` — summed, as TRL's online trainer, unless
 * `lengthNorm` — or any other) against the reference. Metrics: the pairwise loss's, plus
 * `objective/scores` (mean score of the samples), `scores_margin`, `pairs`, `ties`.
 *
 * ```ts
 * const t = new OnlineTrainer(model, { prompts, k: 4, selection: "max_min", reward: (p, y) => score(y), loss: "ipo", beta: 0.5 });
 * await t.train();
 * const replay = replayDataset(t.replayLog); // offline replay: PreferenceTrainer(model2, { data: replay.data, weights: replay.weights, groups: replay.groups, shuffle: false })
 * ```
 */
export class OnlineTrainer extends Trainer {
  /** Every pair trained on, in order (when `replay` is on). */
  readonly replayLog: ReplayEntry[] = [];
  private readonly ref: Reference;
  private readonly spec: PairLossSpec;
  private readonly prompts: PromptItem[];
  private readonly k: number;
  private readonly selection: PairSelection;
  private readonly feedback: JudgeFeedback;
  private readonly cfg: OnlineConfig;
  private readonly eos: number | null;
  private readonly penalty: number;
  private readonly keep: boolean;
  private stepExtra: Record<string, number> | null = null;
  private readonly rmCrc: number | null;
  private readonly evalPairs: PreferenceExample[] | null;

  constructor(model: LanguageModel, config: OnlineConfig) {
    const c = checkOptions<OnlineConfig>(config, "OnlineTrainer", KEYS);
    // promptId is needed only for Example prompts and evalData (checked where they are read):
    // prompts given as { tokens, promptId } carry their ids.
    super("OnlineTrainer", model, c, false);
    try {
      this.cfg = c;
      this.spec = pairLossSpec({ ...c, lengthNorm: c.lengthNorm ?? false }, "OnlineTrainer");
      this.prompts = promptItems(c.prompts, model, c, "OnlineTrainer");
      const labellers = (["reward", "rewards", "rewardModel", "judge"] as const).filter((k) => c[k] !== undefined);
      if (labellers.length !== 1) throw new ValueError(`OnlineTrainer: give exactly one of reward, rewards, rewardModel, judge${labellers.length ? ` (got ${labellers.join(", ")})` : ""}`);
      for (const k of ["reward", "rewards", "judge"] as const) if (c[k] !== undefined && typeof c[k] !== "function") throw new ValueError(`OnlineTrainer: ${k} must be a function`);
      if (c.rewardModel !== undefined && (!(c.rewardModel instanceof LanguageModel) || !c.rewardModel.config.valueHead)) throw new ValueError("OnlineTrainer: rewardModel must be a LanguageModel with a value head");
      this.rmCrc = c.rewardModel ? parameterCrc(c.rewardModel) : null;
      this.k = integer(c.k ?? 2, "k", 2, 1024);
      if (c.judge && this.k !== 2) throw new ValueError("OnlineTrainer: a pairwise judge compares two responses: k must be 2");
      if (c.feedback !== undefined && !c.judge) throw new ValueError("OnlineTrainer: feedback applies to a judge");
      if (c.selection !== undefined && c.judge) throw new ValueError("OnlineTrainer: selection applies to scored responses (reward, rewards, rewardModel), not to a judge");
      this.selection = c.selection ?? "max_min";
      if (!["max_min", "max_random", "random", "max_max"].includes(this.selection)) throw new ValueError(`OnlineTrainer: selection must be "max_min", "max_random", "random" or "max_max", got ${JSON.stringify(c.selection)}`);
      this.feedback = c.feedback ?? "bernoulli";
      if (!["bernoulli", "argmax", "soft"].includes(this.feedback)) throw new ValueError(`OnlineTrainer: feedback must be "bernoulli", "argmax" or "soft", got ${JSON.stringify(c.feedback)}`);
      this.eos = c.eos === undefined ? (c.tokenizer?.eos ?? null) : c.eos === null ? null : integer(c.eos, "eos", 0, model.vocab - 1);
      this.penalty = c.missingEosPenalty === undefined ? 0 : nonNegative(c.missingEosPenalty, "missingEosPenalty");
      if (this.penalty > 0 && this.eos === null) throw new ValueError("OnlineTrainer: missingEosPenalty needs an eos");
      if (c.temperature !== undefined) nonNegative(c.temperature, "temperature");
      this.keep = c.replay ?? true;
      this.evalPairs = c.evalData === undefined ? null : (examplesOf(c.evalData, "OnlineTrainer: evalData") as PreferenceExample[]);
      if (this.evalPairs && model.config.promptVocab > 0 && !c.promptId) throw new ValueError("OnlineTrainer: the model has a prompt embedding; evalData needs promptId: (example) => id");
      if (this.evalPairs) checkLayouts(this.evalPairs, ["preference"], "OnlineTrainer: evalData");
      this.ref = new Reference(model, c.reference, "OnlineTrainer", ["frozen", "previous"]);
    } catch (e) {
      super.dispose();
      throw e;
    }
  }

  /** @internal */
  protected async nextBatch(): Promise<PairMicro[] | null> {
    const idx = this.nextIndices(this.prompts.length);
    if (!idx) return null;
    const ps = Array.from(idx, (i) => this.prompts[i]);
    const k = this.k;
    const rows = ps.flatMap((p) => new Array<PromptItem>(k).fill(p));
    const maxPrompt = Math.max(...ps.map((p) => p.tokens.length));
    const room = this.model.context - maxPrompt;
    const maxNew = Math.min(this.cfg.maxNewTokens ?? room, room);
    if (maxNew < 1) throw new ShapeError(`OnlineTrainer: a prompt of ${maxPrompt} tokens leaves no room for a response in the context of ${this.model.context}`);
    const pids = this.model.config.promptVocab > 0 ? Int32Array.from(rows, (p) => p.promptId!) : null;
    const ys = sample(this.model, rows.map((p) => p.tokens), {
      rng: this.rng, maxNewTokens: maxNew, temperature: this.cfg.temperature ?? 1, eos: this.eos, ...(pids ? { promptIds: pids } : {}),
    }).completions;
    const pairs: Array<{ p: PromptItem; a: Int32Array; b: Int32Array; w: number }> = [];
    let ties = 0, scoreSum = 0, margin = 0, scored = 0;
    if (this.cfg.judge) {
      const probs = await Promise.all(ps.map((p, i) => this.cfg.judge!(p.tokens, ys[2 * i], ys[2 * i + 1], p.index)));
      ps.forEach((p, i) => {
        const v = probs[i];
        if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new ValueError(`OnlineTrainer: judge returned ${String(v)} for prompt ${p.index}; expected a probability in [0, 1]`);
        const a = ys[2 * i], b = ys[2 * i + 1];
        if (this.feedback === "soft") {
          if (v > 0) pairs.push({ p, a, b, w: v });
          if (v < 1) pairs.push({ p, a: b, b: a, w: 1 - v });
        } else if (this.feedback === "argmax") {
          if (v > 0.5) pairs.push({ p, a, b, w: 1 });
          else if (v < 0.5) pairs.push({ p, a: b, b: a, w: 1 });
          else pairs.push({ p, a, b, w: 0.5 }, { p, a: b, b: a, w: 0.5 });
        } else {
          const u = this.rng.uniform(1)[0];
          pairs.push(u < v ? { p, a, b, w: 1 } : { p, a: b, b: a, w: 1 });
        }
      });
    } else {
      const scores = await this.score(rows, ys);
      ps.forEach((p, i) => {
        const s = scores.subarray(i * k, (i + 1) * k);
        for (let j = 0; j < k; j++) scoreSum += s[j];
        scored += k;
        const pick = selectPair(s, this.selection, (n) => this.rng.below(n));
        if (!pick) {
          ties++;
          return;
        }
        margin += s[pick[0]] - s[pick[1]];
        pairs.push({ p, a: ys[i * k + pick[0]], b: ys[i * k + pick[1]], w: 1 });
      });
    }
    const step = this.steps + 1;
    this.stepExtra = { pairs: pairs.length, ties, "objective/scores": scored ? scoreSum / scored : NaN, scores_margin: pairs.length && !this.cfg.judge ? margin / pairs.length : NaN };
    if (this.keep) for (const q of pairs) this.replayLog.push({ step, promptIndex: q.p.index, prompt: q.p.tokens, promptId: q.p.promptId, chosen: q.a, rejected: q.b, weight: q.w });
    const ex = pairs.map((q) => pairExample(q.p.tokens, q.a, q.b, q.p.index + 1));
    const ids = new Map<Example, number>(ex.map((e, i) => [e as Example, pairs[i].p.promptId ?? 0]));
    const w = Float64Array.from(pairs, (q) => q.w);
    const pid = this.model.config.promptVocab > 0 ? (e: Example) => ids.get(e)! : undefined;
    return this.chunk(ex.map((_, i) => i)).map((c) => preferenceMicro(c.map((i) => ex[i]), c, w, this.pad, this.model, pid));
  }

  /** The scores of a step's responses (reward functions or the reward model), with the EOS penalty. */
  private async score(rows: readonly PromptItem[], ys: readonly Int32Array[]): Promise<Float64Array> {
    const c = this.cfg;
    let out: Float64Array;
    if (c.reward) out = Float64Array.from(await Promise.all(rows.map((p, i) => c.reward!(p.tokens, ys[i], p.index))));
    else if (c.rewards) {
      const r = await c.rewards(rows.map((p, i) => ({ prompt: p.tokens, completion: ys[i], promptIndex: p.index })));
      if (!r || r.length !== rows.length) throw new ShapeError(`OnlineTrainer: rewards returned ${r?.length} scores for ${rows.length} responses`);
      out = Float64Array.from(r);
    } else {
      const rm = c.rewardModel!;
      const lens = rows.map((p, i) => p.tokens.length + ys[i].length);
      const T = Math.max(...lens);
      if (T > rm.context) throw new ShapeError(`OnlineTrainer: a prompt and response of ${T} tokens exceed the reward model's context of ${rm.context}`);
      const data = new Int32Array(rows.length * T).fill(rm.config.pad);
      rows.forEach((p, i) => {
        data.set(p.tokens, i * T);
        data.set(ys[i], i * T + p.tokens.length);
      });
      const v = rm.values({ data, batch: rows.length, length: T }, lens.map((l) => l - 1), rm.config.promptVocab > 0 ? { promptIds: rows.map((p) => p.promptId ?? 0) } : {});
      out = Float64Array.from(v);
    }
    out.forEach((s, i) => {
      if (!Number.isFinite(s)) throw new ValueError(`OnlineTrainer: the score of response ${i % this.k} of prompt ${rows[i].index} is ${s}; expected a finite number`);
    });
    if (this.penalty > 0) ys.forEach((y, i) => {
      if (y[y.length - 1] !== this.eos) out[i] -= this.penalty;
    });
    return out;
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

  /** Held-out preference pairs: the pairwise loss and its metrics (`eval/rewards/accuracies` is
   *  the implicit reward's pairwise accuracy of Tang et al. 2024). @internal */
  protected evalBatches(): PairMicro[][] | null {
    if (!this.evalPairs?.length) return null;
    const out: PairMicro[][] = [];
    for (let s = 0; s < this.evalPairs.length; s += this.common.batchSize) {
      const ids = Array.from({ length: Math.min(this.common.batchSize, this.evalPairs.length - s) }, (_, k) => s + k);
      out.push(this.chunk(ids).map((c) => preferenceMicro(c.map((i) => this.evalPairs![i]), c.map((i) => -1 - i), null, this.pad, this.model, this.opts.promptId)));
    }
    return out;
  }

  /** @internal */
  protected takeStepMetrics(): Record<string, number> | null {
    const e = this.stepExtra;
    this.stepExtra = null;
    return e;
  }

  /** @internal */
  protected afterStep(): void {
    if (this.ref.mode === "previous" && this.steps % this.ref.syncEvery === 0) this.ref.sync(this.model);
  }

  /** @internal */
  protected saveExtra(): { json: Record<string, unknown>; tensors: Record<string, Tensor> } {
    const r = this.ref.save();
    return { json: { ...r.json, rewardModelCrc: this.rmCrc }, tensors: r.tensors };
  }

  /** @internal */
  protected loadExtra(json: Record<string, unknown>, tensors: Record<string, Tensor>): void {
    if (this.rmCrc !== null && json.rewardModelCrc !== this.rmCrc) throw new ValueError("restore: the reward model given differs from the one the checkpoint was trained with");
    this.ref.load(json, tensors);
  }

  /** @internal */
  protected plannedSteps(): number {
    return Math.min(this.common.maxSteps, Math.ceil(this.prompts.length / this.common.batchSize) * this.common.epochs);
  }

  /** @internal */
  protected releaseExtra(): void {
    this.ref?.dispose();
  }
}

/** What replayDataset returns: PreferenceTrainer's `data`, `weights`, `groups` and `promptId`. */
export interface ReplayData {
  /** The pairs as preference examples, in the log's order. */
  data: PreferenceExample[];
  /** Each pair's weight. */
  weights: Float64Array;
  /** Each pair's step (consecutive pairs of one step form one batch). */
  groups: Int32Array;
  /** The prompt id of one of these examples (models with a prompt embedding). */
  promptId: (e: Example) => number;
}

/** The replay log as offline training data: preference examples in the log's order (line = the
 *  entry's index + 1), their weights, and a group id per example (the step): give all three
 *  to PreferenceTrainer with `shuffle: false` to replay the online run step by step (the same
 *  updates, bit for bit, from the same initial model and options), or the examples alone,
 *  shuffled, for the coverage ablation. `promptId` maps the examples to their prompt ids. */
export function replayDataset(log: readonly ReplayEntry[]): ReplayData {
  if (!Array.isArray(log)) throw new ValueError("replayDataset: expected the replay log (an array of entries)");
  const data = log.map((e, i) => pairExample(e.prompt, e.chosen, e.rejected, i + 1));
  const ids = new Map<Example, number>(data.map((d, i) => [d as Example, log[i].promptId ?? 0]));
  return {
    data, weights: Float64Array.from(log, (e) => probability(e.weight, "weight")), groups: Int32Array.from(log, (e) => e.step),
    promptId: (e) => {
      const v = ids.get(e);
      if (v === undefined) throw new ValueError("replayDataset: promptId of an example that is not in this replay");
      return v;
    },
  };
}
