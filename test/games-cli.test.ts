// `seqlearn game`: the convergence table and the SVG plot.
import { describe, it, expect, beforeAll, afterEach, vi } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, games } from "../sdk/index.js";
import { invoke, commandHelp, UsageError } from "../sdk/cli/command.js";
import { game } from "../sdk/cli/commands/game.js";
import { randomStartPolicy } from "../sdk/games/random-start.js";

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

  it("--mixture and --init reference map onto the SDK's mixture and refPolicy (μ, uniform here)", async () => {
    const g = games.generate("skew-logit", { n: 6, seed: 2 });
    try {
      const star = games.solveNash(g, { beta: 0.1 }).policy;
      const policyOf = async (argv: string[]) => {
        const { code, out } = await runCli(["--generator", "skew-logit", "-n", "6", "--seed", "2", "--solver", "ipo-md", "--iters", "30", "--json", ...argv]);
        expect(code).toBe(0);
        vi.restoreAllMocks();
        return JSON.parse(out).runs[0].policy as number[];
      };
      const sdk = (opts: Partial<games.IpoMdOptions>) => Array.from(games.runSolver("ipo-md", g, { beta: 0.1, iters: 30, equilibrium: star, ...opts }).policy);
      const mixed = await policyOf(["--mixture", "0.6"]);
      expect(mixed).toEqual(sdk({ mixture: 0.6, init: randomStartPolicy(6, 2) }));
      expect(mixed).not.toEqual(sdk({ init: randomStartPolicy(6, 2) })); // the default mixture 0.125
      // --init reference starts at μ, the SDK's default start (uniform refPolicy)
      expect(await policyOf(["--init", "reference"])).toEqual(sdk({}));
      expect(await policyOf(["--init", "reference"])).toEqual(sdk({ refPolicy: new Float64Array(6).fill(1 / 6) }));
    } finally {
      g.dispose();
    }
    expect(commandHelp(game)).toContain("the reference policy μ (refPolicy)");
  });

  it("rejects unknown generators, solvers and options", async () => {
    await expect(runCli(["--generator", "chess"])).rejects.toThrow(UsageError);
    await expect(runCli(["--solver", "nash-xx"])).rejects.toThrow(/unknown solver/);
    await expect(runCli(["--bogus", "1"])).rejects.toThrow(/unknown option --bogus/);
  });
});
