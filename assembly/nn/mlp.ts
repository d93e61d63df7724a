// The small MLP language models used as cheap policies, teachers and students (Bengio et al.
// 2003's neural probabilistic LM, in the two variants of the CPU experiment substrate):
//   WindowMLP:       x_t = [e_x ; e(y_{t−k+1}) … e(y_t) ; p_t]   (PAD before the start)
//   FullContextMLP:  x_t = [e_x ; e(y_0) … e(y_{T−1}) ; p_t]      (PAD at positions > t)
//   h_t = act(x_t·W₁ + b₁),  logits_t = h_t·W₂ + b₂
// e_x is the optional prompt embedding (PROMPT_VOCAB > 0), e the token embedding, p_t the position
// embedding; the hidden activation is tanh, ReLU or GELU.
//
// Workspace (f32 elements, N = B·T): X [N, D], hpre [N, H], h [N, H], logits [N, V],
// then backward scratch dh [N, H], dX [N, D] (D = mlpInputs).
import { ModelConfig, ModelKind, NnTensor, cfgi, tensorOffset, mlpInputs, layStart, lay, layTotal } from "./config";
import { linearForward, linearBackward, activationForward, activationBackward, addInto, logitsGradient } from "./ops";
import { valueBackward } from "./value";
import { at } from "./mathf";

let V: i32 = 0, D: i32 = 0, H: i32 = 0, E: i32 = 0, ACT: i32 = 0, SLOTS: i32 = 0, PAD: i32 = 0, PV: i32 = 0;
let WINDOWED = false;
let N: i32 = 0;
let O_X: i32 = 0, O_HPRE: i32 = 0, O_H: i32 = 0, O_LOGITS: i32 = 0, O_DH: i32 = 0, O_DX: i32 = 0;
let O_TOTAL: f64 = 0;

function setup(cfg: usize, B: i32, T: i32): void {
  V = cfgi(cfg, ModelConfig.VOCAB);
  E = cfgi(cfg, ModelConfig.WIDTH);
  H = cfgi(cfg, ModelConfig.HIDDEN);
  ACT = cfgi(cfg, ModelConfig.ACTIVATION);
  PAD = cfgi(cfg, ModelConfig.PAD);
  PV = cfgi(cfg, ModelConfig.PROMPT_VOCAB);
  WINDOWED = cfgi(cfg, ModelConfig.KIND) == ModelKind.WINDOW_MLP;
  SLOTS = WINDOWED ? cfgi(cfg, ModelConfig.WINDOW) : cfgi(cfg, ModelConfig.CONTEXT);
  D = mlpInputs(cfg);
  N = B * T;
  layStart();
  O_X = lay(B, T, D);
  O_HPRE = lay(B, T, H);
  O_H = lay(B, T, H);
  O_LOGITS = lay(B, T, V);
  O_DH = lay(B, T, H);
  O_DX = lay(B, T, D);
  O_TOTAL = layTotal();
}

/** f32 elements of the workspace of B sequences of length T (also the sampler's per-step
 *  workspace with T = 1: the MLPs need no cache). */
export function mlpWorkspace(cfg: usize, B: i32, T: i32): f64 {
  setup(cfg, B, T);
  return O_TOTAL;
}
export function mlpLogits(cfg: usize, B: i32, T: i32): i32 {
  setup(cfg, B, T);
  return O_LOGITS;
}
export function mlpHidden(cfg: usize, B: i32, T: i32): i32 {
  setup(cfg, B, T);
  return O_H;
}

/** Token id in input slot j at position t of a sequence whose tokens start at `seq`. */
@inline function slotToken(seq: usize, j: i32, t: i32): i32 {
  const tt = WINDOWED ? t - SLOTS + 1 + j : j;
  return tt >= 0 && tt <= t ? load<i32>(at(seq, tt)) : PAD;
}

// X row r = (b, t): [e_x ; slot embeddings ; p_t]. `seq` holds the tokens of sequence b
// (positions 0..t are read), `prompt` its prompt id (unused without a prompt embedding).
function buildRow(cfg: usize, params: usize, xr: usize, seq: usize, prompt: i32, t: i32): void {
  let o = 0;
  if (PV > 0) {
    memory.copy(xr, at(params, tensorOffset(cfg, NnTensor.PROMPT_EMBEDDING, -1) + prompt * E), <usize>E << 2);
    o = E;
  }
  const wte = at(params, tensorOffset(cfg, NnTensor.TOKEN_EMBEDDING, -1));
  for (let j = 0; j < SLOTS; j++) memory.copy(at(xr, o + j * E), at(wte, slotToken(seq, j, t) * E), <usize>E << 2);
  memory.copy(at(xr, o + SLOTS * E), at(params, tensorOffset(cfg, NnTensor.POSITION_EMBEDDING, -1) + t * E), <usize>E << 2);
}

// The layers after the input rows: h = act(X·W₁ + b₁), logits = h·W₂ + b₂ over M rows.
function mlpLayers(cfg: usize, params: usize, X: usize, hpre: usize, h: usize, logits: usize, M: i32, headless: bool): void {
  linearForward(hpre, X, at(params, tensorOffset(cfg, NnTensor.HIDDEN_WEIGHT, -1)), at(params, tensorOffset(cfg, NnTensor.HIDDEN_BIAS, -1)), 0, M, D, H);
  activationForward(ACT, h, hpre, M * H);
  if (!headless) linearForward(logits, h, at(params, tensorOffset(cfg, NnTensor.OUT_WEIGHT, -1)), at(params, tensorOffset(cfg, NnTensor.OUT_BIAS, -1)), 0, M, H, V);
}

// logits [B·T, V] in the workspace for tokens [B, T] (prompts [B] when PROMPT_VOCAB > 0).
export function mlpForward(cfg: usize, params: usize, tokens: usize, prompts: usize, B: i32, T: i32, work: usize, headless: bool): void {
  setup(cfg, B, T);
  for (let b = 0; b < B; b++) {
    const p = PV > 0 ? load<i32>(at(prompts, b)) : 0;
    for (let t = 0; t < T; t++) buildRow(cfg, params, at(work, O_X + (b * T + t) * D), at(tokens, b * T), p, t);
  }
  mlpLayers(cfg, params, at(work, O_X), at(work, O_HPRE), at(work, O_H), at(work, O_LOGITS), N, headless);
}

// grads += ∂/∂θ (see transformerBackward for the three gradient inputs); consumes the logits.
export function mlpBackward(
  cfg: usize, params: usize, grads: usize, tokens: usize, prompts: usize, targets: usize, mask: usize,
  dlp: usize, lse: usize, dlogits: usize, positions: usize, dvalues: usize, B: i32, T: i32, work: usize,
): void {
  setup(cfg, B, T);
  const dh = at(work, O_DH), dX = at(work, O_DX), h = at(work, O_H);
  if (dlp != 0 || dlogits != 0) {
    const dz = at(work, O_LOGITS);
    logitsGradient(dz, dlp, lse, targets, mask, dlogits, N, V);
    linearBackward(dh, at(grads, tensorOffset(cfg, NnTensor.OUT_WEIGHT, -1)), at(grads, tensorOffset(cfg, NnTensor.OUT_BIAS, -1)), dz, h,
      at(params, tensorOffset(cfg, NnTensor.OUT_WEIGHT, -1)), N, H, V, false);
  } else {
    memory.fill(dh, 0, <usize>(N * H) << 2);
  }
  if (dvalues != 0) valueBackward(cfg, params, grads, h, dh, positions, dvalues, B, T, H);
  activationBackward(ACT, dh, dh, at(work, O_HPRE), h, N * H);
  linearBackward(dX, at(grads, tensorOffset(cfg, NnTensor.HIDDEN_WEIGHT, -1)), at(grads, tensorOffset(cfg, NnTensor.HIDDEN_BIAS, -1)), dh, at(work, O_X),
    at(params, tensorOffset(cfg, NnTensor.HIDDEN_WEIGHT, -1)), N, D, H, false);
  // Scatter the input gradient back to the embeddings, rows and slots in increasing order.
  const dwte = at(grads, tensorOffset(cfg, NnTensor.TOKEN_EMBEDDING, -1));
  const dwpe = at(grads, tensorOffset(cfg, NnTensor.POSITION_EMBEDDING, -1));
  const dwpx = PV > 0 ? at(grads, tensorOffset(cfg, NnTensor.PROMPT_EMBEDDING, -1)) : 0;
  for (let b = 0; b < B; b++) {
    const seq = at(tokens, b * T);
    for (let t = 0; t < T; t++) {
      const dr = at(dX, (b * T + t) * D);
      let o = 0;
      if (PV > 0) {
        addInto(at(dwpx, load<i32>(at(prompts, b)) * E), dr, E);
        o = E;
      }
      for (let j = 0; j < SLOTS; j++) addInto(at(dwte, slotToken(seq, j, t) * E), at(dr, o + j * E), E);
      addInto(at(dwpe, t * E), at(dr, o + SLOTS * E), E);
    }
  }
}

// One sampling step: position t of B sequences (tokens [B, Tmax] hold positions 0..t); logits
// [B, V] at mlpLogits(cfg, B, 1) of `work`. The rows are built and multiplied exactly as in
// mlpForward, so they equal the full recomputation's rows bit for bit.
export function mlpStep(cfg: usize, params: usize, work: usize, tokens: usize, prompts: usize, t: i32, B: i32, Tmax: i32): void {
  setup(cfg, B, 1);
  for (let b = 0; b < B; b++) {
    const p = PV > 0 ? load<i32>(at(prompts, b)) : 0;
    buildRow(cfg, params, at(work, O_X + b * D), at(tokens, b * Tmax), p, t);
  }
  mlpLayers(cfg, params, at(work, O_X), at(work, O_HPRE), at(work, O_H), at(work, O_LOGITS), B, false);
}
