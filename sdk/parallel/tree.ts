// A generic merge-tree driver: leaf tasks turn leaf inputs into node values, merge tasks
// combine two node values into one, and the tree's shape fixes which merges happen. Node
// ids are fixed by the shape (leaves 0..k−1, then merges k, k+1, ... in plan order). Each
// task receives the root seed and its node's random-stream id, derived from the set of
// leaves the node covers (nodeStream, sdk/random/streams.ts, which argues why no two nodes
// share a stream), so the result depends on the inputs, the shape and the seed only — never
// on timing or on the number of workers — and a node that covers the same leaves gets the
// same stream in every tree (e.g. the merge over leaves 0..t of a chain is the same stream
// whatever the total number of leaves).
import { ValueError } from "../engine/errors.js";
import { integer, seed as checkSeed } from "../core/validate.js";
import { checkOptions } from "../core/options.js";
import { nodeStream, MAX_TREE_LEAVES } from "../random/streams.js";
import type { Executor, RunOptions } from "./pool.js";

// The stream helpers used to live here; re-exported for in-package importers only (until
// sdk/kernel/squeak.ts takes nodeStream from sdk/random/streams.ts). Their public home is the
// `random` namespace; the `parallel` namespace does not export them.
export { nodeStream, MAX_TREE_LEAVES };

/** "balanced": adjacent pairs level by level (an odd node out waits for the next level);
 *  "chain": ((((0,1),2),3)…); or explicit merges `[a, b]` over node ids, where merge j
 *  creates node k + j (k = number of leaves) and every node is used exactly once. */
export type TreeShape = "balanced" | "chain" | ReadonlyArray<readonly [number, number]>;

/** One merge of a `TreePlan`. */
export interface MergeStep {
  /** Id of the node it creates (leaves are 0…k−1, merge j creates k + j). */
  node: number;
  /** Left child's node id. */
  left: number;
  /** Right child's node id. */
  right: number;
  /** Level of the new node (leaves are level 0). */
  level: number;
  /** Smallest leaf index the merged node covers, and how many leaves it covers. */
  first: number;
  /** Number of leaves the merged node covers. */
  count: number;
  /** nodeStream(first, count). */
  stream: number;
}

/** A merge tree's shape: its merges in the order they are planned, and every node's stream. */
export interface TreePlan {
  /** Number of leaves k. */
  leaves: number;
  /** The merges, in plan order. */
  merges: MergeStep[];
  /** Id of the root node. */
  root: number;
  /** Levels below the root (0 for a single leaf). */
  depth: number;
  /** The random-stream id of every node, by node id (leaves 0..k−1, then the merges). */
  streams: number[];
}

/** The merges of a tree over `leaves` leaves (validated). */
export function planTree(leaves: number, shape: TreeShape = "balanced"): TreePlan {
  integer(leaves, "leaves", 1, MAX_TREE_LEAVES);
  const level = new Array<number>(leaves).fill(0);
  const first = Array.from({ length: leaves }, (_, i) => i);
  const count = new Array<number>(leaves).fill(1);
  const merges: MergeStep[] = [];
  const add = (a: number, b: number): number => {
    const node = leaves + merges.length;
    const lv = Math.max(level[a], level[b]) + 1;
    const f = Math.min(first[a], first[b]), c = count[a] + count[b];
    level.push(lv);
    first.push(f);
    count.push(c);
    merges.push({ node, left: a, right: b, level: lv, first: f, count: c, stream: nodeStream(f, c) });
    return node;
  };
  if (shape === "balanced") {
    let frontier = Array.from({ length: leaves }, (_, i) => i);
    while (frontier.length > 1) {
      const next: number[] = [];
      for (let i = 0; i + 1 < frontier.length; i += 2) next.push(add(frontier[i], frontier[i + 1]));
      if (frontier.length % 2 === 1) next.push(frontier[frontier.length - 1]);
      frontier = next;
    }
  } else if (shape === "chain") {
    let acc = 0;
    for (let i = 1; i < leaves; i++) acc = add(acc, i);
  } else if (Array.isArray(shape)) {
    if (shape.length !== leaves - 1) throw new ValueError(`shape: a tree over ${leaves} leaves needs ${leaves - 1} merges, got ${shape.length}`);
    const used = new Uint8Array(2 * leaves - 1);
    shape.forEach((pair, j) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new ValueError(`shape[${j}] must be a pair [a, b] of node ids`);
      const limit = leaves + j; // nodes that exist before merge j
      for (const v of pair) {
        if (!Number.isInteger(v) || v < 0 || v >= limit) throw new ValueError(`shape[${j}] refers to node ${String(v)}; only nodes 0..${limit - 1} exist before merge ${j} (leaves 0..${leaves - 1}, merge j creates node ${leaves}+j)`);
        if (used[v]) throw new ValueError(`shape[${j}] uses node ${v}, which is already merged`);
      }
      if (pair[0] === pair[1]) throw new ValueError(`shape[${j}] merges node ${pair[0]} with itself`);
      used[pair[0]] = used[pair[1]] = 1;
      add(pair[0], pair[1]);
    });
  } else {
    throw new ValueError(`shape must be "balanced", "chain" or an array of [a, b] merges, got ${JSON.stringify(shape)}`);
  }
  const root = leaves + merges.length - 1;
  const streams = first.map((f, i) => nodeStream(f, count[i]));
  return { leaves, merges, root, depth: level[root], streams };
}

/** What a leaf task receives. Seed its randomness with `new Rng(seed, stream)`. */
export interface LeafInput<L, P> {
  /** This leaf's node id. */
  node: number;
  /** The root seed. */
  seed: number;
  /** nodeStream(node, 1). */
  stream: number;
  /** Always 0. */
  level: 0;
  /** The leaf input, as given to `runMergeTree`. */
  leaf: L;
  /** The shared parameters. */
  params: P;
  /** How many engine threads the task may use: the executor's size over the number of nodes of
   *  its level (at least 1). A scheduling hint only (withThreads): no result depends on it. */
  threads?: number;
}

/** What a merge task receives. Seed its randomness with `new Rng(seed, stream)`. */
export interface MergeInput<V, P> {
  /** This merge's node id. */
  node: number;
  /** The root seed. */
  seed: number;
  /** nodeStream(first, count) of the leaves the merged node covers. */
  stream: number;
  /** Level of the merged node. */
  level: number;
  /** The left child's value. */
  left: V;
  /** The right child's value. */
  right: V;
  /** The shared parameters. */
  params: P;
  /** How many engine threads the task may use: the executor's size over the number of nodes of
   *  its level (at least 1) — so the few merges near the root, which run while other workers
   *  idle, use their cores. A scheduling hint only (withThreads): no result depends on it. */
  threads?: number;
}

/** Timing of one tree level. */
export interface LevelTiming {
  /** The level (0 = leaves). */
  level: number;
  /** Nodes at this level. */
  nodes: number;
  /** From the first task of the level starting to the last one finishing (ms). */
  wallMs: number;
  /** Sum of the time the level's tasks spent computing on workers (ms). */
  workMs: number;
}

/** Options of `runMergeTree`. */
export interface MergeTreeOptions<L, P> {
  /** One input per leaf. */
  leaves: readonly L[];
  /** Name of the registered task that turns a `LeafInput` into a node value. */
  leafTask: string;
  /** Name of the registered task that turns a `MergeInput` into a node value. */
  mergeTask: string;
  /** "balanced" (default), "chain", or explicit merges. */
  shape?: TreeShape;
  /** Root seed; a node's randomness should come from (seed, its stream id), see nodeStream. */
  seed: number;
  /** Passed unchanged to every task (hyper-parameters). */
  params?: P;
  /** Cancels the run. */
  signal?: AbortSignal;
  /** Called as each node completes, in completion order, with the node's value. */
  onNode?: (info: NodeEvent) => void;
  /** Per-task options (retries, timeoutMs) forwarded to the executor. */
  taskOptions?: Pick<RunOptions, "retries" | "timeoutMs">;
  /** Estimated cost of each leaf (e.g. its number of rows). Leaves are handed to the
   *  executor in decreasing cost (ties in leaf order: longest processing time first), so
   *  that on a pool the workers finish the leaf level together. It changes only the order
   *  of execution, never node ids, streams or results. Default: leaf order. */
  leafCost?: (leaf: L, index: number) => number;
}

/** What `MergeTreeOptions.onNode` receives when a node completes. */
export interface NodeEvent {
  /** The node's id. */
  node: number;
  /** Its level (0 = leaves). */
  level: number;
  /** Nodes completed so far, this one included. */
  done: number;
  /** Nodes in the tree (leaves and merges). */
  total: number;
  /** The node's value, as its task returned it. */
  value: unknown;
}

// The valid keys of MergeTreeOptions and of its taskOptions, for checkOptions (`satisfies`:
// tsc fails when the interface and the list differ).
const TREE_KEYS = Object.keys({
  leaves: true, leafTask: true, mergeTask: true, shape: true, seed: true, params: true, signal: true,
  onNode: true, taskOptions: true, leafCost: true,
} satisfies Record<keyof MergeTreeOptions<unknown, unknown>, true>);
const TASK_OPTION_KEYS = Object.keys({ retries: true, timeoutMs: true } satisfies Record<keyof NonNullable<MergeTreeOptions<unknown, unknown>["taskOptions"]>, true>);

/** What `runMergeTree` returns. */
export interface MergeTreeResult<V> {
  /** The root's value. */
  value: V;
  /** The plan that ran. */
  plan: TreePlan;
  /** Timing per level. */
  levels: LevelTiming[];
  /** Wall time of the whole run (ms). */
  wallMs: number;
}

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** A whole merge tree, as runMergeTree hands it to a `TreeExecutor`. */
export interface TreeRun {
  /** The plan (node ids, levels, streams). */
  plan: TreePlan;
  /** Name of the leaf task. */
  leafTask: string;
  /** Name of the merge task. */
  mergeTask: string;
  /** The root seed. */
  seed: number;
  /** The shared parameters (every merge task receives them). */
  params: unknown;
  /** The input of every leaf task, by leaf id (what a pool's leaf task would receive). */
  leaves: ReadonlyArray<LeafInput<unknown, unknown>>;
  /** The leaves' ids, costliest first (see `MergeTreeOptions.leafCost`): the order in which
   *  to start them. It never changes a result. */
  order: readonly number[];
}

/** How a `TreeExecutor` reports back to runMergeTree. */
export interface TreeRunHooks<V> {
  /** Aborted when the tree is cancelled (by the caller, or because a node failed). */
  signal: AbortSignal;
  /** Per-task options of the caller (retries, per-attempt time limit). */
  taskOptions?: Pick<RunOptions, "retries" | "timeoutMs">;
  /** Whether nodeDone needs each node's value (false: pass undefined and save the transfer). */
  wantValues: boolean;
  /** Call once per node as it completes (children before parents), with its value when
   *  `wantValues`, and its timings (any one clock, in ms; levels use differences only). */
  nodeDone(node: number, value: V | undefined, stats: { startedAt: number; endedAt: number; computeMs: number }): void;
}

/** An executor that schedules a whole merge tree itself (a job system whose jobs wait for
 *  their children, such as BullMQ flows; see `bullmqExecutor`). runMergeTree hands it the tree
 *  at once instead of submitting node by node; the tasks, their inputs and hence the results
 *  are the same. `runTree` resolves with the root's value. */
export interface TreeExecutor extends Executor {
  /** Run the tree's tasks (a merge after both its children), resolve with the root's value. */
  runTree<V>(tree: TreeRun, hooks: TreeRunHooks<V>): Promise<V>;
}

function isTreeExecutor(e: Executor): e is TreeExecutor {
  return typeof (e as Partial<TreeExecutor>).runTree === "function";
}


/** Leaf indices in decreasing estimated cost, ties (and non-finite costs) in index order. */
function leafOrder<L>(leaves: readonly L[], cost: ((leaf: L, index: number) => number) | undefined): number[] {
  const order = leaves.map((_, i) => i);
  if (cost === undefined) return order;
  if (typeof cost !== "function") throw new ValueError("leafCost must be a function (leaf, index) => number");
  const c = leaves.map((leaf, i) => {
    const v = cost(leaf, i);
    return typeof v === "number" && Number.isFinite(v) ? v : -Infinity;
  });
  return order.sort((a, b) => c[b] - c[a] || a - b);
}

/** Run a merge tree on an executor: a pool (each merge is submitted once both children are
 *  done), or a `TreeExecutor` such as `bullmqExecutor`, which receives the whole tree at once.
 *  Rejects with the first task failure (other pending tasks are cancelled). */
export async function runMergeTree<L, V, P = unknown>(executor: Executor, options: MergeTreeOptions<L, P>): Promise<MergeTreeResult<V>> {
  if (!executor || typeof executor.run !== "function") throw new ValueError("runMergeTree: executor must be a pool (WorkerPool or InlinePool) or another executor (bullmqExecutor)");
  if (!options || typeof options !== "object") throw new ValueError("runMergeTree: options { leaves, leafTask, mergeTask, seed, ... } are required");
  const opts = checkOptions<MergeTreeOptions<L, P>>(options, "runMergeTree", TREE_KEYS);
  if (opts.taskOptions !== undefined) opts.taskOptions = checkOptions(opts.taskOptions, "runMergeTree: taskOptions", TASK_OPTION_KEYS);
  if (!Array.isArray(opts.leaves) || opts.leaves.length === 0) throw new ValueError("leaves must be a non-empty array of leaf inputs");
  if (typeof opts.leafTask !== "string" || typeof opts.mergeTask !== "string") throw new ValueError("leafTask and mergeTask must be task names");
  const seed = checkSeed(opts.seed, "seed");
  const plan = planTree(opts.leaves.length, opts.shape ?? "balanced");
  const order = leafOrder(opts.leaves, opts.leafCost);
  const k = plan.leaves;
  const total = k + plan.merges.length;
  const params = opts.params as P;
  const values = new Array<V | undefined>(total);
  const byLevel = new Map<number, { start: number; end: number; work: number; nodes: number }>();
  const ac = new AbortController();
  const onOuterAbort = (): void => ac.abort(opts.signal?.reason);
  if (opts.signal?.aborted) ac.abort(opts.signal.reason);
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const t0 = now();
  let done = 0;

  const record = (level: number, s: { startedAt: number; endedAt: number; computeMs: number }): void => {
    const e = byLevel.get(level) ?? { start: Infinity, end: -Infinity, work: 0, nodes: 0 };
    e.start = Math.min(e.start, s.startedAt);
    e.end = Math.max(e.end, s.endedAt);
    e.work += s.computeMs;
    e.nodes++;
    byLevel.set(level, e);
  };
  const levelTimings = (): LevelTiming[] => [...byLevel.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([level, e]) => ({ level, nodes: e.nodes, wallMs: e.end - e.start, workMs: e.work }));
  const runNode = async (node: number, level: number, task: string, input: unknown): Promise<void> => {
    const v = await executor.run<V>(task, input, { ...opts.taskOptions, signal: ac.signal, onStats: (s) => record(level, s) });
    values[node] = v;
    done++;
    opts.onNode?.({ node, level, done, total, value: v });
  };

  if (isTreeExecutor(executor)) {
    // The executor schedules the dependencies itself: hand it the whole tree.
    const levelOf = (node: number): number => (node < k ? 0 : plan.merges[node - k].level);
    const leafInputs = opts.leaves.map((leaf, i): LeafInput<L, P> => ({ node: i, seed, stream: plan.streams[i], level: 0, leaf, params }));
    try {
      values[plan.root] = await executor.runTree<V>(
        { plan, leafTask: opts.leafTask, mergeTask: opts.mergeTask, seed, params, leaves: leafInputs, order },
        {
          signal: ac.signal, taskOptions: opts.taskOptions, wantValues: opts.onNode !== undefined,
          nodeDone: (node, value, stats) => {
            const level = levelOf(node);
            record(level, stats);
            done++;
            opts.onNode?.({ node, level, done, total, value });
          },
        },
      );
    } finally {
      opts.signal?.removeEventListener("abort", onOuterAbort);
    }
    return { value: values[plan.root] as V, plan, levels: levelTimings(), wallMs: now() - t0 };
  }

  // Threads a task may use: the executor's slots shared by the nodes of its level.
  const perLevel = new Map<number, number>([[0, k]]);
  for (const m of plan.merges) perLevel.set(m.level, (perLevel.get(m.level) ?? 0) + 1);
  const slots = Number.isInteger(executor.size) && executor.size > 0 ? executor.size : 1;
  const threadsAt = (level: number): number => Math.max(1, Math.floor(slots / perLevel.get(level)!));

  // Each node's promise; a merge waits for its two children, then drops their values.
  const promises = new Array<Promise<void>>(total);
  for (const i of order) {
    const input: LeafInput<L, P> = { node: i, seed, stream: plan.streams[i], level: 0, leaf: opts.leaves[i], params, threads: threadsAt(0) };
    promises[i] = runNode(i, 0, opts.leafTask, input);
  }
  for (const m of plan.merges) {
    promises[m.node] = Promise.all([promises[m.left], promises[m.right]]).then(() => {
      const input: MergeInput<V, P> = { node: m.node, seed, stream: m.stream, level: m.level, left: values[m.left]!, right: values[m.right]!, params, threads: threadsAt(m.level) };
      values[m.left] = values[m.right] = undefined;
      return runNode(m.node, m.level, opts.mergeTask, input);
    });
  }
  try {
    // Fail fast: the first rejection aborts everything else still queued or running.
    await new Promise<void>((resolve, reject) => {
      let left = total;
      for (const p of promises) {
        p.then(() => {
          if (--left === 0) resolve();
        }, (e) => {
          ac.abort(e);
          reject(e);
        });
      }
    });
  } finally {
    opts.signal?.removeEventListener("abort", onOuterAbort);
  }
  return { value: values[plan.root] as V, plan, levels: levelTimings(), wallMs: now() - t0 };
}
