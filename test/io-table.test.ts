import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCsv, CsvParser, type CsvRecord } from "../sdk/io/csv.js";
import { readTable, streamTable, readHeader, formatFromPath } from "../sdk/io/table.js";
import { textSource } from "../sdk/io/source.js";
import { DataError } from "../sdk/io/errors.js";
import { ValueError } from "../sdk/engine/errors.js";

async function dataError(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error("expected a DataError");
}

/** Feed `text` to the parser split at every possible position into two chunks, and into
 *  single characters; all must agree with the one-chunk parse. */
function splitsAgree(text: string): CsvRecord[] {
  const whole = parseCsv(text);
  for (let cut = 0; cut <= text.length; cut++) {
    const p = new CsvParser();
    const out: CsvRecord[] = [];
    p.push(text.slice(0, cut), out);
    p.push(text.slice(cut), out);
    p.end(out);
    expect(out, `cut at ${cut}`).toEqual(whole);
  }
  const p = new CsvParser();
  const out: CsvRecord[] = [];
  for (const ch of text) p.push(ch, out);
  p.end(out);
  expect(out).toEqual(whole);
  return whole;
}

describe("CSV tokenizer", () => {
  it("quoted fields with delimiters, doubled quotes and line breaks; CRLF; line numbers", () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""",3\r\n"two\r\nlines",,"" \r\nlast,1,2';
    const recs = splitsAgree(text);
    expect(recs).toEqual([
      { fields: ["a", "b", "c"], line: 1 },
      { fields: ["x, y", 'say "hi"', "3"], line: 2 },
      { fields: ["two\r\nlines", "", ""], line: 3 },
      { fields: ["last", "1", "2"], line: 5 },
    ]);
  });

  it("lone CR line endings, blank lines skipped, no final newline", () => {
    const recs = splitsAgree("h1,h2\r1,2\r\r\n\n3,4");
    expect(recs).toEqual([
      { fields: ["h1", "h2"], line: 1 },
      { fields: ["1", "2"], line: 2 },
      { fields: ["3", "4"], line: 5 },
    ]);
  });

  it("unterminated quote names the line where the quote opened", () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(/line 2, column 2: unterminated quoted field/);
  });

  it("garbage after a closing quote is an error naming line and column", () => {
    expect(() => parseCsv('a,b\n1,"x"y\n')).toThrow(/line 2, column 2: unexpected character "y" after a closing quote/);
  });

  it("custom delimiter", () => {
    expect(parseCsv("a;b\n1;2", { delimiter: ";" }).map((r) => r.fields)).toEqual([["a", "b"], ["1", "2"]]);
    expect(() => new CsvParser({ delimiter: '"' })).toThrow(DataError);
  });
});

describe("numeric tables", () => {
  const csv = "x1,x2,y\n1,2,3\n4.5,-6e-1,7\n.5,+8,9\n";

  it("reads features and target in order, with line numbers", async () => {
    const t = await readTable(textSource(csv), { target: "y" });
    expect(t.columns).toEqual(["x1", "x2", "y"]);
    expect(t.features).toEqual(["x1", "x2"]);
    expect(Array.from(t.X.data)).toEqual([1, 2, 4.5, -0.6, 0.5, 8]);
    expect(Array.from(t.y!)).toEqual([3, 7, 9]);
  });

  it("feature selection, ignore list, target in the middle", async () => {
    const t = await readTable(textSource("a,t,b,c\n1,2,3,4\n5,6,7,8\n"), { target: "t", ignore: ["c"] });
    expect(t.features).toEqual(["a", "b"]);
    expect(Array.from(t.X.data)).toEqual([1, 3, 5, 7]);
    expect(Array.from(t.y!)).toEqual([2, 6]);
    const u = await readTable(textSource("a,t,b,c\n1,2,3,4\n"), { features: ["c", "a"] });
    expect(Array.from(u.X.data)).toEqual([4, 1]);
    expect(u.y).toBeNull();
  });

  it("a UTF-8 byte-order mark is removed (bytes and strings)", async () => {
    const bytes = new TextEncoder().encode("\uFEFFy,x\n1,2\n");
    expect(bytes[0]).toBe(0xef);
    const t = await readTable([bytes], { target: "y" });
    expect(t.columns).toEqual(["y", "x"]);
    const s = await readTable(textSource("\uFEFFy,x\n1,2\n"), { target: "y" });
    expect(s.columns).toEqual(["y", "x"]);
  });

  it("multi-byte characters split across byte chunks decode correctly", async () => {
    const bytes = new TextEncoder().encode("température,y\n1,2\n");
    const parts = [bytes.slice(0, 5), bytes.slice(5)]; // splits the two bytes of "é"
    const t = await readTable(parts, { target: "y" });
    expect(t.features).toEqual(["température"]);
  });

  it("missing value → error naming line and column", async () => {
    const e = await dataError(readTable(textSource("a,b,y\n1,2,3\n4,,6\n"), { target: "y" }));
    expect(e.line).toBe(3);
    expect(e.column).toBe(2);
    expect(e.columnName).toBe("b");
    expect(e.message).toMatch(/line 3, column 2 \("b"\): missing value/);
  });

  it("non-numeric values → error naming line, column and the text", async () => {
    const e = await dataError(readTable(textSource("a,y\n1,2\n3,4\nabc,5\n"), { target: "y" }));
    expect([e.line, e.column]).toEqual([4, 1]);
    expect(e.message).toMatch(/expected a number, got "abc"/);
    for (const bad of ["0x1f", "Infinity", "NaN", "1,5".replace(",", " "), "1e999"]) {
      const f = await dataError(readTable(textSource(`a,y\n${bad},1\n`), { target: "y" }));
      expect(f.line, bad).toBe(2);
    }
    const g = await dataError(readTable(textSource("a,y\n1,oops\n"), { target: "y" }));
    expect([g.column, g.columnName]).toEqual([2, "y"]);
  });

  it("wrong number of fields → error naming the line", async () => {
    const e = await dataError(readTable(textSource("a,b,y\n1,2,3\n4,5\n"), { target: "y" }));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/expected 3 fields \(as in the header\), got 2/);
    const f = await dataError(readTable(textSource("a,b,y\n1,2,3,4\n"), { target: "y" }));
    expect(f.line).toBe(2);
  });

  it("line numbers count physical lines, including quoted line breaks and blank lines", async () => {
    const e = await dataError(readTable(textSource('a,y\n"1",2\n\n"3\n",4\n5,x\n'), { target: "y" }));
    expect(e.line).toBe(6);
  });

  it("empty input, header only, blank input", async () => {
    const e = await dataError(readTable(textSource(""), { target: "y" }));
    expect(e.message).toMatch(/empty input/);
    await dataError(readTable(textSource("\n\n"), { target: "y" }));
    const t = await readTable(textSource("a,b,y\n"), { target: "y" });
    expect(t.X.rows).toBe(0);
    expect(t.X.cols).toBe(2);
    expect(t.y!.length).toBe(0);
    expect(t.features).toEqual(["a", "b"]);
  });

  it("header problems: unknown target, duplicate names, empty name, nothing left as a feature", async () => {
    expect((await dataError(readTable(textSource("a,b\n1,2\n"), { target: "y" }))).message).toMatch(/no target column "y"; the columns are "a", "b"/);
    expect((await dataError(readTable(textSource("a,a\n1,2\n")))).message).toMatch(/duplicate column name "a"/);
    expect((await dataError(readTable(textSource("a,,c\n1,2,3\n")))).column).toBe(2);
    await dataError(readTable(textSource("y\n1\n"), { target: "y" }));
    await dataError(readTable(textSource("a,y\n1,2\n"), { target: "y", features: ["y"] }));
    const h = await readTable(textSource("a,b\n1,2\n"), { target: "y", targetOptional: true });
    expect(h.y).toBeNull();
    expect(h.features).toEqual(["a", "b"]);
  });

  it("streams in batches of the requested size with progress and a row limit", async () => {
    const n = 1037;
    let text = "u,v,y\n";
    for (let i = 0; i < n; i++) text += `${i},${2 * i},${i % 7}\n`;
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 97) chunks.push(text.slice(i, i + 97)); // cut anywhere
    async function* gen() {
      for (const c of chunks) yield c;
    }
    const seen: number[] = [];
    let progressRows = 0;
    let total = 0;
    for await (const b of streamTable(gen(), { target: "y", batchSize: 100, onProgress: (p) => (progressRows = p.rows) })) {
      expect(b.offset).toBe(total);
      for (let i = 0; i < b.X.rows; i++) {
        const r = b.offset + i;
        expect([b.X.get(i, 0), b.X.get(i, 1), b.y![i], b.lines[i]]).toEqual([r, 2 * r, r % 7, r + 2]);
      }
      seen.push(b.X.rows);
      total += b.X.rows;
    }
    expect(total).toBe(n);
    expect(seen.slice(0, -1).every((s) => s === 100)).toBe(true);
    expect(seen.at(-1)).toBe(37);
    expect(progressRows).toBe(n);
    const lim = await readTable(gen(), { target: "y", limit: 250, batchSize: 64 });
    expect(lim.X.rows).toBe(250);
  });

  it("streams lazily: the first batch arrives after reading only the chunks it needs", async () => {
    let pulled = 0;
    const total = 1000;
    async function* source() {
      yield "x,y\n";
      for (let c = 0; c < total; c++) {
        pulled++;
        let s = "";
        for (let i = 0; i < 10; i++) s += `${c},${i}\n`; // 10 rows per chunk
        yield s;
      }
    }
    const it = streamTable(source(), { target: "y", batchSize: 50 })[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value.X.rows).toBe(50);
    expect(pulled).toBeLessThanOrEqual(6); // 50 rows = 5 chunks (+1 read ahead at most)
    await it.return?.(undefined);
    expect(pulled).toBeLessThan(total);
  });

  it("reads from a Web ReadableStream and from a file path (format from the extension)", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("a,y\n1,"));
        c.enqueue(new TextEncoder().encode("2\n3,4\n"));
        c.close();
      },
    });
    const t = await readTable(stream, { target: "y" });
    expect(Array.from(t.y!)).toEqual([2, 4]);
    const dir = mkdtempSync(join(tmpdir(), "seqlearn-io-"));
    writeFileSync(join(dir, "d.tsv"), "a\tb\ty\n1\t2\t3\n");
    const f = await readTable(join(dir, "d.tsv"), { target: "y" });
    expect(Array.from(f.X.data)).toEqual([1, 2]);
    writeFileSync(join(dir, "d.jsonl"), '{"a":1,"y":2}\n{"a":3,"y":4}\n');
    const j = await readTable(join(dir, "d.jsonl"), { target: "y" });
    expect(Array.from(j.X.data)).toEqual([1, 3]);
    expect((await readHeader(join(dir, "d.tsv"), { target: "y" })).columns).toEqual(["a", "b", "y"]);
    await expect(readTable(join(dir, "nope.csv"))).rejects.toThrow(ValueError);
    await expect(readTable(join(dir, "nope.csv"))).rejects.toThrow(/nope\.csv": no such file/);
  });

  it("formatFromPath", () => {
    expect(formatFromPath("x.CSV")).toBe("csv");
    expect(formatFromPath("x.tsv")).toBe("tsv");
    expect(formatFromPath("a/b.ndjson")).toBe("jsonl");
    expect(formatFromPath("a/b.jsonl")).toBe("jsonl");
    expect(formatFromPath("data")).toBeUndefined();
  });
});

describe("JSON lines", () => {
  it("objects with numbers or numeric strings, CRLF, blank lines, no final newline", async () => {
    const t = await readTable(textSource('{"x":1,"z":"2.5","y":3}\r\n\r\n{"y":6,"x":4,"z":5}'), { target: "y", format: "jsonl" });
    expect(t.columns).toEqual(["x", "z", "y"]);
    expect(Array.from(t.X.data)).toEqual([1, 2.5, 4, 5]);
    expect(Array.from(t.y!)).toEqual([3, 6]);
  });

  it("errors name the line and the column", async () => {
    const fmt = { target: "y", format: "jsonl" as const };
    let e = await dataError(readTable(textSource('{"x":1,"y":2}\n{"x":null,"y":3}\n'), fmt));
    expect([e.line, e.column, e.columnName]).toEqual([2, 1, "x"]);
    expect(e.message).toMatch(/missing value \(null\)/);
    e = await dataError(readTable(textSource('{"x":1,"y":2}\n\n{"y":3}\n'), fmt));
    expect([e.line, e.columnName]).toEqual([3, "x"]);
    expect(e.message).toMatch(/key absent/);
    e = await dataError(readTable(textSource('{"x":1,"y":2}\n{"x":1,"y":"high"}\n'), fmt));
    expect([e.line, e.columnName]).toEqual([2, "y"]);
    e = await dataError(readTable(textSource('{"x":1,"y":2}\n{"x":1,"y":2\n'), fmt));
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/invalid JSON/);
    e = await dataError(readTable(textSource('[1,2]\n'), fmt));
    expect(e.message).toMatch(/expected a JSON object/);
    e = await dataError(readTable(textSource('{"x":true,"y":2}\n'), fmt));
    expect(e.message).toMatch(/expected a number, got true/);
    e = await dataError(readTable(textSource(""), fmt));
    expect(e.message).toMatch(/empty input/);
  });
});
