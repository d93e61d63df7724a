// The Redis executor (sdk/parallel/bullmq.ts): merge trees as BullMQ flows, run by `seqlearn
// worker` processes, against a real redis-server started here (127.0.0.1, a free port, a
// temporary folder, append-only persistence so that a restart keeps the queue). Three worker
// processes take the jobs; the faults are real: a worker SIGKILLed in the middle of a job, a job
// that throws once (HTTP 503) and one that throws for good (bad data), Redis shut down and
// started again mid-run, a cancelled tree. Every finished tree is compared byte for byte with
// `seqlearn tree` on one machine. The leaves read their parts over HTTP from a server in this
// process, which can hold the answers back: that is how a job is kept running while its worker
// is killed or Redis restarts. Without redis-server on the PATH these tests are skipped (the
// units at the top need no Redis and always run).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  init, Rng, Matrix, rbf, disqueak, disqueakManifest, encodeDictionary, runMergeTree, InlinePool, TASKS, taskTable, bullmqExecutor,
  ValueError, DataError, ManifestError, MissingDependencyError, TaskAbortedError, JobFailedError, RedisConnectionError,
} from "../sdk/index.js";
import { parseManifest, readPart, MANIFEST_FORMAT } from "../sdk/io/manifest.js";
import { gsqueak, erdosRenyi, encodeSparsifier } from "../sdk/graph/index.js";
import { encodeValue, decodeValue } from "../sdk/parallel/wire.js";
import { loadRedisModules } from "../sdk/parallel/redis-modules.js";
import { importPeer as importPeerWeb } from "../sdk/platform.web.js";
import type { TreeExecutor, TreeRun, TreeRunHooks } from "../sdk/parallel/tree.js";
import { invoke, UsageError } from "../sdk/cli/command.js";
import { tree as treeCommand } from "../sdk/cli/commands/disqueak.js";
import { worker as workerCommand } from "../sdk/cli/commands/worker.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "cli.js");
// Task modules of other owners than DISQUEAK: the executor runs any task table's tasks.
const userTasks = `${join(root, "test", "parallel-user-tasks.mjs")},${join(root, "examples", "pool-tasks.mjs")}`;

// ---------------------------------------------------------------------------------------------
// Units (no Redis needed).

describe("wire codec: task values as bytes", () => {
  it("round-trips what a pool could send, typed arrays bit for bit", () => {
    const f = Float64Array.of(0.1, -0, NaN, Infinity, 5e-324, -1.7976931348623157e308);
    const v = {
      f, i: Int32Array.of(-1, 2 ** 31 - 1), u8: Uint8Array.of(0, 255), big: BigInt64Array.of(-(2n ** 63n)), ab: Uint8Array.of(9, 8, 7).buffer,
      nested: [{ a: 1, $weird: "dollar", $$two: 2 }, null, true, "s", undefined], nums: [NaN, -0, Infinity, -Infinity, 1e-300],
      map: new Map<unknown, unknown>([["k", Float32Array.of(1.5)], [2, "two"]]), set: new Set([1, "x"]), when: new Date(86_400_000), n: 12345678901234567890n,
      empty: {}, view: f.subarray(1, 3),
    };
    const bytes = encodeValue(v);
    const back = decodeValue(bytes) as typeof v;
    expect(back.f).toBeInstanceOf(Float64Array);
    expect(new Uint8Array(back.f.buffer)).toEqual(new Uint8Array(f.buffer));
    expect(Object.is(back.f[1], -0)).toBe(true);
    expect(back.view).toEqual(f.subarray(1, 3));
    expect(back.view.length).toBe(2);
    expect(back.i).toEqual(v.i);
    expect(back.big).toEqual(v.big);
    expect(new Uint8Array(back.ab)).toEqual(Uint8Array.of(9, 8, 7));
    expect(back.nested).toEqual(v.nested);
    expect(back.nested[0]).toEqual({ a: 1, $weird: "dollar", $$two: 2 });
    expect(back.nums.map(String)).toEqual(["NaN", "0", "Infinity", "-Infinity", "1e-300"]);
    expect(Object.is(back.nums[1], -0)).toBe(true);
    expect(back.map.get("k")).toEqual(Float32Array.of(1.5));
    expect([...back.set]).toEqual([1, "x"]);
    expect(back.when.getTime()).toBe(86_400_000);
    expect(back.n).toBe(12345678901234567890n);
    expect(back.empty).toEqual({});
    // Deterministic: the same value, the same bytes.
    expect(encodeValue(v)).toEqual(bytes);
  });

  it("refuses what cannot leave the process, and damaged bytes, naming where", () => {
    expect(() => encodeValue({ a: [1, { f: () => 1 }] })).toThrow(/a\[1\]\.f is a function/);
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => encodeValue(cyc)).toThrow(/circular/);
    const bytes = encodeValue({ x: Float64Array.of(1, 2, 3) });
    const bad = bytes.slice();
    bad[bad.length - 3] ^= 1;
    expect(() => decodeValue(bad, "node-3")).toThrow(ValueError);
    expect(() => decodeValue(bad, "node-3")).toThrow(/node-3: .*CRC-32 mismatch/);
    expect(() => decodeValue(new TextEncoder().encode("hello, this is not it"))).toThrow(/wrong magic/);
  });
});

describe("data manifests", () => {
  it("validates with errors that name the field", () => {
    const good = { format: MANIFEST_FORMAT, parts: ["a.csv", { source: "b.tsv", rows: 10 }], table: { target: "y" } };
    const m = parseManifest(good, { baseDir: "/data" });
    expect(m.parts).toEqual([{ source: "/data/a.csv", rows: null }, { source: "/data/b.tsv", rows: 10 }]);
    expect(parseManifest({ ...good, parts: ["https://x.org/p.csv", "/abs/p.csv", "file:///f.csv"] }, { baseDir: "/data" }).parts.map((p) => p.source))
      .toEqual(["https://x.org/p.csv", "/abs/p.csv", "file:///f.csv"]);
    // "<field> | <message without the field>", and the message starts with the field.
    const field = (v: unknown): string | null => {
      try {
        parseManifest(v);
      } catch (e) {
        expect(e).toBeInstanceOf(ManifestError);
        const f = (e as ManifestError).field;
        const msg = (e as Error).message;
        if (f !== null) expect(msg.startsWith(`${f}: `)).toBe(true);
        return `${f} | ${f === null ? msg : msg.slice(f.length + 2)}`;
      }
      throw new Error("no error");
    };
    expect(field({ ...good, format: "seqlearn.manifest/9" })).toMatch(/^format \| .*not a version this package reads/);
    expect(field({ parts: ["a.csv"] })).toMatch(/^format \| must be "seqlearn\.manifest\/1", got nothing/);
    expect(field({ ...good, parts: [] })).toMatch(/^parts \| must be a non-empty array/);
    expect(field({ ...good, parts: ["a.csv", { source: "b.csv", rows: 0 }] })).toMatch(/^parts\[1\]\.rows \| must be an integer ≥ 1/);
    expect(field({ ...good, parts: [{ sorce: "a.csv" }] })).toMatch(/^parts\[0\]\.sorce \| unknown field; did you mean "source"\?/);
    expect(field({ ...good, parts: [{ rows: 3 }] })).toMatch(/^parts\[0\]\.source \| must be a path or a URL, got nothing/);
    expect(field({ ...good, parts: ["s3://bucket/a.csv"] })).toMatch(/^parts\[0\]\.source \| .*only paths, file: and http\(s\): URLs/);
    expect(field({ ...good, table: { target: "y", featurs: ["a"] } })).toMatch(/^table\.featurs \| unknown field; did you mean "features"\?/);
    expect(field({ ...good, table: { features: ["a"], ignore: ["b"] } })).toMatch(/^table \| give features or ignore, not both/);
    expect(field({ ...good, parts: [{ source: "a.csv", format: "xls" }] })).toMatch(/^parts\[0\]\.format \| must be one of csv, tsv, jsonl/);
    expect(field({ ...good, extra: 1 })).toMatch(/^extra \| unknown field/);
    expect(field([1])).toMatch(/^null \| a manifest is a JSON object/);
  });
});

describe("optional peer dependencies", () => {
  it("a missing bullmq or ioredis is a MissingDependencyError that says what to install", async () => {
    const missing = Object.assign(new Error("Cannot find package 'bullmq'"), { code: "ERR_MODULE_NOT_FOUND" });
    const err = await loadRedisModules(async (name) => {
      if (name === "bullmq") throw missing;
      return import("ioredis");
    }).catch((e) => e);
    expect(err).toBeInstanceOf(MissingDependencyError);
    expect(err.packages).toEqual(["bullmq"]);
    expect(err.message).toMatch(/needs the optional peer dependency bullmq, which is not installed: run `npm install bullmq ioredis`/);
    const both = await loadRedisModules(async () => { throw missing; }).catch((e) => e);
    expect(both.packages).toEqual(["bullmq", "ioredis"]);
    // The browser/edge build has no Redis executor at all.
    const web = await loadRedisModules(importPeerWeb).catch((e) => e);
    expect(web).toBeInstanceOf(MissingDependencyError);
    expect(web.message).toMatch(/runs in Node only/);
    // Installed (devDependencies here): both load.
    const m = await loadRedisModules();
    expect(typeof m.bullmq.FlowProducer).toBe("function");
    expect(typeof m.Redis).toBe("function");
  });

  it("options are checked before anything connects", () => {
    expect(() => bullmqExecutor({ connection: "redis://127.0.0.1:1", queu: "x" } as never)).toThrow(/did you mean "queue"/);
    expect(() => bullmqExecutor({ connection: "http://127.0.0.1:1" })).toThrow(/redis:\/\/ or rediss:\/\/ URL/);
    expect(() => bullmqExecutor({ connection: "redis://h:1", queue: "a:b" })).toThrow(/queue must be a non-empty string without ":"/);
    expect(() => bullmqExecutor({ connection: "redis://h:1", retries: -1 })).toThrow(ValueError);
  });
});

describe("runMergeTree hands a whole tree to a TreeExecutor", () => {
  it("same result as a pool; nodes reported children first, with values", async () => {
    await init();
    const r = new Rng(3, 1);
    const X = new Matrix(300, 2, r.normal(600));
    r.dispose();
    const inline = new InlinePool(TASKS);
    const opts = { kernel: rbf({ gamma: 0.5 }), lambda: 1, qbar: 6, seed: 4, partition: [100, 120, 80] };
    const ref = encodeDictionary((await disqueak(X, { ...opts, pool: inline })).dictionary);
    // A tree executor that runs the nodes itself, children before parents (as a flow does).
    const seen: number[] = [];
    const fake: TreeExecutor = {
      size: 1,
      run: (task, input, o) => inline.run(task, input, o),
      async runTree<V>(t: TreeRun, h: TreeRunHooks<V>): Promise<V> {
        const values = new Map<number, V>();
        for (let i = 0; i < t.plan.leaves; i++) values.set(i, await inline.run<V>(t.leafTask, t.leaves[i]));
        for (const m of t.plan.merges) {
          values.set(m.node, await inline.run<V>(t.mergeTask, { node: m.node, seed: t.seed, stream: m.stream, level: m.level, left: values.get(m.left), right: values.get(m.right), params: t.params }));
        }
        for (const n of [...t.order, ...t.plan.merges.map((m) => m.node)]) h.nodeDone(n, h.wantValues ? values.get(n) : undefined, { startedAt: n, endedAt: n + 1, computeMs: 1 });
        return values.get(t.plan.root)!;
      },
    };
    const got = await disqueak(X, { ...opts, pool: fake, onProgress: (p) => seen.push(p.node) });
    expect(encodeDictionary(got.dictionary)).toEqual(ref);
    expect(seen).toEqual([1, 0, 2, 3, 4]); // leaves costliest first (leafCost), then the merges
    expect(got.levels.map((l) => l.nodes)).toEqual([3, 1, 1]);
  });
});

// ---------------------------------------------------------------------------------------------
// Against a real redis-server.

const redisBin = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
const haveRedis = redisBin.status === 0;
const skipReason = "redis-server is not on the PATH (Debian: apt-get install -y redis-server; .ci/run installs it)";
const haveCli = existsSync(cli);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createTcpServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.setTimeout(500);
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => {
      s.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
    s.on("error", () => resolve(false));
    s.on("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}

interface Proc {
  child: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
}

function run(args: string[], cwd: string): Proc {
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let partial = "";
  const take = (d: Buffer): void => {
    partial += d.toString();
    const parts = partial.split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => {
    if (partial) lines.push(partial);
    resolve(code);
  }));
  return { child, lines, exit };
}

(haveRedis && haveCli ? describe : describe.skip)("Redis executor against redis-server, three worker processes", () => {
  let dir = "", port = 0, url = "";
  let redis: ChildProcess | null = null;
  let http: Server;
  let httpBase = "";
  const workers: Proc[] = [];
  const texts: string[] = [];
  const requests = new Map<number, number>();
  let hold = false;
  const held: Array<() => void> = [];
  const fail503 = new Set<number>();
  const PARTS = 6, ROWS = 150;
  const common = ["--lambda", "1", "--qbar", "8", "--seed", "5", "--gamma", "0.5"];
  let local: Uint8Array;
  const t0 = Date.now();
  const timings: string[] = [];

  const startRedis = async (): Promise<void> => {
    redis = spawn("redis-server", [
      "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always",
      "--save", "", "--logfile", join(dir, "redis.log"), "--daemonize", "no",
    ], { stdio: "ignore" });
    const end = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (Date.now() > end) throw new Error(`redis-server did not start on port ${port}: ${readFileSync(join(dir, "redis.log"), "utf8").slice(-500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stopRedis = async (): Promise<void> => {
    const r = redis;
    redis = null;
    if (!r || r.exitCode !== null) return;
    const gone = new Promise((res) => r.on("exit", res));
    r.kill("SIGTERM"); // a clean shutdown: the append-only file is complete
    await gone;
  };
  const startWorker = async (i: number): Promise<Proc> => {
    const w = run(["worker", "--redis", url, "--name", `w${i}`, "--lock-duration", "1500", "--stalled-interval", "500", "--tasks", userTasks], dir);
    workers[i] = w;
    await until(() => w.lines.some((l) => l.includes("taking jobs")), 30_000, `worker w${i} to start`);
    return w;
  };
  const release = (): void => {
    hold = false;
    for (const send of held.splice(0)) send();
  };
  const bytes = (f: string): Uint8Array => new Uint8Array(readFileSync(join(dir, f)));
  const manifest = (name: string, sources: (i: number) => string): string => {
    writeFileSync(join(dir, name), JSON.stringify({
      format: MANIFEST_FORMAT, table: { target: "y" },
      parts: Array.from({ length: PARTS }, (_, i) => ({ source: sources(i), rows: ROWS })),
    }));
    return name;
  };

  beforeAll(async () => {
    await init();
    dir = mkdtempSync(join(tmpdir(), "seqlearn-redis-"));
    port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    await startRedis();
    const r = new Rng(11, 2);
    for (let p = 0; p < PARTS; p++) {
      const v = r.normal(ROWS * 4);
      let t = "a,b,c,y\n";
      for (let i = 0; i < ROWS; i++) t += `${v[4 * i]},${v[4 * i + 1]},${v[4 * i + 2]},${v[4 * i + 3]}\n`;
      texts.push(t);
      writeFileSync(join(dir, `p${p}.csv`), t);
    }
    r.dispose();
    http = createServer((req, res) => {
      const m = /^\/part\/(\d+)\.csv$/.exec(req.url ?? "");
      if (!m) {
        res.writeHead(404).end();
        return;
      }
      const i = Number(m[1]);
      requests.set(i, (requests.get(i) ?? 0) + 1);
      if (fail503.delete(i)) {
        res.writeHead(503, "Busy").end();
        return;
      }
      const send = (): void => void res.writeHead(200, { "content-type": "text/csv" }).end(texts[i]);
      if (hold) held.push(send);
      else send();
    });
    await new Promise<void>((ok) => http.listen(0, "127.0.0.1", ok));
    httpBase = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    manifest("http.json", (i) => `${httpBase}/part/${i}.csv`);
    manifest("local.json", (i) => `p${i}.csv`);
    // The single-machine reference: seqlearn tree over the part files, and over the manifest.
    const files = Array.from({ length: PARTS }, (_, i) => `p${i}.csv`);
    const a = run(["tree", ...files, "--target", "y", "--workers", "0", "-o", "local.dict", "--quiet", ...common], dir);
    const b = run(["tree", "local.json", "--workers", "0", "-o", "local-manifest.dict", "--quiet", ...common], dir);
    expect(await a.exit, a.lines.join("\n")).toBe(0);
    expect(await b.exit, b.lines.join("\n")).toBe(0);
    local = bytes("local.dict");
    expect(bytes("local-manifest.dict")).toEqual(local);
    await Promise.all([0, 1, 2].map(startWorker));
    timings.push(`setup ${Date.now() - t0} ms`);
  }, 90_000);

  afterAll(async () => {
    for (const w of workers) if (w && w.child.exitCode === null) w.child.kill("SIGKILL");
    await stopRedis();
    await new Promise((ok) => http?.close(ok));
    console.log(`[redis-executor] ${timings.join("; ")}`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a worker SIGKILLed mid-job: its job runs again elsewhere, and the dictionary is byte-identical to one machine's", async () => {
    const t = Date.now();
    requests.clear();
    hold = true;
    const tree = run(["tree", "http.json", "--redis", url, "-o", "kill.dict", ...common], dir);
    // Three leaves running (their HTTP answers held back), one per worker.
    await until(() => held.length >= 3, 30_000, "three leaves to be running");
    const started = (w: Proc) => w.lines.filter((l) => l.includes(": start job")).map((l) => Number(/\(node (\d+),/.exec(l)![1]));
    await until(() => workers.every((w) => started(w).length > 0), 10_000, "every worker to start a job");
    const victim = workers[0];
    const node = started(victim).at(-1)!;
    victim.child.kill("SIGKILL");
    await victim.exit;
    const killedAt = Date.now();
    release();
    const code = await tree.exit;
    expect(code, tree.lines.join("\n")).toBe(0);
    expect(bytes("kill.dict")).toEqual(local);
    // The killed worker's leaf was taken over by another worker once its lock expired.
    const others = workers.slice(1).flatMap((w) => w.lines);
    expect(others.some((l) => l.includes(`: done job`) && l.includes(`(node ${node}, seqlearn.disqueak.partLeaf`))).toBe(true);
    expect(requests.get(node)).toBe(2);
    // Progress: every node reported once, in completion order.
    expect(tree.lines.filter((l) => /^tree: node \d+ \(level \d\) done/.test(l))).toHaveLength(2 * PARTS - 1);
    timings.push(`kill: ${Date.now() - t} ms (recovered ${Date.now() - killedAt} ms after the kill)`);
    await startWorker(0);
  }, 60_000);

  it("Redis shut down and started again mid-run: the tree carries on and gives the same bytes", async () => {
    const t = Date.now();
    hold = true;
    const tree = run(["tree", "http.json", "--redis", url, "-o", "restart.dict", ...common], dir);
    await until(() => held.length >= 3, 30_000, "three leaves to be running");
    const before = workers.map((w) => w.lines.length);
    await stopRedis();
    await new Promise((r) => setTimeout(r, 300));
    await startRedis();
    const restartedAt = Date.now();
    release();
    const code = await tree.exit;
    expect(code, tree.lines.join("\n")).toBe(0);
    expect(bytes("restart.dict")).toEqual(local);
    // The workers did lose Redis (and said so) while their jobs were running.
    expect(workers.flatMap((w, i) => w.lines.slice(before[i])).some((l) => /^worker w\d: \w*Error: /.test(l))).toBe(true);
    timings.push(`restart: ${Date.now() - t} ms (done ${Date.now() - restartedAt} ms after Redis was back)`);
  }, 60_000);

  it("a job that throws is retried (HTTP 503 once); one that throws a DataError fails the tree at once, naming the node", async () => {
    const t = Date.now();
    requests.clear();
    fail503.add(4);
    const tree = run(["tree", "http.json", "--redis", url, "-o", "retry.dict", "--quiet", ...common], dir);
    expect(await tree.exit, tree.lines.join("\n")).toBe(0);
    expect(bytes("retry.dict")).toEqual(local);
    expect(requests.get(4)).toBe(2);
    const all = workers.flatMap((w) => w.lines);
    expect(all.some((l) => /failed job \S+ \(node 4, seqlearn\.disqueak\.partLeaf, attempt 1\): Error: .*HTTP 503 Busy \(it will be retried\)/.test(l))).toBe(true);
    timings.push(`retry: ${Date.now() - t} ms`);

    // Bad data in part 2 (row 6, column b): a DataError, deterministic, not retried.
    const t2 = Date.now();
    writeFileSync(join(dir, "bad2.csv"), texts[2].split("\n").map((l, i) => (i === 6 ? l.replace(/^([^,]*),[^,]*/, "$1,abc") : l)).join("\n"));
    writeFileSync(join(dir, "bad.json"), JSON.stringify({
      format: MANIFEST_FORMAT, table: { target: "y" },
      parts: Array.from({ length: PARTS }, (_, i) => ({ source: i === 2 ? "bad2.csv" : `p${i}.csv`, rows: ROWS })),
    }));
    const before = workers.map((w) => w.lines.length);
    const bad = run(["tree", "bad.json", "--redis", url, "-o", "bad.dict", "--retries", "3", "--quiet", ...common], dir);
    expect(await bad.exit).toBe(1);
    const msg = bad.lines.join("\n");
    expect(msg).toMatch(/^seqlearn tree: JobFailedError: leaf 2 \(task "seqlearn\.disqueak\.partLeaf", job (\S+)-2\) failed after 1 attempt on worker w\d: DataError: .*bad2\.csv, line 7, column 2 \("b"\): expected a number, got "abc"/m);
    expect(existsSync(join(dir, "bad.dict"))).toBe(false);
    const starts = workers.flatMap((w, i) => w.lines.slice(before[i])).filter((l) => /start job \S+ \(node 2,/.test(l));
    expect(starts).toHaveLength(1); // never retried, although --retries 3
    // The failed tree's jobs and values are gone from Redis (only its end marker is left).
    const treeId = /job (\S+)-2\)/.exec(msg)![1];
    const { Redis } = await loadRedisModules();
    const client = new Redis(url, { maxRetriesPerRequest: null });
    try {
      const keys = await (client as unknown as { keys(p: string): Promise<string[]> }).keys(`*${treeId}*`);
      expect(keys).toEqual([`bull:seqlearn:seqlearn:${treeId}:cancel`]);
    } finally {
      client.disconnect();
    }
    timings.push(`deterministic failure: ${Date.now() - t2} ms`);
  }, 60_000);

  it("the SDK: disqueak(X, { pool: executor }) with values in Redis or in a shared folder, single tasks, and cancellation", async () => {
    const t = Date.now();
    const r = new Rng(5, 9);
    const X = new Matrix(900, 3, r.normal(2700));
    r.dispose();
    const opts = { kernel: rbf({ gamma: 0.5 }), lambda: 1, qbar: 8, seed: 2, partition: [300, 300, 300] };
    const ref = encodeDictionary((await disqueak(X, { ...opts, workers: 0 })).dictionary);
    // Leaves of 300×3 doubles (7.2 kB) travel inside their jobs; of 1000×3 (24 kB), in Redis.
    const r2 = new Rng(6, 1);
    const big = new Matrix(3000, 3, r2.normal(9000));
    r2.dispose();
    const bigOpts = { ...opts, partition: [1000, 1000, 1000] };
    const bigRef = encodeDictionary((await disqueak(big, { ...bigOpts, workers: 0 })).dictionary);
    await using inRedis = bullmqExecutor({ connection: url, pollMs: 50 });
    const progress: number[] = [];
    expect(encodeDictionary((await disqueak(X, { ...opts, pool: inRedis, onProgress: (p) => progress.push(p.node) })).dictionary)).toEqual(ref);
    expect(progress.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(encodeDictionary((await disqueak(big, { ...bigOpts, pool: inRedis })).dictionary)).toEqual(bigRef);
    // Everything above 1 kB in the shared folder; the folder is removed when the tree ends.
    const shared = join(dir, "shared");
    await using inFiles = bullmqExecutor({ connection: url, pollMs: 50, sharedDir: shared, redisMaxBytes: 1024 });
    let filesSeen = 0;
    const viaFiles = await disqueak(big, {
      ...bigOpts, pool: inFiles,
      onProgress: () => void (filesSeen = Math.max(filesSeen, existsSync(shared) ? readdirSync(shared).flatMap((d) => readdirSync(join(shared, d))).length : 0)),
    });
    expect(encodeDictionary(viaFiles.dictionary)).toEqual(bigRef);
    expect(filesSeen).toBeGreaterThan(0);
    expect(readdirSync(shared)).toEqual([]);
    // A tree over a manifest, from the SDK.
    const viaManifest = await disqueakManifest(join(dir, "http.json"), { kernel: rbf({ gamma: 0.5 }), lambda: 1, qbar: 8, seed: 5, pool: inRedis });
    expect(encodeDictionary(viaManifest.dictionary)).toEqual(local);
    // The graph sparsifier's merge tree (GSQUEAK) on the same executor: the inline tree's
    // sparsifier, byte for byte (8 leaves of edge blocks, 4 levels of merges).
    const graph = erdosRenyi(120, 0.4, { seed: 8, weights: [0.5, 2] });
    const gOpts = { eps: 0.5, gamma: 1, seed: 6, blockSize: Math.ceil(graph.m / 8) };
    const gInline = await gsqueak(graph, { ...gOpts, workers: 0 });
    const gRemote = await gsqueak(graph, { ...gOpts, pool: inRedis });
    expect(gRemote.graph.m).toBeGreaterThan(0);
    expect(Array.from(encodeSparsifier(gRemote.dictionary))).toEqual(Array.from(encodeSparsifier(gInline.dictionary)));
    // A single task, from a user's task module the workers loaded (--tasks).
    const u = await inRedis.run<Float64Array>("user.uniform", { seed: 7, stream: 3, n: 5 });
    const rr = new Rng(7, 3);
    expect(Array.from(u)).toEqual(Array.from(rr.uniform(5)));
    rr.dispose();
    // Another owner's merge tree (examples/pool-tasks.mjs): the same value as inline.
    // (Its tasks import the built package; this thread's inline pool runs the same functions on
    // the sources' engine.)
    const leafMean = ({ seed, stream, leaf }: { seed: number; stream: number; leaf: { count: number } }) => {
      const rng = new Rng(seed, stream);
      const x = rng.normal(leaf.count);
      rng.dispose();
      return { sum: x.reduce((a, b) => a + b, 0), count: leaf.count };
    };
    const mergeMean = ({ left, right }: { left: { sum: number; count: number }; right: { sum: number; count: number } }) => ({ sum: left.sum + right.sum, count: left.count + right.count });
    const meanTree = { leaves: [500, 300, 200, 1000].map((count) => ({ count })), leafTask: "examples.leafMean", mergeTask: "examples.mergeMean", seed: 5 };
    const inline = await runMergeTree(new InlinePool(taskTable(TASKS, { "examples.leafMean": leafMean, "examples.mergeMean": mergeMean })), meanTree);
    const remote = await runMergeTree(inRedis, meanTree);
    expect(remote.value).toEqual(inline.value);
    expect(remote.levels.map((l) => l.nodes)).toEqual([4, 2, 1]);
    // Cancellation: the tree's running jobs stop, its jobs are removed, the call rejects.
    hold = true;
    const ac = new AbortController();
    const pending = disqueakManifest(join(dir, "http.json"), { kernel: rbf({ gamma: 0.5 }), lambda: 1, qbar: 8, seed: 5, pool: inRedis, signal: ac.signal });
    await until(() => held.length >= 3, 30_000, "three leaves to be running");
    ac.abort(new Error("stop"));
    const tc = Date.now();
    await expect(pending).rejects.toThrow(TaskAbortedError);
    expect(Date.now() - tc).toBeLessThan(8000);
    release();
    const { bullmq, Redis } = await loadRedisModules();
    const client = new Redis(url, { maxRetriesPerRequest: null });
    const queue = new bullmq.Queue("seqlearn", { connection: client });
    try {
      const counts = await (queue as unknown as { getJobCounts(...t: string[]): Promise<Record<string, number>> }).getJobCounts("active", "wait", "waiting-children", "prioritized", "delayed", "failed", "completed");
      expect(counts).toEqual({ active: 0, wait: 0, "waiting-children": 0, prioritized: 0, delayed: 0, failed: 0, completed: 0 });
    } finally {
      await queue.close();
      client.disconnect();
    }
    timings.push(`SDK: ${Date.now() - t} ms`);
  }, 60_000);

  it("SIGTERM: a worker finishes its running job, then exits 0; the tree needs no rerun", async () => {
    const t = Date.now();
    requests.clear();
    hold = true;
    const tree = run(["tree", "http.json", "--redis", url, "-o", "term.dict", "--quiet", ...common], dir);
    await until(() => held.length >= 3, 30_000, "three leaves to be running");
    const w = workers[1];
    w.child.kill("SIGTERM");
    await until(() => w.lines.some((l) => l.includes("SIGTERM: finishing the running jobs")), 10_000, "the worker to acknowledge SIGTERM");
    expect(w.child.exitCode).toBe(null); // still running: its job is not done
    release();
    expect(await w.exit).toBe(0);
    expect(w.lines.at(-1)).toMatch(/worker w1: stopped/);
    expect(await tree.exit, tree.lines.join("\n")).toBe(0);
    expect(bytes("term.dict")).toEqual(local);
    expect([...requests.values()].every((c) => c === 1)).toBe(true);
    timings.push(`SIGTERM: ${Date.now() - t} ms`);
    await startWorker(1);
  }, 60_000);

  it("typed errors: a bad task name, an unreachable Redis", async () => {
    await using ex = bullmqExecutor({ connection: url, pollMs: 50, retries: 0 });
    const e = (await ex.run("no.such.task", 1).catch((x: unknown) => x)) as JobFailedError;
    expect(e).toBeInstanceOf(JobFailedError);
    expect(e.message).toMatch(/the task \(task "no\.such\.task", job \S+\) failed after 1 attempt on worker w\d: UnknownTaskError/);
    await using nowhere = bullmqExecutor({ connection: `redis://127.0.0.1:${await freePort()}`, connectTimeoutMs: 300 });
    await expect(nowhere.run("x", 1)).rejects.toThrow(RedisConnectionError);
  }, 30_000);
});

if (!haveRedis || !haveCli) {
  describe("Redis executor against redis-server", () => {
    it.skip(`skipped: ${!haveRedis ? skipReason : "dist/cli.js is not built (npm run build)"}`, () => {});
  });
}

describe("manifests without Redis", () => {
  it("disqueakManifest equals disqueak over the concatenated parts; a part that changed size is a DataError", async () => {
    await init();
    const dir = mkdtempSync(join(tmpdir(), "seqlearn-manifest-"));
    try {
      const r = new Rng(1, 1);
      const X = new Matrix(250, 2, r.normal(500));
      r.dispose();
      const sizes = [100, 90, 60];
      let at = 0;
      sizes.forEach((s, p) => {
        let t = "u\tv\n";
        for (let i = at; i < at + s; i++) t += `${X.data[2 * i]}\t${X.data[2 * i + 1]}\n`;
        writeFileSync(join(dir, `q${p}.tsv`), t);
        at += s;
      });
      writeFileSync(join(dir, "m.json"), JSON.stringify({ format: MANIFEST_FORMAT, parts: ["q0.tsv", { source: "q1.tsv", rows: 90 }, "q2.tsv"] }));
      const opts = { kernel: rbf({ gamma: 1 }), lambda: 0.5, qbar: 5, seed: 9, workers: 0 };
      const a = await disqueakManifest(join(dir, "m.json"), opts);
      const b = await disqueak(X, { ...opts, partition: sizes });
      expect(encodeDictionary(a.dictionary)).toEqual(encodeDictionary(b.dictionary));
      writeFileSync(join(dir, "m2.json"), JSON.stringify({ format: MANIFEST_FORMAT, parts: ["q0.tsv", { source: "q1.tsv", rows: 91 }, "q2.tsv"] }));
      await expect(disqueakManifest(join(dir, "m2.json"), opts)).rejects.toThrow(/q1\.tsv: has 90 data rows, but the manifest says 91/);
      await expect(readPart({ source: join(dir, "nope.csv"), rows: null }, {})).rejects.toThrow(/cannot read/);
      await expect(disqueakManifest(join(dir, "missing.json"), opts)).rejects.toThrow(ManifestError);
      // The CLI: a manifest tree equals the file tree; flags that do not fit are usage errors.
      const flags = ["--gamma", "1", "--lambda", "0.5", "--qbar", "5", "--seed", "9", "--quiet", "--workers", "0"];
      expect(await invoke(treeCommand, [join(dir, "m.json"), "-o", join(dir, "m.dict"), ...flags])).toBe(0);
      expect(await invoke(treeCommand, [0, 1, 2].map((p) => join(dir, `q${p}.tsv`)).concat(["-o", join(dir, "f.dict"), ...flags]))).toBe(0);
      expect(readFileSync(join(dir, "m.dict"))).toEqual(readFileSync(join(dir, "f.dict")));
      expect(readFileSync(join(dir, "m.dict"))).toEqual(Buffer.from(encodeDictionary(a.dictionary)));
      await expect(invoke(treeCommand, [join(dir, "m.json"), "--leaf-size", "10", "-o", join(dir, "x.dict"), ...flags])).rejects.toThrow(/--leaf-size splits a single data file/);
      await expect(invoke(treeCommand, [join(dir, "q0.tsv"), "--queue", "q", "-o", join(dir, "x.dict"), ...flags])).rejects.toThrow(/--queue applies with --redis only/);
      await expect(invoke(treeCommand, [join(dir, "m.json"), "--redis", "redis://127.0.0.1:1", "-o", join(dir, "x.dict"), ...flags])).rejects.toThrow(/--workers sets this machine's threads/);
      await expect(invoke(treeCommand, [join(dir, "m.json"), join(dir, "q0.tsv"), "-o", join(dir, "x.dict"), ...flags])).rejects.toThrow(/is a data manifest: give it alone/);
      await expect(invoke(workerCommand, [])).rejects.toThrow(UsageError);
      await expect(invoke(workerCommand, [])).rejects.toThrow(/--redis/);
      writeFileSync(join(dir, "bad.json"), JSON.stringify({ format: MANIFEST_FORMAT, parts: [{ source: "q0.tsv", rows: "many" }] }));
      await expect(invoke(treeCommand, [join(dir, "bad.json"), "-o", join(dir, "x.dict"), ...flags])).rejects.toThrow(/bad\.json: parts\[0\]\.rows: must be an integer ≥ 1/);
      expect(existsSync(join(dir, "x.dict"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
