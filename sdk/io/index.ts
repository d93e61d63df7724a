/**
 * Readers and writers: streaming numeric tables (CSV, TSV, JSON lines), text sources, SVG
 * line plots.
 *
 * @module
 */
// Readers and writers: streaming numeric tables (CSV / TSV / JSON lines), text sources, SVG plots.
export { DataError } from "./errors.js";
export { textChunks, textSource, sourceName, sourceSize } from "./source.js";
export type { TextSource, TextChunk } from "./source.js";
export { CsvParser, parseCsv } from "./csv.js";
export type { CsvRecord, CsvOptions } from "./csv.js";
export { streamTable, readTable, readHeader, formatFromPath } from "./table.js";
export type { TableFormat, TableOptions, RowBatch, Table, Progress } from "./table.js";
export { linePlot, niceTicks } from "./svg.js";
export type { LinePlotOptions, PlotSeries } from "./svg.js";
