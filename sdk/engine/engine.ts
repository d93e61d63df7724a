// The Engine: one instantiated seqlearn module, its memory, and the marshalling that lets
// the domain folders call exports with typed arrays instead of addresses.
import "./polyfill.js";
import type { WasmExports } from "./abi.js";
import { EngineStateError, EngineTrapError, ValueError } from "./errors.js";

/** Largest single block the engine's allocator can hand out (its size classes stop at 1 GiB);
 *  larger requests are rejected before reaching the module. */
const MAX_BLOCK_BYTES = 2 ** 30 - 64;

type Typed = Float64Array | Int32Array | Uint32Array | Uint8Array;
type TypedCtor = Float64ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor | Uint8ArrayConstructor;

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
    this.generation = engine.generation;
    this.ptr = engine.allocBytes(length * ctor.BYTES_PER_ELEMENT);
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
    if (this.freed) throw new EngineStateError("this WasmBuffer was disposed");
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

/** Argument descriptors for Engine.call: copy-in, copy-out, in-out and scratch blocks. */
export type Arg = number | boolean | In | Out | InOut | Scratch | WasmBuffer<Typed>;
class In { constructor(readonly data: Typed) {} }
class Out { constructor(readonly ctor: TypedCtor, readonly length: number, readonly into?: Typed) {} }
class InOut { constructor(readonly data: Typed) {} }
class Scratch { constructor(readonly bytes: number) {} }

/** Copy a typed array into engine memory for the call. */
export const input = (data: Typed): In => new In(data);
/** Allocate an f64 output of `length` (or write into `into`) and return it after the call. */
export const output = (length: number, into?: Float64Array): Out => new Out(Float64Array, length, into);
/** Allocate an i32 output. */
export const outputI32 = (length: number): Out => new Out(Int32Array, length);
/** Copy in, let the export modify it, copy back into the same array. */
export const inout = (data: Typed): InOut => new InOut(data);
/** Uninitialised f64 workspace of `length` elements. */
export const scratch = (length: number): Scratch => new Scratch(length * 8);

export interface CallResult {
  /** The export's return value (a status code for most numeric exports). */
  ret: number;
  /** The Out arguments, in order. */
  out: Typed[];
}

export type Instantiator = () => WebAssembly.Instance;

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
  private live = new Set<number>();

  /** @internal use init() / initSync() */
  constructor(instantiate: Instantiator, origin: string) {
    this.instantiate = instantiate;
    this.origin = origin;
    this.exports = instantiate().exports as unknown as WasmExports;
  }

  /** Bytes of linear memory currently reserved by the module. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Number of blocks currently allocated from JavaScript (leak checks). */
  get liveAllocations(): number {
    return this.live.size;
  }

  /** Allocate an engine-owned f64 block. */
  f64(length: number): WasmBuffer<Float64Array> {
    return new WasmBuffer<Float64Array>(this, Float64Array, length);
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
    let ptr: number;
    try {
      ptr = this.exports.mem_alloc(Math.max(16, bytes)) >>> 0;
    } catch (err) {
      // Out of memory (memory.grow refused) traps inside the allocator: start afresh.
      this.reset();
      throw new EngineTrapError(`the engine trapped allocating ${bytes} bytes (${(err as Error)?.message ?? err}); it has been reset`, err);
    }
    if (!ptr) throw new EngineTrapError(`engine could not allocate ${bytes} bytes`);
    this.live.add(ptr);
    return ptr;
  }
  /** @internal */
  freeBytes(ptr: number): void {
    if (this.live.delete(ptr)) this.exports.mem_free(ptr);
  }

  /** Extra information the last export recorded with its status (pivot, iterations...). */
  statusArgs(): [number, number] {
    return [this.exports.status_arg(), this.exports.status_arg2()];
  }

  /** Call an export by name. Typed-array arguments are wrapped with input / output /
   *  inout / scratch; WasmBuffers are passed in place; numbers and booleans as scalars.
   *  Every temporary block is freed before returning, also when the call throws. */
  call(name: string, ...args: Arg[]): CallResult {
    const fn = this.exports[name];
    if (typeof fn !== "function") throw new EngineStateError(`the engine has no export named ${name}`);
    const temps: number[] = [];
    const outs: Array<{ ptr: number; arg: Out }> = [];
    const inouts: Array<{ ptr: number; arg: InOut }> = [];
    const raw: number[] = new Array(args.length);
    const seen = new Map<In | InOut, number>();
    let ret: number;
    const gen = this.generation;
    try {
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (typeof a === "number") raw[i] = a;
        else if (typeof a === "boolean") raw[i] = a ? 1 : 0;
        else if (a instanceof WasmBuffer) {
          if (a.engine !== this) throw new EngineStateError(`argument ${i} of ${name} is a WasmBuffer of another engine`);
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
          outs.push({ ptr, arg: a });
        } else if (a instanceof Scratch) {
          const ptr = this.allocBytes(a.bytes);
          temps.push(ptr);
          raw[i] = ptr;
        } else {
          throw new EngineStateError(`argument ${i} of ${name} is not a valid engine argument`);
        }
      }
      try {
        ret = (fn as (...x: number[]) => number)(...raw) as number;
      } catch (err) {
        this.reset();
        throw new EngineTrapError(`the engine trapped in ${name}: ${(err as Error)?.message ?? err}; it has been reset`, err);
      }
      const buf = this.exports.memory.buffer;
      const out: Typed[] = [];
      for (const { ptr, arg } of outs) {
        const src = new arg.ctor(buf, ptr, arg.length);
        if (arg.into) {
          arg.into.set(src);
          out.push(arg.into);
        } else out.push(src.slice());
      }
      for (const { ptr, arg } of inouts) {
        const n = arg.data.length;
        const ctor = arg.data.constructor as TypedCtor;
        arg.data.set(new ctor(buf, ptr, n));
      }
      return { ret: typeof ret === "number" ? ret : 0, out };
    } finally {
      if (this.generation === gen) for (const p of temps) this.freeBytes(p);
    }
  }

  /** Re-instantiate the module with fresh memory (after a trap). Outstanding buffers from
   *  before become invalid and say so when used. */
  reset(): void {
    this.generation++;
    this.live.clear();
    this.exports = this.instantiate().exports as unknown as WasmExports;
  }
}
