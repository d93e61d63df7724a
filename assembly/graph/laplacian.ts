// Products with a shifted graph Laplacian, Y = (L + diag(s))·X, for X with k ≥ 1 columns
// (row-major n×k), the graph given in CSR form with both directions of every edge:
//
//   y_ij = Σ_{p ∈ row i} w_p·(x_ij − x_{col(p) j}) + s_i·x_ij
//
// The edge terms are summed in CSR order from 0, then the shift term is added: one fixed order
// per output element, whatever k is and whichever code path below computes the column, so the
// product of a block equals the products of its columns bit for bit.
//
// Why the difference form w·(x_i − x_j) rather than d_i·x_i − Σ w·x_j: it maps a vector that
// is constant on a component to exactly 0 (L·1 = 0 holds in floating point), so for γ = 0 the
// solver's iterates gain no spurious component along 1, and smooth vectors (potentials,
// resistance sketches) lose no digits to the cancellation of two large terms. It costs one
// subtraction per stored entry; measured (Node 20, best of 15 runs, k = 1) it is 0–8 % slower
// than the standard form: 4.2 against 3.9 ms on a 1000×1000 grid, 0.68 against 0.70 ms on a
// random geometric graph (n = 30,000, 594,254 stored entries). Two accumulators per row
// (even/odd entries) bought nothing: the loop is bound by the gathers x[col(p)], not by the
// chain of additions. Walking the entries with pointers (col and val advanced by 4 and 8 bytes)
// instead of an index gave 10–12 % on both graphs (2.6 against 2.95 ms on a random geometric
// graph with n = 10⁵ and 2·10⁶ stored entries, where scipy's CSR product takes 2.2 ms).
//
// Shape of the k > 1 path, measured the same way, in ns per stored entry and column:
//   k                                   1     2     4     8     16    32
//   grid 300×300, blocks of 8 columns   0.89  0.75  0.45  0.34  0.30  0.31
//   grid, blocks of 4 columns only      –     0.75  0.43  0.38  0.35  0.72
//   grid, accumulate in the output row  –     2.65  1.40  0.69  0.59  0.77
//   grid, one scalar pass per column    0.89  1.28  1.28  1.71  3.95  8.03
//   random geometric, blocks of 8       1.14  0.75  –     0.46  –     0.8
// so columns are processed in register blocks of 8 (four f64x2 accumulators; each neighbour's
// 8 values are loaded once per block and the row's entries are read k/8 times), then 4, then 2,
// and a scalar tail; k = 1 is a plain scalar loop. A block of k ≥ 8 columns costs about a third
// per column of what k single products cost. (Timings taken on a shared 2-core machine, so
// single figures move by ±20 %; the ordering of the variants was stable across runs.)
//
// Threads (assembly/core/threads.ts): the rows are split into strips of about equal numbers of
// stored entries, each strip computed by the serial loops below (a row's elements depend only
// on the row). The column sums `dots` are a reduction over all rows, so with several threads
// they are summed afterwards by one thread in row order: the same additions in the same order
// as the fused serial loop, hence the same bits.
import { ld, st, ptr, opt_ptr } from "../core/mem";
import { Status } from "../core/status";
import { parallelism, tasksFor, fork, setArg, argI, argP } from "../core/threads";

@inline function ldi(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}

// Unit weights (val = 0): w·t is t exactly when w = 1, so the loops below drop the weight
// loads and products and give the same bits as with an explicit array of ones — 20 % faster
// on the unweighted random geometric graph (2.05 against 2.6 ms). Each loop is written once,
// @inline with `unit` a constant at both call sites, and the compiler removes the dead side.

/** Rows r0…r1−1 of Y = (L + diag(s))·X for one column (k = 1); returns Σ_i x_i·y_i over them. */
@inline function rows1(unit: bool, r0: i32, r1: i32, rowPtr: usize, col: usize, val: usize, s: usize, x: usize, y: usize): f64 {
  let cp = col + (<usize>ldi(rowPtr, r0) << 2), vp = val + (<usize>ldi(rowPtr, r0) << 3);
  let d = 0.0;
  for (let i = r0; i < r1; i++) {
    const ce = col + (<usize>ldi(rowPtr, i + 1) << 2);
    const xi = ld(x, i);
    let acc = 0.0;
    if (unit) {
      for (; cp < ce; cp += 4) acc += xi - load<f64>(x + (<usize>load<i32>(cp) << 3));
    } else {
      for (; cp < ce; cp += 4, vp += 8) acc += load<f64>(vp) * (xi - load<f64>(x + (<usize>load<i32>(cp) << 3)));
    }
    const yi = acc + ld(s, i) * xi;
    st(y, i, yi);
    d += xi * yi;
  }
  return d;
}

/** Y = (L + diag(s))·X for one column (k = 1); with `dots` ≠ 0, dots[0] = Σ_i x_i·y_i. */
function product1(n: i32, rowPtr: usize, col: usize, val: usize, s: usize, x: usize, y: usize, dots: usize): void {
  const d = val == 0 ? rows1(true, 0, n, rowPtr, col, val, s, x, y) : rows1(false, 0, n, rowPtr, col, val, s, x, y);
  if (dots != 0) st(dots, 0, d);
}

/** Add x·y for `len` columns of a row into the column sums at dots. */
@inline function addDots(dots: usize, xr: usize, yr: usize, len: i32): void {
  let j = 0;
  for (; j + 2 <= len; j += 2) {
    const b = <usize>j << 3;
    v128.store(dots + b, f64x2.add(v128.load(dots + b), f64x2.mul(v128.load(xr + b), v128.load(yr + b))));
  }
  if (j < len) {
    const b = <usize>j << 3;
    store<f64>(dots + b, load<f64>(dots + b) + load<f64>(xr + b) * load<f64>(yr + b));
  }
}

/** w·(x_i − x_j) for two columns, or (x_i − x_j) when the weights are 1. */
@inline function edgeTerm(unit: bool, vp: usize, xi: v128, xj: v128): v128 {
  return unit ? f64x2.sub(xi, xj) : f64x2.mul(v128.load64_splat(vp), f64x2.sub(xi, xj));
}

/** Rows r0…r1−1 of Y = (L + diag(s))·X for k ≥ 2 columns. */
@inline function rowsK(unit: bool, r0: i32, r1: i32, k: i32, rowPtr: usize, col: usize, val: usize, s: usize, x: usize, y: usize, dots: usize): void {
  const rs = <usize>k << 3;
  const zero = f64x2.splat(0);
  for (let i = r0; i < r1; i++) {
    const b = ldi(rowPtr, i), e = ldi(rowPtr, i + 1);
    const cb = col + (<usize>b << 2), ce = col + (<usize>e << 2), vb = val + (<usize>b << 3);
    const xr = x + <usize>i * rs, yr = y + <usize>i * rs;
    const si = ld(s, i);
    const sv = f64x2.splat(si);
    let j = 0;
    for (; j + 8 <= k; j += 8) {
      const o = <usize>j << 3;
      const x0 = v128.load(xr + o), x1 = v128.load(xr + o, 16), x2 = v128.load(xr + o, 32), x3 = v128.load(xr + o, 48);
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      for (let cp = cb, vp = vb; cp < ce; cp += 4, vp += 8) {
        const xj = x + <usize>load<i32>(cp) * rs + o;
        a0 = f64x2.add(a0, edgeTerm(unit, vp, x0, v128.load(xj)));
        a1 = f64x2.add(a1, edgeTerm(unit, vp, x1, v128.load(xj, 16)));
        a2 = f64x2.add(a2, edgeTerm(unit, vp, x2, v128.load(xj, 32)));
        a3 = f64x2.add(a3, edgeTerm(unit, vp, x3, v128.load(xj, 48)));
      }
      v128.store(yr + o, f64x2.add(a0, f64x2.mul(sv, x0)));
      v128.store(yr + o, f64x2.add(a1, f64x2.mul(sv, x1)), 16);
      v128.store(yr + o, f64x2.add(a2, f64x2.mul(sv, x2)), 32);
      v128.store(yr + o, f64x2.add(a3, f64x2.mul(sv, x3)), 48);
    }
    for (; j + 4 <= k; j += 4) {
      const o = <usize>j << 3;
      const x0 = v128.load(xr + o), x1 = v128.load(xr + o, 16);
      let a0 = zero, a1 = zero;
      for (let cp = cb, vp = vb; cp < ce; cp += 4, vp += 8) {
        const xj = x + <usize>load<i32>(cp) * rs + o;
        a0 = f64x2.add(a0, edgeTerm(unit, vp, x0, v128.load(xj)));
        a1 = f64x2.add(a1, edgeTerm(unit, vp, x1, v128.load(xj, 16)));
      }
      v128.store(yr + o, f64x2.add(a0, f64x2.mul(sv, x0)));
      v128.store(yr + o, f64x2.add(a1, f64x2.mul(sv, x1)), 16);
    }
    for (; j + 2 <= k; j += 2) {
      const o = <usize>j << 3;
      const x0 = v128.load(xr + o);
      let a0 = zero;
      for (let cp = cb, vp = vb; cp < ce; cp += 4, vp += 8) {
        a0 = f64x2.add(a0, edgeTerm(unit, vp, x0, v128.load(x + <usize>load<i32>(cp) * rs + o)));
      }
      v128.store(yr + o, f64x2.add(a0, f64x2.mul(sv, x0)));
    }
    if (j < k) {
      const xi = ld(xr, j);
      let acc = 0.0;
      if (unit) {
        for (let cp = cb; cp < ce; cp += 4) acc += xi - ld(x + <usize>load<i32>(cp) * rs, j);
      } else {
        for (let cp = cb, vp = vb; cp < ce; cp += 4, vp += 8) acc += load<f64>(vp) * (xi - ld(x + <usize>load<i32>(cp) * rs, j));
      }
      st(yr, j, acc + si * xi);
    }
    if (dots != 0) addDots(dots, xr, yr, k);
  }
}

/** Y = (L + diag(s))·X for k ≥ 2 columns; with `dots` ≠ 0, dots[j] = Σ_i x_ij·y_ij. */
function productK(n: i32, k: i32, rowPtr: usize, col: usize, val: usize, s: usize, x: usize, y: usize, dots: usize): void {
  if (dots != 0) memory.fill(dots, 0, <usize>k << 3);
  if (val == 0) rowsK(true, 0, n, k, rowPtr, col, val, s, x, y, dots);
  else rowsK(false, 0, n, k, rowPtr, col, val, s, x, y, dots);
}

/** Y = (L + diag(s))·X (internal entry, also used by the solver): `val` = 0 for unit weights;
 *  `dots` = 0 or k f64 that receive the column sums Σ_i x_ij·y_ij, each summed in row order. */
export function laplacianProduct(n: i32, k: i32, rowPtr: usize, col: usize, val: usize, s: usize, x: usize, y: usize, dots: usize): void {
  const threads = parallelism();
  if (threads > 1 && n > 1) {
    const base = ldi(rowPtr, 0), nnz = ldi(rowPtr, n) - base;
    // A stored entry costs a gather, a subtraction and an addition per column.
    const tasks = tasksFor(<f64>(nnz + n) * <f64>k, threads, n);
    if (tasks > 1) {
      setArg(0, <f64>n); setArg(1, <f64>k); setArg(2, <f64>rowPtr); setArg(3, <f64>col); setArg(4, <f64>val);
      setArg(5, <f64>s); setArg(6, <f64>x); setArg(7, <f64>y); setArg(8, <f64>tasks);
      fork(tasks, changetype<usize>(productTask));
      if (dots != 0) sumDots(n, k, x, y, dots);
      return;
    }
  }
  if (k == 1) product1(n, rowPtr, col, val, s, x, y, dots);
  else productK(n, k, rowPtr, col, val, s, x, y, dots);
}

// Task t of a threaded product: the rows holding entries [t·nnz/tasks, (t+1)·nnz/tasks).
function productTask(t: i32): void {
  const n = argI(0), k = argI(1), rowPtr = argP(2), col = argP(3), val = argP(4);
  const s = argP(5), x = argP(6), y = argP(7), tasks = argI(8);
  const base = ldi(rowPtr, 0), total = ldi(rowPtr, n) - base + n;
  // Split rows by entries + 1 per row (so rows without entries are shared out too).
  const e0 = <i32>(<i64>t * total / tasks), e1 = <i32>(<i64>(t + 1) * total / tasks);
  const r0 = rowsBefore(rowPtr, n, base, e0), r1 = t == tasks - 1 ? n : rowsBefore(rowPtr, n, base, e1);
  if (r0 >= r1) return;
  if (k == 1) {
    if (val == 0) rows1(true, r0, r1, rowPtr, col, val, s, x, y);
    else rows1(false, r0, r1, rowPtr, col, val, s, x, y);
  } else if (val == 0) rowsK(true, r0, r1, k, rowPtr, col, val, s, x, y, 0);
  else rowsK(false, r0, r1, k, rowPtr, col, val, s, x, y, 0);
}

/** The number of rows i whose weight (entries before row i, plus i) is below `w`. */
function rowsBefore(rowPtr: usize, n: i32, base: i32, w: i32): i32 {
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ldi(rowPtr, mid) - base + mid < w) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** dots[j] = Σ_i x_ij·y_ij in row order (after a threaded product; the serial loops fuse it). */
function sumDots(n: i32, k: i32, x: usize, y: usize, dots: usize): void {
  if (k == 1) {
    let d = 0.0;
    for (let i = 0; i < n; i++) d += ld(x, i) * ld(y, i);
    st(dots, 0, d);
    return;
  }
  memory.fill(dots, 0, <usize>k << 3);
  const rs = <usize>k << 3;
  for (let i = 0; i < n; i++) addDots(dots, x + <usize>i * rs, y + <usize>i * rs, k);
}

/** Y = (L + diag(s))·X for the n×k row-major blocks X and Y (k ≥ 1), where L = D − A is the
 *  Laplacian of a weighted undirected graph in CSR form: row i lists every neighbour j of i
 *  (both directions of each edge) with the edge weight w_ij > 0. Element (i, j) of Y is
 *  Σ_p w_p·(x_ij − x_{col(p) j}) over row i in CSR order, plus s_i·x_ij: one fixed order, so each
 *  column of Y is bit-identical to the product of that column alone. Returns Status.OK, or
 *  Status.BAD_ARG for n < 0 or k < 1.
 *  @param n nodes (rows of X and Y)
 *  @param k columns of X and Y
 *  @param rowPtr n + 1 offsets into col / val (rowPtr[0] = 0, non-decreasing)
 *  @param col neighbour of each stored entry, in [0, n)
 *  @param val weight of each stored entry (> 0), or 0 when every weight is 1
 *  @param s the shift, one value per node (≥ 0 for a positive semi-definite result)
 *  @param x the n×k input block, row-major
 *  @param y the n×k output block, row-major (must not overlap x) */
export function graph_spmm(n: i32, k: i32, rowPtr: ptr<i32>, col: ptr<i32>, val: opt_ptr<f64>, s: ptr<f64>, x: ptr<f64>, y: ptr<f64>): Status {
  if (n < 0 || k < 1) return Status.BAD_ARG;
  laplacianProduct(n, k, rowPtr, col, val, s, x, y, 0);
  return Status.OK;
}
