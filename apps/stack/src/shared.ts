import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigPaths, LoadedConfig, MailstackConfig } from '@mailstack/config';
import { durationMs } from '@mailstack/config';
import type { Logger, Spool, SpoolOperations } from '@mailstack/core';
import {
  type AuthThrottle,
  type FileDirectory,
  type FileDirectoryOptions,
  openFileDirectory,
  openSharedAuthThrottle,
  sharedThrottlePath,
} from '@mailstack/directory';
import type { MaildirStore } from '@mailstack/maildir';
import { createHostMetrics, type HostMetrics } from '@mailstack/metrics';
import type { SendingCountStore } from '@mailstack/msa';
import type { TlsSource } from './tls-source.ts';

/** One listening endpoint of a running agent, for the start banner and for tests. */
export type Endpoint = TcpEndpoint | SocketEndpoint;

export interface TcpEndpoint {
  agent: string;
  protocol: string;
  host: string;
  port: number;
  path?: undefined;
}

/** A unix socket listener (the MDA's LMTP for Postfix): `path` is absolute. */
export interface SocketEndpoint {
  agent: string;
  protocol: string;
  path: string;
  host?: undefined;
  port?: undefined;
}

/** `127.0.0.1:2424` or `unix:/run/mailstack/lmtp`: where the banner shows an endpoint. */
export function endpointText(e: Endpoint): string {
  return e.path === undefined ? `${e.host}:${e.port}` : `unix:${e.path}`;
}

/**
 * What the agents of one process share, each opened on first use: `mailstack start` opens
 * each once for every agent, an agent started alone opens only what it needs, and loads only
 * the modules of what it opens (the IMAP server's process never loads the queue or the MSA).
 * State that must be one across processes (login throttle, directory, store, spool) lives in
 * files every process opens.
 */
export interface SharedState {
  readonly config: MailstackConfig;
  readonly paths: ConfigPaths;
  readonly logger: Logger;
  /** Every listener started in this process so far (the queue runner finds the MDA here). */
  readonly endpoints: Endpoint[];
  /** This process's metrics: every agent counts here, the web agent serves them. */
  readonly metrics: HostMetrics;
  directory(): Promise<FileDirectory>;
  store(): Promise<MaildirStore>;
  /** The queue: the file spool in `paths.spool`, or the PostgreSQL spool (`spool.kind`). */
  spool(): Promise<Spool & SpoolOperations>;
  authThrottle(): Promise<AuthThrottle>;
  /** Per-user sending counts, in a file every MSA process of the host opens. */
  sendingStore(): Promise<SendingCountStore>;
  tls(): Promise<TlsSource>;
  close(): Promise<void>;
}

/**
 * Where agent processes leave what they counted for the web agent's /metrics: under the data
 * path, which every agent's process (and container) shares.
 */
export function metricsFolder(paths: ConfigPaths): string {
  return join(paths.data, 'metrics');
}

/** The directory's password settings from the config: hash cost and the auth cache. */
export function directoryOptions(
  config: MailstackConfig,
): Pick<FileDirectoryOptions, 'scrypt' | 'authCache'> {
  const { cache, scrypt } = config.auth;
  return { scrypt: { ...scrypt }, authCache: { ttlMs: durationMs(cache.ttl), maxEntries: cache.size } };
}

export function openSharedState(loaded: LoadedConfig, logger: Logger): SharedState {
  const { config, paths } = loaded;
  const closers: Array<() => unknown> = [];
  const metrics = createHostMetrics();
  const once = <T>(open: () => Promise<T>, close: (value: T) => unknown) => {
    let opened: Promise<T> | undefined;
    return () => {
      if (!opened) {
        opened = open();
        opened.then((v) => closers.push(() => close(v))).catch(() => {});
      }
      return opened;
    };
  };
  const data = once(
    () => mkdir(paths.data, { recursive: true, mode: 0o700 }),
    () => {},
  );
  const directory = once(
    async () => {
      await data();
      const dir = await openFileDirectory(paths.directory, {
        create: true,
        watch: true,
        logger,
        ...directoryOptions(config),
      });
      // The config's local domains are the directory's too (another process may add one first).
      for (const domain of config.domains) {
        if (!dir.isLocalDomain(domain)) await dir.addDomain(domain).catch(() => {});
      }
      return dir;
    },
    (d) => d.close(),
  );
  const store = once(
    async () => {
      const [dir, { createMaildirStore }] = await Promise.all([directory(), import('@mailstack/maildir')]);
      await mkdir(paths.mail, { recursive: true, mode: 0o700 });
      return createMaildirStore({
        root: paths.mail,
        hostname: config.hostname,
        logger,
        quota: async (user) => {
          const account = await dir.account(user);
          return { limitBytes: account?.quotaBytes, limitMessages: account?.quotaMessages };
        },
      });
    },
    () => {},
  );
  const spool = once(
    async (): Promise<Spool & SpoolOperations & { close?(): Promise<void> }> => {
      const options = {
        logger,
        metrics,
        retry: {
          delaysMs: config.queue.retry.map(durationMs),
          delayNoticeAfterMs: durationMs(config.queue.delayNoticeAfter),
          giveUpAfterMs: durationMs(config.queue.giveUpAfter),
        },
      };
      if (config.spool.kind === 'postgres') {
        const { url, schema, connections } = config.spool;
        const { openPostgresSpool } = await import('@mailstack/spool-postgres');
        return openPostgresSpool({ url, schema, maxConnections: connections, ...options });
      }
      await data();
      const { openFileSpool } = await import('@mailstack/queue');
      return openFileSpool(paths.spool, options);
    },
    (s) => s.close?.(),
  );
  // One login throttle for submission, IMAP and POP3 on every port and in every process:
  // its counters are in a file beside the directory.
  const authThrottle = once(
    async () => {
      await data();
      return openSharedAuthThrottle(sharedThrottlePath(paths.directory), {
        maxFailures: config.limits.authFailures.max,
        windowMs: durationMs(config.limits.authFailures.window),
        baseDelayMs: durationMs(config.limits.authFailures.delay),
        maxDelayMs: durationMs(config.limits.authFailures.maxDelay),
      });
    },
    (t) => t.close(),
  );
  // One hourly budget per user over every MSA listener and process, kept across restarts.
  const sendingStore = once(
    async () => {
      await data();
      const { openSqliteSendingStore, sharedSendingStorePath } = await import('@mailstack/msa');
      return openSqliteSendingStore(sharedSendingStorePath(paths.directory));
    },
    (s) => s.close(),
  );
  const tls = once(
    async () =>
      (await import('./tls-source.ts')).openTlsSource({
        cert: paths.cert,
        key: paths.key,
        hostname: config.hostname,
        logger,
        ...(config.tls.cert === null ? { selfSignedDir: paths.tlsDir } : {}),
      }),
    (t) => t.close(),
  );
  return {
    config,
    paths,
    logger,
    endpoints: [],
    metrics,
    directory,
    store,
    spool,
    authThrottle,
    sendingStore,
    tls,
    async close() {
      for (const close of closers.splice(0).reverse()) await close();
    },
  };
}
