import { bufferBlob } from '@mailstack/core';
import { describeSpoolContract } from '@mailstack/testkit';
import { describe, expect, it } from 'vitest';
import { memorySpool } from '../src/index.ts';

describeSpoolContract('memory spool', async ({ clock, retry }) => {
  const spool = memorySpool({ clock, retry });
  return { spool, reopen: async () => spool.reopen(), close: async () => {} };
});

describe('memorySpool', () => {
  it('refuses a body over maxMessageBytes with 552 and keeps nothing', async () => {
    const spool = memorySpool({ maxMessageBytes: 10 });
    const envelope = { mailFrom: 'a@example.test', rcptTo: [{ address: 'b@example.test' }], params: {} };
    await expect(spool.enqueue(envelope, bufferBlob('x'.repeat(11)))).rejects.toMatchObject({ code: 552 });
    expect(await spool.list()).toEqual([]);
    await spool.enqueue(envelope, bufferBlob('x'.repeat(10)));
    expect(await spool.list()).toHaveLength(1);
  });
});
