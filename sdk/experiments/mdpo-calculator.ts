// mdpo-calculator: multi-turn DPO / KTO for a tool-using arithmetic agent (Xiong et al. 2024,
// Building Math Agents with Multi-Turn Iterative Preference Learning, arXiv:2409.02392), in
// the calculator world of align/envs/calculator.ts.
//
// Setup. A full-context MLP language model (every previous position's embedding concatenated,
// one hidden layer) is fine-tuned on synthetic demonstrations with built-in errors: correct
// two-call tool trajectories, direct answers that are right only part of the time, and tool
// trajectories that miscopy an observed digit. Then online iterative training: each iteration
// draws fresh training problems, rolls out K trajectories per problem from a mixture of the
// current and the previous iterate (2 : 1), pairs one random correct with one random incorrect
// trajectory per problem, and trains M-DPO (the DPO loss on sums over the policy's own tokens:
// observations stay in the context, out of the sums) against the previous iterate as reference.
// Ablations (each from the same SFT model, on the same problems): observations not masked
// (single-turn DPO on the concatenated transcript); a fixed SFT reference; one-shot offline
// training on SFT samples of every iteration's problems; M-KTO (the KTO loss on the same
// trajectories, unpaired). Held-out metrics after every iteration: pass@1 (sampled at T = 1 and
// greedy), unbiased pass@k (k = 1, 4, 16; Chen et al. 2021), tool-use rate, copy-error rate,
// malformed turns, KL to the SFT policy. Evaluations of different arms at the same iteration
// share their generator state (common random numbers), so contrasts are paired.
import { ValueError } from "../core/errors.js";
import { integer, positive, probability } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { LanguageModel } from "../align/model.js";
import { shuffledOrder, type Example, type SequenceExample, type UnpairedExample } from "../align/data.js";
import { SftTrainer } from "../align/trainers/sft.js";
import { PreferenceTrainer } from "../align/trainers/preference.js";
import { UnpairedTrainer } from "../align/trainers/unpaired.js";
import { CALC, CALCULATOR_PROBLEMS } from "../align/envs/calculator.js";
import { matrixPlot } from "../io/svg.js";
import { defineExperiment, type Contrast, type CurveRow, type SeedResult } from "./experiment.js";
import { directionalAcceptance } from "./stats.js";
import {
  demonstrations, rollouts, correctIncorrectPairs, pairExamples, unpairedExamples, evaluateAgent, type AgentMetrics, type Rollout,
} from "./mdpo-calculator/agent.js";

/** The arms of the study. */
export const MDPO_ARMS = ["mdpo", "unmasked", "fixed-ref", "offline", "mkto"] as const;
/** An arm: "mdpo" masked iterative M-DPO with the previous iterate as reference (the paper's
 *  method); "unmasked" the same with observations in the sums; "fixed-ref" the SFT model as a
 *  fixed reference; "offline" one-shot M-DPO on SFT samples of every iteration's problems;
 *  "mkto" masked iterative M-KTO. */
export type MdpoArm = (typeof MDPO_ARMS)[number];

/** The configuration of mdpo-calculator. */
export interface MdpoCalculatorConfig {
  /** SFT demonstrations. */
  demos: number;
  /** Share of correct two-call tool trajectories among the demonstrations. */
  toolShare: number;
  /** Share of direct answers (the rest are tool trajectories that miscopy a digit). */
  directShare: number;
  /** Probability that a direct answer of a demonstration is right. */
  directAccuracy: number;
  /** SFT epochs. */
  sftEpochs: number;
  /** SFT learning rate. */
  sftLr: number;
  /** SFT batch size. */
  sftBatch: number;
  /** Hidden units of the full-context MLP (context 24). */
  hidden: number;
  /** Embedding width of the full-context MLP. */
  width: number;
  /** Held-out problems. */
  heldout: number;
  /** Rollouts per held-out problem (pass@k needs ≥ 16). */
  evalSamples: number;
  /** Iterations of online training. */
  iterations: number;
  /** Fresh training problems per iteration. */
  prompts: number;
  /** Rollouts per problem from the current iterate. */
  current: number;
  /** Rollouts per problem from the previous iterate. */
  previous: number;
  /** η of M-DPO / M-KTO (β). */
  beta: number;
  /** Learning rate of M-DPO / M-KTO. */
  lr: number;
  /** Epochs per iteration. */
  epochs: number;
  /** Pairs per step (M-KTO: twice as many trajectories). */
  batchSize: number;
  /** The arms run (a subset of MDPO_ARMS; "mdpo" is required). */
  arms: string[];
}

const METRICS: Array<[keyof AgentMetrics, string]> = [
  ["pass1", "pass1"], ["greedy", "greedy"], ["pass4", "pass4"], ["pass16", "pass16"], ["toolUse", "tool_use"], ["copyError", "copy_error"],
  ["malformed", "malformed"], ["klSft", "kl_sft"],
];
const LABEL: Record<MdpoArm, string> = {
  mdpo: "M-DPO (masked, previous ref.)", unmasked: "M-DPO, observations not masked", "fixed-ref": "M-DPO, fixed SFT reference",
  offline: "M-DPO, one-shot offline", mkto: "M-KTO (masked, previous ref.)",
};
const k = (arm: string, what: string) => `${arm}/${what}`;

function record(row: CurveRow | Record<string, number>, arm: string, m: AgentMetrics): void {
  for (const [f, name] of METRICS) row[k(arm, name)] = m[f];
}

/** Multi-turn M-DPO / M-KTO for a calculator-tool agent (Xiong et al. 2024). */
export const mdpoCalculator = defineExperiment<MdpoCalculatorConfig>({
  name: "mdpo-calculator",
  title: "Multi-turn M-DPO / M-KTO for a calculator-tool agent (Xiong et al. 2024)",
  description:
    "A full-context MLP agent solves `a op1 b op2 c` (digits, + and ×, mod 10) by calling a calculator (`CALL u op v` → `OBS w`) or " +
    "answering (`ANS d`), at most three turns, reward 1 iff the answer is right. SFT on demonstrations with built-in errors (direct " +
    "guesses, miscopied observations), then online iterative M-DPO: fresh problems, rollouts from the current and previous iterate " +
    "(2 : 1), one correct-vs-incorrect pair per problem, the DPO loss on the policy's own tokens only, the previous iterate as " +
    "reference. Ablations: observations not masked, a fixed SFT reference, one-shot offline training on SFT samples, M-KTO. The paper " +
    "predicts that masked iterative M-DPO raises held-out pass@1 over SFT (primary) and that masking does not hurt (directional).",
  references: [
    "Xiong, Shi, Shen, Wang, Liu, Zhong, Chen, Zhang, Liu, Chen, Zhang 2024, Building Math Agents with Multi-Turn Iterative Preference Learning (arXiv:2409.02392).",
    "Chen et al. 2021, Evaluating Large Language Models Trained on Code (the unbiased pass@k estimator).",
  ],
  presets: {
    smoke: {
      demos: 4000, toolShare: 0.5, directShare: 0.3, directAccuracy: 0.5, sftEpochs: 2, sftLr: 3e-3, sftBatch: 64, hidden: 64, width: 16,
      heldout: 40, evalSamples: 16, iterations: 2, prompts: 200, current: 6, previous: 3, beta: 0.1, lr: 2e-4, epochs: 2, batchSize: 32,
      arms: ["mdpo", "unmasked"],
    },
    full: {
      demos: 20000, toolShare: 0.5, directShare: 0.3, directAccuracy: 0.5, sftEpochs: 2, sftLr: 3e-3, sftBatch: 64, hidden: 128, width: 16,
      heldout: 128, evalSamples: 32, iterations: 3, prompts: 1000, current: 6, previous: 3, beta: 0.1, lr: 1e-4, epochs: 2, batchSize: 32,
      arms: [...MDPO_ARMS],
    },
  },
  defaultSeeds: 5,

  check(c) {
    integer(c.demos, "demos", 1, 1_000_000);
    probability(c.toolShare, "toolShare");
    probability(c.directShare, "directShare");
    if (c.toolShare + c.directShare > 1) throw new ValueError("toolShare + directShare must be ≤ 1");
    probability(c.directAccuracy, "directAccuracy");
    integer(c.sftEpochs, "sftEpochs", 1, 100);
    positive(c.sftLr, "sftLr");
    integer(c.sftBatch, "sftBatch", 1, 4096);
    integer(c.hidden, "hidden", 1, 4096);
    integer(c.width, "width", 1, 256);
    integer(c.heldout, "heldout", 1, 2000);
    integer(c.evalSamples, "evalSamples", 16, 1024);
    integer(c.iterations, "iterations", 1, 20);
    integer(c.prompts, "prompts", 1, CALCULATOR_PROBLEMS);
    integer(c.current, "current", 1, 256);
    integer(c.previous, "previous", 0, 256);
    if (c.current + c.previous < 2) throw new ValueError("current + previous must be ≥ 2 (pairs compare rollouts of a problem)");
    positive(c.beta, "beta");
    positive(c.lr, "lr");
    integer(c.epochs, "epochs", 1, 100);
    integer(c.batchSize, "batchSize", 2, 4096);
    if (!Array.isArray(c.arms) || !c.arms.includes("mdpo")) throw new ValueError(`arms must include "mdpo" (of ${MDPO_ARMS.join(", ")})`);
    for (const a of c.arms) if (!(MDPO_ARMS as readonly string[]).includes(a)) throw new ValueError(`arms: unknown arm ${JSON.stringify(a)} (one of ${MDPO_ARMS.join(", ")})`);
    if (new Set(c.arms).size !== c.arms.length) throw new ValueError("arms: an arm is listed twice");
  },

  async run(c, seed, ctx) {
    // Problems: a seeded split of the 4000 into held-out and training pools; each iteration
    // takes the next `prompts` training problems (fresh as long as the pool lasts).
    const order = shuffledOrder(CALCULATOR_PROBLEMS, seed, 0);
    const heldout = order.slice(0, c.heldout), pool = order.slice(c.heldout);
    const poolOrder = shuffledOrder(pool.length, seed, 1);
    const problemsOf = (t: number) => Int32Array.from({ length: c.prompts }, (_, i) => pool[poolOrder[(t * c.prompts + i) % pool.length]]);
    let tokenUpdates = 0;
    // Tokens of a data set's sequences (each predicts all but its first token).
    const tokensOf = (ex: ReadonlyArray<Example>) => {
      let n = 0;
      for (const e of ex) for (const s of e.layout === "preference" ? [e.chosen, e.rejected] : [(e as SequenceExample | UnpairedExample).completion]) n += e.prompt.tokens.length + s.tokens.length - 1;
      return n;
    };

    // SFT.
    const demoRng = new Rng(seed, 1);
    const demos = demonstrations(c.demos, pool, { tool: c.toolShare, direct: c.directShare, directAccuracy: c.directAccuracy }, demoRng);
    demoRng.dispose();
    const sft = LanguageModel.create({ kind: "full-context-mlp", vocab: CALC.VOCAB, context: CALC.MAX_LENGTH, width: c.width, hidden: c.hidden, pad: CALC.PAD }, { seed });
    const models: LanguageModel[] = [sft];
    const rows = new Map<number, CurveRow>();
    const at = (step: number) => {
      let r = rows.get(step);
      if (!r) rows.set(step, (r = { step } as CurveRow));
      return r;
    };
    const scalars: Record<string, number> = {};
    const evalAt = (m: LanguageModel, t: number) => {
      const rng = new Rng(seed, 1000 + t); // shared by every arm at iteration t: paired contrasts
      try {
        return evaluateAgent(m, sft, heldout, c.evalSamples, rng);
      } finally {
        rng.dispose();
      }
    };
    const totalWork = 1 + c.arms.length * c.iterations;
    let done = 0;
    const tick = (note: string) => ctx.progress(++done / totalWork, note);
    try {
      const trainer = new SftTrainer(sft, { data: demos, batchSize: c.sftBatch, epochs: c.sftEpochs, seed, logEvery: 1_000_000, optimizer: { lr: c.sftLr } });
      try {
        await trainer.train({ signal: ctx.signal });
      } finally {
        trainer.dispose();
      }
      tokenUpdates += tokensOf(demos) * c.sftEpochs;
      const m0 = evalAt(sft, 0);
      record(scalars, "sft", m0);
      for (const arm of c.arms) record(at(0), arm, m0);
      tick("SFT");

      const train = async (model: LanguageModel, ref: LanguageModel, rs: Rollout[], arm: MdpoArm, rng: Rng): Promise<number> => {
        const pairs = correctIncorrectPairs(rs, rng);
        if (pairs.length === 0) return 0;
        const masked = arm !== "unmasked";
        const common = { batchSize: c.batchSize, epochs: c.epochs, seed, logEvery: 1_000_000, optimizer: { lr: c.lr }, reference: { mode: "frozen" as const, model: ref } };
        if (arm === "mkto") {
          const data = unpairedExamples(pairs, masked);
          const t = new UnpairedTrainer(model, { ...common, data, loss: "kto", beta: c.beta, batchSize: 2 * c.batchSize });
          try {
            await t.train({ signal: ctx.signal });
          } finally {
            t.dispose();
          }
          tokenUpdates += tokensOf(data) * c.epochs;
        } else {
          const data = pairExamples(pairs, masked);
          const t = new PreferenceTrainer(model, { ...common, data, loss: "sigmoid", beta: c.beta });
          try {
            await t.train({ signal: ctx.signal });
          } finally {
            t.dispose();
          }
          tokenUpdates += tokensOf(data) * c.epochs;
        }
        return pairs.length;
      };

      // Rollouts and pair choices of iteration t draw from stream 100 + t (and 200 + t), the same
      // for every arm (common random numbers): iteration 1 samples the SFT policy in every
      // iterative arm, so its rollouts are computed once; the offline arm's SFT samples of
      // iteration t's problems are the ones an iterative arm would draw at t = 1.
      const sampleSft = (t: number) => {
        const rng = new Rng(seed, 100 + t);
        try {
          return rollouts([sft, sft], [c.current, c.previous], problemsOf(t - 1), rng);
        } finally {
          rng.dispose();
        }
      };
      const first = sampleSft(1);
      for (const arm of c.arms as MdpoArm[]) {
        const model = sft.clone();
        const prev = sft.clone();
        models.push(model, prev);
        if (arm === "offline") {
          // One shot: SFT samples on every iteration's problems, one training run (the same
          // epochs over all of them: as many steps as the iterative arm), SFT reference.
          const all: Rollout[] = [...first];
          for (let t = 2; t <= c.iterations; t++) all.push(...sampleSft(t));
          const pick = new Rng(seed, 200);
          try {
            scalars[k(arm, "pairs")] = await train(model, sft, all, arm, pick);
          } finally {
            pick.dispose();
          }
          record(at(c.iterations), arm, evalAt(model, c.iterations));
          for (let t = 0; t < c.iterations; t++) tick(`${arm}`);
          continue;
        }
        for (let t = 1; t <= c.iterations; t++) {
          let rs = first;
          if (t > 1) {
            const rng = new Rng(seed, 100 + t);
            try {
              rs = rollouts([model, prev], [c.current, c.previous], problemsOf(t - 1), rng);
            } finally {
              rng.dispose();
            }
          }
          const ref = arm === "fixed-ref" ? sft : model.clone();
          const pick = new Rng(seed, 200 + t);
          try {
            prev.copyFrom(model); // the next iteration's "previous iterate"
            const pairs = await train(model, ref, rs, arm, pick);
            const row = at(t);
            row[k(arm, "pairs")] = pairs;
            let ok = 0;
            for (const r of rs) ok += r.reward;
            row[k(arm, "rollout_correct")] = ok / rs.length;
          } finally {
            pick.dispose();
            if (ref !== sft) ref.dispose();
          }
          record(at(t), arm, evalAt(model, t));
          tick(`${arm} iteration ${t}`);
        }
      }
    } finally {
      for (const m of models) m.dispose();
    }
    const curves = [...rows.values()].sort((a, b) => a.step - b.step);
    const last = at(c.iterations);
    for (const arm of c.arms) for (const [, name] of METRICS) scalars[k(arm, `final_${name}`)] = last[k(arm, name)];
    return { curves, scalars, tokenUpdates };
  },

  summarise(results, c) {
    const I = c.iterations;
    const has = (a: MdpoArm) => c.arms.includes(a);
    const fin = (r: SeedResult, arm: string, m = "pass1") => r.scalars[k(arm, `final_${m}`)];
    const sft = (r: SeedResult, m = "pass1") => r.scalars[k("sft", m)];
    const out: Contrast[] = [
      {
        name: "pass1_gain_over_sft",
        definition: `held-out pass@1 (T = 1) of masked iterative M-DPO after iteration ${I} − that of the SFT policy.`,
        expected: "positive",
        claim: "Xiong et al. 2024: online iterative M-DPO improves the SFT tool-integrated model (GSM8K 77.5 → 83.9 with Gemma-1.1-it-7B).",
        values: results.map((r) => fin(r, "mdpo") - sft(r)),
      },
    ];
    const more: Contrast[] = [];
    if (has("unmasked")) more.push({
      name: "masked_minus_unmasked",
      definition: `held-out pass@1 after iteration ${I}: observations masked − observations in the sums (directional: ≥ 0).`,
      expected: "positive", rule: directionalAcceptance,
      claim: "Xiong et al. 2024, §3: observation tokens are not the policy's and must be masked; including them adds policy-independent terms (a directional hypothesis in a toy).",
      values: results.map((r) => fin(r, "mdpo") - fin(r, "unmasked")),
    });
    if (has("fixed-ref")) {
      more.push({
        name: "previous_minus_fixed_reference",
        definition: `held-out pass@1 after iteration ${I}: reference = previous iterate − reference = SFT model.`,
        expected: "positive", primary: false,
        claim: "Xiong et al. 2024: the previous iterate as reference gives higher in-domain accuracy than a fixed SFT reference.",
        values: results.map((r) => fin(r, "mdpo") - fin(r, "fixed-ref")),
      });
      more.push({
        name: "kl_previous_minus_fixed_reference",
        definition: `KL(π‖π_SFT) per trajectory after iteration ${I}: previous-iterate reference − fixed SFT reference.`,
        expected: "positive", primary: false,
        claim: "Xiong et al. 2024: the fixed reference optimises the KL-regularised target (more conservative), the moving one does not.",
        values: results.map((r) => fin(r, "mdpo", "kl_sft") - fin(r, "fixed-ref", "kl_sft")),
      });
    }
    if (has("offline")) more.push({
      name: "online_minus_offline",
      definition: `held-out pass@1: online iterative M-DPO after iteration ${I} − one-shot offline M-DPO on SFT samples of the same problems.`,
      expected: "positive", primary: false,
      claim: "Xiong et al. 2024: online iterative training (fresh on-policy samples each iteration) beats training once on the SFT model's samples.",
      values: results.map((r) => fin(r, "mdpo") - fin(r, "offline")),
    });
    if (has("mkto")) more.push({
      name: "mkto_gain_over_sft",
      definition: `held-out pass@1 of masked iterative M-KTO after iteration ${I} − that of the SFT policy.`,
      expected: "positive", primary: false,
      claim: "Xiong et al. 2024: M-KTO also improves the SFT model.",
      values: results.map((r) => fin(r, "mkto") - sft(r)),
    });
    more.push({
      name: "pass1_gain_minus_pass16_gain",
      definition: `(pass@1 gain over SFT) − (pass@16 gain over SFT) of masked iterative M-DPO after iteration ${I}.`,
      expected: "positive", primary: false,
      claim: "Xiong et al. 2024: the gains concentrate in pass@1; pass@n of the trained and SFT models converge for large n.",
      values: results.map((r) => fin(r, "mdpo") - sft(r) - (fin(r, "mdpo", "pass16") - sft(r, "pass16"))),
    });
    more.push({
      name: "smallest_iteration_gain",
      definition: `min over iterations t = 1 … ${I} of pass@1(t) − pass@1(t − 1), masked iterative M-DPO.`,
      expected: "positive", primary: false,
      claim: "Xiong et al. 2024: each iteration improves on the last (3 iterations reported).",
      values: results.map((r) => {
        let m = Infinity;
        for (let t = 1; t <= I; t++) {
          const a = r.curves.find((x) => x.step === t)?.[k("mdpo", "pass1")], b = r.curves.find((x) => x.step === t - 1)?.[k("mdpo", "pass1")];
          m = Math.min(m, (a ?? NaN) - (b ?? NaN));
        }
        return m;
      }),
    });
    return [...out, ...more];
  },

  plots(c) {
    const arms = c.arms as MdpoArm[];
    return [
      {
        kind: "curves", file: "pass1.svg", title: "held-out pass@1 (T = 1) per iteration", xLabel: "iteration (0 = SFT)", yLabel: "pass@1",
        series: arms.map((a) => ({ metric: k(a, "pass1"), label: LABEL[a], dashed: a === "offline" })),
      },
      {
        kind: "curves", file: "kl.svg", title: "KL(π‖π_SFT) per trajectory", xLabel: "iteration", yLabel: "KL (nats)",
        series: arms.map((a) => ({ metric: k(a, "kl_sft"), label: LABEL[a], dashed: a === "offline" })),
      },
      {
        kind: "curves", file: "tools.svg", title: "tool use and copy errors, masked vs unmasked M-DPO", xLabel: "iteration", yLabel: "rate",
        series: arms.filter((a) => a === "mdpo" || a === "unmasked").flatMap((a) => [
          { metric: k(a, "tool_use"), label: `tool use, ${a}` }, { metric: k(a, "copy_error"), label: `copy errors, ${a}`, dashed: true },
        ]),
      },
      {
        kind: "custom", file: "passk.svg",
        render: (results) => matrixPlot({
          title: `unbiased pass@k on held-out problems after iteration ${c.iterations}, mean over seeds`, xLabel: "k",
          rowLabels: ["SFT", ...arms.map((a) => LABEL[a])], colLabels: ["1", "4", "16"], digits: 3, range: [0, 1],
          values: [["sft", "pass1", "pass4", "pass16"], ...arms.map((a) => [a, "final_pass1", "final_pass4", "final_pass16"])].map(([arm, ...ms]) =>
            ms.map((m) => results.reduce((s, r) => s + r.scalars[k(arm, m)], 0) / results.length)),
        }),
      },
    ];
  },

  best: (metric) => (/\/(pass1|greedy|pass4|pass16)$/.test(metric) ? "max" : null),
});
