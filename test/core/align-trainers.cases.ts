// Alignment trainers and LMPolicy for the cross-runtime core suite: a few fast properties (the
// seam's tree sums, checkpoint/resume, the Policy step), and digests of seeded runs of every
// trainer and of a games trainer on a neural policy — parameters and logged metrics — that must
// be byte-identical in Node, Deno, Chromium and WASI (engine arithmetic, the engine's generator,
// IEEE basic operations in a fixed order; the judges below use + − × ÷ only).
import { ok, fingerprint } from "./assert.js";
import * as G from "../../sdk/games/index.js";
import {
  LanguageModel, LMPolicy, PreferenceTrainer, UnpairedTrainer, OnlineTrainer, DistillTrainer, MultiTurnTrainer, SftTrainer, TreeSum, treeRanges,
  type Example, type Segment, type MetricsRow, type PreferenceExample,
} from "../../sdk/align/index.js";
import type { Case } from "./suite.js";

const seg = (t: number[], f: number): Segment => ({ tokens: Int32Array.from(t), trained: new Uint8Array(t.length).fill(f) });
const pairs: PreferenceExample[] = Array.from({ length: 8 }, (_, i) => ({
  layout: "preference", line: i + 1, prompt: seg([1, 2 + (i % 3)], 0), chosen: seg([3, 4, 5].slice(0, 1 + (i % 3)), 1), rejected: seg([6, 7 - (i % 2)], 1),
}));
const tiny = (seed: number) => LanguageModel.create({ kind: "transformer", vocab: 10, context: 8, layers: 1, heads: 2, width: 8 }, { seed });
const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
/** A judge from + − × ÷ only: prefers longer responses. */
const judge = (_p: Int32Array, a: Int32Array, b: Int32Array) => Math.min(1, Math.max(0, 0.5 + 0.2 * (a.length - b.length)));
const rowsOf = (h: readonly MetricsRow[]) => Float64Array.from(h.flatMap((r) => Object.keys(r).sort().map((k) => r[k])));

export const cases: Case[] = [
  {
    name: "the seam: tree-aligned worker ranges sum to the single-worker gradient bit for bit",
    fn: async () => {
      const m = tiny(1);
      const t = new PreferenceTrainer(m, { data: pairs, batchSize: 6, microBatchSize: 1, seed: 1 });
      const inner = t as unknown as { nextBatch(): Promise<object[]>; denominators(x: object[]): Record<string, number> };
      const micro = await inner.nextBatch();
      const denom = inner.denominators(micro);
      t.microBatchGradients(micro, denom);
      const g = m.getGradients();
      for (const workers of [2, 3]) {
        const s = new TreeSum();
        for (const [a, b] of treeRanges(micro.length, workers)) {
          t.microBatchGradients(micro.slice(a, b), denom);
          s.push(m.getGradients(), b - a);
        }
        ok(same(s.result()!, g), `${workers} workers = 1 worker`);
      }
      t.dispose();
      m.dispose();
    },
  },
  {
    name: "checkpoint → restore resumes a preference run bit for bit",
    fn: async () => {
      const run = async (stopAt: number | null, bytes: Uint8Array | null) => {
        const m = tiny(2);
        const ac = new AbortController();
        const t = new PreferenceTrainer(m, { data: pairs, batchSize: 4, microBatchSize: 2, epochs: 2, seed: 3, onMetrics: (r) => r.step === stopAt && ac.abort() });
        if (bytes) t.restore(bytes);
        let out: Uint8Array | null = null;
        try {
          await t.train({ signal: ac.signal });
        } catch {
          out = t.checkpoint();
        }
        const p = m.getParameters();
        t.dispose();
        m.dispose();
        return { p, out };
      };
      const full = await run(null, null);
      const first = await run(2, null);
      ok(first.out !== null, "stopped after 2 steps");
      const rest = await run(null, first.out);
      ok(same(rest.p, full.p), "resumed = uninterrupted");
    },
  },
  {
    name: "LMPolicy.applyGradient is one backward and θ ← θ − lr·∇(−Σ w·log π)",
    fn: () => {
      const m = LanguageModel.create({ kind: "window-mlp", vocab: 4, context: 3, hidden: 8 }, { seed: 4 });
      const p = new LMPolicy<number>(m, { responseLength: 2, prompt: () => [0] });
      const g = m.clone();
      const lp = g.logProbs({ inputs: [[0, 1]], targets: [[1, 2]] });
      g.backward({ dlogp: Array.from(lp.tokens, () => -0.5) });
      const grad = g.getGradients(), theta = m.getParameters();
      p.applyGradient([0], [Int32Array.of(1, 2)], Float64Array.of(0.5), 0.25);
      ok(same(m.getParameters(), theta.map((v, k) => Math.fround(v - 0.25 * grad[k]))), "the documented step");
      g.dispose();
      m.dispose();
    },
  },
];

export async function digest(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  // preference (a loss list with sft, micro-batches, cosine schedule)
  {
    const m = tiny(5);
    const t = new PreferenceTrainer(m, { data: pairs, loss: ["sigmoid", "sft"], lossWeights: [1, 0.5], batchSize: 4, microBatchSize: 2, epochs: 2, seed: 6, optimizer: { lr: 1e-2, schedule: { kind: "cosine", totalSteps: 4 } } });
    await t.train();
    out.preference = fingerprint(m.getParameters(), rowsOf(t.history));
    t.dispose();
    m.dispose();
  }
  // SFT then DRO-V with a separate value model
  {
    const m = tiny(7);
    const s = new SftTrainer(m, { data: pairs, batchSize: 4, seed: 1 });
    await s.train();
    const data: Example[] = pairs.map((p, i) => ({ layout: "reward", line: i + 1, prompt: p.prompt, completion: p.chosen, reward: (i % 3) / 2 }));
    const t = new UnpairedTrainer(m, { data, loss: "dro", tau: 0.5, batchSize: 4, epochs: 2, seed: 8, valueOptimizer: { lr: 3e-3 } });
    await t.train();
    out.dro = fingerprint(m.getParameters(), t.valueModel!.getParameters(), rowsOf(s.history), rowsOf(t.history));
    for (const x of [s, t]) x.dispose();
    m.dispose();
  }
  // online (sampling, Bernoulli labels from a judge) and KTO
  {
    const m = tiny(9);
    const t = new OnlineTrainer(m, { prompts: [[1], [2], [3]], judge, k: 2, eos: 9, maxNewTokens: 4, batchSize: 3, epochs: 2, seed: 10 });
    await t.train();
    const k = new UnpairedTrainer(m, { data: pairs, loss: "kto", batchSize: 4, seed: 11 });
    await k.train();
    out.online = fingerprint(m.getParameters(), rowsOf(t.history), rowsOf(k.history), ...t.replayLog.map((e) => e.chosen));
    for (const x of [t, k]) x.dispose();
    m.dispose();
  }
  // distillation (a mixture of the three sources) and a multi-turn iteration
  {
    const teacher = LanguageModel.create({ kind: "transformer", vocab: 10, context: 8, layers: 1, heads: 2, width: 8, initStd: 0.5 }, { seed: 12 });
    const m = LanguageModel.create({ kind: "full-context-mlp", vocab: 10, context: 8, hidden: 8 }, { seed: 13 });
    const d = new DistillTrainer(m, { teacher, data: pairs, loss: "gjsd", beta: 0.3, source: { dataset: 1, teacher: 1, student: 1 }, maxNewTokens: 3, batchSize: 4, epochs: 2, seed: 14 });
    await d.train();
    const env = (c: { action: Int32Array; turn: number }) => (c.action[0] < 5 && c.turn === 0 ? { observation: [8] } : { done: true, reward: c.action.length % 2 });
    const mt = new MultiTurnTrainer(m, { prompts: [[1], [2]], env, eos: 9, samples: 4, maxTurns: 2, maxTurnTokens: 2, batchSize: 2, seed: 15 });
    await mt.train();
    out.distillMultiTurn = fingerprint(m.getParameters(), rowsOf(d.history), rowsOf(mt.history), ...mt.rollouts.map((r) => r.tokens));
    for (const x of [d, mt]) x.dispose();
    for (const x of [teacher, m]) x.dispose();
  }
  // a games trainer on a neural policy: sampled Nash-MD-PG with the per-token mixture
  {
    const game = G.skewLogit(9, { seed: 16 });
    const mu = new LMPolicy<number>(LanguageModel.create({ kind: "window-mlp", vocab: 3, context: 3, hidden: 8 }, { seed: 17 }), { responseLength: 2, prompt: () => [0] });
    const pol = mu.snapshot();
    const idx = (y: Int32Array) => y[0] * 3 + y[1];
    G.trainNashMD(pol, mu, (_x, y, y2) => game.entry(idx(y), idx(y2)), { beta: 0.2, mixture: 0.25, batch: 8, lr: 0.5, iters: 5, seed: 18 });
    out.lmPolicyNashMd = fingerprint(pol.model.getParameters());
    pol.dispose();
    mu.model.dispose();
    game.dispose();
  }
  return out;
}
