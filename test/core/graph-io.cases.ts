// Graph cases for the cross-runtime core suite: edge-list reading from text (no files, so it
// runs in browsers too), the generators' structural properties, and digests of seeded graphs
// that must be byte-identical in Node, Deno, Chromium and WASI (the generators use only the
// engine's generator, IEEE basic operations and sdk/core/detmath.ts).
import { DataError } from "../../sdk/io/errors.js";
import { textSource } from "../../sdk/io/source.js";
import * as G from "../../sdk/graph/index.js";
import { ok, fingerprint } from "./assert.js";
import type { Case } from "./suite.js";

async function rejectsWith(p: Promise<unknown>, line: number, column: number | undefined, msg: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    ok(e instanceof DataError, `${msg}: expected a DataError, got ${(e as Error)?.name}`);
    const d = e as DataError;
    ok(d.line === line && d.column === column, `${msg}: at line ${d.line}, column ${d.column}; expected ${line}, ${column}`);
    return;
  }
  throw new Error(`${msg}: expected a DataError`);
}

export const cases: Case[] = [
  {
    name: "edge lists from text: header rule, string ids in order of first appearance, merged duplicates, errors with line and column",
    fn: async () => {
      const g = await G.readEdges(textSource("# toy\nsource,target,weight\r\nb,a,1\na,c,2.5\nc,b,0.5\na,a,3\na,b,1\n"));
      ok(JSON.stringify(g.nodeIds) === '["b","a","c"]', `ids ${JSON.stringify(g.nodeIds)}`);
      ok(g.m === 3 && g.w[0] === 2 && g.stats.selfLoops === 1 && g.stats.duplicatesMerged === 1, "merged and counted");
      const j = await G.readEdges(textSource('{"u":0,"v":4,"w":2}\n'), { format: "jsonl" });
      ok(j.n === 5 && j.m === 1 && j.w[0] === 2, "JSON lines");
      await rejectsWith(G.readEdges(textSource("0,1,2\n1,2,-1\n")), 2, 3, "negative weight");
      await rejectsWith(G.readEdges(textSource("0\t1\n1\tx\n")), 2, 2, "non-integer id");
      await rejectsWith(G.readEdges(textSource("0,1\n1,9\n"), { n: 5 }), 2, 2, "id ≥ n");
      const back = await G.readEdges(textSource(G.formatEdges(g)), { ids: "string" });
      ok(back.m === 3 && JSON.stringify(Array.from(back.w)) === JSON.stringify(Array.from(g.w)), "round trip");
    },
  },
  {
    name: "deterministic families: exact node and edge counts",
    fn: () => {
      const counts: [G.Graph, number, number][] = [
        [G.complete(20), 20, 190], [G.path(10), 10, 9], [G.cycle(10), 10, 10], [G.star(10), 10, 9],
        [G.grid(30, 40), 1200, 30 * 39 + 40 * 29], [G.barbell(10, { path: 3 }), 23, 90 + 4], [G.ringOfCliques(5, 4), 20, 30 + 5],
      ];
      for (const [g, n, m] of counts) ok(g.n === n && g.m === m, `expected n = ${n}, m = ${m}, got ${g.n}, ${g.m}`);
    },
  },
  {
    name: "seeded models: ER within 4σ, RGG edges within the radius, BA degree sum, kNN ≥ k neighbours",
    fn: () => {
      const n = 3000, p = 0.002, N = (n * (n - 1)) / 2;
      const er = G.erdosRenyi(n, p, { seed: 1 });
      ok(Math.abs(er.m - N * p) <= 4 * Math.sqrt(N * p * (1 - p)), `ER edges ${er.m}`);
      const rgg = G.randomGeometric(1000, 0.05, { seed: 2 });
      const P = G.randomPoints(1000, 2, { seed: 2 }).data;
      for (let e = 0; e < rgg.m; e++) {
        const a = rgg.u[e], b = rgg.v[e];
        const dx = P[2 * a] - P[2 * b], dy = P[2 * a + 1] - P[2 * b + 1];
        ok(dx * dx + dy * dy <= 0.0025, `RGG edge ${a}-${b} beyond the radius`);
      }
      const ba = G.barabasiAlbert(2000, 2, { seed: 3 });
      ok(ba.m === 2 * 1998 && ba.degrees().reduce((s, x) => s + x, 0) === 4 * 1998, "BA degree sum");
      const knn = G.knnGraph(G.randomPoints(200, 3, { seed: 4 }), 4);
      const deg = new Int32Array(200);
      for (let e = 0; e < knn.m; e++) {
        deg[knn.u[e]]++;
        deg[knn.v[e]]++;
      }
      ok(deg.every((x) => x >= 4), "kNN degree ≥ k");
    },
  },
];

export function digest(): Record<string, string> {
  const fp = (g: G.Graph) => fingerprint(new Int32Array([g.n, g.m]), g.u, g.v, g.w);
  return {
    erdosRenyi: fp(G.erdosRenyi(3000, 0.004, { seed: 42, weights: [1e-3, 1e3] })),
    geometric: fp(G.randomGeometric(3000, 0.03, { seed: 7 })),
    blocks: fp(G.stochasticBlockModel([200, 300, 500], 0.05, 0.002, { seed: 9 })),
    barabasiAlbert: fp(G.barabasiAlbert(3000, 3, { seed: 11, weights: [0.5, 2] })),
    knn: fp(G.knnGraph(G.randomPoints(300, 3, { seed: 13 }), 5, { weights: "gaussian" })),
    epsilon: fp(G.epsilonGraph(G.randomPoints(300, 4, { seed: 17 }), 0.3, { weights: "gaussian" })),
  };
}
