// The stream scheme: which (seed, stream) pair each piece of parallel work draws from.
// Randomness is named by what a piece of work covers, never by which thread runs it or when,
// so a result depends on the inputs, the split and the root seed only.
//
// A stream is the pair (seed, stream) handed to the generator, `new Rng(seed, stream)`. For a
// fixed seed, distinct stream ids give distinct generator states: the engine's rng_seed mixes
// the id through SplitMix64's finaliser, a bijection on 64 bits, before filling the four
// xoshiro256** words (assembly/core/rng.ts). Two streams of one seed then start at two
// different points of the generator's single cycle of length 2^256 − 1. Treating those points
// as uniform, k streams of at most L draws each overlap with probability at most k²·L/2^256:
// below 2^-180 for 2^27 streams (a tree over MAX_TREE_LEAVES leaves has 2^27 − 1 nodes) of 2^22
// draws each.
import { integer, seed as checkSeed } from "../core/validate.js";

/** Most leaves a merge tree may have: a node's stream id packs two numbers below 2^26 into
 *  one safe integer (2^26 · 2^26 = 2^52 < 2^53). */
export const MAX_TREE_LEAVES = 2 ** 26;

/** The random-stream id of a merge-tree node that covers `count` leaves, the smallest of
 *  which is leaf `first`: first·2^26 + count. Leaf i has stream i·2^26 + 1, and a node
 *  covering leaves 0..t has stream t + 1 (the stream SQUEAK's exact mode uses at point t, so
 *  that a chain of single-point leaves reproduces it). For contiguous ranges [first, last]
 *  this is first·2^26 + (last − first + 1).
 *
 *  Why every node of a tree gets its own stream, whatever the tree's shape: the map
 *  (first, count) ↦ first·2^26 + count is injective on 0 ≤ first < 2^26, 1 ≤ count ≤ 2^26 −
 *  first: below 2^26, count is the low digit and first the high digit of a two-digit number
 *  in base 2^26; count = 2^26 occurs only with first = 0, giving 2^26, which would need the
 *  digits (1, 0), and count is never 0. So it suffices that two distinct nodes differ in
 *  `first` or in `count`. In a binary merge tree, two distinct nodes never cover the same
 *  leaves (a merge always adds its other child's leaves), and their leaf sets are either
 *  disjoint or nested. Disjoint sets have different smallest leaves: `first` differs. Nested
 *  different sets have different sizes: `count` differs. Hence distinct nodes, distinct
 *  streams. Stream 0 is never a node's (count ≥ 1), which leaves it free for work outside any
 *  tree. The id depends only on the set of leaves a node covers, so the node over leaves
 *  0..t of a chain has the same stream in every tree that contains such a node. */
export function nodeStream(first: number, count: number): number {
  integer(first, "first", 0, MAX_TREE_LEAVES - 1);
  integer(count, "count", 1, MAX_TREE_LEAVES - first);
  return first * MAX_TREE_LEAVES + count;
}

/** A 53-bit seed derived from the root seed and a stream id, for work that takes a seed only
 *  (a SQUEAK leaf of a DISQUEAK tree, which then uses several streams of its own under this
 *  seed), or a stream id for work that has no place in a planned tree (the CLI's merge of
 *  two files of unknown origin hashes their checksums).
 *
 *  The mixing is SplitMix64's (Steele, Lea & Flood, OOPSLA 2014): h = seed·φ + stream + c
 *  (mod 2^64, φ = 0x9e3779b97f4a7c15 the golden-ratio increment), then the 64-bit finaliser
 *  (three xor-shift-multiply rounds, a bijection), keeping the top 53 bits. For a fixed seed,
 *  distinct streams below 2^64 give distinct h, hence distinct 64-bit outputs; dropping 11
 *  bits makes it a hash rather than an injection, so two given streams share a seed with
 *  probability about 2^-53 (and a derived seed equals its root seed equally rarely). That is
 *  the uniqueness this function offers: probabilistic, unlike nodeStream's. */
export function nodeSeed(seed: number, stream: number): number {
  checkSeed(seed);
  integer(stream, "stream", 0);
  let h = BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(stream) + 0x632be59bd9b4e019n;
  h &= 0xffffffffffffffffn;
  h = ((h ^ (h >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  h = ((h ^ (h >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  h ^= h >> 31n;
  return Number(h >> 11n);
}
