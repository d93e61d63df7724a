// seqlearn lm train / lm sample: supervised fine-tuning of a small language model on a
// JSON-lines file (from scratch or from a model directory), and sampling from a model directory.
import { clip } from "../../core/validate.js";
import { LanguageModel, Tokenizer, SftTrainer, sample, type Tokenizer as Tok } from "../../align/index.js";
import { command, UsageError } from "../command.js";
import { boolean, group, number, string } from "../flags.js";
import {
  MODEL_CONFIG, TRAINING, LM_OUTPUT, checkOutputDir, readData, readModelDir, configFromFlags, modelFlagsGiven, bpeCorpus,
  trainerOptions, runTraining, metricsLine, curvesSvg, writeModelDir, withOutputDir, checkLayout, start, summaryLine,
} from "../training.js";
import { out } from "../term.js";

/** The layouts SFT reads (preference: the chosen responses; unpaired: the desirable ones). */
const SFT_LAYOUTS = ["completion", "messages", "text", "preference", "unpaired"] as const;

const TRAIN_FLAGS = {
  ...group("model", {
    model: string({ metavar: "<dir>", help: "start from this model directory (its configuration and tokenizer); default: a new model from the flags below" }),
  }),
  ...MODEL_CONFIG,
  ...TRAINING,
  ...LM_OUTPUT,
};

export const lmTrain = command({
  name: "lm train",
  summary: "train a small language model (SFT) on a JSON-lines file and write a model directory",
  synopsis: "seqlearn lm train <data.jsonl> -o <model/> [--model <dir> | --layers 2 --width 64 …] [--config cfg.json] [options]",
  description: [
    "The data: TRL's SFT layouts, one JSON object per line: {\"prompt\", \"completion\"}, {\"messages\": [{role, content}]} (assistant turns",
    "trained) or {\"text\"}. Writes <model/>model.safetensors, config.json, metrics.jsonl (a row per step) and curves.svg;",
    "progress (loss, tokens/s, ETA) on stderr. --config cfg.json holds any of the flags: {\"layers\": 2, \"width\": 64, \"epochs\": 3}.",
  ],
  flags: TRAIN_FLAGS,
  async run({ positional, values: v, given, spelled }) {
    if (positional.length !== 1) throw new UsageError(positional.length === 0 ? "missing the data file" : `expected one data file, got ${positional.length}: ${positional.map((p) => clip(p)).join(" ")}`);
    const data = positional[0];
    const inputs = [data, ...(v.eval ? [v.eval] : [])];
    if (v.model !== undefined) {
      const clash = modelFlagsGiven(given, spelled);
      if (clash.length) throw new UsageError(`${clash.join(", ")} ${clash.length > 1 ? "do" : "does"} not apply with --model (the model directory fixes the configuration and the tokenizer)`);
    }
    checkOutputDir(v.output, inputs, v.force);
    await start();
    let model: LanguageModel, tok: Tok;
    if (v.model !== undefined) ({ model, tokenizer: tok } = readModelDir(v.model, "--model"));
    else {
      tok = v.bpe !== undefined ? Tokenizer.trainBpe(bpeCorpus(data), { vocabSize: v.bpe }) : Tokenizer.byteLevel();
      model = LanguageModel.create(configFromFlags(v, tok.vocabSize), { seed: v.seed });
    }
    try {
      const maxLength = v.maxLength ?? model.context + 1;
      const ds = await readData(data, tok, maxLength);
      const evalDs = v.eval ? await readData(v.eval, tok, maxLength) : null;
      checkLayout(ds, data, SFT_LAYOUTS, "lm train (SFT)");
      if (evalDs) checkLayout(evalDs, v.eval!, SFT_LAYOUTS, "lm train (SFT)");
      await withOutputDir(v.output, v.force, inputs, async (metrics) => {
        const opts = trainerOptions(v, ds.examples.length, v.workers);
        const trainer = new SftTrainer(model, {
          ...opts, data: ds, tokenizer: tok, onMetrics: (row) => metrics.write(metricsLine(row)),
          ...(evalDs ? { evalData: evalDs, evalEvery: opts.evalEvery ?? Number.MAX_SAFE_INTEGER } : {}),
        });
        try {
          const s = await runTraining("lm train", trainer, { workers: v.workers, quiet: v.quiet || v.json });
          writeModelDir(v.output, model, tok, curvesSvg(`lm train: ${model.config.kind}, ${model.parameterCount.toLocaleString("en-US")} parameters`, trainer.history), { force: v.force, inputs });
          if (v.json) out(JSON.stringify({ model: v.output, parameters: model.parameterCount, examples: ds.examples.length, ...s }));
          else out(summaryLine("lm train", s, v.output));
        } finally {
          trainer.dispose();
        }
      });
    } finally {
      model.dispose();
    }
    return 0;
  },
});

const SAMPLE_FLAGS = {
  ...group("sampling", {
    prompt: string({ metavar: "<text>", required: "(the text to continue)", help: "the prompt (BOS is added); with --chat it is a user turn" }),
    chat: boolean({ help: "format the prompt as a conversation: <|user|> prompt <|eos|> <|assistant|>" }),
    n: number({ int: true, min: 1, max: 4096, default: 1, metavar: "<n>", help: "samples" }),
    maxNewTokens: number({ int: true, min: 1, metavar: "<n>", help: "tokens per sample at most (stops at EOS)", defaultText: "the rest of the context" }),
    temperature: number({ min: 0, default: 1, metavar: "<τ>", help: "softmax temperature (0: greedy)" }),
    topK: number({ int: true, min: 0, default: 0, metavar: "<k>", help: "keep the k most probable tokens (0: all)" }),
    topP: number({ gt: 0, max: 1, default: 1, metavar: "<p>", help: "nucleus: the smallest set of tokens of probability ≥ p" }),
    seed: number({ int: true, min: 0, default: 0, metavar: "<s>", help: "seed of the sampling" }),
  }),
  ...group("output", {
    json: boolean({ help: "print the samples as JSON ({ prompt, samples: [{ text, tokens }] })" }),
  }),
};

export const lmSample = command({
  name: "lm sample",
  summary: "sample continuations of a prompt from a model directory",
  synopsis: "seqlearn lm sample <model/> --prompt <text> [--n 4] [--temperature 0.8] [--top-k 20] [--top-p 0.9] [--seed 1]",
  description: ["Prints each sample's decoded text, one block per sample; the same seed gives the same samples in every runtime."],
  flags: SAMPLE_FLAGS,
  async run({ positional, values: v }) {
    if (positional.length !== 1) throw new UsageError(positional.length === 0 ? "missing the model directory" : `expected one model directory, got ${positional.length}`);
    await start();
    const { model, tokenizer: tok } = readModelDir(positional[0], "model");
    try {
      const ids = v.chat
        ? [tok.bos, tok.roleToken("user"), ...tok.encode(v.prompt), tok.eos, tok.roleToken("assistant")]
        : [tok.bos, ...tok.encode(v.prompt)];
      if (ids.length >= model.context) throw new UsageError(`the prompt has ${ids.length} tokens; the model reads ${model.context} at most and needs room to answer`);
      const room = model.context - ids.length;
      const maxNew = Math.min(v.maxNewTokens ?? room, room);
      const r = sample(model, Array.from({ length: v.n }, () => ids), { maxNewTokens: maxNew, temperature: v.temperature, topK: v.topK, topP: v.topP, seed: v.seed, eos: tok.eos });
      const texts = r.completions.map((c) => tok.decode(c, { skipSpecial: true }));
      if (v.json) out(JSON.stringify({ prompt: v.prompt, samples: texts.map((text, i) => ({ text, tokens: Array.from(r.completions[i]) })) }));
      else texts.forEach((t, i) => out(v.n > 1 ? `[${i + 1}] ${t}` : t));
    } finally {
      model.dispose();
    }
    return 0;
  },
});
