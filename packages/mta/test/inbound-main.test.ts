import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAll } from '@mailstack/core';
import { hashPassword, openFileDirectory } from '@mailstack/directory';
import { createMaildirStore } from '@mailstack/maildir';
import { createLmtpServer } from '@mailstack/mda';
import { openFileSpool } from '@mailstack/queue';
import { type TempDir, tempDir } from '@mailstack/testkit';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { testCertificate } from './inbound-fixtures.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let dir: TempDir | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child?.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }
  child = undefined;
  await dir?.cleanup();
});

/** Starts main.ts; resolves with the `listening` line and the exit promise. */
function startMain(args: string[]): Promise<{ port: number; host: string; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    let out = '';
    let err = '';
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const line = JSON.parse(out.slice(0, nl)) as {
        event: string;
        protocol: string;
        port: number;
        host: string;
      };
      expect(line).toMatchObject({ event: 'listening', protocol: 'smtp' });
      resolve({ port: line.port, host: line.host, exited });
    });
    exited.then((code) => reject(new Error(`main.ts exited with ${code} before listening: ${err}`)));
  });
}

describe('mta main.ts (inbound listener)', () => {
  it('refuses to start without a listener (exit 64 and usage)', () => {
    const r = spawnSync(process.execPath, [MAIN, '--data', '/nonexistent'], { encoding: 'utf8' });
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/^usage: /);
  });

  it('takes mail for a local user into the spool, relays for trusted networks, stops on SIGTERM', async () => {
    dir = await tempDir('mailstack-mta-main-');
    const root = dir.path;
    const { key, cert } = await testCertificate();
    await writeFile(join(root, 'key.pem'), key);
    await writeFile(join(root, 'cert.pem'), cert);
    const password = await hashPassword('pw', { ln: 10, r: 8, p: 1 });
    await writeFile(
      join(root, 'directory.json'),
      JSON.stringify({ domains: ['example.test'], users: { 'bob@example.test': { password } } }),
    );
    const started = await startMain([
      '--directory',
      join(root, 'directory.json'),
      '--spool',
      join(root, 'spool'),
      '--listen',
      '127.0.0.1:0',
      '--hostname',
      'mx.example.test',
      '--tls-cert',
      join(root, 'cert.pem'),
      '--tls-key',
      join(root, 'key.pem'),
      '--trusted-networks',
      '127.0.0.0/8, ::1',
    ]);
    expect(started.host).toBe('127.0.0.1');
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: started.port,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
    });
    await transport.sendMail({ from: 'a@remote.test', to: 'bob@example.test', subject: 'to bob', text: 'x' });
    await transport.sendMail({
      from: 'app@example.test',
      to: 'x@elsewhere.test',
      subject: 'relay',
      text: 'y',
    });
    const spool = await openFileSpool(join(root, 'spool'), { recoverOnOpen: false });
    const list = await spool.list();
    expect(list.map((m) => m.envelope.rcptTo[0]?.address).sort()).toEqual([
      'bob@example.test',
      'x@elsewhere.test',
    ]);
    const text = (await readAll((list[0] as (typeof list)[0]).blob.open())).toString('utf8');
    expect(text).toMatch(
      /^Received: from \S+ \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test \(Mailstack MTA\) with ESMTPS/,
    );
    child?.kill('SIGTERM');
    expect(await started.exited).toBe(0);
  });

  it('with --deliver drains the spool: local mail over LMTP into the Maildir', async () => {
    dir = await tempDir('mailstack-mta-main-');
    const root = dir.path;
    const password = await hashPassword('pw', { ln: 10, r: 8, p: 1 });
    await writeFile(
      join(root, 'directory.json'),
      JSON.stringify({ domains: ['example.test'], users: { 'bob@example.test': { password } } }),
    );
    const directory = await openFileDirectory(join(root, 'directory.json'));
    const store = createMaildirStore({ root: join(root, 'mail') });
    const mda = createLmtpServer({ directory, store, name: 'mda.example.test' });
    const lmtp = (await mda.listen(0, '127.0.0.1')) as { port: number };
    try {
      const started = await startMain([
        '--data',
        root,
        '--listen',
        '127.0.0.1:0',
        '--hostname',
        'mx.example.test',
        '--deliver',
        '--lmtp',
        `127.0.0.1:${lmtp.port}`,
      ]);
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port: started.port,
        ignoreTLS: true,
      });
      await transport.sendMail({ from: 'a@remote.test', to: 'bob@example.test', subject: 'hop', text: 'x' });
      const inbox = await store.openFolder('bob@example.test', 'INBOX');
      for (let i = 0; i < 200 && inbox.messages().length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        await inbox.refresh();
      }
      expect(inbox.messages()).toHaveLength(1);
      const text = (await readAll(inbox.read(inbox.messages()[0]!.uid))).toString('utf8');
      expect(text).toMatch(/^Return-Path: <a@remote\.test>\r\n/);
      expect(text).toContain('by mx.example.test (Mailstack MTA)');
      await inbox.close();
      child?.kill('SIGTERM');
      expect(await started.exited).toBe(0);
    } finally {
      await mda.close();
      await directory.close();
    }
  });
});
