import type { Directory, Envelope, Logger, MessageBlob, MetricsSink, Reply, Spool } from '@mailstack/core';
import type { AuthThrottle, AuthThrottleOptions } from '@mailstack/directory';
import type { SmtpConnectionLimits, SmtpListenerOptions } from '@mailstack/smtp';

/** Listener settings the inbound server passes through as they are. */
export type InboundPassThroughOptions = Pick<
  SmtpListenerOptions,
  | 'banner'
  | 'maxLineLength'
  | 'maxConnections'
  | 'idleTimeoutMs'
  | 'maxMessageSize'
  | 'maxRecipients'
  | 'maxProtocolErrors'
  | 'closeTimeoutMs'
> &
  SmtpConnectionLimits;

/** Where in the session a check runs. */
export type InboundCheckStage = 'connect' | 'rcpt' | 'data';

/** What a check sees; fields fill in as the session goes on. */
export interface InboundCheckContext {
  stage: InboundCheckStage;
  /** The client's IP address (IPv4-mapped IPv6 unwrapped). */
  remoteAddress: string;
  /** HELO/EHLO name, once given. */
  helo?: string;
  /** MAIL FROM ('' = null sender), from the rcpt stage on. */
  mailFrom?: string;
  /** The recipient being checked (rcpt stage). */
  recipient?: string;
  /** The whole envelope and the message as received, before our headers (data stage). */
  envelope?: Envelope;
  /** Its header section as received (each field with its CRLF). */
  head?: Buffer;
  /** The whole message, on disk: read it as a stream (`open()`), never all at once. */
  message?: MessageBlob;
  /** The client authenticated (it may relay). */
  authenticated: boolean;
}

/**
 * A check's verdict. `tempfail` answers 4xx (default `451 4.7.1`), `reject` 5xx (default
 * `550 5.7.1`, `554 5.7.1` at connect); `reply` overrides code, enhanced code and text.
 */
export type InboundVerdict = { action: 'accept' } | { action: 'tempfail' | 'reject'; reply?: Partial<Reply> };

/**
 * The seam for DNSBL, greylisting and content filters (the filter package plugs in here).
 * Each stage method is optional; the first verdict that is not `accept` wins.
 */
export interface InboundCheck {
  name: string;
  connect?(ctx: InboundCheckContext): Promise<InboundVerdict> | InboundVerdict;
  rcpt?(ctx: InboundCheckContext): Promise<InboundVerdict> | InboundVerdict;
  data?(ctx: InboundCheckContext): Promise<InboundVerdict> | InboundVerdict;
}

/** A DNS lookup as mailauth calls it: records of `rrtype` for `name` (TXT as string[][]). */
export type DnsResolver = (name: string, rrtype: string) => Promise<string[][] | string[]>;

/** SPF, DKIM and DMARC verification with mailauth (RFC 7208, 6376, 7489). */
export interface AuthenticationChecks {
  spf?: boolean;
  dkim?: boolean;
  dmarc?: boolean;
  /**
   * What a DMARC failure under the sender's `p=reject` does: 'off' skips DMARC, 'tag' only
   * records it in Authentication-Results, 'reject' refuses with `550 5.7.1` at end of DATA.
   * Default 'tag'.
   */
  dmarcPolicy?: 'off' | 'tag' | 'reject';
  /** DNS for the checks (tests use a fake). Default: node's resolver through mailauth. */
  dnsResolver?: DnsResolver;
}

export interface InboundServerOptions extends InboundPassThroughOptions {
  /** Name in the greeting, EHLO reply, Received and Authentication-Results (authserv-id). */
  hostname: string;
  /** Local domains and recipients. */
  directory: Directory;
  /** Every accepted message goes here; 2xx is given only once enqueue resolved (fsynced). */
  spool: Spool;
  /** Certificate for STARTTLS (RFC 3207); without it STARTTLS is not offered. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** CIDRs (`192.0.2.0/24`, `2001:db8::/32`, or single addresses) allowed to relay. Default none. */
  trustedNetworks?: string[];
  /**
   * AUTH for clients that may relay (RFC 4954): offered only after STARTTLS, never
   * required. Without it AUTH is not offered.
   */
  auth?: {
    /** Development only: AUTH without TLS for clients on 127.0.0.0/8 and ::1. */
    allowCleartextOnLoopback?: boolean;
    /** Failed-login throttle (per IP and per user). Default 5 failures per 15 minutes. */
    throttle?: AuthThrottle | AuthThrottleOptions;
  };
  /** More Received fields than this means a mail loop: `554 5.4.6` at end of DATA. Default 30. */
  maxReceivedHeaders?: number;
  /** Milliseconds of silence before 220; earlier talkers get 421. Default 100 (port 25); 0 = off. */
  pregreetMs?: number;
  /**
   * Refuse a message with a CR or LF that is not part of CRLF (RFC 5321 2.3.8) with
   * `550 5.6.0`, as Postfix's smtpd_forbid_bare_newline does: such bytes are what SMTP
   * smuggling rides on at the next hop. Default true.
   */
  rejectBareLineEnds?: boolean;
  /**
   * Where a message waits while SPF/DKIM/DMARC or `data` checks read it whole, before it goes
   * to the spool with our fields on top. Default os.tmpdir(); put it on a disk, not a tmpfs.
   */
  stagingDir?: string;
  /** SPF/DKIM/DMARC; off (no DNS at all) when absent. */
  authentication?: AuthenticationChecks;
  /** DNSBL/greylisting/content hooks, run in order. */
  checks?: InboundCheck[];
  /** Reverse DNS for the client (the `rdns` in Received). Default off: no DNS. */
  reverseLookup?: boolean | ((ip: string) => Promise<string[]>);
  logger?: Logger;
  /** Accepted messages and failed logins are counted here (the web agent's /metrics). */
  metrics?: MetricsSink;
  /** Clock for Received (tests). */
  now?: () => Date;
}
