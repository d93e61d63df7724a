// The experiment runner: Student-t quantiles against closed forms and a numerical integral,
// the t-interval against a hand computation, the seeded bootstrap against a re-implementation
// over the same generator stream, the acceptance rule on constructed inputs (every direction,
// an interval straddling 0, too few agreeing seeds, fewer seeds), the configuration hash
// (FNV-1a 64 test vectors, key order), overrides, the demo experiment (its direction, its fixed
// points, the same numbers with 0, 1 and 2 workers), every field of the report, the files
// (written atomically, checked before any work, nothing written when a seed, a plot or the
// caller fails), and `seqlearn experiment`.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, Rng, ValueError } from "../sdk/index.js";
import {
  runExperiment, defineExperiment, applyOverrides, resolveSeeds, EXPERIMENTS, ExperimentError, ExperimentFileError,
  studentQuantile, studentTwoSided, tInterval, bootstrapInterval, contrastEvidence, standardAcceptance, directionalAcceptance,
  seedsNeeded, combineVerdicts, canonicalJson, configHash, fnv1a64, banditFixedPoint, demoBandit,
  type ExperimentProgress, type ExperimentRun, type Direction, type CurveRow,
} from "../sdk/experiments/index.js";
import { TaskAbortedError } from "../sdk/parallel/errors.js";
import { runCli } from "../sdk/cli/app.js";
import { parseSettings } from "../sdk/cli/commands/experiment.js";

let dir: string;
beforeAll(async () => {
  await init();
  dir = mkdtempSync(join(tmpdir(), "seqlearn-experiments-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let nextDir = 0;
const fresh = () => join(dir, `run-${++nextDir}`);

// ---- statistics --------------------------------------------------------------------------------

/** P(|T_ν| ≤ t) by Simpson's rule on the density Γ((ν+1)/2)/(√(νπ)Γ(ν/2))·(1 + x²/ν)^(−(ν+1)/2). */
function tMassBySimpson(t: number, nu: number): number {
  // Γ((ν+1)/2)/Γ(ν/2) for integer ν by the recurrence Γ(x + 1) = xΓ(x), from Γ(1/2) = √π, Γ(1) = 1.
  let ratio = nu % 2 === 1 ? 1 / Math.sqrt(Math.PI) : Math.sqrt(Math.PI) / 2; // ν = 1: Γ(1)/Γ(½); ν = 2: Γ(3/2)/Γ(1)
  for (let k = nu % 2 === 1 ? 1 : 2; k < nu; k += 2) ratio *= (k + 1) / k; // ν → ν + 2 multiplies by ((ν+1)/2)/(ν/2)
  const c = ratio / Math.sqrt(nu * Math.PI);
  const f = (x: number) => c * Math.pow(1 + (x * x) / nu, -(nu + 1) / 2);
  const m = 4000;
  const h = t / m;
  let s = f(0) + f(t);
  for (let i = 1; i < m; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  return (2 * s * h) / 3;
}

describe("Student's t", () => {
  it("the two-sided mass P(|T| ≤ t) matches a numerical integral of the density (ν = 1 … 12, 29)", () => {
    for (const nu of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 29]) {
      for (const t of [0.3, 1, 2.2, 4.5]) expect(Math.abs(studentTwoSided(t, nu) - tMassBySimpson(t, nu)), `ν = ${nu}, t = ${t}`).toBeLessThan(1e-11);
    }
  });

  it("quantiles: the closed forms for ν = 1 (Cauchy: tan(0.475π)) and ν = 2 (t = L√2/√(1 − L²)), and tabulated values", () => {
    const rel = (a: number, b: number) => Math.abs(a - b) / b;
    expect(rel(studentQuantile(0.95, 1), Math.tan(0.475 * Math.PI))).toBeLessThan(1e-13);
    for (const L of [0.5, 0.9, 0.95, 0.99]) expect(rel(studentQuantile(L, 2), (L * Math.SQRT2) / Math.sqrt(1 - L * L))).toBeLessThan(1e-13);
    // t_{0.975, ν} as tabulated (SciPy's t.ppf(0.975, ν)).
    for (const [nu, t] of [[4, 2.7764451051977934], [9, 2.262157162798205], [29, 2.045229642132703]]) expect(rel(studentQuantile(0.95, nu), t), `ν = ${nu}`).toBeLessThan(1e-12);
    expect(studentQuantile(0.95, 200)).toBeGreaterThan(1.959964); // → the normal's 1.96 from above
    expect(studentQuantile(0.95, 200)).toBeLessThan(1.972);
  });

  it("the t-interval of [1, 2, 3, 4, 6] is the one computed by hand", () => {
    const ci = tInterval([1, 2, 3, 4, 6]);
    // mean 3.2; Σ(x − x̄)² = 4.84 + 1.44 + 0.04 + 0.64 + 7.84 = 14.8; s² = 14.8/4 = 3.7; se = √(3.7/5)
    const se = Math.sqrt(3.7 / 5);
    const half = 2.7764451051977934 * se; // SciPy's t.ppf(0.975, 4)
    expect(ci.df).toBe(4);
    expect(Math.abs(ci.se - se)).toBeLessThan(1e-15);
    expect(Math.abs(ci.lo - (3.2 - half))).toBeLessThan(1e-13);
    expect(Math.abs(ci.hi - (3.2 + half))).toBeLessThan(1e-13);
    expect(() => tInterval([1])).toThrow(ValueError);
    expect(() => tInterval([1, NaN])).toThrow(ValueError);
  });
});

describe("the seeded bootstrap", () => {
  it("is the percentile interval of means of resamples drawn as ⌊u·n⌋ from the named stream, in order", () => {
    const v = [0.3, -0.1, 0.7, 0.2, 0.45, 0.05, 0.9];
    const B = 400;
    const got = bootstrapInterval(v, { resamples: B, seed: 7, stream: 3 });
    const rng = new Rng(7, 3);
    const u = rng.uniform(B * v.length);
    rng.dispose();
    const means = Array.from({ length: B }, (_, b) => {
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[Math.floor(u[b * v.length + i] * v.length)];
      return s / v.length;
    }).sort((a, b) => a - b);
    const k = Math.round(B * 0.025); // 10
    expect([got.lo, got.hi]).toEqual([means[k], means[B - 1 - k]]);
    expect(got).toMatchObject({ level: 0.95, resamples: B, seed: 7, stream: 3 });
    // Deterministic for a stream, different for another one.
    expect(bootstrapInterval(v, { resamples: B, seed: 7, stream: 3 })).toEqual(got);
    expect(bootstrapInterval(v, { resamples: B, seed: 7, stream: 4 }).lo).not.toBe(got.lo);
  });

  it("agrees with the t-interval on a large normal sample, and never leaves the range of the values", () => {
    const rng = new Rng(11);
    const x = Array.from(rng.normal(400), (z) => 2 + z);
    rng.dispose();
    const t = tInterval(x), b = bootstrapInterval(x);
    expect(Math.abs(b.lo - t.lo)).toBeLessThan(0.03 * (t.hi - t.lo) + 0.02);
    expect(Math.abs(b.hi - t.hi)).toBeLessThan(0.03 * (t.hi - t.lo) + 0.02);
    const few = [1, 1.5, 4];
    const bf = bootstrapInterval(few);
    expect(bf.lo).toBeGreaterThanOrEqual(1);
    expect(bf.hi).toBeLessThanOrEqual(4);
  });
});

describe("the acceptance rule", () => {
  const decide = (values: number[], expected: Direction = "positive") => standardAcceptance(contrastEvidence(values, expected));

  it("needs ⌈4N/5⌉ seeds: 4 of 5, 8 of 10, 3 of 3, 1 of 1", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10, 20].map(seedsNeeded)).toEqual([1, 2, 3, 4, 4, 5, 6, 8, 16]);
  });

  it("reproduced in the expected direction, either sign; not reproduced the other way", () => {
    expect(decide([0.3, 0.25, 0.4, 0.31, 0.28]).verdict).toBe("reproduced");
    expect(decide([-0.3, -0.25, -0.4, -0.31, -0.28], "negative").verdict).toBe("reproduced");
    const wrong = decide([-0.3, -0.25, -0.4, -0.31, -0.28]);
    expect(wrong.verdict).toBe("not reproduced");
    expect(wrong.reason).toMatch(/other side of 0/);
    expect(decide([0.3, 0.25, 0.4, 0.31, 0.28], "negative").verdict).toBe("not reproduced");
    // 4 of 5 seeds agree (one tie), and the interval excludes 0: still reproduced.
    expect(decide([0.3, 0.25, 0, 0.31, 0.28]).verdict).toBe("reproduced");
  });

  it("inconclusive when the interval straddles 0, or when too few seeds agree although it excludes 0", () => {
    const straddle = decide([1, -1, 2, -2, 0.5]);
    expect(straddle.verdict).toBe("inconclusive");
    expect(straddle.reason).toMatch(/contains 0/);
    // 4 of 5 agree but one large opposite value widens the interval over 0.
    expect(decide([1, 1, 1, 1, -10]).verdict).toBe("inconclusive");
    // 7 of 10 agree (8 needed), the interval [3.5, 10.5] excludes 0.
    const e = contrastEvidence([10, 10, 10, 10, 10, 10, 10, 0, 0, 0], "positive");
    expect(e.t!.lo).toBeGreaterThan(0);
    const d = standardAcceptance(e);
    expect(d.verdict).toBe("inconclusive");
    expect(d.reason).toMatch(/7 of 10 seeds > 0 \(8 needed\), although/);
  });

  it("not reproduced when ⌈4N/5⌉ seeds disagree even if the interval straddles 0 (ties count against)", () => {
    const d = decide([-1, -1, 0, -1, 20]);
    expect(contrastEvidence([-1, -1, 0, -1, 20], "positive").t!.hi).toBeGreaterThan(0);
    expect(d.verdict).toBe("not reproduced");
  });

  it("fewer seeds: 1 is inconclusive; 2 of 2 consistent seeds can be reproduced; 2 of 3 cannot; NaN seeds do not count", () => {
    expect(decide([0.5]).verdict).toBe("inconclusive");
    expect(decide([1, 1.1]).verdict).toBe("reproduced");
    expect(decide([1, 1.1, -0.01]).verdict).toBe("inconclusive");
    const withNaN = contrastEvidence([1, 1.1, NaN, 1.2, 1.05], "positive");
    expect(withNaN).toMatchObject({ n: 4, agree: 4, needed: 4 });
    expect(standardAcceptance(withNaN).verdict).toBe("reproduced");
    expect(standardAcceptance(contrastEvidence([1, NaN, NaN, NaN, NaN], "positive")).verdict).toBe("inconclusive");
  });

  it("the directional rule accepts ties and a null effect, and rejects a consistent opposite sign", () => {
    expect(directionalAcceptance(contrastEvidence([0, 0, 0.1, 0, -0.01], "positive")).verdict).toBe("reproduced");
    expect(directionalAcceptance(contrastEvidence([-1, -1, -1, -1, 0], "positive")).verdict).toBe("not reproduced");
    expect(directionalAcceptance(contrastEvidence([0.2, -0.3, 0.1, -0.2, 0.3], "positive")).verdict).toBe("inconclusive");
  });

  it("an experiment is reproduced only when every primary contrast is", () => {
    expect(combineVerdicts(["reproduced", "reproduced"])).toBe("reproduced");
    expect(combineVerdicts(["reproduced", "inconclusive"])).toBe("inconclusive");
    expect(combineVerdicts(["inconclusive", "not reproduced", "reproduced"])).toBe("not reproduced");
    expect(combineVerdicts([])).toBe("inconclusive");
  });
});

// ---- configuration ------------------------------------------------------------------------------

describe("configuration: hash, overrides, seeds", () => {
  it("FNV-1a 64 test vectors; the hash is stable across key order and changes with any value", () => {
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c");
    expect(fnv1a64("foobar")).toBe("85944171f73967e8");
    const a = { lr: 0.1, model: { hidden: 32, kind: "mlp" }, betas: [0.1, 1] };
    const b = { betas: [0.1, 1], model: { kind: "mlp", hidden: 32 }, lr: 0.1 };
    expect(canonicalJson(a)).toBe('{"betas":[0.1,1],"lr":0.1,"model":{"hidden":32,"kind":"mlp"}}');
    expect(configHash("x", a)).toBe(configHash("x", b));
    expect(configHash("x", a)).not.toBe(configHash("y", a));
    expect(configHash("x", a)).not.toBe(configHash("x", { ...a, lr: 0.1000001 }));
    expect(configHash("x", a)).not.toBe(configHash("x", { ...a, betas: [1, 0.1] }));
    expect(canonicalJson({ z: -0, u: undefined })).toBe('{"z":0}');
    expect(() => canonicalJson({ a: NaN })).toThrow(/config\.a is NaN/);
    expect(() => canonicalJson({ a: new Float64Array(2) })).toThrow(ValueError);
  });

  it("overrides: nested merge, arrays replaced, unknown keys and wrong types are ValueErrors with the closest key", () => {
    const base = { steps: 100, betas: [0.1, 1], model: { hidden: 32, kind: "mlp" } };
    const { config, overridden } = applyOverrides(base, { steps: 5, betas: [2], model: { hidden: 8 } }, "t");
    expect(config).toEqual({ steps: 5, betas: [2], model: { hidden: 8, kind: "mlp" } });
    expect(overridden).toEqual(["steps", "betas", "model.hidden"]);
    expect(base.steps).toBe(100); // the preset is not modified
    expect(() => applyOverrides(base, { step: 5 }, "t")).toThrow(/unknown configuration key "step"; did you mean "steps"/);
    expect(() => applyOverrides(base, { model: { hiden: 5 } }, "t")).toThrow(/"model\.hiden"; did you mean "model\.hidden"/);
    expect(() => applyOverrides(base, { steps: "5" }, "t")).toThrow(/steps must be a number/);
    expect(() => applyOverrides(base, { betas: 0.5 }, "t")).toThrow(/betas must be an array/);
    expect(() => applyOverrides(base, { steps: NaN }, "t")).toThrow(ValueError);
  });

  it("seeds: N → 0 … N−1; lists must be distinct non-negative integers", () => {
    expect(resolveSeeds(3)).toEqual([0, 1, 2]);
    expect(resolveSeeds([7, 2])).toEqual([7, 2]);
    expect(() => resolveSeeds(0)).toThrow(ValueError);
    expect(() => resolveSeeds([1, 1])).toThrow(/distinct/);
    expect(() => resolveSeeds([-1])).toThrow(ValueError);
  });

  it("the CLI's --set: JSON values, lists with commas, dotted keys", () => {
    expect(parseSettings("steps=300,betas=[0.1,1],model.hidden=8,name=abc,flag=true", "--set")).toEqual({ steps: 300, betas: [0.1, 1], model: { hidden: 8 }, name: "abc", flag: true });
    expect(() => parseSettings("steps", "--set")).toThrow(/key=value/);
    expect(() => parseSettings("a=1,a=2", "--set")).toThrow(/set twice/);
  });
});

// ---- the demo experiment -------------------------------------------------------------------------

/** Everything of a run that must not depend on the workers: the timings left out. */
function numbers(r: ExperimentRun): unknown {
  const summary = JSON.parse(r.files["summary.json"]);
  delete summary.wallMs;
  delete summary.workers;
  for (const s of summary.seedResults) delete s.wallMs;
  return {
    summary,
    curves: r.results.map((x) => x.curves),
    scalars: r.results.map((x) => x.scalars),
    metrics: r.files["metrics.jsonl"],
    plots: Object.entries(r.files).filter(([k]) => k.endsWith(".svg")),
    report: r.files["report.md"].replace(/^\| wall-clock \|.*$/m, "").replace(/\| [0-9.]+ s \|$/gm, "|"),
  };
}

/** Every field of the reporting template (configuration hash, seeds, wall-clock, token-updates,
 *  the contrast with both intervals and the verdict, per-seed tables, final and best metrics,
 *  the curves' file, the configuration). */
function expectReportFields(md: string, r: ExperimentRun): void {
  expect(md).toMatch(new RegExp(`^# ${r.experiment}: `));
  expect(md).toContain(`**Verdict: ${r.verdict}**`);
  expect(md).toContain(`| configuration hash | \`${r.configHash}\``);
  expect(md).toContain(`| seeds | ${r.seeds.length}: ${r.seeds.join(", ")} |`);
  expect(md).toMatch(/\| wall-clock \| [0-9.]+ s in total on /);
  expect(md).toMatch(/\| token-updates \| [0-9,]+ in total, [0-9,]+ per seed \|/);
  expect(md).toContain("## Primary contrast");
  expect(md).toContain("| mean | sd | 95 % CI, Student t");
  expect(md).toContain("95 % CI, bootstrap");
  for (const c of r.contrasts) {
    expect(md).toContain(`### ${c.name}: ${c.verdict}`);
    expect(md).toContain(`**${c.verdict}**: ${c.reason}.`);
  }
  expect(md).toContain("## Per-seed results");
  expect(md).toMatch(/\| seed \|.*\| token-updates \| wall-clock \|/);
  for (const s of r.seeds) expect(md).toMatch(new RegExp(`^\\| ${s} \\|`, "m"));
  expect(md).toContain("## Final and best metrics");
  expect(md).toContain("## How the verdict is reached");
  expect(md).toContain("`metrics.jsonl`");
  expect(md).toContain("## Configuration");
  expect(md).toContain(JSON.stringify(JSON.parse(canonicalJson(r.config)), null, 2));
}

describe("demo-bandit", () => {
  let smoke: ExperimentRun;
  beforeAll(async () => {
    smoke = await runExperiment("demo-bandit", { workers: 0 });
  });

  it("is in the table; the closed-form fixed points", () => {
    expect(EXPERIMENTS["demo-bandit"]).toBe(demoBandit);
    expect(banditFixedPoint("ipo", 1, 0.5)).toBeCloseTo(1 / (1 + Math.exp(-1)), 12); // σ(1/(2τ))
    expect(banditFixedPoint("ipo", 0.5, 0.5)).toBe(0.5);
    expect(banditFixedPoint("dpo", 0.75, 1)).toBeCloseTo(0.75, 12); // σ(logit p̂) = p̂
    expect(banditFixedPoint("dpo", 1, 0.1)).toBe(1);
  });

  it("smoke preset: DPO ends farther from the reference than IPO on every seed; IPO lands on its fixed point", () => {
    expect(smoke.seeds).toEqual([0, 1, 2, 3, 4]);
    const [kl, fp] = smoke.contrasts;
    expect(kl).toMatchObject({ name: "kl_dpo_minus_ipo", primary: true, expected: "positive", verdict: "reproduced", agree: 5, needed: 4 });
    for (const v of kl.values) expect(v).toBeGreaterThan(0);
    expect(kl.t!.lo).toBeGreaterThan(0);
    expect(fp).toMatchObject({ name: "ipo_fixed_point_margin", primary: false, verdict: "reproduced" });
    for (const r of smoke.results) for (const beta of [0.25, 0.5, 1]) {
      expect(Math.abs(r.scalars[`ipo/beta=${beta}/final_p_y1`] - banditFixedPoint("ipo", r.scalars.p_hat, beta))).toBeLessThan(1e-3);
      expect(Math.abs(r.scalars[`dpo/beta=${beta}/final_p_y1`] - banditFixedPoint("dpo", r.scalars.p_hat, beta))).toBeLessThan(1e-3);
    }
    expect(smoke.verdict).toBe("reproduced");
    expect(smoke.tokenUpdates).toBe(5 * 6 * 150 * 16 * 2);
  });

  it("report.md has every field of the reporting template; metrics.jsonl holds every curve; the plots are SVG", () => {
    const md = smoke.files["report.md"];
    expectReportFields(md, smoke);
    expect(md).toContain("| ipo/beta=0.5/loss |"); // a "best" metric
    expect(md).toMatch(/\| ipo\/beta=0\.5\/loss \| [^|]+ \| [^|]+ \(min, step [0-9.]+\) \|/);
    const lines = smoke.files["metrics.jsonl"].trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines.length).toBe(smoke.results.reduce((s, r) => s + r.curves.length, 0));
    expect(Object.keys(lines[0]).slice(0, 3)).toEqual(["experiment", "seed", "step"]);
    expect(lines[0]).toMatchObject({ experiment: "demo-bandit", seed: 0, step: 0, "ipo/beta=0.5/p_y1": 0.5, "ipo/beta=0.5/kl": 0 });
    expect(new Set(lines.map((l) => l.seed))).toEqual(new Set([0, 1, 2, 3, 4]));
    for (const f of ["kl.svg", "fixed-points.svg", "kl-by-beta.svg"]) expect(smoke.files[f].startsWith("<svg")).toBe(true);
    expect(smoke.files["kl.svg"]).toContain("<polygon"); // the band over seeds
    const summary = JSON.parse(smoke.files["summary.json"]);
    expect(summary).toMatchObject({ format: "seqlearn.experiment/1", experiment: "demo-bandit", configHash: smoke.configHash, verdict: "reproduced" });
  });

  it("the same numbers with 0, 1 and 2 workers (only the timings differ)", async () => {
    const opts = { seeds: 3, overrides: { steps: 40, betas: [0.5, 1] } } as const;
    const runs = [];
    for (const workers of [0, 1, 2]) runs.push(await runExperiment("demo-bandit", { ...opts, workers }));
    expect(runs.map((r) => r.workers)).toEqual([0, 1, 2]);
    expect(numbers(runs[1])).toEqual(numbers(runs[0]));
    expect(numbers(runs[2])).toEqual(numbers(runs[0]));
    // and a seed's numbers do not depend on which other seeds run
    const alone = await runExperiment("demo-bandit", { ...opts, seeds: [2], workers: 0 });
    expect(alone.results[0].scalars).toEqual(runs[0].results[2].scalars);
    expect(alone.results[0].curves).toEqual(runs[0].results[2].curves);
  }, 30_000);

  it("checks the configuration before running", async () => {
    await expect(runExperiment("demo-bandit", { workers: 0, overrides: { primaryBeta: 0.3 } })).rejects.toThrow(/primaryBeta \(0\.3\) must be one of betas/);
    await expect(runExperiment("demo-bandit", { workers: 0, overrides: { beta: 0.3 } })).rejects.toThrow(/did you mean "betas"/);
    await expect(runExperiment("demo-bandt")).rejects.toThrow(/did you mean demo-bandit/);
    await expect(runExperiment("demo-bandit", { preset: "large" as never })).rejects.toThrow(ValueError);
    await expect(runExperiment("demo-bandit", { workrs: 1 } as never)).rejects.toThrow(/did you mean "workers"/);
  });
});

// ---- a constructed experiment: null results, files, failures -----------------------------------

let calls = 0;
function probeExperiment(o: { values?: number[]; failSeed?: number; badPlot?: boolean; slow?: boolean } = {}) {
  return defineExperiment<{ scale: number; nested: { a: number } }>({
    name: "probe-exp",
    title: "a constructed experiment",
    description: "Returns fixed per-seed values.",
    presets: { smoke: { scale: 1, nested: { a: 1 } }, full: { scale: 2, nested: { a: 2 } } },
    defaultSeeds: 5,
    async run(config, seed, ctx) {
      calls++;
      ctx.progress(0.5, "half");
      if (o.slow) await new Promise((r) => setTimeout(r, 30));
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (seed === o.failSeed) throw new ValueError("this seed fails");
      const curves: CurveRow[] = [{ step: 0, m: 0 }, { step: 1, m: seed * config.scale }, { step: 2, m: seed * config.scale + 1, other: NaN }];
      return {
        curves,
        scalars: { v: (o.values ?? [0.1, -0.2, 0.05, -0.1, 0.15])[seed] ?? 0 },
        tokenUpdates: 10,
      };
    },
    summarise: (rs) => [{ name: "effect", definition: "the value v of each seed", expected: "positive", values: rs.map((r) => r.scalars.v) }],
    plots: () => (o.badPlot
      ? [{ kind: "custom", file: "bad.svg", render: () => { throw new Error("the plot failed"); } }]
      : [{ kind: "curves", file: "m.svg", title: "m", series: [{ metric: "m" }], band: "range" }]),
    best: (m) => (m === "m" ? "max" : null),
  });
}

describe("runs of a constructed experiment", () => {
  it("a null result is reported in the same format (inconclusive), a negative one too (not reproduced)", async () => {
    const nul = await runExperiment(probeExperiment());
    expect(nul.verdict).toBe("inconclusive");
    expectReportFields(nul.files["report.md"], nul);
    const neg = await runExperiment(probeExperiment({ values: [-0.3, -0.2, -0.25, -0.4, -0.3] }));
    expect(neg.verdict).toBe("not reproduced");
    expectReportFields(neg.files["report.md"], neg);
    expect(neg.files["report.md"]).toContain("| m | 3 ± 1.581 | 3 ± 1.581 (max, step 2) |"); // seeds 0-4 end at m = 1 … 5
  });

  it("writes every file atomically into out (no temporary file left), report.md last", async () => {
    const out = fresh();
    const r = await runExperiment(probeExperiment(), { out, seeds: 3 });
    expect(readdirSync(out).sort()).toEqual(["m.svg", "metrics.jsonl", "report.md", "summary.json"]);
    expect(r.written).toEqual(["metrics.jsonl", "summary.json", "m.svg", "report.md"].map((f) => join(out, f)));
    for (const [f, text] of Object.entries(r.files)) expect(readFileSync(join(out, f), "utf8")).toBe(text);
  });

  it("an existing output stops the run before any seed runs (and is kept); overwrite replaces it; a symbolic link is refused", async () => {
    const out = fresh();
    mkdirSync(out);
    writeFileSync(join(out, "report.md"), "earlier");
    const before = calls;
    const e = await runExperiment(probeExperiment(), { out }).catch((x) => x);
    expect(e).toBeInstanceOf(ExperimentFileError);
    expect(e.message).toMatch(/report\.md exists .*overwrite: true/);
    expect(calls).toBe(before);
    expect(readFileSync(join(out, "report.md"), "utf8")).toBe("earlier");
    await runExperiment(probeExperiment(), { out, overwrite: true, seeds: 2 });
    expect(readFileSync(join(out, "report.md"), "utf8")).toMatch(/^# probe-exp/);
    const linked = fresh();
    mkdirSync(linked);
    writeFileSync(join(dir, "target.txt"), "keep");
    symlinkSync(join(dir, "target.txt"), join(linked, "metrics.jsonl"));
    await expect(runExperiment(probeExperiment(), { out: linked, overwrite: true })).rejects.toThrow(/symbolic link/);
    expect(readFileSync(join(dir, "target.txt"), "utf8")).toBe("keep");
    expect(lstatSync(join(linked, "metrics.jsonl")).isSymbolicLink()).toBe(true);
    writeFileSync(join(dir, "a-file"), "x");
    await expect(runExperiment(probeExperiment(), { out: join(dir, "a-file") })).rejects.toThrow(/not a folder/);
  });

  it("nothing is written when a seed fails (ExperimentError names it), when a plot fails, or when the caller aborts", async () => {
    const out = fresh();
    const e = await runExperiment(probeExperiment({ failSeed: 3 }), { out }).catch((x) => x);
    expect(e).toBeInstanceOf(ExperimentError);
    expect(e).toMatchObject({ experiment: "probe-exp", seed: 3 });
    expect(e.message).toMatch(/seed 3 failed: ValueError: this seed fails/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    await expect(runExperiment(probeExperiment({ badPlot: true }), { out })).rejects.toThrow(/the plot failed/);
    expect(readdirSync(out)).toEqual([]);
    const ac = new AbortController();
    const p = runExperiment(probeExperiment({ slow: true }), { out, signal: ac.signal, onProgress: (ev) => ev.seedsDone === 1 && ac.abort(new Error("stop")) });
    await expect(p).rejects.toBeInstanceOf(TaskAbortedError);
    expect(readdirSync(out)).toEqual([]);
  });

  it("progress: a start and a done event per seed, overall reaching 1; an unlisted experiment runs in this thread only", async () => {
    const events: ExperimentProgress[] = [];
    const r = await runExperiment(probeExperiment(), { seeds: 3, onProgress: (e) => events.push(e) });
    expect(r.workers).toBe(0);
    for (const s of [0, 1, 2]) {
      expect(events.filter((e) => e.seed === s).map((e) => e.event)).toEqual(["start", "progress", "done"]);
    }
    expect(events.find((e) => e.event === "progress")!.note).toBe("half");
    expect(events[events.length - 1]).toMatchObject({ seedsDone: 3, seedsTotal: 3, overall: 1 });
    await expect(runExperiment(probeExperiment(), { workers: 2 })).rejects.toThrow(/not in EXPERIMENTS/);
  });

  it("rejects malformed experiments and outputs with typed errors", async () => {
    expect(() => defineExperiment({ ...probeExperiment(), name: "Bad Name" })).toThrow(/lower-case/);
    expect(() => defineExperiment({ ...probeExperiment(), presets: { smoke: { scale: 1, nested: { a: 1 } } } as never })).toThrow(/presets\.full/);
    const bad = { ...probeExperiment(), run: async () => ({ curves: [{ m: 1 }], scalars: {}, tokenUpdates: 0 }) } as never;
    await expect(runExperiment(bad)).rejects.toThrow(/curves\[0\]\.step must be a finite number/);
    const wrongLength = { ...probeExperiment(), summarise: () => [{ name: "x", definition: "d", expected: "positive", values: [1] }] } as never;
    await expect(runExperiment(wrongLength, { seeds: 2 })).rejects.toThrow(/one entry per seed \(2\)/);
  });
});

// ---- the command line ------------------------------------------------------------------------------

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("seqlearn experiment", () => {
  it("runs the demo: summary on stdout, progress on stderr, the files in --out; --force to run again", async () => {
    const out = fresh();
    const args = ["experiment", "demo-bandit", "--seeds", "3", "--workers", "0", "--set", "steps=30,betas=[0.5]", "--out", out];
    const r = await cli(args);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^demo-bandit \(preset smoke, 3 seeds, configuration [0-9a-f]{16}\): (reproduced|inconclusive|not reproduced)\n  kl_dpo_minus_ipo: mean [0-9.e-]+, 95 % t-interval \[/);
    expect(r.out).toContain(`files written to ${out}: report.md, metrics.jsonl, summary.json, kl.svg, fixed-points.svg, kl-by-beta.svg`);
    expect(r.err).toMatch(/demo-bandit \[smoke\]: 3\/3 seeds done, 100 %/);
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain("overridden: `steps`, `betas`");
    const again = await cli(args);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/ExperimentFileError: .*exists/);
    expect((await cli([...args, "--force", "--quiet"])).code).toBe(0);
  });

  it("--json prints the summary and nothing else; without --out the report is printed", async () => {
    const j = await cli(["experiment", "demo-bandit", "--seeds", "2", "--workers", "0", "--set", "steps=20,betas=[0.5]", "--json", "--quiet"]);
    expect(j.code).toBe(0);
    const s = JSON.parse(j.out);
    expect(s).toMatchObject({ format: "seqlearn.experiment/1", experiment: "demo-bandit", preset: "smoke", seeds: [0, 1], written: [] });
    expect(s.contrasts[0].name).toBe("kl_dpo_minus_ipo");
    expect(j.err).toBe("");
    const md = await cli(["experiment", "demo-bandit", "--seeds", "2", "--workers", "0", "--set", "steps=20,betas=[0.5]", "--quiet"]);
    expect(md.out).toMatch(/^# demo-bandit: IPO vs DPO/);
    expect(md.out).toContain("## Per-seed results");
  });

  it("--list; usage mistakes exit 2 with a suggestion", async () => {
    const l = await cli(["experiment", "--list"]);
    expect(l.code).toBe(0);
    expect(l.out).toMatch(/^demo-bandit\s+IPO vs DPO/m);
    const lj = await cli(["experiment", "--list", "--json"]);
    expect(JSON.parse(lj.out).map((e: { name: string }) => e.name)).toEqual(Object.keys(EXPERIMENTS).sort());
    const typo = await cli(["experiment", "demo-bandt"]);
    expect(typo.code).toBe(2);
    expect(typo.err).toMatch(/unknown experiment "demo-bandt" \(did you mean demo-bandit\?\)/);
    expect((await cli(["experiment"])).code).toBe(2);
    expect((await cli(["experiment", "demo-bandit", "--force"])).err).toMatch(/--force applies to the files of --out/);
    expect((await cli(["experiment", "demo-bandit", "--preset", "fast"])).err).toMatch(/--preset must be smoke or full/);
    const bad = await cli(["experiment", "demo-bandit", "--workers", "0", "--set", "stepz=3"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/did you mean "steps"/);
  });
});
