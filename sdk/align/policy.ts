// LMPolicy: a language model behind the games domain's Policy interface, so that the
// stochastic preference trainers (trainNashMP, trainNashMD, trainOnlineIpo: Tiapkin et al.
// 2025, Munos et al. 2024, Calandriello et al. 2024) run on neural policies unchanged.
//
// A context x is a prompt (text, token ids, or ids with a prompt id); a response y is the
// Int32Array of sampled tokens (EOS included when the policy stops on one). The sequence
// log-probability is the sum over the response's tokens, teacher-forced after the prompt;
// gradient steps are plain descent on −Σ w·log π (the Policy contract), computed by the model's
// backward in the engine.
//
// One forward pass per step: logProbs / tokenLogProbs keep the model's pass, and
// applyGradient / applyTokenGradient on the same (xs, ys) right after reuse it — the trainers
// read the log-probabilities and then step on the same batch — as long as the model has done
// nothing since (LanguageModel.version).
import { ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import type { Policy, PolicyMix } from "../games/policy.js";
import { LanguageModel, type LmBatch } from "./model.js";
import { sgdStep } from "./optim.js";
import { sample } from "./sample.js";
import { Tokenizer } from "./tokenizer.js";
import { padSequences, lmBatch, type PaddedBatch, type Segment } from "./data.js";

/** A prompt with the prompt id of a model that has a prompt embedding. */
export interface PromptWithId {
  /** Text (BOS, then the tokenizer's encoding) or token ids. */
  tokens: string | ArrayLike<number>;
  /** The prompt id (an index into the model's prompt embedding). */
  promptId?: number;
}

/** A prompt as LMPolicy reads it: text (BOS, then the tokenizer's encoding), token ids (used as
 *  given), or either with the prompt id of a model that has a prompt embedding. */
export type LMPrompt = string | ArrayLike<number> | PromptWithId;

/** Options of LMPolicy. */
export interface LMPolicyOptions<X> {
  /** Encodes text prompts (BOS + text) and gives the default `eos`. */
  tokenizer?: Tokenizer;
  /** End-of-sequence id: sampling stops after it (default: the tokenizer's EOS; none without a
   *  tokenizer). `null`: never stop early. */
  eos?: number | null;
  /** Most tokens per sampled response (default: the model's context minus the longest prompt of
   *  the batch; prompt + response must fit in the context). */
  maxNewTokens?: number;
  /** Every response has exactly this many tokens (no EOS): the response space is then the
   *  vocab^L sequences, which `support` enumerates when there are at most 2^16 of them
   *  (feedback "exact" of the games trainers). */
  responseLength?: number;
  /** Maps a context of the trainers (say an integer id) to its prompt (default: the context is
   *  an LMPrompt). */
  prompt?: (x: X) => LMPrompt;
}

const KEYS = ["tokenizer", "eos", "maxNewTokens", "responseLength", "prompt"] as const;

interface Encoded {
  tokens: Int32Array;
  promptId: number | undefined;
}

/** Token batch of (prompt, response) rows: the next-token alignment with the response's
 *  positions masked in, and where each row's response starts among the targets. */
interface RowBatch {
  lm: LmBatch;
  padded: PaddedBatch;
  /** Target index of each row's first response token (prompt length − 1). */
  starts: Int32Array;
  lengths: Int32Array;
}

/**
 * A language model as a games `Policy<X, Int32Array>`: π(y | x) = Π_t p_θ(y_t | prompt(x), y_<t).
 * `sample` draws responses in the engine (KV cache, one uniform per token from the trainers'
 * generator; with `mix`, from the per-token geometric mixture with the reference's model);
 * `logProbs` / `tokenLogProbs` teacher-force the responses; `applyGradient` and
 * `applyTokenGradient` take θ ← θ + lr·Σ w·∇log π as one backward pass and a plain descent step
 * (sgdStep: no clipping, no optimiser state, exactly the contract); `snapshot` clones the model
 * (the snapshot owns it: the trainers dispose the snapshots they make), `copyFrom` and `blend`
 * copy and average parameters. Does not own `model` unless it is a snapshot.
 *
 * ```ts
 * const model = LanguageModel.create({ kind: "window-mlp", vocab: 4, context: 3, hidden: 16 }, { seed: 1 });
 * const policy = new LMPolicy<number>(model, { responseLength: 2, prompt: () => [0] });
 * trainOnlineIpo(policy, policy.snapshot(), judge, { beta: 0.5, lr: 0.5, iters: 100 });
 * ```
 */
export class LMPolicy<X = LMPrompt> implements Policy<X, Int32Array> {
  /** The model π_θ. */
  readonly model: LanguageModel;
  /** The tokenizer of text prompts, if any. */
  readonly tokenizer: Tokenizer | null;
  /** The end-of-sequence id sampling stops on (−1: none). */
  readonly eos: number;
  /** Fixed response length, or 0 (responses end at EOS or maxNewTokens). */
  readonly responseLength: number;
  private readonly maxNew: number | undefined;
  private readonly promptOf: (x: X) => LMPrompt;
  private readonly options: LMPolicyOptions<X>;
  private owns = false;
  private readonly textCache = new Map<string, Int32Array>();
  private cache: { version: number; inputs: Int32Array; targets: Int32Array; mask: Uint8Array; promptIds: Int32Array | null; batch: RowBatch } | null = null;

  constructor(model: LanguageModel, options: LMPolicyOptions<X> = {}) {
    if (!(model instanceof LanguageModel)) throw new ValueError("LMPolicy: the first argument must be a LanguageModel");
    model.check();
    const o = checkOptions<LMPolicyOptions<X>>(options, "LMPolicy", KEYS);
    if (o.tokenizer !== undefined && !(o.tokenizer instanceof Tokenizer)) throw new ValueError("LMPolicy: tokenizer must be a Tokenizer");
    this.model = model;
    this.tokenizer = o.tokenizer ?? null;
    if (this.tokenizer && this.tokenizer.vocabSize > model.vocab) {
      throw new ValueError(`LMPolicy: the tokenizer has ${this.tokenizer.vocabSize} tokens, more than the model's vocabulary of ${model.vocab}`);
    }
    this.responseLength = o.responseLength === undefined ? 0 : integer(o.responseLength, "responseLength", 1, model.context);
    const eos = o.eos === undefined ? (this.tokenizer && !this.responseLength ? this.tokenizer.eos : null) : o.eos;
    if (eos !== null && this.responseLength) throw new ValueError("LMPolicy: responseLength fixes every response's length; it takes no eos");
    this.eos = eos === null ? -1 : integer(eos, "eos", 0, model.vocab - 1);
    this.maxNew = o.maxNewTokens === undefined ? undefined : integer(o.maxNewTokens, "maxNewTokens", 1, model.context);
    if (this.maxNew !== undefined && this.responseLength) throw new ValueError("LMPolicy: give responseLength or maxNewTokens, not both");
    if (o.prompt !== undefined && typeof o.prompt !== "function") throw new ValueError("LMPolicy: prompt must be a function (context) => prompt");
    this.promptOf = o.prompt ?? ((x: X) => x as unknown as LMPrompt);
    this.options = o;
  }

  // ---- prompts and batches --------------------------------------------------------------------

  private encode(x: X, i: number): Encoded {
    const p = this.promptOf(x);
    let tokens: string | ArrayLike<number>, promptId: number | undefined;
    if (typeof p === "string" || (p && typeof (p as ArrayLike<number>).length === "number")) tokens = p as string | ArrayLike<number>;
    else if (p && typeof p === "object" && "tokens" in p) {
      tokens = p.tokens;
      promptId = p.promptId;
    } else throw new ValueError(`LMPolicy: context ${i} is not a prompt (text, token ids, or { tokens, promptId })`);
    let ids: Int32Array;
    if (typeof tokens === "string") {
      if (!this.tokenizer) throw new ValueError("LMPolicy: a text prompt needs a tokenizer (LMPolicy options)");
      let c = this.textCache.get(tokens);
      if (!c) {
        const e = this.tokenizer.encode(tokens);
        c = new Int32Array(e.length + 1);
        c[0] = this.tokenizer.bos;
        c.set(e, 1);
        if (this.textCache.size < 4096) this.textCache.set(tokens, c);
      }
      ids = c;
    } else {
      ids = tokens instanceof Int32Array ? tokens : Int32Array.from(tokens);
    }
    if (ids.length === 0) throw new ShapeError(`LMPolicy: prompt ${i} is empty (a prompt needs at least one token, e.g. BOS)`);
    for (let t = 0; t < ids.length; t++) {
      if (!Number.isInteger(ids[t]) || ids[t] < 0 || ids[t] >= this.model.vocab) throw new ValueError(`LMPolicy: prompt ${i} token ${t} = ${ids[t]} is outside the vocabulary [0, ${this.model.vocab})`);
    }
    const PV = this.model.config.promptVocab;
    if (PV > 0) {
      if (promptId === undefined) throw new ValueError(`LMPolicy: the model has a prompt embedding; context ${i} needs { tokens, promptId } (see the prompt option)`);
      integer(promptId, `prompt ${i}: promptId`, 0, PV - 1);
    } else if (promptId !== undefined) throw new ValueError(`LMPolicy: context ${i} has a promptId but the model has no prompt embedding`);
    return { tokens: ids, promptId };
  }

  private checkResponse(y: Int32Array, i: number): void {
    if (!(y instanceof Int32Array) && !Array.isArray(y)) throw new ValueError(`LMPolicy: response ${i} must be an Int32Array of token ids`);
    if (y.length === 0) throw new ShapeError(`LMPolicy: response ${i} is empty`);
    if (this.responseLength && y.length !== this.responseLength) throw new ShapeError(`LMPolicy: response ${i} has ${y.length} tokens, expected responseLength = ${this.responseLength}`);
    for (let t = 0; t < y.length; t++) {
      if (!Number.isInteger(y[t]) || y[t] < 0 || y[t] >= this.model.vocab) throw new ValueError(`LMPolicy: response ${i} token ${t} = ${y[t]} is outside the vocabulary [0, ${this.model.vocab})`);
    }
  }

  /** The teacher-forced batch of (prompt(x_i), y_i) rows, response positions masked in. */
  private rows(xs: readonly X[], ys: readonly Int32Array[]): RowBatch {
    if (!Array.isArray(xs) || !Array.isArray(ys)) throw new ValueError("LMPolicy: xs and ys must be arrays");
    if (xs.length !== ys.length) throw new ShapeError(`xs has ${xs.length} entries but ys has ${ys.length}`);
    if (xs.length === 0) throw new ShapeError("LMPolicy: empty batch");
    const parts: Array<readonly [Segment, Segment]> = [];
    const starts = new Int32Array(xs.length), lengths = new Int32Array(xs.length);
    let pids: Int32Array | null = null;
    for (let i = 0; i < xs.length; i++) {
      const e = this.encode(xs[i], i);
      this.checkResponse(ys[i], i);
      if (e.promptId !== undefined) (pids ??= new Int32Array(xs.length))[i] = e.promptId;
      const len = e.tokens.length + ys[i].length - 1;
      if (len > this.model.context) throw new ShapeError(`LMPolicy: prompt ${i} and its response need ${len} positions, above the model's context of ${this.model.context}`);
      parts.push([{ tokens: e.tokens, trained: new Uint8Array(e.tokens.length) }, { tokens: Int32Array.from(ys[i]), trained: new Uint8Array(ys[i].length).fill(1) }]);
      starts[i] = e.tokens.length - 1;
      lengths[i] = ys[i].length;
    }
    const padded = padSequences(parts, this.model.config.pad);
    return { lm: lmBatch(padded, pids ?? undefined), padded, starts, lengths };
  }

  /** logProbs of the model on the rows, reusing the kept pass when nothing changed since. */
  private forward(xs: readonly X[], ys: readonly Int32Array[]): { rows: RowBatch; tokens: Float64Array; sums: Float64Array } {
    const rows = this.rows(xs, ys);
    const lp = this.model.logProbs(rows.lm);
    const pids = rows.lm.promptIds ? Int32Array.from(rows.lm.promptIds) : null;
    this.cache = { version: this.model.version, inputs: rows.padded.inputs, targets: rows.padded.targets, mask: rows.padded.mask, promptIds: pids, batch: rows };
    return { rows, tokens: lp.tokens, sums: lp.sums };
  }

  /** The rows, with the model's pass ready for backward: the cached one when it is of the
   *  same rows and the model has not changed, else a new forward. */
  private ready(xs: readonly X[], ys: readonly Int32Array[]): RowBatch {
    const rows = this.rows(xs, ys);
    const c = this.cache;
    const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
      return true;
    };
    const pids = rows.lm.promptIds ? Int32Array.from(rows.lm.promptIds) : null;
    if (c && c.version === this.model.version && same(c.inputs, rows.padded.inputs) && same(c.targets, rows.padded.targets) &&
      same(c.mask, rows.padded.mask) && (c.promptIds === null ? pids === null : pids !== null && same(c.promptIds, pids))) {
      return rows;
    }
    this.model.logProbs(rows.lm);
    return rows;
  }

  // ---- the Policy interface -------------------------------------------------------------------

  /** One response per context, sampled in the engine at temperature 1 without filtering (so that
   *  its distribution is π, or with `mix` the per-token mixture softmax((1−γ)·log π + γ·log μ)
   *  with μ = `mix.ref`'s model: Munos et al. 2024, App. F.1), one uniform per token from `rng`. */
  sample(xs: readonly X[], rng: Rng, mix?: PolicyMix<X, Int32Array>): Int32Array[] {
    if (!(rng instanceof Rng)) throw new ValueError("LMPolicy.sample: rng must be an Rng");
    const m = this.mixArg(mix, "LMPolicy.sample");
    if (!Array.isArray(xs) || xs.length === 0) throw new ShapeError("LMPolicy.sample: xs must be a non-empty array of contexts");
    const enc = xs.map((x, i) => this.encode(x, i));
    const maxPrompt = Math.max(...enc.map((e) => e.tokens.length));
    const maxNew = this.responseLength || this.maxNew || this.model.context - maxPrompt;
    if (maxNew < 1 || maxPrompt + maxNew > this.model.context) {
      throw new ShapeError(`LMPolicy.sample: a prompt of ${maxPrompt} tokens and ${maxNew} new tokens exceed the model's context of ${this.model.context}`);
    }
    const needIds = this.model.config.promptVocab > 0 || (m.ref !== null && m.ref.model.config.promptVocab > 0);
    const r = sample(this.model, enc.map((e) => e.tokens), {
      rng, maxNewTokens: maxNew, eos: this.eos >= 0 ? this.eos : null, temperature: 1,
      ...(m.ref && m.mixture > 0 ? { refModel: m.ref.model, mixture: m.mixture } : {}),
      ...(needIds ? { promptIds: enc.map((e) => e.promptId ?? 0) } : {}),
    });
    return r.completions;
  }

  /** log π(y_i | x_i): the sum of the response tokens' log-probabilities (f64). */
  logProbs(xs: readonly X[], ys: readonly Int32Array[]): Float64Array {
    return this.forward(xs, ys).sums;
  }

  /** Per-token log π(y_t | x, y_<t) of each response (f64). */
  tokenLogProbs(xs: readonly X[], ys: readonly Int32Array[]): Float64Array[] {
    const { rows, tokens } = this.forward(xs, ys);
    const T = rows.padded.cols;
    return Array.from(rows.starts, (s, i) => tokens.slice(i * T + s, i * T + s + rows.lengths[i]));
  }

  /** log q(y_i | x_i) under what `sample(xs, rng, mix)` draws from: with `mix`, the product of
   *  the per-token mixtures of this model and `mix.ref`'s (LanguageModel.mixtureLogProbs);
   *  without, logProbs. */
  sampleLogProbs(xs: readonly X[], ys: readonly Int32Array[], mix?: PolicyMix<X, Int32Array>): Float64Array {
    const m = this.mixArg(mix, "LMPolicy.sampleLogProbs");
    if (!m.ref || m.mixture === 0) return this.logProbs(xs, ys);
    const rows = this.rows(xs, ys);
    this.cache = null;
    return this.model.mixtureLogProbs(m.ref.model, rows.lm, m.mixture).sums;
  }

  /** θ ← θ + lr·Σ_i w_i·∇_θ log π(y_i | x_i): one backward pass with dℓ = −w_i on every response
   *  token, then θ ← θ − lr·∇ (sgdStep). */
  applyGradient(xs: readonly X[], ys: readonly Int32Array[], weights: Float64Array, lr: number): void {
    if (!weights || weights.length !== xs.length) throw new ShapeError(`xs and weights must have the same length, got ${xs.length}, ${weights?.length}`);
    this.step(xs, ys, (i, _t) => weights[i], lr, "weights");
  }

  /** θ ← θ + lr·Σ_i Σ_t w_it·∇_θ log π(y_it | x_i, y_i,<t). */
  applyTokenGradient(xs: readonly X[], ys: readonly Int32Array[], weights: Float64Array[], lr: number): void {
    if (!Array.isArray(weights) || weights.length !== xs.length) throw new ShapeError(`xs and weights must have the same length, got ${xs.length}, ${weights?.length}`);
    ys.forEach((y, i) => {
      if (!weights[i] || weights[i].length !== y.length) throw new ShapeError(`weights[${i}] must have one entry per token (${y.length})`);
    });
    this.step(xs, ys, (i, t) => weights[i][t], lr, "weights");
  }

  private step(xs: readonly X[], ys: readonly Int32Array[], w: (i: number, t: number) => number, lr: number, name: string): void {
    if (typeof lr !== "number" || !Number.isFinite(lr)) throw new ValueError(`lr must be a finite number, got ${String(lr)}`);
    const rows = this.ready(xs, ys);
    const T = rows.padded.cols;
    const dlogp = new Float64Array(rows.padded.rows * T);
    for (let i = 0; i < xs.length; i++) {
      for (let t = 0; t < rows.lengths[i]; t++) {
        const v = w(i, t);
        if (!Number.isFinite(v)) throw new ValueError(`${name}[${i}]${this.responseLength || ys[i].length > 1 ? `[${t}]` : ""} is ${v}; expected a finite number`);
        dlogp[i * T + rows.starts[i] + t] = -v;
      }
    }
    this.model.zeroGrad();
    this.model.backward({ dlogp });
    sgdStep(this.model, lr);
    this.cache = null;
  }

  /** An independent copy: a clone of the model (owned by the snapshot: dispose it, or let the
   *  trainer that made it do so), same options. */
  snapshot(): LMPolicy<X> {
    const p = new LMPolicy<X>(this.model.clone(), this.options);
    p.owns = true;
    return p;
  }

  /** θ ← θ_other (a policy over a model of the same configuration). */
  copyFrom(other: Policy<X, Int32Array>): void {
    this.model.copyFrom(this.other(other, "copyFrom").model);
    this.cache = null;
  }

  /** θ ← decay·θ + (1 − decay)·θ_other (parameters averaged: an exponential moving average, not
   *  a mixture of the two distributions). */
  blend(other: Policy<X, Int32Array>, decay: number): void {
    this.model.blend(this.other(other, "blend").model, decay);
    this.cache = null;
  }

  /** Every response for x when responses have a fixed length L and the vocab^L sequences number
   *  at most 2^16: all of them, in lexicographic order (feedback "exact"). Throws ValueError
   *  otherwise. */
  support(x: X): Int32Array[] {
    this.encode(x, 0);
    const L = this.responseLength, V = this.model.vocab;
    if (!L) throw new ValueError("LMPolicy.support: the response space is enumerable only with a fixed responseLength");
    if (V ** L > 2 ** 16) throw new ValueError(`LMPolicy.support: vocab^L = ${V}^${L} responses are too many to enumerate (limit 2^16)`);
    const out: Int32Array[] = [];
    const total = V ** L;
    for (let k = 0; k < total; k++) {
      const y = new Int32Array(L);
      let r = k;
      for (let t = L - 1; t >= 0; t--) {
        y[t] = r % V;
        r = Math.floor(r / V);
      }
      out.push(y);
    }
    return out;
  }

  /** Dispose the model if this policy owns it (a snapshot); otherwise nothing. */
  dispose(): void {
    this.cache = null;
    if (this.owns) this.model.dispose();
  }

  /** Same as dispose(), for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  private other(o: Policy<X, Int32Array>, what: string): LMPolicy<X> {
    if (!(o instanceof LMPolicy)) throw new ValueError(`${what}: expected an LMPolicy`);
    return o as LMPolicy<X>;
  }

  private mixArg(mix: PolicyMix<X, Int32Array> | undefined, where: string): { mixture: number; ref: LMPolicy<X> | null } {
    if (mix === undefined) return { mixture: 0, ref: null };
    const m = checkOptions<{ ref?: unknown; mixture?: number }>(mix, where, ["ref", "mixture"]);
    if (typeof m.mixture !== "number" || !(m.mixture >= 0 && m.mixture <= 1)) throw new ValueError(`mix.mixture must be a probability in [0, 1], got ${String(m.mixture)}`);
    if (!(m.ref instanceof LMPolicy)) throw new ValueError("mix.ref must be an LMPolicy");
    if (m.ref.model.vocab !== this.model.vocab) throw new ValueError(`mix.ref's model has vocabulary ${m.ref.model.vocab}, this policy's ${this.model.vocab}`);
    return { mixture: m.mixture, ref: m.ref as LMPolicy<X> };
  }
}
