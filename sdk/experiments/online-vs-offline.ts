// online-vs-offline: the online/offline gap of preference optimisation (Tang et al. 2024,
// "Understanding the performance gap between online and offline alignment algorithms"), on a
// toy world where the golden preference is an explicit program.
//
// World (worlds/token-tables.ts): P prompts, responses of L tokens over V content tokens, a
// golden utility u(x, y) = Σ A[x, y_t] + Σ B[y_{t−1}, y_t] + bonus·1[3-gram] and the golden
// preference P_gold(y ≻ y′) = σ(u(y) − u(y′)). The SFT policy (a WindowMLP with a prompt
// embedding) is trained by maximum likelihood on a peaked random bigram source unrelated to u:
// mediocre and low-entropy, so high-utility responses are rare under it. Offline data: pairs
// sampled from π_SFT, labelled by sampling P_gold. The proxy preference model is a
// Bradley–Terry model on per-prompt unigram counts fitted to those pairs (online-vs-offline/
// proxy.ts): it cannot see B or the 3-gram.
//
// Runs, for every τ (= β): offline IPO, DPO and hinge (SLiC with a reference) on the fixed pairs;
// online IPO (OnlineTrainer: two samples per prompt from the current policy, labelled by
// sampling P_proxy); as a diagnostic, online IPO labelled by P_gold itself. The second policy
// size runs online and offline IPO only (unless `everySize`). Every `evalEvery` steps: the golden win rate
// against π_SFT (mean P_gold(y ≻ y′), y ∼ π_θ, y′ ∼ π_SFT, exact probabilities), the proxy win
// rate, and KL(π_θ‖π_SFT) (exact per-token KL summed along sampled prefixes). Ablations at the
// primary τ: coverage (offline IPO on the online run's replay log, shuffled; and in order, which
// is the online run again, bit for bit), data quality (offline IPO on golden-labelled pairs
// sampled from the final online policy), and the pairwise accuracy of the implicit reward ρ on
// held-out golden-labelled pairs.
//
// Primary contrast: the mean vertical gap between the online and the offline golden-win-rate-
// vs-KL frontiers over their common KL range (the area between them divided by the range).
// Determinism: every table, data set and sample comes from an Rng stream of the seed; the
// evaluation of checkpoint s uses stream 1000 + s for every run (common random numbers).
import { ValueError } from "../core/errors.js";
import { integer, positive } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { LanguageModel } from "../align/model.js";
import { PreferenceTrainer } from "../align/trainers/preference.js";
import { OnlineTrainer, replayDataset } from "../align/trainers/online.js";
import type { Example } from "../align/data.js";
import { scatterPlot } from "../io/svg.js";
import { defineExperiment, type Contrast, type CurveRow, type PlotSpec, type SeedResult } from "./experiment.js";
import type { AcceptanceRule } from "./stats.js";
import {
  TokenTables, BigramSource, trainSft, sampleResponses, sequenceLogProbs, prefixKl, labelledPairs, sigmoid,
} from "./worlds/token-tables.js";
import { UnigramProxy } from "./online-vs-offline/proxy.js";

/** The configuration of online-vs-offline. */
export interface OnlineVsOfflineConfig {
  /** Prompts P. */
  prompts: number;
  /** Content tokens V. */
  tokens: number;
  /** Response length L. */
  length: number;
  /** Standard deviation of the golden prompt-token table A. */
  unigramScale: number;
  /** Standard deviation of the golden token-pair table B (what the proxy cannot see). */
  bigramScale: number;
  /** Golden bonus of the 3-gram (the proxy cannot see it either). */
  trigramBonus: number;
  /** Sharpness of the random bigram source of the SFT demonstrations (large: peaked). */
  sftSharpness: number;
  /** SFT demonstrations. */
  sftExamples: number;
  /** SFT epochs. */
  sftEpochs: number;
  /** SFT learning rate. */
  sftLr: number;
  /** Hidden units of the policies (one study per size). */
  hiddens: number[];
  /** Offline golden-labelled pairs (also: the proxy's training set). */
  offlinePairs: number;
  /** Held-out golden-labelled pairs (pairwise accuracy). */
  heldOutPairs: number;
  /** Ridge of the proxy's fit. */
  proxyRidge: number;
  /** τ of IPO (= β of DPO and hinge), swept. */
  taus: number[];
  /** The τ of the ablations (one of taus). */
  primaryTau: number;
  /** Offline losses (PreferenceTrainer loss names): "ipo" is required; "sigmoid" (DPO), "hinge". */
  offline: string[];
  /** Optimizer steps per run. */
  steps: number;
  /** Pairs per step. */
  batchSize: number;
  /** AdamW learning rate (constant). */
  lr: number;
  /** Evaluate every this many steps. */
  evalEvery: number;
  /** Samples per evaluation (policy and SFT). */
  evalSamples: number;
  /** Run the ablations (coverage, replay, quality) at the primary τ. */
  ablations: boolean;
  /** Run DPO, hinge, the golden-labelled online runs and the ablations for every policy size
   *  (false: for the first size only; the other sizes get online and offline IPO). */
  everySize: boolean;
  /** Also run online IPO labelled by the golden model itself (a diagnostic: separates what on-policy
   *  sampling does from what the proxy's misspecification does). */
  onlineGolden: boolean;
}

const NAMES: Record<string, string> = { ipo: "offline-ipo", sigmoid: "offline-dpo", hinge: "offline-hinge" };
const key = (h: number, run: string, tau: number, what: string) => `h=${h}/${run}/tau=${tau}/${what}`;

/** A checkpoint's evaluation. */
interface Point {
  step: number;
  golden: number;
  proxy: number;
  kl: number;
}

/** A policy's point in the win-rate-vs-KL plane. */
export interface FrontierPoint {
  /** KL(π‖π_SFT) of the policy. */
  kl: number;
  /** Its golden (or proxy) win rate against the SFT policy. */
  win: number;
}

/** The mean gap between two frontiers and the KL range it is taken over. */
export interface FrontierGap {
  /** Mean of f_a − f_b over [0, range]; NaN when the range is 0. */
  gap: number;
  /** K, the largest KL both frontiers reach. */
  range: number;
}

/** The upper frontier f(k) = max{win_i : KL_i ≤ k} of points (which include the SFT policy's
 *  own evaluation at KL 0), as breakpoints. */
export function upperFrontier(points: ReadonlyArray<FrontierPoint>): FrontierPoint[] {
  const pts = [...points.filter((p) => Number.isFinite(p.kl) && Number.isFinite(p.win))].sort((a, b) => a.kl - b.kl || b.win - a.win);
  const out: FrontierPoint[] = [];
  let best = -Infinity;
  for (const p of pts) {
    if (p.win > best) {
      best = p.win;
      out.push({ kl: Math.max(p.kl, 0), win: p.win });
    }
  }
  return out;
}

/** Mean of f_a − f_b over [0, K] with K = min(max KL of a, max KL of b), f the step-function upper
 *  frontiers (the area between them divided by K); NaN when K = 0. */
export function frontierGap(a: ReadonlyArray<FrontierPoint>, b: ReadonlyArray<FrontierPoint>): FrontierGap {
  const fa = upperFrontier(a), fb = upperFrontier(b);
  if (!fa.length || !fb.length) return { gap: NaN, range: 0 };
  const K = Math.min(fa[fa.length - 1].kl, fb[fb.length - 1].kl, Math.max(...a.map((p) => p.kl)), Math.max(...b.map((p) => p.kl)));
  if (!(K > 0)) return { gap: NaN, range: 0 };
  const at = (f: Array<{ kl: number; win: number }>, k: number) => {
    let w = NaN;
    for (const p of f) if (p.kl <= k) w = p.win;
    return w;
  };
  const cuts = [...new Set([0, K, ...fa.map((p) => p.kl), ...fb.map((p) => p.kl)].filter((k) => k >= 0 && k <= K))].sort((x, y) => x - y);
  let area = 0;
  for (let i = 0; i + 1 < cuts.length; i++) area += (cuts[i + 1] - cuts[i]) * (at(fa, cuts[i]) - at(fb, cuts[i]));
  return { gap: area / K, range: K };
}

/** "Identical on every seed": the replay check (every value must be 1). */
const identicalEverywhere: AcceptanceRule = (e) =>
  e.values.every((x) => x === 1) ? { verdict: "reproduced", reason: `identical on every seed (${e.values.length})` } : { verdict: "not reproduced", reason: "the replay differs from the online run on some seed" };

/** Online vs offline preference optimisation under a golden / misspecified-proxy preference model. */
export const onlineVsOffline = defineExperiment<OnlineVsOfflineConfig>({
  name: "online-vs-offline",
  title: "Online vs offline IPO under a golden / proxy preference model (Tang et al. 2024)",
  description:
    "A golden preference σ(u(y) − u(y′)) with a utility of unigrams, bigrams and a 3-gram; a mediocre low-entropy SFT WindowMLP; " +
    "offline pairs from π_SFT labelled by the golden model; a unigram Bradley–Terry proxy fitted on them. Offline IPO, DPO and hinge " +
    "train on the fixed pairs; online IPO samples two responses per prompt from the current policy and asks the proxy. Golden win rate " +
    "against π_SFT is plotted against KL(π‖π_SFT) at every checkpoint of every τ. Tang et al. report the online frontier above the offline " +
    "one, offline policies with the better pairwise accuracy, and that neither coverage (the online pairs, shuffled) nor data quality " +
    "(pairs from the final online policy) closes the gap.",
  references: [
    "Tang, Guo, Zheng, Calandriello, Cao, Tarassov, Munos, Ávila Pires, Valko, Cheng & Dabney 2024, Understanding the performance gap between online and offline alignment algorithms (arXiv:2405.08448).",
    "Azar, Rowland, Piot, Guo, Calandriello, Valko & Munos 2024, A General Theoretical Paradigm to Understand Learning from Human Preferences (AISTATS).",
    "Gao, Schulman & Hilton 2023, Scaling laws for reward model overoptimization (ICML).",
  ],
  presets: {
    smoke: {
      prompts: 8, tokens: 8, length: 6, unigramScale: 0.3, bigramScale: 0.6, trigramBonus: 2, sftSharpness: 2.5, sftExamples: 1024, sftEpochs: 3, sftLr: 1e-2,
      hiddens: [16], offlinePairs: 512, heldOutPairs: 512, proxyRidge: 1, taus: [0.1, 0.3], primaryTau: 0.1, offline: ["ipo"],
      steps: 60, batchSize: 32, lr: 3e-3, evalEvery: 20, evalSamples: 512, ablations: true, onlineGolden: true, everySize: false,
    },
    full: {
      prompts: 16, tokens: 8, length: 8, unigramScale: 0.3, bigramScale: 0.6, trigramBonus: 2, sftSharpness: 2.5, sftExamples: 4096, sftEpochs: 4, sftLr: 1e-2,
      hiddens: [32, 128], offlinePairs: 4000, heldOutPairs: 2000, proxyRidge: 1, taus: [0.03, 0.1, 0.3], primaryTau: 0.1, offline: ["ipo", "sigmoid", "hinge"],
      steps: 300, batchSize: 64, lr: 3e-3, evalEvery: 50, evalSamples: 1024, ablations: true, onlineGolden: true, everySize: false,
    },
  },
  defaultSeeds: 5,

  check(c) {
    integer(c.prompts, "prompts", 1, 4096);
    integer(c.tokens, "tokens", 2, 256);
    integer(c.length, "length", 3, 64);
    for (const k of ["sftExamples", "sftEpochs", "offlinePairs", "heldOutPairs", "steps", "batchSize", "evalEvery", "evalSamples"] as const) integer(c[k], k, 1);
    for (const k of ["sftLr", "lr", "proxyRidge", "sftSharpness"] as const) positive(c[k], k);
    if (!c.hiddens.length) throw new ValueError("hiddens must hold at least one size");
    c.hiddens.forEach((h, i) => integer(h, `hiddens[${i}]`, 1, 4096));
    if (!c.taus.length) throw new ValueError("taus must hold at least one τ");
    c.taus.forEach((t, i) => positive(t, `taus[${i}]`));
    if (!c.taus.includes(c.primaryTau)) throw new ValueError(`primaryTau (${c.primaryTau}) must be one of taus (${c.taus.join(", ")})`);
    if (!c.offline.includes("ipo")) throw new ValueError('offline must include "ipo" (the primary contrast is online vs offline IPO)');
    for (const l of c.offline) if (!(l in NAMES)) throw new ValueError(`offline: unknown loss ${JSON.stringify(l)} (valid: ${Object.keys(NAMES).join(", ")})`);
  },

  async run(config, seed, ctx) {
    const c = config;
    const rows = new Map<number, CurveRow>();
    const at = (step: number) => {
      let r = rows.get(step);
      if (!r) rows.set(step, (r = { step } as CurveRow));
      return r;
    };
    const scalars: Record<string, number> = {};
    let tokenUpdates = 0;
    const spec = { prompts: c.prompts, tokens: c.tokens, length: c.length, unigramScale: c.unigramScale, bigramScale: c.bigramScale, trigramBonus: c.trigramBonus };
    const wrng = new Rng(seed, 1);
    const world = new TokenTables(spec, wrng);
    const source = new BigramSource(world, c.sftSharpness, wrng);
    wrng.dispose();
    const all = (H: number) => c.everySize || H === c.hiddens[0];
    const totalRuns = c.hiddens.reduce((s, H) => s + (all(H) ? c.taus.length * (1 + c.offline.length + (c.onlineGolden ? 1 : 0)) + (c.ablations ? 3 : 0) : 2 * c.taus.length), 0);
    let done = 0;

    for (const H of c.hiddens) {
      const sft = world.policy(H, seed);
      const owned: LanguageModel[] = [sft];
      try {
        tokenUpdates += await trainSft(world, sft, source, { examples: c.sftExamples, epochs: c.sftEpochs, batchSize: 64, lr: c.sftLr }, seed, 2, ctx.signal);
        // Offline and held-out pairs, golden-labelled; the proxy fitted on the offline ones.
        const r3 = new Rng(seed, 3);
        const off = labelledPairs(world, sft, c.offlinePairs, r3);
        const held = labelledPairs(world, sft, c.heldOutPairs, r3);
        r3.dispose();
        const proxy = UnigramProxy.fit(world, off.xs, off.chosen, off.rejected, c.proxyRidge);
        const heldSftW = sequenceLogProbs(world, sft, held.xs, held.chosen), heldSftL = sequenceLogProbs(world, sft, held.xs, held.rejected);
        let accProxy = 0, accGold = 0;
        for (let i = 0; i < held.xs.length; i++) {
          const x = held.xs[i];
          if (proxy.reward(x, held.chosen[i]) > proxy.reward(x, held.rejected[i])) accProxy++;
          if (world.utility(x, held.chosen[i]) > world.utility(x, held.rejected[i])) accGold++;
        }
        scalars[`h=${H}/accuracy/proxy`] = accProxy / held.xs.length;
        scalars[`h=${H}/accuracy/golden`] = accGold / held.xs.length;
        // The SFT samples every evaluation compares against.
        const evalXs = world.spread(c.evalSamples);
        const r4 = new Rng(seed, 4);
        const sftYs = sampleResponses(world, sft, evalXs, r4);
        r4.dispose();
        let tri = 0;
        for (const y of sftYs) if (world.hasTrigram(y)) tri++;
        scalars[`h=${H}/sft/trigram_rate`] = tri / sftYs.length;

        const evaluate = (model: LanguageModel, step: number): Point => {
          const rng = new Rng(seed, 1000 + step);
          const ys = sampleResponses(world, model, evalXs, rng);
          rng.dispose();
          const kl = prefixKl(world, model, sft, evalXs, ys);
          let g = 0, p = 0, k = 0;
          for (let i = 0; i < ys.length; i++) {
            const x = evalXs[i];
            g += sigmoid(world.utility(x, ys[i]) - world.utility(x, sftYs[i]));
            p += proxy.prefer(x, ys[i], sftYs[i]);
            k += kl[i];
          }
          const n = ys.length;
          return { step, golden: g / n, proxy: p / n, kl: k / n };
        };
        const accuracy = (model: LanguageModel) => {
          const w = sequenceLogProbs(world, model, held.xs, held.chosen), l = sequenceLogProbs(world, model, held.xs, held.rejected);
          let a = 0;
          for (let i = 0; i < w.length; i++) if (w[i] - heldSftW[i] > l[i] - heldSftL[i]) a++;
          return a / w.length;
        };
        const record = (run: string, tau: number, pts: Point[], model: LanguageModel) => {
          for (const p of pts) {
            const r = at(p.step);
            r[key(H, run, tau, "golden_win_rate")] = p.golden;
            r[key(H, run, tau, "proxy_win_rate")] = p.proxy;
            r[key(H, run, tau, "kl")] = p.kl;
          }
          const last = pts[pts.length - 1];
          scalars[key(H, run, tau, "final_golden_win_rate")] = last.golden;
          scalars[key(H, run, tau, "final_kl")] = last.kl;
          scalars[key(H, run, tau, "best_golden_win_rate")] = Math.max(...pts.map((q) => q.golden));
          scalars[key(H, run, tau, "pairwise_accuracy")] = accuracy(model);
          ctx.progress(++done / totalRuns, `H = ${H}: ${run} at τ = ${tau}`);
        };
        const base = evaluate(sft, 0);
        const opt = { lr: c.lr };
        const trainOpts = (tau: number, pts: Point[], model: LanguageModel) => ({
          beta: tau, lengthNorm: false, batchSize: c.batchSize, maxSteps: c.steps, seed, optimizer: opt, logEvery: 1_000_000,
          evalEvery: c.evalEvery, evaluate: ({ step }: { step: number }) => {
            pts.push(evaluate(model, step));
            return {};
          },
        });
        const promptList = Array.from({ length: c.batchSize }, (_, i) => ({ tokens: world.promptTokens(), promptId: i % c.prompts }));
        const offPairs = off.chosen.map((y, i) => world.pair(i, y, off.rejected[i]));
        const offId = (e: Example) => off.xs[e.line - 1];
        const pairTokens = c.steps * c.batchSize * 2 * c.length;

        const online = async (tau: number, keep: boolean, golden = false) => {
          const model = sft.clone();
          const judge = golden
            ? (_p: Int32Array, a: Int32Array, b: Int32Array, i: number) => sigmoid(world.utility(promptList[i].promptId, a) - world.utility(promptList[i].promptId, b))
            : (_p: Int32Array, a: Int32Array, b: Int32Array, i: number) => proxy.prefer(promptList[i].promptId, a, b);
          const pts = [base];
          const t = new OnlineTrainer(model, {
            ...trainOpts(tau, pts, model), loss: "ipo", prompts: promptList, k: 2, feedback: "bernoulli", epochs: c.steps, maxNewTokens: c.length, eos: null,
            judge, replay: keep,
          });
          try {
            await t.train({ signal: ctx.signal });
            tokenUpdates += pairTokens;
            return { model, pts, log: keep ? t.replayLog.slice() : [] };
          } finally {
            t.dispose();
          }
        };
        const offline = async (loss: string, tau: number, data: ReturnType<typeof world.pair>[], promptId: (e: Example) => number, extra: Record<string, unknown> = {}) => {
          const model = sft.clone();
          const pts = [base];
          const t = new PreferenceTrainer(model, {
            ...trainOpts(tau, pts, model), loss: loss as "ipo", data, promptId, epochs: Math.ceil((c.steps * c.batchSize) / data.length) + 1, ...extra,
          });
          try {
            await t.train({ signal: ctx.signal });
            tokenUpdates += pairTokens;
            return { model, pts };
          } finally {
            t.dispose();
          }
        };

        for (const tau of c.taus) {
          const primary = tau === c.primaryTau && c.ablations && all(H);
          const on = await online(tau, primary);
          owned.push(on.model);
          record("online-ipo", tau, on.pts, on.model);
          if (c.onlineGolden && all(H)) {
            const g = await online(tau, false, true);
            record("online-ipo-golden", tau, g.pts, g.model);
            g.model.dispose();
          }
          for (const loss of all(H) ? c.offline : ["ipo"]) {
            const r = await offline(loss, tau, offPairs, offId);
            record(NAMES[loss], tau, r.pts, r.model);
            r.model.dispose();
          }
          if (primary) {
            const rep = replayDataset(on.log);
            // Coverage: the online run's pairs, shuffled.
            const sh = await offline("ipo", tau, rep.data, rep.promptId, { weights: rep.weights });
            record("offline-ipo-shuffled-online", tau, sh.pts, sh.model);
            sh.model.dispose();
            // The same pairs in order, step by step: the online run again.
            const again = await offline("ipo", tau, rep.data, rep.promptId, { weights: rep.weights, groups: rep.groups, shuffle: false, epochs: 1 });
            record("offline-ipo-replay", tau, again.pts, again.model);
            const a = again.model.getParameters(), b = on.model.getParameters();
            let same = a.length === b.length ? 1 : 0;
            for (let i = 0; i < a.length && same; i++) if (!Object.is(a[i], b[i])) same = 0;
            scalars[`h=${H}/replay_identical`] = same && again.pts.every((p, i) => p.golden === on.pts[i].golden && p.kl === on.pts[i].kl) ? 1 : 0;
            again.model.dispose();
            // Quality: golden-labelled pairs sampled from the final online policy.
            const r5 = new Rng(seed, 5);
            const q = labelledPairs(world, on.model, c.offlinePairs, r5);
            r5.dispose();
            const qd = await offline("ipo", tau, q.chosen.map((y, i) => world.pair(i, y, q.rejected[i])), (e) => q.xs[e.line - 1]);
            record("offline-ipo-online-data", tau, qd.pts, qd.model);
            qd.model.dispose();
          }
          owned.splice(owned.indexOf(on.model), 1);
          on.model.dispose();
        }
      } finally {
        for (const m of owned) m.dispose();
      }
    }
    const curves = [...rows.values()].sort((a, b) => a.step - b.step);
    // Frontier gaps per size (this seed's checkpoints of every τ).
    for (const H of config.hiddens) {
      const every = config.everySize || H === config.hiddens[0];
      const pts = (run: string, taus = config.taus) => taus.flatMap((tau) => curves.filter((r) => key(H, run, tau, "kl") in r).map((r) => ({ kl: r[key(H, run, tau, "kl")], win: r[key(H, run, tau, "golden_win_rate")] })));
      for (const loss of every ? config.offline : ["ipo"]) {
        const g = frontierGap(pts("online-ipo"), pts(NAMES[loss]));
        scalars[`h=${H}/gap/online-ipo_minus_${NAMES[loss]}`] = g.gap;
        scalars[`h=${H}/gap_range/online-ipo_minus_${NAMES[loss]}`] = g.range;
      }
      if (config.onlineGolden && every) {
        const g = frontierGap(pts("online-ipo-golden"), pts("offline-ipo"));
        scalars[`h=${H}/gap/online-ipo-golden_minus_offline-ipo`] = g.gap;
        scalars[`h=${H}/gap/online-ipo-golden_minus_online-ipo`] = frontierGap(pts("online-ipo-golden"), pts("online-ipo")).gap;
      }
      if (config.ablations && every) {
        for (const run of ["offline-ipo-shuffled-online", "offline-ipo-online-data", "offline-ipo"]) {
          const g = frontierGap(pts("online-ipo", [config.primaryTau]), pts(run, [config.primaryTau]));
          scalars[`h=${H}/gap_at_primary/online-ipo_minus_${run}`] = g.gap;
        }
      }
    }
    return { curves, scalars, tokenUpdates };
  },

  summarise(results, config) {
    const out: Contrast[] = [];
    const tp = config.primaryTau;
    const H0 = config.hiddens[0];
    const v = (f: (r: SeedResult) => number) => results.map(f);
    for (const H of config.hiddens) {
      out.push({
        name: `frontier_gap_h${H}`,
        definition: `H = ${H}: mean over KL ∈ [0, K] of (online-IPO frontier − offline-IPO frontier) of golden win rate vs KL(π‖π_SFT), frontiers over every checkpoint of every τ (area between the curves ÷ K, K the common KL range).`,
        expected: "positive" as const,
        claim: "Tang et al. 2024, §4: online IPO's golden-win-rate-vs-KL frontier lies above offline IPO's.",
        primary: H === H0,
        values: v((r) => r.scalars[`h=${H}/gap/online-ipo_minus_offline-ipo`]),
      });
    }
    for (const H of config.hiddens) {
      out.push({
        name: `pairwise_accuracy_offline_minus_online_h${H}`,
        definition: `H = ${H}, τ = ${tp}: pairwise accuracy of ρ = log π/π_SFT on held-out golden-labelled pairs, final offline-IPO policy − final online-IPO policy.`,
        expected: "positive" as const,
        claim: "Tang et al. 2024, §5: offline policies are better classifiers of preference pairs but worse generators.",
        primary: false,
        values: v((r) => r.scalars[key(H, "offline-ipo", tp, "pairwise_accuracy")] - r.scalars[key(H, "online-ipo", tp, "pairwise_accuracy")]),
      });
    }
    for (const H of config.hiddens) {
      const every = config.everySize || H === H0;
      for (const loss of every ? config.offline.filter((l) => l !== "ipo") : []) {
        out.push({
          name: `frontier_gap_vs_${loss === "sigmoid" ? "dpo" : loss}_h${H}`,
          definition: `H = ${H}: as frontier_gap, online IPO against offline ${NAMES[loss].slice(8).toUpperCase()}.`,
          expected: "positive" as const, primary: false,
          values: v((r) => r.scalars[`h=${H}/gap/online-ipo_minus_${NAMES[loss]}`]),
        });
      }
      if (config.ablations && every) {
        out.push({
          name: `coverage_gap_h${H}`,
          definition: `H = ${H}, τ = ${tp}: frontier gap of online IPO over offline IPO trained on the online run's own pairs, shuffled (the coverage ablation).`,
          expected: "positive" as const, primary: false,
          claim: "Tang et al. 2024, §4.1: coverage alone does not recover online performance; the order of on-policy data matters.",
          values: v((r) => r.scalars[`h=${H}/gap_at_primary/online-ipo_minus_offline-ipo-shuffled-online`]),
        });
        out.push({
          name: `quality_gap_h${H}`,
          definition: `H = ${H}, τ = ${tp}: frontier gap of online IPO over offline IPO trained on golden-labelled pairs sampled from the final online policy (the data-quality ablation).`,
          expected: "positive" as const, primary: false,
          claim: "Tang et al. 2024, §4.2: offline data from a better policy helps only a little.",
          values: v((r) => r.scalars[`h=${H}/gap_at_primary/online-ipo_minus_offline-ipo-online-data`]),
        });
        out.push({
          name: `replay_identical_h${H}`,
          definition: `H = ${H}: 1 when offline IPO on the online replay log, in order, ends with the online run's parameters bit for bit and the same evaluations (a check).`,
          expected: "positive" as const, primary: false,
          rule: identicalEverywhere,
          values: v((r) => r.scalars[`h=${H}/replay_identical`]),
        });
      }
      if (config.onlineGolden && every) {
        out.push({
          name: `golden_online_gap_h${H}`,
          definition: `H = ${H}: frontier gap of online IPO labelled by the golden model (not the proxy) over offline IPO (a diagnostic).`,
          expected: "positive" as const, primary: false,
          values: v((r) => r.scalars[`h=${H}/gap/online-ipo-golden_minus_offline-ipo`]),
        });
      }
      out.push({
        name: `accuracy_golden_minus_proxy_h${H}`,
        definition: `H = ${H}: held-out pairwise accuracy of the golden utility − that of the unigram proxy (how misspecified the proxy is).`,
        expected: "positive" as const, primary: false,
        values: v((r) => r.scalars[`h=${H}/accuracy/golden`] - r.scalars[`h=${H}/accuracy/proxy`]),
      });
    }
    return out;
  },

  plots(config) {
    const tp = config.primaryTau;
    const out: PlotSpec[] = [];
    for (const H of config.hiddens) {
      const every = config.everySize || H === config.hiddens[0];
      const runs = every ? ["online-ipo", ...(config.onlineGolden ? ["online-ipo-golden"] : []), ...config.offline.map((l) => NAMES[l])] : ["online-ipo", "offline-ipo"];
      out.push({
        kind: "custom", file: `frontier-h${H}.svg`,
        render: (results) => scatterPlot({
          title: `golden win rate vs KL, H = ${H} (checkpoints of every τ, seed means)`, xLabel: "KL(π‖π_SFT)", yLabel: "golden win rate vs SFT",
          frontier: "max", legend: "bottom-right",
          series: runs.map((run) => {
            const x: number[] = [], y: number[] = [];
            for (const tau of config.taus) {
              const steps = new Set(results.flatMap((r) => r.curves.filter((row) => key(H, run, tau, "kl") in row).map((row) => row.step)));
              for (const s of steps) {
                let k = 0, w = 0, n = 0;
                for (const r of results) {
                  const row = r.curves.find((q) => q.step === s);
                  if (row && key(H, run, tau, "kl") in row) {
                    k += row[key(H, run, tau, "kl")];
                    w += row[key(H, run, tau, "golden_win_rate")];
                    n++;
                  }
                }
                if (n) x.push(k / n), y.push(w / n);
              }
            }
            return { name: run, x, y };
          }),
        }),
      });
    }
    const H0 = config.hiddens[0];
    for (const tau of config.taus) {
      out.push({
        kind: "curves", file: `overoptimisation-tau${tau}.svg`, title: `proxy vs golden win rate, H = ${H0}, τ = ${tau}`, yLabel: "win rate vs SFT",
        series: [
          { metric: key(H0, "online-ipo", tau, "golden_win_rate"), label: "online IPO, golden" },
          { metric: key(H0, "online-ipo", tau, "proxy_win_rate"), label: "online IPO, proxy", dashed: true },
          { metric: key(H0, "offline-ipo", tau, "golden_win_rate"), label: "offline IPO, golden" },
          { metric: key(H0, "offline-ipo", tau, "proxy_win_rate"), label: "offline IPO, proxy", dashed: true },
          ...(config.onlineGolden ? [{ metric: key(H0, "online-ipo-golden", tau, "golden_win_rate"), label: "online IPO with golden labels" }] : []),
        ],
      });
    }
    if (config.ablations) {
      out.push({
        kind: "curves", file: "ablations.svg", title: `ablations: golden win rate, H = ${H0}, τ = ${tp}`, yLabel: "golden win rate vs SFT",
        series: [
          { metric: key(H0, "online-ipo", tp, "golden_win_rate"), label: "online IPO" },
          { metric: key(H0, "offline-ipo-replay", tp, "golden_win_rate"), label: "replay in order", dashed: true },
          { metric: key(H0, "offline-ipo-shuffled-online", tp, "golden_win_rate"), label: "online pairs shuffled" },
          { metric: key(H0, "offline-ipo-online-data", tp, "golden_win_rate"), label: "pairs from final online policy" },
          { metric: key(H0, "offline-ipo", tp, "golden_win_rate"), label: "offline IPO" },
        ],
      });
    }
    return out;
  },

  best: (metric) => (metric.endsWith("win_rate") ? "max" : null),
});
