// Output files of the CLI: written under a temporary name in the same directory and renamed
// over the target only when complete, so a reader never sees a half-written file and a failed
// run leaves any earlier file untouched. An output that is one of the command's inputs
// (same file, also through a link) is refused before anything is written.
import { closeSync, existsSync, openSync, realpathSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UsageError } from "./flags.js";

let counter = 0;

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${++counter}.tmp`);
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Throw a UsageError when `out` names the same file as one of `inputs` ("-" is stdin). */
export function checkNotInput(out: string, inputs: readonly string[], flag = "-o"): void {
  if (!existsSync(out)) return;
  const o = real(out);
  for (const i of inputs) {
    if (i !== "-" && real(i) === o) throw new UsageError(`${flag} ${out} is an input of this command; write the output to another file`);
  }
}

/** A file being written: write() appends, commit() renames it into place, abort() removes it. */
export class OutputFile {
  private readonly tmp: string;
  private fd: number | null;

  constructor(readonly path: string, inputs: readonly string[] = []) {
    checkNotInput(path, inputs);
    this.tmp = tempName(path);
    this.fd = openSync(this.tmp, "wx");
  }

  write(data: string | Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path}: write after commit or abort`);
    if (typeof data === "string") writeSync(this.fd, data);
    else {
      let off = 0;
      while (off < data.length) off += writeSync(this.fd, data, off);
    }
  }

  commit(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    try {
      unlinkSync(this.tmp);
    } catch {
      // already gone
    }
  }
}

/** Write a whole file atomically (temporary file + rename); never over one of `inputs`. */
export function writeFileAtomic(path: string, data: string | Uint8Array, inputs: readonly string[] = []): void {
  const f = new OutputFile(path, inputs);
  try {
    f.write(data);
    f.commit();
  } finally {
    f.abort();
  }
}

/** Run `body` writing to `path` (or to stdout when path is undefined), committing the file
 *  only when `body` succeeds. */
export async function withOutput<T>(path: string | undefined, inputs: readonly string[], body: (write: (s: string) => void) => Promise<T>): Promise<T> {
  if (path === undefined) return body((s) => void writeSync(1, s));
  const f = new OutputFile(path, inputs);
  try {
    const r = await body((s) => f.write(s));
    f.commit();
    return r;
  } finally {
    f.abort();
  }
}
