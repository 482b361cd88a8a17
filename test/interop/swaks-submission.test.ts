/**
 * Debian's swaks (a real, independent SMTP client, with Perl's IO::Socket::SSL) against our
 * submission agent (packages/msa, spawned standalone over a temp directory file and spool):
 * STARTTLS + AUTH PLAIN, AUTH LOGIN, implicit TLS, a bad password, no AUTH, and the accepted
 * messages read back from the spool through packages/queue's public API. The same swaks runs
 * against Postfix's submission service as a control, so a failure above is ours, not swaks's.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '@mailstack/core';
import { openFileSpool } from '@mailstack/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/daemon.ts';
import { writeDirectoryFile } from '../helpers/directory-file.ts';
import { type MsaProcess, startMsa } from '../helpers/msa.ts';
import { type PostfixSubmission, startPostfixSubmission } from '../helpers/postfix-submission.ts';
import { requirePrograms } from '../helpers/programs.ts';
import { run } from '../helpers/run.ts';
import { makeCertificate } from '../helpers/tls.ts';

const ALICE = 'alice@example.test';
const PASSWORD = 'correct horse';

let tmp: ReturnType<typeof makeTempDir>;
let spoolDir: string;
let msa: MsaProcess | undefined;

beforeAll(async () => {
  requirePrograms('swaks');
  tmp = makeTempDir('swaks-submission');
  spoolDir = join(tmp.path, 'spool');
  const directory = join(tmp.path, 'directory.json');
  await writeDirectoryFile(directory, [ALICE, 'bob@example.test'], PASSWORD);
  const tls = join(tmp.path, 'tls');
  mkdirSync(tls);
  const { certPath, keyPath } = await makeCertificate(tls);
  msa = await startMsa({ data: join(tmp.path, 'msa'), directory, spool: spoolDir, certPath, keyPath });
});

afterAll(async () => {
  await msa?.stop();
  tmp?.remove();
});

interface SwaksRun {
  code: number | null;
  transcript: string;
}

/** One swaks session; `auth` undefined sends no AUTH; `tls` picks STARTTLS or implicit TLS. */
async function swaks(options: {
  port: number;
  tls: 'starttls' | 'implicit';
  auth?: { type: 'PLAIN' | 'LOGIN'; user: string; password: string };
  subject: string;
  to?: string;
}): Promise<SwaksRun> {
  const args = [
    '--server',
    `127.0.0.1:${options.port}`,
    options.tls === 'implicit' ? '--tls-on-connect' : '--tls',
    '--ehlo',
    'swaks.test',
    '--from',
    ALICE,
    '--to',
    options.to ?? 'carol@remote.test',
    '--header',
    `Subject: ${options.subject}`,
    '--body',
    `body of ${options.subject}`,
    '--timeout',
    '20',
  ];
  if (options.auth !== undefined) {
    args.push(
      '--auth',
      options.auth.type,
      '--auth-user',
      options.auth.user,
      '--auth-password',
      options.auth.password,
    );
  }
  const result = await run('swaks', args, { timeoutMs: 60_000 });
  return { code: result.code, transcript: result.stdout + result.stderr };
}

/** The queue id in the 250 reply to the final dot, if there was one. */
function acceptedAfterDot(transcript: string): boolean {
  const afterDot = transcript.slice(transcript.lastIndexOf('\n ~> .\n') + 1);
  return /^<~ {2}250 /m.test(afterDot);
}

/** Queued messages whose body contains `marker`, read through packages/queue's public API. */
async function queuedWith(marker: string) {
  // Read-only view of a spool another process owns: no crash clean-up from here.
  const spool = await openFileSpool(spoolDir, { recoverOnOpen: false });
  const found = [];
  for (const message of await spool.list()) {
    const body = (await readAll(message.blob.open())).toString('utf8');
    if (body.includes(marker)) found.push({ message, body });
  }
  return found;
}

function port(): number {
  if (msa === undefined) throw new Error('msa not started');
  return msa.port;
}

function tlsPort(): number {
  if (msa === undefined) throw new Error('msa not started');
  return msa.tlsPort;
}

describe('swaks against @mailstack/msa', () => {
  it('STARTTLS + AUTH PLAIN: 220, EHLO offers AUTH only after TLS, 235, 250, and the message is in the spool', async () => {
    const { code, transcript } = await swaks({
      port: port(),
      tls: 'starttls',
      auth: { type: 'PLAIN', user: ALICE, password: PASSWORD },
      subject: 'plain-starttls',
    });
    expect(code, transcript).toBe(0);
    expect(transcript).toMatch(/^<- {2}220 /m);
    expect(transcript).toMatch(/^<- {2}250[- ]STARTTLS$/m);
    // Before TLS no AUTH is offered (RFC 6409 + no cleartext passwords); after it, PLAIN is.
    const beforeTls = transcript.slice(0, transcript.indexOf(' -> STARTTLS'));
    expect(beforeTls).not.toMatch(/^<- {2}250[- ]AUTH/m);
    expect(transcript).toMatch(/^<~ {2}250[- ]AUTH .*PLAIN/m);
    expect(transcript).toMatch(/^<~ {2}235 /m);
    expect(acceptedAfterDot(transcript)).toBe(true);

    const queued = await queuedWith('Subject: plain-starttls');
    expect(queued).toHaveLength(1);
    const [entry] = queued;
    expect(entry?.message.envelope.mailFrom).toBe(ALICE);
    expect(entry?.message.envelope.rcptTo.map((r) => r.address)).toEqual(['carol@remote.test']);
    expect(entry?.message.recipients.map((r) => r.status)).toEqual(['pending']);
    expect(entry?.body).toContain('body of plain-starttls');
    // The MSA's trace header on top: authenticated submission over TLS (RFC 3848 ESMTPSA).
    expect(entry?.body).toMatch(/^Received: [^\r\n]*(\r\n[ \t][^\r\n]*)*with ESMTPSA/);
    // The queue id swaks was told is the spool's id for this message.
    expect(transcript).toContain(entry?.message.id ?? '<no id>');
  });

  it('STARTTLS + AUTH LOGIN is accepted and queued', async () => {
    const { code, transcript } = await swaks({
      port: port(),
      tls: 'starttls',
      auth: { type: 'LOGIN', user: ALICE, password: PASSWORD },
      subject: 'login-starttls',
    });
    expect(code, transcript).toBe(0);
    expect(transcript).toMatch(/^ ~> AUTH LOGIN$/m);
    expect(transcript).toMatch(/^<~ {2}334 /m);
    expect(transcript).toMatch(/^<~ {2}235 /m);
    expect(acceptedAfterDot(transcript)).toBe(true);
    expect(await queuedWith('Subject: login-starttls')).toHaveLength(1);
  });

  it('implicit TLS (--tls-on-connect) + AUTH PLAIN is accepted and queued', async () => {
    const { code, transcript } = await swaks({
      port: tlsPort(),
      tls: 'implicit',
      auth: { type: 'PLAIN', user: ALICE, password: PASSWORD },
      subject: 'plain-implicit',
    });
    expect(code, transcript).toBe(0);
    // TLS from the first byte: the greeting already comes over TLS, no STARTTLS.
    expect(transcript).toMatch(/^<~ {2}220 /m);
    expect(transcript).not.toMatch(/-> STARTTLS/);
    expect(transcript).toMatch(/^<~ {2}235 /m);
    expect(acceptedAfterDot(transcript)).toBe(true);
    expect(await queuedWith('Subject: plain-implicit')).toHaveLength(1);
  });

  it('a bad password gets 535 and nothing is queued', async () => {
    const { code, transcript } = await swaks({
      port: port(),
      tls: 'starttls',
      auth: { type: 'PLAIN', user: ALICE, password: 'wrong' },
      subject: 'bad-password',
    });
    expect(code, transcript).not.toBe(0);
    expect(transcript).toMatch(/^<~\* 535 5\.7\.8 /m);
    expect(transcript).not.toMatch(/-> MAIL FROM/);
    expect(await queuedWith('Subject: bad-password')).toHaveLength(0);
  });

  it('MAIL without AUTH gets 530 5.7.0 and nothing is queued', async () => {
    const { code, transcript } = await swaks({ port: port(), tls: 'starttls', subject: 'no-auth' });
    expect(code, transcript).not.toBe(0);
    expect(transcript).toMatch(/^ ~> MAIL FROM:<alice@example\.test>\n<~\* 530 5\.7\.0 /m);
    expect(await queuedWith('Subject: no-auth')).toHaveLength(0);
  });
});

describe('harness control: the same swaks runs against Postfix submission', () => {
  let postfix: PostfixSubmission | undefined;

  beforeAll(async () => {
    postfix = await startPostfixSubmission({ users: { [ALICE]: PASSWORD } });
  });

  afterAll(async () => {
    await postfix?.stop();
  });

  it('accepts STARTTLS + PLAIN, STARTTLS + LOGIN and implicit TLS, refuses a bad password with 535', async () => {
    const pf = postfix as PostfixSubmission;
    const runs = [
      await swaks({
        port: pf.port,
        tls: 'starttls',
        auth: { type: 'PLAIN', user: ALICE, password: PASSWORD },
        subject: 'c1',
      }),
      await swaks({
        port: pf.port,
        tls: 'starttls',
        auth: { type: 'LOGIN', user: ALICE, password: PASSWORD },
        subject: 'c2',
      }),
      await swaks({
        port: pf.tlsPort,
        tls: 'implicit',
        auth: { type: 'PLAIN', user: ALICE, password: PASSWORD },
        subject: 'c3',
      }),
    ];
    for (const r of runs) {
      expect(r.code, r.transcript).toBe(0);
      expect(acceptedAfterDot(r.transcript)).toBe(true);
    }
    expect(await pf.heldIds()).toHaveLength(3);
    const bad = await swaks({
      port: pf.port,
      tls: 'starttls',
      auth: { type: 'PLAIN', user: ALICE, password: 'wrong' },
      subject: 'c4',
    });
    expect(bad.transcript).toMatch(/^<~\* 535 5\.7\.8 /m);
    expect(await pf.heldIds()).toHaveLength(3);
  });
});
