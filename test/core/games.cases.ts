// Preference-game cases for the cross-runtime core suite: golden numbers (small and fast; the
// sine game's π*_β and Nash-MP KLs, the Nash-MD bound of Munos et al. 2024, Theorem 1), plus
// digests of seeded solver runs that must be byte-identical in Node, Deno, Chromium and WASI.
import * as S from "../../sdk/index.js";
import { ok, close, maxAbsDiff, throwsType, fingerprint } from "./assert.js";
import type { Case } from "./suite.js";

const G = S.games;

export const cases: Case[] = [
  {
    name: "sine game: golden π*_β and Nash-MP KL at k = 1, 5, 10",
    fn: () => {
      const g = G.sineGame();
      const s = G.solveNash(g, { beta: 0.1 });
      ok(maxAbsDiff(s.policy, [0.251803, 0.118637, 0.254203, 0.116163, 0.259194]) < 1e-6, "π*_0.1 golden");
      const run = G.nashMirrorProx(g, { beta: 0.1, iters: 10, equilibrium: s.policy });
      close(run.metrics.kl[1], 4.0004e-2, 4e-6, "KL at k=1");
      close(run.metrics.kl[5], 7.6369e-3, 8e-7, "KL at k=5");
      close(run.metrics.kl[10], 1.0059e-3, 1e-7, "KL at k=10");
      close(run.metrics.exploitability[0], 0.014905, 1e-6, "E_β(μ)");
      g.dispose();
    },
  },
  {
    name: "two-action closed form, RPS uniform equilibrium, Nash-MD bound",
    fn: () => {
      const g2 = S.PreferenceGame.fromMatrix([[0.5, 0.7], [0.3, 0.5]]);
      close(G.solveNash(g2, { beta: 1 }).policy[0], 1 / (1 + Math.exp(-0.2)), 1e-9, "π*₁ = σ(0.2)");
      const rps = G.rps();
      ok(maxAbsDiff(G.solveNash(rps, { beta: 0.05 }).policy, [1 / 3, 1 / 3, 1 / 3]) < 1e-9, "RPS uniform");
      const md = G.nashMD(G.sineGame(), { beta: 0.1, iters: 100 });
      for (let t = 0; t < md.metrics.kl.length; t++) ok(md.metrics.kl[t] <= 8 / (0.01 * (t + 1)), `Nash-MD bound at T=${t}`);
      close(md.metrics.kl[100], 1.72e-5, 1e-7, "Nash-MD KL at T=100");
    },
  },
  {
    name: "low-rank skew game agrees with its dense form",
    fn: () => {
      const lr = G.lowRankSkew(150, 8, { seed: 4 });
      const dense = S.PreferenceGame.fromMatrix(lr.toMatrix());
      const a = G.nashMirrorProx(lr, { beta: 0.2, iters: 10, equilibrium: null });
      const b = G.nashMirrorProx(dense, { beta: 0.2, iters: 10, equilibrium: null });
      ok(maxAbsDiff(a.logPolicy, b.logPolicy) < 1e-11, "same iterates on both paths");
      lr.dispose();
      dense.dispose();
    },
  },
  {
    name: "invalid preference matrix and β ≤ 0 are rejected",
    fn: () => {
      throwsType(() => S.PreferenceGame.fromMatrix([[0.5, 0.7], [0.4, 0.5]]), S.ValueError, /P \+ Pᵀ = 1/, "asymmetric P");
      throwsType(() => G.nashMirrorProx(G.rps(), { beta: 0 }), S.ValueError, /beta/, "β = 0");
      throwsType(() => G.nashMirrorProx(G.rps(), { beta: 0.1, eta: 3 }), S.ValueError, /eta/, "η > 2");
    },
  },
];

export function digest(): Record<string, string> {
  const g = G.skewLogit(30, { seed: 42, sigma: 2 });
  const mp = G.nashMirrorProx(g, { beta: 0.05, iters: 50, equilibrium: null });
  const md = G.nashMD(g, { beta: 0.05, iters: 50, equilibrium: null });
  g.dispose();
  const lr = G.lowRankSkew(2000, 4, { seed: 9 });
  const lrun = G.nashMirrorProx(lr, { beta: 0.1, iters: 20, equilibrium: null });
  lr.dispose();
  const sg = G.sineGame(8);
  const mu = G.TabularPolicy.fromProbs(new Float64Array(8).fill(1 / 8));
  const pol = mu.snapshot();
  G.trainNashMP(pol, mu, G.judgeFromGame(sg), { beta: 0.1, batch: 32, inner: 10, outer: 5, seed: 3 });
  sg.dispose();
  return {
    nashMp50: fingerprint(mp.logPolicy, mp.metrics.exploitability, mp.metrics.exploitability0, mp.metrics.winRate),
    nashMd50: fingerprint(md.logPolicy, md.metrics.exploitability),
    lowRank2000: fingerprint(lrun.logPolicy, lrun.metrics.exploitability),
    nashMpPg: fingerprint(pol.logits),
  };
}
