/**
 * Debian's fetchmail (a real, independent POP3 client, verifying our self-signed certificate)
 * retrieves mailboxes from our POP3 server (packages/pop3, spawned standalone over a temp
 * Maildir root and directory file): STLS on the plain port and implicit TLS, keep mode (TOP,
 * UIDL-tracked: a second poll finds nothing new, a newly delivered message is the only one
 * fetched next) and delete mode (DELE: the Maildir is empty afterwards), and a wrong password. Every message
 * comes out byte for byte as delivered (CRLF → LF, minus fetchmail's own Received field).
 * The same steps run against Dovecot's POP3 as a control, so a failure only on our side is ours.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/daemon.ts';
import { Fetchmail, pop3TestMessages, toLf, withoutClientTrace } from '../helpers/pop3-clients.ts';
import { type Pop3Target, type Pop3Targets, startPop3Targets } from '../helpers/pop3-targets.ts';
import { requirePrograms } from '../helpers/programs.ts';

const PASSWORD = 'correct horse';
const KEEP_USER = 'keeper@example.test';
const DELETE_USER = 'deleter@example.test';
const BADPASS_USER = 'guesser@example.test';
/** fetchmail's exit status when it polled fine and found no new mail (PS_NOMAIL). */
const NO_MAIL = 1;
/** fetchmail's exit status for a refused login (PS_AUTHFAIL). */
const AUTH_FAILED = 3;

let tmp: ReturnType<typeof makeTempDir>;
let targets: Pop3Targets | undefined;

beforeAll(async () => {
  requirePrograms('fetchmail', 'dovecot', 'dovecotPop3');
  tmp = makeTempDir('pop3-fetchmail');
  targets = await startPop3Targets([KEEP_USER, DELETE_USER, BADPASS_USER], PASSWORD);
});

afterAll(async () => {
  await targets?.stop();
  tmp?.remove();
});

function target(name: 'ours' | 'dovecot'): Pop3Target {
  if (targets === undefined) throw new Error('POP3 servers not started');
  return targets[name];
}

/** What fetchmail handed its MDA, with its Received field off, as text for readable diffs. */
function retrieved(fetchmail: Fetchmail): string[] {
  return fetchmail.messages().map((m) => withoutClientTrace(m, 'Received').toString('utf8'));
}

function asDelivered(messages: Buffer[]): string[] {
  return messages.map((m) => toLf(m).toString('utf8'));
}

/** The transcript and the server's log, for an assertion's message. */
function context(t: Pop3Target, transcript: string): string {
  return `fetchmail:\n${transcript}\n${t.name} log (tail):\n${t.log().split('\n').slice(-20).join('\n')}`;
}

describe.each(['ours', 'dovecot'] as const)('fetchmail against %s POP3', (which) => {
  it('STLS, keep mode: all messages byte for byte via TOP, then nothing new, then only the new one', async () => {
    const t = target(which);
    const fetchmail = new Fetchmail(join(tmp.path, `${which}-keep`));
    const account = { port: t.port, user: KEEP_USER, password: PASSWORD, certPath: t.certPath };
    const messages = pop3TestMessages(`keep-${which}`);
    for (const m of messages) await t.deliver(KEEP_USER, m);

    const first = await fetchmail.poll(account, { tls: 'stls', keep: true });
    expect(first.code, context(t, first.transcript)).toBe(0);
    // Plain connection upgraded with STLS, certificate verified, then USER/PASS inside TLS.
    expect(first.transcript).toMatch(/^fetchmail: POP3> STLS$/m);
    expect(first.transcript).toMatch(/SSL\/TLS: using protocol TLSv1\.[23]/);
    expect(first.transcript).not.toMatch(/certificate verification error/i);
    const beforeStls = first.transcript.slice(0, first.transcript.indexOf('POP3> STLS'));
    expect(beforeStls).not.toMatch(/POP3> (USER|PASS|AUTH)/);
    expect(first.transcript).toMatch(/^fetchmail: POP3> UIDL$/m);
    expect(first.transcript).not.toMatch(/^fetchmail: POP3> DELE/m);
    expect(retrieved(fetchmail)).toEqual(asDelivered(messages));
    expect(t.inboxFiles(KEEP_USER)).toHaveLength(messages.length);

    fetchmail.clear();
    const second = await fetchmail.poll(account, { tls: 'stls', keep: true });
    expect(second.code, context(t, second.transcript)).toBe(NO_MAIL);
    expect(second.transcript).not.toMatch(/POP3> (RETR|TOP) /);
    expect(fetchmail.messages()).toHaveLength(0);

    const [fresh] = pop3TestMessages(`keep-${which}-later`);
    if (fresh === undefined) throw new Error('no message');
    await t.deliver(KEEP_USER, fresh);
    const third = await fetchmail.poll(account, { tls: 'stls', keep: true });
    expect(third.code, context(t, third.transcript)).toBe(0);
    expect(retrieved(fetchmail)).toEqual(asDelivered([fresh]));
    expect(t.inboxFiles(KEEP_USER)).toHaveLength(messages.length + 1);
  });

  it('implicit TLS, delete mode: all messages byte for byte, DELE, and the Maildir is empty', async () => {
    const t = target(which);
    const fetchmail = new Fetchmail(join(tmp.path, `${which}-delete`));
    const account = { port: t.tlsPort, user: DELETE_USER, password: PASSWORD, certPath: t.certPath };
    const messages = pop3TestMessages(`delete-${which}`);
    for (const m of messages) await t.deliver(DELETE_USER, m);
    expect(t.inboxFiles(DELETE_USER)).toHaveLength(messages.length);

    const run = await fetchmail.poll(account, { tls: 'implicit', keep: false });
    expect(run.code, context(t, run.transcript)).toBe(0);
    expect(run.transcript).not.toMatch(/POP3> STLS/);
    // fetchmail reads with TOP n 99999999 even when it deletes (it never sets a seen flag).
    expect(run.transcript).toMatch(/^fetchmail: POP3> (RETR 1|TOP 1 99999999)$/m);
    expect(run.transcript.match(/^fetchmail: POP3> DELE \d+$/gm)).toHaveLength(messages.length);
    expect(run.transcript).toMatch(/^fetchmail: POP3> QUIT$/m);
    expect(retrieved(fetchmail)).toEqual(asDelivered(messages));
    // QUIT commits the deletions (RFC 1939 UPDATE state): the files are gone.
    expect(t.inboxFiles(DELETE_USER), context(t, run.transcript)).toEqual([]);

    fetchmail.clear();
    const again = await fetchmail.poll(account, { tls: 'implicit', keep: false });
    expect(again.code, context(t, again.transcript)).toBe(NO_MAIL);
    expect(fetchmail.messages()).toHaveLength(0);
  });

  it('a wrong password: fetchmail reports an authentication failure and nothing is retrieved or deleted', async () => {
    const t = target(which);
    const fetchmail = new Fetchmail(join(tmp.path, `${which}-badpass`));
    const [message] = pop3TestMessages(`badpass-${which}`);
    if (message === undefined) throw new Error('no message');
    await t.deliver(BADPASS_USER, message);
    const account = { port: t.tlsPort, user: BADPASS_USER, password: 'wrong', certPath: t.certPath };
    const run = await fetchmail.poll(account, { tls: 'implicit', keep: false });
    expect(run.code, context(t, run.transcript)).toBe(AUTH_FAILED);
    expect(run.transcript).toMatch(/^fetchmail: POP3< -ERR /m);
    expect(run.transcript).not.toMatch(/POP3> (STAT|UIDL|RETR|TOP|DELE)/);
    expect(fetchmail.messages()).toHaveLength(0);
    expect(t.inboxFiles(BADPASS_USER)).toHaveLength(1);
  });
});
