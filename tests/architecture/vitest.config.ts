import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each case runs dependency-cruiser in a child process: seconds each on a loaded 2-core machine.
    testTimeout: 120_000,
  },
});
