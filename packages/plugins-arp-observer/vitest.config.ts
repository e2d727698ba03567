import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The namespace and child-process tests spawn the built plugin: build it once before any test runs.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // A 2-core machine shared with other builds: timing assertions need the cores they are promised.
    maxWorkers: 2,
  },
});
