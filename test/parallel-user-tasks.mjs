// A task module as a user writes one: plain JavaScript that imports the package by name
// ("seqlearn" resolves to this repository's dist/index.js) and exports its table as `tasks`.
// test/parallel-pool.test.ts loads it in the package's own workers (dist/worker.js) through
// the pool's `modules` option; its task draws from the engine that worker initialised.
import { Rng, taskTable } from "seqlearn";

export const tasks = taskTable({
  "user.uniform": ({ seed, stream, n }) => {
    const rng = new Rng(seed, stream);
    try {
      return rng.uniform(n);
    } finally {
      rng.dispose();
    }
  },
});
