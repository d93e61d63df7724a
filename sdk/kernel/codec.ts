// Dictionary files: a versioned, checksummed binary format for RLS dictionaries (RlsDictionary,
// dictionary.ts, where its JSON form is too), so that leaves and merges of a DISQUEAK tree can
// run as separate processes or on separate machines. Decoding treats its input as untrusted: every length is checked against the
// bytes actually present before anything is allocated, the CRC-32 is verified, and every
// value is range-checked; failures throw DictionaryFormatError with a `code`.
//
// Layout, version 1 (all little-endian; offsets in bytes):
//    0  u8[8]  magic 89 53 4C 44 49 43 54 0A ("\x89SLDICT\n")
//    8  u16    format version (1)
//   10  u16    header size H (176)
//   12  u32    flags: 1 = tau present, 2 = seed present, 4 = deff present, 8 = maxDictionary present
//   16  u32×2  total file size (low, high word)
//   24  u32    m, stored points
//   28  u32    d, input dimension
//   32  u32    kernel kind: the engine's KernelCode (0 linear, 1 rbf, 2 laplacian, 3 polynomial,
//              4 matern32, 5 matern52, 6 matern12; test/codec-dictionary.test.ts pins these numbers)
//   36  u32    kernel fields present: 1 gamma, 2 coef0, 4 degree, 8 lengthScale
//   40  f64×4  kernel gamma, coef0, degree, lengthScale
//   72  f64    λ (the leverage-score ridge; params.lambda)   80 f64 ε   88 f64 q̄
//   96  f64    c                 104 f64 c_pref    112 f64 scale
//  120  f64    n (points summarised)   128 f64 seed   136 f64 d_eff   144 f64 maxDictionary
//  152  u8[24] method, UTF-8, zero-padded
//    H  f64[m·d] points (row-major) · f64[m] p̃ · f64[m] indices · f64[m] τ̃ (if flag 1) · i32[m] copies
//  end  u32    CRC-32 of every byte before it
//
// The field at offset 72 holds the leverage-score ridge, which the first release's SDK called
// `gamma` and the current one calls `lambda`: only the name changed, so the bytes (and the
// format version) did not.
import { SeqlearnError, ValueError } from "../core/errors.js";
import { deprecationWarning } from "../core/options.js";
import { Matrix } from "../core/matrix.js";
import { crc32 } from "../core/crc32.js";
import { KERNEL_NAMES, kernelCodeOf, kernelNameOfCode, type KernelSpec } from "./kernels.js";
import { makeDictionary, paramsProblem, arraysProblem, METHOD_BYTES, type DictionaryArrays, type DictionaryParams, type RlsDictionary } from "./dictionary.js";

/** The first 8 bytes of every binary dictionary file, `\x89SLDICT\n`: a non-ASCII first byte,
 *  then a line end, so that text tools and transfers that rewrite line ends are caught. */
export const DICTIONARY_MAGIC = Uint8Array.of(0x89, 0x53, 0x4c, 0x44, 0x49, 0x43, 0x54, 0x0a);
/** The binary dictionary format version that `encodeDictionary` writes (`decodeDictionary`
 * reads it and every older one). */
export const DICTIONARY_FORMAT_VERSION = 1;
const HEADER = 176;
const F_TAU = 1, F_SEED = 2, F_DEFF = 4, F_MAXDICT = 8;
const KFIELDS = ["gamma", "coef0", "degree", "lengthScale"] as const;

/** @deprecated The parameters stored with a dictionary are its DictionaryParams. */
export type DictionaryRecordParams = DictionaryParams;
/** @deprecated The codec reads and writes RlsDictionary (the one dictionary type). */
export type DictionaryRecord = RlsDictionary;
/** @deprecated decodeDictionary returns an RlsDictionary. */
export type DecodedDictionary = RlsDictionary;

/** Which check a `DictionaryFormatError` failed. */
export type DictionaryFormatErrorCode =
  | "not-bytes" | "bad-magic" | "unsupported-version" | "truncated" | "trailing-bytes"
  | "bad-header" | "checksum" | "bad-value";

/** A dictionary file could not be decoded (or a record could not be encoded). `code` says
 *  which check failed; `offset` is the byte offset of the offending field when known. */
export class DictionaryFormatError extends SeqlearnError {
  /** Always "DictionaryFormatError". */
  override name = "DictionaryFormatError";
  /** Which check failed. */
  readonly code: DictionaryFormatErrorCode;
  /** Byte offset of the offending field, when known. */
  readonly offset: number | null;
  constructor(code: DictionaryFormatErrorCode, message: string, offset: number | null = null) {
    super(`dictionary file: ${message}${offset !== null ? ` (byte ${offset})` : ""}`);
    this.code = code;
    this.offset = offset;
  }
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Size in bytes of the encoding of a dictionary with m points of dimension d. */
export function encodedDictionarySize(m: number, d: number, withTau: boolean): number {
  return HEADER + 8 * m * d + 8 * m * (withTau ? 3 : 2) + 4 * m + 4;
}

// ---- encode ----------------------------------------------------------------------------

/** Encode a dictionary as bytes (format version 1). The dictionary is validated first, with
 *  the same checks the decoder applies, so every file written can be read back. */
export function encodeDictionary(dict: RlsDictionary): Uint8Array {
  if (!dict || typeof dict !== "object" || !dict.params || !dict.points) throw new ValueError("encodeDictionary: expected a dictionary (e.g. squeak.dictionary())");
  const p = withLambda(dict.params);
  const m = dict.points.rows;
  const d = dict.points.cols;
  const fail = (msg: string): never => {
    throw new ValueError(`encodeDictionary: ${msg}`);
  };
  if (!Number.isInteger(m) || m < 0 || m > 0xffffffff || !Number.isInteger(d) || d < 0 || d > 0xffffffff) fail(`bad points shape ${m}×${d}`);
  if (!(dict.points.data instanceof Float64Array) || dict.points.data.length < m * d) fail(`points.data must be a Float64Array of length ${m * d}`);
  for (const [name, a, C] of [["indices", dict.indices, Float64Array], ["pTilde", dict.pTilde, Float64Array], ["copies", dict.copies, Int32Array]] as const) {
    if (!(a instanceof C) || a.length !== m) fail(`${name} must be a ${C.name} of length ${m} (one per point), got ${a?.constructor?.name} of length ${(a as { length?: number })?.length}`);
  }
  const tau = dict.tau ?? null;
  if (tau !== null && (!(tau instanceof Float64Array) || tau.length !== m)) fail(`tau must be null or a Float64Array of length ${m}, got length ${(tau as { length?: number }).length}`);
  const methodBytes = new TextEncoder().encode(String(p.method ?? ""));
  if (methodBytes.length > METHOD_BYTES) fail(`params.method ${JSON.stringify(p.method)} is longer than ${METHOD_BYTES} UTF-8 bytes`);
  if (p.d !== d) fail(`params.d = ${p.d} but the points have ${d} columns`);
  const kind = kernelCodeOf(p.kernel?.name);
  if (kind < 0) fail(`params.kernel.name must be one of ${KERNEL_NAMES.join(", ")}, got ${JSON.stringify(p.kernel?.name)}`);

  try {
    checkParams({ ...p, seed: p.seed ?? null, deff: p.deff ?? null, maxDictionary: p.maxDictionary ?? null }, m, d);
  } catch (e) {
    if (e instanceof DictionaryFormatError) fail(e.message.replace(/^dictionary file: /, "").replace(/ \(byte \d+\)$/, ""));
    throw e;
  }
  // The decoder's own checks, so that what we write we can read.
  try {
    checkArrays({ points: dict.points.data.length === m * d ? dict.points.data : dict.points.data.subarray(0, m * d), pTilde: dict.pTilde, indices: dict.indices, tau, copies: dict.copies }, m, d, p.qbar);
  } catch (e) {
    if (e instanceof DictionaryFormatError) fail(e.message.replace(/^dictionary file: /, "").replace(/ \(byte \d+\)$/, ""));
    throw e;
  }
  const total = encodedDictionarySize(m, d, tau !== null);
  if (total > 2 ** 53) fail("dictionary too large to encode");
  const buf = new ArrayBuffer(total);
  const bytes = new Uint8Array(buf);
  const v = new DataView(buf);
  bytes.set(DICTIONARY_MAGIC, 0);
  v.setUint16(8, DICTIONARY_FORMAT_VERSION, true);
  v.setUint16(10, HEADER, true);
  const flags = (tau ? F_TAU : 0) | (p.seed !== null && p.seed !== undefined ? F_SEED : 0) |
    (p.deff !== null && p.deff !== undefined ? F_DEFF : 0) | (p.maxDictionary !== null && p.maxDictionary !== undefined ? F_MAXDICT : 0);
  v.setUint32(12, flags, true);
  v.setUint32(16, total % 2 ** 32, true);
  v.setUint32(20, Math.floor(total / 2 ** 32), true);
  v.setUint32(24, m, true);
  v.setUint32(28, d, true);
  v.setUint32(32, kind, true);
  let kmask = 0;
  KFIELDS.forEach((f, i) => {
    const x = (p.kernel as unknown as Record<string, unknown>)[f];
    if (x !== undefined) {
      kmask |= 1 << i;
      v.setFloat64(40 + 8 * i, Number(x), true);
    }
  });
  v.setUint32(36, kmask, true);
  const scalars = [p.lambda, p.eps, p.qbar, p.c, p.cPref, p.scale, p.n, p.seed ?? 0, p.deff ?? 0, p.maxDictionary ?? 0];
  scalars.forEach((x, i) => v.setFloat64(72 + 8 * i, Number(x), true));
  bytes.set(methodBytes, 152);

  let off = HEADER;
  off = putF64(bytes, v, off, dict.points.data, m * d);
  off = putF64(bytes, v, off, dict.pTilde, m);
  off = putF64(bytes, v, off, dict.indices, m);
  if (tau) off = putF64(bytes, v, off, tau, m);
  if (LITTLE_ENDIAN) new Int32Array(buf, off, m).set(dict.copies);
  else for (let j = 0; j < m; j++) v.setInt32(off + 4 * j, dict.copies[j], true);
  off += 4 * m;
  v.setUint32(off, crc32(bytes.subarray(0, off)), true);
  return bytes;
}

/** A hand-made record may still name the leverage-score ridge `gamma` (its first name): read
 *  it as `lambda`, with the one-time deprecation warning, for one release. */
function withLambda(p: DictionaryParams): DictionaryParams {
  // (Reading p.gamma of a dictionary's params would run its deprecated getter: test first.)
  if (p.lambda !== undefined || !Object.prototype.propertyIsEnumerable.call(p, "gamma")) return p;
  const old = (p as { gamma?: unknown }).gamma;
  deprecationWarning("encodeDictionary:params.gamma", "encodeDictionary: params.gamma is deprecated and will be removed in the next release; name the leverage-score ridge params.lambda");
  const { gamma: _g, ...rest } = p as DictionaryParams & { gamma?: unknown };
  return { ...rest, lambda: old as number };
}

function putF64(bytes: Uint8Array, v: DataView, off: number, src: Float64Array, len: number): number {
  if (LITTLE_ENDIAN) bytes.set(new Uint8Array(src.buffer, src.byteOffset, len * 8), off);
  else for (let i = 0; i < len; i++) v.setFloat64(off + 8 * i, src[i], true);
  return off + 8 * len;
}

function getF64(bytes: Uint8Array, v: DataView, off: number, len: number): Float64Array {
  const out = new Float64Array(len);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(off, off + 8 * len));
  else for (let i = 0; i < len; i++) out[i] = v.getFloat64(off + 8 * i, true);
  return out;
}

// ---- decode ----------------------------------------------------------------------------

function asBytes(input: unknown): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new DictionaryFormatError("not-bytes", `expected bytes (Uint8Array, ArrayBuffer or a typed array), got ${input === null ? "null" : typeof input}`);
}

/** True when `bytes` starts with the dictionary-file magic. */
export function isDictionaryFile(bytes: Uint8Array | ArrayBuffer): boolean {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length < 8) return false;
  for (let i = 0; i < 8; i++) if (b[i] !== DICTIONARY_MAGIC[i]) return false;
  return true;
}

/** Header facts, read and checked without touching the arrays (cheap). */
export interface DictionaryFileInfo {
  /** Format version of the file. */
  version: number;
  /** File size in bytes. */
  bytes: number;
  /** Stored points m. */
  m: number;
  /** Dimension d. */
  d: number;
  /** Whether τ̃ is stored. */
  hasTau: boolean;
  /** The parameters stored in the header. */
  params: DictionaryParams;
}

function readHeader(b: Uint8Array, verify: boolean): { info: DictionaryFileInfo; v: DataView; flags: number } {
  if (b.length < 8 || !isDictionaryFile(b)) {
    const json = b.length > 0 && b[0] === 0x7b; // "{"
    throw new DictionaryFormatError("bad-magic", json ? "not a binary dictionary file: this looks like its JSON form (read it with dictionaryFromJSON)"
      : b.length < 8 ? `only ${b.length} bytes; not a seqlearn dictionary file` : "not a seqlearn dictionary file (bad magic number)", 0);
  }
  if (b.length < 12) throw new DictionaryFormatError("truncated", `file ends inside the header (${b.length} bytes)`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = v.getUint16(8, true);
  if (version !== DICTIONARY_FORMAT_VERSION) throw new DictionaryFormatError("unsupported-version", `format version ${version} is not supported (this build reads version ${DICTIONARY_FORMAT_VERSION})`, 8);
  const h = v.getUint16(10, true);
  if (h !== HEADER) throw new DictionaryFormatError("bad-header", `header size ${h}, expected ${HEADER}`, 10);
  if (b.length < HEADER + 4) throw new DictionaryFormatError("truncated", `file ends inside the header (${b.length} of at least ${HEADER + 4} bytes)`);
  const flags = v.getUint32(12, true);
  if (flags & ~(F_TAU | F_SEED | F_DEFF | F_MAXDICT)) throw new DictionaryFormatError("bad-header", `unknown flag bits 0x${flags.toString(16)}`, 12);
  const declared = v.getUint32(16, true) + v.getUint32(20, true) * 2 ** 32;
  const m = v.getUint32(24, true);
  const d = v.getUint32(28, true);
  const expected = encodedDictionarySize(m, d, (flags & F_TAU) !== 0);
  if (declared !== expected) throw new DictionaryFormatError("bad-header", `header sizes disagree: m = ${m}, d = ${d} need ${expected} bytes but the header says ${declared}`, 16);
  if (b.length < declared) throw new DictionaryFormatError("truncated", `truncated: the header says ${declared} bytes, got ${b.length}`);
  if (b.length > declared) throw new DictionaryFormatError("trailing-bytes", `${b.length - declared} unexpected bytes after the end of the dictionary (${declared} bytes)`);
  if (m > 0 && d === 0) throw new DictionaryFormatError("bad-header", `${m} points of dimension 0`, 28);
  if (verify) {
    // Integrity before meaning: a damaged file is reported as damaged, whatever it damaged.
    const crcAt = declared - 4;
    const stored = v.getUint32(crcAt, true);
    const actual = crc32(b.subarray(0, crcAt));
    if (stored !== actual) throw new DictionaryFormatError("checksum", `checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the file is corrupted`, crcAt);
  }

  const kind = v.getUint32(32, true);
  const kindName = kernelNameOfCode(kind);
  if (kindName === undefined) throw new DictionaryFormatError("bad-value", `unknown kernel kind ${kind}`, 32);
  const kmask = v.getUint32(36, true);
  if (kmask & ~15) throw new DictionaryFormatError("bad-header", `unknown kernel field bits 0x${kmask.toString(16)}`, 36);
  const kernel: KernelSpec = { name: kindName };
  KFIELDS.forEach((f, i) => {
    if (kmask & (1 << i)) (kernel as unknown as Record<string, number>)[f] = v.getFloat64(40 + 8 * i, true);
  });
  const s = (i: number): number => v.getFloat64(72 + 8 * i, true);
  let method: string;
  const raw = b.subarray(152, 152 + METHOD_BYTES);
  const end = raw.indexOf(0);
  try {
    method = new TextDecoder("utf-8", { fatal: true }).decode(end < 0 ? raw : raw.subarray(0, end));
  } catch {
    throw new DictionaryFormatError("bad-value", "method name is not valid UTF-8", 152);
  }
  if (end >= 0 && raw.subarray(end).some((x) => x !== 0)) throw new DictionaryFormatError("bad-header", "method name padding is not zero", 152 + end);
  const params: DictionaryParams = {
    method, kernel, lambda: s(0), eps: s(1), qbar: s(2), c: s(3), cPref: s(4), scale: s(5), n: s(6),
    seed: flags & F_SEED ? s(7) : null, d, deff: flags & F_DEFF ? s(8) : null, maxDictionary: flags & F_MAXDICT ? s(9) : null,
  };
  // Absent optional fields must be all-zero bytes, so that each dictionary has exactly one encoding.
  const zero = (off: number): boolean => v.getUint32(off, true) === 0 && v.getUint32(off + 4, true) === 0;
  KFIELDS.forEach((f, i) => {
    if (!(kmask & (1 << i)) && !zero(40 + 8 * i)) throw new DictionaryFormatError("bad-header", `kernel field ${f} set without its flag`, 40 + 8 * i);
  });
  if (!(flags & F_SEED) && !zero(128)) throw new DictionaryFormatError("bad-header", "seed field set without its flag", 128);
  if (!(flags & F_DEFF) && !zero(136)) throw new DictionaryFormatError("bad-header", "deff field set without its flag", 136);
  if (!(flags & F_MAXDICT) && !zero(144)) throw new DictionaryFormatError("bad-header", "maxDictionary field set without its flag", 144);
  checkParams(params, m, d);
  return { info: { version, bytes: declared, m, d, hasTau: (flags & F_TAU) !== 0, params }, v, flags };
}

function bad(field: string, value: unknown, expected: string, offset: number | null): never {
  const v = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
  throw new DictionaryFormatError("bad-value", `${field} is ${v.length > 60 ? `${v.slice(0, 60)}…` : v}; expected ${expected}`, offset);
}

// Offsets of the header fields, for messages (the layout above).
const PARAM_OFFSETS: Record<string, number> = {
  kernel: 40, lambda: 72, eps: 80, qbar: 88, c: 96, cPref: 104, scale: 112, n: 120, seed: 128, deff: 136, maxDictionary: 144, method: 152, d: 28,
};

/** The shared parameter checks (paramsProblem in dictionary.ts, which the JSON reader runs
 *  too), reported with the field's byte offset. */
function checkParams(p: DictionaryParams, m: number, d: number): void {
  const problem = paramsProblem(p, m, d);
  if (problem?.part === "kernel") throw new DictionaryFormatError("bad-value", `kernel: ${problem.expected}`, 40);
  if (problem) bad(problem.field, problem.value, problem.expected, PARAM_OFFSETS[problem.part] ?? null);
}

/** The shared array checks (arraysProblem in dictionary.ts, which the JSON reader runs too),
 *  reported with the byte offset of the offending entry in the file layout. */
function checkArrays(a: DictionaryArrays, m: number, d: number, qbar: number): void {
  const problem = arraysProblem(a, m, d, qbar);
  if (!problem) return;
  const tauBytes = a.tau ? 8 * m : 0;
  const starts: Record<string, number> = {
    points: HEADER, pTilde: HEADER + 8 * m * d, indices: HEADER + 8 * m * d + 8 * m, tau: HEADER + 8 * m * d + 16 * m,
    copies: HEADER + 8 * m * d + 16 * m + tauBytes,
  };
  const width = problem.part === "copies" ? 4 : 8;
  bad(problem.field, problem.value, problem.expected, starts[problem.part] + width * problem.index);
}

/** Read and check the header only (no array is decoded; the checksum is not verified). */
export function inspectDictionaryFile(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): DictionaryFileInfo {
  return readHeader(asBytes(bytes), false).info;
}

/** Decode a dictionary file. Throws DictionaryFormatError for anything that is not a
 *  complete, intact, valid version-1 file; allocates at most about the input's size. */
export function decodeDictionary(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): RlsDictionary {
  const b = asBytes(bytes);
  const { info, v, flags } = readHeader(b, true);
  const { m, d, params } = info;
  // Sizes are verified against the bytes present, so these allocations are bounded by the input.
  let off = HEADER;
  const pts = getF64(b, v, off, m * d);
  off += 8 * m * d;
  const pTilde = getF64(b, v, off, m);
  off += 8 * m;
  const indices = getF64(b, v, off, m);
  off += 8 * m;
  let tau: Float64Array | null = null;
  if (flags & F_TAU) {
    tau = getF64(b, v, off, m);
    off += 8 * m;
  }
  const copies = new Int32Array(m);
  if (LITTLE_ENDIAN) new Uint8Array(copies.buffer).set(b.subarray(off, off + 4 * m));
  else for (let j = 0; j < m; j++) copies[j] = v.getInt32(off + 4 * j, true);
  checkArrays({ points: pts, pTilde, indices, tau, copies }, m, d, params.qbar);
  return makeDictionary({ indices, points: new Matrix(m, d, pts), pTilde, copies, tau, params });
}

const hex = (x: number): string => `0x${x.toString(16).padStart(8, "0")}`;
