// The API reference is generated from the doc comments by TypeDoc (`npm run docs`, options in
// typedoc.json), and TypeDoc's validation fails on an exported name without a doc comment
// (`validation.notDocumented` with `treatWarningsAsErrors`). This test runs it over the public
// entry point (writing JSON, not HTML), checks that the reflection tree has the API in it, and
// checks on a small fixture that an undocumented export really fails the run.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist-test", "typedoc");
const typedoc = (args: string[]) =>
  spawnSync(process.execPath, [join(root, "scripts", "typedoc", "run.mjs"), ...args], { cwd: root, encoding: "utf8", timeout: 110_000 });

interface Reflection { name: string; kind: number; target?: number; children?: Reflection[]; comment?: unknown; signatures?: { comment?: unknown }[] }

describe("TypeDoc reference", () => {
  it("builds over sdk/index.ts with every export documented", () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const json = join(out, "api.json");
    const r = typedoc(["--json", json]);
    expect(r.status, `TypeDoc failed:\n${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, "")).toBe(0);
    const project = JSON.parse(readFileSync(json, "utf8")) as Reflection;
    const names = new Set((project.children ?? []).map((c) => c.name));
    for (const n of ["init", "Matrix", "Squeak", "NystromKRR", "disqueak", "WorkerPool", "Rng", "games", "linalg", "nashMirrorProx"]) {
      expect(names.has(n), `the reference lists ${n}`).toBe(true);
    }
    // every top-level export carries a comment (on itself or on its signatures); re-exports of
    // a name documented elsewhere (references, with a `target`) and namespaces (module comments)
    // are checked where they are defined
    const bare = (project.children ?? []).filter((c) => !c.comment && !(c.signatures ?? []).some((s) => s.comment) && c.kind !== 4 && c.target === undefined);
    expect(bare.map((c) => c.name)).toEqual([]);
  }, 120_000);

  it("fails on an exported name without a doc comment", () => {
    const dir = join(out, "fixture");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "index.ts"), "/** Documented. */\nexport function documented(): number {\n  return 1;\n}\nexport function undocumentedExport(): number {\n  return 2;\n}\n");
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "ESNext", moduleResolution: "Bundler", skipLibCheck: true, types: [] }, include: ["index.ts"] }));
    // the project's TypeDoc options, pointed at the fixture
    const options = { ...JSON.parse(readFileSync(join(root, "typedoc.json"), "utf8")), entryPoints: [join(dir, "index.ts")], tsconfig: join(dir, "tsconfig.json") };
    writeFileSync(join(dir, "typedoc.json"), JSON.stringify(options));
    const r = typedoc(["--json", join(dir, "api.json"), "--options", join(dir, "typedoc.json")]);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/undocumentedExport.*does not have any documentation/);
  }, 60_000);
});
