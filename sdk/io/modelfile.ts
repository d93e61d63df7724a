// The model file written by `seqlearn fit` and read by `seqlearn predict`: JSON with a format
// tag and a version, the column names, the input scaling, the target offset, the training
// parameters, and the model itself (NystromKRR.toJSON()). Readers accept their own version and
// older ones, and refuse anything else with a message saying what the file is.
import { DataError } from "./errors.js";
import type { Scaling } from "./scaling.js";

export const MODEL_FORMAT = "seqlearn-model";
export const MODEL_VERSION = 1;

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: number;
  /** seqlearn version that wrote the file. */
  createdBy: string;
  createdAt: string;
  /** Feature columns, in the order the model expects them. */
  features: string[];
  /** Target column name. */
  target: string;
  /** Standardisation applied to the features before the kernel (null: none). */
  scaling: Scaling | null;
  /** Subtracted from the target before fitting, added back to predictions. */
  yOffset: number;
  /** How the centres were chosen and every parameter of the fit. */
  method: string;
  params: Record<string, unknown>;
  /** Facts about the training run (rows, seconds, dictionary size, training error...). */
  training: Record<string, unknown>;
  /** The fitted model, as its own toJSON() gives it. */
  model: unknown;
}

export function encodeModel(m: Omit<ModelFile, "format" | "version">): string {
  return JSON.stringify({ format: MODEL_FORMAT, version: MODEL_VERSION, ...m }) + "\n";
}

export function decodeModel(text: string, source = "model file"): ModelFile {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new DataError(`not a seqlearn model file: invalid JSON (${(e as Error).message})`, { source });
  }
  const o = obj as Partial<ModelFile> | null;
  if (!o || typeof o !== "object" || o.format !== MODEL_FORMAT) {
    throw new DataError(`not a seqlearn model file (expected "format": "${MODEL_FORMAT}"; write one with \`seqlearn fit\`)`, { source });
  }
  if (typeof o.version !== "number" || !Number.isInteger(o.version) || o.version < 1) throw new DataError(`model file has an invalid version ${JSON.stringify(o.version)}`, { source });
  if (o.version > MODEL_VERSION) throw new DataError(`model file version ${o.version} is newer than this seqlearn understands (≤ ${MODEL_VERSION}); upgrade seqlearn`, { source });
  const bad = (field: string, what: string) => new DataError(`model file field "${field}" must be ${what}`, { source });
  if (!Array.isArray(o.features) || o.features.length === 0 || !o.features.every((f) => typeof f === "string")) throw bad("features", "a non-empty array of column names");
  if (typeof o.target !== "string") throw bad("target", "a column name");
  if (o.scaling !== null) {
    const s = o.scaling;
    const d = o.features.length;
    if (!s || !Array.isArray(s.mean) || !Array.isArray(s.scale) || s.mean.length !== d || s.scale.length !== d ||
      !s.mean.every(Number.isFinite) || !s.scale.every((v) => Number.isFinite(v) && v > 0)) {
      throw bad("scaling", `null or { mean, scale } with ${d} finite numbers each (scale > 0)`);
    }
  }
  if (typeof o.yOffset !== "number" || !Number.isFinite(o.yOffset)) throw bad("yOffset", "a finite number");
  if (o.model === undefined || o.model === null) throw bad("model", "present");
  return o as ModelFile;
}
