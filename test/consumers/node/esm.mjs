// Node, ES modules: the root, a subpath, the shipped data file, and a pool of 2 worker threads
// started from the installed package.
import * as sl from "seqlearn";
import * as kernel from "seqlearn/kernel";
import { readTable } from "seqlearn/io";
import { compute } from "../compute.mjs";

const out = await compute(sl, { workers: 2 });
out.sameKernel = kernel.NystromKRR === sl.NystromKRR;
const table = await readTable(new URL(import.meta.resolve("seqlearn/data/earthquakes.csv")));
out.dataRows = table.X.rows;
console.log(JSON.stringify(out));
