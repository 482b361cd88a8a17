import type { Directory, Logger, MetricsSink, Spool } from '@mailstack/core';
import type { AuthThrottle, AuthThrottleOptions } from '@mailstack/directory';
import type { SmtpConnectionLimits, SmtpListenerOptions } from '@mailstack/smtp';
import type { MayUseSender } from './sender-policy.ts';
import type { LimitOptions } from './sending-limits.ts';
import type { SendingCountStore } from './sending-store.ts';

/** Listener settings the MSA passes through as they are. */
export type PassThroughOptions = Pick<
  SmtpListenerOptions,
  | 'banner'
  | 'maxLineLength'
  | 'maxConnections'
  | 'idleTimeoutMs'
  | 'maxMessageSize'
  | 'maxRecipients'
  | 'maxProtocolErrors'
  | 'closeTimeoutMs'
  | 'pregreetMs'
> &
  SmtpConnectionLimits;

export interface SubmissionServerOptions extends PassThroughOptions {
  directory: Directory;
  /** Every accepted message goes here, local and remote recipients alike. */
  spool: Spool;
  tls: { key: string | Buffer; cert: string | Buffer };
  /** true: port 465 style, TLS from the first byte (RFC 8314). false: port 587 with STARTTLS. */
  implicitTls: boolean;
  /** Name in the greeting, EHLO reply, Received header and generated Message-IDs. */
  hostname: string;
  /** Development only: AUTH without TLS for clients on 127.0.0.0/8 and ::1. Default false. */
  allowCleartextAuthOnLoopback?: boolean;
  limits?: LimitOptions;
  /**
   * Where the hourly counts live. Default: in memory, for this listener alone. Give every
   * listener of a host the same store (`openSqliteSendingStore`, one file for all processes)
   * so 587, 465 and every MSA process count one budget that a restart keeps. Not closed here.
   */
  sendingStore?: SendingCountStore;
  /** Extra senders per account (shared mailboxes); own addresses are always allowed. */
  mayUseSender?: MayUseSender;
  /** Failed-login throttle (per IP and per user). Default 5 failures per 15 minutes. */
  authThrottle?: AuthThrottle | AuthThrottleOptions;
  /** Leave the client's IP address out of the Received header. Default false. */
  hideClientIp?: boolean;
  /** VRFY gives real answers to authenticated users. Default false (252 to everyone). */
  verifyForAuthenticated?: boolean;
  /** EXPN lists an alias's members to authenticated users. Default false (502). */
  expandForAuthenticated?: boolean;
  logger?: Logger;
  /** Accepted messages and failed logins are counted here (the web agent's /metrics). */
  metrics?: MetricsSink;
  /** Clock for Date/Received and the hourly limit (tests). Default `() => new Date()`. */
  now?: () => Date;
}
