// The `seqlearn` command: a dispatcher over sdk/cli/commands/*. Register a command with one
// import and one entry in COMMANDS. main.ts runs it on process.argv.
import { invoke, commandHelp, UsageError, type Command } from "./command.js";
import { SeqlearnError } from "../engine/errors.js";
import { version } from "../version.js";
import type { ParseOptions } from "./flags.js";
import { FileError, fsReason, isFsError } from "./files.js";
import { clip } from "../core/validate.js";
import { PROCESS_TERM, StdoutClosed, withTerm, out as termOut, err as termErr } from "./term.js";
import { info } from "./commands/info.js";
import { fit } from "./commands/fit.js";
import { predict } from "./commands/predict.js";
import { rls } from "./commands/rls.js";
import { tour } from "./commands/tour.js";
import { leaf, merge, tree, inspect } from "./commands/disqueak.js";
import { game } from "./commands/game.js";
import { worker } from "./commands/worker.js";
import { experiment } from "./commands/experiment.js";
import { graphLeaf, graphMerge, graphTree, graphInspect, resistances, wantsGraph } from "./commands/gsqueak.js";
import { sparsifyCommand, ssl } from "./commands/sparsify.js";
import { lmTrain, lmSample } from "./commands/lm.js";
import { alignCommand, distill } from "./commands/align.js";

// A name of two words ("lm train") is a command group's subcommand: `seqlearn lm train …`.
export const COMMANDS: readonly Command<any>[] = [
  info, fit, predict, rls, tour, leaf, merge, tree, inspect, worker, game, resistances, sparsifyCommand, ssl,
  lmTrain, lmSample, alignCommand, distill, experiment,
];

/** The graph (GSQUEAK) variants of the tree commands, run instead of the kernel ones when the
 *  command line says --graph or (merge, inspect) the first input is a sparsifier file. */
export const GRAPH_VARIANTS: Readonly<Record<string, Command<any>>> = { leaf: graphLeaf, merge: graphMerge, tree: graphTree, inspect: graphInspect };

/** The command named by the first one or two words of argv from `from` (its graph variant
 *  when the arguments after it ask for one), and how many words it took. */
function findCommand(argv: readonly string[], from = 0): { cmd: Command<any> | undefined; words: number } {
  const two = COMMANDS.find((c) => argv.length > from + 1 && c.name === `${argv[from]} ${argv[from + 1]}`);
  if (two) return { cmd: two, words: 2 };
  const name = argv[from];
  const cmd = COMMANDS.find((c) => c.name === name);
  const g = name !== undefined && Object.prototype.hasOwnProperty.call(GRAPH_VARIANTS, name) ? GRAPH_VARIANTS[name] : undefined;
  return { cmd: g && wantsGraph(argv.slice(from + 1)) ? g : cmd, words: 1 };
}

/** "seqlearn lm: expected train or sample" for a group name without (or with an unknown) subcommand. */
function groupHint(name: string | undefined): string | null {
  const subs = COMMANDS.filter((c) => name !== undefined && c.name.startsWith(`${name} `)).map((c) => c.name.slice(name!.length + 1));
  return subs.length ? `seqlearn ${name}: expected a subcommand: ${subs.join(" or ")} (seqlearn help ${name} ${subs[0]})` : null;
}

function helpOf(c: Command<any>): string {
  const g = Object.prototype.hasOwnProperty.call(GRAPH_VARIANTS, c.name) ? GRAPH_VARIANTS[c.name] : undefined;
  if (!g || g === c) return commandHelp(c);
  return `${commandHelp(c)}\n\nFor graphs (GSQUEAK sparsifier files): seqlearn help ${c.name} --graph`;
}

export function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length), 4);
  return [
    `seqlearn ${version}`,
    "usage: seqlearn <command> [options]      (seqlearn help <command> for details)",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    `  ${"help".padEnd(w)}  this message`,
    "",
    "leaf, merge, tree and inspect also build graph sparsifiers (GSQUEAK): add --graph (merge and inspect",
    "recognise sparsifier files by themselves); seqlearn help leaf --graph.",
  ].join("\n");
}

export interface CliIo extends ParseOptions {
  /** Lines to standard output (default: the process's). */
  out?: (s: string) => void;
  /** Raw text to standard output (default: `out` without the last newline, else the process's). */
  write?: (s: string) => void;
  /** Lines to standard error (default: the process's). */
  err?: (s: string) => void;
}

/** Run the CLI on argv (without the program name); resolves to the exit code: 0 success (also
 *  when standard output was closed by its reader), 1 a data, parameter or file error (one line
 *  on stderr), 2 a usage mistake. */
export async function runCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const write = io.write ?? (io.out ? (s: string) => io.out!(s.endsWith("\n") ? s.slice(0, -1) : s) : PROCESS_TERM.write);
  return withTerm({ write, out: io.out ?? PROCESS_TERM.out, err: io.err ?? PROCESS_TERM.err }, () => dispatch(argv, io));
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const out = (s: string) => termOut(s);
  const err = (s: string) => termErr(s);
  try {
    return await dispatchCommand(argv, io, out, err);
  } catch (e) {
    if (e instanceof StdoutClosed) return 0; // `seqlearn … | head`: the reader has what it wanted
    throw e;
  }
}

async function dispatchCommand(argv: readonly string[], io: CliIo, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const name = argv[0] ?? "help";
  if (name === "help" || name === "--help" || name === "-h") {
    const c = findCommand(argv, 1).cmd;
    if (argv[1] !== undefined && !c) {
      const hint = groupHint(argv[1]);
      if (hint) {
        err(hint);
        return 2;
      }
      err(`seqlearn: unknown command ${JSON.stringify(clip(argv[1]))}\n\n${usage()}`);
      return 2;
    }
    out(c ? helpOf(c) : usage());
    return 0;
  }
  if (name === "--version" || name === "-v") {
    out(version);
    return 0;
  }
  const { cmd, words } = findCommand(argv);
  const rest = argv.slice(words);
  if (!cmd) {
    const hint = groupHint(name);
    if (hint) {
      err(hint);
      return 2;
    }
    err(`seqlearn: unknown command ${JSON.stringify(clip(name))}\n\n${usage()}`);
    return 2;
  }
  const end = rest.indexOf("--");
  if ((end < 0 ? rest : rest.slice(0, end)).some((a) => a === "--help" || a === "-h")) {
    out(helpOf(cmd));
    return 0;
  }
  try {
    return await invoke(cmd, rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`seqlearn ${cmd.name}: ${e.message}\nusage: ${cmd.synopsis}\n(seqlearn help ${cmd.name} lists every option)`);
      return 2;
    }
    if (e instanceof StdoutClosed) throw e;
    if (e instanceof FileError) {
      err(`seqlearn ${cmd.name}: ${e.message}`);
      return 1;
    }
    if (e instanceof SeqlearnError) {
      err(`seqlearn ${cmd.name}: ${e.name}: ${e.message}`);
      return 1;
    }
    // A filesystem error no command turned into a FileError: still one line, with the path.
    if (isFsError(e)) {
      err(`seqlearn ${cmd.name}: ${e.path ? `${e.path}: ` : ""}${fsReason(e)}`);
      return 1;
    }
    throw e;
  }
}
