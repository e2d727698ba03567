import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // test/reliability is its own run (vitest.reliability.config.ts), after these.
    exclude: ['**/node_modules/**', 'test/reliability/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Child-process tests share 2 cores with everything else; keep them from starving each other.
    maxWorkers: 2,
  },
});
