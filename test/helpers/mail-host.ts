import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Directory, Logger } from '@mailstack/core';
import { openFileDirectory } from '@mailstack/directory';
import { createLogger, parseLogLevel } from '@mailstack/log';
import { createMaildirStore, type MaildirStore } from '@mailstack/maildir';
import { createLmtpServer } from '@mailstack/mda';
import { createSubmissionServer } from '@mailstack/msa';
import {
  createInboundServer,
  type InboundCheck,
  startDeliveryWorker,
  type TransferTarget,
  type TransferTargetOptions,
} from '@mailstack/mta';
import { type FileSpool, openFileSpool, type RetryPolicy } from '@mailstack/queue';
import type { SmtpListener } from '@mailstack/smtp';
import { memoryDirectory, type TempDir, tempDir } from '@mailstack/testkit';
import { generate } from 'selfsigned';
import { writeDirectoryFile } from './directory-file.ts';
import { waitFor } from './net.ts';

export interface MailHostOptions {
  /** Loopback address every listener of this host binds (127.0.0.2, 127.0.0.3...). */
  ip: string;
  /** The inbound MTA's port; 0 picks one. Hosts that route to each other by MX share one port. */
  port: number;
  /** The one local domain, e.g. `b.test`. */
  domain: string;
  /** Greeting/EHLO/Received name; default `mx.<domain>`. */
  hostname?: string;
  /** Local users, address → password. */
  users: Record<string, string>;
  /** 'memory' (testkit) or 'file' (packages/directory, scrypt hashes; one password for all). Default memory. */
  directory?: 'memory' | 'file';
  /** The test DNS server (`host:port`) the outbound worker asks for MX and A records. */
  dnsServer: string;
  /** Port of remote MX hosts; default this host's own inbound port (all our hosts share one). */
  mxPort?: number;
  /** Spool retry schedule; tests shorten it. */
  retry?: Partial<RetryPolicy>;
  /** Who may relay through the inbound MTA; default nobody. */
  trustedNetworks?: string[];
  /** Inbound checks (greylisting in a test). */
  checks?: InboundCheck[];
  rejectBareLineEnds?: boolean;
  /** Inbound early-talker wait; default the server's (100 ms). */
  pregreetMs?: number;
  /** Also start a submission server (STARTTLS, AUTH) on this host's ip, ephemeral port. */
  msa?: boolean;
  /** Queue runner: messages in delivery at once (default 20) and poll interval (default 50 ms). */
  concurrency?: number;
  pollMs?: number;
  /** Outbound connection limits (default the transfer target's: 20 overall, 4 per destination). */
  transfer?: Pick<TransferTargetOptions, 'maxConnections' | 'maxConnectionsPerDestination' | 'idleMs'>;
  /** Default: silent, or JSON lines on stderr at the level MAILSTACK_TEST_LOG names. */
  logger?: Logger;
}

export interface MailHost {
  readonly ip: string;
  readonly port: number;
  readonly domain: string;
  readonly hostname: string;
  readonly dir: string;
  readonly spool: FileSpool;
  readonly store: MaildirStore;
  readonly directory: Directory;
  /** The submission port (STARTTLS + AUTH), when `msa` was asked for. */
  readonly msaPort: number | undefined;
  /** The LMTP port of this host's MDA (on `ip`). */
  readonly lmtpPort: number;
  readonly transfer: TransferTarget;
  /** A user's Maildir folder (INBOX), as the store lays it out. */
  maildir(user: string): string;
  /** Every message file in the user's INBOX (new/ and cur/), as text, oldest name first. */
  messages(user: string): Promise<string[]>;
  /** Waits (bounded polling) until `user` has a message that `match` accepts; returns it. */
  waitForMessage(user: string, match: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

let certificate: Promise<{ key: string; cert: string }> | undefined;

/** One self-signed certificate per test process, for STARTTLS on the MSA and the inbound MTA. */
export function hostCertificate(): Promise<{ key: string; cert: string }> {
  certificate ??= generate([{ name: 'commonName', value: 'mail.test' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
  }).then((p) => ({ key: p.private, cert: p.cert }));
  return certificate;
}

/**
 * One complete mail host of ours on a loopback address: directory, Maildir store, MDA (LMTP),
 * file spool, inbound MTA, queue runner with the transfer target (local domain → LMTP into
 * the MDA, anything else → MX through the test DNS server), DSN notifier on the spool, and
 * optionally an MSA. Everything in-process, state in a temp dir.
 */
export async function startMailHost(options: MailHostOptions): Promise<MailHost> {
  const hostname = options.hostname ?? `mx.${options.domain}`;
  const tmp: TempDir = await tempDir(`mailstack-host-${options.domain}-`);
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
    await tmp.cleanup();
  };
  try {
    const directory = await openDirectory(options, tmp.path);
    const store = createMaildirStore({ root: join(tmp.path, 'mail'), hostname });
    // MAILSTACK_TEST_LOG=info (or debug) prints every agent's JSON log lines to stderr
    const level = process.env.MAILSTACK_TEST_LOG;
    const logger =
      options.logger ??
      (level
        ? createLogger({ level: parseLogLevel(level) ?? 'info', bindings: { host: hostname } })
        : undefined);
    const lmtp: SmtpListener = createLmtpServer({
      directory,
      store,
      name: hostname,
      closeTimeoutMs: 500,
      ...(logger ? { logger } : {}),
    });
    const lmtpAddress = await lmtp.listen(0, options.ip);
    closers.push(() => lmtp.close());
    const lmtpPort = portOf(lmtpAddress);

    const spool = await openFileSpool(join(tmp.path, 'spool'), {
      ...(options.retry ? { retry: options.retry } : {}),
      ...(logger ? { logger } : {}),
    });

    const tls = await hostCertificate();
    const inbound = createInboundServer({
      hostname,
      directory,
      spool,
      tls,
      closeTimeoutMs: 500,
      trustedNetworks: options.trustedNetworks ?? [],
      ...(options.checks ? { checks: options.checks } : {}),
      ...(options.rejectBareLineEnds !== undefined ? { rejectBareLineEnds: options.rejectBareLineEnds } : {}),
      ...(options.pregreetMs !== undefined ? { pregreetMs: options.pregreetMs } : {}),
      ...(logger ? { logger } : {}),
    });
    const port = portOf(await inbound.listen(options.port, options.ip));
    closers.push(() => inbound.close());

    let msaPort: number | undefined;
    if (options.msa) {
      const msa = createSubmissionServer({
        directory,
        spool,
        tls,
        implicitTls: false,
        hostname,
        pregreetMs: 0,
        closeTimeoutMs: 500,
        ...(logger ? { logger } : {}),
      });
      msaPort = portOf(await msa.listen(0, options.ip));
      closers.push(() => msa.close());
    }

    const worker = startDeliveryWorker({
      spool,
      hostname,
      lmtp: { host: options.ip, port: lmtpPort, maxConnections: options.concurrency ?? 20 },
      transfer: {
        port: options.mxPort ?? port,
        dnsServers: [options.dnsServer],
        dnsTimeoutMs: 2000,
        directory,
        // the peers are our own throwaway hosts: no waiting on slow timeouts when one is down
        timeouts: { connectMs: 5000, greetingMs: 10_000, commandMs: 30_000 },
        ...options.transfer,
      },
      concurrency: options.concurrency ?? 20,
      pollMs: options.pollMs ?? 50,
      ...(logger ? { logger } : {}),
    });
    closers.push(() => worker.stop());
    const transfer = worker.transfer;

    const maildir = (user: string) => store.userDir(user.toLowerCase());
    const messages = async (user: string): Promise<string[]> => {
      const root = maildir(user);
      const names: string[] = [];
      for (const sub of ['new', 'cur']) {
        const entries = await readdir(join(root, sub)).catch(() => [] as string[]);
        names.push(...entries.map((e) => join(root, sub, e)));
      }
      names.sort((a, b) => baseName(a).localeCompare(baseName(b)));
      return Promise.all(names.map((n) => readFile(n, 'utf8')));
    };
    return {
      ip: options.ip,
      port,
      domain: options.domain,
      hostname,
      dir: tmp.path,
      spool,
      store,
      directory,
      msaPort,
      lmtpPort,
      transfer,
      maildir,
      messages,
      waitForMessage: (user, match, timeoutMs = 15_000) =>
        waitFor(
          `a matching message for ${user} on ${hostname}`,
          async () => (await messages(user)).find(match),
          timeoutMs,
          25,
        ),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Several hosts that share one inbound port on different loopback addresses (MX routing
 * knows one port for everybody): the first binds an ephemeral port, the others take the
 * same number; if one of them finds it taken, all start again on a new port.
 */
export async function startMailHosts(list: MailHostOptions[]): Promise<MailHost[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const hosts: MailHost[] = [];
    try {
      const first = await startMailHost({ ...(list[0] as MailHostOptions), port: 0 });
      hosts.push(first);
      for (const options of list.slice(1)) hosts.push(await startMailHost({ ...options, port: first.port }));
      return hosts;
    } catch (error) {
      for (const host of hosts) await host.close();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  throw new Error('no inbound port free on every address');
}

async function openDirectory(options: MailHostOptions, dir: string): Promise<Directory> {
  if (options.directory !== 'file')
    return memoryDirectory({ users: options.users, domains: [options.domain] });
  const passwords = new Set(Object.values(options.users));
  if (passwords.size > 1) throw new Error('a file directory here gives every user one password');
  const path = join(dir, 'directory.json');
  await writeDirectoryFile(path, Object.keys(options.users), [...passwords][0] ?? 'secret');
  return openFileDirectory(path);
}

function portOf(address: unknown): number {
  if (typeof address === 'object' && address !== null && 'port' in address) {
    return (address as { port: number }).port;
  }
  throw new Error('expected a TCP listener');
}

/** Maildir file names start with the delivery time, so their base names sort by arrival. */
function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
