// A Cloudflare Worker (run under workerd by the test, bundled by wrangler): a fetch handler that
// fits a Nyström KRR model and predicts. `init()` needs no source there: the package's
// `workerd` build imports the module, and wrangler hands it over compiled.
import * as sl from "seqlearn";
import { compute } from "../compute.mjs";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/predict") {
      const { x } = await request.json();
      await sl.init();
      const { Matrix, rbf, uniformNystrom, NystromKRR } = sl;
      const X = Matrix.fromRows([[0, 0], [1, 0], [0, 1], [1, 1]]);
      const model = NystromKRR.fit(uniformNystrom(X, 3, { kernel: rbf({ gamma: 1 }), seed: 2 }), X, [0, 1, 1, 2], { ridge: 1e-6 });
      return Response.json({ y: Array.from(model.predict([x])) });
    }
    return Response.json(await compute(sl));
  },
};
