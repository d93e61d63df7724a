// seqlearn predict: apply a model file written by `seqlearn fit` to a CSV / JSON-lines file,
// streaming; write one prediction per row, and report RMSE / R² when the target is present.
import { readFileSync, openSync, writeSync, closeSync } from "node:fs";
import { init, Matrix, NystromKRR, ValueError } from "../../index.js";
import { UsageError, type Command } from "../command.js";
import { streamTable, type TableFormat } from "../../io/table.js";
import { decodeModel } from "../../io/modelfile.js";
import { applyScaling } from "../../io/scaling.js";
import { ProgressLine } from "../../io/progress.js";
import { DataError } from "../../io/errors.js";
import { checkFlags, str } from "./fit.js";

const FLAGS = ["o", "output", "format", "delimiter", "quiet", "json"] as const;

export const predict: Command = {
  name: "predict",
  summary: "predict with a model file from `seqlearn fit` (prints RMSE / R² when the target column is present)",
  usage: [
    "seqlearn predict <model.json> <data.csv|data.jsonl|-> [-o predictions.csv] [options]",
    "",
    "The data must have the model's feature columns (by name; other columns are ignored).",
    "Writes a CSV with one column `prediction`, one row per input row (to stdout without -o).",
    "options: --format csv|tsv|jsonl  --delimiter <char>  --json (metrics as JSON)  --quiet",
  ].join("\n"),
  booleans: ["quiet", "json"],
  async run(args) {
    checkFlags(args, FLAGS);
    if (args.positional.length !== 2) throw new UsageError(`expected a model file and a data file, got ${args.positional.length} argument(s)`);
    const [modelPath, dataPath] = args.positional;
    const out = str(args, ["o", "output"]);
    const format = str(args, "format") as TableFormat | undefined;
    if (format !== undefined && !["csv", "tsv", "jsonl"].includes(format)) throw new UsageError(`--format must be csv, tsv or jsonl, got ${JSON.stringify(format)}`);
    const delimiter = str(args, "delimiter");
    const quiet = !!args.flags.quiet;
    let text: string;
    try {
      text = readFileSync(modelPath, "utf8");
    } catch (e) {
      throw new ValueError(`cannot read model file ${JSON.stringify(modelPath)}: ${(e as { code?: string }).code === "ENOENT" ? "no such file" : (e as Error).message}`);
    }
    const mf = decodeModel(text, modelPath);
    await init();
    let model: NystromKRR;
    try {
      model = NystromKRR.fromJSON(mf.model);
    } catch (e) {
      throw new DataError(`the model inside is invalid: ${(e as Error).message}`, { source: modelPath });
    }
    if (model.centres.cols !== mf.features.length) throw new DataError(`the model has ${model.centres.cols} inputs but lists ${mf.features.length} features`, { source: modelPath });

    let source: string | Uint8Array[] = dataPath;
    if (dataPath === "-") {
      source = [];
      for await (const c of process.stdin as AsyncIterable<Uint8Array>) source.push(c);
    }
    const fd = out ? openSync(out, "w") : 1;
    const write = (s: string) => writeSync(fd, s);
    const bar = new ProgressLine({ label: "predict", enabled: !quiet });
    let n = 0, sse = 0, sae = 0, mean = 0, m2 = 0, withTarget = false;
    try {
      write("prediction\n");
      for await (const b of streamTable(source, {
        format: format ?? (dataPath === "-" ? "csv" : undefined),
        delimiter: delimiter === "\\t" ? "\t" : delimiter,
        features: mf.features,
        target: mf.target,
        targetOptional: true,
        batchSize: 2048,
        onProgress: (p) => bar.update(p),
      })) {
        const X = applyScaling(new Matrix(b.X.rows, b.X.cols, b.X.data.slice()), mf.scaling);
        const p = model.predict(X);
        const pv = p instanceof Matrix ? p.data : p;
        const lines: string[] = [];
        for (let i = 0; i < b.X.rows; i++) {
          const v = pv[i] + mf.yOffset;
          lines.push(String(v));
          if (b.y) {
            withTarget = true;
            const e = v - b.y[i];
            sse += e * e;
            sae += Math.abs(e);
            n++;
            const dl = b.y[i] - mean;
            mean += dl / n;
            m2 += dl * (b.y[i] - mean);
          }
        }
        write(lines.join("\n") + "\n");
      }
    } finally {
      bar.done();
      if (out) closeSync(fd);
    }
    if (withTarget && n > 0) {
      const metrics = { rows: n, rmse: Math.sqrt(sse / n), mae: sae / n, r2: m2 > 0 ? 1 - sse / m2 : NaN };
      // Predictions may be on stdout: metrics then go to stderr.
      const say = out ? (s: string) => console.log(s) : (s: string) => console.error(s);
      if (args.flags.json) say(JSON.stringify(metrics));
      else say(`${mf.target}: RMSE ${metrics.rmse.toPrecision(4)}, MAE ${metrics.mae.toPrecision(4)}, R² ${metrics.r2.toFixed(4)} over ${n} rows`);
    }
    if (out && !quiet) console.log(`predictions written to ${out}`);
    return 0;
  },
};
