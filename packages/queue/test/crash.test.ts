import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bufferBlob, type QueuedMessage } from '@mailstack/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openFileSpool } from '../src/index.ts';
import { blobBytes, burstSize, envelope, messageBytes, tempDir } from './fixtures.ts';

const BURST = fileURLToPath(new URL('./children/enqueue-burst.ts', import.meta.url));
const DELIVER = fileURLToPath(new URL('./children/deliver-forever.ts', import.meta.url));

/** Runs the enqueuing child until it has acknowledged `atLeast` messages, then SIGKILLs it. */
async function burstAndKill(
  root: string,
  start: number,
  atLeast: number,
  children: ChildProcessWithoutNullStreams[],
) {
  const child = spawn(process.execPath, [BURST, root, String(start)], { stdio: 'pipe' });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const closed = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  );
  for (let i = 0; i < 6000 && out.split('\n').length <= atLeast; i++) {
    if (child.exitCode !== null) throw new Error(`child exited early: ${err}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  expect(await closed).toBe('SIGKILL');
  // Only whole lines: a line is printed after its enqueue resolved.
  const acked = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^(\d+) ([0-9A-Z]{26})$/.exec(line);
    if (m) acked.set(m[2]!, Number(m[1]));
  }
  expect(acked.size).toBeGreaterThanOrEqual(atLeast);
  return acked;
}

/** A listed or leased message must be whole: its number is in its sender, its bytes follow from it. */
async function expectComplete(m: QueuedMessage) {
  const n = Number(/^n(\d+)@/.exec(m.envelope.mailFrom)?.[1]);
  expect(Number.isInteger(n)).toBe(true);
  const want = messageBytes(n, burstSize(n));
  expect(m.blob.size).toBe(want.length);
  expect((await blobBytes(m.blob)).equals(want)).toBe(true);
  expect(m.recipients.map((r) => [r.recipient.address, r.status])).toEqual([['rcpt@r.test', 'pending']]);
  return n;
}

describe('crash safety', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const children: ChildProcessWithoutNullStreams[] = [];
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await tmp?.cleanup();
  });

  it('keeps every acknowledged message, whole, across kill -9 mid-burst; never lists or leases a torn one', async () => {
    tmp = await tempDir('mailstack-queue-crash-');
    const acked = new Map<string, number>();
    let start = 0;
    for (let round = 0; round < 3; round++) {
      const got = await burstAndKill(tmp.path, start, 40 + round * 20, children);
      for (const [id, n] of got) acked.set(id, n);
      start += 100_000;

      const spool = await openFileSpool(tmp.path);
      const listed = await spool.list();
      const listedIds = new Set(listed.map((m) => m.id));
      for (const id of acked.keys()) expect(listedIds.has(id), `acknowledged ${id} missing`).toBe(true);
      for (const m of listed) await expectComplete(m);
      // Every printed id is present with the message that was printed for it.
      for (const m of listed) if (acked.has(m.id)) expect(await expectComplete(m)).toBe(acked.get(m.id));
      // Nothing damaged was found: the protocol never exposes a torn entry.
      expect(await readdir(join(tmp.path, 'corrupt'))).toEqual([]);
    }

    const spool = await openFileSpool(tmp.path);
    const leased: QueuedMessage[] = [];
    for (;;) {
      const batch = await spool.lease(new Date(), { owner: 'after-crash', max: 50 });
      if (batch.length === 0) break;
      leased.push(...batch);
    }
    for (const m of leased) await expectComplete(m);
    const leasedIds = new Set(leased.map((m) => m.id));
    for (const id of acked.keys()) expect(leasedIds.has(id)).toBe(true);
    // The crash left at most the in-flight enqueues' temp files; reopening swept them.
    expect(await readdir(join(tmp.path, 'tmp'))).toEqual([]);
  });

  it('delivers at least once what a worker killed mid-delivery had leased or was settling', async () => {
    tmp = await tempDir('mailstack-queue-crash-');
    const spool = await openFileSpool(tmp.path);
    const ids = new Set<string>();
    for (let i = 0; i < 120; i++)
      ids.add(await spool.enqueue(envelope(['a@r.test', 'b@r.test']), bufferBlob(messageBytes(i))));

    const child = spawn(process.execPath, [DELIVER, tmp.path], { stdio: 'pipe' });
    children.push(child);
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const closed = new Promise((resolve) => child.on('close', resolve));
    for (let i = 0; i < 3000 && out.split('\n').length <= 40; i++) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await closed;
    const deliveredByChild = new Set(
      out
        .split('\n')
        .filter((l) => l.startsWith('D '))
        .map((l) => l.slice(2)),
    );
    expect(deliveredByChild.size).toBeGreaterThanOrEqual(40);

    // Restart after the dead worker's leases expired: what it had not recorded is delivered now.
    const reopened = await openFileSpool(tmp.path);
    const later = new Date(Date.now() + 61_000);
    const redelivered = new Set<string>();
    for (;;) {
      const batch = await reopened.lease(later, { owner: 'successor', max: 50 });
      if (batch.length === 0) break;
      for (const m of batch) {
        expect(m.blob.size).toBe(messageBytes(0).length);
        redelivered.add(m.id);
        await reopened.settle(
          m.id,
          m.recipients.map((r) => ({
            recipient: r.recipient.address,
            reply: { code: 250, enhanced: '2.0.0', text: 'ok' },
          })),
          { owner: 'successor' },
        );
      }
    }
    for (const id of ids)
      expect(deliveredByChild.has(id) || redelivered.has(id), `${id} never delivered`).toBe(true);
    expect(await reopened.list()).toEqual([]);
    expect(await readdir(join(tmp.path, 'corrupt'))).toEqual([]);
    // The duplicate window is the settle in flight at the kill: at most the runner's concurrency.
    const duplicates = [...redelivered].filter((id) => deliveredByChild.has(id));
    expect(duplicates.length).toBeLessThanOrEqual(16);
  });
});
