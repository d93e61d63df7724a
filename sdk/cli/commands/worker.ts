// seqlearn worker: a process that takes the jobs of distributed merge trees (`seqlearn tree
// --redis`, or bullmqExecutor in the SDK) from a BullMQ queue in Redis and runs their tasks on
// its own worker threads. Start any number, on any number of machines; stop one with SIGTERM or
// Ctrl-C (it finishes its running jobs first; a second signal stops it at once, and other
// workers take its jobs over once their locks expire).
import { hostname } from "node:os";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { WorkerPool, serveBullmqWorker } from "../../index.js";
import type { BullmqWorkerEvent } from "../../parallel/bullmq.js";
import { command, UsageError } from "../command.js";
import { group, list, number, requiredFlag, string } from "../flags.js";
import { QUIET } from "../options.js";
import { err } from "../term.js";

function describeEvent(name: string, e: BullmqWorkerEvent): string {
  const job = `job ${e.jobId} (node ${e.node}, ${e.task}, attempt ${e.attempt})`;
  switch (e.kind) {
    case "start": return `worker ${name}: start ${job}`;
    case "done": return `worker ${name}: done ${job} in ${Math.round(e.ms ?? 0)} ms`;
    case "fail": return `worker ${name}: failed ${job}: ${e.error?.name}: ${e.error?.message}${e.willRetry ? " (it will be retried)" : " (for good)"}`;
    case "error": return `worker ${name}: ${e.error?.name}: ${e.error?.message}`;
  }
}

export const worker = command({
  name: "worker",
  summary: "take the jobs of distributed merge trees (seqlearn tree --redis) from Redis and run them",
  synopsis: "seqlearn worker --redis redis://host:port [--concurrency <n>] [--queue <name>] [--shared-dir <dir>] [options]",
  description: [
    "Runs until SIGTERM or Ctrl-C, then finishes its running jobs and exits (a second signal stops it at once:",
    "other workers run its jobs again once their locks expire). Start one or more on every machine that",
    "should work; each leaf reads its part (a path the machine can see, or a URL) itself.",
  ],
  flags: {
    ...group("distributed", {
      redis: requiredFlag(string({ metavar: "<url>", help: "the Redis of the queue (redis://host:port, rediss:// for TLS)" }), "(the Redis the trees are submitted to)"),
      queue: string({ metavar: "<name>", default: "seqlearn", help: "BullMQ queue to take jobs from (seqlearn tree --queue)" }),
      prefix: string({ metavar: "<prefix>", default: "bull", help: "BullMQ key prefix (seqlearn tree --prefix)" }),
      concurrency: number({ int: true, min: 1, max: 1024, default: 1, metavar: "<n>", help: "jobs run at once, each on its own worker thread" }),
      sharedDir: string({ metavar: "<dir>", help: "this machine's path of the shared folder, when it differs from the submitter's (--shared-dir of seqlearn tree)" }),
      tasks: list({ what: "module files", help: "task modules to load besides the package's tasks (each exports its table as `tasks`)" }),
      name: string({ metavar: "<name>", help: "the worker's name, recorded with its jobs", defaultText: "<host>:<pid>" }),
    }),
    ...group("faults", {
      lockDuration: number({ int: true, min: 100, default: 30_000, metavar: "<ms>", help: "a job's lock lasts this long without renewal: a worker that dies is noticed after about this long" }),
      stalledInterval: number({ int: true, min: 100, default: 30_000, metavar: "<ms>", help: "how often to look for jobs whose worker died" }),
      maxStalled: number({ int: true, min: 0, max: 1000, default: 2, metavar: "<n>", help: "times a job may lose its worker and run again before it fails" }),
    }),
    ...QUIET,
  },
  async run({ positional, values: v }) {
    if (positional.length > 0) throw new UsageError(`expected no arguments, got ${positional.length} (the jobs come from Redis)`);
    const name = v.name ?? `${hostname()}:${process.pid}`;
    const say = (line: string): void => {
      if (!v.quiet) err(line);
    };
    const modules = (v.tasks ?? []).map((f) => pathToFileURL(resolve(f)));
    // The tasks run on threads: this thread stays free to renew the jobs' locks.
    const pool = await WorkerPool.create({ size: v.concurrency, modules, retries: 0 });
    let handle: Awaited<ReturnType<typeof serveBullmqWorker>>;
    try {
      handle = await serveBullmqWorker({
        connection: v.redis, executor: pool, queue: v.queue, prefix: v.prefix, concurrency: v.concurrency,
        sharedDir: v.sharedDir === undefined ? undefined : resolve(v.sharedDir),
        lockDurationMs: v.lockDuration, stalledIntervalMs: v.stalledInterval, maxStalledCount: v.maxStalled, name,
        onEvent: (e) => {
          const line = describeEvent(name, e);
          if (line) say(line);
        },
      });
    } catch (e) {
      await pool.close();
      throw e;
    }
    say(`worker ${name}: taking jobs from queue "${v.queue}" at ${v.redis.replace(/\/\/[^@/]*@/, "//…@")}, ${v.concurrency} at a time`);
    await new Promise<void>((done) => {
      let signals = 0;
      const onSignal = (sig: string): void => {
        signals++;
        if (signals === 1) {
          say(`worker ${name}: ${sig}: finishing the running jobs (${sig} again to stop at once)`);
          void handle.close().then(done, done);
        } else {
          say(`worker ${name}: ${sig}: stopping now; other workers take the running jobs over`);
          void handle.close({ force: true }).then(done, done);
        }
      };
      process.on("SIGTERM", () => onSignal("SIGTERM"));
      process.on("SIGINT", () => onSignal("SIGINT"));
    });
    await pool.close();
    say(`worker ${name}: stopped`);
    return 0;
  },
});
