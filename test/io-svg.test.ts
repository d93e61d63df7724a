import { describe, it, expect } from "vitest";
import { linePlot, niceTicks, scatterPlot, matrixPlot, paretoFrontier } from "../sdk/io/svg.js";
import { ValueError } from "../sdk/engine/errors.js";

/** Pixel coordinates of every polyline, per series. */
function polylines(svg: string): number[][][] {
  return [...svg.matchAll(/<polyline[^>]*points="([^"]*)"/g)].map((m) => m[1].split(" ").map((p) => p.split(",").map(Number)));
}

describe("linePlot", () => {
  it("maps data to pixels linearly, y upwards, inside the plot frame", () => {
    const svg = linePlot({ series: [{ name: "s", x: [0, 1, 2], y: [0, 1, 2] }], xRange: [0, 2], yRange: [0, 2], width: 400, height: 300 });
    expect(svg.startsWith("<svg")).toBe(true);
    const [[p0, p1, p2]] = polylines(svg);
    // Equal steps in x and y → equal pixel steps; y increases upwards.
    expect(p1[0] - p0[0]).toBeCloseTo(p2[0] - p1[0], 0);
    expect(p1[1] - p0[1]).toBeCloseTo(p2[1] - p1[1], 0);
    expect(p1[1]).toBeLessThan(p0[1]);
    const frame = svg.match(/<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" fill="none"/)!.slice(1).map(Number);
    expect(p0[0]).toBeCloseTo(frame[0], 0);
    expect(p0[1]).toBeCloseTo(frame[1] + frame[3], 0);
    expect(p2[0]).toBeCloseTo(frame[0] + frame[2], 0);
    expect(p2[1]).toBeCloseTo(frame[1], 0);
  });

  it("log y axis: equal ratios give equal pixel steps; non-positive and non-finite points break the line", () => {
    const svg = linePlot({ logY: true, series: [{ name: "a", x: [1, 2, 3, 4, 5, 6], y: [1, 10, 100, 0, 1000, NaN] }] });
    const lines = polylines(svg);
    expect(lines.length).toBe(1); // [1,10,100] only: 1000 stands alone after the gap
    const [q0, q1, q2] = lines[0];
    expect(q0[1] - q1[1]).toBeCloseTo(q1[1] - q2[1], 0);
    expect((svg.match(/<circle/g) ?? []).length).toBe(4);
    expect(svg).toContain(">100<");
  });

  it("several series with a legend, labels, escaping; colours differ", () => {
    const svg = linePlot({
      title: "a < b & c",
      xLabel: "m",
      yLabel: "error",
      series: [
        { name: "SQUEAK", x: [1, 2], y: [3, 4] },
        { name: "uniform", x: [1, 2], y: [5, 6], dashed: true },
      ],
    });
    expect(svg).toContain("a &lt; b &amp; c");
    expect(svg).toContain(">SQUEAK<");
    expect(svg).toContain(">uniform<");
    const strokes = [...svg.matchAll(/<polyline fill="none" stroke="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(strokes).size).toBe(2);
    expect(svg).toContain("stroke-dasharray");
  });

  it("rejects mismatched series and bad ranges", () => {
    expect(() => linePlot({ series: [{ name: "s", x: [1, 2], y: [1] }] })).toThrow(ValueError);
    expect(() => linePlot({ series: [] })).toThrow(ValueError);
    expect(() => linePlot({ series: [{ name: "s", x: [1], y: [1] }], logY: true, yRange: [0, 1] })).toThrow(ValueError);
  });

  it("niceTicks covers the range with 1-2-5 steps", () => {
    const t = niceTicks(0.13, 9.7, 5);
    const step = t[1] - t[0];
    expect([1, 2, 5].some((f) => Math.abs(step / 10 ** Math.floor(Math.log10(step)) - f) < 1e-9)).toBe(true);
    expect(t[0]).toBeGreaterThanOrEqual(0.13);
    expect(t.at(-1)).toBeLessThanOrEqual(9.7);
    expect(t.length).toBeGreaterThanOrEqual(4);
  });
});

/** The points of every polygon (bands). */
function polygons(svg: string): number[][][] {
  return [...svg.matchAll(/<polygon[^>]*points="([^"]*)"/g)].map((m) => m[1].split(" ").map((p) => p.split(",").map(Number)));
}

describe("linePlot bands", () => {
  it("shade between lower and upper, under the line, and widen the y range; a non-finite end breaks the band", () => {
    const svg = linePlot({
      yRange: undefined, series: [{ name: "s", x: [0, 1, 2, 3], y: [1, 1, 1, 1], band: { lower: [0, 0.5, NaN, 0.5], upper: [2, 1.5, 1.5, 1.5] } }],
    });
    const bands = polygons(svg);
    expect(bands.length).toBe(1); // points 0-1 only: point 2 has no lower end, point 3 stands alone
    expect(bands[0].length).toBe(4); // upper 0, upper 1, lower 1, lower 0
    const [[, line0]] = polylines(svg)[0].map((p) => p);
    expect(bands[0][0][1]).toBeLessThan(line0); // the upper edge is above the line (smaller pixel y)
    expect(bands[0][3][1]).toBeGreaterThan(line0);
    expect(svg.indexOf("<polygon")).toBeLessThan(svg.indexOf("<polyline"));
    expect(svg).toContain(">2<"); // the y axis reaches the band's top
    expect(() => linePlot({ series: [{ name: "s", x: [0, 1], y: [0, 1], band: { lower: [0], upper: [1, 2] } }] })).toThrow(/band must be/);
  });
});

describe("scatterPlot", () => {
  it("the Pareto frontier keeps the points no other point beats with a smaller-or-equal x", () => {
    const x = [0.1, 0.5, 0.3, 0.9, 0.7, 0.3, NaN];
    const y = [0.5, 0.6, 0.7, 0.8, 0.65, 0.4, 1];
    expect(paretoFrontier(x, y, "max")).toEqual({ x: [0.1, 0.3, 0.9], y: [0.5, 0.7, 0.8] });
    expect(paretoFrontier(x, y, "min")).toEqual({ x: [0.1, 0.3], y: [0.5, 0.4] });
  });

  it("draws markers without lines, one colour per series, the frontier dashed in the same colour, a marker in the legend", () => {
    const svg = scatterPlot({
      frontier: "max", xLabel: "KL", yLabel: "win rate",
      series: [{ name: "online", x: [0.1, 0.5, 1], y: [0.55, 0.7, 0.72] }, { name: "offline", x: [0.2, 0.8, 0.6], y: [0.52, 0.6, 0.5] }],
    });
    expect((svg.match(/<circle[^>]*r="3"/g) ?? []).length).toBe(6 + 2); // the points, and a marker per point series in the legend
    const lines = [...svg.matchAll(/<polyline fill="none" stroke="([^"]+)"[^>]*stroke-dasharray/g)].map((m) => m[1]);
    expect(lines.length).toBe(2); // one dashed frontier per series
    expect(new Set(lines).size).toBe(2);
    expect(svg).toContain(">online frontier<");
    expect(polylines(svg)[1].length).toBe(2); // offline's frontier: (0.2, 0.52), (0.8, 0.6)
    expect(() => scatterPlot({ series: [{ name: "a", x: [1], y: [1, 2] }] })).toThrow(ValueError);
    expect(() => scatterPlot({ series: [{ name: "a", x: [1], y: [1] }], frontier: "up" as never })).toThrow(/frontier/);
  });
});

describe("matrixPlot", () => {
  const cells = (svg: string) => [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="(\d+)" height="\1" fill="(#[0-9a-f]{6})" stroke="#ffffff"\/>/g)].map((m) => m[2]);

  it("one cell per value, its number written in it; a diverging scale is white at the centre, blue above, orange below", () => {
    const svg = matrixPlot({
      title: "P(row ≻ column)", center: 0.5, range: [0, 1], rowLabels: ["A", "B"], colLabels: ["A", "B"],
      values: [[0.5, 1], [0, NaN]],
    });
    const c = cells(svg);
    expect(c).toEqual(["#ffffff", "#0072b2", "#d55e00", "#d9d9d9"]);
    for (const t of [">0.50<", ">1.00<", ">0.00<", ">–<", ">P(row ≻ column)<"]) expect(svg).toContain(t);
    // a sequential scale (no centre) runs from white at the minimum to blue at the maximum
    expect(cells(matrixPlot({ values: [[1, 3]], rowLabels: ["r"], colLabels: ["a", "b"], digits: -1 }))).toEqual(["#ffffff", "#0072b2"]);
  });

  it("rejects ragged rows and missing labels", () => {
    expect(() => matrixPlot({ values: [[1, 2], [3]], rowLabels: ["a", "b"], colLabels: ["x", "y"] })).toThrow(/values\[1\] has 1 entries/);
    expect(() => matrixPlot({ values: [[1, 2]], rowLabels: ["a"], colLabels: ["x"] })).toThrow(/colLabels/);
    expect(() => matrixPlot({ values: [[1]], rowLabels: ["a"], colLabels: ["x"], range: [1, 0] })).toThrow(/range/);
  });
});
