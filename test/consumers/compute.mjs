// The computation every consumer of the packed package runs (test/package.test.ts): a Nyström
// KRR fit with uniform centres, a prediction, exact leverage scores, optionally DISQUEAK on a
// pool of 2 workers, and the names of the typed errors. Every number comes from the engine, so
// each consumer (Node, a bundled page, workerd, Deno) must print exactly what Node prints.
// `sl` is the package's root namespace; `source` is what init() is given (none by default).
export async function compute(sl, { source, workers = 0 } = {}) {
  const { init, Matrix, rbf, uniformNystrom, NystromKRR, exactRls, disqueak } = sl;
  await (source === undefined ? init() : init(source));
  // Data from integer arithmetic only (host Math.sin/cos may differ by an ulp between engines).
  const n = 240;
  const X = new Matrix(n, 2);
  let s = 12345;
  for (let i = 0; i < 2 * n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    X.data[i] = (s / 4294967296) * 4 - 2;
  }
  const y = Float64Array.from({ length: n }, (_, i) => X.get(i, 0) * X.get(i, 0) - 0.5 * X.get(i, 1));
  const kernel = rbf({ gamma: 0.5 });
  const dict = uniformNystrom(X, 24, { kernel, seed: 1 });
  const model = NystromKRR.fit(dict, X, y, { ridge: 1e-3 });
  const predict = Array.from(model.predict([[0.5, 0.2], [-1, 0.7]]));
  const rls = exactRls(X, kernel, 1);
  const out = { predict, deff: rls.deff, json: model.toJSON().format, names: errorNames(sl) };
  if (workers > 0) {
    const r = await disqueak(X, { kernel, lambda: 1, qbar: 4, seed: 3, leafSize: 60, workers });
    out.disqueak = { size: r.dictionary.size, weights: Array.from(r.dictionary.weights).reduce((a, b) => a + b, 0) };
  }
  return out;
}

/** name → err.name for every error class the root exports (minifiers rename classes; the
 *  names must survive). */
export function errorNames(sl) {
  const names = {};
  for (const [key, value] of Object.entries(sl)) {
    if (typeof value === "function" && value.prototype instanceof Error) names[key] = new value("x", 1, 1, new Error("x")).name;
  }
  return names;
}
