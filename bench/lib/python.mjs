// The Python peer: finds a python3 that imports numpy and runs snippets in it, single-threaded.
import { spawnSync } from "node:child_process";

const CANDIDATES = ["/usr/bin/python3", "python3"];

// Single-threaded BLAS for every peer run. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set on
// some machines of this workplace to work around old OpenBLAS builds; they slow a current
// one, so they are removed for the benchmark's Python processes only.
// `threads`: 1 (the default), another count, or "default" (the variables unset: the libraries'
// own default, all cores).
export function pythonEnv(threads = 1) {
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: "1" };
  for (const v of ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"]) {
    if (threads === "default") delete env[v];
    else env[v] = String(threads);
  }
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

// Defined in every snippet: INPUT (the `input` object or None) and bench_ms(fn) → median ms.
const PRELUDE = `
import json, json as _json, sys as _sys, time as _time
INPUT = _json.loads(_sys.stdin.read() or "null")
def bench_ms(fn, min_reps=3, min_s=0.3, warmup=True):
    if warmup:
        fn()
    ts = []
    t_start = _time.perf_counter()
    while len(ts) < min_reps or (_time.perf_counter() - t_start) < min_s:
        t0 = _time.perf_counter(); fn(); ts.append((_time.perf_counter() - t0) * 1e3)
        if len(ts) >= 1000: break
    ts.sort()
    return ts[len(ts) // 2]
`;

let found; // undefined = not looked yet, null = none

/** Path of a python3 that imports numpy, or null. */
export function findPython() {
  if (found !== undefined) return found;
  found = null;
  for (const exe of CANDIDATES) {
    const r = spawnSync(exe, ["-c", "import numpy"], { env: pythonEnv(), encoding: "utf8" });
    if (r.status === 0) {
      found = exe;
      break;
    }
  }
  return found;
}

/** Run `code` with INPUT = input; returns the JSON object printed on the last stdout line,
 *  or null when python, numpy or a module the code imports is unavailable. `options.threads`:
 *  the BLAS / OpenMP threads (1 by default; "default" leaves the libraries' own default). */
export function runPython(code, input, options = {}) {
  const exe = findPython();
  if (!exe) return null;
  const r = spawnSync(exe, ["-c", PRELUDE + "\n" + code], {
    env: pythonEnv(options.threads ?? 1),
    input: JSON.stringify(input ?? null),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: 15 * 60 * 1000,
  });
  if (r.status !== 0) {
    if (/ModuleNotFoundError|ImportError/.test(r.stderr ?? "")) return null;
    throw new Error(`python failed (exit ${r.status ?? r.signal}): ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" | ")}`);
  }
  const lines = (r.stdout ?? "").trim().split("\n");
  const last = lines[lines.length - 1];
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`python did not print a JSON object on its last line: ${JSON.stringify(last?.slice(0, 200))}`);
  }
}

/** Versions of the Python peers and the BLAS numpy runs on (null for what is missing). */
export function pythonPeers() {
  const info = runPython(`
out = {"python": _sys.version.split()[0], "executable": _sys.executable}
for mod, key in (("numpy", "numpy"), ("scipy", "scipy"), ("sklearn", "sklearn")):
    try:
        m = __import__(mod)
        out[key] = m.__version__
    except Exception as e:
        out[key] = None
        out[key + "_error"] = type(e).__name__ + ": " + str(e)
try:
    import numpy, threadpoolctl
    out["blas"] = [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")} for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
except Exception as e:
    out["blas"] = None
    out["blas_error"] = type(e).__name__ + ": " + str(e)
print(_json.dumps(out))
`);
  return info;
}
