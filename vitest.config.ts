import { defineConfig } from 'vitest/config';

/**
 * In the repo everything runs from source: each package's `exports` lists the
 * `@mailstack/source` condition (→ src/index.ts) before its built dist. Vite resolves the
 * test files' imports with it, and NODE_OPTIONS carries it to every `node` a test starts
 * (agents, CLIs, crash fixtures), as the repo's .npmrc does for npm scripts. Shared with
 * vitest.interop.config.ts.
 */
export const SOURCE_CONDITION = '@mailstack/source';
const flag = `--conditions=${SOURCE_CONDITION}`;
const nodeOptions = process.env.NODE_OPTIONS ?? '';
export const fromSource = {
  ssr: { resolve: { conditions: [SOURCE_CONDITION] } },
  env: { NODE_OPTIONS: nodeOptions.includes(flag) ? nodeOptions : `${nodeOptions} ${flag}`.trim() },
};

// One run over every package and the cross-agent tests. Interop tests (Debian programs)
// live in test/interop and run through vitest.interop.config.ts instead.
export default defineConfig({
  ssr: fromSource.ssr,
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/interop/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: fromSource.env,
  },
});
