// Nyström kernel ridge regression: seqlearn (SQUEAK / uniform centres) against scikit-learn
// Nystroem + Ridge at the same number of centres (coherent mixture, real data), against exact
// scikit-learn KernelRidge at n = 5,000, and the dictionary size as n grows (plot).
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { table, ms, ratio } from "../lib/format.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// ---- data ----------------------------------------------------------------------------

/** Seeded uniforms (mulberry32) and normals (Box–Muller): bench data only. */
function prng(seed) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare = null;
  const n = () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const th = 2 * Math.PI * u();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
  return { u, n };
}

/** The coherent mixture (this project's test design, not a paper's; the high-coherence regime
 *  where leverage scores beat uniform sampling, Alaoui & Mahoney 2015): 90% of the points from
 *  N(0, I_d), 10% in 40 tight clusters
 *  (σ = 0.05) whose centres are uniform in [−30, 30]^d; y = sin(‖x‖) + 0.1·noise. The
 *  cluster centres depend only on `layoutSeed`, so train and test share them. */
function coherentMixture(n, { d = 2, clusters = 40, seed = 1, layoutSeed = 7 } = {}) {
  const lay = prng(layoutSeed);
  const C = Array.from({ length: clusters }, () => Array.from({ length: d }, () => -30 + 60 * lay.u()));
  const r = prng(seed);
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const inCluster = r.u() < 0.1;
    const c = inCluster ? C[Math.floor(r.u() * clusters)] : null;
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = c ? c[j] + 0.05 * r.n() : r.n();
      X[i * d + j] = v;
      s += v * v;
    }
    y[i] = Math.sin(Math.sqrt(s)) + 0.1 * r.n();
  }
  return { X, y, n, d };
}

/** data/earthquakes.csv: (longitude, latitude, depth) standardised → magnitude; a seeded
 *  80/20 split; y centred on the training mean. */
function earthquakes() {
  const lines = readFileSync(join(root, "data", "earthquakes.csv"), "utf8").trim().split("\n").slice(1);
  const rows = lines.map((l) => l.split(",").map(Number));
  const n = rows.length, d = 3;
  const r = prng(2018);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r.u() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const nTr = Math.round(0.8 * n);
  const mean = [0, 0, 0], sd = [0, 0, 0];
  for (let k = 0; k < nTr; k++) for (let j = 0; j < d; j++) mean[j] += rows[perm[k]][j] / nTr;
  for (let k = 0; k < nTr; k++) for (let j = 0; j < d; j++) sd[j] += (rows[perm[k]][j] - mean[j]) ** 2 / nTr;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]);
  let ym = 0;
  for (let k = 0; k < nTr; k++) ym += rows[perm[k]][3] / nTr;
  const take = (ids) => {
    const X = new Float64Array(ids.length * d), y = new Float64Array(ids.length);
    ids.forEach((i, k) => {
      for (let j = 0; j < d; j++) X[k * d + j] = (rows[i][j] - mean[j]) / sd[j];
      y[k] = rows[i][3] - ym;
    });
    return { X, y, n: ids.length, d };
  };
  return { train: take(perm.slice(0, nTr)), test: take(perm.slice(nTr)) };
}

// ---- seqlearn side -------------------------------------------------------------------

function rmse(pred, y) {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i] - y[i]) ** 2;
  return Math.sqrt(s / y.length);
}

function asVec(p) {
  return p instanceof Float64Array ? p : p.data;
}

/** Build a dictionary, fit KRR on it, return { m, rmse, ms } (ms: dictionary + fit, median). */
function seqlearnRun(sl, method, tr, te, p, ctx) {
  const Xtr = new sl.Matrix(tr.n, tr.d, tr.X);
  const Xte = new sl.Matrix(te.n, te.d, te.X);
  const kernel = sl.rbf({ gamma: p.kernelGamma });
  let last = null;
  const once = () => {
    let dict;
    if (method === "squeak") {
      const sq = new sl.Squeak({ kernel, lambda: p.lambda, eps: p.eps ?? 0.5, qbar: p.qbar, seed: p.seed ?? 1 });
      try {
        sq.push(Xtr);
        dict = sq.dictionary();
      } finally {
        sq.dispose();
      }
    } else if (method === "uniform") {
      dict = sl.uniformNystrom(Xtr, p.m, { kernel, lambda: p.lambda, seed: p.seed ?? 1 });
    } else {
      dict = sl.fullDictionary(Xtr, { kernel, lambda: p.lambda });
    }
    const model = sl.NystromKRR.fit(dict, Xtr, tr.y, { ridge: p.ridge });
    last = { model, m: dict.size };
  };
  const t = ctx.time(once, { minReps: p.reps ?? 3, minMs: 0, warmup: false });
  const pred = asVec(last.model.predict(Xte));
  return { m: last.m, rmse: rmse(pred, te.y), ms: t, deff: null };
}

// ---- python side ---------------------------------------------------------------------

const PY_NYSTROEM = `
import numpy as np, time, json
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import Ridge
I = INPUT
d = I["d"]
Xtr = np.array(I["Xtr"]).reshape(-1, d); ytr = np.array(I["ytr"])
Xte = np.array(I["Xte"]).reshape(-1, d); yte = np.array(I["yte"])
out = {"nystroem": []}
for m in I["ms"]:
    ts = []; errs = []
    for rep in range(I["reps"]):
        t0 = time.perf_counter()
        f = Nystroem(kernel="rbf", gamma=I["kernelGamma"], n_components=m, random_state=rep)
        Z = f.fit_transform(Xtr)
        r = Ridge(alpha=I["ridge"], fit_intercept=False).fit(Z, ytr)
        ts.append((time.perf_counter() - t0) * 1000)
        errs.append(float(np.sqrt(np.mean((r.predict(f.transform(Xte)) - yte) ** 2))))
    out["nystroem"].append({"m": m, "ms": float(np.median(ts)), "rmse": float(np.mean(errs)), "rmseMin": float(np.min(errs)), "rmseMax": float(np.max(errs))})
if I.get("exact"):
    from sklearn.kernel_ridge import KernelRidge
    ts = []
    for rep in range(I.get("exactReps", 1)):
        t0 = time.perf_counter()
        k = KernelRidge(alpha=I["ridge"], kernel="rbf", gamma=I["kernelGamma"]).fit(Xtr, ytr)
        ts.append((time.perf_counter() - t0) * 1000)
    out["exact"] = {"ms": float(np.median(ts)), "rmse": float(np.sqrt(np.mean((k.predict(Xte) - yte) ** 2)))}
print(json.dumps(out))
`;

const PY_DEFF = `
import numpy as np, json
from scipy.linalg import cho_factor, lapack
I = INPUT
out = []
for case in I["cases"]:
    d = case["d"]; X = np.array(case["X"]).reshape(-1, d)
    sq = np.sum(X * X, 1)
    K = np.exp(-I["kernelGamma"] * np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0))
    n = K.shape[0]
    K[np.diag_indices(n)] += I["lambda"]
    c, _ = cho_factor(K, lower=True)
    inv, info = lapack.dpotri(c, lower=1)
    out.append(float(n - I["lambda"] * np.trace(inv)))
print(json.dumps({"deff": out}))
`;

function toList(a) {
  return Array.from(a);
}

// ---- the case ------------------------------------------------------------------------

export default {
  id: "krr",
  title: "Nyström kernel ridge regression (SQUEAK vs uniform vs scikit-learn, exact KRR, size vs n)",
  order: 50,
  async run(ctx) {
    const { sl, quick } = ctx;
    const missing = ["Squeak", "NystromKRR", "uniformNystrom", "fullDictionary"].filter((k) => !sl[k]);
    if (missing.length) return `not run: the SDK does not export ${missing.join(", ")} yet`;
    const out = [];
    const sk = ctx.peers.sklearn;
    out.push(
      "Conventions: Gaussian kernel exp(−g‖x−y‖²) (scikit-learn's `gamma` = g); KRR ridge μ is absolute, " +
        "`(K_DnK_nD + μK_DD (+ μλ·diag(1/w)))α = K_Dn y`, which is scikit-learn `Ridge(alpha=μ)` on `Nystroem` features and " +
        "`KernelRidge(alpha=μ)` when every point is a centre (μ is the SDK's `ridge`); λ (the SDK's `lambda`) is the ridge of the leverage scores that choose the centres. " +
        "seqlearn times include building the dictionary (one streaming pass) and the KRR solve; scikit-learn times include " +
        "`Nystroem.fit_transform` and `Ridge.fit`. Both single-threaded. The scikit-learn error is the mean over " +
        `${quick ? 1 : 3} seeds of its random centres.`,
    );

    // 1. Same number of centres: coherent mixture and earthquakes.
    const setups = [
      {
        name: `coherent mixture (d = 2, n = ${quick ? 1000 : 2000} train / 1,000 test)`,
        tr: coherentMixture(quick ? 1000 : 2000, { seed: 1 }),
        te: coherentMixture(1000, { seed: 2 }),
        kernelGamma: 0.5, lambda: 0.1, ridge: 0.01, qbars: quick ? [8] : [4, 8, 16],
      },
      {
        name: "real data: USGS earthquakes (data/earthquakes.csv; longitude, latitude, depth → magnitude; 1,366 train / 341 test)",
        ...(() => { const e = earthquakes(); return { tr: e.train, te: e.test }; })(),
        kernelGamma: 0.5, lambda: 0.1, ridge: 0.1, qbars: quick ? [8] : [4, 8, 16],
      },
    ];
    for (const s of setups) {
      ctx.log(`krr: ${s.name}`);
      const rows = [];
      const sq = s.qbars.map((qbar) => seqlearnRun(sl, "squeak", s.tr, s.te, { ...s, qbar, reps: quick ? 1 : 3 }, ctx));
      const ms_ = sq.map((r) => r.m);
      const un = ms_.map((m) => seqlearnRun(sl, "uniform", s.tr, s.te, { ...s, m, reps: quick ? 1 : 3 }, ctx));
      const py = sk ? ctx.python(PY_NYSTROEM, { d: s.tr.d, Xtr: toList(s.tr.X), ytr: toList(s.tr.y), Xte: toList(s.te.X), yte: toList(s.te.y), kernelGamma: s.kernelGamma, ridge: s.ridge, ms: ms_, reps: quick ? 1 : 3, exact: true }) : null;
      s.qbars.forEach((qbar, i) => {
        const p = py?.nystroem[i];
        rows.push([
          qbar, sq[i].m,
          sq[i].rmse.toFixed(4), un[i].rmse.toFixed(4), p ? `${p.rmse.toFixed(4)} (${p.rmseMin.toFixed(3)}–${p.rmseMax.toFixed(3)})` : "–",
          ms(sq[i].ms), ms(un[i].ms), p ? ms(p.ms) : "–", p ? ratio(sq[i].ms / p.ms) : "–",
          p ? (sq[i].rmse < p.rmse ? "lower" : "**not lower**") : "–",
        ]);
      });
      out.push(`### ${s.name}`);
      out.push(`Kernel g = ${s.kernelGamma}, μ = ${s.ridge}, leverage-score ridge λ = ${s.lambda}, ε = 0.5.` + (py?.exact ? ` Exact KRR (scikit-learn KernelRidge) test RMSE: ${py.exact.rmse.toFixed(4)} in ${ms(py.exact.ms)} ms.` : ""));
      out.push(table(
        ["q̄", "centres m", "RMSE SQUEAK", "RMSE seqlearn uniform", "RMSE sklearn Nystroem+Ridge", "ms SQUEAK", "ms seqlearn uniform", "ms sklearn", "time SQUEAK / sklearn", "SQUEAK error vs sklearn"],
        rows,
      ));
      if (!sk) out.push("peer skipped: scikit-learn is not available");
    }

    // 2. Exact KRR at n = 5,000.
    {
      const n = quick ? 2000 : 5000;
      const tr = coherentMixture(n, { seed: 11 });
      const te = coherentMixture(1000, { seed: 12 });
      const base = { kernelGamma: 0.5, lambda: 0.1, ridge: 0.01, reps: quick ? 1 : 2 };
      ctx.log(`krr: exact at n = ${n}`);
      const runs = (quick ? [16] : [8, 16]).map((qbar) => ({ qbar, ...seqlearnRun(sl, "squeak", tr, te, { ...base, qbar }, ctx) }));
      const py = sk ? ctx.python(PY_NYSTROEM, { d: tr.d, Xtr: toList(tr.X), ytr: toList(tr.y), Xte: toList(te.X), yte: toList(te.y), kernelGamma: base.kernelGamma, ridge: base.ridge, ms: [], reps: 1, exact: true, exactReps: quick ? 1 : 2 }) : null;
      out.push(`### Against exact KRR at n = ${n.toLocaleString("en")} (coherent mixture, 1,000 test points)`);
      if (py?.exact) {
        const body = [["scikit-learn KernelRidge (exact)", n, py.exact.rmse.toFixed(4), ms(py.exact.ms), ""]];
        for (const s of runs) {
          const rel = s.rmse / py.exact.rmse - 1;
          body.push([`seqlearn SQUEAK (q̄ = ${s.qbar}) + NystromKRR`, s.m, s.rmse.toFixed(4), ms(s.ms),
            `error within 5%: ${rel <= 0.05 ? "met" : "**not met**"} (${rel >= 0 ? "+" : ""}${(100 * rel).toFixed(1)}%); faster: ${s.ms < py.exact.ms ? "met" : "**not met**"} (${ratio(py.exact.ms / s.ms)} the speed)`]);
        }
        out.push(table(["", "centres", "test RMSE", "ms", "target"], body));
        const s = runs[runs.length - 1];
        ctx.summary?.push({ case: "krr", what: `SQUEAK (q̄=${s.qbar}) KRR vs exact KernelRidge at n=${n}: test RMSE ratio; speed-up`, value: `${(s.rmse / py.exact.rmse).toFixed(3)}; ${ratio(py.exact.ms / s.ms)}`, target: "≤ 1.05; > 1×" });
      } else out.push("peer skipped: scikit-learn is not available");
    }

    // 3. Dictionary size and time as n grows.
    {
      const ns = quick ? [1000, 2000, 4000] : [1000, 2000, 5000, 10000, 20000, 50000];
      const p = { kernelGamma: 0.5, lambda: 0.1, eps: 0.5, qbar: 8 };
      const pts = [];
      for (const n of ns) {
        ctx.log(`krr: SQUEAK size at n = ${n}`);
        const data = coherentMixture(n, { seed: 100 + n });
        const X = new sl.Matrix(n, data.d, data.X);
        const t0 = performance.now();
        const sq = new sl.Squeak({ kernel: sl.rbf({ gamma: p.kernelGamma }), lambda: p.lambda, eps: p.eps, qbar: p.qbar, seed: 1 });
        let dict, mem;
        try {
          sq.push(X);
          dict = sq.dictionary();
          mem = sq.memoryBytes;
        } finally {
          sq.dispose();
        }
        pts.push({ n, m: dict.size, ms: performance.now() - t0, deffHT: dict.params.deff, mem, X: data.X, d: data.d });
      }
      const exactNs = pts.filter((q) => q.n <= 5000);
      const py = ctx.peers.scipy ? ctx.python(PY_DEFF, { kernelGamma: p.kernelGamma, lambda: p.lambda, cases: exactNs.map((q) => ({ d: q.d, X: toList(q.X) })) }) : null;
      exactNs.forEach((q, i) => (q.deff = py?.deff[i] ?? null));
      out.push(`### Dictionary size as n grows (coherent mixture, g = ${p.kernelGamma}, λ = ${p.lambda}, q̄ = ${p.qbar})`);
      out.push(table(
        ["n", "dictionary size m", "m / n", "exact d_eff(λ)", "SQUEAK's estimate of d_eff", "m / d_eff", "engine memory (MiB)", "time (ms)", "µs per point"],
        pts.map((q) => {
          const de = q.deff ?? q.deffHT;
          return [q.n.toLocaleString("en"), q.m, (q.m / q.n).toFixed(4), q.deff != null ? q.deff.toFixed(1) : "–", q.deffHT != null ? q.deffHT.toFixed(1) : "–",
            de != null ? `${(q.m / de).toFixed(2)}${q.deff == null ? " (est.)" : ""}` : "–", q.mem != null ? (q.mem / 1048576).toFixed(1) : "–", ms(q.ms), ((1000 * q.ms) / q.n).toFixed(1)];
        }),
      ));
      const first = pts[0], lastP = pts[pts.length - 1];
      out.push(`From n = ${first.n.toLocaleString("en")} to ${lastP.n.toLocaleString("en")} (×${(lastP.n / first.n).toFixed(0)}) the dictionary grew ×${(lastP.m / first.m).toFixed(2)} while d_eff(λ) grew ×${first.deffHT && lastP.deffHT ? (lastP.deffHT / first.deffHT).toFixed(2) : "–"} (SQUEAK's estimate; it matches the exact value within a few % where that is computed): the size follows d_eff, not n. ` +
        "d_eff itself grows slowly here because the Gaussian blob's tails keep reaching new ground as n grows (for a fixed absolute λ, d_eff(λ) of a Gaussian kernel grows slowly with n; with λ = λ₀·n, as in BLESS and FALKON, it stays bounded). Engine memory is the SQUEAK state (K_DD, its Cholesky factor, workspaces: O(m²)), independent of n apart from m.");
      const plot = sl.io?.linePlot;
      if (plot) {
        const svg = plot({
          title: "SQUEAK dictionary size vs stream length",
          xLabel: "points seen n (log scale)",
          yLabel: "size (log scale)",
          logX: true,
          logY: true,
          legend: "top-left",
          series: [
            { name: "dictionary size m", x: pts.map((q) => q.n), y: pts.map((q) => q.m) },
            { name: "exact d_eff(λ)", x: exactNs.map((q) => q.n), y: exactNs.map((q) => q.deff ?? NaN), dashed: true },
            { name: "SQUEAK estimate of d_eff", x: pts.map((q) => q.n), y: pts.map((q) => q.deffHT ?? NaN), dashed: true },
            { name: "n (keep everything)", x: pts.map((q) => q.n), y: pts.map((q) => q.n), color: "#999999", markers: false },
          ],
        });
        const dir = join(root, "docs");
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "krr-dictionary-size.svg"), svg);
        out.push("![dictionary size vs n](docs/krr-dictionary-size.svg)");
      }
    }
    return out.join("\n\n");
  },
};
