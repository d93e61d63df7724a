// seqlearn game: run exact tabular preference-game solvers on a generated game, print a
// convergence table (KL(π*‖π) against preference queries) and optionally write an SVG plot.
import { exp as detExp } from "../../core/detmath.js";
import { writeFileSync } from "node:fs";
import { init, Rng, games } from "../../index.js";
import { UsageError, numberFlag, stringFlag, type Command } from "../command.js";
import { linePlot } from "../../io/svg.js";

const FLAGS = new Set(["generator", "n", "seed", "sigma", "eps", "beta", "solver", "iters", "eta", "gamma", "init", "out", "json"]);

function fmt(v: number): string {
  if (!Number.isFinite(v)) return "–";
  if (v === 0) return "0";
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(4) : v.toExponential(2);
}

export const game: Command = {
  name: "game",
  summary: "solve a preference game with Nash-MP / Nash-MD / online IPO / …: convergence table and SVG plot",
  usage: [
    "seqlearn game [--generator rps] [--beta 0.1] [--solver nash-mp,nash-md,online-ipo] [--iters 200] [--out plot.svg]",
    "",
    `game:    --generator ${games.GENERATORS.join("|")}  --n <actions> (random generators; 10)`,
    "         --seed <s> (0)  --sigma <σ> (skew-logit, 1)  --eps <ε> (three-type, 0.1)",
    `solver:  --solver a,b,… from ${games.SOLVERS.join(", ")}  --beta <β> (0.1)  --iters <k> (200)`,
    "         --eta <η> (each solver's default)  --gamma <γ> (ipo-md, 0.125)",
    "         --init mu|random (start at μ = uniform, or at a seeded random policy; default random,",
    "         since μ is already the equilibrium of symmetric games such as rps and dice)",
    "output:  --out plot.svg (KL(π*‖π) against preference queries, log scale)  --json",
  ].join("\n"),
  booleans: ["json"],
  async run(args) {
    for (const k of Object.keys(args.flags)) if (!FLAGS.has(k)) throw new UsageError(`unknown option --${k}`);
    if (args.positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positional[0])}`);
    await init();
    const gen = stringFlag(args, "generator", "rps")!;
    if (!(games.GENERATORS as readonly string[]).includes(gen)) throw new UsageError(`--generator must be one of ${games.GENERATORS.join(", ")}, got ${JSON.stringify(gen)}`);
    const solvers = stringFlag(args, "solver", "nash-mp,nash-md,online-ipo")!.split(",").map((s) => s.trim()).filter(Boolean);
    for (const s of solvers) if (!(games.SOLVERS as readonly string[]).includes(s)) throw new UsageError(`--solver: unknown solver ${JSON.stringify(s)}; expected some of ${games.SOLVERS.join(", ")}`);
    const beta = numberFlag(args, "beta", 0.1)!;
    const iters = numberFlag(args, "iters", 200)!;
    const seed = numberFlag(args, "seed", 0)!;
    const eta = numberFlag(args, "eta");
    const gamma = numberFlag(args, "gamma");
    const initMode = stringFlag(args, "init", "random")!;
    if (initMode !== "mu" && initMode !== "random") throw new UsageError(`--init must be mu or random, got ${JSON.stringify(initMode)}`);
    const g = games.generate(gen as games.GeneratorName, { n: numberFlag(args, "n"), seed, sigma: numberFlag(args, "sigma"), eps: numberFlag(args, "eps") });
    try {
      const star = games.solveNash(g, { beta });
      let init0: Float64Array | undefined;
      if (initMode === "random") {
        const rng = new Rng(seed, 1);
        const z = rng.normal(g.n);
        rng.dispose();
        const e = z.map((v) => detExp(v)); // engine-independent, like the rest of the games code
        const s = e.reduce((a, b) => a + b, 0);
        init0 = e.map((v) => v / s);
      }
      const runs = solvers.map((s) => games.runSolver(s as games.SolverName, g, { beta, iters, eta, gamma, init: init0, reference: star.policy }));
      if (args.flags.json) {
        console.log(JSON.stringify({
          generator: gen, n: g.n, beta, equilibrium: Array.from(star.policy),
          runs: runs.map((r) => ({ solver: r.solver, policy: Array.from(r.policy), queries: Array.from(r.metrics.queries), kl: Array.from(r.metrics.kl), exploitability: Array.from(r.metrics.exploitability) })),
        }));
      } else {
        console.log(`game ${gen}: ${g.n} actions, β = ${beta}, μ uniform; π*_β = (${Array.from(star.policy, (v) => v.toFixed(4)).join(", ")})`);
        console.log("");
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
        console.log(line(head));
        for (const r of rows) console.log(line(r));
        console.log("");
        const sh = ["solver", "iters", "queries", "KL(π*‖π)", "E_β", "E_0", "P(π ≻ μ)"];
        const srows = runs.map((r) => {
          const last = r.metrics.kl.length - 1;
          return [r.solver, String(iters), String(r.queries), fmt(r.metrics.kl[last]), fmt(r.metrics.exploitability[last]), fmt(r.metrics.exploitability0[last]), fmt(r.metrics.winRate[last])];
        });
        const w2 = sh.map((h, c) => Math.max(h.length, ...srows.map((r) => r[c].length)));
        console.log(sh.map((c, i) => c.padStart(w2[i])).join("  "));
        for (const r of srows) console.log(r.map((c, i) => c.padStart(w2[i])).join("  "));
      }
      const out = stringFlag(args, "out");
      if (out) {
        const svg = linePlot({
          title: `${gen}: ${g.n} actions, β = ${beta}`,
          xLabel: "preference queries (products P·π)",
          yLabel: "KL(π*‖π)",
          logY: true,
          series: runs.map((r) => ({ name: r.solver, x: r.metrics.queries, y: r.metrics.kl.map((v) => (v > 0 ? v : NaN)), markers: false })),
        });
        writeFileSync(out, svg);
        if (!args.flags.json) console.log(`\nwrote ${out}`);
      }
      return 0;
    } finally {
      g.dispose();
    }
  },
};
