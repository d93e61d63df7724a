// import-module.ts for workerd, which has neither workers nor imports at run time (and whose
// tooling rejects a dynamic import of a computed specifier).

/** Task modules cannot be loaded in workerd. */
export function importModule(url: string): Promise<Record<string, unknown>> {
  return Promise.reject(new Error(`cannot import the task module ${url}: workerd loads no module at run time`));
}
