// Interoperability with graphology (https://graphology.github.io): any object with its
// iteration interface becomes a `Graph`, without depending on the package. Duck-typed: the
// object needs `order` (the node count), `forEachNode((key, attributes) => …)` and
// `forEachEdge((key, attributes, source, target, sourceAttributes, targetAttributes,
// undirected) => …)`; `type` ("undirected", "directed" or "mixed") is read when present, and
// `isDirected(edge)` when an edge's callback does not say whether it is undirected.
import { ValueError } from "../core/errors.js";
import { checkOptions } from "../core/options.js";
import { Graph } from "./graph.js";

/** The part of graphology's Graph interface that `fromGraphology` uses. */
export interface GraphologyLike {
  /** Number of nodes. */
  readonly order: number;
  /** "undirected", "directed" or "mixed" (graphology's `type`); default "undirected". */
  readonly type?: string;
  /** Calls `cb` once per node, in the graph's node order. */
  forEachNode(cb: (key: string, attributes: Record<string, unknown>) => void): void;
  /** Calls `cb` once per edge with its key, attributes and endpoints; graphology also passes
   *  the endpoints' attributes and whether the edge is undirected. */
  forEachEdge(cb: (key: string, attributes: Record<string, unknown>, source: string, target: string, sourceAttributes?: unknown, targetAttributes?: unknown, undirected?: boolean) => void): void;
  /** Whether an edge is directed (graphology); used for mixed graphs when the callback does
   *  not pass `undirected`. */
  isDirected?(edge: string): boolean;
}

/** Options of `fromGraphology`. */
export interface GraphologyOptions {
  /** Edge attribute holding the weight; edges without it weigh 1 (graphology's convention for
   *  `getEdgeWeight`). null: every edge weighs 1. Default "weight". */
  weight?: string | null;
  /** How a directed edge u → v of weight w enters the undirected graph: "sum" (default) adds w
   *  to edge {u, v}, so the adjacency is A + Aᵀ and reciprocal edges add up; "mean" adds w/2,
   *  the adjacency (A + Aᵀ)/2; "reject" raises ValueError on the first directed edge.
   *  Undirected edges always count once with their weight. */
  directed?: "sum" | "mean" | "reject";
}

/** Build a `Graph` from a graphology graph (or anything with its iteration interface). Node i
 *  is the i-th node of `forEachNode`, and `nodeIds[i]` its key. Parallel edges (multi graphs)
 *  and reciprocal directed edges are merged by summing weights, self-loops dropped; both are
 *  counted in `stats`. A weight that is not a finite number > 0 raises ValueError naming the
 *  edge's key and endpoints. */
export function fromGraphology(g: GraphologyLike, opts: GraphologyOptions = {}): Graph {
  const o = checkOptions<GraphologyOptions>(opts, "fromGraphology", ["weight", "directed"]);
  if (!g || typeof g !== "object" || typeof g.forEachNode !== "function" || typeof g.forEachEdge !== "function") {
    throw new ValueError("fromGraphology: expected a graphology graph (an object with order, forEachNode and forEachEdge)");
  }
  const attr = o.weight === undefined ? "weight" : o.weight;
  if (attr !== null && typeof attr !== "string") throw new ValueError(`fromGraphology: weight must be an attribute name or null, got ${JSON.stringify(attr)}`);
  const directed = o.directed ?? "sum";
  if (!["sum", "mean", "reject"].includes(directed)) throw new ValueError(`fromGraphology: directed must be "sum", "mean" or "reject", got ${JSON.stringify(directed)}`);
  const type = g.type ?? "undirected";
  if (!["undirected", "directed", "mixed"].includes(type)) throw new ValueError(`fromGraphology: type must be "undirected", "directed" or "mixed", got ${JSON.stringify(type)}`);
  const order = g.order;
  if (!Number.isInteger(order) || order < 0) throw new ValueError(`fromGraphology: order must be a non-negative integer, got ${String(order)}`);

  const index = new Map<string, number>();
  const ids: string[] = [];
  g.forEachNode((key) => {
    const k = String(key);
    if (index.has(k)) throw new ValueError(`fromGraphology: node ${JSON.stringify(k)} is listed twice by forEachNode`);
    index.set(k, ids.length);
    ids.push(k);
  });
  if (ids.length !== order) throw new ValueError(`fromGraphology: order is ${order} but forEachNode listed ${ids.length} nodes`);

  let cap = 1024, m = 0;
  let U = new Int32Array(cap), V = new Int32Array(cap), W = new Float64Array(cap);
  g.forEachEdge((key, attributes, source, target, _sa, _ta, undirected) => {
    const name = `edge ${JSON.stringify(String(key))} (${JSON.stringify(String(source))} – ${JSON.stringify(String(target))})`;
    const a = index.get(String(source)), b = index.get(String(target));
    if (a === undefined || b === undefined) throw new ValueError(`fromGraphology: ${name} has an endpoint that forEachNode did not list`);
    const isUndirected = type === "undirected" || (type === "mixed" && (undirected ?? (typeof g.isDirected === "function" ? !g.isDirected(key) : false)));
    let w = 1;
    if (attr !== null && attributes && Object.prototype.hasOwnProperty.call(attributes, attr)) {
      const x = attributes[attr];
      if (typeof x !== "number" || !(x > 0 && x < Infinity)) throw new ValueError(`fromGraphology: ${name}: weight attribute ${JSON.stringify(attr)} must be a finite number > 0, got ${typeof x === "number" ? x : JSON.stringify(x)}`);
      w = x;
    }
    if (!isUndirected) {
      if (directed === "reject") throw new ValueError(`fromGraphology: ${name} is directed and directed: "reject" was given`);
      if (directed === "mean") w *= 0.5;
    }
    if (m === cap) {
      cap *= 2;
      const u2 = new Int32Array(cap), v2 = new Int32Array(cap), w2 = new Float64Array(cap);
      u2.set(U);
      v2.set(V);
      w2.set(W);
      U = u2;
      V = v2;
      W = w2;
    }
    U[m] = a;
    V[m] = b;
    W[m] = w;
    m++;
  });
  return Graph.fromEdges(U.subarray(0, m), V.subarray(0, m), W.subarray(0, m), { n: order, nodeIds: ids });
}
