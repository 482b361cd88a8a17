import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bufferBlob } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FileSpool, openFileSpool } from '../src/index.ts';
import { envelope, manualClock, reply, tempDir } from './fixtures.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let clock: ReturnType<typeof manualClock>;
let spool: FileSpool;
beforeEach(async () => {
  tmp = await tempDir('mailstack-queue-');
  clock = manualClock();
  spool = await openFileSpool(tmp.path, { clock: clock.now });
});
afterEach(() => tmp.cleanup());

describe('lease expiry', () => {
  it('gives the message of a worker that died to another worker once its lease expires', async () => {
    const id = await spool.enqueue(envelope(['a@r.test', 'b@r.test']), bufferBlob('x'));
    expect((await spool.lease(clock.date(), { owner: 'dead', leaseMs: 30_000 })).map((m) => m.id)).toEqual([
      id,
    ]);

    clock.advance(29_999);
    expect(await spool.lease(clock.date(), { owner: 'alive' })).toEqual([]);
    clock.advance(1);
    const [taken] = await spool.lease(clock.date(), { owner: 'alive', leaseMs: 30_000 });
    expect(taken?.id).toBe(id);
    expect(taken?.lease?.owner).toBe('alive');

    // The first worker was only slow: its 2xx and 5xx still count, its 4xx does not, and the
    // live lease stays with the second worker.
    await spool.settle(
      id,
      [
        { recipient: 'a@r.test', reply: reply(250) },
        { recipient: 'b@r.test', reply: reply(451) },
      ],
      { owner: 'dead' },
    );
    const mid = (await spool.get(id))!;
    expect(mid.lease?.owner).toBe('alive');
    expect(mid.attempts).toBe(0);
    expect(mid.recipients.map((r) => r.status)).toEqual(['delivered', 'pending']);

    await spool.settle(id, [{ recipient: 'b@r.test', reply: reply(250) }], { owner: 'alive' });
    expect(await spool.get(id)).toBeUndefined();
  });

  it('renews a lease only for its owner', async () => {
    const id = await spool.enqueue(envelope(['a@r.test']), bufferBlob('x'));
    await spool.lease(clock.date(), { owner: 'w1', leaseMs: 1000 });
    clock.advance(900);
    expect(await spool.renew(id, { owner: 'w2', leaseMs: 1000 })).toBe(false);
    expect(await spool.renew(id, { owner: 'w1', leaseMs: 1000 })).toBe(true);
    clock.advance(900);
    expect(await spool.lease(clock.date(), { owner: 'w2' })).toEqual([]);
    clock.advance(100);
    expect((await spool.lease(clock.date(), { owner: 'w2' })).length).toBe(1);
  });

  it('two spool instances leasing at once never get the same message', async () => {
    const other = await openFileSpool(tmp.path, { clock: clock.now });
    for (let i = 0; i < 40; i++) await spool.enqueue(envelope(['a@r.test']), bufferBlob(`m${i}`));
    const got: string[][] = [[], []];
    await Promise.all(
      [spool, other, spool, other].map(async (s, k) => {
        for (;;) {
          const batch = await s.lease(clock.date(), { owner: `w${k}`, max: 2 });
          if (batch.length === 0) return;
          got[k % 2]!.push(...batch.map((m) => m.id));
        }
      }),
    );
    const all = [...got[0]!, ...got[1]!];
    expect(all.length).toBe(40);
    expect(new Set(all).size).toBe(40);
  });
});

const WORKER = fileURLToPath(new URL('./children/lease-worker.ts', import.meta.url));

function startWorker(root: string, owner: string, script = WORKER) {
  const child = spawn(process.execPath, [script, root, owner], { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    exited,
    output: () => out,
    errors: () => err,
    until: async (text: string) => {
      for (let i = 0; i < 3000 && !out.includes(text); i++) {
        if (child.exitCode !== null) throw new Error(`worker exited: ${err}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      if (!out.includes(text)) throw new Error(`worker never printed ${text}: ${err}`);
    },
  };
}

describe('two processes leasing from one spool', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  afterEach(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('never both hold the same message', async () => {
    const total = 300;
    const ids = new Set<string>();
    for (let i = 0; i < total; i++) ids.add(await spool.enqueue(envelope(['a@r.test']), bufferBlob(`m${i}`)));
    const a = startWorker(tmp.path, 'proc-a');
    const b = startWorker(tmp.path, 'proc-b');
    children.push(a.child, b.child);
    await Promise.all([a.until('ready'), b.until('ready')]);
    a.child.stdin.write('go\n');
    b.child.stdin.write('go\n');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);

    const leased = (w: typeof a) =>
      w
        .output()
        .split('\n')
        .filter((l) => /^[0-9A-Z]{26}$/.test(l));
    const fromA = leased(a);
    const fromB = leased(b);
    const both = fromA.filter((id) => fromB.includes(id));
    expect(both).toEqual([]);
    expect(new Set([...fromA, ...fromB])).toEqual(ids);
    expect(fromA.length + fromB.length).toBe(total);
    // Each owner's lease is what the spool now records.
    const owners = new Map((await spool.list()).map((m) => [m.id, m.lease?.owner]));
    for (const id of fromA) expect(owners.get(id)).toBe('proc-a');
    for (const id of fromB) expect(owners.get(id)).toBe('proc-b');
  });
});

const RUNNER = fileURLToPath(new URL('./children/runner-worker.ts', import.meta.url));

describe('two processes delivering from one spool', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  afterEach(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('delivers every recipient exactly once while both lease, defer, retry and settle', async () => {
    const expected = new Set<string>();
    // Real time here: the workers run on the real clock, and an arrival in the past would expire.
    const realTime = await openFileSpool(tmp.path);
    for (let i = 0; i < 150; i++) {
      const id = await realTime.enqueue(envelope([`a${i}@r.test`, `b${i}@r.test`]), bufferBlob(`m${i}`));
      expected.add(`${id} a${i}@r.test`).add(`${id} b${i}@r.test`);
    }
    const workers = [startWorker(tmp.path, 'p1', RUNNER), startWorker(tmp.path, 'p2', RUNNER)];
    children.push(...workers.map((w) => w.child));
    await Promise.all(workers.map((w) => w.until('ready')));
    for (let i = 0; i < 3000 && (await spool.list()).length > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    for (const w of workers) w.child.stdin.write('stop\n');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);

    expect(await spool.list()).toEqual([]);
    const delivered = workers.flatMap((w) =>
      w
        .output()
        .split('\n')
        .filter((l) => l.startsWith('D '))
        .map((l) => l.slice(2)),
    );
    expect(new Set(delivered)).toEqual(expected);
    expect(delivered.length).toBe(expected.size);
    for (const w of workers) expect(w.output()).toContain('D ');
  });
});

describe('late results', () => {
  it('match a late worker’s results by address, never by position, once its lease was taken over', async () => {
    const c = manualClock();
    const s = await openFileSpool(`${tmp.path}/late`, { clock: c.now });
    const id = await s.enqueue(envelope(['x@r.test', 'y@r.test']), bufferBlob('x'));
    await s.lease(c.date(), { owner: 'slow', leaseMs: 1000 });
    c.advance(1000);
    await s.lease(c.date(), { owner: 'fast', leaseMs: 1000 });
    await s.settle(
      id,
      [
        { recipient: 'x@r.test', reply: reply(250) },
        { recipient: 'y@r.test', reply: reply(451) },
      ],
      { owner: 'fast' },
    );
    // `slow` reports on x only; y is the one open recipient now, but x's 2xx must not land on it.
    await s.settle(id, [{ recipient: 'x@r.test', reply: reply(250) }], { owner: 'slow' });
    const m = (await s.get(id))!;
    expect(m.recipients.map((r) => [r.recipient.address, r.status])).toEqual([
      ['x@r.test', 'delivered'],
      ['y@r.test', 'deferred'],
    ]);
  });
});
