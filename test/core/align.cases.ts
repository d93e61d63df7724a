// Neural language models (assembly/nn through sdk/align) for the cross-runtime core suite: small
// seeded cases, and digests of seeded initialisation, training steps and samples that must be
// byte-identical in Node, Deno, Chromium and WASI (f32 SIMD arithmetic, f64 accumulation, the
// engine's generator — no host Math in any of it).
import { ok, close, throwsType, fingerprint } from "./assert.js";
import { ValueError, EngineStateError } from "../../sdk/index.js";
import { LanguageModel, AdamW, sample, shiftTokens } from "../../sdk/align/index.js";
import type { Case } from "./suite.js";

const TINY = { kind: "transformer", vocab: 10, context: 8, layers: 2, heads: 2, width: 8 } as const;
const MLP = { kind: "window-mlp", vocab: 10, context: 8, width: 4, hidden: 16, window: 3, promptVocab: 3 } as const;
const SEQS = [[1, 2, 3, 4, 5, 6, 7, 8], [9, 8, 7, 6, 5, 4, 3, 2], [1, 1, 2, 2, 3, 3, 4, 4]];

/** Mean NLL of the targets, its backward (dℓ = −1/N) and one optimiser step. */
function sftStep(model: LanguageModel, opt: AdamW, promptIds?: number[]): number {
  const { inputs, targets } = shiftTokens(SEQS);
  const lp = model.logProbs({ inputs, targets, promptIds });
  const n = lp.counts.reduce((a, b) => a + b, 0);
  model.backward({ dlogp: new Float32Array(lp.tokens.length).fill(-1 / n) });
  opt.step();
  return -lp.sums.reduce((a, b) => a + b, 0) / n;
}

export const cases: Case[] = [
  {
    name: "transformer: a fresh model scores about log V nats per token and training lowers the loss",
    fn: () => {
      const model = LanguageModel.create(TINY, { seed: 1 });
      const opt = new AdamW(model, { lr: 1e-2 });
      const first = sftStep(model, opt);
      close(first, Math.log(10), 0.05, "initial NLL ≈ log V");
      let last = first;
      for (let i = 0; i < 30; i++) last = sftStep(model, opt);
      ok(last < first - 0.5, `NLL fell from ${first} to ${last}`);
      opt.dispose();
      model.dispose();
    },
  },
  {
    name: "sampling: the KV cache equals recomputation; errors are typed",
    fn: () => {
      const model = LanguageModel.create(TINY, { seed: 2 });
      const a = sample(model, [[1, 2], [3]], { seed: 5, maxNewTokens: 5, topK: 4 });
      const b = sample(model, [[1, 2], [3]], { seed: 5, maxNewTokens: 5, topK: 4, recompute: true });
      ok(a.sequences.every((s, i) => s.join() === b.sequences[i].join()), "cached = recomputed tokens");
      throwsType(() => model.logits([[1, 10]]), ValueError, /inputs\[0\]\[1\] = 10/, "token outside the vocabulary");
      model.dispose();
      const m2 = LanguageModel.create(MLP);
      m2.dispose();
      throwsType(() => m2.logits([[1]], { promptIds: [0] }), EngineStateError, /disposed/, "use after dispose");
    },
  },
];

export function digest(): Record<string, string> {
  const t = LanguageModel.create(TINY, { seed: 7 });
  const init = t.getParameters();
  const opt = new AdamW(t, { lr: 3e-3, schedule: { kind: "cosine", totalSteps: 6, warmupSteps: 2 } });
  for (let i = 0; i < 5; i++) sftStep(t, opt);
  const trained = t.getParameters();
  const ref = LanguageModel.create(TINY, { seed: 8 });
  const s = sample(t, [[1], [4, 5, 6]], { seed: 11, maxNewTokens: 4, topP: 0.9, temperature: 0.8, refModel: ref, mixture: 0.25 });
  const m = LanguageModel.create(MLP, { seed: 9 });
  const mopt = new AdamW(m, { lr: 1e-2 });
  for (let i = 0; i < 3; i++) sftStep(m, mopt, [0, 1, 2]);
  const { inputs, targets } = shiftTokens(SEQS);
  const lp = m.logProbs({ inputs, targets, promptIds: [2, 1, 0] });
  for (const x of [opt, t, ref, mopt, m]) x.dispose();
  return {
    transformerInit: fingerprint(init),
    transformerTrained: fingerprint(trained),
    mixtureSample: fingerprint(...s.sequences, ...s.logProbs),
    mlpLogProbs: fingerprint(lp.tokens, lp.sums),
  };
}
