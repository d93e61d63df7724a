// SVG plots of a sparsifier against its graph: the Laplacian spectra of G and H side by side
// (with the band (1 ± ε)(λ_i + γ) that an (ε, γ)-sparsifier stays in, by Courant–Fischer), and
// the spectral error against the number of kept edges for several sparsifiers. The drawing is
// io/svg.ts's linePlot; this file only computes what to draw.
import { ShapeError, ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { eigvalsh } from "../linalg/index.js";
import { linePlot, type PlotSeries } from "../io/svg.js";
import { Graph } from "./graph.js";
import { EXACT_SPECTRAL_NODES } from "./quality.js";

/** Options of `spectrumPlot`. */
export interface SpectrumPlotOptions {
  /** Ridge γ ≥ 0: the plot shows λ_i + γ (default 0). */
  gamma?: number;
  /** Draw the band (1 ± ε)(λ_i(L_G) + γ) around G's spectrum (default: none). */
  eps?: number;
  /** Title (default "Laplacian spectrum: G and its sparsifier H"). */
  title?: string;
  /** Names of the two series (default "G (m edges)", "H (m edges)"). */
  names?: [string, string];
}

/** The two spectra `spectrumPlot` draws. */
export interface Spectra {
  /** Eigenvalues of L_G, ascending. */
  G: Float64Array;
  /** Eigenvalues of L_H, ascending. */
  H: Float64Array;
}

/**
 * The eigenvalues of L_G and L_H (dense, ascending; n ≤ `EXACT_SPECTRAL_NODES`): if H is an
 * (ε, γ)-sparsifier of G, λ_i(L_H) + γ ∈ [(1 − ε)(λ_i(L_G) + γ), (1 + ε)(λ_i(L_G) + γ)] for
 * every i (Courant–Fischer). Cost O(n³).
 */
export function spectra(G: Graph, H: Graph): Spectra {
  if (!(G instanceof Graph) || !(H instanceof Graph)) throw new ValueError("spectra: G and H must be Graphs");
  if (G.n !== H.n) throw new ShapeError(`spectra: G has ${G.n} nodes and H ${H.n}; a sparsifier keeps the node set`);
  if (G.n > EXACT_SPECTRAL_NODES) throw new ShapeError(`spectra: ${G.n} nodes; dense eigenvalues are computed up to ${EXACT_SPECTRAL_NODES} nodes`);
  const clip = (x: Float64Array) => x.map((v) => Math.max(0, v)); // −1e-13 for the zero eigenvalues
  return { G: clip(eigvalsh(G.laplacianDense())), H: clip(eigvalsh(H.laplacianDense())) };
}

/**
 * An SVG line plot of the Laplacian spectra of G and of its sparsifier H (λ_i + γ against i, on
 * a log axis; the zero eigenvalues of γ = 0 are left out), with the band (1 ± ε)(λ_i + γ) when
 * `eps` is given. Dense eigenvalues: n ≤ `EXACT_SPECTRAL_NODES` (2,000). Returns the SVG text.
 *
 * @example
 * const g = erdosRenyi(300, 0.5, { seed: 1 });
 * const svg = spectrumPlot(g, sparsify(g, { eps: 0.5 }).graph, { eps: 0.5 });
 */
export function spectrumPlot(G: Graph, H: Graph, options: SpectrumPlotOptions = {}): string {
  const o = checkOptions<SpectrumPlotOptions>(options, "spectrumPlot", ["gamma", "eps", "title", "names"]);
  const gamma = o.gamma ?? 0;
  if (typeof gamma !== "number" || !(gamma >= 0 && gamma < Infinity)) throw new ValueError(`spectrumPlot: gamma must be a finite number ≥ 0, got ${String(gamma)}`);
  if (o.eps !== undefined && (typeof o.eps !== "number" || !(o.eps > 0 && o.eps < 1))) throw new ValueError(`spectrumPlot: eps must be in (0, 1), got ${String(o.eps)}`);
  const s = spectra(G, H);
  // With γ = 0, the c zero eigenvalues (one per component of G) would only stretch the log axis.
  const skip = gamma > 0 ? 0 : G.components().count;
  const x = Array.from({ length: G.n - skip }, (_, i) => i + 1 + skip);
  const g = Array.from(s.G.subarray(skip), (v) => v + gamma), h = Array.from(s.H.subarray(skip), (v) => v + gamma);
  const series: PlotSeries[] = [
    {
      name: o.names?.[0] ?? `G (${G.m.toLocaleString("en-US")} edges)`, x, y: g, markers: false,
      ...(o.eps !== undefined ? { band: { lower: g.map((v) => (1 - o.eps!) * v), upper: g.map((v) => (1 + o.eps!) * v) } } : {}),
    },
    { name: o.names?.[1] ?? `H (${H.m.toLocaleString("en-US")} edges)`, x, y: h, markers: false, dashed: true },
  ];
  return linePlot({
    title: o.title ?? "Laplacian spectrum: G and its sparsifier H",
    xLabel: "eigenvalue index i",
    yLabel: gamma > 0 ? `λ_i + γ (γ = ${gamma}; log scale)` : "λ_i (log scale)",
    logY: true,
    legend: "bottom-right",
    series,
  });
}

/** One method of an `errorCurvePlot`: its points (kept edges, spectral error). */
export interface ErrorCurve {
  /** Legend label. */
  name: string;
  /** Edges kept at each point. */
  edges: ArrayLike<number>;
  /** Spectral error ε_emp at each point (values ≥ 1, e.g. a disconnected H, are drawn at 1). */
  error: ArrayLike<number>;
  /** Dashed line (for baselines). */
  dashed?: boolean;
}

/**
 * An SVG plot of spectral error against the number of kept edges, one line per sparsifier
 * (e.g. GSQUEAK at several ε, one-shot Spielman–Srivastava, uniform sampling and the
 * k-neighbour heuristic at the same sizes), with the total edge count `m` as the title's
 * reference. Returns the SVG text.
 */
export function errorCurvePlot(curves: readonly ErrorCurve[], options: { title?: string; m?: number } = {}): string {
  const o = checkOptions<{ title?: string; m?: number }>(options, "errorCurvePlot", ["title", "m"]);
  if (!Array.isArray(curves) || curves.length === 0) throw new ValueError("errorCurvePlot: give at least one curve");
  const series: PlotSeries[] = curves.map((c, t) => {
    if (c.edges.length !== c.error.length) throw new ShapeError(`errorCurvePlot: curve ${t} (${c.name}) has ${c.edges.length} sizes and ${c.error.length} errors`);
    const order = Array.from({ length: c.edges.length }, (_, i) => i).sort((a, b) => c.edges[a] - c.edges[b]);
    return { name: c.name, x: order.map((i) => c.edges[i]), y: order.map((i) => Math.min(1, c.error[i])), dashed: c.dashed ?? false };
  });
  return linePlot({
    title: o.title ?? `Spectral error against edges kept${o.m !== undefined ? ` (of ${o.m.toLocaleString("en-US")})` : ""}`,
    xLabel: "edges kept",
    yLabel: "spectral error ε (1: H disconnected or worse)",
    legend: "top-right",
    series,
  });
}
