// A CLI command: a name, one-line summary, usage text, and a run function over parsed args.
export interface ParsedArgs {
  /** Positional arguments after the command name. */
  positional: string[];
  /** --name value and --flag (true); repeated flags keep the last value. */
  flags: Record<string, string | boolean>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Flags that never take a value (so `--quiet -o out` keeps "-o" as a flag). */
  booleans?: readonly string[];
  run(args: ParsedArgs): Promise<number>;
}

export class UsageError extends Error {}

/** Parse `--key value`, `--key=value` and boolean `--flag` (when followed by another flag or
 *  nothing). Flags listed in `booleans` never take a value. */
export function parseArgs(argv: string[], booleans: ReadonlySet<string> = new Set()): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else {
        const key = a.slice(2);
        const next = argv[i + 1];
        if (!booleans.has(key) && next !== undefined && !next.startsWith("--")) {
          flags[key] = next;
          i++;
        } else flags[key] = true;
      }
    } else if (a.startsWith("-") && a.length === 2 && a !== "-") {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith("-")) {
        flags[a.slice(1)] = next;
        i++;
      } else flags[a.slice(1)] = true;
    } else positional.push(a);
  }
  return { positional, flags };
}

/** A numeric flag with a default and a clear error. */
export function numberFlag(args: ParsedArgs, name: string, dflt?: number): number | undefined {
  const v = args.flags[name];
  if (v === undefined) return dflt;
  const x = typeof v === "string" ? Number(v) : NaN;
  if (!Number.isFinite(x)) throw new UsageError(`--${name} expects a number, got ${JSON.stringify(v)}`);
  return x;
}

/** A string flag with a default. */
export function stringFlag(args: ParsedArgs, name: string, dflt?: string): string | undefined {
  const v = args.flags[name];
  if (v === undefined) return dflt;
  if (typeof v !== "string") throw new UsageError(`--${name} expects a value`);
  return v;
}
