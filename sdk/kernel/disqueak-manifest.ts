// DISQUEAK (Calandriello, Lazaric & Valko, AISTATS 2017, Alg. 2) over a data manifest: one leaf
// per part, and each leaf task reads its own part (a path or URL), so that the data is read
// where the leaf runs — on a worker thread, or on another machine when the tree runs through
// the Redis executor (bullmqExecutor). The leaves are disqueak()'s leaves over the same rows
// (global row numbers run on from one part to the next), hence the dictionary is byte-for-byte
// disqueak(X, { partition }) of the concatenated parts, and `seqlearn tree` over the same parts.
import { ValueError, ShapeError } from "../core/errors.js";
import { integer, seed as checkSeed } from "../core/validate.js";
import { checkOptions } from "../core/options.js";
import { nodeStream } from "../random/streams.js";
import { DataError } from "../io/errors.js";
import { parseManifest, readManifest, readPart, type DataManifest, type ManifestPart, type ManifestTable } from "../io/manifest.js";
import { WorkerPool, InlinePool, type Executor } from "../parallel/pool.js";
import { runMergeTree, type LeafInput } from "../parallel/tree.js";
import { checkKernelRows } from "./kernels.js";
import { encodeDictionary, decodeDictionary, inspectDictionaryFile } from "./codec.js";
import { leafKind } from "./disqueak-plan.js";
import { LAMBDA_RENAME } from "./squeak.js";
import {
  disqueakLeaf, disqueakParams, disqueakMergeTask, DISQUEAK_MERGE_TASK,
  type DisqueakOptions, type DisqueakParams, type DisqueakResult,
} from "./disqueak.js";

/** Task name of a DISQUEAK leaf that reads its part of a manifest. */
export const DISQUEAK_PART_LEAF_TASK = "seqlearn.disqueak.partLeaf";

/** The leaf input of a tree over a manifest: where the part is, how to read it, and its place
 *  in the data. Plain data (it travels to workers, and through Redis). */
export interface DisqueakPartLeaf {
  /** The part (its source: a path or URL the task reads). */
  part: ManifestPart;
  /** How every part is read. */
  table: ManifestTable;
  /** Global index of the part's first row. */
  start: number;
  /** The part's number of data rows (checked when it is read). */
  rows: number;
}

/** The DISQUEAK leaf task over a manifest part (DISQUEAK_PART_LEAF_TASK): reads the part, checks
 *  its row count and its values, and returns its leaf dictionary, encoded — the bytes
 *  DISQUEAK_LEAF_TASK gives for the same rows. */
export async function disqueakPartLeafTask(inp: LeafInput<DisqueakPartLeaf, DisqueakParams>): Promise<Uint8Array> {
  const leaf = inp?.leaf;
  if (!leaf || typeof leaf !== "object" || !leaf.part || typeof leaf.part.source !== "string") throw new ValueError("disqueakPartLeafTask: the leaf must be { part, table, start, rows }");
  const start = integer(leaf.start, "leaf.start", 0);
  const t = await readPart(leaf.part, leaf.table ?? {}, integer(leaf.rows, "leaf.rows", 1));
  // Leaves use the features as they are: refuse what the kernels cannot take, by row.
  try {
    checkKernelRows(t.X.data, t.X.rows, t.X.cols, "data");
  } catch (e) {
    throw new DataError((e as Error).message.replace(/^data: row (\d+)/, (_m, r) => `data row ${Number(r) + 1}`), { source: leaf.part.source });
  }
  return encodeDictionary(disqueakLeaf({ data: t.X.data, n: t.X.rows, d: t.X.cols, start }, inp.params, inp.seed, inp.stream ?? nodeStream(inp.node, 1)));
}

/** Options of `disqueakManifest`: those of disqueak() but the partition, which the manifest
 *  gives (one leaf per part). */
export type DisqueakManifestOptions = Omit<DisqueakOptions, "leafSize" | "partition">;

const MANIFEST_OPTIONS = [
  "kernel", "lambda", "eps", "qbar", "prefactor", "estimator", "maxDictionary",
  "seed", "leaf", "shape", "pool", "workers", "signal", "onProgress",
] as const satisfies readonly (keyof DisqueakManifestOptions)[];

/** The rows of every part: the manifest's counts, and the count of a read for the parts it
 *  does not give (the caller must be able to read those parts). */
export async function manifestRows(manifest: DataManifest): Promise<number[]> {
  return Promise.all(manifest.parts.map(async (p) => p.rows ?? (await readPart(p, manifest.table, null)).X.rows));
}

/** The leaf inputs of a tree over `manifest` whose parts have `rows` rows (manifestRows):
 *  part i is leaf i, and its rows are global rows start_i … start_i + rows_i − 1. */
export function manifestLeaves(manifest: DataManifest, rows: readonly number[]): DisqueakPartLeaf[] {
  if (rows.length !== manifest.parts.length) throw new ValueError(`manifestLeaves: ${rows.length} row counts for ${manifest.parts.length} parts`);
  let start = 0;
  return manifest.parts.map((part, i): DisqueakPartLeaf => {
    const l = { part, table: manifest.table, start, rows: integer(rows[i], `rows[${i}]`, 1) };
    start += rows[i];
    return l;
  });
}

/** DISQUEAK over the parts of a data manifest (a `seqlearn.manifest/1` object, or the path of
 *  its file), one leaf per part, each leaf reading its own part where it runs. With
 *  `pool: bullmqExecutor(…)` the tree runs on the workers of any number of machines. The
 *  dictionary equals disqueak(X, { partition: rows }) of the concatenated parts, byte for byte. */
export async function disqueakManifest(manifest: DataManifest | string, options: DisqueakManifestOptions): Promise<DisqueakResult> {
  if (!options || typeof options !== "object") throw new ValueError("disqueakManifest: options { kernel, lambda, ... } are required");
  const opts = checkOptions<DisqueakManifestOptions>(options, "disqueakManifest", MANIFEST_OPTIONS, LAMBDA_RENAME);
  const m = typeof manifest === "string" ? await readManifest(manifest) : parseManifest(manifest);
  const seed = checkSeed(opts.seed ?? 0, "seed");
  const rows = await manifestRows(m);
  const leaf = leafKind(opts.leaf ?? "auto", Math.max(...rows));
  const params = disqueakParams({
    kernel: opts.kernel, lambda: opts.lambda, eps: opts.eps, qbar: opts.qbar, prefactor: opts.prefactor, estimator: opts.estimator, maxDictionary: opts.maxDictionary,
  }, leaf);
  const leaves = manifestLeaves(m, rows);
  const total = rows.reduce((a, b) => a + b, 0);
  let pool: Executor;
  let own: WorkerPool | null = null;
  if (opts.pool) pool = opts.pool;
  else if (opts.workers === 0) pool = new InlinePool({ [DISQUEAK_PART_LEAF_TASK]: disqueakPartLeafTask, [DISQUEAK_MERGE_TASK]: disqueakMergeTask });
  else {
    own = await WorkerPool.create(opts.workers === undefined ? {} : { size: integer(opts.workers, "workers", 0, 1024) });
    pool = own;
  }
  try {
    const r = await runMergeTree<DisqueakPartLeaf, Uint8Array, DisqueakParams>(pool, {
      leaves, leafTask: DISQUEAK_PART_LEAF_TASK, mergeTask: DISQUEAK_MERGE_TASK, shape: opts.shape ?? "balanced", seed, params,
      signal: opts.signal,
      onNode: opts.onProgress && ((e) => {
        const value = e.value as Uint8Array;
        opts.onProgress!({ node: e.node, level: e.level, done: e.done, total: e.total, size: inspectDictionaryFile(value).m, bytes: value.length });
      }),
      leafCost: (l) => l.rows,
    });
    const dictionary = decodeDictionary(r.value);
    if (dictionary.points.rows > 0 && dictionary.params.n !== total) throw new ShapeError(`the tree summarised ${dictionary.params.n} rows, but the parts hold ${total}`);
    return { dictionary, plan: r.plan, levels: r.levels, wallMs: r.wallMs };
  } finally {
    await own?.close();
  }
}
