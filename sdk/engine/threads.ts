// The engine's helper threads (the JavaScript side of assembly/core/threads.ts).
//
// A threaded engine instantiates build/seqlearn.threads.wasm on a shared WebAssembly.Memory
// created here; each helper is a worker that instantiates the same compiled module on the same
// memory and calls `thread_run`, where it sleeps until a kernel on the engine's thread forks
// work. Helpers never allocate and never call anything but `thread_run`; the engine's thread
// (the one that calls `Engine.call`) keeps doing everything it did before, and waits inside the
// kernel for the helpers' share. So the SDK's API stays synchronous, and every number is the one
// the single-threaded engine computes (docs/internals/engine-abi.md, "Threads").
//
// The helper's script is the short source below, started from text (Node: an `eval` worker
// thread; browsers and Deno: a module Worker from a Blob URL), so that no bundler has to find
// and emit a worker file for it.
import { ThreadControl } from "./abi.js";
import { coresSync, helpersHoldProcess, startHelperThread, type HelperWorker } from "../platform.js";

/** Most threads an engine uses (assembly/core/threads.ts, MAX_THREADS). */
export const MAX_THREADS = 64;

/** Whether this runtime can run a threaded engine, and why not when it cannot. */
export interface ThreadSupport {
  /** Shared memory and workers are available. */
  possible: boolean;
  /** Why threads are off when `possible` is false; "" otherwise. */
  reason: string;
  /** Whether this thread may block in Atomics.wait (false on a browser's main thread). */
  canBlock: boolean;
  /** Logical cores. */
  cores: number;
  /** `globalThis.crossOriginIsolated` where the runtime defines it (browsers), else null. */
  crossOriginIsolated: boolean | null;
}

type G = {
  SharedArrayBuffer?: unknown;
  Worker?: unknown;
  crossOriginIsolated?: boolean;
  document?: unknown;
  importScripts?: unknown;
  Deno?: unknown;
  process?: { versions?: { node?: string } };
};

/** What this runtime allows (computed once). */
export function threadSupport(): ThreadSupport {
  if (cachedSupport) return cachedSupport;
  const g = globalThis as G;
  const node = !!g.process?.versions?.node && !g.Deno;
  const coi = typeof g.crossOriginIsolated === "boolean" ? g.crossOriginIsolated : null;
  const browser = typeof g.document === "object" || typeof g.importScripts === "function";
  const cores = Math.min(coresSync(), MAX_THREADS);
  let reason = "";
  if (typeof g.SharedArrayBuffer !== "function") {
    reason = browser || coi === false
      ? "the page is not cross-origin isolated, so it has no shared memory (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)"
      : "this runtime has no SharedArrayBuffer";
  } else if (browser && coi === false) {
    reason = "the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)";
  } else if (!node && typeof g.Worker !== "function") {
    reason = "this runtime has no workers (edge runtimes such as Cloudflare Workers run one thread)";
  } else {
    try {
      new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    } catch (e) {
      reason = `this runtime cannot create a shared WebAssembly.Memory (${(e as Error)?.message ?? e})`;
    }
  }
  cachedSupport = { possible: reason === "", reason, canBlock: reason === "" && blockingAllowed(), cores, crossOriginIsolated: coi };
  return cachedSupport;
}
let cachedSupport: ThreadSupport | null = null;

/** Whether Atomics.wait may block this thread (it throws on a browser's main thread). */
function blockingAllowed(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `module` is the threaded build (it imports its memory). */
export function isThreadedModule(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.module === "env" && i.name === "memory" && i.kind === "memory");
}

/** Pages of the threaded build's memory: it starts with 32 (2 MiB) and may grow to at most the
 *  maximum, which a shared memory fixes (and reserves address space for) up front. */
const INITIAL_PAGES = 32;
const MAXIMUM_PAGES = [65536, 32768, 16384, 8192];

/** A new shared memory for one instance of the threaded build: 4 GiB of maximum, or less where
 *  the runtime refuses to reserve that much address space. */
export function sharedMemory(): WebAssembly.Memory {
  let last: unknown = null;
  for (const maximum of MAXIMUM_PAGES) {
    try {
      return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum, shared: true } as WebAssembly.MemoryDescriptor);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/** How long an idle helper stays in Deno, where a live worker keeps the process alive: it leaves
 *  after this long without work (the engine starts it again when it next has some), so a script
 *  exits about this long after its last call. Elsewhere helpers stay until the engine goes. */
const DENO_IDLE_MS = 200;

// The helper's script. It runs in a Node worker thread (CommonJS: `require`, no `self`) or in a
// Web Worker (`self`). Messages: { type: "run", module, memory, control, idleMs } → instantiate
// the module on the memory and stay in thread_run until it returns; then, if the engine asked
// the helpers to quit (a new memory comes next), wait for the next "run", else (idle) close.
// A trap sets the ERROR bit of the control block's DONE word, so the engine's thread, waiting
// in a kernel, traps too (and the engine resets), and reports its message.
const HELPER_SOURCE = `"use strict";
const node = typeof self === "undefined";
const port = node ? require("worker_threads").parentPort : null;
const post = (m) => (node ? port.postMessage(m) : self.postMessage(m));
const onMessage = (fn) => (node ? port.on("message", fn) : self.addEventListener("message", (e) => fn(e.data)));
onMessage((msg) => {
  if (!msg || msg.type !== "run") return;
  const { module, memory, control, idleMs } = msg;
  let id = 0;
  try {
    const imports = { env: { memory, abort() { throw new Error("the engine aborted in a helper thread"); } } };
    id = new WebAssembly.Instance(module, imports).exports.thread_run(control, idleMs);
  } catch (e) {
    const done = new Int32Array(memory.buffer, control + ${ThreadControl.DONE}, 1);
    Atomics.or(done, 0, ${ThreadControl.ERROR});
    Atomics.notify(done, 0);
    post({ type: "trapped", message: String((e && e.message) || e) });
    return;
  }
  const quit = Atomics.load(new Int32Array(memory.buffer, control + ${ThreadControl.QUIT}, 1), 0) !== 0;
  if (quit && id !== 0) return post({ type: "left", id });
  post({ type: "closed", id });
  if (node) port.close(); else self.close();
});
`;

interface Binding {
  memory: WebAssembly.Memory;
  control: number;
}

interface Helper {
  worker: HelperWorker;
  gone: boolean;
}

/** The helper workers of one engine. */
export class HelperThreads {
  private readonly helpers = new Set<Helper>();
  private binding: Binding | null = null;
  private readonly idleMs = helpersHoldProcess() ? DENO_IDLE_MS : 0;
  /** Why the last helper could not be started, or "". */
  startError = "";
  /** Message of the last helper that trapped, or "". */
  lastTrap = "";

  constructor(private readonly module: WebAssembly.Module) {}

  /** Helpers started and not gone (some may still be starting). */
  get count(): number {
    return this.helpers.size;
  }

  /** Move every helper to a new memory (a new instance of the engine): they leave thread_run on
   *  the old one (the engine called threads_stop there) and enter it on the new one. */
  bind(memory: WebAssembly.Memory, control: number): void {
    this.binding = { memory, control };
    for (const h of this.helpers) this.run(h);
  }

  /** Start helpers until there are `n`. Returns false (and sets startError) if one cannot start. */
  ensure(n: number): boolean {
    while (this.helpers.size < n) {
      const h: Helper = { worker: null as unknown as HelperWorker, gone: false };
      try {
        h.worker = startHelperThread(HELPER_SOURCE, (m) => this.message(h, m));
      } catch (e) {
        this.startError = `could not start a helper thread (${(e as Error)?.message ?? e})`;
        return false;
      }
      this.helpers.add(h);
      if (this.binding) this.run(h);
    }
    return true;
  }

  /** Terminate every helper. */
  close(): void {
    for (const h of this.helpers) {
      h.gone = true;
      h.worker.terminate();
    }
    this.helpers.clear();
  }

  private run(h: Helper): void {
    const b = this.binding!;
    h.worker.post({ type: "run", module: this.module, memory: b.memory, control: b.control, idleMs: this.idleMs });
  }

  private message(h: Helper, m: unknown): void {
    const msg = m as { type?: string; message?: string };
    if (msg?.type === "closed" || msg?.type === "trapped") {
      if (msg.type === "trapped") {
        this.lastTrap = msg.message ?? "";
        h.worker.terminate();
      }
      h.gone = true;
      this.helpers.delete(h);
    }
  }
}
