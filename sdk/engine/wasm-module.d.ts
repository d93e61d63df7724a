// For packaged.workerd.ts: a `.wasm` import is a compiled module where it is allowed (the
// bundlers of Cloudflare Workers and workerd).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
