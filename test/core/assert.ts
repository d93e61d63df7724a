// A dependency-free assertion helper so the core suite runs unchanged in Node (vitest),
// Deno, Chromium and under WASI.
export class AssertionError extends Error {}

export function ok(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

export function close(actual: number, expected: number, tol: number, msg: string): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new AssertionError(`${msg}: expected ${expected} ± ${tol}, got ${actual} (diff ${Math.abs(actual - expected)})`);
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new AssertionError(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN propagates as a failure
  }
  return m;
}

export function throwsType(fn: () => unknown, type: Function, pattern: RegExp | null, msg: string): Error {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof type)) throw new AssertionError(`${msg}: expected ${type.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    if (pattern && !pattern.test((e as Error).message)) throw new AssertionError(`${msg}: message ${JSON.stringify((e as Error).message)} does not match ${pattern}`);
    return e as Error;
  }
  throw new AssertionError(`${msg}: expected ${type.name} to be thrown, nothing was thrown`);
}

/** FNV-1a over the bytes of typed arrays: a compact fingerprint for determinism checks. */
export function fingerprint(...arrays: ArrayBufferView[]): string {
  let h1 = 0x811c9dc5 >>> 0, h2 = 0x01000193 ^ 0x5bd1e995;
  for (const a of arrays) {
    const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let i = 0; i < b.length; i++) {
      h1 = Math.imul(h1 ^ b[i], 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ b[i], 0x5bd1e995) >>> 0;
    }
  }
  return h1.toString(16).padStart(8, "0") + h2.toString(16).padStart(8, "0");
}
