// The graph domain's worker tasks, listed under their names and registered nowhere: sdk/tasks.ts
// adds this table to the package's, which the worker entry (sdk/worker.ts) serves and
// `new InlinePool(TASKS)` runs.
import { taskTable, type TaskTable } from "../parallel/task-table.js";
import { GSQUEAK_LEAF_TASK, GSQUEAK_MERGE_TASK, gsqueakLeafTask, gsqueakMergeTask } from "./gsqueak.js";

export { gsqueakLeafTask, gsqueakMergeTask };

/** GSQUEAK's tree tasks (Calandriello, Koutis, Lazaric & Valko, ICML 2018): a block's leaf
 *  dictionary, and the merge of two dictionaries; node values are sparsifier files. */
export const GRAPH_TASKS: TaskTable = taskTable({
  [GSQUEAK_LEAF_TASK]: gsqueakLeafTask,
  [GSQUEAK_MERGE_TASK]: gsqueakMergeTask,
});
