/**
 * Agents in separate `mailstack <agent>` processes from one config: the web process's
 * /metrics shows what the MSA, queue runner, MDA and IMAP processes counted (message
 * accepted, delivered with its latency, IMAP login and login failure, open IMAP connection),
 * not only its own registry.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseExposition, type Sample, sampleValue } from '@mailstack/metrics';
import { freePort, runPython } from '@mailstack/testkit';
import { ImapFlow } from 'imapflow';
import { expect, it } from 'vitest';
import { agentProcesses } from './agent-processes.ts';

const agents = agentProcesses('mailstack-metrics-split-');

function imapClient(port: number, pass: string): ImapFlow {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'bob@example.test', pass },
    logger: false,
  });
  client.on('error', () => {});
  return client;
}

/** Scrapes /metrics (strictly parsed) until `done` holds for it; the last scrape otherwise. */
async function scrapeUntil(webPort: number, done: (s: Sample[]) => boolean): Promise<Sample[]> {
  let samples: Sample[] = [];
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`http://127.0.0.1:${webPort}/metrics`);
    expect(res.status).toBe(200);
    samples = parseExposition(await res.text());
    if (done(samples)) return samples;
    await new Promise((r) => setTimeout(r, 100));
  }
  return samples;
}

it("serves on the web port the counts of the agents' other processes", async () => {
  const lmtpPort = await freePort();
  const config = join(agents.dir.path, 'mailstack.yaml');
  await writeFile(
    config,
    [
      'paths: {data: state}',
      'listeners:',
      '  - {agent: msa, port: 0, tls: implicit}',
      '  - {agent: imap, port: 0, tls: implicit}',
      `  - {agent: mda, port: ${lmtpPort}}`,
      '  - {agent: web, port: 0}',
      'dns: {servers: ["127.0.0.1:1"]}',
      'queue: {pollInterval: 100ms}',
      '',
    ].join('\n'),
  );
  for (const user of ['alice@example.test', 'bob@example.test']) await agents.addUser(user, 'pw', config);
  await agents.start('mda', config);
  await agents.start('queue-runner', config);
  const [msa, imap, web] = (
    await Promise.all(['msa', 'imap', 'web'].map((a) => agents.start(a, config)))
  ).map(([listener]) => listener?.port);

  const sent = await runPython(
    `
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[1]), context=ctx); s.login('alice@example.test', 'pw')
print(len(s.sendmail('alice@example.test', ['bob@example.test'], b'From: alice@example.test\\r\\nSubject: counted\\r\\n\\r\\nhi\\r\\n'))); s.quit()
`,
    [String(msa)],
  );
  expect(sent.stderr).toBe('');
  expect(sent.stdout.trim()).toBe('0');

  await expect(imapClient(imap as number, 'wrong').connect()).rejects.toThrow();
  // Logged in and kept open while scraping: the IMAP process's connection gauge counts it.
  const client = imapClient(imap as number, 'pw');
  await client.connect();
  try {
    const host = (s: Sample[]) => ({
      accepted: sampleValue(s, 'mailstack_messages_accepted_total', { agent: 'msa' }),
      authFailures: sampleValue(s, 'mailstack_auth_failures_total', { protocol: 'imap' }),
      sessions: sampleValue(s, 'mailstack_sessions_total', { protocol: 'imap' }),
      imapConnections: sampleValue(s, 'mailstack_connections', { agent: 'imap', port: String(imap) }),
      deliveredByQueue: sampleValue(s, 'mailstack_messages_delivered_total', { agent: 'queue' }),
      storedByMda: sampleValue(s, 'mailstack_messages_delivered_total', { agent: 'mda' }),
      latencies: sampleValue(s, 'mailstack_delivery_latency_seconds_count', { agent: 'queue' }),
      latenciesUnder1h: sampleValue(s, 'mailstack_delivery_latency_seconds_bucket', {
        agent: 'queue',
        le: '3600',
      }),
      queued: sampleValue(s, 'mailstack_queue_messages'),
    });
    const want = {
      accepted: 1,
      authFailures: 1,
      sessions: 1,
      imapConnections: 1,
      deliveredByQueue: 1,
      storedByMda: 1,
      latencies: 1,
      latenciesUnder1h: 1,
      queued: 0,
    };
    const samples = await scrapeUntil(web as number, (s) => JSON.stringify(host(s)) === JSON.stringify(want));
    expect(host(samples)).toEqual(want);
    // Summed, not repeated: one sample per label set, and the web process's own series still there.
    const accepted = samples.filter((s) => s.name === 'mailstack_messages_accepted_total');
    expect(accepted.map((s) => s.labels.agent).sort()).toEqual(['msa', 'mta']);
    expect(sampleValue(samples, 'mailstack_connections', { agent: 'web' })).toBeGreaterThanOrEqual(1);
    expect(samples.some((s) => s.name === 'mailstack_process_start_time_seconds')).toBe(true);
  } finally {
    await client.logout();
  }
});
