// Typed view of the module's exports (assembly/index.ts). Addresses are plain numbers.
export interface WasmExports {
  memory: WebAssembly.Memory;
  mem_alloc(bytes: number): number;
  mem_free(ptr: number): void;
  mem_size(): number;
  status_arg(): number;
  status_arg2(): number;
  [name: string]: unknown;
}

/** Status codes returned by numeric exports (assembly/core/status.ts). */
export const Status = {
  OK: 0,
  NOT_SPD: 1,
  NO_CONVERGENCE: 2,
  NON_FINITE: 3,
  BAD_ARG: 4,
} as const;
