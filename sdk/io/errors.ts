import { SeqlearnError } from "../engine/errors.js";
import { clip } from "../core/validate.js";

/** Malformed input data: a bad row, a missing or non-numeric value, a header problem.
 *  `line` is 1-based (the header is line 1 of a CSV file); `column` is 1-based and
 *  `columnName` is the header name, when the problem is in one field. */
export class DataError extends SeqlearnError {
  /** Always "DataError". */
  override name = "DataError";
  /** 1-based line of the input where the problem is, when known. */
  readonly line?: number;
  /** 1-based column (field) number, when known. */
  readonly column?: number;
  /** The column's header name, when known. */
  readonly columnName?: string;
  constructor(message: string, where: { line?: number; column?: number; columnName?: string; source?: string } = {}) {
    const loc: string[] = [];
    if (where.source) loc.push(where.source);
    if (where.line !== undefined) loc.push(`line ${where.line}`);
    if (where.column !== undefined) loc.push(`column ${where.column}${where.columnName !== undefined ? ` (${JSON.stringify(clip(where.columnName))})` : ""}`);
    super(loc.length ? `${loc.join(", ")}: ${message}` : message);
    this.line = where.line;
    this.column = where.column;
    this.columnName = where.columnName;
  }
}

/** A data manifest (`seqlearn.manifest/1`) that is not valid: not JSON, a missing or misspelt
 *  field, a value of the wrong kind. `field` names the field as a path (`parts[2].rows`), and
 *  the message says what it must be. */
export class ManifestError extends SeqlearnError {
  /** Always "ManifestError". */
  override name = "ManifestError";
  /** The field at fault, as a path (`parts[2].rows`), or null for the manifest as a whole. */
  readonly field: string | null;
  /** The manifest's file, when it was read from one. */
  readonly source: string | null;
  constructor(message: string, field: string | null = null, source: string | null = null) {
    super(`${source ? `${source}: ` : ""}${field ? `${field}: ` : ""}${message}`);
    this.field = field;
    this.source = source;
  }
}
