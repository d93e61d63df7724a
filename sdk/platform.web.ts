// platform.ts for every target but Node: browsers (bundled or not), Deno through the package,
// Web Workers, edge runtimes. scripts/bundle.mjs puts this file in place of platform.ts when
// it builds dist/web/ and dist/workerd/. Same exports, no `node:` import: local files are read
// through Deno's API where there is one, worker threads do not exist, and the package's worker
// is started with the `new Worker(new URL("./worker.js", import.meta.url), { type: "module" })`
// that Vite, webpack and Parcel recognise and build as a worker entry of their own.
// (A leaf module: it imports nothing, not even platform.ts's types; the two types below are
// platform.ts's, repeated.)

/** A worker thread as the pool sees it (none here). */
export interface NodeWorkerLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: string, fn: (value: never) => void): unknown;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}

/** The parent side of a worker thread (none here). */
export interface ParentPortLike {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: "message", fn: (value: never) => void): unknown;
}

interface DenoLike {
  readFile(path: string | URL): Promise<Uint8Array>;
  stat(path: string | URL): Promise<{ size: number; isDirectory: boolean }>;
  open(path: string | URL): Promise<{ readable: ReadableStream<Uint8Array> }>;
}
const deno = (): DenoLike | undefined => (globalThis as { Deno?: DenoLike }).Deno;

function noFiles(what: string): Error {
  return Object.assign(new Error(`${what}: this runtime has no file system (pass bytes, a Blob, a stream or a URL to fetch instead)`), { code: "ENOSYS" });
}

/** Always false: this build is never loaded by Node (the package's `node` condition). */
export function isNodeRuntime(): boolean {
  return false;
}

/** The bytes of a `file:` URL (Deno only). */
export async function readLocalFile(url: URL): Promise<Uint8Array> {
  const d = deno();
  if (!d) throw noFiles(`cannot read ${url.href}`);
  return d.readFile(url);
}

/** The size of a file, or undefined when it cannot be known. */
export async function fileSize(path: string | URL): Promise<number | undefined> {
  try {
    return (await deno()?.stat(path))?.size;
  } catch {
    return undefined;
  }
}

/** A file's contents in chunks (Deno only). Throws (with `code`) if it cannot be opened. */
export async function fileChunks(path: string | URL, _chunkBytes: number): Promise<AsyncIterable<Uint8Array>> {
  const d = deno();
  if (!d) throw noFiles(`cannot read ${String(path)}`);
  let st;
  try {
    st = await d.stat(path);
  } catch (e) {
    throw Object.assign(e as Error, { code: (e as Error).name === "NotFound" ? "ENOENT" : (e as { code?: string }).code });
  }
  if (st.isDirectory) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
  const { readable } = await d.open(path);
  return readable as unknown as AsyncIterable<Uint8Array>;
}

/** Whether a `file:` URL exists. */
export async function fileExists(url: URL): Promise<boolean> {
  return (await fileSize(url)) !== undefined;
}

/** Number of logical cores (navigator.hardwareConcurrency; 1 if unknown). */
export async function availableCores(): Promise<number> {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, typeof n === "number" && n > 0 ? n | 0 : 1);
}

/** Number of logical cores, synchronously (navigator.hardwareConcurrency; 1 if unknown). */
export function coresSync(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, typeof n === "number" && n > 0 ? n | 0 : 1);
}

/** Nothing to prepare: workers here are Web Workers. */
export async function prepareWorkers(): Promise<void> {}

/** Always null: no worker threads here. */
export function startNodeWorker(_url: URL): NodeWorkerLike | null {
  return null;
}

/** Always null: a Web Worker talks to its parent through its global scope. */
export async function nodeParentPort(): Promise<ParentPortLike | null> {
  return null;
}

/** Null: the package's worker is started by startPackageWebWorker(). */
export async function packageWorkerUrl(): Promise<URL | null> {
  return null;
}

/** Start a Web Worker on the package's worker entry (dist/web/worker.js, next to the chunk
 *  this function is bundled into). Written as the pattern bundlers follow, so that a bundled
 *  app gets the worker built and emitted with the rest. */
export function startPackageWebWorker(): Worker {
  return new Worker(new URL("./worker.js", import.meta.url), { type: "module", name: "seqlearn-worker" });
}

// ---- writing files: not in this build -------------------------------------------------------

/** What writeFileAtomic writes (see platform.ts). */
export type FileData = Uint8Array | string | Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>;

/** A local path (only `file:` URLs and strings; there is no file system here). */
export async function localPath(file: string | URL): Promise<string> {
  return file instanceof URL ? decodeURIComponent(file.pathname) : file;
}

/** No file system in this build (browsers, edge runtimes): ENOSYS. */
export async function writeFileAtomic(file: string | URL, _data: FileData, _opts: { overwrite?: boolean } = {}): Promise<void> {
  throw noFiles(`cannot write ${String(file)}`);
}

/** No file system in this build: ENOSYS. */
export async function makeDirectory(dir: string): Promise<void> {
  throw noFiles(`cannot create ${dir}`);
}

/** No file system in this build: always false. */
export async function pathExists(_path: string): Promise<boolean> {
  return false;
}

/** A file's bytes (Deno only). */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  const d = deno();
  if (!d) throw noFiles(`cannot read ${path}`);
  return d.readFile(path);
}

/** `dir` joined with a file name. */
export function joinPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir.replace(/[\\/]+$/, "")}/${name}`;
}

/** No file system in this build: always "missing". */
export async function pathKind(_path: string): Promise<"missing" | "file" | "directory" | "symlink" | "other"> {
  return "missing";
}

/** A file open for appending text (see platform.ts). */
export interface AppendFile {
  append(text: string): Promise<void>;
  close(): Promise<void>;
}

/** No file system in this build: ENOSYS. */
export async function openAppendFile(path: string, _mode: "create" | "append"): Promise<AppendFile> {
  throw noFiles(`cannot write ${path}`);
}

/** No file system in this build: ENOSYS. */
export async function removeFile(path: string): Promise<void> {
  throw noFiles(`cannot remove ${path}`);
}

/** No file system in this build: ENOSYS. */
export async function removePath(path: string): Promise<void> {
  throw noFiles(`cannot remove ${path}`);
}

/** `path` as it is: there is no current directory in this build. */
export async function absolutePath(path: string): Promise<string> {
  return path;
}

/** No optional peer dependencies in this build: the Redis executor runs in Node only (code
 *  ENOSYS). */
export async function importPeer(name: string): Promise<Record<string, unknown>> {
  throw Object.assign(new Error(`${name} cannot be loaded in the package's browser/edge build`), { code: "ENOSYS" });
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

/** Start a helper thread running `source` (a Web Worker); `onMessage` receives what it posts.
 *  Throws if none can be started. */
export function startHelperThread(source: string, onMessage: (message: unknown) => void): HelperWorker {
  return startBlobWorker(source, onMessage);
}

/** Whether helper threads keep the process alive until they are terminated (Deno: every live
 *  worker does), so that the engine stops idle ones itself. */
export function helpersHoldProcess(): boolean {
  return typeof (globalThis as { Deno?: unknown }).Deno === "object";
}
