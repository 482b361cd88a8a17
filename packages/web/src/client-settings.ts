import { type MailHost, type ServiceEndpoint, servicesOf, type TlsMode } from './mail-host.ts';

/** How each client names the TLS modes in its account dialog. */
const TLS_WORDS: Record<string, Record<TlsMode, string>> = {
  Thunderbird: { implicit: 'SSL/TLS', starttls: 'STARTTLS', none: 'None' },
  'Apple Mail': {
    implicit: 'Use TLS/SSL: on',
    starttls: 'Use TLS/SSL: on (STARTTLS)',
    none: 'Use TLS/SSL: off',
  },
  Outlook: { implicit: 'SSL/TLS', starttls: 'STARTTLS', none: 'None' },
};

/**
 * What to type into Thunderbird, Apple Mail and Outlook for an account on this host: server,
 * port and TLS mode for incoming (IMAP, POP3) and outgoing (submission) mail; the user name
 * is always the full address, the password the account's.
 */
export function clientSettingsText(host: MailHost, address = `you@${host.domain}`): string {
  const imap = servicesOf(host, 'imap')[0];
  const pop3 = servicesOf(host, 'pop3')[0];
  const submission = servicesOf(host, 'submission')[0];
  const out = [`Mail settings for ${address} (server ${host.hostname})`, ''];
  out.push(`User name: ${address} (the full address, for incoming and outgoing)`);
  out.push('Password:  the account password; authentication "Normal password"');
  for (const [client, words] of Object.entries(TLS_WORDS)) {
    const row = (role: string, s: ServiceEndpoint | undefined) =>
      s
        ? `  ${role.padEnd(15)} ${host.hostname}  port ${String(s.port).padEnd(5)} ${words[s.tls]}`
        : `  ${role.padEnd(15)} not offered`;
    out.push('', `${client}:`);
    out.push(row('Incoming IMAP', imap), row('Incoming POP3', pop3), row('Outgoing SMTP', submission));
  }
  out.push('', 'Thunderbird finds these by itself from the autoconfig file');
  out.push(`(http://autoconfig.${host.domain}/mail/config-v1.1.xml, see dns-records).`);
  return `${out.join('\n')}\n`;
}
