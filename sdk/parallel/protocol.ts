// Messages between a pool and its workers.
import type { RemoteErrorInfo } from "./errors.js";
import { isDeterministicError } from "../core/errors.js";

export type ToWorker =
  | { type: "init"; workerId: number; module: WebAssembly.Module | null; modules: string[] }
  | { type: "run"; id: number; task: string; input: unknown; attempt: number }
  | { type: "cancel"; id: number };

export type FromWorker =
  | { type: "ready"; tasks: string[] }
  | { type: "init-error"; error: RemoteErrorInfo }
  | { type: "progress"; id: number; value: unknown }
  | { type: "done"; id: number; output: unknown; ms: number }
  | { type: "error"; id: number; error: RemoteErrorInfo; ms: number };

export function errorInfo(e: unknown): RemoteErrorInfo {
  if (e instanceof Error) return { name: e.name || "Error", message: e.message, stack: e.stack, deterministic: isDeterministicError(e) };
  return { name: "Error", message: typeof e === "string" ? e : safeString(e) };
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
