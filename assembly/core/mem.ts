// Raw memory for the SDK: the SDK allocates f64/i32 buffers here and passes their
// addresses to the numeric exports. Nothing in assembly/ allocates managed objects on a
// hot path, so the garbage collector never has work to do; heap.alloc is the TLSF allocator.

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

/** Scratch allocation for internal use; traps (abort) if memory cannot grow. */
export function scratch(bytes: usize): usize {
  const p = heap.alloc(bytes == 0 ? 16 : bytes);
  return p;
}
