// A CLI command: a name, a one-line summary, a usage line, its declared flags, and a run
// function over the parsed, typed values. Commands only parse, call the SDK and print.
// Every command also takes `--config <file.json>`: a JSON object of flag values that fills
// what the command line leaves out (flags given on the command line win).
import { readFileSync } from "node:fs";
import { parseFlags, helpText, string, UsageError, type FlagSet, type Parsed, type ParseOptions } from "./flags.js";
import { FileError, fsReason } from "./files.js";

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

/** The flag every command has: options from a JSON file. */
export const CONFIG_FLAG = string({
  metavar: "<file.json>", group: "options",
  help: "read options from a JSON object of flag names and values ({\"gamma\": 0.5, \"max-dictionary\": 500}); flags on the command line win",
});

/** Read a --config file: a JSON object. Problems are one line naming the file. */
export function readConfig(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new FileError(`--config ${path}: ${fsReason(e)}`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config ${path} is not valid JSON (${(e as Error).message.slice(0, 120)})`);
  }
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) throw new UsageError(`--config ${path} must hold a JSON object of options, like {"gamma": 0.5}`);
  return obj as Record<string, unknown>;
}

/** The flags of a command with --config added. */
function withConfig<F extends FlagSet>(flags: F): F {
  return { ...flags, config: CONFIG_FLAG };
}

/** Parse argv against the command's flags (and a --config file) and run it. Throws
 *  UsageError on a usage mistake. */
export async function invoke<F extends FlagSet>(cmd: Command<F>, argv: readonly string[], opts?: ParseOptions): Promise<number> {
  return cmd.run(parseFlags(withConfig(cmd.flags), argv, { readConfig, ...opts }) as Parsed<F>);
}

/** The command's help text, generated from its declarations. */
export function commandHelp(cmd: Command<any>): string {
  return helpText({ ...cmd, flags: withConfig(cmd.flags) });
}
