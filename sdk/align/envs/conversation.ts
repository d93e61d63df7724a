// The conversation environment interface: an episode alternates the policy's turns (tokens it
// wrote) and the environment's observations (tokens it answers with), as in the multi-turn
// formulations of Xiong et al. 2024 (tool-integrated agents: the interpreter's output) and Shani
// et al. 2024 (dialogue: the simulated user's reply). `reset` starts an episode from a context
// and returns the first observation (the prompt the policy reads); `step` takes one policy turn
// and returns the next observation, or the end of the episode with its outcome. A turn the
// environment cannot read raises MalformedTurnError (a ValueError), and stepping an episode
// that has not started or has ended raises EnvironmentStateError: typed errors, never a silent
// fallback. Unlike a reward environment, the outcome may be any value (here: the simulated
// learning outcome a preference oracle compares), and `reset` takes the seed of the
// environment's own randomness (a simulated user's replies) separately from the context.
import { EngineStateError, ValueError } from "../../core/errors.js";

/** What `step` returns: the observation appended after the policy's turn, or the end. */
export type ConversationStep<O> =
  | {
    /** The episode goes on. */
    done: false;
    /** The tokens appended after the policy's turn. */
    observation: Int32Array;
  }
  | {
    /** The episode ended. */
    done: true;
    /** Its outcome. */
    outcome: O;
    /** Tokens appended after the last turn, if any. */
    observation?: Int32Array;
  };

/** A multi-turn environment with contexts C and outcomes O. One instance runs one episode at a
 *  time; it is deterministic given the context (and the seed `reset` takes). */
export interface ConversationEnvironment<C, O> {
  /** A short name for messages. */
  readonly name: string;
  /** Start an episode: the context (e.g. the prompt, or a simulated user's type) and a seed for
   *  the environment's own randomness. Returns the first observation (the prompt's tokens). */
  reset(context: C, seed?: number): Int32Array;
  /** The policy's turn: its tokens. Returns the next observation, or `done` with the outcome. */
  step(turn: ArrayLike<number>): ConversationStep<O>;
}

/** A policy turn the environment cannot read (wrong length, a token that is not an action, an
 *  action not allowed here). `turn` is the offending turn's index in the episode. */
export class MalformedTurnError extends ValueError {
  /** The turn's tokens as given. */
  readonly tokens: number[];
  /** The 0-based turn index. */
  readonly turn: number;
  /** Always "MalformedTurnError". */
  override name = "MalformedTurnError";
  constructor(message: string, tokens: ArrayLike<number>, turn: number) {
    super(message);
    this.tokens = Array.from(tokens);
    this.turn = turn;
  }
}

/** `step` before `reset`, or after the episode ended. */
export class EnvironmentStateError extends EngineStateError {
  /** Always "EnvironmentStateError". */
  override name = "EnvironmentStateError";
}

/** A small deterministic generator for environments (splitmix32-style integer hashing: the
 *  same numbers in every JavaScript engine; no engine memory, so an environment needs no
 *  dispose). */
export class EnvRandom {
  private s: number;
  constructor(seed: number, stream = 0) {
    this.s = mix32((seed >>> 0) ^ mix32(stream + 0x9e3779b9));
  }
  /** A uniform in [0, 1) with 32 bits. */
  next(): number {
    this.s = (this.s + 0x9e3779b9) | 0;
    return (mix32(this.s) >>> 0) / 4294967296;
  }
  /** An index drawn from the probabilities `p` (summing to 1). */
  categorical(p: ArrayLike<number>): number {
    const u = this.next();
    let c = 0;
    for (let i = 0; i < p.length - 1; i++) {
      c += p[i];
      if (u < c) return i;
    }
    return p.length - 1;
  }
}

/** A 32-bit integer mix (the finaliser of MurmurHash3 / splitmix32). */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** A seed for episode `index` of a run with seed `seed` and stream `stream` (integer hashing). */
export function episodeSeed(seed: number, stream: number, index: number): number {
  return mix32(mix32(mix32(seed | 0) ^ (stream | 0)) ^ (index | 0)) >>> 0;
}
