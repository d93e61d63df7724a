import { describe, it, expect } from "vitest";
import { linePlot, niceTicks } from "../sdk/io/svg.js";
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
