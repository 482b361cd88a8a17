/**
 * Issue 11.3: 40 failures from a few addresses locked the owner out for 15 minutes, even with
 * the right password from a clean address. Penalties are per client address now; the
 * account's own limit never refuses an address that has no failures.
 */
import {
  type AuthThrottle,
  createAuthThrottle,
  type FileDirectory,
  openFileDirectory,
} from '@mailstack/directory';
import { createImapServer, type ImapServer } from '@mailstack/imap';
import { createMaildirStore } from '@mailstack/maildir';
import { createPop3Server, type Pop3Server } from '@mailstack/pop3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Attempt, attempts, BOB, BOB_PW, directoryFolder } from './throttle-clients.ts';

let folder: Awaited<ReturnType<typeof directoryFolder>>;
let directory: FileDirectory;
let throttle: AuthThrottle;
let imap: ImapServer;
let pop3: Pop3Server;
let imapPort: number;
let pop3Port: number;

beforeAll(async () => {
  folder = await directoryFolder();
  directory = await openFileDirectory(folder.file);
  const store = createMaildirStore({ root: `${folder.path}/mail` });
  await store.ensureUser(BOB);
  // The shipped limits (10 per address, 4 x 10 per account, 15 minutes), without the delays.
  throttle = createAuthThrottle({ maxFailures: 10, windowMs: 15 * 60_000, baseDelayMs: 1, maxDelayMs: 2 });
  const common = {
    directory,
    store,
    hostname: 'mail.example.test',
    allowCleartextAuthOnLoopback: true,
    authThrottle: throttle,
  };
  imap = createImapServer(common);
  pop3 = createPop3Server(common);
  imapPort = (await imap.listen(0, '127.0.0.1')).port;
  pop3Port = (await pop3.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  await Promise.all([imap?.close(), pop3?.close()]);
  await directory?.close();
  await folder?.remove();
});

describe('penalties per client address', () => {
  it('40 failures from four addresses refuse those addresses, not the owner on a clean one', async () => {
    const guessers = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
    const guesses: Attempt[] = guessers.flatMap((src) =>
      Array.from({ length: 10 }, (_, i) => ({
        proto: i % 2 ? ('pop3' as const) : ('imap' as const),
        port: i % 2 ? pop3Port : imapPort,
        src,
        user: BOB,
        password: `guess-${i}`,
      })),
    );
    const out = await attempts([
      ...guesses,
      // Each guessing address is now refused, also with the right password.
      ...guessers.map((src) => ({
        proto: 'imap' as const,
        port: imapPort,
        src,
        user: BOB,
        password: BOB_PW,
      })),
      // The owner, from an address with no failures: a wrong password is checked (not refused),
      // and the right one logs in, on IMAP and on POP3.
      { proto: 'imap', port: imapPort, src: '127.0.0.9', user: BOB, password: 'typo' },
      { proto: 'imap', port: imapPort, src: '127.0.0.10', user: BOB, password: BOB_PW },
      { proto: 'pop3', port: pop3Port, src: '127.0.0.11', user: BOB, password: BOB_PW },
    ]);
    expect(out.slice(0, 40).every((o) => !o.ok && /AUTHENTICATIONFAILED|\[AUTH\]/.test(o.text))).toBe(true);
    for (const o of out.slice(40, 44))
      expect(o).toMatchObject({ ok: false, text: expect.stringContaining('UNAVAILABLE') });
    expect(out[44]).toMatchObject({ ok: false, text: expect.stringContaining('AUTHENTICATIONFAILED') });
    expect(out[45]).toEqual({ ok: true, text: '' });
    expect(out[46]).toEqual({ ok: true, text: '' });
  });
});
