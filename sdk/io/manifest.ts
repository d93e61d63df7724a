// Data manifests: a data set given as a list of parts — files, or URLs — each read by whoever
// processes it. A merge tree over a manifest has one leaf per part, in order; the workers of a
// distributed tree (the Redis executor) read their part themselves, so the data never passes
// through the machine that submits the tree.
//
//   {
//     "format": "seqlearn.manifest/1",
//     "parts": [
//       { "source": "parts/p0.csv", "rows": 5000 },
//       { "source": "https://data.example.org/p1.csv", "rows": 5000 },
//       "parts/p2.tsv"
//     ],
//     "table": { "target": "y" }
//   }
//
// parts      the leaves, in order; each a source, or { source, rows?, format?, delimiter? }.
//            Global row numbers run on from one part to the next.
//   source   a path (relative paths are relative to the manifest's folder), a file: URL, or
//            an http(s) URL. A path must name the same file on every machine that reads it
//            (a shared mount).
//   rows     the part's number of data rows. Optional; without it the submitter reads the part
//            once to count them. A worker checks the count and fails the leaf (DataError) when
//            the part has changed.
//   format, delimiter   as TableOptions, for this part (default: the table's, else from the
//            source's extension).
// table      how every part is read (TableOptions): format, delimiter, target (a column left
//            out of the features, when present), features, ignore.
// description  free text, ignored.
import { ManifestError, DataError } from "./errors.js";
import { readTable, formatFromPath, type Table, type TableFormat, type TableOptions } from "./table.js";
import type { TextSource } from "./source.js";
import { suggest } from "../core/options.js";
import { clip } from "../core/validate.js";
import { MAX_TREE_LEAVES } from "../random/streams.js";
import { absolutePath, joinPath, readFileBytes } from "../platform.js";

/** The format tag of a data manifest. */
export const MANIFEST_FORMAT = "seqlearn.manifest/1";

/** One part of a data manifest (one leaf of a tree). */
export interface ManifestPart {
  /** A path or URL (resolved: absolute, or as written when no folder was known). */
  source: string;
  /** Its number of data rows, or null when the manifest does not say. */
  rows: number | null;
  /** Its format, when the manifest gives one for this part. */
  format?: TableFormat;
  /** Its CSV field separator, when the manifest gives one for this part. */
  delimiter?: string;
}

/** How every part of a manifest is read. */
export interface ManifestTable {
  /** "csv", "tsv" or "jsonl" (default: from each source's extension, else csv). */
  format?: TableFormat;
  /** CSV field separator. */
  delimiter?: string;
  /** A target column: left out of the features when a part has it. */
  target?: string;
  /** Feature columns, in order (default: every column but the target). */
  features?: string[];
  /** Columns to leave out of the features. */
  ignore?: string[];
}

/** A validated data manifest. */
export interface DataManifest {
  /** Always "seqlearn.manifest/1". */
  format: typeof MANIFEST_FORMAT;
  /** The parts, in order: leaf i of a tree reads part i. */
  parts: ManifestPart[];
  /** How the parts are read. */
  table: ManifestTable;
}

const TOP_KEYS = ["format", "parts", "table", "description"];
const PART_KEYS = ["source", "rows", "format", "delimiter"];
const TABLE_KEYS = ["format", "delimiter", "target", "features", "ignore"];
const FORMATS: readonly TableFormat[] = ["csv", "tsv", "jsonl"];

const isUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]+:\/\//i.test(s) || /^file:/i.test(s);
const isAbsolute = (s: string): boolean => s.startsWith("/") || /^[A-Za-z]:[\\/]/.test(s) || s.startsWith("\\\\");
const kind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `${typeof v} ${clip(JSON.stringify(v))}`);

/** Check and normalise a manifest (the parsed JSON). Relative sources are joined to `baseDir`
 *  when given. Raises ManifestError naming the field at fault. */
export function parseManifest(value: unknown, options: { baseDir?: string; source?: string } = {}): DataManifest {
  const src = options.source ?? null;
  const fail = (field: string | null, message: string): never => {
    throw new ManifestError(message, field, src);
  };
  const keys = (o: Record<string, unknown>, allowed: readonly string[], at: string): void => {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) {
        const close = suggest(k, allowed);
        fail(`${at}${at ? "." : ""}${k}`, `unknown field${close.length ? `; did you mean ${close.map((c) => JSON.stringify(c)).join(" or ")}?` : ""} (allowed: ${allowed.join(", ")})`);
      }
    }
  };
  if (value === null || typeof value !== "object" || Array.isArray(value)) fail(null, `a manifest is a JSON object { "format": "${MANIFEST_FORMAT}", "parts": [...] }, got ${kind(value)}`);
  const m = value as Record<string, unknown>;
  if (m.format !== MANIFEST_FORMAT) {
    if (typeof m.format === "string" && m.format.startsWith("seqlearn.manifest/")) fail("format", `${JSON.stringify(m.format)} is not a version this package reads (it reads ${JSON.stringify(MANIFEST_FORMAT)})`);
    fail("format", `must be ${JSON.stringify(MANIFEST_FORMAT)}, got ${m.format === undefined ? "nothing" : kind(m.format)}`);
  }
  keys(m, TOP_KEYS, "");
  if (m.description !== undefined && typeof m.description !== "string") fail("description", `must be a string, got ${kind(m.description)}`);
  const tableOf = (t: unknown, at: string, allowed: readonly string[]): ManifestTable => {
    if (t === undefined) return {};
    if (t === null || typeof t !== "object" || Array.isArray(t)) return fail(at, `must be an object, got ${kind(t)}`);
    const o = t as Record<string, unknown>;
    keys(o, allowed, at);
    const out: ManifestTable = {};
    if (o.format !== undefined) {
      if (!FORMATS.includes(o.format as TableFormat)) fail(`${at}.format`, `must be one of ${FORMATS.join(", ")}, got ${kind(o.format)}`);
      out.format = o.format as TableFormat;
    }
    if (o.delimiter !== undefined) {
      if (typeof o.delimiter !== "string" || o.delimiter.length !== 1) fail(`${at}.delimiter`, `must be one character, got ${kind(o.delimiter)}`);
      out.delimiter = o.delimiter as string;
    }
    if (o.target !== undefined) {
      if (typeof o.target !== "string" || o.target === "") fail(`${at}.target`, `must be a column name, got ${kind(o.target)}`);
      out.target = o.target as string;
    }
    for (const f of ["features", "ignore"] as const) {
      const v = o[f];
      if (v === undefined) continue;
      if (!Array.isArray(v) || v.length === 0 || !v.every((c) => typeof c === "string" && c !== "")) fail(`${at}.${f}`, `must be a non-empty array of column names, got ${kind(v)}`);
      out[f] = [...(v as string[])];
    }
    if (out.features && out.ignore) fail(at, "give features or ignore, not both");
    return out;
  };
  const table = tableOf(m.table, "table", TABLE_KEYS);
  if (!Array.isArray(m.parts) || m.parts.length === 0) fail("parts", `must be a non-empty array of parts (a source, or { "source": …, "rows": … }), got ${m.parts === undefined ? "nothing" : kind(m.parts)}`);
  const raw = m.parts as unknown[];
  if (raw.length > MAX_TREE_LEAVES) fail("parts", `has ${raw.length} parts; a tree has at most ${MAX_TREE_LEAVES} leaves`);
  const parts = raw.map((p, i): ManifestPart => {
    const at = `parts[${i}]`;
    const o = (typeof p === "string" ? { source: p } : p) as Record<string, unknown>;
    if (o === null || typeof o !== "object" || Array.isArray(o)) return fail(at, `must be a source (a path or URL) or an object { "source": …, "rows": … }, got ${kind(p)}`);
    keys(o, PART_KEYS, at);
    if (typeof o.source !== "string" || o.source.trim() === "") return fail(`${at}.source`, `must be a path or a URL, got ${o.source === undefined ? "nothing" : kind(o.source)}`);
    let source = o.source;
    if (/^[a-z][a-z0-9+.-]+:\/\//i.test(source) && !/^(https?|file):/i.test(source)) fail(`${at}.source`, `${JSON.stringify(clip(source))}: only paths, file: and http(s): URLs can be read`);
    if (!isUrl(source) && !isAbsolute(source) && options.baseDir !== undefined) source = joinPath(options.baseDir, source);
    let rows: number | null = null;
    if (o.rows !== undefined && o.rows !== null) {
      if (typeof o.rows !== "number" || !Number.isInteger(o.rows) || o.rows < 1) fail(`${at}.rows`, `must be an integer ≥ 1 (the part's data rows), got ${kind(o.rows)}`);
      rows = o.rows as number;
    }
    const own = tableOf({ format: o.format, delimiter: o.delimiter }, at, ["format", "delimiter"]);
    return { source, rows, ...own };
  });
  return { format: MANIFEST_FORMAT, parts, table };
}

/** Read a manifest file (JSON). Relative sources become absolute paths, relative to the
 *  manifest's folder. Raises ManifestError (naming the field) for a bad manifest. */
export async function readManifest(path: string): Promise<DataManifest> {
  let bytes: Uint8Array;
  try {
    bytes = await readFileBytes(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new ManifestError(code === "ENOENT" ? "no such file" : `cannot be read: ${(e as Error).message}`, null, path);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ManifestError(`not JSON: ${(e as Error).message}`, null, path);
  }
  const abs = await absolutePath(path);
  const baseDir = abs.replace(/[\\/][^\\/]*$/, "") || "/";
  return parseManifest(json, { baseDir, source: path });
}

/** True when `text` looks like a data manifest (a JSON object whose format is a manifest's),
 *  false for anything else (a table, another JSON document). */
export function isManifestText(text: string): boolean {
  const t = text.replace(/^\uFEFF/, "").trimStart();
  if (!t.startsWith("{")) return false;
  try {
    const v = JSON.parse(t) as { format?: unknown };
    return typeof v?.format === "string" && v.format.startsWith("seqlearn.manifest/");
  } catch {
    return false;
  }
}

/** What to read for a part's source: the path, a file: URL, or the body of an http(s) GET. An
 *  HTTP error 4xx is a DataError (asking again would not help); 5xx and network failures are
 *  plain errors, which a pool or a job queue retries. */
export async function openPart(source: string): Promise<TextSource> {
  if (/^https?:\/\//i.test(source)) {
    const res = await fetch(source);
    if (!res.ok) {
      const why = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
      if (res.status >= 400 && res.status < 500) throw new DataError(`cannot be fetched: ${why}`, { source });
      throw new Error(`${source}: cannot be fetched: ${why}`);
    }
    if (!res.body) throw new DataError("the response has no body", { source });
    return res.body as ReadableStream<Uint8Array>;
  }
  if (/^file:/i.test(source)) return new URL(source);
  return source;
}

/** The TableOptions of one part. */
export function partTableOptions(part: ManifestPart, table: ManifestTable): TableOptions {
  const path = isUrl(part.source) ? (() => { try { return new URL(part.source).pathname; } catch { return part.source; } })() : part.source;
  const format = part.format ?? table.format ?? formatFromPath(path) ?? "csv";
  return {
    format, delimiter: part.delimiter ?? table.delimiter, target: table.target, targetOptional: true,
    features: table.features, ignore: table.ignore,
  };
}

/** Read one part of a manifest (its features; the target, when present, is left out of them).
 *  When `expectRows` is given (the manifest's count), a part with a different number of data
 *  rows is a DataError naming the source. */
export async function readPart(part: ManifestPart, table: ManifestTable, expectRows: number | null = part.rows): Promise<Table> {
  let t: Table;
  try {
    t = await readTable(await openPart(part.source), partTableOptions(part, table));
  } catch (e) {
    // A URL's body is read as a stream: name the URL in the message instead of "<stream>".
    if (e instanceof DataError && e.message.startsWith("<stream>")) e.message = part.source + e.message.slice("<stream>".length);
    throw e;
  }
  if (t.X.rows === 0) throw new DataError("no data rows after the header", { source: part.source });
  if (expectRows !== null && t.X.rows !== expectRows) {
    throw new DataError(`has ${t.X.rows} data rows, but the manifest says ${expectRows} (the part changed after the manifest was written?)`, { source: part.source });
  }
  return t;
}
