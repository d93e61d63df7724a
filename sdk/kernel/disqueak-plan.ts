// How DISQUEAK (Calandriello, Lazaric & Valko, AISTATS 2017, Alg. 2) cuts n rows into leaves
// and which dictionary each leaf starts from. disqueak() and the `seqlearn leaf` / `tree`
// commands follow these rules, so a tree run by the CLI, one node at a time or on a pool,
// gives byte-for-byte the dictionary of disqueak() on the same rows.
import { integer, shown } from "../core/validate.js";
import { ValueError } from "../core/errors.js";

/** Parts of at most this many rows start as exact leaves under leaf: "auto": every row with
 *  p̃ = 1 and q = q̄, as the paper's leaves. Larger parts are first thinned by SQUEAK (Alg. 1),
 *  which keeps a leaf's dictionary near q̄·d_eff points instead of the part's size. */
export const EXACT_LEAF_MAX_ROWS = 128;

export type LeafMode = "exact" | "squeak" | "auto";

/** The default rows per leaf, max(4096, ⌈n/16⌉): at most 16 leaves, a function of n only, so a
 *  result never depends on the number of workers. */
export function defaultLeafSize(n: number): number {
  integer(n, "n", 0);
  return Math.max(4096, Math.ceil(n / 16));
}

/** Sizes of the contiguous parts of n rows cut every `leafSize` rows (the last may be shorter). */
export function leafSizes(n: number, leafSize: number = defaultLeafSize(n)): number[] {
  integer(n, "n", 0);
  integer(leafSize, "leafSize", 1);
  const sizes: number[] = [];
  for (let s = 0; s < n; s += leafSize) sizes.push(Math.min(leafSize, n - s));
  return sizes;
}

/** The leaf dictionaries of a tree whose largest part has `largestPart` rows: "exact" or
 *  "squeak" as asked, or for "auto" exact when largestPart ≤ EXACT_LEAF_MAX_ROWS. */
export function leafKind(mode: LeafMode, largestPart: number): "exact" | "squeak" {
  if (mode !== "exact" && mode !== "squeak" && mode !== "auto") throw new ValueError(`leaf must be one of "exact", "squeak", "auto", got ${shown(mode)}`);
  integer(largestPart, "largestPart", 0);
  if (mode !== "auto") return mode;
  return largestPart <= EXACT_LEAF_MAX_ROWS ? "exact" : "squeak";
}
