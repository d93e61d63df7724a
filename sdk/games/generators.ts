// Test-instance generators (the three-type game is the intransitive example of Munos et al.
// 2024). Random ones draw from the engine's PRNG, so a seed gives the same game in every runtime.
import { getEngine, inout, input, output } from "../engine/index.js";
import { Matrix } from "../core/matrix.js";
import { Rng } from "../random/rng.js";
import { integer, positive, seed as checkSeed, nonNegative } from "../core/validate.js";
import { ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { sin } from "../core/detmath.js";
import { PreferenceGame } from "./preference.js";

/** σ(s) elementwise, with the engine's exp (so a seed gives the same game in every runtime,
 *  whatever the host's Math.exp). */
export function sigmoids(s: Float64Array): Float64Array {
  const a = Float64Array.from(s, (v) => -Math.abs(v));
  const e = getEngine().call("vexp", { x: input(a), out: output(a.length), n: a.length }).output("out");
  return Float64Array.from(s, (v, i) => (v >= 0 ? 1 / (1 + e[i]) : e[i] / (1 + e[i])));
}

/** The largest n whose dense n×n f64 matrix fits one engine memory block (2³⁰ − 64 bytes). */
const MAX_DENSE_N = Math.floor(Math.sqrt((2 ** 30 - 64) / 8));

/** Build a dense game from its strict upper triangle f(i, j), i < j, optionally through σ. */
function fromUpper(n: number, f: (i: number, j: number) => number, logistic = false): PreferenceGame {
  if (n > MAX_DENSE_N) throw new ValueError(`n = ${n} is too large for a dense game: its n×n matrix must fit one engine block (n ≤ ${MAX_DENSE_N})`);
  const up = new Float64Array((n * (n - 1)) / 2);
  let t = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) up[t++] = f(i, j);
  const v = logistic ? sigmoids(up) : up;
  const P = new Float64Array(n * n);
  t = 0;
  for (let i = 0; i < n; i++) {
    P[i * n + i] = 0.5;
    for (let j = i + 1; j < n; j++) {
      const p = v[t++];
      P[i * n + j] = p;
      P[j * n + i] = 1 - p;
    }
  }
  return PreferenceGame.fromMatrix(new Matrix(n, n, P));
}

/** Options of the random game generators. */
export interface SeedOption {
  /** Seed of the engine PRNG. Default 0. */
  seed?: number;
}

/** U-triangle: P_ij ~ U[0, 1] for i < j, P_ji = 1 − P_ij. */
export function uTriangle(n: number, options: SeedOption = {}): PreferenceGame {
  integer(n, "n", 1);
  const opts = checkOptions<SeedOption>(options, "uTriangle", ["seed"]);
  const rng = new Rng(checkSeed(opts.seed ?? 0));
  try {
    const u = rng.uniform((n * (n - 1)) / 2);
    let t = 0;
    return fromUpper(n, () => u[t++]);
  } finally {
    rng.dispose();
  }
}

/** Options of `skewLogit`. */
export interface SkewLogitOptions extends SeedOption {
  /** Scale σ of the skew part: 1 gives mild games, 2 or more sharp ones. Default 1. */
  sigma?: number;
}

/** Skew-logit: G_ij ~ N(0, σ²), P = σ(G − Gᵀ). σ = 1 mild, σ ≥ 2 sharp. */
export function skewLogit(n: number, options: SkewLogitOptions = {}): PreferenceGame {
  integer(n, "n", 1);
  const opts = checkOptions<SkewLogitOptions>(options, "skewLogit", ["seed", "sigma"]);
  const sigma = positive(opts.sigma ?? 1, "sigma");
  const rng = new Rng(checkSeed(opts.seed ?? 0));
  try {
    const g = rng.normal(n * n);
    return fromUpper(n, (i, j) => sigma * (g[i * n + j] - g[j * n + i]), true);
  } finally {
    rng.dispose();
  }
}

/** Bradley–Terry from rewards: P_ij = σ(r_i − r_j). */
export function bradleyTerry(rewards: ArrayLike<number>): PreferenceGame {
  return PreferenceGame.bradleyTerry(rewards);
}


/** Rock-paper-scissors with 1/0 entries (actions rock, paper, scissors). */
export function rps(): PreferenceGame {
  return PreferenceGame.fromMatrix([[0.5, 0, 1], [1, 0.5, 0], [0, 1, 0.5]]);
}

/** Non-transitive dice A = {2,2,4,4,9,9}, B = {1,1,6,6,8,8}, C = {3,3,5,5,7,7}: A beats B,
 *  B beats C, C beats A, each with probability 5/9 (computed from the faces). */
export function dice(): PreferenceGame {
  const faces = [[2, 2, 4, 4, 9, 9], [1, 1, 6, 6, 8, 8], [3, 3, 5, 5, 7, 7]];
  return fromUpper(3, (i, j) => {
    let w = 0, t = 0;
    for (const a of faces[i]) for (const b of faces[j]) w += a > b ? 1 : a === b ? 0.5 : 0, t++;
    return w / t;
  });
}

/** The NLHF three-type example: P(y1≻y0) = ½ + (⅓−ε)/2, P(y0≻y2) = P(y2≻y1) = ½ + (⅓+ε/2)/2.
 *  Unregularised Nash (⅓+ε/2, ⅓+ε/2, ⅓−ε); a Bradley–Terry fit prefers y0 alone. */
export function threeType(eps = 0.1): PreferenceGame {
  if (!(eps >= 0 && eps <= 1 / 3)) throw new ValueError(`eps must be in [0, 1/3], got ${eps}`);
  const a = 0.5 + (1 / 3 - eps) / 2, b = 0.5 + (1 / 3 + eps / 2) / 2;
  return PreferenceGame.fromMatrix([[0.5, 1 - a, b], [a, 0.5, 1 - b], [1 - b, b, 0.5]]);
}

/** The deterministic sine game: S_ij = scale·(sin(2i+5j) − sin(2j+5i)), P = σ(S); scale 3 is
 *  the instance the test suite checks against reference numbers (n = 5). */
export function sineGame(n = 5, scale = 3): PreferenceGame {
  integer(n, "n", 1);
  nonNegative(scale, "scale");
  return fromUpper(n, (i, j) => scale * (sin(2 * i + 5 * j) - sin(2 * j + 5 * i)), true);
}

/** Options of `lowRankSkew`. */
export interface LowRankSkewOptions extends SeedOption {
  /** Twice the largest row's ‖u_i‖² + ‖v_i‖², in (0, 1] (1 keeps every entry in [0, 1] with
   *  the widest spread). Default 1. */
  scale?: number;
}

/**
 * A random implicit low-rank skew game P = ½ + UVᵀ − VUᵀ with Gaussian U, V scaled so that
 * the largest row has ‖u_i‖² + ‖v_i‖² = scale/2 (≤ ½ keeps every entry in [0, 1]).
 * Draws its normals directly into engine memory (fast for n = 10⁶).
 */
export function lowRankSkew(n: number, r: number, options: LowRankSkewOptions = {}): PreferenceGame {
  integer(n, "n", 1);
  integer(r, "r", 1, 64);
  const opts = checkOptions<LowRankSkewOptions>(options, "lowRankSkew", ["seed", "scale"]);
  const scale = positive(opts.scale ?? 1, "scale");
  if (scale > 1) throw new ValueError(`scale must be in (0, 1] so that entries stay in [0, 1], got ${scale}`);
  const seed = checkSeed(opts.seed ?? 0);
  const eng = getEngine();
  const len = n * 2 * r;
  const buf = eng.f64(len);
  try {
    const rng = new Rng(seed);
    try {
      const state = rng.getState();
      eng.call("rng_fill_normal", { s: inout(state), out: buf, n: len });
      rng.setState(state);
    } finally {
      rng.dispose();
    }
  } catch (e) {
    buf.dispose(); // the game never came to own it
    throw e;
  }
  const w = buf.view;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = i * 2 * r; k < (i + 1) * 2 * r; k++) s += w[k] * w[k];
    if (s > worst) worst = s;
  }
  const f = Math.sqrt((0.5 * scale) / worst);
  for (let k = 0; k < len; k++) w[k] *= f;
  return new PreferenceGame("lowRank", n, r, buf);
}

/** Names accepted by the CLI's --generator. */
export const GENERATORS = ["rps", "dice", "three-type", "sine", "u-triangle", "skew-logit", "bradley-terry"] as const;
/** Names accepted by `generate()` and `seqlearn game --generator`. */
export type GeneratorName = (typeof GENERATORS)[number];

/** Options of `generate`: each generator reads those it needs and ignores the others. */
export interface GenerateOptions extends SeedOption {
  /** Number of actions of the random generators and of "sine". Default 10 (sine: 5). */
  n?: number;
  /** Scale σ of "skew-logit". Default 1. */
  sigma?: number;
  /** Gap ε of "three-type" (≤ 1/3). Default 0.1. */
  eps?: number;
}

/** A game by generator name (the CLI's --generator). */
export function generate(name: GeneratorName, options: GenerateOptions = {}): PreferenceGame {
  const opts = checkOptions<GenerateOptions>(options, "generate", ["n", "seed", "sigma", "eps"]);
  switch (name) {
    case "rps": return rps();
    case "dice": return dice();
    case "three-type": return threeType(opts.eps ?? 0.1);
    case "sine": return sineGame(opts.n ?? 5);
    case "u-triangle": return uTriangle(opts.n ?? 10, { seed: opts.seed });
    case "skew-logit": return skewLogit(opts.n ?? 10, { seed: opts.seed, sigma: opts.sigma });
    case "bradley-terry": {
      const n = opts.n ?? 10;
      const rng = new Rng(checkSeed(opts.seed ?? 0));
      try {
        return bradleyTerry(rng.normal(n));
      } finally {
        rng.dispose();
      }
    }
    default:
      throw new ValueError(`unknown generator ${JSON.stringify(name)}; expected one of ${GENERATORS.join(", ")}`);
  }
}
