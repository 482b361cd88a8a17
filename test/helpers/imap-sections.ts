import type { MimePart } from '@mailstack/core';

/**
 * Every body section that exists in a message, by RFC 3501 6.4.5 part numbering: each part's
 * `n` and `n.MIME`; `n.HEADER` and `n.TEXT` for a message/rfc822 part, whose encapsulated parts
 * continue the numbering (`n.1`, ...). message/global is a leaf, as in IMAP4rev1's
 * BODYSTRUCTURE. Part `1` of a single-part message is its body (`1.MIME` its header), also
 * inside an encapsulated message (`n.1`).
 */
export function existingSections(root: MimePart): string[] {
  const out: string[] = [];
  const rfc822 = (p: MimePart) => p.type === 'message' && p.subtype === 'rfc822' && p.message !== undefined;
  const inMessage = (body: MimePart, at: string) => {
    if (body.parts !== undefined) children(body, at);
    else part(body, `${at}.1`);
  };
  const part = (p: MimePart, at: string) => {
    out.push(at, `${at}.MIME`);
    if (p.parts !== undefined) children(p, at);
    else if (rfc822(p)) {
      out.push(`${at}.HEADER`, `${at}.TEXT`);
      inMessage(p.message!.body, at);
    }
  };
  const children = (p: MimePart, at: string) => {
    for (const [i, child] of (p.parts ?? []).entries())
      part(child, at === '' ? `${i + 1}` : `${at}.${i + 1}`);
  };
  if (root.parts !== undefined) children(root, '');
  else part(root, '1');
  return out;
}
