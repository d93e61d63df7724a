// The kernel domain's worker tasks. The domain's task functions, listed under their names and
// registered nowhere: sdk/tasks.ts adds this table to the package's, which the worker entry
// (sdk/worker.ts) serves and `new InlinePool(TASKS)` runs.
import { taskTable, type TaskTable } from "../parallel/task-table.js";
import { DISQUEAK_LEAF_TASK, DISQUEAK_MERGE_TASK, disqueakLeafTask, disqueakMergeTask } from "./disqueak.js";
import { DISQUEAK_PART_LEAF_TASK, disqueakPartLeafTask } from "./disqueak-manifest.js";

export { disqueakLeafTask, disqueakMergeTask, disqueakPartLeafTask };

/** DISQUEAK's tree tasks (Calandriello, Lazaric & Valko, AISTATS 2017, Alg. 2): a part's
 *  leaf dictionary (from rows in memory, or from a manifest part the task reads), and the merge
 *  of two dictionaries; node values are dictionary files. */
export const KERNEL_TASKS: TaskTable = taskTable({
  [DISQUEAK_LEAF_TASK]: disqueakLeafTask,
  [DISQUEAK_PART_LEAF_TASK]: disqueakPartLeafTask,
  [DISQUEAK_MERGE_TASK]: disqueakMergeTask,
});
