// Datasets in the JSON-lines layouts TRL users already have, streamed one line at a time,
// tokenised into segments with per-token training flags, and collated into padded batches
// with loss masks.
//
// Layouts (one JSON object per line; other keys are ignored):
//   preference  {prompt, chosen, rejected}        DPO, IPO, SLiC, … (pairs)
//   unpaired    {prompt, completion, label}       KTO (label true = desirable)
//   reward      {prompt, completion, reward}      DRO (a scalar reward)
//   completion  {prompt, completion}              SFT
//   messages    {messages: [{role, content}]}     SFT / multi-turn
//   text        {text}                            language modelling (every token trained)
// prompt / chosen / rejected / completion are strings ("standard" format) or lists of
// messages ("conversational"); a preference line may omit the prompt when chosen and
// rejected are conversations sharing their first messages (TRL's implicit prompt).
//
// Sequences. A plain-text example is BOS + prompt + completion + EOS, trained on the
// completion and its EOS. A conversation is BOS, then per message a role marker, the content
// and EOS; only assistant content and the assistant's EOS are trained (the policy produces
// them). System, user, tool and observation turns, and every role marker, are context: in
// the sequence, out of the loss (Xiong et al. 2024, multi-turn DPO: the environment's tokens
// must not enter the policy's sums).
//
// Batches. Position t of row r predicts targets[r,t] = seq[t+1] from inputs[r,0..t] = seq[0..t];
// mask[r,t] = 1 when seq[t+1] is trained. Rows are padded with PAD (mask 0).
import { SeqlearnError, ValueError } from "../core/errors.js";
import { checkOptions, closestName } from "../core/options.js";
import { DataError } from "../io/errors.js";
import { textChunks, sourceName, type TextSource } from "../io/source.js";
import { Rng } from "../random/rng.js";
import { seed as checkSeed } from "../core/validate.js";
import { ROLES, type Role, Tokenizer } from "./tokenizer.js";
import { ktoMismatchedPairs } from "./losses.js";
import type { LmBatch } from "./model.js";

/** The dataset layouts. */
export const LAYOUTS = ["preference", "unpaired", "reward", "completion", "messages", "text"] as const;
/** A dataset layout. */
export type Layout = (typeof LAYOUTS)[number];

/** One turn of a conversation. */
export interface Message {
  /** system, user, assistant, tool or observation. */
  role: Role;
  /** The text of the turn. */
  content: string;
}

/** A prompt or a response: plain text, or a list of messages. */
export type Turns = string | Message[];

/** Which check a DatasetError failed. */
export type DatasetErrorCode = "bad-json" | "wrong-layout" | "bad-value" | "unknown-role" | "empty" | "too-long" | "too-few";

/** A dataset line that cannot be used: not JSON, the wrong layout, a value of the wrong type,
 *  an unknown role, an empty or over-long sequence. `line` is 1-based. */
export class DatasetError extends DataError {
  /** Always "DatasetError". */
  override name = "DatasetError";
  /** Which check failed. */
  readonly code: DatasetErrorCode;
  constructor(code: DatasetErrorCode, message: string, where: { line?: number; source?: string } = {}) {
    super(message, where);
    this.code = code;
  }
}

/** Fields every parsed line has. */
interface RecordBase {
  /** 1-based line of the source. */
  line: number;
}

/** A `{prompt, chosen, rejected}` line. */
export interface PreferenceRecord extends RecordBase {
  /** The layout. */
  layout: "preference";
  /** The prompt (for an implicit prompt: the messages chosen and rejected share). */
  prompt: Turns;
  /** The preferred response. */
  chosen: Turns;
  /** The other response. */
  rejected: Turns;
}

/** A `{prompt, completion, label}` line. */
export interface UnpairedRecord extends RecordBase {
  /** The layout. */
  layout: "unpaired";
  /** The prompt. */
  prompt: Turns;
  /** The response. */
  completion: Turns;
  /** true: desirable. */
  label: boolean;
}

/** A `{prompt, completion, reward}` line. */
export interface RewardRecord extends RecordBase {
  /** The layout. */
  layout: "reward";
  /** The prompt. */
  prompt: Turns;
  /** The response. */
  completion: Turns;
  /** Its scalar reward. */
  reward: number;
}

/** A `{prompt, completion}` line. */
export interface CompletionRecord extends RecordBase {
  /** The layout. */
  layout: "completion";
  /** The prompt. */
  prompt: Turns;
  /** The response. */
  completion: Turns;
}

/** A `{messages}` line. */
export interface MessagesRecord extends RecordBase {
  /** The layout. */
  layout: "messages";
  /** The conversation. */
  messages: Message[];
}

/** A `{text}` line. */
export interface TextRecord extends RecordBase {
  /** The layout. */
  layout: "text";
  /** The text. */
  text: string;
}

/** A parsed line of a dataset, before tokenisation. */
export type DataRecord = PreferenceRecord | UnpairedRecord | RewardRecord | CompletionRecord | MessagesRecord | TextRecord;

/** Token ids with a training flag per token (1: produced by the policy, in the loss). */
export interface Segment {
  /** Token ids. */
  tokens: Int32Array;
  /** 1 where the token is trained on. */
  trained: Uint8Array;
}

/** Fields every tokenised example has. */
interface ExampleBase {
  /** 1-based line of the source. */
  line: number;
  /** BOS and the prompt (never trained). */
  prompt: Segment;
}

/** A tokenised preference pair. */
export interface PreferenceExample extends ExampleBase {
  /** The layout. */
  layout: "preference";
  /** The chosen response (and its EOS). */
  chosen: Segment;
  /** The rejected response. */
  rejected: Segment;
}

/** A tokenised unpaired example. */
export interface UnpairedExample extends ExampleBase {
  /** The layout. */
  layout: "unpaired";
  /** The response. */
  completion: Segment;
  /** true: desirable. */
  label: boolean;
}

/** A tokenised example with a reward. */
export interface RewardExample extends ExampleBase {
  /** The layout. */
  layout: "reward";
  /** The response. */
  completion: Segment;
  /** Its reward. */
  reward: number;
}

/** A tokenised completion, conversation or text (the conversation or text is the
 *  `completion` segment, after a prompt segment holding BOS). */
export interface SequenceExample extends ExampleBase {
  /** The layout. */
  layout: "completion" | "messages" | "text";
  /** The response, conversation or text, with its training flags. */
  completion: Segment;
}

/** A tokenised example: the prompt segment (starting with BOS, never trained) and the
 *  response segment(s). */
export type Example = PreferenceExample | UnpairedExample | RewardExample | SequenceExample;

/** The layout a parsed JSON object has (by its keys), or null. */
export function detectLayout(record: unknown): Layout | null {
  if (!record || typeof record !== "object" || Array.isArray(record)) return null;
  const has = (k: string) => Object.prototype.hasOwnProperty.call(record, k);
  if (has("messages")) return "messages";
  if (has("chosen") && has("rejected")) return "preference";
  if (has("completion") && has("label")) return "unpaired";
  if (has("completion") && has("reward")) return "reward";
  if (has("completion")) return "completion";
  if (has("text")) return "text";
  return null;
}

const REQUIRED: Record<Layout, readonly string[]> = {
  preference: ["chosen", "rejected"], unpaired: ["prompt", "completion", "label"], reward: ["prompt", "completion", "reward"],
  completion: ["prompt", "completion"], messages: ["messages"], text: ["text"],
};

const KEYS: Record<Layout, string> = {
  preference: "{prompt, chosen, rejected}", unpaired: "{prompt, completion, label}", reward: "{prompt, completion, reward}",
  completion: "{prompt, completion}", messages: "{messages: [{role, content}]}", text: "{text}",
};

/** Check one parsed JSON value against a layout; returns the record or throws DatasetError. */
export function parseRecord(value: unknown, layout: Layout | null, line: number, source?: string): DataRecord {
  const fail = (code: DatasetErrorCode, msg: string): never => {
    throw new DatasetError(code, msg, { line, source });
  };
  const what = Array.isArray(value) ? "an array" : value === null ? "null" : typeof value === "object" ? `keys ${JSON.stringify(Object.keys(value as object))}` : typeof value;
  if (!value || typeof value !== "object" || Array.isArray(value)) fail("wrong-layout", `expected a JSON object, got ${what}`);
  const want = layout ?? detectLayout(value);
  if (want === null) fail("wrong-layout", `expected a JSON object in one of the layouts ${LAYOUTS.map((l) => KEYS[l]).join(", ")}; got ${what}`);
  const o = value as Record<string, unknown>;
  const missing = REQUIRED[want!].filter((k) => !Object.prototype.hasOwnProperty.call(o, k));
  if (missing.length) fail("wrong-layout", `expected the ${want} layout ${KEYS[want!]}: ${missing.map((k) => `"${k}"`).join(", ")} missing (got ${what})`);
  const turns = (key: string, optional = false): Turns => {
    const v = o[key];
    if (v === undefined && optional) return "";
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return messagesOf(v, key, fail);
    return fail("bad-value", `"${key}" must be a string or a list of {role, content} messages, got ${v === null ? "null" : typeof v}`);
  };
  switch (want!) {
    case "preference": {
      const chosen = turns("chosen"), rejected = turns("rejected");
      if (typeof chosen !== typeof rejected) fail("bad-value", `"chosen" and "rejected" must both be strings or both be message lists`);
      if (o.prompt === undefined) {
        if (typeof chosen === "string") fail("wrong-layout", `"prompt" is missing (only conversational chosen/rejected lists may leave it implicit)`);
        return { layout: "preference", line, ...splitImplicitPrompt(chosen as Message[], rejected as Message[], fail) };
      }
      const prompt = turns("prompt");
      if (typeof prompt !== "string" && typeof chosen === "string") fail("bad-value", `a conversational "prompt" needs conversational "chosen" and "rejected"`);
      return { layout: "preference", line, prompt, chosen, rejected };
    }
    case "unpaired":
    case "reward":
    case "completion": {
      const prompt = turns("prompt"), completion = turns("completion");
      if (typeof prompt !== "string" && typeof completion === "string") fail("bad-value", `a conversational "prompt" needs a conversational "completion"`);
      if (want === "unpaired") {
        const label = o.label;
        if (label !== true && label !== false && label !== 0 && label !== 1) fail("bad-value", `"label" must be true or false (desirable or not), got ${JSON.stringify(label)}`);
        return { layout: "unpaired", line, prompt, completion, label: label === true || label === 1 };
      }
      if (want === "reward") {
        const r = o.reward;
        if (typeof r !== "number" || !Number.isFinite(r)) fail("bad-value", `"reward" must be a finite number, got ${JSON.stringify(r)}`);
        return { layout: "reward", line, prompt, completion, reward: r as number };
      }
      return { layout: "completion", line, prompt, completion };
    }
    case "messages": {
      if (!Array.isArray(o.messages)) fail("bad-value", `"messages" must be a list of {role, content}`);
      return { layout: "messages", line, messages: messagesOf(o.messages as unknown[], "messages", fail) };
    }
    default: {
      if (typeof o.text !== "string") fail("bad-value", `"text" must be a string`);
      return { layout: "text", line, text: o.text as string };
    }
  }
}

function messagesOf(v: unknown[], key: string, fail: (code: DatasetErrorCode, msg: string) => never): Message[] {
  return v.map((m, i) => {
    if (!m || typeof m !== "object" || Array.isArray(m)) fail("bad-value", `${key}[${i}] must be a {role, content} object`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
      const near = typeof role === "string" ? closestName(role, ROLES) : null;
      fail("unknown-role", `${key}[${i}].role ${JSON.stringify(role)} is not a role (${ROLES.join(", ")})${near ? `; did you mean "${near}"?` : ""}`);
    }
    if (typeof content !== "string") fail("bad-value", `${key}[${i}].content must be a string, got ${content === null ? "null" : typeof content}`);
    return { role: role as Role, content: content as string };
  });
}

function splitImplicitPrompt(chosen: Message[], rejected: Message[], fail: (code: DatasetErrorCode, msg: string) => never): { prompt: Message[]; chosen: Message[]; rejected: Message[] } {
  let k = 0;
  while (k < chosen.length && k < rejected.length && chosen[k].role === rejected[k].role && chosen[k].content === rejected[k].content) k++;
  if (k === 0) fail("wrong-layout", `"prompt" is missing and "chosen" / "rejected" share no first message to take it from`);
  return { prompt: chosen.slice(0, k), chosen: chosen.slice(k), rejected: rejected.slice(k) };
}

/** Options of readJsonl. */
export interface ReadOptions {
  /** The layout every line must have; default: the first line's. */
  layout?: Layout;
  /** Stops the read with an AbortError-named DOMException-like error. */
  signal?: AbortSignal;
}

/** Parsed records of a JSON-lines source, one line at a time (memory bounded by a line).
 *  Blank lines are skipped; every line must be a JSON object of the layout (the first line's,
 *  or `layout`); a bad line raises DatasetError naming it. */
export async function* readJsonl(source: TextSource, opts: ReadOptions = {}): AsyncGenerator<DataRecord> {
  const o = checkOptions<ReadOptions>(opts, "readJsonl", ["layout", "signal"]);
  if (o.layout !== undefined && !(LAYOUTS as readonly string[]).includes(o.layout)) {
    const near = closestName(String(o.layout), LAYOUTS);
    throw new ValueError(`readJsonl: layout must be one of ${LAYOUTS.join(", ")}${near ? `; did you mean "${near}"?` : ""}, got ${JSON.stringify(o.layout)}`);
  }
  const name = sourceName(source);
  let layout: Layout | null = o.layout ?? null;
  let line = 0;
  let rest = "";
  const handle = (text: string): DataRecord | null => {
    line++;
    const t = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (t.trim() === "") return null;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw new DatasetError("bad-json", `not valid JSON (${(e as Error).message})`, { line, source: name });
    }
    const rec = parseRecord(v, layout, line, name);
    layout = rec.layout;
    return rec;
  };
  for await (const chunk of textChunks(source)) {
    if (o.signal?.aborted) throw abortError(o.signal);
    rest += chunk.text;
    let start = 0, nl: number;
    while ((nl = rest.indexOf("\n", start)) >= 0) {
      const rec = handle(rest.slice(start, nl));
      start = nl + 1;
      if (rec) yield rec;
    }
    rest = rest.slice(start);
  }
  if (rest.length > 0) {
    const rec = handle(rest);
    if (rec) yield rec;
  }
}

function abortError(signal: AbortSignal): Error {
  const r = signal.reason;
  if (r instanceof Error) return r;
  const e = new SeqlearnError(`the read was aborted${r !== undefined ? `: ${String(r)}` : ""}`);
  e.name = "AbortError";
  return e;
}

// ---- tokenisation -------------------------------------------------------------------------

/** Options of tokenizeRecord and loadDataset. */
export interface TokenizeOptions {
  /** Most tokens per sequence (BOS + prompt + response); default 1024. */
  maxLength?: number;
}

function seg(parts: Array<[ArrayLike<number>, number]>): Segment {
  let n = 0;
  for (const [t] of parts) n += t.length;
  const tokens = new Int32Array(n), trained = new Uint8Array(n);
  let off = 0;
  for (const [t, flag] of parts) {
    tokens.set(t, off);
    trained.fill(flag, off, off + t.length);
    off += t.length;
  }
  return { tokens, trained };
}

function promptSegment(tok: Tokenizer, p: Turns): Segment {
  if (typeof p === "string") return seg([[[tok.bos], 0], [tok.encode(p), 0]]);
  return seg([[[tok.bos], 0], ...p.flatMap((m) => turn(tok, m, false))]);
}

function turn(tok: Tokenizer, m: Message, inResponse: boolean): Array<[ArrayLike<number>, number]> {
  const trained = inResponse && m.role === "assistant" ? 1 : 0;
  return [[[tok.roleToken(m.role)], 0], [tok.encode(m.content), trained], [[tok.eos], trained]];
}

function responseSegment(tok: Tokenizer, r: Turns, what: string, fail: (code: DatasetErrorCode, msg: string) => never): Segment {
  if (typeof r === "string") {
    if (r.length === 0) fail("empty", `"${what}" is empty: nothing to train on`);
    return seg([[tok.encode(r), 1], [[tok.eos], 1]]);
  }
  if (!r.some((m) => m.role === "assistant")) fail("empty", `"${what}" has no assistant message: nothing to train on`);
  return seg(r.flatMap((m) => turn(tok, m, true)));
}

/** Tokenise a parsed record with `tok`: the prompt segment (BOS + prompt, untrained) and the
 *  response segment(s) with their training flags. Raises DatasetError (`empty`, `too-long`)
 *  naming the record's line. */
export function tokenizeRecord(rec: DataRecord, tok: Tokenizer, opts: TokenizeOptions = {}): Example {
  const o = checkOptions<TokenizeOptions>(opts, "tokenizeRecord", ["maxLength"]);
  const maxLength = maxLengthOf(o.maxLength);
  const fail = (code: DatasetErrorCode, msg: string): never => {
    throw new DatasetError(code, msg, { line: rec.line });
  };
  const check = (p: Segment, r: Segment, what: string) => {
    const L = p.tokens.length + r.tokens.length;
    if (L > maxLength) fail("too-long", `the ${what} sequence has ${L} tokens, more than maxLength = ${maxLength}`);
  };
  switch (rec.layout) {
    case "preference": {
      const prompt = promptSegment(tok, rec.prompt);
      const chosen = responseSegment(tok, rec.chosen, "chosen", fail), rejected = responseSegment(tok, rec.rejected, "rejected", fail);
      check(prompt, chosen, "chosen");
      check(prompt, rejected, "rejected");
      return { layout: "preference", line: rec.line, prompt, chosen, rejected };
    }
    case "unpaired":
    case "reward":
    case "completion": {
      const prompt = promptSegment(tok, rec.prompt), completion = responseSegment(tok, rec.completion, "completion", fail);
      check(prompt, completion, "completion");
      if (rec.layout === "unpaired") return { layout: "unpaired", line: rec.line, prompt, completion, label: rec.label };
      if (rec.layout === "reward") return { layout: "reward", line: rec.line, prompt, completion, reward: rec.reward };
      return { layout: "completion", line: rec.line, prompt, completion };
    }
    case "messages": {
      if (rec.messages.length === 0) fail("empty", `"messages" is empty`);
      const prompt = seg([[[tok.bos], 0]]), completion = responseSegment(tok, rec.messages, "messages", fail);
      check(prompt, completion, "messages");
      return { layout: "messages", line: rec.line, prompt, completion };
    }
    default: {
      if (rec.text.length === 0) fail("empty", `"text" is empty`);
      const prompt = seg([[[tok.bos], 0]]), completion = seg([[tok.encode(rec.text), 1], [[tok.eos], 1]]);
      check(prompt, completion, "text");
      return { layout: "text", line: rec.line, prompt, completion };
    }
  }
}

function maxLengthOf(v: unknown): number {
  if (v === undefined) return 1024;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 2) throw new ValueError(`maxLength must be an integer ≥ 2 (BOS and one trained token), got ${String(v)}`);
  return v;
}

/** A tokenised dataset. */
export interface Dataset {
  /** The layout of every example. */
  layout: Layout;
  /** The examples, in file order. */
  examples: Example[];
  /** Lines skipped with `overLong: "skip"`. */
  skipped: number[];
}

/** Options of loadDataset. */
export interface LoadOptions extends TokenizeOptions, ReadOptions {
  /** What to do with a sequence longer than maxLength: `error` (default, naming the line) or
   *  `skip` (its line is listed in `skipped`). */
  overLong?: "error" | "skip";
  /** Called every 1000 lines with the number read so far. */
  onProgress?: (lines: number) => void;
}

/** Read and tokenise a whole JSON-lines dataset (readJsonl + tokenizeRecord). */
export async function loadDataset(source: TextSource, tok: Tokenizer, opts: LoadOptions = {}): Promise<Dataset> {
  const o = checkOptions<LoadOptions>(opts, "loadDataset", ["layout", "signal", "maxLength", "overLong", "onProgress"]);
  if (!(tok instanceof Tokenizer)) throw new ValueError("loadDataset: tok must be a Tokenizer (Tokenizer.byteLevel() or a trained one)");
  const overLong = o.overLong ?? "error";
  if (overLong !== "error" && overLong !== "skip") throw new ValueError(`loadDataset: overLong must be "error" or "skip", got ${JSON.stringify(overLong)}`);
  const examples: Example[] = [];
  const skipped: number[] = [];
  let layout: Layout | null = o.layout ?? null;
  const name = sourceName(source);
  let n = 0;
  for await (const rec of readJsonl(source, { layout: o.layout, signal: o.signal })) {
    layout = rec.layout;
    try {
      examples.push(tokenizeRecord(rec, tok, { maxLength: o.maxLength }));
    } catch (e) {
      if (e instanceof DatasetError && e.code === "too-long" && overLong === "skip") skipped.push(rec.line);
      else if (e instanceof DatasetError) throw new DatasetError(e.code, e.message.replace(/^line \d+: /, ""), { line: rec.line, source: name });
      else throw e;
    }
    if (++n % 1000 === 0) o.onProgress?.(n);
  }
  if (layout === null) throw new DatasetError("empty", "the dataset has no examples", { source: name });
  return { layout, examples, skipped };
}

// ---- order and batches --------------------------------------------------------------------

/** A permutation of 0 … n−1 from (seed, epoch): Fisher–Yates with the engine's generator on
 *  stream `epoch`, so every epoch has its own order and the same (seed, epoch) gives the same
 *  order in every runtime and on every worker. */
export function shuffledOrder(n: number, seed: number, epoch = 0): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`shuffledOrder: n must be an integer ≥ 0, got ${n}`);
  checkSeed(seed, "seed");
  checkSeed(epoch, "epoch");
  const p = Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(seed, epoch);
  try {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
  } finally {
    rng.dispose();
  }
  return p;
}

/** Padded token batch: `rows` sequences of `cols` positions, row-major. */
export interface PaddedBatch {
  /** Sequences. */
  rows: number;
  /** Positions per sequence (the longest sequence minus one, or the `cols` asked for). */
  cols: number;
  /** Model inputs seq[0 … cols−1] (PAD after the end). */
  inputs: Int32Array;
  /** Next tokens seq[1 … cols] (PAD after the end). */
  targets: Int32Array;
  /** 1 where the target is trained on. */
  mask: Uint8Array;
  /** Positions with a real target per row (sequence length − 1). */
  lengths: Int32Array;
}

/** The model's view of a padded batch: `{ inputs, targets, mask }` in the form
 *  `LanguageModel.logProbs` takes (the token ids are shared, not copied), plus `promptIds`
 *  for a model with a prompt embedding. The one bridge between the data and the models:
 *  trainers never re-pack rows by hand. */
export function lmBatch(batch: PaddedBatch, promptIds?: ArrayLike<number>): LmBatch {
  checkPadded(batch, "lmBatch");
  const out: LmBatch = {
    inputs: { data: batch.inputs, batch: batch.rows, length: batch.cols },
    targets: { data: batch.targets, batch: batch.rows, length: batch.cols },
    mask: batch.mask,
  };
  if (promptIds !== undefined) out.promptIds = promptIds;
  return out;
}

/** Rows of several padded batches of the same width, stacked in order into one (e.g. the
 *  chosen rows, then the rejected rows: one forward pass for both halves of a preference
 *  batch, as TRL concatenates them). */
export function stackPadded(parts: readonly PaddedBatch[]): PaddedBatch {
  if (!Array.isArray(parts) || parts.length === 0) throw new ValueError("stackPadded: give at least one batch");
  parts.forEach((p, i) => checkPadded(p, `stackPadded: parts[${i}]`));
  const cols = parts[0].cols;
  for (let i = 1; i < parts.length; i++) if (parts[i].cols !== cols) throw new ValueError(`stackPadded: parts[${i}] has ${parts[i].cols} columns, parts[0] ${cols}`);
  const rows = parts.reduce((a, p) => a + p.rows, 0);
  const out: PaddedBatch = {
    rows, cols, inputs: new Int32Array(rows * cols), targets: new Int32Array(rows * cols), mask: new Uint8Array(rows * cols), lengths: new Int32Array(rows),
  };
  let r = 0;
  for (const p of parts) {
    out.inputs.set(p.inputs, r * cols);
    out.targets.set(p.targets, r * cols);
    out.mask.set(p.mask, r * cols);
    out.lengths.set(p.lengths, r);
    r += p.rows;
  }
  return out;
}

function checkPadded(b: PaddedBatch, where: string): void {
  if (!b || typeof b !== "object" || !(b.inputs instanceof Int32Array) || !(b.targets instanceof Int32Array) || !(b.mask instanceof Uint8Array)) {
    throw new ValueError(`${where}: expected a PaddedBatch { rows, cols, inputs, targets, mask, lengths } (from collate or padSequences)`);
  }
  const n = b.rows * b.cols;
  if (!(Number.isInteger(b.rows) && b.rows >= 1 && Number.isInteger(b.cols) && b.cols >= 1) || b.inputs.length !== n || b.targets.length !== n || b.mask.length !== n) {
    throw new ValueError(`${where}: a PaddedBatch of ${b.rows}×${b.cols} needs inputs, targets and mask of ${n} entries`);
  }
}

/** A batch of preference pairs: chosen and rejected rows of the same width. */
export interface PairDataBatch {
  /** The layout. */
  layout: "preference";
  /** Source line of each pair. */
  lines: Int32Array;
  /** Prompt + chosen response per row. */
  chosen: PaddedBatch;
  /** Prompt + rejected response per row. */
  rejected: PaddedBatch;
}

/** A batch of unpaired examples, with KTO's mismatched sequences. */
export interface LabelDataBatch {
  /** The layout. */
  layout: "unpaired";
  /** Source line of each example. */
  lines: Int32Array;
  /** Prompt + completion per row. */
  sequences: PaddedBatch;
  /** 1: desirable. */
  labels: Uint8Array;
  /** Prompt i + completion klPairs[i], for z0 (null for a batch of one). */
  kl: PaddedBatch | null;
  /** The completion paired with each prompt in `kl` (ktoMismatchedPairs). */
  klPairs: Int32Array | null;
}

/** A batch of examples with rewards. */
export interface RewardDataBatch {
  /** The layout. */
  layout: "reward";
  /** Source line of each example. */
  lines: Int32Array;
  /** Prompt + completion per row. */
  sequences: PaddedBatch;
  /** The rewards. */
  rewards: Float64Array;
}

/** A batch of completions, conversations or texts. */
export interface SequenceDataBatch {
  /** The layout. */
  layout: "completion" | "messages" | "text";
  /** Source line of each example. */
  lines: Int32Array;
  /** The sequences. */
  sequences: PaddedBatch;
}

/** A collated batch; its shape follows the layout. */
export type DataBatch = PairDataBatch | LabelDataBatch | RewardDataBatch | SequenceDataBatch;

/** Options of collate and batches. */
export interface CollateOptions {
  /** Pad every row to this many positions (default: the longest row of the batch). */
  cols?: number;
}

/** Pad sequences (prompt + response segments) into a PaddedBatch. */
export function padSequences(parts: ReadonlyArray<readonly [Segment, Segment]>, pad: number, cols?: number): PaddedBatch {
  let longest = 0;
  for (const [p, r] of parts) longest = Math.max(longest, p.tokens.length + r.tokens.length - 1);
  const T = cols ?? longest;
  if (!Number.isInteger(T) || T < 1) throw new ValueError(`cols must be an integer ≥ 1, got ${String(cols)}`);
  if (longest > T) throw new ValueError(`a sequence needs ${longest} positions, more than cols = ${T}`);
  const R = parts.length;
  const inputs = new Int32Array(R * T).fill(pad), targets = new Int32Array(R * T).fill(pad);
  const mask = new Uint8Array(R * T), lengths = new Int32Array(R);
  parts.forEach(([p, r], row) => {
    const L = p.tokens.length + r.tokens.length;
    const at = (k: number) => (k < p.tokens.length ? p.tokens[k] : r.tokens[k - p.tokens.length]);
    const tr = (k: number) => (k < p.tokens.length ? p.trained[k] : r.trained[k - p.tokens.length]);
    for (let t = 0; t + 1 < L; t++) {
      inputs[row * T + t] = at(t);
      targets[row * T + t] = at(t + 1);
      mask[row * T + t] = tr(t + 1);
    }
    lengths[row] = L - 1;
  });
  return { rows: R, cols: T, inputs, targets, mask, lengths };
}

/** Collate examples of one layout into a batch. Unpaired batches of m ≥ 2 examples also get
 *  KTO's mismatched sequences: prompt i with the completion of example (i − 1) mod m
 *  (ktoMismatchedPairs), trained on the completion tokens, for the z0 estimate. */
export function collate(examples: readonly Example[], tok: Tokenizer, opts: CollateOptions = {}): DataBatch {
  const o = checkOptions<CollateOptions>(opts, "collate", ["cols"]);
  if (examples.length === 0) throw new ValueError("collate: no examples");
  const layout = examples[0].layout;
  for (const e of examples) if (e.layout !== layout) throw new ValueError(`collate: line ${e.line} has layout ${e.layout}, the batch ${layout}`);
  const lines = Int32Array.from(examples, (e) => e.line);
  const pad = tok.pad;
  switch (layout) {
    case "preference": {
      const ex = examples as Array<PreferenceExample>;
      // one width for both halves, so chosen and rejected rows can be stacked
      let T = o.cols;
      if (T === undefined) {
        T = 1;
        for (const e of ex) T = Math.max(T, e.prompt.tokens.length + Math.max(e.chosen.tokens.length, e.rejected.tokens.length) - 1);
      }
      return {
        layout, lines,
        chosen: padSequences(ex.map((e) => [e.prompt, e.chosen] as const), pad, T),
        rejected: padSequences(ex.map((e) => [e.prompt, e.rejected] as const), pad, T),
      };
    }
    case "unpaired": {
      const ex = examples as Array<UnpairedExample>;
      const m = ex.length;
      const j = m >= 2 ? ktoMismatchedPairs(m) : null;
      let T = o.cols;
      if (T === undefined) {
        T = 1;
        for (let i = 0; i < m; i++) {
          T = Math.max(T, ex[i].prompt.tokens.length + ex[i].completion.tokens.length - 1);
          if (j) T = Math.max(T, ex[i].prompt.tokens.length + ex[j[i]].completion.tokens.length - 1);
        }
      }
      return {
        layout, lines,
        sequences: padSequences(ex.map((e) => [e.prompt, e.completion] as const), pad, T),
        labels: Uint8Array.from(ex, (e) => (e.label ? 1 : 0)),
        kl: j ? padSequences(ex.map((e, i) => [e.prompt, ex[j[i]].completion] as const), pad, T) : null,
        klPairs: j,
      };
    }
    case "reward": {
      const ex = examples as Array<RewardExample>;
      return { layout, lines, sequences: padSequences(ex.map((e) => [e.prompt, e.completion] as const), pad, o.cols), rewards: Float64Array.from(ex, (e) => e.reward) };
    }
    default: {
      const ex = examples as Array<SequenceExample>;
      return { layout, lines, sequences: padSequences(ex.map((e) => [e.prompt, e.completion] as const), pad, o.cols) };
    }
  }
}

/** Options of batches. */
export interface BatchOptions extends CollateOptions {
  /** Examples per batch (per micro-batch for KTO's z0). */
  batchSize: number;
  /** Shuffle with shuffledOrder(n, seed, epoch); without a seed the file order is kept. */
  seed?: number;
  /** The epoch, which selects the shuffle's stream. Default 0. */
  epoch?: number;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
}

/** The batches of one epoch, collated, in a deterministic order. */
export function* batches(data: Dataset, tok: Tokenizer, opts: BatchOptions): Generator<DataBatch> {
  const o = checkOptions<BatchOptions>(opts, "batches", ["batchSize", "seed", "epoch", "dropLast", "cols"]);
  const size = o.batchSize;
  if (!Number.isInteger(size) || size < 1) throw new ValueError(`batches: batchSize must be an integer ≥ 1, got ${String(size)}`);
  if (data.layout === "unpaired" && size < 2) throw new DatasetError("too-few", "batches: KTO estimates z0 within each micro-batch and needs batchSize ≥ 2");
  const n = data.examples.length;
  const order = o.seed === undefined ? Int32Array.from({ length: n }, (_, i) => i) : shuffledOrder(n, o.seed, o.epoch ?? 0);
  for (let s = 0; s < n; s += size) {
    const idx = order.subarray(s, Math.min(n, s + size));
    if (idx.length < size && o.dropLast) break;
    if (data.layout === "unpaired" && idx.length < 2) break; // a lone last example has no mismatched pair
    yield collate(Array.from(idx, (i) => data.examples[i]), tok, { cols: o.cols });
  }
}
