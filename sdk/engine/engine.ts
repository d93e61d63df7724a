// The Engine: one instantiated seqlearn module, its memory, and the marshalling that lets
// the domain folders call exports with typed arrays and named arguments instead of addresses.
// The names and types of the arguments come from sdk/engine/abi.ts, generated from assembly/.
import "./polyfill.js";
import { ABI_PARAMS, ABI_OPTIONAL, ABI_UNSIGNED, ThreadControl, type AbiArgs, type AbiReturns, type ExportName, type WasmExports } from "./abi.js";
import { EngineMemoryError, EngineStateError, EngineTrapError, ValueError } from "./errors.js";
import { disposedError } from "./resource.js";
import { HelperThreads, MAX_THREADS, threadSupport } from "./threads.js";

/** Largest single block the engine's allocator can hand out (its size classes stop at 1 GiB);
 *  larger requests are rejected before reaching the module. */
const MAX_BLOCK_BYTES = 2 ** 30 - 64;

/** The default ceiling on the bytes held by live engine blocks: 2 GiB (half of what a 32-bit
 *  WebAssembly memory can address). Past it, an allocation raises EngineMemoryError. */
export const DEFAULT_MEMORY_LIMIT = 2 ** 31;

/** An engine whose memory has grown past this size and that has gone IDLE_MS without a call
 *  gives the memory back (releaseMemory) when it holds no live block. */
const IDLE_RELEASE_BYTES = 256 * 2 ** 20;
const IDLE_MS = 1000;

const clock = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** Bytes as "12.3 MiB". */
function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 1)} MiB`;
}

/** The typed arrays that cross the boundary. */
export type Typed = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;
type TypedCtor = Float64ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor | Uint8ArrayConstructor;

/** A block of engine memory owned by JavaScript. Its `view` is re-created whenever the
 *  Wasm memory grows, so it never goes stale. Free it with dispose() (or `using`). */
export class WasmBuffer<T extends Typed = Float64Array> {
  /** @internal */ readonly ptr: number;
  /** Number of elements. */
  readonly length: number;
  private readonly ctor: TypedCtor;
  private readonly generation: number;
  private cached: T | null = null;
  private cachedBuffer: ArrayBuffer | null = null;
  private freed = false;

  /** @internal
   * @param engine The engine whose memory holds the block. */
  constructor(readonly engine: Engine, ctor: TypedCtor, length: number) {
    if (!Number.isSafeInteger(length) || length < 0 || length * ctor.BYTES_PER_ELEMENT > MAX_BLOCK_BYTES) {
      throw new ValueError(`WasmBuffer length must be an integer in [0, ${Math.floor(MAX_BLOCK_BYTES / ctor.BYTES_PER_ELEMENT)}], got ${length}`);
    }
    this.ctor = ctor;
    this.length = length;
    this.ptr = engine.allocBytes(length * ctor.BYTES_PER_ELEMENT);
    this.generation = engine.generation;
    registry?.register(this, { engine, ptr: this.ptr, generation: this.generation }, this);
  }

  /** A typed-array view of the block (valid until the next call that may grow memory;
   *  read `view` again rather than keeping it). */
  get view(): T {
    this.check();
    const buf = this.engine.exports.memory.buffer as ArrayBuffer;
    if (this.cached === null || this.cachedBuffer !== buf) {
      this.cached = new this.ctor(buf, this.ptr, this.length) as T;
      this.cachedBuffer = buf;
    }
    return this.cached;
  }

  /** Copy `src` into the block (at element offset `offset`). */
  set(src: ArrayLike<number>, offset = 0): this {
    this.view.set(src, offset);
    return this;
  }

  /** A JavaScript-owned copy of the contents. */
  toArray(): T {
    return this.view.slice() as T;
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.freed;
  }

  /** @internal */ check(): void {
    if (this.freed) throw disposedError("WasmBuffer");
    if (this.generation !== this.engine.generation) {
      throw new EngineStateError("this WasmBuffer belonged to an engine instance that was reset after a trap; its contents are gone");
    }
  }

  /** Free the block. Safe to call twice; using the buffer afterwards raises EngineStateError. */
  dispose(): void {
    if (this.freed) return;
    this.freed = true;
    registry?.unregister(this);
    if (this.generation === this.engine.generation) this.engine.freeBytes(this.ptr);
  }

  /** Same as dispose(), for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

interface Held { engine: Engine; ptr: number; generation: number }
const registry: FinalizationRegistry<Held> | null = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<Held>((h) => {
    // A buffer that was garbage-collected without dispose(): return its memory.
    if (h.generation === h.engine.generation) h.engine.freeBytes(h.ptr);
  })
  : null;

// Argument descriptors for Engine.call: copy-in, copy-out, in-out and scratch blocks.
class In<T extends Typed> {
  private declare readonly brand: "in";
  constructor(readonly data: T) {}
}
class Out<T extends Typed> {
  private declare readonly brand: "out";
  constructor(readonly ctor: TypedCtor, readonly length: number, readonly into?: T) {}
}
class InOut<T extends Typed> {
  private declare readonly brand: "inout";
  constructor(readonly data: T) {}
}
class Scratch {
  private declare readonly brand: "scratch";
  constructor(readonly bytes: number) {}
}

/** What an address parameter of element type T accepts: a WasmBuffer (passed in place) or a
 *  descriptor that Engine.call turns into a temporary block (f64 scratch only for f64). */
export type Ptr<T extends Typed> = WasmBuffer<T> | In<T> | Out<T> | InOut<T> | (Float64Array extends T ? Scratch : never);

/** Any argument value (what the generated AbiArgs types are made of). */
export type Arg = number | boolean | null | undefined | Ptr<Typed>;

/** Copy a typed array into engine memory for the call. */
export const input = <T extends Typed>(data: T): In<T> => new In(data);
/** Allocate an f64 output of `length` (or write into `into`) and return it after the call. */
export const output = (length: number, into?: Float64Array): Out<Float64Array> => new Out(Float64Array, length, into);
/** Allocate an f32 output of `length` (or write into `into`). */
export const outputF32 = (length: number, into?: Float32Array): Out<Float32Array> => new Out(Float32Array, length, into);
/** Allocate an i32 output. */
export const outputI32 = (length: number): Out<Int32Array> => new Out(Int32Array, length);
/** Allocate a u32 output. */
export const outputU32 = (length: number): Out<Uint32Array> => new Out(Uint32Array, length);
/** Copy in, let the export modify it, copy back into the same array. */
export const inout = <T extends Typed>(data: T): InOut<T> => new InOut(data);
/** Uninitialised f64 workspace of `length` elements. */
export const scratch = (length: number): Scratch => new Scratch(length * 8);

/** The array an output() given for an address parameter comes back as. */
type ElementOf<P> = P extends Out<infer T> ? T : never;
/** The address parameters of an export. */
type PtrParams<K extends ExportName> = { [P in keyof AbiArgs[K]]-?: NonNullable<AbiArgs[K][P]> extends number | boolean ? never : P }[keyof AbiArgs[K]];

/** What Engine.call returns: the export's return value and the blocks passed as output(). */
export class CallResult<K extends ExportName> {
  /** @internal */
  constructor(
    /** The export's return value (a status code for most numeric exports). */
    readonly ret: AbiReturns[K],
    private readonly outs: ReadonlyMap<string, Typed>,
    private readonly name: K,
  ) {}

  /** The contents of the argument `param` after the call; it must have been an output(). */
  output<P extends PtrParams<K>>(param: P): ElementOf<NonNullable<AbiArgs[K][P]>> {
    const v = this.outs.get(param as string);
    if (v === undefined) throw new EngineStateError(`${this.name}: argument ${String(param)} was not an output() of the call`);
    return v as ElementOf<NonNullable<AbiArgs[K][P]>>;
  }
}

const UNSIGNED: ReadonlySet<string> = new Set(ABI_UNSIGNED);
const NO_OUTPUTS: ReadonlyMap<string, Typed> = new Map();

export type Instantiator = () => WebAssembly.Instance;

/** What an engine built from the threaded module needs to run helper threads. @internal */
export interface EngineThreading {
  /** The compiled threaded module (each helper instantiates it on the engine's memory). */
  module: WebAssembly.Module;
  /** Threads to use at first (the engine's thread included). */
  threads: number;
}

/** How an engine runs its kernels: how many threads, and why. */
export interface EngineThreadInfo {
  /** Threads the kernels use, the calling one included (1 when single-threaded). */
  threads: number;
  /** Helper threads running and taking part (threads − 1 once they have all started). */
  helpers: number;
  /** Which build of the module the engine runs: "threads" (shared memory), or "single". */
  module: "threads" | "single";
  /** Why the engine runs on one thread, or how it waits for its helpers; always set. */
  note: string;
  /** How the calling thread waits for the helpers: "wait" (sleeps, Atomics.wait) or "spin"
   *  (a browser's main thread, which may not sleep); null when single-threaded. */
  waiting: "wait" | "spin" | null;
}

/** One instance of the seqlearn WebAssembly module: its memory, allocations and exports.
 * `init()` creates the default engine that every SDK function uses; `getEngine()` returns it.
 * After a trap the engine re-instantiates the module with fresh memory and keeps working. */
export class Engine {
  /** @internal */ exports!: WasmExports;
  /** Incremented every time the engine is re-instantiated after a trap. */
  generation = 0;
  /** Human-readable description of where the module came from. */
  readonly origin: string;
  private readonly instantiate: Instantiator;
  /** Live blocks: address → bytes asked for. */
  private live = new Map<number, number>();
  private liveTotal = 0;
  private limit = DEFAULT_MEMORY_LIMIT;
  private readonly initialBytes: number;
  private lastUse = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** Helper threads (threaded module only). */
  private readonly helpers: HelperThreads | null;
  private threadCount = 1;
  private threadNote: string;
  private grain = 0;

  /** @internal use init() / initSync() */
  constructor(instantiate: Instantiator, origin: string, threading?: EngineThreading, note = "") {
    this.instantiate = instantiate;
    this.origin = origin;
    this.helpers = threading ? new HelperThreads(threading.module) : null;
    this.threadNote = note || (threading ? "" : "the engine runs the single-threaded module");
    this.exports = instantiate().exports as unknown as WasmExports;
    this.initialBytes = this.memoryBytes;
    this.bindThreads(null);
    if (threading) this.setThreads(threading.threads);
  }

  /** Threads the kernels use, the calling thread included (1 for the single-threaded module).
   *  Results never depend on it: every kernel splits its work so that each number is computed
   *  by one thread in the order one thread would use (docs/internals/determinism.md). */
  get threads(): number {
    return this.threadCount;
  }

  /** Use `n` threads (1…64) from now on; returns the number the engine will use: 1 for the
   *  single-threaded module (see threadInfo().note). Helpers that are not running yet are
   *  started; until they have started, the calling thread does their share. */
  setThreads(n: number): number {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
      throw new ValueError(`threads must be a whole number ≥ 1, got ${typeof n === "number" ? n : typeof n}`);
    }
    if (!this.helpers) return 1;
    const want = Math.min(n, MAX_THREADS);
    this.threadCount = want;
    this.threadNote = n > MAX_THREADS ? `threads capped at ${MAX_THREADS}` : "";
    const support = threadSupport();
    this.exports.threads_config(want, support.canBlock ? 1 : 0, this.grain);
    if (want > 1 && !this.helpers.ensure(want - 1)) this.threadNote = this.helpers.startError;
    return want;
  }

  /** How the engine runs its kernels: threads, helpers running, which module, and why. */
  threadInfo(): EngineThreadInfo {
    const helpers = this.helpers ? Math.min(this.exports.threads_registered(), this.threadCount - 1) : 0;
    const threaded = !!this.helpers;
    let note = this.threadNote;
    if (!note) {
      note = !threaded ? "the engine runs the single-threaded module"
        : this.threadCount === 1 ? "one thread was asked for"
        : threadSupport().canBlock ? "the calling thread sleeps (Atomics.wait) while helpers finish"
        : "the calling thread is a browser's main thread, which may not sleep: it polls while helpers finish their last tasks";
    }
    return {
      threads: this.threadCount,
      helpers,
      module: threaded ? "threads" : "single",
      note,
      waiting: !threaded || this.threadCount === 1 ? null : threadSupport().canBlock ? "wait" : "spin",
    };
  }

  /** Resolves once the helpers have started (at most `timeoutMs`); true if they all have. */
  async threadsReady(timeoutMs = 5000): Promise<boolean> {
    const t0 = clock();
    while (this.helpers && this.exports.threads_registered() < this.threadCount - 1) {
      // Helpers that left (after a trap, or idle in Deno) are started again.
      if (clock() - t0 > timeoutMs || !this.helpers.ensure(this.threadCount - 1)) return false;
      await new Promise((r) => setTimeout(r, 2));
    }
    return true;
  }

  /** Work per task of the threaded kernels, in multiply-adds (0: the default, 2·10⁶). Tests set
   *  it small, so that every kernel splits into many tasks. Never changes a result.
   *  @internal */
  set threadGrain(units: number) {
    this.grain = units > 0 ? units : 0;
    if (this.helpers) this.exports.threads_config(this.threadCount, threadSupport().canBlock ? 1 : 0, this.grain);
  }

  /** Stop the helper threads (the engine keeps working on one thread until setThreads). */
  stopThreads(): void {
    if (!this.helpers) return;
    this.exports.threads_stop();
    this.helpers.close();
    this.threadCount = 1;
    this.threadNote = "the helper threads were stopped (stopThreads)";
    this.exports.threads_config(1, threadSupport().canBlock ? 1 : 0, this.grain);
  }

  /** After a new instance: move the helpers to its memory (the previous instance's helpers are
   *  told to leave it). */
  private bindThreads(previous: WasmExports | null): void {
    if (!this.helpers) return;
    previous?.threads_stop();
    this.exports.threads_config(this.threadCount, threadSupport().canBlock ? 1 : 0, this.grain);
    this.helpers.bind(this.exports.memory, this.exports.threads_control() >>> 0);
  }

  /** Bytes of linear memory currently reserved by the module. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Number of blocks currently allocated from JavaScript (leak checks). */
  get liveAllocations(): number {
    return this.live.size;
  }

  /** Bytes held by the live blocks (what `memoryLimit` bounds). */
  get liveBytes(): number {
    return this.liveTotal;
  }

  /** Ceiling on the bytes live blocks may hold together (default DEFAULT_MEMORY_LIMIT, 2 GiB):
   *  an allocation that would pass it raises EngineMemoryError instead of growing the memory.
   *  Set it to a number of bytes (at least 1 MiB). */
  get memoryLimit(): number {
    return this.limit;
  }
  /** Set the ceiling, in bytes (a whole number ≥ 1 MiB). */
  set memoryLimit(bytes: number) {
    if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes < 2 ** 20) {
      throw new ValueError(`memoryLimit must be a whole number of bytes ≥ 1 MiB (${2 ** 20}), got ${typeof bytes === "number" ? bytes : typeof bytes}`);
    }
    this.limit = bytes;
  }

  /** Give the memory back: when no block is allocated, re-instantiate the module with its
   *  initial memory (a WebAssembly memory can grow but never shrink, so this is the only way).
   *  Returns the bytes released (0 when a block is still live, or nothing to release). The
   *  engine also does this by itself after a second without calls, once its memory has grown
   *  past 256 MiB. */
  releaseMemory(): number {
    if (this.live.size > 0) return 0;
    const before = this.memoryBytes;
    if (before <= this.initialBytes) return 0;
    const previous = this.exports;
    this.exports = this.instantiate().exports as unknown as WasmExports;
    this.bindThreads(previous);
    return before - this.memoryBytes;
  }

  /** Remember the time of the last call, and watch for an idle engine holding a lot of memory. */
  private used(): void {
    this.lastUse = clock();
    if (this.idleTimer === null && this.memoryBytes > IDLE_RELEASE_BYTES) this.scheduleIdleRelease(IDLE_MS);
  }

  private scheduleIdleRelease(ms: number): void {
    if (typeof setTimeout !== "function") return;
    const t = setTimeout(() => {
      this.idleTimer = null;
      const quiet = clock() - this.lastUse;
      if (quiet < IDLE_MS) this.scheduleIdleRelease(IDLE_MS - quiet);
      else this.releaseMemory();
    }, ms);
    // The timer must never keep a process alive on its own (Node, Deno).
    (t as { unref?: () => void }).unref?.();
    (globalThis as { Deno?: { unrefTimer?(id: unknown): void } }).Deno?.unrefTimer?.(t);
    this.idleTimer = t;
  }

  /** Allocate an engine-owned f64 block. */
  f64(length: number): WasmBuffer<Float64Array> {
    return new WasmBuffer<Float64Array>(this, Float64Array, length);
  }
  /** Allocate an engine-owned f32 block (neural-network parameters and activations). */
  f32(length: number): WasmBuffer<Float32Array> {
    return new WasmBuffer<Float32Array>(this, Float32Array, length);
  }
  /** Allocate an engine-owned i32 block. */
  i32(length: number): WasmBuffer<Int32Array> {
    return new WasmBuffer<Int32Array>(this, Int32Array, length);
  }
  /** Allocate an engine-owned u8 block. */
  u8(length: number): WasmBuffer<Uint8Array> {
    return new WasmBuffer<Uint8Array>(this, Uint8Array, length);
  }

  /** @internal */
  allocBytes(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > MAX_BLOCK_BYTES) {
      throw new ValueError(`cannot allocate ${bytes} bytes of engine memory: a block holds at most ${MAX_BLOCK_BYTES} bytes`);
    }
    if (this.liveTotal + bytes > this.limit) {
      throw new EngineMemoryError(
        `engine memory limit reached: ${mib(bytes)} more are needed, but ${this.live.size} live blocks already hold ${mib(this.liveTotal)} ` +
        `(limit ${mib(this.limit)}). Objects that own engine memory (Squeak, InkEstimate, RlsEstimator, KrrAccumulator, PreferenceGame, ` +
        "Rng, WasmBuffer, ...) keep it until dispose(): dispose the ones you are done with, or declare them with `using`; objects " +
        "dropped without dispose() are freed only after garbage collection, once the event loop turns (never inside a synchronous " +
        "loop). To allow more, raise the limit: init({ memoryLimit }) or getEngine().memoryLimit = bytes",
        { requested: bytes, liveBytes: this.liveTotal, liveBlocks: this.live.size, limit: this.limit },
      );
    }
    let ptr: number;
    try {
      ptr = this.exports.mem_alloc(Math.max(16, bytes)) >>> 0;
    } catch (err) {
      // Out of memory (memory.grow refused) traps inside the allocator: start afresh.
      this.reset();
      throw new EngineTrapError(`the engine trapped allocating ${bytes} bytes (${(err as Error)?.message ?? err}); it has been reset`, err);
    }
    if (!ptr) throw new EngineTrapError(`engine could not allocate ${bytes} bytes`);
    this.live.set(ptr, bytes);
    this.liveTotal += bytes;
    return ptr;
  }
  /** @internal */
  freeBytes(ptr: number): void {
    const bytes = this.live.get(ptr);
    if (bytes === undefined) return;
    this.live.delete(ptr);
    this.liveTotal -= bytes;
    this.exports.mem_free(ptr);
    this.used();
  }

  /** Extra information the last export recorded with its status (pivot, iterations...).
   *  @internal part of the engine ABI (docs/internals/engine-abi.md), like `call`. */
  statusArgs(): [number, number] {
    return [this.exports.status_arg(), this.exports.status_arg2()];
  }

  /** Call an export with named arguments (their names and types: AbiArgs in abi.ts, generated
   *  from the export's signature in assembly/). Typed arrays are wrapped with input / output /
   *  inout / scratch; WasmBuffers are passed in place; numbers and booleans as scalars; an
   *  optional address left out (or null) is passed as 0. The same input / inout descriptor
   *  given for two parameters is copied once and passed as one address. Every temporary block
   *  is freed before returning, also when the call throws; a trap resets the engine.
   *
   *  @internal The ABI is generated from assembly/ and changes with it, so it is not part of
   *  the public API (docs/internals/engine-abi.md describes it for contributors); the SDK's
   *  functions are the way in. */
  call<K extends ExportName>(name: K, args: AbiArgs[K]): CallResult<K> {
    const fn = (this.exports as unknown as Record<string, unknown>)[name];
    const params = ABI_PARAMS[name] as readonly string[] | undefined;
    // Helpers that left (idle in Deno, or after a trap) are started again.
    if (this.helpers && this.helpers.count < this.threadCount - 1) this.helpers.ensure(this.threadCount - 1);
    if (typeof fn !== "function" || !params) throw new EngineStateError(`the engine has no export named ${String(name)}`);
    const given = args as unknown as Record<string, Arg>;
    if (!given || typeof given !== "object") throw new EngineStateError(`${name}: arguments must be an object of named arguments (${params.join(", ")})`);
    const keys = Object.keys(given).length;
    const temps: number[] = [];
    const outs: Array<{ ptr: number; arg: Out<Typed>; param: string }> = [];
    const inouts: Array<{ ptr: number; arg: InOut<Typed> }> = [];
    const raw: number[] = new Array(params.length);
    const seen = new Map<In<Typed> | InOut<Typed>, number>();
    let ret: number;
    const gen = this.generation;
    try {
      let matched = 0;
      for (let i = 0; i < params.length; i++) {
        const p = params[i];
        const a = given[p];
        if (a !== undefined || p in given) matched++;
        if (typeof a === "number") raw[i] = a;
        else if (typeof a === "boolean") raw[i] = a ? 1 : 0;
        else if (a === undefined || a === null) {
          if (!((ABI_OPTIONAL[name] ?? []) as readonly string[]).includes(p)) throw new EngineStateError(`${name}: argument ${p} is missing`);
          raw[i] = 0;
        } else if (a instanceof WasmBuffer) {
          if (a.engine !== this) throw new EngineStateError(`argument ${p} of ${name} is a WasmBuffer of another engine`);
          a.check();
          raw[i] = a.ptr;
        } else if ((a instanceof In || a instanceof InOut) && seen.has(a)) {
          raw[i] = seen.get(a)!; // the same descriptor twice: one copy, one address
        } else if (a instanceof In || a instanceof InOut) {
          const ptr = this.allocBytes(a.data.byteLength);
          temps.push(ptr);
          new Uint8Array(this.exports.memory.buffer, ptr, a.data.byteLength)
            .set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength));
          raw[i] = ptr;
          seen.set(a, ptr);
          if (a instanceof InOut) inouts.push({ ptr, arg: a });
        } else if (a instanceof Out) {
          const ptr = this.allocBytes(a.length * a.ctor.BYTES_PER_ELEMENT);
          temps.push(ptr);
          raw[i] = ptr;
          outs.push({ ptr, arg: a, param: p });
        } else if (a instanceof Scratch) {
          const ptr = this.allocBytes(a.bytes);
          temps.push(ptr);
          raw[i] = ptr;
        } else {
          throw new EngineStateError(`argument ${p} of ${name} is not a valid engine argument`);
        }
      }
      if (matched !== keys) {
        const unknown = Object.keys(given).filter((k) => !params.includes(k));
        throw new EngineStateError(`${name} has no parameter ${unknown.join(", ")}; its parameters are ${params.join(", ")}`);
      }
      try {
        ret = (fn as (...x: number[]) => number)(...raw) as number;
      } catch (err) {
        const inHelper = this.helperTrapped();
        this.reset();
        throw new EngineTrapError(`the engine trapped in ${name}${inHelper}: ${(err as Error)?.message ?? err}; it has been reset`, err);
      }
      const buf = this.exports.memory.buffer;
      let out = NO_OUTPUTS;
      if (outs.length) {
        const m = new Map<string, Typed>();
        for (const { ptr, arg, param } of outs) {
          const src = new arg.ctor(buf, ptr, arg.length);
          if (arg.into) {
            arg.into.set(src);
            m.set(param, arg.into);
          } else m.set(param, src.slice());
        }
        out = m;
      }
      for (const { ptr, arg } of inouts) {
        const n = arg.data.length;
        const ctor = arg.data.constructor as TypedCtor;
        arg.data.set(new ctor(buf, ptr, n));
      }
      const value = typeof ret === "number" ? (UNSIGNED.has(name) ? ret >>> 0 : ret) : 0;
      return new CallResult<K>(value as AbiReturns[K], out, name);
    } finally {
      if (this.generation === gen) for (const p of temps) this.freeBytes(p);
      this.used();
    }
  }

  /** " (in a helper thread)" when the trap came from a helper (the DONE word's ERROR bit). */
  private helperTrapped(): string {
    if (!this.helpers) return "";
    try {
      const ctl = this.exports.threads_control() >>> 0;
      const done = new Int32Array(this.exports.memory.buffer, ctl + ThreadControl.DONE, 1);
      return (Atomics.load(done, 0) & ThreadControl.ERROR) !== 0 ? ` (in a helper thread${this.helpers.lastTrap ? `: ${this.helpers.lastTrap}` : ""})` : "";
    } catch {
      return "";
    }
  }

  /** Re-instantiate the module with fresh memory (after a trap). Outstanding buffers from
   *  before become invalid and say so when used. */
  reset(): void {
    this.generation++;
    this.live.clear();
    this.liveTotal = 0;
    const previous = this.exports;
    this.exports = this.instantiate().exports as unknown as WasmExports;
    this.bindThreads(previous);
  }
}
