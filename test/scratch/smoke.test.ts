import { it } from "vitest";
import { init } from "../../sdk/index.js";
import { runExperiment } from "../../sdk/experiments/index.js";
it("smoke", async () => {
  await init();
  const t0 = Date.now();
  const run = await runExperiment("mdpo-calculator", { preset: (process.env.PRESET ?? "smoke") as "smoke", seeds: Number(process.env.SEEDS ?? 2), workers: Number(process.env.WORKERS ?? 0), out: process.env.OUT, overwrite: true });
  console.log("wall", (Date.now() - t0) / 1000);
  for (const c of run.contrasts) console.log("C", c.name, c.mean.toFixed(4), c.values.map((v) => v.toFixed(3)).join(" "), c.verdict);
}, 1200000);
