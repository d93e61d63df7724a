// Losses of alignment training, each written once: the per-token work (log-softmax and gather,
// masked sequence sums, scattering a sequence gradient back onto its tokens, the log-softmax
// backward, token-level distillation divergences) and the scalar pair / point losses that turn
// sequence scores into a loss and its gradient. The log-softmax here is the only one in
// assembly/nn: the models' per-token log-probabilities (nn_logprobs), their backward (ops.ts
// logitsGradient) and the sampler's Nash-MD mixture (mixtureRow) call these functions. Trainers chain them the same way for every
// loss (the sequence-score chain of Rafailov et al. 2023, DPO, §4):
//
//   logits ─logSoftmaxGather→ ℓ, lse ─maskedRowSum→ S, N ─loss_pair / loss_point→ g
//          ←gatherSoftmaxBackward─ dℓ ←scatterSeqGrad─ g
//
// Storage. What grows with the vocabulary (logits [R,V], their gradient dz [R,V]) is the
// model's f32; every export that reads or writes such a block also has an `_f64` twin (same
// code, instantiated for f64) that serves as the float64 reference path of the tests. What
// grows with the tokens only (ℓ, lse, dℓ [R], S, N, per-item losses and gradients [B]) is f64:
// it is small, and sums of 10³–10⁴ log-probabilities lose three digits in f32. R = B·T rows.
//
// Numerics. Every row sum is accumulated in f64 in one fixed order (two SIMD lanes, then the
// lanes added, then the tail), so a result is bit-identical in every runtime. log-softmax
// subtracts the row maximum; lse is kept so the backward computes p = exp(z − lse) without a
// second reduction. softplus, log σ and σ branch on the sign (no overflow for |z| up to ~700).
// Divergences take 0·log 0 = 0, and clamp log T (the target) at log(FLT_MIN) where it
// multiplies a positive student probability; the student's own log is never clamped. Loops run
// over counts only, never over a value that could be NaN.
//
// The scalar losses are here, not in TypeScript, because JavaScript's Math.exp / Math.log1p
// are "implementation-approximated" (two engines may differ in the last bit) while the engine's
// libm is the same code everywhere, and because trainers can keep S, N and g in engine memory
// between the per-token kernels. The price is one call per batch: sdk/align/losses.ts pairLoss
// on 64 pairs, validation and metrics included, takes 12 µs (Node 20, one shared core of the
// development machine), nothing next to a model's forward and backward.
//
// Speed (same machine, 2048 rows × V = 256, f32 logits): log-softmax + gather 2.6 ms and its
// backward 2.7 ms (~200 M logits/s: the exps go two at a time through core/vmath.ts's vector
// exp); forward KL 11 ms, reverse KL 10 ms, generalised JSD 15 ms (two log-sum-exps, two exp
// rows and one or two passes over the row per position).
import { ptr, opt_ptr, flag } from "../core/mem";
import { Status, setStatusArg } from "../core/status";
import { expNonPos } from "../core/vmath";

// ---- stable scalars ----------------------------------------------------------------------

/** softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}). */
@inline export function softplus(z: f64): f64 {
  return max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z)));
}
/** log σ(z) = min(z, 0) − log1p(e^{−|z|}) (never log of a rounded σ). */
@inline export function logSigmoid(z: f64): f64 {
  return min(z, 0.0) - Math.log1p(Math.exp(-Math.abs(z)));
}
/** σ(z) by the sign branch: 1/(1 + e^{−z}) for z ≥ 0, e^z/(1 + e^z) below. */
@inline export function sigmoid(z: f64): f64 {
  if (z >= 0) return 1.0 / (1.0 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1.0 + e);
}
/** log(e^a + e^b) for a, b ≤ +∞ (−∞ allowed). */
@inline function logAddExp(a: f64, b: f64): f64 {
  const m = max(a, b);
  if (m == -Infinity) return -Infinity;
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** log of the smallest normal f32: where the target's log-probability is clamped. */
const LOG_TINY: f64 = -87.33654475055310898657;

// ---- element access for both storage types -----------------------------------------------

@inline function ldT<T>(base: usize, i: isize): f64 {
  return <f64>load<T>(base + (<usize>i << alignof<T>()));
}
@inline function stT<T>(base: usize, i: isize, v: f64): void {
  store<T>(base + (<usize>i << alignof<T>()), <T>v);
}
@inline function ld(base: usize, i: isize): f64 {
  return load<f64>(base + (<usize>i << 3));
}
@inline function st(base: usize, i: isize, v: f64): void {
  store<f64>(base + (<usize>i << 3), v);
}

// ---- per-row reductions (fixed order) ----------------------------------------------------

/** Elements i, i+1 of a block as two f64 lanes (f32 promoted: the same values as ldT). */
@inline function ld2<T>(base: usize, i: isize): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(v128.load64_zero(base + (<usize>i << 2)));
  return v128.load(base + (<usize>i << 3));
}
/** Store two f64 lanes at elements i, i+1 (f32: rounded as stT rounds). */
@inline function st2<T>(base: usize, i: isize, x: v128): void {
  if (sizeof<T>() == 4) v128.store64_lane(base + (<usize>i << 2), f32x4.demote_f64x2_zero(x), 0);
  else v128.store(base + (<usize>i << 3), x);
}

/** max_v z_v of one row (NaN entries are skipped; the caller checks the sum afterwards). Two
 *  lanes (pmax keeps the accumulator when the entry is NaN or not larger), then the lanes and
 *  the odd element: a maximum is exact, so the value does not depend on the order. */
function rowMax<T>(row: usize, V: i32): f64 {
  let acc = f64x2.splat(-Infinity);
  let v = 0;
  for (; v + 2 <= V; v += 2) acc = f64x2.pmax(acc, ld2<T>(row, v));
  let m = f64x2.extract_lane(acc, 0);
  const m1 = f64x2.extract_lane(acc, 1);
  if (m1 > m) m = m1;
  if (v < V) {
    const z = ldT<T>(row, v);
    if (z > m) m = z;
  }
  return m;
}

/** Σ_v exp((z_v − m)·s) for s > 0: two f64 lanes, lanes added, then the odd element. */
function rowSumExp<T>(row: usize, V: i32, m: f64, s: f64): f64 {
  let acc = f64x2.splat(0);
  const mm = f64x2.splat(m), ss = f64x2.splat(s);
  let v = 0;
  for (; v + 2 <= V; v += 2) acc = f64x2.add(acc, expNonPos(f64x2.mul(f64x2.sub(ld2<T>(row, v), mm), ss)));
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (v < V) sum += f64x2.extract_lane(expNonPos(f64x2.splat((ldT<T>(row, v) - m) * s)), 0);
  return sum;
}

/** lse = log Σ_v exp(z_v·s) of one row, through the row maximum; NaN for a row whose maximum
 *  is not finite (NaN, +∞, or every entry −∞). The one log-sum-exp of assembly/nn: the model's
 *  log-probabilities and their backward, the losses, and the sampler's mixture all call it. */
@inline export function rowLse<T>(row: usize, V: i32, s: f64): f64 {
  const m = rowMax<T>(row, V);
  if (!(m > -Infinity && m < Infinity)) return NaN;
  return m * s + Math.log(rowSumExp<T>(row, V, m, s));
}

/** exp(x) for x ≤ 0, one lane of the vector routine (so the backward uses the forward's exp). */
@inline function expNP(x: f64): f64 {
  return f64x2.extract_lane(expNonPos(f64x2.splat(x)), 0);
}

// ---- logSoftmaxGather ---------------------------------------------------------------------

// logits [R,V], targets [R] → ℓ[r] = z[r,y_r]/t − lse[r], lse[r] = log Σ_v exp(z[r,v]/t).
// A negative target, or mask[r] = 0 (mask u8 [R], or 0 for every row), means "no target"
// (ℓ = 0, lse not computed; its row gets no gradient). `lse` may be 0 (not stored). Exported
// (not in the ABI) so that model code in assembly/nn calls it on its own logits: one
// log-softmax for the losses and the models.
export function logSoftmaxGather<T>(logits: usize, targets: usize, mask: usize, R: i32, V: i32, invTemp: f64, logp: usize, lse: usize): i32 {
  for (let r = 0; r < R; r++) {
    const y = load<i32>(targets + (<usize>r << 2));
    if (y >= V) {
      setStatusArg(<f64>r, <f64>y);
      return Status.BAD_ARG;
    }
  }
  for (let r = 0; r < R; r++) {
    const y = load<i32>(targets + (<usize>r << 2));
    if (mask != 0 && load<u8>(mask + <usize>r) == 0) {
      st(logp, r, 0.0);
      if (lse != 0) st(lse, r, 0.0);
      continue;
    }
    const row = logits + (<usize>r * <usize>V << alignof<T>());
    const l = rowLse<T>(row, V, invTemp);
    if (!(l > -Infinity && l < Infinity)) {
      setStatusArg(<f64>r, 0);
      return Status.NON_FINITE;
    }
    if (lse != 0) st(lse, r, l);
    st(logp, r, y >= 0 ? ldT<T>(row, y) * invTemp - l : 0.0);
  }
  return Status.OK;
}

/** Per-token log-probabilities of the targets, f32 logits (the model's): for each of the R
 *  rows, lse[r] = log Σ_v exp(logits[r,v]/t) and logp[r] = logits[r,y_r]/t − lse[r], with
 *  the row maximum subtracted and the sum in f64. targets[r] < 0 means no target (logp 0).
 *  Returns BAD_ARG (status_arg = row, target) for a target ≥ V, NON_FINITE (status_arg = row)
 *  for a row with a NaN or ±∞ maximum or sum.
 *  @param logits R×V f32, row-major
 *  @param targets R token ids
 *  @param rows R (= batch × positions)
 *  @param vocab V
 *  @param invTemp 1/temperature (> 0; 1 for plain log-probabilities)
 *  @param logp out: R log-probabilities
 *  @param lse out: R log-sum-exps, kept for loss_logits_backward */
export function loss_token_logprobs(logits: ptr<f32>, targets: ptr<i32>, rows: i32, vocab: i32, invTemp: f64, logp: ptr<f64>, lse: ptr<f64>): i32 {
  return logSoftmaxGather<f32>(logits, targets, 0, rows, vocab, invTemp, logp, lse);
}

/** loss_token_logprobs with f64 logits (the float64 reference path). */
export function loss_token_logprobs_f64(logits: ptr<f64>, targets: ptr<i32>, rows: i32, vocab: i32, invTemp: f64, logp: ptr<f64>, lse: ptr<f64>): i32 {
  return logSoftmaxGather<f64>(logits, targets, 0, rows, vocab, invTemp, logp, lse);
}

// ---- gatherSoftmaxBackward ----------------------------------------------------------------

/** dz[r,v] (+)= g·(1[v = y] − p) for one element (g already carries 1/t). */
@inline function softmaxGrad<T>(dz: usize, off: isize, v: i32, y: i32, g: f64, p: f64, accumulate: i32): void {
  let d = -g * p;
  if (v == y) d += g;
  if (accumulate) d += ldT<T>(dz, off + v);
  stT<T>(dz, off + v, d);
}

// dℓ [R], logits [R,V], lse [R] → dz[r,v] (+)= dℓ[r]·(1[v = y_r] − p[r,v])/t, p = exp(z/t − lse),
// two elements per exp (the vector exp of core/vmath.ts; the lanes are independent, so the
// result is the same as one element at a time). Rows with no target (negative, or mask[r] = 0
// with a mask) or dℓ = 0 get nothing. `lse` may be 0: each live row's lse is then recomputed by
// rowLse, bit for bit the forward's. dz may be the logits block itself (in place: each row is
// read before it is written). Exported for model code, like logSoftmaxGather.
export function gatherSoftmaxBackward<T>(dl: usize, logits: usize, lse: usize, targets: usize, mask: usize, R: i32, V: i32, invTemp: f64, dz: usize, accumulate: i32): i32 {
  for (let r = 0; r < R; r++) {
    const y = load<i32>(targets + (<usize>r << 2));
    if (y >= V) {
      setStatusArg(<f64>r, <f64>y);
      return Status.BAD_ARG;
    }
  }
  for (let r = 0; r < R; r++) {
    const off = <isize>r * <isize>V;
    const row = logits + (<usize>off << alignof<T>());
    const y = load<i32>(targets + (<usize>r << 2));
    const live = y >= 0 && (mask == 0 || load<u8>(mask + <usize>r) != 0);
    const g = live ? ld(dl, r) : 0.0;
    if (g == 0.0) { // also −0: nothing flows through this row
      if (!accumulate) for (let v = 0; v < V; v++) stT<T>(dz, off + v, 0.0);
      continue;
    }
    const gs = g * invTemp;
    const lr = lse != 0 ? ld(lse, r) : rowLse<T>(row, V, invTemp);
    const ll = f64x2.splat(lr), it = f64x2.splat(invTemp), ng = f64x2.splat(-gs);
    // Every element gets −g·p (+ the old value); the target then g·(1 − p) as softmaxGrad forms
    // it, from its p and old value read first (dz may be the logits themselves).
    const vEnd = V & ~1;
    const py = y < vEnd ? expNP(ldT<T>(row, y) * invTemp - lr) : 0.0;
    const oy = accumulate && y < vEnd ? ldT<T>(dz, off + y) : 0.0;
    for (let v = 0; v < vEnd; v += 2) {
      const p = expNonPos(f64x2.sub(f64x2.mul(ld2<T>(row, v), it), ll)); // z/t − lse ≤ 0
      let d = f64x2.mul(ng, p);
      if (accumulate) d = f64x2.add(d, ld2<T>(dz, off + v));
      st2<T>(dz, off + v, d);
    }
    if (vEnd < V) softmaxGrad<T>(dz, off, vEnd, y, gs, expNP(ldT<T>(row, vEnd) * invTemp - lr), accumulate);
    if (y < vEnd) {
      let d = -gs * py;
      d += gs;
      if (accumulate) d += oy;
      stT<T>(dz, off + y, d);
    }
  }
  return Status.OK;
}

/** Back-propagate per-token gradients dℓ of the target log-probabilities through the
 *  log-softmax and the gather, f32 logits: dz[r,v] = dℓ[r]·(1[v = y_r] − p[r,v])/t with
 *  p = exp(logits/t − lse) (lse from loss_token_logprobs). Rows with dℓ = 0 or no target
 *  get 0. With `accumulate` the result is added to dz instead of overwriting it.
 *  @param dl R gradients w.r.t. the target log-probabilities
 *  @param logits R×V f32
 *  @param lse R log-sum-exps from loss_token_logprobs (same temperature)
 *  @param targets R token ids (negative: no target)
 *  @param rows R
 *  @param vocab V
 *  @param invTemp 1/temperature
 *  @param dz out (or in-out with accumulate): R×V f32
 *  @param accumulate add into dz instead of overwriting it */
export function loss_logits_backward(dl: ptr<f64>, logits: ptr<f32>, lse: ptr<f64>, targets: ptr<i32>, rows: i32, vocab: i32, invTemp: f64, dz: ptr<f32>, accumulate: flag): i32 {
  return gatherSoftmaxBackward<f32>(dl, logits, lse, targets, 0, rows, vocab, invTemp, dz, accumulate);
}

/** loss_logits_backward with f64 logits and dz (the float64 reference path). */
export function loss_logits_backward_f64(dl: ptr<f64>, logits: ptr<f64>, lse: ptr<f64>, targets: ptr<i32>, rows: i32, vocab: i32, invTemp: f64, dz: ptr<f64>, accumulate: flag): i32 {
  return gatherSoftmaxBackward<f64>(dl, logits, lse, targets, 0, rows, vocab, invTemp, dz, accumulate);
}

// ---- maskedRowSum / scatterSeqGrad ---------------------------------------------------------

/** Sequence scores from per-token log-probabilities: S[b] = Σ_t m[b,t]·ℓ[b,t] and
 *  N[b] = Σ_t m[b,t] (m ≠ 0 counts as 1), summed in f64 from t = 0 up.
 *  @param logp B×T per-token log-probabilities
 *  @param mask B×T loss mask (u8)
 *  @param batch B
 *  @param len T
 *  @param scores out: B sums
 *  @param tokens out: B counts */
export function loss_masked_row_sum(logp: ptr<f64>, mask: ptr<u8>, batch: i32, len: i32, scores: ptr<f64>, tokens: ptr<f64>): void {
  maskedRowSum(logp, mask, batch, len, scores, tokens);
}

// S[b] = Σ_t m[b,t]·ℓ[b,t], N[b] = Σ_t m[b,t] (mask 0: every position), in f64 from t = 0 up.
// Exported for the model's per-sequence sums (nn_logprobs).
export function maskedRowSum(logp: usize, mask: usize, batch: i32, len: i32, scores: usize, tokens: usize): void {
  for (let b = 0; b < batch; b++) {
    let s = 0.0, n = 0.0;
    const off = <isize>b * <isize>len;
    for (let t = 0; t < len; t++) {
      if (mask == 0 || load<u8>(mask + <usize>(off + t)) != 0) {
        s += ld(logp, off + t);
        n += 1.0;
      }
    }
    st(scores, b, s);
    st(tokens, b, n);
  }
}

/** Scatter per-sequence gradients onto the trained tokens: dℓ[b,t] = m[b,t]·g[b], or
 *  m[b,t]·g[b]/max(N[b], 1) when `tokens` is given (length-normalised losses).
 *  @param g B gradients w.r.t. the sequence scores
 *  @param mask B×T loss mask (u8)
 *  @param tokens B token counts for length normalisation, or 0 for none
 *  @param batch B
 *  @param len T
 *  @param dl out: B×T per-token gradients */
export function loss_scatter_seq_grad(g: ptr<f64>, mask: ptr<u8>, tokens: opt_ptr<f64>, batch: i32, len: i32, dl: ptr<f64>): void {
  for (let b = 0; b < batch; b++) {
    let gb = ld(g, b);
    if (tokens != 0) gb /= max(ld(tokens, b), 1.0);
    const off = <isize>b * <isize>len;
    for (let t = 0; t < len; t++) st(dl, off + t, load<u8>(mask + <usize>(off + t)) != 0 ? gb : 0.0);
  }
}

// ---- score-function weights with reward-to-go ------------------------------------------------

/** Per-token weights of the policy-gradient trainers (Nash-MD-PG, Munos et al. 2024; the
 *  half-steps of Nash-MP, Tiapkin et al. 2025): for sequence i, whose tokens are positions
 *  offsets[i] ≤ t < offsets[i+1] of the flat arrays,
 *    w[t] = (label_i − ½ − Σ_{m ≥ t} Σ_k coef_k·(logp[m] − refs[k][m])) / denom,
 *  the reward-to-go form of the KL terms: the score of token t is weighted by the log-ratios of
 *  the tokens from t on (the sequence's whole log-ratio at its first token). Each sum runs from
 *  the last token back, over k in order inside each token. Returns BAD_ARG (status_arg = i) when
 *  the offsets decrease or offsets[0] ≠ 0.
 *  @param logp total per-token log-probabilities of the policy, sequences back to back
 *  @param refs K×total per-token log-probabilities of the K reference policies (row k for coefs[k])
 *  @param coefs K KL coefficients
 *  @param K number of KL terms (0: none)
 *  @param labels B labels (the judged preference of each sequence)
 *  @param offsets B + 1 start positions (offsets[B] = total)
 *  @param batch B
 *  @param denom the divisor of every weight (the batch size of a mean)
 *  @param w out: total weights */
export function loss_reward_to_go(logp: ptr<f64>, refs: ptr<f64>, coefs: ptr<f64>, K: i32, labels: ptr<f64>, offsets: ptr<i32>, batch: i32,
  denom: f64, w: ptr<f64>): i32 {
  if (batch < 0 || load<i32>(offsets) != 0) {
    setStatusArg(0);
    return Status.BAD_ARG;
  }
  for (let i = 0; i < batch; i++) {
    if (load<i32>(offsets + (<usize>(i + 1) << 2)) < load<i32>(offsets + (<usize>i << 2))) {
      setStatusArg(<f64>i);
      return Status.BAD_ARG;
    }
  }
  const total = <isize>load<i32>(offsets + (<usize>batch << 2));
  for (let i = 0; i < batch; i++) {
    const a = <isize>load<i32>(offsets + (<usize>i << 2)), b = <isize>load<i32>(offsets + (<usize>(i + 1) << 2));
    const base = ld(labels, i) - 0.5;
    let togo = 0.0;
    for (let t = b - 1; t >= a; t--) {
      const l = ld(logp, t);
      for (let k = 0; k < K; k++) togo += ld(coefs, k) * (l - ld(refs, <isize>k * total + t));
      st(w, t, (base - togo) / denom);
    }
  }
  return Status.OK;
}

// ---- the per-token geometric mixture -------------------------------------------------------

/** s[v] = (1−γ)·log π(v) + γ·log μ(v) at one position, from the two models' logits rows
 *  za (π) and zb (μ), each log-softmax through rowLse: the log-scores of the per-token geometric
 *  mixture of Nash-MD (Munos et al. 2024, App. F.1), unnormalised. The sampler draws from
 *  exp(s/τ) normalised; mixtureLogSoftmaxGather scores given tokens under it. */
export function mixtureRow<T>(za: usize, zb: usize, V: i32, gamma: f64, out: usize): void {
  const la = rowLse<T>(za, V, 1.0), lb = rowLse<T>(zb, V, 1.0);
  for (let v = 0; v < V; v++) st(out, v, (1.0 - gamma) * (ldT<T>(za, v) - la) + gamma * (ldT<T>(zb, v) - lb));
}

// ℓ[r] = log q(y_r) with q = softmax(mixtureRow(za[r], zb[r])): the per-token log-probabilities
// of given targets under the mixture (0 where the mask is 0 or the target negative).
// scratch: V f64. NON_FINITE (status_arg = row) for a row without a finite normaliser.
export function mixtureLogSoftmaxGather<T>(za: usize, zb: usize, gamma: f64, targets: usize, mask: usize, R: i32, V: i32, logp: usize, scratch: usize): i32 {
  for (let r = 0; r < R; r++) {
    const y = load<i32>(targets + (<usize>r << 2));
    if (y >= V) {
      setStatusArg(<f64>r, <f64>y);
      return Status.BAD_ARG;
    }
  }
  for (let r = 0; r < R; r++) {
    const y = load<i32>(targets + (<usize>r << 2));
    if (y < 0 || (mask != 0 && load<u8>(mask + <usize>r) == 0)) {
      st(logp, r, 0.0);
      continue;
    }
    const off = <usize>r * <usize>V << alignof<T>();
    mixtureRow<T>(za + off, zb + off, V, gamma, scratch);
    const l = rowLse<f64>(scratch, V, 1.0);
    if (!(l > -Infinity && l < Infinity)) {
      setStatusArg(<f64>r, 0);
      return Status.NON_FINITE;
    }
    st(logp, r, ld(scratch, y) - l);
  }
  return Status.OK;
}

// ---- pair losses ---------------------------------------------------------------------------

/** Pairwise preference losses of loss_pair; the names are TRL's `DPOConfig.loss_type`. z = βh
 *  with h = ρ_w − ρ_l and ρ = S − S_ref (ρ = (S − S_ref)/N with PairParam.LENGTH_NORM). */
export const enum PairLoss {
  /** DPO: softplus(−z) = −log σ(z) (Rafailov et al. 2023, Eq. 7). */
  SIGMOID = 0,
  /** Conservative DPO: (1−ε)·softplus(−z) + ε·softplus(z), label smoothing ε (Mitchell 2023, "A note on DPO with noisy preferences"). */
  CDPO = 1,
  /** Robust DPO: [(1−ε)·softplus(−z) − ε·softplus(z)]/(1−2ε) (Chowdhury et al. 2024, provably robust DPO). */
  ROBUST = 2,
  /** IPO: (h − 1/(2τ))², τ in the BETA slot (Azar et al. 2024, Eq. 17). */
  IPO = 3,
  /** Hinge on the reference-normalised margin: max(0, 1 − z) (Liu et al. 2024, RSO; margin 1/β on h). */
  HINGE = 4,
  /** SLiC-HF calibration: max(0, δ − h) (Zhao et al. 2023); pass no reference for the paper's form. */
  SLIC = 5,
  /** SPPO (hard labels): (ρ_w − 1/(2β))² + (ρ_l + 1/(2β))² (Wu et al. 2024, SPPO with hard labels as TRL writes it). */
  SPPO_HARD = 6,
  /** NCA: −log σ(βρ_w) − ½·log σ(−βρ_w) − ½·log σ(−βρ_l) (Chen et al. 2024, noise contrastive alignment). */
  NCA_PAIR = 7,
  /** BCO on pairs: −log σ(βρ_w) − log σ(−βρ_l) (Jung et al. 2024, binary classifier optimisation), without the running-mean shift. */
  BCO_PAIR = 8,
}

/** Slots of the f64 `cfg` block of loss_pair. */
export const enum PairParam {
  /** β (for IPO: τ). */
  BETA = 0,
  /** ε: label smoothing (CDPO) or flip probability (ROBUST). */
  EPS = 1,
  /** δ: the calibration margin of SLIC. */
  DELTA = 2,
  /** λ: weight of the NLL of the chosen response added to every kind (SLiC-HF's regulariser). */
  LAMBDA = 3,
  /** 1: every sequence score is replaced by its per-token average S/N (IPO as in TRL, sigmoid_norm). */
  LENGTH_NORM = 4,
  /** Number of slots. */
  SLOTS = 5,
}

// Results of pairKernel: ℓ, ∂ℓ/∂ρ_w, ∂ℓ/∂ρ_l.
let pairL: f64 = 0, pairDw: f64 = 0, pairDl: f64 = 0;

/** One pair: sets pairL, pairDw, pairDl. */
@inline function pairKernel(kind: i32, beta: f64, eps: f64, delta: f64, rw: f64, rl: f64): void {
  const h = rw - rl;
  const z = beta * h;
  let loss = 0.0, dw = 0.0, dl = 0.0;
  switch (kind) {
    case PairLoss.SIGMOID: {
      loss = softplus(-z);
      dw = -beta * sigmoid(-z);
      dl = -dw;
      break;
    }
    case PairLoss.CDPO: {
      loss = (1.0 - eps) * softplus(-z) + eps * softplus(z);
      dw = beta * (eps * sigmoid(z) - (1.0 - eps) * sigmoid(-z));
      dl = -dw;
      break;
    }
    case PairLoss.ROBUST: {
      const c = 1.0 / (1.0 - 2.0 * eps);
      loss = ((1.0 - eps) * softplus(-z) - eps * softplus(z)) * c;
      dw = -beta * ((1.0 - eps) * sigmoid(-z) + eps * sigmoid(z)) * c;
      dl = -dw;
      break;
    }
    case PairLoss.IPO: {
      const e = h - 0.5 / beta;
      loss = e * e;
      dw = 2.0 * e;
      dl = -dw;
      break;
    }
    case PairLoss.HINGE: {
      if (z < 1.0) {
        loss = 1.0 - z;
        dw = -beta;
        dl = beta;
      }
      break;
    }
    case PairLoss.SLIC: {
      if (h < delta) {
        loss = delta - h;
        dw = -1.0;
        dl = 1.0;
      }
      break;
    }
    case PairLoss.SPPO_HARD: {
      const a = rw - 0.5 / beta, b = rl + 0.5 / beta;
      loss = a * a + b * b;
      dw = 2.0 * a;
      dl = 2.0 * b;
      break;
    }
    case PairLoss.NCA_PAIR: {
      const zw = beta * rw, zl = beta * rl;
      loss = -logSigmoid(zw) - 0.5 * logSigmoid(-zw) - 0.5 * logSigmoid(-zl);
      dw = beta * (0.5 * sigmoid(zw) - sigmoid(-zw));
      dl = 0.5 * beta * sigmoid(zl);
      break;
    }
    case PairLoss.BCO_PAIR: {
      const zw = beta * rw, zl = beta * rl;
      loss = softplus(-zw) + softplus(zl);
      dw = -beta * sigmoid(-zw);
      dl = beta * sigmoid(zl);
      break;
    }
    default:
      loss = NaN;
  }
  pairL = loss;
  pairDw = dw;
  pairDl = dl;
}

/** Pairwise preference losses, one per pair, unreduced (the SDK applies the reduction):
 *  ρ_w = S_w − S_w^ref, ρ_l = S_l − S_l^ref (S_ref = 0 when the reference is absent; with
 *  LENGTH_NORM every score is divided by max(N, 1)), loss[i] = ℓ_kind(ρ_w, ρ_l) +
 *  λ·(−S_w) and gw[i] = ∂loss[i]/∂S_w, gl[i] = ∂loss[i]/∂S_l (gradients w.r.t. the policy's
 *  scores; the reference gets none). Returns BAD_ARG for an unknown kind or a LENGTH_NORM
 *  call without token counts.
 *  @param kind a PairLoss
 *  @param cfg PairParam.SLOTS f64
 *  @param chosen B policy scores S_θ(y_w)
 *  @param refChosen B reference scores S_ref(y_w), or 0
 *  @param rejected B policy scores S_θ(y_l)
 *  @param refRejected B reference scores S_ref(y_l), or 0
 *  @param chosenTokens B token counts N_w, or 0 (needed with LENGTH_NORM)
 *  @param rejectedTokens B token counts N_l, or 0
 *  @param batch B pairs
 *  @param loss out: B per-pair losses
 *  @param gw out: B gradients w.r.t. S_θ(y_w)
 *  @param gl out: B gradients w.r.t. S_θ(y_l) */
export function loss_pair(kind: PairLoss, cfg: ptr<f64>, chosen: ptr<f64>, refChosen: opt_ptr<f64>, rejected: ptr<f64>, refRejected: opt_ptr<f64>,
  chosenTokens: opt_ptr<f64>, rejectedTokens: opt_ptr<f64>, batch: i32, loss: ptr<f64>, gw: ptr<f64>, gl: ptr<f64>): i32 {
  if (<u32>kind > <u32>PairLoss.BCO_PAIR) return Status.BAD_ARG;
  const beta = ld(cfg, PairParam.BETA), eps = ld(cfg, PairParam.EPS), delta = ld(cfg, PairParam.DELTA);
  const lambda = ld(cfg, PairParam.LAMBDA);
  const norm = ld(cfg, PairParam.LENGTH_NORM) != 0;
  if (norm && (chosenTokens == 0 || rejectedTokens == 0)) return Status.BAD_ARG;
  for (let i = 0; i < batch; i++) {
    const nw = norm ? max(ld(chosenTokens, i), 1.0) : 1.0;
    const nl = norm ? max(ld(rejectedTokens, i), 1.0) : 1.0;
    const sw = ld(chosen, i), sl = ld(rejected, i);
    const rw = (sw - (refChosen != 0 ? ld(refChosen, i) : 0.0)) / nw;
    const rl = (sl - (refRejected != 0 ? ld(refRejected, i) : 0.0)) / nl;
    pairKernel(kind, beta, eps, delta, rw, rl);
    let l = pairL;
    let dw = pairDw;
    if (lambda != 0) {
      l -= lambda * (sw / nw);
      dw -= lambda;
    }
    st(loss, i, l);
    st(gw, i, dw / nw);
    st(gl, i, pairDl / nl);
  }
  return Status.OK;
}

// ---- point losses --------------------------------------------------------------------------

/** Single-sequence losses of loss_point. ρ = S − S_ref (ρ/N with PointParam.LENGTH_NORM). */
export const enum PointLoss {
  /** KTO (Ethayarajh et al. 2024): desirable λ_D·(1 − σ(β(ρ − z0))), undesirable
   *  λ_U·(1 − σ(β(z0 − ρ))); z0 is a constant (no gradient). label: 1 desirable, 0 not. */
  KTO = 0,
  /** APO-zero on unpaired data (D'Oosterlinck et al. 2024): desirable λ_D·(1 − σ(βρ)),
   *  undesirable λ_U·σ(βρ). */
  APO_ZERO_UNPAIRED = 1,
  /** DRO (Richemond et al. 2024): ½(r − V − τρ)², gradients for the policy score and
   *  the value V; label = the reward r. */
  DRO = 2,
  /** Negative log-likelihood −ρ (reference absent: −S; the SDK divides by the tokens). */
  SFT = 3,
}

/** Slots of the f64 `cfg` block of loss_point. */
export const enum PointParam {
  /** β (KTO, APO) or τ (DRO). */
  BETA = 0,
  /** z0, KTO's reference point (the batch KL estimate, already clamped at 0). */
  Z0 = 1,
  /** λ_D, weight of desirable examples. */
  W_DESIRABLE = 2,
  /** λ_U, weight of undesirable examples. */
  W_UNDESIRABLE = 3,
  /** 1: DRO's policy gradient divided by τ (the paper's practice); 0: the exact gradient. */
  RESCALE = 4,
  /** 1: ρ is the per-token average (S − S_ref)/N. */
  LENGTH_NORM = 5,
  /** Number of slots. */
  SLOTS = 6,
}

/** Single-sequence losses, one per example, unreduced: loss[i], g[i] = ∂loss[i]/∂S_θ and,
 *  for DRO, gv[i] = ∂loss[i]/∂V_i. Returns BAD_ARG for an unknown kind, DRO without
 *  values, or LENGTH_NORM without token counts.
 *  @param kind a PointLoss
 *  @param cfg PointParam.SLOTS f64
 *  @param scores B policy scores S_θ(y)
 *  @param refScores B reference scores, or 0 (S_ref = 0)
 *  @param tokens B token counts, or 0 (needed with LENGTH_NORM)
 *  @param labels B labels (KTO, APO: 1 desirable, 0 undesirable) or rewards (DRO); unused by SFT
 *  @param values B values V(x) (DRO), or 0
 *  @param batch B
 *  @param loss out: B per-example losses
 *  @param g out: B gradients w.r.t. S_θ
 *  @param gv out: B gradients w.r.t. V (DRO), or 0 */
export function loss_point(kind: PointLoss, cfg: ptr<f64>, scores: ptr<f64>, refScores: opt_ptr<f64>, tokens: opt_ptr<f64>, labels: ptr<f64>,
  values: opt_ptr<f64>, batch: i32, loss: ptr<f64>, g: ptr<f64>, gv: opt_ptr<f64>): i32 {
  if (<u32>kind > <u32>PointLoss.SFT) return Status.BAD_ARG;
  const beta = ld(cfg, PointParam.BETA), z0 = ld(cfg, PointParam.Z0);
  const wD = ld(cfg, PointParam.W_DESIRABLE), wU = ld(cfg, PointParam.W_UNDESIRABLE);
  const rescale = ld(cfg, PointParam.RESCALE) != 0;
  const norm = ld(cfg, PointParam.LENGTH_NORM) != 0;
  if (norm && tokens == 0) return Status.BAD_ARG;
  if (kind == PointLoss.DRO && values == 0) return Status.BAD_ARG;
  for (let i = 0; i < batch; i++) {
    const n = norm ? max(ld(tokens, i), 1.0) : 1.0;
    const rho = (ld(scores, i) - (refScores != 0 ? ld(refScores, i) : 0.0)) / n;
    let l = 0.0, d = 0.0, dv = 0.0;
    switch (kind) {
      case PointLoss.KTO: {
        if (ld(labels, i) != 0) {
          const a = beta * (rho - z0); // v = λ_D σ(a); ℓ = λ_D − v = λ_D σ(−a)
          l = wD * sigmoid(-a);
          d = -wD * beta * sigmoid(a) * sigmoid(-a);
        } else {
          const a = beta * (z0 - rho);
          l = wU * sigmoid(-a);
          d = wU * beta * sigmoid(a) * sigmoid(-a);
        }
        break;
      }
      case PointLoss.APO_ZERO_UNPAIRED: {
        const a = beta * rho;
        if (ld(labels, i) != 0) {
          l = wD * sigmoid(-a);
          d = -wD * beta * sigmoid(a) * sigmoid(-a);
        } else {
          l = wU * sigmoid(a);
          d = wU * beta * sigmoid(a) * sigmoid(-a);
        }
        break;
      }
      case PointLoss.DRO: {
        const e = ld(labels, i) - ld(values, i) - beta * rho; // residual r − V − τρ
        l = 0.5 * e * e;
        d = rescale ? -e : -beta * e;
        dv = -e;
        break;
      }
      default: { // SFT
        l = -rho;
        d = -1.0;
      }
    }
    st(loss, i, l);
    st(g, i, d / n);
    if (gv != 0) st(gv, i, dv);
  }
  return Status.OK;
}

// ---- token-level divergences ---------------------------------------------------------------

/** Token-level distillation divergences of loss_token_divergence, between the teacher's
 *  next-token distribution T and the student's S = softmax(z/t). */
export const enum Divergence {
  /** Forward KL(T‖S) = Σ T log(T/S); ∂/∂z = S − T. */
  FKL = 0,
  /** Reverse KL(S‖T) = Σ S log(S/T); ∂/∂z_v = S_v(log(S_v/T_v) − KL(S‖T)). */
  RKL = 1,
  /** Generalised JSD_β = β·KL(T‖M) + (1−β)·KL(S‖M), M = βT + (1−β)S (Agarwal et al. 2024,
   *  Eq. 1, as TRL writes it); β = 0 is FKL and β = 1 is RKL (unscaled). */
  GJSD = 2,
}

/** f64 slots of the `work` block of loss_token_divergence for a vocabulary of V. */
export function loss_divergence_workspace_size(vocab: i32): usize {
  return <usize>max(vocab, 1) * 4;
}

/** out[v] = exp(x[v]) for x ≤ 0, two at a time. */
function expRow(x: usize, out: usize, V: i32): void {
  let v = 0;
  for (; v + 2 <= V; v += 2) v128.store(out + (<usize>v << 3), expNonPos(v128.load(x + (<usize>v << 3))));
  if (v < V) st(out, v, expNP(ld(x, v)));
}

// Per row: log S and log T (log-softmax of the logits/t), then S and T, then the divergence
// and its gradient. work = [log S | log T | S | T], V each. Exported for model code.
export function tokenDivergence<T>(kind: i32, beta: f64, invTemp: f64, student: usize, teacher: usize, mask: usize, R: i32, V: i32,
  gscale: f64, loss: usize, dz: usize, accumulate: i32, work: usize): i32 {
  if (<u32>kind > <u32>Divergence.GJSD || !(beta >= 0.0 && beta <= 1.0)) return Status.BAD_ARG;
  if (kind == Divergence.GJSD && beta == 0.0) kind = Divergence.FKL;
  else if (kind == Divergence.GJSD && beta == 1.0) kind = Divergence.RKL;
  const ls = work, lt = work + (<usize>V << 3), ps = work + (<usize>V << 4), pt = work + (<usize>V * 24);
  const logB = Math.log(beta), log1mB = Math.log1p(-beta);
  for (let r = 0; r < R; r++) {
    const off = <isize>r * <isize>V;
    if (mask != 0 && load<u8>(mask + <usize>r) == 0) {
      st(loss, r, 0.0);
      if (!accumulate) for (let v = 0; v < V; v++) stT<T>(dz, off + v, 0.0);
      continue;
    }
    const srow = student + (<usize>off << alignof<T>()), trow = teacher + (<usize>off << alignof<T>());
    const lseS = rowLse<T>(srow, V, invTemp), lseT = rowLse<T>(trow, V, invTemp);
    if (!(lseS > -Infinity && lseS < Infinity && lseT > -Infinity && lseT < Infinity)) {
      setStatusArg(<f64>r, 0);
      return Status.NON_FINITE;
    }
    for (let v = 0; v < V; v++) {
      st(ls, v, ldT<T>(srow, v) * invTemp - lseS);
      st(lt, v, ldT<T>(trow, v) * invTemp - lseT);
    }
    expRow(ls, ps, V);
    expRow(lt, pt, V);
    let D = 0.0, s = gscale * invTemp;
    if (kind == Divergence.FKL) {
      // KL(T‖S) = Σ T(log T − log S), 0·log 0 = 0; ∂/∂z = S − T
      for (let v = 0; v < V; v++) {
        const pT = ld(pt, v);
        if (pT > 0) D += pT * (ld(lt, v) - ld(ls, v));
      }
      for (let v = 0; v < V; v++) {
        let d = s * (ld(ps, v) - ld(pt, v));
        if (accumulate) d += ldT<T>(dz, off + v);
        stT<T>(dz, off + v, d);
      }
    } else if (kind == Divergence.RKL) {
      // KL(S‖T) = Σ S(log S − log T), log T clamped at log FLT_MIN; ∂/∂z = S(log S − log T − KL)
      for (let v = 0; v < V; v++) {
        const pS = ld(ps, v);
        if (pS > 0) D += pS * (ld(ls, v) - max(ld(lt, v), LOG_TINY));
      }
      for (let v = 0; v < V; v++) {
        const pS = ld(ps, v);
        let d = pS > 0 ? s * pS * (ld(ls, v) - max(ld(lt, v), LOG_TINY) - D) : 0.0;
        if (accumulate) d += ldT<T>(dz, off + v);
        stT<T>(dz, off + v, d);
      }
    } else {
      // M = βT + (1−β)S; JSD = β·KL(T‖M) + (1−β)·KL(S‖M); ∂/∂z = (1−β)·S(log S − log M − KL(S‖M)).
      // log M replaces log T in lt once KL(T‖M)'s term is taken.
      let klT = 0.0, klS = 0.0;
      for (let v = 0; v < V; v++) {
        const lS = ld(ls, v), lT = ld(lt, v), pS = ld(ps, v), pT = ld(pt, v);
        const m = beta * pT + (1.0 - beta) * pS;
        const lM = m >= 1e-300 ? Math.log(m) : logAddExp(lT + logB, lS + log1mB);
        if (pT > 0) klT += pT * (lT - lM);
        if (pS > 0) klS += pS * (lS - lM);
        st(lt, v, lM);
      }
      D = beta * klT + (1.0 - beta) * klS;
      s *= 1.0 - beta;
      for (let v = 0; v < V; v++) {
        const pS = ld(ps, v);
        let d = pS > 0 ? s * pS * (ld(ls, v) - ld(lt, v) - klS) : 0.0;
        if (accumulate) d += ldT<T>(dz, off + v);
        stT<T>(dz, off + v, d);
      }
    }
    st(loss, r, D);
  }
  return Status.OK;
}

/** Token-level divergence between a teacher and a student, f32 logits, per row (position):
 *  loss[r] = D_kind(T_r, S_r) with S = softmax(student/t), T = softmax(teacher/t), and
 *  dz[r,·] (+)= gscale·∂loss[r]/∂student[r,·] (the 1/t of the temperature included; TRL does
 *  not multiply by t²). Rows with mask 0 get loss 0 and no gradient. The reduction (GKD: sum
 *  over the vocabulary, mean over valid tokens) is the caller's: pass gscale = 1/Σm.
 *  Returns BAD_ARG for an unknown kind or β ∉ [0, 1], NON_FINITE (status_arg = row) for a row
 *  whose logits have no finite log-sum-exp.
 *  @param kind a Divergence
 *  @param beta β of GJSD (ignored by FKL, RKL)
 *  @param invTemp 1/temperature
 *  @param student R×V f32 student logits
 *  @param teacher R×V f32 teacher logits
 *  @param mask R u8 (0: skip the row), or 0 for all rows
 *  @param rows R
 *  @param vocab V
 *  @param gscale factor applied to the gradient (the reduction's weight)
 *  @param loss out: R per-row divergences (unscaled)
 *  @param dz out (in-out with accumulate): R×V f32 gradient w.r.t. the student logits
 *  @param accumulate add into dz instead of overwriting it
 *  @param work loss_divergence_workspace_size(V) f64 */
export function loss_token_divergence(kind: Divergence, beta: f64, invTemp: f64, student: ptr<f32>, teacher: ptr<f32>, mask: opt_ptr<u8>,
  rows: i32, vocab: i32, gscale: f64, loss: ptr<f64>, dz: ptr<f32>, accumulate: flag, work: ptr<f64>): i32 {
  return tokenDivergence<f32>(kind, beta, invTemp, student, teacher, mask, rows, vocab, gscale, loss, dz, accumulate, work);
}

/** loss_token_divergence with f64 logits and dz (the float64 reference path). */
export function loss_token_divergence_f64(kind: Divergence, beta: f64, invTemp: f64, student: ptr<f64>, teacher: ptr<f64>, mask: opt_ptr<u8>,
  rows: i32, vocab: i32, gscale: f64, loss: ptr<f64>, dz: ptr<f64>, accumulate: flag, work: ptr<f64>): i32 {
  return tokenDivergence<f64>(kind, beta, invTemp, student, teacher, mask, rows, vocab, gscale, loss, dz, accumulate, work);
}
