/**
 * The outbound keys reach the queue runner: mail for a domain in `outbound.transportMap` goes
 * to its next hop, everything else remote through `outbound.smarthost`, DKIM-signed.
 */
import { readAll, silentLogger } from '@mailstack/core';
import { createSmtpListener } from '@mailstack/smtp';
import { runPython, type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type RunningStack, startStack } from '../src/index.ts';
import { testConfig } from './test-config.ts';

interface Sink {
  port: number;
  received: Array<{ to: string[]; text: string }>;
  close(): Promise<void>;
}

/** An SMTP (or LMTP) server on 127.0.0.1 that keeps what it is sent. */
async function smtpSink(protocol: 'smtp' | 'lmtp' = 'smtp'): Promise<Sink> {
  const received: Sink['received'] = [];
  const listener = createSmtpListener({
    protocol,
    handlers: {
      async onData(message) {
        const text = (await readAll(message.stream)).toString('latin1');
        received.push({ to: message.envelope.rcptTo.map((r) => r.address), text });
        return { code: 250, enhanced: '2.0.0', text: 'kept' };
      },
    },
  });
  const bound = await listener.listen(0, '127.0.0.1');
  return { port: (bound as { port: number }).port, received, close: () => listener.close() };
}

let dir: TempDir;
let stack: RunningStack | undefined;
const sinks: Sink[] = [];
beforeEach(async () => {
  dir = await tempDir('mailstack-outbound-');
});
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  for (const s of sinks.splice(0)) await s.close();
  await dir.cleanup();
});

it('sends by the transport map and the smarthost named in the config', async () => {
  const relay = await smtpSink();
  const partner = await smtpSink();
  sinks.push(relay, partner);
  // No DNS answers: only the configured routes can deliver.
  const loaded = testConfig(dir.path);
  loaded.config.outbound.smarthost = {
    host: '127.0.0.1',
    port: relay.port,
    tls: 'none',
    verifyCertificate: false,
    auth: null,
  };
  loaded.config.outbound.transportMap = { 'partner.test': `smtp:[127.0.0.1]:${partner.port}` };
  stack = await startStack(loaded, silentLogger);
  const submissions = stack.endpoints.find((e) => e.protocol === 'submissions (TLS)')!;
  const sent = await runPython(
    `
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[1]), context=ctx); s.login('alice@example.test', sys.argv[2])
msg = b'From: alice@example.test\\r\\nTo: carol@partner.test, dave@elsewhere.test\\r\\nSubject: routed\\r\\n\\r\\nhello\\r\\n'
print(len(s.sendmail('alice@example.test', ['carol@partner.test', 'dave@elsewhere.test'], msg))); s.quit()
`,
    [String(submissions.port), stack.demo!.password],
  );
  expect(sent.stderr).toBe('');
  expect(sent.stdout.trim()).toBe('0');
  for (let i = 0; i < 200 && (relay.received.length === 0 || partner.received.length === 0); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(partner.received.map((m) => m.to)).toEqual([['carol@partner.test']]);
  expect(relay.received.map((m) => m.to)).toEqual([['dave@elsewhere.test']]);
  const signature = /^DKIM-Signature:.*?\r\n(?!\s)/s.exec(relay.received[0]?.text ?? '')?.[0] ?? '';
  expect(signature).toMatch(/\bd=example\.test;/);
  expect(signature).toMatch(/\bs=mailstack;/);
});

it('delivers local mail to the LMTP server named by queue.lmtp, with no mda listener', async () => {
  const lmtp = await smtpSink('lmtp');
  sinks.push(lmtp);
  const loaded = testConfig(dir.path);
  loaded.config.listeners = loaded.config.listeners.filter((l) => l.agent !== 'mda');
  loaded.config.queue.lmtp = `127.0.0.1:${lmtp.port}`;
  stack = await startStack(loaded, silentLogger);
  expect(stack.endpoints.some((e) => e.agent === 'mda')).toBe(false);
  const submissions = stack.endpoints.find((e) => e.protocol === 'submissions (TLS)')!;
  const sent = await runPython(
    `
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[1]), context=ctx); s.login('alice@example.test', sys.argv[2])
print(len(s.sendmail('alice@example.test', ['bob@example.test'], b'From: alice@example.test\\r\\nSubject: local\\r\\n\\r\\nhi\\r\\n'))); s.quit()
`,
    [String(submissions.port), stack.demo!.password],
  );
  expect(sent.stderr).toBe('');
  expect(sent.stdout.trim()).toBe('0');
  for (let i = 0; i < 200 && lmtp.received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(lmtp.received.map((m) => m.to)).toEqual([['bob@example.test']]);
});
