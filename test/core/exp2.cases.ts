// One tiny seed of teacher-hacking and of nash-lm for the cross-runtime core suite: sampling,
// distillation, the chain-rule sequence KL and the departure rule (teacher-hacking); LMPolicy
// under the games trainers, the Bradley–Terry fit and the exact metrics (nash-lm) must give the
// numbers Node gives, bit for bit, in Deno, Chromium and WASI — pinned here as fingerprints.
import { ok, fingerprint } from "./assert.js";
import { seedTask } from "../../sdk/experiments/tasks.js";
import { EXPERIMENTS } from "../../sdk/experiments/registry.js";
import type { Case } from "./suite.js";

/** Node's fingerprints (test/core.test.ts runs these cases in Node first). */
const TEACHER = "d429fcfb0a49d4dc";
const NASH = "cb1d4a21007b9144";

async function seedPrint(experiment: string, config: Record<string, unknown>, seed: number): Promise<string> {
  const task = seedTask(EXPERIMENTS);
  const ctx = { signal: new AbortController().signal, progress() {}, attempt: 1, workerId: 0 };
  const r = await task({ experiment, preset: "smoke", config, seed }, ctx);
  const rows = r.curves.flatMap((row) => Object.keys(row).sort().map((k) => row[k]));
  const scalars = Object.keys(r.scalars).sort().map((k) => r.scalars[k]);
  // NaN (a run the departure rule did not flag) as a fixed sentinel: NaN payloads are not portable
  return fingerprint(Float64Array.from([...rows, ...scalars, r.tokenUpdates], (v) => (Number.isNaN(v) ? -1e300 : v)));
}

export const cases: Case[] = [
  {
    name: "teacher-hacking: one tiny seed's curves and scalars are Node's bit for bit",
    fn: async () => {
      const config = {
        ...EXPERIMENTS["teacher-hacking"].presets.smoke, vocab: 8, promptLength: 2, responseLength: 4, window: 2, width: 8, oracleHidden: 16,
        teacherHidden: 8, studentHidden: 8, promptPool: 60, oracleData: 64, teacherEpochs: 1, studentEpochs: 1, prompts: 16, epochs: 8, batchSize: 8,
        divergences: ["fkl", "gjsd"], diversity: [[16, 1], [8, 2]], generations: [], generationsPrompts: 8, evalPrompts: 4, evalSamples: 2,
        detection: { fitFrom: 2, fitTo: 5, delta: 0.05, run: 2, slopeFactor: 0.5 },
      };
      const p = await seedPrint("teacher-hacking", config, 2);
      ok(p === TEACHER, `teacher-hacking fingerprint ${p}, Node's ${TEACHER}`);
    },
  },
  {
    name: "nash-lm: one tiny seed's curves, win rates and exploitabilities are Node's bit for bit",
    fn: async () => {
      const config = {
        ...EXPERIMENTS["nash-lm"].presets.smoke, vocab: 3, length: 2, tournament: [[0, 1, -0.5], [-1, 0, 0.8], [0.5, -0.8, 0]], hidden: 8, width: 4,
        batch: 8, inner: 2, queries: 128, logEvery: 64,
      };
      const p = await seedPrint("nash-lm", config, 1);
      ok(p === NASH, `nash-lm fingerprint ${p}, Node's ${NASH}`);
    },
  },
];
