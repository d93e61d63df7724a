// The interactive demo (examples/demo/, built into dist/demo/ by scripts/build.mjs), driven in
// headless Chromium as a person would: run SQUEAK (in the page's Web Worker) and watch the
// progress bar fill and the dictionary appear over the data, compare the KRR fits, play the
// game; then the numbers on the page are checked against the same computations in Node, and a
// screenshot is kept as a test artefact (dist-test/demo/demo.png).
import { describe, it, expect, beforeAll } from "vitest";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { init, games } from "../sdk/index.js";
import { CHROMIUM, chromiumAvailable } from "./runtime/chromium.mjs";
import { serveStatic } from "../examples/serve.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const shot = join(root, "dist-test", "demo", "demo.png");

beforeAll(async () => {
  await init();
  mkdirSync(dirname(shot), { recursive: true });
});

describe("the interactive demo", () => {
  it("is built by the project's build", () => {
    for (const f of ["index.html", "demo.js", "squeak-worker.js"]) expect(existsSync(join(root, "dist", "demo", f)), f).toBe(true);
  });

  (chromiumAvailable() ? it : it.skip)("runs SQUEAK in a worker with progress, compares KRR fits, plots the game (headless Chromium)", async () => {
    const { chromium } = await import("playwright-core");
    const server = await serveStatic(root);
    const browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
      await page.goto(`${server.url}dist/demo/`);
      await page.waitForFunction(() => (window as unknown as { __demo?: { ready?: boolean } }).__demo?.ready === true, null, { timeout: 60_000 });

      // SQUEAK: the progress bar moves through intermediate values and the dictionary is drawn
      // while it runs (snapshots from the worker), then the KRR table fills.
      await page.selectOption("#dataset", "moons");
      await page.fill("#n", "6000");
      await page.dispatchEvent("#n", "change");
      await page.click("#run-squeak");
      await page.waitForFunction(() => (window as unknown as { __demo: { krr: unknown } }).__demo.krr !== null, null, { timeout: 60_000 });
      const seen = await page.evaluate(() => (window as unknown as { __demo: { progress: number[] } }).__demo.progress);
      expect(seen.length, "progress reports (one per chunk of 250 rows)").toBe(24);
      expect(seen.filter((v) => v > 0 && v < 1).length).toBe(23);
      expect(seen.at(-1)).toBe(1);
      expect(await page.evaluate(() => (document.getElementById("progress") as HTMLProgressElement).value)).toBe(1);
      const demo = await page.evaluate(() => (window as unknown as { __demo: Record<string, any> }).__demo);
      expect(demo.errors).toEqual([]);
      expect(demo.squeak.n).toBe(6000);
      expect(demo.squeak.size).toBeGreaterThan(10);
      expect(demo.squeak.size).toBeLessThan(1500); // the dictionary is a small fraction of the data
      expect(demo.drawn).toBeGreaterThan(1); // dictionary drawn while it grew, and at the end
      expect(await page.locator("#status").textContent()).toMatch(/done: \d+ of 6000 points kept/);
      for (const k of ["SQUEAK", "uniform"]) {
        expect(demo.krr[k].m).toBe(demo.squeak.size);
        expect(demo.krr[k].rmse).toBeGreaterThan(0);
        expect(demo.krr[k].accuracy).toBeGreaterThan(0.9); // two moons are separable
      }
      expect(await page.locator("#krr tbody tr").count()).toBe(2);
      // the canvas has red dictionary points on it
      const red = await page.evaluate(() => {
        const c = document.getElementById("scatter") as HTMLCanvasElement;
        const px = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] > 180 && px[i + 1] < 80 && px[i + 2] < 80) n++;
        return n;
      });
      expect(red).toBeGreaterThan(100);

      // The game: Nash-MP and Nash-MD on the page equal the same runs in Node.
      await page.selectOption("#game", "skew");
      await page.fill("#beta", "0.1");
      await page.fill("#iters", "2000");
      await page.click("#play");
      await page.waitForFunction(() => (window as unknown as { __demo: { game: unknown } }).__demo.game !== null, null, { timeout: 60_000 });
      const g = await page.evaluate(() => (window as unknown as { __demo: Record<string, any> }).__demo.game);
      const game = games.skewLogit(20, { seed: 2 });
      for (const solver of ["nash-mp", "nash-md"] as const) {
        const r = games.runSolver(solver, game, { beta: 0.1, iters: 2000, logEvery: 10 });
        expect(g[solver].finalKl, solver).toBe(r.metrics.kl.at(-1));
        expect(g[solver].points).toBe(r.metrics.kl.length);
      }
      expect(g["nash-mp"].finalKl).toBeLessThan(g["nash-md"].finalKl); // mirror prox converges faster
      game.dispose();
      const svg = page.locator("#game-plot svg");
      expect(await svg.count()).toBe(1);
      expect(await page.locator("#game-plot svg path, #game-plot svg polyline").count()).toBeGreaterThanOrEqual(2);
      expect(await page.evaluate(() => document.getElementById("game-progress")!.getAttribute("value") ?? (document.getElementById("game-progress") as HTMLProgressElement).value)).toBeTruthy();

      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 120_000);
});
