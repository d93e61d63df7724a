// Raw memory for the SDK: the SDK allocates f64/i32 buffers here and passes their
// addresses to the numeric exports. Nothing in assembly/ allocates managed objects on a
// hot path, so the garbage collector never has work to do; heap.alloc is the TLSF allocator.

// Address types of the ABI. To the compiler both are usize; scripts/abi.mjs reads them to type
// the SDK side of each export (sdk/engine/abi.ts): a `ptr<f64>` parameter takes a block of f64
// (a WasmBuffer<Float64Array> or an f64 copy-in / copy-out / scratch descriptor), a `ptr<i32>`
// one a block of 32-bit integers, and so on. `opt_ptr<T>` is the same, or 0 for "none".
/** Address of a block of T elements in linear memory. */
export type ptr<T> = usize;
/** Address of a block of T elements, or 0 when the argument is absent. */
export type opt_ptr<T> = usize;
/** An i32 used as a flag: 0 (false) or 1 (true). */
export type flag = i32;

/** Allocate `bytes` bytes, 16-byte aligned (TLSF guarantees it). Returns 0 on failure. */
export function mem_alloc(bytes: usize): usize {
  if (bytes == 0) bytes = 16;
  return heap.alloc(bytes);
}

/** Free a block returned by mem_alloc. */
export function mem_free(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

/** Current linear memory size in bytes. */
export function mem_size(): usize {
  return <usize>memory.size() << 16;
}

// Small unchecked load/store helpers, the only place raw f64 addresses are computed.
@inline export function ld(base: usize, i: isize): f64 {
  return load<f64>(base + (<usize>i << 3));
}
@inline export function st(base: usize, i: isize, v: f64): void {
  store<f64>(base + (<usize>i << 3), v);
}
@inline export function ldv(base: usize, i: isize): v128 {
  return v128.load(base + (<usize>i << 3));
}
@inline export function stv(base: usize, i: isize, v: v128): void {
  v128.store(base + (<usize>i << 3), v);
}
