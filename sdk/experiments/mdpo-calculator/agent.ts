// The calculator agent of mdpo-calculator: synthetic demonstrations (with built-in errors),
// batched rollouts of one or two policies against CalculatorEnv, the training sets of an
// iteration (M-DPO pairs, M-KTO labelled trajectories; masked or not), and the held-out
// evaluation (pass@1 sampled and greedy, unbiased pass@k, tool use, copy errors, KL to SFT).
// Xiong et al. 2024 (arXiv:2409.02392), §3–§4, in miniature.
import { Rng } from "../../random/rng.js";
import { LanguageModel } from "../../align/model.js";
import { sample } from "../../align/sample.js";
import type { PreferenceExample, SequenceExample, UnpairedExample, Segment } from "../../align/data.js";
import {
  CALC, CalculatorEnv, calculatorAnswer, calculatorPrompt, calculatorProblemAt, calculatorPolicyMask, type CalculatorProblem,
} from "../../align/envs/calculator.js";
import { isEnvironmentError } from "../../align/envs/environment.js";
import { passAtK } from "../../align/envs/metrics.js";

const opOf = (p: CalculatorProblem, which: 1 | 2) => ((which === 1 ? p.op1 : p.op2) === "+" ? CALC.PLUS : CALC.TIMES);
const applyOp = (u: number, op: number, v: number) => (op === CALC.PLUS ? (u + v) % 10 : (u * v) % 10);

/** A digit other than `d`, uniform over the nine others. */
function otherDigit(d: number, rng: Rng): number {
  const k = rng.below(9);
  return k >= d ? k + 1 : k;
}

/** Kinds of demonstration. */
export type DemoKind = "tool" | "direct" | "copy-error";

/**
 * A synthetic demonstration of problem `p` (the full transcript, prompt first): "tool" — two
 * correct calls and the copied answer; "direct" — `ANS d` with d right with probability
 * `directAccuracy`, else a uniformly wrong digit; "copy-error" — the tool trajectory with one
 * digit miscopied after an observation (into the second call or into the answer, equally
 * likely).
 */
export function demonstration(p: CalculatorProblem, kind: DemoKind, rng: Rng, directAccuracy = 0.5): Int32Array {
  const x = Array.from(calculatorPrompt(p));
  const ans = calculatorAnswer(p);
  if (kind === "direct") {
    const right = rng.uniform(1)[0] < directAccuracy;
    return Int32Array.from([...x, CALC.ANS, right ? ans : otherDigit(ans, rng), CALC.EOS]);
  }
  const w1 = applyOp(p.a, opOf(p, 1), p.b);
  let u2 = w1, miscopyAnswer = false;
  if (kind === "copy-error") {
    if (rng.below(2) === 0) u2 = otherDigit(w1, rng);
    else miscopyAnswer = true;
  }
  const w2 = applyOp(u2, opOf(p, 2), p.c);
  const d = miscopyAnswer ? otherDigit(w2, rng) : w2;
  return Int32Array.from([
    ...x, CALC.CALL, p.a, opOf(p, 1), p.b, CALC.EOS, CALC.OBS, w1, CALC.CALL, u2, opOf(p, 2), p.c, CALC.EOS, CALC.OBS, w2, CALC.ANS, d, CALC.EOS,
  ]);
}

/** `n` demonstrations on problems drawn from `pool` (indices into the 4000 problems): shares
 *  `tool`, `direct`, the rest copy errors. SFT examples with the policy-token mask. */
export function demonstrations(n: number, pool: ArrayLike<number>, shares: { tool: number; direct: number; directAccuracy: number }, rng: Rng): SequenceExample[] {
  const out: SequenceExample[] = [];
  for (let i = 0; i < n; i++) {
    const p = calculatorProblemAt(pool[rng.below(pool.length)]);
    const u = rng.uniform(1)[0];
    const kind: DemoKind = u < shares.tool ? "tool" : u < shares.tool + shares.direct ? "direct" : "copy-error";
    const t = demonstration(p, kind, rng, shares.directAccuracy);
    out.push({ layout: "completion", line: i + 1, ...split(t, calculatorPolicyMask(t)) });
  }
  return out;
}

/** A transcript cut into the prompt segment (never trained) and the rest with `mask`. */
function split(t: Int32Array, mask: Uint8Array): { prompt: Segment; completion: Segment } {
  return {
    prompt: { tokens: t.slice(0, CALC.PROMPT), trained: new Uint8Array(CALC.PROMPT) },
    completion: { tokens: t.slice(CALC.PROMPT), trained: mask.slice(CALC.PROMPT) },
  };
}

/** A finished rollout. */
export interface Rollout {
  /** The problem's index (0 … 3999). */
  problem: number;
  /** Which policy of the call wrote it (0: the first). */
  source: number;
  /** Prompt, turns and observations. */
  transcript: Int32Array;
  /** 1 on the policy's tokens (every sampled token, also of a malformed turn). */
  mask: Uint8Array;
  /** 1 iff the final answer is right. */
  reward: number;
  /** Σ log π(sampled token) under the sampling distribution, over the policy's tokens. */
  logProb: number;
  /** Policy turns. */
  turns: number;
  /** Calls made. */
  calls: number;
  /** Well-formed turns that follow an observation. */
  afterObs: number;
  /** Of those, turns whose copied digit (u of the call, d of the answer) differs from the last
   *  observed w. */
  copyErrors: number;
  /** Whether the episode ended on a malformed turn. */
  malformed: boolean;
}

const CHUNK = 1024;

/**
 * Roll out `policies[j]` `counts[j]` times on each problem (all rollouts batched turn by turn,
 * the tokens drawn from `rng`). Temperature 0 is greedy decoding. Rollouts are returned
 * problem-major, then policy, then sample.
 */
export function rollouts(policies: readonly LanguageModel[], counts: readonly number[], problems: ArrayLike<number>, rng: Rng, temperature = 1): Rollout[] {
  interface Live { r: Rollout; env: CalculatorEnv; seq: number[]; mask: number[]; lastObs: number; live: boolean }
  const all: Live[] = [];
  for (let i = 0; i < problems.length; i++) {
    for (let j = 0; j < policies.length; j++) {
      for (let s = 0; s < counts[j]; s++) {
        const env = new CalculatorEnv();
        const x = env.reset(calculatorProblemAt(problems[i]));
        all.push({
          r: { problem: problems[i], source: j, transcript: x, mask: new Uint8Array(0), reward: 0, logProb: 0, turns: 0, calls: 0, afterObs: 0, copyErrors: 0, malformed: false },
          env, seq: Array.from(x), mask: Array.from(new Uint8Array(x.length)), lastObs: -1, live: true,
        });
      }
    }
  }
  for (let turn = 0; turn < CALC.MAX_TURNS; turn++) {
    for (let j = 0; j < policies.length; j++) {
      const rows = all.filter((l) => l.live && l.r.source === j);
      for (let s = 0; s < rows.length; s += CHUNK) {
        const part = rows.slice(s, s + CHUNK);
        const res = sample(policies[j], part.map((l) => l.seq), { rng, maxNewTokens: 5, eos: CALC.EOS, temperature });
        part.forEach((l, b) => {
          const a = res.completions[b];
          let lp = 0;
          for (const v of res.logProbs[b]) lp += v;
          l.r.logProb += lp;
          l.seq.push(...a);
          for (let t = 0; t < a.length; t++) l.mask.push(1);
          l.r.turns++;
          try {
            const out = l.env.step(a);
            // a well-formed turn: count calls and copies
            if (a[0] === CALC.CALL) l.r.calls++;
            if (l.lastObs >= 0) {
              l.r.afterObs++;
              if (a[1] !== l.lastObs) l.r.copyErrors++;
            }
            if (out.done) {
              l.live = false;
              l.r.reward = out.outcome;
            } else {
              l.seq.push(...out.observation);
              l.mask.push(0, 0);
              l.lastObs = out.observation[1];
            }
          } catch (e) {
            if (!isEnvironmentError(e)) throw e;
            l.live = false;
            l.r.malformed = true;
            l.r.reward = 0;
          }
        });
      }
    }
  }
  return all.map((l) => ({ ...l.r, transcript: Int32Array.from(l.seq), mask: Uint8Array.from(l.mask) }));
}

/** The rollout as a (prompt, completion) pair of segments; `masked` false trains on the
 *  observations too (the "single-turn DPO on the concatenated transcript" ablation). */
export function segmentsOf(r: Rollout, masked: boolean): { prompt: Segment; completion: Segment } {
  const m = masked ? r.mask : Uint8Array.from(r.mask, (_, i) => (i < CALC.PROMPT ? 0 : 1));
  return split(r.transcript, m);
}

/** Per problem: a random correct and a random incorrect rollout (problems where all are right
 *  or all wrong give none). */
export function correctIncorrectPairs(rs: readonly Rollout[], rng: Rng): Array<[Rollout, Rollout]> {
  const by = new Map<number, Rollout[]>();
  for (const r of rs) {
    let g = by.get(r.problem);
    if (!g) by.set(r.problem, (g = []));
    g.push(r);
  }
  const out: Array<[Rollout, Rollout]> = [];
  for (const g of by.values()) {
    const good = g.filter((r) => r.reward > 0.5), bad = g.filter((r) => r.reward <= 0.5);
    if (!good.length || !bad.length) continue;
    out.push([good[rng.below(good.length)], bad[rng.below(bad.length)]]);
  }
  return out;
}

/** M-DPO examples from pairs. */
export function pairExamples(pairs: ReadonlyArray<[Rollout, Rollout]>, masked: boolean): PreferenceExample[] {
  return pairs.map(([w, l], i) => {
    const a = segmentsOf(w, masked), b = segmentsOf(l, masked);
    return { layout: "preference", line: i + 1, prompt: a.prompt, chosen: a.completion, rejected: b.completion };
  });
}

/** M-KTO examples from the same pairs, unpaired (the correct one desirable): balanced labels. */
export function unpairedExamples(pairs: ReadonlyArray<[Rollout, Rollout]>, masked: boolean): UnpairedExample[] {
  const out: UnpairedExample[] = [];
  pairs.forEach(([w, l], i) => {
    for (const [r, label] of [[w, true], [l, false]] as const) {
      const s = segmentsOf(r, masked);
      out.push({ layout: "unpaired", line: 2 * i + (label ? 1 : 2), prompt: s.prompt, completion: s.completion, label });
    }
  });
  return out;
}

/** Held-out metrics of a policy. */
export interface AgentMetrics {
  /** Mean reward of the sampled rollouts (T = 1). */
  pass1: number;
  /** Greedy pass@1. */
  greedy: number;
  /** Unbiased pass@k from `samples` rollouts per problem, k = 1, 4, 16. */
  pass4: number;
  pass16: number;
  /** Share of rollouts with at least one call. */
  toolUse: number;
  /** Copy errors per well-formed turn that follows an observation. */
  copyError: number;
  /** Share of rollouts that ended on a malformed turn. */
  malformed: number;
  /** KL(π‖π_SFT) per trajectory: mean over the sampled rollouts of Σ (log π − log π_SFT) over
   *  the policy's tokens. */
  klSft: number;
}

/** Evaluate `model` on the held-out problems: `samples` rollouts each at T = 1, one greedy. */
export function evaluateAgent(model: LanguageModel, sft: LanguageModel, heldout: ArrayLike<number>, samples: number, rng: Rng): AgentMetrics {
  const rs = rollouts([model], [samples], heldout, rng, 1);
  const gs = rollouts([model], [1], heldout, rng, 0);
  let ok = 0, tool = 0, after = 0, copy = 0, bad = 0, p4 = 0, p16 = 0;
  for (const r of rs) {
    ok += r.reward;
    tool += r.calls > 0 ? 1 : 0;
    after += r.afterObs;
    copy += r.copyErrors;
    bad += r.malformed ? 1 : 0;
  }
  for (let i = 0; i < heldout.length; i++) {
    let c = 0;
    for (let s = 0; s < samples; s++) c += rs[i * samples + s].reward;
    p4 += passAtK(samples, c, Math.min(4, samples));
    p16 += passAtK(samples, c, Math.min(16, samples));
  }
  let greedy = 0;
  for (const g of gs) greedy += g.reward;
  return {
    pass1: ok / rs.length, greedy: greedy / gs.length, pass4: p4 / heldout.length, pass16: p16 / heldout.length,
    toolUse: tool / rs.length, copyError: after > 0 ? copy / after : 0, malformed: bad / rs.length,
    klSft: model === sft ? 0 : klTo(rs, sft),
  };
}

/** Mean over rollouts of Σ_policy tokens (log π − log π_ref), with log π from the sampler. */
function klTo(rs: readonly Rollout[], ref: LanguageModel): number {
  let total = 0;
  for (let s = 0; s < rs.length; s += CHUNK) {
    const part = rs.slice(s, s + CHUNK);
    const T = Math.max(...part.map((r) => r.transcript.length)) - 1;
    const inputs = part.map((r) => padTo(r.transcript.subarray(0, r.transcript.length - 1), T));
    const targets = part.map((r) => padTo(r.transcript.subarray(1), T));
    const mask = part.map((r) => padTo(r.mask.subarray(1), T, 0));
    const { sums } = ref.logProbs({ inputs, targets, mask });
    part.forEach((r, b) => (total += r.logProb - sums[b]));
  }
  return total / rs.length;
}

function padTo(a: ArrayLike<number>, T: number, fill: number = CALC.PAD): Int32Array {
  const out = new Int32Array(T).fill(fill);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}
