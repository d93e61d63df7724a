// Where the Redis executor keeps the values that move between machines — task inputs, the
// children's results a merge reads, the root's result — as bytes of the wire codec (wire.ts).
// The place is chosen by size, per value:
//   ≤ inlineMaxBytes (16 KiB)   inside the job's data or its result record (one round trip less)
//   ≤ redisMaxBytes  (1 MiB)    a Redis string key, `<prefix>:<queue>:seqlearn:<tree>:v:<name>`
//   larger                      a file `<sharedDir>/seqlearn-<tree>/<name>.bin` in a folder every
//                               machine mounts (NFS, SMB, a cloud file system), written under a
//                               temporary name and renamed, so no reader sees half a file
// Without a shared folder every value that is not inline goes to Redis, whatever its size.
// The thresholds keep Redis's memory for the queue's own bookkeeping: a DISQUEAK merge's
// dictionary file is 8·m·d bytes and more (m points of dimension d), e.g. 1.6 MB for m = 2000,
// d = 100, which a shared folder serves better than an in-memory database.
//
// Keys expire after ttlSeconds (default 7 days), so a tree whose submitter died leaves nothing
// in Redis for ever; the submitter deletes its tree's keys and folder when the tree ends.
import type { RedisClientLike } from "./redis-modules.js";
import { joinPath, makeDirectory, readFileBytes, removePath, writeFileAtomic } from "../platform.js";

/** Where one stored value is. */
export type StoreRef =
  | { at: "inline"; data: string; bytes: number }
  | { at: "redis"; key: string; bytes: number }
  | { at: "file"; name: string; bytes: number };

/** How a tree's values are stored (sent with every job, so workers need no configuration). */
export interface StoreSettings {
  /** Values up to this size travel inside the job or its record. */
  inlineMaxBytes: number;
  /** Values up to this size go to Redis; larger ones to the shared folder, when there is one. */
  redisMaxBytes: number;
  /** The folder shared by every machine, as the submitter sees it, or null. */
  sharedDir: string | null;
  /** Lifetime of the Redis keys (seconds). */
  ttlSeconds: number;
}

/** Default inline limit: 16 KiB. */
export const INLINE_MAX_BYTES = 16 * 1024;
/** Default limit of a value kept in Redis when a shared folder is configured: 1 MiB. */
export const REDIS_MAX_BYTES = 1 << 20;
/** Default lifetime of a tree's keys: 7 days. */
export const STORE_TTL_SECONDS = 7 * 24 * 3600;

/** The bytes as a Node Buffer (a view, no copy): ioredis sends a Buffer as binary, but would
 *  send any other Uint8Array as the text of its numbers. */
function asBuffer(bytes: Uint8Array): Uint8Array {
  const B = (globalThis as { Buffer?: { from(b: ArrayBufferLike, offset: number, length: number): Uint8Array } }).Buffer;
  return B ? B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The values of one tree (or one single task). */
export class ResultStore {
  /**
   * @param client   a Redis connection
   * @param keyBase  the tree's key prefix, `<prefix>:<queue>:seqlearn:<tree>`
   * @param tree     the tree's id (names its folder in the shared folder)
   * @param settings thresholds and the shared folder
   * @param localDir this machine's path of the shared folder, when it differs from settings.sharedDir
   */
  constructor(
    private readonly client: RedisClientLike,
    private readonly keyBase: string,
    private readonly tree: string,
    private readonly settings: StoreSettings,
    private readonly localDir: string | null = null,
  ) {}

  private dir(): string | null {
    return this.localDir ?? this.settings.sharedDir;
  }

  private folder(): string {
    return `seqlearn-${this.tree}`;
  }

  /** Store `bytes` under `name` (a node's result is "node-<id>"); the same name always gives
   *  the same place, so a job that runs twice overwrites its own value with the same bytes. */
  async put(name: string, bytes: Uint8Array): Promise<StoreRef> {
    const s = this.settings;
    if (bytes.length <= s.inlineMaxBytes) return { at: "inline", data: toBase64(bytes), bytes: bytes.length };
    const dir = this.dir();
    if (bytes.length <= s.redisMaxBytes || dir === null) {
      const key = `${this.keyBase}:v:${name}`;
      await this.client.set(key, asBuffer(bytes), "EX", s.ttlSeconds);
      return { at: "redis", key, bytes: bytes.length };
    }
    const rel = `${this.folder()}/${name}.bin`;
    await makeDirectory(joinPath(dir, this.folder()));
    await writeFileAtomic(joinPath(dir, rel), bytes, { overwrite: true });
    return { at: "file", name: rel, bytes: bytes.length };
  }

  /** The bytes a reference points to. */
  async get(ref: StoreRef): Promise<Uint8Array> {
    switch (ref?.at) {
      case "inline":
        return fromBase64(ref.data);
      case "redis": {
        const b = await this.client.getBuffer(ref.key);
        if (b === null) throw new Error(`the value ${ref.key} is missing from Redis (it expired, or the tree was cleaned up)`);
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      }
      case "file": {
        const dir = this.dir();
        if (dir === null) throw new Error(`the value ${ref.name} is in the shared folder, but no shared folder is known here (give the worker sharedDir / --shared-dir)`);
        const path = joinPath(dir, ref.name);
        try {
          return await readFileBytes(path);
        } catch (e) {
          throw new Error(`cannot read ${path} from the shared folder: ${(e as Error).message}`);
        }
      }
      default:
        throw new Error(`not a stored value: ${JSON.stringify(ref)}`);
    }
  }

  /** Delete the values stored under `names` (in Redis) and the tree's folder in the shared
   *  folder; missing ones are no error. */
  async clear(names: readonly string[]): Promise<void> {
    const keys = names.map((n) => `${this.keyBase}:v:${n}`);
    for (let i = 0; i < keys.length; i += 1000) await this.client.del(...keys.slice(i, i + 1000));
    const dir = this.dir();
    if (dir !== null) await removePath(joinPath(dir, this.folder()));
  }
}
