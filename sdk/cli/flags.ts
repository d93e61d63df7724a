// The CLI's one flag parser. A command declares its flags as data (type, range, default, help
// text, aliases, deprecated names); parseFlags() turns argv into typed values, and helpText()
// renders the same declarations, so the help can never disagree with what is accepted.
//
//   const FLAGS = { eps: number({ gt: 0, lt: 1, default: 0.5, metavar: "<ε>", help: "accuracy" }) };
//   const { values, positional } = parseFlags(FLAGS, ["--eps", "0.25", "data.csv"]);
//   values.eps; // 0.25, typed number
//
// Syntax: `--name value`, `--name=value`, `--flag` (booleans), `-x value` (one-letter names),
// `--` ends the options, a lone `-` is a positional argument (stdin). A value flag always takes
// the next argument as its value, unless that argument looks like another long option.
// Every problem is a UsageError naming the flag as the user typed it and what it expects.
import { suggest } from "../core/options.js";
import { clip } from "../core/validate.js";

// Name suggestions are shared with the SDK's option checks.
export { editDistance, suggest } from "../core/options.js";

/** A mistake on the command line: the CLI prints it with the command's usage and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** One declared flag. `T` is the parsed type; `Always` is true when the flag always has a
 *  value after parsing (it has a default or is required). */
export interface Flag<T = unknown, Always extends boolean = boolean> {
  readonly kind: "boolean" | "value";
  readonly help: string;
  /** The value's placeholder in the help ("<g>", "a,b,c", "csv|tsv|jsonl"). */
  readonly metavar: string;
  /** What a valid value is, for messages and the help ("a number > 0"); "" when obvious. */
  readonly expect: string;
  readonly default?: T;
  /** Shown as the default in the help when the default is computed at run time ("1/d"). */
  readonly defaultText?: string;
  /** Other names accepted silently (e.g. "o" for "output"). */
  readonly aliases: readonly string[];
  /** Old names: accepted, with a one-time deprecation warning on stderr. */
  readonly deprecated: readonly string[];
  /** true, or a hint appended to the "is required" message. */
  readonly required?: boolean | string;
  /** Help section. */
  readonly group?: string;
  /** The flag's name on the command line; default: the key, camelCase → kebab-case. */
  readonly name?: string;
  parse(raw: string, flag: string, warn: (key: string, message: string) => void): T;
  /** Phantom: carries `Always` in the type. */
  readonly __always?: Always;
}

export type FlagSet = Record<string, Flag<any, boolean>>;

/** The parsed values of a flag set: T, or T | undefined for flags without default. */
export type Values<F extends FlagSet> = {
  [K in keyof F]: F[K] extends Flag<infer T, infer A> ? (A extends true ? T : T | undefined) : never;
};

interface Common {
  help: string;
  metavar?: string;
  aliases?: readonly string[];
  deprecated?: readonly string[];
  required?: boolean | string;
  group?: string;
  name?: string;
  defaultText?: string;
}

type Out<O, T> = O extends { default: unknown } ? Flag<T, true> : O extends { required: true | string } ? Flag<T, true> : Flag<T, false>;

function make<T>(o: Common & { default?: unknown }, kind: Flag["kind"], metavar: string, expect: string, parse: Flag<T>["parse"]): Flag<T, boolean> {
  return {
    kind,
    help: o.help,
    metavar: o.metavar ?? metavar,
    expect,
    default: o.default as T | undefined,
    defaultText: o.defaultText,
    aliases: o.aliases ?? [],
    deprecated: o.deprecated ?? [],
    required: o.required,
    group: o.group,
    name: o.name,
    parse,
  };
}

// ---- builders ---------------------------------------------------------------------------

export interface NumberOptions extends Common {
  /** Integers only. */
  int?: boolean;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  /** Exclusive bounds. */
  gt?: number;
  lt?: number;
  default?: number;
}

function fmtBound(v: number): string {
  return Number.isFinite(v) ? String(v) : v > 0 ? "∞" : "−∞";
}

/** "a number > 0", "an integer ≥ 1", "a number in (0, 1)", "an integer in [0, 1023]". */
export function describeRange(o: Pick<NumberOptions, "int" | "min" | "max" | "gt" | "lt">): string {
  const what = o.int ? "an integer" : "a number";
  const lo = o.gt !== undefined ? { v: o.gt, open: true } : o.min !== undefined ? { v: o.min, open: false } : null;
  const hi = o.lt !== undefined ? { v: o.lt, open: true } : o.max !== undefined ? { v: o.max, open: false } : null;
  if (lo && hi) return `${what} in ${lo.open ? "(" : "["}${fmtBound(lo.v)}, ${fmtBound(hi.v)}${hi.open ? ")" : "]"}`;
  if (lo) return `${what} ${lo.open ? ">" : "≥"} ${fmtBound(lo.v)}`;
  if (hi) return `${what} ${hi.open ? "<" : "≤"} ${fmtBound(hi.v)}`;
  return what;
}

/** A finite number, optionally an integer, within the given bounds. */
export function number<O extends NumberOptions>(o: O): Out<O, number> {
  const expect = describeRange(o);
  return make<number>(o, "value", o.int ? "<n>" : "<x>", expect, (raw, flag) => {
    const x = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(x)) throw new UsageError(`${flag} expects ${o.int ? "an integer" : "a number"}, got ${JSON.stringify(clip(raw))} (expected ${expect})`);
    if (o.int && !Number.isInteger(x)) throw new UsageError(`${flag} expects an integer, got ${clip(raw)} (expected ${expect})`);
    const fail = (rel: string) => new UsageError(`${flag} must be ${rel}, got ${clip(raw)} (expected ${expect})`);
    if (o.gt !== undefined && !(x > o.gt)) throw fail(`> ${o.gt}`);
    if (o.lt !== undefined && !(x < o.lt)) throw fail(`< ${o.lt}`);
    if (o.min !== undefined && x < o.min) throw fail(`≥ ${o.min}`);
    if (o.max !== undefined && x > o.max) throw fail(`≤ ${o.max}`);
    return x;
  }) as Out<O, number>;
}

export interface StringOptions extends Common {
  default?: string;
}

/** Any non-empty string. */
export function string<O extends StringOptions>(o: O): Out<O, string> {
  return make<string>(o, "value", "<value>", "", (raw, flag) => {
    if (raw === "") throw new UsageError(`${flag} expects a value, got an empty string`);
    return raw;
  }) as Out<O, string>;
}

/** A comma-separated list of non-empty names. */
export function list<O extends Common & { what?: string }>(o: O): Out<O, string[]> {
  const what = o.what ?? "names";
  return make<string[]>(o, "value", "a,b,c", `a comma-separated list of ${what}`, (raw, flag) => {
    const parts = raw.split(",").map((s) => s.trim());
    if (parts.some((p) => p === "")) throw new UsageError(`${flag} expects a comma-separated list of ${what}, got ${JSON.stringify(clip(raw))}`);
    return parts;
  }) as Out<O, string[]>;
}

export interface ChoiceOptions<V extends string> extends Common {
  default?: V;
  /** Old spellings of a value: accepted with a one-time deprecation warning. */
  deprecatedValues?: Readonly<Record<string, V>>;
}

/** One of a fixed set of words. */
export function choice<const V extends string, O extends ChoiceOptions<V>>(values: readonly V[], o: O): Out<O, V> {
  const expect = values.length <= 3 ? `${values.slice(0, -1).join(", ")}${values.length > 1 ? " or " : ""}${values[values.length - 1]}` : `one of ${values.join(", ")}`;
  return make<V>(o, "value", values.join("|"), expect, (raw, flag, warn) => {
    if ((values as readonly string[]).includes(raw)) return raw as V;
    const old = o.deprecatedValues?.[raw];
    if (old !== undefined) {
      warn(`${flag}=${raw}`, `${flag} ${raw} is deprecated; use ${flag} ${old}`);
      return old;
    }
    const near = suggest(raw, values);
    throw new UsageError(`${flag} must be ${expect}, got ${JSON.stringify(clip(raw))}${near.length ? ` (did you mean ${near.join(" or ")}?)` : ""}`);
  }) as Out<O, V>;
}

/** A flag without a value: false unless given. */
export function boolean(o: Omit<Common, "metavar" | "required" | "defaultText">): Flag<boolean, true> {
  return make<boolean>({ ...o, default: false }, "boolean", "", "", () => true) as Flag<boolean, true>;
}

/** A value with its own parser (which throws UsageError naming `flag`). */
export function custom<T, O extends Common & { default?: T; expect?: string }>(parse: (raw: string, flag: string) => T, o: O): Out<O, T> {
  return make<T>(o, "value", "<value>", o.expect ?? "", (raw, flag) => parse(raw, flag)) as Out<O, T>;
}

// ---- declaration helpers ----------------------------------------------------------------

/** The same flag with another help text, default, group or requirement. */
export function withDefault<T>(f: Flag<T, boolean>, value: T, defaultText?: string): Flag<T, true> {
  return { ...f, default: value, defaultText: defaultText ?? f.defaultText } as Flag<T, true>;
}

export function withHelp<T, A extends boolean>(f: Flag<T, A>, help: string, patch: { defaultText?: string; metavar?: string; group?: string } = {}): Flag<T, A> {
  return { ...f, help, ...patch };
}

export function requiredFlag<T>(f: Flag<T, boolean>, hint: boolean | string = true): Flag<T, true> {
  return { ...f, required: hint, default: undefined } as Flag<T, true>;
}

/** The same flags, all in help section `group`. */
export function group<F extends FlagSet>(name: string, flags: F): F {
  const out: Record<string, Flag<any, boolean>> = {};
  for (const [k, f] of Object.entries(flags)) out[k] = { ...f, group: name };
  return out as F;
}

// ---- names and suggestions --------------------------------------------------------------

/** The command-line name of a flag declared under `key`. */
export function flagName(key: string, f: Flag<any, boolean>): string {
  return f.name ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** "-o" for one-letter names, "--name" otherwise. */
export function dashed(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}


// ---- parsing ----------------------------------------------------------------------------

/** Deprecation warnings already printed in this process (each is printed once). */
const WARNED = new Set<string>();

export interface ParseOptions {
  /** Where deprecation warnings go (default: stderr). */
  warn?: (message: string) => void;
  /** The set remembering which warnings were printed (default: one per process). */
  warned?: Set<string>;
  /** Reads the file of a `--config <file>` flag (declared under the key "config"): its
   *  entries fill the flags not given on the command line. */
  readConfig?: (path: string) => Record<string, unknown>;
}

export interface Parsed<F extends FlagSet> {
  positional: string[];
  values: Values<F>;
  /** Keys of the flags given on the command line (under any name). */
  given: ReadonlySet<keyof F & string>;
  /** How each given flag was spelled, with dashes ("--lambda-gamma"), for messages. */
  spelled: Readonly<Partial<Record<keyof F & string, string>>>;
}

interface Entry {
  key: string;
  flag: Flag<any, boolean>;
  /** The current name, when this entry is a deprecated one. */
  replacement?: string;
}

function stderrWrite(message: string): void {
  const p = (globalThis as { process?: { stderr?: { write(s: string): unknown } } }).process;
  if (p?.stderr) p.stderr.write(message + "\n");
  else console.warn(message);
}

/** Names a command accepts: current names and aliases, then deprecated names. */
function table(flags: FlagSet): Map<string, Entry> {
  const byName = new Map<string, Entry>();
  const add = (name: string, e: Entry) => {
    if (byName.has(name)) throw new Error(`flag name ${dashed(name)} is declared twice`);
    byName.set(name, e);
  };
  for (const [key, flag] of Object.entries(flags)) {
    const name = flagName(key, flag);
    add(name, { key, flag });
    for (const a of flag.aliases) add(a, { key, flag });
  }
  for (const [key, flag] of Object.entries(flags)) {
    for (const old of flag.deprecated) add(old, { key, flag, replacement: flagName(key, flag) });
  }
  return byName;
}

/** Parse argv against declared flags. Throws UsageError for unknown flags (with the closest
 *  names), missing or malformed values, values out of range, a flag given under two names with
 *  different values, a deprecated name together with the current one, and missing required
 *  flags. Flags not given take their default. */
export function parseFlags<F extends FlagSet>(flags: F, argv: readonly string[], opts: ParseOptions = {}): Parsed<F> {
  const byName = table(flags);
  const warned = opts.warned ?? WARNED;
  const sink = opts.warn ?? stderrWrite;
  const warn = (key: string, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    sink(`seqlearn: warning: ${message}`);
  };
  const positional: string[] = [];
  const values: Record<string, unknown> = {};
  const raws: Record<string, { raw: string; spelled: string; deprecated: boolean }> = {};
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    let name: string;
    let inline: string | undefined;
    if (a.startsWith("--") && a.length > 2) {
      const eq = a.indexOf("=");
      name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq > 0 ? a.slice(eq + 1) : undefined;
    } else if (a.length === 2 && a[0] === "-" && a !== "--" && !/[0-9.]/.test(a[1])) {
      name = a.slice(1);
    } else {
      positional.push(a);
      continue;
    }
    const typed = a.startsWith("--") ? `--${name}` : `-${name}`;
    const e = byName.get(name);
    if (!e) {
      // Suggest current names, also for a near miss of an alias or an old name.
      const near = name.length < 2 ? [] : [...new Set(suggest(name, [...byName.keys()]).map((n) => {
        const x = byName.get(n)!;
        return dashed(flagName(x.key, x.flag));
      }))];
      throw new UsageError(`unknown option ${clip(typed)}${near.length ? ` (did you mean ${near.join(" or ")}?)` : ""}`);
    }
    if (e.replacement !== undefined) warn(name, `${dashed(name)} is deprecated; use ${dashed(e.replacement)}`);
    let raw: string;
    if (e.flag.kind === "boolean") {
      if (inline !== undefined) throw new UsageError(`${typed} takes no value, got ${JSON.stringify(clip(inline))}`);
      raw = "";
    } else if (inline !== undefined) raw = inline;
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`${typed} expects a value${e.flag.expect ? ` (${e.flag.expect})` : e.flag.metavar ? ` ${e.flag.metavar}` : ""}`);
      raw = next;
      i++;
    }
    const value = e.flag.parse(raw, typed, warn);
    const prev = raws[e.key];
    const deprecated = e.replacement !== undefined;
    if (prev && prev.spelled !== typed) {
      if (prev.deprecated !== deprecated) {
        const [oldName, newName] = deprecated ? [typed, prev.spelled] : [prev.spelled, typed];
        throw new UsageError(`${oldName} is the old name of ${newName}; give ${newName} only`);
      }
      if (prev.raw !== raw) throw new UsageError(`${prev.spelled} and ${typed} are the same option; give one`);
    }
    raws[e.key] = { raw, spelled: typed, deprecated };
    values[e.key] = value;
    given.add(e.key);
  }
  // A config file fills what the command line left out: the command line wins.
  const configPath = values.config;
  if (typeof configPath === "string" && opts.readConfig) {
    applyConfig(configPath, opts.readConfig(configPath), byName, (key, value, spelledAs, deprecated) => {
      if (given.has(key)) return;
      values[key] = value;
      given.add(key);
      raws[key] = { raw: "", spelled: spelledAs, deprecated };
    }, warn);
  }
  for (const [key, flag] of Object.entries(flags)) {
    if (given.has(key)) continue;
    if (flag.required) {
      const hint = typeof flag.required === "string" ? ` ${flag.required}` : "";
      throw new UsageError(`${displayName(key, flag)}${flag.metavar ? ` ${flag.metavar}` : ""}${hint} is required`);
    }
    values[key] = flag.default;
  }
  const spelled: Record<string, string> = {};
  for (const [k, r] of Object.entries(raws)) spelled[k] = r.spelled;
  return { positional, values: values as Values<F>, given: given as Set<keyof F & string>, spelled: spelled as Parsed<F>["spelled"] };
}

/** The entries of a config file as flag values: keys are flag names ("max-dictionary", or
 *  "maxDictionary"), values JSON numbers, strings, booleans (for flags without a value) or
 *  arrays (lists). Each value goes through its flag's own parser, so ranges and choices are
 *  checked as on the command line. */
function applyConfig(
  path: string, config: Record<string, unknown>, byName: Map<string, Entry>,
  set: (key: string, value: unknown, spelled: string, deprecated: boolean) => void, warn: (key: string, message: string) => void,
): void {
  const known = new Map<string, Entry>();
  for (const [name, e] of byName) {
    known.set(name, e);
    if (e.replacement === undefined) known.set(e.key, e);
  }
  for (const [name, v] of Object.entries(config)) {
    const e = known.get(name);
    const where = `"${name}" in ${path}`;
    if (!e || e.key === "config") {
      const near = suggest(name, [...known.keys()].filter((k) => k !== "config"));
      throw new UsageError(`${where}: unknown option${near.length ? ` (did you mean ${near.map((n) => JSON.stringify(n)).join(" or ")}?)` : ""}`);
    }
    if (e.replacement !== undefined) warn(name, `${where}: "${name}" is deprecated; use "${e.replacement}"`);
    let raw: string;
    if (e.flag.kind === "boolean") {
      if (typeof v !== "boolean") throw new UsageError(`${where} must be true or false, got ${JSON.stringify(v)}`);
      if (!v) continue;
      raw = "";
    } else if (typeof v === "number" || typeof v === "string") raw = String(v);
    else if (Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number")) raw = v.join(",");
    else throw new UsageError(`${where} must be a number, a string or a list, got ${v === null ? "null" : typeof v}`);
    set(e.key, e.flag.parse(raw, where, warn), where, e.replacement !== undefined);
  }
}

/** The short form when there is one ("-o"), else "--name". */
function displayName(key: string, f: Flag<any, boolean>): string {
  const short = f.aliases.find((a) => a.length === 1);
  return dashed(short ?? flagName(key, f));
}

// ---- help -------------------------------------------------------------------------------

export interface HelpSource {
  name: string;
  summary: string;
  /** The usage line(s), starting with "seqlearn <name>". */
  synopsis: string;
  /** Free text shown between the usage line and the options. */
  description?: readonly string[];
  flags: FlagSet;
}

function defaultOf(f: Flag<any, boolean>): string | null {
  if (f.defaultText !== undefined) return f.defaultText;
  if (f.kind === "boolean" || f.default === undefined) return null;
  return Array.isArray(f.default) ? f.default.join(",") : String(f.default);
}

/** Width of the help text. */
const HELP_WIDTH = 100;

/** Columns a string takes on a terminal (combining marks take none: "q̄" is one). */
function visible(s: string): number {
  return s.replace(/[\u0300-\u036f]/g, "").length;
}

/** Split text into lines of at most `width` columns, at spaces. */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const w of text.split(" ")) {
    if (line && visible(line) + 1 + visible(w) > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  out.push(line);
  return out;
}

/** The left column of a flag's help line: "-o, --output <file>". */
export function flagLabel(key: string, f: Flag<any, boolean>): string {
  const name = flagName(key, f);
  const names = [...f.aliases.filter((a) => a.length === 1), name, ...f.aliases.filter((a) => a.length > 1)].map(dashed);
  return `${names.join(", ")}${f.metavar ? ` ${f.metavar}` : ""}`;
}

/** The help of a command, generated from its declarations: summary, usage, description,
 *  then each help section with one line per flag (names, value, text, range, default), then
 *  the deprecated names still accepted. */
export function helpText(c: HelpSource): string {
  const lines = [c.summary, "", `usage: ${c.synopsis}`];
  if (c.description?.length) lines.push("", ...c.description);
  const groups = new Map<string, Array<[string, Flag<any, boolean>]>>();
  for (const [key, f] of Object.entries(c.flags)) {
    const g = f.group ?? "options";
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push([key, f]);
  }
  const labels = Object.entries(c.flags).map(([k, f]) => flagLabel(k, f));
  const width = Math.min(30, Math.max(0, ...labels.map(visible)));
  const indent = " ".repeat(width + 4);
  for (const [g, fs] of groups) {
    lines.push("", `${g}:`);
    for (const [key, f] of fs) {
      const facts: string[] = [];
      if (f.required) facts.push("required");
      if (f.expect && f.kind === "value" && !f.metavar.includes("|")) facts.push(f.expect);
      const dflt = defaultOf(f);
      if (dflt !== null) facts.push(`default ${dflt}`);
      const text = `${f.help}${facts.length ? ` (${facts.join("; ")})` : ""}`;
      const label = flagLabel(key, f);
      const body = wrap(text, HELP_WIDTH - indent.length);
      if (visible(label) > width) lines.push(`  ${label}`, ...body.map((l) => indent + l));
      else lines.push(`  ${label}${" ".repeat(width - visible(label))}  ${body[0]}`, ...body.slice(1).map((l) => indent + l));
    }
  }
  const old = Object.entries(c.flags).filter(([, f]) => f.deprecated.length);
  if (old.length) {
    lines.push("", "deprecated names (still accepted, with a warning):");
    for (const [key, f] of old) lines.push(`  ${f.deprecated.map(dashed).join(", ")} → ${dashed(flagName(key, f))}`);
  }
  return lines.join("\n");
}
