// The `seqlearn` command.
import { init, version, getEngine } from "../index.js";

function simdAvailable(): boolean {
  // The smallest module using a v128 constant: validates only where SIMD is supported.
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
  return WebAssembly.validate(bytes);
}

async function info(): Promise<void> {
  const t0 = performance.now();
  await init();
  const t1 = performance.now();
  const eng = getEngine();
  const rt = (globalThis as { Deno?: { version: { deno: string } } }).Deno ? `Deno ${(globalThis as any).Deno.version.deno}` : `Node ${process.versions.node} (V8 ${process.versions.v8})`;
  const lines: Array<[string, string]> = [
    ["seqlearn", version],
    ["runtime", `${rt}, ${process.platform}-${process.arch}`],
    ["wasm simd", simdAvailable() ? "available" : "NOT available"],
    ["engine", `loaded from ${eng.origin} in ${(t1 - t0).toFixed(1)} ms`],
    ["engine memory", `${(eng.memoryBytes / 1048576).toFixed(2)} MiB`],
  ];
  const w = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) console.log(`${k.padEnd(w)}  ${v}`);
}

function usage(): string {
  return [
    "usage: seqlearn <command> [options]",
    "",
    "commands:",
    "  info        version, runtime, SIMD support and engine memory",
    "  help        this message",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const cmd = argv[0] ?? "help";
  switch (cmd) {
    case "info":
      await info();
      return 0;
    case "help":
    case "--help":
    case "-h":
      console.log(usage());
      return 0;
    case "--version":
    case "-v":
      console.log(version);
      return 0;
    default:
      console.error(`seqlearn: unknown command ${JSON.stringify(cmd)}\n\n${usage()}`);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error(`seqlearn: ${err?.message ?? err}`);
  process.exit(1);
});
