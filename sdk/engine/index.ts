export * from "./errors.js";
export { Engine, WasmBuffer } from "./engine.js";
export type { Arg, CallResult } from "./engine.js";
export { input, output, outputI32, inout, scratch } from "./engine.js";
export { init, initSync, getEngine, isInitialised, compile, engineFromModule, defaultWasmUrl } from "./loader.js";
export type { InitOptions, WasmSource } from "./loader.js";
export { Status } from "./abi.js";
