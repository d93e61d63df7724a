export * from "./errors.js";
export { Engine, WasmBuffer, CallResult } from "./engine.js";
export { EngineResource, disposedError } from "./resource.js";
export type { Arg, Ptr, Typed } from "./engine.js";
export { input, output, outputF32, outputI32, outputU32, inout, scratch } from "./engine.js";
export { init, initSync, getEngine, isInitialised, compile, engineFromModule, defaultWasmUrl, engineInfo, withThreads } from "./loader.js";
export type { InitOptions, WasmSource, EngineInfo } from "./loader.js";
export type { EngineThreadInfo } from "./engine.js";
export {
  Status, KernelCode, PreferenceKind, SolverCode, GamesParam, GamesMetric, MtpoVariant, MtpoMetric,
  CgPreconditioner, EighMethod, RlsConfig, RlsInfo,
  PairLoss, PairParam, PointLoss, PointParam, Divergence,
  ModelConfig, ModelKind, NnTensor, TensorInfo, Activation, AdamConfig, SampleConfig, LayerOp,
} from "./abi.js";
export type { AbiArgs, AbiReturns, ExportName, WasmExports } from "./abi.js";
