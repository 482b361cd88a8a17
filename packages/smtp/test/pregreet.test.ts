import { readFile } from 'node:fs/promises';
import { type Logger, ok, readAll } from '@mailstack/core';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSmtpListener, type SmtpListener } from '../src/index.ts';
import { RawClient } from './raw-client.ts';

// ListenerConnection re-implements SMTPConnection#init and hooks _onCommand/_sendGreeting.
// These tests fail when an smtp-server upgrade moves those seams.

const listeners: SmtpListener[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) c.close();
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

/** A Logger that records event names, to wait on what the server did. */
function eventLogger(seen: (event: string) => void): Logger {
  const log = (fields: object) => {
    const event = (fields as { event?: unknown }).event;
    if (typeof event === 'string') seen(event);
  };
  const logger: Logger = { info: log, warn: log, error: log, debug: log, child: () => logger };
  return logger;
}

async function start(pregreetMs: number, onConnect?: () => Promise<void>, logger?: Logger) {
  const listener = createSmtpListener({
    protocol: 'lmtp',
    name: 'mx.test',
    pregreetMs,
    closeTimeoutMs: 500,
    ...(logger ? { logger } : {}),
    handlers: {
      ...(onConnect ? { onConnect } : {}),
      async onData(message) {
        await readAll(message.stream);
        return ok('stored');
      },
    },
  });
  listeners.push(listener);
  const address = await listener.listen(0, '127.0.0.1');
  if (!('port' in address)) throw new Error('expected a TCP address');
  const client = await RawClient.connect({ port: address.port });
  clients.push(client);
  return client;
}

describe('smtp-server is the version the pregreet override was written against', () => {
  it('is pinned to exactly 3.21.6', async () => {
    const installed = JSON.parse(
      await readFile(new URL('../../../node_modules/smtp-server/package.json', import.meta.url), 'utf8'),
    );
    const ours = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(ours.dependencies['smtp-server']).toBe('3.21.6');
    expect(installed.version).toBe('3.21.6');
  });

  it('still has the init() body we replaced and the hooks we override', () => {
    const init = SMTPConnection.prototype.init.toString();
    expect(init).toContain('this._setListeners(');
    expect(init).toMatch(/setTimeout\(\(\) => this\.connectionReady\(\), 100\)/);
    for (const hook of ['_onCommand', '_sendGreeting', 'connectionReady', 'send', '_setListeners']) {
      expect(typeof (SMTPConnection.prototype as unknown as Record<string, unknown>)[hook]).toBe('function');
    }
    expect(SMTPConnection.prototype._onCommand.toString()).toContain('You talk too soon');
  });
});

describe('pregreet delay', () => {
  it('when on, refuses a client that talks before the greeting', async () => {
    // a delay far longer than the test: the command surely arrives before the greeting
    const client = await start(60_000);
    client.write('LHLO early.test\r\n');
    const reply = await client.reply();
    expect(reply.code).toBe(421);
    expect(reply.raw).toMatch(/talk too soon/i);
    await client.waitClosed();
  });

  it('when on, greets once the configured delay has passed (fake clock)', { timeout: 5000 }, async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let connected!: () => void;
    const accepted = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const client = await start(
      5000,
      undefined,
      eventLogger((e) => e === 'pregreet-wait' && connected()),
    );
    await accepted;
    vi.advanceTimersByTime(4999);
    expect(vi.getTimerCount()).toBeGreaterThan(0); // the greeting timer is still pending
    vi.advanceTimersByTime(1);
    expect((await client.reply()).code).toBe(220);
    expect((await client.command('LHLO patient.test')).code).toBe(250);
  });

  it('when off, greets without any timer (fake clock never advanced)', { timeout: 5000 }, async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const client = await start(0);
    expect((await client.reply()).code).toBe(220);
    expect((await client.command('LHLO quick.test')).code).toBe(250);
  });

  it('when off, serves a client whose commands beat the greeting, even a pipelined burst', async () => {
    // onConnect holds the greeting until the server has seen the first command
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const client = await start(
      0,
      () => held,
      eventLogger((e) => e === 'early-command-held' && release()),
    );
    client.write('LHLO eager.test\r\nNOOP\r\nQUIT\r\n');
    const [greeting, lhlo, noop, quit] = await client.replies(4);
    expect(greeting?.code).toBe(220);
    expect(greeting?.raw).toContain('mx.test LMTP');
    expect(lhlo?.code).toBe(250);
    expect(noop?.code).toBe(250);
    expect(quit?.code).toBe(221);
  });
});
