import { defineConfig } from 'vitest/config';

// One runner for every package. Tests start their own redis-server, bridge, workerd and
// worker processes on free ports, so files run in parallel without clashing.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '.data/**', 'dist/**'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
