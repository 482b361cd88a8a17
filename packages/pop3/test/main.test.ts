import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bufferBlob } from '@mailstack/core';
import { hashPassword } from '@mailstack/directory';
import { createMaildirStore } from '@mailstack/maildir';
import { lineClient, runPython, type TempDir, tempDir } from '@mailstack/testkit';
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

const POPLIB = `
import poplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
port, mode = int(sys.argv[1]), sys.argv[2]
p = poplib.POP3_SSL('127.0.0.1', port, context=ctx) if mode == 'ssl' else poplib.POP3('127.0.0.1', port)
if mode == 'stls':
    p.stls(context=ctx)
p.user(sys.argv[3])
p.pass_(sys.argv[4])
print(p.stat()[0], p.retr(1)[1][-1].decode())
p.quit()
`;

const TWO_SESSIONS = `
import poplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
a = poplib.POP3_SSL('127.0.0.1', int(sys.argv[1]), context=ctx)
a.user(sys.argv[3])
a.pass_(sys.argv[4])
b = poplib.POP3('127.0.0.1', int(sys.argv[2]))
b.stls(context=ctx)
b.user(sys.argv[3])
try:
    b.pass_(sys.argv[4])
    print('no lock')
except poplib.error_proto as e:
    print(e.args[0])
a.quit()
b.quit()
`;

describe('main.ts', () => {
  it('refuses to start without a listener (exit 64 and usage)', () => {
    const r = spawnSync(process.execPath, [MAIN, '--data', '/nonexistent'], { encoding: 'utf8' });
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/^usage: /);
  });

  it('serves STLS and implicit TLS over one data folder with one maildrop lock; stops on SIGTERM', async () => {
    dir = await tempDir('mailstack-pop3-main-');
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
    expect(plain).toMatchObject({ event: 'listening', protocol: 'pop3', tls: 'stls', host: '127.0.0.1' });
    expect(implicit).toMatchObject({ event: 'listening', protocol: 'pop3s', tls: 'implicit' });

    for (const [port, mode] of [
      [plain!.port, 'stls'],
      [implicit!.port, 'ssl'],
    ] as const) {
      const r = await runPython(POPLIB, [port, mode, ALICE, 'pw']);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('1 Body of message 1.');
    }

    // One lock for both listeners: a session on 995 makes a login on 110 answer [IN-USE].
    const both = await runPython(TWO_SESSIONS, [implicit!.port, plain!.port, ALICE, 'pw']);
    expect(both.stderr).toBe('');
    expect(both.stdout.trim()).toBe("b'-ERR [IN-USE] maildrop already locked by another session'");
    // Before STLS, cleartext USER is refused (no development switch given).
    const c = await lineClient(plain!.port);
    expect(await c.read()).toMatch(/^\+OK/);
    await c.writeLine('USER x');
    expect(await c.read()).toMatch(/^-ERR \[AUTH\]/);
    await c.close();

    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
