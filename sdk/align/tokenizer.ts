// Tokenizers whose vocabulary travels with the model: byte-level by default (every UTF-8
// byte is a token, so nothing is ever out of vocabulary), and a small byte-pair encoding
// trained on a corpus (Sennrich et al. 2016, Alg. 1, on bytes as in GPT-2: Radford et al.
// 2019, §2.2). Special tokens — BOS, EOS, PAD and one marker per conversation role — have
// fixed ids right after the 256 bytes; text never encodes to them (the characters
// "<|eos|>" in a string are ordinary bytes), so a dataset cannot inject a control token.
//
// Ids: 0–255 bytes, 256–263 the special tokens below, 264… the learned merges in order.
//
// BPE training is deterministic: the text is split into chunks (an optional space followed by
// letters, or by digits, or by other symbols; runs of whitespace), merges never cross a chunk,
// and each step merges the most frequent adjacent pair, ties broken by the smallest left id,
// then the smallest right id. Encoding applies the learned merges by rank, lowest first.
import { SeqlearnError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";

/** The format tag of a serialised tokenizer. */
export const TOKENIZER_FORMAT = "seqlearn.tokenizer/1";

/** The special tokens, in id order from 256. */
export const SPECIAL_TOKENS = ["<|bos|>", "<|eos|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>", "<|observation|>"] as const;
/** A special token's name. */
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

/** Conversation roles. Only `assistant` turns are produced by the policy (and trained on);
 *  the others are context (Xiong et al. 2024: tool and observation tokens are masked). */
export const ROLES = ["system", "user", "assistant", "tool", "observation"] as const;
/** A conversation role. */
export type Role = (typeof ROLES)[number];

const BYTE_TOKENS = 256;
const FIRST_MERGE = BYTE_TOKENS + SPECIAL_TOKENS.length;
/** Most merges a tokenizer may hold (a bound for untrusted files). */
const MAX_MERGES = 1 << 20;

/** Which check a TokenizerError failed. */
export type TokenizerErrorCode = "unknown-token" | "unknown-special" | "unknown-role" | "bad-input" | "bad-format";

/** A token id outside the vocabulary, an unknown special token or role, or a malformed
 *  serialised tokenizer. `code` says which; `token` is the offending id or name. */
export class TokenizerError extends SeqlearnError {
  /** Always "TokenizerError". */
  override name = "TokenizerError";
  /** Which check failed. */
  readonly code: TokenizerErrorCode;
  /** The offending id or name, when there is one. */
  readonly token: number | string | null;
  constructor(code: TokenizerErrorCode, message: string, token: number | string | null = null) {
    super(message);
    this.code = code;
    this.token = token;
  }
}

/** A serialised tokenizer (what `toJSON` writes and `fromJSON` reads). */
export interface TokenizerJSON {
  /** `seqlearn.tokenizer/1`. */
  format: string;
  /** `byte` or `bpe`. */
  kind: "byte" | "bpe";
  /** The special tokens in id order from 256 (must equal SPECIAL_TOKENS). */
  specials: string[];
  /** Learned merges [left id, right id] in rank order; merge k makes token 264 + k. */
  merges: [number, number][];
}

// Chunks: an optional space and letters; an optional space and digits; an optional space and
// other symbols; whitespace (the last whitespace character stays for the next chunk).
const CHUNK = / ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const encoder = new TextEncoder();

function chunks(text: string): string[] {
  return text.match(CHUNK) ?? [];
}

/** A tokenizer: `Tokenizer.byteLevel()` (the default) or `Tokenizer.trainBpe(corpus, …)`;
 *  `toJSON()` / `Tokenizer.fromJSON()` to save it with a model. */
export class Tokenizer {
  /** `byte` (no merges) or `bpe`. */
  readonly kind: "byte" | "bpe";
  /** Number of token ids: 256 bytes + the special tokens + the merges. */
  readonly vocabSize: number;
  /** Id of `<|bos|>`, prepended to every sequence. */
  readonly bos: number;
  /** Id of `<|eos|>`, ending every completion and turn. */
  readonly eos: number;
  /** Id of `<|pad|>`, filling batches to a common length. */
  readonly pad: number;
  private readonly merges: ReadonlyArray<readonly [number, number]>;
  private readonly rank: Map<number, number>; // (left·2^21 + right) → merge index
  private readonly bytesOf: Uint8Array[];
  private readonly cache = new Map<string, Int32Array>();

  private constructor(kind: "byte" | "bpe", merges: ReadonlyArray<readonly [number, number]>) {
    this.kind = kind;
    this.merges = merges;
    this.vocabSize = FIRST_MERGE + merges.length;
    this.bos = BYTE_TOKENS;
    this.eos = BYTE_TOKENS + 1;
    this.pad = BYTE_TOKENS + 2;
    this.rank = new Map();
    this.bytesOf = [];
    for (let b = 0; b < BYTE_TOKENS; b++) this.bytesOf.push(Uint8Array.of(b));
    for (const s of SPECIAL_TOKENS) this.bytesOf.push(encoder.encode(s));
    merges.forEach(([a, b], k) => {
      this.rank.set(a * 2097152 + b, k);
      const x = this.bytesOf[a], y = this.bytesOf[b];
      const m = new Uint8Array(x.length + y.length);
      m.set(x, 0);
      m.set(y, x.length);
      this.bytesOf.push(m);
    });
  }

  /** The byte-level tokenizer: 256 byte tokens and the special tokens (vocabulary 264). */
  static byteLevel(): Tokenizer {
    return new Tokenizer("byte", []);
  }

  /**
   * Train a byte-pair encoding on `corpus` (strings): starting from bytes, repeatedly merge the
   * most frequent adjacent pair within chunks (ties: smallest left id, then smallest right id)
   * until the vocabulary has `vocabSize` ids or no pair occurs `minFrequency` times.
   * Deterministic: the same corpus gives the same merges everywhere.
   */
  static trainBpe(corpus: Iterable<string>, opts: { vocabSize: number; minFrequency?: number }): Tokenizer {
    const o = checkOptions<{ vocabSize: number; minFrequency?: number }>(opts, "Tokenizer.trainBpe", ["vocabSize", "minFrequency"]);
    const target = o.vocabSize;
    if (!Number.isInteger(target) || target < FIRST_MERGE || target > FIRST_MERGE + MAX_MERGES) {
      throw new TokenizerError("bad-input", `Tokenizer.trainBpe: vocabSize must be an integer in [${FIRST_MERGE}, ${FIRST_MERGE + MAX_MERGES}], got ${String(target)}`);
    }
    const minFrequency = o.minFrequency ?? 2;
    if (!Number.isInteger(minFrequency) || minFrequency < 1) throw new TokenizerError("bad-input", `Tokenizer.trainBpe: minFrequency must be an integer ≥ 1, got ${String(minFrequency)}`);
    // distinct chunks with their counts, as byte-id sequences
    const counts = new Map<string, number>();
    let i = 0;
    for (const text of corpus) {
      if (typeof text !== "string") throw new TokenizerError("bad-input", `Tokenizer.trainBpe: corpus item ${i} is not a string`);
      for (const c of chunks(text)) counts.set(c, (counts.get(c) ?? 0) + 1);
      i++;
    }
    const words: number[][] = [];
    const freq: number[] = [];
    for (const [c, n] of [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      words.push(Array.from(encoder.encode(c)));
      freq.push(n);
    }
    const merges: [number, number][] = [];
    while (FIRST_MERGE + merges.length < target) {
      const pairs = new Map<number, number>();
      for (let w = 0; w < words.length; w++) {
        const s = words[w];
        for (let k = 0; k + 1 < s.length; k++) {
          const key = s[k] * 2097152 + s[k + 1];
          pairs.set(key, (pairs.get(key) ?? 0) + freq[w]);
        }
      }
      let best = -1, bestCount = 0;
      for (const [key, n] of pairs) {
        if (n > bestCount || (n === bestCount && key < best)) {
          best = key;
          bestCount = n;
        }
      }
      if (best < 0 || bestCount < minFrequency) break;
      const a = Math.floor(best / 2097152), b = best % 2097152;
      const id = FIRST_MERGE + merges.length;
      merges.push([a, b]);
      for (let w = 0; w < words.length; w++) words[w] = mergePair(words[w], a, b, id);
    }
    return new Tokenizer("bpe", merges);
  }

  /** Rebuild a tokenizer from `toJSON()` output, validating every field (untrusted input):
   *  TokenizerError with code `bad-format` otherwise. */
  static fromJSON(json: unknown): Tokenizer {
    const bad = (msg: string): never => {
      throw new TokenizerError("bad-format", `tokenizer: ${msg}`);
    };
    let o = json;
    if (typeof o === "string") {
      try {
        o = JSON.parse(o);
      } catch (e) {
        bad(`not JSON (${(e as Error).message})`);
      }
    }
    if (!o || typeof o !== "object" || Array.isArray(o)) bad("expected an object");
    const t = o as Record<string, unknown>;
    if (t.format !== TOKENIZER_FORMAT) bad(`expected "format": "${TOKENIZER_FORMAT}", got ${JSON.stringify(t.format)}`);
    if (t.kind !== "byte" && t.kind !== "bpe") bad(`kind must be "byte" or "bpe", got ${JSON.stringify(t.kind)}`);
    if (!Array.isArray(t.specials) || t.specials.length !== SPECIAL_TOKENS.length || t.specials.some((s, k) => s !== SPECIAL_TOKENS[k])) {
      bad(`specials must be ${JSON.stringify(SPECIAL_TOKENS)}`);
    }
    if (!Array.isArray(t.merges)) bad("merges must be an array");
    const raw = t.merges as unknown[];
    if (raw.length > MAX_MERGES) bad(`${raw.length} merges (at most ${MAX_MERGES})`);
    if (t.kind === "byte" && raw.length > 0) bad("a byte-level tokenizer has no merges");
    const merges: [number, number][] = [];
    const seen = new Set<number>();
    for (let k = 0; k < raw.length; k++) {
      const m = raw[k];
      const limit = FIRST_MERGE + k;
      const isId = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0 && (x as number) < limit && ((x as number) < BYTE_TOKENS || (x as number) >= FIRST_MERGE);
      if (!Array.isArray(m) || m.length !== 2 || !isId(m[0]) || !isId(m[1])) {
        bad(`merges[${k}] must be [left, right] with ids of bytes or earlier merges (< ${limit}, not special tokens), got ${JSON.stringify(m)}`);
      }
      const key = (m as number[])[0] * 2097152 + (m as number[])[1];
      if (seen.has(key)) bad(`merges[${k}] repeats an earlier merge ${JSON.stringify(m)}`);
      seen.add(key);
      merges.push([(m as number[])[0], (m as number[])[1]]);
    }
    return new Tokenizer(t.kind as "byte" | "bpe", merges);
  }

  /** The serialised form (plain JSON data), `seqlearn.tokenizer/1`. */
  toJSON(): TokenizerJSON {
    return { format: TOKENIZER_FORMAT, kind: this.kind, specials: [...SPECIAL_TOKENS], merges: this.merges.map(([a, b]) => [a, b]) };
  }

  /** The id of a special token, e.g. `special("<|eos|>")`. */
  special(name: string): number {
    const k = (SPECIAL_TOKENS as readonly string[]).indexOf(name);
    if (k < 0) throw new TokenizerError("unknown-special", `unknown special token ${JSON.stringify(name)} (known: ${SPECIAL_TOKENS.join(" ")})`, name);
    return BYTE_TOKENS + k;
  }

  /** The marker token that opens a turn of `role`. */
  roleToken(role: string): number {
    const k = (ROLES as readonly string[]).indexOf(role);
    if (k < 0) throw new TokenizerError("unknown-role", `unknown role ${JSON.stringify(role)} (known: ${ROLES.join(", ")})`, role);
    return BYTE_TOKENS + 3 + k;
  }

  /** Whether `id` is a special token. */
  isSpecial(id: number): boolean {
    return id >= BYTE_TOKENS && id < FIRST_MERGE;
  }

  /** Token ids of a text (UTF-8 bytes, then the merges). Never produces a special token. */
  encode(text: string): Int32Array {
    if (typeof text !== "string") throw new TokenizerError("bad-input", `encode: expected a string, got ${text === null ? "null" : typeof text}`);
    if (this.merges.length === 0) return Int32Array.from(encoder.encode(text));
    const parts: Int32Array[] = [];
    let n = 0;
    for (const c of chunks(text)) {
      let ids = this.cache.get(c);
      if (!ids) {
        ids = Int32Array.from(this.applyMerges(Array.from(encoder.encode(c))));
        if (this.cache.size < 65536) this.cache.set(c, ids);
      }
      parts.push(ids);
      n += ids.length;
    }
    const out = new Int32Array(n);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  /** The text of token ids; special tokens as their names, or dropped with `skipSpecial`.
   *  Invalid UTF-8 (e.g. a sequence cut inside a character) decodes to U+FFFD. An id outside
   *  the vocabulary is a TokenizerError (`unknown-token`) naming its position. */
  decode(ids: ArrayLike<number>, opts: { skipSpecial?: boolean } = {}): string {
    const o = checkOptions<{ skipSpecial?: boolean }>(opts, "decode", ["skipSpecial"]);
    const bytes: Uint8Array[] = [];
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new TokenizerError("unknown-token", `decode: ids[${i}] = ${id} is not a token of this vocabulary (0 … ${this.vocabSize - 1})`, id);
      }
      if (o.skipSpecial && this.isSpecial(id)) continue;
      bytes.push(this.bytesOf[id]);
      n += this.bytesOf[id].length;
    }
    const all = new Uint8Array(n);
    let off = 0;
    for (const b of bytes) {
      all.set(b, off);
      off += b.length;
    }
    return new TextDecoder("utf-8", { fatal: false }).decode(all);
  }

  /** The bytes a token stands for (a special token: its name in UTF-8). */
  tokenBytes(id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new TokenizerError("unknown-token", `token ${id} is not in this vocabulary (0 … ${this.vocabSize - 1})`, id);
    return this.bytesOf[id].slice();
  }

  private applyMerges(s: number[]): number[] {
    for (;;) {
      let best = -1, bestRank = Infinity;
      for (let k = 0; k + 1 < s.length; k++) {
        const r = this.rank.get(s[k] * 2097152 + s[k + 1]);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = k;
        }
      }
      if (best < 0) return s;
      const [a, b] = this.merges[bestRank];
      s = mergePair(s, a, b, FIRST_MERGE + bestRank);
    }
  }
}

/** Replace every occurrence of (a, b) in s, left to right, by id. */
function mergePair(s: number[], a: number, b: number, id: number): number[] {
  let k = 0;
  for (; k + 1 < s.length; k++) if (s[k] === a && s[k + 1] === b) break;
  if (k + 1 >= s.length) return s;
  const out: number[] = s.slice(0, k);
  for (; k < s.length; k++) {
    if (k + 1 < s.length && s[k] === a && s[k + 1] === b) {
      out.push(id);
      k++;
    } else out.push(s[k]);
  }
  return out;
}
