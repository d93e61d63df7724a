// Laplacian solver: Jacobi-preconditioned CG on L + γI to relative residual 1e-8, seqlearn's
// LaplacianSolver against scipy.sparse.linalg.cg with the same Jacobi preconditioner (single
// thread), on a 1000×1000 grid and on a random geometric graph with ~10⁶ edges. Both sides solve
// the same system: the random graph's edges and every right-hand side are generated once with
// numpy and read by both.
// Target (issue 9): time per iteration ≤ 1.0× scipy's. Then the approximate-Cholesky
// preconditioner (Gao, Kyng & Spielman 2023) on the same systems, factorisation included,
// against scipy's Jacobi cg: target on the grid at γ = 0, fewer iterations and less total time.
import { mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { table, ms, ratio, verdict } from "../lib/format.mjs";
import { bestOfRounds } from "../lib/timing.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The graph API: from the public SDK once it exports it, else from a bundle of
 *  sdk/graph/index.ts built here (with its own engine, initialised here). */
async function graphApi(sl) {
  const pub = sl.graph?.LaplacianSolver ? sl.graph : sl.LaplacianSolver ? sl : null;
  if (pub) return pub;
  const { bundleSdk } = await import(pathToFileURL(join(root, "scripts", "bundle.mjs")).href);
  const outdir = join(root, "bench", "out", "graph-sdk");
  await bundleSdk({ root, outdir, wasmRel: "../../../build/seqlearn.wasm", extraEntries: { graph: "sdk/graph/index.ts" }, sourcemap: false });
  const index = await import(pathToFileURL(join(outdir, "index.js")).href);
  await index.init();
  return import(pathToFileURL(join(outdir, "graph.js")).href);
}

function readArray(path, Ctor) {
  const buf = readFileSync(path);
  return new Ctor(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

// numpy: writes the random geometric graph (points uniform in the unit square, an edge between
// points closer than r, unit weights) and the right-hand sides of both graphs to `dir`.
const PREPARE = `
import numpy as np, os
from scipy.spatial import cKDTree
d = INPUT["dir"]
rng = np.random.default_rng(INPUT["seed"])
n = INPUT["rggN"]
pts = rng.random((n, 2))
r = float(np.sqrt(INPUT["rggDegree"] / (np.pi * n)))
pairs = cKDTree(pts).query_pairs(r, output_type="ndarray").astype(np.int32)
pairs[:, 0].tofile(os.path.join(d, "rgg_u.bin"))
pairs[:, 1].tofile(os.path.join(d, "rgg_v.bin"))
rng.standard_normal(n).tofile(os.path.join(d, "rgg_b.bin"))
rng.standard_normal(INPUT["gridSide"] ** 2).tofile(os.path.join(d, "grid_b.bin"))
print(_json.dumps({"n": n, "m": int(len(pairs)), "radius": r}))
`;

// scipy: L + γI for the grid (built here) or the random graph (read), Jacobi-PCG to 1e-8.
const SOLVE = `
import numpy as np, os, scipy.sparse as sp, scipy.sparse.linalg as spl
d = INPUT["dir"]; gamma = INPUT["gamma"]
if INPUT["graph"] == "grid":
    s = INPUT["gridSide"]; n = s * s
    idx = np.arange(n).reshape(s, s)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()]); v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    b = np.fromfile(os.path.join(d, "grid_b.bin"))
else:
    u = np.fromfile(os.path.join(d, "rgg_u.bin"), dtype=np.int32); v = np.fromfile(os.path.join(d, "rgg_v.bin"), dtype=np.int32)
    b = np.fromfile(os.path.join(d, "rgg_b.bin")); n = len(b)
A = sp.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n)).tocsr()
A = (A + A.T).tocsr()
deg = np.asarray(A.sum(axis=1)).ravel()
L = (sp.diags(deg + gamma) - A).tocsr()
if gamma == 0:
    b = b - b.mean()  # the singular system needs b ⟂ 1 (the graph is connected)
dinv = 1.0 / (deg + gamma)
M = spl.LinearOperator((n, n), matvec=lambda x: dinv * x, dtype=np.float64)
its = [0]
last = [None]
def count(xk): its[0] += 1
def solve():
    its[0] = 0
    last[0] = spl.cg(L, b, tol=1e-8, atol=0.0, M=M, callback=count, maxiter=INPUT["maxIter"])
t = bench_ms(solve, min_reps=INPUT["reps"], min_s=0, warmup=INPUT["warmup"])
x, info = last[0]
rel = float(np.linalg.norm(b - L @ x) / np.linalg.norm(b))
spmv = bench_ms(lambda: L @ b, min_reps=10, min_s=0.2)
print(_json.dumps({"ms": t, "its": its[0], "info": int(info), "rel": rel, "nnz": int(L.nnz), "spmv": spmv}))
`;

export default {
  id: "graph-solver",
  title: "Laplacian solver: Jacobi-PCG on L + γI (f64, one right-hand side)",
  order: 80,
  async run(ctx) {
    const G = await graphApi(ctx.sl);
    const side = ctx.quick ? 200 : 1000;
    const rggN = ctx.quick ? 20000 : 100000;
    const rggDegree = 20;
    const dir = join(root, "bench", "out", "graph-solver");
    mkdirSync(dir, { recursive: true });
    const prep = ctx.python(PREPARE, { dir, seed: 9, rggN, rggDegree, gridSide: side });
    if (!prep) return "**skipped:** no python3 with numpy and scipy (the random graph is generated with them)";
    ctx.log(`random geometric graph: n = ${prep.n}, m = ${prep.m}`);

    // The same graphs in seqlearn.
    const u = [], v = [];
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const i = r * side + c;
        if (c + 1 < side) { u.push(i); v.push(i + 1); }
        if (r + 1 < side) { u.push(i); v.push(i + side); }
      }
    }
    const graphs = {
      grid: { g: G.Graph.fromEdges(Int32Array.from(u), Int32Array.from(v)), b: readArray(join(dir, "grid_b.bin"), Float64Array), label: `${side}×${side} grid` },
      rgg: {
        g: G.Graph.fromEdges(readArray(join(dir, "rgg_u.bin"), Int32Array), readArray(join(dir, "rgg_v.bin"), Int32Array), null, { n: prep.n }),
        b: readArray(join(dir, "rgg_b.bin"), Float64Array),
        label: `random geometric graph, n = ${prep.n.toLocaleString("en-US")}, radius ${prep.radius.toFixed(4)}`,
      },
    };
    const runs = [
      { graph: "grid", gamma: 1e-2, rounds: ctx.quick ? 1 : 3, reps: 2, target: true },
      { graph: "rgg", gamma: 1e-2, rounds: ctx.quick ? 1 : 3, reps: 2, target: true },
      { graph: "grid", gamma: 0, rounds: 1, reps: 1, target: false },
    ];
    const rows = [];
    const notes = [];
    const peerRuns = new Map(); // "graph:γ" → scipy's result, for the approxchol rows
    const jacobiRuns = new Map(); // "graph:γ" → seqlearn's Jacobi { ms, its }
    let acRows = null;
    for (const run of runs) {
      const { g, b, label } = graphs[run.graph];
      const solver = new G.LaplacianSolver(g, { shift: run.gamma, preconditioner: "jacobi", tol: 1e-8, maxIter: 20000 });
      try {
        let ours = null;
        const mine = () => ctx.time(() => { ours = solver.solve(b); }, { minReps: run.reps, minMs: 0, warmup: run.reps > 1 });
        let peer = null;
        const scipy = () => {
          const out = ctx.python(SOLVE, { dir, graph: run.graph, gamma: run.gamma, gridSide: side, maxIter: 20000, reps: run.reps, warmup: run.reps > 1 });
          if (out) peer = out;
          return out?.ms ?? null;
        };
        ctx.log(`${run.graph}, γ = ${run.gamma}`);
        const [tS, tP] = bestOfRounds(run.rounds, [mine, scipy]);
        if (!ours.converged) throw new Error(`${run.graph}, γ = ${run.gamma}: seqlearn did not converge (${ours.residual})`);
        if (peer) peerRuns.set(`${run.graph}:${run.gamma}`, { ...peer, ms: tP });
        jacobiRuns.set(`${run.graph}:${run.gamma}`, { ms: tS, its: ours.iterations });
        const product = ctx.time(() => solver.multiply(b), { minReps: 10, minMs: 200 });
        const perS = tS / ours.iterations;
        const perP = peer ? tP / peer.its : null;
        const r = perP ? perS / perP : null;
        const what = `${run.graph === "grid" ? `${side}×${side} grid` : `RGG m=${g.m.toLocaleString("en-US")}`}, γ=${run.gamma}`;
        if (run.target) ctx.summary.push({ case: "graph-solver", what: `${what}: Jacobi-PCG time per iteration ÷ scipy's`, value: r ? ratio(r) : "peer skipped", target: r ? verdict(r, 1, false) : "–" });
        rows.push([
          label, g.m.toLocaleString("en-US"), run.gamma,
          `${ms(tS)} ms, ${ours.iterations} it. (${ms(perS)} ms/it.)`,
          peer ? `${ms(tP)} ms, ${peer.its} it. (${ms(perP)} ms/it.)` : "peer skipped",
          r ? `${ratio(r)}${run.target ? ` (${verdict(r, 1, false)})` : ""}` : "–",
          `${ms(product)} ms`, peer ? `${ms(peer.spmv)} ms` : "–",
        ]);
        if (peer) notes.push(`${label}, γ = ${run.gamma}: final relative residual seqlearn ${ours.residual.toExponential(2)} (${ours.products} products with L + γI including the final residual checks), scipy ${peer.rel.toExponential(2)} (exit code ${peer.info}).`);
      } finally {
        solver.dispose();
      }
      // The grid at γ = 0 is the last Jacobi row: the approximate-Cholesky rows follow it at
      // once, so the grid's scipy time was measured back to back with them.
      if (run.graph === "grid" && run.gamma === 0) acRows = approxCholRows(ctx, G, graphs, dir, side, peerRuns, jacobiRuns);
    }
    // Many right-hand sides in one block (no scipy counterpart: its cg takes one vector).
    const blockRows = [];
    {
      const { g, b, label } = graphs.rgg;
      const solver = new G.LaplacianSolver(g, { shift: 1e-2, preconditioner: "jacobi", tol: 1e-8, maxIter: 20000 });
      try {
        let base = null;
        for (const k of ctx.quick ? [1, 4] : [1, 8, 32]) {
          const B = new ctx.sl.Matrix(g.n, k);
          for (let i = 0; i < g.n; i++) for (let j = 0; j < k; j++) B.data[i * k + j] = b[(i + 7919 * j) % g.n];
          let res = null;
          const t = ctx.time(() => { res = k === 1 ? solver.solve(B.data) : solver.solve(B); }, { minReps: 1, minMs: 0 });
          const perCol = t / res.iterations / k;
          base ??= perCol;
          blockRows.push([k, `${ms(t)} ms`, res.iterations, `${ms(perCol)} ms`, k === 1 ? "1×" : ratio(base / perCol)]);
        }
        notes.push(`Block solves: ${label}, γ = 0.01, columns are b with its entries rotated; each column of a block gives bit for bit its single solve.`);
      } finally {
        solver.dispose();
      }
    }
    const ac = acRows ?? { rows: [], notes: [] };
    return [
      table(["graph", "edges", "γ", "seqlearn (solve)", "scipy cg, Jacobi (1 thread)", "time per iteration ÷ scipy's", "seqlearn product (L + γI)·x", "scipy L @ x"], rows),
      "",
      "Both sides solve (L + γI)·x = b to ‖b − (L + γI)·x‖ ≤ 1e-8·‖b‖ from x = 0 with the Jacobi preconditioner (scipy: `cg(L, b, tol=1e-8, atol=0, M=diag(1/(d+γ)))` " +
        "as a LinearOperator, L a CSR matrix; seqlearn: `LaplacianSolver(g, { shift: γ, preconditioner: \"jacobi\" })`). b is standard normal, drawn by numpy and read by both; " +
        "at γ = 0 scipy is given b minus its mean, seqlearn projects it itself. The random geometric graph (points uniform in the unit square, unit weights, radius for an expected degree of " +
        `${rggDegree}) is generated by numpy/scipy (cKDTree) and its edge list read by both. Times are medians of ${runs[0].reps} solves after a warm-up, best of ${runs[0].rounds} interleaved rounds; the γ = 0 row is one solve each (it is the baseline a stronger preconditioner must beat). ` +
        "seqlearn's solve time includes copying b in and x out of Wasm memory; its iteration counts match scipy's to within the last iteration or two (same algorithm, same stopping rule).",
      "",
      "What shapes the ratio: per iteration both sides make one pass over the stored Laplacian and a few vector passes. seqlearn's product uses the difference form " +
        "Σ w·(x_i − x_j) + γ·x_i over the 2m off-diagonal entries (exact zeros on constant vectors; one subtraction more per entry than the textbook form) and fuses pᵀq into it; " +
        "both graphs here are unweighted, and for such graphs the solver keeps no weight array and runs loops without the multiplications by w = 1 (bit-identical to the weighted loops with " +
        "w = 1; about 20 % faster on the random graph) — scipy's CSR matrix stores and multiplies its 1.0 entries. " +
        "The vector updates are two fused passes (x, r and both dot products in one, p in the other); scipy's CG runs them as separate BLAS-1 calls and NumPy operations. " +
        "On the grid (n = 10⁶, vectors of 8 MB) the vector passes weigh as much as the product and the fused passes decide the ratio; on the random graph (n = 10⁵, vectors that stay in cache, " +
        "20 entries per row) the product dominates, and seqlearn's weighted product is 10–20 % slower per entry than scipy's compiled C++ loop (WebAssembly's address arithmetic, one " +
        "subtraction more), which the unit-weight loops and the cheaper vector passes make up for. The product columns are one SDK call (validation and copies in and out included) against scipy's `L @ x`.",
      "",
      "Right-hand sides solved together (one pass over the graph per iteration for all k columns, f64x2 over the columns):",
      "",
      table(["k", "block solve", "iterations (most over the columns)", "time per iteration and column", "speed-up per column over k = 1"], blockRows),
      "",
      ...notes.map((t) => `- ${t}`),
      "",
      "### Approximate-Cholesky preconditioner",
      "",
      "`LaplacianSolver(g, { shift: γ, preconditioner: \"approxchol\" })` factors L + γI once by randomized approximate elimination (Gao, Kyng & Spielman 2023; the " +
        "preconditioner of Laplacians.jl's `approxchol_lap`: vertices eliminated in approximate minimum-degree order, one sampled edge per neighbour), then runs PCG with the factor " +
        "to the same relative residual 1e-8 from x = 0. The factorisation time is part of the total. Same systems and right-hand sides as above; scipy is its Jacobi `cg` " +
        "(no algebraic multigrid or incomplete factorisation ships with scipy).",
      "",
      table(["graph", "γ", "factor (setup)", "PCG solve", "total", "iterations", "seqlearn Jacobi", "scipy cg, Jacobi", "total ÷ scipy's", "factor entries per edge", "\"auto\" picks"], ac.rows),
      "",
      ...ac.notes.map((t) => `- ${t}`),
    ].join("\n");
  },
};

/** The approximate-Cholesky rows: the grid at γ = 0 (against the scipy run just before) and the
 *  random geometric graph at γ = 0 and 0.01 (scipy measured here, interleaved). */
function approxCholRows(ctx, G, graphs, dir, side, peerRuns, jacobiRuns) {
  const rows = [], notes = [];
  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" / ");
  notes.push(`Load average (1 / 5 / 15 min) when these rows started: ${load()} (2 cores, shared with other jobs).`);
  const runs = [
    { graph: "grid", gamma: 0, target: true },
    { graph: "rgg", gamma: 0, target: false },
    { graph: "rgg", gamma: 1e-2, target: false },
  ];
  for (const run of runs) {
    const { g, b, label } = graphs[run.graph];
    const key = `${run.graph}:${run.gamma}`;
    ctx.log(`approxchol: ${run.graph}, γ = ${run.gamma}`);
    let last = null;
    const mine = () => {
      globalThis.gc?.();
      const t0 = performance.now();
      const solver = new G.LaplacianSolver(g, { shift: run.gamma, preconditioner: "approxchol", tol: 1e-8, maxIter: 20000, seed: 1 });
      const t1 = performance.now();
      try {
        const res = solver.solve(b);
        const t2 = performance.now();
        last = { setup: t1 - t0, solve: t2 - t1, res, entries: solver.factorEntries };
        return t2 - t0;
      } finally {
        solver.dispose();
      }
    };
    let peer = peerRuns.get(key) ?? null;
    let tS, tP;
    if (peer) {
      tS = mine();
      tP = peer.ms;
    } else {
      const scipy = () => {
        const out = ctx.python(SOLVE, { dir, graph: run.graph, gamma: run.gamma, gridSide: side, maxIter: 20000, reps: 1, warmup: false });
        if (out) peer = out;
        return out?.ms ?? null;
      };
      [tS, tP] = bestOfRounds(ctx.quick ? 1 : 2, [mine, scipy]);
    }
    if (!last.res.converged) throw new Error(`approxchol ${key}: did not converge (${last.res.residual})`);
    let jac = jacobiRuns.get(key) ?? null;
    if (!jac) {
      const solver = new G.LaplacianSolver(g, { shift: run.gamma, preconditioner: "jacobi", tol: 1e-8, maxIter: 20000 });
      try {
        let its = 0;
        const ms = ctx.time(() => { its = solver.solve(b).iterations; }, { minReps: 1, minMs: 0, warmup: false });
        jac = { ms, its };
      } finally {
        solver.dispose();
      }
    }
    const auto = new G.LaplacianSolver(g, { shift: run.gamma, preconditioner: "auto", maxIter: 1 });
    const picks = auto.preconditioner;
    auto.dispose();
    const r = peer ? tS / tP : null;
    const what = `${run.graph === "grid" ? `${side}×${side} grid` : `RGG m=${g.m.toLocaleString("en-US")}`}, γ=${run.gamma}`;
    if (run.target) {
      const fewer = peer && last.res.iterations < peer.its;
      ctx.summary.push({
        case: "graph-solver", what: `${what}: approxchol-PCG total time (factor + solve) ÷ scipy's Jacobi cg`,
        value: r ? `${ratio(r)} (${last.res.iterations} vs ${peer.its} it.)` : "peer skipped",
        target: r ? (r < 1 && fewer ? "< 1× and fewer iterations: met" : "< 1× and fewer iterations: missed") : "–",
      });
    }
    rows.push([
      label, run.gamma, `${ms(last.setup)} ms`, `${ms(last.solve)} ms`, `${ms(tS)} ms`, last.res.iterations,
      `${ms(jac.ms)} ms, ${jac.its} it.`, peer ? `${ms(tP)} ms, ${peer.its} it.` : "peer skipped",
      r ? `${ratio(r)}${run.target ? (r < 1 && last.res.iterations < peer.its ? " (target: met)" : " (target: missed)") : ""}` : "–",
      (last.entries / g.m).toFixed(2), picks,
    ]);
    notes.push(`${label}, γ = ${run.gamma}: final relative residual ${last.res.residual.toExponential(2)}, ${last.entries.toLocaleString("en-US")} factor entries; ` +
      `${ms(last.solve / last.res.iterations)} ms per iteration against ${ms(jac.ms / jac.its)} ms with Jacobi.`);
  }
  notes.push(`Load average when they ended: ${load()}.`);
  notes.push("Times are single runs (best of two interleaved rounds for the random graph); the grid's scipy time is the γ = 0 row of the table above, measured immediately before.");
  return { rows, notes };
}
