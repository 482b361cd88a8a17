import { createServer } from 'node:net';
import { type MailHost, STANDARD_SERVICES } from '../src/index.ts';

export const HOST: MailHost = {
  hostname: 'mail.example.test',
  domain: 'example.test',
  services: [...STANDARD_SERVICES],
};

/** A port nothing listens on right now: bound once by us, then released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
