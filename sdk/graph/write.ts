// Edge-list writers: a graph as CSV or TSV text, one edge per line (`source,target,weight`),
// in the graph's edge order (u < v, sorted by (u, v)). Three ways out:
// - `edgeListChunks(graph)`: text in chunks of about 64 KiB, for any sink (streams, sockets);
// - `formatEdges(graph)` / `edgesBlob(graph)`: the whole text, for browsers and edge runtimes;
// - `writeEdges(path, graph)` (Node, Deno): written under a temporary name in the same directory
//   and moved into place only when complete, so a reader never sees a half-written file and a
//   failed write leaves any earlier file untouched; never through a symbolic link, and never
//   over an existing file unless `overwrite: true`.
// Weights are written with JavaScript's shortest round-trip formatting (String(x)), so reading
// the file back gives the same doubles. Ids that would not survive a CSV reader (a delimiter,
// a quote, a line break, blanks at either end, a leading comment character, an empty id) are
// quoted with "" doubling, which `readEdges` understands.
import { ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import type { Graph } from "./graph.js";
import { localPath, writeFileAtomic } from "../platform.js";

/** Options of the edge-list writers. */
export interface EdgeWriteOptions {
  /** "csv" (comma) or "tsv" (tab). Default "csv" (`writeEdges`: from the extension, .tsv/.tab → tsv). */
  format?: "csv" | "tsv";
  /** Write the header line `source,target,weight` (or `source,target`). Default true. */
  header?: boolean;
  /** "original": the graph's `nodeIds` (when it has them); "index": node numbers 0..n−1.
   *  Default "original" when the graph has nodeIds, else "index". */
  ids?: "original" | "index";
  /** Write the weight column. Default true. */
  weights?: boolean;
}

/** Options of `writeEdges`. */
export interface EdgeFileOptions extends EdgeWriteOptions {
  /** Replace an existing file. Default false (an existing file is a ValueError). */
  overwrite?: boolean;
}

const WRITE_KEYS = ["format", "header", "ids", "weights"] as const;
const CHUNK = 1 << 16;

interface Resolved {
  delim: string;
  header: boolean;
  names: readonly string[] | null;
  weights: boolean;
}

function resolve(graph: Graph, o: EdgeWriteOptions, where: string): Resolved {
  if (!graph || typeof graph !== "object" || !(graph.u instanceof Int32Array)) throw new ValueError(`${where}: expected a Graph`);
  const format = o.format ?? "csv";
  if (format !== "csv" && format !== "tsv") throw new ValueError(`${where}: format must be "csv" or "tsv", got ${JSON.stringify(format)}`);
  const ids = o.ids ?? (graph.nodeIds ? "original" : "index");
  if (ids !== "original" && ids !== "index") throw new ValueError(`${where}: ids must be "original" or "index", got ${JSON.stringify(ids)}`);
  if (ids === "original" && !graph.nodeIds) throw new ValueError(`${where}: ids: "original" needs a graph with nodeIds (this one has integer node numbers only)`);
  for (const k of ["header", "weights"] as const) {
    if (o[k] !== undefined && typeof o[k] !== "boolean") throw new ValueError(`${where}: ${k} must be true or false, got ${JSON.stringify(o[k])}`);
  }
  return { delim: format === "tsv" ? "\t" : ",", header: o.header ?? true, names: ids === "original" ? graph.nodeIds : null, weights: o.weights ?? true };
}

/** A field as a CSV reader will read it back (quoted when needed). */
function field(s: string, delim: string): string {
  const c0 = s.charCodeAt(0), cl = s.charCodeAt(s.length - 1);
  const needs =
    s === "" || s.includes(delim) || s.includes('"') || s.includes("\n") || s.includes("\r") ||
    c0 === 32 || c0 === 9 || cl === 32 || cl === 9 || c0 === 35 /* # */;
  return needs ? `"${s.replace(/"/g, '""')}"` : s;
}

function* chunks(graph: Graph, r: Resolved): Generator<string> {
  const { delim, names, weights } = r;
  const q = names ? names.map((s) => field(s, delim)) : null;
  let buf = r.header ? (weights ? `source${delim}target${delim}weight\n` : `source${delim}target\n`) : "";
  const { u, v, w, m } = graph;
  for (let e = 0; e < m; e++) {
    const a = q ? q[u[e]] : String(u[e]);
    const b = q ? q[v[e]] : String(v[e]);
    buf += weights ? `${a}${delim}${b}${delim}${w[e]}\n` : `${a}${delim}${b}\n`;
    if (buf.length >= CHUNK) {
      yield buf;
      buf = "";
    }
  }
  if (buf !== "") yield buf;
}

/** The edge list as text chunks of about 64 KiB (header first). Memory: one chunk. */
export function edgeListChunks(graph: Graph, opts: EdgeWriteOptions = {}): Generator<string> {
  const o = checkOptions<EdgeWriteOptions>(opts, "edgeListChunks", WRITE_KEYS);
  return chunks(graph, resolve(graph, o, "edgeListChunks"));
}

/** The whole edge list as one string (for small graphs, tests, and runtimes without files). */
export function formatEdges(graph: Graph, opts: EdgeWriteOptions = {}): string {
  const o = checkOptions<EdgeWriteOptions>(opts, "formatEdges", WRITE_KEYS);
  return [...chunks(graph, resolve(graph, o, "formatEdges"))].join("");
}

/** The edge list as a Blob of type text/csv or text/tab-separated-values (for downloads in a
 *  browser; built from the chunks, so no single string of the whole file is made). */
export function edgesBlob(graph: Graph, opts: EdgeWriteOptions = {}): Blob {
  const o = checkOptions<EdgeWriteOptions>(opts, "edgesBlob", WRITE_KEYS);
  const r = resolve(graph, o, "edgesBlob");
  return new Blob([...chunks(graph, r)], { type: r.delim === "\t" ? "text/tab-separated-values" : "text/csv" });
}

/** Write the edge list to a file (Node, Deno): to a temporary file in the same directory,
 *  renamed into place when complete. Refuses a symbolic link, a directory, and an existing
 *  file unless `overwrite: true` (ValueError, nothing written). */
export async function writeEdges(path: string | URL, graph: Graph, opts: EdgeFileOptions = {}): Promise<void> {
  const o = checkOptions<EdgeFileOptions>(opts, "writeEdges", [...WRITE_KEYS, "overwrite"]);
  if (o.overwrite !== undefined && typeof o.overwrite !== "boolean") throw new ValueError(`writeEdges: overwrite must be true or false, got ${JSON.stringify(o.overwrite)}`);
  if (!(path instanceof URL) && (typeof path !== "string" || path === "")) throw new ValueError("writeEdges: path must be a non-empty file path or a file: URL");
  let file: string;
  try {
    file = await localPath(path);
  } catch (e) {
    throw new ValueError(`writeEdges: path must be a non-empty file path or a file: URL (${(e as Error).message})`);
  }
  const lower = file.toLowerCase();
  const format = o.format ?? (lower.endsWith(".tsv") || lower.endsWith(".tab") ? "tsv" : "csv");
  const r = resolve(graph, { ...o, format }, "writeEdges");
  const show = JSON.stringify(file);
  try {
    await writeFileAtomic(file, chunks(graph, r), { overwrite: !!o.overwrite });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ESYMLINK") throw new ValueError(`writeEdges: ${show} is a symbolic link; refusing to write through it`);
    if (code === "EISDIR") throw new ValueError(`writeEdges: ${show} is a directory`);
    if (code === "EEXIST") throw new ValueError(`writeEdges: ${show} exists; pass overwrite: true to replace it`);
    throw new ValueError(`writeEdges: cannot write ${show}: ${(e as Error).message}`);
  }
}
