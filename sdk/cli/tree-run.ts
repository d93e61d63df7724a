// What the tree commands (tree, tree --graph, sparsify, ssl --sparsify) share: the executor
// they run on and the --keep folder of node files.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { WorkerPool, InlinePool, TASKS, type Executor } from "../index.js";
import { writeFileAtomic, checkOutput } from "./files.js";

/** The executor of a tree command: this thread for `--workers 0`, else a worker pool of
 *  `workers` threads (every core when undefined) that `close()` closes. */
export async function commandPool(workers: number | undefined): Promise<{ pool: Executor; close(): Promise<void> }> {
  if (workers === 0) return { pool: new InlinePool(TASKS), close: async () => {} };
  const p = await WorkerPool.create(workers === undefined ? {} : { size: workers });
  return { pool: p, close: () => p.close() };
}

/** The writer of the `--keep` folder's node files (`node-<i>.<ext>`, written atomically), or
 *  null without --keep. The folder is created and every one of the `nodes` files is checked
 *  as -o is (not an input, not over an existing file without --force) before the tree runs. */
export function keepNodeFiles(
  keep: string | undefined, ext: string, nodes: number, check: { inputs: readonly string[]; force: boolean },
): ((node: number, bytes: Uint8Array) => void) | null {
  if (!keep) return null;
  const opts = { inputs: check.inputs, force: check.force, flag: "--keep" };
  const file = (i: number): string => join(keep, `node-${i}.${ext}`);
  mkdirSync(keep, { recursive: true });
  for (let i = 0; i < nodes; i++) checkOutput(file(i), opts);
  return (node, bytes) => writeFileAtomic(file(node), bytes, opts);
}
