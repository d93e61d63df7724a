// seqlearn predict: apply a model file written by `seqlearn fit` to a CSV / JSON-lines file,
// streaming; write one prediction per row, and report RMSE / R² when the target is present.
import { readFileSync } from "node:fs";
import { init } from "../../engine/index.js";
import { Matrix } from "../../core/matrix.js";
import { NystromKRR } from "../../kernel/krr.js";
import { streamTable } from "../../io/table.js";
import { DataError } from "../../io/errors.js";
import { command, UsageError } from "../command.js";
import { READ, QUIET, FORCE, output } from "../options.js";
import { boolean, group } from "../flags.js";
import { decodeModel } from "../modelfile.js";
import { applyScaling } from "../scaling.js";
import { ProgressLine } from "../progress.js";
import { withOutput, checkOutput, FileError, fsReason } from "../files.js";
import { checkKernelRange } from "../rows.js";
import { out, err } from "../term.js";

const FLAGS = {
  ...READ,
  output: output("<predictions.csv>", "where to write the predictions (default: stdout)"),
  ...FORCE,
  ...group("output", { json: boolean({ help: "print the metrics as JSON on stdout (needs -o: the predictions then go to the file)" }) }),
  ...QUIET,
};

export const predict = command({
  name: "predict",
  summary: "predict with a model file from `seqlearn fit` (prints RMSE / R² when the target column is present)",
  synopsis: "seqlearn predict <model.json> <data.csv|data.jsonl|-> [-o predictions.csv] [options]",
  description: [
    "The data must have the model's feature columns (by name; other columns are ignored).",
    "Writes a CSV with one column `prediction`, one row per input row (to stdout without -o).",
  ],
  flags: FLAGS,
  async run({ positional, values: v }) {
    if (positional.length !== 2) throw new UsageError(`expected a model file and a data file, got ${positional.length} argument(s)`);
    const [modelPath, dataPath] = positional;
    if (v.json && v.output === undefined) throw new UsageError("--json prints the metrics as JSON on stdout, where the predictions would go: give -o <predictions.csv>");
    // Outputs are checked before any work (a missing folder, an existing file, an input).
    if (v.output !== undefined) checkOutput(v.output, { inputs: [modelPath, dataPath], force: v.force });
    let text: string;
    try {
      text = readFileSync(modelPath, "utf8");
    } catch (e) {
      throw new FileError(`cannot read model file ${JSON.stringify(modelPath)}: ${(e as { code?: string }).code === "ENOENT" ? "no such file" : fsReason(e)}`);
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
    const bar = new ProgressLine({ label: "predict", enabled: !v.quiet });
    let n = 0, sse = 0, sae = 0, mean = 0, m2 = 0, withTarget = false;
    await withOutput(v.output, { inputs: [modelPath, dataPath], force: v.force }, async (write) => {
      try {
        write("prediction\n");
        for await (const b of streamTable(source, {
          format: v.format ?? (dataPath === "-" ? "csv" : undefined),
          delimiter: v.delimiter,
          features: mf.features,
          target: mf.target,
          targetOptional: true,
          batchSize: 2048,
          onProgress: (p) => bar.update(p),
        })) {
          const X = applyScaling(new Matrix(b.X.rows, b.X.cols, b.X.data.slice()), mf.scaling);
          checkKernelRange(X, b.lines, dataPath === "-" ? "<stdin>" : dataPath, mf.scaling !== null);
          const p = model.predict(X);
          const pv = p instanceof Matrix ? p.data : p;
          const lines: string[] = [];
          for (let i = 0; i < b.X.rows; i++) {
            const val = pv[i] + mf.yOffset;
            lines.push(String(val));
            if (b.y) {
              withTarget = true;
              const e = val - b.y[i];
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
      }
    });
    const file = v.output;
    const metrics = withTarget && n > 0 ? { rows: n, rmse: Math.sqrt(sse / n), mae: sae / n, r2: m2 > 0 ? 1 - sse / m2 : null } : null;
    if (v.json) {
      // Only JSON on stdout: the metrics (null without a target column) and the file.
      out(JSON.stringify({ predictions: file, ...(metrics ?? { rows: null }) }));
      return 0;
    }
    // Predictions may be on stdout: the metrics then go to stderr.
    const say = file ? out : err;
    if (metrics) say(`${mf.target}: RMSE ${metrics.rmse.toPrecision(4)}, MAE ${metrics.mae.toPrecision(4)}, R² ${metrics.r2 === null ? "NaN" : metrics.r2.toFixed(4)} over ${n} rows`);
    if (file && !v.quiet) out(`predictions written to ${file}`);
    return 0;
  },
});
