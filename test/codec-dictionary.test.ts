import { describe, it, expect, beforeAll } from "vitest";
import * as zlib from "node:zlib";
import { init, Rng, Matrix } from "../sdk/index.js";
import {
  encodeDictionary, decodeDictionary, inspectDictionaryFile, isDictionaryFile, encodedDictionarySize,
  DictionaryFormatError, DICTIONARY_MAGIC,
} from "../sdk/kernel/codec.js";
import { makeDictionary, type RlsDictionary } from "../sdk/kernel/dictionary.js";
import { crc32 } from "../sdk/core/crc32.js";

beforeAll(async () => {
  await init();
});

function record(m: number, d: number, seed: number, opts: { tau?: boolean; nulls?: boolean } = {}): RlsDictionary {
  const r = new Rng(seed, 1);
  const u = r.uniform(3 * m + 1);
  const points = new Matrix(m, d, r.normal(m * d));
  r.dispose();
  const qbar = 8;
  const indices = new Float64Array(m);
  for (let j = 0; j < m; j++) indices[j] = j * 3 + Math.floor(u[j] * 3); // distinct, increasing
  const pTilde = Float64Array.from({ length: m }, (_, j) => Math.max(1e-300, u[m + j]));
  const copies = Int32Array.from({ length: m }, (_, j) => 1 + Math.floor(u[2 * m + j] * qbar));
  return makeDictionary({
    indices, points, pTilde, copies,
    tau: opts.tau === false ? null : Float64Array.from(pTilde, (p) => p * 0.9),
    params: {
      method: "squeak", kernel: { name: "rbf", gamma: 0.25 }, lambda: 1, eps: 0.5, qbar, c: 1.5, cPref: 1, scale: 1,
      seed: opts.nulls ? null : 2 ** 40 + 7, n: 3 * m + 3, d, deff: opts.nulls ? null : 12.5, maxDictionary: opts.nulls ? null : 500,
    },
  });
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]));

function fixCrc(b: Uint8Array): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  v.setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
  return b;
}

function expectFormatError(f: () => unknown, code?: string | RegExp): DictionaryFormatError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DictionaryFormatError);
  const fe = err as DictionaryFormatError;
  if (typeof code === "string") expect(fe.code).toBe(code);
  else if (code) expect(fe.code).toMatch(code);
  return fe;
}

describe("dictionary codec: round trip", () => {
  it("decodes exactly what was encoded (values, -0, subnormals, nulls, with and without tau)", () => {
    for (const [m, d, opts] of [[7, 3, {}], [1, 1, { tau: false }], [0, 4, { nulls: true }], [25, 10, { tau: false, nulls: true }]] as const) {
      const rec = record(m, d, 11 + m, opts);
      if (m > 2) {
        rec.points.data[0] = -0;
        rec.points.data[1] = 5e-324;
        rec.points.data[2] = -Number.MAX_VALUE;
      }
      const bytes = encodeDictionary(rec);
      expect(bytes.length).toBe(encodedDictionarySize(m, d, rec.tau !== null));
      const back = decodeDictionary(bytes);
      expect(back.size).toBe(m);
      expect(back.points).toBeInstanceOf(Matrix);
      expect([back.points.rows, back.points.cols]).toEqual([m, d]);
      expect(same(back.points.data, rec.points.data)).toBe(true);
      expect(same(back.pTilde, rec.pTilde)).toBe(true);
      expect(same(back.indices, rec.indices)).toBe(true);
      expect(Array.from(back.copies)).toEqual(Array.from(rec.copies));
      if (rec.tau) expect(same(back.tau!, rec.tau)).toBe(true);
      else expect(back.tau).toBeNull();
      expect(back.params).toEqual(rec.params);
      for (let j = 0; j < m; j++) expect(back.weights[j]).toBe(rec.copies[j] / (rec.params.qbar * rec.pTilde[j]));
      // Canonical: re-encoding gives the same bytes; decoding does not alias the input.
      expect(same(encodeDictionary(back), bytes)).toBe(true);
      if (m > 0) {
        bytes[176] ^= 0xff;
        expect(back.points.data[0]).toBe(rec.points.data[0]);
      }
    }
  });

  it("stores every kernel and its parameters", () => {
    const kernels = [
      { name: "linear" }, { name: "rbf", gamma: 3 }, { name: "laplacian", gamma: 0.1 },
      { name: "polynomial", gamma: 0.5, coef0: -1, degree: 4 }, { name: "matern12", lengthScale: 2 },
      { name: "matern32", lengthScale: 0.3 }, { name: "matern52", lengthScale: 7 },
    ] as const;
    for (const kernel of kernels) {
      const rec = { ...record(3, 2, 5), params: { ...record(3, 2, 5).params, kernel, method: "disqueak·λ" } };
      const back = decodeDictionary(encodeDictionary(rec));
      expect(back.params.kernel).toEqual(kernel);
      expect(back.params.method).toBe("disqueak·λ");
    }
  });

  it("stores the kernel as version 1's kind numbers (the engine's KernelCode must keep them)", () => {
    const v1 = { linear: 0, rbf: 1, laplacian: 2, polynomial: 3, matern32: 4, matern52: 5, matern12: 6 } as const;
    for (const [name, kind] of Object.entries(v1)) {
      const base = record(2, 2, 3);
      const kernel = name === "rbf" || name === "laplacian" ? { name, gamma: 1 } : { name };
      const b = encodeDictionary({ ...base, params: { ...base.params, kernel: kernel as never } });
      expect(new DataView(b.buffer).getUint32(32, true), name).toBe(kind);
      expect(decodeDictionary(b).params.kernel.name).toBe(name);
    }
  });

  it("has the documented layout and a standard CRC-32", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    const big = new Uint8Array(10_000).map((_, i) => (i * 131) & 255);
    for (const off of [0, 1, 2, 3, 7]) expect(crc32(big.subarray(off, off + 5000 + off))).toBe((zlib as unknown as { crc32(b: Uint8Array): number }).crc32(big.subarray(off, off + 5000 + off)));
    const rec = record(4, 3, 2);
    const b = encodeDictionary(rec);
    const v = new DataView(b.buffer);
    expect(Array.from(b.subarray(0, 8))).toEqual(Array.from(DICTIONARY_MAGIC));
    expect(v.getUint16(8, true)).toBe(1);
    expect(v.getUint16(10, true)).toBe(176);
    expect(v.getUint32(16, true)).toBe(b.length);
    expect([v.getUint32(24, true), v.getUint32(28, true), v.getUint32(32, true)]).toEqual([4, 3, 1]);
    expect(v.getFloat64(40, true)).toBe(0.25);
    expect(v.getFloat64(176, true)).toBe(rec.points.data[0]);
    expect(v.getUint32(b.length - 4, true)).toBe(crc32(b.subarray(0, b.length - 4)));
    expect(isDictionaryFile(b)).toBe(true);
    expect(inspectDictionaryFile(b)).toMatchObject({ version: 1, m: 4, d: 3, hasTau: true, bytes: b.length });
  });

  it("refuses to encode records the decoder would reject", () => {
    const ok = record(3, 2, 1);
    const bad = (patch: (r: any) => void, msg: RegExp): void => {
      const r: any = { ...ok, pTilde: ok.pTilde.slice(), copies: ok.copies.slice(), indices: ok.indices.slice(), params: { ...ok.params } };
      patch(r);
      expect(() => encodeDictionary(r)).toThrow(msg);
    };
    bad((r) => (r.pTilde[1] = 0), /pTilde\[1\] is 0; expected a probability in \(0, 1\]/);
    bad((r) => (r.copies[2] = 9), /copies\[2\] is 9; expected an integer in \[1, q̄ = 8\]/);
    bad((r) => (r.indices[2] = r.indices[0]), /indices\[2\].*distinct/);
    bad((r) => (r.params.eps = 1), /eps is 1/);
    bad((r) => (r.params.kernel = { name: "rbf", gamma: -1 }), /kernel: .*gamma/);
    bad((r) => (r.params.kernel = { name: "cosine" }), /kernel.name must be one of/);
    bad((r) => (r.params.method = "x".repeat(25)), /longer than 24/);
    bad((r) => (r.copies = Float64Array.from(r.copies)), /copies must be a Int32Array of length 3/);
    bad((r) => (r.params.d = 5), /params.d = 5 but the points have 2 columns/);
    bad((r) => (r.params.n = 2), /n is 2; expected an integer ≥ m = 3/);
  });
});

describe("dictionary codec: untrusted input", () => {
  const base = (): Uint8Array => encodeDictionary(record(3, 2, 9));

  it("names what is wrong: not bytes, magic, version, truncation, trailing bytes, checksum", () => {
    expectFormatError(() => decodeDictionary("abc" as never), "not-bytes");
    expect(expectFormatError(() => decodeDictionary(new TextEncoder().encode('{"format":"x"}')), "bad-magic").message).toMatch(/looks like its JSON form/);
    expect(expectFormatError(() => decodeDictionary(Uint8Array.of(1, 2, 3)), "bad-magic").message).toMatch(/only 3 bytes/);
    const b = base();
    const v2 = b.slice();
    v2[8] = 2;
    expect(expectFormatError(() => decodeDictionary(v2), "unsupported-version").message).toMatch(/version 2 is not supported/);
    for (let len = 0; len < b.length; len++) expectFormatError(() => decodeDictionary(b.subarray(0, len)), /^(truncated|bad-magic)$/);
    const longer = new Uint8Array(b.length + 3);
    longer.set(b);
    expectFormatError(() => decodeDictionary(longer), "trailing-bytes");
    const flipped = b.slice();
    flipped[200] ^= 4;
    expect(expectFormatError(() => decodeDictionary(flipped), "checksum").offset).toBe(b.length - 4);
    // Works from an unaligned view inside a larger buffer too.
    const host = new Uint8Array(b.length + 5);
    host.set(b, 3);
    expect(decodeDictionary(host.subarray(3, 3 + b.length)).size).toBe(3);
  });

  it("detects every single-bit flip", () => {
    const b = base();
    let n = 0;
    for (let i = 0; i < b.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const c = b.slice();
        c[i] ^= 1 << bit;
        expectFormatError(() => decodeDictionary(c));
        n++;
      }
    }
    expect(n).toBe(8 * b.length);
  });

  it("rejects forged sizes before allocating, even with a valid checksum", () => {
    const b = base();
    const v = new DataView(b.buffer);
    for (const [field, value] of [[24, 0xffffffff], [28, 0xffffffff], [24, 4], [16, 0xfffffff0], [20, 1]] as const) {
      const c = b.slice();
      new DataView(c.buffer).setUint32(field, value, true);
      fixCrc(c);
      expectFormatError(() => decodeDictionary(c), /^(bad-header|truncated)$/);
    }
    // A consistent header claiming a huge dictionary: truncated, not allocated.
    const huge = b.slice();
    const hv = new DataView(huge.buffer);
    hv.setUint32(24, 100_000_000, true);
    const size = encodedDictionarySize(100_000_000, 2, true);
    hv.setUint32(16, size % 2 ** 32, true);
    hv.setUint32(20, Math.floor(size / 2 ** 32), true);
    expect(expectFormatError(() => decodeDictionary(huge), "truncated").message).toMatch(/the header says 4400000180 bytes, got \d+/);
    expect(v.getUint32(24, true)).toBe(3);
  });

  it("range-checks values behind a valid checksum", () => {
    const b = base();
    const m = 3, d = 2, H = 176;
    const cases: Array<[string, (v: DataView) => void, RegExp]> = [
      ["NaN point", (v) => v.setFloat64(H + 8, NaN, true), /points\[0\]\[1\] is NaN/],
      ["pTilde > 1", (v) => v.setFloat64(H + 8 * m * d + 8, 1.5, true), /pTilde\[1\] is 1.5/],
      ["negative index", (v) => v.setFloat64(H + 8 * m * (d + 1), -1, true), /indices\[0\] is -1/],
      ["fractional index", (v) => v.setFloat64(H + 8 * m * (d + 1) + 16, 2.5, true), /indices\[2\] is 2.5/],
      ["tau > 1", (v) => v.setFloat64(H + 8 * m * (d + 2), 2, true), /tau\[0\] is 2/],
      ["zero copies", (v) => v.setInt32(H + 8 * m * (d + 3) + 4, 0, true), /copies\[1\] is 0/],
      ["kernel kind", (v) => v.setUint32(32, 42, true), /unknown kernel kind 42/],
      ["kernel gamma", (v) => v.setFloat64(40, -2, true), /kernel: rbf: gamma must be a finite number > 0/],
      ["unknown flag", (v) => v.setUint32(12, 0x10 | 15, true), /unknown flag bits/],
      ["qbar", (v) => v.setFloat64(88, 0.5, true), /qbar is 0.5/],
      ["eps", (v) => v.setFloat64(80, -0.1, true), /eps is -0.1/],
      ["seed", (v) => v.setFloat64(128, 2 ** 60, true), /seed is/],
      ["method utf-8", (v) => v.setUint8(152, 0xff), /not valid UTF-8/],
    ];
    for (const [, patch, msg] of cases) {
      const c = b.slice();
      patch(new DataView(c.buffer));
      fixCrc(c);
      const e = expectFormatError(() => decodeDictionary(c), /^(bad-value|bad-header)$/);
      expect(e.message).toMatch(msg);
    }
  });

  it("fuzz: 4000 seeded mutations never crash, hang or return an invalid dictionary", () => {
    const originals = [encodeDictionary(record(5, 3, 1)), encodeDictionary(record(2, 1, 2, { tau: false, nulls: true })), encodeDictionary(record(0, 2, 3))];
    const rng = new Rng(2024, 7);
    const u = rng.uniform(4000 * 8);
    rng.dispose();
    let k = 0;
    const next = (): number => u[k++ % u.length];
    const int = (n: number): number => Math.floor(next() * n);
    const outcomes: Record<string, number> = {};
    const t0 = performance.now();
    for (let it = 0; it < 4000; it++) {
      const orig = originals[it % originals.length];
      let c = orig.slice();
      const kind = it % 6;
      if (kind === 0) for (let f = 1 + int(4); f > 0; f--) c[int(c.length)] ^= 1 << int(8);
      else if (kind === 1) c = c.subarray(0, int(c.length));
      else if (kind === 2) {
        const extra = new Uint8Array(c.length + 1 + int(64));
        extra.set(c);
        c = extra;
      } else if (kind === 3 || kind === 4) {
        // Tamper with a length or count field, sometimes re-signing the file.
        const field = [16, 20, 24, 28, 10, 12][int(6)];
        const value = [0, 1, 2, 0xffffffff, 0x7fffffff, int(2 ** 32), c.length, 1 << 20][int(8)];
        if (field === 10) new DataView(c.buffer).setUint16(10, value & 0xffff, true);
        else new DataView(c.buffer).setUint32(field, value >>> 0, true);
        if (kind === 4) fixCrc(c);
      } else {
        // Random bytes at a random place, re-signed: exercises the value checks.
        const at = int(c.length - 4);
        c[at] = int(256);
        fixCrc(c);
      }
      let code: string;
      try {
        const dict = decodeDictionary(c);
        // Anything accepted must be a valid dictionary that re-encodes to the same bytes.
        expect(same(encodeDictionary(dict), c)).toBe(true);
        code = "accepted";
      } catch (e) {
        expect(e).toBeInstanceOf(DictionaryFormatError);
        code = (e as DictionaryFormatError).code;
      }
      outcomes[code] = (outcomes[code] ?? 0) + 1;
    }
    expect(performance.now() - t0).toBeLessThan(20_000);
    for (const code of ["checksum", "truncated", "trailing-bytes", "bad-header"]) expect(outcomes[code]).toBeGreaterThan(50);
    expect(outcomes["bad-value"]).toBeGreaterThan(0);
  });
});
