import type { CommandIo } from './command.ts';

/** Exit code after a second signal: the shell's 128 + signal number. */
const NOW: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Runs until SIGTERM or SIGINT, then `close` (listeners say goodbye, work in flight finishes,
 * bounded) and resolves 0. A second signal exits at once: Ctrl-C twice means now.
 */
export function serveUntilSignal(close: () => Promise<void>, io: CommandIo): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: 'SIGINT' | 'SIGTERM') => {
      if (stopping) process.exit(NOW[signal]);
      stopping = true;
      io.stderr.write(`${JSON.stringify({ level: 'info', event: 'stopping', signal })}\n`);
      close().finally(() => resolve(0));
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

/** A start that failed: one line that says why, exit 1 (a port in use says which). */
export function startFailed(err: unknown, io: CommandIo, what: string): number {
  const e = err as NodeJS.ErrnoException;
  const socket = (err as { address?: unknown }).address;
  if (e.code === 'EADDRINUSE' && typeof socket === 'string' && socket.startsWith('/')) {
    io.stderr.write(
      `mailstack: unix socket ${socket} is in use: another ${what} answers on it, or it is not a socket (left as it is)\n`,
    );
  } else if (e.code === 'EADDRINUSE') {
    io.stderr.write(`mailstack: a port is already in use (${e.message}); is another ${what} running?\n`);
  } else {
    io.stderr.write(`mailstack: could not start: ${e.stack ?? String(err)}\n`);
  }
  return 1;
}
