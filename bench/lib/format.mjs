// Markdown helpers shared by the benchmark cases.

/** A markdown table from a header row and body rows (cells are converted with String). */
export function table(head, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c)).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Milliseconds with 3 significant figures. */
export function ms(v) {
  if (v == null || !Number.isFinite(v)) return "–";
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** A ratio like "0.42×". */
export function ratio(v) {
  if (v == null || !Number.isFinite(v)) return "–";
  return v >= 100 ? `${v.toFixed(0)}×` : v >= 10 ? `${v.toFixed(1)}×` : `${v.toFixed(2)}×`;
}

/** "≥ 0.35×: met" style verdicts. `atLeast` true: ratio must be ≥ target. */
export function verdict(value, target, atLeast = true) {
  if (value == null || !Number.isFinite(value)) return `${atLeast ? "≥" : "≤"} ${target}×: –`;
  const ok = atLeast ? value >= target : value <= target;
  return `${atLeast ? "≥" : "≤"} ${target}×: ${ok ? "met" : "**not met**"}`;
}

/** Deterministic pseudo-random Float64Array in [-1, 1) (no dependence on Math.random). */
export function randomArray(len, seed = 1) {
  const out = new Float64Array(len);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/** Rows of a flat row-major array as plain arrays (what ml-matrix / ml-kernel take). */
export function toRows(data, rows, cols) {
  const out = [];
  for (let i = 0; i < rows; i++) out.push(Array.from(data.subarray(i * cols, (i + 1) * cols)));
  return out;
}
