// Dependency-free SVG plots: line plots (several series, linear or log axes, shaded bands, a
// legend), scatter plots with an optional Pareto frontier, and matrix (heat-map) plots.
//
//   const svg = linePlot({
//     title: "Nyström error", xLabel: "dictionary size m", yLabel: "‖K − K̃‖₂", logY: true,
//     series: [{ name: "SQUEAK", x: [50, 100], y: [0.3, 0.01] }, { name: "uniform", x: [50, 100], y: [2, 1] }],
//   });
//   // write svg to a file, or put it into a page's innerHTML
//
// Non-finite points (and non-positive ones on a log axis) are skipped, breaking the line there.
import { ValueError } from "../engine/errors.js";
import { checkOptions } from "../core/options.js";

/** One line of a `linePlot`. */
export interface PlotSeries {
  /** Legend label. */
  name: string;
  /** x coordinates. */
  x: ArrayLike<number>;
  /** y coordinates (same length as x; non-finite points are skipped). */
  y: ArrayLike<number>;
  /** CSS colour; default from a colour-blind-safe palette. */
  color?: string;
  /** Dashed line. */
  dashed?: boolean;
  /** Draw a marker at each point (default true). */
  markers?: boolean;
  /** Draw the connecting line (default true). */
  line?: boolean;
  /** A shaded band around the line (a confidence interval, a range over seeds). */
  band?: PlotBand;
}

/** A shaded band of a `linePlot` series: lower and upper values at each x of the series (a
 *  non-finite end breaks the band there). */
export interface PlotBand {
  /** Lower edge, one value per x. */
  lower: ArrayLike<number>;
  /** Upper edge, one value per x. */
  upper: ArrayLike<number>;
}

/** Options of `linePlot`. */
export interface LinePlotOptions {
  /** The lines to draw. */
  series: PlotSeries[];
  /** Title above the plot. */
  title?: string;
  /** Label of the x axis. */
  xLabel?: string;
  /** Label of the y axis. */
  yLabel?: string;
  /** Logarithmic x axis (non-positive x are skipped). */
  logX?: boolean;
  /** Logarithmic y axis (non-positive y are skipped). */
  logY?: boolean;
  /** Pixels (default 640 × 400). */
  width?: number;
  /** Height in pixels. */
  height?: number;
  /** Legend corner (default "top-right"); "none" hides it. */
  legend?: "top-right" | "top-left" | "bottom-right" | "bottom-left" | "none";
  /** Axis ranges; default: the data range (padded a little on linear axes). */
  xRange?: [number, number];
  /** Fixed y range [min, max] instead of the data's. */
  yRange?: [number, number];
}

// The valid keys of LinePlotOptions and PlotSeries, for checkOptions (`satisfies`: tsc fails
// when an interface and its list differ).
const PLOT_KEYS = Object.keys({
  series: true, title: true, xLabel: true, yLabel: true, logX: true, logY: true, width: true, height: true,
  legend: true, xRange: true, yRange: true,
} satisfies Record<keyof LinePlotOptions, true>);
const SERIES_KEYS = Object.keys({
  name: true, x: true, y: true, color: true, dashed: true, markers: true, line: true, band: true,
} satisfies Record<keyof PlotSeries, true>);

// Okabe–Ito palette (readable for the common forms of colour blindness).
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const e = Math.floor(Math.log10(a));
    const m = v / 10 ** e;
    return Math.abs(m - 1) < 1e-9 ? `1e${e}` : `${+m.toFixed(2)}e${e}`;
  }
  return String(+v.toPrecision(4));
}

/** About `count` "nice" ticks (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo) + 1e-9);
  const b = Math.ceil(Math.log10(hi) - 1e-9);
  const out: number[] = [];
  const stride = Math.max(1, Math.ceil((b - a) / 8));
  for (let e = a; e <= b; e += stride) {
    const t = 10 ** e;
    if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) out.push(t);
  }
  if (out.length < 3) {
    // A narrow range: add 2× and 5× ticks.
    const more: number[] = [];
    for (let e = a - 1; e <= b; e++) for (const f of [1, 2, 5]) {
      const t = f * 10 ** e;
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) more.push(t);
    }
    return more;
  }
  return out;
}

/** Render a line plot as a standalone SVG document (a string). */
export function linePlot(options: LinePlotOptions): string {
  if (!options || typeof options !== "object") throw new ValueError("linePlot: options { series, ... } are required");
  const opts = checkOptions<LinePlotOptions>(options, "linePlot", PLOT_KEYS);
  const W = opts.width ?? 640;
  const H = opts.height ?? 400;
  if (!(W >= 100 && H >= 80)) throw new ValueError(`linePlot: width and height must be at least 100 × 80 pixels, got ${W} × ${H}`);
  if (!Array.isArray(opts.series) || opts.series.length === 0) throw new ValueError("linePlot: series must be a non-empty array");
  opts.series = opts.series.map((s, i) => (s && typeof s === "object" ? checkOptions<PlotSeries>(s, `linePlot: series[${i}]`, SERIES_KEYS) : s));
  opts.series.forEach((s, i) => {
    if (!s || s.x.length !== s.y.length) throw new ValueError(`linePlot: series[${i}] (${JSON.stringify(s?.name)}) has ${s?.x.length} x values and ${s?.y.length} y values; they must match`);
    if (s.band !== undefined && !(s.band && s.band.lower?.length === s.x.length && s.band.upper?.length === s.x.length)) {
      throw new ValueError(`linePlot: series[${i}] (${JSON.stringify(s.name)}): band must be { lower, upper } with ${s.x.length} values each, like x`);
    }
  });
  const okX = (v: number) => Number.isFinite(v) && (!opts.logX || v > 0);
  const okY = (v: number) => Number.isFinite(v) && (!opts.logY || v > 0);
  let xs: number[] = [];
  let ys: number[] = [];
  for (const s of opts.series) for (let i = 0; i < s.x.length; i++) if (okX(s.x[i]) && okY(s.y[i])) {
    xs.push(s.x[i]);
    ys.push(s.y[i]);
    if (s.band) for (const v of [s.band.lower[i], s.band.upper[i]]) if (okY(v)) ys.push(v);
  }
  if (xs.length === 0) {
    xs = opts.logX ? [1, 10] : [0, 1];
    ys = opts.logY ? [1, 10] : [0, 1];
  }
  const range = (v: number[], log: boolean | undefined, given?: [number, number]): [number, number] => {
    if (given) {
      if (!(given[1] > given[0]) || (log && given[0] <= 0)) throw new ValueError(`linePlot: a range must be [lo, hi] with lo < hi${log ? " and lo > 0 on a log axis" : ""}, got [${given}]`);
      return given;
    }
    let lo = Math.min(...v);
    let hi = Math.max(...v);
    if (log) {
      if (hi / lo < 1.0001) return [lo / 2, hi * 2];
      return [lo / 1.15, hi * 1.15];
    }
    if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
      lo -= 1;
      hi += 1;
    }
    const pad = (hi - lo) * 0.05;
    return [lo - pad, hi + pad];
  };
  const [x0, x1] = range(xs, opts.logX, opts.xRange);
  const [y0, y1] = range(ys, opts.logY, opts.yRange);

  const left = 72;
  const right = 18;
  const top = opts.title ? 40 : 18;
  const bottom = opts.xLabel ? 56 : 36;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const tx = (v: number) => left + (opts.logX ? (Math.log(v) - Math.log(x0)) / (Math.log(x1) - Math.log(x0)) : (v - x0) / (x1 - x0)) * pw;
  const ty = (v: number) => top + ph - (opts.logY ? (Math.log(v) - Math.log(y0)) / (Math.log(y1) - Math.log(y0)) : (v - y0) / (y1 - y0)) * ph;
  const r = (v: number) => v.toFixed(1);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  if (opts.title) out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title)}</text>`);
  // Grid and ticks.
  const xt = opts.logX ? logTicks(x0, x1) : niceTicks(x0, x1, 6);
  const yt = opts.logY ? logTicks(y0, y1) : niceTicks(y0, y1, 5);
  for (const t of xt) {
    const px = tx(t);
    if (px < left - 0.5 || px > left + pw + 0.5) continue;
    out.push(`<line x1="${r(px)}" y1="${top}" x2="${r(px)}" y2="${top + ph}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${r(px)}" y="${top + ph + 16}" text-anchor="middle" fill="#333">${fmt(t)}</text>`);
  }
  for (const t of yt) {
    const py = ty(t);
    if (py < top - 0.5 || py > top + ph + 0.5) continue;
    out.push(`<line x1="${left}" y1="${r(py)}" x2="${left + pw}" y2="${r(py)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${r(py + 4)}" text-anchor="end" fill="#333">${fmt(t)}</text>`);
  }
  out.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (opts.xLabel) out.push(`<text x="${left + pw / 2}" y="${H - 14}" text-anchor="middle" font-size="13">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel) out.push(`<text transform="translate(16 ${top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="13">${esc(opts.yLabel)}</text>`);
  // Series, clipped to the plot area.
  out.push(`<defs><clipPath id="plot-area"><rect x="${left}" y="${top}" width="${pw}" height="${ph}"/></clipPath></defs>`);
  out.push(`<g clip-path="url(#plot-area)">`);
  // Bands first, under every line: one polygon per run of points where both ends are drawable.
  opts.series.forEach((s, si) => {
    if (!s.band) return;
    const color = s.color ?? PALETTE[si % PALETTE.length];
    let run: number[] = [];
    const flush = () => {
      if (run.length > 1) {
        const upper = run.map((i) => `${r(tx(s.x[i]))},${r(ty(s.band!.upper[i]))}`);
        const lower = run.map((i) => `${r(tx(s.x[i]))},${r(ty(s.band!.lower[i]))}`).reverse();
        out.push(`<polygon fill="${color}" fill-opacity="0.18" stroke="none" points="${[...upper, ...lower].join(" ")}"/>`);
      }
      run = [];
    };
    for (let i = 0; i < s.x.length; i++) {
      if (okX(s.x[i]) && okY(s.band.lower[i]) && okY(s.band.upper[i])) run.push(i);
      else flush();
    }
    flush();
  });
  opts.series.forEach((s, si) => {
    const color = s.color ?? PALETTE[si % PALETTE.length];
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    const segs: string[][] = [[]];
    const pts: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      if (!okX(s.x[i]) || !okY(s.y[i])) {
        if (segs[segs.length - 1].length) segs.push([]);
        continue;
      }
      const p = `${r(tx(s.x[i]))},${r(ty(s.y[i]))}`;
      segs[segs.length - 1].push(p);
      pts.push(p);
    }
    if (s.line !== false) for (const seg of segs) if (seg.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${seg.join(" ")}"/>`);
    if (s.markers !== false) for (const p of pts) {
      const [px, py] = p.split(",");
      out.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`);
    }
  });
  out.push(`</g>`);
  // Legend.
  const where = opts.legend ?? "top-right";
  if (where !== "none") {
    const lw = Math.max(...opts.series.map((s) => s.name.length)) * 7 + 40;
    const lh = opts.series.length * 18 + 8;
    const lx = where.endsWith("right") ? left + pw - lw - 8 : left + 8;
    const ly = where.startsWith("top") ? top + 8 : top + ph - lh - 8;
    out.push(`<rect x="${lx}" y="${ly}" width="${lw}" height="${lh}" fill="#ffffff" fill-opacity="0.9" stroke="#999"/>`);
    opts.series.forEach((s, si) => {
      const color = s.color ?? PALETTE[si % PALETTE.length];
      const yy = ly + 16 + si * 18;
      if (s.line === false) out.push(`<circle cx="${lx + 18}" cy="${yy - 4}" r="3" fill="${color}"/>`);
      else out.push(`<line x1="${lx + 8}" y1="${yy - 4}" x2="${lx + 28}" y2="${yy - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>`);
      out.push(`<text x="${lx + 34}" y="${yy}">${esc(s.name)}</text>`);
    });
  }
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

// ---- scatter plots ---------------------------------------------------------------------------

/** One set of points of a `scatterPlot`. */
export interface ScatterSeries {
  /** Legend label. */
  name: string;
  /** x coordinates. */
  x: ArrayLike<number>;
  /** y coordinates (same length as x; non-finite points are skipped). */
  y: ArrayLike<number>;
  /** CSS colour; default from the palette. */
  color?: string;
}

/** Options of `scatterPlot`. */
export interface ScatterPlotOptions {
  /** The point sets. */
  series: ScatterSeries[];
  /** Also draw each set's Pareto frontier as a line (named "<name> frontier"): "max" the points
   *  that no other point beats with a smaller-or-equal x and a larger y (the upper-left
   *  envelope: say, the best win rate at each KL budget), "min" with a smaller y. Default none. */
  frontier?: "max" | "min";
  /** Title above the plot. */
  title?: string;
  /** Label of the x axis. */
  xLabel?: string;
  /** Label of the y axis. */
  yLabel?: string;
  /** Logarithmic x axis. */
  logX?: boolean;
  /** Logarithmic y axis. */
  logY?: boolean;
  /** Width in pixels (default 640). */
  width?: number;
  /** Height in pixels (default 400). */
  height?: number;
  /** Legend corner (default "top-right"); "none" hides it. */
  legend?: LinePlotOptions["legend"];
  /** Fixed x range [min, max]. */
  xRange?: [number, number];
  /** Fixed y range [min, max]. */
  yRange?: [number, number];
}

const SCATTER_KEYS = Object.keys({
  series: true, frontier: true, title: true, xLabel: true, yLabel: true, logX: true, logY: true, width: true, height: true,
  legend: true, xRange: true, yRange: true,
} satisfies Record<keyof ScatterPlotOptions, true>);
const SCATTER_SERIES_KEYS = Object.keys({ name: true, x: true, y: true, color: true } satisfies Record<keyof ScatterSeries, true>);

/** The Pareto frontier of points (x ascending): "max" keeps each point whose y is larger than
 *  every y at a smaller-or-equal x; "min" smaller. Non-finite points are ignored. @internal */
export function paretoFrontier(x: ArrayLike<number>, y: ArrayLike<number>, sense: "max" | "min"): { x: number[]; y: number[] } {
  const sign = sense === "max" ? 1 : -1;
  const idx: number[] = [];
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]) && Number.isFinite(y[i])) idx.push(i);
  // x ascending; at equal x the best y first, so that the others at that x are dominated.
  idx.sort((a, b) => x[a] - x[b] || sign * (y[b] - y[a]) || a - b);
  const fx: number[] = [];
  const fy: number[] = [];
  let best = -Infinity;
  for (const i of idx) {
    if (sign * y[i] > best) {
      best = sign * y[i];
      fx.push(x[i]);
      fy.push(y[i]);
    }
  }
  return { x: fx, y: fy };
}

/** Render a scatter plot as a standalone SVG document: one marker per point, a colour per
 *  series, and optionally each series' Pareto frontier as a line of the same colour.
 *
 * ```ts
 * const svg = scatterPlot({ frontier: "max", xLabel: "KL(π‖π_SFT)", yLabel: "win rate",
 *   series: [{ name: "online", x: [0.1, 0.5, 1], y: [0.55, 0.7, 0.72] }, { name: "offline", x: [0.2, 0.8], y: [0.52, 0.6] }] });
 * ```
 */
export function scatterPlot(options: ScatterPlotOptions): string {
  if (!options || typeof options !== "object") throw new ValueError("scatterPlot: options { series, ... } are required");
  const opts = checkOptions<ScatterPlotOptions>(options, "scatterPlot", SCATTER_KEYS);
  if (!Array.isArray(opts.series) || opts.series.length === 0) throw new ValueError("scatterPlot: series must be a non-empty array");
  if (opts.frontier !== undefined && opts.frontier !== "max" && opts.frontier !== "min") throw new ValueError(`scatterPlot: frontier must be "max" or "min", got ${JSON.stringify(opts.frontier)}`);
  const series: PlotSeries[] = [];
  opts.series.forEach((raw, i) => {
    const s = raw && typeof raw === "object" ? checkOptions<ScatterSeries>(raw, `scatterPlot: series[${i}]`, SCATTER_SERIES_KEYS) : raw;
    if (!s || s.x.length !== s.y.length) throw new ValueError(`scatterPlot: series[${i}] (${JSON.stringify(s?.name)}) has ${s?.x.length} x values and ${s?.y.length} y values; they must match`);
    const color = s.color ?? PALETTE[i % PALETTE.length];
    series.push({ name: s.name, x: s.x, y: s.y, color, line: false });
    if (opts.frontier) {
      const f = paretoFrontier(s.x, s.y, opts.frontier);
      series.push({ name: `${s.name} frontier`, x: f.x, y: f.y, color, markers: false, dashed: true });
    }
  });
  const { frontier: _f, series: _s, ...rest } = opts;
  return linePlot({ ...rest, series });
}

// ---- matrix (heat-map) plots -----------------------------------------------------------------

/** Options of `matrixPlot`. */
export interface MatrixPlotOptions {
  /** The values, one array per row (all rows the same length; non-finite cells are grey). */
  values: ReadonlyArray<ArrayLike<number>>;
  /** A label per row (shown on the left). */
  rowLabels: readonly string[];
  /** A label per column (shown below). */
  colLabels: readonly string[];
  /** Title above the plot. */
  title?: string;
  /** Label under the column labels. */
  xLabel?: string;
  /** Label left of the row labels. */
  yLabel?: string;
  /** The value range the colours span; default the data's (with `center` in the middle). */
  range?: [number, number];
  /** A diverging scale around this value (e.g. 0.5 for win rates, 0 for differences): below
   *  in orange, above in blue, white at the centre. Default: a sequential white-to-blue scale. */
  center?: number;
  /** Decimals of the numbers written in the cells (default 2; -1: no numbers). */
  digits?: number;
  /** Pixels per cell side (default: the plot fits about 640 pixels wide, cells 28 to 72). */
  cell?: number;
}

const MATRIX_KEYS = Object.keys({
  values: true, rowLabels: true, colLabels: true, title: true, xLabel: true, yLabel: true, range: true, center: true, digits: true, cell: true,
} satisfies Record<keyof MatrixPlotOptions, true>);

function mix(a: string, b: string, t: number): string {
  const p = (h: string, i: number) => parseInt(h.slice(1 + 2 * i, 3 + 2 * i), 16);
  let out = "#";
  for (let i = 0; i < 3; i++) out += Math.round(p(a, i) + (p(b, i) - p(a, i)) * t).toString(16).padStart(2, "0");
  return out;
}

/** Render a matrix as a heat map (a standalone SVG document): one coloured cell per value
 *  with the value written in it, row and column labels, and a colour bar. For a win-rate
 *  matrix, `center: 0.5`.
 *
 * ```ts
 * const svg = matrixPlot({ title: "P(row ≻ column)", center: 0.5, range: [0, 1],
 *   rowLabels: ["Nash-MP", "RLHF"], colLabels: ["Nash-MP", "RLHF"], values: [[0.5, 0.64], [0.36, 0.5]] });
 * ```
 */
export function matrixPlot(options: MatrixPlotOptions): string {
  if (!options || typeof options !== "object") throw new ValueError("matrixPlot: options { values, rowLabels, colLabels } are required");
  const opts = checkOptions<MatrixPlotOptions>(options, "matrixPlot", MATRIX_KEYS);
  const rows = opts.values;
  if (!Array.isArray(rows) || rows.length === 0) throw new ValueError("matrixPlot: values must be a non-empty array of rows");
  const nc = rows[0]?.length ?? 0;
  if (nc === 0) throw new ValueError("matrixPlot: the rows of values must be non-empty");
  rows.forEach((r, i) => {
    if (!r || r.length !== nc) throw new ValueError(`matrixPlot: values[${i}] has ${r?.length} entries; every row must have ${nc} (like values[0])`);
  });
  if (!Array.isArray(opts.rowLabels) || opts.rowLabels.length !== rows.length) throw new ValueError(`matrixPlot: rowLabels must have one label per row (${rows.length})`);
  if (!Array.isArray(opts.colLabels) || opts.colLabels.length !== nc) throw new ValueError(`matrixPlot: colLabels must have one label per column (${nc})`);
  const digits = opts.digits ?? 2;
  if (!Number.isInteger(digits) || digits < -1 || digits > 10) throw new ValueError(`matrixPlot: digits must be an integer in [-1, 10], got ${digits}`);
  const center = opts.center;
  if (center !== undefined && !Number.isFinite(center)) throw new ValueError(`matrixPlot: center must be a finite number, got ${center}`);
  const finiteVals: number[] = rows.flatMap((r) => Array.from(r as ArrayLike<number>).filter((v) => Number.isFinite(v)));
  let lo: number, hi: number;
  if (opts.range) {
    [lo, hi] = opts.range;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) throw new ValueError(`matrixPlot: range must be [lo, hi] with lo < hi, got [${opts.range}]`);
  } else if (finiteVals.length === 0) {
    [lo, hi] = [0, 1];
  } else {
    lo = Math.min(...finiteVals);
    hi = Math.max(...finiteVals);
    if (center !== undefined) {
      const d = Math.max(Math.abs(hi - center), Math.abs(center - lo));
      [lo, hi] = [center - d, center + d];
    }
    if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
  }
  const BLUE = "#0072B2", ORANGE = "#D55E00", WHITE = "#ffffff";
  const clamp = (t: number) => Math.min(1, Math.max(0, t));
  const colour = (v: number): string => {
    if (!Number.isFinite(v)) return "#d9d9d9";
    if (center === undefined) return mix(WHITE, BLUE, clamp((v - lo) / (hi - lo)));
    if (v >= center) return mix(WHITE, BLUE, hi > center ? clamp((v - center) / (hi - center)) : 0);
    return mix(WHITE, ORANGE, center > lo ? clamp((center - v) / (center - lo)) : 0);
  };
  const dark = (c: string) => {
    const p = (i: number) => parseInt(c.slice(1 + 2 * i, 3 + 2 * i), 16);
    return 0.299 * p(0) + 0.587 * p(1) + 0.114 * p(2) < 140;
  };
  const rowW = Math.max(...opts.rowLabels.map((l) => l.length)) * 7 + 12;
  const cell = opts.cell ?? Math.max(28, Math.min(72, Math.floor((640 - rowW - 120) / nc)));
  if (!(Number.isFinite(cell) && cell >= 8)) throw new ValueError(`matrixPlot: cell must be at least 8 pixels, got ${cell}`);
  const colW = Math.max(...opts.colLabels.map((l) => l.length)) * 7;
  const rotate = colW > cell - 4;
  const left = rowW + (opts.yLabel ? 24 : 0) + 8;
  const top = opts.title ? 40 : 14;
  const gridW = cell * nc;
  const gridH = cell * rows.length;
  const labelsH = rotate ? Math.min(colW, 200) * 0.75 + 16 : 22;
  const W = Math.max(left + gridW + 90, 200);
  const H = top + gridH + labelsH + (opts.xLabel ? 26 : 8);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${Math.ceil(H)}" viewBox="0 0 ${W} ${Math.ceil(H)}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${Math.ceil(H)}" fill="#ffffff"/>`);
  if (opts.title) out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title)}</text>`);
  rows.forEach((row, i) => {
    const y = top + i * cell;
    out.push(`<text x="${left - 6}" y="${y + cell / 2 + 4}" text-anchor="end" fill="#333">${esc(opts.rowLabels[i])}</text>`);
    for (let j = 0; j < nc; j++) {
      const v = row[j];
      const c = colour(v);
      const x = left + j * cell;
      out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${c}" stroke="#ffffff"/>`);
      if (digits >= 0) {
        const text = Number.isFinite(v) ? v.toFixed(digits) : "–";
        out.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="${cell < 40 ? 10 : 12}" fill="${dark(c) ? "#ffffff" : "#222"}">${esc(text)}</text>`);
      }
    }
  });
  out.push(`<rect x="${left}" y="${top}" width="${gridW}" height="${gridH}" fill="none" stroke="#333"/>`);
  for (let j = 0; j < nc; j++) {
    const x = left + j * cell + cell / 2;
    const y = top + gridH + 14;
    if (rotate) out.push(`<text transform="translate(${x} ${y}) rotate(-35)" text-anchor="end" fill="#333">${esc(opts.colLabels[j])}</text>`);
    else out.push(`<text x="${x}" y="${y}" text-anchor="middle" fill="#333">${esc(opts.colLabels[j])}</text>`);
  }
  if (opts.xLabel) out.push(`<text x="${left + gridW / 2}" y="${Math.ceil(H) - 10}" text-anchor="middle" font-size="13">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel) out.push(`<text transform="translate(16 ${top + gridH / 2}) rotate(-90)" text-anchor="middle" font-size="13">${esc(opts.yLabel)}</text>`);
  // Colour bar: 20 steps from lo (bottom) to hi (top).
  const bx = left + gridW + 24;
  const bh = Math.max(60, gridH);
  const steps = 20;
  for (let k = 0; k < steps; k++) {
    const v = lo + ((hi - lo) * (k + 0.5)) / steps;
    out.push(`<rect x="${bx}" y="${(top + bh - ((k + 1) * bh) / steps).toFixed(1)}" width="14" height="${(bh / steps + 0.5).toFixed(1)}" fill="${colour(v)}"/>`);
  }
  out.push(`<rect x="${bx}" y="${top}" width="14" height="${bh}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${bx + 18}" y="${top + 10}" fill="#333">${fmt(hi)}</text>`);
  out.push(`<text x="${bx + 18}" y="${top + bh}" fill="#333">${fmt(lo)}</text>`);
  if (center !== undefined && center > lo && center < hi) out.push(`<text x="${bx + 18}" y="${(top + bh - ((center - lo) / (hi - lo)) * bh + 4).toFixed(1)}" fill="#333">${fmt(center)}</text>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
