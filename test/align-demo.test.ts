// The alignment page of the demo (examples/demo/align.html, built into dist/demo/ by
// scripts/build.mjs), driven in headless Chromium as a person would: set the model, press
// Train, watch the loss curve being drawn while the Web Worker trains, read the greedy answers;
// press Train and Stop. The losses on the page must be Node's, bit for bit (the same seeded run
// of the SDK in this process), and a screenshot is kept (dist-test/demo/align.png).
import { describe, it, expect, beforeAll } from "vitest";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { init } from "../sdk/index.js";
import { LanguageModel, Tokenizer, SftTrainer, parseRecord, tokenizeRecord } from "../sdk/align/index.js";
import { CHROMIUM, chromiumAvailable } from "./runtime/chromium.mjs";
import { serveStatic } from "../examples/serve.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const shot = join(root, "dist-test", "demo", "align.png");

beforeAll(async () => {
  await init();
  mkdirSync(dirname(shot), { recursive: true });
});

/** The page's run, in Node: the losses of every step. */
async function nodeLosses(layers: number, width: number, epochs: number, lr: number): Promise<number[]> {
  const tok = Tokenizer.byteLevel();
  const rows: Array<{ prompt: string; completion: string }> = [];
  for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) rows.push({ prompt: `${a}+${b}=`, completion: String(a + b) });
  const data = rows.map((r, i) => tokenizeRecord(parseRecord(r, null, i + 1), tok));
  const model = LanguageModel.create({ kind: "transformer", vocab: tok.vocabSize, context: 8, layers, heads: 2, width }, { seed: 1 });
  const t = new SftTrainer(model, { data, batchSize: 10, epochs, seed: 1, optimizer: { lr, schedule: { kind: "cosine", totalSteps: 10 * epochs } } });
  const { history } = await t.train();
  t.dispose();
  model.dispose();
  return history.map((h) => h.loss);
}

type Align = { ready: boolean; losses: number[]; drawn: number; done: null | { stopped: boolean; steps: number; accuracy: number; examples: Array<{ prompt: string; answer: string; right: boolean }> }; errors: string[] };

describe("the alignment demo page", () => {
  it("is built by the project's build", () => {
    for (const f of ["align.html", "align.js", "align-worker.js"]) expect(existsSync(join(root, "dist", "demo", f)), f).toBe(true);
  });

  (chromiumAvailable() ? it : it.skip)("trains a transformer in a Web Worker with a live loss curve; the losses are Node's; Stop stops (headless Chromium)", async () => {
    const { chromium } = await import("playwright-core");
    const server = await serveStatic(root);
    const browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
      await page.goto(`${server.url}dist/demo/align.html`);
      await page.waitForFunction(() => (window as unknown as { __align?: Align }).__align?.ready === true, null, { timeout: 60_000 });
      await page.fill("#layers", "2");
      await page.fill("#width", "32");
      await page.fill("#epochs", "60");
      await page.fill("#lr", "0.01");
      await page.click("#train");
      expect(await page.isDisabled("#train")).toBe(true);
      // the curve is drawn while the worker trains, before it is done
      await page.waitForFunction(() => {
        const a = (window as unknown as { __align: Align }).__align;
        return a.drawn >= 2 && a.losses.length >= 20;
      }, null, { timeout: 60_000, polling: 20 });
      const during = await page.evaluate(() => {
        const a = (window as unknown as { __align: Align }).__align;
        return { steps: a.losses.length, done: a.done !== null, svg: document.querySelectorAll("#curve svg").length };
      });
      expect(during.svg).toBe(1);
      await page.waitForFunction(() => (window as unknown as { __align: Align }).__align.done !== null, null, { timeout: 120_000 });
      const a = await page.evaluate(() => (window as unknown as { __align: Align }).__align);
      expect(a.errors).toEqual([]);
      expect(a.done!.stopped).toBe(false);
      expect(a.losses.length).toBe(600);
      expect(during.done || during.steps < 600).toBe(true);
      // the loss went down: the last steps' mean is a small fraction of the first steps'
      const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
      expect(mean(a.losses.slice(-10))).toBeLessThan(0.25 * mean(a.losses.slice(0, 10)));
      // Chromium's run is Node's, step for step and bit for bit
      expect(a.losses).toEqual(await nodeLosses(2, 32, 60, 0.01));
      expect(a.done!.accuracy).toBe(0.88); // the same model as in Node: 88 of the 100 sums right
      expect(await page.locator("#status").textContent()).toBe("done after 600 steps: 88 of 100 sums right");
      expect(await page.locator("#answers").textContent()).toMatch(/3\+7=\d+ [✓✗]/);
      // the curve: one line with a point per step
      const svg = page.locator("#curve svg");
      expect(await svg.count()).toBe(1);
      expect(await page.locator("#curve svg path, #curve svg polyline").count()).toBeGreaterThanOrEqual(1);
      expect(await page.locator("#curve svg").textContent()).toContain("optimizer step");
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);

      // Train again and Stop: the worker stops between two steps and still answers
      await page.fill("#epochs", "400");
      await page.click("#train");
      await page.waitForFunction(() => (window as unknown as { __align: Align }).__align.losses.length >= 5, null, { timeout: 60_000, polling: 10 });
      await page.click("#stop");
      await page.waitForFunction(() => (window as unknown as { __align: Align }).__align.done !== null, null, { timeout: 60_000 });
      const s = await page.evaluate(() => (window as unknown as { __align: Align }).__align.done!);
      expect(s.stopped).toBe(true);
      expect(s.steps).toBeLessThan(4000); // 400 epochs of 10 steps were asked for
      expect(await page.locator("#status").textContent()).toMatch(/^stopped after \d+ steps/);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 180_000);
});
