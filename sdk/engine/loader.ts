// Finding and instantiating the module in every runtime: Node ≥ 20, Deno 2, browsers, edge
// runtimes (bytes / Module / Response), strict CSPs (a precompiled Module), and WASI hosts.
import { Engine, type Instantiator, type EngineThreadInfo } from "./engine.js";
import { EngineStateError, EngineTrapError, ValueError } from "./errors.js";
import { packagedWasm, packagedThreadsWasm } from "./packaged.js";
import { isThreadedModule, sharedMemory, threadSupport, MAX_THREADS } from "./threads.js";
import { prepareWorkers } from "../platform.js";
import { readLocalFile } from "../platform.js";
import { GUIDE_URL } from "../version.js";

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
  /** Threads the kernels run on, the calling one included (1…64). Default: every core where
   *  threads are possible — Node, Deno, Web Workers, and pages that are cross-origin isolated
   *  (COOP/COEP headers) — and 1 elsewhere (engineInfo() says why). Results are bit-identical
   *  for any number of threads. With a `source`, threads need the threaded module
   *  (seqlearn.threads.wasm); the single-threaded one runs on one thread. */
  threads?: number;
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

type NonModuleSource = ArrayBuffer | ArrayBufferView | URL | string | Response | PromiseLike<Response>;

/** What was read, for the messages of compile(). */
interface Fetched {
  bytes: ArrayBuffer | ArrayBufferView;
  /** The content type the server declared, when the bytes came over HTTP. */
  contentType?: string | null;
}

const BUNDLERS = `${GUIDE_URL}bundlers.md`;

async function read(source: NonModuleSource): Promise<Fetched> {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return { bytes: source };
  let res: Response;
  let where = "";
  if (typeof source === "string" || source instanceof URL) {
    const url = source instanceof URL ? source : new URL(source, (globalThis as { location?: { href: string } }).location?.href ?? import.meta.url);
    if (url.protocol === "file:") return { bytes: await readLocalFile(url) };
    res = await fetch(url);
    where = ` from ${url.href}`;
  } else {
    res = (await source) as Response;
    if (!res || typeof (res as Response).arrayBuffer !== "function") {
      throw new ValueError("init: source must be a WebAssembly.Module, bytes, a URL or a Response");
    }
    if (res.url) where = ` from ${res.url}`;
  }
  if (!res.ok) {
    throw new EngineStateError(`could not fetch the seqlearn module${where}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}. ` +
      `If a bundler moved it, pass its URL to init() (see ${BUNDLERS})`);
  }
  return { bytes: await res.arrayBuffer(), contentType: res.headers?.get("content-type") };
}

function toBytes(b: ArrayBuffer | ArrayBufferView): Uint8Array {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Why `bytes` are not a WebAssembly module, in words; "" when they start like one. */
export function notWasm(bytes: Uint8Array, contentType?: string | null): string {
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d) return "";
  const head = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, 48)).replace(/\s+/g, " ").trim();
  const printable = /^[\x20-\x7e]*$/.test(head);
  const what = `${bytes.length} byte${bytes.length === 1 ? "" : "s"}${contentType ? ` of ${contentType}` : ""}`;
  const start = bytes.length === 0 ? "" : printable && head ? ` starting ${JSON.stringify(head)}` : ` starting with bytes ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ")}`;
  const page = /^<(!doctype|html|head|body|\?xml)/i.test(head) || /text\/html/i.test(contentType ?? "");
  return `got ${what}${start}, not a WebAssembly module (which starts with "\\0asm")` +
    (page ? "; the server answered with a page instead of the file (a dev server's fallback page, a wrong path or base URL)" : "");
}

/** Compile a module from any source (async). The errors say what was read and where. */
export async function compile(source?: WasmSource): Promise<WebAssembly.Module> {
  const src = source ?? packagedWasm();
  if (src instanceof WebAssembly.Module) return src;
  const named = source === undefined ? `${describe(src)} (the module shipped with the package)` : describe(src);
  let got: Fetched;
  try {
    got = await read(src as NonModuleSource);
  } catch (err) {
    if (err instanceof EngineStateError || err instanceof ValueError) throw err;
    throw new EngineStateError(`could not read the seqlearn module from ${named} (${(err as Error)?.message ?? err}). ` +
      `Pass the module's URL, bytes or a compiled WebAssembly.Module to init() (see ${BUNDLERS})`);
  }
  return compileBytes(toBytes(got.bytes), named, got.contentType);
}

function compileBytes(bytes: Uint8Array, named: string, contentType?: string | null): Promise<WebAssembly.Module> {
  const bad = notWasm(bytes, contentType);
  if (bad) throw new EngineStateError(`could not compile the seqlearn module from ${named}: ${bad}. See ${BUNDLERS}`);
  return WebAssembly.compile(bytes as BufferSource).catch((err: unknown) => {
    throw compileError(err, named);
  });
}

/** A module that is WebAssembly yet does not compile: the runtime lacks a feature (SIMD) or
 *  forbids compiling at run time (a Content-Security-Policy, an edge runtime). */
function compileError(err: unknown, named: string): EngineStateError {
  const msg = String((err as Error)?.message ?? err);
  const forbidden = /disallow|not allowed|unsafe-eval|CompileError: WebAssembly\.(compile|Module)\(\): Wasm code generation/i.test(msg);
  return new EngineStateError(`could not compile the seqlearn module from ${named} (${msg}); ` + (forbidden
    ? `this runtime forbids compiling WebAssembly at run time: give init() a compiled WebAssembly.Module (see ${BUNDLERS})`
    : `it is WebAssembly, so this runtime probably lacks WebAssembly SIMD (Chrome 91, Firefox 89, Safari 16.4, Node 16.4 or later)`));
}

/** Build an engine from a compiled module (sync). Each engine has its own memory. The threaded
 *  module (seqlearn.threads.wasm) gets a shared memory and `opts.threads` threads (default: the
 *  cores); the single-threaded one runs on one thread. */
export function engineFromModule(module: WebAssembly.Module, opts: Omit<InitOptions, "source"> = {}, origin = "module", note = ""): Engine {
  const threads = checkThreads(opts.threads);
  let eng: Engine | null = null;
  const imports = { ...envImports(() => eng), ...(opts.imports ?? {}) };
  const threaded = isThreadedModule(module);
  if (threaded) {
    const support = threadSupport();
    if (!support.possible) {
      throw new EngineStateError(`the module given to init() is the threaded build (seqlearn.threads.wasm), which needs shared memory, but ${support.reason}; give it the single-threaded build (seqlearn.wasm)`);
    }
  }
  const make: Instantiator = () => {
    const inst = new WebAssembly.Instance(module, threaded ? { ...imports, env: { ...imports.env, memory: sharedMemory() } } : imports);
    opts.onInstance?.(inst);
    return inst;
  };
  const want = threads ?? threadSupport().cores;
  if (!threaded && threads !== undefined && threads > 1 && !note) note = "the module given to init() is the single-threaded build (seqlearn.wasm); threads need seqlearn.threads.wasm";
  eng = new Engine(make, origin, threaded ? { module, threads: want } : undefined, note);
  modules.set(eng, module);
  if (opts.memoryLimit !== undefined) eng.memoryLimit = opts.memoryLimit;
  return eng;
}

function checkThreads(t: unknown): number | undefined {
  if (t === undefined) return undefined;
  if (typeof t !== "number" || !Number.isInteger(t) || t < 1 || t > MAX_THREADS) {
    throw new ValueError(`threads must be a whole number in [1, ${MAX_THREADS}], got ${typeof t === "number" ? t : typeof t}`);
  }
  return t;
}

const modules = new WeakMap<Engine, WebAssembly.Module>();

/** The compiled module an engine was made from (what a worker pool gives its workers, so
 *  that they use the module init() was given and never fetch the default URL). */
export function engineModule(engine: Engine): WebAssembly.Module | undefined {
  return modules.get(engine);
}

/** Load the module and make it the default engine. Safe to call more than once: later calls
 *  without options return the engine from the first (`threads` or `memoryLimit` alone apply to
 *  it). Without a source, the threaded module is loaded where threads are possible (shared
 *  memory and workers), else the single-threaded one; it resolves once the helper threads have
 *  started. */
export function init(options: InitOptions | WasmSource = {}): Promise<Engine> {
  const opts: InitOptions = isOptions(options) ? options : { source: options };
  const plain = opts.source === undefined && !opts.imports;
  let threads: number | undefined;
  try {
    threads = checkThreads(opts.threads);
  } catch (e) {
    return Promise.reject(e);
  }
  const adjust = (e: Engine): Engine => {
    if (opts.memoryLimit !== undefined) e.memoryLimit = opts.memoryLimit;
    if (threads !== undefined) e.setThreads(threads);
    return e;
  };
  if (defaultEngine && plain) return adjust(defaultEngine).threadsReady().then(() => defaultEngine!);
  if (pending && plain) return pending.then(async (e) => { await adjust(e).threadsReady(); return e; });
  const p = (async () => {
    const support = threadSupport();
    const want = threads ?? support.cores;
    let mod: WebAssembly.Module;
    let note = "";
    const origin = describe(opts.source);
    // Where threads are possible the threaded module is loaded even for one thread, so that
    // setThreads() can raise them later (withThreads, a pool worker's merge near the root).
    const threadsUrl = opts.source === undefined && support.possible ? packagedThreadsWasm() : null;
    if (threadsUrl) {
      try {
        mod = await compile(threadsUrl);
      } catch (e) {
        note = `could not load the threaded module (${(e as Error)?.message ?? e}); running the single-threaded one`;
        mod = await compile(undefined);
      }
    } else {
      mod = await compile(opts.source);
      if (opts.source === undefined) note = support.reason;
    }
    if (isThreadedModule(mod)) await prepareWorkers(); // Node < 20.16: worker_threads, loaded once
    // A plain init() that completes after an explicit init(source) / initSync(...) keeps
    // the explicit engine rather than replacing it.
    if (plain && defaultEngine) return adjust(defaultEngine);
    const eng = engineFromModule(mod, { ...opts, threads: want }, origin, note);
    defaultEngine = eng;
    await eng.threadsReady();
    return eng;
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
  if (source instanceof WebAssembly.Module) mod = source;
  else {
    const bytes = toBytes(source);
    const bad = notWasm(bytes);
    if (bad) throw new EngineStateError(`could not compile the seqlearn module from bytes: ${bad}. See ${BUNDLERS}`);
    try {
      mod = new WebAssembly.Module(bytes as BufferSource);
    } catch (err) {
      throw compileError(err, "bytes");
    }
  }
  defaultEngine = engineFromModule(mod, opts, describe(source));
  return defaultEngine;
}

/** What `engineInfo()` reports: how the engine runs its kernels and why, and what the runtime
 *  allows. */
export interface EngineInfo extends EngineThreadInfo {
  /** Logical cores of this machine (navigator.hardwareConcurrency, os.availableParallelism). */
  cores: number;
  /** Whether this runtime can run the threaded module (shared memory and workers). */
  threadsPossible: boolean;
  /** Why it cannot, when it cannot ("" otherwise). */
  threadsUnavailable: string;
  /** `crossOriginIsolated` in a browser (threads need it), null elsewhere. */
  crossOriginIsolated: boolean | null;
  /** Where the module came from ("bundled", a URL, "bytes", "module"). */
  origin: string;
  /** Bytes of linear memory the engine holds. */
  memoryBytes: number;
}

/** How the default engine (or `engine`) runs: its threads and helpers, which module (threaded or
 *  single-threaded), why it runs on one thread when it does, and what this runtime allows
 *  (cores, shared memory, cross-origin isolation). `seqlearn info` prints it. */
export function engineInfo(engine: Engine = getEngine()): EngineInfo {
  const support = threadSupport();
  return {
    ...engine.threadInfo(),
    cores: support.cores,
    threadsPossible: support.possible,
    threadsUnavailable: support.reason,
    crossOriginIsolated: support.crossOriginIsolated,
    origin: engine.origin,
    memoryBytes: engine.memoryBytes,
  };
}

/** Run `fn` with the default engine on at least `threads` threads, then go back to the number it
 *  had: how a task that runs alone (a merge near the root of a tree, on a pool worker whose
 *  engine has one thread) uses the cores other workers leave idle. Never lowers the engine's
 *  threads, and changes no result (results do not depend on the number of threads). */
export function withThreads<T>(threads: number | undefined, fn: () => T): T {
  const eng = getEngine();
  const before = eng.threads;
  if (threads === undefined || !(threads > before) || eng.threadInfo().module !== "threads") return fn();
  eng.setThreads(Math.min(Math.floor(threads), MAX_THREADS));
  try {
    return fn();
  } finally {
    eng.setThreads(before);
  }
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

/** The URL the default module is loaded from (useful for preloading or caching). In the
 *  workerd build, whose module is imported rather than fetched, this raises EngineStateError. */
export function defaultWasmUrl(): URL {
  const p = packagedWasm();
  if (p instanceof URL) return p;
  throw new EngineStateError("defaultWasmUrl: in this build (workerd) the module is imported as a compiled WebAssembly.Module, not fetched from a URL");
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
