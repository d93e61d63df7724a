// Preference operators and log-space vector helpers for the tabular games.
//
// A game is an operator x ↦ P·x over n actions, in one of two storage forms:
//   DENSE    a = P, n×n row-major, with P + Pᵀ = 11ᵀ (validated by the SDK). Only the strict
//            upper triangle is read: P = ½·11ᵀ + A with A skew, so
//            (P·x)_i = ½·Σx + Σ_{j>i} A_ij·x_j − Σ_{j<i} A_ji·x_j,
//            one pass over half the matrix (the update is memory-bound for large n).
//   LOWRANK  a = W, n×2r row-major, row i = [u_i | v_i], for P = ½·11ᵀ + U·Vᵀ − V·Uᵀ:
//            (P·x)_i = ½·Σx + u_i·(Vᵀx) − v_i·(Uᵀx), two passes over W, O(n·r).
import { ld, st, ldv, stv } from "../core/mem";
import { expv } from "../core/vmath";

export const DENSE: i32 = 0;
export const LOWRANK: i32 = 1;

@inline function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Σ x_i */
export function vsum(x: usize, n: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 = f64x2.add(a0, ldv(x, i));
    a1 = f64x2.add(a1, ldv(x, i + 2));
  }
  let r = hsum(f64x2.add(a0, a1));
  for (; i < n; i++) r += ld(x, i);
  return r;
}

/** Σ x_i·y_i */
export function vdot(x: usize, y: usize, n: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 = f64x2.add(a0, f64x2.mul(ldv(x, i), ldv(y, i)));
    a1 = f64x2.add(a1, f64x2.mul(ldv(x, i + 2), ldv(y, i + 2)));
  }
  let r = hsum(f64x2.add(a0, a1));
  for (; i < n; i++) r += ld(x, i) * ld(y, i);
  return r;
}

/** max_i x_i */
export function vmax(x: usize, n: i32): f64 {
  let m = -Infinity;
  let i = 0;
  if (n >= 2) {
    let mv = ldv(x, 0);
    for (i = 2; i + 2 <= n; i += 2) mv = f64x2.max(mv, ldv(x, i));
    m = Math.max(f64x2.extract_lane(mv, 0), f64x2.extract_lane(mv, 1));
  }
  for (; i < n; i++) m = Math.max(m, ld(x, i));
  return m;
}

/** min_i x_i */
export function vmin(x: usize, n: i32): f64 {
  let m = Infinity;
  for (let i = 0; i < n; i++) m = Math.min(m, ld(x, i));
  return m;
}

/** out ← exp(x − shift); returns Σ out. out may alias x. */
export function expShift(x: usize, shift: f64, out: usize, n: i32): f64 {
  const s = f64x2.splat(shift);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const e = expv(f64x2.sub(ldv(x, i), s));
    stv(out, i, e);
    acc = f64x2.add(acc, e);
  }
  let r = hsum(acc);
  if (i < n) {
    const e = f64x2.extract_lane(expv(f64x2.splat(ld(x, i) - shift)), 0);
    st(out, i, e);
    r += e;
  }
  return r;
}

/** log Σ exp(x_i), stably; `tmp` receives exp(x − max). */
export function logSumExp(x: usize, tmp: usize, n: i32): f64 {
  const m = vmax(x, n);
  if (m == -Infinity || !isFinite(m)) return m;
  return m + Math.log(expShift(x, m, tmp, n));
}

/** Normalise log-weights in place: l ← l − logΣexp(l), and p ← exp(l). */
export function normalize(l: usize, p: usize, n: i32): void {
  const m = vmax(l, n);
  const z = expShift(l, m, p, n);
  const lz = f64x2.splat(m + Math.log(z));
  const inv = f64x2.splat(1.0 / z);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    stv(l, i, f64x2.sub(ldv(l, i), lz));
    stv(p, i, f64x2.mul(ldv(p, i), inv));
  }
  if (i < n) {
    st(l, i, ld(l, i) - f64x2.extract_lane(lz, 0));
    st(p, i, ld(p, i) * f64x2.extract_lane(inv, 0));
  }
}

/** out ← a·x + b·y (elementwise; out may alias x or y). */
export function lin2(a: f64, x: usize, b: f64, y: usize, out: usize, n: i32): void {
  const av = f64x2.splat(a), bv = f64x2.splat(b);
  let i = 0;
  for (; i + 2 <= n; i += 2) stv(out, i, f64x2.add(f64x2.mul(av, ldv(x, i)), f64x2.mul(bv, ldv(y, i))));
  for (; i < n; i++) st(out, i, a * ld(x, i) + b * ld(y, i));
}

// ---- P·x ---------------------------------------------------------------------------------

function applyDense(P: usize, n: i32, x: usize, out: usize): void {
  const s = vsum(x, n);
  for (let i = 0; i < n; i++) st(out, i, 0.0);
  const half = f64x2.splat(0.5);
  for (let i = 0; i < n; i++) {
    const row = P + ((<usize>i * <usize>n) << 3);
    const xi = ld(x, i);
    const xv = f64x2.splat(xi);
    let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
    let accs = 0.0;
    let j = i + 1;
    if ((j & 1) != 0 && j < n) {
      // one scalar step so that x[j] and out[j] are 16-byte aligned below
      const a = ld(row, j) - 0.5;
      accs += a * ld(x, j);
      st(out, j, ld(out, j) - a * xi);
      j++;
    }
    for (; j + 4 <= n; j += 4) {
      const a0 = f64x2.sub(ldv(row, j), half);
      const a1 = f64x2.sub(ldv(row, j + 2), half);
      acc0 = f64x2.add(acc0, f64x2.mul(a0, ldv(x, j)));
      acc1 = f64x2.add(acc1, f64x2.mul(a1, ldv(x, j + 2)));
      stv(out, j, f64x2.sub(ldv(out, j), f64x2.mul(a0, xv)));
      stv(out, j + 2, f64x2.sub(ldv(out, j + 2), f64x2.mul(a1, xv)));
    }
    for (; j < n; j++) {
      const a = ld(row, j) - 0.5;
      accs += a * ld(x, j);
      st(out, j, ld(out, j) - a * xi);
    }
    st(out, i, ld(out, i) + hsum(f64x2.add(acc0, acc1)) + accs + 0.5 * s);
  }
}

/** acc[0..2r) ← Wᵀx (acc[0..r) = Uᵀx, acc[r..2r) = Vᵀx). */
function lowRankT(W: usize, r: i32, n: i32, x: usize, acc: usize): void {
  const r2 = 2 * r;
  for (let k = 0; k < r2; k++) st(acc, k, 0.0);
  if ((r2 & 3) == 0 && r2 <= 16) {
    // r2 ∈ {4, 8, 12, 16}: accumulators in registers
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
    for (let i = 0; i < n; i++) {
      const row = W + ((<usize>i * <usize>r2) << 3);
      const xv = f64x2.splat(ld(x, i));
      a0 = f64x2.add(a0, f64x2.mul(xv, ldv(row, 0)));
      a1 = f64x2.add(a1, f64x2.mul(xv, ldv(row, 2)));
      if (r2 > 4) {
        a2 = f64x2.add(a2, f64x2.mul(xv, ldv(row, 4)));
        a3 = f64x2.add(a3, f64x2.mul(xv, ldv(row, 6)));
      }
      if (r2 > 8) {
        a4 = f64x2.add(a4, f64x2.mul(xv, ldv(row, 8)));
        a5 = f64x2.add(a5, f64x2.mul(xv, ldv(row, 10)));
      }
      if (r2 > 12) {
        a6 = f64x2.add(a6, f64x2.mul(xv, ldv(row, 12)));
        a7 = f64x2.add(a7, f64x2.mul(xv, ldv(row, 14)));
      }
    }
    stv(acc, 0, a0); stv(acc, 2, a1);
    if (r2 > 4) { stv(acc, 4, a2); stv(acc, 6, a3); }
    if (r2 > 8) { stv(acc, 8, a4); stv(acc, 10, a5); }
    if (r2 > 12) { stv(acc, 12, a6); stv(acc, 14, a7); }
    return;
  }
  for (let i = 0; i < n; i++) {
    const row = W + ((<usize>i * <usize>r2) << 3);
    const xi = ld(x, i);
    for (let k = 0; k < r2; k++) st(acc, k, ld(acc, k) + xi * ld(row, k));
  }
}

/** out_i ← c0 + W_i·coef (coef has 2r entries). */
function lowRankN(W: usize, r: i32, n: i32, coef: usize, c0: f64, out: usize): void {
  const r2 = 2 * r;
  if ((r2 & 3) == 0 && r2 <= 16) {
    const c0v = ldv(coef, 0), c1v = ldv(coef, 2);
    const c2v = r2 > 4 ? ldv(coef, 4) : f64x2.splat(0), c3v = r2 > 4 ? ldv(coef, 6) : f64x2.splat(0);
    const c4v = r2 > 8 ? ldv(coef, 8) : f64x2.splat(0), c5v = r2 > 8 ? ldv(coef, 10) : f64x2.splat(0);
    const c6v = r2 > 12 ? ldv(coef, 12) : f64x2.splat(0), c7v = r2 > 12 ? ldv(coef, 14) : f64x2.splat(0);
    for (let i = 0; i < n; i++) {
      const row = W + ((<usize>i * <usize>r2) << 3);
      let s = f64x2.add(f64x2.mul(ldv(row, 0), c0v), f64x2.mul(ldv(row, 2), c1v));
      if (r2 > 4) s = f64x2.add(s, f64x2.add(f64x2.mul(ldv(row, 4), c2v), f64x2.mul(ldv(row, 6), c3v)));
      if (r2 > 8) s = f64x2.add(s, f64x2.add(f64x2.mul(ldv(row, 8), c4v), f64x2.mul(ldv(row, 10), c5v)));
      if (r2 > 12) s = f64x2.add(s, f64x2.add(f64x2.mul(ldv(row, 12), c6v), f64x2.mul(ldv(row, 14), c7v)));
      st(out, i, c0 + hsum(s));
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const row = W + ((<usize>i * <usize>r2) << 3);
    let s = 0.0;
    for (let k = 0; k < r2; k++) s += ld(row, k) * ld(coef, k);
    st(out, i, c0 + s);
  }
}

/** out ← P·x. `acc` is scratch of 4r entries (low-rank only). */
export function prefApply(kind: i32, a: usize, r: i32, n: i32, x: usize, out: usize, acc: usize): void {
  if (kind == DENSE) {
    applyDense(a, n, x, out);
    return;
  }
  const s = vsum(x, n);
  lowRankT(a, r, n, x, acc);
  // coef = [Vᵀx | −Uᵀx] so that W_i·coef = u_i·(Vᵀx) − v_i·(Uᵀx)
  const coef = acc + ((<usize>(2 * r)) << 3);
  for (let k = 0; k < r; k++) {
    st(coef, k, ld(acc, r + k));
    st(coef, r + k, -ld(acc, k));
  }
  lowRankN(a, r, n, coef, 0.5 * s, out);
}

/** P(i ≻ j) for one pair. */
export function prefEntry(kind: i32, a: usize, r: i32, n: i32, i: i32, j: i32): f64 {
  if (kind == DENSE) return ld(a, <isize>i * <isize>n + <isize>j);
  const r2 = 2 * r;
  const wi = a + ((<usize>i * <usize>r2) << 3), wj = a + ((<usize>j * <usize>r2) << 3);
  let s = 0.5;
  for (let k = 0; k < r; k++) s += ld(wi, k) * ld(wj, r + k) - ld(wi, r + k) * ld(wj, k);
  return s;
}
