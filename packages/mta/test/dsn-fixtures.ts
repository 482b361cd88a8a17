import { runPython } from '@mailstack/testkit';

/** A small original message with CRLF line ends. */
export function originalMessage(body = 'Hello there.\r\n', extraHeaders = ''): Buffer {
  return Buffer.from(
    'From: Alice <alice@origin.test>\r\n' +
      'To: bob@remote.test\r\n' +
      'Subject: Lunch\r\n' +
      'Message-ID: <lunch-1@origin.test>\r\n' +
      extraHeaders +
      'MIME-Version: 1.0\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      '\r\n' +
      body,
    'utf8',
  );
}

export interface PythonView {
  contentType: string;
  reportType: string | null;
  parts: string[];
  /** The delivery-status part as parsed blocks: [per-message, ...per-recipient]. */
  blocks: Record<string, string>[];
  /** Subject of the returned original (message/rfc822 or message/global), when whole. */
  originalSubject: string | null;
  originalBody: string | null;
  /** The text/rfc822-headers part, when headers only. */
  headersPart: string | null;
  text: string;
  defects: string[];
  /** The DSN's own top-level header fields. */
  top: Record<string, string>;
}

// Python's email package reads the DSN as a mail reader would: MIME tree, delivery-status
// blocks (as a list of header blocks), the attached original.
const SCRIPT = `
import sys, json, email
from email import policy
# Decoded as UTF-8 first: Python keeps 8-bit header bytes of a binary parse as surrogates.
msg = email.message_from_string(sys.stdin.buffer.read().decode('utf-8'), policy=policy.default)
out = {'contentType': msg.get_content_type(), 'reportType': msg.get_param('report-type'),
       'parts': [], 'blocks': [], 'originalSubject': None, 'originalBody': None,
       'headersPart': None, 'text': '', 'defects': [type(d).__name__ for d in msg.defects],
       'top': {k: str(v) for k, v in msg.items()}}
for part in msg.iter_parts():
    ct = part.get_content_type()
    out['parts'].append(ct)
    out['defects'] += [type(d).__name__ for d in part.defects]
    if ct == 'text/plain':
        # get_content would re-encode an 8bit payload of a str-parsed message; take it as it is.
        cte = str(part.get('content-transfer-encoding', '')).lower()
        out['text'] = part.get_payload() if cte == '8bit' else part.get_content()
    elif ct in ('message/delivery-status', 'message/global-delivery-status'):
        payload = part.get_payload()
        if isinstance(payload, list):
            raw = '\\n\\n'.join(b.as_string(policy=policy.default.clone(linesep='\\n')) for b in payload)
        else:
            raw = payload if isinstance(payload, str) else payload.decode('utf-8')
        for chunk in raw.replace('\\r\\n', '\\n').strip().split('\\n\\n'):
            if chunk.strip():
                out['blocks'].append({k: str(v) for k, v in email.message_from_string(chunk, policy=policy.default).items()})
    elif ct in ('message/rfc822', 'message/global'):
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) else inner
        if not hasattr(inner, 'get_content'):
            raw = part.get_payload(decode=True)
            inner = email.message_from_bytes(raw, policy=policy.default)
        out['originalSubject'] = str(inner['subject'])
        body = inner.get_payload()
        out['originalBody'] = body if isinstance(body, str) else inner.get_content()
    elif ct in ('text/rfc822-headers', 'message/global-headers'):
        out['headersPart'] = part.get_payload(decode=True).decode('utf-8')
print(json.dumps(out))
`;

export async function parseWithPython(bytes: Buffer): Promise<PythonView> {
  const result = await runPython(SCRIPT, [], { input: bytes });
  if (result.code !== 0) throw new Error(`python failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as PythonView;
}

/** Per-recipient fields of a delivery-status text, keyed by lower-cased name. */
export function statusBlocks(text: string): Record<string, string>[] {
  return text
    .replace(/\r\n/g, '\n')
    .trim()
    .split(/\n\n+/)
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.replace(/\n[ \t]+/g, ' ').split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) fields[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      return fields;
    });
}
