/**
 * One config, every agent its own `mailstack <agent>` process: a message submitted to the MSA
 * process is delivered by the queue-runner process through the MDA process, and read from the
 * IMAP process; the web process answers /healthz.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runPython } from '@mailstack/testkit';
import { ImapFlow } from 'imapflow';
import { expect, it } from 'vitest';
import { agentProcesses, freePort } from './agent-processes.ts';

const agents = agentProcesses('mailstack-split-');

/** Starts `mailstack <agent>` (one listener, or the runner) and resolves once it says it runs. */
const agent = (name: string, config: string) => agents.start(name, config);

it('submits, queues, delivers and serves across separate agent processes', async () => {
  const lmtpPort = await freePort();
  const config = join(agents.dir.path, 'mailstack.yaml');
  await writeFile(
    config,
    [
      'paths: {data: state}',
      'listeners:',
      '  - {agent: msa, port: 0, tls: implicit}',
      `  - {agent: mda, port: ${lmtpPort}}`,
      '  - {agent: imap, port: 0, tls: implicit}',
      '  - {agent: web, port: 0}',
      'dns: {servers: ["127.0.0.1:1"]}',
      'queue: {pollInterval: 100ms}',
      '',
    ].join('\n'),
  );
  for (const user of ['alice@example.test', 'bob@example.test']) await agents.addUser(user, 'pw', config);
  const [mda] = await agent('mda', config);
  expect(mda?.port).toBe(lmtpPort);
  await agent('queue-runner', config);
  const [msa] = await agent('msa', config);
  const [imap] = await agent('imap', config);
  const [web] = await agent('web', config);
  expect(web?.protocol).toBe('http');

  const sent = await runPython(
    `
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[1]), context=ctx); s.login('alice@example.test', 'pw')
print(len(s.sendmail('alice@example.test', ['bob@example.test'], b'From: alice@example.test\\r\\nTo: bob@example.test\\r\\nSubject: split\\r\\n\\r\\nacross processes\\r\\n'))); s.quit()
`,
    [String(msa?.port)],
  );
  expect(sent.stderr).toBe('');
  expect(sent.stdout.trim()).toBe('0');

  const client = new ImapFlow({
    host: '127.0.0.1',
    port: imap!.port,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'bob@example.test', pass: 'pw' },
    logger: false,
  });
  client.on('error', () => {});
  await client.connect();
  try {
    let exists = 0;
    for (let i = 0; i < 200 && exists === 0; i++) {
      const status = await client.status('INBOX', { messages: true });
      exists = status ? (status.messages ?? 0) : 0;
      if (exists === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(exists).toBe(1);
    await client.mailboxOpen('INBOX');
    const msg = await client.fetchOne('1', { source: true });
    expect(msg ? msg.source?.toString() : '').toContain('across processes');
  } finally {
    await client.logout();
  }
});
