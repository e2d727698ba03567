import { defineConfig } from 'vitest/config';
import { scaffoldBaseDefine } from './build/scaffold-base.js';

export default defineConfig({
  define: scaffoldBaseDefine(),
  test: {
    // templates/*/test/ are the scaffolded projects' tests, run there by the end-to-end test.
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
