// The approximate-Cholesky preconditioner (Gao, Kyng & Spielman 2023): solutions against dense
// oracles (γ = 0 with several components, γ > 0, per-node shifts that leave components
// unshifted), fewer iterations than Jacobi on grids and barbells, exact factors of trees,
// determinism (same seed same bits; any split into engine calls; a grown factor equals one built
// with room to spare; a block solve equals its single solves), the "auto" rule, validation.
import { describe, it, expect, beforeAll } from "vitest";
import { init, getEngine, Matrix, Rng } from "../sdk/index.js";
import { input, inout, outputI32 } from "../sdk/engine/index.js";
import { ApproxCholRun, GraphPreconditioner, PcgRun, Status } from "../sdk/engine/abi.js";
import * as linalg from "../sdk/linalg/index.js";
import {
  Graph, LaplacianSolver, AUTO_APPROXCHOL_NODES, grid, path, barbell, disjointUnion, erdosRenyi, randomGeometric,
  withLogUniformWeights, star, complete,
} from "../sdk/graph/index.js";

beforeAll(async () => {
  await init();
});

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
}

function randomVector(n: number, seed: number): Float64Array {
  const r = lcg(seed);
  return Float64Array.from({ length: n }, () => 2 * r() - 1);
}

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  return new Matrix(rows, cols, randomVector(rows * cols, seed));
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

/** The dense solution (L + diag(s))⁺·b (minimum norm on the singular components). */
function denseSolve(g: Graph, s: ArrayLike<number>, b: Float64Array): Float64Array {
  const A = g.laplacianDense();
  for (let i = 0; i < g.n; i++) A.data[i * g.n + i] += s[i];
  const P = pinv(A);
  const out = new Float64Array(g.n);
  for (let i = 0; i < g.n; i++) {
    let acc = 0;
    for (let j = 0; j < g.n; j++) acc += P.data[i * g.n + j] * b[j];
    out[i] = acc;
  }
  return out;
}

function relErr(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function bits(x: Float64Array): string {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("hex");
}

function solveWith(g: Graph, pre: "jacobi" | "approxchol", b: Float64Array, opts: { shift?: number | Float64Array; seed?: number; tol?: number } = {}) {
  const s = new LaplacianSolver(g, { preconditioner: pre, tol: opts.tol ?? 1e-10, maxIter: 100000, shift: opts.shift, seed: opts.seed });
  try {
    return { ...s.solve(b), entries: s.factorEntries };
  } finally {
    s.dispose();
  }
}

describe("approximate Cholesky: solutions", () => {
  it("equals the dense solution: γ = 0 on a weighted graph with three components and an isolated node", () => {
    const a = withLogUniformWeights(grid(9, 11), 1e-2, 1e2, { seed: 5 });
    const g = disjointUnion([a, erdosRenyi(40, 0.2, { seed: 2 }), path(15), Graph.fromEdges([], [], null, { n: 1 })]);
    expect(g.components().count).toBe(4);
    const b = randomVector(g.n, 1);
    const res = solveWith(g, "approxchol", b);
    expect(res.converged).toBe(true);
    expect(res.projected).toBe(4);
    const ref = denseSolve(g, new Float64Array(g.n), b);
    expect(relErr(res.x, ref)).toBeLessThan(1e-8);
  });

  it("equals the dense solution of L + γI and of L + diag(s) with unshifted components", () => {
    const g = disjointUnion([withLogUniformWeights(grid(10, 12), 0.1, 10, { seed: 8 }), barbell(8, { path: 5 }), star(6)]);
    const b = randomVector(g.n, 2);
    for (const gamma of [1e-4, 0.3, 50]) {
      const res = solveWith(g, "approxchol", b, { shift: gamma });
      expect(res.converged).toBe(true);
      expect(res.projected).toBe(0);
      expect(relErr(res.x, denseSolve(g, new Float64Array(g.n).fill(gamma), b))).toBeLessThan(1e-8);
    }
    // Shift on a few nodes of the grid only: the barbell and the star stay singular.
    const s = new Float64Array(g.n);
    for (const i of [0, 17, 63, 119]) s[i] = 0.05 * (i + 1);
    const res = solveWith(g, "approxchol", b, { shift: s });
    expect(res.projected).toBe(2);
    expect(res.converged).toBe(true);
    expect(relErr(res.x, denseSolve(g, s, b))).toBeLessThan(1e-8);
  });

  it("needs far fewer iterations than Jacobi at γ = 0 on grids, weighted grids and barbells joined by paths", () => {
    const cases: Array<[string, Graph, number]> = [
      ["grid 40×40", grid(40, 40), 4],
      ["weighted grid 40×40", withLogUniformWeights(grid(40, 40), 1e-2, 1e2, { seed: 3 }), 20],
      ["barbell 2×K30 + path of 100", barbell(30, { path: 100 }), 4],
      ["random geometric, n = 3000", randomGeometric(3000, 0.04, { seed: 4 }), 4],
    ];
    for (const [name, g, factor] of cases) {
      const b = randomVector(g.n, 9);
      const jac = solveWith(g, "jacobi", b);
      const chol = solveWith(g, "approxchol", b);
      expect(jac.converged && chol.converged, name).toBe(true);
      expect(chol.iterations * factor, `${name}: ${chol.iterations} vs ${jac.iterations}`).toBeLessThan(jac.iterations);
      expect(relErr(chol.x, jac.x), name).toBeLessThan(1e-7);
    }
  });

  it("factors trees exactly: paths and stars converge in one iteration", () => {
    // (Weights spread over six decades: the attainable residual is about 1e-10.)
    for (const [g, tol] of [[path(500), 1e-12], [star(300), 1e-12], [withLogUniformWeights(path(200), 1e-3, 1e3, { seed: 1 }), 1e-8]] as const) {
      const res = solveWith(g, "approxchol", randomVector(g.n, 4), { tol });
      expect(res.converged).toBe(true);
      expect(res.iterations).toBe(1);
      expect(res.entries).toBe(g.m);
    }
  });

  it("handles complete graphs (eliminated stars of every size) and a graph without edges", () => {
    const g = complete(60);
    const b = randomVector(60, 5);
    const res = solveWith(g, "approxchol", b, { shift: 0.01 });
    expect(res.converged).toBe(true);
    expect(relErr(res.x, denseSolve(g, new Float64Array(60).fill(0.01), b))).toBeLessThan(1e-8);
    const empty = Graph.fromEdges([], [], null, { n: 4 });
    const r0 = solveWith(empty, "approxchol", Float64Array.of(1, 2, 3, 4), { shift: 2 });
    expect(relErr(r0.x, [0.5, 1, 1.5, 2])).toBeLessThan(1e-15);
    expect(r0.iterations).toBe(1);
    const r1 = solveWith(empty, "approxchol", Float64Array.of(1, 2, 3, 4));
    expect(Array.from(r1.x)).toEqual([0, 0, 0, 0]);
  });
});

describe("approximate Cholesky: determinism", () => {
  let g: Graph;
  beforeAll(() => {
    g = withLogUniformWeights(randomGeometric(800, 0.07, { seed: 11 }), 0.1, 10, { seed: 12 });
  });

  it("the same seed gives the same bits; another seed another factor with the same solution", () => {
    const b = randomVector(g.n, 3);
    const a1 = solveWith(g, "approxchol", b, { seed: 7 });
    const a2 = solveWith(g, "approxchol", b, { seed: 7 });
    const c = solveWith(g, "approxchol", b, { seed: 8 });
    expect(bits(a1.x)).toBe(bits(a2.x));
    expect(a1.iterations).toBe(a2.iterations);
    expect(a1.entries).toBe(a2.entries);
    expect(bits(c.x)).not.toBe(bits(a1.x));
    expect(relErr(c.x, a1.x)).toBeLessThan(1e-8);
  });

  it("a block solve equals its single solves bit for bit (k = 1, 2, 3, 5 columns)", () => {
    const s = new LaplacianSolver(g, { preconditioner: "approxchol", tol: 1e-9, seed: 2, shift: 1e-3 });
    try {
      for (const k of [2, 3, 5]) {
        const B = randomMatrix(g.n, k, 20 + k);
        const block = s.solve(B);
        expect(block.converged).toBe(true);
        for (let j = 0; j < k; j++) {
          const one = s.solve(B.col(j));
          expect(bits(block.x.col(j))).toBe(bits(one.x));
          expect(block.columns.iterations[j]).toBe(one.iterations);
        }
      }
    } finally {
      s.dispose();
    }
  });

  /** Build the factor in the engine with the given chunking and starting capacity. */
  function factorBits(graph: Graph, shift: Float64Array, steps: number, cap0: number | null): { f: string; idx: string; entries: number; grows: number } {
    const eng = getEngine();
    const { rowPtr, col, val } = graph.csr();
    const n = graph.n, nnz = col.length;
    let shifted = 0;
    for (const x of shift) if (x > 0) shifted++;
    let cap = cap0 ?? eng.call("graph_approxchol_capacity_hint", { n, nnz, shifted }).ret;
    const rng = new Rng(5);
    const rp = eng.i32(n + 1).set(rowPtr), cl = eng.i32(nnz).set(col), vl = eng.f64(nnz).set(val), sh = eng.f64(n).set(shift);
    const work = eng.f64(eng.call("graph_approxchol_workspace_size", { n, nnz, shifted }).ret);
    let factor = eng.f64(eng.call("graph_approxchol_factor_size", { n, shifted, cap }).ret);
    let index = eng.i32(eng.call("graph_approxchol_index_size", { n, shifted, cap }).ret);
    let grows = 0;
    try {
      let resume = false;
      for (;;) {
        const ret = eng.call("graph_approxchol", {
          n, nnz, rowPtr: rp, col: cl, val: vl, shift: sh, shifted, rng: rng.stateBuffer, cap, factor, index, maxSteps: steps, resume, work,
        }).ret;
        resume = true;
        if (ret === ApproxCholRun.DONE) {
          return { f: bits(factor.toArray()), idx: Buffer.from(index.toArray().buffer).toString("hex"), entries: eng.statusArgs()[0], grows };
        }
        expect(ret === ApproxCholRun.PAUSED || ret === ApproxCholRun.FULL).toBe(true);
        if (ret === ApproxCholRun.FULL) {
          grows++;
          const need = eng.statusArgs()[0];
          expect(need).toBeGreaterThan(cap);
          cap = need + 13;
          const f2 = eng.f64(eng.call("graph_approxchol_factor_size", { n, shifted, cap }).ret);
          const i2 = eng.i32(eng.call("graph_approxchol_index_size", { n, shifted, cap }).ret);
          f2.view.set(factor.view);
          i2.view.set(index.view);
          factor.dispose();
          index.dispose();
          factor = f2;
          index = i2;
        }
      }
    } finally {
      for (const bf of [rp, cl, vl, sh, work, factor, index]) bf.dispose();
      rng.dispose();
    }
  }

  it("the factor does not depend on how the elimination is split into calls or on the capacity's growth", () => {
    const shift = new Float64Array(g.n);
    for (let i = 0; i < g.n; i += 3) shift[i] = 0.01 * (1 + (i % 7));
    const ref = factorBits(g, shift, 1 << 30, 1e7);
    expect(ref.grows).toBe(0);
    const chunked = factorBits(g, shift, 37, 1e7);
    const grown = factorBits(g, shift, 1 << 30, 10);
    const both = factorBits(g, shift, 50, 1000);
    expect(grown.grows).toBeGreaterThan(10);
    // Compare the used parts: the blocks of the grown factors are exactly as long as needed
    // only by chance, so compare the prefix up to the entries.
    for (const other of [chunked, grown, both]) {
      expect(other.entries).toBe(ref.entries);
      const headF = (4 + g.n + 1 + ref.entries) * 16; // hex chars: header, pivots, fractions
      const headI = (2 * (g.n + 1) + 1 + ref.entries) * 8;
      expect(other.f.slice(0, headF)).toBe(ref.f.slice(0, headF));
      expect(other.idx.slice(0, headI)).toBe(ref.idx.slice(0, headI));
    }
  });

  it("PCG with the factor gives the same bits whatever the number of products per engine call", () => {
    const s = new LaplacianSolver(g, { preconditioner: "approxchol", tol: 1e-10, seed: 4 });
    const b = randomVector(g.n, 6);
    const whole = s.solve(b);
    s.dispose();
    // The same solve driven by hand through graph_pcg with one product per call.
    const eng = getEngine();
    const { rowPtr, col, val } = g.csr();
    const n = g.n, nnz = col.length;
    const rng = new Rng(4);
    const rp = eng.i32(n + 1).set(rowPtr), cl = eng.i32(nnz).set(col), vl = eng.f64(nnz).set(val), sh = eng.f64(n);
    const cap = 1e6;
    const work = eng.f64(eng.call("graph_approxchol_workspace_size", { n, nnz, shifted: 0 }).ret);
    const factor = eng.f64(eng.call("graph_approxchol_factor_size", { n, shifted: 0, cap }).ret);
    const index = eng.i32(eng.call("graph_approxchol_index_size", { n, shifted: 0, cap }).ret);
    try {
      const ret = eng.call("graph_approxchol", {
        n, nnz, rowPtr: rp, col: cl, val: vl, shift: sh, shifted: 0, rng: rng.stateBuffer, cap, factor, index, maxSteps: 1 << 30, resume: false, work,
      }).ret;
      expect(ret).toBe(ApproxCholRun.DONE);
      const { count, labels } = g.components();
      const comp = eng.i32(n).set(labels);
      const pw = eng.f64(eng.call("graph_pcg_workspace_size", { n, k: 1, ncomp: count }).ret);
      const fw = eng.f64(eng.call("graph_approxchol_apply_workspace_size", { n, k: 1 }).ret);
      const x = new Float64Array(n), bb = b.slice();
      const its = eng.i32(1), res = eng.f64(1), st = eng.i32(1);
      let calls = 0, r: number;
      try {
        do {
          r = eng.call("graph_pcg", {
            n, k: 1, rowPtr: rp, col: cl, val: vl, shift: sh, comp, ncomp: count, precond: GraphPreconditioner.APPROXCHOL, tol: 1e-10,
            maxIter: s.maxIter, b: inout(bb), x: inout(x), iterations: its, residuals: res, colStatus: st, maxPasses: 1, resume: calls > 0,
            work: pw, factor, factorIndex: index, factorWork: fw,
          }).ret;
          calls++;
        } while (r === PcgRun.PAUSED);
        expect(r).toBe(PcgRun.DONE);
        expect(st.view[0]).toBe(Status.OK);
        expect(calls).toBeGreaterThan(whole.iterations);
        expect(bits(x)).toBe(bits(whole.x));
      } finally {
        for (const bf of [comp, pw, fw, its, res, st]) bf.dispose();
      }
    } finally {
      for (const bf of [rp, cl, vl, sh, work, factor, index]) bf.dispose();
      rng.dispose();
    }
  });
});

describe("approximate Cholesky: choice and validation", () => {
  it('"auto" picks approxchol for large, poorly conditioned graphs at γ = 0 or tiny shifts, Jacobi otherwise', () => {
    const big = grid(80, 80);
    expect(big.n).toBeGreaterThanOrEqual(AUTO_APPROXCHOL_NODES);
    const pick = (g: Graph, shift?: number) => {
      const s = new LaplacianSolver(g, { shift });
      try {
        return s.preconditioner;
      } finally {
        s.dispose();
      }
    };
    expect(pick(big)).toBe("approxchol");
    expect(pick(big, 1e-4)).toBe("approxchol");
    expect(pick(big, 0.1)).toBe("jacobi");
    expect(pick(grid(50, 50))).toBe("jacobi");
    // An expander at γ = 0: the probe sees Jacobi converge fast and keeps it.
    expect(pick(erdosRenyi(6000, 0.002, { seed: 1 }))).toBe("jacobi");
    expect(pick(randomGeometric(6000, 0.03, { seed: 1 }))).toBe("approxchol");
    const explicit = new LaplacianSolver(grid(5, 5), { preconditioner: "approxchol" });
    expect(explicit.preconditioner).toBe("approxchol");
    expect(explicit.factorEntries).toBeGreaterThanOrEqual(40);
    explicit.dispose();
    expect(() => explicit.solve(new Float64Array(25))).toThrow(/disposed/);
  });

  it("the engine rejects bad arguments and an incomplete factor", () => {
    const eng = getEngine();
    const g = path(4);
    const { rowPtr, col } = g.csr();
    const rng = new Rng(1);
    const work = eng.f64(eng.call("graph_approxchol_workspace_size", { n: 4, nnz: 6, shifted: 0 }).ret);
    const factor = eng.f64(eng.call("graph_approxchol_factor_size", { n: 4, shifted: 0, cap: 20 }).ret);
    const index = eng.i32(eng.call("graph_approxchol_index_size", { n: 4, shifted: 0, cap: 20 }).ret);
    try {
      const call = (over: Record<string, unknown>) => eng.call("graph_approxchol", {
        n: 4, nnz: 6, rowPtr: input(rowPtr), col: input(col), val: input(Float64Array.of(1, 1, 1, 1, 1, 1)), shift: input(new Float64Array(4)),
        shifted: 0, rng: rng.stateBuffer, cap: 20, factor, index, maxSteps: 100, resume: false, work, ...over,
      } as never).ret;
      expect(call({ n: 0 })).toBe(ApproxCholRun.BAD_ARG);
      expect(call({ maxSteps: 0 })).toBe(ApproxCholRun.BAD_ARG);
      expect(call({ val: input(Float64Array.of(1, 1, -1, -1, 1, 1)) })).toBe(ApproxCholRun.BAD_ARG);
      expect(call({ shifted: 5 })).toBe(ApproxCholRun.BAD_ARG); // more than n
      // Stopped after one elimination: graph_pcg refuses the incomplete factor.
      expect(call({ maxSteps: 1 })).toBe(ApproxCholRun.PAUSED);
      const pw = eng.call("graph_pcg_workspace_size", { n: 4, k: 1, ncomp: 1 }).ret;
      const ret = eng.call("graph_pcg", {
        n: 4, k: 1, rowPtr: input(rowPtr), col: input(col), shift: input(new Float64Array(4)), comp: input(new Int32Array(4)), ncomp: 1,
        precond: GraphPreconditioner.APPROXCHOL, tol: 1e-8, maxIter: 10, b: input(Float64Array.of(1, 0, 0, -1)), x: inout(new Float64Array(4)),
        iterations: outputI32(1), residuals: input(new Float64Array(1)), colStatus: outputI32(1), maxPasses: 10, resume: false,
        work: input(new Float64Array(pw)), factor, factorIndex: index, factorWork: input(new Float64Array(5)),
      }).ret;
      expect(ret).toBe(PcgRun.BAD_ARG);
    } finally {
      for (const bf of [work, factor, index]) bf.dispose();
      rng.dispose();
    }
  });
});
