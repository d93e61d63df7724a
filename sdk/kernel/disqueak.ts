// DISQUEAK (Calandriello, Lazaric & Valko, AISTATS 2017, Alg. 2): split the
// data into parts, build a dictionary per part (exact: every point with p̃ = 1, q = q̄; or
// pre-thinned by SQUEAK when parts are large), then merge dictionaries pairwise along a tree,
// each merge running the shared DICT-UPDATE (dictUpdate, in Wasm) on the union with the
// DISQUEAK estimator A = K_DD + (1+ε)λ·diag(1/w) (λ the leverage-score ridge, the paper's
// γ). Tree nodes exchange dictionary files (codec.ts), so the same leaves and merges run on a
// worker pool, or as separate processes through the CLI. A node's randomness comes from the stream (seed, nodeStream of
// the leaves it covers) only (sdk/random/streams.ts), so a chain of single-point leaves with the
// SQUEAK estimator draws exactly the numbers `new Squeak({ mode: "exact" })` draws.
import { ValueError, ShapeError } from "../core/errors.js";
import { Matrix, asMatrix, type MatrixLike } from "../core/matrix.js";
import { integer, oneOf, shown, seed as checkSeed } from "../core/validate.js";
import { checkOptions } from "../core/options.js";
import { Rng } from "../random/rng.js";
import { nodeSeed, nodeStream } from "../random/streams.js";
import { makeDictionary, type RlsDictionary } from "./dictionary.js";
import { dictUpdate } from "./update.js";
import { MAX_CAPACITY } from "./state.js";
import { Squeak, LAMBDA_RENAME } from "./squeak.js";
import { defaultLeafSize, leafKind, leafSizes } from "./disqueak-plan.js";
import { asKernel, checkKernelRows, type Kernel, type KernelSpec } from "./kernels.js";
import { encodeDictionary, decodeDictionary, inspectDictionaryFile } from "./codec.js";
import { WorkerPool, InlinePool, type Executor } from "../parallel/pool.js";
import { withThreads } from "../engine/index.js";
import { runMergeTree, type TreeShape, type LeafInput, type MergeInput, type LevelTiming, type TreePlan } from "../parallel/tree.js";

/** Hyper-parameters shared by every node of a DISQUEAK tree (plain data: sent to workers). */
export interface DisqueakParams {
  /** The kernel, as its JSON spec. */
  kernel: KernelSpec;
  /** Ridge λ > 0 of the leverage scores (the paper's γ). */
  lambda: number;
  /** Accuracy ε ∈ (0, 1). */
  eps: number;
  /** Copies per point q̄. */
  qbar: number;
  /** "printed" (c_pref = 1, the paper's printed, conservative prefactor; default) or "proof"
   *  (c_pref = 1 + ε, consistent with the proof of Lemma 4 in Calandriello, Lazaric & Valko
   *  2017, whose estimator is Eq. 5 divided by 1 + ε; smaller dictionaries). */
  prefactor: "printed" | "proof";
  /** Merge estimator: "disqueak" (A = K_DD + (1+ε)λ·G, the default, as Thm 2 needs when both
   *  children are only ε-accurate) or "squeak" (A = K_DD + λ·G: a chain whose right children
   *  are single fresh points is then exactly SQUEAK's Algorithm 1: with single-row exact
   *  leaves and the same seed, the dictionary of `new Squeak({ mode: "exact" })`). */
  estimator: "disqueak" | "squeak";
  /** "exact" leaves (p̃ = 1, q = q̄ for every point) or leaves pre-thinned by SQUEAK. */
  leaf: "exact" | "squeak";
  /** Budget on the points after every merge, or null. */
  maxDictionary: number | null;
}

/** Options of `disqueak`. */
export interface DisqueakOptions {
  /** The kernel, e.g. rbf({ gamma: 0.5 }). */
  kernel: Kernel | KernelSpec;
  /** Absolute ridge λ > 0 of the leverage scores (γ in Calandriello et al. 2017). Required;
   *  optional in the type only while its old name `gamma` is accepted (this release). */
  lambda?: number;
  /** The leverage-score ridge under its old name.
   *  @deprecated renamed `lambda`; removed in the next release. */
  gamma?: number;
  /** Accuracy ε ∈ (0, 1). Default 0.5. */
  eps?: number;
  /** Copies per point q̄. Default 10 (as Squeak). */
  qbar?: number;
  /** Root seed; a tree node covering `count` leaves from leaf `first` on uses the stream
   *  (seed, nodeStream(first, count)) = (seed, first·2^26 + count). Default 0. */
  seed?: number;
  /** Rows per leaf (contiguous parts; the last may be shorter). Default max(4096, ⌈n/16⌉):
   *  at most 16 leaves, a function of n only, so results never depend on the worker count. */
  leafSize?: number;
  /** Explicit part sizes (summing to n), instead of leafSize. */
  partition?: readonly number[];
  /** Leaf dictionaries: "exact", "squeak", or "auto" (exact for parts of at most
   *  EXACT_LEAF_MAX_ROWS = 128 rows; see leafKind). */
  leaf?: "exact" | "squeak" | "auto";
  /** Merge-tree shape: "balanced" (default), "chain", or explicit merges (see planTree). */
  shape?: TreeShape;
  /** Prefactor of the estimator: "printed" (default) or "proof" (smaller dictionaries). */
  prefactor?: "printed" | "proof";
  /** Merge estimator, "disqueak" (default) or "squeak" (see DisqueakParams). */
  estimator?: "disqueak" | "squeak";
  /** Thin every merge to at most this many points. */
  maxDictionary?: number;
  /** Where to run: a pool you own (not closed), or the number of workers of a pool created
   *  (and closed) for this call; 0 runs in this thread. Default: the available cores. */
  pool?: Executor;
  /** Worker threads of a pool created and closed for this call; 0 runs in this thread.
   * Default: the available cores. */
  workers?: number;
  /** Cancels the call (pending and running tasks). */
  signal?: AbortSignal;
  /** Called as each tree node completes, with the size of its dictionary. */
  onProgress?: (info: DisqueakProgress) => void;
}

/** What `disqueak`'s onProgress receives as each tree node completes. */
export interface DisqueakProgress {
  /** The node's id (leaves 0..k−1, then the merges). */
  node: number;
  /** Its level (0 = leaves). */
  level: number;
  /** Nodes completed so far, this one included. */
  done: number;
  /** Nodes in the tree. */
  total: number;
  /** Points in the node's dictionary. */
  size: number;
  /** Bytes of the node's dictionary file (what moves between workers; a worker's engine holds
   *  about 8·size² more while it merges). */
  bytes: number;
}

/** What `disqueak` returns. */
export interface DisqueakResult {
  /** The root's dictionary. */
  dictionary: RlsDictionary;
  /** The merge tree that ran (node ids, streams). */
  plan: TreePlan;
  /** Per tree level: nodes, wall time and summed compute time (ms). */
  levels: LevelTiming[];
  /** Wall time of the whole call (ms). */
  wallMs: number;
}

/** A leaf part: rows `data` (n×d, row-major) whose global indices start at `start`. */
export interface DisqueakLeaf {
  /** The part's rows, n×d row-major. */
  data: Float64Array;
  /** Rows n. */
  n: number;
  /** Dimension d. */
  d: number;
  /** Global index of the part's first row. */
  start: number;
}

/** Task name of a DISQUEAK leaf in the pool's task registry. */
export const DISQUEAK_LEAF_TASK = "seqlearn.disqueak.leaf";
/** Task name of a DISQUEAK merge in the pool's task registry. */
export const DISQUEAK_MERGE_TASK = "seqlearn.disqueak.merge";

// nodeSeed moved to sdk/random/streams.ts, next to nodeStream; re-exported here until the
// public surface takes it from there.
export { nodeSeed };

function cOf(p: DisqueakParams): { c: number; cPref: number } {
  const c = p.estimator === "squeak" ? 1 : 1 + p.eps;
  return { c, cPref: p.prefactor === "proof" ? c : 1 };
}

/** Build the dictionary of one part (a tree leaf): every row with p̃ = 1, q = q̄ (exact, no
 *  randomness), or the part streamed through SQUEAK (its own estimator and defaults, seeded
 *  with nodeSeed(seed, stream)). `stream`: the leaf's stream id, nodeStream(i, 1) for leaf i. */
export function disqueakLeaf(part: DisqueakLeaf, params: DisqueakParams, seed: number, stream: number): RlsDictionary {
  if (!part || typeof part !== "object") throw new ValueError("disqueakLeaf: part must be { data, n, d, start }");
  const n = integer(part.n, "part.n", 0), d = integer(part.d, "part.d", 0), start = integer(part.start, "part.start", 0);
  const data = part.data;
  if (!(data instanceof Float64Array) || data.length < n * d) throw new ShapeError(`disqueakLeaf: part.data must be a Float64Array with at least n·d = ${n * d} values, got ${data instanceof Float64Array ? data.length : typeof data}`);
  if (!params || typeof params !== "object") throw new ValueError("disqueakLeaf: params must come from disqueakParams()");
  if (params.leaf === "squeak") {
    const sq = new Squeak({ kernel: params.kernel, lambda: params.lambda, eps: params.eps, qbar: params.qbar, seed: nodeSeed(seed, stream), maxDictionary: params.maxDictionary ?? undefined });
    try {
      sq.push(data.subarray(0, n * d), d);
      const dict = sq.dictionary();
      const indices = dict.indices.map((i) => i + start);
      return makeDictionary({
        indices, points: dict.points, pTilde: dict.pTilde, copies: dict.copies, tau: dict.tau,
        params: { ...dict.params, method: "disqueak", seed },
      });
    } finally {
      sq.dispose();
    }
  }
  const { c, cPref } = cOf(params);
  return makeDictionary({
    indices: Float64Array.from({ length: n }, (_, i) => start + i),
    points: new Matrix(n, d, data.slice(0, n * d)),
    pTilde: new Float64Array(n).fill(1),
    copies: new Int32Array(n).fill(params.qbar),
    tau: null,
    params: {
      method: "disqueak", kernel: params.kernel, lambda: params.lambda, eps: params.eps, qbar: params.qbar, c, cPref, scale: 1,
      seed, n, d, deff: null, maxDictionary: params.maxDictionary,
    },
  });
}

/** Check that two dictionaries can be merged (same kernel, λ, ε, q̄, d; disjoint points). */
export function checkMergeable(a: RlsDictionary, b: RlsDictionary): void {
  for (const [x, name] of [[a, "a"], [b, "b"]] as const) {
    if (!x || typeof x !== "object" || !x.points || !x.params) throw new ValueError(`${name} must be a dictionary (a DISQUEAK leaf or merge result, or a decoded dictionary file)`);
  }
  const pa = a.params, pb = b.params;
  if (JSON.stringify(pa.kernel) !== JSON.stringify(pb.kernel)) throw new ValueError(`cannot merge dictionaries built with different kernels: ${JSON.stringify(pa.kernel)} vs ${JSON.stringify(pb.kernel)}`);
  for (const k of ["lambda", "eps", "qbar"] as const) {
    if (pa[k] !== pb[k]) throw new ValueError(`cannot merge dictionaries built with different ${k}: ${pa[k]} vs ${pb[k]}`);
  }
  if (a.points.rows > 0 && b.points.rows > 0 && a.points.cols !== b.points.cols) throw new ShapeError(`cannot merge dictionaries of dimension ${a.points.cols} and ${b.points.cols}`);
  const seen = new Set(a.indices);
  for (let j = 0; j < b.indices.length; j++) {
    if (seen.has(b.indices[j])) throw new ValueError(`cannot merge: both dictionaries hold point ${b.indices[j]} (the parts of a DISQUEAK tree must be disjoint)`);
  }
}

/** The smallest stream index a dictionary holds (Infinity when it is empty). */
function smallestIndex(d: RlsDictionary): number {
  let s = Infinity;
  for (let j = 0; j < d.indices.length; j++) if (d.indices[j] < s) s = d.indices[j];
  return s;
}

/** DICT-MERGE + DICT-UPDATE of two dictionaries with the DISQUEAK estimator, randomness
 *  from the stream (seed, stream); in a tree, `stream` is nodeStream(first, count) of the
 *  leaves the merged node covers (MergeStep.stream). The order of a and b does not matter
 *  (the one holding the smallest point index goes first). At most MAX_CAPACITY = 8192 points
 *  together. */
export function disqueakMerge(a: RlsDictionary, b: RlsDictionary, params: DisqueakParams, seed: number, stream: number): RlsDictionary {
  checkMergeable(a, b);
  // Merging is symmetric: the child holding the smallest point index goes first, so merge(a, b)
  // and merge(b, a) give the same bytes. In a tree (planTree) the left child always covers the
  // earlier leaves, so this order is the one trees always used.
  if (smallestIndex(b) < smallestIndex(a)) [a, b] = [b, a];
  const ma = a.points.rows, mb = b.points.rows;
  // Limits before allocation: the merge factors an (ma + mb)² matrix.
  if (ma + mb > MAX_CAPACITY) {
    throw new ValueError(`cannot merge dictionaries of ${ma} and ${mb} points: a merge holds at most ${MAX_CAPACITY} points (it factors an m×m matrix, 8·m² bytes and m³/3 flops); thin the parts first (leaf "squeak", maxDictionary) or raise lambda`);
  }
  const d = Math.max(a.points.cols, b.points.cols);
  const m = ma + mb;
  const points = new Float64Array(m * d);
  points.set(a.points.data.subarray(0, ma * d));
  points.set(b.points.data.subarray(0, mb * d), ma * d);
  const cat = <T extends Float64Array | Int32Array>(x: T, y: T, C: new (n: number) => T): T => {
    const out = new C(m);
    out.set(x);
    out.set(y, ma);
    return out;
  };
  const { c, cPref } = cOf(params);
  const n = a.params.n + b.params.n;
  const rng = new Rng(seed, stream);
  try {
    if (m === 0) {
      return decodeDictionary(encodeDictionary({ ...a, params: { ...a.params, n, method: "disqueak", seed } }));
    }
    return dictUpdate(
      { points: { rows: m, cols: d, data: points }, pTilde: cat(a.pTilde, b.pTilde, Float64Array), copies: cat(a.copies, b.copies, Int32Array), indices: cat(a.indices, b.indices, Float64Array) },
      { kernel: params.kernel, lambda: params.lambda, eps: params.eps, qbar: params.qbar, c, cPref, rng, maxDictionary: params.maxDictionary ?? undefined },
      { method: "disqueak", seed, n },
    ).dictionary;
  } finally {
    rng.dispose();
  }
}

// Tree tasks: node values are dictionary files (bytes), moved between threads without copies.
// The kernel domain lists them in its task table (kernel/tasks.ts), which the worker entry
// serves; disqueak() runs them inline from the same functions.

/** The DISQUEAK leaf task (DISQUEAK_LEAF_TASK): a part's dictionary, encoded. A leaf input
 *  without a stream id (a hand-made task input) is leaf `node` of a tree. */
export function disqueakLeafTask(inp: LeafInput<DisqueakLeaf, DisqueakParams>): Uint8Array {
  return withThreads(inp.threads, () => encodeDictionary(disqueakLeaf(inp.leaf, inp.params, inp.seed, inp.stream ?? nodeStream(inp.node, 1))));
}

/** The DISQUEAK merge task (DISQUEAK_MERGE_TASK): two encoded dictionaries merged, encoded. A
 *  merge near the root runs while other workers idle: it uses `inp.threads` engine threads (its
 *  kernel blocks, Cholesky factorisation and diag(A⁻¹) split over them, bit-identically). */
export function disqueakMergeTask(inp: MergeInput<Uint8Array, DisqueakParams>): Uint8Array {
  return withThreads(inp.threads, () => encodeDictionary(disqueakMerge(decodeDictionary(inp.left), decodeDictionary(inp.right), inp.params, inp.seed, inp.stream)));
}

/** The options disqueakParams reads. */
const PARAM_OPTIONS = ["kernel", "lambda", "eps", "qbar", "prefactor", "estimator", "maxDictionary"] as const;
/** Every option of disqueak(). */
const DISQUEAK_OPTIONS = [...PARAM_OPTIONS, "seed", "leafSize", "partition", "leaf", "shape", "pool", "workers", "signal", "onProgress"] as const;

/** Validated DISQUEAK hyper-parameters (the `leaf` kind as leafKind chose it). `options` may be
 *  the whole options object of a disqueak() call: the keys that are not hyper-parameters (seed,
 *  leafSize, pool, ...) are checked for typos and otherwise ignored. */
export function disqueakParams(options: Pick<DisqueakOptions, "kernel"> & Partial<DisqueakOptions>, leaf: "exact" | "squeak"): DisqueakParams {
  if (!options || typeof options !== "object") throw new ValueError("disqueakParams: options { kernel, lambda, ... } are required");
  const opts = checkOptions<Pick<DisqueakOptions, (typeof PARAM_OPTIONS)[number]>>(options, "disqueakParams", DISQUEAK_OPTIONS, LAMBDA_RENAME);
  const kernel = asKernel(opts.kernel).toJSON();
  const lambda = opts.lambda;
  if (typeof lambda !== "number" || !Number.isFinite(lambda) || lambda <= 0) throw new ValueError(`lambda must be a finite number > 0, got ${shown(lambda)}`);
  const eps = opts.eps ?? 0.5;
  if (typeof eps !== "number" || !(eps > 0 && eps < 1)) throw new ValueError(`eps must be in the open interval (0, 1), got ${shown(eps)}`);
  const qbar = integer(opts.qbar ?? 10, "qbar", 1, 1e6);
  const prefactor = oneOf(opts.prefactor ?? "printed", "prefactor", ["printed", "proof"] as const);
  const maxDictionary = opts.maxDictionary === undefined ? null : integer(opts.maxDictionary, "maxDictionary", 1);
  const estimator = oneOf(opts.estimator ?? "disqueak", "estimator", ["disqueak", "squeak"] as const);
  const leafOf = oneOf(leaf, "leaf", ["exact", "squeak"] as const);
  return { kernel, lambda, eps, qbar, prefactor, estimator, leaf: leafOf, maxDictionary };
}

/** DISQUEAK over the rows of X on a merge tree. The result depends only on X, the
 *  partition, the tree shape and the seed — not on the number of workers or on timing. */
export async function disqueak(X: MatrixLike, options: DisqueakOptions): Promise<DisqueakResult> {
  if (!options || typeof options !== "object") throw new ValueError("disqueak: options { kernel, lambda, ... } are required");
  const opts = checkOptions<DisqueakOptions>(options, "disqueak", DISQUEAK_OPTIONS, LAMBDA_RENAME);
  const x = asMatrix(X, "X", { finite: true });
  const n = x.rows, d = x.cols;
  if (n === 0) throw new ShapeError("X must have at least one row");
  checkKernelRows(x.data, n, d, "X"); // here, before any worker starts
  const seed = checkSeed(opts.seed ?? 0, "seed");
  let sizes: number[];
  if (opts.partition !== undefined) {
    if (!Array.isArray(opts.partition) || opts.partition.length === 0) throw new ValueError("partition must be a non-empty array of part sizes");
    sizes = opts.partition.map((s, i) => integer(s, `partition[${i}]`, 1));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n) throw new ValueError(`partition sizes sum to ${total}, but X has ${n} rows`);
  } else {
    sizes = leafSizes(n, opts.leafSize ?? defaultLeafSize(n));
  }
  // The leaf rule (disqueak-plan.ts) is the one the `seqlearn leaf` / `tree` commands follow.
  const leaf = leafKind(opts.leaf ?? "auto", Math.max(...sizes));
  const params = disqueakParams({
    kernel: opts.kernel, lambda: opts.lambda, eps: opts.eps, qbar: opts.qbar, prefactor: opts.prefactor, estimator: opts.estimator, maxDictionary: opts.maxDictionary,
  }, leaf);
  const leaves: DisqueakLeaf[] = [];
  let start = 0;
  for (const s of sizes) {
    leaves.push({ data: x.data.slice(start * d, (start + s) * d), n: s, d, start });
    start += s;
  }
  let pool: Executor;
  let own: WorkerPool | null = null;
  if (opts.pool) pool = opts.pool;
  else if (opts.workers === 0) pool = new InlinePool({ [DISQUEAK_LEAF_TASK]: disqueakLeafTask, [DISQUEAK_MERGE_TASK]: disqueakMergeTask });
  else {
    own = await WorkerPool.create(opts.workers === undefined ? {} : { size: integer(opts.workers, "workers", 0, 1024) });
    pool = own;
  }
  try {
    const r = await runMergeTree<DisqueakLeaf, Uint8Array, DisqueakParams>(pool, {
      leaves, leafTask: DISQUEAK_LEAF_TASK, mergeTask: DISQUEAK_MERGE_TASK, shape: opts.shape ?? "balanced", seed, params,
      signal: opts.signal,
      onNode: opts.onProgress && ((e) => {
        const value = e.value as Uint8Array;
        opts.onProgress!({ node: e.node, level: e.level, done: e.done, total: e.total, size: inspectDictionaryFile(value).m, bytes: value.length });
      }),
      // Largest parts first, so that the workers finish the leaf level together when the
      // parts differ in size (the order of execution never changes the result).
      leafCost: (part) => part.n,
    });
    return { dictionary: decodeDictionary(r.value), plan: r.plan, levels: r.levels, wallMs: r.wallMs };
  } finally {
    await own?.close();
  }
}
