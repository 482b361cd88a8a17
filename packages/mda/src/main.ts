/**
 * The LMTP delivery agent as a process:
 *
 *   node packages/mda/src/main.ts --data <dir> --directory <file> --listen 127.0.0.1:2424
 *   node packages/mda/src/main.ts --data <dir> --directory <file> --socket /run/mailstack/lmtp
 *
 * Prints one JSON line on stdout once listening: {"event":"listening","port":...,"host":...}
 * or {"event":"listening","path":...}; `--listen 127.0.0.1:0` takes an ephemeral port.
 * LMTP puts mail into any mailbox without a login: a port without a host (`--listen :2424` or
 * `--listen 2424`) binds 127.0.0.1, never every address; another address must be named.
 * Logs go to stderr as JSON lines. SIGTERM/SIGINT close the listener and exit 0.
 */
import { parseArgs } from 'node:util';
import { closeOnSignals, exitWithUsage, parseHostPort, runMain } from '@mailstack/agent-process';
import { createLogger, parseLogLevel } from '@mailstack/log';
import { createLmtpServer } from './lmtp-server.ts';
import { openLocalMailSystem } from './local-system.ts';

const USAGE =
  'usage: main.ts --data <dir> --directory <file> (--listen [<host>]:<port> | --socket <path>) [--detail-folder] [--max-size <bytes>] [--temp-dir <dir>] [--max-connections <n>] [--name <host>] [--log-level debug|info|warn|error]';

runMain(async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      directory: { type: 'string' },
      listen: { type: 'string' },
      socket: { type: 'string' },
      'detail-folder': { type: 'boolean' },
      'max-size': { type: 'string' },
      'temp-dir': { type: 'string' },
      'max-connections': { type: 'string' },
      name: { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const listen = parseHostPort(/^\d+$/.test(values.listen ?? '') ? `:${values.listen}` : values.listen);
  // Node binds every address for an empty host; LMTP stays on loopback unless told otherwise.
  if (listen && listen.host === '') listen.host = '127.0.0.1';
  if (!values.data || !values.directory || listen === null || (!listen && !values.socket))
    exitWithUsage(USAGE);
  const logger = createLogger({ level: parseLogLevel(values['log-level']) ?? 'warn' });
  const system = await openLocalMailSystem({
    dataDir: values.data,
    directoryFile: values.directory,
    logger,
    watchDirectory: true,
  });
  const server = createLmtpServer({
    directory: system.directory,
    store: system.store,
    logger,
    detailFolder: values['detail-folder'] ?? false,
    ...(values['temp-dir'] ? { tempDir: values['temp-dir'] } : {}),
    ...(values['max-size'] ? { maxMessageSize: Number(values['max-size']) } : {}),
    ...(values['max-connections'] ? { maxConnections: Number(values['max-connections']) } : {}),
    ...(values.name ? { name: values.name } : {}),
  });
  const address = listen
    ? await server.listen(listen.port, listen.host)
    : await server.listen(values.socket as string);
  process.stdout.write(`${JSON.stringify({ event: 'listening', protocol: 'lmtp', ...address })}\n`);

  closeOnSignals(async () => {
    await server.close();
    await system.close();
  });
});
