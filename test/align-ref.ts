// A float64 reference of the networks of assembly/nn, written independently in plain
// TypeScript from the equations (not from the Wasm code): the tests compare the engine's f32
// forward pass with it, and its central finite differences (exact to ~1e-9 in f64) with the
// engine's analytic backward.
export type F = Float64Array;

export function linear(x: F, W: F, b: F | null, N: number, C: number, OC: number): F {
  const y = new Float64Array(N * OC);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OC; o++) {
      let s = b ? b[o] : 0;
      for (let c = 0; c < C; c++) s += x[n * C + c] * W[c * OC + o];
      y[n * OC + o] = s;
    }
  }
  return y;
}

export function layernorm(x: F, w: F, b: F, N: number, C: number, eps = 1e-5): F {
  const y = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += x[n * C + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[n * C + c] - m) ** 2;
    v /= C;
    const r = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < C; c++) y[n * C + c] = (x[n * C + c] - m) * r * w[c] + b[c];
  }
  return y;
}

export const ACT = {
  gelu: (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  tanh: (x: number) => Math.tanh(x),
  relu: (x: number) => Math.max(x, 0),
};
export type ActName = keyof typeof ACT;
export const ACT_CODE: Record<ActName, number> = { gelu: 0, tanh: 1, relu: 2 };

export function activation(kind: ActName, x: F): F {
  return x.map(ACT[kind]);
}

/** Causal multi-head attention of qkv [B, T, 3C] → [B, T, C]. */
export function attention(qkv: F, B: number, T: number, C: number, NH: number): F {
  const hs = C / NH;
  const y = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const q = (b * T + t) * 3 * C + h * hs;
        const s = new Float64Array(t + 1);
        let m = -Infinity;
        for (let u = 0; u <= t; u++) {
          const k = (b * T + u) * 3 * C + C + h * hs;
          let d = 0;
          for (let i = 0; i < hs; i++) d += qkv[q + i] * qkv[k + i];
          s[u] = d / Math.sqrt(hs);
          m = Math.max(m, s[u]);
        }
        let z = 0;
        for (let u = 0; u <= t; u++) z += (s[u] = Math.exp(s[u] - m));
        for (let u = 0; u <= t; u++) {
          const v = (b * T + u) * 3 * C + 2 * C + h * hs;
          for (let i = 0; i < hs; i++) y[(b * T + t) * C + h * hs + i] += (s[u] / z) * qkv[v + i];
        }
      }
    }
  }
  return y;
}

export function embedding(tokens: Int32Array, wte: F, wpe: F, B: number, T: number, C: number): F {
  const y = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) y[(b * T + t) * C + c] = wte[tokens[b * T + t] * C + c] + wpe[t * C + c];
  return y;
}

/** log-softmax of each row of z [N, V] at targets [N]. */
export function logSoftmaxGather(z: F, targets: Int32Array, N: number, V: number): F {
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, z[n * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(z[n * V + v] - m);
    out[n] = z[n * V + targets[n]] - m - Math.log(s);
  }
  return out;
}

/** Full log-softmax rows. */
export function logSoftmax(z: ArrayLike<number>, N: number, V: number): F {
  const out = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, z[n * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(z[n * V + v] - m);
    const l = m + Math.log(s);
    for (let v = 0; v < V; v++) out[n * V + v] = z[n * V + v] - l;
  }
  return out;
}

const add = (a: F, b: F): F => a.map((v, i) => v + b[i]);

export interface RefModel {
  kind: "transformer" | "window-mlp" | "full-context-mlp";
  vocab: number; context: number; layers: number; heads: number; width: number; hidden: number;
  window: number; promptVocab: number; activation: ActName; pad: number; lnEps: number; valueHead: boolean;
}

/** Parameters by tensor name (f64 copies of the model's f32 tensors). */
export type Params = Record<string, F>;

export function splitParams(flat: ArrayLike<number>, tensors: readonly { name: string; offset: number; shape: number[] }[]): Params {
  const p: Params = {};
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    p[t.name] = Float64Array.from({ length: n }, (_, i) => flat[t.offset + i]);
  }
  return p;
}

/** Logits [B·T, V] (and the final hidden states, for the value head) of the reference model. */
export function forward(cfg: RefModel, p: Params, tokens: Int32Array, B: number, T: number, prompts?: Int32Array): { logits: F; hidden: F } {
  if (cfg.kind === "transformer") {
    const C = cfg.width, H = cfg.hidden, N = B * T;
    let x = embedding(tokens, p.wte, p.wpe, B, T, C);
    for (let l = 0; l < cfg.layers; l++) {
      const h = `h.${l}`;
      const a = attention(linear(layernorm(x, p[`${h}.ln_1.weight`], p[`${h}.ln_1.bias`], N, C, cfg.lnEps), p[`${h}.attn.c_attn.weight`], p[`${h}.attn.c_attn.bias`], N, C, 3 * C), B, T, C, cfg.heads);
      x = add(x, linear(a, p[`${h}.attn.c_proj.weight`], p[`${h}.attn.c_proj.bias`], N, C, C));
      const f = activation(cfg.activation, linear(layernorm(x, p[`${h}.ln_2.weight`], p[`${h}.ln_2.bias`], N, C, cfg.lnEps), p[`${h}.mlp.c_fc.weight`], p[`${h}.mlp.c_fc.bias`], N, C, H));
      x = add(x, linear(f, p[`${h}.mlp.c_proj.weight`], p[`${h}.mlp.c_proj.bias`], N, H, C));
    }
    const hidden = layernorm(x, p["ln_f.weight"], p["ln_f.bias"], N, C, cfg.lnEps);
    // tied head: logits = hidden · wteᵀ
    const logits = new Float64Array(N * cfg.vocab);
    for (let n = 0; n < N; n++) for (let v = 0; v < cfg.vocab; v++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += hidden[n * C + c] * p.wte[v * C + c];
      logits[n * cfg.vocab + v] = s;
    }
    return { logits, hidden };
  }
  const d = cfg.width, slots = cfg.kind === "window-mlp" ? cfg.window : cfg.context;
  const D = (cfg.promptVocab > 0 ? d : 0) + slots * d + d;
  const X = new Float64Array(B * T * D);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const r = (b * T + t) * D;
      let o = 0;
      if (cfg.promptVocab > 0) {
        for (let i = 0; i < d; i++) X[r + i] = p.wpx[prompts![b] * d + i];
        o = d;
      }
      for (let j = 0; j < slots; j++) {
        const tt = cfg.kind === "window-mlp" ? t - slots + 1 + j : j;
        const id = tt >= 0 && tt <= t ? tokens[b * T + tt] : cfg.pad;
        for (let i = 0; i < d; i++) X[r + o + j * d + i] = p.wte[id * d + i];
      }
      for (let i = 0; i < d; i++) X[r + o + slots * d + i] = p.wpe[t * d + i];
    }
  }
  const hidden = activation(cfg.activation, linear(X, p["mlp.hidden.weight"], p["mlp.hidden.bias"], B * T, D, cfg.hidden));
  return { logits: linear(hidden, p["mlp.out.weight"], p["mlp.out.bias"], B * T, cfg.hidden, cfg.vocab), hidden };
}

/** Σ dlogp·log p(targets) + Σ dlogits·logits + Σ dvalues·V: the scalar whose gradient the
 *  engine's backward computes (mask applied to dlogp). */
export function objective(cfg: RefModel, p: Params, tokens: Int32Array, targets: Int32Array, B: number, T: number,
  g: { dlogp?: ArrayLike<number>; mask?: ArrayLike<number>; dlogits?: ArrayLike<number>; dvalues?: ArrayLike<number>; positions?: ArrayLike<number> }, prompts?: Int32Array): number {
  const { logits, hidden } = forward(cfg, p, tokens, B, T, prompts);
  let L = 0;
  if (g.dlogp) {
    const lp = logSoftmaxGather(logits, targets, B * T, cfg.vocab);
    for (let i = 0; i < B * T; i++) if (!g.mask || g.mask[i]) L += g.dlogp[i] * lp[i];
  }
  if (g.dlogits) for (let i = 0; i < logits.length; i++) L += g.dlogits[i] * logits[i];
  if (g.dvalues) {
    const w = cfg.kind === "transformer" ? cfg.width : cfg.hidden;
    for (let b = 0; b < B; b++) {
      let s = p["value_head.bias"][0];
      const r = (b * T + g.positions![b]) * w;
      for (let i = 0; i < w; i++) s += p["value_head.weight"][i] * hidden[r + i];
      L += g.dvalues[b] * s;
    }
  }
  return L;
}

/** A seeded uniform generator on [lo, hi) for test inputs (mulberry32). */
export function uniforms(seed: number, n: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}
