// The neural-network engine (assembly/nn) and sdk/align's LanguageModel, AdamW and sampler.
//
// Gradients are checked against central finite differences of an independent float64 reference
// (test/align-ref.ts) evaluated at the engine's f32 inputs: the differences are exact to ~1e-9,
// so what remains is the f32 error of the engine's backward. Tolerances are stated per layer as
// max |g − g_fd| ≤ tol · max |g_fd| (relative to the gradient's scale).
import { describe, it, expect, beforeAll } from "vitest";
import { init, getEngine, EngineStateError, ShapeError, ValueError, NumericalError, Rng } from "../sdk/index.js";
import { input, outputF32, LayerOp } from "../sdk/engine/index.js";
import { LanguageModel, AdamW, sample, shiftTokens, scheduledLr, normalizeConfig } from "../sdk/align/index.js";
import * as R from "./align-ref.js";

beforeAll(async () => {
  await init();
});

const f32 = (a: ArrayLike<number>) => Float32Array.from(a);
const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

/** Run nn_layer forward (and backward when dy is given). */
function layer(op: LayerOp, dims: number[], x: Float32Array, p: Float32Array, yLen: number, dy: Float32Array | null, work: number) {
  const eng = getEngine();
  const dx = new Float32Array(x.length), dp = new Float32Array(p.length);
  const dxb = eng.f32(Math.max(1, x.length)).set(dx), dpb = eng.f32(Math.max(1, p.length)).set(dp);
  try {
    const r = eng.call("nn_layer", {
      op, dims: input(Int32Array.from(dims)), x: input(x.length ? x : new Float32Array(1)), params: input(p.length ? p : new Float32Array(1)),
      y: outputF32(yLen), dy: dy ? input(dy) : null, dx: dxb, dparams: dpb, work: eng.f32(Math.max(1, work)),
    });
    expect(r.ret).toBe(0);
    return { y: r.output("y"), dx: dxb.toArray().slice(0, x.length), dp: dpb.toArray().slice(0, p.length) };
  } finally {
    dxb.dispose();
    dpb.dispose();
  }
}

/** Central differences of f at v (f64), for the indices `which` (default all). */
function fd(f: (v: Float64Array) => number, v: Float64Array, eps: number, which?: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const i of which ?? v.keys()) {
    const a = v[i];
    v[i] = a + eps;
    const fp = f(v);
    v[i] = a - eps;
    const fm = f(v);
    v[i] = a;
    out.set(i, (fp - fm) / (2 * eps));
  }
  return out;
}

/** max |g_i − fd_i| / max |fd_i| over the checked indices. */
function relErr(g: ArrayLike<number>, ref: Map<number, number>): number {
  let num = 0, den = 0;
  for (const [i, r] of ref) {
    num = Math.max(num, Math.abs(g[i] - r));
    den = Math.max(den, Math.abs(r));
  }
  return num / den;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

describe("the f32 matrix product (nn_matmul)", () => {
  /** C = op(A)·op(B) (+ C0) through the engine. */
  function matmul(ta: boolean, tb: boolean, m: number, n: number, k: number, A: Float32Array, B: Float32Array, C0: Float32Array | null): Float32Array {
    const c = C0 ? C0.slice() : new Float32Array(m * n).fill(NaN); // NaN: accumulate = 0 must not read C
    const eng = getEngine();
    const cb = eng.f32(m * n).set(c);
    try {
      eng.call("nn_matmul", { transA: ta, transB: tb, m, n, k, a: input(A), lda: ta ? m : k, b: input(B), ldb: tb ? k : n, accumulate: C0 !== null, c: cb, ldc: n });
      return cb.toArray();
    } finally {
      cb.dispose();
    }
  }
  it("all four transpositions, edge tiles and several KC / MC / NC blocks agree with an f64 product (5e-5 absolute on entries of size ~10)", () => {
    const m = 70, n = 530, k = 300; // 2 MC blocks, 2 NC blocks, 2 KC blocks, ragged edges
    const A = f32(R.uniforms(51, m * k)), B = f32(R.uniforms(52, k * n)), C0 = f32(R.uniforms(53, m * n));
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        for (const acc of [false, true]) {
          const C = matmul(ta, tb, m, n, k, A, B, acc ? C0 : null);
          let err = 0;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let s = acc ? C0[i * n + j] : 0;
              for (let p = 0; p < k; p++) s += A[ta ? p * m + i : i * k + p] * B[tb ? j * k + p : p * n + j];
              err = Math.max(err, Math.abs(C[i * n + j] - s));
            }
          }
          expect(err, `transA=${ta} transB=${tb} accumulate=${acc}`).toBeLessThan(5e-5); // measured ≤ 2e-5 (entries ~ 10)
        }
      }
    }
  });
  it("a row computed alone equals the same row of the full product, bit for bit (what the KV cache relies on)", () => {
    const m = 37, n = 45, k = 290;
    const A = f32(R.uniforms(54, m * k)), B = f32(R.uniforms(55, k * n));
    for (const tb of [false, true]) {
      const full = matmul(false, tb, m, n, k, A, B, null);
      for (const i of [0, 5, 36]) {
        const row = matmul(false, tb, 1, n, k, A.slice(i * k, (i + 1) * k), B, null);
        expect(Array.from(row)).toEqual(Array.from(full.subarray(i * n, (i + 1) * n)));
      }
    }
  });
});

describe("layers: forward matches the f64 reference, backward matches its finite differences", () => {
  it("linear (tolerances: forward 1e-5 absolute, backward 1e-6 relative; measured 7e-8)", () => {
    const N = 7, C = 13, OC = 10;
    const x = f32(R.uniforms(1, N * C)), p = f32(R.uniforms(2, C * OC + OC)), dy = f32(R.uniforms(3, N * OC));
    const { y, dx, dp } = layer(LayerOp.LINEAR, [N, C, OC], x, p, N * OC, dy, 0);
    const fwd = (xv: Float64Array, pv: Float64Array) => R.linear(xv, pv.subarray(0, C * OC), pv.subarray(C * OC), N, C, OC);
    const yr = fwd(f64(x), f64(p));
    expect(Math.max(...yr.map((v, i) => Math.abs(v - y[i])))).toBeLessThan(1e-5);
    const pv = f64(p), xv = f64(x);
    expect(relErr(dx, fd((v) => dot(dy, fwd(v, pv)), xv, 1e-6))).toBeLessThan(1e-6);
    expect(relErr(dp, fd((v) => dot(dy, fwd(xv, v)), pv, 1e-6))).toBeLessThan(1e-6);
  });

  it("layernorm (tolerances: forward 1e-5 absolute, backward 2e-6 relative; measured 1.6e-7)", () => {
    const N = 5, C = 11;
    const x = f32(R.uniforms(4, N * C, -2, 2)), p = f32(R.uniforms(5, 2 * C, 0.5, 1.5)), dy = f32(R.uniforms(6, N * C));
    const { y, dx, dp } = layer(LayerOp.LAYERNORM, [N, C], x, p, N * C, dy, 2 * N);
    const fwd = (xv: Float64Array, pv: Float64Array) => R.layernorm(xv, pv.subarray(0, C), pv.subarray(C), N, C);
    const yr = fwd(f64(x), f64(p));
    expect(Math.max(...yr.map((v, i) => Math.abs(v - y[i])))).toBeLessThan(1e-5);
    const pv = f64(p), xv = f64(x);
    expect(relErr(dx, fd((v) => dot(dy, fwd(v, pv)), xv, 1e-6))).toBeLessThan(2e-6);
    expect(relErr(dp, fd((v) => dot(dy, fwd(xv, v)), pv, 1e-6))).toBeLessThan(2e-6);
  });

  for (const act of ["gelu", "tanh", "relu"] as const) {
    it(`activation ${act} (tolerances: forward 4e-7 absolute, backward 3e-6 relative; measured 2.7e-7)`, () => {
      const n = 37;
      // keep ReLU inputs away from its kink at 0, where the difference quotient is meaningless
      const x = f32(R.uniforms(7, n, -3, 3).map((v) => (act === "relu" && Math.abs(v) < 1e-3 ? 0.5 : v)));
      const dy = f32(R.uniforms(8, n));
      const { y, dx } = layer(LayerOp.ACTIVATION, [n, R.ACT_CODE[act]], x, new Float32Array(0), n, dy, 0);
      const yr = R.activation(act, f64(x));
      expect(Math.max(...yr.map((v, i) => Math.abs(v - y[i])))).toBeLessThan(act === "relu" ? 1e-12 : 4e-7);
      expect(relErr(dx, fd((v) => dot(dy, R.activation(act, v)), f64(x), 1e-6))).toBeLessThan(3e-6);
    });
  }

  it("causal multi-head attention (tolerances: forward 1e-5 absolute, backward 1e-6 relative; measured 9e-8)", () => {
    const B = 2, T = 5, C = 8, NH = 2;
    const x = f32(R.uniforms(9, B * T * 3 * C, -1.5, 1.5)), dy = f32(R.uniforms(10, B * T * C));
    const { y, dx } = layer(LayerOp.ATTENTION, [B, T, C, NH], x, new Float32Array(0), B * T * C, dy, B * NH * T * T + Math.min(T, 32) * T);
    const yr = R.attention(f64(x), B, T, C, NH);
    expect(Math.max(...yr.map((v, i) => Math.abs(v - y[i])))).toBeLessThan(1e-5);
    expect(relErr(dx, fd((v) => dot(dy, R.attention(v, B, T, C, NH)), f64(x), 1e-6))).toBeLessThan(1e-6);
    // several blocks of query rows (32 per block)
    {
      const B2 = 1, T2 = 70, C2 = 8, NH2 = 2;
      const x2 = f32(R.uniforms(19, B2 * T2 * 3 * C2, -1.5, 1.5)), dy2 = f32(R.uniforms(20, B2 * T2 * C2));
      const r = layer(LayerOp.ATTENTION, [B2, T2, C2, NH2], x2, new Float32Array(0), B2 * T2 * C2, dy2, B2 * NH2 * T2 * T2 + 32 * T2);
      const yr2 = R.attention(f64(x2), B2, T2, C2, NH2);
      expect(Math.max(...yr2.map((v, i) => Math.abs(v - r.y[i])))).toBeLessThan(1e-5);
      const which = Array.from({ length: 200 }, (_, i) => (i * 37) % x2.length);
      expect(relErr(r.dx, fd((v) => dot(dy2, R.attention(v, B2, T2, C2, NH2)), f64(x2), 1e-6, which))).toBeLessThan(1e-6);
    }
    // causality: changing the last position's key/value leaves earlier outputs unchanged
    const x2 = x.slice();
    for (let i = 0; i < 3 * C; i++) x2[(T - 1) * 3 * C + i] += 0.5;
    const y2 = layer(LayerOp.ATTENTION, [B, T, C, NH], x2, new Float32Array(0), B * T * C, null, B * NH * T * T + Math.min(T, 32) * T).y;
    expect(Array.from(y2.subarray(0, (T - 1) * C))).toEqual(Array.from(y.subarray(0, (T - 1) * C)));
  });

  it("token + position embedding (backward 5e-7 relative: a scatter-add, exact up to the differences' own error)", () => {
    const B = 2, T = 3, C = 4, V = 5;
    const tokens = [1, 4, 1, 0, 1, 2];
    const p = f32(R.uniforms(11, V * C + T * C)), dy = f32(R.uniforms(12, B * T * C));
    const { y, dp } = layer(LayerOp.EMBEDDING, [B, T, C, V, ...tokens], new Float32Array(0), p, B * T * C, dy, 0);
    const fwd = (pv: Float64Array) => R.embedding(Int32Array.from(tokens), pv.subarray(0, V * C), pv.subarray(V * C), B, T, C);
    expect(Math.max(...fwd(f64(p)).map((v, i) => Math.abs(v - y[i])))).toBeLessThan(1e-6);
    expect(relErr(dp, fd((v) => dot(dy, fwd(v)), f64(p), 1e-6))).toBeLessThan(5e-7);
  });

  it("log-softmax gathered at the targets (tolerances: forward 2e-6 absolute, backward 5e-7 relative; measured 2e-8)", () => {
    const N = 6, V = 9;
    const targets = [0, 8, 3, 3, 5, 1];
    const x = f32(R.uniforms(13, N * V, -4, 4)), dy = f32(R.uniforms(14, N));
    const { y, dx } = layer(LayerOp.LOG_SOFTMAX, [N, V, ...targets], x, new Float32Array(0), N, dy, N * V);
    const fwd = (v: Float64Array) => R.logSoftmaxGather(v, Int32Array.from(targets), N, V);
    expect(Math.max(...fwd(f64(x)).map((v, i) => Math.abs(v - y[i])))).toBeLessThan(2e-6);
    expect(relErr(dx, fd((v) => dot(dy, fwd(v)), f64(x), 1e-6))).toBeLessThan(5e-7);
  });

  it("residual (exact)", () => {
    const n = 9;
    const x = f32(R.uniforms(15, 2 * n)), dy = f32(R.uniforms(16, n));
    const { y, dx } = layer(LayerOp.RESIDUAL, [n], x, new Float32Array(0), n, dy, 0);
    for (let i = 0; i < n; i++) {
      expect(y[i]).toBe(Math.fround(x[i] + x[n + i]));
      expect(dx[i]).toBe(dy[i]);
      expect(dx[n + i]).toBe(dy[i]);
    }
  });
});

// ---- whole models ----------------------------------------------------------------------------

const TRANSFORMER = { kind: "transformer", vocab: 11, context: 6, layers: 2, heads: 2, width: 8, hidden: 12, valueHead: true } as const;
const WINDOW = { kind: "window-mlp", vocab: 7, context: 6, width: 3, hidden: 5, window: 3, promptVocab: 4, valueHead: true, pad: 2 } as const;
const FULL = { kind: "full-context-mlp", vocab: 6, context: 5, width: 2, hidden: 4, activation: "relu" } as const;

/** Random parameters in [−0.5, 0.5) (LayerNorm gains around 1), so that every path matters. */
function randomize(model: LanguageModel, seed: number): void {
  const p = R.uniforms(seed, model.parameterCount, -0.5, 0.5);
  for (const t of model.tensors) {
    if (/ln_.*weight/.test(t.name)) for (let i = 0; i < t.shape[0]; i++) p[t.offset + i] += 1;
  }
  model.setParameters(f32(p));
}

function refConfig(model: LanguageModel): R.RefModel {
  return { ...model.config } as R.RefModel;
}

describe("whole-model gradient equals finite differences of the f64 reference", () => {
  for (const cfg of [TRANSFORMER, WINDOW, FULL]) {
    it(`${cfg.kind}: log-probs, values and ∂/∂θ of Σ dℓ·ℓ + ⟨dlogits, logits⟩ + Σ dv·V (tolerance 2e-6 relative; measured 2e-7)`, () => {
      using model = LanguageModel.create(cfg, { seed: 3 });
      randomize(model, 17);
      const B = 2, T = cfg.context - 1, V = cfg.vocab;
      const tok = Int32Array.from(R.uniforms(21, B * T, 0, V), Math.floor);
      const tgt = Int32Array.from(R.uniforms(22, B * T, 0, V), Math.floor);
      const mask = Uint8Array.from(R.uniforms(23, B * T), (u) => (u > -0.4 ? 1 : 0));
      const prompts = "promptVocab" in cfg ? Int32Array.from([3, 1]) : undefined;
      const positions = [1, T - 1];
      const dlogp = f32(R.uniforms(24, B * T)), dlogits = f32(R.uniforms(25, B * T * V, -0.3, 0.3)), dvalues = f32([0.7, -1.1]);
      const batch = { inputs: { data: tok, batch: B, length: T }, targets: { data: tgt, batch: B, length: T }, mask, promptIds: prompts };
      const lp = model.logProbs(batch);
      const params = model.getParameters();
      const rc = refConfig(model);
      const p0 = R.splitParams(params, model.tensors);
      const ref = R.logSoftmaxGather(R.forward(rc, p0, tok, B, T, prompts).logits, tgt, B * T, V);
      for (let i = 0; i < B * T; i++) expect(Math.abs(lp.tokens[i] - (mask[i] ? ref[i] : 0))).toBeLessThan(2e-6);
      for (let b = 0; b < B; b++) {
        let s = 0;
        for (let t = 0; t < T; t++) if (mask[b * T + t]) s += lp.tokens[b * T + t];
        expect(lp.sums[b]).toBe(s); // f64 sum of the f32 values, in order
      }
      const g: Parameters<typeof R.objective>[6] = { dlogp, mask, dlogits };
      let values: Float32Array | null = null;
      if (model.config.valueHead) {
        values = model.values(null, positions, { reuse: true });
        Object.assign(g, { dvalues, positions });
      }
      model.backward({ dlogp, dlogits, dvalues: values ? dvalues : undefined });
      const grads = model.getGradients();
      const flat = f64(params);
      const objective = (v: Float64Array) => R.objective(rc, R.splitParams(v, model.tensors), tok, tgt, B, T, g, prompts);
      const err = relErr(grads, fd(objective, flat, 1e-5));
      expect(err).toBeLessThan(2e-6);
      // every tensor receives a gradient
      for (const t of model.tensors) {
        const n = t.shape.reduce((a, b) => a * b, 1);
        expect(grads.subarray(t.offset, t.offset + n).some((x) => x !== 0), t.name).toBe(true);
      }
    });
  }

  it("setGradients, blend, clone and copyFrom", () => {
    using a = LanguageModel.create(FULL, { seed: 1 });
    using b = LanguageModel.create(FULL, { seed: 2 });
    const pa = a.getParameters(), pb = b.getParameters();
    a.blend(b, 0.25);
    const pc = a.getParameters();
    for (let i = 0; i < pa.length; i++) expect(pc[i]).toBe(Math.fround(0.25 * pa[i] + 0.75 * pb[i]));
    using c = a.clone();
    expect(Array.from(c.getParameters())).toEqual(Array.from(pc));
    c.copyFrom(b);
    expect(Array.from(c.getParameters())).toEqual(Array.from(pb));
    const g = Float32Array.from({ length: a.parameterCount }, (_, i) => (i % 7) - 3);
    a.setGradients(g);
    expect(Array.from(a.getGradients())).toEqual(Array.from(g));
    using other = LanguageModel.create({ ...FULL, hidden: 5 });
    expect(() => a.blend(other, 0.5)).toThrow(/configurations differ/);
  });

  it("lastLogits returns the logits of the last forward pass until a backward pass consumes them", () => {
    using model = LanguageModel.create(WINDOW, { seed: 1 });
    const batch = { inputs: [[1, 2, 3]], targets: [[2, 3, 4]], promptIds: [2] };
    const lp = model.logProbs(batch);
    const z = model.lastLogits();
    expect(Array.from(z)).toEqual(Array.from(model.logits(batch.inputs, { promptIds: [2] })));
    const ls = R.logSoftmax(z, 3, 7);
    for (let t = 0; t < 3; t++) expect(Math.abs(ls[t * 7 + [2, 3, 4][t]] - lp.tokens[t])).toBeLessThan(1e-6);
    model.backward({ dlogits: new Float32Array(21) });
    expect(() => model.lastLogits()).toThrow(EngineStateError);
  });

  it("a headless forward (values only) cannot feed dlogp or dlogits", () => {
    using model = LanguageModel.create(TRANSFORMER, { seed: 1 });
    model.values([[1, 2, 3]], [1]);
    expect(() => model.backward({ dlogits: new Float32Array(3 * 11) })).toThrow(/headless/);
    model.backward({ dvalues: [1] });
    expect(model.gradNorm()).toBeGreaterThan(0);
  });

  it("gradients accumulate over backward passes and zeroGrad resets them", () => {
    using model = LanguageModel.create(WINDOW, { seed: 5 });
    const batch = { inputs: [[1, 2, 3]], targets: [[2, 3, 4]], promptIds: [0] };
    model.logProbs(batch);
    model.backward({ dlogp: [-1, -1, -1] });
    const g1 = model.getGradients();
    model.logProbs(batch);
    model.backward({ dlogp: [-1, -1, -1] });
    const g2 = model.getGradients();
    // the second pass adds its partial sums to the first's, so 2·g1 up to f32 rounding
    for (let i = 0; i < g1.length; i++) expect(Math.abs(g2[i] - 2 * g1[i])).toBeLessThanOrEqual(1e-6 * Math.abs(g1[i]) + 1e-9);
    expect(g1.some((x) => x !== 0)).toBe(true);
    model.zeroGrad();
    expect(model.gradNorm()).toBe(0);
  });
});

/** Mean negative log-likelihood of the targets (the SFT loss) and its dℓ = −mask/N. */
function sftStep(model: LanguageModel, batch: { inputs: unknown; targets: unknown; mask?: Uint8Array; promptIds?: number[] }): number {
  const lp = model.logProbs(batch as never);
  const n = lp.counts.reduce((a, b) => a + b, 0);
  const loss = -lp.sums.reduce((a, b) => a + b, 0) / n;
  const dlogp = new Float32Array(lp.tokens.length);
  for (let i = 0; i < dlogp.length; i++) dlogp[i] = batch.mask && !batch.mask[i] ? 0 : -1 / n;
  model.backward({ dlogp });
  return loss;
}

describe("training: a transformer and an MLP overfit a tiny dataset", () => {
  it("transformer reaches a mean NLL below 0.01 nats", () => {
    const seqs = [0, 1, 2, 3].map((s) => Array.from({ length: 13 }, (_, t) => (s * 3 + t * (s + 1)) % 12));
    const { inputs, targets } = shiftTokens(seqs);
    using model = LanguageModel.create({ kind: "transformer", vocab: 12, context: 12, layers: 2, heads: 2, width: 16 }, { seed: 2 });
    using opt = new AdamW(model, { lr: 1e-2, weightDecay: 0, schedule: { kind: "warmup", warmupSteps: 10 } });
    let loss = Infinity;
    const first = sftStep(model, { inputs, targets });
    model.zeroGrad();
    for (let i = 0; i < 250 && loss > 0.005; i++) {
      loss = sftStep(model, { inputs, targets });
      opt.step();
    }
    expect(first).toBeGreaterThan(2);
    expect(loss).toBeLessThan(0.01);
  });

  it("window MLP with a prompt embedding reaches a mean NLL below 0.01 nats", () => {
    const seqs = [0, 1, 2, 3].map((s) => [s, ...Array.from({ length: 9 }, (_, t) => (s * 5 + t * t + s * t) % 9)]);
    const { inputs, targets } = shiftTokens(seqs);
    using model = LanguageModel.create({ kind: "window-mlp", vocab: 9, context: 9, hidden: 64, window: 3, promptVocab: 4 }, { seed: 2 });
    using opt = new AdamW(model, { lr: 2e-2, weightDecay: 0 });
    let loss = Infinity;
    for (let i = 0; i < 400 && loss > 0.005; i++) {
      loss = sftStep(model, { inputs, targets, promptIds: [0, 1, 2, 3] });
      opt.step();
    }
    expect(loss).toBeLessThan(0.01);
  });
});

// ---- sampling --------------------------------------------------------------------------------------

describe("sampling", () => {
  const cases = [
    ["transformer", { kind: "transformer", vocab: 13, context: 12, layers: 2, heads: 2, width: 8 }],
    ["window-mlp", { kind: "window-mlp", vocab: 13, context: 12, width: 4, hidden: 16, window: 3 }],
    ["full-context-mlp", { kind: "full-context-mlp", vocab: 13, context: 12, width: 3, hidden: 16 }],
  ] as const;
  for (const [name, cfg] of cases) {
    it(`${name}: the cached sampler equals full recomputation token for token`, () => {
      using model = LanguageModel.create(cfg, { seed: 4 });
      using ref = LanguageModel.create(cfg, { seed: 5 });
      randomize(model, 31);
      randomize(ref, 32);
      const prompts = [[1], [2, 3, 4, 5], [6, 7]];
      for (const opts of [{}, { temperature: 0.7, topK: 5 }, { topP: 0.8, eos: 3 }, { mixture: 0.3, refModel: ref, topK: 6, topP: 0.95 }, { temperature: 0 }]) {
        const a = sample(model, prompts, { ...opts, seed: 9, maxNewTokens: 7 });
        const b = sample(model, prompts, { ...opts, seed: 9, maxNewTokens: 7, recompute: true });
        expect(a.sequences.map((s) => Array.from(s))).toEqual(b.sequences.map((s) => Array.from(s)));
        expect(a.logProbs.map((s) => Array.from(s))).toEqual(b.logProbs.map((s) => Array.from(s)));
        for (let r = 0; r < prompts.length; r++) {
          expect(Array.from(a.sequences[r].subarray(0, prompts[r].length))).toEqual(prompts[r]);
          const eos = (opts as { eos?: number }).eos;
          const stop = a.completions[r].indexOf(eos ?? -1);
          expect(a.completions[r].length).toBe(stop >= 0 ? stop + 1 : 7);
        }
      }
    });
  }

  it("window-mlp with a prompt embedding: promptIds select the prompt; cache = recomputation", () => {
    using model = LanguageModel.create({ ...WINDOW, context: 10 }, { seed: 4 });
    randomize(model, 36);
    model.setTensor("wpx", f32(R.uniforms(37, 12, -4, 4))); // prompts that matter
    const a = sample(model, [[1], [1]], { promptIds: [0, 3], seed: 3, maxNewTokens: 8 });
    const b = sample(model, [[1], [1]], { promptIds: [0, 3], seed: 3, maxNewTokens: 8, recompute: true });
    expect(a.sequences.map((s) => Array.from(s))).toEqual(b.sequences.map((s) => Array.from(s)));
    const c = sample(model, [[1], [1]], { promptIds: [3, 0], seed: 3, maxNewTokens: 8 });
    expect(a.sequences.map((s) => Array.from(s))).not.toEqual(c.sequences.map((s) => Array.from(s)));
    expect(() => sample(model, [[1]], { seed: 3 })).toThrow(/promptIds are required/);
  });

  it("transformer over several attention blocks (context 80): cache = recomputation", () => {
    using model = LanguageModel.create({ kind: "transformer", vocab: 9, context: 80, layers: 1, heads: 2, width: 8 }, { seed: 4 });
    randomize(model, 35);
    const prompts = [[1, 2, 3], Array.from({ length: 40 }, (_, i) => i % 9)];
    const a = sample(model, prompts, { seed: 2, maxNewTokens: 38 });
    const b = sample(model, prompts, { seed: 2, maxNewTokens: 38, recompute: true });
    expect(a.sequences.map((s) => Array.from(s))).toEqual(b.sequences.map((s) => Array.from(s)));
    expect(a.logProbs.map((s) => Array.from(s))).toEqual(b.logProbs.map((s) => Array.from(s)));
  });

  it("the same seed gives the same samples; the logProbs of a sample are those of the model", () => {
    using model = LanguageModel.create(cases[0][1], { seed: 4 });
    randomize(model, 33);
    const a = sample(model, [[1, 2]], { seed: 3, maxNewTokens: 6 });
    const b = sample(model, [[1, 2]], { seed: 3, maxNewTokens: 6 });
    const c = sample(model, [[1, 2]], { seed: 4, maxNewTokens: 6 });
    expect(Array.from(a.sequences[0])).toEqual(Array.from(b.sequences[0]));
    expect(Array.from(a.sequences[0])).not.toEqual(Array.from(c.sequences[0]));
    const { inputs, targets } = shiftTokens([a.sequences[0]]);
    const lp = model.logProbs({ inputs, targets });
    for (let t = 0; t < 6; t++) expect(Math.abs(lp.tokens[1 + t] - a.logProbs[0][t])).toBeLessThan(2e-6);
  });

  it("top-k keeps only the k most probable tokens", () => {
    using model = LanguageModel.create(cases[0][1], { seed: 4 });
    randomize(model, 34);
    const logits = model.logits([[5]]);
    const order = Array.from(logits.keys()).sort((i, j) => logits[j] - logits[i]);
    const s = sample(model, Array.from({ length: 400 }, () => [5]), { topK: 3, maxNewTokens: 1, seed: 1 });
    const seen = new Set(s.completions.map((c) => c[0]));
    expect([...seen].every((v) => order.slice(0, 3).includes(v))).toBe(true);
    expect(seen.size).toBe(3);
  });

  it("the Nash-MD mixture sampler draws from softmax((1−γ)·log π + γ·log μ) at every token (exact log-probabilities, χ² over 9 outcomes)", () => {
    const cfg = { kind: "transformer", vocab: 3, context: 3, layers: 1, heads: 1, width: 4 } as const;
    using pi = LanguageModel.create(cfg, { seed: 1 });
    using mu = LanguageModel.create(cfg, { seed: 2 });
    randomize(pi, 41);
    randomize(mu, 42);
    const gamma = 0.35;
    const mix = (prefix: number[]) => {
      const T = prefix.length, V = 3;
      const lp = R.logSoftmax(pi.logits([prefix]).subarray((T - 1) * V), 1, V);
      const lm = R.logSoftmax(mu.logits([prefix]).subarray((T - 1) * V), 1, V);
      return R.logSoftmax(lp.map((v, i) => (1 - gamma) * v + gamma * lm[i]), 1, V);
    };
    // exact probabilities of the 9 continuations of the prompt [0]
    const exact = new Map<string, number>();
    const q1 = mix([0]);
    for (let a = 0; a < 3; a++) {
      const q2 = mix([0, a]);
      for (let b = 0; b < 3; b++) exact.set(`${a}${b}`, q1[a] + q2[b]);
    }
    const N = 20000;
    const s = sample(pi, Array.from({ length: N }, () => [0]), { refModel: mu, mixture: gamma, maxNewTokens: 2, seed: 7 });
    const counts = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const key = `${s.completions[i][0]}${s.completions[i][1]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      // the sampler reports log q(token) of the mixture it drew from: equal to the definition
      if (i < 50) expect(Math.abs(s.logProbs[i][0] + s.logProbs[i][1] - exact.get(key)!)).toBeLessThan(2e-6);
    }
    let chi2 = 0;
    for (const [k, lq] of exact) chi2 += ((counts.get(k) ?? 0) - N * Math.exp(lq)) ** 2 / (N * Math.exp(lq));
    expect(chi2).toBeLessThan(26.12); // χ²₈ at p = 0.001
    // …and not the policy alone: its distribution is rejected by the same test
    const q1p = R.logSoftmax(pi.logits([[0]]), 1, 3);
    let chi2pi = 0;
    for (let a = 0; a < 3; a++) {
      const n = [...counts].filter(([k]) => k[0] === String(a)).reduce((x, [, c]) => x + c, 0);
      chi2pi += (n - N * Math.exp(q1p[a])) ** 2 / (N * Math.exp(q1p[a]));
    }
    expect(chi2pi).toBeGreaterThan(100);
  });
});

// ---- optimiser ---------------------------------------------------------------------------------------

describe("AdamW", () => {
  it("three steps match a hand computation (torch.optim.AdamW's update, decay on matrices, clipping)", () => {
    using model = LanguageModel.create({ kind: "window-mlp", vocab: 5, context: 4, width: 2, hidden: 3, window: 2 }, { seed: 8 });
    const o = { lr: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1, clip: 0.5 };
    using opt = new AdamW(model, o);
    const n = model.parameterCount;
    const decays = new Uint8Array(n);
    for (const t of model.tensors) if (t.decay) decays.fill(1, t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1));
    expect(decays.some((d) => d === 0) && decays.some((d) => d === 1)).toBe(true);
    const m = new Float32Array(n), v = new Float32Array(n);
    let theta = model.getParameters();
    const batch = { inputs: [[1, 2, 3], [4, 0, 1]], targets: [[2, 3, 4], [0, 1, 2]] };
    for (let t = 1; t <= 3; t++) {
      sftStep(model, batch);
      const g = model.getGradients();
      let norm = 0;
      for (const x of g) norm += x * x;
      norm = Math.sqrt(norm);
      const info = opt.step();
      const scale = Math.min(1, o.clip / (norm + 1e-6));
      expect(info.gradNorm).toBeCloseTo(norm, 12);
      expect(info.scale).toBeCloseTo(scale, 12);
      expect(scale).toBeLessThan(1); // clipping is active
      const bc1 = 1 - o.beta1 ** t, bc2 = 1 - o.beta2 ** t;
      const next = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const gi = scale * g[i];
        const mi = o.beta1 * m[i] + (1 - o.beta1) * gi;
        const vi = o.beta2 * v[i] + (1 - o.beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        const th = theta[i] * (decays[i] ? 1 - o.lr * o.weightDecay : 1);
        next[i] = th - ((o.lr / bc1) * mi) / ((Math.sqrt(vi) * (1 / Math.sqrt(bc2))) + o.eps);
      }
      const got = model.getParameters();
      for (let i = 0; i < n; i++) expect(Math.abs(got[i] - next[i])).toBeLessThanOrEqual(2e-7 * Math.abs(next[i]) + 1e-9);
      theta = got;
      expect(model.gradNorm()).toBe(0); // step zeroes the gradients
    }
    const st = opt.getState();
    expect(st.step).toBe(3);
    for (let i = 0; i < n; i++) expect(Math.abs(st.m[i] - m[i])).toBeLessThanOrEqual(1e-6 * Math.abs(m[i]) + 1e-12);
  });

  it("the first step moves each parameter by about lr·sign(g) (bias correction), decay 0", () => {
    using model = LanguageModel.create(WINDOW, { seed: 8 });
    using opt = new AdamW(model, { lr: 0.01, weightDecay: 0, clip: null });
    sftStep(model, { inputs: [[1, 2]], targets: [[2, 3]], promptIds: [1] });
    const g = model.getGradients(), before = model.getParameters();
    opt.step();
    const after = model.getParameters();
    for (let i = 0; i < g.length; i++) {
      if (Math.abs(g[i]) > 1e-4) expect((after[i] - before[i]) / -Math.sign(g[i])).toBeCloseTo(0.01, 5);
      if (g[i] === 0) expect(after[i]).toBe(before[i]);
    }
  });

  it("accumulating two identical micro-batches equals one batch; a NaN gradient skips the step", () => {
    const run = (acc: number) => {
      using model = LanguageModel.create(TRANSFORMER, { seed: 6 });
      using opt = new AdamW(model, { lr: 0.01, accumulate: acc });
      for (let k = 0; k < acc; k++) sftStep(model, { inputs: [[1, 2, 3]], targets: [[2, 3, 4]] });
      opt.step();
      return model.getParameters();
    };
    const a = run(1), b = run(2);
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    expect(d).toBeLessThan(1e-6);
    using model = LanguageModel.create(TRANSFORMER, { seed: 6 });
    using opt = new AdamW(model);
    model.logProbs({ inputs: [[1]], targets: [[2]] });
    expect(() => model.backward({ dlogp: [NaN] })).toThrow(ValueError);
    const p = model.getParameters();
    model.logProbs({ inputs: [[1]], targets: [[2]] });
    model.backward({ dlogits: new Float32Array(11).fill(3e38) });
    model.logProbs({ inputs: [[1]], targets: [[2]] });
    model.backward({ dlogits: new Float32Array(11).fill(3e38) });
    expect(() => opt.step()).toThrow(NumericalError);
    expect(Array.from(model.getParameters())).toEqual(Array.from(p));
  });

  it("schedules: constant, linear warm-up, cosine", () => {
    expect(scheduledLr("constant", 0.1, 7)).toBe(0.1);
    expect(scheduledLr({ kind: "warmup", warmupSteps: 4 }, 0.1, 1)).toBeCloseTo(0.025, 15);
    expect(scheduledLr({ kind: "warmup", warmupSteps: 4 }, 0.1, 9)).toBe(0.1);
    const c = { kind: "cosine", totalSteps: 10, warmupSteps: 2, minLr: 0.01 } as const;
    expect(scheduledLr(c, 0.1, 1)).toBeCloseTo(0.05, 15);
    expect(scheduledLr(c, 0.1, 2)).toBeCloseTo(0.1, 15);
    expect(scheduledLr(c, 0.1, 6)).toBeCloseTo(0.055, 15); // halfway: minLr + (lr − minLr)/2
    expect(scheduledLr(c, 0.1, 10)).toBeCloseTo(0.01, 15);
    expect(scheduledLr(c, 0.1, 50)).toBeCloseTo(0.01, 15);
    using model = LanguageModel.create(FULL);
    using opt = new AdamW(model, { lr: 0.1, schedule: c });
    expect(opt.nextLr).toBeCloseTo(0.05, 15);
  });
});

// ---- errors and life cycle ---------------------------------------------------------------------------

describe("errors", () => {
  it("bad configurations raise ValueError naming the field", () => {
    const base = { kind: "transformer", vocab: 16, context: 8, layers: 1, heads: 2, width: 16 } as const;
    expect(() => LanguageModel.create({ ...base, heads: 3 })).toThrow(/heads = 3 does not divide width = 16/);
    expect(() => LanguageModel.create({ ...base, heads: 8 })).toThrow(/head size width \/ heads = 2 must be a multiple of 4/);
    expect(() => LanguageModel.create({ ...base, vocab: 1 })).toThrow(ValueError);
    expect(() => LanguageModel.create({ ...base, widht: 16 } as never)).toThrow(/unknown option "widht"; did you mean "width"/);
    expect(() => LanguageModel.create({ ...base, kind: "rnn" } as never)).toThrow(/kind must be/);
    expect(() => LanguageModel.create({ kind: "full-context-mlp", vocab: 4, context: 4, hidden: 4, window: 2 })).toThrow(/window applies to "window-mlp" only/);
    expect(() => LanguageModel.create(base, { seed: -1 })).toThrow(ValueError);
    expect(() => LanguageModel.create(base, { sed: 1 } as never)).toThrow(/did you mean "seed"/);
    expect(normalizeConfig(base)).toMatchObject({ hidden: 64, activation: "gelu", initStd: 0.02, valueHead: false });
  });

  it("bad tokens and shapes raise typed errors naming the index", () => {
    using model = LanguageModel.create({ kind: "transformer", vocab: 16, context: 8, layers: 1, heads: 2, width: 16 });
    expect(() => model.logits([[1, 2, 3], [4, 5, 99]])).toThrow(/inputs\[1\]\[2\] = 99 is outside the vocabulary \[0, 16\)/);
    expect(() => model.logits([[1, -1]])).toThrow(ValueError);
    expect(() => model.logits([[1, 2.5]])).toThrow(/inputs\[0\]\[1\] = 2.5 is not an integer/);
    expect(() => model.logits([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => model.logits([Array(9).fill(1)])).toThrow(/9 tokens per sequence, above the model's context of 8/);
    expect(() => model.logProbs({ inputs: [[1, 2]], targets: [[1, 16]] })).toThrow(/targets\[0\]\[1\] = 16/);
    expect(() => model.logProbs({ inputs: [[1, 2]], targets: [[1, 2]], mask: [1, 2] })).toThrow(/mask\[0\]\[1\] must be 0 or 1/);
    expect(() => sample(model, [[1, 2, 3]], { maxNewTokens: 6 })).toThrow(/exceed the model's context of 8/);
    expect(() => sample(model, [[17]])).toThrow(/prompts\[0\]\[0\] = 17 is outside the vocabulary/);
    expect(() => sample(model, [[1]], { mixture: 0.5 })).toThrow(/needs a refModel/);
    expect(() => sample(model, [[1]], { temprature: 1 } as never)).toThrow(/did you mean "temperature"/);
    expect(() => model.backward({ dlogp: [1] })).toThrow(EngineStateError);
    model.logProbs({ inputs: [[1, 2]], targets: [[2, 3]] });
    expect(() => model.backward({ dlogp: [1] })).toThrow(/dlogp has 1 entries, expected 2/);
    model.backward({ dlogp: [1, 1] });
    expect(() => model.backward({ dlogp: [1, 1] })).toThrow(/already used by a backward pass/);
    using mlp = LanguageModel.create(WINDOW);
    expect(() => mlp.logits([[1]])).toThrow(/give one prompt id per sequence/);
    expect(() => mlp.logits([[1]], { promptIds: [4] })).toThrow(/promptIds\[0\] = 4 is outside the prompt vocabulary \[0, 4\)/);
    expect(() => new AdamW(model, { lr: 0.1, betas: [0.9, 0.99] } as never)).toThrow(/unknown option "betas"/);
    {
      using big = LanguageModel.create({ kind: "transformer", vocab: 16, context: 512, layers: 4, heads: 2, width: 64 });
      expect(() => sample(big, Array.from({ length: 1200 }, () => [1]), { maxNewTokens: 511 })).toThrow(/above the engine's 1 GiB block/);
      expect(() => big.logits({ data: new Int32Array(512 * 64), batch: 64, length: 512 })).toThrow(/above the engine's 1 GiB block/);
    }
    expect(() => LanguageModel.create({ kind: "full-context-mlp", vocab: 4, context: 65536, width: 65536, hidden: 4 })).toThrow(ValueError);
    expect(() => new AdamW(model, { schedule: { kind: "cosine" } } as never)).toThrow(/totalSteps/);
  });

  it("use after dispose raises EngineStateError", () => {
    const model = LanguageModel.create(FULL);
    const opt = new AdamW(model);
    const rng = new Rng(1);
    opt.dispose();
    expect(() => opt.step()).toThrow(EngineStateError);
    model.dispose();
    model.dispose();
    expect(model.disposed).toBe(true);
    expect(() => model.logits([[1]])).toThrow(EngineStateError);
    expect(() => model.getParameters()).toThrow(/this LanguageModel was disposed/);
    expect(() => sample(model, [[1]])).toThrow(EngineStateError);
    expect(() => new AdamW(model).step()).toThrow(EngineStateError);
    rng.dispose();
  });
});
