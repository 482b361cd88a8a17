import { type MailHost, type ServiceEndpoint, servicesOf, type TlsMode } from './mail-host.ts';

/** Thunderbird's names for the TLS modes (config-v1.1 `socketType`). */
const SOCKET_TYPE: Record<TlsMode, string> = { implicit: 'SSL', starttls: 'STARTTLS', none: 'plain' };

/**
 * The Thunderbird autoconfig file (config-v1.1.xml, as served by ISPDB and
 * `autoconfig.<domain>/mail/config-v1.1.xml`): IMAP and POP3 as incoming servers, submission
 * as outgoing, implicit TLS listed first. The user name is the full address; Thunderbird
 * fills `%EMAILADDRESS%` in itself.
 */
export function autoconfigXml(host: MailHost): string {
  const domain = escapeXml(host.domain);
  const server = (kind: 'incomingServer' | 'outgoingServer', type: string, s: ServiceEndpoint) =>
    [
      `    <${kind} type="${type}">`,
      `      <hostname>${escapeXml(host.hostname)}</hostname>`,
      `      <port>${s.port}</port>`,
      `      <socketType>${SOCKET_TYPE[s.tls]}</socketType>`,
      '      <authentication>password-cleartext</authentication>',
      '      <username>%EMAILADDRESS%</username>',
      `    </${kind}>`,
    ].join('\n');
  const incoming = [...servicesOf(host, 'imap'), ...servicesOf(host, 'pop3')].map((s) =>
    server('incomingServer', s.protocol, s),
  );
  const outgoing = servicesOf(host, 'submission').map((s) => server('outgoingServer', 'smtp', s));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${domain}">`,
    `    <domain>${domain}</domain>`,
    `    <displayName>${domain} mail</displayName>`,
    `    <displayShortName>${domain}</displayShortName>`,
    ...incoming,
    ...outgoing,
    '  </emailProvider>',
    '</clientConfig>',
    '',
  ].join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
