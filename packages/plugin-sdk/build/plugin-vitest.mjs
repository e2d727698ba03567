// The vitest config of a plugin package: `export { default } from '@routerd/plugin-sdk/build/plugin-vitest'`.
export default {
  test: {
    // Tests spawn fake CLIs and the built plugin on a 2-core machine shared with other builds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
};
