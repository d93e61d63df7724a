#!/usr/bin/env node
// The `exports` map of package.json is derived from scripts/bundle.mjs (SUBPATHS, TARGETS):
//   node scripts/exports.mjs           print it
//   node scripts/exports.mjs --check   exit 1 (with the difference) if package.json differs
//   node scripts/exports.mjs --write   write it into package.json
// test/package.test.ts runs the check, so a subpath added to SUBPATHS without this step fails.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { exportsMap } from "./bundle.mjs";

const file = join(dirname(fileURLToPath(import.meta.url)), "..", "package.json");
const pkg = JSON.parse(readFileSync(file, "utf8"));
const want = exportsMap();
const mode = process.argv[2];
if (mode === "--write") {
  pkg.exports = want;
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  console.log("package.json: exports written");
} else if (mode === "--check") {
  const same = JSON.stringify(pkg.exports) === JSON.stringify(want);
  if (!same) {
    console.error(`package.json "exports" differs from scripts/bundle.mjs exportsMap(); run \`node scripts/exports.mjs --write\`.\nexpected:\n${JSON.stringify(want, null, 2)}`);
    process.exit(1);
  }
  console.log("package.json: exports up to date");
} else {
  console.log(JSON.stringify(want, null, 2));
}
