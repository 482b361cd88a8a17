import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TempDir, tempDir } from '@mailstack/testkit';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFileName } from '../packages/maildir/src/filename.ts';
import { parseUidList, parseUidRecord } from '../packages/maildir/src/uidlist.ts';
import { writeDirectoryFile } from '../packages/mda/test/fixtures.ts';
import { type AgentChild, filesConfig, loopback, startAgentChild } from './helpers/mailstack-agent.ts';

/** `mailstack mda` over the directory file and the Maildir root `data`. */
const startMda = (files: { data: string; directory: string }) =>
  startAgentChild('mda', {
    ...filesConfig({ directory: files.directory, mail: files.data }),
    listeners: [loopback('mda', 'none')],
  });

const USERS = ['alice@example.test', 'bob@example.test'];
const CLIENTS = 8;
const KILL_AFTER_ACKS = 40;

let dir: TempDir | undefined;
const children: AgentChild[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.stop();
  await dir?.cleanup();
  dir = undefined;
});

function testMessage(token: string, size: number): string {
  return [
    'From: burst@remote.test',
    'To: alice@example.test',
    `Message-ID: <${token}@crash.test>`,
    `Subject: ${token}`,
    '',
    ...Array.from({ length: Math.ceil(size / 76) }, () => 'x'.repeat(74)),
    `END ${token}`,
    '',
  ].join('\r\n');
}

/** Sends messages one connection each until the server dies; returns the tokens acknowledged per user. */
async function burst(port: number, client: number, onAck: () => void, acked: Map<string, Set<string>>) {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, lmtp: true, ignoreTLS: true });
  for (let i = 0; ; i++) {
    const token = `c${client}m${i}`;
    const to = i % 3 === 0 ? USERS : [USERS[i % 2] as string];
    try {
      const info = await transport.sendMail({
        envelope: { from: 'burst@remote.test', to },
        raw: testMessage(token, i % 4 === 0 ? 64 * 1024 : 2 * 1024),
      });
      for (const user of info.accepted as string[]) acked.get(user)?.add(token);
      onAck();
    } catch {
      break; // the server is gone
    }
  }
  transport.close();
}

async function mailFiles(maildir: string): Promise<Array<{ sub: string; name: string; text: string }>> {
  const out = [];
  for (const sub of ['new', 'cur']) {
    for (const name of await readdir(join(maildir, sub))) {
      out.push({ sub, name, text: await readFile(join(maildir, sub, name), 'utf8') });
    }
  }
  return out;
}

describe('crash safety of the LMTP delivery agent (`mailstack mda`)', () => {
  it('after SIGKILL mid-burst, every acknowledged message is there exactly once and nothing is torn', async () => {
    dir = await tempDir('mailstack-crash-');
    const directoryFile = join(dir.path, 'directory.json');
    const data = join(dir.path, 'data');
    await writeDirectoryFile(directoryFile);
    const args = { data, directory: directoryFile };

    const first = await startMda(args);
    children.push(first);
    const acked = new Map(USERS.map((u) => [u, new Set<string>()]));
    let acks = 0;
    let killed = false;
    const onAck = () => {
      acks++;
      if (acks >= KILL_AFTER_ACKS && !killed) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => burst(first.port, c, onAck, acked)));
    expect(killed).toBe(true);
    expect(await first.exited).toBe(null); // died by the signal

    const second = await startMda(args);
    children.push(second);
    const after = nodemailer.createTransport({
      host: '127.0.0.1',
      port: second.port,
      lmtp: true,
      ignoreTLS: true,
    });
    const info = await after.sendMail({
      envelope: { from: 'burst@remote.test', to: USERS },
      raw: testMessage('after-restart', 1024),
    });
    after.close();
    expect(info.accepted, second.stderr()).toEqual(USERS);

    for (const user of USERS) {
      const [local, domain] = user.split('@') as [string, string];
      const maildir = join(data, domain, local, 'Maildir');
      const files = await mailFiles(maildir);
      const seen = new Map<string, number>();
      for (const f of files) {
        const token = /^Subject: (\S+)$/m.exec(f.text)?.[1];
        expect(token, `${f.sub}/${f.name} has no Subject`).toBeDefined();
        // a complete message: headers added by the MDA on top, the end marker at the bottom
        expect(f.text.startsWith('Return-Path: <burst@remote.test>\n')).toBe(true);
        expect(f.text.endsWith(`END ${token}\n`)).toBe(true);
        expect(parseFileName(f.name).size).toBe(Buffer.byteLength(f.text));
        seen.set(token as string, (seen.get(token as string) ?? 0) + 1);
      }
      for (const token of acked.get(user) ?? []) expect(seen.get(token), `${user} ${token}`).toBe(1);
      for (const [token, count] of seen) expect(count, `${user} ${token} stored twice`).toBe(1);
      expect(seen.get('after-restart')).toBe(1);

      const uidlist = await readFile(join(maildir, 'dovecot-uidlist'), 'utf8');
      const parsed = parseUidList(uidlist);
      expect(parsed).not.toBeNull();
      const lines = uidlist
        .split('\n')
        .slice(1)
        .filter((l) => l !== '');
      for (const line of lines) expect(parseUidRecord(line), line).not.toBeNull();
      const uids = parsed?.records.map((r) => r.uid) ?? [];
      expect(new Set(uids).size).toBe(uids.length);
      expect(uids).toEqual([...uids].sort((a, b) => a - b)); // appended in UID order
      const bases = new Set(files.map((f) => f.name.split(':')[0]));
      for (const r of parsed?.records ?? [])
        expect(bases.has(r.base), `uidlist entry ${r.base} has no file`).toBe(true);
    }
    expect([...(acked.get('alice@example.test') ?? [])].length).toBeGreaterThan(0);
  });
});
