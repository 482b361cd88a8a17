import { describe, expect, it } from 'vitest';
import { createHostMetrics, parseExposition, sampleValue } from '../src/index.ts';

/** One process's registry as an agent process would count it. */
function processMetrics() {
  return createHostMetrics({ processMetrics: false });
}

describe("adding other processes' counts", () => {
  it('sums counters and histograms per label set and keeps each listener apart', async () => {
    const web = processMetrics();
    const msa = processMetrics();
    const imap = processMetrics();
    msa.count('messages_accepted', { agent: 'msa' }, 2);
    msa.count('auth_failures', { protocol: 'submission' });
    msa.trackListener({ agent: 'msa', protocol: 'submissions', port: 465 }, { connections: 3 });
    imap.count('auth_failures', { protocol: 'imap' });
    imap.count('auth_failures', { protocol: 'submission' }); // the same label set in two processes
    imap.count('sessions', { protocol: 'imap' }, 4);
    imap.trackListener({ agent: 'imap', protocol: 'imaps', port: 993 }, { connections: 1 });
    web.trackListener({ agent: 'web', protocol: 'http', port: 8025 }, { connections: 1 });
    msa.observe('delivery_latency_seconds', 0.1, { agent: 'queue' });
    imap.observe('delivery_latency_seconds', 10, { agent: 'queue' });

    const { body } = await web.scrape([await msa.countedSeries(), await imap.countedSeries()]);
    const s = parseExposition(body);
    expect(sampleValue(s, 'mailstack_messages_accepted_total', { agent: 'msa' })).toBe(2);
    expect(sampleValue(s, 'mailstack_messages_accepted_total', { agent: 'mta' })).toBe(0);
    expect(sampleValue(s, 'mailstack_auth_failures_total', { protocol: 'submission' })).toBe(2);
    expect(sampleValue(s, 'mailstack_auth_failures_total', { protocol: 'imap' })).toBe(1);
    expect(sampleValue(s, 'mailstack_sessions_total', { protocol: 'imap' })).toBe(4);
    // One sample per label set: summed, not listed once per process.
    expect(s.filter((x) => x.name === 'mailstack_auth_failures_total')).toHaveLength(4);
    expect(sampleValue(s, 'mailstack_connections', { agent: 'msa', port: '465' })).toBe(3);
    expect(sampleValue(s, 'mailstack_connections', { agent: 'imap', port: '993' })).toBe(1);
    expect(sampleValue(s, 'mailstack_connections', { agent: 'web', port: '8025' })).toBe(1);
    const latency = (suffix: string, labels: Record<string, string> = {}) =>
      sampleValue(s, `mailstack_delivery_latency_seconds${suffix}`, { agent: 'queue', ...labels });
    expect(latency('_count')).toBe(2);
    expect(latency('_sum')).toBeCloseTo(10.1);
    expect(latency('_bucket', { le: '0.25' })).toBe(1);
    expect(latency('_bucket', { le: '30' })).toBe(2);
    expect(latency('_bucket', { le: '+Inf' })).toBe(2);
  });

  it("survives the JSON a snapshot file carries, and keeps the scraping process's own series", async () => {
    const web = createHostMetrics({ clock: () => 0 });
    const msa = processMetrics();
    msa.count('messages_accepted', { agent: 'msa' });
    const peers = JSON.parse(JSON.stringify([await msa.countedSeries()]));
    const s = parseExposition((await web.scrape(peers)).body);
    expect(sampleValue(s, 'mailstack_messages_accepted_total', { agent: 'msa' })).toBe(1);
    expect(sampleValue(s, 'mailstack_queue_messages')).toBe(0);
    // Summing would drop a start time (prom-client's 'omit'): the web process's own stays.
    expect(s.some((x) => x.name === 'mailstack_process_start_time_seconds')).toBe(true);
    expect(s.some((x) => x.name === 'mailstack_process_resident_memory_bytes')).toBe(true);
  });

  it("adds only the series it knows, with their types, from a peer's snapshot", async () => {
    const web = processMetrics();
    const peer = [
      {
        name: 'mailstack_sessions_total',
        help: 'x',
        type: 'gauge',
        aggregator: 'sum',
        values: [{ value: 7, labels: { protocol: 'imap' } }],
      },
      {
        name: 'mailstack_process_cpu_seconds_total',
        help: 'x',
        type: 'counter',
        aggregator: 'sum',
        values: [{ value: 9, labels: {} }],
      },
    ];
    const s = parseExposition((await web.scrape([peer as never])).body);
    expect(sampleValue(s, 'mailstack_sessions_total', { protocol: 'imap' })).toBe(0);
    expect(s.some((x) => x.name === 'mailstack_process_cpu_seconds_total')).toBe(false);
  });

  it('gives the counted series only: no process metrics, no queue gauges', async () => {
    const names = (await createHostMetrics().countedSeries()).map((m) => m.name).sort();
    expect(names).toEqual([
      'mailstack_auth_failures_total',
      'mailstack_connections',
      'mailstack_delivery_latency_seconds',
      'mailstack_messages_accepted_total',
      'mailstack_messages_bounced_total',
      'mailstack_messages_deferred_total',
      'mailstack_messages_delivered_total',
      'mailstack_sessions_total',
    ]);
  });
});
