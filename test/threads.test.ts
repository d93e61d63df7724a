// The threaded engine (assembly/core/threads.ts, sdk/engine/threads.ts): every threaded kernel
// gives the bits of one thread for 1, 2 and 4 threads — with work split into many small tasks,
// so that every split path runs — and of the single-threaded module; the core suite's digests
// are the same with threads; the compiled module keeps the rules that make helpers safe (no
// allocation, no shadow stack, no start-up side effects on the shared memory); a trap in a kernel
// resets the engine with its helpers; and the engine says how many threads it runs and why.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { init, getEngine, engineInfo, type Engine } from "../sdk/index.js";
import { engineFromModule, input, inout, output, outputF32, scratch, EngineTrapError, KernelCode } from "../sdk/engine/index.js";
import { digest } from "./core/suite.js";

const threadsBytes = readFileSync(new URL("../build/seqlearn.threads.wasm", import.meta.url));
const singleBytes = readFileSync(new URL("../build/seqlearn.wasm", import.meta.url));
const threadsModule = new WebAssembly.Module(threadsBytes);
const singleModule = new WebAssembly.Module(singleBytes);

/** A seeded generator of doubles in (−1, 1) (integer arithmetic only). */
function data(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/** The exact bits of an array, for toEqual (NaN and −0 included). */
function bits(a: ArrayLike<number>, f32 = false): string {
  const v = f32 ? new Uint32Array(Float32Array.from(a).buffer) : new BigUint64Array(Float64Array.from(a).buffer);
  let h = 0xcbf29ce484222325n;
  for (const x of v) h = BigInt.asUintN(64, (h ^ BigInt(x)) * 0x100000001b3n);
  return `${a.length}:${h.toString(16)}`;
}

/** A symmetric positive definite n×n matrix. */
function spd(n: number, seed: number): Float64Array {
  const b = data(n * n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
      a[i * n + j] = a[j * n + i] = s / n + (i === j ? 1 : 0);
    }
  }
  return a;
}

/** A lower-triangular factor with a safe diagonal. */
function lower(n: number, seed: number): Float64Array {
  const l = data(n * n, seed);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) l[i * n + j] = 0;
    l[i * n + i] = 2 + Math.abs(l[i * n + i]);
  }
  return l;
}

/** A CSR graph: a ring plus pseudo-random chords, both directions, weighted or not. */
function graph(n: number, seed: number, weighted: boolean): { rowPtr: Int32Array; col: Int32Array; val: Float64Array | null } {
  const adj: Array<Map<number, number>> = Array.from({ length: n }, () => new Map());
  const r = data(4 * n, seed);
  const add = (a: number, b: number, w: number): void => {
    if (a === b) return;
    adj[a].set(b, w);
    adj[b].set(a, w);
  };
  for (let i = 0; i < n; i++) add(i, (i + 1) % n, 1 + Math.abs(r[i]));
  for (let i = 0; i < 2 * n; i++) add(Math.floor(Math.abs(r[n + i]) * n) % n, Math.floor(Math.abs(r[2 * n + (i % n)]) * n * 7) % n, 0.5 + Math.abs(r[i % n]));
  const rowPtr = new Int32Array(n + 1);
  const col: number[] = [], val: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const [j, w] of [...adj[i].entries()].sort((a, b) => a[0] - b[0])) {
      col.push(j);
      val.push(w);
    }
    rowPtr[i + 1] = col.length;
  }
  return { rowPtr, col: Int32Array.from(col), val: weighted ? Float64Array.from(val) : null };
}

// Every threaded kernel, called through the ABI, on shapes that are not multiples of any block
// size. Each returns the bits of its outputs.
const KERNELS: Record<string, (e: Engine) => string[]> = {
  gemm: (e) => {
    const out: string[] = [];
    for (const [ta, tb] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
      const m = 131, n = 97, k = 301;
      const a = data(m * k, 1 + ta), b = data(k * n, 3 + tb);
      for (const [alpha, beta] of [[1, 0], [-0.75, 1], [0.5, -2]]) {
        const c = data(m * n, 9);
        e.call("gemm", { transA: ta, transB: tb, m, n, k, alpha, a: input(a), lda: ta ? m : k, b: input(b), ldb: tb ? k : n, beta, c: inout(c), ldc: n });
        out.push(bits(c));
      }
    }
    return out;
  },
  syrk: (e) => {
    const n = 203, k = 45;
    const a = data(n * k, 5), c = data(n * n, 6);
    e.call("syrk", { n, k, alpha: 0.5, a: input(a), lda: k, beta: 1, c: inout(c), ldc: n });
    // syrk_t: C ← α·AᵀA + β·C (C symmetric), the bits of the full product gemm(1, 0).
    const at = data(k * n, 7), s0 = spd(n, 8);
    const full = s0.slice(), half = s0.slice();
    e.call("gemm", { transA: 1, transB: 0, m: n, n, k, alpha: 0.75, a: input(at), lda: n, b: input(at), ldb: n, beta: 1, c: inout(full), ldc: n });
    e.call("syrk_t", { n, k, alpha: 0.75, a: input(at), lda: n, beta: 1, c: inout(half), ldc: n });
    expect(bits(half), "syrk_t = gemm(1, 0)").toBe(bits(full));
    return [bits(c), bits(half)];
  },
  kernels: (e) => {
    const out: string[] = [];
    const n = 157, m = 89, d = 7;
    const x = data(n * d, 11), y = data(m * d, 12);
    for (const kind of Object.values(KernelCode)) {
      const [p0, p1, p2] = kind === KernelCode.POLYNOMIAL ? [0.3, 1, 3] : [0.7, 0, 0];
      out.push(bits(e.call("kernel_block", { kind, p0, p1, p2, x: input(x), n, y: input(y), m, d, out: output(n * m), work: scratch(n + m) }).output("out")));
      const xx = input(x);
      out.push(bits(e.call("kernel_block", { kind, p0, p1, p2, x: xx, n, y: xx, m: n, d, out: output(n * n), work: scratch(2 * n) }).output("out")));
    }
    return out;
  },
  cholesky: (e) => {
    const n = 263;
    const a = spd(n, 21);
    expect(e.call("cholesky", { a: inout(a), n, lda: n }).ret).toBe(0);
    return [bits(a)];
  },
  solves: (e) => {
    const n = 149, r = 37;
    const l = lower(n, 31);
    const b1 = data(n * r, 32), b2 = data(n * r, 33), b3 = data(61 * n, 34);
    e.call("trsm_lower", { n, r, l: input(l), ldl: n, b: inout(b1), ldb: r });
    e.call("trsm_lower_t", { n, r, l: input(l), ldl: n, b: inout(b2), ldb: r });
    e.call("trsm_right_lower_t", { m: 61, n, l: input(l), ldl: n, b: inout(b3), ldb: n });
    const inv = e.call("chol_diag_inv", { n, l: input(l), ldl: n, out: output(n), work: scratch(n * 64) }).output("out");
    return [bits(b1), bits(b2), bits(b3), bits(inv)];
  },
  laplacian: (e) => {
    const out: string[] = [];
    const n = 401;
    for (const weighted of [false, true]) {
      const g = graph(n, 41, weighted);
      const s = data(n, 42).map(Math.abs);
      for (const k of [1, 3, 9]) {
        const x = data(n * k, 43 + k);
        out.push(bits(e.call("graph_spmm", { n, k, rowPtr: input(g.rowPtr), col: input(g.col), val: g.val ? input(g.val) : null, s: input(s), x: input(x), y: output(n * k) }).output("y")));
      }
    }
    return out;
  },
  nnMatmul: (e) => {
    const out: string[] = [];
    for (const [ta, tb] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
      const m = 67, n = 91, k = 300;
      const a = Float32Array.from(data(m * k, 51 + ta)), b = Float32Array.from(data(k * n, 53 + tb));
      for (const accumulate of [0, 1] as const) {
        const c = Float32Array.from(data(m * n, 55));
        e.call("nn_matmul", { transA: ta, transB: tb, m, n, k, a: input(a), lda: ta ? m : k, b: input(b), ldb: tb ? k : n, accumulate, c: inout(c), ldc: n });
        out.push(bits(c, true));
      }
    }
    return out;
  },
};

function runAll(e: Engine): Record<string, string[]> {
  return Object.fromEntries(Object.entries(KERNELS).map(([name, fn]) => [name, fn(e)]));
}

async function threaded(threads: number, grain: number): Promise<Engine> {
  const e = engineFromModule(threadsModule, { threads });
  e.threadGrain = grain;
  expect(await e.threadsReady(20_000), `${threads} threads started`).toBe(true);
  return e;
}

describe("threaded kernels: the bits of one thread, for any number of threads", () => {
  let reference: Record<string, string[]>;
  beforeAll(() => {
    reference = runAll(engineFromModule(singleModule));
  });

  it("the threaded module on one thread gives the single-threaded module's bits", async () => {
    const e = await threaded(1, 0);
    expect(e.threadInfo()).toMatchObject({ threads: 1, helpers: 0, module: "threads" });
    expect(runAll(e)).toEqual(reference);
  });

  for (const threads of [2, 4]) {
    it(`${threads} threads, every kernel split into many small tasks`, async () => {
      const e = await threaded(threads, 1); // grain 1: as many tasks as each kernel allows (≤ 8 per thread)
      expect(e.threadInfo()).toMatchObject({ threads, helpers: threads - 1, module: "threads", waiting: "wait" });
      expect(runAll(e)).toEqual(reference);
      // and with the default grain (fewer, larger tasks: the split a user gets)
      e.threadGrain = 0;
      expect(runAll(e)).toEqual(reference);
      e.stopThreads();
    });
  }

  it("the helpers really take tasks (a large product is faster, or at least runs, with 2 threads)", async () => {
    // Not a timing assertion (the machine is shared): the helpers' scratch blocks are allocated
    // only when a helper takes part in a fork, so the memory grows by one scratch block.
    const e = await threaded(2, 0);
    const n = 256;
    const a = e.f64(n * n), b = e.f64(n * n), c = e.f64(n * n);
    a.set(data(n * n, 1));
    b.set(data(n * n, 2));
    e.setThreads(1);
    e.call("gemm", { transA: 0, transB: 0, m: n, n, k: n, alpha: 1, a, lda: n, b, ldb: n, beta: 0, c, ldc: n });
    const before = e.memoryBytes;
    const one = bits(c.view);
    e.setThreads(2);
    e.call("gemm", { transA: 0, transB: 0, m: n, n, k: n, alpha: 1, a, lda: n, b, ldb: n, beta: 0, c, ldc: n });
    expect(bits(c.view)).toBe(one);
    expect(e.memoryBytes, "a helper's scratch block (5 MiB) was allocated").toBeGreaterThan(before + 4 * 2 ** 20);
    e.stopThreads();
  });
});

describe("back-to-back jobs: no task runs twice", () => {
  it("thousands of small accumulating products in a row give one thread's bits (a task run twice would add twice)", async () => {
    // A helper that read the last job's claim word just before the next job was published could
    // claim a task of the new job a second time; only an accumulating kernel shows it in the
    // bits, and only when jobs follow each other closely and a thread is preempted at the wrong
    // moment: many tiny jobs, 8 threads on a machine of fewer cores, grain 1. Before the fix this
    // failed in most runs on 2 cores; the core suite's digests with 4 threads caught it first.
    // Jobs alternate between few tasks (m = 4) and many (m = 64): the race needs a job with more
    // tasks right after one with fewer.
    const run = (e: Engine): string => {
      const k = 16, n = 32, ms = [4, 64];
      const a = e.f32(64 * k), b = e.f32(k * n), cs = ms.map((m) => e.f32(m * n));
      a.set(Float32Array.from(data(64 * k, 3), (x) => x * 0.25));
      b.set(Float32Array.from(data(k * n, 4), (x) => x * 0.25));
      for (const c of cs) c.set(new Float32Array(c.view.length));
      for (let i = 0; i < 6000; i++) {
        const m = ms[i & 1], c = cs[i & 1];
        e.call("nn_matmul", { transA: 0, transB: 0, m, n, k, a, lda: k, b, ldb: n, accumulate: 1, c, ldc: n });
      }
      const out = cs.map((c) => bits(c.view, true)).join("/");
      a.dispose(); b.dispose();
      for (const c of cs) c.dispose();
      return out;
    };
    const one = await threaded(1, 0);
    const reference = run(one);
    const eight = await threaded(8, 1);
    for (let round = 0; round < 3; round++) expect(run(eight), `round ${round}`).toBe(reference);
    eight.stopThreads();
  });
});

describe("the core suite's digests with threads", () => {
  it("are the digests of one thread, with 1, 2 and 4 threads and small tasks", async () => {
    const eng = await init();
    const before = eng.threads;
    try {
      eng.setThreads(1);
      const one = await digest();
      for (const t of [2, 4]) {
        eng.setThreads(t);
        eng.threadGrain = 1;
        expect(await eng.threadsReady(20_000)).toBe(true);
        expect(await digest(), `${t} threads`).toEqual(one);
      }
      // and the single-threaded module's engine (what WASI runs) agrees as well
      expect(Object.keys(one).length).toBeGreaterThan(10);
    } finally {
      eng.threadGrain = 0;
      eng.setThreads(before);
    }
  });
});

describe("the compiled threaded module keeps the rules that make helpers safe", () => {
  /** Functions of the module, what each calls, and whether it touches the shadow stack or grows
   *  memory: from the text the build writes next to it (asc's text keeps the function names that
   *  the binary drops). */
  function functions() {
    const text = readFileSync(new URL("../build/seqlearn.threads.wat", import.meta.url), "utf8");
    type Fn = { calls: Set<string>; indirect: boolean; stack: boolean; grow: boolean };
    const fns = new Map<string, Fn>();
    let cur: Fn | null = null;
    const table: string[] = [];
    for (const line of text.split("\n")) {
      const f = /^ \(func \$(\S+)/.exec(line);
      if (f) {
        cur = { calls: new Set(), indirect: false, stack: false, grow: false };
        fns.set(f[1], cur);
        continue;
      }
      const el = /^ \(elem \$\S+ \(i32\.const \d+\) (.*)\)$/.exec(line);
      if (el) table.push(...el[1].split(" ").map((x) => x.replace(/^\$/, "")));
      if (!cur) continue;
      const c = /\bcall \$(\S+)/.exec(line);
      if (c) cur.calls.add(c[1].replace(/\)$/, ""));
      if (/call_indirect/.test(line)) cur.indirect = true;
      if (/__stack_pointer/.test(line)) cur.stack = true;
      if (/memory\.grow/.test(line)) cur.grow = true;
    }
    const reach = (roots: string[], stop: (name: string) => boolean = () => false): Set<string> => {
      const seen = new Set<string>();
      const todo = [...roots];
      while (todo.length) {
        const n = todo.pop()!;
        if (seen.has(n)) continue;
        seen.add(n);
        const f = fns.get(n);
        if (!f || stop(n)) continue;
        for (const c of f.calls) todo.push(c);
        if (f.indirect) todo.push(...table);
      }
      return seen;
    };
    return { fns, table, text, reach };
  }

  it("no function uses the shadow stack; nothing a helper can run allocates or grows memory; no start function", () => {
    const { fns, table, text, reach } = functions();
    expect(text).not.toMatch(/\(start /);
    expect(text).toMatch(/\(import "env" "memory" \(memory \$\S+ \d+ 65536 shared\)\)/);
    expect([...fns].filter(([, f]) => f.stack).map(([n]) => n), "functions touching __stack_pointer").toEqual([]);
    expect(table.length, "task functions in the table").toBeGreaterThan(5);
    // Everything reachable from thread_run, through direct calls and the table (the tasks).
    // One allocation is on a path tasks reach, and stays off the helpers' at run time:
    // threadScratch allocates (mainScratch) only for thread id 0; a helper reads the scratch the
    // main thread allocated for it. Every other path is closed statically.
    const roots = [...fns.keys()].filter((n) => n.endsWith("/thread_run"));
    expect(roots.length).toBe(1);
    const helper = reach(roots, (n) => n.endsWith("/threadScratch"));
    expect(helper.size, "functions a helper can run").toBeGreaterThan(20);
    const bad = [...helper].filter((n) => /tlsf|__alloc|__new|__collect|itcms|heap|mainScratch/.test(n) || fns.get(n)?.grow);
    expect(bad, "allocator or memory.grow reachable from a helper").toEqual([]);
    // Tasks never fork (their kernels call the serial code): no nested job can overwrite the
    // arguments of the job a helper is running.
    expect([...helper].filter((n) => /\/(fork|prepareHelpers|control)$/.test(n)), "fork reachable from a task").toEqual([]);
    for (const name of ["gemmWith", "trsmRightLT", "productTask", "sgemmSerial", "finishDistanceBlock", "rowPassTask", "trailingTask"]) {
      expect([...helper].some((n) => n.endsWith(`/${name}`)), name).toBe(true);
    }
    // The analysis does see an allocator where there is one: from mem_alloc.
    const alloc = reach([...fns.keys()].filter((n) => n.endsWith("/mem_alloc")));
    expect([...alloc].some((n) => fns.get(n)?.grow)).toBe(true);
  });

  it("a helper's instantiation leaves the shared memory untouched (its data segments hold what is already there)", async () => {
    const e = await threaded(1, 0);
    // Use the engine so that its heap, scratch and control block hold live data.
    e.call("gemm", { transA: 0, transB: 0, m: 64, n: 64, k: 64, alpha: 1, a: input(data(4096, 1)), lda: 64, b: input(data(4096, 2)), ldb: 64, beta: 0, c: output(4096), ldc: 64 });
    const mem = e.exports.memory;
    const before = new Uint8Array(mem.buffer).slice();
    new WebAssembly.Instance(threadsModule, { env: { memory: mem, abort() { throw new Error("abort"); } } });
    const after = new Uint8Array(mem.buffer);
    let diff = -1;
    for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) { diff = i; break; }
    expect(diff, "first byte changed by instantiating the module again").toBe(-1);
  });
});

describe("traps, memory release, and what the engine reports", () => {
  it("a trap inside a threaded kernel resets the engine; its helpers move to the new memory and keep working", async () => {
    const e = await threaded(2, 1);
    const good = runAll(e).gemm;
    for (let i = 0; i < 4; i++) {
      const gen = e.generation;
      // A product whose A lies partly beyond the end of memory: some tasks trap (on whichever
      // thread runs them), the others do not.
      const top = e.memoryBytes - 8 * 64 * 40;
      expect(() => e.call("gemm", { transA: 0, transB: 0, m: 200, n: 64, k: 64, alpha: 1, a: top as unknown as never, lda: 64, b: input(data(4096, 3)), ldb: 64, beta: 0, c: output(200 * 64), ldc: 64 }))
        .toThrow(EngineTrapError);
      expect(e.generation).toBe(gen + 1);
      expect(await e.threadsReady(20_000)).toBe(true);
      expect(runAll(e).gemm).toEqual(good);
    }
    e.stopThreads();
  });

  it("releaseMemory() moves the helpers to the new memory", async () => {
    const e = await threaded(2, 1);
    const good = runAll(e).cholesky;
    const big = e.f64(40 * 2 ** 17); // 40 MiB: the memory grows
    big.dispose();
    expect(e.releaseMemory()).toBeGreaterThan(0);
    expect(await e.threadsReady(20_000)).toBe(true);
    expect(runAll(e).cholesky).toEqual(good);
    e.stopThreads();
  });

  it("init() uses every core in Node; engineInfo() and threadInfo() say how and why", async () => {
    const eng = await init();
    const info = engineInfo();
    expect(info.threads).toBe(Math.min(info.cores, 64));
    expect(info.cores).toBeGreaterThanOrEqual(1);
    expect(info.threadsPossible).toBe(true);
    expect(info.module).toBe("threads");
    expect(info.threads).toBe(getEngine().threads);
    expect(info.crossOriginIsolated).toBe(null);
    expect(eng.setThreads(3)).toBe(3);
    await eng.threadsReady();
    expect(engineInfo()).toMatchObject({ threads: 3, helpers: 2, waiting: "wait" });
    eng.setThreads(1);
    expect(engineInfo()).toMatchObject({ threads: 1, waiting: null, note: "one thread was asked for" });
    eng.setThreads(info.threads);
    await init({ threads: 2 }); // a plain init() with threads alone applies to the engine
    expect(getEngine()).toBe(eng);
    expect(eng.threads).toBe(2);
    eng.setThreads(info.threads);
    expect(() => eng.setThreads(0)).toThrow(/threads must be a whole number/);
    await expect(init({ threads: 1.5 })).rejects.toThrow(/threads must be a whole number in \[1, 64\]/);
  });

  it("helpers start under `node --input-type=module -e` (a worker evaluating source inherits the process's flags)", () => {
    // The helper's source is CommonJS; with the parent's execArgv a Node worker would evaluate it
    // as a module and die on `require` (found by the graph-gsqueak benchmark's child process).
    const dist = pathToFileURL(join(process.cwd(), "dist/node/index.js")).href;
    const script = `import { init, engineInfo, linalg, Matrix } from ${JSON.stringify(dist)};
      const eng = await init({ threads: 2 });
      await eng.threadsReady(30000);
      const n = 256, a = new Matrix(n, n, Float64Array.from({ length: n * n }, (_, i) => (i % 7) - 3));
      const c = linalg.matmul(a, a);
      console.log(JSON.stringify({ helpers: engineInfo().helpers, threads: engineInfo().threads, c0: c.get(0, 0) }));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(out).toMatchObject({ helpers: 1, threads: 2 });
    let ref = 0;
    for (let k = 0; k < 256; k++) ref += ((k % 7) - 3) * (((k * 256) % 7) - 3);
    expect(out.c0).toBe(ref);
  });

  it("the single-threaded module runs on one thread and says so", () => {
    const e = engineFromModule(singleModule, { threads: 4 });
    expect(e.threads).toBe(1);
    expect(e.setThreads(8)).toBe(1);
    expect(e.threadInfo()).toMatchObject({ threads: 1, helpers: 0, module: "single", waiting: null });
    expect(e.threadInfo().note).toMatch(/single-threaded build/);
  });
});

describe("merge trees use the threads of idle workers", () => {
  it("each task's hint is the executor's size over the nodes of its level; withThreads raises, then restores", async () => {
    const { runMergeTree } = await import("../sdk/parallel/tree.js");
    const { withThreads } = await import("../sdk/engine/index.js");
    const seen: Array<[number, number]> = [];
    const executor = {
      size: 4,
      async run<O>(_task: string, input: unknown): Promise<O> {
        const i = input as { level: number; threads: number };
        seen.push([i.level, i.threads]);
        return 0 as O;
      },
    };
    await runMergeTree(executor, { leaves: Array.from({ length: 8 }, (_, i) => i), leafTask: "l", mergeTask: "m", seed: 1 });
    const byLevel = new Map<number, Set<number>>();
    for (const [l, t] of seen) byLevel.set(l, (byLevel.get(l) ?? new Set()).add(t));
    expect([...byLevel].sort((a, b) => a[0] - b[0]).map(([l, t]) => [l, [...t]])).toEqual([[0, [1]], [1, [1]], [2, [2]], [3, [4]]]);

    const eng = await init();
    const before = eng.threads;
    expect(withThreads(before + 1, () => eng.threads)).toBe(before + 1);
    expect(eng.threads).toBe(before);
    expect(withThreads(1, () => eng.threads), "never lowers").toBe(before);
    expect(() => withThreads(before + 1, () => { throw new Error("boom"); })).toThrow("boom");
    expect(eng.threads, "restored after a throw").toBe(before);
  });
});
