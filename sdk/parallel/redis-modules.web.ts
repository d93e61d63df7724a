// redis-modules.ts for the browser and edge builds (dist/web/, dist/workerd/): the Redis
// executor talks to Redis over TCP through ioredis, which exists in Node only, so these builds
// have no import of BullMQ or ioredis at all and say so when the executor is used.
// Same exports as redis-modules.ts; its types are re-exported type-only (erased from the build).
import { MissingDependencyError } from "./errors.js";

export type { RedisClientLike, BullJob, BullmqModule, RedisConstructor, RedisModules, Importer } from "./redis-modules.js";
import type { RedisModules, Importer } from "./redis-modules.js";

/** Always rejects: this build has no Redis executor. */
export function loadRedisModules(_importer?: Importer): Promise<RedisModules> {
  return Promise.reject(new MissingDependencyError(
    "the Redis executor (bullmqExecutor, serveBullmqWorker) runs in Node only: this is the package's browser/edge build, which has no Redis client. Run the submitter and the workers in Node, with `npm install bullmq ioredis`",
    ["bullmq", "ioredis"],
  ));
}
