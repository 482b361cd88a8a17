/**
 * The stack with `spool: {kind: postgres}`: a message the inbound MTA takes goes through the
 * PostgreSQL spool (not the spool folder) to the queue runner, over LMTP into the Maildir.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { devConfig, type RunningStack, startStack } from '@mailstack/stack';
import { runPython, type TempDir, tempDir } from '@mailstack/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

let server: TestPostgres;
let dir: TempDir;
let stack: RunningStack | undefined;

beforeAll(async () => {
  server = await startPostgres();
  dir = await tempDir('mailstack-pg-stack-');
});

afterAll(async () => {
  await stack?.close();
  await server?.stop();
  await dir?.cleanup();
});

describe('the stack on the PostgreSQL spool', () => {
  it('queues inbound mail in PostgreSQL and delivers it into the Maildir', async () => {
    const loaded = devConfig({ MAILSTACK_DATA: dir.path }, dir.path);
    for (const listener of loaded.config.listeners) listener.port = 0;
    loaded.config.dns.servers = ['127.0.0.1:1'];
    loaded.config.spool = { kind: 'postgres', url: server.url, schema: 'stack_spool', connections: 4 };
    stack = await startStack(loaded, silentLogger);
    const mta = stack.endpoints.find((e) => e.agent === 'mta' && e.protocol === 'smtp')!;
    const sent = await runPython(
      `
import smtplib, sys
c = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
c.ehlo('peer.remote.test')
c.sendmail('someone@remote.test', ['alice@example.test'], b'Subject: via postgres\\r\\n\\r\\nqueued in a database\\r\\n')
c.quit()
print('sent')
`,
      [String(mta.port)],
    );
    expect(sent.stderr).toBe('');
    expect(sent.stdout.trim()).toBe('sent');

    const store = createMaildirStore({ root: stack.paths.mail });
    const inbox = await store.openFolder('alice@example.test', 'INBOX');
    try {
      await waitFor('the message in the INBOX', async () => {
        await inbox.refresh();
        return inbox.messages().length > 0;
      });
      const chunks: Buffer[] = [];
      for await (const c of inbox.read(inbox.messages()[0]!.uid)) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toContain('queued in a database');
    } finally {
      await inbox.close();
    }
    // The spool the stack opened is the database's (its schema made, every message gone once
    // delivered); no spool folder was made.
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const version = await client.query('SELECT version FROM stack_spool.schema_version');
      expect(version.rows).toEqual([{ version: 1 }]);
      const left = await client.query('SELECT count(*)::int AS n FROM stack_spool.messages');
      expect(left.rows).toEqual([{ n: 0 }]);
    } finally {
      await client.end();
    }
    expect(existsSync(join(stack.paths.data, 'spool', 'queue'))).toBe(false);
  });
});
