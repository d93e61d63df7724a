// Data-parallel alignment training on Web Workers: the SDK and its worker entry bundled as
// scripts/build.mjs bundles dist/web/ (scripts/bundle.mjs), into dist-test/align-parallel/;
// Deno and headless Chromium run the same seeded DPO run without a pool and on pools of 1, 2
// and 4 Web Workers, and every run must give Node's parameters bit for bit (an FNV hash of the
// f32 bytes; Node runs the script from the TypeScript sources, its pool on worker threads).
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
// @ts-ignore: plain .mjs helpers
import { CHROMIUM, chromiumAvailable, runPages } from "./runtime/chromium.mjs";
// @ts-ignore: plain .mjs helper
import { bundleSdk } from "../scripts/bundle.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist-test", "align-parallel");

// DPO on a tiny transformer: 14 pairs, batches of 8 then 6 in micro-batches of 2 (4 and 3 per
// step), two epochs; returns the parameters' hash and the last loss for each pool size (0: none).
const SCRIPT = `
import { init, align, WorkerPool } from "./index.js";
const fnv = (p) => {
  const b = new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
};
export async function run(sizes = [0, 1, 2, 4]) {
  await init();
  const { LanguageModel, PreferenceTrainer } = align;
  const seg = (t, f) => ({ tokens: Int32Array.from(t), trained: new Uint8Array(t.length).fill(f) });
  const data = Array.from({ length: 14 }, (_, i) => ({
    layout: "preference", line: i + 1, prompt: seg([1 + (i % 3), 4], 0), chosen: seg([5, 6, 7].slice(0, 1 + (i % 3)), 1), rejected: seg([8, (i % 4) + 1], 1),
  }));
  const out = {};
  for (const n of sizes) {
    const pool = n ? await WorkerPool.create({ size: n }) : undefined;
    let faults = 0;
    pool?.on("fault", () => faults++);
    try {
      const model = LanguageModel.create({ kind: "transformer", vocab: 12, context: 10, layers: 1, heads: 2, width: 8 }, { seed: 3 });
      const trainer = new PreferenceTrainer(model, { data, loss: "sigmoid", beta: 0.2, batchSize: 8, microBatchSize: 2, epochs: 2, seed: 1, optimizer: { lr: 1e-2 } });
      const r = await trainer.train(pool ? { pool } : {});
      out[n] = { params: fnv(model.getParameters()), loss: r.last.loss, steps: r.steps, faults };
      trainer.dispose();
      model.dispose();
    } finally {
      await pool?.close();
    }
  }
  return out;
}
`;

let reference: Record<string, unknown>;

beforeAll(async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await bundleSdk({ root, outdir: out, target: "web", sourcemap: false });
  writeFileSync(join(out, "run.mjs"), SCRIPT);
  writeFileSync(join(out, "deno.mjs"), `import { run } from "./run.mjs";\nconsole.log(JSON.stringify(await run()));\n`);
  writeFileSync(join(out, "page.html"), `<!doctype html><link rel="icon" href="data:,"><script type="module">import { run } from "./run.mjs";\nrun().then((r) => { window.__ap = r; }, (e) => { window.__ap = { error: String(e && e.stack || e) }; });</script>`);
  // Node: the same script on the TypeScript sources (its pools start dist/node/worker.js).
  writeFileSync(join(out, "run-src.ts"), SCRIPT.replace(`from "./index.js"`, `from "../../sdk/index.ts"`));
  const { run } = await import(/* @vite-ignore */ pathToFileURL(join(out, "run-src.ts")).href);
  const node = await run([0, 2]);
  expect(node[2]).toEqual(node[0]);
  reference = node[0];
});

const expected = () => ({ 0: reference, 1: reference, 2: reference, 4: reference });

describe("data-parallel DPO on Web Workers", () => {
  it("Deno 2: no pool and 1, 2, 4 workers give Node's parameters, bit for bit", () => {
    const r = spawnSync(join(root, "node_modules", ".bin", "deno"), ["run", "--allow-read", "--allow-env", join(out, "deno.mjs")], { encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").pop()!)).toEqual(expected());
  });

  (chromiumAvailable() ? it : it.skip)(`headless Chromium: no pool and 1, 2, 4 Web Workers give Node's parameters, bit for bit${chromiumAvailable() ? "" : ` (skipped: ${CHROMIUM} not found)`}`, async () => {
    const [r] = await runPages(root, [{ path: "dist-test/align-parallel/page.html", global: "__ap" }], { timeoutMs: 120_000 });
    expect(r.errors).toEqual([]);
    expect(r.value).toEqual(expected());
  });
});
