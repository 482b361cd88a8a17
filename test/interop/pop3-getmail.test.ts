/**
 * Debian's getmail (getmail6, Python's poplib over implicit TLS, verifying our self-signed
 * certificate) retrieves mailboxes from our POP3 server (packages/pop3, spawned standalone)
 * into a local Maildir: keep mode (RETR, UIDL-tracked in getmail's oldmail file: a second run
 * retrieves nothing, a newly delivered message is the only one retrieved next) and delete mode
 * (the server's Maildir is empty afterwards). Every message arrives byte for byte as delivered
 * (CRLF → LF, minus getmail's own Return-Path line). getmail has no STLS for POP3, so this is
 * implicit TLS only (fetchmail covers STLS). Dovecot's POP3 runs the same steps as a control.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/daemon.ts';
import { Getmail, pop3TestMessages, toLf, withoutClientTrace } from '../helpers/pop3-clients.ts';
import { type Pop3Target, type Pop3Targets, startPop3Targets } from '../helpers/pop3-targets.ts';
import { requirePrograms } from '../helpers/programs.ts';

const PASSWORD = 'correct horse';
const KEEP_USER = 'keeper@example.test';
const DELETE_USER = 'deleter@example.test';

let tmp: ReturnType<typeof makeTempDir>;
let targets: Pop3Targets | undefined;

beforeAll(async () => {
  requirePrograms('getmail', 'dovecot', 'dovecotPop3');
  tmp = makeTempDir('pop3-getmail');
  targets = await startPop3Targets([KEEP_USER, DELETE_USER], PASSWORD);
});

afterAll(async () => {
  await targets?.stop();
  tmp?.remove();
});

function target(name: 'ours' | 'dovecot'): Pop3Target {
  if (targets === undefined) throw new Error('POP3 servers not started');
  return targets[name];
}

/**
 * The destination Maildir's messages without getmail's Return-Path, sorted: Maildir names do
 * not keep the order of delivery, so the comparison is as a set.
 */
function retrieved(getmail: Getmail): string[] {
  return getmail
    .messages()
    .map((m) => withoutClientTrace(m, 'Return-Path').toString('utf8'))
    .sort();
}

function asDelivered(messages: Buffer[]): string[] {
  return messages.map((m) => toLf(m).toString('utf8')).sort();
}

function context(t: Pop3Target, transcript: string): string {
  return `getmail:\n${transcript}\n${t.name} log (tail):\n${t.log().split('\n').slice(-20).join('\n')}`;
}

/** getmail's summary line of a run: "N messages (B bytes) retrieved, S skipped". */
function retrievedCount(transcript: string): number | undefined {
  const m = /^\s*(\d+) messages? \(\d+ bytes?\) retrieved, \d+ skipped$/m.exec(transcript);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

describe.each(['ours', 'dovecot'] as const)('getmail against %s POP3', (which) => {
  it('implicit TLS, keep mode: all messages byte for byte, then nothing new, then only the new one', async () => {
    const t = target(which);
    const getmail = await Getmail.create(join(tmp.path, `${which}-keep`));
    const account = { port: t.tlsPort, user: KEEP_USER, password: PASSWORD, certPath: t.certPath };
    const messages = pop3TestMessages(`keep-${which}`);
    for (const m of messages) await t.deliver(KEEP_USER, m);

    const first = await getmail.retrieve(account, { keep: true });
    expect(first.code, context(t, first.transcript)).toBe(0);
    expect(retrievedCount(first.transcript), context(t, first.transcript)).toBe(messages.length);
    expect(retrieved(getmail)).toEqual(asDelivered(messages));
    expect(t.inboxFiles(KEEP_USER)).toHaveLength(messages.length);

    getmail.clear();
    const second = await getmail.retrieve(account, { keep: true });
    expect(second.code, context(t, second.transcript)).toBe(0);
    expect(retrievedCount(second.transcript) ?? 0, context(t, second.transcript)).toBe(0);
    expect(getmail.messages()).toHaveLength(0);

    const [fresh] = pop3TestMessages(`keep-${which}-later`);
    if (fresh === undefined) throw new Error('no message');
    await t.deliver(KEEP_USER, fresh);
    const third = await getmail.retrieve(account, { keep: true });
    expect(third.code, context(t, third.transcript)).toBe(0);
    expect(retrieved(getmail)).toEqual(asDelivered([fresh]));
    expect(t.inboxFiles(KEEP_USER)).toHaveLength(messages.length + 1);
  });

  it('implicit TLS, delete mode: all messages byte for byte, and the Maildir is empty', async () => {
    const t = target(which);
    const getmail = await Getmail.create(join(tmp.path, `${which}-delete`));
    const account = { port: t.tlsPort, user: DELETE_USER, password: PASSWORD, certPath: t.certPath };
    const messages = pop3TestMessages(`delete-${which}`);
    for (const m of messages) await t.deliver(DELETE_USER, m);
    expect(t.inboxFiles(DELETE_USER)).toHaveLength(messages.length);

    const run = await getmail.retrieve(account, { keep: false });
    expect(run.code, context(t, run.transcript)).toBe(0);
    expect(retrievedCount(run.transcript), context(t, run.transcript)).toBe(messages.length);
    expect(retrieved(getmail)).toEqual(asDelivered(messages));
    expect(t.inboxFiles(DELETE_USER), context(t, run.transcript)).toEqual([]);

    getmail.clear();
    const again = await getmail.retrieve(account, { keep: false });
    expect(again.code, context(t, again.transcript)).toBe(0);
    expect(getmail.messages()).toHaveLength(0);
  });
});
