// A progress line for long-running reads: rows, percentage of the input, rows per second and
// any extra facts (e.g. the dictionary size). On a terminal it rewrites one line; elsewhere it
// prints a line every few seconds. Nothing is shown for inputs that finish within `delayMs`.
import type { Progress } from "../io/table.js";

export interface ProgressLineOptions {
  /** Where to write (default: process.stderr when present). */
  write?: (s: string) => void;
  /** Rewrite in place with \r (default: stderr is a TTY). */
  tty?: boolean;
  /** Label at the start of the line. */
  label: string;
  /** Wait this long before the first update (default 1000 ms). */
  delayMs?: number;
  /** Minimum time between updates (default 200 ms on a TTY, 5000 ms otherwise). */
  intervalMs?: number;
  /** false: never write. */
  enabled?: boolean;
}

function stderr(): { write(s: string): unknown; isTTY?: boolean } | undefined {
  const p = (globalThis as { process?: { stderr?: { write(s: string): unknown; isTTY?: boolean } } }).process;
  return p?.stderr;
}

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}k`;
  return String(Math.round(n));
}

/** A duration for people: 45s, 3m05s, 2h07m. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export class ProgressLine {
  private readonly write: (s: string) => void;
  private readonly tty: boolean;
  private readonly label: string;
  private readonly delayMs: number;
  private readonly intervalMs: number;
  private readonly enabled: boolean;
  private last = -Infinity;
  private shown = false;
  private width = 0;

  constructor(o: ProgressLineOptions) {
    const err = stderr();
    this.write = o.write ?? ((s) => void err?.write(s));
    this.tty = o.tty ?? !!err?.isTTY;
    this.label = o.label;
    this.delayMs = o.delayMs ?? 1000;
    this.intervalMs = o.intervalMs ?? (this.tty ? 200 : 5000);
    this.enabled = o.enabled ?? true;
  }

  /** The text of a progress line (exposed for tests). */
  static text(label: string, p: Progress, extra?: string): string {
    const parts = [`${formatCount(p.rows)} rows`];
    if (p.totalBytes && p.bytes > 0) parts[0] += ` (${Math.min(100, (100 * p.bytes) / p.totalBytes).toFixed(0)}%)`;
    if (p.elapsedMs > 0) parts.push(`${formatCount((p.rows * 1000) / p.elapsedMs)} rows/s`);
    // Time left, from the share of the input read so far (known for files, not for stdin).
    if (p.totalBytes && p.bytes > 0 && p.bytes < p.totalBytes && p.elapsedMs > 0) {
      parts.push(`ETA ${formatDuration((p.elapsedMs * (p.totalBytes - p.bytes)) / p.bytes)}`);
    }
    if (extra) parts.push(extra);
    return `${label}: ${parts.join(" · ")}`;
  }

  update(p: Progress, extra?: string): void {
    if (!this.enabled || p.elapsedMs < this.delayMs || p.elapsedMs - this.last < this.intervalMs) return;
    this.last = p.elapsedMs;
    const s = ProgressLine.text(this.label, p, extra);
    if (this.tty) {
      this.write(`\r${s}${" ".repeat(Math.max(0, this.width - s.length))}`);
      this.width = s.length;
    } else this.write(s + "\n");
    this.shown = true;
  }

  /** End the line (on a TTY) so later output starts on a fresh line. */
  done(): void {
    if (this.shown && this.tty) this.write("\n");
    this.shown = false;
  }
}
