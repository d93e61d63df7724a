// The graph section of `seqlearn tour`: a k-nearest-neighbour graph of the shipped earthquakes
// (where and how deep), sparsified by GSQUEAK (Calandriello, Koutis, Lazaric & Valko, ICML 2018)
// and, at the same number of edges, by one-shot Spielman–Srivastava sampling, uniform edge
// sampling and the k-neighbour heuristic; for each, the spectral error against the full graph
// and the accuracy of semi-supervised classification (harmonic function, Zhu, Ghahramani &
// Lafferty 2003) of "magnitude ≥ 2.5" from 5 % of the events. Two SVG plots: the spectra of
// G and H, and the spectral error against the edges kept.
import { Matrix, Rng } from "../../index.js";
import { Graph } from "../../graph/graph.js";
import { knnGraph } from "../../graph/neighbors.js";
import { gsqueak } from "../../graph/gsqueak.js";
import { sparsify } from "../../graph/sparsify.js";
import { uniformSparsify, knnSparsify } from "../../graph/baselines.js";
import { spectralError } from "../../graph/quality.js";
import { harmonicClassify, accuracy } from "../../graph/learn.js";
import { spectrumPlot, errorCurvePlot } from "../../graph/plots.js";
import { writeFileAtomic } from "../files.js";
import { out } from "../term.js";

/** Neighbours per event in the graph. */
export const TOUR_GRAPH_K = 50;
/** Width σ of the Gaussian weights exp(−‖x − y‖²/(2σ²)), in standard deviations of the
 *  coordinates: the weights then span about nine orders of magnitude, and so do the edges'
 *  effective resistances — what resistance sampling is for. */
export const TOUR_GRAPH_SIGMA = 2;
/** Magnitude from which an event counts as "large" (the class to predict). */
export const TOUR_MAGNITUDE = 2.5;

export interface GraphTourInput {
  /** The events' longitude, latitude, depth (n×3, as read). */
  X: Matrix;
  /** Their magnitudes. */
  magnitude: Float64Array;
  quick: boolean;
  seed: number;
  /** The two plot files: spectra, error curve. */
  files: [string, string];
  force: boolean;
}

/** Spectral error of H against G at γ = 0 (a Lanczos estimate), or 1 when H has lost a connection of G. */
function errorOf(G: Graph, H: Graph): number {
  if (H.components().count !== G.components().count) return 1;
  return spectralError(G, H, { method: "estimate", seed: 1 }).epsilon;
}

export async function graphTour(inp: GraphTourInput, textTable: (head: string[], rows: string[][], right: boolean[]) => string): Promise<void> {
  const { X, magnitude, quick, seed } = inp;
  const n = X.rows, d = X.cols;
  // Standardise each column (the same scale for degrees and kilometres of depth).
  const Z = new Matrix(n, d);
  for (let j = 0; j < d; j++) {
    let mean = 0, sq = 0;
    for (let i = 0; i < n; i++) mean += X.get(i, j) / n;
    for (let i = 0; i < n; i++) sq += (X.get(i, j) - mean) ** 2 / n;
    const sd = Math.sqrt(sq) || 1;
    for (let i = 0; i < n; i++) Z.set(i, j, (X.get(i, j) - mean) / sd);
  }
  const G = knnGraph(Z, TOUR_GRAPH_K, { weights: "gaussian", sigma: TOUR_GRAPH_SIGMA });
  const truth = Int32Array.from(magnitude, (m) => (m >= TOUR_MAGNITUDE ? 1 : 0));
  // 5 % of the events labelled, chosen by the seed.
  const rng = new Rng(seed + 17);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
  }
  rng.dispose();
  const labeled = Array.from(perm.subarray(0, Math.round(0.05 * n))).sort((a, b) => a - b);
  const isLabeled = new Uint8Array(n);
  for (const i of labeled) isLabeled[i] = 1;
  const unl = Array.from({ length: n }, (_, i) => i).filter((i) => !isLabeled[i]);
  const classes = labeled.map((i) => truth[i]);
  const sslAccuracy = (h: Graph): number => {
    const p = harmonicClassify(h, labeled, classes, { classes: 2 }).predictions;
    return accuracy(unl.map((i) => p[i]), unl.map((i) => truth[i]));
  };
  let large = 0;
  for (const t of truth) large += t;

  out(`\n── Graphs: GSQUEAK spectral sparsification and semi-supervised learning on the same events ──`);
  let wMin = Infinity, wMax = 0;
  for (const w of G.w) {
    wMin = Math.min(wMin, w);
    wMax = Math.max(wMax, w);
  }
  out(`graph: each event joined to its ${TOUR_GRAPH_K} nearest in (longitude, latitude, depth), standardised, with weights exp(−‖x − y‖²/(2·${TOUR_GRAPH_SIGMA}²)) ∈ [${wMin.toExponential(1)}, ${wMax.toFixed(2)}]:`);
  out(`  ${n} nodes, ${G.m.toLocaleString("en-US")} edges, ${G.components().count} component${G.components().count === 1 ? "" : "s"}`);
  out(`task: is the magnitude ≥ ${TOUR_MAGNITUDE}? (${((100 * large) / n).toFixed(1)} % of events are) from ${labeled.length} labelled events (5 %); harmonic function with class mass normalisation\n`);

  const time = <T>(f: () => T): { v: T; ms: number } => {
    const t0 = performance.now();
    const v = f();
    return { v, ms: performance.now() - t0 };
  };
  const t0 = performance.now();
  const main = await gsqueak(G, { eps: 0.5, seed, workers: 0 });
  const gsqMs = performance.now() - t0;
  const H = main.graph, s = H.m;
  const uniformSeeds = quick ? [1] : [1, 2, 3];
  const rows: string[][] = [];
  const row = (method: string, edges: number, eps: string, acc: string, ms: number, note = "") =>
    rows.push([method, edges.toLocaleString("en-US"), eps, acc, ms.toFixed(0), note]);
  const full = time(() => sslAccuracy(G));
  row("full graph G", G.m, "0", full.v.toFixed(4), full.ms);
  const hAcc = time(() => sslAccuracy(H));
  row("GSQUEAK (ε = 0.5)", s, errorOf(G, H).toFixed(3), hAcc.v.toFixed(4), gsqMs + hAcc.ms, `q̄ = ${main.params.qbar}, Σq = ${main.copies.toLocaleString("en-US")}`);
  const ss = time(() => sparsify(G, { eps: 0.5, edges: s, seed }).graph);
  row("one-shot Spielman–Srivastava", ss.v.m, errorOf(G, ss.v).toFixed(3), sslAccuracy(ss.v).toFixed(4), ss.ms, "same expected size");
  let ue = 0, ua = 0, ums = 0, cut = 0;
  for (const k of uniformSeeds) {
    const u = time(() => uniformSparsify(G, { edges: s, seed: seed + k }));
    const e = errorOf(G, u.v);
    if (e === 1 && u.v.components().count > G.components().count) cut++;
    ue += e / uniformSeeds.length;
    ua += sslAccuracy(u.v) / uniformSeeds.length;
    ums += u.ms / uniformSeeds.length;
  }
  row("uniform edge sampling", s, ue.toFixed(3), ua.toFixed(4), ums, `${uniformSeeds.length > 1 ? `mean of ${uniformSeeds.length} seeds` : "one seed"}${cut ? `, ${cut} disconnected` : ""}`);
  const kn = time(() => knnSparsify(G, { edges: s }));
  row("k-neighbour heuristic", s, errorOf(G, kn.v).toFixed(3), sslAccuracy(kn.v).toFixed(4), kn.ms, "degree-reweighted");
  out(textTable(["method", "edges", "spectral error ε", "accuracy", "time (ms)", "note"], rows, [false, true, true, true, true, false]));
  out("\nspectral error: the largest relative change of any quadratic form xᵀLx (Lanczos estimate; 1 = H disconnected);");
  out("accuracy on the unlabelled events. Sparsifiers keep every node and reweight the edges they keep.");

  // Error against size: GSQUEAK at several ε, and the others at each of its sizes.
  const epsList = quick ? [0.5, 0.6] : [0.4, 0.5, 0.6, 0.7];
  const curve = { gsq: [] as number[][], ss: [] as number[][], uni: [] as number[][], knn: [] as number[][] };
  for (const eps of epsList) {
    const h = eps === 0.5 ? H : (await gsqueak(G, { eps, seed, workers: 0 })).graph;
    const m = h.m;
    curve.gsq.push([m, errorOf(G, h)]);
    const o = sparsify(G, { eps, edges: m, seed }).graph;
    curve.ss.push([o.m, errorOf(G, o)]);
    curve.uni.push([m, uniformSeeds.reduce((a, k) => a + errorOf(G, uniformSparsify(G, { edges: m, seed: seed + k })), 0) / uniformSeeds.length]);
    curve.knn.push([m, errorOf(G, knnSparsify(G, { edges: m }))]);
  }
  const c = (name: string, pts: number[][], dashed = false) => ({ name, edges: pts.map((p) => p[0]), error: pts.map((p) => p[1]), dashed });
  writeFileAtomic(inp.files[0], spectrumPlot(G, H, { eps: 0.5, title: "Laplacian spectrum: earthquake graph G and GSQUEAK sparsifier H" }), { force: inp.force, flag: "--out" });
  writeFileAtomic(inp.files[1], errorCurvePlot([
    c(`GSQUEAK (ε = ${epsList.join(", ")})`, curve.gsq), c("one-shot Spielman–Srivastava", curve.ss), c("uniform edge sampling", curve.uni, true), c("k-neighbour heuristic", curve.knn, true),
  ], { m: G.m, title: `Spectral error against edges kept (earthquake graph, ${G.m.toLocaleString("en-US")} edges)` }), { force: inp.force, flag: "--out" });
  const fmt = (pts: number[][]) => pts.map(([m, e]) => `${m.toLocaleString("en-US")}: ${e.toFixed(2)}`).join(", ");
  out(`\nerror against edges kept — GSQUEAK ${fmt(curve.gsq)}`);
  out(`  one-shot ${fmt(curve.ss)}; uniform ${fmt(curve.uni)}; k-neighbour ${fmt(curve.knn)}`);
}
