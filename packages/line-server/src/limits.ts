/**
 * The limits every line-protocol server takes the same way (IMAP, POP3): a per-client
 * connection cap, and total deadlines that a client trickling one byte at a time cannot
 * stretch (the idle timer alone is reset by every byte).
 */
export interface ConnectionLimits {
  /** Concurrent connections from one client address. Default 50 (Postfix's default). */
  maxConnectionsPerClient?: number;
  /** From connect to a successful login; then `* BYE`/`-ERR` and close. Default 60 000 (Dovecot's). */
  loginTimeoutMs?: number;
  /** From the first byte of a command line to its end. Default 60 000. */
  commandTimeoutMs?: number;
  /** Time for any literal, plus `size / minDataRate` seconds for its bytes. Default 300 000. */
  literalTimeoutMs?: number;
  /** Slowest acceptable literal transfer in bytes per second. Default 4096. */
  minDataRate?: number;
  /** Input held per connection while a command runs before reading stops. Default 1 MiB. */
  maxHeldBytes?: number;
  /** How long close() lets commands in progress finish. Default 10 000. */
  closeTimeoutMs?: number;
}

export const LIMIT_DEFAULTS: Required<ConnectionLimits> = {
  maxConnectionsPerClient: 50,
  loginTimeoutMs: 60_000,
  commandTimeoutMs: 60_000,
  literalTimeoutMs: 300_000,
  minDataRate: 4096,
  maxHeldBytes: 1024 * 1024,
  closeTimeoutMs: 10_000,
};

/** The limits with defaults for what `options` leaves out. */
export function connectionLimits(options: ConnectionLimits): Required<ConnectionLimits> {
  const out = { ...LIMIT_DEFAULTS };
  for (const key of Object.keys(out) as Array<keyof ConnectionLimits>) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Total time allowed for a literal of `size` bytes. */
export function literalDeadlineMs(limits: Required<ConnectionLimits>, size: number): number {
  return limits.literalTimeoutMs + Math.ceil((size * 1000) / limits.minDataRate);
}
