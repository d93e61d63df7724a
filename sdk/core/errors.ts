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
