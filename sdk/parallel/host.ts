// Starting a worker in each runtime: Node worker_threads, or Web Workers (Deno, browsers).
// Both are wrapped in the same small handle so the pool never branches on the runtime.
import type { FromWorker, ToWorker } from "./protocol.js";
import { prepareWorkers, startNodeWorker, startPackageWebWorker } from "../platform.js";

export interface WorkerHandle {
  post(msg: ToWorker, transfer?: ArrayBuffer[]): void;
  terminate(): void;
  /** Whether an idle worker may let the process exit (Node only; no-op elsewhere). */
  keepAlive(on: boolean): void;
}

export interface WorkerEvents {
  message(msg: FromWorker): void;
  /** The worker is gone (or unusable): exit code if it exited, else null. */
  died(reason: "exit" | "error" | "messageerror", detail: string, exitCode: number | null): void;
}

export { isNodeRuntime, availableCores } from "../platform.js";

/** Load what spawning needs (async once, so spawn() itself can be synchronous). */
export const prepareHost = prepareWorkers;

/** Start a worker on `url`, or on the package's worker entry when `url` is null (the web
 *  build starts it with the pattern bundlers follow: sdk/platform.web.ts). */
export function spawn(url: URL | null, events: WorkerEvents): WorkerHandle {
  const w = url ? startNodeWorker(url) : null;
  if (w) {
    let gone = false;
    const die: WorkerEvents["died"] = (r, d, c) => {
      if (gone) return;
      gone = true;
      events.died(r, d, c);
    };
    w.on("message", (m: FromWorker) => events.message(m));
    w.on("error", (e: Error) => die("error", `${e.name}: ${e.message}`, null));
    w.on("messageerror", (e: Error) => die("messageerror", String(e?.message ?? e), null));
    w.on("exit", (code: number) => die("exit", `exit code ${code}`, code));
    // An idle worker must not keep the process alive on its own: the pool holds a
    // reference only while the worker has work.
    return {
      post: (m, t) => w.postMessage(m, t ?? []),
      terminate: () => {
        gone = true;
        void w.terminate();
      },
      keepAlive: (on) => (on ? w.ref() : w.unref()),
    };
  }
  const WebWorker = (globalThis as { Worker?: typeof Worker }).Worker;
  if (typeof WebWorker !== "function") throw new Error("this runtime has no Worker (neither worker_threads nor Web Workers); use an inline pool (size 0)");
  return webHandle(url ? new WebWorker(url, { type: "module", name: "seqlearn-worker" }) : startPackageWebWorker(), events);
}

function webHandle(w: Worker, events: WorkerEvents): WorkerHandle {
  let gone = false;
  const die: WorkerEvents["died"] = (r, d, c) => {
    if (gone) return;
    gone = true;
    try {
      w.terminate();
    } catch {
      /* already gone */
    }
    events.died(r, d, c);
  };
  w.addEventListener("message", (e: MessageEvent) => events.message(e.data as FromWorker));
  w.addEventListener("error", (e: ErrorEvent) => {
    e.preventDefault?.();
    die("error", e.message || "uncaught error in worker", null);
  });
  w.addEventListener("messageerror", () => die("messageerror", "a message from the worker could not be deserialised", null));
  return {
    post: (m, t) => w.postMessage(m, t ?? []),
    terminate: () => {
      gone = true;
      w.terminate();
    },
    keepAlive: () => {},
  };
}
