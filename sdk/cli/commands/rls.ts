// seqlearn rls: approximate ridge leverage scores of every row. One pass builds a SQUEAK
// dictionary; a second pass applies the dictionary's estimator to every row (spec §1.4).
// --exact computes the exact scores instead (small inputs).
import { openSync, writeSync, closeSync } from "node:fs";
import { init, RlsEstimator, exactRls, kernelFromSpec, Matrix } from "../../index.js";
import { UsageError, type Command } from "../command.js";
import { ProgressLine, formatCount } from "../../io/progress.js";
import { applyScaling } from "../../io/scaling.js";
import { readHeader } from "../../io/table.js";
import { DataError } from "../../io/errors.js";
import { checkFlags, num, str, kernelSpecFromFlags, tableOptions, openRows, scanStats, buildDictionary } from "./fit.js";

const FLAGS = [
  "target", "features", "ignore", "format", "delimiter", "kernel", "gamma", "sigma", "length-scale", "degree", "coef0",
  "lambda-gamma", "rls-ridge", "qbar", "eps", "seed", "batch", "max-dictionary", "scale", "exact", "o", "output", "quiet", "json",
] as const;

export const rls: Command = {
  name: "rls",
  summary: "approximate ridge leverage scores of every row (SQUEAK dictionary estimator), written as CSV",
  usage: [
    "seqlearn rls <data.csv|data.jsonl|-> [--lambda-gamma <γ>] [-o scores.csv] [options]",
    "",
    "Writes `row,score` (row = 0-based data row) with τ̃_i ≈ (1−ε)·τ_i(γ), τ_i = [K(K+γI)⁻¹]_ii.",
    "data:    --target <col> (left out of the features)  --features a,b | --ignore a,b  --format  --scale standard|none",
    "kernel:  --kernel rbf|...  --gamma <g> (kernel, scikit-learn convention; default 1/d)  --sigma <s>",
    "scores:  --lambda-gamma <γ> (absolute ridge of K + γI; default 1)  --eps <ε> (0.5)  --qbar <q̄> (10)",
    "         --batch <B>  --max-dictionary <m>  --seed <s>  --exact (exact scores, O(n³), n ≤ 20000)",
  ].join("\n"),
  booleans: ["exact", "quiet", "json"],
  async run(args) {
    checkFlags(args, FLAGS);
    if (args.positional.length !== 1) throw new UsageError(args.positional.length === 0 ? "missing the data file" : `expected one data file, got ${args.positional.length}`);
    const path = args.positional[0];
    const gamma = num(args, ["lambda-gamma", "rls-ridge"], { gt: 0 }) ?? 1;
    const eps = num(args, "eps", { gt: 0, lt: 1 }) ?? 0.5;
    const scale = str(args, "scale") ?? "standard";
    if (scale !== "standard" && scale !== "none") throw new UsageError(`--scale must be standard or none, got ${JSON.stringify(scale)}`);
    const exact = !!args.flags.exact;
    if (exact && (args.flags.qbar !== undefined || args.flags["max-dictionary"] !== undefined)) throw new UsageError("--qbar and --max-dictionary do not apply with --exact");
    const quiet = !!args.flags.quiet;
    const out = str(args, ["o", "output"]);
    const topts = tableOptions(args, path); // an explicit --target must exist (it is left out of the features)
    await init();
    const rows = await openRows(path, topts);
    let d: number;
    if (path !== "-") d = (await readHeader(path, topts)).features.length;
    else {
      d = 0;
      for await (const b of rows.pass()) {
        d = b.features.length;
        break;
      }
    }
    const kernel = kernelFromSpec(kernelSpecFromFlags(args, d));
    const { stats, n } = await scanStats(rows, d, "rls: scanning", quiet);
    if (n === 0) throw new DataError("no data rows after the header", { source: path });
    const scaling = scale === "standard" ? stats.scaling() : null;

    const fd = out ? openSync(out, "w") : 1;
    const write = (s: string) => writeSync(fd, s);
    let sum = 0, size = n, deffHT: number | null = null;
    try {
      write("row,score\n");
      if (exact) {
        if (n > 20000) throw new UsageError(`--exact needs O(n³) time and n² memory; it is limited to 20000 rows (this input has ${n})`);
        const X = new Matrix(n, d);
        for await (const b of rows.pass()) X.data.set(b.X.data, b.offset * d);
        applyScaling(X, scaling);
        const r = exactRls(X, kernel, gamma);
        const lines: string[] = [];
        for (let i = 0; i < n; i++) {
          lines.push(`${i},${r.scores[i]}`);
          sum += r.scores[i];
        }
        write(lines.join("\n") + "\n");
      } else {
        const { dict } = await buildDictionary(rows, {
          method: "squeak", kernel, gamma, eps, qbar: num(args, "qbar", { int: true, min: 1 }), batch: num(args, "batch", { int: true, min: 1 }),
          seed: num(args, "seed", { int: true, min: 0 }) ?? 0, maxDictionary: num(args, "max-dictionary", { int: true, min: 1 }),
        }, { mu: gamma, scaling, yOffset: 0, n, quiet, label: "rls" });
        size = dict!.size;
        deffHT = dict!.params.deff;
        if (size === 0) throw new DataError("the SQUEAK dictionary is empty (every point was dropped); raise --qbar or lower --lambda-gamma");
        const bar = new ProgressLine({ label: `rls: scoring with ${size} dictionary points`, enabled: !quiet });
        // Factor the dictionary once and score every batch against it.
        const estimator = new RlsEstimator(dict!, { eps });
        try {
          for await (const b of rows.pass((p) => bar.update(p))) {
            const X = applyScaling(new Matrix(b.X.rows, d, b.X.data.slice()), scaling);
            const s = estimator.estimate(X);
            const lines: string[] = [];
            for (let i = 0; i < s.length; i++) {
              lines.push(`${b.offset + i},${s[i]}`);
              sum += s[i];
            }
            write(lines.join("\n") + "\n");
          }
        } finally {
          estimator.dispose();
        }
        bar.done();
      }
    } finally {
      if (out) closeSync(fd);
    }
    const facts = { rows: n, method: exact ? "exact" : "squeak", dictionarySize: exact ? null : size, sumOfScores: sum, deffEstimate: exact ? sum : sum / (1 - eps), deffHorvitzThompson: deffHT };
    const say = out ? (s: string) => console.log(s) : (s: string) => console.error(s);
    if (args.flags.json) say(JSON.stringify(facts));
    else if (!quiet || !out) {
      say(exact
        ? `exact leverage scores of ${formatCount(n)} rows: d_eff(γ = ${gamma}) = ${sum.toFixed(2)}`
        : `leverage scores of ${formatCount(n)} rows from a ${size}-point SQUEAK dictionary: Σ τ̃ = ${sum.toFixed(2)}, so d_eff(γ = ${gamma}) ≈ Σ τ̃/(1−ε) = ${(sum / (1 - eps)).toFixed(2)}`);
      if (out) say(`scores written to ${out}`);
    }
    return 0;
  },
};
