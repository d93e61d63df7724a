// GSQUEAK (Calandriello, Koutis, Lazaric & Valko, ICML 2018): (1) one streaming pass over 10⁶
// edges on one core — time (target < 60 s) and memory, which must follow the sparsifier and not
// the number of edges: the stream is generated batch by batch and never held, and the pass runs
// in its own Node process so that its engine memory (which only grows) is its own; (2) the
// same edges on a balanced merge tree with 2 worker threads against 1 (target ≥ 1.6×).
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { table, ms, ratio, verdict } from "../lib/format.mjs";
import { loadAverage, twoThreadScaling } from "../lib/machine.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// The streaming pass, in a child process. Edges: uniform random node pairs (u ≠ v; a pair may
// come twice — each is its own entry), weights uniform in [0.5, 2], from a seeded xorshift,
// 65,536 per batch. For 24 fixed ±1 cut vectors x, xᵀL_Gx is accumulated while streaming, so
// the sparsifier's quadratic forms can be compared without keeping G.
const STREAM = (distUrl, n, m, eps) => `
import { init, Gsqueak, getEngine } from ${JSON.stringify(distUrl)};
await init();
const n = ${n}, m = ${m}, eps = ${eps}, B = 65536, X = 24;
let s = 2463534242;
const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
const cuts = Array.from({ length: X }, (_, t) => Int8Array.from({ length: n }, (_, i) => (((i * 2654435761 + t * 40503) >>> 0) % 1000 < 500 ? 1 : -1)));
const quadG = new Float64Array(X);
let peakHeap = 0, peakEntries = 0, updates = 0;
const t0 = performance.now();
const sq = new Gsqueak({ n, eps, seed: 1, onProgress: (p) => { updates++; peakEntries = Math.max(peakEntries, p.entries); peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed); } });
const u = new Int32Array(B), v = new Int32Array(B), w = new Float64Array(B);
for (let done = 0; done < m;) {
  const k = Math.min(B, m - done);
  for (let t = 0; t < k; t++) {
    let a, b;
    do { a = Math.floor(next() * n); b = Math.floor(next() * n); } while (a === b);
    u[t] = a; v[t] = b; w[t] = 0.5 + 1.5 * next();
    for (let c = 0; c < X; c++) { const d = cuts[c][a] - cuts[c][b]; quadG[c] += w[t] * d * d; }
  }
  sq.push(u.subarray(0, k), v.subarray(0, k), w.subarray(0, k));
  done += k;
}
const dict = sq.finish();
const secs = (performance.now() - t0) / 1000;
const h = sq.dictionary();
let lo = Infinity, hi = 0;
for (let c = 0; c < X; c++) {
  let q = 0;
  for (let e = 0; e < h.m; e++) { const d = cuts[c][h.u[e]] - cuts[c][h.v[e]]; q += h.w[e] * d * d; }
  lo = Math.min(lo, q / quadG[c]); hi = Math.max(hi, q / quadG[c]);
}
let copies = 0; for (let i = 0; i < dict.size; i++) copies += dict.q[i];
console.log(JSON.stringify({ secs, blockSize: sq.blockSize, blocks: sq.blocks, qbar: sq.params.qbar, k: sq.params.k, entries: dict.size, kept: h.m, copies,
  deff: dict.params.deff, peakEntries, engineBytes: getEngine().memoryBytes, peakHeap, lo, hi }));
`;

export default {
  id: "graph-gsqueak",
  title: "GSQUEAK: one streaming pass over 10⁶ edges, and merge trees on worker threads",
  order: 82,
  async run(ctx) {
    const { sl } = ctx;
    const n = ctx.quick ? 1000 : 2000, m = ctx.quick ? 200000 : 1000000, eps = 0.5;
    const distUrl = pathToFileURL(join(root, "dist", "node", "index.js")).href;
    ctx.log(`streaming pass: n = ${n}, m = ${m}`);
    const load0 = loadAverage()[0];
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", STREAM(distUrl, n, m, eps)], { encoding: "utf8", timeout: 600_000, maxBuffer: 1 << 24 });
    if (child.status !== 0) throw new Error(`streaming pass failed: ${child.stderr}`);
    const st = JSON.parse(child.stdout.trim().split("\n").at(-1));
    const secsOk = st.secs < 60;
    ctx.summary.push({ case: "graph-gsqueak", what: `one streaming pass over ${m.toLocaleString("en-US")} edges (n = ${n}, ε = 0.5), one core`, value: `${st.secs.toFixed(1)} s`, target: `< 60 s: ${secsOk ? "met" : "**not met**"}` });
    const MiB = (b) => `${(b / 1048576).toFixed(1)} MiB`;
    const streamRows = [[
      `${m.toLocaleString("en-US")} random edges on ${n.toLocaleString("en-US")} nodes, weights in [0.5, 2]`,
      `q̄ = ${st.qbar}, k = ${st.k}, blocks of ${st.blockSize.toLocaleString("en-US")} (${st.blocks} blocks)`,
      `${st.secs.toFixed(1)} s (${Math.round(m / st.secs).toLocaleString("en-US")} edges/s)`,
      `${st.kept.toLocaleString("en-US")} edges (${((100 * st.kept) / m).toFixed(1)} %), Σq = ${st.copies.toLocaleString("en-US")}; d_eff ≈ ${st.deff.toFixed(0)}`,
      `${st.peakEntries.toLocaleString("en-US")} entries`,
      `${MiB(st.engineBytes)} engine, ${MiB(st.peakHeap)} JS heap`,
      `[${st.lo.toFixed(3)}, ${st.hi.toFixed(3)}]`,
    ]];

    // Merge trees on worker threads: the same kind of edges, held in memory, 16 leaves.
    const tm = ctx.quick ? 200000 : 1000000;
    let s = 88172645;
    const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
    const u = new Int32Array(tm), v = new Int32Array(tm), w = new Float64Array(tm);
    for (let t = 0; t < tm; t++) {
      let a, b;
      do { a = Math.floor(next() * n); b = Math.floor(next() * n); } while (a === b);
      u[t] = a; v[t] = b; w[t] = 0.5 + 1.5 * next();
    }
    const blockSize = Math.ceil(tm / 16);
    const load1 = loadAverage()[0];
    // Pools are started once and warmed up (each worker compiles the module and tiers it up);
    // runs alternate 1, 2, 2, 1, 1, 2 workers and each pool keeps its best, so that a drift in
    // the machine's load favours neither side.
    const pools = { 1: await sl.WorkerPool.create({ size: 1 }), 2: await sl.WorkerPool.create({ size: 2 }) };
    const runs = {};
    let leafScaling = 0;
    try {
      const params = sl.graph.gsqueakParams(n, { eps });
      const leafInput = { node: 0, seed: 1, level: 0, leaf: { u: u.slice(0, blockSize), v: v.slice(0, blockSize), w: w.slice(0, blockSize), start: 0 }, params };
      const timeK = async (pool, k) => {
        const t = performance.now();
        await Promise.all(Array.from({ length: k }, () => pool.run(sl.graph.GSQUEAK_LEAF_TASK, leafInput)));
        return performance.now() - t;
      };
      for (let rep = 0; rep < 3; rep++) await Promise.all([timeK(pools[1], 1), timeK(pools[2], 2)]);
      for (let rep = 0; rep < 2; rep++) leafScaling = Math.max(leafScaling, (2 * (await timeK(pools[2], 1))) / (await timeK(pools[2], 2)));
      for (const workers of ctx.quick ? [1, 2] : [1, 2, 2, 1, 1, 2]) {
        ctx.log(`gsqueak tree: ${workers} worker(s)`);
        const t0 = performance.now();
        const r = await sl.gsqueak({ n, u, v, w }, { eps, seed: 1, blockSize, pool: pools[workers] });
        const t = performance.now() - t0;
        if (!runs[workers] || t < runs[workers].t) runs[workers] = { t, r };
      }
    } finally {
      await pools[1].close();
      await pools[2].close();
    }
    const control = await twoThreadScaling(ctx.quick ? 2e7 : 1e8);
    const load2 = loadAverage()[0];
    const b1 = sl.graph.encodeSparsifier(runs[1].r.dictionary), b2 = sl.graph.encodeSparsifier(runs[2].r.dictionary);
    const same = b1.length === b2.length && b1.every((x, i) => x === b2[i]);
    const speedup = runs[1].t / runs[2].t;
    const bound = runs[1].r.levels.reduce((acc, l) => acc + l.workMs / Math.min(2, l.nodes), 0);
    const work = runs[1].r.levels.reduce((acc, l) => acc + l.workMs, 0);
    ctx.summary.push({ case: "graph-gsqueak", what: `balanced tree, 16 leaves, ${tm.toLocaleString("en-US")} edges: 2 workers vs 1 (wall clock; machine's own 2-thread scaling ${ratio(control)})`, value: ratio(speedup), target: verdict(speedup, 1.6, true) });
    const treeRows = [];
    for (const workers of [1, 2]) {
      const { t, r } = runs[workers];
      treeRows.push([
        workers, `${ms(t)} ms`, workers === 1 ? "1×" : `${ratio(speedup)} (${verdict(speedup, 1.6, true)})`,
        r.levels.map((l) => `L${l.level}: ${l.nodes} × ${ms(l.workMs / l.nodes)} ms`).join("; "),
        `${r.graph.m.toLocaleString("en-US")} edges, Σq = ${r.copies.toLocaleString("en-US")}`,
      ]);
    }
    return [
      table(["stream", "parameters (ε = 0.5, γ = 0)", "one pass, one core", "sparsifier", "largest dictionary", "peak memory of the pass", "xᵀL_Hx / xᵀL_Gx, 24 cut vectors"], streamRows),
      "",
      `\`new Gsqueak({ n, eps: 0.5 })\` with the defaults (q̄ = ⌈4·ln n/ε²⌉, k = ⌈4·ln n/max(ε, 0.5)²⌉ JL columns per update, blocks of max(4096, ⌈(1 − ε)·q̄·n⌉) edges, tol 1e-3), ` +
        "fed 65,536 edges at a time by a generator that keeps nothing: each full block becomes a leaf (one update) and is merged into the dictionary (one update on the union). " +
        "The pass runs in a Node process of its own; its engine memory (WebAssembly memory only grows, so this is its peak) and its JS heap are reported. " +
        `For scale, the edge list alone would take ${MiB(m * 16)} (u, v, w) and a Graph of it with its CSR about ${MiB(m * 40)}: memory follows the dictionary (${st.peakEntries.toLocaleString("en-US")} entries at most, 36 bytes each, ` +
        "plus the update's temporary graph, solver and sketch blocks of the same order), not m. The cut vectors are fixed ±1 node labellings; their quadratic forms in G are summed during the stream.",
      "",
      table(["workers", "gsqueak() wall time", "speed-up", "per level: nodes × compute per node", "sparsifier"], treeRows),
      "",
      `The same generator's ${tm.toLocaleString("en-US")} edges held in memory, \`gsqueak({ n, u, v, w }, { eps: 0.5, blockSize: ${blockSize.toLocaleString("en-US")}, pool })\`: 16 leaves, a balanced tree of depth 4 ` +
        `(16 leaf updates, then 8 + 4 + 2 + 1 merges), on a pool of 1 and of 2 worker threads started and warmed up beforehand; runs alternate (1, 2, 2, 1, 1, 2 workers) and each pool keeps its best. ` +
        `The two results are ${same ? "byte-identical" : "**different**"} (the tree fixes the result, not the worker count). ` +
        `Speed-up the tree allows with 2 workers (the 1-worker run's summed compute time over Σ_levels compute/min(2, nodes); the root merge runs alone): ${ratio(work / bound)}. ` +
        `Controls: two threads running a plain JavaScript loop finished twice one thread's work ${ratio(control)} as fast as one thread during this run (2.0× on two free cores); ` +
        `two copies of one leaf task at once on the 2-worker pool: ${ratio(leafScaling)}. ` +
        `Load average ${load0.toFixed(1)} before the streaming pass, ${load1.toFixed(1)} before the tree runs, ${load2.toFixed(1)} after: the machine's 2 cores were shared with other jobs, ` +
        "so a second worker competes with them rather than running on a free core — the controls show how much parallelism was there to be had.",
    ].join("\n");
  },
};
