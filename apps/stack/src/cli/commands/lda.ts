import { parseArgs } from 'node:util';
import { sizeBytes } from '@mailstack/config';
import { createLogger } from '@mailstack/log';
import { configLogger } from '../../logging.ts';
import type { Command } from '../command.ts';
import { withConfig } from '../with-config.ts';

/** sysexits(3): what Postfix's `mailbox_command` and a `pipe` transport understand. */
const EX_USAGE = 64;
const EX_TEMPFAIL = 75;

const usage = `usage: mailstack lda -f SENDER -a RECIPIENT [-a RECIPIENT...] [--detail-folder] [-v] [--config FILE]

Delivers one message from stdin into the Maildir store of the config (paths.mail, accounts
and quotas of paths.directory), like dovecot-lda: for Postfix's mailbox_command or a pipe
transport. An mbox "From " line in front is dropped; limits.messageSize applies.

  -f, --from SENDER        the envelope sender ('<>' or empty: the null sender)
  -a, --recipient RCPT     a recipient (repeat for more)
  --detail-folder          user+detail@ into folder "detail" when it exists
  -v, --verbose            debug logs on stderr (else warnings only, or log.file when set)
  --config FILE            the host config (default: MAILSTACK_CONFIG, else the embedded defaults)

Exit status: 0 delivered, 75 temporary failure or over quota (the MTA retries), 67 unknown
recipient, 65 bad input, 64 usage, 69 other refusals, 78 config error. Refusals go to stderr.
`;

function parseLdaArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      from: { type: 'string', short: 'f' },
      recipient: { type: 'string', short: 'a', multiple: true },
      'detail-folder': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

/** `mailstack lda`: the MDA's LDA mode as a process. */
export const ldaCommand: Command = {
  name: 'lda',
  summary: 'delivers one message from stdin into the store (Postfix mailbox_command), sysexits codes',
  usage,
  async run(argv, io) {
    let values: ReturnType<typeof parseLdaArgs>;
    try {
      values = parseLdaArgs(argv);
    } catch (err) {
      io.stderr.write(`${(err as Error).message}\n${usage}`);
      return EX_USAGE;
    }
    const recipients = values.recipient ?? [];
    if (recipients.length === 0) {
      io.stderr.write(usage);
      return EX_USAGE;
    }
    return withConfig(values.config, io, async (loaded) => {
      const logger = loaded.paths.logFile
        ? configLogger(loaded, { process: 'lda' })
        : createLogger({ level: values.verbose ? 'debug' : 'warn' });
      const { deliverLda, openLocalMailSystem } = await import('@mailstack/mda');
      try {
        const system = await openLocalMailSystem({
          dataDir: loaded.paths.mail,
          directoryFile: loaded.paths.directory,
          logger,
        });
        try {
          const outcome = await deliverLda(io.stdin, {
            sender: values.from ?? '',
            recipients,
            directory: system.directory,
            store: system.store,
            logger,
            detailFolder: values['detail-folder'] ?? false,
            maxMessageSize: sizeBytes(loaded.config.limits.messageSize),
          });
          for (const line of outcome.lines) io.stderr.write(`${line}\n`);
          return outcome.code;
        } finally {
          await system.close();
        }
      } catch (err) {
        io.stderr.write(`451 4.3.0 local delivery failed: ${String(err)}\n`);
        return EX_TEMPFAIL;
      }
    });
  },
};
