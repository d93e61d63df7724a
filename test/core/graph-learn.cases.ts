// Cross-runtime cases for the approximate-Cholesky preconditioner, the spectral error and
// learning over the Laplacian: small checks against dense computations, and a digest of seeded
// results (the factor's random elimination, PCG with it, the Lanczos estimate, smoothing,
// harmonic classification, LOBPCG) that must be byte-identical in Node, Deno, Chromium and WASI.
import * as S from "../../sdk/index.js";
import {
  Graph, LaplacianSolver, spectralError, laplacianSmoothing, harmonicFunction, harmonicClassify, spectralEmbedding,
  grid, randomGeometric, stochasticBlockModel, blockLabels, withLogUniformWeights, disjointUnion, path,
} from "../../sdk/graph/index.js";
import { ok, close, maxAbsDiff, fingerprint } from "./assert.js";
import type { Case } from "./suite.js";

/** (L + diag(s))⁻¹·b by dense Cholesky (every component shifted somewhere). */
function denseSolve(g: Graph, s: Float64Array, b: Float64Array): Float64Array {
  const A = g.laplacianDense();
  for (let i = 0; i < g.n; i++) A.data[i * g.n + i] += s[i];
  return S.linalg.solveSPD(A, b) as Float64Array;
}

function normal(n: number, seed: number): Float64Array {
  const r = new S.Rng(seed);
  try {
    return r.normal(n);
  } finally {
    r.dispose();
  }
}

export const cases: Case[] = [
  {
    name: "approxchol: solutions equal dense Cholesky; a block equals its columns bit for bit",
    fn: () => {
      const g = withLogUniformWeights(grid(9, 8), 0.1, 10, { seed: 3 });
      const s = new Float64Array(g.n);
      for (let i = 0; i < g.n; i += 5) s[i] = 0.01 * (1 + i);
      const solver = new LaplacianSolver(g, { shift: s, preconditioner: "approxchol", tol: 1e-12, seed: 9 });
      try {
        const B = new S.Matrix(g.n, 3, normal(3 * g.n, 4));
        const block = solver.solve(B);
        ok(block.converged, "converged");
        for (let j = 0; j < 3; j++) {
          const ref = denseSolve(g, s, B.col(j));
          ok(maxAbsDiff(block.x.col(j), ref) < 1e-9 * Math.max(...Array.from(ref, Math.abs)), `column ${j} matches dense`);
          const one = solver.solve(B.col(j));
          ok(fingerprint(one.x) === fingerprint(block.x.col(j)), `column ${j}: same bits alone`);
        }
      } finally {
        solver.dispose();
      }
    },
  },
  {
    name: "spectralError: (1 + δ)·G gives ε = δ; smoothing and harmonic functions match dense solves",
    fn: () => {
      const g = disjointUnion([withLogUniformWeights(grid(6, 7), 0.5, 2, { seed: 1 }), path(5)]);
      const h = g.withWeights(Array.from(g.w, (w) => 1.3 * w));
      close(spectralError(g, h).epsilon, 0.3, 1e-12, "exact ε");
      close(spectralError(g, h, { method: "estimate" }).epsilon, 0.3, 1e-9, "estimated ε");
      const y = normal(g.n, 2);
      const f = laplacianSmoothing(g, y, { lambda: 2, tol: 1e-12 }).f;
      const ref = denseSolve(g, new Float64Array(g.n).fill(0.5), Float64Array.from(y, (v) => v / 2));
      ok(maxAbsDiff(f, ref) < 1e-10, "smoothing = (I + λL)⁻¹y");
      const hf = harmonicFunction(g, [0, 41, 43], [1, -1, 2], { tol: 1e-12 });
      ok(hf.f[0] === 1 && hf.f[41] === -1 && hf.f[43] === 2, "labels kept");
      const { rowPtr, col, val } = g.csr();
      const d = g.degrees();
      let worst = 0;
      for (let i = 0; i < g.n; i++) {
        if (i === 0 || i === 41 || i === 43) continue;
        let acc = 0;
        for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) acc += val[p] * hf.f[col[p]];
        worst = Math.max(worst, Math.abs(acc / d[i] - hf.f[i]));
      }
      ok(worst < 1e-10, "harmonic at the unlabelled nodes");
    },
  },
  {
    name: "spectral embedding: LOBPCG eigenvalues equal the dense ones",
    fn: () => {
      const g = withLogUniformWeights(randomGeometric(150, 0.18, { seed: 5 }), 0.5, 2, { seed: 6 });
      const k = 3;
      const dense = spectralEmbedding(g, k, { method: "dense" });
      const lob = spectralEmbedding(g, k, { method: "lobpcg", tol: 1e-9 });
      ok(lob.converged, "LOBPCG converged");
      for (let j = 0; j < k; j++) close(lob.values[j], dense.values[j], 1e-9 * dense.values[j], `eigenvalue ${j}`);
    },
  },
];

/** Seeded results: the approximate-Cholesky factor (through its solve), Lanczos, smoothing,
 *  classification scores and LOBPCG vectors. */
export function digest(): Record<string, string> {
  const g = randomGeometric(400, 0.1, { seed: 21 });
  const b = normal(g.n, 22);
  const s0 = new LaplacianSolver(g, { preconditioner: "approxchol", tol: 1e-10, seed: 23 });
  const s1 = new LaplacianSolver(g, { shift: 1e-3, preconditioner: "approxchol", tol: 1e-10, seed: 24 });
  try {
    const r0 = s0.solve(b);
    const r1 = s1.solve(new S.Matrix(g.n, 2, normal(2 * g.n, 25)));
    const h = g.withWeights(Array.from(g.w, (w, e) => w * (0.8 + 0.4 * ((e * 7919) % 101) / 100)));
    const gamma = g.components().count === 1 ? 0 : 0.01;
    const est = spectralError(g, h, { gamma, method: "estimate", seed: 26 });
    const smooth = laplacianSmoothing(g, b, { lambda: 3, preconditioner: "approxchol", seed: 27 });
    const sizes = [60, 60, 80];
    const sbm = stochasticBlockModel(sizes, 0.3, 0.03, { seed: 28 });
    const truth = blockLabels(sizes);
    const labeled: number[] = [], classes: number[] = [];
    for (let i = 3; i < sbm.n; i += 10) {
      labeled.push(i);
      classes.push(truth[i]);
    }
    const cls = harmonicClassify(sbm, labeled, classes, { preconditioner: "approxchol", seed: 29 });
    const emb = spectralEmbedding(g, 3, { method: "lobpcg", seed: 30 });
    return {
      approxchol: fingerprint(r0.x, Int32Array.of(r0.iterations, s0.factorEntries), r1.x.data, r1.columns.iterations, Int32Array.of(s1.factorEntries)),
      lanczos: fingerprint(Float64Array.of(est.lambdaMin, est.lambdaMax, est.steps)),
      learn: fingerprint(smooth.f, cls.scores.data, cls.predictions),
      embedding: fingerprint(emb.values, emb.vectors.data, Int32Array.of(emb.iterations)),
    };
  } finally {
    s0.dispose();
    s1.dispose();
  }
}
