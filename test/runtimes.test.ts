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
  engine?: { threads: number; module: string; note: string; waiting: string | null; threadsPossible: boolean; threadsUnavailable: string; crossOriginIsolated: boolean | null };
  threadDigests?: Record<string, Record<string, string>>;
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
function checkReport(label: string, report: SuiteReport, threaded = false): void {
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
  if (threaded) {
    // The threaded engine: the digests with 1, 2 and 4 threads (kernels split into small tasks)
    // are Node's, and the helpers really ran (threads − 1 of them took part).
    expect(report.engine?.module, `${label}: the threaded module`).toBe("threads");
    expect(Object.keys(report.threadDigests ?? {}), `${label}: digests with threads`).toEqual(["1", "2", "4"]);
    for (const t of ["1", "2", "4"]) {
      const { helpers, ...d } = report.threadDigests![t];
      expect(d, `${label}: digest with ${t} threads vs Node`).toEqual(reference);
      expect(Number(helpers), `${label}: helpers running with ${t} threads`).toBe(Number(t) - 1);
    }
    matrix[label].detail += `; threads 1, 2, 4: same digest (${report.engine?.waiting === "spin" ? "main thread polls" : "main thread waits"})`;
  } else {
    expect(report.threadDigests, `${label}: no threads`).toBeUndefined();
  }
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
    checkReport("deno", report, true);
  });

  it("Deno 2: idle helper threads leave (so the process exits by itself) and come back when there is work", async () => {
    const out = await run(deno, ["run", "--allow-read", "--no-prompt", "test/runtime/deno-threads.mjs"], denoEnv);
    const exited = Date.now();
    expect(out.code, out.stderr).toBe(0);
    const r = JSON.parse(out.stdout.trim().split("\n").pop()!) as { info: { module: string; threads: number }; before: number; idle: number; after: number; same: boolean; end: number };
    expect(r.info).toMatchObject({ module: "threads", threads: 2 });
    expect([r.before, r.idle, r.after], "helpers: running, gone after 800 ms idle, running again").toEqual([1, 0, 1]);
    expect(r.same, "the same product before and after").toBe(true);
    // The script ends at r.end; the process must not wait for its helpers (it would hang: a live
    // worker keeps Deno running). Start-up and reporting take well under the 120 s time-out.
    expect(exited - r.end).toBeLessThan(10_000);
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
    // The suite page is served cross-origin isolated (COOP/COEP, examples/serve.mjs): shared
    // memory, so the threaded module with helper Web Workers and a main thread that polls.
    const [suite, example, plain] = await runPages(root, [
      { path: "test/runtime/browser.html", global: "__seqlearnReport" },
      { path: "examples/browser/index.html", global: "__example" },
      { path: "test/runtime/not-isolated.html", global: "__notIsolated" },
    ], { isolate: (path: string) => !/not-isolated|^examples\//.test(path) });
    expect(suite.value.fatal, "the suite page failed to run").toBeUndefined();
    expect(suite.errors, "page errors").toEqual([]);
    expect(suite.userAgent).toMatch(/HeadlessChrome/);
    const report = suite.value as unknown as SuiteReport;
    expect(report.engine).toMatchObject({ module: "threads", crossOriginIsolated: true, threadsPossible: true, waiting: "spin" });
    checkReport("chromium", report, true); // the page's report, structured-cloned out of the browser
    // Without the headers: one thread, the reason said, the same numbers.
    expect(plain.errors).toEqual([]);
    const info = (plain.value as { info: { module: string; threads: number; note: string; crossOriginIsolated: boolean } }).info;
    expect(info).toMatchObject({ module: "single", threads: 1, crossOriginIsolated: false });
    expect(info.note).toMatch(/not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
    expect((plain.value as { K: number[][] }).K).toEqual(rbf({ gamma: 1 }).matrix(Matrix.fromRows([[0, 0], [1, 0], [0, 1], [1, 1]])).toArray());
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
