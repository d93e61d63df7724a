// Deno importing a copy of the package by path (vendor/seqlearn, outside node_modules): the
// `@ts-self-types` header of dist/web/index.js gives the import its types.
import * as sl from "./vendor/seqlearn/dist/web/index.js";
import type { KrrJSON } from "./vendor/seqlearn/dist/web/index.js";
import { compute } from "../compute.mjs";

const out = await compute(sl);
const json: KrrJSON = sl.NystromKRR.fit({ uniform: 2 }, sl.Matrix.fromRows([[0], [1], [2]]), [0, 1, 4], { ridge: 1, kernel: sl.rbf({ gamma: 1 }) }).toJSON();
// @ts-expect-error a KrrJSON's format is a literal, not any string
const bad: "seqlearn.krr/1" = json.format;
console.log(JSON.stringify({ ...out, typed: json.format, bad }));
