// The Education-Dialogue-like environment: deterministic for a seed, typed errors for malformed
// turns and misuse, the reactions drawn from the exact probabilities it publishes, and a judge
// that is antisymmetric but not transitive.
import { describe, it, expect, beforeAll } from "vitest";
import { init, ValueError } from "../sdk/index.js";
import { EducationDialogueEnv, dialogueGame, REACTIONS, type DialogueOutcome } from "../sdk/align/envs/dialogue.js";
import { EnvironmentError } from "../sdk/align/envs/environment.js";

beforeAll(async () => {
  await init();
});

/** Plays a fixed list of actions (indices into env.moves) and returns the transcript and outcome. */
function play(env: EducationDialogueEnv, type: number, seed: number, actions: number[]) {
  const tokens = Array.from(env.reset(type, seed));
  for (const a of actions) {
    const r = env.step([env.moves[a]]);
    tokens.push(env.moves[a]);
    if (r.done) return { tokens, outcome: r.outcome };
    tokens.push(...r.observation);
  }
  throw new Error("not finished");
}

describe("EducationDialogueEnv", () => {
  it("is deterministic for a seed; different seeds give different reactions", () => {
    const env = new EducationDialogueEnv();
    const acts = [0, 6, 3, 1, 2];
    const a = play(env, 4, 123, acts), b = play(env, 4, 123, acts);
    expect(a).toEqual(b);
    const seen = new Set<string>();
    for (let s = 0; s < 20; s++) seen.add(play(env, 4, s, acts).tokens.join(","));
    expect(seen.size).toBeGreaterThan(5);
    // The outcome depends on the type and the moves only (not on the reactions).
    expect(play(env, 4, 7, acts).outcome).toEqual(a.outcome);
    expect(a.outcome.turns).toBe(5);
    expect(a.tokens.length).toBe(2 + 2 * 5 - 1);
  });

  it("END ends the conversation early; the turn bound ends it otherwise", () => {
    const env = new EducationDialogueEnv({ turns: 4 });
    const r = play(env, 0, 1, [0, env.moves.length - 1]);
    expect(r.outcome.turns).toBe(2);
    expect(play(env, 0, 1, [0, 0, 0, 0]).outcome.turns).toBe(4);
  });

  it("without endMove every conversation has exactly `turns` teacher turns and END is malformed", () => {
    const env = new EducationDialogueEnv({ turns: 3, endMove: false });
    expect(env.moves).not.toContain(env.endToken);
    expect(play(env, 1, 2, [0, 1, 2]).outcome.turns).toBe(3);
    env.reset(1, 2);
    expect(() => env.step([env.endToken])).toThrow(EnvironmentError);
    expect(() => new EducationDialogueEnv({ endMove: 1 as never })).toThrow(ValueError);
  });

  it("rejects malformed turns and misuse with typed errors", () => {
    const env = new EducationDialogueEnv();
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof EnvironmentError ? e.code : `not an EnvironmentError: ${String(e)}`;
      }
      return undefined;
    };
    expect(code(() => env.step([env.moves[0]]))).toBe("no-episode");
    env.reset(0, 0);
    expect(code(() => env.step([]))).toBe("malformed-turn");
    expect(code(() => env.step([env.moves[0], env.moves[1]]))).toBe("malformed-turn");
    expect(code(() => env.step([env.bos]))).toBe("malformed-turn");
    expect(code(() => env.step([env.reactionBase]))).toBe("malformed-turn");
    let err: unknown;
    try {
      env.step([env.vocab]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValueError);
    expect((err as EnvironmentError).name).toBe("EnvironmentError");
    expect((err as EnvironmentError).code).toBe("malformed-turn");
    expect(Array.from((err as EnvironmentError).turn!)).toEqual([env.vocab]);
    // a rejected turn does not advance the conversation
    expect(env.step([env.endToken]).done).toBe(true);
    expect(code(() => env.step([env.moves[0]]))).toBe("no-episode");
    expect(() => env.reset(env.types.length, 0)).toThrow(ValueError);
    expect(() => env.reset(0.5, 0)).toThrow(ValueError);
    expect(() => new EducationDialogueEnv({ stlyes: 3 } as never)).toThrow(/styles/);
    expect(() => new EducationDialogueEnv({ typeProbs: [1] })).toThrow(ValueError);
  });

  it("reactions follow replyProbs and the greeting follows greetingProbs", () => {
    const env = new EducationDialogueEnv({ styles: 3, levels: 2 });
    const type = 4; // knowledge 1, style 1
    expect(env.types[type]).toEqual({ knowledge: 1, style: 1 });
    const a = 2; // TEACH(style 1, level 0)
    const p = env.replyProbs(type, a, env.transition(type, env.initialState(), a));
    expect(p).not.toEqual(env.replyProbs(type, a)); // the reaction reflects the state after the move
    let s = 0;
    for (const v of p) s += v;
    expect(Math.abs(s - 1)).toBeLessThan(1e-12);
    const n = 4000, counts = new Float64Array(4), greet = new Float64Array(3);
    for (let i = 0; i < n; i++) {
      const obs = env.reset(type, i);
      greet[obs[1] - env.greetingBase]++;
      const r = env.step([env.moves[a]]);
      if (r.done) throw new Error("ended");
      counts[r.observation[0] - env.reactionBase]++;
    }
    for (let k = 0; k < 4; k++) expect(Math.abs(counts[k] / n - p[k])).toBeLessThan(4 * Math.sqrt(p[k] * (1 - p[k]) / n) + 1e-3);
    const g = env.greetingProbs(type);
    for (let k = 0; k < 3; k++) expect(Math.abs(greet[k] / n - g[k])).toBeLessThan(4 * Math.sqrt(g[k] * (1 - g[k]) / n));
    expect(REACTIONS.length).toBe(4);
  });

  it("the judge is antisymmetric, compares the same student only, and is not transitive", () => {
    const env = new EducationDialogueEnv({ styles: 2, levels: 2, turns: 3 });
    const { outcomes } = dialogueGame(env);
    const out = outcomes[0];
    for (let i = 0; i < 20; i++) expect(Math.abs(env.prefer(out[i], out[i + 7]) + env.prefer(out[i + 7], out[i]) - 1)).toBeLessThan(1e-12);
    expect(() => env.prefer(out[0], outcomes[1][0])).toThrow(ValueError);
    // A Condorcet cycle among the conversations of one student: a ≻ b ≻ c ≻ a.
    const find = (o: DialogueOutcome[]) => {
      for (let i = 0; i < o.length; i++) for (let j = 0; j < o.length; j++) {
        if (!(env.prefer(o[i], o[j]) > 0.6)) continue;
        for (let k = 0; k < o.length; k++) if (env.prefer(o[j], o[k]) > 0.6 && env.prefer(o[k], o[i]) > 0.6) return [i, j, k];
      }
      return null;
    };
    expect(find(out)).not.toBeNull();
  });
});
