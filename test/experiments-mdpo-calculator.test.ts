// mdpo-calculator and its environment: CalculatorEnv (episodes by hand, determinism for a seed,
// typed errors for malformed turns, the policy-token mask), the masks of M-DPO end to end (the
// parameter gradient does not depend on the observation tokens' log-probabilities; the loss on a
// calculator pair is the §-4.5-style masked DPO value, and the one the trainer computes), pass@k
// against its closed form and against enumeration, the demonstrations' mixture, and the smoke
// preset (structure, and the direction of the primary contrast on the test's fixed seeds).
import { describe, it, expect, beforeAll } from "vitest";
import { init, Rng, ValueError } from "../sdk/index.js";
import { LanguageModel } from "../sdk/align/model.js";
import { pairLossTokens } from "../sdk/align/losses.js";
import { PreferenceTrainer } from "../sdk/align/trainers/preference.js";
import { SftTrainer } from "../sdk/align/trainers/sft.js";
import { MultiTurnTrainer } from "../sdk/align/trainers/multiturn.js";
import {
  CalculatorEnv, CALC, CALCULATOR_PROBLEMS, calculatorAnswer, calculatorProblemAt, calculatorProblemFromSeed, calculatorPolicyMask,
  parseCalculatorTurn, EnvironmentError, isEnvironmentError, passAtK, trainerEnvironment, calculatorPrompt,
} from "../sdk/align/index.js";
import { runExperiment, EXPERIMENTS, mdpoCalculator } from "../sdk/experiments/index.js";
import { demonstration, demonstrations, rollouts, segmentsOf, pairExamples, type Rollout } from "../sdk/experiments/mdpo-calculator/agent.js";

beforeAll(async () => {
  await init();
});

const { PLUS, TIMES, CALL, OBS, ANS, EOS } = CALC;

describe("CalculatorEnv", () => {
  it("plays the correct two-call episode: observations w = u op v mod 10, reward 1 for the right answer", () => {
    const env = new CalculatorEnv();
    const p = { a: 7, op1: "×" as const, b: 8, op2: "+" as const, c: 9 };
    expect(Array.from(env.reset(p))).toEqual([7, TIMES, 8, PLUS, 9]);
    expect(calculatorAnswer(p)).toBe(5); // 56 mod 10 = 6, 6 + 9 = 15 → 5
    const s1 = env.step([CALL, 7, TIMES, 8, EOS]);
    expect(s1).toEqual({ done: false, observation: Int32Array.of(OBS, 6) });
    const s2 = env.step([CALL, 6, PLUS, 9, EOS]);
    expect(s2).toEqual({ done: false, observation: Int32Array.of(OBS, 5) });
    expect(env.step([ANS, 5, EOS])).toEqual({ done: true, outcome: 1 });
    expect(Array.from(env.transcript())).toEqual([7, TIMES, 8, PLUS, 9, CALL, 7, TIMES, 8, EOS, OBS, 6, CALL, 6, PLUS, 9, EOS, OBS, 5, ANS, 5, EOS]);
    expect(Array.from(env.policyMask())).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1]);
    expect(env.transcript().length).toBe(22);
  });

  it("a wrong answer scores 0; a third call ends the episode unanswered with 0", () => {
    const env = new CalculatorEnv();
    env.reset({ a: 1, op1: "+", b: 2, op2: "+", c: 3 });
    expect(env.step([ANS, 5, EOS])).toEqual({ done: true, outcome: 0 });
    env.reset({ a: 1, op1: "+", b: 2, op2: "+", c: 3 });
    env.step([CALL, 1, PLUS, 2, EOS]);
    env.step([CALL, 3, PLUS, 3, EOS]);
    expect(env.step([CALL, 6, PLUS, 0, EOS])).toEqual({ done: true, outcome: 0 });
    // maxTurns 1: the first turn must answer
    const short = new CalculatorEnv({ maxTurns: 1 });
    short.reset({ a: 1, op1: "+", b: 2, op2: "+", c: 3 });
    expect(short.step([CALL, 1, PLUS, 2, EOS])).toEqual({ done: true, outcome: 0 });
  });

  it("is deterministic for a seed: same problem, same observations, same outcome", () => {
    const play = (seed: number) => {
      const env = new CalculatorEnv();
      const x = Array.from(env.reset(seed));
      const o1 = env.step([CALL, x[0], x[1], x[2], EOS]);
      const w = (o1 as { observation: Int32Array }).observation[1];
      const o2 = env.step([CALL, w, x[3], x[4], EOS]);
      const w2 = (o2 as { observation: Int32Array }).observation[1];
      return [x, w, w2, env.step([ANS, w2, EOS])];
    };
    for (const s of [0, 1, 17, 2 ** 31, 2 ** 32 - 1]) {
      expect(play(s)).toEqual(play(s));
      expect(play(s)[3]).toEqual({ done: true, outcome: 1 }); // the correct tool use always wins
    }
    expect(calculatorProblemFromSeed(5)).toEqual(calculatorProblemFromSeed(5));
    // seeds spread over the problems
    const seen = new Set(Array.from({ length: 400 }, (_, s) => JSON.stringify(calculatorProblemFromSeed(s))));
    expect(seen.size).toBeGreaterThan(300);
  });

  it("indexes all 4000 problems once, and its answer is the left-to-right value mod 10", () => {
    const all = new Set<string>();
    for (let i = 0; i < CALCULATOR_PROBLEMS; i++) {
      const p = calculatorProblemAt(i);
      all.add(JSON.stringify(p));
      const f = (u: number, op: string, v: number) => (op === "+" ? u + v : u * v);
      expect(calculatorAnswer(p)).toBe(f(f(p.a, p.op1, p.b), p.op2, p.c) % 10);
    }
    expect(all.size).toBe(CALCULATOR_PROBLEMS);
    expect(() => calculatorProblemAt(CALCULATOR_PROBLEMS)).toThrow(ValueError);
  });

  it("rejects malformed turns with EnvironmentError code malformed-turn (and keeps the episode)", () => {
    const env = new CalculatorEnv();
    env.reset(3);
    const bad: number[][] = [
      [], [EOS], [ANS, 3], [ANS, 3, 4, EOS], [ANS, PLUS, EOS], [ANS, 3, OBS], [CALL, 1, PLUS, 2], [CALL, 1, 2, 3, EOS], [CALL, PLUS, PLUS, 2, EOS],
      [CALL, 1, PLUS, 2, 3, EOS], [OBS, 3], [CALL, 1, PLUS, 12, EOS], [ANS, 10, EOS], [ANS, 1.5, EOS],
    ];
    for (const t of bad) {
      let err: unknown = null;
      try {
        env.step(t);
      } catch (e) {
        err = e;
      }
      expect(err, `turn [${t}]`).toBeInstanceOf(EnvironmentError);
      expect(err).toBeInstanceOf(ValueError);
      expect((err as EnvironmentError).name).toBe("EnvironmentError");
      expect((err as EnvironmentError).code).toBe("malformed-turn");
      expect(Array.from((err as EnvironmentError).turn!)).toEqual(t.map((v) => Math.trunc(v)));
      expect(isEnvironmentError(err)).toBe(true);
    }
    expect(() => parseCalculatorTurn([ANS, 3, 4])).toThrow(/must end with EOS/);
    // the episode is still running after refused turns
    expect(env.step([ANS, 0, EOS]).done).toBe(true);
  });

  it("refuses step before reset or after the end (no-episode), bad contexts (bad-context) and unknown options", () => {
    const env = new CalculatorEnv();
    expect(() => env.step([ANS, 1, EOS])).toThrow(expect.objectContaining({ code: "no-episode" }));
    env.reset(1);
    env.step([ANS, 1, EOS]);
    expect(() => env.step([ANS, 1, EOS])).toThrow(expect.objectContaining({ code: "no-episode" }));
    expect(() => env.reset({ a: 10, op1: "+", b: 1, op2: "+", c: 1 })).toThrow(expect.objectContaining({ code: "bad-context" }));
    expect(() => env.reset({ a: 1, op1: "-" as never, b: 1, op2: "+", c: 1 })).toThrow(expect.objectContaining({ code: "bad-context" }));
    expect(() => env.reset(-1)).toThrow(ValueError);
    expect(() => new CalculatorEnv({ maxTurn: 3 } as never)).toThrow(/did you mean "maxTurns"/);
  });

  it("the policy-token mask keeps the turns and drops the prompt and every OBS w", () => {
    expect(Array.from(calculatorPolicyMask([1, PLUS, 2, TIMES, 3, ANS, 9, EOS]))).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    expect(Array.from(calculatorPolicyMask([1, PLUS, 2, TIMES, 3, CALL, 1, PLUS, 2, EOS, OBS, 3, ANS, 9, EOS]))).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1]);
  });

  it("adapts to the MultiTurnTrainer's environment function (one episode per prompt and rollout; malformed → reward 0)", async () => {
    const f = trainerEnvironment(() => new CalculatorEnv(), (i) => calculatorProblemAt(i));
    const p = calculatorProblemAt(123); // a=3, b=2, c=1, "+", "+": answer 6
    expect(calculatorAnswer(p)).toBe(6);
    const ctx = (rollout: number, turn: number, action: number[]) => ({ promptIndex: 123, rollout, prompt: Int32Array.of(), turn, action: Int32Array.from(action), transcript: Int32Array.of() });
    expect(await f(ctx(0, 0, [CALL, 3, PLUS, 2, EOS]))).toEqual({ observation: Int32Array.of(OBS, 5) });
    expect(await f(ctx(1, 0, [ANS, 6, EOS]))).toEqual({ done: true, reward: 1 });
    expect(await f(ctx(0, 1, [ANS, 5, EOS]))).toEqual({ done: true, reward: 0 });
    expect(await f(ctx(2, 0, [CALL, EOS]))).toEqual({ done: true, reward: 0 });
  });
});

describe("pass@k", () => {
  const binom = (n: number, k: number): bigint => {
    if (k < 0 || k > n) return 0n;
    let r = 1n;
    for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
    return r;
  };
  it("equals the closed form 1 − C(n − c, k)/C(n, k) (exact rationals) for every c, k ≤ n ≤ 40", () => {
    let worst = 0;
    for (let n = 1; n <= 40; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) {
          const num = binom(n - c, k), den = binom(n, k);
          // 1 − num/den to ~1e-15 with BigInt scaling
          const exact = 1 - Number((num * 10n ** 18n) / den) / 1e18;
          worst = Math.max(worst, Math.abs(passAtK(n, c, k) - exact));
        }
      }
    }
    expect(worst).toBeLessThan(1e-12);
  });
  it("is the share of k-subsets holding a correct sample (enumeration, n = 8)", () => {
    const n = 8;
    for (let c = 0; c <= n; c++) {
      for (let k = 1; k <= n; k++) {
        let hit = 0, all = 0;
        for (let m = 0; m < 1 << n; m++) {
          let bits = 0;
          for (let i = 0; i < n; i++) bits += (m >> i) & 1;
          if (bits !== k) continue;
          all++;
          if (m & ((1 << c) - 1)) hit++; // samples 0 … c − 1 are the correct ones
        }
        expect(Math.abs(passAtK(n, c, k) - hit / all)).toBeLessThan(1e-14);
      }
    }
  });
  it("special cases and bad input", () => {
    expect(passAtK(32, 0, 16)).toBe(0);
    expect(passAtK(32, 20, 16)).toBe(1);
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 15);
    expect(passAtK(4, 1, 2)).toBeCloseTo(0.5, 15);
    expect(() => passAtK(4, 5, 1)).toThrow(ValueError);
    expect(() => passAtK(4, 1, 5)).toThrow(ValueError);
    expect(() => passAtK(4, 1, 0)).toThrow(ValueError);
    expect(() => passAtK(4, -1, 1)).toThrow(ValueError);
  });
});

describe("M-DPO masks on calculator transcripts", () => {
  const model = () => LanguageModel.create({ kind: "full-context-mlp", vocab: CALC.VOCAB, context: CALC.MAX_LENGTH, width: 8, hidden: 16, pad: CALC.PAD }, { seed: 3 });
  let winner: Int32Array, loser: Int32Array;
  beforeAll(() => {
    const rng = new Rng(1, 1);
    winner = demonstration(calculatorProblemAt(1234), "tool", rng);
    rng.dispose();
    const t = Array.from(winner);
    t[13] = (t[13] + 1) % 10; // miscopy the observed w into the second call
    t[18] = (t[18] + 3) % 10; // so the environment's second observation differs too
    t[20] = t[18]; // and the (copied) answer is wrong
    loser = Int32Array.from(t);
  });
  const mask = (t: Int32Array) => calculatorPolicyMask(t);
  const obsPositions = (t: Int32Array) => Array.from(t.keys()).filter((i) => i >= CALC.PROMPT && !mask(t)[i]);

  it("the policy-token mask of a tool transcript has 13 policy tokens and 4 observation tokens", () => {
    expect(winner.length).toBe(22);
    expect(mask(winner).reduce((a, b) => a + b, 0)).toBe(13);
    expect(obsPositions(winner)).toEqual([10, 11, 17, 18]);
  });

  it("∂L/∂ℓ is exactly 0 on observation tokens, and the parameter gradient does not depend on their log-probabilities", () => {
    const pol = model(), ref = model();
    ref.setParameters(pol.getParameters().map((v, i) => v + 0.01 * Math.sin(i)));
    const T = 21;
    const io = (t: Int32Array) => ({ inputs: [t.subarray(0, T)], targets: [t.subarray(1)] });
    const m = (t: Int32Array) => mask(t).subarray(1);
    const lp = (mdl: LanguageModel, t: Int32Array) => Array.from(mdl.logProbs(io(t)).tokens);
    const gradFor = (targetsOf: (t: Int32Array) => Int32Array, masked: boolean) => {
      const maskOf = (t: Int32Array) => (masked ? m(t) : Uint8Array.from(m(t), (_, i) => (i + 1 >= CALC.PROMPT ? 1 : 0)));
      const r = pairLossTokens("sigmoid", {
        chosen: { logps: lp(pol, winner), refLogps: lp(ref, winner), mask: maskOf(winner), cols: T },
        rejected: { logps: lp(pol, loser), refLogps: lp(ref, loser), mask: maskOf(loser), cols: T },
      }, { beta: 0.1 });
      pol.zeroGrad();
      for (const [t, d] of [[winner, r.dChosen], [loser, r.dRejected]] as const) {
        pol.logProbs({ inputs: [t.subarray(0, T)], targets: [targetsOf(t)] });
        pol.backward({ dlogp: d });
      }
      return { r, g: pol.getGradients() };
    };
    const same = (t: Int32Array) => t.slice(1);
    // the targets at the observation positions replaced by other tokens
    const scrambled = (t: Int32Array) => {
      const y = t.slice(1);
      for (const i of obsPositions(t)) y[i - 1] = (y[i - 1] + 7) % CALC.VOCAB;
      return y;
    };
    const a = gradFor(same, true), b = gradFor(scrambled, true);
    for (const i of obsPositions(winner)) expect(a.r.dChosen[i - 1]).toBe(0);
    for (const i of obsPositions(loser)) expect(a.r.dRejected[i - 1]).toBe(0);
    const policyTok = Array.from(mask(winner).subarray(1)).map((v, i) => (v ? i : -1)).filter((i) => i >= 0);
    for (const i of policyTok) expect(a.r.dChosen[i]).not.toBe(0);
    expect(Array.from(b.g)).toEqual(Array.from(a.g)); // bit for bit
    expect(a.g.some((v) => v !== 0)).toBe(true);
    // unmasked: the observation tokens enter the sums and the gradient depends on them
    const c = gradFor(same, false), d = gradFor(scrambled, false);
    for (const i of obsPositions(winner)) expect(c.r.dChosen[i - 1]).not.toBe(0);
    expect(Array.from(d.g)).not.toEqual(Array.from(c.g));
    pol.dispose();
    ref.dispose();
  });

  it("the masked loss is the M-DPO value of the spec test vector (masked ρ 0.4 vs loser −0.6 → 0.6443966601) and observations would change it", () => {
    // The test vector's layout [P, P, A, A, O, O, A] with its log-probabilities.
    const layout = [0, 0, 1, 1, 0, 0, 1];
    const pol = [-1, -2, -0.5, -0.7, -3, -4, -0.2], ref = [-1.1, -1.9, -0.6, -0.9, -2.0, -4.5, -0.3];
    const lpol = [-1, -2, -0.9, -0.8, -3, -4, -0.6], lref = [-1, -2, -0.6, -0.7, -3, -4, -0.4];
    const r = pairLossTokens("sigmoid", { chosen: { logps: pol, refLogps: ref, mask: layout, cols: 7 }, rejected: { logps: lpol, refLogps: lref, mask: layout, cols: 7 } }, { beta: 0.1 });
    expect(Math.abs(r.loss - 0.6443966601)).toBeLessThan(1e-10);
    for (let t = 0; t < 7; t++) {
      expect(Math.abs(r.dChosen[t] - (layout[t] ? -0.0475020813 : 0))).toBeLessThan(1e-10);
      expect(Math.abs(r.dRejected[t] - (layout[t] ? 0.0475020813 : 0))).toBeLessThan(1e-10);
    }
    const all = [0, 0, 1, 1, 1, 1, 1];
    const u = pairLossTokens("sigmoid", { chosen: { logps: pol, refLogps: ref, mask: all, cols: 7 }, rejected: { logps: lpol, refLogps: lref, mask: all, cols: 7 } }, { beta: 0.1 });
    expect(Math.abs(u.loss - r.loss)).toBeGreaterThan(1e-3); // winner ρ −0.1 instead of 0.4
  });

  it("the experiment's M-DPO examples carry exactly that mask, and the trainer's loss is the masked DPO loss", async () => {
    const rw: Rollout = { problem: 1234, source: 0, transcript: winner, mask: mask(winner), reward: 1, logProb: 0, turns: 3, calls: 2, afterObs: 2, copyErrors: 0, malformed: false };
    const rl: Rollout = { ...rw, transcript: loser, mask: mask(loser), reward: 0, copyErrors: 1 };
    const s = segmentsOf(rw, true), su = segmentsOf(rw, false);
    expect(Array.from(s.prompt.trained)).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(s.completion.trained)).toEqual(Array.from(mask(winner).subarray(5)));
    expect(Array.from(su.completion.trained).every((v) => v === 1)).toBe(true);
    const pol = model(), ref = model();
    ref.setParameters(pol.getParameters().map((v, i) => v - 0.02 * Math.cos(i)));
    const T = 21;
    const lp = (mdl: LanguageModel, t: Int32Array, m: Uint8Array) => mdl.logProbs({ inputs: [t.subarray(0, T)], targets: [t.subarray(1)], mask: [m.subarray(1)] }).sums[0];
    for (const masked of [true, false]) {
      const mk = (t: Int32Array) => (masked ? mask(t) : Uint8Array.from(t, (_, i) => (i >= 5 ? 1 : 0)));
      const h = 0.1 * (lp(pol, winner, mk(winner)) - lp(ref, winner, mk(winner)) - lp(pol, loser, mk(loser)) + lp(ref, loser, mk(loser)));
      const want = Math.log1p(Math.exp(-h));
      let got = NaN;
      const t = new PreferenceTrainer(pol, {
        data: pairExamples([[rw, rl]], masked), loss: "sigmoid", beta: 0.1, batchSize: 1, epochs: 1, maxSteps: 1, optimizer: { lr: 1e-12 },
        reference: { mode: "frozen", model: ref }, onMetrics: (row) => (got = row.loss),
      });
      await t.train();
      t.dispose();
      expect(Math.abs(got - want)).toBeLessThan(1e-5);
    }
    pol.dispose();
    ref.dispose();
  });
});

describe("demonstrations and rollouts", () => {
  it("mixes correct tool use, direct guesses and copy errors in the configured shares", () => {
    const rng = new Rng(7, 1);
    const pool = Int32Array.from({ length: 4000 }, (_, i) => i);
    const ds = demonstrations(3000, pool, { tool: 0.5, direct: 0.3, directAccuracy: 0.5 }, rng);
    rng.dispose();
    let tool = 0, direct = 0, directRight = 0, right = 0;
    for (const d of ds) {
      const t = Int32Array.from([...d.prompt.tokens, ...d.completion.tokens]);
      const env = new CalculatorEnv();
      env.reset({ a: t[0], op1: t[1] === PLUS ? "+" : "×", b: t[2], op2: t[3] === PLUS ? "+" : "×", c: t[4] });
      let k = 5, out: ReturnType<CalculatorEnv["step"]> | null = null;
      while (k < t.length) {
        const len = t[k] === ANS ? 3 : 5;
        out = env.step(t.subarray(k, k + len)); // every demonstration is well formed
        k += len;
        if (!out.done) {
          expect(Array.from(t.subarray(k, k + 2))).toEqual(Array.from(out.observation)); // observations are the environment's
          k += 2;
        }
      }
      expect(out!.done).toBe(true);
      const ok = (out as { outcome: number }).outcome;
      right += ok;
      if (t.length === 8) {
        direct++;
        directRight += ok;
      } else if (ok) tool++;
      expect(Array.from(d.completion.trained)).toEqual(Array.from(calculatorPolicyMask(t).subarray(5)));
    }
    expect(direct / ds.length).toBeGreaterThan(0.26);
    expect(direct / ds.length).toBeLessThan(0.34);
    expect(directRight / direct).toBeGreaterThan(0.44);
    expect(directRight / direct).toBeLessThan(0.56);
    expect(tool / ds.length).toBeGreaterThan(0.46); // the correct tool trajectories (copy errors are all wrong)
    expect(tool / ds.length).toBeLessThan(0.54);
    expect(right / ds.length).toBeGreaterThan(0.6);
    expect(right / ds.length).toBeLessThan(0.7);
  });

  it("rollouts are reproducible from the generator state, and their rewards are the environment's", () => {
    const m = LanguageModel.create({ kind: "full-context-mlp", vocab: CALC.VOCAB, context: CALC.MAX_LENGTH, width: 8, hidden: 16, pad: CALC.PAD }, { seed: 2 });
    const go = () => {
      const rng = new Rng(9, 3);
      const r = rollouts([m], [4], [1, 2, 3], rng, 1);
      rng.dispose();
      return r;
    };
    const a = go(), b = go();
    expect(a.map((r) => Array.from(r.transcript))).toEqual(b.map((r) => Array.from(r.transcript)));
    expect(a.length).toBe(12);
    for (const r of a) {
      expect(r.transcript.length).toBe(r.mask.length);
      expect(Array.from(r.mask.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
      // the zeros after the prompt are the environment's (OBS w) pairs, each after a well-formed call
      for (let i = 5; i < r.transcript.length; i++) {
        if (r.mask[i] === 0) {
          expect(r.transcript[i]).toBe(OBS);
          expect(r.mask[i + 1]).toBe(0);
          expect(parseCalculatorTurn(r.transcript.subarray(i - 5, i)).kind).toBe("call");
          i++;
        }
      }
      expect(r.reward === 0 || r.reward === 1).toBe(true);
      if (r.reward === 1) expect(r.transcript[r.transcript.length - 2]).toBe(calculatorAnswer(calculatorProblemAt(r.problem)));
    }
    m.dispose();
  });
});

describe("CalculatorEnv with the MultiTurnTrainer", () => {
  it("trainerEnvironment drives the trainer's rollouts: observations masked, rewards the environment's", async () => {
    const model = LanguageModel.create({ kind: "full-context-mlp", vocab: CALC.VOCAB, context: CALC.MAX_LENGTH, width: 8, hidden: 32, pad: CALC.PAD }, { seed: 4 });
    const rng = new Rng(4, 1);
    const pool = Int32Array.from({ length: 4000 }, (_, i) => i);
    const demos = demonstrations(400, pool, { tool: 0.5, direct: 0.3, directAccuracy: 0.5 }, rng);
    rng.dispose();
    const sft = new SftTrainer(model, { data: demos, batchSize: 32, epochs: 2, seed: 1, optimizer: { lr: 1e-2 } });
    await sft.train();
    sft.dispose();
    const problems = [11, 222, 3333, 1234, 42, 777];
    const prompts = problems.map((i) => Array.from(calculatorPrompt(calculatorProblemAt(i))));
    const trainer = new MultiTurnTrainer(model, {
      prompts, env: trainerEnvironment(() => new CalculatorEnv(), (i) => calculatorProblemAt(problems[i])), eos: EOS, samples: 4, maxTurns: 3,
      maxTurnTokens: 5, iterations: 1, epochs: 1, batchSize: 4, loss: "sigmoid", beta: 0.1, optimizer: { lr: 1e-4 }, seed: 2, shuffle: false,
    });
    const rs = await trainer.rollout([0, 1, 2, 3, 4, 5]);
    expect(rs.length).toBe(24);
    let calls = 0;
    for (const t of rs) {
      const full = Int32Array.from([...t.prompt, ...t.tokens]);
      // replay the transcript through a fresh environment: same observations, same reward
      const env = new CalculatorEnv();
      env.reset(calculatorProblemAt(problems[t.promptIndex]));
      let k = CALC.PROMPT, reward = 0;
      for (let turn = 0; turn < t.turns; turn++) {
        let e = k;
        while (e < full.length && t.trained[e - CALC.PROMPT] === 1) e++;
        const action = full.subarray(k, e);
        k = e;
        let out;
        try {
          out = env.step(action);
        } catch (err) {
          expect(isEnvironmentError(err)).toBe(true);
          break;
        }
        if (out.done) {
          reward = out.outcome;
          break;
        }
        calls++;
        expect(Array.from(full.subarray(k, k + 2))).toEqual(Array.from(out.observation));
        expect(Array.from(t.trained.subarray(k - CALC.PROMPT, k - CALC.PROMPT + 2))).toEqual([0, 0]);
        k += 2;
      }
      expect(t.reward).toBe(reward);
    }
    expect(calls).toBeGreaterThan(0); // the SFT start does call the tool
    trainer.dispose();
    model.dispose();
  });
});

describe("the mdpo-calculator experiment", () => {
  it("is registered, with smoke and full presets", () => {
    expect(EXPERIMENTS["mdpo-calculator"]).toBe(mdpoCalculator);
    expect(mdpoCalculator.presets.full.arms).toEqual(["mdpo", "unmasked", "fixed-ref", "offline", "mkto"]);
    expect(() => mdpoCalculator.check!({ ...mdpoCalculator.presets.smoke, arms: ["unmasked"] })).toThrow(/must include "mdpo"/);
    expect(() => mdpoCalculator.check!({ ...mdpoCalculator.presets.smoke, arms: ["mdpo", "dpo"] })).toThrow(/unknown arm/);
    expect(() => mdpoCalculator.check!({ ...mdpoCalculator.presets.smoke, evalSamples: 8 })).toThrow(ValueError);
  });

  it("smoke: masked iterative M-DPO raises pass@1 over SFT on every fixed seed, masking does not hurt; curves per iteration", async () => {
    const run = await runExperiment("mdpo-calculator", { preset: "smoke", seeds: [1, 2], workers: 0 });
    const byName = Object.fromEntries(run.contrasts.map((c) => [c.name, c]));
    expect(byName.pass1_gain_over_sft.values.every((v) => v > 0)).toBe(true);
    expect(byName.masked_minus_unmasked.values.every((v) => v >= 0)).toBe(true);
    const r = run.results[0];
    expect(r.curves.map((c) => c.step)).toEqual([0, 1, 2]);
    for (const row of r.curves) for (const a of ["mdpo", "unmasked"]) for (const m of ["pass1", "greedy", "pass4", "pass16", "tool_use", "copy_error", "kl_sft"]) expect(Number.isFinite(row[`${a}/${m}`])).toBe(true);
    // pass@k is non-decreasing in k; KL to SFT is 0 at SFT and positive after training
    for (const row of r.curves) expect(row["mdpo/pass1"] <= row["mdpo/pass4"] && row["mdpo/pass4"] <= row["mdpo/pass16"]).toBe(true);
    expect(r.curves[0]["mdpo/kl_sft"]).toBe(0);
    expect(r.curves[2]["mdpo/kl_sft"]).toBeGreaterThan(0);
    expect(r.tokenUpdates).toBeGreaterThan(0);
    // iteration 1 samples the SFT policy in both arms from the same stream: the same rollouts,
    // so the same share of correct rollouts
    expect(r.curves[1]["unmasked/rollout_correct"]).toBe(r.curves[1]["mdpo/rollout_correct"]);
  }, 180_000);
});
