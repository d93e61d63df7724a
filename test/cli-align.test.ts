// `seqlearn lm train`, `lm sample`, `align`, `distill`: model directories (weights, config,
// metrics as JSON lines, an SVG of the curves) equal to the SDK's runs bit for bit, with any
// number of workers; sampling equal to the SDK's; typed errors naming the file and the line;
// outputs never half-written or replaced without --force.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init } from "../sdk/index.js";
import { runCli } from "../sdk/cli/app.js";
import { progressText } from "../sdk/cli/training.js";
import {
  LanguageModel, Tokenizer, SftTrainer, PreferenceTrainer, loadDataset, decodeModelFile, modelFromFile, modelFile, encodeModelFile, sample,
} from "../sdk/align/index.js";

let dir: string;
const p = (f: string) => join(dir, f);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const loadDir = (d: string) => {
  const f = decodeModelFile(readFileSync(join(d, "model.safetensors")));
  return { model: modelFromFile(f), tokenizer: f.tokenizer };
};
const rows = (d: string) => readFileSync(join(d, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));

beforeAll(async () => {
  await init();
  dir = mkdtempSync(join(tmpdir(), "seqlearn-cli-align-"));
  const sft: string[] = [], pairs: string[] = [], labels: string[] = [], rewards: string[] = [];
  for (let a = 0; a < 5; a++) {
    for (let b = 0; b < 4; b++) {
      const prompt = `${a}+${b}=`, right = String(a + b), wrong = String((a + b + 3) % 10);
      sft.push(JSON.stringify({ prompt, completion: right }));
      pairs.push(JSON.stringify({ prompt, chosen: right, rejected: wrong }));
      labels.push(JSON.stringify({ prompt, completion: (a + b) % 2 ? right : wrong, label: (a + b) % 2 === 1 }));
      rewards.push(JSON.stringify({ prompt, completion: b % 2 ? right : wrong, reward: b % 2 ? 1 : 0 }));
    }
  }
  writeFileSync(p("sft.jsonl"), sft.join("\n") + "\n");
  writeFileSync(p("pairs.jsonl"), pairs.join("\n") + "\n");
  writeFileSync(p("labels.jsonl"), labels.join("\n") + "\n");
  writeFileSync(p("rewards.jsonl"), rewards.join("\n") + "\n");
  writeFileSync(p("cfg.json"), JSON.stringify({ layers: 1, width: 16, heads: 2, context: 12, epochs: 4, "batch-size": 5, lr: 0.01, seed: 3 }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("seqlearn lm train", () => {
  it("trains from scratch with --config and writes the model directory; the model is the SDK's run, bit for bit", async () => {
    const r = await cli("lm", "train", p("sft.jsonl"), "--config", p("cfg.json"), "-o", p("base"), "--json");
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ model: p("base"), examples: 20, steps: 16, epochs: 4, workers: 0 });
    expect(j.last.loss).toBeLessThan(rows(p("base"))[0].loss);
    expect(readdirSync(p("base")).sort()).toEqual(["config.json", "curves.svg", "metrics.jsonl", "model.safetensors"]);
    const m = rows(p("base"));
    expect(m.map((x) => x.step)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    for (const k of ["loss", "tokens", "lr", "grad_norm"]) expect(typeof m[0][k]).toBe("number");
    const svg = readFileSync(p("base/curves.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("loss");
    expect(svg).toMatch(/<(path|polyline)/);
    expect(JSON.parse(readFileSync(p("base/config.json"), "utf8")).format).toBe("seqlearn.lm/1");
    // the same run through the SDK
    const tok = Tokenizer.byteLevel();
    const model = LanguageModel.create({ kind: "transformer", vocab: tok.vocabSize, context: 12, layers: 1, heads: 2, width: 16 }, { seed: 3 });
    const ds = await loadDataset(p("sft.jsonl"), tok, { maxLength: 13 });
    const t = new SftTrainer(model, { data: ds, tokenizer: tok, batchSize: 5, epochs: 4, seed: 3, optimizer: { lr: 0.01, weightDecay: 0.01, clip: 1, schedule: "constant" } });
    await t.train();
    const saved = loadDir(p("base"));
    expect(sameBits(saved.model.getParameters(), model.getParameters())).toBe(true);
    expect(saved.tokenizer.toJSON()).toEqual(tok.toJSON());
    t.dispose();
    model.dispose();
    saved.model.dispose();
  });

  it("--workers 2 writes the same model file, byte for byte; from a model directory; a BPE tokenizer travels with the model", async () => {
    const a = await cli("lm", "train", p("sft.jsonl"), "--model", p("base"), "--epochs", "2", "--batch-size", "8", "--micro-batch-size", "2", "-o", p("ft0"), "--quiet");
    const b = await cli("lm", "train", p("sft.jsonl"), "--model", p("base"), "--epochs", "2", "--batch-size", "8", "--micro-batch-size", "2", "--workers", "2", "-o", p("ft2"), "--quiet");
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    expect(b.out).toMatch(/on 2 workers/);
    expect(Buffer.compare(readFileSync(p("ft0/model.safetensors")), readFileSync(p("ft2/model.safetensors")))).toBe(0);
    expect(readFileSync(p("ft0/metrics.jsonl"), "utf8")).toBe(readFileSync(p("ft2/metrics.jsonl"), "utf8"));
    const words = ["the cat sat", "the mat", "a cat sat on the mat", "the hat"];
    writeFileSync(p("text.jsonl"), Array.from({ length: 12 }, (_, i) => JSON.stringify({ text: words[i % 4] })).join("\n") + "\n");
    const c = await cli("lm", "train", p("text.jsonl"), "--bpe", "280", "--kind", "window-mlp", "--context", "24", "--hidden", "16", "-o", p("bpe"), "--quiet");
    expect(c.code, c.err).toBe(0);
    const m = loadDir(p("bpe"));
    expect(m.tokenizer.vocabSize).toBeGreaterThan(264); // merges learnt from the data (up to 280)
    expect(m.tokenizer.vocabSize).toBeLessThanOrEqual(280);
    expect(m.model.vocab).toBe(m.tokenizer.vocabSize);
    expect(m.model.config.kind).toBe("window-mlp");
    m.model.dispose();
  });

  it("typed errors: a bad line (named), a bad config key or value, flags that do not apply, an existing output; nothing is written", async () => {
    writeFileSync(p("bad.jsonl"), `${JSON.stringify({ prompt: "1+1=", completion: "2" })}\n{"prompt": "2+2="}\n`);
    let r = await cli("lm", "train", p("bad.jsonl"), "-o", p("never"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/DatasetError: .*bad\.jsonl, line 2: expected the completion layout/);
    writeFileSync(p("long.jsonl"), `${JSON.stringify({ prompt: "1+1=", completion: "2" })}\n${JSON.stringify({ prompt: "x".repeat(40), completion: "2" })}\n`);
    r = await cli("lm", "train", p("long.jsonl"), "--context", "16", "-o", p("never"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/long\.jsonl, line 2: .*more than maxLength = 17/);
    r = await cli("lm", "train", p("pairs.jsonl"), "-o", p("never"), "--epochs", "0");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--epochs must be ≥ 1/);
    writeFileSync(p("typo.json"), JSON.stringify({ layers: 1, widht: 8 }));
    r = await cli("lm", "train", p("sft.jsonl"), "--config", p("typo.json"), "-o", p("never"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/"widht" in .*typo\.json: unknown option \(did you mean "width"\?\)/);
    r = await cli("lm", "train", p("sft.jsonl"), "--heads", "3", "--width", "16", "-o", p("never"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ValueError: model config \(transformer\): heads = 3 does not divide width = 16/);
    r = await cli("lm", "train", p("sft.jsonl"), "--model", p("base"), "--layers", "2", "-o", p("never"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--layers does not apply with --model/);
    r = await cli("lm", "train", p("sft.jsonl"), "--model", p("sft.jsonl"), "-o", p("never"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--model .*sft\.jsonl: not a model directory/);
    expect(existsSync(p("never"))).toBe(false);
    // an existing model directory is not replaced without --force, and is with it
    const before = readFileSync(p("ft0/model.safetensors"));
    r = await cli("lm", "train", p("sft.jsonl"), "--config", p("cfg.json"), "-o", p("ft0"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/model\.safetensors: a file of that name already exists; give --force/);
    expect(Buffer.compare(readFileSync(p("ft0/model.safetensors")), before)).toBe(0);
    r = await cli("lm", "train", p("sft.jsonl"), "--config", p("cfg.json"), "--epochs", "1", "-o", p("ft0"), "--force", "--quiet");
    expect(r.code, r.err).toBe(0);
    expect(rows(p("ft0")).length).toBe(4);
    // a corrupted weights file is a ModelFileError
    const bytes = readFileSync(p("ft0/model.safetensors"));
    bytes[bytes.length - 3] ^= 0x40;
    writeFileSync(p("ft0/model.safetensors"), bytes);
    r = await cli("lm", "sample", p("ft0"), "--prompt", "1+1=");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ModelFileError: .*CRC-32 mismatch/);
    r = await cli("lm");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/seqlearn lm: expected a subcommand: train or sample/);
  });

  it("the progress line: step, loss, tokens/s, ETA", () => {
    expect(progressText("lm train", { step: 12, totalSteps: 40, epoch: 0, loss: 1.23456, tokensPerSecond: 12345, elapsedMs: 3000, etaMs: 7000 }))
      .toBe("lm train: step 12/40 · loss 1.2346 · 12.3k tokens/s · ETA 7s");
  });
});

describe("seqlearn lm sample", () => {
  it("prints the SDK's samples for the seed; --json; a prompt that leaves no room is a usage error", async () => {
    const r = await cli("lm", "sample", p("base"), "--prompt", "3+1=", "--n", "3", "--seed", "7", "--temperature", "0.7", "--top-k", "5", "--json");
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    const { model, tokenizer: tok } = loadDir(p("base"));
    const ids = [tok.bos, ...tok.encode("3+1=")];
    const s = sample(model, [ids, ids, ids], { seed: 7, temperature: 0.7, topK: 5, eos: tok.eos, maxNewTokens: model.context - ids.length });
    expect(j.samples.map((x: { tokens: number[] }) => x.tokens)).toEqual(s.completions.map((c) => Array.from(c)));
    expect(j.samples.map((x: { text: string }) => x.text)).toEqual(s.completions.map((c) => tok.decode(c, { skipSpecial: true })));
    const text = await cli("lm", "sample", p("base"), "--prompt", "3+1=", "--n", "3", "--seed", "7", "--temperature", "0.7", "--top-k", "5");
    expect(text.out.split("\n")).toEqual(j.samples.map((x: { text: string }, i: number) => `[${i + 1}] ${x.text}`));
    const long = await cli("lm", "sample", p("base"), "--prompt", "x".repeat(20));
    expect(long.code).toBe(2);
    expect(long.err).toMatch(/the prompt has 21 tokens; the model reads 12 at most/);
    model.dispose();
  });
});

describe("seqlearn align", () => {
  it("DPO against a reference is the SDK's PreferenceTrainer run; the margins grow", async () => {
    const r = await cli("align", p("pairs.jsonl"), "--ref", p("base"), "-o", p("dpo"), "--loss", "dpo", "--beta", "0.2", "--epochs", "4", "--batch-size", "10", "--micro-batch-size", "5", "--workers", "2", "--lr", "0.005", "--json");
    expect(r.code, r.err).toBe(0);
    const m = rows(p("dpo"));
    expect(m.length).toBe(8);
    expect(m[7]["rewards/margins"]).toBeGreaterThan(m[0]["rewards/margins"]);
    expect(m[7].loss).toBeLessThan(m[0].loss);
    expect(readFileSync(p("dpo/curves.svg"), "utf8")).toContain("rewards/margins");
    const ref = loadDir(p("base"));
    const policy = ref.model.clone();
    const ds = await loadDataset(p("pairs.jsonl"), ref.tokenizer, { maxLength: 13 });
    const t = new PreferenceTrainer(policy, { data: ds, tokenizer: ref.tokenizer, reference: { model: ref.model }, loss: "sigmoid", beta: 0.2, epochs: 4, batchSize: 10, microBatchSize: 5, seed: 0, optimizer: { lr: 0.005 } });
    await t.train();
    const got = loadDir(p("dpo"));
    expect(sameBits(got.model.getParameters(), policy.getParameters())).toBe(true);
    expect(decodeModelFile(readFileSync(p("dpo/model.safetensors"))).metadata).toEqual({ loss: "sigmoid" });
    t.dispose();
    for (const x of [ref.model, policy, got.model]) x.dispose();
  });

  it("IPO with an SFT term, KTO, DRO-V; the wrong layout names the file and line; a flag of another loss is a usage error", async () => {
    for (const [data, args] of [["pairs.jsonl", ["--loss", "ipo", "--sft-weight", "0.5"]], ["labels.jsonl", ["--loss", "kto", "--beta", "0.3"]], ["rewards.jsonl", ["--loss", "dro", "--tau", "0.5", "--value-lr", "0.01"]]] as const) {
      const out = `al-${args[1]}`;
      const r = await cli("align", p(data), "--ref", p("base"), "-o", p(out), "--epochs", "2", "--batch-size", "10", "--quiet", ...args);
      expect(r.code, r.err).toBe(0);
      const m = rows(p(out));
      expect(m.length).toBe(4);
      expect(Object.keys(m[0])).toContain(args[1] === "dro" ? "dro/mse" : args[1] === "kto" ? "kl" : "loss/sft");
    }
    let r = await cli("align", p("sft.jsonl"), "--ref", p("base"), "-o", p("never"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/DatasetError: .*sft\.jsonl, line 1: the lines have the completion layout; --loss dpo reads preference lines/);
    r = await cli("align", p("labels.jsonl"), "--ref", p("base"), "-o", p("never"), "--loss", "kto", "--delta", "2");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--delta does not apply to --loss kto/);
    r = await cli("align", p("rewards.jsonl"), "--ref", p("base"), "-o", p("never"), "--loss", "dro", "--beta", "0.1");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--beta does not apply to --loss dro \(DRO's coefficient is --tau\)/);
    r = await cli("align", p("pairs.jsonl"), "-o", p("never"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--ref <dir> \(the reference model directory\) is required/);
    expect(existsSync(p("never"))).toBe(false);
  });
});

describe("seqlearn distill", () => {
  it("a new student from the teacher's tokenizer; GKD's mixture of sources; the divergence goes down", async () => {
    const r = await cli("distill", p("sft.jsonl"), "--teacher", p("base"), "-o", p("student"), "--layers", "1", "--width", "8", "--heads", "2", "--loss", "fkl",
      "--source", "student=0.5,dataset=0.5", "--max-new-tokens", "2", "--epochs", "6", "--batch-size", "10", "--lr", "0.01", "--json");
    expect(r.code, r.err).toBe(0);
    const m = rows(p("student"));
    expect(m.length).toBe(12);
    expect(m[11].loss).toBeLessThan(m[0].loss);
    expect(m.reduce((a, x) => a + x["source/student"], 0)).toBeGreaterThan(0);
    expect(m.reduce((a, x) => a + x["source/dataset"], 0)).toBeGreaterThan(0);
    const s = loadDir(p("student"));
    expect(s.model.config).toMatchObject({ kind: "transformer", layers: 1, width: 8, context: 12, vocab: 264 });
    s.model.dispose();
    const bad = await cli("distill", p("sft.jsonl"), "--teacher", p("base"), "-o", p("never"), "--source", "students=1");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--source expects dataset, teacher, student or weights like student=0\.5,dataset=0\.5/);
    const beta = await cli("distill", p("sft.jsonl"), "--teacher", p("base"), "-o", p("never"), "--loss", "rkl", "--beta", "0.5");
    expect(beta.code).toBe(2);
    expect(beta.err).toMatch(/--beta is gjsd's mixture weight; --loss rkl has none/);
  });
});

describe("model files of the CLI", () => {
  it("modelFile / modelFromFile round trip; a file of another configuration is rejected naming the tensor", () => {
    const tok = Tokenizer.byteLevel();
    const m = LanguageModel.create({ kind: "full-context-mlp", vocab: 264, context: 6, hidden: 8 }, { seed: 1 });
    const back = modelFromFile(decodeModelFile(encodeModelFile(modelFile(m, tok))));
    expect(sameBits(back.getParameters(), m.getParameters())).toBe(true);
    expect(back.config).toEqual(m.config);
    const f = modelFile(m, tok);
    f.config = { ...f.config, hidden: 9 };
    expect(() => modelFromFile(f)).toThrow(/tensor "mlp\.hidden\.weight" has shape/);
    for (const x of [m, back]) x.dispose();
  });
});
