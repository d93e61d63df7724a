// Finding the transferable buffers in a task's input or output, so that large typed arrays
// move between threads instead of being copied.

const MAX_DEPTH = 4;
const MAX_ITEMS = 10_000;

/** The distinct ArrayBuffers reachable from `value` through typed arrays, ArrayBuffers,
 *  plain arrays and plain objects (a few levels deep). Shared buffers and the buffers of
 *  `exclude` (e.g. a WebAssembly memory, which cannot be detached) are left out. */
export function collectTransferables(value: unknown, exclude: readonly unknown[] = []): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  let items = 0;
  const visit = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== "object" || items++ > MAX_ITEMS) return;
    if (v instanceof ArrayBuffer) {
      if (!exclude.includes(v) && v.byteLength > 0) found.add(v);
      return;
    }
    if (ArrayBuffer.isView(v)) {
      const b = v.buffer;
      if (b instanceof ArrayBuffer && !exclude.includes(b) && b.byteLength > 0) found.add(b);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return;
    for (const k of Object.keys(v)) visit((v as Record<string, unknown>)[k], depth + 1);
  };
  visit(value, 0);
  return [...found];
}
