import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The fake-CLI and conformance tests spawn the built plugin: build it once before any test runs.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
