// Cholesky factorisation A = L·Lᵀ (row-major, lower), triangular solves, diag(A⁻¹).
//
// Threads (assembly/core/threads.ts). The blocked factorisation runs each panel's triangular
// solve split by rows (rows of X·Lᵀ = B are independent, and the base case gives a row the same
// operations whether it is solved in a pair or alone), and each panel's trailing update split by
// block rows (each a GEMM whose elements do not depend on the blocking); the diagonal blocks stay
// serial (≈ n·96²/3 of the n³/3 flops). The solves with many right-hand sides split B by columns
// (L·X = B and Lᵀ·X = B act on each column alone). Every element therefore sees the serial code's
// operations in the serial order: the factors and solutions are bit-identical for any number of
// threads.
import { ld, st, ptr } from "../core/mem";
import { Status, setStatusArg } from "../core/status";
import { dot, axpy, scal } from "./blas1";
import { gemmWith } from "./gemm";
import { ThreadScratch, threadScratch, parallelism, tasksFor, fork, setArg, argI, argP } from "../core/threads";

const NB: i32 = 96; // panel width of the blocked factorisation and the triangular solves
const TB: i32 = 48; // block rows of the Cholesky trailing update

@inline function rowp(a: usize, lda: i32, i: i32): usize {
  return a + (<usize>(i * lda) << 3);
}

// Unblocked factorisation of the kb×kb diagonal block at (k0, k0); earlier columns have
// already been subtracted by the trailing updates. Returns −1 or the failing pivot.
function cholDiagBlock(a: usize, lda: i32, k0: i32, kb: i32): i32 {
  for (let j = 0; j < kb; j++) {
    const rj = rowp(a, lda, k0 + j) + (<usize>k0 << 3);
    const d = ld(rj, j) - dot(rj, rj, j);
    if (!(d > 0.0) || !isFinite(d)) return k0 + j;
    const ljj = Math.sqrt(d);
    st(rj, j, ljj);
    const inv = 1.0 / ljj;
    for (let i = j + 1; i < kb; i++) {
      const ri = rowp(a, lda, k0 + i) + (<usize>k0 << 3);
      st(ri, j, (ld(ri, j) - dot(ri, rj, j)) * inv);
    }
  }
  return -1;
}

// X·Lᵀ = B in place, B m×nb (ldb), L nb×nb lower (ldl). Recursive halving: the coupling
// block B₂ −= X₁·L₂₁ᵀ goes through GEMM, and strips of ≤ TRSM_BASE columns are solved by
// substitution, two rows at a time in the two f64x2 lanes.
const TRSM_BASE: i32 = 16;
let trsmPairs: usize = 0; // solved pairs (x_i,j, x_i+1,j): TRSM_BASE·16 bytes of this thread's scratch

function trsmRightLT(m: i32, nb: i32, l: usize, ldl: i32, b: usize, ldb: i32): void {
  if (nb <= TRSM_BASE) {
    trsmBase(m, nb, l, ldl, b, ldb);
    return;
  }
  const h = ((nb >> 1) + 7) & ~7;
  trsmRightLT(m, h, l, ldl, b, ldb);
  gemmWith(0, 1, m, nb - h, h, -1.0, b, ldb, rowp(l, ldl, h), ldl, 1.0, b + (<usize>h << 3), ldb, 0, false);
  trsmRightLT(m, nb - h, rowp(l, ldl, h) + (<usize>h << 3), ldl, b + (<usize>h << 3), ldb);
}

// Substitution for nb ≤ TRSM_BASE columns: x_ij = (b_ij − Σ_{t<j} x_it·L_jt) / L_jj, the
// sum taken in order t = 0, 1, … (the same rounding in both lanes and in the scalar tail).
function trsmBase(m: i32, nb: i32, l: usize, ldl: i32, b: usize, ldb: i32): void {
  if (trsmPairs == 0) trsmPairs = threadScratch() + <usize>ThreadScratch.TRSM_PAIRS;
  let i = 0;
  for (; i + 2 <= m; i += 2) {
    const b0 = rowp(b, ldb, i), b1 = rowp(b, ldb, i + 1);
    for (let j = 0; j < nb; j++) {
      const lj = rowp(l, ldl, j);
      let s = f64x2.replace_lane(f64x2.splat(ld(b0, j)), 1, ld(b1, j));
      for (let t = 0; t < j; t++) {
        s = f64x2.sub(s, f64x2.mul(v128.load(trsmPairs + (<usize>t << 4)), v128.load64_splat(lj + (<usize>t << 3))));
      }
      s = f64x2.div(s, f64x2.splat(ld(lj, j)));
      v128.store(trsmPairs + (<usize>j << 4), s);
      st(b0, j, f64x2.extract_lane(s, 0));
      st(b1, j, f64x2.extract_lane(s, 1));
    }
  }
  if (i < m) {
    const bi = rowp(b, ldb, i);
    for (let j = 0; j < nb; j++) {
      const lj = rowp(l, ldl, j);
      let s = ld(bi, j);
      for (let t = 0; t < j; t++) s -= ld(bi, t) * ld(lj, t);
      st(bi, j, s / ld(lj, j));
    }
  }
}

/** In-place lower Cholesky of the n×n matrix at a (lda). Only the lower triangle is read;
 *  the strict upper triangle is zeroed. Returns Status.OK or Status.NOT_SPD (status_arg = pivot index). */
export function cholesky(a: ptr<f64>, n: i32, lda: i32): Status {
  for (let k0 = 0; k0 < n; k0 += NB) {
    const kb = min(NB, n - k0);
    const fail = cholDiagBlock(a, lda, k0, kb);
    if (fail >= 0) {
      setStatusArg(<f64>fail);
      return Status.NOT_SPD;
    }
    const k1 = k0 + kb;
    // Panel: L21 = A21 · L11⁻ᵀ (a triangular solve whose bulk runs through GEMM).
    if (k1 < n) {
      trsmRightRows(n - k1, kb, rowp(a, lda, k0) + (<usize>k0 << 3), lda, rowp(a, lda, k1) + (<usize>k0 << 3), lda);
    }
    // Trailing update of the lower triangle: A22 ← A22 − L21·L21ᵀ, one block row at a time.
    const rows = (n - k1 + TB - 1) / TB;
    const threads = parallelism();
    if (threads > 1 && tasksFor(0.5 * <f64>(n - k1) * <f64>(n - k1) * <f64>kb, threads, rows) > 1) {
      setArg(0, <f64>a); setArg(1, <f64>n); setArg(2, <f64>lda); setArg(3, <f64>k0); setArg(4, <f64>kb); setArg(5, <f64>rows);
      fork(rows, changetype<usize>(trailingTask));
    } else {
      for (let r = 0; r < rows; r++) trailingRow(a, n, lda, k0, kb, r);
    }
  }
  for (let i = 0; i < n; i++) {
    const ri = rowp(a, lda, i);
    for (let j = i + 1; j < n; j++) st(ri, j, 0.0);
  }
  setStatusArg(0);
  return Status.OK;
}

// Block row r of the trailing update after panel [k0, k0 + kb): rows i0 = k1 + r·TB, … of A22.
function trailingRow(a: usize, n: i32, lda: i32, k0: i32, kb: i32, r: i32): void {
  const k1 = k0 + kb;
  const i0 = k1 + r * TB;
  const bi = min(TB, n - i0);
  gemmWith(0, 1, bi, i0 + bi - k1, kb, -1.0,
    rowp(a, lda, i0) + (<usize>k0 << 3), lda,
    rowp(a, lda, k1) + (<usize>k0 << 3), lda,
    1.0, rowp(a, lda, i0) + (<usize>k1 << 3), lda, 0, false);
}

// Task of a threaded trailing update: block row rows−1−t (the longest first).
function trailingTask(t: i32): void {
  const rows = argI(5);
  trailingRow(argP(0), argI(1), argI(2), argI(3), argI(4), rows - 1 - t);
}

/** Cholesky with a jitter-and-retry policy. `work` must hold n×n f64. On failure the
 *  original lower triangle is restored, jitter·s is added to the diagonal (s = mean
 *  diagonal, or 1 if that is not positive), and the factorisation is retried with the
 *  jitter multiplied by 10, up to maxTries retries. status_arg = total jitter added to the
 *  diagonal (absolute), status_arg2 = number of retries used. */
export function cholesky_jitter(a: ptr<f64>, n: i32, lda: i32, work: ptr<f64>, jitter0: f64, maxTries: i32): Status {
  for (let i = 0; i < n; i++) memory.copy(rowp(work, n, i), rowp(a, lda, i), <usize>(i + 1) << 3);
  let scale = 0.0;
  for (let i = 0; i < n; i++) scale += ld(a, i * lda + i);
  scale = n > 0 ? scale / <f64>n : 1.0;
  if (!(scale > 0.0) || !isFinite(scale)) scale = 1.0;
  let jitter = 0.0;
  let step = jitter0;
  for (let t = 0; t <= maxTries; t++) {
    if (t > 0) {
      for (let i = 0; i < n; i++) memory.copy(rowp(a, lda, i), rowp(work, n, i), <usize>(i + 1) << 3);
      jitter = step * scale;
      for (let i = 0; i < n; i++) st(a, i * lda + i, ld(a, i * lda + i) + jitter);
      step *= 10.0;
    }
    const st0 = cholesky(a, n, lda);
    if (st0 == Status.OK) {
      setStatusArg(jitter, <f64>t);
      return Status.OK;
    }
  }
  setStatusArg(jitter, <f64>maxTries);
  return Status.NOT_SPD;
}

/** Solve L·X = B in place (L n×n lower, B n×r). Recursive halving: the coupling block
 *  B₂ −= L₂₁·X₁ goes through GEMM; blocks of ≤ TRSM_BASE rows by row operations. With several
 *  threads, B is split into strips of columns solved in parallel. */
export function trsm_lower(n: i32, r: i32, l: ptr<f64>, ldl: i32, b: ptr<f64>, ldb: i32): void {
  if (n <= 0 || r <= 0) return;
  if (!trsmColumns(0, n, r, l, ldl, b, ldb)) trsmLowerSerial(n, r, l, ldl, b, ldb);
}

function trsmLowerSerial(n: i32, r: i32, l: usize, ldl: i32, b: usize, ldb: i32): void {
  if (r == 1 && ldb == 1) {
    // One contiguous right-hand side: x_i = (b_i − L[i, :i]·x[:i]) / L_ii, rows as dots.
    for (let i = 0; i < n; i++) {
      const li = rowp(l, ldl, i);
      st(b, i, (ld(b, i) - dot(li, b, i)) / ld(li, i));
    }
    return;
  }
  if (n <= TRSM_BASE) {
    for (let i = 0; i < n; i++) {
      const bri = rowp(b, ldb, i);
      const li = rowp(l, ldl, i);
      for (let j = 0; j < i; j++) axpy(-ld(li, j), rowp(b, ldb, j), bri, r);
      scal(1.0 / ld(li, i), bri, r);
    }
    return;
  }
  const h = ((n >> 1) + 7) & ~7;
  trsmLowerSerial(h, r, l, ldl, b, ldb);
  gemmWith(0, 0, n - h, r, h, -1.0, rowp(l, ldl, h), ldl, b, ldb, 1.0, rowp(b, ldb, h), ldb, 0, false);
  trsmLowerSerial(n - h, r, rowp(l, ldl, h) + (<usize>h << 3), ldl, rowp(b, ldb, h), ldb);
}

/** Solve Lᵀ·X = B in place (L n×n lower, B n×r). Recursive halving, bottom block first:
 *  X₂ = L₂₂⁻ᵀ·B₂, then B₁ −= L₂₁ᵀ·X₂ through GEMM, then X₁ = L₁₁⁻ᵀ·B₁. With several threads, B
 *  is split into strips of columns solved in parallel. */
export function trsm_lower_t(n: i32, r: i32, l: ptr<f64>, ldl: i32, b: ptr<f64>, ldb: i32): void {
  if (n <= 0 || r <= 0) return;
  if (!trsmColumns(1, n, r, l, ldl, b, ldb)) trsmLowerTSerial(n, r, l, ldl, b, ldb);
}

function trsmLowerTSerial(n: i32, r: i32, l: usize, ldl: i32, b: usize, ldb: i32): void {
  if (r == 1 && ldb == 1) {
    // One contiguous right-hand side, bottom-up: x_i = b_i / L_ii, then b[:i] −= x_i·L[i, :i].
    for (let i = n - 1; i >= 0; i--) {
      const li = rowp(l, ldl, i);
      const xi = ld(b, i) / ld(li, i);
      st(b, i, xi);
      axpy(-xi, li, b, i);
    }
    return;
  }
  if (n <= TRSM_BASE) {
    for (let i = n - 1; i >= 0; i--) {
      const bri = rowp(b, ldb, i);
      scal(1.0 / ld(l, i * ldl + i), bri, r);
      const li = rowp(l, ldl, i);
      for (let j = 0; j < i; j++) axpy(-ld(li, j), bri, rowp(b, ldb, j), r);
    }
    return;
  }
  const h = ((n >> 1) + 7) & ~7;
  trsmLowerTSerial(n - h, r, rowp(l, ldl, h) + (<usize>h << 3), ldl, rowp(b, ldb, h), ldb);
  gemmWith(1, 0, h, r, n - h, -1.0, rowp(l, ldl, h), ldl, rowp(b, ldb, h), ldb, 1.0, b, ldb, 0, false);
  trsmLowerTSerial(h, r, l, ldl, b, ldb);
}

/** Solve X·Lᵀ = B in place (B m×n, L n×n lower): each row x solves L·xᵀ = bᵀ. With several
 *  threads, B is split into strips of rows solved in parallel. */
export function trsm_right_lower_t(m: i32, n: i32, l: ptr<f64>, ldl: i32, b: ptr<f64>, ldb: i32): void {
  if (m <= 0 || n <= 0) return;
  trsmRightRows(m, n, l, ldl, b, ldb);
}

// The threaded solves. Which = 0: L·X = B, 1: Lᵀ·X = B (columns of B); 2: X·Lᵀ = B (rows of B).
// A strip is a multiple of 4 columns (or 8 rows), so the GEMMs inside keep whole tiles.

/** Solve L·X = B or Lᵀ·X = B by strips of columns on several threads; false (nothing done)
 *  when one thread should do it. */
function trsmColumns(which: i32, n: i32, r: i32, l: usize, ldl: i32, b: usize, ldb: i32): bool {
  const threads = parallelism();
  if (threads <= 1 || r < 2) return false;
  const tasks = tasksFor(0.5 * <f64>n * <f64>n * <f64>r, threads, (r + 3) >> 2);
  if (tasks <= 1) return false;
  const width = (((r + tasks - 1) / tasks) + 3) & ~3;
  setArg(0, <f64>which); setArg(1, <f64>n); setArg(2, <f64>r); setArg(3, <f64>l); setArg(4, <f64>ldl);
  setArg(5, <f64>b); setArg(6, <f64>ldb); setArg(7, <f64>width);
  fork((r + width - 1) / width, changetype<usize>(trsmStripTask));
  return true;
}

/** Solve X·Lᵀ = B (B m×n) by strips of rows on several threads, or on this one. */
function trsmRightRows(m: i32, n: i32, l: usize, ldl: i32, b: usize, ldb: i32): void {
  const threads = parallelism();
  const tasks = threads > 1 ? tasksFor(0.5 * <f64>m * <f64>n * <f64>n, threads, (m + 7) >> 3) : 1;
  if (tasks <= 1) {
    trsmRightLT(m, n, l, ldl, b, ldb);
    return;
  }
  const height = (((m + tasks - 1) / tasks) + 7) & ~7;
  setArg(0, 2.0); setArg(1, <f64>n); setArg(2, <f64>m); setArg(3, <f64>l); setArg(4, <f64>ldl);
  setArg(5, <f64>b); setArg(6, <f64>ldb); setArg(7, <f64>height);
  fork((m + height - 1) / height, changetype<usize>(trsmStripTask));
}

// Task t of a threaded solve: strip t of B's columns (which 0, 1) or rows (which 2).
function trsmStripTask(t: i32): void {
  const which = argI(0), n = argI(1), r = argI(2), l = argP(3), ldl = argI(4);
  const b = argP(5), ldb = argI(6), size = argI(7);
  const s0 = t * size, len = min(size, r - s0);
  if (which == 0) trsmLowerSerial(n, len, l, ldl, b + (<usize>s0 << 3), ldb);
  else if (which == 1) trsmLowerTSerial(n, len, l, ldl, b + (<usize>s0 << 3), ldb);
  else trsmRightLT(len, n, l, ldl, rowp(b, ldb, s0), ldb);
}

const DIAG_INV_BW: i32 = 64; // column block width of chol_diag_inv

/** f64 slots of the `work` block of chol_diag_inv for an n×n factor: n·min(n, 64). */
export function chol_diag_inv_workspace_size(n: i32): f64 {
  return <f64>n * <f64>min(n, DIAG_INV_BW);
}

/** out[j] = (A⁻¹)_jj from the lower Cholesky factor L (n×n, stride ldl) of A, as the column
 *  sums of squares of L⁻¹, computed in column blocks of width 64: block [j0, j1) solves
 *  L[j0:, j0:]·X = I[j0:, j0:j1] (rows above j0 of L⁻¹ are zero there), ≈ n³/3 flops in all
 *  instead of n³ for a solve against the whole identity, in n·64 f64 of workspace instead
 *  of n². work: chol_diag_inv_workspace_size(n) f64. */
export function chol_diag_inv(n: i32, l: ptr<f64>, ldl: i32, out: ptr<f64>, work: ptr<f64>): void {
  memory.fill(out, 0, <usize>n << 3);
  for (let j0 = 0; j0 < n; j0 += DIAG_INV_BW) {
    const bw = min(DIAG_INV_BW, n - j0);
    const rows = n - j0;
    memory.fill(work, 0, <usize>(rows * bw) << 3);
    for (let c = 0; c < bw; c++) st(work, c * bw + c, 1.0);
    trsm_lower(rows, bw, l + (<usize>(j0 * ldl + j0) << 3), ldl, work, bw);
    // (A⁻¹)_jj = Σ_i (L⁻¹)_ij², accumulated down the rows of L⁻¹ (i ≥ j).
    for (let i = 0; i < rows; i++) {
      const r = rowp(work, bw, i);
      const lim = min(bw, i + 1);
      for (let c = 0; c < lim; c++) {
        const v = ld(r, c);
        st(out, j0 + c, ld(out, j0 + c) + v * v);
      }
    }
  }
}
