// Approximate Cholesky factorisation of a graph Laplacian (plus a non-negative diagonal), used
// as the preconditioner of the block PCG in pcg.ts. The algorithm is the randomized
// edge-by-edge elimination of Gao, Kyng & Spielman, "Robust and practical solution of
// Laplacian equations by approximate elimination" (arXiv 2303.00709, 2023; the `approxchol_lap`
// of Laplacians.jl), which descends from the approximate Gaussian elimination of Kyng &
// Sachdeva (FOCS 2016).
//
// Exact elimination of a vertex i from a Laplacian replaces its star (edges i–j of weight w_j,
// weighted degree W = Σ w_j) by a clique on its neighbours (edge j–k of weight w_j·w_k / W):
// fill that grows quadratically with the degree. Here the star is eliminated one edge at a
// time, in increasing order of weight, and each clique is replaced by a single sampled edge per
// neighbour. With the neighbours sorted so that w_1 ≤ … ≤ w_len and c the running scale of the
// star's remaining edges (c = 1 at the start):
//
//   for t = 1 … len−1:                       S_t = Σ_{s ≥ t} w_s (suffix sums, before scaling)
//     f = w_t / S_t                           ≤ 1/2, since w_t ≤ w_s for every s > t
//     pick k among t+1 … len with probability w_k / S_{t+1}
//     add the edge j_t–k_t of weight c·w_t·(1 − f)     (= f(1 − f)·W_t, W_t = c·S_t the
//                                                        current weighted degree of i)
//     record (j_t, c·f);  c ← c·(1 − f)
//   record (j_len, c); the pivot is d_i = c·w_len
//
// In expectation the sampled edges equal the clique of the exact elimination, every vertex keeps the Laplacian structure, and each elimination adds at most
// len − 1 edges while removing len: the number of live edges never grows, so the elimination
// runs in the memory of the input (each new edge reuses the two half-edges of the star edge it
// replaces) and the factor has Σ_i len_i entries. For stars of one or two edges the elimination
// is exact, so trees and paths are factored exactly.
//
// Order: vertices are eliminated in increasing (approximate) degree, the `:deg` order of
// Laplacians.jl. Degrees are the counts of live half-edges (repeated neighbours counted each
// time), kept in buckets: degree k ≤ N in bucket k, larger degrees in bucket N + ⌊k/N⌋ (so a
// bucket holds degrees within a factor of two of each other once k > N), N the node count. A
// popped vertex is one of the smallest bucket; its repeated neighbours are merged when it is
// eliminated.
//
// Applying the factor (z = P⁻¹·r) replays the eliminations. Eliminating the star edge by edge
// moves the fraction f_t of what is left at i to j_t: y_j_t += f_t·y_i, y_i ← (1 − f_t)·y_i, and
// the rest to the last neighbour. Unrolled, neighbour t receives c_t·y_i with
// c_t = f_t·Π_{s<t}(1 − f_s), and both the last neighbour and i keep π_i·y_i, π_i = Π_t (1 − f_t):
// these products are what the factor records (c_t per entry, π_i as the last entry), so the
// forward sweep is y_j += c_t·y_i (independent updates) and y_i ← π_i·y_i, and its transpose in
// reverse elimination order is y_i ← π_i·(y_i + y_last) + Σ_t c_t·y_j_t (one sum) — instead of
// a chain of dependent multiplications per entry, which made both sweeps latency-bound
// (measured per PCG iteration: 1.7 against 3.9 ms on a random geometric graph with n = 20,000
// and 310,000 factor entries, 43–49 against 93–96 ms on the 1000×1000 grid with 4.5·10⁶).
// Between the sweeps, a division by the pivots. A pivot of 0 marks the last vertex
// of a component (or an isolated vertex): its value is left as it is, which picks one solution
// of the singular system; the caller projects it.
//
// Shifts (L + diag(s), s ≥ 0): the matrix is the Laplacian of the graph with one more vertex g
// ("ground") joined to every node i with s_i > 0 by an edge of weight s_i, with g's potential
// fixed at 0. So the factor is built for that augmented graph, the right-hand side gets the
// entry −Σ r_i at g (so it sums to 0 on g's component) and the result is read as z_i − z_g —
// the reduction Laplacians.jl's `approxchol_sddm` uses. Components without any shift keep their
// own singular Laplacian; pcg.ts projects their right-hand sides and iterates onto 1⊥.
//
// Determinism: one uniform per sampled edge, drawn from the engine's generator in elimination
// order; ties in the degree order are broken by the buckets' LIFO order, ties in the weight
// sort by the neighbour's index, repeated neighbours are summed in list order. Nothing depends
// on timing or on how the work is split into calls (the export can stop after `maxSteps`
// eliminations and resume from its work block).
//
// Memory: per stored adjacency entry (half-edge) 8 bytes (neighbour, next in list) plus 8 per
// edge (weight); 68 bytes per node. The factor needs 12 bytes per entry (neighbour, coefficient)
// and 12 per node; the caller gives it a capacity and grows it when the export says FULL.
import { ld, st, ptr, opt_ptr, flag } from "../core/mem";
import { setStatusArg } from "../core/status";
import { next_f64 } from "../core/rng";

/** What a call of graph_approxchol ended with. */
export const enum ApproxCholRun {
  /** Every vertex eliminated: the factor is complete. status_arg() = factor entries,
   *  status_arg2() = vertices of the (augmented) graph. */
  DONE = 0,
  /** `maxSteps` eliminations done: call again with resume = 1 and the same arguments. */
  PAUSED = 1,
  /** The next elimination would exceed the factor's capacity: status_arg() = the capacity it
   *  needs at least. Copy the factor and index blocks into larger ones (sizes from
   *  graph_approxchol_factor_size / _index_size for the new capacity: their layouts put the
   *  entries last, so a copy of each old block to the start of the new one keeps everything
   *  in place) and call again with resume = 1 and the new capacity. */
  FULL = 2,
  /** An argument was out of range (n < 1, nnz < 0, shifted not in [0, n], cap < 0,
   *  maxSteps < 1, a shift that is negative or not finite, a weight that is not > 0). */
  BAD_ARG = 3,
}

// Factor block (f64): header, pivots d (N), coefficients c (cap).
const F_NODES = 0; // N = n + 1 with a ground vertex, else n
const F_GROUND = 1; // index of the ground vertex, or −1
const F_ENTRIES = 2; // entries recorded
const F_DONE = 3; // vertices eliminated
const F_HEADER = 4;
// Index block (i32): elimination order (N), column starts (N + 1), neighbours (cap).

// Work block header (f64 slots).
const W_MINLIST = 0; // the smallest bucket that may be non-empty
const W_PAIRS = 1; // edges (pairs of half-edges) in the structure
const W_HEADER = 2;

@inline function ldi(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}
@inline function sti(base: usize, i: i32, v: i32): void {
  store<i32>(base + (<usize>i << 2), v);
}

/** Vertices of the augmented graph: n, plus the ground vertex when some shift is > 0. */
@inline function nodesOf(n: i32, shifted: i32): i32 {
  return n + (shifted > 0 ? 1 : 0);
}

/** f64 slots of the `work` block of graph_approxchol for n nodes, nnz stored adjacency entries
 *  (both directions of every edge, as in the CSR) and `shifted` nodes with a shift > 0. */
export function graph_approxchol_workspace_size(n: i32, nnz: f64, shifted: i32): f64 {
  const N = <f64>nodesOf(max(n, 0), shifted);
  const pairs = Math.floor(max(nnz, 0.0) / 2.0) + <f64>max(shifted, 0);
  // pair weights (f64) + two i32 per half-edge (2 per pair) = 3 slots per pair;
  // per node: 4 f64 arrays and 9 i32 (lists: 2N + 2) = 8.5 slots, + alignment.
  return <f64>W_HEADER + 3.0 * pairs + 9.0 * N + 4.0;
}

/** f64 slots of the factor block for n nodes, `shifted` nodes with a shift > 0 and room for
 *  `cap` entries. The entries come last: the block for a larger cap starts like this one. */
export function graph_approxchol_factor_size(n: i32, shifted: i32, cap: f64): f64 {
  return <f64>F_HEADER + <f64>nodesOf(max(n, 0), shifted) + max(cap, 0.0);
}

/** i32 elements of the index block for n nodes, `shifted` nodes with a shift > 0 and room for
 *  `cap` entries (elimination order, column starts, then the entries' neighbours). */
export function graph_approxchol_index_size(n: i32, shifted: i32, cap: f64): f64 {
  return 2.0 * <f64>nodesOf(max(n, 0), shifted) + 1.0 + max(cap, 0.0);
}

/** A starting capacity (factor entries) for n nodes, nnz stored adjacency entries and `shifted`
 *  shifted nodes: 2.5 entries per edge of the augmented graph. Measured (entries per edge):
 *  paths and trees 1–2, random geometric graphs 1.6, 2-D grids 2.2 (2.75 with a shift),
 *  preferential attachment 3.2–3.5, Erdős–Rényi with mean degree 20 4.3; a larger factor is
 *  grown on demand. */
export function graph_approxchol_capacity_hint(n: i32, nnz: f64, shifted: i32): f64 {
  const edges = Math.floor(max(nnz, 0.0) / 2.0) + <f64>max(shifted, 0);
  return Math.ceil(edges * 2.5) + <f64>nodesOf(max(n, 0), shifted) + 16.0;
}

// ---------------------------------------------------------------------------------------
// The degree buckets: doubly linked lists of vertices, inserted at the head.

@inline function bucketOf(key: i32, N: i32): i32 {
  if (key <= N) return key;
  const b = N + key / N;
  return b > 2 * N + 1 ? 2 * N + 1 : b;
}

function pqInsert(v: i32, bucket: i32, prev: usize, next: usize, lists: usize): void {
  const h = ldi(lists, bucket);
  sti(prev, v, -1);
  sti(next, v, h);
  if (h >= 0) sti(prev, h, v);
  sti(lists, bucket, v);
}

function pqRemove(v: i32, bucket: i32, prev: usize, next: usize, lists: usize): void {
  const p = ldi(prev, v), q = ldi(next, v);
  if (q >= 0) sti(prev, q, p);
  if (p >= 0) sti(next, p, q);
  else sti(lists, bucket, q);
}

/** key[v] += delta (±1), moving v to its new bucket; returns the new bucket. */
function pqShift(v: i32, delta: i32, N: i32, key: usize, prev: usize, next: usize, lists: usize): i32 {
  const k0 = ldi(key, v), k1 = k0 + delta;
  sti(key, v, k1);
  const b0 = bucketOf(k0, N), b1 = bucketOf(k1, N);
  if (b0 != b1) {
    pqRemove(v, b0, prev, next, lists);
    pqInsert(v, b1, prev, next, lists);
  }
  return b1;
}

// ---------------------------------------------------------------------------------------
// Sorting a star's neighbours by (weight, neighbour): merge sort of the pairs (vals, idx),
// insertion sort for short runs. `row` maps an idx (a half-edge) to its neighbour.

@inline function before(va: f64, ra: i32, vb: f64, rb: i32): bool {
  return va < vb || (va == vb && ra < rb);
}

function sortStar(len: i32, vals: usize, idx: usize, row: usize, tv: usize, ti: usize): void {
  const RUN = 16;
  for (let s = 0; s < len; s += RUN) {
    const e = min(s + RUN, len);
    for (let a = s + 1; a < e; a++) {
      const v = ld(vals, a), h = ldi(idx, a), r = ldi(row, h);
      let b = a - 1;
      while (b >= s && before(v, r, ld(vals, b), ldi(row, ldi(idx, b)))) {
        st(vals, b + 1, ld(vals, b));
        sti(idx, b + 1, ldi(idx, b));
        b--;
      }
      st(vals, b + 1, v);
      sti(idx, b + 1, h);
    }
  }
  let sv = vals, si = idx, dv = tv, di = ti;
  for (let width = RUN; width < len; width <<= 1) {
    for (let lo = 0; lo < len; lo += 2 * width) {
      const mid = min(lo + width, len), hi = min(lo + 2 * width, len);
      let a = lo, b = mid, o = lo;
      while (a < mid && b < hi) {
        const va = ld(sv, a), vb = ld(sv, b), ha = ldi(si, a), hb = ldi(si, b);
        if (before(vb, ldi(row, hb), va, ldi(row, ha))) {
          st(dv, o, vb);
          sti(di, o, hb);
          b++;
        } else {
          st(dv, o, va);
          sti(di, o, ha);
          a++;
        }
        o++;
      }
      for (; a < mid; a++, o++) {
        st(dv, o, ld(sv, a));
        sti(di, o, ldi(si, a));
      }
      for (; b < hi; b++, o++) {
        st(dv, o, ld(sv, b));
        sti(di, o, ldi(si, b));
      }
    }
    const t1 = sv, t2 = si;
    sv = dv;
    si = di;
    dv = t1;
    di = t2;
  }
  if (sv != vals) {
    memory.copy(vals, sv, <usize>len << 3);
    memory.copy(idx, si, <usize>len << 2);
  }
}

/** Approximate Cholesky factorisation of L + diag(s) (Gao, Kyng & Spielman 2023), L the
 *  Laplacian of a graph in CSR form (both directions of every edge, as for graph_spmm), for use
 *  as the preconditioner of graph_pcg (precond = APPROXCHOL). Deterministic for a given
 *  generator state. Runs at most `maxSteps` eliminations per call (PAUSED: call again with
 *  resume = 1); returns FULL when the factor needs more capacity (see ApproxCholRun.FULL).
 *  @param n nodes (n ≥ 1)
 *  @param nnz stored adjacency entries (rowPtr[n])
 *  @param rowPtr n + 1 CSR offsets
 *  @param col neighbour of each stored entry
 *  @param val weight of each stored entry (> 0), or 0 when every weight is 1
 *  @param shift s_i ≥ 0 per node
 *  @param shifted the number of nodes with s_i > 0
 *  @param rng the generator state (32 bytes), advanced by one draw per sampled edge
 *  @param cap entries the factor block has room for
 *  @param factor graph_approxchol_factor_size(n, shifted, cap) f64: the factor
 *  @param index graph_approxchol_index_size(n, shifted, cap) i32: the factor's indices
 *  @param maxSteps most eliminations this call may perform (≥ 1)
 *  @param resume 0 to start, 1 to continue after PAUSED or FULL
 *  @param work graph_approxchol_workspace_size(n, nnz, shifted) f64, kept between calls */
export function graph_approxchol(n: i32, nnz: i32, rowPtr: ptr<i32>, col: ptr<i32>, val: opt_ptr<f64>, shift: ptr<f64>,
  shifted: i32, rng: ptr<u64>, cap: f64, factor: ptr<f64>, index: ptr<i32>, maxSteps: i32, resume: flag,
  work: ptr<f64>): ApproxCholRun {
  if (n < 1 || nnz < 0 || shifted < 0 || shifted > n || !(cap >= 0.0) || maxSteps < 1) return ApproxCholRun.BAD_ARG;
  const N = nodesOf(n, shifted);
  const ground = shifted > 0 ? n : -1;
  const pairs = (nnz >> 1) + shifted;
  // Work layout.
  const pairVal = work + (<usize>W_HEADER << 3); // pairs f64
  const row = pairVal + (<usize>pairs << 3); // 2·pairs i32: the neighbour a half-edge points to
  const nxt = row + (<usize>pairs << 3); // 2·pairs i32: the next half-edge in its owner's list
  const head = nxt + (<usize>pairs << 3); // N i32: first half-edge of each vertex's list
  const key = head + (<usize>N << 2); // N i32: live half-edges of each vertex
  const prev = key + (<usize>N << 2); // N i32 (buckets)
  const next = prev + (<usize>N << 2); // N i32 (buckets)
  const lists = next + (<usize>N << 2); // 2N + 2 i32: first vertex of each bucket
  const pos = lists + (<usize>(2 * N + 2) << 2); // N i32: slot of a neighbour in the star, or −1
  const cidx = pos + (<usize>N << 2); // N i32: a half-edge per distinct neighbour
  const tidx = cidx + (<usize>N << 2); // N i32: sort scratch
  const vals = (tidx + (<usize>N << 2) + 7) & ~(<usize>7); // N f64: the star's weights
  const cum = vals + (<usize>N << 3); // N f64: prefix sums
  const suf = cum + (<usize>N << 3); // N f64: suffix sums
  const tval = suf + (<usize>N << 3); // N f64: sort scratch
  // Factor layout.
  const dpiv = factor + (<usize>F_HEADER << 3);
  const fval = dpiv + (<usize>N << 3);
  const order = index;
  const cptr = order + (<usize>N << 2);
  const frow = cptr + (<usize>(N + 1) << 2);

  if (resume == 0) {
    // Half-edge pairs: edge p is the half-edges 2p (in the list of its first end, pointing to
    // the second) and 2p + 1 (the reverse). Lists are built in CSR order.
    for (let i = 0; i < N; i++) {
      sti(head, i, -1);
      sti(key, i, 0);
    }
    // Tails, kept in `pos` while building (reset to −1 below).
    for (let i = 0; i < N; i++) sti(pos, i, -1);
    let p = 0;
    for (let i = 0; i < n; i++) {
      const b = ldi(rowPtr, i), e = ldi(rowPtr, i + 1);
      for (let q = b; q < e; q++) {
        const j = ldi(col, q);
        if (j <= i) continue;
        if (j >= n || p >= pairs) return ApproxCholRun.BAD_ARG;
        const w = val == 0 ? 1.0 : ld(val, q);
        if (!(w > 0.0) || !(w < Infinity)) return ApproxCholRun.BAD_ARG;
        st(pairVal, p, w);
        link(2 * p, i, j, head, pos, row, nxt, key);
        link(2 * p + 1, j, i, head, pos, row, nxt, key);
        p++;
      }
    }
    if (shifted > 0) {
      let count = 0;
      for (let i = 0; i < n; i++) {
        const s = ld(shift, i);
        if (!(s >= 0.0) || !(s < Infinity)) return ApproxCholRun.BAD_ARG;
        if (s == 0.0) continue;
        if (p >= pairs) return ApproxCholRun.BAD_ARG;
        st(pairVal, p, s);
        link(2 * p, i, ground, head, pos, row, nxt, key);
        link(2 * p + 1, ground, i, head, pos, row, nxt, key);
        p++;
        count++;
      }
      if (count != shifted) return ApproxCholRun.BAD_ARG;
    }
    for (let i = 0; i < N; i++) sti(pos, i, -1);
    st(work, W_PAIRS, <f64>p);
    // Buckets.
    for (let b = 0; b < 2 * N + 2; b++) sti(lists, b, -1);
    for (let i = N - 1; i >= 0; i--) pqInsert(i, bucketOf(ldi(key, i), N), prev, next, lists);
    st(work, W_MINLIST, 0.0);
    st(factor, F_NODES, <f64>N);
    st(factor, F_GROUND, <f64>ground);
    st(factor, F_ENTRIES, 0.0);
    st(factor, F_DONE, 0.0);
    sti(cptr, 0, 0);
  }

  let minlist = <i32>ld(work, W_MINLIST);
  let used = <i32>ld(factor, F_ENTRIES);
  let done = <i32>ld(factor, F_DONE);
  let steps = 0;
  let ret = ApproxCholRun.DONE;
  while (done < N) {
    if (steps >= maxSteps) {
      ret = ApproxCholRun.PAUSED;
      break;
    }
    while (ldi(lists, minlist) < 0) minlist++;
    const i = ldi(lists, minlist);
    // key[i] ≥ the star's distinct neighbours: the entries this elimination may record.
    const need = <f64>used + <f64>ldi(key, i);
    if (need > cap) {
      ret = ApproxCholRun.FULL;
      setStatusArg(need, <f64>done);
      break;
    }
    pqRemove(i, minlist, prev, next, lists);
    sti(order, done, i);

    // Gather the star: one slot per distinct neighbour, repeated edges summed in list order
    // (the repeats die, and their other ends lose a live half-edge).
    let len = 0;
    for (let h = ldi(head, i); h >= 0; h = ldi(nxt, h)) {
      const w = ld(pairVal, h >> 1);
      if (!(w > 0.0)) continue;
      const j = ldi(row, h);
      const at = ldi(pos, j);
      if (at < 0) {
        sti(pos, j, len);
        sti(cidx, len, h);
        st(vals, len, w);
        len++;
      } else {
        st(vals, at, ld(vals, at) + w);
        st(pairVal, h >> 1, 0.0);
        const b = pqShift(j, -1, N, key, prev, next, lists);
        if (b < minlist) minlist = b;
      }
    }
    for (let t = 0; t < len; t++) sti(pos, ldi(row, ldi(cidx, t)), -1);

    if (len == 0) {
      st(dpiv, i, 0.0); // an isolated vertex, or the last of its component
    } else {
      sortStar(len, vals, cidx, row, tval, tidx);
      let acc = 0.0;
      for (let t = 0; t < len; t++) {
        acc += ld(vals, t);
        st(cum, t, acc);
      }
      acc = 0.0;
      for (let t = len - 1; t >= 0; t--) {
        acc += ld(vals, t);
        st(suf, t, acc);
      }
      let c = 1.0; // scale of the star's remaining edges
      for (let t = 0; t < len - 1; t++) {
        const h = ldi(cidx, t);
        const j = ldi(row, h);
        const wt = ld(vals, t);
        const f = wt / ld(suf, t);
        // k ∈ (t, len) with probability vals[k] / suf[t+1]: the first k with cum[k] ≥ r.
        const lo0 = ld(cum, t);
        const r = lo0 + next_f64(rng) * (ld(cum, len - 1) - lo0);
        let lo = t + 1, hi = len - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (ld(cum, mid) >= r) hi = mid;
          else lo = mid + 1;
        }
        const kk = ldi(row, ldi(cidx, lo));
        // The new edge j–kk reuses the pair of i–j: the half in j's list now points to kk,
        // the half in i's list moves to kk's list and points to j.
        const nv = c * wt * (1.0 - f);
        st(pairVal, h >> 1, nv);
        sti(row, h ^ 1, kk);
        sti(row, h, j);
        sti(nxt, h, ldi(head, kk));
        sti(head, kk, h);
        pqShift(kk, 1, N, key, prev, next, lists);
        sti(frow, used, j);
        st(fval, used, c * f);
        used++;
        c *= 1.0 - f;
      }
      const h = ldi(cidx, len - 1);
      const j = ldi(row, h);
      st(pairVal, h >> 1, 0.0);
      const b = pqShift(j, -1, N, key, prev, next, lists);
      if (b < minlist) minlist = b;
      sti(frow, used, j);
      st(fval, used, c);
      used++;
      st(dpiv, i, c * ld(vals, len - 1));
    }
    done++;
    sti(cptr, done, used);
    steps++;
  }
  st(work, W_MINLIST, <f64>minlist);
  st(factor, F_ENTRIES, <f64>used);
  st(factor, F_DONE, <f64>done);
  if (ret != ApproxCholRun.FULL) setStatusArg(<f64>used, <f64>N);
  return ret;
}

/** Append half-edge h (owner a, pointing to b) at the tail of a's list; tails in `tail`. */
@inline function link(h: i32, a: i32, b: i32, head: usize, tail: usize, row: usize, nxt: usize, key: usize): void {
  sti(row, h, b);
  sti(nxt, h, -1);
  const t = ldi(tail, a);
  if (t < 0) sti(head, a, h);
  else sti(nxt, t, h);
  sti(tail, a, h);
  sti(key, a, ldi(key, a) + 1);
}

// ---------------------------------------------------------------------------------------
// Applying the factor.

/** f64 slots of the `factorWork` block graph_pcg needs with an approximate-Cholesky factor,
 *  for n nodes and k right-hand sides: one (n + 1)×k block. */
export function graph_approxchol_apply_workspace_size(n: i32, k: i32): f64 {
  return (<f64>max(n, 0) + 1.0) * <f64>max(k, 1);
}

/** Whether `factor` is a complete factor for n nodes. */
export function approxCholReady(factor: usize, n: i32): bool {
  const N = <i32>ld(factor, F_NODES), g = <i32>ld(factor, F_GROUND);
  return (N == n || (N == n + 1 && g == n)) && <i32>ld(factor, F_DONE) == N;
}

/** y ← P⁻¹·y for the N×k block y (row-major; N = approxCholRows(factor)), whose first n rows
 *  hold the right-hand sides. With a ground vertex, its row is set to −Σ of the rows of the
 *  shifted components (those with comp[i] < 0; all rows when ncomp = 0) first, and subtracted
 *  from them at the end. Rows of unshifted components are left for the caller to project.
 *  Each column goes through the same operations in the same order whatever k is. */
export function approxCholApply(n: i32, k: i32, factor: usize, index: usize, comp: usize, ncomp: i32, y: usize): void {
  const N = <i32>ld(factor, F_NODES);
  const g = <i32>ld(factor, F_GROUND);
  const dpiv = factor + (<usize>F_HEADER << 3);
  const fval = dpiv + (<usize>N << 3);
  const order = index;
  const cptr = order + (<usize>N << 2);
  const frow = cptr + (<usize>(N + 1) << 2);
  const rs = <usize>k << 3;
  if (g >= 0) {
    const gr = y + <usize>g * rs;
    for (let j = 0; j < k; j++) st(gr, j, 0.0);
    for (let i = 0; i < n; i++) {
      if (ncomp > 0 && ldi(comp, i) >= 0) continue;
      const yr = y + <usize>i * rs;
      for (let j = 0; j < k; j++) st(gr, j, ld(gr, j) - ld(yr, j));
    }
  }
  if (k == 1) {
    // Forward sweep.
    for (let t = 0; t < N; t++) {
      const i = ldi(order, t);
      const b = ldi(cptr, t), e = ldi(cptr, t + 1);
      if (b == e) continue;
      const yi = ld(y, i);
      for (let p = b; p < e; p++) {
        const j = ldi(frow, p);
        st(y, j, ld(y, j) + ld(fval, p) * yi);
      }
      st(y, i, ld(fval, e - 1) * yi);
    }
    for (let i = 0; i < N; i++) {
      const d = ld(dpiv, i);
      if (d != 0.0) st(y, i, ld(y, i) / d);
    }
    // Backward sweep.
    for (let t = N - 1; t >= 0; t--) {
      const i = ldi(order, t);
      const b = ldi(cptr, t), e = ldi(cptr, t + 1);
      if (b == e) continue;
      let acc = ld(fval, e - 1) * (ld(y, i) + ld(y, ldi(frow, e - 1)));
      for (let p = b; p < e - 1; p++) acc += ld(fval, p) * ld(y, ldi(frow, p));
      st(y, i, acc);
    }
  } else {
    for (let t = 0; t < N; t++) {
      const i = ldi(order, t);
      const b = ldi(cptr, t), e = ldi(cptr, t + 1);
      if (b == e) continue;
      const yi = y + <usize>i * rs;
      for (let p = b; p < e; p++) rowAxpy(k, ld(fval, p), yi, y + <usize>ldi(frow, p) * rs);
      rowScale(k, ld(fval, e - 1), yi);
    }
    for (let i = 0; i < N; i++) {
      const d = ld(dpiv, i);
      if (d == 0.0) continue;
      const yr = y + <usize>i * rs;
      for (let j = 0; j < k; j++) st(yr, j, ld(yr, j) / d);
    }
    for (let t = N - 1; t >= 0; t--) {
      const i = ldi(order, t);
      const b = ldi(cptr, t), e = ldi(cptr, t + 1);
      if (b == e) continue;
      const yi = y + <usize>i * rs;
      rowAdd(k, yi, y + <usize>ldi(frow, e - 1) * rs);
      rowScale(k, ld(fval, e - 1), yi);
      for (let p = b; p < e - 1; p++) rowAxpy(k, ld(fval, p), y + <usize>ldi(frow, p) * rs, yi);
    }
  }
  if (g >= 0) {
    const gr = y + <usize>g * rs;
    for (let i = 0; i < n; i++) {
      if (ncomp > 0 && ldi(comp, i) >= 0) continue;
      const yr = y + <usize>i * rs;
      for (let j = 0; j < k; j++) st(yr, j, ld(yr, j) - ld(gr, j));
    }
  }
}

// Row operations on k contiguous f64, f64x2 over pairs of columns and a scalar tail; each
// element gets exactly the scalar path's operations.

/** yj += f·yi */
@inline function rowAxpy(k: i32, f: f64, yi: usize, yj: usize): void {
  const fv = f64x2.splat(f);
  let c = 0;
  for (; c + 2 <= k; c += 2) {
    const o = <usize>c << 3;
    v128.store(yj + o, f64x2.add(v128.load(yj + o), f64x2.mul(fv, v128.load(yi + o))));
  }
  if (c < k) st(yj, c, ld(yj, c) + f * ld(yi, c));
}

/** yi *= a */
@inline function rowScale(k: i32, a: f64, yi: usize): void {
  const av = f64x2.splat(a);
  let c = 0;
  for (; c + 2 <= k; c += 2) {
    const o = <usize>c << 3;
    v128.store(yi + o, f64x2.mul(v128.load(yi + o), av));
  }
  if (c < k) st(yi, c, ld(yi, c) * a);
}

/** yi += yj */
@inline function rowAdd(k: i32, yi: usize, yj: usize): void {
  let c = 0;
  for (; c + 2 <= k; c += 2) {
    const o = <usize>c << 3;
    v128.store(yi + o, f64x2.add(v128.load(yi + o), v128.load(yj + o)));
  }
  if (c < k) st(yi, c, ld(yi, c) + ld(yj, c));
}
