// The task registry: named functions that workers can run. Domain code registers its tasks
// at module load (`registerTask("disqueak.merge", fn)`); the pool sends only the name and
// the input. The registry lives on globalThis so that every copy of this module in a
// thread (the bundled worker entry and a task module importing the package) shares it.
import { ValueError } from "../engine/errors.js";

/** What a task receives besides its input. */
export interface TaskContext {
  /** Aborted when the caller cancels the task. A synchronous task cannot observe it (its
   *  worker is terminated instead); an async task may check it between steps. */
  readonly signal: AbortSignal;
  /** Report progress (any structured-cloneable value) to the caller's onProgress. */
  progress(value: unknown): void;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  /** Id of the worker running the task (0 in an inline pool). */
  readonly workerId: number;
}

/** A task: a function of its input and a `TaskContext`, returning the result or a promise of it. */
export type TaskFn<I = any, O = any> = (input: I, ctx: TaskContext) => O | Promise<O>;

const KEY = Symbol.for("seqlearn.parallel.tasks");

function table(): Map<string, TaskFn> {
  const g = globalThis as unknown as Record<symbol, Map<string, TaskFn> | undefined>;
  let t = g[KEY];
  if (!t) {
    t = new Map();
    Object.defineProperty(globalThis, KEY, { value: t, enumerable: false, configurable: false, writable: false });
  }
  return t;
}

/** Register a task under `name` in this thread. Modules that define tasks are loaded by
 *  every worker of a pool (built-in ones through the package, others through the pool's
 *  `modules` option), so the same registration runs in each worker. Registering the same
 *  function twice is a no-op; a different function under a taken name is an error. */
export function registerTask<I, O>(name: string, fn: TaskFn<I, O>): void {
  if (typeof name !== "string" || name.length === 0) throw new ValueError(`registerTask: name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (typeof fn !== "function") throw new ValueError(`registerTask: the task ${JSON.stringify(name)} must be a function`);
  const t = table();
  const prev = t.get(name);
  if (prev && prev !== fn && prev.toString() !== fn.toString()) throw new ValueError(`registerTask: a different task is already registered as ${JSON.stringify(name)}`);
  t.set(name, fn as TaskFn);
}

/** The task registered under `name`, or undefined. */
export function getTask(name: string): TaskFn | undefined {
  return table().get(name);
}

/** Names of the tasks registered in this thread. */
export function listTasks(): string[] {
  return [...table().keys()].sort();
}
