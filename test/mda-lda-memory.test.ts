/**
 * LDA mode (`mailstack lda`) streams stdin to a temp file instead of holding the message in memory: while a
 * large message is being piped in, the process's resident memory stays far below its size.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, expect, it } from 'vitest';
import { writeDirectoryFile } from '../packages/mda/test/fixtures.ts';
import { filesConfig, writeConfigFile } from './helpers/mailstack-agent.ts';
import { MAILSTACK_BIN } from './helpers/mailstack-cli.ts';

const MB = 1024 * 1024;
const INPUT_BYTES = 256 * MB;

let dir: TempDir | undefined;
afterEach(async () => {
  await dir?.cleanup();
  dir = undefined;
});

function statusKb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

it(`a ${INPUT_BYTES / MB} MB message on stdin keeps the LDA peak RSS well below its size`, async () => {
  dir = await tempDir('mailstack-lda-memory-');
  const directoryFile = join(dir.path, 'directory.json');
  await writeDirectoryFile(directoryFile);
  const config = await writeConfigFile(
    {
      ...filesConfig({ directory: directoryFile, mail: join(dir.path, 'data') }),
      limits: { messageSize: String(2 * INPUT_BYTES) },
    },
    'lda',
  );
  const child = spawn(
    process.execPath,
    [MAILSTACK_BIN, 'lda', '--config', config, '-f', 's@remote.test', '-a', 'alice@example.test'],
    {
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const write = (b: Buffer | string) =>
    new Promise<void>((resolve, reject) => child.stdin.write(b, (err) => (err ? reject(err) : resolve())));
  await write('Subject: big\n\n');
  const chunk = Buffer.from(`${'q'.repeat(1023)}\n`.repeat(1024));
  for (let sent = 0; sent < INPUT_BYTES; sent += chunk.length) await write(chunk);
  // All but a pipe's worth is read by now; a buffering LDA holds all of it.
  const peak = statusKb(child.pid!, 'VmHWM');
  child.stdin.end();
  expect(await exited, stderr).toBe(0);
  expect(peak, `LDA peak RSS ${(peak / MB).toFixed(1)} MB`).toBeLessThan((INPUT_BYTES * 3) / 4);
});
