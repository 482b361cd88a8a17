import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMaildirStore } from '@mailstack/maildir';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { message, readMessages, writeDirectoryFile } from '../packages/mda/test/fixtures.ts';
import { filesConfig, writeConfigFile } from './helpers/mailstack-agent.ts';
import { MAILSTACK_BIN } from './helpers/mailstack-cli.ts';

interface LdaRun {
  code: number | null;
  stderr: string;
}

/** `mailstack lda ARGS` with `input` on stdin. */
function runLda(args: string[], input: string | Buffer): Promise<LdaRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAILSTACK_BIN, 'lda', ...args], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(input);
  });
}

let dir: TempDir | undefined;
afterEach(async () => {
  await dir?.cleanup();
  dir = undefined;
});

async function setup() {
  dir = await tempDir('mailstack-lda-');
  const directoryFile = join(dir.path, 'directory.json');
  await writeDirectoryFile(directoryFile);
  const data = join(dir.path, 'data');
  const files = filesConfig({ directory: directoryFile, mail: data });
  const base = ['--config', await writeConfigFile(files, 'lda')];
  const tiny = ['--config', await writeConfigFile({ ...files, limits: { messageSize: '10' } }, 'lda')];
  const store = createMaildirStore({ root: data });
  return { base, tiny, store };
}

describe('`mailstack lda`: the MDA’s LDA mode (stdin, sysexits)', () => {
  it('delivers an LF message from stdin, dropping an mbox From_ line, and exits 0', async () => {
    const { base, store } = await setup();
    const input = `From sender@remote.test Mon Nov 23 08:00:00 2026\n${message({ id: 'lda-1', eol: '\n' })}`;
    const run = await runLda([...base, '-f', 'sender@remote.test', '-a', 'alice@example.test'], input);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [alice] = await readMessages(store, 'alice@example.test');
    expect(alice).toMatch(
      /^Return-Path: <sender@remote\.test>\r\nDelivered-To: alice@example\.test\r\nFrom: Sender/,
    );
    expect(alice).toContain('token lda-1');
  });

  it('exits 67 (EX_NOUSER) for an unknown recipient', async () => {
    const { base } = await setup();
    const run = await runLda(
      [...base, '-f', 's@remote.test', '-a', 'ghost@example.test'],
      message({ id: 'x' }),
    );
    expect(run.code).toBe(67);
    expect(run.stderr).toMatch(/550 5\.1\.1/);
  });

  it('exits 75 (EX_TEMPFAIL) when over quota', async () => {
    const { base } = await setup();
    const big = message({ id: 'q', body: 'q'.repeat(500) });
    const run = await runLda([...base, '-f', 's@remote.test', '-a', 'tiny@example.test'], big);
    expect(run.code).toBe(75);
    expect(run.stderr).toMatch(/5\.2\.2/);
  });

  it('exits 75 when a temporary failure and a success are mixed (the MTA retries)', async () => {
    const { base, store } = await setup();
    const first = await runLda(
      [...base, '-f', 's@remote.test', '-a', 'onebox@example.test'],
      message({ id: 'o1' }),
    );
    expect(first.code).toBe(0);
    const run = await runLda(
      [...base, '-f', 's@remote.test', '-a', 'alice@example.test', '-a', 'onebox@example.test'],
      message({ id: 'o2' }),
    );
    expect(run.code).toBe(75);
    expect(run.stderr).toMatch(/552 5\.2\.2/);
    expect(await readMessages(store, 'onebox@example.test')).toHaveLength(1);
  });

  it('exits 64 (EX_USAGE) without recipients or with unknown options', async () => {
    const { base } = await setup();
    expect((await runLda([...base, '-f', 's@remote.test'], 'x')).code).toBe(64);
    expect((await runLda([...base, '--bogus', '-a', 'alice@example.test'], 'x')).code).toBe(64);
  });

  it('exits 65 (EX_DATAERR) for an empty message, an over-size one or a bad sender', async () => {
    const { base, tiny } = await setup();
    const to = ['-a', 'alice@example.test'];
    expect((await runLda([...base, ...to], '')).code).toBe(65);
    expect((await runLda([...tiny, ...to], message({ id: 'big' }))).code).toBe(65);
    expect((await runLda([...base, '-f', 'bad sender', ...to], message({ id: 'b' }))).code).toBe(65);
  });
});
