import { describe, it, expect } from "vitest";
import { Matrix } from "../sdk/core/matrix.js";
import { RunningStats, applyScaling } from "../sdk/cli/scaling.js";
import { encodeModel, decodeModel, MODEL_VERSION, MODEL_FORMAT } from "../sdk/cli/modelfile.js";
import { ProgressLine, formatCount, formatDuration } from "../sdk/cli/progress.js";
import { DataError } from "../sdk/io/errors.js";

describe("RunningStats", () => {
  it("streaming mean / deviation equal the two-pass values, whatever the batch split", () => {
    const n = 500, d = 3;
    const X = new Matrix(n, d);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) X.data[i * d + j] = 1e6 * j + Math.sin(i * (j + 1)) * (j + 1); // large offsets: Welford stays accurate
      y[i] = Math.cos(i) + 3;
    }
    const mean = [0, 0, 0], sd = [0, 0, 0];
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < n; i++) mean[j] += X.data[i * d + j] / n;
      for (let i = 0; i < n; i++) sd[j] += (X.data[i * d + j] - mean[j]) ** 2 / n;
      sd[j] = Math.sqrt(sd[j]);
    }
    for (const cut of [1, 7, 250, 500]) {
      const st = new RunningStats(d);
      for (let r = 0; r < n; r += cut) {
        const rows = Math.min(cut, n - r);
        st.push(new Matrix(rows, d, X.data.slice(r * d, (r + rows) * d)), y.slice(r, r + rows));
      }
      const s = st.scaling();
      for (let j = 0; j < d; j++) {
        expect(s.mean[j]).toBeCloseTo(mean[j], 6);
        expect(s.scale[j] / sd[j]).toBeCloseTo(1, 10);
      }
      const ym = y.reduce((a, b) => a + b, 0) / n;
      expect(st.target().mean).toBeCloseTo(ym, 12);
      expect(st.target().n).toBe(n);
    }
  });

  it("scaled columns have mean 0 and deviation 1; constant columns get scale 1", () => {
    const X = Matrix.fromRows([[1, 5], [2, 5], [3, 5], [6, 5]]);
    const st = new RunningStats(2);
    st.push(X);
    const s = st.scaling();
    expect(s.scale[1]).toBe(1);
    const Z = applyScaling(X.clone(), s);
    let m0 = 0, v0 = 0;
    for (let i = 0; i < 4; i++) m0 += Z.get(i, 0) / 4;
    for (let i = 0; i < 4; i++) v0 += (Z.get(i, 0) - m0) ** 2 / 4;
    expect(m0).toBeCloseTo(0, 14);
    expect(v0).toBeCloseTo(1, 14);
    expect(Z.get(2, 1)).toBe(0);
    expect(() => applyScaling(Matrix.fromRows([[1, 2, 3]]), s)).toThrow(/scaling has 2 columns but X has 3/);
    expect(() => new RunningStats(2).push(Matrix.fromRows([[1]]))).toThrow(/1 columns, expected 2/);
  });
});

describe("model files", () => {
  const body = {
    createdBy: "seqlearn test", createdAt: "2026-01-01T00:00:00Z", features: ["a", "b"], target: "y",
    scaling: { mean: [0, 1], scale: [1, 2] }, yOffset: 0.5, method: "squeak", params: {}, training: {}, model: { format: "seqlearn.krr/1" },
  };
  it("round trip keeps every field and stamps the format tag seqlearn.model/2", () => {
    const text = encodeModel(body);
    expect(JSON.parse(text)).toEqual({ format: "seqlearn.model/2", ...body });
    expect(MODEL_FORMAT).toBe("seqlearn.model/2");
    const back = decodeModel(text);
    expect(back).toEqual({ format: "seqlearn.model/2", version: 2, ...body });
  });
  it("still reads version 1 files ({ format: \"seqlearn-model\", version: 1 })", () => {
    const v1 = { format: "seqlearn-model", version: 1, ...body, params: { mu: 0.01, gamma: 0.01 } };
    const back = decodeModel(JSON.stringify(v1), "old.json");
    expect(back.version).toBe(1);
    expect(back.features).toEqual(["a", "b"]);
    expect(back.scaling).toEqual(body.scaling);
    expect(back.yOffset).toBe(0.5);
    expect(back.params).toEqual({ mu: 0.01, gamma: 0.01 });
    // A v1 tag with another version number is not a file this reader wrote.
    expect(() => decodeModel(JSON.stringify({ ...v1, version: 2 }), "old.json")).toThrow(/invalid version 2/);
    expect(() => decodeModel(JSON.stringify({ ...v1, version: undefined }), "old.json")).toThrow(DataError);
  });
  it("refuses other files with a message saying what is wrong", () => {
    const bad = (text: string, re: RegExp) => {
      expect(() => decodeModel(text, "m.json")).toThrow(DataError);
      expect(() => decodeModel(text, "m.json")).toThrow(re);
    };
    bad("x,y\n1,2\n", /m\.json: not a seqlearn model file: invalid JSON/);
    bad(JSON.stringify({ hello: 1 }), /not a seqlearn model file/);
    bad("[1, 2]", /not a seqlearn model file/);
    bad(JSON.stringify({ ...body, format: "seqlearn.dictionary/1" }), /not a seqlearn model file/);
    const enc = JSON.parse(encodeModel(body));
    bad(JSON.stringify({ ...enc, format: `seqlearn.model/${MODEL_VERSION + 1}` }), /version 3 is newer than this seqlearn understands/);
    bad(JSON.stringify({ ...enc, format: "seqlearn.model/1" }), /invalid format version/);
    bad(JSON.stringify({ ...enc, features: [] }), /"features"/);
    bad(JSON.stringify({ ...enc, scaling: { mean: [0], scale: [1] } }), /"scaling"/);
    bad(JSON.stringify({ ...enc, scaling: { mean: [0, 1], scale: [1, 0] } }), /"scaling"/);
    bad(JSON.stringify({ ...enc, yOffset: "1" }), /"yOffset"/);
    bad(JSON.stringify({ ...enc, model: null }), /"model"/);
    expect(decodeModel(JSON.stringify({ ...enc, scaling: null })).scaling).toBeNull();
  });
});

describe("progress line", () => {
  it("formats rows, percentage, rate and extra facts", () => {
    // A quarter of the input in 2 s: three quarters (6 s) to go.
    expect(ProgressLine.text("fit", { rows: 12345, bytes: 50, totalBytes: 200, elapsedMs: 2000 }, "dictionary 7")).toBe("fit: 12.3k rows (25%) · 6173 rows/s · ETA 6s · dictionary 7");
    // No ETA without the input's size (stdin), nor once everything is read.
    expect(ProgressLine.text("fit", { rows: 10, bytes: 50, elapsedMs: 2000 })).toBe("fit: 10 rows · 5 rows/s");
    expect(ProgressLine.text("fit", { rows: 10, bytes: 200, totalBytes: 200, elapsedMs: 2000 })).toBe("fit: 10 rows (100%) · 5 rows/s");
    expect(formatDuration(185_000)).toBe("3m05s");
    expect(formatDuration(7_620_000)).toBe("2h07m");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(1_234_567)).toBe("1.23M");
  });
  it("stays quiet before the delay, throttles, rewrites one line on a terminal", () => {
    const out: string[] = [];
    const p = new ProgressLine({ label: "x", write: (s) => out.push(s), tty: true, delayMs: 100, intervalMs: 50 });
    const at = (ms: number, rows: number) => p.update({ rows, bytes: 0, elapsedMs: ms });
    at(10, 1);
    expect(out.length).toBe(0);
    at(120, 2);
    at(130, 3); // within the interval: skipped
    at(200, 4);
    expect(out.length).toBe(2);
    expect(out.every((s) => s.startsWith("\r"))).toBe(true);
    p.done();
    expect(out.at(-1)).toBe("\n");
    const quiet: string[] = [];
    const q = new ProgressLine({ label: "x", write: (s) => quiet.push(s), enabled: false, delayMs: 0 });
    q.update({ rows: 1, bytes: 0, elapsedMs: 5000 });
    q.done();
    expect(quiet.length).toBe(0);
  });
});
