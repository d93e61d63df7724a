// The seeded generator (xoshiro256** in the engine). A (seed, stream) pair names a stream:
// the same pair gives the same numbers in every runtime and on every worker.
import { getEngine, input, output, outputI32, outputU32, inout, Status, type WasmBuffer, type Engine } from "../engine/index.js";
import { ValueError } from "../core/errors.js";
import { EngineResource } from "../engine/resource.js";
import { integer, probability, seed as checkSeed } from "../core/validate.js";

const TWO32 = 4294967296;

/** A stream of the engine's seeded generator (xoshiro256**): the same `(seed, stream)` gives
 * bit-identical numbers in every runtime, and different stream ids give independent streams.
 * Owns 32 bytes of engine memory: `dispose()` it (or `using`); using it afterwards raises
 * EngineStateError. */
export class Rng extends EngineResource {
  /** The seed it was created with. */
  readonly seed: number;
  /** The stream id it was created with. */
  readonly stream: number;
  private readonly engine: Engine;
  private readonly state: WasmBuffer<Float64Array>;

  /** @param seed a non-negative safe integer; @param stream an independent sub-stream id
   *  (e.g. a merge-tree node's stream, see nodeStream in ./streams.ts), default 0. */
  constructor(seed: number, stream = 0) {
    super();
    this.seed = checkSeed(seed, "seed");
    this.stream = checkSeed(stream, "stream");
    this.engine = getEngine();
    this.state = this.engine.f64(4); // 32 bytes of xoshiro state
    this.engine.call("rng_seed", {
      s: this.state,
      seedLo: seed % TWO32 >>> 0, seedHi: Math.floor(seed / TWO32) >>> 0,
      streamLo: stream % TWO32 >>> 0, streamHi: Math.floor(stream / TWO32) >>> 0,
    });
  }

  /** n uniforms on [0, 1) with 53 random bits each. */
  uniform(n: number): Float64Array {
    this.assertLive();
    integer(n, "n", 0);
    return this.engine.call("rng_fill_uniform", { s: this.state, out: output(n), n }).output("out");
  }

  /** n standard normals (Marsaglia polar method). */
  normal(n: number): Float64Array {
    this.assertLive();
    integer(n, "n", 0);
    return this.engine.call("rng_fill_normal", { s: this.state, out: output(n), n }).output("out");
  }

  /** n raw 32-bit words. */
  u32(n: number): Uint32Array {
    this.assertLive();
    integer(n, "n", 0);
    return this.engine.call("rng_fill_u32", { s: this.state, out: outputU32(n), n }).output("out");
  }

  /** A uniform integer in [0, bound) without modulo bias; bound ≤ 2^32. */
  below(bound: number): number {
    this.assertLive();
    integer(bound, "bound", 1, TWO32);
    return this.engine.call("rng_below", { s: this.state, bound: bound >>> 0 }).ret;
  }

  /** n Bernoulli(p) draws as 0/1. */
  bernoulli(n: number, p: number): Int32Array {
    this.assertLive();
    integer(n, "n", 0);
    probability(p, "p");
    const r = this.engine.call("rng_fill_bernoulli", { s: this.state, out: outputI32(n), n, p });
    if (r.ret !== Status.OK) throw new ValueError(`p must be a probability in [0, 1], got ${p}`);
    return r.output("out");
  }

  /** `count` exact Binomial(trials, p) draws (inversion for small means, BTRD otherwise). */
  binomial(trials: number, p: number, count = 1): Float64Array {
    this.assertLive();
    integer(trials, "trials", 0, Number.MAX_SAFE_INTEGER);
    probability(p, "p");
    integer(count, "count", 0);
    const r = this.engine.call("rng_fill_binomial", { s: this.state, out: output(count), count, n: trials, p });
    if (r.ret !== Status.OK) throw new ValueError(`p must be a probability in [0, 1], got ${p}`);
    return r.output("out");
  }

  /** Thin counts in place: counts[i] ← Binomial(counts[i], probs[i]). */
  thin(counts: Int32Array, probs: Float64Array): Int32Array {
    this.assertLive();
    if (!(counts instanceof Int32Array)) throw new ValueError("thin: counts must be an Int32Array (it is updated in place)");
    if (!probs || typeof probs.length !== "number") throw new ValueError("thin: probs must be an array of probabilities");
    if (counts.length !== probs.length) throw new ValueError(`thin: counts has length ${counts.length} but probs has ${probs.length}`);
    for (let i = 0; i < probs.length; i++) probability(probs[i], `probs[${i}]`);
    for (let i = 0; i < counts.length; i++) if (counts[i] < 0) throw new ValueError(`counts[${i}] must be ≥ 0, got ${counts[i]}`);
    const st = this.engine.call("rng_binomial_thin", { s: this.state, counts: inout(counts), probs: input(probs), n: counts.length }).ret;
    if (st !== Status.OK) {
      const i = this.engine.statusArgs()[0];
      throw new ValueError(`probs[${i}] must be a probability in [0, 1], got ${probs[i]}`);
    }
    return counts;
  }

  /** @internal The engine buffer holding the 32-byte state, so SDK code can hand the
   *  generator to an export through Engine.call without touching addresses. */
  get stateBuffer(): WasmBuffer<Float64Array> {
    this.assertLive();
    return this.state;
  }

  /** A copy of the 32-byte state (to checkpoint a stream). */
  getState(): Uint8Array {
    this.assertLive();
    const v = this.state.view;
    return new Uint8Array(v.buffer, v.byteOffset, 32).slice();
  }

  /** Restore a state from getState(). */
  setState(s: Uint8Array): void {
    this.assertLive();
    if (s.length !== 32) throw new ValueError(`setState: expected 32 bytes, got ${s.length}`);
    const v = this.state.view;
    new Uint8Array(v.buffer, v.byteOffset, 32).set(s);
  }

  /** Frees the 32-byte state. @internal */
  protected release(): void {
    this.state.dispose();
  }

  protected override get resourceName(): string {
    return "Rng";
  }
}
