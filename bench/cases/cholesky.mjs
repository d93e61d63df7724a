// Cholesky of an SPD n×n matrix: seqlearn vs numpy.linalg.cholesky (LAPACK dpotrf through
// single-threaded OpenBLAS) and ml-matrix CholeskyDecomposition.
// Targets (issue 2): ≤ 3× numpy's time, ≥ 10× faster than ml-matrix.
import { Matrix as MlMatrix, CholeskyDecomposition } from "ml-matrix";
import { table, ms, ratio, verdict, randomArray, toRows } from "../lib/format.mjs";
import { bestOfRounds } from "../lib/timing.mjs";

export default {
  id: "cholesky",
  title: "Cholesky factorisation (f64, n×n SPD)",
  order: 20,
  async run(ctx) {
    const { sl } = ctx;
    const n = ctx.quick ? 200 : 1000;
    // A = X·Xᵀ/n + I, well conditioned.
    const X = new sl.Matrix(n, n, randomArray(n * n, 7));
    const A = sl.linalg.syrk(X);
    for (let i = 0; i < n * n; i++) A.data[i] /= n;
    for (let i = 0; i < n; i++) A.data[i * n + i] += 1;
    const rounds = ctx.quick ? 1 : 3;
    const numpy = () => ctx.python(`
import numpy as np
n = INPUT["n"]
rng = np.random.default_rng(7)
x = rng.random((n, n)) * 2 - 1
a = x @ x.T / n + np.eye(n)
print(_json.dumps({"ms": bench_ms(lambda: np.linalg.cholesky(a), min_reps=5, min_s=0.5)}))
`, { n })?.ms ?? null;
    ctx.log(`cholesky n=${n}`);
    const [tN, tS] = bestOfRounds(rounds, [numpy, () => ctx.time(() => sl.linalg.cholesky(A), { minReps: 5, minMs: 500 })]);
    const py = tN != null;
    const { L } = sl.linalg.cholesky(A);
    const mA = new MlMatrix(toRows(A.data, n, n));
    const chol = new CholeskyDecomposition(mA);
    const mL = chol.lowerTriangularMatrix;
    let err = 0;
    for (let i = 0; i < n; i += 3) for (let j = 0; j <= i; j += 5) err = Math.max(err, Math.abs(mL.get(i, j) - L.data[i * n + j]));
    if (!(err < 1e-9)) throw new Error(`cholesky: seqlearn and ml-matrix factors disagree by ${err}`);
    const tM = ctx.time(() => new CholeskyDecomposition(mA), { minReps: 2, minMs: 0, warmup: false });
    const rN = tN ? tS / tN : null;
    const rM = tM / tS;
    ctx.summary.push({ case: "cholesky", what: `n=${n}: time ÷ numpy's`, value: rN ? ratio(rN) : "peer skipped", target: rN ? verdict(rN, 3, false) : "–" });
    ctx.summary.push({ case: "cholesky", what: `n=${n}: speed-up vs ml-matrix`, value: ratio(rM), target: verdict(rM, 10) });
    return [
      table(["n", "seqlearn", "numpy (1 thread)", "seqlearn time ÷ numpy", "ml-matrix", "seqlearn speed-up vs ml-matrix"], [[
        n, `${ms(tS)} ms`, tN ? `${ms(tN)} ms` : "peer skipped", rN ? `${ratio(rN)} (${verdict(rN, 3, false)})` : "–",
        `${ms(tM)} ms`, `${ratio(rM)} (${verdict(rM, 10)})`,
      ]]),
      "",
      `A = X·Xᵀ/n + I with X uniform in [−1, 1). seqlearn and numpy are each measured in ${rounds} interleaved round(s) (median of ≥ 5 calls per round), and the best round is shown. ` +
        "seqlearn: blocked right-looking factorisation; the trailing update " +
        "and the panel's triangular solve run through the GEMM kernel, so it inherits GEMM's SIMD128 limits (no FMA, 2 lanes). " +
        "seqlearn's time includes copying A into and L out of Wasm memory.",
      ...(py ? [] : [`numpy: peer skipped: no python3 with numpy`]),
    ].join("\n");
  },
};
