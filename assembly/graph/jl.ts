// Johnson–Lindenstrauss sketches of effective resistances (Spielman & Srivastava, "Graph
// sparsification by effective resistances", SIAM J. Comput. 40(6), 2011, Section 4).
//
// With M = L + γI = FᵀF, F = [W^{1/2}B ; √γ·I] ((m + n) × n, B the edge–node incidence
// matrix, W the edge weights), the ridge resistance of a node pair is
//
//   r_γ(u, v) = (χ_u − χ_v)ᵀ M⁻¹ (χ_u − χ_v) = ‖F M⁻¹ (χ_u − χ_v)‖²,
//
// and a k × (m + n) matrix of independent ±1 entries S keeps every such norm up to a factor
// 1 ± η with high probability when k ≈ 24·ln(#pairs)/η² (the JL lemma; in practice far fewer
// columns do, see sdk/graph/resistances.ts). Writing Y = Fᵀ Sᵀ (n × k) and Z = M⁻¹ Y,
//
//   r̂(u, v) = ‖Z_u − Z_v‖² / k,      E[r̂] = r_γ(u, v) exactly.
//
// The √γ·I rows of F are what make the estimate unbiased for γ > 0: sketching W^{1/2}B alone
// estimates (χ_u − χ_v)ᵀ M⁻¹ L M⁻¹ (χ_u − χ_v) = r_γ − γ‖M⁻¹(χ_u − χ_v)‖², biased low
// (Calandriello, Koutis, Lazaric & Valko, ICML 2018, use the ridge resistances r_γ; the
// correction is this implementation's way of sketching them with the same number of solves).
//
// Randomness, and why S is never stored: row e of S (edge e) is the bits of ⌈k/64⌉ consecutive
// 64-bit words of the generator — column j is bit j mod 64 of word ⌊j/64⌋, bit 1 meaning −1 —
// drawn edge after edge in edge order, then (γ > 0) one row of ⌈k/64⌉ words per node. A call
// builds only the columns [col0, col0 + kb) of Y but draws every word, so the generator always
// advances by the same amount and a caller can rebuild any block of columns from a copy of the
// starting state: S depends on the seed and k only, never on how the columns are blocked.
//
// Cost: O((m + n)·⌈k/64⌉) generator draws and O((m + n)·kb) additions per call; next to the
// block solve that follows (iterations × 2m × k products) it is a few per cent.
import { ptr, opt_ptr } from "../core/mem";
import { Status } from "../core/status";
import { next_u64 } from "../core/rng";

@inline function ldi(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}

/** Draw one row of `words` words and add ±x to the columns [col0, col0 + kb) of the row at
 *  `row` (kb f64): bit j set gives −x, clear +x (x given by its bits). */
@inline function addRow(rng: usize, words: i32, col0: i32, kb: i32, row: usize, xbits: u64): void {
  const end = col0 + kb;
  for (let g = 0; g < words; g++) {
    const word = next_u64(rng);
    const lo = max(col0, g << 6), hi = min(end, (g + 1) << 6);
    for (let j = lo; j < hi; j++) {
      const bit = (word >> <u64>(j & 63)) & 1;
      const p = row + (<usize>(j - col0) << 3);
      store<f64>(p, load<f64>(p) + reinterpret<f64>(xbits ^ (bit << 63)));
    }
  }
}

/** The columns [col0, col0 + kb) of the sketch Y = Bᵀ W^{1/2} Sᵀ + √γ·Sᵀ_nodes (n × kb,
 *  row-major), S a k-column ±1 matrix drawn from the generator: for edge e (in order) the bits
 *  of ⌈k/64⌉ words give its signs s_ej, and Y[u_e, j] += s_ej·√w_e, Y[v_e, j] −= s_ej·√w_e; with
 *  γ > 0, one more row of words per node i gives Y[i, j] += s_ij·√γ. The generator advances by
 *  (m + (γ > 0 ? n : 0))·⌈k/64⌉ draws whatever col0 and kb are, so every block of columns can be
 *  built from one saved state. The 1/√k of the sketch is left to the caller (r̂ = ‖·‖²/k).
 *  Returns Status.OK, or Status.BAD_ARG for sizes out of range, an endpoint outside [0, n) or
 *  a weight that is not finite and > 0 (then y is unspecified and the generator untouched).
 *  @param n nodes (rows of y)
 *  @param m edges
 *  @param u first endpoint of each edge, in [0, n)
 *  @param v second endpoint of each edge, in [0, n)
 *  @param w weight of each edge (> 0), or 0 when every weight is 1
 *  @param gamma the ridge γ ≥ 0 (0: no node rows)
 *  @param k columns of the whole sketch (≥ 1)
 *  @param col0 first column to build (0 ≤ col0 < k)
 *  @param kb columns to build (1 ≤ kb ≤ k − col0)
 *  @param rng the generator's 32-byte state (advances)
 *  @param y receives the n×kb block, row-major */
export function graph_jl_rhs(n: i32, m: i32, u: ptr<i32>, v: ptr<i32>, w: opt_ptr<f64>, gamma: f64, k: i32,
  col0: i32, kb: i32, rng: ptr<u64>, y: ptr<f64>): Status {
  if (n < 0 || m < 0 || k < 1 || col0 < 0 || kb < 1 || col0 > k - kb || !(gamma >= 0.0 && gamma < Infinity)) return Status.BAD_ARG;
  for (let e = 0; e < m; e++) {
    const a = ldi(u, e), b = ldi(v, e);
    if (a < 0 || a >= n || b < 0 || b >= n) return Status.BAD_ARG;
    if (w != 0) {
      const x = load<f64>(w + (<usize>e << 3));
      if (!(x > 0.0 && x < Infinity)) return Status.BAD_ARG;
    }
  }
  const rs = <usize>kb << 3;
  memory.fill(y, 0, <usize>n * rs);
  const words = (k + 63) >> 6;
  for (let e = 0; e < m; e++) {
    const sw = w == 0 ? 1.0 : Math.sqrt(load<f64>(w + (<usize>e << 3)));
    const xbits = reinterpret<u64>(sw);
    // The two endpoints share the row's words: draw them once, apply to both rows.
    const ra = y + <usize>ldi(u, e) * rs, rb = y + <usize>ldi(v, e) * rs;
    const end = col0 + kb;
    for (let g = 0; g < words; g++) {
      const word = next_u64(rng);
      const lo = max(col0, g << 6), hi = min(end, (g + 1) << 6);
      for (let j = lo; j < hi; j++) {
        const s = reinterpret<f64>(xbits ^ (((word >> <u64>(j & 63)) & 1) << 63));
        const o = <usize>(j - col0) << 3;
        store<f64>(ra + o, load<f64>(ra + o) + s);
        store<f64>(rb + o, load<f64>(rb + o) - s);
      }
    }
  }
  if (gamma > 0.0) {
    const gbits = reinterpret<u64>(Math.sqrt(gamma));
    for (let i = 0; i < n; i++) addRow(rng, words, col0, kb, y + <usize>i * rs, gbits);
  }
  return Status.OK;
}

/** acc[t] += Σ_j (z[a_t, j] − z[b_t, j])² over the kb columns of the n×kb block z, for each of
 *  the `count` node pairs (a_t, b_t). The columns are added one at a time in order, so
 *  accumulating a sketch block by block gives the same bits as one pass over all its columns.
 *  Returns Status.OK, or Status.BAD_ARG for a node outside [0, n) (acc untouched).
 *  @param n nodes (rows of z)
 *  @param kb columns of z (≥ 1)
 *  @param z the n×kb block, row-major
 *  @param count number of pairs
 *  @param a first node of each pair
 *  @param b second node of each pair
 *  @param acc the running sums, one per pair (updated) */
export function graph_jl_accumulate(n: i32, kb: i32, z: ptr<f64>, count: i32, a: ptr<i32>, b: ptr<i32>, acc: ptr<f64>): Status {
  if (n < 0 || kb < 1 || count < 0) return Status.BAD_ARG;
  for (let t = 0; t < count; t++) {
    const x = ldi(a, t), y = ldi(b, t);
    if (x < 0 || x >= n || y < 0 || y >= n) return Status.BAD_ARG;
  }
  const rs = <usize>kb << 3;
  for (let t = 0; t < count; t++) {
    const za = z + <usize>ldi(a, t) * rs, zb = z + <usize>ldi(b, t) * rs;
    let s = load<f64>(acc + (<usize>t << 3));
    for (let j = 0; j < kb; j++) {
      const d = load<f64>(za + (<usize>j << 3)) - load<f64>(zb + (<usize>j << 3));
      s += d * d;
    }
    store<f64>(acc + (<usize>t << 3), s);
  }
  return Status.OK;
}
