/**
 * A delivery killed mid-write leaves its file in tmp/; the Maildir spec's 36-hour rule
 * would keep it (and its disk space) for a day and a half. The file name names its writer
 * (pid and host): opening the folder removes it at once when that process is gone, and
 * leaves files of live writers and of other hosts alone (issue 11, item 9).
 */
import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createMaildirStore } from '@mailstack/maildir';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.ts';

const USER = 'alice@example.test';
const WRITER = join(import.meta.dirname, 'fixtures', 'slow-delivery.ts');

let dir: TempDir | undefined;
afterEach(async () => {
  await dir?.cleanup();
  dir = undefined;
});

it('opening a folder removes the tmp file of a writer killed with SIGKILL, and only that', async () => {
  dir = await tempDir('mailstack-sweep-');
  const root = dir.path;
  const tmp = join(root, 'example.test', 'alice', 'Maildir', 'tmp');
  const child = spawn(process.execPath, [WRITER, root, USER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const partial = await waitFor('the writer to have a file in tmp/', async () => {
    const names = await readdir(tmp).catch(() => []);
    return names.length === 1 ? names[0] : undefined;
  });
  expect(partial).toContain(`P${child.pid}Q`);
  child.kill('SIGKILL');
  await exited;

  // A live writer (this process) and a writer on another host are not ours to judge.
  const host = hostname();
  const live = `1700000000.M1P${process.pid}Q1.${host}`;
  const elsewhere = `1700000000.M1P${child.pid}Q1.other-host`;
  await writeFile(join(tmp, live), 'still being written');
  await writeFile(join(tmp, elsewhere), 'someone else');

  const store = createMaildirStore({ root });
  const folder = await store.openFolder(USER, 'INBOX');
  expect(folder.messages()).toEqual([]);
  await folder.close();
  expect((await readdir(tmp)).sort()).toEqual([live, elsewhere].sort());
});
