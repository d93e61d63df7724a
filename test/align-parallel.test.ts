// Data-parallel training (`trainer.train({ pool })`): every trainer gives, bit for bit, the
// parameters and metrics of a run without a pool, on an InlinePool and on Node worker-thread
// pools of 1, 2 and 4 workers; a worker killed in the middle of a step is replaced and its
// range retried with the same result; the frozen models travel once, not every step; abort and
// resume; typed errors. (Web Workers in Deno and Chromium: align-parallel-runtimes.test.ts.)
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { init, ValueError, WorkerPool, InlinePool, TASKS, type Executor, type RunOptions } from "../sdk/index.js";
import {
  LanguageModel, SftTrainer, PreferenceTrainer, UnpairedTrainer, DistillTrainer, OnlineTrainer, MultiTurnTrainer,
  type Example, type PreferenceExample, type Segment, type Trainer, type MetricsRow, type TrainRunOptions,
} from "../sdk/align/index.js";

const seg = (t: ArrayLike<number>, f: number): Segment => ({ tokens: Int32Array.from(t), trained: new Uint8Array(t.length).fill(f) });
const V = 12;
const tiny = (seed: number, extra: object = {}) => LanguageModel.create({ kind: "transformer", vocab: V, context: 10, layers: 1, heads: 2, width: 8, ...extra }, { seed });
const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

// 14 examples, batches of 8 then 6 (micro-batches of 2: 4 then 3 per step, so the ranges of 2
// and 4 workers are both even and uneven nodes of the tree)
const completions: Example[] = Array.from({ length: 14 }, (_, i) => ({
  layout: "completion", line: i + 1, prompt: seg([1 + (i % 5), 2], 0), completion: seg(Array.from({ length: 1 + (i % 4) }, (_, k) => (i + k) % V), 1),
}));
const pairs: PreferenceExample[] = Array.from({ length: 14 }, (_, i) => ({
  layout: "preference", line: i + 1, prompt: seg([1 + (i % 3), 4], 0), chosen: seg([5, 6, 7].slice(0, 1 + (i % 3)), 1), rejected: seg([8, (i % 4) + 1], 1),
}));
const unpaired: Example[] = Array.from({ length: 14 }, (_, i) => ({ layout: "unpaired", line: i + 1, prompt: seg([1 + (i % 3)], 0), completion: seg([3 + (i % 5), 4], 1), label: i % 3 !== 0 }));
const rewards: Example[] = Array.from({ length: 14 }, (_, i) => ({ layout: "reward", line: i + 1, prompt: seg([1 + (i % 3)], 0), completion: seg([3 + (i % 5)], 1), reward: (i % 4) / 3 }));

interface Case {
  name: string;
  /** Make the trainer and the models it trains (compared afterwards), and what to dispose. */
  make(): { trainer: Trainer; trained: LanguageModel[]; own: Array<{ dispose(): void }> };
}

const common = { batchSize: 8, microBatchSize: 2, epochs: 2, seed: 5, optimizer: { lr: 1e-2 } };
const CASES: Case[] = [
  {
    name: "SftTrainer",
    make() {
      const m = tiny(1);
      return { trainer: new SftTrainer(m, { ...common, data: completions }), trained: [m], own: [m] };
    },
  },
  {
    name: "PreferenceTrainer (DPO, frozen reference)",
    make() {
      const m = tiny(2);
      return { trainer: new PreferenceTrainer(m, { ...common, data: pairs, loss: "sigmoid", beta: 0.2 }), trained: [m], own: [m] };
    },
  },
  {
    name: "PreferenceTrainer (IPO + SFT, previous-iterate reference synced every 2 steps)",
    make() {
      const m = tiny(3);
      return { trainer: new PreferenceTrainer(m, { ...common, data: pairs, loss: ["ipo", "sft"], lossWeights: [1, 0.5], reference: { mode: "previous", syncEvery: 2 } }), trained: [m], own: [m] };
    },
  },
  {
    name: "PreferenceTrainer (hinge, precomputed reference: cached in the workers)",
    make() {
      const m = tiny(4);
      return { trainer: new PreferenceTrainer(m, { ...common, data: pairs, loss: "hinge", reference: { mode: "precomputed" } }), trained: [m], own: [m] };
    },
  },
  {
    name: "PreferenceTrainer (the caller's reference scores: resolved before the micro-batches travel)",
    make() {
      const m = tiny(4);
      const scores = (e: Example, part: string) => -1 - e.line / 10 - (part === "chosen" ? 0.3 : 0);
      return { trainer: new PreferenceTrainer(m, { ...common, data: pairs, reference: { mode: "precomputed", scores } }), trained: [m], own: [m] };
    },
  },
  {
    name: "UnpairedTrainer (KTO)",
    make() {
      const m = tiny(5);
      return { trainer: new UnpairedTrainer(m, { ...common, data: unpaired, loss: "kto", beta: 0.3 }), trained: [m], own: [m] };
    },
  },
  {
    name: "UnpairedTrainer (DRO-V, separate value model)",
    make() {
      const m = tiny(6), v = tiny(7, { valueHead: true });
      return { trainer: new UnpairedTrainer(m, { ...common, data: rewards, loss: "dro", tau: 0.5, valueModel: v, valueOptimizer: { lr: 2e-2 } }), trained: [m, v], own: [m, v] };
    },
  },
  {
    name: "UnpairedTrainer (DRO-V, shared value head)",
    make() {
      const m = tiny(8, { valueHead: true });
      return { trainer: new UnpairedTrainer(m, { ...common, data: rewards, loss: "dro", value: "shared" }), trained: [m], own: [m] };
    },
  },
  {
    name: "DistillTrainer (a mixture of dataset, teacher and student sequences)",
    make() {
      const s = tiny(9), t = tiny(10, { initStd: 0.5 });
      return { trainer: new DistillTrainer(s, { ...common, teacher: t, data: completions, loss: "gjsd", beta: 0.3, source: { dataset: 1, teacher: 1, student: 1 }, maxNewTokens: 4 }), trained: [s], own: [s, t] };
    },
  },
  {
    name: "OnlineTrainer (online IPO with a judge)",
    make() {
      const m = tiny(11);
      const judge = (_p: Int32Array, a: Int32Array, b: Int32Array) => 1 / (1 + Math.exp(-(a.filter((x) => x === 3).length - b.filter((x) => x === 3).length)));
      const prompts = Array.from({ length: 12 }, (_, i) => [1 + (i % 4)]);
      return { trainer: new OnlineTrainer(m, { ...common, prompts, judge, loss: "ipo", beta: 0.1, eos: 0, maxNewTokens: 4 }), trained: [m], own: [m] };
    },
  },
  {
    name: "MultiTurnTrainer (M-KTO against an environment)",
    make() {
      const m = tiny(12);
      const env = ({ prompt, action }: { prompt: Int32Array; action: Int32Array }) =>
        action[0] === 9 ? { observation: [10, (prompt[0] + 1) % 4] } : { done: true as const, reward: action[0] === (prompt[0] + 1) % 4 ? 1 : 0 };
      return {
        trainer: new MultiTurnTrainer(m, { ...common, batchSize: 8, prompts: [[0], [1], [2], [3]], env, eos: 11, samples: 4, maxTurns: 2, maxTurnTokens: 2, iterations: 2, epochs: 1, loss: "kto", beta: 0.2 }),
        trained: [m], own: [m],
      };
    },
  },
];

async function run(c: Case, opts: TrainRunOptions = {}): Promise<{ params: Float32Array[]; history: MetricsRow[] }> {
  const { trainer, trained, own } = c.make();
  try {
    const r = await trainer.train(opts);
    return { params: trained.map((m) => m.getParameters()), history: r.history };
  } finally {
    trainer.dispose();
    for (const o of own) o.dispose();
  }
}

let pools: WorkerPool[] = [];
beforeAll(async () => {
  await init();
  pools = await Promise.all([1, 2, 4].map((size) => WorkerPool.create({ size })));
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe("train({ pool }): the parameters of a run without a pool, bit for bit", () => {
  for (const c of CASES) {
    it(`${c.name}: inline and 1, 2, 4 worker threads`, async () => {
      const ref = await run(c);
      expect(ref.history.length).toBeGreaterThan(1);
      for (const pool of [new InlinePool(TASKS), ...pools]) {
        const got = await run(c, { pool });
        expect(got.params.every((p, k) => sameBits(p, ref.params[k])), `${pool.size} worker(s)`).toBe(true);
        // the metrics are computed by the same steps and combined in the same order
        expect(JSON.stringify(got.history)).toBe(JSON.stringify(ref.history));
      }
    });
  }
});

/** An executor that records what it sends (and can count each input's frozen payload). */
class Recording implements Executor {
  readonly inputs: Array<{ setup?: unknown; params: Record<string, { data?: Float32Array }> }> = [];
  constructor(readonly inner: Executor) {}
  get size(): number {
    return this.inner.size;
  }
  run<O>(task: string, input: unknown, options?: RunOptions): Promise<O> {
    this.inputs.push(input as Recording["inputs"][number]);
    return this.inner.run<O>(task, input, options);
  }
}

describe("data-parallel mechanics", () => {
  it("the reference travels with the first step only; a worker lost in the middle of a step is replaced, asks for the trainer again, and the result is unchanged", async () => {
    const c = CASES[1];
    const ref = await run(c);
    const pool = await WorkerPool.create({ size: 2 });
    try {
      const rec = new Recording(pool);
      let starts = 0;
      const off = pool.on("start", (e) => {
        // kill the worker that receives the 5th task (step 3's first range) before it answers
        if (++starts === 5) pool.terminateWorker(e.workerId);
      });
      const got = await run(c, { pool: rec });
      off();
      expect(got.params.every((p, k) => sameBits(p, ref.params[k]))).toBe(true);
      expect(pool.stats.workersReplaced).toBe(1);
      const steps = ref.history.length;
      // step 1 sends the setup and the reference to both ranges; afterwards only a worker that
      // has not seen the trainer (the replacement, if it gets a range) asks for them, once
      const resent = rec.inputs.length - 2 * steps;
      expect(resent === 0 || resent === 1).toBe(true);
      expect(rec.inputs.filter((i) => i.params.reference?.data).length).toBe(2 + resent);
      expect(rec.inputs.filter((i) => i.setup).length).toBe(2 + resent);
      expect(rec.inputs.every((i) => i.params.policy.data instanceof Float32Array)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it("progress on every step; an abort during a step finishes the step, and the checkpoint resumes the run bit for bit", async () => {
    const c = CASES[5]; // KTO: 4 steps
    const ref = await run(c);
    const pool = pools[1];
    const first = c.make();
    const stop = new AbortController();
    const seen: number[] = [];
    let tasks = 0;
    const off = pool.on("start", () => {
      if (++tasks === 5) stop.abort(new Error("stopped in step 3")); // step 3's first range
    });
    await expect(first.trainer.train({ pool, signal: stop.signal, onProgress: (p) => seen.push(p.step) })).rejects.toThrow("stopped in step 3");
    off();
    expect(seen).toEqual([1, 2, 3]);
    const bytes = first.trainer.checkpoint();
    first.trainer.dispose();
    for (const o of first.own) o.dispose();
    const again = c.make();
    again.trainer.restore(bytes);
    await again.trainer.train({ pool });
    expect(again.trained.every((m, k) => sameBits(m.getParameters(), ref.params[k]))).toBe(true);
    again.trainer.dispose();
    for (const o of again.own) o.dispose();
  });

  it("train() yields to the event loop between steps: a timer can abort a long run", async () => {
    const m = tiny(2);
    const t = new SftTrainer(m, { data: completions, batchSize: 2, epochs: 100000 });
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(new Error("timer")), 50);
    await expect(t.train({ signal: stop.signal })).rejects.toThrow("timer");
    clearTimeout(timer);
    expect(t.steps).toBeGreaterThan(0);
    expect(t.steps).toBeLessThan(700000);
    t.dispose();
    m.dispose();
  });

  it("typed errors: a pool that is not an executor, a pool without the alignment tasks", async () => {
    const m = tiny(1);
    const t = new SftTrainer(m, { data: completions, batchSize: 4, microBatchSize: 2 });
    await expect(t.train({ pool: {} as Executor })).rejects.toThrow(ValueError);
    await expect(t.train({ pool: {} as Executor })).rejects.toThrow(/pool must be a WorkerPool or an InlinePool/);
    await expect(t.train({ pool: new InlinePool({}) })).rejects.toThrow(/no task named "seqlearn.align.gradients"/);
    // @ts-expect-error: an unknown run option
    await expect(t.train({ pools: pools[0] })).rejects.toThrow(/did you mean "pool"/);
    t.dispose();
    m.dispose();
  });
});
