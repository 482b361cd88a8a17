import { spawn } from 'node:child_process';
import { readdir, readFile, rename, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BOOT_TAG, SCOPE_TAG } from '@mailstack/agent-process';
import { bufferBlob, storageRefusal } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FileSpool, openFileSpool } from '../src/index.ts';
import { envelope, manualClock, messageBytes, tempDir } from './fixtures.ts';

/** The pid of a process that has exited (so a lock naming it belongs to the dead). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('close', r));
  return child.pid!;
}

/** Where our pids mean our processes (boot and pid namespace): what the spool writes in names. */
const bootTag = async () => SCOPE_TAG;
/** The same boot seen from another container: another pid namespace. */
const otherContainer = `${BOOT_TAG}nzzzzzz`;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let spool: FileSpool;
let q: string;
beforeEach(async () => {
  tmp = await tempDir('mailstack-queue-rec-');
  spool = await openFileSpool(tmp.path, { clock: manualClock().now });
  q = join(tmp.path, 'queue');
});
afterEach(() => tmp.cleanup());

describe('recovery of entries a dead process was changing', () => {
  it('puts back an entry locked by a dead pid or a previous boot, and it is leased again', async () => {
    const a = await spool.enqueue(envelope(['a@r.test']), bufferBlob(messageBytes(1)));
    const b = await spool.enqueue(envelope(['b@r.test']), bufferBlob(messageBytes(2)));
    await rename(
      join(q, `${a}.meta`),
      join(q, `${a}.meta.lock-${await bootTag()}-${await deadPid()}-0badf00d`),
    );
    await rename(join(q, `${b}.meta`), join(q, `${b}.meta.lock-00000000-${process.pid}-0badf00d`));

    // Still listed while locked (the content under the lock name is a whole meta file).
    expect((await spool.list()).map((m) => m.id).sort()).toEqual([a, b].sort());
    const leased = await spool.lease(new Date(Date.UTC(2030, 0, 1)), { owner: 'w' });
    expect(leased.map((m) => m.id).sort()).toEqual([a, b].sort());
    expect((await readdir(q)).sort()).toEqual([`${a}.eml`, `${a}.meta`, `${b}.eml`, `${b}.meta`].sort());
  });

  it('leaves a live lock alone and an operation waits for it, bounded', async () => {
    const a = await spool.enqueue(envelope(['a@r.test']), bufferBlob('x'));
    const lock = join(q, `${a}.meta.lock-${await bootTag()}-${process.pid}-0badf00d`);
    await rename(join(q, `${a}.meta`), lock);
    const impatient = await openFileSpool(tmp.path, { lockWaitMs: 50 });
    // A typed refusal a protocol can answer with a 4xx: the same request may succeed later.
    const refused = await impatient.hold(a).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/locked by another process/);
    expect(storageRefusal(refused)).toBe('temporary');
    expect(await impatient.lease(new Date(Date.UTC(2030, 0, 1)), { owner: 'w' })).toEqual([]);
    // The holder publishes: the operation goes through.
    await rename(lock, join(q, `${a}.meta`));
    expect(await impatient.hold(a)).toBe(true);
  });

  it('prefers a published meta over a leftover lock of the same entry', async () => {
    const a = await spool.enqueue(envelope(['a@r.test']), bufferBlob('x'));
    await spool.hold(a);
    const old = (await readFile(join(q, `${a}.meta`), 'utf8')).replace('"held": true', '"held": false');
    await writeFile(join(q, `${a}.meta.lock-00000000-1-0badf00d`), old);
    await openFileSpool(tmp.path);
    expect(await readdir(q)).toEqual([`${a}.eml`, `${a}.meta`]);
    expect((await spool.get(a))?.held).toBe(true);
  });

  it('sweeps dead writers’ temp files and old bodies without a meta, keeps young ones', async () => {
    const tmpDir = join(tmp.path, 'tmp');
    await writeFile(join(tmpDir, `01M83QTJJ34FTFB5687XRX4BCF.eml.00000000-1-aa`), 'partial');
    await writeFile(
      join(tmpDir, `01M83QTJJ34FTFB5687XRX4BCG.eml.${await bootTag()}-${process.pid}-aa`),
      'mine',
    );
    await writeFile(join(q, '01M83QTJJ34FTFB5687XRX4BCH.eml'), 'orphan, old');
    const longAgo = new Date(Date.now() - 3600_000);
    await utimes(join(q, '01M83QTJJ34FTFB5687XRX4BCH.eml'), longAgo, longAgo);
    await writeFile(join(q, '01M83QTJJ34FTFB5687XRX4BCJ.eml'), 'orphan, young');
    const result = await spool.recover();
    expect(result.removedTemps).toBe(1);
    expect(await readdir(tmpDir)).toEqual([
      `01M83QTJJ34FTFB5687XRX4BCG.eml.${await bootTag()}-${process.pid}-aa`,
    ]);
    expect(result.orphans).toBe(1);
    expect(await readdir(q)).toEqual(['01M83QTJJ34FTFB5687XRX4BCJ.eml']);
    expect(await readdir(join(tmp.path, 'corrupt'))).toEqual(['01M83QTJJ34FTFB5687XRX4BCH.orphan.eml']);
  });

  it('judges no lock or temp file of another container (pid namespace) by a pid it cannot see', async () => {
    const a = await spool.enqueue(envelope(['a@r.test']), bufferBlob('x'));
    const lock = join(q, `${a}.meta.lock-${otherContainer}-${await deadPid()}-12345-0badf00d`);
    await rename(join(q, `${a}.meta`), lock);
    const tmpDir = join(tmp.path, 'tmp');
    const young = `01M83QTJJ34FTFB5687XRX4BCK.eml.${otherContainer}-${await deadPid()}-aa`;
    const old = `01M83QTJJ34FTFB5687XRX4BCM.eml.${otherContainer}-${await deadPid()}-aa`;
    await writeFile(join(tmpDir, young), 'being written in the msa container');
    await writeFile(join(tmpDir, old), 'left two days ago');
    const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
    await utimes(join(tmpDir, old), twoDaysAgo, twoDaysAgo);

    const result = await spool.recover();
    expect(result.removedTemps).toBe(1);
    expect(await readdir(tmpDir)).toEqual([young]);
    // The lock stays its holder's: not leased, not put back (only STALE_AFTER_MS frees it).
    expect(await spool.lease(new Date(Date.UTC(2030, 0, 1)), { owner: 'w' })).toEqual([]);
    expect((await readdir(q)).sort()).toEqual([`${a}.eml`, basename(lock)].sort());
  });
});
