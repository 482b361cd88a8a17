/**
 * The limits and relay keys of the config reach the agents: a per-client cap on IMAP, the
 * recipients cap on the MTA, the per-user sending limit on the MSA, and relayNetworks; the
 * scrypt cost of auth.scrypt reaches the directory (the demo users' hashes).
 */
import { readFile } from 'node:fs/promises';
import { silentLogger } from '@mailstack/core';
import { runPython, type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type RunningStack, startStack } from '../src/index.ts';
import { directoryOptions } from '../src/shared.ts';
import { testConfig } from './test-config.ts';

let dir: TempDir;
let stack: RunningStack | undefined;
beforeEach(async () => {
  dir = await tempDir('mailstack-limits-');
});
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  await dir.cleanup();
});

it('applies limits.* and outbound.relayNetworks from the config', async () => {
  const loaded = testConfig(dir.path);
  loaded.config.limits.imap.connectionsPerClient = 1;
  loaded.config.limits.smtp.recipientsPerMessage = 2;
  loaded.config.limits.sending.recipientsPerMessage = 1;
  loaded.config.mta.pregreet = '0ms';
  loaded.config.outbound.relayNetworks = ['127.0.0.0/8'];
  stack = await startStack(loaded, silentLogger);
  const port = (protocol: string) => String(stack!.endpoints.find((e) => e.protocol === protocol)!.port);
  const out = await runPython(
    `
import imaplib, smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
first = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
try:
    imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
    print('second imap: accepted')
except imaplib.IMAP4.error as e:
    print('second imap:', e)
first.logout()
m = smtplib.SMTP('127.0.0.1', int(sys.argv[2])); m.ehlo('client.test'); m.mail('x@relay.test')
print(m.rcpt('a@elsewhere.test')[0], m.rcpt('b@elsewhere.test')[0], m.rcpt('c@elsewhere.test')[0]); m.quit()
s = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[3]), context=ctx); s.login('alice@example.test', sys.argv[4])
s.mail('alice@example.test'); print(s.rcpt('bob@example.test')[0], s.rcpt('alice@example.test')[0]); s.quit()
`,
    [port('imap (STARTTLS)'), port('smtp'), port('submissions (TLS)'), stack.demo!.password],
  );
  expect(out.stderr).toBe('');
  expect(out.stdout.trim().split('\n')).toEqual([
    "second imap: b'* BYE [UNAVAILABLE] too many connections from your address'",
    '250 250 452',
    '250 452',
  ]);
});

it('hashes the demo users at auth.scrypt and hands auth.cache to the directory', async () => {
  const loaded = testConfig(dir.path);
  loaded.config.auth.scrypt = { ln: 11, r: 4, p: 1 };
  loaded.config.auth.cache = { ttl: '90s', size: 5 };
  expect(directoryOptions(loaded.config)).toEqual({
    scrypt: { ln: 11, r: 4, p: 1 },
    authCache: { ttlMs: 90_000, maxEntries: 5 },
  });
  stack = await startStack(loaded, silentLogger);
  const users = JSON.parse(await readFile(stack.paths.directory, 'utf8')).users as Record<
    string,
    { password: string }
  >;
  expect(Object.keys(users).length).toBeGreaterThan(0);
  for (const u of Object.values(users)) expect(u.password).toMatch(/^\$scrypt\$ln=11,r=4,p=1\$/);
});
