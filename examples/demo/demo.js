// The interactive demo (examples/demo/, built into dist/demo/ by scripts/build.mjs): 2-D data,
// SQUEAK live in a Web Worker with a progress bar and its dictionary drawn over the data,
// Nyström KRR on the dictionary against uniform centres of the same size, and a preference
// game solved by Nash Mirror Prox and Nash-MD with their trajectories plotted. What it shows is
// also left on `window.__demo` (test/demo.test.ts reads it).
import { init, defaultWasmUrl, Matrix, Rng, NystromKRR, decodeDictionary, rbf, games, io } from "../../sdk/index.ts";

const $ = (id) => document.getElementById(id);
const state = (window.__demo = { squeak: null, krr: null, game: null, progress: [], errors: [] });
const module = await WebAssembly.compile(await (await fetch(defaultWasmUrl())).arrayBuffer());
await init(module);

// ---- data -------------------------------------------------------------------------------
/** n points of a data set and their targets, from a seeded stream. */
function dataset(name, n, seed) {
  const rng = new Rng(seed);
  const u = rng.uniform(2 * n), z = rng.normal(2 * n);
  rng.dispose();
  const X = new Matrix(n, 2), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = u[2 * i], b = u[2 * i + 1];
    let x1, x2, t;
    if (name === "moons") {
      const upper = b < 0.5, th = Math.PI * a;
      x1 = upper ? Math.cos(th) : 1 - Math.cos(th);
      x2 = upper ? Math.sin(th) : 0.5 - Math.sin(th);
      t = upper ? 1 : -1;
      x1 = (x1 - 0.5) * 1.6; x2 = (x2 - 0.25) * 1.6;
    } else if (name === "rings") {
      const inner = b < 0.5, r = inner ? 0.5 : 1.3, th = 2 * Math.PI * a;
      x1 = r * Math.cos(th); x2 = r * Math.sin(th); t = inner ? 1 : -1;
    } else {
      x1 = 4 * a - 2; x2 = 4 * b - 2; t = Math.sin(3 * x1) * Math.cos(2 * x2);
    }
    X.set(i, 0, x1 + 0.08 * z[2 * i]); X.set(i, 1, x2 + 0.08 * z[2 * i + 1]); y[i] = t;
  }
  return { X, y };
}

let data = null, extra = [];
function currentData() {
  const name = $("dataset").value, n = Math.max(200, Math.min(50000, Number($("n").value) | 0));
  const d = dataset(name, n, 11);
  if (extra.length === 0) return { name, ...d };
  const X = new Matrix(d.X.rows + extra.length, 2), y = new Float64Array(X.rows);
  X.data.set(d.X.data); y.set(d.y);
  extra.forEach(([a, b, t], i) => { X.set(d.X.rows + i, 0, a); X.set(d.X.rows + i, 1, b); y[d.X.rows + i] = t; });
  return { name, X, y };
}

// ---- drawing ----------------------------------------------------------------------------
const canvas = $("scatter"), ctx = canvas.getContext("2d");
const S = 460 / 5.2, toPx = (v) => 230 + v * S, fromPx = (p) => (p - 230) / S;
function draw(points, dict) {
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "rgba(90,90,90,0.35)";
  for (let i = 0; i < points.rows; i++) ctx.fillRect(toPx(points.get(i, 0)) - 1, toPx(-points.get(i, 1)) - 1, 2, 2);
  if (!dict) return;
  ctx.fillStyle = "#d62728"; ctx.strokeStyle = "#fff";
  for (let i = 0; i < dict.length; i += 2) {
    ctx.beginPath(); ctx.arc(toPx(dict[i]), toPx(-dict[i + 1]), 3.5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
  }
  state.drawn = (state.drawn ?? 0) + 1;
}
canvas.addEventListener("click", (e) => {
  // "Draw" data: a small cluster where the user clicks, labelled like its neighbourhood.
  const r = canvas.getBoundingClientRect(), cx = fromPx(e.clientX - r.left), cy = -fromPx(e.clientY - r.top);
  const rng = new Rng(extra.length + 1), z = rng.normal(40); rng.dispose();
  for (let i = 0; i < 20; i++) extra.push([cx + 0.1 * z[2 * i], cy + 0.1 * z[2 * i + 1], $("dataset").value === "sine" ? Math.sin(3 * cx) * Math.cos(2 * cy) : cy > 0 ? 1 : -1]);
  data = currentData();
  draw(data.X, null);
});
for (const id of ["dataset", "n"]) $(id).addEventListener("change", () => { extra = []; data = currentData(); draw(data.X, null); });
data = currentData();
draw(data.X, null);

// ---- SQUEAK in a worker, then KRR -----------------------------------------------------------
const worker = new Worker(new URL("./squeak-worker.js", import.meta.url), { type: "module" });
$("cancel").onclick = () => worker.postMessage({ type: "cancel" });
$("run-squeak").onclick = () => {
  data = currentData();
  const gamma = Number($("gamma").value), lambda = Number($("lambda").value);
  $("run-squeak").disabled = true; $("cancel").disabled = false;
  $("status").textContent = "SQUEAK running…";
  $("progress").value = 0;
  state.progress = [];
  state.squeak = state.krr = null;
  const t0 = performance.now();
  worker.onmessage = ({ data: msg }) => {
    if (msg.type === "progress") {
      $("progress").value = msg.done / msg.total;
      state.progress.push(msg.done / msg.total);
      $("status").textContent = `${msg.done} / ${msg.total} points` + (msg.etaMs !== null ? `, ${(msg.etaMs / 1000).toFixed(1)} s left` : "");
      if (msg.points) draw(data.X, msg.points);
      return;
    }
    $("run-squeak").disabled = false; $("cancel").disabled = true;
    if (msg.type === "error") { $("status").textContent = msg.message; state.errors.push(msg.message); return; }
    const dict = decodeDictionary(msg.dictionary);
    draw(data.X, dict.points.data);
    state.squeak = { n: data.X.rows, size: dict.size, deff: msg.deff, ms: performance.now() - t0 };
    $("status").textContent = `done: ${dict.size} of ${data.X.rows} points kept (d_eff ≈ ${msg.deff.toFixed(1)})`;
    compareKrr(dict, gamma);
  };
  worker.postMessage({ type: "run", module, n: data.X.rows, points: data.X.data.slice(), gamma, lambda });
};

function compareKrr(dict, gamma) {
  const test = dataset(data.name, 2000, 99);
  const kernel = rbf({ gamma }), ridge = 1e-2, m = dict.size;
  const rows = [
    ["SQUEAK", NystromKRR.fit(dict, data.X, data.y, { ridge })],
    ["uniform", NystromKRR.fit({ uniform: m, seed: 5 }, data.X, data.y, { ridge, kernel, lambda: 0 })],
  ].map(([name, model]) => ({ name, m, ...model.score(test.X, test.y) }));
  $("krr").tBodies[0].innerHTML = rows.map((r) => `<tr><td>${r.name}</td><td>${r.m}</td><td>${r.rmse.toFixed(4)}</td><td>${r.accuracy === undefined ? "—" : (100 * r.accuracy).toFixed(1) + " %"}</td></tr>`).join("");
  state.krr = Object.fromEntries(rows.map((r) => [r.name, { m: r.m, rmse: r.rmse, r2: r.r2, accuracy: r.accuracy ?? null }]));
}

// ---- the preference game ---------------------------------------------------------------
$("play").onclick = async () => {
  $("play").disabled = true;
  const name = $("game").value, beta = Number($("beta").value), iters = Math.max(10, Number($("iters").value) | 0);
  const game = name === "rps" ? games.rps() : name === "lowrank" ? games.lowRankSkew(200, 3, { seed: 2 }) : games.skewLogit(20, { seed: 2 });
  const logEvery = Math.max(1, Math.floor(iters / 200));
  try {
    const runs = [];
    for (const [i, solver] of ["nash-mp", "nash-md"].entries()) {
      runs.push(await games.runSolverAsync(solver, game, {
        beta, iters, logEvery, chunkIters: 200,
        onProgress: (p) => ($("game-progress").value = (i + p.done / p.total) / 2),
      }));
    }
    $("game-plot").innerHTML = io.linePlot({
      title: `KL(π*_β ‖ π_t), β = ${beta}`, xLabel: "iteration t", yLabel: "KL", logY: true, width: 720, height: 360,
      series: runs.map((r, i) => ({ name: i === 0 ? "Nash Mirror Prox" : "Nash-MD", x: r.metrics.iteration, y: r.metrics.kl, markers: false })),
    });
    state.game = Object.fromEntries(runs.map((r) => [r.solver, { finalKl: r.metrics.kl.at(-1), queries: r.queries, points: r.metrics.kl.length }]));
  } catch (e) {
    state.errors.push(String(e?.message ?? e));
  } finally {
    game.dispose();
    $("play").disabled = false;
  }
};
state.ready = true;
