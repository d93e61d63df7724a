// Output files of the CLI. The rules (docs/guide/files-and-memory.md):
//   - every output is checked before any work starts: its folder exists and can be written,
//     it is not a folder, it is not one of the command's inputs (also through a link), and it
//     does not exist yet unless --force was given;
//   - it is written under a temporary name in the same folder and moved into place only when
//     complete (rename), so a failed run leaves no partial file and any earlier file as it was;
//   - a symbolic link at the output path is replaced by the new file (with --force): the file
//     it points to is never written;
//   - without --force an existing file is never replaced, even one that appears while the
//     command runs (the temporary file is linked into place, which fails if the name exists).
// Problems with files are FileErrors: one line naming the path, exit status 1.
import { type Stats, accessSync, closeSync, constants, linkSync, lstatSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UsageError } from "./flags.js";
import { writeAll, write as termWrite } from "./term.js";

/** A problem with a file the command reads or writes (a missing folder, a folder given as a
 *  file, a permission, an existing output without --force): printed as one line, exit 1. */
export class FileError extends Error {
  override readonly name = "FileError";
}

/** Why a filesystem call failed, in words (from the error's code). */
export function fsReason(e: unknown): string {
  const code = (e as { code?: string })?.code;
  switch (code) {
    case "ENOENT": return "no such file or folder";
    case "EACCES":
    case "EPERM": return "permission denied";
    case "EISDIR": return "it is a folder, not a file";
    case "ENOTDIR": return "a part of the path is not a folder";
    case "EEXIST": return "it already exists";
    case "ENOSPC": return "no space left on the device";
    case "EDQUOT": return "disk quota exceeded";
    case "EROFS": return "the file system is read-only";
    case "ELOOP": return "too many levels of symbolic links";
    case "ENAMETOOLONG": return "the name is too long";
    case "EMFILE":
    case "ENFILE": return "too many open files";
    case "EIO": return "input/output error";
    case "EXDEV": return "the temporary file and the output are on different devices";
    default: return (e as Error)?.message ?? String(e);
  }
}

/** True for the errors Node's fs functions throw (they carry a string `code` and a `syscall`). */
export function isFsError(e: unknown): e is Error & { code: string; path?: string; syscall?: string } {
  return e instanceof Error && typeof (e as { code?: unknown }).code === "string" && typeof (e as { syscall?: unknown }).syscall === "string";
}

/** How outputs are checked. */
export interface OutputOptions {
  /** The command's input files ("-" is stdin and is skipped). */
  inputs?: readonly string[];
  /** Replace an existing file. */
  force?: boolean;
  /** The flag that named the output, for messages (default "-o"). */
  flag?: string;
}

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

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    throw new FileError(`${path}: ${fsReason(e)}`);
  }
}

/** Throw a UsageError when `out` names the same file as one of `inputs` ("-" is stdin). */
export function checkNotInput(out: string, inputs: readonly string[], flag = "-o"): void {
  const o = real(out);
  for (const i of inputs) {
    if (i !== "-" && real(i) === o) throw new UsageError(`${flag} ${out} is an input of this command; write the output to another file`);
  }
}

/** Check an output path before any work (see the rules at the top of this file). */
export function checkOutput(path: string, opts: OutputOptions = {}): void {
  const flag = opts.flag ?? "-o";
  const dir = dirname(resolve(path));
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new FileError(code === "ENOENT" ? `${flag} ${path}: the folder ${dirname(path)} does not exist (create it first)` : `${flag} ${path}: folder ${dirname(path)}: ${fsReason(e)}`);
  }
  if (!st.isDirectory()) throw new FileError(`${flag} ${path}: ${dirname(path)} is not a folder`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new FileError(`${flag} ${path}: cannot write in the folder ${dirname(path)} (${fsReason(e)})`);
  }
  checkNotInput(path, opts.inputs ?? [], flag);
  const at = lstatOrNull(path);
  if (at === null) return;
  if (at.isDirectory()) throw new FileError(`${flag} ${path}: it is a folder; give a file name`);
  if (!opts.force) {
    const what = at.isSymbolicLink() ? "a symbolic link" : "a file";
    throw new FileError(`${flag} ${path}: ${what} of that name already exists; give --force to replace it${at.isSymbolicLink() ? " (the link itself is replaced, never the file it points to)" : ""}`);
  }
}

/** A file being written: write() appends, commit() moves it into place, abort() removes it. */
export class OutputFile {
  private readonly tmp: string;
  private fd: number | null;
  private readonly force: boolean;

  constructor(readonly path: string, opts: OutputOptions = {}) {
    checkOutput(path, opts);
    this.force = !!opts.force;
    this.tmp = tempName(path);
    try {
      // "wx": a new file; never follows a link someone placed at the temporary name.
      this.fd = openSync(this.tmp, "wx", 0o666);
    } catch (e) {
      throw new FileError(`${opts.flag ?? "-o"} ${path}: cannot create a file in ${dirname(path)} (${fsReason(e)})`);
    }
  }

  write(data: string | Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path}: write after commit or abort`);
    try {
      if (typeof data === "string") writeAll(this.fd, data);
      else {
        let off = 0;
        while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
      }
    } catch (e) {
      throw new FileError(`${this.path}: ${fsReason(e)}`);
    }
  }

  commit(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    try {
      if (this.force) renameSync(this.tmp, this.path); // replaces a file or a link, atomically
      else {
        // Not over a file that appeared meanwhile: link fails when the name exists. (A file
        // system without hard links gets a rename after a last check.)
        try {
          linkSync(this.tmp, this.path);
          unlinkSync(this.tmp);
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code === "EEXIST" || lstatOrNull(this.path) !== null) throw Object.assign(new Error("exists"), { code: "EEXIST" });
          if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e;
          renameSync(this.tmp, this.path);
        }
      }
    } catch (e) {
      try {
        unlinkSync(this.tmp);
      } catch {
        // already gone
      }
      const code = (e as { code?: string }).code;
      if (code === "EEXIST") throw new FileError(`${this.path}: a file of that name appeared while the command ran; nothing was replaced (give --force to replace it)`);
      throw new FileError(`${this.path}: ${fsReason(e)}`);
    }
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

/** Write a whole file atomically (temporary file + rename), following the output rules. */
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: OutputOptions = {}): void {
  const f = new OutputFile(path, opts);
  try {
    f.write(data);
    f.commit();
  } finally {
    f.abort();
  }
}

/** Run `body` writing to `path` (or to stdout when path is undefined), committing the file
 *  only when `body` succeeds. */
export async function withOutput<T>(path: string | undefined, opts: OutputOptions, body: (write: (s: string) => void) => Promise<T>): Promise<T> {
  if (path === undefined) return body(termWrite);
  const f = new OutputFile(path, opts);
  try {
    const r = await body((s) => f.write(s));
    f.commit();
    return r;
  } finally {
    f.abort();
  }
}
