#!/usr/bin/env node
// `npm run docs`: builds docs/reference/ (HTML) from the doc comments with TypeDoc, using the
// options in typedoc.json. TypeDoc needs the TypeScript 5 compiler API, which the project's
// native TypeScript 7 does not have, so it runs from this folder, where `npm install` puts
// TypeDoc together with the TypeScript 5 it was built for.
//   node scripts/typedoc/run.mjs                 HTML into docs/reference/
//   node scripts/typedoc/run.mjs --json out.json the reflection tree as JSON (no HTML)
//   ... --options <typedoc.json>                 another configuration (the tests use a fixture)
// Exits non-zero when TypeDoc reports an error or a warning (typedoc.json treats warnings as
// errors), e.g. an exported name without a doc comment.
import { Application, TSConfigReader, TypeDocReader } from "typedoc";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
process.chdir(root);
const argv = process.argv.slice(2);
const jsonAt = argv.indexOf("--json");
const flag = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

const app = await Application.bootstrapWithPlugins({ options: flag("--options") ?? join(root, "typedoc.json") }, [
  new TypeDocReader(),
  new TSConfigReader(),
]);
const project = await app.convert();
if (!project) process.exit(1);
app.validate(project);
if (app.logger.hasErrors() || app.logger.hasWarnings()) process.exit(1);
if (jsonAt >= 0) await app.generateJson(project, flag("--json"));
else await app.generateDocs(project, app.options.getValue("out"));
if (app.logger.hasErrors() || app.logger.hasWarnings()) process.exit(1);
