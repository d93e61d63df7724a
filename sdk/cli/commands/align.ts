// seqlearn align / distill: preference training of a model directory against a reference (DPO,
// IPO, SLiC, KTO, DRO-V and the other losses of the alignment guide) and distillation of a
// teacher into a student, each writing a model directory with its metrics and curves.
import { clip } from "../../core/validate.js";
import {
  LanguageModel, PreferenceTrainer, UnpairedTrainer, DistillTrainer, PAIR_LOSSES, lossType,
  type Trainer, type Tokenizer, type DistillSource, type PairLossKind, type ReferenceOptions, type Layout,
} from "../../align/index.js";
import { command, UsageError } from "../command.js";
import { choice, custom, group, number, string } from "../flags.js";
import {
  MODEL_CONFIG, TRAINING, LM_OUTPUT, checkOutputDir, readData, readModelDir, configFromFlags, modelFlagsGiven,
  trainerOptions, runTraining, metricsLine, curvesSvg, writeModelDir, withOutputDir, checkLayout, start, summaryLine, flagError,
} from "../training.js";
import { out } from "../term.js";

/** The losses of `seqlearn align` (TRL's names; dpo = sigmoid). */
export const ALIGN_LOSSES = ["dpo", ...PAIR_LOSSES, "kto", "apo_zero_unpaired", "dro"] as const;

const ALIGN_FLAGS = {
  ...group("models", {
    ref: string({ metavar: "<dir>", required: "(the reference model directory)", help: "the reference policy π_ref (frozen), and the starting policy unless --model" }),
    model: string({ metavar: "<dir>", help: "the policy to start from (same tokenizer)", defaultText: "a copy of --ref" }),
  }),
  ...group("loss", {
    loss: choice(ALIGN_LOSSES, { default: "dpo", help: "the loss: pairwise (preference pairs {prompt, chosen, rejected}) or kto / apo_zero_unpaired ({prompt, completion, label}) or dro ({prompt, completion, reward})" }),
    beta: number({ gt: 0, metavar: "<β>", help: "KL coefficient β (for ipo: τ)", defaultText: "0.1" }),
    tau: number({ gt: 0, metavar: "<τ>", help: "dro: the KL regularisation τ", defaultText: "1" }),
    labelSmoothing: number({ min: 0, lt: 0.5, metavar: "<ε>", help: "cdpo / robust: the label noise ε" }),
    delta: number({ gt: 0, metavar: "<δ>", help: "slic: the margin δ" }),
    lengthNorm: choice(["default", "on", "off"], { default: "default", help: "per-token average scores (default: on for ipo and sigmoid_norm, off otherwise)" }),
    sftWeight: number({ gt: 0, metavar: "<w>", help: "add w × the chosen responses' NLL (TRL's [\"sigmoid\", \"sft\"] loss list)" }),
    desirableWeight: number({ gt: 0, metavar: "<λ_D>", help: "kto: weight of desirable examples", defaultText: "1" }),
    undesirableWeight: number({ gt: 0, metavar: "<λ_U>", help: "kto: weight of undesirable examples", defaultText: "1" }),
    referenceMode: choice(["frozen", "precomputed", "previous"], { default: "frozen", help: "frozen: --ref throughout; precomputed: the same, its scores cached per example; previous: the previous iterate, synced every --sync-every steps" }),
    syncEvery: number({ int: true, min: 1, metavar: "<steps>", help: "reference-mode previous: steps between syncs", defaultText: "1" }),
    valueLr: number({ gt: 0, metavar: "<η>", help: "dro: the value model's learning rate (the value model is not saved)", defaultText: "--lr" }),
  }),
  ...TRAINING,
  ...LM_OUTPUT,
};

const KTO_ONLY = ["desirableWeight", "undesirableWeight"] as const;
const PAIR_ONLY = ["labelSmoothing", "delta", "sftWeight"] as const;

export const alignCommand = command({
  name: "align",
  summary: "align a model directory on preference data (DPO, IPO, SLiC, KTO, DRO-V, …) against a reference",
  synopsis: "seqlearn align <data.jsonl> --ref <model/> -o <aligned/> [--loss dpo|ipo|hinge|kto|dro|…] [--beta 0.1] [options]",
  description: [
    "Pairwise losses read {\"prompt\", \"chosen\", \"rejected\"} lines; kto and apo_zero_unpaired read {\"prompt\", \"completion\", \"label\"}",
    "(or pairs, split into a desirable and an undesirable example); dro reads {\"prompt\", \"completion\", \"reward\"}.",
    "Writes the aligned policy as a model directory with metrics.jsonl (TRL's metric names) and curves.svg.",
  ],
  flags: ALIGN_FLAGS,
  async run({ positional, values: v, given, spelled }) {
    if (positional.length !== 1) throw new UsageError(positional.length === 0 ? "missing the data file" : `expected one data file, got ${positional.length}: ${positional.map((p) => clip(p)).join(" ")}`);
    const data = positional[0];
    const loss = v.loss === "dpo" ? "sigmoid" : v.loss;
    const unpaired = loss === "kto" || loss === "apo_zero_unpaired" || loss === "dro";
    const name = (k: string) => spelled[k as keyof typeof spelled] ?? `--${k}`;
    const wrong = (keys: readonly string[], why: string) => {
      const bad = keys.filter((k) => given.has(k as never));
      if (bad.length) throw new UsageError(`${bad.map(name).join(", ")} ${bad.length > 1 ? "do" : "does"} not apply to --loss ${v.loss} (${why})`);
    };
    if (unpaired) wrong(PAIR_ONLY, "pairwise losses only");
    if (loss !== "kto" && loss !== "apo_zero_unpaired") wrong(KTO_ONLY, "kto and apo_zero_unpaired only");
    if (loss === "dro") wrong(["beta"], "DRO's coefficient is --tau");
    else wrong(["tau", "valueLr"], "dro only");
    if (v.syncEvery !== undefined && v.referenceMode !== "previous") throw new UsageError("--sync-every applies to --reference-mode previous");
    const inputs = [data, ...(v.eval ? [v.eval] : [])];
    checkOutputDir(v.output, inputs, v.force);
    await start();
    const ref = readModelDir(v.ref, "--ref");
    const owned: Array<{ dispose(): void }> = [ref.model];
    try {
      let policy: LanguageModel;
      if (v.model !== undefined) {
        const p = readModelDir(v.model, "--model");
        owned.push(p.model);
        if (JSON.stringify(p.tokenizer.toJSON()) !== JSON.stringify(ref.tokenizer.toJSON())) throw new UsageError(`--model ${v.model} and --ref ${v.ref} have different tokenizers`);
        if (p.model.vocab !== ref.model.vocab) throw new UsageError(`--model ${v.model} and --ref ${v.ref} have different vocabularies`);
        policy = p.model;
      } else {
        policy = ref.model.clone();
        owned.push(policy);
      }
      const tok = ref.tokenizer;
      const maxLength = v.maxLength ?? policy.context + 1;
      const ds = await readData(data, tok, maxLength);
      const evalDs = v.eval ? await readData(v.eval, tok, maxLength) : null;
      const layouts: readonly Layout[] = loss === "dro" ? ["reward", "unpaired"] : unpaired ? ["unpaired", "preference"] : ["preference"];
      checkLayout(ds, data, layouts, `--loss ${v.loss}`);
      if (evalDs) checkLayout(evalDs, v.eval!, layouts, `--loss ${v.loss}`);
      await withOutputDir(v.output, v.force, inputs, async (metrics) => {
        const opts = trainerOptions(v, ds.examples.length, v.workers);
        const reference: ReferenceOptions = { mode: v.referenceMode, model: ref.model, ...(v.syncEvery !== undefined ? { syncEvery: v.syncEvery } : {}) };
        const common = {
          ...opts, data: ds, tokenizer: tok, reference, onMetrics: (row: Record<string, number>) => metrics.write(metricsLine(row)),
          ...(evalDs ? { evalData: evalDs, evalEvery: opts.evalEvery ?? Number.MAX_SAFE_INTEGER } : {}),
        };
        let trainer: Trainer;
        try {
          if (loss === "dro") {
            trainer = new UnpairedTrainer(policy, { ...common, loss: "dro", ...(v.tau !== undefined ? { tau: v.tau } : {}), ...(v.valueLr !== undefined ? { valueOptimizer: { ...opts.optimizer, lr: v.valueLr } } : {}) });
          } else if (unpaired) {
            trainer = new UnpairedTrainer(policy, {
              ...common, loss, ...(v.beta !== undefined ? { beta: v.beta } : {}),
              ...(v.desirableWeight !== undefined ? { desirableWeight: v.desirableWeight } : {}), ...(v.undesirableWeight !== undefined ? { undesirableWeight: v.undesirableWeight } : {}),
            });
          } else {
            const kind = lossType(loss) as PairLossKind;
            trainer = new PreferenceTrainer(policy, {
              ...common, loss: v.sftWeight !== undefined ? [kind, "sft"] : kind, ...(v.sftWeight !== undefined ? { lossWeights: [1, v.sftWeight] } : {}),
              ...(v.beta !== undefined ? { beta: v.beta } : {}), ...(v.labelSmoothing !== undefined ? { labelSmoothing: v.labelSmoothing } : {}),
              ...(v.delta !== undefined ? { delta: v.delta } : {}), ...(v.lengthNorm !== "default" ? { lengthNorm: v.lengthNorm === "on" } : {}),
            });
          }
        } catch (e) {
          flagError(e);
        }
        try {
          const s = await runTraining("align", trainer, { workers: v.workers, quiet: v.quiet || v.json });
          const extra = unpaired ? (loss === "dro" ? ["dro/mse"] : ["kl"]) : ["rewards/margins"];
          writeModelDir(v.output, policy, tok, curvesSvg(`align --loss ${v.loss}: ${policy.parameterCount.toLocaleString("en-US")} parameters`, trainer.history, extra), {
            force: v.force, inputs, metadata: { loss },
          });
          if (v.json) out(JSON.stringify({ model: v.output, loss, examples: ds.examples.length, ...s }));
          else out(summaryLine(`align (${v.loss})`, s, v.output));
        } finally {
          trainer.dispose();
        }
      });
    } finally {
      for (const m of owned) m.dispose();
    }
    return 0;
  },
});

const SOURCES: readonly DistillSource[] = ["dataset", "teacher", "student"];

function sourceOf(raw: string, flag: string): DistillSource | Partial<Record<DistillSource, number>> {
  if ((SOURCES as readonly string[]).includes(raw)) return raw as DistillSource;
  const out: Partial<Record<DistillSource, number>> = {};
  for (const part of raw.split(",")) {
    const m = /^\s*(dataset|teacher|student)\s*=\s*([0-9.eE+-]+)\s*$/.exec(part);
    const w = m ? Number(m[2]) : NaN;
    if (!m || !(w >= 0) || !Number.isFinite(w)) throw new UsageError(`${flag} expects dataset, teacher, student or weights like student=0.5,dataset=0.5, got ${JSON.stringify(clip(raw))}`);
    out[m[1] as DistillSource] = w;
  }
  return out;
}

const DISTILL_FLAGS = {
  ...group("models", {
    teacher: string({ metavar: "<dir>", required: "(the teacher model directory)", help: "the teacher (frozen); its tokenizer is the student's" }),
    student: string({ metavar: "<dir>", help: "the student to start from (same tokenizer)", defaultText: "a new model from the flags below" }),
  }),
  ...MODEL_CONFIG,
  ...group("loss", {
    loss: choice(["fkl", "rkl", "gjsd"], { default: "gjsd", help: "token-level divergence: KL(teacher ‖ student), KL(student ‖ teacher), or the generalised JSD" }),
    beta: number({ min: 0, max: 1, metavar: "<β>", help: "gjsd's mixture weight (0: forward KL, 1: reverse KL)", defaultText: "0.5" }),
    temperature: number({ gt: 0, default: 1, metavar: "<τ>", help: "softmax temperature of both models inside the loss" }),
    source: custom(sourceOf, { metavar: "<src>", default: "dataset" as DistillSource | Partial<Record<DistillSource, number>>, help: "the sequences: dataset (the data's completions), teacher or student samples, or a per-step mixture such as student=0.5,dataset=0.5 (GKD's λ = 0.5)" }),
    maxNewTokens: number({ int: true, min: 1, metavar: "<n>", help: "tokens sampled per completion (teacher / student sources)", defaultText: "the rest of the context" }),
    sampleTemperature: number({ min: 0, default: 1, metavar: "<τ>", help: "temperature of sampled completions" }),
  }),
  ...TRAINING,
  ...LM_OUTPUT,
};

export const distill = command({
  name: "distill",
  summary: "distil a teacher model directory into a student (forward / reverse KL, generalised JSD; GKD's sources)",
  synopsis: "seqlearn distill <data.jsonl> --teacher <model/> -o <student/> [--student <dir> | --layers 1 --width 32 …] [--loss gjsd] [--source dataset] [options]",
  description: [
    "The data gives the prompts (and, for --source dataset, the completions): {\"prompt\", \"completion\"}, {\"messages\"} or {\"text\"} lines.",
    "The student shares the teacher's tokenizer. Writes the student as a model directory with metrics.jsonl and curves.svg.",
  ],
  flags: DISTILL_FLAGS,
  async run({ positional, values: v, given, spelled }) {
    if (positional.length !== 1) throw new UsageError(positional.length === 0 ? "missing the data file" : `expected one data file, got ${positional.length}: ${positional.map((p) => clip(p)).join(" ")}`);
    const data = positional[0];
    if (v.student !== undefined) {
      const clash = modelFlagsGiven(given, spelled);
      if (clash.length) throw new UsageError(`${clash.join(", ")} ${clash.length > 1 ? "do" : "does"} not apply with --student (the model directory fixes the configuration)`);
    }
    if (given.has("bpe")) throw new UsageError(`${spelled.bpe} does not apply to distill: the student uses the teacher's tokenizer`);
    if (v.beta !== undefined && v.loss !== "gjsd") throw new UsageError(`--beta is gjsd's mixture weight; --loss ${v.loss} has none`);
    const inputs = [data, ...(v.eval ? [v.eval] : [])];
    checkOutputDir(v.output, inputs, v.force);
    await start();
    const teacher = readModelDir(v.teacher, "--teacher");
    const owned: Array<{ dispose(): void }> = [teacher.model];
    try {
      const tok: Tokenizer = teacher.tokenizer;
      let student: LanguageModel;
      if (v.student !== undefined) {
        const s = readModelDir(v.student, "--student");
        owned.push(s.model);
        if (JSON.stringify(s.tokenizer.toJSON()) !== JSON.stringify(tok.toJSON())) throw new UsageError(`--student ${v.student} and --teacher ${v.teacher} have different tokenizers`);
        student = s.model;
      } else {
        student = LanguageModel.create(configFromFlags({ ...v, context: v.context ?? teacher.model.context }, teacher.model.vocab), { seed: v.seed });
        owned.push(student);
      }
      const maxLength = v.maxLength ?? Math.min(student.context, teacher.model.context) + 1;
      const ds = await readData(data, tok, maxLength);
      const evalDs = v.eval ? await readData(v.eval, tok, maxLength) : null;
      checkLayout(ds, data, ["completion", "messages", "text", "preference", "unpaired"], "distill");
      if (evalDs) checkLayout(evalDs, v.eval!, ["completion", "messages", "text", "preference", "unpaired"], "distill");
      await withOutputDir(v.output, v.force, inputs, async (metrics) => {
        const opts = trainerOptions(v, ds.examples.length, v.workers);
        let trainer: Trainer;
        try {
          trainer = new DistillTrainer(student, {
            ...opts, data: ds, tokenizer: tok, teacher: teacher.model, loss: v.loss, temperature: v.temperature, source: v.source, sampleTemperature: v.sampleTemperature,
            ...(v.beta !== undefined ? { beta: v.beta } : {}), ...(v.maxNewTokens !== undefined ? { maxNewTokens: v.maxNewTokens } : {}),
            onMetrics: (row) => metrics.write(metricsLine(row)),
            ...(evalDs ? { evalData: evalDs, evalEvery: opts.evalEvery ?? Number.MAX_SAFE_INTEGER } : {}),
          });
        } catch (e) {
          flagError(e);
        }
        try {
          const s = await runTraining("distill", trainer, { workers: v.workers, quiet: v.quiet || v.json });
          writeModelDir(v.output, student, tok, curvesSvg(`distill --loss ${v.loss}: ${student.parameterCount.toLocaleString("en-US")}-parameter student`, trainer.history), {
            force: v.force, inputs, metadata: { loss: v.loss },
          });
          if (v.json) out(JSON.stringify({ model: v.output, loss: v.loss, examples: ds.examples.length, ...s }));
          else out(summaryLine(`distill (${v.loss})`, s, v.output));
        } finally {
          trainer.dispose();
        }
      });
    } finally {
      for (const m of owned) m.dispose();
    }
    return 0;
  },
});
