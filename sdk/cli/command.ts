// A CLI command: a name, a one-line summary, a usage line, its declared flags, and a run
// function over the parsed, typed values. Commands only parse, call the SDK and print.
import { parseFlags, helpText, UsageError, type FlagSet, type Parsed, type ParseOptions } from "./flags.js";

export { UsageError };

export interface Command<F extends FlagSet = FlagSet> {
  name: string;
  summary: string;
  /** The usage line(s), starting with "seqlearn <name>". */
  synopsis: string;
  /** Free text shown in the help between the usage line and the options. */
  description?: readonly string[];
  flags: F;
  run(args: Parsed<F>): Promise<number>;
}

/** Declare a command (only for type inference of `run`'s argument). */
export function command<F extends FlagSet>(c: Command<F>): Command<F> {
  return c;
}

/** Parse argv against the command's flags and run it. Throws UsageError on a usage mistake. */
export async function invoke<F extends FlagSet>(cmd: Command<F>, argv: readonly string[], opts?: ParseOptions): Promise<number> {
  return cmd.run(parseFlags(cmd.flags, argv, opts));
}

/** The command's help text, generated from its declarations. */
export function commandHelp(cmd: Command<any>): string {
  return helpText(cmd);
}
