// DISQUEAK on a worker pool: wall-clock speed-up of 2 workers over 1 on a balanced tree, total
// work against sequential SQUEAK, per-level times, and the dictionaries' size and accuracy.
// Targets (issue 4): n = 200,000, 2 workers ≥ 1.6× faster than 1; total work ≤ 2× SQUEAK's.
// Issue 15: 2 workers ≥ 1.8× over 1 at n = 40,000 and n = 200,000 — the merges near the root
// use the threads of the idle workers (MergeInput.threads), so the root no longer runs alone on
// one core. `npm run bench -- --only disqueak` reruns this section (on a quiet machine, please).
import { table, ms, ratio } from "../lib/format.mjs";
import { twoThreadScaling } from "../lib/machine.mjs";

// The coherent mixture in 2-D (the high-coherence regime of Alaoui & Mahoney 2015, where
// leverage scores beat uniform sampling): a Gaussian blob with 1 row in 50 drawn from 200
// tight clusters (σ = 0.05) spread over [−30, 30]².
function mixture(sl, n) {
  const r = new sl.Rng(2017, 1);
  const g = r.normal(2 * n), u = r.uniform(400);
  r.dispose();
  const X = new sl.Matrix(n, 2);
  for (let i = 0; i < n; i++) {
    if (i % 50 === 0) {
      const c = (i / 50) % 200;
      X.data[2 * i] = 60 * u[2 * c] - 30 + 0.05 * g[2 * i];
      X.data[2 * i + 1] = 60 * u[2 * c + 1] - 30 + 0.05 * g[2 * i + 1];
    } else {
      X.data[2 * i] = g[2 * i];
      X.data[2 * i + 1] = g[2 * i + 1];
    }
  }
  return X;
}

export default {
  id: "disqueak",
  title: "DISQUEAK merge trees on worker threads",
  order: 71,
  async run(ctx) {
    const parts = [];
    for (const n of ctx.quick ? [20_000] : [40_000, 200_000]) parts.push(await this.size(ctx, n));
    return parts.join("\n\n");
  },
  async size(ctx, n) {
    const { sl } = ctx;
    const loadStart = (await import("../lib/machine.mjs")).loadAverage()[0];
    const leafSize = Math.max(4096, Math.ceil(n / 16)); // disqueak()'s default: a function of n only
    const X = mixture(sl, n);
    const opts = { kernel: sl.rbf({ gamma: 0.5 }), lambda: 1, eps: 0.5, qbar: 8, seed: 1 };
    ctx.log(`disqueak: SQUEAK on n = ${n}`);
    let t0 = performance.now();
    const sq = new sl.Squeak(opts);
    sq.push(X);
    const sqDict = sq.dictionary();
    sq.dispose();
    const tSq = performance.now() - t0;
    // Pools are started once; runs alternate 1, 2, 2, 1, 1, 2 workers and each keeps its best, so
    // that a drift in the machine's load does not favour either side.
    const pools = { 1: await sl.WorkerPool.create({ size: 1 }), 2: await sl.WorkerPool.create({ size: 2 }) };
    const best = {};
    let leafScaling = 0;
    try {
      // Control on the real workload: one leaf task alone vs two copies at once on 2 workers.
      const leafInput = { node: 0, seed: 1, level: 0, leaf: { data: X.data.slice(0, 2 * leafSize), n: leafSize, d: 2, start: 0 }, params: sl.kernel.disqueakParams(opts, "squeak") };
      const timeK = async (k) => {
        const t = performance.now();
        await Promise.all(Array.from({ length: k }, () => pools[2].run("seqlearn.disqueak.leaf", leafInput)));
        return performance.now() - t;
      };
      await timeK(2);
      for (let rep = 0; rep < 2; rep++) leafScaling = Math.max(leafScaling, (2 * (await timeK(1))) / (await timeK(2)));
      for (const workers of ctx.quick ? [1, 2] : [1, 2, 2, 1, 1, 2]) {
        ctx.log(`disqueak: ${workers} worker(s)`);
        t0 = performance.now();
        const r = await sl.disqueak(X, { ...opts, leafSize, pool: pools[workers] });
        const t = performance.now() - t0;
        if (!best[workers] || t < best[workers].ms) best[workers] = { workers, ms: t, r };
      }
    } finally {
      await pools[1].close();
      await pools[2].close();
    }
    const runs = [best[1], best[2]];
    const b1 = sl.encodeDictionary(runs[0].r.dictionary), b2 = sl.encodeDictionary(runs[1].r.dictionary);
    if (b1.length !== b2.length || b1.some((b, i) => b !== b2[i])) throw new Error("disqueak: 1 and 2 workers gave different dictionaries");
    const speedup = runs[0].ms / runs[1].ms;
    // The tree's own bound: with the 1-worker per-level compute times, 2 workers need at
    // least Σ_levels work/min(2, nodes) (the root merge runs alone).
    const bound = runs[0].r.levels.reduce((s, l) => s + l.workMs / Math.min(2, l.nodes), 0);
    ctx.log("disqueak: machine's 2-thread scaling (control)");
    const control = await twoThreadScaling(ctx.quick ? 2e7 : 1e8);
    const work = runs[0].r.levels.reduce((s, l) => s + l.workMs, 0);
    const workRatio = work / tSq;
    const err = (d) => sl.nystromError(d, X, { seed: 1, mode: "plain", subset: 2000 });
    const eSq = err(sqDict), eDq = err(runs[1].r.dictionary);
    const uni = err(sl.uniformNystrom(X, runs[1].r.dictionary.size, { kernel: opts.kernel, lambda: opts.lambda, seed: 3 }));
    ctx.summary?.push({ case: "disqueak", what: `n = ${n}: 2 workers vs 1 (wall clock; machine's own 2-thread scaling ${ratio(control)}; load ${loadStart.toFixed(1)})`, value: ratio(speedup), target: speedup >= 1.8 ? "met (≥ 1.8×)" : "missed (≥ 1.8×)" });
    ctx.summary?.push({ case: "disqueak", what: `n = ${n}: total work ÷ SQUEAK's time`, value: ratio(workRatio), target: workRatio <= 2 ? "met (≤ 2×)" : "missed (≤ 2×)" });
    const levelRows = runs[0].r.levels.map((l, i) => {
      const l2 = runs[1].r.levels[i];
      return [String(l.level), String(l.nodes), `${ms(l.wallMs)} ms`, `${ms(l.workMs)} ms`, `${ms(l2.wallMs)} ms`, `${ms(l2.workMs)} ms`];
    });
    return [
      `### n = ${n} (leaf size ${leafSize}, the default for n; load average at the start ${loadStart.toFixed(2)})`,
      "",
      table(["method", "wall clock", "dictionary size", "plain Nyström error ‖K − K̃‖₂ (2,000-row subset)"], [
        ["SQUEAK (sequential, 1 thread)", `${ms(tSq)} ms`, String(sqDict.size), eSq.toPrecision(3)],
        ["DISQUEAK, 1 worker", `${ms(runs[0].ms)} ms`, String(runs[0].r.dictionary.size), "(identical to 2 workers)"],
        ["DISQUEAK, 2 workers", `${ms(runs[1].ms)} ms (${ratio(speedup)} vs 1 worker)`, String(runs[1].r.dictionary.size), eDq.toPrecision(3)],
        ["uniform Nyström, same size as DISQUEAK", "–", String(runs[1].r.dictionary.size), uni.toPrecision(3)],
      ]),
      "",
      `Per tree level (${runs[0].r.levels[0].nodes} leaves of SQUEAK-thinned parts, balanced tree; with 2 workers the merges of a level with one node run on 2 engine threads):`,
      "",
      table(["level", "nodes", "1 worker: wall", "1 worker: compute", "2 workers: wall", "2 workers: compute"], levelRows),
      "",
      `Speed-up the tree allowed with 2 workers before threads (from the 1-worker per-level compute times, the root merge alone on one core): ` +
        `${ratio(runs[0].ms / (bound + runs[0].ms - work))}; the 2-worker run took ` +
        `${ms(runs[1].ms)} ms against the ${ms(bound + runs[0].ms - work)} ms that bound implies. ` +
        `Control: two threads running a plain JavaScript loop finished twice one thread's work ${ratio(control)} as fast as one thread ` +
        `during this run (2.0× on two free cores; less when the machine is shared); two copies of one SQUEAK leaf task at once ` +
        `on the 2-worker pool: ${ratio(leafScaling)}. The leaf and merge tasks work on m×m matrices of several MB (m ≈ 10³), so ` +
        `two of them at once compete for the shared cache and memory bandwidth; when this control is well below the JavaScript one, ` +
        `that contention, not the pool, is what limits the speed-up.`,
      "",
      `n = ${n} rows of the coherent mixture (2-D Gaussian blob plus 200 tight clusters), rbf gamma = 0.5 (σ = 1), λ = 1, ε = 0.5, q̄ = 8, ` +
        `seed 1, printed DISQUEAK prefactor. Wall clocks are the best of three runs per pool, alternated (1, 2, 2, 1, 1, 2 workers). Both pools give byte-identical dictionaries. Total DISQUEAK work (summed task compute time, ` +
        `1 worker) is ${ms(work)} ms = ${ratio(workRatio)} SQUEAK's time. The wall clock of each run includes splitting the data, ` +
        `copying parts to the workers and dictionary files between them, but not starting the pool (about 50–100 ms per worker). ` +
        `The root merge (one Cholesky of the union of two dictionaries, and its diag(A⁻¹)) runs on the engine threads of its worker, 2 with 2 workers: ` +
        `its kernel block, factorisation and solves split bit-identically, so only its serial parts (the diagonal blocks, the O(m) bookkeeping, the dictionary files) still run alone.`,
    ].join("\n");
  },
};
