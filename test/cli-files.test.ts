// The CLI as a careful Unix tool (issues 13 and 14): it never destroys a user's file, reports
// file problems as one line with the path, stops quietly when its reader closes the pipe,
// prints only JSON under --json, reads options from --config files, fits on the centres of a
// dictionary file, keeps its defaults fast on large inputs, and refuses data it cannot compute
// with (values beyond double precision) with a message that says what and where. Commands run
// in-process through runCli; the pipe test runs the bundled executable.
import { describe, it, expect, beforeAll } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { init, NystromKRR, decodeDictionary, encodeDictionary } from "../sdk/index.js";
import { readTable } from "../sdk/io/table.js";
import { runCli } from "../sdk/cli/app.js";
import { defaultBudget, LARGE_INPUT_ROWS } from "../sdk/cli/commands/fit.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const exe = join(root, "dist-test", "cli", "cli-files.js") // two levels down, like dist/node/cli.js;
let dir = "";
const at = (f: string) => join(dir, f);

/** Run the CLI in this process; everything it prints is captured. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await runCli(args, { write: (s) => void out.push(s), out: (s) => void out.push(s + "\n"), err: (s) => void err.push(s + "\n"), warned: new Set(), warn: (s) => void err.push(s + "\n") });
  return { code, out: out.join(""), err: err.join("") };
}

/** Seeded smooth data: y = sin(2·x1) + x2², as CSV with a header. */
function csv(n: number, seed: number, extra = ""): string {
  let s = seed >>> 0;
  const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  let text = "x1,x2,y\n";
  for (let i = 0; i < n; i++) {
    const x1 = 4 * u() - 2, x2 = 4 * u() - 2;
    text += `${x1},${x2},${Math.sin(2 * x1) + x2 * x2}\n`;
  }
  return text + extra;
}

const FIT = ["--target", "y", "--gamma", "0.5", "--ridge", "0.01", "--lambda", "0.01", "--qbar", "4", "--seed", "3", "--quiet"];
const noStack = (s: string) => expect(s, s).not.toMatch(/\n\s+at .*[(:]\d+/);

beforeAll(async () => {
  const esbuild = await import("esbuild");
  mkdirSync(dirname(exe), { recursive: true });
  await esbuild.build({
    entryPoints: [join(root, "sdk/cli/main.ts")], outfile: exe, bundle: true, format: "esm", target: "es2022", platform: "node",
    external: ["node:*"], logLevel: "warning",
  });
  dir = mkdtempSync(join(tmpdir(), "seqlearn-files-"));
  writeFileSync(at("train.csv"), csv(200, 1));
  writeFileSync(at("test.csv"), csv(60, 2));
  await init();
  expect((await cli(["fit", at("train.csv"), ...FIT, "-o", at("model.json")])).code).toBe(0);
});

describe("never destroy a user's file", () => {
  it("an existing output is kept unless --force is given, and the message says so", async () => {
    writeFileSync(at("mine.csv"), "precious\n");
    const r = await cli(["predict", at("model.json"), at("test.csv"), "-o", at("mine.csv")]);
    expect(r.code).toBe(1); // was: silently replaced
    expect(r.err).toMatch(/-o .*mine\.csv: a file of that name already exists; give --force to replace it/);
    expect(readFileSync(at("mine.csv"), "utf8")).toBe("precious\n");
    const f = await cli(["predict", at("model.json"), at("test.csv"), "-o", at("mine.csv"), "--force", "--quiet"]);
    expect(f.code, f.err).toBe(0);
    expect(readFileSync(at("mine.csv"), "utf8").split("\n")[0]).toBe("prediction");
  });

  it("every writing command checks its output before any work", async () => {
    writeFileSync(at("taken"), "keep me\n");
    writeFileSync(at("late-bad.csv"), csv(50, 3, "1,oops,2\n")); // fails only at its last line
    const dict = at("ok.dict");
    expect((await cli(["leaf", at("train.csv"), "--lambda", "1", "--features", "x1,x2", "-o", dict, "--quiet"])).code).toBe(0);
    const runs: string[][] = [
      ["fit", at("late-bad.csv"), ...FIT, "-o", at("taken")],
      ["predict", at("model.json"), at("late-bad.csv"), "-o", at("taken")],
      ["rls", at("late-bad.csv"), "--target", "y", "-o", at("taken")],
      ["leaf", at("late-bad.csv"), "--lambda", "1", "--target", "y", "-o", at("taken")],
      ["merge", dict, dict, "-o", at("taken")],
      ["tree", at("late-bad.csv"), "--lambda", "1", "--target", "y", "--workers", "0", "-o", at("taken")],
      ["game", "--iters", "3", "--out", at("taken")],
    ];
    for (const argv of runs) {
      const r = await cli(argv);
      expect(r.code, argv.join(" ")).toBe(1);
      expect(r.err, argv[0]).toMatch(/already exists; give --force/); // not the data error of the last line
      expect(readFileSync(at("taken"), "utf8")).toBe("keep me\n");
    }
    // tour: its two plots, in --out.
    mkdirSync(at("tour"), { recursive: true });
    writeFileSync(at("tour/seqlearn-tour-rmse.svg"), "mine");
    const t = await cli(["tour", "--quick", "--out", at("tour")]);
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/seqlearn-tour-rmse\.svg: a file of that name already exists/);
    expect(readFileSync(at("tour/seqlearn-tour-rmse.svg"), "utf8")).toBe("mine");
  });

  it("an output that is one of the inputs is refused, also through a link", async () => {
    const model = readFileSync(at("model.json"), "utf8"), data = readFileSync(at("test.csv"), "utf8");
    for (const o of [at("test.csv"), at("model.json")]) {
      const r = await cli(["predict", at("model.json"), at("test.csv"), "-o", o, "--force"]);
      expect(r.code).toBe(2); // was: predict truncated its own input before reading it
      expect(r.err).toMatch(/is an input of this command/);
    }
    symlinkSync(at("test.csv"), at("alias.csv"));
    expect((await cli(["predict", at("model.json"), at("alias.csv"), "-o", at("test.csv"), "--force"])).code).toBe(2);
    expect(readFileSync(at("model.json"), "utf8")).toBe(model);
    expect(readFileSync(at("test.csv"), "utf8")).toBe(data);
  });

  it("a symbolic link at the output is replaced (with --force), never written through", async () => {
    writeFileSync(at("target.txt"), "the link's target\n");
    symlinkSync(at("target.txt"), at("link.csv"));
    const r = await cli(["predict", at("model.json"), at("test.csv"), "-o", at("link.csv"), "--quiet"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/a symbolic link of that name already exists; give --force .*never the file it points to/);
    expect(readlinkSync(at("link.csv"))).toBe(at("target.txt"));
    const f = await cli(["predict", at("model.json"), at("test.csv"), "-o", at("link.csv"), "--quiet", "--force"]);
    expect(f.code, f.err).toBe(0);
    expect(lstatSync(at("link.csv")).isSymbolicLink()).toBe(false); // the link itself was replaced
    expect(readFileSync(at("link.csv"), "utf8").startsWith("prediction\n")).toBe(true);
    expect(readFileSync(at("target.txt"), "utf8")).toBe("the link's target\n"); // was: overwritten through the link
  });

  it("-o into a missing folder, or onto a folder, is refused before the work, in one line", async () => {
    const r = await cli(["fit", at("late-bad.csv"), ...FIT, "-o", at("no/such/dir/m.json")]);
    expect(r.code).toBe(1); // was: the data error (or a stack trace) after reading everything
    expect(r.err).toMatch(/^seqlearn fit: -o .*no\/such\/dir\/m\.json: the folder .*no\/such\/dir does not exist \(create it first\)\n$/);
    mkdirSync(at("adir"), { recursive: true });
    const d = await cli(["predict", at("model.json"), at("test.csv"), "-o", at("adir"), "--force"]);
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/adir: it is a folder; give a file name\n$/);
    writeFileSync(at("plainfile"), "x");
    const nd = await cli(["rls", at("train.csv"), "--target", "y", "-o", at("plainfile/scores.csv")]);
    expect(nd.code).toBe(1);
    expect(nd.err).toMatch(/plainfile is not a folder/);
    if (process.getuid?.() !== 0) { // (root may write anywhere)
      mkdirSync(at("ro"), { recursive: true });
      chmodSync(at("ro"), 0o555);
      const ro = await cli(["fit", at("train.csv"), ...FIT, "-o", at("ro/m.json")]);
      expect(ro.err).toMatch(/cannot write in the folder/);
      chmodSync(at("ro"), 0o755);
    }
    for (const x of [r, d, nd]) noStack(x.err);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("file problems with inputs are one line naming the path, never a stack trace", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["predict", at("nope.json"), at("test.csv")], /cannot read model file ".*nope\.json": no such file/],
      [["predict", at("adir"), at("test.csv")], /cannot read model file ".*adir": it is a folder/],
      [["fit", at("adir"), ...FIT, "-o", at("m9.json")], /adir.*is a directory|adir.*folder/],
      [["merge", at("adir"), at("ok.dict"), "-o", at("m9.dict")], /cannot read dictionary file .*adir: it is a folder/],
      [["inspect", at("nope.dict")], /cannot read dictionary file .*nope\.dict: no such file or folder/],
      [["fit", at("train.csv"), "--target", "y", "--dictionary", at("nope.dict"), "-o", at("m9.json")], /cannot read dictionary file .*nope\.dict: no such file or folder/],
      [["fit", at("train.csv"), "--config", at("nope.json"), "-o", at("m9.json")], /--config .*nope\.json: no such file or folder/],
    ];
    for (const [argv, msg] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(" ")).toBeGreaterThanOrEqual(1);
      expect(r.err, argv.join(" ")).toMatch(msg);
      expect(r.err.trim().split("\n").length, r.err).toBe(1); // was: 12 such cases printed a stack trace
      noStack(r.err);
    }
    expect(existsSync(at("m9.json"))).toBe(false);
  });
});

describe("a good Unix tool", () => {
  it("a closed stdout (`| head`) ends the command quietly", async () => {
    writeFileSync(at("many.csv"), csv(30000, 9));
    const child = spawn(process.execPath, [exe, "predict", at("model.json"), at("many.csv"), "--quiet"], { cwd: dir });
    let err = "";
    child.stderr.on("data", (b) => (err += b));
    // Read the first chunk, then close the pipe, as `head -n 1` does.
    await new Promise<void>((resolve) => child.stdout.once("data", () => { child.stdout.destroy(); resolve(); }));
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(err).toBe(""); // was: an EPIPE stack trace
    expect(code).toBe(0);
    // The same through a shell pipeline.
    const sh = spawnSync("bash", ["-c", `set -o pipefail; "${process.execPath}" "${exe}" predict model.json many.csv --quiet | head -n 2`], { cwd: dir, encoding: "utf8" });
    expect(sh.stdout.split("\n")[0]).toBe("prediction");
    expect(sh.stderr).toBe("");
    expect(sh.status).toBe(0);
  });

  it("--json prints only JSON on stdout; notes and progress go to stderr", async () => {
    expect((await cli(["leaf", at("test.csv"), "--lambda", "1", "--features", "x1,x2", "-o", at("j.dict"), "--quiet"])).code).toBe(0);
    const runs: string[][] = [
      ["fit", at("train.csv"), ...FIT.filter((a) => a !== "--quiet"), "-o", at("j.json"), "--json"],
      ["predict", at("model.json"), at("test.csv"), "-o", at("j.csv"), "--json"],
      ["rls", at("train.csv"), "--target", "y", "-o", at("j-scores.csv"), "--json"],
      ["tree", at("train.csv"), "--lambda", "1", "--target", "y", "--workers", "0", "-o", at("j-tree.dict"), "--json"],
      ["game", "--iters", "5", "--json", "--out", at("j.svg")],
      ["inspect", at("j.dict"), "--json"],
      ["info", "--json"],
    ];
    for (const argv of runs) {
      const r = await cli(argv);
      expect(r.code, `${argv.join(" ")}: ${r.err}`).toBe(0);
      expect(() => JSON.parse(r.out), `${argv[0]} --json stdout: ${r.out.slice(0, 200)}`).not.toThrow(); // was: "predictions written to …" mixed in
    }
    const p = await cli(["predict", at("model.json"), at("test.csv"), "--json"]);
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/--json prints the metrics as JSON on stdout, where the predictions would go: give -o/);
  });

  it("--config file.json fills the options, and the command line wins", async () => {
    writeFileSync(at("cfg.json"), JSON.stringify({ target: "y", gamma: 0.5, ridge: 0.01, lambda: 0.01, qbar: 4, seed: 3, quiet: true }));
    const a = await cli(["fit", at("train.csv"), "--config", at("cfg.json"), "-o", at("cfg-model.json")]);
    expect(a.code, a.err).toBe(0);
    const stable = (f: string) => {
      const m = JSON.parse(readFileSync(f, "utf8"));
      delete m.createdAt;
      delete m.training.seconds;
      return m;
    };
    expect(stable(at("cfg-model.json"))).toEqual(stable(at("model.json"))); // the same as the flags
    const b = await cli(["fit", at("train.csv"), "--config", at("cfg.json"), "--gamma", "0.25", "-o", at("cfg-model2.json")]);
    expect(b.code).toBe(0);
    expect(stable(at("cfg-model2.json")).params.kernel.gamma).toBe(0.25); // the command line wins
    writeFileSync(at("cfg-bad.json"), JSON.stringify({ target: "y", gama: 0.5 }));
    const c = await cli(["fit", at("train.csv"), "--config", at("cfg-bad.json"), "-o", at("x.json")]);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/"gama" in .*cfg-bad\.json: unknown option \(did you mean "gamma"\?\)/);
    writeFileSync(at("cfg-range.json"), JSON.stringify({ target: "y", eps: 2 }));
    expect((await cli(["fit", at("train.csv"), "--config", at("cfg-range.json"), "-o", at("x.json")])).err).toMatch(/"eps" in .*must be < 1/);
    writeFileSync(at("cfg-old.json"), JSON.stringify({ target: "y", gamma: 0.5, mu: 0.01, "lambda-gamma": 0.01, qbar: 4, seed: 3, quiet: true }));
    const d = await cli(["fit", at("train.csv"), "--config", at("cfg-old.json"), "-o", at("cfg-model3.json")]);
    expect(d.code, d.err).toBe(0);
    expect(d.err).toMatch(/"mu" is deprecated; use "ridge"/);
    expect(stable(at("cfg-model3.json"))).toEqual(stable(at("model.json")));
    writeFileSync(at("cfg-array.json"), "[1, 2]");
    expect((await cli(["fit", at("train.csv"), "--config", at("cfg-array.json"), "-o", at("x.json")])).err).toMatch(/must hold a JSON object/);
    expect(existsSync(at("x.json"))).toBe(false);
  });
});

describe("tree --keep", () => {
  it("writes every node's dictionary file (the root's is -o's bytes), and refuses to write over them without --force", async () => {
    const args = ["tree", at("train.csv"), "--lambda", "0.1", "--gamma", "0.5", "--qbar", "4", "--seed", "2", "--target", "y", "--quiet", "--workers", "0", "--leaf-size", "100"];
    const keep = at("kept-nodes");
    expect((await cli([...args, "-o", at("kept-root.dict"), "--keep", keep])).code).toBe(0);
    expect(readdirSync(keep).sort()).toEqual(["node-0.dict", "node-1.dict", "node-2.dict"]);
    expect(Array.from(readFileSync(join(keep, "node-2.dict")))).toEqual(Array.from(readFileSync(at("kept-root.dict"))));
    for (const f of ["node-0.dict", "node-1.dict"]) expect(decodeDictionary(readFileSync(join(keep, f))).size).toBeGreaterThan(0);
    const again = await cli([...args, "-o", at("kept-root2.dict"), "--keep", keep]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/node-0\.dict.*exists/);
    expect(existsSync(at("kept-root2.dict"))).toBe(false);
    expect((await cli([...args, "-o", at("kept-root2.dict"), "--keep", keep, "--force"])).code).toBe(0);
  });
});

describe("fit on the centres of a dictionary file; fast defaults", () => {
  it("fit --dictionary uses the points of a leaf / merge / tree dictionary as the centres", async () => {
    const common = ["--lambda", "0.1", "--gamma", "0.5", "--qbar", "4", "--seed", "2", "--target", "y", "--quiet"];
    expect((await cli(["tree", at("train.csv"), ...common, "--workers", "0", "--leaf-size", "100", "-o", at("centres.dict")])).code).toBe(0);
    const r = await cli(["fit", at("train.csv"), "--target", "y", "--ridge", "0.01", "--dictionary", at("centres.dict"), "-o", at("dict-model.json")]);
    expect(r.code, r.err).toBe(0); // was: not possible
    expect(r.out).toMatch(/fitted Nyström KRR on 200 rows × 2 features on the \d+ centres of .*centres\.dict \(disqueak\)/);
    const mf = JSON.parse(readFileSync(at("dict-model.json"), "utf8"));
    const dict = decodeDictionary(readFileSync(at("centres.dict")));
    expect(mf.scaling).toBeNull(); // the dictionary's points are in the features' own units
    expect(mf.model.centres.data).toEqual(Array.from(dict.points.data));
    // The model is the SDK's fit on the same centres.
    const t = await readTable(at("train.csv"), { target: "y" });
    const mean = t.y!.reduce((s, v) => s + v, 0) / t.y!.length;
    const want = NystromKRR.fit(dict, t.X, t.y!.map((v) => v - mean), { ridge: 0.01 });
    const got = NystromKRR.fromJSON(mf.model);
    const a = want.predict(t.X) as Float64Array, b = got.predict(t.X) as Float64Array;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-9 * (1 + Math.abs(a[i])));
    // Options that choose the centres or the kernel do not apply.
    expect((await cli(["fit", at("train.csv"), "--target", "y", "--dictionary", at("centres.dict"), "--gamma", "2", "-o", at("x.json")])).err).toMatch(/--gamma does not apply with --dictionary/);
    expect((await cli(["fit", at("train.csv"), "--target", "y", "--dictionary", at("centres.dict"), "--scale", "standard", "-o", at("x.json")])).err).toMatch(/--scale standard does not apply with --dictionary/);
    writeFileSync(at("one.csv"), "x1,y\n1,2\n3,4\n");
    expect((await cli(["fit", at("one.csv"), "--target", "y", "--dictionary", at("centres.dict"), "-o", at("x.json")])).err).toMatch(/points of dimension 2, but the data has 1 features/);
    // Its JSON form works the same.
    expect((await cli(["inspect", at("centres.dict"), "--json"])).code).toBe(0);
    writeFileSync(at("centres.json"), (await cli(["inspect", at("centres.dict"), "--json"])).out);
    const j = await cli(["fit", at("train.csv"), "--target", "y", "--ridge", "0.01", "--dictionary", at("centres.json"), "-o", at("dict-model-j.json"), "--quiet"]);
    expect(j.code, j.err).toBe(0);
    expect(JSON.parse(readFileSync(at("dict-model-j.json"), "utf8")).model).toEqual(mf.model);
  });

  it("large inputs get a default dictionary budget, stated with how to trade speed for accuracy", async () => {
    expect(defaultBudget(LARGE_INPUT_ROWS + 1)).toBe(256);
    expect(defaultBudget(300000)).toBe(500); // was: none (6 minutes on 300k rows × 5 features)
    expect(defaultBudget(100000)).toBe(317);
    let text = "x,y\n";
    for (let i = 0; i <= LARGE_INPUT_ROWS; i++) text += `${Math.sin(i)},${Math.cos(3 * i)}\n`;
    writeFileSync(at("large.csv"), text);
    const r = await cli(["fit", at("large.csv"), "--target", "y", "--gamma", "2", "--qbar", "2", "-o", at("large.json")]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/dictionary budget 256 \(the default for 20\.0k rows: ⌈√n⌉ clamped to \[256, 500\]\); to trade speed for accuracy: a larger --max-dictionary is more accurate and slower; --method uniform --centers <m> is the fastest/);
    const mf = JSON.parse(readFileSync(at("large.json"), "utf8"));
    expect(mf.params.maxDictionary).toBe(256);
    expect(mf.training.dictionarySize).toBeLessThanOrEqual(256);
    // Small inputs keep the unbudgeted default (and print no such line).
    expect((await cli(["fit", at("train.csv"), ...FIT.filter((a) => a !== "--quiet"), "-o", at("small.json")])).out).not.toMatch(/budget/);
  });
});

describe("values beyond double precision stop the CLI with a message, not a hang", () => {
  it("fit / rls with a 1e200 or 1e300 cell: the column or the line is named", async () => {
    writeFileSync(at("huge.csv"), csv(30, 4) + "1e300,0.5,1\n" + csv(5, 5).split("\n").slice(1).join("\n"));
    const f = await cli(["fit", at("huge.csv"), ...FIT, "-o", at("h.json")]);
    expect(f.code).toBe(1); // was: a hang
    expect(f.err).toMatch(/column "x1": standard scaling overflows double precision \(values up to 1\.000e\+300/);
    const none = await cli(["fit", at("huge.csv"), ...FIT, "--scale", "none", "-o", at("h.json")]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/huge\.csv, line 32: the features are too large for the kernel: their squared norm overflows double precision .*use --scale standard/);
    expect(none.err).not.toMatch(/NaN/); // was: "A[0, 2] is NaN" for an input without a NaN
    writeFileSync(at("huge2.csv"), csv(30, 4) + "1e200,0.5,1\n");
    const r = await cli(["rls", at("huge2.csv"), "--target", "y", "--scale", "none", "-o", at("h.csv")]);
    expect(r.code).toBe(1); // was: a hang
    expect(r.err).toMatch(/line 32: the features are too large for the kernel/);
    const re = await cli(["rls", at("huge2.csv"), "--target", "y", "--exact", "--scale", "none", "-o", at("h.csv")]);
    expect(re.err).toMatch(/line 32/);
    expect(existsSync(at("h.json")) || existsSync(at("h.csv"))).toBe(false);
  });

  it("a target of 1e300 fails instead of writing a model with RMSE Infinity", async () => {
    writeFileSync(at("bigy.csv"), csv(40, 6) + "0.5,0.5,1e300\n");
    const r = await cli(["fit", at("bigy.csv"), ...FIT, "-o", at("bigy.json")]);
    expect(r.code).toBe(1); // was: exit 0, "training RMSE Infinity, R² NaN", and a model file
    expect(r.err).toMatch(/target column "y": values up to 1\.000e\+300 are too large/);
    expect(existsSync(at("bigy.json"))).toBe(false);
  });

  it("merge: the two orders give the same bytes; a merge beyond the capacity fails before decoding", async () => {
    const common = ["--lambda", "1", "--gamma", "0.5", "--qbar", "4", "--seed", "5", "--features", "x1,x2", "--quiet"];
    writeFileSync(at("p0.csv"), csv(40, 7));
    writeFileSync(at("p1.csv"), csv(40, 8));
    expect((await cli(["leaf", at("p0.csv"), "--start", "0", "--node", "0", ...common, "-o", at("l0.dict")])).code).toBe(0);
    expect((await cli(["leaf", at("p1.csv"), "--start", "40", "--node", "1", ...common, "-o", at("l1.dict")])).code).toBe(0);
    expect((await cli(["merge", at("l0.dict"), at("l1.dict"), "-o", at("ab.dict"), "--quiet"])).code).toBe(0);
    expect((await cli(["merge", at("l1.dict"), at("l0.dict"), "-o", at("ba.dict"), "--quiet"])).code).toBe(0);
    expect(Array.from(readFileSync(at("ba.dict")))).toEqual(Array.from(readFileSync(at("ab.dict")))); // was: different bytes
    // Two crafted dictionaries of 5000 points each (d = 1): refused from their headers.
    const big = (start: number) => {
      const n = 5000;
      const pts = Float64Array.from({ length: n }, (_, i) => Math.sin(i + start));
      return encodeDictionary({
        size: n, indices: Float64Array.from({ length: n }, (_, i) => start + i), points: { rows: n, cols: 1, data: pts } as never,
        pTilde: new Float64Array(n).fill(1), copies: new Int32Array(n).fill(1), weights: new Float64Array(n).fill(1), tau: null,
        params: { method: "disqueak", kernel: { name: "rbf", gamma: 1 }, lambda: 1, eps: 0.5, qbar: 1, c: 1.5, cPref: 1, scale: 1, seed: 0, n, d: 1, deff: null, maxDictionary: null },
      });
    };
    writeFileSync(at("big0.dict"), big(0));
    writeFileSync(at("big1.dict"), big(5000));
    const t0 = performance.now();
    const m = await cli(["merge", at("big0.dict"), at("big1.dict"), "-o", at("bigm.dict")]);
    expect(m.code).toBe(1); // was: a buffer-length message, after allocating hundreds of MB
    expect(m.err).toMatch(/cannot merge dictionaries of 5000 and 5000 points: a merge holds at most 8192 points/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
