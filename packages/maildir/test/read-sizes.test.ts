import { bufferBlob, readAll } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempStore, USER } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
  await t.store.ensureUser(USER);
});
afterEach(async () => {
  await t.cleanup();
});

// Small messages are read in one go, large ones streamed: both paths must give the same
// wire form and the same ranges.
describe('read() of small and large messages', () => {
  for (const [label, lines] of [
    ['small (one read)', 50],
    ['large (streamed)', 20_000],
  ] as const) {
    it(`${label}: whole message and wire-offset ranges match the CRLF form`, async () => {
      const body = Array.from({ length: lines }, (_, i) => `line ${i} ${'x'.repeat(i % 70)}`).join('\n');
      const stored = `Subject: sizes\n\n${body}\n`;
      const wire = Buffer.from(stored.replaceAll('\n', '\r\n'));
      await t.store.deliver(USER, bufferBlob(stored));
      const inbox = await t.store.openFolder(USER, 'INBOX');
      const { uid, size } = inbox.messages()[0]!;
      expect(size).toBe(wire.length);
      expect(await readAll(inbox.read(uid))).toEqual(wire);
      for (const [start, end] of [
        [0, 10],
        [5, undefined],
        [wire.length - 3, wire.length + 100],
        [wire.length + 5, undefined],
      ] as Array<[number, number | undefined]>) {
        const got = await readAll(inbox.read(uid, end === undefined ? { start } : { start, end }));
        expect(got).toEqual(wire.subarray(start, end));
      }
      await inbox.close();
    });
  }
});
