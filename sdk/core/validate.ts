// Scalar parameter checks shared by every public function. Each names the argument and the
// allowed range in its message.
import { ValueError } from "./errors.js";

/** Longest piece of user text an error message repeats (longer text is cut, with its length). */
const SHOWN_CHARS = 40;

/** `text` cut to SHOWN_CHARS characters, with "… (N characters)" when it was longer: messages
 *  never repeat a whole over-long field. */
export function clip(text: string, max = SHOWN_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/** How an error message shows a value the caller gave: numbers as numbers, strings quoted and
 *  marked as strings (so "0.5" given for a number does not read as the number 0.5), long text
 *  cut, and other things by their kind. */
export function shown(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") {
    const q = JSON.stringify(v.length > SHOWN_CHARS ? v.slice(0, SHOWN_CHARS) : v);
    return v.length > SHOWN_CHARS ? `the string ${q.slice(0, -1)}…" (${v.length} characters)` : `the string ${q}`;
  }
  if (v === null || v === undefined || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === "function") return "a function";
  return typeof v === "object" ? "an object" : typeof v;
}

export function positive(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new ValueError(`${name} must be a finite number > 0, got ${shown(v)}`);
  return v;
}

export function nonNegative(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new ValueError(`${name} must be a finite number ≥ 0, got ${shown(v)}`);
  return v;
}

export function finite(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ValueError(`${name} must be a finite number, got ${shown(v)}`);
  return v;
}

export function integer(v: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw new ValueError(`${name} must be ${range}, got ${shown(v)}`);
  }
  return v;
}

export function inOpenUnit(v: unknown, name: string): number {
  if (typeof v !== "number" || !(v > 0 && v < 1)) throw new ValueError(`${name} must be in the open interval (0, 1), got ${shown(v)}`);
  return v;
}

export function probability(v: unknown, name: string): number {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new ValueError(`${name} must be a probability in [0, 1], got ${shown(v)}`);
  return v;
}

export function oneOf<T extends string>(v: unknown, name: string, allowed: readonly T[]): T {
  if (typeof v !== "string" || !allowed.includes(v as T)) throw new ValueError(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${typeof v === "string" ? JSON.stringify(clip(v)) : shown(v)}`);
  return v as T;
}

/** A seed: a non-negative safe integer (split into two 32-bit halves for the engine). */
export function seed(v: unknown, name = "seed"): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new ValueError(`${name} must be a non-negative safe integer, got ${shown(v)}`);
  return v;
}
