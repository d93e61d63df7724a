// Autoregressive sampling, batched, with a KV cache (transformer) or a one-row step (MLPs), and
// the per-token geometric mixture of a policy π and a reference μ that Nash-MD samples from
// (Munos et al. 2024): at every position
//   s_v = (1−γ)·log π(v | y_<t) + γ·log μ(v | y_<t),   q(v) = exp(s_v/τ) / Σ_w exp(s_w/τ)
// (γ = 0: the policy alone, s = its logits), then top-k and top-p (nucleus, Holtzman et al.
// 2020) filtering of q and one draw from the engine's generator. τ = 0 is greedy decoding (the
// lowest index among equal maxima). Randomness comes only from the generator state passed in:
// one uniform per sampled token, rows in increasing order, so a seed fixes every sample.
//
// All sequences advance in lockstep, one position per step: a row whose prompt is longer than
// the current position takes its next prompt token instead of sampling; a row that sampled EOS
// (or MAX_NEW tokens) is finished and filled with PAD. With `recompute` the logits of each step come from a full
// forward pass over the prefix instead of the cache (a reference path for tests: the two give
// the same tokens, bit for bit).
import { Status, setStatusArg } from "../core/status";
import { next_f64 } from "../core/rng";
import { ModelConfig, ModelKind, cfgi } from "./config";
import { transformerForward, transformerWorkspace, transformerLogits, transformerStep, transformerCacheSize, transformerCacheLogits } from "./transformer";
import { mlpForward, mlpWorkspace, mlpLogits, mlpStep } from "./mlp";
import { mixtureRow } from "./losses";
import { at } from "./mathf";

/** Slots of the f64 `options` block of nn_sample. */
export const enum SampleConfig {
  /** Temperature τ ≥ 0 (0: greedy). */
  TEMPERATURE = 0,
  /** Keep the k most probable tokens (0: no limit). */
  TOP_K = 1,
  /** Keep the smallest set of most probable tokens whose probability reaches p (1: no limit). */
  TOP_P = 2,
  /** Mixture weight γ ∈ [0, 1] of the reference (needs a reference model when > 0). */
  MIXTURE = 3,
  /** End-of-sequence token id (−1: none). */
  EOS = 4,
  /** A row finishes after this many sampled tokens (0: when it reaches T). */
  MAX_NEW = 5,
  /** 1: recompute the full forward pass at every step instead of using the cache. */
  RECOMPUTE = 6,
  /** Number of slots. */
  SLOTS = 7,
}

// Model area of a sampling workspace (f32 elements).
function modelArea(cfg: usize, B: i32, T: i32, recompute: bool): f64 {
  const kind = cfgi(cfg, ModelConfig.KIND);
  if (kind == ModelKind.TRANSFORMER) return recompute ? transformerWorkspace(cfg, B, T) : transformerCacheSize(cfg, B, T);
  return mlpWorkspace(cfg, B, recompute ? T : 1);
}

/** f32 elements of the workspace nn_sample needs for one model (policy or reference), B rows of
 *  up to T tokens. */
export function sampleWorkspace(cfg: usize, B: i32, T: i32, recompute: bool): f64 {
  const V = cfgi(cfg, ModelConfig.VOCAB);
  return modelArea(cfg, B, T, recompute) + 3 * <f64>V + <f64>B * <f64>T + <f64>B;
}

// Logits [V] of row b at position t after computeStep (address).
let rowBase: usize = 0;
let rowStride: i32 = 0;

// Compute the next-token logits at position t for all rows of `tokens` [B, T] into the model
// area of `work`; sets rowBase / rowStride so that row b's logits are at rowBase + b·rowStride.
function computeStep(cfg: usize, params: usize, work: usize, tokens: usize, prompts: usize, t: i32, B: i32, T: i32, recompute: bool): void {
  const kind = cfgi(cfg, ModelConfig.KIND);
  const V = cfgi(cfg, ModelConfig.VOCAB);
  const tokbuf = at(work, <i32><i64>modelArea(cfg, B, T, recompute) + 3 * V);
  if (recompute) {
    const Tp = t + 1;
    for (let b = 0; b < B; b++) memory.copy(tokbuf + (<usize>(b * Tp) << 2), tokens + (<usize>(b * T) << 2), <usize>Tp << 2);
    if (kind == ModelKind.TRANSFORMER) {
      transformerForward(cfg, params, tokbuf, B, Tp, work, false);
      rowBase = at(work, transformerLogits(cfg, B, Tp) + t * V);
    } else {
      mlpForward(cfg, params, tokbuf, prompts, B, Tp, work, false);
      rowBase = at(work, mlpLogits(cfg, B, Tp) + t * V);
    }
    rowStride = Tp * V;
  } else if (kind == ModelKind.TRANSFORMER) {
    for (let b = 0; b < B; b++) store<i32>(at(tokbuf, b), load<i32>(at(tokens, b * T + t)));
    transformerStep(cfg, params, work, tokbuf, t, B, T);
    rowBase = at(work, transformerCacheLogits(cfg, B, T));
    rowStride = V;
  } else {
    mlpStep(cfg, params, work, tokens, prompts, t, B, T);
    rowBase = at(work, mlpLogits(cfg, B, 1));
    rowStride = V;
  }
}

// Heap sort of idx[0..n) so that scores s[idx[0]] ≥ s[idx[1]] ≥ …, equal scores by increasing
// index (a total order, so the result does not depend on the input order).
@inline function before(s: usize, a: i32, b: i32): bool {
  const sa = load<f64>(s + (<usize>a << 3)), sb = load<f64>(s + (<usize>b << 3));
  return sa < sb || (sa == sb && a > b); // "a sorts after b"
}
function siftDown(s: usize, idx: usize, start: i32, n: i32): void {
  let r = start;
  while (2 * r + 1 < n) {
    let c = 2 * r + 1;
    if (c + 1 < n && before(s, load<i32>(at(idx, c + 1)), load<i32>(at(idx, c)))) c++;
    const ir = load<i32>(at(idx, r)), ic = load<i32>(at(idx, c));
    if (!before(s, ic, ir)) return;
    store<i32>(at(idx, r), ic);
    store<i32>(at(idx, c), ir);
    r = c;
  }
}
function sortByScore(s: usize, idx: usize, n: i32): void {
  // A min-heap under "after" ordering, then repeatedly move the root to the end.
  for (let i = 0; i < n; i++) store<i32>(at(idx, i), i);
  for (let st = (n >> 1) - 1; st >= 0; st--) siftDown(s, idx, st, n);
  for (let end = n - 1; end > 0; end--) {
    const t0 = load<i32>(idx);
    store<i32>(idx, load<i32>(at(idx, end)));
    store<i32>(at(idx, end), t0);
    siftDown(s, idx, 0, end);
  }
}

let drawnLogp: f64 = 0;

// Draw a token from q ∝ exp(s) (scores s f64 [V], already divided by τ) after top-k / top-p.
// Leaves log q(token) in drawnLogp.
function draw(s: usize, idx: usize, V: i32, topK: i32, topP: f64, rng: usize): i32 {
  const filtered = (topK > 0 && topK < V) || topP < 1.0;
  if (!filtered) {
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, load<f64>(s + (<usize>v << 3)));
    let total = 0.0;
    for (let v = 0; v < V; v++) total += Math.exp(load<f64>(s + (<usize>v << 3)) - m);
    const u = next_f64(rng) * total;
    let c = 0.0;
    let pick = V - 1;
    for (let v = 0; v < V; v++) {
      c += Math.exp(load<f64>(s + (<usize>v << 3)) - m);
      if (c > u) {
        pick = v;
        break;
      }
    }
    drawnLogp = load<f64>(s + (<usize>pick << 3)) - m - Math.log(total);
    return pick;
  }
  sortByScore(s, idx, V);
  const m = load<f64>(s + (<usize>load<i32>(idx) << 3));
  let K = topK > 0 && topK < V ? topK : V;
  let total = 0.0;
  for (let i = 0; i < K; i++) total += Math.exp(load<f64>(s + (<usize>load<i32>(at(idx, i)) << 3)) - m);
  if (topP < 1.0) {
    // The smallest prefix whose probability (within the top-k set) reaches p.
    let c = 0.0;
    let kp = K;
    for (let i = 0; i < K; i++) {
      c += Math.exp(load<f64>(s + (<usize>load<i32>(at(idx, i)) << 3)) - m);
      if (c >= topP * total) {
        kp = i + 1;
        break;
      }
    }
    K = kp;
    total = 0.0;
    for (let i = 0; i < K; i++) total += Math.exp(load<f64>(s + (<usize>load<i32>(at(idx, i)) << 3)) - m);
  }
  const u = next_f64(rng) * total;
  let c = 0.0;
  let pick = load<i32>(at(idx, K - 1));
  for (let i = 0; i < K; i++) {
    const v = load<i32>(at(idx, i));
    c += Math.exp(load<f64>(s + (<usize>v << 3)) - m);
    if (c > u) {
      pick = v;
      break;
    }
  }
  drawnLogp = load<f64>(s + (<usize>pick << 3)) - m - Math.log(total);
  return pick;
}

/** Sample continuations; see nn_sample in model.ts for the contract. */
export function sample(
  cfg: usize, params: usize, work: usize, refCfg: usize, refParams: usize, refWork: usize,
  opts: usize, tokens: usize, promptLen: usize, prompts: usize, B: i32, T: i32, rng: usize,
  lengths: usize, logp: usize,
): Status {
  const V = cfgi(cfg, ModelConfig.VOCAB);
  const pad = cfgi(cfg, ModelConfig.PAD);
  const tau = load<f64>(opts, SampleConfig.TEMPERATURE << 3);
  const topK = <i32>load<f64>(opts, SampleConfig.TOP_K << 3);
  const topP = load<f64>(opts, SampleConfig.TOP_P << 3);
  const gamma = load<f64>(opts, SampleConfig.MIXTURE << 3);
  const eos = <i32>load<f64>(opts, SampleConfig.EOS << 3);
  const recompute = load<f64>(opts, SampleConfig.RECOMPUTE << 3) != 0;
  const maxNew = <i32>load<f64>(opts, SampleConfig.MAX_NEW << 3);
  if (!(tau >= 0) || !(topP > 0 && topP <= 1) || !(gamma >= 0 && gamma <= 1) || topK < 0 || maxNew < 0) {
    setStatusArg(-1);
    return Status.BAD_ARG;
  }
  const mix = gamma > 0;
  if (mix && (refCfg == 0 || refParams == 0 || refWork == 0 || cfgi(refCfg, ModelConfig.VOCAB) != V)) {
    setStatusArg(-2);
    return Status.BAD_ARG;
  }
  const area = <i32><i64>modelArea(cfg, B, T, recompute);
  const scores = at(work, area), idx = at(work, area + 2 * V), done = at(work, area + 3 * V + B * T);
  let maxPrompt = 0;
  for (let b = 0; b < B; b++) {
    const p = load<i32>(at(promptLen, b));
    if (p < 1 || p > T) {
      setStatusArg(<f64>b);
      return Status.BAD_ARG;
    }
    if (p > maxPrompt) maxPrompt = p;
    store<i32>(at(done, b), 0);
    store<i32>(at(lengths, b), T);
    if (logp != 0) memory.fill(at(logp, b * T), 0, <usize>T << 2);
  }
  for (let t = 0; t + 1 < T; t++) {
    let active = false;
    for (let b = 0; b < B; b++) if (load<i32>(at(done, b)) == 0 || t + 1 < load<i32>(at(promptLen, b))) active = true;
    if (!active) {
      // Every row finished: fill the rest with PAD.
      for (let b = 0; b < B; b++) for (let tt = t + 1; tt < T; tt++) store<i32>(at(tokens, b * T + tt), pad);
      break;
    }
    computeStep(cfg, params, work, tokens, prompts, t, B, T, recompute);
    const base = rowBase, stride = rowStride;
    let rbase: usize = 0, rstride = 0;
    if (mix) {
      computeStep(refCfg, refParams, refWork, tokens, prompts, t, B, T, recompute);
      rbase = rowBase;
      rstride = rowStride;
    }
    for (let b = 0; b < B; b++) {
      const pos = b * T + t + 1;
      if (t + 1 < load<i32>(at(promptLen, b))) continue; // a prompt token
      if (load<i32>(at(done, b)) != 0) {
        store<i32>(at(tokens, pos), pad);
        continue;
      }
      const z = base + (<usize>(b * stride) << 2);
      if (mix) {
        // s = (1−γ)·log π + γ·log μ  (each log-softmax in f64)
        mixtureRow<f32>(z, rbase + (<usize>(b * rstride) << 2), V, gamma, scores);
      } else {
        for (let v = 0; v < V; v++) store<f64>(scores + (<usize>v << 3), <f64>load<f32>(at(z, v)));
      }
      let tok = 0;
      let lq = 0.0;
      if (tau == 0) {
        let best = load<f64>(scores);
        for (let v = 1; v < V; v++) {
          const sv = load<f64>(scores + (<usize>v << 3));
          if (sv > best) {
            best = sv;
            tok = v;
          }
        }
      } else {
        if (tau != 1) for (let v = 0; v < V; v++) store<f64>(scores + (<usize>v << 3), load<f64>(scores + (<usize>v << 3)) / tau);
        tok = draw(scores, idx, V, topK, topP, rng);
        lq = drawnLogp;
      }
      store<i32>(at(tokens, pos), tok);
      if (logp != 0) store<f32>(at(logp, pos), <f32>lq);
      if (tok == eos || (maxNew > 0 && t + 2 - load<i32>(at(promptLen, b)) >= maxNew)) {
        store<i32>(at(done, b), 1);
        store<i32>(at(lengths, b), t + 2);
      }
    }
  }
  return Status.OK;
}
