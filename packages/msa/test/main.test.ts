import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAll } from '@mailstack/core';
import { hashPassword } from '@mailstack/directory';
import { openFileSpool } from '@mailstack/queue';
import { type TempDir, tempDir } from '@mailstack/testkit';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN, type MsaProcess, startMsa } from './children.ts';
import { testCertificate } from './fixtures.ts';

let dir: TempDir | undefined;
let running: MsaProcess | undefined;
afterEach(async () => {
  running?.child.kill('SIGKILL');
  await running?.exited;
  running = undefined;
  await dir?.cleanup();
});

describe('main.ts', () => {
  it('refuses to start without a listener or certificate (exit 64 and usage)', () => {
    const r = spawnSync(process.execPath, [MAIN, '--data', '/nonexistent'], { encoding: 'utf8' });
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/^usage: /);
  });

  it('prints one JSON line per listener, takes mail on both, stops on SIGTERM', async () => {
    dir = await tempDir('mailstack-msa-main-');
    const root = dir.path;
    const { key, cert } = await testCertificate();
    await writeFile(join(root, 'key.pem'), key);
    await writeFile(join(root, 'cert.pem'), cert);
    const password = await hashPassword('pw', { ln: 10, r: 8, p: 1 });
    await writeFile(
      join(root, 'directory.json'),
      JSON.stringify({ domains: ['example.test'], users: { 'alice@example.test': { password } } }),
    );
    running = await startMsa(
      [
        '--data',
        join(root, 'data'),
        '--directory',
        join(root, 'directory.json'),
        '--listen',
        '127.0.0.1:0',
        '--listen-tls',
        '127.0.0.1:0',
        '--cert',
        join(root, 'cert.pem'),
        '--key',
        join(root, 'key.pem'),
        '--hostname',
        'msa.example.test',
      ],
      2,
    );
    const [plain, implicit] = running.listening;
    expect(plain).toMatchObject({
      event: 'listening',
      protocol: 'submission',
      tls: 'starttls',
      host: '127.0.0.1',
    });
    expect(implicit).toMatchObject({ event: 'listening', protocol: 'submissions', tls: 'implicit' });
    for (const [port, secure] of [
      [plain?.port, false],
      [implicit?.port, true],
    ] as const) {
      const info = await nodemailer
        .createTransport({
          host: '127.0.0.1',
          port,
          secure,
          requireTLS: !secure,
          tls: { rejectUnauthorized: false },
          auth: { user: 'alice@example.test', pass: 'pw' },
        })
        .sendMail({ from: 'alice@example.test', to: 'bob@remote.test', subject: `via ${port}`, text: 'hi' });
      expect(info.response).toMatch(/^250 2\.0\.0 Queued as /);
    }
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    running = undefined;
    // --spool defaults to <data>/spool
    const spool = await openFileSpool(join(root, 'data', 'spool'));
    const bodies = await Promise.all(
      (await spool.list()).map(async (m) => (await readAll(m.blob.open())).toString()),
    );
    expect(bodies).toHaveLength(2);
    for (const b of bodies)
      expect(b).toMatch(/^Received: from .*\r\n\tby msa\.example\.test \(Mailstack MSA\) with ESMTPSA/);
  });
});
