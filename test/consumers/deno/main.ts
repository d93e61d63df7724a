// Deno with the package installed in node_modules (a package.json next to it): the bare
// specifier resolves through the `deno` condition of the exports map, with its types.
import * as sl from "seqlearn";
import { NystromKRR, Matrix, type KrrJSON } from "seqlearn";
import { compute } from "../compute.mjs";

const out = await compute(sl);
const json: KrrJSON = NystromKRR.fit({ uniform: 2 }, Matrix.fromRows([[0], [1], [2]]), [0, 1, 4], { ridge: 1, kernel: sl.rbf({ gamma: 1 }) }).toJSON();
// @ts-expect-error a KrrJSON's format is a literal, not any string
const bad: "seqlearn.krr/1" = json.format;
console.log(JSON.stringify({ ...out, typed: json.format, bad }));
