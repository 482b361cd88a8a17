import { execFile } from 'node:child_process';
import { readFile, rename } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { processStartTicks, SCOPE_TAG } from '@mailstack/agent-process';
import { bufferBlob } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FileSpool, openFileSpool } from '../src/index.ts';
import { processOwnerName } from '../src/lease-owner.ts';
import { envelope, MINUTE, manualClock, tempDir } from './fixtures.ts';

const run = promisify(execFile);
const LEASE_OWNER_MODULE = join(import.meta.dirname, '../src/lease-owner.ts');

/** The lease owner name a runner in another process used; that process has exited. */
async function ownerOfDeadProcess(): Promise<{ owner: string; pid: number }> {
  const script = `import(${JSON.stringify(LEASE_OWNER_MODULE)}).then((m) => console.log(JSON.stringify({ owner: m.processOwnerName(), pid: process.pid })))`;
  const { stdout } = await run(process.execPath, ['-e', script]);
  return JSON.parse(stdout) as { owner: string; pid: number };
}

const bootTag = async () =>
  (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).replace(/[^0-9a-f]/g, '').slice(0, 8);

let tmp: Awaited<ReturnType<typeof tempDir>>;
let clock: ReturnType<typeof manualClock>;
let spool: FileSpool;
beforeEach(async () => {
  tmp = await tempDir('mailstack-queue-owner-');
  clock = manualClock();
  spool = await openFileSpool(tmp.path, { clock: clock.now });
});
afterEach(() => tmp.cleanup());

/** Enqueues one message, leases it for 5 minutes to `owner`, and asks another worker at once. */
async function leasedToThenAskedAgain(owner: string): Promise<string[]> {
  const id = await spool.enqueue(envelope(['a@r.test']), bufferBlob('x'));
  const first = await spool.lease(clock.date(), { owner, leaseMs: 5 * MINUTE });
  expect(first.map((m) => m.id)).toEqual([id]);
  clock.advance(1000);
  const again = await spool.lease(clock.date(), { owner: processOwnerName(), leaseMs: 5 * MINUTE });
  return again.map((m) => m.id);
}

describe('leases of a process that is gone', () => {
  it('are taken back at once when the owner process of this host has exited', async () => {
    const { owner } = await ownerOfDeadProcess();
    const again = await leasedToThenAskedAgain(owner);
    expect(again).toHaveLength(1);
    // Rewritten to the new owner, so no third worker takes it too.
    expect(await spool.lease(clock.date(), { owner: 'third', leaseMs: MINUTE })).toEqual([]);
  });

  it('are taken back when the pid now runs another process (reused: another start time)', async () => {
    const start = processStartTicks(process.pid)!;
    const owner = `${hostname()}:${process.pid}:abcdef:${await bootTag()}:${start + 1}`;
    expect(await leasedToThenAskedAgain(owner)).toHaveLength(1);
  });

  it('are taken back when the owner ran in a previous boot', async () => {
    const owner = `${hostname()}:${process.pid}:abcdef:0000beef:${processStartTicks(process.pid)}`;
    expect(await leasedToThenAskedAgain(owner)).toHaveLength(1);
  });

  it('understands the older owner form (host:pid:random) by its pid', async () => {
    const { pid } = await ownerOfDeadProcess();
    expect(await leasedToThenAskedAgain(`${hostname()}:${pid}:abcdef`)).toHaveLength(1);
  });

  it('are left alone while the owner runs: another runner of this very process', async () => {
    expect(await leasedToThenAskedAgain(processOwnerName())).toEqual([]);
  });

  it('are left to expire when the owner is on another host, or named some other way', async () => {
    const { owner } = await ownerOfDeadProcess();
    const elsewhere = owner.replace(/^[^:]+/, 'other-host.example');
    expect(await leasedToThenAskedAgain(elsewhere)).toEqual([]);
    expect(await leasedToThenAskedAgain('worker-1')).toEqual([]);
    clock.advance(5 * MINUTE);
    expect(await spool.lease(clock.date(), { owner: 'w', max: 10 })).toHaveLength(2);
  });
});

describe('locked entries of a process that is gone', () => {
  it('recovers a lock whose pid now runs another process, and keeps one whose holder runs', async () => {
    const q = join(tmp.path, 'queue');
    const boot = SCOPE_TAG; // entry-lock names carry boot and pid namespace
    const start = processStartTicks(process.pid)!;
    const reused = await spool.enqueue(envelope(['a@r.test']), bufferBlob('x'));
    const held = await spool.enqueue(envelope(['b@r.test']), bufferBlob('y'));
    await rename(
      join(q, `${reused}.meta`),
      join(q, `${reused}.meta.lock-${boot}-${process.pid}-${start + 1}-0badf00d`),
    );
    await rename(
      join(q, `${held}.meta`),
      join(q, `${held}.meta.lock-${boot}-${process.pid}-${start}-0badf00d`),
    );
    const leased = await spool.lease(clock.date(), { owner: 'w', max: 10 });
    expect(leased.map((m) => m.id)).toEqual([reused]);
  });
});
