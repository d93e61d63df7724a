// Effective resistances: exact (dense Cholesky) against closed forms (K_n, cycle, path, star)
// and an eigendecomposition oracle on random, weighted and disconnected graphs, for γ = 0 and
// γ > 0; Σ τ_e = n − c; JL sketches (median error at k = 8 ln n, Σ τ within 5 %, the √γ·I
// correction unbiased for γ > 0, bits independent of the column blocking, seeded); node pairs;
// validation; progress and abort; one-shot Spielman–Srivastava sampling.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Rng, ValueError, ShapeError } from "../sdk/index.js";
import {
  Graph, LaplacianSolver, effectiveResistances, effectiveResistancesAsync, jlVectors, sparsify, complete, cycle, path, star, erdosRenyi, randomGeometric,
  disjointUnion, withLogUniformWeights, barbell,
} from "../sdk/graph/index.js";
import { sketchResistances } from "../sdk/graph/resistances.js";
import { denseInverse, pairResistances, spectralError, sorted, quantile } from "./graph-spectral.js";

beforeAll(async () => {
  await init();
});

const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = relErr(a[i], b[i]);
    if (!(e <= m)) m = e;
  }
  return m;
}

describe("exact resistances", () => {
  it("closed forms: K_n 2/n, cycle k(n−k)/n, path Σ 1/w, star 1 and 2", () => {
    for (const n of [2, 7, 40]) {
      const r = effectiveResistances(complete(n), { method: "exact" });
      expect(maxRel(r.resistances, new Float64Array(r.resistances.length).fill(2 / n))).toBeLessThan(1e-8);
      expect(r.deff).toBeCloseTo(n - 1, 9);
    }
    const n = 15;
    const c = cycle(n);
    const pu: number[] = [], pv: number[] = [], want: number[] = [];
    for (let k = 1; k < n; k++) {
      pu.push(0);
      pv.push(k);
      want.push((k * (n - k)) / n);
    }
    expect(maxRel(effectiveResistances(c, { method: "exact", pairs: { u: pu, v: pv } }).resistances, want)).toBeLessThan(1e-8);
    expect(maxRel(effectiveResistances(c, { method: "exact" }).resistances, new Array(n).fill((n - 1) / n))).toBeLessThan(1e-8);
    // A weighted path: resistances add along it (series), every edge is a bridge (τ = 1).
    const w = [1, 2, 4, 0.5, 8, 1e-3, 1e3];
    const p = Graph.fromEdges([0, 1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7], w);
    const rp = effectiveResistances(p, { method: "exact", pairs: [[0, 7], [2, 5]] });
    expect(relErr(rp.resistances[0], w.reduce((s, x) => s + 1 / x, 0))).toBeLessThan(1e-8);
    expect(relErr(rp.resistances[1], 1 / 4 + 1 / 0.5 + 1 / 8)).toBeLessThan(1e-8);
    expect(maxRel(effectiveResistances(p, { method: "exact" }).leverage!, new Array(7).fill(1))).toBeLessThan(1e-8);
    const s = effectiveResistances(star(12), { method: "exact", pairs: [[0, 5], [3, 9]] });
    expect(maxRel(s.resistances, [1, 2])).toBeLessThan(1e-8);
  });

  it("matches an eigendecomposition oracle on random, weighted and disconnected graphs (γ = 0 and γ > 0)", () => {
    const graphs = [
      erdosRenyi(80, 0.1, { seed: 3 }),
      withLogUniformWeights(randomGeometric(90, 0.2, { seed: 4 }), 1e-2, 1e2, { seed: 5 }),
      disjointUnion([erdosRenyi(30, 0.3, { seed: 6 }), cycle(9), path(5), complete(1)]),
    ];
    for (const g of graphs) {
      for (const gamma of [0, 0.5, 20]) {
        const ex = effectiveResistances(g, { method: "exact", gamma });
        const want = pairResistances(denseInverse(g, gamma), g.u, g.v);
        expect(maxRel(ex.resistances, want)).toBeLessThan(1e-8);
        // d_eff(γ) = Σ_i λ_i/(λ_i + γ); at γ = 0, n − c exactly.
        if (gamma === 0) expect(Math.abs(ex.deff! - (g.n - g.components().count))).toBeLessThan(1e-8 * g.n);
        else expect(ex.deff!).toBeLessThan(g.n - g.components().count);
      }
    }
  });

  it("pairs: Infinity across components at γ = 0 (finite for γ > 0), 0 for (u, u); leverage only for edges", () => {
    const g = disjointUnion([complete(4), complete(3)]);
    const r0 = effectiveResistances(g, { method: "exact", pairs: [[0, 5], [1, 1], [0, 2]] });
    expect(r0.resistances[0]).toBe(Infinity);
    expect(r0.resistances[1]).toBe(0);
    expect(r0.resistances[2]).toBeCloseTo(0.5, 12);
    expect(r0.leverage).toBeNull();
    expect(r0.deff).toBeNull();
    const r1 = effectiveResistances(g, { method: "exact", gamma: 1, pairs: [[0, 5]] });
    // (L + I)⁻¹ does not couple the components: r = [(L₁+I)⁻¹]_00 + [(L₂+I)⁻¹]_22 = (1+1/4·… ) > 0.
    const want = pairResistances(denseInverse(g, 1), [0], [5])[0];
    expect(relErr(r1.resistances[0], want)).toBeLessThan(1e-8);
    // JL agrees on Infinity too.
    expect(effectiveResistances(g, { method: "jl", k: 8, pairs: [[0, 5]] }).resistances[0]).toBe(Infinity);
  });
});

describe("JL resistances", () => {
  it("median relative error within 15 % at k = 8 ln n; Σ τ within 5 % of n − c; seeded", () => {
    const g = erdosRenyi(600, 0.03, { seed: 11 });
    const exact = effectiveResistances(g, { method: "exact" });
    const k = Math.ceil(8 * Math.log(g.n));
    const jl = effectiveResistances(g, { method: "jl", k, seed: 2 });
    expect(jl.method).toBe("jl");
    expect(jl.k).toBe(k);
    const errs = sorted(Array.from(jl.resistances, (x, i) => relErr(x, exact.resistances[i])));
    expect(quantile(errs, 0.5)).toBeLessThan(0.15);
    expect(Math.abs(jl.deff! / (g.n - g.components().count) - 1)).toBeLessThan(0.05);
    // Same seed, same bits; another seed, other numbers.
    const again = effectiveResistances(g, { method: "jl", k, seed: 2 });
    expect(Array.from(again.resistances)).toEqual(Array.from(jl.resistances));
    expect(effectiveResistances(g, { method: "jl", k, seed: 3 }).resistances[0]).not.toBe(jl.resistances[0]);
    // k from ε: ⌈4·ln n/ε²⌉.
    expect(effectiveResistances(g, { method: "jl", eps: 0.5 }).k).toBe(Math.ceil((4 * Math.log(600)) / 0.25));
    expect(jlVectors(600, 0.5)).toBe(Math.ceil((4 * Math.log(600)) / 0.25));
  });

  it("the √γ·I rows make ridge estimates unbiased (median ratio ≈ 1; without them it would be ≈ 0.8)", () => {
    const g = randomGeometric(300, 0.12, { seed: 8 });
    const gamma = 5;
    const exact = effectiveResistances(g, { method: "exact", gamma });
    const jl = effectiveResistances(g, { method: "jl", k: 400, gamma, seed: 1 });
    const ratios = sorted(Array.from(jl.resistances, (x, i) => x / exact.resistances[i]));
    expect(Math.abs(quantile(ratios, 0.5) - 1)).toBeLessThan(0.04);
    expect(Math.abs(jl.deff! / exact.deff! - 1)).toBeLessThan(0.05);
    // What the uncorrected sketch estimates, r_γ − γ‖(L+γI)⁻¹b‖², is well below r_γ here: the
    // test above would fail without the correction.
    const inv = denseInverse(g, gamma);
    const n = g.n;
    let below = 0;
    for (let e = 0; e < g.m; e++) {
      const a = g.u[e], b = g.v[e];
      let s = 0;
      for (let i = 0; i < n; i++) {
        const x = inv.data[i * n + a] - inv.data[i * n + b];
        s += x * x;
      }
      if ((exact.resistances[e] - gamma * s) / exact.resistances[e] < 0.9) below++;
    }
    expect(below / g.m).toBeGreaterThan(0.5);
  });

  it("does not depend on how the columns are blocked", () => {
    const g = erdosRenyi(150, 0.1, { seed: 21 });
    const runs = [4, 7, 32, 70].map((blockColumns) => {
      const solver = new LaplacianSolver(g, { shift: 0.3, tol: 1e-3 });
      const rng = new Rng(9, 0);
      try {
        const s = sketchResistances(solver, 0.3, g.u, g.v, 70, rng, { blockColumns });
        return { sums: Array.from(s.sums), after: Array.from(rng.uniform(2)) };
      } finally {
        rng.dispose();
        solver.dispose();
      }
    });
    for (const r of runs.slice(1)) {
      expect(r.sums).toEqual(runs[0].sums);
      expect(r.after).toEqual(runs[0].after); // the generator ends after the whole sketch
    }
  });

  it("reports progress per block of columns and stops on an abort", () => {
    const g = erdosRenyi(200, 0.05, { seed: 1 });
    const seen: number[] = [];
    const sync = effectiveResistances(g, { method: "jl", k: 70, onProgress: (p) => {
      seen.push(p.done);
      expect(p).toMatchObject({ total: 70, unit: "columns" });
      expect(p.products).toBeGreaterThan(0);
    } });
    expect(seen.at(-1)).toBe(70);
    expect(seen.some((c) => c > 0 && c < 70)).toBe(true);
    expect(() => effectiveResistances(g, { method: "jl", k: 8, onProgress: 3 as never })).toThrow(/onProgress must be a function/);
    const ac = new AbortController();
    expect(() => effectiveResistances(g, {
      method: "jl", k: 70, signal: ac.signal, onProgress: () => ac.abort(new Error("stop here")),
    })).toThrow(/stop here/);
  });

  it("effectiveResistancesAsync gives the same bits and can be aborted by a timer", async () => {
    const g = erdosRenyi(300, 0.05, { seed: 2 });
    const a = await effectiveResistancesAsync(g, { method: "jl", k: 80, seed: 5 });
    const b = effectiveResistances(g, { method: "jl", k: 80, seed: 5 });
    expect(Array.from(a.resistances)).toEqual(Array.from(b.resistances));
    const big = path(20000);
    await expect(effectiveResistancesAsync(big, { method: "jl", k: 200, tol: 1e-12, maxIter: 50000, signal: AbortSignal.timeout(30) })).rejects.toThrow(/timed out|abort/i);
  });
});

describe("validation", () => {
  it("rejects bad pairs, options and sizes with typed errors", () => {
    const g = complete(5);
    expect(() => effectiveResistances(g, { pairs: [[0, 5]] })).toThrow(/pairs\[0\]\[1\] is 5; node ids must be integers in \[0, 5\)/);
    expect(() => effectiveResistances(g, { pairs: { u: [0, 1], v: [1] } })).toThrow(ShapeError);
    expect(() => effectiveResistances(g, { pairs: { u: [0.5], v: [1] } })).toThrow(ValueError);
    expect(() => effectiveResistances(g, { gama: 1 } as never)).toThrow(/did you mean "gamma"/);
    expect(() => effectiveResistances(g, { gamma: -1 })).toThrow(ValueError);
    expect(() => effectiveResistances(g, { method: "dense" as never })).toThrow(/method must be/);
    expect(() => effectiveResistances(g, { method: "jl", eps: 0.5, k: 10 })).toThrow(/eps or k, not both/);
    expect(() => effectiveResistances(g, { method: "jl", eps: 1.5 })).toThrow(/eps must be in \(0, 1\]/);
    expect(() => effectiveResistances(g, { method: "exact", k: 10 })).toThrow(/apply to method "jl"/);
    expect(() => effectiveResistances(path(5000), { method: "exact" })).toThrow(ShapeError);
    expect(() => effectiveResistances({} as Graph)).toThrow(/must be a Graph/);
  });

  it("auto: exact up to 1000 nodes, JL above", () => {
    expect(effectiveResistances(complete(10)).method).toBe("exact");
    const big = effectiveResistances(path(1500), { tol: 1e-6 });
    expect(big.method).toBe("jl");
    expect(big.k).toBe(jlVectors(1500, 0.5));
  });
});

describe("one-shot Spielman–Srivastava sampling", () => {
  let g: Graph;
  beforeAll(() => {
    g = erdosRenyi(250, 0.8, { seed: 3 });
  });
  it("bernoulli and replacement give ε-sparsifiers with fewer edges; seeded; unbiased weights", () => {
    for (const sampling of ["bernoulli", "replacement"] as const) {
      const a = sparsify(g, { eps: 0.7, sampling, seed: 4 });
      const err = spectralError(g, a.graph, 0).err;
      expect(err).toBeLessThan(0.7);
      expect(a.graph.m).toBeLessThan(g.m);
      expect(a.graph.n).toBe(g.n);
      const b = sparsify(g, { eps: 0.7, sampling, seed: 4 });
      expect(Array.from(b.graph.w)).toEqual(Array.from(a.graph.w));
      if (sampling === "replacement") expect(a.samples).toBe(Math.ceil(((4 * Math.log(g.n)) / 0.49) * a.deff));
    }
    // Bernoulli weights are w/p: the total weight is unbiased (within 4 σ of m over 6 seeds).
    let total = 0;
    for (let s = 0; s < 6; s++) total += sparsify(g, { eps: 0.9, seed: 10 + s, resistances: "exact" }).graph.totalWeight();
    expect(Math.abs(total / 6 / g.totalWeight() - 1)).toBeLessThan(0.03);
  });

  it("keeps every bridge (p = 1) and accepts given resistances; the ridge variant keeps fewer edges", () => {
    const b = barbell(30);
    const r = effectiveResistances(b, { method: "exact" }).resistances;
    const h = sparsify(b, { eps: 0.9, resistances: r, seed: 1 });
    const bridge = h.graph.u.findIndex((x, e) => x === 29 && h.graph.v[e] === 30);
    expect(bridge).toBeGreaterThanOrEqual(0);
    expect(h.graph.w[bridge]).toBe(1);
    expect(h.resistances).toBeNull();
    const ridge = sparsify(g, { eps: 0.7, gamma: 100, seed: 4 });
    expect(ridge.deff).toBeLessThan(sparsify(g, { eps: 0.7, seed: 4 }).deff * 0.8);
    expect(ridge.graph.m).toBeLessThan(sparsify(g, { eps: 0.7, seed: 4 }).graph.m);
    expect(spectralError(g, ridge.graph, 100).err).toBeLessThan(0.7);
    expect(() => sparsify(g, { resistances: [1, 2] })).toThrow(ShapeError);
    expect(() => sparsify(g, { sampling: "poisson" as never })).toThrow(/sampling must be/);
  });
});
