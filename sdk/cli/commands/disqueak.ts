// seqlearn leaf / merge / tree / inspect: DISQUEAK merge trees (Calandriello, Lazaric & Valko,
// AISTATS 2017, Alg. 2) over dictionary files, so that any batch system (a shell script, make, a
// job scheduler, Spark or Dask calling the CLI) can run the leaves and merges of a tree on
// different machines. `tree` runs a whole tree locally on a worker pool and gives byte-for-byte
// the dictionary the same leaf and merge commands (given the leaf index of each leaf and the
// leaf range of each merge) produce one by one, and the dictionary of disqueak() in the SDK.
import { clip } from "../../core/validate.js";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { init, Matrix, runMergeTree, planTree } from "../../index.js";
import { nodeStream, MAX_TREE_LEAVES } from "../../random/streams.js";
import { readTable } from "../../io/table.js";
import { DataError } from "../../io/errors.js";
import { encodeDictionary, decodeDictionary, inspectDictionaryFile, isDictionaryFile } from "../../kernel/codec.js";
import { MAX_CAPACITY } from "../../kernel/state.js";
import { checkKernelRows } from "../../kernel/kernels.js";
import { crc32 } from "../../core/crc32.js";
import { dictionaryToJSON, type RlsDictionary } from "../../kernel/dictionary.js";
import {
  disqueakLeaf, disqueakMerge, disqueakParams, nodeSeed, DISQUEAK_LEAF_TASK, DISQUEAK_MERGE_TASK,
  type DisqueakLeaf, type DisqueakParams,
} from "../../kernel/disqueak.js";
import { leafKind, leafSizes, EXACT_LEAF_MAX_ROWS } from "../../kernel/disqueak-plan.js";
import { command, UsageError } from "../command.js";
import { boolean, choice, custom, group, number, requiredFlag, string, withDefault, type Values } from "../flags.js";
import { TABLE, KERNEL, DICTIONARY, PREFACTOR, ESTIMATOR, QUIET, FORCE, output, tableOptions, kernelFromFlags } from "../options.js";
import { writeFileAtomic, checkOutput, FileError } from "../files.js";
import { commandPool, keepNodeFiles } from "../tree-run.js";
import { readBytes, dictionaryFileSize, parseDictionaryFile } from "../dictfile.js";
import { out, err } from "../term.js";
import { REDIS_SUBMIT, isManifestFile, runPartsTree } from "../distributed.js";

/** The flags of a tree's leaves (leaf, tree). */
const LEAF_FLAGS = {
  ...TABLE,
  target: { ...TABLE.target, help: "a target column to leave out of the features" },
  ...KERNEL,
  ...DICTIONARY,
  lambda: requiredFlag(DICTIONARY.lambda, "(the ridge of the leverage scores)"),
  ...group("dictionary", {
    leaf: choice(["exact", "squeak", "auto"], {
      default: "auto", help: `leaf dictionaries: every row with p̃ = 1, q = q̄ (exact), or the part thinned by SQUEAK (auto: exact up to ${EXACT_LEAF_MAX_ROWS} rows)`,
    }),
    prefactor: withDefault(PREFACTOR, "printed"),
    estimator: ESTIMATOR,
  }),
};

function readRows(path: string, v: Values<typeof TABLE>): Promise<{ X: Matrix; features: string[] }> {
  return readTable(path, { ...tableOptions(v), targetOptional: true }).then((t) => {
    if (t.X.rows === 0) throw new DataError("no data rows after the header", { source: path });
    // Leaves use the features as they are: refuse what the kernels cannot take, by row.
    try {
      checkKernelRows(t.X.data, t.X.rows, t.X.cols, "data");
    } catch (e) {
      throw new DataError(`${(e as Error).message.replace(/^data: row (\d+)/, (_m, r) => `data row ${Number(r) + 1}`)}`, { source: path });
    }
    return { X: t.X, features: t.features };
  });
}

/** The tree's parameters for d features and a largest part of `largestPart` rows. */
function params(v: Values<typeof LEAF_FLAGS>, d: number, largestPart: number): DisqueakParams {
  return disqueakParams({
    kernel: kernelFromFlags(v, d), lambda: v.lambda, eps: v.eps, qbar: v.qbar, prefactor: v.prefactor, estimator: v.estimator, maxDictionary: v.maxDictionary,
  }, leafKind(v.leaf, largestPart));
}

function summary(d: { size: number; params: { n: number; deff: number | null } }, out: string): string {
  return `${out}: ${d.size} points summarising ${d.params.n} rows${d.params.deff !== null ? `, d_eff ≈ ${d.params.deff.toFixed(2)}` : ""}`;
}

const DICT_OUT = requiredFlag(output("<file.dict>", "where to write the dictionary"), "(where to write the dictionary)");

export const leaf = command({
  name: "leaf",
  summary: "DISQUEAK leaf: build the dictionary file of one part of the data",
  synopsis: "seqlearn leaf <part.csv|part.jsonl> -o part.dict --lambda <λ> [--start <row>] [--node <id>] [options]",
  description: ["Features are used as they are: scale the data before splitting it."],
  flags: {
    ...group("part", {
      start: number({ int: true, min: 0, default: 0, metavar: "<row>", help: "global index of the part's first row; parts must not overlap" }),
      node: number({ int: true, min: 0, max: MAX_TREE_LEAVES - 1, metavar: "<i>", help: "the leaf's index in the tree, which seeds it (`seqlearn tree` numbers leaves 0..k−1)", defaultText: "--start" }),
    }),
    ...LEAF_FLAGS,
    output: DICT_OUT,
    ...FORCE,
    ...QUIET,
  },
  async run({ positional, values: v }) {
    if (positional.length !== 1) throw new UsageError("expected one data file");
    checkOutput(v.output, { inputs: positional, force: v.force });
    await init();
    const { X } = await readRows(positional[0], v);
    const p = params(v, X.cols, X.rows);
    const node = v.node ?? v.start;
    const part: DisqueakLeaf = { data: X.data, n: X.rows, d: X.cols, start: v.start };
    const bytes = encodeDictionary(disqueakLeaf(part, p, v.seed, nodeStream(node % MAX_TREE_LEAVES, 1)));
    writeFileAtomic(v.output, bytes, { inputs: positional, force: v.force });
    if (!v.quiet) err(summary(decodeDictionary(bytes), v.output));
    return 0;
  },
});

function leafRange(raw: string, flag: string): { first: number; last: number } {
  const m = /^(\d+)\.\.(\d+)$/.exec(raw);
  const first = m ? Number(m[1]) : NaN, last = m ? Number(m[2]) : NaN;
  if (!m || !(first < last) || last >= MAX_TREE_LEAVES) throw new UsageError(`${flag} must be <first>..<last> with first < last < ${MAX_TREE_LEAVES} (e.g. 0..3), got ${JSON.stringify(clip(raw))}`);
  return { first, last };
}

export const merge = command({
  name: "merge",
  summary: "DISQUEAK merge: merge two dictionary files into one (DICT-UPDATE with the DISQUEAK estimator)",
  synopsis: "seqlearn merge <a.dict> <b.dict> -o ab.dict [--leaves <first>..<last>] [options]",
  description: [
    "Inputs: dictionary files, or their JSON form (seqlearn inspect --json). Kernel, λ, ε and q̄ come from the",
    "files (they must agree).",
  ],
  flags: {
    leaves: custom(leafRange, {
      metavar: "<first>..<last>", expect: `first < last < ${MAX_TREE_LEAVES}`, defaultText: "a seed derived from the two files' checksums",
      help: "the leaves (as `seqlearn tree` numbers them, 0..k−1) the merged node covers; they seed this merge",
    }),
    seed: number({ int: true, min: 0, metavar: "<s>", help: "root seed", defaultText: "the inputs' seed" }),
    prefactor: { ...PREFACTOR, defaultText: "proof if either input was built with it, else printed" },
    estimator: ESTIMATOR,
    maxDictionary: number({ int: true, min: 1, metavar: "<m>", help: "budget on the dictionary size", defaultText: "the inputs' (they must agree)" }),
    output: DICT_OUT,
    ...FORCE,
    ...QUIET,
  },
  async run({ positional, values: v }) {
    if (positional.length !== 2) throw new UsageError(`expected two dictionary files, got ${positional.length}`);
    checkOutput(v.output, { inputs: positional, force: v.force });
    const raw = positional.map((f) => readBytes(f, "dictionary file"));
    // Limits before allocation: the sizes are in the headers.
    const sizes = raw.map((b, i) => dictionaryFileSize(b, positional[i]));
    if (sizes[0] + sizes[1] > MAX_CAPACITY) {
      throw new DataError(`cannot merge dictionaries of ${sizes[0]} and ${sizes[1]} points: a merge holds at most ${MAX_CAPACITY} points (it factors an m×m matrix: 8·m² bytes, m³/3 flops); thin the parts first (--leaf squeak, --max-dictionary) or raise --lambda`, { source: positional.join(" + ") });
    }
    await init();
    // Merging is symmetric (disqueakMerge orders the two by their smallest point index), and so
    // is everything read from the files here: `merge a b` and `merge b a` give the same bytes.
    const [a, b] = raw.map((bytes, i) => parseDictionaryFile(bytes, positional[i]));
    const crcs = raw.map((bytes) => crc32(bytes)).sort((x, y) => x - y);
    const stream = v.leaves !== undefined ? nodeStream(v.leaves.first, v.leaves.last - v.leaves.first + 1) : nodeSeed(crcs[0], crcs[1]);
    let seed = v.seed;
    if (seed === undefined) {
      if (a.params.seed !== b.params.seed) throw new UsageError(`the inputs were built with different seeds (${a.params.seed} and ${b.params.seed}); give --seed`);
      seed = a.params.seed ?? 0;
    }
    const prefactor = v.prefactor ?? (a.params.cPref > 1 || b.params.cPref > 1 ? "proof" : "printed");
    if (v.maxDictionary === undefined && a.params.maxDictionary !== b.params.maxDictionary) {
      throw new UsageError(`the inputs were built with different budgets (maxDictionary ${a.params.maxDictionary} and ${b.params.maxDictionary}); give --max-dictionary`);
    }
    const p = disqueakParams({
      kernel: a.params.kernel, lambda: a.params.lambda, eps: a.params.eps, qbar: a.params.qbar, prefactor, estimator: v.estimator,
      maxDictionary: v.maxDictionary ?? a.params.maxDictionary ?? undefined,
    }, "exact");
    const ab = disqueakMerge(a, b, p, seed, stream);
    writeFileAtomic(v.output, encodeDictionary(ab), { inputs: positional, force: v.force });
    if (!v.quiet) err(summary(ab, v.output));
    return 0;
  },
});

export const tree = command({
  name: "tree",
  summary: "DISQUEAK over a whole merge tree, on local worker threads or (--redis) on `seqlearn worker` processes anywhere",
  synopsis: "seqlearn tree <part1.csv> [part2.csv ...] -o all.dict --lambda <λ> [--leaf-size <rows>] [--workers <w>] [options]\n" +
    "       seqlearn tree <data-manifest.json> -o all.dict --lambda <λ> [--redis redis://host:port] [options]",
  description: [
    "Each file is a leaf, in order (global row indices run on from one file to the next); with one file,",
    "--leaf-size splits it into contiguous leaves. A data manifest (seqlearn.manifest/1) lists the parts",
    "(paths or URLs), each a leaf that reads its own part. With --redis the tree is one BullMQ flow run by",
    "`seqlearn worker` processes (docs/guide/distributed-redis.md). Node ids: leaves 0..k−1, merges k, k+1, …",
  ],
  flags: {
    ...group("tree", {
      leafSize: number({ int: true, min: 1, metavar: "<rows>", help: "rows per leaf when splitting one file (as disqueak())", defaultText: "max(4096, ⌈n/16⌉)" }),
      shape: choice(["balanced", "chain"], { default: "balanced", help: "shape of the merge tree" }),
      workers: number({ int: true, min: 0, max: 1024, metavar: "<w>", help: "worker threads (0: this thread)", defaultText: "the available cores" }),
      keep: string({ metavar: "<dir>", help: "write every node as <dir>/node-<id>.dict and print the equivalent leaf/merge commands" }),
    }),
    ...LEAF_FLAGS,
    output: DICT_OUT,
    ...FORCE,
    ...group("output", { json: boolean({ help: "print the per-level timings as JSON on stdout" }) }),
    ...QUIET,
    ...REDIS_SUBMIT,
  },
  async run({ positional, values: v }) {
    if (positional.length === 0) throw new UsageError("expected at least one data file");
    // Parts that each leaf reads where it runs: a data manifest, or files sent to Redis workers.
    const distributed = [v.redis, v.queue, v.prefix, v.sharedDir, v.redisMaxBytes, v.retries].some((x) => x !== undefined);
    if (distributed || positional.some(isManifestFile)) return runPartsTree(positional, v);
    const files = positional;
    checkOutput(v.output, { inputs: files, force: v.force });
    if (files.length > 1 && v.leafSize !== undefined) throw new UsageError("--leaf-size splits a single file; with several files each file is a leaf");
    if (v.keep !== undefined && existsSync(v.keep) && !statSync(v.keep).isDirectory()) throw new FileError(`--keep ${v.keep}: it exists and is not a folder`);
    await init();
    const leaves: DisqueakLeaf[] = [];
    let start = 0, d = -1;
    for (const f of files) {
      const { X } = await readRows(f, v);
      if (d >= 0 && X.cols !== d) throw new DataError(`has ${X.cols} feature columns but ${files[0]} has ${d}`, { source: f });
      d = X.cols;
      const sizes = files.length === 1 ? leafSizes(X.rows, v.leafSize) : [X.rows];
      let s = 0;
      for (const r of sizes) {
        leaves.push({ data: X.data.slice(s * d, (s + r) * d), n: r, d, start: start + s });
        s += r;
      }
      start += X.rows;
    }
    const p = params(v, d, Math.max(...leaves.map((l) => l.n)));
    const seed = v.seed;
    const keep = v.keep;
    const plan = planTree(leaves.length, v.shape);
    const keepNode = keepNodeFiles(keep, "dict", leaves.length + plan.merges.length, { inputs: files, force: v.force });
    const { pool, close } = await commandPool(v.workers);
    try {
      const quiet = v.quiet;
      const tty = !quiet && !!process.stderr.isTTY;
      const r = await runMergeTree<DisqueakLeaf, Uint8Array, DisqueakParams>(pool, {
        leaves, leafTask: DISQUEAK_LEAF_TASK, mergeTask: DISQUEAK_MERGE_TASK, shape: v.shape, seed, params: p,
        onNode: (i) => {
          keepNode?.(i.node, i.value as Uint8Array);
          if (tty) process.stderr.write(`\rtree: ${i.done}/${i.total} nodes`);
        },
      });
      if (tty) process.stderr.write("\n");
      writeFileAtomic(v.output, r.value, { inputs: files, force: v.force });
      const dict = decodeDictionary(r.value);
      if (v.json) out(JSON.stringify({ size: dict.size, n: dict.params.n, leaves: leaves.length, depth: plan.depth, wallMs: r.wallMs, levels: r.levels }));
      else if (!quiet) {
        err(summary(dict, v.output));
        for (const l of r.levels) err(`  level ${l.level}: ${l.nodes} node${l.nodes === 1 ? "" : "s"}, ${l.wallMs.toFixed(0)} ms wall, ${l.workMs.toFixed(0)} ms compute`);
      }
      if (keep && !quiet) {
        err(`node files in ${keep}/; the same tree, one step at a time:`);
        for (let i = 0; i < leaves.length; i++) err(`  seqlearn leaf <rows ${leaves[i].start}..${leaves[i].start + leaves[i].n - 1}> --start ${leaves[i].start} --node ${i} --seed ${seed} -o ${join(keep, `node-${i}.dict`)} …`);
        for (const m of plan.merges) err(`  seqlearn merge ${join(keep, `node-${m.left}.dict`)} ${join(keep, `node-${m.right}.dict`)} --leaves ${m.first}..${m.first + m.count - 1} -o ${join(keep, `node-${m.node}.dict`)}`);
      }
    } finally {
      await close();
    }
    return 0;
  },
});

export const inspect = command({
  name: "inspect",
  summary: "show a dictionary file: header facts, or the whole dictionary as JSON (--json)",
  synopsis: "seqlearn inspect <file.dict> [--json]",
  flags: { ...group("output", { json: boolean({ help: "print the whole dictionary in its JSON form" }) }) },
  async run({ positional, values: v }) {
    if (positional.length !== 1) throw new UsageError("expected one dictionary file");
    const bytes = readBytes(positional[0], "dictionary file");
    if (!isDictionaryFile(bytes)) throw new DataError("not a seqlearn dictionary file (it does not start with the dictionary magic)", { source: positional[0] });
    await init();
    const dict = decodeDictionary(bytes);
    if (v.json) {
      out(JSON.stringify(dictionaryToJSON(dict)));
      return 0;
    }
    const h = inspectDictionaryFile(bytes);
    const p = h.params;
    out([
      `${positional[0]}: seqlearn dictionary file, format version ${h.version}, ${h.bytes} bytes (CRC-32 verified)`,
      `method ${p.method}; kernel ${JSON.stringify(p.kernel)}; λ = ${p.lambda}, ε = ${p.eps}, q̄ = ${p.qbar}, c = ${p.c}, c_pref = ${p.cPref}, scale = ${p.scale}`,
      `${h.m} points of dimension ${h.d} summarising ${p.n} rows; seed ${p.seed}; d_eff ≈ ${p.deff ?? "–"}; max dictionary ${p.maxDictionary ?? "none"}`,
      `total weight Σ w = ${dict.weights.reduce((s, w) => s + w, 0).toFixed(3)}; copies Σ q = ${dict.copies.reduce((s, q) => s + q, 0)}`,
    ].join("\n"));
    return 0;
  },
});
