// Fork–join on one shared memory: how the heavy kernels run on several threads.
//
// The threaded build (build/seqlearn.threads.wasm: `--enable threads --sharedMemory
// --importMemory`) is instantiated once by the engine (the main thread, id 0) and once in each
// helper worker (ids 1, 2, …), every instance on the same shared `WebAssembly.Memory`. A
// helper enters `thread_run` and never leaves it until told to quit: it sleeps on the EPOCH
// word of the control block below, and when the main thread publishes a job it claims the
// job's tasks one at a time and runs them. The main thread claims tasks too, then waits for the
// last one to finish. Everything else — allocation, the generator, status words, the export
// calls from JavaScript — happens on the main thread only.
//
// Rules that keep this correct (test/threads.test.ts checks the first, second and fourth on the
// compiled module):
// - A helper never allocates: the main thread allocates each helper's scratch (pack buffers, …)
//   before letting it take part in a job, and the one allocation on a path from `thread_run`
//   (threadScratch's, for the main thread's own scratch) is taken only by thread id 0.
// - No start-up side effects: instantiating the module again on the shared memory (each helper
//   does) re-applies its data segments; `--zeroFilledMemory` leaves only constants there (no
//   static scratch: the solves' pairs live in the thread's scratch block), and there is no
//   start function.
// - Nothing a helper runs touches the shadow stack (no managed references in task code; the
//   GEMM epilogue is a table index, not a function object): every instance starts its stack
//   pointer at the same address, so they would share one stack.
// - Wasm globals are per instance: they are each thread's private variables (the pack buffers'
//   addresses, the kernel epilogue's parameters). What a task needs from the caller travels in
//   the job's argument slots of the control block, written before the job is published.
// - Only the main thread at depth 0 forks. A kernel asks `parallelism()` first and, when it is 1
//   (one thread, or already inside a task on any thread), runs its serial code without touching
//   the job slots; and task functions call only serial code (gemmWith, syrkRow, the serial
//   solves), so no task can reach `fork` and overwrite the job it belongs to.
// - Determinism: a kernel splits its output into tasks so that every element is computed by one
//   task, with exactly the operations of the serial kernel in the same order (the partitions are
//   chosen where the serial code's result does not depend on the block boundaries: GEMM's
//   elements do not depend on the m and n blocking, a triangular solve's rows or columns are
//   independent, …). Which thread runs a task, and how many threads there are, cannot change a
//   bit of the result. Reductions across tasks (sums over rows) are never split.
//
// Helpers take an id (1…63) from the LIVE bit mask when they enter `thread_run` and give it back
// when they leave (after threads_stop, or after `idleMs` without work: Deno, where a live worker
// keeps the process running); an id's scratch block stays allocated for whichever helper takes
// the id next.
//
// Protocol. Publishing job e: write the arguments; close job e − 1's claim word (CLAIM ← (e − 1,
// 2³¹ − 1), so that a stale compare-and-swap on it fails); write FN, TASKS, ALLOWED; DONE ← 0;
// CLAIM ← e·2³² (task 0 of epoch e); EPOCH ← e; notify EPOCH. A thread claims task t by a
// compare-and-swap of CLAIM from (e, t) to (e, t + 1), which succeeds only while job e is live
// (it cannot end before task t is done), so the FN and arguments it then reads are job e's. After
// the task it adds 1 to DONE; the thread that completes the last task notifies DONE. The main
// thread returns when DONE = TASKS. A helper that wakes late finds CLAIM at another epoch, or no
// task left, and goes back to sleep: nobody waits for an idle helper, so a slow-to-wake thread
// (a loaded machine) costs nothing — the others take its share. A helper that traps sets the
// ERROR bit of DONE from JavaScript and notifies; the main thread then traps too, and the
// engine resets (a new memory for everyone).
//
// In the single-threaded builds (seqlearn.wasm, seqlearn.wasi.wasm) ASC_FEATURE_THREADS is false:
// `parallelism()` is 1, the atomics compile away, and the kernels run their serial code.
import { ptr, flag } from "./mem";

/** Most threads an engine uses (the main thread and 63 helpers). */
export const MAX_THREADS: i32 = 64;

/** Byte offsets in the thread control block (threads_control). The words that different threads
 *  write often sit on their own 64-byte line. sdk/engine/threads.ts reads DONE and sets ERROR in it
 *  when a helper traps. */
export const enum ThreadControl {
  /** i32: job counter; helpers sleep on it. */
  EPOCH = 0,
  /** i32: 1 tells the helpers to leave thread_run. */
  QUIT = 4,
  /** i64: (epoch << 32) | next task to claim. */
  CLAIM = 64,
  /** i32: tasks of the current job finished (| ERROR). */
  DONE = 128,
  /** u32: table index of the task function, (task: i32) => void. */
  FN = 192,
  /** i32: tasks of the current job. */
  TASKS = 196,
  /** i32: threads with id < ALLOWED may claim tasks of the current job. */
  ALLOWED = 200,
  /** f64: work per task (0: the default). */
  GRAIN = 216,
  /** i64: bit i set while the helper with id i is in thread_run (bit 0, the main thread, never). */
  LIVE = 320,
  /** f64 × 24: the current job's arguments. */
  ARGS = 384,
  /** u32 × MAX_THREADS: each thread's scratch block (0 until the main thread allocates it). */
  SCRATCH = 576,
  /** Bytes of the control block. */
  BYTES = 832,
  /** The bit of DONE (2³⁰) a helper sets (from JavaScript) when it traps. */
  ERROR = 1073741824,
}

const EPOCH: usize = ThreadControl.EPOCH;
const QUIT: usize = ThreadControl.QUIT;
const CLAIM: usize = ThreadControl.CLAIM;
const DONE: usize = ThreadControl.DONE;
const FN: usize = ThreadControl.FN;
const TASKS: usize = ThreadControl.TASKS;
const ALLOWED: usize = ThreadControl.ALLOWED;
const LIVE: usize = ThreadControl.LIVE;
const GRAIN: usize = ThreadControl.GRAIN;
const ARGS: usize = ThreadControl.ARGS;
const SCRATCH: usize = ThreadControl.SCRATCH;
const CONTROL_BYTES: usize = ThreadControl.BYTES;
const ERROR: i32 = ThreadControl.ERROR;

/** Polls of a word before sleeping on it: ~10–40 µs, so back-to-back forks (a factorisation's
 *  panels) find the helpers awake, while an idle engine's helpers sleep. */
const SPIN: i32 = 20000;

/** Default work per task: about 2·10⁶ multiply-adds (~0.1 ms at the kernels' speed), large next to
 *  the cost of a fork (tens of µs to wake a sleeping helper) and small enough to balance. */
const DEFAULT_GRAIN: f64 = 2.0e6;

/** Byte offsets in a thread's scratch block: the buffers the kernels of one thread use. */
export const enum ThreadScratch {
  /** f64 GEMM, packed block of op(A): MC·KC·16 bytes (48·256, pre-splatted). */
  GEMM_A = 0,
  /** f64 GEMM, packed panel of op(B): KC·NC·8 bytes (256·2048). */
  GEMM_B = 196608,
  /** f64 GEMM, an edge tile: MR·NR·8 bytes. */
  GEMM_EDGE = 4390912,
  /** The pairs of the right-sided triangular solve's base case: 16·16 bytes. */
  TRSM_PAIRS = 4391040,
  /** f32 GEMM (assembly/nn/matmul.ts), packed op(A): 64·256·16 bytes. */
  SGEMM_A = 4391296,
  /** f32 GEMM, packed op(B): 256·512·4 bytes. */
  SGEMM_B = 4653440,
  /** f32 GEMM, an edge tile: 4·8·4 bytes. */
  SGEMM_EDGE = 5177728,
  /** Bytes of a scratch block. */
  BYTES = 5177856,
}

// This instance's (this thread's) private state.
let ctl: usize = 0; //          control block address (0 until first used)
let tid: i32 = 0; //            0 = the main thread
let inTask: bool = false; //    running a task (always, on a helper)
let canBlock: bool = true; //   the main thread may sleep (false on a browser's main thread)
let active: i32 = 1; //         threads a fork may use (main thread's setting)
let myScratch: usize = 0;

function control(): usize {
  if (ctl == 0) {
    ctl = heap.alloc(CONTROL_BYTES);
    memory.fill(ctl, 0, CONTROL_BYTES);
  }
  return ctl;
}

/** This thread's scratch block (ThreadScratch offsets). The main thread allocates its own on
 *  first use; a helper's was allocated by the main thread before the helper joined a job. */
export function threadScratch(): usize {
  if (myScratch == 0) myScratch = tid == 0 ? mainScratch() : <usize>load<u32>(ctl + SCRATCH + (<usize>tid << 2));
  return myScratch;
}

// The main thread's scratch, allocated on first use (the one allocation on a path that tasks can
// reach: helpers have tid ≠ 0 and read theirs from the control block).
function mainScratch(): usize {
  return heap.alloc(<usize>ThreadScratch.BYTES);
}

/** How many threads a kernel may split its work over right now: 1 in the single-threaded builds,
 *  inside a task (on any thread), or when the engine is set to one thread. Ask before writing
 *  job arguments: a kernel that gets 1 must run its serial code. */
export function parallelism(): i32 {
  if (!ASC_FEATURE_THREADS) return 1;
  if (inTask || active <= 1 || ctl == 0) return 1;
  return min(active, 1 + <i32>popcnt<i64>(atomic.load<i64>(ctl + LIVE)));
}

/** Number of tasks for `work` units of work split over `threads` threads: about one task per
 *  grain of work, at most 8 per thread (dynamic claiming balances them), at least 1, and at most
 *  `maxTasks` (the number of independent pieces the kernel has). */
export function tasksFor(work: f64, threads: i32, maxTasks: i32): i32 {
  if (threads <= 1 || maxTasks <= 1) return 1;
  let grain = load<f64>(ctl + GRAIN);
  if (!(grain > 0.0)) grain = DEFAULT_GRAIN;
  const byWork = work / grain;
  let t = byWork >= <f64>(threads << 3) ? threads << 3 : <i32>byWork;
  if (t > maxTasks) t = maxTasks;
  return t < 1 ? 1 : t;
}

// Rows and columns of the blocks planGrid chose (per thread, as every global).
let gRows: i32 = 0;
let gCols: i32 = 0;

/** Cut an m×n output into about `tasks` blocks, as square as the shape allows, with sides that
 *  are multiples of the kernel's tile (rowUnit × colUnit, so blocks hold whole tiles); returns
 *  the number of blocks, ⌈m/gridRows()⌉·⌈n/gridCols()⌉, numbered row-major. */
export function planGrid(m: i32, n: i32, tasks: i32, rowUnit: i32, colUnit: i32): i32 {
  const rmax = (m + rowUnit - 1) / rowUnit, cmax = (n + colUnit - 1) / colUnit;
  let r = <i32>Math.round(Math.sqrt(<f64>tasks * <f64>m / <f64>n));
  r = max(1, min(r, min(tasks, rmax)));
  const cb = max(1, min((tasks + r - 1) / r, cmax));
  gRows = (((m + r - 1) / r) + rowUnit - 1) / rowUnit * rowUnit;
  gCols = (((n + cb - 1) / cb) + colUnit - 1) / colUnit * colUnit;
  return ((m + gRows - 1) / gRows) * ((n + gCols - 1) / gCols);
}

/** Rows of the blocks the last planGrid chose. */
export function gridRows(): i32 {
  return gRows;
}
/** Columns of the blocks the last planGrid chose. */
export function gridCols(): i32 {
  return gCols;
}

/** Write argument slot i of the next job (main thread, only after parallelism() > 1). */
@inline export function setArg(i: i32, v: f64): void {
  store<f64>(ctl + ARGS + (<usize>i << 3), v);
}
/** Argument slot i of the running job (inside a task; read them all before nested calls). */
@inline export function arg(i: i32): f64 {
  return load<f64>(ctl + ARGS + (<usize>i << 3));
}
/** Argument slot i as an i32. */
@inline export function argI(i: i32): i32 {
  return <i32>load<f64>(ctl + ARGS + (<usize>i << 3));
}
/** Argument slot i as an address. */
@inline export function argP(i: i32): usize {
  return <usize>load<f64>(ctl + ARGS + (<usize>i << 3));
}

/** Claim and run tasks of job `e` until none is left (or the job is over). */
function runTasks(e: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  while (true) {
    const w = atomic.load<i64>(ctl + CLAIM);
    if (<i32>(w >>> 32) != e) return;
    const t = <i32>(w & 0xffffffff);
    const tasks = atomic.load<i32>(ctl + TASKS);
    if (t >= tasks) return;
    if (atomic.cmpxchg<i64>(ctl + CLAIM, w, w + 1) != w) continue;
    call_indirect<void>(atomic.load<u32>(ctl + FN), t);
    if (atomic.add<i32>(ctl + DONE, 1) + 1 == tasks) atomic.notify(ctl + DONE);
  }
}

/** Allocate the scratch of the live helpers that may take part (id < active) and have none yet
 *  (main thread); returns the number of threads that may claim tasks. */
function prepareHelpers(): i32 {
  if (!ASC_FEATURE_THREADS) return 1;
  const live = atomic.load<i64>(ctl + LIVE);
  const limit = min(active, MAX_THREADS);
  let ready = 1;
  for (let id = 1; id < limit; id++) {
    if ((live & (<i64>1 << id)) == 0) continue;
    const slot = ctl + SCRATCH + (<usize>id << 2);
    if (load<u32>(slot) == 0) atomic.store<u32>(slot, <u32>heap.alloc(<usize>ThreadScratch.BYTES));
    ready++;
  }
  return ready;
}

/** Run `tasks` tasks of a task function (task: i32) => void, which reads its arguments with
 *  arg(), on the engine's threads, the calling (main) thread included; returns when all are done.
 *  Call only after parallelism() > 1 and the arguments are written. `task` is the address of the
 *  function's object, `changetype<usize>(myTask)`: written that way (not `myTask.index`, not a
 *  function-typed parameter) no managed reference appears in the caller, so the kernels that
 *  helpers run never touch the shadow stack (test/threads.test.ts checks the compiled module). */
export function fork(tasks: i32, task: usize): void {
  if (tasks <= 0) return;
  const fn = load<u32>(task); // Function#_index
  const c = ASC_FEATURE_THREADS && tasks > 1 && !inTask && active > 1 ? control() : 0;
  const ready = c != 0 ? prepareHelpers() : 1;
  if (ready <= 1) {
    const outer = inTask;
    inTask = true;
    for (let t = 0; t < tasks; t++) call_indirect<void>(fn, t);
    inTask = outer;
    return;
  }
  threadScratch();
  // Close the last job's claim word first. A helper may have read CLAIM = (e − 1, all claimed)
  // just before, and would then compare it with this job's larger TASKS: without this store its
  // compare-and-swap would still succeed, and it would run a task of this job a second time (an
  // accumulating product would then add twice) and upset the DONE count.
  const prev = atomic.load<i32>(c + EPOCH);
  atomic.store<i64>(c + CLAIM, (<i64>prev << 32) | 0x7fffffff);
  atomic.store<u32>(c + FN, fn);
  atomic.store<i32>(c + TASKS, tasks);
  atomic.store<i32>(c + ALLOWED, min(active, MAX_THREADS));
  atomic.store<i32>(c + DONE, 0);
  const e = prev + 1;
  atomic.store<i64>(c + CLAIM, <i64>e << 32);
  atomic.store<i32>(c + EPOCH, e);
  atomic.notify(c + EPOCH);
  inTask = true;
  runTasks(e);
  inTask = false;
  let spins = 0;
  while (true) {
    const d = atomic.load<i32>(c + DONE);
    if (d & ERROR) unreachable(); // a helper trapped: so does the call (the engine resets)
    if (d >= tasks) break;
    if (spins < SPIN || !canBlock) {
      spins++;
      continue;
    }
    atomic.wait<i32>(c + DONE, d);
  }
}

/** Address of this engine's thread control block (allocated on first call). The engine hands it
 *  to each helper, which passes it to thread_run. 0 in the single-threaded builds. */
export function threads_control(): usize {
  if (!ASC_FEATURE_THREADS) return 0;
  return control();
}

/** Set how many threads the kernels may use (1…64; helpers that have not started yet join when
 *  they do), whether this thread may sleep while it waits for helpers (0 on a browser's main
 *  thread: it polls instead), and the work per task (0 = default; tests set it small to split
 *  every kernel into many tasks). Returns the number of threads now allowed (1 in the
 *  single-threaded builds). Main thread only.
 *  @param threads threads to use, the calling one included
 *  @param blocking 1 if the calling thread may sleep on a wait
 *  @param grain work per task, in multiply-adds (0: the default, 2·10⁶) */
export function threads_config(threads: i32, blocking: flag, grain: f64): i32 {
  if (!ASC_FEATURE_THREADS) return 1;
  const c = control();
  active = max(1, min(threads, MAX_THREADS));
  canBlock = blocking != 0;
  store<f64>(c + GRAIN, grain > 0.0 ? grain : 0.0);
  return active;
}

/** Helpers in thread_run right now (main thread). */
export function threads_registered(): i32 {
  if (!ASC_FEATURE_THREADS) return 0;
  return <i32>popcnt<i64>(atomic.load<i64>(control() + LIVE));
}

/** Take the lowest free helper id (1…63) in LIVE; 0 when all are taken. */
function takeId(): i32 {
  while (true) {
    const live = atomic.load<i64>(ctl + LIVE);
    const free = ~live & ~(<i64>1); // bit 0 is the main thread's
    if (free == 0) return 0;
    const id = <i32>ctz<i64>(free);
    if (atomic.cmpxchg<i64>(ctl + LIVE, live, live | (<i64>1 << id)) == live) return id;
  }
  return 0;
}

/** The helper loop: take a helper id in the control block `control` (from threads_control on the
 *  main thread), then sleep until a job is published, run its tasks (when its id may take part
 *  and its scratch is allocated), and sleep again — until threads_stop, or until no job came for
 *  `idleMs` milliseconds (0: never), when it gives its id back and returns it. Returns 0 when no id
 *  was free, or in the single-threaded builds. Called by sdk/engine/threads.ts in each helper
 *  worker, never on the main thread.
 *  @param control the address threads_control returned on the main thread
 *  @param idleMs leave after this long without a job (0: stay until threads_stop) */
export function thread_run(control: usize, idleMs: i32): i32 {
  if (!ASC_FEATURE_THREADS) return 0;
  ctl = control;
  tid = takeId();
  if (tid == 0) return 0;
  inTask = true;
  const timeout: i64 = idleMs > 0 ? <i64>idleMs * 1000000 : -1;
  let seen = atomic.load<i32>(ctl + EPOCH);
  while (true) {
    let e = atomic.load<i32>(ctl + EPOCH);
    let spins = 0;
    while (e == seen) {
      if (spins < SPIN) spins++;
      else if (atomic.wait<i32>(ctl + EPOCH, seen, timeout) == AtomicWaitResult.TIMED_OUT && atomic.load<i32>(ctl + EPOCH) == seen) {
        atomic.and<i64>(ctl + LIVE, ~(<i64>1 << tid));
        return tid;
      }
      e = atomic.load<i32>(ctl + EPOCH);
    }
    seen = e;
    if (atomic.load<i32>(ctl + QUIT) != 0) break;
    if (tid < atomic.load<i32>(ctl + ALLOWED) && load<u32>(ctl + SCRATCH + (<usize>tid << 2)) != 0) runTasks(e);
  }
  atomic.and<i64>(ctl + LIVE, ~(<i64>1 << tid));
  return tid;
}

/** Tell every helper to leave thread_run (main thread; before the engine drops this memory). */
export function threads_stop(): void {
  if (!ASC_FEATURE_THREADS) return;
  if (ctl == 0) return;
  atomic.store<i32>(ctl + QUIT, 1);
  atomic.add<i32>(ctl + EPOCH, 1);
  atomic.notify(ctl + EPOCH);
}
