// Multi-turn training against an environment (Xiong et al. 2024, iterative M-DPO / M-KTO for
// tool-integrated agents): each iteration rolls the policy out on a set of prompts — the policy
// writes an action (tokens up to EOS), the environment answers with an observation (or ends
// the episode with a reward), for at most `maxTurns` turns — then trains on the transcripts with
// a mask that keeps only the policy's own tokens: M-DPO on (correct, incorrect) pairs of the
// same prompt with the pairwise step, or M-KTO on labelled transcripts with the KTO step. The
// reference is the previous iterate by default (π_ref,t = π_{t−1}).
import { ValueError } from "../../core/errors.js";
import { checkOptions } from "../../core/options.js";
import { integer, nonNegative, probability } from "../../core/validate.js";
import { shuffledOrder, type Dataset, type Example, type PreferenceExample, type Segment, type UnpairedExample } from "../data.js";
import { LanguageModel } from "../model.js";
import { sample } from "../sample.js";
import type { Tensor } from "../modelfile.js";
import { COMMON_KEYS, Trainer, examplesOf, checkLayouts, type TrainerOptions, type ReferenceOptions, type MetricSums } from "./common.js";
import { Reference } from "./reference.js";
import { PAIR_CONFIG_KEYS, pairLossSpec, pairDenominators, type PairLossConfig, type PairLossSpec, type PairMicro } from "./pairs.js";
import { preferenceMicro } from "./preference.js";
import { unpairedMicro, type Item, type UnpairedMicro } from "./unpaired.js";
import { runStep, type StepSpec, type StepModels } from "./steps.js";
import { promptItems, selectPair, type OnlinePrompt, type PairSelection, type PromptItem } from "./online.js";

/** What the environment sees after each of the policy's actions. */
export interface EnvContext {
  /** Index of the prompt in the prompt set. */
  promptIndex: number;
  /** Which rollout of this prompt (0 … samples − 1). */
  rollout: number;
  /** The prompt's tokens. */
  prompt: Int32Array;
  /** The turn (0-based). */
  turn: number;
  /** The action the policy just wrote (its tokens, EOS included when it stopped on one). */
  action: Int32Array;
  /** The whole transcript so far: prompt, actions and observations, ending with this action. */
  transcript: Int32Array;
}

/** The environment's answer: an observation to append (not trained on: masked out of the
 *  policy's sums), or the end of the episode with its reward. */
export interface EnvStep {
  /** Tokens (or text, with a tokenizer) appended to the transcript for the next turn. */
  observation?: ArrayLike<number> | string;
  /** The episode ends here. */
  done?: boolean;
  /** The episode's reward (required with `done`), e.g. 1 for a correct final answer. */
  reward?: number;
}

/** The environment: called after every action, in rollout order (may be async). */
export type Environment = (ctx: EnvContext) => EnvStep | Promise<EnvStep>;

/** A finished rollout. */
export interface Trajectory {
  /** Index of the prompt. */
  promptIndex: number;
  /** The prompt's tokens. */
  prompt: Int32Array;
  /** Everything after the prompt: actions and observations. */
  tokens: Int32Array;
  /** 1 on the policy's tokens (its actions), 0 on observations. */
  trained: Uint8Array;
  /** Turns the policy took. */
  turns: number;
  /** The reward. */
  reward: number;
  /** Whether the episode was cut (turns or context exhausted) rather than ended. */
  truncated: boolean;
  /** Whether it came from the previous iterate (the `previousFraction` share). */
  previous: boolean;
}

/** Configuration of MultiTurnTrainer. */
export interface MultiTurnConfig extends TrainerOptions, Omit<PairLossConfig, "loss"> {
  /** The prompts; `promptsPerIteration` of them per iteration, in the seeded order. */
  prompts: Dataset | readonly OnlinePrompt[];
  /** The environment. */
  env: Environment;
  /** The loss: a pairwise kind for M-DPO (default "sigmoid"; aliases `m-dpo`, `dpo`) or `kto`
   *  (alias `m-kto`) for M-KTO. */
  loss?: PairLossConfig["loss"] | "kto" | "m-kto" | "m-dpo";
  /** Iterations (rollouts, then training). Default 1. */
  iterations?: number;
  /** Prompts per iteration (default: all). */
  promptsPerIteration?: number;
  /** Rollouts per prompt. Default 4. */
  samples?: number;
  /** Share of each prompt's rollouts drawn from the previous iterate (Xiong et al. 2024: 10 of
   *  30). Default 0. */
  previousFraction?: number;
  /** Most policy turns per episode (H). Default 3. */
  maxTurns?: number;
  /** Most tokens per action (default: what the context leaves). */
  maxTurnTokens?: number;
  /** End of an action (default: the tokenizer's EOS; required). */
  eos?: number;
  /** Sampling temperature. Default 1. */
  temperature?: number;
  /** A rollout is correct when its reward is ≥ this. Default 0.5. */
  threshold?: number;
  /** M-DPO pairs per prompt: "random" (default: a random correct vs a random incorrect
   *  rollout) or a rule of the online trainer over the rewards. */
  selection?: PairSelection;
  /** The reward of a rollout cut before the environment ended it. Default 0. */
  truncatedReward?: number;
  /** M-KTO's λ_D. Default 1. */
  desirableWeight?: number;
  /** M-KTO's λ_U. Default 1. */
  undesirableWeight?: number;
  /** The reference (default { mode: "previous" }: the previous iterate, synced at the start of
   *  every iteration; "frozen": the initial policy). */
  reference?: ReferenceOptions;
}

const KEYS = [
  ...COMMON_KEYS, ...PAIR_CONFIG_KEYS, "prompts", "env", "iterations", "promptsPerIteration", "samples", "previousFraction", "maxTurns",
  "maxTurnTokens", "eos", "temperature", "threshold", "selection", "truncatedReward", "desirableWeight", "undesirableWeight", "reference",
] as const;

/** @internal */
interface MtMicro {
  pair?: PairMicro;
  kto?: UnpairedMicro;
}

/** @internal Serialised trajectory (checkpoints). */
interface TrajJson { p: number; x: number[]; t: number[]; m: number[]; turns: number; r: number; c: boolean; v: boolean }

/**
 * Iterative multi-turn training. Each iteration: sync the reference (mode "previous"), roll the
 * policy out `samples` times on each of `promptsPerIteration` prompts against `env` (turn by
 * turn, all rollouts batched, the trainer's generator), label rollouts correct when reward ≥
 * `threshold`, build M-DPO pairs (a correct and an incorrect rollout of the same prompt) or
 * M-KTO examples, and train `epochs` passes over them in batches of `batchSize` — the offline
 * trainers' steps on transcripts whose masks keep only the policy's tokens (observations stay
 * in the context, out of the sums). Metrics: the loss's, plus at each iteration's first step
 * `rollouts/reward`, `rollouts/correct`, `rollouts/turns`, `rollouts/truncated`, `pairs`.
 *
 * ```ts
 * const t = new MultiTurnTrainer(model, { prompts, env, samples: 8, iterations: 3, loss: "sigmoid", beta: 0.1, tokenizer });
 * await t.train();
 * ```
 */
export class MultiTurnTrainer extends Trainer {
  /** The last iteration's rollouts. */
  rollouts: Trajectory[] = [];
  private readonly ref: Reference;
  private readonly spec: PairLossSpec | null;
  private readonly kto: boolean;
  private readonly prompts: PromptItem[];
  private readonly cfg: MultiTurnConfig;
  private readonly env: Environment;
  private readonly n: { iterations: number; perIteration: number; samples: number; maxTurns: number; previous: number };
  private readonly eos: number;
  private readonly prev: LanguageModel | null;
  private iteration = 0;
  private promptPos = { epoch: 0, offset: 0 };
  private items: Trajectory[] = [];
  private pass = { epoch: 0, offset: 0 };
  private stepExtra: Record<string, number> | null = null;
  private readonly threshold: number;
  private readonly evalSet: Example[] | null;

  constructor(model: LanguageModel, config: MultiTurnConfig) {
    const c = checkOptions<MultiTurnConfig>(config, "MultiTurnTrainer", KEYS);
    super("MultiTurnTrainer", model, c);
    try {
      this.cfg = c;
      if (typeof c.env !== "function") throw new ValueError("MultiTurnTrainer: env must be a function (context) => { observation } | { done, reward }");
      this.env = c.env;
      const name = c.loss === "kto" || c.loss === "m-kto" ? "kto" : null;
      this.kto = name === "kto";
      this.spec = this.kto ? null : pairLossSpec({ ...c, loss: (c.loss === "m-dpo" ? "sigmoid" : c.loss) as PairLossConfig["loss"] }, "MultiTurnTrainer");
      if (this.kto) for (const k of ["labelSmoothing", "delta", "lengthNorm", "lossWeights", "selection"] as const) if (c[k] !== undefined) throw new ValueError(`MultiTurnTrainer: ${k} applies to M-DPO, not M-KTO`);
      if (!this.kto) for (const k of ["desirableWeight", "undesirableWeight"] as const) if (c[k] !== undefined) throw new ValueError(`MultiTurnTrainer: ${k} applies to M-KTO (loss "kto")`);
      this.prompts = promptItems(c.prompts, model, c, "MultiTurnTrainer");
      const samples = integer(c.samples ?? 4, "samples", 1);
      if (samples < 2) throw new ValueError("MultiTurnTrainer: samples must be ≥ 2 (pairs and the KTO reference point compare rollouts)");
      const frac = c.previousFraction === undefined ? 0 : probability(c.previousFraction, "previousFraction");
      this.n = {
        iterations: integer(c.iterations ?? 1, "iterations", 1), perIteration: integer(c.promptsPerIteration ?? this.prompts.length, "promptsPerIteration", 1),
        samples, maxTurns: integer(c.maxTurns ?? 3, "maxTurns", 1), previous: Math.round(frac * samples),
      };
      const eos = c.eos ?? c.tokenizer?.eos;
      if (eos === undefined) throw new ValueError("MultiTurnTrainer: an action ends at EOS: give eos (or a tokenizer)");
      this.eos = integer(eos, "eos", 0, model.vocab - 1);
      if (c.maxTurnTokens !== undefined) integer(c.maxTurnTokens, "maxTurnTokens", 1);
      if (c.temperature !== undefined) nonNegative(c.temperature, "temperature");
      this.threshold = c.threshold ?? 0.5;
      if (typeof this.threshold !== "number" || !Number.isFinite(this.threshold)) throw new ValueError("MultiTurnTrainer: threshold must be a finite number");
      if (c.selection !== undefined && !["max_min", "max_random", "random", "max_max"].includes(c.selection)) throw new ValueError(`MultiTurnTrainer: selection must be "random", "max_min", "max_random" or "max_max"`);
      this.evalSet = c.evalData === undefined ? null : examplesOf(c.evalData, "MultiTurnTrainer: evalData");
      if (this.evalSet) checkLayouts(this.evalSet, this.kto ? ["unpaired"] : ["preference"], "MultiTurnTrainer: evalData");
      this.ref = new Reference(model, c.reference ?? { mode: "previous" }, "MultiTurnTrainer", ["frozen", "previous"]);
      this.prev = this.n.previous > 0 ? model.clone() : null;
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  // ---- rollouts ----

  private nextPrompts(): PromptItem[] {
    const out: PromptItem[] = [];
    const n = this.prompts.length;
    while (out.length < this.n.perIteration) {
      if (this.promptPos.offset >= n) this.promptPos = { epoch: this.promptPos.epoch + 1, offset: 0 };
      const order = this.common.shuffle ? shuffledOrder(n, this.common.seed, this.promptPos.epoch) : Int32Array.from({ length: n }, (_, i) => i);
      const take = Math.min(this.n.perIteration - out.length, n - this.promptPos.offset);
      for (let i = 0; i < take; i++) out.push(this.prompts[order[this.promptPos.offset + i]]);
      this.promptPos = { epoch: this.promptPos.epoch, offset: this.promptPos.offset + take };
    }
    return out;
  }

  /** Roll the policy out `samples` times on each prompt of the prompt set named by index (turn
   *  by turn, all rollouts batched, with the trainer's generator): what an iteration does, also
   *  for evaluating the policy (the generator advances). */
  async rollout(promptIndices: readonly number[]): Promise<Trajectory[]> {
    this.live();
    if (!Array.isArray(promptIndices) || promptIndices.length === 0) throw new ValueError("MultiTurnTrainer.rollout: give prompt indices");
    return this.rolloutItems(promptIndices.map((i) => {
      const p = this.prompts[integer(i, "prompt index", 0, this.prompts.length - 1)];
      return p;
    }));
  }

  private async rolloutItems(prompts: readonly PromptItem[]): Promise<Trajectory[]> {
    const S = this.n.samples, P = prompts.length, ctx = this.model.context;
    interface Live { p: PromptItem; r: number; seq: number[]; trained: number[]; turns: number; done: boolean; reward: number; truncated: boolean; previous: boolean }
    const all: Live[] = [];
    for (const p of prompts) for (let r = 0; r < S; r++) all.push({ p, r, seq: Array.from(p.tokens), trained: [], turns: 0, done: false, reward: NaN, truncated: false, previous: r >= S - this.n.previous });
    const tok = this.cfg.tokenizer;
    for (let turn = 0; turn < this.n.maxTurns; turn++) {
      const active = all.filter((l) => !l.done);
      if (!active.length) break;
      for (const l of active) {
        if (l.seq.length >= ctx) {
          l.done = l.truncated = true;
          l.reward = this.cfg.truncatedReward ?? 0;
        }
      }
      const groups: Array<[LanguageModel, Live[]]> = [[this.model, active.filter((l) => !l.done && !l.previous)]];
      if (this.prev) groups.push([this.prev, active.filter((l) => !l.done && l.previous)]);
      const actions = new Map<Live, Int32Array>();
      for (const [m, ls] of groups) {
        if (!ls.length) continue;
        const longest = Math.max(...ls.map((l) => l.seq.length));
        const maxNew = Math.min(this.cfg.maxTurnTokens ?? ctx, ctx - longest);
        const r = sample(m, ls.map((l) => l.seq), {
          rng: this.rng, maxNewTokens: Math.max(1, maxNew), eos: this.eos, temperature: this.cfg.temperature ?? 1,
          ...(m.config.promptVocab > 0 ? { promptIds: ls.map((l) => l.p.promptId ?? 0) } : {}),
        });
        ls.forEach((l, i) => actions.set(l, r.completions[i]));
      }
      const stepping = active.filter((l) => !l.done);
      for (const l of stepping) {
        const a = actions.get(l)!;
        l.seq.push(...a);
        for (let i = 0; i < a.length; i++) l.trained.push(1);
        l.turns++;
      }
      const answers = await Promise.all(stepping.map((l) => this.env({
        promptIndex: l.p.index, rollout: l.r, prompt: l.p.tokens, turn, action: actions.get(l)!, transcript: Int32Array.from(l.seq),
      })));
      stepping.forEach((l, i) => {
        const a = answers[i];
        if (!a || typeof a !== "object") throw new ValueError(`MultiTurnTrainer: env returned ${String(a)} for prompt ${l.p.index}; expected { observation } or { done, reward }`);
        checkOptions(a, "MultiTurnTrainer: env step", ["observation", "done", "reward"]);
        if (a.done) {
          if (typeof a.reward !== "number" || !Number.isFinite(a.reward)) throw new ValueError(`MultiTurnTrainer: env ended prompt ${l.p.index}'s episode without a finite reward`);
          l.done = true;
          l.reward = a.reward;
          return;
        }
        if (a.observation !== undefined) {
          let obs: ArrayLike<number>;
          if (typeof a.observation === "string") {
            if (!tok) throw new ValueError("MultiTurnTrainer: a text observation needs a tokenizer");
            obs = tok.encode(a.observation);
          } else obs = a.observation;
          for (let t = 0; t < obs.length; t++) {
            const v = obs[t];
            if (!Number.isInteger(v) || v < 0 || v >= this.model.vocab) throw new ValueError(`MultiTurnTrainer: observation token ${v} is outside the vocabulary [0, ${this.model.vocab})`);
            l.seq.push(v);
            l.trained.push(0);
          }
        }
        if (turn === this.n.maxTurns - 1) {
          l.done = l.truncated = true;
          l.reward = typeof a.reward === "number" && Number.isFinite(a.reward) ? a.reward : (this.cfg.truncatedReward ?? 0);
        }
      });
    }
    return all.map((l) => {
      let tokens = Int32Array.from(l.seq.slice(l.p.tokens.length)), trained = Uint8Array.from(l.trained);
      // the rows must fit the model: cut observations that overflow the context
      const room = ctx + 1 - l.p.tokens.length;
      if (tokens.length > room) {
        tokens = tokens.slice(0, room);
        trained = trained.slice(0, room);
      }
      return { promptIndex: l.p.index, prompt: l.p.tokens, tokens, trained, turns: l.turns, reward: l.reward, truncated: l.truncated, previous: l.previous };
    });
  }

  private segments(t: Trajectory): [Segment, Segment] {
    return [{ tokens: t.prompt, trained: new Uint8Array(t.prompt.length) }, { tokens: t.tokens, trained: t.trained }];
  }

  /** The iteration's training items: M-DPO pairs (as preference examples) or M-KTO items. */
  private trainingSet(): Trajectory[][] {
    const byPrompt = new Map<number, Trajectory[]>();
    for (const t of this.rollouts) byPrompt.set(t.promptIndex, [...(byPrompt.get(t.promptIndex) ?? []), t]);
    const out: Trajectory[][] = [];
    for (const ts of byPrompt.values()) {
      if (this.kto) {
        for (const t of ts) out.push([t]);
        continue;
      }
      const sel = this.cfg.selection ?? "random";
      if (sel === "random") {
        const good = ts.filter((t) => t.reward >= this.threshold), bad = ts.filter((t) => t.reward < this.threshold);
        if (!good.length || !bad.length) continue;
        out.push([good[this.rng.below(good.length)], bad[this.rng.below(bad.length)]]);
      } else {
        const pick = selectPair(ts.map((t) => t.reward), sel, (n) => this.rng.below(n));
        if (pick) out.push([ts[pick[0]], ts[pick[1]]]);
      }
    }
    return out;
  }

  private training: Trajectory[][] = [];

  // ---- the trainer hooks ----

  /** @internal */
  protected async nextBatch(): Promise<MtMicro[] | null> {
    for (;;) {
      if (this.pass.epoch < this.common.epochs && this.training.length) {
        const n = this.training.length;
        if (this.pass.offset >= n) {
          this.pass = { epoch: this.pass.epoch + 1, offset: 0 };
          continue;
        }
        const order = this.common.shuffle ? shuffledOrder(n, this.common.seed, this.iteration * 4096 + this.pass.epoch) : Int32Array.from({ length: n }, (_, i) => i);
        const ids = Array.from(order.slice(this.pass.offset, Math.min(n, this.pass.offset + this.common.batchSize)));
        if (this.kto && ids.length < 2) {
          this.pass = { epoch: this.pass.epoch + 1, offset: 0 };
          continue;
        }
        this.pass = { epoch: this.pass.epoch, offset: this.pass.offset + ids.length };
        return this.micro(ids.map((i) => this.training[i]));
      }
      if (this.iteration >= this.n.iterations) return null;
      await this.startIteration();
    }
  }

  private async startIteration(): Promise<void> {
    this.ref.sync(this.model); // mode "previous": π_ref ← π_{t−1}
    const prompts = this.nextPrompts();
    this.rollouts = await this.rolloutItems(prompts);
    if (this.prev) this.prev.copyFrom(this.model);
    this.iteration++;
    this.training = this.trainingSet();
    this.pass = { epoch: 0, offset: 0 };
    const R = this.rollouts;
    this.stepExtra = {
      iteration: this.iteration, "rollouts/reward": mean(R.map((t) => t.reward)), "rollouts/correct": mean(R.map((t) => (t.reward >= this.threshold ? 1 : 0))),
      "rollouts/turns": mean(R.map((t) => t.turns)), "rollouts/truncated": mean(R.map((t) => (t.truncated ? 1 : 0))), pairs: this.kto ? 0 : this.training.length,
    };
  }

  private micro(items: Trajectory[][]): MtMicro[] {
    if (this.kto) {
      const its: Item[] = items.map(([t], i) => ({ example: { layout: "completion", line: t.promptIndex + 1, prompt: this.segments(t)[0], completion: this.segments(t)[1] } as Example, prompt: this.segments(t)[0], completion: this.segments(t)[1], label: t.reward >= this.threshold ? 1 : 0, index: -1 - i }));
      const parts = this.chunk(its);
      if (parts.length > 1 && parts[parts.length - 1].length < 2) parts[parts.length - 2].push(...parts.pop()!);
      return parts.map((p) => ({ kto: unpairedMicro(p, true, this.pad, this.model, this.promptIdOf()) }));
    }
    const ex: PreferenceExample[] = items.map(([w, l]) => {
      const [p, cw] = this.segments(w), [, cl] = this.segments(l);
      return { layout: "preference", line: w.promptIndex + 1, prompt: p, chosen: cw, rejected: cl };
    });
    const ids = new Map<Example, number>(ex.map((e, i) => [e as Example, this.prompts[items[i][0].promptIndex].promptId ?? 0]));
    const pid = this.model.config.promptVocab > 0 ? (e: Example) => ids.get(e)! : undefined;
    return this.chunk(ex.map((_, i) => i)).map((c) => ({ pair: preferenceMicro(c.map((i) => ex[i]), c.map((i) => -1 - i), null, this.pad, this.model, pid) }));
  }

  private promptIdOf(): ((e: Example) => number) | undefined {
    if (this.model.config.promptVocab === 0) return undefined;
    return (e: Example) => this.prompts[e.line - 1].promptId ?? 0;
  }

  /** @internal */
  protected denominators(micro: readonly MtMicro[]): Record<string, number> {
    if (this.kto) return { examples: micro.reduce((a, m) => a + m.kto!.rows.rows, 0) };
    return pairDenominators(micro.map((m) => m.pair!));
  }

  /** @internal */
  protected microStep(mb: MtMicro, denom: Record<string, number>, backward: boolean): MetricSums {
    return runStep(this.stepSpec(), this.stepModels(), mb, denom, backward);
  }

  /** @internal */
  protected stepSpec(): StepSpec {
    const kto = { loss: "kto" as const, beta: this.cfg.beta ?? 0.1, desirableWeight: this.cfg.desirableWeight ?? 1, undesirableWeight: this.cfg.undesirableWeight ?? 1 };
    return { kind: "multiturn", pair: this.kto ? null : this.spec, kto: this.kto ? kto : null };
  }

  /** @internal */
  protected stepModels(): StepModels {
    return { ...super.stepModels(), reference: this.ref };
  }

  /** @internal */
  protected wireMicro(mb: MtMicro): MtMicro {
    if (mb.kto) return { kto: { ...mb.kto, keys: this.ref.wireKeys(mb.kto.keys), klKeys: this.ref.wireKeys(mb.kto.klKeys) } };
    return { pair: { ...mb.pair!, keys: this.ref.wireKeys(mb.pair!.keys) } };
  }

  /** Held-out transcripts (preference pairs for M-DPO, labelled examples for M-KTO): the loss
   *  and its metrics against the current reference. @internal */
  protected evalBatches(): MtMicro[][] | null {
    if (!this.evalSet?.length) return null;
    const out: MtMicro[][] = [];
    const B = this.common.batchSize;
    for (let s = 0; s < this.evalSet.length; s += B) {
      const part = this.evalSet.slice(s, s + B);
      if (this.kto) {
        if (part.length < 2) break;
        const its: Item[] = part.map((e, i) => ({ example: e, prompt: e.prompt, completion: (e as UnpairedExample).completion, label: (e as UnpairedExample).label ? 1 : 0, index: -1 - s - i }));
        out.push([{ kto: unpairedMicro(its, true, this.pad, this.model, this.opts.promptId) }]);
      } else {
        out.push(this.chunk(part.map((_, i) => i)).map((c) => ({ pair: preferenceMicro(c.map((i) => part[i] as PreferenceExample), c.map((i) => -1 - s - i), null, this.pad, this.model, this.opts.promptId) })));
      }
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
  protected saveExtra(): { json: Record<string, unknown>; tensors: Record<string, Tensor> } {
    const r = this.ref.save();
    const ser = (t: Trajectory): TrajJson => ({ p: t.promptIndex, x: Array.from(t.prompt), t: Array.from(t.tokens), m: Array.from(t.trained), turns: t.turns, r: t.reward, c: t.truncated, v: t.previous });
    const idx = new Map(this.rollouts.map((t, i) => [t, i]));
    const tensors = { ...r.tensors };
    if (this.prev) tensors.previous = { dtype: "F32", shape: [this.prev.parameterCount], data: this.prev.getParameters() };
    return {
      json: {
        ...r.json, iteration: this.iteration, promptPos: this.promptPos, pass: this.pass, rollouts: this.rollouts.map(ser),
        training: this.training.map((g) => g.map((t) => idx.get(t)!)),
      },
      tensors,
    };
  }

  /** @internal */
  protected loadExtra(json: Record<string, unknown>, tensors: Record<string, Tensor>): void {
    this.ref.load(json, tensors);
    if (this.prev) {
      if (!tensors.previous) throw new ValueError("restore: the checkpoint has no previous-iterate parameters");
      this.prev.setParameters(tensors.previous.data as Float32Array);
    }
    this.iteration = json.iteration as number;
    this.promptPos = json.promptPos as { epoch: number; offset: number };
    this.pass = json.pass as { epoch: number; offset: number };
    this.rollouts = (json.rollouts as TrajJson[]).map((t) => ({
      promptIndex: t.p, prompt: Int32Array.from(t.x), tokens: Int32Array.from(t.t), trained: Uint8Array.from(t.m), turns: t.turns, reward: t.r, truncated: t.c, previous: t.v,
    }));
    this.training = (json.training as number[][]).map((g) => g.map((i) => this.rollouts[i]));
    this.stepExtra = null;
  }

  /** @internal */
  protected plannedSteps(): number {
    return this.common.maxSteps;
  }

  /** @internal */
  protected releaseExtra(): void {
    this.ref?.dispose();
    this.prev?.dispose();
  }
}

function mean(a: readonly number[]): number {
  return a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN;
}

