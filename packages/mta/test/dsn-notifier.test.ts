import {
  bufferBlob,
  type Envelope,
  type QueuedMessage,
  type Recipient,
  readAll,
  type Spool,
} from '@mailstack/core';
import { createDsnNotifier, type DsnNotifierOptions } from '@mailstack/mta';
import { type MemorySpool, memorySpool } from '@mailstack/queue';
import { beforeEach, describe, expect, it } from 'vitest';
import { originalMessage, parseWithPython } from './dsn-fixtures.ts';

const HOUR = 3600_000;

let now: number;
let spool: MemorySpool;

// The notifier over a spool with the file spool's schedule, in memory: these tests are about the
// reports, not the disk (the spool's events are the Spool contract's).
beforeEach(() => {
  now = Date.UTC(2026, 10, 20, 8, 0, 0);
  spool = memorySpool({ clock: () => now });
});

function notify(options: Partial<DsnNotifierOptions> = {}) {
  spool.onEvent(createDsnNotifier({ spool, reportingMta: 'mx.origin.test', clock: () => now, ...options }));
}

function envelope(
  rcpts: Recipient[],
  mailFrom = 'alice@origin.test',
  params: Envelope['params'] = {},
): Envelope {
  return { mailFrom, rcptTo: rcpts, params };
}

/** One delivery attempt: lease what is due, settle it with these replies (code per recipient). */
async function attempt(codes: number[]): Promise<void> {
  const [message] = await spool.lease(new Date(now), { owner: 'worker' });
  if (!message) throw new Error('nothing due');
  const open = message.recipients.filter((r) => r.status === 'pending' || r.status === 'deferred');
  await spool.settle(
    message.id,
    open.map((r, i) => {
      const code = codes[i]!;
      const enhanced = code === 550 ? '5.1.1' : code === 451 ? '4.7.1' : '2.0.0';
      return { recipient: r.recipient.address, reply: { code, enhanced, text: `reply ${code}` } };
    }),
    { owner: 'worker' },
  );
}

async function dsns(): Promise<{ message: QueuedMessage; bytes: Buffer }[]> {
  const all = await spool.list();
  const out = [];
  for (const message of all.filter((m) => m.envelope.mailFrom === '')) {
    out.push({ message, bytes: await readAll(message.blob.open()) });
  }
  return out;
}

describe('createDsnNotifier with a spool', () => {
  it('enqueues a failure DSN from the null sender to the original sender after a 550', async () => {
    notify();
    await spool.enqueue(envelope([{ address: 'bob@remote.test' }]), bufferBlob(originalMessage()));
    await attempt([550]);
    const [dsn, ...more] = await dsns();
    expect(more).toHaveLength(0);
    expect(dsn!.message.envelope.rcptTo.map((r) => r.address)).toEqual(['alice@origin.test']);
    const view = await parseWithPython(dsn!.bytes);
    expect(view.contentType).toBe('multipart/report');
    expect(view.top.To).toBe('alice@origin.test');
    expect(view.blocks[1]).toMatchObject({
      'Final-Recipient': 'rfc822; bob@remote.test',
      Action: 'failed',
      Status: '5.1.1',
      'Diagnostic-Code': 'smtp; 550 5.1.1 reply 550',
    });
    expect(view.blocks[0]!['Arrival-Date']).toBe('Fri, 20 Nov 2026 08:00:00 +0000');
    expect(view.originalSubject).toBe('Lunch');
    // The DSN itself is due for delivery through the normal path.
    const [leased] = await spool.lease(new Date(now), { owner: 'worker' });
    expect(leased?.envelope.mailFrom).toBe('');
  });

  it('groups every failed recipient of one attempt into one DSN, and honours RET=HDRS', async () => {
    notify();
    await spool.enqueue(
      envelope([{ address: 'bob@remote.test' }, { address: 'carol@remote.test' }], 'alice@origin.test', {
        ret: 'HDRS',
        envId: 'E-42',
      }),
      bufferBlob(originalMessage()),
    );
    await attempt([550, 550]);
    const found = await dsns();
    expect(found).toHaveLength(1);
    const view = await parseWithPython(found[0]!.bytes);
    expect(view.blocks.map((b) => b['Final-Recipient'] ?? b['Original-Envelope-Id'])).toEqual([
      'E-42',
      'rfc822; bob@remote.test',
      'rfc822; carol@remote.test',
    ]);
    expect(view.parts[2]).toBe('text/rfc822-headers');
    expect(found[0]!.bytes.toString()).not.toContain('Hello there.');
  });

  it('sends nothing for NOTIFY=NEVER, nor for NOTIFY without FAILURE', async () => {
    notify();
    await spool.enqueue(
      envelope([
        { address: 'bob@remote.test', notify: ['NEVER'] },
        { address: 'carol@remote.test', notify: ['SUCCESS', 'DELAY'] },
      ]),
      bufferBlob(originalMessage()),
    );
    await attempt([550, 550]);
    expect(await dsns()).toHaveLength(0);
    expect(await spool.list()).toHaveLength(0);
  });

  it('never sends a DSN about a message from the null sender', async () => {
    notify({ delayWarnings: true });
    await spool.enqueue(envelope([{ address: 'bob@remote.test' }], ''), bufferBlob(originalMessage()));
    await attempt([550]);
    expect(await spool.list()).toHaveLength(0);
  });

  it('reports a bounce that bounced to the postmaster only when doubleBounces is on, without looping', async () => {
    notify({ postmaster: 'postmaster@origin.test', doubleBounces: true });
    await spool.enqueue(envelope([{ address: 'gone@remote.test' }], ''), bufferBlob(originalMessage()));
    await attempt([550]);
    const [notice, ...more] = await dsns();
    expect(more).toHaveLength(0);
    expect(notice!.message.envelope.rcptTo.map((r) => r.address)).toEqual(['postmaster@origin.test']);
    expect(notice!.bytes.toString()).toContain('Content-Type: text/rfc822-headers');
    // The notice to the postmaster fails too: nothing more (no loop).
    await attempt([550]);
    expect(await spool.list()).toHaveLength(0);
  });

  it('reports success only to recipients that asked for SUCCESS', async () => {
    notify();
    await spool.enqueue(
      envelope([
        { address: 'bob@remote.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;bob@remote.test' },
        { address: 'carol@remote.test' },
        { address: 'dan@remote.test', notify: ['SUCCESS'] },
      ]),
      bufferBlob(originalMessage()),
    );
    await attempt([250, 250, 550]);
    const found = await dsns();
    // Bob: a success report. Carol: nothing (no NOTIFY, delivered). Dan: NOTIFY=SUCCESS, failed: nothing.
    expect(found).toHaveLength(1);
    const view = await parseWithPython(found[0]!.bytes);
    expect(view.top.Subject).toBe('Successful Mail Delivery Report');
    expect(
      view.blocks.slice(1).map((b) => [b['Final-Recipient'], b.Action, b['Original-Recipient']]),
    ).toEqual([['rfc822; bob@remote.test', 'delivered', 'rfc822;bob@remote.test']]);
    expect(view.parts[2]).toBe('text/rfc822-headers');
  });

  it('says relayed, or nothing, as successAction tells for the peer that took it', async () => {
    notify({ successAction: (_m, state) => (state.recipient.address.startsWith('bob') ? 'relayed' : null) });
    await spool.enqueue(
      envelope([
        { address: 'bob@remote.test', notify: ['SUCCESS'] },
        { address: 'carol@remote.test', notify: ['SUCCESS'] },
      ]),
      bufferBlob(originalMessage()),
    );
    await attempt([250, 250]);
    const found = await dsns();
    expect(found).toHaveLength(1);
    const view = await parseWithPython(found[0]!.bytes);
    expect(view.blocks.slice(1).map((b) => [b['Final-Recipient'], b.Action])).toEqual([
      ['rfc822; bob@remote.test', 'relayed'],
    ]);
  });

  it('sends a delay notice when NOTIFY has DELAY, once the spool says the message is late', async () => {
    notify();
    await spool.enqueue(
      envelope([
        { address: 'bob@remote.test', notify: ['DELAY', 'FAILURE'] },
        { address: 'carol@remote.test' },
        { address: 'dan@remote.test', notify: ['FAILURE'] },
      ]),
      bufferBlob(originalMessage()),
    );
    await attempt([451, 451, 451]);
    expect(await dsns()).toHaveLength(0);
    now += 4 * HOUR;
    await attempt([451, 451, 451]);
    const found = await dsns();
    expect(found).toHaveLength(1);
    const view = await parseWithPython(found[0]!.bytes);
    expect(view.top.Subject).toBe('Delayed Mail (still being retried)');
    expect(view.blocks.slice(1)).toHaveLength(1);
    expect(view.blocks[1]).toMatchObject({
      'Final-Recipient': 'rfc822; bob@remote.test',
      Action: 'delayed',
      Status: '4.7.1',
      'Will-Retry-Until': 'Wed, 25 Nov 2026 08:00:00 +0000',
    });
  });

  it('sends delay notices to recipients without NOTIFY only when delayWarnings is on', async () => {
    notify({ delayWarnings: true });
    await spool.enqueue(envelope([{ address: 'carol@remote.test' }]), bufferBlob(originalMessage()));
    await attempt([451]);
    now += 4 * HOUR;
    await attempt([451]);
    const found = await dsns();
    expect(found).toHaveLength(1);
    expect(found[0]!.bytes.toString()).toContain('Action: delayed');
  });

  it('bounces a recipient given up after retrying, with the last reply', async () => {
    notify();
    await spool.enqueue(envelope([{ address: 'bob@remote.test' }]), bufferBlob(originalMessage()));
    await attempt([451]);
    now += 5 * 24 * HOUR;
    await attempt([451]);
    const found = await dsns();
    expect(found).toHaveLength(1);
    const view = await parseWithPython(found[0]!.bytes);
    expect(view.blocks[1]).toMatchObject({
      Action: 'failed',
      Status: '4.7.1',
      'Diagnostic-Code': 'smtp; 451 4.7.1 reply 451',
    });
    expect(view.text).toContain('delivery was given up after retrying for too long');
  });

  it('sends the postmaster a header-only copy of a failure report when asked', async () => {
    notify({ postmaster: 'postmaster@origin.test' });
    await spool.enqueue(envelope([{ address: 'bob@remote.test' }]), bufferBlob(originalMessage()));
    await attempt([550]);
    const found = await dsns();
    const to = found.map((d) => d.message.envelope.rcptTo[0]!.address).sort();
    expect(to).toEqual(['alice@origin.test', 'postmaster@origin.test']);
    const copy = found.find((d) => d.message.envelope.rcptTo[0]!.address.startsWith('postmaster'))!;
    expect(copy.bytes.toString()).toContain('Content-Type: text/rfc822-headers');
    expect(copy.bytes.toString()).not.toContain('Hello there.');
  });

  it('returns only the header of an original above maxOriginalBytes', async () => {
    notify({ maxOriginalBytes: 10_000 });
    const big = originalMessage('y'.repeat(70).concat('\r\n').repeat(1000));
    await spool.enqueue(envelope([{ address: 'bob@remote.test' }]), bufferBlob(big));
    await attempt([550]);
    const [dsn] = await dsns();
    const view = await parseWithPython(dsn!.bytes);
    expect(view.parts[2]).toBe('text/rfc822-headers');
    expect(view.text).toContain(`The original message was ${big.length} bytes`);
    expect(dsn!.bytes.length).toBeLessThan(5_000);
  });

  it('lets the spool raise the event again when enqueueing the DSN fails', async () => {
    let fail = true;
    const flaky: Pick<Spool, 'enqueue'> = {
      enqueue: (env, body) => (fail ? Promise.reject(new Error('disk full')) : spool.enqueue(env, body)),
    };
    spool.onEvent(createDsnNotifier({ spool: flaky, reportingMta: 'mx.origin.test' }));
    await spool.enqueue(envelope([{ address: 'bob@remote.test' }]), bufferBlob(originalMessage()));
    await attempt([550]);
    expect(await dsns()).toHaveLength(0);
    expect(await spool.list()).toHaveLength(1);
    fail = false;
    now += HOUR;
    await spool.lease(new Date(now), { owner: 'worker' });
    expect(await dsns()).toHaveLength(1);
  });
});
