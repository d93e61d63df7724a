// mdpo-calculator for the cross-runtime core suite: calculator episodes from seeds, pass@k, and
// one seed of a tiny mdpo-calculator configuration (demonstrations and rollouts from the
// engine's generator, SFT, an M-DPO and an M-KTO iteration, held-out evaluation) must give the
// numbers Node gives, bit for bit, in Deno, Chromium and WASI — pinned as fingerprints (cases,
// not digests: the runtime matrix's digests stay as they are).
import { ok, fingerprint } from "./assert.js";
import { seedTask } from "../../sdk/experiments/tasks.js";
import { EXPERIMENTS } from "../../sdk/experiments/registry.js";
import { CalculatorEnv, CALC, passAtK } from "../../sdk/align/envs/index.js";
import type { Case } from "./suite.js";

/** Node's fingerprints (test/core.test.ts runs these cases in Node first). */
const ENV = "382359062c0651a5";
const SEED = "638e38f73b37e2b8";

export const cases: Case[] = [
  {
    name: "calculator episodes from seeds and pass@k are Node's bit for bit",
    fn: () => {
      const out: number[] = [];
      for (let s = 0; s < 64; s++) {
        const env = new CalculatorEnv();
        const x = env.reset(s * 7919);
        out.push(...x);
        const a = env.step([CALC.CALL, x[0], x[1], x[2], CALC.EOS]);
        if (a.done) throw new Error("a first call ends the episode");
        const b = env.step([CALC.CALL, a.observation[1], x[3], x[4], CALC.EOS]);
        if (b.done) throw new Error("a second call ends the episode");
        out.push(a.observation[1], b.observation[1]);
        const end = env.step([CALC.ANS, (b.observation[1] + s) % 10, CALC.EOS]);
        out.push(end.done ? end.outcome : -1);
      }
      for (let c = 0; c <= 32; c++) for (const k of [1, 4, 16]) out.push(passAtK(32, c, k));
      const print = fingerprint(Float64Array.from(out));
      ok(print === ENV, `environment fingerprint ${print}, Node's ${ENV}`);
    },
  },
  {
    name: "mdpo-calculator: one seed of a tiny configuration (SFT, M-DPO and M-KTO iterations, evaluation) is Node's bit for bit",
    fn: async () => {
      const task = seedTask(EXPERIMENTS);
      const ctx = { signal: new AbortController().signal, progress() {}, attempt: 1, workerId: 0 };
      const config = {
        ...EXPERIMENTS["mdpo-calculator"].presets.smoke, demos: 300, hidden: 16, width: 8, heldout: 6, evalSamples: 16, iterations: 1, prompts: 16,
        arms: ["mdpo", "mkto"],
      };
      const r = await task({ experiment: "mdpo-calculator", preset: "smoke", config, seed: 3 }, ctx);
      const rows = r.curves.flatMap((row) => Object.keys(row).sort().map((k) => row[k]));
      const scalars = Object.keys(r.scalars).sort().map((k) => r.scalars[k]);
      const print = fingerprint(Float64Array.from([...rows, ...scalars, r.tokenUpdates]));
      ok(print === SEED, `seed fingerprint ${print}, Node's ${SEED}`);
    },
  },
];
