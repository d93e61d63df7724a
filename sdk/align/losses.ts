// The losses of alignment training, by TRL-style name, over sequence scores, per-token
// log-probabilities or full-vocabulary logits. The arithmetic is in the engine
// (assembly/nn/losses.ts: one kernel per loss, written once, serving offline, online and
// multi-turn trainers); this file validates, picks the kernel, applies the reduction the
// caller asked for, and computes the logged metrics under TRL's names.
//
// The chain every sequence-level loss follows (Rafailov et al. 2023, §4):
//   per-token log-probs ℓ (tokenLogProbs) → masked sums S, N (sequenceScores)
//   → loss and g = ∂L/∂S (pairLoss / unpairedLoss / droLoss / sftLoss)
//   → dℓ = m·g (scatterSequenceGrad) → dlogits = dℓ·(onehot − p) (logitsBackward).
// Distillation divergences work on logits directly (tokenDivergence → dlogits).
//
// Everything that reaches a result is either engine arithmetic or IEEE-754 basic operations
// (+ − × ÷) in a fixed order, so results are bit-identical in every runtime.
import {
  getEngine, input, output, outputF32, inout, scratch, WasmBuffer,
  Status, PairLoss, PairParam, PointLoss, PointParam, Divergence,
} from "../engine/index.js";
import { ShapeError, ValueError, NumericalError } from "../core/errors.js";
import { checkOptions, closestName } from "../core/options.js";
import { asVector } from "../core/matrix.js";

// ---- the loss enum ---------------------------------------------------------------------------

/** Pairwise preference losses (data: prompt, chosen, rejected). TRL's `DPOConfig.loss_type`
 *  names, plus `cdpo` (TRL: `sigmoid` with `label_smoothing`, before 2026) and `slic`
 *  (SLiC-HF's calibration loss, no reference). */
export const PAIR_LOSSES = ["sigmoid", "cdpo", "robust", "ipo", "hinge", "slic", "sigmoid_norm", "sppo_hard", "nca_pair", "bco_pair"] as const;
/** A pairwise preference loss. */
export type PairLossType = (typeof PAIR_LOSSES)[number];
/** Unpaired (binary-label) losses: TRL's `KTOConfig.loss_type`. */
export const UNPAIRED_LOSSES = ["kto", "apo_zero_unpaired"] as const;
/** An unpaired loss. */
export type UnpairedLossType = (typeof UNPAIRED_LOSSES)[number];
/** Token-level distillation divergences (TRL's GKD: `beta` 0 is forward KL, 1 reverse KL). */
export const DIVERGENCES = ["fkl", "rkl", "gjsd"] as const;
/** A token-level divergence. */
export type DivergenceType = (typeof DIVERGENCES)[number];
/** Every loss seqlearn trains with. */
export const LOSS_TYPES = [...PAIR_LOSSES, ...UNPAIRED_LOSSES, "dro", "sft", ...DIVERGENCES] as const;
/** Any loss name. */
export type LossType = (typeof LOSS_TYPES)[number];

/** How per-item losses become one number: `mean` over the items (pairs, examples), `sum`, or
 *  `tokens` (Σ over items ÷ Σ of their token counts: TRL's SFT and GKD reduction). */
export type Reduction = "mean" | "sum" | "tokens";

/** What a loss needs and how it reduces by default. */
export interface LossInfo {
  /** The data it trains on: `pairs` {prompt, chosen, rejected}; `unpaired` {prompt,
   *  completion, label}; `rewards` {prompt, completion, reward}; `completions` {prompt,
   *  completion} or messages; `teacher` a teacher model's next-token distributions. */
  data: "pairs" | "unpaired" | "rewards" | "completions" | "teacher";
  /** Whether a reference model's scores enter the loss. */
  reference: boolean;
  /** The default reduction. */
  reduction: Reduction;
  /** One line: the formula. */
  formula: string;
}

/** The loss table: data, reference, default reduction and formula of every loss. */
export const LOSSES: Readonly<Record<LossType, LossInfo>> = {
  sigmoid: { data: "pairs", reference: true, reduction: "mean", formula: "−log σ(β·h), h = ρ_w − ρ_l, ρ = S − S_ref (DPO)" },
  cdpo: { data: "pairs", reference: true, reduction: "mean", formula: "(1−ε)·softplus(−βh) + ε·softplus(βh) (conservative DPO)" },
  robust: { data: "pairs", reference: true, reduction: "mean", formula: "[(1−ε)·softplus(−βh) − ε·softplus(βh)]/(1−2ε) (robust DPO)" },
  ipo: { data: "pairs", reference: true, reduction: "mean", formula: "(h̄ − 1/(2τ))², h̄ on per-token averages by default (IPO; τ is `beta`)" },
  hinge: { data: "pairs", reference: true, reduction: "mean", formula: "max(0, 1 − βh) (RSO hinge)" },
  slic: { data: "pairs", reference: false, reduction: "mean", formula: "max(0, δ − S_w + S_l) + λ·(−S_w) (SLiC-HF calibration)" },
  sigmoid_norm: { data: "pairs", reference: true, reduction: "mean", formula: "−log σ(β·h̄), h̄ on per-token averages" },
  sppo_hard: { data: "pairs", reference: true, reduction: "mean", formula: "(ρ_w − 1/(2β))² + (ρ_l + 1/(2β))²" },
  nca_pair: { data: "pairs", reference: true, reduction: "mean", formula: "−log σ(βρ_w) − ½log σ(−βρ_w) − ½log σ(−βρ_l)" },
  bco_pair: { data: "pairs", reference: true, reduction: "mean", formula: "−log σ(βρ_w) − log σ(−βρ_l)" },
  kto: { data: "unpaired", reference: true, reduction: "mean", formula: "λ_D(1 − σ(β(ρ − z0))) | λ_U(1 − σ(β(z0 − ρ))), z0 = max(0, mean KL on mismatched pairs)" },
  apo_zero_unpaired: { data: "unpaired", reference: true, reduction: "mean", formula: "λ_D(1 − σ(βρ)) | λ_U·σ(βρ)" },
  dro: { data: "rewards", reference: true, reduction: "mean", formula: "½(r − V(x) − τρ)² (DRO-V: policy and value)" },
  sft: { data: "completions", reference: false, reduction: "tokens", formula: "−Σ S / Σ N (token-mean negative log-likelihood)" },
  fkl: { data: "teacher", reference: false, reduction: "tokens", formula: "KL(T‖S) per token" },
  rkl: { data: "teacher", reference: false, reduction: "tokens", formula: "KL(S‖T) per token" },
  gjsd: { data: "teacher", reference: false, reduction: "tokens", formula: "β·KL(T‖M) + (1−β)·KL(S‖M), M = βT + (1−β)S (GKD)" },
};

/** Other names accepted by `lossType` (CLI spellings, paper names). */
export const LOSS_ALIASES: Readonly<Record<string, LossType>> = {
  dpo: "sigmoid", "m-dpo": "sigmoid", mdpo: "sigmoid", "m-kto": "kto", mkto: "kto", "dro-v": "dro",
  "forward-kl": "fkl", "reverse-kl": "rkl", jsd: "gjsd", "label-smoothing": "cdpo",
};

/** Resolve a loss name (or an alias such as `dpo`) to its LossType; ValueError naming the
 *  closest valid name otherwise. */
export function lossType(name: string): LossType {
  if ((LOSS_TYPES as readonly string[]).includes(name)) return name as LossType;
  const alias = Object.prototype.hasOwnProperty.call(LOSS_ALIASES, name) ? LOSS_ALIASES[name] : undefined;
  if (alias) return alias;
  const near = closestName(String(name), [...LOSS_TYPES, ...Object.keys(LOSS_ALIASES)]);
  throw new ValueError(`unknown loss ${JSON.stringify(name)}${near ? `; did you mean "${near}"?` : ""} (valid: ${LOSS_TYPES.join(", ")})`);
}

// ---- results -------------------------------------------------------------------------------

/** Logged metrics under stable names (TRL's where TRL has one: `loss`, `rewards/chosen`,
 *  `rewards/rejected`, `rewards/accuracies`, `rewards/margins`, `logps/chosen`,
 *  `logps/rejected`, `kl`). A metric without data in the batch (say `rewards/chosen` with no
 *  desirable example) is NaN. */
export type LossMetrics = Record<string, number>;

/** Result of a pairwise loss. Gradients are of the reduced loss. */
export interface PairLossResult {
  /** The reduced loss. */
  loss: number;
  /** Per-pair losses before the reduction (the weighted sum over kinds for a list). */
  losses: Float64Array;
  /** ∂loss/∂S_θ(y_w), one per pair. */
  gChosen: Float64Array;
  /** ∂loss/∂S_θ(y_l), one per pair. */
  gRejected: Float64Array;
  /** Logged metrics. */
  metrics: LossMetrics;
}

/** Result of a single-sequence loss (SFT, KTO, APO, DRO). */
export interface PointLossResult {
  /** The reduced loss. */
  loss: number;
  /** Per-example losses before the reduction. */
  losses: Float64Array;
  /** ∂loss/∂S_θ(y), one per example. */
  g: Float64Array;
  /** Logged metrics. */
  metrics: LossMetrics;
}

/** Result of an unpaired loss: also the reference point z0 that was used. */
export interface UnpairedLossResult extends PointLossResult {
  /** KTO's z0 (0 for `apo_zero_unpaired`). */
  z0: number;
}

/** Result of DRO: also the gradient for the value head. */
export interface DroLossResult extends PointLossResult {
  /** ∂loss/∂V(x_i), one per example. */
  gValue: Float64Array;
}

// ---- shared checks ----------------------------------------------------------------------------

const ENGINE_ERRORS: Record<number, string> = { [Status.BAD_ARG]: "an argument out of range", [Status.NON_FINITE]: "a non-finite value" };

/** Turn an engine status into a typed error. `rows`: the export reads logits (its status
 *  arguments then name the offending row, and the target for BAD_ARG). */
function checkStatus(st: number, where: string, rows = false): void {
  if (st === Status.OK) return;
  const [a, b] = getEngine().statusArgs();
  if (rows && st === Status.NON_FINITE) throw new NumericalError(`${where}: row ${a} of the logits has no finite log-sum-exp (NaN, +∞, or every entry −∞)`, { row: a });
  if (rows && st === Status.BAD_ARG && b !== 0) throw new ValueError(`${where}: targets[${a}] = ${b} is not a token id of the vocabulary`);
  throw new ValueError(`${where}: the engine reported ${ENGINE_ERRORS[st] ?? `status ${st}`}`);
}

function vec(x: ArrayLike<number> | null | undefined, name: string, length: number | undefined): Float64Array {
  if (x === null || x === undefined) throw new ValueError(`${name} is required`);
  return asVector(x, name, length === undefined ? {} : { length });
}

function optVec(x: ArrayLike<number> | null | undefined, name: string, length: number): Float64Array | null {
  return x === null || x === undefined ? null : asVector(x, name, { length });
}

function tokenCounts(x: ArrayLike<number> | null | undefined, name: string, length: number): Float64Array | null {
  const v = optVec(x, name, length);
  if (v) for (let i = 0; i < v.length; i++) if (!(v[i] >= 0)) throw new ValueError(`${name}[${i}] must be a token count ≥ 0, got ${v[i]}`);
  return v;
}

function positiveNumber(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new ValueError(`${name} must be a finite number > 0, got ${String(v)}`);
  return v;
}

function nonNegativeNumber(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new ValueError(`${name} must be a finite number ≥ 0, got ${String(v)}`);
  return v;
}

function bool(v: unknown, name: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw new ValueError(`${name} must be true or false, got ${String(v)}`);
  return v;
}

function reductionOf(v: unknown, where: string, dflt: Reduction, allowed: readonly Reduction[]): Reduction {
  if (v === undefined) return dflt;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    throw new ValueError(`${where}: reduction must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${JSON.stringify(v)}`);
  }
  return v as Reduction;
}

const mean = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : NaN;
};

/** Apply a reduction in place to the gradients; returns the reduced loss. */
function reduceInPlace(losses: Float64Array, grads: Float64Array[], reduction: Reduction, tokens: Float64Array | null, where: string): number {
  let total = 0;
  for (let i = 0; i < losses.length; i++) total += losses[i];
  let div = 1;
  if (reduction === "mean") div = losses.length;
  else if (reduction === "tokens") {
    if (!tokens) throw new ValueError(`${where}: reduction "tokens" needs the token counts`);
    let n = 0;
    for (let i = 0; i < tokens.length; i++) n += tokens[i];
    div = Math.max(n, 1);
  }
  if (div !== 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] /= div;
  return total / div;
}

function batchSize(n: number, where: string): number {
  if (n === 0) throw new ShapeError(`${where}: the batch is empty`);
  return n;
}

// ---- pairwise losses --------------------------------------------------------------------------

/** Sequence scores of a batch of preference pairs (one entry per pair). */
export interface PairScores {
  /** S_θ(y_w): the policy's summed log-probabilities of the chosen responses. */
  chosen: ArrayLike<number>;
  /** S_θ(y_l) of the rejected responses. */
  rejected: ArrayLike<number>;
  /** S_ref(y_w), same mask and prefixes; required except by `slic` (pass zeros for a
   *  reference-free variant). */
  refChosen?: ArrayLike<number> | null;
  /** S_ref(y_l). */
  refRejected?: ArrayLike<number> | null;
  /** N_w, trained tokens of each chosen response (length-normalised losses, `sft`). */
  chosenTokens?: ArrayLike<number> | null;
  /** N_l, trained tokens of each rejected response. */
  rejectedTokens?: ArrayLike<number> | null;
}

/** A pairwise loss, or `sft` (token-mean NLL of the chosen responses) inside a list of losses. */
export type PairLossKind = PairLossType | "sft";

/** Options of pairLoss. */
export interface PairLossOptions {
  /** β, the KL coefficient (for `ipo`: τ, as TRL's `beta`). Default 0.1. */
  beta?: number;
  /** ε: `cdpo`'s label smoothing in [0, 0.5], `robust`'s flip rate in [0, 0.5) (TRL
   *  `label_smoothing`). Default 0. */
  labelSmoothing?: number;
  /** δ, `slic`'s calibration margin. Default 1. */
  delta?: number;
  /** λ ≥ 0: adds λ·(−S_θ(y_w)) (SLiC-HF's regulariser, OpenRLHF's `nll_loss_coef` with
   *  `lengthNorm`). Default 0. */
  sftWeight?: number;
  /** Replace every score by its per-token average S/N (needs the token counts). Default:
   *  true for `ipo` (TRL's DPOTrainer) and `sigmoid_norm`, false otherwise. */
  lengthNorm?: boolean;
  /** `mean` over pairs (default, TRL) or `sum`. */
  reduction?: "mean" | "sum";
  /** Weights of the kinds when `kind` is a list (TRL `loss_weights`). Default all 1. */
  weights?: readonly number[];
}

const PAIR_OPTIONS = ["beta", "labelSmoothing", "delta", "sftWeight", "lengthNorm", "reduction", "weights"] as const;

const PAIR_CODE: Record<PairLossType, PairLoss> = {
  sigmoid: PairLoss.SIGMOID, cdpo: PairLoss.CDPO, robust: PairLoss.ROBUST, ipo: PairLoss.IPO, hinge: PairLoss.HINGE,
  slic: PairLoss.SLIC, sigmoid_norm: PairLoss.SIGMOID, sppo_hard: PairLoss.SPPO_HARD, nca_pair: PairLoss.NCA_PAIR, bco_pair: PairLoss.BCO_PAIR,
};

/**
 * A pairwise preference loss over sequence scores. With ρ = S_θ − S_ref and h = ρ_w − ρ_l:
 * `sigmoid` −log σ(βh) (DPO); `cdpo` and `robust` with ε = `labelSmoothing`; `ipo`
 * (h − 1/(2τ))² with τ = `beta`, per-token averages by default (TRL), sums with
 * `lengthNorm: false` (OpenRLHF, TRL's online DPO); `hinge` max(0, 1 − βh); `slic`
 * max(0, δ − h) + λ·(−S_w) without a reference (SLiC-HF); `sigmoid_norm`; `sppo_hard`;
 * `nca_pair`; `bco_pair`. A list of kinds adds their losses with `weights` (TRL
 * `loss_type` lists, e.g. MPO `["sigmoid", "bco_pair", "sft"]`; `"sft"` is the NLL of the chosen
 * responses averaged over their tokens when `chosenTokens` is given, over the pairs otherwise,
 * whatever `reduction` says for the others). Multi-turn M-DPO is the same
 * call on scores summed over the policy's own tokens (see pairLossTokens).
 *
 * Returns the reduced loss (mean over pairs by default), its gradients w.r.t. S_θ(y_w) and
 * S_θ(y_l), and metrics: `loss`, `rewards/chosen` (mean βρ_w), `rewards/rejected`,
 * `rewards/accuracies` (fraction with βρ_w > βρ_l), `rewards/margins`, `logps/chosen`,
 * `logps/rejected` (rewards on summed scores, as TRL logs them).
 */
export function pairLoss(kind: PairLossKind | readonly PairLossKind[], scores: PairScores, opts: PairLossOptions = {}): PairLossResult {
  const where = `pairLoss(${JSON.stringify(kind)})`;
  const o = checkOptions<PairLossOptions>(opts, where, PAIR_OPTIONS);
  const kinds: PairLossKind[] = Array.isArray(kind) ? [...kind] : [kind as PairLossKind];
  if (kinds.length === 0) throw new ValueError(`${where}: give at least one loss`);
  for (const k of kinds) {
    if (k !== "sft" && !(PAIR_LOSSES as readonly string[]).includes(k)) {
      const near = closestName(String(k), [...PAIR_LOSSES, "sft"]);
      throw new ValueError(`pairLoss: unknown pairwise loss ${JSON.stringify(k)}${near ? `; did you mean "${near}"?` : ""} (valid: ${PAIR_LOSSES.join(", ")}, sft)`);
    }
  }
  if (new Set(kinds).size !== kinds.length) throw new ValueError(`${where}: a loss appears twice in the list`);
  const weights = o.weights === undefined ? kinds.map(() => 1) : [...o.weights];
  if (weights.length !== kinds.length || weights.some((w) => typeof w !== "number" || !Number.isFinite(w))) {
    throw new ValueError(`${where}: weights must be ${kinds.length} finite numbers (one per loss), got ${JSON.stringify(o.weights)}`);
  }
  const beta = positiveNumber(o.beta, `${where}: beta`, 0.1);
  const eps = nonNegativeNumber(o.labelSmoothing, `${where}: labelSmoothing`, 0);
  const delta = o.delta === undefined ? 1 : o.delta;
  if (typeof delta !== "number" || !Number.isFinite(delta)) throw new ValueError(`${where}: delta must be a finite number, got ${String(o.delta)}`);
  const sftWeight = nonNegativeNumber(o.sftWeight, `${where}: sftWeight`, 0);
  const reduction = reductionOf(o.reduction, where, "mean", ["mean", "sum"]);
  if (sftWeight > 0 && kinds.length > 1) throw new ValueError(`${where}: sftWeight applies to a single loss; with a list, add "sft" with its weight`);

  const sw = vec(scores?.chosen, "chosen", undefined);
  const B = batchSize(sw.length, where);
  const sl = vec(scores.rejected, "rejected", B);
  const rw = optVec(scores.refChosen, "refChosen", B);
  const rl = optVec(scores.refRejected, "refRejected", B);
  const nw = tokenCounts(scores.chosenTokens, "chosenTokens", B);
  const nl = tokenCounts(scores.rejectedTokens, "rejectedTokens", B);
  if ((rw === null) !== (rl === null)) throw new ValueError(`${where}: give both refChosen and refRejected, or neither`);

  const losses = new Float64Array(B), gChosen = new Float64Array(B), gRejected = new Float64Array(B);
  const parts: Record<string, number> = {};
  const eng = getEngine();
  for (let k = 0; k < kinds.length; k++) {
    const name = kinds[k];
    let r: { loss: number; losses: Float64Array; gw: Float64Array; gl: Float64Array };
    if (name === "sft") {
      const s = sftLoss({ scores: sw, tokens: nw ?? undefined }, { reduction: nw ? "tokens" : "mean" });
      r = { loss: s.loss, losses: s.losses, gw: s.g, gl: new Float64Array(B) };
    } else {
      if (name !== "slic" && rw === null) {
        throw new ValueError(`${where}: "${name}" compares the policy to a reference: refChosen and refRejected are required (pass zeros for a reference-free variant)`);
      }
      if (name === "cdpo" && eps > 0.5) throw new ValueError(`${where}: labelSmoothing must be in [0, 0.5] for "cdpo", got ${eps}`);
      if (name === "robust" && !(eps < 0.5)) throw new ValueError(`${where}: labelSmoothing must be in [0, 0.5) for "robust" (the estimate divides by 1 − 2ε), got ${eps}`);
      const norm = o.lengthNorm === undefined ? name === "ipo" || name === "sigmoid_norm" : bool(o.lengthNorm, `${where}: lengthNorm`, false);
      if (name === "sigmoid_norm" && !norm) throw new ValueError(`${where}: "sigmoid_norm" is the length-normalised sigmoid loss; lengthNorm: false contradicts it (use "sigmoid")`);
      if (norm && (nw === null || nl === null)) {
        throw new ValueError(`${where}: "${name}" with lengthNorm averages scores per token: chosenTokens and rejectedTokens are required${name === "ipo" ? ' (or lengthNorm: false for the summed IPO of OpenRLHF and online DPO)' : ""}`);
      }
      const cfg = new Float64Array(PairParam.SLOTS);
      cfg[PairParam.BETA] = beta;
      cfg[PairParam.EPS] = eps;
      cfg[PairParam.DELTA] = delta;
      cfg[PairParam.LAMBDA] = sftWeight;
      cfg[PairParam.LENGTH_NORM] = norm ? 1 : 0;
      const res = eng.call("loss_pair", {
        kind: PAIR_CODE[name], cfg: input(cfg), chosen: input(sw), refChosen: rw && input(rw), rejected: input(sl), refRejected: rl && input(rl),
        chosenTokens: nw && input(nw), rejectedTokens: nl && input(nl), batch: B,
        loss: output(B), gw: output(B), gl: output(B),
      });
      checkStatus(res.ret, where);
      const l = res.output("loss"), gw = res.output("gw"), gl = res.output("gl");
      const total = reduceInPlace(l, [gw, gl], reduction, null, where);
      r = { loss: total, losses: l, gw, gl };
    }
    const w = weights[k];
    for (let i = 0; i < B; i++) {
      losses[i] += w * r.losses[i];
      gChosen[i] += w * r.gw[i];
      gRejected[i] += w * r.gl[i];
    }
    parts[name] = r.loss;
  }
  let loss = 0;
  for (let k = 0; k < kinds.length; k++) loss += weights[k] * parts[kinds[k]];
  const metrics = pairMetrics(sw, sl, rw, rl, beta);
  metrics.loss = loss;
  if (kinds.length > 1) for (const k of kinds) metrics[`loss/${k}`] = parts[k];
  return { loss, losses, gChosen, gRejected, metrics };
}

function pairMetrics(sw: Float64Array, sl: Float64Array, rw: Float64Array | null, rl: Float64Array | null, beta: number): LossMetrics {
  const B = sw.length;
  let chosen = 0, rejected = 0, acc = 0, margin = 0;
  for (let i = 0; i < B; i++) {
    const a = beta * (sw[i] - (rw ? rw[i] : 0));
    const b = beta * (sl[i] - (rl ? rl[i] : 0));
    chosen += a;
    rejected += b;
    if (a > b) acc += 1;
    margin += a - b;
  }
  return {
    loss: NaN,
    "rewards/chosen": chosen / B,
    "rewards/rejected": rejected / B,
    "rewards/accuracies": acc / B,
    "rewards/margins": margin / B,
    "logps/chosen": mean(sw),
    "logps/rejected": mean(sl),
  };
}

// ---- single-sequence losses ------------------------------------------------------------------

function runPoint(kind: PointLoss, cfg: Float64Array, s: Float64Array, ref: Float64Array | null, tokens: Float64Array | null,
  labels: Float64Array, values: Float64Array | null, where: string): { losses: Float64Array; g: Float64Array; gv: Float64Array | null } {
  const B = s.length;
  const res = getEngine().call("loss_point", {
    kind, cfg: input(cfg), scores: input(s), refScores: ref && input(ref), tokens: tokens && input(tokens), labels: input(labels),
    values: values && input(values), batch: B, loss: output(B), g: output(B), gv: values ? output(B) : null,
  });
  checkStatus(res.ret, where);
  return { losses: res.output("loss"), g: res.output("g"), gv: values ? res.output("gv") : null };
}

/** Options of sftLoss. */
export interface SftLossOptions {
  /** `tokens` (default: −ΣS/ΣN over the batch, TRL's `sft`), `mean` over sequences, or `sum`. */
  reduction?: Reduction;
  /** Per-sequence token mean −S/N before the reduction (OpenRLHF's NLL term with `mean`). */
  lengthNorm?: boolean;
}

/** Negative log-likelihood of completions: per sequence −S_θ(y) (or −S/N with `lengthNorm`),
 *  reduced over tokens by default (TRL `sft`: cross-entropy averaged over every trained token
 *  of the batch). Metrics: `loss`, `logps` (mean S), `tokens` (Σ N, when given). */
export function sftLoss(batch: { scores: ArrayLike<number>; tokens?: ArrayLike<number> | null }, opts: SftLossOptions = {}): PointLossResult {
  const where = "sftLoss";
  const o = checkOptions<SftLossOptions>(opts, where, ["reduction", "lengthNorm"]);
  const s = vec(batch?.scores, "scores", undefined);
  const B = batchSize(s.length, where);
  const tokens = tokenCounts(batch.tokens, "tokens", B);
  const reduction = reductionOf(o.reduction, where, tokens ? "tokens" : "mean", ["mean", "sum", "tokens"]);
  const norm = bool(o.lengthNorm, `${where}: lengthNorm`, false);
  if (norm && reduction === "tokens") throw new ValueError(`${where}: lengthNorm with reduction "tokens" divides by the token counts twice; use reduction "mean"`);
  if ((norm || reduction === "tokens") && !tokens) throw new ValueError(`${where}: ${norm ? "lengthNorm" : 'reduction "tokens"'} needs the token counts (tokens)`);
  const cfg = new Float64Array(PointParam.SLOTS);
  cfg[PointParam.LENGTH_NORM] = norm ? 1 : 0;
  const r = runPoint(PointLoss.SFT, cfg, s, null, tokens, new Float64Array(B), null, where);
  const loss = reduceInPlace(r.losses, [r.g], reduction, tokens, where);
  const metrics: LossMetrics = { loss, logps: mean(s) };
  if (tokens) metrics.tokens = tokens.reduce((a, b) => a + b, 0);
  return { loss, losses: r.losses, g: r.g, metrics };
}

/** A batch of unpaired examples (KTO data): one entry per (prompt, completion, label). */
export interface UnpairedBatch {
  /** S_θ(y_i | x_i). */
  scores: ArrayLike<number>;
  /** S_ref(y_i | x_i). */
  refScores: ArrayLike<number>;
  /** true / 1: desirable; false / 0: undesirable. */
  labels: ArrayLike<number | boolean>;
  /** KTO: S_θ on the mismatched pairs (x_i, y_{j(i)}) of ktoMismatchedPairs; no gradient
   *  flows into them. */
  klScores?: ArrayLike<number> | null;
  /** KTO: S_ref on the same mismatched pairs. */
  klRefScores?: ArrayLike<number> | null;
  /** KTO: z0 given directly (e.g. averaged over data-parallel workers), instead of klScores. */
  z0?: number;
}

/** Options of unpairedLoss. */
export interface UnpairedLossOptions {
  /** β. Default 0.1. */
  beta?: number;
  /** λ_D, weight of desirable examples (TRL `desirable_weight`). Default 1. */
  desirableWeight?: number;
  /** λ_U, weight of undesirable examples (TRL `undesirable_weight`). Default 1. */
  undesirableWeight?: number;
  /** `mean` over all examples (default, TRL's nanmean of the weighted losses) or `sum`. */
  reduction?: "mean" | "sum";
}

/** For a micro-batch of m examples, the completion each prompt is paired with to estimate
 *  KTO's z0: index j(i) = (i − 1) mod m, i.e. the completions rotated by one place, as TRL
 *  builds `KL_completion_ids` ((x_1, y_m), (x_2, y_1), …, (x_m, y_{m−1})). Works for odd m
 *  (a reversal would pair the middle example with itself). m ≥ 2: with one example the
 *  "mismatched" pair is the matched one and z0 equals the implied reward. */
export function ktoMismatchedPairs(m: number): Int32Array {
  if (!Number.isInteger(m) || m < 2) throw new ValueError(`ktoMismatchedPairs: the micro-batch must hold m ≥ 2 examples (with one, the KL estimate equals the implied reward), got ${m}`);
  const j = new Int32Array(m);
  for (let i = 0; i < m; i++) j[i] = (i + m - 1) % m;
  return j;
}

/** KTO's reference point from mismatched-pair scores: z0 = max(0, mean_i(S_θ − S_ref)), a
 *  constant of the step (TRL: detached, clamped at 0). Compute it per micro-batch (not per
 *  accumulated batch); with data-parallel workers average the means, then clamp. */
export function ktoReferencePoint(klScores: ArrayLike<number>, klRefScores: ArrayLike<number>): number {
  const a = vec(klScores, "klScores", undefined);
  const b = vec(klRefScores, "klRefScores", a.length);
  if (a.length < 2) throw new ValueError(`ktoReferencePoint: need m ≥ 2 mismatched pairs, got ${a.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] - b[i];
  return Math.max(0, s / a.length);
}

/** Result of ktoWeightBand. */
export interface KtoWeightBand {
  /** Whether λ_D·n_D/(λ_U·n_U) is in [1, 4/3] (or the classes are balanced). */
  ok: boolean;
  /** Recommended range of desirableWeight, holding undesirableWeight fixed. */
  desirable: [number, number];
  /** Recommended range of undesirableWeight, holding desirableWeight fixed. */
  undesirable: [number, number];
  /** The warning to show, or null when in the band. */
  message: string | null;
}

/** KTO's balance band (Ethayarajh et al. 2024; TRL warns outside it): with n_D desirable and
 *  n_U undesirable examples, λ_D·n_D / (λ_U·n_U) should lie in [1, 4/3]. Returns whether the
 *  weights are in the band, the recommended range of either weight (holding the other fixed,
 *  rounded as TRL prints them), and a warning message (null when in the band or balanced). */
export function ktoWeightBand(nDesirable: number, nUndesirable: number, weights: { desirableWeight?: number; undesirableWeight?: number } = {}): KtoWeightBand {
  const w = checkOptions<{ desirableWeight?: number; undesirableWeight?: number }>(weights, "ktoWeightBand", ["desirableWeight", "undesirableWeight"]);
  const wD = positiveNumber(w.desirableWeight, "desirableWeight", 1), wU = positiveNumber(w.undesirableWeight, "undesirableWeight", 1);
  for (const [v, n] of [[nDesirable, "nDesirable"], [nUndesirable, "nUndesirable"]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`ktoWeightBand: ${n} must be an integer ≥ 0, got ${v}`);
  }
  const nD = Math.max(nDesirable, 1), nU = Math.max(nUndesirable, 1);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const desirable: [number, number] = [r2((nU * wU) / nD), r2(((nU * wU) / nD) * 1.33)];
  const undesirable: [number, number] = [r2((nD * wD) / nU / 1.33), r2((nD * wD) / nU)];
  const ok = nD === nU || (desirable[0] <= wD && wD <= desirable[1]) || (undesirable[0] <= wU && wU <= undesirable[1]);
  const message = ok ? null
    : `KTO: ${nDesirable} desirable and ${nUndesirable} undesirable examples with weights λ_D = ${wD}, λ_U = ${wU} put λ_D·n_D/(λ_U·n_U) = ${r2((wD * nD) / (wU * nU))} outside [1, 4/3]; ` +
      `use desirableWeight in [${desirable[0]}, ${desirable[1]}] or undesirableWeight in [${undesirable[0]}, ${undesirable[1]}] (not both)`;
  return { ok, desirable, undesirable, message };
}

function labelsOf(x: ArrayLike<number | boolean> | null | undefined, B: number): Float64Array {
  if (!x || typeof x.length !== "number") throw new ValueError("labels are required (true/1 desirable, false/0 undesirable)");
  if (x.length !== B) throw new ShapeError(`labels: expected length ${B}, got ${x.length}`);
  const out = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    const v = x[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v === false || v === 0) out[i] = 0;
    else throw new ValueError(`labels[${i}] must be true/false or 1/0, got ${JSON.stringify(v)}`);
  }
  return out;
}

/**
 * Unpaired losses on binary feedback. `kto` (Ethayarajh et al. 2024): desirable examples cost
 * λ_D·(1 − σ(β(ρ − z0))), undesirable ones λ_U·(1 − σ(β(z0 − ρ))), with the reference point
 * z0 = max(0, mean KL estimate on mismatched pairs) held constant (from `klScores` /
 * `klRefScores`, see ktoMismatchedPairs, or given as `z0`). `apo_zero_unpaired`: λ_D·(1 − σ(βρ))
 * and λ_U·σ(βρ), no z0. Mean over all examples by default (TRL). M-KTO is the same call on
 * scores summed over the policy's own tokens (unpairedLossTokens).
 *
 * Metrics: `loss`, `kl` (= z0), `rewards/chosen` and `rewards/rejected` (mean βρ over the
 * desirable / undesirable examples, NaN when there are none), `rewards/margins`,
 * `logps/chosen`, `logps/rejected`.
 */
export function unpairedLoss(kind: UnpairedLossType, batch: UnpairedBatch, opts: UnpairedLossOptions = {}): UnpairedLossResult {
  const where = `unpairedLoss(${JSON.stringify(kind)})`;
  if (!(UNPAIRED_LOSSES as readonly string[]).includes(kind)) {
    const near = closestName(String(kind), UNPAIRED_LOSSES);
    throw new ValueError(`unpairedLoss: unknown loss ${JSON.stringify(kind)}${near ? `; did you mean "${near}"?` : ""} (valid: ${UNPAIRED_LOSSES.join(", ")})`);
  }
  const o = checkOptions<UnpairedLossOptions>(opts, where, ["beta", "desirableWeight", "undesirableWeight", "reduction"]);
  const beta = positiveNumber(o.beta, `${where}: beta`, 0.1);
  const wD = nonNegativeNumber(o.desirableWeight, `${where}: desirableWeight`, 1);
  const wU = nonNegativeNumber(o.undesirableWeight, `${where}: undesirableWeight`, 1);
  const reduction = reductionOf(o.reduction, where, "mean", ["mean", "sum"]);
  const s = vec(batch?.scores, "scores", undefined);
  const B = batchSize(s.length, where);
  const ref = vec(batch.refScores, "refScores", B);
  const labels = labelsOf(batch.labels, B);
  let z0 = 0;
  const hasKl = batch.klScores != null || batch.klRefScores != null;
  if (kind === "kto") {
    if (batch.z0 !== undefined && hasKl) throw new ValueError(`${where}: give z0 or klScores/klRefScores, not both`);
    if (batch.z0 !== undefined) {
      if (typeof batch.z0 !== "number" || !(batch.z0 >= 0) || !Number.isFinite(batch.z0)) throw new ValueError(`${where}: z0 must be a finite number ≥ 0 (the clamped KL estimate), got ${String(batch.z0)}`);
      z0 = batch.z0;
    } else if (hasKl) {
      if (batch.klScores == null || batch.klRefScores == null) throw new ValueError(`${where}: give both klScores and klRefScores`);
      if (batch.klScores.length !== B) throw new ShapeError(`klScores: expected length ${B} (one mismatched pair per example), got ${batch.klScores.length}`);
      z0 = ktoReferencePoint(batch.klScores, batch.klRefScores);
    } else {
      throw new ValueError(`${where}: KTO needs its reference point: klScores and klRefScores on the mismatched pairs (ktoMismatchedPairs), or z0`);
    }
  } else if (hasKl || batch.z0 !== undefined) {
    throw new ValueError(`${where}: apo_zero_unpaired uses no KL reference point; drop klScores / z0`);
  }
  const cfg = new Float64Array(PointParam.SLOTS);
  cfg[PointParam.BETA] = beta;
  cfg[PointParam.Z0] = z0;
  cfg[PointParam.W_DESIRABLE] = wD;
  cfg[PointParam.W_UNDESIRABLE] = wU;
  const r = runPoint(kind === "kto" ? PointLoss.KTO : PointLoss.APO_ZERO_UNPAIRED, cfg, s, ref, null, labels, null, where);
  const loss = reduceInPlace(r.losses, [r.g], reduction, null, where);
  let nC = 0, nR = 0, rC = 0, rR = 0, lC = 0, lR = 0;
  for (let i = 0; i < B; i++) {
    const rew = beta * (s[i] - ref[i]);
    if (labels[i]) {
      nC++;
      rC += rew;
      lC += s[i];
    } else {
      nR++;
      rR += rew;
      lR += s[i];
    }
  }
  const metrics: LossMetrics = {
    loss, kl: z0,
    "rewards/chosen": nC ? rC / nC : NaN, "rewards/rejected": nR ? rR / nR : NaN,
    "rewards/margins": nC && nR ? rC / nC - rR / nR : NaN,
    "logps/chosen": nC ? lC / nC : NaN, "logps/rejected": nR ? lR / nR : NaN,
  };
  return { loss, losses: r.losses, g: r.g, metrics, z0 };
}

/** A DRO batch: single trajectories with a scalar reward. */
export interface DroBatch {
  /** S_θ(y_i | x_i). */
  scores: ArrayLike<number>;
  /** S_ref(y_i | x_i). */
  refScores: ArrayLike<number>;
  /** r_i (the feedback; for thumbs up/down, 1/0). */
  rewards: ArrayLike<number>;
  /** V(x_i), the value head's output for the prompt (it must not see y). */
  values: ArrayLike<number>;
  /** Trained tokens per response (only with `lengthNorm`). */
  tokens?: ArrayLike<number> | null;
}

/** Options of droLoss. */
export interface DroLossOptions {
  /** τ, the KL regularisation (the reward scale: ≈ 1 for {0, 1} rewards). Default 1. */
  tau?: number;
  /** Divide the policy gradient by τ (the paper's practice: the policy step no longer depends
   *  on τ). Default true; false gives the exact gradient of the loss. */
  rescale?: boolean;
  /** ρ per token ((S − S_ref)/N, as some third-party ports do). It changes the fixed point;
   *  default false (the paper sums). */
  lengthNorm?: boolean;
  /** `mean` over the batch (default) or `sum`. */
  reduction?: "mean" | "sum";
}

/**
 * DRO-V (Richemond et al. 2024): L = ½·mean (r − V(x) − τρ)², ρ = S_θ − S_ref, minimised
 * jointly over the policy and the value V; the unique minimiser is (π*, V*) of the
 * KL-regularised objective. Returns ∂L/∂S_θ = −e/B (after the 1/τ rescale; −τe/B without it)
 * and ∂L/∂V = −e/B, e = r − V − τρ; give the two their own learning rates. Metrics: `loss`,
 * `dro/mse` (mean e²), `values/mean`, `rewards/mean`, `rewards/implied` (mean τρ),
 * `rewards/corr` (correlation of τρ + V with r; NaN when either is constant).
 */
export function droLoss(batch: DroBatch, opts: DroLossOptions = {}): DroLossResult {
  const where = "droLoss";
  const o = checkOptions<DroLossOptions>(opts, where, ["tau", "rescale", "lengthNorm", "reduction"]);
  const tau = positiveNumber(o.tau, `${where}: tau`, 1);
  const rescale = bool(o.rescale, `${where}: rescale`, true);
  const norm = bool(o.lengthNorm, `${where}: lengthNorm`, false);
  const reduction = reductionOf(o.reduction, where, "mean", ["mean", "sum"]);
  const s = vec(batch?.scores, "scores", undefined);
  const B = batchSize(s.length, where);
  const ref = vec(batch.refScores, "refScores", B);
  const rewards = vec(batch.rewards, "rewards", B);
  const values = vec(batch.values, "values", B);
  const tokens = tokenCounts(batch.tokens, "tokens", B);
  if (norm && !tokens) throw new ValueError(`${where}: lengthNorm needs the token counts (tokens)`);
  const cfg = new Float64Array(PointParam.SLOTS);
  cfg[PointParam.BETA] = tau;
  cfg[PointParam.RESCALE] = rescale ? 1 : 0;
  cfg[PointParam.LENGTH_NORM] = norm ? 1 : 0;
  const r = runPoint(PointLoss.DRO, cfg, s, ref, norm ? tokens : null, rewards, values, where);
  const gv = r.gv!;
  // e_i = −∂ℓ_i/∂V_i, read before the reduction rescales gv.
  let mse = 0, implied = 0;
  const fit = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    mse += gv[i] * gv[i];
    const tr = rewards[i] - values[i] + gv[i]; // τρ = r − V − e
    implied += tr;
    fit[i] = tr + values[i];
  }
  const loss = reduceInPlace(r.losses, [r.g, gv], reduction, null, where);
  const metrics: LossMetrics = {
    loss, "dro/mse": mse / B, "values/mean": mean(values), "rewards/mean": mean(rewards), "rewards/implied": implied / B,
    "rewards/corr": correlation(fit, rewards),
  };
  return { loss, losses: r.losses, g: r.g, gValue: gv, metrics };
}

function correlation(a: Float64Array, b: Float64Array): number {
  const ma = mean(a), mb = mean(b);
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] - ma, y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

// ---- per-token work -------------------------------------------------------------------------

/** Logits: B·T rows of V entries, row-major, f32 (the model's) or f64 (the reference path),
 *  in JavaScript memory or in engine memory (a WasmBuffer, passed without a copy). */
export type Logits = Float32Array | Float64Array | WasmBuffer<Float32Array> | WasmBuffer<Float64Array>;

function isF32(x: Logits): boolean {
  return x instanceof WasmBuffer ? x.view instanceof Float32Array : x instanceof Float32Array;
}

function logitsArg(x: Logits, name: string): { f32: boolean; length: number; arg: WasmBuffer<Float32Array> | WasmBuffer<Float64Array> | ReturnType<typeof input> } {
  if (x instanceof WasmBuffer) {
    const v = x.view;
    if (!(v instanceof Float32Array) && !(v instanceof Float64Array)) throw new ValueError(`${name} must be a WasmBuffer of f32 or f64`);
    return { f32: v instanceof Float32Array, length: x.length, arg: x as WasmBuffer<Float32Array> | WasmBuffer<Float64Array> };
  }
  if (!(x instanceof Float32Array) && !(x instanceof Float64Array)) throw new ValueError(`${name} must be a Float32Array or a Float64Array (or a WasmBuffer of either), got ${(x as object)?.constructor?.name ?? typeof x}`);
  return { f32: x instanceof Float32Array, length: x.length, arg: input(x) };
}

function shapeOf(length: number, vocab: unknown, name: string): number {
  if (typeof vocab !== "number" || !Number.isInteger(vocab) || vocab < 1) throw new ValueError(`${name}: vocab must be an integer ≥ 1, got ${String(vocab)}`);
  if (length % vocab !== 0) throw new ShapeError(`${name}: length ${length} is not a multiple of vocab = ${vocab}`);
  return length / vocab;
}

function temperatureOf(v: unknown, where: string): number {
  const t = positiveNumber(v, `${where}: temperature`, 1);
  return 1 / t;
}

function targetsOf(x: ArrayLike<number>, rows: number, where: string): Int32Array {
  if (!x || typeof x.length !== "number") throw new ValueError(`${where}: targets must be an array of token ids`);
  if (x.length !== rows) throw new ShapeError(`${where}: targets has length ${x.length}, expected one per row (${rows})`);
  if (x instanceof Int32Array) return x;
  const t = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = x[i];
    if (!Number.isInteger(v) || v > 0x7fffffff || v < -0x80000000) throw new ValueError(`${where}: targets[${i}] must be an integer token id (negative: no target), got ${v}`);
    t[i] = v;
  }
  return t;
}

function maskOf(x: ArrayLike<number | boolean>, length: number, name: string): Uint8Array {
  if (!x || typeof x.length !== "number") throw new ValueError(`${name} must be an array of 0/1`);
  if (x.length !== length) throw new ShapeError(`${name} has length ${x.length}, expected ${length}`);
  const m = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const v = x[i];
    if (v === 1 || v === true) m[i] = 1;
    else if (v !== 0 && v !== false) throw new ValueError(`${name}[${i}] must be 0 or 1, got ${JSON.stringify(v)}`);
  }
  return m;
}

/** Options of tokenLogProbs and logitsBackward. */
export interface TokenOptions {
  /** V, the vocabulary size (the length of a row). */
  vocab: number;
  /** Softmax temperature t > 0 (the logits are divided by it). Default 1. */
  temperature?: number;
}

/** Result of tokenLogProbs. */
export interface TokenLogProbs {
  /** Log-probability of each row's target (0 where there is none). */
  logp: Float64Array;
  /** Log-sum-exp of each row of logits/t, for logitsBackward. */
  lse: Float64Array;
}

/** Per-token log-probabilities of the targets: for each row r of the logits (one position
 *  of one sequence), logp[r] = z[r, y_r]/t − lse[r] with lse[r] = log Σ_v exp(z[r, v]/t),
 *  computed with the row maximum subtracted and the sum in f64. A negative target means "no
 *  target" (logp 0, e.g. TRL's −100). Keep `lse` for logitsBackward. */
export function tokenLogProbs(logits: Logits, targets: ArrayLike<number>, opts: TokenOptions): TokenLogProbs {
  const where = "tokenLogProbs";
  const o = checkOptions<TokenOptions>(opts, where, ["vocab", "temperature"]);
  const L = logitsArg(logits, "logits");
  const V = o.vocab, R = shapeOf(L.length, V, where);
  const invTemp = temperatureOf(o.temperature, where);
  const t = targetsOf(targets, R, where);
  const eng = getEngine();
  const args = { targets: input(t), rows: R, vocab: V, invTemp, logp: output(R), lse: output(R) };
  const res = L.f32
    ? eng.call("loss_token_logprobs", { logits: L.arg as WasmBuffer<Float32Array>, ...args })
    : eng.call("loss_token_logprobs_f64", { logits: L.arg as WasmBuffer<Float64Array>, ...args });
  checkStatus(res.ret, where, true);
  return { logp: res.output("logp"), lse: res.output("lse") };
}

/** Result of sequenceScores. */
export interface SequenceScores {
  /** S[b] = Σ_t m[b,t]·logp[b,t]. */
  scores: Float64Array;
  /** N[b] = Σ_t m[b,t], the trained tokens. */
  tokens: Float64Array;
}

/** Masked per-sequence sums of per-token log-probabilities: for a B×T batch (row-major,
 *  `cols` = T), scores[b] = Σ_t m[b,t]·logp[b,t] and tokens[b] = Σ_t m[b,t], accumulated in
 *  f64 from t = 0. The mask is 1 on tokens the policy produced and is trained on. */
export function sequenceScores(logp: ArrayLike<number>, mask: ArrayLike<number | boolean>, opts: { cols: number }): SequenceScores {
  const where = "sequenceScores";
  const o = checkOptions<{ cols: number }>(opts, where, ["cols"]);
  const l = asVector(logp, "logp");
  const T = o.cols;
  const B = shapeOf(l.length, T, where);
  const m = maskOf(mask, l.length, "mask");
  const r = getEngine().call("loss_masked_row_sum", { logp: input(l), mask: input(m), batch: B, len: T, scores: output(B), tokens: output(B) });
  return { scores: r.output("scores"), tokens: r.output("tokens") };
}

/** Per-token gradients from per-sequence ones: dℓ[b,t] = m[b,t]·g[b] (every trained token of
 *  a sequence gets the same scalar), or m[b,t]·g[b]/max(N[b], 1) when `tokens` is given (for a
 *  loss on per-token averages whose g is w.r.t. the average; pairLoss and the point losses
 *  already include 1/N in their gradients, so do not pass it again for those). */
export function scatterSequenceGrad(g: ArrayLike<number>, mask: ArrayLike<number | boolean>, opts: { cols: number; tokens?: ArrayLike<number> | null }): Float64Array {
  const where = "scatterSequenceGrad";
  const o = checkOptions<{ cols: number; tokens?: ArrayLike<number> | null }>(opts, where, ["cols", "tokens"]);
  const gv = asVector(g, "g");
  const B = gv.length, T = o.cols;
  if (!Number.isInteger(T) || T < 1) throw new ValueError(`${where}: cols must be an integer ≥ 1, got ${String(T)}`);
  const m = maskOf(mask, B * T, "mask");
  const n = tokenCounts(o.tokens, "tokens", B);
  const r = getEngine().call("loss_scatter_seq_grad", { g: input(gv), mask: input(m), tokens: n && input(n), batch: B, len: T, dl: output(B * T) });
  return r.output("dl");
}

/** Options of logitsBackward. */
export interface LogitsBackwardOptions extends TokenOptions {
  /** Write (or, with `accumulate`, add) the result here instead of a new array: a typed array
   *  or a WasmBuffer of the logits' element type and length. */
  into?: Float32Array | Float64Array | WasmBuffer<Float32Array> | WasmBuffer<Float64Array>;
  /** Add to `into` instead of overwriting it (combining losses). Default false. */
  accumulate?: boolean;
}

/** Back-propagate dℓ (gradients w.r.t. the targets' log-probabilities) through the
 *  log-softmax and the gather: dlogits[r, v] = dℓ[r]·(1[v = y_r] − p[r, v])/t with
 *  p = exp(z/t − lse) (lse from tokenLogProbs). Returns an array of the logits' element type
 *  (or `into`). This is what a model's backward consumes. */
export function logitsBackward(dl: ArrayLike<number>, logits: Logits, lse: ArrayLike<number>, targets: ArrayLike<number>, opts: LogitsBackwardOptions): Float32Array | Float64Array {
  const where = "logitsBackward";
  const o = checkOptions<LogitsBackwardOptions>(opts, where, ["vocab", "temperature", "into", "accumulate"]);
  const L = logitsArg(logits, "logits");
  const V = o.vocab, R = shapeOf(L.length, V, where);
  const invTemp = temperatureOf(o.temperature, where);
  const d = asVector(dl, "dl", { length: R });
  const ls = asVector(lse, "lse", { length: R });
  const t = targetsOf(targets, R, where);
  const accumulate = bool(o.accumulate, `${where}: accumulate`, false);
  const { arg: dz, result } = gradTarget(o.into, L.f32, L.length, accumulate, where);
  const eng = getEngine();
  const args = { dl: input(d), lse: input(ls), targets: input(t), rows: R, vocab: V, invTemp, accumulate };
  const res = L.f32
    ? eng.call("loss_logits_backward", { logits: L.arg as WasmBuffer<Float32Array>, dz: dz as WasmBuffer<Float32Array>, ...args })
    : eng.call("loss_logits_backward_f64", { logits: L.arg as WasmBuffer<Float64Array>, dz: dz as WasmBuffer<Float64Array>, ...args });
  checkStatus(res.ret, where, true);
  return result(res as unknown as { output(p: "dz"): Float32Array | Float64Array });
}

type GradArg = WasmBuffer<Float32Array> | WasmBuffer<Float64Array> | ReturnType<typeof inout> | ReturnType<typeof output> | ReturnType<typeof outputF32>;

/** Where a gradient over logits goes: a new array, a typed array (copied back), or a buffer. */
function gradTarget(into: LogitsBackwardOptions["into"], f32: boolean, length: number, accumulate: boolean, where: string): {
  arg: GradArg; result: (res: { output(p: "dz"): Float32Array | Float64Array }) => Float32Array | Float64Array;
} {
  if (into === undefined) {
    if (accumulate) throw new ValueError(`${where}: accumulate needs \`into\` (the gradient to add to)`);
    return { arg: f32 ? outputF32(length) : output(length), result: (r) => r.output("dz") };
  }
  const el = into instanceof WasmBuffer ? into.view : into;
  if (!(f32 ? el instanceof Float32Array : el instanceof Float64Array) || into.length !== length) {
    throw new ShapeError(`${where}: into must be a ${f32 ? "Float32Array" : "Float64Array"} (or WasmBuffer) of length ${length}, like the logits`);
  }
  if (into instanceof WasmBuffer) return { arg: into, result: () => into.view };
  return { arg: inout(into), result: () => into };
}

/** Options of tokenDivergence. */
export interface DivergenceOptions {
  /** V, the vocabulary size. */
  vocab: number;
  /** 1/0 per row: positions to train on (TRL: labels ≠ −100). Default: every row. */
  mask?: ArrayLike<number | boolean> | null;
  /** β of `gjsd`, in [0, 1] (TRL GKD `beta`, default 0.5): 0 gives forward KL(T‖S), 1 reverse
   *  KL(S‖T). Not accepted by `fkl` and `rkl`. */
  beta?: number;
  /** Temperature t applied to both logits (TRL GKD `temperature`); the gradient w.r.t. the
   *  raw student logits includes 1/t (no t² factor). Default 1. */
  temperature?: number;
  /** `tokens` (default: Σ over rows ÷ number of masked rows, TRL's GKD) or `sum`. */
  reduction?: "tokens" | "sum";
  /** Write or add the gradient here (as logitsBackward). */
  into?: LogitsBackwardOptions["into"];
  /** Add to `into` instead of overwriting it. */
  accumulate?: boolean;
}

/** Result of tokenDivergence. */
export interface DivergenceResult {
  /** The reduced loss. */
  loss: number;
  /** The divergence at each row (0 where masked). */
  perToken: Float64Array;
  /** Gradient of the reduced loss w.r.t. the student logits (the logits' element type). */
  dlogits: Float32Array | Float64Array;
  /** Number of trained (masked-in) rows. */
  tokens: number;
}

const DIV_CODE: Record<DivergenceType, Divergence> = { fkl: Divergence.FKL, rkl: Divergence.RKL, gjsd: Divergence.GJSD };

/**
 * Token-level distillation divergence between a teacher's and a student's next-token
 * distributions at every (masked) position, over the full vocabulary: `fkl` KL(T‖S), `rkl`
 * KL(S‖T), `gjsd` β·KL(T‖M) + (1−β)·KL(S‖M) with M = βT + (1−β)S (generalised JSD of GKD,
 * Agarwal et al. 2024, Eq. 1; β = 0 and β = 1 are the forward and reverse KL exactly, as in
 * TRL). Named by direction: T is the teacher, S = softmax(student/t). 0·log 0 = 0; a teacher
 * probability of 0 under a positive student probability is clamped at the smallest normal f32.
 * Returns the reduced loss, per-row divergences, the gradient w.r.t. the student logits (the
 * teacher gets none) and the number of trained rows.
 */
export function tokenDivergence(kind: DivergenceType, student: Logits, teacher: Logits, opts: DivergenceOptions): DivergenceResult {
  const where = `tokenDivergence(${JSON.stringify(kind)})`;
  if (!(DIVERGENCES as readonly string[]).includes(kind)) {
    const near = closestName(String(kind), [...DIVERGENCES, ...Object.keys(LOSS_ALIASES)]);
    throw new ValueError(`tokenDivergence: unknown divergence ${JSON.stringify(kind)}${near ? `; did you mean "${near}"?` : ""} (valid: ${DIVERGENCES.join(", ")})`);
  }
  const o = checkOptions<DivergenceOptions>(opts, where, ["vocab", "mask", "beta", "temperature", "reduction", "into", "accumulate"]);
  const S = logitsArg(student, "student"), T = logitsArg(teacher, "teacher");
  if (S.f32 !== T.f32 || S.length !== T.length) throw new ShapeError(`${where}: student and teacher logits must have the same element type and length (${S.length} ${S.f32 ? "f32" : "f64"} vs ${T.length} ${T.f32 ? "f32" : "f64"})`);
  const V = o.vocab, R = shapeOf(S.length, V, where);
  let beta = 0.5;
  if (kind === "gjsd") {
    if (o.beta !== undefined && (typeof o.beta !== "number" || !(o.beta >= 0 && o.beta <= 1))) throw new ValueError(`${where}: beta must be in [0, 1] (0: forward KL, 1: reverse KL), got ${String(o.beta)}`);
    beta = o.beta ?? 0.5;
  } else if (o.beta !== undefined) {
    throw new ValueError(`${where}: beta is the mixture weight of "gjsd"; "${kind}" has none`);
  }
  const invTemp = temperatureOf(o.temperature, where);
  const reduction = reductionOf(o.reduction, where, "tokens", ["tokens", "sum"]);
  const mask = o.mask == null ? null : maskOf(o.mask, R, "mask");
  let count = R;
  if (mask) {
    count = 0;
    for (let i = 0; i < R; i++) count += mask[i];
  }
  const gscale = reduction === "tokens" ? 1 / Math.max(count, 1) : 1;
  const accumulate = bool(o.accumulate, `${where}: accumulate`, false);
  const { arg: dz, result } = gradTarget(o.into, S.f32, S.length, accumulate, where);
  const eng = getEngine();
  const work = eng.call("loss_divergence_workspace_size", { vocab: V }).ret;
  const args = { kind: DIV_CODE[kind], beta, invTemp, mask: mask && input(mask), rows: R, vocab: V, gscale, loss: output(R), accumulate, work: scratch(work) };
  const res = S.f32
    ? eng.call("loss_token_divergence", { student: S.arg as WasmBuffer<Float32Array>, teacher: T.arg as WasmBuffer<Float32Array>, dz: dz as WasmBuffer<Float32Array>, ...args })
    : eng.call("loss_token_divergence_f64", { student: S.arg as WasmBuffer<Float64Array>, teacher: T.arg as WasmBuffer<Float64Array>, dz: dz as WasmBuffer<Float64Array>, ...args });
  checkStatus(res.ret, where, true);
  const perToken = res.output("loss");
  let total = 0;
  for (let i = 0; i < R; i++) total += perToken[i];
  const loss = reduction === "tokens" ? total / Math.max(count, 1) : total;
  return { loss, perToken, dlogits: result(res as unknown as { output(p: "dz"): Float32Array | Float64Array }), tokens: count };
}

// ---- masked multi-turn composites (M-DPO, M-KTO) --------------------------------------------

/** Per-token log-probabilities of a B×T batch of sequences with their loss mask. */
export interface TokenScores {
  /** B×T policy log-probabilities ℓ_t of each sequence's tokens (row-major). */
  logps: ArrayLike<number>;
  /** B×T reference log-probabilities, same tokens and prefixes (teacher-forced transcript). */
  refLogps?: ArrayLike<number> | null;
  /** B×T: 1 on the tokens the policy produced (assistant turns), 0 on prompt, padding, and
   *  user / tool / observation tokens. */
  mask: ArrayLike<number | boolean>;
  /** T, positions per sequence. */
  cols: number;
}

function scoresOf(t: TokenScores, name: string): { s: Float64Array; ref: Float64Array | null; n: Float64Array; mask: Uint8Array } {
  if (!t || typeof t !== "object") throw new ValueError(`${name} must be { logps, refLogps, mask, cols }`);
  checkOptions(t, name, ["logps", "refLogps", "mask", "cols"]);
  const a = sequenceScores(t.logps, t.mask, { cols: t.cols });
  const ref = t.refLogps == null ? null : sequenceScores(t.refLogps, t.mask, { cols: t.cols }).scores;
  return { s: a.scores, ref, n: a.tokens, mask: maskOf(t.mask, a.scores.length * t.cols, `${name}.mask`) };
}

/** Result of pairLossTokens: pairLoss's, plus the per-token gradients. */
export interface PairLossTokensResult extends PairLossResult {
  /** dℓ of the chosen sequences (B×T, 0 off the mask). */
  dChosen: Float64Array;
  /** dℓ of the rejected sequences (B×T). */
  dRejected: Float64Array;
}

/** Result of unpairedLossTokens: unpairedLoss's, plus the per-token gradients. */
export interface UnpairedLossTokensResult extends UnpairedLossResult {
  /** dℓ (B×T, 0 off the mask). */
  dlogps: Float64Array;
}

/** pairLoss over per-token log-probabilities and explicit masks: the sequence scores are the
 *  masked sums (policy and reference over the same mask), and the per-sequence gradients are
 *  scattered back onto the masked tokens. With masks that keep only the policy's own tokens of
 *  a multi-turn transcript this is M-DPO (Xiong et al. 2024): observations stay in the context
 *  but out of the sums. Returns pairLoss's result plus dℓ for both batches (B×T). */
export function pairLossTokens(kind: PairLossKind | readonly PairLossKind[], batch: { chosen: TokenScores; rejected: TokenScores }, opts: PairLossOptions = {}): PairLossTokensResult {
  const c = scoresOf(batch?.chosen, "chosen"), r = scoresOf(batch?.rejected, "rejected");
  const res = pairLoss(kind, { chosen: c.s, rejected: r.s, refChosen: c.ref, refRejected: r.ref, chosenTokens: c.n, rejectedTokens: r.n }, opts);
  return {
    ...res,
    dChosen: scatterSequenceGrad(res.gChosen, c.mask, { cols: batch.chosen.cols }),
    dRejected: scatterSequenceGrad(res.gRejected, r.mask, { cols: batch.rejected.cols }),
  };
}

/** unpairedLoss over per-token log-probabilities and explicit masks (M-KTO on multi-turn
 *  transcripts). `kl` gives the mismatched pairs' per-token log-probabilities (policy and
 *  reference, with their mask); or pass `z0`. Returns unpairedLoss's result plus dℓ (B×T). */
export function unpairedLossTokens(kind: UnpairedLossType, batch: TokenScores & { labels: ArrayLike<number | boolean>; kl?: TokenScores | null; z0?: number }, opts: UnpairedLossOptions = {}): UnpairedLossTokensResult {
  const { labels, kl, z0, ...tokens } = batch ?? ({} as typeof batch);
  const a = scoresOf(tokens as TokenScores, "batch");
  if (a.ref === null) throw new ValueError("unpairedLossTokens: refLogps is required");
  let klScores: Float64Array | null = null, klRefScores: Float64Array | null = null;
  if (kl) {
    const k = scoresOf(kl, "kl");
    if (k.ref === null) throw new ValueError("unpairedLossTokens: kl.refLogps is required");
    klScores = k.s;
    klRefScores = k.ref;
  }
  const res = unpairedLoss(kind, { scores: a.s, refScores: a.ref, labels, klScores, klRefScores, ...(z0 !== undefined ? { z0 } : {}) }, opts);
  return { ...res, dlogps: scatterSequenceGrad(res.g, a.mask, { cols: tokens.cols }) };
}
