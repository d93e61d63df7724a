// seqlearn fit: stream a CSV / JSON-lines file, fit Nyström kernel ridge regression on centres
// chosen by SQUEAK, INK-Estimate, uniformly, or every point (exact KRR) — or on the centres of a
// dictionary file (`--dictionary`, e.g. from `seqlearn tree`) — and write a model file.
import { init } from "../../engine/index.js";
import { version } from "../../version.js";
import { fitKrrFromPasses, EXACT_KRR_MAX_ROWS } from "../../kernel/fit-table.js";
import { kernelFromSpec } from "../../kernel/kernels.js";
import { DataError } from "../../io/errors.js";
import { command, UsageError } from "../command.js";
import { group, requiredFlag, string, withHelp } from "../flags.js";
import { TABLE, SCALE, KERNEL, DICTIONARY, BATCH, CENTRES, RIDGE, QUIET, JSON_OUT, FORCE, output, tableOptions, kernelFromFlags, centresFromFlags } from "../options.js";
import { openRows, scanStats, passes } from "../rows.js";
import { encodeModel } from "../modelfile.js";
import { formatCount } from "../progress.js";
import { writeFileAtomic, checkOutput } from "../files.js";
import { readDictionaryFile } from "../dictfile.js";
import { out, err } from "../term.js";

/** Inputs with more rows than this get a default dictionary budget (SQUEAK), so that the
 *  defaults stay fast: without one the dictionary follows d_eff(λ), which grows with n. */
export const LARGE_INPUT_ROWS = 20000;

/** The default SQUEAK dictionary budget for n rows (n > LARGE_INPUT_ROWS): ⌈√n⌉ clamped to
 *  [256, 500]. Every update and every streamed row cost O(m²), so this keeps a fit of a few
 *  hundred thousand rows to seconds; --max-dictionary trades speed for accuracy. */
export function defaultBudget(n: number): number {
  return Math.min(500, Math.max(256, Math.ceil(Math.sqrt(n))));
}

const FLAGS = {
  ...TABLE,
  target: requiredFlag(TABLE.target),
  ...SCALE,
  ...KERNEL,
  ...RIDGE,
  ...DICTIONARY,
  lambda: withHelp(DICTIONARY.lambda, "ridge of the leverage scores that pick the centres, absolute", { defaultText: "the --ridge value (with --dictionary: the file's)" }),
  maxDictionary: withHelp(DICTIONARY.maxDictionary, "budget on the dictionary size (larger: more accurate, slower)", {
    defaultText: `none; on inputs of more than ${LARGE_INPUT_ROWS} rows ⌈√n⌉ clamped to [256, 500]`,
  }),
  ...BATCH,
  ...CENTRES,
  ...group("centres", {
    dictionary: string({ metavar: "<file.dict>", help: "use the points of a dictionary file as the centres (from seqlearn leaf / merge / tree, or its JSON form); its kernel and λ apply" }),
  }),
  output: requiredFlag(output("<model.json>", "where to write the model file")),
  ...FORCE,
  ...JSON_OUT,
  ...QUIET,
};

/** Flags that choose or shape the centres: they do not apply with --dictionary. */
const CENTRE_FLAGS = ["method", "centers", "kernel", "gamma", "sigma", "lengthScale", "degree", "coef0", "qbar", "eps", "maxDictionary", "batch", "seed"] as const;

export const fit = command({
  name: "fit",
  summary: "fit Nyström kernel ridge regression on a CSV / JSON-lines file and write a model file",
  synopsis: "seqlearn fit <data.csv|data.jsonl|-> --target <column> -o <model.json> [options]",
  description: [
    `On inputs of more than ${LARGE_INPUT_ROWS} rows, SQUEAK gets a default dictionary budget (stated in the output):`,
    "a larger --max-dictionary is more accurate and slower; --method uniform --centers <m> is the fastest.",
  ],
  flags: FLAGS,
  async run({ positional, values: v, given, spelled }) {
    if (positional.length !== 1) throw new UsageError(positional.length === 0 ? "missing the data file" : `expected one data file, got ${positional.length}: ${positional.join(" ")}`);
    const path = positional[0];
    const outPath = v.output;
    const fromFile = v.dictionary;
    if (fromFile !== undefined) {
      const clash = CENTRE_FLAGS.filter((k) => given.has(k)).map((k) => spelled[k]);
      if (clash.length) throw new UsageError(`${clash.join(", ")} ${clash.length > 1 ? "do" : "does"} not apply with --dictionary (the dictionary file fixes the centres and the kernel)`);
      if (given.has("scale") && v.scale === "standard") {
        throw new UsageError("--scale standard does not apply with --dictionary: the dictionary's points are in the features' own units (scale the data before building it)");
      }
    }
    // Outputs are checked before any work (a missing folder, an existing file, an input).
    checkOutput(outPath, { inputs: fromFile ? [path, fromFile] : [path], force: v.force });
    const centresOpts = fromFile === undefined ? centresFromFlags(v) : null;
    const method = centresOpts?.method ?? "dictionary";
    const topts = tableOptions(v);
    await init();
    const dict = fromFile === undefined ? null : readDictionaryFile(fromFile);

    const t0 = performance.now();
    const rows = await openRows(path, topts);
    const d = rows.features.length;
    if (dict && dict.points.cols !== d) throw new DataError(`the dictionary ${fromFile} has points of dimension ${dict.points.cols}, but the data has ${d} features (${rows.features.join(", ")})`, { source: path });
    const kernel = dict ? kernelFromSpec(dict.params.kernel) : kernelFromFlags(v, d);
    // Pass 1: column statistics (standardisation, target offset, row count).
    const stats = await scanStats(rows, "fit: scanning", v.quiet);
    const n = stats.n;
    stats.checkTarget(v.target);
    if (method === "exact" && n > EXACT_KRR_MAX_ROWS) throw new UsageError(`--method exact keeps all ${n} rows and solves an n×n system; it is limited to ${EXACT_KRR_MAX_ROWS} rows (use --method squeak)`);
    const scaling = dict === null && v.scale === "standard" ? stats.scaling() : null;
    const yOffset = stats.target().mean;
    // Fast defaults: a budget for SQUEAK on large inputs, unless one was given.
    const defaultedBudget = method === "squeak" && v.maxDictionary === undefined && n > LARGE_INPUT_ROWS;
    const maxDictionary = defaultedBudget ? defaultBudget(n) : v.maxDictionary;
    const lambda = dict ? v.lambda ?? dict.params.lambda : v.lambda ?? v.ridge;

    const res = await fitKrrFromPasses(passes(rows, scaling, "fit", v.quiet), {
      method: centresOpts?.method ?? "squeak", kernel, lambda, eps: v.eps, qbar: v.qbar, batch: v.batch, seed: v.seed, maxDictionary, centers: centresOpts?.centers,
      rows: n, ridge: v.ridge, yOffset, ...(dict ? { centres: dict } : {}),
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
    writeFileAtomic(outPath, encodeModel({
      createdBy: `seqlearn ${version}`,
      createdAt: new Date().toISOString(),
      features: rows.features,
      target: v.target,
      scaling,
      yOffset,
      method,
      params: {
        kernel: kernel.toJSON(), ridge: v.ridge, lambda, eps: dict ? dict.params.eps : v.eps, qbar: res.dictionary?.params.qbar ?? v.qbar ?? null, seed: dict ? dict.params.seed : v.seed,
        batch: v.batch ?? null, maxDictionary: maxDictionary ?? null, centers: centresOpts?.centers ?? null, scale: scaling ? "standard" : "none",
        ...(fromFile !== undefined ? { dictionary: fromFile, dictionaryMethod: dict!.params.method } : {}),
      },
      training,
      model: res.model.toJSON(),
    }), { inputs: fromFile ? [path, fromFile] : [path], force: v.force });
    const hint = "to trade speed for accuracy: a larger --max-dictionary is more accurate and slower; --method uniform --centers <m> is the fastest";
    if (v.json) {
      out(JSON.stringify({ model: outPath, ...training, maxDictionary: maxDictionary ?? null, defaultBudget: defaultedBudget }, null, 2));
      if (defaultedBudget && !v.quiet) err(`seqlearn fit: ${hint}`);
    } else {
      const how = dict ? `on the ${dict.size} centres of ${fromFile} (${dict.params.method})` : `${method} Nyström KRR`;
      out(`fitted ${dict ? "Nyström KRR" : how} on ${formatCount(n)} rows × ${d} features${dict ? ` ${how}` : ""} in ${seconds.toFixed(2)} s`);
      out(`kernel ${kernel.toString()}, μ = ${v.ridge}${method === "exact" || dict ? "" : `, dictionary size ${res.size}`}${res.deff != null ? `, d_eff ≈ ${res.deff.toFixed(1)}` : ""}`);
      if (defaultedBudget) out(`dictionary budget ${maxDictionary} (the default for ${formatCount(n)} rows: ⌈√n⌉ clamped to [256, 500]); ${hint}`);
      out(`training RMSE ${res.trainRmse.toPrecision(4)}, R² ${res.trainR2.toFixed(4)}${res.trainRows < n ? ` (on the first ${formatCount(res.trainRows)} rows)` : ""}`);
      out(`model written to ${outPath}`);
    }
    return 0;
  },
});
