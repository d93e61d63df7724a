// Data-parallel alignment training for the cross-runtime core suite: a DPO run handed to the
// alignment task through an executor of two ranges (an InlinePool of the package's tasks: the
// replica, the task's messages and the tree reduction, without threads) equals the run without
// a pool bit for bit, and its digest must be byte-identical in Node, Deno, Chromium and WASI.
import { ok, fingerprint } from "./assert.js";
import { InlinePool, type Executor } from "../../sdk/parallel/index.js";
import { TASKS } from "../../sdk/tasks.js";
import { LanguageModel, PreferenceTrainer, UnpairedTrainer, type Segment, type PreferenceExample, type MetricsRow, type Trainer } from "../../sdk/align/index.js";
import type { Case } from "./suite.js";

const seg = (t: number[], f: number): Segment => ({ tokens: Int32Array.from(t), trained: new Uint8Array(t.length).fill(f) });
const pairs: PreferenceExample[] = Array.from({ length: 10 }, (_, i) => ({
  layout: "preference", line: i + 1, prompt: seg([1, 2 + (i % 3)], 0), chosen: seg([3, 4, 5].slice(0, 1 + (i % 3)), 1), rejected: seg([6, 7 - (i % 2)], 1),
}));
const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const rowsOf = (h: readonly MetricsRow[]) => Float64Array.from(h.flatMap((r) => Object.keys(r).sort().map((k) => r[k])));

/** An executor that runs the package's tasks in this thread but splits work as `size` workers would. */
function ranges(size: number): Executor {
  const inline = new InlinePool(TASKS);
  return { size, run: (task, input, options) => inline.run(task, input, options) };
}

async function dpo(pool?: Executor): Promise<{ p: Float32Array; rows: Float64Array }> {
  const m = LanguageModel.create({ kind: "transformer", vocab: 10, context: 8, layers: 1, heads: 2, width: 8 }, { seed: 21 });
  const t: Trainer = new PreferenceTrainer(m, { data: pairs, loss: "sigmoid", batchSize: 6, microBatchSize: 2, epochs: 2, seed: 22, reference: { mode: "previous", syncEvery: 2 } });
  await t.train(pool ? { pool } : {});
  const out = { p: m.getParameters(), rows: rowsOf(t.history) };
  t.dispose();
  m.dispose();
  return out;
}

export const cases: Case[] = [
  {
    name: "train({ pool }): 1, 2 and 3 ranges through the alignment task = the run without a pool, bit for bit",
    fn: async () => {
      const local = await dpo();
      for (const size of [1, 2, 3]) {
        const got = await dpo(ranges(size));
        ok(same(got.p, local.p), `${size} range(s): parameters`);
        ok(got.rows.length === local.rows.length && got.rows.every((v, i) => Object.is(v, local.rows[i])), `${size} range(s): metrics`);
      }
    },
  },
];

export async function digest(): Promise<Record<string, string>> {
  const d = await dpo(ranges(2));
  // KTO with a separate reference point per micro-batch, on 3 ranges
  const m = LanguageModel.create({ kind: "window-mlp", vocab: 10, context: 8, hidden: 16, window: 2 }, { seed: 23 });
  const k = new UnpairedTrainer(m, { data: pairs, loss: "kto", batchSize: 8, microBatchSize: 2, epochs: 2, seed: 24 });
  await k.train({ pool: ranges(3) });
  const out = { dpoTwoRanges: fingerprint(d.p, d.rows), ktoThreeRanges: fingerprint(m.getParameters(), rowsOf(k.history)) };
  k.dispose();
  m.dispose();
  return out;
}
