// Gaussian (RBF) kernel block K(X, Y), X n×d, Y m×d: seqlearn vs scikit-learn rbf_kernel
// (single-threaded OpenBLAS) and ml-kernel's gaussian kernel.
// Targets (issue 2): ≤ 2× scikit-learn's time, ≥ 10× faster than ml-kernel.
import { Kernel as MlKernel } from "ml-kernel";
import { table, ms, ratio, verdict, randomArray, toRows } from "../lib/format.mjs";
import { bestOfRounds } from "../lib/timing.mjs";

export default {
  id: "rbf",
  title: "RBF kernel block K(X, Y)",
  order: 30,
  async run(ctx) {
    const { sl } = ctx;
    const [n, m, d] = ctx.quick ? [400, 100, 32] : [4000, 1000, 32];
    const gamma = 1 / d;
    const sigma = Math.sqrt(1 / (2 * gamma)); // ml-kernel: exp(−‖x−y‖² / (2σ²))
    const X = new sl.Matrix(n, d, randomArray(n * d, 11));
    const Y = new sl.Matrix(m, d, randomArray(m * d, 12));
    const rounds = ctx.quick ? 1 : 3;
    const sklearn = () => ctx.python(`
import numpy as np
from sklearn.metrics.pairwise import rbf_kernel
n, m, d, g = INPUT["n"], INPUT["m"], INPUT["d"], INPUT["gamma"]
rng = np.random.default_rng(11)
x = rng.random((n, d)) * 2 - 1
y = rng.random((m, d)) * 2 - 1
print(_json.dumps({"ms": bench_ms(lambda: rbf_kernel(x, y, gamma=g), min_reps=5, min_s=0.5)}))
`, { n, m, d, gamma })?.ms ?? null;
    ctx.log(`rbf ${n}×${m}, d=${d}`);
    const k = sl.rbf({ gamma });
    const eng = sl.getEngine();
    const bx = eng.f64(n * d).set(X.data), by = eng.f64(m * d).set(Y.data), bo = eng.f64(n * m), bw = eng.f64(n + m);
    const raw = () => eng.exports.kernel_block(1, gamma, 0, 0, bx.ptr, n, by.ptr, m, d, bo.ptr, bw.ptr);
    const [tN, tS, tE] = bestOfRounds(rounds, [
      sklearn,
      () => ctx.time(() => k.matrix(X, Y), { minReps: 5, minMs: 500 }),
      () => ctx.time(raw, { minReps: 5, minMs: 500 }),
    ]);
    bx.dispose(); by.dispose(); bo.dispose(); bw.dispose();
    const py = tN != null;
    const K = k.matrix(X, Y);
    const mk = new MlKernel("gaussian", { sigma });
    const xr = toRows(X.data, n, d), yr = toRows(Y.data, m, d);
    const mK = mk.compute(xr, yr);
    let err = 0;
    for (let i = 0; i < n; i += 7) for (let j = 0; j < m; j += 3) err = Math.max(err, Math.abs(mK.get(i, j) - K.data[i * m + j]));
    if (!(err < 1e-12)) throw new Error(`rbf: seqlearn and ml-kernel disagree by ${err}`);
    const tM = ctx.time(() => mk.compute(xr, yr), { minReps: 2, minMs: 0, warmup: false });
    const rN = tN ? tS / tN : null;
    const rM = tM / tS;
    ctx.summary.push({ case: "rbf", what: `${n}×${m}, d=${d}: time ÷ scikit-learn's`, value: rN ? ratio(rN) : "peer skipped", target: rN ? verdict(rN, 2, false) : "–" });
    ctx.summary.push({ case: "rbf", what: `${n}×${m}, d=${d}: speed-up vs ml-kernel`, value: ratio(rM), target: verdict(rM, 10) });
    return [
      table(["block", "seqlearn (SDK call)", "engine export alone", "scikit-learn rbf_kernel (1 thread)", "seqlearn time ÷ scikit-learn", "ml-kernel gaussian", "seqlearn speed-up vs ml-kernel"], [[
        `${n}×${m}, d=${d}`, `${ms(tS)} ms`, `${ms(tE)} ms`, tN ? `${ms(tN)} ms` : "peer skipped", rN ? `${ratio(rN)} (${verdict(rN, 2, false)})` : "–",
        `${ms(tM)} ms`, `${ratio(rM)} (${verdict(rM, 10)})`,
      ]]),
      "",
      `scikit-learn and seqlearn are each measured in ${rounds} interleaved round(s) (median of ≥ 5 calls per round), and the best round is shown. ` +
        `γ = ${gamma} (ml-kernel σ = ${sigma.toFixed(4)}, the same kernel; the results are checked to agree within 1e-12). ` +
        "seqlearn: squared distances by the GEMM identity ‖x‖² + ‖y‖² − 2x·y, finished block by block while the block is in cache " +
        "(clamp at 0, vectorised exp). The ratio uses the SDK call (validation, copying X, Y in and K out of Wasm memory); " +
        "\"engine export alone\" is the kernel block on data already in Wasm memory. What limits it: the exp (a degree-11 polynomial " +
        "on 2-lane vectors, ~40 operations per pair of entries) takes about as long as the GEMM; numpy's exp uses 8-lane AVX-512.",
      ...(tN && tE ? ["", `- The engine export alone takes ${ratio(tE / tN)} scikit-learn's time; the SDK call adds ${Math.round((tS / tE - 1) * 100)} % ` +
        `(checking X and Y are finite, copying them in, and copying the ${n}×${m} result out of Wasm memory into a new JavaScript array).`] : []),
      ...(py ? [] : [`scikit-learn: peer skipped: not importable`]),
    ].join("\n");
  },
};
