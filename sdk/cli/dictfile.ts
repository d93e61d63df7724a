// Dictionary files as the CLI reads them: the binary format (codec.ts) or its JSON form (as
// `seqlearn inspect --json` prints it). Problems reading the file are FileErrors (one line with
// the path); problems with its content are the readers' own typed errors.
import { readFileSync } from "node:fs";
import { decodeDictionary, inspectDictionaryFile, isDictionaryFile } from "../kernel/codec.js";
import { dictionaryFromJSON, type RlsDictionary } from "../kernel/dictionary.js";
import { DataError } from "../io/errors.js";
import { FileError, fsReason } from "./files.js";

/** The bytes of a file, or a FileError naming it. */
export function readBytes(path: string, what = "file"): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new FileError(`cannot read ${what} ${path}: ${fsReason(e)}`);
  }
}

/** The JSON object of a dictionary's JSON form, or null when the bytes are not JSON text. */
function jsonForm(bytes: Uint8Array, path: string): unknown {
  if (isDictionaryFile(bytes) || bytes.length === 0 || bytes[0] !== 0x7b /* { */) return null;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new DataError(`not a dictionary file, and not valid JSON either (${(e as Error).message.slice(0, 120)})`, { source: path });
  }
}

/** The number of points a dictionary file holds, read without decoding its arrays (so that
 *  limits can be checked before anything large is allocated). */
export function dictionaryFileSize(bytes: Uint8Array, path: string): number {
  const obj = jsonForm(bytes, path) as { points?: { rows?: unknown } } | null;
  if (obj === null) return inspectDictionaryFile(bytes).m;
  const rows = obj?.points?.rows;
  return typeof rows === "number" && rows >= 0 ? rows : 0;
}

/** A dictionary from the bytes of a file (binary, or its JSON form). */
export function parseDictionaryFile(bytes: Uint8Array, path: string): RlsDictionary {
  const obj = jsonForm(bytes, path);
  return obj === null ? decodeDictionary(bytes) : dictionaryFromJSON(obj);
}

/** Read a dictionary file (binary, or its JSON form). */
export function readDictionaryFile(path: string): RlsDictionary {
  return parseDictionaryFile(readBytes(path, "dictionary file"), path);
}
