// Written out rather than imported from vitest, so that the types resolve without vitest installed.

/** The vitest config of a plugin package. */
declare const config: { test: { testTimeout: number; hookTimeout: number; maxWorkers: number } };
export default config;
