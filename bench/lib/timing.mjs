// Timing for the JavaScript side: median wall-clock milliseconds per call.

/** Median ms per call of fn over at least minReps calls and minMs total (after one warm-up
 *  call unless warmup is false). */
export function time(fn, { minReps = 3, minMs = 300, warmup = true, maxReps = 1000 } = {}) {
  if (warmup) fn();
  const ts = [];
  const start = performance.now();
  while (ts.length < minReps || performance.now() - start < minMs) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
    if (ts.length >= maxReps) break;
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}
