// Graph commands: `seqlearn resistances`, and the GSQUEAK variants of leaf / merge / tree /
// inspect (Calandriello, Koutis, Lazaric & Valko, ICML 2018) over sparsifier files, so that any
// batch system can run the leaves and merges of a distributed sparsification on different
// machines. The kernel commands of the same names (disqueak.ts) handle dictionary files; the
// dispatcher (app.ts) picks these when the command line says `--graph`, or — for merge and
// inspect — when the first input is a sparsifier file (its magic number, or the JSON form's
// format tag). `tree --graph` gives byte for byte the file that the same leaf and merge
// commands produce one at a time (given each leaf's index and each merge's leaf range), and the
// dictionary of gsqueak() in the SDK on the same edges and blocks.
import { existsSync, openSync, readSync, closeSync, statSync } from "node:fs";
import { join } from "node:path";
import { init, runMergeTree, planTree } from "../../index.js";
import { nodeStream, nodeSeed, MAX_TREE_LEAVES } from "../../random/streams.js";
import { DataError } from "../../io/errors.js";
import { crc32 } from "../../core/crc32.js";
import { Graph } from "../../graph/graph.js";
import { streamEdges, type EdgeReadOptions, type ColumnRef, type IdMode } from "../../graph/read.js";
import { edgeListChunks } from "../../graph/write.js";
import { effectiveResistances } from "../../graph/resistances.js";
import {
  gsqueakLeaf, gsqueakMerge, gsqueakParams, defaultBlockSize, blockSizes, GSQUEAK_LEAF_TASK, GSQUEAK_MERGE_TASK,
  type GsqueakBlock, type GsqueakParams,
} from "../../graph/gsqueak.js";
import { sparsifierGraph, sparsifierCopies, sparsifierToJSON, sparsifierFromJSON, SPARSIFIER_JSON_FORMAT, type SparsifierDictionary } from "../../graph/sparsifier.js";
import { encodeSparsifier, decodeSparsifier, inspectSparsifierFile, isSparsifierFile } from "../../graph/codec.js";
import { command, UsageError } from "../command.js";
import { boolean, choice, custom, group, list, number, requiredFlag, string, type Values } from "../flags.js";
import { output, QUIET, FORCE } from "../options.js";
import { OutputFile, writeFileAtomic, checkOutput, FileError } from "../files.js";
import { commandPool, keepNodeFiles } from "../tree-run.js";
import { readBytes } from "../dictfile.js";
import { out, err, write } from "../term.js";

// ---- flags ------------------------------------------------------------------------------

function delimiter(raw: string, flag: string): string {
  if (raw === "\\t") return "\t";
  if (raw === "whitespace") return raw;
  if (raw.length !== 1) throw new UsageError(`${flag} expects one character, \\t or whitespace, got ${JSON.stringify(raw)}`);
  return raw;
}

/** How an edge list is read. */
export const EDGE_READ = group("edges", {
  format: choice(["csv", "tsv", "jsonl"], { help: "edge-list format", defaultText: "from the file extension, else csv" }),
  delimiter: custom(delimiter, { metavar: "<char>", help: "CSV field separator (\\t: tab; whitespace: runs of blanks)", defaultText: "detected" }),
  columns: list({ help: "the u, v and optional weight columns, by header name or 0-based position", what: "columns", defaultText: "the first two (and a third as weight)" }),
});
export const IDS = group("edges", {
  ids: choice(["auto", "integer", "string"], { default: "auto", help: "node ids: integers (used as node numbers) or strings (numbered in order of appearance)" }),
});
export const NODES = group("edges", {
  nodes: number({ int: true, min: 1, max: 2 ** 31 - 1, metavar: "<n>", help: "number of nodes (ids in [0, n))" }),
});

export function readOptions(v: Partial<Values<typeof EDGE_READ>>, ids: IdMode, n?: number): EdgeReadOptions {
  const columns = v.columns?.map((c) => (/^\d+$/.test(c) ? Number(c) : c)) as ColumnRef[] | undefined;
  if (columns && columns.length !== 2 && columns.length !== 3) throw new UsageError(`--columns expects 2 or 3 columns (u,v[,w]), got ${columns.length}`);
  return {
    ...(v.format ? { format: v.format } : {}), ...(v.delimiter ? { delimiter: v.delimiter } : {}),
    ...(columns ? { columns: columns as [ColumnRef, ColumnRef] } : {}), ids, ...(n !== undefined ? { n } : {}),
  };
}

/** The sparsifier's parameters (the GSQUEAK ones). --gamma here is the ridge γ of the
 *  resistances (the kernel commands' --gamma is a kernel width). */
export const SPARSIFIER = group("sparsifier", {
  eps: number({ gt: 0, lt: 1, default: 0.5, metavar: "<ε>", help: "accuracy: (1−ε)(L_G + γI) ⪯ L_H + γI ⪯ (1+ε)(L_G + γI)" }),
  gamma: number({ min: 0, default: 0, metavar: "<γ>", help: "ridge γ ≥ 0 of the resistances (0: an ordinary spectral sparsifier)" }),
  qbar: number({ int: true, min: 1, max: 2 ** 31 - 1, metavar: "<q̄>", help: "copies per edge", defaultText: "⌈4·ln n/ε²⌉" }),
  jl: number({ int: true, min: 1, max: 65536, metavar: "<k>", aliases: ["k"], help: "JL columns per update", defaultText: "⌈4·ln n/max(ε, 0.5)²⌉" }),
  tol: number({ gt: 0, metavar: "<t>", help: "relative residual of the solves", defaultText: "1e-3" }),
  seed: number({ int: true, min: 0, default: 0, metavar: "<s>", help: "root seed" }),
  noLeafUpdate: boolean({ help: "merge leaves as they are (every edge with p̃ = 1, q = q̄) instead of updating each first" }),
});

export function paramsOf(n: number, v: Values<typeof SPARSIFIER>): GsqueakParams {
  return gsqueakParams(n, {
    eps: v.eps, gamma: v.gamma, ...(v.qbar !== undefined ? { qbar: v.qbar } : {}), ...(v.jl !== undefined ? { k: v.jl } : {}),
    ...(v.tol !== undefined ? { tol: v.tol } : {}), leafUpdate: !v.noLeafUpdate,
  }, "seqlearn");
}

const GRAPH_FLAG = { graph: boolean({ help: "work on a graph's edge list (GSQUEAK sparsifier files) instead of a data table" }) };
const SPAR_OUT = requiredFlag(output("<file.spar>", "where to write the sparsifier file"), "(where to write the sparsifier file)");

// ---- reading ----------------------------------------------------------------------------

export interface EdgeFile {
  u: Int32Array;
  v: Int32Array;
  w: Float64Array;
  /** Largest id + 1 (integer ids) or the number of distinct ids (string ids). */
  n: number;
  /** The id table for string ids. */
  ids: string[] | null;
  selfLoops: number;
}

/** An edge list in file order (self-loops dropped, duplicates kept). */
export async function readEdgeFile(path: string, opts: EdgeReadOptions): Promise<EdgeFile> {
  let cap = 1024, len = 0;
  let u = new Int32Array(cap), v = new Int32Array(cap), w = new Float64Array(cap);
  const ids: string[] = [];
  let mode: "integer" | "string" = "integer", maxId = -1, loops = 0;
  for await (const b of streamEdges(path, opts)) {
    mode = b.ids;
    loops += b.selfLoops;
    const k = b.u.length;
    if (len + k > cap) {
      while (len + k > cap) cap *= 2;
      const u2 = new Int32Array(cap), v2 = new Int32Array(cap), w2 = new Float64Array(cap);
      u2.set(u.subarray(0, len));
      v2.set(v.subarray(0, len));
      w2.set(w.subarray(0, len));
      u = u2;
      v = v2;
      w = w2;
    }
    u.set(b.u, len);
    v.set(b.v, len);
    w.set(b.w, len);
    len += k;
    for (let t = 0; t < k; t++) maxId = Math.max(maxId, b.u[t], b.v[t]);
    for (const s of b.newIds) ids.push(s);
  }
  return { u: u.slice(0, len), v: v.slice(0, len), w: w.slice(0, len), n: mode === "string" ? ids.length : maxId + 1, ids: mode === "string" ? ids : null, selfLoops: loops };
}

/** A sparsifier file (binary), or its JSON form (as written by `seqlearn inspect --json`). */
function readSparsifier(path: string): SparsifierDictionary {
  const bytes = readBytes(path, "sparsifier file");
  if (!isSparsifierFile(bytes) && bytes.length > 0 && bytes[0] === 0x7b /* { */) {
    let obj: unknown;
    try {
      obj = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new DataError(`not a sparsifier file, and not valid JSON either (${(e as Error).message})`, { source: path });
    }
    return sparsifierFromJSON(obj);
  }
  return decodeSparsifier(bytes);
}

/** Options that take no value, among those of leaf / merge / tree / inspect (either kind). */
const NO_VALUE = new Set(["--graph", "--quiet", "--json", "--edges", "--help", "-h", "--no-leaf-update"]);

/** Whether a command line asks for the graph variant: `--graph` among the options, or a first
 *  input (the first argument that is not an option or an option's value) that is a sparsifier
 *  file or its JSON form. */
export function wantsGraph(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  const opts = end < 0 ? argv : argv.slice(0, end);
  if (opts.includes("--graph")) return true;
  let first: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (i === end) {
      first = argv[i + 1];
      break;
    }
    if (a.startsWith("-") && a !== "-") {
      if (!a.includes("=") && !NO_VALUE.has(a)) i++; // its value
      continue;
    }
    first = a;
    break;
  }
  if (first === undefined || !existsSync(first)) return false;
  try {
    const fd = openSync(first, "r");
    try {
      const head = new Uint8Array(4096);
      const b = head.subarray(0, readSync(fd, head, 0, head.length, 0));
      if (isSparsifierFile(b)) return true;
      return b[0] === 0x7b && /"format"\s*:\s*"seqlearn\.sparsifier\//.test(new TextDecoder().decode(b));
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

function summary(d: SparsifierDictionary, out: string): string {
  const g = sparsifierGraph(d);
  return `${out}: ${d.size} entries (${g.m} distinct edges, Σq = ${sparsifierCopies(d)}) summarising ${d.params.edges} edges on ${d.params.n} nodes` +
    `${d.params.deff !== null ? `, d_eff(γ) ≈ ${d.params.deff.toFixed(2)}` : ""}`;
}

// ---- leaf / merge / tree / inspect ------------------------------------------------------

export const graphLeaf = command({
  name: "leaf",
  summary: "GSQUEAK leaf: build the sparsifier file of one block of a graph's edges",
  synopsis: "seqlearn leaf --graph <edges.csv> -o part.spar --nodes <n> [--start <edge>] [--node <i>] [options]",
  description: [
    "Node ids must be integers in [0, n) (the same numbering on every machine). --start counts edges,",
    "self-loops excluded, from the first edge of the whole input.",
  ],
  flags: {
    ...GRAPH_FLAG,
    ...group("part", {
      start: number({ int: true, min: 0, default: 0, metavar: "<edge>", help: "position of the block's first edge in the whole input; blocks must not overlap" }),
      node: number({ int: true, min: 0, max: MAX_TREE_LEAVES - 1, metavar: "<i>", help: "the leaf's index in the tree, which seeds it (`seqlearn tree --graph` numbers leaves 0..k−1)", defaultText: "--start" }),
    }),
    nodes: requiredFlag(NODES.nodes, "(the number of nodes of the whole graph)"),
    ...EDGE_READ,
    ...SPARSIFIER,
    output: SPAR_OUT,
    ...FORCE,
    ...QUIET,
  },
  async run({ positional, values: v }) {
    if (positional.length !== 1) throw new UsageError("expected one edge-list file");
    checkOutput(v.output, { inputs: positional, force: v.force });
    await init();
    const params = paramsOf(v.nodes, v);
    const e = await readEdgeFile(positional[0], readOptions(v, "integer", v.nodes));
    const node = v.node ?? v.start;
    const block: GsqueakBlock = { u: e.u, v: e.v, w: e.w, start: v.start };
    const d = gsqueakLeaf(block, params, v.seed, nodeStream(node % MAX_TREE_LEAVES, 1));
    writeFileAtomic(v.output, encodeSparsifier(d), { inputs: positional, force: v.force });
    if (!v.quiet) err(summary(d, v.output));
    return 0;
  },
});

function leafRange(raw: string, flag: string): { first: number; last: number } {
  const m = /^(\d+)\.\.(\d+)$/.exec(raw);
  const first = m ? Number(m[1]) : NaN, last = m ? Number(m[2]) : NaN;
  if (!m || !(first < last) || last >= MAX_TREE_LEAVES) throw new UsageError(`${flag} must be <first>..<last> with first < last < ${MAX_TREE_LEAVES} (e.g. 0..3), got ${JSON.stringify(raw)}`);
  return { first, last };
}

export const graphMerge = command({
  name: "merge",
  summary: "GSQUEAK merge: merge two sparsifier files into one (the shared update on their union)",
  synopsis: "seqlearn merge <a.spar> <b.spar> -o ab.spar [--leaves <first>..<last>] [options]",
  description: [
    "Inputs: sparsifier files, or their JSON form (seqlearn inspect --json). n, ε, γ, q̄, k and tol come from",
    "the files (they must agree).",
  ],
  flags: {
    ...GRAPH_FLAG,
    leaves: custom(leafRange, {
      metavar: "<first>..<last>", expect: `first < last < ${MAX_TREE_LEAVES}`, defaultText: "a seed derived from the two files' checksums",
      help: "the leaves (as `seqlearn tree --graph` numbers them, 0..k−1) the merged node covers; they seed this merge",
    }),
    seed: number({ int: true, min: 0, metavar: "<s>", help: "root seed", defaultText: "the inputs' seed" }),
    output: SPAR_OUT,
    ...FORCE,
    ...QUIET,
  },
  async run({ positional, values: v }) {
    if (positional.length !== 2) throw new UsageError(`expected two sparsifier files, got ${positional.length}`);
    checkOutput(v.output, { inputs: positional, force: v.force });
    await init();
    const [a, b] = positional.map(readSparsifier);
    const crcs = positional.map((f) => crc32(readBytes(f, "sparsifier file"))).sort((x, y) => x - y);
    const stream = v.leaves !== undefined ? nodeStream(v.leaves.first, v.leaves.last - v.leaves.first + 1) : nodeSeed(crcs[0], crcs[1]);
    let seed = v.seed;
    if (seed === undefined) {
      if (a.params.seed !== b.params.seed) throw new UsageError(`the inputs were built with different seeds (${a.params.seed} and ${b.params.seed}); give --seed`);
      seed = a.params.seed;
    }
    const p = a.params;
    const params = gsqueakParams(p.n, { eps: p.eps, gamma: p.gamma, qbar: p.qbar, k: p.k, tol: p.tol }, "seqlearn merge");
    const ab = gsqueakMerge(a, b, params, seed, stream);
    writeFileAtomic(v.output, encodeSparsifier(ab), { inputs: positional, force: v.force });
    if (!v.quiet) err(summary(ab, v.output));
    return 0;
  },
});

export const graphTree = command({
  name: "tree",
  summary: "GSQUEAK over a whole merge tree on local worker threads (the leaves: edge files, or one file cut into blocks)",
  synopsis: "seqlearn tree --graph <edges.csv> [more.csv ...] -o all.spar [--block-size <edges>] [--workers <w>] [options]",
  description: [
    "Each file is a leaf, in order (edge positions run on from one file to the next; ids must then be integers);",
    "with one file, --block-size cuts it into contiguous leaves. Node ids: leaves 0..k−1, merges k, k+1, …",
  ],
  flags: {
    ...GRAPH_FLAG,
    ...group("tree", {
      blockSize: number({ int: true, min: 1, metavar: "<edges>", help: "edges per leaf when cutting one file (as gsqueak())", defaultText: "max(4096, ⌈(1−ε)·q̄·n⌉)" }),
      shape: choice(["balanced", "chain"], { default: "balanced", help: "shape of the merge tree (chain: the streaming sparsifier)" }),
      workers: number({ int: true, min: 0, max: 1024, metavar: "<w>", help: "worker threads (0: this thread)", defaultText: "the available cores" }),
      keep: string({ metavar: "<dir>", help: "write every node as <dir>/node-<id>.spar and print the equivalent leaf/merge commands" }),
    }),
    ...NODES,
    ...EDGE_READ,
    ...IDS,
    ...SPARSIFIER,
    output: SPAR_OUT,
    ...FORCE,
    ...group("output", {
      edgesOut: string({ metavar: "<file.csv>", help: "also write the sparsifier as an edge list (source,target,weight; the input's ids)" }),
      json: boolean({ help: "print the summary and the per-level timings as JSON" }),
    }),
    ...QUIET,
  },
  async run({ positional, values: v }) {
    if (positional.length === 0) throw new UsageError("expected at least one edge-list file");
    const files = positional;
    checkOutput(v.output, { inputs: files, force: v.force });
    if (v.edgesOut !== undefined) checkOutput(v.edgesOut, { inputs: files, force: v.force, flag: "--edges-out" });
    if (v.keep !== undefined && existsSync(v.keep) && !statSync(v.keep).isDirectory()) throw new FileError(`--keep ${v.keep}: it exists and is not a folder`);
    if (files.length > 1 && v.blockSize !== undefined) throw new UsageError("--block-size cuts a single file; with several files each file is a leaf");
    if (files.length > 1 && v.ids === "string") throw new UsageError("--ids string needs a single file: with several files the ids must be integers (one numbering for all)");
    await init();
    const t0 = performance.now();
    const parts: EdgeFile[] = [];
    for (const f of files) parts.push(await readEdgeFile(f, readOptions(v, files.length > 1 ? "integer" : v.ids, v.nodes)));
    const ids = parts.length === 1 ? parts[0].ids : null;
    if (ids && v.nodes !== undefined) throw new UsageError("--nodes applies to integer ids (with string ids n is the number of distinct ids)");
    const n = ids ? Math.max(1, ids.length) : v.nodes ?? Math.max(1, ...parts.map((p) => p.n));
    const params = paramsOf(n, v);
    const leaves: GsqueakBlock[] = [];
    let start = 0;
    for (const p of parts) {
      const sizes = files.length === 1 ? blockSizes(p.u.length, v.blockSize ?? defaultBlockSize(params)) : [p.u.length];
      let s = 0;
      for (const r of sizes) {
        leaves.push({ u: p.u.slice(s, s + r), v: p.v.slice(s, s + r), w: p.w.slice(s, s + r), start: start + s });
        s += r;
      }
      start += p.u.length;
    }
    const seed = v.seed;
    const keep = v.keep;
    const plan = planTree(leaves.length, v.shape);
    const keepNode = keepNodeFiles(keep, "spar", leaves.length + plan.merges.length, { inputs: files, force: v.force });
    const { pool, close } = await commandPool(v.workers);
    try {
      const quiet = v.quiet;
      const tty = !quiet && !!process.stderr.isTTY;
      const r = await runMergeTree<GsqueakBlock, Uint8Array, GsqueakParams>(pool, {
        leaves, leafTask: GSQUEAK_LEAF_TASK, mergeTask: GSQUEAK_MERGE_TASK, shape: v.shape, seed, params,
        leafCost: (b) => b.u.length,
        onNode: (i) => {
          keepNode?.(i.node, i.value as Uint8Array);
          if (tty) process.stderr.write(`\rtree: ${i.done}/${i.total} nodes`);
        },
      });
      if (tty) process.stderr.write("\n");
      writeFileAtomic(v.output, r.value, { inputs: files, force: v.force });
      const d = decodeSparsifier(r.value);
      if (v.edgesOut !== undefined) {
        const f = new OutputFile(v.edgesOut, { inputs: files, force: v.force, flag: "--edges-out" });
        try {
          for (const chunk of edgeListChunks(sparsifierGraph(d, ids))) f.write(chunk);
          f.commit();
        } finally {
          f.abort();
        }
      }
      const g = sparsifierGraph(d);
      const seconds = (performance.now() - t0) / 1000;
      if (v.json) {
        out(JSON.stringify({
          n, edges: start, kept: g.m, entries: d.size, copies: sparsifierCopies(d), deff: d.params.deff, eps: params.eps, gamma: params.gamma,
          qbar: params.qbar, k: params.k, leaves: leaves.length, depth: plan.depth, wallMs: r.wallMs, levels: r.levels,
        }));
      } else if (!quiet) {
        err(summary(d, v.output));
        err(`  n = ${n}, ε = ${params.eps}, γ = ${params.gamma}, q̄ = ${params.qbar}, k = ${params.k}; ${leaves.length} leaves, depth ${plan.depth}; kept ${g.m} of ${start} edges (${((100 * g.m) / Math.max(1, start)).toFixed(1)} %) in ${seconds.toFixed(2)} s`);
        for (const l of r.levels) err(`  level ${l.level}: ${l.nodes} node${l.nodes === 1 ? "" : "s"}, ${l.wallMs.toFixed(0)} ms wall, ${l.workMs.toFixed(0)} ms compute`);
      }
      if (keep && !quiet) {
        err(`node files in ${keep}/; the same tree, one step at a time:`);
        const common = `--nodes ${n} --eps ${params.eps} --gamma ${params.gamma} --qbar ${params.qbar} --jl ${params.k} --tol ${params.tol} --seed ${seed}${params.leafUpdate ? "" : " --no-leaf-update"}`;
        for (let i = 0; i < leaves.length; i++) err(`  seqlearn leaf --graph <edges ${leaves[i].start}..${leaves[i].start + leaves[i].u.length - 1}> --start ${leaves[i].start} --node ${i} ${common} -o ${join(keep, `node-${i}.spar`)}`);
        for (const m of plan.merges) err(`  seqlearn merge ${join(keep, `node-${m.left}.spar`)} ${join(keep, `node-${m.right}.spar`)} --leaves ${m.first}..${m.first + m.count - 1} -o ${join(keep, `node-${m.node}.spar`)}`);
      }
    } finally {
      await close();
    }
    return 0;
  },
});

export const graphInspect = command({
  name: "inspect",
  summary: "show a sparsifier file: header facts, its edges (--edges) or the whole file as JSON (--json)",
  synopsis: "seqlearn inspect <file.spar> [--json | --edges]",
  flags: {
    ...GRAPH_FLAG,
    ...group("output", {
      json: boolean({ help: "print the whole sparsifier in its JSON form (seqlearn.sparsifier/1)" }),
      edges: boolean({ help: "print the sparsifier as an edge list (source,target,weight), weights a·q/(q̄·p̃)" }),
    }),
  },
  async run({ positional, values: v }) {
    if (positional.length !== 1) throw new UsageError("expected one sparsifier file");
    if (v.json && v.edges) throw new UsageError("give --json or --edges, not both");
    await init();
    const d = readSparsifier(positional[0]);
    if (v.json) {
      out(JSON.stringify(sparsifierToJSON(d)));
      return 0;
    }
    const g = sparsifierGraph(d);
    if (v.edges) {
      for (const chunk of edgeListChunks(g)) write(chunk);
      return 0;
    }
    const bytes = readBytes(positional[0], "sparsifier file");
    const head = isSparsifierFile(bytes) ? inspectSparsifierFile(bytes) : null;
    const p = d.params;
    out([
      head ? `${positional[0]}: seqlearn sparsifier file, format version ${head.version}, ${head.bytes} bytes (CRC-32 verified)` : `${positional[0]}: seqlearn sparsifier, JSON form (${SPARSIFIER_JSON_FORMAT})`,
      `n = ${p.n}; ε = ${p.eps}, γ = ${p.gamma}, q̄ = ${p.qbar}, k = ${p.k}, tol = ${p.tol}; seed ${p.seed}`,
      `${d.size} entries (${g.m} distinct edges) summarising ${p.edges} edges; d_eff(γ) ≈ ${p.deff ?? "–"}`,
      `total weight Σ w = ${g.totalWeight().toFixed(3)}; copies Σ q = ${sparsifierCopies(d)}; components ${g.components().count}`,
    ].join("\n"));
    return 0;
  },
});

// ---- resistances -----------------------------------------------------------------------

/** A field as a CSV reader reads it back (quoted when needed). */
export function csvField(s: string): string {
  const needs = s === "" || /[,"\r\n]/.test(s) || /^[\s#]|\s$/.test(s);
  return needs ? `"${s.replace(/"/g, '""')}"` : s;
}

export const resistances = command({
  name: "resistances",
  summary: "effective resistances (and leverages) of every edge, or of given node pairs, exact or by JL sketches",
  synopsis: "seqlearn resistances <edges.csv> -o out.csv [--gamma <γ>] [--method auto|exact|jl] [--eps <ε> | --jl <k>] [--pairs <pairs.csv>]",
  description: [
    "Output: one row per edge (source,target,weight,resistance,leverage) in the graph's edge order (u < v, sorted),",
    "or per pair of --pairs (source,target,resistance) in file order; ids as in the input. A summary goes to stderr.",
  ],
  flags: {
    ...group("resistances", {
      gamma: number({ min: 0, default: 0, metavar: "<γ>", help: "ridge γ ≥ 0: resistances in L + γI (0: L⁺)" }),
      method: choice(["auto", "exact", "jl"], { default: "auto", help: "exact (dense, n ≤ 4096), JL sketch, or auto (exact up to n = 1000)" }),
      eps: number({ gt: 0, max: 1, metavar: "<ε>", help: "JL accuracy: k = ⌈4·ln n/ε²⌉ columns", defaultText: "0.5" }),
      jl: number({ int: true, min: 1, max: 65536, metavar: "<k>", aliases: ["k"], help: "JL columns (instead of --eps)" }),
      seed: number({ int: true, min: 0, metavar: "<s>", help: "seed of the JL signs", defaultText: "0" }),
      tol: number({ gt: 0, metavar: "<t>", help: "relative residual of the JL solves", defaultText: "1e-3" }),
      pairs: string({ metavar: "<pairs.csv>", help: "node pairs to estimate (two columns, ids as in the edge list) instead of every edge" }),
    }),
    ...NODES,
    ...EDGE_READ,
    ...IDS,
    output: output("<out.csv>", "where to write the resistances (default: standard output)"),
    ...FORCE,
    ...QUIET,
  },
  async run({ positional, values: v }) {
    if (positional.length !== 1) throw new UsageError("expected one edge-list file");
    const inputs = v.pairs !== undefined ? [positional[0], v.pairs] : [positional[0]];
    if (v.output !== undefined) checkOutput(v.output, { inputs, force: v.force });
    if (v.eps !== undefined && v.jl !== undefined) throw new UsageError("give --eps or --jl, not both (k = ⌈4·ln n/ε²⌉)");
    if (v.method === "exact" && (v.eps !== undefined || v.jl !== undefined || v.seed !== undefined || v.tol !== undefined)) {
      throw new UsageError("--eps, --jl, --seed and --tol apply to --method jl (or auto on large graphs)");
    }
    await init();
    const t0 = performance.now();
    const e = await readEdgeFile(positional[0], readOptions(v, v.ids, v.nodes));
    if (e.ids && v.nodes !== undefined) throw new UsageError("--nodes applies to integer ids (with string ids n is the number of distinct ids)");
    const g = e.ids ? Graph.fromEdges(e.u, e.v, e.w, { nodeIds: e.ids }) : Graph.fromEdges(e.u, e.v, e.w, { n: v.nodes ?? Math.max(1, e.n) });
    let pairs: { u: Int32Array; v: Int32Array } | undefined;
    let skipped = 0;
    if (v.pairs !== undefined) {
      const byId = g.nodeIds ? new Map(g.nodeIds.map((s, i) => [s, i])) : null;
      const pu: number[] = [], pv: number[] = [];
      const local: string[] = [];
      for await (const b of streamEdges(v.pairs, { ids: g.nodeIds ? "string" : "integer", ...(g.nodeIds ? {} : { n: g.n }), columns: [0, 1] })) {
        skipped += b.selfLoops;
        for (const s of b.newIds) local.push(s);
        for (let t = 0; t < b.u.length; t++) {
          if (byId) {
            const a = byId.get(local[b.u[t]]), c = byId.get(local[b.v[t]]);
            if (a === undefined || c === undefined) throw new DataError(`node ${JSON.stringify(a === undefined ? local[b.u[t]] : local[b.v[t]])} is not in the graph`, { source: v.pairs, line: b.lines[t] });
            pu.push(a);
            pv.push(c);
          } else {
            pu.push(b.u[t]);
            pv.push(b.v[t]);
          }
        }
      }
      pairs = { u: Int32Array.from(pu), v: Int32Array.from(pv) };
    }
    const res = effectiveResistances(g, {
      gamma: v.gamma, method: v.method, ...(pairs ? { pairs } : {}),
      ...(v.method === "exact" ? {} : { ...(v.jl !== undefined ? { k: v.jl } : v.eps !== undefined ? { eps: v.eps } : {}), ...(v.seed !== undefined ? { seed: v.seed } : {}), ...(v.tol !== undefined ? { tol: v.tol } : {}) }),
    });
    const name = (i: number): string => (g.nodeIds ? csvField(g.nodeIds[i]) : String(i));
    const emit = (sink: (s: string) => void): void => {
      let buf = pairs ? "source,target,resistance\n" : "source,target,weight,resistance,leverage\n";
      const a = pairs ? pairs.u : g.u, b = pairs ? pairs.v : g.v;
      for (let t = 0; t < a.length; t++) {
        buf += pairs ? `${name(a[t])},${name(b[t])},${res.resistances[t]}\n` : `${name(a[t])},${name(b[t])},${g.w[t]},${res.resistances[t]},${res.leverage![t]}\n`;
        if (buf.length > 1 << 16) {
          sink(buf);
          buf = "";
        }
      }
      sink(buf);
    };
    if (v.output === undefined) emit((s) => write(s));
    else {
      const f = new OutputFile(v.output, { inputs, force: v.force });
      try {
        emit((s) => f.write(s));
        f.commit();
      } finally {
        f.abort();
      }
    }
    if (!v.quiet) {
      const secs = ((performance.now() - t0) / 1000).toFixed(2);
      const how = res.method === "exact" ? "exact" : `JL, k = ${res.k}${res.eps !== null ? ` (ε = ${res.eps})` : ""}, ${res.iterations} iterations${res.converged ? "" : " (some columns did not reach the tolerance)"}`;
      err(`${g.n} nodes, ${g.m} edges, ${res.components} component${res.components === 1 ? "" : "s"}; γ = ${res.gamma}; ${how}; ${secs} s`);
      if (res.deff !== null) err(`d_eff(γ) = Σ w·r = ${res.deff.toFixed(4)}${res.gamma === 0 ? ` (n − c = ${g.n - res.components})` : ""}`);
      if (skipped > 0) err(`${skipped} pair${skipped === 1 ? "" : "s"} (u, u) skipped`);
    }
    return 0;
  },
});
