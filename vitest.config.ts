import { defineConfig } from 'vitest/config';

// One runner for every package. Tests start their own redis-server, bridge, workerd and
// worker processes on free ports, so files run in parallel without clashing.
export default defineConfig({
  // Redis Lua scripts (edge/src/store/scripts/*.lua) are imported as text, as wrangler.toml's rule does.
  plugins: [
    {
      name: 'lua-as-text',
      transform: (code, id) => (id.endsWith('.lua') ? `export default ${JSON.stringify(code)};` : undefined),
    },
  ],
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '.data/**', 'dist/**'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
