import { parseArgs } from 'node:util';
import { dnsRecords } from '@mailstack/web';
import { ensureDkimKey } from '../../dkim.ts';
import type { Command } from '../command.ts';
import { mailHostOf, type PublishedHost, publicAddresses, publishedHostCommand } from '../published-host.ts';
import { type CommandIo, EX_USAGE } from './command-io.ts';

export const name = 'dns-records';
export const summary = 'the DNS records to publish for a mail domain, as zone-file lines';
export const usage = `usage: mailstack dns-records [DOMAIN] [--config FILE]

Prints MX, A/AAAA, SPF, DKIM, DMARC, the RFC 6186 SRV records and the autoconfig
name for DOMAIN (default: the configured domain), as lines to paste into its zone.
The DKIM record is the key the stack signs with; it is made now if the stack has
not made it yet. Loopback-only listeners give commented address placeholders.
`;

/** `mailstack dns-records`: exit 0 with the zone lines on stdout, 64 on a bad command line. */
export async function run(argv: string[], io: CommandIo, config: PublishedHost): Promise<number> {
  let positionals: string[];
  let help: boolean | undefined;
  try {
    ({
      positionals,
      values: { help },
    } = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    }));
  } catch (err) {
    io.stderr.write(`mailstack dns-records: ${(err as Error).message}\n${usage}`);
    return EX_USAGE;
  }
  if (help) {
    io.stdout.write(usage);
    return 0;
  }
  if (positionals.length > 1) {
    io.stderr.write(`mailstack dns-records: one domain at a time\n${usage}`);
    return EX_USAGE;
  }
  const host = config;
  const domain = (positionals[0] ?? host.domain).toLowerCase().replace(/\.$/, '');
  if (!/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(domain)) {
    io.stderr.write(`mailstack dns-records: not a domain name: ${positionals[0]}\n`);
    return EX_USAGE;
  }
  // The stack signs only its own domain's mail, so only that domain has a key to publish.
  const dkim =
    domain === host.domain ? await ensureDkimKey(host.dkimDir, domain, host.dkimSelector) : undefined;
  const { addresses, note } = publicAddresses(host);
  io.stdout.write(
    dnsRecords({
      host: mailHostOf(host),
      domain,
      addresses,
      ...(note ? { addressNote: note } : {}),
      ...(dkim ? { dkim: { selector: dkim.selector, txt: dkim.dnsTxtRecord } } : {}),
    }),
  );
  return 0;
}

/** The `mailstack dns-records` entry of the command table: the config first, then `run`. */
export const dnsRecordsCommand: Command = publishedHostCommand({ name, summary, usage }, run);
