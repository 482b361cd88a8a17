import { EXIT_CONFIG } from '@mailstack/config';
import type { Command } from '../command.ts';
import { takeConfigFlag, withConfig } from '../with-config.ts';

/** `mailstack queue ...`: the queue CLI (mailq/postsuper verbs) on the config's spool. */
export const queueCommand: Command = {
  name: 'queue',
  summary: 'the spool: list, show, flush, hold, release, delete, requeue',
  usage: `usage: mailstack queue <verb> ... [--config FILE]

  queue list [--json]                  the queue, like mailq (* being delivered, ! on hold)
  queue show <id> [--json] [--body]    envelope, per-recipient state and last reply
  queue flush [<id>...]                make messages due now, like postqueue -f / -i
  queue hold <id>... | ALL             keep messages from delivery, like postsuper -h
  queue release <id>... | ALL          undo hold, like postsuper -H
  queue requeue <id>... | ALL          deferred recipients back to pending, due now (postsuper -r)
  queue delete <id>... | ALL           remove messages without a bounce, like postsuper -d

Works on paths.spool of the config (--config FILE, else MAILSTACK_CONFIG, else the embedded
defaults); a file spool only (spool.kind: postgres is refused: use psql). Exit: 0 ok, 64 usage, 66 no such spool or message, 70 internal error, 78 config error.
`,
  async run(argv, io) {
    const { file, rest } = takeConfigFlag(argv);
    return withConfig(file, io, async ({ config, paths }) => {
      if (config.spool.kind !== 'file') {
        // The verbs work on the file spool; a PostgreSQL spool is read and changed with SQL.
        io.stderr.write(
          `mailstack queue: works on a file spool; this config's spool is PostgreSQL (schema ${config.spool.schema}): use psql\n`,
        );
        return EXIT_CONFIG;
      }
      const { runQueueCli } = await import('@mailstack/queue');
      return runQueueCli(['--spool', paths.spool, ...rest], io);
    });
  },
};
