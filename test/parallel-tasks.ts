// Tasks used by test/parallel-*.test.ts, exported as a task table. The pool's workers load
// its bundled copy (test/runtime/pool-bundle.mjs) through the `modules` option; the test
// process imports it from the sources for the inline pool.
import { taskTable, Rng, ValueError, NumericalError, DataError, DictionaryFormatError } from "../sdk/index.js";

export interface SortedLeaf { node: number; seed: number; leaf: Float64Array }
export interface SortedMerge { node: number; seed: number; left: Float64Array; right: Float64Array }

/** A leaf: sort the values, then add node-seeded noise (depends on (seed, node) only). */
export function sortedLeaf(inp: SortedLeaf): Float64Array {
  const a = Float64Array.from(inp.leaf).sort();
  const rng = new Rng(inp.seed, inp.node);
  const u = rng.uniform(a.length);
  rng.dispose();
  for (let i = 0; i < a.length; i++) a[i] += 1e-3 * u[i];
  return a.sort();
}

/** A merge: merge two sorted arrays, then perturb with node-seeded noise. */
export function sortedMerge(inp: SortedMerge): Float64Array {
  const { left, right } = inp;
  const out = new Float64Array(left.length + right.length);
  let i = 0, j = 0, k = 0;
  while (i < left.length && j < right.length) out[k++] = left[i] <= right[j] ? left[i++] : right[j++];
  while (i < left.length) out[k++] = left[i++];
  while (j < right.length) out[k++] = right[j++];
  const rng = new Rng(inp.seed, inp.node);
  const u = rng.uniform(out.length);
  rng.dispose();
  for (let t = 0; t < out.length; t++) out[t] += 1e-6 * u[t];
  return out.sort();
}

export const tasks = taskTable({
  "test.echo": (x: unknown) => x,
  "test.double": (x: Float64Array) => x.map((v) => 2 * v),
  "test.sum": (x: { a: Float64Array; b: Int32Array }) => {
    let s = 0;
    for (const v of x.a) s += v;
    for (const v of x.b) s += v;
    return { sum: s, aLen: x.a.length, bLen: x.b.length };
  },
  "test.uniform": (x: { seed: number; stream: number; n: number }) => {
    const r = new Rng(x.seed, x.stream);
    const u = r.uniform(x.n);
    r.dispose();
    return u;
  },
  "test.sortedLeaf": sortedLeaf,
  "test.sortedMerge": sortedMerge,
  "test.whoami": async (_x: unknown, ctx) => {
    await new Promise((r) => setTimeout(r, 20));
    return ctx.workerId;
  },
  /** Exits the worker's thread on the first attempt, succeeds afterwards. */
  "test.exitOnce": (x: { value: number }, ctx) => {
    if (ctx.attempt === 1) (globalThis as unknown as { process: { exit(c: number): never } }).process.exit(3);
    return { value: x.value, attempt: ctx.attempt };
  },
  /** Always exits. */
  "test.exitAlways": () => (globalThis as unknown as { process: { exit(c: number): never } }).process.exit(4),
  /** Throws until the given attempt. */
  "test.throwUntil": (x: { succeedAt: number }, ctx) => {
    if (ctx.attempt < x.succeedAt) throw new Error(`transient failure on attempt ${ctx.attempt}`);
    return ctx.attempt;
  },
  "test.throwValue": () => {
    throw new ValueError("x must be positive, got -1");
  },
  /** Errors that cannot change on a second try: a numerical failure, bad data, a bad file. */
  "test.throwNumerical": (_x: unknown, ctx) => {
    throw new NumericalError(`not positive definite (attempt ${ctx.attempt})`, { pivot: 2 });
  },
  "test.throwData": (_x: unknown, ctx) => {
    throw new DataError(`expected a number (attempt ${ctx.attempt})`, { line: 3 });
  },
  "test.throwFormat": (_x: unknown, ctx) => {
    throw new DictionaryFormatError("checksum", `corrupted (attempt ${ctx.attempt})`);
  },
  /** Uncaught error outside the task's promise: kills the worker thread. */
  "test.asyncCrash": (_x: unknown, ctx) => {
    if (ctx.attempt === 1) {
      setTimeout(() => {
        throw new Error("uncaught async failure");
      }, 5);
      return new Promise(() => {});
    }
    return "recovered";
  },
  "test.hang": () => new Promise(() => {}),
  /** Busy loop for x.ms, reporting progress every x.every ms; synchronous (cannot see aborts). */
  "test.busy": (x: { ms: number; every?: number }, ctx) => {
    const t0 = Date.now();
    let last = t0, steps = 0;
    while (Date.now() - t0 < x.ms) {
      if (x.every && Date.now() - last >= x.every) {
        last = Date.now();
        ctx.progress(++steps);
      }
    }
    return steps;
  },
  /** Cooperative async task that stops when aborted. */
  "test.cooperative": async (_x: unknown, ctx) => {
    for (let i = 0; i < 1000; i++) {
      if (ctx.signal.aborted) return "stopped";
      await new Promise((r) => setTimeout(r, 5));
    }
    return "finished";
  },
});
