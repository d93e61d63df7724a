// MTPO on language-model policies over whole conversations (Shani et al., NeurIPS 2024,
// "Multi-turn reinforcement learning from preference human feedback", the policy-gradient form of
// their deep-RL actor-critic variant), with the two baselines the paper compares against:
//
// - "mtpo": per context, two conversations are rolled out with the current policy against the
//   environment; the preference oracle's P(a ≻ b) is the terminal reward of a (and 1 − P of b):
//   self-play against the policy itself. Turn h of a conversation gets the advantage
//   Â_h = (r − ½) − β·Σ_{h′≥h} log(π/μ)(turn h′), the ½ being the pair's mean reward (a control
//   variate), the KL to the reference μ as a per-turn penalty (the paper's loss
//   −Â·log π + α·KL(π‖μ), α = β here).
// - "mtpo-tau": the same, with both conversations sampled from the per-token geometric mixture
//   of π and μ with weight `mixture` (the paper's τ: MTPO-τ plays π^α ∝ π^{1−τ}μ^τ).
// - "rlhf-multi": the paper's multi-turn RLHF: a reward r(conversation) (a Bradley–Terry reward
//   model) at the end of the whole conversation, the same per-turn KL penalty; baseline: the
//   pair's mean reward.
// - "rlhf-single": single-turn RLHF: each turn is its own one-step problem with the reward
//   `turnRewards(conversation)[h]` (e.g. the reward model's gain from the turn), no credit from
//   later turns: Â_h = (r_h − b_h) − β·log(π/μ)(turn h), b_h the batch mean of r_h.
//
// Simplifications, stated: no learned critic (the pair baseline replaces GAE and the value
// network), plain SGD on the advantages divided by their batch root-mean-square (the paper batch-
// normalises its advantages too), one gradient step per batch.
import { ValueError } from "../../core/errors.js";
import { checkOptions } from "../../core/options.js";
import { integer, nonNegative, positive, probability, oneOf } from "../../core/validate.js";
import { Rng } from "../../random/rng.js";
import { LMPolicy } from "../policy.js";
import { isEnvironmentError, type Environment } from "../envs/environment.js";
import { episodeSeed } from "../envs/random.js";
import { yieldTask } from "./common.js";

/** Where a policy turn sits in a transcript. */
export interface TurnSpan {
  /** Index of its first token. */
  start: number;
  /** Its number of tokens. */
  length: number;
}

/** A finished conversation. */
export interface Conversation<C, O> {
  /** Its context. */
  context: C;
  /** The whole transcript: first observation, then turns and observations. */
  tokens: Int32Array;
  /** Where each policy turn sits in `tokens`. */
  turns: TurnSpan[];
  /** The environment's outcome (null when the episode ended on a malformed turn). */
  outcome: O | null;
  /** Whether the environment rejected the last turn (EnvironmentError "malformed-turn"). */
  malformed: boolean;
}

/**
 * Roll `policy` out against one environment per context, all conversations advancing together:
 * each round samples one turn for every unfinished conversation (one `policy.sample` call, from
 * `rng`; with `mix`, from the per-token mixture with `mix.ref`), steps its environment, and
 * appends the observation. A turn the environment rejects (EnvironmentError "malformed-turn") ends that
 * conversation (`malformed`, outcome null); any other error propagates.
 */
export function rolloutConversations<C, O>(
  policy: LMPolicy<ArrayLike<number>>, envs: Environment<C, O>[], contexts: readonly C[], seeds: readonly number[], rng: Rng,
  mix?: { ref: LMPolicy<ArrayLike<number>>; mixture: number },
): Conversation<C, O>[] {
  if (envs.length !== contexts.length || seeds.length !== contexts.length) throw new ValueError("rolloutConversations: envs, contexts and seeds must have the same length");
  const convs: Conversation<C, O>[] = [];
  const live: number[] = [];
  const text: number[][] = [];
  contexts.forEach((c, i) => {
    const obs = envs[i].reset(c, seeds[i]);
    convs.push({ context: c, tokens: new Int32Array(0), turns: [], outcome: null, malformed: false });
    text.push(Array.from(obs));
    live.push(i);
  });
  let active = live;
  while (active.length > 0) {
    const ys = policy.sample(active.map((i) => Int32Array.from(text[i])), rng, mix && mix.mixture > 0 ? mix : undefined);
    const still: number[] = [];
    active.forEach((i, k) => {
      const y = ys[k];
      convs[i].turns.push({ start: text[i].length, length: y.length });
      text[i].push(...y);
      try {
        const r = envs[i].step(y);
        if (r.done) {
          convs[i].outcome = r.outcome;
          if (r.observation) text[i].push(...r.observation);
        } else {
          text[i].push(...r.observation);
          still.push(i);
        }
      } catch (e) {
        if (!isEnvironmentError(e) || e.code !== "malformed-turn") throw e;
        convs[i].malformed = true;
      }
    });
    active = still;
  }
  convs.forEach((c, i) => (c.tokens = Int32Array.from(text[i])));
  return convs;
}

/** The methods of `trainConversations`. */
export type ConversationMethod = "mtpo" | "mtpo-tau" | "rlhf-multi" | "rlhf-single";

/** Options of `trainConversations`. */
export interface ConversationTrainOptions<C, O> {
  /** The algorithm. */
  method: ConversationMethod;
  /** Makes one environment (one per conversation of a batch). */
  env: () => Environment<C, O>;
  /** Draws n contexts (from the training distribution) with the generator given. */
  contexts: (rng: Rng, n: number) => C[];
  /** Iterations (one gradient step each). */
  iterations: number;
  /** Contexts per iteration; each gets two conversations. Default 16. */
  batch?: number;
  /** KL coefficient β (the paper's α). Default 0.01. */
  beta?: number;
  /** SGD learning rate on the normalised advantages. Default 0.5. */
  lr?: number;
  /** MTPO-τ's mixture weight τ on μ. Default 0.0375 (the paper's). */
  mixture?: number;
  /** mtpo / mtpo-tau: P(a ≻ b) of two conversations of the same context (malformed ones are
   *  handled before: a malformed conversation loses to a well-formed one, ties with another). */
  judge?: (a: Conversation<C, O>, b: Conversation<C, O>) => number;
  /** rlhf-multi: the reward of a whole conversation. */
  reward?: (c: Conversation<C, O>) => number;
  /** rlhf-single: one reward per policy turn. */
  turnRewards?: (c: Conversation<C, O>) => Float64Array;
  /** Reward given to a malformed conversation by the RLHF methods (per turn for rlhf-single, on
   *  its last turn). Default −1. */
  malformedReward?: number;
  /** Seed of the sampling, context and environment streams. Default 0. */
  seed?: number;
  /** Checked between iterations: the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every iteration with its metrics. */
  onIteration?: (iteration: number, metrics: ConversationMetrics) => void;
}

/** Metrics of one training iteration. */
export interface ConversationMetrics {
  /** Mean terminal reward (mtpo: ½ by construction; RLHF: the reward model's). */
  reward: number;
  /** Mean sampled KL estimate Σ_h log(π/μ) per conversation. */
  kl: number;
  /** Mean policy turns per conversation. */
  turns: number;
  /** Share of malformed conversations. */
  malformed: number;
}

const KEYS = [
  "method", "env", "contexts", "iterations", "batch", "beta", "lr", "mixture", "judge", "reward", "turnRewards", "malformedReward", "seed", "signal",
  "onIteration",
] as const;

/** Token-level prefix and turn of every policy turn of `convs` (row order: conversation-major). */
function turnRows<C, O>(convs: Conversation<C, O>[]) {
  const xs: Int32Array[] = [], ys: Int32Array[] = [], owner: number[] = [], index: number[] = [];
  convs.forEach((c, i) => c.turns.forEach((t, h) => {
    xs.push(c.tokens.slice(0, t.start));
    ys.push(c.tokens.slice(t.start, t.start + t.length));
    owner.push(i);
    index.push(h);
  }));
  return { xs, ys, owner, index };
}

/** Σ_h log π(turn h)/μ(turn h) per turn, sampled estimate (sequence log-ratio of each turn). */
export function turnLogRatios<C, O>(policy: LMPolicy<ArrayLike<number>>, ref: LMPolicy<ArrayLike<number>>, convs: Conversation<C, O>[]): Float64Array[] {
  const { xs, ys, owner, index } = turnRows(convs);
  const out = convs.map((c) => new Float64Array(c.turns.length));
  if (xs.length === 0) return out;
  const lp = policy.logProbs(xs, ys), lq = ref.logProbs(xs, ys);
  for (let r = 0; r < xs.length; r++) out[owner[r]][index[r]] = lp[r] - lq[r];
  return out;
}

/**
 * Train `policy` (from its current parameters) on whole conversations with MTPO, MTPO-τ,
 * multi-turn RLHF or single-turn RLHF (see the file's header). `ref` is μ (never changed).
 * Deterministic given the seed: contexts from Rng(seed, 1), sampling from Rng(seed, 2), the
 * environments' seeds from (seed, iteration, index). Yields to the event loop every ~20 ms.
 */
export async function trainConversations<C, O>(policy: LMPolicy<ArrayLike<number>>, ref: LMPolicy<ArrayLike<number>>, options: ConversationTrainOptions<C, O>): Promise<void> {
  if (!(policy instanceof LMPolicy) || !(ref instanceof LMPolicy)) throw new ValueError("trainConversations: policy and ref must be LMPolicy instances");
  const o = checkOptions<ConversationTrainOptions<C, O>>(options, "trainConversations", KEYS);
  const method = oneOf(o.method, "method", ["mtpo", "mtpo-tau", "rlhf-multi", "rlhf-single"] as const);
  const iters = integer(o.iterations, "iterations", 0);
  const B = integer(o.batch ?? 16, "batch", 1);
  const beta = nonNegative(o.beta ?? 0.01, "beta");
  const lr = positive(o.lr ?? 0.5, "lr");
  const mixture = probability(o.mixture ?? 0.0375, "mixture");
  const bad = o.malformedReward ?? -1;
  if (typeof o.env !== "function" || typeof o.contexts !== "function") throw new ValueError("trainConversations: env and contexts must be functions");
  const need = { mtpo: "judge", "mtpo-tau": "judge", "rlhf-multi": "reward", "rlhf-single": "turnRewards" }[method] as "judge" | "reward" | "turnRewards";
  if (typeof o[need] !== "function") throw new ValueError(`trainConversations: method "${method}" needs the option ${need}`);
  const seed = integer(o.seed ?? 0, "seed", 0, 0xffffffff);
  const ctxRng = new Rng(seed, 1), sampleRng = new Rng(seed, 2);
  if (o.signal !== undefined && typeof (o.signal as AbortSignal)?.throwIfAborted !== "function") throw new ValueError("trainConversations: signal must be an AbortSignal");
  const envs = Array.from({ length: 2 * B }, () => o.env());
  const clock = () => (typeof performance !== "undefined" ? performance.now() : Date.now());
  let lastYield = clock();
  try {
    for (let it = 0; it < iters; it++) {
      // a macrotask now and then (every ~20 ms): timers, messages and abort events get to run
      if (clock() - lastYield >= 20) {
        await yieldTask();
        lastYield = clock();
      }
      o.signal?.throwIfAborted();
      const cs = o.contexts(ctxRng, B);
      if (!Array.isArray(cs) || cs.length !== B) throw new ValueError(`trainConversations: contexts() must return ${B} contexts`);
      const pairCtx = cs.flatMap((c) => [c, c]);
      const seeds = pairCtx.map((_, i) => episodeSeed(seed, it + 1, i));
      const convs = rolloutConversations(policy, envs, pairCtx, seeds, sampleRng, method === "mtpo-tau" ? { ref, mixture } : undefined);
      const ratios = turnLogRatios(policy, ref, convs);
      // Per-conversation rewards (terminal) or per-turn rewards.
      const adv: Float64Array[] = convs.map((c) => new Float64Array(c.turns.length));
      let rewardSum = 0;
      if (method === "rlhf-single") {
        const tr = convs.map((c) => {
          if (c.malformed) {
            const r = new Float64Array(c.turns.length);
            r[r.length - 1] = bad;
            return r;
          }
          const r = o.turnRewards!(c);
          if (!r || r.length !== c.turns.length) throw new ValueError(`turnRewards must return one reward per turn (${c.turns.length})`);
          return r;
        });
        const H = Math.max(...convs.map((c) => c.turns.length));
        for (let h = 0; h < H; h++) {
          let s = 0, n = 0;
          tr.forEach((r) => {
            if (h < r.length) (s += r[h]), n++;
          });
          const b = s / n;
          tr.forEach((r, i) => {
            if (h < r.length) adv[i][h] = r[h] - b - beta * ratios[i][h];
          });
        }
        tr.forEach((r) => r.forEach((v) => (rewardSum += v)));
      } else {
        const term = new Float64Array(convs.length);
        for (let k = 0; k < B; k++) {
          const a = convs[2 * k], b = convs[2 * k + 1];
          if (method === "rlhf-multi") {
            term[2 * k] = a.malformed ? bad : o.reward!(a);
            term[2 * k + 1] = b.malformed ? bad : o.reward!(b);
            const m = (term[2 * k] + term[2 * k + 1]) / 2;
            rewardSum += term[2 * k] + term[2 * k + 1];
            term[2 * k] -= m;
            term[2 * k + 1] -= m;
          } else {
            const p = a.malformed || b.malformed ? (a.malformed && b.malformed ? 0.5 : a.malformed ? 0 : 1) : o.judge!(a, b);
            if (!(p >= 0 && p <= 1)) throw new ValueError(`judge returned ${p}; expected a probability`);
            term[2 * k] = p - 0.5;
            term[2 * k + 1] = 0.5 - p;
            rewardSum += 1;
          }
        }
        convs.forEach((c, i) => {
          let tail = 0;
          for (let h = c.turns.length - 1; h >= 0; h--) {
            tail += ratios[i][h];
            adv[i][h] = term[i] - beta * tail;
          }
        });
      }
      // Normalise by the batch root-mean-square and take one SGD step on Σ Â·log π.
      const { xs, ys, owner, index } = turnRows(convs);
      let ss = 0;
      for (let r = 0; r < xs.length; r++) ss += adv[owner[r]][index[r]] ** 2;
      const rms = Math.sqrt(ss / Math.max(1, xs.length));
      if (xs.length > 0 && rms > 1e-12) {
        // applyTokenGradient reuses the forward pass of turnLogRatios (same rows, model unchanged).
        const w = ys.map((y, r) => new Float64Array(y.length).fill(adv[owner[r]][index[r]] / (rms * xs.length)));
        policy.applyTokenGradient(xs, ys, w, lr);
      }
      let kl = 0, turns = 0, mal = 0;
      ratios.forEach((r, i) => {
        r.forEach((v) => (kl += v));
        turns += convs[i].turns.length;
        if (convs[i].malformed) mal++;
      });
      o.onIteration?.(it + 1, { reward: rewardSum / (2 * B), kl: kl / (2 * B), turns: turns / (2 * B), malformed: mal / (2 * B) });
    }
  } finally {
    ctxRng.dispose();
    sampleRng.dispose();
  }
}
