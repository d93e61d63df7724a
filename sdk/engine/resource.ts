// Objects that own engine memory (a dictionary's state, an estimator's factor, a game's
// matrix, a generator's state) share one life cycle: usable until dispose(), which frees the
// memory and may be called any number of times; every later use raises EngineStateError
// naming the object. `using x = new Squeak(...)` disposes at the end of the block.
import { EngineStateError } from "../core/errors.js";

/** Base class of the SDK's objects that own engine memory. Subclasses free their memory in
 *  `release()` and call `this.assertLive()` at the top of every method that uses it. */
export abstract class EngineResource {
  #disposed = false;

  /** True once dispose() has been called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Free the engine memory this object holds. Safe to call more than once; any later use
   *  of the object raises EngineStateError. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.release();
  }

  /** Same as dispose(), for `using` declarations. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Free the memory (called once, by dispose()). @internal */
  protected abstract release(): void;

  /** What error messages call this object (default: its class name). @internal */
  protected get resourceName(): string {
    return this.constructor.name;
  }

  /** Throw EngineStateError when the object was disposed. @internal */
  protected assertLive(): void {
    if (this.#disposed) throw disposedError(this.resourceName);
  }
}

/** The error every disposed object raises when used: one message, one type. (Not part of the
 *  package's exports; not tagged internal either, because sdk/engine/index.ts re-exports it and
 *  a stripped declaration would break that re-export in dist/types.) */
export function disposedError(what: string): EngineStateError {
  return new EngineStateError(`this ${what} was disposed; its engine memory is freed, so create a new one`);
}
