import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * scrypt cost parameters. `ln` is log2(N). Memory per hash is about 128 * N * r bytes;
 * `p` lanes run one after another in Node, so time grows linearly with p.
 */
export interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

/**
 * Default cost: N = 2^15, r = 8, p = 1, i.e. 32 MiB and about 100 ms per hash on the
 * reference machine (see README). Chosen so a login stays snappy and four concurrent
 * hashes (libuv's default pool) stay near 128 MiB, while an offline attacker still pays
 * 32 MiB per guess. Raise it later: the parameters travel inside every stored hash, and
 * `needsRehash` tells the caller when a stored one is below the current default.
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ ln: 15, r: 8, p: 1 });

/** Bounds accepted when reading a stored hash, so a hand-edited file cannot ask for gigabytes. */
const LIMITS = { ln: [10, 22], r: [1, 32], p: [1, 16] } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

const PHC_RE = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Parses `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (PHC string, unpadded base64); null if malformed. */
export function parseHash(stored: string): ParsedHash | null {
  const m = PHC_RE.exec(stored);
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  for (const key of ['ln', 'r', 'p'] as const) {
    const [min, max] = LIMITS[key];
    if (params[key] < min || params[key] > max) return null;
  }
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return null;
  return { params, salt, hash };
}

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

/** Passwords are compared as NFC (RFC 8265 OpaqueString) so the same typed text always matches. */
function normalize(plain: string): string {
  return plain.normalize('NFC');
}

function derive(plain: string, salt: Buffer, params: ScryptParams, keylen: number): Promise<Buffer> {
  const N = 2 ** params.ln;
  // OpenSSL needs 128*r*(N+2) for V plus 128*r*p for B; a little slack on top.
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    maxmem: 128 * params.r * (N + 2 + params.p) + 65536,
  };
  return new Promise((resolve, reject) => {
    scrypt(normalize(plain), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes a password into a self-describing PHC string. Async: runs on the libuv pool. */
export async function hashPassword(plain: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(plain, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** Checks a password against a stored hash in constant time; false for a malformed hash. */
export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(plain, parsed.salt, parsed.params, parsed.hash.length);
  return timingSafeEqual(key, parsed.hash);
}

/** True when a stored hash is malformed or cheaper than `target`: rehash it at the next login. */
export function needsRehash(stored: string, target: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  const cost = (p: ScryptParams) => 2 ** p.ln * p.r * p.p;
  return cost(parsed.params) < cost(target) || parsed.hash.length < KEY_BYTES;
}

/**
 * A hash no password matches, with the default cost: verifying against it takes as long as a
 * real check, so an unknown user name is not told apart by timing.
 */
export function dummyHash(params: ScryptParams = DEFAULT_SCRYPT): string {
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(randomBytes(SALT_BYTES))}$${b64(randomBytes(KEY_BYTES))}`;
}
