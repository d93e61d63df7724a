// Entry of the `seqlearn` executable (bundled into dist/cli.js): runs the CLI on the process
// arguments and exits with its code.
import { runCli } from "./app.js";

runCli(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error(`seqlearn: ${err?.stack ?? err}`);
  process.exit(1);
});
