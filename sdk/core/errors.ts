// The typed errors of seqlearn. Every error the SDK throws on purpose is a SeqlearnError; its
// `name` is fixed (it survives minifiers that rename classes), so callers may test either
// `err instanceof ShapeError` or `err.name === "ShapeError"`.

/** Base class of every error seqlearn throws on purpose. */
export class SeqlearnError extends Error {
  constructor(message: string) {
    super(message);
    // Subclasses outside seqlearn get their class name; built-in ones fix theirs below.
    this.name = new.target === SeqlearnError ? "SeqlearnError" : new.target.name;
  }
}

/** An argument has the wrong shape, length or number of dimensions. */
export class ShapeError extends SeqlearnError {
  /** Always "ShapeError". */
  override name = "ShapeError";
}

/** An argument has the right shape but a value outside its allowed range
 *  (NaN/Infinity, a non-positive bandwidth, a probability outside [0, 1], an unknown
 *  option key, ...). */
export class ValueError extends SeqlearnError {
  /** Always "ValueError". */
  override name = "ValueError";
}

/** A computation failed numerically: a matrix that should be positive definite is not,
 *  an iteration did not converge, a non-finite value appeared. */
export class NumericalError extends SeqlearnError {
  /** Always "NumericalError". */
  override name = "NumericalError";
  /** Extra facts about the failure (pivot index, iterations, residual...). */
  readonly details: Record<string, number>;
  constructor(message: string, details: Record<string, number> = {}) {
    super(message);
    this.details = details;
  }
}

/** The WebAssembly engine trapped (a bug, or memory exhausted). The engine has been
 *  re-instantiated with fresh memory; buffers allocated before the trap are invalid. */
export class EngineTrapError extends SeqlearnError {
  /** Always "EngineTrapError". */
  override name = "EngineTrapError";
  /** The original WebAssembly trap (a `WebAssembly.RuntimeError`). */
  readonly cause?: unknown;
  constructor(message: string, cause?: unknown) {
    super(message);
    this.cause = cause;
  }
}

/** The engine is not ready (init() not awaited), a buffer outlived its engine, or an object
 *  was used after dispose(). */
export class EngineStateError extends SeqlearnError {
  /** Always "EngineStateError". */
  override name = "EngineStateError";
}

/** The engine's memory limit would be exceeded. Objects that own engine memory keep it until
 *  `dispose()` (or the end of a `using` block); the message says how much is held by how many
 *  blocks and what to do. Raise the limit with `init({ memoryLimit })` or
 *  `getEngine().memoryLimit = bytes`. */
export class EngineMemoryError extends SeqlearnError {
  /** Always "EngineMemoryError". */
  override name = "EngineMemoryError";
  /** Bytes the failed allocation asked for. */
  readonly requested: number;
  /** Bytes held by live blocks when it failed. */
  readonly liveBytes: number;
  /** Number of live blocks when it failed. */
  readonly liveBlocks: number;
  /** The limit, in bytes. */
  readonly limit: number;
  constructor(message: string, facts: { requested: number; liveBytes: number; liveBlocks: number; limit: number }) {
    super(message);
    this.requested = facts.requested;
    this.liveBytes = facts.liveBytes;
    this.liveBlocks = facts.liveBlocks;
    this.limit = facts.limit;
  }
}

/** Names of the errors that say something about the input, not about the moment: a second try
 *  with the same input fails the same way, so a worker pool does not retry a task that threw
 *  one (validation errors, malformed data or files, a numerical failure of the computation). */
const DETERMINISTIC_NAMES: ReadonlySet<string> = new Set([
  "ShapeError", "ValueError", "NumericalError", "DataError", "DictionaryFormatError", "UnknownTaskError",
]);

/** True when `e` cannot change on a second try with the same input (see DETERMINISTIC_NAMES):
 *  a ShapeError, ValueError or NumericalError (or a subclass), seqlearn's data and file-format
 *  errors, or an error rebuilt from one of their names after crossing a thread boundary. */
export function isDeterministicError(e: unknown): boolean {
  if (e instanceof ShapeError || e instanceof ValueError || e instanceof NumericalError) return true;
  const name = (e as { name?: unknown } | null)?.name;
  return typeof name === "string" && DETERMINISTIC_NAMES.has(name);
}
