// online-vs-offline (Tang et al. 2024): the frontier gap against hand-computed areas, the proxy's
// fit against the unigram Bradley–Terry likelihood it maximises, and the smoke preset on fixed
// seeds — the un-shuffled replay of the online run is the online run bit for bit (parameters and
// every evaluation), the proxy is misspecified (the golden utility classifies held-out pairs
// better), the report has every field of the reporting template, and the configuration checks.
//
// The primary contrast's direction is NOT asserted: at the smoke scale (and, in our full runs,
// also at the full scale) offline IPO is level with or ahead of online IPO, the opposite of the
// paper's finding; docs/experiments/online-vs-offline.md reports it.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Rng } from "../sdk/index.js";
import { runExperiment, onlineVsOffline, upperFrontier, frontierGap, type ExperimentRun } from "../sdk/experiments/index.js";
import { TokenTables, sigmoid } from "../sdk/experiments/worlds/token-tables.js";
import { UnigramProxy } from "../sdk/experiments/online-vs-offline/proxy.js";

let smoke: ExperimentRun;
beforeAll(async () => {
  await init();
  smoke = await runExperiment(onlineVsOffline, { preset: "smoke", seeds: [1, 2, 3], workers: 0 });
}, 120_000);

describe("frontiers", () => {
  it("the upper frontier keeps the best win rate at each KL; the gap is the area between the step functions ÷ the common KL range", () => {
    expect(upperFrontier([{ kl: 0, win: 0.5 }, { kl: 1, win: 0.7 }, { kl: 2, win: 0.6 }, { kl: 3, win: 0.8 }])).toEqual([{ kl: 0, win: 0.5 }, { kl: 1, win: 0.7 }, { kl: 3, win: 0.8 }]);
    const a = [{ kl: 0, win: 0.5 }, { kl: 1, win: 0.7 }, { kl: 4, win: 0.9 }];
    const b = [{ kl: 0, win: 0.5 }, { kl: 2, win: 0.6 }, { kl: 3, win: 0.65 }];
    // common range [0, 3]: on [0,1) both 0.5; [1,2) 0.7 − 0.5; [2,3) 0.7 − 0.6 → area 0.3, ÷ 3
    const g = frontierGap(a, b);
    expect(g.range).toBe(3);
    expect(g.gap).toBeCloseTo(0.3 / 3, 14);
    expect(frontierGap(b, a).gap).toBeCloseTo(-0.3 / 3, 14);
    expect(frontierGap([{ kl: 0, win: 0.5 }], b).gap).toBeNaN();
  });
});

describe("the unigram proxy", () => {
  it("maximises its penalised log-likelihood: the gradient vanishes at the fit; it sees unigram counts only", () => {
    const rng = new Rng(5, 1);
    const world = new TokenTables({ prompts: 2, tokens: 4, length: 5, unigramScale: 1, bigramScale: 1, trigramBonus: 1 }, rng);
    const n = 300, xs = Int32Array.from({ length: n }, (_, i) => i % 2);
    const u = rng.uniform(n * 11);
    rng.dispose();
    const ys = (k: number) => Array.from({ length: n }, (_, i) => Int32Array.from({ length: 5 }, (_, t) => Math.floor(u[i * 11 + k * 5 + t] * 4)));
    const a = ys(0), b = ys(1);
    const w: Int32Array[] = [], l: Int32Array[] = [];
    for (let i = 0; i < n; i++) (u[i * 11 + 10] < sigmoid(world.utility(xs[i], a[i]) - world.utility(xs[i], b[i])) ? (w.push(a[i]), l.push(b[i])) : (w.push(b[i]), l.push(a[i])));
    const ridge = 0.5;
    const p = UnigramProxy.fit(world, xs, w, l, ridge);
    const V = world.vocab;
    for (let x = 0; x < 2; x++) {
      for (let v = 0; v < V; v++) {
        let g = -ridge * p.w[x * V + v];
        for (let i = 0; i < n; i++) {
          if (xs[i] !== x) continue;
          const d = w[i].filter((t) => t === v).length - l[i].filter((t) => t === v).length;
          g += d * (1 - p.prefer(x, w[i], l[i]));
        }
        expect(Math.abs(g), `x = ${x}, v = ${v}`).toBeLessThan(1e-9);
      }
    }
    // a permutation of a response has the same proxy reward (unigram counts), not the same utility
    expect(p.reward(0, [0, 1, 2, 3, 0])).toBeCloseTo(p.reward(0, [3, 0, 2, 0, 1]), 12);
    expect(world.utility(0, [0, 1, 2, 3, 0])).not.toBeCloseTo(world.utility(0, [3, 0, 2, 0, 1]), 6);
  });
});

describe("online-vs-offline, smoke preset (seeds 1, 2, 3)", () => {
  it("the un-shuffled replay of the online run's pairs is the online run, bit for bit (parameters and every evaluation)", () => {
    const c = smoke.contrasts.find((x) => x.name === "replay_identical_h16")!;
    expect(c.values).toEqual([1, 1, 1]);
    expect(c.verdict).toBe("reproduced");
    for (const r of smoke.results) {
      const on = r.curves.filter((row) => "h=16/online-ipo/tau=0.1/kl" in row);
      expect(on.length).toBe(4); // steps 0, 20, 40, 60
      for (const row of on) {
        for (const m of ["golden_win_rate", "proxy_win_rate", "kl"]) expect(row[`h=16/offline-ipo-replay/tau=0.1/${m}`]).toBe(row[`h=16/online-ipo/tau=0.1/${m}`]);
      }
      // the shuffled replay (coverage ablation) is a different run
      expect(on.some((row) => row["h=16/offline-ipo-shuffled-online/tau=0.1/kl"] !== row["h=16/online-ipo/tau=0.1/kl"])).toBe(true);
    }
  });

  it("the proxy is misspecified: the golden utility classifies held-out golden-labelled pairs better on every seed", () => {
    for (const r of smoke.results) expect(r.scalars["h=16/accuracy/golden"]).toBeGreaterThan(r.scalars["h=16/accuracy/proxy"]);
  });

  it("every run moves away from π_SFT (KL > 0) and the frontier gaps are finite over a positive KL range", () => {
    for (const r of smoke.results) {
      for (const run of ["online-ipo", "online-ipo-golden", "offline-ipo", "offline-ipo-online-data", "offline-ipo-shuffled-online"]) expect(r.scalars[`h=16/${run}/tau=0.1/final_kl`]).toBeGreaterThan(0.05);
      expect(r.scalars["h=16/gap_range/online-ipo_minus_offline-ipo"]).toBeGreaterThan(0.1);
      expect(Number.isFinite(r.scalars["h=16/gap/online-ipo_minus_offline-ipo"])).toBe(true);
      // the SFT policy rarely produces the golden 3-gram (high-reward responses are rare under it)
      expect(r.scalars["h=16/sft/trigram_rate"]).toBeLessThan(0.05);
    }
    const primary = smoke.contrasts.filter((c) => c.primary);
    expect(primary.map((c) => c.name)).toEqual(["frontier_gap_h16"]);
  });

  it("the report has every field of the reporting template", () => {
    const md = smoke.files["report.md"];
    expect(md).toMatch(/^# online-vs-offline: /);
    expect(md).toContain(`| configuration hash | \`${smoke.configHash}\``);
    expect(md).toContain("| seeds | 3: 1, 2, 3 |");
    expect(md).toMatch(/\| wall-clock \| [0-9.]+ s in total on /);
    expect(md).toMatch(/\| token-updates \| [0-9,]+ in total, [0-9,]+ per seed \|/);
    expect(md).toContain("## Primary contrast");
    expect(md).toContain("## Final and best metrics");
    for (const c of smoke.contrasts) expect(md).toContain(`### ${c.name}: ${c.verdict}`);
    expect(smoke.files["metrics.jsonl"].trimEnd().split("\n").length).toBe(smoke.results.reduce((s, r) => s + r.curves.length, 0));
    for (const f of ["frontier-h16.svg", "overoptimisation-tau0.1.svg", "overoptimisation-tau0.3.svg", "ablations.svg"]) expect(smoke.files[f].startsWith("<svg")).toBe(true);
  });

  it("checks its configuration", async () => {
    await expect(runExperiment(onlineVsOffline, { workers: 0, seeds: 1, overrides: { primaryTau: 0.7 } })).rejects.toThrow(/primaryTau \(0\.7\) must be one of taus/);
    await expect(runExperiment(onlineVsOffline, { workers: 0, seeds: 1, overrides: { offline: ["sigmoid"] } })).rejects.toThrow(/offline must include "ipo"/);
  });
});
