import { bufferBlob, deliveryEnvelope, type Envelope, ok, readAll, SmtpError } from '@mailstack/core';
import { createDkimSigner, createDsnNotifier, createTransferTarget, generateDkimKey } from '@mailstack/mta';
import { type MemorySpool, memorySpool } from '@mailstack/queue';
import { createSmtpListener, type SmtpListener } from '@mailstack/smtp';
import { dkimVerify } from 'mailauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { originalMessage, parseWithPython } from './dsn-fixtures.ts';

interface Received {
  envelope: Envelope;
  body: Buffer;
}

let spool: MemorySpool;
let peer: SmtpListener;
let received: Received[];
let port: number;

beforeEach(async () => {
  spool = memorySpool();
  received = [];
  // The next hop: refuses bob, takes everything else.
  peer = createSmtpListener({
    name: 'mx.remote.test',
    closeTimeoutMs: 200,
    handlers: {
      onRcptTo(address) {
        if (address.address === 'bob@remote.test') throw new SmtpError(550, '5.1.1', 'No such user');
      },
      async onData(message) {
        received.push({ envelope: message.envelope, body: await readAll(message.stream) });
        return ok('Queued');
      },
    },
  });
  const address = await peer.listen(0, '127.0.0.1');
  if (!('port' in address)) throw new Error('expected TCP');
  port = address.port;
});
afterEach(async () => {
  await peer.close();
});

/** One queue run: lease what is due, deliver it through `target`, settle. */
async function run(target: ReturnType<typeof createTransferTarget>): Promise<number> {
  const leased = await spool.lease(new Date(), { owner: 'worker' });
  for (const message of leased) {
    const results = await target.deliver(deliveryEnvelope(message), message.blob);
    await spool.settle(message.id, results, { owner: 'worker' });
  }
  return leased.length;
}

describe('a bounce through the normal delivery path', () => {
  it('a 550 from the next hop comes back as a signed DSN from <> to the sender', async () => {
    const key = await generateDkimKey({ type: 'ed25519' });
    const signer = createDkimSigner({
      domains: {
        'origin.test': { selector: 'k1', privateKey: key.privateKeyPem },
        'mx.origin.test': { selector: 'k1', privateKey: key.privateKeyPem },
      },
    });
    const target = createTransferTarget({
      hostname: 'mx.origin.test',
      smarthost: { host: '127.0.0.1', port },
      prepare: signer.prepare,
    });
    try {
      spool.onEvent(createDsnNotifier({ spool, reportingMta: 'mx.origin.test' }));
      await spool.enqueue(
        {
          mailFrom: 'alice@origin.test',
          rcptTo: [
            { address: 'bob@remote.test', orcpt: 'rfc822;bob@remote.test' },
            { address: 'carol@remote.test' },
          ],
          params: { envId: 'lunch-1' },
        },
        bufferBlob(originalMessage()),
      );
      expect(await run(target)).toBe(1);
      // Carol got the original, signed for origin.test.
      expect(received.map((r) => r.envelope.rcptTo.map((t) => t.address))).toEqual([['carol@remote.test']]);
      const resolver = async (name: string) => {
        if (name !== 'k1._domainkey.origin.test' && name !== 'k1._domainkey.mx.origin.test')
          throw new Error('NXDOMAIN');
        return [[key.dnsTxtRecord]];
      };
      const first = await dkimVerify(received[0]!.body, { resolver });
      expect(first.results.map((r) => [r.signingDomain, r.status?.result])).toEqual([
        ['origin.test', 'pass'],
      ]);

      // Bob's 550 became a DSN in the spool; the next run sends it like any message.
      expect(await run(target)).toBe(1);
      const dsn = received[1]!;
      expect(dsn.envelope.mailFrom).toBe('');
      expect(dsn.envelope.rcptTo.map((t) => t.address)).toEqual(['alice@origin.test']);
      const view = await parseWithPython(dsn.body);
      expect(view.contentType).toBe('multipart/report');
      expect(view.blocks[0]!['Original-Envelope-Id']).toBe('lunch-1');
      expect(view.blocks[1]).toMatchObject({
        'Original-Recipient': 'rfc822;bob@remote.test',
        'Final-Recipient': 'rfc822; bob@remote.test',
        Action: 'failed',
        Status: '5.1.1',
      });
      expect(view.blocks[1]!['Diagnostic-Code']).toMatch(/^smtp; 550 5\.1\.1 /);
      expect(view.originalSubject).toBe('Lunch');
      const signed = await dkimVerify(dsn.body, { resolver });
      expect(signed.results.map((r) => [r.signingDomain, r.status?.result])).toEqual([
        ['mx.origin.test', 'pass'],
      ]);
      // Nothing left: the original is settled, the DSN delivered.
      expect(await spool.list()).toHaveLength(0);
    } finally {
      await target.close();
    }
  });
});
