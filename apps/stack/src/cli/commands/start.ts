import { parseArgs } from 'node:util';
import { withDevSwitch } from '../../defaults.ts';
import { configLogger } from '../../logging.ts';
import type { RunningStack } from '../../start.ts';
import type { Command } from '../command.ts';
import { serveUntilSignal, startFailed } from '../serve.ts';
import { withConfig } from '../with-config.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'the whole host in one process: every agent of the config, plus the queue runner',
  usage: `usage: mailstack start [--config FILE] [--dev]

Starts every agent that has a listener in the config, and the queue runner, in this process,
sharing the directory, mailbox store, spool, login throttle and certificate. Prints what runs
where; logs are JSON lines (log.level, log.file). SIGTERM or Ctrl-C stops it.

  --config FILE   the host config (default: MAILSTACK_CONFIG, else the embedded defaults)
  --dev           the development switch of \`npm start\`: cleartext AUTH from loopback, and the
                  demo users alice@ and bob@ of the first domain (password MAILSTACK_DEMO_PASSWORD,
                  else generated once and printed)
`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, dev: { type: 'boolean' } },
    });
    return withConfig(
      values.config,
      io,
      async (loaded) => {
        const logger = configLogger(loaded);
        // Loaded here, not with the command table: `mailstack imap` must not load every agent.
        const [{ startStack }, { banner }] = await Promise.all([
          import('../../start.ts'),
          import('../../banner.ts'),
        ]);
        let stack: RunningStack;
        try {
          stack = await startStack(loaded, logger, io.env);
        } catch (err) {
          return startFailed(err, io, 'stack');
        }
        // The signal handlers first: whoever reads the banner may stop us at once.
        const served = serveUntilSignal(() => stack.close(), io);
        logger.info({ event: 'stack-started', endpoints: stack.endpoints }, 'stack started');
        io.stdout.write(banner(loaded, stack));
        return served;
      },
      values.dev ? withDevSwitch : undefined,
    );
  },
};
