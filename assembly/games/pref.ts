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
import { sum } from "../linalg/blas1";

/** Storage form of a preference operator (the `kind` argument of the games and mtpo exports). */
export const enum PreferenceKind {
  /** P itself, n×n. */
  DENSE = 0,
  /** W = [U | V], n×2r. */
  LOWRANK = 1,
}

@inline function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
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

/** out ← exp(x − shift); returns Σ out. out may alias x. */
export function expShift(x: usize, shift: f64, out: usize, n: i32): f64 {
  const s = f64x2.splat(shift);
  let acc = f64x2.splat(0), acc2 = f64x2.splat(0);
  let i = 0;
  // two independent exp evaluations per step: each is a long dependency chain (polynomial in
  // Horner form), so interleaving two lets the CPU overlap them
  for (; i + 4 <= n; i += 4) {
    const e = expv(f64x2.sub(ldv(x, i), s));
    const e2 = expv(f64x2.sub(ldv(x, i + 2), s));
    stv(out, i, e);
    stv(out, i + 2, e2);
    acc = f64x2.add(acc, e);
    acc2 = f64x2.add(acc2, e2);
  }
  acc = f64x2.add(acc, acc2);
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

// ---- P·x ---------------------------------------------------------------------------------

// (P·x)_i = Σ_{j>i} P_ij·x_j − Σ_{j<i} P_ji·x_j + Σ_{j<i} x_j + ½·x_i, using P_ji = 1 − P_ij.
// Rows are taken four at a time so each load of x[j] and out[j] serves four matrix rows.
function applyDense(P: usize, n: i32, x: usize, out: usize): void {
  for (let i = 0; i < n; i++) st(out, i, 0.0);
  const n4 = n & ~3;
  for (let i0 = 0; i0 < n4; i0 += 4) {
    const r0 = P + ((<usize>i0 * <usize>n) << 3);
    const r1 = r0 + (<usize>n << 3), r2 = r1 + (<usize>n << 3), r3 = r2 + (<usize>n << 3);
    const x0 = ld(x, i0), x1 = ld(x, i0 + 1), x2 = ld(x, i0 + 2), x3 = ld(x, i0 + 3);
    // the triangle inside the block
    let s0 = ld(r0, i0 + 1) * x1 + ld(r0, i0 + 2) * x2 + ld(r0, i0 + 3) * x3;
    let s1 = ld(r1, i0 + 2) * x2 + ld(r1, i0 + 3) * x3;
    let s2 = ld(r2, i0 + 3) * x3;
    let s3 = 0.0;
    s1 -= ld(r0, i0 + 1) * x0;
    s2 -= ld(r0, i0 + 2) * x0 + ld(r1, i0 + 2) * x1;
    s3 -= ld(r0, i0 + 3) * x0 + ld(r1, i0 + 3) * x1 + ld(r2, i0 + 3) * x2;
    const x0v = f64x2.splat(x0), x1v = f64x2.splat(x1), x2v = f64x2.splat(x2), x3v = f64x2.splat(x3);
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let j = i0 + 4;
    // Pointer-increment addressing (one add per stream per step, offsets folded into the
    // loads): index arithmetic per load cost more than the floating-point work here.
    const jn = j + ((n - j) & ~1);
    let px = x + (<usize>j << 3), po = out + (<usize>j << 3);
    let q0 = r0 + (<usize>j << 3), q1 = r1 + (<usize>j << 3), q2 = r2 + (<usize>j << 3), q3 = r3 + (<usize>j << 3);
    const pend = x + (<usize>jn << 3);
    const pend2 = pend - 16;
    while (px < pend2) {
      // two column pairs per step
      const xv = v128.load(px), xw = v128.load(px, 16);
      const p0 = v128.load(q0), p1 = v128.load(q1), p2 = v128.load(q2), p3 = v128.load(q3);
      a0 = f64x2.add(a0, f64x2.mul(p0, xv));
      a1 = f64x2.add(a1, f64x2.mul(p1, xv));
      a2 = f64x2.add(a2, f64x2.mul(p2, xv));
      a3 = f64x2.add(a3, f64x2.mul(p3, xv));
      const d = f64x2.add(f64x2.add(f64x2.mul(p0, x0v), f64x2.mul(p1, x1v)), f64x2.add(f64x2.mul(p2, x2v), f64x2.mul(p3, x3v)));
      v128.store(po, f64x2.sub(v128.load(po), d));
      const s0 = v128.load(q0, 16), s1 = v128.load(q1, 16), s2 = v128.load(q2, 16), s3 = v128.load(q3, 16);
      a0 = f64x2.add(a0, f64x2.mul(s0, xw));
      a1 = f64x2.add(a1, f64x2.mul(s1, xw));
      a2 = f64x2.add(a2, f64x2.mul(s2, xw));
      a3 = f64x2.add(a3, f64x2.mul(s3, xw));
      const e = f64x2.add(f64x2.add(f64x2.mul(s0, x0v), f64x2.mul(s1, x1v)), f64x2.add(f64x2.mul(s2, x2v), f64x2.mul(s3, x3v)));
      v128.store(po, f64x2.sub(v128.load(po, 16), e), 16);
      px += 32; po += 32; q0 += 32; q1 += 32; q2 += 32; q3 += 32;
    }
    while (px < pend) {
      const xv = v128.load(px);
      const p0 = v128.load(q0), p1 = v128.load(q1), p2 = v128.load(q2), p3 = v128.load(q3);
      a0 = f64x2.add(a0, f64x2.mul(p0, xv));
      a1 = f64x2.add(a1, f64x2.mul(p1, xv));
      a2 = f64x2.add(a2, f64x2.mul(p2, xv));
      a3 = f64x2.add(a3, f64x2.mul(p3, xv));
      const d = f64x2.add(f64x2.add(f64x2.mul(p0, x0v), f64x2.mul(p1, x1v)), f64x2.add(f64x2.mul(p2, x2v), f64x2.mul(p3, x3v)));
      v128.store(po, f64x2.sub(v128.load(po), d));
      px += 16; po += 16; q0 += 16; q1 += 16; q2 += 16; q3 += 16;
    }
    j = jn;
    for (; j < n; j++) {
      const xj = ld(x, j);
      const p0 = ld(r0, j), p1 = ld(r1, j), p2 = ld(r2, j), p3 = ld(r3, j);
      s0 += p0 * xj;
      s1 += p1 * xj;
      s2 += p2 * xj;
      s3 += p3 * xj;
      st(out, j, ld(out, j) - (p0 * x0 + p1 * x1 + p2 * x2 + p3 * x3));
    }
    st(out, i0, ld(out, i0) + hsum(a0) + s0);
    st(out, i0 + 1, ld(out, i0 + 1) + hsum(a1) + s1);
    st(out, i0 + 2, ld(out, i0 + 2) + hsum(a2) + s2);
    st(out, i0 + 3, ld(out, i0 + 3) + hsum(a3) + s3);
  }
  for (let i = n4; i < n; i++) {
    const row = P + ((<usize>i * <usize>n) << 3);
    const xi = ld(x, i);
    let acc = 0.0;
    for (let j = i + 1; j < n; j++) {
      const p = ld(row, j);
      acc += p * ld(x, j);
      st(out, j, ld(out, j) - p * xi);
    }
    st(out, i, ld(out, i) + acc);
  }
  // + Σ_{j<i} x_j + ½·x_i
  let prefix = 0.0;
  for (let i = 0; i < n; i++) {
    const xi = ld(x, i);
    st(out, i, ld(out, i) + prefix + 0.5 * xi);
    prefix += xi;
  }
}

/** acc[0..2r) ← Wᵀx (acc[0..r) = Uᵀx, acc[r..2r) = Vᵀx). */
export function lowRankT(W: usize, r: i32, n: i32, x: usize, acc: usize): void {
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
export function lowRankN(W: usize, r: i32, n: i32, coef: usize, c0: f64, out: usize): void {
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
  if (kind == PreferenceKind.DENSE) {
    applyDense(a, n, x, out);
    return;
  }
  const s = sum(x, n);
  lowRankT(a, r, n, x, acc);
  // coef = [Vᵀx | −Uᵀx] so that W_i·coef = u_i·(Vᵀx) − v_i·(Uᵀx)
  const coef = acc + ((<usize>(2 * r)) << 3);
  for (let k = 0; k < r; k++) {
    st(coef, k, ld(acc, r + k));
    st(coef, r + k, -ld(acc, k));
  }
  lowRankN(a, r, n, coef, 0.5 * s, out);
}


/** coef ← [Vᵀx | −Uᵀx] from acc = [Uᵀx | Vᵀx], scaled by `scale`. */
export function lowRankCoef(acc: usize, r: i32, scale: f64, coef: usize): void {
  for (let k = 0; k < r; k++) {
    const u = ld(acc, k), v = ld(acc, r + k);
    st(coef, k, scale * v);
    st(coef, r + k, -scale * u);
  }
}

/** Rows i0..i0+cnt of the fused half-step: g_i = ½ + W_i·coef, l_i = base_i + s·g_i. */
function halfStepDots(W: usize, r2: i32, i0: i32, cnt: i32, coef: usize, base: usize, s: f64, l: usize, g: usize): void {
  if (r2 == 16) {
    const c0 = ldv(coef, 0), c1 = ldv(coef, 2), c2 = ldv(coef, 4), c3 = ldv(coef, 6);
    const c4 = ldv(coef, 8), c5 = ldv(coef, 10), c6 = ldv(coef, 12), c7 = ldv(coef, 14);
    // pointer increments with immediate load offsets (see applyDense)
    let w = W + ((<usize>i0 << 4) << 3);
    let pb = base + (<usize>i0 << 3), pl = l + (<usize>i0 << 3), pg = g + (<usize>i0 << 3);
    const end = pb + (<usize>cnt << 3);
    while (pb < end) {
      const d = f64x2.add(
        f64x2.add(f64x2.add(f64x2.mul(v128.load(w), c0), f64x2.mul(v128.load(w, 16), c1)),
          f64x2.add(f64x2.mul(v128.load(w, 32), c2), f64x2.mul(v128.load(w, 48), c3))),
        f64x2.add(f64x2.add(f64x2.mul(v128.load(w, 64), c4), f64x2.mul(v128.load(w, 80), c5)),
          f64x2.add(f64x2.mul(v128.load(w, 96), c6), f64x2.mul(v128.load(w, 112), c7))));
      const gi = 0.5 + hsum(d);
      store<f64>(pl, load<f64>(pb) + s * gi);
      if (g != 0) store<f64>(pg, gi);
      w += 128;
      pb += 8;
      pl += 8;
      pg += 8;
    }
    return;
  }
  for (let i = i0; i < i0 + cnt; i++) {
    const w = W + ((<usize>i * <usize>r2) << 3);
    let d = f64x2.splat(0);
    for (let k = 0; k < r2; k += 2) d = f64x2.add(d, f64x2.mul(ldv(w, k), ldv(coef, k)));
    const gi = 0.5 + hsum(d);
    st(l, i, ld(base, i) + s * gi);
    if (g != 0) st(g, i, gi);
  }
}

/** acc += Σ_{i in block} e_{i−i0}·W_i (the rows are in cache from halfStepDots). */
function halfStepAcc(W: usize, r2: i32, i0: i32, cnt: i32, e: usize, acc: usize): void {
  if (r2 == 16) {
    let a0 = ldv(acc, 0), a1 = ldv(acc, 2), a2 = ldv(acc, 4), a3 = ldv(acc, 6);
    let a4 = ldv(acc, 8), a5 = ldv(acc, 10), a6 = ldv(acc, 12), a7 = ldv(acc, 14);
    let w = W + ((<usize>i0 << 4) << 3);
    let pe = e;
    const end = e + (<usize>cnt << 3);
    while (pe < end) {
      const ev = v128.load64_splat(pe);
      a0 = f64x2.add(a0, f64x2.mul(ev, v128.load(w)));
      a1 = f64x2.add(a1, f64x2.mul(ev, v128.load(w, 16)));
      a2 = f64x2.add(a2, f64x2.mul(ev, v128.load(w, 32)));
      a3 = f64x2.add(a3, f64x2.mul(ev, v128.load(w, 48)));
      a4 = f64x2.add(a4, f64x2.mul(ev, v128.load(w, 64)));
      a5 = f64x2.add(a5, f64x2.mul(ev, v128.load(w, 80)));
      a6 = f64x2.add(a6, f64x2.mul(ev, v128.load(w, 96)));
      a7 = f64x2.add(a7, f64x2.mul(ev, v128.load(w, 112)));
      w += 128;
      pe += 8;
    }
    stv(acc, 0, a0); stv(acc, 2, a1); stv(acc, 4, a2); stv(acc, 6, a3);
    stv(acc, 8, a4); stv(acc, 10, a5); stv(acc, 12, a6); stv(acc, 14, a7);
    return;
  }
  for (let t = 0; t < cnt; t++) {
    const w = W + ((<usize>(i0 + t) * <usize>r2) << 3);
    const ev = f64x2.splat(ld(e, t));
    for (let k = 0; k < r2; k += 2) stv(acc, k, f64x2.add(ldv(acc, k), f64x2.mul(ev, ldv(w, k))));
  }
}

const HALF_STEP_BLOCK: i32 = 128;

/** The r = 8 half-step over rows [0, rows) (rows even), two rows per step. Returns Σ e_i and
 *  adds Σ e_i·W_i into acc (16 entries). */
function halfStepPairs16(W: usize, rows: i32, coef: usize, base: usize, s: f64, shift: f64, l: usize, g: usize, acc: usize): f64 {
  const c0 = ldv(coef, 0), c1 = ldv(coef, 2), c2 = ldv(coef, 4), c3 = ldv(coef, 6);
  const c4 = ldv(coef, 8), c5 = ldv(coef, 10), c6 = ldv(coef, 12), c7 = ldv(coef, 14);
  let a0 = ldv(acc, 0), a1 = ldv(acc, 2), a2 = ldv(acc, 4), a3 = ldv(acc, 6);
  let a4 = ldv(acc, 8), a5 = ldv(acc, 10), a6 = ldv(acc, 12), a7 = ldv(acc, 14);
  const half = f64x2.splat(0.5), sv = f64x2.splat(s), sh = f64x2.splat(shift);
  let zv = f64x2.splat(0);
  let w = W, pb = base, pl = l, pg = g;
  const end = base + (<usize>rows << 3);
  while (pb < end) {
    const d0 = f64x2.add(
      f64x2.add(f64x2.add(f64x2.mul(v128.load(w), c0), f64x2.mul(v128.load(w, 16), c1)),
        f64x2.add(f64x2.mul(v128.load(w, 32), c2), f64x2.mul(v128.load(w, 48), c3))),
      f64x2.add(f64x2.add(f64x2.mul(v128.load(w, 64), c4), f64x2.mul(v128.load(w, 80), c5)),
        f64x2.add(f64x2.mul(v128.load(w, 96), c6), f64x2.mul(v128.load(w, 112), c7))));
    const d1 = f64x2.add(
      f64x2.add(f64x2.add(f64x2.mul(v128.load(w, 128), c0), f64x2.mul(v128.load(w, 144), c1)),
        f64x2.add(f64x2.mul(v128.load(w, 160), c2), f64x2.mul(v128.load(w, 176), c3))),
      f64x2.add(f64x2.add(f64x2.mul(v128.load(w, 192), c4), f64x2.mul(v128.load(w, 208), c5)),
        f64x2.add(f64x2.mul(v128.load(w, 224), c6), f64x2.mul(v128.load(w, 240), c7))));
    // [g_i, g_i+1] = ½ + horizontal sums of d0, d1
    const gv = f64x2.add(half, f64x2.add(v128.shuffle<f64>(d0, d1, 0, 2), v128.shuffle<f64>(d0, d1, 1, 3)));
    const lv = f64x2.add(v128.load(pb), f64x2.mul(sv, gv));
    v128.store(pl, lv);
    if (g != 0) v128.store(pg, gv);
    const ev = expv(f64x2.sub(lv, sh));
    zv = f64x2.add(zv, ev);
    const e0 = v128.shuffle<f64>(ev, ev, 0, 0), e1 = v128.shuffle<f64>(ev, ev, 1, 1);
    a0 = f64x2.add(a0, f64x2.add(f64x2.mul(e0, v128.load(w)), f64x2.mul(e1, v128.load(w, 128))));
    a1 = f64x2.add(a1, f64x2.add(f64x2.mul(e0, v128.load(w, 16)), f64x2.mul(e1, v128.load(w, 144))));
    a2 = f64x2.add(a2, f64x2.add(f64x2.mul(e0, v128.load(w, 32)), f64x2.mul(e1, v128.load(w, 160))));
    a3 = f64x2.add(a3, f64x2.add(f64x2.mul(e0, v128.load(w, 48)), f64x2.mul(e1, v128.load(w, 176))));
    a4 = f64x2.add(a4, f64x2.add(f64x2.mul(e0, v128.load(w, 64)), f64x2.mul(e1, v128.load(w, 192))));
    a5 = f64x2.add(a5, f64x2.add(f64x2.mul(e0, v128.load(w, 80)), f64x2.mul(e1, v128.load(w, 208))));
    a6 = f64x2.add(a6, f64x2.add(f64x2.mul(e0, v128.load(w, 96)), f64x2.mul(e1, v128.load(w, 224))));
    a7 = f64x2.add(a7, f64x2.add(f64x2.mul(e0, v128.load(w, 112)), f64x2.mul(e1, v128.load(w, 240))));
    w += 256;
    pb += 16;
    pl += 16;
    pg += 16;
  }
  stv(acc, 0, a0); stv(acc, 2, a1); stv(acc, 4, a2); stv(acc, 6, a3);
  stv(acc, 8, a4); stv(acc, 10, a5); stv(acc, 12, a6); stv(acc, 14, a7);
  return hsum(zv);
}

/**
 * One fused mirror half-step on the low-rank operator, a single pass over W from memory:
 *   g_i = ½ + W_i·coefIn            (= (P·π)_i for the π that coefIn was built from)
 *   l_i = base_i + s·g_i, normalised in place afterwards (returns log Z)
 *   coefOut ← the coefficients of the new policy exp(l), for the next product.
 * For r = 8 rows go two at a time through one fused loop (halfStepPairs16); otherwise in
 * blocks of HALF_STEP_BLOCK: dot products, a vectorised exp over the block, then the
 * accumulation Σ e_i·W_i while the block is still in cache.
 * `shift` must bound max_i l_i from above by a small margin (base_max + s, since g ≤ 1), so
 * exp(l − shift) never overflows and its largest term is ≥ e^{−s}. g receives g_i when ≠ 0.
 * acc: 2r + HALF_STEP_BLOCK scratch.
 */
export function lowRankHalfStep(W: usize, r: i32, n: i32, coefIn: usize, base: usize, s: f64, shift: f64,
  l: usize, g: usize, acc: usize, coefOut: usize): f64 {
  const r2 = 2 * r;
  for (let k = 0; k < r2; k++) st(acc, k, 0.0);
  const e = acc + (<usize>r2 << 3);
  let z = 0.0;
  let first = 0;
  if (r2 == 16) {
    // r = 8: rows two at a time, fully fused (dots → [g_i, g_i+1] → log-policy → exp → Σ e·W)
    first = n & ~1;
    z = halfStepPairs16(W, first, coefIn, base, s, shift, l, g, acc);
  }
  for (let i0 = first; i0 < n; i0 += HALF_STEP_BLOCK) {
    const cnt = min(HALF_STEP_BLOCK, n - i0);
    halfStepDots(W, r2, i0, cnt, coefIn, base, s, l, g);
    z += expShift(l + (<usize>i0 << 3), shift, e, cnt);
    halfStepAcc(W, r2, i0, cnt, e, acc);
  }
  const logZ = shift + Math.log(z);
  lowRankCoef(acc, r, 1.0 / z, coefOut);
  const lz = f64x2.splat(logZ);
  let j = 0;
  for (; j + 2 <= n; j += 2) stv(l, j, f64x2.sub(ldv(l, j), lz));
  for (; j < n; j++) st(l, j, ld(l, j) - logZ);
  return logZ;
}
