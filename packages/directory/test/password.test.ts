import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, hashPassword, needsRehash, parseSaslPlain, verifyPassword } from '../src/index.ts';
import { parseHash } from '../src/password.ts';
import { FAST } from './fixtures.ts';

describe('password hashing', () => {
  it('writes a PHC string that carries its parameters, salt and hash', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const parsed = parseHash(h)!;
    expect(parsed.params).toEqual(DEFAULT_SCRYPT);
    expect(parsed.salt).toHaveLength(16);
    expect(parsed.hash).toHaveLength(32);
    expect(h).not.toContain('correct horse');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const h = await hashPassword('s3cret', FAST);
    expect(await verifyPassword('s3cret', h)).toBe(true);
    expect(await verifyPassword('s3cret ', h)).toBe(false);
    expect(await verifyPassword('S3cret', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
  });

  it('uses a fresh salt each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same', FAST), hashPassword('same', FAST)]);
    expect(a).not.toBe(b);
    expect(parseHash(a)!.salt.equals(parseHash(b)!.salt)).toBe(false);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('reads the cost from the stored string, so older cheaper hashes still verify', async () => {
    const cheap = await hashPassword('pw', { ln: 12, r: 8, p: 2 });
    expect(cheap).toMatch(/^\$scrypt\$ln=12,r=8,p=2\$/);
    expect(await verifyPassword('pw', cheap)).toBe(true);
    expect(needsRehash(cheap)).toBe(true);
    expect(needsRehash(await hashPassword('pw'))).toBe(false);
  });

  it('compares passwords in NFC, so composed and decomposed accents match', async () => {
    const h = await hashPassword('caf\u00e9', FAST);
    expect(await verifyPassword('cafe\u0301', h)).toBe(true);
  });

  it('refuses malformed or absurdly expensive hashes without throwing', async () => {
    const good = await hashPassword('pw', FAST);
    for (const bad of [
      '',
      'pw',
      '$2b$10$abcdefghijklmnopqrstuv',
      good.replace('ln=10', 'ln=30'),
      good.replace('r=8', 'r=99'),
      good.slice(0, -30),
    ]) {
      expect(parseHash(bad), bad).toBeNull();
      expect(await verifyPassword('pw', bad), bad).toBe(false);
    }
  });
});

describe('parseSaslPlain', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it('reads authcid and password, allows an authzid naming the same user, flags another one', () => {
    expect(parseSaslPlain(b64('\0alice@x.test\0pw'))).toEqual({
      user: 'alice@x.test',
      password: 'pw',
      authorized: true,
    });
    expect(parseSaslPlain(b64('Alice@X.test\0alice@x.test\0pw'))).toMatchObject({ authorized: true });
    expect(parseSaslPlain(b64('bob@x.test\0alice@x.test\0pw'))).toMatchObject({ authorized: false });
    expect(parseSaslPlain(b64('alice@x.test.\0alice@x.test\0pw'))).toMatchObject({ authorized: false });
    for (const bad of [b64('\0alice@x.test'), b64('\0\0pw'), 'not base64!'])
      expect(parseSaslPlain(bad), bad).toBeNull();
  });
});
