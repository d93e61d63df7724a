// AdamW for LanguageModel, with learning-rate schedules, clipping by global norm and gradient
// accumulation. The update itself runs in the engine (nn_adamw: f64 arithmetic on f32 state);
// this file evaluates the schedule, computes the clipping factor from the f64 gradient norm,
// and keeps the step counter and the moment blocks.
import { AdamConfig, type WasmBuffer } from "../engine/index.js";
import { EngineResource } from "../engine/resource.js";
import { NumericalError, ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer, nonNegative, positive } from "../core/validate.js";
import { cos } from "../core/detmath.js";
import { LanguageModel } from "./model.js";

/** A learning-rate schedule over optimiser steps t = 1, 2, …:
 *  - "constant": η_t = lr;
 *  - { kind: "warmup", warmupSteps }: linear warm-up η_t = lr·min(1, t / warmupSteps), then constant;
 *  - { kind: "cosine", totalSteps, warmupSteps?, minLr? }: linear warm-up, then
 *    η_t = minLr + (lr − minLr)·½(1 + cos(π·p)), p = (t − warmup)/(total − warmup) clamped to [0, 1]
 *    (Loshchilov & Hutter 2017, without restarts). */
export type Schedule = "constant" | ConstantSchedule | WarmupSchedule | CosineSchedule;

/** η_t = lr. */
export interface ConstantSchedule {
  /** "constant". */
  kind: "constant";
}

/** Linear warm-up from lr/warmupSteps to lr over the first `warmupSteps` steps, then lr. */
export interface WarmupSchedule {
  /** "warmup". */
  kind: "warmup";
  /** Steps of the warm-up (≥ 1). */
  warmupSteps: number;
}

/** Linear warm-up, then a cosine decay from lr to minLr at `totalSteps` (and minLr after). */
export interface CosineSchedule {
  /** "cosine". */
  kind: "cosine";
  /** Step at which the learning rate reaches minLr. */
  totalSteps: number;
  /** Steps of the linear warm-up (default 0). */
  warmupSteps?: number;
  /** Final learning rate (default 0). */
  minLr?: number;
}

/** AdamW options. Defaults follow torch.optim.AdamW, except `clip` (1.0, as TRL / Hugging Face
 *  Trainer's max_grad_norm) and the decay rule (2-D tensors only, as GPT-2 / llm.c). */
export interface AdamWOptions {
  /** Peak learning rate η (default 1e-3). */
  lr?: number;
  /** β₁ (default 0.9). */
  beta1?: number;
  /** β₂ (default 0.999). */
  beta2?: number;
  /** ε (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay λ (default 0.01): θ ← θ(1 − η_t λ) before the Adam step. */
  weightDecay?: number;
  /** Which tensors decay: "matrices" (weights and embeddings; not biases or LayerNorm gains;
   *  default) or "all" (PyTorch's default when given model.parameters()). */
  decay?: "matrices" | "all";
  /** Learning-rate schedule (default "constant"). */
  schedule?: Schedule;
  /** Clip the global gradient norm to this value (default 1.0; null: no clipping). */
  clip?: number | null;
  /** Micro-batches per step: the accumulated gradient is divided by this (default 1). */
  accumulate?: number;
}

/** What one optimiser step did. */
export interface StepInfo {
  /** The step number t (1 for the first step). */
  step: number;
  /** The learning rate η_t used. */
  lr: number;
  /** ‖g‖₂ of the (accumulation-averaged) gradient before clipping. */
  gradNorm: number;
  /** The factor the gradient was multiplied by (clipping × 1/accumulate). */
  scale: number;
}

/** A snapshot of the optimiser's state (for checkpoints; restoring it resumes bit for bit). */
export interface AdamWState {
  /** Steps taken. */
  step: number;
  /** First-moment estimates (one per parameter). */
  m: Float32Array;
  /** Second-moment estimates (one per parameter). */
  v: Float32Array;
}

/** AdamW's options with every default filled in. */
export interface ResolvedAdamWOptions {
  /** Peak learning rate η. */
  lr: number;
  /** β₁. */
  beta1: number;
  /** β₂. */
  beta2: number;
  /** ε. */
  eps: number;
  /** Decoupled weight decay λ. */
  weightDecay: number;
  /** Which tensors decay. */
  decay: "matrices" | "all";
  /** The learning-rate schedule. */
  schedule: Schedule;
  /** Global-norm clipping threshold, or null. */
  clip: number | null;
  /** Micro-batches per step. */
  accumulate: number;
}

const KEYS = ["lr", "beta1", "beta2", "eps", "weightDecay", "decay", "schedule", "clip", "accumulate"] as const;
const SCHEDULE_KEYS: Record<string, readonly string[]> = {
  constant: ["kind"], warmup: ["kind", "warmupSteps"], cosine: ["kind", "totalSteps", "warmupSteps", "minLr"],
};

function checkSchedule(s: unknown, lr: number): Schedule {
  if (s === undefined || s === "constant") return "constant";
  if (s === null || typeof s !== "object" || typeof (s as { kind?: unknown }).kind !== "string" || !SCHEDULE_KEYS[(s as { kind: string }).kind]) {
    throw new ValueError(`AdamW: schedule must be "constant", { kind: "warmup", warmupSteps } or { kind: "cosine", totalSteps, warmupSteps?, minLr? }, got ${JSON.stringify(s)}`);
  }
  const kind = (s as { kind: string }).kind;
  const o = checkOptions<Record<string, unknown>>(s, `AdamW schedule (${kind})`, SCHEDULE_KEYS[kind]);
  if (kind === "constant") return "constant";
  if (kind === "warmup") return { kind, warmupSteps: integer(o.warmupSteps, "schedule.warmupSteps", 1) };
  const total = integer(o.totalSteps, "schedule.totalSteps", 1);
  const warm = o.warmupSteps === undefined ? 0 : integer(o.warmupSteps, "schedule.warmupSteps", 0, total - 1);
  const minLr = o.minLr === undefined ? 0 : nonNegative(o.minLr, "schedule.minLr");
  if (minLr > lr) throw new ValueError(`schedule.minLr = ${minLr} is above lr = ${lr}`);
  return { kind: "cosine", totalSteps: total, warmupSteps: warm, minLr };
}

/** The learning rate of step t ≥ 1 under `schedule` with peak `lr` (see Schedule). */
export function scheduledLr(schedule: Schedule, lr: number, t: number): number {
  if (schedule === "constant" || schedule.kind === "constant") return lr;
  if (schedule.kind === "warmup") return lr * Math.min(1, t / schedule.warmupSteps);
  const w = schedule.warmupSteps ?? 0, minLr = schedule.minLr ?? 0;
  if (t <= w) return lr * (t / w);
  const p = Math.min(1, Math.max(0, (t - w) / (schedule.totalSteps - w)));
  return minLr + (lr - minLr) * 0.5 * (1 + cos(Math.PI * p)); // detmath: same bits in every runtime
}

/**
 * AdamW (Loshchilov & Hutter 2019: Adam with decoupled weight decay) for one LanguageModel,
 * computed as torch.optim.AdamW computes it. `step()` uses the gradients accumulated by the
 * model's backward passes since the last step (divided by `accumulate`), clips them by global
 * norm, updates the parameters and zeroes the gradients. Owns two f32 moment blocks of the
 * model's size: `dispose()` it.
 */
export class AdamW extends EngineResource {
  /** The model this optimiser updates. */
  readonly model: LanguageModel;
  /** The options with defaults filled in. */
  readonly options: Readonly<ResolvedAdamWOptions>;
  private readonly m: WasmBuffer<Float32Array>;
  private readonly v: WasmBuffer<Float32Array>;
  private readonly opt: WasmBuffer<Float64Array>;
  private t = 0;

  constructor(model: LanguageModel, options?: AdamWOptions) {
    super();
    if (!(model instanceof LanguageModel)) throw new ValueError("AdamW: the first argument must be a LanguageModel");
    model.check();
    const o = checkOptions<AdamWOptions>(options, "AdamW", KEYS);
    const lr = o.lr === undefined ? 1e-3 : positive(o.lr, "lr");
    const unit = (v: number | undefined, d: number, name: string) => {
      if (v === undefined) return d;
      if (typeof v !== "number" || !(v >= 0 && v < 1)) throw new ValueError(`AdamW: ${name} must be in [0, 1), got ${String(v)}`);
      return v;
    };
    const decay = o.decay ?? "matrices";
    if (decay !== "matrices" && decay !== "all") throw new ValueError(`AdamW: decay must be "matrices" or "all", got ${JSON.stringify(decay)}`);
    this.options = Object.freeze({
      lr, beta1: unit(o.beta1, 0.9, "beta1"), beta2: unit(o.beta2, 0.999, "beta2"),
      eps: o.eps === undefined ? 1e-8 : positive(o.eps, "eps"),
      weightDecay: o.weightDecay === undefined ? 0.01 : nonNegative(o.weightDecay, "weightDecay"),
      decay, schedule: checkSchedule(o.schedule, lr),
      clip: o.clip === undefined ? 1.0 : o.clip === null ? null : positive(o.clip, "clip"),
      accumulate: o.accumulate === undefined ? 1 : integer(o.accumulate, "accumulate", 1),
    });
    this.model = model;
    const n = model.parameterCount;
    this.m = model.engine.f32(n);
    this.v = model.engine.f32(n);
    this.m.view.fill(0);
    this.v.view.fill(0);
    this.opt = model.engine.f64(AdamConfig.SLOTS);
  }

  /** Optimiser steps taken so far. */
  get stepCount(): number {
    return this.t;
  }

  /** The learning rate the next step will use. */
  get nextLr(): number {
    return scheduledLr(this.options.schedule, this.options.lr, this.t + 1);
  }

  protected release(): void {
    this.m.dispose();
    this.v.dispose();
    this.opt.dispose();
  }

  /** One AdamW step with the model's accumulated gradients, which are then zeroed. Throws
   *  NumericalError (leaving the parameters unchanged) when the gradient norm is not finite. */
  step(): StepInfo {
    this.assertLive();
    const model = this.model;
    model.check();
    const o = this.options;
    const avg = 1 / o.accumulate;
    const gradNorm = model.gradNorm() * avg;
    if (!Number.isFinite(gradNorm)) {
      throw new NumericalError(`AdamW.step: the gradient norm is ${gradNorm}; the step was skipped (parameters unchanged)`, { step: this.t + 1 });
    }
    const clipFactor = o.clip !== null ? Math.min(1, o.clip / (gradNorm + 1e-6)) : 1;
    const t = this.t + 1;
    const lr = scheduledLr(o.schedule, o.lr, t);
    const slots = this.opt.view;
    slots[AdamConfig.LR] = lr;
    slots[AdamConfig.BETA1] = o.beta1;
    slots[AdamConfig.BETA2] = o.beta2;
    slots[AdamConfig.EPS] = o.eps;
    slots[AdamConfig.WEIGHT_DECAY] = o.weightDecay;
    slots[AdamConfig.STEP] = t;
    slots[AdamConfig.GRAD_SCALE] = avg * clipFactor;
    slots[AdamConfig.DECAY_RULE] = o.decay === "all" ? 0 : 1;
    model.engine.call("nn_adamw", { cfg: model.cfg, params: model.params, grads: model.grads, m: this.m, v: this.v, opt: this.opt });
    model.version++;
    this.t = t;
    model.zeroGrad();
    return { step: t, lr, gradNorm, scale: avg * clipFactor };
  }

  /** A copy of the state (step counter and both moments). */
  getState(): AdamWState {
    this.assertLive();
    return { step: this.t, m: this.m.toArray(), v: this.v.toArray() };
  }

  /** Restore a state from getState() (same model size). */
  setState(state: AdamWState): void {
    this.assertLive();
    const s = checkOptions<AdamWState>(state, "AdamW.setState", ["step", "m", "v"]);
    const n = this.model.parameterCount;
    integer(s.step, "state.step", 0);
    if (!(s.m instanceof Float32Array) || !(s.v instanceof Float32Array) || s.m.length !== n || s.v.length !== n) {
      throw new ShapeError(`AdamW.setState: m and v must be Float32Arrays of ${n} values`);
    }
    this.m.set(s.m);
    this.v.set(s.v);
    this.t = s.step;
  }
}

/** Plain gradient descent with the model's accumulated gradients: θ ← θ − lr·∇ (each update in
 *  f64, rounded once to f32), then the gradients are zeroed. No clipping, no state: the update
 *  the games trainers' Policy contract prescribes (θ ← θ + lr·Σ w·∇log π, from the gradient of
 *  −Σ w·log π), used by LMPolicy. Throws NumericalError (parameters unchanged) when the gradient
 *  norm is not finite. */
export function sgdStep(model: LanguageModel, lr: number): void {
  if (!(model instanceof LanguageModel)) throw new ValueError("sgdStep: the first argument must be a LanguageModel");
  model.check();
  if (typeof lr !== "number" || !Number.isFinite(lr)) throw new ValueError(`sgdStep: lr must be a finite number, got ${String(lr)}`);
  const norm = model.gradNorm();
  if (!Number.isFinite(norm)) throw new NumericalError(`sgdStep: the gradient norm is ${norm}; the step was skipped (parameters unchanged)`);
  model.engine.call("nn_sgd", { params: model.params, grads: model.grads, n: model.parameterCount, lr });
  model.version++;
  model.zeroGrad();
}
