// Timing for the JavaScript side: median wall-clock milliseconds per call.

/** Median ms per call of fn over at least minReps calls and minMs total (after one warm-up
 *  call unless warmup is false). */
export function time(fn, { minReps = 3, minMs = 300, warmup = true, maxReps = 1000 } = {}) {
  // Start every measurement from a collected heap (npm run bench passes --expose-gc), so one
  // case's garbage — e.g. the large result arrays of the case before — is not billed to the next.
  globalThis.gc?.();
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

/** Run the measurements `fns` (each returns ms, or null when its peer is unavailable) in
 *  `rounds` interleaved rounds and keep each one's best round. On a shared machine this
 *  gives seqlearn and its peer the same chances of a quiet moment, instead of measuring one
 *  side only while another job happens to run. */
export function bestOfRounds(rounds, fns) {
  const best = fns.map(() => Infinity);
  const missing = fns.map(() => false);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      if (missing[i]) return;
      const v = fn();
      if (v == null) missing[i] = true;
      else best[i] = Math.min(best[i], v);
    });
  }
  return best.map((v, i) => (missing[i] || !Number.isFinite(v) ? null : v));
}
