// The calculator-tool arithmetic world: a toy version of the tool-integrated math agents of
// Xiong et al. 2024 (Building Math Agents with Multi-Turn Iterative Preference Learning,
// arXiv:2409.02392), where the policy interleaves its own turns with the output of a tool it
// calls, and the reward is the correctness of the final answer only.
//
// Problem: `a op1 b op2 c` with digits 0–9 and op ∈ {+, ×}, evaluated left to right modulo 10:
// answer = ((a op1 b) mod 10 op2 c) mod 10. The policy's turns are `ANS d EOS` (answer d; the
// episode ends) or `CALL u op v EOS` (the environment appends `OBS w`, w = u op v mod 10); at
// most three policy turns (a third turn that is a call ends the episode unanswered, outcome 0).
// The correct tool use is two calls (`CALL a op1 b`, `CALL w op2 c`) and the answer `ANS w'`,
// copying each observed w; 24 tokens at most.
import { checkOptions } from "../../core/options.js";
import { integer } from "../../core/validate.js";
import { EnvironmentError, type Environment, type EnvTransition } from "./environment.js";

/** The calculator world's token ids: digits 0–9 are their own ids. */
export const CALC = Object.freeze({
  /** The operator +. */
  PLUS: 10,
  /** The operator ×. */
  TIMES: 11,
  /** A call of the calculator: `CALL u op v EOS`. */
  CALL: 12,
  /** The calculator's answer: `OBS w` (the environment's tokens). */
  OBS: 13,
  /** The final answer: `ANS d EOS`. */
  ANS: 14,
  /** End of a policy turn. */
  EOS: 15,
  /** Padding. */
  PAD: 16,
  /** Vocabulary size. */
  VOCAB: 17,
  /** Prompt length (a op1 b op2 c). */
  PROMPT: 5,
  /** Most policy turns. */
  MAX_TURNS: 3,
  /** Longest transcript: prompt, two calls with their observations, an answer. */
  MAX_LENGTH: 24,
});

/** A problem `a op1 b op2 c` (ops as "+" or "×"). */
export interface CalculatorProblem {
  /** First digit. */
  a: number;
  /** First operator. */
  op1: "+" | "×";
  /** Second digit. */
  b: number;
  /** Second operator. */
  op2: "+" | "×";
  /** Third digit. */
  c: number;
}

const opId = (op: "+" | "×") => (op === "+" ? CALC.PLUS : CALC.TIMES);
const apply = (u: number, op: number, v: number) => (op === CALC.PLUS ? (u + v) % 10 : (u * v) % 10);
const isDigit = (t: number) => Number.isInteger(t) && t >= 0 && t <= 9;
const isOp = (t: number) => t === CALC.PLUS || t === CALC.TIMES;

/** The answer of a problem: ((a op1 b) mod 10 op2 c) mod 10. */
export function calculatorAnswer(p: CalculatorProblem): number {
  return apply(apply(p.a, opId(p.op1), p.b), opId(p.op2), p.c);
}

/** The prompt tokens of a problem. */
export function calculatorPrompt(p: CalculatorProblem): Int32Array {
  return Int32Array.of(p.a, opId(p.op1), p.b, opId(p.op2), p.c);
}

/** The problem with index i ∈ [0, 4000): a, b, c, op1, op2 in mixed radix. */
export function calculatorProblemAt(i: number): CalculatorProblem {
  integer(i, "problem index", 0, CALCULATOR_PROBLEMS - 1);
  const a = i % 10, b = Math.floor(i / 10) % 10, c = Math.floor(i / 100) % 10;
  const o1 = Math.floor(i / 1000) % 2, o2 = Math.floor(i / 2000) % 2;
  return { a, op1: o1 ? "×" : "+", b, op2: o2 ? "×" : "+", c };
}

/** Number of distinct problems (10 · 2 · 10 · 2 · 10). */
export const CALCULATOR_PROBLEMS = 4000;

/** A seed's problem: a fixed integer hash of the seed (splitmix32), so that the same seed gives
 *  the same problem in every runtime, with no generator state. */
export function calculatorProblemFromSeed(seed: number): CalculatorProblem {
  integer(seed, "seed", 0, 2 ** 32 - 1);
  let z = (seed + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return calculatorProblemAt((z >>> 0) % CALCULATOR_PROBLEMS);
}

function checkProblem(p: CalculatorProblem): CalculatorProblem {
  if (!p || typeof p !== "object") throw new EnvironmentError("bad-context", `CalculatorEnv.reset: expected a problem { a, op1, b, op2, c } or a seed, got ${p === null ? "null" : typeof p}`);
  for (const k of ["a", "b", "c"] as const) if (!isDigit(p[k])) throw new EnvironmentError("bad-context", `CalculatorEnv.reset: ${k} must be a digit 0–9, got ${String(p[k])}`);
  for (const k of ["op1", "op2"] as const) if (p[k] !== "+" && p[k] !== "×") throw new EnvironmentError("bad-context", `CalculatorEnv.reset: ${k} must be "+" or "×", got ${JSON.stringify(p[k])}`);
  return { a: p.a, op1: p.op1, b: p.b, op2: p.op2, c: p.c };
}

/** What a parsed policy turn is. */
export type CalculatorTurn =
  | {
      /** An answer. */
      kind: "ans";
      /** The digit answered. */
      d: number;
    }
  | {
      /** A call. */
      kind: "call";
      /** First operand. */
      u: number;
      /** The operator's token (CALC.PLUS or CALC.TIMES). */
      op: number;
      /** Second operand. */
      v: number;
    };

/** Parse a policy turn (`ANS d EOS` or `CALL u op v EOS`); throws EnvironmentError
 *  ("malformed-turn") naming what is wrong. */
export function parseCalculatorTurn(turn: ArrayLike<number>): CalculatorTurn {
  const t = Array.from(turn ?? []);
  const bad = (why: string): never => {
    throw new EnvironmentError("malformed-turn", `CalculatorEnv: malformed turn [${t.join(", ")}]: ${why}`, t);
  };
  if (t.length === 0) bad("it is empty");
  if (t[0] === CALC.ANS) {
    if (t.length !== 3) bad("an answer is ANS d EOS (3 tokens)");
    if (!isDigit(t[1])) bad("the answer must be a digit");
    if (t[2] !== CALC.EOS) bad("the turn must end with EOS");
    return { kind: "ans", d: t[1] };
  }
  if (t[0] === CALC.CALL) {
    if (t.length !== 5) bad("a call is CALL u op v EOS (5 tokens)");
    if (!isDigit(t[1]) || !isDigit(t[3])) bad("the operands must be digits");
    if (!isOp(t[2])) bad("the operator must be + or ×");
    if (t[4] !== CALC.EOS) bad("the turn must end with EOS");
    return { kind: "call", u: t[1], op: t[2], v: t[3] };
  }
  return bad("a turn starts with ANS or CALL");
}

/** 1 on the policy's tokens, 0 on the prompt and on every observation (`OBS w`) of a
 *  calculator transcript (prompt included): the mask of M-DPO / M-KTO (Xiong et al. 2024, §3). */
export function calculatorPolicyMask(transcript: ArrayLike<number>): Uint8Array {
  const m = new Uint8Array(transcript.length);
  for (let i = CALC.PROMPT; i < transcript.length; i++) {
    if (transcript[i] === CALC.OBS) {
      i++; // OBS and its digit are the environment's
      continue;
    }
    m[i] = 1;
  }
  return m;
}

/**
 * The calculator environment (Xiong et al. 2024's tool-integrated setting, in miniature).
 *
 * ```ts
 * const env = new CalculatorEnv();
 * env.reset({ a: 3, op1: "+", b: 4, op2: "×", c: 2 });        // [3, PLUS, 4, TIMES, 2]
 * env.step([CALC.CALL, 3, CALC.PLUS, 4, CALC.EOS]);           // { done: false, observation: [OBS, 7] }
 * env.step([CALC.CALL, 7, CALC.TIMES, 2, CALC.EOS]);          // { done: false, observation: [OBS, 4] }
 * env.step([CALC.ANS, 4, CALC.EOS]);                          // { done: true, outcome: 1 }
 * ```
 */
export class CalculatorEnv implements Environment<CalculatorProblem> {
  /** "calculator". */
  readonly name = "calculator";
  /** CALC.VOCAB. */
  readonly vocab = CALC.VOCAB;
  /** CALC.EOS. */
  readonly eos = CALC.EOS;
  /** Most policy turns (default 3). */
  readonly maxTurns: number;
  /** The running (or last) episode's problem. */
  context: CalculatorProblem | null = null;
  private turns = 0;
  private live = false;
  private tokens: number[] = [];
  private answer = -1;

  /** `maxTurns` (default 3) bounds the policy's turns. */
  constructor(options: { maxTurns?: number } = {}) {
    const o = checkOptions<{ maxTurns?: number }>(options, "CalculatorEnv", ["maxTurns"]);
    this.maxTurns = integer(o.maxTurns ?? CALC.MAX_TURNS, "maxTurns", 1, 16);
  }

  /** Start an episode on a problem, or on the problem of a seed (calculatorProblemFromSeed);
   *  returns the prompt `a op1 b op2 c`. */
  reset(context: CalculatorProblem | number): Int32Array {
    const p = typeof context === "number" ? calculatorProblemFromSeed(context) : checkProblem(context);
    this.context = p;
    this.turns = 0;
    this.live = true;
    this.answer = calculatorAnswer(p);
    const x = calculatorPrompt(p);
    this.tokens = Array.from(x);
    return x;
  }

  /** The policy's turn: `OBS w` after a call, the outcome after an answer (or after a call on
   *  the last turn: 0). EnvironmentError for a malformed turn (the episode goes on) or with no
   *  running episode. */
  step(turn: ArrayLike<number>): EnvTransition {
    if (!this.live) throw new EnvironmentError("no-episode", this.context ? "CalculatorEnv.step: the episode is over; call reset" : "CalculatorEnv.step: call reset first");
    const t = parseCalculatorTurn(turn);
    this.tokens.push(...Array.from(turn));
    this.turns++;
    if (t.kind === "ans") {
      this.live = false;
      return { done: true, outcome: t.d === this.answer ? 1 : 0 };
    }
    if (this.turns >= this.maxTurns) {
      this.live = false;
      return { done: true, outcome: 0 };
    }
    const obs = Int32Array.of(CALC.OBS, apply(t.u, t.op, t.v));
    this.tokens.push(...obs);
    return { done: false, observation: obs };
  }

  /** The running (or last) episode's transcript: prompt, turns and observations. */
  transcript(): Int32Array {
    return Int32Array.from(this.tokens);
  }

  /** The policy-token mask of the running (or last) episode's transcript. */
  policyMask(): Uint8Array {
    return calculatorPolicyMask(this.tokens);
  }
}
