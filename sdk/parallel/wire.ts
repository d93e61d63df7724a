// The bytes a task's input or output becomes when it leaves the process: what the Redis
// executor stores in Redis or in the shared folder (sdk/parallel/bullmq.ts). A worker pool
// moves values between threads by structured clone; between machines the executor needs bytes,
// and this codec gives them for the same kinds of values — so any task that runs on a pool runs
// through Redis unchanged, whichever domain it belongs to.
//
// Layout (little-endian):
//   0  "SLWV"          magic
//   4  u16 version      1
//   6  u16 flags        0
//   8  u32 CRC-32       of every byte from offset 16 on
//   12 u32 J            length of the JSON text
//   16 J bytes          the value as JSON, UTF-8, with the tags below
//   …  zero padding to a multiple of 8, then the binary section: the bytes of every typed array
//      and ArrayBuffer, each starting at a multiple of 8 (offsets relative to the section)
// Tags (objects whose one key starts with "$"; keys of plain objects that start with "$" get
// one more "$" in front, so no plain object is ever read as a tag):
//   {"$t": "Float64Array", "$b": [offset, bytes]}  a typed array (any kind) or "ArrayBuffer"
//   {"$n": "NaN" | "Infinity" | "-Infinity" | "-0"} numbers JSON cannot spell
//   {"$u": 1} undefined · {"$i": "123"} bigint · {"$d": ms} Date · {"$m": [[k, v], …]} Map ·
//   {"$s": [v, …]} Set
// Typed arrays keep their exact bytes (a Float64Array comes back bit for bit), which is what
// makes a tree's result through Redis byte-identical to the same tree on one machine.
import { ValueError } from "../core/errors.js";
import { crc32 } from "../core/crc32.js";

const MAGIC = [0x53, 0x4c, 0x57, 0x56]; // "SLWV"
const VERSION = 1;
const HEADER = 16;

type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
type TypedCtor = new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => TypedArray;

const TYPED: Readonly<Record<string, TypedCtor & { BYTES_PER_ELEMENT: number }>> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function where(path: string): string {
  return path === "" ? "the value" : `the value at ${path}`;
}

/** Encode a task input or output (what a worker pool could send to a worker) as bytes.
 *  Functions, symbols, class-specific state other than own enumerable fields, and circular
 *  references are refused with a ValueError naming where they are. */
export function encodeValue(value: unknown): Uint8Array {
  if (!LITTLE_ENDIAN) throw new ValueError("encodeValue: this host is big-endian; the wire format stores typed arrays little-endian");
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const onPath = new Set<object>();
  const bin = (bytes: Uint8Array): [number, number] => {
    const at = offset;
    chunks.push(bytes);
    offset += bytes.length;
    const pad = (8 - (offset % 8)) % 8;
    if (pad) {
      chunks.push(new Uint8Array(pad));
      offset += pad;
    }
    return [at, bytes.length];
  };
  const walk = (v: unknown, path: string): unknown => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        if (Number.isNaN(v)) return { $n: "NaN" };
        if (v === Infinity) return { $n: "Infinity" };
        if (v === -Infinity) return { $n: "-Infinity" };
        if (Object.is(v, -0)) return { $n: "-0" };
        return v;
      case "undefined":
        return { $u: 1 };
      case "bigint":
        return { $i: v.toString() };
      case "function":
      case "symbol":
        throw new ValueError(`${where(path)} is a ${typeof v}, which cannot be sent to another machine (task inputs and outputs are plain data)`);
    }
    if (v === null) return null;
    const o = v as object;
    if (ArrayBuffer.isView(o)) {
      if (o instanceof DataView) throw new ValueError(`${where(path)} is a DataView; send a typed array instead`);
      const name = Object.keys(TYPED).find((k) => o instanceof TYPED[k]);
      if (!name) throw new ValueError(`${where(path)} is a typed array of an unknown kind`);
      return { $t: name, $b: bin(new Uint8Array(o.buffer, o.byteOffset, o.byteLength).slice()) };
    }
    if (o instanceof ArrayBuffer) return { $t: "ArrayBuffer", $b: bin(new Uint8Array(o).slice()) };
    if (onPath.has(o)) throw new ValueError(`${where(path)} refers back to one of its containers (a circular reference)`);
    onPath.add(o);
    try {
      if (Array.isArray(o)) return o.map((x, i) => walk(x, `${path}[${i}]`));
      if (o instanceof Date) return { $d: o.getTime() };
      if (o instanceof Map) return { $m: [...o].map(([k, x], i) => [walk(k, `${path}<key ${i}>`), walk(x, `${path}<value ${i}>`)]) };
      if (o instanceof Set) return { $s: [...o].map((x, i) => walk(x, `${path}<item ${i}>`)) };
      // Other objects (plain ones, and class instances as structured clone sees them): their
      // own enumerable string-keyed fields.
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(o)) out[k.startsWith("$") ? `$${k}` : k] = walk((o as Record<string, unknown>)[k], path === "" ? k : `${path}.${k}`);
      return out;
    } finally {
      onPath.delete(o);
    }
  };
  const json = new TextEncoder().encode(JSON.stringify(walk(value, "")));
  const jsonEnd = HEADER + json.length;
  const start = jsonEnd + ((8 - (jsonEnd % 8)) % 8);
  const out = new Uint8Array(start + offset);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint16(4, VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint32(12, json.length, true);
  out.set(json, HEADER);
  let at = start;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  view.setUint32(8, crc32(out.subarray(HEADER)), true);
  return out;
}

/** Decode bytes made by encodeValue. A damaged or foreign blob raises a ValueError naming
 *  `source` (where the bytes came from). */
export function decodeValue(bytes: Uint8Array, source = "value"): unknown {
  const bad = (why: string): ValueError => new ValueError(`${source}: not a value written by the Redis executor (${why})`);
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER) throw bad(`${bytes?.length ?? 0} bytes, shorter than the ${HEADER}-byte header`);
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw bad("wrong magic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== VERSION) throw bad(`format version ${version}; this package reads version ${VERSION}`);
  const jsonLength = view.getUint32(12, true);
  if (HEADER + jsonLength > bytes.length) throw bad(`its JSON claims ${jsonLength} bytes, more than the ${bytes.length - HEADER} there are`);
  if (crc32(bytes.subarray(HEADER)) !== view.getUint32(8, true)) throw bad("CRC-32 mismatch: the bytes were damaged in storage or transit");
  const jsonEnd = HEADER + jsonLength;
  const start = jsonEnd + ((8 - (jsonEnd % 8)) % 8);
  const section = bytes.subarray(Math.min(start, bytes.length));
  let tree: unknown;
  try {
    tree = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(HEADER, jsonEnd)));
  } catch (e) {
    throw bad(`its JSON does not parse: ${(e as Error).message}`);
  }
  const take = (b: unknown): Uint8Array => {
    const [at, n] = Array.isArray(b) ? b : [];
    if (!Number.isInteger(at) || !Number.isInteger(n) || at < 0 || n < 0 || at + n > section.length) throw bad(`a binary reference ${JSON.stringify(b)} is outside the ${section.length}-byte section`);
    return section.slice(at, at + n);
  };
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(walk);
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length >= 1 && keys.every((k) => k.startsWith("$") && !k.startsWith("$$"))) {
      if ("$t" in o) {
        const raw = take(o.$b);
        if (o.$t === "ArrayBuffer") return raw.buffer;
        const C = TYPED[String(o.$t)];
        if (!C || raw.length % C.BYTES_PER_ELEMENT !== 0) throw bad(`a typed array of kind ${JSON.stringify(o.$t)} with ${raw.length} bytes`);
        return new C(raw.buffer as ArrayBuffer, 0, raw.length / C.BYTES_PER_ELEMENT);
      }
      if ("$n" in o) {
        const n = ({ NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 } as Record<string, number>)[String(o.$n)];
        if (n === undefined) throw bad(`an unknown number ${JSON.stringify(o.$n)}`);
        return n;
      }
      if ("$u" in o) return undefined;
      if ("$i" in o) return BigInt(String(o.$i));
      if ("$d" in o) return new Date(Number(o.$d));
      if ("$m" in o) return new Map((o.$m as unknown[][]).map(([k, x]) => [walk(k), walk(x)]));
      if ("$s" in o) return new Set((o.$s as unknown[]).map(walk));
      throw bad(`an unknown tag ${JSON.stringify(keys)}`);
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k.startsWith("$") ? k.slice(1) : k] = walk(o[k]);
    return out;
  };
  return walk(tree);
}
