// The exports of the neural-network engine: configuration and layout, initialisation, forward,
// per-token log-probabilities, the value head, backward, sampling and a single-layer entry for
// the tests. Each export validates what could make it read or write outside its blocks (token
// ids, positions, prompt ids, sizes) and returns Status.BAD_ARG with the offending index in
// status_arg(); the SDK checks first and raises a typed error naming it.
//
// Life cycle of a training step, as the SDK drives it:
//   nn_forward(tokens)                  activations and logits into the workspace
//   nn_logprobs(targets, mask)          ℓ_t = log p(target_t), per-sequence Σ_t m_t ℓ_t (f64)
//   (the loss turns ℓ into dℓ = ∂L/∂ℓ, and/or full-vocabulary ∂L/∂logits)
//   nn_backward(dℓ, dlogits)            gradients ADDED into `grads` (zero them explicitly)
//   nn_grad_norm, nn_adamw              clipping and the optimiser step (optim.ts)
import { ptr, opt_ptr, flag } from "../core/mem";
import { Status, setStatusArg } from "../core/status";
import { rng_fill_normal } from "../core/rng";
import { ModelConfig, ModelKind, NnTensor, TensorInfo, cfgi, cfgf, checkConfig, walk, walkTotal } from "./config";
import { transformerForward, transformerBackward, transformerWorkspace, transformerLogits, transformerHidden } from "./transformer";
import { mlpForward, mlpBackward, mlpWorkspace, mlpLogits, mlpHidden } from "./mlp";
import { valueForward } from "./value";
import { sample, sampleWorkspace } from "./sample";
import {
  linearForward, linearBackward, layernormForward, layernormBackward, activationForward, activationBackward,
  embeddingForward, embeddingBackward, addRows, addInto,
} from "./ops";
import { logSoftmaxGather, gatherSoftmaxBackward, maskedRowSum, mixtureLogSoftmaxGather } from "./losses";
import { attentionForward, attentionBackward } from "./attention";
import { at } from "./mathf";

/** Status.OK when `cfg` (ModelConfig slots) describes a model the engine can run; otherwise
 *  BAD_ARG with the offending slot in status_arg(). */
export function nn_check_config(cfg: ptr<f64>): Status {
  return checkConfig(cfg);
}

/** Number of parameters: the f32 length of the model's parameter block (and of its gradient
 *  and optimiser-moment blocks). An f64, so an oversized configuration is reported, not wrapped. */
export function nn_param_count(cfg: ptr<f64>): f64 {
  walk(cfg, -1, 0);
  return walkTotal;
}

/** Number of parameter tensors (rows nn_tensor_info can describe). */
export function nn_tensor_count(cfg: ptr<f64>): i32 {
  return walk(cfg, -1, 0);
}

/** Writes the TensorInfo fields (kind, layer, offset, rows, cols, decay) of tensor `index`
 *  (0 ≤ index < nn_tensor_count) to `info`. Linear weights are [in, out] row-major. */
export function nn_tensor_info(cfg: ptr<f64>, index: i32, info: ptr<i32>): void {
  walk(cfg, index, info);
}

/** f32 elements of the workspace of a forward + backward pass over B sequences of length T
 *  (activations, logits and backward scratch). A workspace sized for (B, T) serves any
 *  smaller batch. An f64: sizes beyond the engine's blocks are reported, not wrapped. */
export function nn_workspace_size(cfg: ptr<f64>, B: i32, T: i32): f64 {
  return lseOffset(cfg, B, T) + 2 * <f64>B * <f64>T;
}

// The workspace: the model's activations and logits, then (at an even offset, so 8-byte
// aligned) the f64 log-sum-exp of every logits row, written by nn_logprobs and read by the
// backward of dlogp (one normaliser per row, computed once).
@inline function lseOffset(cfg: usize, B: i32, T: i32): f64 {
  const a = cfgi(cfg, ModelConfig.KIND) == ModelKind.TRANSFORMER ? transformerWorkspace(cfg, B, T) : mlpWorkspace(cfg, B, T);
  return a + (a % 2);
}

/** Offset (f32 elements) of the logits [B·T, V] inside the workspace after nn_forward. */
export function nn_logits_offset(cfg: ptr<f64>, B: i32, T: i32): i32 {
  return cfgi(cfg, ModelConfig.KIND) == ModelKind.TRANSFORMER ? transformerLogits(cfg, B, T) : mlpLogits(cfg, B, T);
}

let normals: usize = 0;
const NORMAL_CHUNK: i32 = 256;

// Fill n floats at p with N(0, std²) draws from the generator (tensor order, so a seed fixes
// every parameter), or with a constant when std = 0.
function fillNormal(rng: usize, p: usize, n: i32, std: f64, constant: f32): void {
  if (std == 0) {
    for (let i = 0; i < n; i++) store<f32>(at(p, i), constant);
    return;
  }
  if (normals == 0) normals = heap.alloc(<usize>NORMAL_CHUNK << 3);
  for (let i = 0; i < n; i += NORMAL_CHUNK) {
    const k = min(NORMAL_CHUNK, n - i);
    rng_fill_normal(rng, normals, k);
    for (let j = 0; j < k; j++) store<f32>(at(p, i + j), <f32>(std * load<f64>(normals + (<usize>j << 3))));
  }
}

/** Initialise the parameters from the generator `rng`. Transformer (GPT-2's scheme): weights and
 *  embeddings N(0, σ²) with σ = INIT_STD, the two projections that write into the residual
 *  stream N(0, σ²/(2L)), biases 0, LayerNorm gains 1. MLPs (fan-in scaling, so tanh starts in its
 *  linear range): embeddings N(0, 1), a layer with n inputs N(0, 1/n), biases 0. */
export function nn_init(cfg: ptr<f64>, params: ptr<f32>, rng: ptr<u64>): void {
  const n = walk(cfg, -1, 0);
  const transformer = cfgi(cfg, ModelConfig.KIND) == ModelKind.TRANSFORMER;
  const std = cfgf(cfg, ModelConfig.INIT_STD);
  const L = max(1, cfgi(cfg, ModelConfig.LAYERS));
  const info = heap.alloc(TensorInfo.FIELDS << 2);
  for (let k = 0; k < n; k++) {
    walk(cfg, k, info);
    const kind = load<i32>(info), off = load<i32>(info, 8), rows = load<i32>(info, 12), cols = load<i32>(info, 16);
    const p = at(params, off), size = rows * cols;
    let s = 0.0;
    let c: f32 = 0;
    if (kind == NnTensor.LN1_WEIGHT || kind == NnTensor.LN2_WEIGHT || kind == NnTensor.LNF_WEIGHT) c = 1;
    else if (kind == NnTensor.TOKEN_EMBEDDING || kind == NnTensor.POSITION_EMBEDDING || kind == NnTensor.PROMPT_EMBEDDING) s = transformer ? std : 1.0;
    else if (kind == NnTensor.ATTN_PROJ_WEIGHT || kind == NnTensor.FC_PROJ_WEIGHT) s = std / Math.sqrt(2.0 * <f64>L);
    else if (kind == NnTensor.QKV_WEIGHT || kind == NnTensor.FC_WEIGHT) s = std;
    else if (kind == NnTensor.HIDDEN_WEIGHT || kind == NnTensor.OUT_WEIGHT) s = 1.0 / Math.sqrt(<f64>rows);
    else if (kind == NnTensor.VALUE_WEIGHT) s = transformer ? std : 1.0 / Math.sqrt(<f64>cols);
    fillNormal(rng, p, size, s, c);
  }
  heap.free(info);
}

// ---- argument checks ---------------------------------------------------------------------------

function badIndex(i: i32): Status {
  setStatusArg(<f64>i);
  return Status.BAD_ARG;
}

/** BAD_ARG (status_arg = flat index) unless every id in ids[0..n) is in [0, bound). */
function checkIds(ids: usize, n: i32, bound: i32): Status {
  for (let i = 0; i < n; i++) {
    const v = load<i32>(at(ids, i));
    if (v < 0 || v >= bound) return badIndex(i);
  }
  return Status.OK;
}

function checkBatch(cfg: usize, tokens: usize, prompts: usize, B: i32, T: i32): Status {
  const st = checkConfig(cfg);
  if (st != Status.OK) return st;
  if (B < 1 || T < 1 || T > cfgi(cfg, ModelConfig.CONTEXT)) {
    setStatusArg(-1);
    return Status.BAD_ARG;
  }
  const s = checkIds(tokens, B * T, cfgi(cfg, ModelConfig.VOCAB));
  if (s != Status.OK) return s;
  const PV = cfgi(cfg, ModelConfig.PROMPT_VOCAB);
  if (PV > 0) {
    if (prompts == 0) return badIndex(-2);
    const sp = checkIds(prompts, B, PV);
    if (sp != Status.OK) {
      setStatusArg(-3);
      return sp;
    }
  }
  return Status.OK;
}

// ---- forward, log-probabilities, values -----------------------------------------------------------

/** Forward pass of B sequences of T tokens (i32 [B, T], ids < VOCAB, T ≤ CONTEXT); `prompts`
 *  [B] are the prompt ids of an MLP with a prompt embedding. Activations go to `work`
 *  (nn_workspace_size(cfg, B, T) floats); the logits [B·T, V] too, and are copied to `logits`
 *  when given. `headless` stops before the vocabulary head (for nn_values only). Returns BAD_ARG
 *  for an id out of range (status_arg: its flat index; −3 for a prompt id) or a bad shape. */
export function nn_forward(cfg: ptr<f64>, params: ptr<f32>, tokens: ptr<i32>, prompts: opt_ptr<i32>, B: i32, T: i32,
  work: ptr<f32>, headless: flag, logits: opt_ptr<f32>): Status {
  const st = checkBatch(cfg, tokens, prompts, B, T);
  if (st != Status.OK) return st;
  if (cfgi(cfg, ModelConfig.KIND) == ModelKind.TRANSFORMER) transformerForward(cfg, params, tokens, B, T, work, headless != 0);
  else mlpForward(cfg, params, tokens, prompts, B, T, work, headless != 0);
  if (logits != 0 && headless == 0) {
    memory.copy(logits, at(work, nn_logits_offset(cfg, B, T)), <usize>(B * T * cfgi(cfg, ModelConfig.VOCAB)) << 2);
  }
  return Status.OK;
}

/** After nn_forward on the same batch: logp[b, t] = log p(targets[b, t] | tokens[b, ≤t]) (the
 *  log-softmax of the logits row: logSoftmaxGather of losses.ts, max subtracted, normaliser
 *  summed in f64) where mask[b, t] ≠ 0 (no mask: everywhere), 0 elsewhere; sums[b] = Σ_t logp[b, t]
 *  accumulated in f64 in increasing t; counts[b] = number of unmasked positions. The row
 *  normalisers stay in the workspace for nn_backward's dlogp. Returns BAD_ARG
 *  for a target out of range (status_arg: its flat index), NON_FINITE (status_arg: the row) for
 *  a scored row whose logits have no finite log-sum-exp (a diverged model). */
export function nn_logprobs(cfg: ptr<f64>, work: ptr<f32>, targets: ptr<i32>, mask: opt_ptr<u8>, B: i32, T: i32,
  logp: ptr<f64>, sums: ptr<f64>, counts: ptr<f64>): Status {
  const V = cfgi(cfg, ModelConfig.VOCAB);
  const st = checkIds(targets, B * T, V);
  if (st != Status.OK) return st;
  const lse = at(work, <i32><i64>lseOffset(cfg, B, T));
  const s = logSoftmaxGather<f32>(at(work, nn_logits_offset(cfg, B, T)), targets, mask, B * T, V, 1.0, logp, lse);
  if (s != Status.OK) return s;
  maskedRowSum(logp, mask, B, T, sums, counts);
  return Status.OK;
}

/** After nn_forward of this model (cfg, work) and of a reference (refCfg, refWork; same
 *  vocabulary) on the same batch: logp[b, t] = log q(targets[b, t]) under the per-token geometric
 *  mixture q ∝ exp((1−γ)·log π + γ·log μ) that nn_sample draws from with MIXTURE γ (at
 *  temperature 1, unfiltered), where mask ≠ 0 (0 elsewhere); sums and counts as nn_logprobs.
 *  `scratch`: V f64. Returns BAD_ARG (a target out of range, or vocabularies that differ) or
 *  NON_FINITE as nn_logprobs. */
export function nn_mixture_logprobs(cfg: ptr<f64>, work: ptr<f32>, refCfg: ptr<f64>, refWork: ptr<f32>, gamma: f64, targets: ptr<i32>,
  mask: opt_ptr<u8>, B: i32, T: i32, logp: ptr<f64>, sums: ptr<f64>, counts: ptr<f64>, scratch: ptr<f64>): Status {
  const V = cfgi(cfg, ModelConfig.VOCAB);
  if (cfgi(refCfg, ModelConfig.VOCAB) != V || !(gamma >= 0 && gamma <= 1)) return badIndex(-1);
  const st = checkIds(targets, B * T, V);
  if (st != Status.OK) return st;
  const s = mixtureLogSoftmaxGather<f32>(at(work, nn_logits_offset(cfg, B, T)), at(refWork, nn_logits_offset(refCfg, B, T)), gamma,
    targets, mask, B * T, V, logp, scratch);
  if (s != Status.OK) return s;
  maskedRowSum(logp, mask, B, T, sums, counts);
  return Status.OK;
}

@inline function hiddenOffset(cfg: usize, B: i32, T: i32): i32 {
  return cfgi(cfg, ModelConfig.KIND) == ModelKind.TRANSFORMER ? transformerHidden(cfg, B, T) : mlpHidden(cfg, B, T);
}
@inline function hiddenWidth(cfg: usize): i32 {
  return cfgi(cfg, ModelConfig.KIND) == ModelKind.TRANSFORMER ? cfgi(cfg, ModelConfig.WIDTH) : cfgi(cfg, ModelConfig.HIDDEN);
}

/** After nn_forward (headless or not): the value head V(x_b) = w·h[b, positions[b]] + bias on the
 *  final hidden state at one position per sequence (the last prompt token). Needs VALUE_HEAD = 1. */
export function nn_values(cfg: ptr<f64>, params: ptr<f32>, work: ptr<f32>, positions: ptr<i32>, B: i32, T: i32, values: ptr<f32>): Status {
  if (cfgi(cfg, ModelConfig.VALUE_HEAD) == 0) return badIndex(-1);
  const st = checkIds(positions, B, T);
  if (st != Status.OK) return st;
  valueForward(cfg, params, at(work, hiddenOffset(cfg, B, T)), positions, values, B, T, hiddenWidth(cfg));
  return Status.OK;
}

// ---- backward -----------------------------------------------------------------------------------

/** After nn_forward on the same batch, ADD to `grads` the gradient of
 *    Σ_{b,t} dlogp[b,t]·log p(targets[b,t]) (where mask ≠ 0)  +  ⟨dlogits, logits⟩  +  Σ_b dvalues[b]·V(x_b)
 *  with respect to the parameters. Any of the three terms may be absent: dlogp (with targets) is
 *  the per-token path every sequence-level loss uses (dℓ = ∂L/∂ℓ_t), dlogits [B·T, V] the
 *  full-vocabulary path (distillation divergences), dvalues [B] (with positions) the value head.
 *  dlogp needs nn_logprobs on the batch first (its row normalisers are read from the workspace).
 *  The logits in the workspace are consumed (run nn_forward again to read them). */
export function nn_backward(cfg: ptr<f64>, params: ptr<f32>, grads: ptr<f32>, tokens: ptr<i32>, prompts: opt_ptr<i32>,
  targets: opt_ptr<i32>, mask: opt_ptr<u8>, dlogp: opt_ptr<f64>, dlogits: opt_ptr<f32>,
  positions: opt_ptr<i32>, dvalues: opt_ptr<f32>, B: i32, T: i32, work: ptr<f32>): Status {
  const st = checkBatch(cfg, tokens, prompts, B, T);
  if (st != Status.OK) return st;
  if (dlogp != 0) {
    if (targets == 0) return badIndex(-4);
    const s = checkIds(targets, B * T, cfgi(cfg, ModelConfig.VOCAB));
    if (s != Status.OK) return s;
  }
  if (dvalues != 0) {
    if (positions == 0 || cfgi(cfg, ModelConfig.VALUE_HEAD) == 0) return badIndex(-5);
    const s = checkIds(positions, B, T);
    if (s != Status.OK) return s;
  }
  const lse = at(work, <i32><i64>lseOffset(cfg, B, T));
  if (cfgi(cfg, ModelConfig.KIND) == ModelKind.TRANSFORMER) {
    transformerBackward(cfg, params, grads, tokens, targets, mask, dlogp, lse, dlogits, positions, dvalues, B, T, work);
  } else {
    mlpBackward(cfg, params, grads, tokens, prompts, targets, mask, dlogp, lse, dlogits, positions, dvalues, B, T, work);
  }
  return Status.OK;
}

// ---- sampling ---------------------------------------------------------------------------------------

/** f32 elements of the workspace nn_sample needs for `cfg` with B rows of up to T tokens (a KV
 *  cache for the transformer, one row per sequence for the MLPs; with `recompute`, a full forward
 *  workspace). The reference model of a mixture needs its own, sized by its own config. */
export function nn_sample_workspace_size(cfg: ptr<f64>, B: i32, T: i32, recompute: flag): f64 {
  return sampleWorkspace(cfg, B, T, recompute != 0);
}

/** Sample continuations of B prompts in place: tokens [B, T] hold each row's prompt in its first
 *  promptLen[b] ≥ 1 entries; the rest is written (sampled tokens, then PAD after EOS). Options in
 *  `options` (SampleConfig slots). With MIXTURE γ > 0 every token is drawn from the normalised
 *  per-token geometric mixture exp((1−γ)·log π + γ·log μ) of this model (π) and the reference
 *  (refCfg, refParams, refWork: μ, same vocabulary). lengths[b] = index after EOS, or T; logp [B, T]
 *  (optional) gets log q(token) under the distribution it was drawn from (0 at prompt and PAD
 *  positions, 0 for greedy). One uniform per sampled token from `rng`. */
export function nn_sample(cfg: ptr<f64>, params: ptr<f32>, work: ptr<f32>, refCfg: opt_ptr<f64>, refParams: opt_ptr<f32>,
  refWork: opt_ptr<f32>, options: ptr<f64>, tokens: ptr<i32>, promptLen: ptr<i32>, prompts: opt_ptr<i32>,
  B: i32, T: i32, rng: ptr<u64>, lengths: ptr<i32>, logp: opt_ptr<f32>): Status {
  const st = checkBatch(cfg, tokens, prompts, B, T);
  if (st != Status.OK) return st;
  if (refCfg != 0) {
    const sr = checkConfig(refCfg);
    if (sr != Status.OK) return sr;
    if (T > cfgi(refCfg, ModelConfig.CONTEXT)) return badIndex(-1);
    if (cfgi(refCfg, ModelConfig.PROMPT_VOCAB) > 0) {
      if (prompts == 0) return badIndex(-2);
      const sp = checkIds(prompts, B, cfgi(refCfg, ModelConfig.PROMPT_VOCAB));
      if (sp != Status.OK) return badIndex(-3);
    }
  }
  return sample(cfg, params, work, refCfg, refParams, refWork, options, tokens, promptLen, prompts, B, T, rng, lengths, logp);
}

// ---- single layers, for the finite-difference tests ---------------------------------------------------

/** Layers nn_layer runs on their own. */
export const enum LayerOp {
  /** dims [N, C, OC]: y [N,OC] = x [N,C]·W + b; params [W (C·OC), b (OC)]. */
  LINEAR = 0,
  /** dims [N, C]: y = LayerNorm(x) per row; params [gain (C), bias (C)]; work 2N. */
  LAYERNORM = 1,
  /** dims [n, Activation code]: y = act(x). */
  ACTIVATION = 2,
  /** dims [B, T, C, NH]: y [B,T,C] = causal attention of x = qkv [B,T,3C]; work B·NH·T·T + min(T, 32)·T. */
  ATTENTION = 3,
  /** dims [B, T, C, V, tokens (B·T)…]: y [B,T,C] = Wte[token] + Wpe[t]; params [Wte (V·C), Wpe (T·C)]. */
  EMBEDDING = 4,
  /** dims [N, V, targets (N)…]: y [N] = log-softmax of x [N,V] at the target; work N·V. */
  LOG_SOFTMAX = 5,
  /** dims [n]: y = a + b for x = [a (n), b (n)]. */
  RESIDUAL = 6,
}

/** Run one layer forward (y), and when dy is given its backward: dx and dparams receive (ADD)
 *  the gradient of ⟨dy, y⟩. For the tests' finite-difference checks of every layer. */
export function nn_layer(op: LayerOp, dims: ptr<i32>, x: ptr<f32>, params: ptr<f32>, y: ptr<f32>, dy: opt_ptr<f32>,
  dx: opt_ptr<f32>, dparams: opt_ptr<f32>, work: ptr<f32>): Status {
  const d0 = load<i32>(dims), d1 = load<i32>(dims, 4), d2 = load<i32>(dims, 8), d3 = load<i32>(dims, 12);
  const back = dy != 0;
  if (op == LayerOp.LINEAR) {
    linearForward(y, x, params, at(params, d1 * d2), 0, d0, d1, d2);
    if (back) linearBackward(dx, dparams, at(dparams, d1 * d2), dy, x, params, d0, d1, d2, true);
  } else if (op == LayerOp.LAYERNORM) {
    layernormForward(y, work, at(work, d0), x, params, at(params, d1), d0, d1, 1e-5);
    if (back) layernormBackward(dx, dparams, at(dparams, d1), dy, x, params, work, at(work, d0), d0, d1);
  } else if (op == LayerOp.ACTIVATION) {
    activationForward(d1, y, x, d0);
    if (back) activationBackward(d1, dx, dy, x, y, d0);
  } else if (op == LayerOp.ATTENTION) {
    attentionForward(y, work, x, d0, d1, d2, d3);
    if (back) attentionBackward(dx, dy, x, work, at(work, d0 * d3 * d1 * d1), d0, d1, d2, d3);
  } else if (op == LayerOp.EMBEDDING) {
    const tokens = dims + 16;
    const st = checkIds(tokens, d0 * d1, d3);
    if (st != Status.OK) return st;
    embeddingForward(y, tokens, params, at(params, d3 * d2), d0, d1, d2);
    if (back) embeddingBackward(dparams, at(dparams, d3 * d2), dy, tokens, d0, d1, d2);
  } else if (op == LayerOp.LOG_SOFTMAX) {
    const targets = dims + 8;
    const st = checkIds(targets, d0, d1);
    if (st != Status.OK) return st;
    // the model's path: logSoftmaxGather / gatherSoftmaxBackward with f64 per-row values
    const lp = heap.alloc(<usize>d0 << 3);
    logSoftmaxGather<f32>(x, targets, 0, d0, d1, 1.0, lp, 0);
    for (let r = 0; r < d0; r++) store<f32>(at(y, r), <f32>load<f64>(lp + (<usize>r << 3)));
    if (back) {
      for (let r = 0; r < d0; r++) store<f64>(lp + (<usize>r << 3), <f64>load<f32>(at(dy, r)));
      memory.copy(work, x, <usize>(d0 * d1) << 2);
      gatherSoftmaxBackward<f32>(lp, work, 0, targets, 0, d0, d1, 1.0, work, 0);
      addInto(dx, work, d0 * d1);
    }
    heap.free(lp);
  } else if (op == LayerOp.RESIDUAL) {
    addRows(y, x, at(x, d0), d0);
    if (back) {
      addInto(dx, dy, d0);
      addInto(at(dx, d0), dy, d0);
    }
  } else {
    return badIndex(-1);
  }
  return Status.OK;
}
