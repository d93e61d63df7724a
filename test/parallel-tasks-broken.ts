// A task module that fails while loading (for test/parallel-pool.test.ts).
throw new Error("this task module cannot load");
