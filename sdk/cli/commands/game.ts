// seqlearn game: run exact tabular preference-game solvers on a generated game, print a
// convergence table (KL(π*‖π) against preference queries) and optionally write an SVG plot.
import { clip } from "../../core/validate.js";
import { init, games } from "../../index.js";
import { randomStartPolicy } from "../../games/random-start.js";
import { command, UsageError } from "../command.js";
import { choice, custom, group, number, string, boolean } from "../flags.js";
import { linePlot } from "../../io/svg.js";
import { writeFileAtomic, checkOutput } from "../files.js";
import { out as say } from "../term.js";

function fmt(v: number): string {
  if (!Number.isFinite(v)) return "–";
  if (v === 0) return "0";
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(4) : v.toExponential(2);
}

function solverList(raw: string, flag: string): games.SolverName[] {
  const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`${flag} expects a comma-separated list of solvers, got ${JSON.stringify(clip(raw))}`);
  for (const s of names) if (!(games.SOLVERS as readonly string[]).includes(s)) throw new UsageError(`${flag}: unknown solver ${JSON.stringify(clip(s))}; expected some of ${games.SOLVERS.join(", ")}`);
  return names as games.SolverName[];
}

const FLAGS = {
  ...group("game", {
    generator: choice(games.GENERATORS, { default: "rps", help: "the preference game" }),
    n: number({ int: true, min: 1, metavar: "<actions>", help: "number of actions (random generators)", defaultText: "10" }),
    seed: number({ int: true, min: 0, default: 0, metavar: "<s>", help: "seed of the game and of the random start" }),
    sigma: number({ gt: 0, metavar: "<σ>", help: "skew-logit scale", defaultText: "1" }),
    eps: number({ min: 0, metavar: "<ε>", help: "three-type gap (≤ 1/3)", defaultText: "0.1" }),
  }),
  ...group("solver", {
    solver: custom(solverList, { metavar: "a,b,…", default: ["nash-mp", "nash-md", "online-ipo"] as games.SolverName[], help: `solvers, from ${games.SOLVERS.join(", ")}` }),
    beta: number({ gt: 0, default: 0.1, metavar: "<β>", help: "KL regularisation towards the reference policy" }),
    iters: number({ int: true, min: 0, default: 200, metavar: "<k>", help: "iterations" }),
    eta: number({ gt: 0, metavar: "<η>", help: "step size", defaultText: "each solver's default" }),
    mixture: number({ min: 0, max: 1, metavar: "<w>", deprecated: ["gamma"], help: "ipo-md: weight of the reference policy μ in the geometric mixture π^{1−w}·μ^w", defaultText: "0.125" }),
    init: choice(["random", "reference"], {
      default: "random", deprecatedValues: { mu: "reference" },
      help: "reference: start at the reference policy μ (refPolicy), uniform here; random: at a seeded random policy (μ is already the equilibrium of symmetric games such as rps and dice)",
    }),
  }),
  ...group("output", {
    out: string({ metavar: "<plot.svg>", help: "SVG plot of KL(π*‖π) against preference queries (log scale)" }),
    force: boolean({ help: "replace an existing plot file (without it an existing file is never replaced)" }),
    json: boolean({ help: "print the runs as JSON on stdout" }),
  }),
};

export const game = command({
  name: "game",
  summary: "solve a preference game with Nash-MP / Nash-MD / online IPO / …: convergence table and SVG plot",
  synopsis: "seqlearn game [--generator rps] [--beta 0.1] [--solver nash-mp,nash-md,online-ipo] [--iters 200] [--out plot.svg]",
  flags: FLAGS,
  async run({ positional, values: v }) {
    if (positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(clip(positional[0]))}`);
    // Outputs are checked before any work.
    if (v.out !== undefined) checkOutput(v.out, { force: v.force, flag: "--out" });
    await init();
    const gen = v.generator;
    const solvers = v.solver;
    const { beta, iters, seed, eta } = v;
    const mixture = v.mixture;
    const initMode = v.init;
    const g = games.generate(gen, { n: v.n, seed, sigma: v.sigma, eps: v.eps });
    try {
      const star = games.solveNash(g, { beta });
      const init0 = initMode === "random" ? randomStartPolicy(g.n, seed) : undefined;
      const runs = solvers.map((s) => games.runSolver(s, g, { beta, iters, eta, mixture, init: init0, equilibrium: star.policy }));
      if (v.json) {
        say(JSON.stringify({
          generator: gen, n: g.n, beta, equilibrium: Array.from(star.policy),
          runs: runs.map((r) => ({ solver: r.solver, policy: Array.from(r.policy), queries: Array.from(r.metrics.queries), kl: Array.from(r.metrics.kl), exploitability: Array.from(r.metrics.exploitability) })),
        }));
      } else {
        say(`game ${gen}: ${g.n} actions, β = ${beta}, μ uniform; π*_β = (${Array.from(star.policy, (v) => v.toFixed(4)).join(", ")})`);
        say("");
        // KL at equal preference-query budgets (the last iterate within each budget)
        const maxQ = Math.max(...runs.map((r) => r.queries));
        const budgets = [0, 2, 4, 10, 20, 50, 100, 200, 400, 1000, 2000, 5000, 10000].filter((b) => b <= maxQ);
        if (budgets[budgets.length - 1] !== maxQ) budgets.push(maxQ);
        const head = ["queries", ...runs.map((r) => `KL ${r.solver}`)];
        const rows = budgets.map((b) => [String(b), ...runs.map((r) => {
          let k = -1;
          for (let i = 0; i < r.metrics.queries.length; i++) if (r.metrics.queries[i] <= b) k = i;
          return k < 0 ? "–" : fmt(r.metrics.kl[k]);
        })]);
        const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
        const line = (cells: string[]) => cells.map((c, i) => c.padStart(w[i])).join("  ");
        say(line(head));
        for (const r of rows) say(line(r));
        say("");
        const sh = ["solver", "iters", "queries", "KL(π*‖π)", "E_β", "E_0", "P(π ≻ μ)"];
        const srows = runs.map((r) => {
          const last = r.metrics.kl.length - 1;
          return [r.solver, String(iters), String(r.queries), fmt(r.metrics.kl[last]), fmt(r.metrics.exploitability[last]), fmt(r.metrics.exploitability0[last]), fmt(r.metrics.winRate[last])];
        });
        const w2 = sh.map((h, c) => Math.max(h.length, ...srows.map((r) => r[c].length)));
        say(sh.map((c, i) => c.padStart(w2[i])).join("  "));
        for (const r of srows) say(r.map((c, i) => c.padStart(w2[i])).join("  "));
      }
      const out = v.out;
      if (out) {
        const svg = linePlot({
          title: `${gen}: ${g.n} actions, β = ${beta}`,
          xLabel: "preference queries (products P·π)",
          yLabel: "KL(π*‖π)",
          logY: true,
          series: runs.map((r) => ({ name: r.solver, x: r.metrics.queries, y: r.metrics.kl.map((v) => (v > 0 ? v : NaN)), markers: false })),
        });
        writeFileAtomic(out, svg, { force: v.force, flag: "--out" });
        if (!v.json) say(`\nwrote ${out}`);
      }
      return 0;
    } finally {
      g.dispose();
    }
  },
});
