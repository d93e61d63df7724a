// The experiments' task: one seed of one experiment, by name. The runner sends a worker the
// experiment's name, the configuration and the seed; the worker looks the experiment up in the
// table this task was built over (the package's EXPERIMENTS for the package's workers), runs
// it, checks what it returned and sends back the seed's result. The run depends on nothing
// else, so a seed gives the same numbers on any worker, in any runtime, in any order.
import { ValueError } from "../core/errors.js";
import type { TaskFn, TaskTable } from "../parallel/task-table.js";
import { PRESETS, type ExperimentTable, type Preset, type SeedResult, type CurveRow } from "./experiment.js";
import { EXPERIMENTS } from "./registry.js";

/** The name of the per-seed task. */
export const SEED_TASK = "seqlearn.experiments.seed";

/** The input of the per-seed task. */
export interface SeedTaskInput {
  /** The experiment's name (a key of the table the task serves). */
  experiment: string;
  /** The preset. */
  preset: Preset;
  /** The configuration (JSON). */
  config: object;
  /** The seed. */
  seed: number;
}

/** What the per-seed task reports through ctx.progress. */
export interface SeedTaskProgress {
  /** The seed. */
  seed: number;
  /** Share of the seed's work done, in [0, 1]. */
  fraction: number;
  /** The run's note, if any. */
  note: string | null;
}

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** Check and copy what a run returned (a typo in an experiment shows here, naming the seed). */
function checkOutput(out: unknown, where: string): Omit<SeedResult, "seed" | "wallMs"> {
  if (!out || typeof out !== "object") throw new ValueError(`${where}: run() must return { curves, scalars, tokenUpdates }, got ${out === null ? "null" : typeof out}`);
  const o = out as Record<string, unknown>;
  if (!Array.isArray(o.curves)) throw new ValueError(`${where}: curves must be an array of rows { step, ...metrics }`);
  const curves: CurveRow[] = o.curves.map((row, i) => {
    if (!row || typeof row !== "object") throw new ValueError(`${where}: curves[${i}] must be an object { step, ...metrics }`);
    const r = row as Record<string, unknown>;
    if (typeof r.step !== "number" || !Number.isFinite(r.step)) throw new ValueError(`${where}: curves[${i}].step must be a finite number, got ${String(r.step)}`);
    const copy: Record<string, number> = { step: r.step };
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== "number") throw new ValueError(`${where}: curves[${i}].${k} must be a number, got ${typeof v}`);
      copy[k] = v;
    }
    return copy as CurveRow;
  });
  if (!o.scalars || typeof o.scalars !== "object" || Array.isArray(o.scalars)) throw new ValueError(`${where}: scalars must be an object of numbers`);
  const scalars: Record<string, number> = {};
  for (const [k, v] of Object.entries(o.scalars as Record<string, unknown>)) {
    if (typeof v !== "number") throw new ValueError(`${where}: scalars.${k} must be a number, got ${typeof v}`);
    scalars[k] = v;
  }
  const tu = o.tokenUpdates;
  if (typeof tu !== "number" || !Number.isFinite(tu) || tu < 0) throw new ValueError(`${where}: tokenUpdates must be a finite number ≥ 0, got ${String(tu)}`);
  return { curves, scalars, tokenUpdates: tu };
}

/** The per-seed task over a table of experiments. */
export function seedTask(table: ExperimentTable): TaskFn<SeedTaskInput, SeedResult> {
  return async (input, ctx) => {
    const { experiment, preset, config, seed } = input ?? ({} as SeedTaskInput);
    const def = typeof experiment === "string" && Object.prototype.hasOwnProperty.call(table, experiment) ? table[experiment] : undefined;
    if (!def) throw new ValueError(`${SEED_TASK}: no experiment named ${JSON.stringify(experiment)} in this worker's table (known: ${Object.keys(table).sort().join(", ") || "none"})`);
    if (!(PRESETS as readonly string[]).includes(preset)) throw new ValueError(`${SEED_TASK}: preset must be smoke or full, got ${JSON.stringify(preset)}`);
    const where = `${experiment}, seed ${seed}`;
    const report = (fraction: number, note?: string) => {
      const f = typeof fraction === "number" && fraction >= 0 ? Math.min(1, fraction) : 0;
      ctx.progress({ seed, fraction: f, note: typeof note === "string" ? note : null } satisfies SeedTaskProgress);
    };
    report(0);
    const t0 = now();
    const out = await def.run(config, seed, { preset, signal: ctx.signal, progress: report });
    const checked = checkOutput(out, where);
    return { seed, wallMs: now() - t0, ...checked };
  };
}

/** The experiments' tasks for the package's table (sdk/tasks.ts): one seed of any experiment
 *  of EXPERIMENTS. */
export const EXPERIMENT_TASKS: TaskTable = { [SEED_TASK]: seedTask(EXPERIMENTS) };
