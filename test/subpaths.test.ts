// The package's public surface as a user meets it: the root "seqlearn" and its subpaths
// ("seqlearn/kernel", …), run from the built dist/ through the package's own name (Node and
// tsc resolve a package's name from inside it through the `exports` map of package.json).
//
// - package.json lists exactly the subpaths that scripts/bundle.mjs builds, each with its
//   types, and both files exist;
// - every subpath module is the namespace of the same name on the root, value for value, so
//   one name has one meaning whichever way it is imported;
// - the subpaths share the root's engine: a subpath used before `init()` of the root raises
//   EngineStateError, and works once the root is initialised (separate bundles would each
//   carry an engine of their own, and the second half would fail);
// - the types resolve: tsc accepts a consumer file that imports each subpath and names their
//   option and result types, and rejects internals and deep imports.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-ignore: plain .mjs build script
import { SUBPATHS, TARGETS, exportsMap } from "../scripts/bundle.mjs";
import * as Root from "../sdk/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist-test", "subpaths");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; exports: Record<string, unknown> };
const subpaths = SUBPATHS as string[];

/** Runs a module under dist-test/subpaths with Node; returns what it printed (one JSON value). */
function runNode(name: string, code: string): unknown {
  const file = join(out, name);
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, [file], { cwd: root, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${name} exited with ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout);
}

beforeAll(() => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
});

describe("subpath exports", () => {
  it("package.json exports the root and every subpath that the build bundles, with types, for every runtime target", () => {
    expect([...subpaths].sort()).toEqual(["align", "experiments", "games", "graph", "io", "kernel", "linalg", "parallel", "random"]);
    // The map is derived from scripts/bundle.mjs (`node scripts/exports.mjs --write`).
    expect(pkg.exports).toEqual(exportsMap());
    const files = ["./worker", "./seqlearn.wasm", "./seqlearn.wasi.wasm", "./wasm", "./wasi", "./data/*", "./package.json"];
    const listed = Object.keys(pkg.exports).filter((k) => k !== "." && !files.includes(k));
    expect(listed.sort()).toEqual(subpaths.map((s) => `./${s}`).sort());
    const leaves = (v: unknown): string[] => (typeof v === "string" ? [v] : Object.values(v as object).flatMap(leaves));
    for (const s of ["", ...subpaths]) {
      const entry = pkg.exports[s ? `./${s}` : "."] as Record<string, unknown>;
      const conditions = Object.keys(entry);
      expect(conditions[0], `exports["./${s}"]: types first, as TypeScript requires`).toBe("types");
      expect(conditions.at(-1), "default last").toBe("default");
      // workerd before worker and browser (wrangler sets all three), deno before node (Deno sets both)
      expect(conditions.indexOf("workerd")).toBeLessThan(conditions.indexOf("worker"));
      expect(conditions.indexOf("deno")).toBeLessThan(conditions.indexOf("node"));
      expect(entry.types).toBe(`./dist/types/${s ? `${s}/` : ""}index.d.ts`);
      for (const f of leaves(entry)) expect(existsSync(join(root, f)), `${f} is built`).toBe(true);
      for (const t of Object.values(TARGETS) as { dir: string }[]) {
        expect(leaves(entry), `the ${t.dir} build of ./${s}`).toContain(`./dist/${t.dir}/${s || "index"}.js`);
      }
    }
  });

  it("each subpath is the root's namespace of the same name, and kernels is an alias of kernel", async () => {
    for (const s of subpaths) {
      const ns = (Root as unknown as Record<string, Record<string, unknown>>)[s];
      const mod = (await import(`../sdk/${s}/index.ts`)) as Record<string, unknown>;
      expect(Object.keys(ns).sort(), `seqlearn.${s} and sdk/${s}/index.ts`).toEqual(Object.keys(mod).sort());
      for (const k of Object.keys(mod)) expect(ns[k], `${s}.${k}`).toBe(mod[k]);
    }
    expect(Root.kernels).toBe(Root.kernel);
    // the root's own names are the namespaces' values, not copies
    expect(Root.Squeak).toBe(Root.kernel.Squeak);
    expect(Root.nashMirrorProx).toBe(Root.games.nashMirrorProx);
    expect(Root.WorkerPool).toBe(Root.parallel.WorkerPool);
    expect(Root.readTable).toBe(Root.io.readTable);
    expect(Root.Rng).toBe(Root.random.Rng);
  });

  it("the built subpaths share the root's engine and classes", () => {
    const got = runNode("engine.mjs", `
      import * as kernel from "seqlearn/kernel";
      import * as random from "seqlearn/random";
      import * as games from "seqlearn/games";
      import * as linalg from "seqlearn/linalg";
      import * as parallel from "seqlearn/parallel";
      import * as io from "seqlearn/io";
      import * as root from "seqlearn";
      const facts = {};
      try {
        kernel.rbf({ gamma: 0.5 }).matrix([[0, 0], [1, 0]]);
        facts.before = "no error";
      } catch (e) {
        facts.before = e.name;
        facts.sameClass = e instanceof root.EngineStateError;
      }
      await root.init();
      const eng = root.getEngine();
      const live = eng.liveAllocations;
      const rng = new random.Rng(1);
      facts.allocated = eng.liveAllocations - live; // the subpath's Rng lives in the root's engine
      rng.dispose();
      facts.k = Array.from(kernel.rbf({ gamma: 0.5 }).matrix([[0, 0], [1, 0]]).data).map((v) => +v.toFixed(6));
      facts.chol = Array.from(linalg.cholesky([[4, 2], [2, 3]]).L.data).map((v) => +v.toFixed(6));
      facts.game = games.rps().n;
      facts.identical = [
        kernel.Squeak === root.Squeak, kernel.Squeak === root.kernel.Squeak, games.PreferenceGame === root.PreferenceGame,
        parallel.WorkerPool === root.WorkerPool, io.readTable === root.readTable, random.Rng === root.Rng, linalg.eigh === root.linalg.eigh,
      ];
      const table = await io.readTable(io.textSource("a,y\\n1,2\\n3,4\\n"), { target: "y" });
      facts.table = [table.X.rows, ...table.y];
      console.log(JSON.stringify(facts));
    `);
    expect(got).toEqual({
      before: "EngineStateError", sameClass: true, allocated: 1,
      k: [1, 0.606531, 0.606531, 1], chol: [2, 0, 1, 1.414214], game: 3,
      identical: [true, true, true, true, true, true, true], table: [2, 2, 4],
    });
  }, 60_000);

  it("a pool started from a subpath runs the package's tasks (the worker serves the same table)", () => {
    const got = runNode("pool.mjs", `
      import { init, Rng, Matrix, rbf, TASKS } from "seqlearn";
      import { disqueak, encodeDictionary } from "seqlearn/kernel";
      import { WorkerPool, InlinePool } from "seqlearn/parallel";
      await init();
      const r = new Rng(5);
      const X = new Matrix(300, 2, r.normal(600));
      r.dispose();
      const opts = { kernel: rbf({ gamma: 0.5 }), lambda: 1, qbar: 6, seed: 3, leafSize: 100 };
      const pool = await WorkerPool.create({ size: 2 });
      try {
        const a = await disqueak(X, { ...opts, pool });
        const b = await disqueak(X, { ...opts, pool: new InlinePool(TASKS) });
        const ea = encodeDictionary(a.dictionary), eb = encodeDictionary(b.dictionary);
        console.log(JSON.stringify({ m: a.dictionary.size > 0, same: ea.length === eb.length && ea.every((v, i) => v === eb[i]) }));
      } finally {
        await pool.close();
      }
    `);
    expect(got).toEqual({ m: true, same: true });
  }, 60_000);

  it("tsc resolves every subpath's types through the package name, and rejects internals", () => {
    const dir = join(out, "types");
    mkdirSync(dir, { recursive: true });
    const lines = [
      'import { init, Matrix, type SolverOptions, type GameRun, type SqueakOptions, type KrrOptions, type PoolOptions, type RunOptions, type MergeTreeResult, type TableOptions } from "seqlearn";',
      'import { Squeak, rbf, type DisqueakOptions, type RlsDictionary } from "seqlearn/kernel";',
      'import { nashMirrorProx, rps, type MtpoOptions } from "seqlearn/games";',
      'import { WorkerPool, runMergeTree, type MergeTreeOptions, type TaskTable } from "seqlearn/parallel";',
      'import { readTable, linePlot, type LinePlotOptions, type Table } from "seqlearn/io";',
      'import { cholesky, type CgOptions, type EighResult } from "seqlearn/linalg";',
      'import { Rng, nodeStream } from "seqlearn/random";',
      'import { runExperiment, type ExperimentRunOptions, type ExperimentRun } from "seqlearn/experiments";',
      "await init();",
      "const so: SolverOptions = { beta: 0.1, eta: 0.5, iters: 10 };",
      "const run: GameRun = nashMirrorProx(rps(), so);",
      "const sq: Partial<SqueakOptions> = { kernel: rbf({ gamma: 0.5 }), qbar: 4 };",
      "declare const s: Squeak;",
      "const d: RlsDictionary = s.dictionary();",
      "const ko: Partial<KrrOptions> = { chunk: 64 };",
      "const po: PoolOptions = { size: 2 };",
      "const ro: RunOptions = { retries: 1 };",
      "const dq: Partial<DisqueakOptions> = { leafSize: 10 };",
      "const mo: Partial<MtpoOptions> = {};",
      "const tree: Promise<MergeTreeResult<number>> = WorkerPool.create(po).then((p) => runMergeTree<number, number>(p, { leaves: [1], leafTask: \"a\", mergeTask: \"b\", seed: 1 } satisfies MergeTreeOptions<number, unknown>));",
      "const tasks: TaskTable = {};",
      "const to: TableOptions = { target: \"y\" };",
      "const t: Promise<Table> = readTable(\"x.csv\", to);",
      "const lp: LinePlotOptions = { series: [] };",
      "const svg: string = linePlot(lp);",
      "const cg: CgOptions = { tol: 1e-6 };",
      "const e: EighResult | null = null;",
      "const L: Matrix = cholesky([[1]]).L;",
      "const stream: number = nodeStream(0, 1) + new Rng(1).below(3);",
      "const xo: ExperimentRunOptions = { preset: \"smoke\", seeds: 3, workers: 0 };",
      "const xr: Promise<ExperimentRun> = runExperiment(\"demo-bandit\", xo);",
      "void [run, sq, d, ko, ro, dq, mo, tree, tasks, t, svg, cg, e, L, stream, readTable, xr];",
      'import { rebuildError } from "seqlearn/parallel"; // ERROR internal',
      'import { nodeSeed } from "seqlearn/random"; // ERROR internal',
      'import { StreamingDictionary } from "seqlearn/kernel"; // ERROR internal',
      'import { DictState } from "seqlearn/kernel"; // ERROR internal',
      'import { niceTicks } from "seqlearn/io"; // ERROR internal',
      'import { Squeak as Deep } from "seqlearn/kernel/squeak"; // ERROR not an export of the package',
      "void [rebuildError, nodeSeed, StreamingDictionary, DictState, niceTicks, Deep];",
      'const w: number = run.policy; // ERROR a policy is a Float64Array',
    ];
    writeFileSync(join(dir, "consumer.ts"), lines.join("\n") + "\n");
    const expected = lines.map((l, i) => (l.includes("// ERROR") ? i + 1 : 0)).filter((n) => n > 0);
    for (const [module, moduleResolution] of [["NodeNext", "NodeNext"], ["ESNext", "Bundler"]]) {
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
        compilerOptions: { target: "ES2022", module, moduleResolution, lib: ["ES2022", "DOM", "ESNext.Disposable"], types: ["node"], strict: true, noEmit: true, skipLibCheck: false },
        files: ["consumer.ts"],
      }));
      const r = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json"), "--pretty", "false"], { encoding: "utf8" });
      const errorLines = [...new Set([...r.stdout.matchAll(/consumer\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
      expect(errorLines, `${moduleResolution}:\n${r.stdout}`).toEqual(expected);
      // nothing outside the consumer (the package's declarations) has an error
      expect(r.stdout.split("\n").filter((l) => /error TS/.test(l) && !l.includes("consumer.ts(")), moduleResolution).toEqual([]);
    }
  }, 60_000);
});
