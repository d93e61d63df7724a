// Rows of examples as model batches, checked against the model's context (naming the line).
import { ShapeError, ValueError } from "../../core/errors.js";
import { integer } from "../../core/validate.js";
import { padSequences, type Example, type PaddedBatch, type Segment } from "../data.js";

/** Pad (prompt, response) segment pairs into a batch of `cols` positions (default: the longest
 *  row), checking that every row fits the model's context. @internal */
export function padRows(parts: ReadonlyArray<readonly [Segment, Segment]>, lines: readonly number[], pad: number, context: number, cols?: number): PaddedBatch {
  let longest = 1;
  parts.forEach(([p, r], i) => {
    const L = p.tokens.length + r.tokens.length - 1;
    if (L > context) throw new ShapeError(`line ${lines[i]}: the sequence needs ${L} positions, more than the model's context of ${context} (shorten it, or load the data with a smaller maxLength)`);
    longest = Math.max(longest, L);
  });
  return padSequences(parts, pad, cols ?? longest);
}

/** The prompt ids of examples, or null for a model without a prompt embedding. @internal */
export function promptIdsOf(examples: readonly Example[], promptId: ((e: Example) => number) | undefined, promptVocab: number): Int32Array | null {
  if (promptVocab === 0) return null;
  if (!promptId) throw new ValueError("the model has a prompt embedding; give promptId: (example) => id");
  return Int32Array.from(examples, (e) => integer(promptId(e), `promptId(line ${e.line})`, 0, promptVocab - 1));
}

/** Σ of a batch's mask per row. @internal */
export function maskCounts(b: PaddedBatch): Float64Array {
  const out = new Float64Array(b.rows);
  for (let i = 0; i < b.rows; i++) {
    let n = 0;
    for (let t = 0; t < b.cols; t++) n += b.mask[i * b.cols + t];
    out[i] = n;
  }
  return out;
}

/** The position of each row's last prompt token (where a value head reads V(x)). @internal */
export function promptEnds(examples: readonly Example[]): Int32Array {
  return Int32Array.from(examples, (e) => e.prompt.tokens.length - 1);
}
