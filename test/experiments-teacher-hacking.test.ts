// teacher-hacking: the oracle-free detection routine on synthetic curves with known breaks (a
// jump, a plateau) and on a clean power law (no flag); the chain-rule sequence KL against the
// two-step example (vocab {a, b}, P(a) = 0.6, P(a|a) = 0.7, P(a|b) = 0.4, Q uniform) and against full enumeration on small random models; and the smoke
// preset through the runner (its structure, the report's fields, determinism). The smoke scale
// shows no teacher hacking (see docs/experiments/teacher-hacking.md), so no direction is asserted.
import { describe, it, expect, beforeAll } from "vitest";
import { init } from "../sdk/index.js";
import { LanguageModel } from "../sdk/align/model.js";
import { sequenceKl } from "../sdk/align/metrics.js";
import { tokenDivergence } from "../sdk/align/losses.js";
import { runExperiment, EXPERIMENTS, teacherHacking, detectDeparture, type ExperimentRun } from "../sdk/experiments/index.js";

beforeAll(async () => {
  await init();
});

describe("detectDeparture (the oracle-free rule)", () => {
  const epochs = Array.from({ length: 40 }, (_, i) => i + 1);
  it("flags a jump above the power law at the epoch of the jump (the excess rule)", () => {
    const y = epochs.map((t) => Math.pow(t, -0.8) * (t >= 25 ? Math.exp(0.1) : 1));
    const d = detectDeparture(y, epochs, { fitFrom: 2, fitTo: 10, delta: 0.05, run: 3, slopeFactor: 0.5 });
    expect(d.alpha).toBeCloseTo(0.8, 10);
    expect(d).toMatchObject({ epoch: 25, rule: "excess" });
  });
  it("flags a plateau at its first epoch (the slope rule), before the excess rule sees it", () => {
    const y = epochs.map((t) => Math.pow(Math.min(t, 20), -0.8));
    expect(detectDeparture(y, epochs)).toMatchObject({ epoch: 21, rule: "slope" });
    expect(detectDeparture(y, epochs, { slopeFactor: 0 })).toMatchObject({ epoch: 22, rule: "excess" }); // 0.8·log(t/20) > 0.05 from t = 22
  });
  it("does not flag a clean power law with small wiggles, nor one that turns down", () => {
    const wiggle = epochs.map((t) => Math.pow(t, -0.6) * Math.exp(0.01 * Math.sin(3 * t)));
    expect(detectDeparture(wiggle, epochs).epoch).toBeNull();
    const faster = epochs.map((t) => Math.pow(t, t > 15 ? -1.2 : -0.6) * (t > 15 ? Math.pow(15, 0.6) : 1));
    expect(detectDeparture(faster, epochs).epoch).toBeNull();
    expect(() => detectDeparture([1, 2], [1])).toThrow(/2 values but 1 epochs/);
  });
});

describe("sequenceKl (the chain-rule estimator)", () => {
  it("the two-step example: KL_seq = 0.0775594461, first step 0.0201355136", () => {
    // P(a) = 0.6; P(a|a) = 0.7; P(a|b) = 0.4; Q uniform. Rows: step 1, step 2 after a, after b.
    const P = Float64Array.from([0.6, 0.4, 0.7, 0.3, 0.4, 0.6].map(Math.log));
    const Q = new Float64Array(6);
    const r = tokenDivergence("fkl", Q, P, { vocab: 2, reduction: "sum" }).perToken;
    expect(r[0]).toBeCloseTo(0.0201355136, 9);
    expect(r[0] + 0.6 * r[1] + 0.4 * r[2]).toBeCloseTo(0.0775594461, 9);
  });
  it("weighted by P over every sequence, the per-sequence sums give the exact sequence KL (enumeration)", () => {
    const mk = (seed: number) => LanguageModel.create({ kind: "window-mlp", vocab: 3, context: 4, hidden: 8, window: 2 }, { seed });
    const p = mk(1), q = mk(2);
    try {
      const seqs: number[][] = [];
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) seqs.push([1, a, b, c]);
      const est = sequenceKl(p, q, seqs, { start: 1 });
      const inputs = seqs.map((s) => s.slice(0, 3)), targets = seqs.map((s) => s.slice(1));
      const mask = seqs.map(() => [1, 1, 1]);
      const lp = p.logProbs({ inputs, targets, mask }).sums, lq = q.logProbs({ inputs, targets, mask }).sums;
      let exact = 0, chain = 0, total = 0;
      seqs.forEach((_, i) => {
        const w = Math.exp(lp[i]);
        total += w;
        exact += w * (lp[i] - lq[i]);
        chain += w * est.perSequence[i];
      });
      expect(total).toBeCloseTo(1, 6);
      expect(exact).toBeGreaterThan(0.01);
      expect(Math.abs(chain - exact)).toBeLessThan(1e-5);
      // the cached logits of P give the same numbers
      expect(sequenceKl(p, q, seqs, { start: 1, pLogits: est.pLogits }).perSequence).toEqual(est.perSequence);
      expect(() => sequenceKl(p, q, [[1, 2], [1, 2, 0]], { start: 1 })).toThrow(/one length/);
    } finally {
      p.dispose();
      q.dispose();
    }
  });
});

describe("teacher-hacking smoke preset", () => {
  let run: ExperimentRun;
  beforeAll(async () => {
    run = await runExperiment("teacher-hacking", { workers: 0, seeds: [1, 2] });
  }, 120_000);

  it("is in the table; every run has a golden and a proxy curve per epoch; the report has the template's fields", () => {
    expect(EXPERIMENTS["teacher-hacking"]).toBe(teacherHacking);
    const c = teacherHacking.presets.smoke;
    for (const r of run.results) {
      expect(r.curves.length).toBe(c.epochs + 1);
      for (const name of ["offline-100x1/fkl", "teacher/fkl", "student/fkl"]) {
        for (const row of r.curves) {
          expect(row[`${name}/golden`]).toBeGreaterThan(0);
          expect(row[`${name}/proxy`]).toBeGreaterThan(0);
        }
        // every data source starts from the same student: identical epoch-0 numbers
        expect(r.curves[0][`${name}/golden`]).toBe(r.curves[0]["teacher/fkl/golden"]);
        // distillation helps the proxy
        expect(r.scalars[`${name}/proxy_last`]).toBeLessThan(r.scalars[`${name}/proxy_first`]);
        expect(r.scalars[`${name}/golden_min`]).toBeLessThanOrEqual(r.scalars[`${name}/golden_last`]);
        expect(r.scalars[`${name}/reverse_proxy_last`]).toBeGreaterThan(0);
      }
      expect(r.tokenUpdates).toBe((c.teacherEpochs + c.studentEpochs) * c.oracleData * c.responseLength + 3 * c.epochs * c.prompts * c.responseLength);
    }
    expect(run.contrasts.map((x) => x.name)).toEqual(expect.arrayContaining(["golden_rise_offline_minus_online", "offline_proxy_drop_after_golden_min", "detection_flag_minus_golden_min_epoch"]));
    const md = run.files["report.md"];
    for (const field of ["configuration hash", "wall-clock", "token-updates", "## Primary contrast", "## Per-seed results", "## Final and best metrics", "## Configuration"]) expect(md).toContain(field);
    expect(run.files["golden-vs-proxy.svg"]).toMatch(/^<svg/);
  });

  it("equalSteps: every run makes the main runs' number of steps and is evaluated at the same step counts", async () => {
    const c = teacherHacking.presets.smoke;
    const r = await runExperiment("teacher-hacking", { workers: 0, seeds: [1], overrides: { equalSteps: true, sources: ["offline"], generations: [1, 4], generationsPrompts: 25, epochs: 8 } });
    const rows = r.results[0].curves;
    expect(rows.length).toBe(9);
    for (const name of ["offline-100x1/fkl", "offline-25x1/fkl", "offline-25x4/fkl"]) for (const row of rows) expect(row[`${name}/golden`]).toBeGreaterThan(0);
    // 25 × 4 = 100 sequences: the same number of steps and tokens per step as the main run's 100 × 1
    expect(rows[8]["offline-25x4/fkl/train_loss"]).toBeGreaterThan(0);
    expect(() => teacherHacking.check!({ ...c, equalSteps: "yes" as unknown as boolean })).toThrow(/equalSteps/);
  }, 60_000);

  it("is deterministic: the same seed gives the same curves", async () => {
    const again = await runExperiment("teacher-hacking", { workers: 0, seeds: [2] });
    expect(again.results[0].curves).toEqual(run.results[1].curves);
  }, 60_000);
});
