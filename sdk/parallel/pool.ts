// The worker pool: a fixed number of workers, each with its own engine instance, running
// named tasks from a FIFO queue. Faults are contained: a task that throws is retried, a
// worker that dies is reported and replaced and its task retried, and once a task has used
// up its attempts it rejects with a typed error. Nothing hangs and nothing goes missing.
//
// Which tasks exist is not the pool's business: a WorkerPool's workers serve the table of
// their entry script (by default the package's, sdk/worker.ts) plus the `tasks` exports of
// the pool's task modules; an InlinePool runs the table it is given.
import { compile, engineModule, getEngine, isInitialised } from "../engine/loader.js";
import { ValueError, ShapeError, NumericalError, EngineTrapError, EngineStateError, SeqlearnError } from "../engine/errors.js";
import { integer, nonNegative } from "../core/validate.js";
import { checkOptions } from "../core/options.js";
import { isDeterministicError } from "../core/errors.js";
import type { FromWorker } from "./protocol.js";
import { errorInfo } from "./protocol.js";
import {
  TaskError, WorkerLostError, TaskAbortedError, PoolClosedError, WorkerStartError, UnknownTaskError,
  type RemoteErrorInfo, type WorkerLossReason,
} from "./errors.js";
import { spawn, prepareHost, availableCores, type WorkerHandle } from "./host.js";
import { locateWorker, resolveModule } from "./locate.js";
import { collectTransferables } from "./transfer.js";
import { combineTasks, findTask, taskNames, type TaskContext, type TaskTable } from "./task-table.js";

/** Per-call options of `run()` (WorkerPool and InlinePool). */
export interface RunOptions {
  /** Cancels the task: a queued task is removed, a running one is told to stop and, if it
   *  has not finished after `abortGraceMs`, its worker is terminated and replaced. */
  signal?: AbortSignal;
  /** Receives the values the task passes to ctx.progress(). */
  onProgress?: (value: unknown) => void;
  /** Called once when the task succeeds, with timings (main-thread clock, ms). */
  onStats?: (stats: TaskStats) => void;
  /** Override the pool's retry count for this task. */
  retries?: number;
  /** Override the pool's per-attempt time limit (ms) for this task. */
  timeoutMs?: number;
  /** Move (rather than copy) the input's buffers to the worker. The caller's arrays are
   *  detached, and a task whose worker dies cannot be retried. Default false. */
  transferInput?: boolean;
}

/** Facts about one completed task (passed to `RunOptions.onStats`). */
export interface TaskStats {
  /** The task name. */
  task: string;
  /** The worker that ran the successful attempt. */
  workerId: number;
  /** Attempts it took. */
  attempts: number;
  /** When the successful attempt was handed to a worker / when its result arrived. */
  startedAt: number;
  /** When the result arrived (`performance.now()` milliseconds). */
  endedAt: number;
  /** Time spent inside the task function on the worker. */
  computeMs: number;
}

/** Anything that runs named tasks: a WorkerPool, or an InlinePool in this thread. */
export interface Executor {
  /** Number of tasks that can run at once. */
  readonly size: number;
  /** Run the task `task` on `input`; resolves with its result or rejects with a pool error. */
  run<O = unknown>(task: string, input: unknown, options?: RunOptions): Promise<O>;
}

/** Options of `WorkerPool.create`. */
export interface PoolOptions {
  /** Number of workers; default: the available cores (os.availableParallelism() /
   *  navigator.hardwareConcurrency). */
  size?: number;
  /** Task modules each worker imports, adding their tasks to those of the worker script
   *  (absolute URLs, e.g. `new URL("./my-tasks.js", import.meta.url)`). A task module exports
   *  its tasks as a table named `tasks`: `export const tasks = { "myapp.sum": (x, ctx) => ... }`.
   *  It should import the SDK as "seqlearn", so that its tasks use the worker's engine. A
   *  module that fails to load, lacks a `tasks` export or reuses a task's name makes the
   *  workers fail to start (WorkerStartError). */
  modules?: ReadonlyArray<string | URL>;
  /** How many times a failed task is retried (worker death, or a thrown error other than
   *  ShapeError/ValueError/UnknownTaskError, which are deterministic). Default 2. */
  retries?: number;
  /** Per-attempt time limit in ms (the worker is terminated and replaced when it is
   *  exceeded). Default: none. */
  timeoutMs?: number;
  /** How long a running task gets to stop after an abort before its worker is terminated
   *  (ms). Default 50. */
  abortGraceMs?: number;
  /** The compiled engine module to give each worker; default: compiled from the package. */
  module?: WebAssembly.Module;
  /** The worker entry script; default: the package's (worker.js of the package's build,
   *  serving the package's tasks). Give it when a bundler moves that file, or to run your own entry script,
   *  which serves a table of its choice: `await parallel.serveWorker(taskTable(TASKS, mine))`. */
  workerUrl?: string | URL;
}

/** Something that went wrong in a worker, reported through pool.on("fault"). */
export interface FaultEvent {
  /** What went wrong: a task threw, a worker was lost, or a worker could not start. */
  kind: "task-error" | "worker-lost" | "start-failed";
  /** The worker concerned. */
  workerId: number;
  /** The task it was running, if any. */
  task: string | null;
  /** Which attempt (1 for the first). */
  attempt: number;
  /** Whether the task goes back to the queue for another attempt. */
  willRetry: boolean;
  /** How the worker was lost, for "worker-lost". */
  reason?: WorkerLossReason;
  /** The error, as seen on the worker. */
  error: RemoteErrorInfo;
}

/** The events of a WorkerPool (`pool.on(name, listener)`), by name, with what each listener
 *  receives. */
export interface PoolEvents {
  /** A task threw, a worker was lost, or a worker could not start. */
  fault: FaultEvent;
  /** A task called `ctx.progress(value)`. */
  progress: {
    /** The task name. */
    task: string;
    /** The worker running it. */
    workerId: number;
    /** What the task passed to ctx.progress(). */
    value: unknown;
  };
  /** An attempt of a task was handed to a worker. */
  start: {
    /** The task name. */
    task: string;
    /** The worker it was handed to. */
    workerId: number;
    /** Which attempt (1 for the first). */
    attempt: number;
  };
  /** A worker that died or was terminated was replaced by a new one. */
  replaced: {
    /** The worker that is gone. */
    oldWorkerId: number;
    /** Its replacement. */
    newWorkerId: number;
  };
}

// The valid keys of PoolOptions and RunOptions, for checkOptions (`satisfies` makes tsc fail
// when an option is added to the interface but not here, or listed here but not there).
const POOL_KEYS = Object.keys({
  size: true, modules: true, retries: true, timeoutMs: true, abortGraceMs: true, module: true, workerUrl: true,
} satisfies Record<keyof PoolOptions, true>);
const RUN_KEYS = Object.keys({
  signal: true, onProgress: true, onStats: true, retries: true, timeoutMs: true, transferInput: true,
} satisfies Record<keyof RunOptions, true>);

interface Job {
  id: number;
  task: string;
  input: unknown;
  opts: RunOptions;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number | undefined;
  settled: boolean;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  cleanup(): void;
  startedAt: number;
}

interface Slot {
  id: number;
  handle: WorkerHandle | null;
  state: "starting" | "idle" | "busy" | "dead";
  job: Job | null;
  timer: ReturnType<typeof setTimeout> | null;
  abandoned: boolean; // the running job was aborted; the result will be ignored
}

const MAX_START_FAILURES = 3;
const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

let cachedModule: Promise<WebAssembly.Module> | null = null;
/** The module workers get by default: the one init() was given (whatever its source: a URL a
 *  bundler rewrote, bytes, a Response), else the package's, compiled once. */
function defaultModule(): Promise<WebAssembly.Module> {
  const own = isInitialised() ? engineModule(getEngine()) : undefined;
  if (own) return Promise.resolve(own);
  if (!cachedModule) {
    cachedModule = compile();
    cachedModule.catch(() => (cachedModule = null));
  }
  return cachedModule;
}

/** Rebuild a remote error as the typed class it had, when it is one of seqlearn's. @internal */
export function rebuildError(info: RemoteErrorInfo): Error {
  const classes: Record<string, new (m: string) => Error> = {
    ShapeError, ValueError, EngineStateError, SeqlearnError, UnknownTaskError,
    NumericalError: NumericalError as unknown as new (m: string) => Error,
    EngineTrapError: EngineTrapError as unknown as new (m: string) => Error,
    TypeError, RangeError,
  };
  const C = classes[info.name];
  const e = C ? new C(info.message) : new Error(info.message);
  if (!C) e.name = info.name;
  if (info.stack) e.stack = info.stack;
  return e;
}

/** A fixed number of workers, each with its own engine, running named tasks from a FIFO queue
 *  (`WorkerPool.create(options)`, then `run(task, input)`). A task that throws is retried
 *  (except errors that would come back on every attempt: ShapeError, ValueError,
 *  NumericalError, data and file-format errors, UnknownTaskError), a worker that
 *  dies is replaced and its task retried, and a task out of attempts rejects with a typed
 *  error (TaskError, WorkerLostError). Workers serve the package's tasks (TASKS) plus those of
 *  the `modules` option. Close it with `close()` (or `await using`). */
export class WorkerPool implements Executor {
  /** Number of workers. */
  readonly size: number;
  private readonly retries: number;
  private readonly timeoutMs: number | undefined;
  private readonly abortGraceMs: number;
  private readonly module: WebAssembly.Module;
  private readonly scriptUrl: URL | null;
  private readonly modules: string[];
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly listeners = new Map<keyof PoolEvents, Set<(e: never) => void>>();
  private readonly bySignal = new Map<AbortSignal, { jobs: Set<Job>; onAbort: () => void }>();
  private nextJobId = 1;
  private nextWorkerId = 1;
  private startFailures = 0;
  private everReady = false;
  private closed = false;
  private broken: WorkerStartError | null = null;
  /** Counters for monitoring and tests. */
  readonly stats = {
    /** Tasks that returned a result. */ completed: 0,
    /** Tasks that failed after their last attempt. */ failed: 0,
    /** Attempts that were retried. */ retried: 0,
    /** Workers started, replacements included. */ workersStarted: 0,
    /** Workers that died or were terminated and were replaced. */ workersReplaced: 0,
  };

  private constructor(size: number, opts: PoolOptions, module: WebAssembly.Module, url: URL | null, modules: string[]) {
    this.size = size;
    this.retries = opts.retries ?? 2;
    this.timeoutMs = opts.timeoutMs;
    this.abortGraceMs = opts.abortGraceMs ?? 50;
    this.module = module;
    this.scriptUrl = url;
    this.modules = modules;
  }

  /** Start a pool and wait until its workers are ready (a worker that cannot start is
   *  retried; if none can, this rejects with WorkerStartError). */
  static async create(options: PoolOptions = {}): Promise<WorkerPool> {
    const opts = checkOptions<PoolOptions>(options, "WorkerPool.create", POOL_KEYS);
    if (opts.size !== undefined) integer(opts.size, "size", 1, 1024);
    if (opts.retries !== undefined) integer(opts.retries, "retries", 0, 100);
    if (opts.timeoutMs !== undefined) nonNegative(opts.timeoutMs, "timeoutMs");
    if (opts.abortGraceMs !== undefined) nonNegative(opts.abortGraceMs, "abortGraceMs");
    let modules: string[];
    try {
      modules = (opts.modules ?? []).map(resolveModule);
    } catch (e) {
      throw new ValueError(`modules: ${(e as Error).message}`);
    }
    await prepareHost();
    const [size, module, url] = await Promise.all([
      opts.size ?? availableCores(),
      opts.module ?? defaultModule(),
      locateWorker(opts.workerUrl).catch((e) => {
        throw new WorkerStartError(`could not prepare the worker script: ${(e as Error).message}`, e);
      }),
    ]);
    const pool = new WorkerPool(size, opts, module, url, modules);
    for (let i = 0; i < size; i++) pool.startSlot();
    await pool.ready();
    return pool;
  }

  /** Subscribe to "fault", "progress", "start" or "replaced" events; returns an unsubscribe function. */
  on<K extends keyof PoolEvents>(event: K, fn: (e: PoolEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const s = set;
    s.add(fn as (e: never) => void);
    return () => void s.delete(fn as (e: never) => void);
  }

  /** Ids of the live workers. */
  get workerIds(): number[] {
    return this.slots.filter((s) => s.state !== "dead").map((s) => s.id);
  }

  /** Run `task` on a worker with `input`; resolves with its output. */
  run<O = unknown>(task: string, input: unknown, runOptions: RunOptions = {}): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const options = checkOptions<RunOptions>(runOptions, "WorkerPool.run", RUN_KEYS);
      if (typeof task !== "string" || !task) throw new ValueError(`run: task must be a task name, got ${JSON.stringify(task)}`);
      if (options.retries !== undefined) integer(options.retries, "retries", 0, 100);
      if (options.timeoutMs !== undefined) nonNegative(options.timeoutMs, "timeoutMs");
      if (this.closed) throw new PoolClosedError("the pool is closed");
      if (this.broken) throw this.broken;
      const signal = options.signal;
      if (signal?.aborted) throw new TaskAbortedError(task, signal.reason);
      const retries = options.transferInput ? 0 : (options.retries ?? this.retries);
      const job: Job = {
        id: this.nextJobId++, task, input, opts: options, attempts: 0, maxAttempts: retries + 1,
        timeoutMs: options.timeoutMs ?? this.timeoutMs, settled: false, startedAt: 0,
        resolve: (v) => {
          if (job.settled) return;
          job.settled = true;
          job.cleanup();
          resolve(v as O);
        },
        reject: (e) => {
          if (job.settled) return;
          job.settled = true;
          job.cleanup();
          reject(e);
        },
        cleanup: () => {},
      };
      if (signal) {
        // One listener per signal, however many tasks share it (a merge tree shares one).
        let entry = this.bySignal.get(signal);
        if (!entry) {
          const jobs = new Set<Job>();
          const onAbort = (): void => {
            for (const j of [...jobs]) this.abort(j, signal.reason);
          };
          signal.addEventListener("abort", onAbort, { once: true });
          entry = { jobs, onAbort };
          this.bySignal.set(signal, entry);
        }
        const e = entry;
        e.jobs.add(job);
        job.cleanup = () => {
          e.jobs.delete(job);
          if (e.jobs.size === 0) {
            signal.removeEventListener("abort", e.onAbort);
            this.bySignal.delete(signal);
          }
        };
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Terminate one worker (fault injection, or to reclaim a stuck one). Its task, if any,
   *  is retried elsewhere and the worker is replaced. Returns false if no such worker. */
  terminateWorker(workerId: number): boolean {
    const slot = this.slots.find((s) => s.id === workerId && s.state !== "dead");
    if (!slot) return false;
    this.lose(slot, "terminated", "terminated by terminateWorker()", null);
    return true;
  }

  /** Stop all workers. Queued and running tasks reject with PoolClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new PoolClosedError("the pool was closed before the task finished");
    for (const job of this.queue.splice(0)) job.reject(err);
    for (const slot of this.slots) {
      if (slot.job) slot.job.reject(err);
      this.kill(slot);
    }
  }

  /** Same as close(), for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals -------------------------------------------------------------------------

  private emit<K extends keyof PoolEvents>(event: K, e: PoolEvents[K]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        (fn as (e: PoolEvents[K]) => void)(e);
      } catch {
        /* a listener's error must not break the pool */
      }
    }
  }

  private readyWaiters: Array<{ resolve(): void; reject(e: unknown): void }> = [];

  private ready(): Promise<void> {
    if (this.everReady) return Promise.resolve();
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private startSlot(replacing?: Slot): Slot {
    const slot: Slot = { id: this.nextWorkerId++, handle: null, state: "starting", job: null, timer: null, abandoned: false };
    if (replacing) {
      const i = this.slots.indexOf(replacing);
      this.slots[i] = slot;
      this.stats.workersReplaced++;
      this.emit("replaced", { oldWorkerId: replacing.id, newWorkerId: slot.id });
    } else {
      this.slots.push(slot);
    }
    this.stats.workersStarted++;
    try {
      slot.handle = spawn(this.scriptUrl, {
        message: (m) => this.onMessage(slot, m),
        died: (reason, detail, code) => this.lose(slot, reason, detail, code),
      });
      try {
        slot.handle.post({ type: "init", workerId: slot.id, module: this.module, modules: this.modules });
      } catch {
        // This runtime cannot post a compiled module: let the worker load the .wasm itself.
        slot.handle.post({ type: "init", workerId: slot.id, module: null, modules: this.modules });
      }
    } catch (e) {
      queueMicrotask(() => this.startFailed(slot, errorInfo(e)));
    }
    return slot;
  }

  private startFailed(slot: Slot, error: RemoteErrorInfo): void {
    this.kill(slot);
    this.startFailures++;
    this.emit("fault", { kind: "start-failed", workerId: slot.id, task: null, attempt: 0, willRetry: false, error });
    if (this.closed) return;
    if (this.startFailures >= MAX_START_FAILURES) {
      if (!this.slots.some((s) => s !== slot && s.state !== "dead")) {
        // No worker can be started: fail everything rather than wait forever.
        this.broken = new WorkerStartError(`could not start a worker (${this.startFailures} attempts; last: ${error.name}: ${error.message}); worker script ${this.scriptUrl?.href ?? "the package's worker.js"}`, rebuildError(error));
        for (const job of this.queue.splice(0)) job.reject(this.broken);
        for (const w of this.readyWaiters.splice(0)) w.reject(this.broken);
        for (const s of this.slots) this.kill(s);
        return;
      }
      // Other workers run or are starting: carry on with fewer rather than retry forever.
      this.slots.splice(this.slots.indexOf(slot), 1);
      this.checkReady();
      return;
    }
    this.startSlot(slot);
  }

  /** create() resolves once no initial worker is still starting (and one at least runs). */
  private checkReady(): void {
    if (this.everReady || this.slots.some((s) => s.state === "starting")) return;
    if (!this.slots.some((s) => s.state === "idle" || s.state === "busy")) return;
    this.everReady = true;
    for (const w of this.readyWaiters.splice(0)) w.resolve();
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (slot.state === "dead") return;
    switch (m.type) {
      case "ready":
        slot.state = "idle";
        slot.handle?.keepAlive(false);
        this.startFailures = 0;
        this.checkReady();
        this.dispatch();
        return;
      case "init-error":
        this.startFailed(slot, m.error);
        return;
      case "progress": {
        const job = slot.job;
        if (!job || job.id !== m.id || slot.abandoned) return;
        try {
          job.opts.onProgress?.(m.value);
        } catch {
          /* a listener's error must not break the pool */
        }
        this.emit("progress", { task: job.task, workerId: slot.id, value: m.value });
        return;
      }
      case "done":
      case "error": {
        const job = slot.job;
        if (!job || job.id !== m.id) return;
        this.clearTimer(slot);
        slot.job = null;
        slot.state = "idle";
        slot.handle?.keepAlive(false);
        const abandoned = slot.abandoned;
        slot.abandoned = false;
        if (!abandoned) {
          if (m.type === "done") {
            this.stats.completed++;
            const endedAt = now();
            try {
              job.opts.onStats?.({ task: job.task, workerId: slot.id, attempts: job.attempts, startedAt: job.startedAt, endedAt, computeMs: m.ms });
            } catch {
              /* ignore */
            }
            job.resolve(m.output);
          } else {
            // An error that says something about the input (a ValueError, a NumericalError, bad
            // data...) would come back on every attempt: fail at once instead of retrying.
            const retry = !(m.error.deterministic || isDeterministicError(m.error)) && this.canRetry(job);
            this.emit("fault", { kind: "task-error", workerId: slot.id, task: job.task, attempt: job.attempts, willRetry: retry, error: m.error });
            if (retry) this.requeue(job);
            else this.fail(job, new TaskError(job.task, job.attempts, slot.id, rebuildError(m.error)));
          }
        }
        this.dispatch();
        return;
      }
    }
  }

  private canRetry(job: Job): boolean {
    return !job.settled && !this.closed && job.attempts < job.maxAttempts;
  }

  private requeue(job: Job): void {
    this.stats.retried++;
    this.queue.unshift(job);
  }

  private fail(job: Job, err: Error): void {
    this.stats.failed++;
    job.reject(err);
  }

  /** A worker is gone: report, requeue or fail its task, and start a replacement. */
  private lose(slot: Slot, reason: WorkerLossReason, detail: string, code: number | null): void {
    if (slot.state === "dead") return;
    const wasStarting = slot.state === "starting";
    const job = slot.job;
    const abandoned = slot.abandoned;
    this.kill(slot);
    if (wasStarting) {
      this.startFailed(slot, { name: "WorkerStartError", message: `worker ${slot.id} stopped during start-up (${reason}: ${detail})` });
      return;
    }
    if (job && !abandoned && !job.settled) {
      const retry = this.canRetry(job);
      this.emit("fault", { kind: "worker-lost", workerId: slot.id, task: job.task, attempt: job.attempts, willRetry: retry, reason, error: { name: "WorkerLostError", message: detail } });
      if (retry) this.requeue(job);
      else this.fail(job, new WorkerLostError(job.task, job.attempts, slot.id, reason, detail, code));
    } else if (!abandoned) {
      this.emit("fault", { kind: "worker-lost", workerId: slot.id, task: null, attempt: 0, willRetry: false, reason, error: { name: "WorkerLostError", message: detail } });
    }
    if (!this.closed) this.startSlot(slot);
    this.dispatch();
  }

  private kill(slot: Slot): void {
    this.clearTimer(slot);
    slot.state = "dead";
    slot.job = null;
    try {
      slot.handle?.terminate();
    } catch {
      /* already gone */
    }
  }

  private clearTimer(slot: Slot): void {
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
  }

  private abort(job: Job, reason: unknown): void {
    if (job.settled) return;
    const qi = this.queue.indexOf(job);
    if (qi >= 0) this.queue.splice(qi, 1);
    job.reject(new TaskAbortedError(job.task, reason));
    const slot = this.slots.find((s) => s.job === job && s.state === "busy");
    if (!slot) return;
    slot.abandoned = true;
    try {
      slot.handle?.post({ type: "cancel", id: job.id });
    } catch {
      /* ignore */
    }
    // A synchronous task cannot see the cancel message: reclaim the worker if it does not
    // come back in time.
    this.clearTimer(slot);
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (slot.job === job && slot.state === "busy") this.lose(slot, "terminated", "aborted task did not stop", null);
    }, this.abortGraceMs);
  }

  private dispatch(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      while (slot.state === "idle" && slot.handle && this.queue.length > 0) {
        const job = this.queue.shift()!;
        if (!job.settled) this.start(slot, job);
      }
      if (this.queue.length === 0) return;
    }
  }

  private start(slot: Slot, job: Job): void {
    const handle = slot.handle!;
    job.attempts++;
    job.startedAt = now();
    slot.state = "busy";
    slot.job = job;
    slot.abandoned = false;
    handle.keepAlive(true);
    try {
      const msg = { type: "run" as const, id: job.id, task: job.task, input: job.input, attempt: job.attempts };
      handle.post(msg, job.opts.transferInput ? collectTransferables(job.input) : []);
    } catch (e) {
      slot.job = null;
      slot.state = "idle";
      handle.keepAlive(false);
      this.fail(job, new ValueError(`the input of task ${JSON.stringify(job.task)} cannot be sent to a worker: ${(e as Error).message}`));
      return;
    }
    this.emit("start", { task: job.task, workerId: slot.id, attempt: job.attempts });
    if (job.timeoutMs !== undefined && job.timeoutMs > 0) {
      slot.timer = setTimeout(() => {
        slot.timer = null;
        if (slot.job === job) this.lose(slot, "timeout", `exceeded ${job.timeoutMs} ms`, null);
      }, job.timeoutMs);
    }
  }
}

/** Runs the tasks of a table in this thread, one at a time, with the same interface and
 *  error types as a WorkerPool (for runtimes without workers, for debugging, and as a
 *  reference for determinism tests). `new InlinePool(TASKS)` runs the package's tasks (as a
 *  WorkerPool's default workers do); `new InlinePool(taskTable(TASKS, tasks))` adds yours. */
export class InlinePool implements Executor {
  /** Always 1: tasks run one at a time in this thread. */
  readonly size = 1;
  /** The tasks this pool runs. */
  readonly tasks: TaskTable;
  private chain: Promise<unknown> = Promise.resolve();

  /** An inline executor serving the tasks of `tasks` (none by default). */
  constructor(tasks: TaskTable = {}) {
    this.tasks = combineTasks([tasks], "InlinePool");
  }

  /** Run a task of the table in this thread, with the same contract as `WorkerPool.run`. */
  run<O = unknown>(task: string, input: unknown, runOptions: RunOptions = {}): Promise<O> {
    let options: RunOptions;
    try {
      options = checkOptions<RunOptions>(runOptions, "InlinePool.run", RUN_KEYS);
    } catch (e) {
      return Promise.reject(e);
    }
    const p = this.chain.then(() => this.exec<O>(task, input, options));
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async exec<O>(task: string, input: unknown, options: RunOptions): Promise<O> {
    const signal = options.signal;
    if (signal?.aborted) throw new TaskAbortedError(task, signal.reason);
    const fn = findTask(this.tasks, task);
    if (!fn) throw new TaskError(task, 1, 0, new UnknownTaskError(`no task named ${JSON.stringify(task)} in this inline pool (known: ${taskNames(this.tasks).join(", ") || "none"}); give the pool a table that has it, e.g. new InlinePool(TASKS)`));
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const ctx: TaskContext = { signal: ac.signal, attempt: 1, workerId: 0, progress: (v) => options.onProgress?.(v) };
    const t0 = now();
    try {
      const out = await fn(input, ctx);
      if (signal?.aborted) throw new TaskAbortedError(task, signal.reason);
      const t1 = now();
      options.onStats?.({ task, workerId: 0, attempts: 1, startedAt: t0, endedAt: t1, computeMs: t1 - t0 });
      return out as O;
    } catch (e) {
      if (e instanceof TaskAbortedError) throw e;
      throw new TaskError(task, 1, 0, e);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
