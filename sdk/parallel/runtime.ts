// The worker side of a pool: instantiates the engine from the module the pool posts, adds
// the task tables of the pool's task modules to the table it was started with, runs tasks by
// name and posts their results (moving their buffers) back. A worker entry script is one
// call, `await serveWorker(table)`: sdk/worker.ts serves the package's table (sdk/tasks.ts);
// a user's own entry may serve a larger one.
//
// The engine is this module's own import: an entry script and the task modules it loads must
// therefore share one copy of the SDK, or a task would draw on an engine nobody initialised.
// The package's bundles guarantee it: index.js and worker.js (of each target) are entries of one
// esbuild build with code splitting, so both import the same chunk, and a task module that
// imports "seqlearn" (the same target's index.js) in a worker shares the worker's engine.
import { init, initSync, getEngine, isInitialised } from "../engine/loader.js";
import { ValueError } from "../engine/errors.js";
import type { FromWorker, ToWorker } from "./protocol.js";
import { errorInfo } from "./protocol.js";
import { combineTasks, findTask, taskNames, type TaskContext, type TaskTable } from "./task-table.js";
import { collectTransferables } from "./transfer.js";
import { nodeParentPort } from "../platform.js";
import { importModule } from "./import-module.js";

interface Port {
  post(msg: FromWorker, transfer?: ArrayBuffer[]): void;
  listen(fn: (msg: ToWorker) => void): void;
}

async function openPort(): Promise<Port> {
  const port = await nodeParentPort();
  if (port) {
    return {
      post: (m, t) => port.postMessage(m, t),
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

/** Serve a pool from this worker: run the tasks of `tasks` plus those of the task modules
 *  the pool names in its `modules` option (each must export its table as `tasks`). Call it
 *  once, at the top level of a worker entry script; it resolves once the worker listens. */
export async function serveWorker(tasks: TaskTable): Promise<void> {
  let table = combineTasks([tasks], "serveWorker");
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
      const fn = findTask(table, msg.task);
      if (!fn) {
        const err = new Error(`no task named ${JSON.stringify(msg.task)} in this worker (known: ${taskNames(table).join(", ") || "none"}); export it in the \`tasks\` table of a module passed to the pool's \`modules\` option`);
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
      const mem = isInitialised() ? getEngine().exports.memory.buffer : null;
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
          // A pool's workers run one engine thread each by default (the pool already uses the
          // cores); a task may raise it (getEngine().setThreads) when it runs alone.
          if (msg.module) initSync(msg.module, { threads: 1 });
          else await init({ threads: 1 });
          for (const url of msg.modules) {
            const where = `task module ${url}`;
            table = combineTasks([table, combineTasks([await taskModule(url)], where)], where);
          }
        })().then(
          () => send({ type: "ready", tasks: taskNames(table) }),
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

/** The `tasks` export of a task module. */
async function taskModule(url: string): Promise<unknown> {
  const mod = (await importModule(url)) as { tasks?: unknown };
  if (mod.tasks === undefined) {
    throw new ValueError(`task module ${url} has no \`tasks\` export; a task module exports its table: export const tasks = { "my.task": (input, ctx) => ... }`);
  }
  return mod.tasks;
}
