import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueBaseName } from '../src/filename.ts';
import { acquireDotLock } from '../src/lock.ts';
import { sweepTmp } from '../src/tmp-sweep.ts';

const dirs: Array<{ cleanup(): Promise<void> }> = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.cleanup();
});

async function scratch(): Promise<string> {
  const d = await tempDir('mailstack-lock-');
  dirs.push(d);
  return d.path;
}

describe('dot-lock waiters in one process', () => {
  it('take the lock in the order they asked (only the head polls the file)', async () => {
    const target = join(await scratch(), 'dovecot-uidlist');
    const order: number[] = [];
    const takers = Array.from({ length: 20 }, async (_, i) => {
      const lock = await acquireDotLock(target);
      order.push(i);
      // Hold it across a few turns of the event loop, as a uidlist append does.
      for (let n = 0; n < 3; n++) await new Promise((r) => setImmediate(r));
      await lock.release();
    });
    await Promise.all(takers);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('hands over to the next waiter when a holder replaces the target', async () => {
    const target = join(await scratch(), 'file');
    const first = await acquireDotLock(target);
    const second = acquireDotLock(target);
    await first.replaceTarget('one');
    await (await second).release();
  });
});

describe('tmp/ sweep', () => {
  it('keeps a live writer file whose mtime an APPEND set to an old INTERNALDATE', async () => {
    const folder = await scratch();
    await mkdir(join(folder, 'tmp'));
    const name = uniqueBaseName('host.test');
    await writeFile(join(folder, 'tmp', name), 'Subject: old mail\n\nbody\n');
    const old = new Date('2020-01-01T00:00:00Z');
    await utimes(join(folder, 'tmp', name), old, old);
    expect(await sweepTmp(folder, 'host.test')).toBe(0);
    expect(await readdir(join(folder, 'tmp'))).toEqual([name]);
  });
});
