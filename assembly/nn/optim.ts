// AdamW (Loshchilov & Hutter 2019, Algorithm 2: Adam with decoupled weight decay) and the
// global gradient norm for clipping. The parameters, gradients and both moment estimates are
// f32 blocks; every update is computed in f64 (f64x2 lanes) and stored f32, and the norm is
// accumulated in f64 in a fixed order.
//
// One step, with the learning rate η_t, moments (β₁, β₂), ε, decay λ and s the gradient scale
// (clipping × 1/accumulated micro-batches), as PyTorch's torch.optim.AdamW computes it:
//   g = s·∇;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
//   θ ← θ·(1 − η_t·λ)   (decoupled decay; only tensors the decay rule selects)
//   θ ← θ − (η_t / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
import { TensorInfo, walk } from "./config";
import { ptr } from "../core/mem";

/** Slots of the f64 `opt` block of nn_adamw. */
export const enum AdamConfig {
  /** Learning rate η_t of this step (the SDK evaluates the schedule). */
  LR = 0,
  /** β₁. */
  BETA1 = 1,
  /** β₂. */
  BETA2 = 2,
  /** ε. */
  EPS = 3,
  /** Weight decay λ (decoupled). */
  WEIGHT_DECAY = 4,
  /** Step number t ≥ 1 (bias corrections 1 − βᵗ). */
  STEP = 5,
  /** Scale s applied to the gradients before the update (clipping, accumulation). */
  GRAD_SCALE = 6,
  /** Which tensors decay: 0 all, 1 only 2-D tensors (weights and embeddings; not biases,
   *  LayerNorm gains, position-free vectors). */
  DECAY_RULE = 7,
  /** Number of slots. */
  SLOTS = 8,
}

let infoScratch: usize = 0;

// θ, m, v ← one AdamW step on elements [lo, hi) with decay factor (1 − η·λ) or 1.
function adamwRange(params: usize, grads: usize, m: usize, v: usize, lo: i32, hi: i32,
  decay: f64, b1: f64, b2: f64, stepSize: f64, rbc2: f64, eps: f64, s: f64): void {
  const vb1 = f64x2.splat(b1), vc1 = f64x2.splat(1 - b1), vb2 = f64x2.splat(b2), vc2 = f64x2.splat(1 - b2);
  const vdec = f64x2.splat(decay), vstep = f64x2.splat(stepSize), vr = f64x2.splat(rbc2), veps = f64x2.splat(eps), vs = f64x2.splat(s);
  let i = lo;
  for (; i + 2 <= hi; i += 2) {
    const o = <usize>i << 2;
    const g = f64x2.mul(vs, f64x2.promote_low_f32x4(v128.load64_zero(grads + o)));
    const mm = f64x2.add(f64x2.mul(vb1, f64x2.promote_low_f32x4(v128.load64_zero(m + o))), f64x2.mul(vc1, g));
    const vv = f64x2.add(f64x2.mul(vb2, f64x2.promote_low_f32x4(v128.load64_zero(v + o))), f64x2.mul(vc2, f64x2.mul(g, g)));
    const th = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(params + o)), vdec);
    const den = f64x2.add(f64x2.mul(f64x2.sqrt(vv), vr), veps);
    const nt = f64x2.sub(th, f64x2.div(f64x2.mul(vstep, mm), den));
    v128.store64_lane(m + o, f32x4.demote_f64x2_zero(mm), 0);
    v128.store64_lane(v + o, f32x4.demote_f64x2_zero(vv), 0);
    v128.store64_lane(params + o, f32x4.demote_f64x2_zero(nt), 0);
  }
  for (; i < hi; i++) {
    const o = <usize>i << 2;
    const g = s * <f64>load<f32>(grads + o);
    const mm = b1 * <f64>load<f32>(m + o) + (1 - b1) * g;
    const vv = b2 * <f64>load<f32>(v + o) + (1 - b2) * (g * g);
    const th = <f64>load<f32>(params + o) * decay;
    store<f32>(m + o, <f32>mm);
    store<f32>(v + o, <f32>vv);
    store<f32>(params + o, <f32>(th - (stepSize * mm) / (Math.sqrt(vv) * rbc2 + eps)));
  }
}

/** One AdamW step on a model's parameters (layout from `cfg`), with its gradients, first and
 *  second moments (all f32 blocks of nn_param_count(cfg) elements) and the AdamConfig slots in
 *  `opt`. The gradients are read, not modified. */
export function nn_adamw(cfg: ptr<f64>, params: ptr<f32>, grads: ptr<f32>, m: ptr<f32>, v: ptr<f32>, opt: ptr<f64>): void {
  const lr = load<f64>(opt, AdamConfig.LR << 3), b1 = load<f64>(opt, AdamConfig.BETA1 << 3), b2 = load<f64>(opt, AdamConfig.BETA2 << 3);
  const eps = load<f64>(opt, AdamConfig.EPS << 3), wd = load<f64>(opt, AdamConfig.WEIGHT_DECAY << 3);
  const t = load<f64>(opt, AdamConfig.STEP << 3), s = load<f64>(opt, AdamConfig.GRAD_SCALE << 3);
  const rule = <i32>load<f64>(opt, AdamConfig.DECAY_RULE << 3);
  const bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
  const stepSize = lr / bc1, rbc2 = 1 / Math.sqrt(bc2);
  if (infoScratch == 0) infoScratch = heap.alloc(TensorInfo.FIELDS << 2);
  const n = walk(cfg, -1, 0);
  for (let k = 0; k < n; k++) {
    walk(cfg, k, infoScratch);
    const off = load<i32>(infoScratch, TensorInfo.OFFSET << 2);
    const size = load<i32>(infoScratch, TensorInfo.ROWS << 2) * load<i32>(infoScratch, TensorInfo.COLS << 2);
    const decays = rule == 0 || load<i32>(infoScratch, TensorInfo.DECAY << 2) != 0;
    adamwRange(params, grads, m, v, off, off + size, decays ? 1 - lr * wd : 1.0, b1, b2, stepSize, rbc2, eps, s);
  }
}

/** ‖g‖₂ of n f32 values, accumulated in f64 (two lanes, combined at the end; fixed order). */
export function nn_grad_norm(grads: ptr<f32>, n: i32): f64 {
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const g = f64x2.promote_low_f32x4(v128.load64_zero(grads + (<usize>i << 2)));
    acc = f64x2.add(acc, f64x2.mul(g, g));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) {
    const g = <f64>load<f32>(grads + (<usize>i << 2));
    s += g * g;
  }
  return Math.sqrt(s);
}

/** Plain gradient descent θ ← θ − lr·g over n f32 parameters (each update in f64, rounded once
 *  to f32): the step of a policy-gradient trainer that prescribes its own update (the Policy
 *  contract of the games trainers: θ ← θ + lr·Σ w·∇log π, with g the gradient of −Σ w·log π).
 *  The gradients are read, not modified. */
export function nn_sgd(params: ptr<f32>, grads: ptr<f32>, n: i32, lr: f64): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(params + o, <f32>(<f64>load<f32>(params + o) - lr * <f64>load<f32>(grads + o)));
  }
}
