// Graph cases for the cross-runtime core suite: the Laplacian product against the dense
// Laplacian, closed-form resistances, block solves equal to single solves, validation and life
// cycle — and a digest of seeded solves that must be byte-identical in Node, Deno, Chromium and
// WASI.
import * as S from "../../sdk/index.js";
import { Graph, LaplacianSolver } from "../../sdk/graph/index.js";
import { EngineStateError, ValueError } from "../../sdk/core/errors.js";
import { ok, close, maxAbsDiff, throwsType, fingerprint } from "./assert.js";
import type { Case } from "./suite.js";

/** A graph from the engine's seeded generator: a spanning path plus `extra` random edges
 *  (repeats and self-loops included), weights uniform in [0.5, 2.5). */
function seededGraph(n: number, extra: number, seed: number): Graph {
  const rng = new S.Rng(seed);
  try {
    const ends = rng.u32(2 * extra), w = rng.uniform(extra + n - 1);
    const u: number[] = [], v: number[] = [], ww: number[] = [];
    for (let i = 0; i + 1 < n; i++) { u.push(i); v.push(i + 1); ww.push(0.5 + 2 * w[i]); }
    for (let e = 0; e < extra; e++) { u.push(ends[2 * e] % n); v.push(ends[2 * e + 1] % n); ww.push(0.5 + 2 * w[n - 1 + e]); }
    return Graph.fromEdges(u, v, ww, { n });
  } finally {
    rng.dispose();
  }
}

function seededMatrix(rows: number, cols: number, seed: number): S.Matrix {
  const rng = new S.Rng(seed);
  try {
    return new S.Matrix(rows, cols, rng.normal(rows * cols));
  } finally {
    rng.dispose();
  }
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return fingerprint(a) === fingerprint(b) && a.length === b.length;
}

export const cases: Case[] = [
  {
    name: "Laplacian products equal the dense (L + γI)·X, k = 1 and 5",
    fn: () => {
      const g = seededGraph(24, 40, 3);
      const L = g.laplacianDense();
      for (let i = 0; i < g.n; i++) L.data[i * g.n + i] += 0.25;
      const solver = new LaplacianSolver(g, { shift: 0.25 });
      try {
        for (const k of [1, 5]) {
          const X = seededMatrix(g.n, k, 10 + k);
          const Y = solver.multiply(X);
          const ref = S.linalg.matmul(L, X);
          ok(maxAbsDiff(Y.data, ref.data) < 1e-12, `k = ${k}: product matches the dense Laplacian`);
        }
      } finally {
        solver.dispose();
      }
    },
  },
  {
    name: "effective resistances by solves: K_n gives 2/n, the cycle k(n−k)/n",
    fn: () => {
      const n = 9;
      const u: number[] = [], v: number[] = [];
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { u.push(i); v.push(j); }
      const res = (g: Graph, a: number, b: number): number => {
        const s = new LaplacianSolver(g, { tol: 1e-12 });
        try {
          const rhs = new Float64Array(n);
          rhs[a] = 1;
          rhs[b] = -1;
          const { x, converged } = s.solve(rhs);
          ok(converged, "converged");
          return x[a] - x[b];
        } finally {
          s.dispose();
        }
      };
      close(res(Graph.fromEdges(u, v), 2, 7), 2 / n, 1e-12, "K_9");
      const cyc = Graph.fromEdges(Array.from({ length: n }, (_, i) => i), Array.from({ length: n }, (_, i) => (i + 1) % n));
      for (let k = 1; k <= 4; k++) close(res(cyc, 0, k), (k * (n - k)) / n, 1e-11, `cycle, distance ${k}`);
    },
  },
  {
    name: "a block solve equals its single solves bit for bit (γ = 0, two components)",
    fn: () => {
      const a = seededGraph(15, 20, 5);
      const g = Graph.fromEdges([...a.u, 16, 17], [...a.v, 17, 18], [...a.w, 1, 3], { n: 19 });
      const solver = new LaplacianSolver(g, { tol: 1e-10 });
      try {
        ok(solver.projected === 3, "three components projected (one isolated node)");
        const B = seededMatrix(g.n, 3, 7);
        const block = solver.solve(B);
        ok(block.converged, "block converged");
        for (let j = 0; j < 3; j++) {
          const one = solver.solve(B.col(j));
          ok(sameBits(block.x.col(j), one.x), `column ${j}: same bits`);
          ok(one.iterations === block.columns.iterations[j], `column ${j}: same iterations`);
        }
      } finally {
        solver.dispose();
      }
    },
  },
  {
    name: "bad edges and use after dispose raise typed errors",
    fn: () => {
      throwsType(() => Graph.fromEdges([0, 1], [1, 2], [1, -1]), ValueError, /edge 1 \(1, 2\) has weight -1/, "negative weight");
      throwsType(() => Graph.fromEdges([0, 4], [1, 2], null, { n: 3 }), ValueError, /edge 1 has u = 4/, "id out of range");
      const s = new LaplacianSolver(Graph.fromEdges([0], [1]));
      s.dispose();
      throwsType(() => s.solve([1, -1]), EngineStateError, /disposed/, "solve after dispose");
    },
  },
];

/** Seeded solves: graph construction (sorting, merging), products, PCG with and without
 *  projection, a per-node shift, a block of right-hand sides. */
export function digest(): Record<string, string> {
  const g = seededGraph(300, 900, 2024);
  const B = seededMatrix(g.n, 3, 99);
  const s0 = new LaplacianSolver(g, { tol: 1e-10 });
  const shift = new Float64Array(g.n);
  for (let i = 0; i < g.n; i += 7) shift[i] = 0.1 + i / g.n;
  const s1 = new LaplacianSolver(g, { shift, tol: 1e-10 });
  try {
    const r0 = s0.solve(B);
    const r1 = s1.solve(B.col(0));
    const y = s1.multiply(B);
    return {
      graph: fingerprint(g.u, g.v, g.w),
      solve: fingerprint(r0.x.data, r0.columns.iterations, r1.x, Int32Array.of(r1.iterations), y.data),
    };
  } finally {
    s0.dispose();
    s1.dispose();
  }
}
