// The graph data model (Graph) and the Laplacian solver: products against the dense Laplacian,
// solutions against dense Cholesky (γ > 0) and the pseudo-inverse (γ = 0, connected and
// disconnected), closed forms (effective resistances of K_n, cycles, paths, stars), block solves
// equal to single solves bit for bit, validation, life cycle, iteration counts on a grid.
import { describe, it, expect, beforeAll } from "vitest";
import { init, getEngine, Matrix } from "../sdk/index.js";
import { input, inout, output, outputI32, scratch } from "../sdk/engine/index.js";
import { EngineStateError, NumericalError, ShapeError, ValueError } from "../sdk/core/errors.js";
import { GraphPreconditioner, PcgRun, Status } from "../sdk/engine/abi.js";
import * as linalg from "../sdk/linalg/index.js";
import { Graph, LaplacianSolver, solveLaplacian, MAX_DENSE_NODES } from "../sdk/graph/index.js";

beforeAll(async () => {
  await init();
});

/** Uniform numbers in [0, 1) from a 32-bit LCG (no engine, same in every runtime). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
}

/** A random graph on n nodes from `tries` random pairs (self-loops and repeats included, so
 *  fromEdges drops and merges), weights in [lo, hi) (log-uniform when log = true). */
function randomGraph(n: number, tries: number, seed: number, lo = 0.5, hi = 2, log = false): Graph {
  const r = lcg(seed);
  const u: number[] = [], v: number[] = [], w: number[] = [];
  for (let t = 0; t < tries; t++) {
    u.push(Math.floor(r() * n));
    v.push(Math.floor(r() * n));
    w.push(log ? lo * Math.pow(hi / lo, r()) : lo + (hi - lo) * r());
  }
  // A spanning path keeps it connected.
  for (let i = 0; i + 1 < n; i++) {
    u.push(i);
    v.push(i + 1);
    w.push(lo + (hi - lo) * r());
  }
  return Graph.fromEdges(u, v, w, { n });
}

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const r = lcg(seed);
  return new Matrix(rows, cols, Float64Array.from({ length: rows * cols }, () => 2 * r() - 1));
}

function path(n: number, w?: number[]): Graph {
  return Graph.fromEdges(Array.from({ length: n - 1 }, (_, i) => i), Array.from({ length: n - 1 }, (_, i) => i + 1), w ?? null);
}
function cycle(n: number): Graph {
  return Graph.fromEdges(Array.from({ length: n }, (_, i) => i), Array.from({ length: n }, (_, i) => (i + 1) % n));
}
function complete(n: number): Graph {
  const u: number[] = [], v: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { u.push(i); v.push(j); }
  return Graph.fromEdges(u, v);
}
function star(n: number): Graph {
  return Graph.fromEdges(new Array(n - 1).fill(0), Array.from({ length: n - 1 }, (_, i) => i + 1));
}
function grid(s: number): Graph {
  const u: number[] = [], v: number[] = [];
  for (let r = 0; r < s; r++) {
    for (let c = 0; c < s; c++) {
      const i = r * s + c;
      if (c + 1 < s) { u.push(i); v.push(i + 1); }
      if (r + 1 < s) { u.push(i); v.push(i + s); }
    }
  }
  return Graph.fromEdges(u, v);
}

/** Dense (L + diag(s))·X. */
function denseProduct(g: Graph, s: Float64Array, X: Matrix): Matrix {
  const L = g.laplacianDense();
  for (let i = 0; i < g.n; i++) L.data[i * g.n + i] += s[i];
  return linalg.matmul(L, X);
}

/** Moore–Penrose pseudo-inverse of a symmetric matrix, from its eigendecomposition. */
function pinv(A: Matrix): Matrix {
  const n = A.rows;
  const { values, vectors } = linalg.eigh(A);
  const top = Math.max(...Array.from(values, Math.abs));
  const out = new Matrix(n, n);
  for (let k = 0; k < n; k++) {
    if (Math.abs(values[k]) <= 1e-10 * top) continue;
    const inv = 1 / values[k];
    for (let i = 0; i < n; i++) {
      const vi = vectors.data[i * n + k] * inv;
      for (let j = 0; j < n; j++) out.data[i * n + j] += vi * vectors.data[j * n + k];
    }
  }
  return out;
}

function matvec(A: Matrix, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) {
    let s = 0;
    for (let j = 0; j < A.cols; j++) s += A.data[i * A.cols + j] * x[j];
    out[i] = s;
  }
  return out;
}

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

function bits(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Effective resistance between u and v: (e_u − e_v)ᵀ L⁺ (e_u − e_v), by one solve. */
function resistance(solver: LaplacianSolver, u: number, v: number): number {
  const b = new Float64Array(solver.n);
  b[u] = 1;
  b[v] = -1;
  const { x, converged } = solver.solve(b, { tol: 1e-12 });
  expect(converged).toBe(true);
  return x[u] - x[v];
}

describe("Graph", () => {
  it("stores edges canonically: u < v, sorted, self-loops dropped, duplicates merged in input order", () => {
    const g = Graph.fromEdges([3, 1, 2, 2, 0, 1, 3, 0], [1, 0, 2, 0, 3, 0, 1, 2], [1, 2, 3, 4, 5, 0.25, 0.5, 6]);
    expect(g.n).toBe(4);
    expect(Array.from(g.u)).toEqual([0, 0, 0, 1]);
    expect(Array.from(g.v)).toEqual([1, 2, 3, 3]);
    expect(Array.from(g.w)).toEqual([2.25, 10, 5, 1.5]);
    expect(g.stats).toEqual({ inputEdges: 8, selfLoops: 1, duplicatesMerged: 3 });
    expect(g.m).toBe(4);
    // Unit weights by default; n from the options (isolated nodes allowed).
    const h = Graph.fromEdges([0, 1], [1, 0], null, { n: 5 });
    expect(h.n).toBe(5);
    expect(Array.from(h.w)).toEqual([2]);
    expect(h.components().count).toBe(4);
  });

  it("sums duplicate weights in input order, whatever the order of the edges", () => {
    // 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit: the merge keeps input order.
    const a = Graph.fromEdges([0, 1, 0], [1, 0, 1], [0.1, 0.2, 0.3]);
    const b = Graph.fromEdges([0, 1, 0], [1, 0, 1], [0.3, 0.2, 0.1]);
    expect(a.w[0]).toBe(0.1 + 0.2 + 0.3);
    expect(b.w[0]).toBe(0.3 + 0.2 + 0.1);
  });

  it("degrees, CSR (both directions, rows sorted, edge index) and components", () => {
    const g = randomGraph(40, 120, 3);
    const d = g.degrees();
    const { rowPtr, col, val, edge } = g.csr();
    expect(rowPtr[g.n]).toBe(2 * g.m);
    for (let i = 0; i < g.n; i++) {
      let s = 0;
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
        if (p > rowPtr[i]) expect(col[p]).toBeGreaterThan(col[p - 1]);
        const e = edge[p];
        expect([g.u[e], g.v[e]].sort((x, y) => x - y)).toEqual([Math.min(i, col[p]), Math.max(i, col[p])]);
        expect(val[p]).toBe(g.w[e]);
        s += val[p];
      }
      expect(Math.abs(s - d[i])).toBeLessThan(1e-12 * d[i]);
    }
    expect(g.degrees()).toBe(d); // cached
    const two = Graph.fromEdges([5, 0, 3], [6, 1, 4], null, { n: 8 });
    const c = two.components();
    expect(c.count).toBe(5);
    expect(Array.from(c.labels)).toEqual([0, 0, 1, 2, 2, 3, 3, 4]);
    expect(Array.from(c.sizes)).toEqual([2, 1, 2, 2, 1]);
  });

  it("laplacianDense is D − A (rows sum to 0) and refuses n above the limit", () => {
    const g = randomGraph(12, 30, 5);
    const L = g.laplacianDense();
    for (let i = 0; i < g.n; i++) {
      let s = 0;
      for (let j = 0; j < g.n; j++) {
        s += L.get(i, j);
        expect(L.get(i, j)).toBe(L.get(j, i));
      }
      expect(Math.abs(s)).toBeLessThan(1e-12);
      expect(L.get(i, i)).toBe(g.degrees()[i]);
    }
    const big = Graph.fromEdges([0], [1], null, { n: MAX_DENSE_NODES + 1 });
    expect(() => big.laplacianDense()).toThrow(ShapeError);
  });

  it("toParts / fromParts round-trip, and fromParts checks what it is given", () => {
    const g = Graph.fromEdges([0, 2, 1], [1, 1, 3], [1, 2, 3], { nodeIds: ["a", "b", "c", "d"] });
    const p = g.toParts();
    expect(p.u).not.toBe(g.u);
    const h = Graph.fromParts(structuredClone(p));
    expect(Array.from(h.u)).toEqual(Array.from(g.u));
    expect(Array.from(h.v)).toEqual(Array.from(g.v));
    expect(Array.from(h.w)).toEqual(Array.from(g.w));
    expect(h.nodeIds).toEqual(["a", "b", "c", "d"]);
    expect(h.stats).toEqual(g.stats);
    const bad = (over: Partial<typeof p>) => () => Graph.fromParts({ ...p, ...over });
    expect(bad({ u: Int32Array.of(1, 0, 1), v: Int32Array.of(2, 1, 3) })).toThrow(/edge 1 .* is not after edge 0/);
    expect(bad({ u: Int32Array.of(0, 1, 3), v: Int32Array.of(1, 2, 3) })).toThrow(/edge 2 \(3, 3\) must have 0 ≤ u < v/);
    expect(bad({ w: Float64Array.of(1, -1, 1) })).toThrow(/edge 1 .* weight -1/);
    expect(bad({ n: 3 })).toThrow(ValueError);
    expect(bad({ w: Float64Array.of(1, 2) })).toThrow(ShapeError);
    expect(bad({ u: [0, 1, 1] as unknown as Int32Array })).toThrow(ShapeError);
    const rw = g.withWeights([4, 5, 6]);
    expect(Array.from(rw.w)).toEqual([4, 5, 6]);
    expect(rw.u).toBe(g.u);
    expect(() => g.withWeights([1, 0, 1])).toThrow(/edge 1 .* weight 0/);
    expect(() => g.withWeights([1, 1])).toThrow(ShapeError);
  });

  it("rejects bad edges with a typed error naming the edge index", () => {
    expect(() => Graph.fromEdges([0, 1], [1], null)).toThrow(ShapeError);
    expect(() => Graph.fromEdges([0, 1], [1, 2], [1])).toThrow(ShapeError);
    expect(() => Graph.fromEdges([0, 1, 5], [1, 2, 0], null, { n: 4 })).toThrow(/edge 2 has u = 5; node ids must be integers in \[0, 4\)/);
    expect(() => Graph.fromEdges([0, -1], [1, 2])).toThrow(/edge 1 has u = -1/);
    expect(() => Graph.fromEdges([0, 1.5], [1, 2])).toThrow(/edge 1 has u = 1.5/);
    expect(() => Graph.fromEdges([0, 1], [1, NaN])).toThrow(/edge 1 has v = NaN/);
    for (const w of [0, -2, NaN, Infinity]) {
      expect(() => Graph.fromEdges([0, 1, 2], [1, 2, 3], [1, 1, w])).toThrow(new RegExp(`edge 2 \\(2, 3\\) has weight ${String(w)}`));
    }
    // A bad weight on a self-loop is an error too (the input is wrong, not just redundant).
    expect(() => Graph.fromEdges([1], [1], [-1])).toThrow(/edge 0 \(1, 1\) has weight -1/);
    expect(() => Graph.fromEdges([0], [1], [1e308 * 10])).toThrow(ValueError);
    expect(() => Graph.fromEdges([0, 0], [1, 1], [1.7e308, 1.7e308])).toThrow(/merged weight .* overflows/);
    expect(() => Graph.fromEdges([0], [1], null, { nodeIds: ["a", "b", "a"] })).toThrow(/nodeIds\[2\] = "a" repeats nodeIds\[0\]/);
    expect(() => Graph.fromEdges([0], [1], null, { n: 3, nodeIds: ["a", "b"] })).toThrow(ValueError);
    expect(() => Graph.fromEdges([0], [1], null, { n: -1 })).toThrow(ValueError);
    expect(() => Graph.fromEdges([0], [1], null, { nodeId: ["a", "b"] } as never)).toThrow(/unknown option "nodeId"; did you mean "nodeIds"/);
  });
});

describe("LaplacianSolver: products", () => {
  it("multiply equals the dense (L + diag(s))·X for k = 1…17, scalar and per-node shifts", () => {
    const g = randomGraph(50, 200, 11, 1e-3, 1e3, true);
    const r = lcg(4);
    const shifts: Array<number | Float64Array> = [0, 0.7, Float64Array.from({ length: g.n }, () => r())];
    for (const shift of shifts) {
      const s = typeof shift === "number" ? new Float64Array(g.n).fill(shift) : shift;
      const solver = new LaplacianSolver(g, { shift });
      for (const k of [1, 2, 3, 4, 7, 8, 9, 17]) {
        const X = randomMatrix(g.n, k, 100 + k);
        const Y = solver.multiply(X);
        const ref = denseProduct(g, s, X);
        expect(maxDiff(Y.data, ref.data)).toBeLessThan(1e-12 * maxAbs(ref.data) * 10);
        // Each column of the block product is the product of that column, bit for bit.
        for (let j = 0; j < k; j++) {
          const y = solver.multiply(X.col(j));
          expect(bits(Y.col(j))).toEqual(bits(y));
        }
      }
      solver.dispose();
    }
  });

  it("unit weights: the engine's weight-free loops give the bits of an explicit array of ones", () => {
    const g = Graph.fromEdges(randomGraph(40, 120, 13).u, randomGraph(40, 120, 13).v); // unit weights
    const { rowPtr, col, val } = g.csr();
    expect(val.every((x) => x === 1)).toBe(true);
    const eng = getEngine();
    const s = Float64Array.from({ length: g.n }, (_, i) => (i % 3) * 0.25);
    for (const k of [1, 2, 9]) {
      const X = randomMatrix(g.n, k, 50 + k).data;
      const run = (weights: Float64Array | null) => eng.call("graph_spmm", {
        n: g.n, k, rowPtr: input(rowPtr), col: input(col), val: weights ? input(weights) : null, s: input(s), x: input(X), y: output(g.n * k),
      }).output("y");
      expect(bits(run(null))).toEqual(bits(run(val)));
    }
    // The solver drops the weight array for such graphs; its solves equal the engine's PCG
    // with an explicit array of ones, bit for bit.
    const solver = new LaplacianSolver(g, { shift: 0.1 });
    const b = randomMatrix(g.n, 1, 3).data;
    const work = eng.call("graph_pcg_workspace_size", { n: g.n, k: 1, ncomp: 0 }).ret;
    const x = new Float64Array(g.n);
    const ret = eng.call("graph_pcg", {
      n: g.n, k: 1, rowPtr: input(rowPtr), col: input(col), val: input(val), shift: input(new Float64Array(g.n).fill(0.1)),
      ncomp: 0, precond: GraphPreconditioner.JACOBI, tol: 1e-8, maxIter: 1000, b: input(b.slice()), x: inout(x),
      iterations: outputI32(1), residuals: output(1), colStatus: outputI32(1), maxPasses: 1 << 30, resume: false, work: scratch(work),
    });
    expect(ret.ret).toBe(PcgRun.DONE);
    const res = solver.solve(b);
    expect(res.iterations).toBe(ret.output("iterations")[0]);
    expect(bits(res.x)).toEqual(bits(x));
    solver.dispose();
  });

  it("maps a vector constant on a component to exactly 0 when the shift is 0", () => {
    const g = Graph.fromEdges([0, 1, 3], [1, 2, 4], [0.3, 1.7, 2.9], { n: 5 });
    const solver = new LaplacianSolver(g);
    const y = solver.multiply([0.1, 0.1, 0.1, -7.3, -7.3]);
    expect(Array.from(y)).toEqual([0, 0, 0, 0, 0]);
    solver.dispose();
  });
});

describe("LaplacianSolver: solutions", () => {
  it("γ > 0: matches dense Cholesky, for scalar and per-node shifts, Jacobi and none", () => {
    // Weights over four decades and γ down to 1e-3: κ ≈ 1e5, so 1e-10 is well above the
    // attainable accuracy (≈ κ·ε).
    const g = randomGraph(60, 150, 21, 1e-2, 1e2, true);
    const r = lcg(9);
    for (const shift of [0.5, 1e-3, Float64Array.from({ length: g.n }, () => 0.01 + r())]) {
      const s = typeof shift === "number" ? new Float64Array(g.n).fill(shift) : shift;
      const A = g.laplacianDense();
      for (let i = 0; i < g.n; i++) A.data[i * g.n + i] += s[i];
      for (const preconditioner of ["jacobi", "none"] as const) {
        const solver = new LaplacianSolver(g, { shift, preconditioner, tol: 1e-10 });
        const B = randomMatrix(g.n, 3, 7);
        const res = solver.solve(B);
        expect(res.converged).toBe(true);
        expect(res.projected).toBe(0);
        expect(res.residual).toBeLessThanOrEqual(1e-10);
        const ref = linalg.solveSPD(A, B) as Matrix;
        expect(maxDiff(res.x.data, ref.data)).toBeLessThan(1e-8 * maxAbs(ref.data));
        // The reported residual is the true one.
        const Ax = linalg.matmul(A, res.x);
        for (let j = 0; j < 3; j++) {
          let num = 0, den = 0;
          for (let i = 0; i < g.n; i++) {
            num += (B.get(i, j) - Ax.get(i, j)) ** 2;
            den += B.get(i, j) ** 2;
          }
          const ref = Math.sqrt(num / den); // itself rounded: agree to a few per cent
          expect(Math.abs(ref - res.columns.residuals[j])).toBeLessThan(0.03 * ref + 1e-14);
        }
        solver.dispose();
      }
    }
  });

  it("γ = 0, connected: x = L⁺·b (b need not sum to 0), mean 0", () => {
    const g = randomGraph(45, 120, 31);
    const P = pinv(g.laplacianDense());
    const b = randomMatrix(g.n, 1, 3).data;
    const res = solveLaplacian(g, b, { tol: 1e-12 });
    expect(res.converged).toBe(true);
    expect(res.projected).toBe(1);
    expect(res.components).toBe(1);
    const ref = matvec(P, b);
    expect(maxDiff(res.x, ref)).toBeLessThan(1e-9 * maxAbs(ref));
    expect(Math.abs(res.x.reduce((a, v) => a + v, 0))).toBeLessThan(1e-12 * g.n);
  });

  it("γ = 0, disconnected (with an isolated node): the pseudo-inverse, per component", () => {
    // Two random blocks on nodes 0..19 and 20..34, node 35 isolated.
    const a = randomGraph(20, 50, 41), b2 = randomGraph(15, 40, 42);
    const u = [...a.u, ...Array.from(b2.u, (x) => x + 20)], v = [...a.v, ...Array.from(b2.v, (x) => x + 20)];
    const g = Graph.fromEdges(u, v, [...a.w, ...b2.w], { n: 36 });
    expect(g.components().count).toBe(3);
    const P = pinv(g.laplacianDense());
    const B = randomMatrix(g.n, 4, 8);
    const solver = new LaplacianSolver(g, { tol: 1e-12 });
    expect(solver.projected).toBe(3);
    const res = solver.solve(B);
    expect(res.converged).toBe(true);
    const ref = linalg.matmul(P, B);
    expect(maxDiff(res.x.data, ref.data)).toBeLessThan(1e-9 * maxAbs(ref.data));
    expect(res.x.get(35, 0)).toBe(0);
    // A per-node shift on one component only: that one is regular, the others are projected.
    const s = new Float64Array(g.n);
    s[3] = 2;
    const mixed = new LaplacianSolver(g, { shift: s, tol: 1e-12 });
    expect(mixed.projected).toBe(2);
    const A = g.laplacianDense();
    A.data[3 * g.n + 3] += 2;
    const Pm = pinv(A);
    const rm = mixed.solve(B);
    expect(maxDiff(rm.x.data, linalg.matmul(Pm, B).data)).toBeLessThan(1e-9 * maxAbs(rm.x.data));
    solver.dispose();
    mixed.dispose();
  });

  it("closed forms: effective resistances of K_n, cycle, path, star and a weighted path", () => {
    const n = 12;
    const kn = new LaplacianSolver(complete(n));
    for (const [u, v] of [[0, 1], [3, 11], [5, 6]]) expect(resistance(kn, u, v)).toBeCloseTo(2 / n, 12);
    const cyc = new LaplacianSolver(cycle(n));
    for (let k = 1; k <= n / 2; k++) expect(resistance(cyc, 2, (2 + k) % n)).toBeCloseTo((k * (n - k)) / n, 11);
    const pth = new LaplacianSolver(path(n));
    for (const [u, v] of [[0, 11], [2, 7], [4, 5]]) expect(resistance(pth, u, v)).toBeCloseTo(Math.abs(u - v), 10);
    const st = new LaplacianSolver(star(n));
    expect(resistance(st, 0, 5)).toBeCloseTo(1, 12);
    expect(resistance(st, 3, 9)).toBeCloseTo(2, 12);
    const w = [1, 2, 4, 0.5, 8];
    const wp = new LaplacianSolver(path(6, w));
    expect(resistance(wp, 0, 5)).toBeCloseTo(w.reduce((a, x) => a + 1 / x, 0), 11);
    expect(resistance(wp, 1, 3)).toBeCloseTo(1 / 2 + 1 / 4, 12);
    // Σ_e w_e·r_e = n − c (Foster's theorem) on a random graph.
    const g = randomGraph(30, 80, 51);
    const sg = new LaplacianSolver(g);
    let sum = 0;
    for (let e = 0; e < g.m; e++) sum += g.w[e] * resistance(sg, g.u[e], g.v[e]);
    expect(sum).toBeCloseTo(g.n - 1, 9);
    for (const s of [kn, cyc, pth, st, wp, sg]) s.dispose();
  });

  it("a block solve equals its single solves bit for bit (mixed scales, a zero column, γ = 0 and γ > 0)", () => {
    const g = Graph.fromEdges([...randomGraph(30, 90, 61).u, 31], [...randomGraph(30, 90, 61).v, 32], [...randomGraph(30, 90, 61).w, 1.5], { n: 34 });
    for (const shift of [0, 0.05]) {
      const solver = new LaplacianSolver(g, { shift, tol: 1e-10 });
      const k = 6;
      const B = randomMatrix(g.n, k, 77);
      for (let i = 0; i < g.n; i++) {
        B.data[i * k + 1] *= 1e200; // columns of very different scales converge apart
        B.data[i * k + 2] *= 1e-200;
        B.data[i * k + 3] = 0; // zero right-hand side
        B.data[i * k + 5] = 1; // constant: projects to 0 where γ = 0
      }
      const block = solver.solve(B);
      expect(block.converged).toBe(true);
      for (let j = 0; j < k; j++) {
        const one = solver.solve(B.col(j));
        expect(bits(block.x.col(j))).toEqual(bits(one.x));
        expect(block.columns.iterations[j]).toBe(one.iterations);
        expect(block.columns.residuals[j]).toBe(one.residual);
      }
      expect(maxAbs(block.x.col(3))).toBe(0);
      if (shift === 0) expect(maxAbs(block.x.col(5))).toBe(0);
      // Scaling b by a power of two scales x exactly.
      const half = solver.solve(B.col(0).map((x) => x / 1024));
      expect(bits(half.x.map((x) => x * 1024))).toEqual(bits(block.x.col(0)));
      solver.dispose();
    }
  });

  it("the engine's resumable calls give the same bits as one call (maxPasses = 1 vs unbounded)", () => {
    const g = randomGraph(40, 100, 71);
    const { rowPtr, col, val } = g.csr();
    const eng = getEngine();
    const k = 3, n = g.n;
    const B = randomMatrix(n, k, 5).data;
    const shift = new Float64Array(n);
    const comp = new Int32Array(n); // one component, projected
    const work = eng.call("graph_pcg_workspace_size", { n, k, ncomp: 1 }).ret;
    const run = (maxPasses: number): { x: Float64Array; its: Int32Array; calls: number } => {
      const bb = eng.f64(n * k).set(B), x = eng.f64(n * k), its = eng.i32(k), res = eng.f64(k), st = eng.i32(k), w = eng.f64(work);
      const rp = eng.i32(n + 1).set(rowPtr), cl = eng.i32(col.length).set(col), vl = eng.f64(val.length).set(val), sh = eng.f64(n).set(shift), cp = eng.i32(n).set(comp);
      x.view.fill(0);
      let calls = 0, ret: number;
      do {
        ret = eng.call("graph_pcg", {
          n, k, rowPtr: rp, col: cl, val: vl, shift: sh, comp: cp, ncomp: 1, precond: GraphPreconditioner.JACOBI, tol: 1e-10,
          maxIter: 1000, b: bb, x, iterations: its, residuals: res, colStatus: st, maxPasses, resume: calls > 0, work: w,
        }).ret;
        calls++;
      } while (ret === PcgRun.PAUSED);
      expect(ret).toBe(PcgRun.DONE);
      expect(Array.from(st.view)).toEqual([Status.OK, Status.OK, Status.OK]);
      const out = { x: x.toArray(), its: its.toArray(), calls };
      for (const b of [bb, x, its, res, st, w, rp, cl, vl, sh, cp]) b.dispose();
      return out;
    };
    const a = run(1), b = run(1 << 30);
    expect(a.calls).toBeGreaterThan(10);
    expect(b.calls).toBe(1);
    expect(bits(a.x)).toEqual(bits(b.x));
    expect(Array.from(a.its)).toEqual(Array.from(b.its));
    // Out-of-range arguments are refused, not run.
    const bad = eng.call("graph_pcg", {
      n, k: 1, rowPtr: input(rowPtr), col: input(col), val: input(val), shift: input(shift), ncomp: 0, precond: 7 as GraphPreconditioner,
      tol: 1e-8, maxIter: 10, b: input(new Float64Array(n)), x: input(new Float64Array(n)), iterations: outputI32(1),
      residuals: output(1), colStatus: outputI32(1), maxPasses: 10, resume: false, work: scratch(work),
    });
    expect(bad.ret).toBe(PcgRun.BAD_ARG);
  });

  it("x0, tol and maxIter: a converged start takes 0 iterations; too few iterations are reported or thrown", () => {
    const g = path(200);
    const solver = new LaplacianSolver(g, { shift: 1e-4 });
    const b = randomMatrix(g.n, 1, 2).data;
    const exact = solver.solve(b, { tol: 1e-13 });
    const again = solver.solve(b, { x0: exact.x, tol: 1e-8 });
    expect(again.iterations).toBe(0);
    expect(again.converged).toBe(true);
    const short = solver.solve(b, { maxIter: 5 });
    expect(short.converged).toBe(false);
    expect(short.iterations).toBe(5);
    expect(short.residual).toBeGreaterThan(1e-8);
    const err = (() => {
      try {
        solver.solve(b, { maxIter: 5, throwOnNoConvergence: true });
      } catch (e) {
        return e as NumericalError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(NumericalError);
    expect(err!.details.iterations).toBe(5);
    expect(err!.details.residual).toBe(short.residual);
    const strict = new LaplacianSolver(g, { shift: 1e-4, maxIter: 3, throwOnNoConvergence: true });
    expect(() => strict.solve(b)).toThrow(NumericalError);
    expect(strict.solve(b, { throwOnNoConvergence: false }).converged).toBe(false);
    solver.dispose();
    strict.dispose();
  });

  it("empty inputs: n = 0, k = 0, b = 0", () => {
    const empty = new LaplacianSolver(Graph.fromEdges([], []));
    expect(empty.solve([]).x.length).toBe(0);
    empty.dispose();
    const solver = new LaplacianSolver(path(5));
    const r0 = solver.solve(new Float64Array(5));
    expect(Array.from(r0.x)).toEqual([0, 0, 0, 0, 0]);
    expect(r0.iterations).toBe(0);
    expect(solver.solve(new Matrix(5, 0)).x.cols).toBe(0);
    solver.dispose();
  });

  it("solveAsync gives the same bits as solve; a signal stops it with its reason", async () => {
    const g = grid(40);
    const solver = new LaplacianSolver(g, { shift: 1e-3 });
    const b = randomMatrix(g.n, 1, 12).data;
    const sync = solver.solve(b);
    const progress: number[] = [];
    const asy = await solver.solveAsync(b, { onProgress: (p) => progress.push(p.products) });
    expect(bits(asy.x)).toEqual(bits(sync.x));
    const ac = new AbortController();
    ac.abort(new Error("stop now"));
    expect(() => solver.solve(b, { signal: ac.signal })).toThrow("stop now");
    // An abort from the progress callback stops the next chunk.
    const big = grid(150);
    const s2 = new LaplacianSolver(big, { preconditioner: "jacobi" }); // many chunks ("auto" would factor it)
    const ac2 = new AbortController();
    let calls = 0;
    expect(() => s2.solve(randomMatrix(big.n, 1, 3).data, { signal: ac2.signal, onProgress: () => { calls++; ac2.abort(new Error("enough")); } })).toThrow("enough");
    expect(calls).toBe(1);
    await expect(s2.solveAsync(randomMatrix(big.n, 1, 3).data, { signal: AbortSignal.abort(new Error("gone")) })).rejects.toThrow("gone");
    solver.dispose();
    s2.dispose();
  });

  it("validates options, shapes and values; use after dispose raises EngineStateError", () => {
    const g = path(6);
    expect(() => new LaplacianSolver(g, { shift: -1 })).toThrow(/shift must be a finite number ≥ 0/);
    expect(() => new LaplacianSolver(g, { shift: NaN })).toThrow(ValueError);
    expect(() => new LaplacianSolver(g, { shift: [1, 2] })).toThrow(ShapeError);
    expect(() => new LaplacianSolver(g, { shift: [0, 0, 0, -1, 0, 0] })).toThrow(/shift\[3\] is -1/);
    expect(() => new LaplacianSolver(g, { preconditioner: "approxChol" as never })).toThrow(/"auto", "jacobi", "approxchol" or "none"/);
    expect(() => new LaplacianSolver(g, { seed: -1 })).toThrow(ValueError);
    expect(() => new LaplacianSolver(g, { preconditioner: "ilu" as never })).toThrow(ValueError);
    expect(() => new LaplacianSolver(g, { tol: 0 })).toThrow(ValueError);
    expect(() => new LaplacianSolver(g, { maxIter: 1.5 })).toThrow(ValueError);
    expect(() => new LaplacianSolver(g, { maxiter: 5 } as never)).toThrow(/unknown option "maxiter"; did you mean "maxIter"/);
    expect(() => new LaplacianSolver({ n: 3 } as never)).toThrow(/must be a Graph/);
    const s = new LaplacianSolver(g);
    expect(() => s.solve([1, 2, 3])).toThrow(ShapeError);
    expect(() => s.solve([1, 2, 3, 4, 5, NaN])).toThrow(/b\[5\] is NaN/);
    expect(() => s.solve(new Matrix(5, 2))).toThrow(ShapeError);
    expect(() => s.solve(new Matrix(6, 2), { x0: new Float64Array(6) })).toThrow(/x0 must have the shape of b/);
    expect(() => s.solve(new Float64Array(6), { tolerance: 1 } as never)).toThrow(/unknown option "tolerance"/);
    expect(() => s.solve(new Float64Array(6), { signal: {} as never })).toThrow(/AbortSignal/);
    expect(() => solveLaplacian(g, new Float64Array(6), { shfit: 1 } as never)).toThrow(/did you mean "shift"/);
    const live = getEngine().liveAllocations;
    s.dispose();
    expect(getEngine().liveAllocations).toBe(live - 4); // CSR (2: unit weights need no array), shift, component labels
    expect(s.disposed).toBe(true);
    s.dispose();
    expect(() => s.solve(new Float64Array(6))).toThrow(EngineStateError);
    expect(() => s.multiply(new Float64Array(6))).toThrow(EngineStateError);
    // Solves free every temporary block, also when they throw.
    const t = new LaplacianSolver(g, { maxIter: 1, throwOnNoConvergence: true });
    const before = getEngine().liveAllocations;
    expect(() => t.solve(Float64Array.of(1, 0, 0, 0, 0, -1))).toThrow(NumericalError);
    t.solve(new Matrix(6, 3, randomMatrix(6, 3, 1).data), { throwOnNoConvergence: false });
    expect(getEngine().liveAllocations).toBe(before);
    t.dispose();
  });
});

describe("LaplacianSolver: iterations on a 2-D grid", () => {
  it("reports Jacobi / none iteration counts for L + γI, within the CG bound, growing as γ → 0", () => {
    const s = 60;
    const g = grid(s);
    const b = randomMatrix(g.n, 1, 33).data;
    const rows: string[] = [];
    let previous = 0;
    for (const gamma of [1, 1e-1, 1e-2, 1e-3, 0]) {
      const its: Record<string, number> = {};
      for (const preconditioner of ["jacobi", "none"] as const) {
        const solver = new LaplacianSolver(g, { shift: gamma, preconditioner, tol: 1e-8 });
        const res = solver.solve(b);
        expect(res.converged).toBe(true);
        its[preconditioner] = res.iterations;
        solver.dispose();
      }
      // Plain CG: iterations ≤ ⌈√κ/2 · ln(2/tol)⌉ with κ = (λ_max + γ)/(λ_min + γ), the grid's
      // eigenvalues 4 sin²(πa/2s) + 4 sin²(πb/2s) (λ_min the smallest non-zero one when γ = 0).
      const lmax = 8 * Math.sin((Math.PI * (s - 1)) / (2 * s)) ** 2;
      const lmin = gamma > 0 ? 0 : 4 * Math.sin(Math.PI / (2 * s)) ** 2;
      const kappa = (lmax + gamma) / (lmin + gamma);
      const bound = Math.ceil((Math.sqrt(kappa) / 2) * Math.log(2 / 1e-8));
      expect(its.none).toBeLessThanOrEqual(bound);
      // More iterations as γ decreases towards λ₂ (at γ = 0 the projection removes the constant
      // direction, so the count falls back to what λ₂ dictates).
      if (gamma > 0) expect(its.jacobi).toBeGreaterThanOrEqual(previous);
      previous = its.jacobi;
      rows.push(`γ = ${gamma}: jacobi ${its.jacobi}, none ${its.none} (CG bound ${bound})`);
    }
    console.log(`PCG iterations to 1e-8 on the ${s}×${s} grid:\n  ${rows.join("\n  ")}`);
  });
});
