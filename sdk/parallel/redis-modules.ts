// Loading BullMQ and ioredis, the optional peer dependencies of the Redis executor
// (sdk/parallel/bullmq.ts), on the first use of the executor or of a Redis worker: nothing else
// in the package pulls them in, and a program that never uses the executor never needs them
// installed. The import itself is the platform's (sdk/platform.ts, importPeer: a dynamic import
// that bundlers leave alone); the browser and edge builds' platform (platform.web.ts) has none,
// so no browser bundle contains either library, and this module says the executor runs in Node.
//
// The shapes below are the few members of the two libraries the executor uses, declared here so
// that the package's type declarations never mention a type of an optional dependency (a user
// without BullMQ installed must still be able to type-check against the package).
import { MissingDependencyError } from "./errors.js";
import { importPeer } from "../platform.js";

/** The members of an ioredis client the executor uses. */
export interface RedisClientLike {
  status: string;
  duplicate(): RedisClientLike;
  on(event: string, fn: (...args: any[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
  get(key: string): Promise<string | null>;
  getBuffer(key: string): Promise<Uint8Array | null>;
  set(key: string, value: string | Uint8Array, ...args: (string | number)[]): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
  exists(...keys: string[]): Promise<number>;
  expire(key: string, seconds: number): Promise<number>;
  hset(key: string, field: string, value: string): Promise<number>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
}

/** A BullMQ job, as the executor reads it. */
export interface BullJob {
  id?: string;
  name: string;
  data: any;
  attemptsMade: number;
  finishedOn?: number;
  failedReason?: string;
  stacktrace?: string[];
  processedBy?: string;
  getState(): Promise<string>;
}

/** The BullMQ classes the executor uses. */
export interface BullmqModule {
  Queue: new (name: string, opts: Record<string, unknown>) => {
    on(event: string, fn: (...args: any[]) => void): unknown;
    getJobState(id: string): Promise<string>;
    remove(id: string, opts?: { removeChildren?: boolean }): Promise<number>;
    close(): Promise<void>;
  };
  FlowProducer: new (opts: Record<string, unknown>) => {
    on(event: string, fn: (...args: any[]) => void): unknown;
    add(flow: unknown): Promise<unknown>;
    close(): Promise<void>;
  };
  Worker: new (name: string, processor: (job: BullJob) => Promise<unknown>, opts: Record<string, unknown>) => {
    on(event: string, fn: (...args: any[]) => void): unknown;
    close(force?: boolean): Promise<void>;
    waitUntilReady(): Promise<unknown>;
  };
  Job: { fromId(queue: unknown, id: string): Promise<BullJob | undefined> };
  UnrecoverableError: new (message?: string) => Error;
}

/** The ioredis client constructor. */
export type RedisConstructor = new (url: string | Record<string, unknown>, opts?: Record<string, unknown>) => RedisClientLike;

/** The two libraries, once loaded. */
export interface RedisModules {
  bullmq: BullmqModule;
  Redis: RedisConstructor;
}

/** Imports a package by name (the default; tests pass one that fails). */
export type Importer = (name: "bullmq" | "ioredis") => Promise<Record<string, unknown>>;

const importPackage: Importer = (name) => importPeer(name);

const INSTALL = "npm install bullmq ioredis";
let loaded: Promise<RedisModules> | null = null;

/** BullMQ and ioredis, imported on first use (then cached). Rejects with a
 *  MissingDependencyError naming what to install when either is missing. */
export function loadRedisModules(importer: Importer = importPackage): Promise<RedisModules> {
  if (importer !== importPackage) return load(importer);
  if (!loaded) {
    loaded = load(importer);
    loaded.catch(() => (loaded = null));
  }
  return loaded;
}

async function load(importer: Importer): Promise<RedisModules> {
  const missing: string[] = [];
  const causes: unknown[] = [];
  const one = async (name: "bullmq" | "ioredis"): Promise<Record<string, unknown> | null> => {
    try {
      return await importer(name);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ENOSYS") {
        throw new MissingDependencyError(
          "the Redis executor (bullmqExecutor, serveBullmqWorker) runs in Node only: this is the package's browser/edge build, which has no Redis client. Run the submitter and the workers in Node, with `npm install bullmq ioredis`",
          ["bullmq", "ioredis"], e,
        );
      }
      if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || /cannot find (package|module)/i.test(String((e as Error)?.message))) {
        missing.push(name);
        causes.push(e);
        return null;
      }
      throw new MissingDependencyError(`the Redis executor could not load ${name}: ${(e as Error)?.message ?? String(e)}`, [name], e);
    }
  };
  const [bull, ioredis] = await Promise.all([one("bullmq"), one("ioredis")]);
  if (missing.length) {
    throw new MissingDependencyError(
      `the Redis executor needs the optional peer dependenc${missing.length === 1 ? "y" : "ies"} ${missing.join(" and ")}, which ${missing.length === 1 ? "is" : "are"} not installed: run \`${INSTALL}\` in your project`,
      missing, causes[0],
    );
  }
  // Node's import() of these CommonJS packages gives their exports as named bindings and as
  // `default`; take either.
  const pick = (m: Record<string, unknown>, key: string): unknown => m[key] ?? (m.default as Record<string, unknown> | undefined)?.[key];
  const bullmq = {
    Queue: pick(bull!, "Queue"), FlowProducer: pick(bull!, "FlowProducer"), Worker: pick(bull!, "Worker"),
    Job: pick(bull!, "Job"), UnrecoverableError: pick(bull!, "UnrecoverableError"),
  } as BullmqModule;
  for (const [k, v] of Object.entries(bullmq)) {
    if (typeof v !== "function") throw new MissingDependencyError(`the installed bullmq has no ${k}: the Redis executor needs bullmq 6 (${INSTALL})`, ["bullmq"]);
  }
  const Redis = (pick(ioredis!, "Redis") ?? ioredis!.default) as RedisConstructor;
  if (typeof Redis !== "function") throw new MissingDependencyError(`the installed ioredis exports no client class: the Redis executor needs ioredis 5 or later (${INSTALL})`, ["ioredis"]);
  return { bullmq, Redis };
}
