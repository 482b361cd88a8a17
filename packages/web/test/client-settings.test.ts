import { describe, expect, it } from 'vitest';
import { clientSettingsText } from '../src/index.ts';
import { HOST } from './fixtures.ts';

describe('clientSettingsText', () => {
  const text = clientSettingsText(HOST, 'alice@example.test');

  it('names the full address as user name', () => {
    expect(text).toContain('User name: alice@example.test');
  });

  it.each(['Thunderbird', 'Apple Mail', 'Outlook'])(
    'tells %s the host, the implicit-TLS ports and the TLS mode',
    (client) => {
      const section = text.split('\n\n').find((s) => s.startsWith(`${client}:`)) as string;
      expect(section).toBeDefined();
      const row = (role: string) => section.split('\n').find((l) => l.includes(role)) ?? '';
      expect(row('Incoming IMAP')).toMatch(/mail\.example\.test {2}port 993 /);
      expect(row('Incoming POP3')).toMatch(/mail\.example\.test {2}port 995 /);
      expect(row('Outgoing SMTP')).toMatch(/mail\.example\.test {2}port 465 /);
      expect(row('Incoming IMAP')).toMatch(client === 'Apple Mail' ? /Use TLS\/SSL: on$/ : /SSL\/TLS$/);
    },
  );

  it('falls back to STARTTLS ports when only those are offered, and says what is not offered', () => {
    const starttlsOnly = {
      ...HOST,
      services: HOST.services.filter((s) => s.tls !== 'implicit' && s.protocol !== 'pop3'),
    };
    const t = clientSettingsText(starttlsOnly);
    expect(t).toContain('User name: you@example.test');
    expect(t).toMatch(/Incoming IMAP +mail\.example\.test {2}port 143 +STARTTLS/);
    expect(t).toMatch(/Outgoing SMTP +mail\.example\.test {2}port 587 +STARTTLS/);
    expect(t).toMatch(/Incoming POP3 +not offered/);
  });
});
