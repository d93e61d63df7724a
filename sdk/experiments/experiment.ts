// What an experiment is: a named study with two presets (`smoke`, seconds to a minute; `full`,
// the one the docs quote), a per-seed run that returns curves and scalars, and a summary that
// states the contrasts the paper makes a claim about. The runner (runner.ts) does everything
// else: seeds in parallel, confidence intervals, verdicts, the report, the files.
//
// Experiments are listed in a table (registry.ts), built explicitly like the task tables:
// nothing registers itself when a module is imported.
import { ValueError } from "../core/errors.js";
import type { AcceptanceRule, BootstrapInterval, Direction, TInterval, Verdict } from "./stats.js";

/** The two presets every experiment has: `smoke` (seconds to a minute: the tests and a first
 *  look) and `full` (the run the docs and BENCHMARKS.md quote; minutes). */
export type Preset = "smoke" | "full";

/** The preset names, in order. */
export const PRESETS: readonly Preset[] = ["smoke", "full"];

/** A JSON value: what a configuration may hold (it is hashed as canonical JSON). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** One logged point of a seed's curves: the step (optimizer steps, iterations, epochs — the
 *  experiment says which) and any number of named metrics at that step. Metric names are
 *  stable strings such as `"ipo/beta=0.5/kl"`; a row need not carry every metric. */
export interface CurveRow {
  /** The step. */
  step: number;
  /** The metrics logged at this step, by name. */
  [metric: string]: number;
}

/** What a per-seed run returns. */
export interface SeedOutput {
  /** The curves, one row per logged step (in increasing step order). */
  curves: CurveRow[];
  /** Per-seed numbers: final and best values, the quantities the contrasts are made of. */
  scalars: Record<string, number>;
  /** Tokens trained on (one forward and one backward pass per token), summed over every model
   *  the seed trained: the unit of cost of the report. */
  tokenUpdates: number;
}

/** A per-seed run as the runner collects it: the run's output, its seed and its wall-clock. */
export interface SeedResult extends SeedOutput {
  /** The seed. */
  seed: number;
  /** Milliseconds the run took on its worker (not part of any comparison: it varies). */
  wallMs: number;
}

/** What a per-seed run receives besides its configuration and seed. */
export interface ExperimentContext {
  /** The preset being run. */
  readonly preset: Preset;
  /** Aborted when the caller cancels: check it between steps (trainers take it as `signal`). */
  readonly signal: AbortSignal;
  /** Report the share of this seed's work done, in [0, 1], with an optional note. */
  progress(fraction: number, note?: string): void;
}

/** A contrast the paper makes a claim about, measured on every seed. */
export interface Contrast {
  /** Short stable name, e.g. `"kl_dpo_minus_ipo"`. */
  name: string;
  /** What is subtracted from what, in words, e.g. "KL(π_DPO‖π_ref) − KL(π_IPO‖π_ref) after the
   *  last step, at β = 0.5". */
  definition: string;
  /** One value per seed, in the order of the results passed to `summarise` (NaN: no value). */
  values: readonly number[];
  /** The sign the paper predicts. */
  expected: Direction;
  /** The claim in words, with its source ("Azar et al. 2024, §5: …"). */
  claim?: string;
  /** Part of the experiment's verdict (default true); secondary contrasts are reported only. */
  primary?: boolean;
  /** How the evidence becomes a verdict (default `standardAcceptance`: ⌈4N/5⌉ of N seeds with
   *  the expected sign and a 95 % t-interval excluding 0). */
  rule?: AcceptanceRule;
}

/** The contrast as the runner reports it: the declaration plus the evidence and the verdict. */
export interface ContrastSummary {
  /** The contrast's name. */
  name: string;
  /** Its definition. */
  definition: string;
  /** The predicted sign. */
  expected: Direction;
  /** The claim, when given. */
  claim: string | null;
  /** Whether it is part of the verdict. */
  primary: boolean;
  /** The seeds, in order. */
  seeds: number[];
  /** The per-seed values (NaN where none). */
  values: number[];
  /** Seeds with a finite value. */
  n: number;
  /** Mean over those seeds. */
  mean: number;
  /** Their sample standard deviation. */
  sd: number;
  /** Student's 95 % t-interval (what the verdict uses), null below 2 values. */
  t: TInterval | null;
  /** The 95 % percentile-bootstrap interval, null without values. */
  bootstrap: BootstrapInterval | null;
  /** Seeds with the expected sign. */
  agree: number;
  /** Seeds needed: ⌈4N/5⌉. */
  needed: number;
  /** The verdict on this contrast. */
  verdict: Verdict;
  /** Its reason, with the numbers. */
  reason: string;
}

/** A plot of curves averaged over seeds: for each series, the mean of a metric at each step
 *  over the seeds that logged it, with a band (Student's 95 % interval of that mean, or the
 *  range over seeds). */
export interface CurvesPlot {
  /** "curves". */
  kind: "curves";
  /** File name, `*.svg` (letters, digits, `.`, `-`, `_`). */
  file: string;
  /** Title. */
  title?: string;
  /** Label of the x axis (the step). Default "step". */
  xLabel?: string;
  /** Label of the y axis. */
  yLabel?: string;
  /** The lines, one metric each. */
  series: readonly CurveSeries[];
  /** "t" (default): the 95 % t-interval of the mean over seeds; "range": min to max; "none". */
  band?: "t" | "range" | "none";
  /** Logarithmic y axis. */
  logY?: boolean;
  /** Logarithmic x axis. */
  logX?: boolean;
}

/** One line of a CurvesPlot. */
export interface CurveSeries {
  /** The metric's name in the curves. */
  metric: string;
  /** Legend label (default: the metric's name). */
  label?: string;
  /** Dashed line. */
  dashed?: boolean;
}

/** A plot the experiment draws itself, with sdk/io's linePlot, scatterPlot or matrixPlot. */
export interface CustomPlot {
  /** "custom". */
  kind: "custom";
  /** File name, `*.svg`. */
  file: string;
  /** Returns the SVG document. */
  render(results: readonly SeedResult[], contrasts: readonly ContrastSummary[]): string;
}

/** A plot an experiment declares. */
export type PlotSpec = CurvesPlot | CustomPlot;

/**
 * An experiment. `C` is its configuration: a JSON object (numbers, strings, booleans, arrays,
 * objects) that says everything a run depends on besides the seed.
 *
 * ```ts
 * const mine = defineExperiment<{ steps: number }>({
 *   name: "my-study", title: "…", description: "…",
 *   presets: { smoke: { steps: 100 }, full: { steps: 2000 } },
 *   run: async (config, seed, ctx) => ({ curves: [], scalars: { gain: 1 }, tokenUpdates: 0 }),
 *   summarise: (results) => [{ name: "gain", definition: "…", expected: "positive", values: results.map((r) => r.scalars.gain) }],
 * });
 * ```
 */
export interface Experiment<C extends object = Record<string, unknown>> {
  /** The name on the command line: lower-case letters, digits and dashes (`demo-bandit`). */
  name: string;
  /** One line. */
  title: string;
  /** A paragraph: the setup, what is measured, what the paper predicts (shown by `--list` and
   *  at the top of the report). */
  description: string;
  /** The papers it reproduces (author, year, title). */
  references?: readonly string[];
  /** The two configurations. */
  presets: Readonly<Record<Preset, C>>;
  /** Seeds when the caller gives none (default 5). */
  defaultSeeds?: number;
  /** Throw ValueError for a configuration the run cannot use (an override out of range, a
   *  key that must be one of a list): called once, before any seed runs. */
  check?(config: C): void;
  /** One seed's run. Deterministic: everything random must come from `seed` (e.g. `new Rng(seed,
   *  stream)`, distinct streams for distinct uses), never from the time or the worker; host
   *  arithmetic on results goes through + − × ÷ and core/detmath, so that the numbers are the
   *  same in every runtime and for any number of workers. */
  run(config: C, seed: number, ctx: ExperimentContext): SeedOutput | Promise<SeedOutput>;
  /** The contrasts, from every seed's results (in seed order) and the configuration. */
  summarise(results: readonly SeedResult[], config: C): Contrast[];
  /** The plots, for a configuration. */
  plots?(config: C): PlotSpec[];
  /** Whether a curve metric is better high ("max") or low ("min"), for the report's "best"
   *  column (null: no best, only the final value). Default: null for every metric. */
  best?(metric: string): "max" | "min" | null;
}

/** Declare an experiment (checks its shape; the type parameter is inferred from the presets). */
export function defineExperiment<C extends object>(def: Experiment<C>): Experiment<C> {
  checkExperiment(def as Experiment<object>, "defineExperiment");
  return def;
}

/** Experiments by name, e.g. `{ "demo-bandit": demoBandit }`. */
export type ExperimentTable = Readonly<Record<string, Experiment<any>>>;

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Throws ValueError naming what is wrong with an experiment definition. @internal */
export function checkExperiment(def: Experiment<object>, where: string): void {
  if (!def || typeof def !== "object") throw new ValueError(`${where}: an experiment must be an object, got ${def === null ? "null" : typeof def}`);
  if (typeof def.name !== "string" || !NAME.test(def.name)) throw new ValueError(`${where}: name must be lower-case letters, digits and single dashes (e.g. "demo-bandit"), got ${JSON.stringify(def.name)}`);
  const w = `${where}: ${def.name}`;
  for (const k of ["title", "description"] as const) if (typeof def[k] !== "string" || def[k] === "") throw new ValueError(`${w}: ${k} must be a non-empty string`);
  for (const k of ["run", "summarise"] as const) if (typeof def[k] !== "function") throw new ValueError(`${w}: ${k} must be a function`);
  for (const k of ["check", "plots", "best"] as const) if (def[k] !== undefined && typeof def[k] !== "function") throw new ValueError(`${w}: ${k} must be a function when given`);
  if (!def.presets || typeof def.presets !== "object") throw new ValueError(`${w}: presets { smoke, full } are required`);
  for (const p of PRESETS) {
    const c = def.presets[p];
    if (!c || typeof c !== "object" || Array.isArray(c)) throw new ValueError(`${w}: presets.${p} must be a configuration object`);
  }
  const extra = Object.keys(def.presets).filter((k) => !(PRESETS as readonly string[]).includes(k));
  if (extra.length) throw new ValueError(`${w}: presets has ${extra.map((k) => JSON.stringify(k)).join(", ")}; the presets are smoke and full`);
  if (def.defaultSeeds !== undefined && !(Number.isInteger(def.defaultSeeds) && def.defaultSeeds >= 1)) throw new ValueError(`${w}: defaultSeeds must be an integer ≥ 1`);
}

/** Combine experiments and tables of experiments into one table (validated, frozen). A name
 *  may appear twice only for the same definition. */
export function experimentTable(...entries: ReadonlyArray<Experiment<any> | ExperimentTable>): ExperimentTable {
  const out: Record<string, Experiment<any>> = Object.create(null);
  const add = (e: Experiment<any>) => {
    checkExperiment(e, "experimentTable");
    const prev = out[e.name];
    if (prev !== undefined && prev !== e) throw new ValueError(`experimentTable: two different experiments are named ${JSON.stringify(e.name)}`);
    out[e.name] = e;
  };
  for (const x of entries) {
    if (x && typeof x === "object" && typeof (x as Experiment).run === "function") add(x as Experiment<any>);
    else if (x && typeof x === "object") {
      for (const [k, e] of Object.entries(x as ExperimentTable)) {
        if (e?.name !== k) throw new ValueError(`experimentTable: the entry ${JSON.stringify(k)} holds an experiment named ${JSON.stringify(e?.name)}`);
        add(e);
      }
    } else throw new ValueError(`experimentTable: expected experiments or tables of experiments, got ${x === null ? "null" : typeof x}`);
  }
  return Object.freeze(out);
}
