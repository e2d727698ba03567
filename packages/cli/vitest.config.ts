import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Child-process tests share 2 cores with everything else; keep them from starving each other.
    maxWorkers: 2,
  },
});
