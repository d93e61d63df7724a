// Model files: weights in the safetensors format, so that other tools (PyTorch, NumPy, the
// `safetensors` package) read them as they are, with the model configuration and the tokenizer
// in the header's `__metadata__`, versioned `seqlearn.lm/1`.
//
// safetensors layout (all little-endian):
//   u64 N | N bytes of JSON header | data
//   header = { "<tensor>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, …,
//              "__metadata__": { "<key>": "<string>", … } }
//   offsets are relative to the start of the data; tensors are C-ordered and tile the data
//   exactly (contiguous, no overlap, no gap), and the header is padded with spaces so the data
//   starts at a multiple of 8.
//
// seqlearn's metadata: "format": "seqlearn.lm/1", "seqlearn.config": the model configuration
// (JSON), "seqlearn.tokenizer": the tokenizer (JSON), and "seqlearn.crc32": the CRC-32 of the
// whole file computed with this field's eight hex digits set to "00000000" — safetensors has
// no checksum of its own, and this one catches every single-bit flip, in the header too.
//
// The reader treats its input as untrusted: the header length is bounded and checked against
// the bytes present, the header must be valid UTF-8 JSON, every dtype known, every shape a list
// of safe non-negative integers whose byte size equals its offsets' span, the spans must tile
// the data, and all of it before a tensor is allocated. Failures are ModelFileError with a
// `code`. Files are written to a temporary name and renamed (Node, Deno); elsewhere
// encodeModelFile gives the bytes.
import { SeqlearnError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { crc32 } from "../core/crc32.js";
import { Tokenizer, TokenizerError } from "./tokenizer.js";
import { joinPath, makeDirectory, pathExists, readFileBytes, writeFileAtomic } from "../platform.js";

/** The format tag of seqlearn language-model files. */
export const LM_FORMAT = "seqlearn.lm/1";
/** The file names inside a model directory. */
export const MODEL_FILES: {
  /** The weights, with the configuration and tokenizer in the metadata. */
  readonly weights: "model.safetensors";
  /** { format, config, tokenizer } as JSON, for people and tools. */
  readonly config: "config.json";
} = { weights: "model.safetensors", config: "config.json" };
/** Default bound on the safetensors header (the reference implementation's: 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Which check a ModelFileError failed. */
export type ModelFileErrorCode =
  | "not-bytes" | "truncated" | "bad-header" | "bad-dtype" | "bad-shape" | "bad-offsets" | "trailing-bytes"
  | "bad-metadata" | "checksum" | "unsupported-version" | "bad-config" | "bad-tokenizer" | "io";

/** A model file could not be read (or written). `code` says which check failed; `offset` is
 *  the byte offset of the offending field when known. */
export class ModelFileError extends SeqlearnError {
  /** Always "ModelFileError". */
  override name = "ModelFileError";
  /** Which check failed. */
  readonly code: ModelFileErrorCode;
  /** Byte offset of the offending field, when known. */
  readonly offset: number | null;
  constructor(code: ModelFileErrorCode, message: string, offset: number | null = null) {
    super(`model file: ${message}${offset !== null ? ` (byte ${offset})` : ""}`);
    this.code = code;
    this.offset = offset;
  }
}

/** Tensor element types (safetensors names). F16 and BF16 are read into Float32Array. */
export type Dtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "U8" | "BOOL";
const DTYPE_BYTES: Record<Dtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 };
const WRITABLE = ["F64", "F32", "I32", "U8"] as const;

/** The array a tensor's data comes back as. */
export type TensorData = Float64Array | Float32Array | Int32Array | Uint8Array | BigInt64Array;

/** A named tensor: element type, shape (C order) and data. */
export interface Tensor {
  /** Element type. */
  dtype: Dtype;
  /** Shape; the data holds the product of its entries. */
  shape: number[];
  /** Elements in C (row-major) order. */
  data: TensorData;
}

/** What a safetensors header says about one tensor. */
export interface TensorInfo {
  /** Tensor name. */
  name: string;
  /** Element type. */
  dtype: Dtype;
  /** Shape. */
  shape: number[];
  /** [begin, end) byte offsets in the data section. */
  offsets: [number, number];
}

const CRC_KEY = "seqlearn.crc32";
const CRC_PATTERN = new TextEncoder().encode(`"${CRC_KEY}":"`);
const LE = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

function dtypeOfArray(d: unknown): (typeof WRITABLE)[number] | null {
  if (d instanceof Float64Array) return "F64";
  if (d instanceof Float32Array) return "F32";
  if (d instanceof Int32Array) return "I32";
  if (d instanceof Uint8Array) return "U8";
  return null;
}

function elements(shape: readonly unknown[], where: string, fail: (msg: string) => never): number {
  if (shape.length > 16) fail(`${where}: ${shape.length} dimensions (at most 16)`);
  let n = 1;
  for (let k = 0; k < shape.length; k++) {
    const s = shape[k];
    if (typeof s !== "number" || !Number.isSafeInteger(s) || s < 0) fail(`${where}: shape[${k}] must be an integer ≥ 0, got ${JSON.stringify(s)}`);
    n *= s as number;
    if (!Number.isSafeInteger(n)) fail(`${where}: shape ${JSON.stringify(shape)} has more than 2^53 elements`);
  }
  return n;
}

/** Little-endian bytes of a typed array (a copy on big-endian hosts). */
function leBytes(data: Float64Array | Float32Array | Int32Array | Uint8Array): Uint8Array {
  const b = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LE || data.BYTES_PER_ELEMENT === 1) return b;
  const out = new Uint8Array(b.length), w = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < b.length; i += w) for (let k = 0; k < w; k++) out[i + k] = b[i + w - 1 - k];
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Encode named tensors (and string metadata) as safetensors bytes. Tensors are written in the
 * order given, data aligned to 8 bytes; F64, F32, I32 and U8 arrays are accepted (the dtype
 * follows the array, or must match it). With `checksum` (default true) the metadata gets
 * `seqlearn.crc32`, which decodeSafetensors verifies.
 */
export function encodeSafetensors(tensors: Readonly<Record<string, Tensor | { shape: number[]; data: TensorData; dtype?: Dtype }>>, metadata: Readonly<Record<string, string>> = {}, opts: { checksum?: boolean } = {}): Uint8Array {
  const o = checkOptions<{ checksum?: boolean }>(opts, "encodeSafetensors", ["checksum"]);
  const fail = (msg: string): never => {
    throw new ValueError(`encodeSafetensors: ${msg}`);
  };
  if (!tensors || typeof tensors !== "object") fail("tensors must be an object of { dtype, shape, data }");
  const header: Record<string, unknown> = {};
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== "string") fail(`metadata["${k}"] must be a string (safetensors metadata maps strings to strings)`);
    if (k === CRC_KEY) fail(`metadata key "${CRC_KEY}" is reserved`);
    meta[k] = v;
  }
  const checksum = o.checksum ?? true;
  if (checksum) meta[CRC_KEY] = "00000000";
  if (Object.keys(meta).length) header.__metadata__ = meta;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === "" || name === "__metadata__") fail(`tensor name ${JSON.stringify(name)} is not allowed`);
    const dt = dtypeOfArray(t?.data);
    if (!dt) fail(`tensor "${name}": data must be a Float64Array, Float32Array, Int32Array or Uint8Array`);
    if (t.dtype !== undefined && t.dtype !== dt) fail(`tensor "${name}": dtype ${t.dtype} does not match its ${t.data.constructor.name}`);
    if (!Array.isArray(t.shape)) fail(`tensor "${name}": shape must be an array`);
    const n = elements(t.shape, `tensor "${name}"`, fail);
    if (n !== t.data.length) fail(`tensor "${name}": shape ${JSON.stringify(t.shape)} has ${n} elements, data ${t.data.length}`);
    const bytes = leBytes(t.data as Float64Array | Float32Array | Int32Array | Uint8Array);
    header[name] = { dtype: dt, shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const total = 8 + padded + offset;
  if (!Number.isSafeInteger(total) || total > 2 ** 53) fail("the file would be too large");
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded % 2 ** 32, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  if (checksum) {
    const pos = indexOf(out.subarray(8, 8 + json.length), CRC_PATTERN);
    const hex = (crc32(out) >>> 0).toString(16).padStart(8, "0");
    out.set(new TextEncoder().encode(hex), 8 + pos + CRC_PATTERN.length);
  }
  return out;
}

/** Options of decodeSafetensors. */
export interface DecodeOptions {
  /** Largest header accepted, in bytes. Default 100 MB (MAX_HEADER_BYTES). */
  maxHeaderBytes?: number;
  /** Verify `seqlearn.crc32` when present (default true); a file without it is not checked. */
  checksum?: boolean;
}

/** What inspectSafetensors reads: the header only. */
export interface SafetensorsHeader {
  /** N, the length of the JSON header (the data starts at 8 + N). */
  headerBytes: number;
  /** The tensors in header order. */
  tensors: TensorInfo[];
  /** The `__metadata__` strings. */
  metadata: Record<string, string>;
}

/** A decoded safetensors file. */
export interface Safetensors {
  /** Tensors by name. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` strings. */
  metadata: Record<string, string>;
}

/** Read and validate a safetensors header without touching the tensor data. */
export function inspectSafetensors(bytes: Uint8Array, opts: DecodeOptions = {}): SafetensorsHeader {
  const o = checkOptions<DecodeOptions>(opts, "inspectSafetensors", ["maxHeaderBytes", "checksum"]);
  if (!(bytes instanceof Uint8Array)) throw new ModelFileError("not-bytes", `expected a Uint8Array, got ${(bytes as object)?.constructor?.name ?? typeof bytes}`);
  const maxHeader = o.maxHeaderBytes ?? MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeader) || maxHeader < 2) throw new ValueError(`maxHeaderBytes must be an integer ≥ 2, got ${String(maxHeader)}`);
  if (bytes.length < 8) throw new ModelFileError("truncated", `${bytes.length} bytes; a safetensors file starts with an 8-byte header length`, 0);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = v.getUint32(0, true), hi = v.getUint32(4, true);
  if (hi !== 0 || lo > maxHeader) throw new ModelFileError("bad-header", `the header length ${hi ? `${hi}·2^32 + ${lo}` : lo} exceeds the bound of ${maxHeader} bytes`, 0);
  const N = lo;
  if (N < 2) throw new ModelFileError("bad-header", `the header length ${N} is too small for a JSON object`, 0);
  if (8 + N > bytes.length) throw new ModelFileError("truncated", `the header says ${N} bytes, only ${bytes.length - 8} follow`, 0);
  const raw = bytes.subarray(8, 8 + N);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new ModelFileError("bad-header", "the header is not valid UTF-8", 8);
  }
  if (text[0] !== "{") throw new ModelFileError("bad-header", `the header must be a JSON object starting with "{", got ${JSON.stringify(text.slice(0, 10))}`, 8);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ModelFileError("bad-header", `the header is not valid JSON (${(e as Error).message})`, 8);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new ModelFileError("bad-header", "the header must be a JSON object", 8);
  const header = parsed as Record<string, unknown>;
  const metadata: Record<string, string> = {};
  if (header.__metadata__ !== undefined) {
    const m = header.__metadata__;
    if (!m || typeof m !== "object" || Array.isArray(m)) throw new ModelFileError("bad-metadata", "__metadata__ must be an object of strings", 8);
    for (const [k, s] of Object.entries(m as Record<string, unknown>)) {
      if (typeof s !== "string") throw new ModelFileError("bad-metadata", `__metadata__["${k}"] must be a string, got ${typeof s}`, 8);
      metadata[k] = s;
    }
  }
  const dataLength = bytes.length - 8 - N;
  const tensors: TensorInfo[] = [];
  for (const [name, e] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const failShape = (msg: string): never => {
      throw new ModelFileError("bad-shape", msg, 8);
    };
    if (!e || typeof e !== "object" || Array.isArray(e)) throw new ModelFileError("bad-header", `tensor "${name}" must be an object { dtype, shape, data_offsets }`, 8);
    const t = e as Record<string, unknown>;
    if (typeof t.dtype !== "string" || !Object.prototype.hasOwnProperty.call(DTYPE_BYTES, t.dtype)) {
      throw new ModelFileError("bad-dtype", `tensor "${name}": dtype ${JSON.stringify(t.dtype)} is not one of ${Object.keys(DTYPE_BYTES).join(", ")}`, 8);
    }
    const dtype = t.dtype as Dtype;
    if (!Array.isArray(t.shape)) failShape(`tensor "${name}": shape must be an array`);
    const n = elements(t.shape as unknown[], `tensor "${name}"`, failShape);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0) || off[0] > off[1]) {
      throw new ModelFileError("bad-offsets", `tensor "${name}": data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(off)}`, 8);
    }
    const size = n * DTYPE_BYTES[dtype];
    if (!Number.isSafeInteger(size) || size !== off[1] - off[0]) {
      throw new ModelFileError("bad-shape", `tensor "${name}": ${dtype} ${JSON.stringify(t.shape)} is ${size} bytes but data_offsets span ${off[1] - off[0]}`, 8);
    }
    tensors.push({ name, dtype, shape: [...(t.shape as number[])], offsets: [off[0], off[1]] });
  }
  // The spans must tile [0, dataLength): sorted by begin, each starts where the last ended.
  const sorted = [...tensors].sort((a, b) => a.offsets[0] - b.offsets[0] || a.offsets[1] - b.offsets[1]);
  let end = 0;
  for (const t of sorted) {
    if (t.offsets[0] !== end) {
      throw new ModelFileError("bad-offsets", `tensor "${t.name}" starts at ${t.offsets[0]}, but the previous one ends at ${end} (the tensors must be contiguous, without overlap or gap)`, 8);
    }
    end = t.offsets[1];
  }
  if (end > dataLength) throw new ModelFileError("truncated", `the tensors need ${end} bytes of data, only ${dataLength} follow the header`, 8 + N);
  if (end < dataLength) throw new ModelFileError("trailing-bytes", `${dataLength - end} bytes after the last tensor`, 8 + N + end);
  if ((o.checksum ?? true) && metadata[CRC_KEY] !== undefined) verifyChecksum(bytes, N, metadata[CRC_KEY]);
  return { headerBytes: N, tensors, metadata };
}

function verifyChecksum(bytes: Uint8Array, N: number, stored: string): void {
  if (!/^[0-9a-f]{8}$/.test(stored)) throw new ModelFileError("bad-metadata", `${CRC_KEY} must be 8 lowercase hex digits, got ${JSON.stringify(stored)}`, 8);
  const header = bytes.subarray(8, 8 + N);
  const pos = indexOf(header, CRC_PATTERN);
  if (pos < 0 || indexOf(header, CRC_PATTERN, pos + 1) >= 0) {
    throw new ModelFileError("checksum", `cannot locate ${CRC_KEY} in the header as seqlearn writes it (was the file rewritten by another tool? read it with { checksum: false })`, 8);
  }
  const at = 8 + pos + CRC_PATTERN.length;
  let crc = crc32(bytes.subarray(0, at));
  crc = crc32(new TextEncoder().encode("00000000"), crc);
  crc = crc32(bytes.subarray(at + 8), crc);
  if ((crc >>> 0).toString(16).padStart(8, "0") !== stored) {
    throw new ModelFileError("checksum", `CRC-32 mismatch: the file says ${stored}, its bytes give ${(crc >>> 0).toString(16).padStart(8, "0")} (corrupted)`, at);
  }
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Decode safetensors bytes: every header check of inspectSafetensors first, then one copy per
 *  tensor (never a view of the input). F16 and BF16 come back as Float32Array, BOOL as
 *  Uint8Array, I64 as BigInt64Array. */
export function decodeSafetensors(bytes: Uint8Array, opts: DecodeOptions = {}): Safetensors {
  const info = inspectSafetensors(bytes, opts);
  const base = 8 + info.headerBytes;
  const tensors: Record<string, Tensor> = {};
  for (const t of info.tensors) {
    const src = bytes.subarray(base + t.offsets[0], base + t.offsets[1]);
    const copy = new Uint8Array(src); // aligned, owned (not src.slice(): a Node Buffer's slice is a view of its pool)
    const n = src.length / DTYPE_BYTES[t.dtype];
    const dv = new DataView(copy.buffer);
    let data: TensorData;
    switch (t.dtype) {
      case "F64":
        data = LE ? new Float64Array(copy.buffer) : Float64Array.from({ length: n }, (_, i) => dv.getFloat64(8 * i, true));
        break;
      case "F32":
        data = LE ? new Float32Array(copy.buffer) : Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true));
        break;
      case "I32":
        data = LE ? new Int32Array(copy.buffer) : Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true));
        break;
      case "I64":
        data = LE ? new BigInt64Array(copy.buffer) : BigInt64Array.from({ length: n }, (_, i) => dv.getBigInt64(8 * i, true));
        break;
      case "F16":
        data = Float32Array.from({ length: n }, (_, i) => f16ToF32(dv.getUint16(2 * i, true)));
        break;
      case "BF16": {
        const out = new Float32Array(n);
        const u = new Uint32Array(out.buffer);
        for (let i = 0; i < n; i++) u[i] = dv.getUint16(2 * i, true) << 16;
        data = out;
        break;
      }
      default:
        data = copy;
    }
    tensors[t.name] = { dtype: t.dtype, shape: t.shape, data };
  }
  return { tensors, metadata: info.metadata };
}

// ---- model files ---------------------------------------------------------------------------

/** A language model as stored: its configuration (plain JSON, the model's own), its tokenizer,
 *  and its named tensors. */
export interface ModelFile {
  /** The model configuration (validated by the model code that reads it). */
  config: Record<string, unknown>;
  /** The tokenizer the model was trained with. */
  tokenizer: Tokenizer;
  /** Named parameter tensors. */
  tensors: Record<string, Tensor>;
  /** Other string metadata (kept as is). */
  metadata?: Record<string, string>;
}

function configOf(v: unknown, where: string): Record<string, unknown> {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new ModelFileError("bad-config", `${where}: the model configuration must be a JSON object`);
  return v as Record<string, unknown>;
}

/** Encode a model as safetensors bytes with its configuration, tokenizer, format tag and
 *  checksum in `__metadata__` (for writing anywhere: a browser download, IndexedDB, a fetch). */
export function encodeModelFile(m: ModelFile): Uint8Array {
  if (!m || typeof m !== "object") throw new ValueError("encodeModelFile: expected { config, tokenizer, tensors }");
  checkOptions(m, "encodeModelFile", ["config", "tokenizer", "tensors", "metadata"]);
  if (!(m.tokenizer instanceof Tokenizer)) throw new ValueError("encodeModelFile: tokenizer must be a Tokenizer");
  let config: string;
  try {
    config = JSON.stringify(configOf(m.config, "encodeModelFile"));
  } catch (e) {
    if (e instanceof ModelFileError) throw new ValueError(e.message);
    throw new ValueError(`encodeModelFile: the configuration is not JSON-serialisable (${(e as Error).message})`);
  }
  const meta: Record<string, string> = { ...(m.metadata ?? {}) };
  for (const k of ["format", "seqlearn.config", "seqlearn.tokenizer"]) if (k in meta) throw new ValueError(`encodeModelFile: metadata key "${k}" is reserved`);
  meta.format = LM_FORMAT;
  meta["seqlearn.config"] = config;
  meta["seqlearn.tokenizer"] = JSON.stringify(m.tokenizer.toJSON());
  return encodeSafetensors(m.tensors, meta);
}

/** Decode and validate a model file (safetensors bytes written by encodeModelFile): the
 *  safetensors checks, the checksum (required here), the format version, the configuration and
 *  the tokenizer. Every failure is a ModelFileError. */
export function decodeModelFile(bytes: Uint8Array, opts: { maxHeaderBytes?: number } = {}): ModelFile {
  const o = checkOptions<{ maxHeaderBytes?: number }>(opts, "decodeModelFile", ["maxHeaderBytes"]);
  const { tensors, metadata } = decodeSafetensors(bytes, { maxHeaderBytes: o.maxHeaderBytes });
  const fmt = metadata.format;
  const mv = typeof fmt === "string" ? /^seqlearn\.lm\/(\d+)$/.exec(fmt) : null;
  if (!mv) throw new ModelFileError("bad-metadata", `not a seqlearn model: __metadata__.format is ${JSON.stringify(fmt)}, expected "${LM_FORMAT}"`);
  if (Number(mv[1]) > 1) throw new ModelFileError("unsupported-version", `${fmt} is newer than this seqlearn reads (${LM_FORMAT}); upgrade seqlearn`);
  if (metadata[CRC_KEY] === undefined) throw new ModelFileError("checksum", `the file has no ${CRC_KEY} (seqlearn model files always carry one)`);
  let config: Record<string, unknown>;
  try {
    config = configOf(JSON.parse(metadata["seqlearn.config"] ?? "null"), "seqlearn.config");
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError("bad-config", `seqlearn.config is not valid JSON (${(e as Error).message})`);
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromJSON(metadata["seqlearn.tokenizer"] ?? "null");
  } catch (e) {
    if (e instanceof TokenizerError) throw new ModelFileError("bad-tokenizer", e.message);
    throw e;
  }
  const rest: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) if (k !== "format" && k !== CRC_KEY && !k.startsWith("seqlearn.")) rest[k] = v;
  return { config, tokenizer, tensors, metadata: rest };
}

// ---- directories (Node, Deno) ----------------------------------------------------------------

/** Write `data` to `file` atomically (temporary file + rename, see platform.ts), refusing a
 *  symlink and, unless `overwrite`, an existing file; throws ModelFileError("io"). Node and
 *  Deno. Shared with the trainers' checkpoints and metrics files. @internal */
export async function writeFileSafely(file: string, data: Uint8Array | string, overwrite: boolean): Promise<void> {
  try {
    await writeFileAtomic(file, data, { overwrite });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ESYMLINK") throw new ModelFileError("io", `${file} is a symbolic link; refusing to write through it`);
    if (code === "EEXIST") throw new ModelFileError("io", `${file} exists; pass { overwrite: true } to replace it`);
    if (code === "ENOSYS") throw new ModelFileError("io", `cannot write ${file}: this runtime has no file system; use encodeModelFile / decodeModelFile on bytes`);
    throw new ModelFileError("io", `cannot write ${file}: ${(e as Error).message}`);
  }
}

/** Save a model to directory `dir` (created if needed): `model.safetensors` (weights, with the
 *  configuration and tokenizer in its metadata) and `config.json` ({ format, config, tokenizer }
 *  for people and tools). Each file goes through a temporary file and a rename; existing files
 *  are replaced only with `overwrite`. Node and Deno. */
export async function saveModel(dir: string, m: ModelFile, opts: { overwrite?: boolean } = {}): Promise<void> {
  const o = checkOptions<{ overwrite?: boolean }>(opts, "saveModel", ["overwrite"]);
  if (typeof dir !== "string" || dir === "") throw new ValueError("saveModel: dir must be a directory path");
  const bytes = encodeModelFile(m); // validates before anything touches the disk
  try {
    await makeDirectory(dir);
  } catch (e) {
    throw new ModelFileError("io", `cannot create ${dir}: ${(e as Error).message}`);
  }
  const overwrite = o.overwrite ?? false;
  if (!overwrite) {
    for (const f of Object.values(MODEL_FILES)) {
      const p = joinPath(dir, f);
      if (await pathExists(p)) throw new ModelFileError("io", `${p} exists; pass { overwrite: true } to replace it`);
    }
  }
  const config = JSON.stringify({ format: LM_FORMAT, config: m.config, tokenizer: m.tokenizer.toJSON() }, null, 1) + "\n";
  await writeFileSafely(joinPath(dir, MODEL_FILES.weights), bytes, overwrite);
  await writeFileSafely(joinPath(dir, MODEL_FILES.config), config, overwrite);
}

/** Load a model saved by saveModel from directory `dir`. The weights file is authoritative;
 *  when config.json is present it must agree with it (ModelFileError `bad-config`). */
export async function loadModel(dir: string, opts: { maxHeaderBytes?: number } = {}): Promise<ModelFile> {
  const o = checkOptions<{ maxHeaderBytes?: number }>(opts, "loadModel", ["maxHeaderBytes"]);
  if (typeof dir !== "string" || dir === "") throw new ValueError("loadModel: dir must be a directory path");
  const file = joinPath(dir, MODEL_FILES.weights);
  let bytes: Uint8Array;
  try {
    bytes = await readFileBytes(file);
  } catch (e) {
    throw new ModelFileError("io", `cannot read ${file}: ${(e as { code?: string }).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  const m = decodeModelFile(bytes, { maxHeaderBytes: o.maxHeaderBytes });
  const cfgFile = joinPath(dir, MODEL_FILES.config);
  let text: string | null = null;
  try {
    text = new TextDecoder().decode(await readFileBytes(cfgFile));
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") throw new ModelFileError("io", `cannot read ${cfgFile}: ${(e as Error).message}`);
  }
  if (text !== null) {
    let c: { format?: unknown; config?: unknown; tokenizer?: unknown };
    try {
      c = JSON.parse(text);
    } catch (e) {
      throw new ModelFileError("bad-config", `${cfgFile} is not valid JSON (${(e as Error).message})`);
    }
    if (c?.format !== LM_FORMAT || JSON.stringify(c.config) !== JSON.stringify(m.config) || JSON.stringify(c.tokenizer) !== JSON.stringify(m.tokenizer.toJSON())) {
      throw new ModelFileError("bad-config", `${cfgFile} does not match the configuration and tokenizer stored in ${MODEL_FILES.weights}`);
    }
  }
  return m;
}
