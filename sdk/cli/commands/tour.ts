// seqlearn tour (what `npm start` runs): SQUEAK vs uniform Nyström vs exact kernel ridge
// regression on the shipped real data set (USGS earthquakes: where an event happened and how
// deep → its magnitude), printed as a table, with SVG plots of the Nyström approximation
// error and of the test error against the dictionary size.
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, resolve, relative } from "node:path";
import { init, Matrix, Rng, rbf, Squeak, NystromKRR, uniformNystrom, nystromError, exactRls, type RlsDictionary } from "../../index.js";
import { command, UsageError } from "../command.js";
import { boolean, number, string } from "../flags.js";
import { readTable } from "../../io/table.js";
import { RunningStats, applyScaling } from "../scaling.js";
import { linePlot } from "../../io/svg.js";
import { writeFileAtomic, checkOutput } from "../files.js";
import { out } from "../term.js";
import { graphTour } from "./tour-graph.js";

/** The shipped data file, from the bundle (dist/node/cli.js) or from the sources (sdk/cli/commands). */
export function shippedData(name: string): string {
  for (const rel of [`../../data/${name}`, `../../../data/${name}`]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new UsageError(`cannot find the shipped data file data/${name} next to the seqlearn package`);
}

interface Row {
  method: string;
  m: number;
  rmse: number;
  err: number | null;
  ms: number;
  note?: string;
}

function rmse(p: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return Math.sqrt(s / y.length);
}

function pad(cells: string[], widths: number[], right: boolean[]): string {
  return cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
}

export function textTable(head: string[], rows: string[][], right: boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [pad(head, widths, right), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map((r) => pad(r, widths, right))].join("\n");
}

const FLAGS = {
  out: string({ metavar: "<dir>", help: "directory for the SVG plots", defaultText: "the current directory" }),
  force: boolean({ help: "replace plots of an earlier run (without it an existing file is never replaced)" }),
  quick: boolean({ help: "fewer dictionary sizes and one seed (a quick check)" }),
  seed: number({ int: true, min: 0, default: 1, metavar: "<s>", help: "seed of the train/test split and of SQUEAK" }),
};

export const tour = command({
  name: "tour",
  summary: "SQUEAK vs uniform Nyström vs exact KRR, and GSQUEAK sparsifiers vs baselines, on the shipped earthquake data (tables + SVG plots)",
  synopsis: "seqlearn tour [--out <dir>] [--quick] [--seed <s>]",
  description: [
    "Runs on data/earthquakes.csv (1,707 USGS events, 2018): longitude, latitude, depth → magnitude.",
    "Then a k-nearest-neighbour graph of the same events: GSQUEAK vs one-shot, uniform and k-neighbour sparsifiers",
    "(spectral error, semi-supervised classification of magnitude ≥ 2.5 from 5 % of the events).",
    "Writes seqlearn-tour-error.svg, seqlearn-tour-rmse.svg, seqlearn-tour-graph-spectrum.svg and",
    "seqlearn-tour-graph-error.svg into --out.",
  ],
  flags: FLAGS,
  async run({ positional, values: v }) {
    if (positional.length) throw new UsageError(`tour takes no positional arguments, got ${positional.join(" ")}`);
    const outDir = resolve(v.out ?? ".");
    const quick = v.quick;
    const seed = v.seed;
    const t00 = performance.now();
    const f1 = join(outDir, "seqlearn-tour-error.svg");
    const f2 = join(outDir, "seqlearn-tour-rmse.svg");
    const f3 = join(outDir, "seqlearn-tour-graph-spectrum.svg");
    const f4 = join(outDir, "seqlearn-tour-graph-error.svg");
    // Outputs are checked before any work (the folder is created if missing).
    if (existsSync(outDir)) for (const f of [f1, f2, f3, f4]) checkOutput(f, { force: v.force, flag: "--out" });
    await init();

    // Data: standardise with training statistics, centre the target.
    const path = shippedData("earthquakes.csv");
    const t = await readTable(path, { target: "magnitude" });
    const n = t.X.rows, d = t.X.cols;
    const rng = new Rng(seed);
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      const tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp;
    }
    rng.dispose();
    const nTr = Math.round(0.8 * n);
    const pick = (ids: Int32Array) => {
      const X = new Matrix(ids.length, d), y = new Float64Array(ids.length);
      ids.forEach((r, k) => {
        X.data.set(t.X.data.subarray(r * d, (r + 1) * d), k * d);
        y[k] = t.y![r];
      });
      return { X, y };
    };
    const tr = pick(perm.subarray(0, nTr)), te = pick(perm.subarray(nTr));
    const st = new RunningStats(d);
    st.push(tr.X, tr.y);
    const sc = st.scaling();
    applyScaling(tr.X, sc);
    applyScaling(te.X, sc);
    const ym = st.target().mean;
    const ytr = tr.y.map((v) => v - ym), yte = te.y.map((v) => v - ym);

    const g = 0.5, ridge = 0.1, lambda = 0.1, eps = 0.5;
    const kernel = rbf({ gamma: g });
    const deff = exactRls(tr.X, kernel, lambda).deff;
    out(`seqlearn tour — USGS earthquakes, 31 Jan – 7 Feb 2018 (${n} events; ${nTr} to train, ${n - nTr} to test)`);
    out(`features: ${t.features.join(", ")} (standardised) → target: magnitude (test std ${Math.sqrt(yte.reduce((s, v) => s + v * v, 0) / yte.length).toFixed(3)})`);
    out(`kernel exp(−${g}·‖x−y‖²), KRR ridge μ = ${ridge}, leverage-score ridge λ = ${lambda} (d_eff(λ) = ${deff.toFixed(1)} on the training set), ε = ${eps}\n`);

    const timeIt = <T>(f: () => T): { v: T; ms: number } => {
      const t0 = performance.now();
      const v = f();
      return { v, ms: performance.now() - t0 };
    };
    const errOf = (dict: RlsDictionary) => nystromError(dict, tr.X, { mode: "plain", subset: nTr, seed: 0 });
    const rows: Row[] = [];

    // Exact KRR: every training point is a centre.
    const ex = timeIt(() => NystromKRR.fit("exact", tr.X, ytr, { ridge, kernel }));
    rows.push({ method: "exact KRR", m: nTr, rmse: rmse(ex.v.predict(te.X) as Float64Array, yte), err: 0, ms: ex.ms });

    const qbars = quick ? [2, 8] : [1, 2, 4, 8, 16];
    const squeakPts: { m: number; err: number; rmse: number }[] = [];
    const uniformPts: { m: number; err: number; rmse: number }[] = [];
    const reps = quick ? 1 : 3;
    for (const qbar of qbars) {
      const sq = timeIt(() => {
        const s = new Squeak({ kernel, lambda, eps, qbar, seed });
        try {
          s.push(tr.X);
          const dict = s.dictionary();
          return { dict, model: NystromKRR.fit(dict, tr.X, ytr, { ridge }) };
        } finally {
          s.dispose();
        }
      });
      const m = sq.v.dict.size;
      if (m === 0) continue;
      const e = errOf(sq.v.dict);
      const r = rmse(sq.v.model.predict(te.X) as Float64Array, yte);
      rows.push({ method: `SQUEAK q̄=${qbar}`, m, rmse: r, err: e, ms: sq.ms });
      squeakPts.push({ m, err: e, rmse: r });
      // Uniform centres at the same size (mean over `reps` seeds).
      let ur = 0, ue = 0, ums = 0;
      for (let k = 0; k < reps; k++) {
        const u = timeIt(() => {
          const dict = uniformNystrom(tr.X, m, { kernel, seed: seed + 1000 * k });
          return { dict, model: NystromKRR.fit(dict, tr.X, ytr, { ridge }) };
        });
        ur += rmse(u.v.model.predict(te.X) as Float64Array, yte) / reps;
        ue += errOf(u.v.dict) / reps;
        ums += u.ms / reps;
      }
      rows.push({ method: `uniform (same m)`, m, rmse: ur, err: ue, ms: ums, note: reps > 1 ? `mean of ${reps} seeds` : undefined });
      uniformPts.push({ m, err: ue, rmse: ur });
    }

    const fmtE = (v: number | null) => (v === null ? "–" : v === 0 ? "0" : v < 1e-3 ? v.toExponential(2) : v.toFixed(4));
    out(textTable(
      ["method", "centres m", "test RMSE", "‖K − K̃‖₂", "time (ms)", "note"],
      rows.map((r) => [r.method, String(r.m), r.rmse.toFixed(4), fmtE(r.err), r.ms.toFixed(1), r.note ?? ""]),
      [false, true, true, true, true, false],
    ));
    const best = squeakPts.find((p) => p.rmse <= rows[0].rmse * 1.05);
    out("");
    if (best) {
      out(`SQUEAK reaches exact KRR's test error (within 5%) with ${best.m} of ${nTr} points as centres;`);
      const u = uniformPts[squeakPts.indexOf(best)];
      out(`uniform centres of the same size: test RMSE ${u.rmse.toFixed(4)} vs ${best.rmse.toFixed(4)}, Nyström error ${fmtE(u.err)} vs ${fmtE(best.err)}.`);
    }
    out("The events crowd into a few regions (Alaska, California, ...); leverage scores keep the isolated ones that uniform sampling misses.");

    // Plots.
    mkdirSync(outDir, { recursive: true });
    writeFileAtomic(f1, linePlot({
      title: "Nyström approximation error on the training kernel matrix",
      xLabel: "dictionary size m (centres)",
      yLabel: "‖K − K̃‖₂ (log scale)",
      logY: true,
      legend: "bottom-left",
      series: [
        { name: "SQUEAK (ridge leverage scores)", x: squeakPts.map((p) => p.m), y: squeakPts.map((p) => p.err) },
        { name: "uniform centres", x: uniformPts.map((p) => p.m), y: uniformPts.map((p) => p.err), dashed: true },
      ],
    }), { force: v.force, flag: "--out" });
    const xs = [...squeakPts.map((p) => p.m)];
    writeFileAtomic(f2, linePlot({
      title: "Test error of kernel ridge regression (earthquake magnitude)",
      xLabel: "dictionary size m (centres)",
      yLabel: "test RMSE",
      series: [
        { name: "SQUEAK + Nyström KRR", x: squeakPts.map((p) => p.m), y: squeakPts.map((p) => p.rmse) },
        { name: "uniform + Nyström KRR", x: uniformPts.map((p) => p.m), y: uniformPts.map((p) => p.rmse), dashed: true },
        { name: `exact KRR (m = ${nTr})`, x: [Math.min(...xs), Math.max(...xs)], y: [rows[0].rmse, rows[0].rmse], color: "#000000", markers: false },
      ],
    }), { force: v.force, flag: "--out" });
    await graphTour({ X: t.X, magnitude: Float64Array.from(t.y!), quick, seed, files: [f3, f4], force: v.force }, textTable);
    const show = (f: string) => (relative(process.cwd(), f).startsWith("..") ? f : relative(process.cwd(), f) || f);
    out(`\nplots: ${show(f1)}, ${show(f2)}, ${show(f3)}, ${show(f4)}`);
    out(`tour finished in ${((performance.now() - t00) / 1000).toFixed(1)} s`);
    out("\nOn your own data:\n  npx seqlearn fit data.csv --target y -o model.json\n  npx seqlearn predict model.json new.csv -o predictions.csv\n  npx seqlearn rls data.csv --lambda 0.1 -o scores.csv\n  npx seqlearn sparsify edges.csv --eps 0.5 -o sparse.csv\n  npx seqlearn ssl edges.csv labels.csv -o predictions.csv");
    return 0;
  },
});
