/**
 * Issue 12: a renewed certificate is served without a restart. The stack's certificate files
 * are replaced (key, then certificate, each by rename, as certbot and `install` do); new
 * connections on every TLS listener, implicit and STARTTLS alike, then see the new certificate.
 */
import { X509Certificate } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '@mailstack/core';
import { runPython, type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type RunningStack, startStack } from '../src/index.ts';
import { selfSignedCertificate } from '../src/tls/self-signed.ts';
import { testConfig } from './test-config.ts';

/** The SHA-256 of the certificate each listener presents, one line per port given. */
const FINGERPRINTS = `
import hashlib, imaplib, poplib, smtplib, socket, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def fp(sock): return hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest()
for spec in sys.argv[1:]:
    kind, port = spec.split(':'); port = int(port)
    if kind == 'implicit':
        with ctx.wrap_socket(socket.create_connection(('127.0.0.1', port))) as s: print(fp(s))
    elif kind == 'smtp':
        c = smtplib.SMTP('127.0.0.1', port); c.starttls(context=ctx); print(fp(c.sock)); c.quit()
    elif kind == 'imap':
        c = imaplib.IMAP4('127.0.0.1', port); c.starttls(ssl_context=ctx); print(fp(c.sock)); c.logout()
    elif kind == 'pop3':
        c = poplib.POP3('127.0.0.1', port); c.stls(context=ctx); print(fp(c.sock)); c.quit()
`;

let dir: TempDir;
let stack: RunningStack | undefined;
beforeEach(async () => {
  dir = await tempDir('mailstack-tls-reload-');
});
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  await dir.cleanup();
});

const fingerprint = (pem: string | Buffer) =>
  new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();

it('serves a replaced certificate on every TLS listener without a restart', async () => {
  stack = await startStack(testConfig(dir.path), silentLogger);
  const kinds: Record<string, string> = {
    smtp: 'smtp',
    'submission (STARTTLS)': 'smtp',
    'submissions (TLS)': 'implicit',
    'imap (STARTTLS)': 'imap',
    'imaps (TLS)': 'implicit',
    'pop3 (STLS)': 'pop3',
    'pop3s (TLS)': 'implicit',
  };
  const specs = stack.endpoints.filter((e) => kinds[e.protocol]).map((e) => `${kinds[e.protocol]}:${e.port}`);
  expect(specs).toHaveLength(7);
  const seen = async () => {
    const out = await runPython(FINGERPRINTS, specs);
    expect(out.stderr).toBe('');
    return out.stdout.trim().split('\n');
  };

  const { readFile } = await import('node:fs/promises');
  const before = fingerprint(await readFile(stack.paths.cert));
  expect(await seen()).toEqual(new Array(7).fill(before));

  const renewed = selfSignedCertificate('renewed.example.test');
  const after = fingerprint(renewed.cert);
  expect(after).not.toBe(before);
  await writeFile(join(dir.path, 'key.new'), renewed.key);
  await rename(join(dir.path, 'key.new'), stack.paths.key);
  await writeFile(join(dir.path, 'cert.new'), renewed.cert);
  await rename(join(dir.path, 'cert.new'), stack.paths.cert);

  // The watcher reloads on its own time: wait for the condition, bounded.
  let now = await seen();
  for (let i = 0; i < 40 && now.some((f) => f !== after); i++) now = await seen();
  expect(now).toEqual(new Array(7).fill(after));
});
