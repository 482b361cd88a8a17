import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QueuedMessage } from '@mailstack/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openFileSpool } from '../src/index.ts';
import { blobBytes, burstSize, messageBytes, tempDir } from './fixtures.ts';

const BURST = fileURLToPath(new URL('./children/enqueue-burst.ts', import.meta.url));

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
});
