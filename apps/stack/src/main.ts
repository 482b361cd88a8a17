/**
 * `npm start`: the whole stack on embedded defaults. Logs go to stderr as JSON lines (one
 * per event, with `agent`), the banner with ports and the demo password to stdout.
 */
import { createLogger, parseLogLevel } from '@mailstack/log';
import { banner } from './banner.ts';
import { defaultConfig } from './defaults.ts';
import { startStack } from './start.ts';

const logger = createLogger({ level: parseLogLevel(process.env.MAILSTACK_LOG_LEVEL) ?? 'info' });
const config = defaultConfig();

try {
  const stack = await startStack(config, logger);
  process.stdout.write(banner(config, stack));
  let stopping = false;
  const stop = (signal: 'SIGINT' | 'SIGTERM') => {
    // A second Ctrl-C means now: skip the wait for transactions in flight.
    if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
    stopping = true;
    logger.info({ event: 'stopping', signal });
    stack.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    process.stderr.write(`mailstack: a port is already in use (${e.message}); is another stack running?\n`);
  } else {
    process.stderr.write(`mailstack: could not start: ${e.stack ?? String(err)}\n`);
  }
  process.exit(1);
}
