// Status codes returned by exports. The SDK maps them to typed errors; like every
// `export const enum` in assembly/, the table is generated into sdk/engine/abi.ts.

/** What a numeric export returns. */
export const enum Status {
  /** Success. */
  OK = 0,
  /** Matrix not positive definite; the SDK reads the failing pivot from status_arg(). */
  NOT_SPD = 1,
  /** Iterative method did not converge within its iteration limit. */
  NO_CONVERGENCE = 2,
  /** A non-finite value appeared during computation. */
  NON_FINITE = 3,
  /** An argument was outside its valid range (a bug in the SDK's validation if ever seen). */
  BAD_ARG = 4,
}

let _arg: f64 = 0;
let _arg2: f64 = 0;

/** Record extra information about the last status (pivot index, jitter, iterations...). */
export function setStatusArg(a: f64, b: f64 = 0): void {
  _arg = a;
  _arg2 = b;
}
/** The first number the last export recorded with its status (pivot, jitter, iterations...). */
export function status_arg(): f64 {
  return _arg;
}
/** The second number the last export recorded with its status. */
export function status_arg2(): f64 {
  return _arg2;
}
