// Option groups shared by the commands, each with the function that turns its parsed values
// into SDK arguments. A command spreads the groups it takes into its flag set:
//   flags: { ...TABLE, ...KERNEL, ...DICTIONARY, output: output("<model.json>"), ...QUIET }
//
// Names (docs/conventions.md): --gamma is the kernel width (scikit-learn's gamma), --lambda the
// ridge of the leverage scores (γ in SQUEAK/DISQUEAK, Calandriello et al. 2017; λ in BLESS,
// Rudi et al. 2018), --ridge the KRR ridge (μ; scikit-learn KernelRidge alpha).
import { clip } from "../core/validate.js";
import { rbf, laplacian, linear, polynomial, matern12, matern32, matern52, type Kernel } from "../kernel/kernels.js";
import type { TableOptions } from "../io/table.js";
import { CENTRE_METHODS, type CentreMethod } from "../kernel/fit-table.js";
import { number, string, list, choice, boolean, custom, group, UsageError, type Values } from "./flags.js";

// ---- input table ------------------------------------------------------------------------

function delimiter(raw: string, flag: string): string {
  if (raw === "\\t") return "\t";
  if (raw.length !== 1) throw new UsageError(`${flag} expects one character (or \\t), got ${JSON.stringify(clip(raw))}`);
  return raw;
}

/** How a CSV / TSV / JSON-lines file is read (without the target column). */
export const READ = group("data", {
  format: choice(["csv", "tsv", "jsonl"], { help: "input format", defaultText: "from the file extension, else csv" }),
  delimiter: custom(delimiter, { metavar: "<char>", help: "CSV field separator (\\t: tab)" }),
});

/** Which columns are features and which is the target. */
export const COLUMNS = group("data", {
  target: string({ metavar: "<column>", help: "the target column" }),
  features: list({ help: "feature columns, in order", what: "column names", defaultText: "every column but the target" }),
  ignore: list({ help: "columns to leave out of the features", what: "column names" }),
});

export const TABLE = { ...COLUMNS, ...READ };

/** The table flags → streamTable / readTable options. */
export function tableOptions(v: Partial<Values<typeof TABLE>>): TableOptions {
  if (v.features && v.ignore) throw new UsageError("give --features or --ignore, not both");
  return { format: v.format, delimiter: v.delimiter, features: v.features, ignore: v.ignore, target: v.target, batchSize: 2048 };
}

export const SCALE = group("data", {
  scale: choice(["standard", "none"], { default: "standard", help: "standard: z-score every feature with the training statistics" }),
});

// ---- kernel -----------------------------------------------------------------------------

export const KERNEL_NAMES = ["rbf", "laplacian", "matern12", "matern32", "matern52", "linear", "polynomial"] as const;

export const KERNEL = group("kernel", {
  kernel: choice(KERNEL_NAMES, { default: "rbf", help: "the kernel" }),
  gamma: number({ gt: 0, metavar: "<g>", help: "kernel width: rbf exp(−g·‖x−y‖²), laplacian exp(−g·‖x−y‖₁), polynomial (g·x·y + coef0)^degree, as scikit-learn", defaultText: "1/d" }),
  sigma: number({ gt: 0, metavar: "<s>", help: "rbf width instead of --gamma (g = 1/(2s²))" }),
  lengthScale: number({ gt: 0, metavar: "<l>", help: "matern length scale", defaultText: "√d" }),
  degree: number({ int: true, min: 1, max: 64, metavar: "<p>", help: "polynomial degree", defaultText: "3" }),
  coef0: number({ metavar: "<c>", help: "polynomial offset", defaultText: "1" }),
});

/** The kernel flags → a Kernel, for d features. Defaults as scikit-learn's "scale"-free
 *  choices: gamma 1/d, matern length scale √d. */
export function kernelFromFlags(v: Values<typeof KERNEL>, d: number): Kernel {
  const name = v.kernel;
  if (v.gamma !== undefined && v.sigma !== undefined) throw new UsageError("give --gamma or --sigma, not both (gamma = 1/(2·sigma²))");
  if (v.sigma !== undefined && name !== "rbf") throw new UsageError("--sigma applies to --kernel rbf only");
  if (v.lengthScale !== undefined && !name.startsWith("matern")) throw new UsageError("--length-scale applies to the matern kernels only");
  if (v.gamma !== undefined && !(name === "rbf" || name === "laplacian" || name === "polynomial")) throw new UsageError(`--gamma does not apply to --kernel ${name}`);
  if ((v.degree !== undefined || v.coef0 !== undefined) && name !== "polynomial") throw new UsageError("--degree and --coef0 apply to --kernel polynomial only");
  const gamma = v.gamma ?? 1 / d;
  switch (name) {
    case "rbf":
      return v.sigma !== undefined ? rbf({ sigma: v.sigma }) : rbf({ gamma });
    case "laplacian":
      return laplacian({ gamma });
    case "polynomial":
      return polynomial({ gamma, degree: v.degree ?? 3, coef0: v.coef0 ?? 1 });
    case "linear":
      return linear();
    default: {
      const lengthScale = v.lengthScale ?? Math.sqrt(d);
      return name === "matern12" ? matern12({ lengthScale }) : name === "matern32" ? matern32({ lengthScale }) : matern52({ lengthScale });
    }
  }
}

// ---- dictionary (ridge leverage scores) -------------------------------------------------

/** The leverage-score ridge (no default here: each command states its own). */
export const LAMBDA = number({
  gt: 0, metavar: "<λ>", group: "dictionary", deprecated: ["lambda-gamma", "rls-ridge"],
  help: "ridge of the leverage scores τ = diag(K(K + λI)⁻¹), absolute (γ in SQUEAK; BLESS lam)",
});

export const DICTIONARY = group("dictionary", {
  lambda: LAMBDA,
  eps: number({ gt: 0, lt: 1, default: 0.5, metavar: "<ε>", help: "accuracy of the estimated scores" }),
  qbar: number({ int: true, min: 1, metavar: "<q̄>", help: "copies per point (oversampling)", defaultText: "10" }),
  seed: number({ int: true, min: 0, default: 0, metavar: "<s>", help: "seed of the sampling" }),
  maxDictionary: number({ int: true, min: 1, metavar: "<m>", help: "budget on the dictionary size" }),
});

/** Points between full dictionary updates of a stream (SQUEAK, INK-Estimate). */
export const BATCH = group("dictionary", {
  batch: number({ int: true, min: 1, metavar: "<B>", help: "points between full dictionary updates", defaultText: "max(256, 4m)" }),
});

export const CENTRES = group("centres", {
  method: choice(CENTRE_METHODS, { default: "squeak", help: "how the centres are chosen: SQUEAK, INK-Estimate, uniformly, or every point (exact KRR)" }),
  centers: number({ int: true, min: 1, metavar: "<m>", aliases: ["m"], help: "number of centres (uniform) or the budget (ink)" }),
});

/** Check --method against --centers (and the flags that only some methods read). */
export function centresFromFlags(v: Values<typeof CENTRES>): { method: CentreMethod; centers?: number } {
  const { method, centers } = v;
  if (method === "uniform" && centers === undefined) throw new UsageError("--method uniform needs --centers <m> (the number of centres)");
  if (method === "ink" && centers === undefined) throw new UsageError("--method ink needs --centers <m> (its fixed budget of centres)");
  if (method === "exact" && centers !== undefined) throw new UsageError("--centers does not apply to --method exact (every point is a centre)");
  if (method === "squeak" && centers !== undefined) throw new UsageError("--centers does not apply to --method squeak (the size follows d_eff; use --qbar, --lambda or --max-dictionary)");
  return { method, centers };
}

/** The KRR ridge. */
export const RIDGE = group("regression", {
  ridge: number({ gt: 0, default: 1, metavar: "<μ>", deprecated: ["mu"], help: "KRR ridge, absolute: (K + μI); = scikit-learn KernelRidge(alpha=μ)" }),
});

// ---- DISQUEAK ---------------------------------------------------------------------------

export const PREFACTOR = choice(["printed", "proof"], { help: "estimator prefactor: the paper's printed (1−ε)/λ, or (1−ε)/((1+ε)λ) as in its proof (smaller dictionaries)" });
export const ESTIMATOR = choice(["disqueak", "squeak"], { default: "disqueak", help: "merge estimator: A = K + (1+ε)λ·G (DISQUEAK) or K + λ·G (SQUEAK)" });

// ---- output -----------------------------------------------------------------------------

/** -o / --output <metavar>. */
export function output(metavar: string, help: string) {
  return string({ metavar, aliases: ["o"], help, group: "output" });
}

export const QUIET = group("output", {
  quiet: boolean({ help: "no progress or summary on stderr" }),
});

/** Replacing an existing output file is opt-in (docs/guide/files-and-memory.md). */
export const FORCE = group("output", {
  force: boolean({ help: "replace an existing output file (without it an existing file is never replaced; a symbolic link is replaced, never its target)" }),
});

export const JSON_OUT = group("output", {
  json: boolean({ help: "print the summary as JSON on stdout (nothing else goes to stdout)" }),
});
