import { join } from 'node:path';
import { tempDir } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDotLock } from '../src/lock.ts';

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
