/**
 * LMTP puts mail into any mailbox without a login. When the stack is bound to an address other
 * hosts reach, its LMTP listener must stay on loopback (its own `listeners` entry, default
 * 127.0.0.1), and `mailstack mda` must not bind every address for a listener without one.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { devConfig, type RunningStack, startStack } from '@mailstack/stack';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { createTransport } from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../helpers/daemon.ts';
import { writeDirectoryFile } from '../helpers/directory-file.ts';
import { filesConfig, startConfiguredAgent } from '../helpers/mailstack-agent.ts';
import { canConnect, waitFor } from '../helpers/net.ts';

/** An address of this machine that is not 127.0.0.1, standing in for a public one. */
const PUBLIC = '127.0.0.2';

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir('mailstack-lmtp-bind-');
});
afterEach(() => dir.cleanup());

describe('the stack bound to a non-loopback address', () => {
  let stack: RunningStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('keeps LMTP on 127.0.0.1, and local mail still reaches the mailbox through it', async () => {
    const config = devConfig({ MAILSTACK_DATA: dir.path }, dir.path);
    // Every listener but LMTP on the public address, every port ephemeral; mail for other
    // domains would go nowhere (and none is sent).
    for (const listener of config.config.listeners) {
      listener.port = 0;
      if (listener.agent !== 'mda') listener.address = PUBLIC;
    }
    config.config.dns.servers = ['127.0.0.1:9'];
    config.config.outbound.mxPort = 1;
    stack = await startStack(config, silentLogger);

    const lmtp = stack.endpoints.find((e) => e.protocol === 'lmtp');
    const mta = stack.endpoints.find((e) => e.protocol === 'smtp');
    expect(lmtp?.host).toBe('127.0.0.1');
    expect(mta?.host).toBe(PUBLIC);
    expect(await canConnect(lmtp!.port!, PUBLIC)).toBe(false);
    expect(await canConnect(lmtp!.port!, '127.0.0.1')).toBe(true);

    // The delivery worker finds the MDA where it now listens.
    const transport = createTransport({ host: PUBLIC, port: mta!.port, secure: false, ignoreTLS: true });
    await transport.sendMail({
      from: 'someone@remote.test',
      to: 'alice@example.test',
      subject: 'over the public address',
      text: 'hello\n',
    });
    transport.close();
    const inbox = join(createMaildirStore({ root: stack.paths.mail }).userDir('alice@example.test'), 'new');
    await waitFor('the message in alice’s Maildir', async () => (await readdir(inbox)).length === 1);
  });
});

describe('`mailstack mda` alone', () => {
  let mda: Daemon | undefined;
  afterEach(async () => {
    await mda?.stop();
    mda = undefined;
  });

  it('binds 127.0.0.1 for a listener that names no address, not every address', async () => {
    const directory = join(dir.path, 'directory.json');
    await writeDirectoryFile(directory, ['alice@example.test']);
    const started = await startConfiguredAgent('mda', {
      ...filesConfig({ directory, mail: join(dir.path, 'mail') }),
      listeners: [{ agent: 'mda', port: 0 }],
    });
    mda = started.daemon;
    const [line] = started.listening;
    expect(line?.host).toBe('127.0.0.1');
    expect(await canConnect(line!.port!, PUBLIC)).toBe(false);
    expect(await canConnect(line!.port!, '127.0.0.1')).toBe(true);
  });
});
