// Nyström KRR at the scale of MNIST: NystromKRR.fit on 60,000 × 784 rows with 10 outputs and
// 1,200 centres (uniform, and chosen by SQUEAK), against scikit-learn's Nystroem + Ridge, all
// with their default threads (every core) and with one thread, in the same run.
// Target (issue 15): NystromKRR.fit ≤ 1.0× scikit-learn's Nystroem + Ridge with default threads.
//
// No data set of that shape ships with the package, so the rows are synthetic with MNIST's shape:
// 10 classes, each row its class's pattern (784 values in [0, 1], a third of them dark) plus
// noise; targets are the one-hot class codes (10 outputs); a held-out 10,000 rows measure the
// accuracy, so that both sides are seen to fit the same problem equally well.
import { table, ms, ratio, verdict } from "../lib/format.mjs";
import { loadAverage } from "../lib/machine.mjs";

function mulberry(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n rows of d values: half a shared pattern, half class c's, plus uniform noise of width 1.2,
 *  clipped to [0, 1]; Y one-hot. */
function synthetic(n, d, classes, seed) {
  const lay = mulberry(7);
  const base = Float64Array.from({ length: d }, () => (lay() < 1 / 3 ? 0 : lay()));
  const pattern = Array.from({ length: classes }, () => Float64Array.from({ length: d }, (_, j) => 0.5 * base[j] + 0.5 * (lay() < 1 / 3 ? 0 : lay())));
  const u = mulberry(seed);
  const X = new Float64Array(n * d), Y = new Float64Array(n * classes), label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(u() * classes);
    label[i] = c;
    Y[i * classes + c] = 1;
    const p = pattern[c];
    for (let j = 0; j < d; j++) X[i * d + j] = Math.min(1, Math.max(0, p[j] + 1.2 * (u() - 0.5)));
  }
  return { X, Y, label };
}

export default {
  id: "krr-large",
  title: "Nyström KRR at MNIST's scale (60,000 × 784, 10 outputs, 1,200 centres), threads against scikit-learn",
  order: 56,
  async run(ctx) {
    const { sl } = ctx;
    const [n, nt, d, k, m] = ctx.quick ? [6000, 1000, 784, 10, 300] : [60_000, 10_000, 784, 10, 1200];
    const gamma = 1 / d; // scikit-learn's default for the rbf kernel: 1 / n_features
    const ridge = 1e-3;
    ctx.log(`krr-large: data ${n}×${d}`);
    const tr = synthetic(n, d, k, 1), te = synthetic(nt, d, k, 2);
    const Xtr = new sl.Matrix(n, d, tr.X), Ytr = new sl.Matrix(n, k, tr.Y), Xte = new sl.Matrix(nt, d, te.X);
    const kernel = sl.rbf({ gamma });
    const eng = sl.getEngine();
    const cores = sl.engineInfo().cores;
    const accuracy = (P) => {
      let ok = 0;
      for (let i = 0; i < nt; i++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (P.data[i * k + c] > P.data[i * k + best]) best = c;
        if (best === te.label[i]) ok++;
      }
      return ok / nt;
    };
    const rows = [];
    const fitWith = async (threads, dict, what) => {
      eng.setThreads(threads);
      await eng.threadsReady();
      const load = loadAverage()[0];
      const t0 = performance.now();
      const model = sl.NystromKRR.fit(dict, Xtr, Ytr, { ridge });
      const t = performance.now() - t0;
      const acc = accuracy(model.predict(Xte));
      eng.setThreads(1);
      return { what, threads, t, acc, load };
    };
    ctx.log("krr-large: uniform centres");
    const uni = sl.uniformNystrom(Xtr, m, { kernel, lambda: 1e-3, seed: 1 });
    const runs = [await fitWith(1, uni, "uniform"), await fitWith(cores, uni, "uniform")];
    ctx.log("krr-large: SQUEAK centres");
    eng.setThreads(cores);
    let t0 = performance.now();
    const sq = new sl.Squeak({ kernel, lambda: 1e-5, eps: 0.5, qbar: 2, seed: 1, maxDictionary: m });
    sq.push(Xtr);
    const sqDict = sq.dictionary();
    sq.dispose();
    const tSquark = performance.now() - t0;
    eng.setThreads(1);
    runs.push(await fitWith(1, sqDict, `SQUEAK (${sqDict.size} centres)`), await fitWith(cores, sqDict, `SQUEAK (${sqDict.size} centres)`));
    const code = `
import numpy as np, time
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import Ridge
n, nt, d, k, m = INPUT["n"], INPUT["nt"], INPUT["d"], INPUT["k"], INPUT["m"]
rng = np.random.default_rng(1)
base = rng.random(d); base[rng.random(d) < 1/3] = 0
lay = rng.random((k, d)); lay[rng.random((k, d)) < 1/3] = 0
lay = 0.5 * base + 0.5 * lay
cls = rng.integers(0, k, n); clt = rng.integers(0, k, nt)
X = np.clip(lay[cls] + 1.2 * (rng.random((n, d)) - 0.5), 0, 1)
Xt = np.clip(lay[clt] + 1.2 * (rng.random((nt, d)) - 0.5), 0, 1)
Y = np.eye(k)[cls]
def fit():
    f = Nystroem(gamma=1.0 / d, n_components=m, random_state=0)
    Z = f.fit_transform(X)
    r = Ridge(alpha=${ridge}).fit(Z, Y)
    return f, r
ms = bench_ms(fit, min_reps=1, min_s=0, warmup=False)
f, r = fit()
acc = float((r.predict(f.transform(Xt)).argmax(1) == clt).mean())
print(_json.dumps({"ms": ms, "acc": acc}))
`;
    const input = { n, nt, d, k, m };
    ctx.log("krr-large: scikit-learn, default threads and 1 thread");
    const loadP = loadAverage()[0];
    const pDefault = ctx.python(code, input, { threads: "default" });
    const p1 = ctx.python(code, input, { threads: 1 });
    const out = runs.map((r) => [r.what, r.threads, `${ms(r.t)} ms`, (100 * r.acc).toFixed(1) + " %", r.load.toFixed(2)]);
    if (pDefault) out.push(["scikit-learn Nystroem + Ridge", `default (${cores})`, `${ms(pDefault.ms)} ms`, (100 * pDefault.acc).toFixed(1) + " %", loadP.toFixed(2)]);
    if (p1) out.push(["scikit-learn Nystroem + Ridge", 1, `${ms(p1.ms)} ms`, (100 * p1.acc).toFixed(1) + " %", loadP.toFixed(2)]);
    for (const r of runs.filter((x) => x.threads === cores)) {
      const v = pDefault ? r.t / pDefault.ms : null;
      ctx.summary.push({ case: "krr-large", what: `NystromKRR.fit, ${r.what}, ${cores} threads: time ÷ scikit-learn's (default threads; load ${r.load.toFixed(1)})`, value: v ? ratio(v) : "peer skipped", target: v ? verdict(v, 1.0, false) : "–" });
    }
    return [
      table(["centres", "threads", "fit time", "test accuracy", "load (1 min)"], out),
      "",
      `${n} training rows (d = ${d}), ${k} outputs (one-hot classes), ${nt} test rows; rbf kernel with γ = 1/d (scikit-learn's default), ridge ${ridge}. ` +
        `seqlearn's fit time is NystromKRR.fit given the centres (kernel blocks K(X, D) in chunks, H += K_DXᵀK_DX by syrk_t, K_DX·Y, one m×m Cholesky); ` +
        `choosing the centres took ${ms(tSquark)} ms with SQUEAK (${cores} threads) and is not included; uniform centres cost nothing. ` +
        `scikit-learn's time is Nystroem.fit_transform (its own uniform centres: K(X, C), and K_CC^(−1/2) applied to it) plus Ridge.fit on the m features, ` +
        "with numpy's BLAS on its default threads (every core) or on one (`OPENBLAS_NUM_THREADS=1`). The data are generated by the same recipe on both sides (not the same numbers).",
      "",
      "What limits seqlearn here is the GEMM behind every step: with SIMD128 (two f64 lanes, no fused multiply-add) one core gives 0.4× of OpenBLAS's AVX-512 per core, " +
        "so the same number of threads cannot reach scikit-learn's time; the flops are comparable (seqlearn: 2nmd for K(X, D), nm² for H with syrk_t; scikit-learn: 2nmd, 2nm² for the features, nm² for ZᵀZ).",
    ].join("\n");
  },
};
