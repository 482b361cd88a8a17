import { describe, expect, it } from 'vitest';
import { mailHostFromListeners, servicesOf } from '../src/index.ts';

describe('mailHostFromListeners', () => {
  const host = mailHostFromListeners('mail.example.test', 'example.test', [
    { agent: 'mta', port: 2525, tls: 'starttls' },
    { agent: 'msa', port: 2587, tls: 'starttls' },
    { agent: 'msa', port: 2465, tls: 'implicit' },
    { agent: 'mda', port: 2424, tls: 'none' },
    { agent: 'imap', port: 2143, tls: 'starttls' },
    { agent: 'web', port: 8025, tls: 'none' },
  ]);

  it('keeps the listeners clients and MTAs use, as services, and leaves LMTP and web out', () => {
    expect(host.services).toEqual([
      { protocol: 'smtp', port: 2525, tls: 'starttls' },
      { protocol: 'submission', port: 2587, tls: 'starttls' },
      { protocol: 'submission', port: 2465, tls: 'implicit' },
      { protocol: 'imap', port: 2143, tls: 'starttls' },
    ]);
  });

  it('lists implicit TLS before STARTTLS (RFC 8314)', () => {
    expect(servicesOf(host, 'submission').map((s) => s.port)).toEqual([2465, 2587]);
    expect(servicesOf(host, 'pop3')).toEqual([]);
  });
});
