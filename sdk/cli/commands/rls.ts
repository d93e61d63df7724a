// seqlearn rls: approximate ridge leverage scores of every row. One pass builds a SQUEAK
// dictionary; a second pass applies the dictionary's estimator to every row (Calandriello,
// Lazaric & Valko, AISTATS 2017, Eq. 4). --exact computes the exact scores instead (small inputs).
import { init } from "../../engine/index.js";
import { Matrix } from "../../core/matrix.js";
import { RlsEstimator } from "../../kernel/estimator.js";
import { exactRls } from "../../kernel/rls.js";
import { centresFromPasses } from "../../kernel/fit-table.js";
import { DataError } from "../../io/errors.js";
import { command, UsageError } from "../command.js";
import { boolean, group, withDefault, withHelp } from "../flags.js";
import { TABLE, SCALE, KERNEL, DICTIONARY, BATCH, QUIET, FORCE, output, tableOptions, kernelFromFlags } from "../options.js";
import { openRows, scanStats, passes, scaled, checkKernelRange } from "../rows.js";
import { ProgressLine, formatCount } from "../progress.js";
import { withOutput, checkOutput } from "../files.js";
import { out, err } from "../term.js";

/** --exact reads every row into memory and factors the n×n kernel matrix. */
const EXACT_MAX_ROWS = 20000;

const FLAGS = {
  ...TABLE,
  target: withHelp(TABLE.target, "a target column to leave out of the features"),
  ...SCALE,
  ...KERNEL,
  ...DICTIONARY,
  lambda: withDefault(DICTIONARY.lambda, 1),
  ...BATCH,
  ...group("scores", { exact: boolean({ help: `exact scores, O(n³) time (n ≤ ${EXACT_MAX_ROWS})` }) }),
  output: output("<scores.csv>", "where to write the scores (default: stdout)"),
  ...FORCE,
  ...group("output", { json: boolean({ help: "print the summary as JSON on stdout (needs -o: the scores then go to the file)" }) }),
  ...QUIET,
};

export const rls = command({
  name: "rls",
  summary: "approximate ridge leverage scores of every row (SQUEAK dictionary estimator), written as CSV",
  synopsis: "seqlearn rls <data.csv|data.jsonl|-> [--lambda <λ>] [-o scores.csv] [options]",
  description: ["Writes `row,score` (row = 0-based data row) with τ̃_i ≈ (1−ε)·τ_i(λ), τ_i = [K(K+λI)⁻¹]_ii."],
  flags: FLAGS,
  async run({ positional, values: v, given, spelled }) {
    if (positional.length !== 1) throw new UsageError(positional.length === 0 ? "missing the data file" : `expected one data file, got ${positional.length}`);
    const path = positional[0];
    const lambda = v.lambda, eps = v.eps, quiet = v.quiet;
    if (v.exact) {
      const misplaced = (["qbar", "maxDictionary", "batch"] as const).filter((k) => given.has(k)).map((k) => spelled[k]);
      if (misplaced.length) throw new UsageError(`${misplaced.join(" and ")} ${misplaced.length > 1 ? "do" : "does"} not apply with --exact`);
    }
    if (v.json && v.output === undefined) throw new UsageError("--json prints the summary as JSON on stdout, where the scores would go: give -o <scores.csv>");
    const topts = tableOptions(v); // an explicit --target must exist (it is left out of the features)
    // Outputs are checked before any work (a missing folder, an existing file, an input).
    if (v.output !== undefined) checkOutput(v.output, { inputs: [path], force: v.force });
    await init();
    const rows = await openRows(path, topts);
    const d = rows.features.length;
    const kernel = kernelFromFlags(v, d);
    const stats = await scanStats(rows, "rls: scanning", quiet);
    const n = stats.n;
    const scaling = v.scale === "standard" ? stats.scaling() : null;
    if (v.exact && n > EXACT_MAX_ROWS) throw new UsageError(`--exact needs O(n³) time and n² memory; it is limited to ${EXACT_MAX_ROWS} rows (this input has ${n})`);

    let sum = 0, size = n, deffHT: number | null = null;
    await withOutput(v.output, { inputs: [path], force: v.force }, async (write) => {
      write("row,score\n");
      if (v.exact) {
        const X = new Matrix(n, d);
        for await (const b of rows.pass()) {
          const xb = scaled(b.X, scaling);
          checkKernelRange(xb, b.lines, rows.source, scaling !== null);
          X.data.set(xb.data, b.offset * d);
        }
        const r = exactRls(X, kernel, lambda);
        const lines: string[] = [];
        for (let i = 0; i < n; i++) {
          lines.push(`${i},${r.scores[i]}`);
          sum += r.scores[i];
        }
        write(lines.join("\n") + "\n");
        return;
      }
      const dict = (await centresFromPasses(passes(rows, scaling, "rls", quiet), {
        method: "squeak", kernel, lambda, eps, qbar: v.qbar, batch: v.batch, seed: v.seed, maxDictionary: v.maxDictionary, rows: n,
      }))!;
      size = dict.size;
      deffHT = dict.params.deff;
      if (size === 0) throw new DataError("the SQUEAK dictionary is empty (every point was dropped); raise --qbar or lower --lambda");
      const bar = new ProgressLine({ label: `rls: scoring with ${size} dictionary points`, enabled: !quiet });
      // Factor the dictionary once and score every batch against it.
      const estimator = new RlsEstimator(dict, { eps });
      try {
        for await (const b of rows.pass((p) => bar.update(p))) {
          const xb = scaled(b.X, scaling);
          checkKernelRange(xb, b.lines, rows.source, scaling !== null);
          const s = estimator.estimate(xb);
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
    });
    const file = v.output;
    const facts = { rows: n, method: v.exact ? "exact" : "squeak", dictionarySize: v.exact ? null : size, sumOfScores: sum, deffEstimate: v.exact ? sum : sum / (1 - eps), deffHorvitzThompson: deffHT };
    // Scores may be on stdout: the summary then goes to stderr.
    const say = file ? out : err;
    if (v.json) out(JSON.stringify(facts));
    else if (!quiet || !file) {
      say(v.exact
        ? `exact leverage scores of ${formatCount(n)} rows: d_eff(λ = ${lambda}) = ${sum.toFixed(2)}`
        : `leverage scores of ${formatCount(n)} rows from a ${size}-point SQUEAK dictionary: Σ τ̃ = ${sum.toFixed(2)}, so d_eff(λ = ${lambda}) ≈ Σ τ̃/(1−ε) = ${(sum / (1 - eps)).toFixed(2)}`);
      if (file) say(`scores written to ${file}`);
    }
    return 0;
  },
});
