import type { MimePart } from '@mailstack/core';

function decodeTransfer(raw: Buffer, encoding: string | undefined): Buffer {
  const enc = (encoding ?? '').toLowerCase();
  if (enc === 'base64') return Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (enc === 'quoted-printable') {
    const text = raw
      .toString('latin1')
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(text, 'latin1');
  }
  return raw;
}

function toText(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder((charset ?? 'utf-8').toLowerCase()).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** Charsets whose bytes a search of the raw message (read as UTF-8) already sees as text. */
const RAW_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);
const RAW_ENCODINGS = new Set(['', '7bit', '8bit', 'binary']);

/** A part whose text a search of the raw bytes (as UTF-8) already covers. */
function readableRaw(p: MimePart): boolean {
  const charset = p.params.find(([name]) => name === 'charset')?.[1]?.toLowerCase();
  return (
    RAW_ENCODINGS.has((p.encoding ?? '').toLowerCase()) &&
    (charset === undefined || RAW_CHARSETS.has(charset))
  );
}

/**
 * Whether any part of the message may need decoding before a search sees its words: a
 * base64 or quoted-printable transfer encoding, or a charset other than UTF-8/US-ASCII, is
 * declared somewhere. Without either (the defaults are 7bit and US-ASCII), the raw message
 * is the text and no MIME parse is needed.
 */
export function mayNeedDecoding(message: Buffer): boolean {
  const text = message.toString('latin1');
  return (
    /content-transfer-encoding\s*:\s*"?(?:base64|quoted-printable)/i.test(text) ||
    /charset\s*=\s*"?(?!(?:utf-?8|us-ascii)\b)[^\s";]/i.test(text)
  );
}

/**
 * The text/* parts of a message with transfer encodings and charsets undone, so BODY and TEXT
 * find words in base64 or quoted-printable bodies, as users expect. With `encodedOnly`, only
 * the parts a search of the raw bytes would not read right (the rest it has searched already).
 */
export function decodedBodyText(message: Buffer, root: MimePart, encodedOnly = false): string {
  const out: string[] = [];
  const walk = (p: MimePart): void => {
    if (p.parts) {
      for (const child of p.parts) walk(child);
      return;
    }
    if (p.message) {
      walk(p.message.body);
      return;
    }
    if (p.type !== 'text' || (encodedOnly && readableRaw(p))) return;
    const charset = p.params.find(([name]) => name === 'charset')?.[1];
    out.push(toText(decodeTransfer(message.subarray(p.bodyStart, p.bodyEnd), p.encoding), charset));
  };
  walk(root);
  return out.join('\n');
}
