// Scalar parameter checks shared by every public function. Each names the argument and the
// allowed range in its message.
import { ValueError } from "./errors.js";

export function positive(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new ValueError(`${name} must be a finite number > 0, got ${String(v)}`);
  return v;
}

export function nonNegative(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new ValueError(`${name} must be a finite number ≥ 0, got ${String(v)}`);
  return v;
}

export function finite(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ValueError(`${name} must be a finite number, got ${String(v)}`);
  return v;
}

export function integer(v: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw new ValueError(`${name} must be ${range}, got ${String(v)}`);
  }
  return v;
}

export function inOpenUnit(v: unknown, name: string): number {
  if (typeof v !== "number" || !(v > 0 && v < 1)) throw new ValueError(`${name} must be in the open interval (0, 1), got ${String(v)}`);
  return v;
}

export function probability(v: unknown, name: string): number {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new ValueError(`${name} must be a probability in [0, 1], got ${String(v)}`);
  return v;
}

export function oneOf<T extends string>(v: unknown, name: string, allowed: readonly T[]): T {
  if (typeof v !== "string" || !allowed.includes(v as T)) throw new ValueError(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** A seed: a non-negative safe integer (split into two 32-bit halves for the engine). */
export function seed(v: unknown, name = "seed"): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new ValueError(`${name} must be a non-negative safe integer, got ${String(v)}`);
  return v;
}
