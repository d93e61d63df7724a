// Worker entry script (bundled as dist/worker.js). It imports the package's public entry —
// in dist/ that stays a separate file, so task modules importing "seqlearn" share the same
// engine and registry — and serves the pool.
import * as seqlearn from "../index.js";
import { startWorkerRuntime } from "./runtime.js";

await startWorkerRuntime({
  initSync: (m) => seqlearn.initSync(m),
  init: () => seqlearn.init(),
  memoryBuffer: () => (seqlearn.isInitialised() ? seqlearn.getEngine().exports.memory.buffer : null),
});
