import { accessSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where test/interop/run.sh builds Dovecot's imaptest from test/interop/imaptest/. */
export const IMAPTEST_DIR = resolve(import.meta.dirname, '../../node_modules/.cache/imaptest');

export interface Imaptest {
  /** The program; run it with `env` (it links Dovecot's libraries). */
  bin: string;
  /** Its scripted compliance tests (pass as `test=<dir>`). */
  tests: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The built imaptest, or a loud failure saying how to build it: the interop stage builds it
 * before the tests run (`npm run test:interop`), and a missing tool never skips a test.
 */
export function imaptest(): Imaptest {
  const bin = join(IMAPTEST_DIR, 'imaptest');
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(
      `interop: imaptest missing at ${bin}; run \`npm run test:interop\` as root (it installs dovecot-dev ` +
        'and builds it), or `bash test/interop/imaptest/build.sh node_modules/.cache/imaptest`',
    );
  }
  return {
    bin,
    tests: join(IMAPTEST_DIR, 'tests'),
    env: { ...process.env, LD_LIBRARY_PATH: '/usr/lib/dovecot' },
  };
}
