// Runtimes without explicit resource management still get a Symbol.dispose, so objects that
// own engine memory can be used with `using` where supported and dispose() everywhere.
if (!(Symbol as { dispose?: symbol }).dispose) {
  Object.defineProperty(Symbol, "dispose", { value: Symbol.for("Symbol.dispose") });
}
export {};
