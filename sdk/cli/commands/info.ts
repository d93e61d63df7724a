// seqlearn info: version, runtime, SIMD support, threads and engine memory.
import { init, version, getEngine, engineInfo } from "../../index.js";
import { command, UsageError } from "../command.js";
import { JSON_OUT } from "../options.js";
import { out } from "../term.js";

function simdAvailable(): boolean {
  // The smallest module using a v128 constant: validates only where SIMD is supported.
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
  return WebAssembly.validate(bytes);
}

export const info = command({
  name: "info",
  summary: "version, runtime, SIMD support, threads and engine memory",
  synopsis: "seqlearn info [--json]",
  flags: { ...JSON_OUT },
  async run({ positional, values: v }) {
    if (positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
    const t0 = performance.now();
    await init();
    const t1 = performance.now();
    const eng = getEngine();
    const ei = engineInfo(eng);
    const g = globalThis as { Deno?: { version: { deno: string } } };
    const rt = g.Deno ? `Deno ${g.Deno.version.deno}` : `Node ${process.versions.node} (V8 ${process.versions.v8})`;
    const facts = {
      seqlearn: version,
      runtime: `${rt}, ${process.platform}-${process.arch}`,
      simd: simdAvailable(),
      engine: `loaded from ${eng.origin} in ${(t1 - t0).toFixed(1)} ms`,
      memoryBytes: eng.memoryBytes,
      threads: ei.threads,
      cores: ei.cores,
      module: ei.module,
      threadsNote: ei.note,
    };
    if (v.json) {
      out(JSON.stringify(facts, null, 2));
      return 0;
    }
    const lines: Array<[string, string]> = [
      ["seqlearn", facts.seqlearn],
      ["runtime", facts.runtime],
      ["wasm simd", facts.simd ? "available" : "NOT available"],
      ["engine", facts.engine],
      ["threads", `${facts.threads} of ${facts.cores} cores (${facts.module === "threads" ? "threaded module" : "single-threaded module"}): ${facts.threadsNote}`],
      ["engine memory", `${(facts.memoryBytes / 1048576).toFixed(2)} MiB`],
    ];
    const w = Math.max(...lines.map(([k]) => k.length));
    for (const [k, v] of lines) out(`${k.padEnd(w)}  ${v}`);
    return 0;
  },
});
