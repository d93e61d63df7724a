// Effective resistances. (1) All-edge JL sketches (Spielman & Srivastava 2011) on a random graph
// with ~10⁶ edges, ε = 0.5: seqlearn's effectiveResistances (k right-hand sides in one block
// solve, Jacobi-PCG) against the same algorithm written with scipy (the same k ±1 columns
// built with the sparse incidence matrix, one scipy.sparse.linalg.cg with a Jacobi
// preconditioner per column, single thread, then ‖Z_u − Z_v‖²/k). Target (issue 9): ≤ 1.0× the
// scipy version's time. (2) Exact resistances of every edge of small graphs: seqlearn's dense
// Cholesky route against networkx's resistance_distance (pair by pair) and igraph's Laplacian
// with numpy's pseudo-inverse.
import { mkdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { table, ms, ratio, verdict } from "../lib/format.mjs";
import { bestOfRounds } from "../lib/timing.mjs";
import { loadAverage } from "../lib/machine.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function readArray(path, Ctor) {
  const buf = readFileSync(path);
  return new Ctor(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

// numpy: a random graph with m distinct edges on n nodes (uniform pairs, weights uniform in
// [0.5, 2]), and small Erdős–Rényi graphs for the exact comparison.
const PREPARE = `
import numpy as np, os
d = INPUT["dir"]; n = INPUT["n"]; m = INPUT["m"]
rng = np.random.default_rng(INPUT["seed"])
a = rng.integers(0, n, size=int(m * 1.08)); b = rng.integers(0, n, size=int(m * 1.08))
keep = a != b
lo = np.minimum(a, b)[keep].astype(np.int64); hi = np.maximum(a, b)[keep].astype(np.int64)
key, first = np.unique(lo * n + hi, return_index=True)
order = np.sort(first)[:m]
u = lo[order].astype(np.int32); v = hi[order].astype(np.int32)
w = rng.uniform(0.5, 2.0, size=len(u))
u.tofile(os.path.join(d, "u.bin")); v.tofile(os.path.join(d, "v.bin")); w.tofile(os.path.join(d, "w.bin"))
for (name, nn, p) in INPUT["small"]:
    A = np.triu(rng.random((nn, nn)) < p, 1)
    su, sv = np.nonzero(A)
    su.astype(np.int32).tofile(os.path.join(d, name + "_u.bin")); sv.astype(np.int32).tofile(os.path.join(d, name + "_v.bin"))
print(_json.dumps({"n": n, "m": int(len(u))}))
`;

// scipy: the same JL algorithm, one cg per column.
const SCIPY_JL = `
import numpy as np, os, scipy.sparse as sp, scipy.sparse.linalg as spl
d = INPUT["dir"]; n = INPUT["n"]; k = INPUT["k"]; tol = INPUT["tol"]
u = np.fromfile(os.path.join(d, "u.bin"), dtype=np.int32); v = np.fromfile(os.path.join(d, "v.bin"), dtype=np.int32)
w = np.fromfile(os.path.join(d, "w.bin")); m = len(u)
A = sp.coo_matrix((w, (u, v)), shape=(n, n)).tocsr(); A = (A + A.T).tocsr()
deg = np.asarray(A.sum(axis=1)).ravel()
L = (sp.diags(deg) - A).tocsr()
Bt = sp.coo_matrix((np.concatenate([np.sqrt(w), -np.sqrt(w)]), (np.concatenate([u, v]), np.concatenate([np.arange(m), np.arange(m)]))), shape=(n, m)).tocsr()
dinv = 1.0 / deg
M = spl.LinearOperator((n, n), matvec=lambda x: dinv * x, dtype=np.float64)
its = [0]; out = [None]
def count(xk): its[0] += 1
def jl():
    rng = np.random.default_rng(1)
    its[0] = 0
    acc = np.zeros(m)
    for j in range(k):
        s = rng.integers(0, 2, size=m).astype(np.float64) * 2.0 - 1.0
        y = Bt @ s
        x, info = spl.cg(L, y, tol=tol, atol=0.0, M=M, callback=count, maxiter=5000)
        dx = x[u] - x[v]
        acc += dx * dx
    out[0] = acc / k
t = bench_ms(jl, min_reps=1, min_s=0, warmup=False)
r = out[0]
print(_json.dumps({"ms": t, "its": its[0] / k, "deff": float(np.sum(w * r))}))
`;

// networkx (pair by pair) and igraph + numpy pinv: every edge of a small graph.
const EXACT_PEERS = `
import numpy as np, os
d = INPUT["dir"]; name = INPUT["name"]; n = INPUT["n"]
u = np.fromfile(os.path.join(d, name + "_u.bin"), dtype=np.int32); v = np.fromfile(os.path.join(d, name + "_v.bin"), dtype=np.int32)
res = {}
try:
    import networkx as nx, time, warnings
    warnings.simplefilter("ignore")
    G = nx.Graph(); G.add_nodes_from(range(n)); G.add_edges_from(zip(u.tolist(), v.tolist()))
    pairs = list(zip(u.tolist(), v.tolist()))[: INPUT["nxPairs"]]
    t0 = time.perf_counter()
    r = [nx.resistance_distance(G, a, b) for (a, b) in pairs]
    res["nx_ms"] = (time.perf_counter() - t0) * 1e3; res["nx_pairs"] = len(pairs); res["nx_first"] = r[0]
    res["networkx"] = nx.__version__
except ImportError:
    pass
try:
    import igraph
    g = igraph.Graph(n=n, edges=list(zip(u.tolist(), v.tolist())))
    def run():
        L = np.array(g.laplacian(), dtype=np.float64)
        P = np.linalg.pinv(L, hermitian=True)
        res["ig_first"] = float(P[u[0], u[0]] + P[v[0], v[0]] - 2 * P[u[0], v[0]])
        return P[u, u] + P[v, v] - 2 * P[u, v]
    res["ig_ms"] = bench_ms(run, min_reps=1, min_s=0, warmup=False)
    res["igraph"] = igraph.__version__
except ImportError:
    pass
print(_json.dumps(res))
`;

export default {
  id: "graph-resistances",
  title: "Effective resistances: JL sketches vs scipy, exact vs networkx / igraph",
  order: 81,
  async run(ctx) {
    const { sl } = ctx;
    const G = sl.graph;
    const n = ctx.quick ? 5000 : 20000, m = ctx.quick ? 100000 : 1000000;
    const eps = 0.5, tol = 1e-3;
    const dir = join(root, "bench", "out", "graph-resistances");
    mkdirSync(dir, { recursive: true });
    const small = [["s100", 100, 0.2], ["s400", 400, 0.05], ["s1000", 1000, 0.02]];
    const prep = ctx.python(PREPARE, { dir, seed: 12, n, m, small });
    if (!prep) return "**skipped:** no python3 with numpy and scipy (the graphs are generated with them)";
    const g = G.Graph.fromEdges(readArray(join(dir, "u.bin"), Int32Array), readArray(join(dir, "v.bin"), Int32Array), readArray(join(dir, "w.bin"), Float64Array), { n });
    const k = G.jlVectors(n, eps);
    ctx.log(`random graph: n = ${n}, m = ${g.m}, k = ${k}`);
    const load0 = loadAverage()[0];
    let ours = null, peer = null;
    const mine = () => ctx.time(() => { ours = G.effectiveResistances(g, { method: "jl", eps, tol, seed: 1, preconditioner: "jacobi" }); }, { minReps: 1, minMs: 0, warmup: false });
    const scipy = () => {
      const out = ctx.python(SCIPY_JL, { dir, n, k, tol });
      if (out) peer = out;
      return out?.ms ?? null;
    };
    const [tS, tP] = bestOfRounds(ctx.quick ? 1 : 2, [mine, scipy]);
    const load1 = loadAverage()[0];
    const r = tP ? tS / tP : null;
    ctx.summary.push({ case: "graph-resistances", what: `all-edge JL resistances, m=${g.m.toLocaleString("en-US")}, ε=0.5 (k=${k}): time ÷ scipy's`, value: r ? ratio(r) : "peer skipped", target: r ? verdict(r, 1, false) : "–" });
    const jlRows = [[
      `random graph, n = ${n.toLocaleString("en-US")}, m = ${g.m.toLocaleString("en-US")}, weights in [0.5, 2]`, k,
      `${ms(tS)} ms (${ours.iterations} it. max per column)`,
      peer ? `${ms(tP)} ms (${peer.its.toFixed(1)} it. per column)` : "peer skipped",
      r ? `${ratio(r)} (${verdict(r, 1, false)})` : "–",
      `${ours.deff.toFixed(1)} / ${peer ? peer.deff.toFixed(1) : "–"} (n − 1 = ${n - 1})`,
    ]];

    // Exact, every edge of small graphs.
    const exactRows = [];
    const versions = { networkx: null, igraph: null };
    for (const [name, nn] of small) {
      const sg = G.Graph.fromEdges(readArray(join(dir, `${name}_u.bin`), Int32Array), readArray(join(dir, `${name}_v.bin`), Int32Array), null, { n: nn });
      let res = null;
      const t = ctx.time(() => { res = G.effectiveResistances(sg, { method: "exact" }); }, { minReps: 1, minMs: 0, warmup: nn <= 400 });
      const nxPairs = nn <= 100 ? sg.m : 50;
      const out = ctx.python(EXACT_PEERS, { dir, name, n: nn, nxPairs });
      const nxPer = out?.nx_ms != null ? out.nx_ms / out.nx_pairs : null;
      const nxAll = nxPer != null ? nxPer * sg.m : null;
      const agree = out?.ig_first != null ? Math.abs(out.ig_first / res.resistances[0] - 1) : null;
      exactRows.push([
        `G(${nn}, ${small.find((s) => s[0] === name)[2]}), m = ${sg.m.toLocaleString("en-US")}, ${sg.components().count} component${sg.components().count === 1 ? "" : "s"}`,
        `${ms(t)} ms`,
        nxAll != null ? `${ms(nxAll)} ms${out.nx_pairs < sg.m ? ` (extrapolated from ${out.nx_pairs} pairs: ${ms(nxPer)} ms each)` : ""}` : "–",
        nxAll != null ? ratio(nxAll / t) : "–",
        out?.ig_ms != null ? `${ms(out.ig_ms)} ms` : "–",
        out?.ig_ms != null ? ratio(out.ig_ms / t) : "–",
        agree != null ? agree.toExponential(1) : "–",
      ]);
      if (out?.networkx) versions.networkx = out.networkx;
      if (out?.igraph) versions.igraph = out.igraph;
    }
    return [
      table(["graph", "k", "seqlearn effectiveResistances (JL)", "the same algorithm with scipy (cg + Jacobi, 1 thread)", "time ÷ scipy's", "Σ w·r̂ (seqlearn / scipy)"], jlRows),
      "",
      `Both sides estimate r_e = ‖Z_u − Z_v‖²/k for every edge with Z = L⁺·Bᵀ·W^{1/2}·Sᵀ, S a k × m matrix of random signs, k = ⌈4·ln n/ε²⌉ = ${k} at ε = 0.5, ` +
        `each column solved to relative residual ${tol} from 0 with the Jacobi preconditioner. scipy: the signs by numpy, \`y = Bt @ s\` with the sparse n × m incidence matrix, ` +
        "`cg(L, y, tol, atol=0, M=diag(1/d))` per column and `(x[u] − x[v])²` accumulated over the columns; seqlearn: `effectiveResistances(g, { method: \"jl\", eps: 0.5, tol, preconditioner: \"jacobi\" })`, " +
        "the sketch built in Wasm from the engine's generator, the k columns solved in blocks of 32 by the block PCG (one pass over the graph per iteration for the block), the sums in Wasm. " +
        "Both totals include the sketch, the solves and the distances, not building the graph. The random graph is drawn by numpy (uniform node pairs, duplicates removed) and read by both. " +
        `Load average ${load0.toFixed(1)} before, ${load1.toFixed(1)} after (2 cores shared with other jobs): the two sides ran back to back, best of ${ctx.quick ? 1 : 2} interleaved rounds.`,
      "",
      "What shapes the ratio: scipy's cg makes one sparse product and a handful of BLAS-1 passes per column and iteration; the block solve reads the graph once per iteration for up to 32 columns " +
        "(about a third of the per-column cost of single products, see the solver section) and fuses the vector updates. The sketch and the distance sums are O(k·m) in both.",
      "",
      table(["graph (unweighted, G(n, p))", "seqlearn exact (dense Cholesky)", "networkx resistance_distance, every edge", "÷ seqlearn", "igraph Laplacian + numpy pinv", "÷ seqlearn", "rel. difference (edge 0, vs pinv)"], exactRows),
      "",
      "Exact resistances of every edge. seqlearn: `effectiveResistances(g, { method: \"exact\" })` — one Cholesky factorisation of L + P (P the projector on the constants of each component) " +
        "and its inverse in the engine, O(n³). networkx (" + (versions.networkx ?? "not installed") + ") has `resistance_distance(G, a, b)`, which factors two reduced Laplacians (sparse LU) per pair; " +
        "igraph (" + (versions.igraph ?? "not installed") + ") has no resistance function, so its `laplacian()` goes through numpy's `pinv(L, hermitian=True)` (an eigendecomposition, single-threaded BLAS).",
    ].join("\n");
  },
};
