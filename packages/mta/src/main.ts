/**
 * The transfer agent as a process: inbound (port 25 → spool) and, with `--deliver`, the
 * delivery worker draining the same spool (local domains over LMTP to `--lmtp`, the others by
 * MX) with bounces (DSN) for failures:
 *
 *   node packages/mta/src/main.ts --directory <file> --spool <dir> --listen 0.0.0.0:25 \
 *     [--tls-cert cert.pem --tls-key key.pem] [--hostname mx.example.test] \
 *     [--trusted-networks 192.0.2.0/24,2001:db8::/32] [--auth] [--pregreet-ms 100] \
 *     [--deliver --lmtp 127.0.0.1:24 [--dns-servers 127.0.0.1:5353] [--mx-port 25] [--poll-ms 1000]]
 *
 * Without `--directory`/`--spool` they default to `<data>/directory.json` and `<data>/spool`.
 * `--cert`/`--key` are accepted as well, like the MSA's. Prints one JSON line once listening:
 *   {"event":"listening","protocol":"smtp","port":...,"host":...}
 * The delivery worker picks up what any process (the MSA's, another MTA's) enqueues in the spool
 * at once (the spool watches itself); `--poll-ms` is only how often it looks for retries that
 * came due and for changes a watch cannot see (a spool on a network file system).
 * Logs go to stderr as JSON lines. SIGTERM/SIGINT close the listener and exit 0.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { closeOnSignals, exitWithUsage, parseHostPort, runMain } from '@mailstack/agent-process';
import { AUTH_THROTTLE_FLAGS, openAgentAuthThrottle, openFileDirectory } from '@mailstack/directory';
import { createLogger, parseLogLevel } from '@mailstack/log';
import { openFileSpool } from '@mailstack/queue';
import { startDeliveryWorker } from './delivery-worker.ts';
import { createInboundServer } from './inbound/index.ts';

const USAGE =
  'usage: main.ts [--data <dir>] [--directory <file>] [--spool <dir>] --listen <host:port> [--tls-cert <pem> --tls-key <pem>] [--hostname <name>] [--trusted-networks <cidr,...>] [--auth [--auth-throttle <k=v,...>] [--auth-throttle-state <file>]] [--allow-cleartext-auth-on-loopback] [--pregreet-ms <ms>] [--max-size <bytes>] [--max-received <n>] [--allow-bare-line-ends] [--deliver --lmtp <host:port> [--dns-servers <ip[:port],...>] [--mx-port <port>] [--poll-ms <ms>]] [--log-level debug|info|warn|error]';

const count = (v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) exitWithUsage(USAGE);
  return Number(v);
};

/** `a, b,c` → ['a', 'b', 'c']; absent → []. */
const commaList = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

runMain(async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      directory: { type: 'string' },
      spool: { type: 'string' },
      listen: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      hostname: { type: 'string' },
      'trusted-networks': { type: 'string' },
      auth: { type: 'boolean' },
      'allow-cleartext-auth-on-loopback': { type: 'boolean' },
      'pregreet-ms': { type: 'string' },
      'max-size': { type: 'string' },
      'max-received': { type: 'string' },
      'allow-bare-line-ends': { type: 'boolean' },
      deliver: { type: 'boolean' },
      lmtp: { type: 'string' },
      'dns-servers': { type: 'string' },
      'mx-port': { type: 'string' },
      'poll-ms': { type: 'string' },
      'log-level': { type: 'string' },
      ...AUTH_THROTTLE_FLAGS,
    },
    strict: true,
  });
  const listen = parseHostPort(values.listen);
  const directoryFile = values.directory ?? (values.data ? join(values.data, 'directory.json') : undefined);
  const spoolDir = values.spool ?? (values.data ? join(values.data, 'spool') : undefined);
  const certPath = values['tls-cert'] ?? values.cert;
  const keyPath = values['tls-key'] ?? values.key;
  if (!listen || !directoryFile || !spoolDir || (certPath === undefined) !== (keyPath === undefined)) {
    exitWithUsage(USAGE);
  }
  const lmtp = values.lmtp === undefined ? undefined : parseHostPort(values.lmtp);
  if (values.deliver && !lmtp) exitWithUsage(USAGE);
  const mxPort = count(values['mx-port']);
  const pollMs = count(values['poll-ms']);
  const pregreetMs = count(values['pregreet-ms']);
  const maxMessageSize = count(values['max-size']);
  const maxReceivedHeaders = count(values['max-received']);
  const logger = createLogger({ level: parseLogLevel(values['log-level']) ?? 'warn' });
  if (values.data) await mkdir(values.data, { recursive: true });
  const tls =
    certPath && keyPath ? { cert: await readFile(certPath), key: await readFile(keyPath) } : undefined;
  const directory = await openFileDirectory(directoryFile, { watch: true, logger });
  const spool = await openFileSpool(spoolDir, { logger });
  const hostname = values.hostname ?? 'localhost';
  // AUTH on port 25 spends the same budget as IMAP, POP3 and submission (one state file).
  const authThrottle = values.auth ? openAgentAuthThrottle(directoryFile, values) : undefined;

  const server = createInboundServer({
    hostname,
    directory,
    spool,
    logger,
    trustedNetworks: commaList(values['trusted-networks']),
    ...(tls ? { tls } : {}),
    ...(values.auth
      ? {
          auth: {
            allowCleartextOnLoopback: values['allow-cleartext-auth-on-loopback'] === true,
            ...(authThrottle ? { throttle: authThrottle } : {}),
          },
        }
      : {}),
    ...(pregreetMs === undefined ? {} : { pregreetMs }),
    ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
    ...(maxReceivedHeaders === undefined ? {} : { maxReceivedHeaders }),
    ...(values['allow-bare-line-ends'] ? { rejectBareLineEnds: false } : {}),
  });
  // The outbound half on the same spool, when asked for.
  const dnsServers = commaList(values['dns-servers']);
  const worker =
    values.deliver && lmtp
      ? startDeliveryWorker({
          spool,
          hostname,
          lmtp,
          ...(pollMs === undefined ? {} : { pollMs }),
          transfer: {
            directory,
            ...(dnsServers.length ? { dnsServers } : {}),
            ...(mxPort === undefined ? {} : { port: mxPort }),
          },
          logger,
        })
      : undefined;
  const address = await server.listen(listen.port, listen.host);
  process.stdout.write(`${JSON.stringify({ event: 'listening', protocol: 'smtp', ...address })}\n`);
  closeOnSignals(async () => {
    await server.close();
    await worker?.stop();
    await directory.close();
    authThrottle?.close();
  });
});
