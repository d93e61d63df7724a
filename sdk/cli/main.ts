// The `seqlearn` command: a dispatcher over sdk/cli/commands/*. Register a command with
// one import and one entry in COMMANDS.
import { parseArgs, UsageError, type Command } from "./command.js";
import { SeqlearnError } from "../index.js";
import { version } from "../version.js";
import { info } from "./commands/info.js";
import { fit } from "./commands/fit.js";
import { predict } from "./commands/predict.js";
import { rls } from "./commands/rls.js";
import { tour } from "./commands/tour.js";
import { leaf, merge, tree, inspect } from "./commands/disqueak.js";
import { game } from "./commands/game.js";

const COMMANDS: Command[] = [
  info,
  fit,
  predict,
  rls,
  tour,
  leaf,
  merge,
  tree,
  inspect,
  game,
];

function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length), 4);
  return [
    `seqlearn ${version}`,
    "usage: seqlearn <command> [options]      (seqlearn help <command> for details)",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    `  ${"help".padEnd(w)}  this message`,
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const name = argv[0] ?? "help";
  if (name === "help" || name === "--help" || name === "-h") {
    const c = COMMANDS.find((x) => x.name === argv[1]);
    console.log(c ? `${c.summary}\n\nusage: ${c.usage}` : usage());
    return 0;
  }
  if (name === "--version" || name === "-v") {
    console.log(version);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    console.error(`seqlearn: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  let args;
  try {
    const booleans = new Set([...(cmd.booleans ?? []), "help", "h"]);
    args = parseArgs(argv.slice(1), booleans);
    for (const b of booleans) {
      if (typeof args.flags[b] === "string") throw new UsageError(`--${b} takes no value, got ${JSON.stringify(args.flags[b])}`);
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`seqlearn ${cmd.name}: ${err.message}\nusage: ${cmd.usage}`);
    return 2;
  }
  if (args.flags.help || args.flags.h) {
    console.log(`${cmd.summary}\n\nusage: ${cmd.usage}`);
    return 0;
  }
  try {
    return await cmd.run(args);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`seqlearn ${cmd.name}: ${err.message}\nusage: ${cmd.usage}`);
      return 2;
    }
    if (err instanceof SeqlearnError) {
      console.error(`seqlearn ${cmd.name}: ${err.name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error(`seqlearn: ${err?.stack ?? err}`);
  process.exit(1);
});
