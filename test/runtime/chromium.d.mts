// Types of chromium.mjs (plain JavaScript so that it also runs as a script).

/** Path of the Chromium executable (SEQLEARN_CHROMIUM, default /usr/bin/chromium). */
export const CHROMIUM: string;

/** Whether the Chromium executable exists. */
export function chromiumAvailable(): boolean;

/** A page of the repository to open, and the `window` property it sets when it is done. */
export interface PageSpec {
  path: string;
  global: string;
}

/** What a page left: the value of `window[global]` (every page here sets a plain object),
 *  the page errors and console errors it raised, and the browser's user agent. */
export interface PageResult {
  path: string;
  value: Record<string, unknown>;
  errors: string[];
  userAgent: string;
}

/** Open each page in one headless Chromium, in order, and wait for `window[global]`. */
export function runPages(root: string, pages: readonly PageSpec[], options?: { timeoutMs?: number; baseUrl?: string; screenshots?: Record<string, string>; allow?: readonly string[]; isolate?: boolean | ((path: string) => boolean) }): Promise<PageResult[]>;
