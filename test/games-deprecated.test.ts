// The games renames of this release (docs/conventions.md): mu/mus → refPolicy/refPolicies,
// reference → equilibrium, gamma → mixture, MTPO's alpha → beta. For every renamed option: the
// new name works without a warning; the old name works, warns exactly once per process and gives
// bit-identical results; both names together are a ValueError; a typo is a ValueError naming the
// new name. The renamed result fields (GameRun.reference, TreeEnvironment.mu,
// PreferenceGame.isDisposed) read the new value with one warning.
//
// The one-time warnings are per process, and vitest runs each test file in a fresh module graph:
// no other test in this file may use an old name before its own case runs.
import { describe, it, expect, beforeAll, afterEach, vi } from "vitest";
import { init, Rng, ValueError } from "../sdk/index.js";
import * as G from "../sdk/games/index.js";

beforeAll(async () => {
  await init();
});

let warnings: string[] = [];
function captureWarnings(): void {
  warnings = [];
  vi.spyOn(process, "emitWarning").mockImplementation(((message: string | Error, opts?: { code?: string }) => {
    if (opts?.code === "SEQLEARN_DEPRECATED") warnings.push(String(message));
  }) as typeof process.emitWarning);
}
afterEach(() => {
  vi.restoreAllMocks();
});

/** Typed arrays → their bytes, recursively, so that equality means bit-identical numbers. */
function bits(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  if (Array.isArray(v)) return v.map(bits);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bits(x)]));
  if (typeof v === "number") return Array.from(new Uint8Array(Float64Array.of(v).buffer));
  return v;
}

type Opts = Record<string, unknown>;

interface RenameCase {
  /** The `where` of the call's messages. */
  where: string;
  oldName: string;
  newName: string;
  /** A misspelling that must suggest `newName`. */
  typo: string;
  /** The options without the renamed one. */
  base: Opts;
  /** The renamed option's value (built when the test runs: games need the engine). */
  value: (f: Fixtures) => unknown;
  /** The call, returning what must be identical under both names. */
  run: (f: Fixtures, opts: Opts) => unknown;
}

const uniform3 = [1 / 3, 1 / 3, 1 / 3];
const skewed3 = [0.5, 0.3, 0.2];
const any = <T>(v: unknown) => v as T; // lets the old names through the types

/** Games and policies the cases share, built once, after init(). */
function fixtures() {
  const g = G.threeType(0.1);
  const tree = G.treeEnvironment({ horizon: 2, actions: 2, outcomes: 2, seed: 2 });
  return {
    g, tree,
    star: G.solveNash(g, { beta: 0.1 }).policy,
    treeStar: G.mtpo(tree.env, tree.pref, { beta: 0.2, iters: 300, logEvery: 0 }).policy,
    judge: G.judgeFromGame(g),
    refPol: G.TabularPolicy.fromProbs(skewed3),
    seqPol: new G.SequencePolicy(1, 2, 2, [0.5, -0.5, 1, 0, -1, 0.3]),
    seqRef: new G.SequencePolicy(1, 2, 2, [-1, 1, 0, 0.5, 1, -1]),
  };
}
type Fixtures = ReturnType<typeof fixtures>;
let shared: Fixtures | null = null;
const getFixtures = () => (shared ??= fixtures());

function train(fn: typeof G.trainNashMD | typeof G.trainOnlineIpo) {
  return (f: Fixtures, o: Opts) => {
    const p = f.refPol.snapshot();
    const log = fn(p, f.refPol, f.judge, any(o));
    return { logits: p.logits, log };
  };
}

function draw<T>(sample: (rng: Rng) => T): T {
  const rng = new Rng(11);
  try {
    return sample(rng);
  } finally {
    rng.dispose();
  }
}

const CASES: RenameCase[] = [
  { where: "nashMD", oldName: "mu", newName: "refPolicy", typo: "refPolcy", base: { beta: 0.1, iters: 20 }, value: () => skewed3, run: (f, o) => G.nashMD(f.g, any(o)) },
  { where: "nashMirrorProx", oldName: "reference", newName: "equilibrium", typo: "equilibrim", base: { beta: 0.1, iters: 20 }, value: () => skewed3, run: (f, o) => G.nashMirrorProx(f.g, any(o)) },
  { where: "onlineIpo", oldName: "mu", newName: "refPolicy", typo: "muu", base: { beta: 0.1, iters: 20 }, value: () => skewed3, run: (f, o) => G.onlineIpo(f.g, any(o)) },
  { where: "ipoMD", oldName: "gamma", newName: "mixture", typo: "mixtures", base: { beta: 0.1, iters: 50, logEvery: 10 }, value: () => 0.3, run: (f, o) => G.ipoMD(f.g, any(o)) },
  { where: "runSolver", oldName: "gamma", newName: "mixture", typo: "mixtur", base: { beta: 0.1, iters: 50 }, value: () => 0.3, run: (f, o) => G.runSolver("ipo-md", f.g, any(o)) },
  {
    where: "solveContextual", oldName: "mus", newName: "refPolicies", typo: "refPolicie", base: { beta: 0.1, iters: 10, weights: [0.25, 0.75] },
    value: () => [skewed3, uniform3], run: (f, o) => G.solveContextual("nash-md", [f.g, f.g], any(o)),
  },
  { where: "solveNash", oldName: "mu", newName: "refPolicy", typo: "refpolicy", base: { beta: 0.1 }, value: () => skewed3, run: (f, o) => G.solveNash(f.g, any(o)) },
  { where: "bestResponse", oldName: "mu", newName: "refPolicy", typo: "refPolicyy", base: { beta: 0.1 }, value: () => skewed3, run: (f, o) => G.bestResponse(f.g, uniform3, any(o)) },
  { where: "gameMetrics", oldName: "reference", newName: "equilibrium", typo: "equilibium", base: { beta: 0.1 }, value: (f) => f.star, run: (f, o) => G.gameMetrics(f.g, uniform3, any(o)) },
  { where: "fitBradleyTerry", oldName: "mu", newName: "refPolicy", typo: "reffPolicy", base: { iters: 200 }, value: () => skewed3, run: (f, o) => G.fitBradleyTerry(f.g, any(o)) },
  { where: "rlhfPolicy", oldName: "mu", newName: "refPolicy", typo: "refPolic", base: { beta: 0.5 }, value: () => skewed3, run: (_f, o) => G.rlhfPolicy([0.1, -0.2, 0], any(o)) },
  { where: "mtpo", oldName: "alpha", newName: "beta", typo: "betta", base: { iters: 20, logEvery: 5 }, value: () => 0.2, run: (f, o) => G.mtpo(f.tree.env, f.tree.pref, any(o)) },
  { where: "mtpo", oldName: "mu", newName: "refPolicy", typo: "refPolicie", base: { beta: 0.2, iters: 20 }, value: (f) => f.tree.refPolicy.map((p) => p.map((v, i) => (i % 2 === 0 ? 0.3 : 0.7))), run: (f, o) => G.mtpo(f.tree.env, f.tree.pref, any(o)) },
  { where: "mtpo", oldName: "reference", newName: "equilibrium", typo: "equlibrium", base: { beta: 0.2, iters: 20 }, value: (f) => f.treeStar, run: (f, o) => G.mtpo(f.tree.env, f.tree.pref, any(o)) },
  { where: "mtpoExploitability", oldName: "alpha", newName: "beta", typo: "bbeta", base: {}, value: () => 0.2, run: (f, o) => G.mtpoExploitability(f.tree.env, f.tree.pref, f.tree.refPolicy, any(o)) },
  {
    where: "mtpoExploitability", oldName: "mu", newName: "refPolicy", typo: "refPolcy", base: { beta: 0.2 }, value: (f) => f.tree.refPolicy,
    run: (f, o) => G.mtpoExploitability(f.tree.env, f.tree.pref, f.treeStar, any(o)),
  },
  { where: "trainNashMD", oldName: "gamma", newName: "mixture", typo: "mixtur", base: { beta: 0.2, batch: 8, iters: 30, logEvery: 10, seed: 4 }, value: () => 0.4, run: train(G.trainNashMD) },
  { where: "trainOnlineIpo", oldName: "gamma", newName: "mixture", typo: "mixtrue", base: { beta: 0.2, batch: 8, iters: 30, logEvery: 10, seed: 4 }, value: () => 0.4, run: train(G.trainOnlineIpo) },
  {
    where: "TabularPolicy.sample", oldName: "gamma", newName: "mixture", typo: "mixure", base: {}, value: () => 0.6,
    run: (f, o) => draw((rng) => G.TabularPolicy.fromProbs([0.1, 0.6, 0.3]).sample([0, 0, 0, 0, 0, 0, 0, 0], rng, any({ ref: f.refPol, ...o }))),
  },
  {
    where: "SequencePolicy.sample", oldName: "gamma", newName: "mixture", typo: "mixtures", base: {}, value: () => 0.6,
    run: (f, o) => draw((rng) => f.seqPol.sample([0, 0, 0, 0, 0, 0, 0, 0], rng, any({ ref: f.seqRef, ...o }))),
  },
];

describe("renamed options", () => {
  for (const c of CASES) {
    it(`${c.where}: ${c.oldName} → ${c.newName}`, () => {
      const f = getFixtures();
      const value = c.value(f);
      const call = (o: Opts) => c.run(f, o);
      captureWarnings();
      // the new name: no warning
      const withNew = call({ ...c.base, [c.newName]: value });
      expect(warnings).toEqual([]);
      // the old name: exactly one warning that names both, and the same numbers
      const withOld = call({ ...c.base, [c.oldName]: value });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`${c.where}: the option "${c.oldName}" is deprecated`);
      expect(warnings[0]).toContain(`use "${c.newName}"`);
      expect(bits(withOld)).toEqual(bits(withNew));
      // …once per process, however often it is used
      call({ ...c.base, [c.oldName]: value });
      expect(warnings).toHaveLength(1);
      // the value matters (the case would pass vacuously if the option were ignored): without
      // it the call gives other numbers, or fails when the option is required
      let without: unknown;
      try {
        without = bits(call(c.base));
      } catch (e) {
        without = e instanceof ValueError ? "required" : e;
      }
      expect(without).not.toEqual(bits(withNew));
      // both names: refused
      expect(() => call({ ...c.base, [c.oldName]: value, [c.newName]: value })).toThrow(ValueError);
      expect(() => call({ ...c.base, [c.oldName]: value, [c.newName]: value })).toThrow(`give "${c.newName}" or its deprecated name "${c.oldName}", not both`);
      // a typo: refused, naming the new spelling
      expect(() => call({ ...c.base, [c.typo]: value })).toThrow(ValueError);
      expect(() => call({ ...c.base, [c.typo]: value })).toThrow(`${c.where}: unknown option "${c.typo}"; did you mean "${c.newName}"?`);
      expect(warnings).toHaveLength(1);
    });
  }
});

describe("renamed fields of results", () => {
  it("GameRun.reference is the equilibrium, hidden from enumeration, with one warning", () => {
    captureWarnings();
    const g = G.sineGame();
    const run = G.nashMirrorProx(g, { beta: 0.1, iters: 5 });
    expect(run.equilibrium).not.toBeNull();
    expect(warnings).toEqual([]);
    expect(Object.keys(run)).not.toContain("reference");
    expect(JSON.parse(JSON.stringify(run))).not.toHaveProperty("reference");
    expect(run.reference).toBe(run.equilibrium);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/GameRun: the field "reference" is deprecated.*use "equilibrium"/);
    const other = G.solveContextual("nash-md", [g], { beta: 0.1, iters: 3 }).runs[0];
    expect(other.reference).toBe(other.equilibrium);
    expect(warnings).toHaveLength(1);
    g.dispose();
  });

  it("TreeEnvironment.mu is refPolicy (the same arrays), with one warning", () => {
    captureWarnings();
    const tree = G.treeEnvironment({ horizon: 1, actions: 3, outcomes: 2, seed: 6 });
    expect(warnings).toEqual([]);
    expect(Object.keys(tree).sort()).toEqual(["env", "pref", "refPolicy"]);
    const { mu } = tree;
    expect(mu).toBe(tree.refPolicy);
    expect(tree.mu).toBe(tree.refPolicy);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/TreeEnvironment: the field "mu" is deprecated.*use "refPolicy"/);
    tree.pref.dispose();
  });

  it("PreferenceGame.isDisposed follows `disposed`, with one warning", () => {
    captureWarnings();
    const g = G.rps();
    expect(g.isDisposed).toBe(false);
    g.dispose();
    expect(g.isDisposed).toBe(true);
    expect(g.disposed).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/isDisposed is deprecated.*use PreferenceGame\.disposed/);
  });
});

describe("runSolver shares one set of options between solvers", () => {
  it("mixture reaches ipo-md and is ignored by the other solvers", () => {
    const g = G.skewLogit(6, { seed: 3 });
    const opts = { beta: 0.2, iters: 40, logEvery: 0, equilibrium: null, mixture: 0.5 };
    expect(bits(G.runSolver("ipo-md", g, opts))).toEqual(bits(G.ipoMD(g, opts)));
    expect(bits(G.runSolver("ipo-md", g, opts))).not.toEqual(bits(G.ipoMD(g, { ...opts, mixture: 0.125 })));
    const { mixture: _, ...rest } = opts;
    expect(bits(G.runSolver("nash-mp", g, opts))).toEqual(bits(G.nashMirrorProx(g, rest)));
    expect(() => G.nashMirrorProx(g, any(opts))).toThrow(/nashMirrorProx: unknown option "mixture"/);
    g.dispose();
  });
});
