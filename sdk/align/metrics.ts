// Sequence-level divergences between two language models, by the chain rule (Tiapkin et al.
// 2025, teacher hacking: proxy and golden distances): for y drawn from P,
//   KL_seq(P‖Q)(x) = E_{y∼P(·|x)} Σ_t KL(P(·|x, y_<t) ‖ Q(·|x, y_<t)),
// so summing the exact per-token KLs (full vocabulary, the engine's tokenDivergence) along
// sequences sampled from P is an unbiased estimate with far less variance than the log-ratio
// Σ_t log P(y_t|·)/Q(y_t|·) of the same samples.
import { ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer } from "../core/validate.js";
import { LanguageModel, shiftTokens } from "./model.js";
import { tokenDivergence } from "./losses.js";

/** Options of `sequenceKl`. */
export interface SequenceKlOptions {
  /** Index of the first scored token of every sequence (the prompt's length): positions from
   *  there on are the response, predicted from their prefixes. A number, or one per sequence. */
  start: number | ArrayLike<number>;
  /** Prompt ids [B] for models with a prompt embedding. */
  promptIds?: ArrayLike<number>;
  /** The logits [B·(T−1)·V] of P on these sequences, when already computed (P is then only
   *  used for its vocabulary): `sequenceKlLogits` of an earlier call on the same sequences. */
  pLogits?: Float32Array;
}

/** What `sequenceKl` returns. */
export interface SequenceKl {
  /** Mean over the sequences of Σ_t KL(P‖Q) at the response positions: the estimate of KL_seq(P‖Q). */
  mean: number;
  /** Σ_t KL(P(·|prefix) ‖ Q(·|prefix)) of each sequence. */
  perSequence: Float64Array;
  /** P's logits on the sequences (reusable as `pLogits`). */
  pLogits: Float32Array;
}

/**
 * The chain-rule estimate of the sequence-level KL(P‖Q) from `sequences` (prompt + response,
 * all of the same length) that were drawn from P: Σ over the response positions of the exact
 * next-token KL(P‖Q) over the full vocabulary, averaged over the sequences. With sequences drawn
 * from Q instead, `sequenceKl(q, p, …)` gives the reverse direction KL_seq(Q‖P).
 *
 * ```ts
 * const ys = sample(teacher, prompts, { maxNewTokens: 12, seed: 7 }).sequences;
 * const proxy = sequenceKl(teacher, student, ys, { start: 4 }).mean; // KL_seq(teacher‖student)
 * ```
 */
export function sequenceKl(p: LanguageModel, q: LanguageModel, sequences: readonly ArrayLike<number>[], options: SequenceKlOptions): SequenceKl {
  if (!(p instanceof LanguageModel) || !(q instanceof LanguageModel)) throw new ValueError("sequenceKl: p and q must be LanguageModels");
  const o = checkOptions<SequenceKlOptions>(options, "sequenceKl", ["start", "promptIds", "pLogits"]);
  if (p.vocab !== q.vocab) throw new ValueError(`sequenceKl: the vocabularies differ (${p.vocab} and ${q.vocab})`);
  if (!Array.isArray(sequences) || sequences.length === 0) throw new ShapeError("sequenceKl: sequences must be a non-empty array");
  const B = sequences.length, L = sequences[0].length;
  for (let b = 0; b < B; b++) if (sequences[b].length !== L) throw new ShapeError(`sequenceKl: sequence ${b} has ${sequences[b].length} tokens, sequence 0 has ${L}; give sequences of one length`);
  if (L < 2) throw new ShapeError("sequenceKl: sequences need at least two tokens");
  const T = L - 1;
  const mask = new Uint8Array(B * L);
  for (let b = 0; b < B; b++) {
    const s = integer(typeof o.start === "number" ? o.start : o.start[b], `start[${b}]`, 1, T);
    for (let t = s; t < L; t++) mask[b * L + t] = 1;
  }
  const shifted = shiftTokens(sequences, mask);
  const ids = o.promptIds;
  const V = p.vocab;
  let pl = o.pLogits;
  if (pl !== undefined && pl.length !== B * T * V) throw new ShapeError(`sequenceKl: pLogits has ${pl.length} entries, expected ${B * T * V}`);
  pl ??= p.logits(shifted.inputs, p.config.promptVocab > 0 ? { promptIds: ids } : undefined);
  const ql = q.logits(shifted.inputs, q.config.promptVocab > 0 ? { promptIds: ids } : undefined);
  // fkl(student = Q, teacher = P) = KL(P‖Q) at every masked row
  const r = tokenDivergence("fkl", ql, pl, { vocab: V, mask: shifted.mask!, reduction: "sum" });
  const per = new Float64Array(B);
  let total = 0;
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = 0; t < T; t++) s += r.perToken[b * T + t];
    per[b] = s;
    total += s;
  }
  return { mean: total / B, perSequence: per, pLogits: pl };
}
