// Deno driver for the engine's helper threads: `deno run --allow-read test/runtime/deno-threads.mjs`
// prints one JSON line. In Deno a live worker keeps the process running, so idle helpers leave
// (after 200 ms) and the engine starts them again when it next has work; the process then exits
// on its own once the script is done (the test times how long that takes).
import { sdk } from "../../dist-test/suite/core-suite.js";

const { init, getEngine, engineInfo, linalg, Matrix } = sdk;
await init();
const eng = getEngine();
eng.setThreads(2);
await eng.threadsReady();
const n = 200;
const A = new Matrix(n, n, Float64Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5));
const first = linalg.gemm(A, A).data;
const before = eng.exports.threads_registered();
await new Promise((r) => setTimeout(r, 800)); // longer than the idle time: the helper leaves
const idle = eng.exports.threads_registered();
const again = linalg.gemm(A, A).data; // the call starts a helper again
await eng.threadsReady();
const after = eng.exports.threads_registered();
const third = linalg.gemm(A, A).data;
const same = first.every((v, i) => Object.is(v, again[i]) && Object.is(v, third[i]));
console.log(JSON.stringify({ info: engineInfo(), before, idle, after, same, end: Date.now() }));
