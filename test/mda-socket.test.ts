/**
 * `mailstack mda` on a unix socket, as Postfix's `lmtp:unix:` transport reaches it: Python's
 * smtplib.LMTP delivers through the socket into the Maildir; the socket gets its mode and goes
 * away on a clean stop; a socket left by a killed process is replaced at the next start, a live
 * one and a regular file at the path are left alone (the start fails); the config check keeps
 * sockets to the mda agent.
 */
import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ConfigInput } from '@mailstack/config';
import { silentLogger } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { banner, devConfig, type RunningStack, startStack } from '@mailstack/stack';
import { freePort, runPython, type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeDirectoryFile } from './helpers/directory-file.ts';
import { type AgentDaemon, startConfiguredAgent, writeConfigFile } from './helpers/mailstack-agent.ts';
import { MAILSTACK_BIN } from './helpers/mailstack-cli.ts';
import { waitFor } from './helpers/net.ts';

const LMTP_SEND = `
import smtplib, sys
c = smtplib.LMTP(host=sys.argv[1])
refused = c.sendmail('bob@example.test', ['alice@example.test'], b'Subject: ' + sys.argv[2].encode() + b'\\r\\n\\r\\nhello\\r\\n')
c.quit()
print(len(refused))
`;

let dir: TempDir;
const running: AgentDaemon[] = [];
beforeEach(async () => {
  dir = await tempDir('mailstack-mda-socket-');
  await writeDirectoryFile(join(dir.path, 'directory.json'), ['alice@example.test']);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.daemon.stop()));
  await dir.cleanup();
});

/** The mda on `socket` (relative: in the data folder, which is `dir`). */
function socketConfig(socket: string, extra: { socketMode?: string } = {}): ConfigInput {
  return {
    domains: ['example.test'],
    paths: { data: dir.path, directory: 'directory.json', mail: 'mail' },
    listeners: [{ agent: 'mda', socket, ...extra }],
  };
}

async function startSocketMda(config: ConfigInput): Promise<{ agent: AgentDaemon; path: string }> {
  const agent = await startConfiguredAgent('mda', config);
  running.push(agent);
  const [line] = agent.listening;
  expect(line?.port).toBeUndefined();
  return { agent, path: line?.path as string };
}

async function send(path: string, subject: string): Promise<void> {
  const sent = await runPython(LMTP_SEND, [path, subject]);
  expect(sent.stderr).toBe('');
  expect(sent.stdout.trim()).toBe('0');
}

/** alice's INBOX messages, as text. */
async function inbox(): Promise<string[]> {
  const folder = await createMaildirStore({ root: join(dir.path, 'mail') }).openFolder(
    'alice@example.test',
    'INBOX',
  );
  const texts = await Promise.all(
    folder.messages().map(async (m) => {
      const chunks: Buffer[] = [];
      for await (const c of folder.read(m.uid)) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString();
    }),
  );
  await folder.close();
  return texts;
}

/** `mailstack mda --config FILE` expected to fail: its exit code and stderr. */
async function failedStart(config: ConfigInput): Promise<{ code: number; stderr: string }> {
  const file = await writeConfigFile(config, 'mda-socket');
  try {
    await promisify(execFile)(process.execPath, [MAILSTACK_BIN, 'mda', '--config', file], {
      timeout: 30_000,
    });
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
  throw new Error('mailstack mda started where it should have refused');
}

describe('mailstack mda on a unix socket', () => {
  it('takes mail from smtplib.LMTP into the Maildir; the socket has its mode and goes on stop', async () => {
    const { agent, path } = await startSocketMda(socketConfig('lmtp.sock', { socketMode: '0600' }));
    expect(path).toBe(join(dir.path, 'lmtp.sock'));
    const info = await stat(path);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);

    await send(path, 'over the socket');
    const messages = await inbox();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('Subject: over the socket');

    await agent.daemon.stop();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('defaults the mode to 0660', async () => {
    const { path } = await startSocketMda(socketConfig(join(dir.path, 'default.sock')));
    expect((await stat(path)).mode & 0o777).toBe(0o660);
  });

  it('replaces the socket a killed process left, and never a live one', async () => {
    const first = await startSocketMda(socketConfig('lmtp.sock'));
    // A second mda on the same path while the first answers: refused, the first keeps it.
    const second = await failedStart(socketConfig('lmtp.sock'));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`unix socket ${first.path} is in use`);
    await send(first.path, 'still the first');

    const exited = new Promise((resolve) => first.agent.daemon.child.once('exit', resolve));
    process.kill(-(first.agent.daemon.child.pid as number), 'SIGKILL');
    await exited;
    expect((await stat(first.path)).isSocket()).toBe(true); // stale: nothing unlinked it

    const restarted = await startSocketMda(socketConfig('lmtp.sock'));
    expect(restarted.path).toBe(first.path);
    await send(restarted.path, 'after the restart');
    expect((await inbox()).map((m) => /Subject: (.*)/.exec(m)?.[1]?.trim()).sort()).toEqual([
      'after the restart',
      'still the first',
    ]);
  });

  it('refuses a regular file at the path and leaves it there', async () => {
    const path = join(dir.path, 'lmtp.sock');
    await writeFile(path, 'not a socket\n');
    const run = await failedStart(socketConfig('lmtp.sock'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`unix socket ${path} is in use`);
    expect(await readFile(path, 'utf8')).toBe('not a socket\n');
  });

  it('is refused on another agent by the config check, naming the key', async () => {
    const config = socketConfig('lmtp.sock');
    config.listeners = [{ agent: 'imap', socket: 'imap.sock' } as never];
    const file = await writeConfigFile(config, 'mda-socket');
    const check = await promisify(execFile)(process.execPath, [
      MAILSTACK_BIN,
      'config',
      'check',
      '--config',
      file,
    ]).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(check.code).toBe(78);
    expect(check.stderr).toContain(
      'listeners[0].socket: only the mda listener takes a unix socket, not imap; give a port',
    );
  });
});

describe('the queue runner of the stack over the unix socket of the MDA', () => {
  let stack: RunningStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  // In one process the runner finds the socket of the MDA started beside it (queue.lmtp null);
  // with `mailstack mda` in a process of its own, queue.lmtp names the socket, relative to the
  // data folder both share.
  it.each(['in the stack', 'in its own process'])(
    'delivers MTA mail into the Maildir, the MDA %s',
    async (where) => {
      const own = where === 'in its own process';
      const mda = own ? await startSocketMda(socketConfig('lmtp.sock')) : undefined;
      const loaded = devConfig({ MAILSTACK_DATA: dir.path }, dir.path);
      const { config } = loaded;
      // A port known ahead, so /readyz probes the mta where it listens.
      const mtaPort = await freePort();
      config.listeners = config.listeners
        .filter((l) => l.agent === 'mta' || l.agent === 'web' || (l.agent === 'mda' && !own))
        .map((l) =>
          l.agent === 'mda'
            ? { agent: 'mda', address: l.address, socket: 'lmtp.sock', tls: 'none' }
            : { ...l, port: l.agent === 'mta' ? mtaPort : 0 },
        );
      config.queue.lmtp = own ? 'unix:lmtp.sock' : null;
      config.dns.servers = ['127.0.0.1:1'];
      config.outbound.mxPort = 1;
      stack = await startStack(loaded, silentLogger);
      const path = join(dir.path, 'lmtp.sock');
      if (mda) {
        expect(mda.path).toBe(path);
        expect(stack.endpoints.some((e) => e.agent === 'mda')).toBe(false);
      } else {
        expect(stack.endpoints.find((e) => e.agent === 'mda')).toEqual({
          agent: 'mda',
          protocol: 'lmtp',
          path,
        });
        expect(banner(loaded, stack)).toMatch(new RegExp(`mda +lmtp +unix:${path}\\n`));
        // /readyz probes the mda on its socket.
        const web = stack.endpoints.find((e) => e.agent === 'web')!;
        const ready = await fetch(`http://127.0.0.1:${web.port}/readyz`);
        expect(await ready.json()).toEqual({ status: 'ready' });
      }

      const mta = stack.endpoints.find((e) => e.agent === 'mta')!;
      const sent = await runPython(
        `
import smtplib, sys
c = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
print(len(c.sendmail('someone@remote.test', ['alice@example.test'], b'Subject: through the queue\\r\\n\\r\\nhello\\r\\n')))
c.quit()
`,
        [String(mta.port)],
      );
      expect(sent.stderr).toBe('');
      expect(sent.stdout.trim()).toBe('0');
      const messages = await waitFor('the message in the Maildir', async () => {
        const found = await inbox();
        return found.length > 0 && found;
      });
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain('Subject: through the queue');
    },
  );
});
