// mtpo-dialogue: MTPO against single-turn and multi-turn RLHF on an Education-Dialogue-like world
// (Shani et al., NeurIPS 2024, "Multi-turn reinforcement learning from preference human
// feedback", Education Dialogue, their Table 1).
//
// World: align's EducationDialogueEnv — a teacher (the policy) talks to a simulated student whose
// type (prior knowledge, preferred style) is hidden and drawn per conversation; one token per turn
// on each side, at most `turns` teacher turns (END ends early); the judge compares two whole
// conversations of the same student by their simulated learning outcome (a soft majority over
// understanding, engagement, confidence: not transitive).
//
// Policies (full-context MLPs over the transcript): the reference μ (a random teacher: uniform
// over the moves, the other tokens' logits at −20 so that it never writes a non-move), and four
// methods trained from μ for the same number of iterations and conversations:
// - single-turn RLHF: a Bradley–Terry reward fitted on oracle-labelled comparisons of μ's
//   conversations (features: counts of (move, reaction) and (greeting, move)); each turn is
//   rewarded by the reward model's gain from that turn alone (myopic, no credit from later turns);
// - multi-turn RLHF: the same reward model on the whole conversation (the paper's RLHF baseline);
// - MTPO: self-play pairs judged by the preference oracle over whole conversations;
// - MTPO-τ: the same, sampling from the per-token geometric mixture with μ (weight τ).
// The reward model is fitted on as many comparisons as MTPO queries in training (equal budgets);
// MTPO uses the oracle's probability directly (the paper's "online oracle" setting), the reward
// model sees the same kind of soft labels, on μ's conversations.
//
// Metrics: the win-rate matrix of the five final policies judged by the oracle (exact
// probabilities, paired by student and seed), the learning outcome per student type, the
// conversation length, and the sampled KL to μ. Primary contrast: MTPO vs single-turn RLHF head to
// head (win rate − ½ > 0). A tabular check runs per seed too: contextual MTPO on the small exact
// version of the world (random type probabilities from the seed) reaches exploitability ≈ 0.
import { exp, log } from "../core/detmath.js";
import { ValueError } from "../core/errors.js";
import { integer, positive, probability, nonNegative } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { LanguageModel } from "../align/model.js";
import { LMPolicy } from "../align/policy.js";
import { EducationDialogueEnv, dialogueGame, REACTIONS, type DialogueOutcome, type DialogueGame } from "../align/envs/dialogue.js";
import { episodeSeed } from "../align/envs/random.js";
import { rolloutConversations, trainConversations, turnLogRatios, type Conversation, type ConversationMethod, type ConversationMetrics } from "../align/trainers/mtpo.js";
import { contextualMtpo, contextualExploitability, contextualValue } from "../games/mtpo-contexts.js";
import { matrixPlot } from "../io/svg.js";
import { defineExperiment, type CurveRow, type SeedResult } from "./experiment.js";
import type { AcceptanceRule } from "./stats.js";

/** The configuration of mtpo-dialogue. */
export interface MtpoDialogueConfig {
  /** Learning styles of the students. */
  styles: number;
  /** Knowledge levels (also the teaching levels). */
  levels: number;
  /** Most teacher turns per conversation. */
  turns: number;
  /** Hidden units of the full-context MLP policies. */
  hidden: number;
  /** Training iterations per method (one SGD step on a batch of conversation pairs each). */
  iterations: number;
  /** Student contexts per iteration (two conversations each). */
  batch: number;
  /** KL coefficient β (the paper's α), the same for every method. */
  beta: number;
  /** SGD learning rate on normalised advantages. */
  lr: number;
  /** MTPO-τ's mixture weight on μ. */
  mixture: number;
  /** L2 penalty of the Bradley–Terry reward fit. */
  rmL2: number;
  /** Conversations per policy in the final evaluation (one per student drawn). */
  evalConversations: number;
  /** Log the training curves every this many iterations (win rate against μ on `curveConversations`). */
  logEvery: number;
  /** Conversations per logged point of the training curves. */
  curveConversations: number;
  /** Tabular check: turns of the exact small world (styles 2, levels 2). */
  tabularTurns: number;
  /** Tabular check: iterations of contextual MTPO. */
  tabularIterations: number;
  /** Tabular check: the exploitability must end below this in every seed. */
  tabularTolerance: number;
  /** Iterations of the four methods on the exact small world (no END), whose trained policies'
   *  exact exploitability and win rates are then computed. */
  tabularNeuralIterations: number;
}

/** The policies compared, in matrix order, with their labels. */
export const POLICIES = [["ref", "μ (reference)"], ["rlhf-single", "single-turn RLHF"], ["rlhf-multi", "multi-turn RLHF"], ["mtpo", "MTPO"], ["mtpo-tau", "MTPO-τ"]] as const;
const METHODS: ConversationMethod[] = ["rlhf-single", "rlhf-multi", "mtpo", "mtpo-tau"];
type PolicyName = (typeof POLICIES)[number][0];

type Conv = Conversation<number, DialogueOutcome>;

/** The judge on conversations: malformed ones lose to well-formed ones. */
function judgeOf(env: EducationDialogueEnv) {
  return (a: Conv, b: Conv): number => {
    if (a.malformed || b.malformed) return a.malformed && b.malformed ? 0.5 : a.malformed ? 0 : 1;
    return env.prefer(a.outcome!, b.outcome!);
  };
}

/** Features of the reward model: counts of (move, reaction or none) and (greeting, move). */
function featureSpec(env: EducationDialogueEnv) {
  const A = env.moves.length, R = REACTIONS.length + 1, S = env.styles;
  const dim = A * R + S * A;
  /** Per turn h: the feature indices the turn adds (with its reaction, if any). */
  const turnFeatures = (c: Conv): number[][] => {
    const g = c.tokens[1] - env.greetingBase;
    return c.turns.map((t) => {
      const a = env.actionOf(c.tokens[t.start]);
      const next = t.start + 1 < c.tokens.length ? c.tokens[t.start + 1] - env.reactionBase : -1;
      const r = next >= 0 && next < REACTIONS.length ? next : REACTIONS.length;
      return [a * R + r, A * R + g * A + a];
    });
  };
  const features = (c: Conv): Float64Array => {
    const f = new Float64Array(dim);
    for (const idx of turnFeatures(c)) for (const i of idx) f[i] += 1;
    return f;
  };
  return { dim, turnFeatures, features };
}

/** A Bradley–Terry reward r(x) = w·φ(x) fitted by Newton's method on soft labels p (pairs of
 *  feature vectors), with an L2 penalty: max Σ p·log σ(Δ) + (1 − p)·log σ(−Δ) − (λ/2)|w|². */
export function fitBradleyTerryFeatures(pairs: Array<[Float64Array, Float64Array, number]>, dim: number, l2: number, iters = 12): Float64Array {
  const w = new Float64Array(dim);
  const sig = (z: number) => (z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)));
  const d = new Float64Array(dim);
  for (let it = 0; it < iters; it++) {
    const g = new Float64Array(dim), Hm = new Float64Array(dim * dim);
    for (const [a, b, p] of pairs) {
      let z = 0;
      for (let i = 0; i < dim; i++) z += w[i] * (d[i] = a[i] - b[i]);
      const s = sig(z), h = s * (1 - s);
      for (let i = 0; i < dim; i++) {
        if (d[i] === 0) continue;
        g[i] += (p - s) * d[i];
        for (let j = 0; j < dim; j++) Hm[i * dim + j] += h * d[i] * d[j];
      }
    }
    for (let i = 0; i < dim; i++) {
      g[i] -= l2 * w[i];
      Hm[i * dim + i] += l2;
    }
    // Solve Hm·Δw = g by Cholesky (Hm is positive definite with λ > 0).
    const L = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) {
      for (let j = 0; j <= i; j++) {
        let s = Hm[i * dim + j];
        for (let k = 0; k < j; k++) s -= L[i * dim + k] * L[j * dim + k];
        L[i * dim + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / L[j * dim + j];
      }
    }
    const y = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      let s = g[i];
      for (let k = 0; k < i; k++) s -= L[i * dim + k] * y[k];
      y[i] = s / L[i * dim + i];
    }
    const dx = new Float64Array(dim);
    for (let i = dim - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < dim; k++) s -= L[k * dim + i] * dx[k];
      dx[i] = s / L[i * dim + i];
    }
    let step = 0;
    for (let i = 0; i < dim; i++) {
      w[i] += dx[i];
      step = Math.max(step, Math.abs(dx[i]));
    }
    if (step < 1e-10) break;
  }
  return w;
}

/** The reference μ: a full-context MLP whose non-move tokens have logit −20. */
function referenceModel(env: EducationDialogueEnv, hidden: number, seed: number): LanguageModel {
  const m = LanguageModel.create({ kind: "full-context-mlp", vocab: env.vocab, context: 2 * env.turns + 2, width: 16, hidden }, { seed });
  const bias = new Float32Array(env.vocab).fill(-20);
  for (const t of env.moves) bias[t] = 0;
  m.setTensor("mlp.out.bias", bias);
  return m;
}

const mean = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : NaN;
};

/** "Every seed within tolerance" (the tabular exploitability bound must hold in each seed). */
const everySeed: AcceptanceRule = (e) => {
  const bad = e.values.filter((v) => !(v > 0)).length;
  return bad === 0
    ? { verdict: "reproduced", reason: `every seed (${e.values.length}) is within the tolerance` }
    : { verdict: "not reproduced", reason: `${bad} of ${e.values.length} seeds are not within the tolerance` };
};

const win = (a: string, b: string) => `win/${a}/${b}`;

/** The reward model (fitted on as many oracle comparisons of μ's conversation pairs as MTPO
 *  makes in training) and the four methods trained from μ on `env`. */
async function trainWorld(
  env: EducationDialogueEnv, config: MtpoDialogueConfig, iterations: number, seed: number, salt: number, ref: LMPolicy<ArrayLike<number>>,
  signal: AbortSignal | undefined,
  log: (method: ConversationMethod, it: number, m: ConversationMetrics, policy: LMPolicy<ArrayLike<number>>) => void,
  progress: (fraction: number, note: string) => void,
) {
  const judge = judgeOf(env);
  const drawTypes = (rng: Rng, n: number) => Array.from(rng.uniform(n), (u) => env.typeFromUniform(u));
  const makeEnv = () => new EducationDialogueEnv(env.options as never);
  const fs = featureSpec(env);
  const nPairs = iterations * config.batch;
  const rmRng = new Rng(seed, 3 + 100 * salt), rmSample = new Rng(seed, 4 + 100 * salt);
  const types = drawTypes(rmRng, nPairs).flatMap((t) => [t, t]);
  const rmConvs = rolloutConversations(ref, types.map(() => makeEnv()), types, types.map((_, i) => episodeSeed(seed, 3 + 100 * salt, i)), rmSample);
  rmRng.dispose();
  rmSample.dispose();
  const pairs: Array<[Float64Array, Float64Array, number]> = [];
  for (let k = 0; k < nPairs; k++) pairs.push([fs.features(rmConvs[2 * k]), fs.features(rmConvs[2 * k + 1]), judge(rmConvs[2 * k], rmConvs[2 * k + 1])]);
  const w = fitBradleyTerryFeatures(pairs, fs.dim, config.rmL2);
  const reward = (c: Conv) => {
    let s = 0;
    for (const idx of fs.turnFeatures(c)) for (const i of idx) s += w[i];
    return s;
  };
  const turnRewards = (c: Conv) => Float64Array.from(fs.turnFeatures(c), (idx) => idx.reduce((s, i) => s + w[i], 0));
  progress(0.05, "reward model");
  const policies = new Map<PolicyName, LMPolicy<ArrayLike<number>>>();
  let tokenUpdates = 0;
  try {
    for (let mi = 0; mi < METHODS.length; mi++) {
      const method = METHODS[mi];
      const policy = new LMPolicy<ArrayLike<number>>(ref.model.clone(), { responseLength: 1 });
      policies.set(method, policy);
      let turnsSum = 0;
      await trainConversations(policy, ref, {
        method, env: makeEnv, contexts: drawTypes, iterations, batch: config.batch, beta: config.beta, lr: config.lr,
        mixture: config.mixture, judge, reward, turnRewards, seed: seed * 8 + mi + 4 * salt, signal,
        onIteration: (it, m) => {
          turnsSum += m.turns;
          log(method, it, m, policy);
        },
      });
      tokenUpdates += Math.round(turnsSum * 2 * config.batch);
      progress(0.05 + (0.95 * (mi + 1)) / METHODS.length, method);
    }
  } catch (e) {
    for (const p of policies.values()) p.model.dispose();
    throw e;
  }
  return { policies, reward, tokenUpdates };
}

/** The tabular policy of an LM teacher on the exact game: at every history (greeting, then
 *  (move, reaction) pairs) the model's probabilities of the game's actions, renormalised over
 *  them (the other tokens have probability ≈ e^−20). */
function tabularPolicy(policy: LMPolicy<ArrayLike<number>>, tg: DialogueGame): Float64Array[] {
  const g = tg.game, A = g.actions, K = g.branching;
  const env0 = tg.actionTokens;
  let level: number[][] = Array.from({ length: g.states[0] }, (_, x) => [tg.env.bos, tg.env.greetingBase + x]);
  const out: Float64Array[] = [];
  for (let h = 0; h < g.horizon; h++) {
    const xs: Int32Array[] = [], ys: Int32Array[] = [];
    for (const t of level) for (let y = 0; y < A; y++) {
      xs.push(Int32Array.from(t));
      ys.push(Int32Array.of(env0[y]));
    }
    const lp = policy.logProbs(xs, ys);
    const p = new Float64Array(level.length * A);
    for (let x = 0; x < level.length; x++) {
      let z = 0;
      for (let y = 0; y < A; y++) z += p[x * A + y] = exp(lp[x * A + y]);
      for (let y = 0; y < A; y++) p[x * A + y] /= z;
    }
    out.push(p);
    if (h + 1 < g.horizon) {
      const next: number[][] = new Array(g.states[h + 1]);
      level.forEach((t, x) => {
        for (let y = 0; y < A; y++) for (let k = 0; k < K; k++) next[g.next[h][(x * A + y) * K + k]] = [...t, env0[y], tg.env.reactionBase + k];
      });
      level = next;
    }
  }
  return out;
}

/** MTPO vs single-turn and multi-turn RLHF on the education-dialogue world. */
export const mtpoDialogue = defineExperiment<MtpoDialogueConfig>({
  name: "mtpo-dialogue",
  title: "MTPO vs single-turn and multi-turn RLHF on an education-dialogue world",
  description:
    "A teacher policy talks to simulated students of hidden types (prior knowledge, preferred style) for at most `turns` turns; a judge " +
    "compares two whole conversations with the same student by the simulated learning outcome (a non-transitive soft majority of " +
    "understanding, engagement and confidence). Single-turn RLHF (a Bradley–Terry reward fitted on the same number of comparisons, " +
    "applied per turn), multi-turn RLHF (the reward on the whole conversation), MTPO and MTPO-τ (self-play on whole conversations " +
    "judged by the oracle) are trained from the same random reference teacher with the same budget; the five final policies play " +
    "each other under the oracle. Primary contrast: MTPO's head-to-head win rate against single-turn RLHF exceeds ½. A tabular " +
    "check runs contextual MTPO on the exact small version of the world (hidden student types) to exploitability ≈ 0.",
  references: ["Shani, Rosenberg, Cassel, Lang, Calandriello, Zipori, Noga, Keller, Piot, Szpektor, Hassidim, Matias & Munos 2024, Multi-turn Reinforcement Learning from Preference Human Feedback (NeurIPS)."],
  presets: {
    smoke: {
      styles: 3, levels: 2, turns: 4, hidden: 32, iterations: 120, batch: 16, beta: 0.01, lr: 0.5, mixture: 0.0375, rmL2: 0.1,
      evalConversations: 256, logEvery: 40, curveConversations: 64, tabularTurns: 2, tabularIterations: 100, tabularTolerance: 1e-4, tabularNeuralIterations: 60,
    },
    full: {
      styles: 3, levels: 2, turns: 5, hidden: 64, iterations: 500, batch: 16, beta: 0.01, lr: 0.5, mixture: 0.0375, rmL2: 0.1,
      evalConversations: 1024, logEvery: 50, curveConversations: 128, tabularTurns: 3, tabularIterations: 200, tabularTolerance: 1e-4, tabularNeuralIterations: 300,
    },
  },
  defaultSeeds: 5,

  check(c) {
    integer(c.styles, "styles", 2, 6);
    integer(c.levels, "levels", 1, 4);
    integer(c.turns, "turns", 1, 12);
    integer(c.hidden, "hidden", 1, 4096);
    integer(c.iterations, "iterations", 1, 1_000_000);
    integer(c.batch, "batch", 1, 4096);
    nonNegative(c.beta, "beta");
    positive(c.lr, "lr");
    probability(c.mixture, "mixture");
    positive(c.rmL2, "rmL2");
    integer(c.evalConversations, "evalConversations", 2, 1_000_000);
    integer(c.logEvery, "logEvery", 1);
    integer(c.curveConversations, "curveConversations", 1, 1_000_000);
    integer(c.tabularTurns, "tabularTurns", 1, 3);
    integer(c.tabularIterations, "tabularIterations", 1, 100_000);
    positive(c.tabularTolerance, "tabularTolerance");
    integer(c.tabularNeuralIterations, "tabularNeuralIterations", 1, 1_000_000);
  },

  async run(config, seed, ctx) {
    const env = new EducationDialogueEnv({ styles: config.styles, levels: config.levels, turns: config.turns });
    const judge = judgeOf(env);
    const nTypes = env.types.length;
    const drawTypes = (rng: Rng, n: number) => Array.from(rng.uniform(n), (u) => env.typeFromUniform(u));
    const makeEnv = () => new EducationDialogueEnv(env.options as never);
    const pOpts = { responseLength: 1 };
    const refModel = referenceModel(env, config.hidden, seed);
    const ref = new LMPolicy<ArrayLike<number>>(refModel, pOpts);
    const models = new Map<PolicyName, LanguageModel>([["ref", refModel]]);
    const policies = new Map<PolicyName, LMPolicy<ArrayLike<number>>>([["ref", ref]]);
    const scalars: Record<string, number> = {};
    const rows = new Map<number, CurveRow>();
    const at = (step: number) => {
      let r = rows.get(step);
      if (!r) rows.set(step, (r = { step } as CurveRow));
      return r;
    };
    let tokenUpdates = 0;
    try {
      // Rollouts of several policies on the same students and environment seeds.
      const rollAll = (names: PolicyName[], n: number, stream: number) => {
        const rng = new Rng(seed, stream);
        const types = drawTypes(rng, n);
        rng.dispose();
        const seeds = types.map((_, i) => episodeSeed(seed, 1000 + stream, i));
        const envs = types.map(() => makeEnv());
        const out = new Map<PolicyName, Conv[]>();
        for (const name of names) {
          const r = new Rng(seed, stream + 1);
          out.set(name, rolloutConversations(policies.get(name)!, envs, types, seeds, r));
          r.dispose();
        }
        return { types, out };
      };

      // 1–2. The reward model, then each method trained from μ (curves on a fixed set of students).
      const curveSet = rollAll(["ref"], config.curveConversations, 20);
      METHODS.forEach((m) => (at(0)[`${m}/win_vs_ref`] = 0.5));
      const trained = await trainWorld(env, config, config.iterations, seed, 0, ref, ctx.signal, (method, it, m, policy) => {
        if (it % config.logEvery !== 0 && it !== config.iterations) return;
        const row = at(it);
        row[`${method}/kl`] = m.kl;
        row[`${method}/turns`] = m.turns;
        if (method.startsWith("rlhf")) row[`${method}/rm_reward`] = m.reward;
        const r = new Rng(seed, 21);
        const cs = rolloutConversations(policy, curveSet.types.map(() => makeEnv()), curveSet.types, curveSet.types.map((_, i) => episodeSeed(seed, 1020, i)), r);
        r.dispose();
        const refs = curveSet.out.get("ref")!;
        row[`${method}/win_vs_ref`] = mean(cs.map((c, i) => judge(c, refs[i])));
      }, (f, note) => ctx.progress(0.05 + 0.7 * f, note));
      for (const [name, pol] of trained.policies) {
        policies.set(name, pol);
        models.set(name, pol.model);
      }
      tokenUpdates += trained.tokenUpdates;
      const reward = trained.reward;

      // 3. Evaluate: every policy on the same students and seeds; exact oracle probabilities.
      const names = POLICIES.map(([n]) => n);
      const ev = rollAll(names, config.evalConversations, 30);
      for (const a of names) for (const b of names) {
        const ca = ev.out.get(a)!, cb = ev.out.get(b)!;
        scalars[win(a, b)] = a === b ? 0.5 : mean(ca.map((c, i) => judge(c, cb[i])));
      }
      for (const a of names) {
        const cs = ev.out.get(a)!;
        const ok = cs.filter((c) => !c.malformed);
        scalars[`score/${a}`] = mean(ok.map((c) => c.outcome!.score));
        scalars[`understanding/${a}`] = mean(ok.map((c) => c.outcome!.understanding));
        scalars[`engagement/${a}`] = mean(ok.map((c) => c.outcome!.engagement));
        scalars[`confidence/${a}`] = mean(ok.map((c) => c.outcome!.confidence));
        scalars[`turns/${a}`] = mean(cs.map((c) => c.turns.length));
        scalars[`malformed/${a}`] = mean(cs.map((c) => (c.malformed ? 1 : 0)));
        scalars[`check_rate/${a}`] = mean(cs.map((c) => mean(c.turns.map((t) => (c.tokens[t.start] === env.checkToken ? 1 : 0)))));
        const ratios = turnLogRatios(policies.get(a)!, ref, cs);
        scalars[`kl/${a}`] = mean(ratios.map((r) => r.reduce((t, x) => t + x, 0)));
        for (let t = 0; t < nTypes; t++) {
          const sel = ok.filter((c) => c.context === t);
          scalars[`score/${a}/type=${t}`] = sel.length ? mean(sel.map((c) => c.outcome!.score)) : NaN;
        }
      }
      // The reward model's pairwise accuracy on the evaluation pairs (μ vs each method).
      let agree = 0, total = 0;
      for (const a of names.slice(1)) {
        const ca = ev.out.get(a)!, cr = ev.out.get("ref")!;
        ca.forEach((c, i) => {
          const p = judge(c, cr[i]);
          if (p === 0.5 || c.malformed || cr[i].malformed) return;
          total++;
          if ((reward(c) - reward(cr[i]) > 0) === (p > 0.5)) agree++;
        });
      }
      scalars.rm_accuracy = total ? agree / total : NaN;
      ctx.progress(0.9, "evaluation");

      // 4. Tabular check: contextual MTPO on the exact small world, type probabilities from the seed.
      const tr = new Rng(seed, 40);
      const u = tr.uniform(4);
      tr.dispose();
      const e = u.map((v) => -log(1 - v) + 0.05);
      const z = e.reduce((s, v) => s + v, 0);
      const small = new EducationDialogueEnv({ styles: 2, levels: 2, turns: config.tabularTurns, typeProbs: Array.from(e, (v) => v / z) });
      const { game } = dialogueGame(small);
      const tab = contextualMtpo(game, { beta: 0.1, iters: config.tabularIterations, logEvery: config.tabularIterations });
      scalars.tabular_exploitability_start = tab.exploitability[0];
      scalars.tabular_exploitability = tab.exploitability[tab.exploitability.length - 1];
      ctx.progress(0.9, "tabular check");

      // 5. The methods on the exact small world (no END, so that it is the tabular game): the
      // exact exploitability E_β of each trained policy, and exact head-to-head win rates.
      {
        const tenv = new EducationDialogueEnv({ ...small.options, endMove: false } as never);
        const tg = dialogueGame(tenv);
        const tref = new LMPolicy<ArrayLike<number>>(referenceModel(tenv, config.hidden, seed), pOpts);
        const tt = await trainWorld(tenv, config, config.tabularNeuralIterations, seed, 1, tref, ctx.signal, () => {}, (f) => ctx.progress(0.9 + 0.1 * f, "tabular world"));
        tokenUpdates += tt.tokenUpdates;
        const tab: Array<[PolicyName, Float64Array[]]> = [["ref", tabularPolicy(tref, tg)], ...METHODS.map((m) => [m, tabularPolicy(tt.policies.get(m)!, tg)] as [PolicyName, Float64Array[]])];
        const star = contextualMtpo(tg.game, { beta: config.beta, iters: config.tabularIterations, logEvery: 0 }).policy;
        tab.push(["equilibrium" as PolicyName, star]);
        for (const [a, pa] of tab) {
          scalars[`tabular/exploitability/${a}`] = contextualExploitability(tg.game, pa, { beta: config.beta });
          for (const [b, pb] of tab) if (a !== b) scalars[`tabular/win/${a}/${b}`] = contextualValue(tg.game, pa, pb, { beta: 1e-300 });
        }
        for (const p of tt.policies.values()) {
          p.dispose();
          p.model.dispose();
        }
        tref.model.dispose();
      }
      ctx.progress(1, "done");
    } finally {
      for (const p of policies.values()) p.dispose();
      for (const m of models.values()) m.dispose();
    }
    return { curves: [...rows.values()].sort((a, b) => a.step - b.step), scalars, tokenUpdates };
  },

  summarise(results, config) {
    const v = (k: string) => results.map((r) => r.scalars[k] - 0.5);
    return [
      {
        name: "mtpo_vs_single_turn_rlhf",
        definition: "P(MTPO ≻ single-turn RLHF) − ½, judged by the oracle on the same students (exact probabilities, paired conversations).",
        expected: "positive",
        claim: "Shani et al. 2024 (Table 1, Education Dialogue): MTPO beats single-turn RLHF head to head (0.608 against RLHF-reward).",
        values: v(win("mtpo", "rlhf-single")),
      },
      {
        name: "mtpo_vs_multi_turn_rlhf", primary: false,
        definition: "P(MTPO ≻ multi-turn RLHF) − ½.",
        expected: "positive",
        claim: "Shani et al. 2024 (Table 1): MTPO beats the multi-turn RLHF baseline (0.567).",
        values: v(win("mtpo", "rlhf-multi")),
      },
      {
        name: "mtpo_tau_vs_mtpo", primary: false,
        definition: "P(MTPO-τ ≻ MTPO) − ½.",
        expected: "positive",
        claim: "Shani et al. 2024 (Table 1): MTPO-τ beats MTPO (0.561).",
        values: v(win("mtpo-tau", "mtpo")),
      },
      {
        name: "multi_vs_single_turn_rlhf", primary: false,
        definition: "P(multi-turn RLHF ≻ single-turn RLHF) − ½ (the same reward model; only the credit assignment differs).",
        expected: "positive",
        claim: "Shani et al. 2024 (Education Dialogue, Gemini Ultra judge): RLHF-multi beats single-turn RLHF (0.548 T5-Large, 0.82 T5-XL).",
        values: v(win("rlhf-multi", "rlhf-single")),
      },
      {
        name: "mtpo_tau_vs_single_turn_rlhf", primary: false,
        definition: "P(MTPO-τ ≻ single-turn RLHF) − ½.",
        expected: "positive",
        claim: "Shani et al. 2024 (Table 1): MTPO-τ beats single-turn RLHF (0.646 against RLHF-reward).",
        values: v(win("mtpo-tau", "rlhf-single")),
      },
      {
        name: "mtpo_minus_multi_turn_rlhf_vs_reference", primary: false,
        definition: "P(MTPO ≻ μ) − P(multi-turn RLHF ≻ μ): the two policies' win rates against the same reference conversations.",
        expected: "positive",
        claim: "Shani et al. 2024 (Table 1, SFT column): MTPO wins 0.909 against SFT, RLHF-multi 0.788.",
        values: results.map((r) => r.scalars[win("mtpo", "ref")] - r.scalars[win("rlhf-multi", "ref")]),
      },
      {
        name: "tabular_mtpo_vs_single_turn_rlhf", primary: false,
        definition: `On the exact small world (${config.tabularTurns} turns, no END; the methods trained ${config.tabularNeuralIterations} iterations there): ` +
          "P(MTPO ≻ single-turn RLHF) − ½, computed exactly from the two policies' probabilities at every history.",
        expected: "positive",
        claim: "Shani et al. 2024 (Table 1): MTPO beats single-turn RLHF.",
        values: results.map((r) => r.scalars["tabular/win/mtpo/rlhf-single"] - 0.5),
      },
      {
        name: "tabular_exploitability_single_turn_rlhf_minus_mtpo", primary: false,
        definition: `On the exact small world: E_β(single-turn RLHF) − E_β(MTPO) at β = ${config.beta}, exact: MTPO's trained policy is closer to the equilibrium.`,
        expected: "positive",
        values: results.map((r) => r.scalars["tabular/exploitability/rlhf-single"] - r.scalars["tabular/exploitability/mtpo"]),
      },
      {
        name: "mtpo_vs_reference", primary: false,
        definition: "P(MTPO ≻ μ) − ½: training helped at all.",
        expected: "positive",
        values: v(win("mtpo", "ref")),
      },
      {
        name: "tabular_exploitability_margin", primary: false,
        definition: `tolerance (${config.tabularTolerance}) − E_β(π_T) of contextual MTPO (β = 0.1, T = ${config.tabularIterations}) on the exact ` +
          `${config.tabularTurns}-turn world with hidden student types: the exploitability goes to zero.`,
        expected: "positive",
        rule: everySeed,
        values: results.map((r) => config.tabularTolerance - r.scalars.tabular_exploitability),
      },
    ];
  },

  plots(config) {
    const env = new EducationDialogueEnv({ styles: config.styles, levels: config.levels, turns: config.turns });
    const avg = (results: readonly SeedResult[], k: string) => mean(results.map((r) => r.scalars[k]));
    return [
      {
        kind: "custom", file: "win-rate.svg",
        render: (results) => matrixPlot({
          title: "P(row ≻ column) by the oracle, mean over seeds", center: 0.5, range: [0, 1], digits: 2,
          rowLabels: POLICIES.map(([, l]) => l), colLabels: POLICIES.map(([, l]) => l),
          values: POLICIES.map(([a]) => POLICIES.map(([b]) => avg(results, win(a, b)))),
        }),
      },
      {
        kind: "custom", file: "outcome-by-type.svg",
        render: (results) => matrixPlot({
          title: "learning outcome (mean of understanding, engagement, confidence) per student type", digits: 2,
          xLabel: "student type (knowledge level k, preferred style s)", rowLabels: POLICIES.map(([, l]) => l),
          colLabels: env.types.map((t) => `k${t.knowledge} s${t.style}`),
          values: POLICIES.map(([a]) => env.types.map((_, t) => avg(results, `score/${a}/type=${t}`))),
        }),
      },
      {
        kind: "custom", file: "summary.svg",
        render: (results) => matrixPlot({
          title: "final policies: outcome, conversation length, KL to μ (mean over seeds)", digits: 2,
          rowLabels: POLICIES.map(([, l]) => l),
          colLabels: ["score", "understanding", "engagement", "confidence", "turns", "CHECK rate", "KL(π‖μ)"],
          values: POLICIES.map(([a]) => ["score", "understanding", "engagement", "confidence", "turns", "check_rate", "kl"].map((k) => avg(results, `${k}/${a}`))),
        }),
      },
      {
        kind: "custom", file: "tabular-win-rate.svg",
        render: (results) => {
          const names = [...POLICIES, ["equilibrium", "exact equilibrium π*_β"]] as ReadonlyArray<readonly [string, string]>;
          return matrixPlot({
            title: `exact small world (${config.tabularTurns} turns): P(row ≻ column) and the exploitability E_β (β = ${config.beta})`, center: 0.5, range: [0, 1], digits: 3,
            rowLabels: names.map(([, l]) => l), colLabels: [...names.map(([, l]) => l), "E_β(row)"],
            values: names.map(([a]) => [...names.map(([b]) => (a === b ? 0.5 : avg(results, `tabular/win/${a}/${b}`))), avg(results, `tabular/exploitability/${a}`)]),
          });
        },
      },
      {
        kind: "curves", file: "training.svg", title: "win rate against μ during training (oracle)", xLabel: "iteration", yLabel: "P(π ≻ μ)",
        series: METHODS.map((m) => ({ metric: `${m}/win_vs_ref`, label: POLICIES.find(([n]) => n === m)![1] })),
      },
      {
        kind: "curves", file: "kl.svg", title: "sampled KL(π‖μ) per conversation during training", xLabel: "iteration", yLabel: "KL",
        series: METHODS.map((m) => ({ metric: `${m}/kl`, label: POLICIES.find(([n]) => n === m)![1] })),
      },
    ];
  },

  best: (metric) => (metric.endsWith("/win_vs_ref") ? "max" : null),
});
