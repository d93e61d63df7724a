// packaged.ts for Cloudflare Workers and workerd (the package's `workerd` condition): the
// module is imported, and the platform's bundler (wrangler's default rule for `*.wasm`) hands
// it over compiled, since code generation from bytes is not allowed there. So `await init()`
// works in a Worker without a source, and never touches import.meta.url.
import wasm from "../../build/seqlearn.wasm";

/** The compiled module the platform provides. */
export function packagedWasm(): URL | WebAssembly.Module {
  return wasm;
}

/** None: workerd runs one thread (no workers, no shared memory). */
export function packagedThreadsWasm(): URL | WebAssembly.Module | null {
  return null;
}
