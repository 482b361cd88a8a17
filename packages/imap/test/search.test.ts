import { runPython } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, message, startHarness, USERS } from './fixtures.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SCRIPT = `
import imaplib, sys, json
c = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
c.login(sys.argv[2], sys.argv[3])
c.select('INBOX')
out = {}
for name, crit in [
    ('all', ['ALL']),
    ('subject', ['SUBJECT', '"Message 2"']),
    ('body', ['BODY', 'needle']),
    ('text', ['TEXT', 'NEEDLE']),
    ('from', ['FROM', 'carol']),
    ('header', ['HEADER', 'X-Tag', 'blue']),
    ('flagged', ['FLAGGED']),
    ('unflagged_not', ['NOT', 'UNFLAGGED']),
    ('or', ['OR', 'FLAGGED', 'SUBJECT', '"message 3"']),
    ('larger', ['LARGER', '200']),
    ('seqset', ['2:*', 'UNSEEN']),
    ('senton', ['SENTON', '23-Nov-2026']),
    ('sentbefore', ['SENTBEFORE', '1-Jan-2020']),
    ('since', ['SINCE', '1-Jan-2000']),
    ('encoded', ['SUBJECT', 'caf\xe9']),
    ('b64body', ['BODY', 'hidden']),
]:
    if name == 'encoded':
        typ, data = c.search('UTF-8', 'SUBJECT', '"café"'.encode('utf-8'))
    else:
        typ, data = c.search(None, *crit)
    out[name] = data[0].decode()
typ, data = c.uid('SEARCH', 'UID', '2:3')
out['uid'] = data[0].decode()
print(json.dumps(out))
c.logout()
`;

describe('SEARCH', () => {
  it('evaluates the search tree for Python imaplib', async () => {
    h = await startHarness();
    await h.deliver(message(1));
    await h.deliver(message(2, 'Here is the needle in the body.\r\n'));
    await h.deliver(
      `From: Carol <carol@example.test>\r\nX-Tag: Blue sky\r\nSubject: message 3\r\nDate: Tue, 1 Jan 2019 10:00:00 +0100\r\n\r\n${'x'.repeat(300)}\r\n`,
    );
    await h.deliver('Subject: =?UTF-8?Q?Caf=C3=A9?= =?UTF-8?B?IG9yZGVy?=\r\n\r\nhi\r\n');
    await h.deliver(
      `Subject: b64\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from('a Hidden word').toString('base64')}\r\n`,
    );
    const inbox = await h.store.openFolder(ALICE, 'INBOX');
    await inbox.setFlags([1], '+', ['\\Flagged']);
    await inbox.close();
    const r = await runPython(SCRIPT, [h.port, ALICE, USERS[ALICE]]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      all: '1 2 3 4 5',
      subject: '2',
      body: '2',
      text: '2',
      from: '3',
      header: '3',
      flagged: '1',
      unflagged_not: '1',
      or: '1 3',
      larger: '3',
      seqset: '2 3 4 5',
      senton: '1 2',
      sentbefore: '3',
      since: '1 2 3 4 5',
      encoded: '4',
      b64body: '5',
      uid: '2 3',
    });
  });
});

const ADDRESS_SCRIPT = `
import imaplib, sys, json
c = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
c.login(sys.argv[2], sys.argv[3])
c.select('INBOX')
out = {}
for crit in ['user-from@domain.org', 'realfrom', 'ser-fro', 'groupname']:
    typ, data = c.search(None, 'FROM', crit)
    out[crit] = data[0].decode()
print(json.dumps(out))
c.logout()
`;

describe('SEARCH FROM/TO/CC/BCC on addresses', () => {
  it('finds an address written with comments around its @ (imaptest search-addresses)', async () => {
    h = await startHarness();
    await h.deliver('From: user-from@domain.org\r\n\r\nbody\r\n');
    await h.deliver('From: RealFrom <user-from@domain.org>\r\n\r\nbody2\r\n');
    await h.deliver('From: <user-from (comment)@ (comment) domain.org>\r\n\r\nbody3\r\n');
    await h.deliver('From: user-from@domain.org (RealFrom)\r\n\r\nbody4\r\n');
    await h.deliver('From: groupname: g@domain.org;\r\n\r\nbody5\r\n');
    const r = await runPython(ADDRESS_SCRIPT, [h.port, ALICE, USERS[ALICE]]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      'user-from@domain.org': '1 2 3 4',
      realfrom: '2 4',
      'ser-fro': '1 2 3 4',
      groupname: '5',
    });
  });
});
