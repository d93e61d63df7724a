// Option keys at the boundary of sdk/parallel and sdk/io: every public function or constructor
// there that takes an options object rejects an unknown key with a ValueError naming the
// closest valid key (a typo must not be silently ignored), and still accepts every valid key.
import { describe, it, expect, beforeAll } from "vitest";
import { init, ValueError, InlinePool, WorkerPool, runMergeTree, readTable, streamTable, taskTable, TASKS, type RunOptions } from "../sdk/index.js";
import { io } from "../sdk/index.js";

beforeAll(async () => {
  await init();
});

/** The ValueError `p` rejects with (fails when it resolves or rejects with another type). */
async function rejection(p: Promise<unknown>): Promise<ValueError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ValueError);
    return e as ValueError;
  }
  throw new Error("expected a rejection");
}

function thrown(f: () => unknown): ValueError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValueError);
    return e as ValueError;
  }
  throw new Error("expected a throw");
}

const csv = () => ["a,b,y\n1,2,3\n4,5,6\n"];
const sum = taskTable({ "test.sum": (x: number[]) => x.reduce((a, b) => a + b, 0) });
const tree = taskTable({
  "test.leaf": (i: { leaf: number }) => i.leaf,
  "test.merge": (i: { left: number; right: number }) => i.left + i.right,
});

describe("parallel: unknown option keys", () => {
  it("WorkerPool.create rejects a misspelt option before starting a worker", async () => {
    const e = await rejection(WorkerPool.create({ sise: 2 } as never));
    expect(e.message).toMatch(/WorkerPool\.create: unknown option "sise"; did you mean "size"\?/);
    const f = await rejection(WorkerPool.create({ retires: 1 } as never));
    expect(f.message).toMatch(/did you mean "retries"\?/);
  });

  it("run() of either pool rejects a misspelt option; valid ones pass", async () => {
    const pool = new InlinePool(taskTable(TASKS, sum));
    expect(await pool.run("test.sum", [1, 2, 3], { retries: 0, timeoutMs: 1000, transferInput: false, onProgress: () => {}, onStats: () => {} })).toBe(6);
    const e = await rejection(pool.run("test.sum", [1], { timeoutMS: 5 } as RunOptions));
    expect(e.message).toMatch(/InlinePool\.run: unknown option "timeoutMS"; did you mean "timeoutMs"\?/);
    // the pool keeps working after the rejection (it did not enter the queue)
    expect(await pool.run("test.sum", [4, 5])).toBe(9);
    const workers = await WorkerPool.create({ size: 1 });
    try {
      const w = await rejection(workers.run("seqlearn.none", 0, { singal: undefined } as RunOptions));
      expect(w.message).toMatch(/WorkerPool\.run: unknown option "singal"; did you mean "signal"\?/);
    } finally {
      await workers.close();
    }
  }, 60_000);

  it("runMergeTree rejects a misspelt option and a misspelt task option", async () => {
    const pool = new InlinePool(tree);
    const base = { leaves: [1, 2, 3], leafTask: "test.leaf", mergeTask: "test.merge", seed: 1 };
    expect((await runMergeTree<number, number>(pool, { ...base, shape: "chain", taskOptions: { retries: 0 } })).value).toBe(6);
    const e = await rejection(runMergeTree(pool, { ...base, shap: "chain" } as never));
    expect(e.message).toMatch(/runMergeTree: unknown option "shap"; did you mean "shape"\?/);
    const f = await rejection(runMergeTree(pool, { ...base, taskOptions: { timeout: 1 } } as never));
    expect(f.message).toMatch(/runMergeTree: taskOptions: unknown option "timeout"; did you mean "timeoutMs"\?/);
    // signal belongs to the tree, not to each task
    const g = await rejection(runMergeTree(pool, { ...base, taskOptions: { signal: new AbortController().signal } } as never));
    expect(g.message).toMatch(/taskOptions: unknown option "signal"/);
  });
});

describe("io: unknown option keys", () => {
  it("readTable, streamTable and readHeader reject a misspelt option; valid ones pass", async () => {
    const t = await readTable(csv(), { target: "y", ignore: ["b"], batchSize: 1, limit: 5, format: "csv" });
    expect([t.X.rows, t.X.cols, ...t.y!]).toEqual([2, 1, 3, 6]);
    expect((await rejection(readTable(csv(), { targte: "y" } as never))).message).toMatch(/readTable: unknown option "targte"; did you mean "target"\?/);
    const gen = streamTable(csv(), { batchsize: 1 } as never);
    expect((await rejection(gen.next())).message).toMatch(/streamTable: unknown option "batchsize"; did you mean "batchSize"\?/);
    expect((await rejection(io.readHeader(csv(), { feature: ["a"] } as never))).message).toMatch(/readHeader: unknown option "feature"; did you mean "features"\?/);
    expect((await io.readHeader(csv(), { target: "y" })).features).toEqual(["a", "b"]);
  });

  it("linePlot checks its options and every series", () => {
    const series = [{ name: "a", x: [1, 2], y: [3, 4], color: "#000", dashed: true, markers: false, line: true }];
    expect(io.linePlot({ series, title: "t", logY: true, legend: "none" })).toMatch(/^<svg/);
    expect(thrown(() => io.linePlot({ series, xlabel: "x" } as never)).message).toMatch(/linePlot: unknown option "xlabel"; did you mean "xLabel"\?/);
    expect(thrown(() => io.linePlot({ series: [{ name: "a", x: [1], y: [2], colour: "red" }] } as never)).message)
      .toMatch(/linePlot: series\[0\]: unknown option "colour"; did you mean "color"\?/);
  });

  it("CsvParser and parseCsv check their options", () => {
    expect(io.parseCsv("a;b\n1;2", { delimiter: ";", source: "s" }).map((r) => r.fields)).toEqual([["a", "b"], ["1", "2"]]);
    expect(thrown(() => io.parseCsv("a", { delimeter: ";" } as never)).message).toMatch(/CsvParser: unknown option "delimeter"; did you mean "delimiter"\?/);
    expect(thrown(() => new io.CsvParser({ sep: "," } as never)).message).toMatch(/CsvParser: unknown option "sep"/);
  });
});
