// The pairwise step, written once for the offline preference trainer, the online trainer (pairs
// built from samples) and multi-turn M-DPO (pairs of transcripts with policy-token masks):
// chosen and rejected rows stacked into one forward pass, reference scores over the same masks,
// pairLoss (any pairwise kind, or a weighted list with "sft"), the per-pair weights (soft
// labels), dℓ = m·g scattered onto the masked tokens, one backward pass.
import { ValueError } from "../../core/errors.js";
import { checkOptions } from "../../core/options.js";
import { LanguageModel } from "../model.js";
import { pairLoss, scatterSequenceGrad, PAIR_LOSSES, lossType, type PairLossKind, type PairLossType } from "../losses.js";
import { lmBatch, stackPadded, type PaddedBatch } from "../data.js";
import { addMean, type MetricSums } from "./common.js";
import type { Reference, RowKey } from "./reference.js";

/** The loss options of the pairwise trainers (TRL's DPOConfig names, camelCased). */
export interface PairLossConfig {
  /** The loss: a pairwise kind (`sigmoid` = DPO, `ipo`, `hinge`, `cdpo`, `robust`, `slic`,
   *  `sigmoid_norm`, `sppo_hard`, `nca_pair`, `bco_pair`; aliases such as `dpo` accepted), or a
   *  list of kinds, which may include `sft` (TRL `loss_type` lists). Default "sigmoid". */
  loss?: PairLossKind | "dpo" | readonly (PairLossKind | "dpo")[];
  /** Weights of a list of losses (TRL `loss_weights`). Default all 1. */
  lossWeights?: readonly number[];
  /** β (for `ipo`: τ). Default 0.1. */
  beta?: number;
  /** ε of `cdpo` / `robust` (TRL `label_smoothing`). Default 0. */
  labelSmoothing?: number;
  /** δ of `slic`. Default 1. */
  delta?: number;
  /** Per-token average scores (default: true for `ipo` and `sigmoid_norm`, as TRL's DPOTrainer;
   *  TRL's online trainers and OpenRLHF sum: false). */
  lengthNorm?: boolean;
}

/** @internal */
export const PAIR_CONFIG_KEYS = ["loss", "lossWeights", "beta", "labelSmoothing", "delta", "lengthNorm"] as const;

/** The resolved pairwise loss. @internal */
export interface PairLossSpec {
  kinds: PairLossType[];
  weights: number[];
  sftWeight: number;
  opts: { beta: number; labelSmoothing: number; delta: number; lengthNorm?: boolean };
}

/** @internal */
export function pairLossSpec(c: PairLossConfig, where: string): PairLossSpec {
  const raw = c.loss === undefined ? ["sigmoid"] : Array.isArray(c.loss) ? [...c.loss] : [c.loss];
  if (raw.length === 0) throw new ValueError(`${where}: loss must name at least one loss`);
  const names = raw.map((k) => (k === "sft" ? "sft" : lossType(String(k))));
  const weights = c.lossWeights === undefined ? names.map(() => 1) : [...c.lossWeights];
  if (weights.length !== names.length || weights.some((w) => typeof w !== "number" || !Number.isFinite(w))) {
    throw new ValueError(`${where}: lossWeights must hold ${names.length} finite numbers (one per loss)`);
  }
  if (new Set(names).size !== names.length) throw new ValueError(`${where}: a loss appears twice in the list`);
  const kinds: PairLossType[] = [], kw: number[] = [];
  let sftWeight = 0;
  names.forEach((n, i) => {
    if (n === "sft") sftWeight = weights[i];
    else if ((PAIR_LOSSES as readonly string[]).includes(n)) {
      kinds.push(n as PairLossType);
      kw.push(weights[i]);
    } else throw new ValueError(`${where}: "${raw[i]}" is not a pairwise loss (valid: ${PAIR_LOSSES.join(", ")}, and "sft" in a list)`);
  });
  if (!kinds.length) throw new ValueError(`${where}: give at least one pairwise loss ("sft" alone is the sft trainer)`);
  const opts = { beta: c.beta ?? 0.1, labelSmoothing: c.labelSmoothing ?? 0, delta: c.delta ?? 1, ...(c.lengthNorm !== undefined ? { lengthNorm: c.lengthNorm } : {}) };
  // validate once, on a dummy pair, so a bad β or ε fails at construction
  pairLoss(kinds, { chosen: [0], rejected: [0], refChosen: [0], refRejected: [0], chosenTokens: [1], rejectedTokens: [1] }, { ...opts, weights: kw, reduction: "sum" });
  return { kinds, weights: kw, sftWeight, opts };
}

/** One pairwise micro-batch. @internal */
export interface PairMicro {
  chosen: PaddedBatch;
  rejected: PaddedBatch;
  promptIds: Int32Array | null;
  /** Per-pair weights (soft labels); the step's loss is Σ w·ℓ / Σ w. */
  weights: Float64Array;
  /** Rows' identities for the reference (chosen rows, then rejected rows). */
  keys: RowKey[];
}

/** Denominators of a pairwise step: Σ w and Σ w·N_w (the sft term's tokens). @internal */
export function pairDenominators(micro: readonly PairMicro[]): Record<string, number> {
  let w = 0, wn = 0;
  for (const mb of micro) {
    const T = mb.chosen.cols;
    for (let i = 0; i < mb.chosen.rows; i++) {
      let n = 0;
      for (let t = 0; t < T; t++) n += mb.chosen.mask[i * T + t];
      w += mb.weights[i];
      wn += mb.weights[i] * n;
    }
  }
  return { pairs: w, chosenTokens: wn };
}

/** Forward, loss and (with `backward`) backward of one pairwise micro-batch. @internal */
export function pairMicroStep(model: LanguageModel, ref: Reference | null, spec: PairLossSpec, mb: PairMicro, denom: Record<string, number>, backward: boolean): MetricSums {
  const B = mb.chosen.rows;
  const rows = stackPadded([mb.chosen, mb.rejected]);
  const pids = mb.promptIds ? Int32Array.from([...mb.promptIds, ...mb.promptIds]) : null;
  const S_ref = ref ? ref.scores(rows, pids, mb.keys) : null;
  const lp = model.logProbs(lmBatch(rows, pids ?? undefined));
  const sw = lp.sums.slice(0, B), sl = lp.sums.slice(B), nw = lp.counts.slice(0, B), nl = lp.counts.slice(B);
  const res = pairLoss(spec.kinds, {
    chosen: sw, rejected: sl, refChosen: S_ref ? S_ref.slice(0, B) : new Float64Array(B), refRejected: S_ref ? S_ref.slice(B) : new Float64Array(B),
    chosenTokens: nw, rejectedTokens: nl,
  }, { ...spec.opts, weights: spec.weights, reduction: "sum" });
  const W = denom.pairs, WN = denom.chosenTokens;
  const g = new Float64Array(2 * B);
  let loss = 0, sft = 0;
  for (let i = 0; i < B; i++) {
    const w = mb.weights[i];
    g[i] = (res.gChosen[i] * w) / W;
    g[B + i] = (res.gRejected[i] * w) / W;
    loss += w * res.losses[i];
    if (spec.sftWeight !== 0 && WN > 0) {
      g[i] -= (spec.sftWeight * w) / WN;
      sft -= w * sw[i];
    }
  }
  // the loss is this micro-batch's share of the step's: Σ w·ℓ / Σ_step w (+ λ·Σ w·(−S_w) / Σ_step w·N_w)
  const m: MetricSums = { sums: { loss: W > 0 ? loss / W : 0 }, counts: {} };
  if (spec.sftWeight !== 0) {
    m.sums["loss/sft"] = WN > 0 ? sft / WN : 0;
    m.sums.loss += spec.sftWeight * m.sums["loss/sft"];
  }
  for (const k of ["rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected"]) addMean(m, k, res.metrics[k], B);
  m.sums.tokens = 0;
  for (let i = 0; i < B; i++) m.sums.tokens += nw[i] + nl[i];
  if (backward) {
    const dlogp = scatterSequenceGrad(g, rows.mask, { cols: rows.cols });
    model.backward({ dlogp });
  }
  return m;
}

/** Check a config object's pairwise keys. @internal */
export function checkPairConfig(c: object, where: string, keys: readonly string[]): void {
  checkOptions(c, where, keys);
}
