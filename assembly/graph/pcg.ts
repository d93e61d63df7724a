// Block preconditioned conjugate gradient for (L + diag(s))·X = B, L a graph Laplacian in CSR
// form (laplacian.ts), s ≥ 0 a per-node shift, B with k columns (row-major n×k).
//
// Each column runs its own PCG (Hestenes & Stiefel 1952; preconditioned form as in Saad,
// "Iterative Methods for Sparse Linear Systems", 2003, Alg. 9.1) with its own scalars; the k
// columns share one pass over the graph per iteration, which is what makes k right-hand sides
// cheaper than k solves (laplacian.ts: 0.34–0.46 against 0.9–1.1 ns per stored entry and column
// at k = 8). Per iteration and column j:
//
//   q = M·p                         one block product for all columns, with pq_j = pᵀq fused
//   α = ρ / pᵀq
//   x ← x + α·p ;  r ← r − α·q       pass B, which also sums rᵀz and rᵀr for z = P⁻¹·r
//   β = rᵀz / ρ ;  ρ ← rᵀz
//   p ← P⁻¹·r + β·p                  pass C (z is recomputed from r rather than stored)
//
// The vector work is two fused passes (measured 1.35 and 0.6 ns per element of the n×k blocks,
// whatever k): negligible next to the product for k = 1, as costly as the product for k ≥ 8 on a
// sparse graph, which is where a block stops gaining (the 300×300 grid: 0.51 ms per iteration
// for k = 1, 2.6 ms for k = 8, 9.7 ms for k = 32).
//
// Convergence per column: ‖r‖ ≤ tol·‖b‖ on the recursively updated residual, then confirmed on
// the true residual b − M·x (one product, computed once no column is still iterating). A column
// whose true residual misses the tolerance restarts from it (residual replacement, van der Vorst
// & Ye, SIAM J. Sci. Comput. 22(5), 2000), unless its true residual did not halve since its last
// restart (the attainable accuracy is reached: NO_CONVERGENCE) or it used its iterations.
//
// Singular systems (γ = 0). On a connected component where s = 0, L + diag(s) is singular with
// null space the constant vector of the component. The right-hand side is projected onto 1⊥ per
// such component (the part along 1 cannot be matched by any x), PCG then runs on a consistent
// system (Kaasschieter, J. Comput. Appl. Math. 24, 1988: CG converges for consistent positive
// semi-definite systems, also with a Jacobi preconditioner), and x is projected at the end, which
// gives the minimum-norm solution L⁺·b on those components. Products in the difference form map
// constants to exactly 0, so the iterates' component along 1 never feeds back into r.
//
// Determinism: every column performs the same floating-point operations in the same order
// whether it is solved alone or in a block, and whichever columns are still iterating beside it:
// products and sums run in row order per column, frozen columns are left untouched (bit
// selects), and a column's convergence, restarts and iteration count depend only on its own
// values. So a block solve equals its k single solves bit for bit.
//
// Scaling: each column of B (and of the initial x) is multiplied by the power of two that brings
// max|b_ij| into [1, 2) — exact, and every step of PCG commutes with it exactly — so sums of
// squares can neither overflow nor underflow; x is scaled back at the end.
//
// With the approximate-Cholesky preconditioner z = P⁻¹·r is not a diagonal scaling, so it is
// computed into its own block after pass B (for every column; a frozen column's z is unused),
// rᵀz is summed from it, and pass C reads z instead of r·dinv. The apply goes through each
// column's values with the same operations whatever k is, so the block property above holds.
//
// The export can stop after `maxPasses` products and be called again with resume = 1: all of
// its state lives in `work`, b and x, so the SDK can check an AbortSignal between calls.
import { ld, st, ptr, opt_ptr, flag } from "../core/mem";
import { Status, setStatusArg } from "../core/status";
import { laplacianProduct } from "./laplacian";
import { approxCholApply, approxCholReady } from "./approxchol";

/** Preconditioners of graph_pcg (its `precond` argument): P in z = P⁻¹·r. */
export const enum GraphPreconditioner {
  /** None: z = r. */
  NONE = 0,
  /** Jacobi: z_i = r_i / (d_i + s_i), d the weighted degree. */
  JACOBI = 1,
  /** Approximate Cholesky (Gao, Kyng & Spielman 2023; approxchol.ts): z = P⁻¹·r by a forward
   *  and a backward sweep over the factor built by graph_approxchol for the same graph and
   *  shift; graph_pcg then needs `factor`, `factorIndex` and `factorWork`. */
  APPROXCHOL = 2,
}

/** What a call of graph_pcg ended with. */
export const enum PcgRun {
  /** Every column finished: per-column Status codes in `colStatus`, x holds the solutions. */
  DONE = 0,
  /** `maxPasses` products were used and some column is not finished: call again with
   *  resume = 1 and the same arguments. */
  PAUSED = 1,
  /** An argument was out of range (n < 1, k < 1, tol not > 0, maxIter < 0, maxPasses < 1,
   *  ncomp < 0, an unknown preconditioner). */
  BAD_ARG = 2,
}

// Column states (kept in the work block between calls).
const ACTIVE: f64 = 0; // iterating
const CHECK: f64 = 1; // recursive residual ≤ tol (or just started): true residual to be checked
const EXHAUSTED: f64 = 2; // used maxIter iterations: true residual to be reported
const OK: f64 = 3;
const FAILED: f64 = 4;
const BROKEN: f64 = 5; // pᵀq ≤ 0 or a non-finite value
const ZERO: f64 = 6; // b projects to 0: x = 0

// Per-column arrays in the work block (k f64 each), after the three n×k blocks, the inverse
// diagonal (n) and the component sums (ncomp·(k + 1)).
const C_RHO = 0;
const C_ALPHA = 1;
const C_BETA = 2;
const C_BNORM = 3;
const C_LAST = 4;
const C_SCALE = 5; // 2^-e applied to b and x
const C_PQ = 6;
const C_RZ = 7;
const C_RR = 8;
const C_MASK = 9; // all-ones / all-zeros lanes: the columns a masked pass updates
const C_STATE = 10;
const C_COUNT = 11;
const HEADER = 2; // total passes, spare

/** f64 slots of the `work` block of graph_pcg for n nodes, k columns and ncomp projected
 *  components. */
export function graph_pcg_workspace_size(n: i32, k: i32, ncomp: i32): f64 {
  const nn = <f64>max(n, 0), kk = <f64>max(k, 1), cc = <f64>max(ncomp, 0);
  return 3.0 * nn * kk + nn + cc * (kk + 1.0) + <f64>C_COUNT * kk + <f64>HEADER;
}

@inline function ldi(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}

/** 2^e as an exact f64, for −1022 ≤ e ≤ 1023. */
@inline function pow2(e: i32): f64 {
  return reinterpret<f64>(<u64>(e + 1023) << 52);
}

/** ⌊log₂ m⌋ for a finite m > 0, clamped to [−1022, 1022]. */
function exponentOf(m: f64): i32 {
  const e = <i32>((reinterpret<u64>(m) >> 52) & 0x7ff) - 1023;
  return e < -1022 ? -1022 : e > 1022 ? 1022 : e;
}

// ---------------------------------------------------------------------------------------
// Column-wise helpers on row-major n×k blocks. Every sum over rows runs in row order, one
// accumulator per column, the same in the scalar and the f64x2 code.

/** out[j] = Σ_i v_ij² */
function columnSquares(n: i32, k: i32, v: usize, out: usize): void {
  const rs = <usize>k << 3;
  memory.fill(out, 0, rs);
  for (let i = 0; i < n; i++) {
    const vr = v + <usize>i * rs;
    let j = 0;
    for (; j + 2 <= k; j += 2) {
      const o = <usize>j << 3;
      const a = v128.load(vr + o);
      v128.store(out + o, f64x2.add(v128.load(out + o), f64x2.mul(a, a)));
    }
    if (j < k) {
      const a = ld(vr, j);
      st(out, j, ld(out, j) + a * a);
    }
  }
}

/** Subtract from v its mean over each projected component (comp[i] ≥ 0), column by column. */
function project(n: i32, k: i32, comp: usize, ncomp: i32, v: usize, sums: usize, sizes: usize): void {
  const rs = <usize>k << 3;
  memory.fill(sums, 0, <usize>ncomp * rs);
  for (let i = 0; i < n; i++) {
    const c = ldi(comp, i);
    if (c < 0) continue;
    const vr = v + <usize>i * rs, sr = sums + <usize>c * rs;
    let j = 0;
    for (; j + 2 <= k; j += 2) {
      const o = <usize>j << 3;
      v128.store(sr + o, f64x2.add(v128.load(sr + o), v128.load(vr + o)));
    }
    if (j < k) st(sr, j, ld(sr, j) + ld(vr, j));
  }
  for (let c = 0; c < ncomp; c++) {
    const sr = sums + <usize>c * rs;
    const size = ld(sizes, c);
    for (let j = 0; j < k; j++) st(sr, j, ld(sr, j) / size);
  }
  for (let i = 0; i < n; i++) {
    const c = ldi(comp, i);
    if (c < 0) continue;
    const vr = v + <usize>i * rs, sr = sums + <usize>c * rs;
    let j = 0;
    for (; j + 2 <= k; j += 2) {
      const o = <usize>j << 3;
      v128.store(vr + o, f64x2.sub(v128.load(vr + o), v128.load(sr + o)));
    }
    if (j < k) st(vr, j, ld(vr, j) - ld(sr, j));
  }
}

@inline function isOn(mask: usize, j: i32): bool {
  return load<u64>(mask + (<usize>j << 3)) != 0;
}

/** Pass B, for the columns of `mask`: x ← x + α·p, r ← r − α·q, and rz_j = Σ r·(r·dinv),
 *  rr_j = Σ r·r over the updated r. */
function passB(n: i32, k: i32, x: usize, r: usize, p: usize, q: usize, dinv: usize, alpha: usize, mask: usize, rz: usize, rr: usize): void {
  const rs = <usize>k << 3;
  memory.fill(rz, 0, rs);
  memory.fill(rr, 0, rs);
  if (k == 1) {
    if (!isOn(mask, 0)) return;
    const a = ld(alpha, 0);
    let sz = 0.0, sr = 0.0;
    for (let i = 0; i < n; i++) {
      st(x, i, ld(x, i) + a * ld(p, i));
      const rn = ld(r, i) - a * ld(q, i);
      st(r, i, rn);
      sz += rn * (rn * ld(dinv, i));
      sr += rn * rn;
    }
    st(rz, 0, sz);
    st(rr, 0, sr);
    return;
  }
  const tail = (k & 1) != 0 && isOn(mask, k - 1);
  for (let i = 0; i < n; i++) {
    const o0 = <usize>i * rs;
    const di = ld(dinv, i);
    const dv = f64x2.splat(di);
    let j = 0;
    for (; j + 2 <= k; j += 2) {
      const c = <usize>j << 3, o = o0 + c;
      const m = v128.load(mask + c), a = v128.load(alpha + c);
      const xv = v128.load(x + o), rv = v128.load(r + o);
      const rn = f64x2.sub(rv, f64x2.mul(a, v128.load(q + o)));
      v128.store(x + o, v128.bitselect(f64x2.add(xv, f64x2.mul(a, v128.load(p + o))), xv, m));
      v128.store(r + o, v128.bitselect(rn, rv, m));
      v128.store(rz + c, f64x2.add(v128.load(rz + c), f64x2.mul(rn, f64x2.mul(rn, dv))));
      v128.store(rr + c, f64x2.add(v128.load(rr + c), f64x2.mul(rn, rn)));
    }
    if (tail) {
      const c = <usize>j << 3, o = o0 + c;
      const a = ld(alpha, j);
      store<f64>(x + o, load<f64>(x + o) + a * load<f64>(p + o));
      const rn = load<f64>(r + o) - a * load<f64>(q + o);
      store<f64>(r + o, rn);
      st(rz, j, ld(rz, j) + rn * (rn * di));
      st(rr, j, ld(rr, j) + rn * rn);
    }
  }
}

/** Pass C, for the columns of `mask`: p ← r·dinv + β·p. */
function passC(n: i32, k: i32, r: usize, p: usize, dinv: usize, beta: usize, mask: usize): void {
  const rs = <usize>k << 3;
  if (k == 1) {
    if (!isOn(mask, 0)) return;
    const b = ld(beta, 0);
    for (let i = 0; i < n; i++) st(p, i, ld(r, i) * ld(dinv, i) + b * ld(p, i));
    return;
  }
  const tail = (k & 1) != 0 && isOn(mask, k - 1);
  for (let i = 0; i < n; i++) {
    const o0 = <usize>i * rs;
    const di = ld(dinv, i);
    const dv = f64x2.splat(di);
    let j = 0;
    for (; j + 2 <= k; j += 2) {
      const c = <usize>j << 3, o = o0 + c;
      const pv = v128.load(p + o);
      const pn = f64x2.add(f64x2.mul(v128.load(r + o), dv), f64x2.mul(v128.load(beta + c), pv));
      v128.store(p + o, v128.bitselect(pn, pv, v128.load(mask + c)));
    }
    if (tail) {
      const o = o0 + (<usize>j << 3);
      store<f64>(p + o, load<f64>(r + o) * di + ld(beta, j) * load<f64>(p + o));
    }
  }
}

/** Restart the columns of `mask` from the residual in `t`: r ← t, p ← t·dinv, ρ_j = Σ r·(r·dinv). */
function restart(n: i32, k: i32, t: usize, r: usize, p: usize, dinv: usize, mask: usize, rho: usize): void {
  const rs = <usize>k << 3;
  for (let j = 0; j < k; j++) if (isOn(mask, j)) st(rho, j, 0.0);
  for (let i = 0; i < n; i++) {
    const o0 = <usize>i * rs;
    const di = ld(dinv, i);
    for (let j = 0; j < k; j++) {
      if (!isOn(mask, j)) continue;
      const o = o0 + (<usize>j << 3);
      const rv = load<f64>(t + o);
      store<f64>(r + o, rv);
      const z = rv * di;
      store<f64>(p + o, z);
      st(rho, j, ld(rho, j) + rv * z);
    }
  }
}

/** Solve (L + diag(s))·X = B by block PCG, each column to ‖b − M·x‖ ≤ tol·‖b‖ (b projected onto
 *  1⊥ on the components listed in `comp`). The graph is in CSR form as for graph_spmm.
 *  On return with PcgRun.DONE, x holds the solutions (minimum-norm on projected components),
 *  and per column: iterations, residuals (the final true relative residual) and colStatus
 *  (Status.OK, NO_CONVERGENCE: maxIter used or the attainable accuracy reached above tol,
 *  NON_FINITE: breakdown). With PcgRun.PAUSED, call again with resume = 1. status_arg() =
 *  products computed by this call, status_arg2() = products since the start.
 *  @param n nodes (n ≥ 1)
 *  @param k right-hand sides (k ≥ 1)
 *  @param rowPtr n + 1 CSR offsets
 *  @param col neighbour of each stored entry
 *  @param val weight of each stored entry (> 0), or 0 when every weight is 1
 *  @param shift s_i ≥ 0 per node
 *  @param comp per node, the index in [0, ncomp) of its component when the component is singular
 *   (s = 0 on all of it) and its right-hand sides must be projected, else −1; 0 when ncomp = 0
 *  @param ncomp number of projected components
 *  @param precond the preconditioner P
 *  @param tol relative residual to reach (> 0)
 *  @param maxIter iterations allowed per column (≥ 0)
 *  @param b the n×k right-hand sides (row-major); overwritten (projected and scaled)
 *  @param x the n×k initial guesses; receives the solutions
 *  @param iterations k counts of iterations, one per column
 *  @param residuals k final relative residuals
 *  @param colStatus k Status codes
 *  @param maxPasses most products with the graph this call may compute (≥ 1)
 *  @param resume 0 to start, 1 to continue after PcgRun.PAUSED (same arguments and work)
 *  @param work graph_pcg_workspace_size(n, k, ncomp) f64, kept between resumed calls
 *  @param factor with precond = APPROXCHOL: the factor block of graph_approxchol (complete, for
 *   this graph and shift); else 0
 *  @param factorIndex with APPROXCHOL: the factor's index block; else 0
 *  @param factorWork with APPROXCHOL: graph_approxchol_apply_workspace_size(n, k) f64; else 0 */
export function graph_pcg(n: i32, k: i32, rowPtr: ptr<i32>, col: ptr<i32>, val: opt_ptr<f64>, shift: ptr<f64>,
  comp: opt_ptr<i32>, ncomp: i32, precond: GraphPreconditioner, tol: f64, maxIter: i32,
  b: ptr<f64>, x: ptr<f64>, iterations: ptr<i32>, residuals: ptr<f64>, colStatus: ptr<i32>,
  maxPasses: i32, resume: flag, work: ptr<f64>, factor: opt_ptr<f64>, factorIndex: opt_ptr<i32>,
  factorWork: opt_ptr<f64>): PcgRun {
  if (n < 1 || k < 1 || !(tol > 0.0) || maxIter < 0 || maxPasses < 1 || ncomp < 0 || (ncomp > 0 && comp == 0)) return PcgRun.BAD_ARG;
  const chol = precond == GraphPreconditioner.APPROXCHOL;
  if (precond != GraphPreconditioner.NONE && precond != GraphPreconditioner.JACOBI && !chol) return PcgRun.BAD_ARG;
  if (chol && (factor == 0 || factorIndex == 0 || factorWork == 0 || !approxCholReady(factor, n))) return PcgRun.BAD_ARG;
  const nk = <usize>n * <usize>k;
  const R = work, P = R + (nk << 3), Q = P + (nk << 3);
  const DINV = Q + (nk << 3);
  const CSUM = DINV + (<usize>n << 3);
  const CSIZE = CSUM + ((<usize>ncomp * <usize>k) << 3);
  const COLS = CSIZE + (<usize>ncomp << 3);
  const rho = COLS + ((<usize>(C_RHO * k)) << 3);
  const alpha = COLS + ((<usize>(C_ALPHA * k)) << 3);
  const beta = COLS + ((<usize>(C_BETA * k)) << 3);
  const bnorm = COLS + ((<usize>(C_BNORM * k)) << 3);
  const last = COLS + ((<usize>(C_LAST * k)) << 3);
  const scale = COLS + ((<usize>(C_SCALE * k)) << 3);
  const pq = COLS + ((<usize>(C_PQ * k)) << 3);
  const rz = COLS + ((<usize>(C_RZ * k)) << 3);
  const rr = COLS + ((<usize>(C_RR * k)) << 3);
  const mask = COLS + ((<usize>(C_MASK * k)) << 3);
  const state = COLS + ((<usize>(C_STATE * k)) << 3);
  const header = COLS + ((<usize>(C_COUNT * k)) << 3);
  const rs = <usize>k << 3;

  if (resume == 0) {
    // Inverse diagonal of the preconditioner: 1/(d_i + s_i) (0 on an isolated node with s_i = 0,
    // whose residual is always 0), or 1 for none (and for approxchol, where pass B's rᵀ(r·1)
    // is not used).
    for (let i = 0; i < n; i++) {
      let d = 0.0;
      if (precond == GraphPreconditioner.JACOBI) {
        const b = ldi(rowPtr, i), e = ldi(rowPtr, i + 1);
        if (val == 0) d = <f64>(e - b);
        else for (let p = b; p < e; p++) d += ld(val, p);
        d += ld(shift, i);
        st(DINV, i, d > 0.0 ? 1.0 / d : 0.0);
      } else st(DINV, i, 1.0);
    }
    if (ncomp > 0) {
      memory.fill(CSIZE, 0, <usize>ncomp << 3);
      for (let i = 0; i < n; i++) {
        const c = ldi(comp, i);
        if (c >= 0 && c < ncomp) st(CSIZE, c, ld(CSIZE, c) + 1.0);
        else if (c >= ncomp) return PcgRun.BAD_ARG;
      }
      for (let c = 0; c < ncomp; c++) if (!(ld(CSIZE, c) > 0.0)) return PcgRun.BAD_ARG;
      project(n, k, comp, ncomp, b, CSUM, CSIZE);
    }
    // Per column: the power-of-two scale, ‖b‖, the starting state.
    for (let j = 0; j < k; j++) st(pq, j, 0.0); // max |b_ij|
    for (let i = 0; i < n; i++) {
      const br = b + <usize>i * rs;
      for (let j = 0; j < k; j++) {
        const a = Math.abs(ld(br, j));
        if (a > ld(pq, j)) st(pq, j, a);
      }
    }
    for (let j = 0; j < k; j++) {
      const m = ld(pq, j);
      if (m > 0.0 && m < Infinity) st(scale, j, pow2(-exponentOf(m)));
      else st(scale, j, 1.0);
    }
    for (let i = 0; i < n; i++) {
      const br = b + <usize>i * rs, xr = x + <usize>i * rs;
      for (let j = 0; j < k; j++) {
        const c = ld(scale, j);
        st(br, j, ld(br, j) * c);
        st(xr, j, ld(xr, j) * c);
      }
    }
    columnSquares(n, k, b, bnorm);
    for (let j = 0; j < k; j++) {
      const nb = Math.sqrt(ld(bnorm, j));
      st(bnorm, j, nb);
      store<i32>(iterations + (<usize>j << 2), 0);
      st(residuals, j, 0.0);
      st(last, j, Infinity);
      if (nb > 0.0) st(state, j, CHECK);
      else {
        st(state, j, ZERO);
        for (let i = 0; i < n; i++) st(x + <usize>i * rs, j, 0.0);
      }
    }
    st(header, 0, 0.0);
  }

  let passes = 0;
  while (passes < maxPasses) {
    let active = 0, checks = 0;
    for (let j = 0; j < k; j++) {
      const s = ld(state, j);
      if (s == ACTIVE) active++;
      else if (s == CHECK || s == EXHAUSTED) checks++;
    }
    if (active > 0) {
      // One PCG iteration for the active columns.
      laplacianProduct(n, k, rowPtr, col, val, shift, P, Q, pq);
      passes++;
      for (let j = 0; j < k; j++) {
        if (ld(state, j) != ACTIVE) {
          st(alpha, j, 0.0);
          continue;
        }
        const d = ld(pq, j);
        if (!(d > 0.0) || !(d < Infinity)) {
          st(state, j, BROKEN);
          st(alpha, j, 0.0);
        } else st(alpha, j, ld(rho, j) / d);
      }
      setMask(k, state, mask);
      passB(n, k, x, R, P, Q, DINV, alpha, mask, rz, rr);
      for (let j = 0; j < k; j++) {
        if (ld(state, j) != ACTIVE) continue;
        const its = load<i32>(iterations + (<usize>j << 2)) + 1;
        store<i32>(iterations + (<usize>j << 2), its);
        const rel = Math.sqrt(ld(rr, j)) / ld(bnorm, j);
        st(residuals, j, rel);
        const z = ld(rz, j);
        if (!(rel < Infinity) || (!chol && !(z < Infinity))) st(state, j, BROKEN);
        else if (rel <= tol) st(state, j, CHECK);
        else if (its >= maxIter) st(state, j, EXHAUSTED);
        else if (!chol) {
          st(beta, j, z / ld(rho, j));
          st(rho, j, z);
        }
      }
      setMask(k, state, mask);
      if (!chol) passC(n, k, R, P, DINV, beta, mask);
      else if (anyOn(k, mask)) {
        // z = P⁻¹·r, then β = rᵀz / ρ and p ← z + β·p.
        applyFactor(n, k, factor, factorIndex, comp, ncomp, R, factorWork, CSUM, CSIZE);
        columnDots(n, k, R, factorWork, rz);
        for (let j = 0; j < k; j++) {
          if (ld(state, j) != ACTIVE) continue;
          const z = ld(rz, j);
          if (!(z > 0.0) || !(z < Infinity)) st(state, j, BROKEN);
          else {
            st(beta, j, z / ld(rho, j));
            st(rho, j, z);
          }
        }
        setMask(k, state, mask);
        passCz(n, k, factorWork, P, beta, mask);
      }
    } else if (checks > 0) {
      // True residuals t = b − M·x of the columns waiting for a check.
      laplacianProduct(n, k, rowPtr, col, val, shift, x, Q, 0);
      passes++;
      for (let i: usize = 0; i < nk; i += 1) {
        const o = i << 3;
        store<f64>(Q + o, load<f64>(b + o) - load<f64>(Q + o));
      }
      if (ncomp > 0) project(n, k, comp, ncomp, Q, CSUM, CSIZE);
      columnSquares(n, k, Q, rr);
      for (let j = 0; j < k; j++) {
        const s = ld(state, j);
        if (s != CHECK && s != EXHAUSTED) continue;
        const rel = Math.sqrt(ld(rr, j)) / ld(bnorm, j);
        st(residuals, j, rel);
        const its = load<i32>(iterations + (<usize>j << 2));
        if (rel <= tol) st(state, j, OK);
        else if (!(rel < Infinity)) st(state, j, BROKEN);
        else if (s == EXHAUSTED || its >= maxIter || rel > 0.5 * ld(last, j)) st(state, j, FAILED);
        else {
          st(last, j, rel);
          st(state, j, ACTIVE);
        }
      }
      setMask(k, state, mask);
      if (!chol) restart(n, k, Q, R, P, DINV, mask, rho);
      else if (anyOn(k, mask)) {
        copyColumns(n, k, Q, R, mask);
        applyFactor(n, k, factor, factorIndex, comp, ncomp, R, factorWork, CSUM, CSIZE);
        columnDots(n, k, R, factorWork, rz);
        for (let j = 0; j < k; j++) {
          if (!isOn(mask, j)) continue;
          const z = ld(rz, j);
          if (!(z > 0.0) || !(z < Infinity)) st(state, j, BROKEN);
          else st(rho, j, z);
        }
        setMask(k, state, mask);
        copyColumns(n, k, factorWork, P, mask); // p ← z
      }
    } else {
      // Every column finished: scale x back, project it, report.
      for (let i = 0; i < n; i++) {
        const xr = x + <usize>i * rs;
        for (let j = 0; j < k; j++) st(xr, j, ld(xr, j) / ld(scale, j));
      }
      if (ncomp > 0) project(n, k, comp, ncomp, x, CSUM, CSIZE);
      for (let j = 0; j < k; j++) {
        const s = ld(state, j);
        const code = s == OK || s == ZERO ? Status.OK : s == BROKEN ? Status.NON_FINITE : Status.NO_CONVERGENCE;
        store<i32>(colStatus + (<usize>j << 2), code);
      }
      const total = ld(header, 0) + <f64>passes;
      st(header, 0, total);
      setStatusArg(<f64>passes, total);
      return PcgRun.DONE;
    }
  }
  const total = ld(header, 0) + <f64>passes;
  st(header, 0, total);
  setStatusArg(<f64>passes, total);
  return PcgRun.PAUSED;
}

/** mask_j = all ones when column j is active, else 0. */
function setMask(k: i32, state: usize, mask: usize): void {
  for (let j = 0; j < k; j++) store<u64>(mask + (<usize>j << 3), ld(state, j) == ACTIVE ? <u64>-1 : 0);
}

/** Whether some column is on in `mask`. */
function anyOn(k: i32, mask: usize): bool {
  for (let j = 0; j < k; j++) if (isOn(mask, j)) return true;
  return false;
}

/** out[j] = Σ_i a_ij·b_ij, in row order (f64x2 over pairs of columns). */
function columnDots(n: i32, k: i32, a: usize, b: usize, out: usize): void {
  const rs = <usize>k << 3;
  memory.fill(out, 0, rs);
  for (let i = 0; i < n; i++) {
    const ar = a + <usize>i * rs, br = b + <usize>i * rs;
    let j = 0;
    for (; j + 2 <= k; j += 2) {
      const o = <usize>j << 3;
      v128.store(out + o, f64x2.add(v128.load(out + o), f64x2.mul(v128.load(ar + o), v128.load(br + o))));
    }
    if (j < k) st(out, j, ld(out, j) + ld(ar, j) * ld(br, j));
  }
}

/** dst ← src for the columns of `mask`. */
function copyColumns(n: i32, k: i32, src: usize, dst: usize, mask: usize): void {
  const rs = <usize>k << 3;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      if (!isOn(mask, j)) continue;
      const o = <usize>i * rs + (<usize>j << 3);
      store<f64>(dst + o, load<f64>(src + o));
    }
  }
}

/** Z = P⁻¹·R with the approximate-Cholesky factor (rows of Z: n, plus the ground vertex's),
 *  then Z projected onto 1⊥ on the unshifted components. */
function applyFactor(n: i32, k: i32, factor: usize, index: usize, comp: usize, ncomp: i32, R: usize, Z: usize,
  sums: usize, sizes: usize): void {
  memory.copy(Z, R, (<usize>n * <usize>k) << 3);
  approxCholApply(n, k, factor, index, comp, ncomp, Z);
  if (ncomp > 0) project(n, k, comp, ncomp, Z, sums, sizes);
}

/** p ← z + β·p for the columns of `mask`. */
function passCz(n: i32, k: i32, z: usize, p: usize, beta: usize, mask: usize): void {
  const rs = <usize>k << 3;
  for (let i = 0; i < n; i++) {
    const o0 = <usize>i * rs;
    let j = 0;
    for (; j + 2 <= k; j += 2) {
      const c = <usize>j << 3, o = o0 + c;
      const pv = v128.load(p + o);
      const pn = f64x2.add(v128.load(z + o), f64x2.mul(v128.load(beta + c), pv));
      v128.store(p + o, v128.bitselect(pn, pv, v128.load(mask + c)));
    }
    if (j < k && isOn(mask, j)) {
      const o = o0 + (<usize>j << 3);
      store<f64>(p + o, load<f64>(z + o) + ld(beta, j) * load<f64>(p + o));
    }
  }
}
