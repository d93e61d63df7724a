// A toy world of prompts and fixed-length responses whose quality is an explicit program: an
// additive utility of the response's tokens given the prompt (a table A[x, v]), of its
// consecutive token pairs (a table B[u, v]) and, optionally, a bonus for containing one given
// 3-gram. It is the ground truth of the alignment experiments `online-vs-offline` (the golden
// preference model of Tang et al. 2024 is σ(u(y) − u(y′))) and `dro-vs-kto` (the hidden utility
// behind the thumbs of Richemond et al. 2024). Responses are |V|^L in number (8^8 = 16.7M and
// 12^6 = 3M for the two experiments): too many to enumerate, so the policy has to generalise.
//
// The world also provides what both experiments do with it: the token layout of a WindowMLP
// policy with a prompt embedding (one BOS prompt token, the prompt id carried by the embedding),
// a tempered random bigram language model that produces the SFT demonstrations (unrelated to
// the utility: the SFT policy is mediocre), the SFT policy itself (SftTrainer), and the
// evaluation of a policy against a reference: samples, sequence log-probabilities, the exact
// KL(π‖π_ref) summed along sampled prefixes (the chain rule: E_y∼π Σ_t KL(π(·|y<t)‖π_ref(·|y<t))
// equals KL over whole sequences, and each term is computed exactly over the vocabulary).
//
// Determinism: every table and every sample comes from an Rng stream of the seed; host
// arithmetic is + − × ÷ and core/detmath.
import { exp } from "../../core/detmath.js";
import { Rng } from "../../random/rng.js";
import { LanguageModel } from "../../align/model.js";
import { sample } from "../../align/sample.js";
import { tokenDivergence } from "../../align/losses.js";
import { SftTrainer } from "../../align/trainers/sft.js";
import type { Example, PreferenceExample, Segment, SequenceExample } from "../../align/data.js";

/** What a token-tables world is made of. */
export interface TokenTablesSpec {
  /** Prompts P (ids 0 … P − 1, carried by the policy's prompt embedding). */
  prompts: number;
  /** Content tokens V (ids 0 … V − 1; id V is BOS/PAD). */
  tokens: number;
  /** Response length L (every response has exactly L tokens; no EOS). */
  length: number;
  /** Standard deviation of the prompt-token table A. */
  unigramScale: number;
  /** Standard deviation of the token-pair table B. */
  bigramScale: number;
  /** Bonus for a response containing the world's 3-gram (0: none). */
  trigramBonus: number;
}

/** σ(z), computed without overflow. */
export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)));

/** Prompts × fixed-length responses with an additive utility u(x, y) = Σ_t A[x, y_t] +
 *  Σ_{t>0} B[y_{t−1}, y_t] + bonus·1[the 3-gram occurs in y], then `(u − shift) / scale`. */
export class TokenTables {
  /** P. */
  readonly prompts: number;
  /** V (content tokens). */
  readonly tokens: number;
  /** L. */
  readonly length: number;
  /** The BOS / PAD id (= V). */
  readonly bos: number;
  /** The model vocabulary (V + 1). */
  readonly vocab: number;
  /** A[x·(V + 1) + v] (v ranges over the whole vocabulary, BOS included). */
  readonly A: Float64Array;
  /** B[u·(V + 1) + v]. */
  readonly B: Float64Array;
  /** The 3-gram. */
  readonly trigram: [number, number, number];
  /** Its bonus. */
  readonly bonus: number;
  /** Subtracted from the raw utility (standardisation; default 0). */
  shift = 0;
  /** Divides the shifted utility (default 1). */
  scale = 1;

  constructor(spec: TokenTablesSpec, rng: Rng) {
    const { prompts: P, tokens: V } = spec;
    this.prompts = P;
    this.tokens = V;
    this.length = spec.length;
    this.bos = V;
    this.vocab = V + 1;
    // The tables cover the BOS id too: a policy can sample it inside a response (the SFT source
    // never does), and then it is one more token with a utility of its own.
    const W = V + 1;
    this.A = rng.normal(P * W).map((z) => z * spec.unigramScale);
    this.B = rng.normal(W * W).map((z) => z * spec.bigramScale);
    this.trigram = [rng.below(V), rng.below(V), rng.below(V)];
    this.bonus = spec.trigramBonus;
  }

  /** The raw utility (before shift and scale). */
  raw(x: number, y: ArrayLike<number>): number {
    const V = this.vocab;
    let u = 0;
    let hit = false;
    for (let t = 0; t < y.length; t++) {
      u += this.A[x * V + y[t]];
      if (t > 0) u += this.B[y[t - 1] * V + y[t]];
      if (t > 1 && y[t - 2] === this.trigram[0] && y[t - 1] === this.trigram[1] && y[t] === this.trigram[2]) hit = true;
    }
    return hit ? u + this.bonus : u;
  }

  /** The utility u(x, y) = (raw − shift) / scale. */
  utility(x: number, y: ArrayLike<number>): number {
    return (this.raw(x, y) - this.shift) / this.scale;
  }

  /** Whether y contains the 3-gram. */
  hasTrigram(y: ArrayLike<number>): boolean {
    for (let t = 2; t < y.length; t++) if (y[t - 2] === this.trigram[0] && y[t - 1] === this.trigram[1] && y[t] === this.trigram[2]) return true;
    return false;
  }

  /** Standardise: set shift and scale so that the utility of these responses has mean 0 and
   *  standard deviation 1. */
  standardise(xs: ArrayLike<number>, ys: readonly ArrayLike<number>[]): void {
    const n = ys.length;
    let s = 0;
    for (let i = 0; i < n; i++) s += this.raw(xs[i], ys[i]);
    const m = s / n;
    let q = 0;
    for (let i = 0; i < n; i++) {
      const d = this.raw(xs[i], ys[i]) - m;
      q += d * d;
    }
    this.shift = m;
    this.scale = Math.sqrt(q / (n - 1));
  }

  /** The prompt tokens (a lone BOS; the prompt id goes to the embedding). */
  promptTokens(): Int32Array {
    return Int32Array.of(this.bos);
  }

  /** A WindowMLP policy for this world (prompt embedding, context L + 1, PAD = BOS). */
  policy(hidden: number, seed: number, valueHead = false): LanguageModel {
    return LanguageModel.create(
      { kind: "window-mlp", vocab: this.vocab, context: this.length + 1, width: 16, hidden, window: 4, promptVocab: this.prompts, pad: this.bos, valueHead },
      { seed },
    );
  }

  /** A prompt segment (BOS, not trained). */
  promptSegment(): Segment {
    return { tokens: this.promptTokens(), trained: Uint8Array.of(0) };
  }

  /** A response segment (trained). */
  responseSegment(y: Int32Array): Segment {
    return { tokens: y, trained: new Uint8Array(y.length).fill(1) };
  }

  /** A preference example (line = its index + 1). */
  pair(index: number, chosen: Int32Array, rejected: Int32Array): PreferenceExample {
    return { layout: "preference", line: index + 1, prompt: this.promptSegment(), chosen: this.responseSegment(chosen), rejected: this.responseSegment(rejected) };
  }

  /** A completion example (line = its index + 1). */
  completion(index: number, y: Int32Array): SequenceExample {
    return { layout: "completion", line: index + 1, prompt: this.promptSegment(), completion: this.responseSegment(y) };
  }

  /** Prompt ids for n draws spread evenly over the prompts (i mod P). */
  spread(n: number): Int32Array {
    return Int32Array.from({ length: n }, (_, i) => i % this.prompts);
  }
}

/** A random tempered bigram language model over the content tokens: per prompt a first-token
 *  distribution and a transition table, logits N(0, 1)·sharpness (large sharpness: peaked,
 *  low entropy). Samples the SFT demonstrations. */
export class BigramSource {
  private readonly first: Float64Array;
  private readonly next: Float64Array;
  constructor(private readonly world: TokenTables, sharpness: number, rng: Rng) {
    const P = world.prompts, V = world.tokens;
    this.first = softmaxRows(rng.normal(P * V), V, sharpness);
    this.next = softmaxRows(rng.normal(P * V * V), V, sharpness);
  }

  /** n responses for the prompts `xs` (one uniform per token from `rng`). */
  sample(xs: ArrayLike<number>, rng: Rng): Int32Array[] {
    const V = this.world.tokens, L = this.world.length;
    const u = rng.uniform(xs.length * L);
    const out: Int32Array[] = [];
    for (let i = 0; i < xs.length; i++) {
      const y = new Int32Array(L);
      for (let t = 0; t < L; t++) {
        const row = t === 0 ? xs[i] * V : (xs[i] * V + y[t - 1]) * V;
        const p = t === 0 ? this.first : this.next;
        let c = 0, v = 0;
        const r = u[i * L + t];
        for (; v < V - 1; v++) {
          c += p[row + v];
          if (r < c) break;
        }
        y[t] = v;
      }
      out.push(y);
    }
    return out;
  }
}

function softmaxRows(z: Float64Array, V: number, s: number): Float64Array {
  const out = new Float64Array(z.length);
  for (let r = 0; r < z.length; r += V) {
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, z[r + v] * s);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += (out[r + v] = exp(z[r + v] * s - m));
    for (let v = 0; v < V; v++) out[r + v] /= sum;
  }
  return out;
}

/** Options of `trainSft`. */
export interface SftOptions {
  /** Demonstrations. */
  examples: number;
  /** Passes over them. */
  epochs: number;
  /** Sequences per step. */
  batchSize: number;
  /** AdamW learning rate. */
  lr: number;
}

/** Train `model` by maximum likelihood (SftTrainer) on demonstrations from `source`; returns
 *  the tokens trained on. */
export async function trainSft(world: TokenTables, model: LanguageModel, source: BigramSource, o: SftOptions, seed: number, stream: number, signal?: AbortSignal): Promise<number> {
  const rng = new Rng(seed, stream);
  const xs = world.spread(o.examples);
  const ys = source.sample(xs, rng);
  rng.dispose();
  const data = ys.map((y, i) => world.completion(i, y));
  const t = new SftTrainer(model, {
    data, batchSize: o.batchSize, epochs: o.epochs, seed, optimizer: { lr: o.lr }, logEvery: 1_000_000,
    promptId: (e: Example) => xs[e.line - 1],
  });
  try {
    await t.train({ signal });
  } finally {
    t.dispose();
  }
  return o.examples * o.epochs * world.length;
}

/** n responses from `model` (temperature 1) for the prompt ids `xs`. */
export function sampleResponses(world: TokenTables, model: LanguageModel, xs: Int32Array, rng: Rng, chunk = 1024): Int32Array[] {
  const out: Int32Array[] = [];
  for (let s = 0; s < xs.length; s += chunk) {
    const ids = xs.subarray(s, Math.min(xs.length, s + chunk));
    const prompts = Array.from(ids, () => world.promptTokens());
    out.push(...sample(model, prompts, { rng, maxNewTokens: world.length, temperature: 1, promptIds: ids }).completions);
  }
  return out;
}

/** Model inputs [BOS, y_1 … y_{L−1}] of responses. */
function inputsOf(world: TokenTables, ys: readonly Int32Array[]): Int32Array[] {
  return ys.map((y) => {
    const r = new Int32Array(world.length);
    r[0] = world.bos;
    r.set(y.subarray(0, world.length - 1), 1);
    return r;
  });
}

/** log π(y | x) summed over the response, per response. */
export function sequenceLogProbs(world: TokenTables, model: LanguageModel, xs: Int32Array, ys: readonly Int32Array[], chunk = 1024): Float64Array {
  const out = new Float64Array(ys.length);
  for (let s = 0; s < ys.length; s += chunk) {
    const e = Math.min(ys.length, s + chunk);
    const part = ys.slice(s, e);
    out.set(model.logProbs({ inputs: inputsOf(world, part), targets: part, promptIds: xs.subarray(s, e) }).sums, s);
  }
  return out;
}

/** Σ_t KL(π(·|x, y<t) ‖ π_ref(·|x, y<t)) per response (exact over the vocabulary at every prefix):
 *  averaged over y ∼ π, the sequence KL(π‖π_ref). */
export function prefixKl(world: TokenTables, model: LanguageModel, ref: LanguageModel, xs: Int32Array, ys: readonly Int32Array[], chunk = 512): Float64Array {
  const out = new Float64Array(ys.length);
  const L = world.length;
  for (let s = 0; s < ys.length; s += chunk) {
    const e = Math.min(ys.length, s + chunk);
    const inputs = inputsOf(world, ys.slice(s, e));
    const ids = xs.subarray(s, e);
    const a = model.logits(inputs, { promptIds: ids });
    const b = ref.logits(inputs, { promptIds: ids });
    const kl = tokenDivergence("rkl", a, b, { vocab: world.vocab, reduction: "sum" }).perToken;
    for (let i = 0; i < e - s; i++) {
      let k = 0;
      for (let t = 0; t < L; t++) k += kl[i * L + t];
      out[s + i] = k;
    }
  }
  return out;
}

/** Golden-labelled pairs: two responses per prompt id from `model`, the label drawn from
 *  P(y ≻ y′) = σ(u(y) − u(y′)) (one uniform per pair from `rng`), oriented winner first. */
export function labelledPairs(world: TokenTables, model: LanguageModel, n: number, rng: Rng): { xs: Int32Array; chosen: Int32Array[]; rejected: Int32Array[] } {
  const xs = world.spread(n);
  const twice = Int32Array.from({ length: 2 * n }, (_, i) => xs[i >> 1]);
  const ys = sampleResponses(world, model, twice, rng);
  const u = rng.uniform(n);
  const chosen: Int32Array[] = [], rejected: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    const a = ys[2 * i], b = ys[2 * i + 1];
    const p = sigmoid(world.utility(xs[i], a) - world.utility(xs[i], b));
    if (u[i] < p) chosen.push(a), rejected.push(b);
    else chosen.push(b), rejected.push(a);
  }
  return { xs, chosen, rejected };
}


