// Where the package's worker entry script is (sdk/worker.ts, bundled as dist/worker.js). The
// pool needs only its URL; what it serves is the entry's business.
//
// - From the package (this code bundled into dist/): dist/worker.js, next to this file.
// - From the TypeScript sources in Deno (checked by test/parallel-runtimes.test.ts), or in a
//   browser behind a TypeScript-serving dev server: sdk/worker.ts itself.
// - From the TypeScript sources in Node (the test suite): Node does not run TypeScript, and
//   the shipped code contains no build step, so the pool uses the built dist/worker.js. It
//   must be current: `npm test` (scripts/test.mjs) rebuilds dist/ when any source is newer,
//   and test/parallel-disqueak.test.ts compares the workers' dictionaries with the ones this
//   thread computes from the sources. Tests that need other tasks bundle their own worker
//   (test/runtime/pool-bundle.mjs) and pass it as `workerUrl`.

import { isNodeRuntime } from "./host.js";

const fromSource = import.meta.url.endsWith(".ts");

/** A task module's URL as a string; it must be absolute (a worker resolves nothing relative
 *  to the caller). */
export function resolveModule(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(m)) return m;
  throw new TypeError(`task module ${JSON.stringify(m)} must be an absolute URL (e.g. new URL("./tasks.js", import.meta.url))`);
}

// The paths that exist only in the repository are held in variables: a bundler that meets
// `new URL("literal", import.meta.url)` in dist/ would try to emit a file that is not there.
const SOURCE_ENTRY = "../worker.ts";
const BUILT_ENTRY = "../../dist/worker.js";

/** The worker script to start: `override` if given, else the package's worker entry. */
export async function locateWorker(override?: string | URL): Promise<URL> {
  if (override !== undefined) return new URL(String(override));
  if (!fromSource) return new URL("./worker.js", import.meta.url);
  if (!isNodeRuntime()) return new URL(SOURCE_ENTRY, import.meta.url);
  const url = new URL(BUILT_ENTRY, import.meta.url);
  const { existsSync } = await import("node:fs");
  if (!existsSync(url)) throw new Error(`running the pool from the TypeScript sources in Node uses the built worker ${url.href}, which is missing: run \`npm run build\` (or pass workerUrl)`);
  return url;
}
