// The runtime matrix: the core suite (test/core/suite.ts) bundled once and run in Deno 2,
// headless Chromium and against the WASI build under node:wasi, each in its own process.
// Every case must pass everywhere, and the determinism digest (seeded PRNG streams, a
// Cholesky factor, kernel blocks, a GEMM) must be byte-identical to the one computed here in
// Node. The examples run too.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, rbf, Matrix, Rng } from "../sdk/index.js";
import { cases, digest } from "./core/suite.js";
import { bundleSuite, root } from "./runtime/bundle.mjs";
import { serveStatic } from "../examples/serve.mjs";
import { CHROMIUM, chromiumAvailable, runPages } from "./runtime/chromium.mjs";

interface CaseResult { name: string; ok: boolean; ms: number; error?: string }
interface SuiteReport {
  runtime: string;
  results: CaseResult[];
  digest: Record<string, string>;
  digestError?: string;
  trapRecovery?: { ok: boolean; error?: string };
}

const deno = join(root, "node_modules", ".bin", "deno");
const denoEnv = { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", DENO_DIR: join(tmpdir(), "seqlearn-deno-cache") };

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: root, env, timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function lastJson(out: { code: number; stdout: string; stderr: string }, what: string): SuiteReport {
  const line = out.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as SuiteReport;
  } catch {
    throw new Error(`${what} printed no report (exit ${out.code}).\nstdout: ${out.stdout.slice(-2000)}\nstderr: ${out.stderr.slice(-4000)}`);
  }
}

let reference: Record<string, string> = {};
const matrix: Record<string, { status: string; passed?: number; failed?: number; digest?: string; detail?: string }> = {};

/** Assert a report: every case of the suite ran and passed, and the digest equals Node's. */
function checkReport(label: string, report: SuiteReport): void {
  const failed = report.results.filter((r) => !r.ok);
  matrix[label] = {
    status: failed.length === 0 && JSON.stringify(report.digest) === JSON.stringify(reference) ? "ok" : "FAILED",
    passed: report.results.length - failed.length,
    failed: failed.length,
    digest: Object.values(report.digest).join(" "),
    detail: report.runtime,
  };
  expect(report.results.map((r) => r.name), `${label}: the cases that ran`).toEqual(cases.map((c) => c.name));
  expect(failed.map((r) => `${r.name} — ${r.error}`), `${label}: failing cases`).toEqual([]);
  expect(report.digestError, `${label}: digest() threw`).toBeUndefined();
  expect(report.digest, `${label}: determinism digest vs Node`).toEqual(reference);
}

beforeAll(async () => {
  await init();
  reference = await digest();
  matrix.node = { status: "ok", digest: Object.values(reference).join(" "), detail: `node ${process.versions.node}; its cases run in test/core.test.ts` };
  await bundleSuite();
});

afterAll(() => {
  // A summary for scripts/test.mjs to print at the end of `npm test`.
  mkdirSync(join(root, "dist-test"), { recursive: true });
  writeFileSync(join(root, "dist-test", "runtime-matrix.json"), JSON.stringify({ time: Date.now(), runtimes: matrix }, null, 1));
});

describe("runtime matrix: the core suite everywhere", () => {
  it("Node digest covers PRNG streams, a Cholesky factor, kernel blocks and a GEMM", async () => {
    const keys = Object.keys(reference);
    for (const k of ["rng", "cholesky", "kernel", "gemm"]) expect(keys.some((key) => key.endsWith(`.${k}`)), k).toBe(true);
    // The digest really depends on the numbers: recomputing gives the same, a perturbed seed does not.
    expect(await digest()).toEqual(reference);
    const a = new Rng(2024, 7), b = new Rng(2024, 8);
    expect(Array.from(a.uniform(4))).not.toEqual(Array.from(b.uniform(4)));
    a.dispose(); b.dispose();
  });

  it("Deno 2: every case passes and the digest is byte-identical to Node's", async () => {
    const out = await run(deno, ["run", "--allow-read", "--no-prompt", "test/runtime/deno.mjs"], denoEnv);
    const report = lastJson(out, "deno");
    expect(report.runtime).toMatch(/^deno 2\./);
    checkReport("deno", report);
  });

  it("WASI build under node:wasi: every case passes, digest identical, traps reset the engine", async () => {
    const out = await run(process.execPath, ["--no-warnings", "test/runtime/wasi.mjs"]);
    const report = lastJson(out, "the WASI runner");
    expect(report.runtime).toMatch(/^wasi/);
    checkReport("wasi", report);
    expect(report.trapRecovery, "trap recovery under WASI").toEqual({ ok: true, error: expect.stringMatching(/^EngineTrapError/) });
  });

  const haveChromium = chromiumAvailable();
  if (!haveChromium) {
    const reason = `${CHROMIUM} not found: the browser runtime is not tested here (install it with \`apt-get install -y chromium\`; .ci/run does)`;
    console.warn(`[runtimes] SKIPPED Chromium — ${reason}`);
    matrix.chromium = { status: "skipped", detail: reason };
  }
  (haveChromium ? it : it.skip)(`headless Chromium: every case passes, digest identical, and the browser example works${haveChromium ? "" : ` (skipped: ${CHROMIUM} not found)`}`, async () => {
    const [suite, example] = await runPages(root, [
      { path: "test/runtime/browser.html", global: "__seqlearnReport" },
      { path: "examples/browser/index.html", global: "__example" },
    ]);
    expect(suite.value.fatal, "the suite page failed to run").toBeUndefined();
    expect(suite.errors, "page errors").toEqual([]);
    expect(suite.userAgent).toMatch(/HeadlessChrome/);
    checkReport("chromium", suite.value as unknown as SuiteReport); // the page's report, structured-cloned out of the browser
    // The example page imports dist/web/index.js as a site would; its numbers must equal Node's.
    expect(example.errors, "example page errors").toEqual([]);
    expect(example.value.error).toBeUndefined();
    const X = Matrix.fromRows([[0, 0], [1, 0], [0, 1], [1, 1]]);
    expect(example.value.K).toEqual(rbf({ gamma: 1 }).matrix(X).toArray());
    const rng = new Rng(7);
    expect(example.value.u).toEqual(Array.from(rng.uniform(3)));
    rng.dispose();
  });
});

describe("examples run", () => {
  let nodeOut = "";

  it("examples/node-basic.mjs (imports the package by name)", async () => {
    const out = await run(process.execPath, ["examples/node-basic.mjs"]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    nodeOut = out.stdout;
    const m = /max \|f − sin\| on the test points: (\S+)/.exec(out.stdout);
    expect(m, out.stdout).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(1e-2); // interpolating sin on a 0.5 grid
  });

  it("examples/deno-basic.ts prints exactly what the Node example prints", async () => {
    const out = await run(deno, ["run", "--allow-read", "--no-prompt", "examples/deno-basic.ts"], denoEnv);
    expect(out.code, out.stderr).toBe(0);
    if (!nodeOut) nodeOut = (await run(process.execPath, ["examples/node-basic.mjs"])).stdout;
    expect(out.stdout).toBe(nodeOut);
  });

  it("examples/edge-worker.mjs answers with the kernel matrix", async () => {
    const out = await run(process.execPath, ["examples/edge-worker.mjs"]);
    expect(out.code, out.stderr).toBe(0);
    const line = out.stdout.split("\n").find((l) => l.startsWith("worker response: "))!;
    const K = JSON.parse(line.slice("worker response: ".length)).K as number[][];
    expect(K).toEqual(rbf({ gamma: 0.5 }).matrix([[0, 0], [1, 0], [0, 2]]).toArray());
    expect(out.stdout).toMatch(/init\(Response\): engine with \d+ bytes/);
    expect(out.stdout).toMatch(/init\(bytes\): engine with \d+ bytes/);
  });
});

describe("examples/serve.mjs", () => {
  it("serves the module with its MIME type and nothing outside the root", async () => {
    const server = await serveStatic(root);
    try {
      const wasm = await fetch(server.url + "build/seqlearn.wasm");
      expect(wasm.status).toBe(200);
      expect(wasm.headers.get("content-type")).toBe("application/wasm");
      const got = new Uint8Array(await wasm.arrayBuffer());
      expect(Array.from(got.subarray(0, 4))).toEqual([0, 97, 115, 109]); // "\0asm"
      expect((await fetch(server.url + "examples/browser/")).headers.get("content-type")).toMatch(/^text\/html/);
      expect((await fetch(server.url + "dist/web/index.js")).headers.get("content-type")).toMatch(/^text\/javascript/);
      expect((await fetch(server.url + "%2e%2e/%2e%2e/etc/passwd")).status).toBeGreaterThanOrEqual(400);
      expect((await fetch(server.url + "no/such/file.js")).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
