// The threaded engine against numpy / scikit-learn, both with one thread and with two, in the
// same run: GEMM n = 1024, Cholesky n = 2000, an RBF kernel block 8000×2000 (d = 32).
// Targets (issue 15): GEMM with 2 threads ≥ 1.8× our one thread and ≥ 0.8× numpy with 2
// threads; Cholesky and the RBF block with 2 threads ≤ 1.5× numpy's / scikit-learn's time with 2.
//
// The machine this runs on is often shared: every row records the load average next to its
// figures, the "CPU ÷ wall" column says how busy the engine kept its threads (2.0 = both cores
// all the time), and a control measures what two plain JavaScript threads get at that moment.
// `npm run bench -- --only threads` reruns this section alone (on a quiet machine, please).
import { table, ms, ratio, verdict, randomArray } from "../lib/format.mjs";
import { bestOfRounds } from "../lib/timing.mjs";
import { loadAverage, twoThreadScaling } from "../lib/machine.mjs";

/** Median ms of fn on `threads` engine threads, and the process CPU time per wall time. */
function timed(ctx, threads, fn, opts) {
  const eng = ctx.sl.getEngine();
  eng.setThreads(threads);
  const cpu0 = process.cpuUsage(), w0 = performance.now();
  const t = ctx.time(fn, opts);
  const cpu = process.cpuUsage(cpu0), wall = performance.now() - w0;
  eng.setThreads(1);
  return { t, busy: (cpu.user + cpu.system) / 1000 / wall };
}

export default {
  id: "threads",
  title: "Threads: GEMM, Cholesky and RBF blocks with 1 and 2 threads, against numpy / scikit-learn",
  order: 5,
  async run(ctx) {
    const { sl } = ctx;
    const eng = sl.getEngine();
    const T = 2;
    eng.setThreads(T);
    await eng.threadsReady();
    eng.setThreads(1);
    const info = sl.engineInfo();
    const rounds = ctx.quick ? 1 : 3;
    const gemmN = ctx.quick ? 256 : 1024, cholN = ctx.quick ? 400 : 2000;
    const [rbfN, rbfM, rbfD] = ctx.quick ? [1000, 500, 32] : [8000, 2000, 32];
    const py = (code, input, threads) => ctx.python(code, input, { threads })?.ms ?? null;
    const rows = [];
    const notes = [];
    const record = (what, target, s1, s2, p1, p2, load, extra = "") => {
      rows.push([what, `${ms(s1.t)} ms`, `${ms(s2.t)} ms (CPU÷wall ${s2.busy.toFixed(2)})`, `${ratio(s1.t / s2.t)}`,
        p1 ? `${ms(p1)} ms` : "peer skipped", p2 ? `${ms(p2)} ms` : "peer skipped", target(s2.t, p2), load.toFixed(2)]);
      if (extra) notes.push(extra);
    };

    // ---- GEMM ----------------------------------------------------------------------------
    {
      ctx.log(`threads: gemm n=${gemmN}`);
      const n = gemmN;
      const A = new sl.Matrix(n, n, randomArray(n * n, n)), B = new sl.Matrix(n, n, randomArray(n * n, n + 1));
      const code = `
import numpy as np
n = INPUT["n"]
rng = np.random.default_rng(n)
a = rng.random((n, n)) * 2 - 1
b = rng.random((n, n)) * 2 - 1
print(_json.dumps({"ms": bench_ms(lambda: a @ b, min_reps=5, min_s=0.5)}))
`;
      const load = loadAverage()[0];
      const opts = { minReps: 5, minMs: 500 };
      const [s1, s2, p1, p2] = bestOfRounds(rounds, [
        () => timed(ctx, 1, () => sl.linalg.gemm(A, B), opts).t,
        () => timed(ctx, T, () => sl.linalg.gemm(A, B), opts).t,
        () => py(code, { n }, 1),
        () => py(code, { n }, T),
      ].map((f, i) => () => { const v = f(); return v; }));
      const busy = timed(ctx, T, () => sl.linalg.gemm(A, B), opts).busy;
      const gf = (t) => (2 * n ** 3) / (t * 1e6);
      const sp = s1 / s2, vsNumpy = p2 ? gf(s2) / gf(p2) : null;
      record(`GEMM n=${n}`, () => `${ratio(sp)} vs 1 thread (${verdict(sp, 1.8)}); GFLOP/s ${vsNumpy ? ratio(vsNumpy) : "–"} of numpy's with 2 (${vsNumpy ? verdict(vsNumpy, 0.8) : "–"})`,
        { t: s1, busy: 1 }, { t: s2, busy }, p1, p2, load);
      ctx.summary.push({ case: "threads", what: `GEMM n=${n}: 2 threads vs 1 (load ${load.toFixed(1)})`, value: ratio(sp), target: verdict(sp, 1.8) });
      if (vsNumpy) ctx.summary.push({ case: "threads", what: `GEMM n=${n}: GFLOP/s vs numpy, both 2 threads`, value: ratio(vsNumpy), target: verdict(vsNumpy, 0.8) });
    }

    // ---- Cholesky ------------------------------------------------------------------------
    {
      ctx.log(`threads: cholesky n=${cholN}`);
      const n = cholN;
      const X = new sl.Matrix(n, n, randomArray(n * n, 7));
      const Aspd = sl.linalg.syrk(X);
      for (let i = 0; i < n * n; i++) Aspd.data[i] /= n;
      for (let i = 0; i < n; i++) Aspd.data[i * n + i] += 1;
      const code = `
import numpy as np
n = INPUT["n"]
rng = np.random.default_rng(7)
x = rng.random((n, n)) * 2 - 1
a = x @ x.T / n + np.eye(n)
print(_json.dumps({"ms": bench_ms(lambda: np.linalg.cholesky(a), min_reps=3, min_s=0.5)}))
`;
      const load = loadAverage()[0];
      const opts = { minReps: 3, minMs: 500 };
      const [s1, s2, p1, p2] = bestOfRounds(rounds, [
        () => timed(ctx, 1, () => sl.linalg.cholesky(Aspd), opts).t,
        () => timed(ctx, T, () => sl.linalg.cholesky(Aspd), opts).t,
        () => py(code, { n }, 1),
        () => py(code, { n }, T),
      ]);
      const busy = timed(ctx, T, () => sl.linalg.cholesky(Aspd), opts).busy;
      const r = p2 ? s2 / p2 : null;
      record(`Cholesky n=${n}`, () => `time ${r ? ratio(r) : "–"} numpy's with 2 (${r ? verdict(r, 1.5, false) : "–"})`, { t: s1, busy: 1 }, { t: s2, busy }, p1, p2, load);
      if (r) ctx.summary.push({ case: "threads", what: `Cholesky n=${n}: time ÷ numpy's, both 2 threads (load ${load.toFixed(1)})`, value: ratio(r), target: verdict(r, 1.5, false) });
    }

    // ---- RBF block -----------------------------------------------------------------------
    {
      ctx.log(`threads: rbf ${rbfN}×${rbfM}×${rbfD}`);
      const X = new sl.Matrix(rbfN, rbfD, randomArray(rbfN * rbfD, 11)), Y = new sl.Matrix(rbfM, rbfD, randomArray(rbfM * rbfD, 12));
      const k = sl.rbf({ gamma: 0.1 });
      const code = `
import numpy as np
from sklearn.metrics.pairwise import rbf_kernel
rng = np.random.default_rng(11)
x = rng.random((INPUT["n"], INPUT["d"])) * 2 - 1
y = rng.random((INPUT["m"], INPUT["d"])) * 2 - 1
print(_json.dumps({"ms": bench_ms(lambda: rbf_kernel(x, y, gamma=0.1), min_reps=3, min_s=0.5)}))
`;
      const input = { n: rbfN, m: rbfM, d: rbfD };
      const load = loadAverage()[0];
      const opts = { minReps: 3, minMs: 500 };
      const [s1, s2, p1, p2] = bestOfRounds(rounds, [
        () => timed(ctx, 1, () => k.matrix(X, Y), opts).t,
        () => timed(ctx, T, () => k.matrix(X, Y), opts).t,
        () => py(code, input, 1),
        () => py(code, input, T),
      ]);
      const busy = timed(ctx, T, () => k.matrix(X, Y), opts).busy;
      const r = p2 ? s2 / p2 : null;
      record(`RBF block ${rbfN}×${rbfM}, d=${rbfD}`, () => `time ${r ? ratio(r) : "–"} scikit-learn's with 2 (${r ? verdict(r, 1.5, false) : "–"})`, { t: s1, busy: 1 }, { t: s2, busy }, p1, p2, load);
      if (r) ctx.summary.push({ case: "threads", what: `RBF ${rbfN}×${rbfM}×${rbfD}: time ÷ scikit-learn's, both 2 threads (load ${load.toFixed(1)})`, value: ratio(r), target: verdict(r, 1.5, false) });
    }

    ctx.log("threads: the machine's own 2-thread scaling (control)");
    const control = await twoThreadScaling(ctx.quick ? 2e7 : 1e8);
    return [
      table(["what", "seqlearn, 1 thread", "seqlearn, 2 threads", "2 threads ÷ 1", "numpy / scikit-learn, 1 thread", "numpy / scikit-learn, 2 threads", "target", "load (1 min)"], rows),
      "",
      `Engine: ${info.module} module, ${info.cores} cores. Each figure is the best of ${rounds} interleaved round(s) of medians (seqlearn 1 thread, 2 threads, the peer with 1, with 2: ` +
        "`OPENBLAS_NUM_THREADS` / `OMP_NUM_THREADS` = 1 or 2). seqlearn's times include the SDK's validation and copies. " +
        `"CPU÷wall" is the process's CPU time over the wall time of the 2-thread measurement: how many cores the engine kept busy. ` +
        `Control: two threads running a plain JavaScript loop finished twice one thread's work ${ratio(control)} as fast as one thread during this run (2.0× on two free cores).`,
      "",
      "Why the split cannot cost bits, and what it costs in work: a GEMM's output is cut into a grid of blocks of whole 4×4 tiles, about 8 per thread, " +
        "each block computed by the single-threaded kernel; every element is the same sum in the same order, so 1, 2 and 4 threads give the same bits " +
        "(test/threads.test.ts). Each block repacks its rows of A and columns of B, which adds k·(rows + columns) loads to rows·columns·k multiply-adds: " +
        "for n = 1024 and 2 threads (16 blocks of 256×512) under 1 % more work; the helpers do their share without allocating or waiting on one another, " +
        "so on two free cores the 2-thread time is half the 1-thread time plus one fork (tens of µs). The Cholesky factorisation keeps its diagonal blocks " +
        `(n·96²/3 of the n³/3 flops, ${((96 * 96 * 3) / (cholN * cholN) * 100).toFixed(1)} % at n = ${cholN}) on one thread; its panel solves and trailing updates split by rows and block rows.`,
      "",
      ...notes.map((t) => `- ${t}`),
    ].join("\n");
  },
};
