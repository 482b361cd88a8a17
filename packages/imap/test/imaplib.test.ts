import { runPython } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, message, startHarness, USERS } from './fixtures.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SCRIPT = `
import imaplib, sys, json, time
c = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
user, pw = sys.argv[2], sys.argv[3]
c.authenticate('PLAIN', lambda _: ('\\0' + user + '\\0' + pw).encode())
out = {}
typ, data = c.append('INBOX', '(\\\\Flagged)', imaplib.Time2Internaldate(time.time()), sys.argv[4].encode())
out['append'] = [typ, data[0].decode()]
typ, data = c.select('INBOX')
out['exists'] = data[0].decode()
typ, data = c.store('1', '+FLAGS', '(\\\\Seen $Label1)')
out['store'] = [d.decode() for d in data]
typ, data = c.copy('1:2', 'Archive')
out['copy'] = typ
typ, data = c.fetch('2', '(FLAGS ENVELOPE)')
out['fetch'] = data[0].decode()
typ, data = c.store('1', '+FLAGS.SILENT', '(\\\\Deleted)')
typ, data = c.expunge()
out['expunge'] = [d.decode() if d else None for d in data]
typ, data = c.status('Archive', '(MESSAGES UIDNEXT)')
out['status'] = data[0].decode()
typ, data = c.list('""', 'Arch*')
out['list'] = [d.decode() for d in data]
c.close()
c.logout()
print(json.dumps(out))
`;

describe('Python imaplib', () => {
  it('authenticates with PLAIN and runs APPEND, STORE, COPY, FETCH, EXPUNGE, STATUS, LIST', async () => {
    h = await startHarness();
    await h.deliver(message(1));
    const r = await runPython(SCRIPT, [h.port, ALICE, USERS[ALICE], message(2)]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.append[0]).toBe('OK');
    expect(out.append[1]).toMatch(/^\[APPENDUID \d+ 2\] APPEND completed$/);
    expect(out.exists).toBe('2');
    expect(out.store).toEqual(['1 (FLAGS (\\Seen $Label1 \\Recent))']);
    expect(out.copy).toBe('OK');
    // Appended with a flag and not selected: the SELECT that follows claims it as \Recent.
    expect(out.fetch).toBe(
      '2 (FLAGS (\\Flagged \\Recent) ENVELOPE ("Mon, 23 Nov 2026 09:00:00 +0000" "message 2" (("Sender" NIL "sender" "example.test")) (("Sender" NIL "sender" "example.test")) (("Sender" NIL "sender" "example.test")) ((NIL NIL "alice" "example.test")) NIL NIL NIL "<m2@example.test>"))',
    );
    expect(out.expunge).toEqual(['1']);
    expect(out.status).toMatch(/^Archive \(MESSAGES 2 UIDNEXT 3\)$/);
    expect(out.list).toEqual(['(\\HasNoChildren \\Archive) "/" Archive']);
  });
});
