import { z } from 'zod';
import { DURATION_HINT, isDuration, isSize, SIZE_HINT } from './units.ts';

/**
 * The host config, key by key. Every default here is the value Mailstack ran on before the
 * config file existed, and `mailstack.example.yaml` at the repository root spells each one out
 * (a test holds the two equal). Objects are strict: an unknown key is an error, never ignored.
 */

const duration = z.string().refine(isDuration, { error: `expected ${DURATION_HINT}` });
// A plain number of bytes is taken too (as the string form, so `config print` shows one shape).
const size = z.preprocess(
  (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : v),
  z.string().refine(isSize, { error: `expected ${SIZE_HINT}` }),
);
const count = z.int().min(1, { error: 'expected a whole number of at least 1' });
const port = z.int().min(0, { error: 'port out of range (0-65535)' }).max(65535, {
  error: 'port out of range (0-65535)',
});
const nonEmpty = z.string().min(1, { error: 'must not be empty' });

/** Every agent `mailstack start` can run; `queue-runner` has no listener. */
export const AGENTS = ['msa', 'mta', 'mda', 'imap', 'pop3', 'queue-runner', 'web'] as const;
export type AgentName = (typeof AGENTS)[number];
export const LISTENING_AGENTS = ['msa', 'mta', 'mda', 'imap', 'pop3', 'web'] as const;
export const TLS_MODES = ['none', 'starttls', 'implicit'] as const;

/**
 * One listener: TCP on `address`:`port`, or (the mda agent only) a unix socket at `socket`,
 * relative to `paths.data`, with the permissions `socketMode` (default 0660). Exactly one of `port` and `socket` (checks.ts).
 */
export const listenerSchema = z.strictObject({
  agent: z.enum(LISTENING_AGENTS),
  address: nonEmpty.default('127.0.0.1'),
  port: port.optional(),
  socket: nonEmpty.optional(),
  socketMode: z
    .string()
    .regex(/^0?[0-7]{3}$/, { error: 'expected an octal mode like "0660"' })
    .optional(),
  tls: z.enum(TLS_MODES).default('none'),
});

const DEFAULT_LISTENERS: Array<z.input<typeof listenerSchema>> = [
  { agent: 'mta', address: '127.0.0.1', port: 2525, tls: 'starttls' },
  { agent: 'msa', address: '127.0.0.1', port: 2587, tls: 'starttls' },
  { agent: 'msa', address: '127.0.0.1', port: 2465, tls: 'implicit' },
  { agent: 'mda', address: '127.0.0.1', port: 2424, tls: 'none' },
  { agent: 'imap', address: '127.0.0.1', port: 2143, tls: 'starttls' },
  { agent: 'imap', address: '127.0.0.1', port: 2993, tls: 'implicit' },
  { agent: 'pop3', address: '127.0.0.1', port: 2110, tls: 'starttls' },
  { agent: 'pop3', address: '127.0.0.1', port: 2995, tls: 'implicit' },
  { agent: 'web', address: '127.0.0.1', port: 8025, tls: 'none' },
];

const smarthostSchema = z.strictObject({
  host: nonEmpty,
  port: port.default(25),
  tls: z.enum(TLS_MODES).default('starttls'),
  verifyCertificate: z.boolean().default(true),
  auth: z.strictObject({ user: nonEmpty, password: nonEmpty }).nullable().default(null),
});

/** The SMTP listeners' limits (MSA and inbound MTA). */
const smtpLimits = z.strictObject({
  connections: count.default(100),
  connectionsPerClient: count.default(50),
  commandTimeout: duration.default('60s'),
  dataTimeout: duration.default('300s'),
  minDataRate: count.default(500),
  idleTimeout: duration.default('300s'),
  recipientsPerMessage: count.default(1000),
});

/** The IMAP and POP3 listeners' limits. */
const accessLimits = (idle: string) =>
  z.strictObject({
    connections: count.default(500),
    connectionsPerClient: count.default(50),
    loginTimeout: duration.default('60s'),
    commandTimeout: duration.default('60s'),
    idleTimeout: duration.default(idle),
  });

/**
 * Where the queue lives: `file`, the folder `paths.spool` (one host; several processes of it
 * may share it), or `postgres`, a PostgreSQL database that queue runners on several hosts
 * share (@mailstack/spool-postgres).
 */
export const spoolSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('file') }),
  z.strictObject({
    kind: z.literal('postgres'),
    url: nonEmpty,
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'expected a lower-case SQL name (a-z, 0-9, _)' })
      .default('mailstack_spool'),
    connections: count.default(10),
  }),
]);

export const configSchema = z.strictObject({
  hostname: nonEmpty.default('mail.example.test'),
  domains: z.array(nonEmpty).min(1, { error: 'name at least one local domain' }).default(['example.test']),
  listeners: z.array(listenerSchema).default(DEFAULT_LISTENERS as never),
  tls: z
    .strictObject({
      cert: nonEmpty.nullable().default(null),
      key: nonEmpty.nullable().default(null),
    })
    .prefault({}),
  paths: z
    .strictObject({
      data: nonEmpty.default('.mailstack'),
      directory: nonEmpty.default('directory.json'),
      mail: nonEmpty.default('mail'),
      spool: nonEmpty.default('spool'),
      dkim: nonEmpty.default('dkim'),
      tls: nonEmpty.default('tls'),
    })
    .prefault({}),
  spool: spoolSchema.default({ kind: 'file' }),
  dns: z.strictObject({ servers: z.array(nonEmpty).default([]) }).prefault({}),
  outbound: z
    .strictObject({
      mxPort: port.default(25),
      smarthost: smarthostSchema.nullable().default(null),
      transportMap: z.record(z.string(), nonEmpty).default({}),
      relayNetworks: z.array(nonEmpty).default([]),
      connections: count.default(20),
      connectionsPerDestination: count.default(4),
      dkimSelector: nonEmpty.default('mailstack'),
    })
    .prefault({}),
  limits: z
    .strictObject({
      messageSize: size.default('25M'),
      appendSize: size.default('50M'),
      smtp: smtpLimits.prefault({}),
      imap: accessLimits('30m').prefault({}),
      pop3: accessLimits('10m').prefault({}),
      lmtpConnections: count.default(100),
      sending: z
        .strictObject({
          messagesPerHour: count.nullable().default(null),
          recipientsPerMessage: count.nullable().default(null),
        })
        .prefault({}),
      authFailures: z
        .strictObject({
          max: count.default(10),
          window: duration.default('15m'),
          delay: duration.default('250ms'),
          maxDelay: duration.default('8s'),
        })
        .prefault({}),
    })
    .prefault({}),
  auth: z
    .strictObject({
      // Successful password checks remembered in memory (Dovecot's auth_cache_ttl/size).
      cache: z
        .strictObject({
          ttl: duration.default('1h'),
          size: z.int().min(0, { error: 'expected a whole number, 0 or more' }).default(10000),
        })
        .prefault({}),
      // Cost of new password hashes; stored hashes keep the cost written in them.
      scrypt: z
        .strictObject({
          ln: z.int().min(10, { error: 'expected 10-22' }).max(22, { error: 'expected 10-22' }).default(15),
          r: z.int().min(1, { error: 'expected 1-32' }).max(32, { error: 'expected 1-32' }).default(8),
          p: z.int().min(1, { error: 'expected 1-16' }).max(16, { error: 'expected 1-16' }).default(1),
        })
        .prefault({}),
    })
    .prefault({}),
  mta: z
    .strictObject({
      pregreet: duration.default('100ms'),
      maxReceivedHeaders: count.default(30),
      rejectBareLineEnds: z.boolean().default(true),
    })
    .prefault({}),
  queue: z
    .strictObject({
      concurrency: count.default(4),
      pollInterval: duration.default('1s'),
      retry: z
        .array(duration)
        .min(1, { error: 'name at least one retry delay' })
        .default(['5m', '10m', '20m', '40m', '1h']),
      delayNoticeAfter: duration.default('4h'),
      giveUpAfter: duration.default('5d'),
      lmtp: nonEmpty.nullable().default(null),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
      file: nonEmpty.nullable().default(null),
    })
    .prefault({}),
  dev: z
    .strictObject({
      cleartextAuthOnLoopback: z.boolean().default(false),
      demoUsers: z.array(nonEmpty).default([]),
    })
    .prefault({}),
});

/** The config as written in a file (every key optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config with every default filled in. */
export type MailstackConfig = z.output<typeof configSchema>;
export type ListenerConfig = MailstackConfig['listeners'][number];
/** A listener on a TCP port (the config check holds every listener to one of the two kinds). */
export type TcpListenerConfig = Omit<ListenerConfig, 'port' | 'socket'> & {
  port: number;
  socket?: undefined;
};
/** A listener on a unix socket (`socket` as written, relative to `paths.data`). */
export type SocketListenerConfig = Omit<ListenerConfig, 'port' | 'socket'> & {
  socket: string;
  port?: undefined;
};

export function isSocketListener(l: ListenerConfig): l is SocketListenerConfig {
  return l.socket !== undefined;
}

/** The TCP listeners of a config (the socket ones left out). */
export function tcpListeners(listeners: readonly ListenerConfig[]): TcpListenerConfig[] {
  return listeners.filter((l): l is TcpListenerConfig => l.port !== undefined && l.socket === undefined);
}
export type TlsMode = (typeof TLS_MODES)[number];
export type SpoolConfig = MailstackConfig['spool'];
