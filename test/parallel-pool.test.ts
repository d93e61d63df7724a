// The worker pool with the test tasks (test/parallel-tasks.ts). Node cannot run TypeScript in
// a worker, so the pools that run them use the test bundle of test/runtime/pool-bundle.mjs:
// its worker entry plus the test task module, built as dist/ is built.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  init, WorkerPool, InlinePool, runMergeTree, planTree, Rng, TASKS, taskTable, rbf,
  TaskError, WorkerLostError, TaskAbortedError, PoolClosedError, WorkerStartError, ValueError, UnknownTaskError,
  type FaultEvent, type LeafInput,
} from "../sdk/index.js";
import { disqueakParams, type DisqueakLeaf, type DisqueakParams } from "../sdk/kernel/index.js";
import { DISQUEAK_LEAF_TASK } from "../sdk/kernel/disqueak.js";
import { disqueakLeafTask } from "../sdk/kernel/tasks.js";
import { sortedLeaf, sortedMerge, tasks } from "./parallel-tasks.js";
// @ts-ignore: plain .mjs helper
import { bundlePool } from "./runtime/pool-bundle.mjs";

let B: { worker: URL; tasks: URL; broken: URL; customWorker: URL };
let pool: WorkerPool;
const faults: FaultEvent[] = [];

beforeAll(async () => {
  await init();
  B = await bundlePool();
  pool = await WorkerPool.create({ size: 2, workerUrl: B.worker, modules: [B.tasks], retries: 2 });
  pool.on("fault", (f) => faults.push(f));
});
afterAll(async () => {
  await pool?.close();
});

describe("WorkerPool: running tasks", () => {
  it("runs tasks and returns their outputs, with typed arrays intact", async () => {
    const x = Float64Array.from({ length: 1000 }, (_, i) => i * 0.5);
    const [echo, doubled, sum] = await Promise.all([
      pool.run<{ a: number[] }>("test.echo", { a: [1, 2, 3] }),
      pool.run<Float64Array>("test.double", x),
      pool.run<{ sum: number; aLen: number; bLen: number }>("test.sum", { a: x, b: Int32Array.of(1, 2, 3) }),
    ]);
    expect(echo).toEqual({ a: [1, 2, 3] });
    expect(doubled).toBeInstanceOf(Float64Array);
    expect(Array.from(doubled)).toEqual(Array.from(x, (v) => 2 * v));
    expect(sum).toEqual({ sum: x.reduce((s, v) => s + v, 0) + 6, aLen: 1000, bLen: 3 });
    // Inputs are copied by default: the caller's array is still usable.
    expect(x.length).toBe(1000);
    expect(x[3]).toBe(1.5);
  });

  it("moves input buffers on request and output buffers always", async () => {
    const x = Float64Array.from({ length: 4096 }, (_, i) => i);
    const out = await pool.run<Float64Array>("test.double", x, { transferInput: true });
    expect(x.byteLength).toBe(0); // detached: it was moved, not copied
    expect(out.length).toBe(4096);
    expect(out[4095]).toBe(8190);
    expect(out.buffer.byteLength).toBe(4096 * 8);
  });

  it("each worker has its own engine and the same seeded streams as this thread", async () => {
    const outs = await Promise.all([0, 1, 2, 3].map((s) => pool.run<Float64Array>("test.uniform", { seed: 42, stream: s, n: 64 })));
    for (let s = 0; s < 4; s++) {
      const r = new Rng(42, s);
      expect(Array.from(outs[s])).toEqual(Array.from(r.uniform(64)));
      r.dispose();
    }
    const ids = new Set(await Promise.all([1, 2, 3, 4].map(() => pool.run<number>("test.whoami", null))));
    expect(ids.size).toBe(2); // both workers took work
  });

  it("forwards progress events", async () => {
    const seen: unknown[] = [];
    const steps = await pool.run<number>("test.busy", { ms: 60, every: 10 }, { onProgress: (v) => seen.push(v) });
    expect(steps).toBeGreaterThan(0);
    expect(seen).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
  });

  it("rejects unknown tasks and unclonable inputs with typed errors", async () => {
    // run<never>: the call must reject; the catch names the error class the next line checks.
    const e1 = await pool.run<never>("test.nope", 1).catch((e: TaskError) => e);
    expect(e1).toBeInstanceOf(TaskError);
    expect(e1.attempts).toBe(1); // deterministic failure: not retried
    expect(e1.message).toMatch(/no task named "test\.nope"/);
    const e2 = await pool.run<never>("test.echo", { f: () => 1 }).catch((e: ValueError) => e);
    expect(e2).toBeInstanceOf(ValueError);
    expect(e2.message).toMatch(/cannot be sent to a worker/);
    // The pool still works afterwards.
    expect(await pool.run("test.echo", 7)).toBe(7);
  });
});

describe("WorkerPool: faults", () => {
  it("a worker that exits mid-task is reported, replaced, and the task retried", async () => {
    faults.length = 0;
    const before = pool.workerIds;
    const r = await pool.run<{ value: number; attempt: number }>("test.exitOnce", { value: 11 });
    expect(r).toEqual({ value: 11, attempt: 2 });
    const lost = faults.filter((f) => f.kind === "worker-lost");
    expect(lost.length).toBe(1);
    expect(lost[0].task).toBe("test.exitOnce");
    expect(lost[0].reason).toBe("exit");
    expect(lost[0].willRetry).toBe(true);
    expect(before).toContain(lost[0].workerId);
    expect(pool.workerIds).not.toContain(lost[0].workerId);
    expect(pool.workerIds.length).toBe(2);
  });

  it("a task that keeps killing its worker surfaces as WorkerLostError after the retries", async () => {
    faults.length = 0;
    const e = await pool.run<never>("test.exitAlways", null, { retries: 1 }).catch((x: WorkerLostError) => x);
    expect(e).toBeInstanceOf(WorkerLostError);
    expect(e.attempts).toBe(2);
    expect(e.exitCode).toBe(4);
    expect(faults.filter((f) => f.kind === "worker-lost").map((f) => f.willRetry)).toEqual([true, false]);
    expect(await pool.run("test.echo", "alive")).toBe("alive");
  });

  it("an uncaught asynchronous error kills the worker; the task is retried", async () => {
    expect(await pool.run("test.asyncCrash", null)).toBe("recovered");
  });

  it("a worker terminated mid-task loses nothing: every result arrives", async () => {
    faults.length = 0;
    const started: number[] = [];
    const off = pool.on("start", (s) => {
      if (s.task === "test.busy" && s.attempt === 1) started.push(s.workerId);
    });
    const jobs = [0, 1, 2, 3].map((i) => pool.run<number>("test.busy", { ms: 40 + i }));
    while (started.length === 0) await new Promise((r) => setTimeout(r, 2));
    expect(pool.terminateWorker(started[0])).toBe(true);
    const results = await Promise.all(jobs);
    off();
    expect(results.length).toBe(4);
    for (const r of results) expect(r).toBe(0);
    const lost = faults.filter((f) => f.kind === "worker-lost");
    expect(lost.length).toBe(1);
    expect(lost[0].reason).toBe("terminated");
    expect(lost[0].task).toBe("test.busy");
  });

  it("a throwing task is retried, then surfaces as TaskError with its cause", async () => {
    expect(await pool.run("test.throwUntil", { succeedAt: 3 })).toBe(3);
    const e = await pool.run<never>("test.throwUntil", { succeedAt: 10 }).catch((x: TaskError) => x);
    expect(e).toBeInstanceOf(TaskError);
    expect(e.attempts).toBe(3);
    expect((e.cause as Error).message).toBe("transient failure on attempt 3");
    const v = await pool.run<never>("test.throwValue", null).catch((x: TaskError) => x);
    expect(v).toBeInstanceOf(TaskError);
    expect(v.attempts).toBe(1);
    expect(v.cause).toBeInstanceOf(ValueError);
    expect((v.cause as ValueError).message).toBe("x must be positive, got -1");
  });

  it("errors that cannot change on a second try are not retried (NumericalError, DataError, DictionaryFormatError)", async () => {
    // was: retried as if transient (3 attempts, the same error each time)
    for (const [task, name] of [["test.throwNumerical", "NumericalError"], ["test.throwData", "DataError"], ["test.throwFormat", "DictionaryFormatError"]] as const) {
      faults.length = 0;
      const e = await pool.run<never>(task, null).catch((x: TaskError) => x);
      expect(e, task).toBeInstanceOf(TaskError);
      expect(e.attempts, task).toBe(1);
      expect((e.cause as Error).name, task).toBe(name);
      expect((e.cause as Error).message, task).toMatch(/attempt 1\b/);
      expect(faults.filter((f) => f.kind === "task-error").map((f) => f.willRetry), task).toEqual([false]);
    }
    // A plain Error is still retried (it may be transient).
    expect(await pool.run("test.throwUntil", { succeedAt: 2 })).toBe(2);
  });

  it("a task that exceeds its time limit is stopped and reported", async () => {
    const t0 = Date.now();
    const e = await pool.run<never>("test.hang", null, { timeoutMs: 80, retries: 0 }).catch((x: WorkerLostError) => x);
    expect(e).toBeInstanceOf(WorkerLostError);
    expect(e.reason).toBe("timeout");
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe("WorkerPool: cancellation and closing", () => {
  it("aborting a running synchronous task rejects at once and reclaims its worker", async () => {
    const ac = new AbortController();
    const p = pool.run<never>("test.busy", { ms: 5000 }, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error("user pressed stop")), 30);
    const t0 = Date.now();
    const e = await p.catch((x: TaskAbortedError) => x);
    expect(e).toBeInstanceOf(TaskAbortedError);
    expect(e.message).toMatch(/user pressed stop/);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await pool.run("test.echo", 1)).toBe(1); // pool recovered
  });

  it("an async task sees ctx.signal; queued and pre-aborted tasks never start", async () => {
    const ac = new AbortController();
    const p = pool.run("test.cooperative", null, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    expect(await p.catch((x) => x)).toBeInstanceOf(TaskAbortedError);
    const pre = new AbortController();
    pre.abort();
    expect(await pool.run("test.echo", 1, { signal: pre.signal }).catch((x) => x)).toBeInstanceOf(TaskAbortedError);
    // Fill both workers, queue a third and abort it while queued.
    const busy = [pool.run("test.busy", { ms: 60 }), pool.run("test.busy", { ms: 60 })];
    const q = new AbortController();
    const queued = pool.run("test.echo", 1, { signal: q.signal });
    q.abort();
    expect(await queued.catch((x) => x)).toBeInstanceOf(TaskAbortedError);
    await Promise.all(busy);
  });

  it("close() rejects pending tasks with PoolClosedError; a bad worker script fails fast", async () => {
    const p2 = await WorkerPool.create({ size: 1, workerUrl: B.worker, modules: [B.tasks] });
    const running = p2.run("test.busy", { ms: 2000 });
    const queued = p2.run("test.echo", 1);
    await p2.close();
    expect(await running.catch((x) => x)).toBeInstanceOf(PoolClosedError);
    expect(await queued.catch((x) => x)).toBeInstanceOf(PoolClosedError);
    expect(await p2.run("test.echo", 1).catch((x) => x)).toBeInstanceOf(PoolClosedError);
    const bad = await WorkerPool.create({ size: 1, workerUrl: new URL("./no-such-worker.mjs", import.meta.url) }).catch((x) => x);
    expect(bad).toBeInstanceOf(WorkerStartError);
    const broken = await WorkerPool.create({ size: 2, workerUrl: B.worker, modules: [B.broken] }).catch((x) => x);
    expect(broken).toBeInstanceOf(WorkerStartError);
    expect(broken.message).toMatch(/this task module cannot load/);
  });

  it("validates options", async () => {
    await expect(WorkerPool.create({ size: 0 })).rejects.toThrow(/size must be an integer in \[1, 1024\]/);
    await expect(WorkerPool.create({ modules: ["./relative.js"] })).rejects.toThrow(/modules: .*absolute URL/);
    await expect(pool.run("test.echo", 1, { retries: -1 })).rejects.toThrow(/retries/);
  });
});

describe("merge trees", () => {
  it("plans balanced, chain and user trees with fixed node ids", () => {
    const b = planTree(5, "balanced");
    expect(b.merges.map((m) => [m.node, m.left, m.right, m.level])).toEqual([[5, 0, 1, 1], [6, 2, 3, 1], [7, 5, 6, 2], [8, 7, 4, 3]]);
    expect(b.root).toBe(8);
    expect(b.depth).toBe(3);
    const c = planTree(4, "chain");
    expect(c.merges.map((m) => [m.left, m.right])).toEqual([[0, 1], [4, 2], [5, 3]]);
    expect(c.depth).toBe(3);
    const u = planTree(4, [[2, 3], [0, 4], [5, 1]]);
    expect(u.merges.map((m) => m.level)).toEqual([1, 2, 3]);
    expect(planTree(1).merges).toEqual([]);
    expect(() => planTree(3, [[0, 1], [3, 3]])).toThrow(/itself|already merged/);
    expect(() => planTree(3, [[0, 1], [0, 2]])).toThrow(/shape\[1\] uses node 0, which is already merged/);
    expect(() => planTree(3, [[0, 5], [3, 2]])).toThrow(/shape\[0\] refers to node 5/);
    expect(() => planTree(3, [[0, 1]])).toThrow(/needs 2 merges/);
    expect(() => planTree(3, "star" as never)).toThrow(/shape must be/);
  });

  let leaves: Float64Array[] = [];
  beforeAll(() => {
    const r = new Rng(7, 99);
    leaves = [];
    for (let i = 0; i < 9; i++) leaves.push(r.normal(5 + i));
    r.dispose();
  });
  const expected = (shape: "balanced" | "chain"): Float64Array => {
    // Reference: the same tree evaluated by hand in this thread.
    const plan = planTree(leaves.length, shape);
    const vals: Float64Array[] = leaves.map((leaf, node) => sortedLeaf({ node, seed: 5, leaf }));
    for (const m of plan.merges) vals[m.node] = sortedMerge({ node: m.node, seed: 5, left: vals[m.left], right: vals[m.right] });
    return vals[plan.root];
  };

  it("gives identical results with 1, 2 and 4 workers and inline, for each shape", async () => {
    const pools = [await WorkerPool.create({ size: 1, workerUrl: B.worker, modules: [B.tasks] }), pool, await WorkerPool.create({ size: 4, workerUrl: B.worker, modules: [B.tasks] })];
    try {
      for (const shape of ["balanced", "chain"] as const) {
        const ref = expected(shape);
        const inline = await runMergeTree<Float64Array, Float64Array>(new InlinePool(tasks), { leaves, leafTask: "test.sortedLeaf", mergeTask: "test.sortedMerge", seed: 5, shape });
        expect(Array.from(inline.value)).toEqual(Array.from(ref));
        for (const p of pools) {
          const r = await runMergeTree<Float64Array, Float64Array>(p, { leaves, leafTask: "test.sortedLeaf", mergeTask: "test.sortedMerge", seed: 5, shape });
          expect(Array.from(r.value)).toEqual(Array.from(ref));
          expect(r.levels.map((l) => l.nodes).reduce((a, b) => a + b, 0)).toBe(2 * leaves.length - 1);
          expect(r.levels.length).toBe(r.plan.depth + 1);
          for (const l of r.levels) expect(l.wallMs).toBeGreaterThanOrEqual(0);
        }
      }
      // A different seed changes the result (randomness really flows from the seed).
      const other = await runMergeTree<Float64Array, Float64Array>(pool, { leaves, leafTask: "test.sortedLeaf", mergeTask: "test.sortedMerge", seed: 6 });
      expect(Array.from(other.value)).not.toEqual(Array.from(expected("balanced")));
    } finally {
      await pools[0].close();
      await pools[2].close();
    }
  });

  it("runs the costliest leaves first with leafCost, without changing the result", async () => {
    const ref = expected("balanced");
    const cost = (leaf: Float64Array): number => leaf.length;
    // Inline: tasks run one at a time in submission order, so completions show the order.
    const done: number[] = [];
    const inline = await runMergeTree<Float64Array, Float64Array>(new InlinePool(tasks), {
      leaves, leafTask: "test.sortedLeaf", mergeTask: "test.sortedMerge", seed: 5, leafCost: cost,
      onNode: (i) => done.push(i.node),
    });
    expect(Array.from(inline.value)).toEqual(Array.from(ref));
    // Leaf i has 5 + i rows: the largest (8) first, down to leaf 0.
    expect(done.slice(0, leaves.length)).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
    // Ties keep the leaf order; a non-finite cost counts as the smallest.
    const order: number[] = [];
    await runMergeTree(new InlinePool(tasks), {
      leaves: [1, 2, 3, 4], leafTask: "test.echo", mergeTask: "test.echo", seed: 1,
      leafCost: (_x: number, i: number) => (i === 0 ? NaN : 1), onNode: (i) => order.push(i.node),
    });
    expect(order.slice(0, 4)).toEqual([1, 2, 3, 0]);
    const r = await runMergeTree<Float64Array, Float64Array>(pool, { leaves, leafTask: "test.sortedLeaf", mergeTask: "test.sortedMerge", seed: 5, leafCost: cost });
    expect(Array.from(r.value)).toEqual(Array.from(ref));
    await expect(runMergeTree(pool, { leaves: [1, 2], leafTask: "test.echo", mergeTask: "test.echo", seed: 1, leafCost: 3 as never })).rejects.toThrow(/leafCost/);
  });

  it("fails fast with the first task error and reports every node otherwise", async () => {
    const nodes: number[] = [];
    const ok = await runMergeTree(pool, { leaves: [1, 2, 3], leafTask: "test.echo", mergeTask: "test.echo", seed: 1, onNode: (i) => nodes.push(i.node) });
    expect(nodes.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(ok.value).toMatchObject({ node: 4, level: 2, seed: 1 });
    const e = await runMergeTree(pool, { leaves: [1, 2, 3, 4], leafTask: "test.echo", mergeTask: "test.throwValue", seed: 1 }).catch((x) => x);
    expect(e).toBeInstanceOf(TaskError);
    expect(e.task).toBe("test.throwValue");
    await expect(runMergeTree(pool, { leaves: [], leafTask: "a", mergeTask: "b", seed: 1 })).rejects.toThrow(/non-empty/);
  });
});

describe("task tables: the package's tasks and yours", () => {
  /** The error a promise rejects with (fails the test if it resolves). */
  const rejection = <E>(p: Promise<unknown>): Promise<E> =>
    p.then((v) => { throw new Error(`expected a rejection, got ${JSON.stringify(v)}`); }, (e: unknown) => e as E);
  const leafInput = (): LeafInput<DisqueakLeaf, DisqueakParams> => {
    const r = new Rng(11, 0);
    const data = r.normal(60 * 2);
    r.dispose();
    // "squeak" leaves draw random numbers (from nodeSeed(seed, stream)), so equal bytes mean
    // equal streams as well as equal arithmetic.
    const params = disqueakParams({ kernel: rbf({ gamma: 0.5 }), lambda: 1, qbar: 8 }, "squeak");
    return { node: 2, seed: 9, stream: 2 * 2 ** 26 + 1, level: 0, leaf: { data, n: 60, d: 2, start: 120 }, params };
  };

  it("taskTable combines tables and rejects a name given to two functions, and non-functions", () => {
    const f = (): number => 1, g = (): number => 2;
    const t = taskTable({ a: f }, { b: g }, { a: f });
    expect(Object.keys(t).sort()).toEqual(["a", "b"]);
    expect(t.a).toBe(f);
    expect(Object.isFrozen(t)).toBe(true);
    expect(() => taskTable({ a: f }, { a: g })).toThrow(ValueError);
    expect(() => taskTable({ a: f }, { a: g })).toThrow(/two different tasks are named "a"/);
    expect(() => taskTable({ a: 3 as never })).toThrow(/the task "a" must be a function, got number/);
    expect(() => taskTable(null as never)).toThrow(/must be an object/);
    expect(() => new InlinePool([f] as never)).toThrow(/InlinePool: a task table must be an object/);
    // The package's table holds the DISQUEAK tasks under their public names.
    expect(Object.keys(TASKS)).toContain(DISQUEAK_LEAF_TASK);
    expect(Object.keys(TASKS)).toContain("seqlearn.disqueak.merge");
  });

  it("an inline pool runs exactly the table it is given", async () => {
    const e = await rejection<TaskError & { cause: Error }>(new InlinePool().run("test.echo", 1));
    expect(e).toBeInstanceOf(TaskError);
    expect(e.cause).toBeInstanceOf(UnknownTaskError);
    expect(e.cause.message).toMatch(/no task named "test\.echo" in this inline pool \(known: none\).*new InlinePool\(TASKS\)/);
    // Inherited object properties are no tasks.
    expect((await rejection<TaskError>(new InlinePool(tasks).run("toString", 1))).cause).toBeInstanceOf(UnknownTaskError);
    const both = new InlinePool(taskTable(TASKS, tasks));
    expect(await both.run("test.echo", 5)).toBe(5);
    const inp = leafInput();
    expect(Array.from(await both.run<Uint8Array>(DISQUEAK_LEAF_TASK, inp))).toEqual(Array.from(disqueakLeafTask(inp)));
  });

  it("the package's worker loads a user's plain-JS task module that imports \"seqlearn\", on the worker's engine", async () => {
    // Default worker script: from the sources in Node, the built dist/node/worker.js.
    const p = await WorkerPool.create({ size: 1, modules: [new URL("./parallel-user-tasks.mjs", import.meta.url)] });
    try {
      const u = await p.run<Float64Array>("user.uniform", { seed: 42, stream: 7, n: 32 });
      const r = new Rng(42, 7);
      expect(Array.from(u)).toEqual(Array.from(r.uniform(32)));
      r.dispose();
      // The package's own tasks are still served next to the module's.
      const inp = leafInput();
      expect(Array.from(await p.run<Uint8Array>(DISQUEAK_LEAF_TASK, inp))).toEqual(Array.from(disqueakLeafTask(inp)));
      const e = await rejection<TaskError & { cause: Error }>(p.run("test.echo", 1));
      // The message lists every task the worker knows: the package's table and the module's.
      const known = [...Object.keys(TASKS), "user.uniform"].sort().join(", ");
      expect(e.cause.message).toContain(`no task named "test.echo" in this worker (known: ${known})`);
    } finally {
      await p.close();
    }
  });

  it("a worker entry of one's own serves the table it chooses", async () => {
    const p = await WorkerPool.create({ size: 1, workerUrl: B.customWorker });
    try {
      expect(await p.run("test.entry", null)).toBe("served by test/parallel-worker.ts");
      expect(await p.run("test.echo", [1, 2])).toEqual([1, 2]);
      const inp = leafInput();
      expect(Array.from(await p.run<Uint8Array>(DISQUEAK_LEAF_TASK, inp))).toEqual(Array.from(disqueakLeafTask(inp)));
    } finally {
      await p.close();
    }
  });

  it("a task module without a `tasks` export, or reusing a taken name, stops the workers from starting", async () => {
    const none = await rejection<Error>(WorkerPool.create({ size: 1, workerUrl: B.worker, modules: ["data:text/javascript,export const other = 1;"] }));
    expect(none).toBeInstanceOf(WorkerStartError);
    expect(none.message).toMatch(/has no `tasks` export/);
    const taken = await rejection<Error>(WorkerPool.create({ size: 1, workerUrl: B.worker, modules: [`data:text/javascript,export const tasks = { "${DISQUEAK_LEAF_TASK}": () => 0 };`] }));
    expect(taken).toBeInstanceOf(WorkerStartError);
    expect(taken.message).toMatch(/two different tasks are named "seqlearn\.disqueak\.leaf"/);
  });

  it("sdk/parallel imports no domain and the shipped code bundles nothing at run time", () => {
    const dir = fileURLToPath(new URL("../sdk/parallel/", import.meta.url));
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".ts"))) {
      const src = readFileSync(join(dir, f), "utf8");
      for (const m of src.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
        expect(m[1], `${f} imports ${m[1]}`).toMatch(/^(\.\/|\.\.\/(engine|core|random)\/|\.\.\/platform\.js$|node:)/);
      }
      const code = src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
      expect(code, f).not.toMatch(/esbuild/);
    }
  });
});
