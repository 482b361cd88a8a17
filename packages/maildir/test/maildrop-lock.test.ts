import { spawnSync } from 'node:child_process';
import { lstat, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BOOT_TAG, START_TICKS } from '@mailstack/agent-process';
import { afterEach, describe, expect, it } from 'vitest';
import { MAILDROP_LOCK } from '../src/store.ts';
import { tempStore, USER } from './helpers.ts';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

/** Whether the lock link itself is there (existsSync would follow it to nowhere). */
const present = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

/** Puts a lock of `owner` in place, as another process would have. */
async function placeLock(path: string, owner: object): Promise<void> {
  await rm(path, { force: true });
  await symlink(JSON.stringify(owner), path);
}

describe('maildrop lock (POP3, RFC 1939)', () => {
  it('one holder at a time; the lock link names its owner and goes on release', async () => {
    const t = await tempStore();
    cleanup = t.cleanup;
    const path = join(t.maildir, MAILDROP_LOCK);
    const release = await t.store.lockMaildrop(USER);
    expect(release).not.toBeNull();
    expect(JSON.parse(await readlink(path))).toEqual({
      host: hostname(),
      pid: process.pid,
      boot: BOOT_TAG,
      start: START_TICKS,
    });
    expect(await t.store.lockMaildrop(USER)).toBeNull();
    await release?.();
    await release?.();
    expect(await present(path)).toBe(false);
    const again = await t.store.lockMaildrop(USER);
    expect(again).not.toBeNull();
    await again?.();
  });

  it('breaks the lock of a process that runs no more, and of another boot', async () => {
    const t = await tempStore();
    cleanup = t.cleanup;
    await t.store.lockMaildrop(USER).then((r) => r?.());
    const path = join(t.maildir, MAILDROP_LOCK);
    for (const owner of [
      { host: hostname(), pid: deadPid(), boot: BOOT_TAG, start: 1 },
      { host: hostname(), pid: process.pid, boot: 'ffffffff', start: START_TICKS },
      { host: hostname(), pid: process.pid, boot: BOOT_TAG, start: START_TICKS + 1 },
    ]) {
      await placeLock(path, owner);
      const release = await t.store.lockMaildrop(USER);
      expect(release, JSON.stringify(owner)).not.toBeNull();
      expect(JSON.parse(await readlink(path)).pid).toBe(process.pid);
      await release?.();
    }
  });

  it('respects the lock of a live process, and of another host', async () => {
    const t = await tempStore();
    cleanup = t.cleanup;
    await t.store.lockMaildrop(USER).then((r) => r?.());
    const path = join(t.maildir, MAILDROP_LOCK);
    for (const owner of [
      { host: hostname(), pid: process.ppid, boot: BOOT_TAG, start: 0 },
      { host: 'elsewhere.example', pid: deadPid(), boot: 'ffffffff', start: 1 },
    ]) {
      await placeLock(path, owner);
      expect(await t.store.lockMaildrop(USER), JSON.stringify(owner)).toBeNull();
      expect(JSON.parse(await readlink(path))).toEqual(owner);
    }
  });

  it('treats a plain file by the lock name as no lock (an older format or debris)', async () => {
    const t = await tempStore();
    cleanup = t.cleanup;
    await t.store.lockMaildrop(USER).then((r) => r?.());
    const path = join(t.maildir, MAILDROP_LOCK);
    await writeFile(path, 'not a lock');
    const release = await t.store.lockMaildrop(USER);
    expect(release).not.toBeNull();
    expect(JSON.parse(await readlink(path)).pid).toBe(process.pid);
    await release?.();
  });
});
