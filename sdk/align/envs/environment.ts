// The multi-turn environment of the alignment domain: one episode at a time, token ids in and
// out. `reset` starts an episode (from a context, or a seed that draws one) and returns the
// first observation — the prompt the policy answers; `step` takes the policy's turn (its tokens,
// up to and including its end-of-turn token) and returns either the next observation (tool
// output, a user's reply: context for the policy, never trained on) or the end of the episode
// with its outcome. The formulation is the finite-horizon MDP of Xiong et al. 2024 (§2: state =
// prompt, actions and observations so far; deterministic transitions; sparse final reward) and
// of Shani et al. 2024 (multi-turn conversations judged as a whole). The outcome is a reward by
// default, or any value a preference oracle compares (a simulated student's learning outcome);
// `reset` takes the seed of the environment's own randomness (a simulated user's replies)
// separately from the context.
import { SeqlearnError, ValueError } from "../../core/errors.js";
import type { EnvContext, EnvStep, Environment as TrainerEnvironment } from "../trainers/multiturn.js";

/** What `step` returns: the next observation, or the end of the episode. */
export type EnvTransition<O = number> =
  | {
      /** The episode goes on. */
      done: false;
      /** Tokens the environment appends to the transcript (masked out of the policy's sums). */
      observation: Int32Array;
    }
  | {
      /** The episode is over. */
      done: true;
      /** Its outcome: a reward (e.g. 1 for a correct final answer, 0 otherwise), or what a
       *  preference oracle compares. */
      outcome: O;
      /** Tokens appended after the last turn, if any. */
      observation?: Int32Array;
    };

/** Why an environment refused a call. */
export type EnvironmentErrorCode =
  /** The policy's turn does not parse (wrong keyword, a token outside the grammar, no EOS). */
  | "malformed-turn"
  /** `step` before `reset`, or after the episode ended. */
  | "no-episode"
  /** A context that is not one of the environment's. */
  | "bad-context";

/** A call the environment refuses: `code` says which kind, `turn` holds the offending tokens
 *  (for "malformed-turn"). A ValueError, so callers that catch bad input catch it too. */
export class EnvironmentError extends ValueError {
  /** Always "EnvironmentError". */
  override name = "EnvironmentError";
  /** What was wrong. */
  readonly code: EnvironmentErrorCode;
  /** The offending turn (malformed-turn), else null. */
  readonly turn: Int32Array | null;
  constructor(code: EnvironmentErrorCode, message: string, turn: ArrayLike<number> | null = null) {
    super(message);
    this.code = code;
    this.turn = turn === null ? null : Int32Array.from(turn);
  }
}

/**
 * A multi-turn environment over token ids. `C` is its context (the hidden state an episode
 * starts from: the arithmetic problem, the student's type); `reset(seed)` draws one.
 *
 * The policy's turns end with `eos` (the policy writes it); the episode has at most `maxTurns`
 * policy turns. Deterministic: the same context and the same turns give the same observations
 * and outcome.
 */
export interface Environment<C = unknown, O = number> {
  /** A short name for messages. */
  readonly name: string;
  /** Token ids are in [0, vocab). */
  readonly vocab: number;
  /** The policy's end-of-turn token (none when every turn is one token). */
  readonly eos?: number;
  /** Most policy turns per episode (H). */
  readonly maxTurns: number;
  /** Start an episode from a context (or a seed that draws one); returns the first observation
   *  (the prompt). `seed` seeds the environment's own randomness, if it has any (a simulated
   *  user's replies; default 0). Any running episode is abandoned. */
  reset(context: C | number, seed?: number): Int32Array;
  /** The policy's turn (its tokens, EOS included). Throws EnvironmentError ("malformed-turn")
   *  for a turn outside the grammar, ("no-episode") with no running episode. */
  step(turn: ArrayLike<number>): EnvTransition<O>;
  /** The context of the running (or last) episode. */
  readonly context: C | null;
}

/** Whether a value is an EnvironmentError (also across realms: by name). */
export function isEnvironmentError(e: unknown): e is EnvironmentError {
  return e instanceof EnvironmentError || (e instanceof SeqlearnError && e.name === "EnvironmentError");
}

/**
 * The MultiTurnTrainer's environment function for a family of episodic environments: episode
 * (prompt index, rollout) gets its own environment from `make`, reset with `contextOf(prompt
 * index)`, and every action is stepped into it. A malformed action ends the episode with
 * `malformedOutcome` (default 0) instead of throwing: a sampled policy does write them.
 */
export function trainerEnvironment<C>(
  make: () => Environment<C>, contextOf: (promptIndex: number) => C, options: { malformedOutcome?: number } = {},
): TrainerEnvironment {
  const live = new Map<string, Environment<C>>();
  const bad = options.malformedOutcome ?? 0;
  return (ctx: EnvContext): EnvStep => {
    const key = `${ctx.promptIndex}/${ctx.rollout}`;
    let env = live.get(key);
    if (ctx.turn === 0 || !env) {
      env = make();
      env.reset(contextOf(ctx.promptIndex));
      live.set(key, env);
    }
    try {
      const r = env.step(ctx.action);
      if (r.done) {
        live.delete(key);
        return { done: true, reward: r.outcome };
      }
      return { observation: r.observation };
    } catch (e) {
      if (!isEnvironmentError(e)) throw e;
      live.delete(key);
      return { done: true, reward: bad };
    }
  };
}
