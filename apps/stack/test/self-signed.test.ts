/**
 * The self-signed certificate the stack makes on first start, written by our own DER code:
 * node:crypto (OpenSSL) must parse it, verify its signature, match its key, and accept it in a
 * real TLS handshake for the hostname.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { expect, it } from 'vitest';
import { integer, oid, time } from '../src/tls/der.ts';
import { selfSignedCertificate } from '../src/tls/self-signed.ts';

const HOST = 'mail.example.test';
const DAY = 24 * 3600 * 1000;

it('is parsed by node:crypto: names, validity, signature and key', () => {
  const now = new Date('2026-12-02T15:00:00Z');
  const { key, cert } = selfSignedCertificate(HOST, now);
  expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  const x509 = new X509Certificate(cert);
  expect(x509.subject).toBe(`CN=${HOST}`);
  expect(x509.issuer).toBe(`CN=${HOST}`);
  expect(x509.subjectAltName).toBe(`DNS:${HOST}, DNS:localhost, IP Address:127.0.0.1`);
  expect(new Date(x509.validFrom).toISOString()).toBe('2026-12-02T14:00:00.000Z');
  expect(new Date(x509.validTo).getTime()).toBe(now.getTime() + 825 * DAY);
  expect(x509.ca).toBe(false);
  expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  expect(x509.checkHost(HOST)).toBe(HOST);
  expect(x509.checkHost('localhost')).toBe('localhost');
  expect(x509.checkHost('other.example.test')).toBeUndefined();
  expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
  expect(x509.checkIP('127.0.0.2')).toBeUndefined();
  expect(x509.verify(x509.publicKey)).toBe(true);
  expect(x509.checkPrivateKey(createPrivateKey(key))).toBe(true);
  expect(x509.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
  expect(x509.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
});

it('gets a new key and serial each time', () => {
  const a = new X509Certificate(selfSignedCertificate(HOST).cert);
  const b = new X509Certificate(selfSignedCertificate(HOST).cert);
  expect(a.serialNumber).not.toBe(b.serialNumber);
  expect(a.publicKey.equals(b.publicKey)).toBe(false);
});

it('names localhost once when it is the hostname', () => {
  const x509 = new X509Certificate(selfSignedCertificate('localhost').cert);
  expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
});

it('writes dates from 2050 on as GeneralizedTime, which OpenSSL reads back', () => {
  expect(time(new Date('2049-12-31T23:59:59Z')).toString('latin1')).toBe('\x17\x0d491231235959Z');
  expect(time(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
  const x509 = new X509Certificate(selfSignedCertificate(HOST, new Date('2049-06-01T00:00:00Z')).cert);
  expect(new Date(x509.validFrom).toISOString()).toBe('2049-05-31T23:00:00.000Z');
  expect(new Date(x509.validTo).toISOString()).toBe('2051-09-04T00:00:00.000Z');
  expect(x509.verify(x509.publicKey)).toBe(true);
});

it('encodes DER integers and object identifiers', () => {
  expect(integer(2).toString('hex')).toBe('020102');
  expect(integer(0).toString('hex')).toBe('020100');
  expect(integer(128).toString('hex')).toBe('02020080');
  expect(integer(Buffer.from([0, 0, 0x7f])).toString('hex')).toBe('02017f');
  expect(oid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
  expect(oid('2.5.29.17').toString('hex')).toBe('0603551d11');
});

it('is accepted by a TLS client that trusts it, for the hostname it names', async () => {
  const { key, cert } = selfSignedCertificate(HOST);
  const server = createServer({ key, cert }, (socket) => socket.end('hello\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handshake = (servername: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: cert, servername }, () => {
        let got = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => {
          got += d;
        });
        socket.on('end', () => resolve(`${socket.authorized} ${got}`));
      });
      socket.on('error', reject);
    });
  try {
    expect(await handshake(HOST)).toBe('true hello\n');
    await expect(handshake('other.example.test')).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
