// A tiny static file server for the browser example (and the browser tests): serves a
// directory on 127.0.0.1 with the MIME types a browser needs for ES modules and WebAssembly.
// Nothing outside the directory is served. No dependencies.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
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
};

/** Serve `root` on 127.0.0.1:`port` (0 = a free port); resolves to { url, close() }. */
export function serveStatic(root, port = 0) {
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end("forbidden");
        return;
      }
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) });
    });
  });
}

// `node examples/serve.mjs [port]` serves the repository so that
// http://127.0.0.1:<port>/examples/browser/ can import ../../dist/web/index.js.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(fileURLToPath(new URL(".", import.meta.url)), "..").replace(/\/$/, "");
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
  const { url } = await serveStatic(root, port);
  console.log(`serving ${root} — open ${url}dist/demo/ (the interactive demo, \`npm run build\` first) or ${url}examples/browser/ (Ctrl-C to stop)`);
}
