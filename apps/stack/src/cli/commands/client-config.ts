import { parseArgs } from 'node:util';
import { isValidMailbox } from '@mailstack/core';
import { autoconfigXml, clientSettingsText } from '@mailstack/web';
import type { Command } from '../command.ts';
import { mailHostOf, type PublishedHost, publishedHostCommand } from '../published-host.ts';
import { type CommandIo, EX_USAGE } from './command-io.ts';

export const name = 'client-config';
export const summary = 'what to type into Thunderbird, Apple Mail and Outlook (--xml: the autoconfig file)';
export const usage = `usage: mailstack client-config [ADDRESS] [--xml] [--config FILE]

Prints the server, port, TLS mode and user name (the full address) for incoming
(IMAP, POP3) and outgoing (submission) mail, as each client names them.
--xml prints the Thunderbird autoconfig file instead, as the web agent serves it at
/.well-known/autoconfig/mail/config-v1.1.xml.
`;

/** `mailstack client-config`: exit 0 with the settings on stdout, 64 on a bad command line. */
export async function run(argv: string[], io: CommandIo, config: PublishedHost): Promise<number> {
  let positionals: string[];
  let values: { help?: boolean; xml?: boolean };
  try {
    ({ positionals, values } = parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h' },
        xml: { type: 'boolean' },
        config: { type: 'string' },
      },
      allowPositionals: true,
    }));
  } catch (err) {
    io.stderr.write(`mailstack client-config: ${(err as Error).message}\n${usage}`);
    return EX_USAGE;
  }
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const address = positionals[0];
  if (positionals.length > 1 || (address !== undefined && !isValidMailbox(address))) {
    io.stderr.write(`mailstack client-config: expected at most one mail address\n${usage}`);
    return EX_USAGE;
  }
  const host = mailHostOf(config);
  io.stdout.write(values.xml ? autoconfigXml(host) : clientSettingsText(host, address));
  return 0;
}

/** The `mailstack client-config` entry of the command table: the config first, then `run`. */
export const clientConfigCommand: Command = publishedHostCommand({ name, summary, usage }, run);
