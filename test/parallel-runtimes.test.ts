// DISQUEAK with workers in Deno (Web Workers) and headless Chromium (Web Workers): the SDK and
// its worker entry are bundled as scripts/build.mjs bundles dist/ (scripts/bundle.mjs), into
// dist-test/parallel/; each runtime runs the same tree on a 2-worker pool, and the dictionary
// files must be byte-identical to Node's.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { init, disqueak, encodeDictionary, Matrix, rbf } from "../sdk/index.js";
// @ts-ignore: plain .mjs helpers
import { CHROMIUM, chromiumAvailable, runPages } from "./runtime/chromium.mjs";
// @ts-ignore: plain .mjs helper
import { bundleSdk } from "../scripts/bundle.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist-test", "parallel");

// The script each runtime runs: a seeded tree on a 2-worker pool; reports an FNV hash of the
// dictionary file, the pool size and whether the inline run agrees.
const SCRIPT = `
import { init, disqueak, WorkerPool, Matrix, rbf, encodeDictionary } from "./index.js";
export async function run() {
  await init();
  const n = 600, X = new Matrix(n, 2);
  let s = 12345;
  for (let i = 0; i < 2 * n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    X.data[i] = (s / 4294967296) * 6 - 3 + (i % 40 === 0 ? 20 : 0);
  }
  const opts = { kernel: rbf({ gamma: 0.5 }), gamma: 1, qbar: 8, seed: 3, leafSize: 150 };
  const pool = await WorkerPool.create({ size: 2 });
  let faults = 0;
  pool.on("fault", () => faults++);
  try {
    const a = encodeDictionary((await disqueak(X, { ...opts, pool })).dictionary);
    const b = encodeDictionary((await disqueak(X, { ...opts, workers: 0 })).dictionary);
    let h = 0x811c9dc5;
    for (const x of a) h = Math.imul(h ^ x, 0x01000193) >>> 0;
    return { hash: h.toString(16), bytes: a.length, inlineAgrees: a.length === b.length && a.every((x, i) => x === b[i]), workers: pool.size, faults };
  } finally {
    await pool.close();
  }
}
`;

let reference: { hash: string; bytes: number };

beforeAll(async () => {
  await init();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await bundleSdk({ root, outdir: out, target: "web", sourcemap: false });
  writeFileSync(join(out, "run.mjs"), SCRIPT);
  writeFileSync(join(out, "deno.mjs"), `import { run } from "./run.mjs";\nconsole.log(JSON.stringify(await run()));\n`);
  // The same script on the TypeScript sources: Deno runs them, and the pool starts sdk/worker.ts.
  writeFileSync(join(out, "run-src.ts"), SCRIPT.replace(`from "./index.js"`, `from "../../sdk/index.ts"`));
  writeFileSync(join(out, "deno-src.ts"), `import { run } from "./run-src.ts";\nconsole.log(JSON.stringify(await run()));\n`);
  writeFileSync(join(out, "page.html"), `<!doctype html><script type="module">import { run } from "./run.mjs";\nrun().then((r) => { window.__dq = r; }, (e) => { window.__dq = { error: String(e && e.stack || e) }; });</script>`);
  // Node reference, from the sources, in this thread.
  const n = 600, X = new Matrix(n, 2);
  let s = 12345;
  for (let i = 0; i < 2 * n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    X.data[i] = (s / 4294967296) * 6 - 3 + (i % 40 === 0 ? 20 : 0);
  }
  const a = encodeDictionary((await disqueak(X, { kernel: rbf({ gamma: 0.5 }), gamma: 1, qbar: 8, seed: 3, leafSize: 150, workers: 0 })).dictionary);
  let h = 0x811c9dc5;
  for (const x of a) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  reference = { hash: h.toString(16), bytes: a.length };
});

describe("DISQUEAK on Web Workers", () => {
  it("Deno 2: a 2-worker pool gives Node's dictionary, byte for byte", () => {
    const r = spawnSync(join(root, "node_modules", ".bin", "deno"), ["run", "--allow-read", "--allow-env", join(out, "deno.mjs")], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(rep).toEqual({ ...reference, inlineAgrees: true, workers: 2, faults: 0 });
  });

  it("Deno 2 from the TypeScript sources (worker entry sdk/worker.ts): the same dictionary", () => {
    const r = spawnSync(join(root, "node_modules", ".bin", "deno"), ["run", "--allow-read", "--allow-env", join(out, "deno-src.ts")], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(rep).toEqual({ ...reference, inlineAgrees: true, workers: 2, faults: 0 });
  });

  (chromiumAvailable() ? it : it.skip)(`headless Chromium: a 2-worker pool gives Node's dictionary, byte for byte${chromiumAvailable() ? "" : ` (skipped: ${CHROMIUM} not found)`}`, async () => {
    const [r] = await runPages(root, [{ path: "dist-test/parallel/page.html", global: "__dq" }], { timeoutMs: 60_000 });
    expect(r.value).toEqual({ ...reference, inlineAgrees: true, workers: 2, faults: 0 });
  });
});
