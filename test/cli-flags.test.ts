// The CLI's flag parser (sdk/cli/flags.ts) and the dispatcher (sdk/cli/app.ts): typed and
// range-checked values, "did you mean" for unknown flags, deprecated names with a one-time
// warning, and help generated from the declarations.
import { describe, it, expect } from "vitest";
import {
  parseFlags, helpText, number, string, list, choice, boolean, custom, requiredFlag, withDefault, group,
  suggest, editDistance, describeRange, flagName, flagLabel, dashed, UsageError, type FlagSet,
} from "../sdk/cli/flags.js";
import { runCli, COMMANDS } from "../sdk/cli/app.js";
import { commandHelp } from "../sdk/cli/command.js";
import { fit } from "../sdk/cli/commands/fit.js";
import { game } from "../sdk/cli/commands/game.js";
import { leaf } from "../sdk/cli/commands/disqueak.js";
import { KERNEL, DICTIONARY, RIDGE, CENTRES, kernelFromFlags, tableOptions, centresFromFlags } from "../sdk/cli/options.js";

const FLAGS = {
  gamma: number({ gt: 0, metavar: "<g>", help: "kernel width" }),
  lambda: number({ gt: 0, metavar: "<λ>", deprecated: ["lambda-gamma", "rls-ridge"], help: "leverage-score ridge" }),
  eps: number({ gt: 0, lt: 1, default: 0.5, help: "accuracy" }),
  qbar: number({ int: true, min: 1, help: "copies" }),
  workers: number({ int: true, min: 0, max: 1024, help: "threads" }),
  maxDictionary: number({ int: true, min: 1, help: "budget" }),
  method: choice(["squeak", "ink", "uniform", "exact"], { default: "squeak", help: "centres" }),
  init: choice(["random", "reference"], { default: "random", deprecatedValues: { mu: "reference" }, help: "start" }),
  output: string({ aliases: ["o"], metavar: "<file>", help: "output" }),
  features: list({ help: "columns", what: "column names" }),
  quiet: boolean({ help: "quiet" }),
};

/** Parse with a private warning sink; returns the values and the warnings printed. */
function parse<F extends FlagSet = typeof FLAGS>(argv: string[], flags: F = FLAGS as FlagSet as F) {
  const warnings: string[] = [];
  const r = parseFlags(flags, argv, { warn: (m) => warnings.push(m), warned: new Set() });
  return { ...r, warnings };
}
const usage = (argv: string[], flags: FlagSet = FLAGS) => () => parse(argv, flags);

describe("flag parsing", () => {
  it("typed values, defaults, aliases, --name=value and positionals", () => {
    const r = parse(["data.csv", "--gamma", "0.25", "--eps=0.1", "-o", "m.json", "--quiet", "--features", "a, b", "-", "--", "--not-a-flag"]);
    expect(r.positional).toEqual(["data.csv", "-", "--not-a-flag"]);
    expect(r.values).toEqual({
      gamma: 0.25, lambda: undefined, eps: 0.1, qbar: undefined, workers: undefined, maxDictionary: undefined, method: "squeak", init: "random",
      output: "m.json", features: ["a", "b"], quiet: true,
    });
    expect([...r.given].sort()).toEqual(["eps", "features", "gamma", "output", "quiet"]);
    expect(r.spelled.output).toBe("-o");
    // camelCase keys are kebab-case on the command line; a negative number is a value
    expect(parse(["--max-dictionary", "7"]).values.maxDictionary).toBe(7);
    expect(flagName("maxDictionary", FLAGS.maxDictionary)).toBe("max-dictionary");
    expect(parse(["--coef0", "-1"], { coef0: number({ help: "" }) }).values.coef0).toBe(-1);
    expect(r.warnings).toEqual([]);
  });

  it("unknown flags name the closest declared flag (edit distance, transpositions, prefixes)", () => {
    expect(usage(["--gama", "1"])).toThrow(UsageError);
    expect(usage(["--gama", "1"])).toThrow(/^unknown option --gama \(did you mean --gamma\?\)$/);
    expect(usage(["--lamda", "1"])).toThrow(/did you mean --lambda\?/);
    expect(usage(["--qabr", "3"])).toThrow(/did you mean --qbar\?/);
    expect(usage(["--max-dict", "3"])).toThrow(/did you mean --max-dictionary\?/);
    // a near miss of an old name suggests the current one
    expect(usage(["--lambda-gama", "1"])).toThrow(/did you mean --lambda\?/);
    expect(usage(["--outptu", "x"])).toThrow(/did you mean --output\?/);
    // nothing close: no suggestion
    expect(usage(["--bogus", "1"])).toThrow(/^unknown option --bogus$/);
    expect(usage(["-x"])).toThrow(/^unknown option -x$/);
    expect(suggest("gama", ["gamma", "beta", "eps"])).toEqual(["gamma"]);
    expect(suggest("bogus", ["gamma", "beta", "eps"])).toEqual([]);
    expect(editDistance("qbar", "qabr")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("values out of range or of the wrong type name the flag and what it expects", () => {
    expect(usage(["--eps", "1.5"])).toThrow(/^--eps must be < 1, got 1\.5 \(expected a number in \(0, 1\)\)$/);
    expect(usage(["--eps", "0"])).toThrow(/--eps must be > 0, got 0/);
    expect(usage(["--gamma", "-2"])).toThrow(/--gamma must be > 0, got -2 \(expected a number > 0\)/);
    expect(usage(["--qbar", "0"])).toThrow(/--qbar must be ≥ 1, got 0 \(expected an integer ≥ 1\)/);
    expect(usage(["--qbar", "2.5"])).toThrow(/--qbar expects an integer, got 2\.5/);
    expect(usage(["--workers", "2000"])).toThrow(/--workers must be ≤ 1024, got 2000 \(expected an integer in \[0, 1024\]\)/);
    expect(usage(["--gamma", "abc"])).toThrow(/--gamma expects a number, got "abc"/);
    expect(usage(["--gamma", ""])).toThrow(/--gamma expects a number, got ""/);
    expect(usage(["--gamma", "Infinity"])).toThrow(/--gamma expects a number/);
    expect(usage(["--method", "magic"])).toThrow(/--method must be one of squeak, ink, uniform, exact, got "magic"/);
    expect(usage(["--method", "exatc"])).toThrow(/\(did you mean exact\?\)/);
    expect(usage(["--features", "a,,b"])).toThrow(/--features expects a comma-separated list of column names/);
    expect(usage(["--gamma"])).toThrow(/--gamma expects a value \(a number > 0\)/);
    expect(usage(["--gamma", "--quiet"])).toThrow(/--gamma expects a value/);
    expect(usage(["--quiet=yes"])).toThrow(/--quiet takes no value, got "yes"/);
    // the message names the flag as it was typed
    expect(usage(["--lambda-gamma", "0"])).toThrow(/^--lambda-gamma must be > 0/);
    expect(describeRange({ int: true, min: 0, max: 1023 })).toBe("an integer in [0, 1023]");
    expect(describeRange({ gt: 0 })).toBe("a number > 0");
    expect(describeRange({})).toBe("a number");
  });

  it("a flag under two names must agree; the last of one name wins", () => {
    expect(parse(["--gamma", "1", "--gamma", "2"]).values.gamma).toBe(2);
    expect(parse(["-o", "a", "--output", "a"]).values.output).toBe("a");
    expect(usage(["-o", "a", "--output", "b"])).toThrow(/-o and --output are the same option; give one/);
  });

  it("required flags: a clear message with the value's placeholder", () => {
    const F = { target: requiredFlag(string({ metavar: "<column>", help: "" })), output: requiredFlag(string({ aliases: ["o"], metavar: "<m.json>", help: "" }), "(where to write)") };
    expect(usage([], F)).toThrow(/^--target <column> is required$/);
    expect(usage(["--target", "y"], F)).toThrow(/^-o <m\.json> \(where to write\) is required$/);
    expect(parse(["--target", "y", "-o", "m"], F).values).toEqual({ target: "y", output: "m" });
  });
});

describe("deprecated names", () => {
  it("are accepted for the current flag, with one warning on stderr however often they are given", () => {
    const r = parse(["--lambda-gamma", "0.5", "--lambda-gamma", "0.5", "--quiet"]);
    expect(r.values.lambda).toBe(0.5);
    expect(r.given.has("lambda")).toBe(true);
    expect(r.warnings).toEqual(["seqlearn: warning: --lambda-gamma is deprecated; use --lambda"]);
    const s = parse(["--rls-ridge", "2"]);
    expect(s.values.lambda).toBe(2);
    expect(s.warnings).toEqual(["seqlearn: warning: --rls-ridge is deprecated; use --lambda"]);
    // once per process: a shared set remembers what was printed
    const warned = new Set<string>(), out: string[] = [];
    parseFlags(FLAGS, ["--lambda-gamma", "1"], { warn: (m) => out.push(m), warned });
    parseFlags(FLAGS, ["--lambda-gamma", "1"], { warn: (m) => out.push(m), warned });
    expect(out.length).toBe(1);
  });

  it("giving the old and the new name together is an error, whatever the values", () => {
    expect(usage(["--lambda", "1", "--lambda-gamma", "1"])).toThrow(/^--lambda-gamma is the old name of --lambda; give --lambda only$/);
    expect(usage(["--rls-ridge", "1", "--lambda", "2"])).toThrow(/--rls-ridge is the old name of --lambda/);
  });

  it("old spellings of a value are mapped, with a warning", () => {
    const r = parse(["--init", "mu"]);
    expect(r.values.init).toBe("reference");
    expect(r.warnings).toEqual(["seqlearn: warning: --init mu is deprecated; use --init reference"]);
    expect(usage(["--init", "nu"])).toThrow(/--init must be random or reference, got "nu"/);
  });

  it("the renamed CLI flags: --lambda-gamma/--rls-ridge → --lambda, --mu → --ridge, game --gamma → --mixture", () => {
    const dict = { ...DICTIONARY, ...RIDGE };
    const w = parse(["--mu", "0.1", "--lambda-gamma", "0.01"], dict);
    expect(w.values.ridge).toBe(0.1);
    expect(w.values.lambda).toBe(0.01);
    expect(w.warnings).toEqual(["seqlearn: warning: --mu is deprecated; use --ridge", "seqlearn: warning: --lambda-gamma is deprecated; use --lambda"]);
    const g = parse(["--gamma", "0.25"], game.flags);
    expect(g.values.mixture).toBe(0.25);
    expect(g.warnings).toEqual(["seqlearn: warning: --gamma is deprecated; use --mixture"]);
    // --gamma stays the kernel width wherever there is a kernel
    const k = parse(["--gamma", "0.25", "--target", "y", "-o", "m.json"], fit.flags);
    expect(k.values.gamma).toBe(0.25);
    expect(k.warnings).toEqual([]);
    expect(usage(["--mixture", "1.5"], game.flags)).toThrow(/--mixture must be ≤ 1/);
  });
});

describe("help generated from the declarations", () => {
  it("lists every flag with its value, range, default and old names, grouped", () => {
    const F = {
      ...group("input", {
        alpha: withDefault(number({ gt: 0, metavar: "<a>", help: "the alpha" }), 2),
        mode: choice(["x", "y"], { default: "x", help: "the mode" }),
      }),
      beta: number({ int: true, min: 1, metavar: "<b>", deprecated: ["old-beta"], help: "the beta", defaultText: "n/2" }),
      verbose: boolean({ help: "talk more" }),
    };
    expect(helpText({ name: "demo", summary: "a demo", synopsis: "seqlearn demo [options]", description: ["One line."], flags: F })).toBe([
      "a demo",
      "",
      "usage: seqlearn demo [options]",
      "",
      "One line.",
      "",
      "input:",
      "  --alpha <a>  the alpha (a number > 0; default 2)",
      "  --mode x|y   the mode (default x)",
      "",
      "options:",
      "  --beta <b>   the beta (an integer ≥ 1; default n/2)",
      "  --verbose    talk more",
      "",
      "deprecated names (still accepted, with a warning):",
      "  --old-beta → --beta",
    ].join("\n"));
  });

  it("every command's help shows each of its flags, and the dispatcher prints it", async () => {
    for (const c of COMMANDS) {
      const h = commandHelp(c);
      expect(h.startsWith(`${c.summary}\n\nusage: seqlearn ${c.name}`)).toBe(true);
      for (const [key, f] of Object.entries(c.flags as FlagSet)) {
        expect(h, `${c.name} ${key}`).toContain(`  ${flagLabel(key, f)}`);
        for (const old of f.deprecated) expect(h).toContain(dashed(old));
      }
    }
    const h = commandHelp(fit);
    expect(h).toMatch(/--ridge <μ>\s+KRR ridge/);
    expect(h).toMatch(/--lambda <λ>\s+ridge of the leverage scores/);
    expect(h).toMatch(/--eps <ε>\s+accuracy of the estimated scores \(a number in \(0, 1\); default 0\.5\)/);
    expect(h).toContain("--mu → --ridge");
    expect(h).toContain("--lambda-gamma, --rls-ridge → --lambda");
    expect(commandHelp(leaf)).toMatch(/--lambda <λ>.*\(required; a number > 0\)/s);
    for (const argv of [["help", "fit"], ["fit", "--help"], ["fit", "-h", "--gama", "1"]]) {
      const out: string[] = [];
      expect(await runCli(argv, { out: (s) => out.push(s) })).toBe(0);
      expect(out.join("\n")).toBe(h);
    }
    const out: string[] = [], err: string[] = [];
    expect(await runCli(["help", "nope"], { out: (s) => out.push(s), err: (s) => err.push(s) })).toBe(2);
    expect(err.join("\n")).toMatch(/unknown command "nope"/);
  });
});

describe("the dispatcher", () => {
  it("a usage mistake exits 2 with the message, the usage line and where the help is", async () => {
    const err: string[] = [];
    const code = await runCli(["fit", "train.csv", "--target", "y", "-o", "m.json", "--gama", "1"], { err: (s) => err.push(s), warned: new Set() });
    expect(code).toBe(2);
    expect(err.join("\n")).toBe([
      "seqlearn fit: unknown option --gama (did you mean --gamma?)",
      "usage: seqlearn fit <data.csv|data.jsonl|-> --target <column> -o <model.json> [options]",
      "(seqlearn help fit lists every option)",
    ].join("\n"));
  });

  it("deprecation warnings go to the warning sink once per run", async () => {
    const warns: string[] = [], err: string[] = [];
    const code = await runCli(["fit", "--mu", "1", "--mu", "1", "--target", "y", "-o", "m.json"], { err: (s) => err.push(s), warn: (s) => warns.push(s), warned: new Set() });
    expect(code).toBe(2); // no data file
    expect(warns).toEqual(["seqlearn: warning: --mu is deprecated; use --ridge"]);
    expect(err.join("\n")).toMatch(/missing the data file/);
  });
});

describe("option groups", () => {
  it("kernel flags build the SDK kernel; defaults follow d", () => {
    const k = (argv: string[], d = 4) => kernelFromFlags(parse(argv, KERNEL).values, d).toJSON();
    expect(k([])).toEqual({ name: "rbf", gamma: 0.25 });
    expect(k(["--sigma", "2"])).toEqual({ name: "rbf", gamma: 1 / 8 });
    expect(k(["--kernel", "polynomial", "--degree", "2"])).toEqual({ name: "polynomial", gamma: 0.25, coef0: 1, degree: 2 });
    expect(k(["--kernel", "matern32"], 9)).toEqual({ name: "matern32", lengthScale: 3 });
    expect(() => k(["--gamma", "1", "--sigma", "1"])).toThrow(/give --gamma or --sigma, not both/);
    expect(() => k(["--kernel", "linear", "--gamma", "1"])).toThrow(/--gamma does not apply to --kernel linear/);
    expect(() => k(["--kernel", "rbf", "--degree", "2"])).toThrow(/--degree and --coef0 apply to --kernel polynomial only/);
  });

  it("table and centre flags are checked against each other", () => {
    expect(() => tableOptions({ features: ["a"], ignore: ["b"] })).toThrow(/give --features or --ignore, not both/);
    expect(tableOptions({ delimiter: "\t", target: "y" })).toMatchObject({ delimiter: "\t", target: "y" });
    const c = (argv: string[]) => centresFromFlags(parse(argv, CENTRES).values);
    expect(c(["--method", "uniform", "-m", "5"])).toEqual({ method: "uniform", centers: 5 });
    expect(() => c(["--method", "uniform"])).toThrow(/needs --centers/);
    expect(() => c(["--centers", "5"])).toThrow(/--centers does not apply to --method squeak/);
  });

  it("a custom value parser reports through the flag name", () => {
    const F = { leaves: custom((raw, flag) => {
      if (!/^\d+\.\.\d+$/.test(raw)) throw new UsageError(`${flag} must be <first>..<last>`);
      return raw.split("..").map(Number);
    }, { help: "range" }) };
    expect(parse(["--leaves", "0..3"], F).values.leaves).toEqual([0, 3]);
    expect(usage(["--leaves=3"], F)).toThrow(/^--leaves must be <first>\.\.<last>$/);
  });
});
