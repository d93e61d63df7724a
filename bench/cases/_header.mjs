// The header of BENCHMARKS.md: what was measured, on what, with which peers.
import { table } from "../lib/format.mjs";

function loadNote(m) {
  const cores = m.machine.cores;
  const peak = Math.max(m.loadStart[0], m.loadEnd?.[0] ?? 0);
  const fmt = (l) => l.map((v) => v.toFixed(2)).join(" / ");
  let s = `load average (1/5/15 min) at start ${fmt(m.loadStart)}, at end ${m.loadEnd ? fmt(m.loadEnd) : "–"}`;
  if (peak > 0.5) {
    s += ` — **the machine was shared with other work during this run** (${cores} cores): absolute times are noisy, ` +
      `and a peer and seqlearn measured a few seconds apart may have seen different contention. Ratios are still measured back to back in the same run.`;
  }
  return s;
}

function peerCell(name, version, reason) {
  return version ? version : `skipped: ${reason}`;
}

export default {
  id: "_header",
  title: "Benchmarks",
  order: -1000,
  async run() {
    return "(header is written when the run finishes)";
  },
  async finish(ctx) {
    const m = ctx.meta;
    const py = m.py;
    const pyReason = py ? null : "no python3 with numpy found (tried /usr/bin/python3, python3)";
    const modReason = (k) => pyReason ?? (py?.[`${k}_error`] ?? "not importable");
    const rows = [
      ["CPU", m.machine.cpu],
      ["cores", m.machine.cores],
      ["memory", `${m.machine.memoryGiB.toFixed(1)} GiB`],
      ["OS", m.machine.platform],
      ["Node.js", `${m.machine.node} (V8 ${m.machine.v8})`],
      ["seqlearn", m.seqlearnVersion ?? "–"],
      ["date", m.started.toISOString().replace(/\.\d+Z$/, " UTC").replace("T", " ")],
      ["run", m.quick ? "--quick (reduced sizes)" : m.only ? `partial: --only ${m.only.join(",")}; other sections are from earlier runs` : "full"],
      ["load", loadNote(m)],
    ];
    const blas = py?.blas?.length
      ? py.blas.map((b) => `${b.internal_api} ${b.version}, kernel ${b.architecture}, ${b.num_threads} thread(s)`).join("; ")
      : py ? `unknown (${py.blas_error ?? "threadpoolctl not importable"})` : "–";
    const peers = [
      ["numpy", peerCell("numpy", ctx.peers.numpy, modReason("numpy")), py ? `python ${py.python} (${py.executable}); BLAS: ${blas}` : ""],
      ["scipy", peerCell("scipy", ctx.peers.scipy, modReason("scipy")), ""],
      ["scikit-learn", peerCell("sklearn", ctx.peers.sklearn, modReason("sklearn")), ""],
      ["ml-matrix", peerCell("ml-matrix", ctx.peers.mlMatrix, "not installed (npm devDependency)"), "JavaScript, same process"],
      ["ml-kernel", peerCell("ml-kernel", ctx.peers.mlKernel, "not installed (npm devDependency)"), "JavaScript, same process"],
    ];
    let out = `# Benchmarks

Written by \`npm run bench\` (bench/run.mjs; cases in bench/cases/). Every figure is the median
wall-clock time of repeated calls after a warm-up call, seqlearn through its public SDK
(dist/node/index.js, validation and copies included) and the peers through theirs. Python peers run
single-threaded (\`OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1\`, with
\`OPENBLAS_CORETYPE\` / \`OPENBLAS_L2_SIZE\` unset) and seqlearn runs its engine on one thread,
except in the section on threads, where both run with one thread and with two (or their
default, all cores), in the same run. Ratios
compare measurements taken in the same run. Targets are those of issue 2.

${table(["", ""], rows)}

${table(["peer", "version", "notes"], peers)}
`;
    if (ctx.summary.length) {
      out += `\n### Targets\n\n${table(["case", "measure", "value", "target"], ctx.summary.map((s) => [s.case, s.what, s.value, s.target]))}\n`;
    }
    return out;
  },
};
