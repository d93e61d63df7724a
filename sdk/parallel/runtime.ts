// The worker side of a pool: receives the compiled engine module, loads task modules, runs
// tasks from the registry and posts results (moving their buffers) back to the pool.
// The engine functions are injected by the entry script so that the worker uses the same
// copy of the SDK as the task modules it loads.
import type { FromWorker, ToWorker } from "./protocol.js";
import { errorInfo } from "./protocol.js";
import { getTask, listTasks, type TaskContext } from "./registry.js";
import { collectTransferables } from "./transfer.js";

export interface WorkerRuntimeDeps {
  /** Instantiate the engine from a compiled module (sets the default engine). */
  initSync(module: WebAssembly.Module): unknown;
  /** Instantiate the engine from the package's own .wasm (when no module was posted). */
  init(): Promise<unknown>;
  /** The engine's memory buffer (never transferred), or null before init. */
  memoryBuffer(): ArrayBufferLike | null;
}

interface Port {
  post(msg: FromWorker, transfer?: ArrayBuffer[]): void;
  listen(fn: (msg: ToWorker) => void): void;
}

async function openPort(): Promise<Port> {
  const g = globalThis as { process?: { versions?: { node?: string } }; Deno?: unknown };
  if (g.process?.versions?.node && !g.Deno) {
    const wt = await import("node:worker_threads");
    const port = wt.parentPort;
    if (!port) throw new Error("seqlearn worker entry loaded outside a worker thread");
    return {
      post: (m, t) => port.postMessage(m, t as never),
      listen: (fn) => port.on("message", fn),
    };
  }
  const scope = globalThis as unknown as { postMessage(m: unknown, t?: Transferable[]): void; addEventListener(t: string, fn: (e: MessageEvent) => void): void };
  return {
    post: (m, t) => scope.postMessage(m, t ?? []),
    listen: (fn) => scope.addEventListener("message", (e: MessageEvent) => fn(e.data as ToWorker)),
  };
}

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** Start serving a pool. Called once by the worker entry script. */
export async function startWorkerRuntime(deps: WorkerRuntimeDeps): Promise<void> {
  const port = await openPort();
  let workerId = 0;
  const controllers = new Map<number, AbortController>();

  const send = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => {
    try {
      port.post(msg, transfer);
    } catch (e) {
      // A buffer could not be moved (or the value cannot be cloned): retry as a copy, and
      // if that fails too, report the failure as the task's error.
      try {
        port.post(msg);
      } catch (e2) {
        if (msg.type === "done") port.post({ type: "error", id: msg.id, ms: msg.ms, error: errorInfo(new TypeError(`the output of the task cannot be sent to the pool: ${(e2 as Error).message}`)) });
        else throw e;
      }
    }
  };

  const run = async (msg: Extract<ToWorker, { type: "run" }>): Promise<void> => {
    const t0 = now();
    const ac = new AbortController();
    controllers.set(msg.id, ac);
    try {
      const fn = getTask(msg.task);
      if (!fn) {
        const err = new Error(`no task named ${JSON.stringify(msg.task)} is registered in the worker (known: ${listTasks().join(", ") || "none"}); register it in a module passed to the pool's \`modules\` option`);
        err.name = "UnknownTaskError";
        throw err;
      }
      const ctx: TaskContext = {
        signal: ac.signal,
        attempt: msg.attempt,
        workerId,
        progress: (value) => send({ type: "progress", id: msg.id, value }),
      };
      const output = await fn(msg.input, ctx);
      const mem = deps.memoryBuffer();
      send({ type: "done", id: msg.id, output, ms: now() - t0 }, collectTransferables(output, mem ? [mem] : []));
    } catch (e) {
      send({ type: "error", id: msg.id, error: errorInfo(e), ms: now() - t0 });
    } finally {
      controllers.delete(msg.id);
    }
  };

  port.listen((msg) => {
    switch (msg.type) {
      case "init":
        workerId = msg.workerId;
        (async () => {
          if (msg.module) deps.initSync(msg.module);
          else await deps.init();
          for (const m of msg.modules) await import(/* @vite-ignore */ m);
        })().then(
          () => send({ type: "ready", tasks: listTasks() }),
          (e) => send({ type: "init-error", error: errorInfo(e) }),
        );
        break;
      case "run":
        void run(msg);
        break;
      case "cancel":
        controllers.get(msg.id)?.abort(new Error("cancelled by the caller"));
        break;
    }
  });
}
