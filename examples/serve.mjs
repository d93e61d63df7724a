// A tiny static file server for the browser example (and the browser tests): serves files of a
// directory on 127.0.0.1 with the MIME types a browser needs for ES modules and WebAssembly.
// No dependencies. What it will serve, and nothing else:
//   - files under the allowed folders of the root (by default what the examples need:
//     examples/, dist/, build/, data/), with a known extension;
//   - never a name starting with "." (.git, .env, ...) or anything under node_modules/;
//   - never a file whose real path (symbolic links resolved) leaves the root;
//   - only to requests whose Host header names this server (127.0.0.1:<port> or
//     localhost:<port>), so a web page on another name cannot read it through DNS rebinding.
// With `isolate` (`--isolate` on the command line), responses carry the two headers that make a
// page cross-origin isolated, which browsers require before they give it shared memory, and so
// before seqlearn's engine runs on several threads there (docs/guide/runtimes.md):
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Embedder-Policy: require-corp
import { createServer } from "node:http";
import { readFile, realpath, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".csv": "text/csv",
  ".svg": "image/svg+xml",
};

/** The headers of a cross-origin isolated page (every resource here is same-origin, which
 *  `require-corp` allows without a Cross-Origin-Resource-Policy header). */
export const ISOLATION_HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
};

/** The folders of the repository the examples need. */
export const EXAMPLE_FOLDERS = ["examples/", "dist/", "build/", "data/"];

/** Serve files of `root` on 127.0.0.1:`port` (0 = a free port); resolves to { url, close() }.
 *  `options.allow`: the folders under the root that may be served (paths relative to the
 *  root, ending in "/"; default EXAMPLE_FOLDERS). `options.isolate`: true, or a function of the
 *  request's path, to send ISOLATION_HEADERS. */
export function serveStatic(root, port = 0, options = {}) {
  const allow = (options.allow ?? EXAMPLE_FOLDERS).map((a) => a.replace(/^\/+/, ""));
  const isolate = typeof options.isolate === "function" ? options.isolate : () => options.isolate === true;
  let hosts = new Set();
  const rootReal = realpath(root);
  const server = createServer(async (req, res) => {
    const refuse = (code, text) => void res.writeHead(code, { "content-type": "text/plain" }).end(text);
    try {
      if (!hosts.has(String(req.headers.host ?? "").toLowerCase())) return refuse(421, "this server answers only to 127.0.0.1 and localhost");
      if (req.method !== "GET" && req.method !== "HEAD") return refuse(405, "only GET and HEAD");
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "");
      const parts = path.split("/");
      if (parts.some((p) => p.startsWith(".") || p === "node_modules")) return refuse(404, "not found");
      if (!allow.some((a) => (path + (path.endsWith("/") ? "" : "/")).startsWith(a) || path.startsWith(a))) return refuse(404, "not found");
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) return refuse(403, "forbidden");
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const type = TYPES[extname(file)];
      if (!type) return refuse(404, "not found");
      // Links are followed only while they stay inside the root.
      const real = await realpath(file);
      const base = await rootReal;
      if (real !== base && !real.startsWith(base + sep)) return refuse(404, "not found");
      const body = await readFile(real);
      res.writeHead(200, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff", ...(isolate(path) ? ISOLATION_HEADERS : {}) });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      refuse(404, "not found");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port } = server.address();
      hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) });
    });
  });
}

// `node examples/serve.mjs [port]` serves what the examples need from the repository, so that
// http://127.0.0.1:<port>/examples/browser/ can import ../../dist/web/index.js and
// http://127.0.0.1:<port>/dist/demo/ shows the interactive demo.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(fileURLToPath(new URL(".", import.meta.url)), "..").replace(/\/$/, "");
  const args = process.argv.slice(2);
  const isolate = args.includes("--isolate");
  const port = Number(args.find((a) => a !== "--isolate") ?? process.env.PORT ?? 8080);
  const { url } = await serveStatic(root, port, { isolate });
  console.log(`serving ${EXAMPLE_FOLDERS.join(", ")} of ${root}${isolate ? " (cross-origin isolated: threads)" : ""} — open ${url}dist/demo/ (the interactive demo, \`npm run build\` first) or ${url}examples/browser/ (Ctrl-C to stop)`);
}
