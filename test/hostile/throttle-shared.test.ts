/**
 * Issue 11.3: switching protocol, port or process reset the login budget (refused on IMAP,
 * logged in at once over POP3, fresh guesses on 587 and 465). Here IMAP, POP3 and the MSA
 * each run as their own process (`mailstack <agent>`), pointed at one directory file; the throttle
 * state file beside it is the one budget they all spend.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImapServerProcess, startImapServer } from '../helpers/imap-server.ts';
import { type MsaProcess, startMsa } from '../helpers/msa.ts';
import { type Pop3Process, startPop3 } from '../helpers/pop3.ts';
import { makeCertificate } from '../helpers/tls.ts';
import { attempts, BOB, BOB_PW, directoryFolder } from './throttle-clients.ts';

// Small settings, so the test needs few guesses and no real delays.
const THROTTLE = { limits: { authFailures: { max: 3, delay: '1ms', maxDelay: '2ms' } } };

let folder: Awaited<ReturnType<typeof directoryFolder>>;
let imap: ImapServerProcess;
let pop3: Pop3Process;
let msa: MsaProcess;

beforeAll(async () => {
  folder = await directoryFolder();
  const cert = await makeCertificate(folder.path);
  const mail = join(folder.path, 'mail');
  [imap, pop3, msa] = await Promise.all([
    startImapServer({ data: mail, directory: folder.file, cleartextOnLoopback: true, config: THROTTLE }),
    startPop3({ data: mail, directory: folder.file, ...cert, cleartextOnLoopback: true, config: THROTTLE }),
    startMsa({
      data: folder.path,
      directory: folder.file,
      spool: join(folder.path, 'spool'),
      ...cert,
      config: THROTTLE,
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([imap?.stop(), pop3?.stop(), msa?.stop()]);
  await folder?.remove();
});

const logs = () => `imap:\n${imap.output()}\npop3:\n${pop3.output()}\nmsa:\n${msa.output()}`;

describe('one login throttle across agent processes', () => {
  it('an address refused on IMAP is refused on POP3, 587 and 465 too, even with the right password', async () => {
    const src = '127.0.0.2';
    const wrong = { proto: 'imap' as const, port: imap.port, src, user: BOB, password: 'wrong' };
    const out = await attempts([
      wrong,
      wrong,
      wrong,
      { proto: 'pop3', port: pop3.port, src, user: BOB, password: BOB_PW },
      { proto: 'smtp', port: msa.port, src, user: BOB, password: BOB_PW },
      { proto: 'smtps', port: msa.tlsPort, src, user: BOB, password: BOB_PW },
    ]);
    expect(out.slice(0, 3).map((o) => o.text)).toEqual(
      Array(3).fill(expect.stringContaining('AUTHENTICATIONFAILED')),
    );
    expect(out[3], logs()).toMatchObject({ ok: false, text: expect.stringContaining('[SYS/TEMP]') });
    expect(out[4]).toMatchObject({ ok: false, text: expect.stringContaining('454') });
    expect(out[5]).toMatchObject({ ok: false, text: expect.stringContaining('454') });
    expect(existsSync(join(folder.path, 'auth-throttle.sqlite'))).toBe(true);
  });

  it('guesses on 465 and POP3 spend the budget IMAP then refuses', async () => {
    const src = '127.0.0.3';
    const out = await attempts([
      { proto: 'smtps', port: msa.tlsPort, src, user: BOB, password: 'wrong' },
      { proto: 'pop3', port: pop3.port, src, user: BOB, password: 'wrong' },
      { proto: 'smtp', port: msa.port, src, user: BOB, password: 'wrong' },
      { proto: 'imap', port: imap.port, src, user: BOB, password: BOB_PW },
    ]);
    expect(out.slice(0, 3).every((o) => !o.ok)).toBe(true);
    expect(out[3], logs()).toMatchObject({ ok: false, text: expect.stringContaining('UNAVAILABLE') });
  });

  it('submission refuses other spellings of the account too (535 5.7.8)', async () => {
    const out = await attempts(
      ['bob@example.test.', 'bob@example.test/../alice'].map((user) => ({
        proto: 'smtps' as const,
        port: msa.tlsPort,
        src: '127.0.0.5',
        user,
        password: BOB_PW,
      })),
    );
    for (const o of out) expect(o).toMatchObject({ ok: false, text: expect.stringContaining('535') });
  });

  it('leaves an address without failures alone', async () => {
    const src = '127.0.0.4';
    const out = await attempts([
      { proto: 'imap', port: imap.port, src, user: BOB, password: BOB_PW },
      { proto: 'pop3', port: pop3.port, src, user: BOB, password: BOB_PW },
      { proto: 'smtps', port: msa.tlsPort, src, user: BOB, password: BOB_PW },
    ]);
    expect(out, logs()).toEqual(Array(3).fill({ ok: true, text: '' }));
  });
});
