// The core suite, run unchanged in Node (vitest: test/core.test.ts), Deno, headless
// Chromium and against the WASI build (test/runtime/*). Every `*.cases.ts` module exports
// `cases` (no test-framework dependency; assertions from ./assert.ts) and may export
// `digest()` (synchronous or async): fingerprints of seeded computations that must be
// byte-identical in every runtime. Add a module here with one import line.
import * as engine from "./engine.cases.js";
import * as eigh from "./eigh.cases.js";
import * as rls from "./rls.cases.js";
import * as games from "./games.cases.js";
import * as disqueak from "./disqueak.cases.js";
import * as detmath from "./detmath.cases.js";
import * as alignLosses from "./align-losses.cases.js";
import * as align from "./align.cases.js";
import * as graph from "./graph.cases.js";
import * as graphIo from "./graph-io.cases.js";
import * as alignTrainers from "./align-trainers.cases.js";
import * as graphLearn from "./graph-learn.cases.js";
import * as graphSparsify from "./graph-sparsify.cases.js";
import * as experiments from "./experiments.cases.js";
import * as alignParallel from "./align-parallel.cases.js";
import * as mdpoCalculator from "./mdpo-calculator.cases.js";
import * as mtpoDialogue from "./mtpo-dialogue.cases.js";
import * as exp2 from "./exp2.cases.js";

export interface Case {
  name: string;
  fn: () => void | Promise<void>;
}

interface CaseModule {
  cases: Case[];
  digest?: () => Record<string, string> | Promise<Record<string, string>>;
}

const modules: Record<string, CaseModule> = {
  engine,
  eigh,
  rls,
  games,
  disqueak,
  detmath,
  alignLosses,
  align,
  graph,
  graphIo,
  alignTrainers,
  graphLearn,
  graphSparsify,
  experiments,
  alignParallel,
  mdpoCalculator,
  mtpoDialogue,
  exp2,
};

export const cases: Case[] = Object.entries(modules).flatMap(([m, mod]) => mod.cases.map((c) => ({ name: `${m}: ${c.name}`, fn: c.fn })));

export async function digest(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [m, mod] of Object.entries(modules)) {
    if (!mod.digest) continue;
    for (const [k, v] of Object.entries(await mod.digest())) out[`${m}.${k}`] = v;
  }
  return out;
}
