// Status codes returned by exports. The SDK maps them to typed errors (sdk/engine/errors.ts).
export const OK: i32 = 0;
/** Matrix not positive definite; the SDK reads the failing pivot from status_arg(). */
export const NOT_SPD: i32 = 1;
/** Iterative method did not converge within its iteration limit. */
export const NO_CONVERGENCE: i32 = 2;
/** A non-finite value appeared during computation. */
export const NON_FINITE: i32 = 3;
/** An argument was outside its valid range (a bug in the SDK's validation if ever seen). */
export const BAD_ARG: i32 = 4;

let _arg: f64 = 0;
let _arg2: f64 = 0;

/** Record extra information about the last status (pivot index, jitter, iterations...). */
export function setStatusArg(a: f64, b: f64 = 0): void {
  _arg = a;
  _arg2 = b;
}
export function status_arg(): f64 {
  return _arg;
}
export function status_arg2(): f64 {
  return _arg2;
}
