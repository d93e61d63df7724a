// Edge runtimes: a fetch handler that answers with an RBF kernel matrix. Edge platforms
// (and pages with a strict Content-Security-Policy) usually forbid compiling WebAssembly
// from bytes at run time; instead the platform hands you a compiled WebAssembly.Module
// (e.g. `import wasm from "seqlearn/wasm"` in a Workers bundle). initSync(module) turns it
// into an engine without any fetch or compile. Where bytes are allowed, init(bytes) or
// init(response) work as well.
//
// Run locally: node examples/edge-worker.mjs   (simulates the platform below)
import { initSync, init, isInitialised, rbf, Matrix } from "seqlearn";

/** The worker: `wasm` is the compiled module the platform provides. */
export function createWorker(wasm) {
  return {
    async fetch(request) {
      if (!isInitialised()) initSync(wasm); // once per isolate, synchronous
      const { points, gamma } = await request.json();
      const K = rbf({ gamma }).matrix(Matrix.fromRows(points));
      return Response.json({ K: K.toArray() });
    },
  };
}

// --- local simulation of the platform (only when run directly with Node) --------------
const script = globalThis.process?.argv?.[1];
if (script && import.meta.url === (await import("node:url")).pathToFileURL(script).href) {
  const { readFile } = await import("node:fs/promises");
  const bytes = await readFile(new URL("../build/seqlearn.wasm", import.meta.url));

  // 1. Strict-CSP style: the platform compiled the module ahead of time.
  const worker = createWorker(await WebAssembly.compile(bytes));
  const req = new Request("https://example.test/kernel", {
    method: "POST",
    body: JSON.stringify({ points: [[0, 0], [1, 0], [0, 2]], gamma: 0.5 }),
  });
  const res = await worker.fetch(req);
  console.log("worker response:", JSON.stringify(await res.json()));

  // 2. From a Response (what fetch() returns) or from raw bytes.
  const eng = await init(new Response(bytes, { headers: { "content-type": "application/wasm" } }));
  console.log(`init(Response): engine with ${eng.memoryBytes} bytes of memory`);
  const eng2 = await init(bytes);
  console.log(`init(bytes): engine with ${eng2.memoryBytes} bytes of memory`);
}
