// The small policy interface the stochastic trainers are written against, and its tabular
// softmax implementation. A language-model policy implements the same five methods (with
// X = prompt, Y = completion and logProbs the sequence log-probability) and plugs into the
// same trainers unchanged.
import { ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer, finite, probability } from "../core/validate.js";
import { exp, log } from "../core/detmath.js";
import type { Rng } from "../random/rng.js";
import { MIXTURE } from "./deprecated.js";

/** The `mix` argument of `Policy.sample`: draw from the geometric mixture π^{1−γ}·ref^γ. */
export interface PolicyMix<X = number, Y = number> {
  /** The reference policy μ mixed in. */
  ref: Policy<X, Y>;
  /** Its weight γ ∈ [0, 1] (the `mixture` option of the trainers; TRL `mixture_coef`). The
   *  deprecated name `gamma` is still read by TabularPolicy and SequencePolicy this release. */
  mixture: number;
}

/** Check a `mix` argument; returns its weight and reference (weight 0 and null without one). */
function mixArg<R>(mix: unknown, where: string, ok: (ref: unknown) => ref is R, what: string): { mixture: number; ref: R | null } {
  if (mix === undefined) return { mixture: 0, ref: null };
  const m = checkOptions<{ ref?: unknown; mixture?: number }>(mix, where, ["ref", "mixture"], MIXTURE);
  const mixture = probability(m.mixture, "mix.mixture");
  if (!ok(m.ref)) throw new ValueError(`mix.ref must be ${what}`);
  return { mixture, ref: m.ref };
}

/** What the stochastic trainers need from a policy: sampling, log-probabilities, a gradient step on
 * a weighted log-likelihood, and copies. `TabularPolicy` and `SequencePolicy` implement it; a
 * language-model policy can too. X is the context type, Y the response type. */
export interface Policy<X = number, Y = number> {
  /** One response per context. With `mix`, from the geometric mixture π^{1−γ}·ref^γ, γ =
   *  `mix.mixture` (mixed per step of generation for sequence policies; exact for tabular ones). */
  sample(xs: readonly X[], rng: Rng, mix?: PolicyMix<X, Y>): Y[];
  /** log π(y_i | x_i). */
  logProbs(xs: readonly X[], ys: readonly Y[]): Float64Array;
  /** θ ← θ + lr·Σ_i w_i·∇_θ log π(y_i | x_i)  (ascent on the weighted log-likelihood). */
  applyGradient(xs: readonly X[], ys: readonly Y[], weights: Float64Array, lr: number): void;
  /** An independent copy (prox centres, frozen opponents). */
  snapshot(): Policy<X, Y>;
  /** θ ← θ_other (same architecture). */
  copyFrom(other: Policy<X, Y>): void;
  /** θ ← decay·θ + (1 − decay)·θ_other: an exponential moving average (optional). */
  blend?(other: Policy<X, Y>, decay: number): void;
  /** Every response for x, when enumerable (tabular): enables exact expectations (optional). */
  support?(x: X): Y[];
  /** Per-token log π(y_t | x, y_<t) (optional; sequence policies). With applyTokenGradient it
   *  lets the trainers weight each token's score by the reward-to-go of the KL terms. */
  tokenLogProbs?(xs: readonly X[], ys: readonly Y[]): Float64Array[];
  /** θ ← θ + lr·Σ_i Σ_t w_it·∇_θ log π(y_it | x_i, y_i,<t) (optional). */
  applyTokenGradient?(xs: readonly X[], ys: readonly Y[], weights: Float64Array[], lr: number): void;
  /** log q(y_i | x_i) under the distribution `sample(xs, rng, mix)` draws from (optional; without
   *  `mix`, logProbs): the exact geometric mixture for tabular policies, the product of per-step
   *  mixtures for sequence policies. Feedback "exact" with a mixture weight > 0 takes its
   *  expectations under it, so that the exact step is the mean of the sampled one. */
  sampleLogProbs?(xs: readonly X[], ys: readonly Y[], mix?: PolicyMix<X, Y>): Float64Array;
  /** Free what the policy owns (optional): the trainers call it on the snapshots they make when
   *  they are done with them (a language-model policy's snapshot owns engine memory). */
  dispose?(): void;
}

/**
 * A softmax policy over `actions` responses for each of `contexts` contexts:
 * π(y|x) = softmax(θ_x)_y. Context and response are integer indices.
 */
export class TabularPolicy implements Policy<number, number> {
  /** Number of contexts (rows of the logit table). */
  readonly contexts: number;
  /** Number of actions per context. */
  readonly actions: number;
  /** Logits, contexts × actions, row-major. */
  readonly logits: Float64Array;

  constructor(contexts: number, actions: number, logits?: ArrayLike<number>) {
    this.contexts = integer(contexts, "contexts", 1);
    this.actions = integer(actions, "actions", 1);
    if (contexts * actions > 2 ** 27) throw new ValueError(`a TabularPolicy with ${contexts}×${actions} logits is too large (limit 2^27)`);
    this.logits = new Float64Array(contexts * actions);
    if (logits !== undefined) {
      if (logits.length !== contexts * actions) throw new ShapeError(`logits must have contexts·actions = ${contexts * actions} entries, got ${logits.length}`);
      for (let i = 0; i < logits.length; i++) this.logits[i] = finite(logits[i], `logits[${i}]`);
    }
  }

  /** From probabilities (contexts × actions, every entry > 0). */
  static fromProbs(probs: ArrayLike<number> | ArrayLike<number>[], actions?: number): TabularPolicy {
    const rows: ArrayLike<number>[] = typeof (probs as ArrayLike<unknown>)[0] === "number" ? [probs as ArrayLike<number>] : (probs as ArrayLike<number>[]);
    const n = actions ?? rows[0].length;
    const p = new TabularPolicy(rows.length, n);
    rows.forEach((r, x) => {
      if (r.length !== n) throw new ShapeError(`probs row ${x} has ${r.length} entries, expected ${n}`);
      let s = 0;
      for (let y = 0; y < n; y++) {
        if (!(r[y] > 0)) throw new ValueError(`probs[${x}][${y}] = ${r[y]}; expected > 0`);
        s += r[y];
      }
      if (Math.abs(s - 1) > 1e-9) throw new ValueError(`probs row ${x} sums to ${s}, expected 1`);
      for (let y = 0; y < n; y++) p.logits[x * n + y] = log(r[y]);
    });
    return p;
  }

  /** π(·|x) as probabilities. */
  probs(x = 0): Float64Array {
    this.checkContext(x);
    const n = this.actions, out = new Float64Array(n);
    let m = -Infinity;
    for (let y = 0; y < n; y++) m = Math.max(m, this.logits[x * n + y]);
    let z = 0;
    for (let y = 0; y < n; y++) z += out[y] = exp(this.logits[x * n + y] - m);
    for (let y = 0; y < n; y++) out[y] /= z;
    return out;
  }

  /** log π(·|x). */
  logProbsRow(x = 0): Float64Array {
    this.checkContext(x);
    const n = this.actions, out = new Float64Array(n);
    let m = -Infinity;
    for (let y = 0; y < n; y++) m = Math.max(m, this.logits[x * n + y]);
    let z = 0;
    for (let y = 0; y < n; y++) z += exp(this.logits[x * n + y] - m);
    const lz = m + log(z);
    for (let y = 0; y < n; y++) out[y] = this.logits[x * n + y] - lz;
    return out;
  }

  /** One action per context, by inverse CDF on the engine generator's uniforms; with `mix`,
   *  from the exact geometric mixture π^{1−γ}·ref^γ (ref a TabularPolicy of the same shape). */
  sample(xs: readonly number[], rng: Rng, mix?: PolicyMix<number, number>): number[] {
    const n = this.actions;
    const { mixture: gamma, ref } = mixArg(mix, "TabularPolicy.sample", (r): r is TabularPolicy => r instanceof TabularPolicy && r.actions === n, "a TabularPolicy with the same number of actions");
    const u = rng.uniform(xs.length);
    const out: number[] = new Array(xs.length);
    const cache = new Map<number, Float64Array>();
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      let cdf = cache.get(x);
      if (!cdf) {
        const l = this.logProbsRow(x);
        if (ref) {
          const lr = ref.logProbsRow(x);
          for (let y = 0; y < n; y++) l[y] = (1 - gamma) * l[y] + gamma * lr[y];
        }
        let m = -Infinity;
        for (let y = 0; y < n; y++) m = Math.max(m, l[y]);
        cdf = new Float64Array(n);
        let z = 0;
        for (let y = 0; y < n; y++) cdf[y] = z += exp(l[y] - m);
        for (let y = 0; y < n; y++) cdf[y] /= z;
        cache.set(x, cdf);
      }
      // inverse CDF (n is small for tabular policies)
      let y = 0;
      while (y < n - 1 && u[i] >= cdf[y]) y++;
      out[i] = y;
    }
    return out;
  }

  logProbs(xs: readonly number[], ys: readonly number[]): Float64Array {
    if (xs.length !== ys.length) throw new ShapeError(`xs has ${xs.length} entries but ys has ${ys.length}`);
    const out = new Float64Array(xs.length);
    const cache = new Map<number, Float64Array>();
    for (let i = 0; i < xs.length; i++) {
      let l = cache.get(xs[i]);
      if (!l) cache.set(xs[i], (l = this.logProbsRow(xs[i])));
      this.checkAction(ys[i]);
      out[i] = l[ys[i]];
    }
    return out;
  }

  /** log q(y|x) of the exact geometric mixture q ∝ π^{1−γ}·ref^γ that `sample` draws from with
   *  `mix` (logProbs without it). */
  sampleLogProbs(xs: readonly number[], ys: readonly number[], mix?: PolicyMix<number, number>): Float64Array {
    const n = this.actions;
    const { mixture: gamma, ref } = mixArg(mix, "TabularPolicy.sampleLogProbs", (r): r is TabularPolicy => r instanceof TabularPolicy && r.actions === n, "a TabularPolicy with the same number of actions");
    if (!ref) return this.logProbs(xs, ys);
    if (xs.length !== ys.length) throw new ShapeError(`xs has ${xs.length} entries but ys has ${ys.length}`);
    const out = new Float64Array(xs.length);
    const cache = new Map<number, Float64Array>();
    for (let i = 0; i < xs.length; i++) {
      let l = cache.get(xs[i]);
      if (!l) {
        l = this.logProbsRow(xs[i]);
        const lr = ref.logProbsRow(xs[i]);
        let m = -Infinity;
        for (let y = 0; y < n; y++) m = Math.max(m, (l[y] = (1 - gamma) * l[y] + gamma * lr[y]));
        let z = 0;
        for (let y = 0; y < n; y++) z += exp(l[y] - m);
        const lz = m + log(z);
        for (let y = 0; y < n; y++) l[y] -= lz;
        cache.set(xs[i], l);
      }
      this.checkAction(ys[i]);
      out[i] = l[ys[i]];
    }
    return out;
  }

  applyGradient(xs: readonly number[], ys: readonly number[], weights: Float64Array, lr: number): void {
    if (xs.length !== ys.length || weights.length !== xs.length) throw new ShapeError(`xs, ys and weights must have the same length, got ${xs.length}, ${ys.length}, ${weights.length}`);
    finite(lr, "lr");
    const n = this.actions;
    // ∇_θx log π(y|x) = e_y − π(·|x): accumulate Σ w per context, then subtract π·Σw.
    const wsum = new Map<number, number>();
    const delta = new Float64Array(this.logits.length);
    for (let i = 0; i < xs.length; i++) {
      this.checkContext(xs[i]);
      this.checkAction(ys[i]);
      const w = weights[i];
      if (!Number.isFinite(w)) throw new ValueError(`weights[${i}] is ${w}; expected a finite number`);
      delta[xs[i] * n + ys[i]] += w;
      wsum.set(xs[i], (wsum.get(xs[i]) ?? 0) + w);
    }
    for (const [x, s] of wsum) {
      const p = this.probs(x);
      for (let y = 0; y < n; y++) delta[x * n + y] -= s * p[y];
    }
    for (let k = 0; k < delta.length; k++) this.logits[k] += lr * delta[k];
  }

  snapshot(): TabularPolicy {
    return new TabularPolicy(this.contexts, this.actions, this.logits);
  }

  copyFrom(other: Policy<number, number>): void {
    if (!(other instanceof TabularPolicy) || other.logits.length !== this.logits.length) throw new ValueError("copyFrom: expected a TabularPolicy of the same shape");
    this.logits.set(other.logits);
  }

  blend(other: Policy<number, number>, decay: number): void {
    if (!(other instanceof TabularPolicy) || other.logits.length !== this.logits.length) throw new ValueError("blend: expected a TabularPolicy of the same shape");
    probability(decay, "decay");
    for (let k = 0; k < this.logits.length; k++) this.logits[k] = decay * this.logits[k] + (1 - decay) * other.logits[k];
  }

  support(x: number): number[] {
    this.checkContext(x);
    return Array.from({ length: this.actions }, (_, y) => y);
  }

  private checkContext(x: number): void {
    if (!Number.isInteger(x) || x < 0 || x >= this.contexts) throw new ValueError(`context ${x} is out of range; expected an integer in [0, ${this.contexts - 1}]`);
  }

  private checkAction(y: number): void {
    if (!Number.isInteger(y) || y < 0 || y >= this.actions) throw new ValueError(`response ${y} is out of range; expected an integer in [0, ${this.actions - 1}]`);
  }
}

/**
 * An autoregressive tabular policy over token sequences of fixed length L from a vocabulary
 * of V tokens: π(y|x) = Π_t softmax(θ[x, y_<t])_{y_t}, one logit row per (context, prefix).
 * It behaves like a (very small) language model — sequence log-probabilities, per-token
 * mixing with a reference, a log-likelihood gradient summed over tokens — so it exercises the
 * trainers exactly as an LM policy would. L = 1 is a TabularPolicy.
 * Responses are arrays of L token ids.
 */
export class SequencePolicy implements Policy<number, number[]> {
  /** Number of contexts. */
  readonly contexts: number;
  /** Vocabulary size (tokens per step). */
  readonly vocab: number;
  /** Sequence length (tokens per response). */
  readonly length: number;
  /** Prefix nodes per context: 1 + V + … + V^{L−1}. */
  readonly nodes: number;
  /** Logits, contexts × nodes × vocab. */
  readonly logits: Float64Array;

  constructor(contexts: number, vocab: number, length: number, logits?: ArrayLike<number>) {
    this.contexts = integer(contexts, "contexts", 1);
    this.vocab = integer(vocab, "vocab", 1);
    this.length = integer(length, "length", 1, 16);
    let nodes = 0;
    for (let t = 0, p = 1; t < length; t++, p *= vocab) nodes += p;
    if (nodes * vocab * contexts > 1 << 24) throw new ValueError(`a SequencePolicy with ${contexts}×${nodes}×${vocab} logits is too large (limit 2^24)`);
    this.nodes = nodes;
    this.logits = new Float64Array(contexts * nodes * vocab);
    if (logits !== undefined) {
      if (logits.length !== this.logits.length) throw new ShapeError(`logits must have ${this.logits.length} entries, got ${logits.length}`);
      for (let i = 0; i < logits.length; i++) this.logits[i] = finite(logits[i], `logits[${i}]`);
    }
  }

  /** Offset of the logit row of prefix y_<t in context x (prefix nodes in breadth-first order). */
  private row(x: number, y: ArrayLike<number>, t: number): number {
    let node = 0, first = 0, width = 1;
    for (let s = 0; s < t; s++) {
      node = node * this.vocab + y[s];
      first += width;
      width *= this.vocab;
    }
    return (x * this.nodes + first + node) * this.vocab;
  }

  private rowLogSoftmax(off: number, out: Float64Array, ref?: SequencePolicy, gamma = 0): void {
    const V = this.vocab;
    let m = -Infinity;
    for (let v = 0; v < V; v++) {
      out[v] = ref ? (1 - gamma) * this.logits[off + v] + gamma * ref.logits[off + v] : this.logits[off + v];
      m = Math.max(m, out[v]);
    }
    let z = 0;
    for (let v = 0; v < V; v++) z += exp(out[v] - m);
    const lz = m + log(z);
    for (let v = 0; v < V; v++) out[v] -= lz;
  }

  private check(x: number, y?: ArrayLike<number>): void {
    if (!Number.isInteger(x) || x < 0 || x >= this.contexts) throw new ValueError(`context ${x} is out of range; expected an integer in [0, ${this.contexts - 1}]`);
    if (y !== undefined) {
      if (!y || y.length !== this.length) throw new ShapeError(`a response must be ${this.length} tokens, got ${y?.length}`);
      for (let t = 0; t < y.length; t++) if (!Number.isInteger(y[t]) || y[t] < 0 || y[t] >= this.vocab) throw new ValueError(`token ${t} = ${y[t]} is out of range [0, ${this.vocab - 1}]`);
    }
  }

  /** Token by token; with `mix`, each step samples from softmax((1−γ)·z_θ + γ·z_ref), γ =
   *  `mix.mixture` — the per-token geometric mixture (not the sequence-level one; Munos et al.
   *  2024, App. F.1). */
  sample(xs: readonly number[], rng: Rng, mix?: PolicyMix<number, number[]>): number[][] {
    const m = mixArg(mix, "SequencePolicy.sample", (r): r is SequencePolicy => r instanceof SequencePolicy && r.logits.length === this.logits.length, "a SequencePolicy of the same shape");
    const ref = m.ref ?? undefined, gamma = m.mixture;
    const L = this.length, V = this.vocab;
    const u = rng.uniform(xs.length * L);
    const lp = new Float64Array(V);
    return xs.map((x, i) => {
      this.check(x);
      const y: number[] = [];
      for (let t = 0; t < L; t++) {
        this.rowLogSoftmax(this.row(x, y, t), lp, ref, gamma);
        let v = 0, c = exp(lp[0]);
        while (v < V - 1 && u[i * L + t] >= c) c += exp(lp[++v]);
        y.push(v);
      }
      return y;
    });
  }

  logProbs(xs: readonly number[], ys: readonly number[][]): Float64Array {
    if (xs.length !== ys.length) throw new ShapeError(`xs has ${xs.length} entries but ys has ${ys.length}`);
    const lp = new Float64Array(this.vocab);
    return Float64Array.from(xs, (x, i) => {
      this.check(x, ys[i]);
      let s = 0;
      for (let t = 0; t < this.length; t++) {
        this.rowLogSoftmax(this.row(x, ys[i], t), lp);
        s += lp[ys[i][t]];
      }
      return s;
    });
  }

  /** log q(y|x) under what `sample` draws from with `mix`: the product over steps of the per-token
   *  mixtures softmax((1−γ)·z_θ + γ·z_ref) (logProbs without `mix`). */
  sampleLogProbs(xs: readonly number[], ys: readonly number[][], mix?: PolicyMix<number, number[]>): Float64Array {
    const m = mixArg(mix, "SequencePolicy.sampleLogProbs", (r): r is SequencePolicy => r instanceof SequencePolicy && r.logits.length === this.logits.length, "a SequencePolicy of the same shape");
    if (!m.ref) return this.logProbs(xs, ys);
    if (xs.length !== ys.length) throw new ShapeError(`xs has ${xs.length} entries but ys has ${ys.length}`);
    const lp = new Float64Array(this.vocab);
    return Float64Array.from(xs, (x, i) => {
      this.check(x, ys[i]);
      let s = 0;
      for (let t = 0; t < this.length; t++) {
        this.rowLogSoftmax(this.row(x, ys[i], t), lp, m.ref!, m.mixture);
        s += lp[ys[i][t]];
      }
      return s;
    });
  }

  /** Per-token log-probabilities log π(y_t | x, y_<t). */
  tokenLogProbs(xs: readonly number[], ys: readonly number[][]): Float64Array[] {
    if (xs.length !== ys.length) throw new ShapeError(`xs has ${xs.length} entries but ys has ${ys.length}`);
    const lp = new Float64Array(this.vocab);
    return xs.map((x, i) => {
      this.check(x, ys[i]);
      const out = new Float64Array(this.length);
      for (let t = 0; t < this.length; t++) {
        this.rowLogSoftmax(this.row(x, ys[i], t), lp);
        out[t] = lp[ys[i][t]];
      }
      return out;
    });
  }

  /** θ ← θ + lr·Σ_i w_i·Σ_t ∇ log π(y_it | x_i, y_i,<t). */
  applyGradient(xs: readonly number[], ys: readonly number[][], weights: Float64Array, lr: number): void {
    if (weights.length !== xs.length) throw new ShapeError(`xs and weights must have the same length, got ${xs.length}, ${weights.length}`);
    this.applyTokenGradient(xs, ys, Array.from(weights, (w) => new Float64Array(this.length).fill(w)), lr);
  }

  /** θ ← θ + lr·Σ_i Σ_t w_it·∇ log π(y_it | x_i, y_i,<t). */
  applyTokenGradient(xs: readonly number[], ys: readonly number[][], weights: Float64Array[], lr: number): void {
    if (xs.length !== ys.length || weights.length !== xs.length) throw new ShapeError(`xs, ys and weights must have the same length, got ${xs.length}, ${ys.length}, ${weights.length}`);
    finite(lr, "lr");
    const V = this.vocab, delta = new Float64Array(this.logits.length), lp = new Float64Array(V);
    for (let i = 0; i < xs.length; i++) {
      this.check(xs[i], ys[i]);
      if (!weights[i] || weights[i].length !== this.length) throw new ShapeError(`weights[${i}] must have one entry per token (${this.length})`);
      for (let t = 0; t < this.length; t++) {
        const w = weights[i][t];
        if (!Number.isFinite(w)) throw new ValueError(`weights[${i}][${t}] is ${w}; expected a finite number`);
        const off = this.row(xs[i], ys[i], t);
        this.rowLogSoftmax(off, lp);
        for (let v = 0; v < V; v++) delta[off + v] -= w * exp(lp[v]);
        delta[off + ys[i][t]] += w;
      }
    }
    for (let k = 0; k < delta.length; k++) this.logits[k] += lr * delta[k];
  }

  snapshot(): SequencePolicy {
    return new SequencePolicy(this.contexts, this.vocab, this.length, this.logits);
  }

  copyFrom(other: Policy<number, number[]>): void {
    if (!(other instanceof SequencePolicy) || other.logits.length !== this.logits.length) throw new ValueError("copyFrom: expected a SequencePolicy of the same shape");
    this.logits.set(other.logits);
  }

  /** θ ← decay·θ + (1 − decay)·θ_other. With a reference this gives per-token mixtures. */
  blend(other: Policy<number, number[]>, decay: number): void {
    if (!(other instanceof SequencePolicy) || other.logits.length !== this.logits.length) throw new ValueError("blend: expected a SequencePolicy of the same shape");
    probability(decay, "decay");
    for (let k = 0; k < this.logits.length; k++) this.logits[k] = decay * this.logits[k] + (1 - decay) * other.logits[k];
  }

  /** Every sequence, in lexicographic order (index = Σ_t y_t·V^{L−1−t}). */
  support(x: number): number[][] {
    this.check(x);
    const out: number[][] = [];
    let total = 1;
    for (let t = 0; t < this.length; t++) total *= this.vocab; // exact integer V^L
    for (let k = 0; k < total; k++) {
      const y = new Array(this.length);
      let r = k;
      for (let t = this.length - 1; t >= 0; t--) {
        y[t] = r % this.vocab;
        r = Math.floor(r / this.vocab);
      }
      out.push(y);
    }
    return out;
  }
}
