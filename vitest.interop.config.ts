import { defineConfig } from 'vitest/config';
import { fromSource } from './vitest.config.ts';

// The interop stage: tests against Debian's Postfix, Dovecot, swaks, ... installed by
// test/interop/run.sh. A missing program fails the test; it is never skipped.
// Runs the repo from source like vitest.config.ts (the `@mailstack/source` condition).
export default defineConfig({
  ssr: fromSource.ssr,
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    env: fromSource.env,
  },
});
