import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DnsServer, startDnsServer, type TempDir, tempDir } from '@mailstack/testkit';
import { SMTPServer } from 'smtp-server';
import { addUser, type MailstackProcess, startMailstack } from './mailstack-cli.ts';
import { freePort } from './net.ts';

export const ALICE = { user: 'alice@example.test', pass: 'alice-pw' };
export const BOB = { user: 'bob@example.test', pass: 'bob-pw' };
/** The remote MX the queue runner relays to: mx.remote.test is this address in the test DNS. */
export const REMOTE_MX_IP = '127.0.0.2';
/** Login failures a client address may make (limits.authFailures.max of the config). */
export const AUTH_FAILURES_MAX = 3;
/** Messages a user may submit per hour (limits.sending.messagesPerHour of the config). */
export const MESSAGES_PER_HOUR = 2;

/** The ports of the host's config, and of the extra processes beside it (see `extraConfig`). */
export interface HostPorts {
  mta: number;
  msa: number;
  mda: number;
  imap: number;
  pop3: number;
  web: number;
  /** A second POP3 process over the same data. */
  pop3b: number;
  /** A second MSA process over the same data. */
  msab: number;
}

/** A message the remote sink received. */
export interface Relayed {
  from: string;
  to: string[];
  data: string;
}

/** One host run from one config file, either as `mailstack start` or one process per agent. */
export interface MailstackHost {
  readonly mode: 'one-process' | 'split';
  readonly dir: string;
  readonly config: string;
  readonly ports: HostPorts;
  /** Mail the remote MX (a sink on REMOTE_MX_IP) received. */
  readonly relayed: Relayed[];
  /** Stops the second POP3 or MSA process and starts it again over the same data. */
  restartExtra(agent: 'pop3' | 'msa'): Promise<void>;
  /** Every process of the host, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

/**
 * The host config: every listener on a fixed free port (agents in other processes must know
 * each other's from the file alone, as in docker-compose.yml), MX lookups through the test DNS,
 * small login and sending budgets, and a queue poll so slow that only the cross-process
 * wake-up can deliver in time.
 */
function hostConfig(dir: string, ports: HostPorts, dns: DnsServer, mxPort: number, only?: string[]): string {
  const listener = (agent: string, port: number, tls: string) =>
    only && !only.includes(agent)
      ? []
      : [`  - {agent: ${agent}, address: 127.0.0.1, port: ${port}, tls: ${tls}}`];
  const [pop3, msa] = only ? [ports.pop3b, ports.msab] : [ports.pop3, ports.msa];
  return [
    'hostname: mail.example.test',
    'domains: [example.test]',
    'listeners:',
    ...listener('mta', ports.mta, 'starttls'),
    ...listener('msa', msa, 'starttls'),
    ...listener('mda', ports.mda, 'none'),
    ...listener('imap', ports.imap, 'starttls'),
    ...listener('pop3', pop3, 'starttls'),
    ...listener('web', ports.web, 'none'),
    `paths: {data: ${JSON.stringify(join(dir, 'data'))}}`,
    `dns: {servers: ["${dns.address}"]}`,
    `outbound: {mxPort: ${mxPort}}`,
    'limits:',
    `  authFailures: {max: ${AUTH_FAILURES_MAX}, window: 1h}`,
    `  sending: {messagesPerHour: ${MESSAGES_PER_HOUR}}`,
    'mta: {pregreet: 0s}',
    'queue: {pollInterval: 1h, concurrency: 2}',
    // USER/PASS and LOGIN without STLS from loopback, as the Python clients of the throttle step speak
    'dev: {cleartextAuthOnLoopback: true}',
    'log: {level: warn}',
    '',
  ].join('\n');
}

/** A remote MX that takes everything and keeps it. */
async function startSink(relayed: Relayed[]): Promise<{ port: number; close(): Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        relayed.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  server.on('error', () => {});
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, REMOTE_MX_IP, () => resolve());
  });
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Every agent of the host, one process each. */
const AGENTS = ['mda', 'queue-runner', 'mta', 'msa', 'imap', 'pop3', 'web'] as const;

/**
 * Writes the config, adds alice and bob with `mailstack user add`, starts the remote MX and
 * its DNS, then the host: `mailstack start --config FILE` (one-process) or `mailstack <agent>
 * --config FILE` per agent (split). Beside it, in both modes, a second POP3 and a second MSA
 * process over the same data (their own config naming only their listener).
 */
export async function startMailstackHost(mode: MailstackHost['mode']): Promise<MailstackHost> {
  const dir: TempDir = await tempDir('mailstack-host-');
  const processes: MailstackProcess[] = [];
  const relayed: Relayed[] = [];
  const sink = await startSink(relayed);
  const dns = await startDnsServer({
    zone: {
      'remote.test': { mx: [{ preference: 10, exchange: 'mx.remote.test' }] },
      'mx.remote.test': { a: [REMOTE_MX_IP] },
    },
  });
  const close = async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop()));
    await Promise.all([sink.close(), dns.close()]);
    await dir.cleanup();
  };
  try {
    const ports: HostPorts = {
      mta: await freePort(),
      msa: await freePort(),
      mda: await freePort(),
      imap: await freePort(),
      pop3: await freePort(),
      web: await freePort(),
      pop3b: await freePort(),
      msab: await freePort(),
    };
    const config = join(dir.path, 'mailstack.yaml');
    const extra = join(dir.path, 'extra.yaml');
    await writeFile(config, hostConfig(dir.path, ports, dns, sink.port));
    await writeFile(extra, hostConfig(dir.path, ports, dns, sink.port, ['pop3', 'msa']));
    for (const u of [ALICE, BOB]) await addUser(config, u.user, u.pass);

    const ready = /"event":"(listening|running)"/;
    if (mode === 'one-process') {
      processes.push(await startMailstack(['start', '--config', config], /Ctrl-C stops the stack/));
    } else {
      // All at once, as `docker compose up` may: the first start makes the certificate and the state files.
      const started = await Promise.allSettled(
        AGENTS.map((agent) => startMailstack([agent, '--config', config], ready, 120_000)),
      );
      for (const s of started) if (s.status === 'fulfilled') processes.push(s.value);
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
    }
    const extras = new Map<string, MailstackProcess>();
    const startExtra = async (agent: 'pop3' | 'msa') => {
      const p = await startMailstack([agent, '--config', extra], ready);
      processes.push(p);
      extras.set(agent, p);
    };
    await startExtra('pop3');
    await startExtra('msa');
    return {
      mode,
      dir: dir.path,
      config,
      ports,
      relayed,
      async restartExtra(agent) {
        await extras.get(agent)?.stop();
        await startExtra(agent);
      },
      output: () => processes.map((p) => p.output()).join('\n'),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
