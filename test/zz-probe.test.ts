import { it } from "vitest";
import { init } from "../sdk/index.js";
import { runExperiment } from "../sdk/experiments/index.js";
it("probe", async () => {
  await init();
  const t0 = Date.now();
  const run = await runExperiment("mtpo-dialogue", { preset: (process.env.PRESET ?? "smoke") as "smoke", seeds: Number(process.env.SEEDS ?? 5), workers: 0, overrides: JSON.parse(process.env.OV ?? "{}") });
  for (const c of run.contrasts) console.log(c.name, c.values.map((v) => v.toFixed(3)).join(" "), "mean", c.mean.toFixed(3), c.verdict);
  for (const k of ["score", "understanding", "engagement", "confidence", "turns", "check_rate", "kl"]) {
    console.log(k, ["ref", "rlhf-single", "rlhf-multi", "mtpo", "mtpo-tau"].map((p) => (run.results.reduce((s, r) => s + r.scalars[`${k}/${p}`], 0) / run.results.length).toFixed(3)).join(" "));
  }
  console.log("rm_acc", run.results.map((r) => r.scalars.rm_accuracy.toFixed(3)).join(" "));
  console.log("wall", Date.now() - t0, run.verdict);
}, 900000);
