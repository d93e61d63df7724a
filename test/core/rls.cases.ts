// Kernel-dictionary cases for the cross-runtime core suite: small and fast, plus a digest of
// a seeded SQUEAK dictionary that must be byte-identical in Node, Deno, Chromium and WASI.
import * as S from "../../sdk/index.js";
import { ok, close, throwsType, fingerprint } from "./assert.js";
import type { Case } from "./suite.js";

// Deterministic data without the engine: an LCG blob plus a few tight far-away clusters,
// using only + − × ÷ (bit-identical in every runtime).
function mixture(n: number, d: number, seed: number): S.Matrix {
  let s = seed >>> 0;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const X = new S.Matrix(n, d);
  for (let i = 0; i < n; i++) {
    const cluster = i % 10 === 0;
    const c = cluster ? Math.floor(u() * 8) : 0;
    for (let j = 0; j < d; j++) {
      // Irwin–Hall normal (12 uniforms − 6): plain arithmetic, so the data are bit-identical
      // in every JavaScript engine (Math.log / Math.cos need not be).
      let g = -6;
      for (let k = 0; k < 12; k++) g += u();
      X.data[i * d + j] = cluster ? 12 * (((c * 7 + j * 3) % 11) / 5.5 - 1) + 0.05 * g : g;
    }
  }
  return X;
}

export const cases: Case[] = [
  {
    name: "exact RLS sum to d_eff and the full-data estimator gives (1−ε)·τ",
    fn: () => {
      const X = mixture(60, 2, 7);
      const kernel = S.rbf({ gamma: 0.5 });
      const ex = S.exactRls(X, kernel, 0.5);
      let sum = 0;
      for (const t of ex.scores) {
        ok(t >= 0 && t < 1, "0 ≤ τ < 1");
        sum += t;
      }
      close(sum, ex.deff, 1e-12, "Σ τ = d_eff");
      const est = S.estimateRls(S.fullDictionary(X, { kernel, lambda: 0.5 }), X, { eps: 0.25 });
      for (let i = 0; i < X.rows; i++) close(est[i], 0.75 * ex.scores[i], 1e-10, `τ̃[${i}]`);
    },
  },
  {
    name: "SQUEAK: valid dictionary, Nyström error far below uniform's, bad options rejected",
    fn: () => {
      const X = mixture(400, 2, 3);
      const kernel = S.rbf({ gamma: 0.5 });
      const sq = new S.Squeak({ kernel, lambda: 1, qbar: 12, seed: 5 });
      sq.push(X);
      const d = sq.dictionary();
      sq.dispose();
      ok(d.size > 0 && d.size < 400, `dictionary size ${d.size}`);
      for (let k = 0; k < d.size; k++) ok(d.copies[k] >= 1 && d.copies[k] <= 12 && d.pTilde[k] > 0 && d.pTilde[k] <= 1, "entry ranges");
      const eS = S.nystromError(d, X, { mode: "plain" });
      const eU = S.nystromError(S.uniformNystrom(X, d.size, { kernel, seed: 5 }), X, { mode: "plain" });
      ok(eS < eU, `SQUEAK error ${eS} < uniform ${eU}`);
      throwsType(() => new S.Squeak({ kernel, lambda: 1, eps: 1 }), S.ValueError, /eps/, "eps = 1");
      throwsType(() => new S.Squeak({ kernel, lambda: 1, qbar: 0 }), S.ValueError, /qbar/, "qbar = 0");
    },
  },
];

export function digest(): Record<string, string> {
  const X = mixture(500, 3, 11);
  const sq = new S.Squeak({ kernel: S.rbf({ gamma: 0.4 }), lambda: 0.5, qbar: 8, seed: 2024, batch: 128 });
  sq.push(X);
  const d = sq.dictionary();
  sq.dispose();
  const model = S.NystromKRR.fit(d, X, Float64Array.from({ length: 500 }, (_, i) => X.data[3 * i] - (X.data[3 * i] * X.data[3 * i] * X.data[3 * i]) / 6), { ridge: 0.1 });
  return {
    squeak500: fingerprint(d.indices, d.pTilde, d.copies),
    squeakKrr: fingerprint(model.alpha.data),
  };
}
