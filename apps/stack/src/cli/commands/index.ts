import type { Command } from '../command.ts';
import { agentCommands } from './agents.ts';
import { clientConfigCommand } from './client-config.ts';
import { configCommand } from './config.ts';
import { aliasCommand, domainCommand, userCommand } from './directory-commands.ts';
import { dnsRecordsCommand } from './dns-records.ts';
import { ldaCommand } from './lda.ts';
import { queueCommand } from './queue.ts';
import { startCommand } from './start.ts';

/** Every `mailstack` subcommand, in the order `mailstack --help` lists them. Add one line per new file. */
export const COMMANDS: readonly Command[] = [
  startCommand,
  ...agentCommands,
  ldaCommand,
  userCommand,
  domainCommand,
  aliasCommand,
  queueCommand,
  configCommand,
  dnsRecordsCommand,
  clientConfigCommand,
];
