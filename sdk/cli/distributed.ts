// `seqlearn tree` over parts that each leaf reads itself: a data manifest (seqlearn.manifest/1),
// or, with --redis, data files named on the command line. Without --redis the tree runs on this
// machine's worker threads; with --redis it is submitted as one BullMQ flow to the queue that
// `seqlearn worker` processes on any number of machines take jobs from, and this command waits
// for the root, with progress. Either way the dictionary is byte-for-byte the one `seqlearn
// tree` gives for the same rows, parts, shape and seed (docs/guide/distributed-redis.md).
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { init, WorkerPool, InlinePool, TASKS, runMergeTree, planTree, bullmqExecutor, type Executor } from "../index.js";
import { TaskAbortedError } from "../parallel/errors.js";
import { readHeader } from "../io/table.js";
import { MANIFEST_FORMAT, isManifestText, openPart, parseManifest, partTableOptions, readManifest, type DataManifest } from "../io/manifest.js";
import { decodeDictionary } from "../kernel/codec.js";
import { disqueakParams, DISQUEAK_MERGE_TASK, type DisqueakParams } from "../kernel/disqueak.js";
import { DISQUEAK_PART_LEAF_TASK, manifestLeaves, manifestRows, type DisqueakPartLeaf } from "../kernel/disqueak-manifest.js";
import { leafKind } from "../kernel/disqueak-plan.js";
import { UsageError } from "./command.js";
import { group, number, string, type Values } from "./flags.js";
import { TABLE, KERNEL, DICTIONARY, tableOptions, kernelFromFlags } from "./options.js";
import { writeFileAtomic, checkOutput, FileError } from "./files.js";
import { keepNodeFiles } from "./tree-run.js";
import { out, err } from "./term.js";

/** Where a distributed tree runs (the submitter's side; the workers take the same queue). */
export const REDIS_SUBMIT = group("distributed", {
  redis: string({ metavar: "<url>", help: "run the tree's jobs on `seqlearn worker` processes through this Redis (redis://host:port), as one BullMQ flow; each leaf reads its part where it runs" }),
  queue: string({ metavar: "<name>", help: "BullMQ queue (the workers' --queue)", defaultText: "seqlearn" }),
  prefix: string({ metavar: "<prefix>", help: "BullMQ key prefix (the workers' --prefix)", defaultText: "bull" }),
  sharedDir: string({ metavar: "<dir>", help: "a folder every machine mounts at this path: results larger than --redis-max-bytes go there instead of Redis" }),
  redisMaxBytes: number({ int: true, min: 0, metavar: "<bytes>", help: "largest result kept in Redis when --shared-dir is given", defaultText: "1048576 (1 MiB)" }),
  retries: number({ int: true, min: 0, max: 100, metavar: "<n>", help: "retries of a job that fails (deterministic errors — bad data, bad parameters — are never retried)", defaultText: "2" }),
});

/** The values `tree` passes on. */
export type PartsTreeValues = Values<typeof TABLE> & Values<typeof KERNEL> & Values<typeof DICTIONARY> & Values<typeof REDIS_SUBMIT> & {
  lambda: number;
  leaf: "exact" | "squeak" | "auto";
  prefactor: "printed" | "proof";
  estimator: "disqueak" | "squeak";
  shape: "balanced" | "chain";
  leafSize?: number;
  workers?: number;
  keep?: string;
  output: string;
  force: boolean;
  json: boolean;
  quiet: boolean;
};

/** True when the one input is a data manifest (a .json file holding a seqlearn.manifest). */
export function isManifestFile(path: string): boolean {
  if (!/\.json$/i.test(path)) return false;
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size > 64 << 20) return false;
    return isManifestText(readFileSync(path, "utf8"));
  } catch {
    return false;
  }
}

/** Whether the kernel flags leave a default that depends on the number of features d. */
function needsFeatureCount(v: Values<typeof KERNEL>): boolean {
  switch (v.kernel) {
    case "rbf": return v.gamma === undefined && v.sigma === undefined;
    case "laplacian":
    case "polynomial": return v.gamma === undefined;
    case "linear": return false;
    default: return v.lengthScale === undefined;
  }
}

/** The number of features, from the table's feature list or the first part's header. */
async function featureCount(m: DataManifest): Promise<number> {
  if (m.table.features) return m.table.features.length;
  const part = m.parts[0];
  return (await readHeader(await openPart(part.source), partTableOptions(part, m.table))).features.length;
}

function summary(d: { size: number; params: { n: number; deff: number | null } }, path: string): string {
  return `${path}: ${d.size} points summarising ${d.params.n} rows${d.params.deff !== null ? `, d_eff ≈ ${d.params.deff.toFixed(2)}` : ""}`;
}

/** `seqlearn tree` over a manifest, or over files with --redis. */
export async function runPartsTree(files: readonly string[], v: PartsTreeValues): Promise<number> {
  const redis = v.redis;
  if (v.leafSize !== undefined) throw new UsageError("--leaf-size splits a single data file on this machine; a manifest's parts (and, with --redis, the files) are the leaves");
  if (redis !== undefined && v.workers !== undefined) throw new UsageError("--workers sets this machine's threads; with --redis the jobs run on `seqlearn worker` processes (give them --concurrency)");
  if (redis === undefined) {
    for (const [flag, val] of [["--queue", v.queue], ["--prefix", v.prefix], ["--shared-dir", v.sharedDir], ["--redis-max-bytes", v.redisMaxBytes], ["--retries", v.retries]] as const) {
      if (val !== undefined) throw new UsageError(`${flag} applies with --redis only`);
    }
  }
  // The parts: the manifest's, or the files (absolute paths: the workers read them).
  let manifest: DataManifest;
  const inputs = [...files];
  if (files.length === 1 && isManifestFile(files[0])) {
    manifest = await readManifest(files[0]);
  } else {
    const m = files.find(isManifestFile);
    if (m) throw new UsageError(`${m} is a data manifest: give it alone (its parts are the leaves)`);
    manifest = parseManifest({ format: MANIFEST_FORMAT, parts: files.map((f) => resolve(f)) });
  }
  for (const p of manifest.parts) if (!/^[a-z][a-z0-9+.-]+:/i.test(p.source)) inputs.push(p.source);
  // Table flags given on the command line override the manifest's.
  const t = tableOptions(v);
  const table = { ...manifest.table };
  for (const k of ["format", "delimiter", "target"] as const) if (t[k] !== undefined) (table as Record<string, unknown>)[k] = t[k];
  if (t.features) {
    table.features = t.features;
    delete table.ignore;
  }
  if (t.ignore) {
    table.ignore = t.ignore;
    delete table.features;
  }
  manifest = { ...manifest, table };

  checkOutput(v.output, { inputs, force: v.force });
  const keep = v.keep;
  if (keep !== undefined && existsSync(keep) && !statSync(keep).isDirectory()) throw new FileError(`--keep ${keep}: it exists and is not a folder`);
  await init();
  const rows = await manifestRows(manifest);
  const d = needsFeatureCount(v) ? await featureCount(manifest) : 0;
  const params = disqueakParams({
    kernel: kernelFromFlags(v, d), lambda: v.lambda, eps: v.eps, qbar: v.qbar, prefactor: v.prefactor, estimator: v.estimator, maxDictionary: v.maxDictionary,
  }, leafKind(v.leaf, Math.max(...rows)));
  const leaves = manifestLeaves(manifest, rows);
  const plan = planTree(leaves.length, v.shape);
  const keepNode = keepNodeFiles(keep, "dict", leaves.length + plan.merges.length, { inputs, force: v.force });

  let executor: Executor & { close?(): Promise<void> };
  if (redis !== undefined) {
    executor = bullmqExecutor({
      connection: redis, queue: v.queue, prefix: v.prefix, sharedDir: v.sharedDir === undefined ? undefined : resolve(v.sharedDir),
      redisMaxBytes: v.redisMaxBytes, retries: v.retries,
    });
  } else if (v.workers === 0) executor = new InlinePool(TASKS);
  else executor = await WorkerPool.create(v.workers === undefined ? {} : { size: v.workers });

  // Ctrl-C (or SIGTERM) cancels the tree: its jobs are removed from the queue.
  const ac = new AbortController();
  const stop = (): void => ac.abort(new Error("interrupted"));
  const proc = redis !== undefined ? process : null;
  proc?.on("SIGINT", stop);
  proc?.on("SIGTERM", stop);
  const quiet = v.quiet;
  const tty = !quiet && !!process.stderr.isTTY;
  try {
    if (redis !== undefined && !quiet) err(`tree: ${leaves.length} leaves, ${plan.merges.length} merges → queue "${v.queue ?? "seqlearn"}" at ${redis.replace(/\/\/[^@/]*@/, "//…@")}; waiting for workers`);
    const t0 = Date.now();
    const r = await runMergeTree<DisqueakPartLeaf, Uint8Array, DisqueakParams>(executor, {
      leaves, leafTask: DISQUEAK_PART_LEAF_TASK, mergeTask: DISQUEAK_MERGE_TASK, shape: v.shape, seed: v.seed, params, signal: ac.signal,
      leafCost: (l) => l.rows,
      onNode: (i) => {
        keepNode?.(i.node, i.value as Uint8Array);
        if (tty) process.stderr.write(`\rtree: ${i.done}/${i.total} nodes`);
        else if (redis !== undefined && !quiet) err(`tree: node ${i.node} (level ${i.level}) done, ${i.done}/${i.total} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      },
    });
    if (tty) process.stderr.write("\n");
    writeFileAtomic(v.output, r.value, { inputs, force: v.force });
    const dict = decodeDictionary(r.value);
    if (v.json) out(JSON.stringify({ size: dict.size, n: dict.params.n, leaves: leaves.length, depth: plan.depth, wallMs: r.wallMs, levels: r.levels }));
    else if (!quiet) {
      err(summary(dict, v.output));
      for (const l of r.levels) err(`  level ${l.level}: ${l.nodes} node${l.nodes === 1 ? "" : "s"}, ${l.wallMs.toFixed(0)} ms wall, ${l.workMs.toFixed(0)} ms compute`);
    }
    return 0;
  } catch (e) {
    if (e instanceof TaskAbortedError && ac.signal.aborted) {
      if (tty) process.stderr.write("\n");
      err("seqlearn tree: interrupted; the tree's jobs were removed from the queue");
      return 130;
    }
    throw e;
  } finally {
    proc?.off("SIGINT", stop);
    proc?.off("SIGTERM", stop);
    await executor.close?.();
  }
}
