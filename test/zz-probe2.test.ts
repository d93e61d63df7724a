import { it } from "vitest";
import { init } from "../sdk/index.js";
import { runExperiment } from "../sdk/experiments/index.js";
it("probe", async () => {
  await init();
  const t0 = Date.now();
  const run = await runExperiment("mtpo-dialogue", { preset: (process.env.PRESET ?? "smoke") as "smoke", seeds: Number(process.env.SEEDS ?? 5), workers: 0, overrides: JSON.parse(process.env.OV ?? "{}") });
  for (const c of run.contrasts) console.log(c.name, c.values.map((v) => v.toFixed(3)).join(" "), "mean", c.mean.toFixed(3), c.verdict);
  const names = ["ref", "rlhf-single", "rlhf-multi", "mtpo", "mtpo-tau", "equilibrium"];
  const avg = (k: string) => (run.results.reduce((s, r) => s + r.scalars[k], 0) / run.results.length);
  console.log("tab E", names.map((n) => avg(`tabular/exploitability/${n}`).toExponential(2)).join(" "));
  for (const a of names) console.log("tab win", a, names.map((b) => (a === b ? "  -  " : avg(`tabular/win/${a}/${b}`).toFixed(3))).join(" "));
  console.log("wall", Date.now() - t0, run.verdict);
}, 900000);
