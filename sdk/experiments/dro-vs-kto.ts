// dro-vs-kto: Direct Reward Optimisation against KTO on single-trajectory thumbs feedback
// (Richemond et al. 2024, "Offline regularised reinforcement learning for large language models
// alignment"), on a toy world whose utility is an explicit program.
//
// World (worlds/token-tables.ts): P prompts ("topics"), responses of L tokens over V content
// tokens, a hidden utility u(x, y) = Σ A[x, y_t] + Σ B[y_{t−1}, y_t] (Gaussian tables),
// standardised to mean 0 and sd 1 under π_ref. Feedback b ∼ Bernoulli(σ(2u)) (noisy thumbs),
// r = b. π_ref (= μ, the behaviour policy, = the SFT policy the win rates compare against): a
// WindowMLP pretrained by maximum likelihood on a broad random bigram source. Offline set: N
// triples (x, y ∼ π_ref, b).
//
// Methods, for each τ (= KTO's β, = DPO's β): DRO-V with a separate value model (the paper's
// "double net", value learning rate × `valueLrScale`), DRO with the value read from a head on the
// policy's own hidden layer (the "single net" ablation), KTO (z0 from mismatched pairs, weights by
// TRL's balance rule), DPO on within-prompt (thumbs-up, thumbs-down) pairs; and filtered SFT on
// the thumbs-up triples (no τ). All with the SDK's trainers (UnpairedTrainer, PreferenceTrainer,
// SftTrainer). Metric: the side-by-side win rate against π_ref, P(u(y_A) > u(y_B)) + ½P(tie) over
// paired samples y_A ∼ π, y_B ∼ π_ref (the toy analogue of the paper's auto-rater); also the mean
// utility, the thumbs-up rate E σ(2u) and KL(π‖π_ref).
//
// Bandit mode (`droBandit`): one token per response, every (x, y) once with its mean reward;
// DRO-V's unique minimiser is then (π*, V*) with π*(y|x) ∝ π_ref(y|x)·exp(r̄(x, y)/τ) and V*(x) =
// τ·log Σ_y π_ref(y|x)·exp(r̄(x, y)/τ) (every residual r̄ − V − τ log π/π_ref is zero there), and
// the run must get there (the experiment reports the distance; the test checks it on the
// paper's three-action vector).
import { exp, log } from "../core/detmath.js";
import { ValueError } from "../core/errors.js";
import { integer, positive } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { LanguageModel } from "../align/model.js";
import { UnpairedTrainer } from "../align/trainers/unpaired.js";
import { PreferenceTrainer } from "../align/trainers/preference.js";
import { SftTrainer } from "../align/trainers/sft.js";
import type { Example, RewardExample, UnpairedExample } from "../align/data.js";
import { linePlot } from "../io/svg.js";
import { defineExperiment, type Contrast, type CurveRow, type SeedResult } from "./experiment.js";
import { TokenTables, BigramSource, trainSft, sampleResponses, prefixKl, sigmoid } from "./worlds/token-tables.js";

/** The configuration of dro-vs-kto. */
export interface DroVsKtoConfig {
  /** Prompts P. */
  prompts: number;
  /** Content tokens V. */
  tokens: number;
  /** Response length L. */
  length: number;
  /** Standard deviation of the prompt-token table A (before standardisation). */
  unigramScale: number;
  /** Standard deviation of the token-pair table B. */
  bigramScale: number;
  /** Thumbs up with probability σ(feedbackScale·u). */
  feedbackScale: number;
  /** Sharpness of the bigram source π_ref is pretrained on (small: broad). */
  refSharpness: number;
  /** Demonstrations for π_ref. */
  refExamples: number;
  /** Their epochs. */
  refEpochs: number;
  /** π_ref's pretraining learning rate. */
  refLr: number;
  /** Hidden units of the policies. */
  hidden: number;
  /** Offline triples (x, y ∼ π_ref, b). */
  triples: number;
  /** τ (= KTO's β = DPO's β), swept. */
  taus: number[];
  /** Methods: "dro-v", "dro-shared", "kto", "filtered-sft", "dpo". "dro-v" and "kto" are required. */
  methods: string[];
  /** Optimizer steps per run. */
  steps: number;
  /** Examples per step (pairs for DPO). */
  batchSize: number;
  /** AdamW learning rate of the policy (constant). */
  lr: number;
  /** DRO-V: the value model's learning rate is lr × this. */
  valueLrScale: number;
  /** Paired samples of the win rate. */
  evalSamples: number;
  /** Bandit mode: prompts, actions, τ, full-batch steps and learning rate (0 prompts: skip). */
  bandit: DroBanditSettings;
}

/** The bandit-mode check of a dro-vs-kto run (one-token responses, the closed-form optimum). */
export interface DroBanditSettings {
  /** Prompts (0: skip the check). */
  prompts: number;
  /** Actions per prompt. */
  actions: number;
  /** DRO's τ. */
  tau: number;
  /** Full-batch steps. */
  steps: number;
  /** Learning rate. */
  lr: number;
}

const METHODS = ["dro-v", "dro-shared", "kto", "filtered-sft", "dpo"] as const;
const key = (method: string, tau: number | null, what: string) => (tau === null ? `${method}/${what}` : `${method}/tau=${tau}/${what}`);

/** Options of droBandit. */
export interface DroBanditOptions {
  /** Prompts (1: no prompt embedding). */
  prompts: number;
  /** Actions (the vocabulary; responses are one token). */
  actions: number;
  /** Mean rewards r̄[x·actions + y]. */
  rewards: ArrayLike<number>;
  /** τ. */
  tau: number;
  /** π_ref[x·actions + y] (set through the output bias; needs prompts = 1), or null: π_ref is
   *  the randomly initialised model itself. */
  reference?: ArrayLike<number> | null;
  /** Full-batch steps. */
  steps: number;
  /** Policy learning rate (the value model's is 5×); cosine schedule to 0. */
  lr: number;
  /** Seed of the models. */
  seed: number;
  /** Hidden units (default 16). */
  hidden?: number;
}

/** What droBandit returns (all [x·actions + y] or [x]). */
export interface DroBanditResult {
  /** The trained π(y|x). */
  policy: Float64Array;
  /** π_ref(y|x). */
  reference: Float64Array;
  /** The trained V(x). */
  value: Float64Array;
  /** The closed-form π*(y|x). */
  optimum: Float64Array;
  /** The closed-form V*(x). */
  optimumValue: Float64Array;
  /** max |π − π*|. */
  policyError: number;
  /** max |V − V*|. */
  valueError: number;
  /** Mean over prompts of J(π*) − J(π), J(π) = E_π r̄ − τ KL(π‖π_ref) (≥ 0). */
  regret: number;
}

/**
 * DRO-V in bandit mode: one-token responses, every (x, y) once with its mean reward r̄(x, y)
 * (full batch, UnpairedTrainer with a separate value model), then the trained policy and value
 * against the closed form π* ∝ π_ref·exp(r̄/τ), V* = τ log E_{π_ref} exp(r̄/τ) (Richemond et al.
 * 2024, §3).
 */
export async function droBandit(o: DroBanditOptions, signal?: AbortSignal): Promise<DroBanditResult> {
  const P = integer(o.prompts, "prompts", 1), A = integer(o.actions, "actions", 2);
  const multi = P > 1;
  const cfg = { kind: "window-mlp" as const, vocab: A, context: 2, width: 8, hidden: o.hidden ?? 16, window: 1, promptVocab: multi ? P : 0 };
  const model = LanguageModel.create(cfg, { seed: o.seed });
  const value = LanguageModel.create({ ...cfg, valueHead: true }, { seed: o.seed + 1 });
  try {
    if (o.reference) {
      if (multi) throw new ValueError("droBandit: a given reference needs prompts = 1");
      model.setTensor("mlp.out.weight", new Float32Array(model.config.hidden * A));
      model.setTensor("mlp.out.bias", Float32Array.from(o.reference, (p) => log(p)));
    }
    const probs = (m: LanguageModel) => {
      const out = new Float64Array(P * A);
      const inputs: number[][] = [], targets: number[][] = [], ids: number[] = [];
      for (let x = 0; x < P; x++) for (let y = 0; y < A; y++) inputs.push([0]), targets.push([y]), ids.push(x);
      const s = m.logProbs({ inputs, targets, ...(multi ? { promptIds: ids } : {}) }).sums;
      for (let i = 0; i < s.length; i++) out[i] = exp(s[i]);
      return out;
    };
    const ref = probs(model);
    const data: RewardExample[] = [];
    for (let x = 0; x < P; x++) {
      for (let y = 0; y < A; y++) {
        data.push({ layout: "reward", line: data.length + 1, prompt: { tokens: Int32Array.of(0), trained: Uint8Array.of(0) }, completion: { tokens: Int32Array.of(y), trained: Uint8Array.of(1) }, reward: o.rewards[x * A + y] });
      }
    }
    const t = new UnpairedTrainer(model, {
      data, loss: "dro", tau: o.tau, value: "separate", valueModel: value, batchSize: data.length, epochs: o.steps, shuffle: false, seed: o.seed, logEvery: 1_000_000,
      optimizer: { lr: o.lr, weightDecay: 0, schedule: { kind: "cosine", totalSteps: o.steps } },
      valueOptimizer: { lr: 5 * o.lr, weightDecay: 0, schedule: { kind: "cosine", totalSteps: o.steps } },
      ...(multi ? { promptId: (e: Example) => Math.floor((e.line - 1) / A) } : {}),
    });
    try {
      await t.train({ signal });
    } finally {
      t.dispose();
    }
    const pol = probs(model);
    const vals = value.values([[0]].concat(new Array(P - 1).fill([0])), new Int32Array(P), multi ? { promptIds: Int32Array.from({ length: P }, (_, i) => i) } : {});
    const opt = new Float64Array(P * A), vStar = new Float64Array(P), v = Float64Array.from(vals);
    let pErr = 0, vErr = 0, regret = 0;
    for (let x = 0; x < P; x++) {
      let z = 0;
      for (let y = 0; y < A; y++) z += (opt[x * A + y] = ref[x * A + y] * exp(o.rewards[x * A + y] / o.tau));
      vStar[x] = o.tau * log(z);
      let jStar = 0, j = 0;
      for (let y = 0; y < A; y++) {
        const i = x * A + y;
        opt[i] /= z;
        pErr = Math.max(pErr, Math.abs(pol[i] - opt[i]));
        jStar += opt[i] * (o.rewards[i] - o.tau * log(opt[i] / ref[i]));
        if (pol[i] > 0) j += pol[i] * (o.rewards[i] - o.tau * log(pol[i] / ref[i]));
      }
      vErr = Math.max(vErr, Math.abs(v[x] - vStar[x]));
      regret += (jStar - j) / P;
    }
    return { policy: pol, reference: ref, value: v, optimum: opt, optimumValue: vStar, policyError: pErr, valueError: vErr, regret };
  } finally {
    model.dispose();
    value.dispose();
  }
}

/** DRO vs KTO on single-trajectory thumbs feedback. */
export const droVsKto = defineExperiment<DroVsKtoConfig>({
  name: "dro-vs-kto",
  title: "DRO-V vs KTO on single-trajectory thumbs feedback (Richemond et al. 2024)",
  description:
    "Offline triples (prompt, one response from π_ref, a noisy thumb b ∼ Bernoulli(σ(2u))) from a world with a hidden additive utility u. " +
    "DRO-V (separate value model), DRO with a shared trunk, KTO, DPO on within-prompt (up, down) pairs and filtered SFT are trained on " +
    "them for each τ; each policy's side-by-side win rate against π_ref is measured with the exact utility. Richemond et al. report DRO-V " +
    "ahead of KTO at the best τ of each, and the separate value network well ahead of the shared one; in bandit mode DRO-V must reach " +
    "the closed-form optimum π* ∝ π_ref·exp(r̄/τ).",
  references: [
    "Richemond, Tang, Guo, Calandriello, Azar, Rafailov, Ávila Pires, Tarassov, Spangher, Ellsworth, Severyn, Mallinson, Shani, Shamir, Joshi, Liu, Munos & Piot 2024, Offline regularised reinforcement learning for large language models alignment (arXiv:2405.19107).",
    "Ethayarajh, Xu, Muennighoff, Jurafsky & Kiela 2024, KTO: Model alignment as prospect theoretic optimization (ICML).",
  ],
  presets: {
    smoke: {
      prompts: 8, tokens: 8, length: 4, unigramScale: 1, bigramScale: 1, feedbackScale: 2, refSharpness: 1, refExamples: 1024, refEpochs: 3, refLr: 1e-2,
      hidden: 16, triples: 2048, taus: [0.1, 1], methods: ["dro-v", "dro-shared", "kto"], steps: 200, batchSize: 64, lr: 3e-3, valueLrScale: 5, evalSamples: 1024,
      bandit: { prompts: 3, actions: 4, tau: 0.5, steps: 1000, lr: 0.01 },
    },
    full: {
      prompts: 32, tokens: 12, length: 6, unigramScale: 1, bigramScale: 1, feedbackScale: 2, refSharpness: 1, refExamples: 8192, refEpochs: 3, refLr: 1e-2,
      hidden: 32, triples: 20000, taus: [0.03, 0.1, 0.3, 1, 3], methods: ["dro-v", "dro-shared", "kto", "filtered-sft", "dpo"], steps: 1000, batchSize: 64, lr: 3e-3,
      valueLrScale: 5, evalSamples: 2048, bandit: { prompts: 4, actions: 6, tau: 0.5, steps: 1000, lr: 0.01 },
    },
  },
  defaultSeeds: 5,

  check(c) {
    integer(c.prompts, "prompts", 1, 4096);
    integer(c.tokens, "tokens", 2, 256);
    integer(c.length, "length", 1, 64);
    for (const k of ["refExamples", "refEpochs", "hidden", "triples", "steps", "batchSize", "evalSamples"] as const) integer(c[k], k, 1);
    if (c.batchSize < 2) throw new ValueError("batchSize must be ≥ 2 (KTO estimates z0 inside each batch)");
    for (const k of ["refLr", "lr", "valueLrScale", "feedbackScale", "refSharpness"] as const) positive(c[k], k);
    if (!c.taus.length) throw new ValueError("taus must hold at least one τ");
    c.taus.forEach((t, i) => positive(t, `taus[${i}]`));
    for (const m of c.methods) if (!(METHODS as readonly string[]).includes(m)) throw new ValueError(`methods: unknown method ${JSON.stringify(m)} (valid: ${METHODS.join(", ")})`);
    for (const m of ["dro-v", "kto"]) if (!c.methods.includes(m)) throw new ValueError(`methods must include "${m}" (the primary contrast)`);
    integer(c.bandit.prompts, "bandit.prompts", 0, 64);
    if (c.bandit.prompts > 0) {
      integer(c.bandit.actions, "bandit.actions", 2, 64);
      integer(c.bandit.steps, "bandit.steps", 1);
      positive(c.bandit.tau, "bandit.tau");
      positive(c.bandit.lr, "bandit.lr");
    }
  },

  async run(config, seed, ctx) {
    const c = config;
    const scalars: Record<string, number> = {};
    const row: CurveRow = { step: c.steps };
    let tokenUpdates = 0;
    const r0 = new Rng(seed, 1);
    const world = new TokenTables({ prompts: c.prompts, tokens: c.tokens, length: c.length, unigramScale: c.unigramScale, bigramScale: c.bigramScale, trigramBonus: 0 }, r0);
    r0.dispose();
    const r1 = new Rng(seed, 11);
    const source = new BigramSource(world, c.refSharpness, r1);
    r1.dispose();
    // π_ref, with a value head (unused except by the shared-trunk DRO, which trains it).
    const ref = world.policy(c.hidden, seed, true);
    const owned: LanguageModel[] = [ref];
    try {
      tokenUpdates += await trainSft(world, ref, source, { examples: c.refExamples, epochs: c.refEpochs, batchSize: 64, lr: c.refLr }, seed, 2, ctx.signal);
      // Standardise u under π_ref; then the offline triples and the thumbs.
      const r3 = new Rng(seed, 3);
      const stdXs = world.spread(4096);
      world.standardise(stdXs, sampleResponses(world, ref, stdXs, r3));
      const xs = world.spread(c.triples);
      const ys = sampleResponses(world, ref, xs, r3);
      const uni = r3.uniform(c.triples);
      r3.dispose();
      const thumbs = Uint8Array.from(ys, (y, i) => (uni[i] < sigmoid(c.feedbackScale * world.utility(xs[i], y)) ? 1 : 0));
      let ups = 0;
      for (const b of thumbs) ups += b;
      scalars["data/thumbs_up_rate"] = ups / c.triples;
      const idOf = (e: Example) => xs[e.line - 1];
      const rewardData: RewardExample[] = ys.map((y, i) => ({ layout: "reward", line: i + 1, prompt: world.promptSegment(), completion: world.responseSegment(y), reward: thumbs[i] }));
      const labelData: UnpairedExample[] = ys.map((y, i) => ({ layout: "unpaired", line: i + 1, prompt: world.promptSegment(), completion: world.responseSegment(y), label: thumbs[i] === 1 }));
      // Evaluation: fixed π_ref samples; policy samples from stream 1000 (common random numbers).
      const evalXs = world.spread(c.evalSamples);
      const r4 = new Rng(seed, 4);
      const refU = sampleResponses(world, ref, evalXs, r4).map((y, i) => world.utility(evalXs[i], y));
      r4.dispose();
      const evaluate = (model: LanguageModel, name: string, tau: number | null) => {
        const rng = new Rng(seed, 1000);
        const ys2 = sampleResponses(world, model, evalXs, rng);
        rng.dispose();
        const kl = prefixKl(world, model, ref, evalXs, ys2);
        let win = 0, u = 0, up = 0, k = 0;
        for (let i = 0; i < ys2.length; i++) {
          const ui = world.utility(evalXs[i], ys2[i]);
          win += ui > refU[i] ? 1 : ui === refU[i] ? 0.5 : 0;
          u += ui;
          up += sigmoid(c.feedbackScale * ui);
          k += kl[i];
        }
        const n = ys2.length;
        const out = { win_rate: win / n, utility: u / n, thumbs_up: up / n, kl: k / n };
        for (const [w, v] of Object.entries(out)) {
          scalars[key(name, tau, w)] = v;
          row[key(name, tau, w)] = v;
        }
      };
      let win = 0, u = 0;
      {
        const rng = new Rng(seed, 1000);
        const ys2 = sampleResponses(world, ref, evalXs, rng);
        rng.dispose();
        for (let i = 0; i < ys2.length; i++) {
          const ui = world.utility(evalXs[i], ys2[i]);
          win += ui > refU[i] ? 1 : ui === refU[i] ? 0.5 : 0;
          u += ui;
        }
        scalars["reference/win_rate"] = win / ys2.length;
        scalars["reference/utility"] = u / ys2.length;
      }
      const opt = { lr: c.lr };
      const common = { batchSize: c.batchSize, maxSteps: c.steps, epochs: Math.ceil((c.steps * c.batchSize) / c.triples) + 1, seed, optimizer: opt, logEvery: 1_000_000, promptId: idOf };
      const steps = c.steps * c.batchSize * c.length;
      const runs = c.taus.length * c.methods.filter((m) => m !== "filtered-sft").length + (c.methods.includes("filtered-sft") ? 1 : 0);
      let done = 0;
      const train = async (name: string, tau: number | null, make: (m: LanguageModel) => { train(o: { signal: AbortSignal }): Promise<unknown>; dispose(): void }) => {
        const m = ref.clone();
        owned.push(m);
        const t = make(m);
        try {
          await t.train({ signal: ctx.signal });
          tokenUpdates += steps;
          evaluate(m, name, tau);
        } finally {
          t.dispose();
          owned.splice(owned.indexOf(m), 1);
          m.dispose();
        }
        ctx.progress(++done / runs, `${name}${tau === null ? "" : ` at τ = ${tau}`}`);
      };
      // Within-prompt (up, down) pairs for DPO: the i-th up and the i-th down triple of each prompt.
      const ups2: number[][] = Array.from({ length: c.prompts }, () => []), downs: number[][] = Array.from({ length: c.prompts }, () => []);
      thumbs.forEach((b, i) => (b ? ups2 : downs)[xs[i]].push(i));
      const pairs: { x: number; w: Int32Array; l: Int32Array }[] = [];
      for (let x = 0; x < c.prompts; x++) for (let j = 0; j < Math.min(ups2[x].length, downs[x].length); j++) pairs.push({ x, w: ys[ups2[x][j]], l: ys[downs[x][j]] });
      const pairData = pairs.map((p, i) => world.pair(i, p.w, p.l));
      const nD = ups, nU = c.triples - ups;

      for (const tau of c.taus) {
        for (const method of c.methods) {
          if (method === "dro-v") {
            await train("dro-v", tau, (m) => new UnpairedTrainer(m, {
              ...common, data: rewardData, loss: "dro", tau, value: "separate", valueOptimizer: { lr: c.lr * c.valueLrScale },
            }));
          } else if (method === "dro-shared") {
            await train("dro-shared", tau, (m) => new UnpairedTrainer(m, { ...common, data: rewardData, loss: "dro", tau, value: "shared" }));
          } else if (method === "kto") {
            // TRL's balance rule: λ_D·n_D / (λ_U·n_U) ∈ [1, 4/3]; λ_U = 1, λ_D at the lower end.
            await train("kto", tau, (m) => new UnpairedTrainer(m, {
              ...common, data: labelData, loss: "kto", beta: tau, desirableWeight: nU / Math.max(nD, 1), undesirableWeight: 1,
            }));
          } else if (method === "dpo") {
            await train("dpo", tau, (m) => new PreferenceTrainer(m, {
              ...common, epochs: Math.ceil((c.steps * c.batchSize) / Math.max(pairData.length, 1)) + 1, data: pairData, loss: "sigmoid", beta: tau,
              promptId: (e: Example) => pairs[e.line - 1].x,
            }));
          }
        }
      }
      if (c.methods.includes("filtered-sft")) {
        const upData = rewardData.filter((e) => e.reward === 1).map((e, i) => ({ ...world.completion(i, e.completion.tokens), x: xs[e.line - 1] }));
        await train("filtered-sft", null, (m) => new SftTrainer(m, {
          ...common, epochs: Math.ceil((c.steps * c.batchSize) / Math.max(upData.length, 1)) + 1, data: upData, promptId: (e: Example) => upData[e.line - 1].x,
        }));
      }
      // Best τ per method.
      for (const method of c.methods.filter((m) => m !== "filtered-sft")) {
        let best = -Infinity, arg = NaN;
        for (const tau of c.taus) {
          const w = scalars[key(method, tau, "win_rate")];
          if (w > best) (best = w), (arg = tau);
        }
        scalars[`${method}/best_win_rate`] = best;
        scalars[`${method}/best_tau`] = arg;
      }
      if (c.methods.includes("filtered-sft")) scalars["filtered-sft/best_win_rate"] = scalars[key("filtered-sft", null, "win_rate")];
    } finally {
      for (const m of owned) m.dispose();
    }
    // Bandit mode.
    const b = c.bandit;
    if (b.prompts > 0) {
      const rr = new Rng(seed, 7);
      const rewards = rr.uniform(b.prompts * b.actions);
      rr.dispose();
      const res = await droBandit({ prompts: b.prompts, actions: b.actions, rewards, tau: b.tau, steps: b.steps, lr: b.lr, seed }, ctx.signal);
      scalars["bandit/policy_error"] = res.policyError;
      scalars["bandit/value_error"] = res.valueError;
      scalars["bandit/regret"] = res.regret;
      tokenUpdates += b.steps * b.prompts * b.actions;
    }
    return { curves: [row], scalars, tokenUpdates };
  },

  summarise(results, config) {
    const v = (f: (r: SeedResult) => number) => results.map(f);
    const out: Contrast[] = [
      {
        name: "dro_v_minus_kto",
        definition: `best-τ win rate vs π_ref of DRO-V − best-τ win rate of KTO (τ = KTO's β over ${config.taus.join(", ")}; the best τ chosen per seed for each method).`,
        expected: "positive",
        claim: "Richemond et al. 2024, Table 1: DRO-V beats KTO in win rate against SFT (T5-L 78.9 % vs 67.5 %).",
        values: v((r) => r.scalars["dro-v/best_win_rate"] - r.scalars["kto/best_win_rate"]),
      },
    ];
    if (config.methods.includes("dro-shared")) {
      out.push({
        name: "separate_minus_shared",
        definition: "best-τ win rate vs π_ref of DRO-V with a separate value model − DRO with the value head on the policy's own trunk.",
        expected: "positive",
        claim: "Richemond et al. 2024, §5 ablations: two networks for π and V are much better than one (76.6 % vs 55.5 % win rate vs SFT).",
        values: v((r) => r.scalars["dro-v/best_win_rate"] - r.scalars["dro-shared/best_win_rate"]),
      });
    }
    for (const m of ["filtered-sft", "dpo"]) {
      if (!config.methods.includes(m)) continue;
      out.push({
        name: `dro_v_minus_${m.replace("-", "_")}`,
        definition: `best-τ win rate vs π_ref of DRO-V − that of ${m}${m === "filtered-sft" ? " (no τ)" : " on within-prompt (up, down) pairs"}.`,
        expected: "positive", primary: false,
        values: v((r) => r.scalars["dro-v/best_win_rate"] - r.scalars[`${m}/best_win_rate`]),
      });
    }
    if (config.bandit.prompts > 0) {
      out.push({
        name: "bandit_optimum_margin",
        definition: "1e-3 − max |π − π*| of DRO-V in bandit mode (every (x, y) once with its mean reward; π* ∝ π_ref·exp(r̄/τ)).",
        expected: "positive", primary: false,
        claim: "Richemond et al. 2024, §3: (π*, V*) is the unique minimiser of the DRO loss when μ covers every response.",
        values: v((r) => 1e-3 - r.scalars["bandit/policy_error"]),
      });
    }
    return out;
  },

  plots(config) {
    const methods = config.methods.filter((m) => m !== "filtered-sft");
    return [{
      kind: "custom", file: "win-rate-vs-tau.svg",
      render: (results) => linePlot({
        title: "win rate vs SFT against τ (= KTO / DPO β), seed means", xLabel: "τ", yLabel: "win rate vs SFT", logX: true,
        series: [
          ...methods.map((m) => ({
            name: m, x: config.taus, markers: true,
            y: config.taus.map((t) => results.reduce((s, r) => s + r.scalars[key(m, t, "win_rate")], 0) / results.length),
          })),
          ...(config.methods.includes("filtered-sft") ? [{
            name: "filtered SFT", dashed: true, x: [config.taus[0], config.taus[config.taus.length - 1]],
            y: [0, 0].map(() => results.reduce((s, r) => s + r.scalars["filtered-sft/best_win_rate"], 0) / results.length),
          }] : []),
        ],
      }),
    }];
  },

  best: (metric) => (/win_rate|utility|thumbs_up/.test(metric) ? "max" : null),
});
