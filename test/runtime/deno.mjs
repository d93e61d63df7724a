// Deno driver: `deno run --allow-read test/runtime/deno.mjs` prints one JSON SuiteReport.
import { runSuite } from "../../dist-test/core-suite.js";

console.log(JSON.stringify(await runSuite()));
