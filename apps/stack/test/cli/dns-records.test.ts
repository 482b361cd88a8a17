import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '@mailstack/config';
import { parseZone, type TempDir, tempDir, txtValue } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/commands/dns-records.ts';
import { type PublishedHost, publicAddresses, publishedHostOf } from '../../src/cli/published-host.ts';
import { captureIo } from './capture-io.ts';

let data: TempDir;
/** The embedded defaults, with the data folder (and so the DKIM key) in the temp folder. */
const host = () => publishedHostOf(loadConfig({ env: {}, cwd: data.path }));
beforeEach(async () => {
  data = await tempDir('mailstack-dns-');
});
afterEach(() => data.cleanup());

describe('mailstack dns-records', () => {
  it('prints zone lines whose DKIM record is the public half of the key the stack signs with', async () => {
    const io = captureIo();
    expect(await run(['example.test'], io, host())).toBe(0);
    expect(io.err()).toBe('');
    const zone = parseZone(io.out());
    expect(zone.map((r) => `${r.type} ${r.owner}`)).toEqual([
      'MX example.test.',
      'TXT example.test.',
      'TXT mailstack._domainkey.example.test.',
      'TXT _dmarc.example.test.',
      'SRV _submissions._tcp.example.test.',
      'SRV _submission._tcp.example.test.',
      'SRV _imaps._tcp.example.test.',
      'SRV _imap._tcp.example.test.',
      'SRV _pop3s._tcp.example.test.',
      'SRV _pop3._tcp.example.test.',
      'CNAME autoconfig.example.test.',
    ]);
    // The default listeners' ports, as configured.
    expect(zone.find((r) => r.owner === '_imaps._tcp.example.test.')?.data).toBe(
      '0 1 2993 mail.example.test.',
    );

    const dkim = zone.find((r) => r.owner === 'mailstack._domainkey.example.test.');
    const p = /p=([A-Za-z0-9+/=]+)$/.exec(txtValue(dkim?.data ?? ''))?.[1] ?? '';
    const keyFile = await readFile(
      join(data.path, '.mailstack', 'dkim', 'example.test.mailstack.key'),
      'utf8',
    );
    const published = createPublicKey({ key: Buffer.from(p, 'base64'), format: 'der', type: 'spki' });
    expect(published.export({ type: 'spki', format: 'pem' })).toBe(
      createPublicKey(keyFile).export({ type: 'spki', format: 'pem' }),
    );

    // A second run publishes the same key, not a new one.
    const again = captureIo();
    await run([], again, host());
    expect(again.out()).toBe(io.out());
  });

  it('gives the loopback default commented address placeholders that say why', async () => {
    const io = captureIo();
    await run(['example.test'], io, host());
    expect(io.out()).toContain('mail.example.test has no public address here (listeners bind 127.0.0.1)');
    expect(io.out()).toMatch(/^; mail\.example\.test\.\t3600\tIN\tA\t192\.0\.2\.1$/m);
    expect(parseZone(io.out()).some((r) => r.type === 'A' || r.type === 'AAAA')).toBe(false);
  });

  it('publishes no DKIM key for a domain the stack does not sign, and makes none', async () => {
    const io = captureIo();
    expect(await run(['Other.Example.'], io, host())).toBe(0);
    const zone = parseZone(io.out());
    expect(zone[0]).toMatchObject({ type: 'MX', owner: 'other.example.', data: '10 mail.example.test.' });
    expect(zone.some((r) => r.owner.includes('_domainkey'))).toBe(false);
    expect(existsSync(join(data.path, '.mailstack', 'dkim'))).toBe(false);
  });

  it('answers --help, and 64 for a bad domain or two domains', async () => {
    const help = captureIo();
    expect(await run(['--help'], help, host())).toBe(0);
    expect(help.out()).toMatch(/^usage: mailstack dns-records/);
    for (const argv of [['not a domain'], ['a.test', 'b.test'], ['--bogus']]) {
      const io = captureIo();
      expect(await run(argv, io, host())).toBe(64);
      expect(io.out()).toBe('');
      expect(io.err()).toMatch(/^mailstack/);
    }
  });
});

describe('publicAddresses', () => {
  const on = (address: string): PublishedHost => ({
    hostname: 'mail.example.test',
    domain: 'example.test',
    dkimDir: '/nowhere',
    listeners: [
      { agent: 'imap', address, port: 993, tls: 'implicit' },
      { agent: 'mda', address: '127.0.0.1', port: 2424, tls: 'none' },
    ],
  });
  const nic = (address: string, internal = false) => ({
    address,
    internal,
    family: address.includes(':') ? ('IPv6' as const) : ('IPv4' as const),
    netmask: '',
    mac: '',
    cidr: null,
    ...(address.includes(':') ? { scopeid: 0 } : {}),
  });

  it("lists the machine's non-loopback, non-link-local addresses when listeners bind every address", () => {
    const interfaces = {
      lo: [nic('127.0.0.1', true), nic('::1', true)],
      eth0: [nic('203.0.113.7'), nic('fe80::1'), nic('2001:db8::25')],
    } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;
    expect(publicAddresses(on('0.0.0.0'), interfaces)).toEqual({
      addresses: ['203.0.113.7', '2001:db8::25'],
    });
  });

  it('lists an explicit public bind address as it is, and names loopback binds', () => {
    expect(publicAddresses(on('198.51.100.4'), {})).toEqual({ addresses: ['198.51.100.4'] });
    expect(publicAddresses(on('127.0.0.1'), {})).toEqual({ addresses: [], note: 'listeners bind 127.0.0.1' });
  });
});
