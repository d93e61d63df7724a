// The GSQUEAK dictionary update: the Shrink step of distributed spectral sparsification by
// ridge effective resistances (Calandriello, Koutis, Lazaric & Valko, "Improved large-scale
// graph learning through ridge spectral sparsification", ICML 2018 — the algorithm their text
// calls DiSRe; its mechanics are those of SQUEAK's DICT-UPDATE, Calandriello, Lazaric & Valko,
// AISTATS 2017, Alg. 1, run on the edge kernel K = ΦᵀΦ with φ_e = √a_e·b_e). Written once: the
// streaming sparsifier (a chain of merges) and every merge of a distributed tree call it.
//
// A dictionary is a list of entries (u, v, a, p̃, q, index): an input edge u–v with its ORIGINAL
// weight a, its current sampling probability p̃ ∈ (0, 1] and its number of surviving copies
// q ∈ {1, …, q̄} (each edge is offered q̄ times; each copy survives with probability p̃). It
// encodes the sparsifier
//
//   L_D = Σ_i ã_i b_i b_iᵀ,   ã_i = a_i·q_i / (q̄·p̃_i),
//
// always from the original a (never compounded across updates), unbiased for the Laplacian of
// the edges it summarises since E[q_i] = q̄·p̃_i.
//
// The caller has estimated, for every entry, the ridge resistance in the dictionary's own
// sparsifier, r̂_i ≈ b_iᵀ(L_D + γI)⁻¹b_i (a JL sketch and a block solve, jl.ts and the SDK's
// LaplacianSolver); this export does the rest:
//
//   τ̃_i = (1 − ε)·a_i·r̂_i                 the estimator (the "clean" form: if L_D is an
//                                           (ε, γ)-sparsifier, τ/α ≤ τ̃ ≤ τ with α = (1+ε)/(1−ε))
//   p̃_i ← min(τ̃_i, p̃_i)                   probabilities never increase (resistances only fall
//                                           as edges are added: Rayleigh monotonicity)
//   q_i ← Binomial(q_i, p̃_new / p̃_old)     binomial thinning: each original copy now survives
//                                           with probability exactly p̃_new, independently
//   drop the entries with q_i = 0          (compaction, stable order)
//
// The draws come in entry order from the generator, one Binomial per entry whose probability
// fell (an entry whose p̃ does not change draws nothing), so a seed gives the same dictionary in
// every runtime.
import { ld, st, ptr, opt_ptr } from "../core/mem";
import { Status } from "../core/status";
import { rng_binomial } from "../core/rng";

/** Slots of the f64 `cfg` block of graph_dict_update. */
export const enum GsqConfig {
  /** ε ∈ (0, 1): the accuracy, and the slack (1 − ε) of the estimator. */
  EPS = 0,
  /** q̄: copies per edge. */
  QBAR = 1,
  /** k: columns of the JL sketch (the sums of squares are divided by k). */
  K = 2,
  /** Number of slots. */
  SLOTS = 3,
}

/** Slots of the f64 `info` block graph_dict_update writes. */
export const enum GsqInfo {
  /** Entries kept. */
  LIVE = 0,
  /** Copies kept, Σ q. */
  COPIES = 1,
  /** Estimate of d_eff(γ) of the edges the dictionary summarises: the Horvitz–Thompson sum
   *  Σ_i τ̃_i·q_i/(q̄·p̃_i) over the candidates, divided by 1 − ε. */
  DEFF = 2,
  /** Entries whose p̃ fell. */
  LOWERED = 3,
  /** Number of slots. */
  SLOTS = 4,
}

@inline function ldi(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}
@inline function sti(base: usize, i: i32, v: i32): void {
  store<i32>(base + (<usize>i << 2), v);
}

/** One GSQUEAK update of a dictionary of s entries, in place: τ̃_i = (1 − ε)·a_i·rsum_i/k,
 *  p̃_i ← min(τ̃_i, p̃_i), q_i ← Binomial(q_i, p̃_new/p̃_old) (drawn only when p̃ fell), and the
 *  entries with q = 0 removed (the arrays compacted in order). `info` receives the GsqInfo
 *  slots; `tauOut` (optional) the estimates τ̃ of all s entries before thinning. Returns
 *  Status.OK, Status.NON_FINITE when a sum is negative or not finite (nothing is changed), or
 *  Status.BAD_ARG for a configuration or an entry out of range (ε ∉ (0, 1), q̄ < 1, k < 1,
 *  p̃ ∉ (0, 1], q ∉ [1, q̄], a not finite and > 0; nothing is changed).
 *  @param cfg the GsqConfig slots (ε, q̄, k)
 *  @param s entries on entry
 *  @param u first node of each entry
 *  @param v second node of each entry
 *  @param a original weight of each entry
 *  @param p sampling probability p̃ of each entry (updated)
 *  @param q copies of each entry (updated)
 *  @param idx stream index of each entry (moved with its entry)
 *  @param rsum per entry, Σ_j (Z[u, j] − Z[v, j])² over the k sketch columns (graph_jl_accumulate)
 *  @param rng the generator's 32-byte state (advances)
 *  @param info receives the GsqInfo slots (GsqInfo.SLOTS f64)
 *  @param tauOut receives τ̃ of every entry before thinning (or 0) */
export function graph_dict_update(cfg: ptr<f64>, s: i32, u: ptr<i32>, v: ptr<i32>, a: ptr<f64>, p: ptr<f64>, q: ptr<i32>,
  idx: ptr<f64>, rsum: ptr<f64>, rng: ptr<u64>, info: ptr<f64>, tauOut: opt_ptr<f64>): Status {
  const eps = ld(cfg, GsqConfig.EPS), qbar = ld(cfg, GsqConfig.QBAR), k = ld(cfg, GsqConfig.K);
  for (let t = 0; t < GsqInfo.SLOTS; t++) st(info, t, 0.0);
  if (s < 0 || !(eps > 0.0 && eps < 1.0) || !(qbar >= 1.0 && qbar < 2147483648.0) || !(k >= 1.0 && k < Infinity)) return Status.BAD_ARG;
  // Check everything before changing anything.
  for (let i = 0; i < s; i++) {
    const pi = ld(p, i), ai = ld(a, i), qi = ldi(q, i);
    if (!(pi > 0.0 && pi <= 1.0) || !(ai > 0.0 && ai < Infinity) || qi < 1 || <f64>qi > qbar) return Status.BAD_ARG;
    const r = ld(rsum, i);
    if (!(r >= 0.0 && r < Infinity)) return Status.NON_FINITE;
  }
  const slack = 1.0 - eps;
  let deff = 0.0, copies = 0.0;
  let live = 0, lowered = 0;
  for (let i = 0; i < s; i++) {
    const ai = ld(a, i), pOld = ld(p, i);
    const qi = ldi(q, i);
    // τ̃ = (1 − ε)·a·r̂, r̂ = Σ_j d_j² / k.
    const tau = slack * ai * (ld(rsum, i) / k);
    if (tauOut != 0) st(tauOut, i, tau);
    deff += tau * (<f64>qi / (qbar * pOld));
    let qn = qi;
    if (tau < pOld) {
      // p̃ ← τ̃ and q ← Binomial(q, p̃_new / p̃_old).
      qn = <i32>rng_binomial(rng, <f64>qi, tau / pOld);
      st(p, i, tau);
      lowered++;
    }
    sti(q, i, qn);
    if (qn > 0) {
      if (live != i) {
        sti(u, live, ldi(u, i));
        sti(v, live, ldi(v, i));
        st(a, live, ai);
        st(p, live, ld(p, i));
        sti(q, live, qn);
        st(idx, live, ld(idx, i));
      }
      copies += <f64>qn;
      live++;
    }
  }
  st(info, GsqInfo.LIVE, <f64>live);
  st(info, GsqInfo.COPIES, copies);
  st(info, GsqInfo.DEFF, deff / slack);
  st(info, GsqInfo.LOWERED, <f64>lowered);
  return Status.OK;
}
