// Finding and instantiating the module in every runtime: Node ≥ 20, Deno 2, browsers, edge
// runtimes (bytes / Module / Response), strict CSPs (a precompiled Module), and WASI hosts.
import { Engine, type Instantiator } from "./engine.js";
import { EngineStateError, EngineTrapError, ValueError } from "./errors.js";

declare const __SEQLEARN_WASM_REL__: string | undefined;

/** Where the SIMD module lives relative to this file: the bundles in dist/ define it at
 *  build time; running from source (tests), sdk/engine/ is two levels below the root. */
const WASM_REL = typeof __SEQLEARN_WASM_REL__ === "string" ? __SEQLEARN_WASM_REL__ : "../../build/seqlearn.wasm";

/** Anything the module can be loaded from. */
export type WasmSource =
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | string
  | Response
  | PromiseLike<Response>;

/** Options of `init()` / `initSync()`: where the module comes from, extra imports, and a hook
 * called with every new instance. */
export interface InitOptions {
  /** Where to get the module; by default the copy that ships with the package. */
  source?: WasmSource;
  /** Extra imports (for a WASI build: `{ wasi_snapshot_preview1: ... }`). */
  imports?: WebAssembly.Imports;
  /** Called with each new instance (e.g. to run `wasi.initialize(instance)`). */
  onInstance?: (instance: WebAssembly.Instance) => void;
  /** Ceiling on the engine memory live objects may hold, in bytes (default 2 GiB): past it an
   *  allocation raises EngineMemoryError (see Engine.memoryLimit). */
  memoryLimit?: number;
}

let defaultEngine: Engine | null = null;
let pending: Promise<Engine> | null = null;

function envImports(getEngine: () => Engine | null): WebAssembly.Imports {
  return {
    env: {
      // AssemblyScript's abort(message, file, line, column): decode its UTF-16 strings.
      abort(msg: number, file: number, line: number, col: number): never {
        const e = getEngine();
        const text = (p: number): string => {
          if (!e || !p) return "";
          const mem = e.exports.memory.buffer;
          const len = new Uint32Array(mem, p - 4, 1)[0] >>> 1;
          return String.fromCharCode(...new Uint16Array(mem, p, Math.min(len, 1000)));
        };
        throw new EngineTrapError(`abort: ${text(msg)} at ${text(file)}:${line}:${col}`);
      },
    },
  };
}

function isNode(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; Deno?: unknown };
  return !!g.process?.versions?.node && !g.Deno;
}

type NonModuleSource = ArrayBuffer | ArrayBufferView | URL | string | Response | PromiseLike<Response>;

async function bytesFrom(source: NonModuleSource): Promise<ArrayBuffer | ArrayBufferView> {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return source;
  if (typeof source === "string" || source instanceof URL) {
    const url = source instanceof URL ? source : new URL(source, (globalThis as { location?: { href: string } }).location?.href ?? import.meta.url);
    if (url.protocol === "file:" && isNode()) {
      const fs = await import("node:fs/promises");
      return fs.readFile(url);
    }
    const g = globalThis as { Deno?: { readFile(u: URL): Promise<Uint8Array> } };
    if (url.protocol === "file:" && g.Deno) return g.Deno.readFile(url);
    const res = await fetch(url);
    if (!res.ok) throw new EngineStateError(`could not fetch the seqlearn module from ${url}: HTTP ${res.status}`);
    return res.arrayBuffer();
  }
  const res = (await source) as Response;
  if (!res || typeof (res as Response).arrayBuffer !== "function") {
    throw new ValueError("init: source must be a WebAssembly.Module, bytes, a URL or a Response");
  }
  if (!res.ok) throw new EngineStateError(`could not fetch the seqlearn module: HTTP ${res.status}`);
  return res.arrayBuffer();
}

function toBytes(b: ArrayBuffer | ArrayBufferView): Uint8Array {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Compile a module from any source (async). */
export async function compile(source?: WasmSource): Promise<WebAssembly.Module> {
  const src = source ?? new URL(WASM_REL, import.meta.url);
  if (src instanceof WebAssembly.Module) return src;
  let bytes: ArrayBuffer | ArrayBufferView;
  try {
    bytes = await bytesFrom(src as NonModuleSource);
  } catch (err) {
    if (err instanceof EngineStateError || err instanceof ValueError) throw err;
    throw new EngineStateError(`could not read the seqlearn module from ${describe(src)} (${(err as Error)?.message ?? err})`);
  }
  try {
    return await WebAssembly.compile(toBytes(bytes) as BufferSource);
  } catch (err) {
    throw new EngineStateError(`could not compile the seqlearn module from ${describe(src)} (${(err as Error)?.message ?? err}); a runtime with WebAssembly SIMD is required`);
  }
}

/** Build an engine from a compiled module (sync). Each engine has its own memory. */
export function engineFromModule(module: WebAssembly.Module, opts: Omit<InitOptions, "source"> = {}, origin = "module"): Engine {
  let eng: Engine | null = null;
  const imports = { ...envImports(() => eng), ...(opts.imports ?? {}) };
  const make: Instantiator = () => {
    const inst = new WebAssembly.Instance(module, imports);
    opts.onInstance?.(inst);
    return inst;
  };
  eng = new Engine(make, origin);
  if (opts.memoryLimit !== undefined) eng.memoryLimit = opts.memoryLimit;
  return eng;
}

/** Load the module and make it the default engine. Safe to call more than once: later calls
 *  without options return the engine from the first. */
export function init(options: InitOptions | WasmSource = {}): Promise<Engine> {
  const opts: InitOptions = isOptions(options) ? options : { source: options };
  const plain = opts.source === undefined && !opts.imports;
  if (defaultEngine && plain) {
    // A limit alone applies to the engine already loaded.
    if (opts.memoryLimit !== undefined) defaultEngine.memoryLimit = opts.memoryLimit;
    return Promise.resolve(defaultEngine);
  }
  if (pending && plain) {
    const limit = opts.memoryLimit;
    return limit === undefined ? pending : pending.then((e) => {
      e.memoryLimit = limit;
      return e;
    });
  }
  const p = (async () => {
    const mod = await compile(opts.source);
    // A plain init() that completes after an explicit init(source) / initSync(...) keeps
    // the explicit engine rather than replacing it.
    if (plain && defaultEngine) {
      if (opts.memoryLimit !== undefined) defaultEngine.memoryLimit = opts.memoryLimit;
      return defaultEngine;
    }
    defaultEngine = engineFromModule(mod, opts, describe(opts.source));
    return defaultEngine;
  })();
  if (plain) pending = p;
  p.catch(() => { if (pending === p) pending = null; });
  return p;
}

/** Synchronous initialisation from bytes or a compiled Module (workers, edge handlers). */
export function initSync(source: WebAssembly.Module | ArrayBuffer | ArrayBufferView, opts: Omit<InitOptions, "source"> = {}): Engine {
  if (!(source instanceof WebAssembly.Module || source instanceof ArrayBuffer || ArrayBuffer.isView(source))) {
    throw new ValueError("initSync: source must be a WebAssembly.Module or the module's bytes (ArrayBuffer or typed array); use `await init(...)` for URLs and Responses");
  }
  let mod: WebAssembly.Module;
  try {
    mod = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(toBytes(source) as BufferSource);
  } catch (err) {
    throw new EngineStateError(`could not compile the seqlearn module from bytes (${(err as Error)?.message ?? err}); a runtime with WebAssembly SIMD is required`);
  }
  defaultEngine = engineFromModule(mod, opts, describe(source));
  return defaultEngine;
}

/** The default engine; throws a clear error if init() has not completed. */
export function getEngine(): Engine {
  if (!defaultEngine) throw new EngineStateError("seqlearn is not initialised: call `await init()` (or initSync(bytes)) first");
  return defaultEngine;
}

/** True once init() or initSync() has completed. */
export function isInitialised(): boolean {
  return defaultEngine !== null;
}

/** The URL the default module is loaded from (useful for preloading or caching). */
export function defaultWasmUrl(): URL {
  return new URL(WASM_REL, import.meta.url);
}

function isOptions(o: unknown): o is InitOptions {
  return typeof o === "object" && o !== null && !(o instanceof WebAssembly.Module) && !(o instanceof ArrayBuffer) &&
    !ArrayBuffer.isView(o) && !(o instanceof URL) && typeof (o as Response).arrayBuffer !== "function" &&
    typeof (o as PromiseLike<unknown>).then !== "function";
}

function describe(src: unknown): string {
  if (src === undefined) return "bundled";
  if (src instanceof WebAssembly.Module) return "module";
  if (src instanceof URL || typeof src === "string") return String(src);
  if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) return "bytes";
  return "response";
}
