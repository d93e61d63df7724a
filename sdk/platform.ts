// What the SDK needs from its host beyond the web platform: reading local files, the number
// of cores, and the worker threads of Node. This file serves Node and Deno (the sources, the
// tests, and the package's Node build dist/node/); every `node:` import of the SDK outside the
// CLI is here, loaded on first use. scripts/bundle.mjs builds the other targets (browsers,
// Deno through the package, edge runtimes) with platform.web.ts in its place, which has the
// same exports and no `node:` import, so that no browser bundle ever meets one.
//
// A leaf module: it imports nothing from the SDK, and reports failures as plain errors with a
// `code` (ENOENT, EISDIR, …) that the callers turn into typed errors.

/** A worker thread as the pool sees it (the subset of Node's `Worker` it uses). */
export interface NodeWorkerLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: string, fn: (value: never) => void): unknown;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}

/** The parent side of a worker thread. */
export interface ParentPortLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: "message", fn: (value: never) => void): unknown;
}

type Global = { process?: { versions?: { node?: string } }; Deno?: DenoLike };
interface DenoLike {
  readFile(path: string | URL): Promise<Uint8Array>;
}

/** True in Node (and false in Deno, which also sets `process.versions.node`). */
export function isNodeRuntime(): boolean {
  const g = globalThis as Global;
  return !!g.process?.versions?.node && !g.Deno;
}

/** The bytes of a `file:` URL (Node: fs; Deno: Deno.readFile). */
export async function readLocalFile(url: URL): Promise<Uint8Array> {
  const deno = (globalThis as Global).Deno;
  if (deno) return deno.readFile(url);
  const fs = await import("node:fs/promises");
  return fs.readFile(url);
}

/** The size of a file, or undefined when it cannot be known. */
export async function fileSize(path: string | URL): Promise<number | undefined> {
  try {
    const fs = await import("node:fs/promises");
    return (await fs.stat(path)).size;
  } catch {
    return undefined;
  }
}

/** A file's contents in chunks of about `chunkBytes`. Throws (with `code`) if it cannot be
 *  opened, before the first chunk. */
export async function fileChunks(path: string | URL, chunkBytes: number): Promise<AsyncIterable<Uint8Array>> {
  const fs = await import("node:fs");
  const st = await fs.promises.stat(path); // (not access(): Deno would ask for --allow-sys)
  if (st.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
  return fs.createReadStream(path, { highWaterMark: chunkBytes }) as AsyncIterable<Uint8Array>;
}

/** Whether a `file:` URL exists (used to find the built worker from the sources). */
export async function fileExists(url: URL): Promise<boolean> {
  const fs = await import("node:fs");
  return fs.existsSync(url);
}

/** Number of logical cores available to this process (1 if unknown). */
export async function availableCores(): Promise<number> {
  if (isNodeRuntime()) {
    const os = await import("node:os");
    const n = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
    return Math.max(1, n | 0);
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, typeof n === "number" && n > 0 ? n | 0 : 1);
}

/** Number of logical cores available to this process, synchronously (1 if unknown). */
export function coresSync(): number {
  if (isNodeRuntime()) {
    const os = builtin<typeof import("node:os")>("node:os");
    if (os) return Math.max(1, (typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length) | 0);
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, typeof n === "number" && n > 0 ? n | 0 : 1);
}

/** A Node built-in module, synchronously (process.getBuiltinModule: Node ≥ 20.16), or null. */
function builtin<T>(name: string): T | null {
  const get = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process?.getBuiltinModule;
  return typeof get === "function" ? (get(name) as T) : null;
}

type NodeWorkerCtor = new (url: URL, opts: { stdout: boolean; stderr: boolean }) => NodeWorkerLike;
let nodeWorker: NodeWorkerCtor | null = null;

/** Load what starting a Node worker thread needs (async once, so that starting one can be
 *  synchronous); a no-op outside Node. */
export async function prepareWorkers(): Promise<void> {
  if (isNodeRuntime() && !nodeWorker) nodeWorker = (await import("node:worker_threads")).Worker as unknown as NodeWorkerCtor;
}

/** The Worker class of node:worker_threads, synchronously if it can be had (already loaded, or
 *  process.getBuiltinModule), else null. */
function nodeWorkerClass(): NodeWorkerCtor | null {
  if (!nodeWorker) nodeWorker = (builtin<typeof import("node:worker_threads")>("node:worker_threads")?.Worker as unknown as NodeWorkerCtor) ?? null;
  return nodeWorker;
}

/** Start a Node worker thread on `url` (after prepareWorkers()), or null outside Node. */
export function startNodeWorker(url: URL): NodeWorkerLike | null {
  if (!isNodeRuntime()) return null;
  if (!nodeWorker) throw new Error("prepareWorkers() must complete before a worker thread starts");
  return new nodeWorker(url, { stdout: false, stderr: false });
}

/** In a Node worker thread: its port to the parent. Null outside Node. */
export async function nodeParentPort(): Promise<ParentPortLike | null> {
  if (!isNodeRuntime()) return null;
  const wt = await import("node:worker_threads");
  if (!wt.parentPort) throw new Error("seqlearn worker entry loaded outside a worker thread");
  return wt.parentPort as unknown as ParentPortLike;
}

// Where the package's worker entry (sdk/worker.ts) is. Built into dist/node/, this file sits
// next to the built entry dist/node/worker.js. From the TypeScript sources (the tests), Deno
// runs sdk/worker.ts itself, while Node, which does not run TypeScript, starts the built
// dist/node/worker.js: `npm test` (scripts/test.mjs) rebuilds dist/ when a source is newer,
// and test/parallel-disqueak.test.ts compares the workers' results with this thread's.
// The paths that exist only in the repository are held in variables: a bundler that meets
// `new URL("literal", import.meta.url)` in the package would try to emit a file that is not there.
const SOURCE_ENTRY = "./worker.ts";
const BUILT_ENTRY = "../dist/node/worker.js";

/** The URL of the package's worker entry script; null where startPackageWebWorker() starts it. */
export async function packageWorkerUrl(): Promise<URL | null> {
  if (!import.meta.url.endsWith(".ts")) return new URL("./worker.js", import.meta.url);
  if (!isNodeRuntime()) return new URL(SOURCE_ENTRY, import.meta.url);
  const url = new URL(BUILT_ENTRY, import.meta.url);
  if (!(await fileExists(url))) throw new Error(`running the pool from the TypeScript sources in Node uses the built worker ${url.href}, which is missing: run \`npm run build\` (or pass workerUrl)`);
  return url;
}

/** Start a Web Worker on the package's worker entry. Here (Node, Deno from the sources) the
 *  pool starts the worker from packageWorkerUrl() instead; the web build's version of this
 *  function is the `new Worker(new URL(…), …)` that bundlers follow. */
export function startPackageWebWorker(): Worker {
  throw new Error("startPackageWebWorker: not in this build (use packageWorkerUrl())");
}

// ---- writing files (Node, Deno) ------------------------------------------------------------

/** What writeFileAtomic writes: bytes, text, or chunks of either (sync or async). */
export type FileData = Uint8Array | string | Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>;

let tmpCounter = 0;

function fail(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A local path from a path or a `file:` URL. */
export async function localPath(file: string | URL): Promise<string> {
  if (file instanceof URL) return (await import("node:url")).fileURLToPath(file);
  return file;
}

/** Write `data` to `file` so that no reader ever sees a partial file and a failure leaves an
 *  existing file untouched: the bytes go to a temporary file in the same directory, which is
 *  then renamed into place (or, when not overwriting, hard-linked, which fails if the name was
 *  taken meanwhile). Refuses a symbolic link at the path (code ESYMLINK, never writing through
 *  it), a directory (EISDIR), and an existing file unless `overwrite` (EEXIST). Other
 *  failures carry the system's code. */
export async function writeFileAtomic(file: string | URL, data: FileData, opts: { overwrite?: boolean } = {}): Promise<void> {
  const fs = await import("node:fs/promises");
  const { dirname, basename, join } = await import("node:path");
  const path = await localPath(file);
  let st: Awaited<ReturnType<typeof fs.lstat>> | null = null;
  try {
    st = await fs.lstat(path);
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") throw e;
  }
  if (st?.isSymbolicLink()) throw fail("ESYMLINK", `${path} is a symbolic link; refusing to write through it`);
  if (st?.isDirectory()) throw fail("EISDIR", `${path} is a directory`);
  if (st && !opts.overwrite) throw fail("EEXIST", `${path} exists`);
  const proc = (globalThis as { process?: { pid?: number } }).process;
  const tmp = join(dirname(path), `.${basename(path)}.${proc?.pid ?? 0}.${Date.now().toString(36)}.${++tmpCounter}.tmp`);
  const handle = await fs.open(tmp, "wx");
  let done = false;
  try {
    const put = (c: Uint8Array | string) => (typeof c === "string" ? handle.write(c) : handle.write(c));
    if (typeof data === "string" || data instanceof Uint8Array) await put(data);
    else for await (const c of data as AsyncIterable<Uint8Array | string>) await put(c);
    await handle.sync();
    await handle.close();
    if (opts.overwrite) await fs.rename(tmp, path);
    else {
      try {
        await fs.link(tmp, path);
      } catch (e) {
        if ((e as { code?: string }).code === "EEXIST") throw fail("EEXIST", `${path} exists`);
        await fs.rename(tmp, path); // file systems without hard links: the lstat above checked
      }
      await fs.unlink(tmp).catch(() => undefined);
    }
    done = true;
  } finally {
    if (!done) {
      await handle.close().catch(() => undefined);
      await fs.unlink(tmp).catch(() => undefined);
    }
  }
}

/** Create a directory and its parents (no error if it exists). */
export async function makeDirectory(dir: string): Promise<void> {
  const fs = await import("node:fs/promises");
  await fs.mkdir(dir, { recursive: true });
}

/** Whether anything (a file, a directory, a link) exists at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  const fs = await import("node:fs/promises");
  return fs.lstat(path).then(() => true, () => false);
}

/** A file's bytes (Node, Deno). Throws with the system's code (ENOENT, …). */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  const fs = await import("node:fs/promises");
  return new Uint8Array(await fs.readFile(path));
}

/** `dir` joined with a file name (forward slash; every supported OS accepts it). */
export function joinPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir.replace(/[\\/]+$/, "")}/${name}`;
}

/** What is at `path`: nothing, a file, a directory, a symbolic link (not followed), or
 *  something else. Other failures throw with the system's code. */
export async function pathKind(path: string): Promise<"missing" | "file" | "directory" | "symlink" | "other"> {
  const fs = await import("node:fs/promises");
  try {
    const st = await fs.lstat(path);
    return st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "directory" : st.isFile() ? "file" : "other";
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return "missing";
    throw e;
  }
}

/** A file open for appending text. */
export interface AppendFile {
  append(text: string): Promise<void>;
  close(): Promise<void>;
}

/** Open `path` for appending: `create` makes a new file and fails (EEXIST) if one exists;
 *  `append` adds to an existing one. */
export async function openAppendFile(path: string, mode: "create" | "append"): Promise<AppendFile> {
  const fs = await import("node:fs/promises");
  const h = await fs.open(path, mode === "create" ? "wx" : "a");
  return { append: (t) => h.appendFile(t), close: () => h.close() };
}

/** Remove a file (no error if it is already gone). */
export async function removeFile(path: string): Promise<void> {
  const fs = await import("node:fs/promises");
  await fs.unlink(path).catch((e) => { if ((e as { code?: string }).code !== "ENOENT") throw e; });
}

/** Remove a file or a folder with everything in it; nothing happens when nothing is there. */
export async function removePath(path: string): Promise<void> {
  const fs = await import("node:fs/promises");
  await fs.rm(path, { recursive: true, force: true });
}

/** `path` made absolute against the current directory (a path that is absolute stays). */
export async function absolutePath(path: string): Promise<string> {
  const { resolve } = await import("node:path");
  return resolve(path);
}

// ---- optional peer dependencies ------------------------------------------------------------

/** The optional peer dependencies (the Redis executor's), the only packages importPeer loads. */
const PEERS = ["bullmq", "ioredis"];

/** Import an optional peer dependency of the package by name (the Redis executor's `bullmq` and
 *  `ioredis`), resolved at run time from the application's node_modules. The specifier is
 *  computed, so bundlers leave the import alone: the package's builds, and an application
 *  bundled for Node that never uses the executor, neither contain nor need it. Fails with the
 *  import's error (code ERR_MODULE_NOT_FOUND when it is not installed). */
export function importPeer(name: string): Promise<Record<string, unknown>> {
  if (!PEERS.includes(name)) return Promise.reject(new Error(`importPeer: ${name} is not an optional peer dependency of seqlearn`));
  const specifier = name;
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
}

// ---- helper threads of a threaded engine (sdk/engine/threads.ts) ------------------------------

/** A helper thread of the engine: a worker running a small script given as source text. */
export interface HelperWorker {
  post(message: unknown): void;
  terminate(): void;
}

const blobUrls = new Map<string, string>();

/** Start a Web Worker from source text (a module worker from a Blob URL: Deno accepts only
 *  module workers). Throws where workers cannot be created (no Worker, or a Content Security
 *  Policy without `worker-src blob:`). */
function startBlobWorker(source: string, onMessage: (message: unknown) => void): HelperWorker {
  const W = (globalThis as { Worker?: typeof Worker }).Worker;
  if (typeof W !== "function") throw new Error("this runtime has no Worker");
  // One Blob URL per source for the life of the page or process (a few kB), never revoked: a
  // worker may fetch it after its constructor returns.
  let url = blobUrls.get(source);
  if (!url) {
    url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    blobUrls.set(source, url);
  }
  const w = new W(url, { type: "module", name: "seqlearn-thread" });
  w.addEventListener("message", (e: MessageEvent) => onMessage(e.data));
  return { post: (m) => w.postMessage(m), terminate: () => w.terminate() };
}

/** Start a helper thread running `source`: in Node a worker thread evaluating it (unref'd, so an
 *  idle helper never keeps the process alive), elsewhere (Deno from the sources) a Web Worker;
 *  `onMessage` receives what the helper posts.
 *  Throws if none can be started (in Node < 20.16 before prepareWorkers() completed). */
export function startHelperThread(source: string, onMessage: (message: unknown) => void): HelperWorker {
  if (!isNodeRuntime()) return startBlobWorker(source, onMessage);
  const W = nodeWorkerClass() as unknown as (new (src: string, opts: { eval: boolean; stdout: boolean; stderr: boolean; name?: string; execArgv: string[] }) => NodeWorkerLike) | null;
  if (!W) throw new Error("node:worker_threads is not loaded yet (Node < 20.16: await init() loads it)");
  // No inherited execArgv: the helper's source is CommonJS, and a worker evaluating source text
  // inherits the process's flags — `node --input-type=module -e …` would run it as a module.
  const w = new W(source, { eval: true, stdout: false, stderr: false, name: "seqlearn-thread", execArgv: [] });
  // The listener first, then unref (a listener added after unref() refs the worker again).
  w.on("message", onMessage as (v: never) => void);
  w.unref();
  return { post: (m) => w.postMessage(m), terminate: () => { void w.terminate(); } };
}

/** Whether helper threads keep the process alive until they are terminated: in Deno every live
 *  worker does, so the engine stops idle ones itself; Node's are unref'd. */
export function helpersHoldProcess(): boolean {
  return typeof (globalThis as { Deno?: unknown }).Deno === "object";
}
