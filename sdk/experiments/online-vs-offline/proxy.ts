// The proxy preference model of the online-vs-offline experiment: a Bradley–Terry model whose
// reward sees only unigram counts per prompt, r_proxy(x, y) = Σ_t w[x, y_t], fitted by
// maximum likelihood (with a small ridge) on the golden-labelled offline pairs. The golden
// preference also depends on consecutive token pairs and on a 3-gram, which the proxy cannot
// see: it is misspecified, hence exploitable (Gao et al. 2023; Tang et al. 2024, §3).
//
// The fit is separable over prompts: for each prompt, Newton's method on the penalised
// log-likelihood Σ log σ(w·(φ(y_w) − φ(y_l))) − (ridge/2)|w|², V unknowns, Gaussian elimination
// with partial pivoting, a fixed number of iterations (deterministic: + − × ÷ and detmath).
import { log } from "../../core/detmath.js";
import { sigmoid, type TokenTables } from "../worlds/token-tables.js";

/** A unigram Bradley–Terry reward. */
export class UnigramProxy {
  /** w[x·V + v]. */
  readonly w: Float64Array;
  constructor(private readonly world: TokenTables, w: Float64Array) {
    this.w = w;
  }

  /** r_proxy(x, y). */
  reward(x: number, y: ArrayLike<number>): number {
    const V = this.world.vocab;
    let r = 0;
    for (let t = 0; t < y.length; t++) r += this.w[x * V + y[t]];
    return r;
  }

  /** P_proxy(a ≻ b | x). */
  prefer(x: number, a: ArrayLike<number>, b: ArrayLike<number>): number {
    return sigmoid(this.reward(x, a) - this.reward(x, b));
  }

  /** Fit on pairs (x, winner, loser). */
  static fit(world: TokenTables, xs: ArrayLike<number>, chosen: readonly Int32Array[], rejected: readonly Int32Array[], ridge: number, iterations = 25): UnigramProxy {
    const P = world.prompts, V = world.vocab;
    const w = new Float64Array(P * V);
    const byPrompt: number[][] = Array.from({ length: P }, () => []);
    for (let i = 0; i < xs.length; i++) byPrompt[xs[i]].push(i);
    const d = new Float64Array(V);
    for (let x = 0; x < P; x++) {
      const idx = byPrompt[x];
      const th = new Float64Array(V);
      for (let it = 0; it < iterations; it++) {
        const g = new Float64Array(V);
        const H = new Float64Array(V * V);
        for (let v = 0; v < V; v++) {
          g[v] = -ridge * th[v];
          H[v * V + v] = ridge;
        }
        for (const i of idx) {
          d.fill(0);
          for (const t of chosen[i]) d[t] += 1;
          for (const t of rejected[i]) d[t] -= 1;
          let z = 0;
          for (let v = 0; v < V; v++) z += th[v] * d[v];
          const s = sigmoid(-z); // ∂/∂z log σ(z) = σ(−z)
          const c = s * (1 - s);
          for (let a = 0; a < V; a++) {
            if (d[a] === 0) continue;
            g[a] += s * d[a];
            for (let b = 0; b < V; b++) H[a * V + b] += c * d[a] * d[b];
          }
        }
        const step = solve(H, g, V);
        for (let v = 0; v < V; v++) th[v] += step[v];
      }
      w.set(th, x * V);
    }
    return new UnigramProxy(world, w);
  }

  /** Mean log-likelihood of pairs (winner first) under the proxy. */
  logLikelihood(xs: ArrayLike<number>, chosen: readonly Int32Array[], rejected: readonly Int32Array[]): number {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += log(this.prefer(xs[i], chosen[i], rejected[i]));
    return s / xs.length;
  }
}

/** Solve H s = g (H symmetric positive definite, n × n) by Gaussian elimination with partial pivoting. */
function solve(H: Float64Array, g: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(H), b = Float64Array.from(g);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[p * n + k])) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) [a[k * n + j], a[p * n + j]] = [a[p * n + j], a[k * n + j]];
      [b[k], b[p]] = [b[p], b[k]];
    }
    for (let i = k + 1; i < n; i++) {
      const f = a[i * n + k] / a[k * n + k];
      if (f === 0) continue;
      for (let j = k; j < n; j++) a[i * n + j] -= f * a[k * n + j];
      b[i] -= f * b[k];
    }
  }
  const s = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let r = b[i];
    for (let j = i + 1; j < n; j++) r -= a[i * n + j] * s[j];
    s[i] = r / a[i * n + i];
  }
  return s;
}
