// Deno driver: `deno run --allow-read test/runtime/deno.mjs` prints one JSON SuiteReport.
import { runSuite } from "../../dist-test/suite/core-suite.js";

console.log(JSON.stringify(await runSuite()));
