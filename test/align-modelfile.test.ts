// Model files: safetensors round trips, the reader's checks on untrusted input (header bound,
// offsets, dtype/shape, checksum), fuzzing by bit flips and truncations, atomic directory writes,
// and that plain Python reads what we write.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { init, Rng } from "../sdk/index.js";
import * as A from "../sdk/align/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

beforeAll(async () => {
  await init();
});

function model(seed = 1): A.ModelFile {
  const r = new Rng(seed, 3);
  const emb = Float32Array.from(r.normal(24 * 8));
  const w = Float32Array.from(r.normal(8 * 8));
  r.dispose();
  return {
    config: { kind: "transformer", vocab: 24, width: 8, layers: 1, note: "ü" },
    tokenizer: A.Tokenizer.trainBpe(["aa bb aa bb cc"], { vocabSize: 266 }),
    tensors: {
      "wte": { dtype: "F32", shape: [24, 8], data: emb },
      "h.0.w": { dtype: "F32", shape: [8, 8], data: w },
      "step": { dtype: "I32", shape: [], data: Int32Array.of(17) },
      "ln.bias64": { dtype: "F64", shape: [3], data: Float64Array.of(-0, 5e-324, Number.MAX_VALUE) },
      "flags": { dtype: "U8", shape: [2, 1], data: Uint8Array.of(1, 0) },
    },
    metadata: { author: "test" },
  };
}

function expectError(f: () => unknown, code?: string | RegExp): A.ModelFileError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof A.ModelFileError)) throw new Error(`expected a ModelFileError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
  if (typeof code === "string") expect(err.code).toBe(code);
  else if (code) expect(err.code).toMatch(code);
  return err;
}

/** A safetensors file with a hand-written header (no checksum). */
function raw(header: unknown, data: Uint8Array = new Uint8Array(0), pad = true): Uint8Array {
  let json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  if (pad) {
    const n = Math.ceil((8 + json.length) / 8) * 8 - 8;
    const p = new Uint8Array(n).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("safetensors: round trip", () => {
  it("decodes exactly what was encoded, with the header as safetensors defines it", () => {
    const m = model();
    const bytes = A.encodeModelFile(m);
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(0);
    expect((8 + n) % 8).toBe(0); // data aligned to 8
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.wte).toEqual({ dtype: "F32", shape: [24, 8], data_offsets: [0, 768] });
    expect(header["h.0.w"].data_offsets).toEqual([768, 1024]);
    expect(header.__metadata__.format).toBe("seqlearn.lm/1");
    expect(header.__metadata__["seqlearn.crc32"]).toMatch(/^[0-9a-f]{8}$/);
    const back = A.decodeModelFile(bytes);
    expect(back.config).toEqual(m.config);
    expect(back.tokenizer.toJSON()).toEqual(m.tokenizer.toJSON());
    expect(back.metadata).toEqual({ author: "test" });
    for (const [k, t] of Object.entries(m.tensors)) {
      expect(back.tensors[k].dtype).toBe(t.dtype);
      expect(back.tensors[k].shape).toEqual(t.shape);
      expect(back.tensors[k].data.constructor).toBe(t.data.constructor);
      expect(Array.from(back.tensors[k].data as Float64Array).map((x) => Object.is(x, -0) ? "-0" : x)).toEqual(Array.from(t.data as Float64Array).map((x) => Object.is(x, -0) ? "-0" : x));
    }
    // canonical: encoding the decoded model gives the same bytes; decoding never aliases the input
    expect(Buffer.from(A.encodeModelFile(back)).equals(Buffer.from(bytes))).toBe(true);
    expect(back.tensors.wte.data.buffer).not.toBe(bytes.buffer);
  });
  it("reads tensors other tools write: F16, BF16, I64, BOOL, no metadata, no checksum", () => {
    const data = new Uint8Array(2 * 3 + 2 * 2 + 8 + 2);
    const v = new DataView(data.buffer);
    [0x3c00, 0xc000, 0x7c00].forEach((h, i) => v.setUint16(2 * i, h, true)); // 1, −2, +∞ (F16)
    [0x3f80, 0x4049].forEach((h, i) => v.setUint16(6 + 2 * i, h, true)); // 1, 3.140625 (BF16)
    v.setBigInt64(10, -5n, true);
    data[18] = 1;
    const f = raw({
      a: { dtype: "F16", shape: [3], data_offsets: [0, 6] }, b: { dtype: "BF16", shape: [2], data_offsets: [6, 10] },
      c: { dtype: "I64", shape: [1], data_offsets: [10, 18] }, d: { dtype: "BOOL", shape: [1, 2], data_offsets: [18, 20] },
    }, data);
    const { tensors, metadata } = A.decodeSafetensors(f);
    expect(metadata).toEqual({});
    expect(Array.from(tensors.a.data as Float32Array)).toEqual([1, -2, Infinity]);
    expect(Array.from(tensors.b.data as Float32Array)).toEqual([1, 3.140625]);
    expect(Array.from(tensors.c.data as BigInt64Array)).toEqual([-5n]);
    expect(Array.from(tensors.d.data as Uint8Array)).toEqual([1, 0]);
    // a foreign file is not a seqlearn model
    expectError(() => A.decodeModelFile(f), "bad-metadata");
  });
  it("the writer checks what it is given", () => {
    expect(() => A.encodeSafetensors({ x: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/4 elements, data 3/);
    expect(() => A.encodeSafetensors({ x: { dtype: "F64", shape: [1], data: new Float32Array(1) } })).toThrow(/does not match/);
    expect(() => A.encodeSafetensors({ x: { shape: [1], data: [1] as never } })).toThrow(/Float64Array/);
    expect(() => A.encodeSafetensors({}, { k: 1 as never })).toThrow(/must be a string/);
    expect(() => A.encodeModelFile({ ...model(), config: [] as never })).toThrow(/JSON object/);
    expect(() => A.encodeModelFile({ ...model(), tokenizer: {} as never })).toThrow(/Tokenizer/);
    expect(() => A.encodeModelFile({ ...model(), extra: 1 } as never)).toThrow(/unknown option "extra"/);
  });
});

describe("safetensors: the reader does not trust its input", () => {
  const t = { w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
  it("names what is wrong", () => {
    expectError(() => A.decodeSafetensors("x" as never), "not-bytes");
    expectError(() => A.decodeSafetensors(new Uint8Array(5)), "truncated");
    const huge = raw(t, new Uint8Array(8));
    new DataView(huge.buffer).setUint32(4, 1, true); // header length ≥ 2^32
    expect(expectError(() => A.decodeSafetensors(huge), "bad-header").message).toMatch(/exceeds the bound/);
    const big = raw(t, new Uint8Array(8));
    new DataView(big.buffer).setUint32(0, 200_000_000, true);
    expectError(() => A.decodeSafetensors(big), "bad-header");
    const over = raw(t, new Uint8Array(8));
    new DataView(over.buffer).setUint32(0, 5000, true);
    expect(expectError(() => A.decodeSafetensors(over), "truncated").message).toMatch(/says 5000 bytes/);
    expectError(() => A.decodeSafetensors(raw("[1,2]")), "bad-header");
    expectError(() => A.decodeSafetensors(raw("{\"w\": ")), "bad-header");
    const badUtf8 = raw("{}       ");
    badUtf8[10] = 0xff;
    expect(expectError(() => A.decodeSafetensors(badUtf8), "bad-header").message).toMatch(/UTF-8|JSON/);
    expectError(() => A.decodeSafetensors(raw({ w: { dtype: "F8", shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2))), "bad-dtype");
    expectError(() => A.decodeSafetensors(raw({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))), "bad-shape");
    expectError(() => A.decodeSafetensors(raw({ w: { dtype: "F32", shape: [-2], data_offsets: [0, 8] } }, new Uint8Array(8))), "bad-shape");
    expectError(() => A.decodeSafetensors(raw({ w: { dtype: "F32", shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, new Uint8Array(8))), "bad-shape");
    expectError(() => A.decodeSafetensors(raw({ w: { dtype: "F32", shape: [2], data_offsets: [8, 0] } }, new Uint8Array(8))), "bad-offsets");
    expectError(() => A.decodeSafetensors(raw({ w: { dtype: "F32", shape: [2], data_offsets: [0, 1.5] } }, new Uint8Array(8))), "bad-offsets");
    // overlap, gap, beyond the end, bytes left over
    const two = (a: number[], b: number[], n: number) => raw({ a: { dtype: "F32", shape: [1], data_offsets: a }, b: { dtype: "F32", shape: [1], data_offsets: b } }, new Uint8Array(n));
    expect(expectError(() => A.decodeSafetensors(two([0, 4], [2, 6], 8)), "bad-offsets").message).toMatch(/contiguous/);
    expectError(() => A.decodeSafetensors(two([0, 4], [8, 12], 12)), "bad-offsets");
    expectError(() => A.decodeSafetensors(two([0, 4], [0, 4], 4)), "bad-offsets");
    expectError(() => A.decodeSafetensors(two([0, 4], [4, 8], 6)), "truncated");
    expectError(() => A.decodeSafetensors(two([0, 4], [4, 8], 9)), "trailing-bytes");
    expectError(() => A.decodeSafetensors(raw({ __metadata__: { a: 1 } })), "bad-metadata");
    expectError(() => A.decodeSafetensors(raw({ w: [1] })), "bad-header");
  });
  it("checks sizes before allocating: a header claiming terabytes is refused cheaply", () => {
    const f = raw({ w: { dtype: "F64", shape: [2 ** 20, 2 ** 20], data_offsets: [0, 8 * 2 ** 40] } }, new Uint8Array(16));
    const t0 = Date.now();
    expect(expectError(() => A.decodeSafetensors(f), "truncated").message).toMatch(/need 8796093022208 bytes/);
    expect(Date.now() - t0).toBeLessThan(100);
  });
  it("detects every single-bit flip of a seqlearn file (header, length, checksum, data)", () => {
    const m: A.ModelFile = { config: { v: 1 }, tokenizer: A.Tokenizer.byteLevel(), tensors: { w: { dtype: "F32", shape: [3], data: Float32Array.of(1, 2, 3) } } };
    const b = A.encodeModelFile(m);
    let n = 0;
    for (let i = 0; i < b.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const c = b.slice();
        c[i] ^= 1 << bit;
        expectError(() => A.decodeModelFile(c));
        n++;
      }
    }
    expect(n).toBe(8 * b.length);
  });
  it("rejects every truncation, and random corruption only ever raises ModelFileError", () => {
    const b = A.encodeModelFile(model(2));
    for (let len = 0; len < b.length; len++) expectError(() => A.decodeModelFile(b.subarray(0, len)), /^(truncated|bad-header|checksum|bad-offsets)$/);
    const outcomes: Record<string, number> = {};
    const r = new Rng(9, 1);
    const u = r.uniform(3 * 400);
    r.dispose();
    for (let k = 0; k < 400; k++) {
      const c = b.slice();
      const hits = 1 + Math.floor(u[3 * k] * 8);
      for (let h = 0; h < hits; h++) c[Math.floor(u[3 * k + 1] * c.length * (h + 1) / hits) % c.length] ^= 1 + Math.floor(u[3 * k + 2] * 255);
      const e = expectError(() => A.decodeModelFile(c));
      outcomes[e.code] = (outcomes[e.code] ?? 0) + 1;
    }
    expect(outcomes.checksum).toBeGreaterThan(20);
    expect(outcomes["bad-header"]).toBeGreaterThan(20);
  });
  it("checksum: verified when present, skippable for files rewritten by other tools; version and tokenizer checks", () => {
    const b = A.encodeModelFile(model());
    const back = A.decodeSafetensors(b);
    // re-encode with the same metadata but without our checksum: a plain safetensors file
    const meta = { ...back.metadata };
    delete meta["seqlearn.crc32"];
    const plain = A.encodeSafetensors(back.tensors as never, meta, { checksum: false });
    expect(A.decodeSafetensors(plain).tensors.wte.shape).toEqual([24, 8]);
    expectError(() => A.decodeModelFile(plain), "checksum"); // a seqlearn model must carry one
    const future = A.encodeSafetensors({}, { ...meta, format: "seqlearn.lm/2" });
    expectError(() => A.decodeModelFile(future), "unsupported-version");
    const badTok = A.encodeSafetensors({}, { ...meta, "seqlearn.tokenizer": "{}" });
    expectError(() => A.decodeModelFile(badTok), "bad-tokenizer");
    const badCfg = A.encodeSafetensors({}, { ...meta, "seqlearn.config": "[1]" });
    expectError(() => A.decodeModelFile(badCfg), "bad-config");
  });
});

describe("model directories", () => {
  it("save writes both files through temporaries, refuses to overwrite or follow a symlink, load checks config.json", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "seqlearn-model-")), "m");
    const m = model(4);
    await A.saveModel(dir, m);
    expect(readdirSync(dir).sort()).toEqual(["config.json", "model.safetensors"]);
    const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    expect(cfg.format).toBe("seqlearn.lm/1");
    expect(cfg.config).toEqual(m.config);
    const back = await A.loadModel(dir);
    expect(Array.from(back.tensors["h.0.w"].data as Float32Array)).toEqual(Array.from(m.tensors["h.0.w"].data as Float32Array));
    await expect(A.saveModel(dir, m)).rejects.toThrow(/exists; pass \{ overwrite: true \}/);
    await A.saveModel(dir, model(5), { overwrite: true });
    expect(readdirSync(dir).sort()).toEqual(["config.json", "model.safetensors"]); // no temporaries left
    const weights = readFileSync(join(dir, "model.safetensors"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...cfg, config: { ...cfg.config, width: 9 } }));
    await expect(A.loadModel(dir)).rejects.toThrow(/does not match/);
    // a symlink in place of the weights is not written through
    const other = join(dirname(dir), "elsewhere.bin");
    writeFileSync(other, "keep");
    const link = join(dirname(dir), "linked");
    await A.saveModel(link, m);
    const target = join(link, "model.safetensors");
    const { unlinkSync } = await import("node:fs");
    unlinkSync(target);
    symlinkSync(other, target);
    await expect(A.saveModel(link, m, { overwrite: true })).rejects.toThrow(/symbolic link/);
    expect(readFileSync(other, "utf8")).toBe("keep");
    // a failed encode writes nothing
    const empty = join(dirname(dir), "never");
    await expect(A.saveModel(empty, { ...m, config: "x" as never })).rejects.toThrow();
    expect(existsSync(empty)).toBe(false);
    await expect(A.loadModel(join(dirname(dir), "missing"))).rejects.toThrow(/no such file/);
    expect(weights.length).toBeGreaterThan(1000);
  });
});

describe("other tools read the file", () => {
  const py = spawnSync("python3", ["-c", "import numpy"], { encoding: "utf8" });
  it.skipIf(py.status !== 0)("bench/lib/torch_parity.py reads a seqlearn file with plain Python (struct, json, numpy)", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "seqlearn-py-")), "m");
    const m = model(6);
    await A.saveModel(dir, m);
    const r = spawnSync("python3", [join(root, "bench", "lib", "torch_parity.py"), "--inspect", join(dir, "model.safetensors")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.format).toBe("seqlearn.lm/1");
    expect(out.checksum).toBe("ok");
    expect(out.tensors.wte).toEqual({ dtype: "F32", shape: [24, 8], sum: expect.any(Number) });
    const sum = Array.from(m.tensors.wte.data as Float32Array).reduce((a, b) => a + b, 0);
    expect(Math.abs(out.tensors.wte.sum - sum)).toBeLessThan(1e-4);
    expect(out.config).toEqual(m.config);
  });
});
