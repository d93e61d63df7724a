// Kernel functions. Conventions (k(x, y), r = ‖x − y‖₂):
//   rbf          exp(−γ·r²)            γ = 1/(2σ²); scikit-learn rbf_kernel(gamma=γ);
//                                      ml-kernel 'gaussian' {sigma: σ}; BLESS/FALKON sigma = σ
//   laplacian    exp(−γ·‖x − y‖₁)      scikit-learn laplacian_kernel(gamma=γ)
//   linear       x·y
//   polynomial   (γ·x·y + c₀)^degree   scikit-learn polynomial_kernel(degree, gamma, coef0)
//   matern12     exp(−r/ℓ)             scikit-learn Matern(length_scale=ℓ, nu=0.5)
//   matern32     (1 + √3·r/ℓ)·exp(−√3·r/ℓ)                Matern(ℓ, nu=1.5)
//   matern52     (1 + √5·r/ℓ + 5r²/(3ℓ²))·exp(−√5·r/ℓ)   Matern(ℓ, nu=2.5)
import { getEngine, input, output, scratch, KernelCode } from "../engine/index.js";
import { NumericalError, ShapeError, ValueError } from "../core/errors.js";
import { Matrix, asMatrix, type MatrixLike } from "../core/matrix.js";
import { positive, finite, integer, shown } from "../core/validate.js";
import { checkOptions } from "../core/options.js";

/** Largest squared norm ‖x‖² of a row that the kernels accept: 2^1020 ≈ 1.1e307 (about
 *  |x_i| ≤ 1e153). The engine forms ‖x‖² + ‖y‖² − 2·x·y for the distance kernels and x·y for
 *  the others; with both squared norms at most 2^1020 every one of these terms, and their sum,
 *  stays below the largest double (≈ 1.8e308), so no ±Infinity and no ∞ − ∞ = NaN can appear.
 *  Larger rows are rejected where they enter the SDK, with a ValueError naming the row. */
export const MAX_SQUARED_NORM = 2 ** 1020;

/** Throw ValueError when a row of the row-major `data` (rows×cols) has a squared norm above
 *  MAX_SQUARED_NORM (or one that overflows to Infinity). One pass over the data: the rows are
 *  summed only when the largest entry could exceed the bound. NaN entries are not looked at
 *  (asMatrix rejects them first). @internal */
export function checkKernelRows(data: ArrayLike<number>, rows: number, cols: number, name: string): void {
  const len = rows * cols;
  let big = 0;
  for (let i = 0; i < len; i++) {
    const a = data[i] < 0 ? -data[i] : data[i];
    if (a > big) big = a;
  }
  // Every row is within the bound when cols·max|x|² is.
  if (big * big * cols <= MAX_SQUARED_NORM) return;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = r * cols; j < (r + 1) * cols; j++) s += data[j] * data[j];
    if (!(s <= MAX_SQUARED_NORM)) {
      throw new ValueError(
        `${name}: row ${r} is too large for a kernel: its squared norm ‖x‖² is ${s === Infinity ? "Infinity (it overflows double precision)" : s.toExponential(3)}, ` +
        "above 2^1020 ≈ 1.1e307, beyond which ‖x‖² + ‖y‖² − 2·x·y overflows; rescale the features (e.g. standardise them)",
      );
    }
  }
}

/** Throw NumericalError naming the first non-finite entry of a kernel block (rows×cols): the
 *  kernel's own value overflowed (a polynomial kernel of a high degree on large inputs). */
function checkKernelValues(K: Float64Array, cols: number, kernel: string, diagonal = false): void {
  let acc = 0;
  for (let i = 0; i < K.length; i++) acc += K[i] * 0;
  if (acc === 0) return;
  for (let i = 0; i < K.length; i++) {
    if (!Number.isFinite(K[i])) {
      const r = Math.floor(i / cols), c = i % cols;
      throw new NumericalError(`${kernel}: the kernel value ${diagonal ? `k(x_${r}, x_${r})` : `k(x_${r}, y_${c})`} is ${K[i]} (it overflows double precision); rescale the features or lower the kernel's gamma or degree`, { row: r, col: c });
    }
  }
}

/** A kernel's name: the engine's kernel codes (KernelCode, assembly/kernels/kernels.ts) in
 *  lower case. */
export type KernelName = Lowercase<keyof typeof KernelCode>;

/** Every kernel name, in the order of the engine's codes. */
export const KERNEL_NAMES: readonly KernelName[] = Object.keys(KernelCode).map((k) => k.toLowerCase() as KernelName);

/** The engine's code of a kernel name, or −1 when it names no kernel. @internal */
export function kernelCodeOf(name: unknown): number {
  if (typeof name !== "string" || !(KERNEL_NAMES as readonly string[]).includes(name)) return -1;
  return KernelCode[name.toUpperCase() as keyof typeof KernelCode];
}

/** The kernel name of an engine code (undefined for an unknown code). @internal */
export function kernelNameOfCode(code: number): KernelName | undefined {
  return KERNEL_NAMES.find((n) => kernelCodeOf(n) === code);
}

/** Serializable description of a kernel: what dictionary files and models store. */
export interface KernelSpec {
  /** Which kernel. */
  name: KernelName;
  /** Width γ of rbf / laplacian, scale of polynomial (scikit-learn's `gamma`). */
  gamma?: number;
  /** Constant c₀ of polynomial. Default 1. */
  coef0?: number;
  /** Degree of polynomial (integer 1…64). Default 3. */
  degree?: number;
  /** Length scale ℓ of the Matérn kernels. Default 1. */
  lengthScale?: number;
}

/** An immutable, validated kernel function. Build one with a factory (`rbf`, `laplacian`,
 * `linear`, `polynomial`, `matern12`, `matern32`, `matern52`) or `kernelFromSpec`;
 * `matrix(X, Y)` computes kernel blocks in the engine. */
export class Kernel {
  /** Which kernel. */
  readonly name: KernelName;
  /** Its parameters (without the name). */
  readonly params: Readonly<Omit<KernelSpec, "name">>;
  /** The engine's code for this kernel (KernelCode). */
  readonly code: KernelCode;
  /** @internal engine parameters */
  readonly p: readonly [number, number, number];

  /** @internal use rbf(), laplacian(), ... */
  constructor(spec: KernelSpec) {
    this.name = spec.name;
    switch (spec.name) {
      case "rbf":
      case "laplacian":
        this.params = { gamma: positive(spec.gamma, `${spec.name}: gamma`) };
        this.p = [spec.gamma!, 0, 0];
        break;
      case "linear":
        this.params = {};
        this.p = [0, 0, 0];
        break;
      case "polynomial": {
        const gamma = positive(spec.gamma ?? 1, "polynomial: gamma");
        const coef0 = finite(spec.coef0 ?? 1, "polynomial: coef0");
        const degree = integer(spec.degree ?? 3, "polynomial: degree", 1, 64);
        this.params = { gamma, coef0, degree };
        this.p = [gamma, coef0, degree];
        break;
      }
      case "matern12":
      case "matern32":
      case "matern52": {
        const l = positive(spec.lengthScale ?? 1, `${spec.name}: lengthScale`);
        this.params = { lengthScale: l };
        this.p = [1 / l, 0, 0];
        break;
      }
      default:
        throw new ValueError(`unknown kernel ${JSON.stringify((spec as { name: unknown }).name)}; expected one of ${KERNEL_NAMES.join(", ")}`);
    }
    this.code = kernelCodeOf(spec.name) as KernelCode;
    Object.freeze(this);
  }

  /** K(X, Y) as an n×m matrix (Y defaults to X). X is n×d, Y is m×d. */
  matrix(X: MatrixLike, Y?: MatrixLike): Matrix {
    const x = asMatrix(X, "X");
    const y = Y === undefined ? x : asMatrix(Y, "Y");
    if (Y !== undefined && y.cols !== x.cols) throw new ShapeError(`Y has ${y.cols} columns but X has ${x.cols}; both must have the same number of features d`);
    if (x.rows === 0 || y.rows === 0) return new Matrix(x.rows, y.rows);
    checkKernelRows(x.data, x.rows, x.cols, "X");
    if (y !== x) checkKernelRows(y.data, y.rows, y.cols, "Y");
    const eng = getEngine();
    const [p0, p1, p2] = this.p;
    const len = x.rows * y.rows;
    // The result leaves Wasm memory by slice() (a fresh, uninitialised copy), which is much
    // cheaper for large blocks than filling a newly zeroed array.
    let res;
    if (y === x) {
      // Same buffer on both sides lets the engine use A·Aᵀ and an exact zero diagonal.
      const xin = input(x.data);
      res = eng.call("kernel_block", { kind: this.code, p0, p1, p2, x: xin, n: x.rows, y: xin, m: x.rows, d: x.cols, out: output(len), work: scratch(2 * x.rows) });
    } else {
      res = eng.call("kernel_block", { kind: this.code, p0, p1, p2, x: input(x.data), n: x.rows, y: input(y.data), m: y.rows, d: x.cols, out: output(len), work: scratch(x.rows + y.rows) });
    }
    const K = res.output("out");
    checkKernelValues(K, y.rows, this.toString());
    return new Matrix(x.rows, y.rows, K);
  }

  /** diag K(X, X) = k(x_i, x_i). */
  diag(X: MatrixLike): Float64Array {
    const x = asMatrix(X, "X");
    if (x.rows === 0) return new Float64Array(0);
    checkKernelRows(x.data, x.rows, x.cols, "X");
    const [p0, p1, p2] = this.p;
    const k = getEngine().call("kernel_diag", { kind: this.code, p0, p1, p2, x: input(x.data), n: x.rows, d: x.cols, out: output(x.rows) }).output("out");
    checkKernelValues(k, 1, this.toString(), true);
    return k;
  }

  /** k(x, y) for two points. */
  value(x: ArrayLike<number>, y: ArrayLike<number>): number {
    return this.matrix([Array.from(x)], [Array.from(y)]).data[0];
  }

  /** The JSON spec (`{ name, ...params }`) that `kernelFromSpec` turns back into this kernel. */
  toJSON(): KernelSpec {
    return { name: this.name, ...this.params };
  }

  /** A readable form, e.g. `rbf(gamma=0.5)`. */
  toString(): string {
    const ps = Object.entries(this.params).map(([k, v]) => `${k}=${v}`).join(", ");
    return `${this.name}(${ps})`;
  }
}

/** The options object of a kernel factory (a clear error when it is missing or not an object,
 *  or when a key is not one of `allowed`). */
function kernelOptions<T extends object>(opts: T, name: string, expected: string, allowed: readonly string[]): T {
  if (!opts || typeof opts !== "object") throw new ValueError(`${name}: expected options ${expected}, got ${shown(opts)}`);
  return checkOptions<T>(opts, name, allowed);
}

/** Gaussian kernel exp(−γ‖x−y‖²). Give `gamma`, or `sigma` (γ = 1/(2σ²)). */
export function rbf(opts: { gamma?: number; sigma?: number }): Kernel {
  opts = kernelOptions(opts, "rbf", "{ gamma } or { sigma }", ["gamma", "sigma"]);
  if (opts.gamma !== undefined && opts.sigma !== undefined) throw new ValueError("rbf: give gamma or sigma, not both");
  if (opts.sigma !== undefined) return new Kernel({ name: "rbf", gamma: 1 / (2 * positive(opts.sigma, "rbf: sigma") ** 2) });
  return new Kernel({ name: "rbf", gamma: opts.gamma });
}
/** Laplacian kernel exp(−γ‖x−y‖₁) (L1 distance, as scikit-learn). */
export function laplacian(opts: { gamma: number }): Kernel {
  opts = kernelOptions(opts, "laplacian", "{ gamma }", ["gamma"]);
  return new Kernel({ name: "laplacian", gamma: opts.gamma });
}
/** Linear kernel x·y. */
export function linear(): Kernel {
  return new Kernel({ name: "linear" });
}
/** Polynomial kernel (γ·x·y + coef0)^degree; defaults γ = 1, coef0 = 1, degree = 3. */
export function polynomial(opts: { gamma?: number; coef0?: number; degree?: number } = {}): Kernel {
  const o = checkOptions<{ gamma?: number; coef0?: number; degree?: number }>(opts, "polynomial", ["gamma", "coef0", "degree"]);
  return new Kernel({ name: "polynomial", ...o });
}
/** Matérn ν = 1/2 (exponential) kernel exp(−r/ℓ). */
export function matern12(opts: { lengthScale: number }): Kernel {
  opts = kernelOptions(opts, "matern12", "{ lengthScale }", ["lengthScale"]);
  return new Kernel({ name: "matern12", lengthScale: opts.lengthScale });
}
/** Matérn ν = 3/2 kernel. */
export function matern32(opts: { lengthScale: number }): Kernel {
  opts = kernelOptions(opts, "matern32", "{ lengthScale }", ["lengthScale"]);
  return new Kernel({ name: "matern32", lengthScale: opts.lengthScale });
}
/** Matérn ν = 5/2 kernel. */
export function matern52(opts: { lengthScale: number }): Kernel {
  opts = kernelOptions(opts, "matern52", "{ lengthScale }", ["lengthScale"]);
  return new Kernel({ name: "matern52", lengthScale: opts.lengthScale });
}
/** The keys a kernel spec may have (each kernel reads the ones it needs). */
const SPEC_KEYS = ["name", "gamma", "coef0", "degree", "lengthScale"] as const;

/** Rebuild a kernel from its JSON form (kernel.toJSON()). An unknown key is a ValueError that
 *  names the closest valid one. */
export function kernelFromSpec(spec: KernelSpec): Kernel {
  if (!spec || typeof spec !== "object") throw new ValueError("kernel spec must be an object like { name: 'rbf', gamma: 0.5 }");
  return new Kernel(checkOptions<KernelSpec>(spec, "kernel spec", SPEC_KEYS));
}

/** A Kernel from a Kernel or its JSON form (a KernelSpec). @internal */
export function asKernel(k: unknown, name = "kernel"): Kernel {
  if (k instanceof Kernel) return k;
  if (k && typeof k === "object" && "name" in (k as object)) return kernelFromSpec(k as KernelSpec);
  throw new ValueError(`${name} must be a Kernel (e.g. rbf({ gamma: 0.5 })) or a kernel spec like { name: "rbf", gamma: 0.5 }, got ${shown(k)}`);
}
