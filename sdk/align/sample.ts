// Sampling from a LanguageModel: batched, with temperature, top-k and top-p, a KV cache for the
// transformer (the MLPs compute one row per step), and the per-token geometric mixture of a
// policy and a reference model that Nash-MD samples from. The loop runs in the engine
// (nn_sample); randomness comes from an Rng stream only.
import { Status, SampleConfig } from "../engine/index.js";
import { ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer, nonNegative, probability, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { LanguageModel } from "./model.js";

/** Options of `sample`. */
export interface SampleOptions {
  /** Tokens to sample after each prompt (default: up to the context length). */
  maxNewTokens?: number;
  /** Temperature τ ≥ 0 (default 1; 0 = greedy, the lowest id among equal maxima). */
  temperature?: number;
  /** Keep only the k most probable tokens (default 0: all). */
  topK?: number;
  /** Nucleus sampling: keep the smallest set of most probable tokens whose probability reaches
   *  p (Holtzman et al. 2020; default 1: all). Applied after top-k. */
  topP?: number;
  /** End-of-sequence id: a row stops after sampling it (default null: none). */
  eos?: number | null;
  /** Seed of a fresh generator stream (default 0), when `rng` is not given. */
  seed?: number;
  /** A generator stream to draw from (advanced by the call). */
  rng?: Rng;
  /** Reference model μ for the per-token geometric mixture (TRL's ref_model); same vocabulary. */
  refModel?: LanguageModel;
  /** Mixture weight γ ∈ [0, 1]: tokens are drawn from q ∝ exp((1−γ)·log π + γ·log μ), renormalised
   *  at every position (Nash-MD, Munos et al. 2024). Default 0 (the model alone). */
  mixture?: number;
  /** Prompt ids [B] for models with a prompt embedding. */
  promptIds?: ArrayLike<number>;
  /** Recompute the full forward pass at every step instead of using the cache (a reference path
   *  for tests; same tokens, slower). Default false. */
  recompute?: boolean;
}

/** Result of `sample`: one entry per prompt. */
export interface SampleResult {
  /** Prompt followed by the sampled tokens (up to and including EOS). */
  sequences: Int32Array[];
  /** The sampled tokens only. */
  completions: Int32Array[];
  /** log q(token) of each sampled token under the distribution it was drawn from (after
   *  mixture, temperature, top-k and top-p; 0 for greedy decoding). */
  logProbs: Float32Array[];
}

const KEYS = ["maxNewTokens", "temperature", "topK", "topP", "eos", "seed", "rng", "refModel", "mixture", "promptIds", "recompute"] as const;

/**
 * Sample continuations of `prompts` (rows of token ids, each non-empty; lengths may differ) from
 * `model`. All rows advance together, one position per step, with a KV cache for the
 * transformer. Deterministic given the seed (or the rng state): one uniform per sampled token.
 */
export function sample(model: LanguageModel, prompts: readonly ArrayLike<number>[], options?: SampleOptions): SampleResult {
  if (!(model instanceof LanguageModel)) throw new ValueError("sample: the first argument must be a LanguageModel");
  const o = checkOptions<SampleOptions>(options, "sample", KEYS);
  model.check();
  if (!Array.isArray(prompts) || prompts.length === 0) throw new ShapeError("sample: prompts must be a non-empty array of token-id rows");
  const V = model.vocab;
  const B = prompts.length;
  let maxPrompt = 0;
  for (let b = 0; b < B; b++) {
    const p = prompts[b];
    if (!p || typeof p.length !== "number" || p.length < 1) throw new ShapeError(`sample: prompts[${b}] must hold at least one token`);
    for (let t = 0; t < p.length; t++) {
      const v = p[t];
      if (!Number.isInteger(v) || v < 0 || v >= V) throw new ValueError(`prompts[${b}][${t}] = ${String(v)} is outside the vocabulary [0, ${V})`);
    }
    maxPrompt = Math.max(maxPrompt, p.length);
  }
  const ctx = model.context;
  if (maxPrompt > ctx) throw new ShapeError(`sample: a prompt of ${maxPrompt} tokens exceeds the model's context of ${ctx}`);
  const maxNew = o.maxNewTokens === undefined ? ctx - maxPrompt : integer(o.maxNewTokens, "maxNewTokens", 1);
  const T = maxPrompt + maxNew;
  if (T > ctx) throw new ShapeError(`sample: ${maxPrompt} prompt tokens + maxNewTokens = ${maxNew} exceed the model's context of ${ctx}`);
  const temperature = o.temperature === undefined ? 1 : nonNegative(o.temperature, "temperature");
  const topK = o.topK === undefined ? 0 : integer(o.topK, "topK", 0);
  const topP = o.topP === undefined ? 1 : probability(o.topP, "topP");
  if (topP === 0) throw new ValueError("topP must be in (0, 1], got 0");
  const eos = o.eos === undefined || o.eos === null ? -1 : integer(o.eos, "eos", 0, V - 1);
  const gamma = o.mixture === undefined ? 0 : probability(o.mixture, "mixture");
  const ref = o.refModel;
  if (gamma > 0 && ref === undefined) throw new ValueError("sample: mixture > 0 needs a refModel");
  if (ref !== undefined) {
    if (!(ref instanceof LanguageModel)) throw new ValueError("sample: refModel must be a LanguageModel");
    ref.check();
    if (ref.vocab !== V) throw new ValueError(`sample: refModel has vocabulary ${ref.vocab}, the model ${V}`);
    if (ref.context < T) throw new ShapeError(`sample: ${T} positions exceed refModel's context of ${ref.context}`);
    if (ref.engine !== model.engine) throw new ValueError("sample: refModel lives in another engine");
  }
  const needIds = model.config.promptVocab > 0 || (ref !== undefined && ref.config.promptVocab > 0);
  let promptIds: Int32Array | null = null;
  if (needIds) {
    if (o.promptIds === undefined) throw new ValueError("sample: promptIds are required (the model has a prompt embedding)");
    if (o.promptIds.length !== B) throw new ShapeError(`sample: promptIds has ${o.promptIds.length} ids, expected ${B}`);
    const pv = Math.min(...[model, ref].filter((m): m is LanguageModel => m !== undefined && m.config.promptVocab > 0).map((m) => m.config.promptVocab));
    promptIds = Int32Array.from(o.promptIds, (v, b) => integer(v, `promptIds[${b}]`, 0, pv - 1));
  } else if (o.promptIds !== undefined) {
    throw new ValueError("sample: promptIds given but the model has no prompt embedding");
  }
  const recompute = o.recompute === true;
  const eng = model.engine;
  const size = (m: LanguageModel) => {
    const n = eng.call("nn_sample_workspace_size", { cfg: m.cfg, B, T, recompute }).ret;
    if (!(n > 0 && n * 4 <= 2 ** 30 - 64)) throw new ShapeError(`sample: ${B} sequences of ${T} tokens need ${Math.round(n * 4 / 2 ** 20)} MiB of cache, above the engine's 1 GiB block; sample fewer at once`);
    return n;
  };
  const workSize = size(model), refSize = ref && gamma > 0 ? size(ref) : 0;
  if (o.rng !== undefined && !(o.rng instanceof Rng)) throw new ValueError("sample: rng must be an Rng");
  const ownRng = o.rng === undefined;
  const rng = o.rng ?? new Rng(checkSeed(o.seed ?? 0, "seed"), 0x53414d50); // stream "SAMP"
  // Every block is freed in `finally`, also when an allocation fails part-way.
  const blocks: { dispose(): void }[] = [];
  const keep = <T extends { dispose(): void }>(b: T): T => (blocks.push(b), b);
  try {
    const work = keep(eng.f32(workSize));
    const refWork = ref && gamma > 0 ? keep(eng.f32(refSize)) : null;
    const tokens = keep(eng.i32(B * T));
    const plen = keep(eng.i32(B));
    const lengths = keep(eng.i32(B));
    const logp = keep(eng.f32(B * T));
    const opts = keep(eng.f64(SampleConfig.SLOTS));
    const pids = promptIds ? keep(eng.i32(B).set(promptIds)) : null;
    const tv = tokens.view, pl = plen.view;
    tv.fill(model.config.pad);
    for (let b = 0; b < B; b++) {
      tv.set(Array.from(prompts[b]), b * T);
      pl[b] = prompts[b].length;
    }
    const s = opts.view;
    s[SampleConfig.TEMPERATURE] = temperature;
    s[SampleConfig.TOP_K] = topK;
    s[SampleConfig.TOP_P] = topP;
    s[SampleConfig.MIXTURE] = gamma;
    s[SampleConfig.EOS] = eos;
    s[SampleConfig.MAX_NEW] = maxNew;
    s[SampleConfig.RECOMPUTE] = recompute ? 1 : 0;
    const r = eng.call("nn_sample", {
      cfg: model.cfg, params: model.params, work,
      refCfg: refWork ? ref!.cfg : null, refParams: refWork ? ref!.params : null, refWork,
      options: opts, tokens, promptLen: plen, prompts: pids, B, T, rng: rng.stateBuffer, lengths, logp,
    });
    if (r.ret !== Status.OK) throw new ValueError(`sample: the engine rejected the arguments (status ${r.ret}, ${eng.statusArgs()[0]})`);
    const out: SampleResult = { sequences: [], completions: [], logProbs: [] };
    const tv2 = tokens.view, lv = lengths.view, lp = logp.view;
    for (let b = 0; b < B; b++) {
      const n = lv[b], p = prompts[b].length;
      out.sequences.push(tv2.slice(b * T, b * T + n));
      out.completions.push(tv2.slice(b * T + p, b * T + n));
      out.logProbs.push(lp.slice(b * T + p, b * T + n));
    }
    return out;
  } finally {
    for (const b of blocks) b.dispose();
    if (ownRng) rng.dispose();
  }
}
