// Deno: the kernel ridge regression of node-basic.mjs — an RBF kernel matrix, a Cholesky
// factorisation, the weights, and predictions between the training points.
// Run: deno run --allow-read examples/deno-basic.ts   (after `npm install`, which builds dist/)
// (from npm: `import { ... } from "npm:seqlearn"` works the same way). A path import of
// dist/web/index.js carries its types (`deno check examples/deno-basic.ts` checks this file).
import { init, linalg, Matrix, rbf } from "../dist/web/index.js";

await init(); // reads build/seqlearn.wasm next to dist/ (needs --allow-read)

// Noise-free samples of sin(x) at 8 points.
const xs: number[] = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5];
const X = Matrix.fromRows(xs.map((x) => [x]));
const y = Float64Array.from(xs, Math.sin);

const kernel = rbf({ gamma: 0.5 }); // k(a, b) = exp(-0.5 · ‖a − b‖²)
const K = kernel.matrix(X); // 8 × 8, symmetric positive definite
const lambda = 1e-6;
for (let i = 0; i < K.rows; i++) K.set(i, i, K.get(i, i) + lambda);

const { L } = linalg.cholesky(K); // K + λI = L·Lᵀ
const alpha = linalg.choSolve(L, y); // (K + λI)⁻¹ y

// Predict between the training points: f(x*) = Σ α_i k(x*, x_i).
const Xtest = Matrix.fromRows([[0.25], [1.75], [3.25]]);
const Ks = kernel.matrix(Xtest, X); // 3 × 8
const pred = linalg.gemm(Ks, new Matrix(alpha.length, 1, alpha));

console.log("kernel matrix K[0..2][0..2]:");
for (let i = 0; i < 3; i++) console.log("  " + [0, 1, 2].map((j) => K.get(i, j).toFixed(6)).join("  "));
let maxErr = 0;
for (let i = 0; i < Xtest.rows; i++) {
  const x = Xtest.get(i, 0);
  maxErr = Math.max(maxErr, Math.abs(pred.get(i, 0) - Math.sin(x)));
  console.log(`f(${x}) = ${pred.get(i, 0).toFixed(6)}   sin(${x}) = ${Math.sin(x).toFixed(6)}`);
}
console.log(`max |f − sin| on the test points: ${maxErr.toExponential(2)}`);
