// Where the worker entry script is. From the bundled package it is dist/worker.js, next to
// dist/index.js. Running from the TypeScript sources, Deno loads sdk/parallel/worker.ts
// directly; Node cannot, so the entry (with the task modules) is bundled on the fly with
// esbuild, a development dependency, into a cached file in the temporary directory.
import { isNodeRuntime } from "./host.js";

export interface WorkerScript {
  url: URL;
  /** Task modules the worker must still import (those not bundled into `url`). */
  modules: string[];
}

const fromSource = import.meta.url.endsWith(".ts");
const cache = new Map<string, Promise<URL>>();

export function resolveModule(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(m)) return m;
  throw new TypeError(`task module ${JSON.stringify(m)} must be an absolute URL (e.g. new URL("./tasks.js", import.meta.url))`);
}

export async function locateWorker(modules: string[], override?: string | URL): Promise<WorkerScript> {
  if (override !== undefined) return { url: new URL(String(override)), modules };
  if (!fromSource) return { url: new URL("./worker.js", import.meta.url), modules };
  if (!isNodeRuntime()) return { url: new URL("./worker.ts", import.meta.url), modules };
  const key = modules.join("\n");
  let p = cache.get(key);
  if (!p) {
    p = bundleForNode(modules);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return { url: await p, modules: [] };
}

async function bundleForNode(modules: string[]): Promise<URL> {
  const [{ fileURLToPath, pathToFileURL }, path, fs, os, crypto] = await Promise.all([
    import("node:url"), import("node:path"), import("node:fs"), import("node:os"), import("node:crypto"),
  ]);
  const esbuildName = "esbuild";
  let esbuild: typeof import("esbuild");
  try {
    esbuild = await import(/* @vite-ignore */ esbuildName);
  } catch (e) {
    throw new Error(`running the worker pool from the TypeScript sources needs the esbuild dev dependency (${(e as Error).message}); build the package (dist/worker.js) instead`);
  }
  const entry = fileURLToPath(new URL("./worker.ts", import.meta.url));
  // Task modules first, so their registrations exist before the runtime takes messages.
  const lines = modules.map((m) => `import ${JSON.stringify(m.startsWith("file:") ? fileURLToPath(m) : m)};`);
  lines.push(`import ${JSON.stringify(entry)};`);
  const out = await esbuild.build({
    stdin: { contents: lines.join("\n"), resolveDir: path.dirname(entry), loader: "ts", sourcefile: "seqlearn-worker-entry.ts" },
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    write: false,
    logLevel: "silent",
    external: ["node:*", "esbuild"],
  });
  const code = out.outputFiles[0].text;
  const hash = crypto.createHash("sha256").update(code).digest("hex").slice(0, 16);
  const file = path.join(os.tmpdir(), `seqlearn-worker-${hash}.mjs`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
  }
  return pathToFileURL(file);
}
