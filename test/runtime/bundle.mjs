// Bundles the core suite (test/core/suite.ts + the SDK sources) into
// dist-test/suite/core-suite.js, an ES module with no imports that Deno, a browser page and the
// WASI runner load. Like the package's builds it finds the module at ../../build/seqlearn.wasm
// relative to itself, so `await init()` resolves the Wasm exactly as it does for users.
// Usable as a module (bundleSuite()) or a script: `node test/runtime/bundle.mjs`.
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// Two levels below the root, like dist/web/, so the SDK's ../../build/seqlearn.wasm holds.
export const suiteBundle = join(root, "dist-test", "suite", "core-suite.js");

export async function bundleSuite() {
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [join(root, "test", "runtime", "suite-entry.ts")],
    outfile: suiteBundle,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["node:*"],
    sourcemap: true,
    logLevel: "warning",
  });
  return suiteBundle;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(await bundleSuite());
}
