/**
 * Caps how many password hashes run at once. scrypt runs on libuv's thread pool (4 threads
 * by default), the same pool that serves every fs call; a burst of logins must not leave
 * Maildir delivery and the spool waiting behind it.
 */
export function createHashLimiter(max: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (job) => {
    if (running >= max) await new Promise<void>((r) => waiting.push(r));
    else running++;
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next)
        next(); // hand our slot straight to the next job
      else running--;
    }
  };
}
