// Symmetric eigensolver: A = V·diag(λ)·Vᵀ for a dense symmetric n×n matrix (row-major).
//
//   1. scale A by a power of two so that max|A_ij| ∈ [1, 2)            (exact, undone at the end)
//   2. Householder tridiagonalisation A = Q·T·Qᵀ on the upper triangle: for small n the rank-2
//      update of step k is fused with the matrix-vector product of step k+1 (one pass per
//      step); from n = BLOCKED_FROM the updates of 32 steps are delayed and applied as GEMMs
//   3. eigenpairs of T: Cuppen's divide and conquer with deflation and Gu–Eisenstat
//      eigenvectors (merges are GEMMs), implicit QL on the small leaves; or implicit QL
//      throughout (method 1, and always for eigenvalues only)
//   4. back-transformation V = Q·V_T with blocked compact-WY reflectors (two GEMMs per block,
//      applied to cache-sized row panels of the eigenvectors)
//
// Eigenvectors are kept as ROWS during steps 3–4 (every Givens rotation and every gather
// touches contiguous memory) and transposed once at the end, so column j of the output is
// the eigenvector of λ_j, like LAPACK / numpy.
import { ld, st, ldv, stv, ptr, opt_ptr, flag } from "../core/mem";
import { Status, setStatusArg } from "../core/status";
import { dot } from "./blas1";
import { gemm } from "./gemm";

const EPS: f64 = 2.220446049250313e-16; // 2^-52
const LEAF: i32 = 24; // D&C subproblems of this size or smaller are solved by QL
const NB: i32 = 32; // reflectors per compact-WY block in the back-transformation
const RMAX: i32 = 128; // most eigenvector rows per panel of the back-transformation
const NBT: i32 = 32; // delayed steps per panel in the blocked tridiagonalisation
const BLOCKED_FROM: i32 = 768; // blocked tridiagonalisation from this n (measured crossover)
const MAX_QL_SWEEPS: i32 = 60; // per eigenvalue (LAPACK uses 30·n in total)
const RELATIVE_SWEEPS: i32 = 20; // then QL's negligibility test becomes relative to ‖T‖

@inline function p64(base: usize, i: i32): usize {
  return base + (<usize>i << 3);
}
@inline function ldi(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}
@inline function sti(base: usize, i: i32, v: i32): void {
  store<i32>(base + (<usize>i << 2), v);
}

/** 2^k as an exact f64, for −1022 ≤ k ≤ 1023. */
function pow2(k: i32): f64 {
  return reinterpret<f64>(<u64>(k + 1023) << 52);
}

/** Eigensolvers of the tridiagonal matrix when eigenvectors are wanted (eigh's `method`). */
export const enum EighMethod {
  /** Cuppen's divide and conquer (QL on the small leaves). */
  DIVIDE_AND_CONQUER = 0,
  /** Implicit QL throughout. */
  QL = 1,
}

/** f64 slots of the `work` block of eigh for an n×n matrix, with or without eigenvectors. */
export function eigh_workspace_size(n: i32, vectors: flag): f64 {
  const nn = <f64>n;
  return vectors != 0 ? 2.0 * nn * nn + 32.0 * nn + <f64>(NB * NB + RMAX * NB) + 64.0 : <f64>(8 + 2 * NBT) * nn + 16.0;
}

// ---------------------------------------------------------------------------------------
// Step 2: Householder tridiagonalisation.

let houseBeta: f64 = 0;

/** Householder reflector for the contiguous x[0..m): (I − τ·v·vᵀ)·x = β·e₁, with v[0] = 1.
 *  v overwrites x; β is left in houseBeta; returns τ. */
function house(x: usize, m: i32): f64 {
  const alpha = ld(x, 0);
  const sigma = m > 1 ? dot(p64(x, 1), p64(x, 1), m - 1) : 0.0;
  if (sigma == 0.0) {
    houseBeta = alpha;
    st(x, 0, 1.0);
    return 0.0;
  }
  let beta = Math.sqrt(alpha * alpha + sigma);
  if (alpha > 0.0) beta = -beta;
  const tau = (beta - alpha) / beta;
  const scale = 1.0 / (alpha - beta);
  const sv = f64x2.splat(scale);
  let j = 1;
  for (; j + 2 <= m; j += 2) stv(x, j, f64x2.mul(sv, ldv(x, j)));
  for (; j < m; j++) st(x, j, scale * ld(x, j));
  st(x, 0, 1.0);
  houseBeta = beta;
  return tau;
}

/** Row i of the trailing block, columns i..n−1: r ← r − v_i·w − w_i·v, then (if vn != 0)
 *  accumulate the symmetric product yn += B·vn for this row of the upper triangle:
 *  yn_i += r·vn, yn_j += r_j·vn_i (j > i). All vectors are indexed by global column. */
@inline
function fusedRow(r: usize, i: i32, n: i32, v: usize, w: usize, vn: usize, yn: usize, next: bool): void {
  const vi = ld(v, i), wi = ld(w, i);
  const a0 = ld(r, i) - vi * ld(w, i) - wi * ld(v, i);
  st(r, i, a0);
  const vvi = f64x2.splat(vi), wwi = f64x2.splat(wi);
  let j = i + 1;
  if (next) {
    const nvi = ld(vn, i);
    const nnv = f64x2.splat(nvi);
    let acc = f64x2.splat(0);
    for (; j + 2 <= n; j += 2) {
      const a = f64x2.sub(f64x2.sub(ldv(r, j), f64x2.mul(vvi, ldv(w, j))), f64x2.mul(wwi, ldv(v, j)));
      stv(r, j, a);
      acc = f64x2.add(acc, f64x2.mul(a, ldv(vn, j)));
      stv(yn, j, f64x2.add(ldv(yn, j), f64x2.mul(nnv, a)));
    }
    let s = a0 * nvi + f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    for (; j < n; j++) {
      const a = ld(r, j) - vi * ld(w, j) - wi * ld(v, j);
      st(r, j, a);
      s += a * ld(vn, j);
      st(yn, j, ld(yn, j) + nvi * a);
    }
    st(yn, i, ld(yn, i) + s);
  } else {
    for (; j + 2 <= n; j += 2) {
      stv(r, j, f64x2.sub(f64x2.sub(ldv(r, j), f64x2.mul(vvi, ldv(w, j))), f64x2.mul(wwi, ldv(v, j))));
    }
    for (; j < n; j++) st(r, j, ld(r, j) - vi * ld(w, j) - wi * ld(v, j));
  }
}

/** fusedRow for the two rows i and i+1 at once: the loads and stores of v, w, vn and yn
 *  serve both rows. */
@inline
function fusedRows2(r: usize, i: i32, n: i32, v: usize, w: usize, vn: usize, yn: usize, next: bool): void {
  const q = p64(r, n); // row i+1
  const vi = ld(v, i), wi = ld(w, i), vq = ld(v, i + 1), wq = ld(w, i + 1);
  const a00 = ld(r, i) - vi * wi - wi * vi;
  const a01 = ld(r, i + 1) - vi * ld(w, i + 1) - wi * ld(v, i + 1);
  const a11 = ld(q, i + 1) - vq * wq - wq * vq;
  st(r, i, a00);
  st(r, i + 1, a01);
  st(q, i + 1, a11);
  const vvi = f64x2.splat(vi), wwi = f64x2.splat(wi), vvq = f64x2.splat(vq), wwq = f64x2.splat(wq);
  let j = i + 2;
  if (next) {
    const ni = ld(vn, i), nq = ld(vn, i + 1);
    const nni = f64x2.splat(ni), nnq = f64x2.splat(nq);
    let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
    for (; j + 2 <= n; j += 2) {
      const wj = ldv(w, j), vj = ldv(v, j), nj = ldv(vn, j);
      const a = f64x2.sub(f64x2.sub(ldv(r, j), f64x2.mul(vvi, wj)), f64x2.mul(wwi, vj));
      const b = f64x2.sub(f64x2.sub(ldv(q, j), f64x2.mul(vvq, wj)), f64x2.mul(wwq, vj));
      stv(r, j, a);
      stv(q, j, b);
      acc0 = f64x2.add(acc0, f64x2.mul(a, nj));
      acc1 = f64x2.add(acc1, f64x2.mul(b, nj));
      stv(yn, j, f64x2.add(ldv(yn, j), f64x2.add(f64x2.mul(nni, a), f64x2.mul(nnq, b))));
    }
    let s0 = a00 * ni + a01 * nq + f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1);
    let s1 = a11 * nq + f64x2.extract_lane(acc1, 0) + f64x2.extract_lane(acc1, 1);
    for (; j < n; j++) {
      const wj = ld(w, j), vj = ld(v, j), nj = ld(vn, j);
      const a = ld(r, j) - vi * wj - wi * vj;
      const b = ld(q, j) - vq * wj - wq * vj;
      st(r, j, a);
      st(q, j, b);
      s0 += a * nj;
      s1 += b * nj;
      st(yn, j, ld(yn, j) + ni * a + nq * b);
    }
    st(yn, i, ld(yn, i) + s0);
    st(yn, i + 1, ld(yn, i + 1) + s1 + ni * a01);
  } else {
    for (; j + 2 <= n; j += 2) {
      const wj = ldv(w, j), vj = ldv(v, j);
      stv(r, j, f64x2.sub(f64x2.sub(ldv(r, j), f64x2.mul(vvi, wj)), f64x2.mul(wwi, vj)));
      stv(q, j, f64x2.sub(f64x2.sub(ldv(q, j), f64x2.mul(vvq, wj)), f64x2.mul(wwq, vj)));
    }
    for (; j < n; j++) {
      st(r, j, ld(r, j) - vi * ld(w, j) - wi * ld(v, j));
      st(q, j, ld(q, j) - vq * ld(w, j) - wq * ld(v, j));
    }
  }
}

/** Symmetric product y[c0..n) = B·x for the upper-triangle block B = a[c0..n, c0..n).
 *  Four rows at a time, so that each load and store of x and y serves four rows. */
function symvUpper(a: usize, n: i32, c0: i32, x: usize, y: usize): void {
  for (let j = c0; j < n; j++) st(y, j, 0.0);
  let i = c0;
  for (; i + 4 <= n; i += 4) {
    const r0 = p64(a, i * n), r1 = p64(r0, n), r2 = p64(r1, n), r3 = p64(r2, n);
    // the 4×4 diagonal block (upper part)
    for (let r = 0; r < 4; r++) {
      const rr = p64(r0, r * n);
      const xr = ld(x, i + r);
      let s = ld(rr, i + r) * xr;
      for (let c = r + 1; c < 4; c++) {
        const av = ld(rr, i + c);
        s += av * ld(x, i + c);
        st(y, i + c, ld(y, i + c) + av * xr);
      }
      st(y, i + r, ld(y, i + r) + s);
    }
    const x0 = ld(x, i), x1 = ld(x, i + 1), x2 = ld(x, i + 2), x3 = ld(x, i + 3);
    const xv0 = f64x2.splat(x0), xv1 = f64x2.splat(x1), xv2 = f64x2.splat(x2), xv3 = f64x2.splat(x3);
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    let j = i + 4;
    for (; j + 2 <= n; j += 2) {
      const xj = ldv(x, j);
      const a0 = ldv(r0, j), a1 = ldv(r1, j), a2 = ldv(r2, j), a3 = ldv(r3, j);
      s0 = f64x2.add(s0, f64x2.mul(a0, xj));
      s1 = f64x2.add(s1, f64x2.mul(a1, xj));
      s2 = f64x2.add(s2, f64x2.mul(a2, xj));
      s3 = f64x2.add(s3, f64x2.mul(a3, xj));
      const u = f64x2.add(f64x2.add(f64x2.mul(a0, xv0), f64x2.mul(a1, xv1)), f64x2.add(f64x2.mul(a2, xv2), f64x2.mul(a3, xv3)));
      stv(y, j, f64x2.add(ldv(y, j), u));
    }
    let t0 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
    let t1 = f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    let t2 = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
    let t3 = f64x2.extract_lane(s3, 0) + f64x2.extract_lane(s3, 1);
    for (; j < n; j++) {
      const xj = ld(x, j);
      const a0 = ld(r0, j), a1 = ld(r1, j), a2 = ld(r2, j), a3 = ld(r3, j);
      t0 += a0 * xj; t1 += a1 * xj; t2 += a2 * xj; t3 += a3 * xj;
      st(y, j, ld(y, j) + a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3);
    }
    st(y, i, ld(y, i) + t0);
    st(y, i + 1, ld(y, i + 1) + t1);
    st(y, i + 2, ld(y, i + 2) + t2);
    st(y, i + 3, ld(y, i + 3) + t3);
  }
  for (; i < n; i++) {
    const r = p64(a, i * n);
    const xi = ld(x, i);
    let s = ld(r, i) * xi;
    for (let j = i + 1; j < n; j++) {
      s += ld(r, j) * ld(x, j);
      st(y, j, ld(y, j) + xi * ld(r, j));
    }
    st(y, i, ld(y, i) + s);
  }
}

/** Reduce the symmetric matrix held in the upper triangle of a (n×n, n ≥ 3) to tridiagonal
 *  form T = Qᵀ·A·Q, Q = H_0·H_1·…·H_{n−3}, H_k = I − τ_k·v_k·v_kᵀ acting on indices k+1..n−1.
 *  d (n) and e (n−1) receive T; v_k is stored in row k, columns k+1..n−1 (v_k[k+1] = 1). */
function tridiagonalise(a: usize, n: i32, d: usize, e: usize, tau: usize,
  v0: usize, w: usize, y0: usize, vn0: usize, yn0: usize): void {
  let v = v0, y = y0, vn = vn0, yn = yn0;
  st(d, 0, ld(a, 0));
  st(tau, 0, house(p64(a, 1), n - 1));
  st(e, 0, houseBeta);
  memory.copy(p64(v, 1), p64(a, 1), <usize>(n - 1) << 3);
  symvUpper(a, n, 1, v, y);
  for (let k = 0; k <= n - 3; k++) {
    const c0 = k + 1;
    const t = ld(tau, k);
    // w = p − ½τ(pᵀv)·v with p = τ·y
    let pv = 0.0;
    for (let j = c0; j < n; j++) {
      const p = t * ld(y, j);
      st(w, j, p);
      pv += p * ld(v, j);
    }
    const al = -0.5 * t * pv;
    for (let j = c0; j < n; j++) st(w, j, ld(w, j) + al * ld(v, j));
    // Row k+1: becomes final, and yields the next reflector.
    const r1 = p64(a, c0 * n);
    fusedRow(r1, c0, n, v, w, vn, yn, false);
    st(d, c0, ld(r1, c0));
    const next = k + 1 <= n - 3;
    if (next) {
      st(tau, c0, house(p64(r1, c0 + 1), n - c0 - 1));
      st(e, c0, houseBeta);
      memory.copy(p64(vn, c0 + 1), p64(r1, c0 + 1), <usize>(n - c0 - 1) << 3);
      for (let j = c0 + 1; j < n; j++) st(yn, j, 0.0);
    } else {
      st(e, c0, ld(r1, c0 + 1));
    }
    let i = c0 + 1;
    for (; i + 2 <= n; i += 2) fusedRows2(p64(a, i * n), i, n, v, w, vn, yn, next);
    if (i < n) fusedRow(p64(a, i * n), i, n, v, w, vn, yn, next);
    if (!next) st(d, n - 1, ld(a, (n - 1) * n + n - 1));
    let tmp = v; v = vn; vn = tmp;
    tmp = y; y = yn; yn = tmp;
  }
}

/** The same reduction with the updates of NBT steps delayed (LAPACK's dsytrd/dlatrd idea):
 *  within a panel each step only reads the trailing matrix (its symmetric product, corrected
 *  for the panel's pending rank-2 updates), and the panel's updates are applied at the end as
 *  two GEMMs. This halves the memory traffic per step, which is what matters once the
 *  triangle no longer fits in cache. vp, wp: NBT×n each; y: n. */
function tridiagonaliseBlocked(a: usize, n: i32, d: usize, e: usize, tau: usize, vp: usize, wp: usize, y: usize): void {
  const steps = n - 2; // reflectors k = 0..n−3
  for (let k0 = 0; k0 < steps; k0 += NBT) {
    const nb = min(NBT, steps - k0);
    for (let j = 0; j < nb; j++) {
      const k = k0 + j;
      const r = p64(a, k * n);
      // 1. bring row k up to date with the panel's earlier steps
      for (let p = 0; p < j; p++) {
        const vr = p64(vp, p * n), wr = p64(wp, p * n);
        const vk = ld(vr, k), wk = ld(wr, k);
        const vv = f64x2.splat(vk), ww = f64x2.splat(wk);
        let c = k;
        for (; c + 2 <= n; c += 2) stv(r, c, f64x2.sub(f64x2.sub(ldv(r, c), f64x2.mul(vv, ldv(wr, c))), f64x2.mul(ww, ldv(vr, c))));
        for (; c < n; c++) st(r, c, ld(r, c) - vk * ld(wr, c) - wk * ld(vr, c));
      }
      // 2. reflector from row k
      st(d, k, ld(r, k));
      const t = house(p64(r, k + 1), n - k - 1);
      st(tau, k, t);
      st(e, k, houseBeta);
      const vj = p64(vp, j * n), wj = p64(wp, j * n);
      const c0 = k + 1, len = n - c0;
      memory.copy(p64(vj, c0), p64(r, c0), <usize>len << 3);
      // 3. y = B·v on the (not yet updated) trailing block, minus the pending updates:
      //    y −= Σ_p v_p·(w_pᵀv) + w_p·(v_pᵀv)
      symvUpper(a, n, c0, vj, y);
      for (let p = 0; p < j; p++) {
        const vr = p64(vp, p * n), wr = p64(wp, p * n);
        const wv = dot(p64(wr, c0), p64(vj, c0), len);
        const vv = dot(p64(vr, c0), p64(vj, c0), len);
        const a1 = f64x2.splat(wv), a2 = f64x2.splat(vv);
        let c = c0;
        for (; c + 2 <= n; c += 2) stv(y, c, f64x2.sub(f64x2.sub(ldv(y, c), f64x2.mul(a1, ldv(vr, c))), f64x2.mul(a2, ldv(wr, c))));
        for (; c < n; c++) st(y, c, ld(y, c) - wv * ld(vr, c) - vv * ld(wr, c));
      }
      // 4. w = τ·y − ½τ(τ·yᵀv)·v
      let pv = 0.0;
      for (let c = c0; c < n; c++) {
        const q = t * ld(y, c);
        st(wj, c, q);
        pv += q * ld(vj, c);
      }
      const al = -0.5 * t * pv;
      for (let c = c0; c < n; c++) st(wj, c, ld(wj, c) + al * ld(vj, c));
    }
    // 5. trailing block (rows and columns ≥ k1) ← − V·Wᵀ − W·Vᵀ, by block rows; the parts
    //    below the diagonal inside the diagonal blocks are computed too and never read.
    const k1 = k0 + nb;
    for (let i0 = k1; i0 < n; i0 += 64) {
      const bi = min(64, n - i0);
      const c = p64(a, i0 * n + i0);
      gemm(1, 0, bi, n - i0, nb, -1.0, p64(vp, i0), n, p64(wp, i0), n, 1.0, c, n);
      gemm(1, 0, bi, n - i0, nb, -1.0, p64(wp, i0), n, p64(vp, i0), n, 1.0, c, n);
    }
  }
  st(d, n - 2, ld(a, (n - 2) * n + n - 2));
  st(e, n - 2, ld(a, (n - 2) * n + n - 1));
  st(d, n - 1, ld(a, (n - 1) * n + n - 1));
}

// ---------------------------------------------------------------------------------------
// Step 3a: implicit QL with Wilkinson-like shifts (values, optionally vectors as rows).

/** Rotate rows r0, r1 (length m): r1 ← s·r0 + c·r1, r0 ← c·r0 − s·r1. */
@inline
function rotRows(r0: usize, r1: usize, m: i32, c: f64, s: f64): void {
  const cv = f64x2.splat(c), sv = f64x2.splat(s);
  let k = 0;
  for (; k + 2 <= m; k += 2) {
    const x = ldv(r0, k), y = ldv(r1, k);
    stv(r1, k, f64x2.add(f64x2.mul(sv, x), f64x2.mul(cv, y)));
    stv(r0, k, f64x2.sub(f64x2.mul(cv, x), f64x2.mul(sv, y)));
  }
  for (; k < m; k++) {
    const x = ld(r0, k), y = ld(r1, k);
    st(r1, k, s * x + c * y);
    st(r0, k, c * x - s * y);
  }
}

/** √(f² + g²): the direct formula when f² + g² is safely inside the normal range (always,
 *  in practice, on a matrix scaled to max|A| ≈ 1), Math.hypot's scaled one otherwise. */
@inline function hypot2(f: f64, g: f64): f64 {
  const t = f * f + g * g;
  return t > 1e-290 && t < 1e290 ? Math.sqrt(t) : Math.hypot(f, g);
}

/** Eigenvalues of the tridiagonal (d[0..m), e[0..m−1)) into d (unsorted); e is destroyed.
 *  With z != 0, the rows z + i·ldz (length rowLen) are rotated along: if they start as the
 *  identity, row i ends as the eigenvector of d[i]. Returns −1, or the index that failed. */
function tql(d: usize, e: usize, m: i32, z: usize, ldz: i32, rowLen: i32): i32 {
  if (m <= 1) return -1;
  st(e, m - 1, 0.0);
  // A subdiagonal entry is negligible relative to its two diagonal neighbours; after
  // RELATIVE_SWEEPS sweeps on one eigenvalue, relative to ‖T‖ (still backward stable, and
  // it ends the slow convergence strongly graded matrices can show).
  let tnorm = 0.0;
  for (let i = 0; i < m; i++) tnorm = max(tnorm, Math.abs(ld(d, i)) + Math.abs(ld(e, i)) + (i > 0 ? Math.abs(ld(e, i - 1)) : 0.0));
  for (let l = 0; l < m; l++) {
    let iter = 0;
    while (true) {
      let mm = l;
      for (; mm < m - 1; mm++) {
        let dd = Math.abs(ld(d, mm)) + Math.abs(ld(d, mm + 1));
        if (iter >= RELATIVE_SWEEPS) dd = max(dd, tnorm);
        if (Math.abs(ld(e, mm)) <= EPS * dd) break;
      }
      if (mm == l) break;
      if (iter++ >= MAX_QL_SWEEPS) return l;
      // Shift from the leading 2×2 block (Wilkinson's choice, written as in the QL sweep).
      let g = (ld(d, l + 1) - ld(d, l)) / (2.0 * ld(e, l));
      let r = Math.hypot(g, 1.0);
      g = ld(d, mm) - ld(d, l) + ld(e, l) / (g + (g >= 0.0 ? r : -r));
      let s = 1.0, c = 1.0, p = 0.0;
      let i = mm - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * ld(e, i);
        const b = c * ld(e, i);
        r = hypot2(f, g);
        st(e, i + 1, r);
        if (r == 0.0) {
          st(d, i + 1, ld(d, i + 1) - p);
          st(e, mm, 0.0);
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = ld(d, i + 1) - p;
        r = (ld(d, i) - g) * s + 2.0 * c * b;
        p = s * r;
        st(d, i + 1, g + p);
        g = c * r - b;
        if (z != 0) rotRows(p64(z, i * ldz), p64(z, (i + 1) * ldz), rowLen, c, s);
      }
      if (underflow) continue;
      st(d, l, ld(d, l) - p);
      st(e, l, g);
      st(e, mm, 0.0);
    }
  }
  return -1;
}

/** Sort d[0..m) ascending, permuting rows of z (length rowLen) along (selection sort:
 *  at most m row swaps). */
function sortWithRows(d: usize, m: i32, z: usize, ldz: i32, rowLen: i32): void {
  for (let i = 0; i < m - 1; i++) {
    let k = i;
    let best = ld(d, i);
    for (let j = i + 1; j < m; j++) {
      if (ld(d, j) < best) { best = ld(d, j); k = j; }
    }
    if (k != i) {
      st(d, k, ld(d, i));
      st(d, i, best);
      if (z != 0) {
        const ri = p64(z, i * ldz), rk = p64(z, k * ldz);
        let t = 0;
        for (; t + 2 <= rowLen; t += 2) {
          const x = ldv(ri, t);
          stv(ri, t, ldv(rk, t));
          stv(rk, t, x);
        }
        for (; t < rowLen; t++) {
          const x = ld(ri, t);
          st(ri, t, ld(rk, t));
          st(rk, t, x);
        }
      }
    }
  }
}

/** Shell sort of d[0..m) ascending (eigenvalues only). */
function sortValues(d: usize, m: i32): void {
  let gap = 1;
  while (gap < m / 3) gap = 3 * gap + 1;
  for (; gap >= 1; gap /= 3) {
    for (let i = gap; i < m; i++) {
      const x = ld(d, i);
      let j = i;
      while (j >= gap && ld(d, j - gap) > x) {
        st(d, j, ld(d, j - gap));
        j -= gap;
      }
      st(d, j, x);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Step 3b: divide and conquer on the tridiagonal (Cuppen; Gu & Eisenstat 1995).
//
// Split T at m with coupling β: T = diag(T1', T2') + |β|·u·uᵀ, u = e_m + sign(β)·e_{m+1},
// where T1' and T2' have |β| subtracted from their touching diagonal entries. With the
// children's eigenpairs T_i' = Q_i·D_i·Q_iᵀ the merge is the rank-one problem
// D + ρ·z·zᵀ, z = (last components of Q1's vectors, sign(β)·first components of Q2's)/√2,
// ρ = 2|β| > 0.

// Workspace for the merges (set up by eigh).
let gZ: usize = 0; // n×n eigenvector rows
let gN: i32 = 0; // leading dimension of gZ
let gG: usize = 0; // n×n gathered rows
let gU: usize = 0; // n×n secular eigenvectors (first Δ = d_j − λ_i)
let gD: usize = 0; // n: merged diagonal
let gz: usize = 0; // n: merged z
let gLam: usize = 0; // n: secular roots
let gTmp: usize = 0; // n: temporary row
let gDv: usize = 0; // n: deflated values
let gZh: usize = 0; // n: Gu–Eisenstat ẑ
let gEt: usize = 0; // n: leaf copy of e
let gTyp: usize = 0; // i32 n: 1 = left rows only, 2 = right rows only, 3 = both
let gOrd: usize = 0; // i32 n: ascending order of D
let gNd: usize = 0; // i32 n: non-deflated (in ascending order)
let gDf: usize = 0; // i32 n: deflated
let gGpos: usize = 0; // i32 n: row of G holding non-deflated i

/** One root of 1/ρ + Σ z_j²/(D_j − λ) = 0, D ascending (length k, k ≥ 1), z_j ≠ 0.
 *  Root i lies in (D_i, D_{i+1}) (or (D_{k−1}, D_{k−1} + ρ‖z‖²] for the last). The root is
 *  found as λ = σ + τ with σ the nearer pole, and Δ_j = D_j − λ = (D_j − σ) − τ is written to
 *  delta[0..k) with full relative accuracy. Returns λ. */
function secularRoot(i: i32, k: i32, D: usize, z: usize, rho: f64, delta: usize): f64 {
  const rhoinv = 1.0 / rho;
  const last = i == k - 1;
  let sigma: f64, lo: f64, hi: f64;
  let pole: i32; // index of σ
  if (last) {
    let zz = 0.0;
    for (let j = 0; j < k; j++) zz += ld(z, j) * ld(z, j);
    sigma = ld(D, i);
    pole = i;
    lo = 0.0;
    hi = rho * zz;
    if (k == 1) {
      st(delta, 0, -hi);
      return sigma + hi;
    }
  } else {
    const gap = ld(D, i + 1) - ld(D, i);
    const mid = 0.5 * gap;
    // f at the midpoint, with the origin at D_i
    let f = rhoinv;
    const di = ld(D, i);
    for (let j = 0; j < k; j++) {
      const zj = ld(z, j);
      f += zj * zj / ((ld(D, j) - di) - mid);
    }
    if (f >= 0.0) {
      sigma = di; pole = i; lo = 0.0; hi = mid;
    } else {
      sigma = ld(D, i + 1); pole = i + 1; lo = -mid; hi = 0.0;
    }
  }
  // delta holds D_j − σ during the iteration.
  for (let j = 0; j < k; j++) st(delta, j, ld(D, j) - sigma);
  let tau = 0.5 * (lo + hi);
  for (let it = 0; it < 400; it++) {
    let psi = 0.0, dpsi = 0.0, phi = 0.0, dphi = 0.0;
    for (let j = 0; j <= i; j++) {
      const t = ld(z, j) / (ld(delta, j) - tau);
      psi += ld(z, j) * t;
      dpsi += t * t;
    }
    for (let j = i + 1; j < k; j++) {
      const t = ld(z, j) / (ld(delta, j) - tau);
      phi += ld(z, j) * t;
      dphi += t * t;
    }
    const f = rhoinv + psi + phi;
    const err = 8.0 * (phi - psi) + 2.0 * rhoinv + 3.0 * Math.abs(tau) * (dpsi + dphi);
    if (Math.abs(f) <= EPS * err) break;
    if (f < 0.0) lo = tau; else hi = tau;
    if (hi - lo <= 2.0 * EPS * max(Math.abs(lo), Math.abs(hi))) break;
    // Rational model: f(τ+η) ≈ c + s/(Δ_i − η) + S/(Δ_{i+1} − η), matching ψ, ψ′ at the
    // pole i and φ, φ′ at the pole i+1 (the "middle way"). For the last root only pole i.
    const di = ld(delta, i) - tau;
    let eta: f64;
    if (last) {
      const c = f - di * dpsi;
      const s = di * di * dpsi;
      eta = c > 0.0 ? di + s / c : NaN;
    } else {
      const di1 = ld(delta, i + 1) - tau;
      const c = f - di * dpsi - di1 * dphi;
      const s = di * di * dpsi;
      const S = di1 * di1 * dphi;
      const a = c * (di + di1) + s + S;
      const b = c * di * di1 + s * di1 + S * di;
      if (c == 0.0) {
        eta = b / a;
      } else {
        const disc = Math.sqrt(max(0.0, a * a - 4.0 * b * c));
        // the root of c·η² − a·η + b between the poles is the one of smaller magnitude
        eta = a >= 0.0 ? 2.0 * b / (a + disc) : 2.0 * b / (a - disc);
        if (!(eta > di && eta < di1)) eta = a >= 0.0 ? (a + disc) / (2.0 * c) : (a - disc) / (2.0 * c);
      }
    }
    let tn = tau + eta;
    if (!(tn > lo && tn < hi)) tn = 0.5 * (lo + hi);
    if (tn == tau) break;
    tau = tn;
  }
  for (let j = 0; j < k; j++) st(delta, j, ld(delta, j) - tau);
  return sigma + tau;
}

/** Solve the leaf [lo, lo+m) by QL; Z block must be zero on entry. */
function leaf(d: usize, e: usize, lo: i32, m: i32): i32 {
  const n = gN;
  const zb = p64(gZ, lo * n + lo);
  for (let i = 0; i < m; i++) st(zb, i * n + i, 1.0);
  for (let i = 0; i < m - 1; i++) st(gEt, i, ld(e, lo + i));
  const fail = tql(p64(d, lo), gEt, m, zb, n, m);
  if (fail >= 0) return lo + fail;
  sortWithRows(p64(d, lo), m, zb, n, m);
  return -1;
}

function divide(d: usize, e: usize, lo: i32, m: i32): i32 {
  if (m <= LEAF) return leaf(d, e, lo, m);
  const m1 = m >> 1;
  const beta = ld(e, lo + m1 - 1);
  const ab = Math.abs(beta);
  st(d, lo + m1 - 1, ld(d, lo + m1 - 1) - ab);
  st(d, lo + m1, ld(d, lo + m1) - ab);
  let fail = divide(d, e, lo, m1);
  if (fail >= 0) return fail;
  fail = divide(d, e, lo + m1, m - m1);
  if (fail >= 0) return fail;
  merge(d, lo, m1, m, beta);
  return -1;
}

/** Copy row segment src → dst (length m). */
@inline function copyRow(dst: usize, src: usize, m: i32): void {
  memory.copy(dst, src, <usize>m << 3);
}

function merge(d: usize, lo: i32, n1: i32, m: i32, beta: f64): void {
  const n = gN;
  const n2 = m - n1;
  const Z = p64(gZ, lo * n + lo); // block origin; row r at Z + r·n
  const D = gD, z = gz;
  const sg = beta >= 0.0 ? 1.0 : -1.0;
  const rho = 2.0 * Math.abs(beta);
  const r2 = Math.SQRT1_2;
  for (let j = 0; j < m; j++) {
    st(D, j, ld(d, lo + j));
    if (j < n1) {
      st(z, j, r2 * ld(Z, j * n + n1 - 1));
      sti(gTyp, j, 1);
    } else {
      st(z, j, sg * r2 * ld(Z, j * n + n1));
      sti(gTyp, j, 2);
    }
  }
  // Ascending order of D: merge the two sorted halves.
  {
    let a = 0, b = n1, o = 0;
    while (a < n1 && b < m) {
      if (ld(D, b) < ld(D, a)) sti(gOrd, o++, b++); else sti(gOrd, o++, a++);
    }
    while (a < n1) sti(gOrd, o++, a++);
    while (b < m) sti(gOrd, o++, b++);
  }
  let dmax = 0.0, zmax = 0.0;
  for (let j = 0; j < m; j++) {
    dmax = max(dmax, Math.abs(ld(D, j)));
    zmax = max(zmax, Math.abs(ld(z, j)));
  }
  const tol = 8.0 * EPS * max(dmax, zmax);
  // Deflation: negligible z_j, or two nearly equal D's (a rotation moves z onto one).
  let K = 0, nDf = 0;
  let prev = -1;
  for (let o = 0; o < m; o++) {
    const j = ldi(gOrd, o);
    if (rho * Math.abs(ld(z, j)) <= tol) {
      sti(gDf, nDf++, j);
      continue;
    }
    if (prev >= 0) {
      const zp = ld(z, prev), zj = ld(z, j);
      const t = Math.hypot(zp, zj);
      const c = zj / t, s = zp / t;
      if (Math.abs((ld(D, j) - ld(D, prev)) * c * s) <= tol) {
        // rows: p ← c·p − s·j, j ← s·p + c·j
        rotRows(p64(Z, prev * n), p64(Z, j * n), m, c, s);
        const dp = ld(D, prev), dj = ld(D, j);
        st(D, prev, dp * c * c + dj * s * s);
        st(D, j, dp * s * s + dj * c * c);
        st(z, prev, 0.0);
        st(z, j, t);
        const ty = ldi(gTyp, prev) | ldi(gTyp, j);
        sti(gTyp, prev, ty);
        sti(gTyp, j, ty);
        sti(gDf, nDf++, prev);
        prev = j;
        continue;
      }
      sti(gNd, K++, prev);
    }
    prev = j;
  }
  if (prev >= 0) sti(gNd, K++, prev);

  // Gather: non-deflated rows grouped by type (1, 3, 2) so that the merge GEMM skips the
  // zero blocks; deflated rows after them.
  let c1 = 0, c3 = 0;
  for (let i = 0; i < K; i++) {
    const ty = ldi(gTyp, ldi(gNd, i));
    if (ty == 1) c1++; else if (ty == 3) c3++;
  }
  {
    let g1 = 0, g3 = c1, g2 = c1 + c3;
    for (let i = 0; i < K; i++) {
      const ty = ldi(gTyp, ldi(gNd, i));
      const g = ty == 1 ? g1++ : ty == 3 ? g3++ : g2++;
      sti(gGpos, i, g);
      copyRow(p64(gG, g * m), p64(Z, ldi(gNd, i) * n), m);
    }
  }
  // Deflated values, sorted by insertion (nearly sorted already), rows after the K.
  for (let t = 0; t < nDf; t++) {
    const j = ldi(gDf, t);
    const x = ld(D, j);
    let u = t;
    while (u > 0 && ld(gDv, u - 1) > x) {
      st(gDv, u, ld(gDv, u - 1));
      sti(gDf, u, ldi(gDf, u - 1));
      u--;
    }
    st(gDv, u, x);
    sti(gDf, u, j);
  }
  for (let t = 0; t < nDf; t++) copyRow(p64(gG, (K + t) * m), p64(Z, ldi(gDf, t) * n), m);

  if (K > 0) {
    // Compact the secular problem: D_i, z_i for i < K (reuse gTmp / gZh as inputs).
    const Dk = gTmp, zk = gZh;
    for (let i = 0; i < K; i++) {
      st(Dk, i, ld(D, ldi(gNd, i)));
      st(zk, i, ld(z, ldi(gNd, i)));
    }
    // Δ[i][j] = D_j − λ_i in the rows of U.
    for (let i = 0; i < K; i++) st(gLam, i, secularRoot(i, K, Dk, zk, rho, p64(gU, i * K)));
    // Gu–Eisenstat: the ẑ for which the computed λ are exact eigenvalues.
    //   ẑ_j² = (λ_j − D_j)/ρ · Π_{i≠j} (λ_i − D_j)/(D_i − D_j)
    for (let j = 0; j < K; j++) {
      const dj = ld(Dk, j);
      let p = -ld(gU, j * K + j) / rho;
      for (let i = 0; i < K; i++) {
        if (i == j) continue;
        p *= -ld(gU, i * K + j) / (ld(Dk, i) - dj);
      }
      const zh = Math.sqrt(Math.abs(p));
      st(D, j, ld(zk, j) >= 0.0 ? zh : -zh); // D is free now: it holds ẑ
    }
    // Row i of U: (ẑ_j / Δ_ij)_j normalised, columns permuted into G's row order.
    const tmp = p64(gDv, nDf); // a free row after the deflated values (nDf + K ≤ m)
    for (let i = 0; i < K; i++) {
      const u = p64(gU, i * K);
      let ss = 0.0;
      for (let j = 0; j < K; j++) {
        const x = ld(D, j) / ld(u, j);
        st(tmp, j, x);
        ss += x * x;
      }
      const inv = 1.0 / Math.sqrt(ss);
      for (let j = 0; j < K; j++) st(u, ldi(gGpos, j), inv * ld(tmp, j));
    }
    // New rows: U·G, split into the left and right column blocks.
    const c2s = c1; // first G row with support on the right block
    gemm(0, 0, K, n1, c1 + c3, 1.0, gU, K, gG, m, 0.0, Z, n);
    gemm(0, 0, K, n2, K - c2s, 1.0, p64(gU, c2s), K, p64(gG, c2s * m + n1), m, 0.0, p64(Z, n1), n);
  }
  // Final ascending order: merge the secular roots (rows 0..K of Z) with the deflated values
  // (rows K.. of G), filling positions from the top so no row is overwritten before it moves.
  let a = K - 1, b = nDf - 1;
  for (let p = m - 1; p >= 0; p--) {
    if (b < 0 || (a >= 0 && ld(gLam, a) >= ld(gDv, b))) {
      st(d, lo + p, ld(gLam, a));
      if (p != a) copyRow(p64(Z, p * n), p64(Z, a * n), m);
      a--;
    } else {
      st(d, lo + p, ld(gDv, b));
      copyRow(p64(Z, p * n), p64(gG, (K + b) * m), m);
      b--;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Step 4: back-transformation. With Q = P_0·P_1·…·P_B and each block of NB reflectors
// P = H_k0·…·H_k1−1 = I − Y·T·Yᵀ (compact WY, T upper triangular), the rows of Z become
// z ← z·Qᵀ = z·P_Bᵀ·…·P_0ᵀ. Rows are independent, so Z is swept in panels of R rows that
// stay in cache while every block is applied to them (a block at a time over the whole of
// Z would stream n² values through memory per block, with rank-NB GEMMs that cannot hide it).


function backTransform(a: usize, n: i32, tau: usize, z: usize, yt: usize, tt: usize, w: usize): void {
  const nr = n - 2;
  if (nr <= 0) return;
  const nblk = (nr + NB - 1) / NB;
  // Yᵀ of block b (nb × len, row j = v_{kb+j} on columns kb+1.., zero before its leading 1),
  // stored one block after another from yt; T of block b at tt + b·NB².
  let off: usize = yt;
  for (let bi = 0; bi < nblk; bi++) {
    const kb = bi * NB, nb = min(NB, nr - kb), c0 = kb + 1, len = n - c0;
    for (let b = 0; b < nb; b++) {
      const row = p64(off, b * len);
      for (let c = 0; c < b; c++) st(row, c, 0.0);
      st(row, b, 1.0);
      if (len - b - 1 > 0) copyRow(p64(row, b + 1), p64(a, (kb + b) * n + c0 + b + 1), len - b - 1);
    }
    // T_jj = τ_j, T[0:j, j] = −τ_j · T[0:j, 0:j] · (Y[:, 0:j]ᵀ y_j)
    const t = p64(tt, bi * NB * NB);
    for (let j = 0; j < nb; j++) {
      const tj = ld(tau, kb + j);
      for (let i = 0; i < j; i++) st(t, i * NB + j, -tj * dot(p64(off, i * len + j), p64(off, j * len + j), len - j));
      for (let i = 0; i < j; i++) {
        let s = 0.0;
        for (let q = i; q < j; q++) s += ld(t, i * NB + q) * ld(t, q * NB + j);
        st(t, i * NB + j, s);
      }
      st(t, j * NB + j, tj);
    }
    off += <usize>(nb * len) << 3;
  }
  const R = max(16, min(RMAX, (65536 / n) & ~3));
  for (let r0 = 0; r0 < n; r0 += R) {
    const rr = min(R, n - r0);
    const zp = p64(z, r0 * n);
    for (let bi = nblk - 1; bi >= 0; bi--) {
      const kb = bi * NB, nb = min(NB, nr - kb), c0 = kb + 1, len = n - c0;
      // block bi starts after Σ_{b<bi} NB·(n − b·NB − 1) values
      const yb = p64(yt, NB * (bi * (n - 1) - NB * ((bi * (bi - 1)) >> 1)));
      const t = p64(tt, bi * NB * NB);
      // W = Z[r0.., c0:] · Y   (rr × nb)
      gemm(0, 1, rr, nb, len, 1.0, p64(zp, c0), n, yb, len, 0.0, w, nb);
      // W ← W · Tᵀ (in place: entry j uses entries q ≥ j)
      for (let r = 0; r < rr; r++) {
        const wr = p64(w, r * nb);
        for (let j = 0; j < nb; j++) {
          let s = 0.0;
          for (let q = j; q < nb; q++) s += ld(t, j * NB + q) * ld(wr, q);
          st(wr, j, s);
        }
      }
      // Z[r0.., c0:] −= W · Yᵀ
      gemm(0, 0, rr, len, nb, -1.0, w, nb, yb, len, 1.0, p64(zp, c0), n);
    }
  }
}

// ---------------------------------------------------------------------------------------

/** Eigen-decomposition of the symmetric n×n matrix a (row-major; only the lower triangle is
 *  read; a is destroyed). w (n) receives the eigenvalues in ascending order; with
 *  vectors != 0, z (n×n) receives the eigenvectors as columns (column j ↔ w[j]).
 *  method 0: divide and conquer, 1: QL for the tridiagonal eigenvectors.
 *  work: eigh_workspace_size(n, vectors) f64. Returns Status.OK, or Status.NO_CONVERGENCE (status_arg = index). */
export function eigh(a: ptr<f64>, n: i32, w: ptr<f64>, z: opt_ptr<f64>, vectors: flag, method: EighMethod, work: ptr<f64>): Status {
  setStatusArg(0);
  if (n <= 0) return Status.OK;
  // Mirror the lower triangle into the upper one and find max|A|.
  let amax = 0.0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = ld(a, i * n + j);
      st(a, j * n + i, x);
      amax = max(amax, Math.abs(x));
    }
  }
  if (amax == 0.0) {
    for (let i = 0; i < n; i++) st(w, i, 0.0);
    if (vectors != 0) {
      memory.fill(z, 0, <usize>n * <usize>n << 3);
      for (let i = 0; i < n; i++) st(z, i * n + i, 1.0);
    }
    return Status.OK;
  }
  // Exact power-of-two scaling so that 1 ≤ max|A| < 2.
  const ex = <i32>((reinterpret<u64>(amax) >> 52) & 0x7ff) - 1023;
  let s1 = 1.0, s2 = 1.0; // A·s1·s2 is scaled
  if (ex > -1022) {
    s1 = pow2(-ex);
  } else {
    // subnormal max: scale in two steps
    s1 = pow2(600);
    const ex2 = <i32>((reinterpret<u64>(amax * s1) >> 52) & 0x7ff) - 1023;
    s2 = pow2(-ex2);
  }
  if (s1 != 1.0 || s2 != 1.0) {
    for (let i = 0; i < n; i++) {
      const r = p64(a, i * n);
      for (let j = i; j < n; j++) st(r, j, ld(r, j) * s1 * s2);
    }
  }
  const d = work;
  const e = p64(work, n);
  const tau = p64(work, 2 * n);
  const vb = p64(work, 3 * n), wb = p64(work, 4 * n), yb = p64(work, 5 * n);
  const vn = p64(work, 6 * n), yn = p64(work, 7 * n);
  if (n == 1) {
    st(d, 0, ld(a, 0));
  } else if (n == 2) {
    st(d, 0, ld(a, 0));
    st(e, 0, ld(a, 1));
    st(d, 1, ld(a, 3));
  } else {
    if (n >= BLOCKED_FROM) {
      // panel buffers: G's place when vectors are wanted (free until the D&C), else after yn
      const vp = vectors != 0 ? p64(work, 24 * n) : p64(work, 8 * n);
      tridiagonaliseBlocked(a, n, d, e, tau, vp, p64(vp, NBT * n), yb);
    } else {
      tridiagonalise(a, n, d, e, tau, vb, wb, yb, vn, yn);
    }
  }
  let fail = -1;
  if (vectors == 0) {
    fail = tql(d, e, n, 0, 0, 0);
    if (fail < 0) sortValues(d, n);
  } else {
    memory.fill(z, 0, <usize>n * <usize>n << 3);
    gZ = z;
    gN = n;
    const base = p64(work, 8 * n);
    gD = base;
    gz = p64(base, n);
    gLam = p64(base, 2 * n);
    gTmp = p64(base, 3 * n);
    gDv = p64(base, 4 * n); // 2n: deflated values, then a temporary row
    gZh = p64(base, 6 * n);
    gEt = p64(base, 7 * n);
    const ib = p64(base, 8 * n); // i32 arrays, n each (n/2 f64 slots each; 8n reserved)
    gTyp = ib;
    gOrd = ib + (<usize>n << 2);
    gNd = ib + (<usize>(2 * n) << 2);
    gDf = ib + (<usize>(3 * n) << 2);
    gGpos = ib + (<usize>(4 * n) << 2);
    gG = p64(base, 16 * n);
    gU = p64(gG, n * n);
    if (method == EighMethod.QL) {
      for (let i = 0; i < n; i++) st(z, i * n + i, 1.0);
      fail = tql(d, e, n, z, n, n);
      if (fail < 0) sortWithRows(d, n, z, n, n);
    } else {
      fail = divide(d, e, 0, n);
    }
    if (fail < 0) {
      // G: the Yᵀ blocks (≤ n² values); U and the NB² after it: the T blocks; then W.
      backTransform(a, n, tau, z, gG, gU, p64(gU, n * n + NB * NB));
      // rows → columns
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const x = ld(z, i * n + j);
          st(z, i * n + j, ld(z, j * n + i));
          st(z, j * n + i, x);
        }
      }
    }
  }
  if (fail >= 0) {
    setStatusArg(<f64>fail);
    return Status.NO_CONVERGENCE;
  }
  const inv = 1.0 / s1 / s2;
  for (let i = 0; i < n; i++) st(w, i, ld(d, i) * inv);
  return Status.OK;
}
