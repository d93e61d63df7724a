// The engine module that ships with the package, as init() finds it without a source: the
// URL of build/seqlearn.wasm, written as the `new URL("literal", import.meta.url)` that bundlers
// (Vite, webpack, Parcel, Rollup plugins) recognise, so that they emit the file with the app
// and rewrite the URL. The path holds from the sources (sdk/engine/) and from every build of
// the package (dist/web/, dist/node/: each two levels below the root). The workerd build
// replaces this file with packaged.workerd.ts.

/** Where init() loads the module from when it is given no source. */
export function packagedWasm(): URL | WebAssembly.Module {
  return new URL("../../build/seqlearn.wasm", import.meta.url);
}

/** Where init() loads the threaded module from (build/seqlearn.threads.wasm: shared memory,
 *  helper threads) where threads are possible. */
export function packagedThreadsWasm(): URL | WebAssembly.Module | null {
  return new URL("../../build/seqlearn.threads.wasm", import.meta.url);
}
