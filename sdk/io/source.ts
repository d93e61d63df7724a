// Text sources for the readers: a file path (Node/Deno), a Web ReadableStream, a Blob, or any
// (async) iterable of strings or bytes. Chunks are decoded as UTF-8 one at a time, so memory
// stays bounded by the chunk size whatever the length of the input. A leading byte-order mark
// is removed.
import { ValueError } from "../engine/errors.js";
import { fileChunks, fileSize } from "../platform.js";

/** Anything the readers accept. A `string` is a file path (use `textSource` for literal text). */
export type TextSource =
  | string
  | URL
  | ReadableStream<Uint8Array | string>
  | Blob
  | AsyncIterable<string | Uint8Array>
  | Iterable<string | Uint8Array>;

/** One decoded chunk and how many input bytes it came from (0 when unknown). */
export interface TextChunk {
  /** Decoded text. */
  text: string;
  /** Input bytes it came from (0 when unknown). */
  bytes: number;
}

/** Wrap literal text (e.g. CSV content held in a string) as a source. */
export function textSource(text: string): Iterable<string> {
  return [text];
}

/** Size in bytes of a file or Blob source, when it can be known without reading it. */
export async function sourceSize(src: TextSource): Promise<number | undefined> {
  if (typeof Blob !== "undefined" && src instanceof Blob) return src.size;
  if (typeof src === "string" || src instanceof URL) {
    return fileSize(src);
  }
  return undefined;
}

/** A short human name for messages: the path, or the kind of source. */
export function sourceName(src: TextSource): string {
  if (typeof src === "string") return src;
  if (src instanceof URL) return src.href;
  if (typeof Blob !== "undefined" && src instanceof Blob) return (src as { name?: string }).name ?? "<blob>";
  if (typeof ReadableStream !== "undefined" && src instanceof ReadableStream) return "<stream>";
  return "<iterable>";
}

/** Decoded text chunks of a source, BOM removed. */
export async function* textChunks(src: TextSource, chunkBytes = 1 << 16): AsyncGenerator<TextChunk> {
  const decoder = new TextDecoder("utf-8"); // strips a UTF-8 BOM by default
  let first = true;
  const emit = (raw: string | Uint8Array, last = false): TextChunk => {
    let text: string;
    let bytes = 0;
    if (typeof raw === "string") text = raw;
    else {
      text = decoder.decode(raw, { stream: !last });
      bytes = raw.byteLength;
    }
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    return { text, bytes };
  };

  if (typeof src === "string" || src instanceof URL) {
    let stream: AsyncIterable<Uint8Array>;
    try {
      stream = await fileChunks(src, chunkBytes);
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new ValueError(`cannot read ${JSON.stringify(String(src))}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`);
    }
    for await (const buf of stream) yield emit(buf);
    const tail = decoder.decode();
    if (tail) yield { text: tail, bytes: 0 };
    return;
  }
  if (typeof Blob !== "undefined" && src instanceof Blob) {
    yield* textChunks(src.stream() as ReadableStream<Uint8Array>, chunkBytes);
    return;
  }
  if (typeof ReadableStream !== "undefined" && src instanceof ReadableStream) {
    const reader = src.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        yield emit(value);
      }
    } finally {
      reader.releaseLock();
    }
    const tail = decoder.decode();
    if (tail) yield { text: tail, bytes: 0 };
    return;
  }
  const it = src as AsyncIterable<string | Uint8Array> & Iterable<string | Uint8Array>;
  if (it && (typeof it[Symbol.asyncIterator] === "function" || typeof it[Symbol.iterator] === "function")) {
    for await (const part of it) {
      if (typeof part !== "string" && !(part instanceof Uint8Array)) {
        throw new ValueError(`source: an iterable source must yield strings or Uint8Arrays, got ${part === null ? "null" : typeof part}`);
      }
      yield emit(part);
    }
    const tail = decoder.decode();
    if (tail) yield { text: tail, bytes: 0 };
    return;
  }
  throw new ValueError("source must be a file path, a URL, a ReadableStream, a Blob, or an (async) iterable of strings or Uint8Arrays");
}
