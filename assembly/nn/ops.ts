// The layers of assembly/nn, each forward next to its backward (the llm.c way: plain loops over
// plain f32 arrays, shapes in a one-line comment, no framework in between). Backward functions
// ADD into their gradient outputs (parameters' gradients accumulate over micro-batches; an
// activation's gradient may receive several contributions, e.g. the residual stream), except
// where a comment says "writes".
//
// Conventions: N rows (B·T positions), C channels; all arrays row-major f32. Reductions run in
// a fixed order (SIMD lanes combined as (l0 + l1) + (l2 + l3), rows in increasing index), so
// results are bit-identical in every runtime and for any batch composition. Sums that feed a
// log-probability (softmax normalisers) and sequence sums are accumulated in f64 (a sum of
// 10³–10⁴ f32 log-probabilities loses about three digits), in losses.ts.
import { tanhf4, loadPartial, storePartial, hsum, at } from "./mathf";
import { sgemm } from "./matmul";
import { gatherSoftmaxBackward } from "./losses";

// ---- embedding -----------------------------------------------------------------------------

// out[N=B·T, C] = wte[tok[b,t], :] + wpe[t, :]   (tokens i32 [B,T], wte [V,C], wpe [Tmax,C])
export function embeddingForward(out: usize, tokens: usize, wte: usize, wpe: usize, B: i32, T: i32, C: i32): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const r = b * T + t;
      addRows(at(out, r * C), at(wte, load<i32>(tokens + (<usize>r << 2)) * C), at(wpe, t * C), C);
    }
  }
}

// dwte[tok[b,t], :] += dout[b,t,:];  dwpe[t, :] += dout[b,t,:]   (rows in increasing b, t)
export function embeddingBackward(dwte: usize, dwpe: usize, dout: usize, tokens: usize, B: i32, T: i32, C: i32): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const r = b * T + t;
      const d = at(dout, r * C);
      addInto(at(dwte, load<i32>(tokens + (<usize>r << 2)) * C), d, C);
      if (dwpe != 0) addInto(at(dwpe, t * C), d, C);
    }
  }
}

// ---- elementwise helpers ---------------------------------------------------------------------

/** out[0..n) = a + b (out may alias a or b). */
export function addRows(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(out, i), f32x4.add(v128.load(at(a, i)), v128.load(at(b, i))));
  for (; i < n; i++) store<f32>(at(out, i), load<f32>(at(a, i)) + load<f32>(at(b, i)));
}

/** y[0..n) += x */
export function addInto(y: usize, x: usize, n: i32): void {
  addRows(y, y, x, n);
}

/** y[0..n) += a·x */
export function axpyf(y: usize, a: f32, x: usize, n: i32): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.add(v128.load(at(y, i)), f32x4.mul(av, v128.load(at(x, i)))));
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(y, i)) + a * load<f32>(at(x, i)));
}

/** x · y over n floats: four lane partial sums, combined (l0 + l1) + (l2 + l3), then the tail. */
@inline export function dotf(x: usize, y: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(x, i)), v128.load(at(y, i))));
  let s = hsum(acc);
  for (; i < n; i++) s += load<f32>(at(x, i)) * load<f32>(at(y, i));
  return s;
}

// ---- linear layer (bias part; the product is sgemm, see matmul.ts) ---------------------------

// out[N, OC] = x[N, C] · W[C, OC] + bias[OC]  (bias may be 0: none). With `residual` ≠ 0 the
// layer adds into a residual stream: out = residual + bias + x·W (residual may alias out).
export function linearForward(out: usize, x: usize, w: usize, bias: usize, residual: usize, N: i32, C: i32, OC: i32): void {
  // Start each output row from (residual +) bias, then accumulate the product: every element is
  // ((residual + bias) + Σ_p x_p w_p) in the same order for any N (see matmul.ts).
  for (let r = 0; r < N; r++) {
    const o = at(out, r * OC);
    if (residual != 0) {
      if (bias != 0) addRows(o, at(residual, r * OC), bias, OC);
      else if (residual != out) memory.copy(o, at(residual, r * OC), <usize>OC << 2);
    } else if (bias != 0) memory.copy(o, bias, <usize>OC << 2);
    else memory.fill(o, 0, <usize>OC << 2);
  }
  sgemm(0, 0, N, OC, C, x, C, w, OC, true, out, OC);
}

// dx[N, C] += dout · Wᵀ (or writes when !accumulateDx); dW[C, OC] += xᵀ · dout;
// dbias[OC] += Σ_rows dout   (dx may be 0: not needed)
export function linearBackward(dx: usize, dw: usize, dbias: usize, dout: usize, x: usize, w: usize, N: i32, C: i32, OC: i32, accumulateDx: bool): void {
  if (dx != 0) sgemm(0, 1, N, C, OC, dout, OC, w, OC, accumulateDx, dx, C);
  sgemm(1, 0, C, OC, N, x, C, dout, OC, true, dw, OC);
  if (dbias != 0) for (let r = 0; r < N; r++) addInto(dbias, at(dout, r * OC), OC);
}

// ---- layer normalisation (Ba, Kiros & Hinton 2016) -------------------------------------------

// out[N, C] = (x − μ)/σ · w + b, μ, σ per row; mean[N], rstd[N] = 1/σ kept for backward.
// σ² is the biased variance (÷ C), σ = √(σ² + eps), as PyTorch's LayerNorm.
export function layernormForward(out: usize, mean: usize, rstd: usize, x: usize, w: usize, b: usize, N: i32, C: i32, eps: f32): void {
  const inv = <f32>1 / <f32>C;
  for (let r = 0; r < N; r++) {
    const xr = at(x, r * C), or = at(out, r * C);
    let acc = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= C; i += 4) acc = f32x4.add(acc, v128.load(at(xr, i)));
    let s = hsum(acc);
    for (; i < C; i++) s += load<f32>(at(xr, i));
    const m = s * inv;
    const mv = f32x4.splat(m);
    acc = f32x4.splat(0);
    i = 0;
    for (; i + 4 <= C; i += 4) {
      const d = f32x4.sub(v128.load(at(xr, i)), mv);
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    let v = hsum(acc);
    for (; i < C; i++) {
      const d = load<f32>(at(xr, i)) - m;
      v += d * d;
    }
    const rs = <f32>1 / Mathf.sqrt(v * inv + eps);
    const rv = f32x4.splat(rs);
    i = 0;
    for (; i + 4 <= C; i += 4) {
      const n = f32x4.mul(f32x4.sub(v128.load(at(xr, i)), mv), rv);
      v128.store(at(or, i), f32x4.add(f32x4.mul(n, v128.load(at(w, i))), v128.load(at(b, i))));
    }
    for (; i < C; i++) store<f32>(at(or, i), (load<f32>(at(xr, i)) - m) * rs * load<f32>(at(w, i)) + load<f32>(at(b, i)));
    store<f32>(at(mean, r), m);
    store<f32>(at(rstd, r), rs);
  }
}

// n̂ = (x − μ)·rstd, g = dout ⊙ w:  dx += rstd·(g − mean(g) − n̂·mean(g ⊙ n̂));
// dw += Σ_rows dout ⊙ n̂;  db += Σ_rows dout.   dx[N,C], dw[C], db[C]
export function layernormBackward(dx: usize, dw: usize, db: usize, dout: usize, x: usize, w: usize, mean: usize, rstd: usize, N: i32, C: i32): void {
  const inv = <f32>1 / <f32>C;
  for (let r = 0; r < N; r++) {
    const xr = at(x, r * C), gr = at(dout, r * C), dr = at(dx, r * C);
    const mv = f32x4.splat(load<f32>(at(mean, r)));
    const rs = load<f32>(at(rstd, r));
    const rv = f32x4.splat(rs);
    let a1 = f32x4.splat(0), a2 = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= C; i += 4) {
      const n = f32x4.mul(f32x4.sub(v128.load(at(xr, i)), mv), rv);
      const g = f32x4.mul(v128.load(at(gr, i)), v128.load(at(w, i)));
      a1 = f32x4.add(a1, g);
      a2 = f32x4.add(a2, f32x4.mul(g, n));
    }
    let s1 = hsum(a1), s2 = hsum(a2);
    const m = f32x4.extract_lane(mv, 0);
    for (; i < C; i++) {
      const n = (load<f32>(at(xr, i)) - m) * rs;
      const g = load<f32>(at(gr, i)) * load<f32>(at(w, i));
      s1 += g;
      s2 += g * n;
    }
    const gm = f32x4.splat(s1 * inv), gnm = f32x4.splat(s2 * inv);
    i = 0;
    for (; i + 4 <= C; i += 4) {
      const n = f32x4.mul(f32x4.sub(v128.load(at(xr, i)), mv), rv);
      const d = v128.load(at(gr, i));
      const g = f32x4.mul(d, v128.load(at(w, i)));
      const t = f32x4.mul(f32x4.sub(f32x4.sub(g, gm), f32x4.mul(n, gnm)), rv);
      v128.store(at(dr, i), f32x4.add(v128.load(at(dr, i)), t));
      v128.store(at(dw, i), f32x4.add(v128.load(at(dw, i)), f32x4.mul(d, n)));
      v128.store(at(db, i), f32x4.add(v128.load(at(db, i)), d));
    }
    const gms = s1 * inv, gnms = s2 * inv;
    for (; i < C; i++) {
      const n = (load<f32>(at(xr, i)) - m) * rs;
      const d = load<f32>(at(gr, i));
      const g = d * load<f32>(at(w, i));
      store<f32>(at(dr, i), load<f32>(at(dr, i)) + (g - gms - n * gnms) * rs);
      store<f32>(at(dw, i), load<f32>(at(dw, i)) + d * n);
      store<f32>(at(db, i), load<f32>(at(db, i)) + d);
    }
  }
}

// ---- activations -----------------------------------------------------------------------------

/** Activation codes (slot ACTIVATION of a ModelConfig). */
export const enum Activation {
  /** GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (Hendrycks & Gimpel 2016). */
  GELU = 0,
  /** tanh. */
  TANH = 1,
  /** max(x, 0). */
  RELU = 2,
}

const GELU_S: f32 = 0.7978845608028654; // √(2/π)
const GELU_C: f32 = 0.044715;

@inline function geluV(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  const u = f32x4.mul(f32x4.splat(GELU_S), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_C), x3)));
  return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(f32x4.splat(1.0), tanhf4(u)));
}

// d/dx GELU = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²), t = tanh(u)
@inline function geluGradV(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const u = f32x4.mul(f32x4.splat(GELU_S), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_C), f32x4.mul(x2, x))));
  const t = tanhf4(u);
  const half = f32x4.splat(0.5), one = f32x4.splat(1.0);
  const sech2 = f32x4.sub(one, f32x4.mul(t, t));
  const du = f32x4.mul(f32x4.splat(GELU_S), f32x4.add(one, f32x4.mul(f32x4.splat(3.0 * GELU_C), x2)));
  return f32x4.add(f32x4.mul(half, f32x4.add(one, t)), f32x4.mul(f32x4.mul(half, x), f32x4.mul(sech2, du)));
}

@inline function actV(kind: i32, x: v128): v128 {
  if (kind == Activation.GELU) return geluV(x);
  if (kind == Activation.TANH) return tanhf4(x);
  return f32x4.pmax(x, f32x4.splat(0)); // ReLU; NaN stays NaN (pmax keeps x when unordered)
}

// y[n] = act(x[n])  (y may alias x)
export function activationForward(kind: i32, y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), actV(kind, v128.load(at(x, i))));
  if (i < n) storePartial(at(y, i), actV(kind, loadPartial(at(x, i), n - i)), n - i);
}

// dx[n] += act'(x) ⊙ dy, given the pre-activation x (and y = act(x), used by tanh).
// (dx may alias dy: then it writes dx = act'(x) ⊙ dy instead of adding.)
export function activationBackward(kind: i32, dx: usize, dy: usize, x: usize, y: usize, n: i32): void {
  const alias = dx == dy;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const g = f32x4.mul(actGradV(kind, v128.load(at(x, i)), v128.load(at(y, i))), v128.load(at(dy, i)));
    v128.store(at(dx, i), alias ? g : f32x4.add(v128.load(at(dx, i)), g));
  }
  if (i < n) {
    const k = n - i;
    const g = f32x4.mul(actGradV(kind, loadPartial(at(x, i), k), loadPartial(at(y, i), k)), loadPartial(at(dy, i), k));
    storePartial(at(dx, i), alias ? g : f32x4.add(loadPartial(at(dx, i), k), g), k);
  }
}

@inline function actGradV(kind: i32, x: v128, y: v128): v128 {
  if (kind == Activation.GELU) return geluGradV(x);
  if (kind == Activation.TANH) return f32x4.sub(f32x4.splat(1.0), f32x4.mul(y, y));
  return v128.and(f32x4.gt(x, f32x4.splat(0)), f32x4.splat(1.0)); // ReLU: 1 where x > 0
}

// ---- the output layer's backward ----------------------------------------------------------

// The log-softmax of the output rows (forward: logSoftmaxGather in losses.ts, which the
// models' nn_logprobs calls) and its backward are written once, in losses.ts, with f64 sums.
// Here, the gradient of the models' two output paths with respect to the logits, in place over
// the logits (which it consumes):
//   z[r, :] ← dl[r]·(onehot(target[r]) − softmax(z[r, :])) + extra[r, :]
// dl f64 [N] may be 0 (no per-token term), extra f32 [N, V] may be 0 (no full-vocabulary
// term); rows with mask 0 take only the extra term. lse f64 [N]: the rows' log-sum-exps from
// the forward (nn_logprobs), or 0 to recompute them.   z, extra [N, V]; target i32 [N]; mask u8 [N]
export function logitsGradient(z: usize, dl: usize, lse: usize, target: usize, mask: usize, extra: usize, N: i32, V: i32): void {
  if (dl != 0) gatherSoftmaxBackward<f32>(dl, z, lse, target, mask, N, V, 1.0, z, 0);
  else memory.fill(z, 0, <usize>N * <usize>V << 2);
  if (extra != 0) addRows(z, z, extra, N * V);
}
