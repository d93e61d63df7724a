// The Redis executor: merge trees (and single tasks) as BullMQ jobs, run by worker processes on
// any number of machines. A merge tree is a tree of jobs whose parent runs when its children
// are done, which is what a BullMQ flow is: `bullmqExecutor` submits the whole tree as one flow
// (added atomically), and `serveBullmqWorker` takes jobs from the queue and runs each one's
// task on a local executor (a WorkerPool) from its task table — the same named tasks, with the
// same inputs, as on a pool in one process. The executor knows no domain: a job carries a task
// name and its input (or, for a merge, the two children whose results are its input), and the
// task table of the workers decides what runs. DISQUEAK's tree and the graph sparsifier's run
// through it alike.
//
// Values between machines are bytes of the wire codec (wire.ts), kept by size inside the job,
// in Redis, or in a shared folder (store.ts). Node results are recorded in a Redis hash per
// tree, `<prefix>:<queue>:seqlearn:<tree>`, field `n<node>`; a job that fails for good records
// `f<node>`. The submitter watches the fields of the nodes that can complete next (leaves
// first, then each merge whose children are done), so waiting costs one HMGET per poll and
// does not depend on BullMQ keeping finished jobs.
//
// Faults. A job that throws is retried by BullMQ (`attempts`, exponential backoff), except
// when the error says something about the input — ValueError, ShapeError, NumericalError,
// DataError, DictionaryFormatError (isDeterministicError, the pool's rule) — which fails the
// job at once (UnrecoverableError). A worker process that dies mid-job stops renewing its
// lock; after the lock duration another worker's stalled-job check puts the job back in the
// queue, and it runs again (up to maxStalledCount times). A restart of Redis (with persistence,
// appendonly) is ridden out: the clients reconnect and the jobs carry on. A job may thus run
// more than once, and on a different machine: that is harmless, because its result depends on
// its input and its random stream only (nodeStream, sdk/random/streams.ts), never on which
// worker ran it or when — every run writes the same bytes to the same place, and the root's
// dictionary is byte-identical to the single-machine tree's.
import { ValueError, isDeterministicError } from "../core/errors.js";
import { integer, nonNegative } from "../core/validate.js";
import { checkOptions } from "../core/options.js";
import { TaskAbortedError, TaskError, WorkerLostError, PoolClosedError, JobFailedError, RedisConnectionError, type RemoteErrorInfo } from "./errors.js";
import { rebuildError, type Executor, type RunOptions } from "./pool.js";
import type { TreeExecutor, TreeRun, TreeRunHooks } from "./tree.js";
import { encodeValue, decodeValue } from "./wire.js";
import { ResultStore, INLINE_MAX_BYTES, REDIS_MAX_BYTES, STORE_TTL_SECONDS, type StoreRef, type StoreSettings } from "./store.js";
import { loadRedisModules, type BullJob, type BullmqModule, type RedisClientLike, type RedisModules } from "./redis-modules.js";

/** Redis connection options (the common ones of ioredis; others pass through). */
export interface RedisOptions {
  /** Host name or address. Default "127.0.0.1". */
  host?: string;
  /** Port. Default 6379. */
  port?: number;
  /** ACL user name. */
  username?: string;
  /** Password. */
  password?: string;
  /** Database number. Default 0. */
  db?: number;
  /** true (or TLS options) for a TLS connection. */
  tls?: boolean | Record<string, unknown>;
}

/** An ioredis client of yours (what `new Redis(…)` returns). */
export interface RedisClient {
  /** A new connection with the same options (ioredis `duplicate()`): the executor and the
   *  worker work on duplicates, and never close your client. */
  duplicate(): unknown;
}

/** Where Redis is: a URL ("redis://host:6379", "rediss://…" for TLS), connection options, or an
 *  ioredis client of yours (the executor works on duplicates of it and never closes it). */
export type RedisConnection = string | RedisOptions | RedisClient;

/** Options of `bullmqExecutor`. */
export interface BullmqExecutorOptions {
  /** The Redis server (its workers use the same one). */
  connection: RedisConnection;
  /** Queue name (the workers must take jobs from the same one). Default "seqlearn". */
  queue?: string;
  /** BullMQ key prefix. Default "bull" (BullMQ's own default). */
  prefix?: string;
  /** A folder every machine mounts at this path (or tells its worker where, `sharedDir` of
   *  serveBullmqWorker): values larger than `redisMaxBytes` go there instead of Redis. Default:
   *  none, every value goes to Redis. */
  sharedDir?: string;
  /** Largest value kept in Redis when there is a shared folder (bytes). Default 1 MiB. */
  redisMaxBytes?: number;
  /** How many times a failed job is retried (a thrown error other than a deterministic one).
   *  BullMQ's `attempts` is retries + 1. Default 2. */
  retries?: number;
  /** First delay before a retry (ms), doubled at each further attempt. Default 1000. */
  backoffMs?: number;
  /** How often the submitter looks for completed nodes (ms). Default 200. */
  pollMs?: number;
  /** Lifetime of a tree's keys in Redis, in case its submitter dies (seconds). Default 7 days. */
  ttlSeconds?: number;
  /** How long to wait for the first connection to Redis (ms). Default 10000. */
  connectTimeoutMs?: number;
}

/** Options of `serveBullmqWorker`. */
export interface BullmqWorkerOptions {
  /** The Redis server of the queue. */
  connection: RedisConnection;
  /** Runs the tasks: a WorkerPool (recommended: the tasks then run on threads, and this
   *  thread stays free to renew the job locks) or an InlinePool. Its task table decides which
   *  tasks this worker can run. It is not closed by the worker. */
  executor: Executor;
  /** Queue name. Default "seqlearn". */
  queue?: string;
  /** BullMQ key prefix. Default "bull". */
  prefix?: string;
  /** Jobs run at once. Default: the executor's size. */
  concurrency?: number;
  /** This machine's path of the submitters' shared folder, when it is mounted elsewhere than on
   *  the submitter. Default: the path each job names. */
  sharedDir?: string;
  /** How long a job's lock lasts without renewal (ms): a worker that dies is noticed after
   *  about this long. Default 30000 (BullMQ's). */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (ms). Default 30000 (BullMQ's). */
  stalledIntervalMs?: number;
  /** How many times a job may stall (lose its worker) and be run again before it fails.
   *  Default 2. */
  maxStalledCount?: number;
  /** The worker's name, recorded with each job it runs. Default "seqlearn-<random>". */
  name?: string;
  /** Hears about every job this worker starts, finishes or fails, and connection errors. */
  onEvent?: (event: BullmqWorkerEvent) => void;
  /** How long to wait for the first connection to Redis (ms). Default 10000. */
  connectTimeoutMs?: number;
}

/** What `BullmqWorkerOptions.onEvent` receives. */
export interface BullmqWorkerEvent {
  /** "start": a job was taken; "done": it completed; "fail": it failed (`willRetry` says
   *  whether BullMQ runs it again); "error": a connection or queue error. */
  kind: "start" | "done" | "fail" | "error";
  /** The job id, when about a job. */
  jobId?: string;
  /** The tree node, when about a job. */
  node?: number;
  /** The task name, when about a job. */
  task?: string;
  /** Which attempt (1 for the first run). */
  attempt?: number;
  /** Milliseconds the task took ("done"). */
  ms?: number;
  /** The error ("fail", "error"). */
  error?: RemoteErrorInfo;
  /** Whether the job will run again ("fail"). */
  willRetry?: boolean;
}

/** A running Redis worker (from `serveBullmqWorker`). */
export interface BullmqWorker {
  /** Its name, as recorded with the jobs it runs. */
  readonly name: string;
  /** Stop taking jobs; resolves once the running ones have finished (`force`: at once — their
   *  locks then expire and other workers run them again). Closes the worker's connections,
   *  not its executor. */
  close(options?: { force?: boolean }): Promise<void>;
  /** Same as close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

// ---- connections ---------------------------------------------------------------------------

const EXECUTOR_KEYS = Object.keys({
  connection: true, queue: true, prefix: true, sharedDir: true, redisMaxBytes: true, retries: true, backoffMs: true,
  pollMs: true, ttlSeconds: true, connectTimeoutMs: true,
} satisfies Record<keyof BullmqExecutorOptions, true>);
const WORKER_KEYS = Object.keys({
  connection: true, executor: true, queue: true, prefix: true, concurrency: true, sharedDir: true, lockDurationMs: true,
  stalledIntervalMs: true, maxStalledCount: true, name: true, onEvent: true, connectTimeoutMs: true,
} satisfies Record<keyof BullmqWorkerOptions, true>);
const RUN_KEYS = ["signal", "onProgress", "onStats", "retries", "timeoutMs", "transferInput"];

function checkName(v: unknown, what: string): string {
  if (typeof v !== "string" || v.length === 0 || v.includes(":")) throw new ValueError(`${what} must be a non-empty string without ":", got ${JSON.stringify(v)}`);
  return v;
}

function checkConnection(c: unknown): RedisConnection {
  if (typeof c === "string") {
    if (!/^rediss?:\/\//i.test(c)) throw new ValueError(`connection must be a redis:// or rediss:// URL, connection options, or an ioredis client; got ${JSON.stringify(c)}`);
    return c;
  }
  if (c !== null && typeof c === "object") return c as RedisConnection;
  throw new ValueError(`connection is required: a redis://host:port URL, connection options { host, port, … }, or an ioredis client; got ${c === undefined ? "nothing" : typeof c}`);
}

/** A human-readable name of a connection, without its password. */
function describe(c: RedisConnection): string {
  if (typeof c === "string") return c.replace(/\/\/[^@/]*@/, "//…@");
  const o = c as RedisOptions;
  if (typeof (c as { duplicate?: unknown }).duplicate === "function") return "the given Redis client";
  return `redis://${o.host ?? "127.0.0.1"}:${o.port ?? 6379}`;
}

/** A new client of our own (BullMQ needs maxRetriesPerRequest null: commands wait through a
 *  reconnection instead of failing), connected within `timeoutMs`. */
async function openClient(m: RedisModules, c: RedisConnection, timeoutMs: number): Promise<RedisClientLike> {
  let client: RedisClientLike;
  if (typeof (c as { duplicate?: unknown }).duplicate === "function") client = (c as RedisClientLike).duplicate();
  else if (typeof c === "string") client = new m.Redis(c, { maxRetriesPerRequest: null });
  else {
    const o = c as RedisOptions;
    client = new m.Redis({ ...o, tls: o.tls === true ? {} : o.tls || undefined, maxRetriesPerRequest: null });
  }
  let last: unknown = null;
  // ioredis reports every failed (re)connection as an "error" event; without a listener Node
  // prints them. They are expected during a Redis restart, and the client reconnects.
  client.on("error", (e: unknown) => (last = e));
  if (client.status === "ready") return client;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      client.disconnect();
      reject(new RedisConnectionError(`no answer from Redis at ${describe(c)} within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ""}`, last));
    }, timeoutMs);
    client.on("ready", () => {
      clearTimeout(t);
      resolve();
    });
  });
  return client;
}

async function closeClient(client: RedisClientLike | null): Promise<void> {
  if (!client) return;
  try {
    await Promise.race([client.quit(), new Promise((r) => setTimeout(r, 1000))]);
  } catch {
    /* already closed */
  }
  client.disconnect();
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

// ---- what a job carries --------------------------------------------------------------------

/** The data of every job the executor adds (version 1). */
interface JobData {
  seqlearn: 1;
  tree: string;
  node: number;
  level: number;
  task: string;
  /** "task": run `task` on the stored `input`; "merge": on the children's results. */
  kind: "task" | "merge";
  input?: StoreRef;
  left?: number;
  right?: number;
  seed?: number;
  stream?: number;
  params?: StoreRef;
  /** What the node is, for messages ("leaf 3", "merge node 9 (leaves 0..3)"). */
  what: string;
  store: StoreSettings;
  timeoutMs: number | null;
}

/** What a worker records for a completed node (field `n<node>` of the tree's hash). */
interface NodeRecord {
  ref: StoreRef;
  startedAt: number;
  endedAt: number;
  computeMs: number;
  worker: string;
  attempt: number;
}

/** What a worker records for a node that failed for good (field `f<node>`). */
interface FailRecord extends RemoteErrorInfo {
  attempts: number;
  worker: string;
}

const treeKey = (prefix: string, queue: string, tree: string): string => `${prefix}:${queue}:seqlearn:${tree}`;
const jobId = (tree: string, node: number): string => `${tree}-${node}`;

/** The error of a failed job, rebuilt from its failedReason, which workers phrase as
 *  `<name>: <message>`. */
function parseReason(reason: string | undefined): RemoteErrorInfo {
  const m = /^([A-Za-z_$][\w$]*): ([\s\S]*)$/.exec(reason ?? "");
  if (m) return { name: m[1], message: m[2] };
  if (/stalled more than allowable limit/.test(reason ?? "")) return stalledInfo();
  return { name: "Error", message: reason || "the job failed without a reason" };
}

function stalledInfo(): RemoteErrorInfo {
  return {
    name: "WorkerLostError",
    message: "the job stalled more often than the workers allow (maxStalledCount): each time, its worker stopped (killed, out of memory, the machine lost) or was blocked for longer than the lock duration",
  };
}

// ---- the executor --------------------------------------------------------------------------

interface NodeSpec {
  node: number;
  level: number;
  task: string;
  kind: "task" | "merge";
  input?: unknown;
  left?: number;
  right?: number;
  stream?: number;
  what: string;
  /** Leaves only: their rank in the order of `TreeRun.order` (BullMQ priority rank + 1). */
  rank?: number;
}

interface Submission<V> {
  nodes: NodeSpec[];
  root: number;
  seed?: number;
  params?: unknown;
  signal?: AbortSignal;
  retries: number;
  timeoutMs: number | null;
  wantValues: boolean;
  nodeDone(node: number, value: V | undefined, record: NodeRecord): void;
}

interface Conn {
  m: RedisModules;
  client: RedisClientLike;
  queue: InstanceType<BullmqModule["Queue"]>;
  flows: InstanceType<BullmqModule["FlowProducer"]>;
}

const CLOSED = Symbol("closed");

/** Runs merge trees (and single tasks) as BullMQ jobs on worker processes anywhere, through
 *  Redis (`bullmqExecutor(options)`). A tree is submitted as one flow whose jobs wait for
 *  their children; `runMergeTree(executor, …)` and `disqueak(X, { pool: executor })` use it
 *  like a pool, and give the same result byte for byte. Workers: `serveBullmqWorker`, or
 *  `seqlearn worker --redis <url>`. Needs Node and the optional peer dependencies bullmq and
 *  ioredis. Close it with `close()` (or `await using`). */
export class BullmqExecutor implements TreeExecutor {
  /** Unbounded: how many jobs run at once is up to the workers attached to the queue. */
  readonly size = Infinity;
  /** The queue name. */
  readonly queue: string;
  /** The BullMQ key prefix. */
  readonly prefix: string;
  private readonly opts: BullmqExecutorOptions;
  private readonly settings: StoreSettings;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly pollMs: number;
  private conn: Promise<Conn> | null = null;
  private closed = false;
  private readonly active = new Set<AbortController>();
  private readonly running = new Set<Promise<unknown>>();

  /** Use `bullmqExecutor(options)`. */
  constructor(options: BullmqExecutorOptions) {
    if (!options || typeof options !== "object") throw new ValueError("bullmqExecutor: options { connection, … } are required");
    const o = checkOptions<BullmqExecutorOptions>(options, "bullmqExecutor", EXECUTOR_KEYS);
    o.connection = checkConnection(o.connection);
    this.queue = checkName(o.queue ?? "seqlearn", "queue");
    this.prefix = checkName(o.prefix ?? "bull", "prefix");
    if (o.sharedDir !== undefined && (typeof o.sharedDir !== "string" || o.sharedDir === "")) throw new ValueError(`sharedDir must be a folder path, got ${JSON.stringify(o.sharedDir)}`);
    this.retries = integer(o.retries ?? 2, "retries", 0, 100);
    this.backoffMs = nonNegative(o.backoffMs ?? 1000, "backoffMs");
    this.pollMs = integer(o.pollMs ?? 200, "pollMs", 1, 60_000);
    this.settings = {
      inlineMaxBytes: INLINE_MAX_BYTES,
      redisMaxBytes: integer(o.redisMaxBytes ?? REDIS_MAX_BYTES, "redisMaxBytes", 0),
      sharedDir: o.sharedDir ?? null,
      ttlSeconds: integer(o.ttlSeconds ?? STORE_TTL_SECONDS, "ttlSeconds", 1),
    };
    if (o.connectTimeoutMs !== undefined) integer(o.connectTimeoutMs, "connectTimeoutMs", 1);
    this.opts = o;
  }

  private connect(): Promise<Conn> {
    if (!this.conn) {
      this.conn = (async () => {
        const m = await loadRedisModules();
        const client = await openClient(m, this.opts.connection, this.opts.connectTimeoutMs ?? 10_000);
        const base = { connection: client, prefix: this.prefix };
        const queue = new m.bullmq.Queue(this.queue, base);
        const flows = new m.bullmq.FlowProducer(base);
        // Connection errors are reported by the client and retried; BullMQ re-emits them, and
        // an EventEmitter's "error" without a listener would throw.
        queue.on("error", () => {});
        flows.on("error", () => {});
        return { m, client, queue, flows };
      })();
      this.conn.catch(() => (this.conn = null));
    }
    return this.conn;
  }

  /** Run one task on a worker; resolves with its output. `onProgress` is not forwarded. */
  run<O = unknown>(task: string, input: unknown, runOptions: RunOptions = {}): Promise<O> {
    return this.track(async () => {
      const o = checkOptions<RunOptions>(runOptions, "BullmqExecutor.run", RUN_KEYS);
      if (typeof task !== "string" || !task) throw new ValueError(`run: task must be a task name, got ${JSON.stringify(task)}`);
      let stats: NodeRecord | null = null;
      const value = await this.submit<O>({
        nodes: [{ node: 0, level: 0, task, kind: "task", input, what: "the task" }],
        root: 0, signal: o.signal, retries: o.retries ?? this.retries, timeoutMs: o.timeoutMs ?? null, wantValues: false,
        nodeDone: (_n, _v, r) => (stats = r),
      });
      const s = stats as NodeRecord | null;
      if (s) o.onStats?.({ task, workerId: 0, attempts: s.attempt, startedAt: s.startedAt, endedAt: s.endedAt, computeMs: s.computeMs });
      return value;
    });
  }

  /** Run a whole merge tree as one BullMQ flow (runMergeTree calls this). */
  runTree<V>(tree: TreeRun, hooks: TreeRunHooks<V>): Promise<V> {
    return this.track(async () => {
      const { plan } = tree;
      const k = plan.leaves;
      const nodes: NodeSpec[] = [];
      const rank = new Map<number, number>();
      tree.order.forEach((leaf, r) => rank.set(leaf, r));
      for (let i = 0; i < k; i++) nodes.push({ node: i, level: 0, task: tree.leafTask, kind: "task", input: tree.leaves[i], what: `leaf ${i}`, rank: rank.get(i) });
      for (const mg of plan.merges) {
        nodes.push({
          node: mg.node, level: mg.level, task: tree.mergeTask, kind: "merge", left: mg.left, right: mg.right, stream: mg.stream,
          what: `merge node ${mg.node} (leaves ${mg.first}..${mg.first + mg.count - 1})`,
        });
      }
      return this.submit<V>({
        nodes, root: plan.root, seed: tree.seed, params: tree.params, signal: hooks.signal,
        retries: hooks.taskOptions?.retries ?? this.retries, timeoutMs: hooks.taskOptions?.timeoutMs ?? null, wantValues: hooks.wantValues,
        nodeDone: (node, value, r) => hooks.nodeDone(node, value, { startedAt: r.startedAt, endedAt: r.endedAt, computeMs: r.computeMs }),
      });
    });
  }

  /** Cancel the trees still running (their jobs are removed; they reject with
   *  PoolClosedError) and close the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ac of this.active) ac.abort(CLOSED);
    await Promise.allSettled([...this.running]);
    const conn = this.conn;
    this.conn = null;
    if (!conn) return;
    const c = await conn.catch(() => null);
    if (!c) return;
    await Promise.allSettled([c.flows.close(), c.queue.close()]);
    await closeClient(c.client);
  }

  /** Same as close(), for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new PoolClosedError("the executor is closed"));
    const p = fn();
    this.running.add(p);
    const forget = (): void => void this.running.delete(p);
    p.then(forget, forget);
    return p;
  }

  private async submit<V>(s: Submission<V>): Promise<V> {
    const rootTask = s.nodes.find((n) => n.node === s.root)!.task;
    const ac = new AbortController();
    const onOuter = (): void => ac.abort(s.signal?.reason);
    if (s.signal?.aborted) throw new TaskAbortedError(rootTask, s.signal.reason);
    s.signal?.addEventListener("abort", onOuter, { once: true });
    this.active.add(ac);
    // Every await below may wait on Redis (through a restart, for as long as it takes): the
    // abort signal ends the wait regardless.
    const aborted = new Promise<never>((_, reject) => {
      const fail = (): void => reject(ac.signal.reason === CLOSED ? new PoolClosedError("the executor was closed before the tree finished") : new TaskAbortedError(rootTask, ac.signal.reason));
      if (ac.signal.aborted) fail();
      else ac.signal.addEventListener("abort", fail, { once: true });
    });
    aborted.catch(() => {});
    const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, aborted]);

    let c: Conn;
    try {
      c = await guard(this.connect());
    } catch (e) {
      s.signal?.removeEventListener("abort", onOuter);
      this.active.delete(ac);
      throw e;
    }
    const tree = crypto.randomUUID();
    const key = treeKey(this.prefix, this.queue, tree);
    const store = new ResultStore(c.client, key, tree, this.settings);
    const byNode = new Map(s.nodes.map((n) => [n.node, n]));
    const names: string[] = [];
    let submitted = false, finished = false;
    try {
      // Inputs first (a value that cannot be sent is a ValueError before anything is queued).
      const encoded = s.nodes.filter((n) => n.kind === "task").map((n) => [n, encodeValue(n.input)] as const);
      const params = s.nodes.some((n) => n.kind === "merge") ? encodeValue(s.params) : null;
      const refs = new Map<number, StoreRef>();
      for (const [n, bytes] of encoded) {
        names.push(`input-${n.node}`);
        refs.set(n.node, await guard(store.put(`input-${n.node}`, bytes)));
      }
      let paramsRef: StoreRef | undefined;
      if (params) {
        names.push("params");
        paramsRef = await guard(store.put("params", params));
      }
      const attempts = s.retries + 1;
      const flow = (n: NodeSpec, isRoot: boolean): Record<string, unknown> => {
        const data: JobData = {
          seqlearn: 1, tree, node: n.node, level: n.level, task: n.task, kind: n.kind, what: n.what, store: this.settings, timeoutMs: s.timeoutMs,
          ...(n.kind === "task" ? { input: refs.get(n.node) } : { left: n.left, right: n.right, seed: s.seed, stream: n.stream, params: paramsRef }),
        };
        const opts: Record<string, unknown> = {
          jobId: jobId(tree, n.node), attempts, backoff: { type: "exponential", delay: this.backoffMs },
          removeOnComplete: true, removeOnFail: false,
        };
        if (!isRoot) opts.failParentOnFailure = true;
        // Costliest leaves first (BullMQ runs lower priority numbers first; merges, which have
        // none, go ahead of the leaves still waiting).
        if (n.rank !== undefined && byNode.size > 1 && n.rank < 2 ** 21 - 1) opts.priority = n.rank + 1;
        const job: Record<string, unknown> = { name: n.task, queueName: this.queue, data, opts };
        if (n.kind === "merge") job.children = [flow(byNode.get(n.left!)!, false), flow(byNode.get(n.right!)!, false)];
        return job;
      };
      names.push(...s.nodes.map((n) => `node-${n.node}`));
      // (Counted as submitted before the answer: an abort may end the wait while the flow is added.)
      submitted = true;
      await guard(c.flows.add(flow(byNode.get(s.root)!, true)));
      const value = await this.wait<V>(c, s, tree, key, store, guard, aborted, ac.signal);
      finished = true;
      return value;
    } finally {
      s.signal?.removeEventListener("abort", onOuter);
      this.active.delete(ac);
      // Tell late runs of this tree's jobs (a stalled job run twice) not to write, remove what
      // is left of the flow when it did not finish, and delete the tree's values.
      await this.cleanup(c, jobId(tree, s.root), key, store, names, submitted && !finished).catch(() => {});
    }
  }

  /** Watch the nodes that can complete next until the root has; resolves with its value. */
  private async wait<V>(
    c: Conn, s: Submission<V>, tree: string, key: string, store: ResultStore,
    guard: <T>(p: Promise<T>) => Promise<T>, aborted: Promise<never>, signal: AbortSignal,
  ): Promise<V> {
    const byNode = new Map(s.nodes.map((n) => [n.node, n]));
    const parent = new Map<number, number>();
    for (const n of s.nodes) if (n.kind === "merge") parent.set(n.left!, n.node).set(n.right!, n.node);
    const done = new Map<number, NodeRecord>();
    const frontier = new Set(s.nodes.filter((n) => n.kind === "task").map((n) => n.node));
    const STATE_CHECK_MS = 2000;
    let lastCheck = Date.now();

    const fail = (n: NodeSpec, f: FailRecord | null, fallback: RemoteErrorInfo, attempts: number, worker: string | null): never => {
      const info = f ?? fallback;
      throw new JobFailedError({
        task: n.task, node: n.node, what: n.what, jobId: jobId(tree, n.node), attempts: f?.attempts ?? attempts, worker: f?.worker ?? worker,
        cause: rebuildError({ name: info.name, message: info.message, stack: info.stack }),
      });
    };
    const complete = async (n: NodeSpec, r: NodeRecord): Promise<void> => {
      done.set(n.node, r);
      frontier.delete(n.node);
      const value = s.wantValues ? (decodeValue(await guard(store.get(r.ref)), `the result of ${n.what}`) as V) : undefined;
      s.nodeDone(n.node, value, r);
      const p = parent.get(n.node);
      if (p !== undefined) {
        const pn = byNode.get(p)!;
        if (done.has(pn.left!) && done.has(pn.right!)) frontier.add(p);
      }
    };
    const records = async (list: number[]): Promise<(string | null)[]> => {
      const out: (string | null)[] = [];
      for (let i = 0; i < list.length; i += 500) {
        out.push(...(await guard(c.client.hmget(key, ...list.slice(i, i + 500).flatMap((n) => [`n${n}`, `f${n}`])))));
      }
      return out;
    };

    for (;;) {
      if (signal.aborted) await aborted; // throws TaskAbortedError (or PoolClosedError)
      const list = [...frontier];
      const got = await records(list);
      for (let i = 0; i < list.length; i++) {
        const n = byNode.get(list[i])!;
        const failed = got[2 * i + 1];
        if (failed) fail(n, JSON.parse(failed) as FailRecord, { name: "Error", message: "" }, 0, null);
        const rec = got[2 * i];
        if (rec) await complete(n, JSON.parse(rec) as NodeRecord);
      }
      if (done.has(s.root)) {
        const r = done.get(s.root)!;
        return decodeValue(await guard(store.get(r.ref)), `the result of ${byNode.get(s.root)!.what}`) as V;
      }
      // Now and then, ask BullMQ about the waiting nodes: a failure a worker could not record
      // (it died just then), or a job that is gone (a queue emptied by hand, Redis restarted
      // without persistence).
      if (Date.now() - lastCheck >= STATE_CHECK_MS) {
        lastCheck = Date.now();
        for (const node of [...frontier]) {
          const n = byNode.get(node)!;
          const state = await guard(c.queue.getJobState(jobId(tree, node)));
          if (state !== "failed" && state !== "unknown") continue;
          const [rec, failed] = await records([node]);
          if (failed) fail(n, JSON.parse(failed) as FailRecord, { name: "Error", message: "" }, 0, null);
          if (rec) continue; // completed (and removed) meanwhile: the next poll takes it
          if (state === "failed") {
            const job = await guard(c.m.bullmq.Job.fromId(c.queue, jobId(tree, node)));
            fail(n, null, { ...parseReason(job?.failedReason), stack: job?.stacktrace?.[job.stacktrace.length - 1] }, job?.attemptsMade ?? 0, job?.processedBy ?? null);
          }
          fail(n, null, {
            name: "Error",
            message: `the job is gone from Redis (queue "${this.queue}", prefix "${this.prefix}"): it was removed by hand, or Redis restarted without persistence (run it with appendonly yes)`,
          }, 0, null);
        }
      }
      await sleep(this.pollMs, signal);
    }
  }

  private async cleanup(c: Conn, rootJob: string, key: string, store: ResultStore, names: string[], removeFlow: boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    const bounded = <T>(p: Promise<T>): Promise<T | undefined> => Promise.race([p, sleep(Math.max(0, deadline - Date.now())).then(() => undefined)]);
    await bounded(c.client.set(`${key}:cancel`, "1", "EX", this.settings.ttlSeconds));
    if (removeFlow) {
      // A running job cannot be removed: its worker sees the cancel key within a second and
      // stops it; until then, try again.
      while (Date.now() < deadline) {
        const removed = await bounded(c.queue.remove(rootJob, { removeChildren: true }).catch(() => 0));
        if (removed === 1) break;
        await sleep(250);
      }
    }
    await bounded(store.clear(names));
    await bounded(c.client.del(key));
  }
}

/** An executor that runs merge trees and tasks as BullMQ jobs through Redis, on the workers of
 *  any number of machines (`seqlearn worker --redis <url>`, or `serveBullmqWorker`):
 *  `runMergeTree(bullmqExecutor({ connection: "redis://host:6379" }), { … })` submits the
 *  tree as one flow and waits for its root. Nothing connects until the first run; the optional
 *  peer dependencies bullmq and ioredis are loaded then (MissingDependencyError when they are
 *  not installed). Node only. */
export function bullmqExecutor(options: BullmqExecutorOptions): BullmqExecutor {
  return new BullmqExecutor(options);
}

// ---- the worker ----------------------------------------------------------------------------

function errorInfoOf(e: unknown): RemoteErrorInfo {
  if (e instanceof Error) return { name: e.name || "Error", message: e.message, stack: e.stack };
  return { name: "Error", message: String(e) };
}

/** What a job's failure is, from the local executor's rejection, and whether a retry could
 *  change it (the pool's rule: isDeterministicError). */
function failureOf(e: unknown): { info: RemoteErrorInfo; final: boolean } {
  if (e instanceof TaskAbortedError) return { info: { name: "TaskAbortedError", message: "the tree was cancelled" }, final: true };
  if (e instanceof TaskError && !(e instanceof JobFailedError)) {
    const info = errorInfoOf(e.cause);
    return { info, final: isDeterministicError(e.cause) || isDeterministicError(info) };
  }
  if (e instanceof WorkerLostError || e instanceof PoolClosedError) return { info: errorInfoOf(e), final: false };
  const info = errorInfoOf(e);
  return { info, final: isDeterministicError(e) };
}

function checkJobData(d: unknown): JobData {
  const j = d as Partial<JobData> | null;
  if (!j || typeof j !== "object" || j.seqlearn !== 1 || typeof j.tree !== "string" || !Number.isInteger(j.node) || typeof j.task !== "string" || (j.kind !== "task" && j.kind !== "merge") || !j.store) {
    throw new ValueError("not a job of seqlearn's Redis executor (version 1): was it added to this queue by another program, or by a newer seqlearn?");
  }
  return j as JobData;
}

/** Take jobs of a Redis executor's queue and run their tasks on `executor` (a WorkerPool, whose
 *  task table decides which tasks this worker can run), until `close()`. Resolves once the
 *  worker is connected. Run any number of them, on any number of machines, against one queue.
 *  Deterministic task errors (ValueError, ShapeError, NumericalError, DataError,
 *  DictionaryFormatError, UnknownTaskError) fail the job at once; other failures are retried
 *  as the submitter asked. Node only; needs bullmq and ioredis. */
export async function serveBullmqWorker(options: BullmqWorkerOptions): Promise<BullmqWorker> {
  if (!options || typeof options !== "object") throw new ValueError("serveBullmqWorker: options { connection, executor, … } are required");
  const o = checkOptions<BullmqWorkerOptions>(options, "serveBullmqWorker", WORKER_KEYS);
  const connection = checkConnection(o.connection);
  const executor = o.executor;
  if (!executor || typeof executor.run !== "function") throw new ValueError("serveBullmqWorker: executor must be a WorkerPool or an InlinePool (it runs the tasks)");
  const queueName = checkName(o.queue ?? "seqlearn", "queue");
  const prefix = checkName(o.prefix ?? "bull", "prefix");
  const concurrency = integer(o.concurrency ?? (Number.isFinite(executor.size) ? executor.size : 1), "concurrency", 1, 1024);
  const lockDuration = integer(o.lockDurationMs ?? 30_000, "lockDurationMs", 100);
  const stalledInterval = integer(o.stalledIntervalMs ?? 30_000, "stalledIntervalMs", 100);
  const maxStalledCount = integer(o.maxStalledCount ?? 2, "maxStalledCount", 0, 1000);
  const name = o.name ?? `seqlearn-${crypto.randomUUID().slice(0, 8)}`;
  if (typeof name !== "string" || name === "") throw new ValueError(`name must be a non-empty string, got ${JSON.stringify(name)}`);
  const localDir = o.sharedDir ?? null;
  const emit = (e: BullmqWorkerEvent): void => {
    try {
      o.onEvent?.(e);
    } catch {
      /* a listener's error must not stop the worker */
    }
  };

  const m = await loadRedisModules();
  const client = await openClient(m, connection, o.connectTimeoutMs ?? 10_000);
  const unrecoverable = (info: RemoteErrorInfo): Error => {
    const err = new m.bullmq.UnrecoverableError(`${info.name}: ${info.message}`);
    Object.assign(err, { seqlearn: info });
    if (info.stack) err.stack = info.stack;
    return err;
  };
  const retryable = (info: RemoteErrorInfo): Error => {
    const err = new Error(`${info.name}: ${info.message}`);
    Object.assign(err, { seqlearn: info });
    if (info.stack) err.stack = info.stack;
    return err;
  };

  const processJob = async (job: BullJob): Promise<unknown> => {
    let d: JobData;
    try {
      d = checkJobData(job.data);
    } catch (e) {
      throw unrecoverable(errorInfoOf(e));
    }
    const attempt = job.attemptsMade + 1;
    const key = treeKey(prefix, queueName, d.tree);
    const cancelKey = `${key}:cancel`;
    emit({ kind: "start", jobId: job.id, node: d.node, task: d.task, attempt });
    if (await client.exists(cancelKey)) throw unrecoverable({ name: "TaskAbortedError", message: "the tree was cancelled or has ended" });
    const store = new ResultStore(client, key, d.tree, d.store, localDir);
    const load = async (ref: StoreRef | undefined, what: string): Promise<unknown> => {
      if (!ref) throw unrecoverable({ name: "ValueError", message: `the job has no ${what}` });
      const bytes = await store.get(ref); // a missing value may be a moment's problem: retried
      try {
        return decodeValue(bytes, what);
      } catch (e) {
        throw unrecoverable(errorInfoOf(e)); // damaged bytes stay damaged
      }
    };
    let input: unknown;
    if (d.kind === "task") input = await load(d.input, `input of ${d.what}`);
    else {
      const [l, r] = await client.hmget(key, `n${d.left}`, `n${d.right}`);
      if (!l || !r) throw retryable({ name: "Error", message: `the result of node ${!l ? d.left : d.right} is not recorded (has the tree been cleaned up?)` });
      const left = await load((JSON.parse(l) as NodeRecord).ref, `result of node ${d.left}`);
      const right = await load((JSON.parse(r) as NodeRecord).ref, `result of node ${d.right}`);
      const params = await load(d.params, "tree parameters");
      input = { node: d.node, seed: d.seed, stream: d.stream, level: d.level, left, right, params };
    }
    // Stop the task when the submitter cancels the tree (a flow with running jobs cannot be
    // removed until they stop).
    const ac = new AbortController();
    const watch = setInterval(() => {
      client.exists(cancelKey).then((x) => x && ac.abort(new Error("the tree was cancelled")), () => {});
    }, 1000);
    const t0 = Date.now();
    let computeMs: number | null = null;
    let out: unknown;
    try {
      out = await executor.run(d.task, input, { signal: ac.signal, retries: 0, ...(d.timeoutMs ? { timeoutMs: d.timeoutMs } : {}), onStats: (st) => (computeMs = st.computeMs) });
    } catch (e) {
      const { info, final } = failureOf(e);
      throw final ? unrecoverable(info) : retryable(info);
    } finally {
      clearInterval(watch);
    }
    const t1 = Date.now();
    if (await client.exists(cancelKey)) throw unrecoverable({ name: "TaskAbortedError", message: "the tree was cancelled or has ended" });
    let bytes: Uint8Array;
    try {
      bytes = encodeValue(out);
    } catch (e) {
      throw unrecoverable(errorInfoOf(e));
    }
    const ref = await store.put(`node-${d.node}`, bytes);
    const record: NodeRecord = { ref, startedAt: t0, endedAt: t1, computeMs: computeMs ?? t1 - t0, worker: name, attempt };
    await client.hset(key, `n${d.node}`, JSON.stringify(record));
    await client.expire(key, d.store.ttlSeconds);
    emit({ kind: "done", jobId: job.id, node: d.node, task: d.task, attempt, ms: record.computeMs });
    return { node: d.node, bytes: bytes.length, worker: name };
  };

  const worker = new m.bullmq.Worker(queueName, processJob, {
    connection: client, prefix, concurrency, lockDuration, stalledInterval, maxStalledCount, name, autorun: true,
  });
  worker.on("error", (e: unknown) => emit({ kind: "error", error: errorInfoOf(e) }));
  worker.on("failed", (job: BullJob | undefined, err: Error) => {
    if (!job) return;
    const d = job.data as Partial<JobData>;
    const info = (err as { seqlearn?: RemoteErrorInfo }).seqlearn ?? (err?.name === "UnrecoverableError" || /stalled/.test(err?.message ?? "") ? parseReason(err?.message) : errorInfoOf(err));
    const final = typeof job.finishedOn === "number";
    emit({ kind: "fail", jobId: job.id, node: d?.node, task: d?.task, attempt: job.attemptsMade, error: info, willRetry: !final });
    if (final && typeof d?.tree === "string" && Number.isInteger(d.node)) {
      const rec: FailRecord = { ...info, attempts: job.attemptsMade, worker: name };
      const key = treeKey(prefix, queueName, d.tree);
      client.hset(key, `f${d.node}`, JSON.stringify(rec)).then(() => client.expire(key, d.store?.ttlSeconds ?? STORE_TTL_SECONDS), () => {});
    }
  });
  await worker.waitUntilReady();

  let closing: Promise<void> | null = null;
  const handle: BullmqWorker = {
    name,
    close(opts: { force?: boolean } = {}) {
      if (opts.force) {
        const forced = worker.close(true).then(() => closeClient(client));
        closing = closing ? Promise.race([closing, forced]) : forced;
        return closing;
      }
      if (!closing) closing = worker.close().then(() => closeClient(client));
      return closing;
    },
    [Symbol.asyncDispose]() {
      return handle.close();
    },
  };
  return handle;
}
