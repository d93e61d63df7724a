// Per-column standardisation learned in one streaming pass (Welford's update, so it is exact
// and stable for long inputs), stored in model files and applied again at prediction time.
import { Matrix } from "../core/matrix.js";
import { ShapeError, ValueError } from "../engine/errors.js";

export interface Scaling {
  /** Column means. */
  mean: number[];
  /** Column standard deviations (population); 1 for constant columns. */
  scale: number[];
}

export class RunningStats {
  readonly d: number;
  n = 0;
  private readonly m: Float64Array;
  private readonly s: Float64Array;
  private ySum = 0;
  private ySq = 0;
  private yN = 0;
  private yMeanRun = 0;

  constructor(d: number) {
    if (!Number.isInteger(d) || d < 1) throw new ValueError(`RunningStats: d must be an integer ≥ 1, got ${d}`);
    this.d = d;
    this.m = new Float64Array(d);
    this.s = new Float64Array(d);
  }

  /** Add rows (and optionally their targets). */
  push(X: Matrix, y?: Float64Array | null): void {
    if (X.cols !== this.d) throw new ShapeError(`RunningStats.push: X has ${X.cols} columns, expected ${this.d}`);
    const d = this.d;
    for (let i = 0; i < X.rows; i++) {
      this.n++;
      const inv = 1 / this.n;
      const o = i * d;
      for (let j = 0; j < d; j++) {
        const v = X.data[o + j];
        const delta = v - this.m[j];
        this.m[j] += delta * inv;
        this.s[j] += delta * (v - this.m[j]);
      }
    }
    if (y) {
      for (let i = 0; i < y.length; i++) {
        this.yN++;
        const delta = y[i] - this.yMeanRun;
        this.yMeanRun += delta / this.yN;
        this.ySq += delta * (y[i] - this.yMeanRun);
        this.ySum += y[i];
      }
    }
  }

  scaling(): Scaling {
    const mean = Array.from(this.m);
    const scale = Array.from(this.s, (s) => {
      const sd = this.n > 0 ? Math.sqrt(s / this.n) : 0;
      return sd > 0 && Number.isFinite(sd) ? sd : 1;
    });
    return { mean, scale };
  }

  /** Mean and population standard deviation of the targets pushed so far. */
  target(): { mean: number; std: number; n: number } {
    return { mean: this.yN ? this.yMeanRun : 0, std: this.yN ? Math.sqrt(this.ySq / this.yN) : 0, n: this.yN };
  }
}

/** (x − mean)/scale for every row, in place; returns X. */
export function applyScaling(X: Matrix, s: Scaling | null | undefined): Matrix {
  if (!s) return X;
  const d = X.cols;
  if (s.mean.length !== d || s.scale.length !== d) throw new ShapeError(`scaling has ${s.mean.length} columns but X has ${d}`);
  for (let i = 0; i < X.rows; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) X.data[o + j] = (X.data[o + j] - s.mean[j]) / s.scale[j];
  }
  return X;
}
