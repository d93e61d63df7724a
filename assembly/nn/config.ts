// Model configuration and parameter layout of the networks of assembly/nn. A model is described
// by an f64 `cfg` block (ModelConfig slots); its parameters are one contiguous f32 block whose
// tensors follow each other in the order `walk` lists them (no padding), and its gradients a
// block of the same layout. The SDK reads the layout through nn_tensor_info and never
// recomputes it.
import { Status, setStatusArg } from "../core/status";
import { Activation } from "./ops";

/** Slots of the f64 `cfg` block of every nn export. */
export const enum ModelConfig {
  /** A ModelKind. */
  KIND = 0,
  /** Vocabulary size V (token ids 0..V−1). */
  VOCAB = 1,
  /** Context length: the largest sequence length T the model accepts (position embeddings). */
  CONTEXT = 2,
  /** Transformer blocks (transformer only). */
  LAYERS = 3,
  /** Attention heads (transformer only); WIDTH / HEADS must be a multiple of 4. */
  HEADS = 4,
  /** Transformer: model width C (a multiple of 4). MLPs: embedding dimension d. */
  WIDTH = 5,
  /** Hidden units: the transformer's MLP width (usually 4C), the MLPs' hidden layer H. */
  HIDDEN = 6,
  /** WindowMLP: number k of previous tokens the input sees. */
  WINDOW = 7,
  /** MLPs: number of prompt ids for the prompt embedding e_x (0: no prompt input). */
  PROMPT_VOCAB = 8,
  /** 1: a scalar value head V(x) on the final hidden state (see model.ts). */
  VALUE_HEAD = 9,
  /** An Activation code: the transformer MLP's (GELU by default) or the MLPs' hidden layer's. */
  ACTIVATION = 10,
  /** The padding token id (MLP windows before position 0, sampler fill after EOS). */
  PAD = 11,
  /** Standard deviation of the normal initialisation of the transformer's weights. */
  INIT_STD = 12,
  /** ε of LayerNorm. */
  LN_EPS = 13,
  /** Number of slots. */
  SLOTS = 14,
}

/** Model families (slot KIND). */
export const enum ModelKind {
  /** Decoder-only transformer: token + position embeddings, pre-norm blocks (LayerNorm, causal
   *  multi-head attention, LayerNorm, MLP, residuals), final LayerNorm, tied output head. */
  TRANSFORMER = 0,
  /** WindowMLP-LM: [e_x; embeddings of the last k tokens (PAD before the start); e_pos] →
   *  hidden layer → softmax over V. */
  WINDOW_MLP = 1,
  /** FullContextMLP: [e_x; embeddings of positions 0..CONTEXT−1 (PAD at and after t+1); e_pos]
   *  → hidden layer → softmax over V. */
  FULL_CONTEXT_MLP = 2,
}

/** What a parameter tensor is (field KIND of nn_tensor_info). Linear weights are [in, out]. */
export const enum NnTensor {
  /** Token embedding [V, C]; the transformer's output head is its transpose (tied). */
  TOKEN_EMBEDDING = 0,
  /** Position embedding [CONTEXT, C]. */
  POSITION_EMBEDDING = 1,
  /** Prompt embedding [PROMPT_VOCAB, d] (MLPs). */
  PROMPT_EMBEDDING = 2,
  /** Block LayerNorm before attention: gain [C]. */
  LN1_WEIGHT = 3,
  /** Block LayerNorm before attention: bias [C]. */
  LN1_BIAS = 4,
  /** Query/key/value projection [C, 3C]. */
  QKV_WEIGHT = 5,
  /** Query/key/value bias [3C]. */
  QKV_BIAS = 6,
  /** Attention output projection [C, C]. */
  ATTN_PROJ_WEIGHT = 7,
  /** Attention output bias [C]. */
  ATTN_PROJ_BIAS = 8,
  /** Block LayerNorm before the MLP: gain [C]. */
  LN2_WEIGHT = 9,
  /** Block LayerNorm before the MLP: bias [C]. */
  LN2_BIAS = 10,
  /** MLP input layer [C, HIDDEN]. */
  FC_WEIGHT = 11,
  /** MLP input bias [HIDDEN]. */
  FC_BIAS = 12,
  /** MLP output layer [HIDDEN, C]. */
  FC_PROJ_WEIGHT = 13,
  /** MLP output bias [C]. */
  FC_PROJ_BIAS = 14,
  /** Final LayerNorm gain [C]. */
  LNF_WEIGHT = 15,
  /** Final LayerNorm bias [C]. */
  LNF_BIAS = 16,
  /** MLP-LM hidden layer [inputs, HIDDEN]. */
  HIDDEN_WEIGHT = 17,
  /** MLP-LM hidden bias [HIDDEN]. */
  HIDDEN_BIAS = 18,
  /** MLP-LM output layer [HIDDEN, V]. */
  OUT_WEIGHT = 19,
  /** MLP-LM output bias [V]. */
  OUT_BIAS = 20,
  /** Value head weight [width] (transformer: C; MLPs: HIDDEN). */
  VALUE_WEIGHT = 21,
  /** Value head bias [1]. */
  VALUE_BIAS = 22,
}

/** Fields of one row written by nn_tensor_info. */
export const enum TensorInfo {
  /** An NnTensor code. */
  KIND = 0,
  /** Transformer block index (−1 outside the blocks). */
  LAYER = 1,
  /** Offset in the parameter block (f32 elements). */
  OFFSET = 2,
  /** Rows (1 for vectors). */
  ROWS = 3,
  /** Columns. */
  COLS = 4,
  /** 1 when AdamW's weight decay applies under the "matrices" rule (2-D tensors). */
  DECAY = 5,
  /** Number of fields. */
  FIELDS = 6,
}

@inline export function cfgi(cfg: usize, slot: i32): i32 {
  return <i32>load<f64>(cfg + (<usize>slot << 3));
}
@inline export function cfgf(cfg: usize, slot: i32): f64 {
  return load<f64>(cfg + (<usize>slot << 3));
}

/** Input width of the MLPs' hidden layer: (e_x) + slots·d + d (position). */
export function mlpInputs(cfg: usize): i32 {
  const d = cfgi(cfg, ModelConfig.WIDTH);
  const slots = cfgi(cfg, ModelConfig.KIND) == ModelKind.WINDOW_MLP ? cfgi(cfg, ModelConfig.WINDOW) : cfgi(cfg, ModelConfig.CONTEXT);
  return (cfgi(cfg, ModelConfig.PROMPT_VOCAB) > 0 ? d : 0) + slots * d + d;
}

/** Status.OK when the configuration is one the engine can run; else BAD_ARG with the offending
 *  slot in status_arg(). The SDK validates first and names the problem; this is the backstop
 *  that keeps bad numbers from reaching the layout code. */
export function checkConfig(cfg: usize): Status {
  for (let s = 0; s < ModelConfig.SLOTS; s++) {
    const v = cfgf(cfg, s);
    if (!(v == v) || !(Math.abs(v) < 1e9)) return bad(s);
  }
  const kind = cfgi(cfg, ModelConfig.KIND);
  if (kind < 0 || kind > 2) return bad(ModelConfig.KIND);
  if (cfgi(cfg, ModelConfig.VOCAB) < 2) return bad(ModelConfig.VOCAB);
  if (cfgi(cfg, ModelConfig.CONTEXT) < 1) return bad(ModelConfig.CONTEXT);
  const C = cfgi(cfg, ModelConfig.WIDTH);
  if (C < 1) return bad(ModelConfig.WIDTH);
  if (cfgi(cfg, ModelConfig.HIDDEN) < 1) return bad(ModelConfig.HIDDEN);
  const act = cfgi(cfg, ModelConfig.ACTIVATION);
  if (act < Activation.GELU || act > Activation.RELU) return bad(ModelConfig.ACTIVATION);
  const pad = cfgi(cfg, ModelConfig.PAD);
  if (pad < 0 || pad >= cfgi(cfg, ModelConfig.VOCAB)) return bad(ModelConfig.PAD);
  if (cfgi(cfg, ModelConfig.PROMPT_VOCAB) < 0) return bad(ModelConfig.PROMPT_VOCAB);
  const vh = cfgi(cfg, ModelConfig.VALUE_HEAD);
  if (vh != 0 && vh != 1) return bad(ModelConfig.VALUE_HEAD);
  if (!(cfgf(cfg, ModelConfig.LN_EPS) > 0)) return bad(ModelConfig.LN_EPS);
  if (!(cfgf(cfg, ModelConfig.INIT_STD) >= 0)) return bad(ModelConfig.INIT_STD);
  if (kind == ModelKind.TRANSFORMER) {
    const nh = cfgi(cfg, ModelConfig.HEADS);
    if (cfgi(cfg, ModelConfig.LAYERS) < 0) return bad(ModelConfig.LAYERS);
    if (nh < 1 || C % nh != 0 || (C / nh) % 4 != 0) return bad(ModelConfig.HEADS);
    if (cfgi(cfg, ModelConfig.PROMPT_VOCAB) != 0) return bad(ModelConfig.PROMPT_VOCAB);
  } else {
    if (kind == ModelKind.WINDOW_MLP && cfgi(cfg, ModelConfig.WINDOW) < 1) return bad(ModelConfig.WINDOW);
    const slots = kind == ModelKind.WINDOW_MLP ? cfgi(cfg, ModelConfig.WINDOW) : cfgi(cfg, ModelConfig.CONTEXT);
    if ((<f64>slots + 2) * <f64>C > 16777216) return bad(ModelConfig.WIDTH); // input width must fit i32 products
  }
  return Status.OK;
}

function bad(slot: i32): Status {
  setStatusArg(<f64>slot);
  return Status.BAD_ARG;
}

// ---- the layout walker ----------------------------------------------------------------------
// `walk` lists the tensors of a model in block order. With want ≥ 0 it writes the TensorInfo
// row of tensor `want` to `out`; it always returns the number of tensors, and leaves the total
// parameter count in `walkTotal`. Every offset in assembly/nn comes from here.

let wWant: i32 = -1;
let wOut: usize = 0;
let wIndex: i32 = 0;
let wOffset: f64 = 0; // f64: a configuration too large for i32 offsets is reported, not wrapped
export let walkTotal: f64 = 0;

let wKind: i32 = -1;
let wLayer: i32 = -1;
let wFound: i32 = -1;

function emit(kind: i32, layer: i32, rows: i32, cols: i32): void {
  if (kind == wKind && layer == wLayer) wFound = <i32><i64>wOffset;
  if (wIndex == wWant) {
    store<i32>(wOut, kind);
    store<i32>(wOut, layer, 4);
    store<i32>(wOut, <i32><i64>wOffset, 8);
    store<i32>(wOut, rows, 12);
    store<i32>(wOut, cols, 16);
    store<i32>(wOut, rows > 1 && cols > 1 ? 1 : 0, 20);
  }
  wIndex++;
  wOffset += <f64>rows * <f64>cols;
}

export function walk(cfg: usize, want: i32, out: usize): i32 {
  wWant = want;
  wOut = out;
  wIndex = 0;
  wOffset = 0;
  const kind = cfgi(cfg, ModelConfig.KIND);
  const V = cfgi(cfg, ModelConfig.VOCAB), T = cfgi(cfg, ModelConfig.CONTEXT);
  const C = cfgi(cfg, ModelConfig.WIDTH), H = cfgi(cfg, ModelConfig.HIDDEN);
  const vh = cfgi(cfg, ModelConfig.VALUE_HEAD) != 0;
  emit(NnTensor.TOKEN_EMBEDDING, -1, V, C);
  emit(NnTensor.POSITION_EMBEDDING, -1, T, C);
  if (kind == ModelKind.TRANSFORMER) {
    const L = cfgi(cfg, ModelConfig.LAYERS);
    for (let l = 0; l < L; l++) {
      emit(NnTensor.LN1_WEIGHT, l, 1, C);
      emit(NnTensor.LN1_BIAS, l, 1, C);
      emit(NnTensor.QKV_WEIGHT, l, C, 3 * C);
      emit(NnTensor.QKV_BIAS, l, 1, 3 * C);
      emit(NnTensor.ATTN_PROJ_WEIGHT, l, C, C);
      emit(NnTensor.ATTN_PROJ_BIAS, l, 1, C);
      emit(NnTensor.LN2_WEIGHT, l, 1, C);
      emit(NnTensor.LN2_BIAS, l, 1, C);
      emit(NnTensor.FC_WEIGHT, l, C, H);
      emit(NnTensor.FC_BIAS, l, 1, H);
      emit(NnTensor.FC_PROJ_WEIGHT, l, H, C);
      emit(NnTensor.FC_PROJ_BIAS, l, 1, C);
    }
    emit(NnTensor.LNF_WEIGHT, -1, 1, C);
    emit(NnTensor.LNF_BIAS, -1, 1, C);
    if (vh) {
      emit(NnTensor.VALUE_WEIGHT, -1, 1, C);
      emit(NnTensor.VALUE_BIAS, -1, 1, 1);
    }
  } else {
    const PV = cfgi(cfg, ModelConfig.PROMPT_VOCAB);
    if (PV > 0) emit(NnTensor.PROMPT_EMBEDDING, -1, PV, C);
    emit(NnTensor.HIDDEN_WEIGHT, -1, mlpInputs(cfg), H);
    emit(NnTensor.HIDDEN_BIAS, -1, 1, H);
    emit(NnTensor.OUT_WEIGHT, -1, H, V);
    emit(NnTensor.OUT_BIAS, -1, 1, V);
    if (vh) {
      emit(NnTensor.VALUE_WEIGHT, -1, 1, H);
      emit(NnTensor.VALUE_BIAS, -1, 1, 1);
    }
  }
  walkTotal = wOffset;
  wWant = -1;
  return wIndex;
}

/** Offset (f32 elements) of tensor `kind` of block `layer` (−1 outside the blocks), or −1 when
 *  the model has no such tensor. */
export function tensorOffset(cfg: usize, kind: i32, layer: i32): i32 {
  wKind = kind;
  wLayer = layer;
  wFound = -1;
  walk(cfg, -1, 0);
  wKind = -1;
  return wFound;
}

// ---- workspace layouts ------------------------------------------------------------------------
// Workspaces are carved by `lay`: each call reserves the product of its factors and returns the
// offset. Totals are kept in f64 (exact here), so a batch whose workspace would not fit i32
// offsets gets an honest size — which the SDK refuses (its blocks stop at 1 GiB) — instead of a
// wrapped one; offsets are only used for sizes the SDK accepted.

let layCursor: f64 = 0;

/** Start a new layout at offset 0. */
export function layStart(): void {
  layCursor = 0;
}

/** Reserve a·b·c·d elements; returns their offset. */
export function lay(a: i32, b: i32 = 1, c: i32 = 1, d: i32 = 1): i32 {
  const off = layCursor;
  layCursor += <f64>a * <f64>b * <f64>c * <f64>d;
  return <i32><i64>off;
}

/** Reserve n elements given as f64 (a product computed by the caller); returns the offset. */
export function layF(n: f64): i32 {
  const off = layCursor;
  layCursor += n;
  return <i32><i64>off;
}

/** The size of the current layout. */
export function layTotal(): f64 {
  return layCursor;
}
