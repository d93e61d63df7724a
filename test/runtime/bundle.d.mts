// Types of bundle.mjs (plain JavaScript so that it also runs as a script).

/** The repository root. */
export const root: string;

/** Path of the bundled core suite, dist-test/suite/core-suite.js. */
export const suiteBundle: string;

/** Bundle test/runtime/suite-entry.ts into `suiteBundle`; resolves to its path. */
export function bundleSuite(): Promise<string>;
