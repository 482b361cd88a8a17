/**
 * Debian's Postfix, on loopback with a throwaway config, takes mail over SMTP and delivers
 * it through our LMTP server (packages/mda, spawned) into the Maildir; a recipient our
 * LMTP refuses with 550 makes Postfix bounce to the sender, also through our LMTP.
 */
import { join } from 'node:path';
import { readAll } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/daemon.ts';
import { writeDirectoryFile } from '../helpers/directory-file.ts';
import { startDovecot } from '../helpers/dovecot.ts';
import { type MdaProcess, startMda } from '../helpers/mda.ts';
import { waitFor } from '../helpers/net.ts';
import { type PostfixInstance, startPostfix } from '../helpers/postfix.ts';
import { requirePrograms } from '../helpers/programs.ts';
import { runOk } from '../helpers/run.ts';

const DOMAIN = 'example.test';
const BOB = `bob@${DOMAIN}`;
const CAROL = `carol@${DOMAIN}`;
const DAVE = `dave@${DOMAIN}`;
const SENDER = `sender@${DOMAIN}`;

let tmp: ReturnType<typeof makeTempDir>;
let mda: MdaProcess | undefined;
let postfix: PostfixInstance | undefined;
let mailRoot: string;

beforeAll(async () => {
  requirePrograms('postfix', 'swaks');
  tmp = makeTempDir('postfix-lmtp');
  mailRoot = join(tmp.path, 'mail');
  const directory = join(tmp.path, 'directory.json');
  await writeDirectoryFile(directory, [BOB, CAROL, DAVE, SENDER]);
  mda = await startMda({ data: mailRoot, directory });
  postfix = await startPostfix({ domains: [DOMAIN], lmtp: { host: mda.host, port: mda.port } });
});

afterAll(async () => {
  await postfix?.stop();
  await mda?.stop();
  tmp?.remove();
});

async function smtpSend(to: string | string[], marker: string): Promise<void> {
  if (postfix === undefined) throw new Error('postfix not started');
  await runOk('swaks', [
    '--server',
    `127.0.0.1:${postfix.smtpPort}`,
    '--ehlo',
    'client.test',
    '--from',
    SENDER,
    '--to',
    Array.isArray(to) ? to.join(',') : to,
    '--header',
    `Subject: ${marker}`,
    '--body',
    `body of ${marker}`,
  ]);
}

/** The first message in a user's INBOX (read with our store) that contains `marker`. */
async function messageWith(user: string, marker: string): Promise<string> {
  const store = createMaildirStore({ root: mailRoot });
  return waitFor(
    `a message with ${JSON.stringify(marker)} in ${user}'s INBOX\n${postfix?.log() ?? ''}\n${mda?.output() ?? ''}`,
    async () => {
      const folders = await store.listFolders(user).catch(() => []);
      if (!folders.some((f) => f.name === 'INBOX')) return undefined;
      const inbox = await store.openFolder(user, 'INBOX');
      try {
        await inbox.refresh();
        for (const m of inbox.messages()) {
          const text = (await readAll(inbox.read(m.uid))).toString('utf8');
          if (text.includes(marker)) return text;
        }
        return undefined;
      } finally {
        await inbox.close();
      }
    },
    30_000,
    100,
  );
}

describe('Postfix → LMTP → @mailstack/mda → Maildir', () => {
  it('takes several recipients in one LMTP transaction and answers each after DATA', async () => {
    await smtpSend([CAROL, `ghost@${DOMAIN}`, DAVE], 'three-rcpts');
    const log = postfix as PostfixInstance;
    await log.waitForLog(/to=<carol@example\.test>.*status=sent/);
    await log.waitForLog(/to=<dave@example\.test>.*status=sent/);
    await log.waitForLog(/to=<ghost@example\.test>.*status=bounced/);
    // One queue id, one LMTP session: the two accepted recipients got their own reply.
    const ids = [CAROL, DAVE].map((r) => {
      const m = new RegExp(`([0-9A-F]+): to=<${r.replaceAll('.', '\\.')}>, relay=127\\.0\\.0\\.1`).exec(
        log.log(),
      );
      return m?.[1];
    });
    expect(ids[0]).toBeDefined();
    expect(ids[1]).toBe(ids[0]);
    for (const user of [CAROL, DAVE]) {
      expect(await messageWith(user, 'Subject: three-rcpts')).toContain(`Delivered-To: ${user}\r\n`);
    }
  });

  it('delivers a message sent over SMTP into the INBOX with Return-Path and Delivered-To', async () => {
    await smtpSend(BOB, 'via-postfix-1');
    await postfix?.waitForLog(/to=<bob@example\.test>.*status=sent/);
    const text = await messageWith(BOB, 'Subject: via-postfix-1');
    const header = text.split('\r\n\r\n')[0] ?? '';
    expect(header).toMatch(/^Return-Path: <sender@example\.test>\r\n/m);
    expect(header).toMatch(/^Delivered-To: bob@example\.test\r?$/m);
    expect(header).toMatch(/^Received: .*\r\n\s+by mx\.postfix\.test \(Postfix\) with ESMTP/m);
    expect(header).toMatch(/^Subject: via-postfix-1\r?$/m);
    expect(text).toContain('body of via-postfix-1');
  });

  it('bounces mail for an unknown user: our LMTP says 550, Postfix sends the sender a DSN', async () => {
    await smtpSend(`nobody@${DOMAIN}`, 'to-nobody');
    const [bounced] = await (postfix as PostfixInstance).waitForLog(
      /to=<nobody@example\.test>.*dsn=5\.\d\.\d+, status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 .*/,
    );
    expect(bounced).toContain('in reply to RCPT TO command');
    await postfix?.waitForLog(/sender non-delivery notification/);
    await postfix?.waitForLog(/to=<sender@example\.test>.*status=sent/);
    // The DSN quotes the bounced message's headers, so its subject finds it.
    const dsn = await messageWith(SENDER, 'Subject: to-nobody');
    expect(dsn).toContain('Subject: Undelivered Mail Returned to Sender');
    expect(dsn).toMatch(/^Return-Path: <>\r\n/);
    expect(dsn).toMatch(/^Delivered-To: sender@example\.test\r?$/m);
    expect(dsn).toContain('Content-Type: multipart/report; report-type=delivery-status');
    expect(dsn).toMatch(/Final-Recipient: rfc822; ?nobody@example\.test/);
    expect(dsn).toContain('Subject: to-nobody');
  });
});

describe('harness control: the same Postfix setup in front of Dovecot LMTP', () => {
  it('delivers into Dovecot (so a failure above is ours, not the harness)', async () => {
    const dovecot = await startDovecot({ users: { [BOB]: 'secret' } });
    let control: PostfixInstance | undefined;
    try {
      control = await startPostfix({
        domains: [DOMAIN],
        lmtp: { host: '127.0.0.1', port: dovecot.ports.lmtp },
      });
      await runOk('swaks', [
        '--server',
        `127.0.0.1:${control.smtpPort}`,
        '--from',
        SENDER,
        '--to',
        BOB,
        '--header',
        'Subject: control',
      ]);
      await control.waitForLog(/to=<bob@example\.test>.*status=sent/);
      const [message] = await dovecot.fetch(BOB, 'INBOX');
      expect(message?.text).toMatch(
        /^Return-Path: <sender@example\.test>\nDelivered-To: bob@example\.test\n/,
      );
    } finally {
      await control?.stop();
      await dovecot.stop();
    }
  });
});
