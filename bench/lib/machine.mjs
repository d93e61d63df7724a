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
