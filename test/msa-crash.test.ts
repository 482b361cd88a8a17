import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigInput } from '@mailstack/config';
import { readAll } from '@mailstack/core';
import { hashPassword } from '@mailstack/directory';
import { openFileSpool } from '@mailstack/queue';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { plainAuth, testCertificate } from '../packages/msa/test/fixtures.ts';
import { TlsSmtpClient } from '../packages/msa/test/tls-client.ts';
import { type AgentChild, filesConfig, loopback, startAgentChild } from './helpers/mailstack-agent.ts';

type MsaProcess = AgentChild;
/** `mailstack msa` with one implicit-TLS listener. */
const startMsa = (config: ConfigInput) => startAgentChild('msa', config);

const MESSAGES = 500;
const CONNECTIONS = 10;
/** The server is SIGKILLed when this many messages have been acknowledged. */
const KILL_AT = [120, 300];

let dir: TempDir | undefined;
let running: MsaProcess | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await dir?.cleanup();
});

async function prepare(root: string): Promise<ConfigInput> {
  const { key, cert } = await testCertificate();
  await writeFile(join(root, 'key.pem'), key);
  await writeFile(join(root, 'cert.pem'), cert);
  const password = await hashPassword('alice-pw', { ln: 10, r: 8, p: 1 });
  const data = {
    domains: ['example.test'],
    users: { 'alice@example.test': { password } },
  };
  await writeFile(join(root, 'directory.json'), JSON.stringify(data));
  return {
    ...filesConfig({
      directory: join(root, 'directory.json'),
      spool: join(root, 'spool'),
      data: join(root, 'data'),
      cert: { certPath: join(root, 'cert.pem'), keyPath: join(root, 'key.pem') },
    }),
    listeners: [loopback('msa', 'implicit')],
  };
}

const message = (n: number) =>
  `From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: crash ${n}\r\nMessage-ID: <crash-${n}@example.test>\r\n\r\nbody of ${n}\r\n.\r\n`;

describe('crash safety (`mailstack msa` killed with SIGKILL)', () => {
  it('every 250 is in the spool exactly once; nothing unacknowledged counts as accepted', async () => {
    dir = await tempDir('mailstack-msa-crash-');
    const args = await prepare(dir.path);
    running = await startMsa(args);
    let port = running.listening[0]?.port as number;
    /** Resolves when the server that is currently down is back; replaced on every kill. */
    let back: Promise<void> = Promise.resolve();
    let generation = 0;

    const acked = new Set<number>();
    const interrupted = new Set<number>();
    const refused = new Map<number, string>();
    let next = 0;
    let kills = 0;

    const maybeKill = async () => {
      if (kills >= KILL_AT.length || acked.size < (KILL_AT[kills] as number)) return;
      kills++;
      const victim = running as MsaProcess;
      let release!: () => void;
      back = new Promise<void>((r) => {
        release = r;
      });
      generation++;
      victim.child.kill('SIGKILL');
      await victim.exited;
      running = await startMsa(args);
      port = running.listening[0]?.port as number;
      release();
    };

    const connect = async (): Promise<TlsSmtpClient> => {
      for (let attempt = 0; ; attempt++) {
        await back;
        const seen = generation;
        try {
          const c = await TlsSmtpClient.implicit(port);
          await c.expect(/^220 /);
          await c.command('EHLO crash.example.test', /^250-/);
          await c.command(`AUTH PLAIN ${plainAuth('alice@example.test', 'alice-pw')}`, /^235 /);
          return c;
        } catch (err) {
          // only a server that died in between may refuse us; otherwise it is a real failure
          if (seen === generation && attempt > 0) throw err;
          if (seen === generation) await back;
        }
      }
    };

    const worker = async () => {
      let c: TlsSmtpClient | undefined;
      while (next < MESSAGES) {
        const n = next++;
        c ??= await connect();
        let stage = 'commands';
        try {
          await c.command('MAIL FROM:<alice@example.test>', /^250 /);
          await c.command('RCPT TO:<bob@remote.test>', /^250 /);
          await c.command('DATA', /^354/);
          stage = 'data';
          c.write(message(n));
          const reply = await c.reply();
          if (reply.startsWith('250 ')) acked.add(n);
          else refused.set(n, reply);
        } catch (err) {
          // the connection died: a message whose final dot was sent may or may not be stored
          if (stage === 'data') interrupted.add(n);
          else if (!/closed|ECONNRESET|EPIPE/.test(String(err))) refused.set(n, String(err));
          c.close();
          c = undefined;
        }
        await maybeKill();
      }
      c?.close();
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));

    running.child.kill('SIGTERM');
    await running.exited;
    running = undefined;

    const spool = await openFileSpool(join(dir.path, 'spool'));
    const copies = new Map<number, number>();
    for (const m of await spool.list()) {
      const text = (await readAll(m.blob.open())).toString();
      const n = Number(/^Message-ID: <crash-(\d+)@example\.test>/m.exec(text)?.[1] ?? Number.NaN);
      copies.set(n, (copies.get(n) ?? 0) + 1);
    }
    const storedButUnacked = [...copies.keys()].filter((n) => !acked.has(n));

    expect(kills).toBe(KILL_AT.length);
    expect(refused).toEqual(new Map());
    for (const n of acked) expect(copies.get(n), `message ${n} acknowledged`).toBe(1);
    // anything stored without a 250 must be a message whose connection died after its final dot
    for (const n of storedButUnacked)
      expect(interrupted.has(n), `message ${n} stored without 250`).toBe(true);
    for (const [n, count] of copies) expect(count, `copies of ${n}`).toBe(1);
    console.info(
      `crash test: ${acked.size} acknowledged, ${interrupted.size} interrupted after the final dot ` +
        `(${storedButUnacked.length} of them stored anyway), ${MESSAGES - acked.size - interrupted.size} lost before DATA ended, ${kills} kills`,
    );
  }, 180_000);
});
