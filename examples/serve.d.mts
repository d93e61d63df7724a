// Types of serve.mjs (plain JavaScript so that it runs with `node examples/serve.mjs`).

/** A running server: its base URL (ending in "/") and a function that stops it. */
export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** The folders of the repository the examples need (what `serveStatic` serves by default). */
export const EXAMPLE_FOLDERS: readonly string[];

/** The response headers that make a page cross-origin isolated (COOP same-origin, COEP
 *  require-corp): what a page needs for shared memory, hence for the engine's threads. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>>;

/** Serve files of `root` on 127.0.0.1:`port` (0 = a free port): only under the `allow`ed
 *  folders (default EXAMPLE_FOLDERS), never dot-files or node_modules, never through a link
 *  that leaves the root, and only to requests whose Host names the server. With `isolate`
 *  (true, or a function of the request's path) the responses carry ISOLATION_HEADERS. */
export function serveStatic(root: string, port?: number, options?: { allow?: readonly string[]; isolate?: boolean | ((path: string) => boolean) }): Promise<StaticServer>;
