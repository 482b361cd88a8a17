/**
 * The IMAP server as a process:
 *
 *   node packages/imap/src/main.ts --data <dir> [--directory <file>] --listen 127.0.0.1:143 \
 *     [--listen-tls 127.0.0.1:993 --cert cert.pem --key key.pem] [--allow-cleartext-auth-on-loopback]
 *
 * `--data` is the maildir store root; `--directory` defaults to `<data>/directory.json`.
 * `--listen` is the plain listener (STARTTLS offered when --cert/--key are given), `--listen-tls`
 * the implicit-TLS one; port 0 picks a free port. Prints one JSON line per bound listener:
 *   {"event":"listening","protocol":"imap","tls":"starttls"|"none","port":...,"host":...}
 *   {"event":"listening","protocol":"imaps","tls":"implicit","port":...,"host":...}
 * Logs go to stderr as JSON lines. SIGTERM/SIGINT close the listeners and exit 0.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAuthThrottle, openFileDirectory } from '@mailstack/directory';
import { createLogger, parseLogLevel } from '@mailstack/log';
import { createMaildirStore } from '@mailstack/maildir';
import { createImapServer, type ImapServer } from './session/server.ts';

const USAGE =
  'usage: main.ts --data <dir> [--directory <file>] (--listen <host:port> | --listen-tls <host:port>)... [--cert <pem> --key <pem>] [--hostname <name>] [--allow-cleartext-auth-on-loopback] [--log-level debug|info|warn|error]';

function hostPort(value: string | undefined): { host: string; port: number } | null | undefined {
  if (value === undefined) return undefined;
  const m = /^(.*):(\d+)$/.exec(value);
  return m ? { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) } : null;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      directory: { type: 'string' },
      listen: { type: 'string' },
      'listen-tls': { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      hostname: { type: 'string' },
      'allow-cleartext-auth-on-loopback': { type: 'boolean' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const plain = hostPort(values.listen);
  const implicit = hostPort(values['listen-tls']);
  const directoryFile = values.directory ?? (values.data ? join(values.data, 'directory.json') : undefined);
  const haveTls = !!values.cert && !!values.key;
  if (
    plain === null ||
    implicit === null ||
    (!plain && !implicit) ||
    (implicit && !haveTls) ||
    !values.data ||
    !directoryFile
  ) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(64);
  }
  const logger = createLogger({ level: parseLogLevel(values['log-level']) ?? 'warn' });
  const tls = haveTls
    ? { key: await readFile(values.key as string), cert: await readFile(values.cert as string) }
    : undefined;
  const directory = await openFileDirectory(directoryFile, { watch: true, logger });
  const store = createMaildirStore({ root: values.data, logger });
  const common = {
    directory,
    store,
    ...(tls ? { tls } : {}),
    hostname: values.hostname ?? 'localhost',
    allowCleartextAuthOnLoopback: values['allow-cleartext-auth-on-loopback'] === true,
    // One throttle for both listeners: a guesser cannot double its budget by switching ports.
    authThrottle: createAuthThrottle({ maxFailures: 10, windowMs: 15 * 60_000 }),
    logger,
  };
  const servers: ImapServer[] = [];
  for (const [where, implicitTls] of [
    [plain, false],
    [implicit, true],
  ] as const) {
    if (!where) continue;
    const server = createImapServer({ ...common, implicitTls });
    servers.push(server);
    const address = await server.listen(where.port, where.host);
    const kind = implicitTls
      ? { protocol: 'imaps', tls: 'implicit' }
      : { protocol: 'imap', tls: tls ? 'starttls' : 'none' };
    process.stdout.write(`${JSON.stringify({ event: 'listening', ...kind, ...address })}\n`);
  }

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    Promise.all(servers.map((s) => s.close()))
      .then(() => directory.close?.())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', event: 'startup-failed', err: String(err) })}\n`);
  process.exit(70);
});
