// Task tables: the named functions a pool can run. A table is a plain object from task name to
// function, built explicitly (sdk/tasks.ts combines the domains' tables; a user's task module
// exports its own as `tasks`); nothing registers itself as a side effect of an import. The
// pool sends a worker only the task's name and input, and the worker looks the name up in the
// table its entry script serves (see runtime.ts).
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

/** A task: takes a structured-cloneable input and returns (or resolves to) a
 *  structured-cloneable output; typed arrays in the output are moved, not copied. */
export type TaskFn<I = any, O = any> = (input: I, ctx: TaskContext) => O | Promise<O>;

/** Named tasks, e.g. `{ "my.kernelMatrix": (X, ctx) => ... }`. Names are conventionally
 *  prefixed by their owner (`seqlearn.` for the package's own tasks). */
export type TaskTable = Readonly<Record<string, TaskFn>>;

/** Combine task tables into one (validated, frozen). A name may appear in several tables only
 *  with the same function; two different functions under one name are a ValueError, so no
 *  table silently shadows another. */
export function taskTable(...tables: TaskTable[]): TaskTable {
  return combineTasks(tables, "taskTable");
}

/** taskTable() over `tables`, with `where` naming them in error messages. */
export function combineTasks(tables: readonly unknown[], where: string): TaskTable {
  const out: Record<string, TaskFn> = Object.create(null);
  tables.forEach((t, i) => {
    const label = tables.length > 1 ? `${where}: argument ${i + 1}` : where;
    if (t === null || typeof t !== "object" || Array.isArray(t)) {
      throw new ValueError(`${label}: a task table must be an object mapping task names to functions, got ${t === null ? "null" : Array.isArray(t) ? "an array" : typeof t}`);
    }
    for (const name of Object.keys(t)) {
      const fn = (t as Record<string, unknown>)[name];
      if (name.length === 0) throw new ValueError(`${label}: task names must be non-empty strings`);
      if (typeof fn !== "function") throw new ValueError(`${label}: the task ${JSON.stringify(name)} must be a function, got ${fn === null ? "null" : typeof fn}`);
      const prev = out[name];
      if (prev !== undefined && prev !== fn) throw new ValueError(`${where}: two different tasks are named ${JSON.stringify(name)}; give each its own name (e.g. prefixed by its owner, "myapp.")`);
      out[name] = fn as TaskFn;
    }
  });
  return Object.freeze(out);
}

/** The task called `name` in `table`, or undefined (own names only: "toString" is no task). */
export function findTask(table: TaskTable, name: string): TaskFn | undefined {
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}

/** The names in a table, sorted (for error messages). */
export function taskNames(table: TaskTable): string[] {
  return Object.keys(table).sort();
}
