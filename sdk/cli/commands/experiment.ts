// seqlearn experiment: run one of the package's experiments (sdk/experiments) — its seeds in
// parallel on worker threads — and print or write its report; `--list` shows them all.
import { clip } from "../../core/validate.js";
import { suggest } from "../../core/options.js";
import { EXPERIMENTS, runExperiment, type ExperimentProgress } from "../../experiments/index.js";
import { command, UsageError } from "../command.js";
import { boolean, choice, custom, group, number, string } from "../flags.js";
import { out, err } from "../term.js";

/** Split "a=1,b=[1,2],c.d=x" at the commas outside brackets and quotes. */
function splitTopLevel(raw: string): string[] {
  const parts: string[] = [];
  let depth = 0, quote = false, start = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === '"') quote = false;
    } else if (c === '"') quote = true;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(raw.slice(start));
  return parts.map((p) => p.trim());
}

/** --set key=value[,key=value…] → a nested overrides object; a value is JSON when it parses
 *  as JSON (numbers, true/false, [lists], "strings"), else the text itself. */
export function parseSettings(raw: string, flag: string): Record<string, unknown> {
  const outObj: Record<string, unknown> = {};
  for (const part of splitTopLevel(raw)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new UsageError(`${flag} expects key=value pairs separated by commas (e.g. ${flag} steps=300,betas=[0.1,1]), got ${JSON.stringify(clip(part))}`);
    const path = part.slice(0, eq).trim().split(".");
    if (path.some((k) => k === "")) throw new UsageError(`${flag}: ${JSON.stringify(clip(part.slice(0, eq)))} is not a configuration key`);
    const text = part.slice(eq + 1).trim();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    let at = outObj;
    for (const k of path.slice(0, -1)) {
      const next = at[k];
      if (next === undefined) at = at[k] = {} as Record<string, unknown>;
      else if (next && typeof next === "object" && !Array.isArray(next)) at = next as Record<string, unknown>;
      else throw new UsageError(`${flag}: ${path.join(".")} and ${k} are both set`);
    }
    const last = path[path.length - 1];
    if (Object.prototype.hasOwnProperty.call(at, last)) throw new UsageError(`${flag}: ${path.join(".")} is set twice`);
    at[last] = value;
  }
  return outObj;
}

const names = () => Object.keys(EXPERIMENTS).sort();

const FLAGS = {
  ...group("run", {
    preset: choice(["smoke", "full"], { default: "smoke", help: "smoke: seconds to a minute, a first look; full: the run the docs quote (minutes)" }),
    seeds: number({ int: true, min: 1, max: 100_000, metavar: "<N>", help: "seeds 0 … N−1", defaultText: "the experiment's, 5" }),
    workers: number({ int: true, min: 0, max: 1024, metavar: "<w>", help: "worker threads for the seeds (0: this thread)", defaultText: "one per seed, up to the available cores" }),
    set: custom(parseSettings, { metavar: "k=v,…", help: "change the preset's configuration: key=value pairs (JSON values; nested keys with dots), e.g. --set steps=300,betas=[0.1,1]" }),
    list: boolean({ help: "list the experiments (with --json: their descriptions and presets)" }),
  }),
  ...group("output", {
    out: string({ metavar: "<dir>", help: "write report.md, metrics.jsonl, summary.json and the SVG plots into this folder (made if needed)", defaultText: "none: the report is printed" }),
    force: boolean({ help: "replace the files of an earlier run in --out (without it an existing file is never replaced)" }),
    json: boolean({ help: "print the summary (configuration, contrasts, intervals, verdict, per-seed scalars) as JSON on stdout, and nothing else" }),
    quiet: boolean({ help: "no progress on stderr" }),
  }),
};

export const experiment = command({
  name: "experiment",
  summary: "run an experiment of the papers (seeds in parallel): report with confidence intervals and verdict, curves, SVG plots",
  synopsis: "seqlearn experiment <name> [--preset smoke|full] [--seeds N] [--out <dir>] [--workers N] [--set k=v,…] [--json] [--force]\n       seqlearn experiment --list",
  description: [
    `Experiments: ${names().join(", ")}.`,
    "Without --out the report (Markdown) is printed on stdout; with --out it is written with the curves and plots,",
    "and a summary is printed. Progress goes to stderr. The verdict is \"reproduced\", \"not reproduced\" or",
    "\"inconclusive\"; all three exit with status 0.",
  ],
  flags: FLAGS,
  async run({ positional, values: v }) {
    if (v.list) {
      if (positional.length) throw new UsageError(`--list takes no experiment name, got ${JSON.stringify(clip(positional[0]))}`);
      const list = names().map((n) => EXPERIMENTS[n]);
      if (v.json) {
        out(JSON.stringify(list.map((e) => ({ name: e.name, title: e.title, description: e.description, references: e.references ?? [], defaultSeeds: e.defaultSeeds ?? 5, presets: e.presets }))));
      } else {
        const w = Math.max(...list.map((e) => e.name.length));
        for (const e of list) out(`${e.name.padEnd(w)}  ${e.title}`);
      }
      return 0;
    }
    if (positional.length === 0) throw new UsageError(`expected an experiment name (one of ${names().join(", ")}), or --list`);
    if (positional.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(clip(positional[1]))}`);
    const name = positional[0];
    if (!Object.prototype.hasOwnProperty.call(EXPERIMENTS, name)) {
      const near = suggest(name, names());
      throw new UsageError(`unknown experiment ${JSON.stringify(clip(name))}${near.length ? ` (did you mean ${near.join(" or ")}?)` : ""}; the experiments are ${names().join(", ")}`);
    }
    if (v.force && v.out === undefined) throw new UsageError("--force applies to the files of --out");
    const quiet = v.quiet;
    const tty = !quiet && !!(globalThis as { process?: { stderr?: { isTTY?: boolean } } }).process?.stderr?.isTTY;
    let lastLine = 0;
    const onProgress = quiet ? undefined : (e: ExperimentProgress) => {
      const line = `${name} [${v.preset}]: ${e.seedsDone}/${e.seedsTotal} seeds done, ${Math.round(100 * e.overall)} %, ${(e.elapsedMs / 1000).toFixed(1)} s`;
      if (tty) {
        process.stderr.write(`\r${line}   `);
      } else if (e.event === "done" || e.elapsedMs - lastLine > 5000) {
        lastLine = e.elapsedMs;
        err(e.event === "done" ? `${line} (seed ${e.seed} finished)` : line);
      }
    };
    const run = await runExperiment(name, {
      preset: v.preset, seeds: v.seeds, workers: v.workers, overrides: v.set, out: v.out, overwrite: v.force, onProgress,
    });
    if (tty) process.stderr.write("\n");
    if (v.json) {
      out(JSON.stringify({ ...JSON.parse(run.files["summary.json"]), written: run.written }));
      return 0;
    }
    if (v.out === undefined) {
      out(run.files["report.md"].replace(/\n$/, ""));
      return 0;
    }
    const f = (x: number) => (Number.isFinite(x) ? String(+x.toPrecision(3)) : "–");
    out(`${name} (preset ${run.preset}, ${run.seeds.length} seeds, configuration ${run.configHash}): ${run.verdict}`);
    for (const c of run.contrasts) {
      const ci = c.t ? `[${f(c.t.lo)}, ${f(c.t.hi)}]` : "–";
      out(`  ${c.name}${c.primary ? "" : " (secondary)"}: mean ${f(c.mean)}, 95 % t-interval ${ci}, ${c.agree} of ${c.values.length} seeds ${c.expected === "positive" ? "> 0" : "< 0"}: ${c.verdict}`);
    }
    out(`files written to ${v.out}: ${Object.keys(run.files).join(", ")}`);
    return 0;
  },
});
