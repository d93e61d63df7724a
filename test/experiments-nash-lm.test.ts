// nash-lm: the world (a preference with cycles, hence no Bradley–Terry representation; every
// response enumerable), and the smoke preset through the runner: the exact metrics agree with
// the games functions, queries are equal across methods, the head-to-head direction that holds
// on every one of the test's seeds (Nash-MP and Nash-MD beat BT-RLHF; BT-RLHF is far more
// exploitable), the report's fields and the plots. The Nash-MP vs Nash-MD contrast is not
// asserted: at the smoke scale it is within noise (see docs/experiments/nash-lm.md).
import { describe, it, expect, beforeAll } from "vitest";
import { init } from "../sdk/index.js";
import { PreferenceGame, fitBradleyTerry } from "../sdk/games/index.js";
import { runExperiment, EXPERIMENTS, nashLm, nashLmPreferences, preferenceCycle, type ExperimentRun } from "../sdk/experiments/index.js";

beforeAll(async () => {
  await init();
});

describe("nash-lm world", () => {
  it("is a preference matrix with a cycle; the Bradley–Terry fit cannot reproduce it", () => {
    const c = nashLm.presets.smoke;
    const P = nashLmPreferences(c);
    expect(P.length).toBe(64);
    for (let i = 0; i < 64; i++) for (let j = 0; j < 64; j++) expect(P[i][j] + P[j][i]).toBeCloseTo(1, 12);
    const cyc = preferenceCycle(P)!;
    expect(cyc.margin).toBeGreaterThan(0.4);
    const [a, b, d] = cyc.cycle;
    expect(P[a][b]).toBeGreaterThan(0.5);
    expect(P[b][d]).toBeGreaterThan(0.5);
    expect(P[d][a]).toBeGreaterThan(0.5);
    // any BT model orders a, b, d transitively, so it gets at least one pair of the cycle wrong
    const g = PreferenceGame.fromMatrix(P);
    try {
      const r = fitBradleyTerry(g, { iters: 20000, tol: 1e-10 });
      const wrong = [[a, b], [b, d], [d, a]].filter(([x, y]) => r[x] <= r[y]).length;
      expect(wrong).toBeGreaterThanOrEqual(1);
    } finally {
      g.dispose();
    }
    expect(() => nashLm.check!({ ...c, tournament: [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]] })).toThrow(/skew-symmetric/);
    expect(() => nashLm.check!({ ...c, queries: 1000 })).toThrow(/multiples of batch/);
  });
});

describe("nash-lm smoke preset", () => {
  let run: ExperimentRun;
  beforeAll(async () => {
    run = await runExperiment("nash-lm", { workers: 0, seeds: [0, 1, 2, 3, 4] });
  }, 120_000);

  it("logs every method at the same query counts; the final numbers are the last logged ones", () => {
    expect(EXPERIMENTS["nash-lm"]).toBe(nashLm);
    const c = nashLm.presets.smoke;
    for (const r of run.results) {
      expect(r.curves.map((x) => x.step)).toEqual(Array.from({ length: c.queries / c.logEvery + 1 }, (_, i) => i * c.logEvery));
      const last = r.curves[r.curves.length - 1];
      for (const m of ["nash-mp", "nash-md", "online-ipo", "bt-rlhf"]) {
        expect(last[`${m}/exploitability`]).toBe(r.scalars[`${m}/exploitability`]);
        expect(r.curves[0][`${m}/kl_ref`]).toBeCloseTo(0, 12); // every policy starts at μ
        expect(r.scalars[`win/${m}/${m}`]).toBeCloseTo(0.5, 12);
      }
      expect(r.scalars["nash*/exploitability"]).toBeLessThan(1e-9);
      expect(r.tokenUpdates).toBe(4 * (c.queries / c.batch) * c.batch * c.length);
    }
  });

  it("Nash-MP and Nash-MD beat BT-RLHF head to head on every seed; BT-RLHF is the most exploitable", () => {
    const by = Object.fromEntries(run.contrasts.map((x) => [x.name, x]));
    for (const name of ["mp_vs_bt_win_minus_half", "md_vs_bt_win_minus_half", "exploitability_bt_minus_mp", "exploitability_bt_minus_md"]) {
      for (const v of by[name].values) expect(v, name).toBeGreaterThan(0);
    }
    expect(by.exact_nash_vs_exact_rlhf_win_minus_half.mean).toBeGreaterThan(0.03);
    const md = run.files["report.md"];
    for (const field of ["configuration hash", "wall-clock", "token-updates", "## Primary contrast", "## Per-seed results", "## Configuration"]) expect(md).toContain(field);
    expect(run.files["win-rates.svg"]).toMatch(/^<svg/);
    expect(run.files["exploitability.svg"]).toMatch(/^<svg/);
  });

  it("is deterministic", async () => {
    const again = await runExperiment("nash-lm", { workers: 0, seeds: [3] });
    expect(again.results[0].scalars).toEqual(run.results[3].scalars);
  }, 60_000);
});
