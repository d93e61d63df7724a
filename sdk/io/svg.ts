// A dependency-free SVG line plot: several series, linear or log axes, axis labels, a legend.
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
  name: true, x: true, y: true, color: true, dashed: true, markers: true, line: true,
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
  });
  const okX = (v: number) => Number.isFinite(v) && (!opts.logX || v > 0);
  const okY = (v: number) => Number.isFinite(v) && (!opts.logY || v > 0);
  let xs: number[] = [];
  let ys: number[] = [];
  for (const s of opts.series) for (let i = 0; i < s.x.length; i++) if (okX(s.x[i]) && okY(s.y[i])) {
    xs.push(s.x[i]);
    ys.push(s.y[i]);
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
      out.push(`<line x1="${lx + 8}" y1="${yy - 4}" x2="${lx + 28}" y2="${yy - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>`);
      out.push(`<text x="${lx + 34}" y="${yy}">${esc(s.name)}</text>`);
    });
  }
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
