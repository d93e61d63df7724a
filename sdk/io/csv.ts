// An incremental CSV tokenizer (RFC 4180 with the usual leniencies): fields separated by a
// delimiter, optionally enclosed in double quotes ("" inside quotes is one quote, and quoted
// fields may hold delimiters and line breaks); records end at LF, CRLF or a lone CR. Text is fed
// chunk by chunk (a chunk may end anywhere, even between the two characters of CRLF or of "");
// completed records come out with the line number on which they start. Blank lines are skipped.
import { DataError } from "./errors.js";
import { checkOptions } from "../core/options.js";

/** One parsed CSV/TSV record. */
export interface CsvRecord {
  /** The record's fields, unquoted. */
  fields: string[];
  /** 1-based line number of the first character of the record. */
  line: number;
}

/** Options of `CsvParser`. */
export interface CsvOptions {
  /** Field separator, one character (default ","). */
  delimiter?: string;
  /** Source name used in error messages. */
  source?: string;
}

const CSV_KEYS = Object.keys({ delimiter: true, source: true } satisfies Record<keyof CsvOptions, true>);

const enum S {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted, // saw a quote inside a quoted field: either "" or the closing quote
  AfterQuote, // closing quote seen; a delimiter or line break must follow
}

const LF = 10;
const CR = 13;
const QUOTE = 34;

/** Incremental CSV/TSV parser: feed text chunks with `push`, then `end()`; yields complete
 * records with their line numbers (RFC 4180 quoting, any line ends, a BOM ignored). */
export class CsvParser {
  private readonly delim: number;
  private readonly source?: string;
  private state = S.FieldStart;
  private field = "";
  private fields: string[] = [];
  private quotedAny = false;
  private line = 1;
  private recordLine = 1;
  private pendingCR = false;
  private quoteLine = 1;

  /** A parser for fields separated by `options.delimiter` (default ","). */
  constructor(options: CsvOptions = {}) {
    const opts = checkOptions<CsvOptions>(options, "CsvParser", CSV_KEYS);
    const d = opts.delimiter ?? ",";
    if (d.length !== 1 || d === '"' || d === "\n" || d === "\r") throw new DataError(`delimiter must be one character other than a quote or a line break, got ${JSON.stringify(d)}`);
    this.delim = d.charCodeAt(0);
    this.source = opts.source;
  }

  /** Feed a chunk; completed records are appended to `out`. */
  push(text: string, out: CsvRecord[]): void {
    const n = text.length;
    const delim = this.delim;
    let i = 0;
    if (this.pendingCR && n > 0) {
      this.pendingCR = false;
      if (text.charCodeAt(0) === LF) i = 1;
    }
    while (i < n) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case S.FieldStart:
          if (c === QUOTE) {
            this.state = S.Quoted;
            this.quotedAny = true;
            this.quoteLine = this.line;
            i++;
            continue;
          }
          this.state = S.Unquoted;
        // falls through
        case S.Unquoted: {
          let j = i;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === delim || d === LF || d === CR) break;
            j++;
          }
          if (j > i) this.field += text.slice(i, j);
          i = j;
          if (i < n) i = this.separator(text, i, out);
          continue;
        }
        case S.Quoted: {
          let j = i;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === QUOTE) break;
            if (d === LF) this.line++;
            else if (d === CR && (j + 1 >= n ? false : text.charCodeAt(j + 1) !== LF)) this.line++;
            j++;
          }
          if (j > i) this.field += text.slice(i, j);
          i = j;
          if (i < n) {
            this.state = S.QuoteInQuoted;
            i++;
          }
          continue;
        }
        case S.QuoteInQuoted:
          if (c === QUOTE) {
            this.field += '"';
            this.state = S.Quoted;
            i++;
            continue;
          }
          this.state = S.AfterQuote;
        // falls through
        case S.AfterQuote:
          if (c === delim || c === LF || c === CR) {
            i = this.separator(text, i, out);
            continue;
          }
          if (c === 32 || c === 9) {
            i++; // tolerate blanks between the closing quote and the separator
            continue;
          }
          throw new DataError(`unexpected character ${JSON.stringify(text[i])} after a closing quote (a quote inside a quoted field must be doubled: "")`, {
            source: this.source,
            line: this.line,
            column: this.fields.length + 1,
          });
      }
    }
  }

  /** Flush the last record (input without a final line break). Throws on an unterminated quote. */
  end(out: CsvRecord[]): void {
    if (this.state === S.Quoted) {
      throw new DataError("unterminated quoted field (the input ends inside quotes)", { source: this.source, line: this.quoteLine, column: this.fields.length + 1 });
    }
    if (this.state !== S.FieldStart || this.fields.length > 0) this.endRecord(out);
    this.state = S.FieldStart;
  }

  /** Handle a delimiter or line break at text[i]; returns the next index. */
  private separator(text: string, i: number, out: CsvRecord[]): number {
    const c = text.charCodeAt(i);
    if (c === this.delim) {
      this.fields.push(this.field);
      this.field = "";
      this.state = S.FieldStart;
      return i + 1;
    }
    this.endRecord(out);
    this.line++;
    if (c === CR) {
      if (i + 1 < text.length) return text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
      this.pendingCR = true;
    }
    return i + 1;
  }

  private endRecord(out: CsvRecord[]): void {
    this.fields.push(this.field);
    const fields = this.fields;
    const blank = fields.length === 1 && fields[0] === "" && !this.quotedAny;
    if (!blank) out.push({ fields, line: this.recordLine });
    this.fields = [];
    this.field = "";
    this.quotedAny = false;
    this.state = S.FieldStart;
    this.recordLine = this.line + 1; // the caller increments line right after
  }
}

/** Parse a whole CSV string into records (convenience for small inputs and tests). */
export function parseCsv(text: string, opts: CsvOptions = {}): CsvRecord[] {
  const p = new CsvParser(opts);
  const out: CsvRecord[] = [];
  p.push(text, out);
  p.end(out);
  return out;
}
