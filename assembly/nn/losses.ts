// Losses of alignment training, each written once: the per-token work (log-softmax and gather,
// masked sequence sums, scattering a sequence gradient back onto its tokens, the log-softmax
// backward, token-level distillation divergences) and the scalar pair / point losses that turn
// sequence scores into a loss and its gradient. Trainers chain them the same way for every
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

/** max_v z_v of one row (NaN entries are skipped; the caller checks the sum afterwards). */
function rowMax<T>(row: usize, V: i32): f64 {
  let m: f64 = -Infinity;
  for (let v = 0; v < V; v++) {
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
  for (; v + 2 <= V; v += 2) {
    let x = f64x2.splat(ldT<T>(row, v));
    x = f64x2.replace_lane(x, 1, ldT<T>(row, v + 1));
    acc = f64x2.add(acc, expNonPos(f64x2.mul(f64x2.sub(x, mm), ss)));
  }
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (v < V) sum += f64x2.extract_lane(expNonPos(f64x2.splat((ldT<T>(row, v) - m) * s)), 0);
  return sum;
}

/** lse = log Σ_v exp(z_v·s) of one row, through the row maximum. */
@inline function rowLse<T>(row: usize, V: i32, s: f64): f64 {
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
// A negative target means "no target" (ℓ = 0; its row gets no gradient). Exported (not in the
// ABI) so that model code in assembly/nn can call it on its own activations.
export function logSoftmaxGather<T>(logits: usize, targets: usize, R: i32, V: i32, invTemp: f64, logp: usize, lse: usize): i32 {
  for (let r = 0; r < R; r++) {
    const y = load<i32>(targets + (<usize>r << 2));
    if (y >= V) {
      setStatusArg(<f64>r, <f64>y);
      return Status.BAD_ARG;
    }
  }
  for (let r = 0; r < R; r++) {
    const row = logits + (<usize>r * <usize>V << alignof<T>());
    const l = rowLse<T>(row, V, invTemp);
    if (!(l > -Infinity && l < Infinity)) {
      setStatusArg(<f64>r, 0);
      return Status.NON_FINITE;
    }
    st(lse, r, l);
    const y = load<i32>(targets + (<usize>r << 2));
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
  return logSoftmaxGather<f32>(logits, targets, rows, vocab, invTemp, logp, lse);
}

/** loss_token_logprobs with f64 logits (the float64 reference path). */
export function loss_token_logprobs_f64(logits: ptr<f64>, targets: ptr<i32>, rows: i32, vocab: i32, invTemp: f64, logp: ptr<f64>, lse: ptr<f64>): i32 {
  return logSoftmaxGather<f64>(logits, targets, rows, vocab, invTemp, logp, lse);
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
// result is the same as one element at a time). Exported for model code, like logSoftmaxGather.
export function gatherSoftmaxBackward<T>(dl: usize, logits: usize, lse: usize, targets: usize, R: i32, V: i32, invTemp: f64, dz: usize, accumulate: i32): i32 {
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
    const g = y >= 0 ? ld(dl, r) : 0.0;
    if (g == 0.0) { // also −0: nothing flows through this row
      if (!accumulate) for (let v = 0; v < V; v++) stT<T>(dz, off + v, 0.0);
      continue;
    }
    const gs = g * invTemp;
    const ll = f64x2.splat(ld(lse, r)), it = f64x2.splat(invTemp);
    let v = 0;
    for (; v + 2 <= V; v += 2) {
      let x = f64x2.splat(ldT<T>(row, v));
      x = f64x2.replace_lane(x, 1, ldT<T>(row, v + 1));
      const p = expNonPos(f64x2.sub(f64x2.mul(x, it), ll)); // z/t − lse ≤ 0
      softmaxGrad<T>(dz, off, v, y, gs, f64x2.extract_lane(p, 0), accumulate);
      softmaxGrad<T>(dz, off, v + 1, y, gs, f64x2.extract_lane(p, 1), accumulate);
    }
    if (v < V) softmaxGrad<T>(dz, off, v, y, gs, expNP(ldT<T>(row, v) * invTemp - ld(lse, r)), accumulate);
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
  return gatherSoftmaxBackward<f32>(dl, logits, lse, targets, rows, vocab, invTemp, dz, accumulate);
}

/** loss_logits_backward with f64 logits and dz (the float64 reference path). */
export function loss_logits_backward_f64(dl: ptr<f64>, logits: ptr<f64>, lse: ptr<f64>, targets: ptr<i32>, rows: i32, vocab: i32, invTemp: f64, dz: ptr<f64>, accumulate: flag): i32 {
  return gatherSoftmaxBackward<f64>(dl, logits, lse, targets, rows, vocab, invTemp, dz, accumulate);
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
  for (let b = 0; b < batch; b++) {
    let s = 0.0, n = 0.0;
    const off = <isize>b * <isize>len;
    for (let t = 0; t < len; t++) {
      if (load<u8>(mask + <usize>(off + t)) != 0) {
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
