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

/**
 * The text/* parts of a message with transfer encodings and charsets undone, so BODY and TEXT
 * find words in base64 or quoted-printable bodies, as users expect.
 */
export function decodedBodyText(message: Buffer, root: MimePart): string {
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
    if (p.type !== 'text') return;
    const charset = p.params.find(([name]) => name === 'charset')?.[1];
    out.push(toText(decodeTransfer(message.subarray(p.bodyStart, p.bodyEnd), p.encoding), charset));
  };
  walk(root);
  return out.join('\n');
}
