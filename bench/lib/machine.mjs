// What the benchmark ran on: CPU, cores, memory, load, runtime and peers.
import os from "node:os";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

function cpuModel() {
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const name = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim();
    const flags = /^flags\s*:\s*(.+)$/m.exec(info)?.[1]?.split(/\s+/) ?? [];
    const simd = ["avx512f", "avx2", "fma", "sse4_2"].filter((f) => flags.includes(f));
    if (name) return simd.length ? `${name} (${simd.join(", ")})` : name;
  } catch { /* not Linux */ }
  return os.cpus()[0]?.model ?? "unknown";
}

export function machine() {
  return {
    cpu: cpuModel(),
    cores: os.cpus().length,
    memoryGiB: os.totalmem() / 2 ** 30,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
  };
}

/** Version of an installed npm package, or null. */
export function npmVersion(root, name) {
  try {
    const require = createRequire(join(root, "package.json"));
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
  } catch {
    try {
      return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
    } catch {
      return null;
    }
  }
}

export function loadAverage() {
  return os.loadavg();
}

/** How much faster two threads finish twice the work of one, on a plain JavaScript loop: the
 *  speed-up this (possibly shared) machine offers at the moment, as a control for a threaded
 *  measurement (2.0 on two free cores). */
export async function twoThreadScaling(iterations = 5e7) {
  const { Worker } = await import("node:worker_threads");
  const code = `const { parentPort } = require("node:worker_threads");
parentPort.on("message", (n) => { let x = 0; for (let i = 0; i < n; i++) x = (x + Math.sqrt(i)) % 1e9; parentPort.postMessage(x); });`;
  const ws = [new Worker(code, { eval: true }), new Worker(code, { eval: true })];
  const run = (w, k) => new Promise((r) => { w.once("message", r); w.postMessage(k); });
  try {
    await Promise.all(ws.map((w) => run(w, 1e6)));
    let best = 0;
    for (let rep = 0; rep < 2; rep++) {
      let t = performance.now();
      await run(ws[0], iterations);
      const one = performance.now() - t;
      t = performance.now();
      await Promise.all(ws.map((w) => run(w, iterations)));
      best = Math.max(best, (2 * one) / (performance.now() - t));
    }
    return best;
  } finally {
    for (const w of ws) await w.terminate();
  }
}
