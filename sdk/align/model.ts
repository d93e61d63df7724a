// LanguageModel: a small neural language model whose parameters, activations, forward,
// backward and optimiser state live in the engine (assembly/nn). This file validates what the
// caller passes, keeps the engine blocks (configuration, parameters, gradients, workspace) and
// marshals batches; every number is computed in Wasm.
//
// Alignment of a batch: the model reads `inputs` [B, T] and predicts `targets` [B, T] — row t of
// the logits is the distribution of targets[b, t] given inputs[b, 0..t]. For the usual
// next-token case, `shiftTokens(sequences)` builds inputs = y[:, :−1], targets = y[:, 1:] (the
// shift Hugging Face models apply to `labels`), and masks follow the targets.
import { getEngine, input, outputF32, outputI32, output, scratch, Status, ModelConfig, ModelKind, NnTensor, TensorInfo, Activation, type Engine, type WasmBuffer } from "../engine/index.js";
import { EngineResource } from "../engine/resource.js";
import { EngineStateError, NumericalError, ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer, positive, nonNegative, seed as checkSeed } from "../core/validate.js";
import { Rng } from "../random/rng.js";

/** Model families: the decoder-only transformer, and the two MLP language models of the CPU
 *  experiment substrate (a window of the last k tokens, or the whole context). */
export type ModelKindName = "transformer" | "window-mlp" | "full-context-mlp";
/** Hidden-layer activations. "gelu" is the tanh approximation. */
export type ActivationName = "gelu" | "tanh" | "relu";

/** Configuration of a decoder-only transformer (pre-norm, GELU MLP, tied output head). */
export interface TransformerConfig {
  /** The model family: "transformer". */
  kind: "transformer";
  /** Vocabulary size V (token ids 0..V−1), ≥ 2. */
  vocab: number;
  /** Context length: the longest input the model reads (position embeddings). */
  context: number;
  /** Transformer blocks (≥ 0). */
  layers: number;
  /** Attention heads; `width / heads` must be a multiple of 4. */
  heads: number;
  /** Model width C. */
  width: number;
  /** MLP hidden width (default 4·width). */
  hidden?: number;
  /** MLP activation (default "gelu"). */
  activation?: ActivationName;
  /** Add a scalar value head V(x) on the final hidden state (default false). */
  valueHead?: boolean;
  /** Padding token id (default 0): the sampler's fill after EOS. */
  pad?: number;
  /** Standard deviation of the weights' normal initialisation (default 0.02, GPT-2's). */
  initStd?: number;
  /** LayerNorm ε (default 1e-5). */
  lnEps?: number;
}

/** Configuration of an MLP language model: input [e_x ; token embeddings ; position embedding]
 *  → one hidden layer → softmax. "window-mlp" sees the last `window` tokens, "full-context-mlp"
 *  every position of the context (PAD where there is no token yet). */
export interface MlpConfig {
  /** The model family: "window-mlp" (the last `window` tokens) or "full-context-mlp" (every position). */
  kind: "window-mlp" | "full-context-mlp";
  /** Vocabulary size V, ≥ 2. */
  vocab: number;
  /** Context length (position embeddings; the full-context input has this many slots). */
  context: number;
  /** Embedding dimension d (default 16). */
  width?: number;
  /** Hidden units H. */
  hidden: number;
  /** window-mlp: tokens the input sees (default 4). */
  window?: number;
  /** Number of prompt ids for a prompt embedding e_x (default 0: none). */
  promptVocab?: number;
  /** Hidden activation (default "tanh"). */
  activation?: ActivationName;
  /** Add a scalar value head on the hidden layer (default false). */
  valueHead?: boolean;
  /** Padding token id (default 0): fills window slots before the start. */
  pad?: number;
}

/** What LanguageModel.create accepts. */
export type ModelConfigInput = TransformerConfig | MlpConfig;

/** A configuration with every default filled in (what `model.config` returns; JSON-safe). */
export interface NormalizedModelConfig {
  /** The model family. */
  kind: ModelKindName;
  /** Vocabulary size V. */
  vocab: number;
  /** Context length (the longest input). */
  context: number;
  /** Transformer blocks (0 for the MLPs). */
  layers: number;
  /** Attention heads (0 for the MLPs). */
  heads: number;
  /** Model width C (transformer) or embedding dimension d (MLPs). */
  width: number;
  /** MLP width (transformer) or hidden units H (MLPs). */
  hidden: number;
  /** Tokens a window-mlp sees (0 otherwise). */
  window: number;
  /** Prompt ids of the prompt embedding (0: none). */
  promptVocab: number;
  /** Hidden activation. */
  activation: ActivationName;
  /** Whether the model has a scalar value head. */
  valueHead: boolean;
  /** Padding token id. */
  pad: number;
  /** Standard deviation of the transformer's weight initialisation (0 for the MLPs). */
  initStd: number;
  /** LayerNorm ε. */
  lnEps: number;
}

/** One parameter tensor of a model's flat parameter block. */
export interface TensorSpec {
  /** GPT-2-style name, e.g. "wte", "h.0.attn.c_attn.weight", "ln_f.bias", "mlp.fc_out.weight". */
  name: string;
  /** Offset in the parameter block (f32 elements). */
  offset: number;
  /** [rows, cols] for matrices ([in, out] for linear weights), [n] for vectors. */
  shape: number[];
  /** Whether AdamW's "matrices" decay rule applies (2-D tensors). */
  decay: boolean;
}

/** A rectangular batch of token ids: `data` holds `batch` rows of `length` ids. */
export interface TokenBatch {
  /** The ids, row-major [batch, length]. */
  readonly data: Int32Array;
  /** Number of sequences B. */
  readonly batch: number;
  /** Tokens per sequence T. */
  readonly length: number;
}

/** What `shiftTokens` returns: the next-token alignment of whole sequences. */
export interface ShiftedBatch {
  /** y[:, 0..T) — what the model reads. */
  inputs: TokenBatch;
  /** y[:, 1..T] — what it predicts. */
  targets: TokenBatch;
  /** The mask of the targets (the given mask shifted by one), when a mask was given. */
  mask?: Uint8Array;
}

/** Token ids as a TokenBatch or as rows (arrays) of equal length. */
export type Tokens = TokenBatch | readonly ArrayLike<number>[];

/** A batch for `logProbs`: what the model reads, what it predicts, and which predictions count. */
export interface LmBatch {
  /** Input ids [B, T] (T ≤ context). */
  inputs: Tokens;
  /** Target ids [B, T]: targets[b][t] is scored given inputs[b][0..t]. */
  targets: Tokens;
  /** Loss mask [B·T] (row-major, or rows): 1 = scored, 0 = ignored (prompt, padding, tool turns).
   *  Default: every position. */
  mask?: ArrayLike<number> | readonly ArrayLike<number>[];
  /** Prompt ids [B] for an MLP with a prompt embedding (`promptVocab` > 0). */
  promptIds?: ArrayLike<number>;
}

/** Per-token and per-sequence log-probabilities of a batch's targets. */
export interface LogProbs {
  /** log p(targets[b][t] | inputs[b][0..t]) [B·T] row-major, in f64 (the log-softmax is
   *  computed in f64 from the f32 logits); 0 where the mask is 0. */
  tokens: Float64Array;
  /** Σ_t mask·log p per sequence [B], accumulated in f64. */
  sums: Float64Array;
  /** Σ_t mask per sequence [B]. */
  counts: Float64Array;
}

/** Gradients of a loss with respect to the model's outputs, for `backward`. */
export interface OutputGradients {
  /** ∂L/∂ℓ [B·T]: with respect to the per-token log-probabilities of the last `logProbs` batch's
   *  targets (what every sequence-level loss produces). Positions the mask excludes are ignored. */
  dlogp?: ArrayLike<number>;
  /** ∂L/∂logits [B·T·V]: the full-vocabulary path (distillation divergences), with respect to the
   *  logits of the last forward pass. */
  dlogits?: ArrayLike<number>;
  /** ∂L/∂V [B] with respect to the value head's outputs of the last `values` call. */
  dvalues?: ArrayLike<number>;
}

const KIND_CODE: Record<ModelKindName, number> = {
  transformer: ModelKind.TRANSFORMER, "window-mlp": ModelKind.WINDOW_MLP, "full-context-mlp": ModelKind.FULL_CONTEXT_MLP,
};
const ACT_CODE: Record<ActivationName, number> = { gelu: Activation.GELU, tanh: Activation.TANH, relu: Activation.RELU };
const TRANSFORMER_KEYS = ["kind", "vocab", "context", "layers", "heads", "width", "hidden", "activation", "valueHead", "pad", "initStd", "lnEps"] as const;
const MLP_KEYS = ["kind", "vocab", "context", "width", "hidden", "window", "promptVocab", "activation", "valueHead", "pad"] as const;
/** Largest model the engine holds (parameters): 2^28 f32 = 1 GiB, the allocator's block limit. */
const MAX_PARAMS = 2 ** 28 - 64;

/** Validate a model configuration and fill in the defaults. Throws ValueError naming the field
 *  (e.g. heads that do not divide the width). */
export function normalizeConfig(config: ModelConfigInput): NormalizedModelConfig {
  if (config === null || typeof config !== "object") throw new ValueError("model config must be an object with a `kind`");
  const kind = (config as { kind?: unknown }).kind;
  if (kind !== "transformer" && kind !== "window-mlp" && kind !== "full-context-mlp") {
    throw new ValueError(`model config: kind must be "transformer", "window-mlp" or "full-context-mlp", got ${JSON.stringify(kind)}`);
  }
  const where = `model config (${kind})`;
  const act = (v: unknown, dflt: ActivationName): ActivationName => {
    if (v === undefined) return dflt;
    if (v !== "gelu" && v !== "tanh" && v !== "relu") throw new ValueError(`${where}: activation must be "gelu", "tanh" or "relu", got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (v: unknown, name: string): boolean => {
    if (v === undefined) return false;
    if (typeof v !== "boolean") throw new ValueError(`${where}: ${name} must be a boolean, got ${JSON.stringify(v)}`);
    return v;
  };
  let out: NormalizedModelConfig;
  if (kind === "transformer") {
    const c = checkOptions<TransformerConfig>(config, where, TRANSFORMER_KEYS);
    const width = integer(c.width, `${where}: width`, 4, 1 << 16);
    const heads = integer(c.heads, `${where}: heads`, 1, 1 << 12);
    if (width % heads !== 0) throw new ValueError(`${where}: heads = ${heads} does not divide width = ${width}`);
    if ((width / heads) % 4 !== 0) throw new ValueError(`${where}: the head size width / heads = ${width / heads} must be a multiple of 4 (the attention kernels use 4-lane SIMD)`);
    out = {
      kind, vocab: integer(c.vocab, `${where}: vocab`, 2, 1 << 24), context: integer(c.context, `${where}: context`, 1, 1 << 16),
      layers: integer(c.layers, `${where}: layers`, 0, 1024), heads, width,
      hidden: c.hidden === undefined ? 4 * width : integer(c.hidden, `${where}: hidden`, 1, 1 << 18),
      window: 0, promptVocab: 0, activation: act(c.activation, "gelu"), valueHead: bool(c.valueHead, "valueHead"),
      pad: 0, initStd: c.initStd === undefined ? 0.02 : nonNegative(c.initStd, `${where}: initStd`),
      lnEps: c.lnEps === undefined ? 1e-5 : positive(c.lnEps, `${where}: lnEps`),
    };
    out.pad = c.pad === undefined ? 0 : integer(c.pad, `${where}: pad`, 0, out.vocab - 1);
  } else {
    const c = checkOptions<MlpConfig>(config, where, MLP_KEYS);
    if (kind === "full-context-mlp" && c.window !== undefined) throw new ValueError(`${where}: window applies to "window-mlp" only (the full-context input has \`context\` slots)`);
    out = {
      kind, vocab: integer(c.vocab, `${where}: vocab`, 2, 1 << 24), context: integer(c.context, `${where}: context`, 1, 1 << 16),
      layers: 0, heads: 0, width: c.width === undefined ? 16 : integer(c.width, `${where}: width`, 1, 1 << 16),
      hidden: integer(c.hidden, `${where}: hidden`, 1, 1 << 18),
      window: kind === "window-mlp" ? (c.window === undefined ? 4 : integer(c.window, `${where}: window`, 1, 1 << 12)) : 0,
      promptVocab: c.promptVocab === undefined ? 0 : integer(c.promptVocab, `${where}: promptVocab`, 0, 1 << 24),
      activation: act(c.activation, "tanh"), valueHead: bool(c.valueHead, "valueHead"), pad: 0, initStd: 0, lnEps: 1e-5,
    };
    out.pad = c.pad === undefined ? 0 : integer(c.pad, `${where}: pad`, 0, out.vocab - 1);
  }
  return Object.freeze(out);
}

/** The input form of a normalised configuration (what `LanguageModel.create` takes): the fields
 *  of its kind, so that `normalizeConfig(configInput(c))` equals `c`. */
export function configInput(c: NormalizedModelConfig): ModelConfigInput {
  if (c.kind === "transformer") {
    return { kind: "transformer", vocab: c.vocab, context: c.context, layers: c.layers, heads: c.heads, width: c.width, hidden: c.hidden, activation: c.activation, valueHead: c.valueHead, pad: c.pad, initStd: c.initStd, lnEps: c.lnEps };
  }
  return {
    kind: c.kind, vocab: c.vocab, context: c.context, width: c.width, hidden: c.hidden, ...(c.kind === "window-mlp" ? { window: c.window } : {}),
    promptVocab: c.promptVocab, activation: c.activation, valueHead: c.valueHead, pad: c.pad,
  };
}

/** The f64 cfg block of a normalised configuration (ModelConfig slots). @internal */
export function configBlock(c: NormalizedModelConfig): Float64Array {
  const b = new Float64Array(ModelConfig.SLOTS);
  b[ModelConfig.KIND] = KIND_CODE[c.kind];
  b[ModelConfig.VOCAB] = c.vocab;
  b[ModelConfig.CONTEXT] = c.context;
  b[ModelConfig.LAYERS] = c.layers;
  b[ModelConfig.HEADS] = c.heads;
  b[ModelConfig.WIDTH] = c.width;
  b[ModelConfig.HIDDEN] = c.hidden;
  b[ModelConfig.WINDOW] = c.window;
  b[ModelConfig.PROMPT_VOCAB] = c.promptVocab;
  b[ModelConfig.VALUE_HEAD] = c.valueHead ? 1 : 0;
  b[ModelConfig.ACTIVATION] = ACT_CODE[c.activation];
  b[ModelConfig.PAD] = c.pad;
  b[ModelConfig.INIT_STD] = c.initStd;
  b[ModelConfig.LN_EPS] = c.lnEps;
  return b;
}

function tensorName(kind: number, layer: number): string {
  const h = `h.${layer}`;
  switch (kind) {
    case NnTensor.TOKEN_EMBEDDING: return "wte";
    case NnTensor.POSITION_EMBEDDING: return "wpe";
    case NnTensor.PROMPT_EMBEDDING: return "wpx";
    case NnTensor.LN1_WEIGHT: return `${h}.ln_1.weight`;
    case NnTensor.LN1_BIAS: return `${h}.ln_1.bias`;
    case NnTensor.QKV_WEIGHT: return `${h}.attn.c_attn.weight`;
    case NnTensor.QKV_BIAS: return `${h}.attn.c_attn.bias`;
    case NnTensor.ATTN_PROJ_WEIGHT: return `${h}.attn.c_proj.weight`;
    case NnTensor.ATTN_PROJ_BIAS: return `${h}.attn.c_proj.bias`;
    case NnTensor.LN2_WEIGHT: return `${h}.ln_2.weight`;
    case NnTensor.LN2_BIAS: return `${h}.ln_2.bias`;
    case NnTensor.FC_WEIGHT: return `${h}.mlp.c_fc.weight`;
    case NnTensor.FC_BIAS: return `${h}.mlp.c_fc.bias`;
    case NnTensor.FC_PROJ_WEIGHT: return `${h}.mlp.c_proj.weight`;
    case NnTensor.FC_PROJ_BIAS: return `${h}.mlp.c_proj.bias`;
    case NnTensor.LNF_WEIGHT: return "ln_f.weight";
    case NnTensor.LNF_BIAS: return "ln_f.bias";
    case NnTensor.HIDDEN_WEIGHT: return "mlp.hidden.weight";
    case NnTensor.HIDDEN_BIAS: return "mlp.hidden.bias";
    case NnTensor.OUT_WEIGHT: return "mlp.out.weight";
    case NnTensor.OUT_BIAS: return "mlp.out.bias";
    case NnTensor.VALUE_WEIGHT: return "value_head.weight";
    case NnTensor.VALUE_BIAS: return "value_head.bias";
    default: return `tensor_${kind}`;
  }
}

/** Check token ids and pack them into a TokenBatch. `what` names the argument in errors. @internal */
export function toTokenBatch(tokens: Tokens, what: string, vocab: number): TokenBatch {
  let batch: TokenBatch;
  if (tokens && typeof tokens === "object" && "data" in tokens && (tokens as TokenBatch).data instanceof Int32Array) {
    const t = tokens as TokenBatch;
    integer(t.batch, `${what}.batch`, 1);
    integer(t.length, `${what}.length`, 1);
    if (t.data.length !== t.batch * t.length) throw new ShapeError(`${what}: data has ${t.data.length} ids, expected batch·length = ${t.batch}·${t.length}`);
    batch = t;
  } else if (Array.isArray(tokens)) {
    const rows = tokens as readonly ArrayLike<number>[];
    if (rows.length === 0) throw new ShapeError(`${what} must hold at least one sequence`);
    const T = rows[0]?.length;
    if (typeof T !== "number" || T < 1) throw new ShapeError(`${what}[0] must be a non-empty array of token ids`);
    const data = new Int32Array(rows.length * T);
    for (let b = 0; b < rows.length; b++) {
      const r = rows[b];
      if (!r || r.length !== T) throw new ShapeError(`${what}[${b}] has length ${r?.length}, expected ${T} (rows of a batch have equal length; pad them)`);
      for (let t = 0; t < T; t++) {
        const v = r[t];
        if (!Number.isInteger(v)) throw new ValueError(`${what}[${b}][${t}] = ${String(v)} is not an integer token id`);
        data[b * T + t] = v;
      }
    }
    batch = { data, batch: rows.length, length: T };
  } else {
    throw new ValueError(`${what} must be rows of token ids (arrays of equal length) or a { data: Int32Array, batch, length } batch`);
  }
  const { data, length } = batch;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < 0 || v >= vocab) {
      throw new ValueError(`${what}[${Math.floor(i / length)}][${i % length}] = ${v} is outside the vocabulary [0, ${vocab})`);
    }
  }
  return batch;
}

/** Flatten a mask (flat array or rows) of B·T entries into a Uint8Array of 0/1. @internal */
export function toMask(mask: ArrayLike<number> | readonly ArrayLike<number>[], B: number, T: number, what = "mask"): Uint8Array {
  const out = new Uint8Array(B * T);
  if (Array.isArray(mask) && mask.length > 0 && typeof mask[0] === "object" && mask[0] !== null) {
    if (mask.length !== B) throw new ShapeError(`${what} has ${mask.length} rows, expected ${B}`);
    for (let b = 0; b < B; b++) {
      const r = (mask as readonly ArrayLike<number>[])[b];
      if (!r || r.length !== T) throw new ShapeError(`${what}[${b}] has length ${r?.length}, expected ${T}`);
      for (let t = 0; t < T; t++) out[b * T + t] = maskValue(r[t], `${what}[${b}][${t}]`);
    }
    return out;
  }
  const flat = mask as ArrayLike<number>;
  if (flat.length !== B * T) throw new ShapeError(`${what} has ${flat.length} entries, expected B·T = ${B}·${T}`);
  for (let i = 0; i < flat.length; i++) out[i] = maskValue(flat[i], `${what}[${Math.floor(i / T)}][${i % T}]`);
  return out;
}

function maskValue(v: unknown, name: string): number {
  if (v === 0 || v === 1 || v === true || v === false) return v ? 1 : 0;
  throw new ValueError(`${name} must be 0 or 1, got ${String(v)}`);
}

/** Next-token alignment of whole sequences y [B, T + 1]: inputs = y[:, 0..T), targets =
 *  y[:, 1..T]; a mask over y (e.g. 0 on prompt tokens) becomes the mask of the targets. */
export function shiftTokens(sequences: Tokens, mask?: ArrayLike<number> | readonly ArrayLike<number>[]): ShiftedBatch {
  const s = toTokenBatch(sequences, "sequences", 2 ** 31 - 1);
  if (s.length < 2) throw new ShapeError(`sequences must have at least 2 tokens to shift, got ${s.length}`);
  const B = s.batch, T = s.length - 1;
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
  const m = mask === undefined ? undefined : toMask(mask, B, T + 1);
  const mo = m ? new Uint8Array(B * T) : undefined;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      inputs[b * T + t] = s.data[b * (T + 1) + t];
      targets[b * T + t] = s.data[b * (T + 1) + t + 1];
      if (mo) mo[b * T + t] = m![b * (T + 1) + t + 1];
    }
  }
  return { inputs: { data: inputs, batch: B, length: T }, targets: { data: targets, batch: B, length: T }, mask: mo };
}

const CREATE_KEYS = ["seed"] as const;

/**
 * A small language model — a decoder-only transformer or an MLP LM — trained in the engine.
 * Parameters, gradients and activations are f32 blocks of engine memory; forward, backward and
 * the optimiser run in Wasm with SIMD, with f64 accumulation for log-softmax normalisers and
 * sequence sums. Owns engine memory: `dispose()` it (or `using`).
 *
 * ```ts
 * const model = LanguageModel.create({ kind: "transformer", vocab: 16, context: 8, layers: 1, heads: 2, width: 16 }, { seed: 1 });
 * const { sums } = model.logProbs({ inputs: [[1, 2, 3]], targets: [[2, 3, 4]] });
 * ```
 */
export class LanguageModel extends EngineResource {
  /** The configuration, with every default filled in (plain JSON). */
  readonly config: Readonly<NormalizedModelConfig>;
  /** Number of f32 parameters. */
  readonly parameterCount: number;
  /** The parameter tensors, in block order. */
  readonly tensors: readonly TensorSpec[];
  /** @internal */ readonly engine: Engine;
  /** @internal */ readonly cfg: WasmBuffer<Float64Array>;
  /** @internal */ readonly params: WasmBuffer<Float32Array>;
  /** @internal */ readonly grads: WasmBuffer<Float32Array>;
  /** @internal Bumped by every pass and every change of the parameters: a cached forward pass
   *  (LMPolicy) is reused only while the model's version is the one it was computed at. */
  version = 0;
  private work: WasmBuffer<Float32Array> | null = null;
  private workFor = { B: 0, T: 0 };
  private last: {
    tokens: WasmBuffer<Int32Array>; prompts: WasmBuffer<Int32Array> | null; B: number; T: number; consumed: boolean; headless: boolean;
    targets: WasmBuffer<Int32Array> | null; mask: WasmBuffer<Uint8Array> | null; positions: WasmBuffer<Int32Array> | null;
  } | null = null;

  private constructor(config: NormalizedModelConfig, engine: Engine) {
    super();
    this.config = config;
    this.engine = engine;
    this.cfg = engine.f64(ModelConfig.SLOTS).set(configBlock(config));
    const st = engine.call("nn_check_config", { cfg: this.cfg }).ret;
    if (st !== Status.OK) {
      this.cfg.dispose();
      throw new ValueError(`model config rejected by the engine (slot ${engine.statusArgs()[0]})`);
    }
    const n = engine.call("nn_param_count", { cfg: this.cfg }).ret;
    if (!(n > 0 && n <= MAX_PARAMS)) {
      this.cfg.dispose();
      throw new ValueError(`model config: ${n} parameters exceed the engine's limit of ${MAX_PARAMS}`);
    }
    this.parameterCount = n;
    this.params = engine.f32(n);
    this.grads = engine.f32(n);
    this.grads.view.fill(0);
    const count = engine.call("nn_tensor_count", { cfg: this.cfg }).ret;
    const tensors: TensorSpec[] = [];
    for (let i = 0; i < count; i++) {
      const row = engine.call("nn_tensor_info", { cfg: this.cfg, index: i, info: outputI32(TensorInfo.FIELDS) }).output("info");
      const rows = row[TensorInfo.ROWS], cols = row[TensorInfo.COLS];
      tensors.push(Object.freeze({
        name: tensorName(row[TensorInfo.KIND], row[TensorInfo.LAYER]),
        offset: row[TensorInfo.OFFSET], shape: rows === 1 ? [cols] : [rows, cols], decay: row[TensorInfo.DECAY] === 1,
      }));
    }
    this.tensors = Object.freeze(tensors);
  }

  /** Create a model from a configuration and initialise its parameters from `seed` (default 0):
   *  the same seed gives bit-identical parameters in every runtime. Throws ValueError for a bad
   *  configuration (naming the field). */
  static create(config: ModelConfigInput, options?: { seed?: number }): LanguageModel {
    const o = checkOptions<{ seed?: number }>(options, "LanguageModel.create", CREATE_KEYS);
    const seed = checkSeed(o.seed ?? 0, "seed");
    const model = new LanguageModel(normalizeConfig(config), getEngine());
    const rng = new Rng(seed, 0x4e4e); // stream id "NN": model initialisation
    try {
      model.engine.call("nn_init", { cfg: model.cfg, params: model.params, rng: rng.stateBuffer });
    } finally {
      rng.dispose();
    }
    return model;
  }

  /** Throw EngineStateError when the model was disposed. @internal */
  check(): void {
    this.assertLive();
  }

  /** Vocabulary size V. */
  get vocab(): number {
    return this.config.vocab;
  }

  /** Context length (the longest input). */
  get context(): number {
    return this.config.context;
  }

  protected release(): void {
    this.dropLast();
    this.work?.dispose();
    this.params.dispose();
    this.grads.dispose();
    this.cfg.dispose();
  }

  // ---- parameters ----------------------------------------------------------------------------

  /** A copy of the parameters (f32, `parameterCount` values in `tensors` order). */
  getParameters(): Float32Array {
    this.assertLive();
    return this.params.toArray();
  }

  /** Replace the parameters (a Float32Array of `parameterCount` finite values). */
  setParameters(values: Float32Array | ArrayLike<number>): void {
    this.assertLive();
    if (!values || values.length !== this.parameterCount) throw new ShapeError(`setParameters: expected ${this.parameterCount} values, got ${values?.length}`);
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new ValueError(`setParameters: values[${i}] = ${values[i]} is not finite`);
    this.params.set(values);
    this.version++;
  }

  /** A copy of one tensor by name (see `tensors`). */
  getTensor(name: string): Float32Array {
    const t = this.tensor(name);
    return this.params.view.slice(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1));
  }

  /** Replace one tensor by name. */
  setTensor(name: string, values: ArrayLike<number>): void {
    const t = this.tensor(name);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!values || values.length !== n) throw new ShapeError(`setTensor(${name}): expected ${n} values (shape [${t.shape.join(", ")}]), got ${values?.length}`);
    for (let i = 0; i < n; i++) if (!Number.isFinite(values[i])) throw new ValueError(`setTensor(${name}): values[${i}] = ${values[i]} is not finite`);
    this.params.view.set(values, t.offset);
    this.version++;
  }

  private tensor(name: string): TensorSpec {
    this.assertLive();
    const t = this.tensors.find((x) => x.name === name);
    if (!t) throw new ValueError(`no tensor named ${JSON.stringify(name)}; tensors: ${this.tensors.map((x) => x.name).join(", ")}`);
    return t;
  }

  /** A copy of the accumulated gradients. */
  getGradients(): Float32Array {
    this.assertLive();
    return this.grads.toArray();
  }

  /** Set the accumulated gradients to zero (backward adds into them). */
  zeroGrad(): void {
    this.assertLive();
    this.grads.view.fill(0);
  }

  /** Replace the accumulated gradients (e.g. with gradients reduced across workers). */
  setGradients(values: Float32Array | ArrayLike<number>): void {
    this.assertLive();
    if (!values || values.length !== this.parameterCount) throw new ShapeError(`setGradients: expected ${this.parameterCount} values, got ${values?.length}`);
    this.grads.set(values);
  }

  /** ‖∇‖₂ of the accumulated gradients (f64 accumulation). */
  gradNorm(): number {
    this.assertLive();
    return this.engine.call("nn_grad_norm", { grads: this.grads, n: this.parameterCount }).ret;
  }

  /** An independent copy: same configuration and parameters, zero gradients. */
  clone(): LanguageModel {
    this.assertLive();
    const m = new LanguageModel(this.config, this.engine);
    m.params.set(this.params.view);
    return m;
  }

  /** θ ← θ_other (same configuration). */
  copyFrom(other: LanguageModel): void {
    this.assertLive();
    this.checkSame(other, "copyFrom");
    this.params.set(other.params.view);
    this.version++;
  }

  /** θ ← decay·θ + (1 − decay)·θ_other (an exponential moving average; same configuration). */
  blend(other: LanguageModel, decay: number): void {
    this.assertLive();
    this.checkSame(other, "blend");
    if (typeof decay !== "number" || !(decay >= 0 && decay <= 1)) throw new ValueError(`blend: decay must be in [0, 1], got ${String(decay)}`);
    const a = this.params.view, b = other.params.view;
    for (let i = 0; i < a.length; i++) a[i] = decay * a[i] + (1 - decay) * b[i];
    this.version++;
  }

  /** @internal */ checkSame(other: LanguageModel, what: string, vocabOnly = false): void {
    if (!(other instanceof LanguageModel)) throw new ValueError(`${what}: expected a LanguageModel`);
    other.check();
    if (other.engine !== this.engine) throw new ValueError(`${what}: the models live in different engines`);
    if (vocabOnly ? other.vocab !== this.vocab : JSON.stringify(other.config) !== JSON.stringify(this.config)) {
      throw new ValueError(`${what}: the models' ${vocabOnly ? "vocabularies" : "configurations"} differ`);
    }
  }

  // ---- forward -------------------------------------------------------------------------------------

  /** @internal The workspace for a (B, T) batch, grown when needed. */
  workspace(B: number, T: number): WasmBuffer<Float32Array> {
    if (this.work && B <= this.workFor.B && T <= this.workFor.T) return this.work;
    const nb = Math.max(B, this.workFor.B), nt = Math.max(T, this.workFor.T);
    const size = this.engine.call("nn_workspace_size", { cfg: this.cfg, B: nb, T: nt }).ret;
    if (!(size > 0) || size * 4 > 2 ** 30 - 64) {
      throw new ShapeError(`a batch of ${nb} sequences of ${nt} tokens needs ${Math.round(size * 4 / 2 ** 20)} MiB of activations, above the engine's 1 GiB block; use smaller batches`);
    }
    this.work?.dispose();
    this.work = null;
    this.work = this.engine.f32(size);
    this.workFor = { B: nb, T: nt };
    return this.work;
  }

  private dropLast(): void {
    if (!this.last) return;
    this.last.tokens.dispose();
    this.last.prompts?.dispose();
    this.last.targets?.dispose();
    this.last.mask?.dispose();
    this.last.positions?.dispose();
    this.last = null;
  }

  private checkPromptIds(ids: ArrayLike<number> | undefined, B: number): Int32Array | null {
    const PV = this.config.promptVocab;
    if (PV === 0) {
      if (ids !== undefined) throw new ValueError("promptIds: this model has no prompt embedding (promptVocab = 0)");
      return null;
    }
    if (ids === undefined) throw new ValueError(`promptIds: this model has a prompt embedding (promptVocab = ${PV}); give one prompt id per sequence`);
    if (!ids || ids.length !== B) throw new ShapeError(`promptIds has ${ids?.length} ids, expected one per sequence (${B})`);
    const out = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const v = ids[b];
      if (!Number.isInteger(v) || v < 0 || v >= PV) throw new ValueError(`promptIds[${b}] = ${v} is outside the prompt vocabulary [0, ${PV})`);
      out[b] = v;
    }
    return out;
  }

  /** Run the model on `inputs` [B, T] (T ≤ context) and keep the activations for `backward`.
   *  Returns the logits [B·T·V] (row b·T + t: the next-token scores after inputs[b][0..t]) when
   *  `logits` is true. */
  forward(inputs: Tokens, options?: { promptIds?: ArrayLike<number>; logits?: boolean; headless?: boolean }): Float32Array | undefined {
    this.assertLive();
    const o = checkOptions<{ promptIds?: ArrayLike<number>; logits?: boolean; headless?: boolean }>(options, "LanguageModel.forward", ["promptIds", "logits", "headless"]);
    const batch = toTokenBatch(inputs, "inputs", this.vocab);
    const { batch: B, length: T } = batch;
    if (T > this.context) throw new ShapeError(`inputs have ${T} tokens per sequence, above the model's context of ${this.context}`);
    const prompts = this.checkPromptIds(o.promptIds, B);
    const work = this.workspace(B, T);
    this.dropLast();
    const tokens = this.engine.i32(B * T).set(batch.data);
    const pbuf = prompts ? this.engine.i32(B).set(prompts) : null;
    this.last = { tokens, prompts: pbuf, B, T, consumed: false, headless: o.headless === true, targets: null, mask: null, positions: null };
    const V = this.vocab;
    const want = o.logits === true && o.headless !== true;
    this.version++;
    const r = this.engine.call("nn_forward", {
      cfg: this.cfg, params: this.params, tokens, prompts: pbuf, B, T, work, headless: o.headless === true,
      logits: want ? outputF32(B * T * V) : null,
    });
    if (r.ret !== Status.OK) throw new ValueError(`forward: the engine rejected the batch (status ${r.ret}, index ${this.engine.statusArgs()[0]})`);
    return want ? r.output("logits") : undefined;
  }

  /** The logits [B·T·V] of `inputs` (a forward pass). */
  logits(inputs: Tokens, options?: { promptIds?: ArrayLike<number> }): Float32Array {
    const o = checkOptions<{ promptIds?: ArrayLike<number> }>(options, "LanguageModel.logits", ["promptIds"]);
    return this.forward(inputs, { promptIds: o.promptIds, logits: true })!;
  }

  /** A copy of the logits [B·T·V] of the last forward pass (e.g. after `logProbs`, for a
   *  full-vocabulary loss on the same pass). Not available after a backward pass (it consumes
   *  them) or after a headless pass. */
  lastLogits(): Float32Array {
    this.assertLive();
    const last = this.last;
    if (!last || last.consumed || last.headless) throw new EngineStateError("lastLogits: no logits available (run forward / logProbs; a backward pass consumes them)");
    const off = this.engine.call("nn_logits_offset", { cfg: this.cfg, B: last.B, T: last.T }).ret;
    const n = last.B * last.T * this.vocab;
    return this.work!.view.slice(off, off + n);
  }

  /** Per-token log-probabilities of `batch.targets` given `batch.inputs` (a forward pass, kept for
   *  `backward`): log-softmax with the row maximum subtracted and the normaliser summed in f64,
   *  and per-sequence masked sums in f64. */
  logProbs(batch: LmBatch): LogProbs {
    this.assertLive();
    const b = checkOptions<LmBatch>(batch, "LanguageModel.logProbs", ["inputs", "targets", "mask", "promptIds"]);
    if (b.inputs === undefined || b.targets === undefined) throw new ValueError("logProbs: the batch needs `inputs` and `targets`");
    const inputs = toTokenBatch(b.inputs, "inputs", this.vocab);
    const targets = toTokenBatch(b.targets, "targets", this.vocab);
    if (targets.batch !== inputs.batch || targets.length !== inputs.length) {
      throw new ShapeError(`targets are [${targets.batch}, ${targets.length}] but inputs are [${inputs.batch}, ${inputs.length}]`);
    }
    const { batch: B, length: T } = inputs;
    const mask = b.mask === undefined ? null : toMask(b.mask, B, T);
    this.forward(inputs, { promptIds: b.promptIds });
    const last = this.last!;
    last.targets = this.engine.i32(B * T).set(targets.data);
    last.mask = mask ? this.engine.u8(B * T).set(mask) : null;
    const r = this.engine.call("nn_logprobs", {
      cfg: this.cfg, work: this.work!, targets: last.targets, mask: last.mask, B, T,
      logp: output(B * T), sums: output(B), counts: output(B),
    });
    if (r.ret === Status.NON_FINITE) {
      const row = this.engine.statusArgs()[0];
      throw new NumericalError(`logProbs: the logits of sequence ${Math.floor(row / T)}, position ${row % T} are not finite (a diverged model?)`, { row });
    }
    if (r.ret !== Status.OK) throw new ValueError(`logProbs: the engine rejected the targets (index ${this.engine.statusArgs()[0]})`);
    return { tokens: r.output("logp"), sums: r.output("sums"), counts: r.output("counts") };
  }

  /** Per-token log-probabilities of `batch.targets` under the per-token geometric mixture
   *  q ∝ exp((1−γ)·log π + γ·log μ) of this model (π) and `ref` (μ, same vocabulary), γ =
   *  `mixture` ∈ [0, 1]: the distribution `sample(model, …, { refModel: ref, mixture })` draws
   *  from at temperature 1 without filtering (Munos et al. 2024, App. F.1). Runs a forward pass of
   *  both models (this model's is kept, like logProbs', but a backward of it needs logProbs). */
  mixtureLogProbs(ref: LanguageModel, batch: LmBatch, mixture: number): LogProbs {
    this.assertLive();
    this.checkSame(ref, "mixtureLogProbs", true);
    if (typeof mixture !== "number" || !(mixture >= 0 && mixture <= 1)) throw new ValueError(`mixtureLogProbs: mixture must be in [0, 1], got ${String(mixture)}`);
    const b = checkOptions<LmBatch>(batch, "LanguageModel.mixtureLogProbs", ["inputs", "targets", "mask", "promptIds"]);
    if (b.inputs === undefined || b.targets === undefined) throw new ValueError("mixtureLogProbs: the batch needs `inputs` and `targets`");
    const inputs = toTokenBatch(b.inputs, "inputs", this.vocab);
    const targets = toTokenBatch(b.targets, "targets", this.vocab);
    if (targets.batch !== inputs.batch || targets.length !== inputs.length) {
      throw new ShapeError(`targets are [${targets.batch}, ${targets.length}] but inputs are [${inputs.batch}, ${inputs.length}]`);
    }
    const { batch: B, length: T } = inputs;
    if (T > ref.context) throw new ShapeError(`inputs have ${T} tokens per sequence, above the reference model's context of ${ref.context}`);
    const mask = b.mask === undefined ? null : toMask(b.mask, B, T);
    ref.forward(inputs, { promptIds: ref.config.promptVocab > 0 ? b.promptIds : undefined });
    this.forward(inputs, { promptIds: this.config.promptVocab > 0 ? b.promptIds : undefined });
    const r = this.engine.call("nn_mixture_logprobs", {
      cfg: this.cfg, work: this.work!, refCfg: ref.cfg, refWork: ref.work!, gamma: mixture, targets: input(targets.data),
      mask: mask ? input(mask) : null, B, T, logp: output(B * T), sums: output(B), counts: output(B), scratch: scratch(this.vocab),
    });
    if (r.ret === Status.NON_FINITE) throw new NumericalError(`mixtureLogProbs: the logits of row ${this.engine.statusArgs()[0]} are not finite`, { row: this.engine.statusArgs()[0] });
    if (r.ret !== Status.OK) throw new ValueError(`mixtureLogProbs: the engine rejected the arguments (status ${r.ret})`);
    return { tokens: r.output("logp"), sums: r.output("sums"), counts: r.output("counts") };
  }

  /** The value head V(x) [B] of each sequence, read at `positions[b]` (the last prompt token).
   *  Runs a headless forward pass unless `reuse` is true (then the last forward's activations are
   *  used, e.g. right after `logProbs` on the same batch for a shared trunk). */
  values(inputs: Tokens | null, positions: ArrayLike<number>, options?: { promptIds?: ArrayLike<number>; reuse?: boolean }): Float32Array {
    this.assertLive();
    const o = checkOptions<{ promptIds?: ArrayLike<number>; reuse?: boolean }>(options, "LanguageModel.values", ["promptIds", "reuse"]);
    if (!this.config.valueHead) throw new ValueError("values: this model has no value head (create it with valueHead: true)");
    if (o.reuse) {
      if (!this.last || this.last.consumed) throw new EngineStateError("values({ reuse: true }) needs a forward pass on the batch first (and before backward)");
    } else {
      if (inputs === null) throw new ValueError("values: inputs are required unless reuse is true");
      if (o.promptIds !== undefined && o.reuse) throw new ValueError("values: promptIds are taken from the reused forward pass");
      this.forward(inputs, { promptIds: o.promptIds, headless: true });
    }
    const last = this.last!;
    const { B, T } = last;
    if (!positions || positions.length !== B) throw new ShapeError(`positions has ${positions?.length} entries, expected ${B}`);
    const pos = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const v = positions[b];
      if (!Number.isInteger(v) || v < 0 || v >= T) throw new ValueError(`positions[${b}] = ${v} is outside [0, ${T})`);
      pos[b] = v;
    }
    last.positions?.dispose();
    last.positions = this.engine.i32(B).set(pos);
    const r = this.engine.call("nn_values", { cfg: this.cfg, params: this.params, work: this.work!, positions: last.positions, B, T, values: outputF32(B) });
    if (r.ret !== Status.OK) throw new ValueError(`values: the engine rejected the positions (status ${r.ret})`);
    return r.output("values");
  }

  // ---- backward ------------------------------------------------------------------------------------

  /** Add to the gradients ∂L/∂θ given the gradients of a loss L with respect to the outputs of the
   *  last forward pass: per-token log-probabilities (`dlogp`, after `logProbs`), full logits
   *  (`dlogits`) and/or values (`dvalues`, after `values`). Gradients accumulate across calls
   *  (gradient accumulation); `zeroGrad()` resets them. The pass consumes the stored logits: run
   *  a forward pass again before another backward. */
  backward(grads: OutputGradients): void {
    this.assertLive();
    const g = checkOptions<OutputGradients>(grads, "LanguageModel.backward", ["dlogp", "dlogits", "dvalues"]);
    const last = this.last;
    if (!last) throw new EngineStateError("backward: run forward / logProbs / values on a batch first");
    if (last.consumed) throw new EngineStateError("backward: the last forward pass was already used by a backward pass (it consumes the logits); run the forward pass again");
    const { B, T } = last;
    const V = this.vocab;
    if (g.dlogp === undefined && g.dlogits === undefined && g.dvalues === undefined) throw new ValueError("backward: give at least one of dlogp, dlogits, dvalues");
    const typed = <A extends Float32Array | Float64Array>(a: ArrayLike<number>, n: number, name: string, Type: { new (n: number): A; from(a: ArrayLike<number>): A }): A => {
      if (!a || a.length !== n) throw new ShapeError(`backward: ${name} has ${a?.length} entries, expected ${n}`);
      const out = a instanceof Type ? (a as A) : Type.from(a);
      for (let i = 0; i < n; i++) if (!Number.isFinite(out[i])) throw new ValueError(`backward: ${name}[${i}] = ${out[i]} is not finite`);
      return out;
    };
    const f32 = (a: ArrayLike<number>, n: number, name: string) => typed(a, n, name, Float32Array);
    let dlogp: Float64Array | null = null, dlogits: Float32Array | null = null, dvalues: Float32Array | null = null;
    if (g.dlogp !== undefined) {
      if (!last.targets) throw new EngineStateError("backward: dlogp needs the targets of a logProbs call on this batch");
      dlogp = typed(g.dlogp, B * T, "dlogp", Float64Array);
    }
    if ((g.dlogp !== undefined || g.dlogits !== undefined) && last.headless) {
      throw new EngineStateError("backward: the last forward pass was headless (values only); dlogp and dlogits need one with the vocabulary head");
    }
    if (g.dlogits !== undefined) dlogits = f32(g.dlogits, B * T * V, "dlogits");
    if (g.dvalues !== undefined) {
      if (!last.positions) throw new EngineStateError("backward: dvalues needs a values call on this batch");
      dvalues = f32(g.dvalues, B, "dvalues");
    }
    last.consumed = true;
    this.version++;
    const r = this.engine.call("nn_backward", {
      cfg: this.cfg, params: this.params, grads: this.grads, tokens: last.tokens, prompts: last.prompts,
      targets: last.targets, mask: last.mask, dlogp: dlogp ? input(dlogp) : null, dlogits: dlogits ? input(dlogits) : null,
      positions: last.positions, dvalues: dvalues ? input(dvalues) : null, B, T, work: this.work!,
    });
    if (r.ret !== Status.OK) throw new ValueError(`backward: the engine rejected the arguments (status ${r.ret}, index ${this.engine.statusArgs()[0]})`);
  }

  /** One optimiser step (see AdamW): `optimizer.step()`. */
  step(optimizer: { step(): unknown; readonly model: LanguageModel }): void {
    this.assertLive();
    if (optimizer?.model !== this) throw new ValueError("step: the optimizer belongs to another model");
    optimizer.step();
  }
}
