// seqlearn leaf / merge / tree / inspect: DISQUEAK merge trees over dictionary files, so that
// any batch system (a shell script, make, a job scheduler, Spark or Dask calling the CLI) can
// run the leaves and merges of a tree on different machines. `tree` runs a whole tree locally
// on a worker pool and gives byte-for-byte the dictionary the same leaf and merge commands
// (given the leaf index of each leaf and the leaf range of each merge) produce one by one.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { init, Matrix, kernelFromSpec, WorkerPool, InlinePool, runMergeTree, planTree, nodeStream, MAX_TREE_LEAVES, type Executor } from "../../index.js";
import { UsageError, type Command, type ParsedArgs } from "../command.js";
import { readTable } from "../../io/table.js";
import { DataError } from "../../io/errors.js";
import { encodeDictionary, decodeDictionary, inspectDictionaryFile, isDictionaryFile, type DecodedDictionary } from "../../kernel/codec.js";
import { crc32 } from "../../core/crc32.js";
import { dictionaryToJSON, dictionaryFromJSON, type RlsDictionary } from "../../kernel/dictionary.js";
import {
  disqueakLeaf, disqueakMerge, disqueakParams, nodeSeed, DISQUEAK_LEAF_TASK, DISQUEAK_MERGE_TASK,
  type DisqueakLeaf, type DisqueakParams,
} from "../../kernel/disqueak.js";
import { checkFlags, num, str, kernelSpecFromFlags, tableOptions } from "./fit.js";

const DATA_FLAGS = ["target", "features", "ignore", "format", "delimiter"] as const;
const KERNEL_FLAGS = ["kernel", "gamma", "sigma", "length-scale", "degree", "coef0"] as const;
const DQ_FLAGS = ["lambda-gamma", "eps", "qbar", "seed", "leaf", "prefactor", "estimator", "max-dictionary"] as const;

function readRows(path: string, args: ParsedArgs): Promise<{ X: Matrix; features: string[] }> {
  return readTable(path, { ...tableOptions(args, path), targetOptional: true }).then((t) => {
    if (t.X.rows === 0) throw new DataError("no data rows after the header", { source: path });
    return { X: t.X, features: t.features };
  });
}

function params(args: ParsedArgs, d: number, leafRows: number): DisqueakParams {
  const gamma = num(args, "lambda-gamma", { gt: 0 });
  if (gamma === undefined) throw new UsageError("--lambda-gamma <γ> (the ridge of the leverage scores) is required");
  const leaf = str(args, "leaf") ?? "auto";
  if (!["exact", "squeak", "auto"].includes(leaf)) throw new UsageError(`--leaf must be exact, squeak or auto, got ${JSON.stringify(leaf)}`);
  const prefactor = str(args, "prefactor") ?? "printed";
  if (prefactor !== "printed" && prefactor !== "proof") throw new UsageError(`--prefactor must be printed or proof, got ${JSON.stringify(prefactor)}`);
  return disqueakParams({
    kernel: kernelFromSpec(kernelSpecFromFlags(args, d)), gamma, eps: num(args, "eps", { gt: 0, lt: 1 }), qbar: num(args, "qbar", { int: true, min: 1 }),
    prefactor, estimator: estimatorFlag(args), maxDictionary: num(args, "max-dictionary", { int: true, min: 1 }),
  }, leaf === "auto" ? (leafRows <= 128 ? "exact" : "squeak") : (leaf as "exact" | "squeak"));
}

/** A dictionary file (binary), or its JSON form (as written by `seqlearn inspect --json`). */
function estimatorFlag(args: ParsedArgs): "disqueak" | "squeak" {
  const e = str(args, "estimator") ?? "disqueak";
  if (e !== "disqueak" && e !== "squeak") throw new UsageError(`--estimator must be disqueak or squeak, got ${JSON.stringify(e)}`);
  return e;
}

function readDict(path: string): DecodedDictionary | RlsDictionary {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (!isDictionaryFile(bytes) && bytes.length > 0 && bytes[0] === 0x7b /* { */) {
    let obj: unknown;
    try {
      obj = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new DataError(`not a dictionary file, and not valid JSON either (${(e as Error).message})`, { source: path });
    }
    return dictionaryFromJSON(obj);
  }
  return decodeDictionary(bytes);
}

function output(args: ParsedArgs): string {
  const out = str(args, ["o", "output"]);
  if (!out) throw new UsageError("-o <file.dict> (where to write the dictionary) is required");
  return out;
}

function summary(d: { size: number; params: { n: number; deff: number | null } }, out: string): string {
  return `${out}: ${d.size} points summarising ${d.params.n} rows${d.params.deff !== null ? `, d_eff ≈ ${d.params.deff.toFixed(2)}` : ""}`;
}

export const leaf: Command = {
  name: "leaf",
  summary: "DISQUEAK leaf: build the dictionary file of one part of the data",
  usage: [
    "seqlearn leaf <part.csv|part.jsonl> -o part.dict --lambda-gamma <γ> [--start <row>] [--node <id>] [options]",
    "",
    "--start <row>   global index of the part's first row (default 0); parts must not overlap",
    "--node <i>      the leaf's index in the tree, which seeds it (default: --start); `seqlearn tree` numbers leaves 0..k−1",
    "--leaf exact|squeak|auto   every row with p̃ = 1, q = q̄, or a SQUEAK pre-thinned part (auto: exact up to 128 rows)",
    "kernel:  --kernel rbf|...  --gamma <g> (default 1/d)  --sigma  --length-scale  --degree  --coef0   (features are used as they are: scale before splitting)",
    "dictionary:  --lambda-gamma <γ> (required)  --eps <ε> (0.5)  --qbar <q̄> (10)  --seed <s> (0)  --prefactor printed|proof",
    "             --estimator disqueak|squeak (merges: (1+ε)γ or γ in A; default disqueak)  --max-dictionary <m>",
    "data:  --target <col> (left out)  --features a,b | --ignore a,b  --format csv|tsv|jsonl  --delimiter",
  ].join("\n"),
  booleans: ["quiet"],
  async run(args) {
    checkFlags(args, [...DATA_FLAGS, ...KERNEL_FLAGS, ...DQ_FLAGS, "start", "node", "o", "output", "quiet"]);
    if (args.positional.length !== 1) throw new UsageError("expected one data file");
    const out = output(args);
    await init();
    const { X } = await readRows(args.positional[0], args);
    const p = params(args, X.cols, X.rows);
    const start = num(args, "start", { int: true, min: 0 }) ?? 0;
    const node = num(args, "node", { int: true, min: 0, max: MAX_TREE_LEAVES - 1 }) ?? start;
    const seed = num(args, "seed", { int: true, min: 0 }) ?? 0;
    const part: DisqueakLeaf = { data: X.data, n: X.rows, d: X.cols, start };
    const bytes = encodeDictionary(disqueakLeaf(part, p, seed, nodeStream(node % MAX_TREE_LEAVES, 1)));
    writeFileSync(out, bytes);
    if (!args.flags.quiet) console.error(summary(decodeDictionary(bytes), out));
    return 0;
  },
};

export const merge: Command = {
  name: "merge",
  summary: "DISQUEAK merge: merge two dictionary files into one (DICT-UPDATE with the DISQUEAK estimator)",
  usage: [
    "seqlearn merge <a.dict> <b.dict> -o ab.dict [--leaves <first>..<last>] [--seed <s>] [--prefactor printed|proof] [--estimator disqueak|squeak] [--max-dictionary <m>]",
    "",
    "Inputs: dictionary files, or their JSON form (seqlearn inspect --json). Kernel, γ, ε and q̄ come from the",
    "files (they must agree); the seed and --max-dictionary default to a's.",
    "--leaves <first>..<last>  the leaves (as `seqlearn tree` numbers them, 0..k−1) the merged node covers; they seed",
    "             this merge (default: a seed derived from the two files' checksums)",
    "--prefactor  default: proof if either input was built with it, else printed",
  ].join("\n"),
  booleans: ["quiet"],
  async run(args) {
    checkFlags(args, ["leaves", "seed", "prefactor", "estimator", "max-dictionary", "o", "output", "quiet"]);
    if (args.positional.length !== 2) throw new UsageError(`expected two dictionary files, got ${args.positional.length}`);
    const out = output(args);
    await init();
    const [a, b] = args.positional.map(readDict);
    const crcs = args.positional.map((f) => crc32(readFileSync(f))).sort((x, y) => x - y);
    const range = str(args, "leaves");
    let stream: number;
    if (range !== undefined) {
      const m = /^(\d+)\.\.(\d+)$/.exec(range);
      const first = m ? Number(m[1]) : NaN, last = m ? Number(m[2]) : NaN;
      if (!m || !(first < last) || last >= MAX_TREE_LEAVES) throw new UsageError(`--leaves must be <first>..<last> with first < last < ${MAX_TREE_LEAVES} (e.g. 0..3), got ${JSON.stringify(range)}`);
      stream = nodeStream(first, last - first + 1);
    } else stream = nodeSeed(crcs[0], crcs[1]);
    let seed = num(args, "seed", { int: true, min: 0 });
    if (seed === undefined) {
      if (a.params.seed !== b.params.seed) throw new UsageError(`the inputs were built with different seeds (${a.params.seed} and ${b.params.seed}); give --seed`);
      seed = a.params.seed ?? 0;
    }
    const prefactor = str(args, "prefactor") ?? (a.params.cPref > 1 || b.params.cPref > 1 ? "proof" : "printed");
    if (prefactor !== "printed" && prefactor !== "proof") throw new UsageError(`--prefactor must be printed or proof, got ${JSON.stringify(prefactor)}`);
    const p: DisqueakParams = {
      ...disqueakParams({ kernel: a.params.kernel, gamma: a.params.gamma, eps: a.params.eps, qbar: a.params.qbar, prefactor, estimator: estimatorFlag(args), maxDictionary: num(args, "max-dictionary", { int: true, min: 1 }) ?? a.params.maxDictionary ?? undefined }, "exact"),
    };
    const ab = disqueakMerge(a, b, p, seed, stream);
    writeFileSync(out, encodeDictionary(ab));
    if (!args.flags.quiet) console.error(summary(ab, out));
    return 0;
  },
};

export const tree: Command = {
  name: "tree",
  summary: "DISQUEAK over a whole merge tree on local worker threads (the leaves: part files, or one file split by --leaf-size)",
  usage: [
    "seqlearn tree <part1.csv> [part2.csv ...] -o all.dict --lambda-gamma <γ> [--leaf-size <rows>] [--shape balanced|chain] [--workers <w>] [--keep <dir>] [options]",
    "",
    "Each file is a leaf, in order (global row indices run on from one file to the next); with one file,",
    "--leaf-size <rows> splits it into contiguous leaves (default max(4096, ⌈n/16⌉), as disqueak()). Node ids: leaves 0..k−1, merges k, k+1, …",
    "(`--keep <dir>` writes every node as <dir>/node-<id>.dict and prints the equivalent leaf/merge commands).",
    "--workers <w>  worker threads (default: the available cores; 0 = this thread)   --json  print the per-level timings as JSON",
    "The leaf/merge/kernel/data options are those of `seqlearn leaf`.",
  ].join("\n"),
  booleans: ["quiet", "json"],
  async run(args) {
    checkFlags(args, [...DATA_FLAGS, ...KERNEL_FLAGS, ...DQ_FLAGS, "leaf-size", "shape", "workers", "keep", "o", "output", "quiet", "json"]);
    if (args.positional.length === 0) throw new UsageError("expected at least one data file");
    const out = output(args);
    const shape = str(args, "shape") ?? "balanced";
    if (shape !== "balanced" && shape !== "chain") throw new UsageError(`--shape must be balanced or chain, got ${JSON.stringify(shape)}`);
    const workers = num(args, "workers", { int: true, min: 0, max: 1024 });
    const keep = str(args, "keep");
    await init();
    const leaves: DisqueakLeaf[] = [];
    let start = 0, d = -1;
    const files = args.positional;
    const leafSize = num(args, "leaf-size", { int: true, min: 1 });
    if (files.length > 1 && leafSize !== undefined) throw new UsageError("--leaf-size splits a single file; with several files each file is a leaf");
    for (const f of files) {
      const { X } = await readRows(f, args);
      if (d >= 0 && X.cols !== d) throw new DataError(`has ${X.cols} feature columns but ${files[0]} has ${d}`, { source: f });
      d = X.cols;
      const size = files.length === 1 ? (leafSize ?? Math.max(4096, Math.ceil(X.rows / 16))) : X.rows;
      for (let s = 0; s < X.rows; s += size) {
        const r = Math.min(size, X.rows - s);
        leaves.push({ data: X.data.slice(s * d, (s + r) * d), n: r, d, start: start + s });
      }
      start += X.rows;
    }
    const p = params(args, d, Math.max(...leaves.map((l) => l.n)));
    const seed = num(args, "seed", { int: true, min: 0 }) ?? 0;
    const plan = planTree(leaves.length, shape);
    if (keep) mkdirSync(keep, { recursive: true });
    let pool: Executor;
    let own: WorkerPool | null = null;
    if (workers === 0) pool = new InlinePool();
    else pool = own = await WorkerPool.create(workers === undefined ? {} : { size: workers });
    try {
      const quiet = !!args.flags.quiet;
      const tty = !quiet && !!process.stderr.isTTY;
      const r = await runMergeTree<DisqueakLeaf, Uint8Array, DisqueakParams>(pool, {
        leaves, leafTask: DISQUEAK_LEAF_TASK, mergeTask: DISQUEAK_MERGE_TASK, shape, seed, params: p,
        onNode: (i) => {
          if (keep) writeFileSync(join(keep, `node-${i.node}.dict`), i.value as Uint8Array);
          if (tty) process.stderr.write(`\rtree: ${i.done}/${i.total} nodes`);
        },
      });
      if (tty) process.stderr.write("\n");
      writeFileSync(out, r.value);
      const dict = decodeDictionary(r.value);
      if (args.flags.json) console.log(JSON.stringify({ size: dict.size, n: dict.params.n, leaves: leaves.length, depth: plan.depth, wallMs: r.wallMs, levels: r.levels }));
      else if (!quiet) {
        console.error(summary(dict, out));
        for (const l of r.levels) console.error(`  level ${l.level}: ${l.nodes} node${l.nodes === 1 ? "" : "s"}, ${l.wallMs.toFixed(0)} ms wall, ${l.workMs.toFixed(0)} ms compute`);
      }
      if (keep && !quiet) {
        console.error(`node files in ${keep}/; the same tree, one step at a time:`);
        for (let i = 0; i < leaves.length; i++) console.error(`  seqlearn leaf <rows ${leaves[i].start}..${leaves[i].start + leaves[i].n - 1}> --start ${leaves[i].start} --node ${i} --seed ${seed} -o ${join(keep, `node-${i}.dict`)} …`);
        for (const m of plan.merges) console.error(`  seqlearn merge ${join(keep, `node-${m.left}.dict`)} ${join(keep, `node-${m.right}.dict`)} --leaves ${m.first}..${m.first + m.count - 1} -o ${join(keep, `node-${m.node}.dict`)}`);
      }
    } finally {
      await own?.close();
    }
    return 0;
  },
};

export const inspect: Command = {
  name: "inspect",
  summary: "show a dictionary file: header facts, or the whole dictionary as JSON (--json)",
  usage: "seqlearn inspect <file.dict> [--json]",
  booleans: ["json"],
  async run(args) {
    checkFlags(args, ["json"]);
    if (args.positional.length !== 1) throw new UsageError("expected one dictionary file");
    const bytes = readFileSync(args.positional[0]);
    if (!isDictionaryFile(bytes)) throw new UsageError(`${args.positional[0]} is not a seqlearn dictionary file`);
    await init();
    const dict = decodeDictionary(bytes);
    if (args.flags.json) {
      console.log(JSON.stringify(dictionaryToJSON(dict as unknown as RlsDictionary)));
      return 0;
    }
    const h = inspectDictionaryFile(bytes);
    const p = h.params;
    console.log([
      `${args.positional[0]}: seqlearn dictionary file, format version ${h.version}, ${h.bytes} bytes (CRC-32 verified)`,
      `method ${p.method}; kernel ${JSON.stringify(p.kernel)}; γ = ${p.gamma}, ε = ${p.eps}, q̄ = ${p.qbar}, c = ${p.c}, c_pref = ${p.cPref}, scale = ${p.scale}`,
      `${h.m} points of dimension ${h.d} summarising ${p.n} rows; seed ${p.seed}; d_eff ≈ ${p.deff ?? "–"}; max dictionary ${p.maxDictionary ?? "none"}`,
      `total weight Σ w = ${dict.weights.reduce((s, w) => s + w, 0).toFixed(3)}; copies Σ q = ${dict.copies.reduce((s, q) => s + q, 0)}`,
    ].join("\n"));
    return 0;
  },
};
