// Where the worker entry script is: the caller's `workerUrl`, else the package's worker entry
// (sdk/worker.ts, built as dist/node/worker.js and dist/web/worker.js). Finding the package's
// entry is the platform's business (sdk/platform.ts, sdk/platform.web.ts): in the web build it
// is started by a `new Worker(new URL("./worker.js", import.meta.url), …)` that bundlers follow,
// so there is no URL to return and locateWorker() returns null.
import { packageWorkerUrl } from "../platform.js";

/** A task module's URL as a string; it must be absolute (a worker resolves nothing relative
 *  to the caller). */
export function resolveModule(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(m)) return m;
  throw new TypeError(`task module ${JSON.stringify(m)} must be an absolute URL (e.g. new URL("./tasks.js", import.meta.url))`);
}

/** The worker script to start: `override` if given, else the package's worker entry (null:
 *  started by the platform, see spawn()). */
export async function locateWorker(override?: string | URL): Promise<URL | null> {
  if (override !== undefined) return new URL(String(override));
  return packageWorkerUrl();
}
