import { parseExposition, type Sample, sampleValue } from '@mailstack/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/net.ts';
import { ALICE, type OpsHost, startOpsHost } from './helpers/ops-host.ts';
import { imapLogin, pop3Login, submit } from './helpers/ops-traffic.ts';

// Real agents on one HostMetrics, real clients, and /metrics read over HTTP: proves the
// agents' call sites feed the series the web agent serves.
let host: OpsHost;
beforeAll(async () => {
  host = await startOpsHost();
});
afterAll(() => host?.close());

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${host.ports.web}/metrics`);
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

describe('metrics from real traffic', () => {
  it('is ready once every agent listens and the spool and store are there', async () => {
    const res = await fetch(`http://127.0.0.1:${host.ports.web}/readyz`);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('counts a failed and a good submission, then the delivery through queue and MDA', async () => {
    await expect(submit(host, 'wrong')).rejects.toThrow(/535|Invalid login/i);
    await submit(host, ALICE.pass);
    let s = await scrape();
    expect(sampleValue(s, 'mailstack_auth_failures_total', { protocol: 'submission' })).toBe(1);
    expect(sampleValue(s, 'mailstack_messages_accepted_total', { agent: 'msa' })).toBe(1);
    s = await waitFor('the queue to report the delivery', async () => {
      const now = await scrape();
      return sampleValue(now, 'mailstack_messages_delivered_total', { agent: 'queue' }) === 1 && now;
    });
    expect(sampleValue(s, 'mailstack_messages_delivered_total', { agent: 'mda' })).toBe(1);
    expect(sampleValue(s, 'mailstack_delivery_latency_seconds_count', { agent: 'queue' })).toBe(1);
    expect(sampleValue(s, 'mailstack_messages_bounced_total', { agent: 'queue' })).toBe(0);
    expect(sampleValue(s, 'mailstack_queue_messages')).toBe(0);
  });

  it('counts IMAP and POP3 logins and failures, and sees an open IMAP connection', async () => {
    const bad = await imapLogin(host, 'wrong');
    expect(bad.answer).toMatch(/^a NO /);
    await bad.client.close();
    const good = await imapLogin(host, ALICE.pass);
    expect(good.answer).toMatch(/^a OK /);
    let s = await scrape();
    expect(sampleValue(s, 'mailstack_connections', { agent: 'imap', port: String(host.ports.imap) })).toBe(1);
    await good.client.close();
    expect(sampleValue(s, 'mailstack_auth_failures_total', { protocol: 'imap' })).toBe(1);
    expect(sampleValue(s, 'mailstack_sessions_total', { protocol: 'imap' })).toBe(1);

    expect(await pop3Login(host, 'wrong')).toMatch(/^-ERR/);
    expect(await pop3Login(host, ALICE.pass)).toMatch(/^\+OK/);
    s = await scrape();
    expect(sampleValue(s, 'mailstack_auth_failures_total', { protocol: 'pop3' })).toBe(1);
    expect(sampleValue(s, 'mailstack_sessions_total', { protocol: 'pop3' })).toBe(1);
  });
});
