// Edge-list readers: CSV / TSV / whitespace-separated text and JSON lines, streamed.
//
//   const g = await readEdges("roads.csv");                       // → Graph
//   for await (const b of streamEdges("big.tsv")) sketch.push(b);  // batches, bounded memory
//
// One edge per line. Text is decoded chunk by chunk (sdk/io/source.ts) and cut into lines here,
// so memory is bounded by one chunk, one batch and the longest line (capped at MAX_LINE), plus
// the table of string ids when ids are strings; `readEdges` also keeps the edges themselves.
// Every bad row raises a DataError naming the source, the line (1-based, as in an editor) and
// the column (1-based; for JSON objects, the key): a non-numeric field, a weight that is not a
// finite number > 0, a missing column, an id outside [0, n). Nothing is returned on error, so a
// graph is never half-read.
//
// The rules that decide what a file means when the options do not say (documented in
// docs/guide/graphs.md, "Reading graphs"):
// - delimiter (csv): "," if the first data line has a comma, else tab if it has a tab, else
//   runs of blanks ("whitespace", the SNAP / networkx edgelist layout);
// - columns: u, v = the first two fields, w = the third when the first line has three or more;
// - header: the first line is a header when the weight field is not a number, when integer ids
//   were asked for and an endpoint is not an integer, or when both endpoint fields are column
//   words (source/target, from/to, u/v, ... HEADER_WORDS); `header: true/false` overrides;
// - ids: integers when the endpoints of the first edge are both decimal integers, else strings
//   (mapped to 0, 1, ... in order of first appearance; `nodeIds` keeps them).
import { ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { integer } from "../core/validate.js";
import { DataError } from "../io/errors.js";
import { parseCsv } from "../io/csv.js";
import { textChunks, sourceName, sourceSize, type TextSource } from "../io/source.js";
import { Graph } from "./graph.js";

/** Edge-list file formats: delimited text (csv, tsv) or JSON lines. */
export type EdgeFormat = "csv" | "tsv" | "jsonl";

/** A column chosen by header name (or JSON key), or by 0-based position. */
export type ColumnRef = string | number;

/** How node ids are read: decimal integers used as node numbers, or arbitrary strings mapped to
 *  0, 1, … in order of first appearance; "auto" decides on the first edge. */
export type IdMode = "auto" | "integer" | "string";

/** Progress of an edge read, passed to `onProgress` after every batch. */
export interface EdgeProgress {
  /** Edges (data rows) read so far, self-loops included. */
  edges: number;
  /** Self-loops among them. */
  selfLoops: number;
  /** Lines read so far. */
  lines: number;
  /** Input bytes read so far (0 for sources of strings). */
  bytes: number;
  /** Total input bytes, when known (files, Blobs, HTTP responses with a length). */
  totalBytes?: number;
  /** Milliseconds since reading started. */
  elapsedMs: number;
}

/** Options of `readEdges` and `streamEdges`. */
export interface EdgeReadOptions {
  /** "csv" (any delimiter), "tsv" or "jsonl"; default from the file extension (.tsv/.tab → tsv,
   *  .jsonl/.ndjson/.json → jsonl), else csv. */
  format?: EdgeFormat;
  /** Field separator of csv/tsv: one character, or "whitespace" for runs of blanks and tabs.
   *  Default: tab for tsv; for csv, detected on the first data line ("," if present, else tab,
   *  else whitespace). */
  delimiter?: string;
  /** Whether the first line (csv/tsv) holds column names. Default: detected (see the guide). */
  header?: boolean;
  /** The endpoint columns and optionally the weight column, by header name / JSON key or by
   *  0-based position: [u, v] (unit weights) or [u, v, w]. Default: the first two fields, and
   *  the third as weight when the first line has three or more (JSON objects: the keys
   *  u/source/from/src, v/target/to/dst, and w/weight if present). */
  columns?: readonly [ColumnRef, ColumnRef] | readonly [ColumnRef, ColumnRef, ColumnRef];
  /** Lines whose first non-blank characters are this prefix are skipped. Default "#"; null
   *  turns comments off. */
  comment?: string | null;
  /** Node ids: "integer", "string" or "auto" (default: integers when the first edge's
   *  endpoints are decimal integers). */
  ids?: IdMode;
  /** Number of nodes, for integer ids: every id must be < n, and nodes without edges up to
   *  n − 1 are kept. Default: the largest id + 1. Not allowed with string ids. */
  n?: number;
  /** Edges per batch of `streamEdges` (and per progress report). Default 65536. */
  batchSize?: number;
  /** Stops the read: the returned promise / iterator rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every batch. */
  onProgress?: (p: EdgeProgress) => void;
}

/** A block of consecutive edges from `streamEdges`, in input order (not canonicalised, not
 *  merged; self-loops already removed and counted). */
export interface EdgeBatch {
  /** First endpoint of each edge. */
  u: Int32Array;
  /** Second endpoint of each edge. */
  v: Int32Array;
  /** Weight of each edge (1 when the input has no weight column). */
  w: Float64Array;
  /** Input line of each edge (1-based). */
  lines: Int32Array;
  /** Edges before this batch (self-loops not counted). */
  offset: number;
  /** Self-loops dropped from this batch. */
  selfLoops: number;
  /** String ids first seen in this batch, in order: their node numbers continue from the
   *  previous batches' (concatenating every batch's newIds gives the id table). Empty for
   *  integer ids. */
  newIds: string[];
  /** How the ids are read ("integer" or "string"). */
  ids: "integer" | "string";
}

/** Column words that make a first line a header when both endpoint fields are one of them
 *  (compared without case). */
export const HEADER_WORDS: readonly string[] = [
  "source", "target", "src", "dst", "dest", "destination", "from", "to", "u", "v",
  "node1", "node2", "node_1", "node_2", "id1", "id2", "source_id", "target_id", "head", "tail",
];
const HEADER_SET = new Set(HEADER_WORDS);

/** Longest line accepted (characters): a line without a break must not exhaust memory. */
const MAX_LINE = 1 << 20;
/** Largest node number: ids are stored as Int32 and n = id + 1 must fit too. */
const MAX_ID = 2147483646;
const FORMATS: readonly EdgeFormat[] = ["csv", "tsv", "jsonl"];
const OPTION_KEYS = ["format", "delimiter", "header", "columns", "comment", "ids", "n", "batchSize", "signal", "onProgress"] as const;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;
const JSON_U = ["u", "source", "from", "src"];
const JSON_V = ["v", "target", "to", "dst"];
const JSON_W = ["w", "weight"];

/** The edge format implied by a file name, or undefined. */
export function edgeFormatFromPath(path: string): EdgeFormat | undefined {
  const p = path.toLowerCase().replace(/\.gz$/, "");
  if (p.endsWith(".tsv") || p.endsWith(".tab")) return "tsv";
  if (p.endsWith(".jsonl") || p.endsWith(".ndjson") || p.endsWith(".json")) return "jsonl";
  if (p.endsWith(".csv")) return "csv";
  return undefined;
}

/** Read a whole edge list into a `Graph` (duplicates merged by summing weights, self-loops
 *  dropped; both counted in `graph.stats`). For string ids, `graph.nodeIds[i]` is the id of
 *  node i. Throws DataError naming the line and column of the first bad row. */
export async function readEdges(source: TextSource, opts: EdgeReadOptions = {}): Promise<Graph> {
  const o = checkOptions<EdgeReadOptions>(opts, "readEdges", OPTION_KEYS);
  let cap = 1024, len = 0;
  let U = new Int32Array(cap), V = new Int32Array(cap), W = new Float64Array(cap);
  let mode: "integer" | "string" = "integer";
  let maxId = -1;
  const ids: string[] = [];
  for await (const b of batches(source, o, true)) {
    mode = b.ids;
    const k = b.u.length;
    if (len + k > cap) {
      while (len + k > cap) cap *= 2;
      const u2 = new Int32Array(cap), v2 = new Int32Array(cap), w2 = new Float64Array(cap);
      u2.set(U.subarray(0, len));
      v2.set(V.subarray(0, len));
      w2.set(W.subarray(0, len));
      U = u2;
      V = v2;
      W = w2;
    }
    U.set(b.u, len);
    V.set(b.v, len);
    W.set(b.w, len);
    len += k;
    for (let e = 0; e < k; e++) {
      if (b.u[e] > maxId) maxId = b.u[e];
      if (b.v[e] > maxId) maxId = b.v[e];
    }
    for (const s of b.newIds) ids.push(s);
  }
  const u = U.subarray(0, len), v = V.subarray(0, len), w = W.subarray(0, len);
  if (mode === "string") return Graph.fromEdges(u, v, w, { n: ids.length, nodeIds: ids });
  return Graph.fromEdges(u, v, w, { n: o.n ?? maxId + 1 });
}

/** Stream an edge list in batches without keeping it: memory stays bounded by one batch and
 *  one input chunk (plus the id table for string ids), whatever the size of the input.
 *  Self-loops are removed (counted in each batch); duplicates are left as they come. */
export function streamEdges(source: TextSource, opts: EdgeReadOptions = {}): AsyncGenerator<EdgeBatch> {
  const o = checkOptions<EdgeReadOptions>(opts, "streamEdges", OPTION_KEYS);
  return batches(source, o, false);
}

// ---------------------------------------------------------------------------------------------

interface Where {
  source: string;
  line: number;
  column?: number;
  columnName?: string;
}

/** Parses lines into edges; one instance per read. */
class EdgeParser {
  readonly src: string;
  private readonly format: EdgeFormat;
  private delim: string | null; // null: not yet detected; "whitespace" for runs of blanks
  private readonly headerOpt: boolean | undefined;
  private readonly columns: readonly ColumnRef[] | undefined;
  private readonly comment: string | null;
  private readonly nLimit: number | undefined;
  idMode: IdMode;
  private started = false;
  private firstEdgeLine = 0;
  private cu = 0;
  private cv = 1;
  private cw = -1;
  private names: string[] | null = null; // header names (csv) — for messages
  private keyU = "";
  private keyV = "";
  private keyW: string | null = null;
  private jsonKind: "array" | "object" | null = null;
  readonly idTable = new Map<string, number>();
  newIds: string[] = [];
  // output of the current line
  a = 0;
  b = 0;
  w = 1;

  constructor(src: string, format: EdgeFormat, o: EdgeReadOptions) {
    this.src = src;
    this.format = format;
    this.delim = o.delimiter ?? (format === "tsv" ? "\t" : null);
    this.headerOpt = o.header;
    this.columns = o.columns;
    this.comment = o.comment === undefined ? "#" : o.comment;
    this.nLimit = o.n;
    this.idMode = o.ids ?? "auto";
  }

  private fail(message: string, where: Partial<Where> & { line: number }): never {
    throw new DataError(message, { source: this.src, ...where });
  }

  /** Parse one line; returns true when it holds an edge (then in this.a, this.b, this.w). */
  line(text: string, line: number): boolean {
    // blank and comment lines
    let s = 0;
    const L = text.length;
    while (s < L) {
      const c = text.charCodeAt(s);
      if (c !== 32 && c !== 9 && c !== 0xfeff) break;
      s++;
    }
    if (s === L) return false;
    if (this.comment !== null && this.comment !== "" && text.startsWith(this.comment, s)) return false;
    if (this.format === "jsonl") return this.jsonLine(text, line);
    if (this.delim === null) this.delim = text.includes(",") ? "," : text.includes("\t") ? "\t" : "whitespace";
    return this.record(this.split(text, line), line);
  }

  private split(text: string, line: number): string[] {
    const d = this.delim!;
    if (d === "whitespace") return text.trim().split(/[ \t]+/);
    if (!text.includes('"')) return text.split(d);
    let recs;
    try {
      recs = parseCsv(text, { delimiter: d });
    } catch (e) {
      if (e instanceof DataError) this.fail(`${e.message.slice(e.message.indexOf(": ") + 2)} (one edge per line: a quoted field must end on its line)`, { line, column: e.column });
      throw e;
    }
    if (recs.length !== 1) this.fail("a quoted field holds a line break; an edge list has one edge per line", { line });
    return recs[0].fields;
  }

  private colName(c: number): string | undefined {
    return this.names ? this.names[c] : undefined;
  }

  private resolveByName(ref: ColumnRef, names: string[], line: number, role: string): number {
    if (typeof ref === "number") {
      if (ref >= names.length) this.fail(`the ${role} column ${ref} (0-based) does not exist: the header has ${names.length} columns`, { line });
      return ref;
    }
    const j = names.indexOf(ref);
    if (j < 0) this.fail(`no column named ${JSON.stringify(ref)} (the ${role} column); the columns are ${names.map((x) => JSON.stringify(x)).join(", ")}`, { line });
    return j;
  }

  private record(fields: string[], line: number): boolean {
    if (!this.started) {
      this.started = true;
      const cols = this.columns;
      const byName = !!cols && cols.some((c) => typeof c === "string");
      if (cols) {
        if (!byName) {
          this.cu = cols[0] as number;
          this.cv = cols[1] as number;
          this.cw = cols.length > 2 ? (cols[2] as number) : -1;
        }
      } else {
        this.cu = 0;
        this.cv = 1;
        this.cw = fields.length >= 3 ? 2 : -1;
      }
      const header = this.headerOpt ?? (byName ? true : this.looksLikeHeader(fields));
      if (header) {
        const names = fields.map((f) => f.trim());
        this.names = names;
        if (byName) {
          this.cu = this.resolveByName(cols![0], names, line, "u");
          this.cv = this.resolveByName(cols![1], names, line, "v");
          this.cw = cols!.length > 2 ? this.resolveByName(cols![2], names, line, "w") : -1;
        }
        return false;
      }
      if (byName) this.fail(`columns are given by name (${cols!.map((c) => JSON.stringify(c)).join(", ")}) but header is false`, { line });
    }
    const need = Math.max(this.cu, this.cv, this.cw);
    if (fields.length <= need) {
      const c = [this.cu, this.cv, this.cw].find((x) => x >= fields.length)!;
      const role = c === this.cu ? "u" : c === this.cv ? "v" : "w";
      this.fail(`missing column (the ${role} column; this line has ${fields.length} field${fields.length === 1 ? "" : "s"})`, { line, column: c + 1, columnName: this.colName(c) });
    }
    if (this.idMode === "auto") this.decideIds(isUint(fields[this.cu].trim()) && isUint(fields[this.cv].trim()), line);
    this.a = this.idField(fields[this.cu], line, this.cu + 1, this.colName(this.cu));
    this.b = this.idField(fields[this.cv], line, this.cv + 1, this.colName(this.cv));
    this.w = this.cw >= 0 ? this.weightField(fields[this.cw], line, this.cw + 1, this.colName(this.cw)) : 1;
    return true;
  }

  private looksLikeHeader(fields: string[]): boolean {
    const fu = fields[this.cu], fv = fields[this.cv];
    if (fu === undefined || fv === undefined) return false;
    const tu = fu.trim(), tv = fv.trim();
    if (isUint(tu) && isUint(tv)) return false; // integer endpoints: an edge, whatever its weight
    if (this.idMode === "integer") return true;
    const fw = this.cw >= 0 ? fields[this.cw]?.trim() : undefined;
    if (fw !== undefined && !NUMBER.test(fw) && !NON_FINITE.test(fw)) return true;
    return HEADER_SET.has(tu.toLowerCase()) && HEADER_SET.has(tv.toLowerCase());
  }

  private decideIds(ints: boolean, line: number): void {
    this.idMode = ints ? "integer" : "string";
    this.firstEdgeLine = line;
    if (!ints && this.nLimit !== undefined) this.fail(`n applies to integer ids, but the ids are strings (the first edge has a non-integer id); remove n or pass ids: "integer"`, { line });
  }

  /** `column` is 1-based (undefined for JSON objects, which name the key instead). */
  private idField(raw: string, line: number, column: number | undefined, name: string | undefined): number {
    const s = raw.trim();
    if (s === "") this.fail("missing node id (empty field)", { line, column, columnName: name });
    if (this.idMode === "integer") return this.intId(s, line, column, name);
    return this.stringId(s, line, column, name);
  }

  private intId(s: string, line: number, column: number | undefined, name: string | undefined): number {
    let x = 0;
    const L = s.length;
    let okDigits = L > 0 && L <= 10;
    for (let i = 0; okDigits && i < L; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) okDigits = false;
      else x = x * 10 + d;
    }
    if (!okDigits) {
      if (isUint(s)) this.fail(`node id ${s} is too large (integer ids must be ≤ ${MAX_ID}; pass ids: "string" to number sparse ids 0, 1, …)`, { line, column, columnName: name });
      const why = this.firstEdgeLine > 0 ? ` (the ids are read as integers because the first edge, line ${this.firstEdgeLine}, has integer ids; pass ids: "string" for other ids)` : "";
      this.fail(`expected a non-negative integer node id, got ${quote(s)}${why}`, { line, column, columnName: name });
    }
    if (x > MAX_ID) this.fail(`node id ${s} is too large (integer ids must be ≤ ${MAX_ID}; pass ids: "string" to number sparse ids 0, 1, …)`, { line, column, columnName: name });
    if (this.nLimit !== undefined && x >= this.nLimit) this.fail(`node id ${x} is outside [0, n) = [0, ${this.nLimit})`, { line, column, columnName: name });
    return x;
  }

  private stringId(s: string, line: number, column: number | undefined, name: string | undefined): number {
    let id = this.idTable.get(s);
    if (id === undefined) {
      id = this.idTable.size;
      if (id > MAX_ID) this.fail(`more than ${MAX_ID + 1} distinct node ids`, { line, column, columnName: name });
      this.idTable.set(s, id);
      this.newIds.push(s);
    }
    return id;
  }

  private weightField(raw: string, line: number, column: number | undefined, name: string | undefined): number {
    const s = raw.trim();
    const where = { line, column, columnName: name };
    if (s === "") this.fail("missing weight (empty field)", where);
    if (NUMBER.test(s)) return this.checkWeight(Number(s), s, where);
    if (NON_FINITE.test(s)) this.fail(`weight must be a finite number > 0, got ${s}`, where);
    return this.fail(`expected a number for the weight, got ${quote(s)} (for an unweighted graph pass columns: [${this.cu}, ${this.cv}])`, where);
  }

  private checkWeight(x: number, s: string, where: Omit<Where, "source">): number {
    if (!Number.isFinite(x)) this.fail(`weight must be a finite number > 0, got ${s} (out of the range of a double)`, where);
    if (!(x > 0)) this.fail(`weight must be a finite number > 0, got ${s}`, where);
    return x;
  }

  private jsonLine(text: string, line: number): boolean {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      this.fail(`invalid JSON: ${(e as Error).message}`, { line });
    }
    if (obj === null || typeof obj !== "object") this.fail(`expected a JSON object or array, got ${JSON.stringify(obj)}`, { line });
    const kind = Array.isArray(obj) ? "array" : "object";
    if (this.jsonKind === null) {
      this.jsonKind = kind;
      this.resolveJson(obj as Record<string, unknown> | unknown[], line);
    } else if (kind !== this.jsonKind) this.fail(`expected a JSON ${this.jsonKind} like the first line's, got an ${kind}`, { line });
    let fu: unknown, fv: unknown, fw: unknown;
    const whereOf = (c: number | string) => (typeof c === "number" ? { line, column: c + 1 } : { line, columnName: c });
    const ref: (number | string)[] = kind === "array" ? [this.cu, this.cv, this.cw] : [this.keyU, this.keyV, this.keyW ?? ""];
    if (kind === "array") {
      const arr = obj as unknown[];
      for (const [c, role] of [[this.cu, "u"], [this.cv, "v"], [this.cw, "w"]] as const) {
        if (c >= arr.length) this.fail(`missing column (the ${role} column; this array has ${arr.length} entries)`, whereOf(c));
      }
      fu = arr[this.cu];
      fv = arr[this.cv];
      fw = this.cw >= 0 ? arr[this.cw] : 1;
    } else {
      const o = obj as Record<string, unknown>;
      for (const k of [this.keyU, this.keyV, this.keyW]) {
        if (k !== null && !Object.prototype.hasOwnProperty.call(o, k)) this.fail(`missing key ${JSON.stringify(k)}`, { line, columnName: k });
      }
      fu = o[this.keyU];
      fv = o[this.keyV];
      fw = this.keyW !== null ? o[this.keyW] : 1;
    }
    if (this.idMode === "auto") this.decideIds(jsonUint(fu) && jsonUint(fv), line);
    this.a = this.jsonId(fu, whereOf(ref[0]));
    this.b = this.jsonId(fv, whereOf(ref[1]));
    if (typeof fw === "number") this.w = this.checkWeight(fw, String(fw), whereOf(ref[2]));
    else if (typeof fw === "string") this.w = this.weightField(fw, line, typeof ref[2] === "number" ? ref[2] + 1 : undefined, typeof ref[2] === "string" ? ref[2] : undefined);
    else this.fail(`expected a number for the weight, got ${JSON.stringify(fw)}`, whereOf(ref[2]));
    return true;
  }

  private resolveJson(first: Record<string, unknown> | unknown[], line: number): void {
    const cols = this.columns;
    if (Array.isArray(first)) {
      if (cols && cols.some((c) => typeof c === "string")) this.fail("columns are given by name but the lines are JSON arrays; give 0-based positions", { line });
      if (cols) {
        this.cu = cols[0] as number;
        this.cv = cols[1] as number;
        this.cw = cols.length > 2 ? (cols[2] as number) : -1;
      } else {
        this.cu = 0;
        this.cv = 1;
        this.cw = first.length >= 3 ? 2 : -1;
      }
      return;
    }
    const keys = Object.keys(first);
    const list = keys.map((k) => JSON.stringify(k)).join(", ");
    if (cols) {
      if (cols.some((c) => typeof c === "number")) this.fail("columns are given by position but the lines are JSON objects; give key names", { line });
      [this.keyU, this.keyV] = [cols[0] as string, cols[1] as string];
      this.keyW = cols.length > 2 ? (cols[2] as string) : null;
      return;
    }
    const pick = (cands: string[]) => cands.find((k) => Object.prototype.hasOwnProperty.call(first, k));
    const ku = pick(JSON_U), kv = pick(JSON_V);
    if (ku === undefined || kv === undefined) this.fail(`cannot tell which keys hold the endpoints (looked for ${JSON_U.join("/")} and ${JSON_V.join("/")}); the keys are ${list}; pass columns: ["…", "…"]`, { line });
    this.keyU = ku;
    this.keyV = kv;
    this.keyW = pick(JSON_W) ?? null;
  }

  private jsonId(x: unknown, where: { line: number; column?: number; columnName?: string }): number {
    if (typeof x === "string") return this.idField(x, where.line, where.column, where.columnName);
    if (typeof x === "number") {
      if (this.idMode === "string") return this.stringId(String(x), where.line, where.column, where.columnName);
      if (Number.isInteger(x) && x >= 0) return this.intId(String(x), where.line, where.column, where.columnName);
      this.fail(`expected a non-negative integer node id, got ${x}`, where);
    }
    return this.fail(`expected a node id (a string or an integer), got ${JSON.stringify(x)}`, where);
  }
}

function isUint(s: string): boolean {
  const L = s.length;
  if (L === 0) return false;
  for (let i = 0; i < L; i++) {
    const d = s.charCodeAt(i);
    if (d < 48 || d > 57) return false;
  }
  return true;
}

function jsonUint(x: unknown): boolean {
  return (typeof x === "number" && Number.isInteger(x) && x >= 0) || (typeof x === "string" && isUint(x.trim()));
}

function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + "…" : s);
}

/** Cuts decoded text into lines (LF, CRLF or a lone CR), across chunk boundaries. */
class LineSplitter {
  private tail = "";
  private skipLF = false;
  line = 0;

  push(chunk: string, emit: (text: string, line: number) => void): void {
    let i = 0;
    const n = chunk.length;
    if (this.skipLF && n > 0) {
      this.skipLF = false;
      if (chunk.charCodeAt(0) === 10) i = 1;
    }
    let nextLF = chunk.indexOf("\n", i), nextCR = chunk.indexOf("\r", i);
    while (i < n) {
      if (nextLF >= 0 && nextLF < i) nextLF = chunk.indexOf("\n", i);
      if (nextCR >= 0 && nextCR < i) nextCR = chunk.indexOf("\r", i);
      let j = nextLF < 0 ? nextCR : nextCR < 0 ? nextLF : Math.min(nextLF, nextCR);
      if (j < 0) break;
      const text = this.tail === "" ? chunk.slice(i, j) : this.tail + chunk.slice(i, j);
      this.tail = "";
      if (chunk.charCodeAt(j) === 13) {
        if (j + 1 < n) {
          if (chunk.charCodeAt(j + 1) === 10) j++;
        } else this.skipLF = true;
      }
      i = j + 1;
      emit(text, ++this.line);
    }
    if (i < n) {
      if (this.tail.length + (n - i) > MAX_LINE) {
        throw new DataError(`line longer than ${MAX_LINE} characters (an edge list has one short line per edge)`, { line: this.line + 1 });
      }
      this.tail += chunk.slice(i);
    }
  }

  end(emit: (text: string, line: number) => void): void {
    if (this.tail !== "") emit(this.tail, ++this.line);
    this.tail = "";
  }
}

function isHttp(src: TextSource): src is URL {
  return src instanceof URL && (src.protocol === "http:" || src.protocol === "https:");
}

/** The shared reader: batches of validated edges. `keepLoops` keeps self-loops in the batches
 *  (readEdges, so that Graph.fromEdges counts them); streamEdges removes them. */
async function* batches(source: TextSource, o: EdgeReadOptions, keepLoops: boolean): AsyncGenerator<EdgeBatch> {
  // option values
  let format = o.format;
  if (format === undefined) format = (typeof source === "string" ? edgeFormatFromPath(source) : source instanceof URL ? edgeFormatFromPath(source.pathname) : undefined) ?? "csv";
  if (!FORMATS.includes(format)) throw new ValueError(`format must be one of ${FORMATS.map((f) => JSON.stringify(f)).join(", ")}, got ${JSON.stringify(format)}`);
  if (o.delimiter !== undefined) {
    const d = o.delimiter;
    if (format === "jsonl") throw new ValueError("delimiter applies to csv and tsv, not to JSON lines");
    if (typeof d !== "string" || (d !== "whitespace" && (d.length !== 1 || d === '"' || d === "\n" || d === "\r"))) {
      throw new ValueError(`delimiter must be one character other than a quote or a line break, or "whitespace", got ${JSON.stringify(d)}`);
    }
  }
  if (o.header !== undefined && typeof o.header !== "boolean") throw new ValueError(`header must be true or false, got ${JSON.stringify(o.header)}`);
  if (o.header === true && format === "jsonl") throw new ValueError("header applies to csv and tsv; JSON lines name their columns with keys");
  if (o.columns !== undefined) {
    const c = o.columns as readonly unknown[];
    if (!Array.isArray(c) || (c.length !== 2 && c.length !== 3)) throw new ValueError(`columns must be [u, v] or [u, v, w], got ${JSON.stringify(c)}`);
    c.forEach((x, j) => {
      if (!(typeof x === "string" ? x.length > 0 : Number.isInteger(x) && (x as number) >= 0)) throw new ValueError(`columns[${j}] must be a column name or a 0-based position, got ${JSON.stringify(x)}`);
    });
    if (new Set(c).size !== c.length) throw new ValueError(`columns must be distinct, got ${JSON.stringify(c)}`);
  }
  if (o.comment !== undefined && o.comment !== null && typeof o.comment !== "string") throw new ValueError(`comment must be a string or null, got ${JSON.stringify(o.comment)}`);
  if (o.ids !== undefined && !["auto", "integer", "string"].includes(o.ids)) throw new ValueError(`ids must be "auto", "integer" or "string", got ${JSON.stringify(o.ids)}`);
  if (o.n !== undefined) {
    integer(o.n, "n", 0, MAX_ID + 1);
    if (o.ids === "string") throw new ValueError(`n applies to integer ids; with ids: "string" the nodes are the distinct ids`);
  }
  const batchSize = o.batchSize ?? 65536;
  integer(batchSize, "batchSize", 1);
  if (o.onProgress !== undefined && typeof o.onProgress !== "function") throw new ValueError("onProgress must be a function");
  const signal = o.signal;
  if (signal !== undefined && !(signal && typeof signal.throwIfAborted === "function")) throw new ValueError("signal must be an AbortSignal");
  signal?.throwIfAborted();

  // the source
  let text: TextSource = source;
  let totalBytes: number | undefined;
  if (isHttp(source)) {
    let res: Response;
    try {
      res = await fetch(source, { signal });
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw new ValueError(`cannot read ${source.href}: ${(e as Error).message}`);
    }
    if (!res.ok || !res.body) throw new ValueError(`cannot read ${source.href}: HTTP ${res.status} ${res.statusText}`);
    const len = Number(res.headers.get("content-length"));
    if (Number.isFinite(len) && len > 0) totalBytes = len;
    text = res.body;
  } else if (o.onProgress) totalBytes = await sourceSize(source);

  const src = sourceName(source);
  const p = new EdgeParser(src, format, o);
  const lines = new LineSplitter();
  const t0 = Date.now();
  let U = new Int32Array(batchSize), V = new Int32Array(batchSize), W = new Float64Array(batchSize), Ln = new Int32Array(batchSize);
  let k = 0, loops = 0, rows = 0, rowLoops = 0, offset = 0, bytes = 0;
  const ready: { batch: EdgeBatch; progress: EdgeProgress }[] = [];
  const flush = () => {
    const full = k === batchSize;
    const b: EdgeBatch = {
      u: full ? U : U.slice(0, k),
      v: full ? V : V.slice(0, k),
      w: full ? W : W.slice(0, k),
      lines: full ? Ln : Ln.slice(0, k),
      offset,
      selfLoops: loops,
      newIds: p.newIds,
      ids: p.idMode === "string" ? "string" : "integer",
    };
    offset += k;
    p.newIds = [];
    if (full) {
      U = new Int32Array(batchSize);
      V = new Int32Array(batchSize);
      W = new Float64Array(batchSize);
      Ln = new Int32Array(batchSize);
    }
    k = 0;
    loops = 0;
    ready.push({ batch: b, progress: progress() });
  };
  const onLine = (t: string, line: number) => {
    if (!p.line(t, line)) return;
    rows++;
    if (p.a === p.b) {
      rowLoops++;
      if (!keepLoops) {
        loops++;
        return;
      }
    }
    U[k] = p.a;
    V[k] = p.b;
    W[k] = p.w;
    Ln[k] = line;
    if (++k === batchSize) flush();
  };
  // progress as of the end of a batch (a chunk may complete several batches before they are yielded)
  const progress = (): EdgeProgress => ({ edges: rows, selfLoops: rowLoops, lines: lines.line, bytes, totalBytes, elapsedMs: Date.now() - t0 });

  for await (const chunk of textChunks(text)) {
    signal?.throwIfAborted();
    bytes += chunk.bytes;
    lines.push(chunk.text, onLine);
    while (ready.length > 0) {
      const r = ready.shift()!;
      o.onProgress?.(r.progress);
      yield r.batch;
    }
  }
  signal?.throwIfAborted();
  lines.end(onLine);
  if (k > 0 || loops > 0 || p.newIds.length > 0) flush();
  for (const r of ready) {
    o.onProgress?.(r.progress);
    yield r.batch;
  }
  if (offset === 0 && rows === 0) o.onProgress?.(progress());
}
