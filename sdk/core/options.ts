// Option objects at the SDK boundary: every public function that takes `{ ... }` options
// checks the keys here, so that a typo (`gama`) is an error that names the closest valid key
// instead of a silently ignored setting, and so that a renamed option keeps working for one
// release under its old name with a single warning.
import { ValueError } from "./errors.js";

/** Optimal-string-alignment distance (Levenshtein with adjacent transpositions) between two
 *  short strings (option and flag names). */
export function editDistance(a: string, b: string): number {
  const m = a.length, n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = new Array<number>(n + 1);
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], prev2[j - 2] + 1);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n];
}

/** The closest candidates to `word`: those at the smallest edit distance, if it is at most
 *  max(1, ⌊len/3⌋); otherwise those `word` is a prefix of (for a word of 3+ letters). The
 *  comparison ignores case. Used for "did you mean" by option checks and by the CLI. */
export function suggest(word: string, candidates: Iterable<string>): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  const all = [...new Set(candidates)];
  const w = word.toLowerCase();
  let best = Infinity;
  let out: string[] = [];
  for (const c of all) {
    const d = editDistance(w, c.toLowerCase());
    if (d < best) {
      best = d;
      out = [c];
    } else if (d === best) out.push(c);
  }
  if (best <= limit) return out;
  return word.length >= 3 ? all.filter((c) => c.toLowerCase().startsWith(w)) : [];
}

/** The single closest candidate to `name` (see suggest), or null when none is plausible. */
export function closestName(name: string, candidates: Iterable<string>): string | null {
  return suggest(name, candidates)[0] ?? null;
}

/** A renamed option: its old name maps to the new one. */
export type Renames = Readonly<Record<string, string>>;

const warned = new Set<string>();

/** Print a warning: Node's process.emitWarning when present (type `type`, code `code`, so
 *  that `node --no-warnings` and 'warning' listeners work), console.warn elsewhere. */
export function emitWarning(message: string, type = "SeqlearnWarning", code = "SEQLEARN_WARNING"): void {
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: { type: string; code: string }) => void } }).process;
  if (typeof proc?.emitWarning === "function") proc.emitWarning(message, { type, code });
  else console.warn(`${type}: ${message}`);
}

/** Print a deprecation notice once per process (per `key`). Node's process.emitWarning is
 *  used when present (so `--no-deprecation` silences it); console.warn elsewhere. */
export function deprecationWarning(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  emitWarning(message, "DeprecationWarning", "SEQLEARN_DEPRECATED");
}

/** Check an options object: it must be a plain object (or undefined, read as `{}`) whose
 *  keys are all in `allowed`. Keys listed in `renames` are deprecated spellings: their value
 *  moves to the new key (with a one-time warning); giving both spellings is an error. An
 *  unknown key raises ValueError naming the closest valid key. Returns a new object with the
 *  new spellings; the caller's object is not modified. */
export function checkOptions<T extends object>(opts: unknown, where: string, allowed: readonly string[], renames: Renames = {}): T {
  if (opts === undefined) return {} as T;
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    throw new ValueError(`${where}: options must be an object, got ${opts === null ? "null" : Array.isArray(opts) ? "an array" : typeof opts}`);
  }
  const out: Record<string, unknown> = {};
  const src = opts as Record<string, unknown>;
  for (const key of Object.keys(src)) {
    if (allowed.includes(key)) {
      out[key] = src[key];
      continue;
    }
    const renamed = Object.prototype.hasOwnProperty.call(renames, key) ? renames[key] : undefined;
    if (renamed !== undefined) {
      if (Object.prototype.hasOwnProperty.call(src, renamed) && src[renamed] !== undefined) {
        throw new ValueError(`${where}: give "${renamed}" or its deprecated name "${key}", not both`);
      }
      deprecationWarning(`${where}:${key}`, `${where}: the option "${key}" is deprecated and will be removed in the next release; use "${renamed}"`);
      out[renamed] = src[key];
      continue;
    }
    const near = closestName(key, [...allowed, ...Object.keys(renames)]);
    const hint = near !== null ? `; did you mean "${Object.prototype.hasOwnProperty.call(renames, near) ? renames[near] : near}"?` : "";
    throw new ValueError(`${where}: unknown option "${key}"${hint} (valid options: ${allowed.join(", ")})`);
  }
  return out as T;
}
