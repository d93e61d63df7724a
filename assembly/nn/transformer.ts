// Decoder-only transformer (GPT-2 shape, Radford et al. 2019): token + position embeddings,
// L pre-norm blocks x ← x + Attn(LN₁(x)); x ← x + MLP(LN₂(x)), a final LayerNorm and an output
// head tied to the token embedding (logits = LN_f(x)·Wteᵀ). Forward, backward and the
// KV-cache step, each a list of layer calls (the layers are in ops.ts and attention.ts).
//
// Workspace (f32 elements, for a batch of B sequences of length T; N = B·T):
//   enc [N,C]; per block: ln1 [N,C], ln1 mean/rstd [N,N], qkv [N,3C], att [B,NH,T,T],
//   atty [N,C], res2 [N,C], ln2 [N,C], ln2 mean/rstd [N,N], fch [N,H], fchg [N,H], res3 [N,C];
//   lnf [N,C], lnf mean/rstd [N,N], logits [N,V]; backward scratch dres [N,C], dx [N,C],
//   dqkv [N,3C], dfch [N,H], a block of attention scores [min(T,32), T].
// The residual additions are fused into the output projections (res2 = res + bias + atty·W).
import { ModelConfig, NnTensor, cfgi, cfgf, tensorOffset, layStart, lay, layF, layTotal } from "./config";
import {
  embeddingForward, embeddingBackward, linearForward, linearBackward, layernormForward,
  layernormBackward, activationForward, activationBackward, addRows, logitsGradient,
} from "./ops";
import { attentionForward, attentionBackward, attentionScratch, causalSoftmaxRow } from "./attention";
import { sgemm } from "./matmul";
import { at } from "./mathf";
import { valueBackward } from "./value";

// Model dimensions and workspace offsets of the current call (set by setup()).
let V: i32 = 0, C: i32 = 0, H: i32 = 0, L: i32 = 0, NH: i32 = 0, ACT: i32 = 0;
let EPS: f32 = 1e-5;
let N: i32 = 0;
let O_ENC: i32 = 0, O_LAYERS: i32 = 0, LSIZE: i32 = 0;
let L_LN1M: i32 = 0, L_LN1R: i32 = 0, L_QKV: i32 = 0, L_ATT: i32 = 0, L_ATTY: i32 = 0, L_RES2: i32 = 0;
let L_LN2: i32 = 0, L_LN2M: i32 = 0, L_LN2R: i32 = 0, L_FCH: i32 = 0, L_FCHG: i32 = 0, L_RES3: i32 = 0;
let O_LNF: i32 = 0, O_LNFM: i32 = 0, O_LNFR: i32 = 0, O_LOGITS: i32 = 0;
let O_DRES: i32 = 0, O_DX: i32 = 0, O_DQKV: i32 = 0, O_DFCH: i32 = 0, O_ROW: i32 = 0;
let O_TOTAL: f64 = 0;

function dims(cfg: usize): void {
  V = cfgi(cfg, ModelConfig.VOCAB);
  C = cfgi(cfg, ModelConfig.WIDTH);
  H = cfgi(cfg, ModelConfig.HIDDEN);
  L = cfgi(cfg, ModelConfig.LAYERS);
  NH = cfgi(cfg, ModelConfig.HEADS);
  ACT = cfgi(cfg, ModelConfig.ACTIVATION);
  EPS = <f32>cfgf(cfg, ModelConfig.LN_EPS);
}

function setup(cfg: usize, B: i32, T: i32): void {
  dims(cfg);
  N = B * T;
  // per-block offsets relative to the block's base
  layStart();
  lay(B, T, C); // ln1 at 0
  L_LN1M = lay(B, T);
  L_LN1R = lay(B, T);
  L_QKV = lay(3, B, T, C);
  L_ATT = lay(B, NH, T, T);
  L_ATTY = lay(B, T, C);
  L_RES2 = lay(B, T, C);
  L_LN2 = lay(B, T, C);
  L_LN2M = lay(B, T);
  L_LN2R = lay(B, T);
  L_FCH = lay(B, T, H);
  L_FCHG = lay(B, T, H);
  L_RES3 = lay(B, T, C);
  const block = layTotal();
  LSIZE = <i32><i64>block;
  layStart();
  O_ENC = lay(B, T, C);
  O_LAYERS = layF(<f64>L * block);
  O_LNF = lay(B, T, C);
  O_LNFM = lay(B, T);
  O_LNFR = lay(B, T);
  O_LOGITS = lay(B, T, V);
  O_DRES = lay(B, T, C);
  O_DX = lay(B, T, C);
  O_DQKV = lay(3, B, T, C);
  O_DFCH = lay(B, T, H);
  O_ROW = lay(attentionScratch(T));
  O_TOTAL = layTotal();
}

/** f32 elements of the workspace of a batch of B sequences of length T. */
export function transformerWorkspace(cfg: usize, B: i32, T: i32): f64 {
  setup(cfg, B, T);
  return O_TOTAL;
}

@inline function P(params: usize, cfg: usize, kind: i32, layer: i32): usize {
  return at(params, tensorOffset(cfg, kind, layer));
}

/** Offset (f32 elements) of the logits [B·T, V] in the workspace. */
export function transformerLogits(cfg: usize, B: i32, T: i32): i32 {
  setup(cfg, B, T);
  return O_LOGITS;
}

/** Offset of the final hidden states LN_f(x) [B·T, C] (the value head's input). */
export function transformerHidden(cfg: usize, B: i32, T: i32): i32 {
  setup(cfg, B, T);
  return O_LNF;
}

// logits[B·T, V] (in the workspace) for tokens [B, T]; `headless` stops at the final LayerNorm.
export function transformerForward(cfg: usize, params: usize, tokens: usize, B: i32, T: i32, work: usize, headless: bool): void {
  setup(cfg, B, T);
  const hs = C / NH;
  const wte = P(params, cfg, NnTensor.TOKEN_EMBEDDING, -1);
  embeddingForward(at(work, O_ENC), tokens, wte, P(params, cfg, NnTensor.POSITION_EMBEDDING, -1), B, T, C);
  let res = at(work, O_ENC);
  for (let l = 0; l < L; l++) {
    const w = at(work, O_LAYERS + l * LSIZE);
    const ln1 = w, qkv = at(w, L_QKV), atty = at(w, L_ATTY), res2 = at(w, L_RES2);
    const ln2 = at(w, L_LN2), fch = at(w, L_FCH), fchg = at(w, L_FCHG), res3 = at(w, L_RES3);
    layernormForward(ln1, at(w, L_LN1M), at(w, L_LN1R), res, P(params, cfg, NnTensor.LN1_WEIGHT, l), P(params, cfg, NnTensor.LN1_BIAS, l), N, C, EPS);
    linearForward(qkv, ln1, P(params, cfg, NnTensor.QKV_WEIGHT, l), P(params, cfg, NnTensor.QKV_BIAS, l), 0, N, C, 3 * C);
    attentionForward(atty, at(w, L_ATT), qkv, B, T, C, NH);
    linearForward(res2, atty, P(params, cfg, NnTensor.ATTN_PROJ_WEIGHT, l), P(params, cfg, NnTensor.ATTN_PROJ_BIAS, l), res, N, C, C);
    layernormForward(ln2, at(w, L_LN2M), at(w, L_LN2R), res2, P(params, cfg, NnTensor.LN2_WEIGHT, l), P(params, cfg, NnTensor.LN2_BIAS, l), N, C, EPS);
    linearForward(fch, ln2, P(params, cfg, NnTensor.FC_WEIGHT, l), P(params, cfg, NnTensor.FC_BIAS, l), 0, N, C, H);
    activationForward(ACT, fchg, fch, N * H);
    linearForward(res3, fchg, P(params, cfg, NnTensor.FC_PROJ_WEIGHT, l), P(params, cfg, NnTensor.FC_PROJ_BIAS, l), res2, N, H, C);
    res = res3;
  }
  const lnf = at(work, O_LNF);
  layernormForward(lnf, at(work, O_LNFM), at(work, O_LNFR), res, P(params, cfg, NnTensor.LNF_WEIGHT, -1), P(params, cfg, NnTensor.LNF_BIAS, -1), N, C, EPS);
  if (!headless) sgemm(0, 1, N, V, C, lnf, C, wte, C, false, at(work, O_LOGITS), V); // tied head
}

// grads += ∂/∂θ of Σ dlp·log p(target) + ⟨dlogits, logits⟩ + Σ dvalues·V, after
// transformerForward on the same batch. The logits in the workspace are consumed.
export function transformerBackward(
  cfg: usize, params: usize, grads: usize, tokens: usize, targets: usize, mask: usize,
  dlp: usize, lse: usize, dlogits: usize, positions: usize, dvalues: usize, B: i32, T: i32, work: usize,
): void {
  setup(cfg, B, T);
  const lnf = at(work, O_LNF), dx = at(work, O_DX), dres = at(work, O_DRES);
  const wte = P(params, cfg, NnTensor.TOKEN_EMBEDDING, -1), dwte = P(grads, cfg, NnTensor.TOKEN_EMBEDDING, -1);
  if (dlp != 0 || dlogits != 0) {
    const dz = at(work, O_LOGITS);
    logitsGradient(dz, dlp, lse, targets, mask, dlogits, N, V);
    sgemm(0, 0, N, C, V, dz, V, wte, C, false, dx, C); // dlnf = dz · Wte
    sgemm(1, 0, V, C, N, dz, V, lnf, C, true, dwte, C); // dWte += dzᵀ · lnf
  } else {
    memory.fill(dx, 0, <usize>(N * C) << 2);
  }
  if (dvalues != 0) valueBackward(cfg, params, grads, lnf, dx, positions, dvalues, B, T, C);
  memory.fill(dres, 0, <usize>(N * C) << 2);
  const last = L > 0 ? at(work, O_LAYERS + (L - 1) * LSIZE + L_RES3) : at(work, O_ENC);
  layernormBackward(dres, P(grads, cfg, NnTensor.LNF_WEIGHT, -1), P(grads, cfg, NnTensor.LNF_BIAS, -1), dx, last,
    P(params, cfg, NnTensor.LNF_WEIGHT, -1), at(work, O_LNFM), at(work, O_LNFR), N, C);
  const dqkv = at(work, O_DQKV), dfch = at(work, O_DFCH);
  for (let l = L - 1; l >= 0; l--) {
    const w = at(work, O_LAYERS + l * LSIZE);
    const res = l == 0 ? at(work, O_ENC) : at(work, O_LAYERS + (l - 1) * LSIZE + L_RES3);
    // res3 = res2 + act(LN₂(res2)·Wfc + bfc)·Wproj + bproj
    linearBackward(dfch, P(grads, cfg, NnTensor.FC_PROJ_WEIGHT, l), P(grads, cfg, NnTensor.FC_PROJ_BIAS, l), dres,
      at(w, L_FCHG), P(params, cfg, NnTensor.FC_PROJ_WEIGHT, l), N, H, C, false);
    activationBackward(ACT, dfch, dfch, at(w, L_FCH), at(w, L_FCHG), N * H);
    linearBackward(dx, P(grads, cfg, NnTensor.FC_WEIGHT, l), P(grads, cfg, NnTensor.FC_BIAS, l), dfch,
      at(w, L_LN2), P(params, cfg, NnTensor.FC_WEIGHT, l), N, C, H, false);
    layernormBackward(dres, P(grads, cfg, NnTensor.LN2_WEIGHT, l), P(grads, cfg, NnTensor.LN2_BIAS, l), dx, at(w, L_RES2),
      P(params, cfg, NnTensor.LN2_WEIGHT, l), at(w, L_LN2M), at(w, L_LN2R), N, C);
    // res2 = res + attention(LN₁(res)·Wqkv + bqkv)·Wo + bo
    linearBackward(dx, P(grads, cfg, NnTensor.ATTN_PROJ_WEIGHT, l), P(grads, cfg, NnTensor.ATTN_PROJ_BIAS, l), dres,
      at(w, L_ATTY), P(params, cfg, NnTensor.ATTN_PROJ_WEIGHT, l), N, C, C, false);
    memory.fill(dqkv, 0, <usize>(3 * N * C) << 2);
    attentionBackward(dqkv, dx, at(w, L_QKV), at(w, L_ATT), at(work, O_ROW), B, T, C, NH);
    linearBackward(dx, P(grads, cfg, NnTensor.QKV_WEIGHT, l), P(grads, cfg, NnTensor.QKV_BIAS, l), dqkv,
      w, P(params, cfg, NnTensor.QKV_WEIGHT, l), N, C, 3 * C, false);
    layernormBackward(dres, P(grads, cfg, NnTensor.LN1_WEIGHT, l), P(grads, cfg, NnTensor.LN1_BIAS, l), dx, res,
      P(params, cfg, NnTensor.LN1_WEIGHT, l), at(w, L_LN1M), at(w, L_LN1R), N, C);
  }
  embeddingBackward(dwte, P(grads, cfg, NnTensor.POSITION_EMBEDDING, -1), dres, tokens, B, T, C);
}

// ---- KV-cache step -----------------------------------------------------------------------------
// Cache (f32 elements): keys transposed Kᵀ [L, B, C, Tmax] (so q·Kᵀ reads rows in place), values
// V [L, B, Tmax, C], then the step's rows: x [B,C], ln [B,C], mean/rstd [B,B], qkv [B,3C],
// atty [B,C], fch [B,H], fchg [B,H], logits [B,V], scores [Tmax].
// Each step runs the layers of the full forward on one position per sequence, reading earlier
// keys and values from the cache; every row is computed by the same code in the same order as
// in transformerForward, so the logits equal the full recomputation's bit for bit.

let S_K: i32 = 0, S_V: i32 = 0, S_X: i32 = 0, S_LN: i32 = 0, S_M: i32 = 0, S_R: i32 = 0, S_QKV: i32 = 0;
let S_ATTY: i32 = 0, S_FCH: i32 = 0, S_FCHG: i32 = 0, S_LOGITS: i32 = 0, S_ATT: i32 = 0;
let S_TOTAL: f64 = 0;

function setupCache(cfg: usize, B: i32, T: i32): void {
  dims(cfg);
  layStart();
  S_K = lay(L, B, T, C);
  S_V = lay(L, B, T, C);
  S_X = lay(B, C);
  S_LN = lay(B, C);
  S_M = lay(B);
  S_R = lay(B);
  S_QKV = lay(3, B, C);
  S_ATTY = lay(B, C);
  S_FCH = lay(B, H);
  S_FCHG = lay(B, H);
  S_LOGITS = lay(B, V);
  S_ATT = lay(T);
  S_TOTAL = layTotal();
}

/** f32 elements of the KV cache of B sequences of up to T positions. */
export function transformerCacheSize(cfg: usize, B: i32, T: i32): f64 {
  setupCache(cfg, B, T);
  return S_TOTAL;
}

/** Offset of the step's logits [B, V] in the cache. */
export function transformerCacheLogits(cfg: usize, B: i32, T: i32): i32 {
  setupCache(cfg, B, T);
  return S_LOGITS;
}

// Position t of every sequence: tok [B] are the tokens at t; keys/values of positions < t are in
// the cache (written by earlier steps). Leaves logits [B, V] at transformerCacheLogits.
export function transformerStep(cfg: usize, params: usize, cache: usize, tok: usize, t: i32, B: i32, T: i32): void {
  setupCache(cfg, B, T);
  const hs = C / NH;
  const scale = <f32>1 / Mathf.sqrt(<f32>hs);
  const wte = P(params, cfg, NnTensor.TOKEN_EMBEDDING, -1), wpe = P(params, cfg, NnTensor.POSITION_EMBEDDING, -1);
  const x = at(cache, S_X), ln = at(cache, S_LN), qkv = at(cache, S_QKV), atty = at(cache, S_ATTY);
  const fch = at(cache, S_FCH), fchg = at(cache, S_FCHG);
  for (let b = 0; b < B; b++) addRows(at(x, b * C), at(wte, load<i32>(at(tok, b)) * C), at(wpe, t * C), C);
  for (let l = 0; l < L; l++) {
    layernormForward(ln, at(cache, S_M), at(cache, S_R), x, P(params, cfg, NnTensor.LN1_WEIGHT, l), P(params, cfg, NnTensor.LN1_BIAS, l), B, C, EPS);
    linearForward(qkv, ln, P(params, cfg, NnTensor.QKV_WEIGHT, l), P(params, cfg, NnTensor.QKV_BIAS, l), 0, B, C, 3 * C);
    for (let b = 0; b < B; b++) {
      const kt = at(cache, S_K + (l * B + b) * C * T), v0 = at(cache, S_V + (l * B + b) * T * C);
      const k = at(qkv, b * 3 * C + C);
      for (let c = 0; c < C; c++) store<f32>(at(kt, c * T + t), load<f32>(at(k, c)));
      memory.copy(at(v0, t * C), at(qkv, b * 3 * C + 2 * C), <usize>C << 2);
      const s = at(cache, S_ATT);
      for (let h = 0; h < NH; h++) {
        sgemm(0, 0, 1, t + 1, hs, at(qkv, b * 3 * C + h * hs), hs, at(kt, h * hs * T), T, false, s, T); // q·Kᵀ
        causalSoftmaxRow(s, t, t + 1, scale);
        sgemm(0, 0, 1, hs, t + 1, s, T, at(v0, h * hs), C, false, at(atty, b * C + h * hs), C); // p·V
      }
    }
    linearForward(x, atty, P(params, cfg, NnTensor.ATTN_PROJ_WEIGHT, l), P(params, cfg, NnTensor.ATTN_PROJ_BIAS, l), x, B, C, C);
    layernormForward(ln, at(cache, S_M), at(cache, S_R), x, P(params, cfg, NnTensor.LN2_WEIGHT, l), P(params, cfg, NnTensor.LN2_BIAS, l), B, C, EPS);
    linearForward(fch, ln, P(params, cfg, NnTensor.FC_WEIGHT, l), P(params, cfg, NnTensor.FC_BIAS, l), 0, B, C, H);
    activationForward(ACT, fchg, fch, B * H);
    linearForward(x, fchg, P(params, cfg, NnTensor.FC_PROJ_WEIGHT, l), P(params, cfg, NnTensor.FC_PROJ_BIAS, l), x, B, H, C);
  }
  layernormForward(ln, at(cache, S_M), at(cache, S_R), x, P(params, cfg, NnTensor.LNF_WEIGHT, -1), P(params, cfg, NnTensor.LNF_BIAS, -1), B, C, EPS);
  sgemm(0, 1, B, V, C, ln, C, wte, C, false, at(cache, S_LOGITS), V);
}
