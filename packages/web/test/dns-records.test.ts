import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { parseZone, txtValue } from '@mailstack/testkit';
import { describe, expect, it } from 'vitest';
import { dnsRecords, STANDARD_SERVICES } from '../src/index.ts';
import { HOST } from './fixtures.ts';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const DKIM = {
  selector: 'mailstack',
  txt: `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
};

const find = (zone: ReturnType<typeof parseZone>, type: string, owner: string) =>
  zone.filter((r) => r.type === type && r.owner === owner).map((r) => r.data);

describe('dnsRecords', () => {
  const zone = parseZone(
    dnsRecords({
      host: HOST,
      domain: 'example.test',
      addresses: ['203.0.113.7', '2001:db8::25'],
      dkim: DKIM,
    }),
  );

  it('publishes MX, A/AAAA, SPF and DMARC for the domain', () => {
    expect(find(zone, 'MX', 'example.test.')).toEqual(['10 mail.example.test.']);
    expect(find(zone, 'A', 'mail.example.test.')).toEqual(['203.0.113.7']);
    expect(find(zone, 'AAAA', 'mail.example.test.')).toEqual(['2001:db8::25']);
    expect(find(zone, 'TXT', 'example.test.').map(txtValue)).toEqual(['v=spf1 mx -all']);
    expect(find(zone, 'TXT', '_dmarc.example.test.').map(txtValue)).toEqual([
      'v=DMARC1; p=quarantine; rua=mailto:postmaster@example.test',
    ]);
    expect(zone.every((r) => r.ttl === 3600)).toBe(true);
  });

  it('publishes the DKIM key in strings of at most 255 bytes that join to the public key', () => {
    const [data] = find(zone, 'TXT', 'mailstack._domainkey.example.test.');
    expect(data).toBeDefined();
    expect(data?.split('" "').length).toBeGreaterThan(1);
    const value = txtValue(data as string);
    const p = /(?:^|;)\s*p=([A-Za-z0-9+/=]+)$/.exec(value)?.[1];
    const fromRecord = createPublicKey({
      key: Buffer.from(p as string, 'base64'),
      format: 'der',
      type: 'spki',
    });
    expect(fromRecord.export({ type: 'spki', format: 'pem' })).toBe(
      createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }),
    );
  });

  it('publishes the six RFC 6186 SRV records, implicit TLS preferred', () => {
    const srv = (name: string) => find(zone, 'SRV', `${name}.example.test.`);
    expect(srv('_submissions._tcp')).toEqual(['0 1 465 mail.example.test.']);
    expect(srv('_submission._tcp')).toEqual(['10 1 587 mail.example.test.']);
    expect(srv('_imaps._tcp')).toEqual(['0 1 993 mail.example.test.']);
    expect(srv('_imap._tcp')).toEqual(['10 1 143 mail.example.test.']);
    expect(srv('_pop3s._tcp')).toEqual(['0 1 995 mail.example.test.']);
    expect(srv('_pop3._tcp')).toEqual(['10 1 110 mail.example.test.']);
    expect(find(zone, 'CNAME', 'autoconfig.example.test.')).toEqual(['mail.example.test.']);
  });

  it('says "not offered" (target ".") for a service the host does not run', () => {
    const noPop3 = { ...HOST, services: STANDARD_SERVICES.filter((s) => s.protocol !== 'pop3') };
    const z = parseZone(dnsRecords({ host: noPop3, domain: 'example.test', addresses: ['203.0.113.7'] }));
    expect(find(z, 'SRV', '_pop3._tcp.example.test.')).toEqual(['0 0 0 .']);
    expect(find(z, 'SRV', '_pop3s._tcp.example.test.')).toEqual(['0 0 0 .']);
  });

  it('gives loopback-only hosts commented placeholders, never a record to publish by mistake', () => {
    const text = dnsRecords({
      host: HOST,
      domain: 'example.test',
      addresses: [],
      addressNote: 'listeners bind 127.0.0.1',
    });
    const z = parseZone(text);
    expect(z.filter((r) => r.type === 'A' || r.type === 'AAAA')).toEqual([]);
    expect(text).toContain('(listeners bind 127.0.0.1)');
    expect(text).toContain('; mail.example.test.\t3600\tIN\tA\t192.0.2.1');
    // No DKIM key given: no DKIM record, a comment saying so.
    expect(z.some((r) => r.owner.includes('_domainkey'))).toBe(false);
    expect(text).toContain('; No DKIM key for example.test');
  });
});

describe('parseZone (the checker itself)', () => {
  it.each([
    ['a relative owner', 'example.test\t3600\tIN\tMX\t10 mail.example.test.'],
    ['an MX without preference', 'example.test.\t3600\tIN\tMX\tmail.example.test.'],
    ['a TXT string over 255 bytes', `example.test.\t3600\tIN\tTXT\t"${'a'.repeat(256)}"`],
    ['an unquoted TXT', 'example.test.\t3600\tIN\tTXT\tv=spf1 mx -all'],
    ['an SRV with a relative target', '_imap._tcp.example.test.\t3600\tIN\tSRV\t0 1 143 mail'],
    ['a bad IPv4', 'mail.example.test.\t3600\tIN\tA\t300.1.1.1'],
  ])('refuses %s', (_, line) => {
    expect(() => parseZone(line)).toThrow();
  });
});
