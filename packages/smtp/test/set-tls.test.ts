/** A renewed certificate reaches new implicit-TLS and STARTTLS sessions of an SMTP listener at once. */
import { X509Certificate } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { connect } from 'node:tls';
import { generate } from 'selfsigned';
import { afterEach, expect, it } from 'vitest';
import { createSmtpListener, type SmtpListener } from '../src/index.ts';

const listeners: SmtpListener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

const pair = (name: string) =>
  generate([{ name: 'commonName', value: name }], { keyType: 'ec', curve: 'P-256' });
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

/** The certificate shown to a new implicit-TLS connection. */
function implicit(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

/** The certificate shown after EHLO and STARTTLS on a plain connection. */
function starttls(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const plain = connectTcp({ host: '127.0.0.1', port });
    let seen = '';
    let sent = false;
    plain.on('error', reject);
    plain.on('data', (chunk) => {
      seen += chunk;
      if (!sent && /^220 /m.test(seen) && !seen.includes('EHLO')) {
        seen += 'EHLO';
        plain.write('EHLO client.test\r\n');
      } else if (!sent && /^250 /m.test(seen)) {
        sent = true;
        plain.write('STARTTLS\r\n');
      } else if (sent && /\r\n220 [^\r]*\r\n$/.test(seen)) {
        plain.removeAllListeners('data');
        const secure = connect({ socket: plain, rejectUnauthorized: false }, () => {
          resolve(secure.getPeerX509Certificate()?.fingerprint256 ?? '');
          secure.destroy();
        });
        secure.on('error', reject);
      }
    });
  });
}

it('serves the certificate given to setTls to the next sessions', async () => {
  const [first, second] = await Promise.all([pair('first.test'), pair('second.test')]);
  const ports: number[] = [];
  for (const isImplicit of [true, false]) {
    const listener = createSmtpListener({
      handlers: { onData: async () => ({ code: 250, enhanced: '2.0.0', text: 'ok' }) },
      tls: { key: first.private, cert: first.cert, implicit: isImplicit },
    });
    listeners.push(listener);
    ports.push(((await listener.listen(0, '127.0.0.1')) as { port: number }).port);
  }
  const [tlsPort, plainPort] = ports as [number, number];
  expect([await implicit(tlsPort), await starttls(plainPort)]).toEqual([
    fingerprint(first.cert),
    fingerprint(first.cert),
  ]);
  for (const l of listeners) l.setTls({ key: second.private, cert: second.cert });
  expect([await implicit(tlsPort), await starttls(plainPort)]).toEqual([
    fingerprint(second.cert),
    fingerprint(second.cert),
  ]);
});
