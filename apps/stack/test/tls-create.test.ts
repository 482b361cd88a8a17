/**
 * Agents started as separate processes at the same moment (docker compose up) all find no
 * certificate and make one: they must end up serving one pair, each key matching its cert.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ensureCertificate } from '../src/index.ts';

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir('mailstack-tls-create-');
});
afterEach(() => dir.cleanup());

it('makes one self-signed pair when several starts race for it', async () => {
  const tls = join(dir.path, 'tls');
  const made = await Promise.all(
    Array.from({ length: 6 }, () => ensureCertificate(tls, 'mail.example.test')),
  );
  expect(made.filter((m) => m.created)).toHaveLength(1);
  expect(new Set(made.map((m) => m.cert)).size).toBe(1);
  for (const m of made)
    expect(new X509Certificate(m.cert).checkPrivateKey(createPrivateKey(m.key))).toBe(true);
  expect((await readdir(tls)).sort()).toEqual(['cert.pem', 'key.pem']);
  expect((await readdir(dir.path)).sort()).toEqual(['tls']);
});

it('makes a new pair where a start left a key without its certificate', async () => {
  const tls = join(dir.path, 'tls');
  const first = await ensureCertificate(tls, 'mail.example.test');
  const { rm } = await import('node:fs/promises');
  await rm(join(tls, 'cert.pem'));
  const again = await ensureCertificate(tls, 'mail.example.test');
  expect(again.created).toBe(true);
  expect(again.cert).not.toBe(first.cert);
  expect(new X509Certificate(again.cert).checkPrivateKey(createPrivateKey(again.key))).toBe(true);
  expect((await readdir(tls)).sort()).toEqual(['cert.pem', 'key.pem']);
});
