import { describe, it, beforeAll } from "vitest";
import { init } from "../sdk/index.js";
import { cases } from "./core/suite.js";

describe("core suite (Node)", () => {
  beforeAll(async () => {
    await init();
  });
  for (const c of cases) it(c.name, c.fn);
});
