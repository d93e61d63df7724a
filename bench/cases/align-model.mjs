// Small language models in the engine (issue 10): the transformer training step (forward +
// backward + AdamW) and KV-cache sampling against PyTorch on the CPU with one thread, on the
// identical model (the same parameters are loaded into a PyTorch re-implementation, and the two
// initial losses must agree) and batch; and the MLP language models' token-updates per second.
// Targets (issue 10): step time ≤ 1.5× PyTorch's; sampling ≥ 0.7× PyTorch's tokens/s;
// MLP LM ≥ 10⁵ token-updates/s on one core.
import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tmpdir } from "node:os";
import { table, ms, ratio, verdict } from "../lib/format.mjs";
import { bestOfRounds } from "../lib/timing.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The alignment domain: from dist/ when the package exports it, else bundled from sdk/ (with
 *  its own engine instance) so the benchmark runs before the public index re-exports it. */
async function alignModule(sl) {
  if (sl.align?.LanguageModel) return sl.align;
  const esbuild = await import("esbuild");
  const out = join(root, "dist-test", "bench-align.mjs");
  mkdirSync(dirname(out), { recursive: true });
  await esbuild.build({
    stdin: { contents: 'export { init } from "./sdk/index.ts";\nexport * from "./sdk/align/index.ts";\n', resolveDir: root, loader: "ts" },
    bundle: true, format: "esm", platform: "node", target: "es2022", outfile: out, logLevel: "warning",
    define: { __SEQLEARN_WASM_REL__: JSON.stringify("../build/seqlearn.wasm") },
  });
  const mod = await import(pathToFileURL(out).href);
  await mod.init();
  return mod;
}

// The PyTorch peer: the same transformer written with torch ops, its parameters read from the
// engine's flat block (linear weights are [in, out], the tied head is wteᵀ), the same loss
// (mean token NLL), AdamW(lr 1e-3, weight decay 0.01 on 2-D tensors), clipping at 1.0.
const TORCH = `
import math, numpy as np
try:
    import torch
except ImportError:
    raise ModuleNotFoundError("torch")
import torch.nn.functional as F
torch.set_num_threads(1)
c = INPUT["cfg"]
V, T, C, L, NH, H = c["vocab"], c["context"], c["width"], c["layers"], c["heads"], c["hidden"]
hs = C // NH
flat = torch.from_numpy(np.fromfile(INPUT["params"], dtype=np.float32))
P = {}
for t in INPUT["tensors"]:
    n = int(np.prod(t["shape"]))
    P[t["name"]] = torch.nn.Parameter(flat[t["offset"]:t["offset"] + n].clone().view(*t["shape"]))
B, TT = INPUT["batch"], INPUT["length"]
idx = torch.tensor(INPUT["inputs"], dtype=torch.long).view(B, TT)
tgt = torch.tensor(INPUT["targets"], dtype=torch.long).view(B, TT)
mask = torch.ones(TT, TT, dtype=torch.bool).tril()
def ln(x, name): return F.layer_norm(x, (C,), P[name + ".weight"], P[name + ".bias"], 1e-5)
def forward(ix):
    Bq, Tq = ix.shape
    x = P["wte"][ix] + P["wpe"][:Tq]
    for l in range(L):
        h = "h.%d." % l
        qkv = ln(x, h + "ln_1") @ P[h + "attn.c_attn.weight"] + P[h + "attn.c_attn.bias"]
        q, k, v = (z.view(Bq, Tq, NH, hs).transpose(1, 2) for z in qkv.split(C, dim=2))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~mask[:Tq, :Tq], float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(Bq, Tq, C)
        x = x + y @ P[h + "attn.c_proj.weight"] + P[h + "attn.c_proj.bias"]
        f = F.gelu(ln(x, h + "ln_2") @ P[h + "mlp.c_fc.weight"] + P[h + "mlp.c_fc.bias"], approximate="tanh")
        x = x + f @ P[h + "mlp.c_proj.weight"] + P[h + "mlp.c_proj.bias"]
    return ln(x, "ln_f") @ P["wte"].t()
def loss_fn():
    return F.cross_entropy(forward(idx).view(-1, V), tgt.view(-1))
decay = [p for p in P.values() if p.dim() == 2]
other = [p for p in P.values() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": other, "weight_decay": 0.0}], lr=1e-3)
loss0 = float(loss_fn().item())
def step():
    opt.zero_grad()
    loss_fn().backward()
    torch.nn.utils.clip_grad_norm_(list(P.values()), 1.0)
    opt.step()
out = {"loss0": loss0, "torch": torch.__version__}
out["step_ms"] = bench_ms(step, min_reps=5, min_s=INPUT["min_s"])

@torch.no_grad()
def generate(prompt, new):
    Bq, p0 = prompt.shape
    K = torch.zeros(L, Bq, NH, T, hs); Vc = torch.zeros(L, Bq, NH, T, hs)
    toks = torch.zeros(Bq, T, dtype=torch.long); toks[:, :p0] = prompt
    for t in range(p0 + new - 1):
        x = P["wte"][toks[:, t]] + P["wpe"][t]
        for l in range(L):
            h = "h.%d." % l
            q, k, v = (ln(x, h + "ln_1") @ P[h + "attn.c_attn.weight"] + P[h + "attn.c_attn.bias"]).split(C, dim=1)
            K[l, :, :, t] = k.view(Bq, NH, hs); Vc[l, :, :, t] = v.view(Bq, NH, hs)
            att = torch.einsum("bhd,bhtd->bht", q.view(Bq, NH, hs), K[l, :, :, :t + 1]) / math.sqrt(hs)
            y = torch.einsum("bht,bhtd->bhd", att.softmax(-1), Vc[l, :, :, :t + 1]).reshape(Bq, C)
            x = x + y @ P[h + "attn.c_proj.weight"] + P[h + "attn.c_proj.bias"]
            x = x + F.gelu(ln(x, h + "ln_2") @ P[h + "mlp.c_fc.weight"] + P[h + "mlp.c_fc.bias"], approximate="tanh") @ P[h + "mlp.c_proj.weight"] + P[h + "mlp.c_proj.bias"]
        logits = ln(x, "ln_f") @ P["wte"].t()
        if t + 1 >= p0:
            toks[:, t + 1] = torch.multinomial(logits.softmax(-1), 1)[:, 0]
    return toks
for Bq in INPUT["sample_batches"]:
    prompt = torch.tensor(INPUT["prompt"], dtype=torch.long).view(1, -1).repeat(Bq, 1)
    out["sample_ms_%d" % Bq] = bench_ms(lambda: generate(prompt, INPUT["new_tokens"]), min_reps=3, min_s=INPUT["min_s"])
print(_json.dumps(out))
`;

export default {
  id: "align-model",
  title: "Alignment: small language models (transformer step, sampling, MLP LM)",
  order: 80,
  async run(ctx) {
    const A = await alignModule(ctx.sl);
    const quick = ctx.quick;
    const cfg = { kind: "transformer", vocab: 256, context: 128, layers: 4, heads: 4, width: 128 };
    const B = quick ? 4 : 16, T = quick ? 64 : 128;
    const rounds = quick ? 1 : 3;
    const model = A.LanguageModel.create(cfg, { seed: 1 });
    const nParams = model.parameterCount;
    const opt = new A.AdamW(model, { lr: 1e-3, weightDecay: 0.01, clip: 1.0 });
    // A fixed, seeded batch of token ids (xorshift), the same for both sides.
    let s = 12345;
    const next = () => ((s ^= s << 13, s ^= s >>> 17, s ^= s << 5, s >>> 0) % cfg.vocab);
    const inputs = Int32Array.from({ length: B * T }, next), targets = Int32Array.from({ length: B * T }, next);
    const batch = { inputs: { data: inputs, batch: B, length: T }, targets: { data: targets, batch: B, length: T } };
    const dlogp = new Float32Array(B * T).fill(-1 / (B * T));
    let loss0 = null;
    const step = () => {
      const lp = model.logProbs(batch);
      if (loss0 === null) loss0 = -lp.sums.reduce((a, b) => a + b, 0) / (B * T);
      model.backward({ dlogp });
      opt.step();
    };
    // Parameters for the peer are written before the first step (the initial losses must agree).
    const dir = join(tmpdir(), `seqlearn-bench-align-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const paramsFile = join(dir, "params.f32");
    const p0 = model.getParameters();
    writeFileSync(paramsFile, new Uint8Array(p0.buffer, p0.byteOffset, p0.byteLength));
    const newTokens = quick ? 24 : 120;
    const prompt = [1, 2, 3, 4];
    const sampleBatches = [16, 1];
    const peerInput = {
      cfg: model.config, tensors: model.tensors, params: paramsFile, batch: B, length: T,
      inputs: Array.from(inputs), targets: Array.from(targets), min_s: quick ? 0.2 : 1.0,
      sample_batches: sampleBatches, prompt, new_tokens: newTokens,
    };
    let peer = null;
    const ours = { step: Infinity, sample: {} };
    ctx.log("align-model: transformer step and sampling, seqlearn and PyTorch in interleaved rounds");
    const sampleOnce = (b) => () => A.sample(model, Array.from({ length: b }, () => prompt), { maxNewTokens: newTokens, seed: 1 });
    const [tStep, tS16, tS1, tPeer] = bestOfRounds(rounds, [
      () => ctx.time(step, { minReps: 5, minMs: quick ? 200 : 1000 }),
      () => ctx.time(sampleOnce(16), { minReps: 3, minMs: quick ? 200 : 1000 }),
      () => ctx.time(sampleOnce(1), { minReps: 3, minMs: quick ? 200 : 1000 }),
      () => {
        const r = ctx.python(TORCH, peerInput);
        if (r === null) return null;
        if (peer === null || r.step_ms < peer.step_ms) peer = r;
        return r.step_ms;
      },
    ]);
    ours.step = tStep;
    ours.sample = { 16: tS16, 1: tS1 };
    rmSync(dir, { recursive: true, force: true });
    const tokS = (b, t) => (t ? (b * newTokens) / (t / 1000) : null);
    const rows = [];
    const notes = [];
    const stepRatio = peer ? tStep / peer.step_ms : null;
    rows.push([
      `training step (forward + backward + AdamW), B=${B}, T=${T}`,
      `${ms(tStep)} ms (${Math.round((B * T) / (tStep / 1000)).toLocaleString("en-US")} tokens/s)`,
      peer ? `${ms(peer.step_ms)} ms` : "peer skipped",
      peer ? `${ratio(stepRatio)} (${verdict(stepRatio, 1.5, false)})` : "–",
    ]);
    ctx.summary.push({ case: "align-model", what: "transformer training step: time ÷ PyTorch's (1 thread)", value: peer ? ratio(stepRatio) : "peer skipped", target: peer ? verdict(stepRatio, 1.5, false) : "–" });
    for (const b of sampleBatches) {
      const tp = peer?.[`sample_ms_${b}`];
      const r = tp ? tokS(b, ours.sample[b]) / tokS(b, tp) : null;
      rows.push([
        `sampling with the KV cache, ${b} sequence${b > 1 ? "s" : ""} × ${newTokens} tokens`,
        `${Math.round(tokS(b, ours.sample[b])).toLocaleString("en-US")} tokens/s`,
        tp ? `${Math.round(tokS(b, tp)).toLocaleString("en-US")} tokens/s` : "peer skipped",
        r ? `${ratio(r)} (${verdict(r, 0.7)})` : "–",
      ]);
      ctx.summary.push({ case: "align-model", what: `sampling ${b}×${newTokens} tokens: tokens/s ÷ PyTorch's`, value: r ? ratio(r) : "peer skipped", target: r ? verdict(r, 0.7) : "–" });
    }
    if (peer) {
      const d = Math.abs(peer.loss0 - loss0);
      notes.push(`Same model: the initial mean NLL is ${loss0.toFixed(6)} in seqlearn and ${peer.loss0.toFixed(6)} in PyTorch ${peer.torch} (difference ${d.toExponential(1)}).`);
      if (!(d < 1e-4)) throw new Error(`align-model: seqlearn and PyTorch disagree on the initial loss (${loss0} vs ${peer.loss0})`);
    } else {
      notes.push("PyTorch: peer skipped (no python3 with torch; Debian: `apt-get install python3-torch`).");
    }
    opt.dispose();
    model.dispose();

    // MLP language models (the CPU experiment substrate): token-updates per second.
    const mlpRows = [];
    for (const [kind, H, k] of [["window-mlp", 64, 4], ["window-mlp", 128, 4], ["full-context-mlp", 128, 0]]) {
      const c = { kind, vocab: 16, context: 16, width: 16, hidden: H, promptVocab: 8, ...(k ? { window: k } : {}) };
      const m = A.LanguageModel.create(c, { seed: 2 });
      const o = new A.AdamW(m, { lr: 1e-3 });
      const Bm = 32, Tm = 16;
      const data = Int32Array.from({ length: Bm * Tm }, (_, i) => (i * 7) % 16), tg = Int32Array.from({ length: Bm * Tm }, (_, i) => (i * 5 + 3) % 16);
      const mb = { inputs: { data, batch: Bm, length: Tm }, targets: { data: tg, batch: Bm, length: Tm }, promptIds: Array.from({ length: Bm }, (_, b) => b % 8) };
      const dl = new Float32Array(Bm * Tm).fill(-1 / (Bm * Tm));
      const t = bestOfRounds(rounds, [() => ctx.time(() => {
        m.logProbs(mb);
        m.backward({ dlogp: dl });
        o.step();
      }, { minReps: 20, minMs: quick ? 200 : 800 })])[0];
      const rate = (Bm * Tm) / (t / 1000);
      mlpRows.push([`${kind}${k ? ` (k = ${k})` : ""}, d = 16, H = ${H}, V = 16`, m.parameterCount.toLocaleString("en-US"), `${ms(t)} ms`, `${Math.round(rate).toLocaleString("en-US")}`, rate >= 1e5 ? "≥ 10⁵: met" : "≥ 10⁵: **not met**"]);
      ctx.summary.push({ case: "align-model", what: `${kind} H=${H}: token-updates/s`, value: Math.round(rate).toLocaleString("en-US"), target: rate >= 1e5 ? "≥ 10⁵: met" : "≥ 10⁵: **not met**" });
      o.dispose();
      m.dispose();
    }
    return [
      `Transformer: ${cfg.layers} layers, width ${cfg.width}, ${cfg.heads} heads, context ${cfg.context}, vocabulary ${cfg.vocab} (${nParams.toLocaleString("en-US")} parameters), pre-norm, GELU (tanh approximation), tied head; f32 everywhere. ` +
        `One step = per-token log-probabilities, backward from the mean NLL, clipping at 1.0 and AdamW (weight decay 0.01 on 2-D tensors) — the same in PyTorch (\`torch.set_num_threads(1)\`, eager mode). ` +
        `Sampling: a prompt of ${prompt.length} tokens, ${newTokens} new tokens per sequence, temperature 1, no filtering; PyTorch runs the same KV-cache loop with \`torch.multinomial\`. ` +
        `Times are wall-clock medians, ${rounds} interleaved round(s), best round kept.`,
      "",
      table(["measure", "seqlearn", "PyTorch (1 thread)", "ratio (target)"], rows),
      "",
      ...notes.map((t) => `- ${t}`),
      "",
      "MLP language models (window of k tokens or the full context; prompt embedding, d = 16; batch 32 × 16 tokens; one step = forward, backward and AdamW):",
      "",
      table(["model", "parameters", "step", "token-updates/s", "target"], mlpRows),
      "",
      "What limits them: every product runs through one f32x4 micro-kernel (4 rows × 8 columns, 30–32 GFLOP/s, ~65 % of the 4-lane multiply+add peak) because WebAssembly SIMD128 has " +
        "no fused multiply-add and V8 gives it 15 vector registers (assembly/nn/matmul.ts has the measurements); PyTorch 1.13 as Debian builds it runs its GEMMs at about the same rate on these shapes (28–32 GFLOP/s), " +
        "so the step is decided by the products plus attention, softmax and packing overheads. Sampling is per-step overhead for PyTorch (dozens of small eager ops per layer and token) and compute for seqlearn. " +
        "TensorFlow.js with the Wasm backend is not measured here (not installed).",
    ].join("\n");
  },
};
