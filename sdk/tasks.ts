// The table of named tasks the package's workers run, filled by the domains: each domain
// lists its tasks in its own tasks.ts, and this table is their union (a name claimed by two
// domains is an error when this module loads). It sits above the domains, next to the worker
// entry (sdk/worker.ts) that serves it; sdk/parallel/ never sees it, it only runs the table
// it is given.
//
// Your own tasks go in a table of your own, not here: export it as `tasks` from a module
// passed to WorkerPool.create({ modules }), or serve taskTable(TASKS, yours) from your own
// worker entry (`workerUrl`), and run it inline with new InlinePool(taskTable(TASKS, yours)).
import { taskTable, type TaskTable } from "./parallel/task-table.js";
import { KERNEL_TASKS } from "./kernel/tasks.js";
import { GRAPH_TASKS } from "./graph/tasks.js";
import { ALIGN_TASKS } from "./align/tasks.js";
import { EXPERIMENT_TASKS } from "./experiments/tasks.js";

/** Every task of the package, by name (e.g. "seqlearn.disqueak.leaf", "seqlearn.experiments.seed"). */
export const TASKS: TaskTable = taskTable(KERNEL_TASKS, GRAPH_TASKS, ALIGN_TASKS, EXPERIMENT_TASKS);
