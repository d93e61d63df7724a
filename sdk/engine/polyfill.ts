// Runtimes without explicit resource management still get a Symbol.dispose, so objects that
// own engine memory can be used with `using` where supported and dispose() everywhere.
if (!(Symbol as { dispose?: symbol }).dispose) {
  Object.defineProperty(Symbol, "dispose", { value: Symbol.for("Symbol.dispose") });
}
if (!(Symbol as { asyncDispose?: symbol }).asyncDispose) {
  Object.defineProperty(Symbol, "asyncDispose", { value: Symbol.for("Symbol.asyncDispose") });
}

// The same for the types: the declarations of the objects that own engine memory name
// `Symbol.dispose`, which TypeScript's libraries declare only from ES2025 / "esnext.disposable"
// on. Declaring it here lets a project with an older `lib` (and without skipLibCheck) check
// them; where the library declares it too, the two declarations merge.
declare global {
  interface SymbolConstructor {
    /** The method `using` calls when a declaration leaves its scope. */
    readonly dispose: unique symbol;
    /** The method `await using` calls when a declaration leaves its scope. */
    readonly asyncDispose: unique symbol;
  }
}

export {};
