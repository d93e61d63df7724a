// Entry point of the core-suite bundle (dist-test/suite/core-suite.js) that Deno, headless
// Chromium and the WASI runner load. It initialises the engine the way a user would
// (`await init()`, or with explicit options for WASI) and runs every case of
// test/core/suite.ts, collecting results instead of throwing.
import { init, getEngine, engineInfo, version, type InitOptions, type EngineInfo } from "../../sdk/index.js";
import { cases, digest } from "../core/suite.js";

/** The SDK instance the suite runs against, for runtime-specific extra checks. */
export * as sdk from "../../sdk/index.js";

export interface CaseResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export interface SuiteReport {
  runtime: string;
  version: string;
  origin: string;
  results: CaseResult[];
  digest: Record<string, string>;
  digestError?: string;
  /** How the engine ran (threads, module, why). */
  engine?: EngineInfo;
  /** With the threaded module: the digests with 1, 2 and 4 threads, every kernel split into
   *  small tasks (they must equal `digest`). */
  threadDigests?: Record<string, Record<string, string>>;
}

function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; process?: { versions?: { node?: string } }; navigator?: { userAgent?: string } };
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.process?.versions?.node) return `node ${g.process.versions.node}`;
  return g.navigator?.userAgent ?? "unknown";
}

export async function runSuite(options?: InitOptions): Promise<SuiteReport> {
  await (options ? init(options) : init());
  const results: CaseResult[] = [];
  for (const c of cases) {
    const t = performance.now();
    try {
      await c.fn();
      results.push({ name: c.name, ok: true, ms: performance.now() - t });
    } catch (e) {
      const err = e as Error;
      results.push({ name: c.name, ok: false, ms: performance.now() - t, error: `${err?.name}: ${err?.message}` });
    }
  }
  let d: Record<string, string> = {};
  let digestError: string | undefined;
  try {
    d = await digest();
  } catch (e) {
    digestError = `${(e as Error)?.name}: ${(e as Error)?.message}`;
  }
  const engine = engineInfo();
  let threadDigests: Record<string, Record<string, string>> | undefined;
  if (engine.module === "threads" && !digestError) {
    const eng = getEngine();
    threadDigests = {};
    try {
      for (const t of [1, 2, 4]) {
        eng.setThreads(t);
        eng.threadGrain = 1; // every threaded kernel split into as many tasks as it allows
        await eng.threadsReady(30_000);
        threadDigests[t] = { ...(await digest()), helpers: String(eng.threadInfo().helpers) };
      }
    } catch (e) {
      threadDigests.error = { message: `${(e as Error)?.name}: ${(e as Error)?.message}` };
    } finally {
      eng.threadGrain = 0;
      eng.setThreads(engine.threads);
    }
  }
  return { runtime: runtimeName(), version, origin: getEngine().origin, results, digest: d, ...(digestError ? { digestError } : {}), engine, ...(threadDigests ? { threadDigests } : {}) };
}
