// How a worker loads a task module: a dynamic import of its URL, which bundlers are told to
// leave alone (the URL is only known at run time). The workerd build, where nothing can be
// imported at run time, uses import-module.workerd.ts instead.

/** Import the module at `url`. */
export function importModule(url: string): Promise<Record<string, unknown>> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ url);
}
