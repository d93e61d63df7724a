/**
 * Random numbers: the seeded generator (xoshiro256** in the engine, bit-identical in every
 * runtime) and the stream scheme that names the randomness of each piece of parallel work
 * (`nodeStream`). The `random` namespace of the package, also its subpath `seqlearn/random`.
 *
 * @module
 */
export { Rng } from "./rng.js";
export { nodeStream, MAX_TREE_LEAVES } from "./streams.js";
