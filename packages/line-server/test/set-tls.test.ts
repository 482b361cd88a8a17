/** A renewed certificate reaches new implicit-TLS connections (and the STARTTLS hook) at once. */
import { X509Certificate } from 'node:crypto';
import { connect, createSecureContext, type SecureContext } from 'node:tls';
import { silentLogger } from '@mailstack/core';
import { generate } from 'selfsigned';
import { afterEach, expect, it } from 'vitest';
import { createSessionListener, type SessionListener } from '../src/index.ts';

let listener: SessionListener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

const pair = (name: string) =>
  generate([{ name: 'commonName', value: name }], { keyType: 'ec', curve: 'P-256' });

/** The fingerprint of the certificate a new TLS connection to `port` is shown. */
function served(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

it('serves the certificate given to setTls to the next connections', async () => {
  const [first, second] = await Promise.all([pair('first.test'), pair('second.test')]);
  const starttls: SecureContext[] = [];
  listener = createSessionListener({
    name: 'test',
    implicitTls: createSecureContext({ key: first.private, cert: first.cert }),
    maxConnections: 10,
    busyReply: 'busy\r\n',
    handshakeTimeoutMs: 5000,
    logger: silentLogger,
    onSecureContext: (context) => starttls.push(context),
    createSession: (socket) => ({
      run: () => new Promise<void>((resolve) => socket.once('close', () => resolve())),
      destroy: () => socket.destroy(),
    }),
  });
  const { port } = await listener.listen(0);
  expect(await served(port)).toBe(new X509Certificate(first.cert).fingerprint256);
  listener.setTls({ key: second.private, cert: second.cert });
  expect(await served(port)).toBe(new X509Certificate(second.cert).fingerprint256);
  expect(starttls).toHaveLength(1);
});
