// Where the CLI writes. Standard output carries the results only — a command's data (CSV rows)
// or its summary, and under --json nothing but JSON — and standard error carries everything
// meant for a person: progress, warnings, "written to" notes, errors. A standard output that
// closes early (`seqlearn predict … | head`) ends the command quietly: the writers throw
// StdoutClosed, which runCli turns into exit status 0 without a message.
import { writeSync } from "node:fs";

/** Standard output was closed by its reader (EPIPE): stop quietly. */
export class StdoutClosed extends Error {
  override readonly name = "StdoutClosed";
}

/** The writers of one CLI run. */
export interface Term {
  /** Raw text to standard output (no newline added). */
  write(text: string): void;
  /** A line to standard output. */
  out(line: string): void;
  /** A line to standard error. */
  err(line: string): void;
}

/** A short synchronous pause (for a non-blocking descriptor that is momentarily full). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Write all of `text` to a file descriptor, synchronously; EPIPE becomes StdoutClosed on fd 1. */
export function writeAll(fd: number, text: string): void {
  let buf = Buffer.from(text, "utf8");
  while (buf.length > 0) {
    let n: number;
    try {
      n = writeSync(fd, buf);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EAGAIN") {
        pause(1);
        continue;
      }
      if (code === "EPIPE" && fd === 1) throw new StdoutClosed("standard output was closed");
      if (code === "EPIPE") return; // a closed stderr: nothing more can be said
      throw e;
    }
    buf = buf.subarray(n);
  }
}

/** The process's own standard output and error, written synchronously (what the `seqlearn`
 *  executable uses). */
export const PROCESS_TERM: Term = {
  write: (text) => writeAll(1, text),
  out: (line) => writeAll(1, line + "\n"),
  err: (line) => writeAll(2, line + "\n"),
};

/** Outside runCli (a command invoked directly, as tests do): lines through the console. */
const CONSOLE_TERM: Term = {
  write: (text) => writeAll(1, text),
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

let current: Term = CONSOLE_TERM;

/** Run `body` with `term` as the CLI's writers (runCli does this for each command). */
export async function withTerm<T>(term: Term, body: () => Promise<T>): Promise<T> {
  const before = current;
  current = term;
  try {
    return await body();
  } finally {
    current = before;
  }
}

/** A line of a command's result to standard output. */
export function out(line: string): void {
  current.out(line);
}

/** Raw result text to standard output (CSV rows a command streams). */
export function write(text: string): void {
  current.write(text);
}

/** A line for a person to standard error (notes, summaries next to data on stdout). */
export function err(line: string): void {
  current.err(line);
}
