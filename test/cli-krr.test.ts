// End-to-end tests of `seqlearn fit / predict / rls / tour`: the CLI is bundled from the
// sources (as scripts/build.mjs does) into dist-test/ and run as a child process; its outputs
// are compared with the same computation done in-process through the SDK.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { init, Matrix, Squeak, NystromKRR, estimateRls, exactRls, rbf } from "../sdk/index.js";
import { readTable } from "../sdk/io/table.js";
import { RunningStats, applyScaling } from "../sdk/cli/scaling.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist-test", "cli", "cli-e2e.js"); // two levels down, like dist/node/cli.js
let dir = "";

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: "utf8", input, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Seeded data: y = sin(2·x1) + x2² + 0.05·noise, x ∈ [−2, 2]². */
function makeCsv(n: number, seed: number): { text: string; rows: number[][] } {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const rows: number[][] = [];
  let text = "x1,x2,y\n";
  for (let i = 0; i < n; i++) {
    const x1 = 4 * u() - 2, x2 = 4 * u() - 2;
    const y = Math.sin(2 * x1) + x2 * x2 + 0.05 * (u() - 0.5);
    rows.push([x1, x2, y]);
    text += `${x1},${x2},${y}\n`;
  }
  return { text, rows };
}

const P = { gamma: 0.5, ridge: 0.01, lambda: 0.01, qbar: 8, seed: 3 };
const fitArgs = ["--target", "y", "--gamma", String(P.gamma), "--ridge", String(P.ridge), "--lambda", String(P.lambda), "--qbar", String(P.qbar), "--seed", String(P.seed), "--quiet"];

/** What `seqlearn fit` should compute, done through the SDK. */
async function sdkModel(path: string) {
  const t = await readTable(path, { target: "y" });
  const st = new RunningStats(t.X.cols);
  st.push(t.X, t.y);
  const sc = st.scaling();
  const X = applyScaling(t.X, sc);
  const yOff = st.target().mean;
  const yc = t.y!.map((v) => v - yOff);
  const sq = new Squeak({ kernel: rbf({ gamma: P.gamma }), lambda: P.lambda, qbar: P.qbar, seed: P.seed, eps: 0.5 });
  sq.push(X);
  const dict = sq.dictionary();
  sq.dispose();
  const model = NystromKRR.fit(dict, X, yc, { ridge: P.ridge });
  return { model, dict, sc, yOff, X };
}

beforeAll(async () => {
  const esbuild = await import("esbuild");
  mkdirSync(dirname(cli), { recursive: true });
  await esbuild.build({
    entryPoints: [join(root, "sdk/cli/main.ts")],
    outfile: cli,
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "node",
    external: ["node:*"],
    logLevel: "warning",
  });
  dir = mkdtempSync(join(tmpdir(), "seqlearn-cli-"));
  writeFileSync(join(dir, "train.csv"), makeCsv(400, 1).text);
  writeFileSync(join(dir, "test.csv"), makeCsv(120, 2).text);
  await init();
});

describe("seqlearn fit → predict", () => {
  it("round trip: predictions equal the SDK's, metrics match the predictions", async () => {
    const f = run(["fit", "train.csv", ...fitArgs, "-o", "model.json"]);
    expect(f.err).toBe("");
    expect(f.code).toBe(0);
    const mf = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
    expect(mf.format).toBe("seqlearn.model/2");
    expect(mf.version).toBeUndefined();
    expect(mf.features).toEqual(["x1", "x2"]);
    expect(mf.target).toBe("y");

    const p = run(["predict", "model.json", "test.csv", "-o", "preds.csv"]);
    expect(p.code).toBe(0);
    const preds = readFileSync(join(dir, "preds.csv"), "utf8").trim().split("\n");
    expect(preds[0]).toBe("prediction");
    const got = preds.slice(1).map(Number);
    expect(got.length).toBe(120);

    const { model, dict, sc, yOff } = await sdkModel(join(dir, "train.csv"));
    expect(mf.training.dictionarySize).toBe(dict.size);
    const te = await readTable(join(dir, "test.csv"), { target: "y" });
    const want = model.predict(applyScaling(te.X, sc)) as Float64Array;
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - (want[i] + yOff))).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(got[i])));

    // The printed RMSE is the RMSE of the written predictions; the fit is good on this smooth target.
    let sse = 0;
    for (let i = 0; i < got.length; i++) sse += (got[i] - te.y![i]) ** 2;
    const rmse = Math.sqrt(sse / got.length);
    const m = p.out.match(/RMSE ([0-9.e+-]+), MAE ([0-9.e+-]+), R² ([0-9.e+-]+) over 120 rows/);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeCloseTo(rmse, 3);
    expect(rmse).toBeLessThan(0.1);

    // The training error stored in the model is the error of its predictions on the training file.
    const pt = run(["predict", "model.json", "train.csv", "--json", "-o", "preds-train.csv"]);
    expect(JSON.parse(pt.out.split("\n")[0]).rmse).toBeCloseTo(mf.training.trainRmse, 12);
    expect(mf.training.trainErrorRows).toBe(400);
  });

  it("JSON lines input gives the same model as CSV; predict reads stdin and writes stdout", async () => {
    const { rows } = makeCsv(400, 1);
    writeFileSync(join(dir, "train.jsonl"), rows.map(([x1, x2, y]) => JSON.stringify({ x1, x2, y })).join("\n") + "\n");
    expect(run(["fit", "train.jsonl", ...fitArgs, "-o", "model-j.json"]).code).toBe(0);
    expect(run(["fit", "train.csv", ...fitArgs, "-o", "model-c.json"]).code).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, "model-j.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(dir, "model-c.json"), "utf8"));
    expect(a.model).toEqual(b.model);
    const p = run(["predict", "model-c.json", "-"], readFileSync(join(dir, "test.csv"), "utf8"));
    expect(p.code).toBe(0);
    const lines = p.out.trim().split("\n");
    expect(lines.length).toBe(121);
    expect(p.err).toMatch(/RMSE/);
    // Without the target column there are predictions and no metrics.
    const noY = "x2,x1\n0.5,0.25\n";
    const q = run(["predict", "model-c.json", "-"], noY);
    expect(q.code).toBe(0);
    expect(q.err).toBe("");
    const one = Number(q.out.trim().split("\n")[1]);
    const { model, sc, yOff } = await sdkModel(join(dir, "train.csv"));
    const want = (model.predict(applyScaling(Matrix.fromRows([[0.25, 0.5]]), sc)) as Float64Array)[0] + yOff;
    expect(one).toBeCloseTo(want, 12); // columns matched by name, not position
  });

  it("uniform, ink and exact methods fit and predict; exact equals the SDK's exact KRR", async () => {
    for (const extra of [["--method", "uniform", "--centers", "50"], ["--method", "ink", "--centers", "40"], ["--method", "exact"]]) {
      const f = run(["fit", "train.csv", ...fitArgs.filter((a) => a !== "--qbar" && a !== String(P.qbar)), ...extra, "-o", "m2.json", "--json", "--force"]);
      expect(f.code, f.err).toBe(0);
      const facts = JSON.parse(f.out);
      expect(facts.rows).toBe(400);
      if (extra[1] === "uniform") expect(facts.dictionarySize).toBe(50);
      if (extra[1] === "ink") expect(facts.dictionarySize).toBeLessThanOrEqual(40);
      const p = run(["predict", "m2.json", "test.csv", "--json", "-o", "p2.csv", "--force"]);
      expect(p.code).toBe(0);
      expect(JSON.parse(p.out.split("\n")[0]).rmse).toBeLessThan(0.2);
      if (extra[1] === "exact") {
        const t = await readTable(join(dir, "train.csv"), { target: "y" });
        const st = new RunningStats(2);
        st.push(t.X, t.y);
        const X = applyScaling(t.X, st.scaling());
        const yOff = st.target().mean;
        const model = NystromKRR.fit("exact", X, t.y!.map((v) => v - yOff), { ridge: P.ridge, kernel: rbf({ gamma: P.gamma }) });
        const te = await readTable(join(dir, "test.csv"), { target: "y" });
        const want = model.predict(applyScaling(te.X, st.scaling())) as Float64Array;
        const got = readFileSync(join(dir, "p2.csv"), "utf8").trim().split("\n").slice(1).map(Number);
        for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i] + yOff, 10);
      }
    }
  });
});

describe("seqlearn rls", () => {
  it("scores equal the SDK estimator on the same dictionary; --exact equals exactRls", async () => {
    const r = run(["rls", "train.csv", "--target", "y", "--gamma", String(P.gamma), "--lambda", String(P.lambda), "--qbar", String(P.qbar), "--seed", String(P.seed), "-o", "scores.csv", "--quiet"]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe(""); // --lambda maps onto the SDK's current name: no deprecation warning
    const lines = readFileSync(join(dir, "scores.csv"), "utf8").trim().split("\n");
    expect(lines[0]).toBe("row,score");
    const got = lines.slice(1).map((l) => Number(l.split(",")[1]));
    expect(lines.slice(1).map((l) => Number(l.split(",")[0]))).toEqual(Array.from({ length: 400 }, (_, i) => i));
    const { dict, X } = await sdkModel(join(dir, "train.csv"));
    const want = estimateRls(dict, X);
    for (let i = 0; i < 400; i++) expect(got[i]).toBeCloseTo(want[i], 12);

    const e = run(["rls", "train.csv", "--target", "y", "--gamma", String(P.gamma), "--lambda", String(P.lambda), "--exact", "-o", "exact.csv", "--json"]);
    expect(e.code, e.err).toBe(0);
    expect(e.err).toBe("");
    const ex = readFileSync(join(dir, "exact.csv"), "utf8").trim().split("\n").slice(1).map((l) => Number(l.split(",")[1]));
    const ref = exactRls(X, rbf({ gamma: P.gamma }), P.lambda);
    for (let i = 0; i < 400; i++) expect(ex[i]).toBeCloseTo(ref.scores[i], 12);
    expect(JSON.parse(e.out.split("\n")[0]).deffEstimate).toBeCloseTo(ref.deff, 8);
    // The estimates are under-estimates of the exact scores by about (1 − ε) (Calandriello,
    // Lazaric & Valko, AISTATS 2017, Lemma 2).
    let ratio = 0;
    for (let i = 0; i < 400; i++) ratio += got[i] / ex[i] / 400;
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(1.0);
  });
});

describe("usage and data errors", () => {
  const usage: [string, string[], RegExp][] = [
    ["unknown option", ["fit", "train.csv", "--target", "y", "--gama", "1", "-o", "x.json"], /unknown option --gama \(did you mean --gamma\?\)/],
    ["missing target", ["fit", "train.csv", "-o", "x.json"], /--target <column> is required/],
    ["missing output", ["fit", "train.csv", "--target", "y"], /-o <model.json> is required/],
    ["no data file", ["fit", "--target", "y", "-o", "x.json"], /missing the data file/],
    ["non-numeric", ["fit", "train.csv", "--target", "y", "--mu", "abc", "-o", "x.json"], /--mu expects a number, got "abc"/],
    ["eps out of range", ["fit", "train.csv", "--target", "y", "--eps", "1.5", "-o", "x.json"], /--eps must be < 1/],
    ["bad method", ["fit", "train.csv", "--target", "y", "--method", "magic", "-o", "x.json"], /--method must be one of squeak, ink, uniform, exact/],
    ["uniform without m", ["fit", "train.csv", "--target", "y", "--method", "uniform", "-o", "x.json"], /needs --centers/],
    ["qbar not integer", ["fit", "train.csv", "--target", "y", "--qbar", "2.5", "-o", "x.json"], /--qbar expects an integer/],
    ["gamma and sigma", ["fit", "train.csv", "--target", "y", "--gamma", "1", "--sigma", "1", "-o", "x.json"], /--gamma or --sigma, not both/],
    ["bad kernel", ["fit", "train.csv", "--target", "y", "--kernel", "cosine", "-o", "x.json"], /--kernel must be one of/],
    ["boolean with a value", ["rls", "train.csv", "--lambda-gamma", "1", "--exact=yes"], /--exact takes no value/],
    ["rls ridge not positive", ["rls", "train.csv", "--lambda-gamma", "0"], /--lambda-gamma must be > 0/],
    ["lambda not positive", ["rls", "train.csv", "--lambda", "0"], /--lambda must be > 0, got 0 \(expected a number > 0\)/],
    ["ridge non-numeric", ["fit", "train.csv", "--target", "y", "--ridge", "abc", "-o", "x.json"], /--ridge expects a number, got "abc"/],
    ["old and new name", ["fit", "train.csv", "--target", "y", "--ridge", "1", "--mu", "1", "-o", "x.json"], /--mu is the old name of --ridge; give --ridge only/],
    ["unknown with suggestion", ["rls", "train.csv", "--lamda", "1"], /unknown option --lamda \(did you mean --lambda\?\)/],
    ["workers out of range", ["tree", "train.csv", "--lambda", "1", "--workers", "5000", "-o", "t.dict"], /--workers must be ≤ 1024, got 5000/],
    ["output is the input", ["fit", "train.csv", "--target", "y", "-o", "train.csv", "--quiet"], /-o train\.csv is an input of this command/],
    ["scores over the input", ["rls", "train.csv", "--target", "y", "-o", "./train.csv", "--quiet"], /is an input of this command/],
    ["predict arity", ["predict", "model.json"], /expected a model file and a data file/],
    ["tour positional", ["tour", "extra"], /takes no positional arguments/],
  ];
  it.each(usage)("%s → exit 2 with a usage message", (_name, args, msg) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err).toMatch(/usage: seqlearn/);
  });

  it("malformed rows → exit 1 naming the line and the column", () => {
    writeFileSync(join(dir, "bad.csv"), "x1,x2,y\n1,2,3\n4,5,6\n7,,9\n");
    const r = run(["fit", "bad.csv", "--target", "y", "-o", "x.json", "--quiet"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.csv, line 4, column 2 \("x2"\): missing value/);
    writeFileSync(join(dir, "bad2.csv"), "x1,x2,y\n1,2,3\n4,five,6\n");
    expect(run(["fit", "bad2.csv", "--target", "y", "-o", "x.json", "--quiet"]).err).toMatch(/line 3, column 2 \("x2"\): expected a number, got "five"/);
    writeFileSync(join(dir, "bad3.csv"), "x1,x2,y\n1,2,3\n4,5\n");
    expect(run(["fit", "bad3.csv", "--target", "y", "-o", "x.json", "--quiet"]).err).toMatch(/line 3: expected 3 fields/);
    writeFileSync(join(dir, "empty.csv"), "");
    expect(run(["fit", "empty.csv", "--target", "y", "-o", "x.json"]).err).toMatch(/empty input/);
    writeFileSync(join(dir, "head.csv"), "x1,x2,y\n");
    const h = run(["fit", "head.csv", "--target", "y", "-o", "x.json"]);
    expect(h.code).toBe(1);
    expect(h.err).toMatch(/no data rows after the header/);
    const m = run(["predict", "train.csv", "test.csv"]);
    expect(m.code).toBe(1);
    expect(m.err).toMatch(/not a seqlearn model file/);
    const f = run(["predict", "nope.json", "test.csv"]);
    expect(f.code).toBe(1);
    expect(f.err).toMatch(/cannot read model file "nope.json": no such file/);
    expect(existsSync(join(dir, "x.json"))).toBe(false);
  });

  it("predict refuses data without the model's feature columns", () => {
    expect(run(["fit", "train.csv", ...fitArgs, "-o", "model.json", "--force"]).code).toBe(0);
    writeFileSync(join(dir, "other.csv"), "a,b\n1,2\n");
    const r = run(["predict", "model.json", "other.csv"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no feature column "x1"/);
  });
});

describe("renamed flags, old model files, safe outputs", () => {
  const stable = (text: string) => {
    const m = JSON.parse(text);
    delete m.createdAt;
    delete m.training.seconds;
    return m;
  };

  it("--mu and --lambda-gamma still work, with one deprecation warning each, and give the same model", () => {
    const oldArgs = fitArgs.map((a) => (a === "--ridge" ? "--mu" : a === "--lambda" ? "--lambda-gamma" : a));
    const o = run(["fit", "train.csv", ...oldArgs, "--mu", String(P.ridge), "-o", "model-old.json"]);
    expect(o.code, o.err).toBe(0);
    expect(o.err).toBe("seqlearn: warning: --mu is deprecated; use --ridge\nseqlearn: warning: --lambda-gamma is deprecated; use --lambda\n");
    const n = run(["fit", "train.csv", ...fitArgs, "-o", "model-new.json"]);
    expect(n.err).toBe("");
    const a = stable(readFileSync(join(dir, "model-old.json"), "utf8")), b = stable(readFileSync(join(dir, "model-new.json"), "utf8"));
    expect(a).toEqual(b);
    expect(b.params).toMatchObject({ ridge: P.ridge, lambda: P.lambda, kernel: { name: "rbf", gamma: P.gamma } });
    const r = run(["rls", "train.csv", "--target", "y", "--rls-ridge", String(P.lambda), "--exact", "-o", "old-scores.csv", "--quiet"]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("seqlearn: warning: --rls-ridge is deprecated; use --lambda\n");
  });

  it("predict reads a version 1 model file ({ format: \"seqlearn-model\", version: 1 }, model seqlearn.krr/1) like the current one", () => {
    expect(run(["fit", "train.csv", ...fitArgs, "-o", "model-v2.json"]).code).toBe(0);
    const v2 = JSON.parse(readFileSync(join(dir, "model-v2.json"), "utf8"));
    expect(v2.format).toBe("seqlearn.model/2");
    expect(v2.model.format).toBe("seqlearn.krr/2");
    expect(v2.model).toMatchObject({ ridge: P.ridge, lambda: P.lambda });
    // The first release wrote the KRR model as seqlearn.krr/1, with the ridges named mu and gamma.
    const { format: _f, params, model, ...rest } = v2;
    const { ridge, lambda, ...modelRest } = model;
    const krr1 = { ...modelRest, format: "seqlearn.krr/1", mu: ridge, gamma: lambda };
    const v1 = { format: "seqlearn-model", version: 1, ...rest, model: krr1, params: { kernel: params.kernel, mu: params.ridge, gamma: params.lambda } };
    writeFileSync(join(dir, "model-v1.json"), JSON.stringify(v1) + "\n");
    // Files of the build that introduced seqlearn.model/2 still embed seqlearn.krr/1.
    writeFileSync(join(dir, "model-v2-krr1.json"), JSON.stringify({ ...v2, model: krr1 }) + "\n");
    const p1 = run(["predict", "model-v1.json", "test.csv", "-o", "p-v1.csv", "--quiet"]);
    const p2 = run(["predict", "model-v2.json", "test.csv", "-o", "p-v2.csv", "--quiet"]);
    const p21 = run(["predict", "model-v2-krr1.json", "test.csv", "-o", "p-v2-krr1.csv", "--quiet"]);
    expect(p1.code, p1.err).toBe(0);
    expect(p2.code).toBe(0);
    expect(p21.code, p21.err).toBe(0);
    expect(p1.err + p2.err + p21.err).toBe("");
    const got1 = readFileSync(join(dir, "p-v1.csv"), "utf8");
    expect(got1.split("\n").length).toBe(122);
    expect(got1).toBe(readFileSync(join(dir, "p-v2.csv"), "utf8"));
    expect(readFileSync(join(dir, "p-v2-krr1.csv"), "utf8")).toBe(got1);
    writeFileSync(join(dir, "model-v9.json"), JSON.stringify({ ...v2, format: "seqlearn.model/9" }));
    const p9 = run(["predict", "model-v9.json", "test.csv"]);
    expect(p9.code).toBe(1);
    expect(p9.err).toMatch(/version 9 is newer than this seqlearn understands/);
  });

  it("outputs are never half-written: a failed run leaves the earlier file and no temporary file", () => {
    writeFileSync(join(dir, "keep.csv"), "prediction\nearlier\n");
    writeFileSync(join(dir, "late-bad.csv"), "x1,x2,y\n" + "0.1,0.2,0.3\n".repeat(3000) + "1,oops,2\n");
    expect(run(["fit", "train.csv", ...fitArgs, "-o", "model.json", "--force"]).code).toBe(0);
    const p = run(["predict", "model.json", "late-bad.csv", "-o", "keep.csv", "--quiet", "--force"]);
    expect(p.code).toBe(1);
    expect(p.err).toMatch(/line 3002, column 2 \("x2"\): expected a number, got "oops"/);
    expect(readFileSync(join(dir, "keep.csv"), "utf8")).toBe("prediction\nearlier\n");
    const before = readFileSync(join(dir, "model.json"), "utf8");
    const f = run(["fit", "late-bad.csv", "--target", "y", "-o", "model.json", "--quiet", "--force"]);
    expect(f.code).toBe(1);
    expect(readFileSync(join(dir, "model.json"), "utf8")).toBe(before);
    expect(readdirSync(dir).filter((x) => x.endsWith(".tmp"))).toEqual([]);
    // the input named as output is refused before anything is written
    const train = readFileSync(join(dir, "train.csv"), "utf8");
    expect(run(["predict", "model.json", "train.csv", "-o", "train.csv"]).code).toBe(2);
    expect(readFileSync(join(dir, "train.csv"), "utf8")).toBe(train);
  });
});

describe("seqlearn tour", () => {
  it("prints the comparison table and writes the SVG plots", () => {
    const out = join(dir, "tour");
    const r = run(["tour", "--quick", "--out", out]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).not.toMatch(/deprecat/i);
    expect(r.out).toMatch(/exact KRR\s+1366/);
    expect(r.out).toMatch(/SQUEAK q̄=8/);
    expect(r.out).toMatch(/uniform \(same m\)/);
    for (const f of ["seqlearn-tour-error.svg", "seqlearn-tour-rmse.svg"]) {
      const svg = readFileSync(join(out, f), "utf8");
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).toContain("SQUEAK");
      expect((svg.match(/<polyline/g) ?? []).length).toBeGreaterThanOrEqual(2);
    }
    // The graph section: a k-NN graph of the same events, GSQUEAK against the baselines.
    expect(r.out).toMatch(/1707 nodes, [\d,]+ edges, 1 component/);
    for (const row of ["full graph G", "GSQUEAK \\(ε = 0\\.5\\)", "one-shot Spielman–Srivastava", "uniform edge sampling", "k-neighbour heuristic"]) {
      expect(r.out).toMatch(new RegExp(`${row}\\s+[\\d,]+\\s+[\\d.]+\\s+0\\.\\d{4}`));
    }
    const spectrum = readFileSync(join(out, "seqlearn-tour-graph-spectrum.svg"), "utf8");
    expect(spectrum).toMatch(/G \([\d,]+ edges\)/);
    expect(spectrum).toMatch(/H \([\d,]+ edges\)/);
    const curve = readFileSync(join(out, "seqlearn-tour-graph-error.svg"), "utf8");
    for (const name of ["GSQUEAK", "one-shot", "uniform edge sampling", "k-neighbour"]) expect(curve).toContain(name);
    expect((curve.match(/<polyline/g) ?? []).length).toBeGreaterThanOrEqual(4);
  });
});
