// Preference models over a finite action set {0..n−1}: P(i ≻ j) with P + Pᵀ = 11ᵀ.
// A PreferenceGame keeps its operator in engine memory (so solvers never copy it) in one of
// two forms: a dense n×n matrix, or the implicit low-rank skew form
// P = ½·11ᵀ + U·Vᵀ − V·Uᵀ (U, V n×r), whose products P·x cost O(n·r).
import { getEngine, input, output, scratch, PreferenceKind, type WasmBuffer } from "../engine/index.js";
import { EngineResource } from "../engine/resource.js";
import { ShapeError, ValueError } from "../core/errors.js";
import { checkOptions, deprecationWarning } from "../core/options.js";
import { Matrix, asMatrix, asVector, type MatrixLike, type VectorLike } from "../core/matrix.js";
import { integer, shown } from "../core/validate.js";
import { exp, log } from "../core/detmath.js";
import { REF_POLICY } from "./deprecated.js";

/** How a game stores P: a dense n×n matrix, or low-rank factors (P = ½ + UVᵀ − VUᵀ). */
export type GameKind = "dense" | "lowRank";

/** The engine's code for each storage form (PreferenceKind, assembly/games/pref.ts). */
export const KIND_CODE: Record<GameKind, PreferenceKind> = { dense: PreferenceKind.DENSE, lowRank: PreferenceKind.LOWRANK };

/** Options of `PreferenceGame.fromMatrix`. */
export interface DenseOptions {
  /** Tolerance on |P_ij + P_ji − 1|. Default 1e-12. */
  tol?: number;
}

/** A preference game over n actions: P(i ≻ j) for every pair, held in engine memory (dense or
 * low-rank). Build one with `fromMatrix`, `lowRank`, `bradleyTerry` or a generator
 * (`games.rps()`, …); `dispose()` it when done (or declare it with `using`). Any use after
 * dispose() raises EngineStateError. */
export class PreferenceGame extends EngineResource {
  /** Number of actions. */
  readonly n: number;
  /** "dense" or "lowRank". */
  readonly kind: GameKind;
  /** r for the low-rank form, 0 for dense. */
  readonly rank: number;
  /** @internal P (dense) or W = [U | V] row-major n×2r (low rank), in engine memory. */
  readonly buf: WasmBuffer<Float64Array>;

  /** @internal use the static constructors. */
  constructor(kind: GameKind, n: number, rank: number, buf: WasmBuffer<Float64Array>) {
    super();
    this.kind = kind;
    this.n = n;
    this.rank = rank;
    this.buf = buf;
  }

  /**
   * A dense preference matrix: P[i][j] = P(i ≻ j) ∈ [0, 1] with P[i][j] + P[j][i] = 1 (so the
   * diagonal is ½). Throws ValueError naming the first violating entry.
   */
  static fromMatrix(P: MatrixLike, options: DenseOptions = {}): PreferenceGame {
    const opts = checkOptions<DenseOptions>(options, "PreferenceGame.fromMatrix", ["tol"]);
    const m = asMatrix(P, "P", { square: true });
    const tol = opts.tol ?? 1e-12;
    if (!(tol >= 0)) throw new ValueError(`tol must be ≥ 0, got ${tol}`);
    const n = m.rows;
    if (n < 1) throw new ShapeError("P: a preference matrix needs at least one action, got 0×0");
    const d = m.data;
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const a = d[i * n + j], b = d[j * n + i];
        if (!(a >= 0 && a <= 1)) throw new ValueError(`P[${i}, ${j}] = ${a} is not a probability; a preference matrix has entries in [0, 1]`);
        if (!(b >= 0 && b <= 1)) throw new ValueError(`P[${j}, ${i}] = ${b} is not a probability; a preference matrix has entries in [0, 1]`);
        if (!(Math.abs(a + b - 1) <= tol)) {
          throw new ValueError(`P is not a preference matrix: P[${i}, ${j}] + P[${j}, ${i}] = ${a + b}, expected 1 (P + Pᵀ = 1 within ${tol})`);
        }
      }
    }
    const buf = getEngine().f64(n * n).set(d);
    return new PreferenceGame("dense", n, 0, buf);
  }

  /**
   * The implicit low-rank skew game P = ½ + U·Vᵀ − V·Uᵀ (U, V: n×r). Entries must lie in
   * the range 0…1: accepted when max_i (‖u_i‖² + ‖v_i‖²) ≤ ½ (which bounds every |P_ij − ½| by ½),
   * otherwise checked entry by entry for n ≤ 2048, otherwise a ValueError asks to rescale.
   */
  static lowRank(U: MatrixLike, V: MatrixLike): PreferenceGame {
    const u = asMatrix(U, "U"), v = asMatrix(V, "V");
    if (u.rows !== v.rows || u.cols !== v.cols) throw new ShapeError(`U is ${u.rows}×${u.cols} but V is ${v.rows}×${v.cols}; both must be n×r`);
    const n = u.rows, r = u.cols;
    if (n < 1 || r < 1) throw new ShapeError(`U and V must be n×r with n ≥ 1 and r ≥ 1, got ${n}×${r}`);
    const w = new Float64Array(n * 2 * r);
    for (let i = 0; i < n; i++) {
      w.set(u.data.subarray(i * r, (i + 1) * r), i * 2 * r);
      w.set(v.data.subarray(i * r, (i + 1) * r), i * 2 * r + r);
    }
    return PreferenceGame.fromPacked(w, n, r);
  }

  /** @internal W = [U | V] row-major n×2r, validated, copied to the engine. */
  static fromPacked(w: Float64Array, n: number, r: number, checked = false): PreferenceGame {
    if (!checked) checkLowRank(w, n, r);
    const buf = getEngine().f64(n * 2 * r).set(w);
    return new PreferenceGame("lowRank", n, r, buf);
  }

  /** Bradley–Terry preferences P(i ≻ j) = σ(r_i − r_j) (transitive). */
  static bradleyTerry(rewards: VectorLike): PreferenceGame {
    const r = asVector(rewards, "rewards");
    const n = r.length;
    if (n < 1) throw new ShapeError("rewards: need at least one action");
    // σ(r_i − r_j) with the engine's exp (identical in every runtime)
    const d = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = -Math.abs(r[i] - r[j]);
    const e = getEngine().call("vexp", { x: input(d), out: output(n * n), n: n * n }).output("out");
    const P = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      P[i * n + i] = 0.5;
      for (let j = i + 1; j < n; j++) {
        const k = i * n + j;
        const p = r[i] >= r[j] ? 1 / (1 + e[k]) : e[k] / (1 + e[k]);
        P[k] = p;
        P[j * n + i] = 1 - p;
      }
    }
    return PreferenceGame.fromMatrix(new Matrix(n, n, P));
  }

  /** P(i ≻ j). */
  prob(i: number, j: number): number {
    this.check();
    integer(i, "i", 0, this.n - 1);
    integer(j, "j", 0, this.n - 1);
    return this.entry(i, j);
  }

  /** @internal unchecked P(i ≻ j). */
  entry(i: number, j: number): number {
    const d = this.buf.view;
    if (this.kind === "dense") return d[i * this.n + j];
    const r = this.rank, r2 = 2 * r;
    let s = 0.5;
    for (let k = 0; k < r; k++) s += d[i * r2 + k] * d[j * r2 + r + k] - d[i * r2 + r + k] * d[j * r2 + k];
    return s;
  }

  /** P·x (for a policy x: the vector of win probabilities P(y ≻ x)). */
  apply(x: VectorLike): Float64Array {
    this.check();
    const v = asVector(x, "x", { length: this.n });
    const eng = getEngine();
    const work = eng.call("games_workspace_size", { n: this.n, r: this.rank }).ret;
    return eng.call("games_apply", { kind: KIND_CODE[this.kind], a: this.buf, r: this.rank, n: this.n, x: input(v), out: output(this.n), work: scratch(work) }).output("out");
  }

  /** P(π ≻ π′) = πᵀ·P·π′. */
  winRate(pi: VectorLike, piPrime: VectorLike): number {
    const p = asVector(pi, "pi", { length: this.n });
    const g = this.apply(piPrime);
    let s = 0;
    for (let i = 0; i < this.n; i++) s += p[i] * g[i];
    return s;
  }

  /** The dense matrix (for the low-rank form only when n ≤ 4096). */
  toMatrix(): Matrix {
    this.check();
    const n = this.n;
    if (this.kind === "dense") return new Matrix(n, n, this.buf.toArray());
    if (n > 4096) throw new ValueError(`toMatrix: n = ${n} is too large to densify (limit 4096)`);
    const m = new Matrix(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m.data[i * n + j] = this.entry(i, j);
    return m;
  }

  /** @internal Throws EngineStateError once the game was disposed (the solvers call it). */
  check(): void {
    this.assertLive();
  }

  /** Whether dispose() was called.
   *  @deprecated renamed `disposed` (the one name of the state for every object that owns engine
   *  memory); removed in the next release. */
  get isDisposed(): boolean {
    deprecationWarning("PreferenceGame.isDisposed", "PreferenceGame.isDisposed is deprecated and will be removed in the next release; use PreferenceGame.disposed");
    return this.disposed;
  }

  /** @internal */
  protected get resourceName(): string {
    return "PreferenceGame";
  }

  /** @internal frees P (or the factors) in engine memory; called once by dispose(). */
  protected release(): void {
    this.buf.dispose();
  }
}

function checkLowRank(w: Float64Array, n: number, r: number): void {
  const r2 = 2 * r;
  let worst = 0, at = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < r2; k++) {
      const x = w[i * r2 + k];
      if (x - x !== 0) throw new ValueError(`${k < r ? "U" : "V"}[${i}, ${k % r}] is ${x}; every entry must be a finite number`);
      s += x * x;
    }
    if (s > worst) {
      worst = s;
      at = i;
    }
  }
  if (worst <= 0.5) return;
  if (n > 2048) {
    throw new ValueError(`U, V: row ${at} has ‖u‖² + ‖v‖² = ${worst.toPrecision(4)} > ½, so P = ½ + UVᵀ − VUᵀ may leave [0, 1]; rescale U and V (n = ${n} is too large to check every entry)`);
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += w[i * r2 + k] * w[j * r2 + r + k] - w[i * r2 + r + k] * w[j * r2 + k];
      if (Math.abs(s) > 0.5) throw new ValueError(`P = ½ + UVᵀ − VUᵀ has P[${i}, ${j}] = ${0.5 + s}, outside [0, 1]; rescale U and V`);
    }
  }
}

/** A policy argument as normalised log-probabilities (uniform when omitted). Zeros are
 *  rejected unless `allowZero` (then their log is −∞). */
export function logPolicyArg(p: VectorLike | undefined, n: number, name: string, allowZero = false): Float64Array {
  const out = new Float64Array(n);
  if (p === undefined) {
    out.fill(-log(n));
    return out;
  }
  const v = asVector(p, name, { length: n });
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (allowZero ? !(v[i] >= 0) : !(v[i] > 0)) {
      throw new ValueError(`${name}[${i}] = ${v[i]}; ${allowZero ? "a policy has entries ≥ 0" : "a policy here must have full support (every entry > 0)"}`);
    }
    s += v[i];
  }
  if (Math.abs(s - 1) > 1e-9) throw new ValueError(`${name} must sum to 1 (a probability vector), got sum ${s}`);
  for (let i = 0; i < n; i++) out[i] = log(v[i] / s);
  return out;
}

/** exp of a log-policy (normalised defensively). */
export function probsFromLog(l: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < l.length; i++) m = Math.max(m, l[i]);
  const p = new Float64Array(l.length);
  let z = 0;
  for (let i = 0; i < l.length; i++) z += p[i] = exp(l[i] - m);
  for (let i = 0; i < l.length; i++) p[i] /= z;
  return p;
}

/** KL(p‖q) for probability vectors (0·log 0 = 0). */
export function klDivergence(p: VectorLike, q: VectorLike): number {
  const a = asVector(p, "p"), b = asVector(q, "q", { length: a.length });
  let s = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > 0) s += a[i] * log(a[i] / b[i]);
  return s;
}

/** Options of `fitBradleyTerry`. */
export interface BradleyTerryFitOptions {
  /** Reference policy μ: comparisons are drawn from μ ⊗ μ (probabilities, every entry > 0).
   *  Default uniform. */
  refPolicy?: VectorLike;
  /** The reference policy under its old name.
   *  @deprecated renamed `refPolicy`; removed in the next release. */
  mu?: VectorLike;
  /** Gradient-ascent iterations at most. Default 100000. */
  iters?: number;
  /** Stop when the largest gradient entry is below this. Default 1e-12. */
  tol?: number;
}

/**
 * Fit a Bradley–Terry reward model to a preference game: the rewards r (mean zero) that
 * maximise Σ_{i<j} w_ij·[P_ij·log σ(r_i − r_j) + P_ji·log σ(r_j − r_i)] with pair weights
 * w_ij = μ_i·μ_j (comparisons drawn from μ ⊗ μ; uniform by default). This is what a reward
 * model learns from infinitely many comparisons; the RLHF policy is then μ·exp(r/β).
 * Dense games only (n ≤ 4096).
 */
export function fitBradleyTerry(game: PreferenceGame, options: BradleyTerryFitOptions = {}): Float64Array {
  if (!(game instanceof PreferenceGame)) throw new ValueError("fitBradleyTerry: game must be a PreferenceGame");
  const opts = checkOptions<BradleyTerryFitOptions>(options, "fitBradleyTerry", ["refPolicy", "iters", "tol"], REF_POLICY);
  const n = game.n;
  const P = game.toMatrix().data;
  const mu = logPolicyArg(opts.refPolicy, n, "refPolicy").map(exp);
  const iters = integer(opts.iters ?? 100000, "iters", 1);
  const tol = opts.tol ?? 1e-12;
  const r = new Float64Array(n), grad = new Float64Array(n);
  // Gradient ascent with step 1/L, L = ¼·max_i Σ_j 2·w_ij bounding the Hessian.
  let L = 0;
  for (let i = 0; i < n; i++) L = Math.max(L, 0.5 * mu[i] * (1 - mu[i]));
  const step = 1 / Math.max(L, 1e-300);
  for (let t = 0; t < iters; t++) {
    let gmax = 0;
    for (let i = 0; i < n; i++) {
      let g = 0;
      for (let j = 0; j < n; j++) if (j !== i) g += mu[i] * mu[j] * (P[i * n + j] - 1 / (1 + exp(-(r[i] - r[j]))));
      grad[i] = g;
      gmax = Math.max(gmax, Math.abs(g));
    }
    for (let i = 0; i < n; i++) r[i] += step * grad[i];
    if (gmax < tol) break;
  }
  let m = 0;
  for (let i = 0; i < n; i++) m += r[i] / n;
  for (let i = 0; i < n; i++) r[i] -= m;
  return r;
}

/** Options of `rlhfPolicy`. */
export interface RlhfOptions {
  /** KL coefficient β > 0. */
  beta: number;
  /** Reference policy μ (probabilities, every entry > 0). Default uniform. */
  refPolicy?: VectorLike;
  /** The reference policy under its old name.
   *  @deprecated renamed `refPolicy`; removed in the next release. */
  mu?: VectorLike;
}

/** The KL-regularised RLHF policy for rewards r: π ∝ μ·exp(r/β). */
export function rlhfPolicy(rewards: VectorLike, options: RlhfOptions): Float64Array {
  const r = asVector(rewards, "rewards");
  if (!options || typeof options !== "object") throw new ValueError("rlhfPolicy: options { beta, refPolicy? } are required");
  const opts = checkOptions<RlhfOptions>(options, "rlhfPolicy", ["beta", "refPolicy"], REF_POLICY);
  if (!(typeof opts.beta === "number" && opts.beta > 0 && Number.isFinite(opts.beta))) throw new ValueError(`beta must be a finite number > 0, got ${shown(opts.beta)}`);
  const lmu = logPolicyArg(opts.refPolicy, r.length, "refPolicy");
  return probsFromLog(lmu.map((l, i) => l + r[i] / opts.beta));
}
