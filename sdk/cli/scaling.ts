// Per-column standardisation learned in one streaming pass (Welford's update, so it is exact
// and stable for long inputs), stored in model files and applied again at prediction time.
import { Matrix } from "../core/matrix.js";
import { ShapeError, ValueError } from "../engine/errors.js";
import { DataError } from "../io/errors.js";

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
  /** Largest |x| of each column (for messages). */
  private readonly big: Float64Array;
  private yBig = 0;
  /** Column names for messages (default "column j"). */
  private readonly names: readonly string[] | null;
  private ySum = 0;
  private ySq = 0;
  private yN = 0;
  private yMeanRun = 0;

  constructor(d: number, names: readonly string[] | null = null) {
    if (!Number.isInteger(d) || d < 1) throw new ValueError(`RunningStats: d must be an integer ≥ 1, got ${d}`);
    this.d = d;
    this.m = new Float64Array(d);
    this.s = new Float64Array(d);
    this.big = new Float64Array(d);
    this.names = names;
  }

  private columnName(j: number): string {
    return this.names?.[j] !== undefined ? `column ${JSON.stringify(this.names[j])}` : `column ${j + 1}`;
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
        if (Math.abs(v) > this.big[j]) this.big[j] = Math.abs(v);
        const delta = v - this.m[j];
        this.m[j] += delta * inv;
        this.s[j] += delta * (v - this.m[j]);
      }
    }
    if (y) {
      for (let i = 0; i < y.length; i++) {
        this.yN++;
        if (Math.abs(y[i]) > this.yBig) this.yBig = Math.abs(y[i]);
        const delta = y[i] - this.yMeanRun;
        this.yMeanRun += delta / this.yN;
        this.ySq += delta * (y[i] - this.yMeanRun);
        this.ySum += y[i];
      }
    }
  }

  /** The standardisation of every column. A column whose mean or variance overflows double
   *  precision (values beyond about 1e154) is a DataError naming it: its z-scores would be
   *  meaningless. */
  scaling(): Scaling {
    const mean = Array.from(this.m);
    const scale = Array.from(this.s, (s, j) => {
      const sd = this.n > 0 ? Math.sqrt(s / this.n) : 0;
      if (!Number.isFinite(sd) || !Number.isFinite(mean[j])) {
        throw new DataError(
          `${this.columnName(j)}: standard scaling overflows double precision (values up to ${this.big[j].toExponential(3)}, ` +
          "whose variance is beyond the largest double); rescale this column first (e.g. divide it by a power of ten)",
        );
      }
      return sd > 0 ? sd : 1;
    });
    return { mean, scale };
  }

  /** Mean and population standard deviation of the targets pushed so far. */
  target(): { mean: number; std: number; n: number } {
    return { mean: this.yN ? this.yMeanRun : 0, std: this.yN ? Math.sqrt(this.ySq / this.yN) : 0, n: this.yN };
  }

  /** Throw a DataError naming the target column when its variance overflows double precision
   *  (targets beyond about 1e154): the training error could not even be measured. */
  checkTarget(name: string): void {
    const t = this.target();
    if (!Number.isFinite(t.std) || !Number.isFinite(t.mean)) {
      throw new DataError(
        `target column ${JSON.stringify(name)}: values up to ${this.yBig.toExponential(3)} are too large: their variance overflows double precision, ` +
        "so neither the fit nor its error can be computed; rescale the target (e.g. divide it by a power of ten)",
      );
    }
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
