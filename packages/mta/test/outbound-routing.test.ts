import { SmtpError } from '@mailstack/core';
import { type DnsServer, startDnsServer } from '@mailstack/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsResolver, createRouter, parseTransport } from '../src/index.ts';

let dns: DnsServer;

beforeAll(async () => {
  dns = await startDnsServer({
    zone: {
      'example.test': {
        mx: [
          { preference: 20, exchange: 'backup.example.test' },
          { preference: 10, exchange: 'mx1.example.test' },
        ],
      },
      'mx1.example.test': { a: ['127.0.0.2'], aaaa: ['::1'] },
      'backup.example.test': { a: ['127.0.0.3'] },
      'equal.test': {
        mx: [
          { preference: 10, exchange: 'mx1.example.test' },
          { preference: 10, exchange: 'backup.example.test' },
        ],
      },
      'implicit.test': { a: ['127.0.0.4'] },
      'null.test': { nullMx: true },
      'broken.test': { servfail: true },
      'dangling.test': { mx: [{ preference: 10, exchange: 'gone.test' }] },
      'relay.test': { a: ['127.0.0.9'] },
      'silent.test': { drop: true },
    },
  });
});

afterAll(() => dns.close());

const router = (extra: Partial<Parameters<typeof createRouter>[0]> = {}) =>
  createRouter({ dns: createDnsResolver({ servers: [dns.address], timeoutMs: 300, tries: 1 }), ...extra });

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SmtpError);
  return String(err);
}

describe('outbound routing (RFC 5321 5.1, RFC 7505)', () => {
  it('orders MX hosts by preference, each with its A and AAAA addresses', async () => {
    const route = await router()('Example.TEST');
    expect(route).toEqual({
      kind: 'mx',
      domain: 'example.test',
      implicit: false,
      hosts: [
        { name: 'mx1.example.test', preference: 10, addresses: ['127.0.0.2', '::1'] },
        { name: 'backup.example.test', preference: 20, addresses: ['127.0.0.3'] },
      ],
    });
  });

  it('shuffles hosts of equal preference', async () => {
    const orders = new Set<string>();
    for (const sequence of [
      [0.1, 0.9],
      [0.9, 0.1],
    ]) {
      let k = 0;
      const route = await router({ random: () => sequence[k++ % 2] as number })('equal.test');
      if (route.kind !== 'mx') throw new Error('expected mx');
      orders.add(route.hosts.map((h) => h.name).join(','));
    }
    expect(orders).toEqual(
      new Set(['mx1.example.test,backup.example.test', 'backup.example.test,mx1.example.test']),
    );
  });

  it('falls back to the domain itself without MX (implicit MX)', async () => {
    expect(await router()('implicit.test')).toEqual({
      kind: 'mx',
      domain: 'implicit.test',
      implicit: true,
      hosts: [{ name: 'implicit.test', preference: 0, addresses: ['127.0.0.4'] }],
    });
  });

  it('reports a null MX', async () => {
    expect(await router()('null.test')).toEqual({ kind: 'null-mx', domain: 'null.test' });
  });

  it('fails a domain that does not exist with 5.1.2 and defers SERVFAIL and timeouts with 4.4.3', async () => {
    expect(await refusal(router()('nowhere.test'))).toMatch(/^550 5\.1\.2 /);
    expect(await refusal(router()('broken.test'))).toMatch(/^451 4\.4\.3 /);
    expect(await refusal(router()('silent.test'))).toMatch(/^451 4\.4\.3 .*ETIMEOUT/);
  });

  it('fails when no MX host has an address', async () => {
    expect(await refusal(router()('dangling.test'))).toMatch(/^550 5\.4\.4 /);
  });

  it('routes an address literal to itself', async () => {
    const route = await router()('[127.0.0.5]');
    expect(route.kind === 'mx' && route.hosts).toEqual([{ name: '127.0.0.5', addresses: ['127.0.0.5'] }]);
  });

  it('prefers the transport map, then the smarthost, over MX', async () => {
    const r = router({
      transportMap: { 'example.test': 'smtp:[127.0.0.7]:2525', '.sub.test': 'lmtp:relay.test:24' },
      smarthost: { host: 'relay.test', port: 587, auth: { user: 'u', pass: 'p' } },
    });
    const mapped = await r('example.test');
    expect(mapped.kind === 'relay' && [mapped.via, mapped.hosts]).toEqual([
      { protocol: 'smtp', host: '127.0.0.7', mx: false, port: 2525 },
      [{ name: '127.0.0.7', addresses: ['127.0.0.7'] }],
    ]);
    const child = await r('a.sub.test');
    expect(child.kind === 'relay' && [child.via.protocol, child.hosts[0]?.addresses]).toEqual([
      'lmtp',
      ['127.0.0.9'],
    ]);
    const other = await r('implicit.test');
    expect(other.kind === 'relay' && [other.via.port, other.hosts[0]?.addresses]).toEqual([
      587,
      ['127.0.0.9'],
    ]);
  });

  it('parses transport entries and refuses bad ones', () => {
    expect(parseTransport('smtp:relay.example')).toEqual({
      protocol: 'smtp',
      host: 'relay.example',
      mx: true,
    });
    expect(() => parseTransport('uucp:somewhere')).toThrow(/Bad transport entry/);
  });
});
