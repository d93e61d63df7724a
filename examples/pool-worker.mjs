// A worker entry of your own (docs/guide/distribution.md): the package's tasks plus those of
// examples/pool-tasks.mjs, served by one script that a pool starts with `workerUrl`. Useful
// when a bundler should see every task at build time, or where workers cannot import modules
// named at run time. It imports the package by name, like the task module, so that both share
// this worker's engine.
import { TASKS, taskTable, parallel } from "seqlearn";
import { tasks } from "./pool-tasks.mjs";

await parallel.serveWorker(taskTable(TASKS, tasks));
