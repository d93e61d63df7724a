// An Education-Dialogue-like world (after the Education Dialogue environment of Shani et al.
// 2024, "Multi-turn reinforcement learning from preference human feedback", its experiments: a teacher
// agent talks to a simulated student whose learning preferences and reactions are hidden; whole
// conversations are compared by a judge). Here everything is an explicit program, so the judge
// and the learning outcome are exact:
//
// - A student type (the context) is a prior-knowledge level k ∈ {0 … levels−1} and a preferred
//   learning style s ∈ {0 … styles−1} (lecture, interactive, hands-on, gamified, …). The policy
//   never sees it.
// - The conversation opens with the student's greeting: a token that names the student's style
//   with probability `greetingAccuracy`, else a uniformly random style's token.
// - Each teacher turn is one token: TEACH(σ, ℓ) (teach in style σ at level ℓ), CHECK (a
//   diagnostic question) or END. At most `turns` teacher turns; END ends the conversation early.
// - The student answers every turn with one reaction token, engaged/bored × clear/confused:
//   engaged with probability (1 − w)·(`matchEngaged` if σ = s, else `mismatchEngaged`) + w·e, e the
//   student's engagement after the move (w = `engagementWeight`), clear with a
//   probability that depends on whether ℓ is below, at or above k; a CHECK is answered clear
//   with probability `checkClear[k]` and engaged with probability ½ (before the engagement mix). The reactions reveal the
//   type only indirectly and noisily.
// - Hidden learning state (deterministic given the type and the teacher's moves, so the
//   outcome is a function of the type and the moves): understanding u, engagement e,
//   confidence f, all in [0, 1]. TEACH: u ← u + (1 − u)·gain·fit(ℓ, k)·(½ + e), e ± engagement
//   step (style match or not), f + confidence step by fit; CHECK: e − checkCost, f unchanged.
// - The learning outcome is the vector (u, e, f) at the end; its mean is the `score`.
// - The judge compares two whole conversations of the same student by the three criteria:
//   P(a ≻ b) = σ(κ·Σ_i tanh((m_i(a) − m_i(b))/δ)). With a small δ it is a (soft) majority vote
//   of three criteria, which is not transitive in general (Condorcet): a ≻ b ≻ c ≻ a happens.
//
// Determinism: the student's reactions come from an EnvRandom seeded by `reset(context, seed)`;
// `replyProbs`, `greetingProbs` and `outcomeOf` give the exact probabilities, so the tabular
// game of the world (`dialogueGame`) is computed exactly.
import { ValueError } from "../../core/errors.js";
import { checkOptions } from "../../core/options.js";
import { integer, positive, probability } from "../../core/validate.js";
import { exp } from "../../core/detmath.js";
import type { ContextualMdp } from "../../games/mtpo-contexts.js";
import { EnvironmentError, type Environment, type EnvTransition } from "./environment.js";
import { EnvRandom } from "./random.js";

/** A simulated student: the hidden context of a conversation. */
export interface StudentType {
  /** Prior knowledge level, 0 … levels − 1. */
  knowledge: number;
  /** Preferred learning style, 0 … styles − 1. */
  style: number;
}

/** The simulated learning outcome of a finished conversation. */
export interface DialogueOutcome {
  /** The student type's index (see `EducationDialogueEnv.types`). */
  type: number;
  /** Understanding u ∈ [0, 1]. */
  understanding: number;
  /** Engagement e ∈ [0, 1] at the end. */
  engagement: number;
  /** Confidence f ∈ [0, 1] at the end (the student felt safe to follow and ask). */
  confidence: number;
  /** The learning-outcome score: the mean of the three criteria. */
  score: number;
  /** Teacher turns taken (END included). */
  turns: number;
}

/** Options of EducationDialogueEnv. */
export interface EducationDialogueOptions {
  /** Learning styles (2 … 6). Default 3. */
  styles?: number;
  /** Knowledge levels, also the teaching levels (1 … 4). Default 2. */
  levels?: number;
  /** Most teacher turns per conversation (1 … 12). Default 5. */
  turns?: number;
  /** Probability that the greeting names the student's style. Default 0.5. */
  greetingAccuracy?: number;
  /** P(engaged) when the teaching style matches. Default 0.85. */
  matchEngaged?: number;
  /** P(engaged) when it does not. Default 0.3. */
  mismatchEngaged?: number;
  /** Weight of the student's current engagement in P(engaged): P = (1 − w)·P_style + w·e, e the
   *  engagement after the move (so that early moves show in later reactions). Default 0.5. */
  engagementWeight?: number;
  /** P(clear) when teaching below / at / above the student's level. Default [0.95, 0.8, 0.2]. */
  clear?: number[];
  /** P(clear answer to CHECK) per knowledge level (length `levels`). Default evenly from 0.1 to 0.9. */
  checkClear?: number[];
  /** Learning gain per turn at the right level. Default 0.35. */
  gain?: number;
  /** Relative gain when teaching below / at / above the level. Default [0.35, 1, 0.1]. */
  fit?: number[];
  /** Engagement change for a matching / mismatching style. Default [0.15, −0.2]. */
  engagementStep?: number[];
  /** Confidence change when teaching below / at / above the level. Default [0.05, 0.1, −0.25]. */
  confidenceStep?: number[];
  /** Engagement cost of a CHECK. Default 0.05. */
  checkCost?: number;
  /** Starting engagement and confidence. Default 0.5 each. */
  start?: number[];
  /** Judge sharpness κ. Default 2. */
  judgeScale?: number;
  /** Judge resolution δ (the tanh width). Default 0.02. */
  judgeWidth?: number;
  /** Probabilities of the student types (default uniform), in `types` order. */
  typeProbs?: number[];
  /** Whether the teacher may END early (default true). Without it every conversation has
   *  exactly `turns` teacher turns, as in the tabular game, and END is not a move. */
  endMove?: boolean;
}

const KEYS = [
  "styles", "levels", "turns", "greetingAccuracy", "matchEngaged", "mismatchEngaged", "engagementWeight", "clear", "checkClear", "gain", "fit", "engagementStep",
  "confidenceStep", "checkCost", "start", "judgeScale", "judgeWidth", "typeProbs", "endMove",
] as const;

/** Hidden learning state during a conversation. */
export interface StudentState {
  /** Understanding u ∈ [0, 1]. */
  understanding: number;
  /** Engagement e ∈ [0, 1]. */
  engagement: number;
  /** Confidence f ∈ [0, 1]. */
  confidence: number;
}

/** The four reactions, in token order. */
export const REACTIONS = ["engaged-clear", "engaged-confused", "bored-clear", "bored-confused"] as const;

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)));
const tanh = (z: number) => {
  if (z > 20) return 1;
  if (z < -20) return -1;
  const e2 = exp(2 * z);
  return (e2 - 1) / (e2 + 1);
};


/**
 * The Education-Dialogue-like environment: the policy is the teacher, the environment a
 * simulated student of a hidden type (the context). One token per turn on both sides.
 *
 * Vocabulary: PAD = 0, BOS = 1, then `styles` greeting tokens, 4 reaction tokens, `styles·levels`
 * TEACH(σ, ℓ) tokens, CHECK and END.
 *
 * ```ts
 * const env = new EducationDialogueEnv({ styles: 3, levels: 2, turns: 5 });
 * let obs = env.reset(4, 17);                  // student type 4, seed 17 → [BOS, greeting]
 * let r = env.step([env.teachToken(1, 0)]);     // teach in style 1 at level 0
 * r = env.step([env.endToken]);                 // → { done: true, outcome: { understanding, … } }
 * // (the student reacts to every turn but the last: END, or the `turns`-th)
 * ```
 */
export class EducationDialogueEnv implements Environment<number, DialogueOutcome> {
  /** "education-dialogue". */
  readonly name = "education-dialogue";
  /** The resolved options. */
  readonly options: Readonly<Required<EducationDialogueOptions>>;
  /** Learning styles S. */
  readonly styles: number;
  /** Knowledge (and teaching) levels L. */
  readonly levels: number;
  /** Most teacher turns. */
  readonly turns: number;
  /** Every student type, knowledge-major: index = knowledge·styles + style. */
  readonly types: readonly StudentType[];
  /** Probabilities of the types. */
  readonly typeProbs: readonly number[];
  /** Padding token id. */
  readonly pad = 0;
  /** Beginning of the conversation. */
  readonly bos = 1;
  /** First greeting token (one per style). */
  readonly greetingBase = 2;
  /** First reaction token (4: see REACTIONS). */
  readonly reactionBase: number;
  /** First TEACH(σ, ℓ) token. */
  readonly teachBase: number;
  /** The CHECK token (a diagnostic question). */
  readonly checkToken: number;
  /** The END token (the teacher ends the conversation). */
  readonly endToken: number;
  /** Vocabulary size. */
  readonly vocab: number;
  /** The teacher's actions (token ids), in action order: TEACH(σ, ℓ) σ-major, CHECK, END (when
   *  `endMove`). */
  readonly moves: readonly number[];

  private type = -1;
  private state: StudentState | null = null;

  /** Most teacher turns per conversation (the Environment interface's name for `turns`). */
  get maxTurns(): number {
    return this.turns;
  }

  /** The student type of the running (or last) conversation; null before the first reset. */
  get context(): number | null {
    return this.type < 0 ? null : this.type;
  }
  private turn = 0;
  private rng: EnvRandom | null = null;

  constructor(options: EducationDialogueOptions = {}) {
    const o = checkOptions<EducationDialogueOptions>(options, "EducationDialogueEnv", KEYS);
    const S = integer(o.styles ?? 3, "styles", 2, 6), L = integer(o.levels ?? 2, "levels", 1, 4);
    const vec = (v: number[] | undefined, dflt: number[], name: string, n: number, prob: boolean) => {
      const a = v ?? dflt;
      if (!Array.isArray(a) || a.length !== n) throw new ValueError(`${name} must be an array of ${n} numbers`);
      a.forEach((x, i) => (prob ? probability(x, `${name}[${i}]`) : Number.isFinite(x) || (() => { throw new ValueError(`${name}[${i}] must be finite`); })()));
      return a.slice();
    };
    const checkDefault = Array.from({ length: L }, (_, k) => (L === 1 ? 0.5 : 0.1 + (0.8 * k) / (L - 1)));
    const nTypes = S * L;
    const typeProbs = vec(o.typeProbs, Array(nTypes).fill(1 / nTypes), "typeProbs", nTypes, true);
    let tp = 0;
    for (const p of typeProbs) tp += p;
    if (Math.abs(tp - 1) > 1e-9) throw new ValueError(`typeProbs sum to ${tp}, expected 1`);
    this.options = {
      styles: S, levels: L, turns: integer(o.turns ?? 5, "turns", 1, 12),
      greetingAccuracy: probability(o.greetingAccuracy ?? 0.5, "greetingAccuracy"),
      matchEngaged: probability(o.matchEngaged ?? 0.85, "matchEngaged"), mismatchEngaged: probability(o.mismatchEngaged ?? 0.3, "mismatchEngaged"),
      engagementWeight: probability(o.engagementWeight ?? 0.5, "engagementWeight"),
      clear: vec(o.clear, [0.95, 0.8, 0.2], "clear", 3, true), checkClear: vec(o.checkClear, checkDefault, "checkClear", L, true),
      gain: probability(o.gain ?? 0.35, "gain"), fit: vec(o.fit, [0.35, 1, 0.1], "fit", 3, false),
      engagementStep: vec(o.engagementStep, [0.15, -0.2], "engagementStep", 2, false),
      confidenceStep: vec(o.confidenceStep, [0.05, 0.1, -0.25], "confidenceStep", 3, false),
      checkCost: probability(o.checkCost ?? 0.05, "checkCost"), start: vec(o.start, [0.5, 0.5], "start", 2, true),
      judgeScale: positive(o.judgeScale ?? 2, "judgeScale"), judgeWidth: positive(o.judgeWidth ?? 0.02, "judgeWidth"), typeProbs,
      endMove: o.endMove === undefined ? true : o.endMove === true ? true : o.endMove === false ? false : (() => { throw new ValueError("endMove must be a boolean"); })(),
    };
    this.styles = S;
    this.levels = L;
    this.turns = this.options.turns;
    this.types = Array.from({ length: nTypes }, (_, i) => ({ knowledge: Math.floor(i / S), style: i % S }));
    this.typeProbs = typeProbs;
    this.reactionBase = this.greetingBase + S;
    this.teachBase = this.reactionBase + 4;
    this.checkToken = this.teachBase + S * L;
    this.endToken = this.checkToken + 1;
    this.vocab = this.endToken + 1;
    this.moves = [...Array.from({ length: S * L }, (_, i) => this.teachBase + i), this.checkToken, ...(this.options.endMove ? [this.endToken] : [])];
  }

  /** The token of TEACH(style σ, level ℓ). */
  teachToken(style: number, level: number): number {
    integer(style, "style", 0, this.styles - 1);
    integer(level, "level", 0, this.levels - 1);
    return this.teachBase + style * this.levels + level;
  }

  /** The action index (0 … moves.length − 1) of a teacher token, or −1 if it is not a move. */
  actionOf(token: number): number {
    if (!Number.isInteger(token) || token < this.teachBase || token > this.moves[this.moves.length - 1]) return -1;
    return token - this.teachBase;
  }

  /** The starting hidden state. */
  initialState(): StudentState {
    return { understanding: 0, engagement: this.options.start[0], confidence: this.options.start[1] };
  }

  /** P(greeting token g | type), over the `styles` greeting tokens. */
  greetingProbs(type: number): Float64Array {
    const t = this.typeAt(type), S = this.styles, a = this.options.greetingAccuracy;
    const p = new Float64Array(S).fill((1 - a) / S);
    p[t.style] += a;
    return p;
  }

  /** P(reaction r | type, action, state) over the 4 reactions (engaged-clear, engaged-confused,
   *  bored-clear, bored-confused), `state` the hidden state after the action (default: the
   *  initial state); END has no reaction (an error). */
  replyProbs(type: number, action: number, state: StudentState = this.initialState()): Float64Array {
    const t = this.typeAt(type), o = this.options, S = this.styles, L = this.levels;
    let pe: number, pc: number;
    if (action >= 0 && action < S * L) {
      const sigma = Math.floor(action / L), level = action % L;
      pe = sigma === t.style ? o.matchEngaged : o.mismatchEngaged;
      pc = o.clear[level < t.knowledge ? 0 : level === t.knowledge ? 1 : 2];
    } else if (action === S * L) {
      pe = 0.5;
      pc = o.checkClear[t.knowledge];
    } else throw new ValueError(`replyProbs: action ${action} has no reaction (END or out of range)`);
    pe = (1 - o.engagementWeight) * pe + o.engagementWeight * state.engagement;
    return Float64Array.of(pe * pc, pe * (1 - pc), (1 - pe) * pc, (1 - pe) * (1 - pc));
  }

  /** The hidden state after the teacher's action (deterministic; END leaves it unchanged). */
  transition(type: number, s: StudentState, action: number): StudentState {
    const t = this.typeAt(type), o = this.options, S = this.styles, L = this.levels;
    if (action >= 0 && action < S * L) {
      const sigma = Math.floor(action / L), level = action % L;
      const band = level < t.knowledge ? 0 : level === t.knowledge ? 1 : 2;
      const g = o.gain * o.fit[band] * (0.5 + s.engagement);
      return {
        understanding: clamp01(s.understanding + (1 - s.understanding) * g),
        engagement: clamp01(s.engagement + o.engagementStep[sigma === t.style ? 0 : 1]),
        confidence: clamp01(s.confidence + o.confidenceStep[band]),
      };
    }
    if (action === S * L) return { understanding: s.understanding, engagement: clamp01(s.engagement - o.checkCost), confidence: s.confidence };
    return { ...s };
  }

  /** The learning outcome of a hidden state after `turns` teacher turns. */
  outcomeOf(type: number, s: StudentState, turns: number): DialogueOutcome {
    return {
      type, understanding: s.understanding, engagement: s.engagement, confidence: s.confidence,
      score: (s.understanding + s.engagement + s.confidence) / 3, turns,
    };
  }

  /** The judge: P(a ≻ b) for two conversations with the same student type,
   *  σ(κ·Σ_i tanh((m_i(a) − m_i(b))/δ)) over understanding, engagement and confidence. Exactly
   *  antisymmetric (P(a ≻ b) + P(b ≻ a) = 1), not transitive in general. */
  prefer(a: DialogueOutcome, b: DialogueOutcome): number {
    if (a.type !== b.type) throw new ValueError(`prefer: the judge compares conversations with the same student (types ${a.type} and ${b.type})`);
    const d = this.options.judgeWidth;
    const z = tanh((a.understanding - b.understanding) / d) + tanh((a.engagement - b.engagement) / d) + tanh((a.confidence - b.confidence) / d);
    return sigmoid(this.options.judgeScale * z);
  }

  /** Draw a type from `typeProbs` with a uniform u ∈ [0, 1). */
  typeFromUniform(u: number): number {
    let c = 0;
    for (let i = 0; i < this.typeProbs.length - 1; i++) {
      c += this.typeProbs[i];
      if (u < c) return i;
    }
    return this.typeProbs.length - 1;
  }

  // ---- the Environment interface ---------------------------------------------------------------

  /** Start a conversation with student type `context` (an index into `types`); the seed drives
   *  the student's greeting and reactions. Returns [BOS, greeting]. */
  reset(context: number, seed = 0): Int32Array {
    this.typeAt(context);
    integer(seed, "seed", 0, 0xffffffff);
    this.type = context;
    this.state = this.initialState();
    this.turn = 0;
    this.rng = new EnvRandom(seed, context);
    return Int32Array.of(this.bos, this.greetingBase + this.rng.categorical(this.greetingProbs(context)));
  }

  /** One teacher turn: exactly one move token. Returns the student's reaction token, or the
   *  end (after END or the last allowed turn) with the learning outcome. */
  step(turn: ArrayLike<number>): EnvTransition<DialogueOutcome> {
    if (!this.state || !this.rng) throw new EnvironmentError("no-episode", `${this.name}: step() before reset() or after the conversation ended`);
    if (!turn || typeof turn.length !== "number") throw new EnvironmentError("malformed-turn", `${this.name}: a turn must be an array of token ids`, []);
    if (turn.length !== 1) throw new EnvironmentError("malformed-turn", `${this.name}: turn ${this.turn} has ${turn.length} tokens; a teacher turn is exactly one move token`, turn);
    const a = this.actionOf(turn[0]);
    if (a < 0) {
      throw new EnvironmentError("malformed-turn", `${this.name}: turn ${this.turn} token ${turn[0]} is not a teacher move (moves are ${this.teachBase} … ${this.moves[this.moves.length - 1]})`, turn);
    }
    this.turn++;
    const end = this.options.endMove && a === this.moves.length - 1;
    if (!end) this.state = this.transition(this.type, this.state, a);
    if (end || this.turn >= this.turns) {
      // The conversation ends: no reaction after END or after the last allowed turn.
      const outcome = this.outcomeOf(this.type, this.state, this.turn);
      this.state = null;
      this.rng = null;
      return { done: true, outcome };
    }
    return { done: false, observation: Int32Array.of(this.reactionBase + this.reactTo(a)) };
  }

  private reactTo(a: number): number {
    return this.rng!.categorical(this.replyProbs(this.type, a, this.state!));
  }

  private typeAt(type: number): StudentType {
    if (!Number.isInteger(type) || type < 0 || type >= this.types.length) {
      throw new ValueError(`${this.name}: student type ${String(type)} is out of range [0, ${this.types.length})`);
    }
    return this.types[type];
  }
}

/** The tabular game of `dialogueGame()`: the contextual MDP and what its indices mean. */
export interface DialogueGame {
  /** The contextual layered MDP over the teacher's observation histories (contexts = types). */
  game: ContextualMdp;
  /** The action's token, per action index (TEACH(σ, ℓ) σ-major, then CHECK; no END). */
  actionTokens: number[];
  /** Per context: the learning outcome of every class (class = the teacher's move sequence,
   *  base A digits, first move most significant). */
  outcomes: DialogueOutcome[][];
  /** The environment it was built from (its token ids). */
  env: EducationDialogueEnv;
}

/**
 * The dialogue world as an exact tabular contextual game (for MTPO with contexts and its
 * exploitability): conversations of exactly `env.turns` teacher turns without END (actions:
 * the TEACH moves and CHECK), the teacher's states are observation histories — the greeting,
 * then (move, reaction) pairs — the contexts are the student types with `typeProbs`, and the
 * end states of a context are compared by the judge on their learning outcomes. Sizes grow as
 * S·(A·4)^H: keep styles, levels and turns small (2, 2, 3 gives 16,000 end states).
 */
export function dialogueGame(env: EducationDialogueEnv): DialogueGame {
  if (!(env instanceof EducationDialogueEnv)) throw new ValueError("dialogueGame: expected an EducationDialogueEnv");
  const S = env.styles, H = env.turns, A = env.moves.length - (env.options.endMove ? 1 : 0), K = REACTIONS.length, C = env.types.length;
  const states = [S];
  for (let h = 0; h < H; h++) states.push(states[h] * A * K);
  if (states[H] > 200_000) throw new ValueError(`dialogueGame: ${states[H]} end states; use fewer styles, levels or turns (at most 200,000)`);
  const next: Int32Array[] = [];
  for (let h = 0; h < H; h++) next.push(Int32Array.from({ length: states[h] * A * K }, (_, i) => i));
  // The move sequence of every state: state x at level h+1 came from parent ⌊x/(A·K)⌋ by action ⌊x/K⌋ mod A.
  const seqs: Int32Array[] = [new Int32Array(S)];
  for (let h = 0; h < H; h++) seqs.push(Int32Array.from({ length: states[h + 1] }, (_, x) => seqs[h][Math.floor(x / (A * K))] * A + (Math.floor(x / K) % A)));
  const nSeq = A ** H;
  const outcomes: DialogueOutcome[][] = [], prefs: Float64Array[] = [], probs: Float64Array[][] = [], endClass: Int32Array[] = [];
  for (let c = 0; c < C; c++) {
    const out: DialogueOutcome[] = [];
    for (let q = 0; q < nSeq; q++) {
      let st = env.initialState();
      for (let h = 0; h < H; h++) st = env.transition(c, st, Math.floor(q / A ** (H - 1 - h)) % A);
      out.push(env.outcomeOf(c, st, H));
    }
    outcomes.push(out);
    const P = new Float64Array(nSeq * nSeq);
    for (let i = 0; i < nSeq; i++) for (let j = 0; j < nSeq; j++) P[i * nSeq + j] = i === j ? 0.5 : env.prefer(out[i], out[j]);
    prefs.push(P);
    // The hidden state after each move sequence of length h + 1, then the reaction probabilities.
    probs.push(states.slice(0, H).map((Sh, h) => {
      const n = A ** (h + 1);
      const reply: Float64Array[] = [];
      for (let q = 0; q < n; q++) {
        let st = env.initialState();
        for (let i = 0; i <= h; i++) st = env.transition(c, st, Math.floor(q / A ** (h - i)) % A);
        reply.push(env.replyProbs(c, q % A, st));
      }
      const p = new Float64Array(Sh * A * K);
      for (let x = 0; x < Sh; x++) for (let y = 0; y < A; y++) p.set(reply[seqs[h][x] * A + y], (x * A + y) * K);
      return p;
    }));
    endClass.push(seqs[H]);
  }
  const game: ContextualMdp = {
    horizon: H, actions: A, branching: K, states, next, contexts: Float64Array.from(env.typeProbs),
    initial: env.types.map((_, c) => env.greetingProbs(c)), probs, endClass, prefs,
  };
  return { game, actionTokens: env.moves.slice(0, A), outcomes, env };
}
