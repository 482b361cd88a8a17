import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  bufferBlob,
  type Envelope,
  type MessageBlob,
  type QueuedMessage,
  type QueueId,
  type RecipientResult,
  type Reply,
  readAll,
  type Spool,
  type SpoolEvent,
  type SpoolOperations,
  storageRefusal,
} from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * The contract of the `Spool` seam (packages/core/src/spool.ts), one suite for every backend:
 * the file spool, the testkit's memory spool, a database spool. A backend's test file calls
 *
 *   describeSpoolContract('file spool', async (ctx) => { ... return { spool, reopen, close } });
 *
 * `open(ctx)` makes a fresh, empty spool for each test. The backend must take its time from
 * `ctx.clock` (epoch ms; the suite moves it by hand, it never waits on real time) for every
 * time it stamps itself: arrival, settle, renew, flush, requeue. Leases take their `now`
 * from the caller. Its retry schedule must be `ctx.retry` (the shape of @mailstack/queue's
 * RetryPolicy: wait after the n-th failure, delay-notice mark, give-up mark).
 *
 * `SpoolUnderTest`:
 * - `spool`: the instance under test, `Spool & SpoolOperations`.
 * - `reopen()`: a new instance over the same storage, as another process or a restart would
 *   open it (same clock and retry schedule). Every backend has one (the memory spool shares its
 *   state): the suite checks durability (everything enqueued is there again, in its state),
 *   leases across instances, and wake-ups from another instance with it.
 * - `close()`: releases the storage and every instance `reopen` made (called after each test).
 *
 * Event handlers that reject are retried "later": the suite expects a later `lease()` whose
 * `now` is past the retry time to raise the event again (a runner polls lease; a spool has no
 * clock of its own to wake it).
 */
export type ContractSpool = Spool & SpoolOperations;

export interface SpoolUnderTest {
  spool: ContractSpool;
  reopen(): Promise<ContractSpool>;
  close(): Promise<void>;
}

export interface SpoolContractContext {
  /** The time the backend must use, epoch ms. */
  clock: () => number;
  /** The retry schedule the backend must use. */
  retry: { delaysMs: number[]; delayNoticeAfterMs: number; giveUpAfterMs: number };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The schedule the suite runs with: one minute between tries, notice at 30 min, give up at 2 h. */
const RETRY = { delaysMs: [MINUTE], delayNoticeAfterMs: 30 * MINUTE, giveUpAfterMs: 2 * HOUR };
const START = Date.UTC(2026, 0, 5, 9, 0, 0);

const reply = (code: number, text = `reply ${code}`): Reply => ({
  code,
  enhanced: `${String(code)[0]}.0.0`,
  text,
});
const result = (recipient: string, code: number): RecipientResult => ({ recipient, reply: reply(code) });
/** One result of each kind for recipients a, b, c: delivered, deferred, failed. */
const MIXED = [result('a@example.test', 250), result('b@example.test', 451), result('c@example.test', 550)];

function envelopeFor(rcpts: string[]): Envelope {
  return {
    mailFrom: 'sender@example.test',
    rcptTo: rcpts.map((address) => ({ address })),
    params: {},
  };
}

function body(n: number): Buffer {
  return Buffer.from(`From: a@example.test\r\nSubject: message ${n}\r\n\r\nbody ${n}\r\n`);
}

async function blobText(blob: MessageBlob): Promise<string> {
  return (await readAll(blob.open())).toString('utf8');
}

function addresses(message: QueuedMessage): string[] {
  return message.recipients.map((r) => r.recipient.address);
}

/** A stream of `size` bytes made in 64 KiB chunks, never held whole, and its sha256. */
function bigBody(size: number): { stream: Readable; sha256: string } {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i % 100 === 99 ? 10 : 33 + (i % 90);
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  for (let left = size; left > 0; left -= chunk.length) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
    hash.update(part);
    chunks.push(part);
  }
  return { stream: Readable.from(chunks, { objectMode: false }), sha256: hash.digest('hex') };
}

async function sha256Of(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Resolves on the next wake-up of `spool`; `stop` removes the listener. */
function nextWake(spool: Spool): { woke: Promise<void>; stop: () => void } {
  let stop = () => {};
  const woke = new Promise<void>((resolve) => {
    stop = spool.onWake(() => resolve());
  });
  return { woke, stop };
}

export function describeSpoolContract(
  name: string,
  open: (ctx: SpoolContractContext) => Promise<SpoolUnderTest>,
): void {
  describe(`Spool contract: ${name}`, () => {
    let now = START;
    let under: SpoolUnderTest;
    let spool: ContractSpool;
    const clock = () => now;
    const at = (ms = now) => new Date(ms);

    beforeEach(async () => {
      now = START;
      under = await open({ clock, retry: { ...RETRY, delaysMs: [...RETRY.delaysMs] } });
      spool = under.spool;
    });
    afterEach(async () => {
      await under.close();
    });

    async function enqueue(rcpts: string[], n = 1, s: ContractSpool = spool): Promise<QueueId> {
      return s.enqueue(envelopeFor(rcpts), bufferBlob(body(n)));
    }

    async function leaseOne(owner: string, when = now, leaseMs = 5 * MINUTE): Promise<QueuedMessage> {
      const got = await spool.lease(at(when), { owner, leaseMs });
      expect(got).toHaveLength(1);
      return got[0]!;
    }

    describe('enqueue', () => {
      it('resolves with unique ids that sort in arrival order', async () => {
        const ids: QueueId[] = [];
        for (let n = 0; n < 5; n++) {
          ids.push(await enqueue([`r${n}@example.test`], n));
          now += n % 2; // some in the same millisecond
        }
        expect(new Set(ids).size).toBe(5);
        expect([...ids].sort()).toEqual(ids);
      });

      it('keeps the envelope as received: DSN parameters, ENVID/RET, received-from', async () => {
        const envelope: Envelope = {
          mailFrom: '',
          rcptTo: [
            { address: 'a@example.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;A@example.test' },
            { address: 'b@example.test', notify: ['NEVER'] },
            { address: 'c@example.test' },
          ],
          params: { body: '8BITMIME', smtpUtf8: true, size: 1234, envId: 'env-42', ret: 'HDRS' },
          receivedFrom: {
            helo: 'client.example.test',
            address: '192.0.2.7',
            hostname: 'client.example.test',
            protocol: 'ESMTPSA',
            authUser: 'alice',
            tls: true,
          },
        };
        const id = await spool.enqueue(envelope, bufferBlob(body(1)));
        const got = await spool.get(id);
        expect(got?.envelope).toEqual(envelope);
        expect(got?.id).toBe(id);
        expect(got?.arrivedAt.getTime()).toBe(START);
        expect(got?.held).toBe(false);
        expect(got?.attempts).toBe(0);
        expect(got?.recipients.map((r) => [r.recipient, r.status, r.attempts])).toEqual(
          envelope.rcptTo.map((r) => [r, 'pending', 0]),
        );
      });

      it('keeps the body byte for byte, re-openable from byte 0, from a stream or a blob', async () => {
        const bytes = Buffer.concat([body(7), Buffer.from([0, 0xff, 0x80, 13, 10, 46, 13, 10])]);
        const fromBlob = await spool.enqueue(envelopeFor(['a@example.test']), bufferBlob(bytes));
        const fromStream = await spool.enqueue(
          envelopeFor(['a@example.test']),
          Readable.from([bytes.subarray(0, 5), bytes.subarray(5)], { objectMode: false }),
        );
        for (const id of [fromBlob, fromStream]) {
          const got = await spool.get(id);
          expect(got?.blob.size).toBe(bytes.length);
          expect((await readAll(got!.blob.open())).equals(bytes)).toBe(true);
          expect((await readAll(got!.blob.open())).equals(bytes)).toBe(true);
        }
      });

      it('streams a 5 MB body in and out unchanged', async () => {
        const size = 5 * 1024 * 1024 + 17;
        const big = bigBody(size);
        const id = await spool.enqueue(envelopeFor(['a@example.test']), big.stream);
        const [leased] = await spool.lease(at(), { owner: 'w' });
        expect(leased?.id).toBe(id);
        expect(leased?.blob.size).toBe(size);
        expect(await sha256Of(leased!.blob.open())).toEqual({ sha256: big.sha256, size });
      });
    });

    describe('lease', () => {
      it('gives due messages, oldest first, at most max per batch, with the lease recorded', async () => {
        const ids = [];
        for (let n = 0; n < 5; n++) ids.push(await enqueue([`r${n}@example.test`], n));
        const first = await spool.lease(at(), { owner: 'w', max: 3, leaseMs: MINUTE });
        expect(first.map((m) => m.id)).toEqual(ids.slice(0, 3));
        expect(first[0]?.lease).toEqual({ owner: 'w', expiresAt: at(now + MINUTE) });
        expect(await blobText(first[1]!.blob)).toBe(body(1).toString());
        const rest = await spool.lease(at(), { owner: 'w', max: 3, leaseMs: MINUTE });
        expect(rest.map((m) => m.id)).toEqual(ids.slice(3));
        expect(await spool.lease(at(), { owner: 'w' })).toEqual([]);
        expect((await spool.get(ids[0]!))?.lease?.owner).toBe('w');
      });

      it('never gives one message to two owners leasing at once', async () => {
        const ids = new Set<QueueId>();
        for (let n = 0; n < 12; n++) ids.add(await enqueue([`r${n}@example.test`], n));
        const other = await under.reopen();
        const [a, b] = await Promise.all([
          spool.lease(at(), { owner: 'a', max: 12 }),
          other.lease(at(), { owner: 'b', max: 12 }),
        ]);
        const got = [...a, ...b].map((m) => m.id);
        expect(new Set(got).size).toBe(got.length);
        // Whatever a contended batch skipped is still there for the next lease.
        const rest = await spool.lease(at(), { owner: 'c', max: 12 });
        expect(new Set([...got, ...rest.map((m) => m.id)])).toEqual(ids);
        expect(got.length + rest.length).toBe(ids.size);
      });

      it('leases a message again once its lease expired, not before', async () => {
        const id = await enqueue(['a@example.test']);
        await leaseOne('a', now, MINUTE);
        expect(await spool.lease(at(now + MINUTE - 1), { owner: 'b' })).toEqual([]);
        const again = await leaseOne('b', now + MINUTE + 1, MINUTE);
        expect(again.id).toBe(id);
        expect(again.lease?.owner).toBe('b');
      });

      it('renews a lease for its owner only', async () => {
        const id = await enqueue(['a@example.test']);
        await leaseOne('a', now, MINUTE);
        now += 30_000;
        expect(await spool.renew(id, { owner: 'b', leaseMs: 10 * MINUTE })).toBe(false);
        expect(await spool.renew(id, { owner: 'a', leaseMs: 10 * MINUTE })).toBe(true);
        expect((await spool.get(id))?.lease).toEqual({ owner: 'a', expiresAt: at(now + 10 * MINUTE) });
        // Renewed past the first expiry: nobody else gets it meanwhile.
        expect(await spool.lease(at(START + 2 * MINUTE), { owner: 'b' })).toEqual([]);
      });
    });

    describe('settle', () => {
      it('records one result per recipient in order: 2xx delivered, 4xx deferred, 5xx failed', async () => {
        const id = await enqueue(['a@example.test', 'b@example.test', 'c@example.test']);
        const leased = await leaseOne('w');
        expect(addresses(leased)).toEqual(['a@example.test', 'b@example.test', 'c@example.test']);
        now += 1000;
        await spool.settle(id, MIXED, { owner: 'w' });
        const got = await spool.get(id);
        expect(got?.recipients.map((r) => r.status)).toEqual(['delivered', 'deferred', 'failed']);
        expect(got?.recipients.map((r) => r.lastReply?.code)).toEqual([250, 451, 550]);
        expect(got?.recipients.map((r) => r.attempts)).toEqual([1, 1, 1]);
        expect(got?.recipients[2]?.failure).toBe('rejected');
        expect(got?.recipients[1]?.lastAttemptAt).toEqual(at());
        const retryAt = got?.recipients[1]?.nextAttemptAt?.getTime();
        expect(retryAt).toBeGreaterThan(now);
        expect(got?.nextAttemptAt.getTime()).toBe(retryAt);
        expect(got?.lease).toBeUndefined();
        expect(got?.attempts).toBe(1);

        // Not due before the retry time; then only the deferred recipient is left to deliver.
        expect(await spool.lease(at(retryAt! - 1), { owner: 'w' })).toEqual([]);
        const retry = await leaseOne('w', retryAt!);
        expect(retry.recipients.map((r) => r.status)).toEqual(['delivered', 'deferred', 'failed']);
        now = retryAt!;
        await spool.settle(id, [result('b@example.test', 250)], { owner: 'w' });
        // Every recipient settled and nobody listens for events: the message leaves.
        expect(await spool.get(id)).toBeUndefined();
        expect(await spool.list()).toEqual([]);
      });

      it('defers the unsettled recipients a partial result list says nothing about', async () => {
        const id = await enqueue(['a@example.test', 'b@example.test', 'c@example.test']);
        await leaseOne('w');
        await spool.settle(id, [result('a@example.test', 250)], { owner: 'w' });
        const got = await spool.get(id);
        expect(got?.recipients.map((r) => r.status)).toEqual(['delivered', 'deferred', 'deferred']);
        expect(got?.nextAttemptAt.getTime()).toBeGreaterThan(now);
      });

      it('removes a message once all its recipients are settled', async () => {
        const id = await enqueue(['a@example.test', 'b@example.test']);
        await leaseOne('w');
        await spool.settle(id, [result('a@example.test', 250), result('b@example.test', 550)], {
          owner: 'w',
        });
        expect(await spool.get(id)).toBeUndefined();
        expect(await spool.lease(at(now + HOUR), { owner: 'w' })).toEqual([]);
      });

      it('records only final results from an owner whose lease passed to another', async () => {
        const id = await enqueue(['a@example.test', 'b@example.test', 'c@example.test']);
        await leaseOne('late', now, MINUTE);
        now += 2 * MINUTE;
        await leaseOne('live', now, 5 * MINUTE);
        await spool.settle(id, MIXED, { owner: 'late' });
        const got = await spool.get(id);
        expect(got?.recipients.map((r) => r.status)).toEqual(['delivered', 'pending', 'failed']);
        expect(got?.lease?.owner).toBe('live');
        // The live owner settles what is left; its result lands on b, not on a settled recipient.
        await spool.settle(id, [result('b@example.test', 250)], { owner: 'live' });
        expect(await spool.get(id)).toBeUndefined();
      });

      it('a settle for a message no longer queued changes nothing', async () => {
        const id = await enqueue(['a@example.test']);
        await leaseOne('w');
        expect(await spool.delete(id)).toBe(true);
        await spool.settle(id, [result('a@example.test', 451)], { owner: 'w' }).catch((err: unknown) => {
          // Resolving is fine; so is a typed not-found refusal.
          expect(storageRefusal(err)).toBe('not-found');
        });
        expect(await spool.get(id)).toBeUndefined();
        expect(await spool.list()).toEqual([]);
      });

      it('gives up on a recipient still deferred past the give-up mark', async () => {
        const id = await enqueue(['a@example.test']);
        now += RETRY.giveUpAfterMs;
        await leaseOne('w');
        await spool.settle(id, [result('a@example.test', 451)], { owner: 'w' });
        expect(await spool.get(id)).toBeUndefined();
      });
    });

    describe('events', () => {
      function collect(s: Spool = spool): { events: SpoolEvent[]; stop: () => void } {
        const events: SpoolEvent[] = [];
        const stop = s.onEvent((e) => {
          events.push(e);
        });
        return { events, stop };
      }
      const summary = (events: SpoolEvent[]) =>
        events.map((e) => [e.type, e.recipients.map((r) => r.recipient.address)]);

      it('raises failed for 5xx and delivered for NOTIFY=SUCCESS recipients', async () => {
        const { events } = collect();
        // The body is readable while the handler runs (a DSN with RET=FULL quotes it); after
        // the handler resolved the spool may drop it with the message.
        const bodies: string[] = [];
        spool.onEvent(async (e) => {
          bodies.push(await blobText(e.message.blob));
        });
        const id = await spool.enqueue(
          {
            mailFrom: 'sender@example.test',
            rcptTo: [
              { address: 'a@example.test', notify: ['SUCCESS'] },
              { address: 'b@example.test' },
              { address: 'c@example.test' },
            ],
            params: { envId: 'env-9' },
          },
          bufferBlob(body(1)),
        );
        await leaseOne('w');
        await spool.settle(
          id,
          [result('a@example.test', 250), result('b@example.test', 250), result('c@example.test', 554)],
          { owner: 'w' },
        );
        expect(summary(events).sort()).toEqual([
          ['delivered', ['a@example.test']],
          ['failed', ['c@example.test']],
        ]);
        const failed = events.find((e) => e.type === 'failed');
        expect(failed?.message.id).toBe(id);
        expect(failed?.message.envelope.params.envId).toBe('env-9');
        expect(failed?.recipients[0]?.lastReply?.code).toBe(554);
        expect(bodies).toEqual([body(1).toString(), body(1).toString()]);
        expect(await spool.get(id)).toBeUndefined();
      });

      it('raises delay once per recipient past the notice mark, and failed (expired) at give-up', async () => {
        const { events } = collect();
        const id = await enqueue(['a@example.test']);
        now += RETRY.delayNoticeAfterMs;
        await leaseOne('w');
        await spool.settle(id, [result('a@example.test', 451)], { owner: 'w' });
        expect(summary(events)).toEqual([['delay', ['a@example.test']]]);
        const deferred = await spool.get(id);
        expect(deferred?.recipients[0]?.delayNotified).toBe(true);

        now = deferred!.nextAttemptAt.getTime();
        await leaseOne('w');
        await spool.settle(id, [result('a@example.test', 451)], { owner: 'w' });
        expect(events).toHaveLength(1);

        now = START + RETRY.giveUpAfterMs;
        await leaseOne('w');
        await spool.settle(id, [result('a@example.test', 451)], { owner: 'w' });
        expect(summary(events)).toEqual([
          ['delay', ['a@example.test']],
          ['failed', ['a@example.test']],
        ]);
        expect(events[1]?.recipients[0]?.failure).toBe('expired');
        expect(await spool.get(id)).toBeUndefined();
      });

      it('keeps the message while a handler rejects and raises the event again later', async () => {
        let calls = 0;
        const seen: string[] = [];
        spool.onEvent((e) => {
          calls++;
          if (calls === 1) throw new Error('mail system down');
          seen.push(e.type);
        });
        const id = await enqueue(['a@example.test']);
        await leaseOne('w');
        await spool.settle(id, [result('a@example.test', 550)], { owner: 'w' });
        expect(calls).toBe(1);
        const kept = await spool.get(id);
        expect(kept?.recipients[0]?.status).toBe('failed');
        // Nothing to deliver: the message is not leased, but the event is raised again.
        now += HOUR;
        expect(await spool.lease(at(), { owner: 'w' })).toEqual([]);
        expect(seen).toEqual(['failed']);
        expect(await spool.get(id)).toBeUndefined();
      });

      it('stops calling a handler once removed', async () => {
        const { events, stop } = collect();
        stop();
        const id = await enqueue(['a@example.test']);
        await leaseOne('w');
        await spool.settle(id, [result('a@example.test', 550)], { owner: 'w' });
        expect(events).toEqual([]);
      });
    });

    describe('wake-ups', () => {
      it('wakes on enqueue, flush and release, and not after the listener is removed', async () => {
        let wakes = 0;
        const stop = spool.onWake(() => wakes++);
        try {
          let w = nextWake(spool);
          const id = await enqueue(['a@example.test']);
          await w.woke;
          w.stop();
          await leaseOne('w');
          await spool.settle(id, [result('a@example.test', 451)], { owner: 'w' });

          w = nextWake(spool);
          expect(await spool.flush()).toBe(1);
          await w.woke;
          w.stop();

          expect(await spool.hold(id)).toBe(true);
          w = nextWake(spool);
          expect(await spool.release(id)).toBe(true);
          await w.woke;
          w.stop();
        } finally {
          stop();
        }
        const before = wakes;
        await enqueue(['b@example.test']);
        expect(wakes).toBe(before);
      });

      it('wakes a listener on another instance of the same storage', async () => {
        const other = await under.reopen();
        const w = nextWake(other);
        try {
          await enqueue(['a@example.test']);
          await w.woke;
        } finally {
          w.stop();
        }
        const id = (await other.list())[0]?.id;
        expect(id).toBeDefined();
        await leaseOne('w');
        await spool.settle(id!, [result('a@example.test', 451)], { owner: 'w' });
        const f = nextWake(other);
        try {
          expect(await spool.flush(id)).toBe(1);
          await f.woke;
        } finally {
          f.stop();
        }
      });
    });

    describe('operations', () => {
      it('lists and gets messages with their state; unknown ids are undefined or false', async () => {
        const a = await enqueue(['a@example.test'], 1);
        const b = await enqueue(['b@example.test'], 2);
        expect((await spool.list()).map((m) => m.id).sort()).toEqual([a, b].sort());
        expect(await blobText((await spool.get(b))!.blob)).toBe(body(2).toString());
        const unknown = '00000000000000000000000000';
        expect(await spool.get(unknown)).toBeUndefined();
        expect(await spool.get('not an id')).toBeUndefined();
        for (const op of ['hold', 'release', 'delete', 'requeue'] as const) {
          expect(await spool[op](unknown)).toBe(false);
        }
        expect(await spool.flush(unknown)).toBe(0);
      });

      it('never leases a held message, even when flushed, until released', async () => {
        const id = await enqueue(['a@example.test']);
        expect(await spool.hold(id)).toBe(true);
        expect((await spool.get(id))?.held).toBe(true);
        expect(await spool.lease(at(now + HOUR), { owner: 'w' })).toEqual([]);
        expect(await spool.flush()).toBe(0);
        expect(await spool.lease(at(now + HOUR), { owner: 'w' })).toEqual([]);
        expect(await spool.release(id)).toBe(true);
        expect((await leaseOne('w')).id).toBe(id);
      });

      it('flush makes deferred messages due now, one or all', async () => {
        const a = await enqueue(['a@example.test'], 1);
        const b = await enqueue(['b@example.test'], 2);
        for (const m of await spool.lease(at(), { owner: 'w' })) {
          await spool.settle(m.id, [result(addresses(m)[0]!, 451)], { owner: 'w' });
        }
        expect(await spool.lease(at(), { owner: 'w' })).toEqual([]);
        expect(await spool.flush(a)).toBe(1);
        expect((await spool.lease(at(), { owner: 'w' })).map((m) => m.id)).toEqual([a]);
        await spool.settle(a, [result('a@example.test', 451)], { owner: 'w' });
        expect(await spool.flush()).toBe(2);
        expect((await spool.lease(at(), { owner: 'w' })).map((m) => m.id).sort()).toEqual([a, b].sort());
      });

      it('delete removes a message for good, leased or not', async () => {
        const a = await enqueue(['a@example.test'], 1);
        const b = await enqueue(['b@example.test'], 2);
        await spool.lease(at(), { owner: 'w', max: 1 });
        expect(await spool.delete(a)).toBe(true);
        expect(await spool.delete(b)).toBe(true);
        expect(await spool.delete(b)).toBe(false);
        expect(await spool.list()).toEqual([]);
        expect(await spool.lease(at(now + HOUR), { owner: 'w' })).toEqual([]);
      });

      it('requeue drops the lease and makes deferred recipients pending and due now', async () => {
        const id = await enqueue(['a@example.test', 'b@example.test']);
        await leaseOne('w');
        now += 1000;
        await spool.settle(id, [result('a@example.test', 250), result('b@example.test', 451)], {
          owner: 'w',
        });
        await leaseOne('stuck', (await spool.get(id))!.nextAttemptAt.getTime(), HOUR);
        expect(await spool.requeue(id)).toBe(true);
        const got = await spool.get(id);
        expect(got?.lease).toBeUndefined();
        expect(got?.recipients.map((r) => r.status)).toEqual(['delivered', 'pending']);
        expect(got?.nextAttemptAt.getTime()).toBeLessThanOrEqual(now);
        expect((await leaseOne('w')).id).toBe(id);
      });
    });

    describe('durability', () => {
      it('a new instance on the same storage finds every message in its state', async () => {
        const fresh = await enqueue(['a@example.test'], 1);
        const deferred = await enqueue(['b@example.test', 'c@example.test'], 2);
        const held = await enqueue(['d@example.test'], 3);
        const leased = await enqueue(['e@example.test'], 4);
        expect(await spool.hold(held)).toBe(true);
        const batch = await spool.lease(at(), { owner: 'w', max: 2, leaseMs: HOUR });
        expect(batch.map((m) => m.id)).toEqual([fresh, deferred]);
        await spool.settle(fresh, [result('a@example.test', 451)], { owner: 'w' });
        await spool.settle(deferred, [result('b@example.test', 250), result('c@example.test', 451)], {
          owner: 'w',
        });
        await spool.lease(at(), { owner: 'x', max: 1, leaseMs: HOUR });
        const before = await Promise.all([fresh, deferred, held, leased].map((id) => spool.get(id)));

        const again = await under.reopen();
        const after = await Promise.all([fresh, deferred, held, leased].map((id) => again.get(id)));
        const comparable = (m: QueuedMessage | undefined) => m && { ...m, blob: m.blob.size };
        expect(after.map(comparable)).toEqual(before.map(comparable));
        expect((await again.list()).map((m) => m.id).sort()).toEqual([fresh, deferred, held, leased].sort());
        for (const [i, m] of after.entries()) expect(await blobText(m!.blob)).toBe(body(i + 1).toString());
        expect(after[3]?.lease?.owner).toBe('x');
        expect(after[2]?.held).toBe(true);
      });
    });
  });
}
