// Single-precision matrix products for the neural networks: C (+)= op(A)·op(B), row-major,
// op(X) = X or Xᵀ. Every linear layer's forward and both of its backward products go through
// `sgemm`, so the three share one register-blocked micro-kernel.
//
// Layout of a linear layer (the convention of GPT-2's Conv1D weights): W is [in, out]
// row-major, so
//   forward   y[N,out]  = x[N,in] · W[in,out] + b        sgemm(0, 0)
//   backward  dx[N,in] += dy[N,out] · Wᵀ                 sgemm(0, 1)
//             dW[in,out] += xᵀ · dy[N,out]               sgemm(1, 0)
// and the tied output head (W = the token embedding, [V, C]) is sgemm(0, 1) forward.
//
// Goto-style blocking as in assembly/linalg/gemm.ts: a KC×NC panel of op(B) is packed in strips
// of NR = 8 columns, an MC×KC block of op(A) in strips of MR = 4 rows with every element
// splatted to four lanes, and a 4×8 micro-kernel (f32x4: four rows × two vectors) runs over
// them. Packing absorbs the transposes.
//
// Why this shape (measured in Node 20 / V8 11.3 on the development machine: an AMD EPYC with two
// cores shared with other jobs, so only differences above ~5 % are real; figures are GFLOP/s of
// the export on operands already in Wasm memory, best of 7 CPU-time measurements):
// - V8 gives SIMD128 code 15 xmm registers and schedules the loads of a basic block before its
//   arithmetic, so a k-step may hold 8 accumulators + 6 loaded vectors: 4 rows × 2 vectors (8 f32
//   accumulators, 2 B loads + 4 A loads) is the widest tile that does not spill — the same
//   reasoning and limit as the f64 kernel of assembly/linalg/gemm.ts, whose measurements of the
//   wider tiles (30–50 % slower from spills) apply here unchanged.
// - SIMD128 has no fused multiply-add (relaxed-simd's madd is not enabled by default in the
//   runtimes we target), so each k-step is 6 loads, 8 mul and 8 add for 64 flops; the kernel runs
//   at 30–32 GFLOP/s on the benchmark transformer's shapes, ~65 % of the 4-lane mul+add peak.
// - Variants measured on the training step's mix of products (qkv, attention output, MLP in and
//   out, tied head; forward and both backward products): the block sizes MC ∈ {32, 64, 128},
//   KC ∈ {128, 256, 512}, NC ∈ {256, 512, 1024} all gave 30.3–31.3 GFLOP/s, within the noise;
//   packing A without splatting (4× less packing traffic, `v128.load32_splat` in the kernel) gave
//   29.7 against 30.8; a plain k-loop against the 4× unrolled one with an exit test per step
//   (gemm.ts's scheme, +10 % there for f64) 31.3 against 30.8. So the kernel keeps gemm.ts's
//   structure: pre-splatted A, the unrolled loop, MC = 64, KC = 256, NC = 512.
// - Products with few rows (a sampling step: 16 rows; one attention query: 1 row) pack too. A
//   direct path for m ≤ 16 — the same kernel reading A through row pointers and B in place — made
//   no measurable difference to sampling (16 sequences × 120 tokens: 188–219 ms of CPU with
//   packing, 216–225 ms without), so it was dropped.
//
//   shape (m×k · k×n)                    forward A·B   dx = dY·Wᵀ   dW = Xᵀ·dY
//   2048×128 · 128×384  (qkv)               31.9          30.5          29.3
//   2048×128 · 128×512  (MLP in)            30.7          31.2          30.1
//   2048×512 · 512×128  (MLP out)           29.8          32.0          29.8
//   2048×128 · 128×256  (tied head)         31.8          30.9          31.4
//   16×128 · 128×384    (sampling step)     30.5
// PyTorch 1.13 (Debian's build, one thread) on the same shapes: 28–32 GFLOP/s (19–23 for the
// 16-row product).
//
// Determinism: every element of C is Σ_p a_ip·b_pj accumulated in increasing p, in blocks of
// KC started from zero and added to C in block order — whatever m, the tile, or whether the
// element falls in an edge tile. So a product computed for one row (a
// KV-cache sampling step) gives bit for bit the same row as the full product it replaces.
// The same property lets several threads (assembly/core/threads.ts) compute a large product as a
// grid of blocks, one task each, bit-identical to one thread.
import { ptr, flag } from "../core/mem";
import { ThreadScratch, threadScratch, parallelism, tasksFor, fork, setArg, argI, argP, planGrid, gridRows, gridCols } from "../core/threads";

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 64;
const NC: i32 = 512;

// This thread's pack buffers (globals are per instance, so per thread): slices of its scratch.
let packA: usize = 0;
let packB: usize = 0;
let edge: usize = 0;

function ensureBuffers(): void {
  if (packA == 0) {
    const s = threadScratch();
    packA = s + <usize>ThreadScratch.SGEMM_A; // pre-splatted: 16 bytes per element, MC·KC
    packB = s + <usize>ThreadScratch.SGEMM_B; // KC·NC
    edge = s + <usize>ThreadScratch.SGEMM_EDGE; // MR·NR
  }
}

// Pack op(A)[i0..i0+mc, p0..p0+kc] into strips of MR rows, each element splatted to four lanes:
// strip s, step p, row ii at byte offset ((s·kc + p)·MR + ii)·16. Rows past mc are 0.
function packBlockA(a: usize, lda: i32, transA: i32, i0: i32, p0: i32, mc: i32, kc: i32): void {
  let dst = packA;
  const zero = f32x4.splat(0);
  for (let is = 0; is < mc; is += MR) {
    const h = min(MR, mc - is);
    if (transA == 0) {
      const r0 = a + (<usize>((i0 + is) * lda + p0) << 2);
      const rs = <usize>lda << 2;
      if (h == MR) {
        const r1 = r0 + rs, r2 = r1 + rs, r3 = r2 + rs;
        for (let p = 0; p < kc; p++) {
          const o = <usize>p << 2;
          v128.store(dst, v128.load32_splat(r0 + o));
          v128.store(dst, v128.load32_splat(r1 + o), 16);
          v128.store(dst, v128.load32_splat(r2 + o), 32);
          v128.store(dst, v128.load32_splat(r3 + o), 48);
          dst += 64;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let ii = 0; ii < MR; ii++) {
            v128.store(dst + (<usize>ii << 4), ii < h ? v128.load32_splat(r0 + <usize>ii * rs + (<usize>p << 2)) : zero);
          }
          dst += 64;
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const row = a + (<usize>((p0 + p) * lda + i0 + is) << 2);
        if (h == MR) {
          v128.store(dst, v128.load32_splat(row));
          v128.store(dst, v128.load32_splat(row, 4), 16);
          v128.store(dst, v128.load32_splat(row, 8), 32);
          v128.store(dst, v128.load32_splat(row, 12), 48);
        } else {
          for (let ii = 0; ii < MR; ii++) v128.store(dst + (<usize>ii << 4), ii < h ? v128.load32_splat(row + (<usize>ii << 2)) : zero);
        }
        dst += 64;
      }
    }
  }
}

// Pack op(B)[p0..p0+kc, j0..j0+nc] into strips of NR columns: dst[(s·kc + p)·NR + jj].
// Columns past nc are 0.
function packBlockB(b: usize, ldb: i32, transB: i32, p0: i32, j0: i32, kc: i32, nc: i32): void {
  let dst = packB;
  for (let js = 0; js < nc; js += NR) {
    const w = min(NR, nc - js);
    if (transB == 0) {
      for (let p = 0; p < kc; p++) {
        const row = b + (<usize>((p0 + p) * ldb + j0 + js) << 2);
        if (w == NR) {
          v128.store(dst, v128.load(row));
          v128.store(dst, v128.load(row, 16), 16);
        } else {
          for (let jj = 0; jj < NR; jj++) store<f32>(dst + (<usize>jj << 2), jj < w ? load<f32>(row + (<usize>jj << 2)) : <f32>0);
        }
        dst += <usize>NR << 2;
      }
    } else {
      // op(B)(p, j) = B[j, p]: eight rows of B, read along p.
      const c0 = b + (<usize>((j0 + js) * ldb + p0) << 2);
      const cs = <usize>ldb << 2;
      if (w == NR) {
        for (let p = 0; p < kc; p++) {
          const o = c0 + (<usize>p << 2);
          store<f32>(dst, load<f32>(o));
          store<f32>(dst, load<f32>(o + cs), 4);
          store<f32>(dst, load<f32>(o + 2 * cs), 8);
          store<f32>(dst, load<f32>(o + 3 * cs), 12);
          store<f32>(dst, load<f32>(o + 4 * cs), 16);
          store<f32>(dst, load<f32>(o + 5 * cs), 20);
          store<f32>(dst, load<f32>(o + 6 * cs), 24);
          store<f32>(dst, load<f32>(o + 7 * cs), 28);
          dst += 32;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let jj = 0; jj < NR; jj++) store<f32>(dst + (<usize>jj << 2), jj < w ? load<f32>(c0 + <usize>jj * cs + (<usize>p << 2)) : <f32>0);
          dst += <usize>NR << 2;
        }
      }
    }
  }
}

// MR×NR micro-kernel on packed panels (kc ≥ 1): the tile at c (row stride ldc elements)
// becomes acc (accumulate = 0) or C + acc (accumulate = 1), acc = Σ_p a_p ⊗ b_p from zero.
// C is not read when accumulate = 0, so garbage (even NaN) in an output block never leaks in.
@inline
function micro(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // bendU = end − 32·(U+1): step U of the four is the last one when bp ≥ bendU, so the
  // pointers advance once per four steps and each exit test is a single compare.
  const bend0 = bp + (<usize>kc << 5) - 32;
  const bend1 = bend0 - 32, bend2 = bend0 - 64, bend3 = bend0 - 96;
  while (true) {
    {
      const b0 = v128.load(bp, 0), b1 = v128.load(bp, 16);
      const a0 = v128.load(ap, 0), a1 = v128.load(ap, 16), a2 = v128.load(ap, 32), a3 = v128.load(ap, 48);
      c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
      c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1));
      c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1));
      c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    }
    if (bp >= bend0) break;
    {
      const b0 = v128.load(bp, 32), b1 = v128.load(bp, 48);
      const a0 = v128.load(ap, 64), a1 = v128.load(ap, 80), a2 = v128.load(ap, 96), a3 = v128.load(ap, 112);
      c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
      c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1));
      c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1));
      c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    }
    if (bp >= bend1) break;
    {
      const b0 = v128.load(bp, 64), b1 = v128.load(bp, 80);
      const a0 = v128.load(ap, 128), a1 = v128.load(ap, 144), a2 = v128.load(ap, 160), a3 = v128.load(ap, 176);
      c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
      c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1));
      c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1));
      c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    }
    if (bp >= bend2) break;
    {
      const b0 = v128.load(bp, 96), b1 = v128.load(bp, 112);
      const a0 = v128.load(ap, 192), a1 = v128.load(ap, 208), a2 = v128.load(ap, 224), a3 = v128.load(ap, 240);
      c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
      c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1));
      c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1));
      c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    }
    if (bp >= bend3) break;
    ap += 256; bp += 128;
  }
  const rs = <usize>ldc << 2;
  if (!accumulate) {
    v128.store(c, c00); v128.store(c, c01, 16); c += rs;
    v128.store(c, c10); v128.store(c, c11, 16); c += rs;
    v128.store(c, c20); v128.store(c, c21, 16); c += rs;
    v128.store(c, c30); v128.store(c, c31, 16);
  } else {
    v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16); c += rs;
    v128.store(c, f32x4.add(v128.load(c), c10)); v128.store(c, f32x4.add(v128.load(c, 16), c11), 16); c += rs;
    v128.store(c, f32x4.add(v128.load(c), c20)); v128.store(c, f32x4.add(v128.load(c, 16), c21), 16); c += rs;
    v128.store(c, f32x4.add(v128.load(c), c30)); v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
  }
}

/** C (m×n, ldc) ← op(A)·op(B), or C + op(A)·op(B) when `accumulate`; op(A) is m×k, op(B)
 *  k×n, all f32 row-major. With k = 0 the product is zero. */
export function sgemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, accumulate: bool, c: usize, ldc: i32,
): void {
  const threads = parallelism();
  if (threads > 1 && m > 0 && n > 0 && k > 0) {
    const tasks = tasksFor(<f64>m * <f64>n * <f64>k * 0.5, threads, ((m + MR - 1) / MR) * ((n + NR - 1) / NR));
    if (tasks > 1) {
      const blocks = planGrid(m, n, tasks, MR, NR);
      setArg(0, <f64>transA); setArg(1, <f64>transB); setArg(2, <f64>m); setArg(3, <f64>n); setArg(4, <f64>k);
      setArg(5, <f64>a); setArg(6, <f64>lda); setArg(7, <f64>b); setArg(8, <f64>ldb); setArg(9, accumulate ? 1.0 : 0.0);
      setArg(10, <f64>c); setArg(11, <f64>ldc); setArg(12, <f64>gridRows()); setArg(13, <f64>gridCols());
      fork(blocks, changetype<usize>(sgemmBlockTask));
      return;
    }
  }
  sgemmSerial(transA, transB, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
}

/** Address of op(X)[r0, c0] for f32 X (row-major, stride ld), op(X) = X or Xᵀ. */
@inline function opAt(x: usize, ld: i32, trans: i32, r0: i32, c0: i32): usize {
  return trans == 0 ? x + (<usize>(r0 * ld + c0) << 2) : x + (<usize>(c0 * ld + r0) << 2);
}

// Task of a threaded sgemm: block t of the grid, by the serial code.
function sgemmBlockTask(t: i32): void {
  const transA = argI(0), transB = argI(1), m = argI(2), n = argI(3), k = argI(4);
  const a = argP(5), lda = argI(6), b = argP(7), ldb = argI(8), accumulate = argI(9) != 0;
  const c = argP(10), ldc = argI(11), rows = argI(12), cols = argI(13);
  const perRow = (n + cols - 1) / cols;
  const i0 = (t / perRow) * rows, j0 = (t % perRow) * cols;
  sgemmSerial(transA, transB, min(rows, m - i0), min(cols, n - j0), k, opAt(a, lda, transA, i0, 0), lda,
    opAt(b, ldb, transB, 0, j0), ldb, accumulate, c + (<usize>(i0 * ldc + j0) << 2), ldc);
}

/** sgemm on this thread only. */
function sgemmSerial(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, accumulate: bool, c: usize, ldc: i32,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + (<usize>(i * ldc) << 2), 0, <usize>n << 2);
    return;
  }
  ensureBuffers();
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const acc = pc > 0 || accumulate;
      packBlockB(b, ldb, transB, pc, jc, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packBlockA(a, lda, transA, ic, pc, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const w = min(NR, nc - jr);
          const bp = packB + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const h = min(MR, mc - ir);
            const ap = packA + (<usize>(ir * kc) << 4);
            const ct = c + (<usize>((ic + ir) * ldc + jc + jr) << 2);
            if (h == MR && w == NR) {
              micro(kc, ap, bp, ct, ldc, acc);
            } else {
              micro(kc, ap, bp, edge, NR, false);
              for (let ii = 0; ii < h; ii++) {
                const crow = ct + (<usize>(ii * ldc) << 2);
                for (let jj = 0; jj < w; jj++) {
                  const v = load<f32>(edge + (<usize>(ii * NR + jj) << 2));
                  const o = crow + (<usize>jj << 2);
                  store<f32>(o, acc ? load<f32>(o) + v : v);
                }
              }
            }
          }
        }
      }
    }
  }
}

/** C (m×n, ldc) ← op(A)·op(B) (+ C when `accumulate`), f32 row-major; op(A) is m×k, op(B) k×n.
 *  The kernel of every linear layer of assembly/nn (exported for tests and benchmarks). */
export function nn_matmul(
  transA: flag, transB: flag, m: i32, n: i32, k: i32,
  a: ptr<f32>, lda: i32, b: ptr<f32>, ldb: i32, accumulate: flag, c: ptr<f32>, ldc: i32,
): void {
  sgemm(transA, transB, m, n, k, a, lda, b, ldb, accumulate != 0, c, ldc);
}
