// Entry of the `seqlearn` executable (bundled into dist/cli.js): runs the CLI on the process
// arguments and exits with its code. The CLI writes through sdk/cli/term.ts (synchronous
// writes; a closed standard output ends the command quietly); the handler below covers
// anything written through process.stdout itself.
import { runCli } from "./app.js";

process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

runCli(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  // Not a seqlearn error, a usage mistake or a file problem (those are one line): a bug.
  console.error(`seqlearn: internal error (please report it): ${err?.stack ?? err}`);
  process.exit(70);
});
