// The SDK's ES-module builds, one per runtime target, each one esbuild build of every entry:
// the public entry (index.js), one entry per subpath of the package (kernel.js for
// "seqlearn/kernel", games.js, …: each its folder's index.ts) and the worker entry (worker.js),
// with code splitting, so that the code they share (the engine above all, and the task tables)
// lives in shared chunks next to them. `import { init } from "seqlearn"` and a function imported
// from "seqlearn/kernel" therefore use one engine, and a worker that runs worker.js and then
// imports a task module that imports index.js (as "seqlearn") holds one copy of the engine, the
// one worker.js initialised; separate bundles would each carry their own.
//
// The targets differ only in a few files, chosen by the `exports` conditions of package.json:
//   node     dist/node/     sdk/platform.ts as written (node:fs, node:worker_threads, …)
//   web      dist/web/      browsers, Deno, Web Workers, other edge runtimes (the `browser`,
//                           `deno`, `worker` and `default` conditions): sdk/platform.web.ts
//                           in place of platform.ts, so no `node:` import is left
//   workerd  dist/workerd/  Cloudflare Workers / workerd: as web, plus
//                           sdk/engine/packaged.workerd.ts, which imports the .wasm file so
//                           that the platform hands the module over compiled
// A file `x.<variant>.ts` next to `x.ts` replaces it in the targets that list the variant.
// Every output directory is two levels below the root, like sdk/engine/, so the one literal
// `new URL("../../build/seqlearn.wasm", import.meta.url)` (sdk/engine/packaged.ts) holds from
// the sources and from every build, and bundlers see it as written.
//
// Used by scripts/build.mjs (dist/) and by the tests that bundle the SDK elsewhere
// (dist-test/<dir>/), optionally with extra entries (e.g. a test task module), so that they
// test exactly the layout that ships.
import { existsSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";

/** The package's subpaths ("seqlearn/<name>"), each the index.ts of its SDK folder. Adding a
 *  subpath is adding its name here: the builds, the `exports` map (exportsMap() below; `node
 *  scripts/exports.mjs --write` writes it into package.json) and the tests follow. */
export const SUBPATHS = ["kernel", "games", "parallel", "io", "linalg", "random", "graph", "align", "experiments"];

/** The runtime targets: output folder (under dist/), variant suffixes, esbuild platform. */
export const TARGETS = {
  node: { dir: "node", variants: [], platform: "node", worker: true },
  web: { dir: "web", variants: ["web"], platform: "browser", worker: true },
  workerd: { dir: "workerd", variants: ["workerd", "web"], platform: "browser", worker: false },
};

/** The `exports` map of package.json, from SUBPATHS and TARGETS. */
export function exportsMap() {
  const entry = (name, types) => ({
    types,
    workerd: `./dist/workerd/${name}.js`,
    deno: `./dist/web/${name}.js`,
    browser: `./dist/web/${name}.js`,
    worker: `./dist/web/${name}.js`,
    node: name === "index"
      ? { require: "./dist/node/require.cjs", default: "./dist/node/index.js" }
      : `./dist/node/${name}.js`,
    default: `./dist/web/${name}.js`,
  });
  const map = { ".": entry("index", "./dist/types/index.d.ts") };
  for (const s of SUBPATHS) map[`./${s}`] = entry(s, `./dist/types/${s}/index.d.ts`);
  Object.assign(map, {
    // The worker entry, for bundlers that do not follow `new Worker(new URL(…))` (esbuild):
    // built as a second entry point next to the app's bundle, it is where the package looks.
    "./worker": { node: "./dist/node/worker.js", default: "./dist/web/worker.js" },
    "./seqlearn.wasm": "./build/seqlearn.wasm",
    "./seqlearn.wasi.wasm": "./build/seqlearn.wasi.wasm",
    "./wasm": "./build/seqlearn.wasm",
    "./wasi": "./build/seqlearn.wasi.wasm",
    "./data/*": "./data/*",
    "./package.json": "./package.json",
  });
  return map;
}

/** Replace `x.ts` by `x.<variant>.ts` where one exists, for the first variant that does. */
export function variantsPlugin(variants) {
  return {
    name: "seqlearn-variants",
    setup(build) {
      if (variants.length === 0) return;
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (!args.importer) return undefined;
        const file = resolve(args.resolveDir, args.path.replace(/\.js$/, ".ts"));
        if (!file.endsWith(".ts")) return undefined;
        for (const v of variants) {
          const alt = file.replace(/\.ts$/, `.${v}.ts`);
          if (alt !== args.importer && existsSync(alt)) return { path: alt };
        }
        return undefined;
      });
    },
  };
}

/** The .wasm imports of the workerd build stay imports (the platform's bundler loads them),
 *  with the path written in the source, which holds because outdir is two levels down too. */
const wasmExternal = {
  name: "seqlearn-wasm-external",
  setup(build) {
    build.onResolve({ filter: /\.wasm$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/** @param {{ root: string, outdir: string, target?: "node" | "web" | "workerd", extraEntries?: Record<string, string>, sourcemap?: boolean, minify?: boolean }} o
 *  `extraEntries`: output name → source path (relative to root), e.g. { "test-tasks": "test/parallel-tasks.ts" }. */
export async function bundleSdk({ root, outdir, target = "node", extraEntries = {}, sourcemap = true, minify = false }) {
  const t = TARGETS[target];
  if (!t) throw new Error(`bundleSdk: unknown target ${JSON.stringify(target)} (known: ${Object.keys(TARGETS).join(", ")})`);
  const depth = relative(resolve(root), resolve(outdir)).split(sep);
  if (depth.length !== 2 || depth.includes("..")) {
    throw new Error(`bundleSdk: outdir must be two levels below the root (like dist/web), so that ../../build/seqlearn.wasm resolves; got ${outdir}`);
  }
  const esbuild = await import("esbuild");
  const entries = {
    index: "sdk/index.ts",
    ...Object.fromEntries(SUBPATHS.map((s) => [s, `sdk/${s}/index.ts`])),
    ...(t.worker ? { worker: "sdk/worker.ts" } : {}),
    ...extraEntries,
  };
  await esbuild.build({
    entryPoints: Object.entries(entries).map(([out, src]) => ({ in: join(root, src), out })),
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: t.platform,
    target: "es2022",
    sourcemap,
    minify,
    // Only the Node target may import Node's modules; in the others a `node:` import fails
    // the build (esbuild cannot resolve it for the browser platform).
    external: target === "node" ? ["node:*"] : [],
    plugins: [variantsPlugin(t.variants), ...(target === "workerd" ? [wasmExternal] : [])],
    logLevel: "warning",
  });
}

/** The types header of a web entry: Deno reads it when the file is imported by path. */
export function denoTypesHeader(outdir, name, typesDir) {
  const dts = name === "index" ? "index.d.ts" : `${name}/index.d.ts`;
  let rel = relative(outdir, join(typesDir, dts)).split(sep).join("/");
  if (!rel.startsWith(".")) rel = `./${rel}`;
  return `// @ts-self-types="${rel}"\n`;
}

