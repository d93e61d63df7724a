/**
 * Graphs and Laplacian solvers: the weighted undirected `Graph` (validated edge lists,
 * duplicate merging, degrees, CSR, connected components, the dense Laplacian for small
 * graphs) and `LaplacianSolver`, which solves (L + diag(s))·X = B for one or many right-hand
 * sides by preconditioned conjugate gradient in the engine.
 *
 * @module
 */
export { Graph, MAX_NODES, MAX_DENSE_NODES } from "./graph.js";
export type { GraphParts, GraphStats, GraphCsr, GraphComponents, FromEdgesOptions } from "./graph.js";
export { LaplacianSolver, solveLaplacian } from "./solver.js";
export type {
  LaplacianPreconditioner, LaplacianSolverOptions, LaplacianSolveOptions, LaplacianSolveResult,
  LaplacianSolveProgress, LaplacianColumnReport, SolveLaplacianOptions,
} from "./solver.js";
