// Types of serve.mjs (plain JavaScript so that it runs with `node examples/serve.mjs`).

/** A running server: its base URL (ending in "/") and a function that stops it. */
export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serve `root` on 127.0.0.1:`port` (0 = a free port). */
export function serveStatic(root: string, port?: number): Promise<StaticServer>;
