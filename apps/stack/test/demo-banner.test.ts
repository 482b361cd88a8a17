/**
 * Issue 11.9: the start banner printed the password kept in `demo-password` even after it was
 * changed with the directory CLI, or after a start with another MAILSTACK_DEMO_PASSWORD.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadedConfig } from '@mailstack/config';
import { silentLogger } from '@mailstack/core';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { banner, devConfig, type RunningStack, startStack } from '../src/index.ts';

const CLI = fileURLToPath(new URL('../../../packages/directory/src/cli.ts', import.meta.url));

function config(dataDir: string): LoadedConfig {
  const c = devConfig({ MAILSTACK_DATA: dataDir }, dataDir);
  // Nothing is sent in these tests; no port may collide with a running `npm start`.
  c.config.dns.servers = ['127.0.0.1'];
  c.config.outbound.mxPort = 1;
  for (const listener of c.config.listeners) listener.port = 0;
  return c;
}

function passwordLine(text: string): string {
  return text.split('\n').find((l) => l.trimStart().startsWith('password')) ?? '';
}

describe('the demo password in the start banner', () => {
  let dir: TempDir;
  let stack: RunningStack | undefined;
  const start = async (envPassword?: string) => {
    await stack?.close();
    const saved = process.env.MAILSTACK_DEMO_PASSWORD;
    if (envPassword === undefined) delete process.env.MAILSTACK_DEMO_PASSWORD;
    else process.env.MAILSTACK_DEMO_PASSWORD = envPassword;
    try {
      stack = await startStack(config(dir.path), silentLogger);
    } finally {
      if (saved === undefined) delete process.env.MAILSTACK_DEMO_PASSWORD;
      else process.env.MAILSTACK_DEMO_PASSWORD = saved;
    }
    return { stack, text: banner(config(dir.path), stack) };
  };
  beforeEach(async () => {
    dir = await tempDir('mailstack-banner-');
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    await dir.cleanup();
  });

  it('does not offer a kept password to a user whose password was changed with the directory CLI', async () => {
    const first = await start();
    const kept = first.stack.demo?.password;
    expect(passwordLine(first.text)).toContain(kept);
    await first.stack.close();
    stack = undefined;
    execFileSync(
      process.execPath,
      [
        CLI,
        '--file',
        first.stack.paths.directory,
        'user',
        'passwd',
        'alice@example.test',
        '--password-stdin',
      ],
      { input: 'chosen by alice\n' },
    );

    const { stack: again, text } = await start();
    expect(passwordLine(text)).toMatch(new RegExp(`${kept} for bob@example\\.test \\(`));
    expect(passwordLine(text)).toContain('directory CLI');
    expect(again.demo?.current).toEqual(['bob@example.test']);

    execFileSync(process.execPath, [
      CLI,
      '--file',
      again.paths.directory,
      'user',
      'passwd',
      'bob@example.test',
      '--password',
      'chosen by bob',
    ]);
    const { text: third } = await start();
    expect(passwordLine(third)).not.toContain(kept);
    expect(passwordLine(third)).toMatch(/not shown/);
  });

  it('after a start with another MAILSTACK_DEMO_PASSWORD, does not print the kept one', async () => {
    const kept = (await start()).stack.demo?.password;
    const withEnv = await start('from-the-environment');
    expect(passwordLine(withEnv.text)).toContain('from-the-environment');
    const { stack: later, text } = await start();
    expect(passwordLine(text)).not.toContain(kept);
    expect(passwordLine(text)).not.toContain('from-the-environment');
    expect(later.demo).toMatchObject({ source: 'stored', current: [] });
  });
});
