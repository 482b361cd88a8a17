import { bufferBlob, type Envelope, SmtpError } from '@mailstack/core';
import { type FileSpool, openFileSpool } from '@mailstack/queue';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHostMetrics, parseExposition, sampleValue } from '../src/index.ts';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

function envelope(rcpts: string[]): Envelope {
  return { mailFrom: 'sender@example.test', rcptTo: rcpts.map((address) => ({ address })), params: {} };
}

async function samples(metrics: ReturnType<typeof createHostMetrics>) {
  const { contentType, body } = await metrics.scrape();
  expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(body);
}

describe('host metrics', () => {
  it('exports every counter at 0 for its known labels before anything happens', async () => {
    const s = await samples(createHostMetrics());
    expect(sampleValue(s, 'mailstack_messages_accepted_total', { agent: 'msa' })).toBe(0);
    expect(sampleValue(s, 'mailstack_messages_accepted_total', { agent: 'mta' })).toBe(0);
    for (const outcome of ['delivered', 'deferred', 'bounced']) {
      expect(sampleValue(s, `mailstack_messages_${outcome}_total`, { agent: 'queue' })).toBe(0);
      expect(sampleValue(s, `mailstack_messages_${outcome}_total`, { agent: 'mda' })).toBe(0);
    }
    for (const protocol of ['submission', 'smtp', 'imap', 'pop3']) {
      expect(sampleValue(s, 'mailstack_auth_failures_total', { protocol })).toBe(0);
    }
    expect(sampleValue(s, 'mailstack_sessions_total', { protocol: 'imap' })).toBe(0);
    expect(sampleValue(s, 'mailstack_queue_messages')).toBe(0);
    expect(sampleValue(s, 'mailstack_queue_oldest_age_seconds')).toBe(0);
    // Node's process metrics come along, under our prefix.
    expect(s.some((x) => x.name === 'mailstack_process_resident_memory_bytes')).toBe(true);
    // ... but no gauge named like a counter (promtool's lint refuses `*_total` gauges).
    expect(s.some((x) => x.name === 'mailstack_nodejs_active_handles_total')).toBe(false);
  });

  it('counts and observes through the MetricsSink calls agents make', async () => {
    const metrics = createHostMetrics({ processMetrics: false });
    metrics.count('messages_accepted', { agent: 'msa' });
    metrics.count('messages_accepted', { agent: 'msa' });
    metrics.count('auth_failures', { protocol: 'pop3' }, 3);
    metrics.observe('delivery_latency_seconds', 0.2, { agent: 'queue' });
    const s = await samples(metrics);
    expect(sampleValue(s, 'mailstack_messages_accepted_total', { agent: 'msa' })).toBe(2);
    expect(sampleValue(s, 'mailstack_messages_accepted_total', { agent: 'mta' })).toBe(0);
    expect(sampleValue(s, 'mailstack_auth_failures_total', { protocol: 'pop3' })).toBe(3);
    const bucket = (le: string) =>
      sampleValue(s, 'mailstack_delivery_latency_seconds_bucket', { agent: 'queue', le });
    expect(bucket('0.05')).toBe(0);
    expect(bucket('0.25')).toBe(1);
    expect(bucket('+Inf')).toBe(1);
    expect(sampleValue(s, 'mailstack_delivery_latency_seconds_count', { agent: 'queue' })).toBe(1);
  });

  it("reads each listener's open connections when scraped, until it is untracked", async () => {
    const metrics = createHostMetrics({ processMetrics: false });
    const listener = { connections: 0 };
    const untrack = metrics.trackListener({ agent: 'imap', protocol: 'imaps', port: 2993 }, listener);
    metrics.trackListener({ agent: 'pop3', protocol: 'pop3', port: 2110 }, { connections: 1 });
    listener.connections = 4;
    const labels = { agent: 'imap', protocol: 'imaps', port: '2993' };
    expect(sampleValue(await samples(metrics), 'mailstack_connections', labels)).toBe(4);
    listener.connections = 2;
    expect(sampleValue(await samples(metrics), 'mailstack_connections', labels)).toBe(2);
    untrack();
    const after = await samples(metrics);
    expect(sampleValue(after, 'mailstack_connections', labels)).toBeUndefined();
    expect(sampleValue(after, 'mailstack_connections', { agent: 'pop3', port: '2110' })).toBe(1);
  });
});

describe('queue metrics from a real spool', () => {
  let dir: TempDir;
  let now = T0;
  let spool: FileSpool;
  let metrics: ReturnType<typeof createHostMetrics>;
  beforeEach(async () => {
    dir = await tempDir('mailstack-metrics-');
    now = T0;
    metrics = createHostMetrics({ processMetrics: false, clock: () => now });
    spool = await openFileSpool(dir.path, { clock: () => now, metrics });
    metrics.trackQueue(spool);
  });
  afterEach(() => dir.cleanup());

  it('reports size and oldest age at scrape time, and counts each settled recipient', async () => {
    const first = await spool.enqueue(
      envelope(['a@r.test', 'b@r.test', 'c@r.test']),
      bufferBlob('Subject: 1\r\n\r\nx\r\n'),
    );
    now += 10_000;
    await spool.enqueue(envelope(['d@r.test']), bufferBlob('Subject: 2\r\n\r\nx\r\n'));
    now += 60_000;
    let s = await samples(metrics);
    expect(sampleValue(s, 'mailstack_queue_messages')).toBe(2);
    expect(sampleValue(s, 'mailstack_queue_oldest_age_seconds')).toBe(70);

    await spool.lease(new Date(now), { owner: 'w' });
    await spool.settle(first, [
      { recipient: 'a@r.test', reply: { code: 250, enhanced: '2.0.0', text: 'ok' } },
      { recipient: 'b@r.test', reply: new SmtpError(451, '4.3.0', 'later').reply },
      { recipient: 'c@r.test', reply: new SmtpError(550, '5.1.1', 'no such user').reply },
    ]);
    s = await samples(metrics);
    expect(sampleValue(s, 'mailstack_messages_delivered_total', { agent: 'queue' })).toBe(1);
    expect(sampleValue(s, 'mailstack_messages_deferred_total', { agent: 'queue' })).toBe(1);
    expect(sampleValue(s, 'mailstack_messages_bounced_total', { agent: 'queue' })).toBe(1);
    // Delivered 70 s after arrival: in the (30, 120] bucket.
    expect(sampleValue(s, 'mailstack_delivery_latency_seconds_sum', { agent: 'queue' })).toBe(70);
    expect(sampleValue(s, 'mailstack_delivery_latency_seconds_bucket', { agent: 'queue', le: '30' })).toBe(0);
    expect(sampleValue(s, 'mailstack_delivery_latency_seconds_bucket', { agent: 'queue', le: '120' })).toBe(
      1,
    );
    expect(sampleValue(s, 'mailstack_queue_messages')).toBe(2);
  });
});

describe('parseExposition', () => {
  const good = '# HELP x_total help\n# TYPE x_total counter\nx_total{a="1"} 2\n';
  it('reads a valid exposition', () => {
    expect(parseExposition(good)).toEqual([{ name: 'x_total', labels: { a: '1' }, value: 2 }]);
  });
  it.each([
    ['no final newline', good.trimEnd()],
    ['a sample of an untyped family', 'y 1\n'],
    ['a bad value', '# TYPE x gauge\nx one\n'],
    ['an unquoted label', '# TYPE x gauge\nx{a=1} 1\n'],
    ['two TYPE lines', '# TYPE x gauge\n# TYPE x gauge\nx 1\n'],
    ['a bad TYPE', '# TYPE x meter\nx 1\n'],
    ['a label name that starts with a digit', '# TYPE x gauge\nx{1a="1"} 1\n'],
    ['a comment that is no HELP or TYPE', `${good}# hello\n`],
  ])('refuses %s', (_, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
