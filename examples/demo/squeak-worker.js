// The demo's Web Worker: SQUEAK over the data the page posts, with the module the page
// compiled (no second download), streaming progress and dictionary snapshots back.
import { initSync, Squeak, rbf, Matrix, encodeDictionary } from "../../sdk/index.ts";

let controller = null;
self.onmessage = async ({ data: msg }) => {
  if (msg.type === "cancel") return controller?.abort(new Error("cancelled"));
  if (msg.type !== "run") return;
  initSync(msg.module);
  controller = new AbortController();
  const X = new Matrix(msg.n, 2, msg.points);
  const squeak = new Squeak({ kernel: rbf({ gamma: msg.gamma }), lambda: msg.lambda, qbar: 4, seed: 1 });
  try {
    let next = 0;
    await squeak.pushAsync(X, {
      chunkRows: 250,
      signal: controller.signal,
      onProgress: (p) => {
        const snapshot = p.done >= next || p.done === p.total;
        if (snapshot) next = p.done + Math.max(500, p.total / 8);
        self.postMessage({ type: "progress", done: p.done, total: p.total, etaMs: p.etaMs, points: snapshot ? squeak.dictionary().points.data : null });
      },
    });
    const bytes = encodeDictionary(squeak.dictionary());
    self.postMessage({ type: "done", dictionary: bytes, deff: squeak.deffEstimate }, [bytes.buffer]);
  } catch (e) {
    self.postMessage({ type: "error", message: String(e?.message ?? e) });
  } finally {
    squeak.dispose();
  }
};
