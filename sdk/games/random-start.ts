// A seeded random starting policy for the tabular solvers: the softmax of n standard normal
// draws from the stream (seed, stream). The uniform policy is the equilibrium of symmetric
// games (rock-paper-scissors, dice), so a solver started there shows no convergence at all;
// `seqlearn game --init random` starts here instead. The exponential is detmath's, so the
// policy is the same in every runtime, like the rest of the games code.
import { exp } from "../core/detmath.js";
import { integer, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";

/** softmax(z), z ~ N(0, I_n) from Rng(seed, stream): a probability vector with every entry > 0. */
export function randomStartPolicy(n: number, seed: number, stream = 1): Float64Array {
  integer(n, "n", 1);
  checkSeed(seed);
  integer(stream, "stream", 0);
  const rng = new Rng(seed, stream);
  let z: Float64Array;
  try {
    z = rng.normal(n);
  } finally {
    rng.dispose();
  }
  const e = z.map((v) => exp(v));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
