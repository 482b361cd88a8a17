import { createConnection } from 'node:net';

/** One free-port helper for every test: it never hands the same port out twice. */
export { freePort } from '@mailstack/testkit';

/** Whether something accepts TCP connections on 127.0.0.1:port right now. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls a condition every `intervalMs` until it holds or `timeoutMs` passes (then throws `what`). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export async function waitForPort(port: number, what: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${what} to accept on 127.0.0.1:${port}`, () => canConnect(port), timeoutMs);
}
