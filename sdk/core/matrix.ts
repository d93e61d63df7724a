// A dense row-major matrix of f64: the currency of the SDK. Inputs may also be given as
// arrays of rows (number[][]) or as { data, rows, cols } objects.
import { ShapeError, ValueError } from "./errors.js";

/** A dense matrix of f64 values stored row-major: entry (i, j) is `data[i·cols + j]`. Every
 * linear-algebra function returns one; most also accept an array of rows or any
 * `{ rows, cols, data }`. */
export class Matrix {
  /** Number of rows (n for data matrices: one row per example). */
  readonly rows: number;
  /** Number of columns (d for data matrices: one column per feature). */
  readonly cols: number;
  /** Row-major entries, length rows·cols. */
  readonly data: Float64Array;

  constructor(rows: number, cols: number, data?: Float64Array) {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new ShapeError(`Matrix: rows and cols must be non-negative integers, got ${rows}×${cols}`);
    }
    if (data && data.length !== rows * cols) {
      throw new ShapeError(`Matrix: data has length ${data.length}, expected rows·cols = ${rows * cols}`);
    }
    this.rows = rows;
    this.cols = cols;
    if (!data && !Number.isSafeInteger(rows * cols)) throw new ValueError(`Matrix: ${rows}×${cols} has too many entries to allocate`);
    try {
      this.data = data ?? new Float64Array(rows * cols);
    } catch (e) {
      if (e instanceof RangeError) throw new ValueError(`Matrix: cannot allocate ${rows}×${cols} = ${rows * cols} entries (${e.message})`);
      throw e;
    }
  }

  /** A rows×cols matrix of zeros. */
  static zeros(rows: number, cols: number): Matrix {
    return new Matrix(rows, cols);
  }

  /** The n×n identity matrix. */
  static identity(n: number): Matrix {
    const m = new Matrix(n, n);
    for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
    return m;
  }

  /** From an array of rows; every row must have the same length. */
  static fromRows(rows: ArrayLike<ArrayLike<number>>): Matrix {
    const n = rows.length;
    const d = n > 0 ? rows[0].length : 0;
    const m = new Matrix(n, d);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (!r || r.length !== d) throw new ShapeError(`Matrix.fromRows: row ${i} has length ${r?.length}, expected ${d} (the length of row 0)`);
      if (ArrayBuffer.isView(r)) m.data.set(r, i * d);
      else copyNumbers(r, m.data, i * d, "Matrix.fromRows", i);
    }
    return m;
  }

  /** Entry (i, j), 0-based (no bounds check). */
  get(i: number, j: number): number {
    return this.data[i * this.cols + j];
  }

  /** Set entry (i, j), 0-based (no bounds check). */
  set(i: number, j: number, v: number): void {
    this.data[i * this.cols + j] = v;
  }

  /** Row i as a subarray view (no copy). */
  row(i: number): Float64Array {
    return this.data.subarray(i * this.cols, (i + 1) * this.cols);
  }

  /** Column j as a new array. */
  col(j: number): Float64Array {
    const out = new Float64Array(this.rows);
    for (let i = 0; i < this.rows; i++) out[i] = this.data[i * this.cols + j];
    return out;
  }

  /** A new matrix holding the transpose. */
  transpose(): Matrix {
    const t = new Matrix(this.cols, this.rows);
    for (let i = 0; i < this.rows; i++) for (let j = 0; j < this.cols; j++) t.data[j * this.rows + i] = this.data[i * this.cols + j];
    return t;
  }

  /** A copy with its own data. */
  clone(): Matrix {
    return new Matrix(this.rows, this.cols, this.data.slice());
  }

  /** The rows as plain arrays (`number[][]`). */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.row(i)));
    return out;
  }
}

/** Anything accepted where a matrix is expected. */
export type MatrixLike = Matrix | ArrayLike<ArrayLike<number>> | {
  /** Row-major entries, length rows·cols. */ data: ArrayLike<number>;
  /** Number of rows. */ rows: number;
  /** Number of columns. */ cols: number;
};

/** Anything accepted where a vector is expected. */
export type VectorLike = ArrayLike<number>;

/** Convert and validate a matrix argument: shape, and (by default) finiteness.
 *  The error names the argument and the first offending index. */
export function asMatrix(x: MatrixLike, name: string, opts: { finite?: boolean; rows?: number; cols?: number; square?: boolean } = {}): Matrix {
  let m: Matrix;
  if (x instanceof Matrix) m = x;
  else if (x && typeof x === "object" && "data" in x && "rows" in x && "cols" in x) {
    const o = x as { data: ArrayLike<number>; rows: number; cols: number };
    if (!Number.isInteger(o.rows) || !Number.isInteger(o.cols) || o.rows < 0 || o.cols < 0) {
      throw new ShapeError(`${name}: rows and cols must be non-negative integers, got ${o.rows}×${o.cols}`);
    }
    if (!o.data || o.data.length !== o.rows * o.cols) {
      throw new ShapeError(`${name}: data has length ${o.data?.length}, expected rows·cols = ${o.rows * o.cols}`);
    }
    m = new Matrix(o.rows, o.cols, o.data instanceof Float64Array ? o.data : numbers(o.data, name, o.cols));
  } else if (x && typeof (x as ArrayLike<unknown>).length === "number") {
    const rows = x as ArrayLike<ArrayLike<number>>;
    if (rows.length > 0 && (rows[0] == null || typeof rows[0] !== "object")) {
      throw new ShapeError(`${name}: expected a matrix (an array of rows, a Matrix, or {data, rows, cols}), got a flat array of length ${rows.length}`);
    }
    const d = rows.length > 0 ? rows[0].length : 0;
    m = new Matrix(rows.length, d);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!r || r.length !== d) throw new ShapeError(`${name}: row ${i} has length ${r?.length}, expected ${d} (the length of row 0)`);
      if (ArrayBuffer.isView(r)) m.data.set(r, i * d);
      else copyNumbers(r, m.data, i * d, name, i);
    }
  } else {
    throw new ShapeError(`${name}: expected a matrix (an array of rows, a Matrix, or {data, rows, cols}), got ${typeof x}`);
  }
  if (opts.rows !== undefined && m.rows !== opts.rows) throw new ShapeError(`${name}: expected ${opts.rows} rows, got ${m.rows}`);
  if (opts.cols !== undefined && m.cols !== opts.cols) throw new ShapeError(`${name}: expected ${opts.cols} columns, got ${m.cols}`);
  if (opts.square && m.rows !== m.cols) throw new ShapeError(`${name}: expected a square matrix, got ${m.rows}×${m.cols}`);
  if (opts.finite !== false) checkFinite(m.data, name, m.cols);
  return m;
}

/** Convert and validate a vector argument. */
export function asVector(x: VectorLike, name: string, opts: { length?: number; finite?: boolean } = {}): Float64Array {
  if (!x || typeof x.length !== "number") throw new ShapeError(`${name}: expected an array of numbers`);
  const v = x instanceof Float64Array ? x : numbers(x, name, 0);
  if (opts.length !== undefined && v.length !== opts.length) throw new ShapeError(`${name}: expected length ${opts.length}, got ${v.length}`);
  if (opts.finite !== false) checkFinite(v, name, 0);
  return v;
}

/** What a message calls an entry that is not a number: null, a string (quoted, cut), ... */
function kindOf(v: unknown): string {
  if (v === null || v === undefined || typeof v === "boolean") return String(v);
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : typeof v;
}

/** Copy the numbers of a plain array into `out` at `offset`, refusing any entry that is not a
 *  number: Float64Array.from / set would silently read null as 0 and "0.5" as 0.5. `row` is
 *  the row index for messages (null: a flat vector, or flat row-major data of width cols). */
function copyNumbers(src: ArrayLike<unknown>, out: Float64Array, offset: number, name: string, row: number | null, cols = 0): void {
  for (let k = 0; k < src.length; k++) {
    const v = src[k];
    if (typeof v !== "number") {
      const where = row !== null ? `[${row}, ${k}]` : cols > 0 ? `[${Math.floor(k / cols)}, ${k % cols}]` : `[${k}]`;
      throw new ValueError(`${name}${where} is ${kindOf(v)}; every entry must be a number`);
    }
    out[offset + k] = v;
  }
}

/** A Float64Array of the entries of a typed array or a plain array of numbers (see
 *  copyNumbers: anything else is a ValueError naming the entry). @internal */
export function numbers(src: ArrayLike<unknown>, name: string, cols: number): Float64Array {
  if (ArrayBuffer.isView(src)) return Float64Array.from(src as ArrayLike<number>);
  const out = new Float64Array(src.length);
  copyNumbers(src, out, 0, name, null, cols);
  return out;
}

/** Throw ValueError naming the first non-finite entry (as [i, j] when cols > 0). */
export function checkFinite(a: ArrayLike<number>, name: string, cols: number): void {
  // Fast path: v·0 is 0 for finite v and NaN for ±Infinity/NaN, and NaN is sticky under
  // addition; four accumulators keep the loop free of a serial dependency. Only when the
  // sum is not 0 do we search for the first offending index.
  const n = a.length;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * 0;
    s1 += a[i + 1] * 0;
    s2 += a[i + 2] * 0;
    s3 += a[i + 3] * 0;
  }
  for (; i < n; i++) s0 += a[i] * 0;
  if (s0 + s1 + s2 + s3 === 0) return;
  for (let k = 0; k < n; k++) {
    const v = a[k];
    if (v - v !== 0) {
      const where = cols > 0 ? `[${Math.floor(k / cols)}, ${k % cols}]` : `[${k}]`;
      throw new ValueError(`${name}${where} is ${v}; every entry must be a finite number`);
    }
  }
  // Not reached for numeric input: a non-zero sum means some entry was not finite.
  throw new ValueError(`${name} contains a value that is not a finite number`);
}
