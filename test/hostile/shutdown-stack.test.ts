/**
 * Issue 11 item 8 for `npm start`: closing the one-process stack says goodbye to idle clients
 * of every agent at once (421 on SMTP/LMTP, * BYE on IMAP, -ERR on POP3) instead of waiting
 * out a 10 s close timeout with IMAP and POP3 clients dropped silently.
 */
import { silentLogger } from '@mailstack/core';
import { devConfig, type RunningStack, startStack } from '@mailstack/stack';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, expect, it } from 'vitest';
import { type RawClient, rawClient } from './limits-helpers.ts';

let dir: TempDir | undefined;
let stack: RunningStack | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await stack?.close();
  stack = undefined;
  await dir?.cleanup();
});

const GOODBYES: Record<string, RegExp> = {
  mda: /\r\n421 4\.3\.2 .*shutting down.*\r\n$/,
  mta: /\r\n421 4\.3\.2 .*shutting down.*\r\n$/,
  imap: /\r\n\* BYE server shutting down\r\n$/,
  pop3: /\r\n-ERR \[SYS\/TEMP\] server shutting down\r\n$/,
};

it('close() sends every idle client its goodbye', async () => {
  dir = await tempDir('shutdown-stack-');
  const config = devConfig({ MAILSTACK_DATA: dir.path }, dir.path);
  config.config.dns.servers = ['127.0.0.1:1'];
  config.config.outbound.mxPort = 1;
  for (const listener of config.config.listeners) listener.port = 0;
  stack = await startStack(config, silentLogger);
  const plain = stack.endpoints.filter((e) => GOODBYES[e.agent] && !e.protocol.includes('(TLS)'));
  expect(plain.map((e) => e.agent).sort()).toEqual(['imap', 'mda', 'mta', 'pop3']);
  const open = await Promise.all(
    plain.map(async (e) => {
      const c = await rawClient(e.port!);
      clients.push(c);
      await c.waitFor(/\r\n$/);
      return { agent: e.agent, c };
    }),
  );
  const closing = stack.close();
  stack = undefined;
  for (const { agent, c } of open) expect(await c.closed).toMatch(GOODBYES[agent] as RegExp);
  await closing;
});
