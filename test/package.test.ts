// The package as its users get it: `npm pack`, then the tarball installed offline into a
// throw-away project (outside the repository, so nothing resolves from the repository by
// accident), and every kind of consumer run against it (test/consumers/):
//   Node ESM and CommonJS; TypeScript --strict with the options of `tsc --init`, without
//   skipLibCheck, with the default and an older `lib`; a page bundled by Vite (build, and the
//   dev server), by esbuild --platform=browser and by webpack, run in headless Chromium with a
//   pool of 2 Web Workers; a Cloudflare Worker bundled by wrangler and run under workerd; Deno
//   importing the package by path (deno check and run).
// Every consumer runs test/consumers/compute.mjs and must print exactly the numbers the
// sources give in this process. The tools (vite, webpack, wrangler, esbuild, tsc, deno) are the
// repository's devDependencies, linked into the project after the install.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as sl from "../sdk/index.js";
import { chromiumAvailable, runPages } from "./runtime/chromium.mjs";
// @ts-ignore: plain .mjs fixture
import { compute } from "./consumers/compute.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name: string): string => join(root, "node_modules", ".bin", name);
const artefacts = join(root, "dist-test", "package");
let work = "";
let project = "";
let tarball = "";
let packed: { files: { path: string }[]; size: number; unpackedSize: number } = { files: [], size: 0, unpackedSize: 0 };
let expected: Record<string, unknown> = {};
let expectedPool: Record<string, unknown> = {};
const env = { ...process.env, npm_config_fund: "false", npm_config_audit: "false", NO_UPDATE_NOTIFIER: "1", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", WRANGLER_SEND_METRICS: "false", CI: "true" };

function sh(cmd: string, args: string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", env, timeout });
}
function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status ?? r.signal}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}
const lastJson = (s: string): Record<string, unknown> => JSON.parse(s.trim().split("\n").pop()!);

beforeAll(async () => {
  // What every consumer must print: the same computation on the sources, in this process.
  expected = await compute(sl);
  expectedPool = await compute(sl, { workers: 2 });
  rmSync(artefacts, { recursive: true, force: true });
  mkdirSync(artefacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), "seqlearn-package-"));
  // The tarball, exactly as `npm publish` would make it (dist/ is current: scripts/test.mjs built it).
  const out = ok(sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], root), "npm pack");
  packed = JSON.parse(out)[0];
  tarball = join(work, (packed as unknown as { filename: string }).filename);
  project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "seqlearn-consumers", private: true, type: "module" }, null, 2));
  ok(sh("npm", ["install", "--offline", "--ignore-scripts", "--no-package-lock", tarball], project), "npm install --offline <tarball>");
  for (const tool of ["vite", "webpack", "wrangler", "miniflare", "esbuild"]) symlinkSync(join(root, "node_modules", tool), join(project, "node_modules", tool));
  cpSync(join(root, "test", "consumers"), project, { recursive: true });
}, 120_000);

afterAll(() => {
  // SEQLEARN_KEEP_CONSUMERS=1 keeps the project (to look at a failing consumer).
  if (process.env.SEQLEARN_KEEP_CONSUMERS) console.log(`consumer project kept in ${project}`);
  else if (work) rmSync(work, { recursive: true, force: true });
});

describe("the tarball", () => {
  it("holds what users need and nothing of the repository's own", () => {
    const files = packed.files.map((f) => f.path);
    for (const f of ["LICENSE", "README.md", "CHANGELOG.md", "package.json", "build/seqlearn.wasm", "build/seqlearn.wasi.wasm", "data/earthquakes.csv",
      "dist/cli.js", "dist/node/index.js", "dist/node/require.cjs", "dist/node/worker.js", "dist/web/index.js", "dist/web/worker.js", "dist/workerd/index.js",
      "dist/types/index.d.ts", "dist/types/kernel/index.d.ts", "dist/types-deno/index.d.ts", "examples/node-basic.mjs", "examples/deno-basic.ts", "examples/edge-worker.mjs"]) {
      expect(files, f).toContain(f);
    }
    for (const f of files) expect(f, "no sources, tests or build configuration").not.toMatch(/^(sdk|assembly|test|bench|scripts|docs)\/|tsconfig|^(?!examples\/).*\.ts$(?<!\.d\.ts)|^(dist|examples)\/demo\//);
    // every target of the exports map is in the tarball
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const leaves = (v: unknown): string[] => (typeof v === "string" ? [v] : Object.values(v as object).flatMap(leaves));
    for (const target of leaves(pkg.exports).filter((t) => !t.includes("*"))) expect(files, target).toContain(target.replace(/^\.\//, ""));
    // The CLI bundle's source map (2 MB unpacked) is not shipped; the library's are. The budget
    // is 3.5 MB packed: 3.1 MB with the four domains, the threaded module and the seven
    // experiments (which the CLI bundles too); a jump past it means something was shipped by
    // mistake (a map, a fixture, a second copy of a module).
    expect(packed.size, "packed size").toBeLessThan(3_500_000);
  });

  it("npm publish --dry-run is clean", () => {
    const r = sh("npm", ["publish", "--dry-run", "--ignore-scripts", "--tag", "dry-run"], root);
    expect(r.status, r.stderr).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => /npm warn/i.test(l) && !/install-scripts|dry-run/i.test(l));
    expect(warnings).toEqual([]);
  });

  it("package.json carries the license, repository, homepage, bugs and keywords; LICENSE is MIT", () => {
    const pkg = JSON.parse(readFileSync(join(project, "node_modules", "seqlearn", "package.json"), "utf8"));
    expect(pkg.license).toBe("MIT");
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\//);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs?.url).toMatch(/^https:\/\/.*\/issues$/);
    expect(pkg.keywords.length).toBeGreaterThan(5);
    expect(readFileSync(join(project, "node_modules", "seqlearn", "LICENSE"), "utf8")).toMatch(/^MIT License/);
  });
});

describe("the bundler guide", () => {
  it("its recipes are the files the consumers above build and run, word for word", () => {
    const page = "docs/guide/bundlers.md";
    const text = readFileSync(join(root, page), "utf8");
    const blocks = [...text.matchAll(/^```\S*[^\n]*\bfile=(\S+)[^\n]*\n([\s\S]*?)^```$/gm)];
    expect(blocks.map((m) => m[1]).sort()).toEqual([
      "test/consumers/browser/esbuild.js", "test/consumers/browser/main.js", "test/consumers/browser/vite.config.js",
      "test/consumers/browser/webpack.config.mjs", "test/consumers/workerd/worker.js", "test/consumers/workerd/wrangler.toml",
    ]);
    for (const [, file, code] of blocks) expect(code.trim(), `${page}: ${file}`).toBe(readFileSync(join(root, file), "utf8").trim());
  });
});

describe("Node", () => {
  it("ES modules: root, subpaths, shipped data and a pool of worker threads", () => {
    const got = lastJson(ok(sh(process.execPath, ["node/esm.mjs"], project), "node node/esm.mjs"));
    expect(got).toEqual({ ...expectedPool, sameKernel: true, dataRows: expect.any(Number) });
    expect(got.dataRows as number).toBeGreaterThan(100);
  });

  it("the Redis executor without its optional peers: a MissingDependencyError naming them; nothing else needs them", () => {
    const pkg = JSON.parse(readFileSync(join(project, "node_modules", "seqlearn", "package.json"), "utf8"));
    expect(pkg.peerDependenciesMeta).toEqual({ bullmq: { optional: true }, ioredis: { optional: true } });
    expect(existsSync(join(project, "node_modules", "bullmq"))).toBe(false); // optional peers are not installed
    writeFileSync(join(project, "node", "redis.mjs"), [
      'import { bullmqExecutor } from "seqlearn";',
      'const ex = bullmqExecutor({ connection: "redis://127.0.0.1:1" });',
      "const e = await ex.run(\"x\", 1).catch((err) => err);",
      "console.log(JSON.stringify({ name: e.name, packages: e.packages, message: e.message }));",
    ].join("\n"));
    const got = lastJson(ok(sh(process.execPath, ["node/redis.mjs"], project), "node node/redis.mjs"));
    expect(got.name).toBe("MissingDependencyError");
    expect(got.packages).toEqual(["bullmq", "ioredis"]);
    expect(got.message).toMatch(/npm install bullmq ioredis/);
  });

  it("CommonJS: require() of the root and a subpath, one engine", () => {
    const r = sh(process.execPath, ["node/cjs.cjs"], project);
    expect(r.stderr).toBe(""); // no ExperimentalWarning or deprecation on this Node
    expect(lastJson(ok(r, "node node/cjs.cjs"))).toEqual({ ...expected, sameKernel: true });
  });
});

describe("TypeScript", () => {
  const tsc = (args: string[]) => sh(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), ...args], join(project, "ts"));
  beforeAll(() => {
    ok(tsc(["--init"]), "tsc --init");
    const file = join(project, "ts", "tsconfig.json");
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/"skipLibCheck": true/);
    writeFileSync(file, text.replace(/"skipLibCheck": true,?/, ""));
  });

  it("--strict with the options of `tsc --init`, without skipLibCheck: precise types, CommonJS too", () => {
    const r = tsc(["-p", ".", "--noEmit", "--pretty", "false"]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("with an older lib (ES2022, no esnext.disposable), the declarations still check", () => {
    const r = tsc(["-p", ".", "--noEmit", "--pretty", "false", "--target", "es2022", "--lib", "es2022,dom"]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("the checks can fail: a wrong result type is an error", () => {
    writeFileSync(join(project, "ts", "bad.ts"), `import { NystromKRR, Matrix } from "seqlearn";\nconst m = NystromKRR.fit({ uniform: 1 }, [[0]], [1], { ridge: 1 });\nexport const p: Matrix = m.predict([[0]]);\n`);
    try {
      const r = tsc(["-p", ".", "--noEmit", "--pretty", "false"]);
      expect(r.stdout).toMatch(/bad\.ts.*TS2\d+/);
    } finally {
      rmSync(join(project, "ts", "bad.ts"));
    }
  });
});

describe("bundled pages in headless Chromium (2 Web Workers each)", () => {
  const have = chromiumAvailable();
  const built: Record<string, string> = {};
  beforeAll(async () => {
    const browser = join(project, "browser");
    // Vite: the package's own URLs, no configuration beyond the guide's.
    ok(sh(process.execPath, [join(root, "node_modules", "vite", "bin", "vite.js"), "build", "--outDir", join(project, "out", "vite"), "--base", "./", "--logLevel", "warn"], browser), "vite build");
    built.vite = "out/vite/index.html";
    // esbuild, for the browser platform, the worker entry as a second entry point.
    ok(sh(bin("esbuild"), ["app=./esbuild.js", "worker=seqlearn/worker", "--bundle", "--splitting", "--format=esm", "--platform=browser", "--minify",
      "--loader:.wasm=file", `--outdir=${join(project, "out", "esbuild")}`, "--log-level=warning"], browser), "esbuild");
    writeFileSync(join(project, "out", "esbuild", "index.html"), readFileSync(join(browser, "index.html"), "utf8").replace("./main.js", "./app.js"));
    built.esbuild = "out/esbuild/index.html";
    // webpack, with the guide's configuration.
    // (through webpack's API: its command line is another package, webpack-cli)
    const webpack = (await import(pathToFileURL(join(project, "node_modules", "webpack", "lib", "index.js")).href)).default;
    const config = (await import(pathToFileURL(join(browser, "webpack.config.mjs")).href)).default;
    const stats = await new Promise<{ hasErrors(): boolean; hasWarnings(): boolean; toString(o: string): string }>((resolve, reject) =>
      webpack({ ...config, context: browser }, (err: Error | null, s: never) => (err ? reject(err) : resolve(s))));
    expect(stats.hasErrors() || stats.hasWarnings(), stats.toString("errors-warnings")).toBe(false);
    // (webpack's output is a classic script, which finds its public path from document.currentScript)
    writeFileSync(join(project, "out", "webpack", "index.html"), readFileSync(join(browser, "index.html"), "utf8").replace('<script type="module" src="./main.js">', '<script src="./main.js">'));
    built.webpack = "out/webpack/index.html";
  }, 180_000);

  it("no bundle contains a node: import", () => {
    for (const dir of ["vite", "esbuild", "webpack"]) {
      const files = readdirSync(join(project, "out", dir), { recursive: true }) as string[];
      const js = files.filter((f) => f.endsWith(".js"));
      expect(js.length, dir).toBeGreaterThan(0);
      for (const f of js) {
        const code = readFileSync(join(project, "out", dir, f), "utf8");
        expect(code, `${dir}/${f}`).not.toMatch(/["']node:/);
        // The Redis executor's optional peers stay out of every browser bundle.
        expect(code, `${dir}/${f}`).not.toMatch(/(?:import\s*\(|from|require\s*\()\s*["'](?:bullmq|ioredis)["']/);
      }
      expect(files.some((f) => f.endsWith(".wasm")), `${dir} emitted the .wasm`).toBe(true);
    }
  });

  (have ? it : it.skip)("Vite build, esbuild and webpack pages compute Node's numbers, pools included", async () => {
    const shots = Object.fromEntries(Object.entries(built).map(([k, p]) => [p, join(artefacts, `${k}.png`)]));
    const results = await runPages(project, Object.values(built).map((path) => ({ path, global: "__result" })), { screenshots: shots, allow: ["out/"] });
    for (const r of results) {
      expect(r.value.error, r.path).toBeUndefined();
      expect(r.errors, r.path).toEqual([]);
      expect(r.value, r.path).toEqual(expectedPool);
    }
  }, 120_000);

  (have ? it : it.skip)("the Vite dev server serves the package (configured as the guide says)", async () => {
    const { createServer } = await import(pathToFileURL(join(project, "node_modules", "vite", "dist", "node", "index.js")).href);
    const server = await createServer({ root: join(project, "browser"), logLevel: "silent", server: { host: "127.0.0.1", port: 0, strictPort: false } });
    await server.listen();
    try {
      const addr = server.httpServer.address();
      const [r] = await runPages(project, [{ path: "", global: "__result" }], { baseUrl: `http://127.0.0.1:${addr.port}/` });
      expect(r.value.error).toBeUndefined();
      expect(r.value).toEqual(expectedPool);
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe("Cloudflare Workers (wrangler → workerd)", () => {
  it("wrangler bundles the worker with the package's workerd build and workerd runs it", async () => {
    const dir = join(project, "workerd");
    ok(sh(process.execPath, [join(root, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", "out"], dir), "wrangler deploy --dry-run");
    const out = readdirSync(join(dir, "out"));
    expect(out.some((f) => f.endsWith("seqlearn.wasm")), "the module is uploaded as a .wasm module").toBe(true);
    const bundle = readFileSync(join(dir, "out", "worker.js"), "utf8");
    expect(bundle).not.toMatch(/["']node:/);
    expect(bundle).not.toMatch(/(?:import\s*\(|from|require\s*\()\s*["'](?:bullmq|ioredis)["']/);
    expect(bundle).toMatch(/seqlearn\/dist\/workerd\/index\.js/); // wrangler chose the workerd build
    const { Miniflare } = await import(pathToFileURL(join(project, "node_modules", "miniflare", "dist", "src", "index.js")).href);
    const mf = new Miniflare({ modules: true, modulesRoot: join(dir, "out"), scriptPath: join(dir, "out", "worker.js"), compatibilityDate: "2025-01-01", modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }] });
    try {
      const res = await mf.dispatchFetch("http://localhost/");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(expected);
      const p = await mf.dispatchFetch("http://localhost/predict", { method: "POST", body: JSON.stringify({ x: [0.5, 0.5] }) });
      const X = sl.Matrix.fromRows([[0, 0], [1, 0], [0, 1], [1, 1]]);
      const model = sl.NystromKRR.fit(sl.uniformNystrom(X, 3, { kernel: sl.rbf({ gamma: 1 }), seed: 2 }), X, [0, 1, 1, 2], { ridge: 1e-6 });
      expect(await p.json()).toEqual({ y: Array.from(model.predict([[0.5, 0.5]])) });
    } finally {
      await mf.dispose();
    }
  }, 120_000);
});

describe("Deno", () => {
  const deno = bin("deno");
  const dir = (): string => join(project, "deno");
  beforeAll(() => cpSync(join(project, "node_modules", "seqlearn"), join(dir(), "vendor", "seqlearn"), { recursive: true }));

  for (const file of ["main.ts", "vendored.ts"]) {
    const how = file === "main.ts" ? "the package in node_modules (bare specifier)" : "a path import of a copy of the package";
    it(`${how}: deno check passes, and fails on a wrong type`, () => {
      const r = sh(deno, ["check", file], dir());
      expect(r.status, r.stderr).toBe(0);
      const bad = join(dir(), `bad-${file}`);
      writeFileSync(bad, readFileSync(join(dir(), file), "utf8").replace("// @ts-expect-error a KrrJSON's format is a literal, not any string\n", ""));
      const b = sh(deno, ["check", bad], dir());
      expect(b.status).not.toBe(0);
      expect(b.stderr).toMatch(/TS2322/);
    });

    it(`${how}: runs and prints Node's numbers`, () => {
      const got = lastJson(ok(sh(deno, ["run", "--allow-read", "--allow-env", "--no-prompt", file], dir()), `deno run ${file}`));
      expect(got).toEqual({ ...expected, typed: "seqlearn.krr/2", bad: "seqlearn.krr/2" });
    });
  }
});

describe("the package's examples check in Deno", () => {
  it("deno check examples/deno-basic.ts (a path import of the built package)", () => {
    const r = sh(bin("deno"), ["check", "examples/deno-basic.ts"], root);
    expect(r.status, r.stderr).toBe(0);
  });
  it("the installed examples are present and the Node one runs from node_modules", () => {
    const ex = join(project, "node_modules", "seqlearn", "examples");
    expect(existsSync(join(ex, "node-basic.mjs"))).toBe(true);
    const r = sh(process.execPath, [join(ex, "node-basic.mjs")], project);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/max \|f − sin\| on the test points/);
  });
});
