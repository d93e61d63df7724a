// `seqlearn sparsify` (an edge list → the edge list of a spectral sparsifier, by GSQUEAK —
// Calandriello, Koutis, Lazaric & Valko, ICML 2018 — or by one-shot Spielman–Srivastava
// sampling, SIAM J. Comput. 2011, with a quality report) and `seqlearn ssl` (semi-supervised
// classification by the harmonic function — Zhu, Ghahramani & Lafferty, ICML 2003 — or its
// regularised form — Belkin, Matveeva & Niyogi, COLT 2004 — from a labels file, on the graph
// or on a sparsifier of it). Parse → SDK → print; the work is in sdk/graph.
import { readFileSync } from "node:fs";
import { init } from "../../index.js";
import { DataError } from "../../io/errors.js";
import { parseCsv } from "../../io/csv.js";
import { Graph, MAX_DENSE_NODES } from "../../graph/graph.js";
import { streamEdges } from "../../graph/read.js";
import { edgeListChunks } from "../../graph/write.js";
import { sparsify as oneShot } from "../../graph/sparsify.js";
import { gsqueak, Gsqueak, type GsqueakResult } from "../../graph/gsqueak.js";
import { sparsifierGraph, sparsifierCopies, type SparsifierDictionary } from "../../graph/sparsifier.js";
import { encodeSparsifier } from "../../graph/codec.js";
import { spectralError, EXACT_SPECTRAL_NODES, type SpectralErrorResult } from "../../graph/quality.js";
import { spectrumPlot } from "../../graph/plots.js";
import { harmonicClassify, accuracy } from "../../graph/learn.js";
import { command, UsageError } from "../command.js";
import { boolean, choice, group, number, requiredFlag, string } from "../flags.js";
import { output, QUIET, FORCE } from "../options.js";
import { OutputFile, writeFileAtomic, checkOutput } from "../files.js";
import { commandPool } from "../tree-run.js";
import { out, err } from "../term.js";
import { EDGE_READ, IDS, NODES, SPARSIFIER, readOptions, readEdgeFile, paramsOf, csvField, type EdgeFile } from "./gsqueak.js";

/** The graph of an edge file (duplicates merged, ids kept). */
function graphOf(e: EdgeFile, nodes: number | undefined): Graph {
  if (e.ids && nodes !== undefined) throw new UsageError("--nodes applies to integer ids (with string ids n is the number of distinct ids)");
  return e.ids ? Graph.fromEdges(e.u, e.v, e.w, { nodeIds: e.ids }) : Graph.fromEdges(e.u, e.v, e.w, { n: nodes ?? Math.max(1, e.n) });
}

/** A progress line on a terminal (nothing elsewhere: the summary says what happened). */
function ttyProgress(enabled: boolean): { show(s: string): void; done(): void } {
  const tty = enabled && !!process.stderr.isTTY;
  let width = 0;
  return {
    show(s: string) {
      if (!tty) return;
      process.stderr.write(`\r${s}${" ".repeat(Math.max(0, width - s.length))}`);
      width = s.length;
    },
    done() {
      if (tty && width > 0) process.stderr.write("\n");
      width = 0;
    },
  };
}

const pct = (a: number, b: number): string => `${((100 * a) / Math.max(1, b)).toFixed(1)} %`;
const count = (x: number): string => x.toLocaleString("en-US");

/** The spectral error of H against G, or why it is unbounded (H splits a component of G at γ = 0). */
function quality(G: Graph, H: Graph, gamma: number, method: "auto" | "exact" | "estimate"): { result: SpectralErrorResult | null; note: string } {
  if (gamma === 0 && H.components().count !== G.components().count) {
    return { result: null, note: `H has ${H.components().count} components and G ${G.components().count}: the relative error at γ = 0 is unbounded (measure with --gamma > 0)` };
  }
  const r = spectralError(G, H, { gamma, method });
  const how = r.method === "exact" ? "exact, dense generalised eigenvalues" : `Lanczos estimate after ${r.steps} steps, a lower bound${r.converged ? "" : ", not converged"}`;
  return { result: r, note: `ε = ${r.epsilon.toFixed(4)} (${how}: λ ∈ [${r.lambdaMin.toFixed(4)}, ${r.lambdaMax.toFixed(4)}])` };
}

export const sparsifyCommand = command({
  name: "sparsify",
  summary: "spectral sparsifier of an edge list (GSQUEAK or one-shot Spielman–Srivastava), with a quality report",
  synopsis: "seqlearn sparsify <edges.csv> -o <sparse.csv> [--eps <ε>] [--gamma <γ>] [--method gsqueak|oneshot] [--quality auto|exact|estimate|none] [options]",
  description: [
    "Writes H as an edge list (source,target,weight; the input's ids); H keeps every node and a reweighted",
    "subset of the edges, with (1−ε)(L_G + γI) ⪯ L_H + γI ⪯ (1+ε)(L_G + γI) with high probability.",
    "The summary (stderr, or --json on stdout): n, m, components, edges kept, d_eff(γ), spectral error, time.",
    "--stream reads the file once in batches and keeps only the sparsifier (integer ids, --nodes; no quality check).",
  ],
  flags: {
    ...group("method", {
      method: choice(["gsqueak", "oneshot"], { default: "gsqueak", help: "GSQUEAK (merge tree of edge blocks) or one-shot sampling by the resistances of the whole graph" }),
      edges: number({ int: true, min: 0, metavar: "<s>", help: "oneshot: the expected number of kept edges, instead of the size ε sets" }),
      stream: boolean({ help: "gsqueak: one streaming pass over the file; memory: the sparsifier and one block" }),
    }),
    ...SPARSIFIER,
    ...group("tree", {
      blockSize: number({ int: true, min: 1, metavar: "<edges>", help: "gsqueak: edges per leaf", defaultText: "max(4096, ⌈(1−ε)·q̄·n⌉)" }),
      shape: choice(["balanced", "chain"], { default: "balanced", help: "gsqueak: shape of the merge tree" }),
      workers: number({ int: true, min: 0, max: 1024, metavar: "<w>", help: "gsqueak: worker threads (0: this thread); the result does not depend on it", defaultText: "the available cores" }),
    }),
    ...group("quality", {
      quality: choice(["auto", "exact", "estimate", "none"], { default: "auto", help: `spectral error of H against G: exact up to ${EXACT_SPECTRAL_NODES} nodes, a Lanczos estimate above` }),
      plot: string({ metavar: "<file.svg>", help: `SVG plot of the Laplacian spectra of G and H with the band (1 ± ε)(λ + γ) (n ≤ ${EXACT_SPECTRAL_NODES})` }),
    }),
    ...NODES,
    ...EDGE_READ,
    ...IDS,
    output: requiredFlag(output("<sparse.csv>", "where to write the sparsifier's edge list"), "(where to write the sparsifier's edge list)"),
    ...group("output", {
      spar: string({ metavar: "<file.spar>", help: "gsqueak: also write the sparsifier file (for seqlearn merge / inspect)" }),
      json: boolean({ help: "print the summary as JSON on stdout" }),
    }),
    ...FORCE,
    ...QUIET,
  },
  async run({ positional, values: v }) {
    if (positional.length !== 1) throw new UsageError("expected one edge-list file");
    const inputs = positional;
    checkOutput(v.output, { inputs, force: v.force });
    if (v.plot !== undefined) checkOutput(v.plot, { inputs, force: v.force, flag: "--plot" });
    if (v.spar !== undefined) checkOutput(v.spar, { inputs, force: v.force, flag: "--spar" });
    const oneshot = v.method === "oneshot";
    if (oneshot) {
      for (const [set, flag] of [[v.qbar, "--qbar"], [v.noLeafUpdate || undefined, "--no-leaf-update"], [v.blockSize, "--block-size"], [v.workers, "--workers"], [v.spar, "--spar"], [v.stream || undefined, "--stream"]] as const) {
        if (set !== undefined) throw new UsageError(`${flag} applies to --method gsqueak`);
      }
      if (v.shape !== "balanced") throw new UsageError("--shape applies to --method gsqueak");
    } else if (v.edges !== undefined) throw new UsageError("--edges (a target size) applies to --method oneshot");
    if (v.stream) {
      if (v.nodes === undefined) throw new UsageError("--stream needs --nodes (the stream is never held, so n must be known first)");
      if (v.ids === "string") throw new UsageError("--stream needs integer ids");
      if (v.plot !== undefined || (v.quality !== "auto" && v.quality !== "none")) throw new UsageError("--stream keeps no copy of G: --plot and --quality need it");
      if (v.workers !== undefined || v.shape !== "balanced") throw new UsageError("--stream is a chain on this thread: --workers and --shape do not apply");
    }
    await init();
    const progress = ttyProgress(!v.quiet && !v.json);
    const t0 = performance.now();
    const times: Record<string, number> = {};
    const tick = (name: string, since: number): number => {
      const now = performance.now();
      times[name] = (now - since) / 1000;
      return now;
    };

    let G: Graph | null = null, H: Graph, ids: readonly string[] | null = null;
    let n: number, m: number, components: number | null = null, inputEdges: number;
    let deff: number | null = null, copies: number | null = null;
    let dict: SparsifierDictionary | null = null;
    let describe: string;
    let t = t0;
    if (v.stream) {
      n = v.nodes!;
      const params = paramsOf(n, v);
      const s = new Gsqueak({
        n, eps: params.eps, gamma: params.gamma, qbar: params.qbar, k: params.k, tol: params.tol, leafUpdate: params.leafUpdate, seed: v.seed,
        ...(v.blockSize !== undefined ? { blockSize: v.blockSize } : {}),
        onProgress: (p) => progress.show(`sparsify: ${count(p.edges)} edges, ${p.blocks} blocks; ${count(p.entries)} entries, Σq = ${count(p.copies)}`),
      });
      await s.pushAll(streamEdges(inputs[0], readOptions(v, "integer", n)));
      dict = s.finish();
      progress.done();
      H = sparsifierGraph(dict);
      inputEdges = m = s.edges;
      copies = sparsifierCopies(dict);
      deff = dict.params.deff;
      describe = `GSQUEAK streaming, ε = ${params.eps}, γ = ${params.gamma}, q̄ = ${params.qbar}, k = ${params.k}; blocks of ${count(s.blockSize)} edges`;
      t = tick("sparsify", t);
    } else {
      const e = await readEdgeFile(inputs[0], readOptions(v, v.ids, v.nodes));
      G = graphOf(e, v.nodes);
      ids = G.nodeIds;
      n = G.n;
      m = G.m;
      inputEdges = e.u.length;
      components = G.components().count;
      t = tick("read", t);
      if (v.plot !== undefined && n > EXACT_SPECTRAL_NODES) throw new UsageError(`--plot computes dense spectra: up to ${EXACT_SPECTRAL_NODES} nodes, the graph has ${n}`);
      if (v.quality === "exact" && n > MAX_DENSE_NODES) throw new UsageError(`--quality exact is dense: up to ${MAX_DENSE_NODES} nodes, the graph has ${n} (use estimate)`);
      if (oneshot) {
        if (v.edges !== undefined && v.edges > m) throw new UsageError(`--edges ${v.edges}: the graph has ${m} edges`);
        const r = oneShot(G, {
          eps: v.eps, gamma: v.gamma, seed: v.seed, ...(v.edges !== undefined ? { edges: v.edges } : {}),
          ...(v.jl !== undefined ? { k: v.jl } : {}), ...(v.tol !== undefined ? { tol: v.tol } : {}),
          onProgress: (p) => progress.show(`sparsify: resistances, ${p.done}/${p.total} JL columns`),
        });
        progress.done();
        H = r.graph;
        deff = r.deff;
        const res = r.resistances;
        describe = `one-shot Spielman–Srivastava, ε = ${v.eps}, γ = ${v.gamma}; resistances ${res ? (res.method === "exact" ? "exact" : `by JL, k = ${res.k}`) : "given"}` +
          (v.edges !== undefined ? `; expected size ${count(v.edges)}` : "");
      } else {
        const params = paramsOf(n, v);
        const { pool, close } = await commandPool(v.workers);
        let r: GsqueakResult;
        try {
          r = await gsqueak(G, {
            eps: params.eps, gamma: params.gamma, qbar: params.qbar, k: params.k, tol: params.tol, leafUpdate: params.leafUpdate,
            seed: v.seed, shape: v.shape, pool, ...(v.blockSize !== undefined ? { blockSize: v.blockSize } : {}),
            onProgress: (p) => progress.show(`sparsify: tree node ${p.done}/${p.total} (level ${p.level}, ${count(p.size)} entries)`),
          });
        } finally {
          await close();
        }
        progress.done();
        H = r.graph;
        dict = r.dictionary;
        copies = r.copies;
        deff = r.deff;
        describe = `GSQUEAK, ε = ${params.eps}, γ = ${params.gamma}, q̄ = ${params.qbar}, k = ${params.k}; ${r.plan.leaves} lea${r.plan.leaves === 1 ? "f" : "ves"}, ${v.shape} tree of depth ${r.plan.depth}`;
      }
      t = tick("sparsify", t);
    }

    // Outputs: the edge list, the sparsifier file, the plot; then the quality check.
    const f = new OutputFile(v.output, { inputs, force: v.force });
    try {
      for (const chunk of edgeListChunks(ids && !H.nodeIds ? Graph.fromParts({ ...H.toParts(), nodeIds: ids }) : H)) f.write(chunk);
      f.commit();
    } finally {
      f.abort();
    }
    if (v.spar !== undefined && dict) writeFileAtomic(v.spar, encodeSparsifier(dict), { inputs, force: v.force, flag: "--spar" });
    t = tick("write", t);
    let q: { result: SpectralErrorResult | null; note: string } | null = null;
    if (G && v.quality !== "none") {
      q = quality(G, H, v.gamma, v.quality);
      t = tick("quality", t);
    }
    if (G && v.plot !== undefined) {
      writeFileAtomic(v.plot, spectrumPlot(G, H, { gamma: v.gamma, eps: v.eps }), { inputs, force: v.force, flag: "--plot" });
      t = tick("plot", t);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (v.json) {
      out(JSON.stringify({
        n, edges: m, inputEdges, components, method: v.stream ? "gsqueak-stream" : v.method, eps: v.eps, gamma: v.gamma,
        kept: H.m, copies, deff, spectralError: q?.result?.epsilon ?? (q ? 1 : null), lambdaMin: q?.result?.lambdaMin ?? null,
        lambdaMax: q?.result?.lambdaMax ?? null, qualityMethod: q?.result?.method ?? null, seconds, times,
      }));
    } else if (!v.quiet) {
      const c = components === null ? "" : `, ${components} component${components === 1 ? "" : "s"}`;
      err(`${inputs[0]}: ${count(n)} nodes, ${count(m)} edges${c}`);
      err(`  ${describe}`);
      err(`  kept ${count(H.m)} of ${count(m)} edges (${pct(H.m, m)})${copies !== null ? `, Σq = ${count(copies)}` : ""}; d_eff(γ) ≈ ${deff === null ? "–" : deff.toFixed(1)}` +
        (v.gamma === 0 && components !== null ? ` (n − c = ${n - components})` : ""));
      if (q) err(`  spectral error: ${q.note}${q.result && q.result.epsilon > v.eps ? ` — above the target ε = ${v.eps}` : ""}`);
      else if (v.stream) err("  spectral error: not measured (--stream keeps no copy of G)");
      err(`  ${v.output}${v.spar ? `, ${v.spar}` : ""}${v.plot ? `, ${v.plot}` : ""}; ${seconds.toFixed(2)} s (${Object.entries(times).map(([k, s]) => `${k} ${s.toFixed(2)} s`).join(", ")})`);
    }
    return 0;
  },
});

// ---- ssl --------------------------------------------------------------------------------

/** Node → label rows of a labels file: two columns (node id, label), CSV or TSV; a first row
 *  whose node field is not a node of the graph is a header; lines starting with # are skipped. */
function readLabels(path: string, g: Graph, what: string): { nodes: number[]; labels: string[] } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new DataError(`cannot read the ${what}: ${(e as Error).message}`, { source: path });
  }
  const first = text.split("\n", 1)[0];
  const delimiter = first.includes(",") ? "," : first.includes("\t") ? "\t" : ",";
  const rows = parseCsv(text, { delimiter, source: path }).filter((r) => !r.fields[0]?.trimStart().startsWith("#"));
  const byId = g.nodeIds ? new Map(g.nodeIds.map((s, i) => [s, i])) : null;
  const nodeOf = (s: string): number | undefined => {
    if (byId) return byId.get(s);
    if (!/^\d+$/.test(s)) return undefined;
    const k = Number(s);
    return k < g.n ? k : undefined;
  };
  const nodes: number[] = [], labels: string[] = [];
  const seen = new Map<number, number>();
  rows.forEach((r, t) => {
    const f = r.fields;
    if (f.length === 1 && f[0] === "") return;
    if (f.length < 2) throw new DataError(`expected two columns (node, label), got ${f.length}`, { source: path, line: r.line });
    const id = f[0].trim(), label = f[1].trim();
    const node = nodeOf(id);
    if (node === undefined) {
      if (t === 0) return; // a header
      throw new DataError(`node ${JSON.stringify(id)} is not a node of the graph${byId ? "" : ` (ids 0..${g.n - 1})`}`, { source: path, line: r.line, column: 1 });
    }
    if (label === "") throw new DataError(`node ${JSON.stringify(id)} has an empty label`, { source: path, line: r.line, column: 2 });
    if (seen.has(node)) throw new DataError(`node ${JSON.stringify(id)} is labelled twice (lines ${seen.get(node)} and ${r.line})`, { source: path, line: r.line, column: 1 });
    seen.set(node, r.line);
    nodes.push(node);
    labels.push(label);
  });
  return { nodes, labels };
}

export const ssl = command({
  name: "ssl",
  summary: "semi-supervised classification over a graph: labels of a few nodes → a label for every node",
  synopsis: "seqlearn ssl <edges.csv> <labels.csv> -o <predictions.csv> [--method hard|soft] [--sparsify [--eps <ε>]] [--truth <labels.csv>] [options]",
  description: [
    "labels.csv: node id, label (CSV or TSV; a first row that names no node is a header). Each class's scores",
    "are the harmonic function of its one-hot labels (--method soft: regularised by --lambda and --gamma); every",
    "node takes the class of the largest score after class mass normalisation. Output: node,label,labeled,score",
    "(score: the raw harmonic score of the chosen class; label empty for nodes no labelled node reaches).",
    "--sparsify classifies on a GSQUEAK sparsifier of the graph (an (ε, γ)-sparsifier, γ as --gamma) and",
    "--compare also on the graph itself, reporting where they agree.",
  ],
  flags: {
    ...group("learning", {
      method: choice(["hard", "soft"], { default: "hard", help: "hard: labels fixed, harmonic elsewhere; soft: argmin Σ_S (f − y)² + λ·fᵀ(L + γI)f" }),
      lambda: number({ gt: 0, metavar: "<λ>", help: "soft: weight of the Laplacian penalty", defaultText: "1" }),
      gamma: number({ min: 0, metavar: "<γ>", help: "soft: ridge γ ≥ 0 added to L (and the γ of --sparsify)", defaultText: "0" }),
      normalize: choice(["mass", "none"], { default: "mass", help: "class mass normalisation before the argmax" }),
      truth: string({ metavar: "<labels.csv>", help: "true labels (same format) to report the accuracy on the unlabelled nodes" }),
    }),
    ...group("sparsifier", {
      sparsify: boolean({ help: "classify on a GSQUEAK sparsifier of the graph instead of the graph" }),
      compare: boolean({ help: "with --sparsify: classify on both and report the agreement (and both accuracies with --truth)" }),
      eps: number({ gt: 0, lt: 1, default: 0.5, metavar: "<ε>", help: "--sparsify: accuracy of the sparsifier" }),
      seed: number({ int: true, min: 0, default: 0, metavar: "<s>", help: "--sparsify: seed" }),
      workers: number({ int: true, min: 0, max: 1024, metavar: "<w>", help: "--sparsify: worker threads (0: this thread)", defaultText: "0" }),
    }),
    ...NODES,
    ...EDGE_READ,
    ...IDS,
    output: requiredFlag(output("<predictions.csv>", "where to write the predictions"), "(where to write the predictions)"),
    ...group("output", { json: boolean({ help: "print the summary as JSON on stdout" }) }),
    ...FORCE,
    ...QUIET,
  },
  async run({ positional, values: v }) {
    if (positional.length !== 2) throw new UsageError(`expected an edge-list file and a labels file, got ${positional.length} file${positional.length === 1 ? "" : "s"}`);
    const inputs = v.truth !== undefined ? [...positional, v.truth] : positional;
    checkOutput(v.output, { inputs, force: v.force });
    if (v.method === "hard" && (v.lambda !== undefined || v.gamma !== undefined)) throw new UsageError("--lambda and --gamma apply to --method soft");
    if (v.compare && !v.sparsify) throw new UsageError("--compare needs --sparsify");
    await init();
    const t0 = performance.now();
    const e = await readEdgeFile(positional[0], readOptions(v, v.ids, v.nodes));
    const G = graphOf(e, v.nodes);
    const { nodes, labels } = readLabels(positional[1], G, "labels file");
    if (nodes.length === 0) throw new DataError("no labelled node", { source: positional[1] });
    // Classes in a fixed order: numeric labels by value, others as strings.
    const distinct = [...new Set(labels)];
    const numeric = distinct.every((s) => s.trim() !== "" && Number.isFinite(Number(s)));
    distinct.sort(numeric ? (a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const classOf = new Map(distinct.map((s, i) => [s, i]));
    const classes = labels.map((s) => classOf.get(s)!);
    const gamma = v.gamma ?? 0;
    const opts = v.method === "soft"
      ? { method: "soft" as const, lambda: v.lambda ?? 1, gamma, normalize: v.normalize, classes: distinct.length }
      : { method: "hard" as const, normalize: v.normalize, classes: distinct.length };
    let H: Graph | null = null;
    let sparsifier: { kept: number; copies: number; seconds: number } | null = null;
    if (v.sparsify) {
      const t1 = performance.now();
      const { pool, close } = await commandPool(v.workers ?? 0);
      try {
        const r = await gsqueak(G, { eps: v.eps, gamma, seed: v.seed, pool });
        H = r.graph;
        sparsifier = { kept: H.m, copies: r.copies, seconds: (performance.now() - t1) / 1000 };
      } finally {
        await close();
      }
    }
    const onH = harmonicClassify(H ?? G, nodes, classes, opts);
    const onG = v.compare ? harmonicClassify(G, nodes, classes, opts) : null;
    const isLabeled = new Uint8Array(G.n);
    for (const i of nodes) isLabeled[i] = 1;
    const unl: number[] = [];
    for (let i = 0; i < G.n; i++) if (!isLabeled[i]) unl.push(i);
    let truth: { acc: number; accG: number | null; count: number } | null = null;
    if (v.truth !== undefined) {
      const tr = readLabels(v.truth, G, "truth file");
      const known: number[] = [], want: number[] = [];
      for (let t = 0; t < tr.nodes.length; t++) {
        if (isLabeled[tr.nodes[t]]) continue;
        known.push(tr.nodes[t]);
        want.push(classOf.get(tr.labels[t]) ?? -2); // a class no label has: always wrong
      }
      const score = (p: Int32Array) => (known.length ? accuracy(known.map((i) => p[i]), want) : NaN);
      truth = { acc: score(onH.predictions), accG: onG ? score(onG.predictions) : null, count: known.length };
    }
    const agreement = onG ? accuracy(Array.from(unl, (i) => onH.predictions[i]), Array.from(unl, (i) => onG.predictions[i])) : null;

    const f = new OutputFile(v.output, { inputs, force: v.force });
    try {
      const name = (i: number): string => (G.nodeIds ? csvField(G.nodeIds[i]) : String(i));
      const K = distinct.length;
      let buf = "node,label,labeled,score\n";
      for (let i = 0; i < G.n; i++) {
        const c = onH.predictions[i];
        buf += `${name(i)},${c >= 0 ? csvField(distinct[c]) : ""},${isLabeled[i]},${c >= 0 ? onH.scores.data[i * K + c] : ""}\n`;
        if (buf.length > 1 << 16) {
          f.write(buf);
          buf = "";
        }
      }
      f.write(buf);
      f.commit();
    } finally {
      f.abort();
    }
    const unreached = unl.filter((i) => onH.predictions[i] < 0).length;
    const seconds = (performance.now() - t0) / 1000;
    if (v.json) {
      out(JSON.stringify({
        n: G.n, edges: G.m, labeled: nodes.length, classes: distinct, method: v.method, unreached,
        sparsifier: sparsifier && { eps: v.eps, gamma, ...sparsifier }, accuracy: truth?.acc ?? null, accuracyG: truth?.accG ?? null,
        truthNodes: truth?.count ?? null, agreement, iterations: onH.iterations, converged: onH.converged, seconds,
      }));
    } else if (!v.quiet) {
      err(`${positional[0]}: ${count(G.n)} nodes, ${count(G.m)} edges, ${G.components().count} component${G.components().count === 1 ? "" : "s"}; ` +
        `${count(nodes.length)} labelled nodes, ${distinct.length} classes (${distinct.slice(0, 6).join(", ")}${distinct.length > 6 ? ", …" : ""})`);
      err(`  ${v.method === "soft" ? `soft harmonic function, λ = ${v.lambda ?? 1}, γ = ${gamma}` : "harmonic function"}, ${v.normalize === "mass" ? "class mass normalisation" : "raw argmax"}; ${onH.iterations} iterations${onH.converged ? "" : " (not converged)"}`);
      if (sparsifier) err(`  on a GSQUEAK sparsifier (ε = ${v.eps}, γ = ${gamma}): ${count(sparsifier.kept)} of ${count(G.m)} edges (${pct(sparsifier.kept, G.m)}), built in ${sparsifier.seconds.toFixed(2)} s`);
      if (truth) err(`  accuracy on ${count(truth.count)} unlabelled nodes with a true label: ${truth.acc.toFixed(4)}${truth.accG !== null ? ` (on the graph itself: ${truth.accG.toFixed(4)})` : ""}`);
      if (agreement !== null) err(`  predictions on the sparsifier and on the graph agree on ${(100 * agreement).toFixed(2)} % of the unlabelled nodes`);
      if (unreached > 0) err(`  ${count(unreached)} nodes are in components without a labelled node: no label`);
      err(`  ${v.output}; ${seconds.toFixed(2)} s`);
    }
    return 0;
  },
});
