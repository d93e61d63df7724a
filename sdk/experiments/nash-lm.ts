// nash-lm: Nash policy optimisation of a (small) language model against an intransitive
// preference (Munos et al. 2024, Nash-MD-PG; Tiapkin et al. 2025, Nash-MP with policy-gradient
// half-steps; Calandriello et al. 2024, online IPO), with RLHF against a Bradley–Terry reward
// fitted to the same preferences as the baseline.
//
// World: responses are the V^L token sequences of length L after a one-token prompt (64 for
// V = 4, L = 3: enumerable, so every quantity below is exact). A judge compares two responses
// position by position with a token tournament C (skew-symmetric) and saturates:
//   P(y ≻ y′) = σ(k·tanh(Σ_t C[y_t, y′_t])).
// It has cycles (a witness is reported), hence no Bradley–Terry representation. The policies are
// WindowMLP language models wrapped in align.LMPolicy; the reference μ is the policy's initialisation:
// random hidden weights (from the seed), a zero output layer (μ uniform). The trainers are the games domain's, unchanged:
// trainNashMP, trainNashMD, trainOnlineIpo, with Bernoulli labels from the judge; the baseline
// fits the Bradley–Terry reward to the same preference matrix under μ ⊗ μ (games.fitBradleyTerry:
// the infinite-data fit) and runs the KL-regularised policy gradient on it
// (games.scoreFunctionUpdate with the label ½ + r(y) − mean r over the batch).
//
// Metrics (exact, by enumerating the 64 responses): the regularised exploitability E_β(π) and
// the unregularised one, KL(π‖μ), KL(π*_β‖π), win rates of every final policy against every
// other and against μ (games.gameMetrics, PreferenceGame.winRate).
import { exp } from "../core/detmath.js";
import { ValueError } from "../core/errors.js";
import { integer, positive, probability } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { LanguageModel } from "../align/model.js";
import { LMPolicy } from "../align/policy.js";
import { PreferenceGame, klDivergence, fitBradleyTerry, rlhfPolicy } from "../games/preference.js";
import { gameMetrics, solveNash } from "../games/solvers.js";
import { trainNashMP, trainNashMD, trainOnlineIpo, scoreFunctionUpdate, type Judge } from "../games/stochastic.js";
import type { Policy } from "../games/policy.js";
import { matrixPlot } from "../io/svg.js";
import { defineExperiment, type Contrast, type CurveRow, type SeedResult } from "./experiment.js";
import { mean } from "./stats.js";

/** Mean of f(row) over the logged rows after the first `from` share of the queries (rows with
 *  step > 0 and step ≥ from·last step). */
function curveMean(r: SeedResult, f: (row: CurveRow) => number, from: number): number {
  const last = r.curves[r.curves.length - 1].step;
  let s = 0, k = 0;
  for (const row of r.curves) if (row.step > 0 && row.step >= from * last) s += f(row), k++;
  return s / k;
}

/** The configuration of nash-lm. */
export interface NashLmConfig {
  /** Vocabulary V (the response tokens; the prompt is token 0). */
  vocab: number;
  /** Response length L (V^L responses, at most 4096). */
  length: number;
  /** The token tournament C (V × V, skew-symmetric): C[a][b] > 0 means token a beats token b. */
  tournament: number[][];
  /** The judge's sharpness k: P(y ≻ y′) = σ(k·tanh(Σ_t C[y_t, y′_t])). */
  sharpness: number;
  /** KL coefficient β of every method. */
  beta: number;
  /** Hidden units of the WindowMLP policy. */
  hidden: number;
  /** Embedding width of the policy. */
  width: number;
  /** Pairs (judge queries) per gradient step. */
  batch: number;
  /** Preference queries of every method (a multiple of batch · 2 · inner). */
  queries: number;
  /** Nash-MP: optimiser steps per half-step (M). */
  inner: number;
  /** Nash-MP: prox step η (≤ 2). */
  eta: number;
  /** Nash-MD: weight of μ in the opponent's per-token geometric mixture. */
  mixture: number;
  /** Learning rate of the policy-gradient methods (plain SGD on the score-function estimate). */
  lr: number;
  /** Online IPO's learning rate is lr·β/4 × this (its expected step is (4/β)× the self-play
   *  policy gradient: Calandriello et al. 2024, Prop. 4.2). */
  ipoLrFactor: number;
  /** Log the exact metrics every this many queries (a multiple of batch · 2 · inner). */
  logEvery: number;
}

const METHODS = ["nash-mp", "nash-md", "online-ipo", "bt-rlhf"] as const;
type Method = (typeof METHODS)[number];
const LABEL: Record<string, string> = { "nash-mp": "Nash-MP-PG", "nash-md": "Nash-MD-PG", "online-ipo": "online IPO", "bt-rlhf": "BT-RLHF", ref: "reference μ", "nash*": "exact π*_β", "bt*": "exact RLHF(BT)" };
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)));
/** tanh through core/detmath (Math.tanh's last bits differ between engines). */
const tanh = (x: number) => (x >= 0 ? (1 - exp(-2 * x)) / (1 + exp(-2 * x)) : -(1 - exp(2 * x)) / (1 + exp(2 * x)));

/** Every response (base-V digits, most significant first). */
function responses(V: number, L: number): Int32Array[] {
  return Array.from({ length: V ** L }, (_, k) => {
    const y = new Int32Array(L);
    for (let t = L - 1, r = k; t >= 0; t--, r = Math.floor(r / V)) y[t] = r % V;
    return y;
  });
}

const indexOf = (y: ArrayLike<number>, V: number) => {
  let k = 0;
  for (let t = 0; t < y.length; t++) k = k * V + y[t];
  return k;
};

/** The judge's preference matrix over every response. */
export function nashLmPreferences(c: Pick<NashLmConfig, "vocab" | "length" | "tournament" | "sharpness">): number[][] {
  const ys = responses(c.vocab, c.length);
  return ys.map((y) => ys.map((z) => {
    let s = 0;
    for (let t = 0; t < y.length; t++) s += c.tournament[y[t]][z[t]];
    return sigmoid(c.sharpness * tanh(s));
  }));
}

/** A preference cycle of three responses and how strongly it holds. */
export interface PreferenceCycle {
  /** Responses a, b, c with a ≻ b ≻ c ≻ a. */
  cycle: [number, number, number];
  /** The smallest of P(a ≻ b), P(b ≻ c), P(c ≻ a), minus ½. */
  margin: number;
}

/** A preference cycle a ≻ b ≻ c ≻ a with every probability > ½ + margin (the largest margin), or null. */
export function preferenceCycle(P: readonly (readonly number[])[]): PreferenceCycle | null {
  const n = P.length;
  let best: { cycle: [number, number, number]; margin: number } | null = null;
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
    if (!(P[a][b] > 0.5)) continue;
    for (let c = 0; c < n; c++) {
      const m = Math.min(P[a][b], P[b][c], P[c][a]) - 0.5;
      if (m > 0 && (!best || m > best.margin)) best = { cycle: [a, b, c], margin: m };
    }
  }
  return best;
}

/** Nash policy gradients (MP, MD, online IPO) vs Bradley–Terry RLHF on a language model with intransitive preferences. */
export const nashLm = defineExperiment<NashLmConfig>({
  name: "nash-lm",
  title: "Nash-MP / Nash-MD / online IPO vs Bradley–Terry RLHF on a language model with intransitive preferences",
  description:
    "A WindowMLP language model answers a one-token prompt with L tokens; a judge compares responses position by position with a token tournament and saturates " +
    "(P(y ≻ y′) = σ(k·tanh Σ_t C[y_t, y′_t])), which has preference cycles and so no Bradley–Terry representation. Nash-MP-PG, Nash-MD-PG and online IPO " +
    "(the games trainers on align.LMPolicy, Bernoulli labels) and RLHF against the Bradley–Terry reward fitted to the same preferences run at the same β and the " +
    "same number of preference queries. The response space is enumerable, so exploitability, KL and every head-to-head win rate are exact. The games literature " +
    "predicts Nash-MP ahead of Nash-MD at equal queries and both ahead of the Bradley–Terry policy head to head.",
  references: [
    "Munos et al. 2024, Nash Learning from Human Feedback (ICML; arXiv:2312.00886).",
    "Tiapkin et al. 2025, Accelerating Nash Learning from Human Feedback via Mirror Prox (arXiv:2505.19731v1).",
    "Calandriello et al. 2024, Human Alignment of Large Language Models through Online Preference Optimisation (ICML; arXiv:2403.08635).",
  ],
  presets: {
    smoke: {
      vocab: 4, length: 3, sharpness: 3, beta: 0.05, hidden: 16, width: 8,
      tournament: [[0, 0.96, -0.58, 0.11], [-0.96, 0, 1.04, 0.6], [0.58, -1.04, 0, -1.17], [-0.11, -0.6, 1.17, 0]],
      batch: 32, queries: 12800, inner: 10, eta: 2, mixture: 0.125, lr: 0.1, ipoLrFactor: 1, logEvery: 1280,
    },
    full: {
      vocab: 4, length: 3, sharpness: 3, beta: 0.05, hidden: 16, width: 8,
      tournament: [[0, 0.96, -0.58, 0.11], [-0.96, 0, 1.04, 0.6], [0.58, -1.04, 0, -1.17], [-0.11, -0.6, 1.17, 0]],
      batch: 64, queries: 256000, inner: 10, eta: 2, mixture: 0.125, lr: 0.1, ipoLrFactor: 1, logEvery: 6400,
    },
  },
  defaultSeeds: 5,

  check(c) {
    integer(c.vocab, "vocab", 2, 64);
    integer(c.length, "length", 1, 12);
    if (c.vocab ** c.length > 4096) throw new ValueError(`vocab^length = ${c.vocab ** c.length} responses; at most 4096 (the exact metrics enumerate them)`);
    if (!Array.isArray(c.tournament) || c.tournament.length !== c.vocab || c.tournament.some((r) => !Array.isArray(r) || r.length !== c.vocab)) throw new ValueError(`tournament must be a ${c.vocab} × ${c.vocab} matrix`);
    for (let a = 0; a < c.vocab; a++) for (let b = 0; b < c.vocab; b++) if (!(c.tournament[a][b] === -c.tournament[b][a])) throw new ValueError(`tournament must be skew-symmetric: C[${a}][${b}] = ${c.tournament[a][b]}, C[${b}][${a}] = ${c.tournament[b][a]}`);
    for (const k of ["sharpness", "beta", "lr", "ipoLrFactor", "eta"] as const) positive(c[k], k);
    if (c.eta > 2) throw new ValueError(`eta must be ≤ 2, got ${c.eta}`);
    probability(c.mixture, "mixture");
    for (const k of ["hidden", "width", "batch", "queries", "inner", "logEvery"] as const) integer(c[k], k, 1);
    const unit = c.batch * 2 * c.inner;
    if (c.queries % unit !== 0 || c.logEvery % unit !== 0) throw new ValueError(`queries (${c.queries}) and logEvery (${c.logEvery}) must be multiples of batch · 2 · inner = ${unit} (one Nash-MP iteration)`);
  },

  async run(c, seed, ctx) {
    const V = c.vocab, L = c.length;
    const ys = responses(V, L), n = ys.length;
    const Pm = nashLmPreferences(c);
    const game = PreferenceGame.fromMatrix(Pm);
    const judge: Judge<number, Int32Array> = (_x, y, y2) => Pm[indexOf(y, V)][indexOf(y2, V)];
    // the reference: random hidden weights (from the seed) and a zero output layer, so that μ is
    // exactly uniform over the V^L responses; every policy starts from it
    const model = (s: number) => {
      const m = LanguageModel.create({ kind: "window-mlp", vocab: V, context: L + 1, width: c.width, hidden: c.hidden, window: L }, { seed: s });
      m.setTensor("mlp.out.weight", new Float32Array(c.hidden * V));
      m.setTensor("mlp.out.bias", new Float32Array(V));
      return m;
    };
    const opts = { responseLength: L, prompt: () => [0] };
    const refModel = model(seed * 4 + 1);
    const ref = new LMPolicy<number>(refModel, opts);
    const made: LanguageModel[] = [refModel];
    const xs = new Array<number>(n).fill(0);
    const dist = (p: Policy<number, Int32Array>) => Float64Array.from(p.logProbs(xs, ys), (l) => exp(l));
    try {
      const mu = dist(ref);
      const gopts = { beta: c.beta, refPolicy: mu };
      const star = solveNash(game, gopts).policy;
      const reward = fitBradleyTerry(game, { refPolicy: mu, iters: 100000, tol: 1e-10 });
      const btStar = rlhfPolicy(reward, gopts);
      const metrics = (pi: Float64Array) => {
        const m = gameMetrics(game, pi, { ...gopts, equilibrium: star });
        return { exploitability: m.exploitability, exploitability0: m.exploitability0, kl_star: m.kl, kl_ref: klDivergence(pi, mu), win_vs_ref: m.winRate };
      };
      const rowsByQ = new Map<number, CurveRow>();
      const log = (method: string, queries: number, pi: Float64Array) => {
        let r = rowsByQ.get(queries);
        if (!r) rowsByQ.set(queries, (r = { step: queries } as CurveRow));
        for (const [k, v] of Object.entries(metrics(pi))) r[`${method}/${k}`] = v;
      };
      const finals: Record<string, Float64Array> = { ref: mu, "nash*": star, "bt*": btStar };
      const steps = c.queries / c.batch, logSteps = c.logEvery / c.batch;
      let k = 0;
      for (const method of METHODS) {
        const m = model(seed * 4 + 1);
        made.push(m);
        const policy = new LMPolicy<number>(m, opts);
        const tseed = seed * 16 + METHODS.indexOf(method);
        if (method === "bt-rlhf") {
          // RLHF on the fitted reward: y ∼ π_θ, weight r(y) − mean r (batch baseline) − β·log(π_θ/μ)(y), reward-to-go per token
          const rng = new Rng(tseed);
          try {
            log(method, 0, dist(policy));
            for (let s = 0; s < steps; s++) {
              const bx = new Array<number>(c.batch).fill(0);
              const by = policy.sample(bx, rng);
              const r = by.map((y) => reward[indexOf(y, V)]);
              let rbar = 0;
              for (const v of r) rbar += v / c.batch;
              const labels = Float64Array.from(r, (v) => 0.5 + v - rbar);
              scoreFunctionUpdate(policy, bx, by, labels, [{ ref, coef: c.beta }], c.lr);
              if ((s + 1) % logSteps === 0) log(method, (s + 1) * c.batch, dist(policy));
              if (ctx.signal.aborted) throw ctx.signal.reason;
            }
          } finally {
            rng.dispose();
          }
        } else {
          let q = 0;
          const evaluate = (p: Policy<number, Int32Array>, it: number) => {
            q = method === "nash-mp" ? it * 2 * c.inner * c.batch : it * c.batch;
            log(method, q, dist(p));
            return q;
          };
          const common = { beta: c.beta, batch: c.batch, feedback: "bernoulli" as const, seed: tseed, evaluate };
          if (method === "nash-mp") {
            const per = 2 * c.inner * c.batch;
            const res = trainNashMP(policy, ref, judge, { ...common, lr: c.lr, eta: c.eta, inner: c.inner, outer: c.queries / per, evaluate: (p, it) => (it % (c.logEvery / per) === 0 ? evaluate(p, it) : 0) });
            if (res.queries[res.queries.length - 1] !== c.queries) throw new ValueError(`nash-mp made ${res.queries[res.queries.length - 1]} queries, expected ${c.queries}`);
          } else if (method === "nash-md") {
            trainNashMD(policy, ref, judge, { ...common, lr: c.lr, mixture: c.mixture, iters: steps, logEvery: logSteps });
          } else {
            trainOnlineIpo(policy, ref, judge, { ...common, lr: (c.lr * c.beta * c.ipoLrFactor) / 4, iters: steps, logEvery: logSteps });
          }
        }
        finals[method] = dist(policy);
        ctx.progress(++k / METHODS.length, method);
      }
      // scalars: final metrics, the win-rate matrix, the exact policies' numbers, the world's cycle
      const scalars: Record<string, number> = {};
      const names = Object.keys(finals);
      for (const a of names) {
        for (const [key, v] of Object.entries(metrics(finals[a]))) scalars[`${a}/${key}`] = v;
        for (const b of names) scalars[`win/${a}/${b}`] = game.winRate(finals[a], finals[b]);
      }
      const cyc = preferenceCycle(Pm);
      scalars.cycle_margin = cyc ? cyc.margin : 0;
      const curves = [...rowsByQ.values()].sort((a, b) => a.step - b.step);
      // token-updates: the trained sequences' tokens (one backward per sampled response)
      return { curves, scalars, tokenUpdates: METHODS.length * steps * c.batch * L };
    } finally {
      game.dispose();
      for (const m of made) m.dispose();
    }
  },

  summarise(results, c) {
    const v = (name: string) => results.map((r) => r.scalars[name]);
    const diff = (a: string, b: string) => results.map((r) => r.scalars[a] - r.scalars[b]);
    const half = (name: string) => results.map((r) => r.scalars[name] - 0.5);
    const out: Contrast[] = [
      {
        name: "exploitability_md_minus_mp",
        definition: `E_β(π_Nash-MD) − E_β(π_Nash-MP) after ${c.queries} preference queries each (regularised exploitability, exact, β = ${c.beta}).`,
        expected: "positive",
        claim: "Tiapkin et al. 2025: Nash Mirror Prox converges (last iterate, linearly) faster than Nash-MD at equal preference queries.",
        values: diff("nash-md/exploitability", "nash-mp/exploitability"),
      },
      {
        name: "mp_vs_bt_win_minus_half",
        definition: "P(π_Nash-MP ≻ π_BT-RLHF) − ½, exact over the response space.",
        expected: "positive",
        claim: "Munos et al. 2024: with intransitive preferences, the Nash policy beats the policy optimising a Bradley–Terry reward fitted to the same preferences.",
        values: half("win/nash-mp/bt-rlhf"),
      },
      {
        name: "md_vs_bt_win_minus_half",
        definition: "P(π_Nash-MD ≻ π_BT-RLHF) − ½, exact.",
        expected: "positive",
        claim: "Munos et al. 2024 (as above).",
        values: half("win/nash-md/bt-rlhf"),
      },
      {
        name: "exploitability_md_minus_mp_curve_mean",
        definition: "mean over the logged query counts (after 0) of E_β(π_Nash-MD) − E_β(π_Nash-MP): how much faster Nash-MP gets there, over the whole run.",
        expected: "positive", primary: false, values: results.map((r) => curveMean(r, (row) => row["nash-md/exploitability"] - row["nash-mp/exploitability"], 0)),
      },
      {
        name: "exploitability_md_minus_mp_tail_mean",
        definition: "the same mean over the last quarter of the logged query counts: the two noise floors (each logged policy is a last iterate).",
        expected: "positive", primary: false, values: results.map((r) => curveMean(r, (row) => row["nash-md/exploitability"] - row["nash-mp/exploitability"], 0.75)),
      },
      {
        name: "mp_vs_md_win_minus_half", definition: "P(π_Nash-MP ≻ π_Nash-MD) − ½, exact.", expected: "positive", primary: false, values: half("win/nash-mp/nash-md"),
      },
      {
        name: "exploitability_bt_minus_mp", definition: "E_β(π_BT-RLHF) − E_β(π_Nash-MP).", expected: "positive", primary: false, values: diff("bt-rlhf/exploitability", "nash-mp/exploitability"),
      },
      {
        name: "exploitability_bt_minus_md", definition: "E_β(π_BT-RLHF) − E_β(π_Nash-MD).", expected: "positive", primary: false, values: diff("bt-rlhf/exploitability", "nash-md/exploitability"),
      },
      {
        name: "ipo_vs_bt_win_minus_half", definition: "P(π_online-IPO ≻ π_BT-RLHF) − ½, exact.", expected: "positive", primary: false, values: half("win/online-ipo/bt-rlhf"),
      },
      {
        name: "exact_nash_vs_exact_rlhf_win_minus_half",
        definition: "P(π*_β ≻ μ·exp(r_BT/β)/Z) − ½ for the exact regularised equilibrium and the exact RLHF policy of the fitted reward: the head-to-head the trained policies approximate (a property of the world and μ, no training).",
        expected: "positive", primary: false, values: half("win/nash*/bt*"),
      },
      {
        name: "world_has_a_cycle", definition: "the margin min(P(a≻b), P(b≻c), P(c≻a)) − ½ of the strongest preference cycle a ≻ b ≻ c ≻ a (> 0: no Bradley–Terry representation).",
        expected: "positive", primary: false, values: v("cycle_margin"),
      },
    ];
    return out;
  },

  plots(c) {
    const names = ["nash-mp", "nash-md", "online-ipo", "bt-rlhf", "ref", "nash*", "bt*"];
    return [
      {
        kind: "custom", file: "win-rates.svg",
        render: (results: readonly SeedResult[]) => matrixPlot({
          title: "P(row ≻ column), exact, mean over seeds", rowLabels: names.map((n) => LABEL[n]), colLabels: names.map((n) => LABEL[n]), center: 0.5, digits: 2,
          values: names.map((a) => names.map((b) => mean(results.map((r) => r.scalars[`win/${a}/${b}`])))),
        }),
      },
      {
        kind: "curves", file: "exploitability.svg", title: `regularised exploitability E_β (β = ${c.beta}) against preference queries`, xLabel: "preference queries",
        yLabel: "E_β(π)", logY: true, series: METHODS.map((m) => ({ metric: `${m}/exploitability`, label: LABEL[m] })),
      },
      {
        kind: "curves", file: "kl-ref.svg", title: "KL(π‖μ) against preference queries", xLabel: "preference queries", yLabel: "KL(π‖μ)",
        series: METHODS.map((m) => ({ metric: `${m}/kl_ref`, label: LABEL[m] })),
      },
    ];
  },

  best: (metric) => (metric.endsWith("/exploitability") || metric.endsWith("/exploitability0") || metric.endsWith("/kl_star") ? "min" : null),
});
