// demo-bandit: IPO vs DPO on a two-action bandit, where both fixed points are known in closed
// form. A few seconds for the smoke preset; the runner's own test, and the template the
// experiments of the papers copy (docs/guide/experiments.md walks through it).
//
// Setup (Azar et al. 2024, the bandit of their argument on DPO's weak regularisation): one
// prompt, two responses y₁, y₂, a uniform reference π_ref, and n pairs whose label says y₁ ≻ y₂
// with probability p (seeded). With p̂ the share of pairs preferring y₁ and h = log π(y₁)/π(y₂)
// (the log-ratio to the uniform reference), full-batch training minimises
//   IPO (τ = β):  p̂·(h − 1/(2τ))² + (1 − p̂)·(h + 1/(2τ))²   → h* = (2p̂ − 1)/(2τ),
//   DPO:          −p̂·log σ(βh) − (1 − p̂)·log σ(−βh)          → σ(βh*) = p̂, h* = logit(p̂)/β,
// so π*(y₁) = σ(h*) for both. DPO's target is farther from the reference (logit(p̂) > 2p̂ − 1
// > 0 for p̂ > ½), and infinitely far when every label agrees (p̂ = 1): whatever β, DPO drives
// π(y₁) to 1, while IPO stops at σ(1/(2τ)). The primary contrast is that distance, measured
// as KL(π‖π_ref) at the end of training.
//
// Determinism: the labels come from the engine's generator (seed, stream 1); the models start
// from fixed parameters (a zero output layer: exactly uniform); training is the engine's; every
// host-side number uses + − × ÷ and core/detmath.
import { exp, log } from "../core/detmath.js";
import { ValueError } from "../core/errors.js";
import { integer, positive, probability } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { LanguageModel } from "../align/model.js";
import { PreferenceTrainer } from "../align/trainers/preference.js";
import type { PreferenceExample, Segment } from "../align/data.js";
import { scatterPlot, matrixPlot } from "../io/svg.js";
import { defineExperiment, type CurveRow, type SeedResult } from "./experiment.js";
import type { AcceptanceRule } from "./stats.js";

/** The configuration of demo-bandit. */
export interface DemoBanditConfig {
  /** P(y₁ ≻ y₂) of the labeller. */
  preference: number;
  /** Labelled pairs in the data set. */
  pairs: number;
  /** The β values swept (IPO's τ = β). */
  betas: number[];
  /** The β of the primary contrast (one of `betas`). */
  primaryBeta: number;
  /** Full-batch optimizer steps per run. */
  steps: number;
  /** AdamW learning rate (cosine schedule to 0, no weight decay). */
  lr: number;
  /** Log the curves every this many steps. */
  logEvery: number;
  /** IPO's fixed-point check: |π(y₁) − σ((2p̂ − 1)/(2τ))| must be below this in every seed. */
  tolerance: number;
}

const LOSSES = [["ipo", "ipo"], ["dpo", "sigmoid"]] as const;
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)));
const key = (loss: string, beta: number, what: string) => `${loss}/beta=${beta}/${what}`;

/** The analytic fixed point π*(y₁) of full-batch IPO (τ = β) or DPO on data with share p̂ of
 *  pairs preferring y₁, from a uniform reference (DPO's is 0 or 1 when every label agrees). */
export function banditFixedPoint(loss: "ipo" | "dpo", pHat: number, beta: number): number {
  if (loss === "ipo") return sigmoid((2 * pHat - 1) / (2 * beta));
  if (pHat <= 0) return 0;
  if (pHat >= 1) return 1;
  return sigmoid((log(pHat) - log(1 - pHat)) / beta);
}

/** A one-token policy over two actions (prompt [0]) that starts exactly uniform. */
function banditModel(): LanguageModel {
  const m = LanguageModel.create({ kind: "window-mlp", vocab: 2, context: 2, width: 4, hidden: 8, window: 1 }, { seed: 0 });
  m.setTensor("mlp.out.weight", new Float32Array(8 * 2));
  m.setTensor("mlp.out.bias", new Float32Array(2));
  return m;
}

/** [π(y₁), KL(π‖π_ref)] of a bandit model, π_ref uniform. */
function probe(m: LanguageModel): [number, number] {
  const lp = m.logProbs({ inputs: [[0], [0]], targets: [[0], [1]] }).sums;
  const p1 = exp(lp[0]), p2 = exp(lp[1]);
  const half = log(0.5);
  return [p1, p1 * (lp[0] - half) + p2 * (lp[1] - half)];
}

const seg = (t: number, trained: number): Segment => ({ tokens: Int32Array.of(t), trained: Uint8Array.of(trained) });

/** "Every seed within tolerance": the check of IPO's fixed point (a rule of its own: the
 *  standard rule's interval says nothing about a bound that must hold on every seed). */
const everySeed: AcceptanceRule = (e) => {
  const bad = e.values.filter((v) => !(v > 0)).length;
  return bad === 0
    ? { verdict: "reproduced", reason: `every seed (${e.values.length}) is within the tolerance` }
    : { verdict: "not reproduced", reason: `${bad} of ${e.values.length} seeds are not within the tolerance` };
};

/** IPO vs DPO on a two-action bandit with known fixed points (the runner's example). */
export const demoBandit = defineExperiment<DemoBanditConfig>({
  name: "demo-bandit",
  title: "IPO vs DPO on a two-action bandit with known fixed points",
  description:
    "One prompt, two responses, a uniform reference, and a small set of pairs labelled y₁ ≻ y₂ with probability `preference`. " +
    "Full-batch IPO (τ = β) and DPO are trained for every β; both have closed-form fixed points, σ((2p̂ − 1)/(2τ)) and σ(logit(p̂)/β). " +
    "DPO's lies farther from the reference, infinitely far when every label agrees, so DPO should end with the larger KL(π‖π_ref) " +
    "(the primary contrast), while IPO lands on its fixed point (a secondary check). It takes seconds: it is the experiment runner's " +
    "own test and the template for new experiments.",
  references: ["Azar, Rowland, Piot, Guo, Calandriello, Valko & Munos 2024, A General Theoretical Paradigm to Understand Learning from Human Preferences (AISTATS)."],
  presets: {
    smoke: { preference: 0.8, pairs: 16, betas: [0.25, 0.5, 1], primaryBeta: 0.5, steps: 150, lr: 0.1, logEvery: 10, tolerance: 1e-3 },
    full: { preference: 0.8, pairs: 32, betas: [0.1, 0.25, 0.5, 1, 2], primaryBeta: 0.5, steps: 600, lr: 0.05, logEvery: 20, tolerance: 1e-5 },
  },
  defaultSeeds: 5,

  check(c) {
    probability(c.preference, "preference");
    integer(c.pairs, "pairs", 1, 1_000_000);
    integer(c.steps, "steps", 1, 1_000_000);
    integer(c.logEvery, "logEvery", 1);
    positive(c.lr, "lr");
    positive(c.tolerance, "tolerance");
    if (c.betas.length === 0) throw new ValueError("betas must hold at least one β");
    c.betas.forEach((b, i) => positive(b, `betas[${i}]`));
    if (!c.betas.includes(c.primaryBeta)) throw new ValueError(`primaryBeta (${c.primaryBeta}) must be one of betas (${c.betas.join(", ")})`);
  },

  async run(config, seed, ctx) {
    const { betas, steps, pairs } = config;
    // The data: `pairs` labels from the seed's stream 1.
    const rng = new Rng(seed, 1);
    const labels = rng.bernoulli(pairs, config.preference);
    rng.dispose();
    let ones = 0;
    for (const b of labels) ones += b;
    const pHat = ones / pairs;
    const data: PreferenceExample[] = Array.from(labels, (b, i) => ({
      layout: "preference", line: i + 1, prompt: seg(0, 0), chosen: seg(b ? 0 : 1, 1), rejected: seg(b ? 1 : 0, 1),
    }));

    const rows = new Map<number, CurveRow>();
    const at = (step: number) => {
      let r = rows.get(step);
      if (!r) rows.set(step, (r = { step } as CurveRow));
      return r;
    };
    const scalars: Record<string, number> = { p_hat: pHat };
    const total = betas.length * LOSSES.length;
    let k = 0;
    for (const beta of betas) {
      for (const [name, loss] of LOSSES) {
        const model = banditModel();
        const log0 = at(0);
        [log0[key(name, beta, "p_y1")], log0[key(name, beta, "kl")]] = probe(model);
        const trainer = new PreferenceTrainer(model, {
          data, loss, beta, batchSize: pairs, epochs: steps, shuffle: false, seed, logEvery: config.logEvery,
          optimizer: { lr: config.lr, weightDecay: 0, schedule: { kind: "cosine", totalSteps: steps } },
          onMetrics: (m) => {
            const r = at(m.step);
            [r[key(name, beta, "p_y1")], r[key(name, beta, "kl")]] = probe(model);
            r[key(name, beta, "loss")] = m.loss;
          },
        });
        try {
          await trainer.train({ signal: ctx.signal });
          const [p, kl] = probe(model);
          const target = banditFixedPoint(name, pHat, beta);
          scalars[key(name, beta, "final_p_y1")] = p;
          scalars[key(name, beta, "final_kl")] = kl;
          scalars[key(name, beta, "fixed_point")] = target;
          scalars[key(name, beta, "error")] = Math.abs(p - target);
        } finally {
          trainer.dispose();
          model.dispose();
        }
        ctx.progress(++k / total, `${name} at β = ${beta}`);
      }
    }
    const curves = [...rows.values()].sort((a, b) => a.step - b.step);
    // Each step trains on every pair's chosen and rejected response: one token each.
    return { curves, scalars, tokenUpdates: total * steps * pairs * 2 };
  },

  summarise(results, config) {
    const b = config.primaryBeta;
    const worstIpo = (r: SeedResult) => Math.max(...config.betas.map((beta) => r.scalars[key("ipo", beta, "error")]));
    return [
      {
        name: "kl_dpo_minus_ipo",
        definition: `KL(π_DPO‖π_ref) − KL(π_IPO‖π_ref) after the last step, at β = τ = ${b}.`,
        expected: "positive",
        claim: "Azar et al. 2024: DPO's regularisation towards the reference is weak when preferences are (nearly) deterministic, and IPO's is not, so DPO ends farther from π_ref.",
        values: results.map((r) => r.scalars[key("dpo", b, "final_kl")] - r.scalars[key("ipo", b, "final_kl")]),
      },
      {
        name: "ipo_fixed_point_margin",
        definition: `tolerance (${config.tolerance}) − max over β of |π_IPO(y₁) − σ((2p̂ − 1)/(2τ))| after the last step: IPO reaches its closed-form fixed point.`,
        expected: "positive",
        primary: false,
        rule: everySeed,
        values: results.map((r) => config.tolerance - worstIpo(r)),
      },
    ];
  },

  plots(config) {
    const b = config.primaryBeta;
    return [
      {
        kind: "curves", file: "kl.svg", title: `KL(π‖π_ref) during training, β = ${b}`, yLabel: "KL(π‖π_ref)",
        series: [{ metric: key("ipo", b, "kl"), label: "IPO" }, { metric: key("dpo", b, "kl"), label: "DPO" }],
      },
      {
        kind: "custom", file: "fixed-points.svg",
        render: (results) => scatterPlot({
          title: "trained π(y₁) against the closed-form fixed point (every seed and β)", xLabel: "fixed point π*(y₁)", yLabel: "trained π(y₁)",
          series: LOSSES.map(([name]) => ({
            name: name.toUpperCase(),
            x: results.flatMap((r) => config.betas.map((beta) => r.scalars[key(name, beta, "fixed_point")])),
            y: results.flatMap((r) => config.betas.map((beta) => r.scalars[key(name, beta, "final_p_y1")])),
          })),
          legend: "top-left",
        }),
      },
      {
        kind: "custom", file: "kl-by-beta.svg",
        render: (results) => matrixPlot({
          title: "final KL(π‖π_ref), mean over seeds", xLabel: "β (= τ)", rowLabels: LOSSES.map(([n]) => n.toUpperCase()),
          colLabels: config.betas.map(String), digits: 3,
          values: LOSSES.map(([name]) => config.betas.map((beta) => {
            let s = 0;
            for (const r of results) s += r.scalars[key(name, beta, "final_kl")];
            return s / results.length;
          })),
        }),
      },
    ];
  },

  best: (metric) => (metric.endsWith("/loss") ? "min" : null),
});
