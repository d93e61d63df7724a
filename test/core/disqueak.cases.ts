// Distribution cases for the cross-runtime core suite: the dictionary codec and a small
// DISQUEAK tree run in this thread (no workers), with a digest of the merged dictionary file
// that must be byte-identical in Node, Deno, Chromium and WASI.
import * as S from "../../sdk/index.js";
import { ok, throwsType, fingerprint } from "./assert.js";
import type { Case } from "./suite.js";

function data(n: number, seed: number): S.Matrix {
  let s = seed >>> 0;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const X = new S.Matrix(n, 2);
  for (let i = 0; i < 2 * n; i++) X.data[i] = i % 20 < 2 ? 10 + 0.01 * u() : 2 * u() - 1;
  return X;
}

const opts = { kernel: { name: "rbf" as const, gamma: 0.5 }, lambda: 1, eps: 0.5, qbar: 8, seed: 11, leafSize: 40, workers: 0 };

export const cases: Case[] = [
  {
    name: "dictionary codec: round trip, truncation and corruption are detected",
    fn: async () => {
      const { dictionary } = await S.disqueak(data(120, 3), opts);
      const bytes = S.encodeDictionary(dictionary);
      const back = S.decodeDictionary(bytes);
      ok(back.size === dictionary.size && back.points.data.every((x, i) => Object.is(x, dictionary.points.data[i])), "round trip keeps every point");
      ok(S.encodeDictionary(back).every((b, i) => b === bytes[i]), "re-encoding gives the same bytes");
      throwsType(() => S.decodeDictionary(bytes.subarray(0, bytes.length - 1)), S.DictionaryFormatError, null, "truncated file");
      const bad = bytes.slice();
      bad[200] ^= 1;
      throwsType(() => S.decodeDictionary(bad), S.DictionaryFormatError, null, "one flipped bit");
    },
  },
  {
    name: "DISQUEAK: the tree driver equals the leaves and merges run by hand",
    fn: async () => {
      const X = data(200, 9);
      const { dictionary } = await S.disqueak(X, { ...opts, leafSize: 50, leaf: "exact" });
      const a = S.encodeDictionary(dictionary), b = tree(X);
      ok(a.length === b.length && a.every((x, i) => x === b[i]), "same bytes");
    },
  },
  {
    name: "DISQUEAK: balanced and chain trees give valid dictionaries that summarise every row",
    fn: async () => {
      const X = data(160, 5);
      for (const shape of ["balanced", "chain"] as const) {
        const { dictionary: d, plan } = await S.disqueak(X, { ...opts, shape });
        ok(plan.leaves === 4 && d.params.n === 160 && d.size > 0 && d.size <= 160, `${shape}: size ${d.size}`);
        ok(d.params.c === 1.5 && d.params.method === "disqueak", "DISQUEAK estimator");
        for (let j = 0; j < d.size; j++) ok(d.pTilde[j] > 0 && d.pTilde[j] <= 1 && d.copies[j] >= 1 && d.copies[j] <= 8, "p̃ and q in range");
      }
    },
  },
];

/** The tree of disqueak(X, { leafSize: 50, workers: 0 }) evaluated step by step (synchronous). */
function tree(X: S.Matrix): Uint8Array {
  const p = S.kernel.disqueakParams(opts, "exact");
  const plan = S.planTree(4, "balanced");
  const vals: Array<S.RlsDictionary> = [];
  for (let i = 0; i < 4; i++) vals.push(S.kernel.disqueakLeaf({ data: X.data.slice(100 * i, 100 * (i + 1)), n: 50, d: 2, start: 50 * i }, p, opts.seed, plan.streams[i]));
  for (const m of plan.merges) vals[m.node] = S.kernel.disqueakMerge(vals[m.left], vals[m.right], p, opts.seed, m.stream);
  return S.encodeDictionary(vals[plan.root]);
}

export function digest(): Record<string, string> {
  return { disqueak: fingerprint(tree(data(200, 9))) };
}
