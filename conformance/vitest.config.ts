import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Every conformance run spawns real plugin processes; two workers is what a 2-core CI machine takes.
    maxWorkers: 2,
  },
});
