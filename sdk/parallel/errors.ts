// Errors of the worker pool. Every failure of a task reaches the caller as one of these —
// a pool never hangs and never drops a result silently.
import { SeqlearnError } from "../engine/errors.js";

/** What a task failure looked like on the worker side (the error crossed a thread boundary,
 *  so it is rebuilt from its name, message and stack). */
export interface RemoteErrorInfo {
  /** The error's class name. */
  name: string;
  /** Its message. */
  message: string;
  /** Its stack, as the worker printed it. */
  stack?: string;
  /** Whether a second try with the same input would fail the same way (isDeterministicError
   *  on the worker side): the pool does not retry such a task. */
  deterministic?: boolean;
}

/** A task threw (or returned a rejected promise) on every attempt it was given. `cause` is
 *  the last error, rebuilt as its original class when it is one of seqlearn's typed errors. */
export class TaskError extends SeqlearnError {
  /** Always "TaskError". */
  override name = "TaskError";
  /** The task name. */
  readonly task: string;
  /** Attempts made. */
  readonly attempts: number;
  /** The worker of the last attempt. */
  readonly workerId: number;
  /** The task's error, rebuilt as its class when it is a seqlearn error. */
  readonly cause: unknown;
  constructor(task: string, attempts: number, workerId: number, cause: unknown) {
    const c = cause as { name?: string; message?: string };
    super(`task ${JSON.stringify(task)} failed on worker ${workerId} after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${c?.name ?? "Error"}: ${c?.message ?? String(cause)}`);
    this.task = task;
    this.attempts = attempts;
    this.workerId = workerId;
    this.cause = cause;
  }
}

/** Why a worker stopped while it was running a task. */
export type WorkerLossReason = "exit" | "error" | "terminated" | "timeout" | "messageerror";

/** The worker running a task died (exited, crashed with an uncaught error, was terminated, or
 *  exceeded the task's time limit) on every attempt the task was given. */
export class WorkerLostError extends SeqlearnError {
  /** Always "WorkerLostError". */
  override name = "WorkerLostError";
  /** The task name. */
  readonly task: string;
  /** Attempts made. */
  readonly attempts: number;
  /** The worker that was lost. */
  readonly workerId: number;
  /** How it was lost: "exit", "error", "terminated" or "timeout". */
  readonly reason: WorkerLossReason;
  /** The worker's exit code, when it exited. */
  readonly exitCode: number | null;
  constructor(task: string, attempts: number, workerId: number, reason: WorkerLossReason, detail: string, exitCode: number | null = null) {
    super(`task ${JSON.stringify(task)} lost its worker ${workerId} (${reason}${detail ? `: ${detail}` : ""}) after ${attempts} attempt${attempts === 1 ? "" : "s"}`);
    this.task = task;
    this.attempts = attempts;
    this.workerId = workerId;
    this.reason = reason;
    this.exitCode = exitCode;
  }
}

/** The task was cancelled through its AbortSignal. `cause` is the signal's reason. */
export class TaskAbortedError extends SeqlearnError {
  /** Always "TaskAbortedError". */
  override name = "TaskAbortedError";
  /** The task name. */
  readonly task: string;
  /** The abort reason. */
  readonly cause: unknown;
  constructor(task: string, cause: unknown) {
    super(`task ${JSON.stringify(task)} was aborted${cause instanceof Error && cause.message ? `: ${cause.message}` : ""}`);
    this.task = task;
    this.cause = cause;
  }
}

/** The pool was closed while the task was queued or running. */
export class PoolClosedError extends SeqlearnError {
  /** Always "PoolClosedError". */
  override name = "PoolClosedError";
}

/** Workers could not be started (worker script not found, module failed to load, no
 *  worker support in this runtime). Pending tasks are rejected with this error. */
export class WorkerStartError extends SeqlearnError {
  /** Always "WorkerStartError". */
  override name = "WorkerStartError";
  /** Why the workers could not start. */
  readonly cause: unknown;
  constructor(message: string, cause?: unknown) {
    super(message);
    this.cause = cause;
  }
}

/** No task of that name is in the table the worker serves (or the inline pool was given). */
export class UnknownTaskError extends SeqlearnError {
  /** Always "UnknownTaskError". */
  override name = "UnknownTaskError";
}

/** An optional peer dependency is not installed (the Redis executor needs `bullmq` and
 *  `ioredis`), or this build of the package cannot load it (the browser and edge builds have
 *  no Redis executor). The message says what to install. */
export class MissingDependencyError extends SeqlearnError {
  /** Always "MissingDependencyError". */
  override name = "MissingDependencyError";
  /** The npm packages to install, e.g. ["bullmq", "ioredis"]. */
  readonly packages: readonly string[];
  /** The import error, when there was one. */
  readonly cause: unknown;
  constructor(message: string, packages: readonly string[], cause?: unknown) {
    super(message);
    this.packages = packages;
    this.cause = cause;
  }
}

/** A job of a distributed merge tree (the Redis executor) failed for good: it threw an error
 *  that would come back on every attempt (ValueError, NumericalError, DataError, …), used up its
 *  attempts, stalled more often than its workers allow, or vanished from Redis. The message
 *  names the node, its task, the attempts and the worker; `cause` is the task's error, rebuilt
 *  as its class when it is one of seqlearn's. */
export class JobFailedError extends TaskError {
  /** Always "JobFailedError". */
  override name = "JobFailedError";
  /** The tree node (leaves 0…k−1, then the merges; 0 for a single task). */
  readonly node: number;
  /** The BullMQ job id. */
  readonly jobId: string;
  /** The name of the worker of the last attempt, when known. */
  readonly worker: string | null;
  constructor(info: { task: string; node: number; what: string; jobId: string; attempts: number; worker: string | null; cause: unknown }) {
    super(info.task, info.attempts, 0, info.cause);
    const c = info.cause as { name?: string; message?: string };
    this.message = `${info.what} (task ${JSON.stringify(info.task)}, job ${info.jobId}) failed after ${info.attempts} attempt${info.attempts === 1 ? "" : "s"}` +
      `${info.worker ? ` on worker ${info.worker}` : ""}: ${c?.name ?? "Error"}: ${c?.message ?? String(info.cause)}`;
    this.node = info.node;
    this.jobId = info.jobId;
    this.worker = info.worker;
  }
}

/** The Redis server of a Redis executor or worker could not be reached in time (wrong address,
 *  server down, a firewall, TLS or a password that does not match). Once connected, the
 *  executor and its workers ride out Redis restarts: they reconnect and carry on. */
export class RedisConnectionError extends SeqlearnError {
  /** Always "RedisConnectionError". */
  override name = "RedisConnectionError";
  /** The last connection error, when there was one. */
  readonly cause: unknown;
  constructor(message: string, cause?: unknown) {
    super(message);
    this.cause = cause;
  }
}
