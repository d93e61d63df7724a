// The CLI's view of an input table: a file (read again for every pass) or stdin (read into
// memory once), its feature columns, a scan for column statistics, and passes that apply the
// feature scaling and draw a progress line on stderr.
import { Matrix } from "../core/matrix.js";
import { streamTable, readHeader, type TableOptions, type RowBatch, type Progress } from "../io/table.js";
import { DataError } from "../io/errors.js";
import { MAX_SQUARED_NORM } from "../kernel/kernels.js";
import type { RowPasses, PassInfo } from "../kernel/fit-table.js";
import { RunningStats, applyScaling, type Scaling } from "./scaling.js";
import { ProgressLine } from "./progress.js";

export interface Rows {
  /** "<stdin>" or the path. */
  source: string;
  /** Feature column names, in order. */
  features: string[];
  /** Stream the rows again (each call is a new pass). */
  pass(onProgress?: (p: Progress) => void, limit?: number): AsyncIterable<RowBatch>;
}

/** Open a table ("-": stdin, read once into memory) and find its feature columns. */
export async function openRows(path: string, opts: TableOptions): Promise<Rows> {
  let pass: Rows["pass"];
  if (path !== "-") pass = (onProgress, limit) => streamTable(path, { ...opts, onProgress, limit });
  else {
    const chunks: Uint8Array[] = [];
    for await (const c of process.stdin as AsyncIterable<Uint8Array>) chunks.push(c);
    pass = (onProgress, limit) => streamTable(chunks, { ...opts, format: opts.format ?? "csv", onProgress, limit });
  }
  const source = path === "-" ? "<stdin>" : path;
  let features: string[] | null = null;
  if (path !== "-") features = (await readHeader(path, opts)).features;
  else {
    for await (const b of pass()) {
      features = b.features;
      break;
    }
    if (features === null) throw new DataError("no data rows", { source });
  }
  return { source, features, pass };
}

/** One pass computing column means / deviations (and the target's). */
export async function scanStats(rows: Rows, label: string, quiet: boolean): Promise<RunningStats> {
  const stats = new RunningStats(rows.features.length, rows.features);
  const bar = new ProgressLine({ label, enabled: !quiet });
  for await (const b of rows.pass((p) => bar.update(p))) stats.push(b.X, b.y);
  bar.done();
  if (stats.n === 0) throw new DataError("no data rows after the header", { source: rows.source });
  return stats;
}

/** Throw a DataError naming the input line of the first row whose squared norm is beyond what
 *  the kernels take (MAX_SQUARED_NORM, about |x_i| ≤ 1e153): the CLI's form of the SDK's
 *  check, with the line of the file instead of the row of the batch. */
export function checkKernelRange(X: Matrix, lines: Int32Array | null, source: string, scaled: boolean): void {
  const d = X.cols;
  for (let i = 0; i < X.rows; i++) {
    let s = 0;
    for (let j = i * d; j < (i + 1) * d; j++) s += X.data[j] * X.data[j];
    if (!(s <= MAX_SQUARED_NORM)) {
      throw new DataError(
        `the features are too large for the kernel: their squared norm ${s === Infinity ? "overflows double precision" : `is ${s.toExponential(3)}`} ` +
        `(the kernels take ‖x‖² up to 2^1020 ≈ 1.1e307)${scaled ? "" : "; use --scale standard, or rescale the features"}`,
        { source, line: lines?.[i] },
      );
    }
  }
}

/** A scaled copy of a batch's features (the batch itself without scaling). */
export function scaled(X: Matrix, scaling: Scaling | null): Matrix {
  return scaling ? applyScaling(new Matrix(X.rows, X.cols, X.data.slice()), scaling) : X;
}

/** The rows as SDK passes (fitKrrFromPasses, centresFromPasses): scaled features, a progress
 *  line "<prefix>: <pass>" for the centre and KRR passes. */
export function passes(rows: Rows, scaling: Scaling | null, prefix: string, quiet: boolean): RowPasses {
  return (info: PassInfo) => ({
    async *[Symbol.asyncIterator]() {
      const shown = info.phase === "centres" || info.phase === "krr";
      const bar = new ProgressLine({ label: `${prefix}: ${info.label}`, enabled: shown && !quiet });
      try {
        for await (const b of rows.pass(shown ? (p) => bar.update(p, info.status?.()) : undefined, info.limit)) {
          const X = scaled(b.X, scaling);
          checkKernelRange(X, b.lines, rows.source, scaling !== null);
          yield { X, y: b.y, offset: b.offset };
        }
      } finally {
        bar.done();
      }
    },
  });
}
