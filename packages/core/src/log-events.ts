/**
 * The closed set of log events every Mailstack agent may write. This one table is the
 * source of truth: the `LogEvent` type the Logger accepts is derived from it (an unknown
 * event name, a missing field, a field of the wrong type or at a level the event does not
 * allow is a type error), packages/log's README table is generated from it, and a test
 * checks that every `event:` literal in the sources is one of its names.
 *
 * Each entry: `levels` it may be logged at, `when` it is emitted (one line), and `fields`
 * with their types (`?` = optional). The context fields of `LogContext` (agent, queueId,
 * messageId, session, remote...) may ride on any event, usually bound once with `child()`.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The field types a log line may carry; the names are what the README table shows. */
interface FieldTypes {
  string: string;
  number: number;
  boolean: boolean;
  'string|null': string | null;
  'number|null': number | null;
  'string[]': string[];
  'number[]': number[];
  'Record<string,string>': Record<string, string>;
  object: object;
  unknown: unknown;
}
type FieldType = keyof FieldTypes;
export type FieldSpec = FieldType | `${FieldType}?`;

export interface LogEventDoc {
  readonly group: string;
  readonly levels: readonly LogLevel[];
  readonly when: string;
  readonly fields: { readonly [field: string]: FieldSpec };
}

export const LOG_EVENTS = {
  // process: start and stop of an agent process
  listening: {
    group: 'process',
    levels: ['info'],
    when: 'a listener is bound (per-agent processes also print this line on stdout for whoever waits on the port)',
    fields: {
      protocol: 'string',
      tls: 'string?',
      host: 'string?',
      port: 'number?',
      family: 'string?',
      path: 'string?',
    },
  },
  stopping: {
    group: 'process',
    levels: ['info'],
    when: 'the first SIGTERM/SIGINT: listeners close, transactions in flight finish',
    fields: { signal: 'string' },
  },
  'stop-now': {
    group: 'process',
    levels: ['warn'],
    when: 'a second signal while stopping: the process exits at once',
    fields: { signal: 'string' },
  },
  'startup-failed': {
    group: 'process',
    levels: ['error'],
    when: 'an agent could not start; the process exits 70',
    fields: { err: 'string' },
  },
  running: {
    group: 'process',
    levels: ['info'],
    when: '`mailstack queue-runner` (no listener of its own) is draining the spool; printed on stdout as its readiness line',
    fields: {},
  },
  'agent-started': {
    group: 'process',
    levels: ['info'],
    when: '`mailstack <agent>` has every listener of its agent bound',
    fields: { endpoints: 'object' },
  },
  'stack-started': {
    group: 'process',
    levels: ['info'],
    when: '`mailstack start` has every agent of the host started',
    fields: { endpoints: 'object' },
  },
  'tls-reloaded': {
    group: 'process',
    levels: ['info'],
    when: 'a changed certificate/key pair was read and handed to every TLS listener',
    fields: { cert: 'string' },
  },
  'tls-reload-failed': {
    group: 'process',
    levels: ['warn'],
    when: 'the certificate or key changed but could not be read or did not match; the old pair stays',
    fields: { cert: 'string', err: 'string' },
  },
  'tls-watch-failed': {
    group: 'process',
    levels: ['warn'],
    when: 'the folder of the certificate or key cannot be watched; a renewal needs a restart',
    fields: { dir: 'string', err: 'string' },
  },
  'metrics-snapshot-failed': {
    group: 'process',
    levels: ['warn'],
    when: "an agent process could not write what it counted for the web agent's /metrics; it tries again",
    fields: { err: 'string' },
  },

  // connection: listeners and sessions of every protocol
  connect: {
    group: 'connection',
    levels: ['debug'],
    when: 'a connection was accepted and its session starts',
    fields: {},
  },
  'accept-failed': {
    group: 'connection',
    levels: ['error'],
    when: 'setting up an accepted connection threw; the socket is destroyed',
    fields: { err: 'string' },
  },
  'too-many-connections': {
    group: 'connection',
    levels: ['warn'],
    when: 'a connection was refused because the listener is at its connection cap',
    fields: { limit: 'number?' },
  },
  'too-many-connections-from-client': {
    group: 'connection',
    levels: ['warn'],
    when: 'a connection was refused because its client address is at the per-client cap',
    fields: { limit: 'number?' },
  },
  'tls-error': {
    group: 'connection',
    levels: ['debug'],
    when: 'a TLS handshake or TLS socket failed',
    fields: { err: 'string' },
  },
  'socket-error': {
    group: 'connection',
    levels: ['debug'],
    when: 'a client socket errored (reset, broken pipe); the session ends',
    fields: { err: 'string' },
  },
  'server-error': {
    group: 'connection',
    levels: ['warn'],
    when: 'the listening socket itself reported an error',
    fields: { err: 'string', code: 'string?' },
  },
  starttls: {
    group: 'connection',
    levels: ['debug'],
    when: 'STARTTLS (IMAP) or STLS (POP3) completed',
    fields: { protocol: 'string|null' },
  },
  'idle-timeout': {
    group: 'connection',
    levels: ['info'],
    when: 'a client stayed silent past the idle timeout; the connection is closed',
    fields: {},
  },
  deadline: {
    group: 'connection',
    levels: ['info'],
    when: 'a command line, literal or DATA took longer than its deadline; the connection is closed',
    fields: { what: 'string' },
  },
  'line-flood': {
    group: 'connection',
    levels: ['info'],
    when: 'a command line exceeded the line limit; the connection is closed',
    fields: {},
  },
  'too-many-errors': {
    group: 'connection',
    levels: ['info', 'warn'],
    when: 'a client sent too many bad commands; the connection is closed',
    fields: { errors: 'number?' },
  },
  command: {
    group: 'connection',
    levels: ['debug'],
    when: 'a command was received (POP3)',
    fields: { verb: 'string' },
  },
  'command-failed': {
    group: 'connection',
    levels: ['error'],
    when: 'a command handler threw; the client gets a temporary error',
    fields: { verb: 'string?', err: 'string' },
  },
  'session-error': {
    group: 'connection',
    levels: ['error'],
    when: 'a session loop threw; its connection is destroyed',
    fields: { err: 'string' },
  },

  // smtp: the SMTP/LMTP listener shared by MSA, MTA and MDA
  'pregreet-wait': {
    group: 'smtp',
    levels: ['debug'],
    when: 'a connection waits the pregreet time before the 220 greeting',
    fields: { ms: 'number' },
  },
  'early-talker': {
    group: 'smtp',
    levels: ['info'],
    when: 'a client talked before the 220 greeting; it gets 421',
    fields: {},
  },
  'early-command-held': {
    group: 'smtp',
    levels: ['debug'],
    when: 'a command that arrived before 220 (no pregreet check) is held until the greeting',
    fields: {},
  },
  'handler-failed': {
    group: 'smtp',
    levels: ['error'],
    when: 'an SMTP/LMTP handler threw something other than an SmtpError; the client gets 451',
    fields: { handler: 'string', err: 'string' },
  },
  data: {
    group: 'smtp',
    levels: ['debug'],
    when: 'DATA was answered, with the reply code per recipient',
    fields: { recipients: 'number', codes: 'number[]' },
  },
  'smtp-library': {
    group: 'smtp',
    levels: ['debug', 'warn', 'error'],
    when: 'a line of the smtp-server library (its own fields under `library`)',
    fields: { library: 'object' },
  },

  // auth: logins on IMAP, POP3, submission and port 25 AUTH
  'auth-refused': {
    group: 'auth',
    levels: ['warn'],
    when: 'a login was refused without a password check because of the login throttle',
    fields: { user: 'string', retryAfterMs: 'number?' },
  },
  'auth-failed': {
    group: 'auth',
    levels: ['info'],
    when: 'a login failed: unknown user or wrong password (the throttle counts it)',
    fields: { user: 'string', delayMs: 'number?' },
  },
  'auth-error': {
    group: 'auth',
    levels: ['error'],
    when: 'the directory or the throttle failed during a login; the client gets a temporary error',
    fields: { user: 'string', err: 'string' },
  },
  authenticated: {
    group: 'auth',
    levels: ['info'],
    when: 'a login succeeded (IMAP LOGIN/AUTHENTICATE, POP3 USER/PASS, SMTP AUTH)',
    fields: { user: 'string', method: 'string?', messages: 'number?' },
  },

  // submission and transfer: MSA and MTA inbound
  'sender-refused': {
    group: 'submission',
    levels: ['warn'],
    when: 'an authenticated user used a sender address they do not own; 553',
    fields: { user: 'string', address: 'string', where: 'string' },
  },
  'rate-limited': {
    group: 'submission',
    levels: ['warn'],
    when: 'a user reached the hourly sending limit; 451',
    fields: { user: 'string' },
  },
  submitted: {
    group: 'submission',
    levels: ['info'],
    when: 'the MSA queued a submitted message',
    fields: { user: 'string', recipients: 'number', added: 'string[]' },
  },
  'relay-denied': {
    group: 'transfer',
    levels: ['info'],
    when: 'port 25 refused a recipient outside our domains from an untrusted client; 554',
    fields: { rcpt: 'string' },
  },
  'mail-loop': {
    group: 'transfer',
    levels: ['warn'],
    when: 'a message with too many Received fields was refused; 554',
    fields: { hops: 'number' },
  },
  'message-auth-results': {
    group: 'transfer',
    levels: ['info'],
    when: 'the SPF/DKIM/DMARC verdicts of an inbound message',
    fields: { results: 'Record<string,string>' },
  },
  'message-auth-error': {
    group: 'transfer',
    levels: ['error'],
    when: 'the SPF/DKIM/DMARC checks themselves failed; 451',
    fields: { err: 'string' },
  },
  'check-failed': {
    group: 'transfer',
    levels: ['error'],
    when: 'an inbound check (DNSBL, greylisting...) threw; 451',
    fields: { check: 'string', stage: 'string', err: 'string' },
  },
  'check-refused': {
    group: 'transfer',
    levels: ['info'],
    when: 'an inbound check refused the connection, a recipient or the message',
    fields: { check: 'string', stage: 'string', code: 'number' },
  },
  received: {
    group: 'transfer',
    levels: ['info'],
    when: 'the MTA queued a message received on port 25',
    fields: { from: 'string', recipients: 'number', size: 'number' },
  },
  'data-refused': {
    group: 'transfer',
    levels: ['info'],
    when: 'the MTA refused a message at DATA (size, headers, checks)',
    fields: { reply: 'string' },
  },
  'enqueue-failed': {
    group: 'transfer',
    levels: ['warn', 'error'],
    when: 'a message could not be written to the spool; the client gets 451 or 452',
    fields: { err: 'string' },
  },

  // outbound: the transfer worker and the DSN notifier
  'route-failed': {
    group: 'outbound',
    levels: ['warn'],
    when: 'no route for a domain (MX lookup failed or refused)',
    fields: { domain: 'string', code: 'number', text: 'string' },
  },
  'connect-failed': {
    group: 'outbound',
    levels: ['warn'],
    when: 'connecting to a next hop failed or it refused the greeting/EHLO',
    fields: { code: 'number', text: 'string' },
  },
  transaction: {
    group: 'outbound',
    levels: ['info'],
    when: 'one SMTP/LMTP transaction with a next hop ended, with its reply codes',
    fields: { codes: 'number[]', reused: 'boolean' },
  },
  'dkim-sign-failed': {
    group: 'outbound',
    levels: ['error'],
    when: 'DKIM signing failed; the message goes out unsigned',
    fields: { from: 'string', err: 'string' },
  },
  'dsn-queued': {
    group: 'outbound',
    levels: ['info'],
    when: 'a delivery status notification (bounce, delay) was queued to the sender',
    fields: { dsnQueueId: 'string', kind: 'string', to: 'string', returned: 'string' },
  },
  'dsn-suppressed': {
    group: 'outbound',
    levels: ['debug', 'info'],
    when: 'no DSN about a message from the null sender (a bounce that bounced)',
    fields: { kind: 'string' },
  },

  // delivery: the MDA
  'lmtp-message': {
    group: 'delivery',
    levels: ['info'],
    when: 'the LMTP server handled a message, with one result per recipient',
    fields: { from: 'string', size: 'number', results: 'string[]', ms: 'number' },
  },
  delivered: {
    group: 'delivery',
    levels: ['info'],
    when: 'a message was saved into a user mailbox',
    fields: { recipient: 'string', user: 'string', folder: 'string', uid: 'number' },
  },
  'not-delivered': {
    group: 'delivery',
    levels: ['info', 'error'],
    when: 'saving into a user mailbox failed (info for a refusal such as over quota, error otherwise)',
    fields: { recipient: 'string', user: 'string', code: 'number', err: 'string' },
  },
  'delivery-failed': {
    group: 'delivery',
    levels: ['error'],
    when: 'delivering to one recipient threw before any mailbox was tried',
    fields: { recipient: 'string', err: 'string' },
  },
  'unknown-user': {
    group: 'delivery',
    levels: ['info'],
    when: 'a recipient has no local mailbox; 550',
    fields: { recipient: 'string' },
  },
  'forward-ignored': {
    group: 'delivery',
    levels: ['info'],
    when: 'an alias forward reached the MDA (forwards are expanded by the MTA)',
    fields: { recipient: 'string', forward: 'string[]' },
  },

  // store: the Maildir store
  stored: {
    group: 'store',
    levels: ['info'],
    when: 'the store wrote a delivered message (tmp → new, fsynced)',
    fields: { user: 'string', folder: 'string', uid: 'number', size: 'number' },
  },
  'store-write-failed': {
    group: 'store',
    levels: ['error'],
    when: 'writing a delivered message failed; reported as no space (452)',
    fields: { user: 'string', folder: 'string', err: 'string' },
  },
  'index-write-failed': {
    group: 'store',
    levels: ['warn'],
    when: 'a delivered message is stored but its folder index row was not written; the next scan adds it',
    fields: { user: 'string', folder: 'string', err: 'string' },
  },
  'folder-created': {
    group: 'store',
    levels: ['info'],
    when: 'a folder was created',
    fields: { user: 'string', folder: 'string' },
  },
  'folder-deleted': {
    group: 'store',
    levels: ['info'],
    when: 'a folder was deleted',
    fields: { user: 'string', folder: 'string' },
  },

  // access: IMAP and POP3 sessions
  'read-failed': {
    group: 'access',
    levels: ['warn'],
    when: 'a message could not be read for FETCH or RETR/TOP; the client is told',
    fields: { uid: 'number', err: 'string' },
  },
  'read-failed-mid-stream': {
    group: 'access',
    levels: ['error'],
    when: 'a message read failed while it was being sent; the connection is destroyed',
    fields: { uid: 'number', err: 'string' },
  },
  'sync-failed': {
    group: 'access',
    levels: ['warn'],
    when: 'reporting mailbox changes after an IMAP command failed',
    fields: { err: 'string' },
  },
  'idle-sync-failed': {
    group: 'access',
    levels: ['warn'],
    when: 'pushing mailbox changes during IMAP IDLE failed',
    fields: { err: 'string' },
  },
  'close-expunge-failed': {
    group: 'access',
    levels: ['warn'],
    when: 'the silent expunge of IMAP CLOSE failed',
    fields: { err: 'string' },
  },
  'folder-close-failed': {
    group: 'access',
    levels: ['warn'],
    when: 'releasing a folder at the end of a session failed',
    fields: { err: 'string' },
  },
  'maildrop-in-use': {
    group: 'access',
    levels: ['info'],
    when: 'a POP3 login found the maildrop locked by another session',
    fields: { user: 'string' },
  },
  'maildrop-lock-failed': {
    group: 'access',
    levels: ['error'],
    when: 'taking the POP3 maildrop lock failed',
    fields: { user: 'string', err: 'string' },
  },
  'maildrop-open-failed': {
    group: 'access',
    levels: ['error'],
    when: 'opening the POP3 maildrop failed',
    fields: { user: 'string', err: 'string' },
  },
  'maildrop-unlock-failed': {
    group: 'access',
    levels: ['warn'],
    when: 'releasing the POP3 maildrop lock failed',
    fields: { err: 'string' },
  },
  update: {
    group: 'access',
    levels: ['info'],
    when: 'POP3 QUIT removed the messages marked deleted (UPDATE state)',
    fields: { user: 'string', expunged: 'number' },
  },
  'update-failed': {
    group: 'access',
    levels: ['error'],
    when: 'removing the messages marked deleted at POP3 QUIT failed',
    fields: { user: 'string', err: 'string' },
  },

  // directory: accounts and aliases
  'directory-loaded': {
    group: 'directory',
    levels: ['info'],
    when: 'the directory file was (re)loaded',
    fields: { file: 'string', users: 'number', aliases: 'number' },
  },
  'directory-invalid': {
    group: 'directory',
    levels: ['error'],
    when: 'the directory file failed validation; the last good state stays',
    fields: { file: 'string', issues: 'unknown', err: 'string' },
  },
  'directory-watch-failed': {
    group: 'directory',
    levels: ['error'],
    when: 'watching the directory file for changes failed',
    fields: { err: 'string' },
  },
  'directory-auth-failed': {
    group: 'directory',
    levels: ['info'],
    when: 'the directory refused a user name and password (known: whether the user exists)',
    fields: { user: 'string|null', known: 'boolean' },
  },
  'alias-budget-exhausted': {
    group: 'directory',
    levels: ['warn'],
    when: 'an alias expanded to more targets than allowed; the rest are dropped',
    fields: { address: 'string' },
  },
  'alias-loop': {
    group: 'directory',
    levels: ['warn'],
    when: 'an alias expansion looped; that branch is dropped',
    fields: { address: 'string', loop: 'string[]' },
  },
  'alias-too-deep': {
    group: 'directory',
    levels: ['warn'],
    when: 'an alias chain was deeper than allowed; that branch is dropped',
    fields: { address: 'string', path: 'string[]' },
  },
  'alias-target-missing': {
    group: 'directory',
    levels: ['warn'],
    when: 'an alias names a target that does not exist',
    fields: { address: 'string', target: 'string' },
  },

  // queue: the spool and its runner
  queued: {
    group: 'queue',
    levels: ['info'],
    when: 'a message is durable in the spool',
    fields: { from: 'string', rcpts: 'number', size: 'number' },
  },
  leased: {
    group: 'queue',
    levels: ['debug'],
    when: 'a worker leased a message for a delivery attempt',
    fields: { owner: 'string', attempt: 'number' },
  },
  'lease-reclaimed': {
    group: 'queue',
    levels: ['warn'],
    when: 'the lease of a process that is gone was taken back',
    fields: { holder: 'string' },
  },
  settled: {
    group: 'queue',
    levels: ['info'],
    when: 'an attempt for one recipient was recorded (delivered, deferred, failed)',
    fields: { recipient: 'string', status: 'string', reply: 'unknown', failure: 'unknown' },
  },
  'settle-unknown-recipient': {
    group: 'queue',
    levels: ['warn'],
    when: 'a result named no open recipient of the message',
    fields: { recipient: 'string' },
  },
  'settle-after-lease-lost': {
    group: 'queue',
    levels: ['warn'],
    when: 'a worker settled after its lease had passed to another',
    fields: { owner: 'string?', holder: 'string?' },
  },
  'settle-not-queued': {
    group: 'queue',
    levels: ['warn'],
    when: 'a settle named a message no longer in the spool',
    fields: {},
  },
  'spool-event': {
    group: 'queue',
    levels: ['info'],
    when: 'settling raised a spool event (delayed, failed, delivered) for its handlers',
    fields: { kind: 'string', recipients: 'number' },
  },
  'event-handler-failed': {
    group: 'queue',
    levels: ['error'],
    when: 'a spool event handler (the DSN notifier) threw; the event is retried later',
    fields: { kind: 'string', err: 'string' },
  },
  dequeued: {
    group: 'queue',
    levels: ['info'],
    when: 'a message left the spool (every recipient settled, or deleted by an operator)',
    fields: {},
  },
  'spool-recovered': {
    group: 'queue',
    levels: ['warn'],
    when: 'start-up recovery after a crash removed temp files or quarantined entries',
    fields: { removedTemps: 'number', quarantined: 'number', orphans: 'number' },
  },
  'meta-unreadable': {
    group: 'queue',
    levels: ['error'],
    when: 'a queue entry meta file could not be read or parsed',
    fields: { err: 'string' },
  },
  'body-missing': {
    group: 'queue',
    levels: ['error'],
    when: 'a queue entry body is missing or shorter than recorded',
    fields: { expected: 'number', found: 'number|null' },
  },
  quarantined: {
    group: 'queue',
    levels: ['error'],
    when: 'a broken queue entry was moved to corrupt/',
    fields: {},
  },
  'change-announce-failed': {
    group: 'queue',
    levels: ['warn'],
    when: 'telling other processes about an operator change to the spool failed',
    fields: { err: 'string' },
  },
  'spool-watch-failed': {
    group: 'queue',
    levels: ['warn'],
    when: 'watching the spool for other processes failed; the runner polls only',
    fields: { dir: 'string', err: 'string' },
  },
  'attempt-failed': {
    group: 'queue',
    levels: ['warn'],
    when: 'a delivery attempt threw; every open recipient is deferred',
    fields: { err: 'string' },
  },
  'lease-failed': {
    group: 'queue',
    levels: ['error'],
    when: 'the runner could not lease messages from the spool',
    fields: { err: 'string' },
  },
  'settle-failed': {
    group: 'queue',
    levels: ['error'],
    when: 'the runner could not record the results of an attempt',
    fields: { err: 'string' },
  },

  // web: the web agent (health, readiness, metrics, client autoconfig)
  'web-request-failed': {
    group: 'web',
    levels: ['error'],
    when: 'a request to the web port failed inside the server; the client got 500',
    fields: { path: 'string?', err: 'string' },
  },
} as const satisfies Record<string, LogEventDoc>;

export type LogEventName = keyof typeof LOG_EVENTS;

/** The event names, in table order. */
export const LOG_EVENT_NAMES = Object.keys(LOG_EVENTS) as LogEventName[];

/**
 * Fields any event may carry: the context that lets one message or session be followed
 * across agents. Usually bound once with `child()`.
 */
export interface LogContext {
  /**
   * The process that writes the line when each agent runs in its own (`mailstack msa`...): the
   * agent it was started as. Not `agent`, which the components inside bind themselves.
   */
  process?: string;
  /** The agent that writes the line: msa, mta, mda, imap, pop3, queue, directory... */
  agent?: string;
  /** A part of an agent: inbound, dkim, dsn, smtp-server. */
  component?: string;
  queueId?: string;
  messageId?: string | null | undefined;
  /** The SMTP/LMTP session id. */
  session?: string;
  /** The client address (of a connection) and its port. */
  remote?: string | undefined;
  port?: number | undefined;
  /** The next hop of an outbound transaction: its name and address. */
  host?: string;
  address?: string;
  /** The worker that holds a queue lease. */
  owner?: string;
}

type Flat<T> = { [K in keyof T]: T[K] };
type Required_<S> = {
  -readonly [F in keyof S as S[F] extends `${string}?` ? never : F]: FieldTypes[S[F] & FieldType];
};
type Optional_<S> = {
  -readonly [F in keyof S as S[F] extends `${string}?` ? F : never]?: S[F] extends `${infer T}?`
    ? FieldTypes[T & FieldType] | undefined
    : never;
};

/** The fields of one event, typed from its entry in LOG_EVENTS. */
export type LogEventFields<E extends LogEventName> = Flat<
  Required_<(typeof LOG_EVENTS)[E]['fields']> & Optional_<(typeof LOG_EVENTS)[E]['fields']>
>;

/** One log line's object: the event name, its fields and any context fields. */
export type LogEventOf<E extends LogEventName> = Flat<{ event: E } & LogEventFields<E> & LogContext>;

/** Any event. */
export type LogEvent = { [E in LogEventName]: LogEventOf<E> }[LogEventName];

/** The events that may be logged at `level`. */
export type LogEventAt<L extends LogLevel> = {
  [E in LogEventName]: L extends (typeof LOG_EVENTS)[E]['levels'][number] ? LogEventOf<E> : never;
}[LogEventName];
