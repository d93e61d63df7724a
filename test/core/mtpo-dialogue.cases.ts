// mtpo-dialogue for the cross-runtime core suite: education-dialogue episodes from seeds (the
// environment's integer generator, the judge through core/detmath), contextual MTPO on the exact
// small dialogue game, and one seed of a tiny mtpo-dialogue configuration (the reward model's
// Newton fit, the four trainers on LMPolicy, the evaluation, the tabular stages) must give the
// numbers Node gives, bit for bit, in Deno, Chromium and WASI — pinned as fingerprints (cases,
// not digests: the runtime matrix's digests stay as they are).
import { ok, fingerprint } from "./assert.js";
import { seedTask } from "../../sdk/experiments/tasks.js";
import { EXPERIMENTS } from "../../sdk/experiments/registry.js";
import { EducationDialogueEnv, dialogueGame } from "../../sdk/align/envs/dialogue.js";
import { contextualMtpo } from "../../sdk/games/mtpo-contexts.js";
import type { Case } from "./suite.js";

/** Node's fingerprints (test/core.test.ts runs these cases in Node first). */
const ENV = "eaafdd4aa1244523";
const SEED = "026553e24e139ad7";

export const cases: Case[] = [
  {
    name: "education-dialogue episodes from seeds, the judge, and contextual MTPO on the exact game are Node's bit for bit",
    fn: () => {
      const env = new EducationDialogueEnv();
      const out: number[] = [];
      const outcomes = [];
      for (let s = 0; s < 48; s++) {
        out.push(...env.reset(s % env.types.length, s * 7919));
        for (let t = 0; ; t++) {
          const r = env.step([env.moves[(s + 3 * t) % (env.moves.length - 1)]]);
          if (r.done) {
            const o = r.outcome;
            out.push(o.understanding, o.engagement, o.confidence, o.score, o.turns);
            outcomes.push(o);
            break;
          }
          out.push(...r.observation);
        }
      }
      for (let i = 0; i + 6 < outcomes.length; i++) if (outcomes[i].type === outcomes[i + 6].type) out.push(env.prefer(outcomes[i], outcomes[i + 6]));
      const { game } = dialogueGame(new EducationDialogueEnv({ styles: 2, levels: 2, turns: 2, typeProbs: [0.1, 0.2, 0.3, 0.4] }));
      for (const variant of ["mtpo", "mtpo-tau"] as const) {
        const run = contextualMtpo(game, { beta: 0.05, iters: 20, variant, logEvery: 10 });
        out.push(...run.exploitability, ...run.policy[1].subarray(0, 40));
      }
      const print = fingerprint(Float64Array.from(out));
      ok(print === ENV, `environment fingerprint ${print}, Node's ${ENV}`);
    },
  },
  {
    name: "mtpo-dialogue: one seed of a tiny configuration (reward model, four trainers, evaluation, tabular stages) is Node's bit for bit",
    fn: async () => {
      const task = seedTask(EXPERIMENTS);
      const ctx = { signal: new AbortController().signal, progress() {}, attempt: 1, workerId: 0 };
      const config = {
        ...EXPERIMENTS["mtpo-dialogue"].presets.smoke, turns: 3, hidden: 8, iterations: 6, batch: 4, evalConversations: 16, logEvery: 3,
        curveConversations: 8, tabularTurns: 1, tabularIterations: 10, tabularNeuralIterations: 3,
      };
      const r = await task({ experiment: "mtpo-dialogue", preset: "smoke", config, seed: 3 }, ctx);
      const rows = r.curves.flatMap((row) => Object.keys(row).sort().map((k) => row[k]));
      const scalars = Object.keys(r.scalars).sort().map((k) => r.scalars[k]);
      // NaN (a student type no evaluation conversation met) as a fixed number: no payload bits
      const print = fingerprint(Float64Array.from([...rows, ...scalars, r.tokenUpdates], (v) => (Number.isNaN(v) ? -999 : v)));
      ok(print === SEED, `seed fingerprint ${print}, Node's ${SEED}`);
    },
  },
];
