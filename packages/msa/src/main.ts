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
 * Logs go to stderr as JSON lines. SIGTERM/SIGINT close the listeners and exit 0.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openFileDirectory } from '@mailstack/directory';
import { createLogger, parseLogLevel } from '@mailstack/log';
import { openFileSpool } from '@mailstack/queue';
import type { SmtpListener } from '@mailstack/smtp';
import { createSubmissionServer } from './submission-server.ts';

const USAGE =
  'usage: main.ts [--data <dir>] [--directory <file>] [--spool <dir>] (--listen <host:port> | --listen-tls <host:port>)... --cert <pem> --key <pem> [--hostname <name>] [--max-size <bytes>] [--allow-cleartext-auth-on-loopback] [--log-level debug|info|warn|error]';

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
      spool: { type: 'string' },
      listen: { type: 'string' },
      'listen-tls': { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      hostname: { type: 'string' },
      'max-size': { type: 'string' },
      'allow-cleartext-auth-on-loopback': { type: 'boolean' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const plain = hostPort(values.listen);
  const implicit = hostPort(values['listen-tls']);
  const directoryFile = values.directory ?? (values.data ? join(values.data, 'directory.json') : undefined);
  const spoolDir = values.spool ?? (values.data ? join(values.data, 'spool') : undefined);
  if (
    plain === null ||
    implicit === null ||
    (!plain && !implicit) ||
    !values.cert ||
    !values.key ||
    !directoryFile ||
    !spoolDir
  ) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(64);
  }
  const logger = createLogger({ level: parseLogLevel(values['log-level']) ?? 'warn' });
  if (values.data) await mkdir(values.data, { recursive: true });
  const [key, cert] = await Promise.all([readFile(values.key), readFile(values.cert)]);
  const directory = await openFileDirectory(directoryFile, { watch: true, logger });
  const spool = await openFileSpool(spoolDir, { logger });
  const common = {
    directory,
    spool,
    tls: { key, cert },
    hostname: values.hostname ?? 'localhost',
    allowCleartextAuthOnLoopback: values['allow-cleartext-auth-on-loopback'] === true,
    logger,
    ...(values['max-size'] ? { maxMessageSize: Number(values['max-size']) } : {}),
  };
  const listeners: SmtpListener[] = [];
  for (const [where, implicitTls] of [
    [plain, false],
    [implicit, true],
  ] as const) {
    if (!where) continue;
    const server = createSubmissionServer({ ...common, implicitTls });
    listeners.push(server);
    const address = await server.listen(where.port, where.host);
    const kind = implicitTls
      ? { protocol: 'submissions', tls: 'implicit' }
      : { protocol: 'submission', tls: 'starttls' };
    process.stdout.write(`${JSON.stringify({ event: 'listening', ...kind, ...address })}\n`);
  }

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    Promise.all(listeners.map((l) => l.close()))
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
