// GEMM: C ← α·op(A)·op(B) + β·C for row-major matrices, op(X) = X or Xᵀ.
// Goto-style blocking: a KC×NC panel of op(B) and an MC×KC block of op(A) are packed into
// contiguous micro-panels, and a register-blocked 4×4 micro-kernel (f64x2, no FMA in
// SIMD128) runs over them. Packing absorbs the transposes, so all four variants share the
// kernel.
//
// Shaped by what V8's optimising compiler does with SIMD128 on x64 (measured, Node 20):
// - it has 15 usable xmm registers and schedules every load of a basic block before its
//   arithmetic, so one k-step may hold at most 8 accumulators + 6 loaded vectors: 4×4 is
//   the largest tile that does not spill (5×4, 6×4, 4×6 all spill and run 30–50 % slower);
// - a splat load with an offset costs an extra address computation, so A is packed
//   pre-splatted: each element is stored twice, and the kernel does plain 16-byte loads;
// - the k-loop is unrolled four times with a loop exit after every step, which keeps each
//   step in its own basic block (no cross-step load hoisting, hence no spills) while
//   amortising the loop's stack check; the four steps use constant load offsets, so the
//   pointers advance once per four steps and each exit test is one compare.
// Together these give ~10 % over a plain 4×4 loop: per k-step 6 loads, 8 mul, 8 add and
// one compare-and-branch, close to what the front end can issue.
//
// Threads (assembly/core/threads.ts): every element of C is Σ_p a_ip·b_pj accumulated in
// increasing p within blocks of KC that start at p = 0 — the micro-kernel's lanes are separate
// elements, and an edge tile is computed by the same kernel and added to C the same way — so an
// element's value does not depend on the m or n blocking, nor on which rows and columns are
// computed together. A threaded GEMM therefore splits C into a grid of blocks (one task each) and
// runs this serial code on each block: the result is bit-identical to one thread's.
import { ld, st, ptr, flag } from "../core/mem";
import { ThreadScratch, threadScratch, parallelism, tasksFor, fork, setArg, arg, argI, argP, planGrid, gridRows, gridCols } from "../core/threads";

const MR: i32 = 4;
const NR: i32 = 4;
const KC: i32 = 256;
const MC: i32 = 48;
const NC: i32 = 2048;

// This thread's pack buffers (globals are per instance, so per thread): slices of its scratch.
let packA: usize = 0;
let packB: usize = 0;
let edge: usize = 0;

function ensureBuffers(): void {
  if (packA == 0) {
    const s = threadScratch();
    packA = s + <usize>ThreadScratch.GEMM_A; // pre-splatted: 16 bytes per element, MC·KC
    packB = s + <usize>ThreadScratch.GEMM_B; // KC·NC
    edge = s + <usize>ThreadScratch.GEMM_EDGE; // MR·NR
  }
}

// Pack op(A)[i0..i0+mc, p0..p0+kc] into strips of MR rows, each element splatted to both
// lanes: strip s, step p, row ii at byte offset ((s·kc + p)·MR + ii)·16. Rows past mc are 0.
function packBlockA(a: usize, lda: i32, transA: i32, i0: i32, p0: i32, mc: i32, kc: i32): void {
  let dst = packA;
  const zero = f64x2.splat(0);
  for (let is = 0; is < mc; is += MR) {
    const h = min(MR, mc - is);
    if (transA == 0) {
      const r0 = a + (<usize>((i0 + is) * lda + p0) << 3);
      const rs = <usize>lda << 3;
      if (h == MR) {
        const r1 = r0 + rs, r2 = r1 + rs, r3 = r2 + rs;
        for (let p = 0; p < kc; p++) {
          const o = <usize>p << 3;
          v128.store(dst, v128.load64_splat(r0 + o));
          v128.store(dst, v128.load64_splat(r1 + o), 16);
          v128.store(dst, v128.load64_splat(r2 + o), 32);
          v128.store(dst, v128.load64_splat(r3 + o), 48);
          dst += 64;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let ii = 0; ii < MR; ii++) {
            v128.store(dst + (<usize>ii << 4), ii < h ? v128.load64_splat(r0 + <usize>ii * rs + (<usize>p << 3)) : zero);
          }
          dst += 64;
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const row = a + (<usize>((p0 + p) * lda + i0 + is) << 3);
        if (h == MR) {
          v128.store(dst, v128.load64_splat(row));
          v128.store(dst, v128.load64_splat(row, 8), 16);
          v128.store(dst, v128.load64_splat(row, 16), 32);
          v128.store(dst, v128.load64_splat(row, 24), 48);
        } else {
          for (let ii = 0; ii < MR; ii++) v128.store(dst + (<usize>ii << 4), ii < h ? v128.load64_splat(row + (<usize>ii << 3)) : zero);
        }
        dst += 64;
      }
    }
  }
}

// Pack op(B)[p0..p0+kc, j0..j0+nc] into strips of NR columns: dst[(s*kc + p)*NR + jj].
function packBlockB(b: usize, ldb: i32, transB: i32, p0: i32, j0: i32, kc: i32, nc: i32): void {
  let dst = packB;
  for (let js = 0; js < nc; js += NR) {
    const w = min(NR, nc - js);
    if (transB == 0) {
      for (let p = 0; p < kc; p++) {
        const row = b + (<usize>((p0 + p) * ldb + j0 + js) << 3);
        if (w == NR) {
          v128.store(dst, v128.load(row));
          v128.store(dst, v128.load(row, 16), 16);
        } else {
          for (let jj = 0; jj < NR; jj++) st(dst, jj, jj < w ? ld(row, jj) : 0.0);
        }
        dst += <usize>NR << 3;
      }
    } else {
      const c0 = b + (<usize>((j0 + js) * ldb + p0) << 3);
      const cs = <usize>ldb << 3;
      if (w == NR) {
        const c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
        for (let p = 0; p < kc; p++) {
          const o = <usize>p << 3;
          store<f64>(dst, load<f64>(c0 + o));
          store<f64>(dst, load<f64>(c1 + o), 8);
          store<f64>(dst, load<f64>(c2 + o), 16);
          store<f64>(dst, load<f64>(c3 + o), 24);
          dst += 32;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let jj = 0; jj < NR; jj++) st(dst, jj, jj < w ? load<f64>(c0 + <usize>jj * cs + (<usize>p << 3)) : 0.0);
          dst += <usize>NR << 3;
        }
      }
    }
  }
}

// MR×NR micro-kernel on packed panels (kc ≥ 1). Writes α·acc + β·C into the tile at c
// (ldc), reading C only when beta != 0 (so NaN garbage in an output buffer never leaks in
// when β = 0). See the header for why it is written this way.
@inline
function micro(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, alpha: f64, beta: f64): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  // bendU = end − 32·(U+1): step U of the four is the last one when bp ≥ bendU, so the
  // pointers advance once per four steps and each exit test is a single compare.
  const bend0 = bp + (<usize>kc << 5) - 32;
  const bend1 = bend0 - 32, bend2 = bend0 - 64, bend3 = bend0 - 96;
  while (true) {
    {
      const b0 = v128.load(bp, 0), b1 = v128.load(bp, 16);
      const a0 = v128.load(ap, 0), a1 = v128.load(ap, 16), a2 = v128.load(ap, 32), a3 = v128.load(ap, 48);
      c00 = f64x2.add(c00, f64x2.mul(a0, b0)); c01 = f64x2.add(c01, f64x2.mul(a0, b1));
      c10 = f64x2.add(c10, f64x2.mul(a1, b0)); c11 = f64x2.add(c11, f64x2.mul(a1, b1));
      c20 = f64x2.add(c20, f64x2.mul(a2, b0)); c21 = f64x2.add(c21, f64x2.mul(a2, b1));
      c30 = f64x2.add(c30, f64x2.mul(a3, b0)); c31 = f64x2.add(c31, f64x2.mul(a3, b1));
    }
    if (bp >= bend0) break;
    {
      const b0 = v128.load(bp, 32), b1 = v128.load(bp, 48);
      const a0 = v128.load(ap, 64), a1 = v128.load(ap, 80), a2 = v128.load(ap, 96), a3 = v128.load(ap, 112);
      c00 = f64x2.add(c00, f64x2.mul(a0, b0)); c01 = f64x2.add(c01, f64x2.mul(a0, b1));
      c10 = f64x2.add(c10, f64x2.mul(a1, b0)); c11 = f64x2.add(c11, f64x2.mul(a1, b1));
      c20 = f64x2.add(c20, f64x2.mul(a2, b0)); c21 = f64x2.add(c21, f64x2.mul(a2, b1));
      c30 = f64x2.add(c30, f64x2.mul(a3, b0)); c31 = f64x2.add(c31, f64x2.mul(a3, b1));
    }
    if (bp >= bend1) break;
    {
      const b0 = v128.load(bp, 64), b1 = v128.load(bp, 80);
      const a0 = v128.load(ap, 128), a1 = v128.load(ap, 144), a2 = v128.load(ap, 160), a3 = v128.load(ap, 176);
      c00 = f64x2.add(c00, f64x2.mul(a0, b0)); c01 = f64x2.add(c01, f64x2.mul(a0, b1));
      c10 = f64x2.add(c10, f64x2.mul(a1, b0)); c11 = f64x2.add(c11, f64x2.mul(a1, b1));
      c20 = f64x2.add(c20, f64x2.mul(a2, b0)); c21 = f64x2.add(c21, f64x2.mul(a2, b1));
      c30 = f64x2.add(c30, f64x2.mul(a3, b0)); c31 = f64x2.add(c31, f64x2.mul(a3, b1));
    }
    if (bp >= bend2) break;
    {
      const b0 = v128.load(bp, 96), b1 = v128.load(bp, 112);
      const a0 = v128.load(ap, 192), a1 = v128.load(ap, 208), a2 = v128.load(ap, 224), a3 = v128.load(ap, 240);
      c00 = f64x2.add(c00, f64x2.mul(a0, b0)); c01 = f64x2.add(c01, f64x2.mul(a0, b1));
      c10 = f64x2.add(c10, f64x2.mul(a1, b0)); c11 = f64x2.add(c11, f64x2.mul(a1, b1));
      c20 = f64x2.add(c20, f64x2.mul(a2, b0)); c21 = f64x2.add(c21, f64x2.mul(a2, b1));
      c30 = f64x2.add(c30, f64x2.mul(a3, b0)); c31 = f64x2.add(c31, f64x2.mul(a3, b1));
    }
    if (bp >= bend3) break;
    ap += 256; bp += 128;
  }
  const rs = <usize>ldc << 3;
  if (alpha != 1.0) {
    const al = f64x2.splat(alpha);
    c00 = f64x2.mul(al, c00); c01 = f64x2.mul(al, c01);
    c10 = f64x2.mul(al, c10); c11 = f64x2.mul(al, c11);
    c20 = f64x2.mul(al, c20); c21 = f64x2.mul(al, c21);
    c30 = f64x2.mul(al, c30); c31 = f64x2.mul(al, c31);
  }
  if (beta == 0.0) {
    v128.store(c, c00); v128.store(c, c01, 16); c += rs;
    v128.store(c, c10); v128.store(c, c11, 16); c += rs;
    v128.store(c, c20); v128.store(c, c21, 16); c += rs;
    v128.store(c, c30); v128.store(c, c31, 16);
  } else if (beta == 1.0) {
    v128.store(c, f64x2.add(v128.load(c), c00)); v128.store(c, f64x2.add(v128.load(c, 16), c01), 16); c += rs;
    v128.store(c, f64x2.add(v128.load(c), c10)); v128.store(c, f64x2.add(v128.load(c, 16), c11), 16); c += rs;
    v128.store(c, f64x2.add(v128.load(c), c20)); v128.store(c, f64x2.add(v128.load(c, 16), c21), 16); c += rs;
    v128.store(c, f64x2.add(v128.load(c), c30)); v128.store(c, f64x2.add(v128.load(c, 16), c31), 16);
  } else {
    const be = f64x2.splat(beta);
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c)), c00));
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c, 16)), c01), 16); c += rs;
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c)), c10));
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c, 16)), c11), 16); c += rs;
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c)), c20));
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c, 16)), c21), 16); c += rs;
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c)), c30));
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c, 16)), c31), 16);
  }
}

/** A per-block finishing step: called once for every finished MC×NC block of C, as
 *  (c, ldc, i0, j0, mc, nc) with c the address of C[i0, j0]. Lets a caller transform the
 *  block while it is still in cache (the kernels use it for distances → exp). gemmWith takes
 *  it as a table index (`load<u32>(changetype<usize>(fn))`), not a function object, so that no managed reference (and no
 *  shadow-stack slot) appears in code that helper threads run. */
export type GemmEpilogue = (c: usize, ldc: i32, i0: i32, j0: i32, mc: i32, nc: i32) => void;

/** C (m×n, ldc) ← α·op(A)·op(B) + β·C. op(A) is m×k, op(B) is k×n. With several threads, C is
 *  split into a grid of blocks computed in parallel (bit-identical to one thread). */
export function gemm(
  transA: flag, transB: flag, m: i32, n: i32, k: i32,
  alpha: f64, a: ptr<f64>, lda: i32, b: ptr<f64>, ldb: i32,
  beta: f64, c: ptr<f64>, ldc: i32,
): void {
  const threads = parallelism();
  if (threads > 1 && m > 0 && n > 0 && k > 0 && alpha != 0.0) {
    const tasks = tasksFor(<f64>m * <f64>n * <f64>k, threads, ((m + 3) >> 2) * ((n + 3) >> 2));
    if (tasks > 1) {
      const blocks = planGrid(m, n, tasks, MR, NR);
      setArg(0, <f64>transA); setArg(1, <f64>transB); setArg(2, <f64>m); setArg(3, <f64>n); setArg(4, <f64>k);
      setArg(5, alpha); setArg(6, <f64>a); setArg(7, <f64>lda); setArg(8, <f64>b); setArg(9, <f64>ldb);
      setArg(10, beta); setArg(11, <f64>c); setArg(12, <f64>ldc); setArg(13, <f64>gridRows()); setArg(14, <f64>gridCols());
      fork(blocks, changetype<usize>(gemmBlockTask));
      return;
    }
  }
  gemmWith(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, false);
}

/** Address of op(X)[r0, c0] for op(X) = X (trans 0) or Xᵀ (trans 1), X row-major with stride ld. */
@inline export function opAt(x: usize, ld: i32, trans: i32, r0: i32, c0: i32): usize {
  return trans == 0 ? x + (<usize>(r0 * ld + c0) << 3) : x + (<usize>(c0 * ld + r0) << 3);
}

// Task of a threaded gemm: block t of the grid, by the serial code.
function gemmBlockTask(t: i32): void {
  const transA = argI(0), transB = argI(1), m = argI(2), n = argI(3), k = argI(4);
  const alpha = arg(5), a = argP(6), lda = argI(7), b = argP(8), ldb = argI(9);
  const beta = arg(10), c = argP(11), ldc = argI(12), rows = argI(13), cols = argI(14);
  const perRow = (n + cols - 1) / cols;
  const i0 = (t / perRow) * rows, j0 = (t % perRow) * cols;
  gemmWith(transA, transB, min(rows, m - i0), min(cols, n - j0), k, alpha,
    opAt(a, lda, transA, i0, 0), lda, opAt(b, ldb, transB, 0, j0), ldb,
    beta, c + (<usize>(i0 * ldc + j0) << 3), ldc, 0, false);
}

/** gemm on this thread only, then the epilogue with table index `epi` on every finished block of
 *  C (when `useEpi`); the block coordinates passed to it are offset by (ioff, joff). */
export function gemmWith(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f64, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f64, c: usize, ldc: i32, epi: u32, useEpi: bool,
  ioff: i32 = 0, joff: i32 = 0,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0) {
    for (let i = 0; i < m; i++) {
      const row = c + (<usize>(i * ldc) << 3);
      for (let j = 0; j < n; j++) st(row, j, beta == 0.0 ? 0.0 : beta * ld(row, j));
    }
    if (useEpi) call_indirect<void>(epi, c, ldc, ioff, joff, m, n);
    return;
  }
  ensureBuffers();
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const bet = pc == 0 ? beta : 1.0;
      const last = pc + kc >= k;
      packBlockB(b, ldb, transB, pc, jc, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packBlockA(a, lda, transA, ic, pc, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const w = min(NR, nc - jr);
          const bp = packB + (<usize>(jr * kc) << 3);
          for (let ir = 0; ir < mc; ir += MR) {
            const h = min(MR, mc - ir);
            const ap = packA + (<usize>(ir * kc) << 4);
            const ct = c + (<usize>((ic + ir) * ldc + jc + jr) << 3);
            if (h == MR && w == NR) {
              micro(kc, ap, bp, ct, ldc, alpha, bet);
            } else {
              micro(kc, ap, bp, edge, NR, alpha, 0.0);
              for (let ii = 0; ii < h; ii++) {
                const crow = ct + (<usize>(ii * ldc) << 3);
                for (let jj = 0; jj < w; jj++) {
                  const v = ld(edge, ii * NR + jj);
                  st(crow, jj, bet == 0.0 ? v : bet * ld(crow, jj) + v);
                }
              }
            }
          }
        }
        if (useEpi && last) call_indirect<void>(epi, c + (<usize>(ic * ldc + jc) << 3), ldc, ioff + ic, joff + jc, mc, nc);
      }
    }
  }
}

/** Block rows of syrk / syrkWith (= MC: the wasted upper half of each diagonal block stays small). */
export const SYRK_BS: i32 = 48;

/** Block row `r` of a syrk: C[i0:i0+bi, 0:i0+bi] = α·A[i0:i0+bi]·A[0:i0+bi]ᵀ (+ β·C), then `epi`
 *  (table index, when useEpi) on its finished blocks, with i0 = r·SYRK_BS. */
export function syrkRow(r: i32, n: i32, k: i32, alpha: f64, a: usize, lda: i32, beta: f64, c: usize, ldc: i32, epi: u32, useEpi: bool): void {
  const i0 = r * SYRK_BS;
  const bi = min(SYRK_BS, n - i0);
  gemmWith(0, 1, bi, i0 + bi, k, alpha, a + (<usize>(i0 * lda) << 3), lda, a, lda,
    beta, c + (<usize>(i0 * ldc) << 3), ldc, epi, useEpi, i0, 0);
}

/** Block row `r` of a syrk_t: C[i0:i0+bi, 0:i0+bi] = α·A[:, i0:i0+bi]ᵀ·A[:, 0:i0+bi] + β·C. */
function syrkTRow(r: i32, n: i32, k: i32, alpha: f64, a: usize, lda: i32, beta: f64, c: usize, ldc: i32): void {
  const i0 = r * SYRK_BS;
  const bi = min(SYRK_BS, n - i0);
  gemmWith(1, 0, bi, i0 + bi, k, alpha, a + (<usize>i0 << 3), lda, a, lda,
    beta, c + (<usize>(i0 * ldc) << 3), ldc, 0, false);
}

/** C (n×n) ← α·Aᵀ·A + β·C for A k×n (lda), C symmetric on entry when β ≠ 0: the lower block
 *  rows are computed, then mirrored. Bit-identical to gemm(1, 0, n, n, k, α, A, A, β, C) — each
 *  element of that product is Σ_p a_pi·a_pj in the same order of p, and a_pi·a_pj = a_pj·a_pi
 *  exactly, so its upper triangle equals the mirrored lower one — in half the work. With several
 *  threads the block rows are tasks, then the mirror is split by rows. */
export function syrk_t(n: i32, k: i32, alpha: f64, a: ptr<f64>, lda: i32, beta: f64, c: ptr<f64>, ldc: i32): void {
  const rows = (n + SYRK_BS - 1) / SYRK_BS;
  const threads = parallelism();
  if (threads > 1 && tasksFor(0.5 * <f64>n * <f64>n * <f64>k, threads, rows) > 1) {
    setArg(0, <f64>n); setArg(1, <f64>k); setArg(2, alpha); setArg(3, <f64>a); setArg(4, <f64>lda);
    setArg(5, beta); setArg(6, <f64>c); setArg(7, <f64>ldc); setArg(8, <f64>rows);
    fork(rows, changetype<usize>(syrkTRowTask));
  } else {
    for (let r = 0; r < rows; r++) syrkTRow(r, n, k, alpha, a, lda, beta, c, ldc);
  }
  mirrorLower(n, c, ldc);
}

function syrkTRowTask(t: i32): void {
  const n = argI(0), k = argI(1), alpha = arg(2), a = argP(3), lda = argI(4);
  const beta = arg(5), c = argP(6), ldc = argI(7), rows = argI(8);
  syrkTRow(rows - 1 - t, n, k, alpha, a, lda, beta, c, ldc);
}

/** Lower triangle (and mirrored upper) of C (n×n) ← α·A·Aᵀ + β·C for A n×k (lda).
 *  Block rows of C are computed only up to the diagonal block, then mirrored; with several
 *  threads the block rows are tasks (the longest first), then the mirror is split by rows. */
export function syrk(n: i32, k: i32, alpha: f64, a: ptr<f64>, lda: i32, beta: f64, c: ptr<f64>, ldc: i32): void {
  const rows = (n + SYRK_BS - 1) / SYRK_BS;
  const threads = parallelism();
  if (threads > 1 && tasksFor(0.5 * <f64>n * <f64>n * <f64>k, threads, rows) > 1) {
    setArg(0, <f64>n); setArg(1, <f64>k); setArg(2, alpha); setArg(3, <f64>a); setArg(4, <f64>lda);
    setArg(5, beta); setArg(6, <f64>c); setArg(7, <f64>ldc); setArg(8, <f64>rows);
    fork(rows, changetype<usize>(syrkRowTask));
  } else {
    for (let r = 0; r < rows; r++) syrkRow(r, n, k, alpha, a, lda, beta, c, ldc, 0, false);
  }
  mirrorLower(n, c, ldc);
}

// Task of a threaded syrk: block row rows−1−t (the longest rows are claimed first).
function syrkRowTask(t: i32): void {
  const n = argI(0), k = argI(1), alpha = arg(2), a = argP(3), lda = argI(4);
  const beta = arg(5), c = argP(6), ldc = argI(7), rows = argI(8);
  syrkRow(rows - 1 - t, n, k, alpha, a, lda, beta, c, ldc, 0, false);
}

const MIRROR_T: i32 = 32;

/** C[i, j] ← C[j, i] for j > i (n×n, ldc): the lower triangle copied to the upper one, in
 *  32×32 tiles so both sides stay in cache; with several threads, by strips of 32 rows. */
export function mirrorLower(n: i32, c: usize, ldc: i32): void {
  const strips = (n + MIRROR_T - 1) / MIRROR_T;
  const threads = parallelism();
  // A copy costs about as much as a few multiply-adds: count it as 4.
  if (threads > 1 && tasksFor(2.0 * <f64>n * <f64>n, threads, strips) > 1) {
    setArg(0, <f64>n); setArg(1, <f64>c); setArg(2, <f64>ldc);
    fork(strips, changetype<usize>(mirrorTask));
    return;
  }
  for (let s = 0; s < strips; s++) mirrorStrip(s, n, c, ldc);
}

function mirrorTask(t: i32): void {
  mirrorStrip(t, argI(0), argP(1), argI(2));
}

// Rows [s·32, s·32 + 32) of the mirror, tile by tile.
function mirrorStrip(s: i32, n: i32, c: usize, ldc: i32): void {
  const i0 = s * MIRROR_T;
  const i1 = min(n, i0 + MIRROR_T);
  for (let j0 = i0; j0 < n; j0 += MIRROR_T) {
    const j1 = min(n, j0 + MIRROR_T);
    for (let i = i0; i < i1; i++) {
      const row = c + (<usize>(i * ldc) << 3);
      for (let j = max(j0, i + 1); j < j1; j++) st(row, j, ld(c, j * ldc + i));
    }
  }
}
