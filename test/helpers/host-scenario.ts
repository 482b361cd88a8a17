import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseExposition, sampleValue } from '@mailstack/metrics';
import { runPython } from '@mailstack/testkit';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attempts } from '../hostile/throttle-clients.ts';
import {
  ALICE,
  AUTH_FAILURES_MAX,
  BOB,
  type MailstackHost,
  MESSAGES_PER_HOUR,
  startMailstackHost,
} from './mailstack-host.ts';
import { waitFor } from './net.ts';
import { run } from './run.ts';
import { submit } from './submit.ts';

/** Generous: two cores shared by several test runs, every agent a process of its own. */
const WAIT = 60_000;

/** Bob's INBOX files (new/ and cur/) in the Maildir under the host's data folder. */
async function bobsMaildir(host: MailstackHost): Promise<string[]> {
  const maildir = join(host.dir, 'data', 'mail', 'example.test', 'bob', 'Maildir');
  const files: string[] = [];
  for (const sub of ['new', 'cur']) {
    const names = await readdir(join(maildir, sub)).catch(() => [] as string[]);
    files.push(...names.map((n) => join(maildir, sub, n)));
  }
  return files;
}

async function bobHas(host: MailstackHost, text: string): Promise<boolean> {
  for (const file of await bobsMaildir(host)) {
    if ((await readFile(file, 'utf8').catch(() => '')).includes(text)) return true;
  }
  return false;
}

/** One message straight to the MDA over LMTP (what the queue runner does for local mail). */
async function lmtpDeliver(port: number, subject: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, lmtp: true, ignoreTLS: true });
  try {
    await transport.sendMail({ from: 'carol@other.test', to: BOB.user, subject, text: 'pushed' });
  } finally {
    transport.close();
  }
}

/**
 * The one script a host is held to, run as `mailstack start` and as one process per agent
 * (test/split-stack.test.ts): submit, relay, deliver, IDLE push, POP3 lock, one login
 * throttle, one sending budget, inbound MTA, health and metrics.
 */
export function hostScenario(mode: MailstackHost['mode']): void {
  const name = `a host run as ${mode === 'split' ? 'one process per agent' : '`mailstack start`'}`;
  // Room for a wait of WAIT to fail with its own message rather than the test's timeout.
  describe(name, { timeout: 3 * WAIT }, () => {
    let host: MailstackHost;
    beforeAll(async () => {
      host = await startMailstackHost(mode);
    }, 240_000);
    afterAll(() => host?.close(), 120_000);
    const logs = () => host.output();

    it('serves /healthz and /readyz once every agent is up, and valid metrics', async () => {
      const base = `http://127.0.0.1:${host.ports.web}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      await waitFor(
        '/readyz to answer 200',
        async () => (await fetch(`${base}/readyz`)).status === 200,
        WAIT,
      );
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const samples = parseExposition(text);
      expect(sampleValue(samples, 'mailstack_queue_messages')).toBe(0);
      const promtool = await runPromtool(text);
      if (promtool) expect(promtool, text).toBe('');
    });

    it('submits on 587 (STARTTLS, AUTH), delivers to bob and relays DKIM-signed to the remote MX', async () => {
      const code = await submit(host.ports.msa, ALICE.user, ALICE.pass, {
        from: ALICE.user,
        to: `${BOB.user}, someone@remote.test`,
        subject: 'submitted on 587',
        text: 'one message, one local and one remote recipient',
      });
      expect(code, logs()).toBe(250);
      await waitFor('the local copy in bob’s Maildir', () => bobHas(host, 'submitted on 587'), WAIT);
      const relayed = await waitFor('the remote MX to receive the relayed copy', () => host.relayed[0], WAIT);
      expect(relayed.from).toBe(ALICE.user);
      expect(relayed.to).toEqual(['someone@remote.test']);
      expect(relayed.data).toMatch(/^DKIM-Signature:.*\bd=example\.test\b/ims);
      expect(relayed.data).toContain('submitted on 587');
    });

    it('counts one sending budget over the MSA processes, kept across a restart', async () => {
      // alice sent 1 above through the first MSA; the second MSA process takes the rest of the hour's budget
      const send = (subject: string) =>
        submit(host.ports.msab, ALICE.user, ALICE.pass, { from: ALICE.user, to: BOB.user, subject });
      for (let i = 1; i < MESSAGES_PER_HOUR; i++) expect(await send(`within budget ${i}`), logs()).toBe(250);
      // counting alone, the second process would still take this one
      expect(await send('over budget'), logs()).toBe(451);
      expect(
        await submit(host.ports.msa, ALICE.user, ALICE.pass, {
          from: ALICE.user,
          to: BOB.user,
          subject: 'over',
        }),
      ).toBe(451);
      await host.restartExtra('msa');
      expect(await send('after a restart'), logs()).toBe(451);
      // delivered before the next step, whose IDLE counts bob's messages
      await waitFor(
        'the accepted ones in bob’s Maildir',
        () => bobHas(host, `within budget ${MESSAGES_PER_HOUR - 1}`),
        WAIT,
      );
    });

    it('pushes a delivery made by the MDA to an IMAP client in IDLE, without NOOP', async () => {
      const client = new ImapFlow({
        host: '127.0.0.1',
        port: host.ports.imap,
        secure: false,
        tls: { rejectUnauthorized: false },
        auth: { user: BOB.user, pass: BOB.pass },
        logger: false,
      });
      client.on('error', () => {});
      const sent: string[] = [];
      let idling: Promise<unknown> = Promise.resolve();
      await client.connect();
      try {
        const mailbox = await client.mailboxOpen('INBOX');
        const before = mailbox.exists;
        let pushed = 0;
        client.on('exists', (e: { count: number }) => {
          pushed = e.count;
        });
        // Every line imapflow writes from here on.
        const write = (client as unknown as { write: (chunk: string) => void }).write;
        (client as unknown as { write: (chunk: string) => void }).write = function (
          this: unknown,
          chunk: string,
        ) {
          sent.push(String(chunk));
          return write.call(this, chunk);
        };
        idling = client.idle(); // resolves when the logout below ends IDLE
        await waitFor('imapflow to send IDLE', () => sent.some((s) => / IDLE\b/i.test(s)), WAIT);
        await lmtpDeliver(host.ports.mda, 'pushed by the MDA');
        await waitFor('EXISTS pushed in IDLE', () => pushed > before, WAIT);
        expect(pushed).toBe(before + 1);
        // pushed, not polled: no NOOP, no STATUS, nothing but the IDLE itself
        expect(sent.map((s) => s.trim()).filter((s) => s && !/^\S+ IDLE$/i.test(s))).toEqual([]);
      } finally {
        await client.logout().catch(() => {});
        await idling.catch(() => {});
      }
    });

    it('holds bob’s maildrop for one POP3 session across POP3 processes', async () => {
      const r = await runPython(
        `
import poplib, sys
a = poplib.POP3('127.0.0.1', int(sys.argv[1])); a.user(sys.argv[3]); a.pass_(sys.argv[4])
b = poplib.POP3('127.0.0.1', int(sys.argv[2])); b.user(sys.argv[3])
try:
    b.pass_(sys.argv[4]); print('second login: +OK')
except poplib.error_proto as e:
    print('second login:', e.args[0].decode())
b.quit()
a.quit()
c = poplib.POP3('127.0.0.1', int(sys.argv[2])); c.user(sys.argv[3]); c.pass_(sys.argv[4])
print('after quit:', c.stat()[0] > 0); c.quit()
`,
        [String(host.ports.pop3), String(host.ports.pop3b), BOB.user, BOB.pass],
        { timeoutMs: WAIT },
      );
      expect(r.stderr, logs()).toBe('');
      expect(r.stdout).toMatch(/^second login: -ERR \[IN-USE\]/m);
      expect(r.stdout).toContain('after quit: True');
    });

    it('has one login throttle: failures on IMAP lock the address out of POP3 and submission', async () => {
      const bad = '127.0.0.9';
      const clean = '127.0.0.10';
      const bob = { user: BOB.user, password: BOB.pass };
      const out = await attempts([
        { proto: 'pop3', port: host.ports.pop3, src: bad, ...bob }, // the budget is not used up yet
        ...Array.from({ length: AUTH_FAILURES_MAX }, () => ({
          proto: 'imap' as const,
          port: host.ports.imap,
          src: bad,
          user: 'mallory@example.test',
          password: 'guess',
        })),
        { proto: 'pop3', port: host.ports.pop3, src: bad, ...bob },
        { proto: 'pop3', port: host.ports.pop3b, src: bad, ...bob },
        { proto: 'smtp', port: host.ports.msa, src: bad, ...bob },
        { proto: 'smtp', port: host.ports.msab, src: bad, ...bob },
        { proto: 'imap', port: host.ports.imap, src: bad, ...bob },
        { proto: 'pop3', port: host.ports.pop3, src: clean, ...bob },
        { proto: 'smtp', port: host.ports.msa, src: clean, ...bob },
        { proto: 'imap', port: host.ports.imap, src: clean, ...bob },
      ]);
      expect(out[0], logs()).toEqual({ ok: true, text: '' });
      for (const failed of out.slice(1, 1 + AUTH_FAILURES_MAX)) {
        expect(failed).toMatchObject({ ok: false, text: expect.stringContaining('AUTHENTICATIONFAILED') });
      }
      const [pop3, pop3b, smtp, smtpb, imap, ...fromClean] = out.slice(1 + AUTH_FAILURES_MAX);
      expect(pop3, logs()).toMatchObject({ ok: false, text: expect.stringContaining('[SYS/TEMP]') });
      expect(pop3b).toMatchObject({ ok: false, text: expect.stringContaining('[SYS/TEMP]') });
      expect(smtp).toMatchObject({ ok: false, text: expect.stringContaining('454') });
      expect(smtpb).toMatchObject({ ok: false, text: expect.stringContaining('454') });
      expect(imap).toMatchObject({ ok: false, text: expect.stringContaining('UNAVAILABLE') });
      expect(fromClean).toEqual(Array(3).fill({ ok: true, text: '' }));
    });

    it('takes mail for bob on the inbound MTA without AUTH, and refuses relay', async () => {
      const r = await runPython(
        `
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='mx.other.test')
try:
    s.sendmail('carol@other.test', ['someone@remote.test'], b'Subject: relay\\r\\n\\r\\nno\\r\\n')
except smtplib.SMTPRecipientsRefused as e:
    code, text = e.recipients['someone@remote.test']; print('relay:', code, text.decode())
s.sendmail('carol@other.test', ['bob@example.test'], b'From: carol@other.test\\r\\nSubject: inbound on 25\\r\\n\\r\\nhello\\r\\n')
print('local: accepted')
s.quit()
`,
        [String(host.ports.mta)],
        { timeoutMs: WAIT },
      );
      expect(r.stderr, logs()).toBe('');
      expect(r.stdout).toMatch(/^relay: 554 5\.7\.1 /m);
      expect(r.stdout).toContain('local: accepted');
      await waitFor('the inbound message in bob’s Maildir', () => bobHas(host, 'inbound on 25'), WAIT);
      expect(host.relayed.map((m) => m.to)).toEqual([['someone@remote.test']]);
    });

    it('adds up every process’s counts on the web port’s /metrics', async () => {
      // What the steps above did: 1 message accepted by the host's MSA (the second MSA
      // process's count went with its restart, as a Prometheus counter does), 1 by the inbound
      // MTA, the throttle step's failed IMAP logins. Split, each is another process's count.
      const counts = async () => {
        const s = parseExposition(await (await fetch(`http://127.0.0.1:${host.ports.web}/metrics`)).text());
        return {
          msa: sampleValue(s, 'mailstack_messages_accepted_total', { agent: 'msa' }),
          mta: sampleValue(s, 'mailstack_messages_accepted_total', { agent: 'mta' }),
          imapFailures: sampleValue(s, 'mailstack_auth_failures_total', { protocol: 'imap' }),
        };
      };
      const want = { msa: 1, mta: 1, imapFailures: AUTH_FAILURES_MAX };
      await waitFor(
        '/metrics to count the traffic of every agent process',
        async () => {
          const now = await counts();
          return now.msa === want.msa && now.mta === want.mta && now.imapFailures === want.imapFailures;
        },
        WAIT,
      ).catch(async () => expect(await counts()).toEqual(want));
    });
  });
}

/** `promtool check metrics` on the exposition (Debian's prometheus package); '' when it has nothing to say, undefined without promtool. */
async function runPromtool(text: string): Promise<string | undefined> {
  const r = await run('promtool', ['check', 'metrics'], { input: text }).catch(() => undefined);
  if (!r) return undefined;
  return r.code === 0 ? '' : `${r.stdout}${r.stderr}`;
}
