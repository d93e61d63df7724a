// seqlearn fit: stream a CSV / JSON-lines file, fit Nyström kernel ridge regression on centres
// chosen by SQUEAK, INK-Estimate, uniformly, or every point (exact KRR), and write a model file.
import { init } from "../../engine/index.js";
import { version } from "../../version.js";
import { fitKrrFromPasses, EXACT_KRR_MAX_ROWS } from "../../kernel/fit-table.js";
import { command, UsageError } from "../command.js";
import { requiredFlag, withHelp } from "../flags.js";
import { TABLE, SCALE, KERNEL, DICTIONARY, BATCH, CENTRES, RIDGE, QUIET, JSON_OUT, output, tableOptions, kernelFromFlags, centresFromFlags } from "../options.js";
import { openRows, scanStats, passes } from "../rows.js";
import { encodeModel } from "../modelfile.js";
import { formatCount } from "../progress.js";
import { writeFileAtomic, checkNotInput } from "../files.js";

const FLAGS = {
  ...TABLE,
  target: requiredFlag(TABLE.target),
  ...SCALE,
  ...KERNEL,
  ...RIDGE,
  ...DICTIONARY,
  lambda: withHelp(DICTIONARY.lambda, "ridge of the leverage scores that pick the centres, absolute", { defaultText: "the --ridge value" }),
  ...BATCH,
  ...CENTRES,
  output: requiredFlag(output("<model.json>", "where to write the model file")),
  ...JSON_OUT,
  ...QUIET,
};

export const fit = command({
  name: "fit",
  summary: "fit Nyström kernel ridge regression on a CSV / JSON-lines file and write a model file",
  synopsis: "seqlearn fit <data.csv|data.jsonl|-> --target <column> -o <model.json> [options]",
  flags: FLAGS,
  async run({ positional, values: v }) {
    if (positional.length !== 1) throw new UsageError(positional.length === 0 ? "missing the data file" : `expected one data file, got ${positional.length}: ${positional.join(" ")}`);
    const path = positional[0];
    const out = v.output;
    checkNotInput(out, [path]);
    const { method, centers } = centresFromFlags(v);
    const lambda = v.lambda ?? v.ridge;
    const topts = tableOptions(v);
    await init();

    const t0 = performance.now();
    const rows = await openRows(path, topts);
    const d = rows.features.length;
    const kernel = kernelFromFlags(v, d);
    // Pass 1: column statistics (standardisation, target offset, row count).
    const stats = await scanStats(rows, "fit: scanning", v.quiet);
    const n = stats.n;
    if (method === "exact" && n > EXACT_KRR_MAX_ROWS) throw new UsageError(`--method exact keeps all ${n} rows and solves an n×n system; it is limited to ${EXACT_KRR_MAX_ROWS} rows (use --method squeak)`);
    const scaling = v.scale === "standard" ? stats.scaling() : null;
    const yOffset = stats.target().mean;

    const res = await fitKrrFromPasses(passes(rows, scaling, "fit", v.quiet), {
      method, kernel, lambda, eps: v.eps, qbar: v.qbar, batch: v.batch, seed: v.seed, maxDictionary: v.maxDictionary, centers,
      rows: n, ridge: v.ridge, yOffset,
    });
    const seconds = (performance.now() - t0) / 1000;
    const training = {
      rows: n,
      seconds: +seconds.toFixed(3),
      dictionarySize: res.size,
      deffEstimate: res.deff,
      trainRmse: res.trainRmse,
      trainR2: res.trainR2,
      trainErrorRows: res.trainRows,
    };
    writeFileAtomic(out, encodeModel({
      createdBy: `seqlearn ${version}`,
      createdAt: new Date().toISOString(),
      features: rows.features,
      target: v.target,
      scaling,
      yOffset,
      method,
      params: {
        kernel: kernel.toJSON(), ridge: v.ridge, lambda, eps: v.eps, qbar: res.dictionary?.params.qbar ?? v.qbar ?? null, seed: v.seed,
        batch: v.batch ?? null, maxDictionary: v.maxDictionary ?? null, centers: centers ?? null, scale: v.scale,
      },
      training,
      model: res.model.toJSON(),
    }), [path]);
    if (v.json) console.log(JSON.stringify({ model: out, ...training }, null, 2));
    else {
      console.log(`fitted ${method} Nyström KRR on ${formatCount(n)} rows × ${d} features in ${seconds.toFixed(2)} s`);
      console.log(`kernel ${kernel.toString()}, μ = ${v.ridge}${method === "exact" ? "" : `, dictionary size ${res.size}`}${res.deff != null ? `, d_eff ≈ ${res.deff.toFixed(1)}` : ""}`);
      console.log(`training RMSE ${res.trainRmse.toPrecision(4)}, R² ${res.trainR2.toFixed(4)}${res.trainRows < n ? ` (on the first ${formatCount(res.trainRows)} rows)` : ""}`);
      console.log(`model written to ${out}`);
    }
    return 0;
  },
});
