// Deterministic randomness for environments written in JavaScript: integer hashing only, so the
// same numbers in every JavaScript engine, and no engine memory (an environment needs no
// dispose).
/** A small deterministic generator for environments (splitmix32-style integer hashing: the
 *  same numbers in every JavaScript engine; no engine memory, so an environment needs no
 *  dispose). */
export class EnvRandom {
  private s: number;
  constructor(seed: number, stream = 0) {
    this.s = mix32((seed >>> 0) ^ mix32(stream + 0x9e3779b9));
  }
  /** A uniform in [0, 1) with 32 bits. */
  next(): number {
    this.s = (this.s + 0x9e3779b9) | 0;
    return (mix32(this.s) >>> 0) / 4294967296;
  }
  /** An index drawn from the probabilities `p` (summing to 1). */
  categorical(p: ArrayLike<number>): number {
    const u = this.next();
    let c = 0;
    for (let i = 0; i < p.length - 1; i++) {
      c += p[i];
      if (u < c) return i;
    }
    return p.length - 1;
  }
}

/** A 32-bit integer mix (the finaliser of MurmurHash3 / splitmix32). */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** A seed for episode `index` of a run with seed `seed` and stream `stream` (integer hashing). */
export function episodeSeed(seed: number, stream: number, index: number): number {
  return mix32(mix32(mix32(seed | 0) ^ (stream | 0)) ^ (index | 0)) >>> 0;
}
