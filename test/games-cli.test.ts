// `seqlearn game`: the convergence table and the SVG plot.
import { describe, it, expect, beforeAll, afterEach, vi } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init } from "../sdk/index.js";
import { invoke, UsageError } from "../sdk/cli/command.js";
import { game } from "../sdk/cli/commands/game.js";

beforeAll(async () => {
  await init();
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function runCli(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
  const code = await invoke(game, argv);
  return { code, out: lines.join("\n") };
}

describe("seqlearn game", () => {
  it("prints KL at equal query budgets for each solver and writes an SVG plot", async () => {
    const dir = mkdtempSync(join(tmpdir(), "seqlearn-game-"));
    try {
      const svgPath = join(dir, "plot.svg");
      const { code, out } = await runCli(["--generator", "rps", "--beta", "0.1", "--solver", "nash-mp,nash-md,online-ipo", "--iters", "200", "--out", svgPath]);
      expect(code).toBe(0);
      expect(out).toMatch(/queries\s+KL nash-mp\s+KL nash-md\s+KL online-ipo/);
      expect(out).toMatch(/π\*_β = \(0\.3333, 0\.3333, 0\.3333\)/);
      // the budget row for 400 queries exists (Nash-MP spends 2 per iteration)
      expect(out).toMatch(/\n\s+400\s/);
      const svg = readFileSync(svgPath, "utf8");
      expect(svg.startsWith("<svg")).toBe(true);
      for (const s of ["nash-mp", "nash-md", "online-ipo"]) expect(svg).toContain(s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--json reports the runs; the final KL of Nash-MP is at rounding level on the sine game", async () => {
    const { code, out } = await runCli(["--generator", "sine", "--solver", "nash-mp", "--iters", "150", "--json"]);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.n).toBe(5);
    expect(j.runs[0].solver).toBe("nash-mp");
    expect(j.runs[0].kl[150]).toBeLessThan(1e-12);
  });

  it("rejects unknown generators, solvers and options", async () => {
    await expect(runCli(["--generator", "chess"])).rejects.toThrow(UsageError);
    await expect(runCli(["--solver", "nash-xx"])).rejects.toThrow(/unknown solver/);
    await expect(runCli(["--bogus", "1"])).rejects.toThrow(/unknown option --bogus/);
  });
});
