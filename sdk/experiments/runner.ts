// runExperiment: run an experiment's seeds in parallel on the worker pool, collect them, put a
// confidence interval on every contrast, decide the verdict, and render (and, given a folder,
// write) report.md, metrics.jsonl, summary.json and the plots.
//
// Determinism: a seed's run is one task that depends on (experiment, configuration, seed) only,
// and the summary is computed here from the results in seed order; so every number of the
// report (not the timings) is the same for 0, 1 or n workers, in every runtime.
//
// Files: every output is checked before any work (an existing file is kept unless
// `overwrite`, a symbolic link is never written through), everything is rendered in memory
// once all seeds have succeeded, and each file is then written to a temporary name and renamed
// into place (platform.ts, writeFileAtomic), report.md last. A failed run writes nothing.
import { SeqlearnError, ValueError } from "../core/errors.js";
import { checkOptions, suggest } from "../core/options.js";
import { integer, seed as checkSeed } from "../core/validate.js";
import { init } from "../engine/loader.js";
import { InlinePool, WorkerPool, type Executor } from "../parallel/pool.js";
import { TaskAbortedError, TaskError } from "../parallel/errors.js";
import { availableCores, joinPath, makeDirectory, pathKind, writeFileAtomic } from "../platform.js";
import { PRESETS, experimentTable, type ContrastSummary, type Experiment, type PlotSpec, type Preset, type SeedResult } from "./experiment.js";
import { EXPERIMENTS } from "./registry.js";
import { EXPERIMENT_TASKS, SEED_TASK, seedTask, type SeedTaskInput, type SeedTaskProgress } from "./tasks.js";
import { combineVerdicts, contrastEvidence, standardAcceptance, type Verdict } from "./stats.js";
import { canonicalJson, configHash, metricsJsonl, renderCurves, renderReport, renderSummary, type ReportInput } from "./report.js";

/** The format tag of summary.json and of the object runExperiment returns. */
export const EXPERIMENT_FORMAT = "seqlearn.experiment/1";

/** A run of an experiment could not complete: a seed failed (`cause` is its error). */
export class ExperimentError extends SeqlearnError {
  /** Always "ExperimentError". */
  override name = "ExperimentError";
  /** The experiment. */
  readonly experiment: string;
  /** The seed that failed. */
  readonly seed: number;
  /** The seed's error. */
  readonly cause: unknown;
  constructor(experiment: string, seed: number, cause: unknown) {
    const c = cause as { name?: string; message?: string };
    super(`${experiment}: seed ${seed} failed: ${c?.name ?? "Error"}: ${c?.message ?? String(cause)}`);
    this.experiment = experiment;
    this.seed = seed;
    this.cause = cause;
  }
}

/** An output of a run cannot be written: it exists (and `overwrite` is not set), it is a
 *  symbolic link or a folder, the folder cannot be made, or this runtime has no file system. */
export class ExperimentFileError extends SeqlearnError {
  /** Always "ExperimentFileError". */
  override name = "ExperimentFileError";
  /** The path concerned. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

/** A progress event of runExperiment. */
export interface ExperimentProgress {
  /** The experiment. */
  experiment: string;
  /** The seed concerned. */
  seed: number;
  /** "start" (the seed began on a worker), "progress" (it reported), "done" (it finished). */
  event: "start" | "progress" | "done";
  /** Share of this seed's work done, in [0, 1]. */
  fraction: number;
  /** The run's note, if any. */
  note: string | null;
  /** Share of the whole run done: the mean of every seed's fraction. */
  overall: number;
  /** Seeds finished. */
  seedsDone: number;
  /** Seeds in the run. */
  seedsTotal: number;
  /** Milliseconds since runExperiment was called. */
  elapsedMs: number;
}

/** Options of runExperiment. */
export interface ExperimentRunOptions {
  /** "smoke" (default) or "full". */
  preset?: Preset;
  /** How many seeds (0, 1, …, N − 1), or the seeds themselves (distinct non-negative safe
   *  integers). Default: the experiment's `defaultSeeds`, else 5. */
  seeds?: number | readonly number[];
  /** Changes to the preset's configuration: a partial object of the same shape (nested objects
   *  merge, arrays and values replace). An unknown key or a value of another type than the
   *  preset's is a ValueError. */
  overrides?: Record<string, unknown>;
  /** A folder to write report.md, metrics.jsonl, summary.json and the plots into (created if
   *  needed; Node and Deno). Without it nothing is written: everything is in the result's
   *  `files`. */
  out?: string;
  /** Replace files of an earlier run in `out` (default false: an existing file is an error,
   *  raised before any work). */
  overwrite?: boolean;
  /** Worker threads for the seeds (0: this thread, one seed after another). Default: as many
   *  as there are seeds, up to the available cores (this thread when that is 1). */
  workers?: number;
  /** Run the seeds on this executor instead (its workers must serve the package's tasks, as
   *  every WorkerPool does by default; it is not closed). Excludes `workers`. */
  pool?: Executor;
  /** Cancels the run: seeds stop between steps, runExperiment rejects with TaskAbortedError,
   *  and nothing is written. */
  signal?: AbortSignal;
  /** Receives progress events. */
  onProgress?: (e: ExperimentProgress) => void;
}

const RUN_KEYS = Object.keys({
  preset: true, seeds: true, overrides: true, out: true, overwrite: true, workers: true, pool: true, signal: true, onProgress: true,
} satisfies Record<keyof ExperimentRunOptions, true>);

/** What runExperiment returns: the facts of summary.json, the per-seed results with their
 *  curves, and every file's contents. */
export interface ExperimentRun {
  /** "seqlearn.experiment/1". */
  format: string;
  /** The experiment's name. */
  experiment: string;
  /** Its title. */
  title: string;
  /** The preset run. */
  preset: Preset;
  /** The configuration run (the preset's, with the overrides). */
  config: Record<string, unknown>;
  /** Its hash (configHash). */
  configHash: string;
  /** The seeds, in order. */
  seeds: number[];
  /** Worker threads used (0: this thread). */
  workers: number;
  /** Wall-clock of the whole run, ms (everything before writing the files). */
  wallMs: number;
  /** Token-updates summed over seeds. */
  tokenUpdates: number;
  /** Per-seed results, in seed order. */
  results: SeedResult[];
  /** The contrasts, with intervals and verdicts. */
  contrasts: ContrastSummary[];
  /** The verdict. */
  verdict: Verdict;
  /** Its reason. */
  reason: string;
  /** Every output by file name (report.md, metrics.jsonl, summary.json, the plots). */
  files: Record<string, string>;
  /** The paths written (empty without `out`). */
  written: string[];
}

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());
const PLOT_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.svg$/;
const FIXED_FILES = ["report.md", "metrics.jsonl", "summary.json"];

/** The experiment called `name` in EXPERIMENTS (ValueError with the closest names otherwise). */
export function getExperiment(name: string): Experiment<any> {
  if (typeof name === "string" && Object.prototype.hasOwnProperty.call(EXPERIMENTS, name)) return EXPERIMENTS[name];
  const names = Object.keys(EXPERIMENTS).sort();
  const near = typeof name === "string" ? suggest(name, names) : [];
  throw new ValueError(`no experiment named ${JSON.stringify(name)}${near.length ? ` (did you mean ${near.join(" or ")}?)` : ""}; the experiments are ${names.join(", ")}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

function kindOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : isPlainObject(v) ? "an object" : `a ${typeof v}`;
}

/** What applyOverrides returns. */
export interface AppliedOverrides {
  /** The configuration: a fresh JSON copy of the preset's with the overrides applied. */
  config: Record<string, unknown>;
  /** The dotted paths of the keys overridden, in the order given. */
  overridden: string[];
}

/** The preset's configuration with the overrides applied: nested objects merge, arrays and
 *  values replace; an unknown key, or a value of another kind than the preset's, is a
 *  ValueError naming the closest key. */
export function applyOverrides(base: object, overrides: unknown, where: string): AppliedOverrides {
  const config = JSON.parse(canonicalJson(base, `${where}: preset`)) as Record<string, unknown>;
  const overridden: string[] = [];
  if (overrides === undefined) return { config, overridden };
  const merge = (target: Record<string, unknown>, patch: unknown, path: string) => {
    if (!isPlainObject(patch)) throw new ValueError(`${where}: overrides${path ? ` of ${path}` : ""} must be an object, got ${kindOf(patch)}`);
    for (const [k, v] of Object.entries(patch)) {
      const key = path ? `${path}.${k}` : k;
      if (v === undefined) continue;
      if (!Object.prototype.hasOwnProperty.call(target, k)) {
        const keys = Object.keys(target);
        const near = suggest(k, keys);
        throw new ValueError(`${where}: unknown configuration key "${key}"${near.length ? `; did you mean "${path ? `${path}.` : ""}${near[0]}"?` : ""} (keys${path ? ` of ${path}` : ""}: ${keys.join(", ")})`);
      }
      const old = target[k];
      if (isPlainObject(old)) {
        merge(old, v, key);
        continue;
      }
      const same = Array.isArray(old) ? Array.isArray(v) : old === null ? v === null : typeof v === typeof old && !Array.isArray(v) && !isPlainObject(v);
      if (!same) throw new ValueError(`${where}: ${key} must be ${kindOf(old)} like the preset's ${JSON.stringify(old)}, got ${kindOf(v)}`);
      target[k] = JSON.parse(canonicalJson(v, `${where}: overrides.${key}`));
      overridden.push(key);
    }
  };
  merge(config, overrides, "");
  return { config, overridden };
}

/** The seeds of a run: N → 0, 1, …, N − 1, or a list of distinct non-negative safe integers. */
export function resolveSeeds(seeds: number | readonly number[]): number[] {
  if (typeof seeds === "number") {
    integer(seeds, "seeds", 1, 100_000);
    return Array.from({ length: seeds }, (_, i) => i);
  }
  if (!Array.isArray(seeds) || seeds.length === 0) throw new ValueError(`seeds must be a count ≥ 1 or a non-empty array of seeds, got ${kindOf(seeds)}`);
  const out = seeds.map((s, i) => checkSeed(s, `seeds[${i}]`));
  if (new Set(out).size !== out.length) throw new ValueError(`seeds must be distinct, got ${out.join(", ")}`);
  return out;
}

function fileError(path: string, e: unknown): ExperimentFileError {
  const code = (e as { code?: string }).code;
  if (code === "ESYMLINK") return new ExperimentFileError(path, `${path} is a symbolic link; refusing to write through it`);
  if (code === "EEXIST") return new ExperimentFileError(path, `${path} exists; pass overwrite: true (--force) to replace it`);
  if (code === "EISDIR") return new ExperimentFileError(path, `${path} is a folder`);
  if (code === "ENOSYS") return new ExperimentFileError(path, `cannot write ${path}: this runtime has no file system; leave out unset and use the returned files`);
  return new ExperimentFileError(path, `cannot write ${path}: ${(e as Error)?.message ?? String(e)}`);
}

/** Check the outputs before any work: the folder exists (made here) and each file may be written. */
async function checkOutputs(dir: string, names: readonly string[], overwrite: boolean): Promise<void> {
  if (typeof dir !== "string" || dir === "") throw new ValueError("out must be a folder path");
  let kind: Awaited<ReturnType<typeof pathKind>>;
  try {
    kind = await pathKind(dir);
  } catch (e) {
    throw fileError(dir, e);
  }
  if (kind === "file" || kind === "other") throw new ExperimentFileError(dir, `${dir} is not a folder`);
  try {
    await makeDirectory(dir);
  } catch (e) {
    throw fileError(dir, e);
  }
  for (const name of names) {
    const p = joinPath(dir, name);
    const k = await pathKind(p).catch((e) => {
      throw fileError(p, e);
    });
    if (k === "symlink") throw new ExperimentFileError(p, `${p} is a symbolic link; refusing to write through it`);
    if (k === "directory") throw new ExperimentFileError(p, `${p} is a folder`);
    if (k !== "missing" && !overwrite) throw new ExperimentFileError(p, `${p} exists (an earlier run?); pass overwrite: true (--force) to replace it`);
  }
}

/**
 * Run an experiment: its seeds in parallel (one task per seed on the worker pool), then the
 * contrasts with Student's t and bootstrap 95 % intervals over seeds, the verdict
 * ("reproduced", "not reproduced", "inconclusive"), and the report. Resolves with every number
 * and every file's contents; with `out`, also writes the files there.
 *
 * ```ts
 * const run = await runExperiment("demo-bandit", { preset: "smoke", seeds: 5, out: "runs/demo" });
 * console.log(run.verdict, run.contrasts[0].t);
 * ```
 */
export async function runExperiment(experiment: string | Experiment<any>, options: ExperimentRunOptions = {}): Promise<ExperimentRun> {
  const t0 = now();
  const opts = checkOptions<ExperimentRunOptions>(options, "runExperiment", RUN_KEYS);
  const def = typeof experiment === "string" ? getExperiment(experiment) : experiment;
  experimentTable(def); // validates the definition
  const name = def.name;
  const preset = opts.preset ?? "smoke";
  if (!(PRESETS as readonly string[]).includes(preset)) throw new ValueError(`runExperiment: preset must be "smoke" or "full", got ${JSON.stringify(preset)}`);
  const { config, overridden } = applyOverrides(def.presets[preset], opts.overrides, `runExperiment(${name})`);
  const hash = configHash(name, config);
  if (def.check) def.check(config as never);
  const seeds = resolveSeeds(opts.seeds ?? def.defaultSeeds ?? 5);
  if (opts.pool !== undefined && opts.workers !== undefined) throw new ValueError("runExperiment: give pool or workers, not both");
  if (opts.workers !== undefined) integer(opts.workers, "workers", 0, 1024);
  if (opts.onProgress !== undefined && typeof opts.onProgress !== "function") throw new ValueError("runExperiment: onProgress must be a function");
  if (opts.signal !== undefined && !(opts.signal && typeof opts.signal.aborted === "boolean" && typeof opts.signal.addEventListener === "function")) throw new ValueError("runExperiment: signal must be an AbortSignal");

  // Plots and file names, checked before any work.
  const plots: PlotSpec[] = def.plots ? def.plots(config as never) : [];
  if (!Array.isArray(plots)) throw new ValueError(`${name}: plots() must return an array`);
  const names = [...FIXED_FILES];
  for (const p of plots) {
    if (!p || (p.kind !== "curves" && p.kind !== "custom")) throw new ValueError(`${name}: a plot must have kind "curves" or "custom"`);
    if (typeof p.file !== "string" || !PLOT_FILE.test(p.file)) throw new ValueError(`${name}: plot file ${JSON.stringify(p.file)} must be a plain name ending in .svg (letters, digits, ".", "-", "_")`);
    if (names.includes(p.file)) throw new ValueError(`${name}: two outputs are named ${p.file}`);
    if (p.kind === "custom" && typeof p.render !== "function") throw new ValueError(`${name}: plot ${p.file} needs a render function`);
    if (p.kind === "curves" && (!Array.isArray(p.series) || p.series.length === 0)) throw new ValueError(`${name}: plot ${p.file} needs a non-empty series list`);
    names.push(p.file);
  }
  const overwrite = !!opts.overwrite;
  if (opts.out !== undefined) await checkOutputs(opts.out, names, overwrite);
  if (opts.signal?.aborted) throw new TaskAbortedError(SEED_TASK, opts.signal.reason);

  await init();
  // Where the seeds run. The package's workers know the experiments of EXPERIMENTS only.
  const registered = Object.prototype.hasOwnProperty.call(EXPERIMENTS, name) && EXPERIMENTS[name] === def;
  let exec: Executor;
  let own: WorkerPool | null = null;
  let workers: number;
  if (!registered) {
    if (opts.pool !== undefined || (opts.workers ?? 0) > 0) {
      throw new ValueError(`runExperiment: ${name} is not in EXPERIMENTS, so the package's workers cannot run it; run it in this thread (workers: 0), or add it to the table in sdk/experiments/registry.ts`);
    }
    exec = new InlinePool({ [SEED_TASK]: seedTask(experimentTable(def)) });
    workers = 0;
  } else if (opts.pool !== undefined) {
    exec = opts.pool;
    workers = opts.pool.size;
  } else {
    workers = opts.workers ?? Math.min(seeds.length, await availableCores());
    if (opts.workers === undefined && workers <= 1) workers = 0;
    if (workers === 0) exec = new InlinePool(EXPERIMENT_TASKS);
    else exec = own = await WorkerPool.create({ size: workers });
  }

  // The seeds, all queued at once; the first failure cancels the others.
  const ac = new AbortController();
  const onAbort = () => ac.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const fractions = new Map<number, number>(seeds.map((s) => [s, 0]));
  let done = 0;
  const emit = (seed: number, event: ExperimentProgress["event"], fraction: number, note: string | null) => {
    if (!opts.onProgress) return;
    fractions.set(seed, fraction);
    let sum = 0;
    for (const f of fractions.values()) sum += f;
    try {
      opts.onProgress({ experiment: name, seed, event, fraction, note, overall: sum / seeds.length, seedsDone: done, seedsTotal: seeds.length, elapsedMs: now() - t0 });
    } catch {
      /* a listener's error must not break the run */
    }
  };
  let results: SeedResult[];
  try {
    const started = new Set<number>();
    const runs = seeds.map((seed) => {
      const input: SeedTaskInput = { experiment: name, preset, config: JSON.parse(JSON.stringify(config)), seed };
      return exec.run<SeedResult>(SEED_TASK, input, {
        signal: ac.signal,
        onProgress: (v) => {
          const p = v as SeedTaskProgress;
          const first = !started.has(seed);
          started.add(seed);
          emit(seed, first ? "start" : "progress", p.fraction, p.note);
        },
      }).then((r) => {
        done++;
        emit(seed, "done", 1, null);
        return r;
      }).catch((e: unknown) => {
        ac.abort(e);
        throw Object.assign(new Error("seed failed"), { seed, error: e });
      });
    });
    const settled = await Promise.allSettled(runs);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected" && !((s.reason as { error?: unknown }).error instanceof TaskAbortedError));
    const aborted = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) {
      const { seed, error } = failed.reason as { seed: number; error: unknown };
      throw new ExperimentError(name, seed, error instanceof TaskError ? error.cause : error);
    }
    if (aborted) throw (aborted.reason as { error: unknown }).error;
    results = settled.map((s) => (s as PromiseFulfilledResult<SeedResult>).value);
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    await own?.close();
  }

  // The contrasts, their intervals and verdicts.
  const declared = def.summarise(results, config as never);
  if (!Array.isArray(declared)) throw new ValueError(`${name}: summarise() must return an array of contrasts`);
  const contrasts: ContrastSummary[] = declared.map((c, k) => {
    const w = `${name}: contrast ${k}`;
    if (!c || typeof c !== "object") throw new ValueError(`${w} must be an object`);
    if (typeof c.name !== "string" || c.name === "") throw new ValueError(`${w}: name must be a non-empty string`);
    if (typeof c.definition !== "string" || c.definition === "") throw new ValueError(`${w} (${c.name}): definition must say what is compared`);
    if (!c.values || c.values.length !== seeds.length) throw new ValueError(`${w} (${c.name}): values must have one entry per seed (${seeds.length}), got ${c.values?.length}`);
    if (c.rule !== undefined && typeof c.rule !== "function") throw new ValueError(`${w} (${c.name}): rule must be a function`);
    const ev = contrastEvidence(c.values, c.expected, { seed: 0, stream: k });
    const d = (c.rule ?? standardAcceptance)(ev);
    if (!d || !["reproduced", "not reproduced", "inconclusive"].includes(d.verdict)) throw new ValueError(`${w} (${c.name}): its rule returned no verdict`);
    return {
      name: c.name, definition: c.definition, expected: c.expected, claim: c.claim ?? null, primary: c.primary !== false,
      seeds: [...seeds], values: [...ev.values], n: ev.n, mean: ev.mean, sd: ev.sd, t: ev.t, bootstrap: ev.bootstrap,
      agree: ev.agree, needed: ev.needed, verdict: d.verdict, reason: d.reason,
    };
  });
  if (new Set(contrasts.map((c) => c.name)).size !== contrasts.length) throw new ValueError(`${name}: two contrasts have the same name`);
  const primary = contrasts.filter((c) => c.primary);
  const verdict = combineVerdicts(primary.map((c) => c.verdict));
  const reason = primary.length === 0 ? "no primary contrast is declared"
    : primary.map((c) => `${c.name} ${c.verdict} (mean ${fmtShort(c.mean)}, 95 % t-interval ${c.t ? `[${fmtShort(c.t.lo)}, ${fmtShort(c.t.hi)}]` : "–"}, ${c.agree} of ${c.values.length} seeds ${c.expected === "positive" ? "> 0" : "< 0"})`).join("; ");

  // Everything rendered in memory before anything is written.
  const rendered: Record<string, string> = {};
  rendered["metrics.jsonl"] = metricsJsonl(name, results);
  for (const p of plots) {
    const svg = p.kind === "curves" ? renderCurves(p, results, seeds.length) : p.render(results, contrasts);
    if (typeof svg !== "string" || !svg.startsWith("<svg")) throw new ValueError(`${name}: plot ${p.file} must render an SVG document`);
    rendered[p.file] = svg;
  }
  const wallMs = now() - t0;
  const input: ReportInput = {
    experiment: name, title: def.title, description: def.description, references: def.references ?? [], preset, config, configHash: hash,
    overridden, seeds, workers, wallMs, results, contrasts, verdict, reason, plots, files: names,
    best: (m) => (def.best ? def.best(m) : null),
  };
  rendered["summary.json"] = renderSummary(input, EXPERIMENT_FORMAT);
  rendered["report.md"] = renderReport(input);
  const files: Record<string, string> = {};
  for (const f of names) files[f] = rendered[f]; // report.md, metrics.jsonl, summary.json, the plots

  const written: string[] = [];
  if (opts.out !== undefined) {
    if (opts.signal?.aborted) throw new TaskAbortedError(SEED_TASK, opts.signal.reason);
    // report.md last: its presence says the run's files are complete.
    for (const f of [...names.filter((n) => n !== "report.md"), "report.md"]) {
      const p = joinPath(opts.out, f);
      try {
        await writeFileAtomic(p, files[f], { overwrite });
      } catch (e) {
        throw fileError(p, e);
      }
      written.push(p);
    }
  }
  return {
    format: EXPERIMENT_FORMAT, experiment: name, title: def.title, preset, config, configHash: hash, seeds, workers, wallMs,
    tokenUpdates: results.reduce((s, r) => s + r.tokenUpdates, 0), results, contrasts, verdict, reason, files, written,
  };
}

function fmtShort(v: number): string {
  return Number.isFinite(v) ? String(+v.toPrecision(3)) : "–";
}
