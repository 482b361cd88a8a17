/**
 * Issue 12: IMAP IDLE in one process sees what other processes do to the mailbox. The IMAP
 * server (its main.ts) serves an imapflow client idling in INBOX; the MDA (its main.ts, another
 * process) delivers over LMTP, a second IMAP process sets a flag, and a POP3 process deletes a
 * message. The idling client is told each time (EXISTS, FETCH FLAGS, EXPUNGE) without issuing
 * a command: only the store's file-system watch can carry those changes between processes.
 */
import { join } from 'node:path';
import { runPython } from '@mailstack/testkit';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImapServerProcess, startImapServer } from './helpers/imap-server.ts';
import { type MdaProcess, startMda } from './helpers/mda.ts';
import { type Pop3Process, startPop3 } from './helpers/pop3.ts';
import { makeCertificate } from './helpers/tls.ts';
import { BOB, BOB_PW, directoryFolder } from './hostile/throttle-clients.ts';

let folder: Awaited<ReturnType<typeof directoryFolder>>;
let imap: ImapServerProcess;
let otherImap: ImapServerProcess;
let mda: MdaProcess;
let pop3: Pop3Process;
const clients: ImapFlow[] = [];

beforeAll(async () => {
  folder = await directoryFolder();
  const cert = await makeCertificate(folder.path);
  const data = join(folder.path, 'mail');
  const common = { data, directory: folder.file };
  [imap, otherImap, mda, pop3] = await Promise.all([
    startImapServer({ ...common, cleartextOnLoopback: true }),
    startImapServer({ ...common, cleartextOnLoopback: true }),
    startMda(common),
    startPop3({ ...common, ...cert, cleartextOnLoopback: true }),
  ]);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all([imap?.stop(), otherImap?.stop(), mda?.stop(), pop3?.stop()]);
  await folder?.remove();
});

const logs = () => `imap:\n${imap.output()}\nother imap:\n${otherImap.output()}\nmda:\n${mda.output()}`;

async function imapClient(port: number): Promise<ImapFlow> {
  const c = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: BOB, pass: BOB_PW },
    logger: false,
  });
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return c;
}

async function deliverOverLmtp(subject: string): Promise<void> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: mda.port,
    lmtp: true,
    ignoreTLS: true,
  });
  try {
    await transport.sendMail({ from: 'alice@example.test', to: BOB, subject, text: 'hi' });
  } finally {
    transport.close();
  }
}

/** The next event `name` the client emits; rejects naming it when none comes within 30 s. */
const next = <T>(c: ImapFlow, name: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} event while idling\n${logs()}`)), 30_000);
    c.once(name, (ev: T) => {
      clearTimeout(timer);
      resolve(ev);
    });
  });

describe('IMAP IDLE across processes', () => {
  it('an idling client hears of another process’s delivery, flag change and POP3 deletion', async () => {
    await deliverOverLmtp('first');
    const idler = await imapClient(imap.port);
    await idler.mailboxOpen('INBOX');
    const idling = idler.idle();

    const exists = next<{ count: number; prevCount: number }>(idler, 'exists');
    await deliverOverLmtp('second');
    expect(await exists, logs()).toMatchObject({ count: 2, prevCount: 1 });

    const flags = next<{ seq: number; flags: Set<string> }>(idler, 'flags');
    const other = await imapClient(otherImap.port);
    await other.mailboxOpen('INBOX');
    await other.messageFlagsAdd('1', ['\\Flagged']);
    const changed = await flags;
    expect(changed.seq, logs()).toBe(1);
    expect([...changed.flags]).toContain('\\Flagged');
    await other.logout();

    // POP3 (a third process) deletes the second message at QUIT.
    const expunge = next<{ seq: number }>(idler, 'expunge');
    const r = await runPython(
      `
import poplib, sys
c = poplib.POP3('127.0.0.1', int(sys.argv[1]), timeout=20); c.user(sys.argv[2]); c.pass_(sys.argv[3])
print(c.dele(2).decode()); print(c.quit().decode())
`,
      [String(pop3.port), BOB, BOB_PW],
      { timeoutMs: 30_000 },
    );
    expect(r.stdout, r.stderr).toMatch(/^\+OK.*\n\+OK/);
    expect(await expunge, logs()).toMatchObject({ seq: 2 });

    await idler.noop(); // ends IDLE
    await idling;
    expect(idler.mailbox ? idler.mailbox.exists : -1).toBe(1);
  }, 120_000);
});
