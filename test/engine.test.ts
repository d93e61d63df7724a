// The engine layer: every way of loading the module, memory ownership (views across memory
// growth, dispose / using, no growth over 10,000 allocate-compute-dispose cycles), and what
// happens on a Wasm trap.
import { describe, it, expect, beforeAll, vi } from "vitest";
import { readFileSync } from "node:fs";
import {
  init, initSync, getEngine, defaultWasmUrl, linalg, rbf, Matrix, Rng,
  Engine, EngineStateError, EngineTrapError, ValueError,
} from "../sdk/index.js";

const wasmPath = new URL("../build/seqlearn.wasm", import.meta.url);
const bytes = readFileSync(wasmPath);

/** A small product the engine computes, checked against a plain triple loop. */
function checkGemm(label: string): void {
  const a = Matrix.fromRows([[1, 2, 3], [4, 5, 6]]);
  const b = Matrix.fromRows([[7, 8], [9, 10], [11, 12]]);
  expect(linalg.gemm(a, b).toArray(), label).toEqual([[58, 64], [139, 154]]);
}

describe("before init", () => {
  it("a fresh SDK instance throws EngineStateError until init() completes, then init() is idempotent", async () => {
    vi.resetModules(); // a fresh module graph: nothing initialised yet
    const S = await import("../sdk/index.js");
    expect(S.getEngine).not.toBe(getEngine); // really a separate instance
    expect(S.isInitialised()).toBe(false);
    expect(() => S.getEngine()).toThrow(S.EngineStateError);
    expect(() => S.getEngine()).toThrow(/not initialised: call `await init\(\)`/);
    expect(() => S.linalg.gemm([[1]], [[1]])).toThrow(S.EngineStateError);
    expect(() => new S.Rng(1)).toThrow(S.EngineStateError);
    expect(() => S.rbf({ gamma: 1 }).matrix([[0]])).toThrow(S.EngineStateError);
    // Concurrent and repeated calls share one engine.
    const [e1, e2] = await Promise.all([S.init(), S.init()]);
    expect(e1).toBe(e2);
    expect(await S.init()).toBe(e1);
    expect(S.getEngine()).toBe(e1);
    expect(S.isInitialised()).toBe(true);
    expect(e1.origin).toBe("bundled");
    expect(S.linalg.gemm([[2]], [[3]]).get(0, 0)).toBe(6);
  });

  it("an explicit initSync() during a pending init() wins", async () => {
    vi.resetModules();
    const S = await import("../sdk/index.js");
    const pending = S.init();
    const explicit = S.initSync(bytes);
    expect(await pending).toBe(explicit);
    expect(S.getEngine()).toBe(explicit);
  });
});

describe("loading the module", () => {
  beforeAll(async () => {
    await init();
  });

  it("init() twice returns the same engine", async () => {
    const a = await init();
    expect(await init()).toBe(a);
    expect(getEngine()).toBe(a);
  });

  const sources: Array<[string, () => unknown, RegExp]> = [
    ["bytes (Buffer / Uint8Array)", () => bytes, /^bytes$/],
    ["bytes (ArrayBuffer)", () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), /^bytes$/],
    ["a file: URL", () => defaultWasmUrl(), /^file:.*seqlearn\.wasm$/],
    ["a URL string", () => wasmPath.href, /^file:.*seqlearn\.wasm$/],
    ["a Response", () => new Response(bytes), /^response$/],
    ["a Promise of a Response", () => Promise.resolve(new Response(bytes, { headers: { "content-type": "application/wasm" } })), /^response$/],
    ["a compiled WebAssembly.Module", () => new WebAssembly.Module(bytes), /^module$/],
    ["options { source }", () => ({ source: new Response(bytes) }), /^response$/],
  ];
  for (const [label, make, origin] of sources) {
    it(`init from ${label}`, async () => {
      const before = getEngine();
      const eng = await init(make() as Parameters<typeof init>[0]);
      expect(eng).toBeInstanceOf(Engine);
      expect(eng).not.toBe(before); // a new engine with its own memory...
      expect(getEngine()).toBe(eng); // ...that became the default
      expect(eng.origin).toMatch(origin);
      checkGemm(label);
    });
  }

  it("initSync from bytes and from a compiled Module", () => {
    const e1 = initSync(bytes);
    expect(getEngine()).toBe(e1);
    checkGemm("initSync(bytes)");
    const e2 = initSync(new WebAssembly.Module(bytes));
    expect(e2).not.toBe(e1);
    expect(getEngine()).toBe(e2);
    checkGemm("initSync(module)");
  });

  it("bad sources give typed errors that say what went wrong", async () => {
    await expect(init(new Response("missing", { status: 404 }))).rejects.toThrow(/HTTP 404/);
    await expect(init(new Response("missing", { status: 404 }))).rejects.toBeInstanceOf(EngineStateError);
    await expect(init(new Uint8Array([0, 97, 115, 109, 9, 9]))).rejects.toThrow(/could not compile the seqlearn module/);
    await expect(init(new URL("file:///nonexistent/seqlearn.wasm"))).rejects.toThrow(/could not read the seqlearn module from file:\/\/\/nonexistent/);
    await expect(init(42 as never)).rejects.toBeInstanceOf(ValueError);
    expect(() => initSync("build/seqlearn.wasm" as never)).toThrow(ValueError);
    expect(() => initSync(new Uint8Array([1, 2, 3]))).toThrow(EngineStateError);
    // A failed init leaves the previous default engine in place.
    checkGemm("after failed inits");
  });
});

describe("engine memory", () => {
  let eng: Engine;
  beforeAll(async () => {
    eng = initSync(bytes); // a fresh engine with the initial memory size
  });

  it("WasmBuffer views survive memory growth", () => {
    const buf = eng.f64(1000);
    for (let i = 0; i < 1000; i++) buf.view[i] = Math.sqrt(i) - 7.5;
    const oldView = buf.view;
    const bytesBefore = eng.memoryBytes;
    const big = eng.f64(8_000_000); // 64 MB: the memory must grow
    expect(eng.memoryBytes).toBeGreaterThan(bytesBefore + 60e6);
    expect(oldView.length).toBe(0); // growth detached the old ArrayBuffer...
    const v = buf.view; // ...but the buffer hands out a fresh view
    expect(v === oldView).toBe(false);
    expect(v.length).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(v[i]).toBe(Math.sqrt(i) - 7.5);
    // Writes through the new view reach the engine: the engine sums them.
    const { ret } = eng.call("sum", { x: buf, n: 1000 });
    let want = 0;
    for (let i = 0; i < 1000; i++) want += Math.sqrt(i) - 7.5;
    expect(ret).toBeCloseTo(want, 9);
    expect(Array.from(buf.toArray())).toEqual(Array.from(v));
    big.dispose();
    buf.dispose();
  });

  it("dispose() and [Symbol.dispose] return the memory", () => {
    const live = eng.liveAllocations;
    const a = eng.f64(100);
    const b = eng.i32(7);
    expect(eng.liveAllocations).toBe(live + 2);
    a.dispose();
    expect(a.disposed).toBe(true);
    expect(eng.liveAllocations).toBe(live + 1);
    a.dispose(); // idempotent
    expect(eng.liveAllocations).toBe(live + 1);
    expect(() => a.view).toThrow(EngineStateError);
    expect(() => a.view).toThrow(/disposed/);
    expect(() => eng.call("sum", { x: a, n: 100 })).toThrow(EngineStateError);
    b[Symbol.dispose]();
    expect(eng.liveAllocations).toBe(live);
    {
      using c = eng.f64(16);
      c.set([1, 2, 3]);
      expect(eng.liveAllocations).toBe(live + 1);
    }
    expect(eng.liveAllocations).toBe(live);
    // The freed block is really free: the allocator hands the same address out again.
    const d = eng.f64(100);
    const ptr = d.ptr;
    d.dispose();
    const e = eng.f64(100);
    expect(e.ptr).toBe(ptr);
    e.dispose();
    // Objects owning engine memory follow the same protocol.
    const rng = new Rng(3);
    expect(eng.liveAllocations).toBe(live + 1);
    rng[Symbol.dispose]();
    expect(eng.liveAllocations).toBe(live);
  });

  it("bad buffer sizes are rejected before reaching the engine", () => {
    const gen = eng.generation;
    expect(() => eng.f64(-1)).toThrow(ValueError);
    expect(() => eng.f64(1.5)).toThrow(/WasmBuffer length must be an integer/);
    expect(() => eng.f64(2 ** 29)).toThrow(ValueError); // 4 GiB would wrap around a 32-bit size
    expect(eng.generation).toBe(gen);
  });

  it("10,000 allocate / compute / dispose cycles do not grow the memory after the first few", () => {
    const live = eng.liveAllocations;
    const k = rbf({ gamma: 0.3 });
    const cycle = (i: number) => {
      const n = 4 + (i % 29); // sizes vary so blocks of many sizes are freed and reused
      const a = eng.f64(n * n), b = eng.f64(n * n), c = eng.f64(n * n);
      const av = a.view, bv = b.view;
      for (let j = 0; j < n * n; j++) { av[j] = ((j * 7 + i) % 13) - 6; bv[j] = ((j * 5 + i) % 11) - 5; }
      eng.call("gemm", { transA: 0, transB: 0, m: n, n, k: n, alpha: 1, a, lda: n, b, ldb: n, beta: 0, c, ldc: n });
      if (i % 97 === 0) { // spot-check the product
        const cv = c.view, a2 = a.view, b2 = b.view; // the call may have grown the memory
        let s = 0;
        for (let t = 0; t < n; t++) s += a2[t] * b2[t * n + 1];
        expect(cv[1]).toBe(s);
      }
      a.dispose(); b.dispose(); c.dispose();
      // The SDK's own temporaries (copy-in / copy-out blocks) go through the same path.
      if (i % 10 === 0) {
        const X = new Matrix(n, 3, Float64Array.from({ length: 3 * n }, (_, j) => Math.sin(j + i)));
        const K = k.matrix(X);
        for (let t = 0; t < n; t++) K.set(t, t, K.get(t, t) + 1);
        linalg.cholesky(K);
      }
    };
    for (let i = 0; i < 60; i++) cycle(i); // warm-up: the first cycles may grow the heap
    const settled = eng.memoryBytes;
    for (let i = 60; i < 10_000; i++) cycle(i);
    expect(eng.memoryBytes).toBe(settled);
    expect(eng.liveAllocations).toBe(live);
  });
});

describe("a Wasm trap", () => {
  it("surfaces as EngineTrapError, resets the engine, and invalidates older buffers", () => {
    const eng = initSync(bytes);
    const kept = eng.f64(8).set([1, 2, 3, 4, 5, 6, 7, 8]);
    const rng = new Rng(11);
    const gen = eng.generation;
    // An out-of-bounds address: the module traps ("memory access out of bounds").
    let err: unknown;
    try {
      eng.call("dot", { x: 0xfffffff0 as never, y: kept, n: 64 }); // a raw address: only this test passes one
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineTrapError);
    expect((err as Error).message).toMatch(/trapped in dot: .*out of bounds.*it has been reset/);
    expect((err as EngineTrapError).cause).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(eng.generation).toBe(gen + 1);
    expect(eng.liveAllocations).toBe(0);
    // Buffers from before the trap refuse to be used, and say why...
    expect(() => kept.view).toThrow(EngineStateError);
    expect(() => kept.view).toThrow(/reset after a trap/);
    expect(() => kept.set([1])).toThrow(EngineStateError);
    expect(() => eng.call("sum", { x: kept, n: 8 })).toThrow(EngineStateError);
    expect(() => rng.uniform(3)).toThrow(EngineStateError);
    // ...disposing them is harmless (their memory is gone with the old instance)...
    kept.dispose();
    rng.dispose();
    expect(eng.liveAllocations).toBe(0);
    // ...and the engine keeps working, with the same results as a brand-new one.
    checkGemm("after a trap");
    const r1 = new Rng(5), u1 = r1.uniform(10);
    r1.dispose();
    initSync(bytes);
    const r2 = new Rng(5);
    expect(Array.from(r2.uniform(10))).toEqual(Array.from(u1));
    r2.dispose();
  });

  it("an allocator abort (freeing a bad address) also resets the engine", () => {
    const eng = getEngine();
    const gen = eng.generation;
    expect(() => eng.call("mem_free", { ptr: 0x100008 })).toThrow(EngineTrapError);
    expect(eng.generation).toBe(gen + 1);
    expect(() => eng.call("mem_free", { ptr: 0x100008 })).toThrow(/abort/);
    checkGemm("after an abort");
  });

  it("a buffer of another engine is refused", () => {
    const other = initSync(bytes);
    const mine = initSync(bytes);
    const b = other.f64(4);
    expect(() => mine.call("sum", { x: b, n: 4 })).toThrow(/WasmBuffer of another engine/);
    b.dispose();
  });
});
