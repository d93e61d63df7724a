// The typed errors live in sdk/core/errors.ts (they are not Wasm-specific); this module
// re-exports them for the engine layer.
export * from "../core/errors.js";
