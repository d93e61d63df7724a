// A seeded fuzz test of the CLI's readers: random mutations of CSV, TSV, JSON-lines, model and
// dictionary files (binary and JSON) run through fit, rls, predict, inspect, merge and
// fit --dictionary (test/cli-fuzz-driver.ts, in a child process). No run may hang (the child
// has a time limit), end other than with exit code 0, 1 or 2, print a stack trace or a
// message longer than a few lines, change an input, or clobber an earlier output; and no
// temporary file may remain. Fixed seeds: the same mutations on every run of the suite.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const driver = join(root, "dist-test", "cli", "cli-fuzz.js") // two levels down, like dist/node/cli.js;

beforeAll(async () => {
  const esbuild = await import("esbuild");
  mkdirSync(dirname(driver), { recursive: true });
  await esbuild.build({
    entryPoints: [join(root, "test/cli-fuzz-driver.ts")], outfile: driver, bundle: true, format: "esm", target: "es2022", platform: "node",
    external: ["node:*"], logLevel: "warning",
  });
});

describe("fuzzing the CLI's readers", () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: 1000 mutated files, no hang, stack trace, changed input or clobbered output`, () => {
      const r = spawnSync(process.execPath, [driver, String(seed), "1000"], { cwd: root, encoding: "utf8", timeout: 90_000 });
      expect(r.signal, `the fuzz driver did not finish (a hang?): ${r.stderr}`).toBeNull();
      const report = JSON.parse(r.stdout.trim().split("\n").pop()!);
      expect(report.failures, JSON.stringify(report.failures.slice(0, 5), null, 2)).toEqual([]);
      // The mutations reached both outcomes: files still valid enough to succeed, and refusals.
      expect(report.codes[0] ?? 0).toBeGreaterThan(100);
      expect(report.codes[1] ?? 0).toBeGreaterThan(1000);
    });
  }
});
