// The experiment runner's seed work for the cross-runtime core suite: one seed of demo-bandit
// (data from the engine's generator, two trainers, host arithmetic through core/detmath) and
// the statistics of a contrast (Student's quantile, the t-interval, the seeded bootstrap) must
// give the numbers Node gives, bit for bit, in Deno, Chromium and WASI — pinned here as a
// fingerprint (a case, not a digest: the runtime matrix's digests stay as they are).
import { ok, fingerprint } from "./assert.js";
import { seedTask } from "../../sdk/experiments/tasks.js";
import { EXPERIMENTS } from "../../sdk/experiments/registry.js";
import { contrastEvidence, studentQuantile } from "../../sdk/experiments/stats.js";
import type { Case } from "./suite.js";

/** Node's fingerprints (test/core.test.ts runs this case in Node first). */
const SEED = "67555c56aecc358d";
const STATS = "6b4e79531a38dc2e";

export const cases: Case[] = [
  {
    name: "demo-bandit: one seed's curves and scalars, and a contrast's intervals, are Node's bit for bit",
    fn: async () => {
      const task = seedTask(EXPERIMENTS);
      const ctx = { signal: new AbortController().signal, progress() {}, attempt: 1, workerId: 0 };
      const config = { ...EXPERIMENTS["demo-bandit"].presets.smoke, steps: 30, betas: [0.5], logEvery: 10 };
      const r = await task({ experiment: "demo-bandit", preset: "smoke", config, seed: 3 }, ctx);
      const rows = r.curves.flatMap((row) => Object.keys(row).sort().map((k) => row[k]));
      const scalars = Object.keys(r.scalars).sort().map((k) => r.scalars[k]);
      const seedPrint = fingerprint(Float64Array.from([...rows, ...scalars, r.tokenUpdates]));
      const ev = contrastEvidence([0.3, 0.1, 0.25, -0.05, 0.4], "positive", { stream: 2 });
      const statsPrint = fingerprint(Float64Array.of(ev.mean, ev.sd, ev.t!.lo, ev.t!.hi, ev.bootstrap!.lo, ev.bootstrap!.hi, studentQuantile(0.95, 7), studentQuantile(0.9, 1)));
      ok(seedPrint === SEED, `seed fingerprint ${seedPrint}, Node's ${SEED}`);
      ok(statsPrint === STATS, `statistics fingerprint ${statsPrint}, Node's ${STATS}`);
    },
  },
];
