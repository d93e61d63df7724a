// `seqlearn sparsify` and `seqlearn ssl`: their files equal the SDK's results on the same
// input (GSQUEAK on any number of workers, the streaming pass, one-shot sampling at a target
// size, the harmonic classification on the graph and on its sparsifier), the summaries and
// the JSON report, the spectrum plot, and every bad input rejected with nothing written.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, DataError } from "../sdk/index.js";
import {
  Graph, gsqueak, sparsify, harmonicClassify, formatEdges, encodeSparsifier, stochasticBlockModel, blockLabels, erdosRenyi,
  spectralError, spectra, spectrumPlot, errorCurvePlot, readEdges,
} from "../sdk/graph/index.js";
import { invoke } from "../sdk/cli/command.js";
import { runCli } from "../sdk/cli/app.js";
import { sparsifyCommand, ssl } from "../sdk/cli/commands/sparsify.js";

let dir = "";
let g: Graph;
const sizes = [120, 120, 160];
const names = ["red", "green", "blue"];
let truth: Int32Array;

beforeAll(async () => {
  await init();
  dir = mkdtempSync(join(tmpdir(), "seqlearn-gcli-"));
  g = erdosRenyi(200, 0.5, { seed: 3, weights: [0.5, 2] });
  writeFileSync(join(dir, "er.csv"), formatEdges(g));
  const sbm = stochasticBlockModel(sizes, 0.3, 0.02, { seed: 11 });
  truth = blockLabels(sizes);
  writeFileSync(join(dir, "sbm.csv"), formatEdges(sbm));
  let l = "node,label\n# every 20th node\n", t = "";
  for (let i = 0; i < sbm.n; i++) {
    t += `${i},${names[truth[i]]}\n`;
    if (i % 20 === 7) l += `${i},${names[truth[i]]}\n`;
  }
  writeFileSync(join(dir, "labels.csv"), l);
  writeFileSync(join(dir, "truth.csv"), t);
});

const at = (f: string) => join(dir, f);
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await runCli(argv, { out: (s) => void out.push(s), err: (s) => void err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("seqlearn sparsify", () => {
  it("GSQUEAK: the file is gsqueak()'s graph, for any number of workers; the .spar file its dictionary; the summary", async () => {
    const sdk = await gsqueak(g, { eps: 0.5, gamma: 2, seed: 4, blockSize: 3000, workers: 0 });
    for (const workers of ["0", "2"]) {
      const r = await cli(["sparsify", at("er.csv"), "-o", at(`h${workers}.csv`), "--eps", "0.5", "--gamma", "2", "--seed", "4", "--block-size", "3000", "--workers", workers, "--spar", at(`h${workers}.spar`)]);
      expect(r.code, r.err).toBe(0);
      expect(readFileSync(at(`h${workers}.csv`), "utf8")).toBe(formatEdges(sdk.graph));
      expect(Array.from(readFileSync(at(`h${workers}.spar`)))).toEqual(Array.from(encodeSparsifier(sdk.dictionary)));
      expect(r.err).toContain(`200 nodes, ${g.m.toLocaleString("en-US")} edges, 1 component`);
      expect(r.err).toContain(`kept ${sdk.graph.m.toLocaleString("en-US")} of ${g.m.toLocaleString("en-US")} edges`);
      const eps = spectralError(g, sdk.graph, { gamma: 2 }).epsilon;
      expect(r.err).toContain(`ε = ${eps.toFixed(4)} (exact`);
    }
    // --json: the same facts, machine-readable, on stdout.
    const j = await cli(["sparsify", at("er.csv"), "-o", at("hj.csv"), "--gamma", "2", "--seed", "4", "--block-size", "3000", "--workers", "0", "--json"]);
    expect(j.code).toBe(0);
    const s = JSON.parse(j.out);
    expect(s).toMatchObject({ n: 200, edges: g.m, components: 1, method: "gsqueak", kept: sdk.graph.m, copies: sdk.copies, qualityMethod: "exact" });
    expect(s.deff).toBe(sdk.deff);
    expect(s.spectralError).toBe(spectralError(g, sdk.graph, { gamma: 2 }).epsilon);
    expect(s.spectralError).toBeLessThan(0.5);
    expect(j.err).toBe("");
  });

  it("--stream equals the chain-shaped tree; --method oneshot --edges equals sparsify({ edges }); the spectrum plot", async () => {
    const chain = await gsqueak(g, { eps: 0.5, seed: 1, blockSize: 2500, shape: "chain", workers: 0 });
    const r = await cli(["sparsify", at("er.csv"), "-o", at("st.csv"), "--stream", "--nodes", "200", "--seed", "1", "--block-size", "2500"]);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(at("st.csv"), "utf8")).toBe(formatEdges(chain.graph));
    expect(r.err).toContain("not measured (--stream keeps no copy of G)");
    const one = sparsify(g, { eps: 0.5, seed: 2, edges: 5000 });
    const o = await cli(["sparsify", at("er.csv"), "-o", at("os.csv"), "--method", "oneshot", "--edges", "5000", "--seed", "2", "--plot", at("spec.svg")]);
    expect(o.code, o.err).toBe(0);
    expect(readFileSync(at("os.csv"), "utf8")).toBe(formatEdges(one.graph));
    const svg = readFileSync(at("spec.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain(`G (${g.m.toLocaleString("en-US")} edges)`);
    expect(svg).toContain(`H (${one.graph.m.toLocaleString("en-US")} edges)`);
  });

  it("string ids survive; bad inputs and flags are refused with nothing written", async () => {
    writeFileSync(at("named.csv"), "a,b,1\nb,c,2\nc,a,1\nc,d,4\n");
    expect((await cli(["sparsify", at("named.csv"), "-o", at("named-h.csv"), "--quiet"])).code).toBe(0);
    const h = await readEdges(at("named-h.csv"));
    expect(h.nodeIds).toEqual(["a", "b", "c", "d"]);
    expect(h.m).toBe(4); // a triangle and a bridge: nothing can go at this size
    writeFileSync(at("bad.csv"), "0,1,1\n1,2,-2\n");
    const bad = await invoke(sparsifyCommand, [at("bad.csv"), "-o", at("bad-h.csv")]).then(() => null, (e: unknown) => e);
    expect(bad).toBeInstanceOf(DataError);
    expect(String((bad as Error).message)).toMatch(/line 2, column 3/);
    expect(existsSync(at("bad-h.csv"))).toBe(false);
    const usage: Array<[string[], RegExp]> = [
      [["--method", "oneshot", "--qbar", "10"], /--qbar applies to --method gsqueak/],
      [["--edges", "10"], /--edges .* applies to --method oneshot/],
      [["--stream"], /--stream needs --nodes/],
      [["--stream", "--nodes", "200", "--plot", at("x.svg")], /--plot and --quality need it/],
      [["--eps", "1.5"], /--eps/],
    ];
    for (const [flags, msg] of usage) {
      const r = await cli(["sparsify", at("er.csv"), "-o", at("u.csv"), ...flags]);
      expect(r.code, flags.join(" ")).toBe(2);
      expect(r.err).toMatch(msg);
      expect(existsSync(at("u.csv"))).toBe(false);
    }
    // The dense quality check is refused above 4,096 nodes before anything runs.
    writeFileSync(at("long.csv"), Array.from({ length: 4999 }, (_, i) => `${i},${i + 1}`).join("\n"));
    const long = await cli(["sparsify", at("long.csv"), "-o", at("long-h.csv"), "--quality", "exact"]);
    expect(long.code).toBe(2);
    expect(long.err).toMatch(/--quality exact is dense: up to 4096 nodes, the graph has 5000/);
    expect(existsSync(at("long-h.csv"))).toBe(false);
    // An existing output is kept without --force.
    writeFileSync(at("mine.csv"), "mine");
    const r = await cli(["sparsify", at("er.csv"), "-o", at("mine.csv")]);
    expect(r.code).toBe(1);
    expect(readFileSync(at("mine.csv"), "utf8")).toBe("mine");
  });
});

describe("seqlearn ssl", () => {
  it("predictions equal harmonicClassify on the graph, labels as given; accuracy against --truth", async () => {
    const sbm = stochasticBlockModel(sizes, 0.3, 0.02, { seed: 11 });
    const labeled: number[] = [], classes: number[] = [];
    // Classes in sorted label order: blue 0, green 1, red 2.
    const order = [...names].sort();
    for (let i = 7; i < sbm.n; i += 20) {
      labeled.push(i);
      classes.push(order.indexOf(names[truth[i]]));
    }
    const ref = harmonicClassify(sbm, labeled, classes, { classes: 3 });
    const r = await cli(["ssl", at("sbm.csv"), at("labels.csv"), "-o", at("pred.csv"), "--truth", at("truth.csv")]);
    expect(r.code, r.err).toBe(0);
    const rows = readFileSync(at("pred.csv"), "utf8").trim().split("\n");
    expect(rows[0]).toBe("node,label,labeled,score");
    expect(rows.length).toBe(sbm.n + 1);
    let right = 0, unl = 0;
    for (let i = 0; i < sbm.n; i++) {
      const [node, label, isLabeled, score] = rows[i + 1].split(",");
      expect(node).toBe(String(i));
      expect(label).toBe(order[ref.predictions[i]]);
      expect(isLabeled).toBe(labeled.includes(i) ? "1" : "0");
      expect(Number(score)).toBe(ref.scores.get(i, ref.predictions[i]));
      if (!labeled.includes(i)) {
        unl++;
        if (label === names[truth[i]]) right++;
      }
    }
    expect(r.err).toContain(`accuracy on ${unl} unlabelled nodes with a true label: ${(right / unl).toFixed(4)}`);
    expect(right / unl).toBeGreaterThan(0.95);
  });

  it("--sparsify --compare: classifies on a GSQUEAK sparsifier, within 2 points of the graph; soft method; JSON", async () => {
    const r = await cli(["ssl", at("sbm.csv"), at("labels.csv"), "-o", at("pred-h.csv"), "--truth", at("truth.csv"), "--sparsify", "--compare", "--seed", "3", "--json"]);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.sparsifier.kept).toBeLessThan(s.edges);
    expect(s.classes).toEqual(["blue", "green", "red"]);
    expect(Math.abs(s.accuracy - s.accuracyG)).toBeLessThanOrEqual(0.02);
    expect(s.agreement).toBeGreaterThan(0.97);
    const soft = await cli(["ssl", at("sbm.csv"), at("labels.csv"), "-o", at("pred-s.csv"), "--method", "soft", "--lambda", "0.003", "--gamma", "0.1", "--truth", at("truth.csv"), "--json"]);
    expect(soft.code, soft.err).toBe(0);
    expect(JSON.parse(soft.out).accuracy).toBeGreaterThan(0.95);
  });

  it("bad labels files and flags are refused with nothing written", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["unknown.csv", "node,label\n7,red\n999,blue\n", /line 3, column 1: node "999" is not a node of the graph/],
      ["twice.csv", "7,red\n8,blue\n7,green\n", /node "7" is labelled twice \(lines 1 and 3\)/],
      ["empty-label.csv", "7,red\n8,\n", /line 2, column 2: node "8" has an empty label/],
      ["one-column.csv", "7\n", /expected two columns/],
      ["none.csv", "node,label\n", /no labelled node/],
    ];
    for (const [name, text, msg] of cases) {
      writeFileSync(at(name), text);
      const e = await invoke(ssl, [at("sbm.csv"), at(name), "-o", at(`${name}.out`)]).then(() => null, (x: unknown) => x);
      expect(e, name).toBeInstanceOf(DataError);
      expect(String((e as Error).message), name).toMatch(msg);
      expect(existsSync(at(`${name}.out`))).toBe(false);
    }
    for (const [flags, msg] of [[["--lambda", "1"], /apply to --method soft/], [["--compare"], /--compare needs --sparsify/]] as Array<[string[], RegExp]>) {
      const r = await cli(["ssl", at("sbm.csv"), at("labels.csv"), "-o", at("x.csv"), ...flags]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
    }
    expect((await cli(["ssl", at("sbm.csv"), "-o", at("x.csv")])).code).toBe(2);
    expect(existsSync(at("x.csv"))).toBe(false);
  });
});

describe("plots", () => {
  it("spectra are the dense eigenvalues; spectrumPlot and errorCurvePlot draw their series", () => {
    const h = sparsify(g, { eps: 0.5, seed: 1, edges: 4000 }).graph;
    const s = spectra(g, h);
    expect(s.G.length).toBe(g.n);
    expect(s.G[0]).toBeLessThan(1e-9);
    // Courant–Fischer: λ_i(H) within the generalised eigenvalue range times λ_i(G).
    const { lambdaMin, lambdaMax } = spectralError(g, h);
    for (let i = 1; i < g.n; i++) {
      expect(s.H[i]).toBeGreaterThanOrEqual(lambdaMin * s.G[i] * (1 - 1e-9));
      expect(s.H[i]).toBeLessThanOrEqual(lambdaMax * s.G[i] * (1 + 1e-9));
    }
    const svg = spectrumPlot(g, h, { eps: 0.5, gamma: 1, names: ["graph", "sparsifier"] });
    expect(svg).toContain("graph");
    expect(svg).toContain("λ_i + γ (γ = 1; log scale)");
    const curve = errorCurvePlot([{ name: "GSQUEAK", edges: [300, 100], error: [0.2, 0.5] }, { name: "uniform", edges: [100, 300], error: [3, 0.4], dashed: true }], { m: 1000 });
    expect(curve).toContain("GSQUEAK");
    expect(curve).toContain("(of 1,000)");
    expect(() => errorCurvePlot([{ name: "x", edges: [1, 2], error: [1] }])).toThrow(/2 sizes and 1 errors/);
    expect(() => spectrumPlot(g, Graph.fromEdges([0], [1], null, { n: 3 }))).toThrow(/G has 200 nodes and H 3/);
  });
});
