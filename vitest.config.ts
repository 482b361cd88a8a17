import { defineConfig } from 'vitest/config';

// One run over every package and the cross-agent tests. Interop tests (Debian programs)
// live in test/interop and run through vitest.interop.config.ts instead.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/interop/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
