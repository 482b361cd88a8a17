import { defineConfig } from 'vitest/config';

// The interop stage: tests against Debian's Postfix, Dovecot, swaks, ... installed by
// test/interop/run.sh. A missing program fails the test; it is never skipped.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
