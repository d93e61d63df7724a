/**
 * Alignment training: the preference, unpaired, reward and distillation losses (each written
 * once, in the engine), tokenizers, TRL-layout datasets and model files.
 *
 * @module
 */
export * from "./losses.js";
