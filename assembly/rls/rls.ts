// Ridge-leverage-score dictionaries: the estimator and DICT-UPDATE, written once and shared
// by SQUEAK (c = 1), DISQUEAK (c = 1 + ε) and the INK-Estimate reconstruction (normalised
// probabilities). The estimator is Calandriello, Lazaric & Valko (AISTATS 2017), Eq. 4
// (SQUEAK, A = K_DD + γ·diag(1/w)) and Eq. 5 (DISQUEAK, A = K_DD + (1+ε)γ·diag(1/w)); the
// update is their DICT-UPDATE (Alg. 1). Streaming new points against a kept factor between
// full updates, and the collapse guard, are choices of this implementation, not the paper's.
//
// A dictionary lives in SDK-owned buffers with a capacity `cap` (row stride of the m×m
// matrices):
//   pts  cap×d  f64   stored points x_j                     (row-major, stride d)
//   L    cap×cap f64  lower Cholesky factor of A = K_DD + cγ·diag(g), g_j = q̄·p̃_j/q_j
// K_DD is not cached: each full update rebuilds A from the points (m²·d work, small next to
// the m³/3 factorisation), so the dictionary holds one m×m matrix; between updates the
// factor L carries everything the streaming step needs.
//   ptil cap f64      p̃_j, the per-copy inclusion probability (non-increasing)
//   q    cap i32      copies q_j ∈ {1..q̄}
//   idx  cap f64      stream index of the point
//   tau  cap f64      last estimate τ̃_j
// Weights are w_j = 1/g_j = q_j/(q̄·p̃_j). Every export also takes one `work` block whose
// layout is private to this file; its size comes from the *_workspace_size exports.
//
// Scalars travel in one f64 block `cfg` (RlsConfig) so the exports keep short signatures;
// results come back in `info` (RlsInfo).
import { ld, st, ptr, opt_ptr } from "../core/mem";
import { Status, setStatusArg } from "../core/status";
import { dot } from "../linalg/blas1";
import { cholesky, cholesky_jitter, trsm_right_lower_t, chol_diag_inv, chol_diag_inv_workspace_size } from "../linalg/chol";
import { kernel_block, kernel_diag } from "../kernels/kernels";
import { rng_binomial } from "../core/rng";

/** Slots of the f64 `cfg` block every rls export reads. */
export const enum RlsConfig {
  /** Kernel kind (a KernelCode). */
  KIND = 0,
  /** Kernel parameters p0, p1, p2 (as kernel_block takes them). */
  P0 = 1,
  P1 = 2,
  P2 = 3,
  /** Input dimension d. */
  D = 4,
  /** q̄, copies per point (INK-Estimate: the budget of slots). */
  QBAR = 5,
  /** λ, the absolute ridge of the leverage scores (γ in Calandriello et al. 2017 and in the comments of rls.ts; the SDK's lambda). */
  LAMBDA = 6,
  /** ε ∈ (0, 1). */
  EPS = 7,
  /** c: 1 (SQUEAK) or 1 + ε (DISQUEAK); multiplies γ inside A. */
  C = 8,
  /** c_pref: 1 (printed prefactor) or c (proof-consistent). */
  CPREF = 9,
  /** s: probabilities are min(1, s·τ̃); 1 for SQUEAK. */
  SCALE = 10,
  /** Hard cap on distinct points after an update (0 = none). */
  BUDGET = 11,
  /** 1: s ← min(s, 1/d̃) with d̃ = Σ w_j τ̃_j (INK-Estimate). */
  NORMALISE = 12,
  /** Initial relative jitter of the Cholesky retry ladder. */
  JITTER = 13,
  /** rls_stream stops once this many points were appended. */
  MAX_PENDING = 14,
  /** Points appended since the last full update. */
  PENDING = 15,
  /** 1: rls_update is the state's last step (one-shot merges): skip the fresh factor. */
  FINAL = 16,
  /** Number of slots. */
  SLOTS = 17,
}

/** Slots of the f64 `info` block the rls exports write. */
export const enum RlsInfo {
  /** Live points after the call. */
  M = 0,
  /** Horvitz–Thompson estimate Σ w_j τ̃_j / (1 − ε). */
  DEFF = 1,
  /** s after the call. */
  SCALE = 2,
  /** Absolute jitter the last factorisation needed. */
  JITTER = 3,
  /** rls_stream: points consumed. */
  CONSUMED = 4,
  /** rls_stream: pending count after the call. */
  PENDING = 5,
  /** rls_update: live points before budget thinning. */
  PREBUDGET = 6,
  /** Cholesky retries of the last factorisation. */
  RETRIES = 7,
  /** Number of slots. */
  SLOTS = 8,
}

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
  const kind = cfgi(cfg, RlsConfig.KIND);
  const p0 = ld(cfg, RlsConfig.P0), p1 = ld(cfg, RlsConfig.P1), p2 = ld(cfg, RlsConfig.P2);
  const d = cfgi(cfg, RlsConfig.D);
  kernel_block(kind, p0, p1, p2, pts, m, pts, m, d, L, kwork);
  for (let i = m - 1; i > 0; i--) memory.copy(rowp(L, ldl, i), rowp(L, m, i), <usize>m << 3);
  kernel_diag(kind, p0, p1, p2, pts, m, d, kwork);
  const cg = ld(cfg, RlsConfig.C) * ld(cfg, RlsConfig.LAMBDA);
  const qbar = ld(cfg, RlsConfig.QBAR);
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
  st(info, RlsInfo.JITTER, 0);
  st(info, RlsInfo.RETRIES, 0);
  if (m == 0) return Status.OK;
  buildA(cfg, pts, L, ldl, m, ptil, q, kwork, 0.0);
  let scale = 0.0;
  for (let i = 0; i < m; i++) scale += ld(L, i * ldl + i);
  scale = scale > 0 ? scale / <f64>m : 1.0;
  let step = ld(cfg, RlsConfig.JITTER);
  for (let t = 0; t <= 12; t++) {
    let jitter = 0.0;
    if (t > 0) {
      jitter = step * scale;
      step *= 10.0;
      buildA(cfg, pts, L, ldl, m, ptil, q, kwork, jitter);
    }
    if (cholesky(L, m, ldl) == Status.OK) {
      st(info, RlsInfo.JITTER, jitter);
      st(info, RlsInfo.RETRIES, <f64>t);
      return Status.OK;
    }
    st(info, RlsInfo.JITTER, jitter);
  }
  return Status.NOT_SPD;
}

// Sub-blocks of a `work` block: each starts on a 16-byte boundary.
@inline function slots(n: f64): f64 {
  return Math.ceil(n / 2.0) * 2.0;
}
@inline function next(p: usize, n: i32): usize {
  return p + (<usize>slots(<f64>n) << 3);
}

/** f64 slots of the `work` block of rls_factor for a dictionary of m points. */
export function rls_factor_workspace_size(m: i32): f64 {
  const mm = <f64>m;
  return slots(mm * mm) + slots(2.0 * mm + 16.0);
}

/** f64 slots of the `work` block of rls_estimate for m dictionary points and blocks of up to
 *  `rows` rows. */
export function rls_estimate_workspace_size(m: i32, rows: i32): f64 {
  const mm = <f64>m, n = <f64>rows;
  return slots(n * mm) + slots(n + mm + 16.0);
}

/** f64 slots of the `work` block of rls_update and rls_stream for a dictionary state of
 *  capacity `cap` that streams blocks of up to `rows` rows. */
export function rls_workspace_size(cap: i32, rows: i32): f64 {
  const c = <f64>cap, n = <f64>rows;
  const update = slots(chol_diag_inv_workspace_size(cap)) + slots(2.0 * c + 16.0);
  const stream = 2.0 * slots(n * c) + 2.0 * slots(c) + slots(n + c + 16.0) + slots(n);
  return Math.max(update, stream);
}

/** Factor A = K_DD + cγ·diag(g) for a dictionary given by its points (m×d) and
 *  g (= 1/w). L: m×m out. work: rls_factor_workspace_size(m) f64. status_arg = jitter. */
export function rls_factor(cfg: ptr<f64>, pts: ptr<f64>, m: i32, g: ptr<f64>, L: ptr<f64>, work: ptr<f64>): Status {
  const d = cfgi(cfg, RlsConfig.D);
  if (m <= 0) return Status.OK;
  const kwork = next(work, m * m);
  kernel_block(cfgi(cfg, RlsConfig.KIND), ld(cfg, RlsConfig.P0), ld(cfg, RlsConfig.P1), ld(cfg, RlsConfig.P2), pts, m, pts, m, d, work, kwork);
  // Diagonal from kernel_diag (exact k(x, x)).
  kernel_diag(cfgi(cfg, RlsConfig.KIND), ld(cfg, RlsConfig.P0), ld(cfg, RlsConfig.P1), ld(cfg, RlsConfig.P2), pts, m, d, kwork);
  for (let i = 0; i < m; i++) st(work, i * m + i, ld(kwork, i));
  const cg = ld(cfg, RlsConfig.C) * ld(cfg, RlsConfig.LAMBDA);
  for (let i = 0; i < m; i++) {
    memory.copy(rowp(L, m, i), rowp(work, m, i), <usize>(i + 1) << 3);
    st(L, i * m + i, ld(L, i * m + i) + cg * ld(g, i));
  }
  return cholesky_jitter(L, m, m, work, ld(cfg, RlsConfig.JITTER), 12);
}

/** Out-of-dictionary estimator (Calandriello et al. 2017, Eq. 4/5 by the value of c) for n
 *  points X (n×d) given the factor L (m×m) of A = K_DD + cγ·diag(g):
 *  τ̃_i = (1−ε)/(c_pref·γ) · max(0, k_ii − ‖L⁻¹k_Di‖²), clamped to 1.
 *  work: rls_estimate_workspace_size(m, n) f64. */
export function rls_estimate(cfg: ptr<f64>, pts: ptr<f64>, m: i32, L: ptr<f64>, X: ptr<f64>, n: i32, out: ptr<f64>, work: ptr<f64>): void {
  const blk = work, kwork = next(blk, n * m);
  const d = cfgi(cfg, RlsConfig.D);
  const kind = cfgi(cfg, RlsConfig.KIND);
  const p0 = ld(cfg, RlsConfig.P0), p1 = ld(cfg, RlsConfig.P1), p2 = ld(cfg, RlsConfig.P2);
  const pref = (1.0 - ld(cfg, RlsConfig.EPS)) / (ld(cfg, RlsConfig.CPREF) * ld(cfg, RlsConfig.LAMBDA));
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

/** DICT-UPDATE (Calandriello et al. 2017, Alg. 1): estimate τ̃ for every live entry with
 *  the in-dictionary shortcut, p̃ ← min(p̃, min(1, s·τ̃)), q ← Binomial(q, p̃_new/p̃_old),
 *  collapse guard, optional budget thinning, compaction of all buffers, and a fresh factor L
 *  of the new A. info: RlsInfo.SLOTS f64. tauAll (optional, 0 = none) receives the estimates
 *  of all m entries before thinning. work: rls_workspace_size(cap, rows) f64 (any rows).
 *  Returns Status.OK, Status.NOT_SPD, or Status.NON_FINITE when an estimate is NaN (a kernel
 *  value or the factor overflowed), with status_arg() = the stream index of that point.
 *  @param cfg the RlsConfig slots (kernel, d, q̄, γ, ε, c, c_pref, s, budget, ...)
 *  @param pts the stored points, cap×d (row stride d)
 *  @param L lower Cholesky factor of A, cap×cap (row stride cap)
 *  @param cap capacity: rows of pts, row stride of L
 *  @param m live points on entry
 *  @param ptil p̃_j of each point (cap)
 *  @param q copies q_j of each point (cap)
 *  @param idx stream index of each point (cap)
 *  @param tau last estimate τ̃_j of each point (cap)
 *  @param rng the generator's 32-byte state (advances)
 *  @param info receives the RlsInfo slots (RlsInfo.SLOTS f64)
 *  @param work rls_workspace_size(cap, rows) f64
 *  @param tauAll receives the estimates τ̃ of all m entries before thinning (or 0) */
export function rls_update(cfg: ptr<f64>, pts: ptr<f64>, L: ptr<f64>, cap: i32, m: i32,
  ptil: ptr<f64>, q: ptr<i32>, idx: ptr<f64>, tau: ptr<f64>, rng: ptr<u64>, info: ptr<f64>, tauAll: opt_ptr<f64>,
  work: ptr<f64>): Status {
  const W = work, kwork = W + (<usize>slots(chol_diag_inv_workspace_size(cap)) << 3);
  const d = cfgi(cfg, RlsConfig.D);
  const qbar = ld(cfg, RlsConfig.QBAR);
  const lambda = ld(cfg, RlsConfig.LAMBDA);
  const eps = ld(cfg, RlsConfig.EPS);
  const c = ld(cfg, RlsConfig.C);
  const cg = c * lambda;
  const pref = (1.0 - eps) / (ld(cfg, RlsConfig.CPREF) * lambda);
  let scale = ld(cfg, RlsConfig.SCALE);
  const budget = cfgi(cfg, RlsConfig.BUDGET);
  st(info, RlsInfo.M, <f64>m);
  st(info, RlsInfo.DEFF, 0);
  st(info, RlsInfo.SCALE, scale);
  st(info, RlsInfo.JITTER, 0);
  st(info, RlsInfo.PREBUDGET, <f64>m);
  st(info, RlsInfo.RETRIES, 0);
  if (m == 0) return Status.OK;

  // 1–4. A = K_DD + cγ·diag(g), Cholesky (with a jitter ladder against round-off).
  let status = buildAndFactor(cfg, pts, L, cap, m, ptil, q, info, kwork);
  if (status != Status.OK) {
    setStatusArg(ld(info, RlsInfo.JITTER), 0);
    return Status.NOT_SPD;
  }
  // 5. diag(A⁻¹) into tau.
  chol_diag_inv(m, L, cap, tau, W);
  // 6. τ̃_j = (1−ε)/(c_pref γ)·(cγg_j − (cγg_j)²[A⁻¹]_jj), clamped to [0, 1];
  //    Horvitz–Thompson d_eff estimate Σ w_j τ̃_j.
  let ht = 0.0;
  let best = 0;
  let bestTau = -1.0;
  for (let j = 0; j < m; j++) {
    const g = qbar * ld(ptil, j) / <f64>ldi(q, j);
    const a = cg * g;
    let t = pref * (a - a * a * ld(tau, j));
    // A NaN estimate (the kernel or the factor overflowed) would reach the samplers below:
    // stop here and name the point (its stream index) instead.
    if (t != t) {
      setStatusArg(ld(idx, j), 0);
      return Status.NON_FINITE;
    }
    t = min(1.0, max(0.0, t));
    st(tau, j, t);
    ht += t / g;
    if (t > bestTau) {
      bestTau = t;
      best = j;
    }
  }
  st(info, RlsInfo.DEFF, ht / (1.0 - eps));
  if (tauAll != 0) memory.copy(tauAll, tau, <usize>m << 3);
  if (ld(cfg, RlsConfig.NORMALISE) != 0 && ht > 0) scale = min(scale, 1.0 / ht);

  // 7. Shrink: p̃_new = min(p̃, min(1, s·τ̃)), thin copies with the ratio.
  const rememberP = ld(ptil, best);
  let live = 0;
  for (let j = 0; j < m; j++) {
    const pOld = ld(ptil, j);
    const pNew = min(pOld, min(1.0, scale * ld(tau, j)));
    const draw = rng_binomial(rng, <f64>ldi(q, j), pOld > 0 ? pNew / pOld : 0.0);
    if (draw < 0.0) {
      setStatusArg(ld(idx, j), 0);
      return Status.NON_FINITE;
    }
    const qn = <i32>draw;
    sti(q, j, qn);
    st(ptil, j, pNew);
    if (qn > 0) live++;
  }
  // Guard against collapse (an engineering choice, not in the paper: with a tiny q̄ every copy
  // can be thinned away): never let the dictionary empty out; keep the
  // point with the largest estimate with one copy (its p̃ does not increase).
  if (live == 0) {
    sti(q, best, 1);
    if (!(ld(ptil, best) > 0)) st(ptil, best, rememberP);
    live = 1;
  }
  st(info, RlsInfo.PREBUDGET, <f64>live);
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
        const draw = rng_binomial(rng, <f64>qj, r);
        if (draw < 0.0) {
          setStatusArg(ld(idx, j), 0);
          return Status.NON_FINITE;
        }
        const qn = <i32>draw;
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
  st(info, RlsInfo.SCALE, scale);

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
  st(info, RlsInfo.M, <f64>live);

  // Fresh factor of the new A, ready for streaming the next points. A one-shot update
  // (a DISQUEAK merge) never streams into this state again, so it skips the O(m³) work;
  // L then still holds the pre-thinning factor and must not be used.
  if (cfgi(cfg, RlsConfig.FINAL) == 0) status = buildAndFactor(cfg, pts, L, cap, live, ptil, q, info, kwork);
  setStatusArg(0, 0);
  if (status != Status.OK) return Status.NOT_SPD;
  return Status.OK;
}

/** Stream new points into the dictionary between full updates (not in the paper: the
 *  batched form of SQUEAK that Rudi et al., NeurIPS 2018 (BLESS), §2.3 describe, with the
 *  factor of A kept and bordered instead of refactored): for each point t of X (n×d), the
 *  SQUEAK estimate of its own score with the current dictionary plus itself,
 *      s = k_tt − ‖L⁻¹k_Dt‖²,  τ̃_tt = (1−ε)·(c/c_pref)·s/(s + cγ),
 *  copies q_t ~ Binomial(q̄, min(1, s_cfg·τ̃_tt)); a kept point is appended to the points
 *  and (bordered Cholesky) to L. Old entries are re-estimated and thinned by the next
 *  rls_update. Stops after appending when m == cap or pending reaches cfg MAX_PENDING.
 *  info: consumed, new m, pending (RlsInfo). work: rls_workspace_size(cap, rows) f64, rows ≥ n.
 *  Returns Status.OK, or Status.NON_FINITE when the estimate of a point is not a number (a
 *  kernel value overflowed): status_arg() = its stream index; the rows before it are consumed.
 *  @param X the new points, n×d
 *  @param n rows of X
 *  @param idx0 stream index of the first row of X
 *  @param cfg the RlsConfig slots (kernel, d, q̄, γ, ε, c, c_pref, s, budget, ...)
 *  @param pts the stored points, cap×d (row stride d)
 *  @param L lower Cholesky factor of A, cap×cap (row stride cap)
 *  @param cap capacity: rows of pts, row stride of L
 *  @param m live points on entry (appended points follow them)
 *  @param ptil p̃_j of each point (cap)
 *  @param q copies q_j of each point (cap)
 *  @param idx stream index of each point (cap)
 *  @param tau last estimate τ̃_j of each point (cap)
 *  @param rng the generator's 32-byte state (advances)
 *  @param info receives the RlsInfo slots (RlsInfo.SLOTS f64)
 *  @param work rls_workspace_size(cap, rows) f64 */
export function rls_stream(cfg: ptr<f64>, X: ptr<f64>, n: i32, idx0: f64,
  pts: ptr<f64>, L: ptr<f64>, cap: i32, m: i32, ptil: ptr<f64>, q: ptr<i32>, idx: ptr<f64>, tau: ptr<f64>,
  rng: ptr<u64>, info: ptr<f64>, work: ptr<f64>): Status {
  // blkK, blkL: n×cap; vecK, vecL: cap; kwork: n + cap + 16; kdiag: n.
  const blkK = work, blkL = next(blkK, n * cap), vecK = next(blkL, n * cap), vecL = next(vecK, cap);
  const kwork = next(vecL, cap), kdiag = next(kwork, n + cap + 16);
  const d = cfgi(cfg, RlsConfig.D);
  const kind = cfgi(cfg, RlsConfig.KIND);
  const p0 = ld(cfg, RlsConfig.P0), p1 = ld(cfg, RlsConfig.P1), p2 = ld(cfg, RlsConfig.P2);
  const qbar = ld(cfg, RlsConfig.QBAR);
  const lambda = ld(cfg, RlsConfig.LAMBDA);
  const c = ld(cfg, RlsConfig.C);
  const cg = c * lambda;
  const pref = (1.0 - ld(cfg, RlsConfig.EPS)) * c / ld(cfg, RlsConfig.CPREF);
  const scale = ld(cfg, RlsConfig.SCALE);
  const maxPend = cfgi(cfg, RlsConfig.MAX_PENDING);
  let pending = cfgi(cfg, RlsConfig.PENDING);
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
    // A non-finite kernel value (an overflow) makes p NaN: report the point instead of
    // sampling (the sampler refuses NaN, and the estimate would mean nothing).
    const draw = rng_binomial(rng, qbar, p);
    if (draw < 0.0 || !isFinite(s)) {
      st(info, RlsInfo.CONSUMED, <f64>t);
      st(info, RlsInfo.M, <f64>m);
      st(info, RlsInfo.PENDING, <f64>pending);
      setStatusArg(idx0 + <f64>t, s);
      return Status.NON_FINITE;
    }
    let qt = <i32>draw;
    // Collapse guard (as in rls_update): an empty dictionary keeps the point with one copy.
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
  st(info, RlsInfo.CONSUMED, <f64>consumed);
  st(info, RlsInfo.M, <f64>m);
  st(info, RlsInfo.PENDING, <f64>pending);
  return Status.OK;
}

/** Copy the factor L into a buffer of a larger capacity (row stride changes). */
export function rls_regrow(m: i32, oldCap: i32, newCap: i32, lOld: ptr<f64>, lNew: ptr<f64>): void {
  for (let i = 0; i < m; i++) memory.copy(rowp(lNew, newCap, i), rowp(lOld, oldCap, i), <usize>(i + 1) << 3);
}
