/**
 * The submission agent as a process:
 *
 *   node packages/msa/src/main.ts --data <dir> --directory <file> --spool <dir> \
 *     --listen 127.0.0.1:587 --listen-tls 127.0.0.1:465 --cert cert.pem --key key.pem
 *
 * `--listen` is the STARTTLS listener (port 587 style), `--listen-tls` the implicit-TLS one
 * (465); either or both, port 0 for an ephemeral port. Without `--directory`/`--spool` they
 * default to `<data>/directory.json` and `<data>/spool`. Prints one JSON line per bound
 * listener on stdout:
 *   {"event":"listening","protocol":"submission","tls":"starttls","port":...,"host":...}
 *   {"event":"listening","protocol":"submissions","tls":"implicit","port":...,"host":...}
 * The login throttle is shared with every agent that opens the same state file (default
 * `auth-throttle.sqlite` beside the directory file); `--auth-throttle` overrides its settings.
 * `--sending-limits messagesPerHour=N,recipientsPerMessage=M` sets per-user limits; the hourly
 * counts live in `--sending-limits-state` (default `sending-counts.sqlite` beside the directory
 * file), shared by every MSA process of the host and kept across restarts.
 * Logs go to stderr as JSON lines. SIGTERM/SIGINT close the listeners and exit 0.
 */
import { mkdir, readFile } from 'node:fs/promises';
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
import { openFileSpool } from '@mailstack/queue';
import { parseSendingLimits, type SendingLimits } from './sending-limits.ts';
import { openSqliteSendingStore, sharedSendingStorePath } from './sending-store.ts';
import { createSubmissionServer } from './submission-server.ts';

const USAGE =
  'usage: main.ts [--data <dir>] [--directory <file>] [--spool <dir>] (--listen <host:port> | --listen-tls <host:port>)... --cert <pem> --key <pem> [--hostname <name>] [--max-size <bytes>] [--allow-cleartext-auth-on-loopback] [--max-connections-per-client <n>] [--auth-throttle <k=v,...>] [--auth-throttle-state <file>] [--sending-limits <k=v,...>] [--sending-limits-state <file>] [--log-level debug|info|warn|error]';

runMain(async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...LISTENER_FLAGS,
      ...AUTH_THROTTLE_FLAGS,
      spool: { type: 'string' },
      'max-size': { type: 'string' },
      'sending-limits': { type: 'string' },
      'sending-limits-state': { type: 'string' },
    },
    strict: true,
  });
  const perClient = perClientLimit(values['max-connections-per-client']);
  if (perClient === null) exitWithUsage(USAGE);
  const plain = parseHostPort(values.listen);
  const implicit = parseHostPort(values['listen-tls']);
  const directoryFile = values.directory ?? (values.data ? join(values.data, 'directory.json') : undefined);
  const spoolDir = values.spool ?? (values.data ? join(values.data, 'spool') : undefined);
  if (plain === null || implicit === null || (!plain && !implicit)) exitWithUsage(USAGE);
  if (!values.cert || !values.key || !directoryFile || !spoolDir) exitWithUsage(USAGE);
  let limits: SendingLimits;
  try {
    limits = parseSendingLimits(values['sending-limits'] ?? '');
  } catch {
    exitWithUsage(USAGE);
  }
  const logger = createLogger({ level: parseLogLevel(values['log-level']) ?? 'warn' });
  if (values.data) await mkdir(values.data, { recursive: true });
  const [key, cert] = await Promise.all([readFile(values.key), readFile(values.cert)]);
  const directory = await openFileDirectory(directoryFile, { watch: true, logger });
  const spool = await openFileSpool(spoolDir, { logger });
  // 587 and 465, and through the file IMAP, POP3 and the MTA's AUTH: one budget.
  const authThrottle = openAgentAuthThrottle(directoryFile, values);
  // 587 and 465, and every other MSA process of the host: one hourly count per user.
  const sendingStore = openSqliteSendingStore(
    values['sending-limits-state'] ?? sharedSendingStorePath(directoryFile),
  );
  const common = {
    authThrottle,
    limits,
    sendingStore,
    directory,
    spool,
    tls: { key, cert },
    hostname: values.hostname ?? 'localhost',
    allowCleartextAuthOnLoopback: values['allow-cleartext-auth-on-loopback'] === true,
    ...perClient,
    logger,
    ...(values['max-size'] ? { maxMessageSize: Number(values['max-size']) } : {}),
  };
  const listeners = await listenPlainAndImplicit({
    plain,
    implicit,
    create: (implicitTls) => createSubmissionServer({ ...common, implicitTls }),
    describe: (implicitTls) =>
      implicitTls
        ? { protocol: 'submissions', tls: 'implicit' }
        : { protocol: 'submission', tls: 'starttls' },
  });
  closeOnSignals(async () => {
    await Promise.all(listeners.map((l) => l.close()));
    await directory.close();
    authThrottle.close();
    sendingStore.close();
  });
});
