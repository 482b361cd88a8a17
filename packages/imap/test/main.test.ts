import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bufferBlob } from '@mailstack/core';
import { hashPassword } from '@mailstack/directory';
import { createMaildirStore } from '@mailstack/maildir';
import { runPython, type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, message, testCertificate } from './fixtures.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

interface Listening {
  event: 'listening';
  protocol: string;
  tls: string;
  port: number;
  host: string;
}

let dir: TempDir | undefined;
let child: ChildProcess | undefined;
let exited: Promise<number | null> | undefined;

afterEach(async () => {
  child?.kill('SIGKILL');
  await exited;
  child = undefined;
  await dir?.cleanup();
});

/** Starts main.ts; resolves once it printed `count` listening lines. */
function start(args: string[], count: number): Promise<Listening[]> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    exited = new Promise((r) => c.on('exit', (code) => r(code)));
    let out = '';
    let err = '';
    const seen: Listening[] = [];
    c.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    c.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        seen.push(JSON.parse(out.slice(0, nl)) as Listening);
        out = out.slice(nl + 1);
      }
      if (seen.length === count) resolve(seen);
    });
    c.on('error', reject);
    exited.then((code) => reject(new Error(`main.ts exited with ${code}: ${err}`)));
  });
}

const IMAPLIB = `
import imaplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
port, mode = int(sys.argv[1]), sys.argv[2]
c = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx) if mode == 'ssl' else imaplib.IMAP4('127.0.0.1', port)
if mode == 'starttls':
    c.starttls(ssl_context=ctx)
c.login(sys.argv[3], sys.argv[4])
typ, data = c.select('INBOX')
typ, msg = c.fetch('1', '(BODY.PEEK[TEXT])')
print(data[0].decode(), msg[0][1].decode().strip())
c.logout()
`;

describe('main.ts', () => {
  it('refuses to start without a listener (exit 64 and usage)', () => {
    const r = spawnSync(process.execPath, [MAIN, '--data', '/nonexistent'], { encoding: 'utf8' });
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/^usage: /);
  });

  it('serves STARTTLS and implicit TLS to Python imaplib; stops on SIGTERM', async () => {
    dir = await tempDir('mailstack-imap-main-');
    const root = dir.path;
    const { key, cert } = await testCertificate();
    await writeFile(join(root, 'key.pem'), key);
    await writeFile(join(root, 'cert.pem'), cert);
    const password = await hashPassword('pw', { ln: 10, r: 8, p: 1 });
    await writeFile(
      join(root, 'directory.json'),
      JSON.stringify({ domains: ['example.test'], users: { [ALICE]: { password } } }),
    );
    const data = join(root, 'data');
    await createMaildirStore({ root: data }).deliver(ALICE, bufferBlob(message(1)));
    const [plain, implicit] = await start(
      ['--data', data, '--directory', join(root, 'directory.json'), '--listen', '127.0.0.1:0'].concat([
        '--listen-tls',
        '127.0.0.1:0',
        '--cert',
        join(root, 'cert.pem'),
        '--key',
        join(root, 'key.pem'),
      ]),
      2,
    );
    expect(plain).toMatchObject({ event: 'listening', protocol: 'imap', tls: 'starttls', host: '127.0.0.1' });
    expect(implicit).toMatchObject({ event: 'listening', protocol: 'imaps', tls: 'implicit' });
    for (const [port, mode] of [
      [plain!.port, 'starttls'],
      [implicit!.port, 'ssl'],
    ] as const) {
      const r = await runPython(IMAPLIB, [port, mode, ALICE, 'pw']);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('1 Body of message 1.');
    }
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
