// What a run of an experiment writes, rendered in memory: report.md (the reporting template:
// configuration hash, seeds, wall-clock, token-updates, the contrasts with both intervals and
// their verdicts, per-seed tables, final and best metrics, the configuration), metrics.jsonl
// (every curve), summary.json (the same facts for programs) and the declared plots.
import { ValueError } from "../core/errors.js";
import { linePlot } from "../io/svg.js";
import { version } from "../version.js";
import { mean, sampleSd, studentQuantile } from "./stats.js";
import type { ContrastSummary, CurvesPlot, PlotSpec, Preset, SeedResult } from "./experiment.js";
import type { Verdict } from "./stats.js";

// ---- canonical JSON and the configuration hash -------------------------------------------------

function plain(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** The canonical JSON text of a value: object keys sorted (by UTF-16 code units), no spaces,
 *  numbers in ECMAScript's shortest round-trip form (−0 as 0), properties holding `undefined`
 *  left out. Anything JSON cannot hold exactly (NaN, ±Infinity, functions, typed arrays, class
 *  instances) is a ValueError naming its path. */
export function canonicalJson(value: unknown, path = "config"): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "number":
      if (!Number.isFinite(value)) throw new ValueError(`${path} is ${value}, which JSON cannot hold`);
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(",")}]`;
      if (!plain(value)) throw new ValueError(`${path} is a ${(value as object).constructor?.name ?? "non-plain object"}; a configuration holds JSON values only (plain objects, arrays, numbers, strings, booleans, null)`);
      const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], `${path}.${k}`)}`).join(",")}}`;
    }
    default:
      throw new ValueError(`${path} is ${typeof value === "undefined" ? "undefined" : `a ${typeof value}`}, which JSON cannot hold`);
  }
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** FNV-1a, 64-bit (Fowler, Noll & Vo), of the UTF-8 bytes of `text`, as 16 hex digits. */
export function fnv1a64(text: string): string {
  let h = FNV_OFFSET;
  for (const b of new TextEncoder().encode(text)) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  return h.toString(16).padStart(16, "0");
}

/** The configuration hash of the reports: FNV-1a 64 of canonicalJson({ experiment, config }).
 *  Key order, spacing and the preset's name do not enter it; every value does. */
export function configHash(experiment: string, config: object): string {
  return fnv1a64(canonicalJson({ experiment, config }));
}

// ---- numbers for people --------------------------------------------------------------------------

/** 4 significant digits ("–" for NaN); exact and identical in every runtime (toPrecision). */
export function num(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "–" : v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(3).replace(/\.?0+e/, "e");
  return String(+v.toPrecision(4));
}

/** An integer with thin groups of three digits: 1,234,567. */
export function count(n: number): string {
  const s = String(Math.round(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Seconds with one decimal below a minute, else minutes and seconds. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
function table(head: string[], rows: string[][], right: boolean[] = head.map((_, i) => i > 0)): string {
  const line = (r: string[]) => `| ${r.map(cell).join(" | ")} |`;
  return [line(head), `|${right.map((x) => (x ? "---:" : "---")).join("|")}|`, ...rows.map(line)].join("\n");
}

// ---- metrics.jsonl --------------------------------------------------------------------------------

/** The curves as JSON lines: one object per logged row, `{ experiment, seed, step, …metrics }`,
 *  seeds in order, rows in the order the run logged them (NaN as null). */
export function metricsJsonl(experiment: string, results: readonly SeedResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    for (const row of r.curves) {
      const { step, ...rest } = row;
      out.push(JSON.stringify({ experiment, seed: r.seed, step, ...rest }));
    }
  }
  return out.length ? out.join("\n") + "\n" : "";
}

// ---- curves averaged over seeds -------------------------------------------------------------------

/** The mean of `metric` over seeds at every step some seed logged it, with the band of a
 *  CurvesPlot ("t": Student's 95 % interval of the mean, where at least 2 seeds logged it;
 *  "range": min and max). */
export function averageCurve(results: readonly SeedResult[], metric: string, band: "t" | "range" | "none" = "t"): { step: number[]; mean: number[]; lower: number[]; upper: number[]; seeds: number[] } {
  const bySeed = new Map<number, number[]>();
  for (const r of results) {
    for (const row of r.curves) {
      const v = row[metric];
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      let list = bySeed.get(row.step);
      if (!list) bySeed.set(row.step, (list = []));
      list.push(v);
    }
  }
  const steps = [...bySeed.keys()].sort((a, b) => a - b);
  const tq = new Map<number, number>();
  const out = { step: steps, mean: [] as number[], lower: [] as number[], upper: [] as number[], seeds: [] as number[] };
  for (const s of steps) {
    const v = bySeed.get(s)!;
    const m = mean(v);
    out.mean.push(m);
    out.seeds.push(v.length);
    if (band === "range") {
      out.lower.push(Math.min(...v));
      out.upper.push(Math.max(...v));
    } else if (band === "t" && v.length >= 2) {
      let t = tq.get(v.length);
      if (t === undefined) tq.set(v.length, (t = studentQuantile(0.95, v.length - 1)));
      const h = (t * sampleSd(v)) / Math.sqrt(v.length);
      out.lower.push(m - h);
      out.upper.push(m + h);
    } else {
      out.lower.push(NaN);
      out.upper.push(NaN);
    }
  }
  return out;
}

/** Render a CurvesPlot. @internal */
export function renderCurves(p: CurvesPlot, results: readonly SeedResult[], seedCount: number): string {
  const band = p.band ?? "t";
  const series = p.series.map((s) => {
    const c = averageCurve(results, s.metric, band);
    if (c.step.length === 0) throw new ValueError(`plot ${p.file}: no seed logged the metric ${JSON.stringify(s.metric)}`);
    return {
      name: s.label ?? s.metric, x: c.step, y: c.mean, dashed: s.dashed, markers: c.step.length <= 40,
      ...(band === "none" ? {} : { band: { lower: c.lower, upper: c.upper } }),
    };
  });
  const what = `mean of ${seedCount} seed${seedCount === 1 ? "" : "s"}${band === "t" ? ", 95 % t-interval shaded" : band === "range" ? ", min to max shaded" : ""}`;
  return linePlot({ title: p.title, xLabel: `${p.xLabel ?? "step"} (${what})`, yLabel: p.yLabel, logX: p.logX, logY: p.logY, series });
}

// ---- report.md -------------------------------------------------------------------------------------

/** Everything report.md is made of. */
export interface ReportInput {
  /** The experiment's name. */
  experiment: string;
  /** Its title. */
  title: string;
  /** Its description. */
  description: string;
  /** Its references. */
  references: readonly string[];
  /** The preset run. */
  preset: Preset;
  /** The configuration (after overrides). */
  config: object;
  /** Its hash. */
  configHash: string;
  /** Keys the caller overrode (dotted paths). */
  overridden: readonly string[];
  /** The seeds. */
  seeds: readonly number[];
  /** Workers that ran them (0: this thread). */
  workers: number;
  /** Total wall-clock, ms. */
  wallMs: number;
  /** Per-seed results, in seed order. */
  results: readonly SeedResult[];
  /** The contrasts with their evidence. */
  contrasts: readonly ContrastSummary[];
  /** The experiment's verdict. */
  verdict: Verdict;
  /** Its reason. */
  reason: string;
  /** The plots written. */
  plots: readonly PlotSpec[];
  /** The file names, for the Files section. */
  files: readonly string[];
  /** The metric directions for the "best" column. */
  best: (metric: string) => "max" | "min" | null;
}

function contrastSection(c: ContrastSummary): string {
  const side = c.expected === "positive" ? "> 0" : "< 0";
  const lines = [`### ${c.name}: ${c.verdict}`, "", c.definition, ""];
  if (c.claim) lines.push(`Expected ${side}. ${c.claim}`, "");
  else lines.push(`Expected ${side}.`, "");
  const tci = c.t ? `[${num(c.t.lo)}, ${num(c.t.hi)}]` : "– (needs 2 seeds)";
  const bci = c.bootstrap ? `[${num(c.bootstrap.lo)}, ${num(c.bootstrap.hi)}]` : "–";
  lines.push(table(
    ["mean", "sd", `95 % CI, Student t${c.t ? ` (${c.t.df} df)` : ""}`, "95 % CI, bootstrap", `seeds ${side}`],
    [[num(c.mean), num(c.sd), tci, bci, `${c.agree} of ${c.values.length} (${c.needed} needed)`]],
    [true, true, true, true, true],
  ));
  lines.push("", `**${c.verdict}**: ${c.reason}.`);
  return lines.join("\n");
}

/** Render report.md. */
export function renderReport(r: ReportInput): string {
  const n = r.seeds.length;
  const tokens = r.results.reduce((s, x) => s + x.tokenUpdates, 0);
  const primary = r.contrasts.filter((c) => c.primary);
  const secondary = r.contrasts.filter((c) => !c.primary);
  const seedMs = r.results.map((x) => x.wallMs);
  const L: string[] = [];
  L.push(`# ${r.experiment}: ${r.title}`, "");
  L.push(`**Verdict: ${r.verdict}** — ${r.reason}`, "");
  L.push(r.description, "");
  if (r.references.length) L.push(...r.references.map((x) => `- ${x}`), "");
  L.push(table(["", ""], [
    ["experiment", `\`${r.experiment}\`, preset \`${r.preset}\`${r.overridden.length ? `, overridden: ${r.overridden.map((k) => `\`${k}\``).join(", ")}` : ""}`],
    ["configuration hash", `\`${r.configHash}\` (FNV-1a 64 of the canonical JSON of the experiment's name and the configuration below)`],
    ["seeds", `${n}: ${r.seeds.join(", ")}`],
    ["wall-clock", `${duration(r.wallMs)} in total on ${r.workers === 0 ? "this thread" : `${r.workers} worker${r.workers === 1 ? "" : "s"}`}; per seed ${seedMs.length ? `${duration(Math.min(...seedMs))} to ${duration(Math.max(...seedMs))}` : "–"}`],
    ["token-updates", `${count(tokens)} in total, ${count(n ? tokens / n : 0)} per seed`],
    ["verdict", `${r.verdict} (${primary.length} primary contrast${primary.length === 1 ? "" : "s"})`],
    ["seqlearn", version],
  ], [false, false]), "");

  L.push(`## Primary contrast${primary.length === 1 ? "" : "s"}`, "");
  if (primary.length === 0) L.push("None declared: the experiment makes no claim, so its verdict is inconclusive.", "");
  for (const c of primary) L.push(contrastSection(c), "");
  if (secondary.length) {
    L.push("## Secondary contrasts", "", "Reported with the same rule; they do not enter the verdict.", "");
    for (const c of secondary) L.push(contrastSection(c), "");
  }

  L.push("## Per-seed results", "");
  L.push(table(
    ["seed", ...r.contrasts.map((c) => c.name), "token-updates", "wall-clock"],
    r.results.map((x, i) => [String(x.seed), ...r.contrasts.map((c) => num(c.values[i])), count(x.tokenUpdates), duration(x.wallMs)]),
  ), "");

  const scalarNames: string[] = [];
  for (const x of r.results) for (const k of Object.keys(x.scalars)) if (!scalarNames.includes(k)) scalarNames.push(k);
  if (scalarNames.length) {
    L.push("### Per-seed scalars", "");
    L.push(table(
      ["scalar", ...r.results.map((x) => `seed ${x.seed}`), "mean"],
      scalarNames.map((k) => {
        const v = r.results.map((x) => (typeof x.scalars[k] === "number" ? x.scalars[k] : NaN));
        const f = v.filter((y) => Number.isFinite(y));
        return [k, ...v.map(num), num(f.length ? mean(f) : NaN)];
      }),
    ), "");
  }

  // Final and best value of every curve metric, mean ± sd over seeds.
  const metricNames: string[] = [];
  for (const x of r.results) for (const row of x.curves) for (const k of Object.keys(row)) if (k !== "step" && !metricNames.includes(k)) metricNames.push(k);
  if (metricNames.length) {
    L.push("## Final and best metrics", "", `Mean ± sd over the seeds of each curve's last logged value, and of its best value where higher or lower is better (with the direction, and the step of the best averaged over seeds).`, "");
    const pm = (v: number[]) => (v.length ? `${num(mean(v))} ± ${num(sampleSd(v))}` : "–");
    L.push(table(["metric", "final", "best"], metricNames.map((k) => {
      const finals: number[] = [];
      const bests: number[] = [];
      const bestSteps: number[] = [];
      const dir = r.best(k);
      for (const x of r.results) {
        let last = NaN, best = NaN, bestStep = NaN;
        for (const row of x.curves) {
          const v = row[k];
          if (typeof v !== "number" || !Number.isFinite(v)) continue;
          last = v;
          if (dir && (Number.isNaN(best) || (dir === "max" ? v > best : v < best))) {
            best = v;
            bestStep = row.step;
          }
        }
        if (Number.isFinite(last)) finals.push(last);
        if (Number.isFinite(best)) {
          bests.push(best);
          bestSteps.push(bestStep);
        }
      }
      return [k, pm(finals), dir ? `${pm(bests)} (${dir}, step ${num(bestSteps.length ? mean(bestSteps) : NaN)})` : "–"];
    })), "");
  }

  L.push("## How the verdict is reached", "");
  L.push(
    "- Each contrast is one number per seed. Its mean gets two 95 % confidence intervals: Student's t-interval (mean ± t·s/√n, n − 1 degrees of freedom), which the verdict uses, and a percentile bootstrap (10,000 resamples of the seeds by the engine's seeded generator, seed 0, one stream per contrast), shown for comparison: with few seeds the bootstrap cannot reach past the extreme seeds and is too narrow.",
    "- **Reproduced**: at least ⌈4N/5⌉ of the N seeds (4 of 5) have the expected sign and the t-interval excludes 0 on that side. **Not reproduced**: the t-interval lies on the other side of 0, or at least ⌈4N/5⌉ seeds do not have the expected sign. Otherwise **inconclusive**. A contrast may state its own rule (its reason says so).",
    "- The experiment is reproduced when every primary contrast is, not reproduced when one is not, and inconclusive otherwise.",
    "- Negative and null results are reported in this same format; nothing is tuned after the fact.",
  );
  if (n < 5) L.push(`- Only ${n} seed${n === 1 ? "" : "s"} here: the designs these experiments follow ask for at least 5.`);
  L.push("");

  L.push("## Files", "");
  for (const f of r.files) {
    const p = r.plots.find((x) => x.file === f);
    const what = f === "report.md" ? "this report"
      : f === "metrics.jsonl" ? "every curve: one JSON object per logged row, with `experiment`, `seed`, `step` and the metrics by name"
      : f === "summary.json" ? "the configuration, per-seed scalars, contrasts and verdict, for programs"
      : p ? `plot${p.kind === "curves" && p.title ? `: ${p.title}` : ""}` : "";
    L.push(`- \`${f}\`${what ? ` — ${what}` : ""}`);
  }
  L.push("");
  L.push("## Configuration", "", "```json", JSON.stringify(JSON.parse(canonicalJson(r.config)), null, 2), "```", "");
  return L.join("\n");
}

/** summary.json: the run's facts for programs (non-finite numbers as null). */
export function renderSummary(r: ReportInput, format: string): string {
  return JSON.stringify({
    format,
    experiment: r.experiment,
    title: r.title,
    preset: r.preset,
    configHash: r.configHash,
    config: r.config,
    overridden: r.overridden,
    seeds: r.seeds,
    workers: r.workers,
    wallMs: r.wallMs,
    tokenUpdates: r.results.reduce((s, x) => s + x.tokenUpdates, 0),
    verdict: r.verdict,
    reason: r.reason,
    contrasts: r.contrasts,
    seedResults: r.results.map((x) => ({ seed: x.seed, wallMs: x.wallMs, tokenUpdates: x.tokenUpdates, scalars: x.scalars })),
    files: r.files,
    seqlearn: version,
  }, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1) + "\n";
}
