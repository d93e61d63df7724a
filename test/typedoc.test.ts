// The API reference is generated from the doc comments by TypeDoc (`npm run docs`, options in
// typedoc.json), over the package's entry points: the root ("seqlearn") and each subpath
// (seqlearn/kernel, …). TypeDoc's validation fails on an exported name without a doc comment
// (`validation.notDocumented`) and on a type that a public signature uses but no entry point
// exports (`validation.notExported`), with `treatWarningsAsErrors`. This test runs it (writing
// JSON, not HTML), checks that the reflection tree has the API in it, module by module, and
// checks on small fixtures that both kinds of omission really fail the run.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-ignore: plain .mjs build script
import { SUBPATHS } from "../scripts/bundle.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist-test", "typedoc");
const typedoc = (args: string[]) =>
  spawnSync(process.execPath, [join(root, "scripts", "typedoc", "run.mjs"), ...args], { cwd: root, encoding: "utf8", timeout: 110_000 });

interface Reflection { name: string; kind: number; variant?: string; target?: number; children?: Reflection[]; comment?: unknown; signatures?: { comment?: unknown }[] }

const MODULE = 2, NAMESPACE = 4, REFERENCE = 4194304;

/** Runs TypeDoc with the project's options over a one-file fixture; its exit status and output. */
function runFixture(name: string, source: string): { status: number | null; output: string } {
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.ts"), source);
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "ESNext", moduleResolution: "Bundler", skipLibCheck: true, types: [] }, include: ["index.ts"] }));
  // the project's TypeDoc options, pointed at the fixture
  const options = { ...JSON.parse(readFileSync(join(root, "typedoc.json"), "utf8")), entryPoints: [join(dir, "index.ts")], tsconfig: join(dir, "tsconfig.json") };
  writeFileSync(join(dir, "typedoc.json"), JSON.stringify(options));
  const r = typedoc(["--json", join(dir, "api.json"), "--options", join(dir, "typedoc.json")]);
  return { status: r.status, output: (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, "") };
}

describe("TypeDoc reference", () => {
  it("builds over the root and every subpath with every export documented", () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const options = JSON.parse(readFileSync(join(root, "typedoc.json"), "utf8"));
    // one entry point per public module: the root and the subpaths of package.json
    expect([...options.entryPoints].sort()).toEqual(["sdk/index.ts", ...SUBPATHS.map((s: string) => `sdk/${s}/index.ts`)].sort());
    expect(options.validation).toMatchObject({ notExported: true, notDocumented: true });
    const json = join(out, "api.json");
    const r = typedoc(["--json", json]);
    expect(r.status, `TypeDoc failed:\n${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, "")).toBe(0);
    const project = JSON.parse(readFileSync(json, "utf8")) as Reflection;
    const modules = new Map((project.children ?? []).filter((c) => c.kind === MODULE).map((m) => [m.name, m]));
    expect([...modules.keys()].sort()).toEqual(["seqlearn", ...SUBPATHS].sort());
    const names = (m: string) => new Set((modules.get(m)!.children ?? []).map((c) => c.name));
    const expected: Record<string, string[]> = {
      seqlearn: ["init", "Matrix", "Rng", "Squeak", "NystromKRR", "disqueak", "WorkerPool", "TASKS", "readTable", "nashMirrorProx", "SolverOptions", "GameRun", "PoolOptions", "kernel", "kernels", "games", "linalg", "parallel", "io", "random"],
      kernel: ["Squeak", "disqueak", "disqueakLeaf", "encodeDictionary", "DisqueakOptions", "KrrOptions"],
      games: ["PreferenceGame", "trainNashMP", "SolverOptions", "GameRun"],
      parallel: ["WorkerPool", "serveWorker", "runMergeTree", "MergeTreeResult", "PoolOptions", "RunOptions"],
      io: ["readTable", "linePlot", "TableOptions", "LinePlotOptions"],
      linalg: ["cholesky", "eigh", "CgOptions"],
      random: ["Rng", "nodeStream"],
    };
    for (const [m, list] of Object.entries(expected)) for (const n of list) expect(names(m).has(n), `the reference lists ${m}.${n}`).toBe(true);
    // internals stay out of every module
    for (const m of modules.keys()) {
      for (const n of ["rebuildError", "nodeSeed", "StreamingDictionary", "DictState", "engineConfig", "kernelCodeOf", "DISQUEAK_LEAF_TASK", "disqueakLeafTask", "textChunks"]) {
        expect(names(m).has(n), `${m} does not export the internal ${n}`).toBe(false);
      }
    }
    // the deprecated alias says so
    const alias = modules.get("seqlearn")!.children!.find((c) => c.name === "kernels")!;
    expect(JSON.stringify(alias.comment)).toMatch(/@deprecated/);
    // every export carries a comment (on itself or on its signatures); re-exports of a name
    // documented elsewhere (references) are checked where they are defined, and namespaces by
    // their module comments
    for (const [m, mod] of modules) {
      expect(mod.comment, `module ${m} has a module comment`).toBeTruthy();
      const bare = (mod.children ?? []).filter((c) => !c.comment && !(c.signatures ?? []).some((s) => s.comment) && c.kind !== NAMESPACE && c.kind !== REFERENCE);
      expect(bare.map((c) => `${m}.${c.name}`)).toEqual([]);
    }
  }, 120_000);

  it("fails on an exported name without a doc comment", () => {
    const r = runFixture("undocumented", "/** Documented. */\nexport function documented(): number {\n  return 1;\n}\nexport function undocumentedExport(): number {\n  return 2;\n}\n");
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/undocumentedExport.*does not have any documentation/);
  }, 60_000);

  it("fails on a public signature that uses a type no entry point exports", () => {
    const r = runFixture("not-exported", "/** Options of `run`. */\ninterface HiddenOptions {\n  /** A flag. */\n  flag?: boolean;\n}\n/** Runs. */\nexport function run(opts: HiddenOptions): number {\n  return opts.flag ? 1 : 0;\n}\n");
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/HiddenOptions.*referenced by.*run.*not included in the documentation/);
  }, 60_000);
});
