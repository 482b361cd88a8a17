import { type LineClient, lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { filesUnder, type Harness, message, startHarness } from './fixtures.ts';
import { command, dataBlock, replies, reply } from './wire.ts';

let h: Harness | undefined;
let client: LineClient | undefined;
afterEach(async () => {
  await client?.close();
  await h?.close();
  client = undefined;
  h = undefined;
});

async function session(harness: Harness): Promise<LineClient> {
  const c = await lineClient(harness.port);
  expect(await reply(c)).toMatch(/^220 /);
  expect(await command(c, 'LHLO client.test')).toMatch(/^250 /);
  return c;
}

/** MAIL, the RCPTs (their replies returned), DATA and the message; then the per-recipient replies. */
async function transaction(c: LineClient, from: string, rcpts: string[], text: string, expectData = true) {
  expect(await command(c, `MAIL FROM:<${from}>`)).toMatch(/^250 /);
  const rcptReplies: string[] = [];
  for (const r of rcpts) rcptReplies.push(await command(c, `RCPT TO:<${r}>`));
  const accepted = rcptReplies.filter((r) => r.startsWith('250')).length;
  if (!expectData) return { rcptReplies, dataReplies: [] };
  expect(await command(c, 'DATA')).toMatch(/^354 /);
  await c.write(dataBlock(text));
  return { rcptReplies, dataReplies: await replies(c, accepted) };
}

describe('LMTP per-recipient outcomes', () => {
  it('one good, one unknown, one over quota: 550 at RCPT, then one reply per accepted recipient in order', async () => {
    h = await startHarness();
    client = await session(h);
    const big = message({ id: 'r-1', body: 'x'.repeat(200) });
    const { rcptReplies, dataReplies } = await transaction(
      client,
      'sender@remote.test',
      ['alice@example.test', 'ghost@example.test', 'tiny@example.test', 'bob@example.test'],
      big,
    );
    expect(rcptReplies[0]).toMatch(/^250 /);
    expect(rcptReplies[1]).toMatch(/^550 5\.1\.1 /);
    expect(rcptReplies[2]).toMatch(/^250 /);
    expect(dataReplies).toHaveLength(3);
    expect(dataReplies[0]).toMatch(/^250 2\.0\.0 <alice@example\.test> Saved/);
    expect(dataReplies[1]).toMatch(/^552 5\.2\.2 /); // tiny@ has a 50-byte quota
    expect(dataReplies[2]).toMatch(/^250 2\.0\.0 <bob@example\.test> Saved/);
    expect(await h.messages('alice@example.test')).toHaveLength(1);
    expect(await h.messages('tiny@example.test')).toHaveLength(0);
    expect(await h.messages('bob@example.test')).toHaveLength(1);
  });

  it('answers 552 5.2.2 (Dovecot without quota_full_tempfail) for a mailbox that is full and keeps delivering to the others', async () => {
    h = await startHarness();
    client = await session(h);
    const first = await transaction(client, 's@remote.test', ['onebox@example.test'], message({ id: 'f-1' }));
    expect(first.dataReplies).toEqual([expect.stringMatching(/^250 /)]);
    const second = await transaction(
      client,
      's@remote.test',
      ['onebox@example.test', 'alice@example.test'],
      message({ id: 'f-2' }),
    );
    expect(second.dataReplies[0]).toMatch(/^552 5\.2\.2 Mailbox is full/);
    expect(second.dataReplies[1]).toMatch(/^250 /);
    expect(await h.messages('onebox@example.test')).toHaveLength(1);
  });

  it('an alias delivers to each local user with one reply, worst outcome when one copy fails', async () => {
    h = await startHarness();
    client = await session(h);
    const { dataReplies } = await transaction(
      client,
      's@remote.test',
      ['team@example.test', 'mixed@example.test'],
      message({ id: 'alias-1', body: 'y'.repeat(200) }),
    );
    expect(dataReplies[0]).toMatch(/^250 /);
    expect(dataReplies[1]).toMatch(/^552 5\.2\.2 /); // alice got it, tiny@ could not
    const alice = await h.messages('alice@example.test');
    expect(alice).toHaveLength(2);
    expect(alice[0]).toContain('Delivered-To: team@example.test\r\n');
    expect(alice[1]).toContain('Delivered-To: mixed@example.test\r\n');
    expect(await h.messages('bob@example.test')).toHaveLength(1);
  });

  it('refuses an alias that only forwards elsewhere (the MTA expands those)', async () => {
    h = await startHarness();
    client = await session(h);
    const { rcptReplies } = await transaction(client, 's@remote.test', ['away@example.test'], '', false);
    expect(rcptReplies[0]).toMatch(/^550 5\.1\.1 /);
  });

  it('with detailFolder, user+folder goes into that folder when it exists, else INBOX', async () => {
    h = await startHarness({ detailFolder: true });
    await h.store.createFolder('alice@example.test', 'lists');
    client = await session(h);
    const { dataReplies } = await transaction(
      client,
      's@remote.test',
      ['alice+lists@example.test', 'alice+nosuch@example.test'],
      message({ id: 'detail-1' }),
    );
    expect(dataReplies).toEqual([expect.stringMatching(/^250 /), expect.stringMatching(/^250 /)]);
    const lists = await h.messages('alice@example.test', 'lists');
    expect(lists).toHaveLength(1);
    expect(lists[0]).toContain('Delivered-To: alice+lists@example.test\r\n');
    expect(await h.messages('alice@example.test')).toHaveLength(1);
  });

  it('a +detail of "..", "../x", "a/b" or ".hidden" never leaves the user\'s Maildir', async () => {
    h = await startHarness({ detailFolder: true });
    await h.store.createFolder('alice@example.test', 'lists');
    client = await session(h);
    const sneaky = [
      'alice+..@example.test',
      'alice+../x@example.test',
      'alice+lists/..@example.test',
      'alice+.lists@example.test',
    ];
    const { rcptReplies, dataReplies } = await transaction(
      client,
      's@remote.test',
      sneaky,
      message({ id: 'esc-1' }),
    );
    const accepted = rcptReplies.filter((r) => r.startsWith('250')).length;
    for (const r of rcptReplies) expect(r).toMatch(/^(250|501 5\.1\.3|550 5\.1\.1) /);
    for (const r of dataReplies) expect(r).toMatch(/^250 /);
    expect(await h.messages('alice@example.test')).toHaveLength(accepted);
    expect(await h.messages('alice@example.test', 'lists')).toHaveLength(0);
    for (const file of await filesUnder(h.dir.path)) expect(file).toMatch(/^example\.test\/alice\/Maildir\//);
  });
});
