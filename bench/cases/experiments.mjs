// The papers' experiments (issues 11 and 12): the wall-clock of each `full` preset with 5 seeds
// on a pool of 2 worker threads — the numbers `seqlearn experiment <name> --preset full` gives —
// with its verdict and token-updates. Target: each full preset under 10 minutes on 2 cores.
// The whole case takes about 20 minutes on 2 idle cores; --quick runs the smoke presets instead.
//   npm run bench -- --only experiments
import os from "node:os";
import { table, ms } from "../lib/format.mjs";

const TARGET_MIN = 10;

export default {
  id: "experiments",
  title: "The papers' experiments: wall-clock of each full preset (5 seeds, 2 workers)",
  order: 90,
  async run(ctx) {
    const { sl, quick } = ctx;
    const { EXPERIMENTS, runExperiment } = sl.experiments;
    const preset = quick ? "smoke" : "full";
    const names = Object.keys(EXPERIMENTS).sort();
    const rows = [];
    let worst = 0;
    for (const name of names) {
      ctx.log(`experiments: ${name} (${preset})`);
      const load0 = os.loadavg()[0];
      const cpu0 = process.cpuUsage();
      const run = await runExperiment(name, { preset, seeds: 5, workers: 2 });
      const cpu = process.cpuUsage(cpu0);
      const load1 = os.loadavg()[0];
      const minutes = run.wallMs / 60_000;
      worst = Math.max(worst, minutes);
      const primary = run.contrasts.filter((c) => c.primary);
      rows.push([
        `\`${name}\``,
        minutes >= 1 ? `${minutes.toFixed(1)} min` : `${ms(run.wallMs / 1000)} s`,
        run.tokenUpdates.toLocaleString("en-US"),
        `${((cpu.user + cpu.system) / 1e6).toFixed(0)} s`,
        run.verdict,
        primary.map((c) => `${c.name}: ${c.verdict}`).join("; ") || "–",
        `${load0.toFixed(1)} → ${load1.toFixed(1)}`,
      ]);
      ctx.summary.push({
        case: "experiments", what: `${name}: ${preset} preset, 5 seeds, 2 workers (load ${load0.toFixed(1)}–${load1.toFixed(1)})`,
        value: minutes >= 1 ? `${minutes.toFixed(1)} min` : `${(run.wallMs / 1000).toFixed(1)} s`,
        target: quick ? "–" : `< ${TARGET_MIN} min: ${minutes < TARGET_MIN ? "met" : "**not met**"}`,
      });
    }
    return [
      `Each experiment of \`experiments.EXPERIMENTS\` run with \`runExperiment(name, { preset: "${preset}", seeds: 5, workers: 2 })\` ` +
        `(what \`seqlearn experiment <name> --preset ${preset} --seeds 5 --workers 2\` does), one after another in this process. ` +
        `Wall-clock is the run's own (\`wallMs\`: the seeds on the pool, the contrasts, the report and plots, not writing them); ` +
        `CPU is the process's user + system time, the worker threads included (about twice the wall-clock when both cores are busy). ` +
        `The verdicts are those of the docs pages (docs/experiments/), which say what each one means and what was checked.`,
      "",
      table(["experiment", "wall-clock", "token-updates", "CPU (process)", "verdict", "primary contrasts", "load (1 min)"], rows),
      "",
      `- Slowest: ${worst.toFixed(1)} min (target: each under ${TARGET_MIN} min on 2 cores). ${os.cpus().length} cores.`,
    ].join("\n");
  },
};
