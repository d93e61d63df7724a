// Numeric tables from CSV / TSV / JSON-lines, streamed in batches of rows.
//
//   for await (const b of streamTable("data.csv", { target: "y" })) model.push(b.X);
//   const { X, y, features } = await readTable("data.csv", { target: "y" });
//
// CSV/TSV: the first record is the header (column names); every later record must have as
// many fields as the header; the feature and target fields must be decimal numbers. JSON lines:
// one JSON object per line; the columns are the keys of the first object; values must be finite
// numbers (or strings holding one). Blank lines are skipped in both. Any problem raises a
// DataError naming the line (1-based; a CSV header is line 1) and the column. Memory is
// bounded by one batch plus one input chunk.
import { Matrix } from "../core/matrix.js";
import { ValueError } from "../engine/errors.js";
import { checkOptions } from "../core/options.js";
import { clip, shown } from "../core/validate.js";
import { CsvParser, type CsvRecord } from "./csv.js";
import { DataError } from "./errors.js";
import { textChunks, sourceName, sourceSize, type TextSource } from "./source.js";

/** Table file formats: comma- or tab-separated values with a header row, or JSON lines. */
export type TableFormat = "csv" | "tsv" | "jsonl";

/** Progress of a table read, passed to `onProgress`. */
export interface Progress {
  /** Data rows read so far. */
  rows: number;
  /** Input bytes read so far (0 for sources of strings). */
  bytes: number;
  /** Total input bytes, when known (files, Blobs). */
  totalBytes?: number;
  /** Milliseconds since reading started. */
  elapsedMs: number;
}

/** Options of `readTable` and `streamTable`. */
export interface TableOptions {
  /** "csv", "tsv" or "jsonl"; default from the file extension (.tsv/.tab, .jsonl/.ndjson/.json), else "csv". */
  format?: TableFormat;
  /** CSV field separator (default "," for csv, tab for tsv). */
  delimiter?: string;
  /** Name of the target column; its values come out as `y`. */
  target?: string;
  /** When true, a missing target column is not an error (`y` is then null). Default false. */
  targetOptional?: boolean;
  /** Feature columns, in order (default: every column except the target). */
  features?: string[];
  /** Columns to leave out of the default feature list (ignored when `features` is given). */
  ignore?: string[];
  /** Rows per batch (default 4096). */
  batchSize?: number;
  /** Called after every batch. */
  onProgress?: (p: Progress) => void;
  /** Stop reading after this many data rows (0 reads only the header). */
  limit?: number;
  /** Called once the header (CSV) or first object (JSON lines) has been read. */
  onHeader?: (h: TableHeader) => void;
}

/** The columns of a table and the selection the options make (from `readHeader`, and passed
 *  to `TableOptions.onHeader`). */
export interface TableHeader {
  /** Every column name, in input order. */
  columns: string[];
  /** The feature columns the options select, in the order of X. */
  features: string[];
  /** The target column, or null. */
  target: string | null;
}

// The valid keys of TableOptions, for checkOptions (`satisfies`: tsc fails when the interface
// and the list differ).
const TABLE_KEYS = Object.keys({
  format: true, delimiter: true, target: true, targetOptional: true, features: true, ignore: true,
  batchSize: true, onProgress: true, limit: true, onHeader: true,
} satisfies Record<keyof TableOptions, true>);

/** A block of consecutive rows. */
export interface RowBatch {
  /** rows × features, row-major. */
  X: Matrix;
  /** Target values, or null when there is no target column. */
  y: Float64Array | null;
  /** Line number of each row (1-based, as in error messages). */
  lines: Int32Array;
  /** Number of data rows before this batch. */
  offset: number;
  /** Feature names, in column order of X. */
  features: string[];
  /** Target name, or null. */
  target: string | null;
}

/** A whole table read by `readTable`. */
export interface Table {
  /** The feature columns, one row per data row. */
  X: Matrix;
  /** The target column, or null without a target. */
  y: Float64Array | null;
  /** Feature column names, in column order of X. */
  features: string[];
  /** Target column name, or null. */
  target: string | null;
  /** Every column of the input, in input order. */
  columns: string[];
}

/** The format implied by a file name, or undefined. */
export function formatFromPath(path: string): TableFormat | undefined {
  const p = path.toLowerCase();
  if (p.endsWith(".tsv") || p.endsWith(".tab")) return "tsv";
  if (p.endsWith(".jsonl") || p.endsWith(".ndjson") || p.endsWith(".json")) return "jsonl";
  if (p.endsWith(".csv") || p.endsWith(".txt")) return "csv";
  return undefined;
}

const FORMATS: readonly TableFormat[] = ["csv", "tsv", "jsonl"];

/** A strict decimal number: optional sign, digits with an optional fraction, optional exponent.
 *  (Number() alone would also accept "", "0x1f", "Infinity" and blanks.) */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseNumber(s: string, where: () => { line: number; column: number; columnName: string; source?: string }): number {
  const t = s.trim();
  if (t === "") throw new DataError("missing value (empty field)", where());
  if (NUMBER.test(t)) {
    const v = Number(t);
    if (Number.isFinite(v)) return v;
    throw new DataError(`number out of range: ${JSON.stringify(clip(s))}`, where());
  }
  throw new DataError(`expected a number, got ${JSON.stringify(clip(s))}`, where());
}

/** Resolve feature / target names against the header; returns column indices. */
function resolveColumns(columns: string[], opts: TableOptions, src: string, headerLine: number): { feat: number[]; tgt: number; features: string[]; target: string | null } {
  const seen = new Map<string, number>();
  columns.forEach((c, j) => {
    if (seen.has(c)) throw new DataError(`duplicate column name ${JSON.stringify(clip(c))} (columns ${seen.get(c)! + 1} and ${j + 1})`, { source: src, line: headerLine });
    seen.set(c, j);
  });
  // The columns, for messages: names cut to a readable length, and at most 20 of them.
  const list = () => columns.slice(0, 20).map((c) => JSON.stringify(clip(c))).join(", ") + (columns.length > 20 ? `, … (${columns.length} columns)` : "");
  let tgt = -1;
  if (opts.target !== undefined) {
    tgt = seen.get(opts.target) ?? -1;
    if (tgt < 0 && !opts.targetOptional) throw new DataError(`no target column ${JSON.stringify(clip(opts.target))}; the columns are ${list()}`, { source: src, line: headerLine });
  }
  let feat: number[];
  if (opts.features) {
    feat = opts.features.map((f) => {
      const j = seen.get(f);
      if (j === undefined) throw new DataError(`no feature column ${JSON.stringify(clip(f))}; the columns are ${list()}`, { source: src, line: headerLine });
      if (j === tgt) throw new DataError(`column ${JSON.stringify(clip(f))} is the target and cannot also be a feature`, { source: src, line: headerLine });
      return j;
    });
  } else {
    const ignore = new Set(opts.ignore ?? []);
    for (const c of ignore) if (!seen.has(c)) throw new DataError(`cannot ignore ${JSON.stringify(clip(c))}: no such column; the columns are ${list()}`, { source: src, line: headerLine });
    feat = columns.map((_, j) => j).filter((j) => j !== tgt && !ignore.has(columns[j]) && !(opts.target !== undefined && columns[j] === opts.target));
  }
  if (feat.length === 0) throw new DataError("no feature columns left (every column is the target or ignored)", { source: src, line: headerLine });
  return { feat, tgt, features: feat.map((j) => columns[j]), target: tgt >= 0 ? columns[tgt] : null };
}

interface RawRow {
  values: (string | number | null | undefined)[] | Record<string, unknown>;
  line: number;
}

/** Stream numeric rows in batches. */
export async function* streamTable(source: TextSource, options: TableOptions = {}): AsyncGenerator<RowBatch> {
  const opts = checkOptions<TableOptions>(options, "streamTable", TABLE_KEYS);
  const src = sourceName(source);
  let format = opts.format;
  if (format === undefined) format = (typeof source === "string" ? formatFromPath(source) : undefined) ?? "csv";
  if (!FORMATS.includes(format)) throw new ValueError(`format must be one of ${FORMATS.join(", ")}, got ${shown(format)}`);
  const batchSize = opts.batchSize ?? 4096;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValueError(`batchSize must be an integer ≥ 1, got ${batchSize}`);
  const limit = opts.limit ?? Infinity;
  if (limit !== Infinity && !(Number.isInteger(limit) && limit >= 0)) throw new ValueError(`limit must be an integer ≥ 0 (rows to read), got ${limit}`);
  for (const key of ["features", "ignore"] as const) {
    const v = opts[key];
    if (v !== undefined && !(Array.isArray(v) && v.every((c) => typeof c === "string"))) throw new ValueError(`${key} must be an array of column names, got ${shown(v)}`);
  }
  const totalBytes = opts.onProgress ? await sourceSize(source) : undefined;
  const t0 = typeof performance !== "undefined" ? performance.now() : Date.now();
  const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now()) - t0;

  let columns: string[] | null = null;
  let sel: ReturnType<typeof resolveColumns> | null = null;
  let rows = 0;
  let bytes = 0;
  let X = new Float64Array(0);
  let y: Float64Array | null = null;
  let lines = new Int32Array(batchSize);
  let k = 0; // rows in the current batch

  const startBatch = () => {
    X = new Float64Array(batchSize * sel!.feat.length);
    y = sel!.tgt >= 0 ? new Float64Array(batchSize) : null;
    lines = new Int32Array(batchSize);
    k = 0;
  };
  const flush = (): RowBatch => {
    const d = sel!.feat.length;
    const b: RowBatch = {
      X: new Matrix(k, d, k === batchSize ? X : X.slice(0, k * d)),
      y: y ? (k === batchSize ? y : y.slice(0, k)) : null,
      lines: k === batchSize ? lines : lines.slice(0, k),
      offset: rows - k,
      features: sel!.features,
      target: sel!.target,
    };
    opts.onProgress?.({ rows, bytes, totalBytes, elapsedMs: now() });
    startBatch();
    return b;
  };

  // Header handling and one numeric row.
  const delimiter = opts.delimiter ?? (format === "tsv" ? "\t" : ",");
  const csv = format === "jsonl" ? null : new CsvParser({ delimiter, source: src });
  const records: CsvRecord[] = [];
  let jsonTail = "";
  let jsonLine = 0;

  const addCsv = (r: CsvRecord) => {
    if (columns === null) {
      columns = r.fields.map((f) => f.trim());
      columns.forEach((c, j) => {
        if (c === "") throw new DataError(`empty column name in the header`, { source: src, line: r.line, column: j + 1 });
      });
      sel = resolveColumns(columns, opts, src, r.line);
      opts.onHeader?.({ columns, features: sel.features, target: sel.target });
      startBatch();
      return;
    }
    if (r.fields.length !== columns.length) {
      throw new DataError(`expected ${columns.length} fields (as in the header), got ${r.fields.length}`, { source: src, line: r.line });
    }
    const s = sel!;
    const d = s.feat.length;
    const base = k * d;
    for (let j = 0; j < d; j++) {
      const c = s.feat[j];
      X[base + j] = parseNumber(r.fields[c], () => ({ line: r.line, column: c + 1, columnName: columns![c], source: src }));
    }
    if (y) y[k] = parseNumber(r.fields[s.tgt], () => ({ line: r.line, column: s.tgt + 1, columnName: columns![s.tgt], source: src }));
    lines[k] = r.line;
    k++;
    rows++;
  };

  const addJson = (text: string, line: number) => {
    if (text.trim() === "") return;
    // A JSON array file (one array over many lines, or on one line) is the usual mistake.
    if (columns === null && text.trimStart().startsWith("[")) {
      throw new DataError("expected a JSON object on each line (JSON lines: one object per line), but the input starts with \"[\": it holds a JSON array; write one object per line instead (e.g. jq -c '.[]' data.json > data.jsonl)", { source: src, line });
    }
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new DataError(`invalid JSON (expected one JSON object per line): ${clip((e as Error).message, 120)}`, { source: src, line });
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      throw new DataError(`expected a JSON object ({"column": value, ...}) on each line, got ${Array.isArray(obj) ? "an array" : typeof obj === "string" ? JSON.stringify(clip(obj)) : shown(obj)}`, { source: src, line });
    }
    const o = obj as Record<string, unknown>;
    if (columns === null) {
      columns = Object.keys(o);
      if (columns.length === 0) throw new DataError("the first object has no keys, so there are no columns", { source: src, line });
      sel = resolveColumns(columns, opts, src, line);
      opts.onHeader?.({ columns, features: sel.features, target: sel.target });
      startBatch();
      if (limit <= 0) return;
    }
    const s = sel!;
    const d = s.feat.length;
    const base = k * d;
    const get = (c: number): number => {
      const name = columns![c];
      const v = o[name];
      const where = () => ({ line, column: c + 1, columnName: name, source: src });
      if (typeof v === "number") {
        if (Number.isFinite(v)) return v;
        throw new DataError(`expected a finite number, got ${v}`, where());
      }
      if (v === undefined) throw new DataError("missing value (key absent)", where());
      if (v === null) throw new DataError("missing value (null)", where());
      if (typeof v === "string") return parseNumber(v, where);
      throw new DataError(`expected a number, got ${shown(v)}`, where());
    };
    for (let j = 0; j < d; j++) X[base + j] = get(s.feat[j]);
    if (y) y[k] = get(s.tgt);
    lines[k] = line;
    k++;
    rows++;
  };

  let done = false;
  for await (const chunk of textChunks(source)) {
    bytes += chunk.bytes;
    if (csv) {
      csv.push(chunk.text, records);
      for (let r = 0; r < records.length; r++) {
        if (columns !== null && rows >= limit) {
          done = true;
          break;
        }
        addCsv(records[r]);
        if (k === batchSize) yield flush();
      }
      records.length = 0;
    } else {
      let text = jsonTail + chunk.text;
      let start = 0;
      for (;;) {
        const nl = text.indexOf("\n", start);
        if (nl < 0) break;
        if (columns !== null && rows >= limit) {
          done = true;
          break;
        }
        jsonLine++;
        const ln = text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl);
        addJson(ln, jsonLine);
        start = nl + 1;
        if (k === batchSize) yield flush();
      }
      jsonTail = text.slice(start);
      text = "";
    }
    if (done) break;
  }
  if (!done) {
    if (csv) {
      csv.end(records);
      for (const r of records) {
        if (columns !== null && rows >= limit) break;
        addCsv(r);
        if (k === batchSize) yield flush();
      }
    } else if (jsonTail !== "" && (columns === null || rows < limit)) {
      jsonLine++;
      addJson(jsonTail.endsWith("\r") ? jsonTail.slice(0, -1) : jsonTail, jsonLine);
    }
  }
  if (columns === null) throw new DataError(format === "jsonl" ? "empty input: no JSON objects" : "empty input: no header row", { source: src });
  if (k > 0) yield flush();
}

/** Read a whole table into memory (for inputs that fit; use streamTable otherwise). */
export async function readTable(source: TextSource, options: TableOptions = {}): Promise<Table> {
  const opts = checkOptions<TableOptions>(options, "readTable", TABLE_KEYS);
  const parts: RowBatch[] = [];
  let head: TableHeader | null = null;
  for await (const b of streamTable(source, { ...opts, onHeader: (h) => { head = h; opts.onHeader?.(h); } })) parts.push(b);
  const h = head as unknown as TableHeader;
  const d = h.features.length;
  const n = parts.reduce((s, b) => s + b.X.rows, 0);
  const X = new Matrix(n, d);
  const y = h.target !== null ? new Float64Array(n) : null;
  let off = 0;
  for (const b of parts) {
    X.data.set(b.X.data, off * d);
    if (y && b.y) y.set(b.y, off);
    off += b.X.rows;
  }
  return { X, y, features: h.features, target: h.target, columns: h.columns };
}

/** The column names and the resolved feature/target selection, reading only the header. */
export async function readHeader(source: TextSource, options: TableOptions = {}): Promise<TableHeader> {
  const opts = checkOptions<TableOptions>(options, "readHeader", TABLE_KEYS);
  let head: TableHeader | null = null;
  for await (const _ of streamTable(source, { ...opts, limit: 0, onHeader: (h) => { head = h; } })) void _;
  return head as unknown as TableHeader;
}
