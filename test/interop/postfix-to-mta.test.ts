/**
 * Debian's Postfix, on loopback with a throwaway config, relays mail (relayhost
 * `[127.0.0.1]:<port>`, STARTTLS when offered) to our transfer agent's inbound listener
 * (`mailstack mta`, spawned, pregreet on as on port 25). The message lands in our
 * spool with Postfix's Received below ours; an unknown user is refused at RCPT and Postfix
 * bounces it.
 */
import { join } from 'node:path';
import { readAll } from '@mailstack/core';
import { openFileSpool } from '@mailstack/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, makeTempDir } from '../helpers/daemon.ts';
import { writeDirectoryFile } from '../helpers/directory-file.ts';
import { startMtaProcess } from '../helpers/mta-process.ts';
import { waitFor } from '../helpers/net.ts';
import { type PostfixInstance, startPostfix } from '../helpers/postfix.ts';
import { requirePrograms } from '../helpers/programs.ts';
import { runOk } from '../helpers/run.ts';
import { makeCertificate } from '../helpers/tls.ts';

const BOB = 'bob@example.test';
const SENDER = 'sender@postfix.test';

let tmp: ReturnType<typeof makeTempDir>;
let mta: Daemon | undefined;
let mtaPort = 0;
let postfix: PostfixInstance | undefined;
let spoolDir: string;

beforeAll(async () => {
  requirePrograms('postfix', 'postconf', 'swaks');
  tmp = makeTempDir('postfix-to-mta');
  const directory = join(tmp.path, 'directory.json');
  spoolDir = join(tmp.path, 'spool');
  await writeDirectoryFile(directory, [BOB]);
  const cert = await makeCertificate(tmp.path, 'mx.mailstack.test');
  const started = await startMtaProcess({
    directory,
    spool: spoolDir,
    hostname: 'mx.mailstack.test',
    cert,
  });
  mta = started.daemon;
  mtaPort = started.port;
  // no domain of Postfix's own: everything for example.test goes to the relayhost, i.e. us
  postfix = await startPostfix({ domains: [] });
  const config = join(postfix.dir, 'etc');
  await runOk('postconf', [
    '-c',
    config,
    '-e',
    `relayhost = [127.0.0.1]:${mtaPort}`,
    'smtp_tls_security_level = may',
    'smtp_tls_loglevel = 1',
    'tls_random_source = dev:/dev/urandom',
  ]);
  // the smtp client's TLS needs the tlsmgr service, which the generated master.cf only has
  // with submission
  await runOk('postconf', ['-c', config, '-M', 'tlsmgr/unix=tlsmgr unix - - n 1000? 1 tlsmgr']);
  await runOk('postfix', ['-c', config, 'reload']);
  await postfix.waitForLog(/reload -- version/);
});

afterAll(async () => {
  await postfix?.stop();
  await mta?.stop();
  tmp?.remove();
});

async function swaks(to: string, subject: string): Promise<void> {
  await runOk('swaks', [
    '--server',
    `127.0.0.1:${postfix?.smtpPort}`,
    '--ehlo',
    'client.postfix.test',
    '--from',
    SENDER,
    '--to',
    to,
    '--header',
    `Subject: ${subject}`,
    '--body',
    `body of ${subject}`,
  ]);
}

/** The message in our spool whose text contains `marker`. */
async function spooled(marker: string) {
  const spool = await openFileSpool(spoolDir, { recoverOnOpen: false });
  return waitFor(
    `a spooled message with ${JSON.stringify(marker)}\n${postfix?.log() ?? ''}\n${mta?.output() ?? ''}`,
    async () => {
      for (const m of await spool.list()) {
        const text = (await readAll(m.blob.open())).toString('utf8');
        if (text.includes(marker)) return { envelope: m.envelope, text, id: m.id };
      }
      return undefined;
    },
    30_000,
    100,
  );
}

describe('Postfix → SMTP (relayhost) → @mailstack/mta inbound → spool', () => {
  it('relays a message into our spool over STARTTLS, Postfix Received below ours', async () => {
    await swaks(BOB, 'via-postfix-relay');
    const [sent] = await (postfix as PostfixInstance).waitForLog(
      /to=<bob@example\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+.*status=sent \(250 2\.0\.0 Queued as (\S+)\)/,
    );
    const message = await spooled('Subject: via-postfix-relay');
    expect(sent).toContain(`Queued as ${message.id}`);
    expect(message.envelope).toMatchObject({
      mailFrom: SENDER,
      rcptTo: [{ address: BOB }],
      receivedFrom: { helo: 'mx.postfix.test', address: '127.0.0.1', tls: true },
    });
    const header = message.text.split('\r\n\r\n')[0] ?? '';
    const received = header
      .replace(/\r\n[ \t]+/g, ' ')
      .split('\r\n')
      .filter((l) => l.startsWith('Received:'));
    expect(received[0]).toMatch(
      /^Received: from mx\.postfix\.test \(\[127\.0\.0\.1\]\) by mx\.mailstack\.test \(Mailstack MTA\) with ESMTPS \(TLS\S+ cipher \S+\) id \S+ for <bob@example\.test>;/,
    );
    expect(received[1]).toMatch(
      /^Received: from client\.postfix\.test .*by mx\.postfix\.test \(Postfix\) with ESMTP/,
    );
    expect(message.text).toContain('body of via-postfix-relay');
    expect(postfix?.log()).toMatch(
      /TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1\.[23]/,
    );
  });

  it('gets 550 5.1.1 for an unknown user at RCPT and bounces it', async () => {
    await swaks('nobody@example.test', 'to-nobody');
    const [bounced] = await (postfix as PostfixInstance).waitForLog(
      /to=<nobody@example\.test>, relay=127\.0\.0\.1.*dsn=5\.1\.1, status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 5\.1\.1 .*/,
    );
    expect(bounced).toContain('in reply to RCPT TO command');
  });
});
