// Drives Debian's /usr/bin/chromium headless through playwright-core: serves the repository
// from 127.0.0.1, opens pages, and returns what they expose on `window`.
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveStatic } from "../../examples/serve.mjs";

export const CHROMIUM = process.env.SEQLEARN_CHROMIUM ?? "/usr/bin/chromium";

export function chromiumAvailable() {
  return existsSync(CHROMIUM);
}

/**
 * Open each `{ path, global }` page of the repository in one headless Chromium and wait for
 * `window[global]` to be set. Resolves to the values (plus console errors per page). With
 * `baseUrl`, the pages are read from that server instead of a static server over `root`;
 * `isolate` (true, or a function of the path) sends the cross-origin isolation headers;
 * `screenshots` maps a page's path to a PNG file to write once the page is done.
 */
export async function runPages(root, pages, { timeoutMs = 90_000, baseUrl, screenshots = {}, allow = ["test/runtime/", "dist-test/", "dist/", "build/", "examples/", "data/"], isolate } = {}) {
  const { chromium } = await import("playwright-core");
  // The test pages, their bundles and the package files they import.
  const server = baseUrl ? { url: baseUrl, close: async () => {} } : await serveStatic(root, 0, { allow, isolate });
  const profile = mkdtempSync(join(tmpdir(), "seqlearn-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    });
    const results = [];
    for (const { path, global } of pages) {
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
      await page.goto(server.url + path, { timeout: timeoutMs });
      await page.waitForFunction((g) => window[g] !== undefined, global, { timeout: timeoutMs, polling: 100 });
      const value = await page.evaluate((g) => window[g], global);
      const userAgent = await page.evaluate(() => navigator.userAgent);
      if (screenshots[path]) await page.screenshot({ path: screenshots[path], fullPage: true });
      results.push({ path, value, errors, userAgent });
      await page.close();
    }
    return results;
  } finally {
    await context?.close().catch(() => {});
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const { root } = await import("./bundle.mjs");
  const [r] = await runPages(root, [{ path: "test/runtime/browser.html", global: "__seqlearnReport" }]);
  console.log(JSON.stringify(r));
}
