/**
 * Readers and writers: streaming numeric tables (CSV, TSV, JSON lines) from files, streams,
 * Blobs or strings, data manifests (a data set as a list of part files or URLs), a CSV
 * tokenizer, and SVG plots (lines with bands, scatter with a Pareto frontier, matrix heat
 * maps). The `io` namespace of the package,
 * also its subpath `seqlearn/io`.
 *
 * @module
 */
// Readers and writers: streaming numeric tables (CSV / TSV / JSON lines), text sources, SVG
// plots. The chunking and naming helpers of the sources (textChunks, sourceName, sourceSize),
// formatFromPath and the tick chooser of the plots stay internal (the CLI imports them by path).
export { DataError, ManifestError } from "./errors.js";
export { textSource } from "./source.js";
export type { TextSource } from "./source.js";
export { CsvParser, parseCsv } from "./csv.js";
export type { CsvRecord, CsvOptions } from "./csv.js";
export { streamTable, readTable, readHeader } from "./table.js";
export type { TableFormat, TableOptions, RowBatch, Table, TableHeader, Progress } from "./table.js";
export { parseManifest, readManifest, readPart, MANIFEST_FORMAT } from "./manifest.js";
export type { DataManifest, ManifestPart, ManifestTable } from "./manifest.js";
export { linePlot, scatterPlot, matrixPlot } from "./svg.js";
export type { LinePlotOptions, PlotSeries, PlotBand, ScatterPlotOptions, ScatterSeries, MatrixPlotOptions } from "./svg.js";
