import {
  bufferBlob,
  type Envelope,
  type Logger,
  type MessageBlob,
  readAll,
  silentLogger,
} from '@mailstack/core';
import { dkimSign } from 'mailauth';
import { headerEnd } from './original.ts';

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519' | 'ed25519-sha256';

/** One signing domain's key. */
export interface DkimDomainKey {
  selector: string;
  /** PEM (PKCS#8 or PKCS#1 for RSA). */
  privateKey: string | Buffer;
  /** Default: from the key (rsa-sha256 for RSA, ed25519-sha256 for Ed25519). */
  algorithm?: DkimAlgorithm;
}

export interface DkimSignerOptions {
  /** The signing domains: a message is signed when its From domain is one of them. */
  domains?: Record<string, DkimDomainKey>;
  /** One domain, the short form: `{ domain, selector, privateKey }`. */
  domain?: string;
  selector?: string;
  privateKey?: string | Buffer;
  algorithm?: DkimAlgorithm;
  /** Header fields to sign (default: mailauth's list: From, To, Subject, Date, Message-ID ...). */
  headers?: string[];
  logger?: Logger;
}

/** The outbound target's `prepare` hook: the blob it sends instead of the queued one. */
type PrepareHook = (envelope: Envelope, blob: MessageBlob) => Promise<MessageBlob>;

export interface DkimSigner {
  /** Signs when the From domain has a key; otherwise gives back `blob` itself. Never throws. */
  prepare: PrepareHook;
  /** The same on bytes: the signed message, or null when it is not for one of our domains. */
  sign(message: Buffer): Promise<Buffer | null>;
  /** The lower-cased domains it signs for. */
  readonly domains: string[];
}

/**
 * The From header's domain, or null when there is not exactly one From field with one address.
 * From, not the envelope sender: DMARC aligns DKIM's d= with the From domain (RFC 7489 3.1), and
 * a bounce (null sender) from one of our domains is signed as well.
 */
export function headerFromDomain(message: Buffer): string | null {
  const end = headerEnd(message);
  const head = message.subarray(0, end < 0 ? message.length : end).toString('utf8');
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const froms = unfolded.split(/\r?\n/).filter((line) => /^from\s*:/i.test(line));
  if (froms.length !== 1) return null;
  const value = froms[0]!.slice(froms[0]!.indexOf(':') + 1).replace(/\([^()]*\)/g, ' ');
  const angle = [...value.matchAll(/<([^<>]*)>/g)].map((m) => m[1]!);
  const candidates = angle.length > 0 ? angle : value.split(',').map((s) => s.trim());
  if (candidates.length !== 1) return null;
  const address = candidates[0]!.trim();
  const at = address.lastIndexOf('@');
  if (at <= 0) return null;
  const domain = address
    .slice(at + 1)
    .trim()
    .replace(/\.$/, '')
    .toLowerCase();
  return /^[^\s@<>]+$/.test(domain) ? domain : null;
}

/** DKIM signing (RFC 6376, RFC 8463) for the outbound path, with mailauth's `dkimSign`. */
export function createDkimSigner(options: DkimSignerOptions): DkimSigner {
  const log = (options.logger ?? silentLogger).child({ agent: 'mta', component: 'dkim' });
  const keys = new Map<string, DkimDomainKey>();
  for (const [domain, key] of Object.entries(options.domains ?? {})) keys.set(domain.toLowerCase(), key);
  if (options.domain !== undefined) {
    if (options.selector === undefined || options.privateKey === undefined)
      throw new TypeError('createDkimSigner: domain needs selector and privateKey');
    keys.set(options.domain.toLowerCase(), {
      selector: options.selector,
      privateKey: options.privateKey,
      ...(options.algorithm ? { algorithm: options.algorithm } : {}),
    });
  }
  if (keys.size === 0) throw new TypeError('createDkimSigner: no signing domain configured');

  async function sign(message: Buffer): Promise<Buffer | null> {
    const domain = headerFromDomain(message);
    const key = domain === null ? undefined : keys.get(domain);
    if (!domain || !key) return null;
    const algorithm = key.algorithm === 'ed25519' ? 'ed25519-sha256' : key.algorithm;
    const signature = {
      signingDomain: domain,
      selector: key.selector,
      privateKey: key.privateKey,
      canonicalization: 'relaxed/relaxed',
      ...(algorithm ? { algorithm } : {}),
    };
    // mailauth signs one signature per `signatureData` entry; the top-level fields are defaults.
    const result = await dkimSign(message, {
      ...signature,
      signatureData: [signature],
      ...(options.headers ? { headerList: options.headers } : {}),
    });
    if (!result.signatures) {
      const why = result.errors.map((e) => e.err.message).join('; ');
      throw new Error(`DKIM signing for ${domain} failed: ${why || 'no signature'}`);
    }
    return Buffer.concat([Buffer.from(result.signatures, 'utf8'), message]);
  }

  return {
    domains: [...keys.keys()],
    sign,
    prepare: async (envelope, blob) => {
      try {
        const signed = await sign(await readAll(blob.open()));
        return signed ? bufferBlob(signed) : blob;
      } catch (err) {
        // An unsigned message still goes out: a bad key must not hold the queue.
        log.error(
          { event: 'dkim-sign-failed', from: envelope.mailFrom, err: String(err) },
          'dkim signing failed; sending unsigned',
        );
        return blob;
      }
    },
  };
}
