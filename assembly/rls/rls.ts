// Ridge-leverage-score dictionaries: the estimator and DICT-UPDATE, written once and shared
// by SQUEAK (c = 1), DISQUEAK (c = 1 + ε) and the INK-Estimate reconstruction (normalised
// probabilities). Spec: kernel.md §1.4 (estimator), §2.2 (update), §2.4 (engineering).
//
// A dictionary lives in SDK-owned buffers with a capacity `cap` (row stride of the m×m
// matrices):
//   pts  cap×d  f64   stored points x_j                     (row-major, stride d)
//   L    cap×cap f64  lower Cholesky factor of A = K_DD + cγ·diag(g), g_j = q̄·p̃_j/q_j
//   W    cap×64 f64   workspace of rls_update (diag(A⁻¹) in column blocks)
// K_DD is not cached: each full update rebuilds A from the points (m²·d work, small next to
// the m³/3 factorisation), so the dictionary holds one m×m matrix; between updates the
// factor L carries everything the streaming step needs.
//   ptil cap f64      p̃_j, the per-copy inclusion probability (non-increasing)
//   q    cap i32      copies q_j ∈ {1..q̄}
//   idx  cap f64      stream index of the point
//   tau  cap f64      last estimate τ̃_j
// Weights are w_j = 1/g_j = q_j/(q̄·p̃_j).
//
// Scalars travel in one f64 block `cfg` (layout below) so the exports keep short signatures.
import { ld, st } from "../core/mem";
import { OK, NOT_SPD, setStatusArg, status_arg, status_arg2 } from "../core/status";
import { dot } from "../linalg/blas1";
import { cholesky, cholesky_jitter, trsm_lower, trsm_right_lower_t } from "../linalg/chol";
import { kernel_block, kernel_diag } from "../kernels/kernels";
import { rng_binomial } from "../core/rng";

// cfg layout
const C_KIND: i32 = 0;     // kernel kind (kernels.ts)
const C_P0: i32 = 1;       // kernel parameters
const C_P1: i32 = 2;
const C_P2: i32 = 3;
const C_D: i32 = 4;        // input dimension d
const C_QBAR: i32 = 5;     // q̄, copies per point (INK: the budget of slots)
const C_GAMMA: i32 = 6;    // γ, absolute ridge
const C_EPS: i32 = 7;      // ε ∈ (0, 1)
const C_C: i32 = 8;        // c: 1 (SQUEAK) or 1 + ε (DISQUEAK) — multiplies γ inside A
const C_CPREF: i32 = 9;    // c_pref: 1 (printed prefactor) or c (proof-consistent)
const C_SCALE: i32 = 10;   // s: probabilities are min(1, s·τ̃); 1 for SQUEAK
const C_BUDGET: i32 = 11;  // hard cap on distinct points after an update (0 = none)
const C_NORMALISE: i32 = 12; // 1: s ← min(s, 1/d̃) with d̃ = Σ w_j τ̃_j (INK-Estimate)
const C_JITTER: i32 = 13;  // initial relative jitter for the Cholesky retry ladder
const C_MAXPEND: i32 = 14; // rls_stream stops once this many points were appended
const C_PENDING: i32 = 15; // points appended since the last full update
const C_FINAL: i32 = 16;   // 1: rls_update is the state's last step (one-shot merges): skip the fresh factor

// info layout (outputs)
const I_M: i32 = 0;        // live points after the call
const I_DEFF: i32 = 1;     // Horvitz–Thompson estimate Σ w_j τ̃_j / (1 − ε)
const I_SCALE: i32 = 2;    // s after the call
const I_JITTER: i32 = 3;   // absolute jitter the last factorisation needed
const I_CONSUMED: i32 = 4; // rls_stream: points consumed
const I_PENDING: i32 = 5;  // rls_stream: pending count after the call
const I_PREBUDGET: i32 = 6; // rls_update: live points before budget thinning
const I_RETRIES: i32 = 7;  // Cholesky retries of the last factorisation

@inline function rowp(a: usize, lda: i32, i: i32): usize {
  return a + (<usize>i * <usize>lda << 3);
}
@inline function ldi(a: usize, i: i32): i32 {
  return load<i32>(a + (<usize>i << 2));
}
@inline function sti(a: usize, i: i32, v: i32): void {
  store<i32>(a + (<usize>i << 2), v);
}
@inline function cfgi(cfg: usize, k: i32): i32 {
  return <i32>ld(cfg, k);
}

/** Build A = K_DD + cγ·diag(g) + jitter·I in L (stride ldl) straight from the stored
 *  points: the kernel block is written with stride m at the start of L and its rows are then
 *  spread to stride ldl from the last one down (each row moves to a higher address, never
 *  onto a row still to be moved). g_j = q̄·p̃_j/q_j. kwork: 2m f64. */
function buildA(cfg: usize, pts: usize, L: usize, ldl: i32, m: i32, ptil: usize, q: usize, kwork: usize, jitter: f64): void {
  const kind = cfgi(cfg, C_KIND);
  const p0 = ld(cfg, C_P0), p1 = ld(cfg, C_P1), p2 = ld(cfg, C_P2);
  const d = cfgi(cfg, C_D);
  kernel_block(kind, p0, p1, p2, pts, m, pts, m, d, L, kwork);
  for (let i = m - 1; i > 0; i--) memory.copy(rowp(L, ldl, i), rowp(L, m, i), <usize>m << 3);
  kernel_diag(kind, p0, p1, p2, pts, m, d, kwork);
  const cg = ld(cfg, C_C) * ld(cfg, C_GAMMA);
  const qbar = ld(cfg, C_QBAR);
  for (let i = 0; i < m; i++) {
    const g = qbar * ld(ptil, i) / <f64>ldi(q, i);
    st(L, i * ldl + i, ld(kwork, i) + cg * g + jitter);
  }
}

/** Factor A = K_DD + cγ·diag(g) in L. A is positive definite in exact arithmetic (the
 *  diagonal shift is positive); if round-off defeats the factorisation, A is rebuilt with a
 *  jitter of cfg.jitter·mean(diag), ×10 per retry, up to 12 retries. info gets the jitter. */
function buildAndFactor(cfg: usize, pts: usize, L: usize, ldl: i32, m: i32,
  ptil: usize, q: usize, info: usize, kwork: usize): i32 {
  st(info, I_JITTER, 0);
  st(info, I_RETRIES, 0);
  if (m == 0) return OK;
  buildA(cfg, pts, L, ldl, m, ptil, q, kwork, 0.0);
  let scale = 0.0;
  for (let i = 0; i < m; i++) scale += ld(L, i * ldl + i);
  scale = scale > 0 ? scale / <f64>m : 1.0;
  let step = ld(cfg, C_JITTER);
  for (let t = 0; t <= 12; t++) {
    let jitter = 0.0;
    if (t > 0) {
      jitter = step * scale;
      step *= 10.0;
      buildA(cfg, pts, L, ldl, m, ptil, q, kwork, jitter);
    }
    if (cholesky(L, m, ldl) == OK) {
      st(info, I_JITTER, jitter);
      st(info, I_RETRIES, <f64>t);
      return OK;
    }
    st(info, I_JITTER, jitter);
  }
  return NOT_SPD;
}

const DBW: i32 = 64;

/** out[j] = (A⁻¹)_jj from the lower Cholesky factor L (n×n, stride ldl) of A, as the column
 *  sums of squares of L⁻¹, computed in column blocks of width DBW: block [j0, j1) solves
 *  L[j0:, j0:]·X = I[j0:, j0:j1] (rows above j0 of L⁻¹ are zero there), ≈ n³/3 flops in all
 *  instead of n³ for a solve against the whole identity. work: (n)·DBW f64. */
function diagInverse(n: i32, L: usize, ldl: i32, out: usize, work: usize): void {
  memory.fill(out, 0, <usize>n << 3);
  for (let j0 = 0; j0 < n; j0 += DBW) {
    const bw = min(DBW, n - j0);
    const rows = n - j0;
    memory.fill(work, 0, <usize>(rows * bw) << 3);
    for (let c = 0; c < bw; c++) st(work, c * bw + c, 1.0);
    trsm_lower(rows, bw, L + (<usize>(j0 * ldl + j0) << 3), ldl, work, bw);
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

/** Factor A = K_DD + cγ·diag(g) for a dictionary given by its points (m×d) and
 *  g (= 1/w). L: m×m out; kwork: 2m f64; work: m×m f64. status_arg = jitter. */
export function rls_factor(cfg: usize, pts: usize, m: i32, g: usize, L: usize, work: usize, kwork: usize): i32 {
  const d = cfgi(cfg, C_D);
  if (m <= 0) return OK;
  kernel_block(cfgi(cfg, C_KIND), ld(cfg, C_P0), ld(cfg, C_P1), ld(cfg, C_P2), pts, m, pts, m, d, work, kwork);
  // Diagonal from kernel_diag (exact k(x, x)).
  kernel_diag(cfgi(cfg, C_KIND), ld(cfg, C_P0), ld(cfg, C_P1), ld(cfg, C_P2), pts, m, d, kwork);
  for (let i = 0; i < m; i++) st(work, i * m + i, ld(kwork, i));
  const cg = ld(cfg, C_C) * ld(cfg, C_GAMMA);
  for (let i = 0; i < m; i++) {
    memory.copy(rowp(L, m, i), rowp(work, m, i), <usize>(i + 1) << 3);
    st(L, i * m + i, ld(L, i * m + i) + cg * ld(g, i));
  }
  return cholesky_jitter(L, m, m, work, ld(cfg, C_JITTER), 12);
}

/** Out-of-dictionary estimator for n points X (n×d) given the factor L (m×m) of
 *  A = K_DD + cγ·diag(g):  τ̃_i = (1−ε)/(c_pref·γ) · max(0, k_ii − ‖L⁻¹k_Di‖²), clamped to 1.
 *  blk: n×m f64; kwork: n + m f64. */
export function rls_estimate(cfg: usize, pts: usize, m: i32, L: usize, X: usize, n: i32, out: usize, blk: usize, kwork: usize): void {
  const d = cfgi(cfg, C_D);
  const kind = cfgi(cfg, C_KIND);
  const p0 = ld(cfg, C_P0), p1 = ld(cfg, C_P1), p2 = ld(cfg, C_P2);
  const pref = (1.0 - ld(cfg, C_EPS)) / (ld(cfg, C_CPREF) * ld(cfg, C_GAMMA));
  kernel_diag(kind, p0, p1, p2, X, n, d, out);
  if (m > 0) {
    kernel_block(kind, p0, p1, p2, X, n, pts, m, d, blk, kwork);
    trsm_right_lower_t(n, m, L, m, blk, m);
  }
  for (let i = 0; i < n; i++) {
    const r = rowp(blk, m, i);
    const s = m > 0 ? ld(out, i) - dot(r, r, m) : ld(out, i);
    st(out, i, min(1.0, pref * max(0.0, s)));
  }
}

/** DICT-UPDATE (spec §2.2): estimate τ̃ for every live entry with the in-dictionary
 *  shortcut, p̃ ← min(p̃, min(1, s·τ̃)), q ← Binomial(q, p̃_new/p̃_old), collapse guard,
 *  optional budget thinning, compaction of all buffers, and a fresh factor L of the new A.
 *  W: cap·64 f64 workspace; kwork: 2·cap f64. info: f64[8] (layout above). tauAll (optional, 0 = none)
 *  receives the estimates of all m entries before thinning. Returns OK or NOT_SPD. */
export function rls_update(cfg: usize, pts: usize, L: usize, W: usize, cap: i32, m: i32,
  ptil: usize, q: usize, idx: usize, tau: usize, rng: usize, info: usize, tauAll: usize, kwork: usize): i32 {
  const d = cfgi(cfg, C_D);
  const qbar = ld(cfg, C_QBAR);
  const gamma = ld(cfg, C_GAMMA);
  const eps = ld(cfg, C_EPS);
  const c = ld(cfg, C_C);
  const cg = c * gamma;
  const pref = (1.0 - eps) / (ld(cfg, C_CPREF) * gamma);
  let scale = ld(cfg, C_SCALE);
  const budget = cfgi(cfg, C_BUDGET);
  st(info, I_M, <f64>m);
  st(info, I_DEFF, 0);
  st(info, I_SCALE, scale);
  st(info, I_JITTER, 0);
  st(info, I_PREBUDGET, <f64>m);
  st(info, I_RETRIES, 0);
  if (m == 0) return OK;

  // 1–4. A = K_DD + cγ·diag(g), Cholesky (with a jitter ladder against round-off).
  let status = buildAndFactor(cfg, pts, L, cap, m, ptil, q, info, kwork);
  if (status != OK) {
    setStatusArg(ld(info, I_JITTER), 0);
    return NOT_SPD;
  }
  // 5. diag(A⁻¹) into tau (W: m×64 scratch).
  diagInverse(m, L, cap, tau, W);
  // 6. τ̃_j = (1−ε)/(c_pref γ)·(cγg_j − (cγg_j)²[A⁻¹]_jj), clamped to [0, 1];
  //    Horvitz–Thompson d_eff estimate Σ w_j τ̃_j.
  let ht = 0.0;
  let best = 0;
  let bestTau = -1.0;
  for (let j = 0; j < m; j++) {
    const g = qbar * ld(ptil, j) / <f64>ldi(q, j);
    const a = cg * g;
    let t = pref * (a - a * a * ld(tau, j));
    t = min(1.0, max(0.0, t));
    st(tau, j, t);
    ht += t / g;
    if (t > bestTau) {
      bestTau = t;
      best = j;
    }
  }
  st(info, I_DEFF, ht / (1.0 - eps));
  if (tauAll != 0) memory.copy(tauAll, tau, <usize>m << 3);
  if (ld(cfg, C_NORMALISE) != 0 && ht > 0) scale = min(scale, 1.0 / ht);

  // 7. Shrink: p̃_new = min(p̃, min(1, s·τ̃)), thin copies with the ratio.
  const rememberP = ld(ptil, best);
  let live = 0;
  for (let j = 0; j < m; j++) {
    const pOld = ld(ptil, j);
    const pNew = min(pOld, min(1.0, scale * ld(tau, j)));
    const qn = <i32>rng_binomial(rng, <f64>ldi(q, j), pOld > 0 ? pNew / pOld : 0.0);
    sti(q, j, qn);
    st(ptil, j, pNew);
    if (qn > 0) live++;
  }
  // Guard against collapse (spec §2.4.3): never let the dictionary empty out; keep the
  // point with the largest estimate with one copy (its p̃ does not increase).
  if (live == 0) {
    sti(q, best, 1);
    if (!(ld(ptil, best) > 0)) st(ptil, best, rememberP);
    live = 1;
  }
  st(info, I_PREBUDGET, <f64>live);
  // Budget: thin every copy with r = budget/live and scale p̃ by r (weights stay unbiased;
  // equivalent to running with q̄·r from here on) until at most `budget` points remain.
  if (budget > 0) {
    while (live > budget) {
      const r = <f64>budget / <f64>live;
      scale *= r;
      let keepJ = -1;
      let keepT = -1.0;
      let keepP = 0.0;
      let nl = 0;
      for (let j = 0; j < m; j++) {
        const qj = ldi(q, j);
        if (qj == 0) continue;
        if (ld(tau, j) > keepT) {
          keepT = ld(tau, j);
          keepJ = j;
          keepP = ld(ptil, j);
        }
        const qn = <i32>rng_binomial(rng, <f64>qj, r);
        sti(q, j, qn);
        st(ptil, j, ld(ptil, j) * r);
        if (qn > 0) nl++;
      }
      if (nl == 0 && keepJ >= 0) {
        sti(q, keepJ, 1);
        st(ptil, keepJ, keepP * r);
        nl = 1;
      }
      live = nl;
    }
  }
  st(info, I_SCALE, scale);

  // 8. Compaction of the points and the per-point arrays (stable order).
  let k = 0;
  for (let j = 0; j < m; j++) {
    if (ldi(q, j) == 0) continue;
    if (k != j) {
      memory.copy(rowp(pts, d, k), rowp(pts, d, j), <usize>d << 3);
      st(ptil, k, ld(ptil, j));
      sti(q, k, ldi(q, j));
      st(idx, k, ld(idx, j));
      st(tau, k, ld(tau, j));
    }
    k++;
  }
  st(info, I_M, <f64>live);

  // Fresh factor of the new A, ready for streaming the next points. A one-shot update
  // (a DISQUEAK merge) never streams into this state again, so it skips the O(m³) work;
  // L then still holds the pre-thinning factor and must not be used.
  if (cfgi(cfg, C_FINAL) == 0) status = buildAndFactor(cfg, pts, L, cap, live, ptil, q, info, kwork);
  setStatusArg(0, 0);
  if (status != OK) return NOT_SPD;
  return OK;
}

/** Stream new points into the dictionary (spec §2.4.1–2): for each point t of X (n×d), the
 *  SQUEAK estimate of its own score with the current dictionary plus itself,
 *      s = k_tt − ‖L⁻¹k_Dt‖²,  τ̃_tt = (1−ε)·(c/c_pref)·s/(s + cγ),
 *  copies q_t ~ Binomial(q̄, min(1, s_cfg·τ̃_tt)); a kept point is appended to the points
 *  and (bordered Cholesky) to L. Old entries are re-estimated and thinned by the next
 *  rls_update. Stops after appending when m == cap or pending reaches cfg.maxPending.
 *  Buffers: blkK, blkL n×cap f64; vecK, vecL cap f64; kwork n + cap f64; kdiag n f64.
 *  info: consumed, new m, pending. */
export function rls_stream(cfg: usize, X: usize, n: i32, idx0: f64,
  pts: usize, L: usize, cap: i32, m: i32, ptil: usize, q: usize, idx: usize, tau: usize,
  rng: usize, blkK: usize, blkL: usize, vecK: usize, vecL: usize, kwork: usize, kdiag: usize, info: usize): i32 {
  const d = cfgi(cfg, C_D);
  const kind = cfgi(cfg, C_KIND);
  const p0 = ld(cfg, C_P0), p1 = ld(cfg, C_P1), p2 = ld(cfg, C_P2);
  const qbar = ld(cfg, C_QBAR);
  const gamma = ld(cfg, C_GAMMA);
  const c = ld(cfg, C_C);
  const cg = c * gamma;
  const pref = (1.0 - ld(cfg, C_EPS)) * c / ld(cfg, C_CPREF);
  const scale = ld(cfg, C_SCALE);
  const maxPend = cfgi(cfg, C_MAXPEND);
  let pending = cfgi(cfg, C_PENDING);
  const m0 = m;
  kernel_diag(kind, p0, p1, p2, X, n, d, kdiag);
  if (m0 > 0 && n > 0) {
    // Kernel block against the dictionary as it stood at entry, and L⁻¹ applied to each row.
    kernel_block(kind, p0, p1, p2, X, n, pts, m0, d, blkK, kwork);
    memory.copy(blkL, blkK, <usize>(n * m0) << 3);
    trsm_right_lower_t(n, m0, L, cap, blkL, m0);
  }
  let consumed = 0;
  for (let t = 0; t < n; t++) {
    const xt = rowp(X, d, t);
    if (m0 > 0) {
      memory.copy(vecK, rowp(blkK, m0, t), <usize>m0 << 3);
      memory.copy(vecL, rowp(blkL, m0, t), <usize>m0 << 3);
    }
    if (m > m0) {
      // Points appended during this call: kernel values and forward substitution rows.
      kernel_block(kind, p0, p1, p2, xt, 1, rowp(pts, d, m0), m - m0, d, vecK + (<usize>m0 << 3), kwork);
      for (let j = m0; j < m; j++) {
        const lj = rowp(L, cap, j);
        st(vecL, j, (ld(vecK, j) - dot(lj, vecL, j)) / ld(lj, j));
      }
    }
    const ktt = ld(kdiag, t);
    const s = max(0.0, ktt - (m > 0 ? dot(vecL, vecL, m) : 0.0));
    const tt = min(1.0, pref * s / (s + cg));
    const p = min(1.0, scale * tt);
    let qt = <i32>rng_binomial(rng, qbar, p);
    // Collapse guard (spec §2.4.3): an empty dictionary keeps the point with one copy.
    if (qt == 0 && m == 0 && p > 0) qt = 1;
    consumed = t + 1;
    if (qt > 0) {
      // Append: point, L row (bordered Cholesky), bookkeeping.
      memory.copy(rowp(pts, d, m), xt, <usize>d << 3);
      const lm = rowp(L, cap, m);
      memory.copy(lm, vecL, <usize>m << 3);
      const g = qbar * p / <f64>qt;
      st(lm, m, Math.sqrt(s + cg * g));
      st(ptil, m, p);
      sti(q, m, qt);
      st(idx, m, idx0 + <f64>t);
      st(tau, m, tt);
      m++;
      pending++;
      if (m >= cap || pending >= maxPend) break;
    }
  }
  st(info, I_CONSUMED, <f64>consumed);
  st(info, I_M, <f64>m);
  st(info, I_PENDING, <f64>pending);
  return OK;
}

/** Copy the factor L into a buffer of a larger capacity (row stride changes). */
export function rls_regrow(m: i32, oldCap: i32, newCap: i32, lOld: usize, lNew: usize): void {
  for (let i = 0; i < m; i++) memory.copy(rowp(lNew, newCap, i), rowp(lOld, oldCap, i), <usize>(i + 1) << 3);
}
