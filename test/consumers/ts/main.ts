// TypeScript, strict, checked with the options of `tsc --init` and without skipLibCheck (the
// package's declarations are checked too): result types are precise, every option and result
// type is importable, and objects that own engine memory are Disposable whatever the `lib`.
import { init, Matrix, NystromKRR, Squeak, rbf, uniformNystrom, linalg, ValueError, type KrrJSON, type KrrOptions, type SqueakOptions, type RlsDictionary } from "seqlearn";
import { exactRls, type ExactRls } from "seqlearn/kernel";
import { nashMirrorProx, rps, type GameRun, type SolverOptions } from "seqlearn/games";
import { WorkerPool, type PoolOptions } from "seqlearn/parallel";
import { readTable, type Table } from "seqlearn/io";

await init();
const X = Matrix.fromRows([[0, 0], [1, 0], [0, 1], [1, 1], [2, 1], [1, 2]]);
const y = Float64Array.from([0, 1, 1, 2, 3, 3]);
const kernel = rbf({ gamma: 0.5 });
const dict: RlsDictionary = uniformNystrom(X, 4, { kernel, seed: 1 });
const opts: KrrOptions = { ridge: 1e-3 };

// A model fitted with a vector predicts a Float64Array; with a matrix, a Matrix.
const vectorModel = NystromKRR.fit(dict, X, y, opts);
const p: Float64Array = vectorModel.predict(X);
const matrixModel = NystromKRR.fit(dict, X, [[0, 1], [1, 0], [1, 1], [2, 2], [3, 1], [3, 0]], opts);
const P: Matrix = matrixModel.predict(X);
// @ts-expect-error a vector model's predictions are not a Matrix
const wrong: Matrix = vectorModel.predict(X);

// toJSON() is typed: its format is a literal.
const json: KrrJSON = vectorModel.toJSON();
const format: "seqlearn.krr/2" = json.format;

// Linear algebra overloads: a vector right-hand side gives a vector.
const { L } = linalg.cholesky([[4, 2], [2, 3]]);
const v: Float64Array = linalg.choSolve(L, [1, 2]);
const M: Matrix = linalg.choSolve(L, [[1], [2]]);

const r: ExactRls = exactRls(X, kernel, 1);
const sopts: SqueakOptions = { kernel, lambda: 1, qbar: 2, seed: 3 };
const sq = new Squeak(sopts);
sq.push(X);
sq[Symbol.dispose](); // Disposable, whatever the lib

const game = rps();
const so: SolverOptions = { beta: 0.1, eta: 0.5, iters: 10 };
const run: GameRun = nashMirrorProx(game, so);
game.dispose();

const po: PoolOptions = { size: 1 };
const table: Promise<Table> = readTable([["a,b", "1,2"].join("\n")]);
let caught: unknown;
try {
  rbf({ gamma: -1 });
} catch (e) {
  caught = e;
}
const isValue: boolean = caught instanceof ValueError;

console.log(p.length, P.rows, wrong, format, v.length, M.rows, r.deff > 0, run.policy.length, po.size, await table, isValue, typeof WorkerPool);
