// Resistance and sparsifier cases for the cross-runtime core suite: JL resistances against the
// exact ones, Σ τ = n − c, a GSQUEAK tree evaluated leaf by leaf equal to gsqueak() on the
// inline pool and to the streaming sparsifier, the sparsifier codec — and a digest of seeded
// resistances, sparsifier files and Spielman–Srivastava samples that must be byte-identical
// in Node, Deno, Chromium and WASI.
import * as S from "../../sdk/index.js";
import * as G from "../../sdk/graph/index.js";
import { ok, close, throwsType, fingerprint } from "./assert.js";
import type { Case } from "./suite.js";

// The preconditioner is pinned so the digest does not move when "auto" learns a new one.
const TREE = { eps: 0.5, gamma: 0, qbar: 40, k: 24, seed: 13, preconditioner: "jacobi" as const };

/** A dense seeded graph with log-uniform weights. */
function graph(): G.Graph {
  return G.erdosRenyi(60, 0.6, { seed: 5, weights: [0.1, 10] });
}

/** The GSQUEAK tree over 4 blocks, leaf by leaf and merge by merge (synchronous). */
function tree(g: G.Graph, shape: "balanced" | "chain", gamma = TREE.gamma): G.SparsifierDictionary {
  const p = G.gsqueakParams(g.n, { ...TREE, gamma });
  const sizes = G.blockSizes(g.m, Math.ceil(g.m / 4));
  const blocks = G.edgeBlocks({ n: g.n, u: g.u, v: g.v, w: g.w }, sizes);
  const plan = S.planTree(blocks.length, shape);
  const vals: G.SparsifierDictionary[] = blocks.map((b, i) => G.gsqueakLeaf(b, p, TREE.seed, plan.streams[i]));
  for (const m of plan.merges) vals[m.node] = G.gsqueakMerge(vals[m.left], vals[m.right], p, TREE.seed, m.stream);
  return vals[plan.root];
}

export const cases: Case[] = [
  {
    name: "JL resistances: close to the exact ones, Σ τ ≈ n − c, same bits for the same seed",
    fn: () => {
      const g = graph();
      const ex = G.effectiveResistances(g, { method: "exact" });
      close(ex.deff!, g.n - 1, 1e-8 * g.n, "exact Σ τ = n − 1");
      const jl = G.effectiveResistances(g, { method: "jl", k: 200, seed: 3 });
      let worst = 0;
      for (let e = 0; e < g.m; e++) worst = Math.max(worst, Math.abs(jl.resistances[e] / ex.resistances[e] - 1));
      ok(worst < 0.6, `every estimate within 60 % (worst ${worst})`);
      close(jl.deff! / (g.n - 1), 1, 0.05, "JL Σ τ within 5 %");
      const again = G.effectiveResistances(g, { method: "jl", k: 200, seed: 3 });
      ok(fingerprint(again.resistances) === fingerprint(jl.resistances), "same seed, same bits");
    },
  },
  {
    name: "GSQUEAK: the tree by hand equals gsqueak() inline; the chain equals the streaming sparsifier",
    fn: async () => {
      const g = graph();
      const hand = G.encodeSparsifier(tree(g, "balanced"));
      const r = await G.gsqueak(g, { ...TREE, blockSize: Math.ceil(g.m / 4), workers: 0 });
      ok(fingerprint(G.encodeSparsifier(r.dictionary)) === fingerprint(hand), "gsqueak() = leaves and merges by hand");
      const s = new G.Gsqueak({ n: g.n, ...TREE, blockSize: Math.ceil(g.m / 4) });
      for (let i = 0; i < g.m; i += 97) s.push(g.u.subarray(i, i + 97), g.v.subarray(i, i + 97), g.w.subarray(i, i + 97));
      ok(fingerprint(G.encodeSparsifier(s.finish())) === fingerprint(G.encodeSparsifier(tree(g, "chain"))), "streaming = chain");
      const d = r.dictionary;
      ok(d.size > 0 && d.size < g.m && d.params.edges === g.m, `kept ${d.size} of ${g.m}`);
      for (let i = 0; i < d.size; i++) ok(d.p[i] > 0 && d.p[i] <= 1 && d.q[i] >= 1 && d.q[i] <= TREE.qbar, "p̃ and q in range");
      ok(r.graph.components().count === 1, "connected");
    },
  },
  {
    name: "sparsifier codec: round trip, JSON form, truncation and corruption detected",
    fn: () => {
      const d = tree(graph(), "balanced");
      const bytes = G.encodeSparsifier(d);
      ok(bytes.length === G.encodedSparsifierSize(d.size), "size 100 + 36·s");
      const back = G.decodeSparsifier(bytes);
      ok(fingerprint(G.encodeSparsifier(back)) === fingerprint(bytes), "round trip");
      const viaJson = G.sparsifierFromJSON(JSON.parse(JSON.stringify(G.sparsifierToJSON(d))));
      ok(fingerprint(G.encodeSparsifier(viaJson)) === fingerprint(bytes), "JSON round trip");
      throwsType(() => G.decodeSparsifier(bytes.subarray(0, bytes.length - 1)), S.SparsifierFormatError, /truncated/, "truncated");
      const bad = bytes.slice();
      bad[150] ^= 4;
      throwsType(() => G.decodeSparsifier(bad), S.SparsifierFormatError, /checksum/, "flipped bit");
    },
  },
  {
    name: "baselines at a given size: uniform and k-neighbour keep exactly s edges; one-shot's probabilities sum to s",
    fn: () => {
      const g = graph();
      const s = Math.floor(g.m / 3);
      const uni = G.uniformSparsify(g, { edges: s, seed: 1 });
      ok(uni.m === s && uni.n === g.n, `uniform kept ${uni.m} edges, expected ${s}`);
      close(uni.totalWeight() / g.totalWeight(), 1, 0.2, "uniform: total weight about G's");
      ok(G.knnSparsify(g, { edges: s }).m === s, "k-neighbour keeps s edges");
      const r = G.sparsify(g, { edges: s, seed: 1, resistances: "exact" });
      close(r.probabilities.reduce((a, b) => a + b, 0), s, 1e-6, "Σ p_e = s");
    },
  },
];

export function digest(): Record<string, string> {
  const g = graph();
  const jl = G.effectiveResistances(g, { method: "jl", k: 40, seed: 9, gamma: 0.5, preconditioner: "jacobi" });
  const r = G.effectiveResistances(g, { method: "jl", k: 30, seed: 2, preconditioner: "jacobi" }).resistances;
  const bern = G.sparsify(g, { eps: 0.8, seed: 2, resistances: r });
  const repl = G.sparsify(g, { eps: 0.8, seed: 2, sampling: "replacement", resistances: r });
  return {
    resistances: fingerprint(jl.resistances),
    gsqueak: fingerprint(G.encodeSparsifier(tree(g, "balanced")), G.encodeSparsifier(tree(g, "chain", 2))),
    sparsify: fingerprint(bern.graph.w, bern.graph.u, repl.graph.w, repl.graph.v),
    // The baselines and one-shot sampling at a target size (the comparisons at equal size).
    baselines: baselineDigest(g, r),
  };
}

function baselineDigest(g: G.Graph, r: Float64Array): string {
  const uni = G.uniformSparsify(g, { fraction: 0.3, seed: 5 });
  const knn = G.knnSparsify(g, { edges: uni.m });
  const sized = G.sparsify(g, { edges: uni.m, seed: 3, resistances: r });
  return fingerprint(uni.u, uni.v, uni.w, knn.u, knn.w, sized.graph.v, sized.graph.w);
}
