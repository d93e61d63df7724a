// What init() says when the module cannot be loaded: what it read and where, and a link to the
// bundler guide; "SIMD" only when the bytes are WebAssembly that does not compile. And the fixed
// names of the error classes, which minifiers cannot rename.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import * as sl from "../sdk/index.js";
import { compile, initSync } from "../sdk/engine/loader.js";
import { EngineStateError } from "../sdk/core/errors.js";

const GUIDE = /https:\/\/github\.com\/seqlearn\/seqlearn\/blob\/main\/docs\/guide\/bundlers\.md/;
const wasm = readFileSync(new URL("../build/seqlearn.wasm", import.meta.url));

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("load errors", () => {
  it("an HTML page where the module should be (a dev server's fallback) is named as such", async () => {
    const page = new Response("<!doctype html>\n<html><head><title>app</title></head></html>", { headers: { "content-type": "text/html" } });
    const e = await rejection(compile(page));
    expect(e).toBeInstanceOf(EngineStateError);
    expect(e.message).toMatch(/got \d+ bytes of text\/html starting "<!doctype html> <html>/);
    expect(e.message).toMatch(/not a WebAssembly module/);
    expect(e.message).toMatch(/the server answered with a page instead of the file/);
    expect(e.message).not.toMatch(/SIMD/);
    expect(e.message).toMatch(GUIDE);
  });

  it("an HTTP error names the status and links to the guide", async () => {
    const e = await rejection(compile(new Response("nope", { status: 404, statusText: "Not Found" })));
    expect(e).toBeInstanceOf(EngineStateError);
    expect(e.message).toMatch(/HTTP 404 Not Found/);
    expect(e.message).toMatch(GUIDE);
  });

  it("WebAssembly that does not compile is blamed on the runtime (SIMD), other bytes are shown", async () => {
    const broken = new Uint8Array(wasm.subarray(0, 40)); // a valid header, a truncated body
    const e = await rejection(compile(broken));
    expect(e.message).toMatch(/could not compile the seqlearn module from bytes .*probably lacks WebAssembly SIMD/);
    const junk = await rejection(compile(new Uint8Array([1, 2, 3, 4, 5])));
    expect(junk.message).toMatch(/got 5 bytes starting with bytes 01 02 03 04, not a WebAssembly module/);
    expect(() => initSync(new Uint8Array([60, 104, 116, 109, 108]))).toThrow(/got 5 bytes starting "<html", not a WebAssembly module/);
  });

  it("a missing file names the path it tried", async () => {
    const e = await rejection(compile(new URL("./no-such-dir/seqlearn.wasm", import.meta.url)));
    expect(e).toBeInstanceOf(EngineStateError);
    expect(e.message).toMatch(/no-such-dir\/seqlearn\.wasm/);
    expect(e.message).toMatch(GUIDE);
  });
});

describe("error names", () => {
  it("every error class the root exports has its own fixed name, set on the instance", () => {
    const classes = Object.entries(sl).filter(([, v]) => typeof v === "function" && (v as { prototype?: unknown }).prototype instanceof Error);
    expect(classes.map(([k]) => k).sort()).toEqual([
      "DataError", "DictionaryFormatError", "EngineMemoryError", "EngineStateError", "EngineTrapError", "JobFailedError", "ManifestError",
      "MissingDependencyError", "NumericalError", "PoolClosedError", "RedisConnectionError", "SeqlearnError",
      "ShapeError", "SparsifierFormatError", "TaskAbortedError", "TaskError", "UnknownTaskError", "ValueError", "WorkerLostError", "WorkerStartError",
    ]);
    for (const [name, C] of classes) {
      const e = new (C as new (...a: unknown[]) => Error)("x", 1, 1, new Error("x"));
      expect(e.name, name).toBe(name);
      expect(Object.prototype.hasOwnProperty.call(e, "name"), `${name}: an own property, not the class's name`).toBe(true);
    }
  });

  it("a minified bundle keeps them", async () => {
    const { build } = await import("esbuild");
    const r = await build({
      stdin: { contents: `import * as sl from "./sdk/index.ts"; export const names = Object.entries(sl).filter(([, v]) => typeof v === "function" && v.prototype instanceof Error).map(([k, C]) => [k, new C("x", 1, 1, new Error("x")).name]);`, resolveDir: new URL("..", import.meta.url).pathname, loader: "ts" },
      bundle: true, minify: true, format: "esm", platform: "node", write: false, external: ["node:*"], logLevel: "silent",
    });
    const code = r.outputFiles[0].text;
    const mod = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
    for (const [k, n] of mod.names as [string, string][]) expect(n, k).toBe(k);
  });
});
