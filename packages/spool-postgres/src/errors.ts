import { NoSpaceError, SmtpError, storageRefusal, TemporaryStorageError } from '@mailstack/core';

/** Network errors of the client: the database is not there (yet, or any more). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT', // a unix socket that is not there
]);

/**
 * SQLSTATEs that mean "not now" (PostgreSQL Appendix A): connection exceptions (08), the server
 * shutting down or starting (57P01-57P03), too many connections (53300), out of memory (53200),
 * a serialization failure or deadlock (40001, 40P01), a lock not available (55P03).
 */
function temporarySqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    /^57P0[1-3]$/.test(code) ||
    ['53300', '53200', '40001', '40P01', '55P03'].includes(code)
  );
}

/** Errors node-postgres raises without a code when the connection is gone. */
const CONNECTION_LOST =
  /Connection terminated|connection error|timeout exceeded when trying to connect|Client was closed/i;

/**
 * A database error as the typed refusal of @mailstack/core: disk full (SQLSTATE 53100) is a
 * NoSpaceError (452 4.3.1), an unreachable or restarting database a TemporaryStorageError.
 * Refusals and SMTP errors pass unchanged; anything else (a bug) too.
 */
export function spoolError(err: unknown): unknown {
  if (err instanceof SmtpError || storageRefusal(err) !== undefined) return err;
  if (typeof err !== 'object' || err === null) return err;
  const code = (err as { code?: unknown }).code;
  const message = (err as { message?: unknown }).message;
  if (code === '53100') return new NoSpaceError({ cause: err });
  const temporary =
    (typeof code === 'string' && (NETWORK_CODES.has(code) || temporarySqlState(code))) ||
    (typeof message === 'string' && CONNECTION_LOST.test(message));
  if (temporary) {
    return new TemporaryStorageError(`spool database unavailable: ${String(message ?? code)}`, {
      cause: err,
    });
  }
  return err;
}
