// teacher-hacking: oracle → teacher → student distillation (Tiapkin et al. 2025, "On Teacher
// Hacking in Language Model Distillation"). A fixed random WindowMLP plays the oracle (the
// ground truth), a WindowMLP trained by MLE on oracle samples is the (imperfect) teacher, a
// smaller one trained for one epoch on the same data is the student's starting point. The
// student is then distilled from the teacher with a token-level divergence (DistillTrainer:
// forward KL, reverse KL, generalised JSD) along three data sources — a fixed offline set of
// teacher samples reused every epoch, fresh teacher samples, fresh student samples — and after
// every epoch we measure, on held-out prompts,
//   proxy  = KL_seq(teacher‖student)   (what distillation optimises)
//   golden = KL_seq(oracle‖student)    (what we care about)
// with the chain-rule estimator (align.sequenceKl) on fixed samples of the teacher and of the
// oracle. Teacher hacking is the proxy still falling while the golden distance turns up (a
// U-shaped golden-vs-proxy curve); the paper finds it with offline data only, stronger with less
// prompt diversity, weaker with more generations per prompt.
//
// The oracle-free detection routine is our operationalisation of the paper's "departure from
// polynomial convergence" (`detectDeparture`): fit log proxy_t = a − α·log t on an early window
// of epochs, then flag the first epoch from which the observed log-proxy stays above the
// extrapolated line by more than δ for `run` consecutive epochs, or the local log-log slope stays
// below `slopeFactor`·α for `run` consecutive epochs.
//
// Determinism: prompts, the oracle's weights, every sample and every data order come from the
// seed (distinct Rng streams); host arithmetic is + − × ÷ and core/detmath.
import { log } from "../core/detmath.js";
import { ValueError } from "../core/errors.js";
import { integer, positive } from "../core/validate.js";
import { Rng } from "../random/rng.js";
import { LanguageModel } from "../align/model.js";
import { sample } from "../align/sample.js";
import { sequenceKl } from "../align/metrics.js";
import { SftTrainer } from "../align/trainers/sft.js";
import { DistillTrainer, type DistillSource } from "../align/trainers/distill.js";
import type { SequenceExample } from "../align/data.js";
import { linePlot } from "../io/svg.js";
import { defineExperiment, type Contrast, type CurveRow, type SeedResult } from "./experiment.js";
import { mean, tInterval, type AcceptanceRule } from "./stats.js";

// ---- the oracle-free detection routine -----------------------------------------------------------

/** Options of `detectDeparture`. */
export interface DepartureOptions {
  /** First epoch of the fit window (default 2). */
  fitFrom?: number;
  /** Last epoch of the fit window (default 10). */
  fitTo?: number;
  /** Excess of log proxy over the extrapolated power law that counts as a departure (nats in
   *  log space; default 0.05). */
  delta?: number;
  /** Consecutive epochs a criterion must hold (default 3). */
  run?: number;
  /** The slope criterion: the local log-log slope −Δlog proxy/Δlog t (over one epoch) below this
   *  fraction of the fitted α (default 0.5; 0 disables it). */
  slopeFactor?: number;
}

/** What `detectDeparture` returns. */
export interface Departure {
  /** The flagged epoch (the first of the run of epochs that satisfies a criterion), or null. */
  epoch: number | null;
  /** Which criterion flagged it first ("excess", "slope"), or null. */
  rule: "excess" | "slope" | null;
  /** The fitted power-law exponent α (log proxy = a − α·log t on the fit window). */
  alpha: number;
  /** The fitted intercept a. */
  intercept: number;
}

/**
 * Oracle-free detection of teacher hacking (our operationalisation of Tiapkin et al. 2025's
 * "deviation from polynomial convergence"): least-squares fit of log y_t = a − α·log t on the
 * epochs in [fitFrom, fitTo] (positive values only), then, for t > fitTo, flag the first epoch
 * from which (i) log y_t − (a − α·log t) > δ holds for `run` consecutive epochs, or (ii) the
 * local slope −(log y_t − log y_{t−1})/(log t − log(t−1)) < slopeFactor·α holds for `run`
 * consecutive epochs (only when α > 0). `epochs[i]` is the epoch of `values[i]` (increasing,
 * ≥ 1 where fitted; default i + 1).
 */
export function detectDeparture(values: ArrayLike<number>, epochs?: ArrayLike<number>, options: DepartureOptions = {}): Departure {
  const n = values.length;
  const ep = epochs ?? Array.from({ length: n }, (_, i) => i + 1);
  if (ep.length !== n) throw new ValueError(`detectDeparture: ${n} values but ${ep.length} epochs`);
  const fitFrom = options.fitFrom ?? 2, fitTo = options.fitTo ?? 10, delta = options.delta ?? 0.05, run = options.run ?? 3;
  const slopeFactor = options.slopeFactor ?? 0.5;
  if (!(fitTo > fitFrom && fitFrom >= 1)) throw new ValueError(`detectDeparture: need 1 ≤ fitFrom < fitTo, got ${fitFrom}, ${fitTo}`);
  integer(run, "run", 1);
  let sx = 0, sy = 0, k = 0;
  for (let i = 0; i < n; i++) if (ep[i] >= fitFrom && ep[i] <= fitTo && values[i] > 0) sx += log(ep[i]), sy += log(values[i]), k++;
  if (k < 2) return { epoch: null, rule: null, alpha: NaN, intercept: NaN };
  const mx = sx / k, my = sy / k;
  let sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    if (ep[i] >= fitFrom && ep[i] <= fitTo && values[i] > 0) {
      const dx = log(ep[i]) - mx;
      sxx += dx * dx;
      sxy += dx * (log(values[i]) - my);
    }
  }
  const slope = sxy / sxx, alpha = -slope, a = my - slope * mx;
  const excess: boolean[] = [], flat: boolean[] = [], at: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!(ep[i] > fitTo)) continue;
    const v = values[i];
    at.push(ep[i]);
    excess.push(v > 0 && log(v) - (a - alpha * log(ep[i])) > delta);
    const prev = i > 0 ? values[i - 1] : NaN;
    const local = v > 0 && prev > 0 && ep[i] > ep[i - 1] ? -(log(v) - log(prev)) / (log(ep[i]) - log(ep[i - 1])) : NaN;
    flat.push(slopeFactor > 0 && alpha > 0 && local < slopeFactor * alpha);
  }
  const first = (flags: boolean[]) => {
    for (let i = 0; i + run <= flags.length; i++) {
      let ok = true;
      for (let j = 0; j < run; j++) ok &&= flags[i + j];
      if (ok) return i;
    }
    return -1;
  };
  const e = first(excess), s = first(flat);
  if (e < 0 && s < 0) return { epoch: null, rule: null, alpha, intercept: a };
  const useExcess = e >= 0 && (s < 0 || e <= s);
  return { epoch: at[useExcess ? e : s], rule: useExcess ? "excess" : "slope", alpha, intercept: a };
}

// ---- the experiment ---------------------------------------------------------------------------------

/** The configuration of teacher-hacking. */
export interface TeacherHackingConfig {
  /** Vocabulary size V (every token may appear in prompts and responses). */
  vocab: number;
  /** Prompt tokens (uniformly random). */
  promptLength: number;
  /** Response tokens L (fixed length, no EOS). */
  responseLength: number;
  /** Tokens the WindowMLPs see. */
  window: number;
  /** Embedding dimension d. */
  width: number;
  /** Hidden units of the oracle, the teacher and the student. */
  oracleHidden: number;
  /** Hidden units of the teacher. */
  teacherHidden: number;
  /** Hidden units of the student. */
  studentHidden: number;
  /** The oracle's output layer (weights and bias) is multiplied by scale / temperature. */
  oracleScale: number;
  /** The oracle's sampling temperature (folded into its output layer). */
  oracleTemperature: number;
  /** Prompts available for training (the held-out evaluation prompts are drawn apart). */
  promptPool: number;
  /** Stage 1: oracle samples (x, y) of the SFT data set. */
  oracleData: number;
  /** Stage 1: teacher SFT epochs. */
  teacherEpochs: number;
  /** Stage 1: student SFT epochs. */
  studentEpochs: number;
  /** Stage 1: AdamW learning rate. */
  sftLr: number;
  /** Stage 2: prompts of the main runs (offline: one teacher sample each, fixed). */
  prompts: number;
  /** Stage 2: epochs (passes over the prompts). */
  epochs: number;
  /** Give every run the main runs' number of optimizer steps (`epochs` passes over `prompts`
   *  sequences), whatever the size of its data set, and evaluate at the same step counts: the
   *  ablations then compare data sets at equal compute instead of at equal passes. Default
   *  false in the presets (every run makes `epochs` passes over its own data). */
  equalSteps: boolean;
  /** Stage 2: sequences per optimizer step. */
  batchSize: number;
  /** Stage 2: AdamW learning rate. */
  lr: number;
  /** Divergences of the main grid ("fkl", "rkl", "gjsd" with β = 0.5). */
  divergences: string[];
  /** Data sources of the main grid. */
  sources: string[];
  /** Diversity ablation at a fixed budget: [prompts, generations per prompt] (forward KL, offline). */
  diversity: number[][];
  /** Generations ablation: generations per prompt at `generationsPrompts` prompts (offline, forward KL). */
  generations: number[];
  /** Prompts of the generations ablation. */
  generationsPrompts: number;
  /** Held-out evaluation prompts. */
  evalPrompts: number;
  /** Samples per evaluation prompt (from the oracle and from the teacher, fixed). */
  evalSamples: number;
  /** The detection routine's options. */
  detection: Required<DepartureOptions>;
}

const DIVS = ["fkl", "rkl", "gjsd"] as const;
const SOURCES = ["offline", "teacher", "student"] as const;
const SOURCE_OF: Record<string, DistillSource> = { offline: "dataset", teacher: "teacher", student: "student" };

/** The run name of an offline configuration or a source. */
const runName = (source: string, div: string, prompts?: number, gens?: number) =>
  source === "offline" && prompts !== undefined ? `offline-${prompts}x${gens}/${div}` : `${source}/${div}`;

interface RunSpec {
  name: string;
  source: "offline" | "teacher" | "student";
  div: (typeof DIVS)[number];
  prompts: number;
  gens: number;
}

/** Every run of a configuration, main grid first, each (prompts, gens, div, source) once. */
function runSpecs(c: TeacherHackingConfig): RunSpec[] {
  const out: RunSpec[] = [];
  const seen = new Set<string>();
  const add = (source: RunSpec["source"], div: RunSpec["div"], prompts: number, gens: number) => {
    const name = source === "offline" ? runName(source, div, prompts, gens) : runName(source, div);
    if (seen.has(name)) return;
    seen.add(name);
    out.push({ name, source, div, prompts, gens });
  };
  for (const d of c.divergences) for (const s of c.sources) add(s as RunSpec["source"], d as RunSpec["div"], c.prompts, 1);
  for (const [p, g] of c.diversity) add("offline", "fkl", p, g);
  for (const g of c.generations) add("offline", "fkl", c.generationsPrompts, g);
  return out;
}

const mainOffline = (c: TeacherHackingConfig) => runName("offline", "fkl", c.prompts, 1);

function mlp(c: TeacherHackingConfig, hidden: number, seed: number): LanguageModel {
  return LanguageModel.create({ kind: "window-mlp", vocab: c.vocab, context: c.promptLength + c.responseLength, width: c.width, hidden, window: c.window }, { seed });
}

function completionExample(seq: Int32Array, P: number, line: number): SequenceExample {
  const prompt = seq.slice(0, P), y = seq.slice(P);
  return { layout: "completion", line, prompt: { tokens: prompt, trained: new Uint8Array(P) }, completion: { tokens: y, trained: new Uint8Array(y.length).fill(1) } };
}

/** The golden-vs-proxy summary of one run's per-epoch curves (epochs 0..E). */
function curveSummary(golden: number[], proxy: number[], det: TeacherHackingConfig["detection"]) {
  let gMin = Infinity, gArg = 0;
  golden.forEach((g, e) => {
    if (g < gMin) gMin = g, gArg = e;
  });
  const E = golden.length - 1;
  const d = detectDeparture(proxy.slice(1), proxy.slice(1).map((_, i) => i + 1), det);
  return {
    golden_first: golden[0], golden_min: gMin, golden_min_epoch: gArg, golden_last: golden[E],
    proxy_first: proxy[0], proxy_last: proxy[E], proxy_at_golden_min: proxy[gArg],
    golden_rise: log(golden[E] / gMin), proxy_drop_after_golden_min: log(proxy[gArg] / proxy[E]),
    flagged_epoch: d.epoch ?? NaN, alpha: d.alpha,
  };
}

/** Oracle → teacher → student distillation: offline vs online data, proxy vs golden distance. */
export const teacherHacking = defineExperiment<TeacherHackingConfig>({
  name: "teacher-hacking",
  title: "Teacher hacking in distillation: offline vs online data, proxy vs golden distance",
  description:
    "A random WindowMLP oracle, a teacher (WindowMLP) trained by MLE on oracle samples, and a smaller student trained on them for one epoch. " +
    "The student is distilled from the teacher (forward KL, reverse KL, generalised JSD) on a fixed offline set of teacher samples, on fresh teacher samples, " +
    "or on its own samples; every epoch, proxy = KL_seq(teacher‖student) and golden = KL_seq(oracle‖student) are estimated on held-out prompts by the chain rule. " +
    "Tiapkin et al. 2025 predict teacher hacking offline only (proxy keeps falling while golden turns up), stronger with fewer prompts and more generations per prompt " +
    "at a fixed budget, weaker with more generations at fixed prompts; an oracle-free rule (a departure of the proxy from a power law) should flag it.",
  references: ["Tiapkin, Calandriello, Ferret, Perrin, Vieillard, Ramé & Blondel 2025, On Teacher Hacking in Language Model Distillation (arXiv:2502.02671).",
    "Agarwal, Vieillard, Zhou, Stanczyk, Ramos Garea, Geist & Bachem 2024, On-Policy Distillation of Language Models: Learning from Self-Generated Mistakes (ICLR; GKD)."],
  presets: {
    smoke: {
      vocab: 16, promptLength: 4, responseLength: 8, window: 4, width: 16, oracleHidden: 64, teacherHidden: 32, studentHidden: 32,
      oracleScale: 3, oracleTemperature: 0.7, promptPool: 2000, oracleData: 2000, teacherEpochs: 3, studentEpochs: 1, sftLr: 3e-3,
      prompts: 100, epochs: 20, equalSteps: false, batchSize: 32, lr: 3e-3, divergences: ["fkl"], sources: ["offline", "teacher", "student"],
      diversity: [], generations: [], generationsPrompts: 40, evalPrompts: 50, evalSamples: 4,
      detection: { fitFrom: 2, fitTo: 6, delta: 0.05, run: 3, slopeFactor: 0.5 },
    },
    full: {
      vocab: 32, promptLength: 4, responseLength: 12, window: 4, width: 16, oracleHidden: 128, teacherHidden: 64, studentHidden: 32,
      oracleScale: 3, oracleTemperature: 0.7, promptPool: 10000, oracleData: 10000, teacherEpochs: 4, studentEpochs: 1, sftLr: 3e-3,
      prompts: 1000, epochs: 30, equalSteps: false, batchSize: 64, lr: 3e-3, divergences: ["fkl", "rkl", "gjsd"], sources: ["offline", "teacher", "student"],
      diversity: [[2000, 1], [1000, 2], [400, 5]], generations: [1, 2, 5, 10], generationsPrompts: 400, evalPrompts: 100, evalSamples: 8,
      detection: { fitFrom: 2, fitTo: 10, delta: 0.05, run: 3, slopeFactor: 0.5 },
    },
  },
  defaultSeeds: 5,

  check(c) {
    integer(c.vocab, "vocab", 2, 4096);
    integer(c.promptLength, "promptLength", 1, 64);
    integer(c.responseLength, "responseLength", 1, 256);
    for (const k of ["window", "width", "oracleHidden", "teacherHidden", "studentHidden", "promptPool", "oracleData", "teacherEpochs", "studentEpochs",
      "prompts", "epochs", "batchSize", "evalPrompts", "evalSamples", "generationsPrompts"] as const) integer(c[k], k, 1);
    for (const k of ["oracleScale", "oracleTemperature", "sftLr", "lr"] as const) positive(c[k], k);
    for (const d of c.divergences) if (!(DIVS as readonly string[]).includes(d)) throw new ValueError(`divergences: ${JSON.stringify(d)} is not one of ${DIVS.join(", ")}`);
    for (const s of c.sources) if (!(SOURCES as readonly string[]).includes(s)) throw new ValueError(`sources: ${JSON.stringify(s)} is not one of ${SOURCES.join(", ")}`);
    if (!c.divergences.includes("fkl") || !c.sources.includes("offline")) throw new ValueError("the main contrast needs divergence \"fkl\" and source \"offline\"");
    for (const pg of c.diversity) if (!(Array.isArray(pg) && pg.length === 2)) throw new ValueError("diversity: entries are [prompts, generations]");
    const most = Math.max(c.prompts, c.generationsPrompts, ...c.diversity.map(([p]) => p));
    if (most > c.promptPool) throw new ValueError(`promptPool (${c.promptPool}) must hold the largest prompt set (${most})`);
    if (typeof c.equalSteps !== "boolean") throw new ValueError(`equalSteps must be true or false, got ${JSON.stringify(c.equalSteps)}`);
    if (c.epochs <= c.detection.fitTo) throw new ValueError(`epochs (${c.epochs}) must exceed detection.fitTo (${c.detection.fitTo})`);
  },

  async run(c, seed, ctx) {
    const P = c.promptLength, L = c.responseLength;
    const owned: LanguageModel[] = [];
    const keep = <M extends LanguageModel>(m: M) => (owned.push(m), m);
    try {
      // prompts: the evaluation prompts first, then the training pool (stream 1)
      const pr = new Rng(seed, 1);
      const draw = (n: number) => Array.from({ length: n }, () => {
        const u = pr.uniform(P);
        return Int32Array.from(u, (v) => Math.min(c.vocab - 1, Math.floor(v * c.vocab)));
      });
      const evalPrompts = draw(c.evalPrompts), pool = draw(c.promptPool);
      pr.dispose();

      // the oracle: random weights (from the seed), output layer scaled by scale / temperature
      const oracle = keep(mlp(c, c.oracleHidden, seed * 8 + 1));
      const f = c.oracleScale / c.oracleTemperature;
      oracle.setTensor("mlp.out.weight", oracle.getTensor("mlp.out.weight").map((v) => v * f));
      oracle.setTensor("mlp.out.bias", oracle.getTensor("mlp.out.bias").map((v) => v * f));

      // stage 1: oracle data set; teacher to (near) convergence, student for one epoch
      const sr = new Rng(seed, 2);
      const idx = sr.uniform(c.oracleData);
      const oraclePrompts = Array.from(idx, (u) => pool[Math.min(c.promptPool - 1, Math.floor(u * c.promptPool))]);
      const oracleSeqs = sample(oracle, oraclePrompts, { maxNewTokens: L, rng: sr }).sequences;
      sr.dispose();
      const sft = oracleSeqs.map((s, i) => completionExample(s, P, i + 1));
      const teacher = keep(mlp(c, c.teacherHidden, seed * 8 + 2));
      const studentInit = keep(mlp(c, c.studentHidden, seed * 8 + 3));
      let tokenUpdates = 0;
      for (const [m, epochs] of [[teacher, c.teacherEpochs], [studentInit, c.studentEpochs]] as const) {
        const t = new SftTrainer(m, { data: sft, epochs, batchSize: c.batchSize, seed, logEvery: 1_000_000, optimizer: { lr: c.sftLr, weightDecay: 0 } });
        try {
          await t.train({ signal: ctx.signal });
        } finally {
          t.dispose();
        }
        tokenUpdates += epochs * c.oracleData * L;
      }
      ctx.progress(0.1, "stage 1 done");

      // fixed evaluation samples: evalSamples per held-out prompt from the oracle (stream 3) and the teacher (stream 4)
      const evalRows = evalPrompts.flatMap((p) => Array.from({ length: c.evalSamples }, () => p));
      const sampled = (m: LanguageModel, prompts: Int32Array[], stream: number) => {
        const g = new Rng(seed, stream);
        try {
          return sample(m, prompts, { maxNewTokens: L, rng: g }).sequences;
        } finally {
          g.dispose();
        }
      };
      const oEval = sampled(oracle, evalRows, 3), tEval = sampled(teacher, evalRows, 4);
      const oLogits = sequenceKl(oracle, teacher, oEval, { start: P }).pLogits;
      const tLogits = sequenceKl(teacher, oracle, tEval, { start: P }).pLogits;
      const measure = (student: LanguageModel) => ({
        proxy: sequenceKl(teacher, student, tEval, { start: P, pLogits: tLogits }).mean,
        golden: sequenceKl(oracle, student, oEval, { start: P, pLogits: oLogits }).mean,
      });
      const teacherGolden = sequenceKl(oracle, teacher, oEval, { start: P, pLogits: oLogits }).mean;

      const rows: CurveRow[] = Array.from({ length: c.epochs + 1 }, (_, e) => ({ step: e }) as CurveRow);
      const scalars: Record<string, number> = { teacher_golden: teacherGolden };
      const specs = runSpecs(c);
      let done = 0;
      for (const spec of specs) {
        const student = mlp(c, c.studentHidden, 0);
        try {
          student.copyFrom(studentInit);
          // the data: offline, gens teacher samples for each of the first `prompts` pool prompts
          // (stream 100 + run index); online, the prompts alone
          const prompts = pool.slice(0, spec.prompts);
          let data: SequenceExample[];
          if (spec.source === "offline") {
            const rows2 = prompts.flatMap((p) => Array.from({ length: spec.gens }, () => p));
            data = sampled(teacher, rows2, 100 + specs.indexOf(spec)).map((s, i) => completionExample(s, P, i + 1));
          } else {
            data = prompts.map((p, i) => completionExample(Int32Array.from([...p, ...new Array(L).fill(0)]), P, i + 1));
          }
          // an "epoch" of the curves: one pass over the run's data, or (equalSteps) over `prompts` sequences
          const perEpoch = Math.ceil((c.equalSteps ? c.prompts : data.length) / c.batchSize);
          const passes = c.equalSteps ? Math.ceil((perEpoch * c.epochs) / Math.ceil(data.length / c.batchSize)) : c.epochs;
          const golden: number[] = [], proxy: number[] = [], loss: number[] = [];
          const m0 = measure(student);
          golden.push(m0.golden), proxy.push(m0.proxy);
          let lsum = 0, lcount = 0, trained = 0;
          const trainer = new DistillTrainer(student, {
            teacher, data, loss: spec.div, source: SOURCE_OF[spec.source], maxNewTokens: L, batchSize: c.batchSize, epochs: passes,
            maxSteps: perEpoch * c.epochs, seed: seed * 64 + specs.indexOf(spec), optimizer: { lr: c.lr, weightDecay: 0 }, logEvery: 1, evalEvery: perEpoch,
            onMetrics: (m) => {
              if (Number.isFinite(m.loss)) lsum += m.loss, lcount++;
              if (Number.isFinite(m.tokens)) trained += m.tokens;
            },
            evaluate: ({ model }) => {
              const v = measure(model);
              golden.push(v.golden), proxy.push(v.proxy), loss.push(lcount ? lsum / lcount : NaN);
              lsum = 0, lcount = 0;
              return v;
            },
          });
          try {
            await trainer.train({ signal: ctx.signal });
          } finally {
            trainer.dispose();
          }
          tokenUpdates += trained;
          for (let e = 0; e <= c.epochs; e++) {
            rows[e][`${spec.name}/golden`] = golden[e];
            rows[e][`${spec.name}/proxy`] = proxy[e];
            if (e > 0) rows[e][`${spec.name}/train_loss`] = loss[e - 1];
          }
          const s = curveSummary(golden, proxy, c.detection);
          for (const [k, v] of Object.entries(s)) scalars[`${spec.name}/${k}`] = v;
          // the reverse direction at the end: KL_seq(student‖teacher), KL_seq(student‖oracle) on student samples (stream 5)
          const sEval = sampled(student, evalRows, 5);
          const sl = sequenceKl(student, teacher, sEval, { start: P });
          scalars[`${spec.name}/reverse_proxy_last`] = sl.mean;
          scalars[`${spec.name}/reverse_golden_last`] = sequenceKl(student, oracle, sEval, { start: P, pLogits: sl.pLogits }).mean;
        } finally {
          student.dispose();
        }
        ctx.progress(0.1 + (0.9 * ++done) / specs.length, spec.name);
      }
      return { curves: rows, scalars, tokenUpdates };
    } finally {
      for (const m of owned) m.dispose();
    }
  },

  summarise(results, c) {
    const off = mainOffline(c);
    const v = (name: string) => results.map((r) => r.scalars[name]);
    const diff = (a: string, b: string) => results.map((r) => r.scalars[a] - r.scalars[b]);
    const out: Contrast[] = [
      {
        name: "golden_rise_offline_minus_online",
        definition: `log(golden_last/golden_min) of offline forward-KL distillation (${c.prompts} prompts × 1 teacher sample, ${c.epochs} epochs) minus the same for online teacher samples: how far golden climbs back from its minimum.`,
        expected: "positive",
        claim: "Tiapkin et al. 2025: with a fixed offline data set the golden distance is U-shaped (teacher hacking); with online teacher samples it keeps falling.",
        values: diff(`${off}/golden_rise`, "teacher/fkl/golden_rise"),
      },
      {
        name: "offline_proxy_drop_after_golden_min",
        definition: "log(proxy at the epoch of the golden minimum / proxy at the last epoch), offline forward KL: whether the proxy keeps improving after golden has turned (0 when golden is lowest at the last epoch).",
        expected: "positive",
        claim: "Tiapkin et al. 2025: teacher hacking is the proxy still improving while golden worsens (measured as proxy(last) < proxy(at the golden minimum)).",
        values: v(`${off}/proxy_drop_after_golden_min`),
      },
      {
        name: "offline_golden_last_minus_min",
        definition: "golden(last) − min over epochs of golden, offline forward KL (the literal acceptance criterion of the design; ≥ 0 by construction, > 0 unless the minimum is at the last epoch).",
        expected: "positive", primary: false,
        values: diff(`${off}/golden_last`, `${off}/golden_min`),
      },
    ];
    const within: AcceptanceRule = (e) => {
      const t = e.values.length > 1 ? tInterval(e.values.filter(Number.isFinite)) : null;
      const ok = t !== null && t.hi < 0.02;
      return { verdict: ok ? "reproduced" : "not reproduced", reason: `upper end of the 95 % t-interval of log(golden_last/golden_min) ${t ? t.hi.toFixed(4) : "n/a"} ${ok ? "<" : "≥"} 0.02 (2 %)` };
    };
    for (const s of ["teacher", "student"]) {
      if (!c.sources.includes(s)) continue;
      out.push({
        name: `${s}_golden_rise`, definition: `log(golden_last/golden_min), online ${s} samples, forward KL: non-increasing within noise means below 0.02.`,
        expected: "positive", primary: false, rule: within,
        claim: "Tiapkin et al. 2025: online data sources do not hack the teacher.", values: v(`${s}/fkl/golden_rise`),
      });
    }
    for (const d of c.divergences) {
      if (d === "fkl") continue;
      out.push({
        name: `${d}_golden_rise_offline_minus_online`, definition: `As the primary contrast, with the ${d} divergence.`,
        expected: "positive", primary: false, values: diff(`${runName("offline", d, c.prompts, 1)}/golden_rise`, `teacher/${d}/golden_rise`),
      });
    }
    if (c.diversity.length >= 2) {
      const hi = c.diversity[0], lo = c.diversity[c.diversity.length - 1];
      const a = runName("offline", "fkl", lo[0], lo[1]), b = runName("offline", "fkl", hi[0], hi[1]);
      out.push({
        name: "diversity_golden_rise_low_minus_high", definition: `golden rise of ${lo[0]} prompts × ${lo[1]} generations minus ${hi[0]} × ${hi[1]} (same budget).`,
        expected: "positive", primary: false, claim: "Tiapkin et al. 2025: less prompt diversity at a fixed budget makes hacking stronger.", values: diff(`${a}/golden_rise`, `${b}/golden_rise`),
      });
      out.push({
        name: "diversity_golden_last_low_minus_high", definition: `final golden of ${lo[0]} × ${lo[1]} minus ${hi[0]} × ${hi[1]}.`,
        expected: "positive", primary: false, values: diff(`${a}/golden_last`, `${b}/golden_last`),
      });
    }
    if (c.generations.length >= 2) {
      const g0 = c.generations[0], g1 = c.generations[c.generations.length - 1];
      const a = runName("offline", "fkl", c.generationsPrompts, g0), b = runName("offline", "fkl", c.generationsPrompts, g1);
      out.push({
        name: "generations_golden_last_few_minus_many", definition: `final golden with ${g0} generation(s) per prompt minus with ${g1}, at ${c.generationsPrompts} prompts.`,
        expected: "positive", primary: false, claim: "Tiapkin et al. 2025: at fixed prompts, more generations per prompt improve the golden metric.", values: diff(`${a}/golden_last`, `${b}/golden_last`),
      });
      out.push({
        name: "generations_golden_rise_few_minus_many", definition: `golden rise with ${g0} generation(s) per prompt minus with ${g1}, at ${c.generationsPrompts} prompts.`,
        expected: "positive", primary: false, values: diff(`${a}/golden_rise`, `${b}/golden_rise`),
      });
    }
    out.push({
      name: "detection_flag_minus_golden_min_epoch",
      definition: "epoch flagged by the oracle-free rule on the offline forward-KL proxy curve minus the epoch of the golden minimum (NaN when nothing is flagged); reported, no prediction of its sign.",
      expected: "positive", primary: false,
      rule: (e) => ({ verdict: "inconclusive", reason: `reported only: flagged in ${e.n} of ${e.values.length} seeds, mean offset ${Number.isFinite(e.mean) ? e.mean.toFixed(2) : "n/a"} epochs` }),
      values: diff(`${off}/flagged_epoch`, `${off}/golden_min_epoch`),
    });
    return out;
  },

  plots(c) {
    const main = c.sources.map((s) => (s === "offline" ? mainOffline(c) : runName(s, "fkl")));
    const label = (n: string) => (n.startsWith("offline") ? `offline (${c.prompts} × 1)` : `online ${n.split("/")[0]}`);
    const meanCurve = (results: readonly SeedResult[], metric: string) => results[0].curves.map((row, i) => mean(results.map((r) => r.curves[i][metric])));
    const ablation = runSpecs(c).filter((s) => s.source === "offline" && s.div === "fkl").map((s) => s.name);
    return [
      {
        kind: "custom", file: "golden-vs-proxy.svg",
        render: (results) => linePlot({
          title: "golden KL(oracle‖student) against proxy KL(teacher‖student), forward KL, mean over seeds (one point per epoch)",
          xLabel: "proxy: KL_seq(teacher‖student) on held-out prompts", yLabel: "golden: KL_seq(oracle‖student)", logX: true,
          series: main.map((n) => ({ name: label(n), x: meanCurve(results, `${n}/proxy`), y: meanCurve(results, `${n}/golden`) })),
        }),
      },
      {
        kind: "curves", file: "golden.svg", title: "golden KL_seq(oracle‖student) per epoch (forward KL)", xLabel: "epoch", yLabel: "golden",
        series: main.map((n) => ({ metric: `${n}/golden`, label: label(n) })),
      },
      {
        kind: "curves", file: "proxy.svg", title: "proxy KL_seq(teacher‖student) per epoch (forward KL)", xLabel: "epoch", yLabel: "proxy", logY: true, logX: true,
        series: main.map((n) => ({ metric: `${n}/proxy`, label: label(n) })),
      },
      {
        kind: "curves", file: "ablations.svg", title: "golden per epoch, offline forward KL: prompts × generations", xLabel: "epoch", yLabel: "golden", band: "none",
        series: ablation.map((n) => ({ metric: `${n}/golden`, label: n.split("/")[0].replace("offline-", "") })),
      },
    ];
  },

  best: (metric) => (metric.endsWith("/golden") || metric.endsWith("/proxy") || metric.endsWith("/train_loss") ? "min" : null),
});
