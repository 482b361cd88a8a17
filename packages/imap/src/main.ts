/**
 * The IMAP server as a process:
 *
 *   node packages/imap/src/main.ts --data <dir> [--directory <file>] --listen 127.0.0.1:143 \
 *     [--listen-tls 127.0.0.1:993 --cert cert.pem --key key.pem] [--allow-cleartext-auth-on-loopback]
 *     [--max-connections 500]
 *
 * `--data` is the maildir store root; `--directory` defaults to `<data>/directory.json`.
 * `--listen` is the plain listener (STARTTLS offered when --cert/--key are given), `--listen-tls`
 * the implicit-TLS one; port 0 picks a free port. Prints one JSON line per bound listener:
 *   {"event":"listening","protocol":"imap","tls":"starttls"|"none","port":...,"host":...}
 *   {"event":"listening","protocol":"imaps","tls":"implicit","port":...,"host":...}
 * The login throttle is shared with every agent that opens the same state file (default
 * `auth-throttle.sqlite` beside the directory file); `--auth-throttle` overrides its settings.
 * Logs go to stderr as JSON lines. SIGTERM/SIGINT close the listeners and exit 0.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  closeOnSignals,
  exitWithUsage,
  LISTENER_FLAGS,
  listenPlainAndImplicit,
  parseHostPort,
  perClientLimit,
  runMain,
} from '@mailstack/agent-process';
import { AUTH_THROTTLE_FLAGS, openAgentAuthThrottle, openFileDirectory } from '@mailstack/directory';
import { createLogger, parseLogLevel } from '@mailstack/log';
import { createMaildirStore } from '@mailstack/maildir';
import { createImapServer } from './session/server.ts';

const USAGE =
  'usage: main.ts --data <dir> [--directory <file>] (--listen <host:port> | --listen-tls <host:port>)... [--cert <pem> --key <pem>] [--hostname <name>] [--allow-cleartext-auth-on-loopback] [--max-connections <n>] [--max-connections-per-client <n>] [--auth-throttle <k=v,...>] [--auth-throttle-state <file>] [--log-level debug|info|warn|error]';

runMain(async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: { ...LISTENER_FLAGS, ...AUTH_THROTTLE_FLAGS, 'max-connections': { type: 'string' } },
    strict: true,
  });
  const maxConnections = values['max-connections'];
  if (maxConnections !== undefined && !/^[1-9]\d*$/.test(maxConnections)) exitWithUsage(USAGE);
  const perClient = perClientLimit(values['max-connections-per-client']);
  if (perClient === null) exitWithUsage(USAGE);
  const plain = parseHostPort(values.listen);
  const implicit = parseHostPort(values['listen-tls']);
  const directoryFile = values.directory ?? (values.data ? join(values.data, 'directory.json') : undefined);
  const haveTls = !!values.cert && !!values.key;
  if (plain === null || implicit === null || (!plain && !implicit) || (implicit && !haveTls))
    exitWithUsage(USAGE);
  if (!values.data || !directoryFile) exitWithUsage(USAGE);
  const logger = createLogger({ level: parseLogLevel(values['log-level']) ?? 'warn' });
  const tls = haveTls
    ? { key: await readFile(values.key as string), cert: await readFile(values.cert as string) }
    : undefined;
  const directory = await openFileDirectory(directoryFile, { watch: true, logger });
  const store = createMaildirStore({ root: values.data, logger });
  const authThrottle = openAgentAuthThrottle(directoryFile, values);
  const common = {
    directory,
    store,
    ...(tls ? { tls } : {}),
    hostname: values.hostname ?? 'localhost',
    allowCleartextAuthOnLoopback: values['allow-cleartext-auth-on-loopback'] === true,
    // One throttle for both listeners and, through its file, for POP3 and submission too.
    authThrottle,
    ...(maxConnections === undefined ? {} : { maxConnections: Number(maxConnections) }),
    ...perClient,
    logger,
  };
  const servers = await listenPlainAndImplicit({
    plain,
    implicit,
    create: (implicitTls) => createImapServer({ ...common, implicitTls }),
    describe: (implicitTls) =>
      implicitTls
        ? { protocol: 'imaps', tls: 'implicit' }
        : { protocol: 'imap', tls: tls ? 'starttls' : 'none' },
  });
  closeOnSignals(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await directory.close();
    authThrottle.close();
  });
});
