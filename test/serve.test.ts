// examples/serve.mjs (issue 14): it serves what the examples need and nothing else — not
// .git, not node_modules, not the sources, not a file a link points to outside the root — on
// 127.0.0.1 only, and only to requests whose Host header names it (DNS rebinding).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { request } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveStatic, EXAMPLE_FOLDERS } from "../examples/serve.mjs";

let root = "";
let outside = "";
let server: { url: string; close(): Promise<void> };

/** GET a path with a chosen Host header; resolves to the status and body. */
function get(path: string, host?: string): Promise<{ status: number; body: string }> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers: host ? { host } : {} }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  // A repository-like tree: what the examples need, and what they must not expose.
  root = mkdtempSync(join(tmpdir(), "seqlearn-serve-"));
  outside = mkdtempSync(join(tmpdir(), "seqlearn-secret-"));
  writeFileSync(join(outside, "secret.js"), "the secret");
  for (const d of ["examples/browser", "dist", "build", "data", ".git", "node_modules/x", "sdk"]) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, "examples/browser/index.html"), "<!doctype html>example");
  writeFileSync(join(root, "dist/index.js"), "export {};");
  writeFileSync(join(root, "build/seqlearn.wasm"), "\0asm");
  writeFileSync(join(root, ".git/config"), "[core]");
  writeFileSync(join(root, "dist/.env.js"), "TOKEN=1");
  writeFileSync(join(root, "node_modules/x/index.js"), "module");
  writeFileSync(join(root, "sdk/index.ts"), "source");
  writeFileSync(join(root, "package.json"), "{}");
  symlinkSync(join(outside, "secret.js"), join(root, "dist/leak.js")); // a link out of the root
  symlinkSync(join(root, "dist/index.js"), join(root, "examples/inside.js")); // a link within it
  server = await serveStatic(root);
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe("examples/serve.mjs", () => {
  it("serves the examples' folders, on 127.0.0.1", async () => {
    expect(EXAMPLE_FOLDERS).toEqual(["examples/", "dist/", "build/", "data/"]);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await get("/examples/browser/")).body).toBe("<!doctype html>example");
    expect((await get("/dist/index.js")).status).toBe(200);
    expect((await get("/build/seqlearn.wasm")).status).toBe(200);
    expect((await get("/examples/inside.js")).body).toBe("export {};"); // a link that stays inside
  });

  it("does not serve .git, node_modules, the sources, or a link out of the root", async () => {
    // was: all of these were served
    for (const p of ["/.git/config", "/dist/.env.js", "/node_modules/x/index.js", "/sdk/index.ts", "/package.json", "/dist/leak.js", "/%2e%2e/%2e%2e/etc/passwd"]) {
      const r = await get(p);
      expect(r.status, p).toBeGreaterThanOrEqual(400);
      expect(r.body, p).not.toMatch(/secret|\[core\]|TOKEN|module|source/);
    }
  });

  it("answers only requests whose Host names it", async () => {
    const port = new URL(server.url).port;
    expect((await get("/dist/index.js", `localhost:${port}`)).status).toBe(200);
    const r = await get("/dist/index.js", `evil.example:${port}`); // was: served (DNS rebinding)
    expect(r.status).toBe(421);
    expect((await get("/dist/index.js", "127.0.0.1")).status).toBe(421); // another port
  });
});
