// Edge sampling for one-shot spectral sparsification (Spielman & Srivastava, "Graph
// sparsification by effective resistances", SIAM J. Comput. 40(6), 2011): keep each edge
// independently (the form Laplacians.jl's `sparsify` uses), or draw a fixed number of edges
// with replacement in proportion to given probabilities (the paper's Algorithm 1). The
// reweighting (w/p, or count·w/(N·p)) is the caller's; this file only draws.
import { ptr } from "../core/mem";
import { Status } from "../core/status";
import { next_f64, rng_binomial } from "../core/rng";

/** How graph_sample_edges draws (its `mode` argument). */
export const enum EdgeSampling {
  /** Edge e kept (count 1) with probability prob[e] ∈ [0, 1], independently; one uniform per
   *  edge, in edge order. */
  BERNOULLI = 0,
  /** `total` draws with replacement, edge e with probability prob[e] / Σ prob; counts[e] the
   *  number of times edge e was drawn. Drawn as a chain of binomials in edge order,
   *  counts[e] ~ Binomial(remaining, prob[e] / Σ_{f ≥ e} prob[f]): the exact multinomial, with
   *  one binomial per edge instead of one draw per sample. */
  MULTINOMIAL = 1,
}

/** Draw edges: see EdgeSampling. `work` (m f64) holds the suffix sums of prob for MULTINOMIAL
 *  (any block for BERNOULLI). Returns Status.OK, or Status.BAD_ARG for m < 0, an unknown mode,
 *  a probability that is not finite and ≥ 0 (or above 1 for BERNOULLI), a total that is not an
 *  integer in [0, 2^31), or a MULTINOMIAL whose probabilities are all 0 with total > 0 (counts
 *  untouched).
 *  @param mode how to draw
 *  @param m number of edges
 *  @param prob per edge: the keep probability (BERNOULLI) or the unnormalised weight (MULTINOMIAL)
 *  @param total number of draws (MULTINOMIAL; ignored for BERNOULLI)
 *  @param rng the generator's 32-byte state (advances)
 *  @param counts receives the count of each edge
 *  @param work m f64 of scratch */
export function graph_sample_edges(mode: EdgeSampling, m: i32, prob: ptr<f64>, total: f64, rng: ptr<u64>, counts: ptr<i32>, work: ptr<f64>): Status {
  if (m < 0) return Status.BAD_ARG;
  if (mode == EdgeSampling.BERNOULLI) {
    for (let e = 0; e < m; e++) {
      const x = load<f64>(prob + (<usize>e << 3));
      if (!(x >= 0.0 && x <= 1.0)) return Status.BAD_ARG;
    }
    for (let e = 0; e < m; e++) {
      store<i32>(counts + (<usize>e << 2), next_f64(rng) < load<f64>(prob + (<usize>e << 3)) ? 1 : 0);
    }
    return Status.OK;
  }
  if (mode != EdgeSampling.MULTINOMIAL) return Status.BAD_ARG;
  if (!(total >= 0.0 && total < 2147483648.0) || Math.floor(total) != total) return Status.BAD_ARG;
  // Suffix sums S_e = Σ_{f ≥ e} prob[f], summed from the last edge down.
  let acc = 0.0;
  for (let e = m - 1; e >= 0; e--) {
    const x = load<f64>(prob + (<usize>e << 3));
    if (!(x >= 0.0 && x < Infinity)) return Status.BAD_ARG;
    acc += x;
    if (!(acc < Infinity)) return Status.BAD_ARG;
    store<f64>(work + (<usize>e << 3), acc);
  }
  if (total > 0.0 && !(acc > 0.0)) return Status.BAD_ARG;
  let left = total;
  for (let e = 0; e < m; e++) {
    const x = load<f64>(prob + (<usize>e << 3));
    let c = 0.0;
    if (left > 0.0 && x > 0.0) {
      // The last edge with a positive weight has x = S_e exactly: it takes every draw left.
      const ratio = x / load<f64>(work + (<usize>e << 3));
      c = ratio >= 1.0 ? left : rng_binomial(rng, left, ratio);
      left -= c;
    }
    store<i32>(counts + (<usize>e << 2), <i32>c);
  }
  return Status.OK;
}
