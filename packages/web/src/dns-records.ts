import { isIP } from 'node:net';
import type { MailHost, ServiceEndpoint } from './mail-host.ts';

export interface DnsRecordsInput {
  host: MailHost;
  /** The mail domain to publish for (usually `host.domain`). */
  domain: string;
  /** Public addresses of `host.hostname`; none gives commented placeholders. */
  addresses: string[];
  /** Why there are no addresses to publish (e.g. "listeners bind 127.0.0.1"). */
  addressNote?: string;
  /** The DKIM key in use: its selector and the TXT value (`v=DKIM1; k=...; p=...`). */
  dkim?: { selector: string; txt: string };
  /** Seconds; default 3600. */
  ttl?: number;
}

/** RFC 6186 / RFC 8314 service names, with the TLS mode each stands for. */
const SRV_NAMES: ReadonlyArray<{ name: string; protocol: ServiceEndpoint['protocol']; implicit: boolean }> = [
  { name: '_submissions._tcp', protocol: 'submission', implicit: true },
  { name: '_submission._tcp', protocol: 'submission', implicit: false },
  { name: '_imaps._tcp', protocol: 'imap', implicit: true },
  { name: '_imap._tcp', protocol: 'imap', implicit: false },
  { name: '_pop3s._tcp', protocol: 'pop3', implicit: true },
  { name: '_pop3._tcp', protocol: 'pop3', implicit: false },
];

/**
 * The records a domain publishes to receive and send mail from this host, as zone-file lines
 * with absolute names: MX, A/AAAA, SPF, DKIM, DMARC, the RFC 6186 SRV records (implicit TLS
 * preferred, RFC 8314 5.1; "." for a service not offered) and the autoconfig name.
 */
export function dnsRecords(input: DnsRecordsInput): string {
  const ttl = input.ttl ?? 3600;
  const domain = fqdn(input.domain);
  const host = fqdn(input.host.hostname);
  const line = (owner: string, type: string, data: string) => `${owner}\t${ttl}\tIN\t${type}\t${data}`;
  const out = [`; Mail records for ${input.domain}, served by ${input.host.hostname}`];

  out.push('', '; Inbound mail goes to this host', line(domain, 'MX', `10 ${host}`));
  out.push(...addressLines(input, host, line));

  out.push('', "; Only this domain's MX hosts send its mail (SPF, RFC 7208)");
  out.push(line(domain, 'TXT', txt('v=spf1 mx -all')));
  if (input.dkim) {
    out.push(`; The DKIM key the stack signs with (selector ${input.dkim.selector}, RFC 6376)`);
    out.push(line(`${input.dkim.selector}._domainkey.${domain}`, 'TXT', txt(input.dkim.txt)));
  } else {
    out.push(`; No DKIM key for ${input.domain}: the stack signs only its own domain's mail`);
  }
  out.push('; What receivers do with mail that fails both (DMARC, RFC 7489)');
  out.push(
    line(`_dmarc.${domain}`, 'TXT', txt(`v=DMARC1; p=quarantine; rua=mailto:postmaster@${input.domain}`)),
  );

  out.push('', '; Where mail clients find the services (RFC 6186, RFC 8314)');
  for (const srv of SRV_NAMES) {
    const service = input.host.services.find(
      (s) => s.protocol === srv.protocol && (s.tls === 'implicit') === srv.implicit,
    );
    const data = service ? `${srv.implicit ? 0 : 10} 1 ${service.port} ${host}` : '0 0 0 .';
    out.push(line(`${srv.name}.${domain}`, 'SRV', data));
  }

  out.push('', "; Thunderbird asks http://autoconfig.<domain>/mail/config-v1.1.xml (the web agent's");
  out.push('; /mail/config-v1.1.xml; put it behind port 80 or a proxy)');
  out.push(line(`autoconfig.${domain}`, 'CNAME', host));
  return `${out.join('\n')}\n`;
}

function addressLines(
  input: DnsRecordsInput,
  host: string,
  line: (owner: string, type: string, data: string) => string,
): string[] {
  if (input.addresses.length > 0) {
    return input.addresses.map((a) => line(host, isIP(a) === 6 ? 'AAAA' : 'A', a));
  }
  // Documentation addresses (RFC 5737, RFC 3849), commented out: publishing one by mistake
  // must not be possible, so the operator writes the real address in.
  return [
    `; ${input.host.hostname} has no public address here${input.addressNote ? ` (${input.addressNote})` : ''}:`,
    '; publish its real addresses in place of these placeholders',
    `; ${line(host, 'A', '192.0.2.1')}`,
    `; ${line(host, 'AAAA', '2001:db8::1')}`,
  ];
}

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** A TXT value as quoted strings of at most 255 bytes each (RFC 1035 3.3.14). */
export function txt(value: string): string {
  const chunks: string[] = [];
  for (let i = 0; i < value.length; i += 255) chunks.push(value.slice(i, i + 255));
  return chunks.map((c) => `"${c.replace(/["\\]/g, '\\$&')}"`).join(' ');
}
