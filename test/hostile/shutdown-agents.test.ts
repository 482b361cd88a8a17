/**
 * Issue 11 item 8: SIGTERM/SIGINT on an agent process stops accepting, says 421 to idle SMTP
 * and LMTP sessions and BYE / -ERR to IMAP (also in IDLE) and POP3 clients at once, lets a
 * transaction in flight finish, and exits; a second signal exits at once (128 + signal).
 * Real processes (`mailstack <agent>`), real sockets; no durations asserted.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ConfigInput } from '@mailstack/config';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { writeDirectoryFile } from '../helpers/directory-file.ts';
import { filesConfig, loopback, mergeConfig, startConfiguredAgent } from '../helpers/mailstack-agent.ts';
import { type RawClient, rawClient } from './limits-helpers.ts';

const USER = 'a@example.test';
const PASSWORD = 'secret';

interface Agent {
  child: ChildProcess;
  port: number;
  /** Exit code (or 128 + signal number when killed by one). */
  exited: Promise<number>;
  /** Resolves once the process logged that it is stopping (the first signal was handled). */
  stopping: Promise<void>;
}

let dir: TempDir | undefined;
const children: ChildProcess[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await dir?.cleanup();
  dir = undefined;
});

/**
 * Starts `mailstack <agent>` over a fresh directory (one user) with one plain listener on
 * 127.0.0.1 and `extra` config keys.
 */
async function startAgent(agent: 'mta' | 'mda' | 'imap' | 'pop3', extra: ConfigInput = {}): Promise<Agent> {
  dir = await tempDir('shutdown-');
  const directory = join(dir.path, 'directory.json');
  await writeDirectoryFile(directory, [USER], PASSWORD);
  const { daemon, listening } = await startConfiguredAgent(
    agent,
    mergeConfig({ ...filesConfig({ directory }), listeners: [loopback(agent, 'none')] }, extra),
  );
  const child = daemon.child;
  children.push(child);
  const exited = new Promise<number>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? -1);
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : -1)));
  });
  const stopping = new Promise<void>((resolve) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.includes('"event":"stopping"')) resolve();
    });
  });
  const port = listening[0]?.port;
  if (port === undefined) throw new Error(`${agent} printed no listener`);
  return { child, port, exited, stopping };
}

async function connectTo(agent: Agent): Promise<RawClient> {
  const c = await rawClient(agent.port);
  clients.push(c);
  return c;
}

const mta = () => startAgent('mta', { mta: { pregreet: '0s' } });

/** An SMTP or LMTP client that said `hello` gets 421 on SIGTERM, and the process exits 0. */
async function idleGets421(agent: Agent, hello: string): Promise<void> {
  const c = await connectTo(agent);
  c.send(`${hello} client.test\r\n`);
  await c.waitFor(/\r\n250 /);
  agent.child.kill('SIGTERM');
  expect(await c.closed).toMatch(/\r\n421 4\.3\.2 .*shutting down.*\r\n$/);
  expect(await agent.exited).toBe(0);
}

/** An MTA process and a client that got `354` for DATA. */
async function mtaInTransaction(): Promise<{ agent: Agent; c: RawClient }> {
  const agent = await mta();
  const c = await connectTo(agent);
  c.send(`EHLO client.test\r\nMAIL FROM:<x@remote.test>\r\nRCPT TO:<${USER}>\r\nDATA\r\n`);
  await c.waitFor(/\r\n354 /);
  return { agent, c };
}

describe('agent processes on SIGTERM / SIGINT', () => {
  it('MTA: an idle SMTP client gets 421 at once and the process exits 0', async () => {
    await idleGets421(await mta(), 'EHLO');
  });

  it('MTA: a transaction in flight finishes (250), then 421; exit 0', async () => {
    const { agent, c } = await mtaInTransaction();
    c.send('Subject: in flight\r\n\r\nfirst half\r\n');
    agent.child.kill('SIGTERM');
    await agent.stopping;
    c.send('second half\r\n.\r\n');
    const said = await c.closed;
    expect(said).toMatch(/\r\n250 [^\r\n]*\r\n421 4\.3\.2 .*shutting down.*\r\n$/);
    expect(await agent.exited).toBe(0);
  });

  it('MTA: a second signal while a transaction is in flight exits at once (130)', async () => {
    const { agent, c } = await mtaInTransaction();
    c.send('Subject: in flight\r\n\r\nnever finished\r\n');
    agent.child.kill('SIGTERM');
    await agent.stopping;
    agent.child.kill('SIGINT');
    expect(await agent.exited).toBe(130);
  });

  it('MDA: an idle LMTP client gets 421 and the process exits 0', async () => {
    const mda = await startAgent('mda');
    await idleGets421(mda, 'LHLO');
  });

  it('IMAP: a client in IDLE gets * BYE and the process exits 0', async () => {
    const agent = await startAgent('imap', { dev: { cleartextAuthOnLoopback: true } });
    const c = await connectTo(agent);
    await c.waitFor(/^\* OK/);
    c.send(`a1 LOGIN ${USER} ${PASSWORD}\r\na2 SELECT INBOX\r\na3 IDLE\r\n`);
    await c.waitFor(/\r\n\+ idling\r\n/);
    agent.child.kill('SIGTERM');
    expect(await c.closed).toMatch(/\r\n\* BYE server shutting down\r\n$/);
    expect(await agent.exited).toBe(0);
  });

  it('POP3: an idle client gets -ERR and the process exits 0', async () => {
    const agent = await startAgent('pop3');
    const c = await connectTo(agent);
    await c.waitFor(/^\+OK/);
    agent.child.kill('SIGTERM');
    expect(await c.closed).toMatch(/\r\n-ERR \[SYS\/TEMP\] server shutting down\r\n$/);
    expect(await agent.exited).toBe(0);
  });
});
