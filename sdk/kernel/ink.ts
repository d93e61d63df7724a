// INK-Estimate (Calandriello, Lazaric & Valko, UAI 2016) — a RECONSTRUCTION: the paper's body
// could not be read, so this follows the mechanism the later SQUEAK paper (AISTATS 2017)
// describes: a fixed budget of Q slots per point, probabilities normalised by an
// estimate of d_eff (p̃ = min(p̃, τ̃/d̃)), binomial thinning of surviving slots, weights
// 1/(Q·p̃). It runs on the same engine routines as SQUEAK (estimator + DICT-UPDATE): Q is
// the budget, the probability scale s = 1/d̃ shrinks as d̃ grows, and a hard cap keeps at
// most `budget` distinct points after every update.
import { integer, seed as checkSeed } from "../core/validate.js";
import { ValueError } from "../core/errors.js";
import { checkOptions, deprecationWarning } from "../core/options.js";
import { asKernel, type Kernel, type KernelSpec } from "./kernels.js";
import { engineConfig } from "./state.js";
import { StreamingDictionary, LAMBDA_RENAME } from "./squeak.js";

const INK_OPTIONS = ["kernel", "lambda", "budget", "eps", "batch", "seed"] as const;

/** Options of `InkEstimate`. */
export interface InkOptions {
  /** The kernel, e.g. rbf({ gamma: 0.5 }). */
  kernel: Kernel | KernelSpec;
  /** Absolute ridge λ > 0 of the leverage scores (γ in the papers). Required; optional in the
   *  type only while its old name `gamma` is accepted (this release, with a warning). */
  lambda?: number;
  /** The leverage-score ridge under its old name.
   *  @deprecated renamed `lambda`; removed in the next release. */
  gamma?: number;
  /** Fixed budget: at most this many distinct points are kept after each update, and it is
   *  also the number of slots Q per point. */
  budget: number;
  /** Accuracy ε ∈ (0, 1) of the estimator. Default 0.5. */
  eps?: number;
  /** Stream points between full updates; default "auto". */
  batch?: number | "auto";
  /** Seed of the thinning stream. Default 0. */
  seed?: number;
}

/** Fixed-budget RLS sampling with normalised scores (INK-Estimate, reconstructed). Differs
 *  from Squeak in that the memory budget is chosen in advance and always holds, the
 *  probabilities are leverage scores divided by a running estimate of d_eff (so the
 *  expected number of copies stays ≈ budget as the stream grows), and the guarantees hold
 *  only for the oversampling the budget implies (budget / d_eff), not for a chosen q̄. */
export class InkEstimate extends StreamingDictionary {
  protected readonly method = "ink";
  /** Ridge λ of the leverage scores. */
  readonly lambda: number;
  /** Accuracy ε. */
  readonly eps: number;
  /** The fixed budget (distinct points after each update, and slots per point). */
  readonly budget: number;

  constructor(options: InkOptions) {
    if (!options || typeof options !== "object") throw new ValueError("InkEstimate: options { kernel, lambda, budget, ... } are required");
    const opts = checkOptions<InkOptions>(options, "InkEstimate", INK_OPTIONS, LAMBDA_RENAME);
    const kernel = asKernel(opts.kernel);
    const budget = integer(opts.budget, "budget", 1, 8192);
    const batch = opts.batch === undefined || opts.batch === "auto" ? "auto" : integer(opts.batch, "batch", 1);
    const seed = checkSeed(opts.seed ?? 0, "seed");
    // Before the first update there is no d̃ yet: s is huge, so every early point keeps all
    // its slots (p̃ = 1); the first update sets s = 1/d̃.
    const cfg = engineConfig({ kernel, d: 1, qbar: budget, lambda: opts.lambda, eps: opts.eps ?? 0.5, budget, normalise: true, scale: 1e12 });
    const { d: _d, ...base } = cfg;
    super(base, seed, batch, budget);
    this.lambda = cfg.lambda;
    this.eps = cfg.eps;
    this.budget = budget;
  }

  /** @deprecated The leverage-score ridge is `lambda`; `gamma` is its old name (one release). */
  get gamma(): number {
    deprecationWarning("InkEstimate.gamma", "InkEstimate.gamma is deprecated and will be removed in the next release; read .lambda (the leverage-score ridge)");
    return this.lambda;
  }

  protected override get resourceName(): string {
    return "InkEstimate";
  }
}
