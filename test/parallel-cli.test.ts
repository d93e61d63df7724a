// seqlearn leaf / merge / tree / inspect, run in-process on temporary files and compared
// with the SDK's disqueak() on the same data.
import { describe, it, expect, beforeAll, vi } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, Rng, Matrix, rbf, disqueak, encodeDictionary, planTree, DictionaryFormatError } from "../sdk/index.js";
import { invoke, UsageError, type Command } from "../sdk/cli/command.js";
import { leaf, merge, tree, inspect } from "../sdk/cli/commands/disqueak.js";

let dir = "";
let X: Matrix;
const common = ["--lambda", "1", "--gamma", "0.5", "--qbar", "8", "--seed", "5"];

function csv(M: Matrix, from: number, to: number): string {
  let s = "a,b,c\n";
  for (let i = from; i < to; i++) s += `${M.data[3 * i]},${M.data[3 * i + 1]},${M.data[3 * i + 2]}\n`;
  return s;
}
const run = (cmd: Command<any>, argv: string[]) => invoke(cmd, argv);
let warnings: { mock: { calls: unknown[][] } };
const bytes = (f: string) => Array.from(readFileSync(join(dir, f)));

beforeAll(async () => {
  await init();
  dir = mkdtempSync(join(tmpdir(), "seqlearn-dq-"));
  const r = new Rng(8, 1);
  X = new Matrix(400, 3, r.normal(1200));
  r.dispose();
  writeFileSync(join(dir, "all.csv"), csv(X, 0, 400));
  for (let p = 0; p < 4; p++) writeFileSync(join(dir, `part${p}.csv`), csv(X, 100 * p, 100 * (p + 1)));
  vi.spyOn(console, "error").mockImplementation(() => {});
  vi.spyOn(console, "log").mockImplementation(() => {});
  warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
});

describe("seqlearn leaf / merge / tree", () => {
  it("tree over one file equals disqueak() in the SDK, and over part files equals tree over one file", async () => {
    const sdk = encodeDictionary((await disqueak(X, { kernel: rbf({ gamma: 0.5 }), lambda: 1, qbar: 8, seed: 5, leafSize: 100, workers: 0 })).dictionary);
    expect(await run(tree, [join(dir, "all.csv"), "--leaf-size", "100", "--workers", "2", "-o", join(dir, "t1.dict"), "--quiet", ...common])).toBe(0);
    expect(bytes("t1.dict")).toEqual(Array.from(sdk));
    expect(await run(tree, [0, 1, 2, 3].map((p) => join(dir, `part${p}.csv`)).concat(["--workers", "0", "-o", join(dir, "t2.dict"), "--quiet", ...common]))).toBe(0);
    expect(bytes("t2.dict")).toEqual(Array.from(sdk));
  });

  it("leaf and merge commands, one step at a time with the tree's leaf numbering, give the same file", async () => {
    for (let p = 0; p < 4; p++) {
      expect(await run(leaf, [join(dir, `part${p}.csv`), "--start", String(100 * p), "--node", String(p), "-o", join(dir, `n${p}.dict`), "--quiet", ...common])).toBe(0);
    }
    for (const m of planTree(4, "balanced").merges) {
      expect(await run(merge, [join(dir, `n${m.left}.dict`), join(dir, `n${m.right}.dict`), "--leaves", `${m.first}..${m.first + m.count - 1}`, "-o", join(dir, `n${m.node}.dict`), "--quiet"])).toBe(0);
    }
    expect(bytes("n6.dict")).toEqual(bytes("t1.dict"));
    expect(await run(inspect, [join(dir, "n6.dict")])).toBe(0);
    // The JSON form (inspect --json) is accepted by merge and gives the same result.
    const logs = (console.log as unknown as { mock: { calls: unknown[][] } }).mock.calls;
    const before = logs.length;
    expect(await run(inspect, [join(dir, "n0.dict"), "--json"])).toBe(0);
    writeFileSync(join(dir, "n0.json"), String(logs[before][0]));
    const json = JSON.parse(String(logs[before][0]));
    expect(json.format).toBe("seqlearn.dictionary/2");
    expect(json.params.lambda).toBe(1);
    expect(await run(merge, [join(dir, "n0.json"), join(dir, "n1.dict"), "--leaves", "0..1", "-o", join(dir, "j4.dict"), "--quiet"])).toBe(0);
    expect(bytes("j4.dict")).toEqual(bytes("n4.dict"));
    // The first release's JSON form (seqlearn.dictionary/1, the ridge named params.gamma) too.
    const { lambda, ...params } = json.params;
    writeFileSync(join(dir, "n0-v1.json"), JSON.stringify({ ...json, format: "seqlearn.dictionary/1", params: { ...params, gamma: lambda } }));
    expect(await run(merge, [join(dir, "n0-v1.json"), join(dir, "n1.dict"), "--leaves", "0..1", "-o", join(dir, "j4-v1.dict"), "--quiet"])).toBe(0);
    expect(bytes("j4-v1.dict")).toEqual(bytes("n4.dict"));
  });

  it("refuses overlapping parts, mismatched parameters, damaged files and missing options", async () => {
    await expect(run(merge, [join(dir, "n0.dict"), join(dir, "n0.dict"), "-o", join(dir, "x.dict")])).rejects.toThrow(/both dictionaries hold point 0/);
    expect(await run(leaf, [join(dir, "part1.csv"), "--start", "100", "-o", join(dir, "g2.dict"), "--quiet", "--lambda", "2", "--gamma", "0.5", "--qbar", "8", "--seed", "5"])).toBe(0);
    await expect(run(merge, [join(dir, "n0.dict"), join(dir, "g2.dict"), "-o", join(dir, "x.dict")])).rejects.toThrow(/different lambda: 1 vs 2/);
    const damaged = readFileSync(join(dir, "n0.dict"));
    damaged[300] ^= 1;
    writeFileSync(join(dir, "bad.dict"), damaged);
    await expect(run(merge, [join(dir, "bad.dict"), join(dir, "n1.dict"), "-o", join(dir, "x.dict")])).rejects.toThrow(DictionaryFormatError);
    await expect(run(leaf, [join(dir, "part0.csv"), "-o", join(dir, "x.dict")])).rejects.toThrow(UsageError);
    await expect(run(merge, [join(dir, "n0.dict"), "-o", join(dir, "x.dict")])).rejects.toThrow(/expected two dictionary files/);
    await expect(run(merge, [join(dir, "n0.dict"), join(dir, "n1.dict"), "--leaves", "1..0", "-o", join(dir, "x.dict")])).rejects.toThrow(/--leaves must be <first>\.\.<last>/);
    await expect(run(tree, [join(dir, "all.csv"), "--shape", "star", "-o", join(dir, "x.dict"), ...common])).rejects.toThrow(/--shape must be balanced or chain/);
    await expect(run(leaf, [join(dir, "part0.csv"), "--eps", "1.5", "-o", join(dir, "x.dict"), ...common])).rejects.toThrow(/--eps must be < 1/);
  });
});

describe("names", () => {
  it("the current flags (--lambda) reach the SDK under its current names: no deprecation warning in any of the runs above", () => {
    expect(warnings.mock.calls.map((c) => String(c[0]))).toEqual([]);
  });
});
