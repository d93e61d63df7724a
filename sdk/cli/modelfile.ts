// The model file written by `seqlearn fit` and read by `seqlearn predict`: JSON with a format
// tag, the column names, the input scaling, the target offset, the training parameters, and
// the model itself (NystromKRR.toJSON()). The reader accepts every version up to its own and
// refuses anything else with a message saying what the file is.
//
// Versions:
//   "format": "seqlearn.model/2"                    current (the tag carries the version)
//   "format": "seqlearn-model", "version": 1        first release; params named mu and gamma
//                                                   where version 2 says ridge and lambda
// The model inside carries its own tag (NystromKRR.toJSON(): "seqlearn.krr/2" now, "seqlearn.krr/1"
// in the files of earlier builds), and NystromKRR.fromJSON reads both.
import { DataError } from "../io/errors.js";
import type { Scaling } from "./scaling.js";

export const MODEL_KIND = "seqlearn.model";
export const MODEL_VERSION = 2;
export const MODEL_FORMAT = `${MODEL_KIND}/${MODEL_VERSION}`;
/** The tag of version 1 files, whose version is a separate field. */
export const MODEL_FORMAT_V1 = "seqlearn-model";

/** The fields written by `seqlearn fit`. */
export interface ModelFileBody {
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

/** A model file as read: its fields, the tag as written, and its format version. */
export interface ModelFile extends ModelFileBody {
  format: string;
  version: number;
}

export function encodeModel(m: ModelFileBody): string {
  return JSON.stringify({ format: MODEL_FORMAT, ...m }) + "\n";
}

/** The format version of a parsed file: N for "seqlearn.model/N", 1 for the first release's
 *  { format: "seqlearn-model", version: 1 }; throws DataError for anything else. */
function versionOf(o: Record<string, unknown>, source: string): number {
  const expected = `expected "format": "${MODEL_FORMAT}"; write one with \`seqlearn fit\``;
  if (o.format === MODEL_FORMAT_V1) {
    if (o.version !== 1) throw new DataError(`model file has an invalid version ${JSON.stringify(o.version)} (a "${MODEL_FORMAT_V1}" file is version 1)`, { source });
    return 1;
  }
  const m = typeof o.format === "string" ? /^seqlearn\.model\/(\d+)$/.exec(o.format) : null;
  if (!m) throw new DataError(`not a seqlearn model file (${expected})`, { source });
  const v = Number(m[1]);
  if (v < 2) throw new DataError(`model file has an invalid format version ${JSON.stringify(o.format)} (${expected})`, { source });
  if (v > MODEL_VERSION) throw new DataError(`model file version ${v} is newer than this seqlearn understands (≤ ${MODEL_VERSION}); upgrade seqlearn`, { source });
  return v;
}

export function decodeModel(text: string, source = "model file"): ModelFile {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new DataError(`not a seqlearn model file: invalid JSON (${(e as Error).message})`, { source });
  }
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) throw new DataError(`not a seqlearn model file (expected a JSON object with "format": "${MODEL_FORMAT}")`, { source });
  const version = versionOf(obj as Record<string, unknown>, source);
  const o = obj as Partial<ModelFile>;
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
  return { ...(o as ModelFile), version };
}
