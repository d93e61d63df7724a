/**
 * Graphs: the weighted undirected `Graph` (validated edge lists, duplicate merging, degrees,
 * CSR, connected components, the dense Laplacian for small graphs), `LaplacianSolver`, which
 * solves (L + diag(s))·X = B for one or many right-hand sides by preconditioned conjugate
 * gradient in the engine, edge-list readers and writers (CSV, TSV, JSON lines; streamed),
 * graphology interoperability, seeded generators, k-nearest-neighbour / ε-graphs from
 * points, effective resistances (exact, and by JL sketches with a ridge γ), one-shot
 * Spielman–Srivastava sparsification, GSQUEAK — streaming and distributed spectral
 * sparsification — with its dictionaries and sparsifier files, two baselines without a
 * guarantee (uniform edge sampling, the k-neighbour sparsifier), the quality of a sparsifier
 * (spectral error, cut / degree / resistance ratios, SVG plots of the spectra and of error
 * against size) and learning over the Laplacian
 * (smoothing, harmonic functions, classification, spectral embedding, and their gap between
 * a graph and its sparsifier).
 *
 * @module
 */
// Graph domain. Imports engine, core, random, io, parallel and linalg only.
export { Graph, MAX_NODES, MAX_DENSE_NODES } from "./graph.js";
export type { GraphParts, GraphStats, GraphCsr, GraphComponents, FromEdgesOptions } from "./graph.js";
export { LaplacianSolver, solveLaplacian, AUTO_APPROXCHOL_NODES, AUTO_SHIFT_SHARE, AUTO_PROBE_ITERATIONS, AUTO_PROBE_TOL } from "./solver.js";
export type {
  LaplacianPreconditioner, LaplacianSolverOptions, LaplacianSolveOptions, LaplacianSolveResult,
  LaplacianSolveProgress, LaplacianColumnReport, SolveLaplacianOptions,
} from "./solver.js";
export { readEdges, streamEdges, edgeFormatFromPath, HEADER_WORDS } from "./read.js";
export type { EdgeReadOptions, EdgeBatch, EdgeProgress, EdgeFormat, ColumnRef, IdMode } from "./read.js";
export { writeEdges, formatEdges, edgesBlob, edgeListChunks } from "./write.js";
export type { EdgeWriteOptions, EdgeFileOptions } from "./write.js";
export { fromGraphology } from "./graphology.js";
export type { GraphologyLike, GraphologyOptions } from "./graphology.js";
export {
  complete, path, cycle, star, grid, barbell, ringOfCliques, disjointUnion,
  erdosRenyi, randomPoints, randomGeometric, stochasticBlockModel, blockLabels, barabasiAlbert,
  withLogUniformWeights,
} from "./generators.js";
export type { GeneratorOptions, GridOptions, BarbellOptions } from "./generators.js";
export { knnGraph, epsilonGraph } from "./neighbors.js";
export type { NeighborOptions, KnnOptions } from "./neighbors.js";
export { spectralError, sparsifierQuality, EXACT_SPECTRAL_NODES } from "./quality.js";
export type {
  SpectralErrorOptions, SpectralErrorProgress, SpectralErrorResult, SparsifierQualityOptions, SparsifierQuality, RatioStats,
  RitzBounds, SizeReport,
} from "./quality.js";
export {
  laplacianSmoothing, harmonicFunction, softHarmonicFunction, harmonicClassify, accuracy, spectralEmbedding,
  smoothingGap, softHarmonicGap, embeddingGap, DENSE_EMBEDDING_NODES,
} from "./learn.js";
export type {
  LearnSolverOptions, LearnResult, SmoothingOptions, HarmonicOptions, HarmonicResult, SoftHarmonicOptions,
  HarmonicClassifyOptions, HarmonicClassification, EmbeddingOptions, Embedding, GapOptions, SmoothingGap, SoftHarmonicGap,
  EmbeddingGap,
} from "./learn.js";
export { effectiveResistances, effectiveResistancesAsync, jlVectors, EXACT_AUTO_MAX_NODES, MAX_JL_VECTORS } from "./resistances.js";
export type { ResistanceOptions, ResistanceResult, ResistanceMethod, ResistanceProgress, NodePairs } from "./resistances.js";
export { sparsify } from "./sparsify.js";
export type { SparsifyOptions, SparsifyResult } from "./sparsify.js";
export { uniformSparsify, knnSparsify } from "./baselines.js";
export { spectra, spectrumPlot, errorCurvePlot } from "./plots.js";
export type { Spectra, SpectrumPlotOptions, ErrorCurve } from "./plots.js";
export type { UniformSparsifyOptions, KnnSparsifyOptions } from "./baselines.js";
export {
  gsqueak, Gsqueak, gsqueakParams, gsqueakLeaf, gsqueakMerge, defaultQbar, defaultBlockSize, blockSizes, edgeBlocks,
  GSQUEAK_LEAF_TASK, GSQUEAK_MERGE_TASK,
} from "./gsqueak.js";
export type {
  GsqueakOptions, GsqueakResult, GsqueakTreeProgress, GsqueakParams, GsqueakParamOptions, GsqueakBlock, GsqueakStreamOptions, GsqueakProgress,
  EdgeArrays, GsqueakUpdateStats,
} from "./gsqueak.js";
export {
  makeSparsifier, sparsifierWeights, sparsifierGraph, sparsifierCopies, sparsifierToJSON, sparsifierFromJSON,
  SparsifierCheckError, SPARSIFIER_JSON_FORMAT,
} from "./sparsifier.js";
export type { SparsifierDictionary, SparsifierParams } from "./sparsifier.js";
export {
  encodeSparsifier, decodeSparsifier, inspectSparsifierFile, isSparsifierFile, encodedSparsifierSize,
  SparsifierFormatError, SPARSIFIER_MAGIC, SPARSIFIER_FORMAT_VERSION,
} from "./codec.js";
export type { SparsifierFileInfo, SparsifierFormatErrorCode } from "./codec.js";
