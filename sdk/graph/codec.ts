// Sparsifier files: a versioned, checksummed binary format for GSQUEAK dictionaries
// (sparsifier.ts), so that the leaves and merges of a distributed sparsification can run as
// separate processes or on separate machines (`seqlearn leaf --graph`, `seqlearn merge`), and
// so that the tree's nodes travel between workers as bytes. Decoding treats its input as
// untrusted: every size is checked against the bytes present before anything is allocated,
// the CRC-32 is verified before any value is interpreted, and every value is range-checked by
// the validator the JSON form shares; failures throw SparsifierFormatError with a `code`.
//
// Layout, version 1 (little-endian; offsets in bytes):
//    0  u8[8]  magic 89 53 4C 53 50 41 52 0A ("\x89SLSPAR\n")
//    8  u16    format version (1)
//   10  u16    header size H (96)
//   12  u32    flags: 1 = d_eff present
//   16  u32×2  total file size (low, high word)
//   24  u32    n, nodes
//   28  u32    s, entries
//   32  f64    ε          40 f64 γ          48 f64 q̄          56 f64 k (JL columns)
//   64  f64    tol        72 f64 seed       80 f64 edges summarised   88 f64 d_eff (0 if absent)
//    H  i32[s] u · i32[s] v · f64[s] a · f64[s] p̃ · f64[s] index · i32[s] q
//  end  u32    CRC-32 of every byte before it
// Total: 100 + 36·s bytes. The f64 arrays start on 8-byte boundaries (96 + 8s).
import { SeqlearnError } from "../core/errors.js";
import { crc32 } from "../core/crc32.js";
import { checkSparsifierParams, makeSparsifier, SparsifierCheckError, type SparsifierDictionary, type SparsifierParams } from "./sparsifier.js";

/** The first 8 bytes of every sparsifier file, `\x89SLSPAR\n`: a non-ASCII first byte, then a
 *  line end, so that text tools and transfers that rewrite line ends are caught. */
export const SPARSIFIER_MAGIC = Uint8Array.of(0x89, 0x53, 0x4c, 0x53, 0x50, 0x41, 0x52, 0x0a);
/** The format version `encodeSparsifier` writes (`decodeSparsifier` reads it and every older
 *  one). */
export const SPARSIFIER_FORMAT_VERSION = 1;
const HEADER = 96;
const F_DEFF = 1;
/** Most entries a file may declare (its arrays then take 36 bytes each: 72 GiB). */
const MAX_ENTRIES = 2 ** 31 - 1;

/** Which check a `SparsifierFormatError` failed. */
export type SparsifierFormatErrorCode =
  | "not-bytes" | "bad-magic" | "unsupported-version" | "truncated" | "trailing-bytes"
  | "bad-header" | "checksum" | "bad-value";

/** A sparsifier file could not be decoded (or a dictionary could not be encoded). `code` says
 *  which check failed; `offset` is the byte offset of the offending field when known. */
export class SparsifierFormatError extends SeqlearnError {
  /** Always "SparsifierFormatError" (an own property, so that minified bundles keep it). */
  override name = "SparsifierFormatError";
  /** Which check failed. */
  readonly code: SparsifierFormatErrorCode;
  /** Byte offset of the offending field, when known. */
  readonly offset: number | null;
  constructor(code: SparsifierFormatErrorCode, message: string, offset: number | null = null) {
    super(`sparsifier file: ${message}${offset !== null ? ` (byte ${offset})` : ""}`);
    this.code = code;
    this.offset = offset;
  }
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Size in bytes of the encoding of a dictionary with s entries. */
export function encodedSparsifierSize(s: number): number {
  return HEADER + 36 * s + 4;
}

/** Byte offset of each entry array in a file with s entries. */
function offsets(s: number): Record<"u" | "v" | "a" | "p" | "index" | "q", number> {
  const u = HEADER, v = u + 4 * s, a = v + 4 * s, p = a + 8 * s, index = p + 8 * s, q = index + 8 * s;
  return { u, v, a, p, index, q };
}

const PARAM_OFFSET: Readonly<Record<string, number>> = { n: 24, eps: 32, gamma: 40, qbar: 48, k: 56, tol: 64, seed: 72, edges: 80, deff: 88 };

/** Encode a dictionary as bytes (format version 1). It is validated first, with the checks the
 *  decoder applies, so every file written can be read back. */
export function encodeSparsifier(d: SparsifierDictionary): Uint8Array {
  if (d === null || typeof d !== "object" || !d.params) throw new SparsifierFormatError("bad-value", "encodeSparsifier: expected a sparsifier dictionary");
  let dict: SparsifierDictionary;
  try {
    dict = makeSparsifier({ params: d.params, u: d.u, v: d.v, a: d.a, p: d.p, q: d.q, index: d.index });
  } catch (e) {
    if (e instanceof SparsifierCheckError) throw new SparsifierFormatError("bad-value", `cannot encode: ${e.message}`);
    throw e;
  }
  const s = dict.size, p = dict.params;
  const total = encodedSparsifierSize(s);
  const buf = new ArrayBuffer(total);
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  bytes.set(SPARSIFIER_MAGIC, 0);
  view.setUint16(8, SPARSIFIER_FORMAT_VERSION, true);
  view.setUint16(10, HEADER, true);
  view.setUint32(12, p.deff !== null ? F_DEFF : 0, true);
  view.setUint32(16, total % 2 ** 32, true);
  view.setUint32(20, Math.floor(total / 2 ** 32), true);
  view.setUint32(24, p.n, true);
  view.setUint32(28, s, true);
  const scalars = [p.eps, p.gamma, p.qbar, p.k, p.tol, p.seed, p.edges, p.deff ?? 0];
  scalars.forEach((x, i) => view.setFloat64(32 + 8 * i, x, true));
  const off = offsets(s);
  putArray(bytes, view, off.u, dict.u, 4);
  putArray(bytes, view, off.v, dict.v, 4);
  putArray(bytes, view, off.a, dict.a, 8);
  putArray(bytes, view, off.p, dict.p, 8);
  putArray(bytes, view, off.index, dict.index, 8);
  putArray(bytes, view, off.q, dict.q, 4);
  view.setUint32(total - 4, crc32(bytes.subarray(0, total - 4)), true);
  return bytes;
}

function putArray(bytes: Uint8Array, view: DataView, off: number, src: Int32Array | Float64Array, size: 4 | 8): void {
  if (LITTLE_ENDIAN) bytes.set(new Uint8Array(src.buffer, src.byteOffset, src.length * size), off);
  else if (size === 4) for (let i = 0; i < src.length; i++) view.setInt32(off + 4 * i, src[i], true);
  else for (let i = 0; i < src.length; i++) view.setFloat64(off + 8 * i, src[i], true);
}

function getI32(bytes: Uint8Array, view: DataView, off: number, len: number): Int32Array {
  const out = new Int32Array(len);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(off, off + 4 * len));
  else for (let i = 0; i < len; i++) out[i] = view.getInt32(off + 4 * i, true);
  return out;
}

function getF64(bytes: Uint8Array, view: DataView, off: number, len: number): Float64Array {
  const out = new Float64Array(len);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(off, off + 8 * len));
  else for (let i = 0; i < len; i++) out[i] = view.getFloat64(off + 8 * i, true);
  return out;
}

function asBytes(input: unknown): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new SparsifierFormatError("not-bytes", `expected bytes (Uint8Array, ArrayBuffer or a typed array), got ${input === null ? "null" : typeof input}`);
}

/** True when `bytes` starts with the sparsifier-file magic. */
export function isSparsifierFile(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): boolean {
  const b = asBytes(bytes);
  if (b.length < 8) return false;
  for (let i = 0; i < 8; i++) if (b[i] !== SPARSIFIER_MAGIC[i]) return false;
  return true;
}

/** Header facts, read and checked without decoding the entries. */
export interface SparsifierFileInfo {
  /** Format version of the file. */
  version: number;
  /** File size in bytes. */
  bytes: number;
  /** Entries. */
  size: number;
  /** The parameters stored in the header. */
  params: SparsifierParams;
}

function readHeader(b: Uint8Array, verify: boolean): { info: SparsifierFileInfo; view: DataView } {
  if (!isSparsifierFile(b)) {
    const json = b.length > 0 && b[0] === 0x7b; // "{"
    throw new SparsifierFormatError("bad-magic", json ? "not a binary sparsifier file: this looks like its JSON form (read it with sparsifierFromJSON)"
      : b.length < 8 ? `only ${b.length} bytes; not a seqlearn sparsifier file` : "not a seqlearn sparsifier file (bad magic number)", 0);
  }
  if (b.length < 12) throw new SparsifierFormatError("truncated", `file ends inside the header (${b.length} bytes)`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = view.getUint16(8, true);
  if (version !== SPARSIFIER_FORMAT_VERSION) throw new SparsifierFormatError("unsupported-version", `format version ${version} is not supported (this build reads version ${SPARSIFIER_FORMAT_VERSION})`, 8);
  const h = view.getUint16(10, true);
  if (h !== HEADER) throw new SparsifierFormatError("bad-header", `header size ${h}, expected ${HEADER}`, 10);
  if (b.length < HEADER + 4) throw new SparsifierFormatError("truncated", `file ends inside the header (${b.length} of at least ${HEADER + 4} bytes)`);
  const flags = view.getUint32(12, true);
  if (flags & ~F_DEFF) throw new SparsifierFormatError("bad-header", `unknown flag bits 0x${flags.toString(16)}`, 12);
  const declared = view.getUint32(16, true) + view.getUint32(20, true) * 2 ** 32;
  const n = view.getUint32(24, true);
  const s = view.getUint32(28, true);
  if (s > MAX_ENTRIES) throw new SparsifierFormatError("bad-header", `${s} entries is above the limit ${MAX_ENTRIES}`, 28);
  const expected = encodedSparsifierSize(s);
  if (declared !== expected) throw new SparsifierFormatError("bad-header", `header sizes disagree: ${s} entries need ${expected} bytes but the header says ${declared}`, 16);
  if (b.length < declared) throw new SparsifierFormatError("truncated", `truncated: the header says ${declared} bytes, got ${b.length}`);
  if (b.length > declared) throw new SparsifierFormatError("trailing-bytes", `${b.length - declared} unexpected bytes after the end of the sparsifier (${declared} bytes)`);
  if (verify) {
    const stored = view.getUint32(declared - 4, true);
    const actual = crc32(b.subarray(0, declared - 4));
    if (stored !== actual) throw new SparsifierFormatError("checksum", `checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the file is corrupted`, declared - 4);
  }
  const f = (off: number): number => view.getFloat64(off, true);
  if (!(flags & F_DEFF) && (view.getUint32(88, true) !== 0 || view.getUint32(92, true) !== 0)) throw new SparsifierFormatError("bad-header", "d_eff field set without its flag", 88);
  const params: SparsifierParams = {
    n, eps: f(32), gamma: f(40), qbar: f(48), k: f(56), tol: f(64), seed: f(72), edges: f(80), deff: flags & F_DEFF ? f(88) : null,
  };
  try {
    checkSparsifierParams(params, s);
  } catch (e) {
    if (e instanceof SparsifierCheckError) throw new SparsifierFormatError("bad-value", e.message, PARAM_OFFSET[e.field] ?? null);
    throw e;
  }
  return { info: { version, bytes: declared, size: s, params }, view };
}

/** Read and check the header only (the entries are not decoded, the checksum not verified). */
export function inspectSparsifierFile(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): SparsifierFileInfo {
  return readHeader(asBytes(bytes), false).info;
}

/** Decode a sparsifier file. Throws SparsifierFormatError for anything that is not a
 *  complete, intact, valid file; allocates at most about the input's size. */
export function decodeSparsifier(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): SparsifierDictionary {
  const b = asBytes(bytes);
  const { info, view } = readHeader(b, true);
  const s = info.size;
  const off = offsets(s);
  // The sizes were checked against the bytes present: these allocations are bounded by the input.
  const u = getI32(b, view, off.u, s), v = getI32(b, view, off.v, s);
  const a = getF64(b, view, off.a, s), p = getF64(b, view, off.p, s), index = getF64(b, view, off.index, s);
  const q = getI32(b, view, off.q, s);
  try {
    return makeSparsifier({ params: info.params, u, v, a, p, q, index });
  } catch (e) {
    if (e instanceof SparsifierCheckError) {
      const m = /\[(\d+)\]/.exec(e.message);
      const i = m ? Number(m[1]) : 0;
      const base = (off as Record<string, number>)[e.field];
      const width = e.field === "u" || e.field === "v" || e.field === "q" ? 4 : 8;
      throw new SparsifierFormatError("bad-value", e.message, base === undefined ? null : base + width * i);
    }
    throw e;
  }
}

const hex = (x: number): string => `0x${x.toString(16).padStart(8, "0")}`;
