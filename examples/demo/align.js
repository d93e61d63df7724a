// The alignment page (examples/demo/align.html, built into dist/demo/ by scripts/build.mjs): a
// small transformer learns to add two digits in a Web Worker while the page draws its loss
// curve, step by step. What it shows is also left on `window.__align` (test/demo.test.ts reads it).
import { init, defaultWasmUrl, io } from "../../sdk/index.ts";

const $ = (id) => document.getElementById(id);
const state = (window.__align = { ready: false, losses: [], drawn: 0, done: null, errors: [] });
const module = await WebAssembly.compile(await (await fetch(defaultWasmUrl())).arrayBuffer());
await init(module); // the page's own engine (the plot); the worker gets the same compiled module

const worker = new Worker(new URL("./align-worker.js", import.meta.url), { type: "module" });
let pending = false;
function drawCurve() {
  pending = false;
  const steps = state.losses.map((_, i) => i + 1);
  $("curve").innerHTML = io.linePlot({
    title: "training loss (token-mean NLL)", xLabel: "optimizer step", yLabel: "loss", width: 640, height: 360,
    series: [{ name: "loss", x: steps, y: state.losses, markers: false }],
  });
  state.drawn++;
}

$("stop").onclick = () => worker.postMessage({ type: "stop" });
$("train").onclick = () => {
  const cfg = { layers: Number($("layers").value), width: Number($("width").value), epochs: Number($("epochs").value), lr: Number($("lr").value), seed: 1 };
  state.losses = [];
  state.done = null;
  $("train").disabled = true;
  $("stop").disabled = false;
  $("answers").textContent = "";
  $("status").textContent = "training…";
  worker.onmessage = ({ data: msg }) => {
    if (msg.type === "step") {
      state.losses.push(msg.loss);
      $("progress").value = msg.step / msg.total;
      $("status").textContent = `step ${msg.step} / ${msg.total} · loss ${msg.loss.toFixed(4)} · ${Math.round(msg.tokensPerSecond)} tokens/s` + (Number.isFinite(msg.etaMs) ? ` · ${(msg.etaMs / 1000).toFixed(1)} s left` : "");
      if (!pending) {
        pending = true;
        requestAnimationFrame(drawCurve); // at most one redraw per frame, however fast the steps come
      }
      return;
    }
    $("train").disabled = false;
    $("stop").disabled = true;
    if (msg.type === "error") {
      $("status").textContent = msg.message;
      state.errors.push(msg.message);
      return;
    }
    drawCurve();
    state.done = msg;
    $("status").textContent = `${msg.stopped ? "stopped" : "done"} after ${msg.steps} steps: ${Math.round(100 * msg.accuracy)} of 100 sums right`;
    $("answers").textContent = msg.examples.map((e) => `${e.prompt}${e.answer} ${e.right ? "✓" : "✗"}`).join("   ");
  };
  worker.postMessage({ type: "train", module, ...cfg });
};
state.ready = true;
