// GEMM: C ← α·op(A)·op(B) + β·C for row-major matrices, op(X) = X or Xᵀ.
// Goto-style blocking: a KC×NC panel of op(B) and an MC×KC block of op(A) are packed into
// contiguous micro-panels, and a register-blocked MR×NR micro-kernel (f64x2, no FMA in
// SIMD128) runs over them. Packing absorbs the transposes, so all four variants share the
// kernel.
import { ld, st } from "../core/mem";

const MR: i32 = 4;
const NR: i32 = 4;
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 2048;

let packA: usize = 0;
let packB: usize = 0;
let edge: usize = 0;

function ensureBuffers(): void {
  if (packA == 0) {
    packA = heap.alloc(<usize>(MC * KC) << 3);
    packB = heap.alloc(<usize>(KC * NC) << 3);
    edge = heap.alloc(<usize>(MR * NR) << 3);
  }
}

// Pack op(A)[i0..i0+mc, p0..p0+kc] into strips of MR rows: dst[(s*kc + p)*MR + ii].
function packBlockA(a: usize, lda: i32, transA: i32, i0: i32, p0: i32, mc: i32, kc: i32): void {
  let dst = packA;
  for (let is = 0; is < mc; is += MR) {
    const h = min(MR, mc - is);
    if (transA == 0) {
      for (let p = 0; p < kc; p++) {
        for (let ii = 0; ii < MR; ii++) {
          st(dst, ii, ii < h ? ld(a, (i0 + is + ii) * lda + p0 + p) : 0.0);
        }
        dst += <usize>MR << 3;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const row = a + (<usize>((p0 + p) * lda + i0 + is) << 3);
        for (let ii = 0; ii < MR; ii++) st(dst, ii, ii < h ? ld(row, ii) : 0.0);
        dst += <usize>MR << 3;
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
      for (let p = 0; p < kc; p++) {
        for (let jj = 0; jj < NR; jj++) st(dst, jj, jj < w ? ld(b, (j0 + js + jj) * ldb + p0 + p) : 0.0);
        dst += <usize>NR << 3;
      }
    }
  }
}

// MR×NR micro-kernel on packed panels. Writes α·acc + β·C into the tile at c (ldc), reading
// C only when beta != 0 (so NaN garbage in an output buffer never leaks in when β = 0).
@inline
function micro(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, alpha: f64, beta: f64): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load64_splat(ap);
    c00 = f64x2.add(c00, f64x2.mul(a, b0));
    c01 = f64x2.add(c01, f64x2.mul(a, b1));
    a = v128.load64_splat(ap, 8);
    c10 = f64x2.add(c10, f64x2.mul(a, b0));
    c11 = f64x2.add(c11, f64x2.mul(a, b1));
    a = v128.load64_splat(ap, 16);
    c20 = f64x2.add(c20, f64x2.mul(a, b0));
    c21 = f64x2.add(c21, f64x2.mul(a, b1));
    a = v128.load64_splat(ap, 24);
    c30 = f64x2.add(c30, f64x2.mul(a, b0));
    c31 = f64x2.add(c31, f64x2.mul(a, b1));
    ap += 32;
    bp += 32;
  }
  const al = f64x2.splat(alpha);
  const rs = <usize>ldc << 3;
  if (beta == 0.0) {
    v128.store(c, f64x2.mul(al, c00)); v128.store(c, f64x2.mul(al, c01), 16); c += rs;
    v128.store(c, f64x2.mul(al, c10)); v128.store(c, f64x2.mul(al, c11), 16); c += rs;
    v128.store(c, f64x2.mul(al, c20)); v128.store(c, f64x2.mul(al, c21), 16); c += rs;
    v128.store(c, f64x2.mul(al, c30)); v128.store(c, f64x2.mul(al, c31), 16);
  } else {
    const be = f64x2.splat(beta);
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c)), f64x2.mul(al, c00)));
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c, 16)), f64x2.mul(al, c01)), 16); c += rs;
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c)), f64x2.mul(al, c10)));
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c, 16)), f64x2.mul(al, c11)), 16); c += rs;
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c)), f64x2.mul(al, c20)));
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c, 16)), f64x2.mul(al, c21)), 16); c += rs;
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c)), f64x2.mul(al, c30)));
    v128.store(c, f64x2.add(f64x2.mul(be, v128.load(c, 16)), f64x2.mul(al, c31)), 16);
  }
}

/** C (m×n, ldc) ← α·op(A)·op(B) + β·C. op(A) is m×k, op(B) is k×n. */
export function gemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f64, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f64, c: usize, ldc: i32,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0) {
    for (let i = 0; i < m; i++) {
      const row = c + (<usize>(i * ldc) << 3);
      for (let j = 0; j < n; j++) st(row, j, beta == 0.0 ? 0.0 : beta * ld(row, j));
    }
    return;
  }
  ensureBuffers();
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const bet = pc == 0 ? beta : 1.0;
      packBlockB(b, ldb, transB, pc, jc, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packBlockA(a, lda, transA, ic, pc, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const w = min(NR, nc - jr);
          const bp = packB + (<usize>(jr * kc) << 3);
          for (let ir = 0; ir < mc; ir += MR) {
            const h = min(MR, mc - ir);
            const ap = packA + (<usize>(ir * kc) << 3);
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
      }
    }
  }
}

/** Lower triangle (and mirrored upper) of C (n×n) ← α·A·Aᵀ + β·C for A n×k (lda).
 *  Block rows of C are computed only up to the diagonal block, then mirrored. */
export function syrk(n: i32, k: i32, alpha: f64, a: usize, lda: i32, beta: f64, c: usize, ldc: i32): void {
  const BS: i32 = 64;
  for (let i0 = 0; i0 < n; i0 += BS) {
    const bi = min(BS, n - i0);
    // C[i0:i0+bi, 0:i0+bi] = A[i0:i0+bi] · A[0:i0+bi]ᵀ
    gemm(0, 1, bi, i0 + bi, k, alpha, a + (<usize>(i0 * lda) << 3), lda, a, lda,
      beta, c + (<usize>(i0 * ldc) << 3), ldc);
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) st(c, i * ldc + j, ld(c, j * ldc + i));
  }
}
