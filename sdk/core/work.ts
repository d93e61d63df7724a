// Long work: the one way an operation that can run for more than a second takes an AbortSignal,
// reports progress and yields to the event loop (so a page stays responsive and a signal can
// fire). The async variants of the SDK (Squeak.pushAsync / consume, NystromKRR.fitAsync /
// fitStream, exactRlsAsync, games.runSolverAsync) cut their work into chunks whose results are
// exactly those of the one-call version, and call `step()` between chunks.
import { ValueError } from "./errors.js";

/** What `onProgress` receives. */
export interface WorkProgress {
  /** Units of work done (rows, iterations, phases: `unit` says which). */
  done: number;
  /** Units in total, or null when unknown (a stream). */
  total: number | null;
  /** What is counted. */
  unit: string;
  /** Milliseconds since the work started. */
  elapsedMs: number;
  /** Estimated milliseconds left (from the rate so far), or null when unknown. */
  etaMs: number | null;
}

/** The options every long operation accepts (P: what its progress events carry). */
export interface LongWorkOptions<P extends WorkProgress = WorkProgress> {
  /** Cancels the work: the promise rejects with the signal's reason between two chunks. */
  signal?: AbortSignal;
  /** Called after every chunk (and once at the end) with the progress so far. */
  onProgress?: (progress: P) => void;
}

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** Yield to the event loop: a macrotask, so that timers, I/O and abort events run. */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { scheduler?: { yield?: () => Promise<void> }; setImmediate?: (f: () => void) => void };
  if (typeof g.scheduler?.yield === "function") return g.scheduler.yield();
  if (typeof g.setImmediate === "function") return new Promise((r) => g.setImmediate!(r));
  return new Promise((r) => setTimeout(r, 0));
}

/** The progress of one long operation. */
export class Work {
  private readonly t0 = now();
  private lastYield = this.t0;
  done = 0;

  /** @param options the caller's signal and onProgress (validated here).
   *  @param total units in total, or null. @param unit what a unit is.
   *  @param facts extra facts each progress event carries (e.g. a dictionary's size). */
  constructor(readonly options: LongWorkOptions<any>, readonly total: number | null, readonly unit: string, private readonly facts?: () => Record<string, number>) {
    const s = options.signal as unknown;
    if (s !== undefined && !(typeof s === "object" && s !== null && typeof (s as AbortSignal).aborted === "boolean")) {
      throw new ValueError(`signal must be an AbortSignal, got ${s === null ? "null" : typeof s}`);
    }
    if (options.onProgress !== undefined && typeof options.onProgress !== "function") throw new ValueError(`onProgress must be a function, got ${typeof options.onProgress}`);
    this.check();
  }

  /** Throw the signal's reason if it has fired. */
  check(): void {
    const s = this.options.signal;
    if (s?.aborted) throw s.reason ?? new Error("aborted");
  }

  /** Record `units` more done, report, yield to the event loop (at most every ~20 ms, so the
   *  cost is negligible), then throw if the signal fired meanwhile. */
  async step(units: number): Promise<void> {
    this.done += units;
    this.report();
    const t = now();
    if (t - this.lastYield >= 20) {
      await yieldToEventLoop();
      this.lastYield = now();
    }
    this.check();
  }

  /** Report the progress so far. */
  report(): void {
    const cb = this.options.onProgress;
    if (!cb) return;
    const elapsedMs = now() - this.t0;
    const etaMs = this.total !== null && this.done > 0 ? (elapsedMs / this.done) * Math.max(0, this.total - this.done) : null;
    cb({ done: this.done, total: this.total, unit: this.unit, elapsedMs, etaMs, ...(this.facts?.() ?? {}) });
  }
}
