// Tokenizers (byte-level, trained BPE, serialisation, typed errors) and datasets (TRL layouts,
// per-role masks, padded batches, typed errors naming the line, seeded order).
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init } from "../sdk/index.js";
import * as A from "../sdk/align/index.js";
import { textSource } from "../sdk/io/source.js";

beforeAll(async () => {
  await init();
});

const tok = A.Tokenizer.byteLevel();
const jsonl = (...rows: unknown[]) => textSource(rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n") + "\n");

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function rejects(p: Promise<unknown>, code: A.DatasetErrorCode, line: number | undefined, pattern?: RegExp): Promise<A.DatasetError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(A.DatasetError);
  const d = err as A.DatasetError;
  expect(d.code).toBe(code);
  expect(d.line).toBe(line);
  if (pattern) expect(d.message).toMatch(pattern);
  return d;
}

describe("byte-level tokenizer", () => {
  it("every UTF-8 byte is a token, specials come after, and text round-trips", () => {
    expect(tok.vocabSize).toBe(256 + A.SPECIAL_TOKENS.length);
    expect([tok.bos, tok.eos, tok.pad]).toEqual([256, 257, 258]);
    expect(tok.special("<|eos|>")).toBe(257);
    expect(tok.roleToken("assistant")).toBe(256 + 3 + 2);
    for (const s of ["", "hello", "naïve café — ∑ 𝔼[x] 🙂", "a\r\nb\t\u0000c"]) {
      const ids = tok.encode(s);
      expect(Array.from(ids)).toEqual(Array.from(new TextEncoder().encode(s)));
      expect(tok.decode(ids)).toBe(s);
    }
  });
  it("text never encodes to a special token; specials decode to their names or are skipped", () => {
    const ids = tok.encode("<|eos|><|assistant|>");
    expect(ids.every((i) => i < 256)).toBe(true);
    expect(tok.decode([tok.bos, 104, 105, tok.eos])).toBe("<|bos|>hi<|eos|>");
    expect(tok.decode([tok.bos, 104, 105, tok.eos], { skipSpecial: true })).toBe("hi");
  });
  it("unknown tokens, specials and roles are typed errors", () => {
    const e = (() => {
      try {
        tok.decode([104, 9999]);
      } catch (x) {
        return x as A.TokenizerError;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(A.TokenizerError);
    expect(e!.code).toBe("unknown-token");
    expect(e!.token).toBe(9999);
    expect(e!.message).toMatch(/ids\[1\] = 9999/);
    expect(() => tok.special("<|foo|>")).toThrow(expect.objectContaining({ code: "unknown-special" }));
    expect(() => tok.roleToken("bot")).toThrow(expect.objectContaining({ code: "unknown-role" }));
    expect(() => tok.decode([1.5])).toThrow(A.TokenizerError);
    expect(() => tok.encode(3 as never)).toThrow(expect.objectContaining({ code: "bad-input" }));
  });
});

describe("BPE", () => {
  const corpus = ["the cat sat on the mat", "the cat ate the rat", "a mat, a hat, the cat"];
  it("training is deterministic, merges frequent pairs first, and encodes shorter", () => {
    const a = A.Tokenizer.trainBpe(corpus, { vocabSize: 290 });
    const b = A.Tokenizer.trainBpe([...corpus], { vocabSize: 290 });
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(a.kind).toBe("bpe");
    expect(a.vocabSize).toBeLessThanOrEqual(290);
    const merges = a.toJSON().merges;
    // the most frequent pair of the corpus: "at" (cat ×3, sat, mat ×2, ate, rat, hat) = 9
    expect(merges[0]).toEqual([97, 116]);
    const s = "the cat sat on the mat";
    expect(a.encode(s).length).toBeLessThan(tok.encode(s).length);
    for (const t of [...corpus, "unseen words: zebra 123 ✓", ""]) expect(a.decode(a.encode(t))).toBe(t);
  });
  it("ties are broken by the smallest left id, then the smallest right id", () => {
    // "ab" and "cd" both occur twice: (97, 98) < (99, 100), so "ab" is merged first
    const t = A.Tokenizer.trainBpe(["cd ab", "ab cd"], { vocabSize: 265 });
    expect(t.toJSON().merges).toEqual([[97, 98]]);
    const u = A.Tokenizer.trainBpe(["ba", "ab"], { vocabSize: 265, minFrequency: 1 });
    expect(u.toJSON().merges).toEqual([[97, 98]]);
  });
  it("merges never cross chunk boundaries and stop at minFrequency", () => {
    const t = A.Tokenizer.trainBpe(["x y x y"], { vocabSize: 300, minFrequency: 2 });
    // chunks "x", " y", " x", " y": the only repeated pair is (" ", "y") — no "x y" token
    expect(t.toJSON().merges).toEqual([[32, 121]]);
  });
  it("serialises with the model and refuses malformed files", () => {
    const t = A.Tokenizer.trainBpe(corpus, { vocabSize: 280 });
    const back = A.Tokenizer.fromJSON(JSON.parse(JSON.stringify(t.toJSON())));
    expect(back.toJSON()).toEqual(t.toJSON());
    expect(Array.from(back.encode("the hat"))).toEqual(Array.from(t.encode("the hat")));
    expect(A.Tokenizer.fromJSON(JSON.stringify(tok.toJSON())).vocabSize).toBe(264);
    const j = t.toJSON();
    const bad = (x: unknown, re: RegExp) => expect(() => A.Tokenizer.fromJSON(x)).toThrow(re);
    bad({ ...j, format: "seqlearn.tokenizer/9" }, /format/);
    bad({ ...j, kind: "wordpiece" }, /kind/);
    bad({ ...j, specials: j.specials.slice(1) }, /specials/);
    bad({ ...j, merges: [[97, 300]] }, /merges\[0\]/);
    bad({ ...j, merges: [[97, 256]] }, /merges\[0\]/); // a special token inside a merge
    bad({ ...j, merges: [[97, 98], [97, 98]] }, /repeats/);
    bad({ ...j, kind: "byte" }, /no merges/);
    bad("{not json", /not JSON/);
    bad(null, /object/);
    expect(() => A.Tokenizer.fromJSON(null)).toThrow(expect.objectContaining({ code: "bad-format" }));
  });
});

describe("datasets: layouts", () => {
  it("detects TRL's layouts by their keys", () => {
    expect(A.detectLayout({ prompt: "p", chosen: "a", rejected: "b" })).toBe("preference");
    expect(A.detectLayout({ prompt: "p", completion: "a", label: true })).toBe("unpaired");
    expect(A.detectLayout({ prompt: "p", completion: "a", reward: 0.5 })).toBe("reward");
    expect(A.detectLayout({ prompt: "p", completion: "a" })).toBe("completion");
    expect(A.detectLayout({ messages: [] })).toBe("messages");
    expect(A.detectLayout({ text: "x" })).toBe("text");
    expect(A.detectLayout({ question: "x" })).toBeNull();
  });

  it("preference pairs: the prompt is context, the response and its EOS are trained", async () => {
    const ds = await A.loadDataset(jsonl({ prompt: "Q:", chosen: "yes", rejected: "no!" }), tok);
    expect(ds.layout).toBe("preference");
    const b = A.collate(ds.examples, tok);
    if (b.layout !== "preference") throw new Error("layout");
    const { chosen, rejected } = b;
    // sequence: BOS Q : y e s EOS → 6 positions; trained targets: y e s EOS
    expect(chosen.cols).toBe(6);
    expect(rejected.cols).toBe(6);
    expect(Array.from(chosen.inputs)).toEqual([256, 81, 58, 121, 101, 115]);
    expect(Array.from(chosen.targets)).toEqual([81, 58, 121, 101, 115, 257]);
    expect(Array.from(chosen.mask)).toEqual([0, 0, 1, 1, 1, 1]);
    expect(Array.from(rejected.targets)).toEqual([81, 58, 110, 111, 33, 257]);
    expect(Array.from(rejected.mask)).toEqual([0, 0, 1, 1, 1, 1]);
    expect(Array.from(b.lines)).toEqual([1]);
  });

  it("multi-turn messages: only assistant content and its EOS are trained (tool and observation masked)", async () => {
    const messages = [
      { role: "system", content: "S" }, { role: "user", content: "U" }, { role: "assistant", content: "A1" },
      { role: "tool", content: "T" }, { role: "observation", content: "O" }, { role: "assistant", content: "A2" },
    ];
    const ds = await A.loadDataset(jsonl({ messages }), tok);
    const b = A.collate(ds.examples, tok);
    const s = b.layout === "messages" ? b.sequences : null!;
    const rows: Array<[number, number]> = [];
    for (let t = 0; t < s.cols; t++) rows.push([s.targets[t], s.mask[t]]);
    const trained = rows.filter(([, m]) => m).map(([id]) => id);
    expect(tok.decode(trained)).toBe("A1<|eos|>A2<|eos|>");
    const ctx = rows.filter(([, m]) => !m).map(([id]) => id);
    expect(tok.decode(ctx)).toBe("<|system|>S<|eos|><|user|>U<|eos|><|assistant|><|tool|>T<|eos|><|observation|>O<|eos|><|assistant|>");
  });

  it("conversational preference pairs, with an explicit or an implicit prompt", async () => {
    const p = [{ role: "user", content: "2+2?" }];
    const explicit = await A.loadDataset(jsonl({ prompt: p, chosen: [{ role: "assistant", content: "4" }], rejected: [{ role: "assistant", content: "5" }] }), tok);
    const implicit = await A.loadDataset(jsonl({ chosen: [...p, { role: "assistant", content: "4" }], rejected: [...p, { role: "assistant", content: "5" }] }), tok);
    const a = A.collate(explicit.examples, tok), b = A.collate(implicit.examples, tok);
    expect(a).toEqual(b);
    if (a.layout !== "preference") throw new Error("layout");
    const trained = Array.from(a.chosen.targets).filter((_, t) => a.chosen.mask[t]);
    expect(tok.decode(trained)).toBe("4<|eos|>");
  });

  it("unpaired batches carry KTO's mismatched sequences (prompt i, completion (i − 1) mod m)", async () => {
    const rows = [
      { prompt: "a", completion: "1", label: true }, { prompt: "bb", completion: "22", label: false },
      { prompt: "c", completion: "333", label: 1 },
    ];
    const ds = await A.loadDataset(jsonl(...rows), tok);
    const b = A.collate(ds.examples, tok);
    if (b.layout !== "unpaired") throw new Error("layout");
    expect(Array.from(b.labels)).toEqual([1, 0, 1]);
    expect(Array.from(b.klPairs!)).toEqual([2, 0, 1]);
    const row = (tb: A.PaddedBatch, r: number) => tok.decode(Array.from(tb.targets.subarray(r * tb.cols, r * tb.cols + tb.lengths[r])));
    const trained = (tb: A.PaddedBatch, r: number) => tok.decode(Array.from(tb.targets.subarray(r * tb.cols, (r + 1) * tb.cols)).filter((_, t) => tb.mask[r * tb.cols + t]));
    expect(row(b.kl!, 0)).toBe("a333<|eos|>");
    expect(row(b.kl!, 1)).toBe("bb1<|eos|>");
    expect(trained(b.kl!, 2)).toBe("22<|eos|>");
    expect(b.sequences.cols).toBe(b.kl!.cols);
  });

  it("reward, completion and text layouts", async () => {
    const r = A.collate((await A.loadDataset(jsonl({ prompt: "x", completion: "y", reward: 0.25 }), tok)).examples, tok);
    expect(r.layout === "reward" && Array.from(r.rewards)).toEqual([0.25]);
    const c = A.collate((await A.loadDataset(jsonl({ prompt: "x", completion: "yz", id: 7 }), tok)).examples, tok);
    expect(c.layout === "completion" && Array.from(c.sequences.mask)).toEqual([0, 1, 1, 1]);
    const t = A.collate((await A.loadDataset(jsonl({ text: "hey" }), tok)).examples, tok);
    expect(t.layout === "text" && Array.from(t.sequences.mask)).toEqual([1, 1, 1, 1]);
    // an unpaired file read as completions (the label is ignored)
    const u = await A.loadDataset(jsonl({ prompt: "x", completion: "y", label: false }), tok, { layout: "completion" });
    expect(u.layout).toBe("completion");
  });

  it("pads rows to a common width with PAD and mask 0", async () => {
    const ds = await A.loadDataset(jsonl({ prompt: "p", completion: "a" }, { prompt: "p", completion: "abcd" }), tok);
    const b = A.collate(ds.examples, tok);
    const s = b.layout === "completion" ? b.sequences : null!;
    expect(s.cols).toBe(6);
    expect(Array.from(s.lengths)).toEqual([3, 6]);
    expect(Array.from(s.inputs.subarray(0, 6))).toEqual([256, 112, 97, 258, 258, 258]);
    expect(Array.from(s.mask.subarray(0, 6))).toEqual([0, 1, 1, 0, 0, 0]);
    expect(A.collate(ds.examples, tok, { cols: 8 }).layout).toBe("completion");
    expect(() => A.collate(ds.examples, tok, { cols: 4 })).toThrow(/more than cols = 4/);
  });
});

describe("datasets: errors name the line", () => {
  it("bad JSON, wrong layout, wrong types, unknown roles, empty and over-long sequences", async () => {
    await rejects(A.loadDataset(jsonl({ prompt: "a", completion: "b" }, "{oops"), tok), "bad-json", 2);
    await rejects(A.loadDataset(jsonl({ prompt: "a", completion: "b" }, { prompt: "a", chosen: "b", rejected: "c" }), tok), "wrong-layout", 2, /"completion" missing/);
    await rejects(A.loadDataset(jsonl({ question: "a" }), tok), "wrong-layout", 1, /layouts/);
    await rejects(A.loadDataset(jsonl([1, 2]), tok), "wrong-layout", 1, /an array/);
    await rejects(A.loadDataset(jsonl({ prompt: "a", completion: "b", label: "yes" }), tok), "bad-value", 1, /label/);
    await rejects(A.loadDataset(jsonl({ prompt: "a", completion: "b", reward: "high" }), tok), "bad-value", 1, /reward/);
    await rejects(A.loadDataset(jsonl({ prompt: "a", chosen: "b", rejected: [{ role: "assistant", content: "c" }] }), tok), "bad-value", 1);
    await rejects(A.loadDataset(jsonl({ messages: [{ role: "assistnt", content: "x" }] }), tok), "unknown-role", 1, /did you mean "assistant"/);
    await rejects(A.loadDataset(jsonl({ messages: [{ role: "user", content: 3 }] }), tok), "bad-value", 1, /content/);
    await rejects(A.loadDataset(jsonl({ prompt: "a", completion: "b" }, { prompt: "a", completion: "" }), tok), "empty", 2, /empty/);
    await rejects(A.loadDataset(jsonl({ messages: [{ role: "user", content: "hi" }] }), tok), "empty", 1, /no assistant/);
    await rejects(A.loadDataset(jsonl({ prompt: "a", completion: "b" }, { prompt: "a", completion: "x".repeat(50) }), tok, { maxLength: 20 }), "too-long", 2, /53 tokens/);
    await rejects(A.loadDataset(textSource("\n\n"), tok), "empty", undefined, /no examples/);
  });
  it("blank lines are skipped but counted; CRLF line ends are fine; over-long lines can be skipped", async () => {
    const src = textSource(`${JSON.stringify({ prompt: "a", completion: "b" })}\r\n\r\n${JSON.stringify({ prompt: "a", completion: "x".repeat(40) })}\r\n${JSON.stringify({ prompt: "c", completion: "d" })}`);
    const ds = await A.loadDataset(src, tok, { maxLength: 10, overLong: "skip" });
    expect(ds.examples.map((e) => e.line)).toEqual([1, 4]);
    expect(ds.skipped).toEqual([3]);
  });
  it("reads a file path in chunks, and the error names the file and line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "seqlearn-data-"));
    const file = join(dir, "pairs.jsonl");
    const rows = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ prompt: `q${i}`, chosen: "good", rejected: "bad" }));
    rows[2500] = JSON.stringify({ prompt: "q", chosen: "good" });
    writeFileSync(file, rows.join("\n"));
    const e = await rejects(A.loadDataset(file, tok), "wrong-layout", 2501);
    expect(e.message).toContain(file);
    // streamed: the first 2500 records arrive before the bad line is reached
    const seen: number[] = [];
    await expect((async () => {
      for await (const r of A.readJsonl(file)) seen.push(r.line);
    })()).rejects.toThrow(/line 2501/);
    expect(seen.length).toBe(2500);
  });
  it("abort signal stops the read; options are checked", async () => {
    const ac = new AbortController();
    ac.abort(new Error("stop"));
    await expect(A.loadDataset(jsonl({ text: "a" }), tok, { signal: ac.signal })).rejects.toThrow(/stop/);
    await expect(A.loadDataset(jsonl({ text: "a" }), tok, { maxLen: 3 } as never)).rejects.toThrow(/did you mean "maxLength"/);
    await expect(collect(A.readJsonl(jsonl({ text: "a" }), { layout: "txt" as never }))).rejects.toThrow(/did you mean "text"/);
  });
});

describe("datasets: order", () => {
  it("shuffledOrder is a permutation fixed by (seed, epoch)", () => {
    const a = A.shuffledOrder(50, 7, 0), b = A.shuffledOrder(50, 7, 0), c = A.shuffledOrder(50, 7, 1), d = A.shuffledOrder(50, 8, 0);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Array.from(a)).not.toEqual(Array.from(d));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
  it("batches follow the order, drop a lone KTO example, and refuse KTO micro-batches of one", async () => {
    const ds = await A.loadDataset(jsonl(...Array.from({ length: 7 }, (_, i) => ({ prompt: `${i}`, completion: "c", label: i % 2 === 0 }))), tok);
    const order = A.shuffledOrder(7, 3, 2);
    const lines = [...A.batches(ds, tok, { batchSize: 3, seed: 3, epoch: 2 })].map((b) => Array.from(b.lines));
    expect(lines).toEqual([Array.from(order.subarray(0, 3), (i) => i + 1), Array.from(order.subarray(3, 6), (i) => i + 1)]);
    expect([...A.batches(ds, tok, { batchSize: 2 })].length).toBe(3);
    expect(() => [...A.batches(ds, tok, { batchSize: 1 })]).toThrow(/batchSize ≥ 2/);
    expect([...A.batches(ds, tok, { batchSize: 4, dropLast: true })].length).toBe(1);
  });
});
